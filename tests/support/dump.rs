//! `pg_dump -s` of a database split into objects, for comparing two databases object by
//! object (the same normalisation as `tests/pagila.rs`, described in
//! `tests/fixtures/pagila/README.md`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use super::project::text;

/// A PostgreSQL client program next to the server binaries the tests run.
pub fn pg_bin(program: &str) -> PathBuf {
    let dir = match super::local_cluster() {
        Some(cluster) => cluster.bin_dir().to_path_buf(),
        None => schemactl::devdb::find_bin_dir().unwrap_or_else(|e| panic!("{e}")),
    };
    dir.join(program)
}

/// Run a client program; its stdout, or a panic with everything it printed.
pub fn run(program: &str, args: &[&str], what: &str) -> String {
    let out = Command::new(pg_bin(program))
        .args(args)
        .env("PGOPTIONS", "-c client_min_messages=warning")
        .output()
        .unwrap_or_else(|e| panic!("{what}: could not run {program}: {e}"));
    assert!(
        out.status.success(),
        "{what}: exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// Load an SQL file with psql in one transaction, stopping at the first error.
pub fn psql_file(conninfo: &str, file: &std::path::Path) {
    run(
        "psql",
        &[
            "--no-psqlrc",
            "--quiet",
            "-v",
            "ON_ERROR_STOP=1",
            "--single-transaction",
            "--file",
            file.to_str().unwrap(),
            "--dbname",
            conninfo,
        ],
        "psql -f",
    );
}

/// `pg_dump -s` without owners, privileges and schemactl's history schema.
pub fn dump(conninfo: &str) -> String {
    run(
        "pg_dump",
        &[
            "--schema-only",
            "--no-owner",
            "--no-privileges",
            "--exclude-schema=schemactl",
            "--dbname",
            conninfo,
        ],
        "pg_dump",
    )
}

/// A dump split at its `-- Name: …` headers (without `Owner`), normalised: comment and
/// blank lines, `SET` lines, `set_config('search_path', …)` and `\restrict` keys dropped.
pub fn objects(dump: &str) -> BTreeMap<String, Vec<String>> {
    let mut objects: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut header = "(preamble)".to_string();
    let mut body: Vec<&str> = Vec::new();
    let mut flush = |header: &str, body: &mut Vec<&str>| {
        objects
            .entry(header.to_string())
            .or_default()
            .push(body.join("\n"));
        body.clear();
    };
    for line in dump.lines() {
        if let Some(h) = line.strip_prefix("-- Name: ") {
            flush(&header, &mut body);
            header = match h.rfind("; Owner:") {
                Some(i) => h[..i].to_string(),
                None => h.to_string(),
            };
            continue;
        }
        let trimmed = line.trim();
        if trimmed.is_empty()
            || trimmed.starts_with("--")
            || line.starts_with("SET ")
            || line.starts_with("SELECT pg_catalog.set_config('search_path'")
            || line.starts_with("\\restrict ")
            || line.starts_with("\\unrestrict ")
        {
            continue;
        }
        body.push(line);
    }
    flush(&header, &mut body);
    objects.retain(|_, bodies| bodies.iter().any(|b| !b.is_empty()));
    for bodies in objects.values_mut() {
        bodies.sort();
    }
    objects
}

/// Every object whose definition differs, with both texts; empty when equal.
pub fn differences(
    a: &BTreeMap<String, Vec<String>>,
    b: &BTreeMap<String, Vec<String>>,
    a_name: &str,
    b_name: &str,
) -> String {
    let mut report = String::new();
    let missing = || vec!["<no such object>".to_string()];
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for key in keys {
        let (x, y) = (a.get(key), b.get(key));
        if x == y {
            continue;
        }
        report.push_str(&format!(
            "\n=== {key}\n--- {a_name}:\n{}\n--- {b_name}:\n{}\n",
            x.cloned().unwrap_or_else(missing).join("\n"),
            y.cloned().unwrap_or_else(missing).join("\n"),
        ));
    }
    report
}
