//! docs/moving-from-alembic.md, run: every ```sh block of the guide, in order, in a copy of
//! the fixture Alembic project (a git repository, as a team's would be), with production
//! upgraded to the merge revision and staging to one branch by real Alembic. Each block must
//! exit as its fence says (```sh exit=1), and the end state is what the guide promises.

mod support;

use std::path::Path;
use std::process::Command;

use support::dump::pg_bin;
use support::project::text;
use support::python::{alembic, alembic_python, sqlalchemy_url};
use support::test_db;

const GUIDE: &str = "docs/moving-from-alembic.md";
const FIXTURE: &str = "tests/fixtures/alembic/shop";

/// The guide's shell blocks: (expected exit code, script, line of the fence).
fn blocks(guide: &str) -> Vec<(i32, String, usize)> {
    let mut out = Vec::new();
    let mut current: Option<(i32, String, usize)> = None;
    for (i, line) in guide.lines().enumerate() {
        match current.as_mut() {
            Some(_) if line.trim_end() == "```" => out.push(current.take().unwrap()),
            Some((_, script, _)) => {
                script.push_str(line);
                script.push('\n');
            }
            None => {
                let Some(info) = line.strip_prefix("```sh") else {
                    continue;
                };
                let exit = match info.trim() {
                    "" => 0,
                    other => other
                        .strip_prefix("exit=")
                        .and_then(|n| n.parse().ok())
                        .unwrap_or_else(|| panic!("{GUIDE}:{}: bad fence `{line}`", i + 1)),
                };
                current = Some((exit, String::new(), i + 1));
            }
        }
    }
    assert!(current.is_none(), "{GUIDE}: unclosed code block");
    out
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", text(&out.stderr));
}

#[test]
fn the_guide_runs_as_written() {
    let guide = std::fs::read_to_string(GUIDE).unwrap();
    let steps = blocks(&guide);
    assert!(steps.len() >= 6, "{} blocks", steps.len());
    let Some(python) = alembic_python() else {
        return;
    };
    let repo = tempfile::tempdir().unwrap();
    let d = repo.path();
    support::project::copy_tree(Path::new(FIXTURE), d);
    git(d, &["init", "-q"]);
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "the shop with Alembic"]);

    let prod = test_db();
    let staging = test_db();
    let url = |c: &str| sqlalchemy_url(c);
    alembic(
        &python,
        d,
        &[("SHOP_DATABASE_URL", &url(&prod.conninfo))],
        &["upgrade", "heads"],
    );
    alembic(
        &python,
        d,
        &[("SHOP_DATABASE_URL", &url(&staging.conninfo))],
        &["upgrade", "2b3c4d5e6f70"],
    );

    let bin = Path::new(env!("CARGO_BIN_EXE_schemactl")).parent().unwrap();
    let psql = pg_bin("psql");
    let path = format!(
        "{}:{}:{}",
        bin.display(),
        psql.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for (exit, script, line) in &steps {
        let out = Command::new("bash")
            .current_dir(d)
            .args(["-eo", "pipefail", "-c", script])
            .env("PATH", &path)
            .env("PYTHON", &python)
            .env("PROD_URL", &prod.conninfo)
            .env("STAGING_URL", &staging.conninfo)
            .env("GIT_AUTHOR_NAME", "guide")
            .env("GIT_AUTHOR_EMAIL", "guide@example.com")
            .env("GIT_COMMITTER_NAME", "guide")
            .env("GIT_COMMITTER_EMAIL", "guide@example.com")
            .env_remove("SHOP_DATABASE_URL")
            .env_remove("DATABASE_URL")
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(*exit),
            "{GUIDE}:{line}: the block exited {:?}, the guide says {exit}:\n{script}\n--- stdout:\n{}\n--- stderr:\n{}",
            out.status.code(),
            text(&out.stdout),
            text(&out.stderr)
        );
    }

    // What the guide promises at the end: both databases on schemactl's history (production
    // baselined with the Alembic revision it replaced), the coupons migration applied,
    // Alembic's table untouched.
    let mut p = prod.connect();
    let rows: Vec<(String, String, Option<String>)> = p
        .query(
            "SELECT name, status, note FROM schemactl.history ORDER BY id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(rows[0].0, "0001_init", "{rows:?}");
    assert_eq!(rows[0].1, "baselined", "{rows:?}");
    assert_eq!(
        rows[0].2.as_deref(),
        Some("replaces alembic revision 4d5e6f708192")
    );
    assert!(
        rows.iter()
            .any(|r| r.0 == "0002_add_coupons" && r.1 == "applied"),
        "{rows:?}"
    );
    let version: String = p
        .query_one("SELECT version_num::text FROM alembic_version", &[])
        .unwrap()
        .get(0);
    assert_eq!(version, "4d5e6f708192");
    let mut s = staging.connect();
    let n: i64 = s
        .query_one(
            "SELECT count(*) FROM information_schema.tables WHERE table_name IN ('coupons', 'invoices')",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(n, 2);
    let log = Command::new("git")
        .current_dir(d)
        .args(["log", "--oneline"])
        .output()
        .unwrap();
    assert!(
        text(&log.stdout).contains("Adopt schemactl"),
        "{}",
        text(&log.stdout)
    );
}
