//! Views and materialized views: the query as PostgreSQL prints it (`pg_get_viewdef`, a
//! multi-line string), options, comments on the view and its columns (`column_comments`), a
//! materialized view's indexes (always named: the format requires it) and a view's triggers
//! (`[views.V.triggers.NAME]`).

use std::collections::BTreeMap;

use super::writer::{self, Doc};
use super::{Cx, comments, grants, tables, triggers};
use crate::model::grant::GrantKind;
use crate::model::{Schema, View};

pub(super) fn write(
    cx: &Cx<'_>,
    doc: &mut Doc,
    schema: &str,
    s: &Schema,
    counts: &mut BTreeMap<&'static str, usize>,
) {
    for (kind, map) in [
        ("views", &s.views),
        ("materialized_views", &s.materialized_views),
    ] {
        for (name, v) in map {
            doc.table(&[kind, name]);
            view(doc, v);
            if kind == "materialized_views" {
                if v.no_data {
                    doc.kv("with_data", writer::boolean(false));
                }
                for (n, ix) in &v.indexes {
                    doc.array_table(&[kind, name, "indexes"]);
                    tables::index(doc, name, n, ix, true);
                }
            }
            triggers::write(cx, doc, schema, (kind, name), &v.triggers, counts);
            *counts
                .entry(if kind == "views" {
                    "views"
                } else {
                    "materialized views"
                })
                .or_default() += 1;
        }
    }
}

fn view(doc: &mut Doc, v: &View) {
    let q = v.query.sql();
    let text = if q.contains('\n') {
        format!("{}\n", q.trim())
    } else {
        q.trim().to_string()
    };
    doc.kv("query", writer::string(&text));
    if v.security_barrier {
        doc.kv("security_barrier", writer::boolean(true));
    }
    if v.security_invoker {
        doc.kv("security_invoker", writer::boolean(true));
    }
    if let Some(c) = v.check_option {
        let t = match c {
            crate::model::view::CheckOption::Local => "local",
            crate::model::view::CheckOption::Cascaded => "cascaded",
        };
        doc.kv("check_option", writer::string(t));
    }
    comments::line(doc, &v.comment);
    if !v.column_comments.is_empty() {
        let pairs = v
            .column_comments
            .iter()
            .map(|(c, text)| (c.as_str(), writer::line_string(text)))
            .collect();
        doc.kv("column_comments", writer::inline(pairs));
    }
    grants::line(doc, &v.grants, GrantKind::Table);
}
