//! Sequences that are objects of their own: `[sequences.NAME]` with the options that are not
//! PostgreSQL's defaults (the model keeps only those) and `owned_by`. A serial column's
//! sequence is not here: the column is written `type = "serial"` (`tables`).

use std::collections::BTreeMap;

use super::writer::{self, Doc};
use super::{comments, grants, path_part, tables};
use crate::model::grant::GrantKind;
use crate::model::{BaseType, ColumnDefault, Schema};

/// A sequence's options that are not the defaults, as keys (of `[sequences]` and of an
/// identity column's table form alike).
pub(super) fn options(q: &crate::model::sequence::Sequence) -> Vec<(&'static str, writer::Val)> {
    let mut out = Vec::new();
    for (k, v) in [
        ("increment", q.increment),
        ("min_value", q.min_value),
        ("max_value", q.max_value),
        ("start", q.start),
        ("cache", q.cache),
    ] {
        if let Some(v) = v {
            out.push((k, writer::int(v)));
        }
    }
    if q.cycle {
        out.push(("cycle", writer::boolean(true)));
    }
    out
}

pub(super) fn write(doc: &mut Doc, s: &Schema, counts: &mut BTreeMap<&'static str, usize>) {
    for (name, q) in &s.sequences {
        doc.table(&["sequences", name]);
        if q.data_type != "bigint" {
            doc.kv("type", writer::string(&q.data_type));
        }
        for (k, v) in options(q) {
            doc.kv(k, v);
        }
        if let Some(o) = &q.owned_by {
            doc.kv(
                "owned_by",
                writer::string(&format!("{}.{}", path_part(&o.table), path_part(&o.column))),
            );
        }
        comments::line(doc, &q.comment);
        grants::line(doc, &q.grants, GrantKind::Sequence);
        *counts.entry("sequences").or_default() += 1;
    }
    // The sequence of a serial column whose name is not the one `type = "serial"` gives:
    // declared as the sequence it is, and the column's default `nextval` of it.
    for (tname, t) in &s.tables {
        for c in &t.columns {
            let Some(ColumnDefault::Serial { sequence }) = &c.default else {
                continue;
            };
            if tables::serial_type(tname, c, sequence).is_some() {
                continue;
            }
            doc.table(&["sequences", sequence]);
            if let BaseType::Builtin(b) = &c.data_type.base
                && b != "bigint"
            {
                doc.kv("type", writer::string(b));
            }
            doc.kv(
                "owned_by",
                writer::string(&format!("{}.{}", path_part(tname), path_part(&c.name))),
            );
            *counts.entry("sequences").or_default() += 1;
        }
    }
}
