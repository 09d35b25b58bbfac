//! The canonical model of a PostgreSQL schema: what `compile` produces from TOML, what the
//! catalog reader produces from a live database, and what `diff` compares.
//!
//! Invariants: every name is final (PostgreSQL's default names already chosen), every type is
//! spelled as `format_type()` prints it, every expression carries a normalised form, and all
//! collections are ordered so that iteration (and therefore output) is deterministic.

pub mod aggregate;
pub mod expr;
pub mod function;
pub mod grant;
pub mod id;
pub mod ignore;
pub mod partition;
pub mod policy;
pub mod rename;
pub mod sequence;
pub mod snapshot;
pub mod trigger;
pub mod view;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

pub use expr::Expr;
pub use partition::{
    BoundValue, PartitionBound, PartitionBy, PartitionKey, PartitionOf, PartitionStrategy,
};
pub use policy::{Policy, PolicyCommand};
pub use view::View;

/// A schema-qualified object name. Ordered by schema, then name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct QualifiedName {
    pub schema: String,
    pub name: String,
}

impl QualifiedName {
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> Self {
        QualifiedName {
            schema: schema.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for QualifiedName {
    /// Human-readable form for messages (`public.members`); SQL uses `render::qualified`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.schema, self.name)
    }
}

/// The whole desired (or observed) state of the managed part of a database.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Model {
    /// Extensions by name (database-wide objects).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extensions: BTreeMap<String, Extension>,
    /// Managed PostgreSQL schemas by name, each holding its enums and tables.
    #[serde(default)]
    pub schemas: BTreeMap<String, Schema>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Extension {
    /// `WITH SCHEMA`; `None` leaves PostgreSQL's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    /// `COMMENT ON SCHEMA` (`schema_comment` of a schema file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub enums: BTreeMap<String, EnumType>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tables: BTreeMap<String, Table>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub views: BTreeMap<String, View>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub materialized_views: BTreeMap<String, View>,
    /// Sequences that are objects of their own (not a serial column's), by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sequences: BTreeMap<String, sequence::Sequence>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub domains: BTreeMap<String, Domain>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub composite_types: BTreeMap<String, CompositeType>,
    /// Functions and procedures by identity (`name(type, …)`, see `model::function`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub functions: BTreeMap<String, function::Function>,
    /// Aggregates by identity (`name(type, …)`, see `model::aggregate`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub aggregates: BTreeMap<String, aggregate::Aggregate>,
    /// Privileges, when the project manages them (`model::grant`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grants: Option<Box<grant::Grants>>,
    /// Default privileges in this schema, when the project manages them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_privileges: Option<Box<grant::DefaultPrivileges>>,
}

impl Schema {
    /// Add the objects of `other` (a snapshot read one object at a time): a new kind is one
    /// more line here.
    pub(crate) fn absorb(&mut self, other: Schema) {
        self.enums.extend(other.enums);
        self.tables.extend(other.tables);
        self.views.extend(other.views);
        self.materialized_views.extend(other.materialized_views);
        self.sequences.extend(other.sequences);
        self.domains.extend(other.domains);
        self.composite_types.extend(other.composite_types);
        self.functions.extend(other.functions);
        self.aggregates.extend(other.aggregates);
        if other.comment.is_some() {
            self.comment = other.comment;
        }
        if other.grants.is_some() {
            self.grants = other.grants;
        }
        if other.default_privileges.is_some() {
            self.default_privileges = other.default_privileges;
        }
    }
}

/// `CREATE DOMAIN`: a base type with an optional collation, default, NOT NULL and named
/// checks (`VALUE` names the value being checked).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Domain {
    #[serde(rename = "type")]
    pub data_type: DataType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Expr>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub not_null: bool,
    /// Check constraints by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub checks: BTreeMap<String, Check>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Privileges, when the project manages them (`model::grant`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grants: Option<Box<grant::Grants>>,
}

impl Domain {
    /// The literals its checks compare `VALUE` with, normalised for a built-in base type (as
    /// [`Table::type_literals`] does for columns).
    pub fn type_literals(&mut self) {
        for c in self.checks.values_mut() {
            c.expr = Domain::typed_check(&self.data_type, c.expr.clone());
        }
    }

    /// Check `e` of a domain over `base` with its literals normalised for the base type.
    pub fn typed_check(base: &DataType, e: Expr) -> Expr {
        match (&base.base, base.array) {
            (BaseType::Builtin(ty), false) => {
                let types: BTreeMap<String, String> = [("value".to_string(), ty.clone())].into();
                e.with_column_types(&types)
            }
            _ => e,
        }
    }
}

/// `CREATE TYPE … AS (…)`: attributes in order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompositeType {
    pub attributes: Vec<Attribute>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Privileges, when the project manages them (`model::grant`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grants: Option<Box<grant::Grants>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attribute {
    pub name: String,
    #[serde(rename = "type")]
    pub data_type: DataType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
}

impl CompositeType {
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumType {
    /// Labels in sort order.
    pub values: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Privileges, when the project manages them (`model::grant`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grants: Option<Box<grant::Grants>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Columns in table order.
    pub columns: Vec<Column>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_key: Option<PrimaryKey>,
    /// Unique constraints by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub uniques: BTreeMap<String, Unique>,
    /// Check constraints by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub checks: BTreeMap<String, Check>,
    /// Indexes (not those backing a primary key or unique constraint) by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub indexes: BTreeMap<String, Index>,
    /// Foreign keys by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub foreign_keys: BTreeMap<String, ForeignKey>,
    /// Exclusion constraints by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub exclusions: BTreeMap<String, Exclusion>,
    /// `PARTITION BY …`: a partitioned table. (Boxed, as `partition_of`: most tables have
    /// neither, and a table is carried by value in changes.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_by: Option<Box<PartitionBy>>,
    /// `PARTITION OF …`: a partition, whose columns are its parent's (`columns` is empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_of: Option<Box<PartitionOf>>,
    /// Triggers by name (`model::trigger`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub triggers: BTreeMap<String, trigger::Trigger>,
    /// `ENABLE ROW LEVEL SECURITY`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub row_level_security: bool,
    /// `FORCE ROW LEVEL SECURITY` (the owner is subject to the policies too).
    #[serde(default, skip_serializing_if = "is_false")]
    pub force_row_level_security: bool,
    /// Row-level security policies by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub policies: BTreeMap<String, Policy>,
    /// Privileges, when the project manages them (`model::grant`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grants: Option<Box<grant::Grants>>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Built-in, non-array column types by column name: what literals compared with these
    /// columns are normalised for ([`Expr::with_column_types`]).
    fn literal_types(&self) -> BTreeMap<String, String> {
        self.columns
            .iter()
            .filter_map(|c| match (&c.data_type.base, c.data_type.array) {
                (BaseType::Builtin(ty), false) => Some((c.name.clone(), ty.clone())),
                _ => None,
            })
            .collect()
    }

    /// `e` (a check, index key expression or predicate of this table) with the literals it
    /// compares with this table's columns normalised for their types.
    pub fn typed_expr(&self, e: Expr) -> Expr {
        e.with_column_types(&self.literal_types())
    }

    /// [`Table::typed_expr`] for every check, index key expression and predicate, after
    /// they were parsed without the table (snapshot, catalog) or rewritten (renames).
    pub fn type_literals(&mut self) {
        let types = self.literal_types();
        self.type_literals_with(&types);
    }

    /// [`Table::type_literals`] with the column types given (a partition's are its root's).
    fn type_literals_with(&mut self, types: &BTreeMap<String, String>) {
        let retype = |e: &mut Expr| *e = e.clone().with_column_types(types);
        for c in self.checks.values_mut() {
            retype(&mut c.expr);
        }
        for p in self.policies.values_mut() {
            for e in p.using.iter_mut().chain(p.with_check.iter_mut()) {
                retype(e);
            }
        }
        for i in self.indexes.values_mut() {
            for e in i.keys.iter_mut().filter_map(|k| k.expr.as_mut()) {
                retype(e);
            }
            if let Some(p) = &mut i.predicate {
                retype(p);
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub data_type: DataType,
    #[serde(default, skip_serializing_if = "is_false")]
    pub nullable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<ColumnDefault>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
    /// An identity column's sequence options, in the canonical form of `model::sequence`
    /// (its `type` the column's; no owner, comment or grants); None when every option is
    /// PostgreSQL's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_options: Option<Box<sequence::Sequence>>,
    /// `GENERATED ALWAYS AS (…) STORED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated: Option<Expr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Privileges, when the project manages them (`model::grant`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grants: Option<Box<grant::Grants>>,
}

pub(crate) fn is_false(b: &bool) -> bool {
    !*b
}

/// A column type. Serialised in snapshots as one string: a built-in type as `format_type()`
/// prints it (`numeric(10,2)`), `enum:schema.name`, or `sql:…` for a pass-through type; `[]`
/// appended for arrays.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DataType {
    pub base: BaseType,
    pub array: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BaseType {
    /// A built-in type, spelled exactly as `format_type()` prints it.
    Builtin(String),
    /// An enum type of the model.
    Enum(QualifiedName),
    /// `type_sql`: passed through verbatim, compared as written.
    Custom(String),
    /// A domain of the model.
    Domain(QualifiedName),
    /// A composite type of the model.
    Composite(QualifiedName),
}

impl BaseType {
    /// The user-defined type of the model this names (enum, domain or composite).
    pub fn user_type(&self) -> Option<&QualifiedName> {
        match self {
            BaseType::Enum(q) | BaseType::Domain(q) | BaseType::Composite(q) => Some(q),
            BaseType::Builtin(_) | BaseType::Custom(_) => None,
        }
    }
}

impl DataType {
    pub fn builtin(spelling: &str) -> DataType {
        DataType {
            base: BaseType::Builtin(spelling.to_string()),
            array: false,
        }
    }
}

impl fmt::Display for DataType {
    /// The snapshot spelling (see the type's doc).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let named = |f: &mut fmt::Formatter<'_>, prefix: &str, q: &QualifiedName| {
            write!(
                f,
                "{prefix}:{}.{}",
                crate::sql::display_ident(&q.schema),
                crate::sql::display_ident(&q.name)
            )
        };
        match &self.base {
            BaseType::Builtin(s) => f.write_str(s)?,
            BaseType::Enum(q) => named(f, "enum", q)?,
            BaseType::Domain(q) => named(f, "domain", q)?,
            BaseType::Composite(q) => named(f, "composite", q)?,
            BaseType::Custom(s) => write!(f, "sql:{s}")?,
        }
        if self.array {
            f.write_str("[]")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for DataType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (body, array) = match s.strip_suffix("[]") {
            Some(b) => (b, true),
            None => (s, false),
        };
        let named = |kind: &str, rest: &str| {
            let parts = crate::sql::split_qualified(rest)?;
            match <[String; 2]>::try_from(parts) {
                Ok([schema, name]) => Ok(QualifiedName { schema, name }),
                Err(_) => Err(format!("{kind} type `{rest}` must be schema.name")),
            }
        };
        let base = if let Some(rest) = body.strip_prefix("enum:") {
            BaseType::Enum(named("enum", rest)?)
        } else if let Some(rest) = body.strip_prefix("domain:") {
            BaseType::Domain(named("domain", rest)?)
        } else if let Some(rest) = body.strip_prefix("composite:") {
            BaseType::Composite(named("composite", rest)?)
        } else if let Some(rest) = body.strip_prefix("sql:") {
            BaseType::Custom(rest.to_string())
        } else {
            BaseType::Builtin(body.to_string())
        };
        Ok(DataType { base, array })
    }
}

impl Serialize for DataType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DataType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ColumnDefault {
    /// A default expression (literal defaults from TOML are rendered to SQL first).
    Sql(Expr),
    /// `serial`/`bigserial`/`smallserial`: `nextval` of a sequence owned by the column,
    /// named here (it lives in the table's schema).
    Serial { sequence: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Identity {
    Always,
    ByDefault,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrimaryKey {
    pub name: String,
    pub columns: Vec<String>,
    #[serde(default, skip_serializing_if = "Deferrable::is_default")]
    pub deferrable: Deferrable,
    /// `COMMENT ON CONSTRAINT`: not part of the definition ([`Part::same_definition`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unique {
    pub columns: Vec<String>,
    #[serde(default, skip_serializing_if = "Deferrable::is_default")]
    pub deferrable: Deferrable,
    /// `COMMENT ON CONSTRAINT`: not part of the definition ([`Part::same_definition`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// `EXCLUDE USING method (key WITH operator, …) [INCLUDE (…)] [WHERE (…)]`: the index
/// PostgreSQL builds for it (never `unique`) and one operator per key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exclusion {
    /// The index PostgreSQL builds (its own `comment` is never set: the constraint's is
    /// this one's).
    pub index: Index,
    pub operators: Vec<String>,
    #[serde(default, skip_serializing_if = "Deferrable::is_default")]
    pub deferrable: Deferrable,
    /// `COMMENT ON CONSTRAINT`: not part of the definition ([`Part::same_definition`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    pub expr: Expr,
    /// False for a `NOT VALID` constraint (existing rows were never checked); a domain's
    /// checks are always validated.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub validated: bool,
    /// `COMMENT ON CONSTRAINT`: not part of the definition ([`Part::same_definition`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl Check {
    /// A validated check of `expr`.
    pub fn new(expr: Expr) -> Check {
        Check {
            expr,
            validated: true,
            comment: None,
        }
    }
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Index {
    #[serde(default, skip_serializing_if = "is_false")]
    pub unique: bool,
    /// Access method (`btree`, `hash`, `gin`, `gist`, `brin`, …).
    pub method: String,
    pub keys: Vec<IndexKey>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// Partial index predicate.
    #[serde(default, rename = "where", skip_serializing_if = "Option::is_none")]
    pub predicate: Option<Expr>,
    /// `COMMENT ON INDEX`: not part of the definition ([`Part::same_definition`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// One key of an index: a column or an expression, with its ordering made explicit
/// (`nulls_first` defaults to `descending` as in PostgreSQL).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexKey {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expr: Option<Expr>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub descending: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub nulls_first: bool,
    /// An operator class other than the key type's default for the method: its name, or
    /// `schema.name` outside `pg_catalog` and `public` (`sql::display_path` spelling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opclass: Option<String>,
}

impl IndexKey {
    /// True when the NULLS clause is the default for the direction and need not be written.
    pub fn default_nulls(&self) -> bool {
        self.nulls_first == self.descending
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForeignKey {
    pub columns: Vec<String>,
    pub references: QualifiedName,
    pub referenced_columns: Vec<String>,
    #[serde(default, skip_serializing_if = "FkAction::is_default")]
    pub on_delete: FkAction,
    #[serde(default, skip_serializing_if = "FkAction::is_default")]
    pub on_update: FkAction,
    #[serde(default, skip_serializing_if = "Deferrable::is_default")]
    pub deferrable: Deferrable,
    /// False for a `NOT VALID` foreign key (existing rows were never checked).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub validated: bool,
    /// `COMMENT ON CONSTRAINT`: not part of the definition ([`Part::same_definition`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A constraint or index: its comment is set with `COMMENT ON` and is not part of its
/// definition, so a comment change is not a drop and a re-add. What decides "the same
/// object" (re-create, rename, reuse a name) compares with [`Part::same_definition`]; `==`
/// still compares everything (models are equal only with equal comments).
pub trait Part {
    fn comment(&self) -> Option<&String>;
    /// Equal in everything but the comment.
    fn same_definition(&self, other: &Self) -> bool;
}

impl Part for PrimaryKey {
    fn comment(&self) -> Option<&String> {
        self.comment.as_ref()
    }
    fn same_definition(&self, o: &Self) -> bool {
        let PrimaryKey {
            name,
            columns,
            deferrable,
            comment: _,
        } = self;
        *name == o.name && *columns == o.columns && *deferrable == o.deferrable
    }
}

impl Part for Unique {
    fn comment(&self) -> Option<&String> {
        self.comment.as_ref()
    }
    fn same_definition(&self, o: &Self) -> bool {
        let Unique {
            columns,
            deferrable,
            comment: _,
        } = self;
        *columns == o.columns && *deferrable == o.deferrable
    }
}

impl Part for Check {
    fn comment(&self) -> Option<&String> {
        self.comment.as_ref()
    }
    fn same_definition(&self, o: &Self) -> bool {
        let Check {
            expr,
            validated,
            comment: _,
        } = self;
        *expr == o.expr && *validated == o.validated
    }
}

impl Part for Index {
    fn comment(&self) -> Option<&String> {
        self.comment.as_ref()
    }
    fn same_definition(&self, o: &Self) -> bool {
        let Index {
            unique,
            method,
            keys,
            include,
            predicate,
            comment: _,
        } = self;
        *unique == o.unique
            && *method == o.method
            && *keys == o.keys
            && *include == o.include
            && *predicate == o.predicate
    }
}

impl Part for Exclusion {
    fn comment(&self) -> Option<&String> {
        self.comment.as_ref()
    }
    fn same_definition(&self, o: &Self) -> bool {
        let Exclusion {
            index,
            operators,
            deferrable,
            comment: _,
        } = self;
        index.same_definition(&o.index) && *operators == o.operators && *deferrable == o.deferrable
    }
}

impl Part for ForeignKey {
    fn comment(&self) -> Option<&String> {
        self.comment.as_ref()
    }
    fn same_definition(&self, o: &Self) -> bool {
        let ForeignKey {
            columns,
            references,
            referenced_columns,
            on_delete,
            on_update,
            deferrable,
            validated,
            comment: _,
        } = self;
        *columns == o.columns
            && *references == o.references
            && *referenced_columns == o.referenced_columns
            && *on_delete == o.on_delete
            && *on_update == o.on_update
            && *deferrable == o.deferrable
            && *validated == o.validated
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FkAction {
    #[default]
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

impl FkAction {
    fn is_default(&self) -> bool {
        *self == FkAction::NoAction
    }

    pub fn sql(self) -> &'static str {
        match self {
            FkAction::NoAction => "NO ACTION",
            FkAction::Restrict => "RESTRICT",
            FkAction::Cascade => "CASCADE",
            FkAction::SetNull => "SET NULL",
            FkAction::SetDefault => "SET DEFAULT",
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Deferrable {
    #[default]
    No,
    /// `DEFERRABLE INITIALLY IMMEDIATE`
    Immediate,
    /// `DEFERRABLE INITIALLY DEFERRED`
    Deferred,
}

impl Deferrable {
    fn is_default(&self) -> bool {
        *self == Deferrable::No
    }

    /// From the catalog's `condeferrable` and `condeferred`.
    pub fn from_flags(deferrable: bool, deferred: bool) -> Deferrable {
        match (deferrable, deferred) {
            (false, _) => Deferrable::No,
            (true, false) => Deferrable::Immediate,
            (true, true) => Deferrable::Deferred,
        }
    }

    /// The clause after a constraint's definition: empty, or ` DEFERRABLE INITIALLY …`.
    pub fn sql(&self) -> &'static str {
        match self {
            Deferrable::No => "",
            Deferrable::Immediate => " DEFERRABLE INITIALLY IMMEDIATE",
            Deferrable::Deferred => " DEFERRABLE INITIALLY DEFERRED",
        }
    }

    pub(crate) fn is_no(&self) -> bool {
        *self == Deferrable::No
    }
}

impl Model {
    /// Keep only the schemas in `managed`. A schema removed from `project.schemas` is no
    /// longer the project's: it is never read, diffed or dropped (the spec), so the head
    /// snapshot, which still has it, is compared without it.
    pub fn retain_schemas<'a>(&mut self, managed: impl IntoIterator<Item = &'a str>) {
        let managed: std::collections::BTreeSet<&str> = managed.into_iter().collect();
        self.schemas.retain(|s, _| managed.contains(s.as_str()));
    }

    /// [`Table::type_literals`] for every table (a partition's literals are typed by the
    /// columns of the table at the root of its partition tree), [`Domain::type_literals`]
    /// for every domain.
    pub fn type_literals(&mut self) {
        let mut inherited: BTreeMap<QualifiedName, BTreeMap<String, String>> = BTreeMap::new();
        for (q, t) in self.tables() {
            let mut cur = t;
            let mut steps = 0;
            while let Some(p) = &cur.partition_of {
                match self.table(&p.parent) {
                    Some(parent) if steps < 64 => cur = parent,
                    _ => break,
                }
                steps += 1;
            }
            if steps > 0 {
                inherited.insert(q, cur.literal_types());
            }
        }
        for (sn, s) in self.schemas.iter_mut() {
            for (n, t) in s.tables.iter_mut() {
                match inherited.get(&QualifiedName::new(sn.clone(), n.clone())) {
                    Some(types) => t.type_literals_with(types),
                    None => t.type_literals(),
                }
            }
        }
        for d in self
            .schemas
            .values_mut()
            .flat_map(|s| s.domains.values_mut())
        {
            d.type_literals();
        }
    }

    /// Every table with its qualified name, in (schema, name) order.
    pub fn tables(&self) -> impl Iterator<Item = (QualifiedName, &Table)> {
        self.schemas.iter().flat_map(|(s, schema)| {
            schema
                .tables
                .iter()
                .map(move |(n, t)| (QualifiedName::new(s.clone(), n.clone()), t))
        })
    }

    /// Every enum with its qualified name, in (schema, name) order.
    pub fn enums(&self) -> impl Iterator<Item = (QualifiedName, &EnumType)> {
        self.schemas.iter().flat_map(|(s, schema)| {
            schema
                .enums
                .iter()
                .map(move |(n, e)| (QualifiedName::new(s.clone(), n.clone()), e))
        })
    }

    pub fn table(&self, name: &QualifiedName) -> Option<&Table> {
        self.schemas.get(&name.schema)?.tables.get(&name.name)
    }

    /// Every function and procedure with its schema, in (schema, identity) order.
    pub fn functions(&self) -> impl Iterator<Item = (&str, &function::Function)> {
        self.schemas
            .iter()
            .flat_map(|(s, schema)| schema.functions.values().map(move |f| (s.as_str(), f)))
    }

    /// Every view and materialized view (`true`), in (schema, kind, name) order.
    pub fn views(&self) -> impl Iterator<Item = (QualifiedName, bool, &View)> {
        self.schemas.iter().flat_map(|(s, schema)| {
            let plain = schema.views.iter().map(move |(n, v)| (s, n, false, v));
            let mat = schema
                .materialized_views
                .iter()
                .map(move |(n, v)| (s, n, true, v));
            plain
                .chain(mat)
                .map(|(s, n, m, v)| (QualifiedName::new(s.clone(), n.clone()), m, v))
        })
    }

    /// A view or materialized view (`true`) by name.
    pub fn view(&self, name: &QualifiedName) -> Option<(bool, &View)> {
        let s = self.schemas.get(&name.schema)?;
        match s.views.get(&name.name) {
            Some(v) => Some((false, v)),
            None => s.materialized_views.get(&name.name).map(|v| (true, v)),
        }
    }

    pub fn sequence(&self, name: &QualifiedName) -> Option<&sequence::Sequence> {
        self.schemas.get(&name.schema)?.sequences.get(&name.name)
    }

    pub fn enum_type(&self, name: &QualifiedName) -> Option<&EnumType> {
        self.schemas.get(&name.schema)?.enums.get(&name.name)
    }

    /// Every domain with its qualified name, in (schema, name) order.
    pub fn domains(&self) -> impl Iterator<Item = (QualifiedName, &Domain)> {
        self.schemas.iter().flat_map(|(s, schema)| {
            schema
                .domains
                .iter()
                .map(move |(n, d)| (QualifiedName::new(s.clone(), n.clone()), d))
        })
    }

    pub fn domain(&self, name: &QualifiedName) -> Option<&Domain> {
        self.schemas.get(&name.schema)?.domains.get(&name.name)
    }

    /// Every composite type with its qualified name, in (schema, name) order.
    pub fn composite_types(&self) -> impl Iterator<Item = (QualifiedName, &CompositeType)> {
        self.schemas.iter().flat_map(|(s, schema)| {
            schema
                .composite_types
                .iter()
                .map(move |(n, c)| (QualifiedName::new(s.clone(), n.clone()), c))
        })
    }

    pub fn composite_type(&self, name: &QualifiedName) -> Option<&CompositeType> {
        self.schemas
            .get(&name.schema)?
            .composite_types
            .get(&name.name)
    }

    /// Whether `schema.name` is taken in the type namespace (`pg_type`) by a table's row
    /// type, an enum, a domain or a composite type.
    pub fn holds_type_name(&self, q: &QualifiedName) -> bool {
        self.table(q).is_some()
            || self.enum_type(q).is_some()
            || self.domain(q).is_some()
            || self.composite_type(q).is_some()
    }

    /// Every column, attribute and domain base of type `from` (or an array of it) made `to`.
    pub fn retype(&mut self, from: &BaseType, to: &BaseType) {
        for s in self.schemas.values_mut() {
            let types = s
                .tables
                .values_mut()
                .flat_map(|t| t.columns.iter_mut().map(|c| &mut c.data_type))
                .chain(
                    s.composite_types
                        .values_mut()
                        .flat_map(|c| c.attributes.iter_mut().map(|a| &mut a.data_type)),
                )
                .chain(s.domains.values_mut().map(|d| &mut d.data_type));
            for t in types {
                if t.base == *from {
                    t.base = to.clone();
                }
            }
        }
    }

    /// Columns (of tables) and attributes (of composite types) whose type is `base`, as
    /// `schema.table.column` paths.
    pub fn users_of(&self, base: &BaseType) -> Vec<String> {
        let mut out: Vec<String> = self
            .tables()
            .flat_map(|(q, t)| {
                t.columns
                    .iter()
                    .filter(|c| c.data_type.base == *base)
                    .map(move |c| format!("{q}.{}", c.name))
            })
            .collect();
        out.extend(self.composite_types().flat_map(|(q, c)| {
            c.attributes
                .iter()
                .filter(|a| a.data_type.base == *base)
                .map(move |a| format!("{q}.{}", a.name))
        }));
        out.extend(
            self.domains()
                .filter(|(_, d)| d.data_type.base == *base)
                .map(|(q, _)| q.to_string()),
        );
        out
    }
}
