//! PostgreSQL schemas (namespaces): created and dropped.

use super::Change;
use super::step::{Phase, StepInfo, StepKind};
use crate::model::Model;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SchemaChange {
    CreateSchema(String),
    DropSchema(String),
}

impl From<SchemaChange> for Change {
    fn from(c: SchemaChange) -> Change {
        Change::Schema(c)
    }
}

pub(super) fn diff(out: &mut Vec<Change>, from: &Model, to: &Model) {
    for name in to.schemas.keys() {
        // `public` exists in every new database; CREATE SCHEMA would need database-level
        // CREATE privilege even with IF NOT EXISTS.
        if !from.schemas.contains_key(name) && name != "public" {
            out.push(SchemaChange::CreateSchema(name.clone()).into());
        }
    }
    for name in from.schemas.keys() {
        if !to.schemas.contains_key(name) && name != "public" {
            out.push(SchemaChange::DropSchema(name.clone()).into());
        }
    }
    // `COMMENT ON SCHEMA` (a new schema has none; `public` reads as none with
    // PostgreSQL's own comment, see `catalog::PUBLIC_SCHEMA_COMMENT`).
    for (name, s) in &to.schemas {
        let before = from.schemas.get(name).and_then(|o| o.comment.as_ref());
        if before != s.comment.as_ref() {
            out.push(Change::Comment(
                super::CommentTarget::Schema(name.clone()),
                s.comment.clone(),
            ));
        }
    }
}

pub(super) fn step(c: &SchemaChange) -> StepInfo {
    match c {
        SchemaChange::CreateSchema(s) => StepInfo::new(
            StepKind::CreateSchema,
            crate::sql::display_ident(s),
            vec![],
            Phase::CreateSchema,
        ),
        SchemaChange::DropSchema(s) => StepInfo::new(
            StepKind::DropSchema,
            crate::sql::display_ident(s),
            vec![],
            Phase::DropSchema,
        ),
    }
}

/// The difference this change would fix, said of a database compared with its schema.
pub(super) fn deviation(c: &SchemaChange) -> String {
    match c {
        SchemaChange::CreateSchema(s) => format!("extra in the database: schema {s}"),
        SchemaChange::DropSchema(s) => format!("missing from the database: schema {s}"),
    }
}
