//! `[sequences.NAME]`: a sequence with its options, read into [`RawSequence`].
//! `compile::sequence` checks it.

use toml::de::DeTable;

use super::reader::{Literal, Reader, Sp};
use crate::diag::{Diagnostic, FileId, Span};

/// `[sequences.NAME]`.
#[derive(Debug)]
pub struct RawSequence {
    pub name: Sp<String>,
    pub schema: Option<Sp<String>>,
    pub ty: Option<Sp<String>>,
    pub increment: Option<Sp<Literal>>,
    pub min_value: Option<Sp<Literal>>,
    pub max_value: Option<Sp<Literal>>,
    pub start: Option<Sp<Literal>>,
    pub cache: Option<Sp<Literal>>,
    pub cycle: Option<Sp<bool>>,
    pub owned_by: Option<Sp<String>>,
    pub comment: Option<Sp<String>>,
    pub grants: Option<super::grant::RawGrants>,
    pub renamed_from: Option<Sp<String>>,
}

pub(crate) const SEQUENCE_KEYS: &[&str] = &[
    "grants",
    "schema",
    "type",
    "increment",
    "min_value",
    "max_value",
    "start",
    "cache",
    "cycle",
    "owned_by",
    "comment",
    "renamed_from",
];

pub(super) fn read_sequence(
    file: FileId,
    name: Sp<String>,
    t: &DeTable<'_>,
    tspan: Span,
    diags: &mut Vec<Diagnostic>,
) -> RawSequence {
    let mut r = Reader {
        file,
        table: t,
        span: tspan,
        diags,
    };
    r.deny_unknown(&format!("sequence `{}`", name.value), SEQUENCE_KEYS);
    RawSequence {
        schema: r.string("schema"),
        ty: r.string("type"),
        increment: r.literal("increment"),
        min_value: r.literal("min_value"),
        max_value: r.literal("max_value"),
        start: r.literal("start"),
        cache: r.literal("cache"),
        cycle: r.bool("cycle"),
        owned_by: r.string("owned_by"),
        comment: r.string("comment"),
        grants: super::grant::read(&mut r),
        renamed_from: r.string("renamed_from"),
        name,
    }
}
