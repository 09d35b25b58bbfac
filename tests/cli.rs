//! The `schemactl` binary as users run it: exit codes, stdout/stderr and the files written.

mod support;

use std::path::Path;

use support::project::*;

fn code(out: &std::process::Output) -> i32 {
    out.status.code().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Every file under `dir` with its bytes, sorted by path.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for sub in ["migrations", "snapshots"] {
        let Ok(rd) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for e in rd {
            let p = e.unwrap().path();
            out.push((
                format!("{sub}/{}", p.file_name().unwrap().to_string_lossy()),
                std::fs::read(&p).unwrap(),
            ));
        }
    }
    out.sort();
    out
}

const SCHEMA: &str = r#"
[enums.status]
values = ["ACTIVE", "GONE"]

[tables.members.columns]
id     = { type = "bigint", identity = "always", primary_key = true }
status = { type = "status", default = "ACTIVE" }
"#;

#[test]
fn init_check_plan_then_nothing_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let out = schemactl(dir.path(), &["init"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    for p in ["schemactl.toml", "schema", "migrations", "snapshots"] {
        assert!(dir.path().join(p).exists(), "{p}");
    }
    // A second init refuses and changes nothing.
    let out = schemactl(dir.path(), &["init"]);
    assert_eq!(code(&out), 2);
    assert!(text(&out.stderr).contains("already holds"));

    // The scaffold compiles (an empty schema) and plans nothing.
    let out = schemactl(dir.path(), &["plan"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("No schema changes"));

    std::fs::write(dir.path().join("schema/schema.toml"), SCHEMA).unwrap();
    let out = schemactl(dir.path(), &["check"]);
    assert_eq!(code(&out), 0);
    assert!(text(&out.stdout).contains("run `schemactl plan`"));

    let out = schemactl(dir.path(), &["plan", "--check"]);
    assert_eq!(code(&out), 1, "pending changes with --check");
    assert!(!dir.path().join("migrations/0001_init.sql").exists());

    let out = schemactl(dir.path(), &["plan", "--dry-run"]);
    assert_eq!(code(&out), 0);
    assert!(text(&out.stdout).contains("CREATE TYPE \"public\".\"status\""));
    assert!(text(&out.stdout).contains("Dry run: nothing written."));
    assert!(!dir.path().join("migrations/0001_init.sql").exists());

    let out = schemactl(dir.path(), &["plan"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert!(
        dir.path().join("migrations/0001_init.sql").exists(),
        "first migration is named init"
    );
    let before = tree(dir.path());

    let out = schemactl(dir.path(), &["plan", "-m", "again"]);
    assert_eq!(code(&out), 0);
    assert!(
        text(&out.stdout).contains("No schema changes"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(tree(dir.path()), before, "a second plan writes nothing");

    let out = schemactl(dir.path(), &["plan", "--check"]);
    assert_eq!(code(&out), 0);
    let out = schemactl(dir.path(), &["check"]);
    assert_eq!(code(&out), 0);
    assert!(text(&out.stdout).contains("1 migration(s), chain intact"));
}

#[test]
fn planning_twice_in_fresh_copies_is_byte_identical() {
    let a = copy_example_schema();
    let b = copy_example_schema();
    run_plan(a.path(), "init");
    run_plan(b.path(), "init");
    let ta = tree(a.path());
    assert_eq!(
        ta.len(),
        4,
        "migration, down file, sum file, snapshot: {:?}",
        ta.iter().map(|t| &t.0).collect::<Vec<_>>()
    );
    assert_eq!(ta, tree(b.path()));
    // No machine paths or timestamps in generated files.
    for (name, bytes) in &ta {
        let s = text(bytes);
        assert!(!s.contains(&a.path().display().to_string()), "{name}");
        assert!(!s.contains("2026-"), "{name}");
    }
}

#[test]
fn example_project_is_up_to_date() {
    let root = repo_root();
    let out = schemactl(&root, &["plan", "--dry-run"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("No schema changes"),
        "{}",
        text(&out.stdout)
    );
    let out = schemactl(&root, &["check"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
}

#[test]
fn lossy_changes_and_removed_enum_values_need_an_allowance() {
    let dir = project(&[("schema/s.toml", SCHEMA)]);
    run_plan(dir.path(), "init");
    let before = tree(dir.path());
    let changed = SCHEMA
        .replace("\"ACTIVE\", \"GONE\"", "\"ACTIVE\", \"GONE\", \"BANNED\"")
        .replace(
            "type = \"bigint\", identity",
            "type = \"integer\", identity",
        );
    std::fs::write(dir.path().join("schema/s.toml"), &changed).unwrap();
    // bigint → integer can lose data: refused without an allowance, nothing written.
    let out = schemactl(dir.path(), &["plan", "-m", "change"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("hazards that are not allowed: deletes_data"),
        "{err}"
    );
    assert!(
        text(&out.stdout).contains("add-enum-value public.status.\"BANNED\""),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(tree(dir.path()), before);
    // With the allowance it is written, and the header records it.
    let out = schemactl(
        dir.path(),
        &["plan", "-m", "change", "--allow", "deletes_data"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let file = std::fs::read_to_string(dir.path().join("migrations/0002_change.sql")).unwrap();
    assert!(file.contains("-- allowed: deletes_data\n"), "{file}");
    assert!(
        file.contains("-- schemactl:no-transaction\n-- step 1: add-enum-value"),
        "{file}"
    );
    assert!(
        file.contains("ADD VALUE IF NOT EXISTS 'BANNED' AFTER 'GONE'"),
        "{file}"
    );

    // Removing an enum value recreates the type: deletes_data, refused without an allowance.
    let before = tree(dir.path());
    std::fs::write(
        dir.path().join("schema/s.toml"),
        changed.replace("\"ACTIVE\", \"GONE\", \"BANNED\"", "\"ACTIVE\", \"BANNED\""),
    )
    .unwrap();
    let out = schemactl(dir.path(), &["--format", "json", "plan"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["steps"][0]["kind"], "recreate-enum", "{v}");
    assert_eq!(v["refused_hazards"][0], "deletes_data", "{v}");
    assert_eq!(v["written"], false, "{v}");
    assert_eq!(tree(dir.path()), before);
}

#[test]
fn unplannable_changes_are_refused_and_nothing_is_written() {
    let v1 = "[extensions]\ncitext = { schema = \"public\" }\n";
    let dir = project(&[
        (
            "schemactl.toml",
            "[project]\nschemas = [\"public\", \"ext\"]\n",
        ),
        ("schema/s.toml", v1),
    ]);
    run_plan(dir.path(), "init");
    let before = tree(dir.path());
    std::fs::write(
        dir.path().join("schema/s.toml"),
        "[extensions]\ncitext = { schema = \"ext\" }\n",
    )
    .unwrap();
    let out = schemactl(dir.path(), &["--format", "json", "plan"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["unsupported"][0]
            .as_str()
            .unwrap()
            .contains("move extension `citext` to another schema"),
        "{v}"
    );
    assert_eq!(tree(dir.path()), before);

    // Dropping an extension whose type a column still uses: PostgreSQL would refuse it.
    let with_ext = "[extensions]\ncitext = {}\n[tables.t.columns]\nid = { type = \"int\", primary_key = true }\nx = { type_sql = \"citext\" }\n";
    let dir = project(&[("schema/s.toml", with_ext)]);
    run_plan(dir.path(), "init");
    let before = tree(dir.path());
    let without = with_ext.replace("[extensions]\ncitext = {}\n", "");
    std::fs::write(dir.path().join("schema/s.toml"), without).unwrap();
    let out = schemactl(dir.path(), &["plan"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr)
            .contains("drop extension `citext` while column public.t.x still uses its type"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(tree(dir.path()), before);

    // An enum replaced by a table of its name while a column still converts from the enum.
    let v1 = "[enums.state]\nvalues = [\"on\"]\n[tables.t.columns]\nid = { type = \"int\", primary_key = true }\ns = { type = \"state\" }\n";
    let dir = project(&[("schema/s.toml", v1)]);
    run_plan(dir.path(), "init");
    let before = tree(dir.path());
    let v2 = "[tables.state.columns]\nid = { type = \"int\", primary_key = true }\n[tables.t.columns]\nid = { type = \"int\", primary_key = true }\ns = { type = \"text\" }\n";
    std::fs::write(dir.path().join("schema/s.toml"), v2).unwrap();
    let out = schemactl(dir.path(), &["plan", "--allow", "deletes_data"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr)
            .contains("replace enum public.state by a table of the same name while columns change"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(tree(dir.path()), before);
}

#[test]
fn plan_json_lists_steps_and_hazards() {
    let dir = project(&[("schema/s.toml", SCHEMA)]);
    run_plan(dir.path(), "init");
    let more = format!("{SCHEMA}\n[[tables.members.indexes]]\ncolumns = [\"status\"]\n");
    std::fs::write(dir.path().join("schema/s.toml"), &more).unwrap();
    let out = schemactl(
        dir.path(),
        &["--format", "json", "plan", "-m", "status_index"],
    );
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["migration"], "migrations/0002_status_index.sql");
    assert_eq!(v["written"], true);
    assert_eq!(v["steps"][0]["kind"], "create-index");
    assert_eq!(v["steps"][0]["step"], 1);
    // Online by default: built concurrently, outside a transaction; writes go on.
    assert_eq!(v["steps"][0]["hazards"], serde_json::json!([]));
    let file =
        std::fs::read_to_string(dir.path().join("migrations/0002_status_index.sql")).unwrap();
    assert!(
        file.starts_with("-- schemactl migration 0002_status_index\n-- parent: "),
        "{file}"
    );
    assert!(file.contains("-- hazards: none\n"), "{file}");
    assert!(
        file.contains("-- schemactl:no-transaction\n-- step 1: create-index public.members.members_status_idx\nDROP INDEX CONCURRENTLY IF EXISTS \"public\".\"members_status_idx\";\nCREATE INDEX CONCURRENTLY \"members_status_idx\""),
        "{file}"
    );
    // `[online] enabled = false`: the blocking form, with its hazard.
    let blocking = project(&[
        ("schemactl.toml", "[online]\nenabled = false\n"),
        ("schema/s.toml", SCHEMA),
    ]);
    run_plan(blocking.path(), "init");
    std::fs::write(blocking.path().join("schema/s.toml"), &more).unwrap();
    let out = schemactl(blocking.path(), &["--format", "json", "plan", "--dry-run"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["steps"][0]["hazards"][0], "blocks_writes", "{v}");
}

#[test]
fn bad_migration_name_is_invalid_input() {
    let dir = project(&[("schema/s.toml", SCHEMA)]);
    let out = schemactl(dir.path(), &["plan", "-m", "Add Members!"]);
    assert_eq!(code(&out), 2);
    assert!(
        text(&out.stderr).contains("-m add_members"),
        "{}",
        text(&out.stderr)
    );
    assert!(!dir.path().join("migrations").exists());
}

#[test]
fn check_names_tampered_files() {
    let dir = project(&[("schema/s.toml", SCHEMA)]);
    run_plan(dir.path(), "init");
    std::fs::write(
        dir.path().join("schema/s.toml"),
        format!("{SCHEMA}\n[tables.extra.columns]\nid = {{ type = \"int\" }}\n"),
    )
    .unwrap();
    run_plan(dir.path(), "extra");

    // An edited file.
    let p = dir.path().join("migrations/0001_init.sql");
    let original = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, original.replace("ACTIVE", "ACTlVE")).unwrap();
    let out = schemactl(dir.path(), &["check"]);
    assert_eq!(code(&out), 2);
    let err = text(&out.stderr);
    assert!(
        err.contains("migrations/0001_init.sql") && err.contains("edited"),
        "{err}"
    );
    // Plan refuses to build on a broken chain and writes nothing.
    let out = schemactl(dir.path(), &["plan"]);
    assert_eq!(code(&out), 2);
    std::fs::write(&p, &original).unwrap();

    // A duplicate version from a parallel branch.
    let dup = dir.path().join("migrations/0002_other_branch.sql");
    std::fs::write(&dup, "-- other branch\nSELECT 1;\n").unwrap();
    let out = schemactl(dir.path(), &["--format", "json", "check"]);
    assert_eq!(code(&out), 2);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let p0 = &v["migration_problems"][0];
    assert_eq!(p0["kind"], "duplicate-version", "{v}");
    assert!(
        p0["hint"].as_str().unwrap().contains("schemactl plan -m"),
        "{v}"
    );
    std::fs::remove_file(&dup).unwrap();

    // A hand-edited snapshot.
    let snap = dir.path().join("snapshots/head.toml");
    let s = std::fs::read_to_string(&snap).unwrap();
    std::fs::write(&snap, s.replace("GONE", "GONE2")).unwrap();
    let out = schemactl(dir.path(), &["check"]);
    assert_eq!(code(&out), 2);
    assert!(
        text(&out.stderr).contains("snapshots/head.toml"),
        "{}",
        text(&out.stderr)
    );
    std::fs::write(&snap, s).unwrap();

    let out = schemactl(dir.path(), &["check"]);
    assert_eq!(code(&out), 0, "restored: {}", text(&out.stderr));
}

#[test]
fn type_sql_array_round_trips_through_the_snapshot() {
    let src = "[extensions]\ncitext = {}\n[tables.t.columns]\nid = { type = \"int\", primary_key = true }\ntags = { type_sql = \"citext[]\" }\n";
    let dir = project(&[("schema/s.toml", src)]);
    run_plan(dir.path(), "init");
    let out = schemactl(dir.path(), &["plan", "--check"]);
    assert_eq!(code(&out), 0, "{}{}", text(&out.stdout), text(&out.stderr));
}

#[test]
fn adding_unnamed_objects_above_existing_ones_keeps_existing_names() {
    let v1 = "[tables.t.columns]\na = { type = \"int\" }\nb = { type = \"int\" }\n\
              [[tables.t.checks]]\nexpr = \"a > 0\"\n[[tables.t.indexes]]\ncolumns = [\"a\"]\n";
    let v2 = "[tables.t.columns]\na = { type = \"int\" }\nb = { type = \"int\" }\n\
              [[tables.t.checks]]\nexpr = \"a < 100\"\n[[tables.t.checks]]\nexpr = \"a > 0\"\n\
              [[tables.t.indexes]]\ncolumns = [\"a\"]\nwhere = \"b > 0\"\n[[tables.t.indexes]]\ncolumns = [\"a\"]\n";
    let dir = project(&[("schema/s.toml", v1)]);
    run_plan(dir.path(), "init");
    std::fs::write(dir.path().join("schema/s.toml"), v2).unwrap();
    let out = schemactl(dir.path(), &["--format", "json", "plan", "-m", "more"]);
    assert_eq!(code(&out), 0, "{}{}", text(&out.stdout), text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let objects: Vec<&str> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["object"].as_str().unwrap())
        .collect();
    // PostgreSQL would give the new objects the next free names; the old ones keep theirs.
    // (The check is added NOT VALID, then validated in a step of its own.)
    assert_eq!(
        objects,
        vec![
            "public.t.t_a_check1",
            "public.t.t_a_idx1",
            "public.t.t_a_check1"
        ]
    );
    let out = schemactl(dir.path(), &["plan", "--check"]);
    assert_eq!(code(&out), 0);
}

#[test]
fn a_snapshot_without_migrations_is_not_trusted() {
    let dir = project(&[("schema/s.toml", SCHEMA)]);
    run_plan(dir.path(), "init");
    std::fs::remove_dir_all(dir.path().join("migrations")).unwrap();
    let out = schemactl(dir.path(), &["plan", "--dry-run"]);
    assert_eq!(code(&out), 0);
    assert!(
        text(&out.stdout).contains("CREATE TABLE \"public\".\"members\""),
        "plans from empty: {}",
        text(&out.stdout)
    );
}

#[test]
fn json_errors_are_json_and_the_name_is_checked_first() {
    let dir = project(&[("schema/s.toml", "")]);
    let out = schemactl(dir.path(), &["--format", "json", "plan", "-m", "Bad Name"]);
    assert_eq!(code(&out), 2);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["error"]["code"], "invalid-name");
    assert_eq!(v["error"]["hint"], "try `-m bad_name`");
}

#[test]
fn drop_and_create_of_the_same_shape_suggests_renamed_from() {
    let v1 = "[enums.kind]\nvalues = [\"A\", \"B\"]\n[tables.registrations.columns]\nid = { type = \"int\", primary_key = true }\nmember = { type = \"text\" }\nk = { type = \"kind\" }\n";
    let dir = project(&[("schema/s.toml", v1)]);
    run_plan(dir.path(), "init");
    let before = tree(dir.path());
    // Table renamed without `renamed_from`: a drop and a create, refused, with the hint.
    let v2 = v1.replace("registrations", "book_registrations");
    std::fs::write(dir.path().join("schema/s.toml"), &v2).unwrap();
    let out = schemactl(dir.path(), &["plan", "-m", "rename"]);
    assert_eq!(code(&out), 1, "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("did you mean to rename table public.registrations to public.book_registrations? add renamed_from = \"registrations\" to [tables.book_registrations]"),
        "{stdout}"
    );
    assert_eq!(tree(dir.path()), before);

    // Column and enum value renamed without saying so: hints in the JSON plan.
    let v3 = v1
        .replace("member = ", "member_name = ")
        .replace("[\"A\", \"B\"]", "[\"A\", \"C\"]");
    std::fs::write(dir.path().join("schema/s.toml"), &v3).unwrap();
    let out = schemactl(dir.path(), &["--format", "json", "plan", "--dry-run"]);
    assert_eq!(code(&out), 1);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let hints: Vec<&str> = v["hints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    assert_eq!(
        hints,
        [
            "did you mean to rename value `B` of enum public.kind to `C`? add renamed_values = { B = \"C\" } to [enums.kind]",
            "did you mean to rename column public.registrations.member to `member_name`? add renamed_from = \"member\" to column `member_name` of [tables.registrations]",
        ]
    );

    // Following the hints: renames only, no data loss, nothing to allow.
    let v4 = v3
        .replace(
            "member_name = { type = \"text\"",
            "member_name = { type = \"text\", renamed_from = \"member\"",
        )
        .replace(
            "values = [\"A\", \"C\"]",
            "values = [\"A\", \"C\"]\nrenamed_values = { B = \"C\" }",
        );
    std::fs::write(dir.path().join("schema/s.toml"), &v4).unwrap();
    let out = schemactl(dir.path(), &["plan", "-m", "renames"]);
    assert_eq!(code(&out), 0, "{}{}", text(&out.stdout), text(&out.stderr));
    let file = std::fs::read_to_string(dir.path().join("migrations/0002_renames.sql")).unwrap();
    assert!(file.contains("-- hazards: breaks_clients\n"), "{file}");
    assert!(
        file.contains("RENAME COLUMN \"member\" TO \"member_name\";"),
        "{file}"
    );
    assert!(file.contains("RENAME VALUE 'B' TO 'C';"), "{file}");
    let down =
        std::fs::read_to_string(dir.path().join("migrations/0002_renames.down.sql")).unwrap();
    assert!(
        down.contains("RENAME COLUMN \"member_name\" TO \"member\";"),
        "{down}"
    );
    assert!(down.contains("RENAME VALUE 'C' TO 'B';"), "{down}");
    // The snapshot holds no renamed_from: removing the stale keys plans nothing.
    std::fs::write(dir.path().join("schema/s.toml"), &v3).unwrap();
    let out = schemactl(dir.path(), &["plan"]);
    assert_eq!(code(&out), 0);
    assert!(
        text(&out.stdout).contains("No schema changes"),
        "{}",
        text(&out.stdout)
    );
}

const WIDEN_V1: &str = "[tables.t.columns]\nid = { type = \"int\", primary_key = true }\nn = { type = \"integer\" }\nm = { type = \"bigint\" }\n";
const POLICY: &str = "[hazards]\nrequire_allow = [\"rewrites_table\"]\n";

/// `n integer → bigint` (blocks_writes, rewrites_table; no data loss).
fn widen_n() -> String {
    WIDEN_V1.replace("n = { type = \"integer\" }", "n = { type = \"bigint\" }")
}

#[test]
fn without_a_hazards_table_only_deletes_data_is_gated() {
    let dir = project(&[("schema/s.toml", WIDEN_V1)]);
    run_plan(dir.path(), "init");
    std::fs::write(dir.path().join("schema/s.toml"), widen_n()).unwrap();
    // rewrites_table needs no allowance, and `--allow` for an ungated hazard is not recorded.
    let out = schemactl(
        dir.path(),
        &["plan", "-m", "widen", "--allow", "rewrites_table"],
    );
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let file = std::fs::read_to_string(dir.path().join("migrations/0002_widen.sql")).unwrap();
    assert!(
        file.contains("-- hazards: blocks_writes, rewrites_table\n--\n"),
        "{file}"
    );
    assert!(!file.contains("-- allowed:"), "{file}");
}

#[test]
fn a_tightened_policy_refuses_the_plan_until_allowed_and_records_the_allowance() {
    let dir = project(&[("schemactl.toml", POLICY), ("schema/s.toml", WIDEN_V1)]);
    // Creating tables carries no hazards: the policy does not get in the way.
    run_plan(dir.path(), "init");
    std::fs::write(dir.path().join("schema/s.toml"), widen_n()).unwrap();
    let before = tree(dir.path());
    for args in [
        &["plan", "-m", "widen"][..],
        &["plan", "-m", "widen", "--dry-run"],
        &["plan", "-m", "widen", "--allow", "blocks_writes"],
    ] {
        let out = schemactl(dir.path(), args);
        assert_eq!(code(&out), 1, "{args:?}: {}", text(&out.stderr));
        let err = text(&out.stderr);
        assert!(
            err.contains("error: the plan has hazards that are not allowed: rewrites_table\n"),
            "{err}"
        );
        assert!(
            err.contains("  - step 1: alter-column-type public.t.n: rewrites_table\n"),
            "{err}"
        );
        assert!(
            err.contains("rewrites_table must be allowed because schemactl.toml lists it in [hazards] require_allow"),
            "{err}"
        );
        assert!(
            err.contains("re-run with `--allow rewrites_table`"),
            "{err}"
        );
        assert!(
            text(&out.stdout)
                .contains("alter-column-type public.t.n [hazards: rewrites_table, blocks_writes]"),
            "{}",
            text(&out.stdout)
        );
        assert_eq!(tree(dir.path()), before, "{args:?} wrote nothing");
    }
    // JSON names the refused steps.
    let out = schemactl(dir.path(), &["--format", "json", "plan", "-m", "widen"]);
    assert_eq!(code(&out), 1);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["written"], false);
    assert_eq!(v["refused_hazards"], serde_json::json!(["rewrites_table"]));
    assert_eq!(
        v["refused_steps"],
        serde_json::json!([{ "step": 1, "kind": "alter-column-type", "object": "public.t.n", "hazards": ["rewrites_table"] }])
    );
    assert_eq!(tree(dir.path()), before);

    // Allowed: written, and the header records the allowance (only gated hazards are
    // recorded, as for deletes_data).
    let out = schemactl(
        dir.path(),
        &[
            "plan",
            "-m",
            "widen",
            "--allow",
            "rewrites_table,blocks_writes",
        ],
    );
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let file = std::fs::read_to_string(dir.path().join("migrations/0002_widen.sql")).unwrap();
    assert!(
        file.contains(
            "-- hazards: blocks_writes, rewrites_table\n-- allowed: rewrites_table\n--\n"
        ),
        "{file}"
    );
    let out = schemactl(dir.path(), &["check"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
}

#[test]
fn the_policy_adds_to_deletes_data_and_the_hint_names_every_allowance_needed() {
    // Listing deletes_data is allowed (it is gated anyway).
    let cfg = "[hazards]\nrequire_allow = [\"deletes_data\", \"rewrites_table\"]\n";
    let dir = project(&[("schemactl.toml", cfg), ("schema/s.toml", WIDEN_V1)]);
    run_plan(dir.path(), "init");
    // bigint → integer: deletes_data and rewrites_table (and more).
    std::fs::write(
        dir.path().join("schema/s.toml"),
        WIDEN_V1.replace("m = { type = \"bigint\" }", "m = { type = \"integer\" }"),
    )
    .unwrap();
    let before = tree(dir.path());
    let out = schemactl(dir.path(), &["plan", "-m", "narrow"]);
    assert_eq!(code(&out), 1);
    let err = text(&out.stderr);
    assert!(
        err.contains("not allowed: deletes_data, rewrites_table\n"),
        "{err}"
    );
    assert!(
        err.contains("  - step 1: alter-column-type public.t.m: deletes_data, rewrites_table\n"),
        "{err}"
    );
    // Only rewrites_table is there because of the project's config.
    assert!(
        err.contains("= note: rewrites_table must be allowed because"),
        "{err}"
    );
    // Allowing only deletes_data is not enough; the hint asks for both.
    let out = schemactl(
        dir.path(),
        &["plan", "-m", "narrow", "--allow", "deletes_data"],
    );
    assert_eq!(code(&out), 1);
    let err = text(&out.stderr);
    assert!(err.contains("not allowed: rewrites_table\n"), "{err}");
    assert!(
        err.contains("re-run with `--allow deletes_data,rewrites_table`"),
        "{err}"
    );
    assert_eq!(tree(dir.path()), before);
    let out = schemactl(
        dir.path(),
        &[
            "plan",
            "-m",
            "narrow",
            "--allow",
            "deletes_data,rewrites_table",
        ],
    );
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let file = std::fs::read_to_string(dir.path().join("migrations/0002_narrow.sql")).unwrap();
    assert!(
        file.contains("-- allowed: deletes_data, rewrites_table\n"),
        "{file}"
    );
}

#[test]
fn a_rename_onto_an_existing_name_is_ignored_with_a_hint() {
    // Swapping two columns with `renamed_from` cannot be done in one migration: both renames
    // are ignored (nothing to plan), and the plan says so instead of staying silent.
    let v1 = "[tables.t.columns]\nid = { type = \"int\", primary_key = true }\nfirst = { type = \"text\" }\nlast = { type = \"text\" }\n";
    let dir = project(&[("schema/s.toml", v1)]);
    run_plan(dir.path(), "init");
    let before = tree(dir.path());
    let v2 = v1
        .replace(
            "first = { type = \"text\" }",
            "first = { type = \"text\", renamed_from = \"last\" }",
        )
        .replace(
            "last = { type = \"text\" }",
            "last = { type = \"text\", renamed_from = \"first\" }",
        );
    std::fs::write(dir.path().join("schema/s.toml"), &v2).unwrap();
    let out = schemactl(dir.path(), &["plan", "-m", "swap"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("No schema changes"), "{stdout}");
    for (key, column) in [("last", "first"), ("first", "last")] {
        assert!(
            stdout.contains(&format!(
                "  = hint: renamed_from = \"{key}\" on column public.t.{column} does nothing: both names exist."
            )),
            "{stdout}"
        );
    }
    assert_eq!(tree(dir.path()), before);
    let out = schemactl(dir.path(), &["--format", "json", "plan", "--dry-run"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["hints"].as_array().map(Vec::len), Some(2), "{v}");
}
