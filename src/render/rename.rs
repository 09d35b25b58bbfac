//! SQL of renames.

use crate::model::rename::Rename;
use crate::sql::{quote_ident, quote_in, quote_literal, quote_qualified};

pub(super) fn statement(r: &Rename) -> String {
    match r {
        Rename::Enum { schema, from, to } => format!(
            "ALTER TYPE {} RENAME TO {};",
            quote_in(schema, from),
            quote_ident(to)
        ),
        Rename::EnumValue { name, from, to } => format!(
            "ALTER TYPE {} RENAME VALUE {} TO {};",
            quote_qualified(name),
            quote_literal(from),
            quote_literal(to)
        ),
        Rename::Table { schema, from, to } => format!(
            "ALTER TABLE {} RENAME TO {};",
            quote_in(schema, from),
            quote_ident(to)
        ),
        Rename::Column { table, from, to } => format!(
            "ALTER TABLE {} RENAME COLUMN {} TO {};",
            quote_qualified(table),
            quote_ident(from),
            quote_ident(to)
        ),
        Rename::Constraint { table, from, to } => format!(
            "ALTER TABLE {} RENAME CONSTRAINT {} TO {};",
            quote_qualified(table),
            quote_ident(from),
            quote_ident(to)
        ),
        Rename::Domain { schema, from, to } => format!(
            "ALTER DOMAIN {} RENAME TO {};",
            quote_in(schema, from),
            quote_ident(to)
        ),
        Rename::Composite { schema, from, to } => format!(
            "ALTER TYPE {} RENAME TO {};",
            quote_in(schema, from),
            quote_ident(to)
        ),
        Rename::Index { table, from, to } => format!(
            "ALTER INDEX {} RENAME TO {};",
            quote_in(&table.schema, from),
            quote_ident(to)
        ),
        Rename::Sequence { schema, from, to } => format!(
            "ALTER SEQUENCE {} RENAME TO {};",
            quote_in(schema, from),
            quote_ident(to)
        ),
        Rename::Policy { table, from, to } => format!(
            "ALTER POLICY {} ON {} RENAME TO {};",
            quote_ident(from),
            quote_qualified(table),
            quote_ident(to)
        ),
        Rename::Function {
            schema,
            from,
            to,
            types,
            procedure,
        } => format!(
            "ALTER {} {}({}) RENAME TO {};",
            if *procedure { "PROCEDURE" } else { "FUNCTION" },
            quote_in(schema, from),
            types
                .iter()
                .map(|t| crate::model::function::type_sql(t))
                .collect::<Vec<_>>()
                .join(", "),
            quote_ident(to)
        ),
    }
}
