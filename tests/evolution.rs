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

/// Plan the project's current schema as migration `name`, allowing data loss.
fn plan_allowing_data_loss(dir: &std::path::Path, name: &str) {
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
}

/// Plan the project's current schema (allowing data loss) and apply pending migrations.
fn plan_and_apply(dir: &std::path::Path, name: &str, client: &mut postgres::Client) -> String {
    plan_allowing_data_loss(dir, name);
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

/// A database at v2 of a two-migration project, after [`evolve`].
struct Evolved {
    _db: support::TestDb,
    dir: tempfile::TempDir,
    client: postgres::Client,
    /// The up SQL of the second migration.
    sql: String,
    v1: schemactl::model::Model,
}

/// v1 → rows → v2, then asserts the catalog reads back exactly as v2 (no drift).
fn evolve(v1: &str, setup: &str, v2: &str) -> Evolved {
    evolve_checking(v1, setup, v2, |_| {})
}

/// [`evolve`], calling `before_v2` with the project dir once v2 is written, before it is
/// planned (with `--allow deletes_data`) and applied.
fn evolve_checking(
    v1: &str,
    setup: &str,
    v2: &str,
    before_v2: impl FnOnce(&std::path::Path),
) -> Evolved {
    let dir = project(&[("schema/s.toml", v1)]);
    let db = support::test_db();
    let mut client = db.connect();
    plan_and_apply(dir.path(), "v1", &mut client);
    let m1 = compile_dir(dir.path());
    client.batch_execute(setup).unwrap();
    std::fs::write(dir.path().join("schema/s.toml"), v2).unwrap();
    before_v2(dir.path());
    let sql = plan_and_apply(dir.path(), "v2", &mut client);
    let model = compile_dir_with_head(dir.path());
    let read = read_public(&mut client);
    let changes = diff(&read, &model);
    assert!(changes.is_empty(), "drift after v2: {changes:?}\n{sql}");
    assert!(diff(&model, &read).is_empty());
    Evolved {
        _db: db,
        dir,
        client,
        sql,
        v1: m1,
    }
}

impl Evolved {
    /// Roll back to v1 (allowing data loss) and assert the catalog reads back exactly as v1.
    fn back(&mut self) {
        let chain = migrations::load(&Layout::new(self.dir.path())).unwrap();
        let history = History {
            schema: "schemactl".into(),
        };
        let down = &chain.migrations.last().unwrap().down;
        if let Err(e) = apply::rollback(
            &mut self.client,
            &history,
            &chain,
            1,
            &["deletes_data".to_string()],
            &Policy::default(),
            Duration::from_secs(10),
        ) {
            panic!("rollback failed: {e}\n{down:?}");
        }
        let read = read_public(&mut self.client);
        let changes = diff(&read, &self.v1);
        assert!(changes.is_empty(), "after rollback: {changes:?}\n{down:?}");
        assert!(diff(&self.v1, &read).is_empty());
    }
}

/// The model of the project's schema/ as `plan` compiles it: against the head snapshot, so
/// names chosen with history (and after renames) are the ones in the database.
fn compile_dir_with_head(dir: &std::path::Path) -> schemactl::model::Model {
    let loaded = schemactl::compile::load_project(dir);
    let head = std::fs::read_to_string(dir.join("snapshots/head.toml")).unwrap();
    let head = schemactl::model::snapshot::from_toml(&head).unwrap();
    schemactl::compile::compile(&loaded.project, &loaded.raw, loaded.diags, Some(&head))
        .unwrap()
        .model
}

/// A migration without its parent link (which changes whenever v1 does), for snapshots.
fn reviewable(sql: &str) -> String {
    sql.lines()
        .filter(|l| !l.starts_with("-- parent: "))
        .collect::<Vec<_>>()
        .join("\n")
}

fn one<T: for<'a> postgres::types::FromSql<'a>>(client: &mut postgres::Client, sql: &str) -> T {
    client.query_one(sql, &[]).unwrap().get(0)
}

#[test]
fn widening_numeric_keeps_values() {
    let v1 = "[tables.t.columns]\nid = { type = \"int\", primary_key = true }\napn = { type = \"numeric(10,2)\" }\n";
    let mut e = evolve(
        v1,
        "INSERT INTO t VALUES (1, 1234.56)",
        &v1.replace("numeric(10,2)", "numeric(12,2)"),
    );
    insta::assert_snapshot!(reviewable(&e.sql));
    assert!(e.sql.contains("TYPE numeric(12,2)"), "{}", e.sql);
    assert_eq!(
        one::<String>(&mut e.client, "SELECT apn::text FROM t"),
        "1234.56"
    );
    e.back();
}

#[test]
fn lossy_type_changes_are_refused_without_an_allowance_and_convert_rows_with_it() {
    let v1 = "[tables.t.columns]\nid = { type = \"int\", primary_key = true }\napn = { type = \"numeric(10,2)\" }\nbig = { type = \"bigint\" }\ncode = { type = \"varchar(20)\" }\n";
    let v2 = v1
        .replace("numeric(10,2)", "integer")
        .replace("\"bigint\"", "\"integer\"")
        .replace("varchar(20)", "varchar(10)");
    let mut e = evolve_checking(
        v1,
        "INSERT INTO t VALUES (1, 1234.56, 42, 'abcdefghij')",
        &v2,
        |dir| {
            // Without `--allow deletes_data`: exit 1, and nothing is written.
            let files = || std::fs::read_dir(dir.join("migrations")).unwrap().count();
            let before = (
                files(),
                std::fs::read(dir.join("snapshots/head.toml")).unwrap(),
            );
            let g = Global {
                project: Some(dir.to_path_buf()),
                ..Global::default()
            };
            let opts = plan::Options {
                name: Some("v2".into()),
                ..Default::default()
            };
            let out = plan::run(&g, &opts);
            assert_eq!(out.exit, Exit::No, "{}{}", out.stdout, out.stderr);
            assert!(
                out.stderr
                    .contains("hazards that are not allowed: deletes_data"),
                "{}",
                out.stderr
            );
            for step in [
                "alter-column-type public.t.apn",
                "alter-column-type public.t.big",
                "alter-column-type public.t.code",
            ] {
                assert!(out.stdout.contains(step), "{step}\n{}", out.stdout);
            }
            let after = (
                files(),
                std::fs::read(dir.join("snapshots/head.toml")).unwrap(),
            );
            assert_eq!(before, after, "nothing written");
        },
    );
    insta::assert_snapshot!(reviewable(&e.sql));
    assert!(e.sql.contains("-- allowed: deletes_data\n"), "{}", e.sql);
    // PostgreSQL rounds the numeric; the others fit.
    assert_eq!(
        one::<String>(
            &mut e.client,
            "SELECT format('%s %s %s', apn, big, code) FROM t"
        ),
        "1235 42 abcdefghij"
    );
    // A value the narrower type cannot hold now fails, as the hazard says.
    assert!(
        e.client
            .batch_execute("INSERT INTO t VALUES (2, 1, 3000000000, 'x')")
            .is_err()
    );
    e.back();
    // The way back widens again; the rounded value stays rounded.
    assert_eq!(
        one::<String>(&mut e.client, "SELECT apn::text FROM t"),
        "1235.00"
    );
}

#[test]
fn integer_to_bigint_varchar_to_text_and_nullability() {
    let v1 = "[tables.t.columns]\nid = { type = \"int\", primary_key = true }\nn = { type = \"integer\" }\ns = { type = \"varchar(50)\", nullable = true }\n";
    let v2 = "[tables.t.columns]\nid = { type = \"int\", primary_key = true }\nn = { type = \"bigint\", nullable = true }\ns = { type = \"text\" }\n";
    let mut e = evolve(v1, "INSERT INTO t VALUES (1, 2147483647, 'x')", v2);
    insta::assert_snapshot!(reviewable(&e.sql));
    assert_eq!(one::<i64>(&mut e.client, "SELECT n + 1 FROM t"), 2147483648);
    assert_eq!(one::<String>(&mut e.client, "SELECT s FROM t"), "x");
    e.back();
}

#[test]
fn defaults_set_changed_and_dropped() {
    let v1 = "[tables.t.columns]\nid = { type = \"int\", primary_key = true }\na = { type = \"int\", default = 1 }\nb = { type = \"text\", nullable = true }\nc = { type = \"int\", default = 5 }\n";
    let v2 = "[tables.t.columns]\nid = { type = \"int\", primary_key = true }\na = { type = \"int\", default = 2 }\nb = { type = \"text\", nullable = true, default = \"x\" }\nc = { type = \"int\" }\n";
    let mut e = evolve(v1, "INSERT INTO t (id) VALUES (1)", v2);
    insta::assert_snapshot!(reviewable(&e.sql));
    e.client
        .batch_execute("INSERT INTO t (id, c) VALUES (2, 0)")
        .unwrap();
    assert_eq!(
        one::<String>(&mut e.client, "SELECT a::text || b FROM t WHERE id = 2"),
        "2x"
    );
    e.back();
}

#[test]
fn enum_value_added_and_used_as_a_default_in_the_same_migration() {
    let v1 = "[enums.status]\nvalues = [\"ACTIVE\", \"GONE\"]\n[tables.t.columns]\nid = { type = \"int\", primary_key = true }\ns = { type = \"status\", default = \"ACTIVE\" }\n";
    let v2 = "[enums.status]\nvalues = [\"NEW\", \"ACTIVE\", \"PAUSED\", \"GONE\"]\n[tables.t.columns]\nid = { type = \"int\", primary_key = true }\ns = { type = \"status\", default = \"NEW\" }\n";
    let mut e = evolve(v1, "INSERT INTO t VALUES (1, 'GONE')", v2);
    insta::assert_snapshot!(reviewable(&e.sql));
    assert!(
        e.sql
            .contains("ADD VALUE IF NOT EXISTS 'NEW' BEFORE 'ACTIVE'"),
        "{}",
        e.sql
    );
    assert!(
        e.sql
            .contains("ADD VALUE IF NOT EXISTS 'PAUSED' AFTER 'ACTIVE'"),
        "{}",
        e.sql
    );
    e.client
        .batch_execute("INSERT INTO t (id) VALUES (2)")
        .unwrap();
    assert_eq!(
        one::<String>(&mut e.client, "SELECT s::text FROM t WHERE id = 2"),
        "NEW"
    );
    let labels: String = one(
        &mut e.client,
        "SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = 'status'::regtype",
    );
    assert_eq!(labels, "NEW,ACTIVE,PAUSED,GONE");
    // Going back removes NEW: the row using it must go first (else the rollback fails).
    e.client
        .batch_execute("DELETE FROM t WHERE id = 2")
        .unwrap();
    e.back();
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
    let mut e = evolve(
        v1,
        "INSERT INTO p VALUES (1, 'x'); INSERT INTO t VALUES (1, 1, 5, 'bye')",
        v2,
    );
    insta::assert_snapshot!(reviewable(&e.sql));
    for needle in [
        "DROP CONSTRAINT \"t_p_id_fkey\"",
        "DROP INDEX CONCURRENTLY IF EXISTS \"public\".\"t_a_idx\"",
        "DROP CONSTRAINT \"t_a_check\"",
        "DROP CONSTRAINT \"p_code_key\"",
        "DROP COLUMN \"gone\"",
        "DROP TABLE \"public\".\"old\"",
        "ON DELETE CASCADE",
    ] {
        assert!(e.sql.contains(needle), "{needle}\n{}", e.sql);
    }
    // The order: FK and index drops before the column and table drops.
    assert!(e.sql.find("t_p_id_fkey").unwrap() < e.sql.find("DROP COLUMN").unwrap());
    e.client.batch_execute("UPDATE t SET a = 0").unwrap();
    assert_eq!(one::<i64>(&mut e.client, "SELECT count(*) FROM t"), 1);
    // v1's check (a > 0) must hold again before going back.
    e.client.batch_execute("UPDATE t SET a = 5").unwrap();
    e.back();
}

#[test]
fn identity_added_and_dropped() {
    let v1 = "[tables.t.columns]\nid = { type = \"bigint\", primary_key = true }\nn = { type = \"int\", identity = \"always\" }\n";
    let v2 = "[tables.t.columns]\nid = { type = \"bigint\", identity = \"by_default\", primary_key = true }\nn = { type = \"int\" }\n";
    let mut e = evolve(v1, "INSERT INTO t (id) VALUES (100)", v2);
    insta::assert_snapshot!(reviewable(&e.sql));
    e.client
        .batch_execute("INSERT INTO t (n) VALUES (7)")
        .unwrap();
    assert_eq!(one::<i64>(&mut e.client, "SELECT count(*) FROM t"), 2);
    e.back();
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

#[test]
fn renamed_table_and_column_keep_rows_and_default_names_follow() {
    let v1 = r#"
[tables.registrations]
primary_key = ["id"]
[tables.registrations.columns]
id = { type = "serial" }
member = { type = "text", unique = true }
qty = { type = "int" }
[[tables.registrations.checks]]
expr = "qty > 0"
[[tables.registrations.indexes]]
columns = ["qty"]
[[tables.registrations.indexes]]
columns = [{ expr = "lower(member)" }]

[tables.dispatches.columns]
id = { type = "int", primary_key = true }
member = { type = "text", references = "registrations.member" }
"#;
    let v2 = r#"
[tables.book_registrations]
primary_key = ["id"]
renamed_from = "registrations"
[tables.book_registrations.columns]
id = { type = "serial" }
member_name = { type = "text", unique = true, renamed_from = "member" }
qty = { type = "int" }
[[tables.book_registrations.checks]]
expr = "qty > 0"
[[tables.book_registrations.indexes]]
columns = ["qty"]
[[tables.book_registrations.indexes]]
columns = [{ expr = "lower(member_name)" }]

[tables.dispatches.columns]
id = { type = "int", primary_key = true }
member = { type = "text", references = "book_registrations.member_name" }
"#;
    let mut e = evolve(
        v1,
        "INSERT INTO registrations (member, qty) VALUES ('ann', 2); INSERT INTO dispatches VALUES (1, 'ann')",
        v2,
    );
    insta::assert_snapshot!(reviewable(&e.sql));
    // Renamed, not dropped: the row is still there, under the new names.
    assert!(!e.sql.contains("DROP TABLE"), "{}", e.sql);
    assert!(!e.sql.contains("DROP COLUMN"), "{}", e.sql);
    assert_eq!(
        one::<String>(&mut e.client, "SELECT member_name FROM book_registrations"),
        "ann"
    );
    // Default names are those of a fresh build of v2 (the drift check in `evolve` compares
    // names too); the serial's sequence follows and keeps counting.
    for needle in [
        "ALTER TABLE \"public\".\"registrations\" RENAME TO \"book_registrations\";",
        "RENAME COLUMN \"member\" TO \"member_name\";",
        "RENAME CONSTRAINT \"registrations_pkey\" TO \"book_registrations_pkey\";",
        "RENAME CONSTRAINT \"registrations_member_key\" TO \"book_registrations_member_name_key\";",
        "RENAME CONSTRAINT \"registrations_qty_check\" TO \"book_registrations_qty_check\";",
        "ALTER INDEX \"public\".\"registrations_qty_idx\" RENAME TO \"book_registrations_qty_idx\";",
        "ALTER INDEX \"public\".\"registrations_lower_idx\" RENAME TO \"book_registrations_lower_idx\";",
        "ALTER SEQUENCE \"public\".\"registrations_id_seq\" RENAME TO \"book_registrations_id_seq\";",
    ] {
        assert!(e.sql.contains(needle), "{needle}\n{}", e.sql);
    }
    e.client
        .batch_execute("INSERT INTO book_registrations (member_name, qty) VALUES ('bob', 1)")
        .unwrap();
    assert_eq!(
        one::<i32>(&mut e.client, "SELECT max(id) FROM book_registrations"),
        2
    );
    e.back();
    assert_eq!(
        one::<i64>(
            &mut e.client,
            "SELECT count(*) FROM registrations WHERE member IN ('ann', 'bob')"
        ),
        2
    );
}

#[test]
fn renamed_enum_values_and_explicit_constraint_and_index_names() {
    let v1 = r#"
[enums.reg_status]
values = ["ACTIVE", "CANCELED"]
[tables.t.columns]
id = { type = "int", primary_key = true }
s = { type = "reg_status", default = "CANCELED" }
qty = { type = "int" }
[[tables.t.checks]]
name = "positive_qty"
expr = "qty > 0"
[[tables.t.indexes]]
name = "by_qty"
columns = ["qty"]
"#;
    let v2 = r#"
[enums.registrationstatus]
renamed_from = "reg_status"
values = ["ACTIVE", "CANCELLED"]
renamed_values = { CANCELED = "CANCELLED" }
[tables.t.columns]
id = { type = "int", primary_key = true }
s = { type = "registrationstatus", default = "CANCELLED" }
qty = { type = "int" }
[[tables.t.checks]]
name = "qty_positive"
renamed_from = "positive_qty"
expr = "qty > 0"
[[tables.t.indexes]]
name = "t_by_qty"
renamed_from = "by_qty"
columns = ["qty"]
"#;
    let mut e = evolve(v1, "INSERT INTO t VALUES (1, 'CANCELED', 3)", v2);
    insta::assert_snapshot!(reviewable(&e.sql));
    for needle in [
        "ALTER TYPE \"public\".\"reg_status\" RENAME TO \"registrationstatus\";",
        "ALTER TYPE \"public\".\"registrationstatus\" RENAME VALUE 'CANCELED' TO 'CANCELLED';",
        "RENAME CONSTRAINT \"positive_qty\" TO \"qty_positive\";",
        "ALTER INDEX \"public\".\"by_qty\" RENAME TO \"t_by_qty\";",
    ] {
        assert!(e.sql.contains(needle), "{needle}\n{}", e.sql);
    }
    assert!(!e.sql.contains("DROP"), "{}", e.sql);
    assert_eq!(
        one::<String>(&mut e.client, "SELECT s::text FROM t"),
        "CANCELLED"
    );
    e.back();
    assert_eq!(
        one::<String>(&mut e.client, "SELECT s::text FROM t"),
        "CANCELED"
    );
}

#[test]
fn enum_values_removed_and_reordered_recreate_the_type() {
    let v1 = r#"
[enums.status]
values = ["A", "B", "C"]
comment = "kept across the swap"
[tables.t.columns]
id = { type = "int", primary_key = true }
s = { type = "status", default = "A" }
history = { type = "status[]", nullable = true }
[[tables.t.checks]]
expr = "s <> 'C' OR id > 0"
[[tables.t.indexes]]
columns = ["s"]
[[tables.t.indexes]]
columns = ["id"]
where = "s = 'A'"

[tables.u.columns]
id = { type = "int", primary_key = true }
s = { type = "status" }
[[tables.u.foreign_keys]]
columns = ["id", "s"]
references = { table = "t", columns = ["id", "s"] }
[[tables.t.unique]]
columns = ["id", "s"]
"#;
    let v2 = v1.replace(r#"["A", "B", "C"]"#, r#"["C", "A"]"#);
    let mut e = evolve(
        v1,
        "INSERT INTO t VALUES (1, 'C', '{A,C}'), (2, 'A', NULL); INSERT INTO u VALUES (1, 'C')",
        &v2,
    );
    insta::assert_snapshot!(reviewable(&e.sql));
    assert!(
        e.sql.contains("recreate-enum public.status [hazards: deletes_data, rewrites_table, blocks_writes, may_fail_on_data]"),
        "{}",
        e.sql
    );
    assert!(
        e.sql
            .contains("USING \"history\"::text[]::\"public\".\"status\"[]"),
        "{}",
        e.sql
    );
    let labels: String = one(
        &mut e.client,
        "SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = 'status'::regtype",
    );
    assert_eq!(labels, "C,A");
    assert_eq!(
        one::<String>(
            &mut e.client,
            "SELECT string_agg(s::text || ':' || coalesce(history::text, '-'), ' ' ORDER BY s) FROM t"
        ),
        "C:{A,C} A:-"
    );
    e.client
        .batch_execute("INSERT INTO t (id) VALUES (3)")
        .unwrap();
    assert_eq!(
        one::<String>(&mut e.client, "SELECT s::text FROM t WHERE id = 3"),
        "A"
    );
    e.client
        .batch_execute("DELETE FROM t WHERE id = 3")
        .unwrap();
    e.back();
    assert_eq!(one::<i64>(&mut e.client, "SELECT count(*) FROM t"), 2);
}

#[test]
fn removing_an_enum_value_still_in_use_fails_and_rolls_back() {
    let v1 = "[enums.status]\nvalues = [\"A\", \"B\"]\n[tables.t.columns]\nid = { type = \"int\", primary_key = true }\ns = { type = \"status\" }\n";
    let dir = project(&[("schema/s.toml", v1)]);
    let db = support::test_db();
    let mut client = db.connect();
    plan_and_apply(dir.path(), "v1", &mut client);
    client
        .batch_execute("INSERT INTO t VALUES (1, 'B')")
        .unwrap();
    std::fs::write(
        dir.path().join("schema/s.toml"),
        v1.replace("[\"A\", \"B\"]", "[\"A\"]"),
    )
    .unwrap();
    plan_allowing_data_loss(dir.path(), "v2");
    let chain = migrations::load(&Layout::new(dir.path())).unwrap();
    let history = History {
        schema: "schemactl".into(),
    };
    let err = apply::apply(
        &mut client,
        &history,
        &chain,
        &apply::Options {
            lock_timeout: Duration::from_secs(10),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("invalid input value for enum"),
        "{err}"
    );
    // Rolled back: the old type with both values, the row untouched.
    let labels: String = one(
        &mut client,
        "SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = 'status'::regtype",
    );
    assert_eq!(labels, "A,B");
    assert_eq!(one::<String>(&mut client, "SELECT s::text FROM t"), "B");
}

#[test]
fn generated_expression_changed_and_dropped() {
    let v1 = r#"
[tables.t.columns]
id = { type = "int", primary_key = true }
a = { type = "int" }
b = { type = "int" }
total = { type = "int", generated_sql = "a + b", comment = "sum" }
twice = { type = "int", generated_sql = "a * 2" }
price = { type = "numeric(10,2)" }
gross = { type = "numeric", generated_sql = "price * 1.25" }
[[tables.t.indexes]]
columns = ["total"]
[[tables.t.checks]]
expr = "total < 1000"
"#;
    // `price` widens: PostgreSQL refuses the type change while `gross` uses it, so `gross`
    // is dropped before and added after.
    let v2 = v1
        .replace("generated_sql = \"a + b\"", "generated_sql = \"a * b\"")
        .replace(", generated_sql = \"a * 2\"", "")
        .replace("numeric(10,2)", "numeric(12,2)");
    let mut e = evolve(
        v1,
        "INSERT INTO t (id, a, b, price) VALUES (1, 3, 4, 10)",
        &v2,
    );
    insta::assert_snapshot!(reviewable(&e.sql));
    assert!(e.sql.contains("DROP EXPRESSION"), "{}", e.sql);
    assert_eq!(
        one::<String>(
            &mut e.client,
            "SELECT total || ',' || twice || ',' || gross FROM t"
        ),
        "12,6,12.5000"
    );
    e.back();
    assert_eq!(
        one::<String>(&mut e.client, "SELECT total || ',' || twice FROM t"),
        "7,6"
    );
}

#[test]
fn serial_added_widened_and_dropped() {
    let v1 = r#"
[tables.t.columns]
id = { type = "int", primary_key = true }
n = { type = "serial" }
m = { type = "serial" }
"#;
    let v2 = r#"
[tables.t.columns]
id = { type = "serial", primary_key = true }
n = { type = "bigserial" }
m = { type = "int" }
"#;
    let mut e = evolve(v1, "INSERT INTO t (id) VALUES (1), (5)", v2);
    insta::assert_snapshot!(reviewable(&e.sql));
    // The new sequence continues after the existing ids.
    e.client
        .batch_execute("INSERT INTO t (n, m) VALUES (3000000000, 0)")
        .unwrap();
    assert_eq!(one::<i32>(&mut e.client, "SELECT id FROM t WHERE m = 0"), 6);
    let seq_type: String = one(
        &mut e.client,
        "SELECT format_type(seqtypid, NULL) FROM pg_sequence WHERE seqrelid = 't_n_seq'::regclass",
    );
    assert_eq!(seq_type, "bigint");
    assert!(
        e.client
            .batch_execute("INSERT INTO t (id, n) VALUES (7, 1)")
            .is_err(),
        "m has no default any more"
    );
    e.client.batch_execute("DELETE FROM t WHERE m = 0").unwrap();
    e.back();
}

#[test]
fn primary_key_collation_comments_and_foreign_key_properties_change() {
    let v1 = r#"
[tables.p]
comment = "parents"
[tables.p.columns]
id = { type = "int", primary_key = true }
code = { type = "text", unique = true, comment = "old" }
name = { type = "text" }

[tables.c.columns]
id = { type = "int" }
p_id = { type = "int" }
[[tables.c.foreign_keys]]
columns = ["p_id"]
references = { table = "p", columns = ["id"] }
"#;
    let v2 = r#"
[tables.p]
[tables.p.columns]
id = { type = "int" }
code = { type = "text", primary_key = true, comment = "new" }
name = { type = "text", collation = "C" }

[tables.c]
primary_key = ["id"]
[tables.c.columns]
id = { type = "int" }
p_id = { type = "text", nullable = true }
[[tables.c.foreign_keys]]
columns = ["p_id"]
references = { table = "p", columns = ["code"] }
deferrable = "deferred"
on_delete = "set_null"
"#;
    let mut e = evolve(
        v1,
        "INSERT INTO p VALUES (1, '1', 'x'); INSERT INTO c VALUES (1, 1)",
        v2,
    );
    insta::assert_snapshot!(reviewable(&e.sql));
    // The FK now targets the new primary key (the integer 1 became the text '1'), and
    // deleting the parent sets it to NULL.
    e.client.batch_execute("DELETE FROM p").unwrap();
    assert_eq!(
        one::<Option<String>>(&mut e.client, "SELECT p_id FROM c"),
        None
    );
    e.client
        .batch_execute("INSERT INTO p VALUES (1, '1', 'x'); UPDATE c SET p_id = '1'")
        .unwrap();
    e.back();
}

#[test]
fn type_change_of_columns_on_both_sides_of_a_foreign_key() {
    let v1 = r#"
[tables.p.columns]
id = { type = "int", primary_key = true }
[tables.c.columns]
id = { type = "int", primary_key = true }
p_id = { type = "int", references = "p.id" }
[[tables.c.indexes]]
columns = ["p_id"]
where = "p_id > 0"
"#;
    let v2 = v1.replace("\"int\"", "\"bigint\"");
    let mut e = evolve(
        v1,
        "INSERT INTO p VALUES (1); INSERT INTO c VALUES (1, 1)",
        &v2,
    );
    insta::assert_snapshot!(reviewable(&e.sql));
    assert!(
        e.client
            .batch_execute("INSERT INTO c VALUES (2, 2)")
            .is_err(),
        "the foreign key still holds"
    );
    e.back();
}

#[test]
fn a_failed_rollback_keeps_the_migration_applied_or_resumes_part_way() {
    let v1 = "[enums.e]\nvalues = [\"A\", \"B\"]\n[tables.t.columns]\nid = { type = \"int\", primary_key = true }\nn = { type = \"int\" }\n[[tables.t.checks]]\nexpr = \"n > 0\"\n";
    // v2 renames e to e2, removes B and the check, and adds table x. Its down file runs in
    // four segments: RENAME e2 TO e; ADD VALUE 'B' (alone); DROP TABLE x and ADD CONSTRAINT
    // … CHECK (n > 0) NOT VALID; VALIDATE CONSTRAINT (a transaction of its own).
    let v2 = "[enums.e2]\nrenamed_from = \"e\"\nvalues = [\"A\"]\n[tables.t.columns]\nid = { type = \"int\", primary_key = true }\nn = { type = \"int\" }\n[tables.x.columns]\nid = { type = \"int\" }\n";
    let dir = project(&[("schema/s.toml", v1)]);
    let db = support::test_db();
    let mut client = db.connect();
    plan_and_apply(dir.path(), "v1", &mut client);
    let m1 = compile_dir(dir.path());
    std::fs::write(dir.path().join("schema/s.toml"), v2).unwrap();
    plan_and_apply(dir.path(), "v2", &mut client);
    let chain = migrations::load(&Layout::new(dir.path())).unwrap();
    let down = chain.migrations[1].down.clone().unwrap();
    assert!(
        down.contains("-- schemactl:no-transaction\n-- step 2: add-enum-value"),
        "{down}"
    );
    let history = History {
        schema: "schemactl".into(),
    };
    let rollback = |client: &mut postgres::Client| {
        apply::rollback(
            client,
            &history,
            &chain,
            1,
            &["deletes_data".to_string()],
            &Policy::default(),
            Duration::from_secs(10),
        )
    };
    let latest = |client: &mut postgres::Client| {
        let rows = history.rows(client).unwrap();
        let r = apply::latest(&rows)[&2].clone();
        (r.status, r.segments_done)
    };
    let opts = apply::Options {
        lock_timeout: Duration::from_secs(10),
        ..Default::default()
    };

    // The rollback fails in its first segment (another type took the name e): nothing of it
    // committed, so the migration stays applied and `apply` has nothing to do.
    client.batch_execute("CREATE TYPE e AS ENUM ('z')").unwrap();
    let err = rollback(&mut client).unwrap_err();
    assert!(err.to_string().contains("rename-enum public.e"), "{err}");
    assert_eq!(
        latest(&mut client),
        (apply::Status::RollbackFailed, 0),
        "{err}"
    );
    let rows = history.rows(&mut client).unwrap();
    assert!(apply::pending(&chain, &rows, None).is_empty());
    client.batch_execute("DROP TYPE e").unwrap();

    // It fails in its last segment (a row breaks the check) after three committed.
    client
        .batch_execute("INSERT INTO t VALUES (1, -1)")
        .unwrap();
    let err = rollback(&mut client).unwrap_err();
    assert!(
        err.to_string()
            .contains("validate-constraint public.t.t_n_check"),
        "{err}"
    );
    assert_eq!(latest(&mut client), (apply::Status::RollbackFailed, 3));
    // Part-way back: apply refuses rather than running the up file over it.
    let err = apply::apply(&mut client, &history, &chain, &opts).unwrap_err();
    assert!(
        err.to_string().contains("part-way through its rollback"),
        "{err}"
    );
    // Fixed, the rollback resumes after the segments that ran.
    client.batch_execute("UPDATE t SET n = 1").unwrap();
    rollback(&mut client).unwrap();
    assert_eq!(latest(&mut client).0, apply::Status::RolledBack);
    let read = read_public(&mut client);
    assert!(diff(&read, &m1).is_empty(), "{:?}", diff(&read, &m1));
    // And it applies again.
    assert_eq!(
        apply::apply(&mut client, &history, &chain, &opts)
            .unwrap()
            .applied
            .len(),
        1
    );
}

#[test]
fn identity_defaults_dropped_tables_and_generated_columns_in_one_migration() {
    let v1 = r#"
[enums.e]
values = ["A", "B"]
[tables.p.columns]
id = { type = "int", primary_key = true }
code = { type = "text", unique = true }
[tables.c.columns]
id = { type = "int", nullable = true }
n = { type = "int", identity = "always" }
code = { type = "text", references = "p.code" }
price = { type = "numeric(10,2)" }
g = { type = "numeric", generated_sql = "price * 2" }
"#;
    // c is dropped with its foreign key to p's unique key, which is dropped too (and c's
    // generated column before its source); two new enum values at the front; identity added.
    let v2 = r#"
[enums.e]
values = ["Y", "Z", "A", "B"]
[tables.p.columns]
id = { type = "int", primary_key = true, identity = "by_default" }
code = { type = "text" }
[tables.d.columns]
id = { type = "int" }
"#;
    let mut e = evolve(
        v1,
        "INSERT INTO p VALUES (1, 'x'); INSERT INTO c (id, code, price) VALUES (NULL, 'x', 1)",
        v2,
    );
    insta::assert_snapshot!(reviewable(&e.sql));
    e.back();

    let v3 = r#"
[tables.t.columns]
id = { type = "int", nullable = true }
n = { type = "int", identity = "always" }
price = { type = "numeric(10,2)" }
g = { type = "numeric", generated_sql = "price * 2" }
"#;
    let v4 = r#"
[tables.t.columns]
id = { type = "int", identity = "by_default" }
n = { type = "int", default = 7 }
price = { type = "numeric(12,2)" }
h = { type = "numeric", generated_sql = "price * 3" }
"#;
    let mut e = evolve(v3, "INSERT INTO t (id, price) VALUES (5, 1)", v4);
    insta::assert_snapshot!("identity_and_generated_changes", reviewable(&e.sql));
    e.client
        .batch_execute("INSERT INTO t (price) VALUES (2)")
        .unwrap();
    assert_eq!(
        one::<String>(
            &mut e.client,
            "SELECT string_agg(id || ':' || n || ':' || h, ' ' ORDER BY id) FROM t"
        ),
        "5:1:3.00 6:7:6.00"
    );
    e.client
        .batch_execute("DELETE FROM t WHERE id = 6")
        .unwrap();
    e.back();
}

#[test]
fn keys_replaced_under_a_foreign_key_that_stays() {
    // c.pa references p.a through p's primary key, c.qcode references q.code through a unique
    // constraint; v2 moves both keys (PK to (a, b) plus a unique on a; the unique constraint
    // to a unique index). PostgreSQL refuses to drop a key a foreign key depends on.
    let v1 = r#"
[tables.p]
primary_key = ["a"]
[tables.p.columns]
a = { type = "integer" }
b = { type = "integer" }

[tables.q.columns]
id = { type = "integer", primary_key = true }
code = { type = "text", unique = true }

[tables.c.columns]
id = { type = "integer", primary_key = true }
pa = { type = "integer", references = "p.a" }
qcode = { type = "text", references = "q.code", on_delete = "cascade" }
"#;
    let v2 = r#"
[tables.p]
primary_key = ["a", "b"]
[tables.p.columns]
a = { type = "integer", unique = true }
b = { type = "integer" }

[tables.q.columns]
id = { type = "integer", primary_key = true }
code = { type = "text" }

[[tables.q.indexes]]
columns = ["code"]
unique = true
name = "q_code_uidx"

[tables.c.columns]
id = { type = "integer", primary_key = true }
pa = { type = "integer", references = "p.a" }
qcode = { type = "text", references = "q.code", on_delete = "cascade" }
"#;
    let mut e = evolve(
        v1,
        "INSERT INTO p VALUES (1, 1), (2, 2); INSERT INTO q VALUES (1, 'x'); INSERT INTO c VALUES (1, 1, 'x'), (2, 2, 'x')",
        v2,
    );
    insta::assert_snapshot!(reviewable(&e.sql));
    // The foreign keys are dropped before the keys and added after the new ones.
    let at = |needle: &str| {
        e.sql
            .find(needle)
            .unwrap_or_else(|| panic!("{needle}\n{}", e.sql))
    };
    assert!(at("DROP CONSTRAINT \"c_pa_fkey\"") < at("DROP CONSTRAINT \"p_pkey\""));
    assert!(at("DROP CONSTRAINT \"c_qcode_fkey\"") < at("DROP CONSTRAINT \"q_code_key\""));
    assert!(at("ADD CONSTRAINT \"p_a_key\"") < at("ADD CONSTRAINT \"c_pa_fkey\""));
    assert!(
        at("CREATE UNIQUE INDEX CONCURRENTLY \"q_code_uidx\"")
            < at("ADD CONSTRAINT \"c_qcode_fkey\"")
    );
    // Still enforced, still cascading.
    assert!(
        e.client
            .batch_execute("INSERT INTO c VALUES (3, 9, 'x')")
            .is_err()
    );
    e.client.batch_execute("DELETE FROM q").unwrap();
    assert_eq!(one::<i64>(&mut e.client, "SELECT count(*) FROM c"), 0);
    e.client
        .batch_execute("INSERT INTO q VALUES (1, 'x'); INSERT INTO c VALUES (1, 1, 'x')")
        .unwrap();
    e.back();
}

#[test]
fn renames_whose_old_name_is_reused_roll_back_with_their_rows() {
    // v2 archives `events` under a new name and creates a new `events`; it also renames a
    // column and adds a new one under the old name. Going back, the new objects must be
    // dropped before the renamed ones take their names (and rows) back.
    let v1 = r#"
[tables.events.columns]
id = { type = "integer", primary_key = true }
payload = { type = "text" }

[tables.t.columns]
id = { type = "integer", primary_key = true }
name = { type = "text" }

[[tables.t.indexes]]
columns = ["name"]
"#;
    let v2 = r#"
[tables.events_archive]
renamed_from = "events"
[tables.events_archive.columns]
id = { type = "integer", primary_key = true }
payload = { type = "text" }

[tables.events.columns]
id = { type = "bigint", primary_key = true }
kind = { type = "text", default = "x" }

[tables.t.columns]
id = { type = "integer", primary_key = true }
legacy_name = { type = "text", renamed_from = "name" }
name = { type = "text", nullable = true, references = "t.legacy_name" }

[[tables.t.indexes]]
columns = ["legacy_name"]

[[tables.t.indexes]]
columns = ["name"]

[[tables.t.unique]]
columns = ["legacy_name"]
"#;
    let mut e = evolve(
        v1,
        "INSERT INTO events VALUES (1, 'keep me'), (2, 'me too'); INSERT INTO t VALUES (1, 'kept')",
        v2,
    );
    assert_eq!(
        one::<String>(
            &mut e.client,
            "SELECT string_agg(payload, ',' ORDER BY id) FROM events_archive"
        ),
        "keep me,me too"
    );
    let down = std::fs::read_to_string(e.dir.path().join("migrations/0002_v2.down.sql")).unwrap();
    insta::assert_snapshot!(reviewable(&down));
    e.client
        .batch_execute("INSERT INTO events VALUES (7, 'y'); UPDATE t SET name = legacy_name")
        .unwrap();
    e.back();
    assert_eq!(
        one::<String>(
            &mut e.client,
            "SELECT string_agg(payload, ',' ORDER BY id) FROM events"
        ),
        "keep me,me too"
    );
    assert_eq!(one::<String>(&mut e.client, "SELECT name FROM t"), "kept");
}

#[test]
fn a_stale_renamed_from_left_in_the_schema_renames_nothing_back() {
    // `renamed_from = "a"` stays after the rename was applied (the spec allows it); the next
    // migration's down file must only undo that migration.
    let v1 = "[tables.a.columns]\nid = { type = \"int\", primary_key = true }\n";
    let v2 = "[tables.b]\nrenamed_from = \"a\"\n[tables.b.columns]\nid = { type = \"int\", primary_key = true }\n";
    let dir = project(&[("schema/s.toml", v1)]);
    let db = support::test_db();
    let mut client = db.connect();
    plan_and_apply(dir.path(), "v1", &mut client);
    std::fs::write(dir.path().join("schema/s.toml"), v2).unwrap();
    plan_and_apply(dir.path(), "v2", &mut client);
    client.batch_execute("INSERT INTO b VALUES (1)").unwrap();
    let v2_model = compile_dir_with_head(dir.path());
    let v3 = format!("{v2}note = {{ type = \"text\", nullable = true }}\n");
    std::fs::write(dir.path().join("schema/s.toml"), v3).unwrap();
    plan_and_apply(dir.path(), "v3", &mut client);
    let down = std::fs::read_to_string(dir.path().join("migrations/0003_v3.down.sql")).unwrap();
    let steps: Vec<&str> = down.lines().filter(|l| l.starts_with("-- step")).collect();
    assert_eq!(
        steps,
        vec!["-- step 1: drop-column public.b.note [hazards: deletes_data, breaks_clients]"]
    );
    let chain = migrations::load(&Layout::new(dir.path())).unwrap();
    apply::rollback(
        &mut client,
        &History {
            schema: "schemactl".into(),
        },
        &chain,
        2,
        &["deletes_data".to_string()],
        &Policy::default(),
        Duration::from_secs(10),
    )
    .unwrap();
    let read = read_public(&mut client);
    assert!(
        diff(&read, &v2_model).is_empty(),
        "{:?}",
        diff(&read, &v2_model)
    );
    assert_eq!(one::<i64>(&mut client, "SELECT count(*) FROM b"), 1);
}

#[test]
fn enum_recreation_rebuilds_everything_that_names_the_type() {
    // Removing C and reordering recreates `st`. Around the swap: a column leaving the type
    // (its C row must survive as text), generated columns computed from an enum column or of
    // the enum type, a check that casts another column to it, and a partial index.
    let v1 = r#"
[enums.st]
values = ["A", "B", "C"]

[tables.t.columns]
id = { type = "integer", primary_key = true }
s = { type = "st" }
k = { type = "st", default = "A" }
x = { type = "text" }
isa = { type = "boolean", generated_sql = "k = 'A'::st" }
g = { type = "st", generated_sql = "CASE WHEN x = 'a' THEN 'A'::st ELSE 'B'::st END" }

[[tables.t.checks]]
expr = "x::st IS NOT NULL"

[[tables.t.indexes]]
columns = ["x"]
where = "k = 'B'"
"#;
    let v2 = v1
        .replace("values = [\"A\", \"B\", \"C\"]", "values = [\"B\", \"A\"]")
        .replace("s = { type = \"st\" }", "s = { type = \"text\" }");
    let mut e = evolve(
        v1,
        "INSERT INTO t (id, s, k, x) VALUES (1, 'A', 'A', 'A'), (2, 'C', 'B', 'B')",
        &v2,
    );
    insta::assert_snapshot!(reviewable(&e.sql));
    assert_eq!(
        one::<String>(
            &mut e.client,
            "SELECT string_agg(format('%s %s %s %s', s, k, isa, g), ',' ORDER BY id) FROM t"
        ),
        "A A t B,C B f B"
    );
    let labels: String = one(
        &mut e.client,
        "SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = 'st'::regtype",
    );
    assert_eq!(labels, "B,A");
    // Back to v1 (C comes back; s converts to the enum again, so its C row can stay).
    e.back();
    assert_eq!(
        one::<String>(&mut e.client, "SELECT s::text FROM t WHERE id = 2"),
        "C"
    );
}

#[test]
fn rename_chains_move_each_object_once_and_back() {
    // b → c first, then a → b (tables and columns): every row keeps its data, going forward
    // and back.
    let v1 = r#"
[tables.a.columns]
id = { type = "integer", primary_key = true }
x = { type = "text" }

[tables.b.columns]
id = { type = "integer", primary_key = true }
y = { type = "text" }

[tables.t.columns]
id = { type = "integer", primary_key = true }
p = { type = "text" }
q = { type = "text" }
"#;
    let v2 = r#"
[tables.b]
renamed_from = "a"
[tables.b.columns]
id = { type = "integer", primary_key = true }
x = { type = "text" }

[tables.c]
renamed_from = "b"
[tables.c.columns]
id = { type = "integer", primary_key = true }
y = { type = "text" }

[tables.t.columns]
id = { type = "integer", primary_key = true }
q = { type = "text", renamed_from = "p" }
r = { type = "text", renamed_from = "q" }
"#;
    let mut e = evolve(
        v1,
        "INSERT INTO a VALUES (1, 'from a'); INSERT INTO b VALUES (2, 'from b'); INSERT INTO t VALUES (3, 'from p', 'from q')",
        v2,
    );
    insta::assert_snapshot!(reviewable(&e.sql));
    assert!(!e.sql.contains("DROP"), "{}", e.sql);
    let got = |c: &mut postgres::Client, sql: &str| one::<String>(c, sql);
    assert_eq!(got(&mut e.client, "SELECT x FROM b"), "from a");
    assert_eq!(got(&mut e.client, "SELECT y FROM c"), "from b");
    assert_eq!(
        got(&mut e.client, "SELECT q || ',' || r FROM t"),
        "from p,from q"
    );
    e.back();
    assert_eq!(got(&mut e.client, "SELECT x FROM a"), "from a");
    assert_eq!(got(&mut e.client, "SELECT y FROM b"), "from b");
    assert_eq!(
        got(&mut e.client, "SELECT p || ',' || q FROM t"),
        "from p,from q"
    );
}

#[test]
fn names_passed_between_kinds_of_objects_apply_and_roll_back() {
    // Tables share the type namespace with enums and the relation namespace with indexes.
    // v2: an enum is replaced by a table of its name; a table is renamed and an enum takes
    // its name; an enum is renamed and a table takes its name; a table is renamed and an
    // index takes its name; a unique constraint is renamed and an index takes its name.
    let v1 = r#"
[enums.kind]
values = ["x", "y"]

[tables.state.columns]
id = { type = "integer", primary_key = true }
v = { type = "text" }

[enums.status]
values = ["on", "off"]

[tables.u.columns]
id = { type = "integer", primary_key = true }
st = { type = "status" }

[tables.log.columns]
id = { type = "integer", primary_key = true }

[tables.t1.columns]
id = { type = "integer", primary_key = true }
a = { type = "integer" }

[[tables.t1.unique]]
name = "uq1"
columns = ["a"]
"#;
    let v2 = r#"
[tables.kind.columns]
id = { type = "integer", primary_key = true }

[tables.state_tbl]
renamed_from = "state"
[tables.state_tbl.columns]
id = { type = "integer", primary_key = true }
v = { type = "text" }
s = { type = "state", default = "on" }

[enums.state]
values = ["on", "off"]

[enums.status_old]
renamed_from = "status"
values = ["on", "off"]

[tables.u.columns]
id = { type = "integer", primary_key = true }
st = { type = "status_old" }

[tables.status.columns]
id = { type = "integer", primary_key = true }

[tables.log_old]
renamed_from = "log"
[tables.log_old.columns]
id = { type = "integer", primary_key = true }

[tables.t1.columns]
id = { type = "integer", primary_key = true }
a = { type = "integer" }

[[tables.t1.unique]]
name = "uq2"
renamed_from = "uq1"
columns = ["a"]

[[tables.t1.indexes]]
name = "log"
columns = ["a"]

[[tables.t1.indexes]]
name = "uq1"
columns = ["a", "id"]
"#;
    let mut e = evolve(
        v1,
        "INSERT INTO state VALUES (1, 'kept'); INSERT INTO u VALUES (1, 'off'); INSERT INTO log VALUES (7); INSERT INTO t1 VALUES (1, 1)",
        v2,
    );
    insta::assert_snapshot!("names_between_kinds_up", reviewable(&e.sql));
    let down = std::fs::read_to_string(e.dir.path().join("migrations/0002_v2.down.sql")).unwrap();
    insta::assert_snapshot!("names_between_kinds_down", reviewable(&down));
    assert_eq!(
        one::<String>(&mut e.client, "SELECT v || s FROM state_tbl"),
        "kepton"
    );
    e.back();
    assert_eq!(one::<String>(&mut e.client, "SELECT v FROM state"), "kept");
    assert_eq!(
        one::<String>(&mut e.client, "SELECT st::text FROM u"),
        "off"
    );
    assert_eq!(one::<i32>(&mut e.client, "SELECT id FROM log"), 7);
}

#[test]
fn timestamp_to_timestamptz_and_back_keep_the_table_in_utc() {
    // apply runs in UTC, where PostgreSQL converts between timestamp and timestamptz without
    // rewriting the table; values are read as UTC.
    let v1 = "[tables.t.columns]\nid = { type = \"int\", primary_key = true }\na = { type = \"timestamp\" }\nb = { type = \"timestamptz\" }\nc = { type = \"timestamp(3)\" }\n";
    let v2 = "[tables.t.columns]\nid = { type = \"int\", primary_key = true }\na = { type = \"timestamptz\" }\nb = { type = \"timestamp\" }\nc = { type = \"timestamptz(6)\" }\n";
    let dir = project(&[("schema/s.toml", v1)]);
    let db = support::test_db();
    let mut client = db.connect();
    plan_and_apply(dir.path(), "v1", &mut client);
    client
        .batch_execute("SET TimeZone = 'UTC'; INSERT INTO t VALUES (1, '2020-01-01 12:00', '2020-01-01 12:00+00', '2020-01-01 12:00:00.123')")
        .unwrap();
    let filenode =
        |c: &mut postgres::Client| one::<i64>(c, "SELECT pg_relation_filenode('t')::bigint");
    let before = filenode(&mut client);
    std::fs::write(dir.path().join("schema/s.toml"), v2).unwrap();
    let sql = plan_and_apply(dir.path(), "v2", &mut client);
    assert!(!sql.contains("rewrites_table"), "{sql}");
    assert_eq!(
        filenode(&mut client),
        before,
        "the table was rewritten:\n{sql}"
    );
    client.batch_execute("SET TimeZone = 'UTC'").unwrap();
    assert_eq!(
        one::<String>(&mut client, "SELECT format('%s|%s|%s', a, b, c) FROM t"),
        "2020-01-01 12:00:00+00|2020-01-01 12:00:00|2020-01-01 12:00:00.123+00"
    );
}

#[test]
fn array_and_scalar_types_convert_through_their_text_form() {
    let v1 = "[tables.t.columns]\nid = { type = \"int\", primary_key = true }\na = { type = \"text[]\" }\nb = { type = \"text\" }\n";
    let v2 = "[tables.t.columns]\nid = { type = \"int\", primary_key = true }\na = { type = \"text\" }\nb = { type = \"integer[]\" }\n";
    let mut e = evolve(v1, "INSERT INTO t VALUES (1, ARRAY['a', 'b'], '{1,2}')", v2);
    insta::assert_snapshot!(reviewable(&e.sql));
    assert_eq!(
        one::<String>(&mut e.client, "SELECT a || ' ' || (b[2] + 1) FROM t"),
        "{a,b} 3"
    );
    e.back();
    assert_eq!(
        one::<String>(&mut e.client, "SELECT a[2] || b FROM t"),
        "b{1,2}"
    );
}
