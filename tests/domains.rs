//! Domains and composite types on real PostgreSQL: each version of a project is planned
//! (allowing data loss), applied, and read back equal to the compiled model both ways;
//! then every migration is rolled back and the previous version reads back equal too.

mod support;

use schemactl::catalog::{self, ReadOptions};
use support::project::*;
use support::steps::*;

const PAGILA_DOMAINS: &str = r#"
[domains."bıgınt"]
type = "bigint"

[domains.year]
type = "integer"
checks = [{ name = "year_check", expr = "VALUE >= 1901 AND VALUE <= 2155" }]

[tables.film.columns]
film_id = { type = "integer", primary_key = true }
release_year = { type = "year", nullable = true }
"#;

#[test]
fn pagila_domains_are_declared_and_read_back_equal() {
    let mut s = Steps::new();
    let sql = s.step(PAGILA_DOMAINS);
    assert!(
        sql.contains(r#"CREATE DOMAIN "public"."year" AS integer CONSTRAINT "year_check" CHECK (VALUE >= 1901 AND VALUE <= 2155);"#),
        "{sql}"
    );
    assert!(
        sql.contains(r#"CREATE DOMAIN "public"."bıgınt" AS bigint;"#),
        "{sql}"
    );
    // The domain comes before the table that uses it.
    assert!(sql.find("CREATE DOMAIN").unwrap() < sql.find("CREATE TABLE").unwrap());
    let err = s
        .client
        .execute("INSERT INTO film VALUES (1, 1800)", &[])
        .unwrap_err();
    let message = err.as_db_error().map(|e| e.message().to_string());
    assert!(
        message.as_deref().is_some_and(|m| m.contains("year_check")),
        "{err:?}"
    );
    s.client
        .execute("INSERT INTO film VALUES (1, 2006)", &[])
        .unwrap();
    let live = read_public(&mut s.client);
    let col = &live.schemas["public"].tables["film"].columns[1];
    assert_eq!(col.data_type.to_string(), "domain:public.year");
    s.unwind();
}

#[test]
fn domain_default_not_null_and_checks_change_in_place() {
    let mut s = Steps::new();
    let v1 = r#"
[domains.code]
type = "text"
comment = "a short code"
checks = [{ name = "code_short", expr = "length(VALUE) <= 10" }]

[tables.t.columns]
id = { type = "integer", primary_key = true }
c = { type = "code", nullable = true }
"#;
    s.step(v1);
    s.client
        .execute("INSERT INTO t VALUES (1, 'abc')", &[])
        .unwrap();
    let v2 = r#"
[domains.code]
type = "text"
default = "x"
not_null = true
comment = "a code"
checks = [
  { name = "code_short", expr = "length(VALUE) <= 5" },
  { expr = "VALUE <> ''" },
]

[tables.t.columns]
id = { type = "integer", primary_key = true }
c = { type = "code", nullable = true }
"#;
    let sql = s.step(v2);
    assert!(
        sql.contains(r#"ALTER DOMAIN "public"."code" SET DEFAULT 'x';"#),
        "{sql}"
    );
    assert!(
        sql.contains(r#"ALTER DOMAIN "public"."code" SET NOT NULL;"#),
        "{sql}"
    );
    assert!(
        sql.contains(r#"ALTER DOMAIN "public"."code" DROP CONSTRAINT "code_short";"#),
        "{sql}"
    );
    assert!(
        sql.contains(
            r#"ALTER DOMAIN "public"."code" ADD CONSTRAINT "code_check" CHECK (VALUE <> '');"#
        ),
        "{sql}"
    );
    assert!(sql.contains("may_fail_on_data"), "{sql}");
    assert!(!sql.contains("deletes_data"), "{sql}");
    s.client
        .execute("INSERT INTO t (id) VALUES (2)", &[])
        .unwrap();
    assert_eq!(s.one::<String>("SELECT c FROM t WHERE id = 2"), "x");
    s.unwind();
}

#[test]
fn a_column_moves_between_a_domain_and_its_base_type_without_rewrite_or_loss() {
    let mut s = Steps::new();
    let v1 = r#"
[domains.plain]
type = "integer"

[domains.year]
type = "integer"
checks = [{ name = "year_check", expr = "VALUE >= 1901" }]

[tables.t.columns]
id = { type = "integer", primary_key = true }
y = { type = "integer" }
p = { type = "integer" }
"#;
    s.step(v1);
    s.client
        .execute("INSERT INTO t VALUES (1, 2000, 7)", &[])
        .unwrap();
    let node =
        |s: &mut Steps| s.one::<u32>("SELECT relfilenode::oid FROM pg_class WHERE relname = 't'");
    let before = node(&mut s);
    // To an unconstrained domain: no rewrite, no hazard beyond the lock.
    let v2 = v1.replace("p = { type = \"integer\" }", "p = { type = \"plain\" }");
    let sql = s.step(&v2);
    assert!(
        sql.contains(r#"ALTER COLUMN "p" TYPE "public"."plain";"#),
        "{sql}"
    );
    assert!(!sql.contains("USING"), "{sql}");
    assert!(sql.contains("[hazards: blocks_writes]"), "{sql}");
    assert_eq!(node(&mut s), before);
    // To a domain with a check: PostgreSQL checks every row (a rewrite); may fail, no loss.
    let v3 = v2.replace("y = { type = \"integer\" }", "y = { type = \"year\" }");
    let sql = s.step(&v3);
    assert!(
        sql.contains("[hazards: rewrites_table, blocks_writes, may_fail_on_data]"),
        "{sql}"
    );
    assert!(!sql.contains("deletes_data"), "{sql}");
    // Back to the base type: no rewrite, no loss.
    let before = node(&mut s);
    let sql = s.step(v1);
    assert!(sql.contains("[hazards: blocks_writes]"), "{sql}");
    assert!(
        !sql.contains("deletes_data") && !sql.contains("rewrites_table"),
        "{sql}"
    );
    assert_eq!(node(&mut s), before);
    assert_eq!(s.one::<i32>("SELECT y FROM t"), 2000);
    s.unwind();
}

#[test]
fn domains_are_renamed_recreated_when_unused_and_dropped() {
    let mut s = Steps::new();
    let v1 = r#"
[domains.amount]
type = "numeric(10,2)"

[domains.spare]
type = "integer"

[tables.t.columns]
id = { type = "integer", primary_key = true }
a = { type = "amount", nullable = true }
"#;
    s.step(v1);
    s.client
        .execute("INSERT INTO t VALUES (1, 9.5)", &[])
        .unwrap();
    let v2 = r#"
[domains.money_amount]
type = "numeric(10,2)"
renamed_from = "amount"

[domains.spare]
type = "bigint"

[tables.t.columns]
id = { type = "integer", primary_key = true }
a = { type = "money_amount", nullable = true }
"#;
    let sql = s.step(v2);
    assert!(
        sql.contains(r#"ALTER DOMAIN "public"."amount" RENAME TO "money_amount";"#),
        "{sql}"
    );
    assert!(sql.contains(r#"DROP DOMAIN "public"."spare";"#), "{sql}");
    assert!(
        sql.contains(r#"CREATE DOMAIN "public"."spare" AS bigint;"#),
        "{sql}"
    );
    assert!(
        sql.find(r#"DROP DOMAIN "public"."spare""#).unwrap()
            < sql.find(r#"CREATE DOMAIN "public"."spare""#).unwrap()
    );
    assert!(!sql.contains("ALTER TABLE"), "{sql}");
    // Dropping the domain with the column that uses it: the column first.
    let v3 = "[tables.t.columns]\nid = { type = \"integer\", primary_key = true }\n";
    let sql = s.step(v3);
    assert!(
        sql.find("DROP COLUMN").unwrap()
            < sql.find(r#"DROP DOMAIN "public"."money_amount""#).unwrap(),
        "{sql}"
    );
    assert!(sql.contains("deletes_data"), "{sql}");
    s.unwind();
}

#[test]
fn a_base_type_change_of_a_used_domain_is_refused() {
    let mut s = Steps::new();
    let v1 = "[domains.d]\ntype = \"integer\"\n\n[tables.t.columns]\nid = { type = \"integer\", primary_key = true }\nv = { type = \"d\" }\n";
    s.step(v1);
    std::fs::write(
        s.dir.path().join("schema/s.toml"),
        v1.replace("type = \"integer\"\n\n", "type = \"bigint\"\n\n"),
    )
    .unwrap();
    let out = schemactl(s.dir.path(), &["plan", "--name", "v2"]);
    let err = text(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("domain public.d"), "{err}");
    assert!(err.contains("public.t.v"), "{err}");
}

#[test]
fn composite_types_are_created_altered_renamed_and_dropped() {
    let mut s = Steps::new();
    let v1 = r#"
[composite_types.address.attributes]
street = { type = "text", collation = "C" }
zip = { type = "integer" }

[composite_types.spare]
comment = "unused"
attributes = { a = { type = "integer" } }

[tables.t.columns]
id = { type = "integer", primary_key = true }
home = { type = "address", nullable = true }
"#;
    let sql = s.step(v1);
    assert!(
        sql.contains(
            r#"CREATE TYPE "public"."address" AS ("street" text COLLATE "C", "zip" integer);"#
        ),
        "{sql}"
    );
    s.client
        .execute("INSERT INTO t VALUES (1, ROW('Main St', 12345))", &[])
        .unwrap();
    let v2 = r#"
[composite_types.postal_address]
renamed_from = "address"
attributes = { street = { type = "text", collation = "C" }, city = { type = "text" } }

[composite_types.spare]
comment = "still unused"
attributes = { a = { type = "bigint" } }

[tables.t.columns]
id = { type = "integer", primary_key = true }
home = { type = "postal_address", nullable = true }
"#;
    let sql = s.step(v2);
    assert!(
        sql.contains(r#"ALTER TYPE "public"."address" RENAME TO "postal_address";"#),
        "{sql}"
    );
    assert!(
        sql.contains(r#"ALTER TYPE "public"."postal_address" DROP ATTRIBUTE "zip";"#),
        "{sql}"
    );
    assert!(
        sql.contains(r#"ALTER TYPE "public"."postal_address" ADD ATTRIBUTE "city" text;"#),
        "{sql}"
    );
    assert!(
        sql.contains(r#"ALTER TYPE "public"."spare" ALTER ATTRIBUTE "a" TYPE bigint;"#),
        "{sql}"
    );
    assert!(sql.contains("deletes_data"), "{sql}");
    assert_eq!(s.one::<String>("SELECT (home).street FROM t"), "Main St");
    let v3 = "[tables.t.columns]\nid = { type = \"integer\", primary_key = true }\n";
    let sql = s.step(v3);
    assert!(sql.contains(r#"DROP TYPE "public"."spare";"#), "{sql}");
    assert!(
        sql.find("DROP COLUMN").unwrap()
            < sql.find(r#"DROP TYPE "public"."postal_address""#).unwrap(),
        "{sql}"
    );
    s.unwind();
}

#[test]
fn pagila_domains_created_by_its_own_ddl_read_back_as_the_toml() {
    // The statements as pg_dump wrote them in tests/fixtures/pagila/pagila-schema.sql.
    let db = support::test_db();
    let mut client = db.connect();
    client
        .batch_execute(
            r#"CREATE DOMAIN public."bıgınt" AS bigint;
CREATE DOMAIN public.year AS integer
	CONSTRAINT year_check CHECK (((VALUE >= 1901) AND (VALUE <= 2155)));
CREATE TABLE public.film (film_id integer PRIMARY KEY, release_year public.year);"#,
        )
        .unwrap();
    let dir = project(&[("schema/s.toml", PAGILA_DOMAINS)]);
    let model = compile_dir(dir.path());
    assert_same(&read_public(&mut client), &model, "pagila DDL");
}

#[test]
fn ignored_domains_are_not_read_and_their_columns_stay_pass_through() {
    let db = support::test_db();
    let mut client = db.connect();
    client
        .batch_execute(
            "CREATE DOMAIN public.legacy_code AS text CHECK (VALUE <> '');
             CREATE TYPE public.legacy_pair AS (a integer, b integer);
             CREATE TABLE public.t (id integer PRIMARY KEY, c public.legacy_code, p public.legacy_pair);",
        )
        .unwrap();
    let cat = catalog::read(
        &mut client,
        &ReadOptions {
            schemas: vec!["public".into()],
            ignore: vec!["public.legacy_*".into()],
            history_schema: "schemactl".into(),
        },
    )
    .unwrap();
    let s = &cat.model.schemas["public"];
    assert!(
        s.domains.is_empty() && s.composite_types.is_empty(),
        "{s:?}"
    );
    let types: Vec<String> = s.tables["t"]
        .columns
        .iter()
        .map(|c| c.data_type.to_string())
        .collect();
    assert_eq!(types, ["integer", "sql:legacy_code", "sql:legacy_pair"]);
    // The same project with `type_sql` reads back equal.
    let dir = project(&[(
        "schema/s.toml",
        "[tables.t.columns]\nid = { type = \"integer\", primary_key = true }\nc = { type_sql = \"legacy_code\", nullable = true }\np = { type_sql = \"legacy_pair\", nullable = true }\n",
    )]);
    assert_same(&cat.model, &compile_dir(dir.path()), "ignored types");
}

#[test]
fn a_check_on_a_domain_held_in_an_array_column_is_refused() {
    let v1 = "[domains.d]\ntype = \"integer\"\n\n[tables.t.columns]\nid = { type = \"integer\", primary_key = true }\nv = { type = \"d[]\" }\n";
    let dir = project(&[("schema/s.toml", v1)]);
    run_plan(dir.path(), "v1");
    std::fs::write(
        dir.path().join("schema/s.toml"),
        v1.replace(
            "type = \"integer\"\n\n",
            "type = \"integer\"\nchecks = [{ name = \"pos\", expr = \"VALUE > 0\" }]\n\n",
        ),
    )
    .unwrap();
    let out = schemactl(dir.path(), &["plan", "--name", "v2"]);
    let err = text(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("add check pos to domain public.d"), "{err}");
    assert!(err.contains("public.t.v"), "{err}");
    assert!(err.contains("inside an array or composite type"), "{err}");
}

#[test]
fn types_over_an_enum_follow_its_rename_and_are_dropped_before_it() {
    let mut s = Steps::new();
    let v1 = r#"
[enums.mood]
values = ["happy", "sad"]

[domains.feeling]
type = "mood"
default = "happy"

[composite_types.pair.attributes]
a = { type = "mood" }
b = { type = "feeling[]" }

[tables.t.columns]
id = { type = "integer", primary_key = true }
f = { type = "feeling", nullable = true }
p = { type = "pair", nullable = true }
"#;
    s.step(v1);
    let v2 = v1.replace("\"mood\"", "\"state_of_mind\"").replace(
        "[enums.mood]\n",
        "[enums.state_of_mind]\nrenamed_from = \"mood\"\n",
    );
    let sql = s.step(&v2);
    assert!(
        sql.contains(r#"ALTER TYPE "public"."mood" RENAME TO "state_of_mind";"#),
        "{sql}"
    );
    assert!(!sql.contains("DOMAIN"), "{sql}");
    // Everything dropped: columns, then the composite type, the domain, the enum.
    let sql = s.step("[tables.t.columns]\nid = { type = \"integer\", primary_key = true }\n");
    let at = |needle: &str| {
        sql.find(needle)
            .unwrap_or_else(|| panic!("{needle}\n{sql}"))
    };
    assert!(at("DROP COLUMN \"f\"") < at("DROP TYPE \"public\".\"pair\""));
    assert!(at("DROP TYPE \"public\".\"pair\"") < at("DROP DOMAIN \"public\".\"feeling\""));
    assert!(
        at("DROP DOMAIN \"public\".\"feeling\"") < at("DROP TYPE \"public\".\"state_of_mind\"")
    );
    s.unwind();
}

#[test]
fn a_dropped_and_created_domain_of_the_same_shape_suggests_a_rename() {
    let v1 = "[domains.amount]\ntype = \"numeric(10,2)\"\nchecks = [{ name = \"pos\", expr = \"VALUE > 0\" }]\n\n[composite_types.pt.attributes]\nx = { type = \"integer\" }\n";
    let dir = project(&[("schema/s.toml", v1)]);
    run_plan(dir.path(), "v1");
    std::fs::write(
        dir.path().join("schema/s.toml"),
        v1.replace("domains.amount", "domains.money")
            .replace("composite_types.pt", "composite_types.point"),
    )
    .unwrap();
    let out = schemactl(
        dir.path(),
        &["plan", "--name", "v2", "--allow", "deletes_data"],
    );
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        all.contains("did you mean to rename domain public.amount to public.money? add renamed_from = \"amount\" to [domains.money]"),
        "{all}"
    );
    assert!(
        all.contains("did you mean to rename composite type public.pt to public.point? add renamed_from = \"pt\" to [composite_types.point]"),
        "{all}"
    );
}
