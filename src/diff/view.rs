//! Views and materialized views: created, replaced (`CREATE OR REPLACE VIEW` where
//! PostgreSQL allows it), dropped, and rebuilt around changes of what they read.
//!
//! PostgreSQL refuses to retype or drop a column a view uses, to recreate an enum a view's
//! column has, and to drop a relation a view reads. So every view that may use such a
//! column (its query names the relation and the column, or has a `*`) is dropped before the
//! change and created again after it, and with it every view that reads a rebuilt or
//! replaced-by-drop view, transitively. Drops run early, dependants first; creations late,
//! in dependency order (the edges), then their indexes and comments.

use std::collections::{BTreeMap, BTreeSet};

use super::comment::CommentTarget;
use super::step::{Effect, Hazard, Phase, StepInfo, StepKind, object};
use super::{Change, TableChange, Touched};
use crate::model::id::ObjectId;
use crate::model::rename::{Rename, table_before};
use crate::model::view::{query_refs, reads};
use crate::model::{Column, Index, Model, Part, QualifiedName, View};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ViewChange {
    /// `recreated`: the name was a view before (dropped first); `rebuilt`: with the same
    /// definition, around a change of something it reads.
    CreateView {
        name: QualifiedName,
        materialized: bool,
        view: View,
        recreated: bool,
        rebuilt: bool,
    },
    /// `CREATE OR REPLACE VIEW`: same leading columns, new query or options.
    ReplaceView {
        name: QualifiedName,
        view: View,
    },
    DropView {
        name: QualifiedName,
        materialized: bool,
        /// The relations it reads (it must go before they are dropped).
        reads: Vec<QualifiedName>,
        /// The functions it calls, by bare name (it must go before they are dropped).
        calls: Vec<String>,
        recreated: bool,
        rebuilt: bool,
    },
    /// An index of a materialized view.
    CreateIndex {
        view: QualifiedName,
        name: String,
        index: Index,
    },
    DropIndex {
        view: QualifiedName,
        name: String,
    },
}

impl From<ViewChange> for Change {
    fn from(c: ViewChange) -> Change {
        Change::View(c)
    }
}

/// Whether `old` can become `new` by `CREATE OR REPLACE VIEW`: a plain view both times, and
/// the old select list is the start of the new one item for item (so the leading columns
/// keep their names and, item for item, their expressions).
fn replaceable(old: &View, new: &View) -> bool {
    if (!old.columns.is_empty() || !new.columns.is_empty())
        && (old.columns.len() > new.columns.len()
            || new.columns[..old.columns.len()] != old.columns)
    {
        return false;
    }
    let items = |v: &View| -> Option<Vec<String>> {
        use sqlparser::ast::{SetExpr, Statement};
        let stmts = sqlparser::parser::Parser::parse_sql(
            &sqlparser::dialect::PostgreSqlDialect {},
            v.query.sql(),
        )
        .ok()?;
        let [Statement::Query(q)] = stmts.as_slice() else {
            return None;
        };
        let SetExpr::Select(s) = q.body.as_ref() else {
            return None;
        };
        Some(s.projection.iter().map(|i| i.to_string()).collect())
    };
    match (items(old), items(new)) {
        (Some(a), Some(b)) => {
            a.len() <= b.len() && b[..a.len()] == a[..] && !a.iter().any(|i| i.ends_with('*'))
        }
        _ => false,
    }
}

/// `renames` are those `compare` applied to `from`: a view's stored definition follows a
/// renamed table or column (PostgreSQL tracks them by oid and number), so a view reading one
/// is rebuilt to read what its query names now.
pub(super) fn diff(
    out: &mut Vec<Change>,
    from: &Model,
    to: &Model,
    touched: &Touched,
    renames: &[Rename],
) {
    // Columns (None: all of them) whose change a view reading them would block, by the
    // names the old queries use (tables before their renames).
    let mut broken: BTreeMap<QualifiedName, Option<BTreeSet<String>>> = BTreeMap::new();
    let mut gone: Vec<QualifiedName> = Vec::new();
    let mut columns: Vec<(QualifiedName, &str)> = touched
        .keys()
        .map(|(q, c)| (table_before(renames, q), c.as_str()))
        .collect();
    for c in out.iter() {
        match c {
            Change::Table(TableChange::AlterColumnType {
                table, column: c, ..
            })
            | Change::Table(TableChange::DropGeneratedColumn { table, column: c }) => {
                columns.push((table_before(renames, table), c))
            }
            // A view reading `*` keeps the columns it had: a new one needs a new view.
            Change::Table(TableChange::DropColumn(q, c))
            | Change::Table(TableChange::AddColumn(q, Column { name: c, .. }))
            | Change::Table(TableChange::AddGeneratedColumn(q, Column { name: c, .. })) => {
                columns.push((table_before(renames, q), c))
            }
            Change::Table(TableChange::DropTable(q)) => gone.push(q.clone()),
            _ => {}
        }
    }
    for r in renames {
        match r {
            Rename::Table { schema, from, .. } => {
                gone.push(QualifiedName::new(schema.clone(), from.clone()))
            }
            Rename::Column { table, from, .. } => {
                columns.push((table_before(renames, table), from))
            }
            _ => {}
        }
    }
    for (q, c) in columns {
        if let Some(set) = broken.entry(q).or_insert_with(|| Some(BTreeSet::new())) {
            set.insert(c.to_string());
        }
    }
    for q in gone {
        broken.insert(q, None);
    }

    let old: BTreeMap<QualifiedName, (bool, &View)> =
        from.views().map(|(q, m, v)| (q, (m, v))).collect();
    let new: BTreeMap<QualifiedName, (bool, &View)> =
        to.views().map(|(q, m, v)| (q, (m, v))).collect();
    let old_reads: BTreeMap<&QualifiedName, Vec<QualifiedName>> =
        old.iter().map(|(q, (_, v))| (q, reads(v))).collect();

    // Views kept by name that must be dropped and created again.
    let mut rebuild: BTreeSet<QualifiedName> = BTreeSet::new();
    for (q, (m, v)) in &old {
        let Some((nm, nv)) = new.get(q) else { continue };
        let uses_broken = || {
            let refs = query_refs(v.query.sql()).ok();
            old_reads[q].iter().any(|r| match broken.get(r) {
                None => false,
                Some(None) => true,
                Some(Some(cols)) => refs
                    .as_ref()
                    .is_none_or(|refs| cols.iter().any(|c| refs.may_use(c))),
            })
        };
        let changed = v.query != nv.query
            || (!v.columns.is_empty() && !nv.columns.is_empty() && v.columns != nv.columns)
            || v.security_barrier != nv.security_barrier
            || v.security_invoker != nv.security_invoker
            || v.check_option != nv.check_option;
        if m != nm || uses_broken() || (changed && (*m || !replaceable(v, nv))) {
            rebuild.insert(q.clone());
        }
    }
    // Views calling a function that is dropped (for good or to be created again).
    let dropped = super::function::dropped_names(out);
    if !dropped.is_empty() {
        for (q, (_, v)) in &old {
            if new.contains_key(q) && calls(v).iter().any(|f| dropped.contains(f)) {
                rebuild.insert(q.clone());
            }
        }
    }
    // Transitively: whatever reads a view that is dropped (for good or to be rebuilt).
    loop {
        let before = rebuild.len();
        for (q, reads) in &old_reads {
            if rebuild.contains(*q) || !new.contains_key(*q) {
                continue;
            }
            if reads
                .iter()
                .any(|r| rebuild.contains(r) || (old.contains_key(r) && !new.contains_key(r)))
            {
                rebuild.insert((*q).clone());
            }
        }
        if rebuild.len() == before {
            break;
        }
    }

    for (q, (m, v)) in &old {
        if !new.contains_key(q) || rebuild.contains(q) {
            out.push(Change::View(ViewChange::DropView {
                name: q.clone(),
                materialized: *m,
                reads: old_reads[q].clone(),
                calls: calls(v),
                recreated: new.contains_key(q),
                rebuilt: new.contains_key(q) && new[q].0 == *m && new[q].1 == *v,
            }));
        }
    }
    for (q, (m, v)) in &new {
        match old.get(q) {
            Some((om, ov)) if !rebuild.contains(q) => {
                let changed = ov.query != v.query
                    || ov.security_barrier != v.security_barrier
                    || ov.security_invoker != v.security_invoker
                    || ov.check_option != v.check_option
                    || (!ov.columns.is_empty() && !v.columns.is_empty() && ov.columns != v.columns);
                if changed && !om {
                    out.push(Change::View(ViewChange::ReplaceView {
                        name: q.clone(),
                        view: (*v).clone(),
                    }));
                }
                let same = |a: Option<&Index>, b: &Index| a.is_some_and(|a| a.same_definition(b));
                for (n, i) in &ov.indexes {
                    if !same(v.indexes.get(n), i) {
                        out.push(Change::View(ViewChange::DropIndex {
                            view: q.clone(),
                            name: n.clone(),
                        }));
                    }
                }
                for (n, i) in &v.indexes {
                    let old = ov.indexes.get(n).filter(|o| o.same_definition(i));
                    if old.is_none() {
                        out.push(Change::View(ViewChange::CreateIndex {
                            view: q.clone(),
                            name: n.clone(),
                            index: i.clone(),
                        }));
                    }
                    // A re-created index lost its comment with the old one.
                    if old.and_then(|o| o.comment.as_ref()) != i.comment.as_ref() {
                        out.push(index_comment(q, n, i));
                    }
                }
                if ov.comment != v.comment {
                    out.push(Change::Comment(target(q, *m), v.comment.clone()));
                }
                // `CREATE OR REPLACE VIEW` keeps the columns' comments.
                column_comments(out, q, Some(ov), v);
            }
            prev => {
                let rebuilt = prev.is_some_and(|(om, ov)| om == m && *ov == *v);
                out.push(Change::View(ViewChange::CreateView {
                    name: q.clone(),
                    materialized: *m,
                    view: (*v).clone(),
                    recreated: prev.is_some(),
                    rebuilt,
                }));
                for (n, i) in &v.indexes {
                    out.push(Change::View(ViewChange::CreateIndex {
                        view: q.clone(),
                        name: n.clone(),
                        index: i.clone(),
                    }));
                    if i.comment.is_some() {
                        out.push(index_comment(q, n, i));
                    }
                }
                if v.comment.is_some() {
                    out.push(Change::Comment(target(q, *m), v.comment.clone()));
                }
                column_comments(out, q, None, v);
            }
        }
    }
}

/// `COMMENT ON COLUMN` of the columns of `v` whose comment differs from `old`'s (`None`: a
/// view created, or created again, without any).
fn column_comments(out: &mut Vec<Change>, q: &QualifiedName, old: Option<&View>, v: &View) {
    let before = |c: &str| old.and_then(|o| o.column_comments.get(c));
    for (c, text) in &v.column_comments {
        if before(c) != Some(text) {
            out.push(Change::Comment(
                CommentTarget::ViewColumn(q.clone(), c.clone()),
                Some(text.clone()),
            ));
        }
    }
    for c in old.iter().flat_map(|o| o.column_comments.keys()) {
        if !v.column_comments.contains_key(c) {
            out.push(Change::Comment(
                CommentTarget::ViewColumn(q.clone(), c.clone()),
                None,
            ));
        }
    }
}

/// `COMMENT ON INDEX` of a materialized view's index.
fn index_comment(q: &QualifiedName, name: &str, i: &Index) -> Change {
    Change::Comment(
        CommentTarget::Index(q.clone(), name.to_string()),
        i.comment.clone(),
    )
}

fn target(q: &QualifiedName, materialized: bool) -> CommentTarget {
    if materialized {
        CommentTarget::MaterializedView(q.clone())
    } else {
        CommentTarget::View(q.clone())
    }
}

/// Bare names of the functions a view's query calls.
fn calls(v: &View) -> Vec<String> {
    query_refs(v.query.sql())
        .map(|r| r.functions.into_iter().map(|(_, n)| n).collect())
        .unwrap_or_default()
}

pub(super) fn step(c: &ViewChange) -> StepInfo {
    match c {
        ViewChange::CreateView {
            name,
            materialized,
            view,
            ..
        } => {
            let kind = if *materialized {
                StepKind::CreateMaterializedView
            } else {
                StepKind::CreateView
            };
            let mut s = StepInfo::new(kind, object(name, None), vec![], Phase::CreateView)
                .effect(ObjectId::view(name), Effect::Create)
                .effect(ObjectId::type_name(name), Effect::Create);
            for r in reads(view) {
                s = s.after(ObjectId::type_name(&r)).after(ObjectId::view(&r));
            }
            for f in calls(view) {
                s = s.after(super::function::name_id(&f));
            }
            s
        }
        ViewChange::ReplaceView { name, view } => {
            let mut s = StepInfo::new(
                StepKind::ReplaceView,
                object(name, None),
                vec![],
                Phase::CreateView,
            )
            .effect(ObjectId::view(name), Effect::Alter);
            for r in reads(view) {
                s = s.after(ObjectId::type_name(&r)).after(ObjectId::view(&r));
            }
            for f in calls(view) {
                s = s.after(super::function::name_id(&f));
            }
            s
        }
        ViewChange::DropView {
            name,
            materialized,
            reads,
            calls,
            recreated,
            ..
        } => {
            let kind = if *materialized {
                StepKind::DropMaterializedView
            } else {
                StepKind::DropView
            };
            // Inside the migration's transaction a re-created view is never seen missing.
            let hazards = if *recreated {
                vec![]
            } else {
                vec![Hazard::BreaksClients]
            };
            let mut s = StepInfo::new(kind, object(name, None), hazards, Phase::DropView)
                .effect(ObjectId::view(name), Effect::Drop)
                .effect(ObjectId::type_name(name), Effect::Drop);
            for r in reads {
                s = s.before(ObjectId::type_name(r)).before(ObjectId::view(r));
            }
            for f in calls {
                s = s.before(super::function::name_id(f));
            }
            s
        }
        ViewChange::CreateIndex { view, name, .. } => StepInfo::new(
            StepKind::CreateIndex,
            object(view, Some(name)),
            vec![],
            Phase::CreateView,
        )
        .after(ObjectId::view(view))
        .effect(
            ObjectId::part(
                crate::model::id::ObjectKind::Index,
                &view.schema,
                &view.name,
                name,
            ),
            super::step::Effect::Create,
        ),
        ViewChange::DropIndex { view, name } => StepInfo::new(
            StepKind::DropIndex,
            object(view, Some(name)),
            vec![],
            Phase::DropView,
        ),
    }
}

/// `None` for a view only rebuilt around another difference (or the create half of a
/// changed one, which its drop reports).
pub(super) fn deviation(c: &ViewChange) -> Option<String> {
    let what = |m: &bool| if *m { "materialized view" } else { "view" };
    Some(match c {
        ViewChange::CreateView {
            recreated: true, ..
        }
        | ViewChange::DropView { rebuilt: true, .. } => {
            return None;
        }
        ViewChange::CreateView {
            name, materialized, ..
        } => format!("extra in the database: {} {name}", what(materialized)),
        ViewChange::DropView {
            name,
            materialized,
            recreated: true,
            ..
        } => format!("different in the database: {} {name}", what(materialized)),
        ViewChange::DropView {
            name, materialized, ..
        } => format!("missing from the database: {} {name}", what(materialized)),
        ViewChange::ReplaceView { name, .. } => {
            format!("different in the database: view {name} (query or options)")
        }
        ViewChange::CreateIndex { view, name, .. } => {
            format!("extra in the database: index {name} on {view}")
        }
        ViewChange::DropIndex { view, name } => {
            format!("missing from the database: index {name} on {view}")
        }
    })
}
