//! A database at the end of a squashed range accepts the squashed chain.
//!
//! `schemactl squash --to V` replaces migrations 1..V with one whose header records
//! `-- squashes: <stem of V> <link of V>`. A database whose history has exactly 1..V in
//! effect, V under that stem and link, is brought over on `apply`'s first run, in one
//! transaction under the lock: the old rows stay (what ran, when, by whom); a `baselined`
//! row records the squashed migration as version 1, and a `rolled_back` row for each old
//! version 2..V frees those numbers for the later migrations, pending there.

use postgres::Client;

use super::{History, HistoryRow, Status, latest};
use crate::migrations::{Chain, normalise};

/// The header key of a squashed migration.
pub const SQUASHES: &str = "squashes";

/// `-- squashes: <stem> <link>` of a migration's header, when it has one.
pub fn squashes(up: &str) -> Option<(String, String)> {
    for line in normalise(up).lines().skip(1) {
        let Some(rest) = line.strip_prefix("--") else {
            break;
        };
        let rest = rest.trim();
        if rest.is_empty() {
            break;
        }
        if let Some(v) = rest
            .strip_prefix(SQUASHES)
            .and_then(|r| r.strip_prefix(':'))
        {
            let mut parts = v.split_whitespace();
            if let (Some(stem), Some(link), None) = (parts.next(), parts.next(), parts.next()) {
                return Some((stem.to_string(), link.to_string()));
            }
        }
    }
    None
}

/// The rows [`bring_over`] would add to `rows`: `(version, name, link, status)`, with the
/// note; empty when the database is not at the end of a squashed range.
fn added_rows(chain: &Chain, rows: &[HistoryRow]) -> (Vec<(i32, String, String, Status)>, String) {
    let none = (Vec::new(), String::new());
    let Some(first) = chain.migrations.first() else {
        return none;
    };
    let Some((old_stem, old_link)) = squashes(&first.up) else {
        return none;
    };
    let Some(old_v) = old_stem
        .split_once('_')
        .and_then(|(d, _)| d.parse::<i32>().ok())
    else {
        return none;
    };
    let state = latest(rows);
    let at_end = state
        .get(&old_v)
        .is_some_and(|r| r.in_effect() && r.name == old_stem && r.link == old_link);
    let complete = (1..=old_v).all(|k| state.get(&k).is_some_and(|r| r.in_effect()));
    let nothing_after = state
        .range(old_v + 1..)
        .all(|(_, r)| !(r.in_effect() || r.part_way()));
    if !(at_end && complete && nothing_after) {
        return none;
    }
    let mut out: Vec<(i32, String, String, Status)> = (2..=old_v)
        .filter_map(|k| state.get(&k))
        .map(|old| {
            (
                old.version,
                old.name.clone(),
                old.link.clone(),
                Status::RolledBack,
            )
        })
        .collect();
    out.push((
        1,
        first.stem.clone(),
        first.link.to_string(),
        Status::Baselined,
    ));
    (
        out,
        format!("squash of 0001..{old_stem} into {}", first.stem),
    )
}

/// `rows` as they will be once [`bring_over`] ran (for `apply --dry-run`, which writes
/// nothing).
pub fn as_brought_over(chain: &Chain, mut rows: Vec<HistoryRow>) -> Vec<HistoryRow> {
    let (added, note) = added_rows(chain, &rows);
    for (version, name, link, status) in added {
        rows.push(HistoryRow {
            version,
            name,
            link,
            applied_at: std::time::SystemTime::now(),
            applied_by: String::new(),
            duration: std::time::Duration::ZERO,
            status,
            segments_done: 0,
            done_hash: None,
            error: None,
            note: Some(note.clone()),
        });
    }
    rows
}

/// Record the squash in a database at its end (see the module). `Ok(true)` when rows were
/// written (read the history again); `Ok(false)` when there is nothing to bring over.
pub fn bring_over(
    client: &mut Client,
    history: &History,
    chain: &Chain,
    rows: &[HistoryRow],
) -> Result<bool, postgres::Error> {
    let (added, note) = added_rows(chain, rows);
    if added.is_empty() {
        return Ok(false);
    }
    let mut tx = client.transaction()?;
    let insert = format!(
        "INSERT INTO {} (version, name, link, status, note) VALUES ($1, $2, $3, $4, $5)",
        history.table()
    );
    for (version, name, link, status) in &added {
        tx.execute(
            &insert,
            &[version, name, link, &status.id(), &Some(note.as_str())],
        )?;
    }
    tx.commit()?;
    Ok(true)
}
