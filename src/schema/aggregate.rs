//! `[aggregates.NAME]` (or `[[aggregates.NAME]]` per overload), read into [`RawAggregate`];
//! `compile::aggregate` checks it.

use toml::de::DeTable;

use super::reader::{Reader, Sp, entries_or_overloads};
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
    pub grants: Option<super::grant::RawGrants>,
}

pub(crate) const AGGREGATE_KEYS: &[&str] = &[
    "schema",
    "args",
    "sfunc",
    "stype",
    "finalfunc",
    "initcond",
    "comment",
    "grants",
];

pub(super) fn read_aggregates(
    file: FileId,
    table: &DeTable<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<RawAggregate> {
    let mut out = Vec::new();
    for (name, t, s) in entries_or_overloads(file, table, "aggregate", diags) {
        let mut r = Reader {
            file,
            table: t,
            span: s.clone(),
            diags,
        };
        r.deny_unknown(&format!("aggregate `{}`", name.value), AGGREGATE_KEYS);
        out.push(RawAggregate {
            span: s,
            schema: r.string("schema"),
            args: r.strings("args"),
            sfunc: r.string("sfunc"),
            stype: r.string("stype"),
            finalfunc: r.string("finalfunc"),
            initcond: r.string("initcond"),
            comment: r.string("comment"),
            grants: super::grant::read(&mut r),
            name,
        });
    }
    out
}
