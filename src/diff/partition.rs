//! Partitions and partitioned tables. A table's partitioning is part of what it is: a plain
//! table and a partitioned table of the same name, or a partition and a plain table, are
//! different tables, so switching between them (or changing the partition key) drops and
//! creates the table (`deletes_data`), and with it every partition below it. A partition
//! that moves to another parent or gets other bounds is detached and attached again.
//! Creating and dropping partitions are table changes (`CREATE TABLE … PARTITION OF`,
//! `DROP TABLE`) ordered after their parent's creation and before its drop.

use std::collections::BTreeSet;

use super::Change;
use super::step::{Hazard, Phase, StepInfo, StepKind, object};
use crate::model::id::{ObjectId, ObjectKind};
use crate::model::{Model, PartitionBound, QualifiedName, Table};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PartitionChange {
    /// `DROP TABLE` of a partition, before its parent's drop (which would take it along).
    Drop {
        table: QualifiedName,
        parent: QualifiedName,
    },
    /// `ALTER TABLE parent DETACH PARTITION table`: the rows stay in `table`.
    Detach {
        table: QualifiedName,
        parent: QualifiedName,
    },
    /// `ALTER TABLE parent ATTACH PARTITION table bound`. `detached`: after a
    /// [`PartitionChange::Detach`] of the same table (other bounds or parent); otherwise a
    /// plain table of the parent's columns (a partition detached by hand) becomes the
    /// partition.
    Attach {
        table: QualifiedName,
        parent: QualifiedName,
        bound: PartitionBound,
        detached: bool,
    },
}

impl From<PartitionChange> for Change {
    fn from(c: PartitionChange) -> Change {
        Change::Partition(c)
    }
}

/// The tables of both models that must be dropped and created again: the partition key
/// changed, a plain table became partitioned or a partition (or back), and, transitively,
/// the partitions of such a table (PostgreSQL drops them with it). Not the plain tables
/// that are attached instead ([`attached`]).
pub(super) fn recreated(from: &Model, to: &Model) -> BTreeSet<QualifiedName> {
    split(from, to).0
}

/// Plain tables of `from` that are partitions in `to` and can be attached as they are: the
/// parent's columns exactly (a partition detached by hand), under a parent that stays.
pub(super) fn attached(from: &Model, to: &Model) -> BTreeSet<QualifiedName> {
    split(from, to).1
}

fn split(from: &Model, to: &Model) -> (BTreeSet<QualifiedName>, BTreeSet<QualifiedName>) {
    let mut out = BTreeSet::new();
    let mut attach = BTreeSet::new();
    for (q, t) in to.tables() {
        let Some(old) = from.table(&q) else {
            continue;
        };
        if old.partition_by != t.partition_by
            || old.partition_of.is_some() != t.partition_of.is_some()
            || key_column_changed(old, t)
        {
            if attachable(from, to, old, t) {
                attach.insert(q);
            } else {
                out.insert(q);
            }
        }
    }
    loop {
        let before = out.len();
        for (q, t) in from.tables() {
            if let Some(p) = &t.partition_of
                && out.contains(&p.parent)
                && to.table(&q).is_some()
            {
                out.insert(q);
            }
        }
        // Under a parent created again, a table is created again too.
        for (q, t) in to.tables() {
            if let Some(p) = &t.partition_of
                && out.contains(&p.parent)
                && attach.remove(&q)
            {
                out.insert(q);
            }
        }
        if out.len() == before {
            return (out, attach);
        }
    }
}

/// `old`, a plain table, can become the partition `t` by `ATTACH PARTITION`: same column
/// names, types, collations and generation as the parent (whose columns it then has in the
/// model), NOT NULL wherever the parent's are. Not when the parent has checks: PostgreSQL
/// requires the table to have them already, and they would then read back as its own.
fn attachable(from: &Model, to: &Model, old: &Table, t: &Table) -> bool {
    let Some(p) = &t.partition_of else {
        return false;
    };
    let (Some(pf), Some(pt)) = (from.table(&p.parent), to.table(&p.parent)) else {
        return false;
    };
    old.partition_by.is_none()
        && old.partition_of.is_none()
        && t.partition_by.is_none()
        && pf.partition_by.is_some()
        && pf.partition_by == pt.partition_by
        && pf.partition_of.is_some() == pt.partition_of.is_some()
        && pt.checks.is_empty()
        && !pt.columns.is_empty()
        && old.columns.len() == pt.columns.len()
        && pt.columns.iter().all(|c| {
            old.column(&c.name).is_some_and(|o| {
                o.data_type == c.data_type
                    && o.collation == c.collation
                    && o.generated == c.generated
                    && o.identity.is_none()
                    && (c.nullable || !o.nullable)
            })
        })
}

/// Why each table of [`recreated`] is dropped and created again, for the plan's hints.
pub(super) fn hints(from: &Model, to: &Model) -> Vec<String> {
    let what = |t: &Table| match (&t.partition_by, &t.partition_of) {
        (Some(_), Some(_)) => "a partitioned partition",
        (Some(_), None) => "a partitioned table",
        (None, Some(_)) => "a partition",
        (None, None) => "a plain table",
    };
    let mut out = Vec::new();
    for q in recreated(from, to) {
        let (Some(old), Some(new)) = (from.table(&q), to.table(&q)) else {
            continue;
        };
        let why = if what(old) != what(new) {
            format!("{} becomes {}", what(old), what(new))
        } else if old.partition_by != new.partition_by || key_column_changed(old, new) {
            "its partition key changes".to_string()
        } else {
            "its parent is created again".to_string()
        };
        out.push(format!(
            "table {q} is dropped and created again, losing its rows ({why}: PostgreSQL cannot change that in place); move the rows in a migration of their own if they matter"
        ));
    }
    out
}

/// PostgreSQL cannot change the type or collation of a column its partition key uses.
fn key_column_changed(old: &Table, t: &Table) -> bool {
    let Some(by) = &t.partition_by else {
        return false;
    };
    let mut used: Vec<String> = Vec::new();
    for k in &by.keys {
        used.extend(k.column.clone());
        used.extend(k.expr.iter().flat_map(|e| e.referenced_columns()));
    }
    used.iter().any(|c| match (old.column(c), t.column(c)) {
        (Some(a), Some(b)) => a.data_type != b.data_type || a.collation != b.collation,
        _ => false,
    })
}

/// A partition kept on both sides whose parent or bounds changed: detached, then attached.
pub(super) fn alter(out: &mut Vec<Change>, q: &QualifiedName, old: &Table, t: &Table) {
    let (Some(a), Some(b)) = (&old.partition_of, &t.partition_of) else {
        return;
    };
    if a == b {
        return;
    }
    out.push(
        PartitionChange::Detach {
            table: q.clone(),
            parent: a.parent.clone(),
        }
        .into(),
    );
    out.push(
        PartitionChange::Attach {
            table: q.clone(),
            parent: b.parent.clone(),
            bound: b.bound.clone(),
            detached: true,
        }
        .into(),
    );
}

/// A plain table of [`attached`] becoming the partition `t`: its columns are the parent's
/// from now on, and whatever else it has that the partition does not (the primary key,
/// foreign keys and indexes PostgreSQL made its own when it was detached) is dropped
/// before the attach, which clones the parent's again.
pub(super) fn attach(out: &mut Vec<Change>, q: &QualifiedName, old: &Table, t: &Table) -> Table {
    let mut own = old.clone();
    own.columns.clear();
    if let Some(p) = &t.partition_of {
        out.push(
            PartitionChange::Attach {
                table: q.clone(),
                parent: p.parent.clone(),
                bound: p.bound.clone(),
                detached: false,
            }
            .into(),
        );
    }
    own
}

pub(super) fn step(c: &PartitionChange) -> StepInfo {
    match c {
        PartitionChange::Drop { table, parent } => StepInfo::new(
            StepKind::DropTable,
            object(table, None),
            vec![Hazard::DeletesData, Hazard::BreaksClients],
            Phase::DropTable,
        )
        .effect(
            ObjectId::new(ObjectKind::TypeName, &table.schema, &table.name),
            super::step::Effect::Drop,
        )
        .effect(ObjectId::table(table), super::step::Effect::Drop)
        .before(ObjectId::table(parent)),
        // ACCESS EXCLUSIVE on the parent and the partition (PostgreSQL 15, without
        // CONCURRENTLY); queries on the parent stop seeing the partition's rows.
        PartitionChange::Detach { table, .. } => StepInfo::new(
            StepKind::DetachPartition,
            object(table, None),
            vec![Hazard::BlocksWrites, Hazard::BreaksClients],
            Phase::DropConstraint,
        ),
        // SHARE UPDATE EXCLUSIVE on the parent, ACCESS EXCLUSIVE on the partition, which is
        // scanned for rows outside the bounds (as is a default partition for rows inside).
        PartitionChange::Attach { table, parent, .. } => StepInfo::new(
            StepKind::AttachPartition,
            object(table, None),
            vec![Hazard::BlocksWrites, Hazard::MayFailOnData],
            Phase::AddConstraint,
        )
        .after(ObjectId::table(parent))
        .after(ObjectId::table(table)),
    }
}

/// One line per difference: a changed parent or bound is reported with the detach, not
/// again with the attach.
pub(super) fn deviation(c: &PartitionChange) -> Option<String> {
    match c {
        PartitionChange::Drop { table, .. } => {
            Some(format!("missing from the database: table {table}"))
        }
        PartitionChange::Detach { table, .. } => Some(format!(
            "different in the database: parent or bounds of partition {table}"
        )),
        PartitionChange::Attach {
            table,
            parent,
            detached: false,
            ..
        } => Some(format!(
            "different in the database: table {table} is not a partition of {parent}"
        )),
        PartitionChange::Attach { .. } => None,
    }
}
