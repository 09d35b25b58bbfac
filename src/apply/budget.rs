//! The lock budget of migration DDL (issue 14): how long a transactional segment may wait
//! for a lock (`SET LOCAL lock_timeout`), how long a statement may run
//! (`SET LOCAL statement_timeout`), and how often a segment that hit its lock timeout is
//! rolled back and tried again. Also which relations the failing step named and which other
//! sessions hold locks on them, for the retry lines and the final message.

use std::time::Duration;

use postgres::GenericClient;

use crate::sql::quote_ident;

/// The default of `[apply] ddl_lock_timeout` and `--ddl-lock-timeout`.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(2);
/// The default of `[apply] ddl_retries` and `--ddl-retries`.
pub const DEFAULT_RETRIES: u32 = 5;
/// The most `ddl_retries` accepts.
pub const MAX_RETRIES: u32 = 100;
/// The longest wait between two tries.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// The longest timeout PostgreSQL takes (an `int` of milliseconds).
const MAX_TIMEOUT_MS: u128 = i32::MAX as u128;

/// Timeouts and retries of transactional segments ([`super::Options::ddl`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// `lock_timeout` of each transactional segment; zero: wait as long as it takes.
    pub lock_timeout: Duration,
    /// `statement_timeout` of each transactional segment; `None` leaves the session's own.
    pub statement_timeout: Option<Duration>,
    /// How many times a segment that hit its lock timeout is tried again.
    pub retries: u32,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            statement_timeout: None,
            retries: DEFAULT_RETRIES,
        }
    }
}

impl Budget {
    /// The `SET LOCAL` statements that start a transactional segment.
    pub fn set_local_sql(&self) -> String {
        let mut sql = format!("SET LOCAL lock_timeout = {}", millis(self.lock_timeout));
        if let Some(t) = self.statement_timeout {
            sql.push_str(&format!("; SET LOCAL statement_timeout = {}", millis(t)));
        }
        sql
    }

    /// The wait before retry `n` (1-based): the lock timeout × 2^(n-1), at most
    /// [`MAX_BACKOFF`].
    pub fn backoff(&self, n: u32) -> Duration {
        let factor = 2u32.saturating_pow(n.saturating_sub(1));
        self.lock_timeout
            .checked_mul(factor)
            .unwrap_or(MAX_BACKOFF)
            .min(MAX_BACKOFF)
    }
}

/// Non-transactional segments (`CREATE INDEX CONCURRENTLY`, …) run with neither timeout: a
/// concurrent build takes only SHARE UPDATE EXCLUSIVE, and waits for older transactions
/// through lock waits that a lock timeout would turn into a failed, INVALID index.
pub const NO_TIMEOUTS_SQL: &str = "SET lock_timeout = 0; SET statement_timeout = 0";
/// Back to the session's own values after a non-transactional segment.
pub const RESET_TIMEOUTS_SQL: &str = "RESET lock_timeout; RESET statement_timeout";

/// Whole milliseconds (rounded up, so a non-zero duration never becomes "disabled").
fn millis(d: Duration) -> u128 {
    let ms = d.as_millis();
    if d > Duration::from_millis(ms as u64) {
        ms + 1
    } else {
        ms
    }
}

/// Parse a duration as `schemactl.toml` and the flags take it: a number and a unit
/// (`"500ms"`, `"2s"`, `"1min"`, `"1m 30s"`; humantime's units), or `"0"`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let d = if t == "0" {
        Duration::ZERO
    } else {
        humantime::parse_duration(t).map_err(|e| format!("`{text}` is not a duration ({e})"))?
    };
    if millis(d) > MAX_TIMEOUT_MS {
        return Err(format!(
            "`{text}` is longer than PostgreSQL's longest timeout (about 24 days)"
        ));
    }
    Ok(d)
}

/// `2 s`, `200 ms`, `1.5 s`, `1 min 30 s`: a duration in messages.
pub fn show(d: Duration) -> String {
    let ms = millis(d);
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        if ms % 1000 == 0 {
            format!("{} s", ms / 1000)
        } else {
            format!("{:.1} s", ms as f64 / 1000.0)
        }
    } else {
        let (min, s) = (ms / 60_000, (ms % 60_000) / 1000);
        if s == 0 {
            format!("{min} min")
        } else {
            format!("{min} min {s} s")
        }
    }
}

/// The relation names a step's SQL may lock: every dotted sequence of identifiers (quoted
/// or not), rebuilt with their quotes, in order of first appearance; of a longer sequence
/// (`schema.table.column`) its first two parts, since `to_regclass` refuses three. Words that
/// are no relation resolve to nothing in [`holders`].
pub fn candidates(sql: &str) -> Vec<String> {
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::tokenizer::{Token, Tokenizer};
    let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize() else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    let mut parts: Vec<String> = Vec::new();
    // Whether the last token was a `.` continuing `parts`.
    let mut dotted = false;
    let flush = |parts: &mut Vec<String>, out: &mut Vec<String>| {
        if !parts.is_empty() && !parts.iter().any(|p| p.is_empty() || p == "\"\"") {
            let name = parts[..parts.len().min(2)].join(".");
            if !out.contains(&name) {
                out.push(name);
            }
        }
        parts.clear();
    };
    for token in tokens {
        match token {
            Token::Word(w) => {
                if !dotted {
                    flush(&mut parts, &mut out);
                }
                parts.push(match w.quote_style {
                    Some('"') => quote_ident(&w.value),
                    _ => w.value,
                });
                dotted = false;
            }
            Token::Period if !parts.is_empty() && !dotted => dotted = true,
            _ => {
                flush(&mut parts, &mut out);
                dotted = false;
            }
        }
    }
    flush(&mut parts, &mut out);
    out.truncate(500);
    out
}

/// Another session holding a granted lock on a relation the failing step names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    /// Schema-qualified (`public.t`), quoted where needed.
    pub relation: String,
    pub pid: i32,
    /// When its transaction started (`2026-12-06T06:01:02Z`), if it is in one.
    pub xact_start: Option<String>,
    /// When its current or last query started.
    pub query_start: Option<String>,
    /// `idle in transaction`, `active`, …
    pub state: Option<String>,
}

/// What a lock timeout met: the relations of the step that exist, and who holds locks on
/// them. Read after the segment rolled back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Contention {
    /// The step's relations that exist (schema-qualified).
    pub relations: Vec<String>,
    /// Other sessions holding granted locks on them, oldest transaction first.
    pub holders: Vec<Holder>,
}

impl Contention {
    /// The relation(s) to name: those held by others, else those of the step.
    pub fn on(&self) -> Option<String> {
        let mut names: Vec<&str> = Vec::new();
        for h in &self.holders {
            if !names.contains(&h.relation.as_str()) {
                names.push(&h.relation);
            }
        }
        if names.is_empty() {
            names = self.relations.iter().map(String::as_str).collect();
        }
        (!names.is_empty()).then(|| names.join(", "))
    }

    /// `held by pid 4242 (transaction started …, state idle in transaction)` for the
    /// oldest holder, `and N other sessions` for the rest.
    pub fn held_by(&self) -> Option<String> {
        let first = self.holders.first()?;
        let mut details = Vec::new();
        match (&first.xact_start, &first.query_start) {
            (Some(x), _) => details.push(format!("transaction started {x}")),
            (None, Some(q)) => details.push(format!("query started {q}")),
            _ => {}
        }
        if let Some(s) = &first.state {
            details.push(format!("state {s}"));
        }
        let mut out = format!("held by pid {}", first.pid);
        if !details.is_empty() {
            out.push_str(&format!(" ({})", details.join(", ")));
        }
        let others: Vec<i32> = self
            .holders
            .iter()
            .map(|h| h.pid)
            .filter(|p| *p != first.pid)
            .fold(Vec::new(), |mut v, p| {
                if !v.contains(&p) {
                    v.push(p);
                }
                v
            });
        match others.len() {
            0 => {}
            1 => out.push_str(&format!(" and pid {}", others[0])),
            n => out.push_str(&format!(" and {n} other sessions")),
        }
        Some(out)
    }
}

/// Resolve `candidates` to relations (one query, `to_regclass` over the array), then find
/// the other sessions holding granted locks on them (one query on `pg_locks` ⨝
/// `pg_stat_activity`). Only what this role may see of other sessions is shown (the state
/// and times of another role's session may be NULL); never their query text.
pub fn holders(
    client: &mut impl GenericClient,
    candidates: &[String],
) -> Result<Contention, postgres::Error> {
    if candidates.is_empty() {
        return Ok(Contention::default());
    }
    let rows = client.query(
        "SELECT DISTINCT ON (r.oid) r.oid,
                format('%I.%I', n.nspname, c.relname), o.ord
         FROM pg_catalog.unnest($1::text[]) WITH ORDINALITY AS o(name, ord)
         CROSS JOIN LATERAL (SELECT pg_catalog.to_regclass(o.name)::oid AS oid) r
         JOIN pg_catalog.pg_class c ON c.oid = r.oid
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         ORDER BY r.oid, o.ord",
        &[&candidates],
    )?;
    let mut found: Vec<(i64, postgres::types::Oid, String)> = rows
        .iter()
        .map(|r| (r.get(2), r.get(0), r.get(1)))
        .collect();
    found.sort();
    if found.is_empty() {
        return Ok(Contention::default());
    }
    let oids: Vec<postgres::types::Oid> = found.iter().map(|(_, o, _)| *o).collect();
    let utc = "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'";
    let rows = client.query(
        &format!(
            "SELECT DISTINCT format('%I.%I', n.nspname, c.relname), l.pid,
                    pg_catalog.to_char(a.xact_start AT TIME ZONE 'UTC', {utc}),
                    pg_catalog.to_char(a.query_start AT TIME ZONE 'UTC', {utc}),
                    a.state, a.xact_start
             FROM pg_catalog.pg_locks l
             JOIN pg_catalog.pg_class c ON c.oid = l.relation
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
             WHERE l.locktype = 'relation' AND l.granted
               AND l.relation = ANY($1::oid[])
               AND l.database = (SELECT oid FROM pg_catalog.pg_database
                                 WHERE datname = pg_catalog.current_database())
               AND l.pid <> pg_catalog.pg_backend_pid()
             ORDER BY a.xact_start NULLS LAST, l.pid, 1"
        ),
        &[&oids],
    )?;
    Ok(Contention {
        relations: found.into_iter().map(|(_, _, name)| name).collect(),
        holders: rows
            .iter()
            .map(|r| Holder {
                relation: r.get(0),
                pid: r.get(1),
                xact_start: r.get(2),
                query_start: r.get(3),
                state: r.get(4),
            })
            .collect(),
    })
}

/// Whether a step failed because a lock was not granted in time (SQLSTATE 55P03,
/// `lock_not_available`).
pub fn is_lock_timeout(e: &postgres::Error) -> bool {
    e.code() == Some(&postgres::error::SqlState::LOCK_NOT_AVAILABLE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_units_and_zero() {
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1min"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert!(parse_duration("2").is_err());
        assert!(parse_duration("2 parsecs").is_err());
        assert!(parse_duration("30days").is_err());
        assert_eq!(show(Duration::from_secs(2)), "2 s");
        assert_eq!(show(Duration::from_millis(200)), "200 ms");
        assert_eq!(show(Duration::from_millis(1500)), "1.5 s");
        assert_eq!(show(Duration::from_secs(90)), "1 min 30 s");
    }

    #[test]
    fn backoff_doubles_from_the_lock_timeout_up_to_a_minute() {
        let b = Budget::default();
        let waits: Vec<u64> = (1..=7).map(|n| b.backoff(n).as_secs()).collect();
        assert_eq!(waits, [2, 4, 8, 16, 32, 60, 60]);
        let b = Budget {
            lock_timeout: Duration::from_millis(200),
            ..Budget::default()
        };
        assert_eq!(b.backoff(2), Duration::from_millis(400));
        assert_eq!(b.backoff(200), MAX_BACKOFF);
    }

    #[test]
    fn set_local_leaves_the_statement_timeout_alone_unless_given() {
        assert_eq!(
            Budget::default().set_local_sql(),
            "SET LOCAL lock_timeout = 2000"
        );
        let b = Budget {
            lock_timeout: Duration::ZERO,
            statement_timeout: Some(Duration::from_micros(1500)),
            retries: 0,
        };
        assert_eq!(
            b.set_local_sql(),
            "SET LOCAL lock_timeout = 0; SET LOCAL statement_timeout = 2"
        );
    }

    #[test]
    fn candidates_are_dotted_names_quoted_as_written() {
        let c = candidates(
            "ALTER TABLE \"public\".\"T x\" ADD COLUMN \"c\" text REFERENCES app.u (id); -- public.not_this",
        );
        assert!(c.contains(&"\"public\".\"T x\"".to_string()), "{c:?}");
        assert!(c.contains(&"app.u".to_string()), "{c:?}");
        assert!(c.contains(&"ALTER".to_string()), "{c:?}");
        assert!(!c.iter().any(|x| x.contains("not_this")), "{c:?}");
        assert_eq!(
            candidates("SELECT public.t.c FROM x"),
            ["SELECT", "public.t", "FROM", "x"]
        );
    }
}
