//! SQL of composite type changes.

use super::data_type;
use crate::diff::CompositeChange;
use crate::model::Attribute;
use crate::sql::{quote_ident, quote_qualified};

/// `name type [COLLATE c]`.
fn attribute(a: &Attribute) -> String {
    let mut s = format!("{} {}", quote_ident(&a.name), data_type(&a.data_type));
    if let Some(c) = &a.collation {
        s.push_str(" COLLATE ");
        s.push_str(&quote_ident(c));
    }
    s
}

pub(super) fn statement(c: &CompositeChange) -> String {
    match c {
        CompositeChange::CreateType(q, t) => {
            let attrs: Vec<String> = t.attributes.iter().map(attribute).collect();
            format!(
                "CREATE TYPE {} AS ({});",
                quote_qualified(q),
                attrs.join(", ")
            )
        }
        CompositeChange::DropType(q, _) => format!("DROP TYPE {};", quote_qualified(q)),
        CompositeChange::AddAttributes(q, attrs) => {
            let adds: Vec<String> = attrs
                .iter()
                .map(|a| format!("ADD ATTRIBUTE {}", attribute(a)))
                .collect();
            format!("ALTER TYPE {} {};", quote_qualified(q), adds.join(", "))
        }
        CompositeChange::DropAttribute {
            name, attribute, ..
        } => format!(
            "ALTER TYPE {} DROP ATTRIBUTE {};",
            quote_qualified(name),
            quote_ident(attribute)
        ),
        CompositeChange::AlterAttribute(q, a) => {
            let mut s = format!(
                "ALTER TYPE {} ALTER ATTRIBUTE {} TYPE {}",
                quote_qualified(q),
                quote_ident(&a.name),
                data_type(&a.data_type)
            );
            if let Some(c) = &a.collation {
                s.push_str(" COLLATE ");
                s.push_str(&quote_ident(c));
            }
            s.push(';');
            s
        }
    }
}
