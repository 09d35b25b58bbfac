//! `apply` against real PostgreSQL: history, lock, atomicity, tamper refusal.

mod support;

use std::time::Duration;

use schemactl::apply::{self, ApplyError, History, Status};
use schemactl::migrations::{self, Chain, Layout};
use support::project::*;

fn chain(dir: &std::path::Path) -> Chain {
    migrations::load(&Layout::new(dir)).unwrap_or_else(|p| panic!("{p:?}"))
}

/// What `schemactl hash` does: re-write the sum file after a reviewed hand edit.
fn rehash(dir: &std::path::Path) {
    let files = migrations::rehash(&Layout::new(dir)).unwrap_or_else(|p| panic!("{p:?}"));
    migrations::write_files(&files).unwrap();
}

fn opts() -> apply::Options {
    apply::Options {
        lock_timeout: Duration::from_secs(60),
        ..Default::default()
    }
}

fn history() -> History {
    History {
        schema: "schemactl".into(),
    }
}

fn tables(client: &mut postgres::Client) -> Vec<String> {
    client
        .query(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[test]
fn example_chain_applies_once_and_records_history() {
    let db = support::test_db();
    let mut client = db.connect();
    let root = repo_root();
    let c = chain(&root);
    let report = apply::apply(&mut client, &history(), &c, &opts()).unwrap();
    assert_eq!(report.applied.len(), c.migrations.len());
    // One `applied` row per migration (a migration with several segments also logs the
    // segments it completed as `partial` rows before).
    let all = history().rows(&mut client).unwrap();
    let rows: Vec<_> = all.iter().filter(|r| r.status == Status::Applied).collect();
    assert_eq!(rows.len(), c.migrations.len());
    for (row, m) in rows.iter().zip(&c.migrations) {
        assert_eq!(row.name, m.stem);
        assert_eq!(row.link, m.link.to_string());
        assert_eq!(row.applied_by, "postgres");
    }
    // Again: nothing to do, no new rows.
    let report = apply::apply(&mut client, &history(), &c, &opts()).unwrap();
    assert!(report.applied.is_empty());
    assert_eq!(history().rows(&mut client).unwrap().len(), all.len());
    assert!(tables(&mut client).contains(&"dispatch_notes".to_string()));
}

#[test]
fn sixteen_concurrent_sessions_apply_each_migration_exactly_once() {
    let db = support::test_db();
    let root = repo_root();
    let c = chain(&root);
    let conninfo = db.conninfo.clone();
    let handles: Vec<_> = (0..16)
        .map(|_| {
            let conninfo = conninfo.clone();
            let c = chain(&root);
            std::thread::spawn(move || {
                let mut client = postgres::Client::connect(&conninfo, postgres::NoTls).unwrap();
                apply::apply(&mut client, &history(), &c, &opts()).map(|r| r.applied.len())
            })
        })
        .collect();
    let applied: Vec<usize> = handles
        .into_iter()
        .map(|h| h.join().unwrap().unwrap())
        .collect();
    assert_eq!(
        applied.iter().sum::<usize>(),
        c.migrations.len(),
        "{applied:?}"
    );
    let mut client = db.connect();
    let rows = history().rows(&mut client).unwrap();
    let applied: Vec<i32> = rows
        .iter()
        .filter(|r| r.status == Status::Applied)
        .map(|r| r.version)
        .collect();
    let expected: Vec<i32> = c.migrations.iter().map(|m| m.version as i32).collect();
    assert_eq!(applied, expected, "each migration applied exactly once");
    assert!(rows.iter().all(|r| r.status != Status::Failed));
}

const GOOD: &str = "[tables.a.columns]\nid = { type = \"int\", primary_key = true }\n";

/// A project with one applied-ready migration whose third statement fails.
fn failing_project() -> tempfile::TempDir {
    let dir = project(&[("schema/s.toml", GOOD)]);
    run_plan(dir.path(), "init");
    std::fs::write(
        dir.path().join("schema/s.toml"),
        format!("{GOOD}[tables.b.columns]\nid = {{ type = \"int\" }}\n[tables.c.columns]\nid = {{ type = \"int\" }}\n[tables.d.columns]\nid = {{ type = \"int\" }}\n"),
    )
    .unwrap();
    run_plan(dir.path(), "more");
    // Break the third statement of 0002 and re-hash, as a hand edit would be.
    let p = dir.path().join("migrations/0002_more.sql");
    let text = std::fs::read_to_string(&p).unwrap();
    let mut n = 0;
    let mut broken = Vec::new();
    for l in text.lines() {
        if l.starts_with("-- step ") {
            n += 1;
        }
        match (
            n == 3,
            l.starts_with("CREATE"),
            l.starts_with("-- step ") || l.is_empty(),
        ) {
            (true, true, _) => broken.push("SELECT * FROM no_such_table;"),
            (true, false, false) => {} // rest of the statement
            _ => broken.push(l),
        }
    }
    let broken = broken.join("\n");
    assert!(n >= 3, "0002 has at least three steps:\n{text}");
    std::fs::write(&p, broken + "\n").unwrap();
    rehash(dir.path());
    dir
}

#[test]
fn a_failing_statement_rolls_back_its_migration_and_is_recorded() {
    let dir = failing_project();
    let db = support::test_db();
    let mut client = db.connect();
    let c = chain(dir.path());
    let err = apply::apply(&mut client, &history(), &c, &opts()).unwrap_err();
    let ApplyError::Failed(f) = &err else {
        panic!("{err}")
    };
    assert_eq!(f.stem, "0002_more");
    assert!(f.step.starts_with("step 3:"), "{}", f.step);
    assert!(f.error.contains("no_such_table"), "{}", f.error);
    // One transactional segment: nothing of 0002 committed.
    assert_eq!((f.segments_done, f.segments_total), (0, 1));
    assert!(!f.part_way() && !f.down && f.transactional);
    // 0001 stays applied; nothing of 0002 remains.
    assert_eq!(tables(&mut client), vec!["a".to_string()]);
    let rows = history().rows(&mut client).unwrap();
    let states: Vec<(&str, Status)> = rows.iter().map(|r| (r.name.as_str(), r.status)).collect();
    assert_eq!(
        states,
        vec![
            ("0001_init", Status::Applied),
            ("0002_more", Status::Failed)
        ]
    );
    assert!(rows[1].error.as_deref().unwrap().contains("no_such_table"));

    // Fix the file, re-hash, apply again: it works.
    let p = dir.path().join("migrations/0002_more.sql");
    let fixed = std::fs::read_to_string(&p).unwrap().replace(
        "SELECT * FROM no_such_table;",
        "CREATE TABLE \"public\".\"d\" (\"id\" integer NOT NULL);",
    );
    std::fs::write(&p, fixed).unwrap();
    rehash(dir.path());
    let report = apply::apply(&mut client, &history(), &chain(dir.path()), &opts()).unwrap();
    assert_eq!(report.applied.len(), 1);
    let all: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
    assert_eq!(tables(&mut client), all);
}

#[test]
fn an_applied_file_that_was_edited_is_refused() {
    let dir = project(&[("schema/s.toml", GOOD)]);
    run_plan(dir.path(), "init");
    let db = support::test_db();
    let mut client = db.connect();
    apply::apply(&mut client, &history(), &chain(dir.path()), &opts()).unwrap();

    let p = dir.path().join("migrations/0001_init.sql");
    let text = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, text.replace("NOT NULL", "NOT NULL DEFAULT 1")).unwrap();
    rehash(dir.path());
    let err = apply::apply(&mut client, &history(), &chain(dir.path()), &opts()).unwrap_err();
    let ApplyError::Mismatch(reasons) = &err else {
        panic!("{err}")
    };
    assert_eq!(reasons.len(), 1);
    assert!(
        reasons[0].contains("migrations/0001_init.sql was edited after it was applied"),
        "{}",
        reasons[0]
    );
}

#[test]
fn apply_up_to_a_version() {
    let db = support::test_db();
    let mut client = db.connect();
    let c = chain(&repo_root());
    let o = apply::Options {
        to: Some(1),
        ..opts()
    };
    let report = apply::apply(&mut client, &history(), &c, &o).unwrap();
    assert_eq!(report.applied.len(), 1);
    assert!(!tables(&mut client).contains(&"dispatch_notes".to_string()));
    let pending = apply::pending(&c, &history().rows(&mut client).unwrap(), None);
    assert_eq!(pending.len(), c.migrations.len() - 1);
}

#[test]
fn non_transactional_statements_run_in_their_own_recorded_segment_and_resume() {
    let dir = project(&[("schema/s.toml", GOOD)]);
    run_plan(dir.path(), "init");
    // A hand-written second migration: a table, a concurrent index, a comment.
    let body = |column: &str| {
        format!(
            "-- step 1: create-table public.big\nCREATE TABLE public.big (id int, v int);\n\n\
             -- schemactl:no-transaction\n-- step 2: create-index public.big.big_v_idx\n\
             CREATE INDEX CONCURRENTLY IF NOT EXISTS big_v_idx ON public.big ({column});\n\n\
             -- step 3: comment public.big\nCOMMENT ON TABLE public.big IS 'done';\n"
        )
    };
    let m = dir.path().join("migrations/0002_big.sql");
    std::fs::write(&m, body("nope")).unwrap();
    rehash(dir.path());
    let db = support::test_db();
    let mut client = db.connect();
    let err = apply::apply(&mut client, &history(), &chain(dir.path()), &opts()).unwrap_err();
    let ApplyError::Failed(f) = &err else {
        panic!("{err}")
    };
    // What the failure reports: segment 1 (step 1) committed, the lone step 2 failed.
    assert!(f.step.starts_with("step 2"), "{err}");
    assert_eq!((f.segments_done, f.segments_total), (1, 3));
    assert_eq!(f.committed_steps, vec!["step 1".to_string()]);
    assert_eq!(f.segment_steps, vec!["step 2".to_string()]);
    assert!(f.part_way() && !f.transactional && !f.down);
    // Segment 1 is committed and recorded; the failure says where it stopped.
    assert!(tables(&mut client).contains(&"big".to_string()));
    let rows = history().rows(&mut client).unwrap();
    let last = rows.last().unwrap();
    assert_eq!(
        (last.name.as_str(), last.status, last.segments_done),
        ("0002_big", Status::Failed, 1)
    );
    let partial = rows.iter().find(|r| r.status == Status::Partial).unwrap();
    assert_eq!(partial.segments_done, 1);

    // Fix the index and resume: segment 1 is unchanged and not run again (it would fail:
    // the table exists).
    std::fs::write(&m, body("v")).unwrap();
    rehash(dir.path());
    let report = apply::apply(&mut client, &history(), &chain(dir.path()), &opts()).unwrap();
    assert_eq!(report.applied.len(), 1);
    let comment: Option<String> = client
        .query_one(
            "SELECT obj_description('public.big'::regclass, 'pg_class')",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(comment.as_deref(), Some("done"));
    let last = history().rows(&mut client).unwrap().pop().unwrap();
    assert_eq!((last.status, last.segments_done), (Status::Applied, 3));
}

#[test]
fn a_partly_applied_migration_whose_done_segments_changed_is_refused() {
    let dir = project(&[("schema/s.toml", GOOD)]);
    run_plan(dir.path(), "init");
    let m = dir.path().join("migrations/0002_big.sql");
    let body = |table: &str| {
        format!(
            "-- step 1: create-table public.{table}\nCREATE TABLE public.{table} (id int);\n\n\
             -- schemactl:no-transaction\n-- step 2: create-index x\nCREATE INDEX CONCURRENTLY x ON public.{table} (nope);\n"
        )
    };
    std::fs::write(&m, body("big")).unwrap();
    rehash(dir.path());
    let db = support::test_db();
    let mut client = db.connect();
    assert!(apply::apply(&mut client, &history(), &chain(dir.path()), &opts()).is_err());
    std::fs::write(&m, body("other")).unwrap();
    rehash(dir.path());
    let err = apply::apply(&mut client, &history(), &chain(dir.path()), &opts()).unwrap_err();
    assert!(
        err.to_string()
            .contains("0002_big stopped after 1 of its segments"),
        "{err}"
    );
}

#[test]
fn a_history_table_from_before_the_rollback_statuses_is_upgraded() {
    let db = support::test_db();
    let mut client = db.connect();
    client
        .batch_execute(
            "CREATE SCHEMA schemactl;
             CREATE TABLE schemactl.history (
                 id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                 version integer NOT NULL, name text NOT NULL, link text NOT NULL,
                 applied_at timestamptz NOT NULL DEFAULT now(),
                 applied_by text NOT NULL DEFAULT current_user,
                 duration_ms bigint NOT NULL DEFAULT 0,
                 status text NOT NULL CHECK (status IN ('applied', 'partial', 'failed', 'rolled_back')),
                 segments_done integer NOT NULL DEFAULT 0, done_hash text, error text);
             INSERT INTO schemactl.history (version, name, link, status) VALUES (1, '0001_x', 'l', 'applied');",
        )
        .unwrap();
    let history = schemactl::apply::History {
        schema: "schemactl".into(),
    };
    history.ensure(&mut client).unwrap();
    client
        .batch_execute("INSERT INTO schemactl.history (version, name, link, status) VALUES (1, '0001_x', 'l', 'rollback_failed')")
        .unwrap();
    assert!(
        client
            .batch_execute("INSERT INTO schemactl.history (version, name, link, status) VALUES (1, '0001_x', 'l', 'bogus')")
            .is_err()
    );
    assert_eq!(history.rows(&mut client).unwrap().len(), 2);
    // Idempotent.
    history.ensure(&mut client).unwrap();
}
