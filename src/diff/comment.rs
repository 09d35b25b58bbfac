//! Comments (`COMMENT ON … IS …`) of any object; `None` removes one. A new object kind
//! registers its target here.

use super::step::{Phase, StepInfo, StepKind, object};
use crate::model::QualifiedName;
use crate::model::id::{ObjectId, ObjectKind};

/// What a comment is attached to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommentTarget {
    /// A schema.
    Schema(String),
    /// A constraint of a table (primary key, unique, check, foreign key, exclusion).
    Constraint(QualifiedName, String),
    /// A check constraint of a domain.
    DomainConstraint(QualifiedName, String),
    /// An index of a table or materialized view (`q`); it lives in `q`'s schema.
    Index(QualifiedName, String),
    /// A column of a view or materialized view.
    ViewColumn(QualifiedName, String),
    Table(QualifiedName),
    Column(QualifiedName, String),
    Type(QualifiedName),
    View(QualifiedName),
    MaterializedView(QualifiedName),
    Sequence(QualifiedName),
    /// An aggregate: its argument types as SQL.
    Aggregate {
        schema: String,
        name: String,
        args: String,
    },
    /// A trigger of a table.
    Trigger(QualifiedName, String),
    /// A function or procedure: its input argument types, as `DROP FUNCTION` names them.
    Function {
        schema: String,
        name: String,
        args: String,
        procedure: bool,
    },
}

pub(super) fn step(target: &CommentTarget) -> StepInfo {
    let name = match target {
        CommentTarget::Schema(s) => crate::sql::display_ident(s),
        CommentTarget::Constraint(q, n)
        | CommentTarget::DomainConstraint(q, n)
        | CommentTarget::Index(q, n)
        | CommentTarget::ViewColumn(q, n) => object(q, Some(n)),
        CommentTarget::Table(q)
        | CommentTarget::Type(q)
        | CommentTarget::View(q)
        | CommentTarget::MaterializedView(q)
        | CommentTarget::Sequence(q) => object(q, None),
        CommentTarget::Column(q, c) | CommentTarget::Trigger(q, c) => object(q, Some(c)),
        CommentTarget::Function {
            schema, name, args, ..
        }
        | CommentTarget::Aggregate { schema, name, args } => format!(
            "{}({args})",
            object(&QualifiedName::new(schema.clone(), name.clone()), None)
        ),
    };
    let s = StepInfo::new(StepKind::Comment, name, vec![], Phase::Comment);
    // A constraint or index may be created late (after a function its expression calls):
    // its comment follows it, whatever the phases say.
    match target {
        CommentTarget::Constraint(q, n) => s.after(ObjectId::table(q)).after(ObjectId::part(
            ObjectKind::Constraint,
            &q.schema,
            &q.name,
            n,
        )),
        CommentTarget::DomainConstraint(q, n) => s.after(ObjectId::type_name(q)).after(
            ObjectId::part(ObjectKind::Constraint, &q.schema, &q.name, n),
        ),
        CommentTarget::Index(q, n) => s
            .after(ObjectId::table(q))
            .after(ObjectId::view(q))
            .after(ObjectId::part(ObjectKind::Index, &q.schema, &q.name, n)),
        CommentTarget::ViewColumn(q, _) => s.after(ObjectId::view(q)),
        _ => s,
    }
}

pub(super) fn deviation(target: &CommentTarget) -> String {
    let what = match target {
        CommentTarget::Schema(s) => format!("schema {s}"),
        CommentTarget::Constraint(q, n) => format!("constraint {n} on {q}"),
        CommentTarget::DomainConstraint(q, n) => format!("constraint {n} of domain {q}"),
        CommentTarget::Index(q, n) => format!("index {}.{n} on {q}", q.schema),
        CommentTarget::ViewColumn(q, c) => format!("view column {q}.{c}"),
        CommentTarget::Table(q) => format!("table {q}"),
        CommentTarget::Column(q, c) => format!("column {q}.{c}"),
        CommentTarget::Type(q) => format!("type {q}"),
        CommentTarget::View(q) => format!("view {q}"),
        CommentTarget::MaterializedView(q) => format!("materialized view {q}"),
        CommentTarget::Sequence(q) => format!("sequence {q}"),
        CommentTarget::Trigger(q, n) => format!("trigger {n} on {q}"),
        CommentTarget::Aggregate { schema, name, args } => {
            format!("aggregate {schema}.{name}({args})")
        }
        CommentTarget::Function {
            schema,
            name,
            args,
            procedure,
        } => format!(
            "{} {schema}.{name}({args})",
            if *procedure { "procedure" } else { "function" }
        ),
    };
    format!("different in the database: comment of {what}")
}
