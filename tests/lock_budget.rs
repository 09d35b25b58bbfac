//! The lock budget of migration DDL (issue 14, second part): transactional segments run
//! under `lock_timeout` (and an optional `statement_timeout`), a segment that hits its lock
//! timeout is rolled back and retried with a backoff, each retry is reported as it happens,
//! and the last failure names the table and the session holding it. Concurrent index builds
//! run with neither timeout.

mod support;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use support::project::{project, schemactl, schemactl_db, text};

/// Generous bound on any single wait: a test that waits this long has failed.
const PATIENCE: Duration = Duration::from_secs(120);

fn said(o: &Output) -> String {
    format!("{}{}", text(&o.stdout), text(&o.stderr))
}

fn ok(o: Output, what: &str) -> String {
    assert_eq!(o.status.code(), Some(0), "{what}: {}", said(&o));
    text(&o.stdout)
}

const T: &str = "[tables.t.columns]\nid = { type = \"integer\", primary_key = true }\ncode = { type = \"text\" }\n";

fn with_note() -> String {
    format!("{T}note = {{ type = \"text\", nullable = true }}\n")
}

/// A project whose table `t` (with rows) is applied, and a pending migration
/// `0002_note` adding a column to it (ACCESS EXCLUSIVE, in a transaction).
fn table_and_pending_column(config: &str) -> (tempfile::TempDir, support::TestDb) {
    let dir = project(&[("schemactl.toml", config), ("schema/t.toml", T)]);
    let d = dir.path();
    ok(schemactl(d, &["plan", "-m", "init"]), "plan init");
    let db = support::test_db();
    ok(schemactl_db(d, &db.conninfo, &["apply"]), "apply init");
    db.connect()
        .batch_execute("INSERT INTO t SELECT g, 'c' || g FROM generate_series(1, 100) g")
        .unwrap();
    std::fs::write(d.join("schema/t.toml"), with_note()).unwrap();
    ok(schemactl(d, &["plan", "-m", "note"]), "plan note");
    (dir, db)
}

/// A second session holding `sql`'s locks in an open transaction; its pid.
fn holder(db: &support::TestDb, sql: &str) -> (postgres::Client, i32) {
    let mut c = db.connect();
    c.batch_execute(&format!("BEGIN; {sql}")).unwrap();
    let pid: i32 = c.query_one("SELECT pg_backend_pid()", &[]).unwrap().get(0);
    (c, pid)
}

fn history(db: &support::TestDb, version: i32) -> Vec<String> {
    db.connect()
        .query(
            "SELECT status FROM schemactl.history WHERE version = $1 ORDER BY id",
            &[&version],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

fn has_note(db: &support::TestDb) -> bool {
    db.connect()
        .query_one(
            "SELECT count(*) > 0 FROM pg_attribute WHERE attrelid = 'public.t'::regclass AND attname = 'note' AND NOT attisdropped",
            &[],
        )
        .unwrap()
        .get(0)
}

/// `schemactl apply` running in the background, its stderr read line by line as it comes.
struct Running {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
    stdout: std::thread::JoinHandle<String>,
}

fn spawn(dir: &Path, db: &str, args: &[&str]) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_schemactl"))
        .arg("--project")
        .arg(dir)
        .args(["--db", db])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let err = child.stderr.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut out = child.stdout.take().unwrap();
    let stdout = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    Running {
        child,
        lines,
        seen: Vec::new(),
        stdout,
    }
}

impl Running {
    /// The first stderr line containing `needle`; panics if the process ends first.
    fn wait_for(&mut self, needle: &str) -> String {
        loop {
            match self.lines.recv_timeout(PATIENCE) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no line with `{needle}` on stderr; got:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// Whether the process is still running.
    fn running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Exit code, stdout and the whole stderr.
    fn finish(mut self) -> (Option<i32>, String, String) {
        let status = self.child.wait().unwrap();
        let stdout = self.stdout.join().unwrap();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(10)) {
            self.seen.push(line);
        }
        (status.code(), stdout, self.seen.join("\n"))
    }
}

/// Poll until `sql` (one boolean) is true; panics after [`PATIENCE`].
fn until(client: &mut postgres::Client, sql: &str) {
    let start = std::time::Instant::now();
    while !client.query_one(sql, &[]).unwrap().get::<_, bool>(0) {
        assert!(start.elapsed() < PATIENCE, "never true: {sql}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn apply_retries_after_a_lock_timeout_and_succeeds_once_the_lock_is_released() {
    let (dir, db) = table_and_pending_column("");
    let (mut held, pid) = holder(&db, "LOCK TABLE t IN ACCESS SHARE MODE");
    let mut run = spawn(
        dir.path(),
        &db.conninfo,
        &[
            "apply",
            "--ddl-lock-timeout",
            "200ms",
            "--ddl-retries",
            "20",
        ],
    );
    let first = run.wait_for("retry 1 of 20");
    assert!(
        first.contains("lock timeout on public.t, retry 1 of 20 in 200 ms"),
        "{first}"
    );
    assert!(first.contains(&format!("held by pid {pid}")), "{first}");
    assert!(first.contains("state idle in transaction"), "{first}");
    // Nothing of the retried attempt is in the history, and the column is not there.
    assert!(history(&db, 2).is_empty(), "{:?}", history(&db, 2));
    held.batch_execute("COMMIT").unwrap();

    let (code, stdout, stderr) = run.finish();
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("applied 0002_note"), "{stdout}");
    assert_eq!(history(&db, 2), ["applied"]);
    assert!(has_note(&db));
    let drift = ok(schemactl_db(dir.path(), &db.conninfo, &["drift"]), "drift");
    assert!(drift.starts_with("No drift"), "{drift}");
}

#[test]
fn apply_gives_up_after_its_retries_naming_the_table_and_the_holder() {
    let (dir, db) = table_and_pending_column("");
    let d = dir.path();
    let (mut held, pid) = holder(&db, "LOCK TABLE t IN ACCESS SHARE MODE");
    let out = schemactl_db(
        d,
        &db.conninfo,
        &["apply", "--ddl-lock-timeout", "200ms", "--ddl-retries", "2"],
    );
    let all = said(&out);
    assert_eq!(out.status.code(), Some(3), "{all}");
    let err = text(&out.stderr);
    assert!(err.contains("retry 1 of 2 in 200 ms"), "{err}");
    assert!(err.contains("retry 2 of 2 in 400 ms"), "{err}");
    assert!(!err.contains("retry 3"), "{err}");
    assert!(
        err.contains("gave up after 3 tries: lock timeout (200 ms) on public.t each time"),
        "{err}"
    );
    assert!(err.contains(&format!("held by pid {pid}")), "{err}");
    assert!(err.contains("transaction started 20"), "{err}");
    assert!(err.contains("--ddl-lock-timeout"), "{err}");
    assert!(!has_note(&db));
    // One failure recorded, none for the retried attempts.
    assert_eq!(history(&db, 2), ["failed"]);
    let status = said(&schemactl_db(d, &db.conninfo, &["status"]));
    assert!(status.contains("FAILED   0002_note"), "{status}");
    assert!(status.contains("gave up after 3 tries"), "{status}");

    held.batch_execute("COMMIT").unwrap();
    ok(
        schemactl_db(d, &db.conninfo, &["apply"]),
        "apply after release",
    );
    assert!(has_note(&db));
    assert_eq!(history(&db, 2), ["failed", "applied"]);
    let drift = ok(schemactl_db(d, &db.conninfo, &["drift"]), "drift");
    assert!(drift.starts_with("No drift"), "{drift}");
}

#[test]
fn rollback_has_the_same_budget_for_down_files() {
    let (dir, db) = table_and_pending_column("");
    let d = dir.path();
    ok(schemactl_db(d, &db.conninfo, &["apply"]), "apply");
    let (mut held, pid) = holder(&db, "LOCK TABLE t IN ACCESS SHARE MODE");
    let out = schemactl_db(
        d,
        &db.conninfo,
        &[
            "rollback",
            "--to",
            "1",
            "--allow",
            "deletes_data",
            "--ddl-lock-timeout",
            "200ms",
            "--ddl-retries",
            "1",
        ],
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{}", said(&out));
    assert!(
        err.contains("0002_note (down): step 1: lock timeout on public.t, retry 1 of 1 in 200 ms"),
        "{err}"
    );
    assert!(
        err.contains("gave up after 2 tries: lock timeout (200 ms) on public.t each time"),
        "{err}"
    );
    assert!(err.contains(&format!("held by pid {pid}")), "{err}");
    assert!(has_note(&db), "the down file was rolled back");
    assert_eq!(history(&db, 2), ["applied", "rollback_failed"]);

    held.batch_execute("COMMIT").unwrap();
    ok(
        schemactl_db(
            d,
            &db.conninfo,
            &["rollback", "--to", "1", "--allow", "deletes_data"],
        ),
        "rollback after release",
    );
    assert!(!has_note(&db));
    assert_eq!(
        history(&db, 2),
        ["applied", "rollback_failed", "rolled_back"]
    );
}

#[test]
fn readers_are_not_queued_behind_a_waiting_migration() {
    let (dir, db) = table_and_pending_column("");
    let (mut held, _) = holder(&db, "LOCK TABLE t IN ACCESS SHARE MODE");
    let mut run = spawn(
        dir.path(),
        &db.conninfo,
        &[
            "apply",
            "--ddl-lock-timeout",
            "300ms",
            "--ddl-retries",
            "30",
        ],
    );
    run.wait_for("retry 1 of 30");
    // The migration's ALTER is queued on t again (its ACCESS EXCLUSIVE request not granted):
    // a reader arriving now queues behind it, at most for one lock timeout.
    let mut watcher = db.connect();
    until(
        &mut watcher,
        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE relation = 'public.t'::regclass \
         AND mode = 'AccessExclusiveLock' AND NOT granted)",
    );
    let (done, finished) = mpsc::channel();
    let mut reader = db.connect();
    std::thread::spawn(move || {
        let n = reader
            .query_one("SELECT count(*) FROM t", &[])
            .map(|r| r.get::<_, i64>(0));
        let _ = done.send(n);
    });
    // The reader completes while the holder still holds its lock.
    let counted = finished
        .recv_timeout(PATIENCE)
        .expect("the reader finished before the holder released its lock");
    assert!(run.running(), "apply is still waiting for the holder");
    held.batch_execute("COMMIT").unwrap();
    assert_eq!(counted.expect("the reader's query"), 100);
    let (code, stdout, stderr) = run.finish();
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert_eq!(history(&db, 2), ["applied"]);
}

#[test]
fn the_apply_table_of_schemactl_toml_sets_the_budget() {
    let (dir, db) = table_and_pending_column(
        "[apply]\nddl_lock_timeout = \"100ms\"\nddl_retries = 0\nddl_statement_timeout = \"1min\"\n",
    );
    let (mut held, pid) = holder(&db, "LOCK TABLE t IN ACCESS SHARE MODE");
    let out = schemactl_db(dir.path(), &db.conninfo, &["apply"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{}", said(&out));
    assert!(
        err.contains("gave up after 1 try: lock timeout (100 ms) on public.t each time"),
        "{err}"
    );
    assert!(err.contains(&format!("pid {pid}")), "{err}");
    assert!(!err.contains("retry 1"), "{err}");
    // The same as JSON, with the details as data.
    let out = schemactl_db(dir.path(), &db.conninfo, &["--format", "json", "apply"]);
    assert_eq!(out.status.code(), Some(3), "{}", said(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let lock = &v["error"]["lock_timeout"];
    assert_eq!(v["error"]["code"], "migration-failed", "{v}");
    assert_eq!(lock["on"], "public.t", "{v}");
    assert_eq!(lock["tries"], 1, "{v}");
    assert_eq!(lock["lock_timeout_ms"], 100, "{v}");
    assert_eq!(lock["held_by"][0]["pid"], pid, "{v}");
    assert_eq!(lock["held_by"][0]["state"], "idle in transaction", "{v}");
    assert_eq!(history(&db, 2), ["failed", "failed"]);
    held.batch_execute("COMMIT").unwrap();
    // A flag overrides the file.
    let (mut held, _) = holder(&db, "LOCK TABLE t IN ACCESS SHARE MODE");
    let mut run = spawn(dir.path(), &db.conninfo, &["apply", "--ddl-retries", "50"]);
    let line = run.wait_for("retry 1 of 50 in 100 ms");
    assert!(line.contains("public.t"), "{line}");
    held.batch_execute("COMMIT").unwrap();
    let (code, stdout, stderr) = run.finish();
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(has_note(&db));
}

#[test]
fn bad_apply_settings_are_exit_2_with_a_location() {
    let unreachable = "postgresql://nobody@127.0.0.1:1/none";
    for (config, expect) in [
        (
            "[apply]\nddl_lock_timeout = \"2 parsecs\"\n",
            "schemactl.toml:2:20: error[invalid-value]: `ddl_lock_timeout`: `2 parsecs` is not a duration",
        ),
        (
            "[apply]\nddl_statement_timeout = \"5\"\n",
            "schemactl.toml:2:25: error[invalid-value]: `ddl_statement_timeout`: `5` is not a duration",
        ),
        (
            "[apply]\nddl_lock_timeout = 2\n",
            "schemactl.toml:2:20: error[invalid-value]: `ddl_lock_timeout` must be a string",
        ),
        (
            "[apply]\nddl_retries = -1\n",
            "schemactl.toml:2:15: error[invalid-value]: `ddl_retries` must be a whole number from 0 to 100",
        ),
        (
            "[apply]\nddl_retries = \"5\"\n",
            "schemactl.toml:2:15: error[invalid-value]: `ddl_retries` must be a whole number from 0 to 100",
        ),
        (
            "[apply]\nddl_lock_timout = \"2s\"\n",
            "schemactl.toml:2:1: error[unknown-key]: unknown key `ddl_lock_timout` in [apply]",
        ),
    ] {
        let dir = project(&[("schemactl.toml", config), ("schema/t.toml", T)]);
        for args in [
            &["--db", unreachable, "apply"][..],
            &["--db", unreachable, "rollback", "--to", "0"],
            &["plan", "--dry-run"],
        ] {
            let out = schemactl(dir.path(), args);
            let err = support::cli::one_line_errors(&text(&out.stderr));
            assert_eq!(out.status.code(), Some(2), "{config} {args:?}: {err}");
            assert!(err.contains(expect), "{config} {args:?}: {err}");
        }
    }
    let dir = project(&[("schemactl.toml", "[apply]\nddl_lock_timout = \"2s\"\n")]);
    let err = text(&schemactl(dir.path(), &["plan", "--dry-run"]).stderr);
    assert!(err.contains("did you mean `ddl_lock_timeout`?"), "{err}");

    // The flags take the same durations; clap's usage errors are exit 2 too.
    let dir = project(&[("schemactl.toml", ""), ("schema/t.toml", T)]);
    for bad in [
        &["--ddl-lock-timeout", "2"][..],
        &["--ddl-statement-timeout", "soon"],
        &["--ddl-retries", "-1"],
        &["--ddl-retries", "101"],
    ] {
        let mut args = vec!["--db", unreachable, "apply"];
        args.extend(bad);
        let out = schemactl(dir.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", said(&out));
    }
    let help = ok(schemactl(dir.path(), &["apply", "--help"]), "help");
    for flag in [
        "--ddl-lock-timeout",
        "--ddl-statement-timeout",
        "--ddl-retries",
    ] {
        assert!(help.contains(flag), "{help}");
    }
    let help = ok(schemactl(dir.path(), &["rollback", "--help"]), "help");
    assert!(help.contains("--ddl-lock-timeout"), "{help}");
}

#[test]
fn a_statement_timeout_cancels_a_long_transactional_step() {
    let dir = project(&[("schemactl.toml", ""), ("schema/t.toml", T)]);
    let d = dir.path();
    ok(schemactl(d, &["plan", "-m", "init"]), "plan init");
    let slow = d.join("slow.sql");
    std::fs::write(&slow, "SELECT pg_sleep(5);\n").unwrap();
    let undo = d.join("undo.sql");
    std::fs::write(&undo, "SELECT 1;\n").unwrap();
    ok(
        schemactl(
            d,
            &[
                "new",
                "-m",
                "slow",
                "--sql",
                slow.to_str().unwrap(),
                "--down-sql",
                undo.to_str().unwrap(),
            ],
        ),
        "new",
    );
    let db = support::test_db();
    let out = schemactl_db(
        d,
        &db.conninfo,
        &["apply", "--ddl-statement-timeout", "300ms"],
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{}", said(&out));
    assert!(err.contains("0002_slow failed"), "{err}");
    assert!(
        err.contains("canceling statement due to statement timeout"),
        "{err}"
    );
    assert!(err.contains("--ddl-statement-timeout"), "{err}");
    // The first migration applied; the slow one is recorded as failed, not retried.
    assert_eq!(history(&db, 1), ["applied"]);
    assert_eq!(history(&db, 2), ["failed"]);
    // Without the flag the session's own statement_timeout (none) applies.
    let (code, _, _) = spawn(d, &db.conninfo, &["apply", "--to", "2"]).finish();
    assert_eq!(code, Some(0));
    assert_eq!(history(&db, 2), ["failed", "applied"]);
}

#[test]
fn concurrent_index_builds_run_without_the_timeouts() {
    let dir = project(&[("schemactl.toml", ""), ("schema/t.toml", T)]);
    let d = dir.path();
    ok(schemactl(d, &["plan", "-m", "init"]), "plan init");
    let db = support::test_db();
    ok(schemactl_db(d, &db.conninfo, &["apply"]), "apply init");
    db.connect()
        .batch_execute("INSERT INTO t SELECT g, 'c' || g FROM generate_series(1, 100) g")
        .unwrap();
    std::fs::write(
        d.join("schema/t.toml"),
        format!("{T}\n[[tables.t.indexes]]\ncolumns = [\"code\"]\n"),
    )
    .unwrap();
    ok(schemactl(d, &["plan", "-m", "code_index"]), "plan");
    let up = std::fs::read_to_string(d.join("migrations/0002_code_index.sql")).unwrap();
    assert!(up.contains("CREATE INDEX CONCURRENTLY"), "{up}");

    // A writer's open transaction: the concurrent build waits for it (a lock wait).
    let (mut held, _) = holder(&db, "UPDATE t SET code = code WHERE id = 1");
    let mut run = spawn(
        d,
        &db.conninfo,
        &[
            "apply",
            "--ddl-lock-timeout",
            "100ms",
            "--ddl-statement-timeout",
            "100ms",
        ],
    );
    let mut watcher = db.connect();
    until(
        &mut watcher,
        "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE query LIKE '%CREATE INDEX CONCURRENTLY%' \
         AND wait_event_type = 'Lock' AND pid <> pg_backend_pid())",
    );
    // Ten times either timeout later it still waits, rather than failing.
    std::thread::sleep(Duration::from_secs(1));
    assert!(run.running(), "the concurrent build waits for the writer");
    held.batch_execute("COMMIT").unwrap();
    let (code, stdout, stderr) = run.finish();
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(!stderr.contains("lock timeout"), "{stderr}");
    let valid: bool = watcher
        .query_one(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'public.t_code_idx'::regclass",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(valid);
    // The intent row of the non-transactional segment, then the applied one: no failure.
    assert_eq!(history(&db, 2), ["running", "applied"]);
}
