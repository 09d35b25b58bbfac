//! Schema evolution on real PostgreSQL: plan v1 → apply → insert rows → plan v2 → apply, then
//! the data is checked and the catalog reads back exactly as v2 (no drift).

mod support;

use std::time::Duration;

use schemactl::apply::{self, History};
use schemactl::catalog::{self, ReadOptions};
use schemactl::commands::{Exit, Global, plan};
use schemactl::diff::diff;
use schemactl::migrations::{self, Layout};
use schemactl::plan::Policy;
use support::project::*;

/// Plan the project's current schema (allowing data loss) and apply pending migrations.
fn plan_and_apply(dir: &std::path::Path, name: &str, client: &mut postgres::Client) -> String {
    let g = Global {
        project: Some(dir.to_path_buf()),
        ..Global::default()
    };
    let out = plan::run(
        &g,
        &plan::Options {
            name: Some(name.into()),
            allow: vec![schemactl::plan::Hazard::DeletesData],
            ..Default::default()
        },
    );
    assert_eq!(out.exit, Exit::Ok, "{}{}", out.stdout, out.stderr);
    let chain = migrations::load(&Layout::new(dir)).unwrap_or_else(|p| panic!("{p:?}"));
    let opts = apply::Options {
        lock_timeout: Duration::from_secs(30),
        ..Default::default()
    };
    let history = History {
        schema: "schemactl".into(),
    };
    if let Err(e) = apply::apply(client, &history, &chain, &opts) {
        let last = chain.migrations.last().unwrap();
        panic!("apply failed: {e}\n{}", last.up);
    }
    chain.migrations.last().unwrap().up.clone()
}

/// v1 → rows → v2; returns the client for data checks after asserting no drift.
fn evolve(v1: &str, setup: &str, v2: &str) -> (support::TestDb, postgres::Client, String) {
    let dir = project(&[("schema/s.toml", v1)]);
    let db = support::test_db();
    let mut client = db.connect();
    plan_and_apply(dir.path(), "v1", &mut client);
    client.batch_execute(setup).unwrap();
    std::fs::write(dir.path().join("schema/s.toml"), v2).unwrap();
    let sql = plan_and_apply(dir.path(), "v2", &mut client);
    let model = compile_dir(dir.path());
    let read = catalog::read(
        &mut client,
        &ReadOptions {
            schemas: vec!["public".into()],
            ignore: vec![],
            history_schema: "schemactl".into(),
        },
    )
    .unwrap()
    .model;
    let changes = diff(&read, &model);
    assert!(changes.is_empty(), "drift after v2: {changes:?}\n{sql}");
    assert!(diff(&model, &read).is_empty());
    (db, client, sql)
}

fn one<T: for<'a> postgres::types::FromSql<'a>>(client: &mut postgres::Client, sql: &str) -> T {
    client.query_one(sql, &[]).unwrap().get(0)
}

#[test]
fn widening_numeric_keeps_values() {
    let v1 = "[tables.t.columns]\nid = { type = \"int\", primary_key = true }\napn = { type = \"numeric(10,2)\" }\n";
    let (_db, mut c, sql) = evolve(
        v1,
        "INSERT INTO t VALUES (1, 1234.56)",
        &v1.replace("numeric(10,2)", "numeric(12,2)"),
    );
    assert!(sql.contains("TYPE numeric(12,2)"), "{sql}");
    assert_eq!(one::<String>(&mut c, "SELECT apn::text FROM t"), "1234.56");
}

#[test]
fn integer_to_bigint_varchar_to_text_and_nullability() {
    let v1 = "[tables.t.columns]\nid = { type = \"int\", primary_key = true }\nn = { type = \"integer\" }\ns = { type = \"varchar(50)\", nullable = true }\n";
    let v2 = "[tables.t.columns]\nid = { type = \"int\", primary_key = true }\nn = { type = \"bigint\", nullable = true }\ns = { type = \"text\" }\n";
    let (_db, mut c, _) = evolve(v1, "INSERT INTO t VALUES (1, 2147483647, 'x')", v2);
    assert_eq!(one::<i64>(&mut c, "SELECT n + 1 FROM t"), 2147483648);
    assert_eq!(one::<String>(&mut c, "SELECT s FROM t"), "x");
}

#[test]
fn defaults_set_changed_and_dropped() {
    let v1 = "[tables.t.columns]\nid = { type = \"int\", primary_key = true }\na = { type = \"int\", default = 1 }\nb = { type = \"text\", nullable = true }\nc = { type = \"int\", default = 5 }\n";
    let v2 = "[tables.t.columns]\nid = { type = \"int\", primary_key = true }\na = { type = \"int\", default = 2 }\nb = { type = \"text\", nullable = true, default = \"x\" }\nc = { type = \"int\" }\n";
    let (_db, mut c, _) = evolve(v1, "INSERT INTO t (id) VALUES (1)", v2);
    c.batch_execute("INSERT INTO t (id, c) VALUES (2, 0)")
        .unwrap();
    assert_eq!(
        one::<String>(&mut c, "SELECT a::text || b FROM t WHERE id = 2"),
        "2x"
    );
}

#[test]
fn enum_value_added_and_used_as_a_default_in_the_same_migration() {
    let v1 = "[enums.status]\nvalues = [\"ACTIVE\", \"GONE\"]\n[tables.t.columns]\nid = { type = \"int\", primary_key = true }\ns = { type = \"status\", default = \"ACTIVE\" }\n";
    let v2 = "[enums.status]\nvalues = [\"NEW\", \"ACTIVE\", \"PAUSED\", \"GONE\"]\n[tables.t.columns]\nid = { type = \"int\", primary_key = true }\ns = { type = \"status\", default = \"NEW\" }\n";
    let (_db, mut c, sql) = evolve(v1, "INSERT INTO t VALUES (1, 'GONE')", v2);
    assert!(
        sql.contains("ADD VALUE IF NOT EXISTS 'NEW' BEFORE 'ACTIVE'"),
        "{sql}"
    );
    assert!(
        sql.contains("ADD VALUE IF NOT EXISTS 'PAUSED' AFTER 'ACTIVE'"),
        "{sql}"
    );
    c.batch_execute("INSERT INTO t (id) VALUES (2)").unwrap();
    assert_eq!(
        one::<String>(&mut c, "SELECT s::text FROM t WHERE id = 2"),
        "NEW"
    );
    let labels: String = one(
        &mut c,
        "SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = 'status'::regtype",
    );
    assert_eq!(labels, "NEW,ACTIVE,PAUSED,GONE");
}

#[test]
fn drops_and_replacements_of_columns_tables_constraints_and_indexes() {
    let v1 = r#"
[tables.p.columns]
id = { type = "int", primary_key = true }
code = { type = "text", unique = true }

[tables.t.columns]
id = { type = "int", primary_key = true }
p_id = { type = "int", references = "p.id" }
a = { type = "int" }
gone = { type = "text", nullable = true }

[[tables.t.checks]]
expr = "a > 0"

[[tables.t.indexes]]
columns = ["a"]

[tables.old.columns]
id = { type = "int" }
"#;
    let v2 = r#"
[tables.p.columns]
id = { type = "int", primary_key = true }
code = { type = "text" }

[tables.t.columns]
id = { type = "int", primary_key = true }
p_id = { type = "int", references = "p.id", on_delete = "cascade" }
a = { type = "int" }

[[tables.t.checks]]
name = "t_a_check"
expr = "a >= 0"

[[tables.t.indexes]]
columns = [{ column = "a", order = "desc" }]
name = "t_a_idx"
"#;
    let (_db, mut c, sql) = evolve(
        v1,
        "INSERT INTO p VALUES (1, 'x'); INSERT INTO t VALUES (1, 1, 5, 'bye')",
        v2,
    );
    for needle in [
        "DROP CONSTRAINT \"t_p_id_fkey\"",
        "DROP INDEX \"public\".\"t_a_idx\"",
        "DROP CONSTRAINT \"t_a_check\"",
        "DROP CONSTRAINT \"p_code_key\"",
        "DROP COLUMN \"gone\"",
        "DROP TABLE \"public\".\"old\"",
        "ON DELETE CASCADE",
    ] {
        assert!(sql.contains(needle), "{needle}\n{sql}");
    }
    // The order: FK and index drops before the column and table drops.
    assert!(sql.find("t_p_id_fkey").unwrap() < sql.find("DROP COLUMN").unwrap());
    c.batch_execute("UPDATE t SET a = 0").unwrap();
    assert_eq!(one::<i64>(&mut c, "SELECT count(*) FROM t"), 1);
}

#[test]
fn identity_added_and_dropped() {
    let v1 = "[tables.t.columns]\nid = { type = \"bigint\", primary_key = true }\nn = { type = \"int\", identity = \"always\" }\n";
    let v2 = "[tables.t.columns]\nid = { type = \"bigint\", identity = \"by_default\", primary_key = true }\nn = { type = \"int\" }\n";
    let (_db, mut c, _) = evolve(v1, "INSERT INTO t (id) VALUES (100)", v2);
    c.batch_execute("INSERT INTO t (n) VALUES (7)").unwrap();
    assert_eq!(one::<i64>(&mut c, "SELECT count(*) FROM t"), 2);
}

#[test]
fn rollback_runs_down_files_back_to_a_version_and_to_empty() {
    let v1 = "[enums.s]\nvalues = [\"A\"]\n[tables.a.columns]\nid = { type = \"int\", primary_key = true }\n";
    let v2 = "[enums.s]\nvalues = [\"A\"]\n[tables.a.columns]\nid = { type = \"int\", primary_key = true }\nnote = { type = \"text\", nullable = true }\ns = { type = \"s\", default = \"A\" }\n[tables.b.columns]\nid = { type = \"int\", primary_key = true }\na_id = { type = \"int\", references = \"a.id\" }\n";
    let dir = project(&[("schema/s.toml", v1)]);
    let db = support::test_db();
    let mut client = db.connect();
    plan_and_apply(dir.path(), "v1", &mut client);
    let m1 = compile_dir(dir.path());
    std::fs::write(dir.path().join("schema/s.toml"), v2).unwrap();
    plan_and_apply(dir.path(), "v2", &mut client);
    client
        .batch_execute("INSERT INTO a VALUES (1, 'x', 'A'); INSERT INTO b VALUES (1, 1)")
        .unwrap();
    let down = std::fs::read_to_string(dir.path().join("migrations/0002_v2.down.sql")).unwrap();
    assert!(
        down.contains("-- hazards: breaks_clients, deletes_data"),
        "{down}"
    );

    let history = History {
        schema: "schemactl".into(),
    };
    let chain = migrations::load(&Layout::new(dir.path())).unwrap();
    let allow = vec!["deletes_data".to_string()];
    // Refused without the allowance; nothing changes.
    let err = apply::rollback(
        &mut client,
        &history,
        &chain,
        1,
        &[],
        &Policy::default(),
        Duration::from_secs(10),
    )
    .unwrap_err();
    assert!(err.to_string().contains("deletes_data"), "{err}");
    let report = apply::rollback(
        &mut client,
        &history,
        &chain,
        1,
        &allow,
        &Policy::default(),
        Duration::from_secs(10),
    )
    .unwrap();
    assert_eq!(report.applied.len(), 1);
    let opts = ReadOptions {
        schemas: vec!["public".into()],
        ignore: vec![],
        history_schema: "schemactl".into(),
    };
    let read = catalog::read(&mut client, &opts).unwrap().model;
    assert!(diff(&read, &m1).is_empty(), "{:?}", diff(&read, &m1));
    assert_eq!(
        one::<i64>(&mut client, "SELECT count(*) FROM a"),
        1,
        "rows of v1 stay"
    );
    let rows = history.rows(&mut client).unwrap();
    assert_eq!(rows.last().unwrap().status, apply::Status::RolledBack);
    // Apply again: 0002 is pending, and it applies.
    let again = apply::apply(
        &mut client,
        &history,
        &chain,
        &apply::Options {
            lock_timeout: Duration::from_secs(10),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(again.applied.len(), 1);
    // Back to empty.
    apply::rollback(
        &mut client,
        &history,
        &chain,
        0,
        &allow,
        &Policy::default(),
        Duration::from_secs(10),
    )
    .unwrap();
    let read = catalog::read(&mut client, &opts).unwrap().model;
    assert_eq!(read.tables().count() + read.enums().count(), 0, "{read:?}");
}
