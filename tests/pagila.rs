//! Pagila end to end (issues 10 and 11): the hand-written TOML project in
//! `tests/fixtures/pagila/project/` declares everything Pagila holds: tables, partitions,
//! sequences, domains, the enum, views and the materialized view, its nine functions, its
//! aggregate and its 16 triggers. It plans from empty (no database), applies into an empty
//! database through the binary, and the result equals Pagila's own SQL loaded with psql,
//! compared with `pg_dump -s` object by object. `drift` is clean on the applied database, `diff --db`
//! against the psql-loaded one plans nothing, and `verify` replays and rolls back the chain. What the comparison normalises, and why, is in
//! `tests/fixtures/pagila/README.md`.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use support::dump::{dump, objects, run};
use support::project::*;

/// [`support::dump::differences`] labelled for this test.
fn differences(
    declared: &BTreeMap<String, Vec<String>>,
    loaded: &BTreeMap<String, Vec<String>>,
) -> String {
    support::dump::differences(
        declared,
        loaded,
        "applied from the TOML project",
        "Pagila loaded with psql",
    )
}

fn fixture() -> PathBuf {
    repo_root().join("tests/fixtures/pagila")
}

fn ok(out: std::process::Output, what: &str) -> String {
    let stdout = text(&out.stdout);
    assert!(
        out.status.success(),
        "{what}: exit {:?}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status.code(),
        text(&out.stderr)
    );
    stdout
}

fn count(objects: &BTreeMap<String, Vec<String>>, kind: &str) -> usize {
    let suffix = format!("; Type: {kind}; Schema: public");
    objects
        .iter()
        .filter(|(k, _)| k.contains(&suffix))
        .map(|(_, v)| v.len())
        .sum()
}

fn copy_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture().join("project"), dir.path());
    dir
}

fn assert_no_differences(dir: &Path, conninfo: &str, what: &str) {
    let out = ok(schemactl_db(dir, conninfo, &["diff"]), what);
    assert!(out.starts_with("No differences"), "{what}:\n{out}");
}

#[test]
fn pagila_declared_in_toml_equals_pagila_loaded_with_psql() {
    // (a) Plan from empty, offline: no database involved.
    let dir = copy_project();
    let d = dir.path();
    let checked = ok(schemactl(d, &["check"]), "check");
    assert!(
        checked.starts_with("Schema OK: 71 table(s) (55 partition(s)), 1 enum(s), 2 domain(s), 13 sequence(s), 7 view(s), 1 materialized view(s), 9 function(s), 1 aggregate(s).\n"),
        "{checked}"
    );
    ok(schemactl(d, &["plan", "-m", "init"]), "plan");
    let files = migration_files(d);
    assert_eq!(files.len(), 1, "{files:?}");
    let up = std::fs::read_to_string(&files[0]).unwrap();
    assert_eq!(
        up.matches("PARTITION OF \"public\".\"payment\"").count(),
        55
    );
    assert_eq!(up.matches("CREATE SEQUENCE").count(), 13);

    // … and apply it into an empty database, through the binary.
    // A hardened database (`search_path = ''`, as CVE-2018-1058 advises): the project's
    // unqualified names (`nextval('actor_actor_id_seq'::regclass)`, `FROM payment p`) still
    // mean `public`.
    let applied = support::test_db();
    support::admin_client()
        .batch_execute(&format!(
            "ALTER DATABASE \"{}\" SET search_path = ''",
            applied.name
        ))
        .unwrap();
    ok(schemactl_db(d, &applied.conninfo, &["apply"]), "apply");
    let drift = ok(schemactl_db(d, &applied.conninfo, &["drift"]), "drift");
    assert!(drift.starts_with("No drift"), "{drift}");
    assert_no_differences(d, &applied.conninfo, "diff --db (applied)");

    // The chain replays into an empty database and its down file leaves nothing behind.
    let replay = support::test_db();
    let verified = ok(schemactl_db(d, &replay.conninfo, &["verify"]), "verify");
    assert!(verified.contains("leave nothing behind"), "{verified}");
    drop(replay);

    // (b) Pagila's own SQL loaded with psql, as its README says, minus the excluded objects.
    let loaded = support::test_db();
    let sql = fixture().join("pagila-schema.sql");
    run(
        "psql",
        &[
            "--no-psqlrc",
            "--quiet",
            "-v",
            "ON_ERROR_STOP=1",
            "--single-transaction",
            "--file",
            sql.to_str().unwrap(),
            "--dbname",
            &loaded.conninfo,
        ],
        "psql -f pagila-schema.sql",
    );
    // The project describes the psql-loaded database exactly: nothing to plan.
    assert_no_differences(d, &loaded.conninfo, "diff --db (psql-loaded Pagila)");

    // (c) pg_dump -s of both, object by object.
    let declared = objects(&dump(&applied.conninfo));
    let pagila = objects(&dump(&loaded.conninfo));
    // What Pagila holds, so an empty dump cannot pass.
    for (kind, n) in [
        ("TABLE", 71),
        ("TABLE ATTACH", 55),
        ("SEQUENCE", 13),
        ("DOMAIN", 2),
        ("TYPE", 1),
        ("VIEW", 7),
        ("MATERIALIZED VIEW", 1),
        // PostgreSQL's copies of the parent's primary key and unique index on each partition
        // are dumped as objects of their own (and attached), so they are compared too.
        ("CONSTRAINT", 71),
        ("FK CONSTRAINT", 37),
        ("INDEX", 92),
        ("INDEX ATTACH", 110),
        ("FUNCTION", 9),
        ("AGGREGATE", 1),
        ("TRIGGER", 16),
    ] {
        assert_eq!(count(&pagila, kind), n, "{kind} in the psql-loaded dump");
    }
    let report = differences(&declared, &pagila);
    assert!(
        report.is_empty(),
        "pg_dump -s differs for these objects:\n{report}"
    );
}

#[test]
fn the_dump_splitter_keys_objects_by_header_without_owner() {
    let dump = "--\n-- PostgreSQL database dump\n--\n\\restrict abc\nSET x = 1;\n\
        SELECT pg_catalog.set_config('search_path', '', false);\n\n\
        --\n-- Name: t; Type: TABLE; Schema: public; Owner: postgres\n--\n\n\
        CREATE TABLE public.t (\n    a integer\n);\n\n\n\
        --\n-- Name: t_pkey; Type: CONSTRAINT; Schema: public; Owner: -\n--\n\n\
        ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_pkey PRIMARY KEY (a);\n\\unrestrict abc\n";
    let o = objects(dump);
    assert_eq!(
        o.keys().collect::<Vec<_>>(),
        [
            "t; Type: TABLE; Schema: public",
            "t_pkey; Type: CONSTRAINT; Schema: public"
        ]
    );
    assert_eq!(
        o["t; Type: TABLE; Schema: public"],
        ["CREATE TABLE public.t (\n    a integer\n);"]
    );
    let mut other = o.clone();
    other.insert("u; Type: VIEW; Schema: public".into(), vec!["x".into()]);
    let report = differences(&o, &other);
    assert!(report.contains("=== u; Type: VIEW"), "{report}");
    assert!(report.contains("<no such object>"), "{report}");
    assert!(differences(&o, &o.clone()).is_empty());
}
