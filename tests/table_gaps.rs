//! Table-layer gaps found on real schemas (issue 10, item 5): named primary keys, NOT VALID
//! foreign keys and checks, foreign keys between integers of different widths, `ignore`
//! globs for every kind. Each version of a project is planned (allowing data loss), applied
//! to real PostgreSQL and read back equal to the compiled model both ways; then every
//! migration is rolled back and the previous version reads back equal too.

mod support;

use std::time::Duration;

use schemactl::apply::{self};
use schemactl::catalog::{self, ReadOptions};
use schemactl::commands::Exit;
use schemactl::compile;
use schemactl::diag::SourceMap;
use schemactl::diff::diff;
use schemactl::migrations::{self, Layout};
use schemactl::model::Model;
use support::project::*;
use support::steps::*;

fn read_ignoring(client: &mut postgres::Client, ignore: &[&str]) -> Model {
    catalog::read(
        client,
        &ReadOptions {
            schemas: vec!["public".into()],
            ignore: ignore.iter().map(|s| s.to_string()).collect(),
            history_schema: "schemactl".into(),
        },
    )
    .unwrap()
    .model
}

fn read(client: &mut postgres::Client) -> Model {
    read_ignoring(client, &[])
}

/// The errors of a project: (code, line, message, hint).
fn errors(src: &str) -> Vec<(&'static str, usize, String, String)> {
    let dir = project(&[("schema/t.toml", src)]);
    let (sources, _, result) = compile::compile_project(dir.path());
    let diags = result.expect_err("expected the schema to be rejected");
    diags.iter().map(|d| found(&sources, d)).collect()
}

fn found(
    sources: &SourceMap,
    d: &schemactl::diag::Diagnostic,
) -> (&'static str, usize, String, String) {
    let (line, _) = sources.line_col(d.span.file, d.span.range.start);
    (
        d.code,
        line,
        d.message.clone(),
        d.hint.clone().unwrap_or_default(),
    )
}

/// Exactly one error, with this code on this line; every error has a hint.
fn one_error(src: &str, code: &str, line: usize) -> String {
    let all = errors(src);
    assert_eq!(all.len(), 1, "{all:#?}");
    let (c, l, message, hint) = all.into_iter().next().unwrap();
    assert_eq!((c, l), (code, line), "{message}");
    assert!(!hint.is_empty(), "{message}");
    message
}

// ---------------------------------------------------------------------------------------
// Named primary keys

#[test]
fn named_primary_keys_are_created_renamed_and_read_back() {
    let mut s = Steps::new();
    let v1 = r#"
[tables.a]
primary_key = ["id"]
primary_key_name = "a_pk"
[tables.a.columns]
id = { type = "bigint" }

[tables.b]
primary_key_name = "b key"
[tables.b.columns]
id = { type = "integer", primary_key = true }
a_id = { type = "bigint", references = "a.id" }

[tables.c.columns]
id = { type = "integer", primary_key = true }
"#;
    let sql = s.step(v1);
    assert!(
        sql.contains(r#"CONSTRAINT "a_pk" PRIMARY KEY ("id")"#),
        "{sql}"
    );
    assert!(
        sql.contains(r#"CONSTRAINT "b key" PRIMARY KEY ("id")"#),
        "{sql}"
    );
    assert!(
        sql.contains(r#"CONSTRAINT "c_pkey" PRIMARY KEY ("id")"#),
        "{sql}"
    );
    let idx: String = s.one("SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = 'a'::regclass AND indisprimary");
    assert_eq!(idx, "a_pk");

    // Renamed (a foreign key uses it): RENAME CONSTRAINT, never a drop.
    let v2 = v1
        .replace(
            r#"primary_key_name = "a_pk""#,
            r#"primary_key_name = "a_primary""#,
        )
        .replace(
            "[tables.c.columns]",
            "[tables.c]\nprimary_key_name = \"c_pk\"\n[tables.c.columns]",
        );
    let sql = s.step(&v2);
    assert!(
        sql.contains(r#"ALTER TABLE "public"."a" RENAME CONSTRAINT "a_pk" TO "a_primary";"#),
        "{sql}"
    );
    assert!(
        sql.contains(r#"ALTER TABLE "public"."c" RENAME CONSTRAINT "c_pkey" TO "c_pk";"#),
        "{sql}"
    );
    assert!(!sql.contains("DROP CONSTRAINT"), "{sql}");
    let idx: String = s.one("SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = 'a'::regclass AND indisprimary");
    assert_eq!(idx, "a_primary");

    // The name stays when the key's columns change.
    let v3 = v2
        .replace(r#"primary_key = ["id"]"#, r#"primary_key = ["id", "k"]"#)
        .replace(
            "id = { type = \"bigint\" }",
            "id = { type = \"bigint\" }\nk = { type = \"integer\", default = 0 }",
        )
        .replace(
            "a_id = { type = \"bigint\", references = \"a.id\" }",
            "a_id = { type = \"bigint\" }",
        );
    let sql = s.step(&v3);
    // Online: the key's index is built concurrently under the name, then made the key.
    assert!(
        sql.contains(r#"CREATE UNIQUE INDEX CONCURRENTLY "a_primary" ON "public"."a" USING "btree" ("id", "k");"#),
        "{sql}"
    );
    assert!(
        sql.contains(r#"ADD CONSTRAINT "a_primary" PRIMARY KEY USING INDEX "a_primary";"#),
        "{sql}"
    );
    s.unwind();
}

#[test]
fn a_database_with_another_primary_key_name_drifts() {
    let mut s = Steps::new();
    s.step("[tables.t.columns]\nid = { type = \"integer\", primary_key = true }\n");
    s.client
        .batch_execute(r#"ALTER TABLE t RENAME CONSTRAINT t_pkey TO "T_PK""#)
        .unwrap();
    let live = read(&mut s.client);
    let model = s.models.last().unwrap().clone();
    let changes = diff(&live, &model);
    assert_eq!(changes.len(), 1, "{changes:?}");
    let sql = plan_sql(&live, &model);
    assert!(
        sql.contains(r#"ALTER TABLE "public"."t" RENAME CONSTRAINT "T_PK" TO "t_pkey";"#),
        "{sql}"
    );
    // Declared as it is in the database: no drift.
    let dir = project(&[(
        "schema/s.toml",
        "[tables.t]\nprimary_key_name = \"T_PK\"\n[tables.t.columns]\nid = { type = \"integer\", primary_key = true }\n",
    )]);
    let declared = compile_dir(dir.path());
    assert!(diff(&live, &declared).is_empty());
    assert!(diff(&declared, &live).is_empty());
}

#[test]
fn primary_key_name_errors() {
    let m = one_error(
        "[tables.t]\nprimary_key_name = \"t_pk\"\n[tables.t.columns]\nid = { type = \"integer\" }\n",
        "invalid-value",
        2,
    );
    assert!(m.contains("does not declare"), "{m}");
    let long = "x".repeat(64);
    one_error(
        &format!(
            "[tables.t]\nprimary_key_name = \"{long}\"\n[tables.t.columns]\nid = {{ type = \"integer\", primary_key = true }}\n"
        ),
        "identifier-too-long",
        2,
    );
    // The name is a relation (its index) and a constraint: it cannot repeat an index's.
    let all = errors(
        "[tables.t]\nprimary_key_name = \"t_x\"\n[tables.t.columns]\nid = { type = \"integer\", primary_key = true }\nx = { type = \"integer\" }\n[[tables.t.indexes]]\nname = \"t_x\"\ncolumns = [\"x\"]\n",
    );
    assert!(
        all.iter().any(|(c, _, _, _)| *c == "duplicate-name"),
        "{all:#?}"
    );
}

// ---------------------------------------------------------------------------------------
// NOT VALID foreign keys and checks

const NOT_VALID_V1: &str = r#"
[tables.parent.columns]
id = { type = "bigint", primary_key = true }

[tables.child.columns]
id = { type = "bigint", primary_key = true }
parent_id = { type = "bigint" }
n = { type = "integer" }

[[tables.child.foreign_keys]]
columns = ["parent_id"]
references = { table = "parent", columns = ["id"] }
validated = false

[[tables.child.checks]]
name = "child_n_positive"
expr = "n > 0"
validated = false
"#;

#[test]
fn not_valid_constraints_are_created_validated_and_unvalidated() {
    let mut s = Steps::new();
    // A row that breaks both constraints, there before them.
    let v0 = NOT_VALID_V1
        .split("[[tables.child.foreign_keys]]")
        .next()
        .unwrap();
    s.step(v0);
    s.client
        .batch_execute("INSERT INTO child VALUES (1, 42, -1)")
        .unwrap();
    let sql = s.step(NOT_VALID_V1);
    assert!(
        sql.contains(r#"ALTER TABLE "public"."child" ADD CONSTRAINT "child_parent_id_fkey" FOREIGN KEY ("parent_id") REFERENCES "public"."parent" ("id") NOT VALID;"#),
        "{sql}"
    );
    // Not inside CREATE TABLE, where PostgreSQL would mark it valid.
    assert!(
        sql.contains(r#"ALTER TABLE "public"."child" ADD CONSTRAINT "child_n_positive" CHECK (n > 0) NOT VALID;"#),
        "{sql}"
    );
    let invalid: i64 = s.one("SELECT count(*) FROM pg_constraint WHERE conrelid = 'child'::regclass AND NOT convalidated");
    assert_eq!(invalid, 2);
    let snapshot = std::fs::read_to_string(s.dir.path().join("snapshots/head.toml")).unwrap();
    assert!(snapshot.contains("validated = false"), "{snapshot}");

    // NOT VALID: added without a scan, so no hazard.
    assert!(!sql.contains("may_fail_on_data"), "{sql}");
    // validated = true: VALIDATE CONSTRAINT, which fails on the bad row (and rolls back).
    let v2 = NOT_VALID_V1.replace("validated = false", "validated = true");
    let sql = s.plan(&v2);
    assert!(
        sql.contains(r#"ALTER TABLE "public"."child" VALIDATE CONSTRAINT "child_n_positive";"#),
        "{sql}"
    );
    assert!(
        sql.contains(r#"ALTER TABLE "public"."child" VALIDATE CONSTRAINT "child_parent_id_fkey";"#),
        "{sql}"
    );
    assert!(!sql.contains("DROP CONSTRAINT"), "{sql}");
    assert!(sql.contains("may_fail_on_data"), "{sql}");
    let chain = migrations::load(&Layout::new(s.dir.path())).unwrap();
    let opts = apply::Options {
        lock_timeout: Duration::from_secs(30),
        ..Default::default()
    };
    assert!(apply::apply(&mut s.client, &history(), &chain, &opts).is_err());
    s.client.batch_execute("DELETE FROM child").unwrap();
    // The failed migration is retried once the data is fixed.
    let out = schemactl_db(s.dir.path(), &s.db.conninfo, &["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let live = read(&mut s.client);
    assert_same(&live, &compiled(s.dir.path()), "after validating");
    s.models.push(compiled(s.dir.path()));
    let invalid: i64 = s.one("SELECT count(*) FROM pg_constraint WHERE conrelid = 'child'::regclass AND NOT convalidated");
    assert_eq!(invalid, 0);

    // Back to NOT VALID: dropped and added again NOT VALID (no scan).
    let sql = s.step(NOT_VALID_V1);
    assert!(
        sql.contains(r#"DROP CONSTRAINT "child_n_positive""#)
            && sql.contains(r#"CHECK (n > 0) NOT VALID;"#),
        "{sql}"
    );
    s.unwind();
}

#[test]
fn a_not_valid_constraint_in_the_database_is_drift() {
    let mut s = Steps::new();
    let v1 = NOT_VALID_V1.replace("validated = false\n", "");
    s.step(&v1);
    s.client
        .batch_execute(
            "ALTER TABLE child DROP CONSTRAINT child_n_positive;
             ALTER TABLE child ADD CONSTRAINT child_n_positive CHECK (n > 0) NOT VALID;",
        )
        .unwrap();
    let out = schemactl_db(s.dir.path(), &s.db.conninfo, &["drift"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(
            "different in the database: constraint child_n_positive on public.child is NOT VALID"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(r#"VALIDATE CONSTRAINT "child_n_positive""#),
        "{stdout}"
    );
}

#[test]
fn not_valid_errors() {
    // Not on a column's `references` shorthand: the table form.
    let m = one_error(
        "[tables.p.columns]\nid = { type = \"integer\", primary_key = true }\n[tables.c.columns]\np = { type = \"integer\", references = \"p.id\", validated = false }\n",
        "unknown-key",
        4,
    );
    assert!(m.contains("validated"), "{m}");
    // A boolean.
    let all = errors(
        "[tables.t.columns]\nn = { type = \"integer\" }\n[[tables.t.checks]]\nexpr = \"n > 0\"\nvalidated = \"no\"\n",
    );
    assert!(all.iter().any(|(_, l, _, _)| *l == 5), "{all:#?}");
    // PostgreSQL 15 refuses NOT VALID foreign keys on partitioned tables.
    let m = one_error(
        r#"[tables.p.columns]
id = { type = "integer", primary_key = true }
[tables.m]
partition_by = { strategy = "range", keys = ["id"] }
[tables.m.columns]
id = { type = "integer" }
p = { type = "integer" }
[[tables.m.foreign_keys]]
columns = ["p"]
references = { table = "p", columns = ["id"] }
validated = false
"#,
        "invalid-value",
        11,
    );
    assert!(m.contains("partitioned"), "{m}");
    // Domain checks have no `validated`.
    one_error(
        "[domains.d]\ntype = \"integer\"\nchecks = [{ expr = \"VALUE > 0\", validated = false }]\n",
        "unknown-key",
        3,
    );
}

// ---------------------------------------------------------------------------------------
// Foreign keys between types of different widths

#[test]
fn foreign_keys_between_integer_widths_are_accepted_and_apply() {
    let mut s = Steps::new();
    let v1 = r#"
[tables.big.columns]
id = { type = "bigint", primary_key = true }

[tables.small.columns]
id = { type = "smallint", primary_key = true }

[tables.money.columns]
amount = { type = "numeric(12,2)", primary_key = true }

[tables.refs.columns]
id = { type = "integer", primary_key = true }
big_id = { type = "integer", references = "big.id" }
small_id = { type = "bigint", references = "small.id" }
amount = { type = "numeric(10,2)", references = "money.amount" }
"#;
    let sql = s.step(v1);
    assert!(
        sql.contains(r#"FOREIGN KEY ("big_id") REFERENCES "public"."big" ("id")"#),
        "{sql}"
    );
    s.client
        .batch_execute("INSERT INTO big VALUES (1); INSERT INTO small VALUES (2); INSERT INTO money VALUES (3.5); INSERT INTO refs VALUES (1, 1, 2, 3.5);")
        .unwrap();
    // Widening the referencing column later is a plain type change.
    let v2 = v1.replace(
        r#"big_id = { type = "integer", references = "big.id" }"#,
        r#"big_id = { type = "bigint", references = "big.id" }"#,
    );
    s.step(&v2);
    s.unwind();
}

/// What compile accepts is what PostgreSQL 15 accepts, pair by pair.
#[test]
fn foreign_key_type_pairs_match_postgresql() {
    let db = support::test_db();
    let mut client = db.connect();
    let pairs = [
        ("integer", "bigint"),
        ("bigint", "integer"),
        ("smallint", "bigint"),
        ("integer", "smallint"),
        ("integer", "numeric"),
        ("smallint", "numeric(10,0)"),
        ("integer", "double precision"),
        ("bigint", "real"),
        ("numeric(10,2)", "numeric(12,2)"),
        ("numeric", "real"),
        ("numeric", "integer"),
        ("numeric(5,0)", "bigint"),
        ("real", "double precision"),
        ("double precision", "real"),
        ("real", "numeric"),
        ("real", "integer"),
        ("text", "varchar(10)"),
        ("varchar(5)", "char(3)"),
        ("char(3)", "text"),
        ("date", "timestamp"),
        ("timestamp", "timestamptz"),
        ("timestamptz", "date"),
        ("time", "timetz"),
        ("timetz", "time"),
        ("time(3)", "time"),
        ("time", "interval"),
        ("interval", "time"),
        ("inet", "cidr"),
        ("cidr", "inet"),
        ("macaddr", "macaddr8"),
        ("macaddr", "inet"),
        ("integer", "text"),
        ("uuid", "text"),
        ("boolean", "integer"),
        ("json", "jsonb"),
        ("text[]", "varchar(3)[]"),
        ("integer[]", "bigint[]"),
    ];
    let mut wrong = Vec::new();
    for (fk, key) in pairs {
        let pg = client
            .batch_execute(&format!(
                "BEGIN; CREATE TABLE k (id {key} PRIMARY KEY); CREATE TABLE f (x {fk} REFERENCES k (id));"
            ))
            .is_ok();
        client.batch_execute("ROLLBACK").unwrap();
        let src = format!(
            "[tables.k.columns]\nid = {{ type = \"{key}\", primary_key = true }}\n[tables.f.columns]\nx = {{ type = \"{fk}\", references = \"k.id\" }}\n"
        );
        let dir = project(&[("schema/t.toml", &src)]);
        let (_, _, result) = compile::compile_project(dir.path());
        let ours = match &result {
            Ok(_) => true,
            Err(d) => {
                assert!(
                    d.iter().all(|d| d.code == "fk-type-mismatch"),
                    "{fk} -> {key}: {d:?}"
                );
                false
            }
        };
        if pg != ours {
            wrong.push(format!("{fk} -> {key}: PostgreSQL {pg}, schemactl {ours}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

// ---------------------------------------------------------------------------------------
// `project.ignore` for every kind

#[test]
fn ignore_globs_apply_to_every_kind() {
    let db = support::test_db();
    let mut client = db.connect();
    let schema = r#"
[tables.t.columns]
id = { type = "integer", primary_key = true }
n = { type = "integer" }
"#;
    let dir = project(&[
        ("schema/s.toml", schema),
        (
            "schemactl.toml",
            "[project]\nignore = [\"public.legacy_*\", \"public.t.tmp_*\"]\n",
        ),
    ]);
    assert_eq!(run_plan(dir.path(), "init"), Exit::Ok);
    let out = schemactl_db(dir.path(), &db.conninfo, &["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Objects of every kind that the globs name, added by hand.
    client
        .batch_execute(
            r#"CREATE INDEX legacy_n_idx ON t (n);
               CREATE INDEX tmp_n_idx ON t (n DESC);
               ALTER TABLE t ADD CONSTRAINT legacy_n_check CHECK (n > 0);
               ALTER TABLE t ADD CONSTRAINT tmp_n_key UNIQUE (n);
               CREATE TABLE legacy_table (id int PRIMARY KEY, t_id int REFERENCES t (id));
               ALTER TABLE t ADD CONSTRAINT legacy_fk FOREIGN KEY (n) REFERENCES legacy_table (id);
               CREATE VIEW legacy_view AS SELECT id FROM t;
               CREATE MATERIALIZED VIEW legacy_matview AS SELECT id FROM t;
               CREATE SEQUENCE legacy_seq;
               CREATE DOMAIN legacy_domain AS integer CHECK (VALUE > 0);
               CREATE TYPE legacy_type AS (a int, b text);
               CREATE TYPE legacy_enum AS ENUM ('a');"#,
        )
        .unwrap();
    let out = schemactl_db(dir.path(), &db.conninfo, &["drift"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let out = schemactl_db(dir.path(), &db.conninfo, &["diff"]);
    assert!(
        text(&out.stdout).starts_with("No differences"),
        "{}",
        text(&out.stdout)
    );
    let live = read_ignoring(&mut client, &["public.legacy_*", "public.t.tmp_*"]);
    let declared = compile_dir(dir.path());
    assert_same(&live, &declared, "with ignored objects");
    // Without the globs, every one of them shows.
    let live = read(&mut client);
    let t = &live.schemas["public"].tables["t"];
    assert!(t.indexes.contains_key("legacy_n_idx") && t.indexes.contains_key("tmp_n_idx"));
    assert!(t.checks.contains_key("legacy_n_check") && t.uniques.contains_key("tmp_n_key"));
    assert!(t.foreign_keys.contains_key("legacy_fk"));

    // Declared objects the globs name are left out of the comparison too.
    let declared_ignored = format!(
        "{schema}\n[[tables.t.indexes]]\nname = \"legacy_declared_idx\"\ncolumns = [\"id\", \"n\"]\n\n[tables.legacy_declared.columns]\nid = {{ type = \"integer\" }}\n"
    );
    std::fs::write(dir.path().join("schema/s.toml"), declared_ignored).unwrap();
    let out = schemactl_db(dir.path(), &db.conninfo, &["diff"]);
    assert!(
        text(&out.stdout).starts_with("No differences"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn drop_ignored_matches_names_and_table_qualified_parts() {
    let dir = project(&[(
        "schema/s.toml",
        r#"
[tables.t.columns]
id = { type = "integer", primary_key = true }
n = { type = "integer", unique = true }
[[tables.t.checks]]
name = "x_check"
expr = "n > 0"
[[tables.t.indexes]]
columns = ["n"]
[tables.tmp_t.columns]
id = { type = "integer" }
[sequences.tmp_seq]
[views.tmp_v]
query = "SELECT 1 AS one"
[enums.tmp_e]
values = ["a"]
"#,
    )]);
    let mut m = compile_dir(dir.path());
    m.drop_ignored(&[
        "public.tmp_*".into(),
        "public.t.x_*".into(),
        "public.t_n_idx".into(),
    ]);
    let s = &m.schemas["public"];
    assert!(!s.tables.contains_key("tmp_t"));
    assert!(s.sequences.is_empty() && s.views.is_empty() && s.enums.is_empty());
    let t = &s.tables["t"];
    assert!(t.checks.is_empty() && t.indexes.is_empty(), "{t:#?}");
    assert!(t.primary_key.is_some() && t.uniques.contains_key("t_n_key"));
}

// ---------------------------------------------------------------------------------------
// Index operator classes

#[test]
fn index_operator_classes_are_created_read_back_and_changed() {
    let mut s = Steps::new();
    let v1 = r#"
[tables.hosts.columns]
id = { type = "integer", primary_key = true }
address = { type = "inet" }
name = { type = "text" }
code = { type = "varchar(10)" }

[[tables.hosts.indexes]]
method = "gist"
columns = [{ column = "address", opclass = "inet_ops" }]

[[tables.hosts.indexes]]
columns = [{ column = "name", opclass = "text_pattern_ops" }, "id"]

[[tables.hosts.indexes]]
name = "hosts_lower_name"
columns = [{ expr = "lower(name)", opclass = "pg_catalog.text_pattern_ops", order = "desc" }]

[[tables.hosts.indexes]]
name = "hosts_code_collated"
columns = [{ expr = "(code || 'x') COLLATE \"C\"", opclass = "text_pattern_ops" }]

[[tables.hosts.indexes]]
name = "hosts_code"
columns = ["code"]
"#;
    let sql = s.step(v1);
    assert!(
        sql.contains(r#"USING "gist" ("address" "inet_ops");"#),
        "{sql}"
    );
    assert!(
        sql.contains(r#"USING "btree" ("name" "text_pattern_ops", "id");"#),
        "{sql}"
    );
    assert!(
        sql.contains(r#"(lower(name)) "text_pattern_ops" DESC"#),
        "{sql}"
    );
    let snapshot = std::fs::read_to_string(s.dir.path().join("snapshots/head.toml")).unwrap();
    assert!(
        snapshot.contains(r#"opclass = "text_pattern_ops""#),
        "{snapshot}"
    );
    // Another operator class, or none (the default): the index is created again.
    let v2 = v1
        .replace(
            r#"{ column = "name", opclass = "text_pattern_ops" }"#,
            r#""name""#,
        )
        .replace(
            r#"name = "hosts_code"
columns = ["code"]"#,
            r#"name = "hosts_code"
columns = [{ column = "code", opclass = "varchar_pattern_ops" }]"#,
        );
    let sql = s.step(&v2);
    assert!(
        sql.contains(r#"DROP INDEX CONCURRENTLY IF EXISTS "public"."hosts_name_id_idx";"#),
        "{sql}"
    );
    assert!(
        sql.contains(r#"CREATE INDEX CONCURRENTLY "hosts_code" ON "public"."hosts" USING "btree" ("code" "varchar_pattern_ops");"#),
        "{sql}"
    );
    // A database whose index has another operator class differs.
    s.client
        .batch_execute(
            "DROP INDEX hosts_code; CREATE INDEX hosts_code ON hosts (code text_pattern_ops);",
        )
        .unwrap();
    let live = read(&mut s.client);
    let changes = diff(&live, s.models.last().unwrap());
    assert_eq!(changes.len(), 2, "{changes:?}");
    s.client
        .batch_execute(
            "DROP INDEX hosts_code; CREATE INDEX hosts_code ON hosts (code varchar_pattern_ops);",
        )
        .unwrap();
    s.unwind();
}

#[test]
fn opclass_errors() {
    let m = one_error(
        "[tables.t.columns]\na = { type = \"text\" }\n[[tables.t.indexes]]\ncolumns = [{ column = \"a\", opclass = \"a.b.c\" }]\n",
        "invalid-value",
        4,
    );
    assert!(m.contains("operator class"), "{m}");
    one_error(
        "[tables.t.columns]\na = { type = \"text\" }\n[[tables.t.indexes]]\ncolumns = [{ column = \"a\", opclas = \"x\" }]\n",
        "unknown-key",
        4,
    );
}
