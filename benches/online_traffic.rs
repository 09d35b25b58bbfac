//! Online DDL under traffic (not a timed test): how long a writer's single-row statements wait
//! while `schemactl apply` changes the table they write to, once with the online forms
//! (`[online] enabled = true`, the default) and once with the blocking forms
//! (`enabled = false`).
//!
//! ```sh
//! cargo bench --bench online_traffic                     # 1,000,000 rows, 3 repeats
//! SCHEMACTL_BENCH_ROWS=100000 SCHEMACTL_BENCH_REPEAT=1 cargo bench --bench online_traffic
//! SCHEMACTL_BENCH_KINDS=index,not_null cargo bench --bench online_traffic
//! ```
//!
//! Setup: a throwaway PostgreSQL (`devdb::Cluster`, restarted to listen on 127.0.0.1 as well),
//! a project with `parents` (1,000 rows) and `items` (`SCHEMACTL_BENCH_ROWS` rows, default
//! 1,000,000; a primary key, an index on `parent_id`, a nullable `v` without NULLs), applied
//! by `schemactl apply` and loaded once into a template database, then vacuumed. Each run
//! copies the template (`CREATE DATABASE … TEMPLATE`), so every run starts from the same
//! files, and plans one change of `items` with the `[online]` setting of its form:
//!
//! | kind | change | online form | blocking form |
//! |---|---|---|---|
//! | `index` | index on `code` | `CREATE INDEX CONCURRENTLY` | `CREATE INDEX` |
//! | `drop_index` | no index on `parent_id` | `DROP INDEX CONCURRENTLY` | `DROP INDEX` |
//! | `unique` | `code` unique | unique index built concurrently, `ADD CONSTRAINT … USING INDEX` | `ADD CONSTRAINT … UNIQUE` |
//! | `fk` | `parent_id` references `parents.id` | `NOT VALID`, then `VALIDATE` | `ADD FOREIGN KEY` |
//! | `check` | `CHECK (v >= 0)` | `NOT VALID`, then `VALIDATE` | `ADD CHECK` |
//! | `not_null` | `v` NOT NULL | validated `CHECK (v IS NOT NULL)`, `SET NOT NULL`, drop the check | `SET NOT NULL` |
//!
//! During each run a writer thread, on its own TCP connection to 127.0.0.1, loops over
//! autocommitted single-row statements on `items`: an `INSERT` of a new row, then an `UPDATE`
//! of a pseudo-random existing row by key, and records when each started and how long it
//! took. After a second of warm-up, the binary `schemactl apply` runs (over TCP as well); the
//! writer goes on for half a second after it. Reported per kind and form: the apply's wall
//! time and the longest statement of the writer that overlapped the apply. A run without any
//! apply (`none`) gives the noise floor of the longest wait over three seconds. Each run also
//! checks that `schemactl drift` finds the database equal to the project.
//!
//! With `SCHEMACTL_BENCH_REPEAT` > 1 (default 3) each cell is the median of the runs, with
//! the smallest and the largest in brackets; kinds and forms alternate within a repeat.
//!
//! Environment:
//! - `SCHEMACTL_BENCH_ROWS`: rows of `items` (default 1000000).
//! - `SCHEMACTL_BENCH_REPEAT`: runs per kind and form (default 3).
//! - `SCHEMACTL_BENCH_KINDS`: comma-separated kinds (default all of the table above).
//! - `SCHEMACTL_BENCH_PG_SETTINGS`: `key=value,…` server settings besides the bench's own
//!   (`listen_addresses = 127.0.0.1`, `shared_buffers = 512MB`, `max_wal_size = 4GB`; the
//!   throwaway cluster already runs without `fsync` and `synchronous_commit`), e.g.
//!   `autovacuum=off`.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use schemactl::devdb::Cluster;

const KINDS: &[&str] = &["index", "drop_index", "unique", "fk", "check", "not_null"];

const WARM_UP: Duration = Duration::from_secs(1);
const COOL_DOWN: Duration = Duration::from_millis(500);
const BASELINE: Duration = Duration::from_secs(3);

/// The project's schema before (`kind` = None) and after one change of `items`.
fn schema(kind: Option<&str>) -> String {
    let parent = if kind == Some("fk") {
        r#"{ type = "integer", references = "parents.id" }"#
    } else {
        r#"{ type = "integer" }"#
    };
    let code = if kind == Some("unique") {
        r#"{ type = "text", unique = true }"#
    } else {
        r#"{ type = "text" }"#
    };
    let v = if kind == Some("not_null") {
        r#"{ type = "integer" }"#
    } else {
        r#"{ type = "integer", nullable = true }"#
    };
    let mut s = format!(
        "[tables.parents.columns]\nid = {{ type = \"integer\", primary_key = true }}\n\n\
         [tables.items.columns]\nid = {{ type = \"bigint\", primary_key = true }}\n\
         parent_id = {parent}\ncode = {code}\nv = {v}\n"
    );
    if kind != Some("drop_index") {
        s.push_str("\n[[tables.items.indexes]]\ncolumns = [\"parent_id\"]\n");
    }
    if kind == Some("index") {
        s.push_str("\n[[tables.items.indexes]]\ncolumns = [\"code\"]\n");
    }
    if kind == Some("check") {
        s.push_str("\n[[tables.items.checks]]\nexpr = \"v >= 0\"\n");
    }
    s
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

fn schemactl(dir: &Path, db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_schemactl"))
        .arg("--project")
        .arg(dir)
        .args(["--db", db])
        .args(args)
        .output()
        .expect("run schemactl")
}

fn must(o: Output, what: &str) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "{what} failed ({}):\n{text}", o.status);
    text
}

fn tcp(cluster: &Cluster, db: &str) -> String {
    format!(
        "host=127.0.0.1 port={} user=postgres dbname={db}",
        cluster.port()
    )
}

/// One writer statement: when it started and how long it took.
type Sample = (Instant, Duration);

/// Single-row INSERTs and UPDATEs in a loop until `stop`; panics on any error, since a write
/// the migration made fail is a result the bench must not hide.
fn writer(conninfo: String, rows: i64, stop: Arc<AtomicBool>) -> Vec<Sample> {
    let mut c = postgres::Client::connect(&conninfo, postgres::NoTls).expect("writer connect");
    let insert = c
        .prepare("INSERT INTO items (id, parent_id, code, v) VALUES ($1, $2, $3, $4)")
        .expect("prepare insert");
    let update = c
        .prepare("UPDATE items SET v = $2 WHERE id = $1")
        .expect("prepare update");
    // New ids above every loaded and earlier written row, per process start.
    let mut next: i64 = c
        .query_one("SELECT coalesce(max(id), 0) + 1 FROM items", &[])
        .expect("max id")
        .get(0);
    let mut rng: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut samples = Vec::with_capacity(1 << 16);
    let mut i: i64 = 0;
    while !stop.load(Ordering::Relaxed) {
        let start = Instant::now();
        if i % 2 == 0 {
            let parent = (next % 1000 + 1) as i32;
            let v = (next % 100) as i32;
            c.execute(&insert, &[&next, &parent, &format!("w{next}"), &v])
                .expect("writer insert");
            next += 1;
        } else {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let id = (rng % rows as u64) as i64 + 1;
            let v = (i % 100) as i32;
            c.execute(&update, &[&id, &v]).expect("writer update");
        }
        samples.push((start, start.elapsed()));
        i += 1;
    }
    samples
}

struct Run {
    apply: Duration,
    longest: Duration,
    writes: usize,
}

/// Run the writer around `during` and return the longest statement that overlapped it.
fn under_traffic(conninfo: &str, rows: i64, during: impl FnOnce()) -> (Duration, Duration, usize) {
    let stop = Arc::new(AtomicBool::new(false));
    let handle = {
        let (conninfo, stop) = (conninfo.to_string(), stop.clone());
        thread::spawn(move || writer(conninfo, rows, stop))
    };
    thread::sleep(WARM_UP);
    let t0 = Instant::now();
    during();
    let t1 = Instant::now();
    thread::sleep(COOL_DOWN);
    stop.store(true, Ordering::Relaxed);
    let samples = handle.join().expect("writer thread");
    let overlapping: Vec<&Sample> = samples
        .iter()
        .filter(|(start, took)| *start < t1 && *start + *took > t0)
        .collect();
    let longest = overlapping.iter().map(|s| s.1).max().unwrap_or_default();
    (t1 - t0, longest, overlapping.len())
}

fn run(cluster: &Cluster, base: &Path, rows: i64, kind: &str, online: bool, n: usize) -> Run {
    let form = if online { "online" } else { "blocking" };
    let db = format!("{kind}_{form}_{n}");
    let mut c = cluster.connect("postgres").expect("connect");
    c.batch_execute(&format!("CREATE DATABASE {db} TEMPLATE template_items"))
        .expect("copy the template database");
    drop(c);
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    copy_dir(base, d);
    write(
        &d.join("schemactl.toml"),
        &format!("[online]\nenabled = {online}\n"),
    );
    write(&d.join("schema/items.toml"), &schema(Some(kind)));
    let conninfo = tcp(cluster, &db);
    must(schemactl(d, &conninfo, &["plan", "-m", kind]), "plan");
    let (apply, longest, writes) = under_traffic(&conninfo, rows, || {
        must(schemactl(d, &conninfo, &["apply"]), "apply");
    });
    must(schemactl(d, &conninfo, &["drift"]), "drift after apply");
    cluster.drop_database(&db).expect("drop database");
    Run {
        apply,
        longest,
        writes,
    }
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

fn env_or<T: std::str::FromStr>(key: &str, default: T) -> T {
    std::env::var(key)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

/// Median, with the range when there is more than one value.
fn cell(values: &[Duration], show: fn(Duration) -> String) -> String {
    let mut v = values.to_vec();
    v.sort();
    let median = v[v.len() / 2];
    if v.len() == 1 {
        show(median)
    } else {
        format!("{} ({}–{})", show(median), show(v[0]), show(v[v.len() - 1]))
    }
}

fn median(values: &[Duration]) -> Duration {
    let mut v = values.to_vec();
    v.sort();
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; this binary takes no arguments of its own.
    let rows: i64 = env_or("SCHEMACTL_BENCH_ROWS", 1_000_000);
    let repeat: usize = env_or("SCHEMACTL_BENCH_REPEAT", 3).max(1);
    let kinds: Vec<String> = match std::env::var("SCHEMACTL_BENCH_KINDS") {
        Ok(list) => list.split(',').map(|k| k.trim().to_string()).collect(),
        Err(_) => KINDS.iter().map(|k| k.to_string()).collect(),
    };
    for k in &kinds {
        assert!(
            KINDS.contains(&k.as_str()),
            "unknown kind {k:?}; kinds: {KINDS:?}"
        );
    }

    let cluster = Cluster::start().unwrap_or_else(|e| panic!("{e}"));
    // TCP for the writer and apply; the table and its indexes fit in shared buffers and no
    // checkpoint is forced by WAL volume during a run. More with SCHEMACTL_BENCH_PG_SETTINGS.
    let extra = std::env::var("SCHEMACTL_BENCH_PG_SETTINGS").unwrap_or_default();
    let mut settings = vec![
        ("listen_addresses", "127.0.0.1"),
        ("shared_buffers", "512MB"),
        ("max_wal_size", "4GB"),
    ];
    settings.extend(extra.split(',').filter_map(|kv| kv.split_once('=')));
    cluster
        .restart_with(&settings)
        .unwrap_or_else(|e| panic!("{e}"));
    let version: String = cluster
        .connect("postgres")
        .expect("connect")
        .query_one("SHOW server_version", &[])
        .expect("version")
        .get(0);

    // The template: the first migration applied, the rows loaded and vacuumed.
    let base = tempfile::tempdir().expect("tempdir");
    let b = base.path();
    write(&b.join("schemactl.toml"), "");
    write(&b.join("schema/items.toml"), &schema(None));
    cluster
        .create_database("template_items")
        .unwrap_or_else(|e| panic!("{e}"));
    let conninfo = tcp(&cluster, "template_items");
    must(
        schemactl(b, &conninfo, &["plan", "-m", "init"]),
        "plan init",
    );
    must(schemactl(b, &conninfo, &["apply"]), "apply init");
    let loaded = Instant::now();
    {
        let mut c = cluster.connect("template_items").expect("connect");
        // One statement per call: VACUUM cannot run in the implicit transaction of a
        // multi-statement query.
        for sql in [
            "INSERT INTO parents SELECT g FROM generate_series(1, 1000) g".to_string(),
            format!(
                "INSERT INTO items SELECT g, g % 1000 + 1, 'c' || g, g % 100 \
                 FROM generate_series(1, {rows}) g"
            ),
            "VACUUM (ANALYZE) parents, items".to_string(),
            "CHECKPOINT".to_string(),
        ] {
            c.batch_execute(&sql).expect("load the rows");
        }
    }
    eprintln!(
        "PostgreSQL {version}; items: {rows} rows loaded in {}",
        secs(loaded.elapsed())
    );

    // The noise floor: the writer alone.
    let mut floor = Vec::new();
    for n in 0..repeat {
        let db = format!("none_{n}");
        cluster
            .connect("postgres")
            .expect("connect")
            .batch_execute(&format!("CREATE DATABASE {db} TEMPLATE template_items"))
            .expect("copy the template database");
        let (_, longest, _) = under_traffic(&tcp(&cluster, &db), rows, || thread::sleep(BASELINE));
        eprintln!("none #{n}: longest write {}", ms(longest));
        floor.push(longest);
        cluster.drop_database(&db).expect("drop database");
    }

    let mut results: Vec<(String, bool, Vec<Run>)> = Vec::new();
    for kind in &kinds {
        for online in [true, false] {
            results.push((kind.clone(), online, Vec::new()));
        }
    }
    for n in 0..repeat {
        for (kind, online, runs) in results.iter_mut() {
            let r = run(&cluster, b, rows, kind, *online, n);
            eprintln!(
                "{kind} {} #{n}: apply {}, longest write {}, {} writes",
                if *online { "online" } else { "blocking" },
                secs(r.apply),
                ms(r.longest),
                r.writes
            );
            runs.push(r);
        }
    }

    println!(
        "\nOnline DDL under traffic: items of {rows} rows, PostgreSQL {version}, {repeat} run(s) each"
    );
    println!("server settings: {settings:?} (besides the throwaway cluster's: no fsync)");
    println!(
        "longest write wait with no migration: {}\n",
        cell(&floor, ms)
    );
    println!(
        "| change | form | apply time | longest write wait | writes during apply | blocking ÷ online |"
    );
    println!("|---|---|---|---|---|---|");
    for pair in results.chunks(2) {
        let wait = |runs: &[Run]| runs.iter().map(|r| r.longest).collect::<Vec<_>>();
        let ratio = median(&wait(&pair[1].2)).as_secs_f64()
            / median(&wait(&pair[0].2)).as_secs_f64().max(1e-6);
        for (kind, online, runs) in pair {
            let apply: Vec<Duration> = runs.iter().map(|r| r.apply).collect();
            let mut writes: Vec<usize> = runs.iter().map(|r| r.writes).collect();
            writes.sort();
            println!(
                "| {kind} | {} | {} | {} | {} | {} |",
                if *online { "online" } else { "blocking" },
                cell(&apply, secs),
                cell(&wait(runs), ms),
                writes[writes.len() / 2],
                if *online {
                    format!("{ratio:.0}×")
                } else {
                    String::new()
                }
            );
        }
    }
}
