//! `schemactl discard`: undo the newest `plan` that was never applied. Removes the newest
//! migration (up and down file) and puts the head snapshot and the sum file back as they were
//! before it, so `check` passes and the next `plan` writes the same migration again.
//!
//! Only the head snapshot is stored; earlier ones exist as hashes in the sum file. The
//! snapshot before the newest migration is therefore taken from git (the index, then every
//! commit that changed the file) and accepted only when its hash is the one the sum file
//! records; without it nothing is written. Discarding the first migration needs no earlier
//! snapshot: the project goes back to having no sum file and no snapshot, as after `init`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;

use super::{Exit, Format, Global, Outcome, layout, load_chain, rel};
use crate::migrations::{self, Link, SumEntry, render_sum, snapshot_hash};

/// How many commits that changed the snapshot are searched for the earlier one.
const MAX_COMMITS: usize = 1000;

/// `--help`: examples and what is refused.
pub const HELP: &str =
    "The snapshot before the newest migration is taken from git (the index, else an older
commit) and must hash to what the sum file records. schema/ is left as it is: edit it and
run `schemactl plan` again. Without --db no database is consulted.

Examples:
  schemactl discard
  schemactl discard --db \"$DATABASE_URL\"   (refused, exit 2, while that database has it)";

pub fn run(g: &Global) -> Outcome {
    if let Some(o) = super::markdown::unsupported(g, "discard") {
        return o;
    }
    let (project, chain) = match load_chain(g) {
        Ok(x) => x,
        Err(o) => return o,
    };
    let Some(last) = chain.migrations.last() else {
        return Outcome::fail(
            g,
            Exit::Invalid,
            "no-migrations",
            "there is no migration to discard: the migration directory is empty",
            "`discard` removes the newest migration `plan` wrote",
        );
    };
    // A database given with --db must not have it: discarding an applied migration leaves
    // the database at a version the directory no longer has.
    if g.db.is_some() {
        let mut db = match super::open_db(g, &project, false) {
            Ok(db) => db,
            Err(o) => return o,
        };
        let history = super::history(&project);
        let rows = match history.rows(&mut db.client) {
            Ok(r) => r,
            Err(e) => {
                return Outcome::fail(
                    g,
                    Exit::Failure,
                    "database",
                    &crate::devdb::describe_pg_error(&e),
                    "check the connection and permissions",
                );
            }
        };
        let state = crate::apply::latest(&rows);
        if let Some(row) = state
            .get(&(last.version as i32))
            .filter(|r| r.name == last.stem && (r.in_effect() || r.part_way()))
        {
            let how = if row.in_effect() {
                row.status.id()
            } else {
                "part-way"
            };
            return Outcome::fail(
                g,
                Exit::Invalid,
                "discard-applied",
                &format!(
                    "{} is {how} in {}: discarding it would leave that database at a migration the directory no longer has; nothing was changed",
                    last.stem, db.label
                ),
                &format!(
                    "roll the database back first (`schemactl rollback --to {}`), or plan the fix as a new migration on top",
                    last.version - 1
                ),
            );
        }
    }
    let layout = layout(&project);
    let kept = &chain.migrations[..chain.migrations.len() - 1];
    let snapshot_path = layout.snapshot_path();
    let sum_path = layout.sum_path();
    // The files to write and the files to remove.
    let mut write: Vec<(PathBuf, String)> = Vec::new();
    let mut remove: Vec<PathBuf> = Vec::new();
    let mut source = None;
    match kept.last() {
        None => remove.extend([snapshot_path.clone(), sum_path.clone()]),
        Some(prev) => {
            let (text, from) = match earlier_snapshot(&snapshot_path, &prev.snapshot_hash) {
                Ok(found) => found,
                Err(why) => {
                    return Outcome::fail(
                        g,
                        Exit::Invalid,
                        "snapshot-not-found",
                        &format!(
                            "cannot restore {} as it was after {}: {why}; nothing was changed",
                            rel(&project.root, &snapshot_path),
                            prev.stem
                        ),
                        &format!(
                            "only the head snapshot is stored; put the version whose blake3 is {} at {} (e.g. from a backup or another clone) and delete {} and its down file by hand, or keep the migration and plan the fix on top",
                            prev.snapshot_hash,
                            rel(&project.root, &snapshot_path),
                            rel(&project.root, &last.path)
                        ),
                    );
                }
            };
            source = Some(from);
            let entries: Vec<SumEntry> = kept
                .iter()
                .map(|m| SumEntry {
                    stem: m.stem.clone(),
                    link: m.link,
                    snapshot_hash: m.snapshot_hash,
                })
                .collect();
            write.push((snapshot_path.clone(), text));
            write.push((sum_path.clone(), render_sum(&prev.link, &entries)));
        }
    }
    // The sum file and snapshot first: interrupted before the removals, `check` names the
    // left-over files as not in the sum file.
    let mut removed = vec![layout.up_path(&last.stem)];
    if last.down.is_some() {
        removed.push(layout.down_path(&last.stem));
    }
    let result =
        migrations::replace_files(&write, &[remove.as_slice(), removed.as_slice()].concat());
    if let Err(e) = result {
        return Outcome::fail(
            g,
            Exit::Failure,
            "io",
            &format!("discarding {} failed part-way: {e}", last.stem),
            "run `schemactl check` to see the state of the directory, and restore it from version control",
        );
    }
    let shown: Vec<String> = removed.iter().map(|p| rel(&project.root, p)).collect();
    let back_to = kept.last().map_or("no migrations", |m| m.stem.as_str());
    match g.format {
        Format::Json => Outcome::json(
            Exit::Ok,
            json!({
                "ok": true,
                "discarded": last.stem,
                "removed": shown,
                "head": kept.last().map(|m| m.stem.as_str()),
                "snapshot_from": source,
            }),
        ),
        Format::Text | Format::Markdown => {
            let mut o = Outcome::new(Exit::Ok);
            if !g.quiet {
                o.stdout = format!(
                    "Discarded {}: removed {}; {} and {} are back at {back_to}{}.\n  = note: schema/ still holds the changes it planned: edit them and run `schemactl plan` again, or revert them\n",
                    last.stem,
                    shown.join(" and "),
                    rel(&project.root, &snapshot_path),
                    rel(&project.root, &sum_path),
                    source
                        .as_deref()
                        .map_or(String::new(), |s| format!(" (snapshot from git: {s})")),
                );
            }
            o
        }
    }
}

/// The snapshot text whose hash is `want`, and where git had it (`index` or a short commit
/// id): the index first, then each commit that changed the file, newest first, on every ref.
fn earlier_snapshot(path: &Path, want: &Link) -> Result<(String, String), String> {
    let (Some(dir), Some(file)) = (path.parent(), path.file_name()) else {
        return Err("the snapshot path has no directory".into());
    };
    let file = file.to_string_lossy();
    let git = |args: &[&str]| -> Result<Vec<u8>, String> {
        let out = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .map_err(|e| format!("git could not be run ({e})"))?;
        if out.status.success() {
            Ok(out.stdout)
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
        }
    };
    git(&["rev-parse", "--is-inside-work-tree"])
        .map_err(|e| format!("the project is not in a git work tree ({e})"))?;
    let log = git(&[
        "log",
        "--all",
        "--format=%H",
        &format!("--max-count={MAX_COMMITS}"),
        "--",
        &file,
    ])
    .unwrap_or_default();
    let commits = String::from_utf8_lossy(&log).into_owned();
    let candidates = std::iter::once(("index".to_string(), format!(":./{file}"))).chain(
        commits.lines().map(|c| {
            (
                c.chars().take(12).collect::<String>(),
                format!("{c}:./{file}"),
            )
        }),
    );
    let mut tried = 0;
    for (label, spec) in candidates {
        tried += 1;
        let Ok(bytes) = git(&["show", &spec]) else {
            continue;
        };
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        if snapshot_hash(&text) == *want {
            return Ok((migrations::normalise(&text).into_owned(), label));
        }
    }
    Err(format!(
        "no version of it in git (index and {} commit{} searched) has the hash the sum file records",
        tried - 1,
        if tried == 2 { "" } else { "s" }
    ))
}
