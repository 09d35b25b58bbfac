//! The CI recipe of docs/ci.md runs: its workflow's `run:` steps (all but installing
//! schemactl and posting with `gh`) are executed with `bash -e`, in order, in a fixture
//! project laid out as the workflow's checkouts leave it (the pull request's project, the
//! base branch's in `.schemactl-base`), with the binary under test first on `PATH` and
//! `DATABASE_URL` naming a fresh database on the test server.

mod support;

use std::path::Path;
use std::process::Command;

use support::project::{copy_tree, project, schemactl, text};

/// One `run:` step of the workflow: its name and its script.
#[derive(Debug)]
struct Step {
    name: String,
    script: String,
}

/// The workflow: the one ```yaml block of docs/ci.md.
fn workflow() -> String {
    let doc = std::fs::read_to_string(support::project::repo_root().join("docs/ci.md")).unwrap();
    let blocks: Vec<&str> = doc
        .split("```yaml\n")
        .skip(1)
        .map(|b| b.split("\n```").next().unwrap())
        .collect();
    assert_eq!(blocks.len(), 1, "docs/ci.md has one workflow");
    blocks[0].to_string()
}

/// The `run:` steps, in order. Handles what the recipe uses: `run: command` on one line and
/// `run: |` followed by a block indented deeper than the `run:` key.
fn run_steps(workflow: &str) -> Vec<Step> {
    let lines: Vec<&str> = workflow.lines().collect();
    let mut steps = Vec::new();
    let mut name = String::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim_start().trim_start_matches("- ");
        if let Some(n) = trimmed.strip_prefix("name: ") {
            name = n.to_string();
        }
        if let Some(value) = trimmed.strip_prefix("run:") {
            let indent = line.len() - line.trim_start().len();
            let value = value.trim();
            let script = if value == "|" {
                let mut body = String::new();
                let mut j = i + 1;
                while j < lines.len() {
                    let l = lines[j];
                    let ind = l.len() - l.trim_start().len();
                    if !l.trim().is_empty() && ind <= indent {
                        break;
                    }
                    // bash needs no indentation (the recipe has no heredocs).
                    body.push_str(l.trim_start());
                    body.push('\n');
                    j += 1;
                }
                i = j - 1;
                body
            } else {
                format!("{value}\n")
            };
            steps.push(Step {
                name: name.clone(),
                script,
            });
        }
        i += 1;
    }
    steps
}

/// The steps the test runs: all but installing schemactl and posting the comment.
fn runnable(steps: Vec<Step>) -> Vec<Step> {
    steps
        .into_iter()
        .filter(|s| !s.script.contains("cargo install") && !s.script.contains("gh pr "))
        .collect()
}

const CONFIG: &str = "[project]\nschemas = [\"public\"]\n";
const V1: &str = "[tables.accounts.columns]\nid = { type = \"int\", primary_key = true }\nlegacy = { type = \"text\", nullable = true }\n";
const V2: &str = "[tables.accounts.columns]\nid = { type = \"int\", primary_key = true }\n\n[tables.orders.columns]\nid = { type = \"bigint\", primary_key = true }\naccount = { type = \"int\", references = \"accounts.id\" }\n";
const V3: &str = "[tables.accounts.columns]\nid = { type = \"int\", primary_key = true }\n";

/// Run one step's script as the runner would (bash -e), in `dir`. Returns (exit, output).
fn run(dir: &Path, db: &str, script: &str) -> (i32, String) {
    let bin = Path::new(env!("CARGO_BIN_EXE_schemactl"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .args(["-e", "-o", "pipefail", "-c", script])
        .current_dir(dir)
        .env("PATH", path)
        .env("DATABASE_URL", db)
        .env_remove("PGHOST")
        .env_remove("PGDATABASE")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        format!("{}{}", text(&out.stdout), text(&out.stderr)),
    )
}

/// The base branch (one migration) and a pull request on top of it (`pr_schema` in schema/,
/// planned with `plan_args` unless `None`): the pull request's project, holding the base's
/// checkout in `.schemactl-base` as the workflow leaves it.
fn fixture(pr_schema: &str, plan_args: Option<&[&str]>) -> tempfile::TempDir {
    let dir = project(&[("schemactl.toml", CONFIG), ("schema/main.toml", V1)]);
    let out = schemactl(dir.path(), &["plan", "-m", "init"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let base = tempfile::tempdir().unwrap();
    copy_tree(dir.path(), base.path());
    copy_tree(base.path(), &dir.path().join(".schemactl-base"));
    std::fs::write(dir.path().join("schema/main.toml"), pr_schema).unwrap();
    if let Some(args) = plan_args {
        let out = schemactl(dir.path(), args);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    dir
}

#[test]
fn the_workflow_runs_check_plan_check_verify_and_status() {
    let all = run_steps(&workflow());
    let names: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
    assert!(
        all.iter()
            .any(|s| s.script.contains("cargo install --locked --git")),
        "{names:?}"
    );
    assert!(
        all.iter().any(|s| s.script.contains("gh pr comment")),
        "{names:?}"
    );
    let steps = runnable(all);
    let run_names: Vec<&str> = steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        run_names,
        [
            "schemactl check",
            "schemactl plan --check",
            "schemactl verify --dev",
            "Migrations this pull request adds",
            "Compose the comment",
        ]
    );
    let scripts: String = steps.iter().map(|s| s.script.as_str()).collect();
    for cmd in [
        "schemactl check",
        "schemactl plan --check --format markdown",
        "schemactl verify --dev --format markdown",
        "schemactl status --format markdown",
    ] {
        assert!(scripts.contains(cmd), "the recipe runs `{cmd}`:\n{scripts}");
    }

    // The pull request adds a table and drops a column (allowed, recorded in the header).
    let dir = fixture(
        V2,
        Some(&["plan", "-m", "add_orders", "--allow", "deletes_data"]),
    );
    let db = support::test_db();
    for step in &steps {
        let (exit, output) = run(dir.path(), &db.conninfo, &step.script);
        assert_eq!(
            exit, 0,
            "step `{}` failed:\n{}\n{output}",
            step.name, step.script
        );
    }
    let comment =
        std::fs::read_to_string(dir.path().join(".schemactl-review/comment.txt")).unwrap();
    for part in [
        "### schemactl plan",
        "✅ No schema changes",
        "### schemactl status",
        "**1 pending** · current: 0001\\_init · head: 0002\\_add\\_orders",
        "#### Pending: 0002\\_add\\_orders",
        "allowed when planned (header `-- allowed:`): `deletes_data`",
        "CREATE TABLE",
        "### schemactl verify",
        "✅ The 2 migrations build from an empty database",
    ] {
        assert!(comment.contains(part), "missing `{part}`:\n{comment}");
    }
    // The sections in the order the workflow names their files: plan, status, verify.
    let at = |s: &str| comment.find(s).unwrap();
    assert!(at("### schemactl plan") < at("### schemactl status"));
    assert!(at("### schemactl status") < at("### schemactl verify"));
}

#[test]
fn an_unplanned_change_fails_the_plan_step_with_the_missing_plan_in_its_markdown() {
    let steps = runnable(run_steps(&workflow()));
    // The pull request drops a column and forgets to plan.
    let dir = fixture(V3, None);
    let db = support::test_db();
    let mut failed = Vec::new();
    for step in &steps {
        let (exit, _) = run(dir.path(), &db.conninfo, &step.script);
        if exit != 0 {
            failed.push(step.name.clone());
        }
    }
    assert_eq!(failed, ["schemactl plan --check"]);
    let comment =
        std::fs::read_to_string(dir.path().join(".schemactl-review/comment.txt")).unwrap();
    assert!(
        comment.contains("❌ **schema/ has changes with no migration written**"),
        "{comment}"
    );
    assert!(comment.contains("🔴 `deletes_data`"), "{comment}");
    assert!(comment.contains("DROP COLUMN"), "{comment}");
}
