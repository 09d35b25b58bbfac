//! SQL of sequence changes.

use std::fmt::Write;

use crate::diff::SequenceChange;
use crate::model::sequence::Sequence;
use crate::sql::{quote_ident, quote_qualified};

pub(super) fn statement(c: &SequenceChange) -> String {
    match c {
        SequenceChange::Create(q, s) => {
            let mut sql = format!("CREATE SEQUENCE {} AS {}", quote_qualified(q), s.data_type);
            for clause in options(s) {
                let _ = write!(sql, " {clause}");
            }
            sql.push(';');
            sql
        }
        SequenceChange::Alter { name, from, to } => {
            format!(
                "ALTER SEQUENCE {}{};",
                quote_qualified(name),
                alter(from, to)
            )
        }
        SequenceChange::SetOwner(q, owner) => match owner {
            Some(o) => format!(
                "ALTER SEQUENCE {} OWNED BY {}.{}.{};",
                quote_qualified(q),
                quote_ident(&q.schema),
                quote_ident(&o.table),
                quote_ident(&o.column)
            ),
            None => format!("ALTER SEQUENCE {} OWNED BY NONE;", quote_qualified(q)),
        },
        SequenceChange::Drop(q) => format!("DROP SEQUENCE IF EXISTS {};", quote_qualified(q)),
    }
}

/// The options of `CREATE SEQUENCE` (and of an identity column) that are not the defaults.
pub(super) fn options(s: &Sequence) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(i) = s.increment {
        out.push(format!("INCREMENT BY {i}"));
    }
    if let Some(v) = s.min_value {
        out.push(format!("MINVALUE {v}"));
    }
    if let Some(v) = s.max_value {
        out.push(format!("MAXVALUE {v}"));
    }
    if let Some(v) = s.start {
        out.push(format!("START WITH {v}"));
    }
    if let Some(v) = s.cache {
        out.push(format!("CACHE {v}"));
    }
    if s.cycle {
        out.push("CYCLE".to_string());
    }
    out
}

fn alter(from: &Sequence, to: &Sequence) -> String {
    let mut sql = String::new();
    if from.data_type != to.data_type {
        let _ = write!(sql, " AS {}", to.data_type);
    }
    for clause in changed_options(from, to) {
        let _ = write!(sql, " {clause}");
    }
    sql
}

/// The clauses that take a sequence from `from`'s options to `to`'s. A type, increment or
/// bound change states both bounds and the start again (`NO MINVALUE` / `NO MAXVALUE` for
/// defaults), since PostgreSQL keeps explicit old bounds and start otherwise and would
/// refuse a start outside the new range. The current value stays (no `RESTART`) unless the
/// direction flips: the current value is then outside the new range, which PostgreSQL
/// refuses, so the sequence restarts at its new start.
pub(super) fn changed_options(from: &Sequence, to: &Sequence) -> Vec<String> {
    let mut out = Vec::new();
    let (f, t) = (from.effective(), to.effective());
    let range = from.data_type != to.data_type
        || f.increment != t.increment
        || f.min_value != t.min_value
        || f.max_value != t.max_value;
    if f.increment != t.increment {
        out.push(format!("INCREMENT BY {}", t.increment));
    }
    if range {
        match to.min_value {
            Some(v) => {
                out.push(format!("MINVALUE {v}"));
            }
            None => out.push("NO MINVALUE".to_string()),
        }
        match to.max_value {
            Some(v) => {
                out.push(format!("MAXVALUE {v}"));
            }
            None => out.push("NO MAXVALUE".to_string()),
        }
    }
    if range || f.start != t.start {
        out.push(format!("START WITH {}", t.start));
    }
    if f.cache != t.cache {
        out.push(format!("CACHE {}", t.cache));
    }
    if from.cycle != to.cycle {
        out.push(if to.cycle { "CYCLE" } else { "NO CYCLE" }.to_string());
    }
    if flips(from, to) {
        out.push("RESTART".to_string());
    }
    out
}

/// Does the sequence change direction (the sign of its increment)?
pub(super) fn flips(from: &Sequence, to: &Sequence) -> bool {
    (from.effective().increment > 0) != (to.effective().increment > 0)
}
