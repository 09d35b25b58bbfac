//! Sequences (`[sequences]`) on real PostgreSQL: created before the tables whose defaults use
//! them and OWNED BY their column after, options altered without a restart, renamed, dropped
//! behind `deletes_data`, rolled back; the catalog reads every step back exactly as compiled
//! (no drift either way). Pagila's shape (a bigint sequence, an integer column defaulting to
//! its `nextval`, OWNED BY the column) is declared and read back equal from Pagila's own DDL.

mod support;

use std::time::Duration;

use schemactl::apply::{self, History};
use schemactl::catalog::{self, ReadOptions};
use schemactl::commands::{Exit, Global, plan};
use schemactl::diff::diff;
use schemactl::migrations::{self, Layout};
use schemactl::model::Model;
use schemactl::plan::Policy;
use support::project::*;

fn plan_with(dir: &std::path::Path, name: &str, allow: bool) -> (Exit, String) {
    let g = Global {
        project: Some(dir.to_path_buf()),
        ..Global::default()
    };
    let out = plan::run(
        &g,
        &plan::Options {
            name: Some(name.into()),
            allow: if allow {
                vec![schemactl::plan::Hazard::DeletesData]
            } else {
                vec![]
            },
            ..Default::default()
        },
    );
    (out.exit, format!("{}{}", out.stdout, out.stderr))
}

fn history() -> History {
    History {
        schema: "schemactl".into(),
    }
}

/// Plan (allowing data loss) and apply; the up SQL of the new migration.
fn plan_and_apply(dir: &std::path::Path, name: &str, client: &mut postgres::Client) -> String {
    let (exit, out) = plan_with(dir, name, true);
    assert_eq!(exit, Exit::Ok, "{out}");
    let chain = migrations::load(&Layout::new(dir)).unwrap_or_else(|p| panic!("{p:?}"));
    let opts = apply::Options {
        lock_timeout: Duration::from_secs(30),
        ..Default::default()
    };
    let up = chain.migrations.last().unwrap().up.clone();
    if let Err(e) = apply::apply(client, &history(), &chain, &opts) {
        panic!("apply failed: {e}\n{up}");
    }
    up
}

fn compile_with_head(dir: &std::path::Path) -> Model {
    let loaded = schemactl::compile::load_project(dir);
    let head = std::fs::read_to_string(dir.join("snapshots/head.toml")).unwrap();
    let head = schemactl::model::snapshot::from_toml(&head).unwrap();
    schemactl::compile::compile(&loaded.project, &loaded.raw, loaded.diags, Some(&head))
        .unwrap()
        .model
}

/// The database equals the project's schema, both ways.
fn assert_no_drift(dir: &std::path::Path, client: &mut postgres::Client, sql: &str) {
    let model = compile_with_head(dir);
    let live = read_public(client);
    let a = diff(&live, &model);
    assert!(a.is_empty(), "drift: {a:?}\n{sql}");
    let b = diff(&model, &live);
    assert!(b.is_empty(), "drift: {b:?}\n{sql}");
}

/// Roll the last migration back (allowing data loss) and compare with `before`.
fn rollback(dir: &std::path::Path, client: &mut postgres::Client, before: &Model) {
    let chain = migrations::load(&Layout::new(dir)).unwrap();
    let down = chain.migrations.last().unwrap().down.clone();
    if let Err(e) = apply::rollback(
        client,
        &history(),
        &chain,
        1,
        &["deletes_data".to_string()],
        &Policy::default(),
        Duration::from_secs(10),
    ) {
        panic!("rollback failed: {e}\n{down:?}");
    }
    let live = read_public(client);
    let a = diff(&live, before);
    assert!(a.is_empty(), "after rollback: {a:?}\n{down:?}");
    assert!(diff(before, &live).is_empty());
}

fn one<T: for<'a> postgres::types::FromSql<'a>>(client: &mut postgres::Client, sql: &str) -> T {
    client.query_one(sql, &[]).unwrap().get(0)
}

fn write(dir: &std::path::Path, text: &str) {
    std::fs::write(dir.join("schema/s.toml"), text).unwrap();
}

const PAGILA: &str = r#"
[sequences.actor_actor_id_seq]
owned_by = "actor.actor_id"

[tables.actor]
primary_key = ["actor_id"]

[tables.actor.columns]
actor_id = { type = "integer", default_sql = "nextval('actor_actor_id_seq'::regclass)" }
first_name = { type = "text" }
"#;

#[test]
fn pagila_shape_is_created_in_order_and_reads_back_equal() {
    let dir = project(&[("schema/s.toml", PAGILA)]);
    let db = support::test_db();
    let mut client = db.connect();
    let sql = plan_and_apply(dir.path(), "v1", &mut client);
    let create = sql.find("CREATE SEQUENCE").expect(&sql);
    let table = sql.find("CREATE TABLE").expect(&sql);
    let owned = sql.find("OWNED BY").expect(&sql);
    assert!(create < table && table < owned, "{sql}");
    assert!(
        sql.contains(r#"CREATE SEQUENCE "public"."actor_actor_id_seq" AS bigint;"#),
        "{sql}"
    );
    assert_no_drift(dir.path(), &mut client, &sql);
    client
        .batch_execute("INSERT INTO actor (first_name) VALUES ('a'), ('b')")
        .unwrap();
    assert_eq!(
        one::<i32>(&mut client, "SELECT max(actor_id) FROM actor"),
        2
    );
    // Dropping the table takes the owned sequence with it.
    write(dir.path(), "");
    let sql = plan_and_apply(dir.path(), "v2", &mut client);
    assert!(sql.contains("DROP SEQUENCE IF EXISTS"), "{sql}");
    assert_eq!(
        one::<i64>(
            &mut client,
            "SELECT count(*) FROM pg_class WHERE relkind = 'S' AND relnamespace = 'public'::regnamespace"
        ),
        0
    );
}

/// What `pg_dump` of Pagila contains, loaded as it is: the compiled TOML equals it (no
/// CREATE SEQUENCE proposed for a sequence that exists).
#[test]
fn pagila_ddl_as_dumped_equals_the_declared_schema() {
    let db = support::test_db();
    let mut client = db.connect();
    client
        .batch_execute(
            "CREATE SEQUENCE public.actor_actor_id_seq
                 START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;
             CREATE TABLE public.actor (
                 actor_id integer DEFAULT nextval('public.actor_actor_id_seq'::regclass) NOT NULL,
                 first_name text NOT NULL);
             ALTER SEQUENCE public.actor_actor_id_seq OWNED BY public.actor.actor_id;
             ALTER TABLE ONLY public.actor ADD CONSTRAINT actor_pkey PRIMARY KEY (actor_id);",
        )
        .unwrap();
    // As the dump spells the default too (schema-qualified).
    let dumped = PAGILA.replace("nextval('actor", "nextval('public.actor");
    let dir = project(&[("schema/s.toml", dumped.as_str())]);
    let model = compile_dir(dir.path());
    let live = read_public(&mut client);
    assert!(diff(&live, &model).is_empty(), "{:?}", diff(&live, &model));
    assert!(diff(&model, &live).is_empty());
    // The same through the binary: `diff --db` finds nothing.
    let out = schemactl_db(dir.path(), &db.conninfo, &["diff"]);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        !text(&out.stdout).contains("CREATE SEQUENCE"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn options_change_in_place_without_restarting_and_roll_back() {
    let v1 = r#"
[sequences.ticket]
type = "integer"
start = 100
increment = 5
comment = "ticket numbers"
"#;
    let dir = project(&[("schema/s.toml", v1)]);
    let db = support::test_db();
    let mut client = db.connect();
    let sql = plan_and_apply(dir.path(), "v1", &mut client);
    assert!(
        sql.contains(
            r#"CREATE SEQUENCE "public"."ticket" AS integer INCREMENT BY 5 START WITH 100;"#
        ),
        "{sql}"
    );
    assert!(sql.contains("COMMENT ON SEQUENCE"), "{sql}");
    assert_no_drift(dir.path(), &mut client, &sql);
    let v1_model = compile_with_head(dir.path());
    assert_eq!(one::<i64>(&mut client, "SELECT nextval('ticket')"), 100);
    assert_eq!(one::<i64>(&mut client, "SELECT nextval('ticket')"), 105);

    let v2 = r#"
[sequences.ticket]
type = "bigint"
increment = 10
cache = 10
max_value = 1000000
cycle = true
comment = "ticket numbers, bigger"
"#;
    write(dir.path(), v2);
    let sql = plan_and_apply(dir.path(), "v2", &mut client);
    assert!(sql.contains("ALTER SEQUENCE"), "{sql}");
    assert!(!sql.contains("RESTART"), "{sql}");
    assert_no_drift(dir.path(), &mut client, &sql);
    // The current value stays: the next one follows 105 by the new increment.
    assert_eq!(one::<i64>(&mut client, "SELECT nextval('ticket')"), 115);
    rollback(dir.path(), &mut client, &v1_model);
}

#[test]
fn rename_keeps_the_value_and_the_default_follows() {
    let v1 = r#"
[sequences.old_seq]

[tables.t.columns]
id = { type = "bigint", default_sql = "nextval('old_seq')" }
"#;
    let dir = project(&[("schema/s.toml", v1)]);
    let db = support::test_db();
    let mut client = db.connect();
    plan_and_apply(dir.path(), "v1", &mut client);
    let v1_model = compile_with_head(dir.path());
    client
        .batch_execute("INSERT INTO t DEFAULT VALUES")
        .unwrap();
    let v2 = r#"
[sequences.new_seq]
renamed_from = "old_seq"

[tables.t.columns]
id = { type = "bigint", default_sql = "nextval('new_seq'::regclass)" }
"#;
    write(dir.path(), v2);
    let sql = plan_and_apply(dir.path(), "v2", &mut client);
    assert!(
        sql.contains(r#"ALTER SEQUENCE "public"."old_seq" RENAME TO "new_seq";"#),
        "{sql}"
    );
    assert!(!sql.contains("DROP SEQUENCE"), "{sql}");
    assert!(!sql.contains("SET DEFAULT"), "{sql}");
    assert_no_drift(dir.path(), &mut client, &sql);
    client
        .batch_execute("INSERT INTO t DEFAULT VALUES")
        .unwrap();
    assert_eq!(one::<i64>(&mut client, "SELECT max(id) FROM t"), 2);
    rollback(dir.path(), &mut client, &v1_model);
}

#[test]
fn drop_is_gated_as_data_loss() {
    let v1 = "[sequences.counter]\n[sequences.kept]\n";
    let dir = project(&[("schema/s.toml", v1)]);
    let db = support::test_db();
    let mut client = db.connect();
    plan_and_apply(dir.path(), "v1", &mut client);
    let v1_model = compile_with_head(dir.path());
    write(dir.path(), "[sequences.kept]\n");
    let (exit, out) = plan_with(dir.path(), "v2", false);
    assert_ne!(exit, Exit::Ok, "{out}");
    assert!(out.contains("deletes_data"), "{out}");
    let sql = plan_and_apply(dir.path(), "v2", &mut client);
    assert!(
        sql.contains(r#"DROP SEQUENCE IF EXISTS "public"."counter";"#),
        "{sql}"
    );
    assert_no_drift(dir.path(), &mut client, &sql);
    rollback(dir.path(), &mut client, &v1_model);
}

/// A serial column whose sequence has options: declared as the sequence it is.
#[test]
fn serial_with_options_and_the_plain_form_folds_into_serial() {
    let plain = r#"
[sequences.t_id_seq]
type = "integer"
owned_by = "t.id"

[tables.t.columns]
id = { type = "integer", default_sql = "nextval('t_id_seq'::regclass)" }
"#;
    let serial = "[tables.t.columns]\nid = { type = \"serial\" }\n";
    let a = compile_dir(project(&[("schema/s.toml", plain)]).path());
    let b = compile_dir(project(&[("schema/s.toml", serial)]).path());
    assert_eq!(a, b);

    let v1 = plain.replace("owned_by", "start = 1000\nowned_by");
    let dir = project(&[("schema/s.toml", &v1)]);
    let db = support::test_db();
    let mut client = db.connect();
    let sql = plan_and_apply(dir.path(), "v1", &mut client);
    assert_no_drift(dir.path(), &mut client, &sql);
    client
        .batch_execute("INSERT INTO t DEFAULT VALUES")
        .unwrap();
    assert_eq!(one::<i32>(&mut client, "SELECT id FROM t"), 1000);
    let v1_model = compile_with_head(dir.path());
    // Back to defaults: still the same sequence (an ALTER, not a drop), now the serial's.
    write(dir.path(), serial);
    let sql = plan_and_apply(dir.path(), "v2", &mut client);
    assert!(!sql.contains("DROP SEQUENCE"), "{sql}");
    assert_no_drift(dir.path(), &mut client, &sql);
    rollback(dir.path(), &mut client, &v1_model);
}

#[test]
fn owner_moves_to_another_column_before_the_old_one_is_dropped() {
    let v1 = r#"
[sequences.s]
owned_by = "t.a"

[tables.t.columns]
a = { type = "bigint" }
"#;
    let dir = project(&[("schema/s.toml", v1)]);
    let db = support::test_db();
    let mut client = db.connect();
    plan_and_apply(dir.path(), "v1", &mut client);
    let v1_model = compile_with_head(dir.path());
    assert_eq!(one::<i64>(&mut client, "SELECT nextval('s')"), 1);
    let v2 = r#"
[sequences.s]
owned_by = "t.b"

[tables.t.columns]
b = { type = "bigint", nullable = true }
"#;
    write(dir.path(), v2);
    let sql = plan_and_apply(dir.path(), "v2", &mut client);
    let none = sql.find("OWNED BY NONE").expect(&sql);
    let drop = sql.find("DROP COLUMN").expect(&sql);
    assert!(none < drop, "{sql}");
    assert_no_drift(dir.path(), &mut client, &sql);
    assert_eq!(one::<i64>(&mut client, "SELECT nextval('s')"), 2);
    rollback(dir.path(), &mut client, &v1_model);
}

/// A sequence outside `public` prints schema-qualified in `nextval`; ignore globs leave
/// sequences alone like tables.
#[test]
fn other_schemas_and_ignore_globs() {
    let files = [
        (
            "schemactl.toml",
            "[project]\nschemas = [\"public\", \"billing\"]\nignore = [\"public.legacy_*\"]\n",
        ),
        (
            "schema/s.toml",
            r#"
[sequences.invoice_no]
schema = "billing"
start = 1000
owned_by = "invoices.no"

[tables.invoices]
schema = "billing"

[tables.invoices.columns]
no = { type = "bigint", default_sql = "nextval('billing.invoice_no'::regclass)" }
"#,
        ),
    ];
    let dir = project(&files);
    let db = support::test_db();
    let mut client = db.connect();
    client
        .batch_execute("CREATE SEQUENCE public.legacy_counter")
        .unwrap();
    let sql = plan_and_apply(dir.path(), "v1", &mut client);
    assert!(!sql.contains("legacy_counter"), "{sql}");
    client
        .batch_execute("INSERT INTO billing.invoices DEFAULT VALUES")
        .unwrap();
    assert_eq!(
        one::<i64>(&mut client, "SELECT no FROM billing.invoices"),
        1000
    );
    let model = compile_with_head(dir.path());
    let live = catalog::read(
        &mut client,
        &ReadOptions {
            schemas: vec!["public".into(), "billing".into()],
            ignore: vec!["public.legacy_*".into()],
            history_schema: "schemactl".into(),
        },
    )
    .unwrap()
    .model;
    assert!(diff(&live, &model).is_empty(), "{:?}", diff(&live, &model));
    assert!(diff(&model, &live).is_empty());
    // Not ignored, the stray sequence is something the project would drop.
    let unignored = catalog::read(
        &mut client,
        &ReadOptions {
            schemas: vec!["public".into(), "billing".into()],
            ignore: vec![],
            history_schema: "schemactl".into(),
        },
    )
    .unwrap()
    .model;
    assert!(
        diff(&unignored, &model)
            .iter()
            .any(|c| format!("{c:?}").contains("legacy_counter")),
    );
}
