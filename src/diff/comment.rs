//! Comments (`COMMENT ON … IS …`) of any object; `None` removes one. A new object kind
//! registers its target here.

use super::step::{Phase, StepInfo, StepKind, object};
use crate::model::QualifiedName;

/// What a comment is attached to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommentTarget {
    Table(QualifiedName),
    Column(QualifiedName, String),
    Type(QualifiedName),
    View(QualifiedName),
    MaterializedView(QualifiedName),
    Sequence(QualifiedName),
}

pub(super) fn step(target: &CommentTarget) -> StepInfo {
    let name = match target {
        CommentTarget::Table(q)
        | CommentTarget::Type(q)
        | CommentTarget::View(q)
        | CommentTarget::MaterializedView(q)
        | CommentTarget::Sequence(q) => object(q, None),
        CommentTarget::Column(q, c) => object(q, Some(c)),
    };
    StepInfo::new(StepKind::Comment, name, vec![], Phase::Comment)
}

pub(super) fn deviation(_: &CommentTarget) -> String {
    "different comment in the database".to_string()
}
