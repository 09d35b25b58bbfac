//! `schemactl inspect`: the round trip is the contract. For a database D, the files
//! `inspect` writes compile to a model equal to the catalog model of D (`diff` empty both
//! ways).
//!
//! - `inspect_round_trips_random_schemas`: every random project of the round-trip property
//!   test (`support::gen`, every object kind) is applied to an empty database, inspected
//!   through `commands::inspect::run` (odd seeds with `--split table`), compiled and compared
//!   with the catalog; every tenth seed is inspected twice and must give the same bytes.
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
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&seed) = seeds.get(i) else { break };
                    let result = catch_unwind(AssertUnwindSafe(|| {
                        case(&mut client, &db.conninfo, seed, single.is_some())
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
            schemactl::diag::render_text(&d, &loaded.sources)
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
) -> Result<(tempfile::TempDir, Model), String> {
    let dir = inspect_into(conninfo, split)?;
    let files = tree(dir.path());
    let fail = |what: String| format!("{what}\n===== inspected =====\n{}", show(&files));
    let (mut inspected, schemas) = compile_at(dir.path()).map_err(fail)?;
    let opts = ReadOptions {
        schemas,
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
    Ok((dir, inspected))
}

fn case(
    client: &mut postgres::Client,
    conninfo: &str,
    seed: u64,
    verbose: bool,
) -> Result<(), String> {
    reset(client)?;
    let v1 = r#gen::schema(seed);
    let refs: Vec<(&str, &str)> = v1.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    let gen_dir = support::project::project(&refs);
    let (model, _) = compile_at(gen_dir.path())?;
    let plan = schemactl::plan::plan(diff(&Model::default(), &model));
    if !plan.unsupported.is_empty() {
        return Err(format!("cannot plan: {:?}", plan.unsupported));
    }
    let mut tx = client.transaction().map_err(|e| e.to_string())?;
    tx.batch_execute(&plan.sql_body())
        .map_err(|e| format!("apply failed: {}", schemactl::devdb::describe_pg_error(&e)))?;
    tx.commit().map_err(|e| e.to_string())?;

    let split = if seed % 2 == 1 {
        Split::Table
    } else {
        Split::Schema
    };
    let (dir, _) = inspect_round_trip(client, conninfo, split).map_err(|e| {
        let generated: String = v1
            .iter()
            .map(|(p, t)| format!("--- {p} ---\n{t}"))
            .collect();
        format!("{e}\n===== generated =====\n{generated}")
    })?;
    if verbose {
        eprintln!("{}", show(&tree(dir.path())));
    }
    if seed % 10 == 0 {
        let again = inspect_into(conninfo, split)?;
        if tree(dir.path()) != tree(again.path()) {
            return Err(format!(
                "inspecting twice gave different files\n--- first:\n{}\n--- second:\n{}",
                show(&tree(dir.path())),
                show(&tree(again.path()))
            ));
        }
    }
    Ok(())
}
