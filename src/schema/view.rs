//! `[views.NAME]` and `[materialized_views.NAME]`: a query with its options, read into
//! [`RawView`]. `compile::view` resolves and checks it.

use toml::de::DeTable;

use super::reader::{Reader, Sp, span, table_items};
use super::{RawIndex, read_index};
use crate::diag::{Diagnostic, FileId, Span};

#[derive(Debug)]
pub struct RawView {
    pub name: Sp<String>,
    pub materialized: bool,
    pub schema: Option<Sp<String>>,
    pub query: Option<Sp<String>>,
    pub columns: Option<Sp<Vec<Sp<String>>>>,
    pub comment: Option<Sp<String>>,
    /// `column_comments = { column = "…" }`.
    pub column_comments: Vec<(Sp<String>, Sp<String>)>,
    pub grants: Option<super::grant::RawGrants>,
    pub depends_on: Option<Sp<Vec<Sp<String>>>>,
    pub security_barrier: Option<Sp<bool>>,
    pub security_invoker: Option<Sp<bool>>,
    pub check_option: Option<Sp<String>>,
    /// Materialized views only.
    pub with_data: Option<Sp<bool>>,
    pub indexes: Vec<RawIndex>,
    /// `[views.V.triggers.NAME]` (views only).
    pub triggers: Vec<super::RawTrigger>,
}

pub(crate) const VIEW_KEYS: &[&str] = &[
    "grants",
    "schema",
    "query",
    "columns",
    "comment",
    "column_comments",
    "depends_on",
    "security_barrier",
    "security_invoker",
    "check_option",
    "triggers",
];
pub(crate) const MATERIALIZED_VIEW_KEYS: &[&str] = &[
    "grants",
    "schema",
    "query",
    "columns",
    "comment",
    "column_comments",
    "depends_on",
    "with_data",
    "indexes",
];

pub(super) fn read_view(
    file: FileId,
    name: Sp<String>,
    materialized: bool,
    t: &DeTable<'_>,
    tspan: Span,
    diags: &mut Vec<Diagnostic>,
) -> RawView {
    let mut r = Reader {
        file,
        table: t,
        span: tspan,
        diags,
    };
    let (what, keys) = if materialized {
        ("materialized view", MATERIALIZED_VIEW_KEYS)
    } else {
        ("view", VIEW_KEYS)
    };
    r.deny_unknown(&format!("{what} `{}`", name.value), keys);
    let mut indexes = Vec::new();
    if materialized && let Some(v) = r.raw("indexes") {
        for (t, s) in table_items(file, v, "indexes", r.diags) {
            indexes.push(read_index(file, t, s, r.diags));
        }
    }
    let triggers = if materialized {
        Vec::new()
    } else {
        super::trigger::read_triggers(&mut r)
    };
    let mut column_comments = Vec::new();
    if let Some(cc) = r.table("column_comments") {
        for (k, v) in cc.table.iter() {
            let column = Sp::new(k.get_ref().to_string(), span(file, k.span()));
            match v.get_ref().as_str() {
                Some(s) => {
                    column_comments.push((column, Sp::new(s.to_string(), span(file, v.span()))))
                }
                None => cc.diags.push(
                    Diagnostic::new(
                        "invalid-value",
                        span(file, v.span()),
                        "`column_comments` entries must be strings (column = \"comment\")",
                    )
                    .hint("write `column_comments = { name = \"What the column holds\" }`"),
                ),
            }
        }
    }
    RawView {
        triggers,
        column_comments,
        materialized,
        schema: r.string("schema"),
        query: r.string("query"),
        columns: r.strings("columns"),
        comment: r.string("comment"),
        grants: super::grant::read(&mut r),
        depends_on: r.strings("depends_on"),
        security_barrier: if materialized {
            None
        } else {
            r.bool("security_barrier")
        },
        security_invoker: if materialized {
            None
        } else {
            r.bool("security_invoker")
        },
        check_option: if materialized {
            None
        } else {
            r.string("check_option")
        },
        with_data: if materialized {
            r.bool("with_data")
        } else {
            None
        },
        indexes,
        name,
    }
}
