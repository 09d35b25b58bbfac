//! `schemactl baseline` (adopting a database that already has the schema) and `apply`'s
//! refusal of a database with objects but no history, against real PostgreSQL.

mod support;

use std::path::Path;
use std::process::Output;

use support::project::{project, schemactl, schemactl_db, text};

const V1: &str = r#"
[enums.status]
values = ["A", "B"]

[tables.a.columns]
id = { type = "serial", primary_key = true }
s = { type = "status", default = "A" }

[tables.b]
schema = "billing"

[tables.b.columns]
id = { type = "bigint", identity = "always", primary_key = true }
a_id = { type = "int", references = "public.a.id" }
"#;

/// What V1 is, written by hand as a team without schemactl would have it.
const V1_SQL: &str = "
CREATE TYPE public.status AS ENUM ('A', 'B');
CREATE TABLE public.a (id serial PRIMARY KEY, s public.status NOT NULL DEFAULT 'A');
CREATE SCHEMA billing;
CREATE TABLE billing.b (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    a_id integer NOT NULL REFERENCES public.a (id)
);
";

/// V2 = V1 + a nullable column and a table.
fn v2() -> String {
    V1.replace(
        "s = { type = \"status\", default = \"A\" }",
        "s = { type = \"status\", default = \"A\" }\nnote = { type = \"text\", nullable = true }",
    ) + "\n[tables.notes.columns]\nid = { type = \"int\", primary_key = true }\nbody = { type = \"text\" }\n"
}

/// What V2 adds to V1, by hand.
const V2_SQL: &str = "
ALTER TABLE public.a ADD COLUMN note text;
CREATE TABLE public.notes (id integer PRIMARY KEY, body text NOT NULL);
";

/// A project whose chain is 0001_v1, 0002_v2 (planned offline, never applied anywhere).
fn two_migration_project() -> tempfile::TempDir {
    let dir = project(&[
        (
            "schemactl.toml",
            "[project]\nschemas = [\"public\", \"billing\"]\n",
        ),
        ("schema/s.toml", V1),
    ]);
    ok(schemactl(dir.path(), &["plan", "-m", "v1"]));
    std::fs::write(dir.path().join("schema/s.toml"), v2()).unwrap();
    ok(schemactl(dir.path(), &["plan", "-m", "v2"]));
    dir
}

fn ok(out: Output) -> String {
    let s = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{s}\nstderr:\n{}",
        text(&out.stderr)
    );
    s
}

fn code(out: &Output, expected: i32) {
    assert_eq!(
        out.status.code(),
        Some(expected),
        "stdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr)))
}

/// `(version, name, status, note)` of every history row, oldest first.
fn history(db: &support::TestDb) -> Vec<(i32, String, String, Option<String>)> {
    let mut c = db.connect();
    let exists: bool = c
        .query_one("SELECT to_regclass('schemactl.history') IS NOT NULL", &[])
        .unwrap()
        .get(0);
    if !exists {
        return Vec::new();
    }
    c.query(
        "SELECT version, name, status, to_jsonb(h) ->> 'note' FROM schemactl.history h ORDER BY id",
        &[],
    )
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
    .collect()
}

fn history_table_exists(db: &support::TestDb) -> bool {
    db.connect()
        .query_one("SELECT to_regnamespace('schemactl') IS NOT NULL", &[])
        .unwrap()
        .get(0)
}

fn run(dir: &Path, db: &support::TestDb, args: &[&str]) -> Output {
    schemactl_db(dir, &db.conninfo, args)
}

#[test]
fn baseline_adopts_a_database_built_by_hand_then_a_migration_applies_on_top() {
    let dir = two_migration_project();
    let db = support::test_db();
    db.connect()
        .batch_execute(&format!("{V1_SQL}{V2_SQL}"))
        .unwrap();

    let out = ok(run(dir.path(), &db, &["baseline"]));
    assert!(out.starts_with("Baselined "), "{out}");
    assert!(
        out.contains("it matches 0002_v2; recorded 2 migration(s) as baselined (not run):\n  baselined 0001_v1\n  baselined 0002_v2\n"),
        "{out}"
    );
    let note = Some("baseline at 0002_v2".to_string());
    assert_eq!(
        history(&db),
        vec![
            (1, "0001_v1".into(), "baselined".into(), note.clone()),
            (2, "0002_v2".into(), "baselined".into(), note.clone()),
        ]
    );

    // status: exit 0, both shown as baselined, when and by whom.
    let s = ok(run(dir.path(), &db, &["status"]));
    assert!(
        s.contains("  baselined 0001_v1  ") && s.contains("(not run: baseline at 0002_v2)"),
        "{s}"
    );
    assert!(s.contains(" by "), "{s}");
    assert!(
        s.contains("Current: 0002_v2; head: 0002_v2; 0 pending."),
        "{s}"
    );
    let v = json(&run(dir.path(), &db, &["--format", "json", "status"]));
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["current"], "0002_v2", "{v}");
    assert_eq!(v["migrations"][0]["state"], "baselined", "{v}");
    assert_eq!(v["migrations"][1]["note"], "baseline at 0002_v2", "{v}");
    assert!(v["migrations"][1]["applied_at"].is_string(), "{v}");
    assert!(v["migrations"][1]["applied_by"].is_string(), "{v}");

    // drift compares with 0002_v2 and finds nothing; apply has nothing to do.
    let d = ok(run(dir.path(), &db, &["drift"]));
    assert!(d.starts_with("No drift"), "{d}");
    let a = ok(run(dir.path(), &db, &["apply"]));
    assert!(a.starts_with("Nothing to apply"), "{a}");

    // A second baseline is refused, naming what the history holds; nothing is added.
    let out = run(dir.path(), &db, &["baseline"]);
    code(&out, 2);
    let err = text(&out.stderr);
    assert!(
        err.contains("already has a migration history (0001_v1 baselined, 0002_v2 baselined)")
            && err.contains("`schemactl status`"),
        "{err}"
    );
    assert_eq!(history(&db).len(), 2);

    // The next migration applies on top, and only it.
    let v3 = v2() + "\n[tables.c.columns]\nid = { type = \"int\", primary_key = true }\n";
    std::fs::write(dir.path().join("schema/s.toml"), v3).unwrap();
    ok(schemactl(dir.path(), &["plan", "-m", "v3"]));
    let a = ok(run(dir.path(), &db, &["apply"]));
    assert!(
        a.contains("applied 0003_v3") && !a.contains("0001_v1"),
        "{a}"
    );
    let d = ok(run(dir.path(), &db, &["drift"]));
    assert!(d.starts_with("No drift"), "{d}");
    let rows = history(&db);
    assert_eq!(rows.len(), 3);
    assert_eq!(
        (rows[2].2.as_str(), rows[2].3.as_deref()),
        ("applied", None)
    );

    // Rolling back a baselined migration runs its down file.
    ok(run(
        dir.path(),
        &db,
        &["rollback", "--to", "1", "--allow", "deletes_data"],
    ));
    let s = ok(run(dir.path(), &db, &["status"]));
    assert!(
        s.contains("  baselined 0001_v1  ") && s.contains("Current: 0001_v1;"),
        "{s}"
    );
    let d = ok(run(dir.path(), &db, &["drift"]));
    assert!(d.starts_with("No drift: ") && d.contains("0001_v1"), "{d}");
}

#[test]
fn baseline_refuses_a_database_that_differs_and_records_nothing() {
    let dir = two_migration_project();
    let db = support::test_db();
    // V1 plus only part of V2, and a table the project does not have.
    db.connect()
        .batch_execute(&format!(
            "{V1_SQL}CREATE TABLE public.notes (id integer PRIMARY KEY, body text NOT NULL);
             CREATE TABLE public.stray (x int);"
        ))
        .unwrap();
    let before = support::project::catalog_dump(&mut db.connect());

    let out = run(dir.path(), &db, &["baseline"]);
    code(&out, 1);
    let s = text(&out.stdout);
    assert!(s.starts_with("Not baselined: "), "{s}");
    assert!(s.contains("differs from 0002_v2:\n  - "), "{s}");
    // The same lines as drift shows, then the SQL that would converge the database.
    assert!(s.contains("public.a.note"), "{s}");
    assert!(s.contains("public.stray"), "{s}");
    assert!(
        s.contains("SQL that would make the database match 0002_v2 (baseline runs none of it):"),
        "{s}"
    );
    assert!(s.contains("ADD COLUMN \"note\""), "{s}");
    assert!(s.contains("DROP TABLE \"public\".\"stray\""), "{s}");
    let err = text(&out.stderr);
    assert!(
        err.contains("does not match 0002_v2 (2 differences); nothing was recorded"),
        "{err}"
    );
    assert!(
        err.contains("`schemactl inspect --out DIR` writes it as schema files"),
        "{err}"
    );

    let v = json(&run(dir.path(), &db, &["--format", "json", "baseline"]));
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["version"], "0002_v2", "{v}");
    assert_eq!(v["drift"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(v["error"]["code"], "differs", "{v}");
    assert!(v["sql"].as_str().unwrap().contains("DROP TABLE"), "{v}");

    // Nothing written: no history schema, the catalog as it was.
    assert!(!history_table_exists(&db));
    assert_eq!(support::project::catalog_dump(&mut db.connect()), before);

    // A project without migrations has nothing to baseline: the hint is the way to adopt.
    let empty = project(&[
        (
            "schemactl.toml",
            "[project]\nschemas = [\"public\", \"billing\"]\n",
        ),
        ("schema/s.toml", V1),
    ]);
    let out = run(empty.path(), &db, &["baseline"]);
    code(&out, 2);
    let err = text(&out.stderr);
    assert!(
        err.contains("there are no migrations to baseline")
            && err.contains(
                "describe the database with `schemactl inspect`, `schemactl plan -m init`, then `schemactl baseline`"
            ),
        "{err}"
    );
    assert!(!history_table_exists(&db));
}

#[test]
fn baseline_to_an_older_version_compares_with_the_replayed_chain() {
    let dir = two_migration_project();
    let db = support::test_db();
    db.connect().batch_execute(V1_SQL).unwrap();

    // At head (0002_v2) it differs.
    code(&run(dir.path(), &db, &["baseline"]), 1);
    assert!(!history_table_exists(&db));

    let out = run(
        dir.path(),
        &db,
        &[
            "--format",
            "json",
            "baseline",
            "--to",
            "1",
            "--note",
            "replaces alembic revision 1a2b3c",
        ],
    );
    code(&out, 0);
    let v = json(&out);
    assert_eq!(v["version"], "0001_v1", "{v}");
    assert_eq!(v["baselined"], serde_json::json!(["0001_v1"]), "{v}");
    assert_eq!(v["pending"], serde_json::json!(["0002_v2"]), "{v}");
    assert_eq!(
        history(&db),
        vec![(
            1,
            "0001_v1".into(),
            "baselined".into(),
            Some("replaces alembic revision 1a2b3c".into())
        )]
    );
    let s = ok(run(dir.path(), &db, &["status"]));
    assert!(
        s.contains("  baselined 0001_v1  ")
            && s.contains("(not run: replaces alembic revision 1a2b3c)")
            && s.contains("  pending  0002_v2")
            && s.contains("Current: 0001_v1; head: 0002_v2; 1 pending."),
        "{s}"
    );
    // drift compares with 0001_v1 (rebuilt by replay): nothing.
    let d = ok(run(dir.path(), &db, &["drift"]));
    assert!(d.starts_with("No drift") && d.contains("0001_v1"), "{d}");
    // apply runs 0002 only.
    let a = ok(run(dir.path(), &db, &["apply"]));
    assert!(
        a.contains("applied 0002_v2") && !a.contains("0001_v1"),
        "{a}"
    );
    let d = ok(run(dir.path(), &db, &["drift"]));
    assert!(d.starts_with("No drift") && d.contains("0002_v2"), "{d}");

    // Bad input: an unknown version, a note with a control character.
    let fresh = support::test_db();
    code(&run(dir.path(), &fresh, &["baseline", "--to", "7"]), 2);
    code(&run(dir.path(), &fresh, &["baseline", "--note", "a\nb"]), 2);
}

#[test]
fn apply_refuses_a_database_with_objects_but_no_history_and_changes_nothing() {
    let dir = two_migration_project();
    let db = support::test_db();
    db.connect().batch_execute(V1_SQL).unwrap();
    let before = support::project::catalog_dump(&mut db.connect());

    for args in [&["apply"][..], &["apply", "--dry-run"]] {
        let out = run(dir.path(), &db, args);
        code(&out, 2);
        let err = text(&out.stderr);
        assert!(
            err.contains(
                "the database has no migration history, but its managed schemas already hold"
            ) && err.contains("0001_v1 was not run"),
            "{err}"
        );
        assert!(
            err.contains("  - table billing.b\n") && err.contains("  - table public.a\n"),
            "{err}"
        );
        assert!(err.contains("run `schemactl baseline`"), "{err}");
        assert!(
            err.contains(
                "describe it with `schemactl inspect`, `schemactl plan -m init`, then `schemactl baseline`"
            ),
            "{err}"
        );
    }
    let v = json(&run(dir.path(), &db, &["--format", "json", "apply"]));
    assert_eq!(v["error"]["code"], "not-empty", "{v}");
    assert_eq!(v["error"]["migration"], "0001_v1", "{v}");
    assert_eq!(
        v["error"]["objects"],
        serde_json::json!(["table billing.b", "table public.a", "enum public.status"]),
        "{v}"
    );
    assert!(!history_table_exists(&db));
    assert_eq!(support::project::catalog_dump(&mut db.connect()), before);

    // The hint's way out works.
    ok(run(dir.path(), &db, &["baseline", "--to", "1"]));
    ok(run(dir.path(), &db, &["apply"]));
}

#[test]
fn apply_into_a_database_with_only_unmanaged_or_ignored_objects_runs() {
    let dir = project(&[
        (
            "schemactl.toml",
            "[project]\nschemas = [\"public\"]\nignore = [\"public.legacy_*\"]\n",
        ),
        (
            "schema/s.toml",
            "[tables.a.columns]\nid = { type = \"int\", primary_key = true }\n",
        ),
    ]);
    ok(schemactl(dir.path(), &["plan", "-m", "init"]));
    let db = support::test_db();
    db.connect()
        .batch_execute(
            "CREATE SCHEMA other; CREATE TABLE other.t (x int); CREATE VIEW other.v AS SELECT 1 AS one;
             CREATE TABLE public.legacy_users (id int);
             CREATE POLICY p ON public.legacy_users USING (true);",
        )
        .unwrap();
    let a = ok(run(dir.path(), &db, &["apply"]));
    assert!(a.contains("applied 0001_init"), "{a}");
}

#[test]
fn an_old_history_table_gets_the_baselined_status_and_the_note_column() {
    let dir = two_migration_project();
    let db = support::test_db();
    // The table as the previous version created it: no `note`, no `baselined` in the check.
    db.connect()
        .batch_execute(&format!(
            "{V1_SQL}{V2_SQL}
             CREATE SCHEMA schemactl;
             CREATE TABLE schemactl.history (
                 id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                 version       integer NOT NULL,
                 name          text NOT NULL,
                 link          text NOT NULL,
                 applied_at    timestamptz NOT NULL DEFAULT now(),
                 applied_by    text NOT NULL DEFAULT current_user,
                 duration_ms   bigint NOT NULL DEFAULT 0,
                 status        text NOT NULL CONSTRAINT history_status_check CHECK (status IN
                     ('applied', 'partial', 'failed', 'rolled_back', 'rolling_back',
                      'rollback_failed', 'running', 'running_back')),
                 segments_done integer NOT NULL DEFAULT 0,
                 done_hash     text,
                 error         text
             );"
        ))
        .unwrap();
    // Read-only commands read the old table as it is.
    let s = ok(run(dir.path(), &db, &["status"]));
    assert!(s.contains("pending  0001_v1"), "{s}");

    ok(run(dir.path(), &db, &["baseline"]));
    let mut c = db.connect();
    let check: String = c
        .query_one(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'history_status_check'",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(check.contains("'baselined'"), "{check}");
    assert_eq!(history(&db).len(), 2);
    assert_eq!(history(&db)[0].3.as_deref(), Some("baseline at 0002_v2"));
}

#[test]
fn an_old_history_table_with_rows_is_read_as_it_is_and_upgraded_by_apply() {
    let dir = two_migration_project();
    let db = support::test_db();
    ok(run(dir.path(), &db, &["apply", "--to", "1"]));
    // Make the table what the previous version left: no `note`, the previous check.
    db.connect()
        .batch_execute(
            "ALTER TABLE schemactl.history DROP COLUMN note;
             ALTER TABLE schemactl.history DROP CONSTRAINT history_status_check;
             ALTER TABLE schemactl.history ADD CONSTRAINT history_status_check CHECK (status IN
                 ('applied', 'partial', 'failed', 'rolled_back', 'rolling_back',
                  'rollback_failed', 'running', 'running_back'));",
        )
        .unwrap();
    let s = ok(run(dir.path(), &db, &["status"]));
    assert!(
        s.contains("  applied  0001_v1  ") && s.contains("  pending  0002_v2"),
        "{s}"
    );
    let v = json(&run(dir.path(), &db, &["--format", "json", "status"]));
    assert_eq!(v["migrations"][0]["state"], "applied", "{v}");
    assert!(v["migrations"][0]["note"].is_null(), "{v}");
    ok(run(dir.path(), &db, &["drift"]));

    // The next apply upgrades the table, and the history reads back with its new column.
    let a = ok(run(dir.path(), &db, &["apply"]));
    assert!(a.contains("applied 0002_v2"), "{a}");
    let mut c = db.connect();
    let (check, note): (String, bool) = {
        let r = c
            .query_one(
                "SELECT pg_get_constraintdef(oid),
                        EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'schemactl.history'::regclass
                                AND attname = 'note' AND NOT attisdropped)
                 FROM pg_constraint WHERE conname = 'history_status_check'",
                &[],
            )
            .unwrap();
        (r.get(0), r.get(1))
    };
    assert!(check.contains("'baselined'") && note, "{check}");
    assert_eq!(
        history(&db)
            .iter()
            .map(|r| (r.2.as_str(), r.3.clone()))
            .collect::<Vec<_>>(),
        vec![("applied", None), ("applied", None)]
    );
}

#[test]
fn baseline_waits_for_the_migration_lock_and_gives_up_with_exit_3() {
    let dir = two_migration_project();
    let db = support::test_db();
    db.connect()
        .batch_execute(&format!("{V1_SQL}{V2_SQL}"))
        .unwrap();
    // Another apply (or baseline) holds the lock.
    let mut holder = db.connect();
    schemactl::apply::lock(&mut holder, "schemactl", std::time::Duration::from_secs(5)).unwrap();
    let out = run(
        dir.path(),
        &db,
        &["--format", "json", "baseline", "--lock-timeout", "1"],
    );
    code(&out, 3);
    assert_eq!(json(&out)["error"]["code"], "lock-timeout");
    assert!(!history_table_exists(&db));
    schemactl::apply::unlock(&mut holder, "schemactl").unwrap();
    ok(run(dir.path(), &db, &["baseline"]));
}
