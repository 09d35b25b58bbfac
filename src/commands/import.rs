//! `schemactl import alembic`: an Alembic project's revision graph, read statically
//! (`crate::alembic`), reported with what is wrong with it, and where each database given
//! with `--db` stands (its `alembic_version`). Exit 1 when the history is broken (several
//! heads, a missing revision, a duplicate id), 2 when the files cannot be read, 3 when a
//! database cannot be read.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::{Exit, Format, Global, Outcome};
use crate::alembic::{self, History, Position};
use crate::diag::SourceMap;

/// What `--alembic-dir` and the databases give.
pub struct Options {
    pub alembic_dir: Option<PathBuf>,
    /// Every `--db` given (none: the graph only).
    pub databases: Vec<String>,
}

/// One database's `alembic_version` rows, or why they could not be read.
struct DbState {
    label: String,
    versions: Result<Vec<String>, String>,
}

pub fn alembic(g: &Global, opts: &Options) -> Outcome {
    let dir = match script_dir(g, opts) {
        Ok(d) => d,
        Err(o) => return o,
    };
    let mut sources = SourceMap::default();
    let history = match alembic::read(&dir, &mut sources) {
        Ok(h) => h,
        Err(diags) => {
            let root = std::env::current_dir().unwrap_or_default();
            return super::invalid(g, &sources, &diags, &[], &root);
        }
    };
    let mut dbs = Vec::new();
    for url in &opts.databases {
        match read_versions(url) {
            Ok(s) => dbs.push(s),
            Err(e) => return Outcome::fail(g, Exit::Failure, "connect", &e.message, &e.hint),
        }
    }
    let problems = history.problems();
    let broken = problems.iter().any(alembic::Problem::breaks);
    let exit = if broken { Exit::No } else { Exit::Ok };
    match g.format {
        Format::Json => Outcome::json(exit, report_json(&dir, &history, &problems, &dbs)),
        Format::Text => {
            let mut o = Outcome::new(exit);
            o.stdout = report_text(&dir, &history, &problems, &dbs);
            o
        }
    }
}

/// `--alembic-dir`, else `script_location` of `./alembic.ini`, else `./alembic`.
fn script_dir(g: &Global, opts: &Options) -> Result<PathBuf, Outcome> {
    if let Some(d) = &opts.alembic_dir {
        return Ok(d.clone());
    }
    let ini = Path::new("alembic.ini");
    if let Some(d) = alembic::script_location(ini) {
        return Ok(d);
    }
    if Path::new("alembic/versions").is_dir() {
        return Ok(PathBuf::from("alembic"));
    }
    Err(Outcome::fail(
        g,
        Exit::Invalid,
        "alembic-not-found",
        "no Alembic project here: ./alembic.ini has no `script_location` and ./alembic/versions does not exist",
        "give the script directory (the folder holding env.py and versions/) with --alembic-dir",
    ))
}

fn read_versions(url: &str) -> Result<DbState, crate::connect::ConnectError> {
    let options = crate::connect::ConnectOptions {
        url: Some(url.to_string()),
        application_name: "schemactl".into(),
        ..Default::default()
    };
    let (mut client, target) = crate::connect::connect(&options)?;
    let versions = client
        .query(
            "SELECT version_num::text FROM alembic_version ORDER BY 1",
            &[],
        )
        .map(|rows| rows.iter().map(|r| r.get(0)).collect())
        .map_err(|e| match e.as_db_error() {
            Some(d) if d.code() == &postgres::error::SqlState::UNDEFINED_TABLE => {
                "no alembic_version table: Alembic never ran here (or its version table is elsewhere)".to_string()
            }
            _ => crate::devdb::describe_pg_error(&e),
        });
    Ok(DbState {
        label: target.to_string(),
        versions,
    })
}

fn label(h: &History, id: &str) -> String {
    match h.get(id).and_then(|r| r.message.as_deref()) {
        Some(m) => format!("{id} ({m})"),
        None => id.to_string(),
    }
}

fn report_text(dir: &Path, h: &History, problems: &[alembic::Problem], dbs: &[DbState]) -> String {
    let mut s = format!(
        "Alembic project {}: {} revision{}\n",
        dir.display(),
        h.revisions.len(),
        if h.revisions.len() == 1 { "" } else { "s" }
    );
    let list = |ids: &[&str]| {
        ids.iter()
            .map(|i| label(h, i))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let bases = h.bases();
    if bases.is_empty() {
        s.push_str("  base: none (every revision revises another)\n");
    } else {
        s.push_str(&format!("  base: {}\n", list(&bases)));
    }
    let heads = h.heads();
    s.push_str(&format!(
        "  head{}: {}\n",
        if heads.len() == 1 { "" } else { "s" },
        list(&heads)
    ));
    for (at, children) in h.branch_points() {
        s.push_str(&format!(
            "  branch point: {} → {}\n",
            label(h, at),
            children.join(", ")
        ));
    }
    for m in h.merges() {
        s.push_str(&format!(
            "  merge: {} of {}\n",
            label(h, &m.id),
            m.down.join(", ")
        ));
    }
    if problems.is_empty() {
        s.push_str("  history: one head, every revision present\n");
    } else {
        s.push_str("Problems:\n");
        for p in problems {
            let kind = if p.breaks() { "error" } else { "warning" };
            s.push_str(&format!("  - {kind}: {}\n", p.text()));
        }
    }
    for db in dbs {
        s.push_str(&format!("Database {}: ", db.label));
        match &db.versions {
            Err(e) => s.push_str(&format!("{e}\n")),
            Ok(v) => s.push_str(&position_text(h, &h.position(v))),
        }
    }
    s
}

fn position_text(h: &History, p: &Position) -> String {
    if p.at.is_empty() {
        return format!(
            "alembic_version is empty (at base): {} revision{} to run\n",
            p.behind.len(),
            if p.behind.len() == 1 { "" } else { "s" }
        );
    }
    let mut s = format!(
        "at {}",
        p.at.iter()
            .map(|i| label(h, i))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if !p.unknown.is_empty() {
        s.push_str(&format!(
            "; {} named by no revision file (deleted, or from another branch)",
            p.unknown.join(", ")
        ));
    }
    if p.behind.is_empty() {
        s.push_str(": up to date (every revision applied)\n");
    } else {
        let heads = if p.at_heads.is_empty() {
            "not a head".to_string()
        } else {
            format!("a head ({})", p.at_heads.join(", "))
        };
        s.push_str(&format!(
            ": {heads}, {} revision{} behind ({})\n",
            p.behind.len(),
            if p.behind.len() == 1 { "" } else { "s" },
            p.behind.join(", ")
        ));
    }
    s
}

fn report_json(
    dir: &Path,
    h: &History,
    problems: &[alembic::Problem],
    dbs: &[DbState],
) -> serde_json::Value {
    let revisions: Vec<serde_json::Value> = h
        .revisions
        .iter()
        .map(|r| {
            json!({
                "revision": r.id,
                "down_revision": r.down,
                "branch_labels": r.branch_labels,
                "depends_on": r.depends_on,
                "message": r.message,
                "file": r.file.display().to_string(),
            })
        })
        .collect();
    let databases: Vec<serde_json::Value> = dbs
        .iter()
        .map(|db| match &db.versions {
            Err(e) => json!({ "database": db.label, "error": e }),
            Ok(v) => {
                let p = h.position(v);
                json!({
                    "database": db.label,
                    "at": p.at,
                    "unknown": p.unknown,
                    "at_heads": p.at_heads,
                    "behind": p.behind,
                })
            }
        })
        .collect();
    json!({
        "ok": !problems.iter().any(alembic::Problem::breaks),
        "script_dir": dir.display().to_string(),
        "revisions": revisions,
        "bases": h.bases(),
        "heads": h.heads(),
        "branch_points": h.branch_points().into_iter().map(|(at, c)| json!({ "revision": at, "children": c })).collect::<Vec<_>>(),
        "merges": h.merges().iter().map(|m| json!({ "revision": m.id, "merges": m.down })).collect::<Vec<_>>(),
        "problems": problems.iter().map(|p| json!({ "error": p.breaks(), "message": p.text() })).collect::<Vec<_>>(),
        "databases": databases,
    })
}
