//! Terminal output (issue 13, item 4): diagnostics and plans in colour with `--color always`
//! (snapshots with the escapes), plain with `--color never`, `NO_COLOR` and in pipes; and
//! `apply` streaming its progress while it runs.

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use support::project::{project, schemactl, text};

const BAD: &str = "[tables.t.columns]\nid = { tpye = \"integer\" }\n";
const GOOD: &str = "[tables.t.columns]\nid = { type = \"integer\", primary_key = true }\nold = { type = \"text\" }\n";
const DROPPED: &str = "[tables.t.columns]\nid = { type = \"bigint\", primary_key = true }\n";

fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_schemactl"));
    cmd.arg("--project")
        .arg(dir)
        .args(args)
        .env_remove("NO_COLOR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// The text with the temp dir's path replaced, for snapshots.
fn stable(s: &str, dir: &Path) -> String {
    s.replace(&dir.display().to_string(), "<project>")
}

#[test]
fn diagnostics_are_coloured_only_when_asked() {
    let dir = project(&[("schemactl.toml", ""), ("schema/s.toml", BAD)]);
    let d = dir.path();
    let always = run(d, &["--color", "always", "check"], &[]);
    assert_eq!(always.status.code(), Some(2));
    let err = text(&always.stderr);
    assert!(err.contains("\x1b["), "{err}");
    insta::assert_snapshot!("diagnostic_in_colour", stable(&err, d));
    // --color never, NO_COLOR with auto, and a pipe (auto): no escapes, same words.
    for (args, env) in [
        (&["--color", "never", "check"][..], &[][..]),
        (&["check"], &[("NO_COLOR", "1")][..]),
        (&["check"], &[]),
    ] {
        let out = run(d, args, env);
        let plain = text(&out.stderr);
        assert!(!plain.contains('\x1b'), "{args:?} {env:?}: {plain:?}");
        assert!(
            plain.contains("error[unknown-key]: unknown key `tpye`"),
            "{plain}"
        );
        assert!(plain.contains(" --> schema/s.toml:2:8"), "{plain}");
        assert!(plain.contains("= hint: did you mean `type`?"), "{plain}");
    }
    insta::assert_snapshot!(
        "diagnostic_plain",
        stable(
            &text(&run(d, &["--color", "never", "check"], &[]).stderr),
            d
        )
    );
}

#[test]
fn plan_hazards_are_highlighted_in_colour() {
    let dir = project(&[("schemactl.toml", ""), ("schema/s.toml", GOOD)]);
    let d = dir.path();
    let out = schemactl(d, &["plan", "-m", "init"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    std::fs::write(d.join("schema/s.toml"), DROPPED).unwrap();
    let coloured = run(
        d,
        &[
            "--color",
            "always",
            "plan",
            "--dry-run",
            "--allow",
            "deletes_data",
        ],
        &[],
    );
    assert_eq!(
        coloured.status.code(),
        Some(0),
        "{}",
        text(&coloured.stderr)
    );
    let s = text(&coloured.stdout);
    let list: String = s
        .lines()
        .take_while(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!("plan_hazards_in_colour", list);
    let plain = run(d, &["plan", "--dry-run", "--allow", "deletes_data"], &[]);
    assert!(!text(&plain.stdout).contains('\x1b'));
    assert!(
        text(&plain.stdout)
            .contains("drop-column public.t.old [hazards: deletes_data, breaks_clients]"),
        "{}",
        text(&plain.stdout)
    );
}

#[test]
fn apply_streams_progress_while_it_runs() {
    let dir = project(&[("schemactl.toml", ""), ("schema/s.toml", GOOD)]);
    let d = dir.path();
    let out = schemactl(d, &["plan", "-m", "init"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let slow = d.join("slow.sql");
    std::fs::write(&slow, "SELECT pg_sleep(3);\n").unwrap();
    let out = schemactl(
        d,
        &[
            "new",
            "-m",
            "wait_a_little",
            "--sql",
            slow.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let db = support::test_db();
    let mut child = Command::new(env!("CARGO_BIN_EXE_schemactl"))
        .arg("--project")
        .arg(d)
        .args(["--db", &db.conninfo, "apply"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let mut seen = Vec::new();
    // The line for the slow step arrives while the step runs, before apply ends.
    loop {
        let line = lines
            .next()
            .unwrap_or_else(|| panic!("stderr ended without the slow step: {seen:?}"))
            .unwrap();
        seen.push(line.clone());
        if line.contains("hand-written wait_a_little") {
            break;
        }
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "apply had already finished when the step's line arrived: {seen:?}"
    );
    assert_eq!(seen[0], "[1/2] 0001_init …", "{seen:?}");
    assert!(
        seen.iter()
            .any(|l| l.starts_with("[1/2] 0001_init: applied in ")),
        "{seen:?}"
    );
    assert!(
        seen.iter()
            .any(|l| l
                .starts_with("[2/2] 0002_wait_a_little: step 1: hand-written wait_a_little (at ")),
        "{seen:?}"
    );
    let rest: Vec<String> = lines.map(|l| l.unwrap()).collect();
    let status = child.wait().unwrap();
    assert!(status.success(), "{seen:?} {rest:?}");
    assert!(
        rest.iter()
            .any(|l| l.starts_with("[2/2] 0002_wait_a_little: applied in 3")),
        "{rest:?}"
    );
    // -q and JSON: no progress.
    let out = Command::new(env!("CARGO_BIN_EXE_schemactl"))
        .arg("--project")
        .arg(d)
        .args(["--db", &db.conninfo, "-q", "apply"])
        .output()
        .unwrap();
    assert_eq!(text(&out.stderr), "");
}
