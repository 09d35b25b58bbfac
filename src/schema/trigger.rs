//! `[tables.T.triggers.NAME]` (and `[views.V.triggers.NAME]`): a trigger of the table or
//! view, read into [`RawTrigger`]; `compile::trigger` checks it.

use super::reader::{Reader, Sp, entries};
use crate::diag::Span;

#[derive(Debug)]
pub struct RawTrigger {
    pub name: Sp<String>,
    pub span: Span,
    pub timing: Option<Sp<String>>,
    pub events: Option<Sp<Vec<Sp<String>>>>,
    pub columns: Option<Sp<Vec<Sp<String>>>>,
    pub for_each: Option<Sp<String>>,
    pub when: Option<Sp<String>>,
    pub function: Option<Sp<String>>,
    pub args: Option<Sp<Vec<Sp<String>>>>,
    pub old_table: Option<Sp<String>>,
    pub new_table: Option<Sp<String>>,
    pub constraint: Option<Sp<bool>>,
    pub deferrable: Option<Sp<String>>,
    pub enabled: Option<Sp<String>>,
    pub comment: Option<Sp<String>>,
}

pub(crate) const TRIGGER_KEYS: &[&str] = &[
    "timing",
    "events",
    "columns",
    "for_each",
    "when",
    "function",
    "args",
    "old_table",
    "new_table",
    "constraint",
    "deferrable",
    "enabled",
    "comment",
];

/// The `triggers` table of a table or view being read.
pub(super) fn read_triggers(r: &mut Reader<'_, '_>) -> Vec<RawTrigger> {
    let file = r.file;
    let Some(t) = r.table("triggers") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, tt, tspan) in entries(file, t.table, "trigger", t.diags) {
        let Some(tt) = tt else { continue };
        let mut x = Reader {
            file,
            table: tt,
            span: tspan.clone(),
            diags: t.diags,
        };
        x.deny_unknown(&format!("trigger `{}`", name.value), TRIGGER_KEYS);
        out.push(RawTrigger {
            span: tspan,
            timing: x.string("timing"),
            events: x.strings("events"),
            columns: x.strings("columns"),
            for_each: x.string("for_each"),
            when: x.string("when"),
            function: x.string("function"),
            args: x.strings("args"),
            old_table: x.string("old_table"),
            new_table: x.string("new_table"),
            constraint: x.bool("constraint"),
            deferrable: x.string("deferrable"),
            enabled: x.string("enabled"),
            comment: x.string("comment"),
            name,
        });
    }
    out
}
