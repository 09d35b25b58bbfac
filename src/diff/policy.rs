//! Row-level security: `ENABLE`/`DISABLE`/`FORCE`/`NO FORCE ROW LEVEL SECURITY` and
//! policies (`CREATE`/`ALTER`/`DROP POLICY`, `COMMENT ON POLICY`).
//!
//! A policy whose command or kind (permissive, restrictive) changes, that loses its `USING`
//! or `WITH CHECK` clause (which `ALTER POLICY` cannot remove), or that uses a column being
//! dropped or retyped (PostgreSQL refuses both while the policy exists), is dropped and
//! created again, as is one calling a function that is dropped and created again (a new
//! result type or signature: PostgreSQL refuses to drop a function a policy calls);
//! other changes are `ALTER POLICY`. Drops run right after the renames,
//! before any column is dropped or retyped; creations and alterations after the views, once
//! every column has its final shape; the flags after the policies, so a table never goes
//! without the policies it is meant to have. Policies of a dropped table go with it.
//!
//! Hazards (see docs/decisions.md): `breaks_clients` wherever access may narrow on a table
//! that keeps row-level security on: enabling or forcing it on an existing table, a new
//! restrictive policy, a dropped permissive one, and an alteration that is not plainly
//! wider. Widening access is not a hazard of the catalogue.

use std::collections::BTreeSet;

use super::step::{Effect, Hazard, Phase, StepInfo, StepKind, object};
use super::{Change, Touched};
use crate::model::id::{ObjectId, ObjectKind};
use crate::model::{Model, Policy, QualifiedName, Table};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyChange {
    /// `CREATE POLICY`. `guarded`: the table exists and keeps row-level security on (the
    /// policy changes what clients see now).
    Create {
        table: QualifiedName,
        name: String,
        policy: Policy,
        guarded: bool,
    },
    /// `ALTER POLICY … TO … USING … WITH CHECK …` (from `from` to `to`).
    Alter {
        table: QualifiedName,
        name: String,
        from: Policy,
        to: Policy,
        guarded: bool,
    },
    /// `DROP POLICY` of `policy`.
    Drop {
        table: QualifiedName,
        name: String,
        policy: Policy,
        guarded: bool,
    },
    /// `COMMENT ON POLICY`; `None` removes it.
    Comment {
        table: QualifiedName,
        name: String,
        comment: Option<String>,
    },
    /// `ENABLE`/`DISABLE ROW LEVEL SECURITY`; `new_table`: created in this migration.
    Enable {
        table: QualifiedName,
        on: bool,
        new_table: bool,
    },
    /// `FORCE`/`NO FORCE ROW LEVEL SECURITY`.
    Force {
        table: QualifiedName,
        on: bool,
        new_table: bool,
    },
}

impl From<PolicyChange> for Change {
    fn from(c: PolicyChange) -> Change {
        Change::Policy(c)
    }
}

/// Columns of `old` that are gone from `new` or change type or collation there (or are
/// otherwise replaced, `touched`).
fn unstable_columns(
    q: &QualifiedName,
    old: &Table,
    new: &Table,
    touched: &Touched,
) -> BTreeSet<String> {
    old.columns
        .iter()
        .filter(|c| match new.column(&c.name) {
            None => true,
            Some(n) => {
                n.data_type != c.data_type
                    || n.collation != c.collation
                    || n.generated != c.generated
                    || touched.contains_key(&(q.clone(), c.name.clone()))
            }
        })
        .map(|c| c.name.clone())
        .collect()
}

/// Whether `to` plainly lets at least the rows and roles `from` let through (only the roles
/// widen, for a permissive policy; only narrow, for a restrictive one).
fn wider(from: &Policy, to: &Policy) -> bool {
    if from.using != to.using || from.with_check != to.with_check {
        return false;
    }
    // `covers(a, b)`: every role of b is in a (empty is PUBLIC).
    let covers = |a: &[String], b: &[String]| {
        a.is_empty() || (!b.is_empty() && b.iter().all(|r| a.contains(r)))
    };
    if to.restrictive {
        covers(&from.roles, &to.roles)
    } else {
        covers(&to.roles, &from.roles)
    }
}

/// Bare names of the functions a policy's expressions call.
fn calls(p: &Policy) -> BTreeSet<String> {
    p.using
        .iter()
        .chain(&p.with_check)
        .flat_map(|e| e.function_names())
        .collect()
}

pub(super) fn diff(out: &mut Vec<Change>, from: &Model, to: &Model, touched: &Touched) {
    let recreated = super::partition::recreated(from, to);
    // Routines dropped while one of their name stays: the policies calling them are bound
    // to the dropped one, so they go before the drop and come back after the create.
    let recreated_functions: Vec<String> = super::function::dropped_names(out)
        .into_iter()
        .filter(|n| to.functions().any(|(_, f)| f.name == *n))
        .collect();
    let calls_recreated = |p: &Policy| calls(p).iter().any(|f| recreated_functions.contains(f));
    for (q, t) in to.tables() {
        let old = from.table(&q).filter(|_| !recreated.contains(&q));
        let Some(old) = old else {
            for (n, p) in &t.policies {
                create(out, &q, n, p, false);
            }
            if t.row_level_security {
                out.push(
                    PolicyChange::Enable {
                        table: q.clone(),
                        on: true,
                        new_table: true,
                    }
                    .into(),
                );
            }
            if t.force_row_level_security {
                out.push(
                    PolicyChange::Force {
                        table: q.clone(),
                        on: true,
                        new_table: true,
                    }
                    .into(),
                );
            }
            continue;
        };
        if old.policies.is_empty()
            && t.policies.is_empty()
            && old.row_level_security == t.row_level_security
            && old.force_row_level_security == t.force_row_level_security
        {
            continue;
        }
        let guarded = old.row_level_security && t.row_level_security;
        let unstable = unstable_columns(&q, old, t, touched);
        let mut dropped = BTreeSet::new();
        // Dropped and created again unchanged: what clients see does not change.
        let mut rebuilt = BTreeSet::new();
        for (n, op) in &old.policies {
            let replaced = match t.policies.get(n) {
                None => true,
                Some(p) => {
                    p.command != op.command
                        || p.restrictive != op.restrictive
                        || (op.using.is_some() && p.using.is_none())
                        || (op.with_check.is_some() && p.with_check.is_none())
                        || op.referenced_columns().iter().any(|c| unstable.contains(c))
                        || calls_recreated(op)
                }
            };
            if replaced {
                dropped.insert(n);
                if t.policies.get(n) == Some(op) && calls_recreated(op) {
                    rebuilt.insert(n);
                }
                out.push(
                    PolicyChange::Drop {
                        table: q.clone(),
                        name: n.clone(),
                        policy: op.clone(),
                        guarded: guarded && !rebuilt.contains(n),
                    }
                    .into(),
                );
            }
        }
        for (n, p) in &t.policies {
            match old.policies.get(n) {
                Some(op) if !dropped.contains(n) => {
                    if op.roles != p.roles || op.using != p.using || op.with_check != p.with_check {
                        out.push(
                            PolicyChange::Alter {
                                table: q.clone(),
                                name: n.clone(),
                                from: op.clone(),
                                to: p.clone(),
                                guarded,
                            }
                            .into(),
                        );
                    }
                    if op.comment != p.comment {
                        out.push(
                            PolicyChange::Comment {
                                table: q.clone(),
                                name: n.clone(),
                                comment: p.comment.clone(),
                            }
                            .into(),
                        );
                    }
                }
                _ => create(out, &q, n, p, guarded && !rebuilt.contains(n)),
            }
        }
        if old.row_level_security != t.row_level_security {
            out.push(
                PolicyChange::Enable {
                    table: q.clone(),
                    on: t.row_level_security,
                    new_table: false,
                }
                .into(),
            );
        }
        if old.force_row_level_security != t.force_row_level_security {
            out.push(
                PolicyChange::Force {
                    table: q.clone(),
                    on: t.force_row_level_security,
                    new_table: false,
                }
                .into(),
            );
        }
    }
}

fn create(out: &mut Vec<Change>, q: &QualifiedName, n: &str, p: &Policy, guarded: bool) {
    out.push(
        PolicyChange::Create {
            table: q.clone(),
            name: n.to_string(),
            policy: p.clone(),
            guarded,
        }
        .into(),
    );
    if let Some(c) = &p.comment {
        out.push(
            PolicyChange::Comment {
                table: q.clone(),
                name: n.to_string(),
                comment: Some(c.clone()),
            }
            .into(),
        );
    }
}

fn id(q: &QualifiedName, n: &str) -> ObjectId {
    ObjectId::part(ObjectKind::Policy, &q.schema, &q.name, n)
}

pub(super) fn step(c: &PolicyChange) -> StepInfo {
    let narrows = |yes: bool| {
        if yes {
            vec![Hazard::BreaksClients]
        } else {
            vec![]
        }
    };
    match c {
        PolicyChange::Create {
            table,
            name,
            policy,
            guarded,
        } => calls(policy).iter().fold(
            StepInfo::new(
                StepKind::CreatePolicy,
                object(table, Some(name)),
                narrows(*guarded && policy.restrictive),
                Phase::CreatePolicy,
            )
            .effect(id(table, name), Effect::Create)
            .after(ObjectId::table(table)),
            |s, f| s.after(super::function::name_id(f)),
        ),
        PolicyChange::Alter {
            table,
            name,
            from,
            to,
            guarded,
        } => calls(to).iter().fold(
            StepInfo::new(
                StepKind::AlterPolicy,
                object(table, Some(name)),
                narrows(*guarded && !wider(from, to)),
                Phase::CreatePolicy,
            )
            .effect(id(table, name), Effect::Alter),
            |s, f| s.after(super::function::name_id(f)),
        ),
        PolicyChange::Drop {
            table,
            name,
            policy,
            guarded,
        } => calls(policy).iter().fold(
            StepInfo::new(
                StepKind::DropPolicy,
                object(table, Some(name)),
                narrows(*guarded && !policy.restrictive),
                Phase::DropPolicy,
            )
            .effect(id(table, name), Effect::Drop),
            |s, f| s.before(super::function::name_id(f)),
        ),
        PolicyChange::Comment { table, name, .. } => StepInfo::new(
            StepKind::Comment,
            object(table, Some(name)),
            vec![],
            Phase::Comment,
        )
        .after(id(table, name)),
        PolicyChange::Enable {
            table,
            on,
            new_table,
        } => StepInfo::new(
            if *on {
                StepKind::EnableRowLevelSecurity
            } else {
                StepKind::DisableRowLevelSecurity
            },
            object(table, None),
            narrows(*on && !new_table),
            Phase::RowSecurity,
        ),
        PolicyChange::Force {
            table,
            on,
            new_table,
        } => StepInfo::new(
            if *on {
                StepKind::ForceRowLevelSecurity
            } else {
                StepKind::NoForceRowLevelSecurity
            },
            object(table, None),
            narrows(*on && !new_table),
            Phase::RowSecurity,
        ),
    }
}

pub(super) fn deviation(c: &PolicyChange) -> String {
    match c {
        PolicyChange::Create { table, name, .. } => {
            format!("extra in the database: policy {name} on table {table}")
        }
        PolicyChange::Alter { table, name, .. } => {
            format!("different in the database: policy {name} on table {table}")
        }
        PolicyChange::Drop { table, name, .. } => {
            format!("missing from the database: policy {name} on table {table}")
        }
        PolicyChange::Comment { table, name, .. } => {
            format!("different in the database: comment on policy {name} on table {table}")
        }
        PolicyChange::Enable { table, .. } => {
            format!("different in the database: row-level security of table {table}")
        }
        PolicyChange::Force { table, .. } => {
            format!("different in the database: forced row-level security of table {table}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Expr, PolicyCommand};

    fn policy(roles: &[&str], restrictive: bool, using: &str) -> Policy {
        Policy {
            command: PolicyCommand::All,
            restrictive,
            roles: roles.iter().map(|r| r.to_string()).collect(),
            using: Some(Expr::parse(using).unwrap()),
            with_check: None,
            comment: None,
        }
    }

    #[test]
    fn only_plainly_wider_alterations_carry_no_hazard() {
        let a = policy(&["a"], false, "x > 0");
        assert!(wider(&a, &policy(&["a", "b"], false, "x > 0")));
        assert!(wider(&a, &policy(&[], false, "x > 0")));
        assert!(!wider(&a, &policy(&["b"], false, "x > 0")));
        assert!(!wider(&a, &policy(&["a", "b"], false, "x > 1")));
        // Restrictive: fewer roles restricted is wider.
        let r = policy(&["a", "b"], true, "x > 0");
        assert!(wider(&r, &policy(&["a"], true, "x > 0")));
        assert!(!wider(&r, &policy(&[], true, "x > 0")));
        let alter = |from: &Policy, to: &Policy, guarded| {
            step(&PolicyChange::Alter {
                table: QualifiedName::new("public", "t"),
                name: "p".into(),
                from: from.clone(),
                to: to.clone(),
                guarded,
            })
            .hazards
        };
        let narrower = policy(&["a"], false, "x > 1");
        assert_eq!(alter(&a, &narrower, true), vec![Hazard::BreaksClients]);
        assert!(alter(&a, &narrower, false).is_empty());
    }

    #[test]
    fn enabling_narrows_access_only_on_an_existing_table() {
        let enable = |new_table| {
            step(&PolicyChange::Enable {
                table: QualifiedName::new("public", "t"),
                on: true,
                new_table,
            })
            .hazards
        };
        assert_eq!(enable(false), vec![Hazard::BreaksClients]);
        assert!(enable(true).is_empty());
        let disable = step(&PolicyChange::Enable {
            table: QualifiedName::new("public", "t"),
            on: false,
            new_table: false,
        });
        assert!(disable.hazards.is_empty());
        assert_eq!(disable.kind, StepKind::DisableRowLevelSecurity);
    }
}
