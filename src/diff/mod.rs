//! Diff two models into a list of changes. Pure: never touches files or a database.
//!
//! Declared renames are applied to the old model first (becoming `ALTER … RENAME` changes),
//! then creations, drops and changes of schemas, extensions, enums, tables, columns,
//! constraints, indexes, foreign keys and comments are found by name. Changed constraints
//! and indexes are dropped and re-added; enums that lose or reorder values are recreated.
//! What cannot be planned becomes [`Change::Unsupported`], so `plan` says exactly what
//! instead of emitting wrong SQL.

mod hints;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use crate::model::rename::{self, Rename};
use crate::model::{
    BaseType, Check, Column, ColumnDefault, DataType, EnumType, Expr, Extension, ForeignKey,
    Identity, Index, Model, PrimaryKey, QualifiedName, Table, Unique,
};

/// What a comment is attached to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommentTarget {
    Table(QualifiedName),
    Column(QualifiedName, String),
    Type(QualifiedName),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A declared rename (`renamed_from`, `renamed_values`) or one that follows from it
    /// (default-named constraints and indexes of a renamed table or column).
    Rename(Rename),
    /// A serial column's sequence, renamed to the name a fresh build would give it.
    RenameSequence {
        schema: String,
        from: String,
        to: String,
    },
    CreateSchema(String),
    CreateExtension(String, Extension),
    CreateEnum(QualifiedName, EnumType),
    /// An enum whose values are removed or reordered: a new type replaces it, every column
    /// using it is converted through `text`.
    RecreateEnum {
        name: QualifiedName,
        from: Vec<String>,
        values: Vec<String>,
        columns: Vec<EnumColumn>,
    },
    /// A new table; `table` carries its columns, primary key, uniques and checks (indexes and
    /// foreign keys come as their own changes).
    CreateTable(QualifiedName, Table),
    AddColumn(QualifiedName, Column),
    AddPrimaryKey(QualifiedName, PrimaryKey),
    AddUnique(QualifiedName, String, Unique),
    AddCheck(QualifiedName, String, Check),
    /// `new_table`: the table is created in the same plan (no rows, so no lock concerns).
    CreateIndex {
        table: QualifiedName,
        name: String,
        index: Index,
        new_table: bool,
    },
    AddForeignKey {
        table: QualifiedName,
        name: String,
        fk: ForeignKey,
        new_table: bool,
    },
    SetComment(CommentTarget, Option<String>),
    /// `ALTER TYPE … ADD VALUE … BEFORE/AFTER …` (`None`: at the end).
    AddEnumValue {
        name: QualifiedName,
        value: String,
        position: Option<EnumPosition>,
    },
    DropSchema(String),
    DropExtension(String),
    DropEnum(QualifiedName),
    /// An enum dropped early, right after the dropped tables and columns, because a table of
    /// the same name is created (tables and types share one namespace).
    DropEnumBeforeTable(QualifiedName),
    DropTable(QualifiedName),
    DropColumn(QualifiedName, String),
    /// Type (and collation) of an existing column; `default` is the column's default after the
    /// change, re-set around the type change because a default may not cast automatically.
    AlterColumnType {
        table: QualifiedName,
        column: String,
        from: DataType,
        to: DataType,
        collation: Option<String>,
        /// The old column had an SQL default (dropped before the type change).
        had_default: bool,
        default: Option<ColumnDefault>,
    },
    /// A generated column dropped to be added again by [`Change::AddGeneratedColumn`]: its
    /// expression changed (PostgreSQL 15 cannot alter it), or a column it uses changes type.
    DropGeneratedColumn {
        table: QualifiedName,
        column: String,
    },
    /// A generated column added again (or a plain column turned generated, after its drop),
    /// once the columns it uses have their new types.
    AddGeneratedColumn(QualifiedName, Column),
    /// A generated column becomes a plain one, keeping its values.
    DropExpression {
        table: QualifiedName,
        column: String,
    },
    /// A serial column stops being serial: its default and owned sequence are dropped.
    DropSerial {
        table: QualifiedName,
        column: String,
        sequence: String,
    },
    /// A column becomes serial: a sequence owned by it, started after the existing values.
    AddSerial {
        table: QualifiedName,
        column: String,
        sequence: String,
        data_type: DataType,
    },
    SetNullable {
        table: QualifiedName,
        column: String,
        nullable: bool,
    },
    /// `SET DEFAULT` (Some) or `DROP DEFAULT` (None).
    SetDefault {
        table: QualifiedName,
        column: String,
        default: Option<crate::model::Expr>,
    },
    SetIdentity {
        table: QualifiedName,
        column: String,
        from: Option<Identity>,
        to: Option<Identity>,
    },
    DropPrimaryKey(QualifiedName, String),
    DropUnique(QualifiedName, String),
    DropCheck(QualifiedName, String),
    DropIndex(QualifiedName, String),
    DropForeignKey(QualifiedName, String),
    /// A difference this version cannot plan, described for the user.
    Unsupported(String),
}

/// A column converted to a recreated enum, with the default it gets back afterwards.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnumColumn {
    pub table: QualifiedName,
    pub column: String,
    pub array: bool,
    /// The column has a default now (dropped before the conversion: it cannot be cast).
    pub had_default: bool,
    /// The default set again after the conversion.
    pub default: Option<Expr>,
    /// The column leaves the type in this migration: it is converted to `text` instead (the
    /// later type change takes it on from there), so values the new type lacks survive.
    pub to_text: bool,
}

/// Where a new enum value goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnumPosition {
    Before(String),
    After(String),
}

/// The result of comparing two models: changes, plus hints for the reviewer (a drop and a
/// create of the same shape that were probably meant as a rename).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diff {
    pub changes: Vec<Change>,
    pub hints: Vec<String>,
}

/// Changes that turn `from` into `to`, in a deterministic (not yet executable) order.
pub fn diff(from: &Model, to: &Model) -> Vec<Change> {
    compare(from, to, &[]).changes
}

/// The changes of a down file: from `from` (the new schema) back to `to` (the previous
/// head), undoing `renames` (the up migration's applied renames, as
/// [`rename::reverse_all`] gives them). Objects that hold a name one of them takes back (the
/// up migration reused the old name) are dropped first: the first list, to run before
/// everything else, renames included.
pub fn reverse(from: &Model, to: &Model, renames: &[Rename]) -> (Vec<Change>, Diff) {
    let freed = rename::without_occupants(from, renames);
    let first = if matches!(freed, Cow::Borrowed(_)) || *freed == *from {
        Vec::new()
    } else {
        diff(from, &freed)
    };
    (first, compare(&freed, to, renames))
}

/// How a column's dependants are affected by a change that replaces the column's type or
/// the column itself in place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Touch {
    /// Converted to a recreated enum: PostgreSQL rebuilds indexes on the plain column, but
    /// checks, expression or partial indexes and foreign keys naming the old type would not
    /// survive the swap, so they are dropped before and added again after.
    Recast,
    /// Dropped and added again (generated expression): everything using it is.
    Recreate,
}

type Touched = BTreeMap<(QualifiedName, String), Touch>;

/// Changes that turn `from` into `to`, with `renames` (from `renamed_from` and
/// `renamed_values`) applied first; stale renames do nothing.
pub fn compare(from: &Model, to: &Model, renames: &[Rename]) -> Diff {
    let mut out = Vec::new();
    let original = from;
    // Cloned only if a rename or a recreated enum changes it.
    let mut from = Cow::Borrowed(from);
    let applied = rename::apply(&mut from, renames, to);
    let mut affected = BTreeSet::new();
    for r in &applied {
        match r {
            Rename::Table { schema, to, .. } => {
                affected.insert(QualifiedName::new(schema.clone(), to.clone()));
            }
            Rename::Column { table, .. } => {
                affected.insert(table.clone());
            }
            _ => {}
        }
        out.push(Change::Rename(r.clone()));
    }
    if !affected.is_empty() {
        derived_renames(&mut out, from.to_mut(), to, &affected);
    }

    for name in to.schemas.keys() {
        // `public` exists in every new database; CREATE SCHEMA would need database-level
        // CREATE privilege even with IF NOT EXISTS.
        if !from.schemas.contains_key(name) && name != "public" {
            out.push(Change::CreateSchema(name.clone()));
        }
    }
    for name in from.schemas.keys() {
        if !to.schemas.contains_key(name) && name != "public" {
            out.push(Change::DropSchema(name.clone()));
        }
    }

    for (name, ext) in &to.extensions {
        match from.extensions.get(name) {
            None => out.push(Change::CreateExtension(name.clone(), ext.clone())),
            // A schema of `None` means "wherever PostgreSQL put it" (the compiler stores
            // `None` unless the user wrote one; the catalog reader always knows it).
            Some(old) if old.schema.is_some() && ext.schema.is_some() && old != ext => out.push(
                Change::Unsupported(format!("move extension `{name}` to another schema")),
            ),
            Some(_) => {}
        }
    }
    for name in from.extensions.keys() {
        if to.extensions.contains_key(name) {
            continue;
        }
        // The model does not know which types an extension brings; a column of a type named
        // like the extension (`citext`, `hstore`, `ltree`) surely uses it, and PostgreSQL
        // would refuse the drop.
        let user = to.tables().find_map(|(q, t)| {
            t.columns
                .iter()
                .find(|c| matches!(&c.data_type.base, BaseType::Custom(ty) if ty == name))
                .map(|c| format!("{q}.{}", c.name))
        });
        out.push(match user {
            Some(column) => Change::Unsupported(format!(
                "drop extension `{name}` while column {column} still uses its type (change or drop the column first)"
            )),
            None => Change::DropExtension(name.clone()),
        });
    }

    let mut touched = Touched::new();
    for (q, e) in to.enums() {
        match from.enum_type(&q).cloned() {
            None => {
                out.push(Change::CreateEnum(q.clone(), e.clone()));
                if let Some(c) = &e.comment {
                    out.push(Change::SetComment(CommentTarget::Type(q), Some(c.clone())));
                }
            }
            Some(old) => {
                let recreated =
                    old.values != e.values && !enum_values(&mut out, &q, &old.values, &e.values);
                if recreated {
                    let columns = recreate_enum(from.to_mut(), to, &q, &mut touched);
                    out.push(Change::RecreateEnum {
                        name: q.clone(),
                        from: old.values.clone(),
                        values: e.values.clone(),
                        columns,
                    });
                }
                // A recreated type starts without a comment.
                if old.comment != e.comment || (recreated && e.comment.is_some()) {
                    out.push(Change::SetComment(
                        CommentTarget::Type(q),
                        e.comment.clone(),
                    ));
                }
            }
        }
    }
    for (q, _) in from.enums() {
        if to.enum_type(&q).is_some() {
            continue;
        }
        if to.table(&q).is_none() {
            out.push(Change::DropEnum(q));
            continue;
        }
        // Columns converted away from the type change after tables are created: too late.
        let enum_type = BaseType::Enum(q.clone());
        let converted = from.tables().any(|(tq, t)| {
            to.table(&tq).is_some_and(|nt| {
                t.columns
                    .iter()
                    .any(|c| c.data_type.base == enum_type && nt.column(&c.name).is_some())
            })
        });
        out.push(if converted {
            Change::Unsupported(format!(
                "replace enum {q} by a table of the same name while columns change from the enum to another type (change the columns and drop the enum in one migration, create the table in the next)"
            ))
        } else {
            Change::DropEnumBeforeTable(q)
        });
    }

    // Retyped columns: PostgreSQL re-parses checks and index expressions from their stored
    // text (old casts baked in) and cannot rebuild some foreign keys across types, so those
    // are dropped before and added after. Generated columns are dropped and added again when
    // their expression changes, a column becomes generated, or a column the expression uses
    // is retyped (PostgreSQL refuses that while the generated column exists).
    for (q, t) in to.tables() {
        let Some(old) = from.table(&q) else {
            continue;
        };
        let retyped: BTreeSet<&str> = t
            .columns
            .iter()
            .filter(|c| {
                old.column(&c.name)
                    .is_some_and(|o| o.data_type != c.data_type || o.collation != c.collation)
            })
            .map(|c| c.name.as_str())
            .collect();
        for c in &retyped {
            touched
                .entry((q.clone(), c.to_string()))
                .or_insert(Touch::Recast);
        }
        for c in &t.columns {
            let (Some(g), Some(oc)) = (&c.generated, old.column(&c.name)) else {
                continue;
            };
            let recast = |r: &String| {
                retyped.contains(r.as_str())
                    || touched.get(&(q.clone(), r.clone())) == Some(&Touch::Recast)
            };
            if oc.generated.as_ref() != Some(g) || g.referenced_columns().iter().any(recast) {
                touched.insert((q.clone(), c.name.clone()), Touch::Recreate);
            }
        }
    }

    for (q, t) in to.tables() {
        match from.table(&q) {
            None => create_table(&mut out, q, t),
            Some(old) => alter_table(&mut out, q, old, t, &touched),
        }
    }
    rebuild_foreign_keys_on_dropped_keys(&mut out, &from, to);
    for (q, t) in from.tables() {
        if to.table(&q).is_none() {
            // Its foreign keys go first (with the other FK drops), so keys they use can be
            // dropped and tables can be dropped in any order.
            for n in t.foreign_keys.keys() {
                out.push(Change::DropForeignKey(q.clone(), n.clone()));
            }
            out.push(Change::DropTable(q));
        }
    }
    let mut hints = hints::ignored_renames(original, renames, &applied);
    hints.extend(hints::renames(&from, to, &out));
    Diff {
        changes: out,
        hints,
    }
}

/// Default-named objects of renamed tables (and of tables with renamed columns) get the
/// names a fresh build of the new schema gives them: an object of the same definition under
/// another name in `to` is renamed rather than dropped and re-added.
fn derived_renames(
    out: &mut Vec<Change>,
    from: &mut Model,
    to: &Model,
    affected: &BTreeSet<QualifiedName>,
) {
    for q in affected {
        let Some(new) = to.table(q) else {
            continue;
        };
        let Some(old) = from
            .schemas
            .get_mut(&q.schema)
            .and_then(|s| s.tables.get_mut(&q.name))
        else {
            continue;
        };
        let mut constraints = Vec::new();
        if let (Some(a), Some(b)) = (&old.primary_key, &new.primary_key)
            && a.columns == b.columns
            && a.name != b.name
        {
            constraints.push((a.name.clone(), b.name.clone()));
        }
        constraints.extend(same_shape(&old.uniques, &new.uniques));
        constraints.extend(same_shape(&old.checks, &new.checks));
        constraints.extend(same_shape(&old.foreign_keys, &new.foreign_keys));
        for (a, b) in constraints {
            if rename::rename_constraint(old, &a, &b) {
                out.push(Change::Rename(Rename::Constraint {
                    table: q.clone(),
                    from: a,
                    to: b,
                }));
            }
        }
        for (a, b) in same_shape(&old.indexes, &new.indexes) {
            if let Some(i) = old.indexes.remove(&a) {
                old.indexes.insert(b.clone(), i);
                out.push(Change::Rename(Rename::Index {
                    table: q.clone(),
                    from: a,
                    to: b,
                }));
            }
        }
    }
}

/// Pairs (old name, new name) of objects whose name changed but whose definition did not:
/// the old name is gone from `new`, the new one was not in `old`.
fn same_shape<T: PartialEq>(
    old: &BTreeMap<String, T>,
    new: &BTreeMap<String, T>,
) -> Vec<(String, String)> {
    let mut taken = BTreeSet::new();
    let mut pairs = Vec::new();
    for (n, v) in old {
        if new.contains_key(n) {
            continue;
        }
        if let Some((m, _)) = new
            .iter()
            .find(|(m, w)| *w == v && !old.contains_key(*m) && !taken.contains(*m))
        {
            taken.insert(m.clone());
            pairs.push((n.clone(), m.clone()));
        }
    }
    pairs
}

/// Values added anywhere (old values keep their relative order) become `ADD VALUE`s placed
/// next to a neighbour. Returns false (adding nothing) when values are removed or reordered:
/// then the type must be recreated.
fn enum_values(out: &mut Vec<Change>, q: &QualifiedName, old: &[String], new: &[String]) -> bool {
    let kept: Vec<&String> = new.iter().filter(|v| old.contains(v)).collect();
    if kept.len() != old.len() || kept.iter().zip(old).any(|(a, b)| *a != b) {
        return false;
    }
    for (i, v) in new.iter().enumerate() {
        if old.contains(v) {
            continue;
        }
        // Values are added in order, so the previous one exists by now; the first goes
        // before the first value that already exists.
        let position = match i {
            0 => new
                .iter()
                .find(|n| old.contains(n))
                .map(|n| EnumPosition::Before(n.clone())),
            _ => Some(EnumPosition::After(new[i - 1].clone())),
        };
        out.push(Change::AddEnumValue {
            name: q.clone(),
            value: v.clone(),
            position,
        });
    }
    true
}

/// The columns (of tables kept in `to`) converted when enum `q` is recreated. Their defaults
/// are dropped before and set after the conversion, to the new schema's default when the
/// column keeps the type (else none: the later type change sets it), and `from` is updated
/// to match so the column diff does not repeat it.
fn recreate_enum(
    from: &mut Model,
    to: &Model,
    q: &QualifiedName,
    touched: &mut Touched,
) -> Vec<EnumColumn> {
    let mut columns = Vec::new();
    let enum_type = BaseType::Enum(q.clone());
    for (s, schema) in from.schemas.iter_mut() {
        for (n, t) in schema.tables.iter_mut() {
            let tq = QualifiedName::new(s.clone(), n.clone());
            let Some(target) = to.table(&tq) else {
                continue;
            };
            // Checks, indexes and generated columns that name the type (`x::st`) would keep
            // the old one alive: they are rebuilt like those on converted columns.
            let names_type = |e: &Expr| e.names_word(&q.name);
            let exprs = t
                .checks
                .values()
                .map(|c| &c.expr)
                .chain(t.indexes.values().flat_map(|i| {
                    i.keys
                        .iter()
                        .filter_map(|k| k.expr.as_ref())
                        .chain(i.predicate.as_ref())
                }));
            for e in exprs.filter(|e| names_type(e)) {
                for c in e.referenced_columns() {
                    touched.entry((tq.clone(), c)).or_insert(Touch::Recast);
                }
            }
            for c in &mut t.columns {
                if c.data_type.base != enum_type {
                    if c.generated.as_ref().is_some_and(names_type) {
                        touched.insert((tq.clone(), c.name.clone()), Touch::Recreate);
                    }
                    continue;
                }
                let Some(tc) = target.column(&c.name) else {
                    continue;
                };
                if c.generated.is_some() {
                    // PostgreSQL cannot convert a generated column with `USING`: it is
                    // dropped before and added again after.
                    touched.insert((tq.clone(), c.name.clone()), Touch::Recreate);
                    continue;
                }
                let had_default = matches!(c.default, Some(ColumnDefault::Sql(_)));
                let default = match &tc.default {
                    Some(ColumnDefault::Sql(e)) if tc.data_type == c.data_type => Some(e.clone()),
                    _ => None,
                };
                let to_text = tc.data_type.base != enum_type;
                c.default = default.clone().map(ColumnDefault::Sql);
                if to_text {
                    c.data_type.base = BaseType::Builtin("text".into());
                }
                touched.insert((tq.clone(), c.name.clone()), Touch::Recast);
                columns.push(EnumColumn {
                    table: tq.clone(),
                    column: c.name.clone(),
                    array: c.data_type.array,
                    had_default,
                    default,
                    to_text,
                });
            }
        }
    }
    columns
}

fn create_table(out: &mut Vec<Change>, q: QualifiedName, t: &Table) {
    // Without the indexes and foreign keys rather than cloned and cleared: every table of
    // an initial migration comes through here.
    let body = Table {
        comment: t.comment.clone(),
        columns: t.columns.clone(),
        primary_key: t.primary_key.clone(),
        uniques: t.uniques.clone(),
        checks: t.checks.clone(),
        indexes: BTreeMap::new(),
        foreign_keys: BTreeMap::new(),
    };
    out.push(Change::CreateTable(q.clone(), body));
    for (name, index) in &t.indexes {
        out.push(Change::CreateIndex {
            table: q.clone(),
            name: name.clone(),
            index: index.clone(),
            new_table: true,
        });
    }
    for (name, fk) in &t.foreign_keys {
        out.push(Change::AddForeignKey {
            table: q.clone(),
            name: name.clone(),
            fk: fk.clone(),
            new_table: true,
        });
    }
    comments(out, &q, None, t, &BTreeSet::new());
}

fn comments(
    out: &mut Vec<Change>,
    q: &QualifiedName,
    old: Option<&Table>,
    t: &Table,
    replaced: &BTreeSet<String>,
) {
    if old.map_or(t.comment.is_some(), |o| o.comment != t.comment) {
        out.push(Change::SetComment(
            CommentTarget::Table(q.clone()),
            t.comment.clone(),
        ));
    }
    for c in &t.columns {
        let before = old
            .filter(|_| !replaced.contains(&c.name))
            .and_then(|o| o.column(&c.name))
            .and_then(|c| c.comment.as_ref());
        if before != c.comment.as_ref() {
            out.push(Change::SetComment(
                CommentTarget::Column(q.clone(), c.name.clone()),
                c.comment.clone(),
            ));
        }
    }
}

fn alter_table(out: &mut Vec<Change>, q: QualifiedName, old: &Table, t: &Table, touched: &Touched) {
    // Column order only matters when a table is created; new columns are appended.
    let mut replaced = BTreeSet::new();
    for c in &t.columns {
        match old.column(&c.name) {
            // After the type changes of the columns it is computed from.
            None if c.generated.is_some() => {
                out.push(Change::AddGeneratedColumn(q.clone(), c.clone()))
            }
            None => out.push(Change::AddColumn(q.clone(), c.clone())),
            Some(oc) => {
                let rebuild = touched.get(&(q.clone(), c.name.clone())) == Some(&Touch::Recreate);
                if alter_column(out, &q, oc, c, rebuild) {
                    replaced.insert(c.name.clone());
                }
            }
        }
    }
    // Generated columns first: they depend on the columns they are computed from.
    let mut dropped: Vec<&Column> = old
        .columns
        .iter()
        .filter(|c| t.column(&c.name).is_none())
        .collect();
    dropped.sort_by_key(|c| c.generated.is_none());
    for c in dropped {
        out.push(Change::DropColumn(q.clone(), c.name.clone()));
    }

    let touch = |table: &QualifiedName, col: &str| touched.get(&(table.clone(), col.to_string()));
    let recreated = |cols: &[String]| cols.iter().any(|c| touch(&q, c) == Some(&Touch::Recreate));
    let any = |cols: &mut dyn Iterator<Item = &String>| {
        for c in cols {
            if touch(&q, c).is_some() {
                return true;
            }
        }
        false
    };

    match (&old.primary_key, &t.primary_key) {
        (None, Some(pk)) => out.push(Change::AddPrimaryKey(q.clone(), pk.clone())),
        (Some(pk), None) => out.push(Change::DropPrimaryKey(q.clone(), pk.name.clone())),
        (Some(a), Some(b)) if a != b || recreated(&b.columns) => {
            out.push(Change::DropPrimaryKey(q.clone(), a.name.clone()));
            out.push(Change::AddPrimaryKey(q.clone(), b.clone()));
        }
        _ => {}
    }

    named(
        out,
        &q,
        &old.uniques,
        &t.uniques,
        |u| recreated(&u.columns),
        |n, u| Change::AddUnique(q.clone(), n.to_string(), u.clone()),
        |q, n| Change::DropUnique(q.clone(), n.to_string()),
    );
    named(
        out,
        &q,
        &old.checks,
        &t.checks,
        |c| any(&mut c.expr.referenced_columns().iter()),
        |n, c| Change::AddCheck(q.clone(), n.to_string(), c.clone()),
        |q, n| Change::DropCheck(q.clone(), n.to_string()),
    );
    named(
        out,
        &q,
        &old.indexes,
        &t.indexes,
        |i| {
            let plain: Vec<String> = i
                .keys
                .iter()
                .filter_map(|k| k.column.clone())
                .chain(i.include.iter().cloned())
                .collect();
            let mut exprs: BTreeSet<String> = BTreeSet::new();
            for e in i.keys.iter().filter_map(|k| k.expr.as_ref()) {
                exprs.extend(e.referenced_columns());
            }
            if let Some(p) = &i.predicate {
                exprs.extend(p.referenced_columns());
            }
            recreated(&plain) || any(&mut exprs.iter())
        },
        |n, i| Change::CreateIndex {
            table: q.clone(),
            name: n.to_string(),
            index: i.clone(),
            new_table: false,
        },
        |q, n| Change::DropIndex(q.clone(), n.to_string()),
    );
    named(
        out,
        &q,
        &old.foreign_keys,
        &t.foreign_keys,
        |f| {
            any(&mut f.columns.iter())
                || f.referenced_columns
                    .iter()
                    .any(|c| touch(&f.references, c).is_some())
        },
        |n, f| Change::AddForeignKey {
            table: q.clone(),
            name: n.to_string(),
            fk: f.clone(),
            new_table: false,
        },
        |q, n| Change::DropForeignKey(q.clone(), n.to_string()),
    );
    comments(out, &q, Some(old), t, &replaced);
}

/// Foreign keys that stay while the key they reference (primary key, unique constraint or
/// unique index on the same columns) is dropped or replaced. PostgreSQL ties a foreign key
/// to the index it found when the key was created and refuses to drop that index, so the
/// foreign key is dropped before (with the other foreign keys) and added again after the new
/// keys exist, where PostgreSQL finds the new one.
fn rebuild_foreign_keys_on_dropped_keys(out: &mut Vec<Change>, from: &Model, to: &Model) {
    let mut dropped: BTreeSet<(QualifiedName, BTreeSet<String>)> = BTreeSet::new();
    for c in out.iter() {
        let columns = match c {
            Change::DropPrimaryKey(q, _) => from
                .table(q)
                .and_then(|t| t.primary_key.as_ref())
                .map(|pk| (q, pk.columns.clone())),
            Change::DropUnique(q, n) => from
                .table(q)
                .and_then(|t| t.uniques.get(n))
                .map(|u| (q, u.columns.clone())),
            Change::DropIndex(q, n) => from
                .table(q)
                .and_then(|t| t.indexes.get(n))
                .filter(|i| i.unique && i.predicate.is_none())
                .and_then(|i| {
                    i.keys
                        .iter()
                        .map(|k| k.column.clone())
                        .collect::<Option<_>>()
                })
                .map(|cols| (q, cols)),
            _ => None,
        };
        if let Some((q, cols)) = columns {
            dropped.insert((q.clone(), cols.into_iter().collect()));
        }
    }
    if dropped.is_empty() {
        return;
    }
    let mut rebuilt = Vec::new();
    for (q, t) in to.tables() {
        let Some(old) = from.table(&q) else {
            continue;
        };
        for (n, fk) in &t.foreign_keys {
            let Some(ofk) = old.foreign_keys.get(n) else {
                continue;
            };
            let key = (
                ofk.references.clone(),
                ofk.referenced_columns.iter().cloned().collect(),
            );
            let redone = out
                .iter()
                .any(|c| matches!(c, Change::DropForeignKey(tq, tn) if *tq == q && tn == n));
            if dropped.contains(&key) && !redone {
                rebuilt.push(Change::DropForeignKey(q.clone(), n.clone()));
                rebuilt.push(Change::AddForeignKey {
                    table: q.clone(),
                    name: n.clone(),
                    fk: fk.clone(),
                    new_table: false,
                });
            }
        }
    }
    out.extend(rebuilt);
}

/// Named objects: new ones are added, missing ones dropped, changed ones (and those `redo`
/// says must be rebuilt) dropped and re-added.
fn named<T: PartialEq>(
    out: &mut Vec<Change>,
    q: &QualifiedName,
    old: &BTreeMap<String, T>,
    new: &BTreeMap<String, T>,
    redo: impl Fn(&T) -> bool,
    add: impl Fn(&str, &T) -> Change,
    drop: impl Fn(&QualifiedName, &str) -> Change,
) {
    for (n, v) in new {
        match old.get(n) {
            None => out.push(add(n, v)),
            Some(o) if o != v || redo(v) => {
                out.push(drop(q, n));
                out.push(add(n, v));
            }
            Some(_) => {}
        }
    }
    for n in old.keys() {
        if !new.contains_key(n) {
            out.push(drop(q, n));
        }
    }
}

/// Changes to one existing column. Returns true when the column is dropped and added again
/// (`rebuild`, for generated columns; its comment must then be set again).
fn alter_column(
    out: &mut Vec<Change>,
    q: &QualifiedName,
    old: &Column,
    new: &Column,
    rebuild: bool,
) -> bool {
    let mut old = old.clone();
    if rebuild {
        out.push(if old.generated.is_some() {
            Change::DropGeneratedColumn {
                table: q.clone(),
                column: new.name.clone(),
            }
        } else {
            // Its stored values are replaced by computed ones.
            Change::DropColumn(q.clone(), new.name.clone())
        });
        out.push(Change::AddGeneratedColumn(q.clone(), new.clone()));
        return true;
    }
    if old.generated.is_some() && new.generated.is_none() {
        out.push(Change::DropExpression {
            table: q.clone(),
            column: new.name.clone(),
        });
        old.generated = None;
    }
    // An identity column cannot take a default: the identity goes before a default is set.
    let identity_dropped = old.identity.is_some() && new.identity.is_none();
    if identity_dropped {
        out.push(Change::SetIdentity {
            table: q.clone(),
            column: new.name.clone(),
            from: old.identity,
            to: None,
        });
        old.identity = None;
    }
    let serial = |c: &Column| match &c.default {
        Some(ColumnDefault::Serial { sequence }) => Some(sequence.clone()),
        _ => None,
    };
    let add_serial = match (serial(&old), serial(new)) {
        (Some(a), Some(b)) => {
            if a != b {
                out.push(Change::RenameSequence {
                    schema: q.schema.clone(),
                    from: a,
                    to: b,
                });
                old.default = new.default.clone();
            }
            None
        }
        (Some(sequence), None) => {
            out.push(Change::DropSerial {
                table: q.clone(),
                column: new.name.clone(),
                sequence,
            });
            old.default = None;
            None
        }
        (None, Some(sequence)) => Some(sequence),
        (None, None) => None,
    };
    if old.data_type != new.data_type || old.collation != new.collation {
        out.push(Change::AlterColumnType {
            table: q.clone(),
            column: new.name.clone(),
            from: old.data_type.clone(),
            to: new.data_type.clone(),
            collation: new.collation.clone(),
            had_default: matches!(old.default, Some(ColumnDefault::Sql(_))),
            // A new serial's sequence is created after the type change (`AddSerial`).
            default: if add_serial.is_some() {
                None
            } else {
                new.default.clone()
            },
        });
    } else if add_serial.is_none() && !same_default(&old, new) {
        let expr = match &new.default {
            Some(ColumnDefault::Sql(e)) => Some(e.clone()),
            _ => None,
        };
        out.push(Change::SetDefault {
            table: q.clone(),
            column: new.name.clone(),
            default: expr,
        });
    }
    if let Some(sequence) = add_serial {
        out.push(Change::AddSerial {
            table: q.clone(),
            column: new.name.clone(),
            sequence,
            data_type: new.data_type.clone(),
        });
    }
    if old.identity != new.identity {
        // Identity needs NOT NULL first (implied for a new identity column, not for an
        // existing one).
        if old.identity.is_none() && old.nullable {
            out.push(Change::SetNullable {
                table: q.clone(),
                column: new.name.clone(),
                nullable: false,
            });
        }
        out.push(Change::SetIdentity {
            table: q.clone(),
            column: new.name.clone(),
            from: old.identity,
            to: new.identity,
        });
    }
    if old.nullable != new.nullable && new.identity.is_none() {
        out.push(Change::SetNullable {
            table: q.clone(),
            column: new.name.clone(),
            nullable: new.nullable,
        });
    }
    false
}

/// Defaults compare by normalised form; a string literal default of a built-in type also by
/// the value PostgreSQL stores for that type (`'1 hour'` = `'01:00:00'::interval`, see
/// `Expr::canonical_for_type`), so a database built from the schema reads back equal.
fn same_default(a: &Column, b: &Column) -> bool {
    match (&a.default, &b.default) {
        (Some(ColumnDefault::Sql(x)), Some(ColumnDefault::Sql(y))) => {
            x == y
                || (a.data_type == b.data_type
                    && !b.data_type.array
                    && match &b.data_type.base {
                        BaseType::Builtin(ty) => {
                            x.canonical_for_type(ty) == y.canonical_for_type(ty)
                        }
                        _ => false,
                    })
        }
        (x, y) => x == y,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_without_schema_matches_any_schema() {
        let mut anywhere = Model::default();
        anywhere
            .extensions
            .insert("citext".into(), Extension { schema: None });
        let mut public = Model::default();
        public.extensions.insert(
            "citext".into(),
            Extension {
                schema: Some("public".into()),
            },
        );
        let mut other = Model::default();
        other.extensions.insert(
            "citext".into(),
            Extension {
                schema: Some("ext".into()),
            },
        );
        assert!(diff(&anywhere, &public).is_empty());
        assert!(diff(&public, &anywhere).is_empty());
        assert_eq!(
            diff(&public, &other),
            vec![Change::Unsupported(
                "move extension `citext` to another schema".into()
            )]
        );
    }

    #[test]
    fn literal_defaults_compare_by_typed_value() {
        let col = |ty: &str, default: &str| Column {
            name: "c".into(),
            data_type: crate::model::DataType::builtin(ty),
            nullable: false,
            default: Some(ColumnDefault::Sql(
                crate::model::Expr::parse(default).unwrap(),
            )),
            identity: None,
            generated: None,
            collation: None,
            comment: None,
        };
        let model = |c: Column| {
            let mut m = Model::default();
            m.schemas.entry("public".into()).or_default().tables.insert(
                "t".into(),
                Table {
                    columns: vec![c],
                    ..Table::default()
                },
            );
            m
        };
        let a = model(col("interval", "'1 hour'"));
        let b = model(col("interval", "'01:00:00'::interval"));
        assert!(diff(&a, &b).is_empty());
        assert!(diff(&b, &a).is_empty());
        let c = model(col("interval", "'2 hours'"));
        assert_eq!(diff(&a, &c).len(), 1);
        // Only for the type that reformats: as text they are different values.
        let t1 = model(col("text", "'1 hour'"));
        let t2 = model(col("text", "'01:00:00'"));
        assert_eq!(diff(&t1, &t2).len(), 1);
    }

    #[test]
    fn identical_models_have_no_changes() {
        let mut m = Model::default();
        m.schemas.insert("public".into(), Default::default());
        assert!(diff(&m, &m).is_empty());
    }

    #[test]
    fn dropped_table_is_a_drop_and_enum_values_are_added_in_place() {
        let mut from = Model::default();
        from.schemas
            .entry("public".into())
            .or_default()
            .tables
            .insert("t".into(), Table::default());
        let mut to = Model::default();
        to.schemas.insert("public".into(), Default::default());
        assert_eq!(
            diff(&from, &to),
            vec![Change::DropTable(QualifiedName::new("public", "t"))]
        );

        let q = QualifiedName::new("public", "e");
        let mut out = Vec::new();
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        enum_values(
            &mut out,
            &q,
            &v(&["B", "D"]),
            &v(&["A", "B", "C", "D", "E"]),
        );
        let added: Vec<(String, Option<EnumPosition>)> = out
            .iter()
            .map(|c| match c {
                Change::AddEnumValue {
                    value, position, ..
                } => (value.clone(), position.clone()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            added,
            vec![
                ("A".into(), Some(EnumPosition::Before("B".into()))),
                ("C".into(), Some(EnumPosition::After("B".into()))),
                ("E".into(), Some(EnumPosition::After("D".into()))),
            ]
        );
        let mut out = Vec::new();
        assert!(!enum_values(&mut out, &q, &v(&["A", "B"]), &v(&["B", "A"])));
        assert!(!enum_values(&mut out, &q, &v(&["A", "B"]), &v(&["A"])));
        assert!(out.is_empty());
    }
}
