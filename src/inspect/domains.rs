//! Domains: `[domains.NAME]` with the base type, collation, default, `not_null` and checks
//! (a check named `<domain>_check`, PostgreSQL's choice, is written without its name).

use std::collections::BTreeMap;

use super::writer::{self, Doc};
use super::{Cx, comments, grants, tables};
use crate::compile::names;
use crate::model::Schema;
use crate::model::grant::GrantKind;

pub(super) fn write(
    cx: &Cx<'_>,
    doc: &mut Doc,
    schema: &str,
    s: &Schema,
    counts: &mut BTreeMap<&'static str, usize>,
) {
    for (name, d) in &s.domains {
        doc.table(&["domains", name]);
        let (k, t) = cx.type_of(&d.data_type, schema);
        doc.kv(k, writer::string(&t));
        if let Some(c) = &d.collation {
            doc.kv("collation", writer::string(c));
        }
        if let Some(e) = &d.default {
            let (k, v) = tables::default_value(e, &d.data_type);
            doc.kv(k, v);
        }
        if d.not_null {
            doc.kv("not_null", writer::boolean(true));
        }
        if !d.checks.is_empty() {
            let default = names::make_object_name(name, None, "check");
            let checks = d
                .checks
                .iter()
                .map(|(n, c)| {
                    let mut kv = Vec::new();
                    if *n != default {
                        kv.push(("name", writer::line_string(n)));
                    }
                    kv.push(("expr", writer::line_string(&tables::expr_text(&c.expr))));
                    if let Some(text) = &c.comment {
                        kv.push(("comment", writer::line_string(text)));
                    }
                    writer::inline(kv)
                })
                .collect();
            doc.kv("checks", writer::array(checks));
        }
        comments::line(doc, &d.comment);
        grants::line(doc, &d.grants, GrantKind::Type);
        *counts.entry("domains").or_default() += 1;
    }
}
