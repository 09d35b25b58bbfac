//! `schemactl inspect`: the round trip is the contract. For a database D, the files
//! `inspect` writes compile to a model equal to the catalog model of D (`diff` empty both
//! ways).
//!
//! - `inspect_round_trips_random_schemas`: every random project of the round-trip property
//!   test (`support::gen`, every object kind) is applied to an empty database, inspected
//!   (and, for about a third of the seeds, evolved to its second version on top, which
//!   leaves renamed objects and non-default names behind), inspected through
//!   `commands::inspect::run` (odd seeds with `--split table`), compiled and compared with
//!   the catalog; the inspected model is then planned from empty into a second database,
//!   whose catalog must equal the first's. Every tenth seed is inspected twice and must give
//!   the same bytes.
//!   Case counts follow `tests/roundtrip.rs`: 200 seeds by default,
//!   `SCHEMACTL_ROUNDTRIP_CASES=N` runs `0..N`, `SCHEMACTL_ROUNDTRIP_SEED=S` runs one seed
//!   (printing the generated and inspected files), `SCHEMACTL_ROUNDTRIP_THREADS` sets the
//!   workers.
//! - Pagila (`inspect_pagila_round_trips`): Pagila loaded with psql is inspected, compiled
//!   (zero diff), planned from empty, applied into an empty database, and both databases
//!   are compared with `pg_dump -s` like `tests/pagila.rs`.
//! - Errors: a non-empty schema directory (exit 2), an unreachable database (exit 3), a
//!   database without objects (exit 2), and nothing written in each case.

mod support;

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use schemactl::catalog::{self, ReadOptions};
use schemactl::commands::{Exit, Global, inspect};
use schemactl::compile;
use schemactl::diff::{Change, diff};
use schemactl::inspect::Split;
use schemactl::model::Model;
use support::r#gen;

const DEFAULT_CASES: u64 = 200;
const SHOWN: usize = 3;

fn env_u64(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    Some(
        value
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, found {value:?}")),
    )
}

#[test]
fn inspect_round_trips_random_schemas() {
    let single = env_u64("SCHEMACTL_ROUNDTRIP_SEED");
    let seeds: Vec<u64> = match single {
        Some(seed) => vec![seed],
        None => (0..env_u64("SCHEMACTL_ROUNDTRIP_CASES").unwrap_or(DEFAULT_CASES)).collect(),
    };
    let threads = env_u64("SCHEMACTL_ROUNDTRIP_THREADS")
        .map(|n| n.max(1) as usize)
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map_or(2, |n| n.get())
                .min(4)
        })
        .min(seeds.len().max(1));
    let started = Instant::now();
    let next = AtomicUsize::new(0);
    let failures: Mutex<Vec<(u64, String)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let db = support::test_db();
                let mut client = db.connect();
                client.batch_execute(r#gen::ROLES_SQL).unwrap();
                let db2 = support::test_db();
                let mut rebuild = db2.connect();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&seed) = seeds.get(i) else { break };
                    let result = catch_unwind(AssertUnwindSafe(|| {
                        case(
                            &mut client,
                            &db.conninfo,
                            &mut rebuild,
                            seed,
                            single.is_some(),
                        )
                    }))
                    .unwrap_or_else(|panic| {
                        let message = panic
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_default();
                        Err(format!("panicked: {message}"))
                    });
                    if let Err(message) = result {
                        failures.lock().unwrap().push((seed, message));
                    }
                    if client.is_closed() {
                        client = db.connect();
                    }
                    if rebuild.is_closed() {
                        rebuild = db2.connect();
                    }
                }
            });
        }
    });
    let mut failures = failures.into_inner().unwrap();
    failures.sort_by_key(|(seed, _)| *seed);
    eprintln!(
        "inspect round trip: {} cases on {threads} workers in {:.1?}",
        seeds.len(),
        started.elapsed()
    );
    if let Ok(path) = std::env::var("SCHEMACTL_ROUNDTRIP_REPORT") {
        let all: String = failures
            .iter()
            .map(|(seed, message)| format!("================ seed {seed}\n{message}\n"))
            .collect();
        std::fs::write(path, all).unwrap();
    }
    if !failures.is_empty() {
        let mut report = format!(
            "{} of {} seeds failed: {:?}\n",
            failures.len(),
            seeds.len(),
            failures.iter().map(|(s, _)| *s).collect::<Vec<_>>()
        );
        for (seed, message) in failures.iter().take(SHOWN) {
            report.push_str(&format!(
                "\n================ seed {seed} (rerun: SCHEMACTL_ROUNDTRIP_SEED={seed}) ================\n{message}\n"
            ));
        }
        panic!("{report}");
    }
}

/// Empty the database: drop every non-system schema, recreate `public`.
fn reset(client: &mut postgres::Client) -> Result<(), String> {
    let rows = client
        .query(
            "SELECT nspname FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') \
             AND nspname NOT LIKE 'pg\\_temp\\_%' AND nspname NOT LIKE 'pg\\_toast\\_temp\\_%'",
            &[],
        )
        .map_err(|e| schemactl::devdb::describe_pg_error(&e))?;
    let mut sql = String::new();
    let names: Vec<String> = rows
        .iter()
        .map(|r| schemactl::sql::quote_ident(r.get(0)))
        .collect();
    if !names.is_empty() {
        sql.push_str(&format!("DROP SCHEMA {} CASCADE;", names.join(", ")));
    }
    sql.push_str("CREATE SCHEMA public;");
    client
        .batch_execute(&sql)
        .map_err(|e| format!("reset: {}", schemactl::devdb::describe_pg_error(&e)))
}

fn compile_at(dir: &Path) -> Result<(Model, Vec<String>), String> {
    let loaded = compile::load_project(dir);
    let schemas = loaded
        .project
        .config
        .schema_names()
        .map(String::from)
        .collect();
    match compile::compile(&loaded.project, &loaded.raw, loaded.diags, None) {
        Ok(out) => Ok((out.model, schemas)),
        Err(d) => Err(format!(
            "does not compile:\n{}",
            schemactl::diag::render_text(&d, &loaded.sources, false)
        )),
    }
}

/// Every file under `dir` (relative path → text), sorted.
fn tree(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read_to_string(&p).unwrap_or_default());
            }
        }
    }
    out
}

fn show(files: &BTreeMap<String, String>) -> String {
    files
        .iter()
        .map(|(p, t)| format!("--- {p} ---\n{t}"))
        .collect()
}

fn describe(changes: &[Change]) -> String {
    changes.iter().map(|c| format!("  {c:?}\n")).collect()
}

/// Inspect the database into a new project directory through the command.
fn inspect_into(conninfo: &str, split: Split) -> Result<tempfile::TempDir, String> {
    let dir = tempfile::tempdir().unwrap();
    let g = Global {
        project: Some(dir.path().to_path_buf()),
        db: Some(conninfo.to_string()),
        ..Global::default()
    };
    let out = inspect::run(
        &g,
        &inspect::Options {
            split,
            ..Default::default()
        },
    );
    if out.exit != Exit::Ok {
        return Err(format!(
            "inspect exited {:?}\n{}{}",
            out.exit, out.stdout, out.stderr
        ));
    }
    Ok(dir)
}

/// Inspect → compile → compare with the catalog, both ways.
fn inspect_round_trip(
    client: &mut postgres::Client,
    conninfo: &str,
    split: Split,
) -> Result<(tempfile::TempDir, Model, Model, Vec<String>), String> {
    let dir = inspect_into(conninfo, split)?;
    let files = tree(dir.path());
    let fail = |what: String| format!("{what}\n===== inspected =====\n{}", show(&files));
    let (mut inspected, schemas) = compile_at(dir.path()).map_err(fail)?;
    let opts = ReadOptions {
        schemas: schemas.clone(),
        ignore: Vec::new(),
        history_schema: "schemactl".into(),
    };
    let mut cat = catalog::read(client, &opts)
        .map_err(|e| fail(format!("read: {}", schemactl::devdb::describe_pg_error(&e))))?;
    schemactl::commands::inspect::without_ignored_tables(&mut cat.model);
    catalog::server_forms(client, &mut inspected).map_err(|e| {
        fail(format!(
            "forms: {}",
            schemactl::devdb::describe_pg_error(&e)
        ))
    })?;
    let forward = diff(&cat.model, &inspected);
    let backward = diff(&inspected, &cat.model);
    if !forward.is_empty() || !backward.is_empty() {
        return Err(fail(format!(
            "inspected model differs from the catalog\ncatalog → inspected:\n{}inspected → catalog:\n{}",
            describe(&forward),
            describe(&backward)
        )));
    }
    Ok((dir, inspected, cat.model, schemas))
}

/// Plan `to` from `from`, apply it.
fn plan_apply(client: &mut postgres::Client, from: &Model, to: &Model) -> Result<(), String> {
    let plan = schemactl::plan::plan(diff(from, to));
    if !plan.unsupported.is_empty() {
        return Err(format!("cannot plan: {:?}", plan.unsupported));
    }
    let sql = plan.sql_body();
    let mut tx = client.transaction().map_err(|e| e.to_string())?;
    tx.batch_execute(&sql).map_err(|e| {
        format!(
            "apply failed: {}\n--- SQL ---\n{sql}",
            schemactl::devdb::describe_pg_error(&e)
        )
    })?;
    tx.commit().map_err(|e| e.to_string())
}

/// One seed: the generated project (and, for about a third of the seeds, its evolved second
/// version on top) is applied to `client`'s database, which is inspected; the inspected
/// project must compile to the catalog's model, and planned from empty into `rebuild`'s
/// (emptied) database it must build a database whose catalog model is the same again.
fn case(
    client: &mut postgres::Client,
    conninfo: &str,
    rebuild: &mut postgres::Client,
    seed: u64,
    verbose: bool,
) -> Result<(), String> {
    reset(client)?;
    let v1 = r#gen::schema(seed);
    let refs: Vec<(&str, &str)> = v1.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    let gen_dir = support::project::project(&refs);
    let (model, _) = compile_at(gen_dir.path())?;
    plan_apply(client, &Model::default(), &model)?;
    let mut generated: String = v1
        .iter()
        .map(|(p, t)| format!("--- {p} ---\n{t}"))
        .collect();
    if let Some(v2) = r#gen::evolved(seed) {
        let refs: Vec<(&str, &str)> = v2.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
        let dir2 = support::project::project(&refs);
        let loaded = compile::load_project(dir2.path());
        let model2 = compile::compile(&loaded.project, &loaded.raw, loaded.diags, Some(&model))
            .map_err(|_| "v2 does not compile".to_string())?
            .model;
        plan_apply(client, &model, &model2)?;
        generated.push_str("===== evolved to =====\n");
        generated.extend(v2.iter().map(|(p, t)| format!("--- {p} ---\n{t}")));
    }
    let with_generated = |e: String| format!("{e}\n===== generated =====\n{generated}");

    let split = if seed % 2 == 1 {
        Split::Table
    } else {
        Split::Schema
    };
    let (dir, inspected, cat, schemas) =
        inspect_round_trip(client, conninfo, split).map_err(with_generated)?;
    let files = tree(dir.path());
    if verbose {
        eprintln!("{}", show(&files));
    }
    if seed % 10 == 0 {
        let again = inspect_into(conninfo, split)?;
        if files != tree(again.path()) {
            return Err(format!(
                "inspecting twice gave different files\n--- first:\n{}\n--- second:\n{}",
                show(&files),
                show(&tree(again.path()))
            ));
        }
    }

    // The inspected project builds the same database from empty.
    reset(rebuild)?;
    let with_files =
        |e: String| with_generated(format!("{e}\n===== inspected =====\n{}", show(&files)));
    plan_apply(rebuild, &Model::default(), &inspected)
        .map_err(|e| with_files(format!("rebuild: {e}")))?;
    let opts = ReadOptions {
        schemas,
        ignore: Vec::new(),
        history_schema: "schemactl".into(),
    };
    let rebuilt = catalog::read(rebuild, &opts)
        .map_err(|e| with_files(format!("read: {}", schemactl::devdb::describe_pg_error(&e))))?
        .model;
    let forward = diff(&cat, &rebuilt);
    let backward = diff(&rebuilt, &cat);
    if !forward.is_empty() || !backward.is_empty() {
        return Err(with_files(format!(
            "the database rebuilt from the inspected files differs\noriginal → rebuilt:\n{}rebuilt → original:\n{}",
            describe(&forward),
            describe(&backward)
        )));
    }
    Ok(())
}

fn ok(out: std::process::Output, what: &str) -> String {
    let stdout = support::project::text(&out.stdout);
    assert!(
        out.status.success(),
        "{what}: exit {:?}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status.code(),
        support::project::text(&out.stderr)
    );
    stdout
}

/// Pagila loaded with psql → `inspect` (through the binary) → compile: zero diff; then
/// `plan -m init` + `apply` of the inspected project into an empty database gives the same
/// `pg_dump -s`, object by object.
#[test]
fn inspect_pagila_round_trips() {
    use support::dump;
    let loaded = support::test_db();
    let sql = support::project::repo_root().join("tests/fixtures/pagila/pagila-schema.sql");
    dump::psql_file(&loaded.conninfo, &sql);

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = ok(
        support::project::schemactl_db(d, &loaded.conninfo, &["inspect"]),
        "inspect",
    );
    eprintln!("{out}");
    assert!(
        out.contains("Inspected schema(s) public into 1 file(s)"),
        "{out}"
    );
    assert!(out.contains("Everything was expressed."), "{out}");
    for (kind, n) in [
        ("tables", 16),
        ("partitions", 55),
        ("enums", 1),
        ("domains", 2),
        ("sequences", 13),
        ("views", 7),
        ("materialized views", 1),
        ("functions", 9),
        ("aggregates", 1),
        ("triggers", 16),
    ] {
        let line = out
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{kind}  ")))
            .unwrap_or_else(|| panic!("no `{kind}` in the summary:\n{out}"));
        assert!(line.trim_end().ends_with(&format!(" {n}")), "{line}\n{out}");
    }
    let files = tree(d);
    if let Ok(keep) = std::env::var("SCHEMACTL_INSPECT_KEEP") {
        // For reading the output: `SCHEMACTL_INSPECT_KEEP=/tmp/pagila cargo test …`.
        support::project::copy_tree(d, Path::new(&keep));
    }
    let text = &files["schema/public.toml"];
    // Idiomatic: default names left out, column shorthands, short types.
    assert!(text.contains("[tables.actor.columns]"), "{text}");
    assert!(!text.contains("name = \"actor_pkey\""), "{text}");
    assert!(text.contains("primary_key = true"), "{text}");
    assert!(
        text.contains("references = \"language.language_id\""),
        "{text}"
    );
    assert!(text.contains("type = \"timestamptz\""), "{text}");

    // Zero diff against the catalog, both ways.
    let mut client = loaded.connect();
    let (mut inspected, schemas) =
        compile_at(d).unwrap_or_else(|e| panic!("{e}\n{}", show(&files)));
    assert_eq!(schemas, ["public"]);
    let cat = catalog::read(
        &mut client,
        &ReadOptions {
            schemas,
            ignore: Vec::new(),
            history_schema: "schemactl".into(),
        },
    )
    .unwrap();
    assert!(cat.skipped.is_empty(), "{:?}", cat.skipped);
    catalog::server_forms(&mut client, &mut inspected).unwrap();
    let forward = diff(&cat.model, &inspected);
    let backward = diff(&inspected, &cat.model);
    assert!(
        forward.is_empty() && backward.is_empty(),
        "catalog → inspected:\n{}inspected → catalog:\n{}",
        describe(&forward),
        describe(&backward)
    );

    // Inspecting again gives the same bytes.
    let again = tempfile::tempdir().unwrap();
    ok(
        support::project::schemactl_db(again.path(), &loaded.conninfo, &["inspect"]),
        "inspect again",
    );
    assert_eq!(tree(again.path()), files);

    // plan -m init, apply into an empty database: the same database.
    ok(
        support::project::schemactl(d, &["plan", "-m", "init"]),
        "plan",
    );
    let applied = support::test_db();
    ok(
        support::project::schemactl_db(d, &applied.conninfo, &["apply"]),
        "apply",
    );
    let drift = ok(
        support::project::schemactl_db(d, &applied.conninfo, &["drift"]),
        "drift",
    );
    assert!(drift.starts_with("No drift"), "{drift}");
    let pagila = dump::objects(&dump::dump(&loaded.conninfo));
    let rebuilt = dump::objects(&dump::dump(&applied.conninfo));
    assert!(pagila.len() > 300, "{} objects", pagila.len());
    let report = dump::differences(
        &rebuilt,
        &pagila,
        "applied from the inspected project",
        "Pagila loaded with psql",
    );
    assert!(report.is_empty(), "pg_dump -s differs:\n{report}");

    // Adopting the original: baseline, then status, drift and diff --db are all clean.
    let db = &loaded.conninfo;
    let baselined = ok(
        support::project::schemactl_db(d, db, &["baseline"]),
        "baseline",
    );
    assert!(baselined.contains("baselined 0001_init"), "{baselined}");
    let status = ok(support::project::schemactl_db(d, db, &["status"]), "status");
    assert!(status.contains("0 pending"), "{status}");
    let drift = ok(support::project::schemactl_db(d, db, &["drift"]), "drift");
    assert!(drift.starts_with("No drift"), "{drift}");
    let diff = ok(support::project::schemactl_db(d, db, &["diff"]), "diff");
    assert!(diff.starts_with("No differences"), "{diff}");
    let quiet = ok(
        support::project::schemactl_db(d, db, &["-q", "diff"]),
        "diff -q",
    );
    assert_eq!(
        quiet, "",
        "diff --db prints nothing for an adopted database"
    );
}

/// A project whose schema directory holds files: refused (exit 2) without `--force`,
/// nothing written; `--force` replaces them.
#[test]
fn inspect_refuses_a_non_empty_schema_dir_without_force() {
    let db = support::test_db();
    db.connect()
        .batch_execute("CREATE TABLE t (id integer PRIMARY KEY)")
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("schema")).unwrap();
    std::fs::write(
        d.join("schema/old.toml"),
        "[tables.old.columns]\na = { type = \"text\" }\n",
    )
    .unwrap();
    let before = tree(d);
    let out = support::project::schemactl_db(d, &db.conninfo, &["inspect"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        support::project::text(&out.stderr)
    );
    let err = support::project::text(&out.stderr);
    assert!(
        err.contains("schema/old.toml") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(tree(d), before, "nothing written");

    ok(
        support::project::schemactl_db(d, &db.conninfo, &["inspect", "--force"]),
        "inspect --force",
    );
    let after = tree(d);
    assert!(!after.contains_key("schema/old.toml"), "{after:?}");
    assert_eq!(
        after["schema/public.toml"],
        "# Schema public. Written by `schemactl inspect`.\n\n[tables.t]\n\n[tables.t.columns]\nid = { type = \"integer\", primary_key = true }\n"
    );
    assert!(after["schemactl.toml"].contains("schemas        = [\"public\"]"));
}

/// An unreachable database: exit 3, nothing written.
#[test]
fn inspect_of_an_unreachable_database_fails_with_3() {
    let dir = tempfile::tempdir().unwrap();
    let out = support::project::schemactl_db(
        dir.path(),
        "host=127.0.0.1 port=1 dbname=nothing user=nobody connect_timeout=2",
        &["inspect"],
    );
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        support::project::text(&out.stderr)
    );
    assert!(tree(dir.path()).is_empty());
}

/// A database without objects (exit 2), an unknown schema (exit 2); nothing written.
#[test]
fn inspect_of_nothing_is_invalid_input() {
    let db = support::test_db();
    let dir = tempfile::tempdir().unwrap();
    let out = support::project::schemactl_db(dir.path(), &db.conninfo, &["inspect"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        support::project::text(&out.stderr)
    );
    assert!(support::project::text(&out.stderr).contains("holds no objects"));
    let out = support::project::schemactl_db(
        dir.path(),
        &db.conninfo,
        &["inspect", "--schemas", "public,nope"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(support::project::text(&out.stderr).contains("no schema `nope`"));
    assert!(tree(dir.path()).is_empty());
}

/// `alembic_version` is never written and is recorded in `project.ignore`; `--split table`
/// writes a file per table and `--schemas` picks the schemas; an existing `schemactl.toml`
/// keeps everything but the values inspect sets.
#[test]
fn inspect_skips_alembic_version_and_splits_by_table() {
    let db = support::test_db();
    db.connect()
        .batch_execute(
            "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);
             CREATE SCHEMA app;
             CREATE TYPE app.mood AS ENUM ('happy', 'sad');
             CREATE TABLE app.members (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                 mood app.mood NOT NULL DEFAULT 'happy', name text UNIQUE);
             CREATE TABLE app.visits (id serial PRIMARY KEY,
                 member_id bigint NOT NULL REFERENCES app.members ON DELETE CASCADE);
             CREATE TABLE other (x int);",
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("schemactl.toml"),
        "# ours\n[project]\nschemas = [\"public\"]\n\n[history]\nschema = \"schemactl\"\n",
    )
    .unwrap();
    let out = ok(
        support::project::schemactl_db(
            d,
            &db.conninfo,
            &["inspect", "--split", "table", "--schemas", "app,public"],
        ),
        "inspect",
    );
    assert!(out.contains("ignored public.alembic_version"), "{out}");
    let files = tree(d);
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "schema/app/_schema.toml",
            "schema/app/members.toml",
            "schema/app/visits.toml",
            "schema/public/other.toml",
            "schemactl.toml"
        ],
        "{}",
        show(&files)
    );
    assert_eq!(
        files["schemactl.toml"],
        "# ours\n[project]\nschemas = [\"app\", \"public\"]\nignore = [\"public.alembic_version\"]\n\n[history]\nschema = \"schemactl\"\n"
    );
    assert_eq!(
        files["schema/app/visits.toml"],
        "# Schema app. Written by `schemactl inspect`.\n\nschema = \"app\"\n\n[tables.visits]\n\n[tables.visits.columns]\nid        = { type = \"serial\", primary_key = true }\nmember_id = { type = \"bigint\", references = \"members.id\", on_delete = \"cascade\" }\n"
    );
    assert!(
        files["schema/app/members.toml"]
            .contains("mood = { type = \"mood\", default = \"happy\" }"),
        "{}",
        files["schema/app/members.toml"]
    );
    let (_, schemas) = compile_at(d).unwrap();
    assert_eq!(schemas, ["app", "public"]);
    // drift-style read with the recorded ignore list: alembic_version is not there.
    let loaded = compile::load_project(d);
    assert_eq!(loaded.project.config.ignore, ["public.alembic_version"]);
}

/// What the catalog reader cannot model is listed in the summary (and the JSON) with its
/// reason, and written as a comment at the top of its schema's file.
#[test]
fn inspect_lists_what_it_cannot_express() {
    let db = support::test_db();
    db.connect()
        .batch_execute(
            "CREATE SCHEMA app;
             CREATE TABLE app.t (a integer CHECK (a > 0));
             CREATE FUNCTION app.twice(x integer) RETURNS integer LANGUAGE sql
                 BEGIN ATOMIC SELECT x * 2; END;",
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = ok(
        support::project::schemactl_db(d, &db.conninfo, &["inspect", "--schemas", "app"]),
        "inspect",
    );
    let note = "function `app.twice`: a SQL-standard body (BEGIN ATOMIC) is not part of the model";
    assert!(
        out.contains(&format!(
            "Not expressed (1; also written as comments in the files):\n  - {note}\n"
        )),
        "{out}"
    );
    let files = tree(d);
    assert_eq!(
        files["schema/app.toml"],
        format!(
            "# Schema app. Written by `schemactl inspect`.\n# Not expressed in these files (left as the database has it):\n#   - {note}\n\nschema = \"app\"\n\n[tables.t]\n\n[tables.t.columns]\na = {{ type = \"integer\", nullable = true }}\n\n[[tables.t.checks]]\nexpr = \"a > 0\"\n"
        )
    );
    let json = ok(
        support::project::schemactl_db(
            d,
            &db.conninfo,
            &["inspect", "--schemas", "app", "--force", "--format", "json"],
        ),
        "inspect --format json",
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["not_expressed"][0], note);
    assert_eq!(v["counts"]["tables"], 1);
    assert_eq!(v["files"][0], "schema/app.toml");
    assert_eq!(tree(d), files, "the same bytes again");

    // `--out DIR`: the files go there; the project (and its schemactl.toml) is left alone.
    let out_dir = tempfile::tempdir().unwrap();
    let target = out_dir.path().join("inspected");
    ok(
        support::project::schemactl_db(
            d,
            &db.conninfo,
            &[
                "inspect",
                "--schemas",
                "app",
                "--out",
                target.to_str().unwrap(),
            ],
        ),
        "inspect --out",
    );
    assert_eq!(tree(d), files);
    let written = tree(&target);
    assert_eq!(written.keys().collect::<Vec<_>>(), ["app.toml"]);
    assert_eq!(written["app.toml"], files["schema/app.toml"]);
}

/// Names across schemas: a partition of another schema's table, a column of `public`'s enum
/// where the schema has a type of the same name, foreign keys to `public` with and without a
/// same-named table in the referring schema, a trigger calling a `public` function. The
/// inspected files compile back with zero diff, in both layouts.
#[test]
fn inspect_resolves_names_across_schemas() {
    let db = support::test_db();
    let mut client = db.connect();
    client
        .batch_execute(
            "CREATE SCHEMA app;
             CREATE TYPE mood AS ENUM ('a', 'b');
             CREATE TYPE app.mood AS ENUM ('x');
             CREATE TABLE parent (id integer PRIMARY KEY);
             CREATE TABLE other (id integer PRIMARY KEY);
             CREATE TABLE app.parent (id integer PRIMARY KEY);
             CREATE TABLE app.child (
                 id integer PRIMARY KEY,
                 p integer REFERENCES public.parent,
                 q integer REFERENCES app.parent,
                 o integer REFERENCES public.other,
                 m1 mood, m2 app.mood);
             CREATE TABLE events (id integer, at date) PARTITION BY RANGE (at);
             CREATE TABLE app.events_2024 PARTITION OF public.events
                 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
             CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
             CREATE TRIGGER t BEFORE UPDATE ON app.child FOR EACH ROW EXECUTE FUNCTION touch();",
        )
        .unwrap();
    for split in [Split::Schema, Split::Table] {
        let (dir, _, _, _) = inspect_round_trip(&mut client, &db.conninfo, split)
            .unwrap_or_else(|e| panic!("{split:?}: {e}"));
        let files = tree(dir.path());
        let app: String = files
            .iter()
            .filter(|(p, _)| p.starts_with("schema/app"))
            .map(|(_, t)| t.as_str())
            .collect();
        for needle in [
            "p  = { type = \"integer\", nullable = true, references = \"public.parent.id\" }",
            "q  = { type = \"integer\", nullable = true, references = \"parent.id\" }",
            "o  = { type = \"integer\", nullable = true, references = \"other.id\" }",
            "m1 = { type = \"public.mood\", nullable = true }",
            "m2 = { type = \"mood\", nullable = true }",
            "partition_of = \"public.events\"",
            "bounds = { from = \"2024-01-01\", to = \"2025-01-01\" }",
            "function = \"touch\"",
        ] {
            assert!(app.contains(needle), "{split:?}: no `{needle}` in\n{app}");
        }
    }
}

/// A view's triggers (`INSTEAD OF` row triggers and a statement trigger with arguments and
/// a comment), comments on view and materialized view columns, and schema comments (on
/// `public`, on a schema with objects and on one without) are written, compile back with
/// zero diff in both layouts, and the schema comment is in exactly one file of its schema.
#[test]
fn inspect_writes_view_triggers_column_comments_and_schema_comments() {
    let db = support::test_db();
    let mut client = db.connect();
    client
        .batch_execute(
            "CREATE SCHEMA app;
             CREATE SCHEMA later;
             COMMENT ON SCHEMA app IS 'Application data';
             COMMENT ON SCHEMA public IS 'Shared objects';
             COMMENT ON SCHEMA later IS 'Nothing here yet';
             CREATE TABLE app.item (id integer PRIMARY KEY, name text);
             CREATE VIEW app.item_api AS SELECT id, name AS label FROM app.item;
             COMMENT ON COLUMN app.item_api.label IS 'Shown to users';
             COMMENT ON COLUMN app.item_api.id IS 'it''s the key';
             CREATE MATERIALIZED VIEW app.item_count AS SELECT count(*) AS n FROM app.item;
             COMMENT ON COLUMN app.item_count.n IS 'How many';
             CREATE FUNCTION app.item_api_write() RETURNS trigger LANGUAGE plpgsql
                 AS $$BEGIN RETURN NEW; END$$;
             CREATE FUNCTION audit_statement() RETURNS trigger LANGUAGE plpgsql
                 AS $$BEGIN RETURN NULL; END$$;
             CREATE TRIGGER write INSTEAD OF INSERT OR UPDATE OR DELETE ON app.item_api
                 FOR EACH ROW EXECUTE FUNCTION app.item_api_write();
             CREATE TRIGGER audit AFTER UPDATE ON app.item_api
                 FOR EACH STATEMENT EXECUTE FUNCTION audit_statement('item', 'api');
             COMMENT ON TRIGGER write ON app.item_api IS 'Writes through to item';",
        )
        .unwrap();
    let (dir, _, model, _) = inspect_round_trip(&mut client, &db.conninfo, Split::Schema)
        .unwrap_or_else(|e| panic!("{e}"));
    let view = &model.schemas["app"].views["item_api"];
    assert_eq!(view.triggers.len(), 2, "{view:?}");
    assert_eq!(view.column_comments.len(), 2, "{view:?}");
    assert_eq!(
        model.schemas["later"].comment.as_deref(),
        Some("Nothing here yet")
    );
    let files = tree(dir.path());
    assert_eq!(
        files["schema/app.toml"],
        "# Schema app. Written by `schemactl inspect`.

schema = \"app\"
schema_comment = \"Application data\"

[functions.item_api_write]
returns = \"trigger\"
language = \"plpgsql\"
body = \"BEGIN RETURN NEW; END\"

[views.item_api]
query = \"\"\"
SELECT item.id,
    item.name AS label
   FROM app.item
\"\"\"
column_comments = { id = \"it's the key\", label = \"Shown to users\" }

[views.item_api.triggers.audit]
timing = \"after\"
events = [\"update\"]
function = \"audit_statement\"
args = [\"item\", \"api\"]

[views.item_api.triggers.write]
timing = \"instead_of\"
events = [\"insert\", \"delete\", \"update\"]
for_each = \"row\"
function = \"item_api_write\"
comment = \"Writes through to item\"

[materialized_views.item_count]
query = \"\"\"
SELECT count(*) AS n
   FROM app.item
\"\"\"
column_comments = { n = \"How many\" }

[tables.item]

[tables.item.columns]
id   = { type = \"integer\", primary_key = true }
name = { type = \"text\", nullable = true }
",
        "{}",
        show(&files)
    );
    assert!(
        files["schema/public.toml"].starts_with(
            "# Schema public. Written by `schemactl inspect`.\n\nschema_comment = \"Shared objects\"\n"
        ),
        "{}",
        show(&files)
    );
    assert_eq!(
        files["schema/later.toml"],
        "# Schema later. Written by `schemactl inspect`.\n\nschema = \"later\"\nschema_comment = \"Nothing here yet\"\n"
    );

    // One file per table: the comment is in `_schema.toml` only.
    let (dir, _, _, _) = inspect_round_trip(&mut client, &db.conninfo, Split::Table)
        .unwrap_or_else(|e| panic!("{e}"));
    let files = tree(dir.path());
    let declaring: Vec<&String> = files
        .iter()
        .filter(|(_, t)| t.contains("schema_comment"))
        .map(|(p, _)| p)
        .collect();
    assert_eq!(
        declaring,
        [
            "schema/app/_schema.toml",
            "schema/later/_schema.toml",
            "schema/public/_schema.toml"
        ],
        "{}",
        show(&files)
    );
    assert!(files["schema/app/_schema.toml"].contains("[views.item_api.triggers.write]\n"));
}
