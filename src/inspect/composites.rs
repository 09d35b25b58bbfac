//! Composite types: `[composite_types.NAME]` and its `attributes` in order.

use std::collections::BTreeMap;

use super::writer::{self, Doc};
use super::{Cx, comments, grants};
use crate::model::Schema;
use crate::model::grant::GrantKind;

pub(super) fn write(
    cx: &Cx<'_>,
    doc: &mut Doc,
    schema: &str,
    s: &Schema,
    counts: &mut BTreeMap<&'static str, usize>,
) {
    for (name, c) in &s.composite_types {
        doc.table(&["composite_types", name]);
        comments::line(doc, &c.comment);
        grants::line(doc, &c.grants, GrantKind::Type);
        doc.table(&["composite_types", name, "attributes"]);
        let pairs = c
            .attributes
            .iter()
            .map(|a| {
                let (k, t) = cx.type_of(&a.data_type, schema);
                let mut kv = vec![(k, writer::line_string(&t))];
                if let Some(coll) = &a.collation {
                    kv.push(("collation", writer::line_string(coll)));
                }
                (a.name.clone(), writer::inline(kv))
            })
            .collect();
        doc.aligned(pairs);
        *counts.entry("composite types").or_default() += 1;
    }
}
