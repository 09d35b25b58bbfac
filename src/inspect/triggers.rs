//! Triggers: `[tables.T.triggers.NAME]` and `[views.V.triggers.NAME]` (a view's `INSTEAD OF`
//! and statement triggers), options at their defaults left out.

use std::collections::BTreeMap;

use super::writer::{self, Doc};
use super::{Cx, comments, tables};
use crate::model::Deferrable;
use crate::model::trigger::{Enabled, Event, Timing, Trigger};

/// The triggers of the table or view `relation` (`kind`: `tables` or `views`) of `schema`.
pub(super) fn write(
    cx: &Cx<'_>,
    doc: &mut Doc,
    schema: &str,
    (kind, relation): (&str, &str),
    triggers: &BTreeMap<String, Trigger>,
    counts: &mut BTreeMap<&'static str, usize>,
) {
    for (name, x) in triggers {
        doc.table(&[kind, relation, "triggers", name]);
        let timing = match x.timing {
            Timing::Before => "before",
            Timing::After => "after",
            Timing::InsteadOf => "instead_of",
        };
        doc.kv("timing", writer::string(timing));
        let events: Vec<&str> = x
            .events
            .iter()
            .map(|e| match e {
                Event::Insert => "insert",
                Event::Delete => "delete",
                Event::Update => "update",
                Event::Truncate => "truncate",
            })
            .collect();
        doc.kv("events", writer::strings(&events));
        if !x.columns.is_empty() {
            doc.kv("columns", writer::strings(&x.columns));
        }
        if x.for_each_row {
            doc.kv("for_each", writer::string("row"));
        }
        if let Some(w) = &x.when {
            doc.kv("when", writer::string(&tables::expr_text(w)));
        }
        doc.kv(
            "function",
            writer::string(&cx.routine_ref(&x.function, schema)),
        );
        if !x.args.is_empty() {
            doc.kv("args", writer::strings(&x.args));
        }
        if let Some(o) = &x.old_table {
            doc.kv("old_table", writer::string(o));
        }
        if let Some(n) = &x.new_table {
            doc.kv("new_table", writer::string(n));
        }
        if x.constraint {
            doc.kv("constraint", writer::boolean(true));
        }
        match x.deferrable {
            Deferrable::No => {}
            Deferrable::Immediate => doc.kv("deferrable", writer::string("immediate")),
            Deferrable::Deferred => doc.kv("deferrable", writer::string("deferred")),
        }
        let enabled = match x.enabled {
            Enabled::Origin => None,
            Enabled::Disabled => Some("disabled"),
            Enabled::Replica => Some("replica"),
            Enabled::Always => Some("always"),
        };
        if let Some(e) = enabled {
            doc.kv("enabled", writer::string(e));
        }
        comments::line(doc, &x.comment);
        *counts.entry("triggers").or_default() += 1;
    }
}
