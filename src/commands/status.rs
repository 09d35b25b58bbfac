//! `schemactl status`: per migration applied (when, by whom, how long) / pending / failed;
//! current version vs head; history that does not match the directory.

use std::time::SystemTime;

use serde_json::json;

use super::{Exit, Format, Global, Outcome, duration};
use crate::apply::{self, HistoryRow, Status};
use crate::migrations::{Chain, Migration};

/// `check`: exit 1 when migrations are pending too (a deploy gate: "is this database at
/// head?"), not only when the history disagrees with the directory.
pub fn run(g: &Global, dev: bool, check: bool) -> Outcome {
    let (_, chain, mut db, history) = match super::open_chain_db(g, dev) {
        Ok(x) => x,
        Err(o) => return o,
    };
    // A database at the end of a squashed range is shown as `apply` will record it.
    let rows = match history.rows(&mut db.client) {
        Ok(r) => apply::squash::as_brought_over(&chain, r),
        Err(e) => return failure(g, &e),
    };
    let mismatches = apply::mismatches(&rows, &chain);
    // Any disagreement between the database's history and the directory is a "no" answer:
    // `status` gates deploys, so it must not exit 0 over a chain that `apply` would refuse.
    let pending = pending_count(&rows, &chain);
    let exit = if mismatches.is_empty() && !(check && pending > 0) {
        Exit::Ok
    } else {
        Exit::No
    };
    match g.format {
        Format::Text => {
            let mut o = Outcome::new(exit);
            o.stdout = format!("Database: {}\n{}", db.label, describe(&rows, &chain));
            if mismatches.is_empty() && exit != Exit::Ok {
                o.stderr = format!(
                    "error: {pending} migration{} pending\n  = hint: `schemactl apply` runs {}\n",
                    if pending == 1 { " is" } else { "s are" },
                    if pending == 1 { "it" } else { "them" }
                );
            } else if exit != Exit::Ok {
                o.stderr = format!(
                    "error: the database's migration history does not match the directory ({} mismatch{})\n  = hint: {}\n",
                    mismatches.len(),
                    if mismatches.len() == 1 { "" } else { "es" },
                    MISMATCH_HINT
                );
            }
            o
        }
        Format::Markdown => {
            let entries = entries(&rows, &chain);
            let rows_md: Vec<super::markdown::StatusRow<'_>> = entries
                .iter()
                .map(|e| super::markdown::StatusRow {
                    version: e.version,
                    name: e.name(),
                    state: e.row.map_or("pending", |r| r.status.id()),
                    pending: e.pending(),
                    file: e.file,
                    mismatch: e.mismatch.as_deref(),
                })
                .collect();
            let mut o = Outcome::new(exit);
            o.stdout = super::markdown::status(
                &rows_md,
                current(&rows).as_deref(),
                chain.migrations.last().map(|m| m.stem.as_str()),
            );
            o
        }
        Format::Json => {
            let migrations: Vec<_> = entries(&rows, &chain)
                .iter()
                .map(|e| entry_json(e, &chain))
                .collect();
            Outcome::json(
                exit,
                json!({
                    "ok": mismatches.is_empty(),
                    "current": current(&rows),
                    "part_way": apply::part_way(&rows).into_iter().map(|r| part_way_json(&chain, r)).collect::<Vec<_>>(),
                    "head": chain.migrations.last().map(|m| &m.stem),
                    "pending": pending,
                    "migrations": migrations,
                    "mismatches": mismatches,
                }),
            )
        }
    }
}

const MISMATCH_HINT: &str = "each `mismatch` line says what differs; restore the migration files \
     the database ran (from version control), or use a database built from this directory";

/// One line of the report: a migration of the directory, what the database recorded for a
/// version, or both when they agree.
struct Entry<'a> {
    version: i32,
    /// The directory's migration, when this entry is about it.
    file: Option<&'a Migration>,
    /// The latest history row of this version, when this entry is about it.
    row: Option<&'a HistoryRow>,
    /// How the row disagrees with the directory.
    mismatch: Option<String>,
}

impl Entry<'_> {
    /// The name the database recorded, else the file's.
    fn name(&self) -> &str {
        match (self.row, self.file) {
            (Some(r), _) => &r.name,
            (None, Some(m)) => &m.stem,
            (None, None) => "",
        }
    }

    fn pending(&self) -> bool {
        self.file.is_some() && self.row.is_none_or(|r| !r.in_effect())
    }
}

/// Every version the directory or the history knows, in order. A row recorded under another
/// name than the directory's migration of its version (a deleted, renumbered or other-branch
/// migration) is an entry of its own, next to the directory's migration, which it never
/// speaks for.
fn entries<'a>(rows: &'a [HistoryRow], chain: &'a Chain) -> Vec<Entry<'a>> {
    let state = apply::latest(rows);
    let mut versions: Vec<i32> = state.keys().copied().collect();
    versions.extend(chain.migrations.iter().map(|m| m.version as i32));
    versions.sort_unstable();
    versions.dedup();
    let mut out = Vec::new();
    for version in versions {
        let file = chain
            .migrations
            .iter()
            .find(|m| m.version as i32 == version);
        let row = state.get(&version).copied();
        let mismatch = row.and_then(|r| apply::mismatch(r, chain));
        match (file, row) {
            (Some(m), Some(r)) if m.stem != r.name => {
                out.push(Entry {
                    version,
                    file: None,
                    row: Some(r),
                    mismatch,
                });
                out.push(Entry {
                    version,
                    file: Some(m),
                    row: None,
                    mismatch: None,
                });
            }
            (file, row) => out.push(Entry {
                version,
                file,
                row,
                mismatch,
            }),
        }
    }
    out
}

fn pending_count(rows: &[HistoryRow], chain: &Chain) -> usize {
    entries(rows, chain).iter().filter(|e| e.pending()).count()
}

fn entry_json(e: &Entry<'_>, chain: &Chain) -> serde_json::Value {
    let row = e.row;
    // Segments of the file the latest row is about (the down file while rolling back).
    let down =
        row.is_some_and(|r| matches!(r.status, Status::RollingBack | Status::RollbackFailed));
    let file = e.file.and_then(|m| {
        if down {
            m.down.as_deref()
        } else {
            Some(m.up.as_str())
        }
    });
    json!({
        "version": e.version,
        "migration": e.name(),
        "in_directory": e.file.is_some(),
        // What the database recorded (the chain link it ran), and the directory's link.
        "recorded_link": row.map(|r| &r.link),
        "link": e.file.map(|m| m.link.to_string()),
        "state": row.map_or("pending", |r| r.status.id()),
        "part_way": row.is_some_and(|r| r.part_way()),
        "segments_done": row.map_or(0, |r| r.segments_done),
        "segments_total": file.map(|t| apply::segments(t).len()).or_else(|| row.and_then(|r| segments_total(chain, r, down))),
        "applied_at": row.filter(|r| r.in_effect()).map(|r| rfc3339(r.applied_at)),
        "applied_by": row.map(|r| &r.applied_by),
        "duration_ms": row.map(|r| r.duration.as_millis() as u64),
        "error": row.and_then(|r| r.error.as_ref()),
        "note": row.and_then(|r| r.note.as_ref()),
        "mismatch": e.mismatch,
    })
}

fn failure(g: &Global, e: &postgres::Error) -> Outcome {
    Outcome::fail(
        g,
        Exit::Failure,
        "database",
        &crate::devdb::describe_pg_error(e),
        "check the connection and permissions",
    )
}

/// How many segments the migration's up (or down) file has; `None` when the directory has no
/// such migration.
fn segments_total(chain: &Chain, r: &HistoryRow, down: bool) -> Option<usize> {
    let m = chain
        .migrations
        .iter()
        .find(|m| m.version as i32 == r.version)?;
    let text = if down {
        m.down.as_deref()?
    } else {
        m.up.as_str()
    };
    Some(apply::segments(text).len())
}

/// `2 of 3 segments committed` (`down segments` for a rollback).
fn committed(chain: &Chain, r: &HistoryRow) -> String {
    let down = r.part_rolled_back();
    let kind = if down { "down segment" } else { "segment" };
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let in_doubt = if matches!(r.status, Status::Running | Status::RunningBack) {
        format!(", {kind} {} in doubt", r.segments_done + 1)
    } else {
        String::new()
    };
    let done = match segments_total(chain, r, down) {
        Some(total) => format!(
            "{} of {total} {kind}{} committed",
            r.segments_done,
            plural(total)
        ),
        None => format!(
            "{} {kind}{} committed",
            r.segments_done,
            plural(r.segments_done.max(0) as usize)
        ),
    };
    done + &in_doubt
}

/// `part-way through 0002_x (2 of 3 segments committed)`, or `part-way back from …` for a
/// rollback that stopped, for a migration whose latest row is [`HistoryRow::part_way`].
pub(crate) fn part_way_text(chain: &Chain, r: &HistoryRow) -> String {
    let how = if r.part_rolled_back() {
        "part-way back from"
    } else {
        "part-way through"
    };
    format!("{how} {} ({})", r.name, committed(chain, r))
}

/// JSON for a part-way migration: which, which direction, how far.
pub(crate) fn part_way_json(chain: &Chain, r: &HistoryRow) -> serde_json::Value {
    let down = r.part_rolled_back();
    json!({
        "migration": r.name,
        "direction": if down { "down" } else { "up" },
        "state": r.status.id(),
        "segments_done": r.segments_done,
        "segments_total": segments_total(chain, r, down),
    })
}

/// The last applied migration.
fn current(rows: &[HistoryRow]) -> Option<String> {
    apply::latest(rows)
        .values()
        .filter(|r| r.in_effect())
        .max_by_key(|r| r.version)
        .map(|r| r.name.clone())
}

/// The status report as text: one line per entry (see [`entries`]), the current version
/// against the head, and every mismatch.
pub fn describe(rows: &[HistoryRow], chain: &Chain) -> String {
    let mut s = String::new();
    for e in entries(rows, chain) {
        s.push_str(&entry_line(&e, chain));
    }
    let head = chain
        .migrations
        .last()
        .map_or("(none)".to_string(), |m| m.stem.clone());
    let below = current(rows).unwrap_or_else(|| "(empty)".into());
    // A part-way migration's effect is partly there: the database is not at `below`.
    let halfway: Vec<String> = apply::part_way(rows)
        .into_iter()
        .map(|r| part_way_text(chain, r))
        .collect();
    let cur = if halfway.is_empty() {
        below
    } else {
        format!("{}, on top of {below}", halfway.join(", "))
    };
    let pending = pending_count(rows, chain);
    s.push_str(&format!(
        "Current: {cur}; head: {head}; {pending} pending.\n"
    ));
    for p in apply::mismatches(rows, chain) {
        s.push_str(&format!("  mismatch: {p}\n"));
    }
    s
}

/// One entry's line. A row the directory does not have under its name says so; a mismatch
/// is flagged on the line (and spelled out after the summary).
fn entry_line(e: &Entry<'_>, chain: &Chain) -> String {
    let Some(r) = e.row else {
        return format!("  pending  {}\n", e.name());
    };
    let name = &r.name;
    // One line per migration: a server message's DETAIL/HINT lines are joined to it.
    let error = r
        .error
        .as_deref()
        .unwrap_or("")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    let mut line = match r.status {
        Status::Applied => format!(
            "  applied  {name}  {} by {} in {}",
            utc(r.applied_at),
            r.applied_by,
            duration(r.duration)
        ),
        // Recorded by `baseline`: the database already held it; the file never ran here.
        Status::Baselined => format!(
            "  baselined {name}  {} by {} (not run{})",
            utc(r.applied_at),
            r.applied_by,
            r.note
                .as_deref()
                .map_or(String::new(), |n| format!(": {}", n.escape_debug()))
        ),
        Status::Partial => format!(
            "  partial  {name} ({})  at {}; `apply` resumes it",
            committed(chain, r),
            utc(r.applied_at)
        ),
        Status::RolledBack => format!("  pending  {name}  (rolled back {})", utc(r.applied_at)),
        Status::RollingBack => format!(
            "  ROLLING BACK {name} ({})  at {}; `rollback` resumes it",
            committed(chain, r),
            utc(r.applied_at)
        ),
        Status::RollbackFailed if r.in_effect() => format!(
            "  applied  {name}  rollback failed at {} (no down segment committed): {error}",
            utc(r.applied_at)
        ),
        Status::RollbackFailed => format!(
            "  ROLLBACK FAILED {name} ({})  at {}; `rollback` resumes it: {error}",
            committed(chain, r),
            utc(r.applied_at)
        ),
        // Committed segments stay: say so, a bare FAILED reads as "nothing happened".
        Status::Failed if r.part_applied() => format!(
            "  FAILED   {name} ({})  at {}; `apply` resumes after them: {error}",
            committed(chain, r),
            utc(r.applied_at)
        ),
        Status::Failed => format!("  FAILED   {name}  at {}: {error}", utc(r.applied_at)),
        Status::Running | Status::RunningBack => {
            let (what, cmd) = if r.status == Status::Running {
                ("segment", "apply")
            } else {
                ("down segment", "rollback")
            };
            format!(
                "  RUNNING  {name} ({})  {what} {} started at {} and did not finish (it may have committed); unless `{cmd}` is running now in another session, `{cmd}` runs it again",
                committed(chain, r),
                r.segments_done + 1,
                utc(r.applied_at)
            )
        }
    };
    if e.mismatch.is_some() {
        line.push_str("  [MISMATCH]");
    } else if e.file.is_none() {
        line.push_str("  [not in the directory]");
    }
    line.push('\n');
    line
}

/// RFC 3339 in UTC (`2026-12-06T02:41:18.25Z`), for JSON; `null`-free like [`utc`].
pub fn rfc3339(t: SystemTime) -> String {
    match jiff::Timestamp::try_from(t) {
        Ok(ts) => ts.to_string(),
        Err(_) => "(a time outside years -9999..9999)".to_string(),
    }
}

/// `YYYY-MM-DD HH:MM:SSZ` in UTC. Calendar arithmetic by `jiff`, which refuses (rather
/// than panics on) instants outside years -9999..=9999, such as a tampered history row.
pub fn utc(t: SystemTime) -> String {
    match jiff::Timestamp::try_from(t) {
        Ok(ts) => ts.strftime("%Y-%m-%d %H:%M:%SZ").to_string(),
        Err(_) => "(a time outside years -9999..9999)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::utc;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn json_times_are_rfc3339() {
        assert_eq!(super::rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            super::rfc3339(UNIX_EPOCH + Duration::from_millis(1_795_000_000_250)),
            "2026-11-18T11:06:40.25Z"
        );
    }

    #[test]
    fn formats_utc() {
        assert_eq!(utc(UNIX_EPOCH), "1970-01-01 00:00:00Z");
        assert_eq!(
            utc(UNIX_EPOCH + Duration::from_secs(1_795_000_000)),
            "2026-11-18 11:06:40Z"
        );
        assert_eq!(
            utc(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29 00:00:00Z"
        );
        assert_eq!(
            utc(UNIX_EPOCH - Duration::from_secs(86_400)),
            "1969-12-31 00:00:00Z"
        );
        assert!(utc(UNIX_EPOCH + Duration::from_secs(400_000_000_000)).contains("outside"));
    }
}
