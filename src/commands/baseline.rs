//! `schemactl baseline [--to V] [--note TEXT]`: adopt a database that already has the schema.
//! Under the migration lock: refuse a database that has any history, compare the live catalog
//! with the snapshot at V (as `drift` does), refuse with the differences unless they are
//! equal, then record migrations 1..V as `baselined` (not run) in one transaction.

use std::time::Duration;

use serde_json::json;

use super::live::{Comparison, compare_at, differences_text};
use super::{Database, Exit, Format, Global, Outcome, load_chain, open_db};
use crate::apply::{self, ApplyError, History, HistoryRow};
use crate::migrations::{Chain, Migration};
use crate::schema::config::Project;

#[derive(Clone, Debug)]
pub struct Options {
    /// The version the database is at (default: the head of the chain).
    pub to: Option<u32>,
    /// Recorded in the `note` column of every row written (default: `baseline at <stem>`).
    pub note: Option<String>,
    pub lock_timeout: Duration,
}

pub fn run(g: &Global, opts: &Options) -> Outcome {
    let (project, chain) = match load_chain(g) {
        Ok(x) => x,
        Err(o) => return o,
    };
    let Some(head) = chain.migrations.last() else {
        return Outcome::fail(
            g,
            Exit::Invalid,
            "no-migrations",
            "there are no migrations to baseline",
            "describe the database with `schemactl inspect`, `schemactl plan -m init`, then `schemactl baseline`",
        );
    };
    let to = opts.to.unwrap_or(head.version);
    let Some(target) = chain.migrations.iter().find(|m| m.version == to) else {
        return Outcome::fail(
            g,
            Exit::Invalid,
            "unknown-version",
            &format!("there is no migration {to:04}"),
            "`--to` takes the number of a migration in migrations/",
        );
    };
    let note = match opts.note.as_deref().map(str::trim) {
        Some(n) if n.chars().any(char::is_control) => {
            return Outcome::fail(
                g,
                Exit::Invalid,
                "invalid-note",
                "--note must be one line of text without control characters",
                "pass a short description, e.g. --note \"replaces alembic revision 1a2b3c\"",
            );
        }
        Some(n) if !n.is_empty() => n.to_string(),
        _ => format!("baseline at {}", target.stem),
    };
    let mut db = match open_db(g, &project, false) {
        Ok(db) => db,
        Err(o) => return o,
    };
    let history = super::history(&project);
    if let Err(e) = apply::lock(&mut db.client, &history.schema, opts.lock_timeout) {
        return database_failure(g, &e);
    }
    let result = locked(g, &project, chain, &mut db, &history, to, &note);
    // A lost connection releases the lock anyway.
    let _ = apply::unlock(&mut db.client, &history.schema);
    result
}

fn database_failure(g: &Global, e: &ApplyError) -> Outcome {
    let (code, hint) = match e {
        ApplyError::LockTimeout(_) => (
            "lock-timeout",
            "wait for the running apply to finish, or raise --lock-timeout",
        ),
        _ => ("database", "check the connection and permissions"),
    };
    Outcome::fail(g, Exit::Failure, code, &e.to_string(), hint)
}

/// The work under the lock.
fn locked(
    g: &Global,
    project: &Project,
    mut chain: Chain,
    db: &mut Database,
    history: &History,
    to: u32,
    note: &str,
) -> Outcome {
    let rows = match history.rows(&mut db.client) {
        Ok(r) => r,
        Err(e) => return database_failure(g, &e.into()),
    };
    if !rows.is_empty() {
        return Outcome::fail(
            g,
            Exit::Invalid,
            "has-history",
            &format!(
                "{} already has a migration history ({}); baseline only adopts a database schemactl has recorded nothing for, so nothing was recorded",
                db.label,
                recorded(&rows)
            ),
            "`schemactl status` shows the history; `schemactl apply` runs what is pending and `schemactl drift` compares the database with the version it is at",
        );
    }
    let Comparison {
        version,
        differences,
        details,
        sql,
    } = match compare_at(g, project, &mut chain, db, to) {
        Ok(c) => c,
        Err(o) => return o,
    };
    if !differences.is_empty() {
        return refused(g, &db.label, &version, &differences, &details, &sql);
    }
    let adopted: Vec<&Migration> = chain
        .migrations
        .iter()
        .filter(|m| m.version <= to)
        .collect();
    if let Err(e) = history.record_baselined(&mut db.client, &adopted, Some(note)) {
        return database_failure(g, &e.into());
    }
    let pending: Vec<&str> = chain
        .migrations
        .iter()
        .filter(|m| m.version > to)
        .map(|m| m.stem.as_str())
        .collect();
    match g.format {
        Format::Json => Outcome::json(
            Exit::Ok,
            json!({
                "ok": true,
                "version": version,
                "baselined": adopted.iter().map(|m| &m.stem).collect::<Vec<_>>(),
                "note": note,
                "pending": pending,
            }),
        ),
        Format::Text => {
            let mut o = Outcome::new(Exit::Ok);
            if g.quiet {
                return o;
            }
            o.stdout = format!(
                "Baselined {}: it matches {version}; recorded {} migration(s) as baselined (not run):\n",
                db.label,
                adopted.len()
            );
            for m in &adopted {
                o.stdout.push_str(&format!("  baselined {}\n", m.stem));
            }
            if !pending.is_empty() {
                o.stdout.push_str(&format!(
                    "{} migration(s) after it pending ({}); `schemactl apply` runs them.\n",
                    pending.len(),
                    pending.join(", ")
                ));
            }
            o
        }
    }
}

/// `0001_init baselined, 0002_x applied` (the latest state of each version, at most five).
fn recorded(rows: &[HistoryRow]) -> String {
    let latest = apply::latest(rows);
    let mut parts: Vec<String> = latest
        .values()
        .take(5)
        .map(|r| format!("{} {}", r.name, r.status.id().replace('_', " ")))
        .collect();
    if latest.len() > 5 {
        parts.push(format!("… and {} more", latest.len() - 5));
    }
    parts.join(", ")
}

/// The database differs from the snapshot: exit 1, the differences as `drift` shows them,
/// nothing recorded.
fn refused(
    g: &Global,
    label: &str,
    version: &str,
    found: &[String],
    details: &[super::deviation::Deviation],
    sql: &str,
) -> Outcome {
    let message = format!(
        "{label} does not match {version} ({} difference{}); nothing was recorded",
        found.len(),
        if found.len() == 1 { "" } else { "s" }
    );
    let hint = format!(
        "make the database equal to {version} (the SQL above is what would do it; review it first), or baseline another version with --to, or describe the database as it is (`schemactl inspect --out DIR` writes it as schema files to compare with schema/) and plan from that"
    );
    match g.format {
        Format::Json => Outcome::json(
            Exit::No,
            json!({
                "ok": false,
                "version": version,
                "drift": found,
                "differences": details,
                "sql": sql,
                "error": { "code": "differs", "message": message, "hint": hint },
            }),
        ),
        Format::Text => {
            let mut o = Outcome::new(Exit::No);
            o.stdout = format!("Not baselined: {label} differs from {version}:\n");
            o.stdout.push_str(&differences_text(
                found,
                &format!(
                    "SQL that would make the database match {version} (baseline runs none of it)"
                ),
                sql,
            ));
            o.stderr = format!("error: {message}\n  = hint: {hint}\n");
            o
        }
    }
}
