//! `schemactl apply` / `status` / `hash` as users run them, against real PostgreSQL.

mod support;

use std::process::Command;

use support::project::*;

fn run(dir: &std::path::Path, db: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_schemactl"))
        .arg("--project")
        .arg(dir)
        .args(["--db", db])
        .args(args)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

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
    let out = run(dir.path(), &db.conninfo, &["status"]);
    let s = text(&out.stdout);
    assert!(
        s.contains("applied  0001_init") && s.contains("FAILED   0002_b"),
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
