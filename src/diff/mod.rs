//! Diff two models into a list of changes. Pure: never touches files or a database.
//!
//! This version plans everything needed to build a schema from empty and to add new objects
//! (schemas, extensions, enums, tables, columns, constraints, indexes, foreign keys) and to set
//! comments. Any other difference becomes [`Change::Unsupported`], so `plan` can say exactly
//! what it cannot plan yet instead of emitting wrong SQL.

use crate::model::{
    BaseType, Check, Column, ColumnDefault, EnumType, Extension, ForeignKey, Index, Model,
    PrimaryKey, QualifiedName, Table, Unique,
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
    /// A difference this version cannot plan yet, described for the user.
    Unsupported(String),
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
        if !to.schemas.contains_key(name) {
            out.push(Change::Unsupported(format!("drop schema `{name}`")));
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
            out.push(Change::Unsupported(format!("drop extension `{name}`")));
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
                    out.push(Change::Unsupported(format!(
                        "change the values of enum `{q}` (from [{}] to [{}])",
                        old.values.join(", "),
                        e.values.join(", ")
                    )));
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
            out.push(Change::Unsupported(format!("drop enum `{q}`")));
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
            out.push(Change::Unsupported(format!("drop table `{q}`")));
        }
    }
    out
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
            Some(oc) => {
                let mut a = oc.clone();
                let mut b = c.clone();
                a.comment = None;
                b.comment = None;
                if same_default(oc, c) {
                    a.default = None;
                    b.default = None;
                }
                if a != b {
                    out.push(Change::Unsupported(format!(
                        "change column `{q}.{}` ({})",
                        c.name,
                        column_differences(oc, c).join(", ")
                    )));
                }
            }
        }
    }
    for c in &old.columns {
        if t.column(&c.name).is_none() {
            out.push(Change::Unsupported(format!("drop column `{q}.{}`", c.name)));
        }
    }

    match (&old.primary_key, &t.primary_key) {
        (None, Some(pk)) => out.push(Change::AddPrimaryKey(q.clone(), pk.clone())),
        (Some(_), None) => out.push(Change::Unsupported(format!(
            "drop the primary key of `{q}`"
        ))),
        (Some(a), Some(b)) if a != b => out.push(Change::Unsupported(format!(
            "change the primary key of `{q}`"
        ))),
        _ => {}
    }

    named(
        out,
        &q,
        "unique constraint",
        &old.uniques,
        &t.uniques,
        |n, u| Change::AddUnique(q.clone(), n.to_string(), u.clone()),
    );
    named(
        out,
        &q,
        "check constraint",
        &old.checks,
        &t.checks,
        |n, c| Change::AddCheck(q.clone(), n.to_string(), c.clone()),
    );
    named(out, &q, "index", &old.indexes, &t.indexes, |n, i| {
        Change::CreateIndex {
            table: q.clone(),
            name: n.to_string(),
            index: i.clone(),
            new_table: false,
        }
    });
    named(
        out,
        &q,
        "foreign key",
        &old.foreign_keys,
        &t.foreign_keys,
        |n, f| Change::AddForeignKey {
            table: q.clone(),
            name: n.to_string(),
            fk: f.clone(),
            new_table: false,
        },
    );
    comments(out, &q, Some(old), t);
}

/// Added named objects become changes; dropped or altered ones are unsupported for now.
fn named<T: PartialEq>(
    out: &mut Vec<Change>,
    q: &QualifiedName,
    what: &str,
    old: &std::collections::BTreeMap<String, T>,
    new: &std::collections::BTreeMap<String, T>,
    add: impl Fn(&str, &T) -> Change,
) {
    for (n, v) in new {
        match old.get(n) {
            None => out.push(add(n, v)),
            Some(o) if o != v => {
                out.push(Change::Unsupported(format!("change {what} `{n}` on `{q}`")))
            }
            Some(_) => {}
        }
    }
    for n in old.keys() {
        if !new.contains_key(n) {
            out.push(Change::Unsupported(format!("drop {what} `{n}` on `{q}`")));
        }
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

fn column_differences(a: &Column, b: &Column) -> Vec<String> {
    let mut d = Vec::new();
    if a.data_type != b.data_type {
        d.push(format!("type {} → {}", a.data_type, b.data_type));
    }
    if a.nullable != b.nullable {
        d.push(
            if b.nullable {
                "drop NOT NULL"
            } else {
                "set NOT NULL"
            }
            .to_string(),
        );
    }
    if !same_default(a, b) {
        d.push("default".to_string());
    }
    if a.identity != b.identity {
        d.push("identity".to_string());
    }
    if a.generated != b.generated {
        d.push("generated expression".to_string());
    }
    if a.collation != b.collation {
        d.push("collation".to_string());
    }
    d
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
    fn dropped_table_is_unsupported_not_silent() {
        let mut from = Model::default();
        from.schemas
            .entry("public".into())
            .or_default()
            .tables
            .insert("t".into(), Table::default());
        let mut to = Model::default();
        to.schemas.insert("public".into(), Default::default());
        let changes = diff(&from, &to);
        assert_eq!(
            changes,
            vec![Change::Unsupported("drop table `public.t`".into())]
        );
        let _ = (
            Unique { columns: vec![] },
            Check {
                expr: crate::model::Expr::parse("true").unwrap(),
            },
        );
    }
}
