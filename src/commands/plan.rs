//! `schemactl plan`: diff the compiled schema against the head snapshot (offline) and write
//! the next migration, the new snapshot and the sum file.

use serde_json::json;

use super::{Exit, Format, Global, Outcome, layout, load, markdown, rel};
use crate::migrations::{self, NewMigration};
use crate::model::snapshot;
use crate::plan::{self, Hazard, Plan, Policy, Step, StepKind};

#[derive(Clone, Debug, Default)]
pub struct Options {
    pub name: Option<String>,
    pub dry_run: bool,
    pub check: bool,
    pub allow: Vec<Hazard>,
    /// Text output lists the steps without their SQL (for commands that plan on the way,
    /// like `import alembic --adopt`).
    pub brief: bool,
}

pub fn run(g: &Global, opts: &Options) -> Outcome {
    if let Some(n) = &opts.name
        && let Err(e) = migrations::validate_name(n)
    {
        return Outcome::fail(
            g,
            Exit::Invalid,
            "invalid-name",
            &format!("invalid migration name `{n}`: {e}"),
            &format!("try `-m {}`", migrations::slug(n)),
        );
    }
    let loaded = match load(g) {
        Ok(l) => l,
        Err(o) => return o,
    };
    let pending = loaded.pending();
    let hints = pending.hints;
    let plan = plan::plan(pending.changes);

    if !plan.unsupported.is_empty() {
        let msg = "schemactl cannot plan these changes; nothing was written";
        return match g.format {
            Format::Json => Outcome::json(
                Exit::No,
                json!({ "ok": false, "error": msg, "unsupported": plan.unsupported, "written": false }),
            ),
            Format::Text => {
                let mut s = String::from(
                    "error: the schema changes existing objects in ways schemactl cannot plan:\n",
                );
                for u in &plan.unsupported {
                    s.push_str(&format!("  - {u}\n"));
                }
                s.push_str("  = hint: revert these edits in schema/, or make them in a hand-written step outside schemactl; nothing was written\n");
                Outcome::error(Exit::No, s)
            }
            Format::Markdown => {
                let mut o = Outcome::new(Exit::No);
                o.stdout = markdown::plan_unsupported(&plan.unsupported);
                o
            }
        };
    }

    let layout = layout(&loaded.project);
    if plan.steps.is_empty() {
        return match g.format {
            Format::Json => Outcome::json(
                Exit::Ok,
                json!({ "ok": true, "changes": 0, "steps": [], "hazards": [], "hints": hints, "written": false, "migration": null }),
            ),
            Format::Text => {
                let mut o = Outcome::new(Exit::Ok);
                if !g.quiet {
                    o.stdout = "No schema changes: the schema matches the head of the migration chain. Nothing written.\n".into();
                    // Even with nothing to do: an ignored rename may be a swap the user expects.
                    for h in &hints {
                        o.stdout.push_str(&format!("  = hint: {h}\n"));
                    }
                }
                o
            }
            Format::Markdown => {
                let mut o = Outcome::new(Exit::Ok);
                o.stdout = markdown::plan_unchanged(&hints);
                o
            }
        };
    }

    // The up plan is gated here; the down file's hazards are gated when `rollback` runs it.
    let policy = loaded.project.config.policy();
    let hazards = plan.hazards();
    let refused = policy.refused(&hazards, &opts.allow);
    let allowed: Vec<String> = policy
        .granted(&hazards, &opts.allow)
        .iter()
        .map(|h| h.id().to_string())
        .collect();

    let name = opts
        .name
        .clone()
        .unwrap_or_else(|| default_name(&plan, loaded.chain.migrations.is_empty()));
    // The snapshot first, while the least else is held: serialising briefly takes twice its
    // size (the largest of the texts).
    let snapshot_text = snapshot::to_toml(&loaded.model);
    let body = plan.sql_body();
    // Text output shows the body too: a copy now, rather than rendering it again.
    let shown = (g.format == Format::Text && !opts.brief && (!g.quiet || !refused.is_empty()))
        .then(|| body.clone());
    // The down file: the plan from the new schema back to the head, with its own hazards.
    let (first, back) = loaded.reverse();
    let down = plan::plan_stages(vec![first, back.changes]);
    let down_body = down_sql(&down);
    // Markdown shows both files' SQL.
    let review_sql = (g.format == Format::Markdown).then(|| (body.clone(), down_body.clone()));
    let new = NewMigration {
        name: &name,
        hazards: hazards.iter().map(|h| h.id().to_string()).collect(),
        allowed: allowed.clone(),
        up_body: body,
        down_body: Some(down_body),
        down_hazards: down.hazards().iter().map(|h| h.id().to_string()).collect(),
        snapshot: snapshot_text,
    };
    let files = match migrations::prepare(&layout, &loaded.chain, new) {
        Ok(f) => f,
        Err(p) => {
            return Outcome::error(Exit::Invalid, super::problem_text(&p, &loaded.project.root));
        }
    };
    let migration_path = rel(&loaded.project.root, &files[0].0);
    let will_write = !opts.dry_run && !opts.check && refused.is_empty();

    let mut written = false;
    if will_write {
        if let Err(e) = migrations::write_files(&files) {
            return Outcome::error(
                Exit::Failure,
                format!("error: writing the migration failed: {e}"),
            );
        }
        written = true;
    }
    let exit = if !refused.is_empty() || opts.check {
        Exit::No
    } else {
        Exit::Ok
    };

    let outcome = match g.format {
        Format::Json => Outcome::json(
            exit,
            json!({
                "ok": exit == Exit::Ok,
                "changes": plan.steps.len(),
                // Numbered as in the file's `-- step N:` lines (and `refused_steps`).
                "steps": plan.steps.iter().enumerate().map(|(i, step)| {
                    let mut v = json!(step);
                    v["step"] = json!(i + 1);
                    v
                }).collect::<Vec<_>>(),
                "segments": plan.segments().iter().map(|(first, last, transaction)| {
                    json!({ "first_step": first, "last_step": last, "transaction": transaction })
                }).collect::<Vec<_>>(),
                "hazards": hazards,
                "refused_hazards": refused,
                "hints": hints,
                "refused_steps": refused_steps(&plan, &refused)
                    .iter()
                    .map(|(n, step, hs)| json!({ "step": n, "kind": step.kind, "object": step.object, "hazards": hs }))
                    .collect::<Vec<_>>(),
                "migration": migration_path,
                "written": written,
            }),
        ),
        Format::Text => {
            let mut o = Outcome::new(exit);
            if !g.quiet || !refused.is_empty() {
                o.stdout = describe(
                    &plan,
                    &migration_path,
                    shown.unwrap_or_default(),
                    g.color_out,
                );
                for h in &hints {
                    o.stdout.push_str(&format!("  = hint: {h}\n"));
                }
            }
            if !refused.is_empty() {
                o.stderr = refusal_text(&plan, &policy, &refused, &hazards);
            } else if opts.check {
                o.stderr = "error: schema/ has changes with no migration written\n  = hint: run `schemactl plan -m <name>` and commit the result\n".into();
            } else if opts.dry_run {
                o.stdout.push_str("Dry run: nothing written.\n");
            } else if !g.quiet {
                o.stdout.push_str(&format!(
                    "Wrote {migration_path}, {}, {}\n",
                    rel(&loaded.project.root, &layout.snapshot_path()),
                    rel(&loaded.project.root, &layout.sum_path())
                ));
            }
            o
        }
        Format::Markdown => {
            let (up_sql, down_sql) = review_sql.unwrap_or_default();
            let down_file = files
                .get(1)
                .map(|(p, _)| rel(&loaded.project.root, p))
                .unwrap_or_default();
            let allowed = policy.granted(&hazards, &opts.allow);
            let state = if opts.check {
                markdown::PlanState::Check
            } else if !refused.is_empty() {
                markdown::PlanState::Refused
            } else if opts.dry_run {
                markdown::PlanState::DryRun
            } else {
                markdown::PlanState::Written
            };
            let mut o = Outcome::new(exit);
            o.stdout = markdown::plan(&markdown::PlanReview {
                plan: &plan,
                down: &down,
                migration: &migration_path,
                down_file: &down_file,
                policy: &policy,
                refused: &refused,
                allowed: &allowed,
                hints: &hints,
                state,
                up_sql: &up_sql,
                down_sql: &down_sql,
            });
            // The comment is stdout; a CI log still says why the step failed.
            if !refused.is_empty() {
                o.stderr = refusal_text(&plan, &policy, &refused, &hazards);
            } else if opts.check {
                o.stderr = "error: schema/ has changes with no migration written\n  = hint: run `schemactl plan -m <name>` and commit the result\n".into();
            }
            o
        }
    };
    outcome.keep_until_exit((loaded, plan, down))
}

/// The steps carrying a refused hazard: `(1-based number, step, its refused hazards)`.
fn refused_steps<'p>(plan: &'p Plan, refused: &[Hazard]) -> Vec<(usize, &'p Step, Vec<Hazard>)> {
    plan.steps
        .iter()
        .enumerate()
        .filter_map(|(i, step)| {
            let hs: Vec<Hazard> = step
                .hazards
                .iter()
                .copied()
                .filter(|h| refused.contains(h))
                .collect();
            (!hs.is_empty()).then_some((i + 1, step, hs))
        })
        .collect()
}

/// Why `plan` refused: each offending step and hazard, where the rule comes from, and the
/// `--allow` that writes the migration (every gated hazard of the plan, so the header
/// records them all).
fn refusal_text(plan: &Plan, policy: &Policy, refused: &[Hazard], hazards: &[Hazard]) -> String {
    let ids: Vec<&str> = refused.iter().map(|h| h.id()).collect();
    let mut s = format!(
        "error: the plan has hazards that are not allowed: {}\n",
        ids.join(", ")
    );
    for (n, step, hs) in refused_steps(plan, refused) {
        let hs: Vec<&str> = hs.iter().map(|h| h.id()).collect();
        s.push_str(&format!(
            "  - step {n}: {} {}: {}\n",
            step.kind.id(),
            crate::sql::comment_safe(&step.object),
            hs.join(", ")
        ));
    }
    let from_config: Vec<&str> = refused
        .iter()
        .filter(|h| policy.is_from_config(**h))
        .map(|h| h.id())
        .collect();
    if !from_config.is_empty() {
        s.push_str(&format!(
            "  = note: {} must be allowed because schemactl.toml lists {} in [hazards] require_allow\n",
            from_config.join(", "),
            if from_config.len() == 1 { "it" } else { "them" }
        ));
    }
    let needed: Vec<&str> = hazards
        .iter()
        .filter(|h| policy.gates(**h))
        .map(|h| h.id())
        .collect();
    s.push_str(&format!(
        "  = hint: review the statements above, then re-run with `--allow {}` (recorded in the migration header); nothing was written\n",
        needed.join(",")
    ));
    s
}

/// The down file's body; when the reverse cannot be planned, a marked explanation that
/// `rollback` refuses.
pub(crate) fn down_sql(down: &Plan) -> String {
    if down.unsupported.is_empty() {
        return down.sql_body();
    }
    let mut s = format!(
        "{}\n-- This migration cannot be reversed automatically:\n",
        crate::apply::IRREVERSIBLE
    );
    for u in &down.unsupported {
        s.push_str(&format!("-- - {}\n", crate::sql::comment_safe(u)));
    }
    s
}

/// Human summary of a plan: each step with its hazards, then `body`, its SQL.
fn describe(plan: &Plan, migration: &str, mut body: String, color: bool) -> String {
    let mut s = format!("Plan for {migration}: {} step(s)\n", plan.steps.len());
    for (i, step) in plan.steps.iter().enumerate() {
        let line = step.summary();
        let line = match line.find(" [hazards: ") {
            Some(at) if color => {
                // Data loss in red, every other hazard in yellow.
                let colour = if step.hazards.contains(&Hazard::DeletesData) {
                    anstyle::AnsiColor::Red
                } else {
                    anstyle::AnsiColor::Yellow
                };
                let style = anstyle::Style::new().fg_color(Some(colour.into())).bold();
                format!("{} {style}{}{style:#}", &line[..at], &line[at + 1..])
            }
            _ => line,
        };
        s.push_str(&format!("  {:>3}. {line}\n", i + 1));
    }
    if let Some(segments) = crate::apply::segments_line(&body) {
        s.push_str(&format!("Segments: {segments}\n"));
    }
    s.push('\n');
    body.insert_str(0, &s);
    body
}

/// `init` for the first migration; otherwise named after what it adds.
fn default_name(plan: &Plan, first: bool) -> String {
    if first {
        return "init".into();
    }
    let created: Vec<&str> = plan
        .steps
        .iter()
        .filter(|s| s.kind == StepKind::CreateTable)
        .map(|s| s.object.rsplit('.').next().unwrap_or(""))
        .collect();
    let name = match created.as_slice() {
        [one] => format!("create_{one}"),
        [] => "schema_change".to_string(),
        [first, ..] => format!("create_{first}_and_more"),
    };
    migrations::slug(&name)
}
