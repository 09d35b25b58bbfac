//! Round-trip property test: random valid schema projects (`support::gen`) are compiled,
//! planned from empty, applied to PostgreSQL, and read back from the catalog; the model read
//! back must equal the compiled one in both diff directions. For about a third of the seeds an
//! additive second version is then planned on top of the first, applied, and read back too.
//!
//! - `cargo test --test roundtrip` runs 200 seeds (`0..200`);
//! - `SCHEMACTL_ROUNDTRIP_CASES=2000` runs seeds `0..2000`;
//! - `SCHEMACTL_ROUNDTRIP_SEED=1234` runs that one seed (printing its project);
//! - `cargo test --test roundtrip -- --ignored` runs 10,000 seeds.
//!
//! `SCHEMACTL_ROUNDTRIP_REPORT=<file>` writes every failure in full to that file.
//! `SCHEMACTL_ROUNDTRIP_THREADS` sets the number of workers (default: available cores, at most
//! 4). Each worker owns one database and empties it between cases (dropping every non-system
//! schema and recreating `public`), which is much cheaper than a database per case. Every
//! failing seed is reported, with the full project, SQL and changes of the first few.
//!
//! Inputs the generator avoids because schemactl gets them wrong today are marked
//! `// KNOWN GAP:` in `support/gen.rs`; remove the restriction when the bug is fixed.

mod support;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use schemactl::catalog::{self, ReadOptions};
use schemactl::compile;
use schemactl::diff::{Change, diff};
use schemactl::model::Model;
use support::r#gen;

const DEFAULT_CASES: u64 = 200;
/// Failures printed in full (every failing seed is listed).
const SHOWN: usize = 3;

#[test]
fn random_schemas_round_trip() {
    let seeds: Vec<u64> = match env_u64("SCHEMACTL_ROUNDTRIP_SEED") {
        Some(seed) => {
            for (path, text) in r#gen::schema(seed) {
                eprintln!("--- {path} ---\n{text}");
            }
            vec![seed]
        }
        None => (0..env_u64("SCHEMACTL_ROUNDTRIP_CASES").unwrap_or(DEFAULT_CASES)).collect(),
    };
    run(&seeds);
}

#[test]
#[ignore = "10,000 cases: run with `cargo test --test roundtrip -- --ignored`"]
fn random_schemas_round_trip_10000() {
    run(&(0..10_000).collect::<Vec<u64>>());
}

/// The generator is deterministic: a seed always gives the same project.
#[test]
fn generator_is_deterministic() {
    for seed in [0, 1, 42, 9999] {
        assert_eq!(r#gen::schema(seed), r#gen::schema(seed));
        assert_eq!(r#gen::evolved(seed), r#gen::evolved(seed));
    }
}

/// The snapshot of every generated project (first and evolved versions) reads back as the
/// model it was written from, and the by-object parse `from_toml` uses equals parsing the
/// text as one document.
#[test]
fn generated_snapshots_read_back_by_object_as_whole() {
    use schemactl::model::snapshot;
    for seed in 0..DEFAULT_CASES {
        for files in [Some(r#gen::schema(seed)), r#gen::evolved(seed)]
            .into_iter()
            .flatten()
        {
            let dir = write_project(&files);
            let Ok((model, _)) = compile_at(dir.path(), None) else {
                continue;
            };
            let text = snapshot::to_toml(&model);
            let parsed = snapshot::from_toml(&text).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            let whole = snapshot::from_toml_whole(&text).unwrap();
            if parsed != whole {
                let d = diff(&whole, &parsed);
                panic!("seed {seed}: by-object parse differs: {d:?}");
            }
            assert_eq!(snapshot::to_toml(&parsed), text, "seed {seed}");
        }
    }
}

/// The CI cases generate every object kind the format has: each of these spellings occurs in
/// the projects of the default seeds, most in many of them.
#[test]
fn default_seeds_generate_every_kind() {
    let texts: Vec<String> = (0..DEFAULT_CASES)
        .map(|seed| {
            r#gen::schema(seed)
                .into_iter()
                .map(|(_, text)| text)
                .collect::<String>()
        })
        .collect();
    for needle in [
        "[tables.",
        "[enums.",
        "[extensions.",
        ".indexes]]",
        ".foreign_keys]]",
        ".checks]]",
        ".exclusions]]",
        "primary_key_name",
        "primary_key_comment",
        "primary_key_deferrable",
        "identity = { generated = ",
        "schema_comment = ",
        "column_comments = ",
        "validated = false",
        "opclass",
        "partition_by",
        "partition_of",
        "[sequences.",
        "owned_by",
        "[domains.",
        "[composite_types.",
        "[views.",
        "[materialized_views.",
        "[[functions.",
        "[[procedures.",
        "returns_table",
        "setof ",
        ".triggers.",
        "timing = \"instead_of\"",
        ".triggers.vtrg_",
        "row_level_security = true",
        "force_row_level_security = true",
        ".policies.",
        "with_check",
        "permissive = false",
        "as = \"restrictive\"",
        "grants = ",
        "[\"execute\"]",
    ] {
        let n = texts.iter().filter(|t| t.contains(needle)).count();
        assert!(n >= 5, "`{needle}` in {n} of {DEFAULT_CASES} projects");
    }
    // Deferrable unique and exclusion constraints: an entry of that list with `deferrable`.
    for list in [".unique]]", ".exclusions]]"] {
        let n = texts
            .iter()
            .filter(|t| {
                t.split("\n\n")
                    .any(|entry| entry.contains(list) && entry.contains("\ndeferrable = "))
            })
            .count();
        assert!(
            n >= 5,
            "deferrable `{list}` in {n} of {DEFAULT_CASES} projects"
        );
    }
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

/// Run every seed on a few worker threads; panic listing every failure.
fn run(seeds: &[u64]) {
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
    let evolved = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let db = support::test_db();
                let mut client = db.connect();
                client.batch_execute(r#gen::ROLES_SQL).unwrap();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&seed) = seeds.get(i) else { break };
                    let result = catch_unwind(AssertUnwindSafe(|| case(&mut client, seed)))
                        .unwrap_or_else(|panic| {
                            let message = panic
                                .downcast_ref::<String>()
                                .cloned()
                                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                                .unwrap_or_default();
                            Err(format!("panicked: {message}"))
                        });
                    match result {
                        Ok(true) => {
                            evolved.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(false) => {}
                        Err(message) => failures.lock().unwrap().push((seed, message)),
                    }
                    // A panic may have left the connection unusable.
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
        "round trip: {} cases ({} with an evolution step) on {threads} workers in {:.1?}",
        seeds.len(),
        evolved.load(Ordering::Relaxed),
        started.elapsed()
    );
    if let Ok(path) = std::env::var("SCHEMACTL_ROUNDTRIP_REPORT") {
        // Every failure in full, for triage.
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

fn write_project(files: &[(String, String)]) -> tempfile::TempDir {
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    support::project::project(&refs)
}

fn show_files(files: &[(String, String)]) -> String {
    files
        .iter()
        .map(|(p, t)| format!("--- {p} ---\n{t}"))
        .collect()
}

/// Compile the project in `dir` against `previous` (the head model, as `plan` does).
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

fn plan_sql(from: &Model, to: &Model) -> Result<String, String> {
    let plan = schemactl::plan::plan(diff(from, to));
    if !plan.unsupported.is_empty() {
        return Err(format!("cannot plan: {:?}", plan.unsupported));
    }
    Ok(plan.sql_body())
}

fn apply(client: &mut postgres::Client, sql: &str) -> Result<(), String> {
    let mut tx = client.transaction().map_err(|e| e.to_string())?;
    tx.batch_execute(sql)
        .map_err(|e| format!("apply failed: {}", schemactl::devdb::describe_pg_error(&e)))?;
    tx.commit().map_err(|e| e.to_string())
}

fn describe(changes: &[Change]) -> String {
    changes.iter().map(|c| format!("  {c:?}\n")).collect()
}

/// Columns the changes name (`Unsupported` changes only name them), compiled and read side by
/// side.
fn column_differences(compiled: &Model, read: &Model, changes: &[Change]) -> String {
    let mut out = String::new();
    for (schema, s) in &compiled.schemas {
        for (name, table) in &s.tables {
            let Some(other) = read.schemas.get(schema).and_then(|r| r.tables.get(name)) else {
                continue;
            };
            for c in &table.columns {
                let named = format!("`{schema}.{name}.{}`", c.name);
                let flagged = changes
                    .iter()
                    .any(|ch| matches!(ch, Change::Unsupported(u) if u.contains(&named)));
                if let Some(r) = other.columns.iter().find(|r| r.name == c.name)
                    && flagged
                {
                    out.push_str(&format!(
                        "column {schema}.{name}.{}:\n  compiled: {c:?}\n  read:     {r:?}\n",
                        c.name
                    ));
                }
            }
        }
    }
    out
}

/// Plan `from` → `to`, apply it, read the catalog back and compare with `to`.
fn step(
    client: &mut postgres::Client,
    from: &Model,
    to: &Model,
    schemas: &[String],
) -> Result<(), String> {
    let sql = plan_sql(from, to)?;
    let fail = |what: String| format!("{what}\n--- SQL ---\n{sql}");
    apply(client, &sql).map_err(fail)?;
    let opts = ReadOptions {
        schemas: schemas.to_vec(),
        ignore: Vec::new(),
        history_schema: "schemactl".into(),
    };
    let cat = catalog::read(client, &opts)
        .map_err(|e| fail(format!("read: {}", schemactl::devdb::describe_pg_error(&e))))?;
    // Declared queries compare in the form this server stores them, as `drift` does.
    let mut to = to.clone();
    catalog::server_forms(client, &mut to).map_err(|e| {
        fail(format!(
            "forms: {}",
            schemactl::devdb::describe_pg_error(&e)
        ))
    })?;
    let to = &to;
    let forward = diff(to, &cat.model);
    let backward = diff(&cat.model, to);
    if !forward.is_empty() || !backward.is_empty() || !cat.skipped.is_empty() {
        return Err(fail(format!(
            "read back differs\ncompiled → read:\n{}read → compiled:\n{}skipped: {:?}\n{}",
            describe(&forward),
            describe(&backward),
            cat.skipped,
            column_differences(to, &cat.model, &forward)
        )));
    }
    Ok(())
}

/// One seed: v1 from empty, then (for some seeds) the additive v2 on top. Returns whether an
/// evolution step ran.
fn case(client: &mut postgres::Client, seed: u64) -> Result<bool, String> {
    reset(client)?;
    let v1 = r#gen::schema(seed);
    let dir = write_project(&v1);
    let (model1, schemas) =
        compile_at(dir.path(), None).map_err(|e| format!("{e}\n{}", show_files(&v1)))?;
    step(client, &Model::default(), &model1, &schemas)
        .map_err(|e| format!("v1: {e}\n{}", show_files(&v1)))?;
    let Some(v2) = r#gen::evolved(seed) else {
        return Ok(false);
    };
    let dir2 = write_project(&v2);
    let (model2, schemas2) = compile_at(dir2.path(), Some(&model1))
        .map_err(|e| format!("v2 {e}\n{}", show_files(&v2)))?;
    step(client, &model1, &model2, &schemas2).map_err(|e| {
        format!(
            "v1 → v2: {e}\n===== v1 =====\n{}\n===== v2 =====\n{}",
            show_files(&v1),
            show_files(&v2)
        )
    })?;
    Ok(true)
}
