//! Regression tests for the defects the black-box reliability probe found (issue 9), each
//! through the binary against real PostgreSQL: literals that looked like step markers, `status`
//! as a deploy gate, the crash window of non-transactional steps, hazards that overstated data
//! loss, and hints.

mod support;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use support::project::*;

use support::project::schemactl_db as run;

fn json_of(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr)))
}

#[track_caller]
fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

fn one<T: for<'a> postgres::types::FromSql<'a>>(client: &mut postgres::Client, sql: &str) -> T {
    client.query_one(sql, &[]).unwrap().get(0)
}

fn plan_ok(dir: &Path, name: &str, extra: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_schemactl"))
        .arg("--project")
        .arg(dir)
        .args(["plan", "-m", name])
        .args(extra)
        .output()
        .unwrap();
    assert_exit(&out, 0);
}

// ---------------------------------------------------------------------------------------------
// 1. Step markers inside literals

/// A default, a check and comments whose text holds the step and no-transaction markers on
/// lines of their own, and quotes of every kind: `plan` → `apply` → `drift` is clean, the
/// stored values are exactly the text, and the migration stays one transaction.
#[test]
fn marker_lines_inside_literals_survive_plan_apply_drift() {
    let db = support::test_db();
    let schema = r#"
[tables.t]
comment = "first line\n-- schemactl:no-transaction\n-- step 7: drop-table public.t\nlast 'quoted' \"double\" $$dollar$$ /* block"

[tables.t.columns]
id   = { type = "integer", primary_key = true }
note = { type = "text", default = "x\n-- step 2: y\n  -- schemactl:no-transaction", comment = "*/ -- step 3: z\n-- step 4: w" }
tag  = { type = "text", default = "E'\\\n-- step 5: v" }

[[tables.t.checks]]
expr = "note <> 'a\n-- step 9: b'"
"#;
    let dir = project(&[("schema/s.toml", schema)]);
    plan_ok(dir.path(), "init", &[]);
    let out = run(dir.path(), &db.conninfo, &["apply"]);
    assert_exit(&out, 0);
    let out = run(dir.path(), &db.conninfo, &["drift"]);
    assert_exit(&out, 0);
    let mut c = db.connect();
    let comment: String = one(
        &mut c,
        "SELECT obj_description('public.t'::regclass, 'pg_class')",
    );
    assert_eq!(
        comment,
        "first line\n-- schemactl:no-transaction\n-- step 7: drop-table public.t\nlast 'quoted' \"double\" $$dollar$$ /* block"
    );
    c.batch_execute("INSERT INTO t (id) VALUES (1)").unwrap();
    let note: String = one(&mut c, "SELECT note FROM t");
    assert_eq!(note, "x\n-- step 2: y\n  -- schemactl:no-transaction");
    let tag: String = one(&mut c, "SELECT tag FROM t");
    assert_eq!(tag, "E'\\\n-- step 5: v");
    // One migration, one transactional segment: the history row says so.
    let segments: i32 = one(&mut c, "SELECT segments_done FROM schemactl.history");
    assert_eq!(segments, 1);
}

// ---------------------------------------------------------------------------------------------
// 2. `status` as a gate

fn two_migrations(db: &support::TestDb) -> tempfile::TempDir {
    let dir = project(&[(
        "schema/s.toml",
        "[tables.a.columns]\nid = { type = \"int\", primary_key = true }\n",
    )]);
    plan_ok(dir.path(), "init", &[]);
    std::fs::write(
        dir.path().join("schema/s.toml"),
        "[tables.a.columns]\nid = { type = \"int\", primary_key = true }\nn = { type = \"text\", nullable = true }\n",
    )
    .unwrap();
    plan_ok(dir.path(), "add_n", &[]);
    assert_exit(&run(dir.path(), &db.conninfo, &["apply"]), 0);
    dir
}

#[test]
fn status_fails_on_an_edited_and_rehashed_migration() {
    let db = support::test_db();
    let dir = two_migrations(&db);
    assert_exit(&run(dir.path(), &db.conninfo, &["status"]), 0);
    let path = dir.path().join("migrations/0002_add_n.sql");
    let edited = std::fs::read_to_string(&path).unwrap() + "\nSELECT 1;\n";
    std::fs::write(&path, edited).unwrap();
    assert_exit(&run(dir.path(), &db.conninfo, &["hash"]), 0);

    let out = run(dir.path(), &db.conninfo, &["status"]);
    assert_exit(&out, 1);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("applied  0002_add_n"), "{stdout}");
    assert!(stdout.contains("[MISMATCH]"), "{stdout}");
    assert!(
        stdout.contains("migrations/0002_add_n.sql was edited after it was applied"),
        "{stdout}"
    );
    let err = support::cli::one_line_errors(&text(&out.stderr));
    assert!(
        err.contains("does not match the directory (1 mismatch)"),
        "{err}"
    );
    assert!(!err.contains("hint: \n"), "{err}");

    let out = run(dir.path(), &db.conninfo, &["--format", "json", "status"]);
    assert_exit(&out, 1);
    let v = json_of(&out);
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["mismatches"].as_array().unwrap().len(), 1, "{v}");
    let m = &v["migrations"][1];
    assert_eq!(m["migration"], "0002_add_n");
    assert_eq!(m["state"], "applied");
    assert!(m["mismatch"].as_str().unwrap().contains("edited"), "{v}");
    assert_ne!(m["recorded_link"], m["link"], "{v}");
    assert_eq!(
        v["migrations"][0]["recorded_link"], v["migrations"][0]["link"],
        "{v}"
    );
}

#[test]
fn status_shows_what_the_database_ran_after_a_renumbering() {
    let db = support::test_db();
    let dir = two_migrations(&db);
    // Someone renumbers 0002 to 0003 and puts another migration at 0002: the directory's
    // new 0002 never ran and must not be shown as applied.
    let m = dir.path().join("migrations");
    for (from, to) in [
        ("0002_add_n.sql", "0003_add_n.sql"),
        ("0002_add_n.down.sql", "0003_add_n.down.sql"),
    ] {
        let body = std::fs::read_to_string(m.join(from))
            .unwrap()
            .replace("0002_add_n", "0003_add_n");
        std::fs::remove_file(m.join(from)).unwrap();
        std::fs::write(m.join(to), body).unwrap();
    }
    std::fs::write(
        m.join("0002_other.sql"),
        "-- schemactl migration 0002_other\n--\nSELECT 1;\n",
    )
    .unwrap();
    assert_exit(&run(dir.path(), &db.conninfo, &["hash"]), 0);

    let out = run(dir.path(), &db.conninfo, &["status"]);
    assert_exit(&out, 1);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("applied  0002_add_n") && stdout.contains("[MISMATCH]"),
        "{stdout}"
    );
    assert!(stdout.contains("pending  0002_other"), "{stdout}");
    assert!(!stdout.contains("applied  0002_other"), "{stdout}");
    assert!(!stdout.contains("applied  0003_add_n"), "{stdout}");
    assert!(stdout.contains("pending  0003_add_n"), "{stdout}");
    let v = json_of(&run(
        dir.path(),
        &db.conninfo,
        &["--format", "json", "status"],
    ));
    assert_eq!(v["ok"], false);
    let names: Vec<(String, String, bool)> = v["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["migration"].as_str().unwrap().to_string(),
                m["state"].as_str().unwrap().to_string(),
                m["in_directory"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("0001_init".into(), "applied".into(), true),
            ("0002_add_n".into(), "applied".into(), false),
            ("0002_other".into(), "pending".into(), true),
            ("0003_add_n".into(), "pending".into(), true),
        ]
    );
}

#[test]
fn a_failed_row_of_a_deleted_migration_is_not_shown_against_its_successor() {
    let db = support::test_db();
    let dir = project(&[(
        "schema/s.toml",
        "[tables.a.columns]\nid = { type = \"int\", primary_key = true }\n",
    )]);
    plan_ok(dir.path(), "init", &[]);
    let m = dir.path().join("migrations");
    std::fs::write(
        m.join("0002_broken.sql"),
        "-- schemactl migration 0002_broken\n--\nSELECT * FROM no_such_table;\n",
    )
    .unwrap();
    assert_exit(&run(dir.path(), &db.conninfo, &["hash"]), 0);
    assert_exit(&run(dir.path(), &db.conninfo, &["apply"]), 3);
    std::fs::remove_file(m.join("0002_broken.sql")).unwrap();
    std::fs::write(
        m.join("0002_fixed.sql"),
        "-- schemactl migration 0002_fixed\n--\nSELECT 1;\n",
    )
    .unwrap();
    assert_exit(&run(dir.path(), &db.conninfo, &["hash"]), 0);
    let out = run(dir.path(), &db.conninfo, &["status"]);
    // Nothing of the failed migration is in the database: no mismatch, but its row is its own.
    assert_exit(&out, 0);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("FAILED   0002_broken") && stdout.contains("[not in the directory]"),
        "{stdout}"
    );
    assert!(stdout.contains("pending  0002_fixed"), "{stdout}");
    assert!(!stdout.contains("FAILED   0002_fixed"), "{stdout}");
    assert_exit(&run(dir.path(), &db.conninfo, &["apply"]), 0);
    let out = run(dir.path(), &db.conninfo, &["status"]);
    assert_exit(&out, 0);
    assert!(text(&out.stdout).contains("applied  0002_fixed"));
}

// ---------------------------------------------------------------------------------------------
// 3. The crash window of non-transactional steps

/// A migration with a non-transactional step that takes a while (a hand-written `pg_sleep`
/// after `ADD VALUE`): the apply process is killed while it runs. The history then holds a
/// committed `running` row, so `status` names the migration part-way, `drift` refuses to
/// offer anything, and `apply` runs the step again and finishes.
#[test]
fn a_kill_during_a_non_transactional_step_leaves_a_part_way_state_that_apply_resumes() {
    let db = support::test_db();
    let dir = project(&[(
        "schema/s.toml",
        "[enums.mood]\nvalues = [\"sad\"]\n\n[tables.a.columns]\nid = { type = \"int\", primary_key = true }\nm = { type = \"mood\", nullable = true }\n",
    )]);
    plan_ok(dir.path(), "init", &[]);
    assert_exit(&run(dir.path(), &db.conninfo, &["apply"]), 0);
    std::fs::write(
        dir.path().join("schema/s.toml"),
        "[enums.mood]\nvalues = [\"sad\", \"ok\"]\n\n[tables.a.columns]\nid = { type = \"int\", primary_key = true }\nm = { type = \"mood\", nullable = true }\n",
    )
    .unwrap();
    plan_ok(dir.path(), "add_ok", &[]);
    // Make the non-transactional step slow, so the kill lands inside it.
    let path = dir.path().join("migrations/0002_add_ok.sql");
    let body = std::fs::read_to_string(&path).unwrap();
    assert!(body.contains("-- schemactl:no-transaction"), "{body}");
    let slow = body.replace(
        "ADD VALUE IF NOT EXISTS 'ok' AFTER 'sad';",
        "ADD VALUE IF NOT EXISTS 'ok' AFTER 'sad'; SELECT pg_sleep(2);",
    );
    assert_ne!(slow, body);
    std::fs::write(&path, slow).unwrap();
    assert_exit(&run(dir.path(), &db.conninfo, &["hash"]), 0);

    let mut child = Command::new(env!("CARGO_BIN_EXE_schemactl"))
        .arg("--project")
        .arg(dir.path())
        .args(["--db", &db.conninfo, "apply"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut c = db.connect();
    let start = Instant::now();
    loop {
        let running: i64 = one(
            &mut c,
            "SELECT count(*) FROM schemactl.history WHERE status = 'running'",
        );
        if running > 0 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "no running row");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // Let the server finish the statement the dead client sent (it commits on its own).
    std::thread::sleep(Duration::from_millis(2500));

    let out = run(dir.path(), &db.conninfo, &["status"]);
    assert_exit(&out, 0);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("RUNNING  0002_add_ok"), "{stdout}");
    assert!(stdout.contains("part-way through 0002_add_ok"), "{stdout}");
    let v = json_of(&run(
        dir.path(),
        &db.conninfo,
        &["--format", "json", "status"],
    ));
    assert_eq!(v["part_way"][0]["migration"], "0002_add_ok", "{v}");
    assert_eq!(v["part_way"][0]["state"], "running", "{v}");

    // drift offers nothing while part-way.
    let out = run(dir.path(), &db.conninfo, &["drift"]);
    assert_exit(&out, 3);
    assert!(!text(&out.stdout).contains("DROP"), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("part-way"),
        "{}",
        text(&out.stderr)
    );

    // apply resumes: the step runs again (idempotent) and the migration completes.
    assert_exit(&run(dir.path(), &db.conninfo, &["apply"]), 0);
    assert_exit(&run(dir.path(), &db.conninfo, &["drift"]), 0);
    let labels: String = one(
        &mut c,
        "SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = 'mood'::regtype",
    );
    assert_eq!(labels, "sad,ok");
    let out = run(dir.path(), &db.conninfo, &["status"]);
    assert_exit(&out, 0);
    assert!(text(&out.stdout).contains("applied  0002_add_ok"));
}

// ---------------------------------------------------------------------------------------------
// 5. Hazards: a failing cast is not data loss

fn column_type(c: &mut postgres::Client) -> String {
    one(
        c,
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'public.t'::regclass AND attname = 's'",
    )
}

/// text → enum with rows: planned without `--allow deletes_data` (only `may_fail_on_data`
/// and the lock/rewrite hazards), applied with `USING`, every row kept; a row outside the
/// enum makes the migration fail and roll back cleanly.
#[test]
fn text_to_enum_is_may_fail_not_deletes_data() {
    let v1 = "[tables.t.columns]\nid = { type = \"int\", primary_key = true }\ns = { type = \"text\" }\n";
    let v2 = "[enums.state]\nvalues = [\"new\", \"done\"]\n\n[tables.t.columns]\nid = { type = \"int\", primary_key = true }\ns = { type = \"state\" }\n";
    for bad_row in [false, true] {
        let db = support::test_db();
        let dir = project(&[("schema/s.toml", v1)]);
        plan_ok(dir.path(), "init", &[]);
        assert_exit(&run(dir.path(), &db.conninfo, &["apply"]), 0);
        let mut c = db.connect();
        c.batch_execute("INSERT INTO t VALUES (1, 'new'), (2, 'done'), (3, 'new')")
            .unwrap();
        if bad_row {
            c.batch_execute("INSERT INTO t VALUES (4, 'lost')").unwrap();
        }
        std::fs::write(dir.path().join("schema/s.toml"), v2).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_schemactl"))
            .arg("--project")
            .arg(dir.path())
            .args(["--format", "json", "plan", "-m", "to_enum"])
            .output()
            .unwrap();
        assert_exit(&out, 0);
        let v = json_of(&out);
        let hazards: Vec<&str> = v["hazards"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h.as_str().unwrap())
            .collect();
        assert!(!hazards.contains(&"deletes_data"), "{v}");
        assert!(hazards.contains(&"may_fail_on_data"), "{v}");
        let sql = std::fs::read_to_string(dir.path().join("migrations/0002_to_enum.sql")).unwrap();
        assert!(sql.contains("USING \"s\"::\"public\".\"state\""), "{sql}");

        let out = run(dir.path(), &db.conninfo, &["apply"]);
        if bad_row {
            assert_exit(&out, 3);
            assert!(text(&out.stderr).contains("lost"), "{}", text(&out.stderr));
            // Rolled back: the column is still text with all four rows, and 0002 is pending.
            assert_eq!(column_type(&mut c), "text");
            assert_eq!(one::<i64>(&mut c, "SELECT count(*) FROM t"), 4);
            let out = run(dir.path(), &db.conninfo, &["status"]);
            assert!(text(&out.stdout).contains("FAILED   0002_to_enum"));
            assert_exit(&run(dir.path(), &db.conninfo, &["drift"]), 0);
        } else {
            assert_exit(&out, 0);
            assert_eq!(column_type(&mut c), "state");
            let rows: String = one(
                &mut c,
                "SELECT string_agg(id || ':' || s::text, ',' ORDER BY id) FROM t",
            );
            assert_eq!(rows, "1:new,2:done,3:new");
            assert_exit(&run(dir.path(), &db.conninfo, &["drift"]), 0);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 6. Messages: no empty hint, no hint naming a command that does not exist

#[track_caller]
fn assert_hints_not_empty(output: &str) {
    for line in output.lines() {
        if let Some((_, rest)) = line.split_once("hint:") {
            assert!(!rest.trim().is_empty(), "empty hint line in:\n{output}");
        }
    }
}

/// A server that is not PostgreSQL (it answers with HTTP), and a closed port: the connection
/// errors carry a hint with text.
#[test]
fn connection_failures_always_carry_a_hint() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(4) {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 64];
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        }
    });
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = project(&[(
        "schema/s.toml",
        "[tables.a.columns]\nid = { type = \"int\", primary_key = true }\n",
    )]);
    plan_ok(dir.path(), "init", &[]);
    for url in [
        format!("postgresql://u@127.0.0.1:{port}/db?sslmode=disable&connect_timeout=5"),
        format!("postgresql://u@127.0.0.1:{closed}/db?sslmode=disable&connect_timeout=5"),
    ] {
        let out = run(dir.path(), &url, &["status"]);
        assert_exit(&out, 3);
        let err = support::cli::one_line_errors(&text(&out.stderr));
        assert!(err.contains("hint:"), "{err}");
        assert_hints_not_empty(&err);
        let out = run(dir.path(), &url, &["--format", "json", "status"]);
        let v = json_of(&out);
        assert!(
            !v["error"]["hint"].as_str().unwrap().trim().is_empty(),
            "{v}"
        );
    }
}

#[test]
fn a_reference_to_a_table_without_columns_has_a_useful_hint() {
    let dir = project(&[(
        "schema/s.toml",
        "[tables.empty]\ncolumns = {}\n\n[tables.b.columns]\nid = { type = \"int\", primary_key = true }\ne = { type = \"int\", references = \"empty.id\" }\n",
    )]);
    let out = Command::new(env!("CARGO_BIN_EXE_schemactl"))
        .arg("--project")
        .arg(dir.path())
        .arg("check")
        .output()
        .unwrap();
    assert_exit(&out, 2);
    let err = support::cli::one_line_errors(&text(&out.stderr));
    assert!(err.contains("has no columns"), "{err}");
    assert_hints_not_empty(&err);
}

/// Every `` `schemactl <command>`` named in a message of the source is a command the binary
/// has.
#[test]
fn hints_name_only_commands_that_exist() {
    let help = Command::new(env!("CARGO_BIN_EXE_schemactl"))
        .arg("--help")
        .output()
        .unwrap();
    let help = text(&help.stdout);
    let commands: Vec<String> = help
        .split("Commands:")
        .nth(1)
        .expect("--help lists commands")
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    assert!(commands.contains(&"apply".to_string()), "{help}");
    let mut missing = Vec::new();
    let mut stack = vec![repo_root().join("src")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let source = std::fs::read_to_string(&path).unwrap();
            for (i, piece) in source.split("`schemactl ").enumerate().skip(1) {
                let word: String = piece
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '-')
                    .collect();
                if !word.is_empty() && !commands.contains(&word) {
                    missing.push(format!("{}: `schemactl {word}` (#{i})", path.display()));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "hints name commands that do not exist: {missing:#?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 4. Schemas that passed `check` and failed `apply`

fn check_output(schema: &str, args: &[&str]) -> (Output, tempfile::TempDir) {
    let dir = project(&[("schema/s.toml", schema)]);
    let out = Command::new(env!("CARGO_BIN_EXE_schemactl"))
        .arg("--project")
        .arg(dir.path())
        .arg("check")
        .args(args)
        .output()
        .unwrap();
    (out, dir)
}

/// Each line: a column or check that PostgreSQL refuses, the error code and location
/// `check` must report, and a piece of its hint.
#[test]
fn check_refuses_what_postgresql_would_refuse() {
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "b = { type = \"int\", default_sql = \"id + 1\" }",
            "invalid-default",
            "4:35",
            "generated_sql",
        ),
        (
            "b = { type = \"timestamptz\", default_sql = \"nowx()\" }",
            "unknown-function",
            "4:43",
            "did you mean `now`?",
        ),
        (
            "b = { type = \"int\", default_sql = \"lenght('abc')\" }",
            "unknown-function",
            "4:35",
            "did you mean `length`?",
        ),
        (
            "b = { type = \"timestamptz\", default_sql = \"now(1)\" }",
            "unknown-function",
            "4:43",
            "pass no arguments to `now`",
        ),
        (
            "b = { type = \"timestamptz\", default = \"hello\" }",
            "invalid-default",
            "4:39",
            "2024-01-31",
        ),
        (
            "b = { type = \"text\", default_sql = \"gen_salt('bf')\" }",
            "unknown-function",
            "4:36",
            "[extensions]",
        ),
    ];
    for (column, code, at, hint) in cases {
        let schema = format!(
            "[tables.t.columns]\nid = {{ type = \"int\", primary_key = true }}\namount = {{ type = \"int\" }}\n{column}\n"
        );
        let (out, dir) = check_output(&schema, &[]);
        assert_exit(&out, 2);
        let err = support::cli::one_line_errors(&text(&out.stderr));
        assert!(
            err.contains(&format!("schema/s.toml:{at}: error[{code}]")),
            "{column}:\n{err}"
        );
        assert!(err.contains(hint), "{column}:\n{err}");
        assert_hints_not_empty(&err);
        // plan refuses the same and writes nothing
        let out = Command::new(env!("CARGO_BIN_EXE_schemactl"))
            .arg("--project")
            .arg(dir.path())
            .args(["plan", "-m", "x"])
            .output()
            .unwrap();
        assert_exit(&out, 2);
        assert!(!dir.path().join("migrations/0001_x.sql").exists());
    }
    let checks: &[(&str, &str, &str)] = &[
        ("amount >>> 0", "unknown-operator", "`>>>`"),
        ("CAST(amount AS varchar(0)) <> ''", "invalid-type", "length"),
        ("count(*) > 0", "invalid-sql", "aggregate"),
    ];
    for (expr, code, message) in checks {
        let schema = format!(
            "[tables.t.columns]\nid = {{ type = \"int\", primary_key = true }}\namount = {{ type = \"int\" }}\n\n[[tables.t.checks]]\nexpr = \"{expr}\"\n"
        );
        let (out, _dir) = check_output(&schema, &[]);
        assert_exit(&out, 2);
        let err = support::cli::one_line_errors(&text(&out.stderr));
        assert!(
            err.contains(&format!("schema/s.toml:6:8: error[{code}]")),
            "{expr}:\n{err}"
        );
        assert!(err.contains(message), "{expr}:\n{err}");
        assert_hints_not_empty(&err);
    }
    // Declaring the extension makes its functions known.
    let (out, _dir) = check_output(
        "[extensions.pgcrypto]\n\n[tables.t.columns]\nid = { type = \"int\", primary_key = true }\nb = { type = \"text\", default_sql = \"gen_salt('bf')\" }\n",
        &[],
    );
    assert_exit(&out, 0);
}

/// `check --dev` creates the schema in a throwaway PostgreSQL and maps what the server
/// rejects to the TOML location; a valid schema passes.
#[test]
fn check_dev_reports_server_errors_at_their_toml_location() {
    if !support::is_local_cluster() {
        // `--dev` starts its own server from the local binaries, like `apply --dev`.
        eprintln!("skipped: needs the local PostgreSQL binaries");
        return;
    }
    let schema = "[tables.t.columns]\nid = { type = \"int\", primary_key = true }\nc = { type_sql = \"nosuchtype\" }\n\n[tables.u.columns]\nid = { type = \"int\", primary_key = true }\nn = { type = \"int\" }\n\n[[tables.u.checks]]\nexpr = \"n > 'x'\"\n\n[tables.v.columns]\nid = { type = \"int\", primary_key = true }\nn = { type = \"int\" }\n\n[[tables.v.indexes]]\ncolumns = [{ expr = \"lower(n)\" }]\n\n[tables.w.columns]\nid = { type = \"int\", primary_key = true }\ndoc = { type = \"jsonb\", nullable = true }\nj = { type = \"json\", nullable = true }\nts = { type = \"timestamptz\" }\nd = { type = \"date\", default = \"2020-01-01\" }\n\n[[tables.w.checks]]\nexpr = \"jsonb_typeof(j) = 'object'\"\n\n[tables.x.columns]\nid = { type = \"int\", primary_key = true }\nts = { type = \"timestamptz\" }\n\n[[tables.x.indexes]]\ncolumns = [\"id\"]\n\n[[tables.x.indexes]]\ncolumns = [{ expr = \"date_trunc('day', ts)\" }]\n";
    let (out, dir) = check_output(schema, &["--dev"]);
    assert_exit(&out, 2);
    let err = support::cli::one_line_errors(&text(&out.stderr));
    assert!(
        err.contains("schema/s.toml:3:18: error[postgres-error]: PostgreSQL rejects create-table public.t: type \"nosuchtype\" does not exist"),
        "{err}"
    );
    assert!(
        err.contains("schema/s.toml:10:8: error[postgres-error]")
            && err.contains("invalid input syntax for type integer"),
        "{err}"
    );
    assert!(
        err.contains("schema/s.toml:17:21: error[postgres-error]")
            && err.contains("function lower(integer) does not exist"),
        "{err}"
    );
    // Not on `doc`'s type "jsonb" (a prefix of the function's name): on the check.
    assert!(
        err.contains("schema/s.toml:27:8: error[postgres-error]")
            && err.contains("jsonb_typeof(json)"),
        "{err}"
    );
    // An index with a default name: on that index's entry.
    assert!(
        err.contains("schema/s.toml:36:1: error[postgres-error]") && err.contains("IMMUTABLE"),
        "{err}"
    );
    assert!(err.contains("5 errors found; nothing was written"), "{err}");
    assert_hints_not_empty(&err);
    assert!(!dir.path().join("migrations").exists());

    let (out, _dir) = check_output(
        "[tables.t.columns]\nid = { type = \"int\", primary_key = true }\nn = { type = \"int\", default_sql = \"abs(-1)\" }\n",
        &["--dev"],
    );
    assert_exit(&out, 0);
    assert!(
        text(&out.stdout).contains("PostgreSQL OK"),
        "{}",
        text(&out.stdout)
    );
}

/// What the offline check must not refuse (a black-box probe found these rejected although
/// PostgreSQL takes them), applied and read back without drift.
#[test]
fn check_accepts_what_postgresql_accepts() {
    let db = support::test_db();
    let schema = r#"
[extensions.pg_trgm]

[tables.t.columns]
id      = { type = "int", primary_key = true }
ts      = { type = "timestamp", default_sql = "LOCALTIMESTAMP(3)" }
tz      = { type = "timestamptz", default_sql = "CURRENT_TIMESTAMP(0)" }
sch     = { type = "text", default_sql = "CURRENT_SCHEMA" }
j       = { type = "json", default = "1e1000" }
u       = { type = "uuid", default = "{A0EEBC99-9C0B4EF8-BB6D6BB9-BD380A11}" }
v       = { type = "varchar(3)", default = "abc   " }
name    = { type = "text", default = "x" }
doc     = { type = "jsonb", nullable = true }

[[tables.t.checks]]
expr = "tableoid > 0"

[[tables.t.checks]]
expr = "similarity(name, 'x') >= 0 AND name % 'x' OR name <<% 'y' OR doc ? 'k' OR doc @> '{}'"

[[tables.t.indexes]]
columns = [{ expr = "lower(name)" }, { expr = "date_trunc('day', ts)" }]
where = "name ~* '^a' AND to_tsvector('english', name) @@ to_tsquery('english', 'a')"
"#;
    let dir = project(&[("schema/s.toml", schema)]);
    let (out, _) = (
        Command::new(env!("CARGO_BIN_EXE_schemactl"))
            .arg("--project")
            .arg(dir.path())
            .arg("check")
            .output()
            .unwrap(),
        (),
    );
    assert_exit(&out, 0);
    plan_ok(dir.path(), "init", &[]);
    assert_exit(&run(dir.path(), &db.conninfo, &["apply"]), 0);
    assert_exit(&run(dir.path(), &db.conninfo, &["drift"]), 0);
    let mut c = db.connect();
    c.batch_execute("INSERT INTO t (id) VALUES (1)").unwrap();
    let u: String = one(&mut c, "SELECT u::text FROM t");
    assert_eq!(u, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    let v: String = one(&mut c, "SELECT v::text FROM t");
    assert_eq!(v, "abc");
}

/// Expressions PostgreSQL refuses where schemactl puts them: volatile or stable functions
/// in index expressions, predicates and generated columns; set-returning functions;
/// subqueries; the postfix factorial PostgreSQL 14 removed.
#[test]
fn check_refuses_non_immutable_set_returning_and_subquery_expressions() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "[[tables.t.indexes]]\ncolumns = [{ expr = \"to_char(ts, 'YYYY')\" }]",
            "not-immutable",
            "`to_char`",
        ),
        (
            "[[tables.t.indexes]]\ncolumns = [\"id\"]\nwhere = \"ts > now()\"",
            "not-immutable",
            "`now`",
        ),
        (
            "[tables.t.columns.g]\ntype = \"double precision\"\ngenerated_sql = \"random()\"",
            "not-immutable",
            "`random`",
        ),
        (
            "[[tables.t.checks]]\nexpr = \"generate_series(1, id) > 0\"",
            "invalid-sql",
            "set of rows",
        ),
        (
            "[[tables.t.checks]]\nexpr = \"id IN (SELECT 1)\"",
            "invalid-sql",
            "subquery",
        ),
        (
            "[[tables.t.checks]]\nexpr = \"id ! > 0\"",
            "unknown-operator",
            "removed",
        ),
    ];
    for (extra, code, message) in cases {
        let schema = format!(
            "[tables.t.columns]\nid = {{ type = \"int\", primary_key = true }}\nts = {{ type = \"timestamptz\" }}\n\n{extra}\n"
        );
        let (out, _dir) = check_output(&schema, &[]);
        assert_exit(&out, 2);
        let err = support::cli::one_line_errors(&text(&out.stderr));
        assert!(err.contains(&format!("error[{code}]")), "{extra}:\n{err}");
        assert!(err.contains(message), "{extra}:\n{err}");
        assert_hints_not_empty(&err);
    }
}
