//! `drift`, `diff --db` and `verify` against real PostgreSQL.

mod support;

use std::process::Command;

use support::project::*;

fn run(dir: &std::path::Path, db: Option<&str>, args: &[&str]) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_schemactl"));
    c.arg("--project").arg(dir);
    if let Some(db) = db {
        c.args(["--db", db]);
    }
    c.args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn plan_apply_drift_on_the_example_then_each_kind_of_drift_is_named() {
    let db = support::test_db();
    let root = repo_root();
    let out = run(&root, Some(&db.conninfo), &["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = run(&root, Some(&db.conninfo), &["drift"]);
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
    let out = run(&root, Some(&db.conninfo), &["status"]);
    assert!(
        text(&out.stdout).contains("0 pending."),
        "{}",
        text(&out.stdout)
    );

    let mut client = db.connect();
    client
        .batch_execute(
            "ALTER TABLE public.members ADD COLUMN nickname text;
             ALTER TABLE public.book_registrations ALTER COLUMN applicant_priority_number TYPE numeric(12,2);
             DROP INDEX public.members_last_name_first_name_idx;",
        )
        .unwrap();
    let out = run(&root, Some(&db.conninfo), &["drift"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(
        s.contains("extra in the database: column public.members.nickname"),
        "{s}"
    );
    assert!(
        s.contains("different in the database: column public.book_registrations.applicant_priority_number (type numeric(10,2) → numeric(12,2))"),
        "{s}"
    );
    assert!(
        s.contains(
            "missing from the database: index members_last_name_first_name_idx on public.members"
        ),
        "{s}"
    );
    // The SQL part recreates what it can (the index).
    assert!(
        s.contains("CREATE INDEX \"members_last_name_first_name_idx\""),
        "{s}"
    );

    let out = run(&root, Some(&db.conninfo), &["--format", "json", "drift"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["drift"].as_array().unwrap().len(), 3, "{v}");
}

#[test]
fn drift_dev_checks_a_throwaway_server_with_the_chain_applied() {
    let out = run(&repo_root(), None, &["drift", "--dev"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("No drift")
            && text(&out.stdout).contains(&format!(
                "matches {}",
                migration_files(&repo_root())
                    .last()
                    .unwrap()
                    .file_stem()
                    .unwrap()
                    .to_string_lossy()
            ))
    );
}

#[test]
fn diff_db_prints_the_sql_to_reach_schema_and_writes_nothing() {
    let db = support::test_db();
    let dir = project(&[(
        "schema/s.toml",
        "[tables.a.columns]\nid = { type = \"int\", primary_key = true }\n",
    )]);
    let out = run(dir.path(), Some(&db.conninfo), &["diff"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("CREATE TABLE \"public\".\"a\""),
        "{}",
        text(&out.stdout)
    );
    assert!(!dir.path().join("migrations").exists());
    let mut client = db.connect();
    apply_sql(&mut client, &text(&out.stdout));
    let out = run(dir.path(), Some(&db.conninfo), &["diff"]);
    assert!(
        text(&out.stdout).starts_with("No differences"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn verify_passes_on_the_example_and_catches_a_broken_chain() {
    let root = repo_root();
    let out = run(&root, None, &["verify", "--dev"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );

    // The "missing base migration": 0001 removed and the rest renumbered and re-hashed, so
    // the directory is consistent but does not build from an empty database.
    let dir = copy_example_project();
    let m = dir.path().join("migrations");
    std::fs::remove_file(m.join("0001_init.sql")).unwrap();
    // Renumber every later migration (and its down file) down by one.
    for f in migration_files(dir.path()) {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let (num, rest) = name.split_at(4);
        let n: u32 = num.parse().unwrap();
        std::fs::rename(&f, m.join(format!("{:04}{rest}", n - 1))).unwrap();
        let down = m.join(name.replace(".sql", ".down.sql"));
        if down.exists() {
            let rest = rest.replace(".sql", ".down.sql");
            std::fs::rename(&down, m.join(format!("{:04}{rest}", n - 1))).unwrap();
        }
    }
    std::fs::remove_file(m.join("schemactl.sum")).unwrap();
    let out = run(dir.path(), None, &["hash"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = run(dir.path(), None, &["verify"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stderr).contains("does not build from an empty database"),
        "{}",
        text(&out.stderr)
    );

    // A chain whose result differs from the snapshot (a hand edit, re-hashed).
    let dir = copy_example_project();
    let p = dir.path().join("migrations/0002_add_dispatch_notes.sql");
    let edited = std::fs::read_to_string(&p).unwrap().replace(
        "ADD COLUMN \"cancellation_reason\" text;",
        "ADD COLUMN \"cancellation_reason\" varchar(10);",
    );
    std::fs::write(&p, edited).unwrap();
    assert_eq!(run(dir.path(), None, &["hash"]).status.code(), Some(0));
    let out = run(dir.path(), None, &["verify"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("cancellation_reason"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn verify_into_an_empty_database_leaves_it_empty() {
    let db = support::test_db();
    let root = repo_root();
    let out = run(&root, Some(&db.conninfo), &["verify"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let mut client = db.connect();
    let dump = catalog_dump(&mut client);
    assert_eq!(dump, vec!["schema public".to_string()], "left empty");
    // A database that is not empty is refused.
    client
        .batch_execute("CREATE TABLE public.x (a int)")
        .unwrap();
    let out = run(&root, Some(&db.conninfo), &["verify"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}
