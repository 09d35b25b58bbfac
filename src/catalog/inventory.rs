//! A flat list of the objects a database holds, for "is anything left?" checks (`verify`'s
//! rollback check and its clean-up of an `--db` database).
//!
//! [`read`] sees more than the model reader: besides schemas, extensions, tables and enums it
//! lists views, materialized views, sequences, foreign tables, composite types, domains,
//! range and base types, functions, procedures and aggregates, whatever created them. It runs
//! one query (one round trip) and leaves out what belongs to something else and goes away with
//! it: objects owned by an extension (`pg_depend` deptype `e`), objects internal to another
//! object (deptype `i`: array types, row types of tables, identity sequences, range
//! constructors), sequences owned by a column (deptype `a`, `serial`), partitions, indexes and
//! TOAST tables. Only dependencies of whole objects count (`objsubid = 0`: the key columns of
//! a partitioned table depend internally on their own table). A stand-alone composite type is listed once, as its `pg_type` row (which owns
//! its `pg_class` row). System schemas (`pg_*`, `information_schema`), the given history
//! schema and everything in it, and `plpgsql` are left out too. Row-level security policies are listed (by table), before
//! tables, so a clean-up drops them first.

use std::fmt;

use crate::sql::quote_ident;

/// What kind of object an [`Object`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Schema,
    Extension,
    /// A row-level security policy (before tables: dropped before the table it is on).
    Policy,
    Table,
    View,
    MaterializedView,
    Sequence,
    ForeignTable,
    CompositeType,
    Enum,
    Domain,
    RangeType,
    Type,
    Function,
    Procedure,
    Aggregate,
}

impl Kind {
    /// The words used in messages (`table`, `materialized view`, …), as the model reader's
    /// deviation messages spell the kinds they share.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Schema => "schema",
            Kind::Extension => "extension",
            Kind::Policy => "policy",
            Kind::Table => "table",
            Kind::View => "view",
            Kind::MaterializedView => "materialized view",
            Kind::Sequence => "sequence",
            Kind::ForeignTable => "foreign table",
            Kind::CompositeType => "composite type",
            Kind::Enum => "enum",
            Kind::Domain => "domain",
            Kind::RangeType => "range type",
            Kind::Type => "type",
            Kind::Function => "function",
            Kind::Procedure => "procedure",
            Kind::Aggregate => "aggregate",
        }
    }

    /// The object type in `DROP <type>`.
    fn drop_keyword(self) -> &'static str {
        match self {
            Kind::Schema => "SCHEMA",
            Kind::Extension => "EXTENSION",
            Kind::Policy => "POLICY",
            Kind::Table => "TABLE",
            Kind::View => "VIEW",
            Kind::MaterializedView => "MATERIALIZED VIEW",
            Kind::Sequence => "SEQUENCE",
            Kind::ForeignTable => "FOREIGN TABLE",
            Kind::CompositeType | Kind::Enum | Kind::RangeType | Kind::Type => "TYPE",
            Kind::Domain => "DOMAIN",
            Kind::Function => "FUNCTION",
            Kind::Procedure => "PROCEDURE",
            Kind::Aggregate => "AGGREGATE",
        }
    }

    /// The code the query returns (column 0).
    fn from_code(code: &str) -> Kind {
        match code {
            "schema" => Kind::Schema,
            "extension" => Kind::Extension,
            "policy" => Kind::Policy,
            "r" | "p" => Kind::Table,
            "v" => Kind::View,
            "m" => Kind::MaterializedView,
            "S" => Kind::Sequence,
            "f" => Kind::ForeignTable,
            "c" => Kind::CompositeType,
            "e" => Kind::Enum,
            "d" => Kind::Domain,
            "range" => Kind::RangeType,
            "proc" => Kind::Procedure,
            "agg" => Kind::Aggregate,
            "func" => Kind::Function,
            _ => Kind::Type,
        }
    }
}

/// One object. Ordered by kind, then schema, then name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Object {
    pub kind: Kind,
    /// The schema it lives in; `None` for schemas and extensions.
    pub schema: Option<String>,
    pub name: String,
    /// Functions, procedures and aggregates: the identity arguments
    /// (`pg_get_function_identity_arguments`), which tell overloads apart.
    pub args: Option<String>,
    /// Policies: the table the policy is on (in `schema`).
    pub table: Option<String>,
}

impl Object {
    /// `DROP … IF EXISTS … CASCADE` for this object; every identifier quoted.
    pub fn drop_sql(&self) -> String {
        if let (Kind::Policy, Some(s), Some(t)) = (self.kind, &self.schema, &self.table) {
            return format!(
                "DROP POLICY IF EXISTS {} ON {}.{};",
                quote_ident(&self.name),
                quote_ident(s),
                quote_ident(t)
            );
        }
        let mut target = match &self.schema {
            Some(s) => format!("{}.{}", quote_ident(s), quote_ident(&self.name)),
            None => quote_ident(&self.name),
        };
        if let Some(args) = &self.args {
            // Printed by PostgreSQL itself from the catalog: valid SQL for this position.
            target.push_str(&format!("({args})"));
        }
        format!(
            "DROP {} IF EXISTS {target} CASCADE;",
            self.kind.drop_keyword()
        )
    }
}

impl fmt::Display for Object {
    /// `table public.orders`, `schema billing`, `function public.f(integer)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.kind.label())?;
        if let (Some(s), Some(t)) = (&self.schema, &self.table) {
            return write!(f, "{} on {s}.{t}", self.name);
        }
        if let Some(s) = &self.schema {
            write!(f, "{s}.")?;
        }
        write!(f, "{}", self.name)?;
        if let Some(args) = &self.args {
            write!(f, "({args})")?;
        }
        Ok(())
    }
}

/// Schemas, extensions, relations, types and routines; `$1` is the history schema to leave
/// out. Column 0 is a kind code ([`Kind::from_code`]), then schema, name, arguments.
const INVENTORY: &str = r"
WITH nsp AS (
    SELECT n.oid, n.nspname
    FROM pg_catalog.pg_namespace n
    WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
      AND n.nspname <> $1
)
SELECT 'schema'::text, NULL::text, n.nspname::text, NULL::text
FROM nsp n
UNION ALL
SELECT 'extension', NULL, e.extname::text, NULL
FROM pg_catalog.pg_extension e
WHERE e.extname <> 'plpgsql'
UNION ALL
SELECT c.relkind::text, n.nspname::text, c.relname::text, NULL
FROM pg_catalog.pg_class c
JOIN nsp n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND NOT c.relispartition
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                    AND d.objid = c.oid AND d.objsubid = 0 AND d.deptype IN ('e', 'i', 'a'))
UNION ALL
SELECT CASE t.typtype WHEN 'e' THEN 'e' WHEN 'd' THEN 'd' WHEN 'r' THEN 'range'
                     WHEN 'c' THEN 'c' ELSE 'type' END,
       n.nspname::text, t.typname::text, NULL
FROM pg_catalog.pg_type t
JOIN nsp n ON n.oid = t.typnamespace
WHERE (t.typtype IN ('b', 'd', 'e', 'r', 'p') AND t.typrelid = 0
       OR t.typtype = 'c' AND EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                                      WHERE c.oid = t.typrelid AND c.relkind = 'c'))
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type a WHERE a.typarray = t.oid)
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_type'::pg_catalog.regclass
                    AND d.objid = t.oid AND d.objsubid = 0 AND d.deptype IN ('e', 'i'))
UNION ALL
SELECT CASE p.prokind WHEN 'p' THEN 'proc' WHEN 'a' THEN 'agg' ELSE 'func' END,
       n.nspname::text, p.proname::text,
       pg_catalog.pg_get_function_identity_arguments(p.oid)
FROM pg_catalog.pg_proc p
JOIN nsp n ON n.oid = p.pronamespace
WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
                    AND d.objid = p.oid AND d.objsubid = 0 AND d.deptype IN ('e', 'i'))
UNION ALL
SELECT 'policy', n.nspname::text, pol.polname::text, c.relname::text
FROM pg_catalog.pg_policy pol
JOIN pg_catalog.pg_class c ON c.oid = pol.polrelid
JOIN nsp n ON n.oid = c.relnamespace";

/// Every object of the database outside the system schemas and `history_schema`, sorted.
pub fn read(
    client: &mut postgres::Client,
    history_schema: &str,
) -> Result<Vec<Object>, postgres::Error> {
    let rows = client.query(INVENTORY, &[&history_schema])?;
    let mut out: Vec<Object> = rows
        .iter()
        .map(|r| {
            let kind = Kind::from_code(r.get(0));
            // A policy's fourth column is its table.
            let (args, table) = if kind == Kind::Policy {
                (None, r.get(3))
            } else {
                (r.get(3), None)
            };
            Object {
                kind,
                schema: r.get(1),
                name: r.get(2),
                args,
                table,
            }
        })
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_drop_quote_every_identifier() {
        let f = Object {
            kind: Kind::Function,
            schema: Some("we\"ird".into()),
            name: "f".into(),
            args: Some("integer, text".into()),
            table: None,
        };
        assert_eq!(f.to_string(), "function we\"ird.f(integer, text)");
        assert_eq!(
            f.drop_sql(),
            "DROP FUNCTION IF EXISTS \"we\"\"ird\".\"f\"(integer, text) CASCADE;"
        );
        let s = Object {
            kind: Kind::Schema,
            schema: None,
            name: "billing".into(),
            args: None,
            table: None,
        };
        assert_eq!(s.to_string(), "schema billing");
        assert_eq!(s.drop_sql(), "DROP SCHEMA IF EXISTS \"billing\" CASCADE;");
        assert_eq!(Kind::from_code("d").drop_keyword(), "DOMAIN");
        assert_eq!(Kind::from_code("c").label(), "composite type");
    }
}
