//! Temp projects, the `schemactl` binary, and a textual dump of a database's catalog for
//! comparing two databases.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use schemactl::commands::{Exit, Global, plan};
use schemactl::compile;
use schemactl::model::Model;

/// A temp project with the given files (paths relative to the project root).
pub fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

/// Compile a project; panics with the rendered diagnostics if it is invalid.
pub fn compile_dir(dir: &Path) -> Model {
    let (sources, _, result) = compile::compile_project(dir);
    match result {
        Ok(out) => out.model,
        Err(d) => panic!("{}", schemactl::diag::render_text(&d, &sources, false)),
    }
}

/// The migration SQL body that takes `from` to `to` (what `plan` writes after the header).
pub fn plan_sql(from: &Model, to: &Model) -> String {
    let plan = schemactl::plan::plan(schemactl::diff::diff(from, to));
    assert!(plan.unsupported.is_empty(), "{:?}", plan.unsupported);
    plan.sql_body()
}

/// Run `schemactl plan` through the library, as the binary does.
pub fn run_plan(dir: &Path, name: &str) -> Exit {
    let g = Global {
        project: Some(dir.to_path_buf()),
        ..Global::default()
    };
    let out = plan::run(
        &g,
        &plan::Options {
            name: Some(name.into()),
            ..Default::default()
        },
    );
    assert!(
        out.exit == Exit::Ok,
        "plan failed: {}{}",
        out.stdout,
        out.stderr
    );
    out.exit
}

pub fn schemactl(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_schemactl"))
        .arg("--project")
        .arg(dir)
        .args(args)
        .output()
        .unwrap()
}

/// Run the binary on the project in `dir` against the database `db`.
pub fn schemactl_db(dir: &Path, db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_schemactl"))
        .arg("--project")
        .arg(dir)
        .args(["--db", db])
        .args(args)
        .output()
        .unwrap()
}

/// Process output as text.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The repository root (the example project).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Copy the example's config and schema (not its migrations) into a fresh temp project.
pub fn copy_example_schema() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = repo_root();
    std::fs::copy(
        root.join("schemactl.toml"),
        dir.path().join("schemactl.toml"),
    )
    .unwrap();
    copy_tree(&root.join("schema"), &dir.path().join("schema"));
    dir
}

/// Copy the whole example project (config, schema, migrations, snapshots).
pub fn copy_example_project() -> tempfile::TempDir {
    let dir = copy_example_schema();
    let root = repo_root();
    copy_tree(&root.join("migrations"), &dir.path().join("migrations"));
    copy_tree(&root.join("snapshots"), &dir.path().join("snapshots"));
    dir
}

pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// Up migration files of a project, in order.
pub fn migration_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("migrations"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().to_string();
            n.ends_with(".sql") && !n.ends_with(".down.sql")
        })
        .collect();
    files.sort();
    files
}

/// Everything the user schema consists of, as sorted text lines, from the catalog of the
/// non-system schemas: types, columns, constraints, indexes, comments, extensions.
pub fn catalog_dump(client: &mut postgres::Client) -> Vec<String> {
    const SYSTEM: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')";
    let queries = [
        format!(
            "SELECT 'enum ' || n.nspname || '.' || t.typname || ' ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) || ' ' || coalesce(obj_description(t.oid, 'pg_type'), '')
             FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_enum e ON e.enumtypid = t.oid
             WHERE {SYSTEM} GROUP BY n.nspname, t.typname, t.oid"
        ),
        format!(
            "SELECT 'column ' || c.oid::regclass::text || ' ' || a.attnum || ' ' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                    || ' notnull=' || a.attnotnull || ' identity=' || a.attidentity::text || ' generated=' || a.attgenerated::text
                    || ' default=' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
                    || ' collation=' || coalesce((SELECT collname FROM pg_collation WHERE oid = a.attcollation AND a.attcollation <> t.typcollation), '')
                    || ' comment=' || coalesce(col_description(c.oid, a.attnum), '')
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
             JOIN pg_type t ON t.oid = a.atttypid
             LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
             WHERE c.relkind = 'r' AND {SYSTEM}"
        ),
        format!(
            "SELECT 'table ' || c.oid::regclass::text || ' comment=' || coalesce(obj_description(c.oid, 'pg_class'), '')
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND {SYSTEM}"
        ),
        format!(
            "SELECT 'constraint ' || con.conrelid::regclass::text || ' ' || con.conname || ' ' || pg_get_constraintdef(con.oid)
             FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace WHERE con.conrelid <> 0 AND {SYSTEM}"
        ),
        format!(
            "SELECT 'index ' || pg_get_indexdef(i.indexrelid)
             FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {SYSTEM}"
        ),
        format!(
            "SELECT 'sequence ' || c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind = 'S' AND {SYSTEM}"
        ),
        "SELECT 'extension ' || extname || ' ' || extnamespace::regnamespace::text FROM pg_extension WHERE extname <> 'plpgsql'".to_string(),
        format!("SELECT 'schema ' || n.nspname FROM pg_namespace n WHERE {SYSTEM} AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname NOT LIKE 'pg_toast_temp%'"),
    ];
    let mut lines = Vec::new();
    for q in queries {
        for row in client.query(q.as_str(), &[]).unwrap() {
            lines.push(row.get::<_, String>(0));
        }
    }
    lines.sort();
    lines
}

/// Apply one migration file the way `psql -1 -f` does: all of it in one transaction.
pub fn apply_sql(client: &mut postgres::Client, sql: &str) {
    let mut tx = client.transaction().unwrap();
    if let Err(e) = tx.batch_execute(sql) {
        panic!(
            "migration failed on PostgreSQL: {}\n--- SQL ---\n{sql}",
            schemactl::devdb::describe_pg_error(&e)
        );
    }
    tx.commit().unwrap();
}

/// The catalog model of the `public` schema of the database `client` is connected to.
pub fn read_public(client: &mut postgres::Client) -> schemactl::model::Model {
    schemactl::catalog::read(
        client,
        &schemactl::catalog::ReadOptions {
            schemas: vec!["public".into()],
            ignore: vec![],
            history_schema: "schemactl".into(),
        },
    )
    .expect("catalog read")
    .model
}
