//! Render changes as PostgreSQL DDL, one module per object kind. Every identifier is
//! quoted; user strings only ever appear as quoted literals; expressions are emitted as the
//! user wrote them (they were parsed at compile time).

mod aggregate;
mod comment;
mod composite;
mod domain;
mod enum_type;
mod extension;
mod function;
pub mod grant;
mod partition;
mod policy;
mod rename;
mod schema;
mod sequence;
mod table;
mod trigger;
mod view;

use crate::diff::Change;
use crate::model::{BaseType, DataType};
use crate::sql::{quote_ident, quote_qualified};

/// One statement (or a few, for changes PostgreSQL makes in several), terminated by `;`.
/// A new object kind registers its module here.
pub fn statement(c: &Change) -> String {
    match c {
        Change::Rename(r) => rename::statement(r),
        Change::Schema(c) => schema::statement(c),
        Change::Extension(c) => extension::statement(c),
        Change::Enum(c) => enum_type::statement(c),
        Change::Table(c) => table::statement(c),
        Change::View(c) => view::statement(c),
        Change::Sequence(c) => sequence::statement(c),
        Change::Partition(c) => partition::statement(c),
        Change::Domain(c) => domain::statement(c),
        Change::Composite(c) => composite::statement(c),
        Change::Function(c) => function::statement(c),
        Change::Trigger(c) => trigger::statement(c),
        Change::Aggregate(c) => aggregate::statement(c),
        Change::Policy(c) => policy::statement(c),
        Change::Comment(target, text) => comment::statement(target, text.as_deref()),
        Change::Grant(c) => grant::statement(c),
        // Never rendered: `plan` keeps these out of the steps.
        Change::Unsupported(what) => format!("-- not planned: {what}"),
    }
}

pub(crate) fn idents(names: &[String]) -> String {
    names
        .iter()
        .map(|n| quote_ident(n))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A column as it appears in `CREATE TABLE` (`"id" integer NOT NULL DEFAULT 0`).
pub fn column_definition(c: &crate::model::Column) -> String {
    table::column_definition(c)
}

/// SQL for a column type.
pub fn data_type(t: &DataType) -> String {
    let mut s = match &t.base {
        BaseType::Builtin(b) => b.clone(),
        BaseType::Enum(q) | BaseType::Domain(q) | BaseType::Composite(q) => quote_qualified(q),
        BaseType::Custom(c) => c.clone(),
    };
    if t.array {
        s.push_str("[]");
    }
    s
}

/// A default expression as it follows `DEFAULT` (parenthesised unless a single term).
pub(crate) fn default_sql(e: &crate::model::Expr) -> String {
    if e.needs_parens_as_default() {
        format!("({})", e.sql())
    } else {
        e.sql().to_string()
    }
}
