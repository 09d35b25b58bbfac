//! `schemactl new -m NAME`: a hand-written migration (a backfill, a data fix) added to the
//! chain. The snapshot stays the head's (the schema does not change), the files are hashed
//! like generated ones, the header carries the hazards the author declares (gated ones need
//! `--allow`, as in `plan`), and `--no-transaction` marks the step to run outside a
//! transaction. The SQL comes from `--sql FILE` (and `--down-sql FILE`), or the files are
//! written as templates to fill in and seal with `schemactl hash`.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::{Exit, Format, Global, Outcome, layout, load_chain, rel};
use crate::apply::NO_TRANSACTION;
use crate::migrations::{self, NewMigration};
use crate::plan::Hazard;

#[derive(Clone, Debug, Default)]
pub struct Options {
    pub name: String,
    /// The up file's SQL (default: a template).
    pub sql: Option<PathBuf>,
    /// The down file's SQL (default: a template).
    pub down_sql: Option<PathBuf>,
    /// What the SQL risks, declared by its author.
    pub hazards: Vec<Hazard>,
    pub allow: Vec<Hazard>,
    pub no_transaction: bool,
}

pub fn run(g: &Global, opts: &Options) -> Outcome {
    if let Some(o) = super::markdown::unsupported(g, "new") {
        return o;
    }
    if let Err(e) = migrations::validate_name(&opts.name) {
        return Outcome::fail(
            g,
            Exit::Invalid,
            "invalid-name",
            &format!("invalid migration name `{}`: {e}", opts.name),
            &format!("try `-m {}`", migrations::slug(&opts.name)),
        );
    }
    let (project, chain) = match load_chain(g) {
        Ok(x) => x,
        Err(o) => return o,
    };
    let Some(snapshot) = chain
        .snapshot
        .clone()
        .filter(|_| !chain.migrations.is_empty())
    else {
        return Outcome::fail(
            g,
            Exit::Invalid,
            "no-migrations",
            "a hand-written migration goes after the schema's first migration; there is none yet",
            "declare the schema in schema/ and run `schemactl plan -m init` first",
        );
    };
    let policy = project.config.policy();
    let refused = policy.refused(&opts.hazards, &opts.allow);
    if !refused.is_empty() {
        let ids: Vec<&str> = refused.iter().map(|h| h.id()).collect();
        return Outcome::fail(
            g,
            Exit::No,
            "hazard-not-allowed",
            &format!(
                "the migration declares {} which must be allowed; nothing was written",
                ids.join(", ")
            ),
            &format!(
                "review the SQL, then pass `--allow {}` (recorded in the header)",
                ids.join(",")
            ),
        );
    }
    let read = |p: &Path| {
        std::fs::read_to_string(p).map_err(|e| {
            Outcome::fail(
                g,
                Exit::Invalid,
                "unreadable-file",
                &format!("cannot read {}: {e}", p.display()),
                "give the path of a file holding the SQL",
            )
        })
    };
    let up = match &opts.sql {
        Some(p) => match read(p) {
            Ok(sql) => body(&opts.name, &sql, opts.no_transaction),
            Err(o) => return o,
        },
        None => body(
            &opts.name,
            "-- Write the SQL here (e.g. an UPDATE that backfills a column), then run `schemactl hash`.\n",
            opts.no_transaction,
        ),
    };
    let down = match &opts.down_sql {
        Some(p) => match read(p) {
            // The undo of a step outside a transaction (a concurrent build) is one too.
            Ok(sql) => body(&format!("undo {}", opts.name), &sql, opts.no_transaction),
            Err(o) => return o,
        },
        None => body(
            &format!("undo {}", opts.name),
            "-- Write the SQL that undoes it (or leave only comments when there is nothing to undo), then run `schemactl hash`.\n",
            opts.no_transaction,
        ),
    };
    let hazards: Vec<String> = opts.hazards.iter().map(|h| h.id().to_string()).collect();
    let allowed: Vec<String> = policy
        .granted(&opts.hazards, &opts.allow)
        .iter()
        .map(|h| h.id().to_string())
        .collect();
    let layout = layout(&project);
    let files = match migrations::prepare(
        &layout,
        &chain,
        NewMigration {
            name: &opts.name,
            hazards,
            allowed,
            up_body: up,
            down_body: Some(down),
            // Undoing a hand-written change risks what doing it risked.
            down_hazards: opts.hazards.iter().map(|h| h.id().to_string()).collect(),
            snapshot,
        },
    ) {
        Ok(f) => f,
        Err(p) => return Outcome::error(Exit::Invalid, super::problem_text(&p, &project.root)),
    };
    if let Err(e) = migrations::write_files(&files) {
        return Outcome::fail(
            g,
            Exit::Failure,
            "io",
            &format!("writing the migration failed: {e}"),
            "check permissions of migrations/",
        );
    }
    let up_path = rel(&project.root, &files[0].0);
    let down_path = rel(&project.root, &files[1].0);
    let templates = opts.sql.is_none() || opts.down_sql.is_none();
    match g.format {
        Format::Json => Outcome::json(
            Exit::Ok,
            json!({ "ok": true, "migration": up_path, "down": down_path, "template": templates }),
        ),
        Format::Text | Format::Markdown => {
            let mut o = Outcome::new(Exit::Ok);
            if g.quiet {
                return o;
            }
            o.stdout = format!(
                "Wrote {up_path} and {down_path} (hand-written; the snapshot is unchanged).\n"
            );
            if templates {
                o.stdout.push_str(
                    "  next: write the SQL into the template(s), then `schemactl hash` seals them into the chain\n",
                );
            }
            o
        }
    }
}

/// The file body: `sql` as one step named after the migration, unless it has its own
/// `-- step` markers; marked to run outside a transaction when asked.
fn body(name: &str, sql: &str, no_transaction: bool) -> String {
    let has_steps = crate::sql::lex::lines_with_level(sql)
        .iter()
        .any(|(line, top)| *top && line.starts_with("-- step "));
    let mut s = String::new();
    if has_steps {
        s.push_str(sql);
    } else {
        if no_transaction {
            s.push_str(NO_TRANSACTION);
            s.push('\n');
        }
        s.push_str(&format!("-- step 1: hand-written {name}\n"));
        s.push_str(sql.trim_end());
        s.push('\n');
    }
    s
}
