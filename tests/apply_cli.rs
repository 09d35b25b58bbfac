//! `schemactl apply` / `status` / `hash` as users run them, against real PostgreSQL.

mod support;

use std::process::Command;

use support::project::*;

use support::project::schemactl_db as run;

#[test]
fn sixteen_concurrent_apply_processes_apply_each_migration_once() {
    let db = support::test_db();
    let root = repo_root();
    let children: Vec<_> = (0..16)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_schemactl"))
                .arg("--project")
                .arg(&root)
                .args(["--db", &db.conninfo, "--format", "json", "apply"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut applied = 0;
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        applied += v["applied"].as_array().unwrap().len();
    }
    let migrations = migration_files(&root).len();
    assert_eq!(applied, migrations);
    let mut client = db.connect();
    let rows: i64 = client
        .query_one(
            "SELECT count(*) FROM schemactl.history WHERE status = 'applied'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(rows as usize, migrations);
    let dup: i64 = client
        .query_one(
            "SELECT count(*) - count(DISTINCT version) FROM schemactl.history WHERE status = 'applied'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(dup, 0);
}

#[test]
fn status_dry_run_failure_exit_codes_and_hash() {
    let db = support::test_db();
    let dir = project(&[(
        "schema/s.toml",
        "[tables.a.columns]\nid = { type = \"int\", primary_key = true }\n",
    )]);
    run_plan(dir.path(), "init");

    let out = run(dir.path(), &db.conninfo, &["status"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("pending  0001_init"),
        "{}",
        text(&out.stdout)
    );

    let out = run(dir.path(), &db.conninfo, &["apply", "--dry-run"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("would apply migrations/0001_init.sql"));
    assert!(text(&out.stdout).contains("CREATE TABLE \"public\".\"a\""));

    let out = run(dir.path(), &db.conninfo, &["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("applied 0001_init"));

    // A new migration that fails: exit 3, rolled back, recorded; status shows it.
    std::fs::write(
        dir.path().join("schema/s.toml"),
        "[tables.a.columns]\nid = { type = \"int\", primary_key = true }\n[tables.b.columns]\nx = { type = \"int\" }\n",
    )
    .unwrap();
    run_plan(dir.path(), "b");
    let p = dir.path().join("migrations/0002_b.sql");
    let broken = std::fs::read_to_string(&p)
        .unwrap()
        .replace("CREATE TABLE", "CREATE TABEL");
    std::fs::write(&p, broken).unwrap();
    let out = run(dir.path(), &db.conninfo, &["apply"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "edited file without re-hash is invalid input"
    );
    assert!(
        text(&out.stderr).contains("0002_b.sql"),
        "{}",
        text(&out.stderr)
    );
    let out = Command::new(env!("CARGO_BIN_EXE_schemactl"))
        .arg("--project")
        .arg(dir.path())
        .arg("hash")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = run(dir.path(), &db.conninfo, &["apply"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("0002_b failed at step 1") && err.contains("TABEL"),
        "{err}"
    );
    // Nothing of 0002 committed (one segment): the hint says it was rolled back.
    assert!(
        err.contains("  = hint: the migration was rolled back and the failure recorded; fix the cause, then run apply again\n"),
        "{err}"
    );
    let out = run(dir.path(), &db.conninfo, &["status"]);
    let s = text(&out.stdout);
    assert!(
        s.contains("applied  0001_init") && s.contains("FAILED   0002_b  at "),
        "{s}"
    );
    assert!(
        s.contains("Current: 0001_init; head: 0002_b; 1 pending."),
        "{s}"
    );

    // The connection string's password never shows, even in errors.
    let out = run(
        dir.path(),
        "postgresql://bob:s3cr3t-PASS@127.0.0.1:1/none?connect_timeout=2",
        &["status"],
    );
    assert_eq!(out.status.code(), Some(3));
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!all.contains("s3cr3t-PASS"), "{all}");
}

/// Plan through the binary (no database), asserting success.
fn plan(dir: &std::path::Path, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_schemactl"))
        .arg("--project")
        .arg(dir)
        .arg("plan")
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

fn column_type(client: &mut postgres::Client, column: &str) -> String {
    client
        .query_one(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = $1",
            &[&column],
        )
        .unwrap()
        .get(0)
}

#[test]
fn apply_and_rollback_honour_a_tightened_policy_against_the_file_headers() {
    let db = support::test_db();
    let mut client = db.connect();
    let v1 = "[tables.t.columns]\nid = { type = \"int\", primary_key = true }\na = { type = \"integer\" }\nb = { type = \"integer\" }\nc = { type = \"integer\" }\n";
    let widen = |cols: &[&str]| {
        let mut s = v1.to_string();
        for c in cols {
            s = s.replace(
                &format!("{c} = {{ type = \"integer\" }}"),
                &format!("{c} = {{ type = \"bigint\" }}"),
            );
        }
        s
    };
    let dir = project(&[("schema/s.toml", v1)]);
    let schema = dir.path().join("schema/s.toml");
    plan(dir.path(), &["-m", "init"]);

    // No [hazards] table: a rewrites_table migration applies without any allowance.
    std::fs::write(&schema, widen(&["a"])).unwrap();
    plan(dir.path(), &["-m", "widen_a"]);
    let out = run(dir.path(), &db.conninfo, &["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(column_type(&mut client, "a"), "bigint");

    // Planned while the policy is empty: `--allow rewrites_table` is not recorded.
    std::fs::write(&schema, widen(&["a", "b"])).unwrap();
    plan(dir.path(), &["-m", "widen_b", "--allow", "rewrites_table"]);
    let b = std::fs::read_to_string(dir.path().join("migrations/0003_widen_b.sql")).unwrap();
    assert!(!b.contains("-- allowed:"), "{b}");

    // Tighten the policy, then plan one more under it (the header records the allowance).
    std::fs::write(
        dir.path().join("schemactl.toml"),
        "[hazards]\nrequire_allow = [\"rewrites_table\"]\n",
    )
    .unwrap();
    std::fs::write(&schema, widen(&["a", "b", "c"])).unwrap();
    plan(dir.path(), &["-m", "widen_c", "--allow", "rewrites_table"]);
    let c = std::fs::read_to_string(dir.path().join("migrations/0004_widen_c.sql")).unwrap();
    assert!(c.contains("-- allowed: rewrites_table\n"), "{c}");

    // 0003's header lacks the allowance the policy now requires: refused before anything
    // runs (0004 is not applied either), exit 1.
    let out = run(dir.path(), &db.conninfo, &["apply"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("error: 0003_widen_b has hazards its header does not allow: rewrites_table\n  - step 1: alter-column-type public.t.b: rewrites_table\n"),
        "{err}"
    );
    assert!(
        err.contains("pass `--allow rewrites_table` to apply"),
        "{err}"
    );
    assert!(
        err.contains("schemactl.toml lists it in [hazards] require_allow"),
        "{err}"
    );
    assert_eq!(column_type(&mut client, "b"), "integer");
    assert_eq!(column_type(&mut client, "c"), "integer");
    let out = run(dir.path(), &db.conninfo, &["--format", "json", "apply"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["code"], "hazard-not-allowed");
    let out = run(dir.path(), &db.conninfo, &["status"]);
    let s = text(&out.stdout);
    assert!(
        s.contains("pending  0003_widen_b") && s.contains("pending  0004_widen_c"),
        "{s}"
    );

    // `--allow` on the command line lets 0003 through.
    let out = run(
        dir.path(),
        &db.conninfo,
        &["apply", "--to", "3", "--allow", "rewrites_table"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(column_type(&mut client, "b"), "bigint");
    // 0004's header records the allowance: no `--allow` needed.
    let out = run(dir.path(), &db.conninfo, &["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("applied 0004_widen_c"));
    assert_eq!(column_type(&mut client, "c"), "bigint");

    // Rollback: 0004's down file (bigint → integer) has deletes_data and rewrites_table;
    // down files record no allowances, so the policy's hazard needs `--allow` too.
    let down =
        std::fs::read_to_string(dir.path().join("migrations/0004_widen_c.down.sql")).unwrap();
    assert!(
        down.contains("deletes_data") && down.contains("rewrites_table"),
        "{down}"
    );
    let out = run(
        dir.path(),
        &db.conninfo,
        &["rollback", "--to", "3", "--allow", "deletes_data"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("0004_widen_c (down) has hazards its header does not allow: rewrites_table\n  - step 1: alter-column-type public.t.c: rewrites_table"),
        "{err}"
    );
    assert!(
        err.contains("pass `--allow deletes_data,rewrites_table` to rollback"),
        "{err}"
    );
    assert_eq!(column_type(&mut client, "c"), "bigint");
    let out = run(
        dir.path(),
        &db.conninfo,
        &[
            "rollback",
            "--to",
            "3",
            "--allow",
            "deletes_data,rewrites_table",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(column_type(&mut client, "c"), "integer");
}

fn json_of(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr)))
}

/// Each segment of a migration file: whether it is transactional, and its steps' kinds.
fn layout(file: &std::path::Path) -> Vec<(bool, Vec<String>)> {
    let text = std::fs::read_to_string(file).unwrap();
    schemactl::apply::segments(&text)
        .iter()
        .map(|seg| {
            let kinds = seg
                .steps
                .iter()
                .map(|(label, _)| label.split_whitespace().nth(2).unwrap().to_string())
                .collect();
            (seg.transactional, kinds)
        })
        .collect()
}

fn one<T: for<'a> postgres::types::FromSql<'a>>(client: &mut postgres::Client, sql: &str) -> T {
    client.query_one(sql, &[]).unwrap().get(0)
}

/// The tester's report: a migration whose last segment fails after earlier segments (here an
/// enum rename, then an `ADD VALUE`) committed. `apply` said it was rolled back, `status`
/// showed the database at 0001, and `drift` offered to undo the committed part.
#[test]
fn a_failure_after_committed_segments_is_reported_part_way_by_apply_status_and_drift() {
    let db = support::test_db();
    let mut client = db.connect();
    let v1 = "[enums.st]\nvalues = [\"A\", \"B\"]\n[tables.t.columns]\nid = { type = \"int\", primary_key = true }\ns = { type = \"st\" }\nn = { type = \"int\" }\n";
    let v2 = "[enums.st2]\nrenamed_from = \"st\"\nvalues = [\"A\", \"B\", \"C\"]\n[tables.u]\nrenamed_from = \"t\"\n[tables.u.columns]\nid = { type = \"int\", primary_key = true }\ns = { type = \"st2\", default = \"C\" }\nn = { type = \"int\" }\n[[tables.u.checks]]\nexpr = \"n > 0\"\n";
    // The plain forms: the check is added, and fails, inside the last segment (online, it
    // would be added NOT VALID and fail in a VALIDATE segment of its own).
    let dir = project(&[
        ("schema/s.toml", v1),
        ("schemactl.toml", "[online]\nenabled = false\n"),
    ]);
    run_plan(dir.path(), "v1");
    let out = run(dir.path(), &db.conninfo, &["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    client
        .batch_execute("INSERT INTO t VALUES (1, 'A', -1)")
        .unwrap();
    std::fs::write(dir.path().join("schema/s.toml"), v2).unwrap();
    run_plan(dir.path(), "v2");
    // The segments the report describes; the messages below count them.
    let strs = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        layout(&dir.path().join("migrations/0002_v2.sql")),
        vec![
            (true, strs(&["rename-enum"])),
            (false, strs(&["add-enum-value"])),
            (
                true,
                strs(&[
                    "rename-table",
                    "rename-constraint",
                    "set-default",
                    "add-check"
                ])
            ),
        ],
        "the planner's step order changed: update the segment counts in this test"
    );

    // apply: exit 3, and the hint says what stayed.
    let out = run(dir.path(), &db.conninfo, &["apply"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    // Progress lines come first (stderr, as apply runs); then the error.
    assert!(
        err.lines().find(|l| !l.starts_with('[')).is_some_and(
            |l| l.starts_with("error: 0002_v2 failed at step 6: add-check public.u.u_n_check")
        ),
        "{err}"
    );
    assert!(
        err.contains("  = hint: segments 1–2 of 3 of 0002_v2 committed (steps 1–2); step 6 failed and its segment (steps 3–6) was rolled back; fix the cause and run `schemactl apply` again to resume after them\n"),
        "{err}"
    );
    assert!(!err.contains("the migration was rolled back"), "{err}");
    // As it says: the enum rename and the new value are in; the table rename, the default
    // and the check are not.
    let in_db = |client: &mut postgres::Client| -> (bool, bool, String, i64) {
        (
            one(client, "SELECT to_regclass('public.t') IS NOT NULL"),
            one(client, "SELECT to_regclass('public.u') IS NOT NULL"),
            one(
                client,
                "SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = 'st2'::regtype",
            ),
            one(
                client,
                "SELECT count(*) FROM pg_constraint WHERE conname = 'u_n_check'",
            ),
        )
    };
    assert_eq!(in_db(&mut client), (true, false, "A,B,C".into(), 0));
    // Again (resuming after segment 2, failing again), as JSON: where it stopped.
    let out = run(dir.path(), &db.conninfo, &["--format", "json", "apply"]);
    assert_eq!(out.status.code(), Some(3));
    let v = json_of(&out);
    assert_eq!(v["error"]["code"], "migration-failed", "{v}");
    assert_eq!(v["error"]["migration"], "0002_v2", "{v}");
    assert_eq!(v["error"]["file"], "up", "{v}");
    assert_eq!(
        (&v["error"]["segments_done"], &v["error"]["segments_total"]),
        (&serde_json::json!(2), &serde_json::json!(3)),
        "{v}"
    );

    // status: part-way, not "at 0001".
    let out = run(dir.path(), &db.conninfo, &["status"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(
        s.contains("  FAILED   0002_v2 (2 of 3 segments committed)  at "),
        "{s}"
    );
    assert!(
        s.contains("`apply` resumes after them: step 6: add-check"),
        "{s}"
    );
    assert!(
        s.contains("Current: part-way through 0002_v2 (2 of 3 segments committed), on top of 0001_v1; head: 0002_v2; 1 pending.\n"),
        "{s}"
    );
    let v = json_of(&run(
        dir.path(),
        &db.conninfo,
        &["--format", "json", "status"],
    ));
    let m = &v["migrations"][1];
    assert_eq!(m["migration"], "0002_v2", "{v}");
    assert_eq!(m["state"], "failed", "{v}");
    assert_eq!(m["part_way"], true, "{v}");
    assert_eq!(
        (&m["segments_done"], &m["segments_total"]),
        (&serde_json::json!(2), &serde_json::json!(3)),
        "{v}"
    );
    assert_eq!(v["migrations"][0]["part_way"], false, "{v}");
    assert_eq!(v["current"], "0001_v1", "{v}");
    assert_eq!(
        v["part_way"],
        serde_json::json!([{ "migration": "0002_v2", "direction": "up", "state": "failed", "segments_done": 2, "segments_total": 3 }]),
        "{v}"
    );

    // apply --dry-run: only what a resumed run executes.
    let out = run(dir.path(), &db.conninfo, &["apply", "--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(
        s.starts_with("-- would resume migrations/0002_v2.sql after segment 2 of 3 (committed before)\n-- step 3: rename-table"),
        "{s}"
    );
    assert!(
        s.contains("-- step 6: add-check public.u.u_n_check") && !s.contains("step 2:"),
        "{s}"
    );

    // drift: refused (exit 3), no undo SQL, the database untouched.
    let out = run(dir.path(), &db.conninfo, &["drift"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let err = text(&out.stderr);
    assert!(
        err.contains("is part-way through 0002_v2 (2 of 3 segments committed): it matches no migration's snapshot, so drift has nothing to compare it with"),
        "{err}"
    );
    assert!(
        err.contains("fix what made 0002_v2 fail (`schemactl status` shows the error), run `schemactl apply` to finish it, then run drift again"),
        "{err}"
    );
    assert!(
        text(&out.stdout).is_empty() && !err.contains("DROP"),
        "{err}"
    );
    let v = json_of(&run(
        dir.path(),
        &db.conninfo,
        &["--format", "json", "drift"],
    ));
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["error"]["code"], "part-way", "{v}");
    assert_eq!(v["error"]["part_way"]["migration"], "0002_v2", "{v}");
    assert_eq!(v["error"]["part_way"]["segments_done"], 2, "{v}");
    assert_eq!(in_db(&mut client), (true, false, "A,B,C".into(), 0));
    assert_eq!(one::<i64>(&mut client, "SELECT count(*) FROM t"), 1);

    // diff does not look at the history: it prints what is left to reach schema/.
    let out = run(dir.path(), &db.conninfo, &["diff"]);
    // Differences found: exit 1, like drift.
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let sql = text(&out.stdout);
    assert!(
        sql.contains("ALTER TABLE \"public\".\"u\" ALTER COLUMN \"s\" SET DEFAULT 'C';")
            && sql.contains("ADD CONSTRAINT \"u_n_check\" CHECK (n > 0);"),
        "{sql}"
    );
    assert!(
        !sql.contains("DROP") && !sql.contains("CREATE TABLE"),
        "{sql}"
    );

    // Data fixed: apply resumes after the committed segments; everything agrees again.
    client.batch_execute("UPDATE t SET n = 1").unwrap();
    let out = run(dir.path(), &db.conninfo, &["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("applied 0002_v2"));
    assert_eq!(in_db(&mut client), (false, true, "A,B,C".into(), 1));
    let s = text(&run(dir.path(), &db.conninfo, &["status"]).stdout);
    assert!(s.contains("  applied  0002_v2  "), "{s}");
    assert!(
        s.contains("Current: 0002_v2; head: 0002_v2; 0 pending.\n"),
        "{s}"
    );
    let out = run(dir.path(), &db.conninfo, &["drift"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).starts_with("No drift"),
        "{}",
        text(&out.stdout)
    );
}

/// The same for `rollback`: a down file that fails in its first segment leaves the migration
/// applied; one that fails after two committed leaves it part-way back, and every command
/// says so and names `rollback --to` to finish it.
#[test]
fn a_rollback_failure_after_committed_down_segments_is_reported_part_way_back() {
    let db = support::test_db();
    let mut client = db.connect();
    let v1 = "[enums.e]\nvalues = [\"A\", \"B\"]\n[tables.t.columns]\nid = { type = \"int\", primary_key = true }\nn = { type = \"int\" }\n[[tables.t.checks]]\nexpr = \"n > 0\"\n";
    // v2 renames e to e2, removes B and the check and adds x; its down file: RENAME e2 TO e;
    // ADD VALUE 'B' (alone); DROP TABLE x and ADD CONSTRAINT … CHECK (n > 0).
    let v2 = "[enums.e2]\nrenamed_from = \"e\"\nvalues = [\"A\"]\n[tables.t.columns]\nid = { type = \"int\", primary_key = true }\nn = { type = \"int\" }\n[tables.x.columns]\nid = { type = \"int\" }\n";
    // The plain forms, as in the test above.
    let dir = project(&[
        ("schema/s.toml", v1),
        ("schemactl.toml", "[online]\nenabled = false\n"),
    ]);
    run_plan(dir.path(), "v1");
    std::fs::write(dir.path().join("schema/s.toml"), v2).unwrap();
    plan(dir.path(), &["-m", "v2", "--allow", "deletes_data"]);
    let strs = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        layout(&dir.path().join("migrations/0002_v2.down.sql")),
        vec![
            (true, strs(&["rename-enum"])),
            (false, strs(&["add-enum-value"])),
            (true, strs(&["drop-table", "add-check"])),
        ],
        "the planner's step order changed: update the segment counts in this test"
    );
    let out = run(dir.path(), &db.conninfo, &["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let rollback = &["rollback", "--to", "1", "--allow", "deletes_data"];

    // Fails in its first segment (another type took the name e): nothing took effect, still
    // applied.
    client.batch_execute("CREATE TYPE e AS ENUM ('z')").unwrap();
    let out = run(dir.path(), &db.conninfo, rollback);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("  = hint: nothing of 0002_v2's down file took effect (the failing segment was rolled back) and the failure is recorded, so 0002_v2 is still applied; fix the cause, then run `schemactl rollback --to 1` again\n"),
        "{err}"
    );
    let s = text(&run(dir.path(), &db.conninfo, &["status"]).stdout);
    assert!(
        s.contains("  applied  0002_v2  rollback failed at ")
            && s.contains("(no down segment committed): step 1: rename-enum public.e"),
        "{s}"
    );
    assert!(
        s.contains("Current: 0002_v2; head: 0002_v2; 0 pending.\n"),
        "{s}"
    );
    client.batch_execute("DROP TYPE e").unwrap();
    let out = run(dir.path(), &db.conninfo, &["drift"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );

    // Fails in its last segment (a row breaks the check) after two committed.
    client
        .batch_execute("INSERT INTO t VALUES (1, -1)")
        .unwrap();
    let out = run(dir.path(), &db.conninfo, rollback);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("  = hint: segments 1–2 of 3 of 0002_v2's down file committed (steps 1–2); step 4 failed and its segment (steps 3–4) was rolled back; fix the cause and run `schemactl rollback --to 1` again to resume after them\n"),
        "{err}"
    );
    // Segments 1–2 stay: e has its name and B back; x is still there.
    assert!(one::<bool>(
        &mut client,
        "SELECT to_regclass('public.x') IS NOT NULL AND 'B' = ANY (enum_range(NULL::e)::text[])"
    ));
    let s = text(&run(dir.path(), &db.conninfo, &["status"]).stdout);
    assert!(
        s.contains("  ROLLBACK FAILED 0002_v2 (2 of 3 down segments committed)  at "),
        "{s}"
    );
    assert!(
        s.contains("Current: part-way back from 0002_v2 (2 of 3 down segments committed), on top of 0001_v1; head: 0002_v2; 1 pending.\n"),
        "{s}"
    );
    let v = json_of(&run(
        dir.path(),
        &db.conninfo,
        &["--format", "json", "status"],
    ));
    assert_eq!(
        v["part_way"],
        serde_json::json!([{ "migration": "0002_v2", "direction": "down", "state": "rollback_failed", "segments_done": 2, "segments_total": 3 }]),
        "{v}"
    );
    assert_eq!(v["migrations"][1]["segments_total"], 3, "{v}");
    let out = run(dir.path(), &db.conninfo, &["drift"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let err = text(&out.stderr);
    assert!(
        err.contains("is part-way back from 0002_v2 (2 of 3 down segments committed)")
            && err.contains("finish the rollback with `schemactl rollback --to 1`"),
        "{err}"
    );
    let v = json_of(&run(
        dir.path(),
        &db.conninfo,
        &["--format", "json", "drift"],
    ));
    assert_eq!(v["error"]["part_way"]["direction"], "down", "{v}");
    // apply will not run the up file over a half-undone migration.
    let out = run(dir.path(), &db.conninfo, &["apply"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("0002_v2 is part-way through its rollback")
            && err.contains("= hint: finish the rollback first"),
        "{err}"
    );

    // Fixed: the rollback resumes, and drift compares with 0001 (replayed) again.
    client.batch_execute("UPDATE t SET n = 1").unwrap();
    let out = run(dir.path(), &db.conninfo, rollback);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&run(dir.path(), &db.conninfo, &["status"]).stdout);
    assert!(
        s.contains("Current: 0001_v1; head: 0002_v2; 1 pending.\n"),
        "{s}"
    );
    let out = run(dir.path(), &db.conninfo, &["drift"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("matches 0001_v1"),
        "{}",
        text(&out.stdout)
    );
}
