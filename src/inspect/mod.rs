//! `inspect`: a model read from a live database → TOML schema files, the way a person would
//! write them. The last stage of adoption: `catalog::read` gives the [`Model`], this module
//! turns it into text, and `commands::inspect` writes the files.
//!
//! # The contract
//!
//! Compiling the files written here gives a model equal to the one they were written from
//! (`diff` empty both ways; `tests/inspect.rs` checks it on every random round-trip project
//! and on Pagila). Within that, the text is idiomatic:
//!
//! * names PostgreSQL would choose itself (`compile::names`) are left out;
//! * single-column primary keys, unique constraints and foreign keys with default names are
//!   written on the column (`primary_key = true`, `unique = true`, `references = "t.c"`);
//! * types are spelled the short way the format accepts (`varchar(20)`, `timestamptz`), user
//!   types unqualified where they resolve, `serial` for a column whose sequence is a serial's;
//! * integer, boolean and string defaults are TOML literals, others `default_sql`;
//! * options at their default are left out; everything is in a stable order, so inspecting
//!   the same database twice gives the same bytes.
//!
//! # Layout ([`Split`])
//!
//! * `schema` (default): one file per schema, `<schema>.toml`, plus `extensions.toml`;
//! * `table`: a directory per schema with one file per table (`<schema>/<table>.toml`, its
//!   partitions, indexes, triggers and policies inside) and `<schema>/_schema.toml` for
//!   everything else in the schema (types, sequences, views, routines, privileges).
//!
//! File names are the object names with anything but ASCII letters, digits, `_` and `-`
//! written `%XX` (so `Sales Dept` is `Sales%20Dept.toml`), and `-2` appended to a name that
//! differs from an earlier one only in case (`Mood`, `mood-2`), so that the files stay apart
//! on case-insensitive file systems. Function bodies are written in
//! the TOML (multi-line strings), never as `body_file`s: a file per function would scatter a
//! schema, and the TOML string keeps the body byte for byte.
//!
//! What the catalog reader could not put into the model (`Catalog::skipped`) and what this
//! module cannot express is listed as comments at the top of the schema's file and returned
//! in [`Output::notes`].

mod aggregates;
mod comments;
mod composites;
mod domains;
mod enums;
mod extensions;
mod functions;
mod grants;
mod partitions;
mod policies;
mod sequences;
mod tables;
mod triggers;
mod views;
pub mod writer;

use std::collections::BTreeMap;

use crate::compile::types::{TypeSpec, parse_type};
use crate::model::{BaseType, DataType, Model, QualifiedName};
use writer::Doc;

/// How the files are laid out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Split {
    /// One file per schema.
    #[default]
    Schema,
    /// One file per table, and one for the rest of each schema.
    Table,
}

/// What `inspect` writes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Output {
    /// Paths relative to the schema directory (`/`-separated) → file text, sorted.
    pub files: BTreeMap<String, String>,
    /// Objects written, by kind (`tables`, `enums`, …), for the summary.
    pub counts: BTreeMap<&'static str, usize>,
    /// What could not be expressed, each with its reason.
    pub notes: Vec<String>,
}

/// The tables `inspect` never writes: Alembic's version table (it stays in the database so
/// a team can keep Alembic read-only while switching; `project.ignore` lists it).
pub const IGNORED_TABLES: &[&str] = &["alembic_version"];

/// Render `model` (read from a database; `skipped` is what the reader left out) as schema
/// files.
pub fn render(model: &Model, skipped: &[String], split: Split) -> Output {
    let cx = Cx { model };
    let mut out = Output::default();
    let mut notes: Vec<String> = skipped.to_vec();
    notes.extend(unexpressible(model));
    notes.sort();
    notes.dedup();

    if !model.extensions.is_empty() {
        let mut doc = Doc::new();
        doc.comment("Extensions (database-wide). Written by `schemactl inspect`.");
        extensions::write(&mut doc, model, &mut out.counts);
        out.files.insert("extensions.toml".into(), doc.finish());
    }
    let mut placed = vec![false; notes.len()];
    // File names already used, in lower case: `Mood` and `mood` must not share a file on a
    // case-insensitive file system (macOS, Windows).
    let mut taken = std::collections::BTreeSet::new();
    if !model.extensions.is_empty() && split == Split::Schema {
        taken.insert("/extensions".to_string());
    }
    for (schema, s) in &model.schemas {
        let mut mine: Vec<&str> = Vec::new();
        for (i, n) in notes.iter().enumerate() {
            if !placed[i] && mentions_schema(n, schema) {
                placed[i] = true;
                mine.push(n);
            }
        }
        let base = unique_name(&mut taken, "", schema);
        if split == Split::Table {
            taken.insert(format!("{base}/_schema"));
        }
        match split {
            Split::Schema => {
                let mut doc = header(schema, &mine, s.comment.as_deref());
                let before = doc.len();
                rest_of_schema(&cx, &mut doc, schema, s, &mut out.counts);
                for name in s.tables.keys() {
                    tables::write(&cx, &mut doc, schema, name, &mut out.counts);
                }
                if doc.len() > before || !mine.is_empty() || s.comment.is_some() {
                    out.files.insert(format!("{base}.toml"), doc.finish());
                }
            }
            Split::Table => {
                let mut doc = header(schema, &mine, s.comment.as_deref());
                let before = doc.len();
                rest_of_schema(&cx, &mut doc, schema, s, &mut out.counts);
                if doc.len() > before || !mine.is_empty() || s.comment.is_some() {
                    out.files
                        .insert(format!("{base}/_schema.toml"), doc.finish());
                }
                for name in s.tables.keys() {
                    let mut doc = header(schema, &[], None);
                    tables::write(&cx, &mut doc, schema, name, &mut out.counts);
                    let file = unique_name(&mut taken, &base, name);
                    out.files
                        .insert(format!("{base}/{file}.toml"), doc.finish());
                }
            }
        }
    }
    // Notes naming no managed schema go into the first file.
    let rest: Vec<&String> = notes
        .iter()
        .enumerate()
        .filter(|(i, _)| !placed[*i])
        .map(|(_, n)| n)
        .collect();
    if !rest.is_empty() {
        let mut doc = Doc::new();
        comments::not_expressed(
            &mut doc,
            &rest.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        );
        let text = doc.finish();
        match out.files.values_mut().next() {
            Some(first) => *first = format!("{text}\n{first}"),
            None => {
                out.files.insert("schema.toml".into(), text);
            }
        }
    }
    out.notes = notes;
    out
}

/// Everything of a schema except its tables, in a fixed order of kinds.
fn rest_of_schema(
    cx: &Cx<'_>,
    doc: &mut Doc,
    schema: &str,
    s: &crate::model::Schema,
    counts: &mut BTreeMap<&'static str, usize>,
) {
    grants::schema_level(doc, schema, s);
    enums::write(doc, s, counts);
    domains::write(cx, doc, schema, s, counts);
    composites::write(cx, doc, schema, s, counts);
    sequences::write(doc, s, counts);
    functions::write(doc, s, counts);
    aggregates::write(cx, doc, schema, s, counts);
    views::write(cx, doc, schema, s, counts);
}

/// The first lines of a schema's file: what it is, what is not in it, `schema = …` and, in
/// the one file that declares it, `schema_comment = …` (`comment`).
fn header(schema: &str, notes: &[&str], comment: Option<&str>) -> Doc {
    let mut doc = Doc::new();
    doc.comment(&format!(
        "Schema {}. Written by `schemactl inspect`.",
        crate::sql::display_ident(schema)
    ));
    comments::not_expressed(&mut doc, notes);
    if schema != "public" || comment.is_some() {
        doc.blank();
    }
    if schema != "public" {
        doc.kv("schema", writer::string(schema));
    }
    if let Some(c) = comment {
        doc.kv("schema_comment", writer::string(c));
    }
    doc
}

/// Whether a note names an object of `schema` (`schema.…` in backquotes).
fn mentions_schema(note: &str, schema: &str) -> bool {
    let plain = format!("`{schema}.");
    let quoted = format!("`{}.", crate::sql::display_ident(schema));
    note.contains(&plain) || note.contains(&quoted)
}

/// What the model holds that the format cannot say: the schema of an extension installed in
/// a schema the project does not manage (`WITH SCHEMA` may only name a managed one).
fn unexpressible(model: &Model) -> Vec<String> {
    model
        .extensions
        .iter()
        .filter_map(|(name, e)| {
            let s = e.schema.as_deref()?;
            (s != "public" && !model.schemas.contains_key(s)).then(|| {
                format!(
                    "extension `{name}` is in schema `{s}`, which the project does not manage: written without `schema` (created wherever PostgreSQL puts it)"
                )
            })
        })
        .collect()
}

/// [`file_name`] of `name`, with `-2` appended until no earlier file of `dir` has the same
/// name in lower case; records it in `taken`.
fn unique_name(taken: &mut std::collections::BTreeSet<String>, dir: &str, name: &str) -> String {
    let mut candidate = file_name(name);
    while !taken.insert(format!("{dir}/{}", candidate.to_lowercase())) {
        candidate.push_str("-2");
    }
    candidate
}

/// A file name for an object name: ASCII letters, digits, `_` and `-` kept, every other
/// byte `%XX`.
pub fn file_name(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if out.is_empty() || out.starts_with('.') {
        out.insert(0, '_');
    }
    out
}

/// Name resolution as `compile` does it, to decide where a name may be written unqualified.
pub(crate) struct Cx<'m> {
    pub model: &'m Model,
}

impl Cx<'_> {
    /// `type` or `type_sql` and its spelling, for a column, attribute or domain of `schema`.
    pub fn type_of(&self, t: &DataType, schema: &str) -> (&'static str, String) {
        let suffix = if t.array { "[]" } else { "" };
        match &t.base {
            BaseType::Builtin(b) => ("type", format!("{}{suffix}", short_type(b))),
            BaseType::Custom(s) => ("type_sql", format!("{s}{suffix}")),
            BaseType::Enum(q) | BaseType::Domain(q) | BaseType::Composite(q) => {
                ("type", format!("{}{suffix}", self.type_name(q, schema)))
            }
        }
    }

    /// A user type's name as seen from `schema`: unqualified where `compile` resolves it to
    /// the same type (the schema's own, or `public`'s when the schema has no type of that
    /// name), quoted where it is not a plain lower-case word or reads as a built-in.
    pub fn type_name(&self, q: &QualifiedName, schema: &str) -> String {
        let own = QualifiedName::new(schema, q.name.clone());
        let public = QualifiedName::new("public", q.name.clone());
        // `compile` looks for an enum (own schema, then `public`) before other types: a
        // non-enum of the own schema is qualified when `public` has an enum of its name.
        let bare = if q.schema == schema {
            schema == "public"
                || self.model.enum_type(q).is_some()
                || self.model.enum_type(&public).is_none()
        } else {
            q.schema == "public" && !self.model.holds_type_name(&own)
        };
        let part = |n: &str| {
            if crate::sql::is_plain_ident(n)
                && !matches!(parse_type(n), Ok(TypeSpec::Builtin { .. }))
            {
                n.to_string()
            } else {
                crate::sql::quote_ident(n)
            }
        };
        if bare {
            part(&q.name)
        } else {
            format!("{}.{}", part(&q.schema), part(&q.name))
        }
    }

    /// A table's parts as a reference from `schema` resolves it (own schema, then
    /// `public`): `None` for the schema when it may be left out.
    pub fn table_ref<'q>(&self, q: &'q QualifiedName, schema: &str) -> (Option<&'q str>, &'q str) {
        let own = QualifiedName::new(schema, q.name.clone());
        let bare = q.schema == schema || (q.schema == "public" && self.model.table(&own).is_none());
        (if bare { None } else { Some(&q.schema) }, &q.name)
    }

    /// A table reference as a dotted string (`t`, `billing.t`, `"Audit Log".t`).
    pub fn table_path(&self, q: &QualifiedName, schema: &str) -> String {
        match self.table_ref(q, schema) {
            (None, n) => path_part(n),
            (Some(s), n) => format!("{}.{}", path_part(s), path_part(n)),
        }
    }

    /// A function reference (trigger function, aggregate state function) from `schema`:
    /// bare for PostgreSQL's own and where `compile` finds it (own schema, then `public`).
    pub fn routine_ref(&self, q: &QualifiedName, schema: &str) -> String {
        let declared = |s: &str| {
            self.model.schemas.get(s).is_some_and(|x| {
                x.functions
                    .values()
                    .any(|f| f.name == q.name && !f.procedure)
            })
        };
        let bare = if q.schema == "pg_catalog" {
            !declared(schema) && !declared("public")
        } else if q.schema == schema {
            true
        } else {
            q.schema == "public" && !declared(schema)
        };
        if bare {
            path_part(&q.name)
        } else {
            format!("{}.{}", path_part(&q.schema), path_part(&q.name))
        }
    }
}

/// One part of a dotted name: quoted only when it holds a dot or a quote (unquoted parts
/// are taken verbatim, case and all).
pub fn path_part(name: &str) -> String {
    if name.is_empty() || name.contains(['.', '"']) || name.trim() != name {
        crate::sql::quote_ident(name)
    } else {
        name.to_string()
    }
}

/// The short spelling of a built-in type (`varchar(20)` for `character varying(20)`,
/// `timestamptz` for `timestamp with time zone`), kept only when it reads back as the same
/// type.
pub fn short_type(canonical: &str) -> String {
    let short = shorten(canonical);
    match parse_type(&short) {
        Ok(TypeSpec::Builtin {
            ty,
            serial: false,
            array: false,
        }) if ty.canonical == canonical => short,
        _ => canonical.to_string(),
    }
}

fn shorten(t: &str) -> String {
    if let Some(rest) = t.strip_prefix("character varying") {
        return format!("varchar{rest}");
    }
    if let Some(rest) = t.strip_prefix("character(") {
        return format!("char({rest}");
    }
    for (long, short) in [("timestamp", "timestamp"), ("time", "time")] {
        if let Some(rest) = t.strip_prefix(long) {
            let (prec, zone) = match rest.find(' ') {
                Some(i) => (&rest[..i], &rest[i..]),
                None => (rest, ""),
            };
            if !prec.is_empty() && !prec.starts_with('(') {
                continue;
            }
            match zone {
                " without time zone" => return format!("{short}{prec}"),
                " with time zone" if short == "timestamp" => return format!("timestamptz{prec}"),
                " with time zone" if prec.is_empty() => return "timetz".to_string(),
                _ => {}
            }
        }
    }
    t.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_types() {
        assert_eq!(short_type("character varying(20)"), "varchar(20)");
        assert_eq!(short_type("character varying"), "varchar");
        assert_eq!(short_type("character(3)"), "char(3)");
        assert_eq!(short_type("timestamp with time zone"), "timestamptz");
        assert_eq!(short_type("timestamp(3) with time zone"), "timestamptz(3)");
        assert_eq!(short_type("timestamp without time zone"), "timestamp");
        assert_eq!(short_type("time with time zone"), "timetz");
        assert_eq!(short_type("time(2) without time zone"), "time(2)");
        assert_eq!(short_type("numeric(10,2)"), "numeric(10,2)");
        assert_eq!(short_type("double precision"), "double precision");
    }

    #[test]
    fn file_names_never_collide() {
        use crate::model::{Column, Extension, Schema, Table};
        let table = || Table {
            columns: vec![Column {
                name: "a".into(),
                data_type: DataType::builtin("integer"),
                nullable: true,
                default: None,
                identity: None,
                identity_options: None,
                generated: None,
                collation: None,
                comment: None,
                grants: None,
            }],
            ..Table::default()
        };
        let mut model = Model::default();
        model
            .extensions
            .insert("hstore".into(), Extension::default());
        let mut s = Schema::default();
        for t in ["Mood", "mood", "_schema"] {
            s.tables.insert(t.into(), table());
        }
        model.schemas.insert("extensions".into(), s.clone());
        model.schemas.insert("Extensions".into(), s);
        let files =
            |split| -> Vec<String> { render(&model, &[], split).files.into_keys().collect() };
        assert_eq!(
            files(Split::Schema),
            [
                "Extensions-2.toml",
                "extensions-2-2.toml",
                "extensions.toml"
            ]
        );
        assert_eq!(
            files(Split::Table),
            [
                "Extensions/Mood.toml",
                "Extensions/_schema-2.toml",
                "Extensions/mood-2.toml",
                "extensions-2/Mood.toml",
                "extensions-2/_schema-2.toml",
                "extensions-2/mood-2.toml",
                "extensions.toml"
            ]
        );
    }

    #[test]
    fn file_names() {
        assert_eq!(file_name("members"), "members");
        assert_eq!(file_name("Sales Dept"), "Sales%20Dept");
        assert_eq!(file_name("dot.s"), "dot%2Es");
        assert_eq!(file_name("ünum"), "%C3%BCnum");
    }
}
