//! Aggregates: `[aggregates.NAME]` (`[[aggregates.NAME]]` per overload).

use std::collections::BTreeMap;

use super::writer::{self, Doc};
use super::{Cx, comments, short_type};
use crate::model::Schema;
use crate::model::aggregate::Aggregate;

pub(super) fn write(
    cx: &Cx<'_>,
    doc: &mut Doc,
    schema: &str,
    s: &Schema,
    counts: &mut BTreeMap<&'static str, usize>,
) {
    let mut by_name: BTreeMap<&str, Vec<&Aggregate>> = BTreeMap::new();
    for a in s.aggregates.values() {
        by_name.entry(&a.name).or_default().push(a);
    }
    for (name, list) in by_name {
        for a in &list {
            if list.len() > 1 {
                doc.array_table(&["aggregates", name]);
            } else {
                doc.table(&["aggregates", name]);
            }
            let args: Vec<String> = a.args.iter().map(|t| short_type(t)).collect();
            doc.kv("args", writer::strings(&args));
            doc.kv("sfunc", writer::string(&cx.routine_ref(&a.sfunc, schema)));
            doc.kv("stype", writer::string(&short_type(&a.stype)));
            if let Some(f) = &a.finalfunc {
                doc.kv("finalfunc", writer::string(&cx.routine_ref(f, schema)));
            }
            if let Some(i) = &a.initcond {
                doc.kv("initcond", writer::string(i));
            }
            comments::line(doc, &a.comment);
            super::grants::line(doc, &a.grants, crate::model::grant::GrantKind::Function);
            *counts.entry("aggregates").or_default() += 1;
        }
    }
}
