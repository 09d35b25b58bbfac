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

/// Record the squash in a database at its end (see the module). `Ok(true)` when rows were
/// written (read the history again); `Ok(false)` when there is nothing to bring over.
pub fn bring_over(
    client: &mut Client,
    history: &History,
    chain: &Chain,
    rows: &[HistoryRow],
) -> Result<bool, postgres::Error> {
    let Some(first) = chain.migrations.first() else {
        return Ok(false);
    };
    let Some((old_stem, old_link)) = squashes(&first.up) else {
        return Ok(false);
    };
    let Some(old_v) = old_stem
        .split_once('_')
        .and_then(|(d, _)| d.parse::<i32>().ok())
    else {
        return Ok(false);
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
        return Ok(false);
    }
    let note = format!("squash of 0001..{old_stem} into {}", first.stem);
    let mut tx = client.transaction()?;
    let insert = format!(
        "INSERT INTO {} (version, name, link, status, note) VALUES ($1, $2, $3, $4, $5)",
        history.table()
    );
    for k in 2..=old_v {
        let old = state[&k];
        tx.execute(
            &insert,
            &[
                &k,
                &old.name,
                &old.link,
                &Status::RolledBack.id(),
                &Some(note.as_str()),
            ],
        )?;
    }
    tx.execute(
        &insert,
        &[
            &1i32,
            &first.stem,
            &first.link.to_string(),
            &Status::Baselined.id(),
            &Some(note.as_str()),
        ],
    )?;
    tx.commit()?;
    Ok(true)
}
