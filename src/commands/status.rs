//! `schemactl status`: per migration applied (when, by whom, how long) / pending / failed;
//! current version vs head; history that does not match the directory.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::json;

use super::{Exit, Format, Global, Outcome, duration};
use crate::apply::{self, History, HistoryRow, Status};
use crate::migrations::Chain;

pub fn run(g: &Global, dev: bool) -> Outcome {
    let (_, chain, mut db, history) = match super::open_chain_db(g, dev) {
        Ok(x) => x,
        Err(o) => return o,
    };
    match g.format {
        Format::Text => match describe(&mut db.client, &history, &chain) {
            Ok(s) => {
                let mut o = Outcome::new(Exit::Ok);
                o.stdout = format!("Database: {}\n{s}", db.label);
                o
            }
            Err(e) => failure(g, &e),
        },
        Format::Json => {
            let rows = match history.rows(&mut db.client) {
                Ok(r) => r,
                Err(e) => return failure(g, &e),
            };
            let state = apply::latest(&rows);
            let migrations: Vec<_> = chain
                .migrations
                .iter()
                .map(|m| {
                    let row = state.get(&(m.version as i32));
                    // Segments of the file the latest row is about (the down file while
                    // rolling back).
                    let down = row.is_some_and(|r| {
                        matches!(r.status, Status::RollingBack | Status::RollbackFailed)
                    });
                    let file = if down {
                        m.down.as_deref()
                    } else {
                        Some(m.up.as_str())
                    };
                    json!({
                        "migration": m.stem,
                        "state": row.map_or("pending", |r| r.status.id()),
                        "part_way": row.is_some_and(|r| r.part_way()),
                        "segments_done": row.map_or(0, |r| r.segments_done),
                        "segments_total": file.map(|t| apply::segments(t).len()),
                        "applied_at": row.filter(|r| r.in_effect()).map(|r| utc(r.applied_at)),
                        "applied_by": row.map(|r| &r.applied_by),
                        "duration_ms": row.map(|r| r.duration.as_millis() as u64),
                        "error": row.and_then(|r| r.error.as_ref()),
                    })
                })
                .collect();
            Outcome::json(
                Exit::Ok,
                json!({
                    "ok": true,
                    "current": current(&rows),
                    "part_way": apply::part_way(&rows).into_iter().map(|r| part_way_json(&chain, r)).collect::<Vec<_>>(),
                    "head": chain.migrations.last().map(|m| &m.stem),
                    "migrations": migrations,
                    "mismatches": apply::mismatches(&rows, &chain),
                }),
            )
        }
    }
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
    match segments_total(chain, r, down) {
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
    }
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

/// The status report as text.
pub fn describe(
    client: &mut postgres::Client,
    history: &History,
    chain: &Chain,
) -> Result<String, postgres::Error> {
    let rows = history.rows(client)?;
    let state = apply::latest(&rows);
    let mut s = String::new();
    for m in &chain.migrations {
        let line = match state.get(&(m.version as i32)) {
            None => format!("  pending  {}\n", m.stem),
            Some(r) => match r.status {
                Status::Applied => format!(
                    "  applied  {}  {} by {} in {}\n",
                    m.stem,
                    utc(r.applied_at),
                    r.applied_by,
                    duration(r.duration)
                ),
                Status::Partial => format!(
                    "  partial  {} ({})  at {}; `apply` resumes it\n",
                    m.stem,
                    committed(chain, r),
                    utc(r.applied_at)
                ),
                Status::RolledBack => format!(
                    "  pending  {}  (rolled back {})\n",
                    m.stem,
                    utc(r.applied_at)
                ),
                Status::RollingBack => format!(
                    "  ROLLING BACK {} ({})  at {}; `rollback` resumes it\n",
                    m.stem,
                    committed(chain, r),
                    utc(r.applied_at)
                ),
                Status::RollbackFailed if r.in_effect() => format!(
                    "  applied  {}  rollback failed at {} (no down segment committed): {}\n",
                    m.stem,
                    utc(r.applied_at),
                    r.error.as_deref().unwrap_or("")
                ),
                Status::RollbackFailed => format!(
                    "  ROLLBACK FAILED {} ({})  at {}; `rollback` resumes it: {}\n",
                    m.stem,
                    committed(chain, r),
                    utc(r.applied_at),
                    r.error.as_deref().unwrap_or("")
                ),
                // Committed segments stay: say so, a bare FAILED reads as "nothing happened".
                Status::Failed if r.part_applied() => format!(
                    "  FAILED   {} ({})  at {}; `apply` resumes after them: {}\n",
                    m.stem,
                    committed(chain, r),
                    utc(r.applied_at),
                    r.error.as_deref().unwrap_or("")
                ),
                Status::Failed => format!(
                    "  FAILED   {}  at {}: {}\n",
                    m.stem,
                    utc(r.applied_at),
                    r.error.as_deref().unwrap_or("")
                ),
            },
        };
        s.push_str(&line);
    }
    let head = chain
        .migrations
        .last()
        .map_or("(none)".to_string(), |m| m.stem.clone());
    let below = current(&rows).unwrap_or_else(|| "(empty)".into());
    // A part-way migration's effect is partly there: the database is not at `below`.
    let halfway: Vec<String> = apply::part_way(&rows)
        .into_iter()
        .map(|r| part_way_text(chain, r))
        .collect();
    let cur = if halfway.is_empty() {
        below
    } else {
        format!("{}, on top of {below}", halfway.join(", "))
    };
    let pending = apply::pending(chain, &rows, None).len();
    s.push_str(&format!(
        "Current: {cur}; head: {head}; {pending} pending.\n"
    ));
    for p in apply::mismatches(&rows, chain) {
        s.push_str(&format!("  mismatch: {p}\n"));
    }
    Ok(s)
}

/// `YYYY-MM-DD HH:MM:SSZ` in UTC.
pub fn utc(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Days to civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::utc;
    use std::time::{Duration, UNIX_EPOCH};

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
    }
}
