//! Triggers: created once their table and function exist, replaced (`CREATE OR REPLACE
//! TRIGGER`; a constraint trigger is dropped and created) when their definition changes,
//! enabled or disabled in place, dropped early (before the columns and functions they use).
//! A trigger whose function is dropped and created again goes and comes back with it; so
//! do the triggers of a view that is dropped and created again.

use super::comment::CommentTarget;
use super::step::{Hazard, Phase, StepInfo, StepKind, object};
use super::{Change, function};
use crate::model::id::ObjectId;
use crate::model::trigger::{Enabled, Trigger};
use crate::model::{Model, QualifiedName};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TriggerChange {
    /// `replace`: `CREATE OR REPLACE` over one of the same name; `rebuilt`: created again
    /// unchanged (its function was recreated).
    Create {
        table: QualifiedName,
        name: String,
        trigger: Trigger,
        replace: bool,
        rebuilt: bool,
    },
    Drop {
        table: QualifiedName,
        name: String,
        function: QualifiedName,
        rebuilt: bool,
    },
    /// `ALTER TABLE … ENABLE|DISABLE TRIGGER`.
    SetEnabled {
        table: QualifiedName,
        name: String,
        enabled: Enabled,
    },
}

impl From<TriggerChange> for Change {
    fn from(c: TriggerChange) -> Change {
        Change::Trigger(c)
    }
}

pub(super) fn diff(out: &mut Vec<Change>, from: &Model, to: &Model) {
    let recreated_functions = function::dropped_names(out);
    for (q, t) in to.tables() {
        // The triggers of a new table come with it; those of a dropped one go with it.
        let old = from.table(&q).map(|o| &o.triggers);
        relation(out, &q, old, &t.triggers, &recreated_functions, false);
    }
}

/// The triggers of views; after `view::diff`, since a view dropped and created again
/// (`DROP VIEW` takes its triggers) gets all of its triggers back.
pub(super) fn diff_views(out: &mut Vec<Change>, from: &Model, to: &Model) {
    let recreated_functions = function::dropped_names(out);
    let recreated_views: std::collections::BTreeSet<QualifiedName> = out
        .iter()
        .filter_map(|c| match c {
            Change::View(super::ViewChange::DropView { name, .. }) => Some(name.clone()),
            _ => None,
        })
        .collect();
    for (q, materialized, v) in to.views() {
        if materialized {
            continue;
        }
        let old = from
            .schemas
            .get(&q.schema)
            .and_then(|s| s.views.get(&q.name))
            .map(|o| &o.triggers);
        let recreated = recreated_views.contains(&q);
        relation(out, &q, old, &v.triggers, &recreated_functions, recreated);
    }
}

/// The trigger changes of one table or view from `old` (`None`: the relation is new) to
/// `new`. `recreated`: the relation is dropped and created again, so every trigger of `new`
/// is created (again) and none is dropped.
fn relation(
    out: &mut Vec<Change>,
    q: &QualifiedName,
    old: Option<&std::collections::BTreeMap<String, Trigger>>,
    new: &std::collections::BTreeMap<String, Trigger>,
    recreated_functions: &[String],
    recreated: bool,
) {
    if !recreated {
        for (name, x) in old.into_iter().flatten() {
            if !new.contains_key(name) {
                out.push(
                    TriggerChange::Drop {
                        table: q.clone(),
                        name: name.clone(),
                        function: x.function.clone(),
                        rebuilt: false,
                    }
                    .into(),
                );
            }
        }
    }
    for (name, x) in new {
        let create = |replace: bool, rebuilt: bool| {
            Change::from(TriggerChange::Create {
                table: q.clone(),
                name: name.clone(),
                trigger: x.clone(),
                replace,
                rebuilt,
            })
        };
        let after = |out: &mut Vec<Change>| {
            if x.enabled != Enabled::Origin {
                out.push(
                    TriggerChange::SetEnabled {
                        table: q.clone(),
                        name: name.clone(),
                        enabled: x.enabled,
                    }
                    .into(),
                );
            }
            if x.comment.is_some() {
                out.push(Change::Comment(target(q, name), x.comment.clone()));
            }
        };
        let before = old.and_then(|o| o.get(name));
        if recreated {
            out.push(create(false, before == Some(x)));
            after(out);
            continue;
        }
        match before {
            None => {
                out.push(create(false, false));
                after(out);
            }
            Some(ox) => {
                // Its function, or one its `WHEN` calls, is dropped (PostgreSQL records both
                // dependencies and refuses the drop while the trigger exists).
                let when_calls_dropped = ox.when.as_ref().is_some_and(|w| {
                    w.function_names()
                        .iter()
                        .any(|n| recreated_functions.contains(n))
                });
                let function_recreated =
                    recreated_functions.contains(&x.function.name) || when_calls_dropped;
                if !ox.same_definition(x) || function_recreated {
                    let rebuilt = ox.same_definition(x);
                    if ox.constraint || x.constraint || function_recreated {
                        out.push(
                            TriggerChange::Drop {
                                table: q.clone(),
                                name: name.clone(),
                                function: ox.function.clone(),
                                rebuilt,
                            }
                            .into(),
                        );
                        out.push(create(false, rebuilt));
                    } else {
                        out.push(create(true, false));
                    }
                    after(out);
                    continue;
                }
                if ox.enabled != x.enabled {
                    out.push(
                        TriggerChange::SetEnabled {
                            table: q.clone(),
                            name: name.clone(),
                            enabled: x.enabled,
                        }
                        .into(),
                    );
                }
                if ox.comment != x.comment {
                    out.push(Change::Comment(target(q, name), x.comment.clone()));
                }
            }
        }
    }
}

fn target(q: &QualifiedName, name: &str) -> CommentTarget {
    CommentTarget::Trigger(q.clone(), name.to_string())
}

pub(super) fn step(c: &TriggerChange) -> StepInfo {
    match c {
        TriggerChange::Create {
            table,
            name,
            trigger,
            replace,
            ..
        } => {
            let kind = if *replace {
                StepKind::ReplaceTrigger
            } else {
                StepKind::CreateTrigger
            };
            let info = StepInfo::new(
                kind,
                object(table, Some(name)),
                vec![],
                Phase::CreateTrigger,
            )
            .after(ObjectId::table(table))
            .after(ObjectId::view(table))
            .after(function::name_id(&trigger.function.name));
            // After what its `WHEN` calls, too.
            let calls = trigger.when.iter().flat_map(|w| w.function_names());
            calls.fold(info, |s, f| s.after(function::name_id(&f)))
        }
        TriggerChange::Drop {
            table,
            name,
            function: f,
            rebuilt,
        } => {
            // Rows written between the drop and the create inside the migration's
            // transaction cannot happen; a trigger dropped for good changes behaviour.
            let hazards = if *rebuilt {
                vec![]
            } else {
                vec![Hazard::BreaksClients]
            };
            StepInfo::new(
                StepKind::DropTrigger,
                object(table, Some(name)),
                hazards,
                // After renames (the table has its new name), before columns go.
                Phase::DropForeignKey,
            )
            .before(function::name_id(&f.name))
        }
        TriggerChange::SetEnabled { table, name, .. } => StepInfo::new(
            StepKind::SetTriggerEnabled,
            object(table, Some(name)),
            vec![],
            Phase::CreateTrigger,
        )
        .after(ObjectId::table(table)),
    }
}

pub(super) fn deviation(c: &TriggerChange) -> Option<String> {
    Some(match c {
        TriggerChange::Create { rebuilt: true, .. } | TriggerChange::Drop { rebuilt: true, .. } => {
            return None;
        }
        TriggerChange::Create {
            table,
            name,
            replace: true,
            ..
        } => format!("different in the database: trigger {name} on {table}"),
        TriggerChange::Create { table, name, .. } => {
            format!("extra in the database: trigger {name} on {table}")
        }
        TriggerChange::Drop { table, name, .. } => {
            format!("missing from the database: trigger {name} on {table}")
        }
        TriggerChange::SetEnabled { table, name, .. } => {
            format!("different in the database: whether trigger {name} on {table} fires")
        }
    })
}
