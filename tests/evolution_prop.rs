//! Evolution property test: a random project S1 (`support::gen`) and a random second version
//! S2 made from it by one to six random changes of any kind (`support::mutate`: tables,
//! columns, types, nullability, defaults, identity, collations, comments, keys, checks,
//! indexes, foreign keys, enums, schemas added, dropped and changed). For each seed, on real
//! PostgreSQL, through the same code paths as the commands:
//!
//! 1. `plan` S1 (`commands::plan::run`), `apply` it; the catalog reads back as S1;
//! 2. `plan` S2 with `--allow deletes_data`, `apply` it; the catalog reads back as S2;
//! 3. `rollback --to 1` (the down file of migration 2); the catalog reads back as S1.
//!
//! "Reads back as" means `diff` is empty both ways between the compiled model and the model
//! read from the catalog.
//!
//! - `cargo test --test evolution_prop` runs 200 seeds (`0..200`);
//! - `SCHEMACTL_EVOLUTION_CASES=2000` runs seeds `0..2000` (`SCHEMACTL_EVOLUTION_START=N`
//!   starts at `N`);
//! - `SCHEMACTL_EVOLUTION_SEED=1234` runs that one seed, printing both versions;
//! - `SCHEMACTL_EVOLUTION_ONLY=0,2` replays only those change slots of the seed(s);
//!   `SCHEMACTL_EVOLUTION_KINDS=drop-column,replace-index` draws only those kinds (names in
//!   `support::mutate::KINDS`); `SCHEMACTL_EVOLUTION_ALLOW_BUGS=retype-fk-column` (or
//!   `all`) stops avoiding those known bugs (to watch one fail, or to check its fix);
//! - `cargo test --test evolution_prop -- --ignored` runs 5,000 seeds.
//!
//! `SCHEMACTL_EVOLUTION_REPORT=<file>` writes every failure in full to that file;
//! `SCHEMACTL_EVOLUTION_THREADS` sets the number of workers (default: available cores, at
//! most 4). Each worker owns one database and empties it between cases. A failing seed is
//! replayed with each of its change slots alone, and the report says which of them fail on
//! their own (usually the one to look at).
//!
//! Changes the mutator leaves out because schemactl plans them wrongly today are listed in
//! `KNOWN_BUGS` in `support/mutate.rs` (each a `KNOWN BUG:` comment); the summary line counts
//! how often each was avoided. Every case is rolled back; an irreversible down file fails it.

mod support;

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use schemactl::apply::{self, History};
use schemactl::catalog::{self, ReadOptions};
use schemactl::commands::{Exit, Global, plan};
use schemactl::compile;
use schemactl::diff::{Change, diff};
use schemactl::migrations::{self, Layout};
use schemactl::model::Model;
use support::r#gen::mutate::{self, Options};

const DEFAULT_CASES: u64 = 200;
/// Failures printed in full (every failing seed is listed).
const SHOWN: usize = 3;

#[test]
fn random_evolutions_apply_and_roll_back() {
    let seeds: Vec<u64> = match env_u64("SCHEMACTL_EVOLUTION_SEED") {
        Some(seed) => {
            let e = mutate::evolution(seed, &options());
            eprintln!(
                "===== v1 =====\n{}\n===== changes =====\n{}\n===== v2 =====\n{}",
                show_files(&e.v1),
                e.changes.join("\n"),
                show_files(&e.v2)
            );
            vec![seed]
        }
        None => {
            let start = env_u64("SCHEMACTL_EVOLUTION_START").unwrap_or(0);
            let n = env_u64("SCHEMACTL_EVOLUTION_CASES").unwrap_or(DEFAULT_CASES);
            (start..start + n).collect()
        }
    };
    run(&seeds);
}

#[test]
#[ignore = "5,000 cases: run with `cargo test --test evolution_prop -- --ignored`"]
fn random_evolutions_apply_and_roll_back_5000() {
    run(&(0..5_000).collect::<Vec<u64>>());
}

/// The mutator is deterministic, starts from `gen::schema`, changes something for most
/// seeds, and replays a subset of slots on request.
#[test]
fn mutator_is_deterministic_and_replays_slots() {
    let mut changed = 0;
    for seed in 0..200 {
        let a = mutate::evolution(seed, &Options::default());
        let b = mutate::evolution(seed, &Options::default());
        assert_eq!((&a.v1, &a.v2, &a.changes), (&b.v1, &b.v2, &b.changes));
        assert_eq!(a.v1, support::r#gen::schema(seed));
        assert!(!a.changes.is_empty() && a.changes.len() <= a.slots);
        if a.v1 != a.v2 {
            changed += 1;
        }
        let last = a.slots - 1;
        let only = Options {
            only: Some(vec![last]),
            ..Options::default()
        };
        let one = mutate::evolution(seed, &only);
        assert!(one.changes.len() <= 1, "{:?}", one.changes);
        assert!(
            one.changes
                .iter()
                .all(|c| c.starts_with(&format!("#{last} ")))
        );
    }
    assert!(
        changed > 180,
        "only {changed} of 200 seeds change the schema"
    );
    let kinds = Options {
        kinds: Some(vec!["drop-table".to_string()]),
        ..Options::default()
    };
    let e = mutate::evolution(3, &kinds);
    assert!(e.changes.iter().all(|c| c.contains(" drop-table: ")));
}

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

fn env_list(name: &str) -> Option<Vec<String>> {
    let value = std::env::var(name).ok()?;
    let items: Vec<String> = value
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    (!items.is_empty()).then_some(items)
}

/// `SCHEMACTL_EVOLUTION_ONLY`, `SCHEMACTL_EVOLUTION_KINDS`, `SCHEMACTL_EVOLUTION_ALLOW_BUGS`.
fn options() -> Options {
    let only = env_list("SCHEMACTL_EVOLUTION_ONLY").map(|v| {
        v.iter()
            .map(|s| s.parse().expect("SCHEMACTL_EVOLUTION_ONLY: slot numbers"))
            .collect()
    });
    let kinds = env_list("SCHEMACTL_EVOLUTION_KINDS");
    for k in kinds.iter().flatten() {
        assert!(
            mutate::KINDS.iter().any(|x| x.name == k),
            "SCHEMACTL_EVOLUTION_KINDS: unknown kind {k:?}"
        );
    }
    let allow_bugs = env_list("SCHEMACTL_EVOLUTION_ALLOW_BUGS").unwrap_or_default();
    for b in &allow_bugs {
        assert!(
            b == "all" || mutate::known_bugs().contains(&b.as_str()),
            "SCHEMACTL_EVOLUTION_ALLOW_BUGS: unknown bug {b:?} (known: {:?})",
            mutate::known_bugs()
        );
    }
    Options {
        only,
        kinds,
        allow_bugs,
    }
}

/// What the cases did, for the summary line.
#[derive(Default)]
struct Counts {
    changes: usize,
    empty: usize,
    /// Changes made, by kind.
    kinds: BTreeMap<String, usize>,
    /// Changes undone because they ran into a known bug, by bug.
    avoided: BTreeMap<&'static str, usize>,
}

/// Run every seed on a few worker threads; panic listing every failure.
fn run(seeds: &[u64]) {
    let threads = env_u64("SCHEMACTL_EVOLUTION_THREADS")
        .map(|n| n.max(1) as usize)
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map_or(2, |n| n.get())
                .min(4)
        })
        .min(seeds.len().max(1));
    let opts = options();
    let started = Instant::now();
    let next = AtomicUsize::new(0);
    let failures: Mutex<Vec<(u64, String)>> = Mutex::new(Vec::new());
    let counts = Mutex::new(Counts::default());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let db = support::test_db();
                let mut client = db.connect();
                client.batch_execute(support::r#gen::ROLES_SQL).unwrap();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&seed) = seeds.get(i) else { break };
                    let e = mutate::evolution(seed, &opts);
                    match guarded(&db, &mut client, &e) {
                        Ok(ran) => {
                            let mut c = counts.lock().unwrap();
                            c.changes += e.changes.len();
                            match ran {
                                Ran::Empty => c.empty += 1,
                                Ran::Full => {}
                            }
                            for change in &e.changes {
                                let kind = change.split(' ').nth(1).unwrap_or("?");
                                let kind = kind.trim_end_matches(':').to_string();
                                *c.kinds.entry(kind).or_default() += 1;
                            }
                            for bug in &e.avoided {
                                *c.avoided.entry(bug).or_default() += 1;
                            }
                        }
                        Err(message) => {
                            let message =
                                format!("{message}\n{}", shrink(&db, &mut client, seed, &e, &opts));
                            failures.lock().unwrap().push((seed, message));
                        }
                    }
                }
            });
        }
    });
    let mut failures = failures.into_inner().unwrap();
    failures.sort_by_key(|(seed, _)| *seed);
    let counts = counts.into_inner().unwrap();
    eprintln!(
        "evolution: {} cases ({} changes; {} planning nothing) on {threads} workers in {:.1?}\nchanges by kind (passing cases): {:?}\nchanges avoided (known bugs): {:?}",
        seeds.len(),
        counts.changes,
        counts.empty,
        started.elapsed(),
        counts.kinds,
        counts.avoided
    );
    if let Ok(path) = std::env::var("SCHEMACTL_EVOLUTION_REPORT") {
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
                "\n================ seed {seed} (rerun: SCHEMACTL_EVOLUTION_SEED={seed}) ================\n{message}\n"
            ));
        }
        panic!("{report}");
    }
}

/// One case, with panics turned into failures and the connection restored.
fn guarded(
    db: &support::TestDb,
    client: &mut postgres::Client,
    e: &mutate::Evolution,
) -> Result<Ran, String> {
    let result = catch_unwind(AssertUnwindSafe(|| case(client, e))).unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        Err(format!("panicked: {message}"))
    });
    if client.is_closed() {
        *client = db.connect();
    }
    result
}

/// Replay each change slot of a failing seed alone; name those that fail by themselves.
fn shrink(
    db: &support::TestDb,
    client: &mut postgres::Client,
    seed: u64,
    e: &mutate::Evolution,
    opts: &Options,
) -> String {
    if e.changes.len() < 2 {
        return String::new();
    }
    let mut out = String::from("===== each change alone =====\n");
    for slot in 0..e.slots {
        let alone = mutate::evolution(
            seed,
            &Options {
                only: Some(vec![slot]),
                ..opts.clone()
            },
        );
        let Some(change) = alone.changes.first() else {
            continue;
        };
        match guarded(db, client, &alone) {
            Ok(_) => out.push_str(&format!("passes: {change}\n")),
            Err(message) => {
                let first = message.lines().next().unwrap_or("");
                out.push_str(&format!(
                    "FAILS:  {change}\n        {first}\n        (rerun: SCHEMACTL_EVOLUTION_SEED={seed} SCHEMACTL_EVOLUTION_ONLY={slot})\n"
                ));
            }
        }
    }
    out
}

/// Empty the database: drop every non-system schema (the history schema too), recreate
/// `public`.
fn reset(client: &mut postgres::Client) -> Result<(), String> {
    let rows = client
        .query(
            "SELECT nspname FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') \
             AND nspname NOT LIKE 'pg\\_temp\\_%' AND nspname NOT LIKE 'pg\\_toast\\_temp\\_%'",
            &[],
        )
        .map_err(|e| schemactl::devdb::describe_pg_error(&e))?;
    let mut sql = String::new();
    let names: Vec<String> = rows.iter().map(|r| quote_ident(r.get(0))).collect();
    if !names.is_empty() {
        sql.push_str(&format!("DROP SCHEMA {} CASCADE;", names.join(", ")));
    }
    sql.push_str("CREATE SCHEMA public;");
    client
        .batch_execute(&sql)
        .map_err(|e| format!("reset: {}", schemactl::devdb::describe_pg_error(&e)))
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn show_files(files: &[(String, String)]) -> String {
    files
        .iter()
        .map(|(p, t)| format!("--- {p} ---\n{t}"))
        .collect()
}

/// Replace the project's config and schema files with `files`.
fn write_schema(dir: &Path, files: &[(String, String)]) {
    let schema = dir.join("schema");
    if schema.exists() {
        std::fs::remove_dir_all(&schema).unwrap();
    }
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

/// Compile the project in `dir` against `previous` (the head model, as `plan` does); also
/// returns the managed schemas.
fn compile_at(dir: &Path, previous: Option<&Model>) -> Result<(Model, Vec<String>), String> {
    let loaded = compile::load_project(dir);
    let schemas = loaded
        .project
        .config
        .schema_names()
        .map(String::from)
        .collect();
    match compile::compile(&loaded.project, &loaded.raw, loaded.diags, previous) {
        Ok(out) => Ok((out.model, schemas)),
        Err(d) => Err(format!(
            "does not compile:\n{}",
            schemactl::diag::render_text(&d, &loaded.sources, false)
        )),
    }
}

/// `schemactl plan -m NAME --allow deletes_data`; whether a migration was written.
fn plan(dir: &Path, name: &str) -> Result<bool, String> {
    let g = Global {
        project: Some(dir.to_path_buf()),
        ..Global::default()
    };
    let out = plan::run(
        &g,
        &plan::Options {
            name: Some(name.into()),
            allow: vec![schemactl::plan::Hazard::DeletesData],
            ..Default::default()
        },
    );
    if out.exit != Exit::Ok {
        return Err(format!(
            "plan {name} exited {:?}:\n{}{}",
            out.exit, out.stdout, out.stderr
        ));
    }
    Ok(out.stdout.contains("Wrote "))
}

fn load(dir: &Path) -> Result<migrations::Chain, String> {
    migrations::load(&Layout::new(dir)).map_err(|p| format!("migration directory: {p:?}"))
}

const HISTORY: &str = "schemactl";

fn history() -> History {
    History {
        schema: HISTORY.into(),
    }
}

/// `schemactl apply`.
fn apply_all(client: &mut postgres::Client, dir: &Path) -> Result<(), String> {
    let chain = load(dir)?;
    let opts = apply::Options {
        lock_timeout: Duration::from_secs(30),
        ..Default::default()
    };
    apply::apply(client, &history(), &chain, &opts)
        .map(|_| ())
        .map_err(|e| format!("apply failed: {e}"))
}

/// `schemactl rollback --to 1 --allow deletes_data`.
fn rollback_to_1(client: &mut postgres::Client, dir: &Path) -> Result<(), String> {
    let chain = load(dir)?;
    let allow = vec!["deletes_data".to_string()];
    apply::rollback(
        client,
        &history(),
        &chain,
        1,
        &allow,
        &schemactl::plan::Policy::default(),
        Duration::from_secs(30),
    )
    .map(|_| ())
    .map_err(|e| format!("rollback failed: {e}"))
}

fn describe(changes: &[Change]) -> String {
    changes.iter().map(|c| format!("  {c:?}\n")).collect()
}

/// The catalog of `schemas` reads back as `expected` (diff empty both ways, nothing skipped).
fn reads_back(
    client: &mut postgres::Client,
    expected: &Model,
    schemas: &[String],
) -> Result<(), String> {
    let opts = ReadOptions {
        schemas: schemas.to_vec(),
        ignore: Vec::new(),
        history_schema: HISTORY.into(),
    };
    let cat = catalog::read(client, &opts)
        .map_err(|e| format!("read: {}", schemactl::devdb::describe_pg_error(&e)))?;
    // Declared queries compare in the form this server stores them, as `drift` does.
    let mut expected = expected.clone();
    catalog::server_forms(client, &mut expected)
        .map_err(|e| format!("forms: {}", schemactl::devdb::describe_pg_error(&e)))?;
    let expected = &expected;
    let forward = diff(expected, &cat.model);
    let backward = diff(&cat.model, expected);
    if forward.is_empty() && backward.is_empty() && cat.skipped.is_empty() {
        return Ok(());
    }
    Err(format!(
        "read back differs\ncompiled → read:\n{}read → compiled:\n{}skipped: {:?}",
        describe(&forward),
        describe(&backward),
        cat.skipped
    ))
}

/// The migration files of `dir` after the first, for failure reports.
fn second_migration(dir: &Path) -> String {
    let Ok(chain) = load(dir) else {
        return String::new();
    };
    chain
        .migrations
        .iter()
        .skip(1)
        .map(|m| {
            format!(
                "===== {}.sql =====\n{}\n===== {}.down.sql =====\n{}\n",
                m.stem,
                m.up,
                m.stem,
                m.down.as_deref().unwrap_or("(none)")
            )
        })
        .collect()
}

/// How far a case went.
enum Ran {
    /// The second version planned no steps (the changes cancelled out or only changed the
    /// spelling).
    Empty,
    /// Planned, applied, read back, rolled back, read back.
    Full,
}

/// One evolution.
fn case(client: &mut postgres::Client, e: &mutate::Evolution) -> Result<Ran, String> {
    let dir = tempfile::tempdir().unwrap();
    let context = |dir: &Path, what: String| {
        format!(
            "{what}\n===== changes =====\n{}\n{}===== v1 =====\n{}\n===== v2 =====\n{}",
            e.changes.join("\n"),
            second_migration(dir),
            show_files(&e.v1),
            show_files(&e.v2)
        )
    };
    let result = (|| {
        reset(client)?;
        write_schema(dir.path(), &e.v1);
        let (model1, schemas1) = compile_at(dir.path(), None).map_err(|m| format!("v1 {m}"))?;
        plan(dir.path(), "v1")?;
        apply_all(client, dir.path()).map_err(|m| format!("v1: {m}"))?;
        reads_back(client, &model1, &schemas1).map_err(|m| format!("v1: {m}"))?;

        write_schema(dir.path(), &e.v2);
        let (model2, schemas2) =
            compile_at(dir.path(), Some(&model1)).map_err(|m| format!("v2 {m}"))?;
        let mut schemas = schemas1.clone();
        schemas.extend(schemas2.iter().filter(|s| !schemas1.contains(s)).cloned());
        let planned = plan(dir.path(), "v2")?;
        if !planned {
            // Nothing to do must mean nothing differs, in the schemas v2 manages (one it no
            // longer manages is left alone, the spec: removing it plans nothing).
            let mut managed1 = model1.clone();
            managed1.retain_schemas(schemas2.iter().map(String::as_str));
            let changes = diff(&managed1, &model2);
            if !changes.is_empty() {
                return Err(format!(
                    "v2 planned nothing, but the models differ:\n{}",
                    describe(&changes)
                ));
            }
            return Ok(Ran::Empty);
        }
        apply_all(client, dir.path()).map_err(|m| format!("v1 → v2: {m}"))?;
        // A schema v2 no longer manages is left alone (the spec), so v2 is read back in v2's
        // schemas; the rollback is checked in both versions' schemas.
        reads_back(client, &model2, &schemas2).map_err(|m| format!("v1 → v2: {m}"))?;
        let chain = load(dir.path())?;
        let down = chain.migrations[1].down.as_deref().unwrap_or("");
        if down.contains(apply::IRREVERSIBLE) {
            return Err(format!("v2 → v1: the down file is irreversible:\n{down}"));
        }
        rollback_to_1(client, dir.path()).map_err(|m| format!("v2 → v1: {m}"))?;
        reads_back(client, &model1, &schemas).map_err(|m| format!("after rollback: {m}"))?;
        Ok(Ran::Full)
    })();
    result.map_err(|what| context(dir.path(), what))
}
