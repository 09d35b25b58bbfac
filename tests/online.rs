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
        down.contains("DROP INDEX CONCURRENTLY IF EXISTS \"public\".\"t_code_idx\";"),
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
        up.contains("-- schemactl:no-transaction\n-- step 1: drop-index public.t.t_code_idx\nDROP INDEX CONCURRENTLY IF EXISTS \"public\".\"t_code_idx\";"),
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

    // The duplicate fails the build: exit 3, and PostgreSQL leaves an INVALID index, which
    // the hint mentions.
    let failed = schemactl_db(d, &db.conninfo, &["apply"]);
    assert_eq!(failed.status.code(), Some(3), "{}", said(&failed));
    assert!(said(&failed).contains("t_code_idx"), "{}", said(&failed));
    assert!(
        said(&failed).contains("leaves an INVALID index")
            && !said(&failed).contains("was rolled back"),
        "{}",
        said(&failed)
    );
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

const OWNERS: &str = "[tables.owners.columns]\nid = { type = \"integer\", primary_key = true }\n";

/// `accounts` before: no key, no constraints, `tier` nullable.
const BEFORE: &str = "[tables.accounts.columns]\nid = { type = \"integer\" }\nowner_id = { type = \"integer\" }\ncode = { type = \"text\" }\ntier = { type = \"integer\", nullable = true }\n";

/// `accounts` after: a primary key, a unique, a foreign key, a check, `tier` NOT NULL.
const AFTER: &str = "[tables.accounts.columns]\nid = { type = \"integer\", primary_key = true }\nowner_id = { type = \"integer\", references = \"owners.id\" }\ncode = { type = \"text\", unique = true }\ntier = { type = \"integer\" }\n\n[[tables.accounts.checks]]\nexpr = \"tier > 0\"\n";

fn schema(accounts: &str) -> String {
    format!("{OWNERS}\n{accounts}")
}

/// `(name, validated)` of every constraint of `accounts`, sorted.
fn constraints(db: &support::TestDb) -> Vec<(String, bool)> {
    db.connect()
        .query(
            "SELECT conname::text, convalidated FROM pg_constraint \
             WHERE conrelid = 'public.accounts'::regclass ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

/// A project at `BEFORE` applied to a fresh database holding 1,000 accounts of owner 1.
fn accounts_project(config: &str) -> (tempfile::TempDir, support::TestDb) {
    let dir = project(&[
        ("schemactl.toml", config),
        ("schema/t.toml", &schema(BEFORE)),
    ]);
    ok(schemactl(dir.path(), &["plan", "-m", "init"]), "plan init");
    let db = support::test_db();
    ok(
        schemactl_db(dir.path(), &db.conninfo, &["apply"]),
        "apply init",
    );
    db.connect()
        .batch_execute(
            "INSERT INTO owners VALUES (1), (2);
             INSERT INTO accounts SELECT g, 1, 'c' || g, 1 + g % 3 FROM generate_series(1, 1000) g",
        )
        .unwrap();
    (dir, db)
}

#[test]
fn keys_foreign_keys_checks_and_not_null_are_added_online_and_read_back_equal() {
    // Only blocks_writes needs an allowance: the online plan must take none.
    let (dir, db) = accounts_project("[hazards]\nrequire_allow = [\"blocks_writes\"]\n");
    let d = dir.path();
    std::fs::write(d.join("schema/t.toml"), schema(AFTER)).unwrap();
    // JSON: each step's transaction and lock, and the segments.
    let json = ok(
        schemactl(
            d,
            &["--format", "json", "plan", "--dry-run", "-m", "constraints"],
        ),
        "plan --format json",
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let steps = v["steps"].as_array().unwrap();
    for step in steps {
        let (kind, lock, tx) = (
            step["kind"].as_str().unwrap(),
            step["lock"].as_str().unwrap(),
            step["transaction"].as_str().unwrap(),
        );
        let expected = match kind {
            "create-index" => ("share_update_exclusive", "none"),
            "validate-constraint" => ("share_update_exclusive", "own"),
            "add-foreign-key" => ("share_row_exclusive", "shared"),
            _ => ("access_exclusive", "shared"),
        };
        assert_eq!((lock, tx), expected, "{step}");
    }
    let segments = v["segments"].as_array().unwrap();
    assert!(segments.len() > 1, "{v}");
    assert_eq!(
        segments.last().unwrap()["last_step"].as_u64(),
        Some(steps.len() as u64),
        "{v}"
    );
    let out = ok(schemactl(d, &["plan", "-m", "constraints"]), "plan");
    assert!(!out.contains("blocks_writes"), "{out}");
    assert!(out.contains("Segments: "), "{out}");
    let up = migration(d, "0002_constraints");
    // Keys from concurrently built unique indexes.
    for key in ["accounts_pkey", "accounts_code_key"] {
        assert!(
            up.contains(&format!(
                "CREATE UNIQUE INDEX CONCURRENTLY \"{key}\" ON \"public\".\"accounts\""
            )),
            "{up}"
        );
    }
    assert!(
        up.contains("ADD CONSTRAINT \"accounts_pkey\" PRIMARY KEY USING INDEX \"accounts_pkey\";"),
        "{up}"
    );
    assert!(
        up.contains(
            "ADD CONSTRAINT \"accounts_code_key\" UNIQUE USING INDEX \"accounts_code_key\";"
        ),
        "{up}"
    );
    // NOT VALID, then VALIDATE in a transaction of its own.
    assert!(
        up.contains("REFERENCES \"public\".\"owners\" (\"id\") NOT VALID;"),
        "{up}"
    );
    assert!(up.contains("CHECK (tier > 0) NOT VALID;"), "{up}");
    for name in [
        "accounts_owner_id_fkey",
        "accounts_tier_check",
        "accounts_tier_set_not_null",
    ] {
        assert!(
            up.contains(&format!(
                "-- schemactl:own-transaction\n-- step {}",
                up.split(&format!("VALIDATE CONSTRAINT \"{name}\""))
                    .next()
                    .unwrap()
                    .rsplit("-- step ")
                    .next()
                    .unwrap()
            )),
            "{name} is validated in its own transaction: {up}"
        );
    }
    // SET NOT NULL after the check that proves it, which then goes.
    assert!(
        up.contains("CHECK (\"tier\" IS NOT NULL) NOT VALID;"),
        "{up}"
    );
    assert!(
        up.contains("ALTER COLUMN \"tier\" SET NOT NULL;\nALTER TABLE \"public\".\"accounts\" DROP CONSTRAINT \"accounts_tier_set_not_null\";"),
        "{up}"
    );
    assert!(
        up.find("VALIDATE CONSTRAINT \"accounts_tier_set_not_null\"") < up.find("SET NOT NULL"),
        "{up}"
    );
    assert!(up.contains("\n-- segments: "), "{up}");

    ok(schemactl_db(d, &db.conninfo, &["apply"]), "apply");
    assert_eq!(
        constraints(&db),
        [
            ("accounts_code_key".to_string(), true),
            ("accounts_owner_id_fkey".to_string(), true),
            ("accounts_pkey".to_string(), true),
            ("accounts_tier_check".to_string(), true),
        ]
    );
    ok(schemactl_db(d, &db.conninfo, &["drift"]), "drift");
    ok(schemactl(d, &["diff", "--db", &db.conninfo]), "diff --db");

    // Back and forth again through the down file.
    ok(
        schemactl_db(d, &db.conninfo, &["rollback", "--to", "1"]),
        "rollback",
    );
    assert!(constraints(&db).is_empty(), "{:?}", constraints(&db));
    ok(schemactl_db(d, &db.conninfo, &["apply"]), "apply again");
    ok(schemactl_db(d, &db.conninfo, &["drift"]), "drift again");
    ok(schemactl(d, &["verify", "--dev"]), "verify --dev");
}

#[test]
fn the_blocking_forms_stay_when_online_is_off() {
    let (dir, _db) = accounts_project("[online]\nenabled = false\n");
    let d = dir.path();
    std::fs::write(d.join("schema/t.toml"), schema(AFTER)).unwrap();
    let out = ok(
        schemactl(
            d,
            &["plan", "-m", "constraints", "--allow", "blocks_writes"],
        ),
        "plan",
    );
    assert!(out.contains("blocks_writes"), "{out}");
    let up = migration(d, "0002_constraints");
    for online in [
        "CONCURRENTLY",
        "NOT VALID",
        "USING INDEX",
        "VALIDATE",
        "segments:",
    ] {
        assert!(!up.contains(online), "{online}: {up}");
    }
}

#[test]
fn a_failing_validate_names_the_constraint_and_resumes_after_the_rows_are_fixed() {
    let (dir, db) = accounts_project("");
    let d = dir.path();
    // Account 7 belongs to no owner.
    db.connect()
        .batch_execute("UPDATE accounts SET owner_id = 99 WHERE id = 7")
        .unwrap();
    std::fs::write(d.join("schema/t.toml"), schema(AFTER)).unwrap();
    ok(schemactl(d, &["plan", "-m", "constraints"]), "plan");
    let failed = schemactl_db(d, &db.conninfo, &["apply"]);
    assert_eq!(failed.status.code(), Some(3), "{}", said(&failed));
    let err = said(&failed);
    assert!(
        err.contains("validate-constraint public.accounts.accounts_owner_id_fkey")
            && err.contains("accounts_owner_id_fkey"),
        "{err}"
    );
    // What committed before the failing VALIDATE stays; the constraint is NOT VALID.
    assert!(
        constraints(&db).contains(&("accounts_owner_id_fkey".to_string(), false)),
        "{:?}",
        constraints(&db)
    );
    let status = said(&schemactl_db(d, &db.conninfo, &["status"]));
    assert!(status.contains("0002_constraints"), "{status}");
    // The server's DETAIL stays on the migration's line.
    let line = status
        .lines()
        .find(|l| l.contains("FAILED"))
        .unwrap_or_else(|| panic!("{status}"));
    assert!(
        line.contains("0002_constraints") && line.contains("is not present in table"),
        "{status}"
    );
    // A rollback would run the whole down file over the part that ran: refused.
    let back = schemactl_db(d, &db.conninfo, &["rollback", "--to", "1"]);
    assert_eq!(back.status.code(), Some(3), "{}", said(&back));
    assert!(
        said(&back).contains("part-way through its apply")
            && said(&back).contains("0002_constraints stopped after"),
        "{}",
        said(&back)
    );
    assert!(
        constraints(&db).contains(&("accounts_owner_id_fkey".to_string(), false)),
        "{:?}",
        constraints(&db)
    );

    db.connect()
        .batch_execute("UPDATE accounts SET owner_id = 2 WHERE id = 7")
        .unwrap();
    ok(schemactl_db(d, &db.conninfo, &["apply"]), "resumed apply");
    assert!(
        constraints(&db).iter().all(|(_, validated)| *validated),
        "{:?}",
        constraints(&db)
    );
    ok(schemactl_db(d, &db.conninfo, &["drift"]), "drift");
}

#[test]
fn a_concurrent_build_killed_mid_way_is_cleaned_up_and_rebuilt_by_the_next_apply() {
    let dir = project(&[("schemactl.toml", ""), ("schema/t.toml", T)]);
    let d = dir.path();
    ok(schemactl(d, &["plan", "-m", "init"]), "plan init");
    let db = support::test_db();
    ok(schemactl_db(d, &db.conninfo, &["apply"]), "apply init");
    std::fs::write(d.join("schema/t.toml"), with_index(false)).unwrap();
    ok(schemactl(d, &["plan", "-m", "code_index"]), "plan");

    // A transaction that has written to t: the concurrent build, once its INVALID index is
    // in the catalog, waits for it to end.
    let mut writer = db.connect();
    writer
        .batch_execute("BEGIN; INSERT INTO t VALUES (1, 'a')")
        .unwrap();
    let conninfo = db.conninfo.clone();
    let dd = d.to_path_buf();
    let apply = std::thread::spawn(move || schemactl_db(&dd, &conninfo, &["apply"]));
    let mut admin = db.connect();
    let pid: i32 = loop {
        let rows = admin
            .query(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
                 AND query LIKE 'CREATE INDEX CONCURRENTLY%' AND wait_event_type = 'Lock'",
                &[],
            )
            .unwrap();
        if let Some(r) = rows.first() {
            break r.get(0);
        }
        assert!(!apply.is_finished(), "apply ended before the build waited");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(index_state(&db), [("t_code_idx".to_string(), false)]);
    admin
        .execute("SELECT pg_terminate_backend($1)", &[&pid])
        .unwrap();
    let killed = apply.join().unwrap();
    assert_eq!(killed.status.code(), Some(3), "{}", said(&killed));
    // The error names the step, and says the failure could not be recorded.
    assert!(
        said(&killed).contains("failed at step 1: create-index public.t.t_code_idx")
            && said(&killed).contains("the connection was lost"),
        "{}",
        said(&killed)
    );
    writer.batch_execute("COMMIT").unwrap();
    // The INVALID index is left behind, and is not taken for the declared one.
    assert_eq!(index_state(&db), [("t_code_idx".to_string(), false)]);
    let drift = schemactl_db(d, &db.conninfo, &["drift"]);
    assert_ne!(drift.status.code(), Some(0), "{}", said(&drift));

    ok(
        schemactl_db(d, &db.conninfo, &["apply"]),
        "apply after the kill",
    );
    assert_eq!(index_state(&db), [("t_code_idx".to_string(), true)]);
    ok(schemactl_db(d, &db.conninfo, &["drift"]), "drift");
}

#[test]
fn a_rewriting_type_change_is_left_blocking_with_the_expand_contract_hint() {
    let dir = project(&[("schemactl.toml", ""), ("schema/t.toml", T)]);
    let d = dir.path();
    ok(schemactl(d, &["plan", "-m", "init"]), "plan init");
    std::fs::write(
        d.join("schema/t.toml"),
        T.replace("\"integer\"", "\"bigint\""),
    )
    .unwrap();
    let out = ok(
        schemactl(
            d,
            &[
                "--format",
                "json",
                "plan",
                "--dry-run",
                "--allow",
                "rewrites_table",
            ],
        ),
        "plan",
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let step = &v["steps"][0];
    assert_eq!(step["kind"], "alter-column-type", "{v}");
    assert_eq!(step["lock"], "access_exclusive", "{v}");
    let hints = v["hints"].to_string();
    assert!(
        hints.contains("column public.t.id: the type change integer → bigint rewrites the table")
            && hints.contains("expand/contract"),
        "{v}"
    );
    // A new table needs no such advice.
    let fresh = project(&[
        ("schemactl.toml", ""),
        ("schema/t.toml", &T.replace("\"integer\"", "\"bigint\"")),
    ]);
    let out = ok(schemactl(fresh.path(), &["plan", "--dry-run"]), "plan new");
    assert!(!out.contains("expand/contract"), "{out}");
}

#[test]
fn an_invalid_index_left_by_a_failed_build_is_drift_and_diff_drops_it() {
    let dir = project(&[("schemactl.toml", ""), ("schema/t.toml", T)]);
    let d = dir.path();
    ok(schemactl(d, &["plan", "-m", "init"]), "plan init");
    let db = support::test_db();
    ok(schemactl_db(d, &db.conninfo, &["apply"]), "apply init");
    let mut c = db.connect();
    c.batch_execute("INSERT INTO t VALUES (1, 'a'), (2, 'a')")
        .unwrap();
    // A hand-run unique build fails on the duplicate and leaves its INVALID index.
    assert!(
        c.batch_execute("CREATE UNIQUE INDEX CONCURRENTLY stray ON t (code)")
            .is_err()
    );

    let drift = schemactl_db(d, &db.conninfo, &["drift"]);
    assert_eq!(drift.status.code(), Some(1), "{}", said(&drift));
    assert!(
        said(&drift).contains("extra in the database: INVALID index stray on public.t"),
        "{}",
        said(&drift)
    );
    let out = schemactl(d, &["diff", "--db", &db.conninfo]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    let sql = text(&out.stdout);
    assert!(
        sql.contains("DROP INDEX CONCURRENTLY IF EXISTS \"public\".\"stray\";"),
        "{sql}"
    );
    c.batch_execute("DROP INDEX CONCURRENTLY IF EXISTS \"public\".\"stray\"")
        .unwrap();
    ok(
        schemactl_db(d, &db.conninfo, &["drift"]),
        "drift after the drop",
    );
}

#[test]
fn not_null_checks_of_long_column_names_get_names_of_their_own() {
    let cols = |nullable: bool| {
        let n = if nullable { ", nullable = true" } else { "" };
        format!(
            "[tables.invoice.columns]\nid = {{ type = \"bigint\" }}\n\
             notification_preference_for_marketing_emails_a = {{ type = \"text\"{n} }}\n\
             notification_preference_for_marketing_emails_b = {{ type = \"text\"{n} }}\n"
        )
    };
    let dir = project(&[("schemactl.toml", ""), ("schema/t.toml", &cols(true))]);
    let d = dir.path();
    ok(schemactl(d, &["plan", "-m", "init"]), "plan init");
    let db = support::test_db();
    ok(schemactl_db(d, &db.conninfo, &["apply"]), "apply init");
    db.connect()
        .batch_execute("INSERT INTO invoice VALUES (1, 'a', 'b')")
        .unwrap();
    std::fs::write(d.join("schema/t.toml"), cols(false)).unwrap();
    ok(schemactl(d, &["plan", "-m", "not_null"]), "plan");
    let up = migration(d, "0002_not_null");
    let names: Vec<&str> = up
        .lines()
        .filter_map(|l| l.strip_prefix("-- step "))
        .filter(|l| l.contains("add-check"))
        .collect();
    assert_eq!(names.len(), 2, "{up}");
    assert_ne!(
        names[0].rsplit('.').next(),
        names[1].rsplit('.').next(),
        "{up}"
    );
    // Each SET NOT NULL after its own validation.
    for col in ["a", "b"] {
        let set = up
            .find(&format!("emails_{col}\" SET NOT NULL"))
            .unwrap_or_else(|| panic!("{up}"));
        let check = up[..set]
            .rfind("VALIDATE CONSTRAINT")
            .unwrap_or_else(|| panic!("{up}"));
        assert!(check < set, "{up}");
    }
    ok(schemactl_db(d, &db.conninfo, &["apply"]), "apply");
    ok(schemactl_db(d, &db.conninfo, &["drift"]), "drift");
}
