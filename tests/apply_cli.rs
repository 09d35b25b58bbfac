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
