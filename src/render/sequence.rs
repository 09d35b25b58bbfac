//! SQL of sequence changes.

use std::fmt::Write;

use crate::diff::SequenceChange;
use crate::model::sequence::Sequence;
use crate::sql::{quote_ident, quote_qualified};

pub(super) fn statement(c: &SequenceChange) -> String {
    match c {
        SequenceChange::Create(q, s) => {
            let mut sql = format!("CREATE SEQUENCE {} AS {}", quote_qualified(q), s.data_type);
            if let Some(i) = s.increment {
                let _ = write!(sql, " INCREMENT BY {i}");
            }
            if let Some(v) = s.min_value {
                let _ = write!(sql, " MINVALUE {v}");
            }
            if let Some(v) = s.max_value {
                let _ = write!(sql, " MAXVALUE {v}");
            }
            if let Some(v) = s.start {
                let _ = write!(sql, " START WITH {v}");
            }
            if let Some(v) = s.cache {
                let _ = write!(sql, " CACHE {v}");
            }
            if s.cycle {
                sql.push_str(" CYCLE");
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

/// The clauses that take a sequence from `from`'s options to `to`'s. A type, increment or
/// bound change states both bounds and the start again (`NO MINVALUE` / `NO MAXVALUE` for
/// defaults), since PostgreSQL keeps explicit old bounds and start otherwise and would
/// refuse a start outside the new range. Never `RESTART`: the current value stays.
fn alter(from: &Sequence, to: &Sequence) -> String {
    let mut sql = String::new();
    let (f, t) = (from.effective(), to.effective());
    let range = from.data_type != to.data_type
        || f.increment != t.increment
        || f.min_value != t.min_value
        || f.max_value != t.max_value;
    if from.data_type != to.data_type {
        let _ = write!(sql, " AS {}", to.data_type);
    }
    if f.increment != t.increment {
        let _ = write!(sql, " INCREMENT BY {}", t.increment);
    }
    if range {
        match to.min_value {
            Some(v) => {
                let _ = write!(sql, " MINVALUE {v}");
            }
            None => sql.push_str(" NO MINVALUE"),
        }
        match to.max_value {
            Some(v) => {
                let _ = write!(sql, " MAXVALUE {v}");
            }
            None => sql.push_str(" NO MAXVALUE"),
        }
    }
    if range || f.start != t.start {
        let _ = write!(sql, " START WITH {}", t.start);
    }
    if f.cache != t.cache {
        let _ = write!(sql, " CACHE {}", t.cache);
    }
    if from.cycle != to.cycle {
        sql.push_str(if to.cycle { " CYCLE" } else { " NO CYCLE" });
    }
    sql
}
