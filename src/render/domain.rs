//! SQL of domain changes.

use std::fmt::Write;

use super::{data_type, default_sql};
use crate::diff::DomainChange;
use crate::model::{Domain, QualifiedName};
use crate::sql::{quote_ident, quote_qualified};

fn create(q: &QualifiedName, d: &Domain) -> String {
    let mut s = format!(
        "CREATE DOMAIN {} AS {}",
        quote_qualified(q),
        data_type(&d.data_type)
    );
    if let Some(c) = &d.collation {
        let _ = write!(s, " COLLATE {}", quote_ident(c));
    }
    if let Some(e) = &d.default {
        let _ = write!(s, " DEFAULT {}", default_sql(e));
    }
    if d.not_null {
        s.push_str(" NOT NULL");
    }
    for (n, c) in &d.checks {
        let _ = write!(s, " CONSTRAINT {} CHECK ({})", quote_ident(n), c.expr.sql());
    }
    s.push(';');
    s
}

pub(super) fn statement(c: &DomainChange) -> String {
    match c {
        DomainChange::CreateDomain(q, d) => create(q, d),
        DomainChange::RecreateDomain(q, d) => {
            format!("DROP DOMAIN {};\n{}", quote_qualified(q), create(q, d))
        }
        DomainChange::DropDomain(q, _) => format!("DROP DOMAIN {};", quote_qualified(q)),
        DomainChange::SetDefault(q, Some(e)) => format!(
            "ALTER DOMAIN {} SET DEFAULT {};",
            quote_qualified(q),
            default_sql(e)
        ),
        DomainChange::SetDefault(q, None) => {
            format!("ALTER DOMAIN {} DROP DEFAULT;", quote_qualified(q))
        }
        DomainChange::SetNotNull(q, true) => {
            format!("ALTER DOMAIN {} SET NOT NULL;", quote_qualified(q))
        }
        DomainChange::SetNotNull(q, false) => {
            format!("ALTER DOMAIN {} DROP NOT NULL;", quote_qualified(q))
        }
        DomainChange::AddCheck(q, n, e) => format!(
            "ALTER DOMAIN {} ADD CONSTRAINT {} CHECK ({});",
            quote_qualified(q),
            quote_ident(n),
            e.sql()
        ),
        DomainChange::DropCheck(q, n) => format!(
            "ALTER DOMAIN {} DROP CONSTRAINT {};",
            quote_qualified(q),
            quote_ident(n)
        ),
    }
}
