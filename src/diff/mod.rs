//! Diff two models into a list of changes. Pure: never touches files or a database.
//!
//! Creations, drops and changes of schemas, extensions, enums (values added anywhere), tables,
//! columns (type, nullability, default, identity), constraints, indexes and foreign keys
//! (changed ones are dropped and re-added), and comments. What cannot be planned yet becomes
//! [`Change::Unsupported`], so `plan` says exactly what instead of emitting wrong SQL.

use crate::model::{
    BaseType, Check, Column, ColumnDefault, DataType, EnumType, Extension, ForeignKey, Identity,
    Index, Model, PrimaryKey, QualifiedName, Table, Unique,
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
    CreateSchema(String),
    CreateExtension(String, Extension),
    CreateEnum(QualifiedName, EnumType),
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
    /// A difference this version cannot plan yet, described for the user.
    Unsupported(String),
}

/// Where a new enum value goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnumPosition {
    Before(String),
    After(String),
}

/// Changes that turn `from` into `to`, in a deterministic (not yet executable) order.
pub fn diff(from: &Model, to: &Model) -> Vec<Change> {
    let mut out = Vec::new();

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
        if !to.extensions.contains_key(name) {
            out.push(Change::DropExtension(name.clone()));
        }
    }

    for (q, e) in to.enums() {
        match from.enum_type(&q) {
            None => {
                out.push(Change::CreateEnum(q.clone(), e.clone()));
                if let Some(c) = &e.comment {
                    out.push(Change::SetComment(CommentTarget::Type(q), Some(c.clone())));
                }
            }
            Some(old) => {
                if old.values != e.values {
                    enum_values(&mut out, &q, &old.values, &e.values);
                }
                if old.comment != e.comment {
                    out.push(Change::SetComment(
                        CommentTarget::Type(q),
                        e.comment.clone(),
                    ));
                }
            }
        }
    }
    for (q, _) in from.enums() {
        if to.enum_type(&q).is_none() {
            out.push(Change::DropEnum(q));
        }
    }

    for (q, t) in to.tables() {
        match from.table(&q) {
            None => create_table(&mut out, q, t),
            Some(old) => alter_table(&mut out, q, old, t),
        }
    }
    for (q, _) in from.tables() {
        if to.table(&q).is_none() {
            out.push(Change::DropTable(q));
        }
    }
    out
}

/// Values added anywhere (old values keep their relative order) become `ADD VALUE`s placed
/// next to a neighbour; removing or reordering needs the type recreated (not planned yet).
fn enum_values(out: &mut Vec<Change>, q: &QualifiedName, old: &[String], new: &[String]) {
    let kept: Vec<&String> = new.iter().filter(|v| old.contains(v)).collect();
    if kept.len() != old.len() || kept.iter().zip(old).any(|(a, b)| *a != b) {
        out.push(Change::Unsupported(format!(
            "remove or reorder values of enum `{q}` (from [{}] to [{}]); this needs the type recreated",
            old.join(", "),
            new.join(", ")
        )));
        return;
    }
    for (i, v) in new.iter().enumerate() {
        if old.contains(v) {
            continue;
        }
        let position = match i {
            0 => new.get(1).map(|n| EnumPosition::Before(n.clone())),
            _ => Some(EnumPosition::After(new[i - 1].clone())),
        };
        out.push(Change::AddEnumValue {
            name: q.clone(),
            value: v.clone(),
            position,
        });
    }
}

fn create_table(out: &mut Vec<Change>, q: QualifiedName, t: &Table) {
    let mut body = t.clone();
    body.indexes.clear();
    body.foreign_keys.clear();
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
    comments(out, &q, None, t);
}

fn comments(out: &mut Vec<Change>, q: &QualifiedName, old: Option<&Table>, t: &Table) {
    if old.map_or(t.comment.is_some(), |o| o.comment != t.comment) {
        out.push(Change::SetComment(
            CommentTarget::Table(q.clone()),
            t.comment.clone(),
        ));
    }
    for c in &t.columns {
        let before = old
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

fn alter_table(out: &mut Vec<Change>, q: QualifiedName, old: &Table, t: &Table) {
    // Column order only matters when a table is created; new columns are appended.
    for c in &t.columns {
        match old.column(&c.name) {
            None => out.push(Change::AddColumn(q.clone(), c.clone())),
            Some(oc) => alter_column(out, &q, oc, c),
        }
    }
    for c in &old.columns {
        if t.column(&c.name).is_none() {
            out.push(Change::DropColumn(q.clone(), c.name.clone()));
        }
    }

    match (&old.primary_key, &t.primary_key) {
        (None, Some(pk)) => out.push(Change::AddPrimaryKey(q.clone(), pk.clone())),
        (Some(pk), None) => out.push(Change::DropPrimaryKey(q.clone(), pk.name.clone())),
        (Some(a), Some(b)) if a != b => {
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
        |n, u| Change::AddUnique(q.clone(), n.to_string(), u.clone()),
        |q, n| Change::DropUnique(q.clone(), n.to_string()),
    );
    named(
        out,
        &q,
        &old.checks,
        &t.checks,
        |n, c| Change::AddCheck(q.clone(), n.to_string(), c.clone()),
        |q, n| Change::DropCheck(q.clone(), n.to_string()),
    );
    named(
        out,
        &q,
        &old.indexes,
        &t.indexes,
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
        |n, f| Change::AddForeignKey {
            table: q.clone(),
            name: n.to_string(),
            fk: f.clone(),
            new_table: false,
        },
        |q, n| Change::DropForeignKey(q.clone(), n.to_string()),
    );
    comments(out, &q, Some(old), t);
}

/// Named objects: new ones are added, missing ones dropped, changed ones dropped and re-added.
fn named<T: PartialEq>(
    out: &mut Vec<Change>,
    q: &QualifiedName,
    old: &std::collections::BTreeMap<String, T>,
    new: &std::collections::BTreeMap<String, T>,
    add: impl Fn(&str, &T) -> Change,
    drop: impl Fn(&QualifiedName, &str) -> Change,
) {
    for (n, v) in new {
        match old.get(n) {
            None => out.push(add(n, v)),
            Some(o) if o != v => {
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

/// Changes to one existing column.
fn alter_column(out: &mut Vec<Change>, q: &QualifiedName, old: &Column, new: &Column) {
    let unsupported =
        |what: &str| Change::Unsupported(format!("change column `{q}.{}` ({what})", new.name));
    let serial = |c: &Column| matches!(c.default, Some(ColumnDefault::Serial { .. }));
    if old.generated != new.generated {
        out.push(unsupported("generated expression"));
        return;
    }
    if serial(old) != serial(new) || (serial(new) && old.data_type != new.data_type) {
        out.push(unsupported("serial"));
        return;
    }
    if old.data_type != new.data_type || old.collation != new.collation {
        out.push(Change::AlterColumnType {
            table: q.clone(),
            column: new.name.clone(),
            from: old.data_type.clone(),
            to: new.data_type.clone(),
            collation: new.collation.clone(),
            had_default: matches!(old.default, Some(ColumnDefault::Sql(_))),
            default: new.default.clone(),
        });
    } else if !same_default(old, new) {
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
    if old.identity != new.identity {
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
        enum_values(&mut out, &q, &v(&["A", "B"]), &v(&["B", "A"]));
        assert!(matches!(&out[..], [Change::Unsupported(m)] if m.contains("reorder")));
    }
}
