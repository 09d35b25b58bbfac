//! Scale benchmark (not a timed test): generated projects of 100, 1,000 and 5,000 tables.
//!
//! ```sh
//! cargo bench --bench scale                              # all sizes
//! SCHEMACTL_BENCH_SIZES=100,1000 cargo bench --bench scale
//! ```
//!
//! Each size runs in a fresh child process of this binary (`--child N`), so the peak memory
//! figures are per size. Inside the child, the peak (`VmHWM` in `/proc/self/status`) is reset
//! before each phase by writing `5` to `/proc/self/clear_refs`, so each phase's figure is the
//! peak resident set of the whole process during that phase (the baseline of the process —
//! binary, allocator, the model held from earlier phases — included).
//!
//! Measured per size:
//!
//! 1. **offline plan** from an empty head: load (read + parse the TOML files), compile, diff
//!    against the empty model, plan, render (`sql_body`), and the head snapshot
//!    (`snapshot::to_toml`), which `schemactl plan` also writes. Best of 5 (3 at ≥ 5,000).
//! 2. **apply** of that initial migration (written with `migrations::prepare` and
//!    `write_files`, loaded with `migrations::load`) into a fresh database of a throwaway
//!    PostgreSQL (`devdb::Cluster`, unix socket). One run.
//! 3. **no-op drift**: `catalog::read` + `diff(head snapshot model, read model)` on that
//!    database, which must find no difference. Best of 5 (3 at ≥ 5,000).
//! 4. **psql** running the same catalog statements (the reader's SQL, see [`catalog_queries`])
//!    against the same database: process wall time, the same for an empty script (process
//!    start + connect), and the sum of psql's `\timing` figures. Best of 5.
//!
//! Round trips: the reader reports its own count (`Catalog::queries`). Both the read and the
//! apply are also run once through a counting unix-socket proxy (see [`Proxy`]) that counts
//! client → server protocol exchanges (simple `Query` and extended-protocol `Sync` messages);
//! the proxied runs are only counted, never timed.
//!
//! If the apply fails because the server's lock table is too small (the initial migration is
//! one transaction holding a lock per created relation), the failure is reported and the
//! apply repeated after raising `max_locks_per_transaction` to 1024.
//!
//! 6. **`schemactl inspect` through the binary** of that database into an empty project
//!    (best of 3), and the inspected files compiled and compared with the catalog's model
//!    (must be 0 differences); one more run through the counting proxy counts its round
//!    trips.
//!
//! 5. **`schemactl plan -m init` through the binary**, end to end, for each file layout of the
//!    same generated schema: `chunked` (one file per schema per 300 tables), `per-table` and
//!    `per-schema` (one large file per PostgreSQL schema). Best of 3; peak RSS from
//!    `/usr/bin/time` when installed. `--generate DIR N LAYOUT` writes such a project only
//!    (for `perf` by hand).
//!
//! Environment:
//! - `SCHEMACTL_BENCH_SIZES`: comma-separated table counts (default `100,1000,5000`).
//! - `SCHEMACTL_BENCH_PG_SETTINGS`: `key=value,…` set with `ALTER SYSTEM` (and a restart)
//!   before the apply, e.g. `max_connections=100` for PostgreSQL's stock lock table size.
//! - `SCHEMACTL_BENCH_EXPLAIN`: also print `EXPLAIN (ANALYZE, BUFFERS)` of each catalog query
//!   and time variants of the columns query.
//! - `SCHEMACTL_BENCH_DRIFT_MASSIF=FILE`: also run `schemactl drift` once under
//!   `valgrind --tool=massif`, writing the heap profile to FILE (`ms_print FILE`)
//! - `SCHEMACTL_BENCH_OFFLINE_ONLY`: stop after the offline phases (for `perf record` on
//!   `target/release/deps/scale-* --child N`).

// The catalog reader's SQL, included from the source file itself so that psql runs exactly
// the statements `catalog::read` sends (the module is private to the library).
#[path = "../src/catalog/queries.rs"]
mod catalog_queries;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use schemactl::apply::{self, History};
use schemactl::catalog::{self, ReadOptions};
use schemactl::compile;
use schemactl::devdb::Cluster;
use schemactl::diff;
use schemactl::migrations::{self, Chain, Layout, NewMigration};
use schemactl::model::{Model, snapshot};
use schemactl::plan;
use serde_json::{Value, json};

/// The reader's own settings batch, so psql runs exactly what the reader sends.
const READER_SETTINGS: &str = schemactl::catalog::SETTINGS;

const SCHEMAS: [&str; 3] = ["public", "billing", "audit"];
const DEFAULT_SIZES: [usize; 3] = [100, 1_000, 5_000];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(pos) = args.iter().position(|a| a == "--generate") {
        // `--generate DIR N LAYOUT`: write the project only (for profiling the CLI by hand).
        let dir = PathBuf::from(args.get(pos + 1).expect("--generate DIR N LAYOUT"));
        let n: usize = args
            .get(pos + 2)
            .and_then(|s| s.parse().ok())
            .expect("--generate DIR N LAYOUT");
        let layout = args
            .get(pos + 3)
            .and_then(|s| FileLayout::parse(s))
            .expect("LAYOUT: chunked, per-table or per-schema");
        fs::create_dir_all(&dir).expect("create DIR");
        let stats = generate(&dir, n, layout);
        println!("{} tables in {} files", stats.tables, stats.files);
        return;
    }
    if let Some(pos) = args.iter().position(|a| a == "--child") {
        let n: usize = args
            .get(pos + 1)
            .and_then(|s| s.parse().ok())
            .expect("--child N");
        let result = run_size(n);
        println!("RESULT {result}");
        return;
    }
    let sizes: Vec<usize> = match std::env::var("SCHEMACTL_BENCH_SIZES") {
        Ok(s) if !s.trim().is_empty() => s
            .split(',')
            .map(|x| {
                x.trim()
                    .replace('_', "")
                    .parse()
                    .expect("SCHEMACTL_BENCH_SIZES: comma-separated table counts")
            })
            .collect(),
        _ => DEFAULT_SIZES.to_vec(),
    };
    println!("{}", machine());
    let exe = std::env::current_exe().expect("current exe");
    let mut results = Vec::new();
    for n in sizes {
        eprintln!("--- {n} tables (child process) ---");
        let out = Command::new(&exe)
            .arg("--child")
            .arg(n.to_string())
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()
            .expect("run child");
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            panic!("child for {n} tables failed ({}):\n{stdout}", out.status);
        }
        // With SCHEMACTL_BENCH_OFFLINE_ONLY the child stops after the offline phases (their
        // figures are on stderr) and prints no RESULT line.
        if let Some(line) = stdout.lines().find_map(|l| l.strip_prefix("RESULT ")) {
            results.push(serde_json::from_str::<Value>(line).expect("RESULT json"));
        }
    }
    if !results.is_empty() {
        println!("{}", summary(&results));
    }
    if std::env::var_os("SCHEMACTL_BENCH_OFFLINE_ONLY").is_none() {
        println!("{}", cli_plan_table(&sizes_from_env()));
    }
}

fn sizes_from_env() -> Vec<usize> {
    match std::env::var("SCHEMACTL_BENCH_SIZES") {
        Ok(s) if !s.trim().is_empty() => s
            .split(',')
            .filter_map(|x| x.trim().replace('_', "").parse().ok())
            .collect(),
        _ => DEFAULT_SIZES.to_vec(),
    }
}

/// `schemactl plan -m init` through the binary, end to end (load, compile, diff, plan, down
/// file, snapshot, sum, writing the files), for each file layout: best wall time of 3 runs
/// and the peak resident set (`/usr/bin/time -f %M`, when installed).
fn cli_plan_table(sizes: &[usize]) -> String {
    let mut s = String::from(
        "\n`schemactl plan -m init` end to end (best of 3):\n\n\
         | tables | layout | files | wall | peak MiB |\n|---:|---|---:|---:|---:|\n",
    );
    for &n in sizes {
        for layout in FileLayout::ALL {
            let dir = tempfile::tempdir().expect("temp dir");
            let stats = generate(dir.path(), n, layout);
            let (mut best, mut peak) = (Duration::MAX, None::<u64>);
            for _ in 0..3 {
                let _ = fs::remove_dir_all(dir.path().join("migrations"));
                let _ = fs::remove_dir_all(dir.path().join("snapshots"));
                let project = dir.path().to_string_lossy();
                let (took, kib, out) =
                    run_timed(&["--project", &project, "-q", "plan", "-m", "init"]);
                best = best.min(took);
                assert!(
                    out.status.success(),
                    "plan failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                peak = peak.max(kib);
            }
            let _ = writeln!(
                s,
                "| {n} | {} | {} | {} | {} |",
                layout.id(),
                stats.files,
                ms(best),
                peak.map_or("n/a".to_string(), mib)
            );
        }
    }
    s
}

/// Run the binary with `args`: wall time, peak resident set in KiB (`/usr/bin/time -f %M`,
/// when installed) and the output.
fn run_timed(args: &[&str]) -> (Duration, Option<u64>, std::process::Output) {
    let exe = env!("CARGO_BIN_EXE_schemactl");
    let timer = Path::new("/usr/bin/time").exists();
    let mut cmd = if timer {
        let mut c = Command::new("/usr/bin/time");
        c.args(["-f", "%M", exe]);
        c
    } else {
        Command::new(exe)
    };
    cmd.args(args);
    let t = Instant::now();
    let out = cmd.output().expect("run schemactl");
    let took = t.elapsed();
    let kib = timer
        .then(|| {
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .and_then(|l| l.trim().parse::<u64>().ok())
        })
        .flatten();
    (took, kib, out)
}

/// `schemactl drift` of the project at `root` against `db`, through the binary: best wall
/// time of `runs` and the largest peak resident set (`/usr/bin/time -f %M`, when installed).
/// Every run must find no drift.
fn cli_drift(root: &Path, db: &str, runs: usize) -> (Duration, Option<u64>) {
    let exe = env!("CARGO_BIN_EXE_schemactl");
    let (mut best, mut peak) = (Duration::MAX, None::<u64>);
    let project = root.to_string_lossy();
    for _ in 0..runs {
        let (took, kib, out) = run_timed(&["--project", &project, "--db", db, "drift"]);
        best = best.min(took);
        assert!(
            out.status.success(),
            "drift found differences or failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        peak = peak.max(kib);
    }
    // One more run under valgrind's heap profiler, for finding where the peak comes from.
    if let Ok(out) = std::env::var("SCHEMACTL_BENCH_DRIFT_MASSIF") {
        let status = Command::new("valgrind")
            .arg("--tool=massif")
            .arg(format!("--massif-out-file={out}"))
            .arg(exe)
            .arg("--project")
            .arg(root)
            .arg("--db")
            .arg(db)
            .args(["-q", "drift"])
            .status()
            .expect("run valgrind");
        eprintln!("massif profile of drift written to {out} ({status})");
    }
    (best, peak)
}

/// `schemactl inspect` of `db` into a fresh project directory each run, through the binary:
/// best wall time of `runs`, the largest peak resident set, and the directory of the last
/// run (whose files the caller compiles and compares with the catalog).
fn cli_inspect(db: &str, schemas: &str, runs: usize) -> (Duration, Option<u64>, tempfile::TempDir) {
    let (mut best, mut peak) = (Duration::MAX, None::<u64>);
    let mut last = None;
    for _ in 0..runs {
        let dir = tempfile::tempdir().expect("temp dir");
        let project = dir.path().to_string_lossy().into_owned();
        let (took, kib, out) = run_timed(&[
            "--project",
            &project,
            "--db",
            db,
            "-q",
            "inspect",
            "--schemas",
            schemas,
        ]);
        assert!(
            out.status.success(),
            "inspect failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        best = best.min(took);
        peak = peak.max(kib);
        last = Some(dir);
    }
    (best, peak, last.expect("at least one run"))
}

// ------------------------------------------------------------------------------------------
// The measured run for one size (child process)

fn run_size(n: usize) -> Value {
    let load_before = loadavg();
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let stats = generate(root, n, FileLayout::Chunked);
    eprintln!(
        "generated {} tables, {} columns, {} FKs ({} cross-schema), {} indexes, {} enums, \
         {} checks, {} views, {} materialized views, {} sequences, {} domains in {} files",
        stats.tables,
        stats.columns,
        stats.fks,
        stats.cross_fks,
        stats.indexes,
        stats.enums,
        stats.checks,
        stats.views,
        stats.materialized_views,
        stats.sequences,
        stats.domains,
        stats.files
    );
    let runs = if n >= 5_000 { 3 } else { 5 };

    // 1. Offline plan from an empty head.
    let names = [
        "load", "compile", "diff", "plan", "render", "snapshot", "core", "total",
    ];
    let mut best: BTreeMap<&str, Duration> = BTreeMap::new();
    let mut best_total = Duration::MAX;
    let mut best_core = Duration::MAX;
    let mut kept = None;
    reset_peak();
    for _ in 0..runs {
        let t0 = Instant::now();
        let loaded = compile::load_project(root);
        let t1 = Instant::now();
        let out = compile::compile(&loaded.project, &loaded.raw, loaded.diags, None)
            .unwrap_or_else(|d| panic!("generated schema does not compile: {d:?}"));
        let t2 = Instant::now();
        let changes = diff::diff(&Model::default(), &out.model);
        let t3 = Instant::now();
        let p = plan::plan(changes);
        let t4 = Instant::now();
        let sql = p.sql_body();
        let t5 = Instant::now();
        let snap = snapshot::to_toml(&out.model);
        let t6 = Instant::now();
        let phases = [t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5];
        for (name, d) in names.iter().zip(phases) {
            let e = best.entry(name).or_insert(Duration::MAX);
            *e = (*e).min(d);
        }
        best_core = best_core.min(t5 - t0);
        best_total = best_total.min(t6 - t0);
        assert!(p.unsupported.is_empty(), "{:?}", p.unsupported);
        kept = Some((loaded.project, p, sql, snap));
    }
    best.insert("core", best_core);
    best.insert("total", best_total);
    let plan_peak = peak_kib();
    let (project, p, sql, snap) = kept.expect("at least one run");
    // Experiment: the same snapshot text through `toml::ser::Buffer`'s `Display`, which joins
    // the buffered tables in one pass (`toml::to_string` uses `Buffer::into_string`, which
    // inserts each table's text into the output with `String::insert_str`).
    let model = snapshot::from_toml(&snap).expect("snapshot parses");
    let mut snapshot_display = Duration::MAX;
    for _ in 0..runs {
        let t = Instant::now();
        let mut buf = toml::ser::Buffer::new();
        serde::Serialize::serialize(&model, toml::ser::Serializer::new(&mut buf))
            .expect("serialise");
        let body = buf.to_string();
        snapshot_display = snapshot_display.min(t.elapsed());
        assert!(
            snap.ends_with(&body) && snap.len() - body.len() < 200,
            "Display output differs from to_toml"
        );
    }
    drop(model);
    eprintln!(
        "snapshot through toml::ser::Buffer's Display (same bytes): {}",
        ms(snapshot_display)
    );
    let steps = p.steps.len();
    eprintln!(
        "offline plan (best of {runs}): {}; peak {} MiB; {steps} steps, {} KiB of SQL",
        names
            .iter()
            .map(|k| format!("{k} {}", ms(best[k])))
            .collect::<Vec<_>>()
            .join(", "),
        mib(plan_peak),
        sql.len() / 1024
    );

    if std::env::var_os("SCHEMACTL_BENCH_OFFLINE_ONLY").is_some() {
        // For profiling the offline phases alone (e.g. under `perf record`).
        std::process::exit(0);
    }

    // Write the initial migration as `schemactl plan -m init` does.
    let layout = Layout::new(root);
    let hazards: Vec<String> = p.hazards().iter().map(|h| h.id().to_string()).collect();
    let files = migrations::prepare(
        &layout,
        &Chain::empty(),
        NewMigration {
            name: "init",
            hazards,
            allowed: Vec::new(),
            up_body: sql,
            down_body: None,
            down_hazards: Vec::new(),
            snapshot: snap,
        },
    )
    .unwrap_or_else(|e| panic!("prepare: {e:?}"));
    migrations::write_files(&files).expect("write migration files");
    let chain = migrations::load(&layout).unwrap_or_else(|e| panic!("load chain: {e:?}"));
    drop((p, files));

    // 2. Apply into a fresh database.
    let cluster = Cluster::start().unwrap_or_else(|e| panic!("{e}"));
    let pg_version = {
        let mut c = cluster.connect("postgres").expect("connect");
        c.query_one("SHOW server_version", &[])
            .expect("version")
            .get::<_, String>(0)
    };
    if let Ok(settings) = std::env::var("SCHEMACTL_BENCH_PG_SETTINGS") {
        let pairs: Vec<(&str, &str)> = settings
            .split(',')
            .filter_map(|kv| kv.split_once('='))
            .collect();
        restart(&cluster, &pairs);
    }
    let server_settings = show_settings(&cluster);
    let history = History {
        schema: project.config.history_schema.clone(),
    };
    let apply_opts = apply::Options {
        lock_timeout: Duration::from_secs(60),
        ..Default::default()
    };
    // A whole initial migration is one transaction holding a lock on every relation it
    // creates; when the server's lock table is too small, record the failure, raise
    // max_locks_per_transaction and apply again into a new database.
    let mut apply_error = None;
    let (apply_time, apply_peak) = loop {
        cluster.create_database("bench").expect("create db");
        let mut client = cluster.connect("bench").expect("connect");
        reset_peak();
        let t = Instant::now();
        let result = apply::apply(&mut client, &history, &chain, &apply_opts);
        let took = t.elapsed();
        let peak = peak_kib();
        drop(client);
        match result {
            Ok(report) => {
                assert_eq!(report.applied.len(), 1);
                break (took, peak);
            }
            Err(e)
                if apply_error.is_none() && e.to_string().contains("max_locks_per_transaction") =>
            {
                let msg = format!("{e} (after {}, with {server_settings})", ms(took));
                eprintln!("apply failed with {server_settings}: {msg}");
                apply_error = Some(msg);
                cluster.drop_database("bench").expect("drop db");
                restart(&cluster, &[("max_locks_per_transaction", "1024")]);
            }
            Err(e) => panic!("apply: {e}"),
        }
    };
    let server_settings = show_settings(&cluster);

    // The same SQL file through `psql -1` (one transaction, one statement per round trip, as
    // apply sends them), into another fresh database.
    cluster.create_database("bench_psql").expect("create db");
    let t = Instant::now();
    let out = Command::new(cluster.bin_dir().join("psql"))
        .args(["-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-o", "/dev/null"])
        .arg("-h")
        .arg(cluster.socket_dir())
        .arg("-p")
        .arg(cluster.port().to_string())
        .args(["-U", cluster.superuser(), "-d", "bench_psql", "-f"])
        .arg(&chain.migrations[0].path)
        .stdin(Stdio::null())
        .output()
        .expect("run psql");
    let psql_apply = t.elapsed();
    assert!(
        out.status.success(),
        "psql -1 -f migration failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    cluster.drop_database("bench_psql").expect("drop db");

    // The same body as ONE simple-protocol batch in one transaction (one round trip for all
    // statements), to bound what sending one statement per round trip costs.
    cluster.create_database("bench_batch").expect("create db");
    let mut c = cluster.connect("bench_batch").expect("connect");
    let t = Instant::now();
    c.batch_execute(&format!("BEGIN;\n{}\nCOMMIT;", chain.migrations[0].up))
        .unwrap_or_else(|e| panic!("one-batch apply: {e}"));
    let batch_apply = t.elapsed();
    drop(c);
    cluster.drop_database("bench_batch").expect("drop db");

    // Round trips of the apply, counted through the proxy into a second fresh database.
    let proxy = Proxy::start(&cluster, root);
    cluster.create_database("bench_rt").expect("create db");
    let mut counted = postgres::Client::connect(&proxy.conninfo("bench_rt"), postgres::NoTls)
        .expect("connect through proxy");
    let before = proxy.count();
    apply::apply(&mut counted, &history, &chain, &apply_opts)
        .unwrap_or_else(|e| panic!("apply (counted): {e}"));
    let apply_rt = proxy.count() - before;
    drop(counted);
    cluster.drop_database("bench_rt").expect("drop db");
    eprintln!(
        "apply: {} ({steps} steps), peak {} MiB, {apply_rt} round trips; psql -1 -f of the \
         same file {}; as one batch {}",
        ms(apply_time),
        mib(apply_peak),
        ms(psql_apply),
        ms(batch_apply)
    );

    // 3. No-op drift: read the catalog and diff it against the head snapshot.
    let opts = ReadOptions {
        schemas: project.config.schema_names().map(String::from).collect(),
        ignore: project.config.ignore.clone(),
        history_schema: project.config.history_schema.clone(),
    };
    let t = Instant::now();
    let expected = snapshot::from_toml(chain.snapshot.as_deref().expect("head snapshot"))
        .expect("snapshot parses");
    let snapshot_parse = t.elapsed();
    let mut connect_best = Duration::MAX;
    let mut read_best = Duration::MAX;
    let mut diff_best = Duration::MAX;
    let mut drift_best = Duration::MAX;
    let mut queries = Vec::new();
    let mut changes_found = 0;
    reset_peak();
    for _ in 0..runs {
        let t0 = Instant::now();
        let mut client = cluster.connect("bench").expect("connect");
        // `drift` fills in the server's form of the declared view queries on its own model.
        let mut declared = expected.clone();
        let t1 = Instant::now();
        let cat = catalog::read(&mut client, &opts).expect("catalog read");
        catalog::server_forms(&mut client, &mut declared).expect("server forms");
        let t2 = Instant::now();
        let changes = diff::diff(&declared, &cat.model);
        let t3 = Instant::now();
        connect_best = connect_best.min(t1 - t0);
        read_best = read_best.min(t2 - t1);
        diff_best = diff_best.min(t3 - t2);
        drift_best = drift_best.min(t3 - t1);
        queries.push(cat.queries);
        if !changes.is_empty() {
            changes_found = changes.len();
            eprintln!("NOT a no-op: {} differences, e.g.:", changes.len());
            for c in changes.iter().take(10) {
                eprintln!("  {c:?}");
            }
        }
        if !cat.skipped.is_empty() {
            eprintln!("skipped by the reader: {:?}", cat.skipped);
        }
    }
    let drift_peak = peak_kib();
    let mut counted = postgres::Client::connect(&proxy.conninfo("bench"), postgres::NoTls)
        .expect("connect through proxy");
    let before = proxy.count();
    let cat = catalog::read(&mut counted, &opts).expect("catalog read (counted)");
    let read_rt = proxy.count() - before;
    drop(counted);
    eprintln!(
        "no-op drift (best of {runs}): read {} + diff {} = {} (connect {}, snapshot parse {}); \
         queries {:?} (proxy counted {read_rt}); peak {} MiB; differences {changes_found}",
        ms(read_best),
        ms(diff_best),
        ms(drift_best),
        ms(connect_best),
        ms(snapshot_parse),
        queries,
        mib(drift_peak)
    );
    let rows = catalog_rows(&mut cluster.connect("bench").expect("connect"), &opts);

    // 4. psql running the same statements.
    let forms = catalog::server_forms_sql(&expected);
    let psql = psql_times(&cluster, root, &opts.schemas, forms.as_deref(), runs.max(5));
    let ratio_net = secs(drift_best) / psql.net.as_secs_f64();
    let ratio_timing = secs(drift_best) / psql.timing.as_secs_f64();
    let ratio_wall = secs(connect_best + drift_best) / psql.wall.as_secs_f64();
    eprintln!(
        "psql (best of {}): wall {} (empty script {}, net {}), \\timing sum {}; \
         ratio read+diff / psql net = {ratio_net:.2}, / \\timing = {ratio_timing:.2}, \
         connect+read+diff / psql wall = {ratio_wall:.2}",
        runs.max(5),
        ms(psql.wall),
        ms(psql.empty),
        ms(psql.net),
        ms(psql.timing),
    );
    // 5. `schemactl drift` through the binary (process start, connect, chain and snapshot
    // load, read, diff), against psql's wall time for the same statements (process start and
    // connect included on both sides).
    let (cli_drift, cli_drift_peak) = cli_drift(root, &cluster.conninfo("bench"), runs.max(5));
    let ratio_cli = secs(cli_drift) / psql.wall.as_secs_f64();
    eprintln!(
        "schemactl drift through the binary (best of {}): {}, peak {}; / psql wall = {ratio_cli:.2}",
        runs.max(5),
        ms(cli_drift),
        cli_drift_peak.map_or("n/a".to_string(), mib),
    );
    // 6. `schemactl inspect` through the binary into an empty project (process start,
    // connect, the same catalog read, rendering, writing the files); the files of the last
    // run must compile back to the catalog's model.
    let (cli_inspect_time, cli_inspect_peak, inspected) = cli_inspect(
        &cluster.conninfo("bench"),
        &opts.schemas.join(","),
        runs.max(3),
    );
    let back = compile::compile_project(inspected.path())
        .2
        .expect("the inspected files compile")
        .model;
    let mut read_back = back.clone();
    catalog::server_forms(
        &mut cluster.connect("bench").expect("connect"),
        &mut read_back,
    )
    .expect("server forms");
    let inspect_diff =
        diff::diff(&cat.model, &read_back).len() + diff::diff(&read_back, &cat.model).len();
    // Once more through the counting proxy: the round trips of the whole command (connect
    // excluded), which must not grow with the schema.
    let before = proxy.count();
    let _ = cli_inspect(&proxy.conninfo("bench"), &opts.schemas.join(","), 1);
    let inspect_rt = proxy.count() - before;
    eprintln!(
        "schemactl inspect through the binary (best of {}): {}, peak {}, {inspect_rt} round trips; inspected → compiled differs from the catalog in {inspect_diff} changes",
        runs.max(3),
        ms(cli_inspect_time),
        cli_inspect_peak.map_or("n/a".to_string(), mib),
    );
    drop((cat, proxy, cluster, back, read_back, inspected));

    json!({
        "tables": n,
        "stats": {
            "tables": stats.tables, "columns": stats.columns, "fks": stats.fks,
            "cross_fks": stats.cross_fks, "indexes": stats.indexes, "uniques": stats.uniques,
            "enums": stats.enums, "checks": stats.checks, "files": stats.files,
            "views": stats.views, "materialized_views": stats.materialized_views,
            "sequences": stats.sequences, "domains": stats.domains,
            "functions": stats.functions, "triggers": stats.triggers,
            "catalog_rows": rows,
        },
        "runs": runs,
        "plan_ms": names.iter().map(|k| (k.to_string(), json!(secs(best[k]) * 1e3))).collect::<serde_json::Map<_, _>>(),
        "plan_peak_kib": plan_peak,
        "snapshot_display_ms": secs(snapshot_display) * 1e3,
        "steps": steps,
        "apply_ms": secs(apply_time) * 1e3,
        "apply_peak_kib": apply_peak,
        "apply_round_trips": apply_rt,
        "apply_error": apply_error,
        "psql_apply_ms": secs(psql_apply) * 1e3,
        "batch_apply_ms": secs(batch_apply) * 1e3,
        "server_settings": server_settings,
        "connect_ms": secs(connect_best) * 1e3,
        "snapshot_parse_ms": secs(snapshot_parse) * 1e3,
        "read_ms": secs(read_best) * 1e3,
        "drift_diff_ms": secs(diff_best) * 1e3,
        "drift_ms": secs(drift_best) * 1e3,
        "drift_peak_kib": drift_peak,
        "drift_queries": queries,
        "drift_round_trips": read_rt,
        "drift_differences": changes_found,
        "psql_wall_ms": secs(psql.wall) * 1e3,
        "psql_empty_ms": secs(psql.empty) * 1e3,
        "psql_net_ms": secs(psql.net) * 1e3,
        "psql_timing_ms": secs(psql.timing) * 1e3,
        "psql_breakdown": psql.breakdown,
        "ratio_net": ratio_net,
        "ratio_timing": ratio_timing,
        "ratio_wall": ratio_wall,
        "cli_drift_ms": secs(cli_drift) * 1e3,
        "cli_drift_peak_kib": cli_drift_peak,
        "ratio_cli_drift": ratio_cli,
        "cli_inspect_ms": secs(cli_inspect_time) * 1e3,
        "cli_inspect_peak_kib": cli_inspect_peak,
        "cli_inspect_round_trips": inspect_rt,
        "inspect_differences": inspect_diff,
        "pg_version": pg_version,
        "load_before": load_before,
        "load_after": loadavg(),
    })
}

/// Rows each catalog query returns on this database (for the README).
fn catalog_rows(client: &mut postgres::Client, opts: &ReadOptions) -> Value {
    let mut out = serde_json::Map::new();
    let mut tx = client.transaction().expect("tx");
    tx.batch_execute(READER_SETTINGS).expect("settings");
    for (name, sql) in reader_queries() {
        let param: [(&(dyn postgres::types::ToSql + Sync), postgres::types::Type); 1] =
            [(&opts.schemas, postgres::types::Type::TEXT_ARRAY)];
        let uses = sql.contains("$1");
        let rows = tx
            .query_typed(sql, if uses { &param } else { &[] })
            .expect("query");
        out.insert(name.to_string(), json!(rows.len()));
    }
    Value::Object(out)
}

fn reader_queries() -> &'static [(&'static str, &'static str)] {
    catalog_queries::ALL
}

// ------------------------------------------------------------------------------------------
// psql

struct PsqlTimes {
    /// Whole `psql -f queries.sql` process.
    wall: Duration,
    /// `psql -f empty.sql`: process start, connect, exit.
    empty: Duration,
    /// `wall - empty`.
    net: Duration,
    /// Sum of psql's own `\timing` figures for the statements (send → result received).
    timing: Duration,
    /// `\timing` per catalog query, best run.
    breakdown: String,
}

/// `EXPLAIN (ANALYZE, BUFFERS)` of each catalog query, printed to stderr.
fn explain(cluster: &Cluster, schemas: &[String]) {
    let mut c = cluster.connect("bench").expect("connect");
    let mut tx = c.transaction().expect("tx");
    tx.batch_execute(READER_SETTINGS).expect("settings");
    for (name, sql) in reader_queries() {
        let param: [(&(dyn postgres::types::ToSql + Sync), postgres::types::Type); 1] =
            [(&schemas, postgres::types::Type::TEXT_ARRAY)];
        let uses = sql.contains("$1");
        let rows = tx
            .query_typed(
                &format!("EXPLAIN (ANALYZE, BUFFERS) {sql}"),
                if uses { &param } else { &[] },
            )
            .expect("explain");
        eprintln!("EXPLAIN ANALYZE {name}:");
        for r in rows {
            eprintln!("  {}", r.get::<_, String>(0));
        }
    }
    let locks: i64 = tx
        .query_one(
            "SELECT count(*) FROM pg_catalog.pg_locks WHERE pid = pg_catalog.pg_backend_pid() \
             AND locktype = 'relation'",
            &[],
        )
        .expect("locks")
        .get(0);
    eprintln!("relation locks held by the reading transaction after the queries: {locks}");
    drop(tx);
    // Variants of the COLUMNS query (same result, checked by a digest), best of 3 each. (Its
    // comments are read by LEFT JOIN pg_description, a variant once measured here.)
    for (label, jit, sql) in [
        ("COLUMNS as is", "on", catalog_queries::COLUMNS.to_string()),
        (
            "COLUMNS, jit = off",
            "off",
            catalog_queries::COLUMNS.to_string(),
        ),
    ] {
        let mut best = Duration::MAX;
        let mut digest = String::new();
        for _ in 0..3 {
            let mut tx = c.transaction().expect("tx");
            tx.batch_execute(READER_SETTINGS).expect("settings");
            tx.batch_execute(&format!("SET LOCAL jit = {jit}"))
                .expect("jit");
            let param: [(&(dyn postgres::types::ToSql + Sync), postgres::types::Type); 1] =
                [(&schemas, postgres::types::Type::TEXT_ARRAY)];
            let t = Instant::now();
            tx.query_typed(&sql, &param).expect("query");
            best = best.min(t.elapsed());
            digest = tx
                .query_typed(
                    &format!(
                        "SELECT count(*)::text || ' ' || pg_catalog.md5(pg_catalog.string_agg(\
                         x::text, E'\\n' ORDER BY x::text)) FROM ({sql}) x"
                    ),
                    &param,
                )
                .expect("digest")[0]
                .get(0);
        }
        eprintln!("{label}: {} (rows, digest: {digest})", ms(best));
    }
}

/// The reader's statements as one psql script: the same transaction mode, settings batch and
/// queries, then what `catalog::server_forms` sends for the declared views; `$1` replaced by the managed schemas as a `text[]` literal (psql 15 has
/// no `\bind`; the reader's unnamed statements are planned with the parameter value anyway).
fn psql_script(schemas: &[String], forms: Option<&str>) -> String {
    let array = format!(
        "ARRAY[{}]::text[]",
        schemas
            .iter()
            .map(|s| format!("'{}'", s.replace('\'', "''")))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut s = String::from("\\timing on\n");
    s.push_str("START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY;\n");
    let _ = writeln!(s, "{READER_SETTINGS};");
    for (_, sql) in reader_queries() {
        let _ = writeln!(s, "{};", sql.trim().replace("$1", &array));
    }
    s.push_str("COMMIT;\n");
    // What `catalog::server_forms` sends for the declared views.
    if let Some(block) = forms {
        let _ = writeln!(s, "BEGIN;\n{READER_SETTINGS};\n{block};");
        let _ = writeln!(s, "{};\nROLLBACK;", catalog::SERVER_FORMS);
    }
    s
}

fn psql_times(
    cluster: &Cluster,
    root: &Path,
    schemas: &[String],
    forms: Option<&str>,
    runs: usize,
) -> PsqlTimes {
    let script = root.join("catalog_queries.sql");
    fs::write(&script, psql_script(schemas, forms)).expect("write script");
    let empty = root.join("empty.sql");
    fs::write(&empty, "").expect("write script");
    let psql = cluster.bin_dir().join("psql");
    let run = |file: &Path| -> (Duration, Vec<f64>) {
        let t = Instant::now();
        let out = Command::new(&psql)
            .args([
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-o",
                "/dev/null",
            ])
            .arg("-h")
            .arg(cluster.socket_dir())
            .arg("-p")
            .arg(cluster.port().to_string())
            .args(["-U", cluster.superuser(), "-d", "bench", "-f"])
            .arg(file)
            .stdin(Stdio::null())
            .output()
            .expect("run psql");
        let wall = t.elapsed();
        assert!(
            out.status.success(),
            "psql failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let timings: Vec<f64> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.strip_prefix("Time: "))
            .filter_map(|l| l.split_whitespace().next())
            .filter_map(|v| v.parse::<f64>().ok())
            .collect();
        (wall, timings)
    };
    run(&script); // warm-up (connection, catalog caches of a new backend are per run anyway)
    let mut wall = Duration::MAX;
    let mut timing = Duration::MAX;
    let mut per_statement = Vec::new();
    let mut empty_best = Duration::MAX;
    for _ in 0..runs {
        let (w, t) = run(&script);
        wall = wall.min(w);
        let sum = Duration::from_secs_f64(t.iter().sum::<f64>() / 1e3);
        if sum < timing {
            timing = sum;
            per_statement = t;
        }
        empty_best = empty_best.min(run(&empty).0);
    }
    // START TRANSACTION, the settings batch (psql sends each SET separately), the queries,
    // COMMIT, then the server forms' statements: the queries start after the SETs.
    let labels: Vec<&str> = reader_queries().iter().map(|(name, _)| *name).collect();
    let lead = 1 + READER_SETTINGS
        .split(';')
        .filter(|x| !x.trim().is_empty())
        .count();
    let breakdown: Vec<String> = labels
        .iter()
        .zip(per_statement.iter().skip(lead))
        .map(|(name, t)| format!("{name} {t:.1}"))
        .collect();
    eprintln!(
        "psql \\timing per catalog query (ms, best run): {}",
        breakdown.join(", ")
    );
    if std::env::var_os("SCHEMACTL_BENCH_EXPLAIN").is_some() {
        explain(cluster, schemas);
    }
    PsqlTimes {
        wall,
        empty: empty_best,
        net: wall.saturating_sub(empty_best),
        timing,
        breakdown: breakdown.join(", "),
    }
}

// ------------------------------------------------------------------------------------------
// Round-trip counting proxy

/// A unix-socket proxy in front of the cluster that counts, on the client → server stream,
/// simple-protocol `Query` ('Q') and extended-protocol `Sync` ('S') messages: each is one
/// request the client sends and then reads the answer to.
struct Proxy {
    dir: PathBuf,
    port: u16,
    count: Arc<AtomicUsize>,
}

impl Proxy {
    fn start(cluster: &Cluster, root: &Path) -> Proxy {
        let dir = root.join("proxy");
        fs::create_dir_all(&dir).expect("proxy dir");
        let port = cluster.port();
        let listener =
            UnixListener::bind(dir.join(format!(".s.PGSQL.{port}"))).expect("bind proxy socket");
        let upstream = cluster.socket_dir().join(format!(".s.PGSQL.{port}"));
        let count = Arc::new(AtomicUsize::new(0));
        let c = count.clone();
        thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(client) = conn else { return };
                let Ok(server) = UnixStream::connect(&upstream) else {
                    return;
                };
                let (mut s_read, mut c_write) = (
                    server.try_clone().expect("clone"),
                    client.try_clone().expect("clone"),
                );
                thread::spawn(move || {
                    let _ = io::copy(&mut s_read, &mut c_write);
                    let _ = c_write.shutdown(std::net::Shutdown::Both);
                });
                let c = c.clone();
                thread::spawn(move || {
                    let _ = forward_counting(client, server, &c);
                });
            }
        });
        Proxy { dir, port, count }
    }

    fn conninfo(&self, db: &str) -> String {
        format!(
            "host={} port={} user=postgres dbname={db}",
            self.dir.display(),
            self.port
        )
    }

    fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }
}

fn forward_counting(
    mut client: UnixStream,
    mut server: UnixStream,
    count: &AtomicUsize,
) -> io::Result<()> {
    // Startup phase: untyped messages (length, code, …); SSL/GSS requests come before the
    // real startup message (not sent on unix sockets, but handled anyway).
    loop {
        let mut len = [0u8; 4];
        client.read_exact(&mut len)?;
        let n = u32::from_be_bytes(len) as usize;
        let mut body = vec![0u8; n.saturating_sub(4)];
        client.read_exact(&mut body)?;
        server.write_all(&len)?;
        server.write_all(&body)?;
        let code = body
            .get(..4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
        if !matches!(code, Some(80877103) | Some(80877104)) {
            break;
        }
    }
    loop {
        let mut head = [0u8; 5];
        if client.read_exact(&mut head).is_err() {
            let _ = server.shutdown(std::net::Shutdown::Both);
            return Ok(());
        }
        let n = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
        let mut body = vec![0u8; n.saturating_sub(4)];
        client.read_exact(&mut body)?;
        if matches!(head[0], b'Q' | b'S') {
            count.fetch_add(1, Ordering::SeqCst);
        }
        server.write_all(&head)?;
        server.write_all(&body)?;
    }
}

// ------------------------------------------------------------------------------------------
// Schema generator

#[derive(Default)]
struct Stats {
    tables: usize,
    columns: usize,
    fks: usize,
    cross_fks: usize,
    indexes: usize,
    uniques: usize,
    enums: usize,
    checks: usize,
    views: usize,
    materialized_views: usize,
    sequences: usize,
    domains: usize,
    functions: usize,
    triggers: usize,
    files: usize,
}

const PREFIXES: [&str; 7] = [
    "accounts",
    "orders",
    "items",
    "events",
    "invoices",
    "shipments",
    "notes",
];

fn table_name(i: usize) -> String {
    format!("{}_{i:05}", PREFIXES[i % PREFIXES.len()])
}

fn schema_of(i: usize) -> &'static str {
    SCHEMAS[i % SCHEMAS.len()]
}

/// `references` text for table `j` seen from schema `here`.
fn reference(j: usize, here: &str) -> String {
    if schema_of(j) == here {
        format!("{}.id", table_name(j))
    } else {
        format!("{}.{}.id", schema_of(j), table_name(j))
    }
}

/// How the generated schema is spread over files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FileLayout {
    /// One file per schema per 300 tables, enums in their own file per schema.
    Chunked,
    /// One file per table, enums in one file per schema.
    PerTable,
    /// One file per PostgreSQL schema holding its enums and tables, as people often write
    /// them.
    PerSchema,
}

impl FileLayout {
    const ALL: [FileLayout; 3] = [
        FileLayout::Chunked,
        FileLayout::PerTable,
        FileLayout::PerSchema,
    ];

    fn id(self) -> &'static str {
        match self {
            FileLayout::Chunked => "chunked",
            FileLayout::PerTable => "per-table",
            FileLayout::PerSchema => "per-schema",
        }
    }

    fn parse(s: &str) -> Option<FileLayout> {
        FileLayout::ALL.into_iter().find(|l| l.id() == s)
    }

    fn enum_file(self, schema: &str) -> String {
        match self {
            FileLayout::Chunked | FileLayout::PerTable => format!("{schema}_enums.toml"),
            FileLayout::PerSchema => format!("{schema}.toml"),
        }
    }

    fn table_file(self, schema: &str, table: &str, i: usize) -> String {
        match self {
            FileLayout::Chunked => format!("{schema}_{:03}.toml", i / 300),
            FileLayout::PerTable => format!("{schema}/{table}.toml"),
            FileLayout::PerSchema => format!("{schema}.toml"),
        }
    }
}

/// Write `schemactl.toml` and `schema/*.toml` for `n` tables: 3 schemas, 10 columns per
/// table, 1.3 foreign keys per table to earlier tables (two thirds cross-schema), 2 indexes
/// per table, one enum per 10 tables, checks on a third, uniques on a quarter, defaults and
/// comments; a domain per 30 tables (the `amount` of 10 tables), a sequence with options per
/// 10, views over a tenth of the tables (and views over those views), a materialized view with
/// an index per 50. Deterministic: same `n`, same bytes.
fn generate(root: &Path, n: usize, layout: FileLayout) -> Stats {
    let mut st = Stats::default();
    fs::write(
        root.join("schemactl.toml"),
        format!(
            "[project]\nschemas = [{}]\n",
            SCHEMAS
                .iter()
                .map(|s| format!("\"{s}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
    .expect("write config");
    let schema_dir = root.join("schema");
    fs::create_dir_all(&schema_dir).expect("schema dir");
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    let labels = ["NEW", "ACTIVE", "HELD", "CLOSED", "ARCHIVED", "VOID"];
    for k in 0..n.div_ceil(10) {
        let schema = SCHEMAS[k % SCHEMAS.len()];
        let body = files
            .entry(layout.enum_file(schema))
            .or_insert_with(|| format!("schema = \"{schema}\"\n"));
        let count = 3 + k % 4;
        let values: Vec<String> = labels[..count].iter().map(|l| format!("\"{l}\"")).collect();
        let _ = writeln!(
            body,
            "\n[enums.status_{k:04}]\nvalues = [{}]",
            values.join(", ")
        );
        if k % 4 == 0 {
            let _ = writeln!(body, "comment = \"Lifecycle of group {k}\"");
        }
        st.enums += 1;
        if k % 3 == 0 {
            let _ = writeln!(
                body,
                "\n[domains.money_{k:04}]\ntype = \"numeric(12,2)\"\n\
                 checks = [{{ name = \"money_{k:04}_nonnegative\", expr = \"VALUE >= 0\" }}]"
            );
            st.domains += 1;
        }
    }
    for i in 0..n {
        let schema = schema_of(i);
        let name = table_name(i);
        let body = files
            .entry(layout.table_file(schema, &name, i))
            .or_insert_with(|| format!("schema = \"{schema}\"\n"));
        st.tables += 1;
        let k = i / 10;
        let enum_schema = SCHEMAS[k % SCHEMAS.len()];
        let enum_type = if enum_schema == schema {
            format!("status_{k:04}")
        } else {
            format!("{enum_schema}.status_{k:04}")
        };
        let _ = writeln!(body, "\n[tables.{name}]");
        if i % 5 == 0 {
            let _ = writeln!(body, "comment = \"Generated table {i}\"");
        }
        let _ = writeln!(body, "\n[tables.{name}.columns]");
        let mut cols = vec![
            "id = { type = \"bigint\", identity = \"always\", primary_key = true }".to_string(),
            if i % 4 == 0 {
                st.uniques += 1;
                "code = { type = \"varchar(32)\", unique = true }".to_string()
            } else {
                "code = { type = \"varchar(32)\" }".to_string()
            },
            if i % 5 == 0 {
                "name = { type = \"text\", comment = \"Display name\" }".to_string()
            } else {
                "name = { type = \"text\" }".to_string()
            },
            if k % 3 == 0 {
                format!(
                    "amount = {{ type = \"{}\", default = 0 }}",
                    enum_type.replace("status_", "money_")
                )
            } else {
                "amount = { type = \"numeric(12,2)\", default = 0 }".to_string()
            },
            format!("status = {{ type = \"{enum_type}\", default = \"NEW\" }}"),
            "qty = { type = \"integer\", nullable = true }".to_string(),
            "active = { type = \"boolean\", default = true }".to_string(),
            "created_at = { type = \"timestamptz\", default_sql = \"now()\" }".to_string(),
        ];
        let mut fk_col = "code";
        if i == 0 {
            cols.push("external_ref = { type = \"uuid\", nullable = true }".to_string());
        } else {
            let j = (i * 7919 + 13) % i;
            let action = ["cascade", "restrict", "set_null", "no_action"][i % 4];
            cols.push(format!(
                "ref1_id = {{ type = \"bigint\", nullable = true, references = \"{}\", \
                 on_delete = \"{action}\" }}",
                reference(j, schema)
            ));
            st.fks += 1;
            st.cross_fks += usize::from(schema_of(j) != schema);
            fk_col = "ref1_id";
        }
        if i > 1 && i % 10 < 3 {
            let j = (i * 104_729 + 7) % i;
            cols.push(format!(
                "ref2_id = {{ type = \"bigint\", nullable = true, references = \"{}\" }}",
                reference(j, schema)
            ));
            st.fks += 1;
            st.cross_fks += usize::from(schema_of(j) != schema);
        } else {
            cols.push(
                "payload = { type = \"jsonb\", default = \"{}\", comment = \"Free-form\" }"
                    .to_string(),
            );
        }
        st.columns += cols.len();
        for c in cols {
            let _ = writeln!(body, "{c}");
        }
        if i % 3 == 0 {
            let _ = writeln!(body, "\n[[tables.{name}.checks]]\nexpr = \"amount >= 0\"");
            st.checks += 1;
        }
        if i % 6 == 0 {
            let _ = writeln!(
                body,
                "\n[[tables.{name}.checks]]\nname = \"{name}_qty_positive\"\n\
                 expr = \"qty IS NULL OR qty > 0\""
            );
            st.checks += 1;
        }
        let _ = writeln!(
            body,
            "\n[[tables.{name}.indexes]]\ncolumns = [\"{fk_col}\"]"
        );
        if i % 5 == 0 {
            let _ = writeln!(
                body,
                "\n[[tables.{name}.indexes]]\ncolumns = [\"qty\"]\nwhere = \"qty IS NOT NULL\""
            );
        } else {
            let _ = writeln!(
                body,
                "\n[[tables.{name}.indexes]]\ncolumns = [\"status\", \
                 {{ column = \"created_at\", order = \"desc\" }}]"
            );
        }
        st.indexes += 2;
        // One sequence with options per 10 tables, owned by a column; views over one table
        // in 10 (and a view over that view in 50), a materialized view with its index in 50.
        if i % 10 == 5 {
            let _ = writeln!(
                body,
                "\n[sequences.{name}_no]\ntype = \"integer\"\nincrement = 10\ncache = 5\n\
                 owned_by = \"{name}.qty\""
            );
            st.sequences += 1;
        }
        if i % 10 == 3 {
            let _ = writeln!(
                body,
                "\n[views.{name}_active]\nquery = \"SELECT id, code, amount FROM {schema}.{name} \
                 WHERE active\"\ncomment = \"Active rows of {name}\""
            );
            st.views += 1;
            if i % 50 == 13 {
                let _ = writeln!(
                    body,
                    "\n[views.{name}_paid]\nquery = \"SELECT id, amount FROM {schema}.{name}_active \
                     WHERE amount > 0\""
                );
                st.views += 1;
            }
        }
        // A trigger function and its trigger per table (issue 11's drift measurement).
        let _ = writeln!(
            body,
            "\n[functions.{name}_touch]\nreturns = \"trigger\"\nlanguage = \"plpgsql\"\n\
             body = \"BEGIN NEW.created_at = now(); RETURN NEW; END\"\n\
             \n[tables.{name}.triggers.touch]\ntiming = \"before\"\nevents = [\"update\"]\n\
             for_each = \"row\"\nfunction = \"{schema}.{name}_touch\""
        );
        st.functions += 1;
        st.triggers += 1;
        if i % 50 == 7 {
            let _ = writeln!(
                body,
                "\n[materialized_views.{name}_totals]\nquery = \"SELECT status, count(*) AS n, \
                 sum(amount) AS total FROM {schema}.{name} GROUP BY status\"\n\
                 indexes = [{{ name = \"{name}_totals_status\", columns = [\"status\"], unique = true }}]"
            );
            st.materialized_views += 1;
        }
    }
    st.files = files.len();
    for (file, body) in files {
        let path = schema_dir.join(file);
        fs::create_dir_all(path.parent().expect("parent")).expect("schema subdir");
        fs::write(path, body).expect("write schema file");
    }
    st
}

fn restart(cluster: &Cluster, settings: &[(&str, &str)]) {
    cluster
        .restart_with(settings)
        .unwrap_or_else(|e| panic!("{e}"));
    eprintln!("restarted the cluster with {settings:?}");
}

fn show_settings(cluster: &Cluster) -> String {
    let mut c = cluster.connect("postgres").expect("connect");
    let mut v = Vec::new();
    for key in [
        "max_connections",
        "max_locks_per_transaction",
        "shared_buffers",
    ] {
        let value: String = c
            .query_one(&format!("SHOW {key}"), &[])
            .expect("show")
            .get(0);
        v.push(format!("{key}={value}"));
    }
    v.join(" ")
}

// ------------------------------------------------------------------------------------------
// Measurement helpers

/// Reset the process's peak resident set (`VmHWM`) to its current size (Linux ≥ 4.0).
fn reset_peak() {
    if fs::write("/proc/self/clear_refs", "5").is_err() {
        eprintln!("note: could not reset VmHWM; peaks are cumulative");
    }
}

/// `VmHWM` in KiB.
fn peak_kib() -> u64 {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

fn loadavg() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn ms(d: Duration) -> String {
    let v = d.as_secs_f64() * 1e3;
    if v < 10.0 {
        format!("{v:.2} ms")
    } else {
        format!("{v:.0} ms")
    }
}

fn mib(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

/// CPU model, cores, RAM and kernel.
fn machine() -> String {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_default();
    let cores = thread::available_parallelism().map_or(0, |n| n.get());
    let ram = fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        })
        .map_or(String::new(), |k| {
            format!("{:.1} GiB", k as f64 / 1024.0 / 1024.0)
        });
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "machine: {model}, {cores} cores, {ram} RAM, Linux {}; load average {}",
        kernel.trim(),
        loadavg()
    )
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn fmt_ms(v: f64) -> String {
    if v < 10.0 {
        format!("{v:.2}")
    } else if v < 100.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.0}")
    }
}

fn fmt_mib(v: &Value) -> String {
    format!("{:.0}", f(v) / 1024.0)
}

/// The summary tables (Markdown, as in the README).
fn summary(results: &[Value]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\nOffline plan from an empty head (best of runs; ms):\n\n\
         | tables | load | compile | diff | plan | render | **load→render** | snapshot | total | peak MiB |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for r in results {
        let p = &r["plan_ms"];
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | **{}** | {} | {} | {} |",
            r["tables"],
            fmt_ms(f(&p["load"])),
            fmt_ms(f(&p["compile"])),
            fmt_ms(f(&p["diff"])),
            fmt_ms(f(&p["plan"])),
            fmt_ms(f(&p["render"])),
            fmt_ms(f(&p["core"])),
            fmt_ms(f(&p["snapshot"])),
            fmt_ms(f(&p["total"])),
            fmt_mib(&r["plan_peak_kib"]),
        );
    }
    let _ = writeln!(
        s,
        "\nApply of the initial migration (one run) and no-op drift (best of runs):\n\n\
         | tables | steps | apply | psql -1 -f | one batch | apply peak MiB | apply round trips | read | diff | **read+diff** | queries (proxy) | drift peak MiB |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for r in results {
        let _ = writeln!(
            s,
            "| {} | {} | {} ms | {} ms | {} ms | {} | {} | {} ms | {} ms | **{} ms** | {} ({}) | {} |",
            r["tables"],
            r["steps"],
            fmt_ms(f(&r["apply_ms"])),
            fmt_ms(f(&r["psql_apply_ms"])),
            fmt_ms(f(&r["batch_apply_ms"])),
            fmt_mib(&r["apply_peak_kib"]),
            r["apply_round_trips"],
            fmt_ms(f(&r["read_ms"])),
            fmt_ms(f(&r["drift_diff_ms"])),
            fmt_ms(f(&r["drift_ms"])),
            r["drift_queries"][0],
            r["drift_round_trips"],
            fmt_mib(&r["drift_peak_kib"]),
        );
    }
    let _ = writeln!(
        s,
        "\nNo-op drift vs psql running the same statements (ms):\n\n\
         | tables | read+diff | psql wall | psql empty script | psql net | psql \\timing sum | read+diff / psql net | read+diff / \\timing | connect+read+diff / psql wall |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for r in results {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {:.2}× | {:.2}× | {:.2}× |",
            r["tables"],
            fmt_ms(f(&r["drift_ms"])),
            fmt_ms(f(&r["psql_wall_ms"])),
            fmt_ms(f(&r["psql_empty_ms"])),
            fmt_ms(f(&r["psql_net_ms"])),
            fmt_ms(f(&r["psql_timing_ms"])),
            f(&r["ratio_net"]),
            f(&r["ratio_timing"]),
            f(&r["ratio_wall"]),
        );
    }
    let _ = writeln!(
        s,
        "\n`schemactl drift` through the binary vs psql running the same statements (wall, \
         process start and connect included on both sides):\n\n\
         | tables | schemactl drift | peak MiB | psql wall | schemactl / psql |\n\
         |---:|---:|---:|---:|---:|"
    );
    for r in results {
        let _ = writeln!(
            s,
            "| {} | {} ms | {} | {} ms | **{:.2}×** |",
            r["tables"],
            fmt_ms(f(&r["cli_drift_ms"])),
            fmt_mib(&r["cli_drift_peak_kib"]),
            fmt_ms(f(&r["psql_wall_ms"])),
            f(&r["ratio_cli_drift"]),
        );
    }
    let _ = writeln!(s);
    for r in results {
        if let Some(e) = r["apply_error"].as_str() {
            let _ = writeln!(
                s,
                "{} tables: apply FAILED: {e}; figures above are after raising \
                 max_locks_per_transaction to 1024",
                r["tables"],
            );
        }
    }
    for r in results {
        let _ = writeln!(
            s,
            "{} tables: {}; PostgreSQL {} ({}); snapshot parse {} ms; connect {} ms; \
             psql \\timing per query (ms): {}; snapshot via Buffer Display {} ms; \
             load average {} → {}",
            r["tables"],
            r["stats"],
            r["pg_version"].as_str().unwrap_or(""),
            r["server_settings"].as_str().unwrap_or(""),
            fmt_ms(f(&r["snapshot_parse_ms"])),
            fmt_ms(f(&r["connect_ms"])),
            r["psql_breakdown"].as_str().unwrap_or(""),
            fmt_ms(f(&r["snapshot_display_ms"])),
            r["load_before"].as_str().unwrap_or(""),
            r["load_after"].as_str().unwrap_or(""),
        );
    }
    s
}
