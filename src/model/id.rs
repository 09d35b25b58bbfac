//! Object ids: what the planner's dependency graph is made of. A change says which ids it
//! creates, alters or drops and which it needs; `plan` orders changes by these edges.

use std::fmt;

/// Kinds of object id. `RelationName` and `TypeName` are not objects but names: PostgreSQL
/// keeps tables, views, sequences and indexes in one namespace per schema (`pg_class`), and
/// types with every table's row type in another (`pg_type`), so a drop that frees a name
/// must run before a create that takes it, whatever kinds they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum ObjectKind {
    Schema,
    Extension,
    RelationName,
    TypeName,
    Table,
    Column,
    Constraint,
    Index,
    View,
    Sequence,
    /// A function or procedure by identity (`name(type, …)`).
    Function,
    /// A function's bare name in any schema: expressions name functions without argument
    /// types (and usually without a schema), so a change whose expression calls `f` runs
    /// after every create or replace of an `f` and before every drop of one.
    FunctionName,
    /// A row-level security policy of a table (`sub` is its name).
    Policy,
}

/// One node of the dependency graph: kind, schema, name and, for parts of a table, the
/// part's name (a column, a constraint).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectId {
    pub kind: ObjectKind,
    pub schema: String,
    pub name: String,
    pub sub: Option<String>,
}

impl ObjectId {
    pub fn new(kind: ObjectKind, schema: &str, name: &str) -> ObjectId {
        ObjectId {
            kind,
            schema: schema.to_string(),
            name: name.to_string(),
            sub: None,
        }
    }

    /// The table `q`.
    pub fn table(q: &crate::model::QualifiedName) -> ObjectId {
        ObjectId::new(ObjectKind::Table, &q.schema, &q.name)
    }

    /// The view or materialized view `q`.
    pub fn view(q: &crate::model::QualifiedName) -> ObjectId {
        ObjectId::new(ObjectKind::View, &q.schema, &q.name)
    }

    /// The name `q` in its schema's type namespace.
    pub fn type_name(q: &crate::model::QualifiedName) -> ObjectId {
        ObjectId::new(ObjectKind::TypeName, &q.schema, &q.name)
    }

    /// A part (`sub`) of the object `schema.name`.
    pub fn part(kind: ObjectKind, schema: &str, name: &str, sub: &str) -> ObjectId {
        ObjectId {
            sub: Some(sub.to_string()),
            ..ObjectId::new(kind, schema, name)
        }
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind: &str = self.kind.into();
        write!(f, "{kind} {}.{}", self.schema, self.name)?;
        if let Some(s) = &self.sub {
            write!(f, ".{s}")?;
        }
        Ok(())
    }
}
