//! SQL of enum type changes.

use std::fmt::Write;

use super::default_sql;
use crate::diff::{EnumChange, EnumColumn, EnumPosition};
use crate::model::QualifiedName;
use crate::sql::{quote_ident, quote_in, quote_literal, quote_qualified};

pub(super) fn statement(c: &EnumChange) -> String {
    match c {
        EnumChange::CreateEnum(q, e) => {
            let values: Vec<String> = e.values.iter().map(|v| quote_literal(v)).collect();
            format!(
                "CREATE TYPE {} AS ENUM ({});",
                quote_qualified(q),
                values.join(", ")
            )
        }
        EnumChange::RecreateEnum {
            name,
            values,
            columns,
            ..
        } => recreate_enum(name, values, columns),
        EnumChange::AddEnumValue {
            name,
            value,
            position,
        } => {
            let mut s = format!(
                "ALTER TYPE {} ADD VALUE IF NOT EXISTS {}",
                quote_qualified(name),
                quote_literal(value)
            );
            match position {
                Some(EnumPosition::Before(v)) => {
                    let _ = write!(s, " BEFORE {}", quote_literal(v));
                }
                Some(EnumPosition::After(v)) => {
                    let _ = write!(s, " AFTER {}", quote_literal(v));
                }
                None => {}
            }
            s.push(';');
            s
        }
        EnumChange::DropEnum(q) => {
            format!("DROP TYPE {};", quote_qualified(q))
        }
    }
}

/// The old type is renamed out of the way, the new one created under the name, every column
/// converted through text (defaults dropped around it: they cannot be cast), then the old
/// type dropped. A value no longer in the type makes the conversion fail, rolling back.
fn recreate_enum(name: &QualifiedName, values: &[String], columns: &[EnumColumn]) -> String {
    // Keep the temporary name within 63 bytes (on a character boundary).
    const SUFFIX: &str = "__schemactl_old";
    let mut keep = name
        .name
        .len()
        .min(crate::sql::MAX_IDENT_BYTES - SUFFIX.len());
    while !name.name.is_char_boundary(keep) {
        keep -= 1;
    }
    let old = format!("{}{SUFFIX}", &name.name[..keep]);
    let mut s = format!(
        "ALTER TYPE {} RENAME TO {};\n",
        quote_qualified(name),
        quote_ident(&old)
    );
    let labels: Vec<String> = values.iter().map(|v| quote_literal(v)).collect();
    let _ = writeln!(
        s,
        "CREATE TYPE {} AS ENUM ({});",
        quote_qualified(name),
        labels.join(", ")
    );
    let ty = quote_qualified(name);
    for c in columns {
        let col = quote_ident(&c.column);
        let mut actions = Vec::new();
        if c.had_default {
            actions.push(format!("ALTER COLUMN {col} DROP DEFAULT"));
        }
        let (array, text) = if c.array {
            ("[]", "text[]")
        } else {
            ("", "text")
        };
        actions.push(if c.to_text {
            format!("ALTER COLUMN {col} TYPE {text} USING {col}::{text}")
        } else {
            format!("ALTER COLUMN {col} TYPE {ty}{array} USING {col}::{text}::{ty}{array}")
        });
        if let Some(e) = &c.default {
            actions.push(format!("ALTER COLUMN {col} SET DEFAULT {}", default_sql(e)));
        }
        let _ = writeln!(
            s,
            "ALTER TABLE {} {};",
            quote_qualified(&c.table),
            actions.join(", ")
        );
    }
    let _ = write!(s, "DROP TYPE {};", quote_in(&name.schema, &old));
    s
}
