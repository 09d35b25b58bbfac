//! Compile raw schema definitions into the canonical [`Model`]: resolve schemas, types and
//! references, choose PostgreSQL's default names, parse expressions, and report every problem
//! at once.

mod aggregate;
pub mod builtins;
pub mod defaults;
mod domain;
mod function;
mod grant;
pub mod names;
mod partition;
mod policy;
mod sequence;
mod trigger;
pub mod types;
mod view;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::diag::{Diagnostic, SourceMap, Span};
use crate::model::expr::{ExprError, References};
use crate::model::{
    BaseType, Check, Column, ColumnDefault, DataType, Deferrable, EnumType, Expr, Extension,
    FkAction, ForeignKey, Identity, Index, IndexKey, Model, Part, PartitionOf, PrimaryKey,
    QualifiedName, Schema, Table, Unique,
};
use crate::schema::config::{self, Project};
use crate::schema::reader::Sp;
use crate::schema::{self, RawColumn, RawEnum, RawFkActions, RawTable, Sources};
use names::{MAX_IDENT_BYTES, Namespace};
use types::{BuiltinType, TypeSpec};

pub use crate::model::rename::Rename;

#[derive(Debug)]
pub struct Output {
    pub model: Model,
    pub renames: Vec<Rename>,
}

/// Read `schemactl.toml` and `schema/**/*.toml` under `root` and compile them as a first
/// version (no earlier model). Returns the sources (for rendering diagnostics) and the project
/// even on failure.
pub fn compile_project(
    root: &std::path::Path,
) -> (SourceMap, Project, Result<Output, Vec<Diagnostic>>) {
    let loaded = load_project(root);
    let result = compile(&loaded.project, &loaded.raw, loaded.diags, None);
    (loaded.sources, loaded.project, result)
}

/// What was read from a project directory, before compiling.
pub struct LoadedProject {
    pub sources: SourceMap,
    pub project: Project,
    pub raw: Sources,
    /// Problems found while reading (TOML syntax, unknown keys, …).
    pub diags: Vec<Diagnostic>,
}

/// Read `schemactl.toml` and the schema files under `root`.
pub fn load_project(root: &std::path::Path) -> LoadedProject {
    let mut sources = SourceMap::default();
    let mut diags = Vec::new();
    let project = config::load(root, &mut sources, &mut diags);
    let dir = project.schema_dir();
    let paths = match schema::discover(&dir) {
        Ok(p) => p,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => {
            let id = sources.add(dir.clone(), String::new());
            diags.push(
                Diagnostic::new(
                    "unreadable-file",
                    Span {
                        file: id,
                        range: 0..0,
                    },
                    format!("cannot read schema directory: {e}"),
                )
                .hint("check the `schema_dir` setting and permissions"),
            );
            Vec::new()
        }
    };
    let raw = schema::load(root, &paths, &mut sources, &mut diags);
    LoadedProject {
        sources,
        project,
        raw,
        diags,
    }
}

/// Compile loaded sources; `diags` holds problems found while reading.
pub fn compile(
    project: &Project,
    sources: &Sources,
    diags: Vec<Diagnostic>,
    previous: Option<&Model>,
) -> Result<Output, Vec<Diagnostic>> {
    let mut c = Compiler {
        previous: previous.cloned().unwrap_or_default(),
        managed: project.config.schema_names().map(String::from).collect(),
        diags,
        renames: Vec::new(),
        extensions: Vec::new(),
        parsed: HashMap::new(),
        user_types: BTreeMap::new(),
        ignore: project.config.ignore.clone(),
        sequence_uses: Vec::new(),
        routines: BTreeMap::new(),
    };
    for s in &project.config.schemas {
        c.ident(s, "schema");
    }
    let model = c.run(sources);
    if c.diags.is_empty() {
        Ok(Output {
            model,
            renames: c.renames,
        })
    } else {
        crate::diag::sort(&mut c.diags);
        c.diags.dedup();
        Err(c.diags)
    }
}

struct Compiler {
    /// The model at the head of the migration chain: names already in the database.
    previous: Model,
    managed: Vec<String>,
    diags: Vec<Diagnostic>,
    renames: Vec<Rename>,
    /// Extensions the project declares: their functions and operators may be used.
    extensions: Vec<String>,
    /// Expressions by their text: schemas repeat the same defaults (`now()`, `0`, `true`)
    /// across thousands of columns, and a parsed `Expr` is shared rather than parsed again.
    parsed: HashMap<String, Result<(Expr, References), ExprError>>,
    /// Domains and composite types of the project by name, as a column type names them.
    user_types: BTreeMap<QualifiedName, BaseType>,
    /// `project.ignore`: objects managed outside schemactl (an ignored sequence may be used).
    ignore: Vec<String>,
    /// Sequences named by `nextval`/`currval`/`setval` in expressions and view queries,
    /// checked once every sequence is known (`check_sequence_uses`).
    sequence_uses: Vec<SequenceUse>,
    /// Bare names of the functions and procedures the project declares: expressions may
    /// call them.
    routines: BTreeMap<String, Vec<builtins::Arity>>,
}

/// A sequence an expression or a view query names, and where.
struct SequenceUse {
    sequence: QualifiedName,
    span: Span,
    what: String,
}

/// A referenced table and columns. An unqualified table name resolves in the referring
/// schema first, then `public`; a qualified one only where it says.
struct FkTarget {
    table: QualifiedName,
    qualified: bool,
    columns: Vec<Sp<String>>,
}

/// A table being compiled, with the spans needed for later checks.
struct Pending<'a> {
    name: QualifiedName,
    raw: &'a RawTable,
    table: Table,
    /// Resolved FKs waiting for all tables: (raw span, fk without final name, explicit name).
    fks: Vec<PendingFk>,
}

/// A unique constraint before it is named: its explicit name, columns and comment.
/// A unique constraint before naming: name, columns, comment, deferrability.
type UniqueSpec = (Option<Sp<String>>, Vec<String>, Option<String>, Deferrable);

struct PendingFk {
    span: Span,
    columns: Vec<Sp<String>>,
    target: Option<FkTarget>,
    target_span: Span,
    actions: (FkAction, FkAction, Deferrable),
    name: Option<Sp<String>>,
    /// `validated = false`: `NOT VALID`.
    validated: bool,
    comment: Option<String>,
}

impl Compiler {
    fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn ident(&mut self, s: &Sp<String>, what: &str) -> bool {
        if s.value.is_empty() {
            self.push(
                Diagnostic::new(
                    "invalid-identifier",
                    s.span.clone(),
                    format!("{what} name is empty"),
                )
                .hint("give it a non-empty name"),
            );
            return false;
        }
        if s.value.len() > MAX_IDENT_BYTES {
            self.push(
                Diagnostic::new(
                    "identifier-too-long",
                    s.span.clone(),
                    format!(
                        "{what} name `{}` is {} bytes; PostgreSQL identifiers are at most 63",
                        s.value,
                        s.value.len()
                    ),
                )
                .hint("shorten the name (PostgreSQL would silently truncate it)"),
            );
            return false;
        }
        if s.value.contains('\0') {
            self.push(
                Diagnostic::new(
                    "invalid-identifier",
                    s.span.clone(),
                    format!("{what} name contains a NUL byte"),
                )
                .hint("remove the NUL character"),
            );
            return false;
        }
        true
    }

    /// The schema of an object: its own key, else the file's, else `public`; must be managed.
    fn object_schema(
        &mut self,
        own: Option<&Sp<String>>,
        file: Option<&Sp<String>>,
        fallback: &Span,
    ) -> String {
        let chosen = own.or(file);
        match chosen {
            Some(s) => {
                self.check_managed(&s.value, &s.span);
                s.value.clone()
            }
            None => {
                let s = "public".to_string();
                self.check_managed(&s, fallback);
                s
            }
        }
    }

    fn check_managed(&mut self, schema: &str, span: &Span) -> bool {
        if self.managed.iter().any(|m| m == schema) {
            return true;
        }
        self.push(
            Diagnostic::new(
                "unmanaged-schema",
                span.clone(),
                format!("schema `{schema}` is not in `project.schemas`"),
            )
            .hint(format!(
                "add \"{schema}\" to `schemas` in schemactl.toml (managed: {})",
                self.managed.join(", ")
            )),
        );
        false
    }

    fn run(&mut self, sources: &Sources) -> Model {
        let mut model = Model::default();
        for s in &self.managed {
            model.schemas.insert(s.clone(), Schema::default());
        }

        // Extensions.
        let mut ext_seen: BTreeMap<String, Span> = BTreeMap::new();
        for f in &sources.files {
            for e in &f.extensions {
                if !self.ident(&e.name, "extension") {
                    continue;
                }
                if let Some(first) = ext_seen.get(&e.name.value) {
                    let first = first.clone();
                    self.duplicate("extension", &e.name, first);
                    continue;
                }
                if let Some(s) = &e.schema {
                    self.check_managed(&s.value, &s.span);
                }
                ext_seen.insert(e.name.value.clone(), e.name.span.clone());
                model.extensions.insert(
                    e.name.value.clone(),
                    Extension {
                        schema: e.schema.as_ref().map(|s| s.value.clone()),
                    },
                );
            }
        }

        self.extensions = model.extensions.keys().cloned().collect();

        // Enums.
        let mut type_seen: BTreeMap<QualifiedName, (Span, &'static str)> = BTreeMap::new();
        let mut enums: BTreeMap<QualifiedName, &RawEnum> = BTreeMap::new();
        for f in &sources.files {
            for e in &f.enums {
                let schema = self.object_schema(e.schema.as_ref(), f.schema.as_ref(), &e.name.span);
                if !self.ident(&e.name, "enum") {
                    continue;
                }
                let q = QualifiedName::new(schema, e.name.value.clone());
                if let Some((first, _)) = type_seen.get(&q) {
                    let first = first.clone();
                    self.duplicate("enum", &e.name, first);
                    continue;
                }
                type_seen.insert(q.clone(), (e.name.span.clone(), "enum"));
                enums.insert(q, e);
            }
        }
        for (q, e) in &enums {
            let values = self.enum_values(e);
            if let Some(r) = &e.renamed_from
                && self.ident(r, "enum")
            {
                self.renames.push(Rename::Enum {
                    schema: q.schema.clone(),
                    from: r.value.clone(),
                    to: q.name.clone(),
                });
            }
            for (old, new) in &e.renamed_values {
                if values.contains(&old.value) {
                    self.push(
                        Diagnostic::new(
                            "invalid-rename",
                            old.span.clone(),
                            format!(
                                "`renamed_values` renames `{}`, which is still in `values`",
                                old.value
                            ),
                        )
                        .hint("remove the old value from `values`, or drop this entry"),
                    );
                } else if !values.contains(&new.value) {
                    self.push(
                        Diagnostic::new(
                            "invalid-rename",
                            new.span.clone(),
                            format!(
                                "`renamed_values` renames `{}` to `{}`, which is not in `values`",
                                old.value, new.value
                            ),
                        )
                        .hint(format!(
                            "add `{}` to `values` where the old value was",
                            new.value
                        )),
                    );
                } else {
                    self.renames.push(Rename::EnumValue {
                        name: q.clone(),
                        from: old.value.clone(),
                        to: new.value.clone(),
                    });
                }
            }
            if let Some(schema) = model.schemas.get_mut(&q.schema) {
                schema.enums.insert(
                    q.name.clone(),
                    EnumType {
                        grants: None,
                        values,
                        comment: self.literal_text(&e.comment, "comment"),
                    },
                );
            }
        }

        self.routine_names(sources);

        // Domains and composite types.
        let user_types = self.user_type_names(sources, &mut type_seen);
        self.user_types(&user_types, &mut model, &enums);

        // Tables (columns and inline constraints), in (schema, name) order.
        let mut raw_tables: BTreeMap<QualifiedName, &RawTable> = BTreeMap::new();
        for f in &sources.files {
            for t in &f.tables {
                let schema = self.object_schema(t.schema.as_ref(), f.schema.as_ref(), &t.name.span);
                if !self.ident(&t.name, "table") {
                    continue;
                }
                let q = QualifiedName::new(schema, t.name.value.clone());
                if let Some((first, kind)) = type_seen.get(&q) {
                    let (first, kind) = (first.clone(), *kind);
                    if kind != "table" {
                        let a = if kind == "enum" { "an" } else { "a" };
                        self.push(
                            Diagnostic::new(
                                "duplicate-object",
                                t.name.span.clone(),
                                format!(
                                    "table `{q}` has the same name as {a} {kind}; PostgreSQL gives every table a type of its name"
                                ),
                            )
                            .label(first, format!("the {kind} is defined here"))
                            .hint(format!("rename the table or the {kind}")),
                        );
                    } else {
                        self.duplicate("table", &t.name, first);
                    }
                    continue;
                }
                type_seen.insert(q.clone(), (t.name.span.clone(), "table"));
                raw_tables.insert(q, t);
            }
        }

        let table_spans: BTreeMap<QualifiedName, Span> = raw_tables
            .iter()
            .map(|(q, t)| (q.clone(), t.name.span.clone()))
            .collect();
        let raw_sequences = self.collect_sequences(sources, &table_spans);

        // Parents before their partitions (a partition's columns are its parent's), then
        // back to (schema, name) order, which names depend on.
        let (parents, order) = self.partition_parents(&raw_tables);
        let mut compiled: BTreeMap<QualifiedName, Pending<'_>> = BTreeMap::new();
        for q in &order {
            let inherited = parents
                .get(q)
                .and_then(|p| compiled.get(p))
                .map(|p| p.table.columns.iter().map(inherited_column).collect());
            let p = self.table(q.clone(), raw_tables[q], &model, &enums, inherited);
            compiled.insert(q.clone(), p);
        }
        let mut siblings = Vec::new();
        for (q, parent) in &parents {
            let Some(b) = raw_tables.get(q).and_then(|r| r.bounds.as_ref()) else {
                continue;
            };
            let Some((by, columns)) = compiled
                .get(parent)
                .and_then(|p| Some((p.table.partition_by.clone()?, p.table.columns.clone())))
            else {
                continue;
            };
            let bound = self.bounds(b, &by, &columns, q);
            if let Some(bound) = &bound {
                siblings.push(partition::Sibling {
                    table: q.clone(),
                    parent: parent.clone(),
                    bound: bound.clone(),
                    span: b.span.clone(),
                    kinds: partition::key_kinds(&by, &columns),
                });
            }
            if let (Some(bound), Some(p)) = (bound, compiled.get_mut(q)) {
                p.table.partition_of = Some(Box::new(PartitionOf {
                    parent: parent.clone(),
                    bound,
                }));
            }
        }
        self.partition_overlaps(&siblings);
        let mut pending: Vec<Pending<'_>> = compiled.into_values().collect();

        // Names PostgreSQL would choose, per schema. Explicit names are reserved first; then
        // the names the database already has (head snapshot), so an unchanged unnamed object
        // keeps its name and a new one gets the next free name, as PostgreSQL would choose it.
        let mut namespaces: BTreeMap<String, Namespace> = BTreeMap::new();
        for p in &pending {
            let ns = namespaces.entry(p.name.schema.clone()).or_default();
            ns.relations.insert(p.name.name.clone());
        }
        for q in raw_sequences.keys() {
            let ns = namespaces.entry(q.schema.clone()).or_default();
            ns.relations.insert(q.name.clone());
        }
        self.reserve_explicit_names(&pending, &mut namespaces);
        let explicit_relations: BTreeMap<String, BTreeSet<String>> = namespaces
            .iter()
            .map(|(s, ns)| (s.clone(), ns.relations.clone()))
            .collect();
        seed_namespaces(&mut namespaces, &self.previous, &pending);
        reserve_identity_sequences(&mut namespaces, &self.previous, &self.renames);
        let no_names = BTreeSet::new();
        for p in &mut pending {
            let prev = self.previous.table(&p.name).cloned();
            let explicit = explicit_relations.get(&p.name.schema).unwrap_or(&no_names);
            let ns = namespaces.entry(p.name.schema.clone()).or_default();
            for clash in name_table(p, ns, prev.as_ref(), explicit) {
                self.sequence_clash(p, &clash);
            }
        }
        for p in &mut pending {
            let prev = self.previous.table(&p.name).cloned();
            let ns = namespaces.entry(p.name.schema.clone()).or_default();
            name_indexes(p, ns, prev.as_ref());
        }

        // Foreign keys need every table.
        let by_name: BTreeMap<QualifiedName, usize> = pending
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.clone(), i))
            .collect();
        let mut resolved: Vec<Vec<(Option<Sp<String>>, ForeignKey)>> = Vec::new();
        for p in &pending {
            let mut out = Vec::new();
            for fk in &p.fks {
                if let Some(f) = self.check_fk(p, fk, &pending, &by_name) {
                    out.push((fk.name.clone(), f));
                }
            }
            resolved.push(out);
        }
        // Foreign key names: explicit and kept names of every table first, then defaults.
        let mut kept: Vec<Vec<(Option<String>, ForeignKey)>> = Vec::new();
        for (p, fks) in pending.iter().zip(resolved) {
            let items: BTreeMap<String, ForeignKey> = fks
                .into_iter()
                .enumerate()
                .map(|(i, (n, fk))| (placeholder(i, n), fk))
                .collect();
            let named = keep_names(items, self.previous.table(&p.name).map(|t| &t.foreign_keys));
            let ns = namespaces.entry(p.name.schema.clone()).or_default();
            ns.constraints
                .extend(named.iter().filter_map(|(n, _)| n.clone()));
            kept.push(named);
        }
        for (p, fks) in pending.iter_mut().zip(kept) {
            let ns = namespaces.entry(p.name.schema.clone()).or_default();
            for (name, fk) in fks {
                let name = name.unwrap_or_else(|| {
                    let add = names::fk_name_addition(&fk.columns);
                    names::choose_constraint_name(ns, &p.name.name, Some(&add), "fkey")
                });
                p.table.foreign_keys.insert(name, fk);
            }
        }

        for mut p in pending {
            if parents.contains_key(&p.name) {
                // The parent's columns: checked against, not part of the partition.
                p.table.columns.clear();
            }
            if let Some(schema) = model.schemas.get_mut(&p.name.schema) {
                schema.tables.insert(p.name.name, p.table);
            }
        }
        self.views(sources, &mut model, &mut type_seen, &mut namespaces);
        self.functions(sources, &mut model, &type_seen);
        self.aggregates(sources, &mut model, &type_seen);
        self.triggers(&raw_tables, &mut model);
        self.view_triggers(sources, &mut model);
        self.sequences(&raw_sequences, &mut model);
        // Declared sequences that did not compile are reported already: not again as unknown.
        let written: BTreeSet<QualifiedName> = raw_sequences.keys().cloned().collect();
        self.check_sequence_uses(&model, &written);
        self.grants(sources, &mut model);
        self.schema_comments(sources, &mut model);
        model
    }

    /// `schema_comment`: `COMMENT ON SCHEMA` of a file's schema, declared in one file.
    fn schema_comments(&mut self, sources: &Sources, model: &mut Model) {
        let mut seen: BTreeMap<String, Span> = BTreeMap::new();
        for f in &sources.files {
            let Some(c) = &f.schema_comment else {
                continue;
            };
            let schema = f
                .schema
                .as_ref()
                .map_or_else(|| "public".to_string(), |s| s.value.clone());
            if let Some(first) = seen.get(&schema) {
                let d = Diagnostic::new(
                    "duplicate-definition",
                    c.span.clone(),
                    format!("`schema_comment` of schema `{schema}` is declared twice"),
                )
                .label(first.clone(), "first declared here")
                .hint("declare a schema's comment in one file");
                self.push(d);
                continue;
            }
            seen.insert(schema.clone(), c.span.clone());
            let text = self.literal_text(&f.schema_comment, "schema_comment");
            if let Some(s) = model.schemas.get_mut(&schema) {
                s.comment = text;
            }
        }
    }

    /// Every sequence named by `nextval`/`currval`/`setval` must be declared: a
    /// `[sequences]` entry, or the sequence of a serial or identity column. Sequences of
    /// unmanaged schemas and those `project.ignore` names are created outside schemactl.
    fn check_sequence_uses(&mut self, model: &Model, written: &BTreeSet<QualifiedName>) {
        let uses = std::mem::take(&mut self.sequence_uses);
        if uses.is_empty() {
            return;
        }
        let mut declared: BTreeSet<QualifiedName> = written.clone();
        for (sn, schema) in &model.schemas {
            for n in schema.sequences.keys() {
                declared.insert(QualifiedName::new(sn.clone(), n.clone()));
            }
            for (tn, t) in &schema.tables {
                for c in &t.columns {
                    if let Some(ColumnDefault::Serial { sequence }) = &c.default {
                        declared.insert(QualifiedName::new(sn.clone(), sequence.clone()));
                    }
                    if c.identity.is_some() {
                        let name = names::make_object_name(tn, Some(&c.name), "seq");
                        declared.insert(QualifiedName::new(sn.clone(), name));
                    }
                }
            }
        }
        for u in uses {
            let q = &u.sequence;
            if declared.contains(q)
                || !self.managed.contains(&q.schema)
                || crate::model::ignore::ignored(&self.ignore, &q.schema, &q.name)
            {
                continue;
            }
            let names: Vec<String> = declared.iter().map(|d| d.to_string()).collect();
            let hint = match crate::suggest::did_you_mean(
                &q.to_string(),
                names.iter().map(String::as_str),
            ) {
                Some(h) => h,
                None if names.is_empty() => format!(
                    "no sequence is declared; declare it with `[sequences.{}]` (or use a serial or identity column)",
                    q.name
                ),
                None => format!(
                    "declare it with `[sequences.{}]`; declared sequences: {}",
                    q.name,
                    names.join(", ")
                ),
            };
            self.push(
                Diagnostic::new(
                    "unknown-sequence",
                    u.span,
                    format!("{} uses sequence `{q}`, which is not declared", u.what),
                )
                .hint(hint),
            );
        }
    }

    /// A string written as an SQL literal (comments): PostgreSQL text cannot hold NUL.
    pub(super) fn literal_text(&mut self, s: &Option<Sp<String>>, what: &str) -> Option<String> {
        // `COMMENT … IS ''` removes a comment, so an empty one is no comment.
        let s = s.as_ref().filter(|s| !s.value.is_empty())?;
        if s.value.contains('\0') {
            self.push(
                Diagnostic::new(
                    "invalid-value",
                    s.span.clone(),
                    format!("{what} contains a NUL character"),
                )
                .hint("PostgreSQL text cannot hold NUL (\\u0000); remove it"),
            );
            return None;
        }
        Some(s.value.clone())
    }

    /// `renamed_from` on a constraint or index: it renames to the explicit `name`.
    fn named_rename(
        &mut self,
        table: &QualifiedName,
        name: &Option<Sp<String>>,
        renamed_from: &Option<Sp<String>>,
        what: &str,
        index: bool,
    ) {
        let Some(from) = renamed_from else {
            return;
        };
        let Some(to) = name else {
            self.push(
                Diagnostic::new(
                    "missing-key",
                    from.span.clone(),
                    format!("{what} with `renamed_from` but without `name`"),
                )
                .hint("add `name = \"…\"`: the new name the object is renamed to"),
            );
            return;
        };
        if !self.ident(from, what) {
            return;
        }
        let (table, from, to) = (table.clone(), from.value.clone(), to.value.clone());
        self.renames.push(if index {
            Rename::Index { table, from, to }
        } else {
            Rename::Constraint { table, from, to }
        });
    }

    /// A required key is absent.
    fn missing(&mut self, span: &Span, what: &str, key: &str, hint: &str) {
        self.push(
            Diagnostic::new(
                "missing-key",
                span.clone(),
                format!("{what} without `{key}`"),
            )
            .hint(hint),
        );
    }

    fn sequence_clash(&mut self, p: &Pending<'_>, column: &str) {
        let Some(col) = p.raw.columns.iter().find(|c| c.name.value == column) else {
            return;
        };
        let seq = names::make_object_name(&p.name.name, Some(column), "seq");
        self.push(
            Diagnostic::new(
                "duplicate-name",
                col.name.span.clone(),
                format!(
                    "PostgreSQL names the sequence of `{}.{column}` `{seq}`, which is also the name of a table, index or constraint in schema `{}`",
                    p.name.name, p.name.schema
                ),
            )
            .hint(format!("rename the object called `{seq}`")),
        );
    }

    fn duplicate(&mut self, what: &str, name: &Sp<String>, first: Span) {
        self.push(
            Diagnostic::new(
                "duplicate-object",
                name.span.clone(),
                format!("{what} `{}` is defined more than once", name.value),
            )
            .label(first, "first defined here")
            .hint(format!(
                "keep one definition of the {what} (schema files are merged)"
            )),
        );
    }

    fn enum_values(&mut self, e: &RawEnum) -> Vec<String> {
        let Some(values) = &e.values else {
            self.push(
                Diagnostic::new(
                    "empty-enum",
                    e.name.span.clone(),
                    format!("enum `{}` has no `values`", e.name.value),
                )
                .hint("add `values = [\"A\", \"B\"]`"),
            );
            return Vec::new();
        };
        if values.value.is_empty() {
            self.push(
                Diagnostic::new(
                    "empty-enum",
                    values.span.clone(),
                    format!("enum `{}` has no values", e.name.value),
                )
                .hint("list at least one value"),
            );
        }
        let mut seen: BTreeMap<&str, &Span> = BTreeMap::new();
        let mut out = Vec::new();
        for v in &values.value {
            if v.value.is_empty() || v.value.len() > MAX_IDENT_BYTES || v.value.contains('\0') {
                self.push(
                    Diagnostic::new(
                        "invalid-enum-value",
                        v.span.clone(),
                        format!(
                            "enum value `{}` must be 1 to 63 bytes long, without NUL",
                            v.value.escape_default()
                        ),
                    )
                    .hint("PostgreSQL enum labels are limited to 63 bytes"),
                );
                continue;
            }
            if let Some(first) = seen.get(v.value.as_str()) {
                self.push(
                    Diagnostic::new(
                        "duplicate-enum-value",
                        v.span.clone(),
                        format!("enum value `{}` is listed twice", v.value),
                    )
                    .label((*first).clone(), "first listed here")
                    .hint("enum values must be unique"),
                );
                continue;
            }
            seen.insert(&v.value, &v.span);
            out.push(v.value.clone());
        }
        out
    }

    /// Resolve a (possibly qualified) enum name written in a type.
    fn resolve_enum(
        &mut self,
        parts: &[String],
        here: &str,
        span: &Span,
        enums: &BTreeMap<QualifiedName, &RawEnum>,
    ) -> Result<Option<QualifiedName>, ()> {
        match parts {
            [name] => {
                for schema in [here, "public"] {
                    let q = QualifiedName::new(schema, name.clone());
                    if enums.contains_key(&q) {
                        return Ok(Some(q));
                    }
                }
                Ok(None)
            }
            [schema, name] => {
                if !self.check_managed(schema, span) {
                    return Err(());
                }
                let q = QualifiedName::new(schema.clone(), name.clone());
                Ok(enums.contains_key(&q).then_some(q))
            }
            _ => Ok(None),
        }
    }

    fn table<'a>(
        &mut self,
        name: QualifiedName,
        raw: &'a RawTable,
        model: &Model,
        enums: &BTreeMap<QualifiedName, &RawEnum>,
        inherited: Option<Vec<Column>>,
    ) -> Pending<'a> {
        let is_partition = inherited.is_some();
        let mut table = Table {
            comment: self.literal_text(&raw.comment, "comment"),
            // Exactly sized: there are tens of thousands in a large schema.
            columns: Vec::with_capacity(raw.columns.len()),
            ..Table::default()
        };
        if let Some(r) = &raw.renamed_from
            && self.ident(r, "table")
        {
            self.renames.push(Rename::Table {
                schema: name.schema.clone(),
                from: r.value.clone(),
                to: name.name.clone(),
            });
        }
        let mut fks = Vec::new();
        let mut pk_shorthand: Vec<&Sp<String>> = Vec::new();
        let mut uniques: Vec<(UniqueSpec, Span)> = Vec::new();
        let mut pk_spans: BTreeMap<String, Span> = BTreeMap::new();
        if let Some(cols) = inherited {
            table.columns = cols;
        }
        let own_columns: &[RawColumn] = if is_partition { &[] } else { &raw.columns };
        for col in own_columns {
            if !self.ident(&col.name, "column") {
                continue;
            }
            let Some(column) = self.column(&name, col, model, enums) else {
                // Already reported; keep the name so later checks do not report it again.
                table.columns.push(invalid_column(&col.name.value));
                continue;
            };
            if let Some(r) = &col.renamed_from
                && self.ident(r, "column")
            {
                self.renames.push(Rename::Column {
                    table: name.clone(),
                    from: r.value.clone(),
                    to: col.name.value.clone(),
                });
            }
            if col.primary_key.as_ref().is_some_and(|b| b.value) {
                pk_shorthand.push(&col.name);
                pk_spans.insert(col.name.value.clone(), col.name.span.clone());
            }
            if let Some(u) = col.unique.as_ref().filter(|b| b.value) {
                uniques.push((
                    (None, vec![col.name.value.clone()], None, Deferrable::No),
                    u.span.clone(),
                ));
            }
            if let Some(r) = &col.references {
                match self.parse_column_reference(r, &name.schema) {
                    Some((table, qualified, column_name)) => fks.push(PendingFk {
                        span: r.span.clone(),
                        columns: vec![col.name.clone()],
                        target: Some(FkTarget {
                            table,
                            qualified,
                            columns: vec![Sp::new(column_name, r.span.clone())],
                        }),
                        target_span: r.span.clone(),
                        actions: self.fk_actions(&col.actions),
                        name: None,
                        validated: true,
                        comment: None,
                    }),
                    None => {
                        self.fk_actions(&col.actions);
                    }
                }
            } else {
                for a in [
                    &col.actions.on_delete,
                    &col.actions.on_update,
                    &col.actions.deferrable,
                ]
                .into_iter()
                .flatten()
                {
                    self.push(
                        Diagnostic::new(
                            "invalid-value",
                            a.span.clone(),
                            "foreign key options need `references` on the column",
                        )
                        .hint("add `references = \"table.column\"` or remove the option"),
                    );
                }
            }
            table.columns.push(column);
        }

        // Primary key: table-level list or column shorthand, not both.
        let mut pk_columns: Option<Vec<String>> = None;
        if let Some(list) = &raw.primary_key {
            if !pk_shorthand.is_empty() {
                self.push(
                    Diagnostic::new(
                        "duplicate-primary-key",
                        list.span.clone(),
                        format!("table `{name}` declares its primary key twice"),
                    )
                    .label(
                        pk_shorthand[0].span.clone(),
                        "also `primary_key = true` here",
                    )
                    .hint("keep either the table-level list or the column shorthand"),
                );
            }
            let cols = self.column_list(&table, list, "primary key", &name);
            for c in &list.value {
                pk_spans.insert(c.value.clone(), c.span.clone());
            }
            if cols.is_empty() && list.value.is_empty() {
                self.push(
                    Diagnostic::new("invalid-value", list.span.clone(), "`primary_key` is empty")
                        .hint("list the key columns, e.g. [\"id\"]"),
                );
            }
            pk_columns = Some(cols);
        } else if pk_shorthand.len() > 1 {
            self.push(
                Diagnostic::new(
                    "duplicate-primary-key",
                    pk_shorthand[1].span.clone(),
                    format!("table `{name}` has `primary_key = true` on several columns"),
                )
                .label(pk_shorthand[0].span.clone(), "first here")
                .hint(format!(
                    "for a composite key write `primary_key = [{}]` on the table",
                    pk_shorthand
                        .iter()
                        .map(|s| format!("\"{}\"", s.value))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
        } else if let Some(c) = pk_shorthand.first() {
            pk_columns = Some(vec![c.value.clone()]);
        }
        if let Some(cols) = pk_columns {
            for c in &cols {
                let explicit_nullable = raw
                    .columns
                    .iter()
                    .find(|rc| &rc.name.value == c)
                    .and_then(|rc| rc.nullable.as_ref())
                    .filter(|n| n.value);
                if let Some(n) = explicit_nullable {
                    self.push(
                        Diagnostic::new(
                            "nullable-primary-key",
                            n.span.clone(),
                            format!("primary key column `{c}` cannot be nullable"),
                        )
                        .hint("remove `nullable = true` (primary key columns are NOT NULL)"),
                    );
                }
                if let Some(col) = table.columns.iter_mut().find(|x| &x.name == c) {
                    col.nullable = false;
                }
            }
            if !cols.is_empty() {
                table.primary_key = Some(PrimaryKey {
                    name: String::new(),
                    columns: cols,
                    deferrable: self.deferrable(&raw.primary_key_deferrable),
                    comment: self.literal_text(&raw.primary_key_comment, "primary_key_comment"),
                });
            }
        }
        if let Some(n) = &raw.primary_key_name {
            if raw.primary_key.is_none() && pk_shorthand.is_empty() {
                self.push(
                    Diagnostic::new(
                        "invalid-value",
                        n.span.clone(),
                        format!("table `{name}` names a primary key it does not declare"),
                    )
                    .hint("add `primary_key = [\"…\"]` to the table (or `primary_key = true` on a column), or remove `primary_key_name`"),
                );
            } else {
                self.ident(n, "constraint");
            }
        }
        // Options of a primary key the table does not declare.
        if raw.primary_key.is_none() && pk_shorthand.is_empty() {
            for (option, key, does) in [
                (
                    &raw.primary_key_comment,
                    "primary_key_comment",
                    "comments on",
                ),
                (
                    &raw.primary_key_deferrable,
                    "primary_key_deferrable",
                    "makes deferrable",
                ),
            ] {
                if let Some(o) = option {
                    self.push(
                        Diagnostic::new(
                            "invalid-value",
                            o.span.clone(),
                            format!("table `{name}` {does} a primary key it does not declare"),
                        )
                        .hint(format!("add `primary_key = [\"…\"]` to the table (or `primary_key = true` on a column), or remove `{key}`")),
                    );
                }
            }
        }

        for u in &raw.uniques {
            self.named_rename(&name, &u.name, &u.renamed_from, "unique constraint", false);
            let Some(list) = &u.columns else {
                self.missing(
                    &u.span,
                    "unique constraint",
                    "columns",
                    "add `columns = [\"…\"]`",
                );
                continue;
            };
            let cols = self.column_list(&table, list, "unique constraint", &name);
            if let Some(n) = &u.name {
                self.ident(n, "constraint");
            }
            if !cols.is_empty() {
                let comment = self.literal_text(&u.comment, "comment");
                let deferrable = self.deferrable(&u.deferrable);
                uniques.push((
                    (u.name.clone(), cols, comment, deferrable),
                    list.span.clone(),
                ));
            }
        }
        // PostgreSQL silently drops a UNIQUE equal to the primary key or to an earlier
        // UNIQUE in the same CREATE TABLE, so the model would not match the database.
        let mut pending_uniques: Vec<UniqueSpec> = Vec::new();
        for ((n, cols, comment, deferrable), span) in uniques {
            let same_as_pk = table
                .primary_key
                .as_ref()
                .is_some_and(|pk| pk.columns == cols);
            if same_as_pk || pending_uniques.iter().any(|(_, c, _, _)| *c == cols) {
                self.push(
                    Diagnostic::new(
                        "duplicate-unique",
                        span,
                        format!(
                            "unique constraint on ({}) repeats {}",
                            cols.join(", "),
                            if same_as_pk {
                                "the primary key"
                            } else {
                                "another unique constraint"
                            }
                        ),
                    )
                    .hint("remove it: PostgreSQL keeps only one constraint for the same columns"),
                );
                continue;
            }
            pending_uniques.push((n, cols, comment, deferrable));
        }

        let mut checks = Vec::new();
        for ch in &raw.checks {
            self.named_rename(&name, &ch.name, &ch.renamed_from, "check constraint", false);
            let Some(e) = &ch.expr else {
                self.missing(
                    &ch.span,
                    "check constraint",
                    "expr",
                    "add `expr = \"…\"` with a boolean SQL expression",
                );
                continue;
            };
            if let Some(n) = &ch.name {
                self.ident(n, "constraint");
            }
            let Some(expr) = self.expr(e, "check expression") else {
                continue;
            };
            self.expr_columns(&expr, &table, e, "check expression");
            let validated = ch.validated.as_ref().is_none_or(|v| v.value);
            let comment = self.literal_text(&ch.comment, "comment");
            checks.push((ch.name.clone(), table.typed_expr(expr), validated, comment));
        }

        let mut indexes = Vec::new();
        for ix in &raw.indexes {
            self.named_rename(&name, &ix.name, &ix.renamed_from, "index", true);
            if let Some(n) = &ix.name {
                self.ident(n, "index");
            }
            if let Some(i) = self.index(ix, &table, &name) {
                indexes.push((ix.name.clone(), i));
            }
        }
        table.exclusions = self.exclusions(raw, &table, &name);
        self.row_security(raw, &mut table, &name);

        for fk in &raw.foreign_keys {
            self.named_rename(&name, &fk.name, &fk.renamed_from, "foreign key", false);
            let Some(cols) = &fk.columns else {
                self.missing(
                    &fk.span,
                    "foreign key",
                    "columns",
                    "add `columns = [\"…\"]`",
                );
                continue;
            };
            let Some(target) = &fk.references else {
                self.missing(
                    &fk.span,
                    "foreign key",
                    "references",
                    "add `references = { table = \"…\", columns = [\"…\"] }`",
                );
                continue;
            };
            if let Some(n) = &fk.name {
                self.ident(n, "constraint");
            }
            let _ = self.column_list(&table, cols, "foreign key", &name);
            let resolved = self.fk_target(target, &name.schema);
            fks.push(PendingFk {
                span: fk.span.clone(),
                columns: cols.value.clone(),
                target: resolved,
                target_span: target.span.clone(),
                actions: self.fk_actions(&fk.actions),
                name: fk.name.clone(),
                validated: fk.validated.as_ref().is_none_or(|v| v.value),
                comment: self.literal_text(&fk.comment, "comment"),
            });
        }

        table.partition_by = self.partition_by(raw, &table, &name).map(Box::new);
        if table.partition_by.is_some() {
            for v in raw.foreign_keys.iter().filter_map(|f| f.validated.as_ref()) {
                if !v.value {
                    self.push(
                        Diagnostic::new(
                            "invalid-value",
                            v.span.clone(),
                            format!("a foreign key of partitioned table `{name}` cannot be NOT VALID"),
                        )
                        .hint("PostgreSQL 15 refuses NOT VALID foreign keys on partitioned tables: remove `validated = false`, or declare the key on each partition"),
                    );
                }
            }
        }
        let unique_cols: Vec<Vec<String>> = pending_uniques
            .iter()
            .map(|(_, c, _, _)| c.clone())
            .collect();
        let unique_index_cols: Vec<Vec<String>> = indexes
            .iter()
            .filter(|(_, i)| i.unique)
            .map(|(_, i)| i.keys.iter().filter_map(|k| k.column.clone()).collect())
            .collect();
        self.partition_keys_covered(raw, &table, &unique_cols, &unique_index_cols);

        // Temporarily keep constraint definitions with placeholder names; `name_table` names them.
        let mut p = Pending {
            name,
            raw,
            table,
            fks,
        };
        p.table.uniques = pending_uniques
            .into_iter()
            .enumerate()
            .map(|(i, (n, columns, comment, deferrable))| {
                let unique = Unique {
                    columns,
                    deferrable,
                    comment,
                };
                (placeholder(i, n), unique)
            })
            .collect();
        p.table.checks = checks
            .into_iter()
            .enumerate()
            .map(|(i, (n, expr, validated, comment))| {
                let check = Check {
                    expr,
                    validated,
                    comment,
                };
                (placeholder(i, n), check)
            })
            .collect();
        p.table.indexes = indexes
            .into_iter()
            .enumerate()
            .map(|(i, (n, ix))| (placeholder(i, n), ix))
            .collect();
        p
    }

    fn column(
        &mut self,
        table: &QualifiedName,
        col: &RawColumn,
        model: &Model,
        enums: &BTreeMap<QualifiedName, &RawEnum>,
    ) -> Option<Column> {
        let cname = &col.name.value;
        let mut serial = false;
        let mut builtin: Option<BuiltinType> = None;
        let data_type = match (&col.ty, &col.type_sql) {
            (Some(_), Some(ts)) => {
                self.push(
                    Diagnostic::new(
                        "type-conflict",
                        ts.span.clone(),
                        format!("column `{cname}` sets both `type` and `type_sql`"),
                    )
                    .hint("use `type` for built-in and enum types, `type_sql` for anything else"),
                );
                return None;
            }
            (None, None) if col.type_misspelled => return None,
            (None, None) => {
                self.push(
                    Diagnostic::new(
                        "missing-type",
                        col.name.span.clone(),
                        format!("column `{cname}` has no type"),
                    )
                    .hint("add `type = \"…\"` (e.g. \"bigint\", \"text\"), or `type_sql` for an extension type"),
                );
                return None;
            }
            (None, Some(ts)) => match types::parse_type_sql(&ts.value) {
                // A built-in type or an enum of the model written as `type_sql` is that type
                // (the catalog reads it back as one); anything else is compared as the catalog
                // prints it: unquoted names folded, `public.` / `pg_catalog.` dropped.
                Ok((text, array)) => match types::parse_type(&text) {
                    Ok(TypeSpec::Builtin {
                        ty: b,
                        serial: false,
                        array: false,
                    }) => {
                        let dt = DataType {
                            base: BaseType::Builtin(b.canonical.clone()),
                            array,
                        };
                        builtin = Some(b);
                        dt
                    }
                    Ok(TypeSpec::Named {
                        parts,
                        array: false,
                    }) if model_enum(&parts, &table.schema, enums).is_some() => DataType {
                        base: BaseType::Enum(model_enum(&parts, &table.schema, enums)?),
                        array,
                    },
                    Ok(TypeSpec::Named {
                        parts,
                        array: false,
                    }) if self.user_type(&parts, &table.schema).is_some() => DataType {
                        base: self.user_type(&parts, &table.schema)?,
                        array,
                    },
                    _ => DataType {
                        base: BaseType::Custom(types::catalog_spelling(&text)),
                        array,
                    },
                },
                Err(e) => {
                    self.push(
                        Diagnostic::new("invalid-type", ts.span.clone(), e.message).hint(e.hint),
                    );
                    return None;
                }
            },
            (Some(ty), None) => match types::parse_type(&ty.value) {
                Err(e) => {
                    self.push(
                        Diagnostic::new("invalid-type", ty.span.clone(), e.message).hint(e.hint),
                    );
                    return None;
                }
                Ok(TypeSpec::Builtin {
                    ty: b,
                    serial: s,
                    array,
                }) => {
                    serial = s;
                    let dt = DataType {
                        base: BaseType::Builtin(b.canonical.clone()),
                        array,
                    };
                    builtin = Some(b);
                    dt
                }
                Ok(TypeSpec::Named { parts, array }) => {
                    match self.resolve_enum(&parts, &table.schema, &ty.span, enums) {
                        Err(()) => return None,
                        Ok(Some(q)) => DataType {
                            base: BaseType::Enum(q),
                            array,
                        },
                        Ok(None) if self.user_type(&parts, &table.schema).is_some() => DataType {
                            base: self.user_type(&parts, &table.schema)?,
                            array,
                        },
                        Ok(None) => {
                            // Enums, domains and composite types of the project too.
                            let user_names: Vec<String> = enums
                                .keys()
                                .chain(self.user_types.keys())
                                .map(|q| q.name.clone())
                                .collect();
                            let candidates = types::known_type_names()
                                .iter()
                                .copied()
                                .chain(user_names.iter().map(String::as_str));
                            let hint = match crate::suggest::closest(&ty.value, candidates) {
                                Some(s) => format!("did you mean `{s}`? (for extension types use `type_sql`)"),
                                None => "use a built-in type, an enum, domain or composite type of this project, or `type_sql` for extension types".to_string(),
                            };
                            self.push(
                                Diagnostic::new(
                                    "unknown-type",
                                    ty.span.clone(),
                                    format!("unknown type `{}`", ty.value),
                                )
                                .hint(hint),
                            );
                            return None;
                        }
                    }
                }
            },
        };

        let mut column = Column {
            grants: None,
            name: cname.clone(),
            data_type: data_type.clone(),
            nullable: col.nullable.as_ref().is_some_and(|n| n.value),
            default: None,
            identity: None,
            identity_options: None,
            generated: None,
            collation: col.collation.as_ref().map(|c| c.value.clone()),
            comment: self.literal_text(&col.comment, "comment"),
        };

        if let (Some(d), Some(ds)) = (&col.default, &col.default_sql) {
            self.push(
                Diagnostic::new(
                    "default-conflict",
                    ds.span.clone(),
                    format!("column `{cname}` sets both `default` and `default_sql`"),
                )
                .label(d.span.clone(), "`default` is here")
                .hint("`default` is a value, `default_sql` an SQL expression: keep one"),
            );
        } else if let Some(d) = &col.default {
            let target = match &data_type.base {
                BaseType::Builtin(_) => builtin.as_ref().map(defaults::Target::Builtin),
                BaseType::Enum(q) => model.enum_type(q).map(|e| defaults::Target::Enum {
                    name: q.name.clone(),
                    values: &e.values,
                }),
                BaseType::Custom(_) | BaseType::Domain(_) | BaseType::Composite(_) => {
                    Some(defaults::Target::Custom)
                }
            };
            if let Some(target) = target {
                match defaults::render(d, &target, data_type.array) {
                    Ok(sql) => match self.parse_expr(&sql) {
                        Ok((e, _)) => column.default = Some(ColumnDefault::Sql(e)),
                        Err(e) => self.push(
                            Diagnostic::new(
                                "invalid-default",
                                d.span.clone(),
                                format!("default cannot be written as SQL: {}", e.message),
                            )
                            .hint("use `default_sql` to write the expression yourself"),
                        ),
                    },
                    Err(e) => self.push(
                        Diagnostic::new("invalid-default", d.span.clone(), e.message).hint(e.hint),
                    ),
                }
            }
        } else if let Some(ds) = &col.default_sql
            && let Some(e) = self.expr(ds, "default_sql")
        {
            let columns = e.referenced_columns();
            if let Some(c) = columns
                .iter()
                .find(|c| !SQL_VALUE_WORDS.contains(&c.as_str()))
            {
                self.push(
                    Diagnostic::new(
                        "invalid-default",
                        ds.span.clone(),
                        format!("default_sql refers to `{c}`; PostgreSQL does not allow column references in a DEFAULT"),
                    )
                    .hint("compute it in `generated_sql` (a stored generated column), or write a constant or function call"),
                );
            } else {
                column.default = Some(ColumnDefault::Sql(e));
            }
        }

        if serial {
            if let Some(d) = col
                .default
                .as_ref()
                .map(|d| d.span.clone())
                .or(col.default_sql.as_ref().map(|d| d.span.clone()))
            {
                self.push(
                    Diagnostic::new("default-conflict", d, format!("serial column `{cname}` cannot have a default"))
                        .hint("serial already defaults to the next value of its sequence; use a plain integer type to set another default"),
                );
            }
            if let Some(n) = col.nullable.as_ref().filter(|n| n.value) {
                self.push(
                    Diagnostic::new(
                        "invalid-value",
                        n.span.clone(),
                        format!("serial column `{cname}` cannot be nullable"),
                    )
                    .hint("serial columns are NOT NULL"),
                );
            }
            column.nullable = false;
            column.default = Some(ColumnDefault::Serial {
                sequence: String::new(),
            });
        }

        if let Some(id) = &col.identity {
            let identity = self.keyword(
                id,
                "identity kind",
                &[
                    ("always", Identity::Always),
                    ("by_default", Identity::ByDefault),
                ],
            );
            let integer = builtin
                .as_ref()
                .is_some_and(|b| matches!(b.family, types::TypeFamily::Integer { .. }))
                && !data_type.array
                && !serial;
            if !integer {
                self.push(
                    Diagnostic::new(
                        "identity-type",
                        id.span.clone(),
                        format!("identity column `{cname}` must be smallint, integer or bigint, not `{}`", data_type),
                    )
                    .hint("change the type to bigint (or drop `identity`)"),
                );
            } else if column.default.is_some() {
                self.push(
                    Diagnostic::new(
                        "default-conflict",
                        id.span.clone(),
                        format!("identity column `{cname}` cannot also have a default"),
                    )
                    .hint("remove `default`/`default_sql`; the identity supplies values"),
                );
            } else if let Some(n) = col.nullable.as_ref().filter(|n| n.value) {
                self.push(
                    Diagnostic::new(
                        "invalid-value",
                        n.span.clone(),
                        format!("identity column `{cname}` cannot be nullable"),
                    )
                    .hint("identity columns are NOT NULL"),
                );
            }
            column.identity = identity;
            column.nullable = false;
            if let (Some(o), true) = (&col.identity_options, integer) {
                column.identity_options = self.identity_options(&o.value, &data_type.to_string());
            }
        } else if let Some(o) = &col.identity_options {
            self.missing(
                &o.span,
                "identity",
                "generated",
                "add `generated = \"always\"` or `\"by_default\"`",
            );
        }

        if let Some(g) = &col.generated_sql {
            if col.default.is_some()
                || col.default_sql.is_some()
                || col.identity.is_some()
                || serial
            {
                self.push(
                    Diagnostic::new(
                        "default-conflict",
                        g.span.clone(),
                        format!(
                            "generated column `{cname}` cannot also have a default or identity"
                        ),
                    )
                    .hint("a stored generated column computes its value; remove the default"),
                );
            } else if let Some(e) = self.expr(g, "generated_sql") {
                column.generated = Some(e);
            }
        }
        if let Some(c) = &col.collation {
            let collatable = match &data_type.base {
                BaseType::Builtin(_) => builtin
                    .as_ref()
                    .is_some_and(|b| matches!(b.family, types::TypeFamily::Text { .. })),
                BaseType::Custom(_) => true,
                BaseType::Domain(q) => model
                    .domain(q)
                    .is_some_and(|d| collatable_type(&d.data_type, model)),
                BaseType::Enum(_) | BaseType::Composite(_) => false,
            };
            if c.value.is_empty() || c.value.contains('\0') {
                self.push(
                    Diagnostic::new(
                        "invalid-value",
                        c.span.clone(),
                        "`collation` is empty or holds NUL",
                    )
                    .hint("name a collation, e.g. \"C\""),
                );
            } else if !collatable {
                self.push(
                    Diagnostic::new(
                        "invalid-value",
                        c.span.clone(),
                        format!(
                            "type `{}` of column `{cname}` does not take a collation",
                            display_type(&data_type)
                        ),
                    )
                    .hint("collations apply to text, varchar and char columns (and their arrays)"),
                );
            }
        }
        Some(column)
    }

    /// [`Expr::parse`], once per distinct text.
    fn parse_expr(&mut self, sql: &str) -> Result<(Expr, References), ExprError> {
        if let Some(parsed) = self.parsed.get(sql) {
            return parsed.clone();
        }
        let parsed = Expr::parse_with_references(sql);
        self.parsed.insert(sql.to_string(), parsed.clone());
        parsed
    }

    fn expr(&mut self, s: &Sp<String>, what: &str) -> Option<Expr> {
        if s.value.contains('\0') {
            self.literal_text(&Some(s.clone()), what);
            return None;
        }
        match self.parse_expr(&s.value) {
            Ok((e, refs)) => {
                self.check_references(&refs, s, what);
                Some(e)
            }
            Err(e) => {
                let mut span = s.span.clone();
                if let Some(off) = e.offset {
                    // Point inside the string when the value is a plain one-line string.
                    let start = span.range.start + 1 + off;
                    if start < span.range.end {
                        span.range = start..span.range.end.saturating_sub(1).max(start);
                    }
                }
                self.push(
                    Diagnostic::new(
                        "invalid-sql",
                        span,
                        format!("cannot parse {what}: {}", e.message),
                    )
                    .hint("write a single PostgreSQL expression (no statements, no trailing `;`)"),
                );
                None
            }
        }
    }

    /// What an expression calls must exist in PostgreSQL (14–17) or in an extension the
    /// project declares, with a number of arguments one of its signatures takes; aggregates
    /// and window functions are not allowed where schemactl uses expressions; custom
    /// operators must exist; types in casts must be valid. Calls qualified with a schema other
    /// than `pg_catalog`, and everything when the project declares an extension whose objects
    /// we do not know (not a contrib one), are left to PostgreSQL (`check --dev`).
    fn check_references(&mut self, refs: &References, s: &Sp<String>, what: &str) {
        let unknown_extension = self
            .extensions
            .iter()
            .any(|e| !builtins::knows_extension(e));
        let exts = self.extensions.clone();
        let declared = || exts.iter().map(String::as_str);
        // PostgreSQL requires IMMUTABLE functions where the value is stored or indexed.
        let immutable_only = matches!(what, "generated_sql" | "index expression" | "index `where`");
        if refs.subqueries > 0 {
            self.push(
                Diagnostic::new(
                    "invalid-sql",
                    s.span.clone(),
                    format!("{what} contains a subquery"),
                )
                .hint("PostgreSQL does not allow subqueries here; use a function, or a trigger for cross-row rules"),
            );
        }
        for call in refs.calls.iter().filter(|c| c.parens) {
            let name = match call.name.as_slice() {
                [n] => n.as_str(),
                [schema, n] if schema == "pg_catalog" => n.as_str(),
                _ => continue,
            };
            if SPECIAL_CALLS.contains(&name) {
                continue;
            }
            if let Some(arities) = self.routines.get(name) {
                if !arities.iter().any(|a| a.accepts(call.args)) {
                    let takes = arity_text(arities);
                    self.push(
                        Diagnostic::new(
                            "unknown-function",
                            s.span.clone(),
                            format!(
                                "{what} calls `{name}` with {} argument{}; the declared `{name}` takes {takes}",
                                call.args,
                                if call.args == 1 { "" } else { "s" },
                            ),
                        )
                        .hint(format!("pass {takes} to `{name}`, or declare an overload")),
                    );
                }
                continue;
            }
            let found: Vec<&builtins::Function> = builtins::function(name)
                .into_iter()
                .chain(declared().filter_map(|e| builtins::extension_function(e, name)))
                .collect();
            if !found.is_empty() {
                let fitting: Vec<&builtins::Signature> =
                    found.iter().flat_map(|f| f.taking(call.args)).collect();
                let (code, message, hint) = if found.iter().any(|f| f.aggregate) {
                    (
                        "invalid-sql",
                        format!("{what} calls `{name}`, an aggregate or window function"),
                        "PostgreSQL does not allow aggregate or window functions here; use a plain function".to_string(),
                    )
                } else if fitting.is_empty() {
                    let arities: Vec<builtins::Arity> = found
                        .iter()
                        .flat_map(|f| f.signatures.iter().map(|s| s.arity))
                        .collect();
                    (
                        "unknown-function",
                        format!(
                            "{what} calls `{name}` with {} argument{}; PostgreSQL's `{name}` takes {}",
                            call.args,
                            if call.args == 1 { "" } else { "s" },
                            arity_text(&arities)
                        ),
                        format!("pass {} to `{name}`", arity_text(&arities)),
                    )
                } else if fitting.iter().all(|f| f.set_returning) {
                    (
                        "invalid-sql",
                        format!("{what} calls `{name}`, which returns a set of rows"),
                        "PostgreSQL does not allow set-returning functions here".to_string(),
                    )
                } else if immutable_only && fitting.iter().all(|f| !f.immutable) {
                    (
                        "not-immutable",
                        format!(
                            "{what} calls `{name}`, which is not IMMUTABLE (its result can change between calls)"
                        ),
                        "PostgreSQL requires immutable functions in index expressions, index predicates and generated columns; compute the value on insert (a default or trigger) instead".to_string(),
                    )
                } else {
                    continue;
                };
                self.push(Diagnostic::new(code, s.span.clone(), message).hint(hint));
                continue;
            }
            // `text(x)`, `int4(x)`: a function-style cast to a built-in type.
            if call.args == 1 && matches!(types::parse_type(name), Ok(TypeSpec::Builtin { .. })) {
                continue;
            }
            if unknown_extension {
                continue;
            }
            let mut names: Vec<String> = builtins::function_names(declared())
                .map(String::from)
                .collect();
            names.extend(self.routines.keys().cloned());
            let hint = match crate::suggest::closest(name, names.iter().map(String::as_str)) {
                Some(m) if !crate::sql::is_plain_ident(m) => {
                    format!("did you mean `\"{m}\"` (quoted: the declared name is case-sensitive)?")
                }
                Some(m) => format!("did you mean `{m}`?"),
                None => "declare it under [functions] (or the extension that provides it under [extensions]), or write \
                         it with its schema (`schema.function`) if it is created outside \
                         schemactl"
                    .to_string(),
            };
            self.push(
                Diagnostic::new(
                    "unknown-function",
                    s.span.clone(),
                    format!(
                        "{what} calls `{name}`, which is not a function of PostgreSQL or of a declared extension"
                    ),
                )
                .hint(hint),
            );
        }
        for text in &refs.sequences {
            if let Some(sequence) = crate::model::sequence::regclass_name(text) {
                self.sequence_uses.push(SequenceUse {
                    sequence,
                    span: s.span.clone(),
                    what: what.to_string(),
                });
            }
        }
        for op in &refs.removed_operators {
            self.push(
                Diagnostic::new(
                    "unknown-operator",
                    s.span.clone(),
                    format!("{what} uses the operator `{op}`, which PostgreSQL 14 removed"),
                )
                .hint("write `factorial(n)` instead of `n !`"),
            );
        }
        for op in &refs.operators {
            let bare = match op.rsplit_once('.') {
                None => op.as_str(),
                Some(("pg_catalog", o)) => o,
                Some(_) => continue,
            };
            if !unknown_extension && !builtins::operator_exists(bare, declared()) {
                self.push(
                    Diagnostic::new(
                        "unknown-operator",
                        s.span.clone(),
                        format!("{what} uses the operator `{bare}`, which PostgreSQL does not have"),
                    )
                    .hint("check the operator's spelling, or declare the extension that provides it under [extensions]"),
                );
            }
        }
        for ty in &refs.casts {
            // Only modifiers of a type schemactl knows are judged (`varchar(0)`); a type it
            // does not model (`bit varying(3)`) is PostgreSQL's to check.
            let unmodified = without_modifiers(ty);
            if !matches!(types::parse_type(&unmodified), Ok(TypeSpec::Builtin { .. })) {
                continue;
            }
            if let Err(e) = types::parse_type(ty) {
                self.push(
                    Diagnostic::new(
                        "invalid-type",
                        s.span.clone(),
                        format!("{what} casts to `{ty}`: {}", e.message),
                    )
                    .hint(e.hint),
                );
            }
        }
    }

    /// Columns an expression refers to must exist in the table.
    fn expr_columns(&mut self, e: &Expr, table: &Table, s: &Sp<String>, what: &str) {
        for c in e.referenced_columns() {
            // `tableoid` is the one system column a check may use.
            let system = c == "tableoid" && what == "check expression";
            if table.column(&c).is_none() && !system && !SQL_VALUE_WORDS.contains(&c.as_str()) {
                let hint = column_hint(&c, table);
                self.push(
                    Diagnostic::new(
                        "unknown-column",
                        s.span.clone(),
                        format!("{what} refers to unknown column `{c}`"),
                    )
                    .hint(hint),
                );
            }
        }
    }

    /// Names in a column list must be columns of the table; returns the valid ones.
    fn column_list(
        &mut self,
        table: &Table,
        list: &Sp<Vec<Sp<String>>>,
        what: &str,
        tname: &QualifiedName,
    ) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in &list.value {
            if table.column(&c.value).is_none() {
                let hint = column_hint(&c.value, table);
                self.push(
                    Diagnostic::new(
                        "unknown-column",
                        c.span.clone(),
                        format!("{what} on unknown column `{}` of `{tname}`", c.value),
                    )
                    .hint(hint),
                );
            } else if out.contains(&c.value) {
                self.push(
                    Diagnostic::new(
                        "duplicate-column",
                        c.span.clone(),
                        format!("column `{}` is listed twice in the {what}", c.value),
                    )
                    .hint("list each column once"),
                );
            } else {
                out.push(c.value.clone());
            }
        }
        if list.value.is_empty() {
            self.push(
                Diagnostic::new(
                    "invalid-value",
                    list.span.clone(),
                    format!("the {what} lists no columns"),
                )
                .hint("list at least one column"),
            );
        }
        out
    }

    /// `[[tables.T.exclusions]]`: named (schemactl does not choose their names), an index
    /// (gist unless `method` says otherwise) whose every key has an operator (`with`).
    fn exclusions(
        &mut self,
        raw: &RawTable,
        table: &Table,
        tname: &QualifiedName,
    ) -> BTreeMap<String, crate::model::Exclusion> {
        let mut out = BTreeMap::new();
        for x in &raw.exclusions {
            let Some(name) = &x.name else {
                self.missing(
                    &x.span,
                    "exclusion constraint",
                    "name",
                    "name it: `name = \"…\"` (schemactl does not choose names for exclusion constraints)",
                );
                continue;
            };
            if !self.ident(name, "constraint") {
                continue;
            }
            let Some(mut index) = self.index_with(x, table, tname, "gist") else {
                continue;
            };
            // The constraint's comment, not its index's.
            let comment = index.comment.take();
            let mut operators = Vec::new();
            for k in x.keys.iter().flat_map(|k| k.value.iter()) {
                match &k.with {
                    Some(op) if is_operator(&op.value) => operators.push(op.value.clone()),
                    Some(op) => self.push(
                        Diagnostic::new(
                            "invalid-value",
                            op.span.clone(),
                            format!("`{}` is not an operator", op.value),
                        )
                        .hint("write the operator as in SQL: `with = \"=\"`, `with = \"&&\"`, or `schema.op`"),
                    ),
                    None => self.missing(
                        &k.span,
                        "exclusion constraint element",
                        "with",
                        "name the operator: `{ column = \"room\", with = \"=\" }`",
                    ),
                }
            }
            if operators.len() == index.keys.len() {
                out.insert(
                    name.value.clone(),
                    crate::model::Exclusion {
                        index,
                        operators,
                        deferrable: self.deferrable(&x.deferrable),
                        comment,
                    },
                );
            }
        }
        out
    }

    fn index(
        &mut self,
        ix: &schema::RawIndex,
        table: &Table,
        tname: &QualifiedName,
    ) -> Option<Index> {
        self.index_with(ix, table, tname, "btree")
    }

    /// An index, or the index of an exclusion constraint (`default_method` gist).
    fn index_with(
        &mut self,
        ix: &schema::RawIndex,
        table: &Table,
        tname: &QualifiedName,
        default_method: &str,
    ) -> Option<Index> {
        let Some(keys) = &ix.keys else {
            self.missing(&ix.span, "index", "columns", "add `columns = [\"…\"]`");
            return None;
        };
        if keys.value.is_empty() {
            self.push(
                Diagnostic::new(
                    "invalid-value",
                    keys.span.clone(),
                    "the index lists no columns",
                )
                .hint("list at least one column or expression"),
            );
            return None;
        }
        let method = ix
            .method
            .as_ref()
            .map_or(default_method.to_string(), |m| m.value.to_lowercase());
        const METHODS: &[&str] = &["btree", "hash", "gin", "gist", "brin", "spgist"];
        let mut ok = true;
        if let Some(m) = &ix.method
            && !METHODS.contains(&method.as_str())
        {
            let hint = crate::suggest::did_you_mean(&m.value, METHODS.iter().copied())
                .unwrap_or_else(|| format!("methods: {}", METHODS.join(", ")));
            self.push(
                Diagnostic::new(
                    "invalid-value",
                    m.span.clone(),
                    format!("unknown index method `{}`", m.value),
                )
                .hint(hint),
            );
            ok = false;
        }
        let unique = ix.unique.as_ref().is_some_and(|u| u.value);
        if unique && method != "btree" {
            let span = ix
                .unique
                .as_ref()
                .map_or(ix.span.clone(), |u| u.span.clone());
            self.push(
                Diagnostic::new(
                    "invalid-value",
                    span,
                    format!("a unique index must use btree, not {method}"),
                )
                .hint("PostgreSQL supports unique indexes only with btree"),
            );
            ok = false;
        }
        if method == "hash" && keys.value.len() > 1 {
            self.push(
                Diagnostic::new(
                    "invalid-value",
                    keys.span.clone(),
                    format!(
                        "a hash index has exactly one key, not {}",
                        keys.value.len()
                    ),
                )
                .hint("PostgreSQL's hash indexes do not support several columns; use btree, or one hash index per column"),
            );
            ok = false;
        }
        if method != "btree" {
            for o in keys
                .value
                .iter()
                .flat_map(|k| k.order.iter().chain(k.nulls.iter()))
            {
                self.push(
                    Diagnostic::new(
                        "invalid-value",
                        o.span.clone(),
                        format!("{method} indexes have no ordering"),
                    )
                    .hint("`order` and `nulls` apply to btree indexes only"),
                );
                ok = false;
            }
        }
        let mut out_keys = Vec::new();
        for k in &keys.value {
            let (column, expr) = match (&k.column, &k.expr) {
                (Some(c), None) => {
                    if table.column(&c.value).is_none() {
                        let hint = column_hint(&c.value, table);
                        self.push(
                            Diagnostic::new(
                                "unknown-column",
                                c.span.clone(),
                                format!("index on unknown column `{}` of `{tname}`", c.value),
                            )
                            .hint(hint),
                        );
                        ok = false;
                    }
                    (Some(c.value.clone()), None)
                }
                (None, Some(e)) => match self.expr(e, "index expression") {
                    Some(x) => {
                        self.expr_columns(&x, table, e, "index expression");
                        (None, Some(table.typed_expr(x)))
                    }
                    None => {
                        ok = false;
                        (None, None)
                    }
                },
                _ => {
                    self.push(
                        Diagnostic::new(
                            "invalid-value",
                            k.span.clone(),
                            "an index entry needs exactly one of `column` or `expr`",
                        )
                        .hint("write `{ column = \"a\" }` or `{ expr = \"lower(a)\" }`"),
                    );
                    ok = false;
                    (None, None)
                }
            };
            let descending = match &k.order {
                None => false,
                Some(o) => {
                    let d = self.keyword(o, "order", &[("asc", false), ("desc", true)]);
                    ok &= d.is_some();
                    d.unwrap_or(false)
                }
            };
            let nulls_first = match &k.nulls {
                None => descending,
                Some(n) => {
                    let f = self.keyword(n, "nulls position", &[("first", true), ("last", false)]);
                    ok &= f.is_some();
                    f.unwrap_or(descending)
                }
            };
            let opclass = k.opclass.as_ref().and_then(|o| {
                let name = self.opclass(o);
                ok &= name.is_some();
                name
            });
            out_keys.push(IndexKey {
                column,
                expr,
                descending,
                nulls_first,
                opclass,
            });
        }
        let include = match &ix.include {
            Some(list) => {
                if !matches!(method.as_str(), "btree" | "gist" | "spgist") {
                    self.push(
                        Diagnostic::new(
                            "invalid-value",
                            list.span.clone(),
                            format!("`include` is not supported by {method} indexes"),
                        )
                        .hint("INCLUDE works with btree, gist and spgist"),
                    );
                    ok = false;
                }
                self.column_list(table, list, "index include list", tname)
            }
            None => Vec::new(),
        };
        let predicate = match &ix.predicate {
            Some(p) => match self.expr(p, "index `where`") {
                Some(e) => {
                    self.expr_columns(&e, table, p, "index `where`");
                    Some(table.typed_expr(e))
                }
                None => {
                    ok = false;
                    None
                }
            },
            None => None,
        };
        let comment = self.literal_text(&ix.comment, "comment");
        ok.then_some(Index {
            unique,
            method,
            keys: out_keys,
            include,
            predicate,
            comment,
        })
    }

    fn fk_actions(&mut self, a: &RawFkActions) -> (FkAction, FkAction, Deferrable) {
        const ACTIONS: [(&str, FkAction); 5] = [
            ("no_action", FkAction::NoAction),
            ("restrict", FkAction::Restrict),
            ("cascade", FkAction::Cascade),
            ("set_null", FkAction::SetNull),
            ("set_default", FkAction::SetDefault),
        ];
        let mut action = |v: &Option<Sp<String>>| {
            v.as_ref()
                .and_then(|v| self.keyword(v, "foreign key action", &ACTIONS))
                .unwrap_or_default()
        };
        let on_delete = action(&a.on_delete);
        let on_update = action(&a.on_update);
        let deferrable = self.deferrable(&a.deferrable);
        (on_delete, on_update, deferrable)
    }

    /// A constraint's `deferrable` (`true` was read as "immediate", `false` as "false").
    fn deferrable(&mut self, d: &Option<Sp<String>>) -> Deferrable {
        d.as_ref()
            .and_then(|d| {
                self.keyword(
                    d,
                    "`deferrable` value",
                    &[
                        ("false", Deferrable::No),
                        ("true", Deferrable::Immediate),
                        ("immediate", Deferrable::Immediate),
                        ("deferred", Deferrable::Deferred),
                    ],
                )
            })
            .unwrap_or_default()
    }

    /// One of a closed set of words (case-insensitive); otherwise a diagnostic with the
    /// closest word or the list.
    /// An index key's operator class, `name` or `schema.name`, in the model's spelling
    /// (`pg_catalog.` and `public.` dropped: the catalog reader sees both schemas).
    fn opclass(&mut self, o: &Sp<String>) -> Option<String> {
        let parts = crate::sql::split_qualified(&o.value).unwrap_or_default();
        let valid = !parts.is_empty()
            && parts.len() <= 2
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.len() <= MAX_IDENT_BYTES && !p.contains('\0'));
        if !valid {
            self.push(
                Diagnostic::new(
                    "invalid-value",
                    o.span.clone(),
                    format!("`{}` is not an operator class name", o.value),
                )
                .hint("write the operator class's name (`inet_ops`, `text_pattern_ops`) or `schema.name`"),
            );
            return None;
        }
        Some(match parts.as_slice() {
            [s, n] if s != "pg_catalog" && s != "public" => crate::sql::display_path(&[s, n]),
            [.., n] => crate::sql::display_path(&[n]),
            [] => return None,
        })
    }

    fn keyword<T: Copy>(&mut self, v: &Sp<String>, what: &str, options: &[(&str, T)]) -> Option<T> {
        let lower = v.value.to_lowercase();
        if let Some((_, t)) = options.iter().find(|(w, _)| *w == lower) {
            return Some(*t);
        }
        let words = options.iter().map(|(w, _)| *w);
        let hint = crate::suggest::did_you_mean(&v.value, words.clone())
            .unwrap_or_else(|| format!("use one of: {}", words.collect::<Vec<_>>().join(", ")));
        self.push(
            Diagnostic::new(
                "invalid-value",
                v.span.clone(),
                format!("unknown {what} `{}`", v.value),
            )
            .hint(hint),
        );
        None
    }

    /// `references = "table.column"` / `"schema.table.column"` on a column.
    fn parse_column_reference(
        &mut self,
        r: &Sp<String>,
        here: &str,
    ) -> Option<(QualifiedName, bool, String)> {
        let parts = match crate::sql::split_qualified(&r.value) {
            Ok(p) => p,
            Err(e) => {
                self.push(Diagnostic::new("invalid-reference", r.span.clone(), e).hint("write \"table.column\" or \"schema.table.column\"; quote names containing dots"));
                return None;
            }
        };
        match parts.as_slice() {
            [table, column] => Some((
                QualifiedName::new(here, table.clone()),
                false,
                column.clone(),
            )),
            [schema, table, column] => {
                if !self.check_managed(schema, &r.span) {
                    return None;
                }
                Some((
                    QualifiedName::new(schema.clone(), table.clone()),
                    true,
                    column.clone(),
                ))
            }
            _ => {
                self.push(
                    Diagnostic::new(
                        "invalid-reference",
                        r.span.clone(),
                        format!("cannot read reference `{}`", r.value),
                    )
                    .hint("write \"table.column\" or \"schema.table.column\""),
                );
                None
            }
        }
    }

    fn fk_target(&mut self, t: &schema::RawFkTarget, here: &str) -> Option<FkTarget> {
        let Some(table) = &t.table else {
            self.missing(&t.span, "`references`", "table", "add `table = \"…\"`");
            return None;
        };
        let Some(columns) = &t.columns else {
            self.missing(
                &t.span,
                "`references`",
                "columns",
                "add `columns = [\"id\"]`",
            );
            return None;
        };
        let (q, qualified) = if let Some(schema) = &t.schema {
            if !self.check_managed(&schema.value, &schema.span) {
                return None;
            }
            (
                QualifiedName::new(schema.value.clone(), table.value.clone()),
                true,
            )
        } else {
            match crate::sql::split_qualified(&table.value) {
                Ok(parts) => match parts.as_slice() {
                    [name] => (QualifiedName::new(here, name.clone()), false),
                    [schema, name] => {
                        if !self.check_managed(schema, &table.span) {
                            return None;
                        }
                        (QualifiedName::new(schema.clone(), name.clone()), true)
                    }
                    _ => {
                        self.push(
                            Diagnostic::new(
                                "invalid-reference",
                                table.span.clone(),
                                format!("cannot read table name `{}`", table.value),
                            )
                            .hint("write \"table\" or \"schema.table\", or use the `schema` key"),
                        );
                        return None;
                    }
                },
                Err(e) => {
                    self.push(
                        Diagnostic::new("invalid-reference", table.span.clone(), e)
                            .hint("quote names containing dots, or use the `schema` key"),
                    );
                    return None;
                }
            }
        };
        Some(FkTarget {
            table: q,
            qualified,
            columns: columns.value.clone(),
        })
    }

    /// Resolve and validate a foreign key against all tables.
    fn check_fk(
        &mut self,
        p: &Pending<'_>,
        fk: &PendingFk,
        all: &[Pending<'_>],
        by_name: &BTreeMap<QualifiedName, usize>,
    ) -> Option<ForeignKey> {
        let FkTarget {
            table: target,
            qualified,
            columns: ref_cols,
        } = fk.target.as_ref()?;
        let mut candidates = vec![target.clone()];
        if !qualified {
            candidates.push(QualifiedName::new("public", target.name.clone()));
        }
        let Some(idx) = candidates.iter().find_map(|q| by_name.get(q)) else {
            let names = all.iter().map(|t| t.name.name.as_str());
            let hint = crate::suggest::did_you_mean(&target.name, names)
                .unwrap_or_else(|| "declare the referenced table in a schema file".into());
            self.push(
                Diagnostic::new(
                    "unknown-table",
                    fk.target_span.clone(),
                    format!("foreign key references unknown table `{target}`"),
                )
                .hint(hint),
            );
            return None;
        };
        let rt = &all[*idx];
        if fk.columns.len() != ref_cols.len() {
            self.push(
                Diagnostic::new(
                    "fk-mismatch",
                    fk.span.clone(),
                    format!(
                        "foreign key has {} column(s) but references {}",
                        fk.columns.len(),
                        ref_cols.len()
                    ),
                )
                .hint("list as many referenced columns as foreign key columns"),
            );
            return None;
        }
        let mut ok = true;
        for (c, r) in fk.columns.iter().zip(ref_cols) {
            let Some(rc) = rt.table.column(&r.value) else {
                let hint = column_hint(&r.value, &rt.table);
                self.push(
                    Diagnostic::new(
                        "unknown-column",
                        r.span.clone(),
                        format!(
                            "foreign key references unknown column `{}` of `{}`",
                            r.value, rt.name
                        ),
                    )
                    .hint(hint),
                );
                ok = false;
                continue;
            };
            let Some(lc) = p.table.column(&c.value) else {
                ok = false;
                // Reported by column_list (table form); report here for the shorthand too.
                continue;
            };
            if !fk_types_compatible(&lc.data_type, &rc.data_type)
                && !is_invalid(lc)
                && !is_invalid(rc)
            {
                self.push(
                    Diagnostic::new(
                        "fk-type-mismatch",
                        c.span.clone(),
                        format!(
                            "foreign key column `{}` is `{}` but `{}.{}` is `{}`",
                            c.value,
                            display_type(&lc.data_type),
                            rt.name,
                            rc.name,
                            display_type(&rc.data_type)
                        ),
                    )
                    .hint(format!(
                        "declare `{}` as `{}`",
                        c.value,
                        display_type(&rc.data_type)
                    )),
                );
                ok = false;
            }
        }
        if !ok {
            return None;
        }
        let wanted: BTreeSet<&str> = ref_cols.iter().map(|c| c.value.as_str()).collect();
        let same = |cols: &[String]| {
            cols.len() == wanted.len() && cols.iter().all(|c| wanted.contains(c.as_str()))
        };
        // PostgreSQL looks for a unique index that is checked immediately: a deferrable key
        // cannot be referenced.
        let pk = rt.table.primary_key.as_ref();
        let deferrable_target = pk.is_some_and(|pk| !pk.deferrable.is_no() && same(&pk.columns))
            || (rt.table.uniques.values()).any(|u| !u.deferrable.is_no() && same(&u.columns));
        let unique_target = pk.is_some_and(|pk| pk.deferrable.is_no() && same(&pk.columns))
            || (rt.table.uniques.values()).any(|u| u.deferrable.is_no() && same(&u.columns))
            || rt.table.indexes.values().any(|i| {
                i.unique
                    && i.predicate.is_none()
                    && i.keys.iter().all(|k| k.column.is_some())
                    && same(
                        &i.keys
                            .iter()
                            .filter_map(|k| k.column.clone())
                            .collect::<Vec<_>>(),
                    )
            });
        if !unique_target && deferrable_target {
            let cols: Vec<&str> = ref_cols.iter().map(|c| c.value.as_str()).collect();
            self.push(
                Diagnostic::new(
                    "fk-not-unique",
                    fk.target_span.clone(),
                    format!(
                        "foreign key references ({}) of `{}`, whose key is deferrable",
                        cols.join(", "),
                        rt.name
                    ),
                )
                .hint(
                    "PostgreSQL cannot reference a deferrable key: remove its `deferrable`, or add a plain unique index on the same columns",
                ),
            );
            return None;
        }
        if !unique_target {
            let cols: Vec<&str> = ref_cols.iter().map(|c| c.value.as_str()).collect();
            self.push(
                Diagnostic::new(
                    "fk-not-unique",
                    fk.target_span.clone(),
                    format!(
                        "foreign key references ({}) of `{}`, which is not a primary key or unique",
                        cols.join(", "),
                        rt.name
                    ),
                )
                .hint(format!(
                    "reference the primary key of `{}`, or declare a unique constraint on ({})",
                    rt.name,
                    cols.join(", ")
                )),
            );
            return None;
        }
        let (on_delete, on_update, deferrable) = fk.actions;
        Some(ForeignKey {
            columns: fk.columns.iter().map(|c| c.value.clone()).collect(),
            references: rt.name.clone(),
            referenced_columns: ref_cols.iter().map(|c| c.value.clone()).collect(),
            on_delete,
            on_update,
            deferrable,
            validated: fk.validated,
            comment: fk.comment.clone(),
        })
    }

    /// Explicit names must not collide; then they are reserved so default names avoid them.
    fn reserve_explicit_names(
        &mut self,
        pending: &[Pending<'_>],
        namespaces: &mut BTreeMap<String, Namespace>,
    ) {
        let mut relations: BTreeMap<(String, String), Span> = BTreeMap::new();
        for p in pending {
            let mut table_constraints: BTreeMap<String, Span> = BTreeMap::new();
            let ns = namespaces.entry(p.name.schema.clone()).or_default();
            let raw = p.raw;
            let pk_name = raw
                .primary_key_name
                .as_ref()
                .filter(|_| p.table.primary_key.is_some());
            let rel_names = raw
                .uniques
                .iter()
                .filter_map(|u| u.name.as_ref())
                .chain(pk_name)
                .chain(raw.indexes.iter().filter_map(|i| i.name.as_ref()))
                .chain(raw.exclusions.iter().filter_map(|x| x.name.as_ref()));
            for n in rel_names {
                let key = (p.name.schema.clone(), n.value.clone());
                let clash = relations.get(&key).cloned().or_else(|| {
                    pending
                        .iter()
                        .find(|t| t.name.schema == p.name.schema && t.name.name == n.value)
                        .map(|t| t.raw.name.span.clone())
                });
                if let Some(first) = clash {
                    self.diags.push(
                        Diagnostic::new("duplicate-name", n.span.clone(), format!("name `{}` is already used in schema `{}`", n.value, p.name.schema))
                            .label(first, "also used here")
                            .hint("index and unique-constraint names share one namespace with tables in a schema; pick another name"),
                    );
                    continue;
                }
                relations.insert(key, n.span.clone());
                ns.relations.insert(n.value.clone());
            }
            let con_names = raw
                .uniques
                .iter()
                .filter_map(|u| u.name.as_ref())
                .chain(pk_name)
                .chain(raw.checks.iter().filter_map(|c| c.name.as_ref()))
                .chain(raw.foreign_keys.iter().filter_map(|f| f.name.as_ref()))
                .chain(raw.exclusions.iter().filter_map(|x| x.name.as_ref()));
            for n in con_names {
                if let Some(first) = table_constraints.get(&n.value) {
                    self.diags.push(
                        Diagnostic::new(
                            "duplicate-name",
                            n.span.clone(),
                            format!(
                                "constraint name `{}` is used twice on `{}`",
                                n.value, p.name
                            ),
                        )
                        .label(first.clone(), "first used here")
                        .hint("constraint names must be unique per table"),
                    );
                    continue;
                }
                table_constraints.insert(n.value.clone(), n.span.clone());
                ns.constraints.insert(n.value.clone());
            }
        }
    }
}

/// An operator name as SQL writes it, optionally `schema.`-qualified: PostgreSQL's operator
/// characters only (`=`, `&&`, `-|-`, …).
fn is_operator(s: &str) -> bool {
    let op = match s.rsplit_once('.') {
        Some((schema, op)) if !schema.is_empty() && !schema.contains('"') => op,
        _ => s,
    };
    !op.is_empty() && op.len() <= 63 && op.chars().all(|c| "+-*/<>=~!@#%^&|`?".contains(c))
}

fn placeholder(i: usize, n: Option<Sp<String>>) -> String {
    match n {
        Some(n) => format!("\u{0}explicit\u{0}{i:06}\u{0}{}", n.value),
        None => format!("\u{0}default\u{0}{i:06}"),
    }
}

/// Add the names the database keeps: objects of the head snapshot whose definition is
/// unchanged in the new schema. Objects that change or disappear are dropped before anything
/// is added (see the plan's phases), so their names are free again, as in PostgreSQL.
fn seed_namespaces(
    namespaces: &mut BTreeMap<String, Namespace>,
    previous: &Model,
    pending: &[Pending<'_>],
) {
    for p in pending {
        let Some(old) = previous.table(&p.name) else {
            continue;
        };
        let ns = namespaces.entry(p.name.schema.clone()).or_default();
        let t = &p.table;
        let explicit_pk = p.raw.primary_key_name.as_ref().map(|n| &n.value);
        if let (Some(a), Some(b)) = (&old.primary_key, &t.primary_key)
            && a.columns == b.columns
            && explicit_pk.is_none_or(|n| *n == a.name)
        {
            ns.relations.insert(a.name.clone());
            ns.constraints.insert(a.name.clone());
        }
        for (n, u) in &old.uniques {
            if t.uniques.values().any(|x| x == u) {
                ns.relations.insert(n.clone());
                ns.constraints.insert(n.clone());
            }
        }
        for (n, c) in &old.checks {
            if t.checks.values().any(|x| x == c) {
                ns.constraints.insert(n.clone());
            }
        }
        for (n, i) in &old.indexes {
            if t.indexes.values().any(|x| x == i) {
                ns.relations.insert(n.clone());
            }
        }
        for (n, x) in &old.exclusions {
            if t.exclusions.get(n) == Some(x) {
                ns.relations.insert(n.clone());
                ns.constraints.insert(n.clone());
            }
        }
        for c in &old.columns {
            if let Some(ColumnDefault::Serial { sequence }) = &c.default
                && t.column(&c.name)
                    .is_some_and(|n| matches!(n.default, Some(ColumnDefault::Serial { .. })))
            {
                ns.relations.insert(sequence.clone());
            }
        }
    }
}

/// Whether a foreign key column of type `fk` may reference a key column of type `key`:
/// equal types, or built-in types PostgreSQL compares with an equality operator
/// ([`types::fk_compatible`]: `integer` → `bigint` and the like). Arrays must have the
/// same element type.
fn fk_types_compatible(fk: &DataType, key: &DataType) -> bool {
    if fk == key {
        return true;
    }
    match (&fk.base, &key.base) {
        (BaseType::Builtin(a), BaseType::Builtin(b)) if !fk.array && !key.array => {
            types::fk_compatible(a, b)
        }
        _ => false,
    }
}

/// Whether a value of type `t` takes a collation (text types, domains over them, custom).
fn collatable_type(t: &DataType, model: &Model) -> bool {
    match &t.base {
        BaseType::Builtin(b) => matches!(
            types::parse_type(b),
            Ok(TypeSpec::Builtin { ty, .. }) if matches!(ty.family, types::TypeFamily::Text { .. })
        ),
        BaseType::Custom(_) => true,
        BaseType::Domain(q) => model
            .domain(q)
            .is_some_and(|d| collatable_type(&d.data_type, model)),
        BaseType::Enum(_) | BaseType::Composite(_) => false,
    }
}

/// The model's enum that `parts` (a `type_sql` name) names, resolved as a `type` would be
/// (here, then `public`), without reporting anything: a name that is no enum of the model is
/// passed through as written.
fn model_enum(
    parts: &[String],
    here: &str,
    enums: &BTreeMap<QualifiedName, &RawEnum>,
) -> Option<QualifiedName> {
    match parts {
        [name] => [here, "public"]
            .into_iter()
            .map(|s| QualifiedName::new(s, name.clone()))
            .find(|q| enums.contains_key(q)),
        [schema, name] => {
            let q = QualifiedName::new(schema.clone(), name.clone());
            enums.contains_key(&q).then_some(q)
        }
        _ => None,
    }
}

/// Identity sequences are not in the model, and keep their names when their table or column
/// is renamed (PostgreSQL does not rename them): `t_id_seq` stays taken after `t` becomes
/// `u`, so a new `t` with a serial `id` gets `t_id_seq1` from PostgreSQL. Reserve those
/// names (as PostgreSQL chose them when the columns were created).
fn reserve_identity_sequences(
    namespaces: &mut BTreeMap<String, Namespace>,
    previous: &Model,
    renames: &[Rename],
) {
    for r in renames {
        let (schema, old_table, columns) = match r {
            Rename::Table { schema, from, .. } => {
                let Some(t) = previous.table(&QualifiedName::new(schema.clone(), from.clone()))
                else {
                    continue;
                };
                let identity: Vec<String> = t
                    .columns
                    .iter()
                    .filter(|c| c.identity.is_some())
                    .map(|c| c.name.clone())
                    .collect();
                (schema.clone(), from.clone(), identity)
            }
            Rename::Column { table, from, .. } => {
                // The table may be renamed in the same migration (paths use new names).
                let q = crate::model::rename::table_before(renames, table);
                let identity = previous
                    .table(&q)
                    .and_then(|t| t.column(from))
                    .is_some_and(|c| c.identity.is_some());
                if !identity {
                    continue;
                }
                (q.schema, q.name, vec![from.clone()])
            }
            _ => continue,
        };
        let ns = namespaces.entry(schema).or_default();
        for c in columns {
            let name = names::choose_relation_name(
                &mut Namespace::default(),
                &old_table,
                Some(&c),
                "seq",
                false,
            );
            ns.relations.insert(name);
        }
    }
}

/// The name of an existing object with the same definition, not yet claimed in this table.
fn reuse<T: Part>(
    previous: Option<&BTreeMap<String, T>>,
    object: &T,
    claimed: &mut BTreeSet<String>,
) -> Option<String> {
    let (name, _) = previous?
        .iter()
        .find(|(n, o)| o.same_definition(object) && !claimed.contains(*n))?;
    claimed.insert(name.clone());
    Some(name.clone())
}

/// First pass of naming a table's objects: explicit names, then the existing names of
/// unchanged objects. `None` where a default name is still to be chosen (second pass), so a
/// new object never takes the name an unchanged one keeps.
fn keep_names<T: Part>(
    items: BTreeMap<String, T>,
    previous: Option<&BTreeMap<String, T>>,
) -> Vec<(Option<String>, T)> {
    let mut claimed: BTreeSet<String> = items.keys().filter_map(|k| explicit(k)).collect();
    let with_explicit: Vec<(Option<String>, T)> =
        items.into_iter().map(|(k, v)| (explicit(&k), v)).collect();
    with_explicit
        .into_iter()
        .map(|(name, v)| {
            let name = name.or_else(|| reuse(previous, &v, &mut claimed));
            (name, v)
        })
        .collect()
}

/// Name what a CREATE TABLE creates, in PostgreSQL's order: sequences (serial/identity),
/// check constraints, the primary key, unique constraints. Returns the columns whose
/// default sequence name is taken by an explicit name or a table (PostgreSQL would fail).
fn name_table(
    p: &mut Pending<'_>,
    ns: &mut Namespace,
    prev: Option<&Table>,
    explicit_relations: &BTreeSet<String>,
) -> Vec<String> {
    let tname = p.name.name.clone();
    let mut clashes = Vec::new();
    for col in &mut p.table.columns {
        let serial = matches!(col.default, Some(ColumnDefault::Serial { .. }));
        if col.identity.is_none() && !serial {
            continue;
        }
        let previous = prev
            .and_then(|t| t.column(&col.name))
            .and_then(|c| match &c.default {
                Some(ColumnDefault::Serial { sequence }) if serial => Some(sequence.clone()),
                _ => None,
            });
        let seq = match previous {
            Some(seq) => seq,
            None => {
                // PostgreSQL creates the sequence before anything else of the table, so a
                // relation we name explicitly cannot make it pick another name.
                let natural = names::make_object_name(&tname, Some(&col.name), "seq");
                if explicit_relations.contains(&natural) && natural != tname {
                    clashes.push(col.name.clone());
                }
                names::choose_relation_name(ns, &tname, Some(&col.name), "seq", false)
            }
        };
        if let Some(ColumnDefault::Serial { sequence }) = &mut col.default {
            *sequence = seq;
        }
    }
    let checks = std::mem::take(&mut p.table.checks);
    let named = keep_names(checks, prev.map(|t| &t.checks));
    for (name, c) in named {
        let name = name.unwrap_or_else(|| {
            let cols = c.expr.referenced_columns();
            let single = (cols.len() == 1).then(|| cols.into_iter().next()).flatten();
            names::choose_constraint_name(ns, &tname, single.as_deref(), "check")
        });
        p.table.checks.insert(name, c);
    }
    if let Some(pk) = &mut p.table.primary_key {
        let explicit = p.raw.primary_key_name.as_ref().map(|n| n.value.clone());
        pk.name = match (explicit, prev.and_then(|t| t.primary_key.as_ref())) {
            (Some(n), _) => n,
            // Unless another table now declares that name (this table took the name of one
            // renamed away, which keeps its explicit key name).
            (None, Some(old))
                if old.columns == pk.columns && !explicit_relations.contains(&old.name) =>
            {
                old.name.clone()
            }
            _ => names::choose_relation_name(ns, &tname, None, "pkey", true),
        };
    }
    let uniques = std::mem::take(&mut p.table.uniques);
    for (name, u) in keep_names(uniques, prev.map(|t| &t.uniques)) {
        let name = name.unwrap_or_else(|| {
            let add = names::name_addition(&u.columns);
            names::choose_relation_name(ns, &tname, Some(&add), "key", true)
        });
        p.table.uniques.insert(name, u);
    }
    clashes
}

/// Name indexes: they are created after every table, as separate statements.
fn name_indexes(p: &mut Pending<'_>, ns: &mut Namespace, prev: Option<&Table>) {
    let tname = p.name.name.clone();
    let indexes = std::mem::take(&mut p.table.indexes);
    for (name, ix) in keep_names(indexes, prev.map(|t| &t.indexes)) {
        let name = match name {
            Some(n) => n,
            None => {
                let mut cols: Vec<String> = ix
                    .keys
                    .iter()
                    .map(|k| match (&k.column, &k.expr) {
                        (Some(c), _) => c.clone(),
                        (None, Some(e)) => e.index_column_name(),
                        _ => "expr".to_string(),
                    })
                    .collect();
                cols.extend(ix.include.iter().cloned());
                names::choose_relation_name(
                    ns,
                    &tname,
                    Some(&names::name_addition(&cols)),
                    "idx",
                    false,
                )
            }
        };
        p.table.indexes.insert(name, ix);
    }
}

fn explicit(placeholder: &str) -> Option<String> {
    let rest = placeholder.strip_prefix("\u{0}explicit\u{0}")?;
    rest.split_once('\u{0}').map(|(_, n)| n.to_string())
}

/// Stand-in for a column whose definition was rejected (the model is discarded anyway).
/// A parent's column as a partition sees it when its keys, indexes and constraints are
/// checked: name and type (defaults, identity and serial sequences are the parent's).
fn inherited_column(c: &Column) -> Column {
    Column {
        default: None,
        identity: None,
        identity_options: None,
        generated: None,
        comment: None,
        ..c.clone()
    }
}

fn invalid_column(name: &str) -> Column {
    Column {
        grants: None,
        name: name.to_string(),
        data_type: DataType {
            base: BaseType::Custom(String::new()),
            array: false,
        },
        nullable: true,
        default: None,
        identity: None,
        identity_options: None,
        generated: None,
        collation: None,
        comment: None,
    }
}

fn is_invalid(c: &Column) -> bool {
    c.data_type.base == BaseType::Custom(String::new())
}

/// Calls PostgreSQL's grammar turns into something other than a `pg_proc` function
/// (`COALESCE(…)`, `XMLELEMENT(…)`, …), or that sqlparser reads as calls of keyword forms.
const SPECIAL_CALLS: &[&str] = &[
    // SQL value functions, also written with a precision (`CURRENT_TIMESTAMP(0)`).
    "current_time",
    "current_timestamp",
    "localtime",
    "localtimestamp",
    "coalesce",
    "nullif",
    "greatest",
    "least",
    "grouping",
    "row",
    "exists",
    "array",
    "collation",
    "treat",
    "extract",
    "normalize",
    "overlay",
    "position",
    "substring",
    "trim",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "json",
    "json_object",
    "json_array",
    "json_objectagg",
    "json_arrayagg",
    "json_scalar",
    "json_serialize",
    "json_query",
    "json_value",
    "json_exists",
];

/// Keywords PostgreSQL evaluates as values that sqlparser reads as a bare name (a column).
const SQL_VALUE_WORDS: &[&str] = &["current_schema", "current_catalog", "system_user"];

/// `timestamp(3) with time zone` → `timestamp with time zone`.
fn without_modifiers(ty: &str) -> String {
    let mut out = String::with_capacity(ty.len());
    let mut depth = 0usize;
    for ch in ty.chars() {
        match ch {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(ch),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `0`, `1 or 2`, `2 or more` for a function's accepted argument counts.
fn arity_text(arities: &[builtins::Arity]) -> String {
    let mut counts: BTreeSet<u16> = BTreeSet::new();
    let mut open: Option<u16> = None;
    for a in arities {
        if a.variadic {
            open = Some(open.map_or(a.min, |o| o.min(a.min)));
        } else {
            counts.extend(a.min..=a.max);
        }
    }
    let mut parts: Vec<String> = counts
        .iter()
        .filter(|c| open.is_none_or(|o| **c < o))
        .map(u16::to_string)
        .collect();
    if let Some(o) = open {
        parts.push(format!("{o} or more"));
    }
    match parts.as_slice() {
        [] => "no arguments".to_string(),
        [one] if one == "0" => "no arguments".to_string(),
        [one] => format!("{one} argument{}", if one == "1" { "" } else { "s" }),
        [init @ .., last] => format!("{} or {last} arguments", init.join(", ")),
    }
}

/// Hint for an unknown column: the closest name, else the columns there are (of a table, or
/// of a materialized view for its indexes).
fn column_hint(name: &str, table: &Table) -> String {
    let names = || table.columns.iter().map(|c| c.name.as_str());
    crate::suggest::did_you_mean(name, names()).unwrap_or_else(|| {
        if table.columns.is_empty() {
            "the table has no columns yet; declare them under its `columns`".to_string()
        } else {
            format!("the columns: {}", names().collect::<Vec<_>>().join(", "))
        }
    })
}

fn display_type(t: &DataType) -> String {
    let base = match &t.base {
        BaseType::Builtin(s) | BaseType::Custom(s) => s.clone(),
        BaseType::Enum(q) | BaseType::Domain(q) | BaseType::Composite(q) => q.to_string(),
    };
    if t.array { format!("{base}[]") } else { base }
}
