//! Deferrable primary keys, unique and exclusion constraints: declared, applied, read back
//! equal, behaving as deferred constraints do, changed (drop and add, online on a table that
//! exists) and rolled back, inspected from a database, and refused when misspelled.

mod support;

use std::process::Output;

use support::project::{project, schemactl, schemactl_db, text};

fn said(o: &Output) -> String {
    format!("{}{}", text(&o.stdout), text(&o.stderr))
}

fn ok(o: Output, what: &str) -> String {
    assert_eq!(o.status.code(), Some(0), "{what}: {}", said(&o));
    text(&o.stdout)
}

fn items(pk: &str, unique: &str, exclusion: &str) -> String {
    format!(
        "[tables.items]\nprimary_key = [\"id\"]\nprimary_key_deferrable = {pk}\n\n\
         [tables.items.columns]\nid = {{ type = \"integer\" }}\n\
         list_id = {{ type = \"integer\" }}\nposition = {{ type = \"integer\" }}\n\
         slot = {{ type = \"integer\", nullable = true }}\n\n\
         [[tables.items.unique]]\ncolumns = [\"list_id\", \"position\"]\ndeferrable = {unique}\n\n\
         [[tables.items.exclusions]]\nname = \"items_slot_excl\"\nmethod = \"btree\"\n\
         columns = [{{ column = \"slot\", with = \"=\" }}]\ndeferrable = {exclusion}\n"
    )
}

/// (constraint, condeferrable, condeferred) of `table`, by name.
fn deferrability_of(db: &support::TestDb, table: &str) -> Vec<(String, bool, bool)> {
    db.connect()
        .query(
            "SELECT conname::text, condeferrable, condeferred FROM pg_constraint \
             WHERE conrelid = $1::text::regclass ORDER BY conname",
            &[&table],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

fn deferrability(db: &support::TestDb) -> Vec<(String, bool, bool)> {
    deferrability_of(db, "items")
}

#[test]
fn deferrable_keys_apply_read_back_equal_change_and_roll_back() {
    let dir = project(&[
        ("schemactl.toml", ""),
        (
            "schema/items.toml",
            &items("true", "\"deferred\"", "\"immediate\""),
        ),
    ]);
    let d = dir.path();
    ok(schemactl(d, &["plan", "-m", "init"]), "plan init");
    let sql = std::fs::read_to_string(d.join("migrations/0001_init.sql")).unwrap();
    assert!(
        sql.contains("PRIMARY KEY (\"id\") DEFERRABLE INITIALLY IMMEDIATE")
            && sql.contains("UNIQUE (\"list_id\", \"position\") DEFERRABLE INITIALLY DEFERRED")
            && sql.contains("(\"slot\" WITH =) DEFERRABLE INITIALLY IMMEDIATE"),
        "{sql}"
    );
    let db = support::test_db();
    ok(schemactl_db(d, &db.conninfo, &["apply"]), "apply init");
    ok(
        schemactl_db(d, &db.conninfo, &["drift"]),
        "drift after init",
    );
    assert_eq!(
        deferrability(&db),
        vec![
            ("items_list_id_position_key".to_string(), true, true),
            ("items_pkey".to_string(), true, false),
            ("items_slot_excl".to_string(), true, false),
        ]
    );

    // What DEFERRABLE INITIALLY DEFERRED is for: two positions swapped one row at a time.
    let mut c = db.connect();
    c.batch_execute("INSERT INTO items VALUES (1, 1, 1, NULL), (2, 1, 2, NULL)")
        .unwrap();
    c.batch_execute(
        "BEGIN; UPDATE items SET position = 2 WHERE id = 1; \
         UPDATE items SET position = 1 WHERE id = 2; COMMIT",
    )
    .unwrap();
    // A duplicate still fails, at commit.
    let err = c
        .batch_execute("BEGIN; UPDATE items SET position = 1 WHERE id = 1; COMMIT")
        .unwrap_err();
    assert!(
        err.as_db_error()
            .is_some_and(|e| e.constraint() == Some("items_list_id_position_key")),
        "{err:?}"
    );
    c.batch_execute("ROLLBACK").ok();

    // Changed deferrability: dropped and added again, online (the table exists).
    std::fs::write(
        d.join("schema/items.toml"),
        items("false", "\"immediate\"", "\"deferred\""),
    )
    .unwrap();
    ok(schemactl(d, &["plan", "-m", "defer"]), "plan defer");
    let sql = std::fs::read_to_string(d.join("migrations/0002_defer.sql")).unwrap();
    assert!(
        sql.contains("ADD CONSTRAINT \"items_pkey\" PRIMARY KEY USING INDEX \"items_pkey_new\";")
            && sql.contains(
                "UNIQUE USING INDEX \"items_list_id_position_key_new\" DEFERRABLE INITIALLY IMMEDIATE;"
            )
            && sql.contains("(\"slot\" WITH =) DEFERRABLE INITIALLY DEFERRED;"),
        "{sql}"
    );
    // The keys are never missing: each is dropped in the transaction that adds its successor,
    // after the successor's index is built.
    for key in ["items_pkey", "items_list_id_position_key"] {
        let built = sql
            .find(&format!("CREATE UNIQUE INDEX CONCURRENTLY \"{key}_new\""))
            .unwrap_or_else(|| panic!("{sql}"));
        let dropped = sql
            .find(&format!("DROP CONSTRAINT \"{key}\";\nALTER TABLE"))
            .unwrap_or_else(|| panic!("{sql}"));
        assert!(built < dropped, "{sql}");
    }
    ok(schemactl_db(d, &db.conninfo, &["apply"]), "apply defer");
    ok(
        schemactl_db(d, &db.conninfo, &["drift"]),
        "drift after defer",
    );
    assert_eq!(
        deferrability(&db),
        vec![
            ("items_list_id_position_key".to_string(), true, false),
            ("items_pkey".to_string(), false, false),
            ("items_slot_excl".to_string(), true, true),
        ]
    );
    // Now the key is checked per statement again: a one-row-at-a-time swap fails.
    assert!(
        c.batch_execute(
            "BEGIN; UPDATE items SET position = 2 WHERE id = 2; \
             UPDATE items SET position = 1 WHERE id = 1; COMMIT",
        )
        .is_err()
    );
    c.batch_execute("ROLLBACK").ok();

    // The down file restores the first deferrability.
    ok(
        schemactl_db(d, &db.conninfo, &["rollback", "--to", "1"]),
        "rollback",
    );
    assert_eq!(
        deferrability(&db),
        vec![
            ("items_list_id_position_key".to_string(), true, true),
            ("items_pkey".to_string(), true, false),
            ("items_slot_excl".to_string(), true, false),
        ]
    );
}

#[test]
fn inspect_writes_deferrable_keys_and_they_round_trip() {
    let db = support::test_db();
    db.connect()
        .batch_execute(
            "CREATE TABLE t (id int, code text, n int, \
               CONSTRAINT t_pkey PRIMARY KEY (id) DEFERRABLE INITIALLY DEFERRED, \
               CONSTRAINT t_code_key UNIQUE (code) DEFERRABLE, \
               CONSTRAINT t_n_excl EXCLUDE USING btree (n WITH =) DEFERRABLE)",
        )
        .unwrap();
    let dir = project(&[]);
    let d = dir.path();
    let out = ok(schemactl_db(d, &db.conninfo, &["inspect"]), "inspect");
    assert!(out.contains("Everything was expressed"), "{out}");
    let files = std::fs::read_to_string(d.join("schema/public.toml")).unwrap();
    assert!(
        files.contains("primary_key_deferrable = \"deferred\""),
        "{files}"
    );
    // A deferrable single-column unique is written in the table form, not `unique = true`.
    assert!(
        files.contains("[[tables.t.unique]]\ncolumns = [\"code\"]\ndeferrable = \"immediate\""),
        "{files}"
    );
    assert!(
        files.contains("columns = [{ column = \"n\", with = \"=\" }]\ndeferrable = \"immediate\""),
        "{files}"
    );
    // Planned from empty into a second database: the same constraints.
    ok(schemactl(d, &["plan", "-m", "init"]), "plan");
    let db2 = support::test_db();
    ok(schemactl_db(d, &db2.conninfo, &["apply"]), "apply");
    ok(schemactl_db(d, &db2.conninfo, &["drift"]), "drift");
    assert_eq!(deferrability_of(&db, "t"), deferrability_of(&db2, "t"));
    assert_eq!(deferrability_of(&db, "t").len(), 3);
}

#[test]
fn a_bad_deferrable_value_or_a_deferrable_key_without_a_key_is_refused() {
    let bad = "[tables.t.columns]\nid = { type = \"integer\" }\n\n\
               [[tables.t.unique]]\ncolumns = [\"id\"]\ndeferrable = \"later\"\n";
    let dir = project(&[("schemactl.toml", ""), ("schema/t.toml", bad)]);
    let out = schemactl(dir.path(), &["plan", "-m", "x"]);
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    let err = said(&out);
    assert!(err.contains("t.toml:6:") && err.contains("later"), "{err}");
    assert!(!dir.path().join("migrations").exists());

    let no_key = "[tables.t]\nprimary_key_deferrable = true\n\n\
                  [tables.t.columns]\nid = { type = \"integer\" }\n";
    let dir = project(&[("schemactl.toml", ""), ("schema/t.toml", no_key)]);
    let out = schemactl(dir.path(), &["plan", "-m", "x"]);
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    let err = said(&out);
    assert!(
        err.contains("t.toml:2:") && err.contains("primary key it does not declare"),
        "{err}"
    );

    // PostgreSQL refuses a foreign key to a deferrable key; so does the compiler.
    let referenced = "[tables.p]\nprimary_key_deferrable = \"deferred\"\n\n\
                      [tables.p.columns]\nid = { type = \"integer\", primary_key = true }\n\n\
                      [tables.c.columns]\nid = { type = \"integer\", primary_key = true }\n\
                      p_id = { type = \"integer\", references = \"p.id\" }\n";
    let dir = project(&[("schemactl.toml", ""), ("schema/t.toml", referenced)]);
    let out = schemactl(dir.path(), &["plan", "-m", "x"]);
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    let err = said(&out);
    assert!(
        err.contains("t.toml:9:") && err.contains("whose key is deferrable"),
        "{err}"
    );
    assert!(!dir.path().join("migrations").exists());
}
