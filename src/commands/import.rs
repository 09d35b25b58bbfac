//! `schemactl import alembic`: an Alembic project's revision graph, read statically
//! (`crate::alembic`), reported with what is wrong with it, and where each database given
//! with `--db` stands (its `alembic_version`). With `--dev` the chain is also built from
//! empty by the project's own Python (`alembic upgrade heads` into a throwaway database) and
//! every database is compared with what it builds. With `--adopt` the schemactl project is
//! written from a source (the chain, or the first `--db`) by `inspect`, planned (`plan -m
//! init`), and each database that matches is baselined (`baseline`, the note naming the
//! Alembic revision it replaces); one that does not is left alone with the SQL that would
//! converge it.
//!
//! Exit 1 when the history is broken (several unlabelled heads, a missing revision, a
//! duplicate id), a database is at a revision no file declares, the chain does not build, a
//! database differs from the chain, or a database was not baselined; 2 when the files cannot be read or the Python cannot run Alembic; 3 when a
//! database cannot be read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::json;

use super::{Database, Exit, Format, Global, Outcome, baseline, inspect, plan};
use crate::alembic::{self, History, Position, upgrade};
use crate::catalog::{self, ReadOptions};
use crate::diag::SourceMap;
use crate::model::Model;
use crate::schema::config::{self, Project};

/// What the project's schema is written from with `--adopt`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The schema `alembic upgrade heads` builds from empty (needs `--dev`).
    Chain,
    /// The first `--db`.
    Db,
}

/// What `--alembic-dir`, the databases and the adoption flags give.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub alembic_dir: Option<PathBuf>,
    /// Every `--db` given (none: the graph only).
    pub databases: Vec<String>,
    /// Build the chain from empty in a throwaway database.
    pub dev: bool,
    /// The project's Python (default: `$VIRTUAL_ENV/bin/python`, else `python3`).
    pub python: Option<PathBuf>,
    /// Environment variables env.py reads the URL from (set to the throwaway database's).
    pub url_env: Vec<String>,
    /// Write the project, plan it and baseline the databases that match.
    pub adopt: bool,
    /// Default: the chain with `--dev`, else the first `--db`.
    pub source: Option<Source>,
    /// For the written project (as `inspect` takes them).
    pub inspect: inspect::Options,
    /// The first migration's name (default `init`).
    pub name: Option<String>,
}

/// One database given with `--db`: its `alembic_version` rows (or why they could not be
/// read) and the open connection.
struct DbState {
    url: String,
    label: String,
    versions: Result<Vec<String>, String>,
    /// Its version table when env.py named it (`version_table`): `schema.name`.
    custom_table: Option<String>,
    db: Database,
}

/// A database `--adopt` baselines: where it is and which Alembic revision it was at.
struct Baselinable {
    url: String,
    label: String,
    versions: Result<Vec<String>, String>,
}

/// The chain built from empty: its model, or why it could not be built.
struct Built {
    result: Result<Model, String>,
    /// Its version table when env.py named it (`version_table`): `schema.name`.
    custom_table: Option<String>,
}

/// Alembic's version table in a database.
struct Versions {
    /// `schema.name`.
    table: String,
    /// Not `alembic_version` (env.py's `version_table`): ignored by name, as inspect ignores
    /// `alembic_version`.
    custom_name: bool,
    rows: Vec<String>,
}

/// How one database compares with the chain: its differences, in `drift`'s words.
struct Compared {
    label: String,
    differences: Result<Vec<String>, String>,
    /// Its objects by kind, beside the chain's.
    counts: Counts,
}

/// Objects by kind (`tables`, `enums`, …), as `inspect` counts what it writes.
type Counts = BTreeMap<&'static str, usize>;

fn counts(model: &Model) -> Counts {
    crate::inspect::render(model, &[], crate::inspect::Split::Schema).counts
}

pub fn alembic(g: &Global, opts: &Options) -> Outcome {
    let dir = match script_dir(g, opts) {
        Ok(d) => d,
        Err(o) => return o,
    };
    let mut sources = SourceMap::default();
    let locations =
        alembic::version_locations(find_ini(&dir).as_deref(), find_toml(&dir).as_deref());
    let history = match alembic::read(&dir, locations.as_deref(), &mut sources) {
        Ok(h) => h,
        Err(diags) => {
            let root = std::env::current_dir().unwrap_or_default();
            return super::invalid(g, &sources, &diags, &[], &root);
        }
    };
    let source = opts
        .source
        .unwrap_or(if opts.dev { Source::Chain } else { Source::Db });
    if opts.adopt {
        if let Some(o) = adopt_refusal(g, opts, source) {
            return o;
        }
    }
    // Check where the project goes before anything runs.
    let target = if opts.adopt {
        match prepare_project(g, &opts.inspect, &dir) {
            Ok(t) => Some(t),
            Err(o) => return o,
        }
    } else {
        None
    };
    let mut project = match target.as_ref() {
        Some(t) => t.project.clone(),
        None => match load_project(g) {
            Ok(p) => p,
            Err(o) => return o,
        },
    };
    let mut dbs = Vec::new();
    for url in &opts.databases {
        match read_versions(url) {
            Ok(s) => dbs.push(s),
            Err(e) => return Outcome::fail(g, Exit::Failure, "connect", &e.message, &e.hint),
        }
    }
    // Version tables env.py named otherwise are left out as `alembic_version` is.
    let mut custom_tables: Vec<String> =
        dbs.iter().filter_map(|s| s.custom_table.clone()).collect();
    let problems = history.problems();
    let mut broken = problems.iter().any(alembic::Problem::breaks);
    // A database at a revision no file declares was migrated by code this checkout lacks.
    broken |= dbs.iter().any(|s| match &s.versions {
        Ok(v) => !history.position(v).unknown.is_empty(),
        Err(_) => false,
    });

    // The chain built from empty, and each database compared with it.
    let mut built = None;
    let mut chain_db = None;
    let mut compared = Vec::new();
    if opts.dev {
        let (b, db) = match build_chain(g, opts, &dir, &history, &project) {
            Ok(x) => x,
            Err(o) => return o,
        };
        custom_tables.extend(b.custom_table.clone());
        custom_tables.sort();
        custom_tables.dedup();
        project.config.ignore.extend(custom_tables.iter().cloned());
        if let Ok(chain) = &b.result {
            for s in dbs.iter_mut() {
                compared.push(compare(s, chain, &project));
            }
        }
        broken |= b.result.is_err();
        broken |= compared
            .iter()
            .any(|c| !matches!(&c.differences, Ok(d) if d.is_empty()));
        built = Some(b);
        chain_db = db;
    }

    let mut adopted = None;
    if let Some(mut t) = target {
        custom_tables.sort();
        custom_tables.dedup();
        for c in &custom_tables {
            if !t.project.config.ignore.contains(c) {
                t.project.config.ignore.push(c.clone());
            }
        }
        let to_baseline: Vec<Baselinable> = dbs
            .iter()
            .map(|s| Baselinable {
                url: s.url.clone(),
                label: s.label.clone(),
                versions: s.versions.clone(),
            })
            .collect();
        let from = match source {
            Source::Chain => chain_db.as_mut(),
            Source::Db => dbs.first_mut().map(|s| &mut s.db),
        };
        let Some(from) = from else {
            let why = built
                .as_ref()
                .and_then(|b| b.result.as_ref().err())
                .cloned()
                .unwrap_or_default();
            return Outcome::fail(
                g,
                Exit::No,
                "chain-does-not-build",
                &format!(
                    "the Alembic chain does not build from empty, so it cannot be the source of the project: {why}"
                ),
                "fix the chain, or adopt from a live database with --source db (the first --db)",
            );
        };
        let a = adopt(g, opts, t, from, &to_baseline, &custom_tables);
        broken |= a.exit != Exit::Ok;
        adopted = Some(a);
    }

    let exit = if broken { Exit::No } else { Exit::Ok };
    match g.format {
        Format::Json => {
            let mut v = report_json(&dir, &history, &problems, &dbs);
            if let Some(b) = &built {
                v["chain"] = match &b.result {
                    Ok(m) => json!({ "built": true, "counts": counts(m) }),
                    Err(e) => json!({ "built": false, "error": e }),
                };
                v["compared"] = compared
                    .iter()
                    .map(|c| match &c.differences {
                        Ok(d) => {
                            json!({ "database": c.label, "equal": d.is_empty(), "differences": d, "counts": c.counts })
                        }
                        Err(e) => json!({ "database": c.label, "error": e }),
                    })
                    .collect();
            }
            if let Some(a) = adopted {
                v["adopt"] = a.json;
            }
            v["ok"] = json!(!broken);
            Outcome::json(exit, v)
        }
        Format::Text => {
            let mut o = Outcome::new(exit);
            o.stdout = report_text(&dir, &history, &problems, &dbs);
            if let Some(b) = &built {
                o.stdout.push_str(&built_text(b, &compared));
            }
            if let Some(a) = adopted {
                o.stdout.push_str(&a.stdout);
                o.stderr.push_str(&a.stderr);
            }
            o
        }
    }
}

/// What `--adopt` cannot do with the options given.
fn adopt_refusal(g: &Global, opts: &Options, source: Source) -> Option<Outcome> {
    let (code, message, hint) = match source {
        Source::Chain if !opts.dev => (
            "source-needs-dev",
            "--source chain needs --dev (the chain is built in a throwaway database)",
            "add --dev (and --python for the project's Python), or adopt from a database with --source db --db URL",
        ),
        Source::Db if opts.databases.is_empty() => (
            "no-source",
            "--adopt needs a source: a database (--db URL) or the chain built from empty (--dev)",
            "give the database to describe with --db URL, or --dev to build the chain from empty",
        ),
        _ => return None,
    };
    Some(Outcome::fail(g, Exit::Invalid, code, message, hint))
}

/// The project `--adopt` writes: `inspect`'s target, refused when it has migrations already.
fn prepare_project(
    g: &Global,
    o: &inspect::Options,
    alembic_dir: &Path,
) -> Result<inspect::Target, Outcome> {
    let t = inspect::prepare(g, o)?;
    // `plan` accepts only its own files there (Flask-Migrate and many `alembic init`s name
    // Alembic's script directory `migrations/`, schemactl's default).
    let dir = t.project.migrations_dir();
    let foreign: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| {
            let mut names: Vec<String> = d
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.') && n != "schemactl.sum" && !n.ends_with(".sql"))
                .collect();
            names.sort();
            names
        })
        .unwrap_or_default();
    if !foreign.is_empty() {
        let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        let what = if same(&dir, alembic_dir) {
            "it is Alembic's script directory".to_string()
        } else {
            format!(
                "it holds files that are not schemactl migrations ({}{})",
                foreign
                    .iter()
                    .take(3)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
                if foreign.len() > 3 { ", …" } else { "" }
            )
        };
        return Err(Outcome::fail(
            g,
            Exit::Invalid,
            "migrations-dir-taken",
            &format!(
                "schemactl's migrations directory would be {}, but {what}; nothing was written",
                dir.display()
            ),
            "adopt into another directory with --project DIR, or create schemactl.toml first with `[project]` `migrations_dir = \"db/migrations\"` (adoption keeps it)",
        ));
    }
    let has_migrations = std::fs::read_dir(t.project.migrations_dir())
        .map(|d| {
            d.flatten()
                .any(|e| e.file_name().to_string_lossy().ends_with(".sql"))
        })
        .unwrap_or(false);
    if has_migrations {
        return Err(Outcome::fail(
            g,
            Exit::Invalid,
            "has-migrations",
            &format!(
                "{} already holds migrations; --adopt starts a new schemactl project",
                t.project.migrations_dir().display()
            ),
            "run it in a new directory (or --project DIR), or drop --adopt to only compare",
        ));
    }
    Ok(t)
}

/// `schemactl.toml` of the project (defaults when there is none).
fn load_project(g: &Global) -> Result<Project, Outcome> {
    let root = super::root(g)?;
    let mut sources = SourceMap::default();
    let mut diags = Vec::new();
    let project = config::load(&root, &mut sources, &mut diags);
    if !diags.is_empty() {
        return Err(super::invalid(g, &sources, &diags, &[], &root));
    }
    Ok(project)
}

/// `--alembic-dir`, else `script_location` of `./alembic.ini` or `./pyproject.toml`, else
/// `./alembic` or `./migrations` when it holds env.py and versions/.
fn script_dir(g: &Global, opts: &Options) -> Result<PathBuf, Outcome> {
    if let Some(d) = &opts.alembic_dir {
        return Ok(d.clone());
    }
    if let Some(d) = alembic::script_location(Path::new("alembic.ini")) {
        return Ok(d);
    }
    if let Some(d) = alembic::toml_script_location(Path::new("pyproject.toml")) {
        return Ok(d);
    }
    // `alembic init alembic`, and Flask-Migrate's `migrations/` (its alembic.ini inside,
    // without `script_location`).
    for d in ["alembic", "migrations"] {
        let d = Path::new(d);
        if d.join("versions").is_dir() && d.join("env.py").is_file() {
            return Ok(d.to_path_buf());
        }
    }
    Err(Outcome::fail(
        g,
        Exit::Invalid,
        "alembic-not-found",
        "no Alembic project here: neither ./alembic.ini nor ./pyproject.toml ([tool.alembic]) has a `script_location`, and neither ./alembic nor ./migrations holds env.py and versions/",
        "give the script directory (the folder holding env.py and versions/) with --alembic-dir",
    ))
}

/// Connect to a database and read its `alembic_version` (a missing table is a finding, not
/// an error).
fn read_versions(url: &str) -> Result<DbState, crate::connect::ConnectError> {
    let options = crate::connect::ConnectOptions {
        url: Some(url.to_string()),
        application_name: "schemactl".into(),
        ..Default::default()
    };
    let (mut client, target) = crate::connect::connect(&options)?;
    let found = alembic_versions(&mut client);
    let custom_table = match &found {
        Ok(v) if v.custom_name => Some(v.table.clone()),
        _ => None,
    };
    Ok(DbState {
        url: url.to_string(),
        label: target.to_string(),
        versions: found.map(|v| v.rows),
        custom_table,
        db: Database {
            client,
            label: target.to_string(),
            _dev: None,
        },
    })
}

/// Alembic's version table and its rows: `alembic_version` on the search path, else in
/// whichever schema holds one (env.py's `version_table_schema`), else a table of another
/// name with Alembic's signature (a `version_num` column, primary key `<table>_pkc`: env.py's
/// `version_table`). The table is `schema.name`.
fn alembic_versions(client: &mut postgres::Client) -> Result<Versions, String> {
    let found = client
        .query(
            "SELECT n.nspname, c.relname \
               FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
              WHERE c.relkind IN ('r', 'p') \
                AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%' \
                AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid \
                            AND a.attname = 'version_num' AND NOT a.attisdropped) \
                AND (c.relname = 'alembic_version' \
                     OR EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conrelid = c.oid \
                                AND k.contype = 'p' AND k.conname = c.relname || '_pkc')) \
              ORDER BY (c.oid = to_regclass('alembic_version')) IS TRUE DESC, \
                       c.relname <> 'alembic_version', n.nspname, c.relname \
              LIMIT 1",
            &[],
        )
        .map_err(|e| crate::devdb::describe_pg_error(&e))?;
    let Some(row) = found.first() else {
        return Err("no alembic_version table: Alembic never ran here".to_string());
    };
    let (schema, name): (String, String) = (row.get(0), row.get(1));
    let rows = client
        .query(
            &format!(
                "SELECT version_num::text FROM {}.{} ORDER BY 1",
                crate::sql::quote_ident(&schema),
                crate::sql::quote_ident(&name)
            ),
            &[],
        )
        .map_err(|e| crate::devdb::describe_pg_error(&e))?;
    Ok(Versions {
        table: format!("{schema}.{name}"),
        custom_name: name != "alembic_version",
        rows: rows.iter().map(|r| r.get(0)).collect(),
    })
}

/// `alembic.ini` in the current directory, above the script directory or in it, if any.
fn find_ini(dir: &Path) -> Option<PathBuf> {
    [
        PathBuf::from("alembic.ini"),
        dir.parent().unwrap_or(Path::new(".")).join("alembic.ini"),
        // Flask-Migrate keeps it in the script directory.
        dir.join("alembic.ini"),
    ]
    .into_iter()
    .find(|p| p.is_file())
}

/// `pyproject.toml` with a `[tool.alembic]` table, beside the current directory or above the
/// script directory, if any.
fn find_toml(dir: &Path) -> Option<PathBuf> {
    [
        PathBuf::from("pyproject.toml"),
        dir.parent()
            .unwrap_or(Path::new("."))
            .join("pyproject.toml"),
    ]
    .into_iter()
    .find(|p| alembic::has_toml_config(p))
}

/// `--python`, else the active virtualenv's, else `python3`.
fn python(opts: &Options) -> PathBuf {
    if let Some(p) = &opts.python {
        // A relative path is the user's, from where they stand: Alembic runs in the
        // directory of alembic.ini. A bare name is looked up on PATH.
        if p.components().count() > 1 && p.is_relative() {
            return std::path::absolute(p).unwrap_or_else(|_| p.clone());
        }
        return p.clone();
    }
    if let Some(venv) = std::env::var_os("VIRTUAL_ENV") {
        let p = PathBuf::from(venv).join("bin/python");
        if p.is_file() {
            return p;
        }
    }
    PathBuf::from("python3")
}

/// How long the chain may wait on a lock in the throwaway database (see `build_chain`).
const LOCK_WAIT: &str = "20s";

/// `alembic upgrade heads` into a throwaway database, read back as a model (without
/// `alembic_version`). A chain that fails to build is a finding (`Built::result`); a Python
/// that cannot run Alembic is an error (exit 2), a server that cannot start exit 3.
fn build_chain(
    g: &Global,
    opts: &Options,
    dir: &Path,
    history: &History,
    project: &Project,
) -> Result<(Built, Option<Database>), Outcome> {
    let cluster = crate::devdb::Cluster::start().map_err(|e| {
        Outcome::fail(
            g,
            Exit::Failure,
            "dev-server",
            &e.message,
            "install the PostgreSQL server package (e.g. `apt-get install postgresql`)",
        )
    })?;
    let dbname = "alembic_chain";
    let conninfo = cluster.create_database(dbname).map_err(|e| {
        Outcome::fail(
            g,
            Exit::Failure,
            "dev-server",
            &e.message,
            "see the server log above",
        )
    })?;
    // Nothing else uses the throwaway database, so a lock wait is the chain waiting on
    // itself (env.py's connections each holding a transaction, as the multidb template's
    // do when every engine is this one database): fail instead of hanging.
    postgres::Client::connect(&conninfo, postgres::NoTls)
        .and_then(|mut c| {
            c.batch_execute(&format!(
                "ALTER DATABASE {} SET lock_timeout = '{LOCK_WAIT}'",
                crate::sql::quote_ident(dbname)
            ))
        })
        .map_err(|e| {
            Outcome::fail(
                g,
                Exit::Failure,
                "connect",
                &crate::devdb::describe_pg_error(&e),
                "the throwaway server did not accept connections",
            )
        })?;
    let python = python(opts);
    let ini = find_ini(dir);
    let toml = find_toml(dir);
    let run = upgrade::run(
        &upgrade::Upgrade {
            python: &python,
            ini: ini.as_deref(),
            toml: toml.as_deref(),
            script_dir: dir,
            url_env: &opts.url_env,
        },
        &upgrade::Target {
            socket_dir: cluster.socket_dir(),
            port: cluster.port(),
            user: cluster.superuser(),
            dbname,
        },
    );
    match run {
        Ok(_) => {}
        Err(upgrade::Failure::NoPython(why)) => {
            return Err(Outcome::fail(
                g,
                Exit::Invalid,
                "python",
                &why,
                "pass the project's Python with --python (e.g. --python .venv/bin/python)",
            ));
        }
        Err(upgrade::Failure::Environment(why)) => {
            return Err(Outcome::fail(
                g,
                Exit::Invalid,
                "alembic-unavailable",
                &why,
                "pass the Python of the project's environment with --python, or install alembic and psycopg2-binary into it",
            ));
        }
        Err(upgrade::Failure::Upgrade(why)) => {
            let hint = if why.contains("KeyError")
                || why.contains("environ")
                || why.contains("getenv")
            {
                " (if env.py reads its URL from an environment variable, name it with --url-env)"
            } else if why.contains("lock timeout") {
                " (it waited on a lock it holds itself: env.py migrates several databases at once, as the multidb template does, and schemactl builds the chain in one; adopt from a database with --source db)"
            } else {
                ""
            };
            return Ok((
                Built {
                    result: Err(format!(
                        "`alembic upgrade heads` failed from empty{hint}:\n{why}"
                    )),
                    custom_table: None,
                },
                None,
            ));
        }
    }
    let mut client = postgres::Client::connect(&conninfo, postgres::NoTls).map_err(|e| {
        Outcome::fail(
            g,
            Exit::Failure,
            "connect",
            &crate::devdb::describe_pg_error(&e),
            "the throwaway server did not accept connections",
        )
    })?;
    // env.py ran against the throwaway database only if it recorded the heads there.
    let mut heads: Vec<String> = history.heads().iter().map(|h| h.to_string()).collect();
    heads.sort();
    let custom_table = match alembic_versions(&mut client) {
        Ok(v) if v.rows == heads => v.custom_name.then_some(v.table),
        found => {
            let found = match found {
                Ok(v) if v.rows.is_empty() => format!("an empty {}", v.table),
                Ok(v) => format!("{} {}", v.table, v.rows.join(", ")),
                Err(e) => e,
            };
            return Ok((
                Built {
                    result: Err(format!(
                        "after `alembic upgrade heads` the throwaway database has {found}, not the heads {}: env.py did not migrate the database schemactl gave it",
                        heads.join(", ")
                    )),
                    custom_table: None,
                },
                None,
            ));
        }
    };
    let mut project = project.clone();
    project.config.ignore.extend(custom_table.clone());
    let mut db = Database {
        client,
        label: "the Alembic chain (built from empty)".into(),
        _dev: Some(cluster),
    };
    let schemas = inspect::user_schemas(&mut db.client, &project.config.history_schema)
        .map_err(|e| db_failure(g, &db.label, &e))?;
    let model =
        read_model(&mut db.client, &project, schemas).map_err(|e| db_failure(g, &db.label, &e))?;
    Ok((
        Built {
            result: Ok(model),
            custom_table,
        },
        Some(db),
    ))
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

/// The catalog model of `schemas`, without the tables inspect never writes.
fn read_model(
    client: &mut postgres::Client,
    project: &Project,
    schemas: Vec<String>,
) -> Result<Model, postgres::Error> {
    let opts = ReadOptions {
        schemas,
        ignore: project.config.ignore.clone(),
        history_schema: project.config.history_schema.clone(),
    };
    let mut model = catalog::read(client, &opts)?.model;
    inspect::without_ignored_tables(&mut model);
    Ok(model)
}

/// A database against the chain: both read over the schemas either has.
fn compare(s: &mut DbState, chain: &Model, project: &Project) -> Compared {
    let mut found = Counts::new();
    let differences = (|| {
        let mut schemas = inspect::user_schemas(&mut s.db.client, &project.config.history_schema)?;
        for k in chain.schemas.keys() {
            if !schemas.contains(k) {
                schemas.push(k.clone());
            }
        }
        let live = read_model(&mut s.db.client, project, schemas)?;
        found = counts(&live);
        Ok(super::live::deviations(chain, &live))
    })()
    .map_err(|e: postgres::Error| crate::devdb::describe_pg_error(&e));
    Compared {
        label: s.label.clone(),
        differences,
        counts: found,
    }
}

fn built_text(b: &Built, compared: &[Compared]) -> String {
    let mut s = String::new();
    match &b.result {
        Err(e) => {
            s.push_str("The chain built from empty: FAILED\n");
            for l in e.lines() {
                s.push_str(&format!("  {l}\n"));
            }
        }
        Ok(chain) => {
            s.push_str("The chain built from empty (`alembic upgrade heads` in a throwaway database): built\n");
            s.push_str(&side_by_side(&counts(chain), compared));
        }
    }
    for c in compared {
        match &c.differences {
            Err(e) => s.push_str(&format!("  {} cannot be compared: {e}\n", c.label)),
            Ok(d) if d.is_empty() => s.push_str(&format!(
                "  {} holds exactly what the chain builds\n",
                c.label
            )),
            Ok(d) => {
                s.push_str(&format!(
                    "  {} differs from what the chain builds ({} difference{}):\n",
                    c.label,
                    d.len(),
                    if d.len() == 1 { "" } else { "s" }
                ));
                for line in d {
                    s.push_str(&format!("    {line}\n"));
                }
            }
        }
    }
    s
}

/// Objects by kind: the chain's, then each database's (`db1`, `db2`, … in `--db` order).
fn side_by_side(chain: &Counts, compared: &[Compared]) -> String {
    let mut kinds: Vec<&str> = chain.keys().copied().collect();
    for c in compared {
        kinds.extend(c.counts.keys().copied());
    }
    kinds.sort_unstable();
    kinds.dedup();
    let width = kinds.iter().map(|k| k.len()).max().unwrap_or(0);
    let mut s = format!("  {:<width$}  chain", "objects");
    for (i, _) in compared.iter().enumerate() {
        s.push_str(&format!("  {:>5}", format!("db{}", i + 1)));
    }
    s.push('\n');
    for k in kinds {
        s.push_str(&format!(
            "  {k:<width$}  {:>5}",
            chain.get(k).copied().unwrap_or(0)
        ));
        for c in compared {
            let n = c.counts.get(k).copied().unwrap_or(0);
            s.push_str(&format!("  {n:>5}"));
        }
        s.push('\n');
    }
    for (i, c) in compared.iter().enumerate() {
        s.push_str(&format!("  db{}: {}\n", i + 1, c.label));
    }
    s
}

/// What `--adopt` did, in the requested format.
struct Adopted {
    exit: Exit,
    stdout: String,
    stderr: String,
    json: serde_json::Value,
}

/// Write the project from `from` (`inspect`), plan it (`plan -m init`), and baseline every
/// database that matches, each note naming the Alembic revision the baseline replaces.
fn adopt(
    g: &Global,
    opts: &Options,
    target: inspect::Target,
    from: &mut Database,
    dbs: &[Baselinable],
    custom_tables: &[String],
) -> Adopted {
    let here = Global {
        project: Some(target.root.clone()),
        ..g.clone()
    };
    let mut a = Adopted {
        exit: Exit::Ok,
        stdout: format!(
            "Adopting: the schemactl project is written from {}\n",
            from.label
        ),
        stderr: String::new(),
        json: json!({ "source": from.label }),
    };
    let step = |a: &mut Adopted, key: &str, o: Outcome| {
        if o.exit != Exit::Ok && (a.exit == Exit::Ok || o.exit as u8 > a.exit as u8) {
            a.exit = o.exit;
        }
        let text: String = o
            .stdout
            .lines()
            .filter(|l| !l.trim_start().starts_with("next:"))
            .map(|l| format!("{l}\n"))
            .collect();
        a.stdout.push_str(&text);
        a.stderr.push_str(&o.stderr);
        a.json[key] = serde_json::from_str(&o.stdout).unwrap_or(json!(o.stdout));
        o.exit == Exit::Ok
    };
    let read = match inspect::read(
        &here,
        from,
        &target.project,
        opts.inspect.schemas.as_deref(),
    ) {
        Ok(mut r) => {
            // Alembic's version table under another name, for `project.ignore`.
            for c in custom_tables {
                if !r.ignored.contains(c) {
                    r.ignored.push(c.clone());
                }
            }
            r
        }
        Err(o) => {
            step(&mut a, "inspect", o);
            return a;
        }
    };
    if !step(
        &mut a,
        "inspect",
        inspect::write(&here, &target, &read, &opts.inspect),
    ) {
        return a;
    }
    let planned = plan::run(
        &here,
        &plan::Options {
            name: Some(opts.name.clone().unwrap_or_else(|| "init".into())),
            brief: true,
            ..Default::default()
        },
    );
    if !step(&mut a, "plan", planned) {
        return a;
    }
    let mut baselines = Vec::new();
    for s in dbs {
        let note = match &s.versions {
            Ok(v) if !v.is_empty() => format!(
                "replaces alembic revision{} {}",
                if v.len() == 1 { "" } else { "s" },
                v.join(", ")
            ),
            Ok(_) => "adopted from Alembic (alembic_version empty)".to_string(),
            Err(_) => "adopted from Alembic (no alembic_version)".to_string(),
        };
        let g_db = Global {
            db: Some(s.url.clone()),
            ..here.clone()
        };
        a.stdout.push_str(&format!("Baseline of {}:\n", s.label));
        let o = baseline::run(
            &g_db,
            &baseline::Options {
                to: None,
                note: Some(note),
                lock_timeout: std::time::Duration::from_secs(10),
            },
        );
        let mut one = Adopted {
            exit: Exit::Ok,
            stdout: String::new(),
            stderr: String::new(),
            json: json!({}),
        };
        step(&mut one, "result", o);
        if one.exit != Exit::Ok {
            one.stdout.push_str("  left alone: nothing was recorded in it; review the SQL above, run it (or fix the database) and then `schemactl baseline`\n");
            if a.exit == Exit::Ok {
                a.exit = one.exit;
            }
        }
        a.stdout.push_str(&one.stdout);
        a.stderr.push_str(&one.stderr);
        baselines.push(json!({ "database": s.label, "baselined": one.exit == Exit::Ok, "result": one.json["result"] }));
    }
    a.json["baselines"] = json!(baselines);
    a
}

fn label(h: &History, id: &str) -> String {
    match h.get(id).and_then(|r| r.message.as_deref()) {
        Some(m) => format!("{id} ({m})"),
        None => id.to_string(),
    }
}

fn report_text(dir: &Path, h: &History, problems: &[alembic::Problem], dbs: &[DbState]) -> String {
    let mut s = format!(
        "Alembic project {}: {} revision{}\n",
        dir.display(),
        h.revisions.len(),
        if h.revisions.len() == 1 { "" } else { "s" }
    );
    let list = |ids: &[&str]| {
        ids.iter()
            .map(|i| label(h, i))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let bases = h.bases();
    if bases.is_empty() {
        s.push_str("  base: none (every revision revises another)\n");
    } else {
        s.push_str(&format!("  base: {}\n", list(&bases)));
    }
    let heads = h.heads();
    s.push_str(&format!(
        "  head{}: {}\n",
        if heads.len() == 1 { "" } else { "s" },
        list(&heads)
    ));
    for (at, children) in h.branch_points() {
        s.push_str(&format!(
            "  branch point: {} → {}\n",
            label(h, at),
            children.join(", ")
        ));
    }
    for m in h.merges() {
        s.push_str(&format!(
            "  merge: {} of {}\n",
            label(h, &m.id),
            m.down.join(", ")
        ));
    }
    let labelled = h.labelled_branches();
    for (l, head) in labelled.iter().flatten() {
        s.push_str(&format!("  branch {l}: head {}\n", label(h, head)));
    }
    if problems.is_empty() {
        s.push_str(match labelled {
            Some(_) => "  history: independent labelled branches (`alembic upgrade heads` runs them all), every revision present\n",
            None => "  history: one head, every revision present\n",
        });
    } else {
        s.push_str("Problems:\n");
        for p in problems {
            let kind = if p.breaks() { "error" } else { "warning" };
            s.push_str(&format!("  - {kind}: {}\n", p.text()));
        }
    }
    for db in dbs {
        s.push_str(&format!("Database {}: ", db.label));
        match &db.versions {
            Err(e) => s.push_str(&format!("{e}\n")),
            Ok(v) => s.push_str(&position_text(h, &h.position(v))),
        }
    }
    s
}

fn position_text(h: &History, p: &Position) -> String {
    if p.at.is_empty() {
        return format!(
            "alembic_version is empty (at base): {} revision{} to run\n",
            p.behind.len(),
            if p.behind.len() == 1 { "" } else { "s" }
        );
    }
    let mut s = format!(
        "at {}",
        p.at.iter()
            .map(|i| label(h, i))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if !p.unknown.is_empty() {
        s.push_str(&format!(
            "; {} named by no revision file (deleted, from another branch, or from a newer checkout)",
            p.unknown.join(", ")
        ));
        if p.unknown.len() == p.at.len() {
            s.push_str(": its place in this history is unknown\n");
            return s;
        }
    }
    if p.behind.is_empty() {
        s.push_str(": up to date (every revision applied)\n");
    } else {
        let heads = if p.at_heads.is_empty() {
            "not a head".to_string()
        } else {
            format!("a head ({})", p.at_heads.join(", "))
        };
        s.push_str(&format!(
            ": {heads}, {} revision{} behind ({})\n",
            p.behind.len(),
            if p.behind.len() == 1 { "" } else { "s" },
            p.behind.join(", ")
        ));
    }
    s
}

fn report_json(
    dir: &Path,
    h: &History,
    problems: &[alembic::Problem],
    dbs: &[DbState],
) -> serde_json::Value {
    let revisions: Vec<serde_json::Value> = h
        .revisions
        .iter()
        .map(|r| {
            json!({
                "revision": r.id,
                "down_revision": r.down,
                "branch_labels": r.branch_labels,
                "depends_on": r.depends_on,
                "message": r.message,
                "file": r.file.display().to_string(),
            })
        })
        .collect();
    let databases: Vec<serde_json::Value> = dbs
        .iter()
        .map(|db| match &db.versions {
            Err(e) => json!({ "database": db.label, "error": e }),
            Ok(v) => {
                let p = h.position(v);
                json!({
                    "database": db.label,
                    "at": p.at,
                    "unknown": p.unknown,
                    "at_heads": p.at_heads,
                    "behind": p.behind,
                })
            }
        })
        .collect();
    json!({
        "ok": !problems.iter().any(alembic::Problem::breaks),
        "script_dir": dir.display().to_string(),
        "revisions": revisions,
        "bases": h.bases(),
        "heads": h.heads(),
        "labelled_branches": h.labelled_branches().unwrap_or_default().into_iter().map(|(l, head)| json!({ "label": l, "head": head })).collect::<Vec<_>>(),
        "branch_points": h.branch_points().into_iter().map(|(at, c)| json!({ "revision": at, "children": c })).collect::<Vec<_>>(),
        "merges": h.merges().iter().map(|m| json!({ "revision": m.id, "merges": m.down })).collect::<Vec<_>>(),
        "problems": problems.iter().map(|p| json!({ "error": p.breaks(), "message": p.text() })).collect::<Vec<_>>(),
        "databases": databases,
    })
}
