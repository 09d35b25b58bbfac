//! SQL of triggers.

use std::fmt::Write;

use crate::diff::TriggerChange;
use crate::model::Deferrable;
use crate::model::trigger::{Enabled, Trigger};
use crate::sql::{quote_ident, quote_literal, quote_qualified};

pub(super) fn statement(c: &TriggerChange) -> String {
    match c {
        TriggerChange::Create {
            table,
            name,
            trigger,
            replace,
            ..
        } => create(table, name, trigger, *replace),
        TriggerChange::Drop { table, name, .. } => format!(
            "DROP TRIGGER {} ON {};",
            quote_ident(name),
            quote_qualified(table)
        ),
        TriggerChange::SetEnabled {
            table,
            name,
            enabled,
        } => format!(
            "ALTER TABLE {} {} TRIGGER {};",
            quote_qualified(table),
            match enabled {
                Enabled::Origin => "ENABLE",
                Enabled::Disabled => "DISABLE",
                Enabled::Replica => "ENABLE REPLICA",
                Enabled::Always => "ENABLE ALWAYS",
            },
            quote_ident(name)
        ),
    }
}

fn create(table: &crate::model::QualifiedName, name: &str, t: &Trigger, replace: bool) -> String {
    let mut sql = format!(
        "CREATE {}{}TRIGGER {} {} ",
        if replace { "OR REPLACE " } else { "" },
        if t.constraint { "CONSTRAINT " } else { "" },
        quote_ident(name),
        t.timing.keyword()
    );
    let events: Vec<String> = t
        .events
        .iter()
        .map(|e| {
            let mut s = e.keyword().to_string();
            if *e == crate::model::trigger::Event::Update && !t.columns.is_empty() {
                let cols: Vec<String> = t.columns.iter().map(|c| quote_ident(c)).collect();
                let _ = write!(s, " OF {}", cols.join(", "));
            }
            s
        })
        .collect();
    sql.push_str(&events.join(" OR "));
    let _ = write!(sql, " ON {}", quote_qualified(table));
    match t.deferrable {
        Deferrable::No => {}
        Deferrable::Immediate => sql.push_str(" DEFERRABLE INITIALLY IMMEDIATE"),
        Deferrable::Deferred => sql.push_str(" DEFERRABLE INITIALLY DEFERRED"),
    }
    if t.old_table.is_some() || t.new_table.is_some() {
        sql.push_str(" REFERENCING");
        if let Some(o) = &t.old_table {
            let _ = write!(sql, " OLD TABLE AS {}", quote_ident(o));
        }
        if let Some(n) = &t.new_table {
            let _ = write!(sql, " NEW TABLE AS {}", quote_ident(n));
        }
    }
    let _ = write!(
        sql,
        "\n FOR EACH {}",
        if t.for_each_row { "ROW" } else { "STATEMENT" }
    );
    if let Some(w) = &t.when {
        let _ = write!(sql, " WHEN ({})", w.sql());
    }
    let args: Vec<String> = t.args.iter().map(|a| quote_literal(a)).collect();
    let _ = write!(
        sql,
        "\n EXECUTE FUNCTION {}({});",
        quote_qualified(&t.function),
        args.join(", ")
    );
    sql
}
