//! Exclusion constraints on real PostgreSQL, through the binary: created with the table and on
//! an existing one, changed, dropped, read back (drift and `diff --db` clean after each step),
//! and their compile errors.

mod support;

use support::cli::*;
use support::project::*;

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
    write_schema(d, V1);
    let up = plan_apply(d, &url, "init", &[]);
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
    write_schema(d, &v2);
    let up = plan_apply(d, &url, "change", &[]);
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
    write_schema(d, &v3);
    let up = plan_apply(d, &url, "second", &[]);
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
    write_schema(d, &v4);
    let up = plan_apply(d, &url, "drop", &[]);
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
