//! SQL of extension changes.

use std::fmt::Write;

use crate::diff::ExtensionChange;
use crate::sql::quote_ident;

pub(super) fn statement(c: &ExtensionChange) -> String {
    match c {
        ExtensionChange::CreateExtension(name, ext) => {
            let mut s = format!("CREATE EXTENSION IF NOT EXISTS {}", quote_ident(name));
            if let Some(schema) = &ext.schema {
                let _ = write!(s, " WITH SCHEMA {}", quote_ident(schema));
            }
            s.push(';');
            s
        }
        ExtensionChange::DropExtension(e) => format!("DROP EXTENSION {};", quote_ident(e)),
    }
}
