//! Hand-written migrations (issue 13, item 6): `schemactl new` between generated ones —
//! applied, verified, rolled back with its own down file, tampering detected — and a
//! hand-written step added to a generated migration, sealed with `hash`.

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

const V1: &str = "[tables.items.columns]\nid = { type = \"integer\", primary_key = true }\nstatus = { type = \"text\", nullable = true }\n";
const V2: &str = "[tables.items.columns]\nid = { type = \"integer\", primary_key = true }\nstatus = { type = \"text\" }\n";

fn statuses(db: &support::TestDb) -> Vec<Option<String>> {
    db.connect()
        .query("SELECT status FROM items ORDER BY id", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

fn migration(dir: &Path, prefix: &str) -> std::path::PathBuf {
    std::fs::read_dir(dir.join("migrations"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with(prefix) && !n.ends_with(".down.sql") && n.ends_with(".sql")
        })
        .unwrap_or_else(|| panic!("no migration {prefix}"))
}

#[test]
fn a_data_migration_between_generated_ones_applies_verifies_rolls_back_and_is_sealed() {
    let dir = project(&[("schemactl.toml", ""), ("schema/items.toml", V1)]);
    let d = dir.path();
    ok(schemactl(d, &["plan", "-m", "init"]), "plan init");
    let db = support::test_db();
    ok(schemactl_db(d, &db.conninfo, &["apply"]), "apply init");
    db.connect()
        .batch_execute("INSERT INTO items VALUES (1, NULL), (2, 'closed'), (3, NULL)")
        .unwrap();

    // The backfill, declared as may_fail_on_data; deletes_data would need --allow.
    std::fs::write(
        d.join("backfill.sql"),
        "UPDATE items SET status = 'active' WHERE status IS NULL;\n",
    )
    .unwrap();
    std::fs::write(
        d.join("undo.sql"),
        "UPDATE items SET status = NULL WHERE status = 'active';\n",
    )
    .unwrap();
    let (backfill, undo) = (d.join("backfill.sql"), d.join("undo.sql"));
    let (backfill, undo) = (backfill.to_str().unwrap(), undo.to_str().unwrap());
    let refused = schemactl(
        d,
        &[
            "new",
            "-m",
            "backfill_status",
            "--sql",
            backfill,
            "--hazards",
            "deletes_data",
        ],
    );
    assert_eq!(refused.status.code(), Some(1), "{}", said(&refused));
    assert!(
        said(&refused).contains("--allow deletes_data"),
        "{}",
        said(&refused)
    );
    let out = ok(
        schemactl(
            d,
            &[
                "new",
                "-m",
                "backfill_status",
                "--sql",
                backfill,
                "--down-sql",
                undo,
                "--hazards",
                "may_fail_on_data",
            ],
        ),
        "new",
    );
    assert!(out.contains("0002_backfill_status.sql"), "{out}");
    let up = std::fs::read_to_string(migration(d, "0002")).unwrap();
    assert!(up.contains("-- hazards: may_fail_on_data"), "{up}");
    assert!(
        up.contains("-- step 1: hand-written backfill_status\nUPDATE items"),
        "{up}"
    );
    // The snapshot did not change: nothing to plan, the directory checks.
    let plan = ok(schemactl(d, &["plan", "--dry-run"]), "plan");
    assert!(plan.starts_with("No schema changes"), "{plan}");
    ok(schemactl(d, &["check"]), "check");

    // The generated migration after it.
    std::fs::write(d.join("schema/items.toml"), V2).unwrap();
    ok(schemactl(d, &["plan", "-m", "status_not_null"]), "plan v2");
    let applied = ok(schemactl_db(d, &db.conninfo, &["apply"]), "apply");
    assert!(
        applied.contains("0002_backfill_status") && applied.contains("0003_status_not_null"),
        "{applied}"
    );
    assert_eq!(
        statuses(&db),
        [
            Some("active".into()),
            Some("closed".into()),
            Some("active".into())
        ]
    );
    ok(schemactl_db(d, &db.conninfo, &["drift"]), "drift");
    ok(schemactl(d, &["verify", "--dev"]), "verify --dev");

    // Rolled back with its own down file.
    ok(
        schemactl_db(
            d,
            &db.conninfo,
            &["rollback", "--to", "1", "--allow", "may_fail_on_data"],
        ),
        "rollback",
    );
    assert_eq!(statuses(&db), [None, Some("closed".into()), None]);

    // Tampering is detected like any other edit.
    let path = migration(d, "0002");
    let text_now = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text_now.replace("'active'", "'ACTIVE'")).unwrap();
    let check = schemactl(d, &["check"]);
    assert_eq!(check.status.code(), Some(2), "{}", said(&check));
    assert!(
        said(&check).contains("0002_backfill_status"),
        "{}",
        said(&check)
    );
    let apply = schemactl_db(d, &db.conninfo, &["apply"]);
    assert_eq!(apply.status.code(), Some(2), "{}", said(&apply));
}

#[test]
fn templates_are_filled_in_and_sealed_with_hash() {
    let dir = project(&[("schemactl.toml", ""), ("schema/items.toml", V1)]);
    let d = dir.path();
    // Before the schema's first migration there is nothing to put it after.
    let early = schemactl(d, &["new", "-m", "too_early"]);
    assert_eq!(early.status.code(), Some(2), "{}", said(&early));
    ok(schemactl(d, &["plan", "-m", "init"]), "plan");
    let out = ok(
        schemactl(d, &["new", "-m", "fix_statuses", "--no-transaction"]),
        "new",
    );
    assert!(out.contains("schemactl hash"), "{out}");
    ok(schemactl(d, &["check"]), "a fresh template checks");
    let path = migration(d, "0002");
    let template = std::fs::read_to_string(&path).unwrap();
    assert!(
        template.contains("-- schemactl:no-transaction\n-- step 1: hand-written fix_statuses"),
        "{template}"
    );
    // The down file's step runs outside a transaction too (a concurrent build's undo).
    let down = std::fs::read_to_string(path.with_extension("down.sql")).unwrap();
    assert!(
        down.contains("-- schemactl:no-transaction\n-- step 1: hand-written undo fix_statuses"),
        "{down}"
    );
    std::fs::write(
        &path,
        format!("{template}UPDATE items SET status = 'x' WHERE status IS NULL;\n"),
    )
    .unwrap();
    let check = schemactl(d, &["check"]);
    assert_eq!(
        check.status.code(),
        Some(2),
        "edited without hash: {}",
        said(&check)
    );
    ok(schemactl(d, &["hash"]), "hash");
    ok(schemactl(d, &["check"]), "sealed");
    let db = support::test_db();
    ok(schemactl_db(d, &db.conninfo, &["apply"]), "apply");
    ok(schemactl_db(d, &db.conninfo, &["drift"]), "drift");
    let bad = schemactl(d, &["new", "-m", "Bad Name"]);
    assert_eq!(bad.status.code(), Some(2), "{}", said(&bad));
}

#[test]
fn a_generated_migration_carries_a_hand_written_step_before_a_generated_one() {
    let dir = project(&[("schemactl.toml", ""), ("schema/items.toml", V1)]);
    let d = dir.path();
    ok(schemactl(d, &["plan", "-m", "init"]), "plan");
    let db = support::test_db();
    ok(schemactl_db(d, &db.conninfo, &["apply"]), "apply");
    db.connect()
        .batch_execute("INSERT INTO items VALUES (1, NULL), (2, 'b')")
        .unwrap();
    std::fs::write(d.join("schema/items.toml"), V2).unwrap();
    ok(schemactl(d, &["plan", "-m", "status_not_null"]), "plan");
    let path = migration(d, "0002");
    let generated = std::fs::read_to_string(&path).unwrap();
    // As generated (online), SET NOT NULL is proved by a check added NOT VALID, whose
    // VALIDATE, in a segment of its own, fails on the NULL row; the check stays committed.
    let failed = schemactl_db(d, &db.conninfo, &["apply"]);
    assert_eq!(failed.status.code(), Some(3), "{}", said(&failed));
    assert!(
        said(&failed).contains("validate-constraint public.items.items_status_set_not_null"),
        "{}",
        said(&failed)
    );
    // A hand-written step after the committed segment, before the validation, makes it
    // succeed: the resumed apply starts there.
    let marker = "-- schemactl:own-transaction\n-- step 2:";
    assert!(generated.contains(marker), "{generated}");
    let edited = generated.replacen(
        marker,
        &format!("-- schemactl:own-transaction\n-- step 1a: hand-written backfill\nUPDATE items SET status = 'a' WHERE status IS NULL;\n\n{marker}"),
        1,
    );
    assert_ne!(edited, generated);
    std::fs::write(&path, edited).unwrap();
    ok(schemactl(d, &["hash"]), "hash");
    ok(schemactl(d, &["check"]), "check");
    ok(
        schemactl(d, &["plan", "--check"]),
        "the snapshot still matches schema/",
    );
    ok(schemactl_db(d, &db.conninfo, &["apply"]), "apply");
    assert_eq!(statuses(&db), [Some("a".into()), Some("b".into())]);
    ok(schemactl_db(d, &db.conninfo, &["drift"]), "drift");
    ok(schemactl(d, &["verify", "--dev"]), "verify --dev");
}
