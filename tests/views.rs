//! Views and materialized views on real PostgreSQL, through the binary: create, change
//! (replace and rebuild), rebuild around a retyped column, drop, rollback — with `drift`
//! clean and `diff --db` empty after each step.

mod support;

use support::cli::*;
use support::project::*;

const V1: &str = r#"
[tables.members]
primary_key = ["id"]
[tables.members.columns]
id = { type = "bigint" }
name = { type = "varchar(40)" }
score = { type = "numeric(10,2)", nullable = true }
active = { type = "boolean", default = true }

[views.active_members]
query = """
select id, name,   upper(name) as shout  -- spelled loosely on purpose
from members where active and score > 1.5
"""
comment = "Members who are active"
security_barrier = true

[views.top_members]
query = "SELECT id, shout FROM active_members ORDER BY id LIMIT 10"

[materialized_views.member_scores]
query = "SELECT m.id, coalesce(m.score, 0) AS score FROM public.members m"
columns = ["member_id", "score"]
comment = "Scores"
indexes = [{ name = "member_scores_id", columns = ["member_id"], unique = true }]
"#;

#[test]
fn views_create_change_rebuild_drop_and_roll_back() {
    let db = support::test_db();
    let url = db.conninfo.clone();
    let dir = project(&[("schemactl.toml", CONFIG), ("schema/main.toml", V1)]);
    let d = dir.path();
    let up = plan_apply(d, &url, "init", &[]);
    // Dependency order: the view over a view after it, the index after its view.
    let pos = |s: &str| up.find(s).unwrap_or_else(|| panic!("{s} not in\n{up}"));
    assert!(
        pos("CREATE VIEW \"public\".\"active_members\"")
            < pos("CREATE VIEW \"public\".\"top_members\"")
    );
    assert!(pos("CREATE MATERIALIZED VIEW") < pos("CREATE UNIQUE INDEX \"member_scores_id\""));
    assert!(up.contains("WITH (security_barrier = true)"), "{up}");

    let mut client = db.connect();
    client
        .batch_execute("INSERT INTO members VALUES (1, 'ann', 2, true), (2, 'bob', 1, true)")
        .unwrap();

    // A new trailing column, an option less: CREATE OR REPLACE (which resets the options
    // it does not list, as drift then confirms).
    let v2 = V1
        .replace(
            "SELECT id, shout FROM active_members ORDER BY id LIMIT 10",
            "SELECT id, shout, name FROM active_members ORDER BY id LIMIT 10",
        )
        .replace("security_barrier = true\n", "");
    write_schema(d, &v2);
    let up = plan_apply(d, &url, "more_columns", &[]);
    assert!(
        up.contains("CREATE OR REPLACE VIEW \"public\".\"active_members\" AS"),
        "{up}"
    );
    assert!(
        up.contains("CREATE OR REPLACE VIEW \"public\".\"top_members\""),
        "{up}"
    );
    assert!(!up.contains("DROP VIEW"), "{up}");

    // A retyped column used by views: they are dropped before and created after, with the
    // view over the view, the materialized view's index and the comments.
    let v3 = v2.replace("numeric(10,2)", "numeric(12,2)");
    write_schema(d, &v3);
    let up = plan_apply(d, &url, "widen_score", &[]);
    let pos = |s: &str| up.find(s).unwrap_or_else(|| panic!("{s} not in\n{up}"));
    assert!(
        pos("DROP VIEW \"public\".\"top_members\"")
            < pos("DROP VIEW \"public\".\"active_members\"")
    );
    assert!(pos("DROP VIEW \"public\".\"active_members\"") < pos("ALTER TABLE"));
    assert!(pos("DROP MATERIALIZED VIEW") < pos("ALTER TABLE"));
    assert!(pos("ALTER TABLE") < pos("CREATE VIEW \"public\".\"active_members\""));
    assert!(
        pos("CREATE VIEW \"public\".\"active_members\"")
            < pos("CREATE VIEW \"public\".\"top_members\"")
    );
    assert!(pos("CREATE MATERIALIZED VIEW") < pos("CREATE UNIQUE INDEX \"member_scores_id\""));
    assert!(pos("CREATE VIEW \"public\".\"active_members\"") < pos("COMMENT ON VIEW"));
    let rows: i64 = client
        .query_one("SELECT count(*) FROM member_scores", &[])
        .unwrap()
        .get(0);
    assert_eq!(rows, 2, "the materialized view is populated again");

    // A changed select list that cannot be replaced: drop and create, dependants too.
    let v4 = v3.replace("upper(name) as shout", "lower(name) as shout");
    write_schema(d, &v4);
    let up = plan_apply(d, &url, "lower", &[]);
    assert!(up.contains("DROP VIEW \"public\".\"top_members\""), "{up}");
    assert!(
        up.contains("CREATE VIEW \"public\".\"active_members\""),
        "{up}"
    );

    // Dropped: gated as breaking clients? No: views hold no data; plain plan works.
    let v5 = v4.replace(
        "[views.top_members]\nquery = \"SELECT id, shout, name FROM active_members ORDER BY id LIMIT 10\"\n",
        "",
    );
    assert_ne!(v5, v4);
    write_schema(d, &v5);
    let up = plan_apply(d, &url, "drop_top", &[]);
    assert!(up.contains("DROP VIEW \"public\".\"top_members\";"), "{up}");

    // Roll back to the first migration: every down file, then the same catalog as v1.
    ok(schemactl_db(
        d,
        &url,
        &["rollback", "--to", "1", "--allow", "deletes_data"],
    ));
    let shout: String = client
        .query_one("SELECT shout FROM active_members WHERE id = 1", &[])
        .unwrap()
        .get(0);
    assert_eq!(shout, "ANN");
    let names: Vec<String> = client
        .query(
            "SELECT relname::text FROM pg_class WHERE relkind IN ('v','m') AND relnamespace = 'public'::regnamespace ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(names, ["active_members", "member_scores", "top_members"]);
    let drift = ok(schemactl_db(d, &url, &["drift"]));
    assert!(drift.starts_with("No drift"), "{drift}");

    // verify replays the chain and compares by the server's forms.
    ok(schemactl_db(
        d,
        &support::with_dbname(&url, "postgres"),
        &["verify", "--dev"],
    ));
}

#[test]
fn a_changed_view_in_the_database_is_drift() {
    let db = support::test_db();
    let url = db.conninfo.clone();
    let dir = project(&[("schemactl.toml", CONFIG), ("schema/main.toml", V1)]);
    let d = dir.path();
    plan_apply(d, &url, "init", &[]);
    let mut client = db.connect();
    client
        .batch_execute("CREATE OR REPLACE VIEW top_members AS SELECT id, shout FROM active_members ORDER BY id LIMIT 5")
        .unwrap();
    let out = schemactl_db(d, &url, &["drift"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let s = text(&out.stdout);
    assert!(s.contains("view public.top_members"), "{s}");
    assert!(
        s.contains("LIMIT 10"),
        "the converging SQL re-creates it: {s}"
    );
}

#[test]
fn view_errors_name_the_place() {
    let dir = project(&[
        ("schemactl.toml", CONFIG),
        (
            "schema/main.toml",
            "[tables.t.columns]\nid = { type = \"int\" }\n\n[views.v]\nquery = \"SELECT id FROM nope\"\n\n[views.w]\nquery = \"DELETE FROM t\"\n\n[views.a]\nquery = \"SELECT * FROM b\"\n[views.b]\nquery = \"SELECT * FROM a\"\n\n[materialized_views.m]\nquery = \"SELECT id FROM t\"\nindexes = [{ columns = [\"id\"] }]\n\n[views.t]\nquery = \"SELECT 1\"\n",
        ),
    ]);
    let out = schemactl(dir.path(), &["check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    for needle in [
        "reads `public.nope`, which is not declared",
        "cannot read the view's query",
        "views read each other in a cycle",
        "materialized view index without `name`",
        "has the same name as a table",
        "schema/main.toml:5:",
    ] {
        assert!(err.contains(needle), "{needle} not in\n{err}");
    }
    assert_eq!(
        err.matches("in a cycle").count(),
        1,
        "one error per cycle:\n{err}"
    );
    assert!(!dir.path().join("migrations").exists());
}

/// PostgreSQL's stored view follows a renamed table or column, and a view reading `*` keeps
/// the columns it had: in each case the declared query names something else now, so the
/// view is created again even though its text did not change.
#[test]
fn views_follow_what_their_query_names_not_what_postgresql_tracked() {
    let db = support::test_db();
    let url = db.conninfo.clone();
    let dir = project(&[("schemactl.toml", CONFIG)]);
    let d = dir.path();
    std::fs::create_dir_all(d.join("schema")).unwrap();
    let v1 = r#"
[tables.people.columns]
id = { type = "integer" }
name = { type = "text" }

[views.everyone]
query = "SELECT * FROM people"

[views.names]
query = "SELECT name FROM people"
"#;
    write_schema(d, v1);
    plan_apply(d, &url, "init", &[]);

    // A column added to the table read with `*`.
    let v2 = v1.replace(
        "name = { type = \"text\" }\n",
        "name = { type = \"text\" }\nemail = { type = \"text\", nullable = true }\n",
    );
    write_schema(d, &v2);
    let up = plan_apply(d, &url, "add_email", &[]);
    assert!(up.contains("DROP VIEW \"public\".\"everyone\""), "{up}");
    assert!(up.contains("CREATE VIEW \"public\".\"everyone\""), "{up}");
    assert!(
        !up.contains("\"names\""),
        "the view not reading `*` stays: {up}"
    );

    // The table renamed, and a new table taking its old name: the views keep their text
    // (they read `people`), so they must now read the new table.
    let v3 = v2.replace(
        "[tables.people.columns]",
        "[tables.people_old]\nrenamed_from = \"people\"\n[tables.people_old.columns]",
    ) + "\n[tables.people.columns]\nid = { type = \"integer\" }\nname = { type = \"text\" }\nemail = { type = \"text\", nullable = true }\n";
    write_schema(d, &v3);
    let up = plan_apply(d, &url, "rename", &["breaks_clients"]);
    let drop = up.find("DROP VIEW \"public\".\"names\"").expect(&up);
    let rename = up.find("RENAME TO \"people_old\"").expect(&up);
    let create = up.find("CREATE VIEW \"public\".\"names\"").expect(&up);
    assert!(drop < rename && rename < create, "{up}");

    // A column renamed, and a new column taking its old name.
    let v4 = v3.replace(
        "[tables.people.columns]\nid = { type = \"integer\" }\nname = { type = \"text\" }\n",
        "[tables.people.columns]\nid = { type = \"integer\" }\nfull_name = { type = \"text\", renamed_from = \"name\" }\nname = { type = \"text\", nullable = true }\n",
    );
    write_schema(d, &v4);
    let up = plan_apply(d, &url, "rename_column", &["breaks_clients"]);
    assert!(up.contains("CREATE VIEW \"public\".\"names\""), "{up}");
}
