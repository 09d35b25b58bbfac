//! `schemactl rebase` and `schemactl squash --to V`, with real git (branches, merges, an
//! ordinary rebase; earlier snapshots come from git) and real PostgreSQL (`--db` refusals,
//! `verify`, applying the rewritten chains).

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use support::project::{project, schemactl, schemactl_db, text};
use support::test_db;

const CONFIG: &str = "[project]\nschemas = [\"public\"]\n";

const ACCOUNTS: &str = r#"
[tables.accounts.columns]
id = { type = "bigint", identity = "always", primary_key = true }
status = { type = "text", default = "'new'" }
"#;

const ORDERS: &str = r#"
[tables.orders.columns]
id = { type = "bigint", identity = "always", primary_key = true }
account_id = { type = "bigint", references = "accounts.id" }
"#;

const AUDIT: &str = r#"
[tables.audit.columns]
id = { type = "bigint", identity = "always", primary_key = true }
what = { type = "text" }
"#;

fn ok(out: Output) -> String {
    let s = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{s}\nstderr:\n{}",
        text(&out.stderr)
    );
    s
}

fn refused(out: Output, code: i32, needle: &str) -> String {
    let err = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{err}",
        text(&out.stdout)
    );
    assert!(err.contains(needle), "expected `{needle}` in:\n{err}");
    err
}

fn git_out(dir: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
        .args(["-c", "core.editor=true", "-c", "merge.conflictstyle=merge"])
        .args(args)
        .env("GIT_EDITOR", "true")
        .output()
        .expect("git runs")
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_out(dir, args);
    assert!(out.status.success(), "git {args:?}: {}", text(&out.stderr));
    text(&out.stdout)
}

fn commit(dir: &Path, message: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
}

/// Every file under migrations/ and snapshots/ with its content.
fn files(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for sub in ["migrations", "snapshots"] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            out.insert(
                format!("{sub}/{}", p.file_name().unwrap().to_string_lossy()),
                std::fs::read_to_string(&p).unwrap(),
            );
        }
    }
    out
}

fn write(dir: &Path, file: &str, content: &str) {
    std::fs::write(dir.join(file), content).unwrap();
}

/// A repository on `main` with 0001_accounts committed, and a branch `feature` at the same
/// commit.
fn repo() -> tempfile::TempDir {
    let dir = project(&[
        ("schemactl.toml", CONFIG),
        ("schema/accounts.toml", ACCOUNTS),
    ]);
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    ok(schemactl(d, &["plan", "-m", "accounts"]));
    commit(d, "accounts");
    git(d, &["branch", "feature"]);
    dir
}

/// main adds `orders` (0002_orders), feature adds `audit` (0002_audit); in separate schema
/// files, so only migrations/ and snapshots/ collide. Leaves `feature` checked out.
fn parallel_branches(d: &Path) {
    write(d, "schema/orders.toml", ORDERS);
    ok(schemactl(d, &["plan", "-m", "orders"]));
    commit(d, "orders");
    git(d, &["checkout", "-q", "feature"]);
    write(d, "schema/audit.toml", AUDIT);
    ok(schemactl(d, &["plan", "-m", "audit"]));
    commit(d, "audit");
}

/// After rebasing: `check` clean, nothing left to plan, `verify` passes.
fn all_clean(d: &Path, verify_dev: bool) {
    ok(schemactl(d, &["check"]));
    let out = ok(schemactl(d, &["plan", "--check"]));
    assert!(out.contains("No schema changes"), "{out}");
    if verify_dev {
        ok(schemactl(d, &["verify", "--dev"]));
    } else {
        let scratch = test_db();
        ok(schemactl_db(d, &scratch.conninfo, &["verify"]));
    }
}

/// `git merge main` on the feature branch: the sum file and the snapshot conflict, both
/// sides' 0002 files are present. `check` names the fork; `rebase` keeps main's 0002 byte for
/// byte and moves the feature's to 0003 with the same SQL. Afterwards `check` is clean,
/// `verify --dev` passes, and a database that already had main's 0002 applies just 0003.
#[test]
fn rebase_after_a_merge_with_a_sum_conflict() {
    let dir = repo();
    let d = dir.path();
    git(d, &["checkout", "-q", "main"]);
    parallel_branches(d);
    git(d, &["checkout", "-q", "main"]);
    let main_files = files(d);
    // A database that follows main.
    let db = test_db();
    ok(schemactl_db(d, &db.conninfo, &["apply"]));
    git(d, &["checkout", "-q", "feature"]);
    let feature_audit = std::fs::read_to_string(d.join("migrations/0002_audit.sql")).unwrap();

    let merge = git_out(d, &["merge", "main"]);
    assert!(!merge.status.success(), "the sum file conflicts");
    let sum = std::fs::read_to_string(d.join("migrations/schemactl.sum")).unwrap();
    assert!(sum.contains("<<<<<<<"), "{sum}");
    let snap = std::fs::read_to_string(d.join("snapshots/head.toml")).unwrap();
    assert!(
        snap.contains("<<<<<<<"),
        "the snapshot conflicts too:\n{snap}"
    );
    refused(schemactl(d, &["check"]), 2, "schemactl rebase");

    let out = ok(schemactl(d, &["rebase"]));
    assert!(
        out.starts_with("Rebase onto 0002_orders (kept: 0002_orders; target: the branch being merged in (MERGE_HEAD)):\n  0002_audit -> 0003_audit: re-planned: same SQL\n"),
        "{out}"
    );
    assert!(
        out.contains("Removed migrations/0002_audit.sql, migrations/0002_audit.down.sql"),
        "{out}"
    );
    let now = files(d);
    for f in [
        "migrations/0001_accounts.sql",
        "migrations/0002_orders.sql",
        "migrations/0002_orders.down.sql",
    ] {
        assert_eq!(now[f], main_files[f], "{f} is kept as it is");
    }
    assert!(!now.contains_key("migrations/0002_audit.sql"));
    let moved = &now["migrations/0003_audit.sql"];
    assert!(
        moved.starts_with("-- schemactl migration 0003_audit\n"),
        "{moved}"
    );
    // Same body as before.
    let body = |t: &str| {
        t.split_once("\n--\n\n")
            .map(|(_, b)| b.to_string())
            .unwrap()
    };
    assert_eq!(body(moved), body(&feature_audit));
    all_clean(d, true);

    commit(d, "merge main");
    // The database at main's 0002 takes the moved migration.
    let out = ok(schemactl_db(d, &db.conninfo, &["apply"]));
    assert!(out.contains("0003_audit"), "{out}");
    let out = ok(schemactl_db(d, &db.conninfo, &["drift"]));
    assert!(out.starts_with("No drift"), "{out}");

    // Run again: one chain, nothing to do.
    let out = ok(schemactl(d, &["rebase"]));
    assert!(out.starts_with("Nothing to rebase"), "{out}");
}

/// Without a conflict in the sum file: a union merge driver concatenates both sides' lines
/// (two `head` lines, both 0002 entries). With the merge still open (`--no-commit`) the
/// branch merged in is kept; once committed, `rebase` cannot tell which side to keep and asks
/// for `--keep` (exit 2, nothing written). An ordinary `git rebase main` works the same way.
#[test]
fn rebase_without_a_sum_conflict_and_after_git_rebase() {
    let dir = repo();
    let d = dir.path();
    write(
        d,
        ".gitattributes",
        "migrations/schemactl.sum merge=union\n",
    );
    commit(d, "union");
    git(d, &["branch", "-f", "feature"]);
    parallel_branches(d);
    let feature_tip = git(d, &["rev-parse", "HEAD"]);

    // Open merge: MERGE_HEAD names the side to keep.
    let _ = git_out(d, &["merge", "--no-commit", "main"]);
    let sum = std::fs::read_to_string(d.join("migrations/schemactl.sum")).unwrap();
    assert!(!sum.contains("<<<<<<<"), "{sum}");
    assert_eq!(sum.matches("head ").count(), 2, "{sum}");
    let out = ok(schemactl(d, &["rebase"]));
    assert!(
        out.contains("0002_audit -> 0003_audit: re-planned: same SQL"),
        "{out}"
    );
    all_clean(d, false);
    let rebased = files(d);

    // Committed with both sides' files: no git state says which side is whose.
    git(d, &["reset", "-q", "--hard"]);
    git(d, &["clean", "-fdq"]);
    let _ = git_out(d, &["merge", "--no-commit", "main"]);
    commit(d, "merged as is");
    let before = files(d);
    refused(schemactl(d, &["rebase"]), 2, "--keep 0002_");
    assert_eq!(files(d), before, "nothing written");
    let out = ok(schemactl(d, &["rebase", "--keep", "0002_orders"]));
    assert!(out.contains("target: --keep 0002_orders"), "{out}");
    assert_eq!(files(d), rebased);
    all_clean(d, false);

    // An ordinary rebase of the feature branch onto main: HEAD is the branch rebased onto.
    git(d, &["reset", "-q", "--hard", feature_tip.trim()]);
    git(d, &["clean", "-fdq"]);
    let _ = git_out(d, &["rebase", "main"]);
    let out = ok(schemactl(d, &["rebase"]));
    assert!(
        out.contains("target: the branch being rebased onto (HEAD)"),
        "{out}"
    );
    assert!(
        out.contains("0002_audit -> 0003_audit: re-planned: same SQL"),
        "{out}"
    );
    assert_eq!(files(d), rebased);
    all_clean(d, false);
    git(d, &["add", "-A"]);
    git(d, &["rebase", "--continue"]);
    ok(schemactl(d, &["check"]));
}

/// Both branches add `accounts.email`; the feature also makes it unique. Moved onto main, the
/// feature's migration no longer adds the column: the SQL differs, the new plan is written and
/// the difference shown. A database at main's head applies it.
#[test]
fn rebase_replans_an_overlapping_change_and_shows_the_difference() {
    let dir = repo();
    let d = dir.path();
    let with_email = ACCOUNTS.to_string() + "email = { type = \"text\", nullable = true }\n";
    write(d, "schema/accounts.toml", &with_email);
    ok(schemactl(d, &["plan", "-m", "email"]));
    commit(d, "email");
    let db = test_db();
    ok(schemactl_db(d, &db.conninfo, &["apply"]));
    git(d, &["checkout", "-q", "feature"]);
    let unique_email =
        ACCOUNTS.to_string() + "email = { type = \"text\", nullable = true, unique = true }\n";
    write(d, "schema/accounts.toml", &unique_email);
    ok(schemactl(d, &["plan", "-m", "unique_email"]));
    commit(d, "unique email");
    let before = std::fs::read_to_string(d.join("migrations/0002_unique_email.sql")).unwrap();
    assert!(before.contains("ADD COLUMN \"email\""), "{before}");

    let _ = git_out(d, &["merge", "main"]);
    // The user resolves schema/ (both edited the same file).
    write(d, "schema/accounts.toml", &unique_email);
    let out = ok(schemactl(d, &["rebase"]));
    assert!(
        out.contains("0002_unique_email -> 0003_unique_email: re-planned: the SQL differs (both branches changed the same objects)"),
        "{out}"
    );
    assert!(
        out.contains(
            "--- 0002_unique_email.sql (before)\n    +++ 0003_unique_email.sql (re-planned)\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("    - ALTER TABLE \"public\".\"accounts\" ADD COLUMN \"email\""),
        "{out}"
    );
    let after = std::fs::read_to_string(d.join("migrations/0003_unique_email.sql")).unwrap();
    assert!(!after.contains("ADD COLUMN"), "{after}");
    assert!(after.contains("UNIQUE"), "{after}");
    all_clean(d, false);
    let out = ok(schemactl_db(d, &db.conninfo, &["apply"]));
    assert!(out.contains("0003_unique_email"), "{out}");
    let out = ok(schemactl_db(d, &db.conninfo, &["drift"]));
    assert!(out.starts_with("No drift"), "{out}");
}

/// Both branches add `accounts.note` with different types: the combination cannot be planned.
/// `rebase` names the conflicting value, exits 1 and writes nothing.
#[test]
fn rebase_stops_on_a_conflict_and_writes_nothing() {
    let dir = repo();
    let d = dir.path();
    write(
        d,
        "schema/accounts.toml",
        &(ACCOUNTS.to_string() + "note = { type = \"text\", nullable = true }\n"),
    );
    ok(schemactl(d, &["plan", "-m", "note_text"]));
    commit(d, "note text");
    git(d, &["checkout", "-q", "feature"]);
    write(
        d,
        "schema/accounts.toml",
        &(ACCOUNTS.to_string() + "note = { type = \"varchar(20)\", nullable = true }\n"),
    );
    ok(schemactl(d, &["plan", "-m", "note_varchar"]));
    commit(d, "note varchar");
    let _ = git_out(d, &["merge", "main"]);
    let before = files(d);
    let err = refused(
        schemactl(d, &["rebase"]),
        1,
        "0002_note_varchar cannot be moved onto 0002_note_text: both branches changed `schemas.public.tables.accounts.columns[note].type` differently; nothing was written",
    );
    assert!(err.contains("hint: decide in schema/"), "{err}");
    assert_eq!(files(d), before);
    let out = schemactl(d, &["--format", "json", "rebase"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["code"], "rebase-conflict");
    assert_eq!(files(d), before);
}

/// A moved migration applied to the database given with --db: refused, exit 2, nothing
/// written; `--keep` of this branch's side moves the other one instead.
#[test]
fn rebase_refuses_to_move_an_applied_migration() {
    let dir = repo();
    let d = dir.path();
    git(d, &["checkout", "-q", "main"]);
    parallel_branches(d);
    // The feature's 0002 went to a staging database before the merge.
    let staging = test_db();
    ok(schemactl_db(d, &staging.conninfo, &["apply"]));
    let _ = git_out(d, &["merge", "main"]);
    let before = files(d);
    let err = refused(
        schemactl_db(d, &staging.conninfo, &["rebase"]),
        2,
        "0002_audit is applied to",
    );
    assert!(err.contains("nothing was written"), "{err}");
    assert!(err.contains("--keep 0002_audit"), "{err}");
    assert_eq!(files(d), before);
    // Keeping this branch's side moves main's migration, which staging does not have.
    let out = ok(schemactl_db(
        d,
        &staging.conninfo,
        &["rebase", "--keep", "0002_audit"],
    ));
    assert!(out.contains("0002_orders -> 0003_orders"), "{out}");
    all_clean(d, false);
    let out = ok(schemactl_db(d, &staging.conninfo, &["apply"]));
    assert!(out.contains("0003_orders"), "{out}");
}

/// `squash --to 3` of a four-migration chain: one migration builds the schema at 0003, the
/// old 0004 becomes 0002 (same SQL, re-chained). `check` and `verify --dev` pass; a database
/// at 0003 accepts the squashed chain on its next `apply` (history rows recorded), a new
/// database gets the same schema; a database at 0001 or past 0003 is refused.
#[test]
fn squash_replaces_the_first_migrations_and_databases_at_v_follow() {
    let dir = repo();
    let d = dir.path();
    write(d, "schema/orders.toml", ORDERS);
    ok(schemactl(d, &["plan", "-m", "orders"]));
    commit(d, "orders");
    write(
        d,
        "schema/accounts.toml",
        &(ACCOUNTS.to_string() + "email = { type = \"text\", nullable = true }\n"),
    );
    ok(schemactl(d, &["plan", "-m", "email"]));
    commit(d, "email");
    write(d, "schema/audit.toml", AUDIT);
    ok(schemactl(d, &["plan", "-m", "audit"]));
    commit(d, "audit");
    let audit = std::fs::read_to_string(d.join("migrations/0004_audit.sql")).unwrap();

    let at1 = test_db();
    ok(schemactl_db(d, &at1.conninfo, &["apply", "--to", "1"]));
    let at3 = test_db();
    ok(schemactl_db(d, &at3.conninfo, &["apply", "--to", "3"]));
    let at4 = test_db();
    ok(schemactl_db(d, &at4.conninfo, &["apply"]));
    let before = files(d);
    refused(
        schemactl_db(d, &at1.conninfo, &["squash", "--to", "3"]),
        2,
        "it is at 0001, between 0001 and 0002",
    );
    refused(
        schemactl_db(d, &at4.conninfo, &["squash", "--to", "3"]),
        2,
        "it is at 0004, past 0003",
    );
    refused(
        schemactl(d, &["squash", "--to", "9"]),
        2,
        "--to 9 is out of range",
    );
    assert_eq!(files(d), before);

    let out = ok(schemactl_db(d, &at3.conninfo, &["squash", "--to", "3"]));
    assert!(
        out.starts_with(
            "Squashed 3 migrations (0001_accounts .. 0003_email) into 0001_squash_email"
        ),
        "{out}"
    );
    assert!(
        out.contains("0004_audit -> 0002_audit: re-chained, SQL unchanged"),
        "{out}"
    );
    let now = files(d);
    let names: Vec<&str> = now.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "migrations/0001_squash_email.down.sql",
            "migrations/0001_squash_email.sql",
            "migrations/0002_audit.down.sql",
            "migrations/0002_audit.sql",
            "migrations/schemactl.sum",
            "snapshots/head.toml"
        ]
    );
    assert_eq!(now["snapshots/head.toml"], before["snapshots/head.toml"]);
    let squashed = &now["migrations/0001_squash_email.sql"];
    assert!(squashed.contains("-- squashes: 0003_email "), "{squashed}");
    let body = |t: &str| {
        t.split_once("\n--\n\n")
            .map(|(_, b)| b.to_string())
            .unwrap()
    };
    assert_eq!(body(&now["migrations/0002_audit.sql"]), body(&audit));
    all_clean(d, true);

    // Before its first apply, status and drift already read the database at 0003 as at
    // the squashed 0001 (as apply will record it), writing nothing.
    let out = ok(schemactl_db(d, &at3.conninfo, &["status"]));
    assert!(
        out.contains("Current: 0001_squash_email; head: 0002_audit; 1 pending."),
        "{out}"
    );
    let out = ok(schemactl_db(d, &at3.conninfo, &["drift"]));
    assert!(out.starts_with("No drift"), "{out}");
    // The database at 0003 takes the squashed chain: only 0002_audit runs (a dry run says
    // so and writes nothing).
    let out = ok(schemactl_db(d, &at3.conninfo, &["apply", "--dry-run"]));
    assert!(out.contains("0002_audit"), "{out}");
    assert!(!out.contains("0001_squash_email"), "{out}");
    let out = ok(schemactl_db(d, &at3.conninfo, &["apply"]));
    assert!(out.contains("0002_audit"), "{out}");
    assert!(!out.contains("0001_squash_email"), "{out}");
    let out = ok(schemactl_db(d, &at3.conninfo, &["drift"]));
    assert!(out.starts_with("No drift"), "{out}");
    let mut c = at3.connect();
    let rows: Vec<(i32, String, String)> = c
        .query(
            "SELECT version, name, status FROM schemactl.history ORDER BY id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    let expect = |v: i32, n: &str, s: &str| (v, n.to_string(), s.to_string());
    assert_eq!(
        rows,
        vec![
            expect(1, "0001_accounts", "applied"),
            expect(2, "0002_orders", "applied"),
            expect(3, "0003_email", "applied"),
            expect(2, "0002_orders", "rolled_back"),
            expect(3, "0003_email", "rolled_back"),
            expect(1, "0001_squash_email", "baselined"),
            expect(2, "0002_audit", "applied"),
        ]
    );
    ok(schemactl_db(d, &at3.conninfo, &["status", "--check"]));
    // A new database: both migrations run, same schema.
    let fresh = test_db();
    ok(schemactl_db(d, &fresh.conninfo, &["apply"]));
    let out = ok(schemactl_db(d, &fresh.conninfo, &["drift"]));
    assert!(out.starts_with("No drift"), "{out}");
}

/// A hand-written migration (no schema change; `hash` recorded it) after the feature's
/// generated one moves as written: only its header's number and parent change. `check` is
/// clean and `verify` runs it (and its down file).
#[test]
fn rebase_moves_a_hand_written_migration_as_written() {
    let dir = repo();
    let d = dir.path();
    git(d, &["checkout", "-q", "main"]);
    parallel_branches(d);
    let sum = std::fs::read_to_string(d.join("migrations/schemactl.sum")).unwrap();
    let parent = sum.lines().next().unwrap().strip_prefix("head ").unwrap();
    let body = "INSERT INTO \"public\".\"audit\" (\"what\") VALUES ('hello');\n";
    write(
        d,
        "migrations/0003_backfill.sql",
        &format!(
            "-- schemactl migration 0003_backfill\n-- parent: {parent}\n-- hazards: none\n--\n\n{body}"
        ),
    );
    write(
        d,
        "migrations/0003_backfill.down.sql",
        &format!(
            "-- schemactl down migration 0003_backfill\n-- parent: {parent}\n-- hazards: none\n--\n\nDELETE FROM \"public\".\"audit\" WHERE \"what\" = 'hello';\n"
        ),
    );
    ok(schemactl(d, &["hash"]));
    ok(schemactl(d, &["check"]));
    commit(d, "backfill");
    let _ = git_out(d, &["merge", "main"]);
    let out = ok(schemactl(d, &["rebase"]));
    assert!(
        out.contains("  0002_audit -> 0003_audit: re-planned: same SQL\n  0003_backfill -> 0004_backfill: moved as written (it does not change the schema)\n"),
        "{out}"
    );
    let moved = std::fs::read_to_string(d.join("migrations/0004_backfill.sql")).unwrap();
    assert!(
        moved.starts_with("-- schemactl migration 0004_backfill\n-- parent: "),
        "{moved}"
    );
    assert!(moved.ends_with(body), "{moved}");
    assert!(!d.join("migrations/0003_backfill.sql").exists());
    all_clean(d, false);
}

/// Two plans in one commit: the snapshot between them was never in git. `rebase` rebuilds it
/// by replaying the old chain in a throwaway PostgreSQL (and says so); `squash` does the same
/// for the snapshot at V. The results pass `check` and `verify`.
#[test]
fn rebase_and_squash_rebuild_a_snapshot_git_never_saw() {
    let dir = repo();
    let d = dir.path();
    write(d, "schema/orders.toml", ORDERS);
    ok(schemactl(d, &["plan", "-m", "orders"]));
    commit(d, "orders");
    git(d, &["checkout", "-q", "feature"]);
    write(d, "schema/audit.toml", AUDIT);
    ok(schemactl(d, &["plan", "-m", "audit"]));
    write(
        d,
        "schema/audit.toml",
        &(AUDIT.to_string() + "note = { type = \"text\", nullable = true }\n"),
    );
    ok(schemactl(d, &["plan", "-m", "audit_note"]));
    commit(d, "audit and its note, planned twice, committed once");
    let _ = git_out(d, &["merge", "main"]);
    let out = ok(schemactl(d, &["rebase"]));
    assert!(
        out.contains("  0002_audit -> 0003_audit: re-planned: same SQL\n  0003_audit_note -> 0004_audit_note: re-planned: same SQL\n"),
        "{out}"
    );
    assert!(
        out.contains("the snapshot after 0002_audit was rebuilt by replaying the old chain"),
        "{out}"
    );
    all_clean(d, false);
    commit(d, "merge main");

    // The snapshot at 0003 (written by nobody: only the head is stored) is rebuilt too.
    let out = ok(schemactl(d, &["squash", "--to", "3"]));
    assert!(
        out.contains("the snapshot after 0003_audit was rebuilt"),
        "{out}"
    );
    assert!(out.contains("0004_audit_note -> 0002_audit_note"), "{out}");
    all_clean(d, false);
}
