//! Renames as steps. Declared renames (`renamed_from`, `renamed_values`) and those that
//! follow from them are found by `model::rename` and `table::derived_renames`; here they
//! get their hazards and their place: a rename onto a name that another rename of the same
//! migration frees goes after it (a chain: `b_pkey` → `c_pkey` before `a_pkey` → `b_pkey`),
//! and a constraint or index rename after the rename of its table.

use super::step::{Effect, Hazard, Phase, StepInfo, StepKind, object};
use crate::model::id::{ObjectId, ObjectKind};
use crate::model::rename::Rename;

/// A name in a schema's relation namespace (tables, indexes, sequences; constraint names
/// too, since primary keys and uniques name their index).
pub(super) fn relation_name(schema: &str, name: &str) -> ObjectId {
    ObjectId::new(ObjectKind::RelationName, schema, name)
}

/// The step of a relation rename: frees `from`, takes `to`.
pub(super) fn relation_rename(
    kind: StepKind,
    object: String,
    hazards: Vec<Hazard>,
    schema: &str,
    from: &str,
    to: &str,
) -> StepInfo {
    StepInfo::new(kind, object, hazards, Phase::Rename)
        .effect(relation_name(schema, from), Effect::Drop)
        .effect(relation_name(schema, to), Effect::Create)
}

/// Clients using the old name of a table, column, type or value break; constraint and
/// index names are not used by queries.
pub(super) fn step(r: &Rename) -> StepInfo {
    match r {
        Rename::Enum { schema, to, .. } => StepInfo::new(
            StepKind::RenameEnum,
            crate::sql::display_path(&[schema, to]),
            vec![Hazard::BreaksClients],
            Phase::RenameType,
        ),
        Rename::Domain { schema, from, to } | Rename::Composite { schema, from, to } => {
            StepInfo::new(
                if matches!(r, Rename::Domain { .. }) {
                    StepKind::RenameDomain
                } else {
                    StepKind::RenameCompositeType
                },
                crate::sql::display_path(&[schema, to]),
                vec![Hazard::BreaksClients],
                Phase::RenameType,
            )
            .effect(
                ObjectId::new(ObjectKind::TypeName, schema, from),
                Effect::Drop,
            )
            .effect(
                ObjectId::new(ObjectKind::TypeName, schema, to),
                Effect::Create,
            )
        }
        Rename::EnumValue { name, to, .. } => StepInfo::new(
            StepKind::RenameEnumValue,
            object(name, Some(to)),
            vec![Hazard::BreaksClients],
            Phase::RenameType,
        ),
        Rename::Table { schema, from, to } => relation_rename(
            StepKind::RenameTable,
            crate::sql::display_path(&[schema, to]),
            vec![Hazard::BreaksClients],
            schema,
            from,
            to,
        )
        .effect(ObjectId::new(ObjectKind::Table, schema, to), Effect::Create),
        Rename::Column { table, to, .. } => StepInfo::new(
            StepKind::RenameColumn,
            object(table, Some(to)),
            vec![Hazard::BreaksClients],
            Phase::Rename,
        ),
        Rename::Constraint { table, from, to } => relation_rename(
            StepKind::RenameConstraint,
            object(table, Some(to)),
            vec![],
            &table.schema,
            from,
            to,
        )
        .after(ObjectId::table(table)),
        Rename::Index { table, from, to } => relation_rename(
            StepKind::RenameIndex,
            object(table, Some(to)),
            vec![],
            &table.schema,
            from,
            to,
        )
        .after(ObjectId::table(table)),
        Rename::Sequence { schema, from, to } => relation_rename(
            StepKind::RenameSequence,
            crate::sql::display_path(&[schema, to]),
            vec![Hazard::BreaksClients],
            schema,
            from,
            to,
        )
        .effect(
            ObjectId::new(ObjectKind::Sequence, schema, to),
            Effect::Create,
        ),
        // A new policy may take the old name: its creation waits for the rename.
        Rename::Policy { table, from, to } => StepInfo::new(
            StepKind::RenamePolicy,
            object(table, Some(to)),
            vec![],
            Phase::Rename,
        )
        .effect(
            ObjectId::part(ObjectKind::Policy, &table.schema, &table.name, from),
            Effect::Drop,
        )
        .effect(
            ObjectId::part(ObjectKind::Policy, &table.schema, &table.name, to),
            Effect::Create,
        )
        .after(ObjectId::table(table)),
        // Callers hold its oid; clients calling it by the old name break. A routine created
        // under the old name (another one) waits for the rename.
        Rename::Function {
            schema,
            from,
            to,
            types,
            procedure,
        } => {
            let args = types.join(", ");
            StepInfo::new(
                if *procedure {
                    StepKind::RenameProcedure
                } else {
                    StepKind::RenameFunction
                },
                format!("{}({args})", crate::sql::display_path(&[schema, to])),
                vec![Hazard::BreaksClients],
                Phase::Rename,
            )
            .effect(
                ObjectId::new(ObjectKind::Function, schema, &format!("{from}({args})")),
                Effect::Drop,
            )
            .effect(
                ObjectId::new(ObjectKind::Function, schema, &format!("{to}({args})")),
                Effect::Create,
            )
            .effect(super::function::name_id(from), Effect::Drop)
            .effect(super::function::name_id(to), Effect::Create)
        }
    }
}
