//! Row-level security of a table: `row_level_security`, `force_row_level_security` and
//! `[tables.T.policies.NAME]`, validated as `CREATE POLICY` would (command, which
//! expressions the command allows, columns the expressions use).

use std::collections::BTreeMap;

use super::Compiler;
use crate::diag::Diagnostic;
use crate::model::rename::Rename;
use crate::model::{Policy, PolicyCommand, QualifiedName, Table};
use crate::schema::RawTable;

/// Role specifications PostgreSQL resolves when the policy is created: the catalog keeps
/// the role they named then, so they cannot be compared later.
const ROLE_KEYWORDS: &[&str] = &["current_user", "current_role", "session_user"];

impl Compiler {
    /// The row-level security flags and policies of `raw` onto `table` (every problem
    /// reported; a policy with problems is left out).
    pub(super) fn row_security(&mut self, raw: &RawTable, table: &mut Table, name: &QualifiedName) {
        let rs = &raw.row_security;
        table.row_level_security = rs.enabled.as_ref().is_some_and(|b| b.value);
        table.force_row_level_security = rs.forced.as_ref().is_some_and(|b| b.value);
        let mut policies = BTreeMap::new();
        for p in &rs.policies {
            let ok = self.ident(&p.name, "policy");
            if let Some(from) = &p.renamed_from
                && self.ident(from, "policy")
            {
                self.renames.push(Rename::Policy {
                    table: name.clone(),
                    from: from.value.clone(),
                    to: p.name.value.clone(),
                });
            }
            let command = match &p.command {
                None => Some(PolicyCommand::All),
                Some(c) => match PolicyCommand::parse(&c.value.to_ascii_lowercase()) {
                    Some(cmd) => Some(cmd),
                    None => {
                        self.push(
                            Diagnostic::new(
                                "invalid-value",
                                c.span.clone(),
                                format!("unknown policy command `{}`", c.value),
                            )
                            .hint("write one of: all, select, insert, update, delete"),
                        );
                        None
                    }
                },
            };
            let mut restrictive = p.permissive.as_ref().is_some_and(|b| !b.value);
            if let Some(a) = &p.as_ {
                match a.value.to_ascii_lowercase().as_str() {
                    "permissive" | "restrictive" => {
                        let r = a.value.eq_ignore_ascii_case("restrictive");
                        if p.permissive.as_ref().is_some_and(|b| b.value == r) {
                            self.push(
                                Diagnostic::new(
                                    "conflicting-keys",
                                    a.span.clone(),
                                    format!(
                                        "policy `{}` says `as = \"{}\"` and `permissive = {}`",
                                        p.name.value, a.value, !r
                                    ),
                                )
                                .hint("keep one of the two keys"),
                            );
                        }
                        restrictive = r;
                    }
                    _ => self.push(
                        Diagnostic::new(
                            "invalid-value",
                            a.span.clone(),
                            format!("unknown policy kind `{}`", a.value),
                        )
                        .hint("write `as = \"permissive\"` or `as = \"restrictive\"`"),
                    ),
                }
            }
            let mut roles = Vec::new();
            let mut roles_ok = true;
            if let Some(rs) = &p.roles {
                for r in &rs.value {
                    if ROLE_KEYWORDS.contains(&r.value.to_ascii_lowercase().as_str()) {
                        self.push(
                            Diagnostic::new(
                                "invalid-value",
                                r.span.clone(),
                                format!(
                                    "policy role `{}` is resolved when the policy is created",
                                    r.value
                                ),
                            )
                            .hint("name the role itself (PostgreSQL stores the role it stood for)"),
                        );
                        roles_ok = false;
                    } else if !self.ident(r, "role") {
                        roles_ok = false;
                    } else {
                        roles.push(r.value.clone());
                    }
                }
            }
            let mut expr = |s: &Option<crate::schema::reader::Sp<String>>, what: &str| {
                let s = s.as_ref()?;
                let e = self.expr(s, what)?;
                self.expr_columns(&e, table, s, what);
                Some(table.typed_expr(e))
            };
            let using = expr(&p.using, "policy `using`");
            let with_check = expr(&p.with_check, "policy `with_check`");
            let parsed = p.using.is_none() == using.is_none()
                && p.with_check.is_none() == with_check.is_none();
            let mut valid = ok && roles_ok && parsed;
            if let Some(cmd) = command {
                if let (Some(u), false) = (&p.using, cmd.allows_using()) {
                    self.push(
                        Diagnostic::new(
                            "invalid-value",
                            u.span.clone(),
                            format!("policy `{}` for insert cannot have `using`", p.name.value),
                        )
                        .hint("new rows are checked with `with_check`; remove `using`"),
                    );
                    valid = false;
                }
                if let (Some(w), false) = (&p.with_check, cmd.allows_with_check()) {
                    self.push(
                        Diagnostic::new(
                            "invalid-value",
                            w.span.clone(),
                            format!(
                                "policy `{}` for {} cannot have `with_check`",
                                p.name.value,
                                cmd.keyword().to_ascii_lowercase()
                            ),
                        )
                        .hint("only all, insert and update policies check new rows; remove `with_check` or use `using`"),
                    );
                    valid = false;
                }
            } else {
                valid = false;
            }
            if p.using.is_none() && p.with_check.is_none() {
                self.missing(
                    &p.span,
                    &format!("policy `{}`", p.name.value),
                    "using",
                    "add `using = \"…\"` (rows it lets through) or `with_check = \"…\"` (rows it lets in)",
                );
                valid = false;
            }
            let comment = self.literal_text(&p.comment, "comment");
            if valid {
                policies.insert(
                    p.name.value.clone(),
                    Policy {
                        command: command.unwrap_or_default(),
                        restrictive,
                        roles: Policy::normalise_roles(roles),
                        using,
                        with_check,
                        comment,
                    },
                );
            }
        }
        table.policies = policies;
    }
}
