//! SQL of row-level security: policies and the table flags.

use crate::diff::PolicyChange;
use crate::model::Policy;
use crate::sql::{quote_ident, quote_literal, quote_qualified};

/// `TO …`: the roles, or `PUBLIC`.
fn roles(p: &Policy) -> String {
    if p.roles.is_empty() {
        "PUBLIC".to_string()
    } else {
        super::idents(&p.roles)
    }
}

fn clauses(p: &Policy) -> String {
    let mut s = String::new();
    if let Some(u) = &p.using {
        s.push_str(&format!(" USING ({})", u.sql()));
    }
    if let Some(w) = &p.with_check {
        s.push_str(&format!(" WITH CHECK ({})", w.sql()));
    }
    s
}

pub(super) fn statement(c: &PolicyChange) -> String {
    match c {
        PolicyChange::Create {
            table,
            name,
            policy,
            ..
        } => {
            let mut s = format!(
                "CREATE POLICY {} ON {}",
                quote_ident(name),
                quote_qualified(table)
            );
            if policy.restrictive {
                s.push_str(" AS RESTRICTIVE");
            }
            if !policy.command.is_all() {
                s.push_str(" FOR ");
                s.push_str(policy.command.keyword());
            }
            if !policy.roles.is_empty() {
                s.push_str(" TO ");
                s.push_str(&roles(policy));
            }
            s.push_str(&clauses(policy));
            s.push(';');
            s
        }
        PolicyChange::Alter {
            table, name, to, ..
        } => format!(
            "ALTER POLICY {} ON {} TO {}{};",
            quote_ident(name),
            quote_qualified(table),
            roles(to),
            clauses(to)
        ),
        PolicyChange::Drop { table, name, .. } => format!(
            "DROP POLICY {} ON {};",
            quote_ident(name),
            quote_qualified(table)
        ),
        PolicyChange::Comment {
            table,
            name,
            comment,
        } => format!(
            "COMMENT ON POLICY {} ON {} IS {};",
            quote_ident(name),
            quote_qualified(table),
            comment.as_deref().map_or("NULL".to_string(), quote_literal)
        ),
        PolicyChange::Enable { table, on, .. } => format!(
            "ALTER TABLE {} {} ROW LEVEL SECURITY;",
            quote_qualified(table),
            if *on { "ENABLE" } else { "DISABLE" }
        ),
        PolicyChange::Force { table, on, .. } => format!(
            "ALTER TABLE {} {} ROW LEVEL SECURITY;",
            quote_qualified(table),
            if *on { "FORCE" } else { "NO FORCE" }
        ),
    }
}
