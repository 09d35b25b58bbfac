//! `schemactl init`: scaffold a project in a directory.

use super::{Exit, Global, Outcome};
use crate::migrations;
use crate::schema::config::{DEFAULT_FILE, FILE_NAME};

const EXAMPLE_SCHEMA: &str = r#"# Declare your schema here (every *.toml under schema/ is merged).
# Every key, its type and default: run `schemactl reference` (docs/reference.md).
#
# [enums.status]
# values = ["ACTIVE", "INACTIVE"]
#
# [tables.accounts]
# primary_key = ["id"]
#
# [tables.accounts.columns]
# id     = { type = "bigint", identity = "always" }
# email  = { type = "varchar(320)", unique = true }
# status = { type = "status", default = "ACTIVE" }
"#;

pub fn run(g: &Global) -> Outcome {
    if let Some(o) = super::markdown::unsupported(g, "init") {
        return o;
    }
    let root = match &g.project {
        Some(p) => p.clone(),
        None => match std::env::current_dir() {
            Ok(d) => d,
            Err(e) => return Outcome::error(Exit::Failure, format!("error: {e}")),
        },
    };
    let existing: Vec<&str> = [FILE_NAME, "schema", "migrations", "snapshots"]
        .into_iter()
        .filter(|p| root.join(p).exists())
        .collect();
    if !existing.is_empty() {
        return Outcome::error(
            Exit::Invalid,
            format!(
                "error: {} already holds {}; `init` only scaffolds a new project\n  = hint: run it in an empty directory, or pass `--project DIR`",
                root.display(),
                existing.join(", ")
            ),
        );
    }
    let result = (|| -> std::io::Result<()> {
        std::fs::create_dir_all(&root)?;
        for d in ["schema", "migrations", "snapshots"] {
            std::fs::create_dir_all(root.join(d))?;
        }
        migrations::write_files(&[
            (root.join(FILE_NAME), DEFAULT_FILE.to_string()),
            (
                root.join("schema").join("schema.toml"),
                EXAMPLE_SCHEMA.to_string(),
            ),
            (root.join("snapshots").join(".gitkeep"), String::new()),
            (root.join("migrations").join(".gitkeep"), String::new()),
        ])
    })();
    match result {
        Ok(()) => {
            let mut o = Outcome::new(Exit::Ok);
            if !g.quiet {
                o.stdout = format!(
                    "Initialised a schemactl project in {}\n  next: declare tables in schema/*.toml, then run `schemactl plan -m init`\n",
                    root.display()
                );
            }
            o
        }
        Err(e) => Outcome::error(
            Exit::Failure,
            format!("error: cannot create the project: {e}"),
        ),
    }
}
