//! Online DDL (issue 14, first part): indexes of existing tables built and dropped
//! `CONCURRENTLY` in their own non-transactional steps; a failed concurrent build leaves an
//! INVALID index that the resumed `apply` drops and rebuilds; the hazard follows the form.

mod support;

use std::path::Path;
use std::process::Output;

use support::project::{project, schemactl, schemactl_db, text};

fn said(o: &Output) -> String {
    format!("{}{}", text(&o.stdout), text(&o.stderr))
}

fn ok(o: Output, what: &str) -> String {
    assert_eq!(o.status.code(), Some(0), "{what}: {}", said(&o));
    text(&o.stdout)
}

const T: &str = "[tables.t.columns]\nid = { type = \"integer\", primary_key = true }\ncode = { type = \"text\" }\n";

fn with_index(unique: bool) -> String {
    format!("{T}\n[[tables.t.indexes]]\ncolumns = [\"code\"]\nunique = {unique}\n")
}

fn index_state(db: &support::TestDb) -> Vec<(String, bool)> {
    db.connect()
        .query(
            "SELECT c.relname::text, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
             WHERE c.relname = 't_code_idx'",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

fn migration(dir: &Path, stem: &str) -> String {
    std::fs::read_to_string(dir.join(format!("migrations/{stem}.sql"))).unwrap()
}

#[test]
fn indexes_of_existing_tables_are_built_and_dropped_concurrently() {
    // Only blocks_writes needs an allowance here: the online plan must not need one.
    let dir = project(&[
        (
            "schemactl.toml",
            "[hazards]\nrequire_allow = [\"blocks_writes\"]\n",
        ),
        ("schema/t.toml", T),
    ]);
    let d = dir.path();
    ok(schemactl(d, &["plan", "-m", "init"]), "plan init");
    let db = support::test_db();
    ok(schemactl_db(d, &db.conninfo, &["apply"]), "apply init");
    db.connect()
        .batch_execute("INSERT INTO t SELECT g, 'c' || g FROM generate_series(1, 1000) g")
        .unwrap();

    std::fs::write(d.join("schema/t.toml"), with_index(false)).unwrap();
    let out = ok(schemactl(d, &["plan", "-m", "code_index"]), "plan");
    assert!(!out.contains("blocks_writes"), "{out}");
    let up = migration(d, "0002_code_index");
    assert!(up.contains("-- hazards: none\n"), "{up}");
    assert!(
        up.contains("-- schemactl:no-transaction\n-- step 1: create-index public.t.t_code_idx\nDROP INDEX CONCURRENTLY IF EXISTS \"public\".\"t_code_idx\";\nCREATE INDEX CONCURRENTLY \"t_code_idx\" ON \"public\".\"t\""),
        "{up}"
    );
    let down = std::fs::read_to_string(d.join("migrations/0002_code_index.down.sql")).unwrap();
    assert!(
        down.contains("DROP INDEX CONCURRENTLY \"public\".\"t_code_idx\";"),
        "{down}"
    );
    ok(schemactl_db(d, &db.conninfo, &["apply"]), "apply");
    assert_eq!(index_state(&db), [("t_code_idx".to_string(), true)]);
    ok(schemactl_db(d, &db.conninfo, &["drift"]), "drift");
    ok(schemactl(d, &["verify", "--dev"]), "verify --dev");

    // Dropped concurrently too, and back through the down file.
    std::fs::write(d.join("schema/t.toml"), T).unwrap();
    ok(schemactl(d, &["plan", "-m", "no_code_index"]), "plan drop");
    let up = migration(d, "0003_no_code_index");
    assert!(
        up.contains("-- schemactl:no-transaction\n-- step 1: drop-index public.t.t_code_idx\nDROP INDEX CONCURRENTLY \"public\".\"t_code_idx\";"),
        "{up}"
    );
    ok(schemactl_db(d, &db.conninfo, &["apply"]), "apply drop");
    assert!(index_state(&db).is_empty());
    ok(
        schemactl_db(d, &db.conninfo, &["rollback", "--to", "2"]),
        "rollback",
    );
    assert_eq!(index_state(&db), [("t_code_idx".to_string(), true)]);
}

#[test]
fn a_failed_concurrent_build_leaves_an_invalid_index_that_the_resumed_apply_rebuilds() {
    let dir = project(&[("schemactl.toml", ""), ("schema/t.toml", T)]);
    let d = dir.path();
    ok(schemactl(d, &["plan", "-m", "init"]), "plan init");
    let db = support::test_db();
    ok(schemactl_db(d, &db.conninfo, &["apply"]), "apply init");
    db.connect()
        .batch_execute("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'a')")
        .unwrap();
    std::fs::write(d.join("schema/t.toml"), with_index(true)).unwrap();
    let out = ok(schemactl(d, &["plan", "-m", "unique_code"]), "plan");
    assert!(
        out.contains("may_fail_on_data") && !out.contains("blocks_writes"),
        "{out}"
    );

    // The duplicate fails the build: exit 3, and PostgreSQL leaves an INVALID index.
    let failed = schemactl_db(d, &db.conninfo, &["apply"]);
    assert_eq!(failed.status.code(), Some(3), "{}", said(&failed));
    assert!(said(&failed).contains("t_code_idx"), "{}", said(&failed));
    assert_eq!(index_state(&db), [("t_code_idx".to_string(), false)]);
    // The catalog reader does not count it as present.
    let status = schemactl_db(d, &db.conninfo, &["status"]);
    assert!(
        said(&status).contains("0002_unique_code"),
        "{}",
        said(&status)
    );

    // Rows fixed, the next apply drops the invalid index and builds it again.
    db.connect()
        .batch_execute("UPDATE t SET code = 'c' WHERE id = 3")
        .unwrap();
    ok(schemactl_db(d, &db.conninfo, &["apply"]), "resumed apply");
    assert_eq!(index_state(&db), [("t_code_idx".to_string(), true)]);
    ok(schemactl_db(d, &db.conninfo, &["drift"]), "drift");
}

#[test]
fn indexes_of_new_tables_stay_in_the_transaction() {
    let dir = project(&[
        ("schemactl.toml", ""),
        ("schema/t.toml", &with_index(false)),
    ]);
    let d = dir.path();
    ok(schemactl(d, &["plan", "-m", "init"]), "plan");
    let up = migration(d, "0001_init");
    assert!(!up.contains("CONCURRENTLY"), "{up}");
    assert!(!up.contains("no-transaction"), "{up}");
}
