//! The example project's migrations on a real PostgreSQL 15: they apply with `psql -1 -f`,
//! the catalog shows exact types, all enums and all foreign keys, default names are the ones
//! PostgreSQL reports, and re-planning from empty reaches the same catalog.

mod support;

use std::collections::BTreeSet;
use std::process::Command;

use schemactl::model::snapshot;
use support::project::*;

/// `psql` next to the server binaries (or on PATH).
fn psql() -> std::path::PathBuf {
    let bin = schemactl::devdb::find_bin_dir().expect("PostgreSQL binaries");
    let p = bin.join("psql");
    if p.exists() { p } else { "psql".into() }
}

fn psql_file(conninfo: &str, file: &std::path::Path) {
    let out = Command::new(psql())
        .args(["-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-f"])
        .arg(file)
        .arg(conninfo)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "psql -1 -f {} failed: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn names(client: &mut postgres::Client, sql: &str) -> BTreeSet<String> {
    client
        .query(sql, &[])
        .unwrap()
        .iter()
        .map(|r| r.get::<_, String>(0))
        .collect()
}

#[test]
fn example_chain_applies_with_psql_and_the_catalog_matches_the_snapshot() {
    let db = support::test_db();
    let root = repo_root();
    let files = migration_files(&root);
    assert!(
        files.len() >= 2,
        "the example has an initial and an additive migration"
    );
    for f in &files {
        psql_file(&db.conninfo, f);
    }
    let mut client = db.connect();

    let apn: String = client
        .query_one(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute
             WHERE attrelid = 'public.book_registrations'::regclass AND attname = 'applicant_priority_number'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(apn, "numeric(10,2)");

    let enums = names(
        &mut client,
        "SELECT t.typname::text FROM pg_type t WHERE t.typtype = 'e' AND t.typnamespace = 'public'::regnamespace",
    );
    let expected: BTreeSet<String> = [
        "bookclassification",
        "bookregion",
        "booktier",
        "registrationstatus",
        "laborrequesttype",
        "laborrequeststatus",
        "dispatchstatus",
        "dispatchoutcome",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(enums, expected);

    let labels = names(
        &mut client,
        "SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum
         WHERE enumtypid = 'public.bookclassification'::regtype",
    );
    assert_eq!(
        labels.into_iter().next().unwrap(),
        "WIRE,TECHNICIAN,SOUND_COMM,STOCKMAN,LT_FXT_MAINT,MARINE,RESIDENTIAL,TRADESHOW,UTILITY_WORKER,TERO_APPR_WIRE"
    );

    // Every name in the head snapshot exists in the catalog, and nothing else does.
    let text = std::fs::read_to_string(root.join("snapshots/head.toml")).unwrap();
    let model = snapshot::from_toml(&text).unwrap();
    let mut fks = BTreeSet::new();
    let mut constraints = BTreeSet::new();
    let mut indexes = BTreeSet::new();
    for (q, t) in model.tables() {
        for n in t.foreign_keys.keys() {
            fks.insert(format!("{}.{n}", q.name));
        }
        constraints.extend(
            t.primary_key
                .iter()
                .map(|p| format!("{}.{}", q.name, p.name)),
        );
        constraints.extend(t.uniques.keys().map(|n| format!("{}.{n}", q.name)));
        constraints.extend(t.checks.keys().map(|n| format!("{}.{n}", q.name)));
        indexes.extend(t.indexes.keys().cloned());
        indexes.extend(t.primary_key.iter().map(|p| p.name.clone()));
        indexes.extend(t.uniques.keys().cloned());
    }
    assert!(fks.len() >= 10, "the example has its foreign keys: {fks:?}");
    let db_fks = names(
        &mut client,
        "SELECT conrelid::regclass::text || '.' || conname FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace",
    );
    assert_eq!(db_fks, fks);
    let db_constraints = names(
        &mut client,
        "SELECT conrelid::regclass::text || '.' || conname FROM pg_constraint WHERE contype IN ('p', 'u', 'c') AND connamespace = 'public'::regnamespace",
    );
    assert_eq!(db_constraints, constraints);
    let db_indexes = names(
        &mut client,
        "SELECT c.relname::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace = 'public'::regnamespace",
    );
    assert_eq!(db_indexes, indexes);

    // The FK cycle (book_registrations <-> dispatches) is in place.
    let cycle = names(
        &mut client,
        "SELECT conrelid::regclass::text || '->' || confrelid::regclass::text FROM pg_constraint
         WHERE contype = 'f' AND conrelid IN ('book_registrations'::regclass, 'dispatches'::regclass)
           AND confrelid IN ('book_registrations'::regclass, 'dispatches'::regclass)",
    );
    assert_eq!(cycle.len(), 2, "{cycle:?}");
}

#[test]
fn replanning_from_empty_gives_one_migration_with_the_same_catalog() {
    let chain_db = support::test_db();
    let root = repo_root();
    let mut chain_client = chain_db.connect();
    for f in migration_files(&root) {
        apply_sql(&mut chain_client, &std::fs::read_to_string(f).unwrap());
    }

    let fresh = copy_example_schema();
    run_plan(fresh.path(), "init");
    let files = migration_files(fresh.path());
    assert_eq!(files.len(), 1);
    let single_db = support::test_db();
    let mut single_client = single_db.connect();
    apply_sql(
        &mut single_client,
        &std::fs::read_to_string(&files[0]).unwrap(),
    );

    let a = catalog_dump(&mut chain_client);
    let b = catalog_dump(&mut single_client);
    assert!(
        a.len() > 100,
        "the dump covers the schema: {} lines",
        a.len()
    );
    assert_eq!(a, b);

    // And the head snapshots agree.
    let head = std::fs::read_to_string(root.join("snapshots/head.toml")).unwrap();
    let fresh_head = std::fs::read_to_string(fresh.path().join("snapshots/head.toml")).unwrap();
    assert_eq!(head, fresh_head);
}
