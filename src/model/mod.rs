//! The canonical model of a PostgreSQL schema: what `compile` produces from TOML, what the
//! catalog reader produces from a live database, and what `diff` compares.
//!
//! Invariants: every name is final (PostgreSQL's default names already chosen), every type is
//! spelled as `format_type()` prints it, every expression carries a normalised form, and all
//! collections are ordered so that iteration (and therefore output) is deterministic.

pub mod expr;
pub mod id;
pub mod partition;
pub mod rename;
pub mod sequence;
pub mod snapshot;
pub mod view;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

pub use expr::Expr;
pub use partition::{
    BoundValue, PartitionBound, PartitionBy, PartitionKey, PartitionOf, PartitionStrategy,
};
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
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumType {
    /// Labels in sort order.
    pub values: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
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
    /// `PARTITION BY …`: a partitioned table. (Boxed, as `partition_of`: most tables have
    /// neither, and a table is carried by value in changes.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_by: Option<Box<PartitionBy>>,
    /// `PARTITION OF …`: a partition, whose columns are its parent's (`columns` is empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_of: Option<Box<PartitionOf>>,
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
    /// `GENERATED ALWAYS AS (…) STORED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated: Option<Expr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

fn is_false(b: &bool) -> bool {
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
        match &self.base {
            BaseType::Builtin(s) => f.write_str(s)?,
            BaseType::Enum(q) => write!(
                f,
                "enum:{}.{}",
                crate::sql::display_ident(&q.schema),
                crate::sql::display_ident(&q.name)
            )?,
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
        let base = if let Some(rest) = body.strip_prefix("enum:") {
            let parts = crate::sql::split_qualified(rest)?;
            match <[String; 2]>::try_from(parts) {
                Ok([schema, name]) => BaseType::Enum(QualifiedName { schema, name }),
                Err(_) => return Err(format!("enum type `{rest}` must be schema.name")),
            }
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
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unique {
    pub columns: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    pub expr: Expr,
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
}

impl Model {
    /// Keep only the schemas in `managed`. A schema removed from `project.schemas` is no
    /// longer the project's: it is never read, diffed or dropped (the spec), so the head
    /// snapshot, which still has it, is compared without it.
    pub fn retain_schemas<'a>(&mut self, managed: impl IntoIterator<Item = &'a str>) {
        let managed: std::collections::BTreeSet<&str> = managed.into_iter().collect();
        self.schemas.retain(|s, _| managed.contains(s.as_str()));
    }

    /// [`Table::type_literals`] for every table; a partition's literals are typed by the
    /// columns of the table at the root of its partition tree.
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
}
