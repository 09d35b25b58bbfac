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
                    json!({
                        "migration": m.stem,
                        "state": row.map_or("pending", |r| r.status.id()),
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
                    "  partial  {}  {} segment(s) done at {}; `apply` resumes it\n",
                    m.stem,
                    r.segments_done,
                    utc(r.applied_at)
                ),
                Status::RolledBack => format!(
                    "  pending  {}  (rolled back {})\n",
                    m.stem,
                    utc(r.applied_at)
                ),
                Status::RollingBack => format!(
                    "  ROLLING BACK {}  {} down segment(s) done at {}; `rollback` resumes it\n",
                    m.stem,
                    r.segments_done,
                    utc(r.applied_at)
                ),
                Status::RollbackFailed => format!(
                    "  {} {}  rollback failed at {} ({} down segment(s) done): {}\n",
                    if r.in_effect() {
                        "applied "
                    } else {
                        "ROLLBACK FAILED"
                    },
                    m.stem,
                    utc(r.applied_at),
                    r.segments_done,
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
    let cur = current(&rows).unwrap_or_else(|| "(empty)".into());
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
