//! `--format markdown`: review output for a pull-request comment (`plan`, `diff`, `drift`,
//! `status`, `verify`). GitHub-flavoured Markdown: a summary line, tables, and SQL in
//! collapsible `<details>` blocks. Every user string (object names, migration names, error
//! texts) goes through [`escape`] (in text and table cells) or [`html`] (inside HTML tags),
//! and SQL through [`fence`], so a name holding `|`, a backtick or `<` cannot break the
//! table, open a code span or inject HTML. Nothing here prints times, hosts or absolute
//! paths: the same input gives the same comment.

use super::{Exit, Global, Outcome};
use crate::plan::{Hazard, Plan, Policy, Step, Transaction};

/// The first line of every comment: lets a CI job find (and update) its earlier comment.
pub const MARKER: &str = "<!-- schemactl review -->";

/// The commands that have a Markdown form.
pub const COMMANDS: &str = "plan, diff, drift, status and verify";

/// Refusal (exit 2) for a command without a Markdown form.
pub fn unsupported(g: &Global, command: &str) -> Option<Outcome> {
    (g.format == super::Format::Markdown).then(|| {
        Outcome::error(
            Exit::Invalid,
            format!(
                "error: `{command}` has no Markdown output\n  = hint: --format markdown is for {COMMANDS}; use --format text or json here\n"
            ),
        )
    })
}

/// `s` as inline Markdown text that shows exactly `s`, after other text on a line (a list
/// item, a table cell, a sentence; never at the start of a line, where `-`, `+` or `1.`
/// would start a list): the characters that open code spans, emphasis, links, strikethrough,
/// headings and GitHub's math (`` ` * _ [ ] # ! ~ $ ``), the backslash itself and `|` (a
/// table cell's end, which GitHub's tables let a backslash escape) are backslash-escaped;
/// `&`, `<` and `>` become entities (no HTML, no autolinks, no entities of the user's);
/// line breaks and other control characters become spaces (a cell is one line).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '!' | '|' | '~' | '$' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// `s` as text inside an HTML element (`<summary>`): entities for `&`, `<`, `>`, `"`, `'`;
/// control characters as spaces.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A fenced code block holding `code` verbatim: the fence is one backtick longer than the
/// longest run of backticks in `code` (at least three), so no line of the code closes it.
pub fn fence(code: &str, lang: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in code.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let ticks = "`".repeat((longest + 1).max(3));
    let mut s = format!("{ticks}{lang}\n{code}");
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s.push_str(&ticks);
    s.push('\n');
    s
}

/// At most this many bytes of SQL per `<details>` block, and rows per table: GitHub refuses
/// a comment over 65,536 characters, and the recipe posts up to four sections.
pub const MAX_SQL: usize = 10_000;
pub const MAX_ROWS: usize = 100;

/// SQL in a fenced block, cut after the last whole line within [`MAX_SQL`] bytes with a note
/// of how many lines were left out (the files hold all of it).
pub fn sql_block(sql: &str) -> String {
    if sql.len() <= MAX_SQL {
        return fence(sql, "sql");
    }
    let mut cut = MAX_SQL;
    while !sql.is_char_boundary(cut) {
        cut -= 1;
    }
    let cut = sql[..cut].rfind('\n').map_or(cut, |i| i + 1);
    let left = sql[cut..].lines().count();
    format!(
        "{}\n… {left} more line{} not shown: see the file.\n",
        fence(&sql[..cut], "sql"),
        if left == 1 { "" } else { "s" }
    )
}

/// The note after a table cut at [`MAX_ROWS`] rows.
fn more_rows(total: usize) -> String {
    if total > MAX_ROWS {
        format!("\n… and {} more steps: see the SQL.\n", total - MAX_ROWS)
    } else {
        String::new()
    }
}

/// A collapsed `<details>` block: `summary` is plain text (escaped here), `body` Markdown.
pub fn details(summary: &str, body: &str) -> String {
    let mut s = format!("<details><summary>{}</summary>\n\n{body}", html(summary));
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s.push_str("\n</details>\n");
    s
}

/// The badge of a hazard: a colour by severity and its id.
pub fn badge(h: Hazard) -> String {
    let dot = match h {
        Hazard::DeletesData => "🔴",
        Hazard::RewritesTable | Hazard::BlocksWrites => "🟠",
        Hazard::MayFailOnData | Hazard::BreaksClients => "🟡",
    };
    format!("{dot} `{}`", h.id())
}

/// What a hazard means, for the allowances table.
fn meaning(h: Hazard) -> &'static str {
    match h {
        Hazard::DeletesData => "drops rows, columns or tables: their data is gone",
        Hazard::RewritesTable => "rewrites the whole table under an exclusive lock",
        Hazard::BlocksWrites => "blocks writes to the table while it runs",
        Hazard::MayFailOnData => "fails if existing rows do not satisfy it",
        Hazard::BreaksClients => "changes a name or shape that running clients may use",
    }
}

/// `N statement(s)`.
fn statements(n: usize) -> String {
    format!("{n} statement{}", if n == 1 { "" } else { "s" })
}

/// `hazards: 🔴 `deletes_data` ×1 · 🟠 `rewrites_table` ×2` (steps per hazard), or `no hazards`.
pub fn hazard_summary(steps: &[Step]) -> String {
    let mut counts: Vec<(Hazard, usize)> = Vec::new();
    for h in Hazard::ALL {
        let n = steps.iter().filter(|s| s.hazards.contains(h)).count();
        if n > 0 {
            counts.push((*h, n));
        }
    }
    if counts.is_empty() {
        return "no hazards".into();
    }
    let parts: Vec<String> = counts
        .iter()
        .map(|(h, n)| format!("{} ×{n}", badge(*h)))
        .collect();
    format!("hazards: {}", parts.join(" · "))
}

/// The summary line of a plan: `**N statements** · hazards: …`.
pub fn summary_line(plan: &Plan) -> String {
    format!(
        "**{}** · {}",
        statements(plan.steps.len()),
        hazard_summary(&plan.steps)
    )
}

/// One row per step: number, kind, object, hazard badges, and whether it runs outside a
/// transaction.
pub fn steps_table(steps: &[Step]) -> String {
    let mut s = String::from("| # | step | object | hazards |\n|---:|---|---|---|\n");
    for (i, step) in steps.iter().enumerate().take(MAX_ROWS) {
        let mut hazards: Vec<String> = step.hazards.iter().map(|h| badge(*h)).collect();
        match step.transaction {
            Transaction::Shared => {}
            Transaction::Own => hazards.push("own transaction".into()),
            Transaction::None => hazards.push("runs outside a transaction".into()),
        }
        s.push_str(&format!(
            "| {} | `{}` | {} | {} |\n",
            i + 1,
            step.kind.id(),
            escape(&step.object),
            if hazards.is_empty() {
                "—".to_string()
            } else {
                hazards.join(" ")
            }
        ));
    }
    s.push_str(&more_rows(steps.len()));
    s
}

/// Steps carrying `h`, as `1, 4`.
fn steps_with(steps: &[Step], h: Hazard) -> String {
    let ns: Vec<String> = steps
        .iter()
        .enumerate()
        .filter(|(_, s)| s.hazards.contains(&h))
        .map(|(i, _)| (i + 1).to_string())
        .collect();
    // A long list is cut: the steps table shows the rest.
    if ns.len() > 20 {
        return format!("{}, … ({} steps)", ns[..20].join(", "), ns.len());
    }
    ns.join(", ")
}

/// Why a hazard needs an allowance (or that it does not).
fn gate_reason(policy: &Policy, h: Hazard) -> &'static str {
    if !policy.gates(h) {
        "not gated: shown for review"
    } else if policy.is_from_config(h) {
        "gated: listed in `schemactl.toml` `[hazards] require_allow`"
    } else {
        "always gated"
    }
}

/// Hints (rename suggestions) as a list.
fn hints_list(hints: &[String]) -> String {
    let mut s = String::new();
    for h in hints {
        s.push_str(&format!("- 💡 {}\n", escape(h)));
    }
    s
}

/// What `plan` did with the migration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanState {
    Written,
    DryRun,
    /// `--check`: schema/ has changes with no migration (whether or not their hazards were
    /// allowed: the missing migration is the finding).
    Check,
    /// A gated hazard was not allowed; nothing written.
    Refused,
}

/// Everything the Markdown of a `plan` with steps shows.
pub struct PlanReview<'a> {
    pub plan: &'a Plan,
    pub down: &'a Plan,
    /// The up and down files, relative to the project root.
    pub migration: &'a str,
    pub down_file: &'a str,
    pub policy: &'a Policy,
    pub refused: &'a [Hazard],
    /// The allowances recorded in the header (`-- allowed:`).
    pub allowed: &'a [Hazard],
    pub hints: &'a [String],
    pub state: PlanState,
    /// The up file's body (what goes after the header) and the down file's.
    pub up_sql: &'a str,
    pub down_sql: &'a str,
}

/// `plan --format markdown` with steps.
pub fn plan(r: &PlanReview<'_>) -> String {
    let mut s = format!("{MARKER}\n### schemactl plan: {}\n\n", escape(r.migration));
    s.push_str(&summary_line(r.plan));
    s.push_str("\n\n");
    s.push_str(&match r.state {
        PlanState::Written => format!("✅ Written: {}.\n", escape(r.migration)),
        PlanState::DryRun => "Dry run: nothing written.\n".to_string(),
        PlanState::Check if r.refused.is_empty() => "❌ **schema/ has changes with no migration written**: run `schemactl plan -m <name>` and commit the result.\n".to_string(),
        PlanState::Check => format!(
            "❌ **schema/ has changes with no migration written**: review the statements, run `schemactl plan -m <name> --allow {}` and commit the result.\n",
            needed(r).join(",")
        ),
        PlanState::Refused => {
            let ids: Vec<String> = r.refused.iter().map(|h| format!("`{}`", h.id())).collect();
            format!(
                "⛔ **Not written: hazards not allowed**: {}. Review the statements, then plan with `--allow {}`.\n",
                ids.join(", "),
                needed(r).join(",")
            )
        }
    });
    s.push('\n');
    s.push_str(&steps_table(&r.plan.steps));
    if !r.hints.is_empty() {
        s.push('\n');
        s.push_str(&hints_list(r.hints));
    }
    let hazards = r.plan.hazards();
    if !hazards.is_empty() {
        s.push_str("\n#### Hazards and allowances\n\n| hazard | steps | what it means | rule | allowance |\n|---|---|---|---|---|\n");
        for h in &hazards {
            let allowance = if r.allowed.contains(h) {
                format!(
                    "✅ allowed with `--allow {}`, recorded in the header (`-- allowed:`)",
                    h.id()
                )
            } else if r.refused.contains(h) {
                format!("⛔ not allowed: needs `--allow {}`", h.id())
            } else {
                "—".to_string()
            };
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                badge(*h),
                steps_with(&r.plan.steps, *h),
                meaning(*h),
                gate_reason(r.policy, *h),
                allowance
            ));
        }
    }
    s.push('\n');
    s.push_str(&details(
        &format!("SQL: {} ({})", r.migration, statements(r.plan.steps.len())),
        &sql_block(r.up_sql),
    ));
    s.push_str("\n#### Down file\n\n");
    s.push_str(&down_section(r.down, r.down_file, r.down_sql));
    s
}

/// The `--allow` list that writes the migration: every gated hazard of the plan.
fn needed(r: &PlanReview<'_>) -> Vec<&'static str> {
    r.plan
        .hazards()
        .into_iter()
        .filter(|h| r.policy.gates(*h))
        .map(|h| h.id())
        .collect()
}

/// What the down file does: its steps and hazards, or why it cannot reverse the migration.
fn down_section(down: &Plan, file: &str, sql: &str) -> String {
    let mut s = String::new();
    if !down.unsupported.is_empty() {
        s.push_str(&format!(
            "⚠️ The down file {} is marked irreversible: `schemactl rollback` refuses it. It cannot reverse:\n\n",
            escape(file)
        ));
        for u in &down.unsupported {
            s.push_str(&format!("- {}\n", escape(u)));
        }
        return s;
    }
    if down.steps.is_empty() {
        s.push_str(&format!(
            "The down file {} undoes nothing (the migration has no steps to reverse).\n",
            escape(file)
        ));
        return s;
    }
    s.push_str(&format!(
        "The down file {} undoes it in {} · {}{}.\n\n",
        escape(file),
        statements(down.steps.len()),
        hazard_summary(&down.steps),
        gated_at_rollback(down.steps.iter().any(|s| !s.hazards.is_empty()))
    ));
    s.push_str(&steps_table(&down.steps));
    s.push('\n');
    s.push_str(&details(
        &format!("SQL: {file} ({})", statements(down.steps.len())),
        &sql_block(sql),
    ));
    s
}

/// Said after a down file's hazards, when it has any.
fn gated_at_rollback(any: bool) -> &'static str {
    if any {
        " (gated when `schemactl rollback` runs it)"
    } else {
        ""
    }
}

/// `plan --format markdown` with nothing to plan.
pub fn plan_unchanged(hints: &[String]) -> String {
    let mut s = format!(
        "{MARKER}\n### schemactl plan\n\n✅ No schema changes: schema/ matches the head of the migration chain.\n"
    );
    if !hints.is_empty() {
        s.push('\n');
        s.push_str(&hints_list(hints));
    }
    s
}

/// `plan --format markdown` when the changes cannot be planned.
pub fn plan_unsupported(unsupported: &[String]) -> String {
    let mut s = format!(
        "{MARKER}\n### schemactl plan\n\n❌ **schemactl cannot plan these changes; nothing was written:**\n\n"
    );
    for u in unsupported {
        s.push_str(&format!("- {}\n", escape(u)));
    }
    s
}

/// `diff --db --format markdown`: what would bring the database to schema/.
pub fn diff(plan: &Plan, sql: &str, hints: &[String]) -> String {
    let mut s = format!("{MARKER}\n### schemactl diff\n\n");
    if plan.is_empty() {
        s.push_str("✅ No differences: the database matches schema/.\n");
        return s;
    }
    s.push_str(&format!(
        "**{}** would bring the database to schema/ · {}\n\n",
        statements(plan.steps.len()),
        hazard_summary(&plan.steps)
    ));
    s.push_str(&steps_table(&plan.steps));
    if !plan.unsupported.is_empty() {
        s.push_str("\nNot generated yet:\n\n");
        for u in &plan.unsupported {
            s.push_str(&format!("- {}\n", escape(u)));
        }
    }
    if !hints.is_empty() {
        s.push('\n');
        s.push_str(&hints_list(hints));
    }
    s.push('\n');
    s.push_str(&details(
        &format!("SQL ({})", statements(plan.steps.len())),
        &sql_block(sql),
    ));
    s
}

/// `drift --format markdown`: the database against the snapshot of its version.
pub fn drift(version: &str, details_: &[super::deviation::Deviation], sql: &str) -> String {
    let mut s = format!("{MARKER}\n### schemactl drift\n\n");
    if details_.is_empty() {
        s.push_str(&format!(
            "✅ No drift: the database matches {}.\n",
            escape(version)
        ));
        return s;
    }
    s.push_str(&format!(
        "❌ **Drift: {} difference{} from {}**\n\n| change | kind | object | expected | actual |\n|---|---|---|---|---|\n",
        details_.len(),
        if details_.len() == 1 { "" } else { "s" },
        escape(version)
    ));
    for d in details_.iter().take(MAX_ROWS) {
        let opt = |v: &Option<String>| v.as_deref().map_or("—".to_string(), escape);
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            escape(d.change),
            escape(&d.kind),
            escape(&d.object),
            opt(&d.expected),
            opt(&d.actual)
        ));
    }
    if details_.len() > MAX_ROWS {
        s.push_str(&format!(
            "\n… and {} more differences: see the SQL.\n",
            details_.len() - MAX_ROWS
        ));
    }
    s.push('\n');
    s.push_str(&details(
        "SQL that would bring the database back to the snapshot",
        &sql_block(sql),
    ));
    s
}

/// One migration for `status --format markdown`.
pub struct StatusRow<'a> {
    pub version: i32,
    pub name: &'a str,
    /// `applied`, `pending`, `failed`, …
    pub state: &'a str,
    /// Not in effect in the database, and in the directory: `apply` runs it.
    pub pending: bool,
    /// The directory's migration (header and SQL), when it has one under this name.
    pub file: Option<&'a crate::migrations::Migration>,
    pub mismatch: Option<&'a str>,
}

/// `status --format markdown`: one row per migration; the pending ones with their header's
/// hazards and allowances, their SQL and what their down file does.
pub fn status(rows: &[StatusRow<'_>], current: Option<&str>, head: Option<&str>) -> String {
    let pending: Vec<&StatusRow<'_>> = rows.iter().filter(|r| r.pending).collect();
    let mismatches = rows.iter().filter(|r| r.mismatch.is_some()).count();
    let mut s = format!("{MARKER}\n### schemactl status\n\n");
    s.push_str(&format!(
        "**{} pending** · current: {} · head: {}{}\n\n",
        pending.len(),
        escape(current.unwrap_or("(empty)")),
        escape(head.unwrap_or("(none)")),
        if mismatches > 0 {
            format!(" · ❌ **{mismatches} mismatch(es)**")
        } else {
            String::new()
        }
    ));
    s.push_str("| version | migration | state | hazards | allowed |\n|---:|---|---|---|---|\n");
    for r in rows {
        let header = r
            .file
            .and_then(|m| crate::migrations::parse_header(&m.up).ok());
        let ids = |v: Option<&Vec<String>>| match v {
            Some(v) if !v.is_empty() => {
                // Known hazards in the spec's order, then any other id as written.
                let mut v: Vec<&String> = v.iter().collect();
                v.sort_by_key(|id| Hazard::parse(id).map_or(usize::MAX, |h| h as usize));
                v.iter()
                    .map(|id| match Hazard::parse(id) {
                        Some(h) => badge(h),
                        None => escape(id),
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            }
            _ => "—".to_string(),
        };
        let mut state = escape(r.state);
        if let Some(m) = r.mismatch {
            state.push_str(&format!(" ❌ mismatch: {}", escape(m)));
        }
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            r.version,
            escape(r.name),
            state,
            ids(header.as_ref().map(|h| &h.hazards)),
            ids(header.as_ref().map(|h| &h.allowed)),
        ));
    }
    for r in pending {
        let Some(m) = r.file else { continue };
        s.push_str(&format!("\n#### Pending: {}\n\n", escape(&m.stem)));
        s.push_str(&file_review(m));
    }
    s
}

/// A migration file as a reviewer sees it: its steps, its header's allowances, its SQL, and
/// what its down file does.
fn file_review(m: &crate::migrations::Migration) -> String {
    let mut s = String::new();
    let steps = file_steps(&m.up);
    s.push_str(&format!("**{}**", statements(steps.len())));
    let hazards = header_hazards(&m.up);
    let allowed = crate::migrations::parse_header(&m.up)
        .map(|h| h.allowed)
        .unwrap_or_default();
    s.push_str(" · ");
    s.push_str(&counted(&hazards, &steps));
    if !allowed.is_empty() {
        let a: Vec<String> = allowed
            .iter()
            .map(|id| format!("`{}`", escape_id(id)))
            .collect();
        s.push_str(&format!(
            " · allowed when planned (header `-- allowed:`): {}",
            a.join(", ")
        ));
    }
    s.push_str("\n\n");
    if !steps.is_empty() {
        s.push_str("| # | step | hazards |\n|---:|---|---|\n");
        for (i, (label, hs)) in steps.iter().enumerate().take(MAX_ROWS) {
            let b: Vec<String> = hs.iter().map(|h| badge(*h)).collect();
            s.push_str(&format!(
                "| {} | {} | {} |\n",
                i + 1,
                escape(label),
                if b.is_empty() {
                    "—".into()
                } else {
                    b.join(" ")
                }
            ));
        }
        s.push_str(&more_rows(steps.len()));
        s.push('\n');
    }
    s.push_str(&details(
        &format!("SQL: {}.sql", m.stem),
        &sql_block(body(&m.up)),
    ));
    match &m.down {
        None => s.push_str("\nNo down file: `schemactl rollback` cannot undo it.\n"),
        Some(down) if down.lines().any(|l| l.trim() == crate::apply::IRREVERSIBLE) => s.push_str(
            "\n⚠️ The down file is marked irreversible: `schemactl rollback` refuses it.\n",
        ),
        Some(down) => {
            let n = file_steps(down).len();
            s.push_str(&format!(
                "\nThe down file undoes it in {} · {}{}.\n\n",
                statements(n),
                counted(&header_hazards(down), &file_steps(down)),
                gated_at_rollback(!header_hazards(down).is_empty())
            ));
            s.push_str(&details(
                &format!("SQL: {}.down.sql", m.stem),
                &sql_block(body(down)),
            ));
        }
    }
    s
}

/// The known hazards of a file's header, in the order of [`Hazard::ALL`] (hand-written ids
/// no policy knows are left out).
fn header_hazards(text: &str) -> Vec<Hazard> {
    let mut hs = crate::migrations::parse_header(text)
        .map(|h| crate::plan::known_hazards(&h.hazards))
        .unwrap_or_default();
    hs.sort();
    hs
}

/// `hazards: 🔴 `deletes_data` ×2 · …`: the header's hazards, each with the number of step
/// lines that carry it (no count when no step line names it), or `no hazards`.
fn counted(hazards: &[Hazard], steps: &[(String, Vec<Hazard>)]) -> String {
    if hazards.is_empty() {
        return "no hazards".into();
    }
    let parts: Vec<String> = hazards
        .iter()
        .map(
            |h| match steps.iter().filter(|(_, hs)| hs.contains(h)).count() {
                0 => badge(*h),
                n => format!("{} ×{n}", badge(*h)),
            },
        )
        .collect();
    format!("hazards: {}", parts.join(" · "))
}

/// A hazard id from a file header, for a code span (ids are `[a-z0-9_-]`, checked when the
/// header is parsed; anything else is dropped here).
fn escape_id(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect()
}

/// The `-- step N: …` lines of a migration file: label (`kind object`) and known hazards.
fn file_steps(text: &str) -> Vec<(String, Vec<Hazard>)> {
    text.lines()
        .filter_map(crate::plan::parse_step_line)
        .map(|(label, hs)| {
            // `step N: kind object` → `kind object` (the table numbers the rows).
            let label = label
                .split_once(": ")
                .map_or(label.clone(), |(_, rest)| rest.to_string());
            (label, hs)
        })
        .collect()
}

/// A migration file without its header (up to the `--` line and the blank line after it).
fn body(text: &str) -> &str {
    match text.find("\n--\n") {
        Some(i) => text[i + 4..].trim_start_matches('\n'),
        None => text,
    }
}

/// The result of `verify` for Markdown.
pub struct VerifyReview<'a> {
    pub migrations: usize,
    /// Differences between the chain built from empty and the head snapshot.
    pub differences: &'a [String],
    pub rollback_ok: bool,
    /// The rollback check in words (`verify`'s text, one line each).
    pub rollback_text: &'a str,
}

/// `verify --format markdown`.
pub fn verify(r: &VerifyReview<'_>) -> String {
    let mut s = format!("{MARKER}\n### schemactl verify\n\n");
    if r.differences.is_empty() {
        s.push_str(&format!(
            "✅ The {} migration{} from an empty database to exactly the head snapshot.\n",
            r.migrations,
            if r.migrations == 1 {
                " builds"
            } else {
                "s build"
            }
        ));
    } else {
        s.push_str("❌ **The chain built from empty does not match the head snapshot:**\n\n");
        for d in r.differences {
            s.push_str(&format!(
                "- {}\n",
                escape(&d.replace("in the database", "in the replayed chain"))
            ));
        }
    }
    s.push('\n');
    let mark = if r.rollback_ok { "✅" } else { "❌" };
    let mut lines = r.rollback_text.lines().filter(|l| !l.trim().is_empty());
    if let Some(first) = lines.next() {
        let first = first.trim();
        let first = first
            .strip_prefix("Verified: ")
            .or_else(|| first.strip_prefix("note: "))
            .unwrap_or(first);
        s.push_str(&format!("{mark} Rollback: {}\n", escape(first)));
        for l in lines {
            s.push_str(&format!(
                "- {}\n",
                escape(l.trim().trim_start_matches("- "))
            ));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markdown_and_html() {
        assert_eq!(escape("public.users"), "public.users");
        assert_eq!(escape("0002_add_x"), "0002\\_add\\_x");
        assert_eq!(escape("a|b"), "a\\|b");
        assert_eq!(escape("x`y`"), "x\\`y\\`");
        assert_eq!(escape("<script>&amp;"), "&lt;script&gt;&amp;amp;");
        assert_eq!(
            escape("*bold* _it_ [l](u) ~~s~~ $x$ # !"),
            "\\*bold\\* \\_it\\_ \\[l\\](u) \\~\\~s\\~\\~ \\$x\\$ \\# \\!"
        );
        assert_eq!(escape("two\nlines\r\tand"), "two lines  and");
        assert_eq!(escape("\\"), "\\\\");
        assert_eq!(escape("名前 ok"), "名前 ok");
        // A table row built from escaped cells keeps its column count whatever the name.
        let cell = escape("we|ird`<b>|na\nme");
        let row = format!("| {cell} | x |");
        let unescaped_pipes = row
            .char_indices()
            .filter(|(i, c)| *c == '|' && (*i == 0 || row.as_bytes()[i - 1] != b'\\'))
            .count();
        assert_eq!(unescaped_pipes, 3, "{row}");
        assert!(!row.contains('<') && !row.contains('\n'));
    }

    #[test]
    fn html_escapes_tags_and_quotes() {
        assert_eq!(html("a<b>&\"c'\n"), "a&lt;b&gt;&amp;&quot;c&#39; ");
    }

    #[test]
    fn fence_is_longer_than_any_backtick_run() {
        assert_eq!(fence("SELECT 1;", "sql"), "```sql\nSELECT 1;\n```\n");
        assert_eq!(
            fence("-- ```\nSELECT '````';\n", "sql"),
            "`````sql\n-- ```\nSELECT '````';\n`````\n"
        );
    }

    #[test]
    fn long_sql_is_cut_at_a_line_with_a_note() {
        let line = "SELECT 1234567890;\n";
        let sql = line.repeat(MAX_SQL / line.len() + 10);
        let block = sql_block(&sql);
        let shown = block.lines().filter(|l| *l == line.trim_end()).count();
        assert_eq!(shown, MAX_SQL / line.len());
        assert!(
            block.ends_with("```\n\n… 10 more lines not shown: see the file.\n"),
            "{block}"
        );
        assert_eq!(sql_block("SELECT 1;\n"), fence("SELECT 1;\n", "sql"));
    }

    #[test]
    fn long_tables_are_cut_with_a_note() {
        let step = |i: usize| Step {
            kind: crate::plan::StepKind::CreateTable,
            object: format!("public.t{i}"),
            sql: String::new(),
            hazards: vec![Hazard::DeletesData],
            transaction: Transaction::Shared,
            lock: None,
        };
        let steps: Vec<Step> = (0..MAX_ROWS + 3).map(step).collect();
        let table = steps_table(&steps);
        assert_eq!(
            table.lines().filter(|l| l.starts_with("| ")).count(),
            MAX_ROWS + 1
        );
        assert!(
            table.ends_with("\n\n… and 3 more steps: see the SQL.\n"),
            "{table}"
        );
        assert!(steps_with(&steps, Hazard::DeletesData).ends_with(", 20, … (103 steps)"));
        assert_eq!(steps_table(&steps[..1]).lines().count(), 3);
    }

    #[test]
    fn details_escapes_the_summary() {
        assert_eq!(
            details("SQL: <x>", "body"),
            "<details><summary>SQL: &lt;x&gt;</summary>\n\nbody\n\n</details>\n"
        );
    }

    #[test]
    fn body_skips_the_header() {
        let text = "-- schemactl migration 0001_init\n-- hazards: none\n--\n\nCREATE TABLE t ();\n";
        assert_eq!(body(text), "CREATE TABLE t ();\n");
    }
}
