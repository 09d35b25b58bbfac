//! Comments on every kind of part, on real PostgreSQL through the binary: schemas, primary
//! keys, unique, check, foreign key and exclusion constraints, indexes (of tables and
//! materialized views), domain checks and partitions' constraints. Each is set, changed,
//! removed and set again on a re-created object, with `drift` and `diff --db` clean after
//! every step; the down files restore them; the catalog reads back what compile produces.

mod support;

use schemactl::diff::diff;
use schemactl::model::Model;
use support::cli::*;
use support::project::*;

/// The project's schema with every comment ending in ` {tag}`, or without any comment
/// (`None`). `check` is the expression of the table check, `index` the indexed column.
fn schema(tag: Option<&str>, check: &str, index: &str) -> String {
    // `, comment = "…"` inside an inline table.
    let c = |text: &str| {
        tag.map(|t| format!(", comment = \"{text} {t}\""))
            .unwrap_or_default()
    };
    // `key = "…"` on a line of its own.
    let l = |key: &str, text: &str| {
        tag.map(|t| format!("{key} = \"{text} {t}\"\n"))
            .unwrap_or_default()
    };
    format!(
        r#"{schema_comment}
[domains.positive]
type = "integer"
checks = [{{ name = "positive_check", expr = "VALUE > 0"{c_dom} }}]

[tables.rooms]
primary_key = ["id"]
{pk_comment}unique = [{{ columns = ["code"]{c_unique} }}]

[tables.rooms.columns]
id = {{ type = "integer" }}
code = {{ type = "text" }}

[tables.bookings]
primary_key = ["id"]
checks = [{{ name = "bookings_seats_small", expr = "{check}"{c_check} }}]
foreign_keys = [{{ columns = ["room_id"], references = {{ table = "rooms", columns = ["id"] }}{c_fk} }}]
exclusions = [{{ name = "bookings_no_overlap", columns = [{{ column = "during", with = "&&" }}]{c_excl} }}]
indexes = [{{ columns = ["{index}"]{c_index} }}]

[tables.bookings.columns]
id = {{ type = "integer" }}
room_id = {{ type = "integer" }}
seats = {{ type = "integer" }}
size = {{ type = "positive", nullable = true }}
during = {{ type_sql = "tsrange" }}

[tables.events]
primary_key = ["id", "at"]
partition_by = {{ strategy = "range", keys = ["at"] }}

[tables.events.columns]
id = {{ type = "integer" }}
at = {{ type = "date" }}

[tables.events_2024]
partition_of = "events"
bounds = {{ from = "2024-01-01", to = "2025-01-01" }}
checks = [{{ name = "events_2024_id", expr = "id > 0"{c_part} }}]

[views.free_rooms]
query = "SELECT id, code FROM rooms"
{v_cols}
[materialized_views.room_counts]
query = "SELECT room_id, count(*) AS n FROM bookings GROUP BY room_id"
indexes = [{{ name = "room_counts_room", columns = ["room_id"], unique = true{c_mv} }}]
{mv_cols}"#,
        schema_comment = l("schema_comment", "Rooms and bookings"),
        c_dom = c("Strictly positive"),
        pk_comment = l("primary_key_comment", "Room number"),
        c_unique = c("One room per code"),
        c_check = c("Small bookings"),
        c_fk = c("The booked room"),
        c_excl = c("No double booking"),
        c_index = c("Bookings by room"),
        c_part = c("Positive ids"),
        c_mv = c("One row per room"),
        v_cols = tag
            .map(|t| format!("column_comments = {{ code = \"Room code {t}\" }}\n"))
            .unwrap_or_default(),
        mv_cols = tag
            .map(|t| format!("column_comments = {{ n = \"Bookings {t}\" }}\n"))
            .unwrap_or_default(),
    )
}

/// Every comment of a constraint, index or schema of `public`: `name = comment` lines.
fn comments(client: &mut postgres::Client) -> Vec<String> {
    client
        .query(
            "SELECT con.conname::text || ' = ' || d.description
             FROM pg_constraint con
             JOIN pg_description d ON d.objoid = con.oid
                  AND d.classoid = 'pg_constraint'::regclass
             WHERE con.connamespace = 'public'::regnamespace
             UNION ALL
             SELECT c.relname::text || ' = ' || d.description
             FROM pg_class c
             JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass
             WHERE c.relkind = 'i' AND c.relnamespace = 'public'::regnamespace
             UNION ALL
             SELECT c.relname::text || '.' || a.attname::text || ' = ' || d.description
             FROM pg_class c
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
             JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass
                  AND d.objsubid = a.attnum
             WHERE c.relkind IN ('v', 'm') AND c.relnamespace = 'public'::regnamespace
             UNION ALL
             SELECT 'schema public = ' || obj_description('public'::regnamespace, 'pg_namespace')
             ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .filter_map(|r| r.get::<_, Option<String>>(0))
        .collect()
}

fn expected(tag: &str) -> Vec<String> {
    let mut v: Vec<String> = [
        ("bookings_no_overlap", "No double booking"),
        ("bookings_room_id_fkey", "The booked room"),
        ("bookings_room_id_idx", "Bookings by room"),
        ("bookings_seats_small", "Small bookings"),
        ("events_2024_id", "Positive ids"),
        ("free_rooms.code", "Room code"),
        ("room_counts.n", "Bookings"),
        ("positive_check", "Strictly positive"),
        ("room_counts_room", "One row per room"),
        ("rooms_code_key", "One room per code"),
        ("rooms_pkey", "Room number"),
        ("schema public", "Rooms and bookings"),
    ]
    .iter()
    .map(|(n, c)| format!("{n} = {c} {tag}"))
    .collect();
    v.sort();
    v
}

#[test]
fn comments_set_changed_removed_reset_and_rolled_back() {
    let db = support::test_db();
    let url = db.conninfo.clone();
    let v1 = schema(Some("v1"), "seats < 100", "room_id");
    let dir = project(&[("schemactl.toml", CONFIG), ("schema/main.toml", &v1)]);
    let d = dir.path();
    let mut client = db.connect();

    // Set: one COMMENT statement per part, after what it comments.
    let up = plan_apply(d, &url, "init", &[]);
    for stmt in [
        "COMMENT ON SCHEMA \"public\" IS 'Rooms and bookings v1';",
        "COMMENT ON CONSTRAINT \"rooms_pkey\" ON \"public\".\"rooms\" IS 'Room number v1';",
        "COMMENT ON CONSTRAINT \"rooms_code_key\" ON \"public\".\"rooms\" IS 'One room per code v1';",
        "COMMENT ON CONSTRAINT \"positive_check\" ON DOMAIN \"public\".\"positive\" IS 'Strictly positive v1';",
        "COMMENT ON INDEX \"public\".\"bookings_room_id_idx\" IS 'Bookings by room v1';",
        "COMMENT ON INDEX \"public\".\"room_counts_room\" IS 'One row per room v1';",
        "COMMENT ON CONSTRAINT \"bookings_no_overlap\" ON \"public\".\"bookings\" IS 'No double booking v1';",
        "COMMENT ON COLUMN \"public\".\"free_rooms\".\"code\" IS 'Room code v1';",
        "COMMENT ON COLUMN \"public\".\"room_counts\".\"n\" IS 'Bookings v1';",
    ] {
        assert!(up.contains(stmt), "{stmt} not in\n{up}");
    }
    let pos = |s: &str| up.find(s).unwrap_or_else(|| panic!("{s} not in\n{up}"));
    assert!(
        pos("ADD CONSTRAINT \"bookings_room_id_fkey\"")
            < pos("COMMENT ON CONSTRAINT \"bookings_room_id_fkey\"")
    );
    assert!(
        pos("CREATE UNIQUE INDEX \"room_counts_room\"")
            < pos("COMMENT ON INDEX \"public\".\"room_counts_room\"")
    );
    assert_eq!(comments(&mut client), expected("v1"));
    let read = read_public(&mut client);
    assert_eq!(
        read.schemas["public"].materialized_views["room_counts"].indexes,
        compile_dir(d).schemas["public"].materialized_views["room_counts"].indexes
    );

    // Changed: only COMMENT statements, nothing dropped or re-added.
    write_schema(d, &schema(Some("v2"), "seats < 100", "room_id"));
    let up = plan_apply(d, &url, "reworded", &[]);
    assert_eq!(up.matches("COMMENT ON").count(), 12, "{up}");
    for word in [
        "DROP",
        "ADD CONSTRAINT",
        "CREATE INDEX",
        "CREATE UNIQUE INDEX",
    ] {
        assert!(!up.contains(word), "{word} in\n{up}");
    }
    assert_eq!(comments(&mut client), expected("v2"));

    // Removed: `IS NULL`, nothing else.
    write_schema(d, &schema(None, "seats < 100", "room_id"));
    let up = plan_apply(d, &url, "uncommented", &[]);
    assert_eq!(up.matches("IS NULL;").count(), 12, "{up}");
    assert!(!up.contains("DROP"), "{up}");
    assert_eq!(comments(&mut client), Vec::<String>::new());

    // Re-created objects get their comment again: a changed check and a changed index.
    // Also a retyped column a view reads: the view is dropped and created again, with its
    // column comments; the unique constraint on it keeps its own (PostgreSQL rebuilds it).
    let v4 = schema(Some("v4"), "seats < 50", "seats").replace(
        "code = { type = \"text\" }",
        "code = { type = \"varchar(20)\" }",
    );
    write_schema(d, &v4);
    let up = plan_apply(d, &url, "recreated", &["deletes_data"]);
    let pos = |s: &str| up.find(s).unwrap_or_else(|| panic!("{s} not in\n{up}"));
    assert!(
        pos("DROP CONSTRAINT \"bookings_seats_small\"")
            < pos("COMMENT ON CONSTRAINT \"bookings_seats_small\"")
    );
    assert!(
        pos("ADD CONSTRAINT \"bookings_seats_small\"")
            < pos("COMMENT ON CONSTRAINT \"bookings_seats_small\"")
    );
    assert!(
        pos("DROP VIEW \"public\".\"free_rooms\"") < pos("CREATE VIEW \"public\".\"free_rooms\"")
    );
    assert!(
        pos("CREATE VIEW \"public\".\"free_rooms\"")
            < pos("COMMENT ON COLUMN \"public\".\"free_rooms\".\"code\"")
    );
    assert!(
        pos("CREATE INDEX CONCURRENTLY \"bookings_seats_idx\"")
            < pos("COMMENT ON INDEX \"public\".\"bookings_seats_idx\"")
    );
    let mut want: Vec<String> = expected("v4")
        .into_iter()
        .map(|l| l.replace("bookings_room_id_idx", "bookings_seats_idx"))
        .collect();
    want.sort();
    assert_eq!(comments(&mut client), want);

    // A comment made by hand is drift, named by its part.
    client
        .batch_execute("COMMENT ON CONSTRAINT rooms_code_key ON rooms IS 'by hand'; COMMENT ON INDEX room_counts_room IS NULL")
        .unwrap();
    let out = schemactl_db(d, &url, &["drift"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let s = text(&out.stdout);
    assert!(
        s.contains("comment of constraint rooms_code_key on public.rooms"),
        "{s}"
    );
    assert!(
        s.contains("comment of index public.room_counts_room on public.room_counts"),
        "{s}"
    );
    client
        .batch_execute("COMMENT ON CONSTRAINT rooms_code_key ON rooms IS 'One room per code v4'; COMMENT ON INDEX room_counts_room IS 'One row per room v4'")
        .unwrap();
    assert_clean(d, &url);

    // The down files restore every comment of the first migration.
    ok(schemactl_db(
        d,
        &url,
        &["rollback", "--to", "1", "--allow", "deletes_data"],
    ));
    assert_eq!(comments(&mut client), expected("v1"));
    let drift = ok(schemactl_db(d, &url, &["drift"]));
    assert!(drift.starts_with("No drift"), "{drift}");
}

#[test]
fn comments_round_trip_through_the_catalog() {
    // Without the views: their queries compare by the server's form, which only the
    // commands look up (the binary test above covers their comments).
    let text = schema(Some("it's"), "seats < 100", "room_id");
    let text = text.split("[views.free_rooms]").next().unwrap();
    let dir = project(&[("schemactl.toml", CONFIG), ("schema/main.toml", text)]);
    let model = compile_dir(dir.path());
    let db = support::test_db();
    let mut client = db.connect();
    apply_sql(&mut client, &plan_sql(&Model::default(), &model));
    let read = read_public(&mut client);
    let (a, b) = (diff(&read, &model), diff(&model, &read));
    assert!(a.is_empty() && b.is_empty(), "{a:#?}\n{b:#?}");
    // Not vacuous: the comments were read.
    let public = &read.schemas["public"];
    assert_eq!(public.comment.as_deref(), Some("Rooms and bookings it's"));
    let rooms = &public.tables["rooms"];
    assert_eq!(
        rooms.primary_key.as_ref().unwrap().comment.as_deref(),
        Some("Room number it's")
    );
    let bookings = &public.tables["bookings"];
    assert_eq!(
        bookings.exclusions["bookings_no_overlap"]
            .comment
            .as_deref(),
        Some("No double booking it's")
    );
    assert_eq!(
        bookings.exclusions["bookings_no_overlap"].index.comment,
        None
    );
    assert_eq!(
        bookings.indexes["bookings_room_id_idx"].comment.as_deref(),
        Some("Bookings by room it's")
    );
    assert_eq!(
        public.domains["positive"].checks["positive_check"]
            .comment
            .as_deref(),
        Some("Strictly positive it's")
    );
    // Every part's comment is the compiled one.
    assert_eq!(part_comments(&read), part_comments(&model));
    let commented = part_comments(&read)
        .iter()
        .filter(|(_, c)| c.is_some())
        .count();
    assert_eq!((part_comments(&read).len(), commented), (11, 9));
}

/// `(path, comment)` of every constraint, index and domain check of `m`, and its schemas.
fn part_comments(m: &Model) -> Vec<(String, Option<String>)> {
    use schemactl::model::Part;
    let mut out = Vec::new();
    fn parts<T: Part>(
        out: &mut Vec<(String, Option<String>)>,
        at: &str,
        map: &std::collections::BTreeMap<String, T>,
    ) {
        for (n, v) in map {
            out.push((format!("{at}.{n}"), v.comment().cloned()));
        }
    }
    for (sn, s) in &m.schemas {
        out.push((sn.clone(), s.comment.clone()));
        for (tn, t) in &s.tables {
            let at = format!("{sn}.{tn}");
            if let Some(pk) = &t.primary_key {
                out.push((format!("{at}.{}", pk.name), pk.comment.clone()));
            }
            parts(&mut out, &at, &t.uniques);
            parts(&mut out, &at, &t.checks);
            parts(&mut out, &at, &t.foreign_keys);
            parts(&mut out, &at, &t.exclusions);
            parts(&mut out, &at, &t.indexes);
        }
        for (dn, d) in &s.domains {
            parts(&mut out, &format!("{sn}.{dn}"), &d.checks);
        }
    }
    out
}

#[test]
fn a_comment_where_the_part_cannot_take_one_is_an_error() {
    let dir = project(&[
        ("schemactl.toml", CONFIG),
        (
            "schema/main.toml",
            "primary_key_comment = \"x\"\n[tables.t]\nprimary_key_comment = \"no key\"\n[tables.t.columns]\nid = { type = \"int\" }\n[views.v]\nquery = \"SELECT id FROM t\"\ncolumn_comments = { idd = \"typo\" }\n",
        ),
    ]);
    let out = schemactl(dir.path(), &["check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("unknown key `primary_key_comment`") || err.contains("primary_key_comment"),
        "{err}"
    );
    assert!(
        err.contains("comments on a primary key it does not declare"),
        "{err}"
    );
    assert!(err.contains("view `public.v` has no column `idd`"), "{err}");
}
