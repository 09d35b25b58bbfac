//! `--format markdown`: the pull-request comment of `plan`, `status`, `drift`, `diff` and
//! `verify`, as reviewed insta snapshots. The fixture plans a migration with several hazards
//! (deletes_data, rewrites_table gated by the project's policy, blocks_writes,
//! may_fail_on_data) on a table whose name holds `|`, a backtick and `<b>`, which must come
//! out escaped. Databases are real PostgreSQL (tests/support).

mod support;

use std::path::Path;
use std::process::Output;

use support::project::{project, schemactl, schemactl_db, text};

const CONFIG: &str =
    "[project]\nschemas = [\"public\"]\n\n[hazards]\nrequire_allow = [\"rewrites_table\"]\n";

const V1: &str = r#"[tables.accounts.columns]
id = { type = "int", primary_key = true }
email = { type = "text", nullable = true }
n = { type = "integer" }
legacy = { type = "text", nullable = true }

[tables."odd|na`me<b>".columns]
id = { type = "int", primary_key = true }
note = { type = "text", nullable = true }
"#;

const V2: &str = r#"[tables.accounts.columns]
id = { type = "int", primary_key = true }
email = { type = "text" }
n = { type = "bigint" }

[tables."odd|na`me<b>".columns]
id = { type = "int", primary_key = true }

[tables.audit.columns]
id = { type = "bigint", primary_key = true }
what = { type = "text" }
"#;

fn code(out: &Output) -> i32 {
    out.status.code().unwrap()
}

/// The command's stdout, after checking its exit code.
fn stdout(out: Output, want: i32) -> String {
    assert_eq!(
        code(&out),
        want,
        "stdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn md(dir: &Path, args: &[&str]) -> Output {
    let mut all = vec!["--format", "markdown"];
    all.extend_from_slice(args);
    schemactl(dir, &all)
}

fn md_db(dir: &Path, db: &str, args: &[&str]) -> Output {
    let mut all = vec!["--format", "markdown"];
    all.extend_from_slice(args);
    schemactl_db(dir, db, &all)
}

/// A project at V1 with its first migration planned, and V2 in schema/.
fn fixture() -> tempfile::TempDir {
    let dir = project(&[("schemactl.toml", CONFIG), ("schema/main.toml", V1)]);
    stdout(schemactl(dir.path(), &["plan", "-m", "init"]), 0);
    std::fs::write(dir.path().join("schema/main.toml"), V2).unwrap();
    dir
}

const ALLOW: [&str; 4] = ["--allow", "deletes_data", "--allow", "rewrites_table"];

#[test]
fn plan_markdown_with_several_hazards() {
    let dir = fixture();
    let before: Vec<_> = std::fs::read_dir(dir.path().join("migrations"))
        .unwrap()
        .collect();

    // Gated hazards not allowed: the comment says which, and nothing is written.
    let refused = stdout(md(dir.path(), &["plan", "-m", "tighten"]), 1);
    insta::assert_snapshot!("plan_refused", refused);
    assert_eq!(
        std::fs::read_dir(dir.path().join("migrations"))
            .unwrap()
            .count(),
        before.len()
    );

    // `--check` in CI: the missing migration, and exit 1.
    let check = stdout(md(dir.path(), &["plan", "--check", "-m", "tighten"]), 1);
    assert!(
        check.contains("schema/ has changes with no migration written"),
        "{check}"
    );

    // Allowed: written, the allowances recorded in the header and shown.
    let mut args = vec!["plan", "-m", "tighten"];
    args.extend(ALLOW);
    let written = stdout(md(dir.path(), &args), 0);
    insta::assert_snapshot!("plan_written", written);
    let file = std::fs::read_to_string(dir.path().join("migrations/0002_tighten.sql")).unwrap();
    assert!(
        file.contains("-- allowed: deletes_data, rewrites_table\n"),
        "{file}"
    );

    // Nothing left to plan.
    let unchanged = stdout(md(dir.path(), &["plan", "--check"]), 0);
    insta::assert_snapshot!("plan_unchanged", unchanged);
}

#[test]
fn markdown_of_commands_without_it_is_refused() {
    let dir = fixture();
    let out = md(dir.path(), &["check"]);
    assert_eq!(code(&out), 2);
    assert!(text(&out.stdout).is_empty());
    assert!(
        text(&out.stderr).contains("`check` has no Markdown output"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn status_drift_and_diff_markdown_on_a_real_database() {
    let dir = fixture();
    let db = support::test_db();
    // The database at 0001; 0002 planned (with its allowances) and pending.
    std::fs::write(dir.path().join("schema/main.toml"), V1).unwrap();
    stdout(schemactl_db(dir.path(), &db.conninfo, &["apply"]), 0);
    std::fs::write(dir.path().join("schema/main.toml"), V2).unwrap();
    let mut args = vec!["plan", "-m", "tighten"];
    args.extend(ALLOW);
    stdout(schemactl(dir.path(), &args), 0);

    let status = stdout(md_db(dir.path(), &db.conninfo, &["status"]), 0);
    insta::assert_snapshot!("status_pending", status);

    let mut args = vec!["apply"];
    args.extend(ALLOW);
    stdout(schemactl_db(dir.path(), &db.conninfo, &args), 0);
    let clean = stdout(md_db(dir.path(), &db.conninfo, &["drift"]), 0);
    insta::assert_snapshot!("drift_clean", clean);

    // A change made by hand, outside the migrations.
    let mut client = db.connect();
    client
        .batch_execute("ALTER TABLE accounts ADD COLUMN \"sneaky|col\" text; DROP TABLE audit;")
        .unwrap();
    let drift = stdout(md_db(dir.path(), &db.conninfo, &["drift"]), 1);
    insta::assert_snapshot!("drift", drift);
    let diff = stdout(md_db(dir.path(), &db.conninfo, &["diff"]), 1);
    insta::assert_snapshot!("diff", diff);
}

#[test]
fn verify_markdown() {
    let dir = fixture();
    let mut args = vec!["plan", "-m", "tighten"];
    args.extend(ALLOW);
    stdout(schemactl(dir.path(), &args), 0);
    let verify = stdout(md(dir.path(), &["verify", "--dev"]), 0);
    insta::assert_snapshot!("verify", verify);
}
