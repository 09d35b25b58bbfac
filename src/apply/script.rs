//! A range of migrations as one SQL script for another deploy system (`schemactl sql`): the
//! statements `apply` (or `rollback`) would run, split into the same segments, each
//! transactional segment between `BEGIN` and `COMMIT`, each `-- schemactl:no-transaction`
//! segment outside any transaction; optionally with the history rows `apply` would write
//! ([`History::record_sql`]), so `status`, `drift` and `apply` see the result as applied.

use super::{
    Direction, History, NO_TRANSACTION, SESSION_SETTINGS, Segment, Status, done_hash, segments,
};
use crate::migrations::Migration;
use crate::sql::comment_safe;

/// Which file of each migration the script runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Way {
    /// The up files, oldest first.
    Up,
    /// The down files, newest first.
    Down,
}

/// A step whose SQL does not end at the top level (an unterminated literal, quoted
/// identifier, dollar quote or block comment): in one script it would swallow everything
/// after it, so no script is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unterminated {
    pub stem: String,
    pub step: String,
}

/// The script for `migrations` (already in the order to run: oldest first for [`Way::Up`],
/// newest first for [`Way::Down`]). With `history`, the history table is created when missing
/// ([`History::ensure_sql`]) and every segment records the row `apply` (or `rollback`)
/// records after it, in the same transaction; a non-transactional segment is preceded by its
/// committed `running` row, as `apply` does it. Deterministic: no times, no machine paths.
///
/// `roles` (the project's `[roles] manage` names) are created `NOLOGIN` when missing before
/// an up script's first migration, as `apply` does; a down script creates none, as
/// `rollback` creates none.
pub fn script(
    migrations: &[&Migration],
    way: Way,
    history: Option<&History>,
    roles: &[String],
) -> Result<String, Unterminated> {
    let direction = match way {
        Way::Up => Direction::Up,
        Way::Down => Direction::Down,
    };
    let mut out = String::new();
    out.push_str("-- Session settings `schemactl apply` runs migrations with.\n");
    out.push_str(SESSION_SETTINGS);
    out.push_str(";\n");
    if let Some(h) = history {
        out.push_str(&format!(
            "\n-- The history table, created when missing (as `schemactl apply` does).\n{}\n",
            h.ensure_sql()
        ));
    }
    if way == Way::Up && !roles.is_empty() && !migrations.is_empty() {
        out.push_str(
            "\n-- Managed roles, created NOLOGIN when missing (as `schemactl apply` does).\n",
        );
        for r in roles {
            out.push_str(&create_role_sql(r));
            out.push('\n');
        }
    }
    for m in migrations {
        let text = match way {
            Way::Up => m.up.as_str(),
            Way::Down => m.down.as_deref().unwrap_or(""),
        };
        out.push('\n');
        out.push_str(&migration(m, text, direction, history)?);
    }
    Ok(out)
}

/// One migration's part of the script; mirrors `run_text`.
fn migration(
    m: &Migration,
    text: &str,
    direction: Direction,
    history: Option<&History>,
) -> Result<String, Unterminated> {
    let (finished, in_progress, _failed, running) = direction.statuses();
    let segs = segments(text);
    let total = segs.len() as i32;
    let progress = |status: Status, done: i32| (status, done, done_hash(&segs, done));
    let mut out = format!(
        "-- {} {}{}\n-- link: {}\n",
        match direction {
            Direction::Up => "migration",
            Direction::Down => "down migration",
        },
        m.stem,
        match total {
            0 => " (no statements)".to_string(),
            1 => String::new(),
            n => format!(" ({n} segments)"),
        },
        m.link
    );
    if let Ok(h) = crate::migrations::parse_header(text)
        && !h.hazards.is_empty()
    {
        out.push_str(&format!(
            "-- hazards: {}\n",
            comment_safe(&h.hazards.join(", "))
        ));
    }
    for (i, seg) in segs.iter().enumerate() {
        let number = i as i32 + 1;
        let status = if number == total {
            finished
        } else {
            in_progress
        };
        out.push('\n');
        if seg.transactional {
            out.push_str("BEGIN;\n\n");
            steps(&mut out, m, seg)?;
            if let Some(h) = history {
                out.push_str(&h.record_sql(m, progress(status, number)));
                out.push('\n');
            }
            out.push_str("COMMIT;\n");
        } else {
            out.push_str(NO_TRANSACTION);
            out.push_str(" (runs outside a transaction block)\n");
            if let Some(h) = history {
                out.push_str(&h.record_sql(m, progress(running, number - 1)));
                out.push('\n');
            }
            steps(&mut out, m, seg)?;
            if let Some(h) = history {
                out.push_str(&h.record_sql(m, progress(status, number)));
                out.push('\n');
            }
        }
    }
    if total == 0
        && let Some(h) = history
    {
        out.push_str(&h.record_sql(m, progress(finished, 0)));
        out.push('\n');
    }
    Ok(out)
}

/// `CREATE ROLE name NOLOGIN` unless a role of that name exists: a `DO` block, since the
/// script cannot look first. Its dollar quote's tag appears nowhere in the body.
fn create_role_sql(role: &str) -> String {
    let body = format!(
        "IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = {}) THEN CREATE ROLE {} NOLOGIN; END IF;",
        crate::sql::quote_literal(role),
        crate::sql::quote_ident(role)
    );
    let mut tag = "$role$".to_string();
    let mut n = 0;
    while body.contains(&tag) {
        n += 1;
        tag = format!("$role{n}$");
    }
    format!("DO {tag} BEGIN {body} END {tag};")
}

/// The steps of a segment, each after its label and ending with a `;` (a hand-written step
/// may leave the last one off: `apply` sends each step on its own, a script cannot).
fn steps(out: &mut String, m: &Migration, seg: &Segment) -> Result<(), Unterminated> {
    for (label, sql) in &seg.steps {
        if !crate::sql::lex::is_closed(sql) {
            return Err(Unterminated {
                stem: m.stem.clone(),
                step: super::short_label(label).to_string(),
            });
        }
        out.push_str(&format!("-- {}\n{sql}\n", comment_safe(label)));
        if !ends_statement(sql) {
            out.push_str(";\n");
        }
        out.push('\n');
    }
    Ok(())
}

/// True when the last top-level line of `sql` that is not blank or a `--` comment ends
/// with `;`.
fn ends_statement(sql: &str) -> bool {
    crate::sql::lex::lines_with_level(sql)
        .into_iter()
        .rev()
        .find(|(line, top)| {
            let t = line.trim();
            !*top || !(t.is_empty() || t.starts_with("--"))
        })
        .is_none_or(|(line, _)| line.trim_end().ends_with(';'))
}

#[cfg(test)]
mod tests {
    use super::{create_role_sql, ends_statement};

    #[test]
    fn role_blocks_quote_the_name_and_pick_an_unused_tag() {
        assert_eq!(
            create_role_sql("app"),
            "DO $role$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'app') THEN CREATE ROLE \"app\" NOLOGIN; END IF; END $role$;"
        );
        let odd = create_role_sql("x$role$'\"");
        assert!(odd.starts_with("DO $role1$ BEGIN"), "{odd}");
        assert!(odd.contains("rolname = 'x$role$''\"'"), "{odd}");
        assert!(
            odd.contains("CREATE ROLE \"x$role$'\"\"\" NOLOGIN"),
            "{odd}"
        );
    }

    #[test]
    fn statements_end_with_a_semicolon_before_trailing_comments() {
        assert!(ends_statement("CREATE TABLE a (id int);"));
        assert!(ends_statement("CREATE TABLE a (id int);\n-- done\n"));
        assert!(!ends_statement("CREATE TABLE a (id int)\n-- done"));
        assert!(!ends_statement("INSERT INTO a VALUES ('x;\n-- y')"));
        assert!(ends_statement("-- only a comment"));
    }
}
