//! `schemactl apply`: run pending migrations against a database, under the lock.

use std::time::Duration;

use serde_json::json;

use super::{Exit, Format, Global, Outcome, duration, load_chain, open_db};
use crate::apply::{self, ApplyError, Failure, short_label, step_range};

#[derive(Clone, Debug)]
pub struct Options {
    pub to: Option<u32>,
    pub dry_run: bool,
    pub allow: Vec<String>,
    pub lock_timeout: Duration,
    /// Apply into a throwaway local PostgreSQL, then show its status.
    pub dev: bool,
    /// `--ddl-lock-timeout`, `--ddl-statement-timeout`, `--ddl-retries`.
    pub ddl: DdlFlags,
}

/// The lock budget flags of `apply` and `rollback`; each overrides its `[apply]` key.
#[derive(Clone, Copy, Debug, Default)]
pub struct DdlFlags {
    pub lock_timeout: Option<Duration>,
    pub statement_timeout: Option<Duration>,
    pub retries: Option<u32>,
}

impl DdlFlags {
    /// The budget: these flags over the project's `[apply]` over the defaults.
    pub fn over(&self, config: &apply::budget::Budget) -> apply::budget::Budget {
        apply::budget::Budget {
            lock_timeout: self.lock_timeout.unwrap_or(config.lock_timeout),
            statement_timeout: self.statement_timeout.or(config.statement_timeout),
            retries: self.retries.unwrap_or(config.retries),
        }
    }
}

pub fn run(g: &Global, opts: &Options) -> Outcome {
    if let Some(o) = super::markdown::unsupported(g, "apply") {
        return o;
    }
    let (project, chain) = match load_chain(g) {
        Ok(x) => x,
        Err(o) => return o,
    };
    if let Some(to) = opts.to
        && !chain.migrations.iter().any(|m| m.version == to)
    {
        return Outcome::fail(
            g,
            Exit::Invalid,
            "unknown-version",
            &format!("there is no migration {to:04}"),
            "`--to` takes the number of a migration in migrations/",
        );
    }
    // The dev loop: first say whether schema/ is fully planned (offline, like `plan --check`).
    let mut preface = String::new();
    if opts.dev && g.format == Format::Text && !g.quiet {
        preface = match super::load(g) {
            Ok(l) => {
                let plan = crate::plan::plan(l.pending().changes);
                if plan.is_empty() {
                    "Plan: schema/ matches the head of the migration chain.\n".to_string()
                } else {
                    format!(
                        "Plan: schema/ has {} change(s) not yet in a migration; run `schemactl plan -m <name>` (applying the existing chain only).\n",
                        plan.steps.len() + plan.unsupported.len()
                    )
                }
            }
            Err(o) => return o,
        };
    }
    let mut db = match open_db(g, &project, opts.dev) {
        Ok(db) => db,
        Err(o) => return o,
    };
    let history = super::history(&project);

    if opts.dry_run {
        let rows = match history.rows(&mut db.client) {
            Ok(r) => apply::squash::as_brought_over(&chain, r),
            Err(e) => return db_failure(g, &ApplyError::from(e), None),
        };
        let problems = apply::mismatches(&rows, &chain);
        if !problems.is_empty() {
            return db_failure(g, &ApplyError::Mismatch(problems), None);
        }
        let todo = apply::pending(&chain, &rows, opts.to);
        if let Err(e) =
            apply::check_adoptable(&mut db.client, &history, &rows, &todo, &managed(&project))
        {
            return db_failure(g, &e, None);
        }
        return match g.format {
            Format::Json => Outcome::json(
                Exit::Ok,
                json!({ "ok": true, "dry_run": true, "pending": todo.iter().map(|m| &m.stem).collect::<Vec<_>>() }),
            ),
            Format::Text | Format::Markdown => {
                let mut o = Outcome::new(Exit::Ok);
                if todo.is_empty() {
                    o.stdout = format!("Nothing to apply: {} is up to date.\n", db.label);
                }
                for m in todo {
                    let done = apply::resumes_after(m, &rows).unwrap_or(0);
                    if done == 0 {
                        o.stdout.push_str(&format!(
                            "-- would apply migrations/{}.sql\n{}\n",
                            m.stem, m.up
                        ));
                        continue;
                    }
                    // Part-way: only what the resumed run would execute.
                    let segs = apply::segments(&m.up);
                    o.stdout.push_str(&format!(
                        "-- would resume migrations/{}.sql after segment {done} of {} (committed before)\n",
                        m.stem,
                        segs.len()
                    ));
                    for seg in segs.iter().skip(done as usize) {
                        for (label, sql) in &seg.steps {
                            o.stdout.push_str(&format!("-- {label}\n{sql}\n\n"));
                        }
                    }
                }
                o.stdout.push_str("Dry run: nothing was applied.\n");
                o
            }
        };
    }

    let (progress, bar) = progress(g);
    let result = apply::apply(
        &mut db.client,
        &history,
        &chain,
        &apply::Options {
            progress,
            to: opts.to,
            allow: opts.allow.clone(),
            policy: project.config.policy(),
            lock_timeout: opts.lock_timeout,
            ddl: opts.ddl.over(&project.config.ddl),
            roles: project.config.managed_roles.clone(),
            managed: Some(managed(&project)),
        },
    );
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let report = match result {
        Ok(r) => r,
        Err(e) => return db_failure(g, &e, None),
    };
    let mut out = match g.format {
        Format::Json => Outcome::json(
            Exit::Ok,
            json!({
                "ok": true,
                "applied": report.applied.iter().map(|(s, d)| json!({ "migration": s, "duration_ms": d.as_millis() as u64 })).collect::<Vec<_>>(),
            }),
        ),
        Format::Text | Format::Markdown => {
            let mut o = Outcome::new(Exit::Ok);
            o.stdout = preface;
            if !g.quiet {
                if report.applied.is_empty() {
                    o.stdout
                        .push_str(&format!("Nothing to apply: {} is up to date.\n", db.label));
                } else {
                    o.stdout.push_str(&format!("Applying to {}\n", db.label));
                    for (stem, took) in &report.applied {
                        o.stdout
                            .push_str(&format!("  applied {stem} ({})\n", duration(*took)));
                    }
                }
            }
            o
        }
    };
    if opts.dev && g.format == Format::Text && !g.quiet {
        match history.rows(&mut db.client) {
            Ok(rows) => out
                .stdout
                .push_str(&format!("\n{}", super::status::describe(&rows, &chain))),
            Err(e) => return db_failure(g, &ApplyError::from(e), None),
        }
        out.stdout
            .push_str("The throwaway server is stopped and removed.\n");
    }
    out
}

/// Progress of a text-mode apply on stderr, as it happens: a spinner with the migration,
/// step and elapsed time on a terminal (indicatif), plain lines elsewhere (CI logs). Nothing
/// with `-q` or `--format json`. The summary on stdout is unchanged.
fn progress(g: &Global) -> (apply::Progress, Option<indicatif::ProgressBar>) {
    use std::io::IsTerminal;
    if g.quiet || g.format != Format::Text {
        return (apply::Progress::default(), None);
    }
    let started = std::time::Instant::now();
    let current = std::sync::Mutex::new(String::new());
    if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} [{elapsed}] {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(100));
        let shown = bar.clone();
        let progress = apply::Progress::new(move |e| {
            let mut cur = current.lock().unwrap_or_else(|p| p.into_inner());
            match e {
                apply::Event::Migration {
                    number,
                    total,
                    stem,
                } => {
                    *cur = format!("[{number}/{total}] {stem}");
                    shown.set_message(cur.clone());
                }
                apply::Event::Step { label, .. } => shown.set_message(format!("{cur}: {label}")),
                apply::Event::Applied { stem, took } => {
                    shown.println(format!("  applied {stem} ({})", duration(*took)));
                }
                apply::Event::LockRetry { stem, label, .. } => {
                    if let Some(line) = e.retry_line() {
                        shown.println(format!("  {stem}: {}: {line}", short_label(label)));
                    }
                }
            }
        });
        return (progress, Some(bar));
    }
    let progress = apply::Progress::new(move |e| {
        use std::io::Write;
        let mut cur = current.lock().unwrap_or_else(|p| p.into_inner());
        let at = duration(started.elapsed());
        let line = match e {
            apply::Event::Migration {
                number,
                total,
                stem,
            } => {
                *cur = format!("[{number}/{total}] {stem}");
                format!("{cur} …")
            }
            apply::Event::Step { label, .. } => format!("{cur}: {label} (at {at})"),
            apply::Event::Applied { took, .. } => {
                format!("{cur}: applied in {} (at {at})", duration(*took))
            }
            apply::Event::LockRetry { label, .. } => format!(
                "{cur}: {}: {} (at {at})",
                short_label(label),
                e.retry_line().unwrap_or_default()
            ),
        };
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{line}");
        let _ = err.flush();
    });
    (progress, None)
}

/// Progress of a text-mode rollback on stderr: only its lock retries, as plain lines.
fn retries_only(g: &Global) -> apply::Progress {
    if g.quiet || g.format != Format::Text {
        return apply::Progress::default();
    }
    apply::Progress::new(|e| {
        use std::io::Write;
        if let (apply::Event::LockRetry { stem, label, .. }, Some(line)) = (e, e.retry_line()) {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "{stem} (down): {}: {line}", short_label(label));
            let _ = err.flush();
        }
    })
}

/// The project's managed schemas and ignore list.
fn managed(project: &crate::schema::config::Project) -> apply::Managed {
    apply::Managed {
        schemas: project.config.schema_names().map(String::from).collect(),
        ignore: project.config.ignore.clone(),
    }
}

/// An `apply` or `rollback` error as an outcome; `rollback_to` is the `--to` of a rollback,
/// named in the hint to run it again.
fn db_failure(g: &Global, e: &ApplyError, rollback_to: Option<u32>) -> Outcome {
    let (exit, code, hint) = match e {
        ApplyError::Mismatch(_) => (
            Exit::Invalid,
            "history-mismatch",
            "restore the applied files from version control; never edit a migration that was applied".to_string(),
        ),
        ApplyError::PartWayBack(_) => (
            Exit::Failure,
            "part-way",
            "finish the rollback first (`schemactl status` shows where it stopped), then apply".to_string(),
        ),
        ApplyError::PartWayUp(_) => (
            Exit::Failure,
            "part-way",
            "finish the migration first: fix the cause and run `schemactl apply` (it resumes after the committed segments), then roll back; or repair the database by hand".to_string(),
        ),
        ApplyError::NotAllowed(r) => (
            Exit::No,
            "hazard-not-allowed",
            not_allowed_hint(&r.allow_needed, &r.from_config, r.down),
        ),
        ApplyError::LockTimeout(_) => (
            Exit::Failure,
            "lock-timeout",
            "wait for the other apply to finish, or raise --lock-timeout".to_string(),
        ),
        ApplyError::Failed(f) => {
            let mut extra = serde_json::Map::new();
            extra.insert("migration".into(), json!(f.stem));
            extra.insert("file".into(), json!(if f.down { "down" } else { "up" }));
            extra.insert("step".into(), json!(f.step));
            extra.insert("segments_done".into(), json!(f.segments_done));
            extra.insert("segments_total".into(), json!(f.segments_total));
            if let Some(g) = &f.gave_up {
                extra.insert(
                    "lock_timeout".into(),
                    json!({
                        "on": g.on,
                        "tries": g.tries,
                        "lock_timeout_ms": g.lock_timeout.as_millis() as u64,
                        "held_by": g.holders.iter().map(|h| json!({
                            "relation": h.relation,
                            "pid": h.pid,
                            "xact_start": h.xact_start,
                            "query_start": h.query_start,
                            "state": h.state,
                        })).collect::<Vec<_>>(),
                    }),
                );
            }
            return Outcome::fail_with(
                g,
                Exit::Failure,
                "migration-failed",
                &e.to_string(),
                &failed_hint(f, rollback_to),
                extra,
            );
        }
        ApplyError::MissingRoles(_) => (
            Exit::Failure,
            "missing-role",
            "roles are cluster-wide and schemactl does not create them: create them first (CREATE ROLE name NOLOGIN), then apply again".to_string(),
        ),
        ApplyError::NotEmpty(o) => {
            let mut extra = serde_json::Map::new();
            extra.insert("migration".into(), json!(o.first));
            extra.insert("objects".into(), json!(o.objects));
            return Outcome::fail_with(
                g,
                Exit::Invalid,
                "not-empty",
                &e.to_string(),
                "to adopt a database that already has the schema, run `schemactl baseline` (it checks that the database equals the snapshot and records the migrations as applied without running them); to start from what the database holds, describe it with `schemactl inspect`, `schemactl plan -m init`, then `schemactl baseline`",
                extra,
            );
        }
        ApplyError::Database(_) => (
            Exit::Failure,
            "database",
            "check the connection and permissions".to_string(),
        ),
    };
    Outcome::fail(g, exit, code, &e.to_string(), &hint)
}

/// What a failed migration (or down file) left behind, and how to go on. When segments before
/// the failing one committed, the hint must say so: they stay, and a re-run resumes after them.
fn failed_hint(f: &Failure, rollback_to: Option<u32>) -> String {
    let again = match rollback_to {
        Some(to) => format!("`schemactl rollback --to {to}`"),
        None => "`schemactl apply`".to_string(),
    };
    let rest = what_stayed(f, &again);
    if let Some(g) = &f.gave_up {
        return format!("{}; {rest}", gave_up_hint(g));
    }
    if f.error.contains("statement timeout") {
        return format!(
            "the step ran longer than --ddl-statement-timeout ([apply] ddl_statement_timeout): raise it, or split the work; {rest}"
        );
    }
    rest
}

/// What to do about a segment that hit its lock timeout on every try.
fn gave_up_hint(g: &apply::GaveUp) -> String {
    let find = match g.holders.first() {
        Some(h) => format!(
            "another session holds a lock on {}: let pid {} finish, or stop it (SELECT pg_terminate_backend({}))",
            h.relation, h.pid, h.pid
        ),
        None => format!(
            "another session held a lock on {}: find it in pg_locks and pg_stat_activity and let it finish or stop it",
            g.on
        ),
    };
    format!(
        "{find}; or raise --ddl-lock-timeout / --ddl-retries ([apply] ddl_lock_timeout, ddl_retries in schemactl.toml)"
    )
}

/// What a failure left behind, and how to go on after fixing the cause ([`failed_hint`]
/// without the timeout advice).
fn what_stayed(f: &Failure, again: &str) -> String {
    let lock_table = f.error.contains("max_locks_per_transaction");
    // A statement outside a transaction is not undone: a concurrent index build that failed
    // leaves its INVALID index, which the step's `DROP INDEX CONCURRENTLY IF EXISTS` removes
    // when it runs again.
    let alone = "it ran alone, outside a transaction, so it was not undone: a failed concurrent index build leaves an INVALID index (still checked on writes when unique), which the re-run drops and builds again";
    if !f.part_way() && !f.transactional {
        return format!(
            "{} failed ({alone}); fix the cause, then run {again} again",
            short_label(&f.step)
        );
    }
    if !f.part_way() {
        return if f.down {
            format!(
                "nothing of {stem}'s down file took effect (the failing segment was rolled back) and the failure is recorded, so {stem} is still applied; fix the cause, then run {again} again",
                stem = f.stem
            )
        } else if lock_table {
            "the migration touches more relations than the server's lock table holds in one transaction; raise max_locks_per_transaction (server restart) or split the migration, then apply again".to_string()
        } else {
            "the migration was rolled back and the failure recorded; fix the cause, then run apply again".to_string()
        };
    }
    let file = if f.down {
        format!("{}'s down file", f.stem)
    } else {
        f.stem.clone()
    };
    let segments = if f.segments_done == 1 {
        "segment 1".to_string()
    } else {
        format!("segments 1–{}", f.segments_done)
    };
    let failed = short_label(&f.step);
    let undone = if !f.transactional {
        format!("{failed} failed ({alone})")
    } else if f.segment_steps.len() > 1 {
        format!(
            "{failed} failed and its segment ({}) was rolled back",
            step_range(&f.segment_steps)
        )
    } else {
        format!("{failed} failed and its segment was rolled back")
    };
    let fix = if lock_table {
        "raise max_locks_per_transaction (server restart: the segment touches more relations than the lock table holds in one transaction)"
    } else {
        "fix the cause"
    };
    format!(
        "{segments} of {total} of {file} committed ({steps}); {undone}; {fix} and run {again} again to resume after them",
        total = f.segments_total,
        steps = step_range(&f.committed_steps),
    )
}

/// The `--allow` that lets the file run, and why hazards are gated when the project asked
/// for it.
fn not_allowed_hint(allow_needed: &[String], from_config: &[String], down: bool) -> String {
    let ids = allow_needed.join(",");
    let mut hint = if down {
        format!(
            "review the steps, then pass `--allow {ids}` to rollback (down files record no allowances)"
        )
    } else {
        format!("review the steps, then pass `--allow {ids}` to apply")
    };
    if !from_config.is_empty() {
        hint.push_str(&format!(
            "; {} must be allowed because schemactl.toml lists {} in [hazards] require_allow",
            from_config.join(", "),
            if from_config.len() == 1 { "it" } else { "them" }
        ));
    }
    hint
}

/// `schemactl rollback --to V`: run the down files of applied migrations after V.
pub fn rollback(
    g: &Global,
    to: u32,
    allow: &[String],
    lock_timeout: Duration,
    ddl: DdlFlags,
) -> Outcome {
    if let Some(o) = super::markdown::unsupported(g, "rollback") {
        return o;
    }
    let (project, chain) = match load_chain(g) {
        Ok(x) => x,
        Err(o) => return o,
    };
    if to != 0 && !chain.migrations.iter().any(|m| m.version == to) {
        return Outcome::fail(
            g,
            Exit::Invalid,
            "unknown-version",
            &format!("there is no migration {to:04}"),
            "`--to` takes the number of a migration in migrations/, or 0 for empty",
        );
    }
    let mut db = match open_db(g, &project, false) {
        Ok(db) => db,
        Err(o) => return o,
    };
    let history = super::history(&project);
    match apply::rollback_with(
        &mut db.client,
        &history,
        &chain,
        to,
        &apply::RollbackOptions {
            allow: allow.to_vec(),
            policy: project.config.policy(),
            lock_timeout,
            ddl: ddl.over(&project.config.ddl),
            progress: retries_only(g),
        },
    ) {
        Err(e) => db_failure(g, &e, Some(to)),
        Ok(report) => match g.format {
            Format::Json => Outcome::json(
                Exit::Ok,
                json!({ "ok": true, "rolled_back": report.applied.iter().map(|(s, _)| s).collect::<Vec<_>>() }),
            ),
            Format::Text | Format::Markdown => {
                let mut o = Outcome::new(Exit::Ok);
                if g.quiet {
                    return o;
                }
                if report.applied.is_empty() {
                    o.stdout = format!(
                        "Nothing to roll back: {} is at or before {to:04}.\n",
                        db.label
                    );
                } else {
                    for (stem, took) in &report.applied {
                        o.stdout
                            .push_str(&format!("  rolled back {stem} ({})\n", duration(*took)));
                    }
                }
                o
            }
        },
    }
}
