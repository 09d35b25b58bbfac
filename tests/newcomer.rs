//! Details a newcomer tripped on (issue 13, item 8), each tried through the binary as a new
//! user would: running outside a project, an unset DATABASE_URL, the password file,
//! `status --check` and its JSON times, `diff --db`'s exit code, `-q` on `rollback`, hint
//! lines, and `--help`.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use schemactl::devdb::Cluster;
use schemactl::plan::Hazard;
use support::project::{project, schemactl_db, text};

/// The binary in `dir` with `args`, with no database in the environment.
fn bare(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_schemactl"));
    cmd.current_dir(dir).args(args);
    for v in [
        "DATABASE_URL",
        "PGHOST",
        "PGHOSTADDR",
        "PGPORT",
        "PGDATABASE",
        "PGSERVICE",
        "PGUSER",
        "PGPASSWORD",
        "PGPASSFILE",
    ] {
        cmd.env_remove(v);
    }
    cmd.output().unwrap()
}

fn said(o: &Output) -> String {
    format!("{}{}", text(&o.stdout), text(&o.stderr))
}

const SCHEMA: &str = "[tables.t.columns]\nid = { type = \"integer\", primary_key = true }\n";

/// A project with one planned migration.
fn planned() -> tempfile::TempDir {
    let dir = project(&[("schemactl.toml", ""), ("schema/t.toml", SCHEMA)]);
    let out = bare(dir.path(), &["plan", "-m", "init"]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    dir
}

#[test]
fn commands_outside_a_project_fail_instead_of_finding_nothing() {
    let empty = tempfile::tempdir().unwrap();
    for args in [
        &["plan", "--check"][..],
        &["plan"],
        &["check"],
        &["hash"],
        &["status", "--db", "host=/nonexistent"],
    ] {
        let out = bare(empty.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", said(&out));
        let s = said(&out);
        assert!(s.contains("not a schemactl project"), "{args:?}: {s}");
        assert!(s.contains("schemactl init"), "{args:?}: {s}");
        assert!(!s.contains("No schema changes"), "{args:?}: {s}");
    }
    assert_eq!(
        std::fs::read_dir(empty.path()).unwrap().count(),
        0,
        "nothing written"
    );
}

#[test]
fn an_unset_database_url_is_named() {
    let dir = planned();
    let out = bare(dir.path(), &["status"]);
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    assert!(
        said(&out).contains("--db is not set and $DATABASE_URL is unset"),
        "{}",
        said(&out)
    );
    // The variable the project names, not the default one.
    std::fs::write(
        dir.path().join("schemactl.toml"),
        "[database]\nurl_env = \"SHOP_DB\"\n",
    )
    .unwrap();
    let out = bare(dir.path(), &["drift"]);
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    assert!(said(&out).contains("$SHOP_DB is unset"), "{}", said(&out));
}

#[test]
fn a_fresh_database_shows_no_drift_before_the_first_migration() {
    // `public` with PostgreSQL's own privileges is what an empty database has.
    let dir = support::project::project(&[("schemactl.toml", "")]);
    let db = support::test_db();
    let out = support::project::schemactl_db(dir.path(), &db.conninfo, &["drift"]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert!(said(&out).contains("No drift"), "{}", said(&out));
    // Something of its own in it is drift.
    db.connect().batch_execute("CREATE TABLE t ()").unwrap();
    let out = support::project::schemactl_db(dir.path(), &db.conninfo, &["drift"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains("table public.t"), "{}", said(&out));
}

#[test]
fn a_bad_connection_string_is_invalid_input_and_an_unreachable_server_a_failure() {
    let dir = planned();
    // Does not parse: exit 2, like any other bad input.
    for bad in ["not a url", "postgres://u@h:port/db", "host=h nosuch=1"] {
        let out = bare(dir.path(), &["status", "--db", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", said(&out));
        assert!(
            said(&out).contains("invalid connection string in --db"),
            "{}",
            said(&out)
        );
    }
    // Parses, but nothing listens there: exit 3.
    let nowhere = dir.path().join("no-socket-here");
    let url = format!(
        "host={} port=1 dbname=x user=x connect_timeout=2",
        nowhere.display()
    );
    let out = bare(dir.path(), &["status", "--db", &url]);
    assert_eq!(out.status.code(), Some(3), "{}", said(&out));
}

/// A throwaway cluster that asks every role but the superuser for a password.
fn password_cluster() -> (Cluster, String) {
    let cluster = Cluster::start().unwrap();
    let mut admin = cluster.connect("postgres").unwrap();
    admin
        .batch_execute("CREATE ROLE alice LOGIN PASSWORD 'w0nderland'")
        .unwrap();
    admin
        .batch_execute("CREATE DATABASE app OWNER alice")
        .unwrap();
    let hba = format!(
        "local all {} trust\nlocal all all scram-sha-256\n",
        cluster.superuser()
    );
    std::fs::write(cluster.data_dir().join("pg_hba.conf"), hba).unwrap();
    admin.batch_execute("SELECT pg_reload_conf()").unwrap();
    let conninfo = format!(
        "host={} port={} user=alice dbname=app",
        cluster.socket_dir().display(),
        cluster.port()
    );
    (cluster, conninfo)
}

#[cfg(unix)]
#[test]
fn the_password_file_is_honoured_like_libpq() {
    use std::os::unix::fs::PermissionsExt;
    let (cluster, conninfo) = password_cluster();
    let dir = planned();
    let home = tempfile::tempdir().unwrap();
    let run = |env: &[(&str, &Path)]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_schemactl"));
        cmd.current_dir(dir.path())
            .args(["--db", &conninfo, "status"])
            .env("HOME", home.path())
            .env_remove("PGPASSWORD")
            .env_remove("PGPASSFILE");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    // No password anywhere: refused by the server.
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(3), "{}", said(&out));
    assert!(
        said(&out).to_lowercase().contains("password"),
        "{}",
        said(&out)
    );

    let line = format!(
        "{}:{}:app:alice:w0nderland\n",
        cluster.socket_dir().display(),
        cluster.port()
    );
    // PGPASSFILE, mode 0600: used.
    let file = home.path().join("passwords");
    std::fs::write(&file, &line).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = run(&[("PGPASSFILE", &file)]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert!(text(&out.stdout).contains("pending"), "{}", said(&out));
    assert!(!said(&out).contains("w0nderland"));
    // Readable by others: ignored, as libpq does.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = run(&[("PGPASSFILE", &file)]);
    assert_eq!(out.status.code(), Some(3), "{}", said(&out));
    // ~/.pgpass without PGPASSFILE.
    let pgpass = home.path().join(".pgpass");
    std::fs::write(&pgpass, format!("# mine\n*:*:other:*:nope\n{line}")).unwrap();
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
}

#[test]
fn status_check_gates_on_pending_migrations_and_json_times_are_rfc3339() {
    let dir = planned();
    let db = support::test_db();
    let out = schemactl_db(dir.path(), &db.conninfo, &["status", "--check"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(
        said(&out).contains("1 migration is pending"),
        "{}",
        said(&out)
    );
    let out = schemactl_db(dir.path(), &db.conninfo, &["status"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "without --check: {}",
        said(&out)
    );
    let out = schemactl_db(dir.path(), &db.conninfo, &["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let out = schemactl_db(
        dir.path(),
        &db.conninfo,
        &["status", "--check", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let at = j["migrations"][0]["applied_at"].as_str().unwrap();
    // 2026-12-06T02:41:18.123456Z
    let (date, time) = at.split_once('T').unwrap_or_else(|| panic!("{at}"));
    assert_eq!(date.len(), 10, "{at}");
    assert!(time.ends_with('Z') && time.len() >= 9, "{at}");
    assert!(at.parse::<jiff::Timestamp>().is_ok(), "{at}");
}

#[test]
fn diff_exits_1_on_differences_and_rollback_is_quiet_with_q() {
    let dir = planned();
    let db = support::test_db();
    let out = schemactl_db(dir.path(), &db.conninfo, &["diff"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(text(&out.stdout).contains("CREATE TABLE"), "{}", said(&out));
    let out = schemactl_db(dir.path(), &db.conninfo, &["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let out = schemactl_db(dir.path(), &db.conninfo, &["diff"]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let out = schemactl_db(
        dir.path(),
        &db.conninfo,
        &["-q", "rollback", "--to", "0", "--allow", "deletes_data"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert_eq!(said(&out), "", "-q rollback prints nothing");
}

#[test]
fn no_empty_hint_lines() {
    let dir = planned();
    let empty = tempfile::tempdir().unwrap();
    let bad = project(&[(
        "schema/t.toml",
        "[tables.t.columns]\nid = { type = \"intt\" }\n",
    )]);
    let cases: Vec<(&Path, Vec<&str>)> = vec![
        (empty.path(), vec!["plan"]),
        (dir.path(), vec!["status"]),
        (dir.path(), vec!["apply", "--to", "9"]),
        (
            dir.path(),
            vec!["--db", "host=/nonexistent port=1", "drift"],
        ),
        (dir.path(), vec!["baseline", "--to", "7", "--db", "x=y"]),
        (bad.path(), vec!["check"]),
        (bad.path(), vec!["--format", "json", "plan"]),
        (dir.path(), vec!["plan", "--allow", "nope"]),
    ];
    for (d, args) in cases {
        let out = bare(d, &args);
        assert_ne!(out.status.code(), Some(0), "{args:?}");
        for line in said(&out).lines() {
            let t = line.trim_end();
            assert!(
                !(t.ends_with("hint:") || t.ends_with("\"hint\": \"\",") || t.ends_with("hint: =")),
                "{args:?}: empty hint line in:\n{}",
                said(&out)
            );
        }
    }
}

#[test]
fn every_command_help_has_an_example_and_allow_lists_the_hazards() {
    let dir = tempfile::tempdir().unwrap();
    let commands = [
        "init",
        "check",
        "inspect",
        "plan",
        "apply",
        "rollback",
        "baseline",
        "status",
        "hash",
        "drift",
        "diff",
        "verify",
        "import",
        "sql",
        "discard",
        "rebase",
        "squash",
        "reference",
    ];
    for c in commands {
        let out = bare(dir.path(), &[c, "--help"]);
        assert_eq!(out.status.code(), Some(0), "{c}");
        let s = text(&out.stdout);
        assert!(s.contains("Example"), "{c} --help has no example:\n{s}");
        assert!(s.contains(&format!("schemactl {c}")), "{c}:\n{s}");
        if s.contains("--allow") {
            for h in Hazard::ALL {
                assert!(
                    s.contains(h.id()),
                    "{c} --help does not list {}:\n{s}",
                    h.id()
                );
            }
        }
    }
    let out = bare(dir.path(), &["import", "alembic", "--help"]);
    assert!(text(&out.stdout).contains("Examples"), "{}", said(&out));
}

#[test]
fn drift_json_gives_structured_differences() {
    let dir = project(&[
        ("schemactl.toml", ""),
        (
            "schema/t.toml",
            "[tables.t.columns]\nid = { type = \"integer\", primary_key = true }\nn = { type = \"integer\", default = 0 }\n\n[enums.mood]\nvalues = [\"sad\", \"ok\"]\n",
        ),
    ]);
    let out = bare(dir.path(), &["plan", "-m", "init"]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let db = support::test_db();
    let out = schemactl_db(dir.path(), &db.conninfo, &["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    db.connect()
        .batch_execute(
            "ALTER TABLE t ALTER COLUMN n TYPE bigint; CREATE TABLE extra (x int); \
             DROP TYPE mood; CREATE TYPE mood AS ENUM ('ok', 'sad')",
        )
        .unwrap();
    let out = schemactl_db(dir.path(), &db.conninfo, &["drift", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let diffs = j["differences"].as_array().unwrap();
    let find = |object: &str| {
        diffs
            .iter()
            .find(|d| d["object"] == object)
            .unwrap_or_else(|| panic!("no {object} in {j}"))
    };
    let col = find("public.t.n");
    assert_eq!(col["change"], "different");
    assert_eq!(col["kind"], "column");
    assert_eq!(col["expected"], "\"n\" integer NOT NULL DEFAULT 0");
    assert_eq!(col["actual"], "\"n\" bigint NOT NULL DEFAULT 0");
    let extra = find("public.extra");
    assert_eq!(extra["change"], "extra");
    assert_eq!(extra["kind"], "table");
    let mood = find("public.mood");
    assert_eq!(mood["change"], "different");
    assert_eq!(mood["expected"], "sad, ok");
    assert_eq!(mood["actual"], "ok, sad");
    // The prose lines stay, one per structured entry.
    assert_eq!(j["drift"].as_array().unwrap().len(), diffs.len());
}

/// Found while writing the format reference: an aggregate without arguments (`count(*)`-like)
/// was created as `name()`, which PostgreSQL rejects; it is `name(*)` in CREATE, DROP and
/// COMMENT ON.
#[test]
fn an_aggregate_without_arguments_is_created_commented_and_dropped() {
    let v1 = "[functions.bump]\nargs = [{ name = \"n\", type = \"integer\" }]\nreturns = \"integer\"\nlanguage = \"sql\"\nvolatility = \"immutable\"\nbody = \"SELECT n + 1\"\n\n[aggregates.tally]\nargs = []\nsfunc = \"bump\"\nstype = \"integer\"\ninitcond = \"0\"\ncomment = \"counts rows\"\n";
    let dir = project(&[("schemactl.toml", ""), ("schema/s.toml", v1)]);
    let d = dir.path();
    let out = bare(d, &["plan", "-m", "init"]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let sql = std::fs::read_to_string(d.join("migrations/0001_init.sql")).unwrap();
    assert!(
        sql.contains("CREATE AGGREGATE \"public\".\"tally\"(*)"),
        "{sql}"
    );
    assert!(
        sql.contains("COMMENT ON AGGREGATE \"public\".\"tally\"(*)"),
        "{sql}"
    );
    let db = support::test_db();
    let out = schemactl_db(d, &db.conninfo, &["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let n: i32 = db
        .connect()
        .query_one("SELECT tally(*) FROM generate_series(1, 5)", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 5);
    let out = schemactl_db(d, &db.conninfo, &["drift"]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    // Dropped again (and rolled back to empty).
    let v2 = v1.split("[aggregates.tally]").next().unwrap();
    std::fs::write(d.join("schema/s.toml"), v2).unwrap();
    let out = bare(d, &["plan", "-m", "drop_tally"]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let out = schemactl_db(d, &db.conninfo, &["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let out = schemactl_db(d, &db.conninfo, &["drift"]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let out = schemactl_db(
        d,
        &db.conninfo,
        &["rollback", "--to", "0", "--allow", "deletes_data"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
}
