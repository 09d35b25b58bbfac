//! `schemactl inspect`: read a live database with the catalog reader and write TOML schema
//! files that describe it (`crate::inspect`), recording the managed schemas in
//! `schemactl.toml` (creating the project in an empty directory). Adoption's first step.
//!
//! Nothing is written unless everything succeeded: the database is read and the files are
//! rendered first; a refused overwrite (exit 2) or a database failure (exit 3) leaves the
//! directory as it was.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{Exit, Global, Outcome, open_db};
use crate::catalog::{self, ReadOptions};
use crate::diag::SourceMap;
use crate::inspect::{self, Split};
use crate::model::Model;
use crate::schema::config::{self, DEFAULT_FILE, FILE_NAME, Project};

#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `--schemas a,b`: the schemas to read (default: every schema of the database except
    /// PostgreSQL's own and the history schema).
    pub schemas: Option<Vec<String>>,
    pub split: Split,
    /// Replace the `*.toml` files already in the schema directory.
    pub force: bool,
    /// `--out DIR`: write the files there instead of the project's schema directory (and
    /// leave `schemactl.toml` alone).
    pub out: Option<PathBuf>,
}

/// The schemas of a database that are not PostgreSQL's own.
const USER_SCHEMAS: &str = "SELECT nspname FROM pg_catalog.pg_namespace \
     WHERE nspname NOT IN ('information_schema') AND nspname NOT LIKE 'pg\\_%' \
     ORDER BY nspname";

pub fn run(g: &Global, o: &Options) -> Outcome {
    let target = match prepare(g, o) {
        Ok(t) => t,
        Err(out) => return out,
    };
    let mut db = match open_db(g, &target.project, false) {
        Ok(db) => db,
        Err(out) => return out,
    };
    let read = match read(g, &mut db, &target.project, o.schemas.as_deref()) {
        Ok(r) => r,
        Err(out) => return out,
    };
    write(g, &target, &read, o)
}

/// Where inspect writes, checked before anything is read.
pub(crate) struct Target {
    pub root: PathBuf,
    pub project: Project,
    /// The schema directory (or `--out`).
    pub dir: PathBuf,
    /// The `*.toml` files already there (replaced with `--force`).
    existing: Vec<PathBuf>,
}

/// The project and the directory to write; refuses one that holds schema files unless
/// `--force` (exit 2).
pub(crate) fn prepare(g: &Global, o: &Options) -> Result<Target, Outcome> {
    let root = super::root(g)?;
    let mut sources = SourceMap::default();
    let mut diags = Vec::new();
    let project = config::load(&root, &mut sources, &mut diags);
    if !diags.is_empty() {
        return Err(super::invalid(g, &sources, &diags, &[], &root));
    }
    let dir = match &o.out {
        Some(d) if d.is_absolute() => d.clone(),
        Some(d) => std::env::current_dir()
            .map(|c| c.join(d))
            .unwrap_or(d.clone()),
        None => project.schema_dir(),
    };
    let existing = crate::schema::discover(&dir).unwrap_or_default();
    if !existing.is_empty() && !o.force {
        let names: Vec<String> = existing
            .iter()
            .take(3)
            .map(|p| super::rel(&root, p))
            .collect();
        let more = if existing.len() > 3 { ", …" } else { "" };
        return Err(Outcome::fail(
            g,
            Exit::Invalid,
            "schema-dir-not-empty",
            &format!(
                "{} already holds {} schema file(s) ({}{more}); inspect writes a complete schema and does not merge it with existing files",
                dir.display(),
                existing.len(),
                names.join(", ")
            ),
            "pass --force to replace them, --out DIR to write elsewhere, or run it in an empty project",
        ));
    }
    Ok(Target {
        root,
        project,
        dir,
        existing,
    })
}

/// A database read for inspect: its model without the ignored tables.
pub(crate) struct Read {
    pub model: Model,
    pub skipped: Vec<String>,
    pub schemas: Vec<String>,
    /// Tables left out (`schema.name`), for `project.ignore`.
    pub ignored: Vec<String>,
}

/// The user schemas of a database (not PostgreSQL's own, not the history schema).
pub(crate) fn user_schemas(
    client: &mut postgres::Client,
    history: &str,
) -> Result<Vec<String>, postgres::Error> {
    Ok(client
        .query(USER_SCHEMAS, &[])?
        .iter()
        .map(|r| r.get::<_, String>(0))
        .filter(|s| s != history)
        .collect())
}

/// Read `schemas` (default: every user schema) of the database; refuses unknown schemas and a
/// database with nothing in them (exit 2), a failed read exits 3.
pub(crate) fn read(
    g: &Global,
    db: &mut super::Database,
    project: &Project,
    schemas: Option<&[String]>,
) -> Result<Read, Outcome> {
    let history = project.config.history_schema.clone();
    let schemas = match schemas {
        Some(list) => list.to_vec(),
        None => user_schemas(&mut db.client, &history).map_err(|e| db_failure(g, &db.label, &e))?,
    };
    let opts = ReadOptions {
        schemas: schemas.clone(),
        ignore: project.config.ignore.clone(),
        history_schema: history,
    };
    let cat = catalog::read(&mut db.client, &opts).map_err(|e| db_failure(g, &db.label, &e))?;
    let missing: Vec<&String> = schemas
        .iter()
        .filter(|s| !cat.model.schemas.contains_key(*s))
        .collect();
    if !missing.is_empty() {
        let names: Vec<String> = missing.iter().map(|s| format!("`{s}`")).collect();
        return Err(Outcome::fail(
            g,
            Exit::Invalid,
            "unknown-schema",
            &format!(
                "the database {} has no schema {}",
                db.label,
                names.join(", ")
            ),
            "list existing schemas with --schemas, or leave it out to read every schema",
        ));
    }
    let mut model = cat.model;
    let ignored = without_ignored_tables(&mut model);
    if is_empty(&model) {
        return Err(Outcome::fail(
            g,
            Exit::Invalid,
            "nothing-to-inspect",
            &format!(
                "the database {} holds no objects in {}",
                db.label,
                if schemas.is_empty() {
                    "any schema".to_string()
                } else {
                    format!("schema(s) {}", schemas.join(", "))
                }
            ),
            "check --db and --schemas; inspect adopts an existing schema (for a new one, run `schemactl init`)",
        ));
    }
    Ok(Read {
        model,
        skipped: cat.skipped,
        schemas,
        ignored,
    })
}

/// Render `read` and write the files (and `schemactl.toml` unless `--out`); nothing is
/// written unless all of it can be.
pub(crate) fn write(g: &Global, t: &Target, read: &Read, o: &Options) -> Outcome {
    let rendered = inspect::render(&read.model, &read.skipped, o.split);
    let mut files: Vec<(PathBuf, String)> = rendered
        .files
        .iter()
        .map(|(p, text)| (t.dir.join(p), text.clone()))
        .collect();
    let mut created = false;
    if o.out.is_none() {
        let config_path = t.root.join(FILE_NAME);
        let current = std::fs::read_to_string(&config_path).ok();
        created = current.is_none();
        let text = config_text(current.as_deref(), &read.schemas, &read.ignored);
        files.push((config_path, text));
        if created {
            for d in [t.project.migrations_dir(), t.project.snapshots_dir()] {
                files.push((d.join(".gitkeep"), String::new()));
            }
        }
    }
    let result = (|| -> std::io::Result<()> {
        if o.force {
            for p in &t.existing {
                std::fs::remove_file(p)?;
            }
        }
        crate::migrations::write_files(&files)
    })();
    if let Err(e) = result {
        return Outcome::fail(
            g,
            Exit::Failure,
            "write",
            &format!("cannot write the schema files: {e}"),
            "check permissions of the project directory",
        );
    }
    summary(
        g,
        &t.root,
        &t.dir,
        &rendered,
        &read.schemas,
        created,
        &read.ignored,
    )
}

fn db_failure(g: &Global, label: &str, e: &postgres::Error) -> Outcome {
    Outcome::fail(
        g,
        Exit::Failure,
        "database",
        &format!(
            "cannot read {label}: {}",
            crate::devdb::describe_pg_error(e)
        ),
        "check that the database is reachable and the role may read its catalog",
    )
}

/// Drop the tables inspect never writes (`inspect::IGNORED_TABLES`) from the model; their
/// `schema.name`, for `project.ignore`.
pub fn without_ignored_tables(model: &mut Model) -> Vec<String> {
    let mut found = Vec::new();
    for (schema, s) in model.schemas.iter_mut() {
        for name in inspect::IGNORED_TABLES {
            if s.tables.remove(*name).is_some() {
                found.push(format!("{schema}.{name}"));
            }
        }
    }
    found
}

fn is_empty(model: &Model) -> bool {
    model.extensions.is_empty()
        && model.schemas.values().all(|s| {
            s.enums.is_empty()
                && s.tables.is_empty()
                && s.views.is_empty()
                && s.materialized_views.is_empty()
                && s.sequences.is_empty()
                && s.domains.is_empty()
                && s.composite_types.is_empty()
                && s.functions.is_empty()
                && s.aggregates.is_empty()
                && s.comment.is_none()
        })
}

/// `schemactl.toml` with `project.schemas` set to `schemas` and `ignored` added to
/// `project.ignore`: the default file for a new project, else the existing text with only
/// those values replaced (comments and everything else kept).
pub fn config_text(current: Option<&str>, schemas: &[String], ignored: &[String]) -> String {
    let list = |items: &[String]| inspect::writer::strings(items).0;
    let text = current.unwrap_or(DEFAULT_FILE).to_string();
    let Ok(doc) = toml::de::DeTable::parse(&text) else {
        return text;
    };
    let doc = doc.into_inner();
    let project = doc.get("project").and_then(|p| p.get_ref().as_table());
    let existing_ignore: Vec<String> = project
        .and_then(|t| t.get("ignore"))
        .and_then(|v| v.get_ref().as_array())
        .map(|a| {
            a.iter()
                .filter_map(|v| v.get_ref().as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let mut ignore = existing_ignore.clone();
    for i in ignored {
        if !ignore.contains(i) {
            ignore.push(i.clone());
        }
    }
    // Replacements as (byte range, new text), applied from the end; an insertion is an
    // empty range at the start of a line.
    let line_after = |at: usize| text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
    let mut edits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    let Some(t) = project else {
        let mut head = format!("[project]\nschemas = {}\n", list(schemas));
        if !ignore.is_empty() {
            head.push_str(&format!("ignore = {}\n", list(&ignore)));
        }
        return format!("{head}\n{text}");
    };
    let header_end = text.find("[project]").map_or(0, line_after);
    let mut insert_at = header_end;
    match t.get("schemas") {
        Some(v) => {
            insert_at = line_after(v.span().end);
            edits.push((v.span(), list(schemas)));
        }
        None => edits.push((
            header_end..header_end,
            format!("schemas = {}\n", list(schemas)),
        )),
    }
    if ignore != existing_ignore {
        match t.get("ignore") {
            Some(v) => edits.push((v.span(), list(&ignore))),
            None => edits.push((
                insert_at..insert_at,
                format!("ignore = {}\n", list(&ignore)),
            )),
        }
    }
    let mut out = text.clone();
    edits.sort_by_key(|(r, _)| std::cmp::Reverse(r.start));
    for (r, new) in edits {
        out.replace_range(r, &new);
    }
    out
}

fn summary(
    g: &Global,
    root: &Path,
    target: &Path,
    rendered: &inspect::Output,
    schemas: &[String],
    created: bool,
    ignored: &[String],
) -> Outcome {
    let mut o = Outcome::new(Exit::Ok);
    let files: Vec<String> = rendered
        .files
        .keys()
        .map(|p| super::rel(root, &target.join(p)))
        .collect();
    if let super::Format::Json = g.format {
        let counts: BTreeMap<&str, usize> = rendered.counts.clone();
        let value = serde_json::json!({
            "ok": true,
            "files": files,
            "schemas": schemas,
            "counts": counts,
            "not_expressed": rendered.notes,
            "ignored": ignored,
            "created_project": created,
        });
        o.stdout = serde_json::to_string_pretty(&value).expect("JSON values always serialise");
        o.stdout.push('\n');
        return o;
    }
    if g.quiet {
        return o;
    }
    let mut s = String::new();
    s.push_str(&format!(
        "Inspected schema(s) {} into {} file(s) under {}{}\n",
        schemas.join(", "),
        files.len(),
        super::rel(root, target),
        if created {
            " (new project: schemactl.toml written)"
        } else {
            ""
        }
    ));
    let width = rendered.counts.keys().map(|k| k.len()).max().unwrap_or(0);
    for (kind, n) in &rendered.counts {
        s.push_str(&format!("  {kind:<width$}  {n}\n"));
    }
    // The files, unless there are many (`--split table` of a large database).
    if files.len() <= 20 {
        for f in &files {
            s.push_str(&format!("  wrote {f}\n"));
        }
    }
    for i in ignored {
        s.push_str(&format!(
            "  ignored {i} (Alembic's version table; listed in project.ignore)\n"
        ));
    }
    if rendered.notes.is_empty() {
        s.push_str("Everything was expressed.\n");
    } else {
        s.push_str(&format!(
            "Not expressed ({}; also written as comments in the files):\n",
            rendered.notes.len()
        ));
        for n in &rendered.notes {
            s.push_str(&format!("  - {n}\n"));
        }
    }
    s.push_str(
        "  next: review the files, then `schemactl plan -m init` writes the first migration\n",
    );
    o.stdout = s;
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_for_a_new_project_lists_the_schemas() {
        let t = config_text(None, &["app".into(), "public".into()], &[]);
        assert!(
            t.contains("schemas        = [\"app\", \"public\"]     #"),
            "{t}"
        );
        let t = config_text(None, &["public".into()], &["public.alembic_version".into()]);
        assert!(t.contains("ignore = [\"public.alembic_version\"]\n"), "{t}");
    }

    #[test]
    fn existing_config_keeps_its_comments() {
        let cur = "# mine\n[project]\nschemas = [\"public\"] # here\nignore = [\"x.y\"]\n\n[database]\nurl_env = \"DB\"\n";
        let t = config_text(Some(cur), &["a".into()], &["public.alembic_version".into()]);
        assert_eq!(
            t,
            "# mine\n[project]\nschemas = [\"a\"] # here\nignore = [\"x.y\", \"public.alembic_version\"]\n\n[database]\nurl_env = \"DB\"\n"
        );
        let t = config_text(Some("[database]\nurl_env = \"DB\"\n"), &["a".into()], &[]);
        assert_eq!(
            t,
            "[project]\nschemas = [\"a\"]\n\n[database]\nurl_env = \"DB\"\n"
        );
        let t = config_text(Some("[project]\nschema_dir = \"s\"\n"), &["a".into()], &[]);
        assert_eq!(t, "[project]\nschemas = [\"a\"]\nschema_dir = \"s\"\n");
    }
}
