//! `schemactl sql --from V --to V [--down] [--with-history]`: a range of migrations as one SQL
//! script for another deploy system (the offline equivalent of `alembic upgrade A:B --sql`).
//! No database: the chain is verified like `apply` does before anything is printed.

use serde_json::json;

use super::{Exit, Format, Global, Outcome, load_chain};
use crate::apply::script::{self, Way};
use crate::apply::{NotReversible, not_reversible};
use crate::migrations::Migration;

/// `--help`: examples and what is refused.
pub const HELP: &str = "Examples:
  schemactl sql --from 3 --to 5 --with-history > deploy.sql
  psql -v ON_ERROR_STOP=1 -f deploy.sql \"$DATABASE_URL\"   (not psql -1)
  schemactl sql --down --from 5 > undo.sql

Exit 2: an unknown version, --from after --to, a broken chain, or (--down) a migration
without a down file in the range.";

#[derive(Clone, Debug, Default)]
pub struct Options {
    /// First migration of the range (default 1).
    pub from: Option<u32>,
    /// Last migration of the range (default: the head).
    pub to: Option<u32>,
    /// The down files, from `to` back to `from`.
    pub down: bool,
    /// Create the history table when missing and record each migration as `apply` does.
    pub with_history: bool,
}

pub fn run(g: &Global, opts: &Options) -> Outcome {
    if let Some(o) = super::markdown::unsupported(g, "sql") {
        return o;
    }
    let (project, chain) = match load_chain(g) {
        Ok(x) => x,
        Err(o) => return o,
    };
    let Some(head) = chain.migrations.last().map(|m| m.version) else {
        return Outcome::fail(
            g,
            Exit::Invalid,
            "no-migrations",
            "the migration directory has no migrations, so there is no SQL to print",
            "run `schemactl plan -m <name>` to write the first migration",
        );
    };
    let from = opts.from.unwrap_or(1);
    let to = opts.to.unwrap_or(head);
    for (flag, v) in [("--from", from), ("--to", to)] {
        if v == 0 || v > head {
            return Outcome::fail(
                g,
                Exit::Invalid,
                "unknown-version",
                &format!("{flag} {v}: there is no migration {v:04}"),
                &format!(
                    "migrations run from 1 ({}) to {head} ({})",
                    chain.migrations[0].stem,
                    chain.migrations[head as usize - 1].stem
                ),
            );
        }
    }
    if from > to {
        return Outcome::fail(
            g,
            Exit::Invalid,
            "empty-range",
            &format!("--from {from} is after --to {to}"),
            &format!(
                "both ends are included: `--from {to} --to {from}`{}",
                if opts.down {
                    "; with --down the down files still run from --to back to --from"
                } else {
                    ""
                }
            ),
        );
    }
    let mut range: Vec<&Migration> = chain
        .migrations
        .iter()
        .filter(|m| (from..=to).contains(&m.version))
        .collect();
    let way = if opts.down {
        range.reverse();
        let blocked: Vec<String> = range
            .iter()
            .filter_map(|m| {
                not_reversible(m).map(|why| {
                    format!(
                        "{} {}",
                        m.stem,
                        match why {
                            NotReversible::NoDownFile => "has no down file",
                            NotReversible::MarkedIrreversible =>
                                "has a down file that says it is irreversible",
                        }
                    )
                })
            })
            .collect();
        if !blocked.is_empty() {
            return Outcome::fail(
                g,
                Exit::Invalid,
                "irreversible",
                &format!(
                    "the range cannot be reversed: {}; nothing was printed",
                    blocked.join(", ")
                ),
                "raise --from above them, or write the down SQL by hand",
            );
        }
        Way::Down
    } else {
        Way::Up
    };
    let history = opts.with_history.then(|| super::history(&project));
    let body = match script::script(&range, way, history.as_ref(), &project.config.managed_roles) {
        Ok(s) => s,
        Err(u) => {
            return Outcome::fail(
                g,
                Exit::Invalid,
                "unterminated-step",
                &format!(
                    "{} {} does not end its string, quoted identifier, dollar quote or comment, so it would swallow the rest of the script",
                    u.stem, u.step
                ),
                "close it in the migration file, then run `schemactl hash`",
            );
        }
    };
    let first = range.first().map_or("", |m| m.stem.as_str());
    let last = range.last().map_or("", |m| m.stem.as_str());
    let mut text = format!(
        "-- schemactl sql: {} {}{}\n",
        if opts.down {
            "down files of"
        } else {
            "migrations"
        },
        if first == last {
            first.to_string()
        } else {
            format!("{first} to {last}")
        },
        if opts.with_history {
            ", with history rows"
        } else {
            ""
        }
    );
    text.push_str(
        "-- Each migration runs in its own transaction(s); steps marked no-transaction run\n\
         -- outside one. Run it as it is, stopping at the first error, e.g.\n\
         -- `psql -v ON_ERROR_STOP=1 -f FILE`; not with `psql -1` (one transaction around it all).\n\n",
    );
    text.push_str(&body);
    match g.format {
        Format::Json => Outcome::json(
            Exit::Ok,
            json!({
                "ok": true,
                "direction": if opts.down { "down" } else { "up" },
                "migrations": range.iter().map(|m| m.stem.as_str()).collect::<Vec<_>>(),
                "with_history": opts.with_history,
                "sql": text,
            }),
        ),
        Format::Text | Format::Markdown => {
            let mut o = Outcome::new(Exit::Ok);
            o.stdout = text;
            o
        }
    }
}
