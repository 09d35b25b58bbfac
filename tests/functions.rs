//! Functions and procedures on real PostgreSQL: each version of a project is planned
//! (allowing data loss), applied, and read back equal to the compiled model both ways; then
//! every migration is rolled back and the previous version reads back equal too.

mod support;

use support::project::*;
use support::steps::*;

const V1: &str = r#"
[enums.mood]
values = ["happy", "sad"]

[tables.film.columns]
id = { type = "serial", primary_key = true }
title = { type = "varchar(100)" }
rating = { type = "numeric(4,2)", default_sql = "default_rating()" }
last_update = { type = "timestamptz", default_sql = "now()" }

[functions.default_rating]
returns = "numeric(4,2)"
language = "sql"
volatility = "immutable"
body = "SELECT 2.5"

[functions.last_updated]
returns = "trigger"
language = "plpgsql"
body = """
BEGIN
    NEW.last_update = CURRENT_TIMESTAMP;
    RETURN NEW;
END
"""
set = { search_path = "public, pg_temp", work_mem = "64MB" }
comment = "touch last_update"

[[functions.film_count]]
args = [{ name = "p_mood", type = "mood" }]
returns = "integer"
language = "sql"
volatility = "stable"
body = "SELECT count(*)::int FROM film"

[[functions.film_count]]
args = [
  { name = "min_len", type = "int4", default_sql = "0" },
  { name = "label", type = "varchar(10)", default_sql = "'x'" },
]
returns = "setof film"
language = "sql"
strict = true
rows = 10
cost = 5
parallel = "safe"
body = "SELECT * FROM film WHERE length(title) >= min_len"

[functions.titles]
returns_table = [{ name = "id", type = "integer" }, { name = "t", type = "text" }]
language = "sql"
body = "SELECT id, title::text FROM film"

[procedures.reset_ratings]
args = [{ name = "v", type = "numeric" }, { name = "n", mode = "inout", type = "integer" }]
language = "plpgsql"
security_definer = true
body = "BEGIN UPDATE film SET rating = v; n := 1; END"

[views.rated]
query = "SELECT id, default_rating() AS r FROM film"
"#;

#[test]
fn functions_are_created_before_the_tables_that_call_them_and_read_back_equal() {
    let mut s = Steps::new();
    let sql = s.step(V1);
    // A default calling a function works in the migration that creates the function.
    assert!(
        sql.find("CREATE FUNCTION \"public\".\"default_rating\"")
            .unwrap()
            < sql.find("CREATE TABLE").unwrap(),
        "{sql}"
    );
    // A SQL function reading the table comes after it (PostgreSQL checks the body).
    assert!(
        sql.find("CREATE TABLE").unwrap()
            < sql.find("CREATE FUNCTION \"public\".\"titles\"").unwrap(),
        "{sql}"
    );
    s.client
        .execute("INSERT INTO film (title) VALUES ('abc')", &[])
        .unwrap();
    let rating: String = s.one("SELECT rating::text FROM film");
    assert_eq!(rating, "2.50");
    let n: i32 = s.one("SELECT film_count('happy'::mood)");
    assert_eq!(n, 1);
    let rows: i64 = s.one("SELECT count(*) FROM film_count(2)");
    assert_eq!(rows, 1);
    let config: Vec<String> = s.one("SELECT proconfig FROM pg_proc WHERE proname = 'last_updated'");
    assert_eq!(config, vec!["search_path=public, pg_temp", "work_mem=64MB"]);
    s.client.batch_execute("CALL reset_ratings(3, 0)").unwrap();
    let rating: String = s.one("SELECT rating::text FROM film");
    assert_eq!(rating, "3.00");
    s.unwind();
}

#[test]
fn body_changes_replace_and_signature_changes_rebuild_what_calls_the_function() {
    let mut s = Steps::new();
    s.step(V1);
    // A new body and options: CREATE OR REPLACE, nothing else touched.
    let v2 = V1
        .replace("body = \"SELECT 2.5\"", "body = \"SELECT 4.5\"")
        .replace("comment = \"touch last_update\"", "comment = \"touch it\"");
    let sql = s.step(&v2);
    assert!(
        sql.contains("CREATE OR REPLACE FUNCTION \"public\".\"default_rating\"()"),
        "{sql}"
    );
    assert!(!sql.contains("DROP"), "{sql}");
    assert!(sql.contains("COMMENT ON FUNCTION \"public\".\"last_updated\"() IS 'touch it';"));
    let r: String = s.one("SELECT r::text FROM rated UNION ALL SELECT '4.5' LIMIT 1");
    assert_eq!(r, "4.5");
    // A new result type: dropped and created again; the view calling it is rebuilt
    // around it, in a working order.
    let v3 = v2
        .replace("returns = \"numeric(4,2)\"", "returns = \"integer\"")
        .replace("body = \"SELECT 4.5\"", "body = \"SELECT 4\"")
        .replace(
            "rating = { type = \"numeric(4,2)\", default_sql = \"default_rating()\" }",
            "rating = { type = \"numeric(4,2)\", default_sql = \"0\" }",
        );
    let sql = s.step(&v3);
    let drop_view = sql.find("DROP VIEW \"public\".\"rated\"").expect(&sql);
    let drop_fn = sql
        .find("DROP FUNCTION \"public\".\"default_rating\"()")
        .expect(&sql);
    let create_fn = sql
        .find("CREATE FUNCTION \"public\".\"default_rating\"()")
        .expect(&sql);
    let create_view = sql.find("CREATE VIEW \"public\".\"rated\"").expect(&sql);
    assert!(
        drop_view < drop_fn && drop_fn < create_fn && create_fn < create_view,
        "{sql}"
    );
    // Overloads are distinct objects: dropping one leaves the other.
    let v4 = v3.replace(
        "[[functions.film_count]]\nargs = [{ name = \"p_mood\", type = \"mood\" }]\nreturns = \"integer\"\nlanguage = \"sql\"\nvolatility = \"stable\"\nbody = \"SELECT count(*)::int FROM film\"\n",
        "",
    );
    assert_ne!(v4, v3);
    let sql = s.step(&v4);
    assert!(
        sql.contains("DROP FUNCTION \"public\".\"film_count\"(\"public\".\"mood\");"),
        "{sql}"
    );
    assert!(!sql.contains("character varying"), "{sql}");
    s.unwind();
}

#[test]
fn drift_and_diff_see_a_function_changed_by_hand() {
    let mut s = Steps::new();
    s.step(V1);
    s.client
        .batch_execute(
            "CREATE OR REPLACE FUNCTION default_rating() RETURNS numeric LANGUAGE sql IMMUTABLE AS 'SELECT 9'",
        )
        .unwrap();
    let live = read_public(&mut s.client);
    let expected = s.models.last().unwrap().clone();
    let found: Vec<String> = schemactl::diff::diff(&expected, &live)
        .iter()
        .filter_map(|c| c.deviation(&expected, &live))
        .collect();
    assert_eq!(
        found,
        vec!["different in the database: function public.default_rating() (body)".to_string()]
    );
    s.client
        .batch_execute("CREATE FUNCTION extra(a int) RETURNS int LANGUAGE sql AS 'SELECT a'")
        .unwrap();
    let live = read_public(&mut s.client);
    let found: Vec<String> = schemactl::diff::diff(&expected, &live)
        .iter()
        .filter_map(|c| c.deviation(&expected, &live))
        .collect();
    assert!(
        found.contains(&"extra in the database: function public.extra(integer)".to_string()),
        "{found:?}"
    );
}

#[test]
fn bad_function_definitions_are_reported_together() {
    let dir = project(&[(
        "schema/s.toml",
        r#"
[functions.f]
returns = "no_such_type"
language = "plpgsql"
body = "BEGIN END"
volatility = "sometimes"

[functions.g]
args = [{ name = "a", type = "integer", default_sql = "1" }, { name = "b", type = "integer" }]
returns = "void"
body = "SELECT 1"

[functions.h]
returns = "integer"
language = "sql"
body = "SELECT 1"
body_file = "h.sql"

[tables.t.columns]
id = { type = "integer", default_sql = "h() + nope()" }
n = { type = "integer", default_sql = "h(1)" }
"#,
    )]);
    let loaded = schemactl::compile::load_project(dir.path());
    let err = schemactl::compile::compile(&loaded.project, &loaded.raw, loaded.diags, None)
        .expect_err("errors");
    let text: Vec<String> = err
        .iter()
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect();
    let all = text.join("\n");
    assert!(
        all.contains("unknown-type: unknown type `no_such_type`"),
        "{all}"
    );
    assert!(all.contains("unknown volatility `sometimes`"), "{all}");
    assert!(all.contains("function `g` has no `language`"), "{all}");
    assert!(all.contains("cannot read body_file `h.sql`"), "{all}");
    // `h` is declared, `nope` is not.
    assert!(all.contains("calls `nope`"), "{all}");
    assert!(!all.contains("calls `h`,"), "{all}");
    // A declared function's argument count is checked offline too.
    assert!(
        all.contains("calls `h` with 1 argument; the declared `h` takes"),
        "{all}"
    );
}

const TRIGGERS: &str = r#"
[tables.film.columns]
id = { type = "integer", primary_key = true }
title = { type = "text" }
last_update = { type = "timestamptz", default_sql = "now()" }
fulltext = { type = "tsvector", nullable = true }

[tables.log.columns]
n = { type = "integer" }

[functions.last_updated]
returns = "trigger"
language = "plpgsql"
body = "BEGIN NEW.last_update = '2000-01-01'; RETURN NEW; END"

[functions.count_deleted]
returns = "trigger"
language = "plpgsql"
body = "BEGIN INSERT INTO log SELECT count(*) FROM gone; RETURN NULL; END"

[tables.film.triggers.last_updated]
timing = "before"
events = ["update"]
columns = ["title"]
for_each = "row"
when = "OLD.title IS DISTINCT FROM NEW.title"
function = "last_updated"
comment = "stamps changes"

[tables.film.triggers.film_fulltext_trigger]
timing = "before"
events = ["insert", "update"]
for_each = "row"
function = "tsvector_update_trigger"
args = ["fulltext", "pg_catalog.english", "title"]

[tables.film.triggers.deleted]
timing = "after"
events = ["delete"]
old_table = "gone"
function = "count_deleted"
"#;

#[test]
fn triggers_fire_change_and_roll_back() {
    let mut s = Steps::new();
    let sql = s.step(TRIGGERS);
    assert!(
        sql.find("CREATE FUNCTION \"public\".\"last_updated\"")
            .unwrap()
            < sql.find("CREATE TRIGGER \"last_updated\"").unwrap(),
        "{sql}"
    );
    s.client
        .batch_execute("INSERT INTO film (id, title) VALUES (1, 'a'), (2, 'b'); UPDATE film SET title = 'c' WHERE id = 1; DELETE FROM film WHERE id = 2")
        .unwrap();
    let stamped: String = s.one("SELECT last_update::date::text FROM film WHERE id = 1");
    assert_eq!(stamped, "2000-01-01");
    let fulltext: String = s.one("SELECT fulltext::text FROM film WHERE id = 1");
    assert_eq!(fulltext, "'c':1");
    let logged: i32 = s.one("SELECT n FROM log");
    assert_eq!(logged, 1);

    // A new WHEN: CREATE OR REPLACE; disabled in place; a dropped trigger is
    // breaks_clients; a new body of the function leaves the triggers alone.
    let v2 = TRIGGERS
        .replace(
            "when = \"OLD.title IS DISTINCT FROM NEW.title\"",
            "when = \"NEW.title <> 'x'\"",
        )
        .replace(
            "args = [\"fulltext\", \"pg_catalog.english\", \"title\"]",
            "args = [\"fulltext\", \"pg_catalog.english\", \"title\"]\nenabled = \"disabled\"",
        )
        .replace(
            "old_table = \"gone\"\nfunction = \"count_deleted\"",
            "old_table = \"gone\"\nfunction = \"count_deleted\"\nconstraint = false",
        )
        .replace("RETURN NEW; END", "RETURN NEW; END;");
    let sql = s.step(&v2);
    assert!(
        sql.contains("CREATE OR REPLACE TRIGGER \"last_updated\""),
        "{sql}"
    );
    assert!(
        sql.contains("ALTER TABLE \"public\".\"film\" DISABLE TRIGGER \"film_fulltext_trigger\";"),
        "{sql}"
    );
    assert!(
        sql.contains("CREATE OR REPLACE FUNCTION \"public\".\"last_updated\"()"),
        "{sql}"
    );
    assert!(!sql.contains("DROP TRIGGER"), "{sql}");
    let enabled: String =
        s.one("SELECT tgenabled::text FROM pg_trigger WHERE tgname = 'film_fulltext_trigger'");
    assert_eq!(enabled, "D");

    let v3 = v2.replace(
        "[tables.film.triggers.deleted]\ntiming = \"after\"\nevents = [\"delete\"]\nold_table = \"gone\"\nfunction = \"count_deleted\"\nconstraint = false\n",
        "",
    );
    assert_ne!(v3, v2);
    let sql = s.step(&v3);
    assert!(
        sql.contains("drop-trigger public.film.deleted [hazards: breaks_clients]"),
        "{sql}"
    );
    s.unwind();
}

#[test]
fn trigger_mistakes_are_reported_together() {
    let dir = project(&[(
        "schema/s.toml",
        r#"
[tables.t.columns]
id = { type = "integer" }

[functions.not_a_trigger]
returns = "integer"
language = "sql"
body = "SELECT 1"

[tables.t.triggers.a]
timing = "sometimes"
events = ["insert"]
function = "nope"

[tables.t.triggers.b]
timing = "after"
events = ["insert", "truncate"]
for_each = "row"
columns = ["missing"]
function = "not_a_trigger"
"#,
    )]);
    let loaded = schemactl::compile::load_project(dir.path());
    let err = schemactl::compile::compile(&loaded.project, &loaded.raw, loaded.diags, None)
        .expect_err("errors");
    let all: Vec<String> = err
        .iter()
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect();
    let all = all.join("\n");
    assert!(all.contains("unknown timing `sometimes`"), "{all}");
    assert!(
        all.contains("a TRUNCATE trigger fires once per statement"),
        "{all}"
    );
    assert!(
        all.contains("`columns` (UPDATE OF) needs the \"update\" event"),
        "{all}"
    );
    assert!(all.contains("has no column `missing`"), "{all}");
    assert!(
        all.contains("function `public.not_a_trigger` does not return `trigger`"),
        "{all}"
    );
}

#[test]
fn defaults_checks_and_indexes_calling_a_recreated_function_are_rebuilt_around_it() {
    let v1 = r#"
[functions.norm]
args = [{ name = "s", type = "text" }]
returns = "text"
language = "sql"
volatility = "immutable"
body = "SELECT lower(s)"

[tables.t.columns]
id = { type = "integer", primary_key = true }
title = { type = "text", default_sql = "norm('X')" }

[[tables.t.checks]]
name = "t_title_check"
expr = "norm(title) <> ''"

[[tables.t.indexes]]
name = "t_norm_idx"
columns = [{ expr = "norm(title)" }]
"#;
    let mut s = Steps::new();
    s.step(v1);
    // A new result type: dropped and created again.
    let v2 = v1.replace("returns = \"text\"", "returns = \"varchar\"");
    let sql = s.step(&v2);
    let drop_fn = sql.find("DROP FUNCTION").expect(&sql);
    for before in [
        "DROP DEFAULT",
        "DROP CONSTRAINT \"t_title_check\"",
        "DROP INDEX",
    ] {
        assert!(sql.find(before).expect(before) < drop_fn, "{before}\n{sql}");
    }
    let create_fn = sql.find("CREATE FUNCTION").expect(&sql);
    for after in [
        "SET DEFAULT",
        "ADD CONSTRAINT \"t_title_check\"",
        "CREATE INDEX",
    ] {
        assert!(sql.find(after).expect(after) > create_fn, "{after}\n{sql}");
    }
    s.client
        .batch_execute("INSERT INTO t (id) VALUES (1)")
        .unwrap();
    let title: String = s.one("SELECT title FROM t");
    assert_eq!(title, "x");
    s.unwind();
}

#[test]
fn a_body_using_what_the_plan_drops_or_renames_is_named() {
    let v1 = r#"
[tables.audit.columns]
id = { type = "integer", primary_key = true }
note = { type = "text", nullable = true }

[functions.log_it]
args = [{ name = "n", type = "text" }]
returns = "void"
language = "plpgsql"
body = "BEGIN INSERT INTO audit (id, note) VALUES (1, n) ON CONFLICT ON CONSTRAINT audit_pkey DO NOTHING; END"
"#;
    let mut s = Steps::new();
    s.step(v1);
    let v2 = v1
        .replace(
            "[tables.audit.columns]",
            "[tables.audit]\nprimary_key_name = \"audit_key\"\n\n[tables.audit.columns]",
        )
        .replace("note = { type = \"text\", nullable = true }\n", "");
    std::fs::write(s.dir.path().join("schema/s.toml"), &v2).unwrap();
    let g = schemactl::commands::Global {
        project: Some(s.dir.path().to_path_buf()),
        ..Default::default()
    };
    let out = schemactl::commands::plan::run(
        &g,
        &schemactl::commands::plan::Options {
            name: Some("v2".into()),
            dry_run: true,
            allow: vec![schemactl::plan::Hazard::DeletesData],
            ..Default::default()
        },
    );
    assert!(
        out.stdout.contains("function public.log_it(text) uses `audit_pkey` in its body, and this plan renames audit_pkey of public.audit to audit_key"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("uses `note` in its body, and this plan drops column public.audit.note"),
        "{}",
        out.stdout
    );
    // A step of its own carries the hazard, so `require_allow = ["breaks_clients"]` gates
    // a constraint rename that has none of its own; the comment-only step applies.
    assert!(
        out.stdout
            .contains("body-uses public.log_it(text) [hazards: breaks_clients]"),
        "{}",
        out.stdout
    );
    let sql = s.step(&v2);
    assert!(sql.contains("breaks_clients"), "{sql}");
    s.unwind();
}

#[test]
fn routines_whose_signature_uses_a_recreated_type_go_before_it_and_come_back_after() {
    let v1 = r#"
[enums.mood]
values = ["happy", "sad", "meh"]

[domains.posint]
type = "integer"
checks = [{ expr = "VALUE > 0" }]

[composite_types.pair.attributes]
a = { type = "integer" }

[tables.t.columns]
id = { type = "integer", primary_key = true }
m = { type = "mood" }

[functions.cheer]
args = [{ name = "m", type = "mood" }]
returns = "mood"
language = "sql"
body = "SELECT m"

[functions.dbl]
args = [{ name = "n", type = "posint" }]
returns = "integer"
language = "sql"
body = "SELECT n * 2"
grants = { public = ["execute"] }
comment = "doubles"

[functions.first]
args = [{ name = "p", type = "pair" }]
returns = "integer"
language = "sql"
body = "SELECT (p).a"
"#;
    let mut s = Steps::new();
    s.step(v1);
    // A value removed (the enum is recreated), a new base type (the domain is recreated).
    let v2 = v1
        .replace(r#"["happy", "sad", "meh"]"#, r#"["happy", "sad"]"#)
        .replace(
            "[domains.posint]\ntype = \"integer\"",
            "[domains.posint]\ntype = \"bigint\"",
        );
    let sql = s.step(&v2);
    let at = |needle: &str| {
        sql.find(needle)
            .unwrap_or_else(|| panic!("{needle}\n{sql}"))
    };
    assert!(at(r#"DROP FUNCTION "public"."cheer""#) < at("recreate-enum public.mood"));
    assert!(at("recreate-enum public.mood") < at(r#"CREATE FUNCTION "public"."cheer""#));
    assert!(at(r#"DROP FUNCTION "public"."dbl""#) < at("recreate-domain public.posint"));
    assert!(at("recreate-domain public.posint") < at(r#"CREATE FUNCTION "public"."dbl""#));
    // Its comment comes back with it; PUBLIC's default execute needs no grant.
    assert!(sql.contains(r#"COMMENT ON FUNCTION "public"."dbl"("public"."posint") IS 'doubles';"#));
    // A routine on an untouched type is left alone.
    assert!(!sql.contains(r#""first""#), "{sql}");
    let n: i64 = s.one("SELECT public.dbl(21)::bigint");
    assert_eq!(n, 42);
    s.unwind();
}

const VIEW_TRIGGERS: &str = r#"
[tables.item.columns]
id = { type = "integer", primary_key = true }
name = { type = "text" }

[tables.calls.columns]
n = { type = "integer" }

[views.item_api]
query = "SELECT id, name FROM item"

[views.item_api.triggers.write]
timing = "instead_of"
events = ["insert", "update", "delete"]
for_each = "row"
function = "item_api_write"
comment = "writes through"

[views.item_api.triggers.count]
timing = "after"
events = ["insert"]
function = "count_call"

[functions.item_api_write]
returns = "trigger"
language = "plpgsql"
body = """
BEGIN
  IF TG_OP = 'INSERT' THEN INSERT INTO item VALUES (NEW.id, upper(NEW.name)); RETURN NEW;
  ELSIF TG_OP = 'UPDATE' THEN UPDATE item SET name = NEW.name WHERE id = OLD.id; RETURN NEW;
  ELSE DELETE FROM item WHERE id = OLD.id; RETURN OLD;
  END IF;
END
"""

[functions.count_call]
returns = "trigger"
language = "plpgsql"
body = "BEGIN INSERT INTO calls VALUES (1); RETURN NULL; END"
"#;

#[test]
fn views_take_instead_of_triggers_that_survive_the_view_being_recreated() {
    let mut s = Steps::new();
    let sql = s.step(VIEW_TRIGGERS);
    assert!(
        sql.find("CREATE VIEW").unwrap() < sql.find("CREATE TRIGGER \"write\"").unwrap(),
        "{sql}"
    );
    s.client
        .batch_execute("INSERT INTO item_api VALUES (1, 'a'); UPDATE item_api SET name = 'b' WHERE id = 1; INSERT INTO item_api VALUES (2, 'c'); DELETE FROM item_api WHERE id = 2")
        .unwrap();
    let name: String = s.one("SELECT string_agg(name, ',' ORDER BY id) FROM item");
    assert_eq!(name, "b");
    let calls: i64 = s.one("SELECT count(*) FROM calls");
    assert_eq!(calls, 2);

    // A column dropped from the view: dropped and created again, with its triggers.
    let v2 = VIEW_TRIGGERS.replace("SELECT id, name FROM item", "SELECT id FROM item");
    let v2 = v2
        .replace(
            "INSERT INTO item VALUES (NEW.id, upper(NEW.name))",
            "INSERT INTO item VALUES (NEW.id, 'x')",
        )
        .replace(
            "UPDATE item SET name = NEW.name WHERE id = OLD.id",
            "UPDATE item SET id = NEW.id WHERE id = OLD.id",
        );
    let sql = s.step(&v2);
    assert!(sql.contains("DROP VIEW"), "{sql}");
    let create_view = sql.find("CREATE VIEW").expect(&sql);
    assert!(
        sql.find("CREATE TRIGGER \"write\"").expect(&sql) > create_view,
        "{sql}"
    );
    assert!(
        sql.find("CREATE TRIGGER \"count\"").expect(&sql) > create_view,
        "{sql}"
    );
    assert!(sql.contains("COMMENT ON TRIGGER \"write\""), "{sql}");
    s.client
        .batch_execute("INSERT INTO item_api VALUES (3)")
        .unwrap();
    let n: i64 = s.one("SELECT count(*) FROM item WHERE id = 3");
    assert_eq!(n, 1);

    // One trigger less: dropped, the view stays.
    let v3 = v2.replace(
        "[views.item_api.triggers.count]\ntiming = \"after\"\nevents = [\"insert\"]\nfunction = \"count_call\"\n",
        "",
    );
    assert_ne!(v3, v2);
    let sql = s.step(&v3);
    assert!(sql.contains("DROP TRIGGER \"count\""), "{sql}");
    assert!(!sql.contains("DROP VIEW"), "{sql}");
    s.unwind();
}

#[test]
fn view_trigger_mistakes_are_reported_together() {
    let dir = project(&[(
        "schema/s.toml",
        r#"
[tables.t.columns]
id = { type = "integer" }

[views.v]
query = "SELECT id FROM t"

[functions.f]
returns = "trigger"
language = "plpgsql"
body = "BEGIN RETURN NEW; END"

[views.v.triggers.a]
timing = "instead_of"
events = ["insert", "truncate"]
for_each = "statement"
when = "true"
function = "f"

[views.v.triggers.b]
timing = "before"
events = ["insert"]
for_each = "row"
enabled = "disabled"
function = "f"

[tables.t.triggers.c]
timing = "instead_of"
events = ["insert"]
for_each = "row"
function = "f"
"#,
    )]);
    let loaded = schemactl::compile::load_project(dir.path());
    let err = schemactl::compile::compile(&loaded.project, &loaded.raw, loaded.diags, None)
        .expect_err("errors");
    let all: Vec<String> = err.iter().map(|d| d.message.clone()).collect();
    let all = all.join("\n");
    for expected in [
        "an INSTEAD OF trigger fires for each row",
        "an INSTEAD OF trigger fires on insert, update or delete",
        "an INSTEAD OF trigger cannot have a WHEN condition",
        "a BEFORE or AFTER trigger on a view fires per statement",
        "a view's trigger is always enabled",
        "`instead_of` triggers are for views; this is a table",
    ] {
        assert!(all.contains(expected), "{expected}\n{all}");
    }
}

#[test]
fn functions_and_procedures_are_renamed_in_place_with_their_triggers_and_callers() {
    let v1 = r#"
[tables.t.columns]
id = { type = "integer", primary_key = true }
stamp = { type = "integer", nullable = true }
big = { type = "integer", default_sql = "twice(21)" }

[tables.t.triggers.stamp]
timing = "before"
events = ["insert"]
for_each = "row"
function = "stamp_it"

[functions.stamp_it]
returns = "trigger"
language = "plpgsql"
body = "BEGIN NEW.stamp := 7; RETURN NEW; END"

[functions.twice]
args = [{ name = "n", type = "integer" }]
returns = "integer"
language = "sql"
body = "SELECT n * 2"
comment = "doubles"

[procedures.tidy]
language = "sql"
body = "DELETE FROM t WHERE id < 0"
"#;
    let mut s = Steps::new();
    s.step(v1);
    let v2 = v1
        .replace("function = \"stamp_it\"", "function = \"set_stamp\"")
        .replace(
            "[functions.stamp_it]",
            "[functions.set_stamp]\nrenamed_from = \"stamp_it\"",
        )
        .replace(
            "[functions.twice]",
            "[functions.double]\nrenamed_from = \"twice\"",
        )
        .replace("twice(21)", "double(21)")
        .replace(
            "[procedures.tidy]",
            "[procedures.clean_up]\nrenamed_from = \"tidy\"",
        );
    let sql = s.step(&v2);
    assert!(
        sql.contains(r#"ALTER FUNCTION "public"."stamp_it"() RENAME TO "set_stamp";"#),
        "{sql}"
    );
    assert!(
        sql.contains(r#"ALTER FUNCTION "public"."twice"(integer) RENAME TO "double";"#),
        "{sql}"
    );
    assert!(
        sql.contains(r#"ALTER PROCEDURE "public"."tidy"() RENAME TO "clean_up";"#),
        "{sql}"
    );
    assert!(
        sql.contains("rename-function public.double(integer) [hazards: breaks_clients]"),
        "{sql}"
    );
    // Nothing dropped or created: the trigger keeps firing, the comment stays; the default
    // (which holds the function's oid) reads back with the new name.
    assert!(!sql.contains("DROP FUNCTION"), "{sql}");
    assert!(!sql.contains("CREATE"), "{sql}");
    let n: i32 = s.one("SELECT public.double(4)");
    assert_eq!(n, 8);
    s.client
        .batch_execute("INSERT INTO t (id) VALUES (1)")
        .unwrap();
    let stamp: i32 = s.one("SELECT stamp FROM t WHERE id = 1");
    assert_eq!(stamp, 7);
    let big: i32 = s.one("SELECT big FROM t WHERE id = 1");
    assert_eq!(big, 42);
    let comment: String =
        s.one("SELECT obj_description('public.double(integer)'::regprocedure, 'pg_proc')");
    assert_eq!(comment, "doubles");
    s.unwind();
}
