//! Exclusion constraints on real PostgreSQL, through the binary: created with the table and on
//! an existing one, changed, dropped, read back (drift and `diff --db` clean after each step),
//! and their compile errors.

mod support;

use std::path::Path;

use support::project::*;

const CONFIG: &str = "[project]\nschemas = [\"public\"]\n";

fn write(dir: &Path, schema: &str) {
    std::fs::create_dir_all(dir.join("schema")).unwrap();
    std::fs::write(dir.join("schema/main.toml"), schema).unwrap();
}

fn ok(out: std::process::Output) -> String {
    let s = text(&out.stdout);
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{s}\nstderr:\n{}",
        out.status.code(),
        text(&out.stderr)
    );
    s
}

/// Plan, apply, then check drift and `diff --db` are clean; the up SQL of the migration.
fn step(dir: &Path, db: &str, name: &str, allow: &[&str]) -> String {
    let mut args = vec!["plan", "-m", name];
    for a in allow {
        args.extend(["--allow", a]);
    }
    ok(schemactl(dir, &args));
    ok(schemactl_db(dir, db, &["apply"]));
    let drift = ok(schemactl_db(dir, db, &["drift"]));
    assert!(drift.starts_with("No drift"), "{drift}");
    let diff = ok(schemactl_db(dir, db, &["diff"]));
    assert!(diff.starts_with("No differences"), "{diff}");
    let files = migration_files(dir);
    let up = files
        .iter()
        .rfind(|p| !p.to_string_lossy().ends_with(".down.sql"))
        .unwrap();
    std::fs::read_to_string(up).unwrap()
}

const V1: &str = r#"
[extensions.btree_gist]

[tables.bookings.columns]
id = { type = "integer", primary_key = true }
room = { type = "integer" }
during = { type_sql = "tsrange" }
cancelled = { type = "boolean", default = false }

[[tables.bookings.exclusions]]
name = "bookings_no_overlap"
columns = [{ column = "room", with = "=" }, { column = "during", with = "&&" }]
where = "NOT cancelled"
"#;

#[test]
fn exclusion_constraints_create_change_drop_and_read_back() {
    let db = support::test_db();
    let url = db.conninfo.clone();
    let dir = project(&[("schemactl.toml", CONFIG)]);
    let d = dir.path();
    write(d, V1);
    let up = step(d, &url, "init", &[]);
    assert!(
        up.contains(
            "CONSTRAINT \"bookings_no_overlap\" EXCLUDE USING \"gist\" (\"room\" WITH =, \"during\" WITH &&) WHERE (NOT cancelled)"
        ),
        "{up}"
    );

    // It excludes what it says.
    let mut client = db.connect();
    client
        .batch_execute("INSERT INTO bookings VALUES (1, 7, '[2026-01-01,2026-01-05)', false)")
        .unwrap();
    let clash = client
        .batch_execute("INSERT INTO bookings VALUES (2, 7, '[2026-01-03,2026-01-04)', false)");
    assert!(clash.is_err(), "the overlapping booking must be refused");

    // Changed (an expression key, INCLUDE, no predicate): dropped and added again.
    let v2 = V1.replace(
        "columns = [{ column = \"room\", with = \"=\" }, { column = \"during\", with = \"&&\" }]\nwhere = \"NOT cancelled\"",
        "columns = [{ column = \"room\", with = \"=\" }, { expr = \"tsrange(lower(during), upper(during))\", with = \"&&\" }]\ninclude = [\"id\"]",
    );
    write(d, &v2);
    let up = step(d, &url, "change", &[]);
    let drop = up
        .find("DROP CONSTRAINT \"bookings_no_overlap\"")
        .expect(&up);
    let add = up
        .find("ADD CONSTRAINT \"bookings_no_overlap\" EXCLUDE")
        .expect(&up);
    assert!(drop < add, "{up}");
    assert!(up.contains("INCLUDE (\"id\")"), "{up}");

    // A second one on the existing table, then the first dropped.
    let v3 = v2.clone()
        + "\n[[tables.bookings.exclusions]]\nname = \"one_live_booking\"\nmethod = \"gist\"\ncolumns = [{ column = \"id\", with = \"=\" }]\n";
    write(d, &v3);
    let up = step(d, &url, "second", &[]);
    assert!(
        up.contains("ALTER TABLE \"public\".\"bookings\" ADD CONSTRAINT \"one_live_booking\" EXCLUDE USING \"gist\" (\"id\" WITH =);"),
        "{up}"
    );
    let v4 = v3.replace(
        "[[tables.bookings.exclusions]]\nname = \"bookings_no_overlap\"",
        "[[tables.bookings.other]]\nname = \"bookings_no_overlap\"",
    );
    let v4 = v4[..v4.find("[[tables.bookings.other]]").unwrap()].to_string()
        + &v4[v4
            .find("\n[[tables.bookings.exclusions]]\nname = \"one_live_booking\"")
            .unwrap()..];
    write(d, &v4);
    let up = step(d, &url, "drop", &[]);
    assert!(
        up.contains("DROP CONSTRAINT \"bookings_no_overlap\""),
        "{up}"
    );

    // A hand-made one is drift, named as such.
    client
        .batch_execute(
            "ALTER TABLE bookings ADD CONSTRAINT stray EXCLUDE USING gist (during WITH &&)",
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let out = schemactl_db(d, &url, &["drift"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("exclusion constraint stray on public.bookings"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn exclusion_constraint_errors_name_the_place() {
    let dir = project(&[
        ("schemactl.toml", CONFIG),
        (
            "schema/main.toml",
            "[tables.t.columns]\nid = { type = \"int\" }\nr = { type_sql = \"tsrange\" }\n\n[[tables.t.exclusions]]\ncolumns = [{ column = \"r\", with = \"&&\" }]\n\n[[tables.t.exclusions]]\nname = \"x2\"\ncolumns = [{ column = \"r\" }]\n\n[[tables.t.exclusions]]\nname = \"x3\"\ncolumns = [{ column = \"nope\", with = \"&&\" }]\n\n[[tables.t.exclusions]]\nname = \"x4\"\ncolumns = [{ column = \"r\", with = \"overlaps\" }]\nunique = true\n",
        ),
    ]);
    let out = schemactl(dir.path(), &["check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    for needle in [
        "schema/main.toml:5:",
        "exclusion constraint without `name`",
        "schema/main.toml:10:",
        "without `with`",
        "unknown column `nope`",
        "`overlaps` is not an operator",
        "unknown key `unique`",
    ] {
        assert!(err.contains(needle), "{needle} not in\n{err}");
    }
    assert!(!dir.path().join("migrations").exists());
}
