//! `schemactl sql --from V --to V [--down] [--with-history]`: the script of a range of
//! migrations, run through psql into real PostgreSQL databases and compared with what
//! `apply` and `rollback` do to others.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use support::dump::{differences, dump, objects, pg_bin};
use support::project::{copy_example_project, project, schemactl, schemactl_db, text};
use support::test_db;

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

/// The command failed with `code`, printed nothing on stdout, and said `needle` on stderr.
fn refused(out: Output, code: i32, needle: &str) -> String {
    let err = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{err}",
        text(&out.stdout)
    );
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    assert!(err.contains(needle), "expected `{needle}` in:\n{err}");
    err
}

/// Run `script` through psql as a deploy system would: as it is, stopping at the first error.
fn psql(conninfo: &str, script: &str) {
    psql_with(conninfo, script, &[]);
}

fn psql_with(conninfo: &str, script: &str, extra: &[&str]) {
    let mut child = Command::new(pg_bin("psql"))
        .args(extra)
        .args([
            "--no-psqlrc",
            "--quiet",
            "-v",
            "ON_ERROR_STOP=1",
            "--file",
            "-",
            "--dbname",
            conninfo,
        ])
        .env("PGOPTIONS", "-c client_min_messages=warning")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("psql runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "psql failed ({:?}):\n{}\n--- script ---\n{script}",
        out.status.code(),
        text(&out.stderr)
    );
}

/// The history rows as `apply` and the script write them, without times and durations.
fn history(conninfo: &str) -> Vec<(i32, String, String, String, i32, Option<String>)> {
    let mut c = postgres::Client::connect(conninfo, postgres::NoTls).unwrap();
    c.query(
        "SELECT version, name, link, status, segments_done, done_hash FROM schemactl.history ORDER BY id",
        &[],
    )
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)))
    .collect()
}

/// `status --format json`: each migration's state.
fn states(dir: &Path, conninfo: &str) -> Vec<(String, String)> {
    let out = ok(schemactl_db(dir, conninfo, &["--format", "json", "status"]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["ok"], true, "{out}");
    v["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["migration"].as_str().unwrap().to_string(),
                m["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Both databases hold the same schema, object by object (`pg_dump -s`, history left out).
fn assert_same_schema(a: &str, b: &str, a_name: &str, b_name: &str) {
    let report = differences(&objects(&dump(a)), &objects(&dump(b)), a_name, b_name);
    assert!(report.is_empty(), "{report}");
}

fn assert_no_drift(dir: &Path, conninfo: &str) {
    let out = ok(schemactl_db(dir, conninfo, &["drift"]));
    assert!(out.starts_with("No drift"), "{out}");
}

const STEMS: [&str; 4] = [
    "0001_init",
    "0002_add_dispatch_notes",
    "0003_suspended_status_and_wider_wage_rate",
    "0004_rename_dispatch_registration_id",
];

/// The example project's whole chain as one script with history rows builds the same
/// database as `apply`, with the same history rows; `status`, `drift` and `apply` accept it.
/// The down script then takes it back to empty exactly as `rollback --to 0` does.
#[test]
fn whole_chain_with_history_matches_apply_and_rollback() {
    let dir = copy_example_project();
    let by_script = test_db();
    let by_apply = test_db();

    let script = ok(schemactl(dir.path(), &["sql", "--with-history"]));
    // Deterministic: the same bytes every time.
    assert_eq!(
        script,
        ok(schemactl(dir.path(), &["sql", "--with-history"]))
    );
    psql(&by_script.conninfo, &script);
    ok(schemactl_db(dir.path(), &by_apply.conninfo, &["apply"]));

    assert_same_schema(&by_script.conninfo, &by_apply.conninfo, "script", "apply");
    assert_eq!(history(&by_script.conninfo), history(&by_apply.conninfo));
    let applied: Vec<(String, String)> = STEMS
        .iter()
        .map(|s| (s.to_string(), "applied".to_string()))
        .collect();
    assert_eq!(states(dir.path(), &by_script.conninfo), applied);
    assert_no_drift(dir.path(), &by_script.conninfo);
    let again = ok(schemactl_db(dir.path(), &by_script.conninfo, &["apply"]));
    assert!(again.contains("Nothing to apply"), "{again}");

    // Down, newest first, recorded as `rollback` records it.
    let down = ok(schemactl(dir.path(), &["sql", "--down", "--with-history"]));
    let order: Vec<usize> = STEMS
        .iter()
        .map(|s| down.find(&format!("-- down migration {s}")).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] > w[1]), "{down}");
    psql(&by_script.conninfo, &down);
    ok(schemactl_db(
        dir.path(),
        &by_apply.conninfo,
        &["rollback", "--to", "0", "--allow", "deletes_data"],
    ));
    let empty = test_db();
    assert_same_schema(&by_script.conninfo, &empty.conninfo, "down script", "empty");
    assert_eq!(history(&by_script.conninfo), history(&by_apply.conninfo));
    assert!(
        states(dir.path(), &by_script.conninfo)
            .iter()
            .all(|(_, s)| s == "rolled_back")
    );
    // And `apply` builds it again on top of the script's history.
    ok(schemactl_db(dir.path(), &by_script.conninfo, &["apply"]));
    assert_no_drift(dir.path(), &by_script.conninfo);
}

/// A middle range on a database `apply` took to 0001: both ends included, the
/// non-transactional step outside any transaction, and the rest of the chain still applies.
#[test]
fn middle_range_on_a_database_at_the_first_migration() {
    let dir = copy_example_project();
    let db = test_db();
    ok(schemactl_db(
        dir.path(),
        &db.conninfo,
        &["apply", "--to", "1"],
    ));

    let script = ok(schemactl(
        dir.path(),
        &["sql", "--from", "2", "--to", "3", "--with-history"],
    ));
    assert!(script.contains("-- migration 0002_add_dispatch_notes\n"));
    assert!(script.contains("-- migration 0003_suspended_status_and_wider_wage_rate"));
    assert!(!script.contains("0001_init'"), "{script}");
    assert!(!script.contains("-- migration 0004"), "{script}");
    // The enum value is added outside BEGIN … COMMIT (ALTER TYPE … ADD VALUE whose value a
    // later step uses cannot run inside one), between its `running` and `partial` rows.
    let add = script
        .find("ALTER TYPE \"public\".\"registrationstatus\" ADD VALUE")
        .unwrap();
    let before = &script[..add];
    assert!(
        before.rfind("COMMIT;").unwrap() > before.rfind("BEGIN;").unwrap(),
        "{script}"
    );
    assert!(
        before.ends_with("-- step 1: add-enum-value public.registrationstatus.\"SUSPENDED\"\n")
    );
    assert!(before.contains("'running', 0, NULL"));
    assert!(script[add..].contains("'partial', 1, NULL"));

    psql(&db.conninfo, &script);
    let expected: Vec<(String, String)> = STEMS
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let state = if i < 3 { "applied" } else { "pending" };
            (s.to_string(), state.to_string())
        })
        .collect();
    assert_eq!(states(dir.path(), &db.conninfo), expected);
    assert_no_drift(dir.path(), &db.conninfo);
    let out = ok(schemactl_db(dir.path(), &db.conninfo, &["apply"]));
    assert!(
        out.contains("0004_rename_dispatch_registration_id"),
        "{out}"
    );
    assert_no_drift(dir.path(), &db.conninfo);

    // `--down --from 3 --to 4` undoes exactly those two, newest first, and `status` agrees.
    let down = ok(schemactl(
        dir.path(),
        &[
            "sql",
            "--down",
            "--from",
            "3",
            "--to",
            "4",
            "--with-history",
        ],
    ));
    psql(&db.conninfo, &down);
    let states = states(dir.path(), &db.conninfo);
    assert_eq!(states[1].1, "applied");
    assert_eq!(states[2].1, "rolled_back");
    assert_eq!(states[3].1, "rolled_back");
    assert_no_drift(dir.path(), &db.conninfo);
}

/// Without `--with-history` the script is the migrations alone: the same database as
/// `apply`, no history table.
#[test]
fn plain_script_builds_the_same_schema_without_a_history() {
    let dir = copy_example_project();
    let plain = test_db();
    let applied = test_db();
    let script = ok(schemactl(dir.path(), &["sql", "--from", "1", "--to", "4"]));
    assert!(!script.contains("schemactl\".\"history"), "{script}");
    assert!(!script.contains("INSERT INTO"), "{script}");
    assert_eq!(script, ok(schemactl(dir.path(), &["sql"])));
    psql(&plain.conninfo, &script);
    ok(schemactl_db(dir.path(), &applied.conninfo, &["apply"]));
    assert_same_schema(&plain.conninfo, &applied.conninfo, "script", "apply");
    let mut c = plain.connect();
    let has_history: bool = c
        .query_one("SELECT to_regclass('schemactl.history') IS NOT NULL", &[])
        .unwrap()
        .get(0);
    assert!(!has_history);

    // JSON: the same script in one document.
    let json = ok(schemactl(dir.path(), &["--format", "json", "sql"]));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["sql"].as_str().unwrap(), script);
    assert_eq!(v["direction"], "up");
    assert_eq!(v["migrations"].as_array().unwrap().len(), 4);
}

/// A step a hand-written migration leaves without its `;` still ends in the script, and a
/// hand-written migration with no header runs like any other.
#[test]
fn hand_written_migration_without_final_semicolon() {
    let dir = copy_example_project();
    let db = test_db();
    let path = dir.path().join("migrations/0005_seed.sql");
    std::fs::write(
        &path,
        "-- seed the books\nCREATE TABLE public.seed_marker (id int);\nINSERT INTO public.seed_marker VALUES (1)\n-- no semicolon above\n",
    )
    .unwrap();
    ok(schemactl(dir.path(), &["hash"]));
    let script = ok(schemactl(
        dir.path(),
        &["sql", "--from", "5", "--with-history"],
    ));
    ok(schemactl_db(
        dir.path(),
        &db.conninfo,
        &["apply", "--to", "4"],
    ));
    psql(&db.conninfo, &script);
    let mut c = db.connect();
    let n: i64 = c
        .query_one("SELECT count(*) FROM public.seed_marker", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
    assert_eq!(states(dir.path(), &db.conninfo)[4].1, "applied");
    let again = ok(schemactl_db(dir.path(), &db.conninfo, &["apply"]));
    assert!(again.contains("Nothing to apply"), "{again}");
}

/// Bad input: exit 2, a message and a hint, nothing on stdout.
#[test]
fn bad_ranges_and_broken_chains_are_refused() {
    let dir = copy_example_project();
    let d = dir.path();
    let err = refused(
        schemactl(d, &["sql", "--from", "3", "--to", "2"]),
        2,
        "--from 3 is after --to 2",
    );
    assert!(err.contains("hint: both ends are included"), "{err}");
    refused(
        schemactl(d, &["sql", "--from", "3", "--to", "2", "--down"]),
        2,
        "--from 3 is after --to 2",
    );
    let err = refused(
        schemactl(d, &["sql", "--to", "9"]),
        2,
        "--to 9: there is no migration 0009",
    );
    assert!(
        err.contains("0004_rename_dispatch_registration_id"),
        "{err}"
    );
    refused(
        schemactl(d, &["sql", "--from", "0"]),
        2,
        "--from 0: there is no migration 0000",
    );
    refused(schemactl(d, &["sql", "--from", "x"]), 2, "invalid value");
    refused(schemactl(d, &["sql", "--to", "-1"]), 2, "-1");
    let out = schemactl(d, &["--format", "json", "sql", "--from", "5"]);
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["code"], "unknown-version");

    // An edited migration: the chain is refused as `apply` refuses it.
    let p = d.join("migrations/0002_add_dispatch_notes.sql");
    let original = std::fs::read_to_string(&p).unwrap();
    std::fs::write(
        &p,
        original.replace("ADD COLUMN", "ADD COLUMN IF NOT EXISTS"),
    )
    .unwrap();
    refused(schemactl(d, &["sql"]), 2, "edited");
    std::fs::write(&p, &original).unwrap();
    ok(schemactl(d, &["sql"]));

    // No down file: --down refuses a range that includes it, not one above it.
    std::fs::remove_file(d.join("migrations/0001_init.down.sql")).unwrap();
    ok(schemactl(d, &["hash"]));
    refused(
        schemactl(d, &["sql", "--down"]),
        2,
        "0001_init has no down file",
    );
    let down = ok(schemactl(d, &["sql", "--down", "--from", "2"]));
    assert!(!down.contains("0001_init"), "{down}");

    // `--help` shows examples.
    let help = ok(schemactl(d, &["sql", "--help"]));
    assert!(
        help.contains("Examples:\n  schemactl sql --from 3 --to 5 --with-history"),
        "{help}"
    );
    let help = ok(schemactl(d, &["discard", "--help"]));
    assert!(help.contains("Examples:\n  schemactl discard\n"), "{help}");

    // No migrations at all.
    let empty = project(&[("schemactl.toml", "[project]\nschemas = [\"public\"]\n")]);
    refused(schemactl(empty.path(), &["sql"]), 2, "has no migrations");
}

/// Managed roles (`[roles] manage = true`) are created NOLOGIN by the script when missing, as
/// `apply` creates them, so its grants run on a cluster that does not have them yet.
#[test]
fn managed_roles_are_created_before_the_grants() {
    let role = format!("sct_sql_reader_{}", std::process::id());
    let dir = project(&[
        (
            "schemactl.toml",
            &format!(
                "[project]\nschemas = [\"public\"]\n\n[roles]\nmanage = true\nnames = [\"{role}\"]\n"
            ),
        ),
        (
            "schema/main.toml",
            &format!(
                "[tables.reports]\ngrants = {{ {role} = [\"select\"] }}\n\n[tables.reports.columns]\nid = {{ type = \"int\", primary_key = true }}\n"
            ),
        ),
    ]);
    ok(schemactl(dir.path(), &["plan", "-m", "init"]));
    let db = test_db();
    let mut admin = support::admin_client();
    admin
        .batch_execute(&format!("DROP ROLE IF EXISTS \"{role}\""))
        .unwrap();
    let script = ok(schemactl(dir.path(), &["sql", "--with-history"]));
    assert!(
        script.contains(&format!("CREATE ROLE \"{role}\" NOLOGIN")),
        "{script}"
    );
    psql(&db.conninfo, &script);
    let can_login: bool = admin
        .query_one(
            "SELECT rolcanlogin FROM pg_roles WHERE rolname = $1",
            &[&role],
        )
        .unwrap()
        .get(0);
    assert!(!can_login);
    assert_no_drift(dir.path(), &db.conninfo);
    // Run again on a second database of the same cluster: the role exists and is left alone.
    let other = test_db();
    psql(&other.conninfo, &script);
    assert_no_drift(dir.path(), &other.conninfo);
    drop((db, other));
    admin
        .batch_execute(&format!("DROP ROLE IF EXISTS \"{role}\""))
        .unwrap();
}

/// A script that stops part-way (psql stopping at an error, a lost connection) leaves the
/// history `apply` would have left at that point: `status` shows the migration part-way and
/// `apply` resumes it.
#[test]
fn a_script_stopped_part_way_is_resumed_by_apply() {
    let dir = copy_example_project();
    let script = ok(schemactl(
        dir.path(),
        &["sql", "--from", "3", "--to", "3", "--with-history"],
    ));
    let line_end = |needle: &str| {
        let at = script.find(needle).unwrap();
        at + script[at..].find('\n').unwrap() + 1
    };
    // Stopped after the no-transaction segment committed (its `partial` row), and stopped
    // after that segment's statement ran but before its row was written (a crash).
    for (cut, state, done) in [
        (line_end("'partial', 1"), "partial", 1),
        (
            line_end("ADD VALUE IF NOT EXISTS 'SUSPENDED'"),
            "running",
            0,
        ),
    ] {
        let db = test_db();
        ok(schemactl_db(
            dir.path(),
            &db.conninfo,
            &["apply", "--to", "2"],
        ));
        psql(&db.conninfo, &script[..cut]);
        let out = ok(schemactl_db(
            dir.path(),
            &db.conninfo,
            &["--format", "json", "status"],
        ));
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let m = &v["migrations"][2];
        assert_eq!(m["state"], state, "{out}");
        assert_eq!(m["part_way"], true, "{out}");
        assert_eq!(m["segments_done"], done, "{out}");
        ok(schemactl_db(dir.path(), &db.conninfo, &["apply"]));
        assert_eq!(states(dir.path(), &db.conninfo)[2].1, "applied");
        assert_no_drift(dir.path(), &db.conninfo);
    }
}

/// The script's exact text for one migration with a no-transaction segment, with history
/// rows (read: session settings, history DDL, the `running` row before the marked segment,
/// each segment's row where `apply` writes it).
#[test]
fn script_text_of_a_migration_with_a_no_transaction_segment() {
    let dir = copy_example_project();
    let script = ok(schemactl(
        dir.path(),
        &["sql", "--from", "3", "--to", "3", "--with-history"],
    ));
    insta::assert_snapshot!(script);
}

/// `psql -1 -f` (the spelling the issue names, one transaction around the file): the
/// script's own `BEGIN`/`COMMIT` pairs nest harmlessly (psql warns), and the database ends
/// the same as `apply` makes it, with the history `status` reads.
#[test]
fn the_script_run_with_psql_single_transaction_matches_apply() {
    let dir = copy_example_project();
    let by_script = test_db();
    let by_apply = test_db();
    let script = ok(schemactl(dir.path(), &["sql", "--with-history"]));
    psql_with(&by_script.conninfo, &script, &["-1"]);
    ok(schemactl_db(dir.path(), &by_apply.conninfo, &["apply"]));
    assert_same_schema(&by_script.conninfo, &by_apply.conninfo, "psql -1", "apply");
    assert_eq!(history(&by_script.conninfo), history(&by_apply.conninfo));
    assert_no_drift(dir.path(), &by_script.conninfo);
}
