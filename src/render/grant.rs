//! `GRANT`/`REVOKE`: privileges always listed (never `ALL`, whose meaning differs between
//! PostgreSQL versions), roles quoted, PUBLIC as the keyword.

use crate::diff::grant::{GrantChange, GrantTarget};
use crate::model::function::type_sql;
use crate::model::grant::{GrantKind, PUBLIC};
use crate::sql::{quote_ident, quote_qualified};

pub fn statement(c: &GrantChange) -> String {
    match c {
        GrantChange::Default {
            schema,
            for_role,
            class,
            role,
            privileges,
            revoke,
        } => {
            let list: Vec<String> = privileges.iter().map(|p| p.to_ascii_uppercase()).collect();
            let (verb, to) = if *revoke {
                ("REVOKE", "FROM")
            } else {
                ("GRANT", "TO")
            };
            format!(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} {verb} {} ON {} {to} {};",
                quote_ident(for_role),
                quote_ident(schema),
                list.join(", "),
                class.to_ascii_uppercase(),
                grantee(role)
            )
        }
        GrantChange::Grant {
            target,
            role,
            privileges,
        } => format!("GRANT {} TO {};", on(target, privileges), grantee(role)),
        GrantChange::Revoke {
            target,
            role,
            privileges,
            ..
        } => format!("REVOKE {} FROM {};", on(target, privileges), grantee(role)),
    }
}

/// `PUBLIC` or the quoted role name.
pub fn grantee(role: &str) -> String {
    if role == PUBLIC {
        "PUBLIC".to_string()
    } else {
        quote_ident(role)
    }
}

fn on(t: &GrantTarget, privileges: &[String]) -> String {
    let mut list: Vec<String> = privileges.iter().map(|p| p.to_ascii_uppercase()).collect();
    if let Some(c) = &t.column {
        for p in &mut list {
            p.push_str(&format!(" ({})", quote_ident(c)));
        }
    }
    let object = match (t.kind, &t.signature) {
        (GrantKind::Schema, _) => quote_ident(&t.name.name),
        (_, Some(sig)) => {
            let types: Vec<String> = sig.types.iter().map(|t| type_sql(t)).collect();
            format!("{}({})", quote_qualified(&t.name), types.join(", "))
        }
        _ => quote_qualified(&t.name),
    };
    let keyword = match &t.signature {
        Some(sig) if sig.procedure => "PROCEDURE",
        _ => t.kind.keyword(),
    };
    format!("{} ON {keyword} {object}", list.join(", "))
}
