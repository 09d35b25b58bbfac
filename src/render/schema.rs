//! SQL of schema changes.

use crate::diff::SchemaChange;
use crate::sql::quote_ident;

pub(super) fn statement(c: &SchemaChange) -> String {
    match c {
        SchemaChange::CreateSchema(s) => format!("CREATE SCHEMA {};", quote_ident(s)),
        // RESTRICT (the default): fails rather than silently dropping what still uses it.
        SchemaChange::DropSchema(s) => format!("DROP SCHEMA {};", quote_ident(s)),
    }
}
