//! `schemactl import alembic` on the fixture Alembic project (tests/fixtures/alembic/shop:
//! a base, two branches, a merge) and its broken variants (two unmerged heads; the base file
//! missing), read without Python; and where databases stamped at various revisions stand.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use support::project::text;
use support::python::alembic_fixture;

const BASE: &str = "1a2b3c4d5e6f";
const ORDERS: &str = "2b3c4d5e6f70";
const BILLING: &str = "3c4d5e6f7081";
const MERGE: &str = "4d5e6f708192";

/// `schemactl import alembic` run in `dir` (which holds alembic.ini), with `args`.
fn import(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_schemactl"))
        .current_dir(dir)
        .args(["import", "alembic"])
        .args(args)
        .output()
        .unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}\n{}{}", text(&out.stdout), text(&out.stderr)))
}

#[test]
fn a_merged_history_reports_its_base_branch_merge_and_one_head() {
    let dir = alembic_fixture("shop", &[]);
    let out = import(dir.path(), &[]);
    let s = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{s}{}", text(&out.stderr));
    assert!(s.contains(&format!("base: {BASE} (create users)")), "{s}");
    assert!(
        s.contains(&format!("head: {MERGE} (merge orders and billing)")),
        "{s}"
    );
    assert!(
        s.contains(&format!(
            "branch point: {BASE} (create users) → {ORDERS}, {BILLING}"
        )),
        "{s}"
    );
    assert!(s.contains(&format!("merge: {MERGE}")), "{s}");
    assert!(s.contains("one head, every revision present"), "{s}");

    let j = json(&import(dir.path(), &["--format", "json"]));
    assert_eq!(j["ok"], true);
    assert_eq!(j["heads"], serde_json::json!([MERGE]));
    assert_eq!(j["revisions"].as_array().unwrap().len(), 4);
    assert_eq!(
        j["merges"][0]["merges"],
        serde_json::json!([ORDERS, BILLING])
    );
}

#[test]
fn two_unmerged_heads_and_a_missing_base_break_the_history() {
    let two = alembic_fixture("shop", &[MERGE]);
    let out = import(two.path(), &[]);
    let s = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{s}");
    assert!(s.contains(&format!("2 heads ({ORDERS}, {BILLING})")), "{s}");

    let nobase = alembic_fixture("shop", &[BASE]);
    let j = json(&import(nobase.path(), &["--format", "json"]));
    assert_eq!(j["ok"], false);
    assert_eq!(j["bases"], serde_json::json!([]));
    let problems: Vec<String> = j["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["message"].as_str().unwrap().to_string())
        .collect();
    assert!(
        problems.iter().any(|p| p.contains(&format!(
            "revises {BASE}, which no file in versions/ declares"
        ))),
        "{problems:?}"
    );
}

#[test]
fn duplicates_misnamed_files_and_unreadable_values_are_reported() {
    let dir = alembic_fixture("shop", &[]);
    let versions = dir.path().join("alembic/versions");
    // A copy of a revision under another file name: a duplicate id, and a misnamed file.
    std::fs::copy(
        versions.join(format!("{ORDERS}_add_orders.py")),
        versions.join("5e6f70819203_add_orders_copy.py"),
    )
    .unwrap();
    let j = json(&import(dir.path(), &["--format", "json"]));
    assert_eq!(j["ok"], false);
    let text_of = |j: &serde_json::Value| j["problems"].to_string();
    assert!(
        text_of(&j).contains(&format!("revision id {ORDERS} is declared by 2 files")),
        "{j}"
    );
    assert!(
        text_of(&j).contains("5e6f70819203_add_orders_copy.py: the file name does not match"),
        "{j}"
    );

    // A computed down_revision cannot be read statically: exit 2 with its location.
    let broken = alembic_fixture("shop", &[]);
    let path = broken
        .path()
        .join(format!("alembic/versions/{ORDERS}_add_orders.py"));
    let src = std::fs::read_to_string(&path).unwrap().replace(
        &format!("down_revision: Union[str, Sequence[str], None] = '{BASE}'"),
        "down_revision: Union[str, Sequence[str], None] = os.environ['PREV']",
    );
    std::fs::write(&path, src).unwrap();
    let out = import(broken.path(), &[]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("{ORDERS}_add_orders.py:16:")),
        "{err}"
    );
    assert!(err.contains("does not understand"), "{err}");

    // No Alembic project at all.
    let empty = tempfile::tempdir().unwrap();
    let out = import(empty.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--alembic-dir"),
        "{}",
        text(&out.stderr)
    );
}

/// A database whose `alembic_version` holds `at` (no table at all for `None`).
fn stamped(at: Option<&[&str]>) -> support::TestDb {
    let db = support::test_db();
    if let Some(at) = at {
        let mut c = db.connect();
        c.batch_execute("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)")
            .unwrap();
        for v in at {
            c.execute("INSERT INTO alembic_version VALUES ($1)", &[v])
                .unwrap();
        }
    }
    db
}

#[test]
fn each_database_is_placed_in_the_graph() {
    let dir = alembic_fixture("shop", &[]);
    let head = stamped(Some(&[MERGE]));
    let behind = stamped(Some(&[ORDERS]));
    let never = stamped(None);
    let out = import(
        dir.path(),
        &[
            "--db",
            &head.conninfo,
            "--db",
            &behind.conninfo,
            "--db",
            &never.conninfo,
        ],
    );
    let s = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{s}{}", text(&out.stderr));
    let lines: Vec<&str> = s.lines().filter(|l| l.starts_with("Database ")).collect();
    assert_eq!(lines.len(), 3, "{s}");
    assert!(
        lines[0].ends_with(": up to date (every revision applied)"),
        "{s}"
    );
    assert!(
        lines[1].contains(&format!(
            "at {ORDERS} (add orders): not a head, 2 revisions behind ({BILLING}, {MERGE})"
        )),
        "{s}"
    );
    assert!(lines[2].contains("no alembic_version table"), "{s}");
    // Never a password or a path beyond the database's name.
    assert!(!s.contains("password"), "{s}");

    // On two unmerged heads, a database at one of them is at a head and still behind.
    let two = alembic_fixture("shop", &[MERGE]);
    let j = json(&import(
        two.path(),
        &["--format", "json", "--db", &behind.conninfo],
    ));
    assert_eq!(j["databases"][0]["at_heads"], serde_json::json!([ORDERS]));
    assert_eq!(j["databases"][0]["behind"], serde_json::json!([BILLING]));
}

#[test]
fn other_commands_refuse_several_databases() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_schemactl"))
        .current_dir(dir.path())
        .args(["status", "--db", "a", "--db", "b"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--db is given 2 times"));
}

#[test]
fn an_unreachable_database_fails_with_exit_3_and_no_password() {
    let dir = alembic_fixture("shop", &[]);
    let out = import(
        dir.path(),
        &[
            "--db",
            "postgres://me:sekrit@127.0.0.1:1/shop?connect_timeout=2",
        ],
    );
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(3), "{said}");
    assert!(said.contains("127.0.0.1"), "{said}");
    assert!(!said.contains("sekrit"), "{said}");
}

#[test]
fn version_tables_elsewhere_and_unknown_revisions() {
    let dir = alembic_fixture("shop", &[]);
    // env.py's version_table_schema: the table is in another schema.
    let elsewhere = support::test_db();
    elsewhere
        .connect()
        .batch_execute(&format!(
            "CREATE SCHEMA meta; CREATE TABLE meta.alembic_version (version_num varchar(32) NOT NULL, \
             CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)); \
             INSERT INTO meta.alembic_version VALUES ('{MERGE}')"
        ))
        .unwrap();
    // env.py's version_table: another name, Alembic's `<table>_pkc` primary key.
    let renamed = support::test_db();
    renamed
        .connect()
        .batch_execute(&format!(
            "CREATE TABLE schema_history (version_num varchar(32) NOT NULL, \
             CONSTRAINT schema_history_pkc PRIMARY KEY (version_num)); \
             INSERT INTO schema_history VALUES ('{ORDERS}')"
        ))
        .unwrap();
    let out = import(
        dir.path(),
        &["--db", &elsewhere.conninfo, "--db", &renamed.conninfo],
    );
    let s = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{s}{}", text(&out.stderr));
    let lines: Vec<&str> = s.lines().filter(|l| l.starts_with("Database ")).collect();
    assert!(
        lines[0].ends_with(": up to date (every revision applied)"),
        "{s}"
    );
    assert!(
        lines[1].contains(&format!("at {ORDERS} (add orders)")),
        "{s}"
    );

    // A revision no file declares (a newer checkout, a deleted file): not "behind" anything,
    // and worth an exit 1.
    let newer = stamped(Some(&["0123456789ab"]));
    let out = import(dir.path(), &["--db", &newer.conninfo]);
    let s = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{s}{}", text(&out.stderr));
    assert!(s.contains("its place in this history is unknown"), "{s}");
    assert!(!s.contains("behind"), "{s}");
}
