//! `schemactl discard`: undo the newest migration `plan` wrote, with real git (where the
//! earlier snapshot comes from) and real PostgreSQL (the `--db` refusal).

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use support::project::{project, schemactl, schemactl_db, text};
use support::test_db;

const CONFIG: &str = "[project]\nschemas = [\"public\"]\n";

const V1: &str = r#"
[enums.status]
values = ["A", "B"]

[tables.accounts.columns]
id = { type = "bigint", identity = "always", primary_key = true }
status = { type = "status", default = "A" }
"#;

/// V1 + a column, a table with a foreign key and an index.
fn v2() -> String {
    V1.replace(
        "status = { type = \"status\", default = \"A\" }",
        "status = { type = \"status\", default = \"A\" }\nemail = { type = \"varchar(320)\", nullable = true, unique = true }",
    ) + r#"
[tables.orders.columns]
id = { type = "bigint", identity = "always", primary_key = true }
account_id = { type = "bigint", references = "accounts.id", on_delete = "cascade" }

[[tables.orders.indexes]]
columns = ["account_id"]
"#
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

fn refused(out: Output, code: i32, needle: &str) -> String {
    let err = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{err}",
        text(&out.stdout)
    );
    assert!(err.contains(needle), "expected `{needle}` in:\n{err}");
    err
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", text(&out.stderr));
    text(&out.stdout)
}

fn commit(dir: &Path, message: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
}

/// Every file under migrations/ and snapshots/ with its content.
fn files(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for sub in ["migrations", "snapshots"] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            out.insert(
                format!("{sub}/{}", p.file_name().unwrap().to_string_lossy()),
                std::fs::read_to_string(&p).unwrap(),
            );
        }
    }
    out
}

fn write_schema(dir: &Path, schema: &str) {
    std::fs::write(dir.join("schema/main.toml"), schema).unwrap();
}

/// A git repository holding a project whose 0001_v1 is committed.
fn repo_at_v1() -> tempfile::TempDir {
    let dir = project(&[("schemactl.toml", CONFIG), ("schema/main.toml", V1)]);
    git(dir.path(), &["init", "-q"]);
    ok(schemactl(dir.path(), &["plan", "-m", "v1"]));
    commit(dir.path(), "v1");
    dir
}

/// Discarding an uncommitted plan puts migrations/ and snapshots/ back byte for byte;
/// `check` passes and the same `plan` writes the same files again. The same for a committed
/// plan (the earlier snapshot is then in an older commit), and for the first migration (the
/// project goes back to having no sum file and no snapshot).
#[test]
fn discard_restores_the_files_and_plan_writes_the_same_migration() {
    let dir = repo_at_v1();
    let d = dir.path();
    let at_v1 = files(d);
    write_schema(d, &v2());
    ok(schemactl(d, &["plan", "-m", "v2"]));
    let at_v2 = files(d);
    assert!(at_v2.contains_key("migrations/0002_v2.sql"));
    assert!(at_v2.contains_key("migrations/0002_v2.down.sql"));

    // Not committed: the earlier snapshot is the one in the index.
    let out = ok(schemactl(d, &["discard"]));
    assert!(out.starts_with("Discarded 0002_v2: removed migrations/0002_v2.sql and migrations/0002_v2.down.sql; snapshots/head.toml and migrations/schemactl.sum are back at 0001_v1 (snapshot from git: index)."), "{out}");
    assert!(out.contains("schema/ still holds the changes"), "{out}");
    assert_eq!(files(d), at_v1);
    ok(schemactl(d, &["check"]));
    // schema/ still has what 0002 planned: `plan --check` says a migration is due.
    refused(
        schemactl(d, &["plan", "--check"]),
        1,
        "schema/ has changes with no migration written",
    );
    ok(schemactl(d, &["plan", "-m", "v2"]));
    assert_eq!(files(d), at_v2);

    // Committed: found in the commit before.
    commit(d, "v2");
    let out = ok(schemactl(d, &["discard"]));
    assert!(out.contains("(snapshot from git: "), "{out}");
    assert!(!out.contains("git: index"), "{out}");
    assert_eq!(files(d), at_v1);
    ok(schemactl(d, &["check"]));

    // The first migration: back to no migrations at all, no sum file, no snapshot.
    let out = ok(schemactl(d, &["discard"]));
    assert!(out.contains("back at no migrations"), "{out}");
    assert!(files(d).is_empty(), "{:?}", files(d).keys());
    ok(schemactl(d, &["check"]));
    write_schema(d, V1);
    ok(schemactl(d, &["plan", "-m", "v1"]));
    assert_eq!(files(d), at_v1);
    write_schema(d, &v2());
    ok(schemactl(d, &["plan", "-m", "v2"]));
    assert_eq!(files(d), at_v2);

    // JSON.
    let out = ok(schemactl(d, &["--format", "json", "discard"]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["discarded"], "0002_v2");
    assert_eq!(v["head"], "0001_v1");
    assert_eq!(v["removed"].as_array().unwrap().len(), 2);
    assert_eq!(files(d), at_v1);
}

/// `--db`: refused (exit 2, nothing changed) while that database has the migration applied
/// or baselined; allowed once it is rolled back. An unreachable database is exit 3.
#[test]
fn discard_refuses_a_migration_a_database_has() {
    let dir = repo_at_v1();
    let d = dir.path();
    write_schema(d, &v2());
    ok(schemactl(d, &["plan", "-m", "v2"]));
    let at_v2 = files(d);

    let db = test_db();
    ok(schemactl_db(d, &db.conninfo, &["apply"]));
    let err = refused(
        schemactl_db(d, &db.conninfo, &["discard"]),
        2,
        "0002_v2 is applied in",
    );
    assert!(err.contains("schemactl rollback --to 1"), "{err}");
    assert!(!err.contains("password"), "{err}");
    assert_eq!(files(d), at_v2);

    // A database at 0001 only does not hold it.
    let older = test_db();
    ok(schemactl_db(d, &older.conninfo, &["apply", "--to", "1"]));
    // Baselined counts as applied: a database built by the script without history rows,
    // then adopted.
    let adopted = test_db();
    // Run by psql as a user would: its concurrent index builds run outside a transaction.
    let script = ok(schemactl(d, &["sql"]));
    let file = d.join("script.sql");
    std::fs::write(&file, script).unwrap();
    support::dump::run(
        "psql",
        &[
            "--no-psqlrc",
            "--quiet",
            "-v",
            "ON_ERROR_STOP=1",
            "--file",
            file.to_str().unwrap(),
            "--dbname",
            &adopted.conninfo,
        ],
        "psql -f",
    );
    std::fs::remove_file(&file).unwrap();
    ok(schemactl_db(d, &adopted.conninfo, &["baseline"]));
    refused(
        schemactl_db(d, &adopted.conninfo, &["discard"]),
        2,
        "0002_v2 is baselined in",
    );
    assert_eq!(files(d), at_v2);

    // Rolled back: the database no longer has it, so it may go.
    ok(schemactl_db(
        d,
        &db.conninfo,
        &["rollback", "--to", "1", "--allow", "deletes_data"],
    ));
    ok(schemactl_db(d, &db.conninfo, &["discard"]));
    ok(schemactl(d, &["check"]));
    ok(schemactl_db(d, &older.conninfo, &["status"]));
    let out = ok(schemactl_db(d, &db.conninfo, &["drift"]));
    assert!(out.starts_with("No drift"), "{out}");

    // A database that cannot be reached: exit 3, nothing changed.
    ok(schemactl(d, &["plan", "-m", "v2"]));
    let before = files(d);
    let out = schemactl_db(
        d,
        "host=/nonexistent/socket dbname=x connect_timeout=2",
        &["discard"],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert_eq!(files(d), before);
}

/// Nothing to discard, a broken directory, or no earlier snapshot to restore: exit 2 and
/// nothing written.
#[test]
fn discard_refuses_without_a_migration_or_an_earlier_snapshot() {
    let empty = project(&[("schemactl.toml", CONFIG), ("schema/main.toml", V1)]);
    refused(
        schemactl(empty.path(), &["discard"]),
        2,
        "there is no migration to discard",
    );

    // Not a git repository: the snapshot after 0001 exists nowhere.
    let dir = project(&[("schemactl.toml", CONFIG), ("schema/main.toml", V1)]);
    let d = dir.path();
    ok(schemactl(d, &["plan", "-m", "v1"]));
    write_schema(d, &v2());
    ok(schemactl(d, &["plan", "-m", "v2"]));
    let before = files(d);
    let err = refused(
        schemactl(d, &["discard"]),
        2,
        "cannot restore snapshots/head.toml as it was after 0001_v1: the project is not in a git work tree",
    );
    assert!(err.contains("nothing was changed"), "{err}");
    assert_eq!(files(d), before);

    // In git, but the earlier snapshot was never committed or staged.
    git(d, &["init", "-q"]);
    commit(d, "both at once");
    let err = refused(
        schemactl(d, &["discard"]),
        2,
        "has the hash the sum file records",
    );
    assert!(err.contains("index and 1 commit searched"), "{err}");
    assert_eq!(files(d), before);

    // A broken chain (an edited migration) is refused as everywhere else.
    let p = d.join("migrations/0001_v1.sql");
    let sql = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, sql.replace("CREATE TABLE", "CREATE UNLOGGED TABLE")).unwrap();
    refused(schemactl(d, &["discard"]), 2, "edited");
    std::fs::write(&p, sql).unwrap();
    assert_eq!(files(d), before);
}

/// Deleting the newest migration by hand and re-hashing cannot repair the project (the
/// snapshot is still the deleted migration's): `hash` says so and points to `discard`, which
/// does it once the files are back.
#[test]
fn hash_after_deleting_the_newest_migration_points_to_discard() {
    let dir = repo_at_v1();
    let d = dir.path();
    let at_v1 = files(d);
    write_schema(d, &v2());
    ok(schemactl(d, &["plan", "-m", "v2"]));
    commit(d, "v2");
    std::fs::remove_file(d.join("migrations/0002_v2.sql")).unwrap();
    std::fs::remove_file(d.join("migrations/0002_v2.down.sql")).unwrap();
    let before = files(d);
    let err = refused(
        schemactl(d, &["hash"]),
        2,
        "snapshots/head.toml is the snapshot of 0002_v2, whose files are gone",
    );
    assert!(err.contains("then run `schemactl discard`"), "{err}");
    assert_eq!(files(d), before, "hash wrote nothing");

    git(d, &["checkout", "--", "migrations"]);
    ok(schemactl(d, &["discard"]));
    assert_eq!(files(d), at_v1);
    ok(schemactl(d, &["check"]));
}

/// A database part-way through the newest migration (a script stopped after its
/// no-transaction segment was marked `running`) also holds it: refused.
#[test]
fn discard_refuses_a_migration_a_database_is_part_way_through() {
    let dir = repo_at_v1();
    let d = dir.path();
    write_schema(d, &v2());
    ok(schemactl(d, &["plan", "-m", "v2"]));
    commit(d, "v2");
    write_schema(
        d,
        &v2().replace("values = [\"A\", \"B\"]", "values = [\"A\", \"B\", \"C\"]"),
    );
    ok(schemactl(d, &["plan", "-m", "v3"]));
    let up = std::fs::read_to_string(d.join("migrations/0003_v3.sql")).unwrap();
    assert!(up.contains("-- schemactl:no-transaction"), "{up}");

    let db = test_db();
    ok(schemactl_db(d, &db.conninfo, &["apply", "--to", "2"]));
    let script = ok(schemactl(d, &["sql", "--from", "3", "--with-history"]));
    // Everything up to and including the `running` row of the first segment.
    let cut = script.find("'running', 0").unwrap();
    let end = cut + script[cut..].find('\n').unwrap();
    let mut c = db.connect();
    c.batch_execute(&script[..end]).unwrap();
    let status = text(&schemactl_db(d, &db.conninfo, &["--format", "json", "status"]).stdout);
    let v: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(v["migrations"][2]["part_way"], true, "{status}");

    let before = files(d);
    refused(
        schemactl_db(d, &db.conninfo, &["discard"]),
        2,
        "0003_v3 is part-way in",
    );
    assert_eq!(files(d), before);
    // Without --db nothing is consulted.
    ok(schemactl(d, &["discard"]));
    ok(schemactl(d, &["check"]));
}
