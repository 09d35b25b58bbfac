//! Extensions: created (optionally in a schema) and dropped.

use super::Change;
use super::step::{Hazard, Phase, StepInfo, StepKind};
use crate::model::{BaseType, Extension, Model};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExtensionChange {
    CreateExtension(String, Extension),
    DropExtension(String),
}

impl From<ExtensionChange> for Change {
    fn from(c: ExtensionChange) -> Change {
        Change::Extension(c)
    }
}

pub(super) fn diff(out: &mut Vec<Change>, from: &Model, to: &Model) {
    for (name, ext) in &to.extensions {
        match from.extensions.get(name) {
            None => out.push(ExtensionChange::CreateExtension(name.clone(), ext.clone()).into()),
            // A schema of `None` means "wherever PostgreSQL put it" (the compiler stores
            // `None` unless the user wrote one; the catalog reader always knows it).
            Some(old) if old.schema.is_some() && ext.schema.is_some() && old != ext => out.push(
                Change::Unsupported(format!("move extension `{name}` to another schema")),
            ),
            Some(_) => {}
        }
    }
    for name in from.extensions.keys() {
        if to.extensions.contains_key(name) {
            continue;
        }
        // The model does not know which types an extension brings; a column of a type named
        // like the extension (`citext`, `hstore`, `ltree`) surely uses it, and PostgreSQL
        // would refuse the drop.
        let user = to.tables().find_map(|(q, t)| {
            t.columns
                .iter()
                .find(|c| matches!(&c.data_type.base, BaseType::Custom(ty) if ty == name))
                .map(|c| format!("{q}.{}", c.name))
        });
        out.push(match user {
            Some(column) => Change::Unsupported(format!(
                "drop extension `{name}` while column {column} still uses its type (change or drop the column first)"
            )),
            None => ExtensionChange::DropExtension(name.clone()).into(),
        });
    }
}

pub(super) fn step(c: &ExtensionChange) -> StepInfo {
    match c {
        ExtensionChange::CreateExtension(n, _) => StepInfo::new(
            StepKind::CreateExtension,
            crate::sql::display_ident(n),
            vec![],
            Phase::CreateExtension,
        ),
        ExtensionChange::DropExtension(e) => StepInfo::new(
            StepKind::DropExtension,
            crate::sql::display_ident(e),
            vec![Hazard::BreaksClients],
            Phase::DropExtension,
        ),
    }
}

pub(super) fn deviation(c: &ExtensionChange) -> String {
    match c {
        ExtensionChange::CreateExtension(e, _) => format!("extra in the database: extension {e}"),
        ExtensionChange::DropExtension(e) => format!("missing from the database: extension {e}"),
    }
}
