//! Crash-resume probe: `apply` is killed (SIGKILL) at random moments while it runs a migration
//! of many non-transactional steps (new enum values), and after every kill the database must be
//! in a state the tools recognise: `status` exits 0 and names the migration part-way whenever
//! its latest history row says so, `drift` either finds nothing (nothing or everything of it
//! ran) or refuses (exit 3, part-way) and never offers SQL, and `apply` resumes to the end,
//! after which `drift` is clean.
//!
//! Ignored by default (about a minute); run it with
//!
//! ```sh
//! cargo test --test crash -- --ignored              # 50 kills
//! SCHEMACTL_CRASH_KILLS=200 cargo test --test crash -- --ignored
//! ```

mod support;

use std::process::{Command, Stdio};
use std::time::Duration;

use support::project::*;

use support::project::schemactl_db as run;

const VALUES: usize = 40;

fn schema(values: usize) -> String {
    let labels: Vec<String> = (0..values).map(|i| format!("\"v{i:02}\"")).collect();
    format!(
        "[enums.e]\nvalues = [{}]\n\n[tables.t.columns]\nid = {{ type = \"int\", primary_key = true }}\nx = {{ type = \"e\", nullable = true }}\n",
        labels.join(", ")
    )
}

#[test]
#[ignore = "about a minute: run with `cargo test --test crash -- --ignored`"]
fn kills_during_non_transactional_steps_leave_resumable_states() {
    let kills: usize = std::env::var("SCHEMACTL_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let dir = project(&[("schema/s.toml", &schema(1))]);
    run_plan(dir.path(), "init");
    std::fs::write(dir.path().join("schema/s.toml"), schema(VALUES)).unwrap();
    run_plan(dir.path(), "more_values");

    // How long the whole apply takes here, to spread the kills over it.
    let probe = support::test_db();
    assert_eq!(
        run(dir.path(), &probe.conninfo, &["apply", "--to", "1"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        run(dir.path(), &probe.conninfo, &["apply"]).status.code(),
        Some(0)
    );
    // How long the migration's segments take, from its first history row to its last.
    let span: f64 = probe
        .connect()
        .query_one(
            "SELECT extract(epoch FROM max(applied_at) - min(applied_at))::float8
             FROM schemactl.history WHERE version = 2",
            &[],
        )
        .unwrap()
        .get(0);
    let span = Duration::from_secs_f64(span.max(0.01));

    let (mut part_way, mut clean_before, mut clean_after) = (0, 0, 0);
    for k in 0..kills {
        let db = support::test_db();
        assert_eq!(
            run(dir.path(), &db.conninfo, &["apply", "--to", "1"])
                .status
                .code(),
            Some(0)
        );
        let mut child = Command::new(env!("CARGO_BIN_EXE_schemactl"))
            .arg("--project")
            .arg(dir.path())
            .args(["--db", &db.conninfo, "apply"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Targeted: wait for the migration's first history row (the intent recorded before
        // its first non-transactional segment), then kill at a point spread over 0..1.1 ×
        // the time its segments take, deterministically.
        let mut c = db.connect();
        let start = std::time::Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            let rows: i64 = c
                .query_one(
                    "SELECT count(*) FROM schemactl.history WHERE version = 2",
                    &[],
                )
                .unwrap()
                .get(0);
            if rows > 0 {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        let at = span.mul_f64((k as f64 * 0.618_034).fract() * 1.1);
        std::thread::sleep(at);
        let _ = child.kill();
        let _ = child.wait();

        let latest: Option<String> = c
            .query_opt(
                "SELECT status FROM schemactl.history WHERE version = 2 ORDER BY id DESC LIMIT 1",
                &[],
            )
            .unwrap()
            .map(|r| r.get(0));
        let status = run(dir.path(), &db.conninfo, &["status"]);
        assert_eq!(status.status.code(), Some(0), "{}", text(&status.stderr));
        let shown = text(&status.stdout);
        let drift = run(dir.path(), &db.conninfo, &["drift"]);
        match latest.as_deref() {
            Some("partial") | Some("running") => {
                part_way += 1;
                assert!(
                    shown.contains("part-way through 0002_more_values"),
                    "{shown}"
                );
                assert_eq!(drift.status.code(), Some(3), "{}", text(&drift.stdout));
            }
            None => {
                clean_before += 1;
                assert!(shown.contains("pending  0002_more_values"), "{shown}");
                assert_eq!(drift.status.code(), Some(0), "{}", text(&drift.stdout));
            }
            Some("applied") => {
                clean_after += 1;
                assert_eq!(drift.status.code(), Some(0), "{}", text(&drift.stdout));
            }
            Some(other) => panic!("unexpected state {other} after kill {k}:\n{shown}"),
        }
        assert!(
            !text(&drift.stdout).contains("DROP") && !text(&drift.stdout).contains("RENAME"),
            "drift offered SQL after kill {k}: {}",
            text(&drift.stdout)
        );
        let resumed = run(dir.path(), &db.conninfo, &["apply"]);
        assert_eq!(
            resumed.status.code(),
            Some(0),
            "resume after kill {k} failed: {}",
            text(&resumed.stderr)
        );
        assert_eq!(
            run(dir.path(), &db.conninfo, &["drift"]).status.code(),
            Some(0)
        );
        let labels: i64 = c
            .query_one(
                "SELECT count(*) FROM pg_enum WHERE enumtypid = 'e'::regtype",
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(labels as usize, VALUES);
    }
    eprintln!(
        "{kills} kills: {part_way} part-way, {clean_before} before the migration, {clean_after} after it"
    );
    assert!(part_way > 0, "no kill landed inside the migration");
}
