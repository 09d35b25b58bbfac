//! `[aggregates.NAME]` (or `[[aggregates.NAME]]` per overload), read into [`RawAggregate`];
//! `compile::aggregate` checks it.

use toml::de::{DeTable, DeValue};

use super::reader::{Reader, Sp, span, table_items};
use crate::diag::{Diagnostic, FileId, Span};

#[derive(Debug)]
pub struct RawAggregate {
    pub name: Sp<String>,
    pub span: Span,
    pub schema: Option<Sp<String>>,
    pub args: Option<Sp<Vec<Sp<String>>>>,
    pub sfunc: Option<Sp<String>>,
    pub stype: Option<Sp<String>>,
    pub finalfunc: Option<Sp<String>>,
    pub initcond: Option<Sp<String>>,
    pub comment: Option<Sp<String>>,
}

const AGGREGATE_KEYS: &[&str] = &[
    "schema",
    "args",
    "sfunc",
    "stype",
    "finalfunc",
    "initcond",
    "comment",
];

pub(super) fn read_aggregates(
    file: FileId,
    table: &DeTable<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<RawAggregate> {
    let mut out = Vec::new();
    for (k, v) in table.iter() {
        let name = Sp::new(k.get_ref().to_string(), span(file, k.span()));
        let items = match v.get_ref() {
            DeValue::Table(t) => vec![(t, span(file, v.span()))],
            DeValue::Array(_) => table_items(file, v, &name.value, diags),
            other => {
                diags.push(
                    Diagnostic::new(
                        "invalid-value",
                        span(file, v.span()),
                        format!(
                            "aggregate `{}` must be a table, found {}",
                            name.value,
                            other.type_str()
                        ),
                    )
                    .hint(format!("write it as `[aggregates.{}]`", name.value)),
                );
                continue;
            }
        };
        for (t, s) in items {
            let mut r = Reader {
                file,
                table: t,
                span: s.clone(),
                diags,
            };
            r.deny_unknown(&format!("aggregate `{}`", name.value), AGGREGATE_KEYS);
            out.push(RawAggregate {
                name: name.clone(),
                span: s,
                schema: r.string("schema"),
                args: r.strings("args"),
                sfunc: r.string("sfunc"),
                stype: r.string("stype"),
                finalfunc: r.string("finalfunc"),
                initcond: r.string("initcond"),
                comment: r.string("comment"),
            });
        }
    }
    out
}
