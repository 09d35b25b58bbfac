//! Schema sources: discover `schema/**/*.toml`, parse each with spans, and read it into raw
//! (unresolved) definitions. Nothing here knows about types or references; `compile` does.

pub mod aggregate;
pub mod config;
pub mod domain;
pub mod function;
pub mod grant;
pub mod partition;
pub mod policy;
pub mod reader;
pub mod sequence;
pub mod trigger;
pub mod view;

pub use domain::{RawAttribute, RawComposite, RawDomain};

use std::path::{Path, PathBuf};

use toml::de::DeTable;

use crate::diag::{Diagnostic, FileId, SourceMap, Span};
pub use aggregate::RawAggregate;
pub use function::{RawArg, RawFunction};
use reader::{Literal, Reader, Sp, entries, span, table_items};
pub use sequence::RawSequence;
pub use trigger::RawTrigger;
pub use view::RawView;

/// Everything read from the schema files.
#[derive(Debug, Default)]
pub struct Sources {
    pub files: Vec<SchemaFile>,
}

#[derive(Debug)]
pub struct SchemaFile {
    pub file: FileId,
    /// The file's `schema = "…"`.
    pub schema: Option<Sp<String>>,
    /// `schema_grants`: privileges on the file's schema.
    pub schema_grants: Option<grant::RawGrants>,
    /// `schema_comment`: `COMMENT ON SCHEMA` the file's schema.
    pub schema_comment: Option<Sp<String>>,
    /// `[[default_privileges]]`: `ALTER DEFAULT PRIVILEGES … IN SCHEMA` the file's schema.
    pub default_privileges: Vec<grant::RawDefaultPrivilege>,
    pub extensions: Vec<RawExtension>,
    pub enums: Vec<RawEnum>,
    pub tables: Vec<RawTable>,
    pub views: Vec<RawView>,
    pub sequences: Vec<RawSequence>,
    pub domains: Vec<RawDomain>,
    pub composite_types: Vec<RawComposite>,
    pub functions: Vec<RawFunction>,
    pub aggregates: Vec<RawAggregate>,
}

#[derive(Debug)]
pub struct RawExtension {
    pub name: Sp<String>,
    pub schema: Option<Sp<String>>,
}

#[derive(Debug)]
pub struct RawEnum {
    pub name: Sp<String>,
    pub schema: Option<Sp<String>>,
    pub values: Option<Sp<Vec<Sp<String>>>>,
    pub comment: Option<Sp<String>>,
    pub grants: Option<grant::RawGrants>,
    pub renamed_from: Option<Sp<String>>,
    /// old = new
    pub renamed_values: Vec<(Sp<String>, Sp<String>)>,
}

#[derive(Debug)]
pub struct RawTable {
    pub name: Sp<String>,
    pub schema: Option<Sp<String>>,
    pub comment: Option<Sp<String>>,
    pub grants: Option<grant::RawGrants>,
    pub renamed_from: Option<Sp<String>>,
    pub primary_key: Option<Sp<Vec<Sp<String>>>>,
    /// `primary_key_name`: the primary key's constraint name (table-level list or column
    /// shorthand alike).
    pub primary_key_name: Option<Sp<String>>,
    /// `primary_key_comment`: `COMMENT ON CONSTRAINT` of the primary key (either form).
    pub primary_key_comment: Option<Sp<String>>,
    /// `primary_key_deferrable`: as a foreign key's `deferrable` (either form).
    pub primary_key_deferrable: Option<Sp<String>>,
    pub columns: Vec<RawColumn>,
    pub uniques: Vec<RawUnique>,
    pub checks: Vec<RawCheck>,
    pub indexes: Vec<RawIndex>,
    pub foreign_keys: Vec<RawForeignKey>,
    /// `[[tables.T.exclusions]]`: an index whose keys each name an operator (`with`).
    pub exclusions: Vec<RawIndex>,
    pub partition_by: Option<partition::RawPartitionBy>,
    pub partition_of: Option<Sp<String>>,
    pub bounds: Option<partition::RawBounds>,
    /// `[tables.T.triggers.NAME]`.
    pub triggers: Vec<RawTrigger>,
    /// `row_level_security`, `force_row_level_security`, `[tables.T.policies.NAME]`.
    pub row_security: policy::RawRowSecurity,
}

#[derive(Debug)]
pub struct RawColumn {
    pub name: Sp<String>,
    pub ty: Option<Sp<String>>,
    pub type_sql: Option<Sp<String>>,
    pub nullable: Option<Sp<bool>>,
    pub default: Option<Sp<Literal>>,
    pub default_sql: Option<Sp<String>>,
    pub identity: Option<Sp<String>>,
    /// The table form `identity = { generated = "…", start = …, … }`: its sequence options
    /// (name = the column's), spanned by the table.
    pub identity_options: Option<Sp<Box<RawSequence>>>,
    pub generated_sql: Option<Sp<String>>,
    pub primary_key: Option<Sp<bool>>,
    pub unique: Option<Sp<bool>>,
    pub references: Option<Sp<String>>,
    pub actions: RawFkActions,
    pub collation: Option<Sp<String>>,
    pub comment: Option<Sp<String>>,
    pub grants: Option<grant::RawGrants>,
    pub renamed_from: Option<Sp<String>>,
    /// An unknown key of the column reads like `type` or `type_sql` (already reported as
    /// unknown, with that suggestion): a missing type is not reported a second time.
    pub type_misspelled: bool,
}

#[derive(Debug, Default)]
pub struct RawFkActions {
    pub on_delete: Option<Sp<String>>,
    pub on_update: Option<Sp<String>>,
    /// `true`/`false`/`"immediate"`/`"deferred"`, normalised to a string.
    pub deferrable: Option<Sp<String>>,
}

#[derive(Debug)]
pub struct RawUnique {
    pub span: Span,
    pub name: Option<Sp<String>>,
    pub columns: Option<Sp<Vec<Sp<String>>>>,
    pub renamed_from: Option<Sp<String>>,
    pub comment: Option<Sp<String>>,
    /// As a foreign key's `deferrable`.
    pub deferrable: Option<Sp<String>>,
}

#[derive(Debug)]
pub struct RawCheck {
    pub span: Span,
    pub name: Option<Sp<String>>,
    pub expr: Option<Sp<String>>,
    pub renamed_from: Option<Sp<String>>,
    /// `validated = false`: `NOT VALID` (table checks only).
    pub validated: Option<Sp<bool>>,
    pub comment: Option<Sp<String>>,
}

#[derive(Debug)]
pub struct RawIndex {
    pub span: Span,
    pub name: Option<Sp<String>>,
    pub keys: Option<Sp<Vec<RawIndexKey>>>,
    pub unique: Option<Sp<bool>>,
    pub method: Option<Sp<String>>,
    pub include: Option<Sp<Vec<Sp<String>>>>,
    pub predicate: Option<Sp<String>>,
    pub renamed_from: Option<Sp<String>>,
    /// `COMMENT ON INDEX` (an index) or `COMMENT ON CONSTRAINT` (an exclusion constraint).
    pub comment: Option<Sp<String>>,
    /// An exclusion constraint's `deferrable` (as a foreign key's); None for an index.
    pub deferrable: Option<Sp<String>>,
}

#[derive(Debug)]
pub struct RawIndexKey {
    pub span: Span,
    pub column: Option<Sp<String>>,
    pub expr: Option<Sp<String>>,
    pub order: Option<Sp<String>>,
    pub nulls: Option<Sp<String>>,
    /// The operator of an exclusion constraint's element (`EXCLUDE … (key WITH op)`).
    pub with: Option<Sp<String>>,
    /// Operator class (`inet_ops`, `schema.name`).
    pub opclass: Option<Sp<String>>,
}

#[derive(Debug)]
pub struct RawForeignKey {
    pub span: Span,
    pub name: Option<Sp<String>>,
    pub columns: Option<Sp<Vec<Sp<String>>>>,
    pub references: Option<RawFkTarget>,
    pub actions: RawFkActions,
    pub renamed_from: Option<Sp<String>>,
    /// `validated = false`: `NOT VALID`.
    pub validated: Option<Sp<bool>>,
    pub comment: Option<Sp<String>>,
}

#[derive(Debug)]
pub struct RawFkTarget {
    pub span: Span,
    pub schema: Option<Sp<String>>,
    pub table: Option<Sp<String>>,
    pub columns: Option<Sp<Vec<Sp<String>>>>,
}

pub(crate) const FILE_KEYS: &[&str] = &[
    "schema",
    "schema_grants",
    "schema_comment",
    "default_privileges",
    "extensions",
    "enums",
    "tables",
    "views",
    "materialized_views",
    "sequences",
    "domains",
    "composite_types",
    "functions",
    "procedures",
    "aggregates",
];
pub(crate) const EXTENSION_KEYS: &[&str] = &["schema"];
pub(crate) const ENUM_KEYS: &[&str] = &[
    "grants",
    "values",
    "comment",
    "schema",
    "renamed_from",
    "renamed_values",
];
pub(crate) const TABLE_KEYS: &[&str] = &[
    "grants",
    "schema",
    "comment",
    "primary_key",
    "primary_key_name",
    "primary_key_comment",
    "primary_key_deferrable",
    "renamed_from",
    "columns",
    "unique",
    "checks",
    "indexes",
    "foreign_keys",
    "exclusions",
    "partition_by",
    "partition_of",
    "bounds",
    "triggers",
    "row_level_security",
    "force_row_level_security",
    "policies",
];
pub(crate) const COLUMN_KEYS: &[&str] = &[
    "grants",
    "type",
    "type_sql",
    "nullable",
    "default",
    "default_sql",
    "identity",
    "generated_sql",
    "primary_key",
    "unique",
    "references",
    "on_delete",
    "on_update",
    "deferrable",
    "collation",
    "comment",
    "renamed_from",
];
/// The table form of a column's `identity`.
pub(crate) const IDENTITY_KEYS: &[&str] = &[
    "generated",
    "start",
    "increment",
    "min_value",
    "max_value",
    "cache",
    "cycle",
];
pub(crate) const UNIQUE_KEYS: &[&str] =
    &["columns", "name", "renamed_from", "comment", "deferrable"];
pub(crate) const CHECK_KEYS: &[&str] = &["expr", "name", "renamed_from", "comment"];
pub(crate) const TABLE_CHECK_KEYS: &[&str] =
    &["expr", "name", "renamed_from", "validated", "comment"];
pub(crate) const INDEX_KEYS: &[&str] = &[
    "columns",
    "name",
    "unique",
    "method",
    "include",
    "where",
    "renamed_from",
    "comment",
];
pub(crate) const INDEX_KEY_KEYS: &[&str] = &["column", "expr", "order", "nulls", "opclass"];
pub(crate) const EXCLUSION_KEYS: &[&str] = &[
    "columns",
    "name",
    "method",
    "include",
    "where",
    "comment",
    "deferrable",
];
pub(crate) const EXCLUSION_KEY_KEYS: &[&str] =
    &["column", "expr", "order", "nulls", "opclass", "with"];
pub(crate) const FK_KEYS: &[&str] = &[
    "columns",
    "references",
    "on_delete",
    "on_update",
    "deferrable",
    "name",
    "renamed_from",
    "validated",
    "comment",
];
pub(crate) const FK_TARGET_KEYS: &[&str] = &["schema", "table", "columns"];

/// Every list of accepted keys, as (const, section of `docs/reference.md` that documents
/// its keys, keys). The test below keeps the reference complete: a new key (or a new
/// `*_KEYS` list, which must be registered here) fails it until the reference names it.
#[cfg(test)]
pub(crate) const KEY_LISTS: &[(&str, &str, &[&str])] = &[
    ("FILE_KEYS", "File-level keys", FILE_KEYS),
    ("EXTENSION_KEYS", "Extensions", EXTENSION_KEYS),
    ("ENUM_KEYS", "Enums", ENUM_KEYS),
    ("TABLE_KEYS", "Tables", TABLE_KEYS),
    ("COLUMN_KEYS", "Columns", COLUMN_KEYS),
    ("IDENTITY_KEYS", "Columns", IDENTITY_KEYS),
    ("UNIQUE_KEYS", "Unique constraints", UNIQUE_KEYS),
    ("CHECK_KEYS", "Domains", CHECK_KEYS),
    ("TABLE_CHECK_KEYS", "Check constraints", TABLE_CHECK_KEYS),
    ("INDEX_KEYS", "Indexes", INDEX_KEYS),
    ("INDEX_KEY_KEYS", "Index keys", INDEX_KEY_KEYS),
    ("EXCLUSION_KEYS", "Exclusion constraints", EXCLUSION_KEYS),
    (
        "EXCLUSION_KEY_KEYS",
        "Exclusion constraints",
        EXCLUSION_KEY_KEYS,
    ),
    ("FK_KEYS", "Foreign keys", FK_KEYS),
    ("FK_TARGET_KEYS", "Foreign keys", FK_TARGET_KEYS),
    (
        "partition::PARTITION_BY_KEYS",
        "Partitions",
        partition::PARTITION_BY_KEYS,
    ),
    (
        "partition::PARTITION_KEY_KEYS",
        "Partitions",
        partition::PARTITION_KEY_KEYS,
    ),
    (
        "partition::BOUNDS_KEYS",
        "Partitions",
        partition::BOUNDS_KEYS,
    ),
    ("view::VIEW_KEYS", "Views", view::VIEW_KEYS),
    (
        "view::MATERIALIZED_VIEW_KEYS",
        "Materialized views",
        view::MATERIALIZED_VIEW_KEYS,
    ),
    (
        "sequence::SEQUENCE_KEYS",
        "Sequences",
        sequence::SEQUENCE_KEYS,
    ),
    ("domain::DOMAIN_KEYS", "Domains", domain::DOMAIN_KEYS),
    (
        "domain::COMPOSITE_KEYS",
        "Composite types",
        domain::COMPOSITE_KEYS,
    ),
    (
        "domain::ATTRIBUTE_KEYS",
        "Composite types",
        domain::ATTRIBUTE_KEYS,
    ),
    (
        "function::FUNCTION_KEYS",
        "Functions",
        function::FUNCTION_KEYS,
    ),
    ("function::ARG_KEYS", "Functions", function::ARG_KEYS),
    ("function::COLUMN_KEYS", "Functions", function::COLUMN_KEYS),
    (
        "function::PROCEDURE_KEYS",
        "Procedures",
        function::PROCEDURE_KEYS,
    ),
    (
        "aggregate::AGGREGATE_KEYS",
        "Aggregates",
        aggregate::AGGREGATE_KEYS,
    ),
    ("trigger::TRIGGER_KEYS", "Triggers", trigger::TRIGGER_KEYS),
    (
        "policy::POLICY_KEYS",
        "Policies and row-level security",
        policy::POLICY_KEYS,
    ),
    (
        "grant::DEFAULT_PRIVILEGE_KEYS",
        "Default privileges",
        grant::DEFAULT_PRIVILEGE_KEYS,
    ),
    ("config::CONFIG_KEYS", "schemactl.toml", config::CONFIG_KEYS),
    ("config::PROJECT_KEYS", "`[project]`", config::PROJECT_KEYS),
    (
        "config::DATABASE_KEYS",
        "`[database]`",
        config::DATABASE_KEYS,
    ),
    ("config::HISTORY_KEYS", "`[history]`", config::HISTORY_KEYS),
    ("config::HAZARDS_KEYS", "`[hazards]`", config::HAZARDS_KEYS),
    ("config::ROLES_KEYS", "`[roles]`", config::ROLES_KEYS),
    ("config::ONLINE_KEYS", "`[online]`", config::ONLINE_KEYS),
    ("config::APPLY_KEYS", "`[apply]`", config::APPLY_KEYS),
];

/// All `*.toml` files under `dir`, recursively, sorted by path.
pub fn discover(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    walk(dir, &mut out)?;
    out.sort();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        if entry.file_type()?.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
    Ok(())
}

/// Parse one TOML document, reporting syntax errors as diagnostics.
pub fn parse_document<'i>(
    file: FileId,
    text: &'i str,
    diags: &mut Vec<Diagnostic>,
) -> Option<DeTable<'i>> {
    match DeTable::parse(text) {
        Ok(t) => Some(t.into_inner()),
        Err(e) => {
            let range = e.span().unwrap_or(0..0);
            let message = e.message().trim().to_string();
            diags.push(
                Diagnostic::new(
                    "toml-syntax",
                    span(file, range),
                    format!("TOML syntax: {message}"),
                )
                .hint("fix the TOML syntax (see https://toml.io)"),
            );
            None
        }
    }
}

/// Read every schema file in `paths` (display paths are made relative to `root`).
pub fn load(
    root: &Path,
    paths: &[PathBuf],
    sources: &mut SourceMap,
    diags: &mut Vec<Diagnostic>,
) -> Sources {
    let mut out = Sources::default();
    for path in paths {
        let display = path.strip_prefix(root).unwrap_or(path).to_path_buf();
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                let id = sources.add(display, String::new());
                diags.push(
                    Diagnostic::new(
                        "unreadable-file",
                        span(id, 0..0),
                        format!("cannot read file: {e}"),
                    )
                    .hint("schema files must be readable UTF-8 text"),
                );
                continue;
            }
        };
        let id = sources.add(display, text);
        let text = sources.text(id);
        if let Some(doc) = parse_document(id, text, diags) {
            let mut f = read_file(id, &doc, diags);
            function::read_body_files(path, &mut f.functions, diags);
            out.files.push(f);
        }
    }
    out
}

fn read_file(file: FileId, doc: &DeTable<'_>, diags: &mut Vec<Diagnostic>) -> SchemaFile {
    let mut r = Reader {
        file,
        table: doc,
        span: span(file, 0..0),
        diags,
    };
    r.deny_unknown("a schema file", FILE_KEYS);
    let schema = r.string("schema");
    let schema_grants = grant::read_key(&mut r, "schema_grants");
    let schema_comment = r.string("schema_comment");
    let default_privileges = grant::read_defaults(&mut r);
    let mut out = SchemaFile {
        file,
        schema,
        schema_grants,
        schema_comment,
        default_privileges,
        extensions: Vec::new(),
        enums: Vec::new(),
        tables: Vec::new(),
        views: Vec::new(),
        sequences: Vec::new(),
        domains: Vec::new(),
        composite_types: Vec::new(),
        functions: Vec::new(),
        aggregates: Vec::new(),
    };
    if let Some(ext) = r.table("extensions") {
        for (name, t, _) in entries(file, ext.table, "extension", ext.diags) {
            let schema = t.and_then(|t| {
                let mut e = Reader {
                    file,
                    table: t,
                    span: name.span.clone(),
                    diags: ext.diags,
                };
                e.deny_unknown("an extension", EXTENSION_KEYS);
                e.string("schema")
            });
            out.extensions.push(RawExtension { name, schema });
        }
    }
    if let Some(enums) = r.table("enums") {
        let table = enums.table;
        for (name, t, tspan) in entries(file, table, "enum", enums.diags) {
            let Some(t) = t else { continue };
            out.enums.push(read_enum(file, name, t, tspan, enums.diags));
        }
    }
    if let Some(d) = r.table("domains") {
        out.domains = domain::read_domains(file, d.table, d.diags);
    }
    if let Some(c) = r.table("composite_types") {
        out.composite_types = domain::read_composites(file, c.table, c.diags);
    }
    if let Some(tables) = r.table("tables") {
        let table = tables.table;
        let list = entries(file, table, "table", tables.diags);
        out.tables.reserve_exact(list.len());
        for (name, t, tspan) in list {
            let Some(t) = t else { continue };
            out.tables
                .push(read_table(file, name, t, tspan, tables.diags));
        }
    }
    for (key, materialized) in [("views", false), ("materialized_views", true)] {
        if let Some(views) = r.table(key) {
            let what = if materialized {
                "materialized view"
            } else {
                "view"
            };
            for (name, t, tspan) in entries(file, views.table, what, views.diags) {
                let Some(t) = t else { continue };
                out.views.push(view::read_view(
                    file,
                    name,
                    materialized,
                    t,
                    tspan,
                    views.diags,
                ));
            }
        }
    }
    for (key, procedure) in [("functions", false), ("procedures", true)] {
        if let Some(f) = r.table(key) {
            let list = function::read_functions(file, f.table, procedure, f.diags);
            out.functions.extend(list);
        }
    }
    if let Some(a) = r.table("aggregates") {
        out.aggregates = aggregate::read_aggregates(file, a.table, a.diags);
    }
    if let Some(seqs) = r.table("sequences") {
        let table = seqs.table;
        for (name, t, tspan) in entries(file, table, "sequence", seqs.diags) {
            let Some(t) = t else { continue };
            out.sequences
                .push(sequence::read_sequence(file, name, t, tspan, seqs.diags));
        }
    }
    out
}

fn read_enum(
    file: FileId,
    name: Sp<String>,
    t: &DeTable<'_>,
    tspan: Span,
    diags: &mut Vec<Diagnostic>,
) -> RawEnum {
    let mut r = Reader {
        file,
        table: t,
        span: tspan,
        diags,
    };
    r.deny_unknown(&format!("enum `{}`", name.value), ENUM_KEYS);
    let mut renamed_values = Vec::new();
    if let Some(rv) = r.table("renamed_values") {
        for (k, v) in rv.table.iter() {
            let old = Sp::new(k.get_ref().to_string(), span(file, k.span()));
            match v.get_ref().as_str() {
                Some(s) => renamed_values.push((old, Sp::new(s.to_string(), span(file, v.span())))),
                None => rv.diags.push(
                    Diagnostic::new(
                        "invalid-value",
                        span(file, v.span()),
                        "`renamed_values` entries must be strings (old = \"new\")",
                    )
                    .hint("write `renamed_values = { OLD = \"NEW\" }`"),
                ),
            }
        }
    }
    RawEnum {
        values: r.strings("values"),
        comment: r.string("comment"),
        grants: grant::read(&mut r),
        schema: r.string("schema"),
        renamed_from: r.string("renamed_from"),
        renamed_values,
        name,
    }
}

fn read_table(
    file: FileId,
    name: Sp<String>,
    t: &DeTable<'_>,
    tspan: Span,
    diags: &mut Vec<Diagnostic>,
) -> RawTable {
    let mut r = Reader {
        file,
        table: t,
        span: tspan,
        diags,
    };
    r.deny_unknown(&format!("table `{}`", name.value), TABLE_KEYS);
    let schema = r.string("schema");
    let comment = r.string("comment");
    let grants = grant::read(&mut r);
    let renamed_from = r.string("renamed_from");
    let partition_by = partition::read_partition_by(&mut r);
    let partition_of = r.string("partition_of");
    let bounds = partition::read_bounds(&mut r);
    let triggers = trigger::read_triggers(&mut r);
    let row_security = policy::read_row_security(&mut r);
    let primary_key = match r.raw("primary_key") {
        Some(v) if v.get_ref().is_bool() => {
            r.diags.push(
                Diagnostic::new(
                    "invalid-value",
                    span(file, v.span()),
                    "table-level `primary_key` must list columns",
                )
                .hint(
                    "write `primary_key = [\"id\"]`, or `primary_key = true` on the column itself",
                ),
            );
            None
        }
        _ => r.strings("primary_key"),
    };
    let primary_key_name = r.string("primary_key_name");
    let primary_key_comment = r.string("primary_key_comment");
    let primary_key_deferrable = read_deferrable(&mut r, "primary_key_deferrable");
    // Lists are sized exactly: a large schema has tens of thousands of columns (a RawColumn
    // is ~780 bytes), and growth by doubling would leave a third of that unused.
    let mut columns = Vec::new();
    if let Some(cols) = r.table("columns") {
        let table = cols.table;
        let list = entries(file, table, "column", cols.diags);
        columns.reserve_exact(list.len());
        for (cname, ct, cspan) in list {
            let Some(ct) = ct else { continue };
            columns.push(read_column(file, cname, ct, cspan, cols.diags));
        }
    }
    let mut uniques = Vec::new();
    let mut checks = Vec::new();
    let mut indexes = Vec::new();
    let mut foreign_keys = Vec::new();
    if let Some(v) = r.raw("unique") {
        let items = table_items(file, v, "unique", r.diags);
        uniques.reserve_exact(items.len());
        for (t, s) in items {
            let mut u = Reader {
                file,
                table: t,
                span: s.clone(),
                diags: r.diags,
            };
            u.deny_unknown("a unique constraint", UNIQUE_KEYS);
            uniques.push(RawUnique {
                span: s,
                name: u.string("name"),
                columns: u.strings("columns"),
                renamed_from: u.string("renamed_from"),
                comment: u.string("comment"),
                deferrable: read_deferrable(&mut u, "deferrable"),
            });
        }
    }
    if let Some(v) = r.raw("checks") {
        let items = table_items(file, v, "checks", r.diags);
        checks.reserve_exact(items.len());
        for (t, s) in items {
            let mut c = Reader {
                file,
                table: t,
                span: s.clone(),
                diags: r.diags,
            };
            c.deny_unknown("a check constraint", TABLE_CHECK_KEYS);
            checks.push(RawCheck {
                span: s,
                name: c.string("name"),
                expr: c.string("expr"),
                renamed_from: c.string("renamed_from"),
                validated: c.bool("validated"),
                comment: c.string("comment"),
            });
        }
    }
    if let Some(v) = r.raw("indexes") {
        let items = table_items(file, v, "indexes", r.diags);
        indexes.reserve_exact(items.len());
        for (t, s) in items {
            indexes.push(read_index(file, t, s, r.diags));
        }
    }
    let mut exclusions = Vec::new();
    if let Some(v) = r.raw("exclusions") {
        for (t, s) in table_items(file, v, "exclusions", r.diags) {
            exclusions.push(read_index_like(file, t, s, r.diags, true));
        }
    }
    if let Some(v) = r.raw("foreign_keys") {
        let items = table_items(file, v, "foreign_keys", r.diags);
        foreign_keys.reserve_exact(items.len());
        for (t, s) in items {
            foreign_keys.push(read_foreign_key(file, t, s, r.diags));
        }
    }
    RawTable {
        name,
        schema,
        comment,
        grants,
        renamed_from,
        primary_key,
        primary_key_name,
        primary_key_comment,
        primary_key_deferrable,
        columns,
        uniques,
        checks,
        indexes,
        foreign_keys,
        exclusions,
        partition_by,
        partition_of,
        bounds,
        triggers,
        row_security,
    }
}

fn read_actions(r: &mut Reader<'_, '_>) -> RawFkActions {
    RawFkActions {
        on_delete: r.string("on_delete"),
        on_update: r.string("on_update"),
        deferrable: read_deferrable(r, "deferrable"),
    }
}

/// A constraint's `deferrable`: `true` is read as "immediate", `false` as "false", a string
/// as written (checked by the compiler).
fn read_deferrable(r: &mut Reader<'_, '_>, key: &str) -> Option<Sp<String>> {
    match r.raw(key) {
        Some(v) if v.get_ref().is_bool() => {
            let b = v.get_ref().as_bool().unwrap_or(false);
            Some(Sp::new(
                if b { "immediate" } else { "false" }.to_string(),
                span(r.file, v.span()),
            ))
        }
        Some(v) if v.get_ref().as_str().is_none() => {
            r.type_error(key, v, "true, false, \"immediate\" or \"deferred\"");
            None
        }
        Some(_) => r.string(key),
        None => None,
    }
}

fn read_column(
    file: FileId,
    name: Sp<String>,
    t: &DeTable<'_>,
    cspan: Span,
    diags: &mut Vec<Diagnostic>,
) -> RawColumn {
    let mut r = Reader {
        file,
        table: t,
        span: cspan,
        diags,
    };
    r.deny_unknown(&format!("column `{}`", name.value), COLUMN_KEYS);
    let type_misspelled = t.keys().any(|k| {
        !COLUMN_KEYS.contains(&k.get_ref().as_ref())
            && matches!(
                crate::suggest::closest(k.get_ref(), COLUMN_KEYS.iter().copied()),
                Some("type" | "type_sql")
            )
    });
    let (identity, identity_options) = read_identity(&mut r, &name);
    RawColumn {
        type_misspelled,
        ty: r.string("type"),
        type_sql: r.string("type_sql"),
        nullable: r.bool("nullable"),
        default: r.literal("default"),
        default_sql: r.string("default_sql"),
        identity,
        identity_options,
        generated_sql: r.string("generated_sql"),
        primary_key: r.bool("primary_key"),
        unique: r.bool("unique"),
        references: r.string("references"),
        actions: read_actions(&mut r),
        collation: r.string("collation"),
        comment: r.string("comment"),
        grants: grant::read(&mut r),
        renamed_from: r.string("renamed_from"),
        name,
    }
}

/// `identity = "always"`, or the table form with sequence options
/// (`identity = { generated = "always", start = 100, increment = 10 }`).
fn read_identity(
    r: &mut Reader<'_, '_>,
    column: &Sp<String>,
) -> (Option<Sp<String>>, Option<Sp<Box<RawSequence>>>) {
    if r.raw("identity")
        .is_none_or(|v| v.get_ref().as_table().is_none())
    {
        return (r.string("identity"), None);
    }
    let Some(mut t) = r.table("identity") else {
        return (None, None);
    };
    t.deny_unknown("an identity", IDENTITY_KEYS);
    let generated = t.string("generated");
    let options = RawSequence {
        name: column.clone(),
        schema: None,
        ty: None,
        increment: t.literal("increment"),
        min_value: t.literal("min_value"),
        max_value: t.literal("max_value"),
        start: t.literal("start"),
        cache: t.literal("cache"),
        cycle: t.bool("cycle"),
        owned_by: None,
        comment: None,
        grants: None,
        renamed_from: None,
    };
    (generated, Some(Sp::new(Box::new(options), t.span.clone())))
}

pub(crate) fn read_index(
    file: FileId,
    t: &DeTable<'_>,
    s: Span,
    diags: &mut Vec<Diagnostic>,
) -> RawIndex {
    read_index_like(file, t, s, diags, false)
}

/// An index, or (`exclusion`) an exclusion constraint: the same keys, less `unique` and
/// `renamed_from`, and each key table may name its operator (`with`).
fn read_index_like(
    file: FileId,
    t: &DeTable<'_>,
    s: Span,
    diags: &mut Vec<Diagnostic>,
    exclusion: bool,
) -> RawIndex {
    let mut r = Reader {
        file,
        table: t,
        span: s.clone(),
        diags,
    };
    let (what, keys, key_keys) = if exclusion {
        (
            "an exclusion constraint",
            EXCLUSION_KEYS,
            EXCLUSION_KEY_KEYS,
        )
    } else {
        ("an index", INDEX_KEYS, INDEX_KEY_KEYS)
    };
    r.deny_unknown(what, keys);
    let keys = r.raw("columns").and_then(|v| {
        let Some(arr) = v.get_ref().as_array() else {
            r.diags.push(
                Diagnostic::new(
                    "invalid-value",
                    span(file, v.span()),
                    format!("index `columns` must be an array, found {}", v.get_ref().type_str()),
                )
                .hint("write `columns = [\"a\", { expr = \"lower(b)\" }]`"),
            );
            return None;
        };
        let mut keys = Vec::with_capacity(arr.len());
        for item in arr.iter() {
            let ispan = span(file, item.span());
            match item.get_ref() {
                toml::de::DeValue::String(c) => keys.push(RawIndexKey {
                    span: ispan.clone(),
                    column: Some(Sp::new(c.to_string(), ispan)),
                    expr: None,
                    order: None,
                    nulls: None,
                    with: None,
                    opclass: None,
                }),
                toml::de::DeValue::Table(kt) => {
                    let mut k = Reader { file, table: kt, span: ispan.clone(), diags: r.diags };
                    k.deny_unknown("an index column", key_keys);
                    keys.push(RawIndexKey {
                        span: ispan,
                        column: k.string("column"),
                        expr: k.string("expr"),
                        order: k.string("order"),
                        nulls: k.string("nulls"),
                        with: k.string("with"),
                        opclass: k.string("opclass"),
                    });
                }
                other => r.diags.push(
                    Diagnostic::new(
                        "invalid-value",
                        ispan,
                        format!("an index column must be a name or a table, found {}", other.type_str()),
                    )
                    .hint("write `\"col\"`, `{ column = \"col\", order = \"desc\" }` or `{ expr = \"lower(col)\" }`"),
                ),
            }
        }
        Some(Sp::new(keys, span(file, v.span())))
    });
    RawIndex {
        span: s,
        keys,
        name: r.string("name"),
        unique: if exclusion { None } else { r.bool("unique") },
        method: r.string("method"),
        include: r.strings("include"),
        predicate: r.string("where"),
        renamed_from: if exclusion {
            None
        } else {
            r.string("renamed_from")
        },
        comment: r.string("comment"),
        deferrable: if exclusion {
            read_deferrable(&mut r, "deferrable")
        } else {
            None
        },
    }
}

fn read_foreign_key(
    file: FileId,
    t: &DeTable<'_>,
    s: Span,
    diags: &mut Vec<Diagnostic>,
) -> RawForeignKey {
    let mut r = Reader {
        file,
        table: t,
        span: s.clone(),
        diags,
    };
    r.deny_unknown("a foreign key", FK_KEYS);
    let references = r.table("references").map(|mut t| {
        t.deny_unknown("a foreign key's `references`", FK_TARGET_KEYS);
        RawFkTarget {
            span: t.span.clone(),
            schema: t.string("schema"),
            table: t.string("table"),
            columns: t.strings("columns"),
        }
    });
    RawForeignKey {
        span: s,
        name: r.string("name"),
        columns: r.strings("columns"),
        references,
        actions: read_actions(&mut r),
        renamed_from: r.string("renamed_from"),
        validated: r.bool("validated"),
        comment: r.string("comment"),
    }
}

#[cfg(test)]
mod reference_tests {
    use super::KEY_LISTS;

    const REFERENCE: &str = include_str!("../../docs/reference.md");

    /// The text under the heading `title` (any level) down to the next heading of the same
    /// or a higher level, fenced code included; `#` lines inside fences are not headings.
    fn section<'a>(doc: &'a str, title: &str) -> Option<&'a str> {
        let mut fenced = false;
        let mut start: Option<(usize, usize)> = None;
        let mut offset = 0;
        for line in doc.split_inclusive('\n') {
            let here = offset;
            offset += line.len();
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
                continue;
            }
            if fenced || !line.starts_with('#') {
                continue;
            }
            let level = line.chars().take_while(|c| *c == '#').count();
            let text = line[level..].trim();
            match start {
                None if text == title => start = Some((level, here)),
                Some((l, s)) if level <= l => return Some(&doc[s..here]),
                _ => {}
            }
        }
        start.map(|(_, s)| &doc[s..])
    }

    /// `key` named in backticks, or written as a TOML key (`key =` at the start of a line
    /// or after `{`/`,`), in `text`.
    fn mentions(text: &str, key: &str) -> bool {
        if text.contains(&format!("`{key}`")) {
            return true;
        }
        text.match_indices(key).any(|(i, _)| {
            let before = text[..i].trim_end_matches(' ');
            let after = text[i + key.len()..].trim_start_matches(' ');
            let starts = before.is_empty()
                || before.ends_with('\n')
                || before.ends_with('{')
                || before.ends_with(',')
                || before.ends_with("# ");
            starts && after.starts_with('=') && !after.starts_with("==")
        })
    }

    #[test]
    fn the_reference_names_every_accepted_key_in_its_section() {
        let mut missing = Vec::new();
        for (list, title, keys) in KEY_LISTS {
            let Some(text) = section(REFERENCE, title) else {
                missing.push(format!("{list}: no section `{title}` in docs/reference.md"));
                continue;
            };
            for key in *keys {
                if !mentions(text, key) {
                    missing.push(format!("{list}: `{key}` is not in section `{title}`"));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "docs/reference.md is incomplete:\n{}",
            missing.join("\n")
        );
    }

    /// Every `*_KEYS` const of `src/schema/` is in `KEY_LISTS` (so a new list cannot escape
    /// the check above), and no `deny_unknown` takes an inline list.
    #[test]
    fn every_key_list_is_registered() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/schema");
        let mut declared = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("src/schema") {
            let path = entry.expect("entry").path();
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .expect("name")
                .to_string();
            let text = std::fs::read_to_string(&path).expect("readable");
            for line in text.lines() {
                if let Some(rest) = line.trim_start().split("const ").nth(1)
                    && let Some((name, ty)) = rest.split_once(':')
                    && name.ends_with("_KEYS")
                    && ty.trim_start().starts_with("&[&str]")
                {
                    declared.push(if stem == "mod" {
                        name.to_string()
                    } else {
                        format!("{stem}::{name}")
                    });
                }
            }
            // Built at run time so that this test's own source does not match.
            let call = format!(".{}(", "deny_unknown");
            for (i, _) in text.match_indices(&call) {
                let args = &text[i..];
                let args = &args[..args.find(");").unwrap_or(args.len())];
                assert!(
                    !args.contains("&["),
                    "{}: pass deny_unknown a *_KEYS const, not an inline list: {args}",
                    path.display()
                );
            }
        }
        declared.sort();
        let mut registered: Vec<String> = KEY_LISTS.iter().map(|(n, _, _)| n.to_string()).collect();
        registered.sort();
        assert_eq!(declared, registered);
        assert!(declared.len() >= 37, "found only {declared:?}");
    }

    /// Every ```toml example of the reference reads without an unknown key, a value of the
    /// wrong shape or a syntax error (schemactl.toml examples as `schemactl.toml`). Whether
    /// the objects they name exist is not checked: examples are fragments.
    #[test]
    fn the_reference_examples_use_only_accepted_keys() {
        let mut blocks = Vec::new();
        let mut current: Option<String> = None;
        for line in REFERENCE.lines() {
            match &mut current {
                None if line == "```toml" => current = Some(String::new()),
                Some(b) if line == "```" => {
                    blocks.push(std::mem::take(b));
                    current = None;
                }
                Some(b) => {
                    b.push_str(line);
                    b.push('\n');
                }
                None => {}
            }
        }
        assert!(blocks.len() >= 25, "only {} examples", blocks.len());
        const CONFIG_TABLES: &[&str] = &[
            "[project]",
            "[database]",
            "[history]",
            "[hazards]",
            "[roles]",
            "[online]",
            "[apply]",
        ];
        let mut problems = Vec::new();
        for block in &blocks {
            let mut diags = Vec::new();
            if CONFIG_TABLES.iter().any(|t| block.starts_with(t)) {
                let dir = tempfile::tempdir().expect("temp dir");
                std::fs::write(dir.path().join(super::config::FILE_NAME), block).expect("write");
                let mut sources = crate::diag::SourceMap::default();
                super::config::load(dir.path(), &mut sources, &mut diags);
            } else if let Some(doc) =
                super::parse_document(crate::diag::FileId(0), block, &mut diags)
            {
                super::read_file(crate::diag::FileId(0), &doc, &mut diags);
            }
            for d in diags {
                problems.push(format!("{}: {}\n{block}", d.code, d.message));
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn mentions_needs_the_key_itself() {
        assert!(mentions("| `on_delete` | …", "on_delete"));
        assert!(mentions("x = { column = \"a\" }", "column"));
        assert!(mentions("columns = [\"a\"]\n", "columns"));
        assert!(!mentions("primary_key_name = \"x\"", "name"));
        assert!(!mentions("the column a", "column"));
        assert!(!mentions("`columns`", "column"));
    }

    #[test]
    fn sections_end_at_the_next_heading_of_their_level() {
        let doc = "# A\n## B\nb\n```toml\n# not a heading\n```\n### C\nc\n## D\nd\n";
        let b = section(doc, "B").expect("B");
        assert!(b.contains("not a heading") && b.contains("c\n") && !b.contains("d\n"));
        assert_eq!(section(doc, "D"), Some("## D\nd\n"));
        assert_eq!(section(doc, "E"), None);
    }
}
