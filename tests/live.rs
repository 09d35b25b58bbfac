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
    // The SQL part recreates what it can (the index, concurrently on the existing table).
    assert!(
        s.contains("CREATE INDEX CONCURRENTLY \"members_last_name_first_name_idx\""),
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

/// `-q`: a passing `drift`, `verify` or empty `diff` prints nothing; drift that is found is
/// still shown (exit 1).
#[test]
fn quiet_passing_checks_print_nothing() {
    let db = support::test_db();
    let dir = project(&[(
        "schema/s.toml",
        "[tables.a.columns]\nid = { type = \"int\", primary_key = true }\n",
    )]);
    let out = run(dir.path(), None, &["-q", "plan", "-m", "init"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = run(dir.path(), Some(&db.conninfo), &["-q", "apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for args in [
        &["-q", "drift"][..],
        &["-q", "diff"],
        &["-q", "verify", "--dev"],
    ] {
        let out = run(dir.path(), Some(&db.conninfo), args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert_eq!(text(&out.stdout), "", "{args:?}");
    }
    let mut client = db.connect();
    client
        .batch_execute("ALTER TABLE a ADD COLUMN x int")
        .unwrap();
    let out = run(dir.path(), Some(&db.conninfo), &["-q", "drift"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("Drift:"),
        "{}",
        text(&out.stdout)
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
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
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
    std::fs::remove_file(m.join("0001_init.down.sql")).unwrap();
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

/// A project with two planned migrations (each with its down file): v1 creates the schema
/// `billing`, an enum, a table with a serial key and one with an identity key and a foreign
/// key across schemas; v2 adds a column and a table.
fn two_migration_project() -> tempfile::TempDir {
    let v1 = r#"
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
    let dir = project(&[
        (
            "schemactl.toml",
            "[project]\nschemas = [\"public\", \"billing\"]\n",
        ),
        ("schema/s.toml", v1),
    ]);
    let out = run(dir.path(), None, &["plan", "-m", "v1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v2 = v1.replace(
        "s = { type = \"status\", default = \"A\" }",
        "s = { type = \"status\", default = \"A\" }\nnote = { type = \"text\", nullable = true }",
    ) + "\n[tables.notes.columns]\nid = { type = \"int\", primary_key = true }\nbody = { type = \"text\" }\n";
    std::fs::write(dir.path().join("schema/s.toml"), v2).unwrap();
    let out = run(dir.path(), None, &["plan", "-m", "v2"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for stem in ["0001_v1", "0002_v2"] {
        assert!(
            dir.path()
                .join(format!("migrations/{stem}.down.sql"))
                .exists()
        );
    }
    dir
}

/// Replace `from` by `to` in a migration file, then re-hash the chain as a reviewer would.
fn hand_edit(dir: &std::path::Path, file: &str, from: &str, to: &str) {
    let p = dir.join("migrations").join(file);
    let old = std::fs::read_to_string(&p).unwrap();
    assert!(old.contains(from), "{old}");
    std::fs::write(&p, old.replace(from, to)).unwrap();
    let out = run(dir, None, &["hash"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr)))
}

/// What the database holds outside the system schemas, as `verify` lists it.
fn objects(db: &support::TestDb) -> Vec<String> {
    let mut client = db.connect();
    schemactl::catalog::inventory::read(&mut client, "schemactl")
        .unwrap()
        .iter()
        .map(|o| o.to_string())
        .collect()
}

#[test]
fn verify_rolls_two_planned_migrations_back_to_empty() {
    let db = support::test_db();
    let dir = two_migration_project();
    let out = run(dir.path(), Some(&db.conninfo), &["verify"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let s = text(&out.stdout);
    assert!(
        s.contains("Verified: the 2 migration(s) build from an empty database"),
        "{s}"
    );
    assert!(
        s.contains(
            "Verified: the down files roll the 2 migration(s) back to an empty database and leave nothing behind."
        ),
        "{s}"
    );
    assert!(!s.contains("note:"), "{s}");
    assert_eq!(
        objects(&db),
        vec!["schema public".to_string()],
        "left empty"
    );

    // Again, as JSON, with objects that were there before and are not the chain's: a
    // function and a table in an unmanaged schema. They stay, untouched. (A function in a
    // managed schema is part of the model now: an extra one is a difference, as a table is.)
    let mut client = db.connect();
    client
        .batch_execute(
            "CREATE SCHEMA other; CREATE TABLE other.keep (id int);
             CREATE FUNCTION other.pre() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;",
        )
        .unwrap();
    let out = run(
        dir.path(),
        Some(&db.conninfo),
        &["--format", "json", "verify"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let v = json(&out);
    assert_eq!(v["ok"], true, "{v}");
    let r = &v["rollback"];
    assert_eq!(r["status"], "passed", "{v}");
    assert_eq!(r["to"], serde_json::Value::Null, "{v}");
    assert_eq!(r["rolled_back"], serde_json::json!(["0002_v2", "0001_v1"]));
    assert_eq!(r["differences"], serde_json::json!([]));
    assert_eq!(r["not_reversible"], serde_json::json!([]));
    assert_eq!(r["failed"], serde_json::Value::Null);
    assert_eq!(
        objects(&db),
        vec![
            "schema other".to_string(),
            "schema public".to_string(),
            "table other.keep".to_string(),
            "function other.pre()".to_string(),
        ]
    );

    // A throwaway server: the rollback runs against the project's own history table there.
    let out = run(dir.path(), None, &["verify", "--dev"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("back to an empty database and leave nothing behind"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn inventory_lists_what_the_model_does_not_and_leaves_out_owned_objects() {
    let db = support::test_db();
    let mut client = db.connect();
    client
        .batch_execute(
            "CREATE SCHEMA x;
             CREATE TYPE x.mood AS ENUM ('a');
             CREATE TABLE x.t (id serial PRIMARY KEY, n int GENERATED ALWAYS AS IDENTITY, m x.mood);
             CREATE TABLE x.parted (k int) PARTITION BY RANGE (k);
             CREATE TABLE x.part1 PARTITION OF x.parted FOR VALUES FROM (0) TO (10);
             CREATE INDEX ON x.t (n);
             CREATE SEQUENCE x.s;
             CREATE VIEW x.v AS SELECT 1 AS one;
             CREATE MATERIALIZED VIEW x.mv AS SELECT 1 AS one;
             CREATE TYPE x.comp AS (a int);
             CREATE DOMAIN x.pos AS int CHECK (VALUE > 0);
             CREATE TYPE x.span AS RANGE (subtype = int8);
             CREATE FUNCTION x.f(a int, b text) RETURNS int LANGUAGE sql AS $$ SELECT a $$;
             CREATE PROCEDURE x.p() LANGUAGE sql AS $$ SELECT 1 $$;
             CREATE AGGREGATE x.total(int) (sfunc = int4pl, stype = int);
             CREATE SCHEMA hist; CREATE TABLE hist.history (id int);",
        )
        .unwrap();
    let listed: Vec<String> = schemactl::catalog::inventory::read(&mut client, "hist")
        .unwrap()
        .iter()
        .map(|o| o.to_string())
        .collect();
    // No owned sequences, indexes, partitions, array or row types, range constructors or
    // multirange types; nothing of the history schema.
    assert_eq!(
        listed,
        vec![
            "schema public",
            "schema x",
            "table x.parted",
            "table x.t",
            "view x.v",
            "materialized view x.mv",
            "sequence x.s",
            "composite type x.comp",
            "enum x.mood",
            "domain x.pos",
            "range type x.span",
            "function x.f(a integer, b text)",
            "procedure x.p()",
            "aggregate x.total(integer)",
        ]
    );
    // Every object can be dropped with the statement it gives.
    let all = schemactl::catalog::inventory::read(&mut client, "hist").unwrap();
    let mut sql = String::new();
    for o in all.iter().rev().filter(|o| o.name != "public") {
        sql.push_str(&o.drop_sql());
    }
    client.batch_execute(&sql).unwrap();
    let left: Vec<String> = schemactl::catalog::inventory::read(&mut client, "hist")
        .unwrap()
        .iter()
        .map(|o| o.to_string())
        .collect();
    assert_eq!(left, vec!["schema public"]);
}

#[test]
fn verify_names_what_a_hand_broken_down_file_leaves_behind() {
    let db = support::test_db();
    let dir = two_migration_project();
    // The down file of 0002 "forgets" the table it should drop.
    hand_edit(
        dir.path(),
        "0002_v2.down.sql",
        "DROP TABLE \"public\".\"notes\";",
        "SELECT 1;",
    );
    let out = run(dir.path(), Some(&db.conninfo), &["verify"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let s = text(&out.stdout);
    // The forward check still passes; the rollback check names the leftover.
    assert!(s.contains("Verified: the 2 migration(s) build"), "{s}");
    assert!(
        s.contains(
            "Rolling the chain back to empty with the down files does not give back what was there:\n  - left behind: table public.notes\n"
        ),
        "{s}"
    );
    // verify --db cleans up after itself, leftovers included.
    assert_eq!(objects(&db), vec!["schema public".to_string()]);

    let out = run(
        dir.path(),
        Some(&db.conninfo),
        &["--format", "json", "verify"],
    );
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["differences"], serde_json::json!([]), "{v}");
    assert_eq!(v["rollback"]["status"], "mismatch", "{v}");
    // Seen by both the model reader and the inventory, reported once.
    assert_eq!(
        v["rollback"]["differences"],
        serde_json::json!(["left behind: table public.notes"]),
        "{v}"
    );

    // Objects outside the table layer are caught too (a sequence and a view, both kinds of
    // the model now, in the order the plan would drop them).
    let dir = two_migration_project();
    hand_edit(
        dir.path(),
        "0002_v2.down.sql",
        "DROP TABLE \"public\".\"notes\";",
        "DROP TABLE \"public\".\"notes\"; CREATE SEQUENCE public.stray; CREATE VIEW public.v AS SELECT 1 AS x;",
    );
    let out = run(
        dir.path(),
        Some(&db.conninfo),
        &["--format", "json", "verify"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let v = json(&out);
    assert_eq!(
        v["rollback"]["differences"],
        serde_json::json!([
            "left behind: view public.v",
            "left behind: sequence public.stray"
        ]),
        "{v}"
    );
    assert_eq!(objects(&db), vec!["schema public".to_string()]);
}

#[test]
fn verify_names_the_down_file_that_fails() {
    let db = support::test_db();
    let dir = two_migration_project();
    // 0002's down file runs; 0001's fails on its last step.
    hand_edit(
        dir.path(),
        "0001_v1.down.sql",
        "DROP SCHEMA \"billing\";",
        "DROP SCHEMA \"billing_typo\";",
    );
    let out = run(dir.path(), Some(&db.conninfo), &["verify"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let s = text(&out.stdout);
    assert!(
        s.contains(
            "Rolling the chain back to empty failed: migrations/0001_v1.down.sql failed at step 5: drop-schema billing"
        ),
        "{s}"
    );
    assert!(s.contains("schema \"billing_typo\" does not exist"), "{s}");
    assert_eq!(
        objects(&db),
        vec!["schema public".to_string()],
        "cleaned up"
    );

    let out = run(
        dir.path(),
        Some(&db.conninfo),
        &["--format", "json", "verify"],
    );
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    let r = &v["rollback"];
    assert_eq!(r["status"], "down_failed", "{v}");
    assert_eq!(r["rolled_back"], serde_json::json!(["0002_v2"]), "{v}");
    assert_eq!(r["failed"]["migration"], "0001_v1", "{v}");
    assert_eq!(r["failed"]["file"], "migrations/0001_v1.down.sql", "{v}");
    assert_eq!(r["failed"]["step"], "step 5: drop-schema billing", "{v}");
    assert!(
        r["failed"]["error"]
            .as_str()
            .unwrap()
            .contains("does not exist"),
        "{v}"
    );
    assert_eq!(v["ok"], false);
}

#[test]
fn verify_skips_the_rollback_check_for_migrations_without_down_files() {
    let db = support::test_db();
    // Without any down file (as for migrations planned before down files existed), the
    // chain is checked forward only, with a note.
    let dir = copy_example_project();
    for f in migration_files(dir.path()) {
        let down = f.with_extension("down.sql");
        if down.exists() {
            std::fs::remove_file(down).unwrap();
        }
    }
    assert_eq!(run(dir.path(), None, &["hash"]).status.code(), Some(0));
    let out = run(dir.path(), Some(&db.conninfo), &["verify"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let s = text(&out.stdout);
    assert!(
        s.contains("note: rollback check skipped: 0001_init, 0002_add_dispatch_notes, ")
            && s.contains(" have no down file\n"),
        "{s}"
    );
    let out = run(
        dir.path(),
        Some(&db.conninfo),
        &["--format", "json", "verify"],
    );
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(v["rollback"]["status"], "skipped", "{v}");
    assert_eq!(v["rollback"]["to"], serde_json::Value::Null, "{v}");
    assert_eq!(
        v["rollback"]["not_reversible"][0],
        serde_json::json!({ "migration": "0001_init", "reason": "no-down-file" })
    );
    assert_eq!(
        v["rollback"]["not_reversible"].as_array().unwrap().len(),
        migration_files(dir.path()).len()
    );

    // The example without the down files of its first two migrations: the migrations above
    // the newest one without a down file are checked, back to that one; and so is a new
    // migration on top.
    let dir = copy_example_project();
    for f in migration_files(dir.path()).iter().take(2) {
        std::fs::remove_file(f.with_extension("down.sql")).unwrap();
    }
    assert_eq!(run(dir.path(), None, &["hash"]).status.code(), Some(0));
    let old_head = migration_files(dir.path())
        .into_iter()
        .rfind(|f| !f.with_extension("down.sql").exists())
        .unwrap()
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let with_down = migration_files(dir.path())
        .iter()
        .filter(|f| f.with_extension("down.sql").exists())
        .count();
    std::fs::write(
        dir.path().join("schema/zz_audit.toml"),
        "[tables.audit_log.columns]\nid = { type = \"bigint\", identity = \"always\", primary_key = true }\nmember_id = { type = \"int\", nullable = true }\n",
    )
    .unwrap();
    let out = run(dir.path(), None, &["plan", "-m", "audit_log"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = run(dir.path(), Some(&db.conninfo), &["verify"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let s = text(&out.stdout);
    assert!(
        s.contains(&format!(
            "Verified: the down files of the {} newest migration(s) roll back to {old_head} and leave exactly what it built.",
            with_down + 1
        )),
        "{s}"
    );
    assert!(
        s.contains(&format!(
            "note: rollback checked only back to {old_head}: 0001_init, "
        )),
        "{s}"
    );
    let out = run(
        dir.path(),
        Some(&db.conninfo),
        &["--format", "json", "verify"],
    );
    let v = json(&out);
    assert_eq!(v["rollback"]["status"], "passed", "{v}");
    assert_eq!(v["rollback"]["to"], old_head.as_str(), "{v}");
    assert_eq!(
        v["rollback"]["rolled_back"].as_array().unwrap().len(),
        with_down + 1,
        "{v}"
    );
    assert_eq!(objects(&db), vec!["schema public".to_string()]);

    // Broken, the new down file is caught even though the older ones are not checked.
    hand_edit(
        dir.path(),
        &format!(
            "{}.down.sql",
            migration_files(dir.path())
                .last()
                .unwrap()
                .file_stem()
                .unwrap()
                .to_string_lossy()
        ),
        "DROP TABLE \"public\".\"audit_log\";",
        "SELECT 1;",
    );
    let out = run(dir.path(), Some(&db.conninfo), &["verify"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains(&format!(
            "Rolling the chain back to {old_head} with the down files does not give back what was there:\n  - left behind: table public.audit_log\n"
        )),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn verify_checks_down_files_only_above_an_irreversible_migration() {
    let db = support::test_db();
    let v1 = "[enums.s]\nvalues = [\"A\"]\n[tables.a.columns]\nid = { type = \"int\", primary_key = true }\n";
    let dir = project(&[("schema/s.toml", v1)]);
    assert_eq!(
        run(dir.path(), None, &["plan", "-m", "v1"]).status.code(),
        Some(0)
    );
    // A down file marked irreversible (what `plan` writes when it cannot plan the reverse;
    // every change kind is reversible today, so the mark is made by hand and re-hashed).
    let v2 = v1.replace("[\"A\"]", "[\"A\", \"B\"]");
    std::fs::write(dir.path().join("schema/s.toml"), &v2).unwrap();
    assert_eq!(
        run(dir.path(), None, &["plan", "-m", "v2"]).status.code(),
        Some(0)
    );
    let down_path = dir.path().join("migrations/0002_v2.down.sql");
    std::fs::write(
        &down_path,
        format!(
            "{}\n-- This migration cannot be reversed automatically.\n",
            schemactl::apply::IRREVERSIBLE
        ),
    )
    .unwrap();
    assert_eq!(run(dir.path(), None, &["hash"]).status.code(), Some(0));

    // The irreversible migration is the newest: nothing to roll back.
    let out = run(dir.path(), Some(&db.conninfo), &["verify"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout)
            .contains("note: rollback check skipped: 0002_v2 is marked irreversible\n"),
        "{}",
        text(&out.stdout)
    );

    // With a migration on top, that one's down file is checked back to 0002.
    std::fs::write(
        dir.path().join("schema/s.toml"),
        v2 + "[tables.c.columns]\nid = { type = \"int\", primary_key = true }\n",
    )
    .unwrap();
    assert_eq!(
        run(dir.path(), None, &["plan", "-m", "v3"]).status.code(),
        Some(0)
    );
    let out = run(dir.path(), Some(&db.conninfo), &["verify"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let s = text(&out.stdout);
    assert!(
        s.contains("Verified: the down files of the 1 newest migration(s) roll back to 0002_v2 and leave exactly what it built.\nnote: rollback checked only back to 0002_v2: 0002_v2 is marked irreversible\n"),
        "{s}"
    );
    assert_eq!(objects(&db), vec!["schema public".to_string()]);
}

#[test]
fn diff_db_honours_renamed_from_and_hints_at_undeclared_renames() {
    let db = support::test_db();
    let mut client = db.connect();
    client
        .batch_execute("CREATE TABLE members (id int PRIMARY KEY, mail text NOT NULL)")
        .unwrap();
    let dir = project(&[(
        "schema/s.toml",
        "[tables.people]\nrenamed_from = \"members\"\n[tables.people.columns]\nid = { type = \"int\", primary_key = true }\nemail = { type = \"text\" }\n",
    )]);
    let out = run(dir.path(), Some(&db.conninfo), &["diff"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(
        s.contains("ALTER TABLE \"public\".\"members\" RENAME TO \"people\";"),
        "{s}"
    );
    assert!(
        s.contains("RENAME CONSTRAINT \"members_pkey\" TO \"people_pkey\";"),
        "{s}"
    );
    // The column was not declared renamed: a drop and an add, with the hint.
    assert!(s.contains("DROP COLUMN \"mail\""), "{s}");
    assert!(
        s.contains("-- hint: did you mean to rename column public.people.mail to `email`? add renamed_from = \"mail\" to column `email` of [tables.people]"),
        "{s}"
    );
    apply_sql(&mut client, &s);
    let out = run(dir.path(), Some(&db.conninfo), &["diff"]);
    assert!(
        text(&out.stdout).starts_with("No differences"),
        "{}",
        text(&out.stdout)
    );
}

/// `plan -m v1` then `apply`, both succeeding.
fn plan_and_apply_v1(dir: &std::path::Path, db: &support::TestDb) {
    let out = run(dir, None, &["plan", "-m", "v1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = run(dir, Some(&db.conninfo), &["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

/// `drift` finds nothing (exit 0).
fn assert_no_drift(dir: &std::path::Path, db: &support::TestDb) {
    let out = run(dir, Some(&db.conninfo), &["drift"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

#[test]
fn literals_mean_the_same_whatever_the_servers_time_zone_and_date_style() {
    // A server configured for another zone and day-first dates: the literals in defaults,
    // checks and predicates must still read back as the model has them (no drift).
    let db = support::test_db();
    let mut client = db.connect();
    client
        .batch_execute(&format!(
            "ALTER DATABASE \"{}\" SET TimeZone = 'America/New_York'; ALTER DATABASE \"{}\" SET DateStyle = 'SQL, DMY'; ALTER DATABASE \"{}\" SET IntervalStyle = 'sql_standard'",
            db.name, db.name, db.name
        ))
        .unwrap();
    let dir = project(&[(
        "schema/s.toml",
        r#"
[tables.t.columns]
id = { type = "int", primary_key = true }
ts = { type = "timestamptz", default = "2020-01-01" }
at = { type = "timestamp", default = "2020-02-03 04:05:06" }
d = { type = "date", default = "2020-02-03" }
iv = { type = "interval", default = "1 day 02:00:00" }
due = { type = "timestamptz", default_sql = "now() + interval '1 hour'" }

[[tables.t.checks]]
expr = "d > '2019-06-01' AND ts > '2019-06-01' AND iv < '2 days'"

[[tables.t.checks]]
expr = "(id, d) <> (0, '2000-01-01')"

[[tables.t.indexes]]
columns = ["at"]
where = "at BETWEEN '2020-01-01' AND '2030-01-01 12:00'"
"#,
    )]);
    plan_and_apply_v1(dir.path(), &db);
    assert_no_drift(dir.path(), &db);
    // The stored values are those of the literals read in UTC, ISO, month-first.
    let mut client = db.connect();
    client
        .batch_execute("SET TimeZone = 'UTC'; SET DateStyle = 'ISO'")
        .unwrap();
    client
        .batch_execute("INSERT INTO t (id) VALUES (1)")
        .unwrap();
    let row = client
        .query_one(
            "SELECT ts::text, at::text, d::text, to_char(iv, 'DD HH24') FROM t",
            &[],
        )
        .unwrap();
    let got: (String, String, String, String) = (row.get(0), row.get(1), row.get(2), row.get(3));
    assert_eq!(
        got,
        (
            "2020-01-01 00:00:00+00".to_string(),
            "2020-02-03 04:05:06".to_string(),
            "2020-02-03".to_string(),
            "01 02".to_string()
        )
    );
}

#[test]
fn unqualified_names_mean_public_whatever_the_databases_search_path() {
    // Found with Pagila: its id columns default to `nextval('<seq>'::regclass)` and its views
    // name tables unqualified. Such names mean `public` to `compile` and to the catalog
    // reader, so `apply` must not depend on the database's or role's `search_path`: with
    // `''` the migration failed ("relation … does not exist"); with another schema first the
    // names bound to that schema's objects and `drift` reported the result.
    let schema = r#"
[sequences.member_ids]

[tables.members]
primary_key = ["id"]
[tables.members.columns]
id = { type = "integer", default_sql = "nextval('member_ids'::regclass)" }
name = { type = "text" }

[views.member_names]
query = "SELECT m.name FROM members m"
"#;
    let admin = |sql: &str| support::admin_client().batch_execute(sql).unwrap();
    for search_path in ["''", "shadow, public"] {
        let db = support::test_db();
        let mut client = db.connect();
        client
            .batch_execute(
                "CREATE SCHEMA shadow; CREATE SEQUENCE shadow.member_ids; \
                 CREATE TABLE shadow.members (id integer, name text)",
            )
            .unwrap();
        admin(&format!(
            "ALTER DATABASE \"{}\" SET search_path = {search_path}",
            db.name
        ));
        let dir = project(&[("schema/s.toml", schema)]);
        plan_and_apply_v1(dir.path(), &db);
        assert_no_drift(dir.path(), &db);
        let mut client = db.connect();
        let row = client
            .query_one(
                "SELECT pg_get_expr(d.adbin, d.adrelid), \
                        (SELECT string_agg(DISTINCT v.relnamespace::regnamespace::text, ',') \
                         FROM pg_depend dep JOIN pg_rewrite r ON r.oid = dep.objid \
                         JOIN pg_class v ON v.oid = dep.refobjid \
                         WHERE r.ev_class = 'public.member_names'::regclass AND v.relkind = 'r') \
                 FROM pg_attrdef d WHERE d.adrelid = 'public.members'::regclass",
                &[],
            )
            .unwrap();
        let (default, view_uses): (String, String) = (row.get(0), row.get(1));
        assert_eq!(
            default, "nextval('public.member_ids'::regclass)",
            "{search_path}"
        );
        assert_eq!(view_uses, "public", "{search_path}");
    }
}

#[test]
fn a_schema_removed_from_project_schemas_is_left_alone() {
    // The spec: objects in schemas the project does not manage are never read, diffed or
    // dropped, also when the head snapshot still has them.
    let db = support::test_db();
    let dir = project(&[
        (
            "schemactl.toml",
            "[project]\nschemas = [\"public\", \"app\"]\n",
        ),
        (
            "schema/s.toml",
            "[tables.t.columns]\nid = { type = \"int\", primary_key = true }\n",
        ),
        (
            "schema/app.toml",
            "schema = \"app\"\n[tables.owners.columns]\nid = { type = \"int\", primary_key = true }\n",
        ),
    ]);
    plan_and_apply_v1(dir.path(), &db);
    let mut client = db.connect();
    client
        .batch_execute("INSERT INTO app.owners VALUES (1)")
        .unwrap();

    std::fs::write(
        dir.path().join("schemactl.toml"),
        "[project]\nschemas = [\"public\"]\n",
    )
    .unwrap();
    std::fs::remove_file(dir.path().join("schema/app.toml")).unwrap();
    let out = run(dir.path(), None, &["plan", "-m", "v2"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("No schema changes"),
        "{}",
        text(&out.stdout)
    );
    assert!(!dir.path().join("migrations/0002_v2.sql").exists());
    for args in [&["drift"][..], &["verify"]] {
        let db_arg = if args[0] == "drift" {
            Some(db.conninfo.as_str())
        } else {
            None
        };
        let out = run(dir.path(), db_arg, args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
    }
    let n: i64 = client
        .query_one("SELECT count(*) FROM app.owners", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
}

#[test]
fn type_sql_spellings_read_back_as_written() {
    // `type_sql` naming a built-in type or an enum is that type; other types compare as the
    // catalog prints them (folded, `public.`/`pg_catalog.` dropped).
    let db = support::test_db();
    let dir = project(&[(
        "schema/s.toml",
        r#"
[extensions]
citext = {}

[enums.e]
values = ["a", "b"]

[tables.t.columns]
id = { type = "int", primary_key = true }
a = { type_sql = "integer" }
b = { type_sql = "character varying(10)" }
c = { type_sql = "CITEXT" }
d = { type_sql = "public.citext", nullable = true }
r = { type_sql = "pg_catalog.INT4RANGE", nullable = true }
x = { type_sql = "e", default = "a" }
xs = { type_sql = "text[]", nullable = true }
"#,
    )]);
    plan_and_apply_v1(dir.path(), &db);
    assert_no_drift(dir.path(), &db);
    // Writing the same types with `type` plans nothing.
    let same = std::fs::read_to_string(dir.path().join("schema/s.toml"))
        .unwrap()
        .replace("type_sql = \"integer\"", "type = \"int4\"")
        .replace("type_sql = \"e\"", "type = \"e\"");
    std::fs::write(dir.path().join("schema/s.toml"), same).unwrap();
    let out = run(dir.path(), None, &["plan", "--dry-run"]);
    assert!(
        text(&out.stdout).starts_with("No schema changes"),
        "{}",
        text(&out.stdout)
    );
}

/// The SQL-standard special forms (issue 10, item 5) in defaults, generated columns, checks,
/// index expressions and predicates: accepted offline, applied by PostgreSQL, and read back
/// from the catalog in the spelling PostgreSQL prints, without drift.
#[test]
fn special_forms_apply_and_read_back_without_drift() {
    let db = support::test_db();
    let dir = project(&[(
        "schema/s.toml",
        r#"
[tables.forms.columns]
id      = { type = "int", primary_key = true }
txt     = { type = "text" }
ts      = { type = "timestamptz" }
tsn     = { type = "timestamp" }
a       = { type = "int" }
b       = { type = "int", nullable = true }
d1      = { type = "timestamp" }
d2      = { type = "timestamp" }
d3      = { type = "timestamp" }
d4      = { type = "timestamp" }
norm    = { type = "text", default_sql = "NORMALIZE('x', NFKC)" }
made    = { type = "timestamptz", default_sql = "CURRENT_TIMESTAMP(3)" }
local   = { type = "timestamp", default_sql = "localtimestamp(2)" }
coll    = { type = "text", default_sql = "COLLATION FOR ('x')" }
g_norm  = { type = "text", generated_sql = "normalize(txt, nfkd)" }
g_pos   = { type = "int", generated_sql = "POSITION('a' IN txt)" }
g_over  = { type = "text", generated_sql = "OVERLAY(txt PLACING 'yy' FROM 1 FOR 2)" }
g_sub   = { type = "text", generated_sql = "substring(txt similar 'a#\"b#\"c' escape '#')" }
g_trim  = { type = "text", generated_sql = "trim(leading txt, 'x')" }

[[tables.forms.checks]]
expr = "NORMALIZE(txt, NFKC) = txt"
[[tables.forms.checks]]
expr = "normalize(txt) = txt"
[[tables.forms.checks]]
expr = "txt IS NFC NORMALIZED"
[[tables.forms.checks]]
expr = "txt IS NORMALIZED"
[[tables.forms.checks]]
expr = "txt IS NOT NFD NORMALIZED OR txt = ''"
[[tables.forms.checks]]
expr = "EXTRACT(year FROM ts) > 2000"
[[tables.forms.checks]]
name = "periods_overlap"
expr = "(d1, d2) OVERLAPS (d3, d4)"
[[tables.forms.checks]]
expr = "ts AT TIME ZONE 'UTC' IS NOT NULL"
[[tables.forms.checks]]
expr = "txt COLLATE \"C\" > 'a'"
[[tables.forms.checks]]
expr = "txt SIMILAR TO 'pat%'"
[[tables.forms.checks]]
expr = "txt NOT SIMILAR TO 'x#%' ESCAPE '#'"
[[tables.forms.checks]]
expr = "OVERLAY(txt PLACING 'yy' FROM 1 FOR 2) <> ''"
[[tables.forms.checks]]
expr = "POSITION('a' IN txt) > 0"
[[tables.forms.checks]]
expr = "SUBSTRING(txt FROM 1 FOR 2) <> '' AND substring(txt for 3) <> ''"
[[tables.forms.checks]]
expr = "TRIM(BOTH 'x' FROM txt) <> ''"
[[tables.forms.checks]]
expr = "TRIM(LEADING 'x' FROM txt) <> '' AND TRIM(TRAILING 'x' FROM txt) <> ''"
[[tables.forms.checks]]
expr = "trim(txt) <> '' AND trim(txt, 'y') <> ''"
[[tables.forms.checks]]
expr = "a BETWEEN SYMMETRIC 1 AND 10"
[[tables.forms.checks]]
expr = "a NOT BETWEEN SYMMETRIC 20 AND 30 AND a BETWEEN ASYMMETRIC 0 AND 100"
[[tables.forms.checks]]
expr = "COLLATION FOR (txt) IS NOT NULL"
[[tables.forms.checks]]
expr = "a IS DISTINCT FROM b"
[[tables.forms.checks]]
expr = "NOT (a IS NOT DISTINCT FROM b)"
[[tables.forms.checks]]
expr = "made <= CURRENT_TIMESTAMP(3) + interval '1 day'"

[[tables.forms.indexes]]
columns = [{ expr = "normalize(txt, NFKC)" }]
[[tables.forms.indexes]]
columns = [{ expr = "txt IS NFC NORMALIZED" }]
[[tables.forms.indexes]]
columns = [{ expr = "extract(year FROM tsn)" }, { expr = "tsn AT TIME ZONE 'UTC'" }]
[[tables.forms.indexes]]
columns = [{ expr = "overlay(txt placing 'yy' from 1 for 2)" }, { expr = "position('a' in txt)" }]
[[tables.forms.indexes]]
columns = [{ expr = "substring(txt from 1 for 2)" }, { expr = "trim(both 'x' from txt)" }]
[[tables.forms.indexes]]
columns = [{ expr = "trim(leading 'x' from txt)" }, { expr = "trim(trailing 'x' from txt)" }]
[[tables.forms.indexes]]
columns = [{ expr = "(d1, d2) overlaps (d3, d4)" }]
[[tables.forms.indexes]]
columns = [{ expr = "lower(txt COLLATE \"C\")" }]
[[tables.forms.indexes]]
columns = [{ expr = "txt COLLATE \"C\"" }, "a"]
[[tables.forms.indexes]]
columns = [{ expr = "lower(txt) COLLATE \"C\"", order = "desc" }, { expr = "(txt || 'x') collate \"POSIX\"" }]
[[tables.forms.indexes]]
columns = ["a"]
where = "(d1, d2) OVERLAPS (d3, d4)"
[[tables.forms.indexes]]
columns = ["a"]
where = "txt SIMILAR TO 'p%'"
[[tables.forms.indexes]]
columns = ["a"]
where = "a BETWEEN SYMMETRIC 1 AND b"
[[tables.forms.indexes]]
columns = ["a"]
where = "a IS DISTINCT FROM b AND txt IS NORMALIZED"
"#,
    )]);
    let out = run(dir.path(), None, &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    plan_and_apply_v1(dir.path(), &db);
    assert_no_drift(dir.path(), &db);
    // And nothing left to plan against the database.
    let out = run(dir.path(), Some(&db.conninfo), &["diff"]);
    assert!(
        text(&out.stdout).starts_with("No differences"),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}
