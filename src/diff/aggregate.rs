//! Aggregates: created after their state and final functions, dropped before them; any
//! change of definition is a drop and a create (views calling the aggregate are rebuilt
//! around it, as for functions).

use super::comment::CommentTarget;
use super::step::{Effect, Hazard, Phase, StepInfo, StepKind, object};
use super::{Change, function};
use crate::model::aggregate::Aggregate;
use crate::model::id::{ObjectId, ObjectKind};
use crate::model::{Model, QualifiedName};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AggregateChange {
    Create {
        schema: String,
        aggregate: Aggregate,
        recreated: bool,
    },
    Drop {
        schema: String,
        aggregate: Aggregate,
        recreated: bool,
    },
}

impl From<AggregateChange> for Change {
    fn from(c: AggregateChange) -> Change {
        Change::Aggregate(c)
    }
}

pub(super) fn diff(out: &mut Vec<Change>, from: &Model, to: &Model) {
    for (sn, s) in &from.schemas {
        for (id, a) in &s.aggregates {
            let new = to.schemas.get(sn).and_then(|n| n.aggregates.get(id));
            if new.is_none_or(|n| !a.same_definition(n)) {
                out.push(
                    AggregateChange::Drop {
                        schema: sn.clone(),
                        aggregate: a.clone(),
                        recreated: new.is_some(),
                    }
                    .into(),
                );
            }
        }
    }
    for (sn, s) in &to.schemas {
        for (id, a) in &s.aggregates {
            let old = from.schemas.get(sn).and_then(|o| o.aggregates.get(id));
            match old {
                Some(o) if o.same_definition(a) => {
                    if o.comment != a.comment {
                        out.push(Change::Comment(target(sn, a), a.comment.clone()));
                    }
                }
                _ => {
                    out.push(
                        AggregateChange::Create {
                            schema: sn.clone(),
                            aggregate: a.clone(),
                            recreated: old.is_some(),
                        }
                        .into(),
                    );
                    if a.comment.is_some() {
                        out.push(Change::Comment(target(sn, a), a.comment.clone()));
                    }
                }
            }
        }
    }
}

fn target(schema: &str, a: &Aggregate) -> CommentTarget {
    CommentTarget::Aggregate {
        schema: schema.to_string(),
        name: a.name.clone(),
        args: sql_args(a),
    }
}

/// The argument types as SQL.
pub fn sql_args(a: &Aggregate) -> String {
    a.args
        .iter()
        .map(|t| crate::model::function::type_sql(t))
        .collect::<Vec<_>>()
        .join(", ")
}

fn id(schema: &str, a: &Aggregate) -> ObjectId {
    ObjectId::new(ObjectKind::Function, schema, &a.identity())
}

fn label(schema: &str, a: &Aggregate) -> String {
    format!(
        "{}({})",
        object(&QualifiedName::new(schema, &a.name), None),
        a.args.join(", ")
    )
}

pub(super) fn step(c: &AggregateChange) -> StepInfo {
    match c {
        AggregateChange::Create {
            schema, aggregate, ..
        } => {
            let mut s = StepInfo::new(
                StepKind::CreateAggregate,
                label(schema, aggregate),
                vec![],
                Phase::CreateFunction,
            )
            .effect(id(schema, aggregate), Effect::Create)
            .effect(function::name_id(&aggregate.name), Effect::Create)
            .after(function::name_id(&aggregate.sfunc.name));
            if let Some(f) = &aggregate.finalfunc {
                s = s.after(function::name_id(&f.name));
            }
            s
        }
        AggregateChange::Drop {
            schema,
            aggregate,
            recreated,
        } => {
            let hazards = if *recreated {
                vec![]
            } else {
                vec![Hazard::BreaksClients]
            };
            let mut s = StepInfo::new(
                StepKind::DropAggregate,
                label(schema, aggregate),
                hazards,
                Phase::DropFunction,
            )
            .effect(id(schema, aggregate), Effect::Drop)
            .effect(function::name_id(&aggregate.name), Effect::Drop)
            .before(function::name_id(&aggregate.sfunc.name));
            if let Some(f) = &aggregate.finalfunc {
                s = s.before(function::name_id(&f.name));
            }
            s
        }
    }
}

pub(super) fn deviation(c: &AggregateChange) -> Option<String> {
    Some(match c {
        AggregateChange::Create {
            recreated: true, ..
        } => return None,
        AggregateChange::Create {
            schema, aggregate, ..
        } => format!(
            "extra in the database: aggregate {schema}.{}",
            aggregate.identity()
        ),
        AggregateChange::Drop {
            schema,
            aggregate,
            recreated: true,
        } => format!(
            "different in the database: aggregate {schema}.{}",
            aggregate.identity()
        ),
        AggregateChange::Drop {
            schema, aggregate, ..
        } => format!(
            "missing from the database: aggregate {schema}.{}",
            aggregate.identity()
        ),
    })
}
