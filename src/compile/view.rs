//! Views and materialized views: names, the query's references, options, indexes.
//!
//! A query is kept as written (PostgreSQL's own text is compared through the server, see
//! `model::view`). What it reads is found by sqlparser: every relation must be a declared
//! table or view when it is in a managed schema (unqualified names resolve in `public`, as
//! with PostgreSQL's default `search_path`), and views may not form a cycle.

use std::collections::{BTreeMap, BTreeSet};

use super::names::Namespace;
use super::{Compiler, invalid_column};
use crate::diag::{Diagnostic, Span};
use crate::model::view::{CheckOption, Query, QueryRefs, query_refs};
use crate::model::{Model, QualifiedName, Table, View};
use crate::schema::reader::Sp;
use crate::schema::{RawView, Sources};

/// A compiled view with what the later checks need.
struct Pending<'a> {
    name: QualifiedName,
    raw: &'a RawView,
    view: View,
    refs: Option<QueryRefs>,
}

impl Compiler {
    /// Compile every view of `sources` into `model` (whose tables are complete). `names`
    /// holds the type names taken so far (tables and enums; a view has a row type too) and
    /// `namespaces` the relation names.
    pub(super) fn views(
        &mut self,
        sources: &Sources,
        model: &mut Model,
        names: &mut BTreeMap<QualifiedName, (Span, &'static str)>,
        namespaces: &mut BTreeMap<String, Namespace>,
    ) {
        let mut pending: Vec<Pending<'_>> = Vec::new();
        for f in &sources.files {
            for v in &f.views {
                let what = kind(v);
                let schema = self.object_schema(v.schema.as_ref(), f.schema.as_ref(), &v.name.span);
                if !self.ident(&v.name, what) {
                    continue;
                }
                let q = QualifiedName::new(schema, v.name.value.clone());
                if let Some((first, other)) = names.get(&q) {
                    let (first, other) = (first.clone(), *other);
                    if other == what {
                        self.duplicate(what, &v.name, first);
                    } else {
                        self.push(
                            Diagnostic::new(
                                "duplicate-object",
                                v.name.span.clone(),
                                format!("{what} `{q}` has the same name as a {other}"),
                            )
                            .label(first, format!("the {other} is defined here"))
                            .hint("views, tables and types share names in a schema; rename one"),
                        );
                    }
                    continue;
                }
                names.insert(q.clone(), (v.name.span.clone(), what));
                let ns = namespaces.entry(q.schema.clone()).or_default();
                if ns.relations.contains(&q.name) {
                    self.push(
                        Diagnostic::new(
                            "duplicate-object",
                            v.name.span.clone(),
                            format!("{what} `{q}` has the name of an index or sequence"),
                        )
                        .hint("tables, views, indexes and sequences share names in a schema"),
                    );
                    continue;
                }
                ns.relations.insert(q.name.clone());
                if let Some(p) = self.view(q, v) {
                    pending.push(p);
                }
            }
        }
        let declared: BTreeSet<QualifiedName> = pending.iter().map(|p| p.name.clone()).collect();
        let outputs: BTreeMap<QualifiedName, Vec<String>> = pending
            .iter()
            .filter_map(|p| Some((p.name.clone(), output_columns(p)?)))
            .collect();
        // A column comment names an output column, where they are known.
        for p in &pending {
            let Some(cols) = outputs.get(&p.name) else {
                continue;
            };
            for (c, _) in &p.raw.column_comments {
                if !cols.contains(&c.value) {
                    self.push(
                        Diagnostic::new(
                            "unknown-column",
                            c.span.clone(),
                            format!("{} `{}` has no column `{}`", kind(p.raw), p.name, c.value),
                        )
                        .hint(format!("its columns: {}", cols.join(", "))),
                    );
                }
            }
        }
        // Columns as declared, also those that did not compile (already reported: a view
        // reading one gets no second error).
        let mut written: BTreeSet<(QualifiedName, String)> = BTreeSet::new();
        for f in &sources.files {
            for t in &f.tables {
                let schema = t.schema.as_ref().or(f.schema.as_ref());
                let q = QualifiedName::new(
                    schema.map_or("public", |s| s.value.as_str()),
                    t.name.value.clone(),
                );
                for c in &t.columns {
                    written.insert((q.clone(), c.name.value.clone()));
                }
            }
        }
        // Sequences are relations a query may read too (`SELECT last_value FROM s`).
        let mut sequences: BTreeSet<QualifiedName> = BTreeSet::new();
        for f in &sources.files {
            for s in &f.sequences {
                let schema = s.schema.as_ref().or(f.schema.as_ref());
                sequences.insert(QualifiedName::new(
                    schema.map_or("public", |s| s.value.as_str()),
                    s.name.value.clone(),
                ));
            }
        }
        for (sn, schema) in &model.schemas {
            for (tn, t) in &schema.tables {
                for c in &t.columns {
                    if let Some(crate::model::ColumnDefault::Serial { sequence }) = &c.default {
                        sequences.insert(QualifiedName::new(sn.clone(), sequence.clone()));
                    }
                    if c.identity.is_some() {
                        let name = super::names::make_object_name(tn, Some(&c.name), "seq");
                        sequences.insert(QualifiedName::new(sn.clone(), name));
                    }
                }
            }
        }
        let mut graph: BTreeMap<QualifiedName, BTreeSet<QualifiedName>> = BTreeMap::new();
        for p in &mut pending {
            let reads = self.relations(p, model, &declared, &sequences);
            self.columns_read(p, model, &outputs, &written);
            graph.insert(p.name.clone(), reads);
        }
        // Each cycle once, at the first of its views (in name order).
        let mut reported: BTreeSet<BTreeSet<QualifiedName>> = BTreeSet::new();
        for p in &pending {
            if let Some(cycle) = cycle_from(&p.name, &graph) {
                if !reported.insert(cycle.iter().cloned().collect()) {
                    continue;
                }
                let path: Vec<String> = cycle.iter().map(|q| q.to_string()).collect();
                self.push(
                    Diagnostic::new(
                        "view-cycle",
                        p.raw.name.span.clone(),
                        format!("views read each other in a cycle: {}", path.join(" → ")),
                    )
                    .hint(
                        "PostgreSQL cannot create views that depend on each other; break the cycle",
                    ),
                );
            }
        }
        for mut p in pending {
            self.view_indexes(&mut p, model, namespaces);
            if let Some(s) = model.schemas.get_mut(&p.name.schema) {
                let map = if p.raw.materialized {
                    &mut s.materialized_views
                } else {
                    &mut s.views
                };
                map.insert(p.name.name, p.view);
            }
        }
    }

    fn view<'a>(&mut self, name: QualifiedName, v: &'a RawView) -> Option<Pending<'a>> {
        let what = kind(v);
        let Some(query) = &v.query else {
            self.missing(
                &v.name.span,
                what,
                "query",
                "add `query = \"SELECT …\"` (the view's SELECT, as you would write it after AS)",
            );
            return None;
        };
        if query.value.contains('\0') {
            self.push(
                Diagnostic::new(
                    "invalid-value",
                    query.span.clone(),
                    "the query contains a NUL character",
                )
                .hint("remove the NUL character"),
            );
            return None;
        }
        let refs = match query_refs(&query.value) {
            Ok(r) => Some(r),
            Err(e) if v.depends_on.is_none() => {
                self.push(
                    Diagnostic::new(
                        "invalid-query",
                        query.span.clone(),
                        format!("cannot read the {what}'s query: {e}"),
                    )
                    .hint("write one SELECT (no trailing statements); if PostgreSQL accepts it as it is, list what it reads in `depends_on = [\"schema.table\"]` and schemactl takes the text as written"),
                );
                return None;
            }
            Err(_) => None,
        };
        let mut columns = Vec::new();
        if let Some(list) = &v.columns {
            let mut seen = BTreeSet::new();
            for c in &list.value {
                if self.ident(c, "view column") && !seen.insert(c.value.clone()) {
                    self.push(
                        Diagnostic::new(
                            "duplicate-column",
                            c.span.clone(),
                            format!("column `{}` is listed twice", c.value),
                        )
                        .hint("view column names must be distinct"),
                    );
                }
                columns.push(c.value.clone());
            }
            if let Some(r) = &refs
                && !r.star
                && columns.len() > r.output.len()
            {
                self.push(
                    Diagnostic::new(
                        "invalid-value",
                        list.span.clone(),
                        format!(
                            "`columns` names {} columns but the query returns {}",
                            columns.len(),
                            r.output.len()
                        ),
                    )
                    .hint("name at most as many columns as the select list has"),
                );
            }
        }
        let check_option = v.check_option.as_ref().and_then(|c| {
            self.keyword(
                c,
                "check option",
                &[
                    ("local", CheckOption::Local),
                    ("cascaded", CheckOption::Cascaded),
                ],
            )
        });
        let depends_on = v
            .depends_on
            .as_ref()
            .map(|list| {
                list.value
                    .iter()
                    .filter_map(|d| self.qualified(d, &name.schema, "`depends_on` entry"))
                    .collect()
            })
            .unwrap_or_default();
        let view = View {
            grants: None,
            query: Query::new(query.value.trim().trim_end_matches(';').trim_end()),
            columns,
            security_barrier: v.security_barrier.as_ref().is_some_and(|b| b.value),
            security_invoker: v.security_invoker.as_ref().is_some_and(|b| b.value),
            check_option,
            no_data: v.with_data.as_ref().is_some_and(|b| !b.value),
            indexes: BTreeMap::new(),
            triggers: BTreeMap::new(),
            depends_on,
            comment: self.literal_text(&v.comment, "comment"),
            column_comments: v
                .column_comments
                .iter()
                .filter_map(|(c, text)| {
                    let text = self.literal_text(&Some(text.clone()), "comment")?;
                    Some((c.value.clone(), text))
                })
                .collect(),
        };
        Some(Pending {
            name,
            raw: v,
            view,
            refs,
        })
    }

    /// `schema.name` or `name` (in `default_schema`).
    pub(super) fn qualified(
        &mut self,
        s: &Sp<String>,
        default_schema: &str,
        what: &str,
    ) -> Option<QualifiedName> {
        let parts: Vec<&str> = s.value.split('.').collect();
        let q = match parts.as_slice() {
            [n] if !n.is_empty() => QualifiedName::new(default_schema, *n),
            [sc, n] if !sc.is_empty() && !n.is_empty() => QualifiedName::new(*sc, *n),
            _ => {
                self.push(
                    Diagnostic::new(
                        "invalid-value",
                        s.span.clone(),
                        format!("{what} `{}` is not `name` or `schema.name`", s.value),
                    )
                    .hint("write `\"public.members\"` or `\"members\"`"),
                );
                return None;
            }
        };
        Some(q)
    }

    /// The declared relations `p`'s query reads (resolved), reporting unknown ones.
    fn relations(
        &mut self,
        p: &mut Pending<'_>,
        model: &Model,
        views: &BTreeSet<QualifiedName>,
        sequences: &BTreeSet<QualifiedName>,
    ) -> BTreeSet<QualifiedName> {
        let mut out: BTreeSet<QualifiedName> = p.view.depends_on.iter().cloned().collect();
        let Some(refs) = &p.refs else {
            return out;
        };
        let query = p
            .raw
            .query
            .as_ref()
            .map_or(p.raw.name.span.clone(), |q| q.span.clone());
        for (schema, name) in &refs.relations {
            let q = QualifiedName::new(schema.as_deref().unwrap_or("public"), name.clone());
            if !self.managed.contains(&q.schema) {
                continue;
            }
            if model.table(&q).is_some() || views.contains(&q) {
                out.insert(q);
                continue;
            }
            // Created in a phase before every table and view: no edge needed.
            if sequences.contains(&q) {
                continue;
            }
            if schema.is_none() && name.starts_with("pg_") {
                continue; // a system catalog, found through pg_catalog
            }
            self.push(
                Diagnostic::new(
                    "unknown-relation",
                    query.clone(),
                    format!("the {} `{}` reads `{q}`, which is not declared", kind(p.raw), p.name),
                )
                .hint("declare the table or view, or qualify the name with its schema (unqualified names resolve in `public`)"),
            );
        }
        out
    }

    /// The columns `p`'s query certainly reads (`model::view::column_refs`) must be columns of
    /// the declared table or view; and the sequences it names are checked with the others.
    fn columns_read(
        &mut self,
        p: &Pending<'_>,
        model: &Model,
        views: &BTreeMap<QualifiedName, Vec<String>>,
        written: &BTreeSet<(QualifiedName, String)>,
    ) {
        let Some(refs) = &p.refs else {
            return;
        };
        let query = p
            .raw
            .query
            .as_ref()
            .map_or(p.raw.name.span.clone(), |q| q.span.clone());
        let what = format!("the {} `{}`", kind(p.raw), p.name);
        for text in &refs.sequences {
            if let Some(sequence) = crate::model::sequence::regclass_name(text) {
                self.sequence_uses.push(super::SequenceUse {
                    sequence,
                    span: query.clone(),
                    what: what.clone(),
                });
            }
        }
        for (schema, name, column) in &refs.columns {
            let q = QualifiedName::new(schema.as_deref().unwrap_or("public"), name.clone());
            if !self.managed.contains(&q.schema) || SYSTEM_COLUMNS.contains(&column.as_str()) {
                continue;
            }
            let columns: Vec<String> = match (model.table(&q), views.get(&q)) {
                (Some(t), _) if t.partition_of.is_none() => {
                    t.columns.iter().map(|c| c.name.clone()).collect()
                }
                (None, Some(v)) => v.clone(),
                _ => continue,
            };
            if columns.contains(column) || written.contains(&(q.clone(), column.clone())) {
                continue;
            }
            let relation = if model.table(&q).is_some() {
                "table"
            } else {
                "view"
            };
            let table = Table {
                columns: columns.iter().map(|n| invalid_column(n)).collect(),
                ..Table::default()
            };
            self.push(
                Diagnostic::new(
                    "unknown-column",
                    query.clone(),
                    format!(
                        "{what} reads column `{column}` of {relation} `{q}`, which has no such column"
                    ),
                )
                .hint(super::column_hint(column, &table)),
            );
        }
    }

    /// A materialized view's indexes (explicitly named: they share the relation namespace).
    fn view_indexes(
        &mut self,
        p: &mut Pending<'_>,
        model: &Model,
        namespaces: &mut BTreeMap<String, Namespace>,
    ) {
        if p.raw.indexes.is_empty() {
            return;
        }
        // Index keys are checked against the view's columns when the select list names them
        // all; otherwise against every name the query mentions, and for `*` the columns of
        // the tables it reads. `None`: not checked (a query that could not be read, or `*`
        // over something whose columns are not known here).
        let names: Option<Vec<String>> = if !p.view.columns.is_empty() {
            Some(p.view.columns.clone())
        } else {
            match &p.refs {
                Some(r) if !r.star && r.output.iter().all(Option::is_some) => {
                    Some(r.output.iter().flatten().cloned().collect())
                }
                Some(r) if r.star => r.relations.iter().try_fold(
                    r.identifiers.iter().cloned().collect::<Vec<_>>(),
                    |mut names, (s, n)| {
                        let q = QualifiedName::new(
                            s.clone().unwrap_or_else(|| "public".into()),
                            n.clone(),
                        );
                        let t = model.table(&q).filter(|t| t.partition_of.is_none())?;
                        names.extend(t.columns.iter().map(|c| c.name.clone()));
                        Some(names)
                    },
                ),
                Some(r) => Some(r.identifiers.iter().cloned().collect()),
                None => None,
            }
        };
        let table = Table {
            columns: names.iter().flatten().map(|n| invalid_column(n)).collect(),
            ..Table::default()
        };
        for ix in &p.raw.indexes {
            let Some(name) = &ix.name else {
                self.missing(
                    &ix.span,
                    "materialized view index",
                    "name",
                    "name it: `name = \"…\"` (schemactl does not choose names for indexes of materialized views)",
                );
                continue;
            };
            if !self.ident(name, "index") {
                continue;
            }
            let ns = namespaces.entry(p.name.schema.clone()).or_default();
            if !ns.relations.insert(name.value.clone()) {
                self.push(
                    Diagnostic::new(
                        "duplicate-object",
                        name.span.clone(),
                        format!(
                            "index name `{}` is already taken in schema `{}`",
                            name.value, p.name.schema
                        ),
                    )
                    .hint("tables, views, indexes and sequences share names in a schema"),
                );
                continue;
            }
            // The keys are taken as written.
            let unchecked = names.is_none();
            let t = if unchecked {
                let keys = ix.keys.iter().flat_map(|k| k.value.iter());
                Table {
                    columns: keys
                        .filter_map(|k| k.column.as_ref())
                        .map(|c| invalid_column(&c.value))
                        .collect(),
                    ..Table::default()
                }
            } else {
                table.clone()
            };
            if let Some(i) = self.index(ix, &t, &p.name) {
                p.view.indexes.insert(name.value.clone(), i);
            }
        }
    }
}

/// Columns every table has (`SELECT t.ctid FROM t` is valid).
const SYSTEM_COLUMNS: &[&str] = &["tableoid", "ctid", "xmin", "xmax", "cmin", "cmax"];

/// A view's output column names when all are known: its `columns`, then the select list's
/// own names for the rest; `None` with `*`, a set operation, or a name PostgreSQL chooses.
fn output_columns(p: &Pending<'_>) -> Option<Vec<String>> {
    let refs = p.refs.as_ref()?;
    if refs.star || refs.output.is_empty() {
        return None;
    }
    let mut names = p.view.columns.clone();
    for o in refs.output.iter().skip(names.len()) {
        names.push(o.clone()?);
    }
    Some(names)
}

fn kind(v: &RawView) -> &'static str {
    if v.materialized {
        "materialized view"
    } else {
        "view"
    }
}

/// A path `start → … → start` through `graph`, if `start` is on a cycle.
fn cycle_from(
    start: &QualifiedName,
    graph: &BTreeMap<QualifiedName, BTreeSet<QualifiedName>>,
) -> Option<Vec<QualifiedName>> {
    let mut stack = vec![(start.clone(), vec![start.clone()])];
    let mut seen = BTreeSet::new();
    while let Some((node, path)) = stack.pop() {
        for next in graph.get(&node).into_iter().flatten() {
            if next == start {
                let mut p = path.clone();
                p.push(start.clone());
                return Some(p);
            }
            if seen.insert(next.clone()) {
                let mut p = path.clone();
                p.push(next.clone());
                stack.push((next.clone(), p));
            }
        }
    }
    None
}
