//! Tables and their parts: columns (types, defaults, identity, serial, generated), primary
//! keys, uniques, checks, indexes and foreign keys.

use std::collections::{BTreeMap, BTreeSet};

use super::comment::CommentTarget;
use super::step::{Effect, Hazard, Lock, Phase, StepInfo, StepKind, Transaction, object};
use super::{Change, Touch, Touched, partition, rename, typechange};
use crate::model::id::{ObjectId, ObjectKind};
use crate::model::rename::Rename;
use crate::model::{
    BaseType, Check, Column, ColumnDefault, DataType, Exclusion, Expr, ForeignKey, Identity, Index,
    Model, Part, PartitionBound, PrimaryKey, QualifiedName, Table, Unique,
};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TableChange {
    /// A serial column's sequence, renamed to the name a fresh build would give it.
    RenameSequence {
        schema: String,
        from: String,
        to: String,
    },
    /// A new table; `table` carries its columns, primary key, uniques and checks (indexes and
    /// foreign keys come as their own changes). The third field is the default partition of
    /// a new partition's parent that exists already: PostgreSQL scans it (under a lock) for
    /// rows that belong to the new partition, and fails if it finds one.
    CreateTable(QualifiedName, Table, Option<QualifiedName>),
    AddColumn(QualifiedName, Column),
    AddPrimaryKey(QualifiedName, PrimaryKey),
    AddUnique(QualifiedName, String, Unique),
    AddExclusion(QualifiedName, String, Exclusion),
    AddCheck(QualifiedName, String, Check),
    /// `new_table`: the table is created in the same plan (no rows, so no lock concerns).
    CreateIndex {
        table: QualifiedName,
        name: String,
        index: Index,
        new_table: bool,
        /// Built with `CREATE INDEX CONCURRENTLY` outside a transaction ([`online`]).
        concurrently: bool,
    },
    AddForeignKey {
        table: QualifiedName,
        name: String,
        fk: ForeignKey,
        new_table: bool,
    },
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
        /// Set when the change only moves the column between a domain and its base type
        /// (or domains over the same base type): no `USING`, no value changes. `true` when
        /// the new type is a domain with a check or NOT NULL: PostgreSQL then checks every
        /// row, rewriting the table, and a row the domain rejects fails the statement.
        domain_move: Option<bool>,
    },
    /// A generated column dropped to be added again by [`TableChange::AddGeneratedColumn`]: its
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
        /// Functions the old default called: it must change before they are dropped.
        old_calls: Vec<String>,
    },
    /// Identity added, dropped, switched between ALWAYS and BY DEFAULT, or its sequence
    /// options changed (`options`: the options wanted, None for the defaults; `from_options`
    /// the ones it had).
    SetIdentity {
        table: QualifiedName,
        column: String,
        from: Option<Identity>,
        to: Option<Identity>,
        from_options: Option<Box<crate::model::sequence::Sequence>>,
        options: Option<Box<crate::model::sequence::Sequence>>,
    },
    DropPrimaryKey(QualifiedName, String),
    DropUnique(QualifiedName, String),
    DropExclusion(QualifiedName, String),
    DropCheck(QualifiedName, String),
    /// The index; `true` for `DROP INDEX CONCURRENTLY` ([`online`]).
    DropIndex(QualifiedName, String, bool),
    DropForeignKey(QualifiedName, String),
    /// `VALIDATE CONSTRAINT`: a `NOT VALID` check or foreign key becomes validated, in a
    /// transaction of its own.
    ValidateConstraint(QualifiedName, String),
    /// A unique or primary key constraint made from the unique index of the same name built
    /// concurrently before it (`ADD CONSTRAINT … USING INDEX`, [`online`]).
    AddConstraintUsingIndex {
        table: QualifiedName,
        name: String,
        /// The unique index (renamed to `name` by PostgreSQL): `name` itself, or a transient
        /// name when the constraint `replaces` one of the same name.
        index: String,
        primary: bool,
        deferrable: crate::model::Deferrable,
        /// Drop the constraint of the same name in the same transaction first: a changed
        /// key is never missing while its new index is built.
        replaces: bool,
    },
    /// `SET NOT NULL` once the validated check `check` (`column IS NOT NULL`) proves it, so
    /// PostgreSQL skips the scan; the check is dropped in the same statement group
    /// ([`online`]).
    SetNotNullChecked {
        table: QualifiedName,
        column: String,
        check: String,
    },
}

impl From<TableChange> for Change {
    fn from(c: TableChange) -> Change {
        Change::Table(c)
    }
}

/// `out.add(c)`: push a table change.
trait Add {
    fn add(&mut self, c: TableChange);
}

impl Add for Vec<Change> {
    fn add(&mut self, c: TableChange) {
        self.push(Change::Table(c));
    }
}

/// The columns whose dependants must be rebuilt (added to `touched`), then the changes of
/// every table: created, altered, dropped.
pub(super) fn diff(out: &mut Vec<Change>, from: &Model, to: &Model, touched: &mut Touched) {
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

    // Tables whose partitioning changed are dropped and created again.
    let recreated = partition::recreated(from, to);
    let attached = partition::attached(from, to);
    for (q, t) in to.tables() {
        match from.table(&q) {
            Some(old) if attached.contains(&q) => {
                let own = partition::attach(out, &q, old, t);
                alter_table(out, q.clone(), &own, t, touched);
            }
            Some(old) if !recreated.contains(&q) => {
                alter_table(out, q.clone(), old, t, touched);
                partition::alter(out, &q, old, t);
            }
            _ => {
                let scanned = existing_default_partition(from, to, &recreated, t);
                create_table(out, q, t, scanned)
            }
        }
    }
    rebuild_foreign_keys_on_dropped_keys(out, from, to);
    // Foreign keys of other tables to a recreated table: dropped before it, added again.
    for (q, t) in to.tables().filter(|(q, _)| !recreated.contains(q)) {
        let Some(old) = from.table(&q) else {
            continue;
        };
        for (n, fk) in &t.foreign_keys {
            if recreated.contains(&fk.references)
                && old
                    .foreign_keys
                    .get(n)
                    .is_some_and(|o| o.same_definition(fk))
            {
                out.add(TableChange::DropForeignKey(q.clone(), n.clone()));
                out.add(TableChange::AddForeignKey {
                    table: q.clone(),
                    name: n.clone(),
                    fk: fk.clone(),
                    new_table: false,
                });
            }
        }
    }
    for (q, t) in from.tables() {
        if to.table(&q).is_none() || recreated.contains(&q) {
            // Its foreign keys go first (with the other FK drops), so keys they use can be
            // dropped and tables can be dropped in any order.
            for n in t.foreign_keys.keys() {
                out.add(TableChange::DropForeignKey(q.clone(), n.clone()));
            }
            match &t.partition_of {
                Some(p) => out.push(
                    partition::PartitionChange::Drop {
                        table: q,
                        parent: p.parent.clone(),
                    }
                    .into(),
                ),
                None => out.add(TableChange::DropTable(q)),
            }
        }
    }
}

/// Default-named objects of renamed tables (and of tables with renamed columns) get the
/// names a fresh build of the new schema gives them: an object of the same definition under
/// another name in `to` is renamed rather than dropped and re-added.
pub(super) fn derived_renames(
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
            if crate::model::rename::rename_constraint(old, &a, &b) {
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

/// A primary key whose columns stay but whose name changes (`primary_key_name` set, changed
/// or a default name given up for an explicit one) is renamed with `RENAME CONSTRAINT`, which
/// renames its index too, rather than dropped and added again (foreign keys use it).
pub(super) fn primary_key_renames(
    out: &mut Vec<Change>,
    from: &mut std::borrow::Cow<'_, Model>,
    to: &Model,
) {
    let recreated = partition::recreated(from, to);
    let mut pairs = Vec::new();
    for (q, t) in to.tables() {
        let old = from.table(&q).and_then(|o| o.primary_key.as_ref());
        if let (Some(a), Some(b)) = (old, &t.primary_key)
            && a.columns == b.columns
            && a.name != b.name
            && !recreated.contains(&q)
        {
            pairs.push((q, a.name.clone(), b.name.clone()));
        }
    }
    for (q, a, b) in pairs {
        let Some(old) = from
            .to_mut()
            .schemas
            .get_mut(&q.schema)
            .and_then(|s| s.tables.get_mut(&q.name))
        else {
            continue;
        };
        if crate::model::rename::rename_constraint(old, &a, &b) {
            out.push(Change::Rename(Rename::Constraint {
                table: q,
                from: a,
                to: b,
            }));
        }
    }
}

/// Pairs (old name, new name) of objects whose name changed but whose definition did not:
/// the old name is gone from `new`, the new one was not in `old`.
fn same_shape<T: Part>(
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
            .find(|(m, w)| w.same_definition(v) && !old.contains_key(*m) && !taken.contains(*m))
        {
            taken.insert(m.clone());
            pairs.push((n.clone(), m.clone()));
        }
    }
    pairs
}

/// The default partition that the parent of the new partition `t` already has, and keeps:
/// creating `t` makes PostgreSQL scan it for rows that now belong to `t`.
fn existing_default_partition(
    from: &Model,
    to: &Model,
    recreated: &BTreeSet<QualifiedName>,
    t: &Table,
) -> Option<QualifiedName> {
    let parent = &t.partition_of.as_ref()?.parent;
    if recreated.contains(parent) || from.table(parent).is_none() {
        return None;
    }
    let is_default_of = |m: &Model, q: &QualifiedName| {
        m.table(q)
            .and_then(|x| x.partition_of.as_ref())
            .is_some_and(|p| p.parent == *parent && p.bound == PartitionBound::Default)
    };
    from.tables()
        .map(|(q, _)| q)
        .find(|q| is_default_of(from, q) && is_default_of(to, q) && !recreated.contains(q))
}

fn create_table(
    out: &mut Vec<Change>,
    q: QualifiedName,
    t: &Table,
    scanned: Option<QualifiedName>,
) {
    // Without the indexes and foreign keys rather than cloned and cleared: every table of
    // an initial migration comes through here.
    let body = Table {
        grants: None,
        comment: t.comment.clone(),
        columns: t.columns.clone(),
        primary_key: t.primary_key.clone(),
        uniques: t.uniques.clone(),
        // PostgreSQL marks a NOT VALID check of CREATE TABLE valid: added after it.
        checks: t
            .checks
            .iter()
            .filter(|(_, c)| c.validated)
            .map(|(n, c)| (n.clone(), c.clone()))
            .collect(),
        indexes: BTreeMap::new(),
        foreign_keys: BTreeMap::new(),
        exclusions: t.exclusions.clone(),
        partition_by: t.partition_by.clone(),
        partition_of: t.partition_of.clone(),
        // Created by `diff::trigger`, after the functions they execute.
        triggers: BTreeMap::new(),
        // Policies and the row-level security flags follow (`diff::policy`).
        row_level_security: false,
        force_row_level_security: false,
        policies: BTreeMap::new(),
    };
    out.add(TableChange::CreateTable(q.clone(), body, scanned));
    for (name, c) in t.checks.iter().filter(|(_, c)| !c.validated) {
        out.add(TableChange::AddCheck(q.clone(), name.clone(), c.clone()));
    }
    for (name, index) in &t.indexes {
        out.add(TableChange::CreateIndex {
            table: q.clone(),
            name: name.clone(),
            index: index.clone(),
            new_table: true,
            concurrently: false,
        });
    }
    for (name, fk) in &t.foreign_keys {
        out.add(TableChange::AddForeignKey {
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
        out.push(Change::Comment(
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
            out.push(Change::Comment(
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
                out.add(TableChange::AddGeneratedColumn(q.clone(), c.clone()))
            }
            None => out.add(TableChange::AddColumn(q.clone(), c.clone())),
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
        out.add(TableChange::DropColumn(q.clone(), c.name.clone()));
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
        (None, Some(pk)) => out.add(TableChange::AddPrimaryKey(q.clone(), pk.clone())),
        (Some(pk), None) => out.add(TableChange::DropPrimaryKey(q.clone(), pk.name.clone())),
        (Some(a), Some(b)) if !a.same_definition(b) || recreated(&b.columns) => {
            out.add(TableChange::DropPrimaryKey(q.clone(), a.name.clone()));
            out.add(TableChange::AddPrimaryKey(q.clone(), b.clone()));
        }
        _ => {}
    }

    // An index (or an exclusion constraint's) over a column dropped and added again.
    let index_redo = |i: &Index| {
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
    };
    named(
        out,
        &q,
        &old.uniques,
        &t.uniques,
        |u| recreated(&u.columns),
        |_, _| false,
        |n, u| TableChange::AddUnique(q.clone(), n.to_string(), u.clone()),
        |q, n| TableChange::DropUnique(q.clone(), n.to_string()),
    );
    named(
        out,
        &q,
        &old.exclusions,
        &t.exclusions,
        |x| index_redo(&x.index),
        |_, _| false,
        |n, x| TableChange::AddExclusion(q.clone(), n.to_string(), x.clone()),
        |q, n| TableChange::DropExclusion(q.clone(), n.to_string()),
    );
    named(
        out,
        &q,
        &old.checks,
        &t.checks,
        |c| any(&mut c.expr.referenced_columns().iter()),
        |o, c| !o.validated && c.validated && o.expr == c.expr,
        |n, c| TableChange::AddCheck(q.clone(), n.to_string(), c.clone()),
        |q, n| TableChange::DropCheck(q.clone(), n.to_string()),
    );
    named(
        out,
        &q,
        &old.indexes,
        &t.indexes,
        index_redo,
        |_, _| false,
        |n, i| TableChange::CreateIndex {
            table: q.clone(),
            name: n.to_string(),
            index: i.clone(),
            new_table: false,
            concurrently: false,
        },
        |q, n| TableChange::DropIndex(q.clone(), n.to_string(), false),
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
        |o, f| {
            !o.validated
                && f.validated
                && ForeignKey {
                    validated: true,
                    ..o.clone()
                }
                .same_definition(f)
        },
        |n, f| TableChange::AddForeignKey {
            table: q.clone(),
            name: n.to_string(),
            fk: f.clone(),
            new_table: false,
        },
        |q, n| TableChange::DropForeignKey(q.clone(), n.to_string()),
    );
    comments(out, &q, Some(old), t, &replaced);
}

/// Comments of constraints and indexes (`COMMENT ON CONSTRAINT`, `COMMENT ON INDEX`): set
/// where they differ, and again on every constraint or index this diff creates or drops
/// and re-adds (its comment went with the old one). Read from `out`, so it runs after
/// every kind that may re-add one (retyped columns, re-created functions, keys).
pub(super) fn part_comments(out: &mut Vec<Change>, from: &Model, to: &Model) {
    let mut new_tables: BTreeSet<&QualifiedName> = BTreeSet::new();
    let mut added: BTreeSet<(&QualifiedName, &str)> = BTreeSet::new();
    for c in out.iter() {
        let Change::Table(c) = c else {
            continue;
        };
        match c {
            TableChange::CreateTable(q, _, _) => {
                new_tables.insert(q);
            }
            TableChange::AddPrimaryKey(q, pk) => {
                added.insert((q, &pk.name));
            }
            TableChange::AddUnique(q, n, _)
            | TableChange::AddExclusion(q, n, _)
            | TableChange::AddCheck(q, n, _)
            | TableChange::CreateIndex {
                table: q, name: n, ..
            }
            | TableChange::AddForeignKey {
                table: q, name: n, ..
            } => {
                added.insert((q, n));
            }
            _ => {}
        }
    }
    let mut comments = Vec::new();
    for (q, t) in to.tables() {
        let old = from.table(&q).filter(|_| !new_tables.contains(&q));
        let fresh = |n: &str| old.is_none() || added.contains(&(&q, n));
        let mut part = |n: &str, before: Option<&String>, now: Option<&String>, index: bool| {
            let before = if fresh(n) { None } else { before };
            if before != now {
                let target = if index {
                    CommentTarget::Index(q.clone(), n.to_string())
                } else {
                    CommentTarget::Constraint(q.clone(), n.to_string())
                };
                comments.push(Change::Comment(target, now.cloned()));
            }
        };
        if let Some(pk) = &t.primary_key {
            let before = old
                .and_then(|o| o.primary_key.as_ref())
                .filter(|o| o.name == pk.name)
                .and_then(|o| o.comment.as_ref());
            part(&pk.name, before, pk.comment.as_ref(), false);
        }
        fn each<'a, T: Part>(
            new: &'a BTreeMap<String, T>,
            old: Option<&'a BTreeMap<String, T>>,
        ) -> impl Iterator<Item = (&'a String, Option<&'a String>, Option<&'a String>)> {
            new.iter().map(move |(n, v)| {
                let before = old.and_then(|o| o.get(n)).and_then(|o| o.comment());
                (n, before, v.comment())
            })
        }
        let parts = each(&t.uniques, old.map(|o| &o.uniques))
            .chain(each(&t.checks, old.map(|o| &o.checks)))
            .chain(each(&t.exclusions, old.map(|o| &o.exclusions)))
            .chain(each(&t.foreign_keys, old.map(|o| &o.foreign_keys)));
        for (n, before, now) in parts {
            part(n, before, now, false);
        }
        for (n, before, now) in each(&t.indexes, old.map(|o| &o.indexes)) {
            part(n, before, now, true);
        }
    }
    out.extend(comments);
}

/// Foreign keys that stay while the key they reference (primary key, unique constraint or
/// unique index on the same columns) is dropped or replaced. PostgreSQL ties a foreign key
/// to the index it found when the key was created and refuses to drop that index, so the
/// foreign key is dropped before (with the other foreign keys) and added again after the new
/// keys exist, where PostgreSQL finds the new one.
fn rebuild_foreign_keys_on_dropped_keys(out: &mut Vec<Change>, from: &Model, to: &Model) {
    let mut dropped: BTreeSet<(QualifiedName, BTreeSet<String>)> = BTreeSet::new();
    for c in out.iter() {
        let Change::Table(c) = c else {
            continue;
        };
        let columns = match c {
            TableChange::DropPrimaryKey(q, _) => from
                .table(q)
                .and_then(|t| t.primary_key.as_ref())
                .map(|pk| (q, pk.columns.clone())),
            TableChange::DropUnique(q, n) => from
                .table(q)
                .and_then(|t| t.uniques.get(n))
                .map(|u| (q, u.columns.clone())),
            TableChange::DropIndex(q, n, _) => from
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
                .any(|c| matches!(c, Change::Table(TableChange::DropForeignKey(tq, tn)) if *tq == q && tn == n));
            if dropped.contains(&key) && !redone {
                rebuilt.push(TableChange::DropForeignKey(q.clone(), n.clone()));
                rebuilt.push(TableChange::AddForeignKey {
                    table: q.clone(),
                    name: n.clone(),
                    fk: fk.clone(),
                    new_table: false,
                });
            }
        }
    }
    out.extend(rebuilt.into_iter().map(Change::Table));
}

/// Named objects: new ones are added, missing ones dropped, changed ones (and those `redo`
/// says must be rebuilt) dropped and re-added; one that `validates` (only NOT VALID goes)
/// is validated in place.
#[allow(clippy::too_many_arguments)] // one closure per way an object can change
fn named<T: Part>(
    out: &mut Vec<Change>,
    q: &QualifiedName,
    old: &BTreeMap<String, T>,
    new: &BTreeMap<String, T>,
    redo: impl Fn(&T) -> bool,
    validates: impl Fn(&T, &T) -> bool,
    add: impl Fn(&str, &T) -> TableChange,
    drop: impl Fn(&QualifiedName, &str) -> TableChange,
) {
    for (n, v) in new {
        match old.get(n) {
            None => out.add(add(n, v)),
            // Only `NOT VALID` goes: validated in place (a scan, no rewrite).
            Some(o) if !redo(v) && validates(o, v) => {
                out.add(TableChange::ValidateConstraint(q.clone(), n.clone()))
            }
            Some(o) if !o.same_definition(v) || redo(v) => {
                out.add(drop(q, n));
                out.add(add(n, v));
            }
            Some(_) => {}
        }
    }
    for n in old.keys() {
        if !new.contains_key(n) {
            out.add(drop(q, n));
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
        out.add(if old.generated.is_some() {
            TableChange::DropGeneratedColumn {
                table: q.clone(),
                column: new.name.clone(),
            }
        } else {
            // Its stored values are replaced by computed ones.
            TableChange::DropColumn(q.clone(), new.name.clone())
        });
        out.add(TableChange::AddGeneratedColumn(q.clone(), new.clone()));
        return true;
    }
    if old.generated.is_some() && new.generated.is_none() {
        out.add(TableChange::DropExpression {
            table: q.clone(),
            column: new.name.clone(),
        });
        old.generated = None;
    }
    // An identity column cannot take a default: the identity goes before a default is set.
    let identity_dropped = old.identity.is_some() && new.identity.is_none();
    if identity_dropped {
        out.add(TableChange::SetIdentity {
            table: q.clone(),
            column: new.name.clone(),
            from: old.identity,
            to: None,
            from_options: old.identity_options.take(),
            options: None,
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
                out.add(TableChange::RenameSequence {
                    schema: q.schema.clone(),
                    from: a,
                    to: b,
                });
                old.default = new.default.clone();
            }
            None
        }
        (Some(sequence), None) => {
            out.add(TableChange::DropSerial {
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
    // An identity narrowed to a smaller type takes its new options first, in the old type:
    // the type change then finds its bounds in range (widening sets them after).
    let in_old_type = new.identity_options.as_deref().and_then(|o| {
        let mut s = crate::model::sequence::Sequence {
            data_type: old.data_type.to_string(),
            ..o.clone()
        };
        s.normalise();
        (!s.is_plain()).then(|| Box::new(s))
    });
    if let (Some(kind), Some(_)) = (old.identity, new.identity)
        && old.data_type != new.data_type
        && old.identity_options != in_old_type
        && narrower(&new.data_type, &old.data_type)
    {
        out.add(TableChange::SetIdentity {
            table: q.clone(),
            column: new.name.clone(),
            from: Some(kind),
            to: Some(kind),
            from_options: old.identity_options.take(),
            options: in_old_type.clone(),
        });
        old.identity_options = in_old_type;
    }
    if old.data_type != new.data_type || old.collation != new.collation {
        out.add(TableChange::AlterColumnType {
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
            domain_move: None,
        });
    } else if add_serial.is_none() && !same_default(&old, new) {
        let expr = match &new.default {
            Some(ColumnDefault::Sql(e)) => Some(e.clone()),
            _ => None,
        };
        let old_calls = match &old.default {
            Some(ColumnDefault::Sql(e)) => e.function_names().into_iter().collect(),
            _ => Vec::new(),
        };
        out.add(TableChange::SetDefault {
            table: q.clone(),
            column: new.name.clone(),
            default: expr,
            old_calls,
        });
    }
    if let Some(sequence) = add_serial {
        out.add(TableChange::AddSerial {
            table: q.clone(),
            column: new.name.clone(),
            sequence,
            data_type: new.data_type.clone(),
        });
    }
    // Options compare without their type: a type change takes the sequence along.
    let options = |c: &Column| {
        c.identity_options
            .as_deref()
            .map(|o| crate::model::sequence::Sequence {
                data_type: String::new(),
                ..o.clone()
            })
    };
    if old.identity != new.identity || (new.identity.is_some() && options(&old) != options(new)) {
        // Identity needs NOT NULL first (implied for a new identity column, not for an
        // existing one).
        if old.identity.is_none() && old.nullable {
            out.add(TableChange::SetNullable {
                table: q.clone(),
                column: new.name.clone(),
                nullable: false,
            });
        }
        out.add(TableChange::SetIdentity {
            table: q.clone(),
            column: new.name.clone(),
            from: old.identity,
            to: new.identity,
            from_options: old.identity_options.clone(),
            options: new.identity_options.clone(),
        });
    }
    if old.nullable != new.nullable && new.identity.is_none() {
        out.add(TableChange::SetNullable {
            table: q.clone(),
            column: new.name.clone(),
            nullable: new.nullable,
        });
    }
    false
}

/// Defaults compare by normalised form; a string literal default of a built-in type also by
/// the value PostgreSQL stores for that type (`'1 hour'` = `'01:00:00'::interval`, see
/// `Expr::canonical_for_type`), and `nextval` by the sequence it names (an unqualified name
/// is in `public`), so a database built from the schema reads back equal.
/// Is integer type `a` narrower than `b` (smallint < integer < bigint)?
fn narrower(a: &DataType, b: &DataType) -> bool {
    let bounds = |t: &DataType| crate::model::sequence::type_bounds(&t.to_string());
    matches!((bounds(a), bounds(b)), (Some((_, x)), Some((_, y))) if x < y)
}

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
                // `nextval('public.s')` is `nextval('s'::regclass)` as the catalog prints it.
                || crate::model::sequence::nextval_target(x)
                    .is_some_and(|q| crate::model::sequence::nextval_target(y) == Some(q))
        }
        (x, y) => x == y,
    }
}

/// Built-in functions that are stable or immutable: as a new column's default they are
/// evaluated once, so PostgreSQL stores the value without rewriting the table. Any other
/// function (user-defined ones included) is assumed volatile.
const NON_VOLATILE_FUNCTIONS: &[&str] = &[
    "abs",
    "array_length",
    "btrim",
    "ceil",
    "coalesce",
    "concat",
    "concat_ws",
    "current_date",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "date_trunc",
    "extract",
    "floor",
    "format",
    "greatest",
    "json_build_array",
    "json_build_object",
    "jsonb_build_array",
    "jsonb_build_object",
    "least",
    "length",
    "localtime",
    "localtimestamp",
    "lower",
    "ltrim",
    "make_date",
    "make_interval",
    "make_timestamp",
    "make_timestamptz",
    "md5",
    "now",
    "nullif",
    "replace",
    "round",
    "rtrim",
    "session_user",
    "statement_timestamp",
    "substring",
    "timezone",
    "to_char",
    "to_json",
    "to_jsonb",
    "transaction_timestamp",
    "trim",
    "upper",
];

/// Whether a default is evaluated per row (forcing a table rewrite when a column is added).
fn volatile(e: &Expr) -> bool {
    e.function_names()
        .iter()
        .any(|f| !NON_VOLATILE_FUNCTIONS.contains(&f.as_str()))
}

/// [`step_of`], after every function its expressions call (a user function may be created
/// in the same plan).
pub(super) fn step(c: &TableChange) -> StepInfo {
    let mut s = step_of(c);
    s.lock = Some(lock(c));
    if let TableChange::SetDefault { old_calls, .. } = c {
        for n in old_calls {
            s = s.before(super::function::name_id(n));
        }
    }
    let mut names = std::collections::BTreeSet::new();
    for e in expressions(c) {
        names.extend(e.function_names());
    }
    for n in names {
        s = s.after(super::function::name_id(&n));
    }
    s
}

/// The expressions a change writes into the database.
fn expressions(c: &TableChange) -> Vec<&crate::model::Expr> {
    use TableChange as T;
    fn column(col: &Column) -> Vec<&crate::model::Expr> {
        let mut out: Vec<&crate::model::Expr> = col.generated.iter().collect();
        if let Some(ColumnDefault::Sql(e)) = &col.default {
            out.push(e);
        }
        out
    }
    fn index(i: &Index) -> Vec<&crate::model::Expr> {
        i.keys
            .iter()
            .filter_map(|k| k.expr.as_ref())
            .chain(i.predicate.as_ref())
            .collect()
    }
    match c {
        T::CreateTable(_, t, _) => {
            let mut out: Vec<&crate::model::Expr> = t.columns.iter().flat_map(column).collect();
            out.extend(t.checks.values().map(|c| &c.expr));
            out.extend(t.exclusions.values().flat_map(|x| index(&x.index)));
            out
        }
        T::AddColumn(_, col) | T::AddGeneratedColumn(_, col) => column(col),
        T::AddCheck(_, _, c) => vec![&c.expr],
        T::AddExclusion(_, _, x) => index(&x.index),
        T::CreateIndex { index: i, .. } => index(i),
        T::SetDefault {
            default: Some(e), ..
        } => vec![e],
        T::AlterColumnType {
            default: Some(ColumnDefault::Sql(e)),
            ..
        } => vec![e],
        _ => Vec::new(),
    }
}

/// The constraint `name` of table `q` as a node of the plan (its comment follows it).
/// The table lock `c` takes (the strongest, on the table it changes).
fn lock(c: &TableChange) -> Lock {
    use TableChange as T;
    match c {
        T::CreateIndex {
            concurrently: true, ..
        }
        | T::DropIndex(_, _, true)
        | T::ValidateConstraint(..) => Lock::ShareUpdateExclusive,
        T::CreateIndex { .. } => Lock::Share,
        T::AddForeignKey { .. } => Lock::ShareRowExclusive,
        _ => Lock::AccessExclusive,
    }
}

fn column_id(q: &QualifiedName, column: &str) -> ObjectId {
    ObjectId::part(ObjectKind::Column, &q.schema, &q.name, column)
}

fn constraint_id(q: &QualifiedName, name: &str) -> ObjectId {
    ObjectId::part(ObjectKind::Constraint, &q.schema, &q.name, name)
}

fn step_of(c: &TableChange) -> StepInfo {
    use TableChange as T;
    let step = |kind, q: &QualifiedName, part: Option<&str>, hazards, phase| {
        StepInfo::new(kind, object(q, part), hazards, phase)
    };
    match c {
        T::RenameSequence { schema, from, to } => rename::relation_rename(
            StepKind::RenameSequence,
            crate::sql::display_path(&[schema, to]),
            vec![],
            schema,
            from,
            to,
        ),
        T::DropGeneratedColumn { table, column } => step(
            StepKind::DropGeneratedColumn,
            table,
            Some(column),
            vec![],
            Phase::DropColumn,
        ),
        T::AddGeneratedColumn(table, column) => step(
            StepKind::AddGeneratedColumn,
            table,
            Some(&column.name),
            vec![Hazard::RewritesTable, Hazard::BlocksWrites],
            Phase::AddGeneratedColumn,
        ),
        T::DropExpression { table, column } => step(
            StepKind::DropExpression,
            table,
            Some(column),
            vec![],
            Phase::DropColumn,
        ),
        T::DropSerial { table, column, .. } => step(
            StepKind::DropSerial,
            table,
            Some(column),
            vec![Hazard::BreaksClients],
            Phase::AlterColumn,
        ),
        T::AddSerial { table, column, .. } => step(
            StepKind::AddSerial,
            table,
            Some(column),
            vec![Hazard::BlocksWrites],
            Phase::AlterColumn,
        ),
        // Its row type takes the name in the type namespace (an enum of that name is
        // dropped first).
        T::CreateTable(q, t, scanned) => {
            // Beside an existing default partition: ACCESS EXCLUSIVE on it while it is
            // scanned, and a row of it inside the new bounds fails the statement.
            let hazards = if scanned.is_some() {
                vec![Hazard::BlocksWrites, Hazard::MayFailOnData]
            } else {
                vec![]
            };
            let mut s = step(StepKind::CreateTable, q, None, hazards, Phase::CreateTable)
                .effect(ObjectId::type_name(q), Effect::Create)
                .effect(ObjectId::table(q), Effect::Create);
            // A partition after its parent.
            if let Some(p) = &t.partition_of {
                s = s.after(ObjectId::table(&p.parent));
            }
            s
        }
        T::AddColumn(q, col) => {
            let mut h = Vec::new();
            let rewrites = col.identity.is_some()
                || col.generated.is_some()
                || match &col.default {
                    Some(ColumnDefault::Serial { .. }) => true,
                    Some(ColumnDefault::Sql(e)) => volatile(e),
                    None => false,
                };
            if rewrites {
                h.push(Hazard::RewritesTable);
            }
            // NOT NULL without a default fails as soon as the table has a row.
            if !col.nullable
                && col.default.is_none()
                && col.identity.is_none()
                && col.generated.is_none()
            {
                h.push(Hazard::MayFailOnData);
            }
            step(StepKind::AddColumn, q, Some(&col.name), h, Phase::AddColumn)
        }
        T::AddPrimaryKey(q, pk) => step(
            StepKind::AddPrimaryKey,
            q,
            Some(&pk.name),
            vec![Hazard::BlocksWrites, Hazard::MayFailOnData],
            Phase::AddConstraint,
        )
        .effect(constraint_id(q, &pk.name), Effect::Create),
        T::AddUnique(q, n, _) => step(
            StepKind::AddUnique,
            q,
            Some(n),
            vec![Hazard::BlocksWrites, Hazard::MayFailOnData],
            Phase::AddConstraint,
        )
        .effect(constraint_id(q, n), Effect::Create),
        T::AddExclusion(q, n, _) => step(
            StepKind::AddExclusion,
            q,
            Some(n),
            vec![Hazard::BlocksWrites, Hazard::MayFailOnData],
            Phase::AddConstraint,
        )
        .effect(constraint_id(q, n), Effect::Create),
        // NOT VALID: no scan, existing rows are not checked.
        T::AddCheck(q, n, c) => step(
            StepKind::AddCheck,
            q,
            Some(n),
            if c.validated {
                vec![Hazard::BlocksWrites, Hazard::MayFailOnData]
            } else {
                vec![]
            },
            Phase::AddConstraint,
        )
        .effect(constraint_id(q, n), Effect::Create),
        // Scans the table under SHARE UPDATE EXCLUSIVE (reads and writes go on); a row that
        // breaks the constraint fails it.
        // After the constraint's creation, and before what needs it validated.
        T::ValidateConstraint(q, n) => {
            let mut info = step(
                StepKind::ValidateConstraint,
                q,
                Some(n),
                vec![Hazard::MayFailOnData],
                Phase::Validate,
            )
            .after(constraint_id(q, n))
            .effect(constraint_id(q, n), Effect::Alter);
            info.transaction = Transaction::Own;
            info
        }
        // A brief ACCESS EXCLUSIVE lock: the index is already built.
        T::AddConstraintUsingIndex {
            table,
            name,
            index,
            primary,
            ..
        } => step(
            if *primary {
                StepKind::AddPrimaryKey
            } else {
                StepKind::AddUnique
            },
            table,
            Some(name),
            vec![],
            Phase::AddConstraint,
        )
        .after(ObjectId::part(
            ObjectKind::Index,
            &table.schema,
            &table.name,
            index,
        ))
        .effect(constraint_id(table, name), Effect::Create),
        // No scan: the validated check proves the column has no NULL.
        T::SetNotNullChecked {
            table,
            column,
            check,
        } => step(
            StepKind::SetNullable,
            table,
            Some(column),
            vec![],
            Phase::AlterColumn,
        )
        .after(constraint_id(table, check))
        .effect(column_id(table, column), Effect::Alter),
        T::CreateIndex {
            table,
            name,
            index,
            new_table,
            concurrently,
        } => {
            let mut h = Vec::new();
            if !new_table {
                // A concurrent build takes SHARE UPDATE EXCLUSIVE: writes go on.
                if !concurrently {
                    h.push(Hazard::BlocksWrites);
                }
                if index.unique {
                    h.push(Hazard::MayFailOnData);
                }
            }
            let mut info = step(
                StepKind::CreateIndex,
                table,
                Some(name),
                h,
                Phase::CreateIndex,
            )
            .effect(
                ObjectId::part(ObjectKind::Index, &table.schema, &table.name, name),
                Effect::Create,
            );
            if *concurrently {
                info.transaction = Transaction::None;
            }
            info
        }
        T::AddForeignKey {
            table,
            name,
            new_table,
            fk,
        } => step(
            StepKind::AddForeignKey,
            table,
            Some(name),
            if *new_table || !fk.validated {
                vec![]
            } else {
                vec![Hazard::BlocksWrites, Hazard::MayFailOnData]
            },
            Phase::AddForeignKey,
        )
        .effect(constraint_id(table, name), Effect::Create),
        T::DropTable(q) => step(
            StepKind::DropTable,
            q,
            None,
            vec![Hazard::DeletesData, Hazard::BreaksClients],
            Phase::DropTable,
        )
        .effect(ObjectId::type_name(q), Effect::Drop)
        .effect(ObjectId::table(q), Effect::Drop),
        T::DropColumn(q, c) => step(
            StepKind::DropColumn,
            q,
            Some(c),
            vec![Hazard::DeletesData, Hazard::BreaksClients],
            Phase::DropColumn,
        ),
        T::AlterColumnType {
            table,
            column,
            domain_move: Some(constrained),
            ..
        } => step(
            StepKind::AlterColumnType,
            table,
            Some(column),
            if *constrained {
                vec![
                    Hazard::BlocksWrites,
                    Hazard::RewritesTable,
                    Hazard::MayFailOnData,
                ]
            } else {
                vec![Hazard::BlocksWrites]
            },
            Phase::AlterColumn,
        ),
        T::AlterColumnType {
            table,
            column,
            from,
            to,
            ..
        } => {
            let t = typechange::classify(from, to);
            let mut h = vec![Hazard::BlocksWrites];
            if t.loses_data {
                h.push(Hazard::DeletesData);
            }
            if t.rewrites {
                h.push(Hazard::RewritesTable);
            }
            if t.may_fail {
                h.push(Hazard::MayFailOnData);
            }
            step(
                StepKind::AlterColumnType,
                table,
                Some(column),
                h,
                Phase::AlterColumn,
            )
        }
        T::SetNullable {
            table,
            column,
            nullable,
        } => step(
            StepKind::SetNullable,
            table,
            Some(column),
            if *nullable {
                vec![]
            } else {
                vec![Hazard::BlocksWrites, Hazard::MayFailOnData]
            },
            Phase::AlterColumn,
        ),
        T::SetDefault { table, column, .. } => step(
            StepKind::SetDefault,
            table,
            Some(column),
            vec![],
            Phase::AlterColumn,
        ),
        // Adding an identity needs the column NOT NULL, which the online form sets later in
        // the phase (after its check is validated).
        T::SetIdentity {
            table,
            column,
            from,
            ..
        } => step(
            StepKind::SetIdentity,
            table,
            Some(column),
            if from.is_none() {
                vec![Hazard::BlocksWrites]
            } else {
                vec![]
            },
            Phase::AlterColumn,
        )
        .after(column_id(table, column)),
        T::DropPrimaryKey(q, n) => step(
            StepKind::DropPrimaryKey,
            q,
            Some(n),
            vec![],
            Phase::DropConstraint,
        ),
        T::DropUnique(q, n) => step(
            StepKind::DropUnique,
            q,
            Some(n),
            vec![],
            Phase::DropConstraint,
        ),
        T::DropExclusion(q, n) => step(
            StepKind::DropExclusion,
            q,
            Some(n),
            vec![],
            Phase::DropConstraint,
        ),
        T::DropCheck(q, n) => step(
            StepKind::DropCheck,
            q,
            Some(n),
            vec![],
            Phase::DropConstraint,
        ),
        T::DropIndex(q, n, concurrently) => {
            let mut info = step(StepKind::DropIndex, q, Some(n), vec![], Phase::DropIndex);
            if *concurrently {
                info.transaction = Transaction::None;
            }
            info
        }
        T::DropForeignKey(q, n) => step(
            StepKind::DropForeignKey,
            q,
            Some(n),
            vec![],
            Phase::DropForeignKey,
        ),
    }
}

/// Whether check or foreign key `n` of `q` is validated in `expected`, NOT VALID in `live`,
/// and otherwise the same.
fn only_validation(expected: &Model, live: &Model, q: &QualifiedName, n: &str) -> bool {
    let (Some(a), Some(b)) = (expected.table(q), live.table(q)) else {
        return false;
    };
    let checks = match (a.checks.get(n), b.checks.get(n)) {
        (Some(x), Some(y)) => x.validated && !y.validated && x.expr == y.expr,
        _ => false,
    };
    let fks = match (a.foreign_keys.get(n), b.foreign_keys.get(n)) {
        (Some(x), Some(y)) => {
            x.validated
                && !y.validated
                && *x
                    == ForeignKey {
                        validated: true,
                        ..y.clone()
                    }
        }
        _ => false,
    };
    checks || fks
}

/// A drop or re-add of a constraint or index whose definition is the same on both sides
/// (the plan rebuilds it around a change of a column it uses).
fn rebuilt(expected: &Model, live: &Model, c: &TableChange) -> bool {
    use TableChange as T;
    let (q, n) = match c {
        T::DropCheck(q, n)
        | T::AddCheck(q, n, _)
        | T::DropIndex(q, n, _)
        | T::DropForeignKey(q, n)
        | T::DropUnique(q, n)
        | T::AddUnique(q, n, _)
        | T::DropExclusion(q, n)
        | T::AddExclusion(q, n, _)
        | T::DropPrimaryKey(q, n) => (q, n.as_str()),
        T::CreateIndex { table, name, .. } | T::AddForeignKey { table, name, .. } => {
            (table, name.as_str())
        }
        T::AddPrimaryKey(q, pk) => (q, pk.name.as_str()),
        _ => return false,
    };
    let (Some(a), Some(b)) = (expected.table(q), live.table(q)) else {
        return false;
    };
    fn same<T: PartialEq>(x: Option<&T>, y: Option<&T>) -> bool {
        x.is_some() && x == y
    }
    same(a.checks.get(n), b.checks.get(n))
        || same(a.indexes.get(n), b.indexes.get(n))
        || same(a.foreign_keys.get(n), b.foreign_keys.get(n))
        || same(a.uniques.get(n), b.uniques.get(n))
        || same(a.exclusions.get(n), b.exclusions.get(n))
        || same(
            a.primary_key.as_ref().filter(|p| p.name == n),
            b.primary_key.as_ref().filter(|p| p.name == n),
        )
}

/// The difference this change would fix in a database that should equal `expected`;
/// `None` when it is no difference of its own (an unchanged object rebuilt around a
/// column change, or the re-add of a rebuilt generated column, reported with its drop).
pub(super) fn deviation(c: &TableChange, expected: &Model, live: &Model) -> Option<String> {
    use TableChange as T;
    if rebuilt(expected, live, c) {
        return None;
    }
    // Only NOT VALID differs: one line, with the drop (the re-add says nothing more).
    match c {
        T::DropCheck(q, n) | T::DropForeignKey(q, n) if only_validation(expected, live, q, n) => {
            return Some(format!(
                "different in the database: constraint {n} on {q} is NOT VALID"
            ));
        }
        T::AddCheck(q, n, _) if only_validation(expected, live, q, n) => return None,
        T::AddForeignKey { table, name, .. } if only_validation(expected, live, table, name) => {
            return None;
        }
        _ => {}
    }
    Some(match c {
        T::CreateTable(q, ..) => format!("extra in the database: table {q}"),
        T::AddColumn(q, col) => format!("extra in the database: column {q}.{}", col.name),
        T::AddPrimaryKey(q, pk) => {
            format!("extra in the database: primary key {} on {q}", pk.name)
        }
        T::AddUnique(q, n, _) => format!("extra in the database: unique constraint {n} on {q}"),
        T::AddExclusion(q, n, _) => {
            format!("extra in the database: exclusion constraint {n} on {q}")
        }
        T::AddCheck(q, n, _) => format!("extra in the database: check constraint {n} on {q}"),
        T::CreateIndex { table, name, .. } => {
            format!("extra in the database: index {name} on {table}")
        }
        T::AddForeignKey { table, name, .. } => {
            format!("extra in the database: foreign key {name} on {table}")
        }
        T::DropTable(q) => format!("missing from the database: table {q}"),
        T::DropColumn(q, c) => format!("missing from the database: column {q}.{c}"),
        T::DropPrimaryKey(q, n) => format!("missing from the database: primary key {n} on {q}"),
        T::DropUnique(q, n) => {
            format!("missing from the database: unique constraint {n} on {q}")
        }
        T::DropExclusion(q, n) => {
            format!("missing from the database: exclusion constraint {n} on {q}")
        }
        T::DropCheck(q, n) => format!("missing from the database: check constraint {n} on {q}"),
        T::DropIndex(q, n, _) => format!("missing from the database: index {n} on {q}"),
        T::DropForeignKey(q, n) => format!("missing from the database: foreign key {n} on {q}"),
        T::ValidateConstraint(q, n) => {
            format!(
                "different in the database: constraint {n} on {q} is validated (NOT VALID declared)"
            )
        }
        T::AddConstraintUsingIndex {
            table,
            name,
            primary,
            ..
        } => format!(
            "extra in the database: {} {name} on {table}",
            if *primary {
                "primary key"
            } else {
                "unique constraint"
            }
        ),
        T::SetNotNullChecked { table, column, .. } => {
            format!("different in the database: column {table}.{column} is nullable")
        }
        T::AlterColumnType {
            table,
            column,
            from,
            to,
            ..
        } => format!("different in the database: column {table}.{column} (type {from} → {to})"),
        T::SetNullable {
            table,
            column,
            nullable,
        } => format!(
            "different in the database: column {table}.{column} is {}",
            if *nullable { "nullable" } else { "NOT NULL" }
        ),
        T::SetDefault { table, column, .. } => {
            format!("different in the database: default of {table}.{column}")
        }
        T::SetIdentity { table, column, .. } => {
            format!("different in the database: identity of {table}.{column}")
        }
        T::RenameSequence { schema, from, to } => {
            format!("different in the database: sequence {schema}.{to} is named {schema}.{from}")
        }
        T::DropGeneratedColumn { table, column } => {
            format!("different in the database: generated expression of {table}.{column}")
        }
        T::AddGeneratedColumn(..) => return None,
        T::DropExpression { table, column } => {
            format!("different in the database: {table}.{column} is not generated")
        }
        T::DropSerial { table, column, .. } => {
            format!("different in the database: {table}.{column} is serial")
        }
        T::AddSerial { table, column, .. } => {
            format!("different in the database: {table}.{column} is not serial")
        }
    })
}

/// The online forms of `changes` (`[online] enabled`, the default), for tables that exist
/// already (a table created in the same plan has no rows and needs none of it):
/// - indexes are built and dropped `CONCURRENTLY`, each in a step of its own outside a
///   transaction, so writes go on while they run;
/// - unique and primary key constraints are made from a unique index built that way
///   (`ADD CONSTRAINT … USING INDEX`: a brief ACCESS EXCLUSIVE lock, no build under it);
/// - foreign keys and checks are added `NOT VALID` (a brief lock, no scan) and validated in
///   a transaction of their own, whose scan holds only SHARE UPDATE EXCLUSIVE;
/// - `SET NOT NULL` is proved first by a `CHECK (column IS NOT NULL)` added `NOT VALID`
///   and validated, so the `SET NOT NULL` that follows skips its scan; the check is then
///   dropped.
///
/// Partitioned tables and partitions (in any of `models`) keep the plain forms: PostgreSQL
/// builds a partitioned index only non-concurrently and refuses `USING INDEX` and `NOT
/// VALID` foreign keys there. A column type change that rewrites an existing table is not
/// made online; the returned hints say so and show the expand/contract alternative.
pub fn online(changes: &mut Vec<super::Change>, models: &[&crate::model::Model]) -> Vec<String> {
    use TableChange as T;
    let partitioned = |q: &QualifiedName| {
        models.iter().any(|m| {
            m.table(q)
                .is_some_and(|t| t.partition_by.is_some() || t.partition_of.is_some())
        })
    };
    let created: BTreeSet<QualifiedName> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Table(T::CreateTable(q, ..)) => Some(q.clone()),
            _ => None,
        })
        .collect();
    let existing = |q: &QualifiedName| !created.contains(q) && !partitioned(q);
    let mut hints = Vec::new();
    // Transient check names chosen so far: two long column names may shorten alike.
    let mut chosen: BTreeSet<(QualifiedName, String)> = BTreeSet::new();
    // Unique and primary keys dropped and added again under the same name (columns or
    // deferrability changed) on a table that exists.
    let key_name = |c: &Change, added: bool| match (c, added) {
        (Change::Table(T::DropUnique(q, n) | T::DropPrimaryKey(q, n)), false) => {
            Some((q.clone(), n.clone()))
        }
        (Change::Table(T::AddUnique(q, n, _)), true) => Some((q.clone(), n.clone())),
        (Change::Table(T::AddPrimaryKey(q, pk)), true) => Some((q.clone(), pk.name.clone())),
        _ => None,
    };
    let added: BTreeSet<(QualifiedName, String)> =
        changes.iter().filter_map(|c| key_name(c, true)).collect();
    // Only when the key keeps its columns (its deferrability changed): with other columns,
    // steps of the phases before (a column dropped, or made nullable once out of the primary
    // key) need the old key gone first.
    let columns_stay = |(q, n): &(QualifiedName, String)| {
        let key_columns = |t: &Table| {
            (t.primary_key.as_ref().filter(|p| p.name == *n))
                .map(|p| p.columns.clone())
                .or_else(|| t.uniques.get(n).map(|u| u.columns.clone()))
        };
        let mut each = models.iter().map(|m| m.table(q).and_then(key_columns));
        let first = each.next().flatten();
        first.is_some() && each.all(|c| c == first)
    };
    let replaced: BTreeSet<(QualifiedName, String)> = changes
        .iter()
        .filter_map(|c| key_name(c, false))
        .filter(|k| added.contains(k) && existing(&k.0) && columns_stay(k))
        .collect();
    let mut out = Vec::with_capacity(changes.len());
    for c in std::mem::take(changes) {
        let Change::Table(t) = c else {
            out.push(c);
            continue;
        };
        match t {
            T::CreateIndex {
                table,
                name,
                index,
                new_table: false,
                ..
            } if existing(&table) => out.add(T::CreateIndex {
                table,
                name,
                index,
                new_table: false,
                concurrently: true,
            }),
            T::DropIndex(q, n, _) if existing(&q) => out.add(T::DropIndex(q, n, true)),
            // A replaced key is dropped by the step that adds its successor.
            T::DropUnique(q, n) | T::DropPrimaryKey(q, n)
                if replaced.contains(&(q.clone(), n.clone())) => {}
            T::AddUnique(q, n, u) if existing(&q) => {
                let (index, replaces) = key_index(&q, &n, &replaced, models, &mut chosen);
                out.add(unique_index(&q, &index, &u.columns));
                out.add(T::AddConstraintUsingIndex {
                    table: q,
                    name: n,
                    index,
                    primary: false,
                    deferrable: u.deferrable,
                    replaces,
                });
            }
            T::AddPrimaryKey(q, pk) if existing(&q) => {
                let (index, replaces) = key_index(&q, &pk.name, &replaced, models, &mut chosen);
                out.add(unique_index(&q, &index, &pk.columns));
                out.add(T::AddConstraintUsingIndex {
                    table: q,
                    name: pk.name,
                    index,
                    primary: true,
                    deferrable: pk.deferrable,
                    replaces,
                });
            }
            T::AddForeignKey {
                table,
                name,
                mut fk,
                new_table: false,
            } if fk.validated && existing(&table) => {
                fk.validated = false;
                out.add(T::AddForeignKey {
                    table: table.clone(),
                    name: name.clone(),
                    fk,
                    new_table: false,
                });
                out.add(T::ValidateConstraint(table, name));
            }
            T::AddCheck(q, n, mut check) if check.validated && existing(&q) => {
                check.validated = false;
                out.add(T::AddCheck(q.clone(), n.clone(), check));
                out.add(T::ValidateConstraint(q, n));
            }
            T::SetNullable {
                table,
                column,
                nullable: false,
            } if existing(&table) => {
                let check = not_null_check_name(&table, &column, models, &chosen);
                chosen.insert((table.clone(), check.clone()));
                let expr =
                    Expr::parse(&format!("{} IS NOT NULL", crate::sql::quote_ident(&column)));
                let Ok(expr) = expr else {
                    // A quoted identifier always parses; keep the plain form if not.
                    out.add(T::SetNullable {
                        table,
                        column,
                        nullable: false,
                    });
                    continue;
                };
                let mut c = Check::new(expr);
                c.validated = false;
                out.add(T::AddCheck(table.clone(), check.clone(), c));
                out.add(T::ValidateConstraint(table.clone(), check.clone()));
                out.add(T::SetNotNullChecked {
                    table,
                    column,
                    check,
                });
            }
            T::AlterColumnType {
                table,
                column,
                from,
                to,
                collation,
                had_default,
                default,
                domain_move,
            } => {
                let rewrites = match domain_move {
                    Some(constrained) => constrained,
                    None => typechange::classify(&from, &to).rewrites,
                };
                if rewrites && existing(&table) {
                    hints.push(format!(
                        "column {table}.{column}: the type change {from} → {to} rewrites the table under an ACCESS EXCLUSIVE lock (reads and writes wait for the whole rewrite); schemactl does not make it online. The expand/contract alternative: add a column of the new type, keep it in step with a trigger, backfill it in batches (a data migration, `schemactl new`), move readers and writers to it, then drop the old column and rename the new one"
                    ));
                }
                out.add(T::AlterColumnType {
                    table,
                    column,
                    from,
                    to,
                    collation,
                    had_default,
                    default,
                    domain_move,
                });
            }
            other => out.add(other),
        }
    }
    *changes = out;
    hints
}

/// The index a key is made from: its own name, or, when it replaces a key of the same name,
/// a transient one (`{name}_new`, numbered when taken) that `USING INDEX` renames.
fn key_index(
    table: &QualifiedName,
    name: &str,
    replaced: &BTreeSet<(QualifiedName, String)>,
    models: &[&Model],
    chosen: &mut BTreeSet<(QualifiedName, String)>,
) -> (String, bool) {
    if !replaced.contains(&(table.clone(), name.to_string())) {
        return (name.to_string(), false);
    }
    let schema = QualifiedName::new(table.schema.clone(), String::new());
    let taken = |n: &str| {
        chosen.contains(&(schema.clone(), n.to_string()))
            || models.iter().any(|m| {
                m.schemas.get(&table.schema).is_some_and(|s| {
                    s.tables.contains_key(n)
                        || s.views.contains_key(n)
                        || s.materialized_views.contains_key(n)
                        || s.sequences.contains_key(n)
                        || s.materialized_views
                            .values()
                            .any(|v| v.indexes.contains_key(n))
                        || s.tables.values().any(|t| {
                            t.indexes.contains_key(n)
                                || t.uniques.contains_key(n)
                                || t.exclusions.contains_key(n)
                                || t.primary_key.as_ref().is_some_and(|p| p.name == n)
                        })
                })
            })
    };
    let index = crate::compile::names::choose(name, None, "new", taken);
    chosen.insert((schema, index.clone()));
    (index, true)
}

/// A unique B-tree index on `columns` named `name`, built concurrently, for
/// [`TableChange::AddConstraintUsingIndex`].
fn unique_index(table: &QualifiedName, name: &str, columns: &[String]) -> TableChange {
    TableChange::CreateIndex {
        table: table.clone(),
        name: name.to_string(),
        index: Index {
            unique: true,
            method: "btree".to_string(),
            keys: columns
                .iter()
                .map(|c| crate::model::IndexKey {
                    column: Some(c.clone()),
                    expr: None,
                    descending: false,
                    nulls_first: false,
                    opclass: None,
                })
                .collect(),
            include: Vec::new(),
            predicate: None,
            comment: None,
        },
        new_table: false,
        concurrently: true,
    }
}

/// The name of the transient `column IS NOT NULL` check: `table_column_set_not_null`
/// (PostgreSQL's way of shortening), numbered if a constraint of the table has it already or
/// another such check of this plan took it.
fn not_null_check_name(
    table: &QualifiedName,
    column: &str,
    models: &[&Model],
    chosen: &BTreeSet<(QualifiedName, String)>,
) -> String {
    let taken = |n: &str| {
        chosen.contains(&(table.clone(), n.to_string()))
            || models.iter().any(|m| {
                m.table(table).is_some_and(|t| {
                    t.checks.contains_key(n)
                        || t.uniques.contains_key(n)
                        || t.foreign_keys.contains_key(n)
                        || t.exclusions.contains_key(n)
                        || t.primary_key.as_ref().is_some_and(|p| p.name == n)
                })
            })
    };
    crate::compile::names::choose(&table.name, Some(column), "set_not_null", taken)
}
