//! Moving a team off Alembic, end to end, with real SQLAlchemy 2 and Alembic (a venv, see
//! `support::python`): the fixture project (tests/fixtures/alembic/shop: enums,
//! numeric(10,2), foreign keys, an index, a second schema; two branches and a merge) upgrades
//! real databases with `alembic upgrade`, then `schemactl import alembic` builds the chain
//! from empty, compares, adopts and baselines, and schemactl carries on with its own
//! migrations. Variants: two unmerged heads, and the base revision file missing.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use support::dump;
use support::project::{schemactl_db, text};
use support::python::{alembic, alembic_fixture, alembic_python, sqlalchemy_url};
use support::{TestDb, test_db};

const BASE: &str = "1a2b3c4d5e6f";
const ORDERS: &str = "2b3c4d5e6f70";
const BILLING: &str = "3c4d5e6f7081";
const MERGE: &str = "4d5e6f708192";
const URL_ENV: &str = "SHOP_DATABASE_URL";

/// `alembic upgrade <to>` of `db` with the team's project in `dir`.
fn upgrade(python: &Path, dir: &Path, db: &TestDb, to: &str) {
    let url = sqlalchemy_url(&db.conninfo);
    alembic(python, dir, &[(URL_ENV, &url)], &["upgrade", to]);
}

/// `schemactl import alembic --dev --python … --url-env SHOP_DATABASE_URL <args>` in `dir`.
fn import(python: &Path, dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_schemactl"))
        .current_dir(dir)
        .args(["import", "alembic", "--dev", "--python"])
        .arg(python)
        .args(["--url-env", URL_ENV])
        .args(args)
        .output()
        .unwrap()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}\n{}{}", text(&out.stdout), text(&out.stderr)))
}

fn python() -> Option<PathBuf> {
    alembic_python()
}

fn query_one(db: &TestDb, sql: &str) -> String {
    let mut c = db.connect();
    c.query_one(sql, &[]).unwrap().get(0)
}

fn said(out: &Output) -> String {
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}

#[test]
fn a_team_with_a_merged_history_moves_to_schemactl() {
    let Some(py) = python() else { return };
    let dir = alembic_fixture("shop", &[]);
    let d = dir.path();
    let prod = test_db();
    let staging = test_db();
    let drifted = test_db();
    upgrade(&py, d, &prod, "heads");
    upgrade(&py, d, &staging, ORDERS);
    upgrade(&py, d, &drifted, "heads");
    // A hand-made change Alembic never knew about.
    drifted
        .connect()
        .batch_execute("CREATE INDEX users_created_at_idx ON users (created_at)")
        .unwrap();

    // The report: the graph, each database's revision, the chain built from empty, and how
    // each database compares with it.
    let out = import(
        &py,
        d,
        &[
            "--db",
            &prod.conninfo,
            "--db",
            &staging.conninfo,
            "--db",
            &drifted.conninfo,
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    let j = json(&out);
    assert_eq!(j["heads"], serde_json::json!([MERGE]));
    assert_eq!(j["bases"], serde_json::json!([BASE]));
    assert_eq!(
        j["merges"][0]["merges"],
        serde_json::json!([ORDERS, BILLING])
    );
    assert_eq!(j["databases"][0]["at"], serde_json::json!([MERGE]));
    assert_eq!(j["databases"][0]["behind"], serde_json::json!([]));
    assert_eq!(j["databases"][1]["at"], serde_json::json!([ORDERS]));
    assert_eq!(
        j["databases"][1]["behind"],
        serde_json::json!([BILLING, MERGE])
    );
    assert_eq!(j["chain"]["built"], true, "{j}");
    assert_eq!(j["compared"][0]["equal"], true, "{j}");
    assert_eq!(j["compared"][1]["equal"], false);
    // Side by side: the chain's objects by kind, and each database's.
    assert_eq!(j["chain"]["counts"]["tables"], 3, "{j}");
    assert_eq!(j["chain"]["counts"]["enums"], 2, "{j}");
    assert_eq!(j["compared"][0]["counts"], j["chain"]["counts"]);
    assert_eq!(j["compared"][1]["counts"]["tables"], 2, "{j}");
    assert_eq!(j["compared"][2]["counts"]["indexes"], 2, "{j}");
    let staging_diff = j["compared"][1]["differences"].to_string();
    assert!(
        staging_diff.contains("table billing.invoices"),
        "{staging_diff}"
    );
    assert_eq!(j["compared"][2]["equal"], false);
    assert!(
        j["compared"][2]["differences"]
            .to_string()
            .contains("users_created_at_idx"),
        "{j}"
    );

    // Adopt from the chain: prod matches and is baselined; staging is left alone with the
    // SQL that would converge it.
    let out = import(
        &py,
        d,
        &["--db", &prod.conninfo, "--db", &staging.conninfo, "--adopt"],
    );
    let s = said(&out);
    assert_eq!(out.status.code(), Some(1), "{s}");
    assert!(
        s.contains("Adopting: the schemactl project is written from the Alembic chain"),
        "{s}"
    );
    assert!(s.contains("recorded 1 migration(s) as baselined"), "{s}");
    assert!(s.contains("Not baselined"), "{s}");
    assert!(s.contains("CREATE TABLE \"billing\".\"invoices\""), "{s}");
    assert!(s.contains("left alone"), "{s}");
    let public = std::fs::read_to_string(d.join("schema/public.toml")).unwrap();
    assert!(public.contains("numeric(10,2)"), "{public}");
    assert!(
        public.contains("values = [\"customer\", \"staff\", \"admin\"]"),
        "{public}"
    );
    assert!(d.join("schema/billing.toml").is_file());
    assert!(d.join("migrations/0001_init.sql").is_file());
    let config = std::fs::read_to_string(d.join("schemactl.toml")).unwrap();
    assert!(
        config.contains("ignore = [\"public.alembic_version\"]"),
        "{config}"
    );
    assert_eq!(
        query_one(
            &staging,
            "SELECT count(*)::text FROM pg_namespace WHERE nspname = 'schemactl'"
        ),
        "0",
        "nothing may be recorded in a database that does not match"
    );

    // prod: baselined with the Alembic revision it replaces; no drift, no differences.
    let status = schemactl_db(d, &prod.conninfo, &["status"]);
    let st = said(&status);
    assert_eq!(status.status.code(), Some(0), "{st}");
    assert!(st.contains("baselined 0001_init"), "{st}");
    assert!(
        st.contains(&format!("replaces alembic revision {MERGE}")),
        "{st}"
    );
    let drift = schemactl_db(d, &prod.conninfo, &["drift"]);
    assert_eq!(drift.status.code(), Some(0), "{}", said(&drift));
    let diff = schemactl_db(d, &prod.conninfo, &["diff"]);
    assert_eq!(diff.status.code(), Some(0), "{}", said(&diff));
    assert!(
        text(&diff.stdout).starts_with("No differences"),
        "{}",
        said(&diff)
    );
    // Alembic's table stays (read-only during the switch) and is ignored.
    assert_eq!(
        query_one(&prod, "SELECT version_num::text FROM alembic_version"),
        MERGE
    );

    // The round trip: the adopted project applied to an empty database builds what the
    // Alembic chain built, object by object.
    let empty = test_db();
    let applied = schemactl_db(d, &empty.conninfo, &["apply"]);
    assert_eq!(applied.status.code(), Some(0), "{}", said(&applied));
    let mut original = dump::objects(&dump::dump(&prod.conninfo));
    original.retain(|k, _| !k.contains("alembic_version"));
    let rebuilt = dump::objects(&dump::dump(&empty.conninfo));
    assert!(original.len() >= 12, "{original:?}");
    let report = dump::differences(
        &rebuilt,
        &original,
        "applied by schemactl",
        "built by Alembic",
    );
    assert!(report.is_empty(), "pg_dump -s differs:\n{report}");

    // staging: run the converge SQL `diff --db` prints, then baseline it.
    let converge = schemactl_db(d, &staging.conninfo, &["diff"]);
    assert_eq!(converge.status.code(), Some(1), "{}", said(&converge));
    assert!(text(&converge.stdout).contains("CREATE TABLE \"billing\".\"invoices\""));
    staging
        .connect()
        .batch_execute(&text(&converge.stdout))
        .unwrap();
    let b = schemactl_db(
        d,
        &staging.conninfo,
        &["baseline", "--note", "converged by hand"],
    );
    assert_eq!(b.status.code(), Some(0), "{}", said(&b));

    // The team's next change is a schemactl migration, applied to both.
    let public = public.replace(
        "[tables.orders.columns]\n",
        "[tables.orders.columns]\nnote = { type = \"text\", nullable = true }\n",
    );
    assert!(public.contains("note = "), "{public}");
    std::fs::write(d.join("schema/public.toml"), &public).unwrap();
    let plan = support::project::schemactl(d, &["plan", "-m", "order_note"]);
    assert_eq!(plan.status.code(), Some(0), "{}", said(&plan));
    for db in [&prod, &staging] {
        let a = schemactl_db(d, &db.conninfo, &["apply"]);
        assert_eq!(a.status.code(), Some(0), "{}", said(&a));
        assert!(text(&a.stdout).contains("0002_order_note"), "{}", said(&a));
        let drift = schemactl_db(d, &db.conninfo, &["drift"]);
        assert_eq!(drift.status.code(), Some(0), "{}", said(&drift));
        assert_eq!(
            query_one(
                db,
                "SELECT data_type::text FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'note'"
            ),
            "text"
        );
    }
}

#[test]
fn two_unmerged_heads_build_both_branches() {
    let Some(py) = python() else { return };
    let dir = alembic_fixture("shop", &[MERGE]);
    let d = dir.path();
    let one_branch = test_db();
    let both = test_db();
    upgrade(&py, d, &one_branch, ORDERS);
    upgrade(&py, d, &both, "heads");
    assert_eq!(
        query_one(
            &both,
            "SELECT string_agg(version_num, ',' ORDER BY version_num) FROM alembic_version"
        ),
        format!("{ORDERS},{BILLING}")
    );

    let out = import(
        &py,
        d,
        &[
            "--db",
            &one_branch.conninfo,
            "--db",
            &both.conninfo,
            "--adopt",
            "--format",
            "json",
        ],
    );
    // Two heads is a broken history (exit 1), but the chain builds and can be adopted.
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    let j = json(&out);
    assert_eq!(j["heads"], serde_json::json!([ORDERS, BILLING]));
    assert!(j["problems"].to_string().contains("2 heads"), "{j}");
    assert_eq!(j["chain"]["built"], true, "{j}");
    assert_eq!(j["compared"][0]["equal"], false, "{j}");
    assert_eq!(j["compared"][1]["equal"], true, "{j}");
    assert_eq!(j["adopt"]["baselines"][0]["baselined"], false, "{j}");
    assert_eq!(j["adopt"]["baselines"][1]["baselined"], true, "{j}");
    let note: String = both
        .connect()
        .query_one("SELECT note FROM schemactl.history", &[])
        .unwrap()
        .get(0);
    assert_eq!(
        note,
        format!("replaces alembic revisions {ORDERS}, {BILLING}")
    );
    let drift = schemactl_db(d, &both.conninfo, &["drift"]);
    assert_eq!(drift.status.code(), Some(0), "{}", said(&drift));
}

#[test]
fn a_missing_base_cannot_build_but_a_live_database_can_be_adopted() {
    let Some(py) = python() else { return };
    // prod was built while the base file still existed; then it was deleted.
    let full = alembic_fixture("shop", &[]);
    let prod = test_db();
    upgrade(&py, full.path(), &prod, "heads");
    let dir = alembic_fixture("shop", &[BASE]);
    let d = dir.path();

    let out = import(&py, d, &["--db", &prod.conninfo]);
    let s = said(&out);
    assert_eq!(out.status.code(), Some(1), "{s}");
    assert!(
        s.contains(&format!(
            "revises {BASE}, which no file in versions/ declares"
        )),
        "{s}"
    );
    assert!(s.contains("The chain built from empty: FAILED"), "{s}");
    assert!(s.contains(BASE), "{s}");

    // The chain cannot be the source: refused, nothing written.
    let out = import(&py, d, &["--adopt"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(
        said(&out).contains("does not build from empty"),
        "{}",
        said(&out)
    );
    assert!(!d.join("schema").exists());
    assert!(!d.join("schemactl.toml").exists());

    // The live database can.
    let out = import(
        &py,
        d,
        &["--db", &prod.conninfo, "--adopt", "--source", "db"],
    );
    let s = said(&out);
    assert_eq!(out.status.code(), Some(1), "history still broken: {s}");
    assert!(
        s.contains("Adopting: the schemactl project is written from"),
        "{s}"
    );
    assert!(s.contains("recorded 1 migration(s) as baselined"), "{s}");
    let status = schemactl_db(d, &prod.conninfo, &["status"]);
    assert!(
        said(&status).contains(&format!("replaces alembic revision {MERGE}")),
        "{}",
        said(&status)
    );
    let drift = schemactl_db(d, &prod.conninfo, &["drift"]);
    assert_eq!(drift.status.code(), Some(0), "{}", said(&drift));
}

#[test]
fn python_and_environment_errors_are_precise_and_write_nothing() {
    let Some(py) = python() else { return };
    let dir = alembic_fixture("shop", &[]);
    let d = dir.path();

    let out = Command::new(env!("CARGO_BIN_EXE_schemactl"))
        .current_dir(d)
        .args([
            "import",
            "alembic",
            "--dev",
            "--python",
            "/nonexistent/python3",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    assert!(said(&out).contains("--python"), "{}", said(&out));

    // A Python without Alembic.
    let bare = tempfile::tempdir().unwrap();
    let made = Command::new(&py)
        .args(["-m", "venv", "--without-pip"])
        .arg(bare.path())
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", said(&made));
    let out = Command::new(env!("CARGO_BIN_EXE_schemactl"))
        .current_dir(d)
        .args(["import", "alembic", "--dev", "--adopt", "--python"])
        .arg(bare.path().join("bin/python"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    assert!(
        said(&out).contains("cannot import SQLAlchemy and Alembic"),
        "{}",
        said(&out)
    );

    // env.py needs its variable: without --url-env the chain fails, with a hint naming it.
    let out = Command::new(env!("CARGO_BIN_EXE_schemactl"))
        .current_dir(d)
        .args(["import", "alembic", "--dev", "--python"])
        .arg(&py)
        .env_remove(URL_ENV)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains("--url-env"), "{}", said(&out));
    assert!(said(&out).contains(URL_ENV), "{}", said(&out));

    // --adopt into a project that has schema files: refused before anything runs.
    std::fs::create_dir_all(d.join("schema")).unwrap();
    std::fs::write(
        d.join("schema/mine.toml"),
        "[tables.t.columns]\nid = { type = \"int\" }\n",
    )
    .unwrap();
    let out = import(&py, d, &["--adopt"]);
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    assert!(
        said(&out).contains("already holds 1 schema file"),
        "{}",
        said(&out)
    );
    assert!(!d.join("migrations").exists());
    assert!(!d.join("schemactl.toml").exists());
}

/// `schemactl import alembic <args>` in `dir`.
fn import_plain(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_schemactl"))
        .current_dir(dir)
        .args(["import", "alembic"])
        .args(args)
        .output()
        .unwrap()
}

/// tests/fixtures/alembic/labelled: `alembic init -t pyproject migrations` (script_location
/// only in pyproject.toml, the script directory is `migrations/`), env.py copying APP_DB into
/// the config, the version table in schema `meta`, two independent labelled branches.
#[test]
fn a_pyproject_project_with_labelled_branches_and_its_version_table_in_meta() {
    let Some(py) = python() else { return };
    let dir = alembic_fixture("labelled", &[]);
    let d = dir.path();
    let prod = test_db();
    let staging = test_db();
    // env.py hands the URL to configparser, which wants `%` doubled.
    let app_db = |db: &TestDb| sqlalchemy_url(&db.conninfo).replace('%', "%%");
    alembic(&py, d, &[("APP_DB", &app_db(&prod))], &["upgrade", "heads"]);
    alembic(
        &py,
        d,
        &[("APP_DB", &app_db(&staging))],
        &["upgrade", "0001"],
    );
    assert_eq!(
        query_one(
            &prod,
            "SELECT string_agg(version_num, ',' ORDER BY version_num) FROM meta.alembic_version"
        ),
        "0002,0003"
    );

    // Read statically: script_location from pyproject.toml, two labelled heads are by
    // design (exit 0), and each database's place from meta.alembic_version.
    let out = import_plain(
        d,
        &[
            "--db",
            &prod.conninfo,
            "--db",
            &staging.conninfo,
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let j = json(&out);
    assert_eq!(j["heads"], serde_json::json!(["0002", "0003"]), "{j}");
    assert_eq!(j["problems"], serde_json::json!([]), "{j}");
    assert_eq!(
        j["labelled_branches"],
        serde_json::json!([{ "label": "reports", "head": "0002" }, { "label": "core", "head": "0003" }])
    );
    assert_eq!(j["databases"][0]["at"], serde_json::json!(["0002", "0003"]));
    assert_eq!(j["databases"][0]["behind"], serde_json::json!([]));
    assert_eq!(j["databases"][1]["at"], serde_json::json!(["0001"]));
    assert_eq!(
        j["databases"][1]["behind"],
        serde_json::json!(["0002", "0003"])
    );
    let text_out = import_plain(d, &["--db", &prod.conninfo]);
    let s = said(&text_out);
    assert!(s.contains("branch core: head 0003 (user email)"), "{s}");
    assert!(s.contains("up to date"), "{s}");

    // Built from empty: APP_DB gets the throwaway URL, which env.py puts into the config.
    let out = import(
        &py,
        d,
        &[
            "--url-env",
            "APP_DB",
            "--db",
            &prod.conninfo,
            "--db",
            &staging.conninfo,
            "--format",
            "json",
        ],
    );
    let j = json(&out);
    assert_eq!(out.status.code(), Some(1), "{j}");
    assert_eq!(j["chain"]["built"], true, "{j}");
    assert_eq!(j["compared"][0]["equal"], true, "{j}");
    assert_eq!(j["compared"][1]["equal"], false, "{j}");
    assert!(
        j["compared"][1]["differences"]
            .to_string()
            .contains("table reports.daily"),
        "{j}"
    );

    // schemactl's migrations/ would be Alembic's: refused before anything is written.
    let out = import(
        &py,
        d,
        &["--url-env", "APP_DB", "--db", &prod.conninfo, "--adopt"],
    );
    let s = said(&out);
    assert_eq!(out.status.code(), Some(2), "{s}");
    assert!(s.contains("it is Alembic's script directory"), "{s}");
    assert!(s.contains("migrations_dir"), "{s}");
    assert!(!d.join("schemactl.toml").exists(), "{s}");
    assert!(!d.join("schema").exists(), "{s}");

    // With schemactl's migrations elsewhere (the hint), adoption goes through.
    std::fs::write(
        d.join("schemactl.toml"),
        "[project]\nmigrations_dir = \"db/migrations\"\n",
    )
    .unwrap();
    let out = import(
        &py,
        d,
        &["--url-env", "APP_DB", "--db", &prod.conninfo, "--adopt"],
    );
    let s = said(&out);
    assert_eq!(out.status.code(), Some(0), "{s}");
    assert!(d.join("db/migrations/0001_init.sql").is_file(), "{s}");
    let config = std::fs::read_to_string(d.join("schemactl.toml")).unwrap();
    assert!(config.contains("\"meta.alembic_version\""), "{config}");
    assert!(
        config.contains("migrations_dir = \"db/migrations\""),
        "{config}"
    );
    let status = schemactl_db(d, &prod.conninfo, &["status"]);
    let st = said(&status);
    assert!(st.contains("replaces alembic revisions 0002, 0003"), "{st}");
    let drift = schemactl_db(d, &prod.conninfo, &["drift"]);
    assert_eq!(drift.status.code(), Some(0), "{}", said(&drift));
}

/// env.py's `version_table = "schema_history"`: the table is found by Alembic's signature
/// (a `version_num` column, primary key `schema_history_pkc`), the chain counts as built,
/// and adoption leaves it out and lists it in `project.ignore` as it does `alembic_version`.
#[test]
fn a_version_table_of_another_name_is_found_and_ignored() {
    let Some(py) = python() else { return };
    let dir = alembic_fixture("labelled", &[]);
    let d = dir.path();
    let env_py = d.join("migrations/env.py");
    let text_env = std::fs::read_to_string(&env_py).unwrap();
    let renamed = text_env.replace(
        "version_table_schema=\"meta\",",
        "version_table_schema=\"meta\",\n            version_table=\"schema_history\",",
    );
    assert_ne!(renamed, text_env);
    std::fs::write(&env_py, renamed).unwrap();
    std::fs::write(
        d.join("schemactl.toml"),
        "[project]\nmigrations_dir = \"db/migrations\"\n",
    )
    .unwrap();
    let prod = test_db();
    let url = sqlalchemy_url(&prod.conninfo).replace('%', "%%");
    alembic(&py, d, &[("APP_DB", &url)], &["upgrade", "heads"]);

    let out = import(
        &py,
        d,
        &["--url-env", "APP_DB", "--db", &prod.conninfo, "--adopt"],
    );
    let s = said(&out);
    assert_eq!(out.status.code(), Some(0), "{s}");
    assert!(
        s.contains("at 0002 (reports base), 0003 (user email): up to date"),
        "{s}"
    );
    assert!(s.contains("holds exactly what the chain builds"), "{s}");
    assert!(s.contains("ignored meta.schema_history"), "{s}");
    let config = std::fs::read_to_string(d.join("schemactl.toml")).unwrap();
    assert!(config.contains("\"meta.schema_history\""), "{config}");
    let schema = std::fs::read_to_string(d.join("schema/meta.toml")).unwrap_or_default();
    assert!(!schema.contains("schema_history"), "{schema}");
    let status = schemactl_db(d, &prod.conninfo, &["status"]);
    assert!(
        said(&status).contains("replaces alembic revisions 0002, 0003"),
        "{}",
        said(&status)
    );
    let drift = schemactl_db(d, &prod.conninfo, &["drift"]);
    assert_eq!(drift.status.code(), Some(0), "{}", said(&drift));
}

/// Flask-Migrate's layout: `migrations/` with alembic.ini inside it and no `script_location`
/// anywhere; found without --alembic-dir.
#[test]
fn a_flask_migrate_layout_is_found_without_alembic_dir() {
    let dir = alembic_fixture("labelled", &[]);
    let d = dir.path();
    std::fs::remove_file(d.join("pyproject.toml")).unwrap();
    std::fs::rename(d.join("alembic.ini"), d.join("migrations/alembic.ini")).unwrap();
    let out = import_plain(d, &["--format", "json"]);
    let j = json(&out);
    assert_eq!(out.status.code(), Some(0), "{j}");
    assert_eq!(j["script_dir"], "migrations", "{j}");
    assert_eq!(j["revisions"].as_array().unwrap().len(), 3, "{j}");
    // Anywhere else, the error says where it looked.
    let empty = tempfile::tempdir().unwrap();
    let out = import_plain(empty.path(), &[]);
    let s = said(&out);
    assert_eq!(out.status.code(), Some(2), "{s}");
    assert!(s.contains("pyproject.toml"), "{s}");
    assert!(s.contains("--alembic-dir"), "{s}");
}

/// Run from a subdirectory of the team's repository, with the script directory and the
/// Python given relative to it: the Python is found from where the user stands, although
/// Alembic runs in the directory of alembic.ini.
#[test]
fn run_from_a_subdirectory_with_a_relative_python() {
    let Some(py) = python() else { return };
    let dir = alembic_fixture("labelled", &[]);
    let d = dir.path();
    let venv = py.parent().unwrap().parent().unwrap();
    std::os::unix::fs::symlink(venv, d.join("venv")).unwrap();
    std::fs::create_dir(d.join("app")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_schemactl"))
        .current_dir(d.join("app"))
        .args([
            "import",
            "alembic",
            "--alembic-dir",
            "../migrations",
            "--dev",
            "--python",
            "../venv/bin/python",
            "--url-env",
            "APP_DB",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let j = json(&out);
    assert_eq!(out.status.code(), Some(0), "{j}");
    assert_eq!(j["chain"]["built"], true, "{j}");
    assert_eq!(j["chain"]["counts"]["tables"], 2, "{j}");
}

/// `alembic init -t multidb`: env.py migrates two databases in one run, each connection
/// holding its transaction; pointed at the one throwaway database, the second waits on the
/// first. The chain fails after the lock wait, with a hint, instead of hanging.
#[test]
fn a_multidb_project_fails_to_build_instead_of_hanging() {
    let Some(py) = python() else { return };
    let dir = alembic_fixture("multidb", &[]);
    let started = std::time::Instant::now();
    let out = import_plain(
        dir.path(),
        &[
            "--dev",
            "--python",
            py.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    let j = json(&out);
    assert_eq!(out.status.code(), Some(1), "{j}");
    assert_eq!(j["chain"]["built"], false, "{j}");
    let e = j["chain"]["error"].as_str().unwrap();
    assert!(e.contains("lock timeout"), "{e}");
    assert!(e.contains("--source db"), "{e}");
    assert!(started.elapsed() < std::time::Duration::from_secs(120));
}

/// env.py reading its URL with `os.getenv` (None when unset, which configparser refuses):
/// the failure names --url-env as KeyError's does.
#[test]
fn a_missing_url_variable_read_with_getenv_hints_url_env() {
    let Some(py) = python() else { return };
    let dir = alembic_fixture("labelled", &[]);
    let env_py = dir.path().join("migrations/env.py");
    let text_env = std::fs::read_to_string(&env_py).unwrap();
    let getenv = text_env.replace("os.environ[\"APP_DB\"]", "os.getenv(\"APP_DB\")");
    assert_ne!(getenv, text_env);
    std::fs::write(&env_py, getenv).unwrap();
    let out = import_plain(
        dir.path(),
        &[
            "--dev",
            "--python",
            py.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    let j = json(&out);
    assert_eq!(out.status.code(), Some(1), "{j}");
    assert_eq!(j["chain"]["built"], false, "{j}");
    assert!(
        j["chain"]["error"]
            .as_str()
            .unwrap()
            .contains("name it with --url-env"),
        "{j}"
    );
}
