//! Commands that compare a live database with a model: `drift`, `diff --db`, `verify`.

use serde_json::json;

use std::collections::BTreeSet;
use std::time::Duration;

use super::{Exit, Format, Global, Outcome, load, load_chain, open_db};
use crate::apply::{self, ApplyError, History, NotReversible, Status};
use crate::catalog::inventory::{self, Kind, Object};
use crate::catalog::{self, ReadOptions};
use crate::diff;
use crate::migrations::Chain;
use crate::model::{Model, snapshot};
use crate::plan;
use crate::schema::config::Project;

/// Why a chain may not build from empty: the directory, or a migration's SQL itself.
const CHAIN_HINT: &str = "a base migration may be missing or edited (restore migrations/ from version control), or the failing step's SQL does not apply on PostgreSQL (see the error)";

fn read_options(project: &Project) -> ReadOptions {
    ReadOptions {
        schemas: project.config.schema_names().map(String::from).collect(),
        ignore: project.config.ignore.clone(),
        history_schema: project.config.history_schema.clone(),
    }
}

fn db_error(g: &Global, e: &postgres::Error) -> Outcome {
    Outcome::fail(
        g,
        Exit::Failure,
        "database",
        &crate::devdb::describe_pg_error(e),
        "check the connection and permissions",
    )
}

/// How the database deviates from `expected`, one line per difference.
pub fn deviations(expected: &Model, live: &Model) -> Vec<String> {
    deviation_details(expected, live)
        .into_iter()
        .map(|d| d.message)
        .collect()
}

/// [`deviations`] as data (`--format json`).
pub fn deviation_details(expected: &Model, live: &Model) -> Vec<super::deviation::Deviation> {
    diff::diff(expected, live)
        .iter()
        .filter_map(|c| super::deviation::of(c, expected, live))
        .collect()
}

/// `-q`: a passing check prints nothing (the exit code says it); a failing one still shows
/// what failed.
fn quiet_when_ok(g: &Global, o: &mut Outcome) {
    if g.quiet && o.exit == Exit::Ok {
        o.stdout.clear();
    }
}

/// SQL that would take `from` to `to`, with what cannot be generated yet as comments.
fn converge_sql(p: &plan::Plan) -> String {
    let mut s = p.sql_body();
    for u in &p.unsupported {
        s.push_str(&format!(
            "\n-- not generated yet: {}",
            crate::sql::comment_safe(u)
        ));
    }
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

/// Apply migrations `1..=upto` into a throwaway cluster and read back its catalog.
pub(crate) fn replay(
    g: &Global,
    project: &Project,
    chain: &Chain,
    upto: Option<u32>,
) -> Result<Model, Outcome> {
    let mut db = open_db(g, project, true)?;
    let history = super::history(project);
    let opts = apply::Options {
        to: upto,
        lock_timeout: std::time::Duration::from_secs(60),
        ..Default::default()
    };
    apply::apply(&mut db.client, &history, chain, &opts).map_err(|e| {
        Outcome::fail(
            g,
            Exit::No,
            "chain-does-not-build",
            &format!("the migration chain does not build from an empty database: {e}"),
            CHAIN_HINT,
        )
    })?;
    catalog::read(&mut db.client, &read_options(project))
        .map(|c| c.model)
        .map_err(|e| db_error(g, &e))
}

/// The live database compared with the snapshot of one version of the chain.
pub(crate) struct Comparison {
    /// The version's stem, or `(empty)` for version 0.
    pub version: String,
    /// One line per difference ([`deviations`]); empty when they are equal.
    pub differences: Vec<String>,
    /// The same as data, for JSON.
    pub details: Vec<super::deviation::Deviation>,
    /// The SQL that would take the database to the snapshot (empty when equal).
    pub sql: String,
}

/// Compare the live database with the snapshot of version `at` (0: the empty database):
/// what `drift` does for the version the database is at, and `baseline` for the version it
/// adopts. Only the head snapshot is stored, so an older one is rebuilt by replaying the
/// chain up to `at` into a throwaway server ([`replay`]). Lets go of the chain's SQL texts
/// and snapshot text (only versions, names and links are left).
pub(crate) fn compare_at(
    g: &Global,
    project: &Project,
    chain: &mut Chain,
    db: &mut super::Database,
    at: u32,
) -> Result<Comparison, Outcome> {
    let head = chain.migrations.last().map_or(0, |m| m.version);
    // Only the head snapshot is stored: an older one is rebuilt by replaying the chain.
    let older = if at != 0 && at != head {
        Some(replay(g, project, chain, Some(at))?)
    } else {
        None
    };
    // From here on only the links and the head snapshot are needed: the SQL texts and the
    // snapshot text are let go before the catalog is read, which is the memory peak.
    let snapshot_text = chain.snapshot.take();
    if older.is_none() {
        chain.forget_sql();
    }
    let config = &project.config;
    let head_model = move || match snapshot_text.as_deref().map(snapshot::from_toml) {
        Some(Ok(mut m)) if at == head && at != 0 => {
            m.retain_schemas(config.schema_names());
            m.drop_ignored(&config.ignore);
            m
        }
        // Version 0: an empty database, which still has the `public` schema as PostgreSQL
        // creates it (its default privileges are no drift).
        _ => empty_database(config),
    };
    // The head snapshot is parsed on a second thread while the catalog is read: the read
    // mostly waits for the server.
    let (expected, live) = std::thread::scope(|s| {
        let parse = older.is_none().then(|| s.spawn(head_model));
        let live = catalog::read(&mut db.client, &read_options(project));
        let expected = match parse {
            Some(h) => h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
            None => Model::default(),
        };
        (expected, live)
    });
    let mut expected = older.unwrap_or(expected);
    let live = live.map_err(|e| db_error(g, &e))?.model;
    catalog::server_forms(&mut db.client, &mut expected).map_err(|e| db_error(g, &e))?;
    let details = deviation_details(&expected, &live);
    let found: Vec<String> = details.iter().map(|d| d.message.clone()).collect();
    let version = chain
        .migrations
        .iter()
        .find(|m| m.version == at)
        .map_or("(empty)".to_string(), |m| m.stem.clone());
    let sql = if found.is_empty() {
        String::new()
    } else {
        let mut changes = diff::diff(&live, &expected);
        if project.config.online {
            diff::table::online(&mut changes, &[&live, &expected]);
        }
        converge_sql(&plan::plan(changes))
    };
    chain.forget_sql();
    Ok(Comparison {
        version,
        differences: found,
        details,
        sql,
    })
}

/// The model of a database nothing was applied to: the `public` schema, if managed, with
/// nothing in it and its privileges left as PostgreSQL makes them.
fn empty_database(config: &crate::schema::config::Config) -> Model {
    let mut m = Model::default();
    if config.schema_names().any(|s| s == "public") {
        m.schemas.insert("public".to_string(), Default::default());
    }
    m
}

/// The differences, one `  - ` line each, then a blank line, `heading:`, a blank line and the
/// SQL: how `drift` shows them, and `baseline` when it refuses.
pub(crate) fn differences_text(found: &[String], heading: &str, sql: &str) -> String {
    let mut s = String::new();
    for f in found {
        s.push_str(&format!("  - {f}\n"));
    }
    s.push_str(&format!("\n{heading}:\n\n"));
    s.push_str(sql);
    s
}

/// `drift`: live catalog vs the snapshot of the version the database is at. With `dev`, a
/// throwaway server gets the whole chain applied first (a self-check of the chain).
pub fn drift(g: &Global, dev: bool) -> Outcome {
    let (project, mut chain, mut db, history) = match super::open_chain_db(g, dev) {
        Ok(x) => x,
        Err(o) => return o,
    };
    if dev {
        let opts = apply::Options {
            lock_timeout: std::time::Duration::from_secs(60),
            ..Default::default()
        };
        if let Err(e) = apply::apply(&mut db.client, &history, &chain, &opts) {
            return Outcome::fail(
                g,
                Exit::Failure,
                "migration-failed",
                &e.to_string(),
                "the chain does not apply to an empty database; run `schemactl verify`",
            );
        }
    }
    // A database at the end of a squashed range is read as `apply` will record it.
    let rows = match history.rows(&mut db.client) {
        Ok(r) => apply::squash::as_brought_over(&chain, r),
        Err(e) => return db_error(g, &e),
    };
    let problems = apply::mismatches(&rows, &chain);
    if !problems.is_empty() {
        return Outcome::fail(
            g,
            Exit::Invalid,
            "history-mismatch",
            &format!(
                "the database's history does not match the directory: {}",
                problems.join("; ")
            ),
            "drift compares against the directory's snapshots; restore the applied files first",
        );
    }
    // Part-way through a migration, the database matches no snapshot of the chain; compared
    // with the one before, the "undo" SQL would drop what committed (a renamed table, with
    // its rows). Not drift, and no yes/no answer: the failed run has to be finished first.
    if let Some(r) = apply::part_way(&rows).first() {
        let hint = if r.part_rolled_back() {
            format!(
                "finish the rollback with `schemactl rollback --to {}` (or to the version it was rolling back to), then run drift again",
                r.version - 1
            )
        } else if r.status == Status::Failed {
            format!(
                "fix what made {} fail (`schemactl status` shows the error), run `schemactl apply` to finish it, then run drift again",
                r.name
            )
        } else {
            format!(
                "run `schemactl apply` to finish {}, then run drift again",
                r.name
            )
        };
        let mut extra = serde_json::Map::new();
        extra.insert("part_way".into(), super::status::part_way_json(&chain, r));
        return Outcome::fail_with(
            g,
            Exit::Failure,
            "part-way",
            &format!(
                "{} is {}: it matches no migration's snapshot, so drift has nothing to compare it with",
                db.label,
                super::status::part_way_text(&chain, r)
            ),
            &hint,
            extra,
        );
    }
    let at = apply::latest(&rows)
        .values()
        .filter(|r| r.in_effect())
        .map(|r| r.version as u32)
        .max()
        .unwrap_or(0);
    let Comparison {
        version,
        differences: found,
        details,
        sql,
    } = match compare_at(g, &project, &mut chain, &mut db, at) {
        Ok(c) => c,
        Err(o) => return o,
    };
    let exit = if found.is_empty() { Exit::Ok } else { Exit::No };
    match g.format {
        Format::Json => Outcome::json(
            exit,
            json!({ "ok": found.is_empty(), "version": version, "drift": found, "differences": details, "sql": if found.is_empty() { None } else { Some(sql) } }),
        ),
        Format::Text => {
            let mut o = Outcome::new(exit);
            if found.is_empty() {
                if !g.quiet {
                    o.stdout = format!("No drift: {} matches {version}.\n", db.label);
                }
            } else {
                o.stdout = format!("Drift: {} differs from {version}:\n", db.label);
                o.stdout.push_str(&differences_text(
                    &found,
                    "SQL that would bring the database back to the snapshot",
                    &sql,
                ));
            }
            o
        }
        Format::Markdown => {
            let mut o = Outcome::new(exit);
            o.stdout = super::markdown::drift(&version, &details, &sql);
            o
        }
    }
}

/// `diff --db`: SQL that would bring the live database to schema/. Writes nothing.
pub fn diff_db(g: &Global) -> Outcome {
    let loaded = match load(g) {
        Ok(l) => l,
        Err(o) => return o,
    };
    let mut db = match open_db(g, &loaded.project, false) {
        Ok(db) => db,
        Err(o) => return o,
    };
    let live = match catalog::read(&mut db.client, &read_options(&loaded.project)) {
        Ok(c) => c.model,
        Err(e) => return db_error(g, &e),
    };
    let mut loaded = loaded;
    loaded.model.drop_ignored(&loaded.project.config.ignore);
    if let Err(e) = catalog::server_forms(&mut db.client, &mut loaded.model) {
        return db_error(g, &e);
    }
    // Declared renames count here too: the database may still have the old names.
    let mut d = diff::compare(&live, &loaded.model, &loaded.renames);
    let mut changes = std::mem::take(&mut d.changes);
    if loaded.project.config.online {
        let hints = diff::table::online(&mut changes, &[&live, &loaded.model]);
        d.hints.extend(hints);
    }
    let p = plan::plan(changes);
    // Differences are a "no" answer, as in `drift`: scripts can gate on the exit code.
    let exit = if p.is_empty() { Exit::Ok } else { Exit::No };
    match g.format {
        Format::Json => Outcome::json(
            exit,
            json!({ "ok": exit == Exit::Ok, "changes": p.steps.len(), "steps": p.steps, "hazards": p.hazards(), "unsupported": p.unsupported, "hints": d.hints }),
        ),
        Format::Text => {
            let mut o = Outcome::new(exit);
            if p.is_empty() {
                if !g.quiet {
                    o.stdout = format!("No differences: {} matches schema/.\n", db.label);
                }
            } else {
                o.stdout = converge_sql(&p);
                for h in &d.hints {
                    o.stdout
                        .push_str(&format!("-- hint: {}\n", crate::sql::comment_safe(h)));
                }
            }
            o
        }
        Format::Markdown => {
            let mut o = Outcome::new(exit);
            o.stdout = super::markdown::diff(&p, &converge_sql(&p), &d.hints);
            o
        }
    }
}

/// How long `verify` waits for the migration lock of its scratch database.
const VERIFY_LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// The result of `verify`'s rollback check.
#[derive(Debug)]
struct RollbackCheck {
    /// The version rolled back to: `None` for empty (or when nothing was rolled back), else
    /// the newest migration that cannot be rolled back (the check covers those after it).
    to: Option<String>,
    /// Migrations that `rollback` would refuse, oldest first, with the reason.
    not_reversible: Vec<(String, NotReversible)>,
    outcome: RollbackOutcome,
}

#[derive(Debug)]
enum RollbackOutcome {
    /// Nothing was rolled back: there are no migrations, or the newest cannot be rolled back.
    Skipped,
    /// The down files ran; the database should now be as it was at `to`.
    Ran {
        rolled_back: Vec<String>,
        /// What differs from the state at `to` (empty: the check passed).
        differences: Vec<String>,
    },
    /// A down file failed (its failing segment was rolled back; the check stopped there).
    Failed {
        rolled_back: Vec<String>,
        migration: String,
        /// The down file, relative to the project root.
        file: String,
        step: String,
        error: String,
    },
}

impl RollbackCheck {
    fn passed(&self) -> bool {
        match &self.outcome {
            RollbackOutcome::Skipped => true,
            RollbackOutcome::Ran { differences, .. } => differences.is_empty(),
            RollbackOutcome::Failed { .. } => false,
        }
    }

    /// `0001_init, 0002_x have no down file; 0004_y is marked irreversible`.
    fn reasons(&self) -> String {
        let mut parts = Vec::new();
        for (why, one, many) in [
            (
                NotReversible::NoDownFile,
                "has no down file",
                "have no down file",
            ),
            (
                NotReversible::MarkedIrreversible,
                "is marked irreversible",
                "are marked irreversible",
            ),
        ] {
            let stems: Vec<&str> = self
                .not_reversible
                .iter()
                .filter(|(_, w)| *w == why)
                .map(|(s, _)| s.as_str())
                .collect();
            if !stems.is_empty() {
                let verb = if stems.len() == 1 { one } else { many };
                parts.push(format!("{} {verb}", stems.join(", ")));
            }
        }
        parts.join("; ")
    }

    fn target(&self) -> String {
        match &self.to {
            None => "empty".to_string(),
            Some(stem) => stem.clone(),
        }
    }

    fn text(&self, migrations: usize) -> String {
        let mut s = String::new();
        match &self.outcome {
            RollbackOutcome::Skipped if self.not_reversible.is_empty() => {
                s.push_str("note: rollback check skipped: there are no migrations\n");
            }
            RollbackOutcome::Skipped => {
                s.push_str(&format!(
                    "note: rollback check skipped: {}\n",
                    self.reasons()
                ));
                return s;
            }
            RollbackOutcome::Ran {
                rolled_back,
                differences,
            } if differences.is_empty() => match &self.to {
                None => s.push_str(&format!(
                    "Verified: the down files roll the {migrations} migration(s) back to an empty database and leave nothing behind.\n"
                )),
                Some(stem) => s.push_str(&format!(
                    "Verified: the down files of the {} newest migration(s) roll back to {stem} and leave exactly what it built.\n",
                    rolled_back.len()
                )),
            },
            RollbackOutcome::Ran { differences, .. } => {
                s.push_str(&format!(
                    "Rolling the chain back to {} with the down files does not give back what was there:\n",
                    self.target()
                ));
                for d in differences {
                    s.push_str(&format!("  - {d}\n"));
                }
            }
            RollbackOutcome::Failed {
                file, step, error, ..
            } => {
                s.push_str(&format!(
                    "Rolling the chain back to {} failed: {file} failed at {step}: {error}\n",
                    self.target()
                ));
            }
        }
        if let Some(stem) = &self.to {
            s.push_str(&format!(
                "note: rollback checked only back to {stem}: {}\n",
                self.reasons()
            ));
        }
        s
    }

    fn json(&self) -> serde_json::Value {
        let (status, rolled_back, differences, failed) = match &self.outcome {
            RollbackOutcome::Skipped => ("skipped", &Vec::new(), &Vec::new(), None),
            RollbackOutcome::Ran {
                rolled_back,
                differences,
            } => (
                if differences.is_empty() {
                    "passed"
                } else {
                    "mismatch"
                },
                rolled_back,
                differences,
                None,
            ),
            RollbackOutcome::Failed {
                rolled_back,
                migration,
                file,
                step,
                error,
            } => (
                "down_failed",
                rolled_back,
                &Vec::new(),
                Some(json!({ "migration": migration, "file": file, "step": step, "error": error })),
            ),
        };
        json!({
            "status": status,
            "to": self.to,
            "rolled_back": rolled_back,
            "differences": differences,
            "failed": failed,
            "not_reversible": self.not_reversible.iter().map(|(m, why)| json!({ "migration": m, "reason": why.id() })).collect::<Vec<_>>(),
        })
    }
}

/// `verify`: replay the whole chain from empty and compare with the head snapshot, then run
/// the down files back to empty and check that nothing is left behind.
pub fn verify(g: &Global, dev: bool) -> Outcome {
    let (project, chain) = match load_chain(g) {
        Ok(x) => x,
        Err(o) => return o,
    };
    let mut head = match chain.snapshot.as_deref().map(snapshot::from_toml) {
        Some(Ok(mut m)) if !chain.migrations.is_empty() => {
            m.retain_schemas(project.config.schema_names());
            m.drop_ignored(&project.config.ignore);
            m
        }
        _ => Model::default(),
    };
    let dev = dev || g.db.is_none();
    let mut db = match open_db(g, &project, dev) {
        Ok(db) => db,
        Err(o) => return o,
    };
    // A throwaway server uses the project's history table; a real database a temporary one.
    let history = if dev {
        super::history(&project)
    } else {
        History {
            schema: format!("{}_verify", project.config.history_schema),
        }
    };
    let before = match catalog::read(&mut db.client, &read_options(&project)) {
        Ok(c) => c.model,
        Err(e) => return db_error(g, &e),
    };
    if !dev && (before.tables().next().is_some() || before.enums().next().is_some()) {
        return Outcome::fail(
            g,
            Exit::Invalid,
            "not-empty",
            &format!(
                "{} is not empty: its managed schemas hold tables or types",
                db.label
            ),
            "verify needs an empty database; use --dev for a throwaway one",
        );
    }
    let baseline = match inventory::read(&mut db.client, &history.schema) {
        Ok(all) => {
            let schemas = schema_names(&all);
            relevant(all, &project, &schemas)
        }
        Err(e) => return db_error(g, &e),
    };
    let checked = check_chain(
        g,
        &project,
        &chain,
        &mut db.client,
        &history,
        Start {
            model: before,
            objects: &baseline,
        },
        &mut head,
    );
    if !dev {
        // Leave the database as empty as it was, whatever happened.
        if let Err(o) = clean_up(g, &project, &mut db.client, &history, &baseline) {
            return o;
        }
    }
    let (built, rollback) = match checked {
        Ok(x) => x,
        Err(o) => return o,
    };
    let found = deviations(&head, &built);
    let ok = found.is_empty() && rollback.passed();
    let exit = if ok { Exit::Ok } else { Exit::No };
    match g.format {
        Format::Json => Outcome::json(
            exit,
            json!({ "ok": ok, "migrations": chain.migrations.len(), "differences": found, "rollback": rollback.json() }),
        ),
        Format::Text => {
            let mut o = Outcome::new(exit);
            if found.is_empty() {
                o.stdout = format!(
                    "Verified: the {} migration(s) build from an empty database to exactly the head snapshot.\n",
                    chain.migrations.len()
                );
            } else {
                o.stdout =
                    "The chain built from empty does not match the head snapshot:\n".to_string();
                for f in &found {
                    o.stdout.push_str(&format!(
                        "  - {}\n",
                        f.replace("in the database", "in the replayed chain")
                    ));
                }
            }
            o.stdout.push_str(&rollback.text(chain.migrations.len()));
            quiet_when_ok(g, &mut o);
            o
        }
        Format::Markdown => {
            let mut o = Outcome::new(exit);
            o.stdout = super::markdown::verify(&super::markdown::VerifyReview {
                migrations: chain.migrations.len(),
                differences: &found,
                rollback_ok: rollback.passed(),
                rollback_text: &rollback.text(chain.migrations.len()),
            });
            o
        }
    }
}

/// Schema names in an inventory.
fn schema_names(objects: &[Object]) -> BTreeSet<String> {
    objects
        .iter()
        .filter(|o| o.kind == Kind::Schema)
        .map(|o| o.name.clone())
        .collect()
}

/// What the rollback check looks at: schemas and extensions, and objects in the managed
/// schemas or in schemas that did not exist at the start (`existing`).
fn relevant(all: Vec<Object>, project: &Project, existing: &BTreeSet<String>) -> Vec<Object> {
    let managed: Vec<&str> = project.config.schema_names().collect();
    all.into_iter()
        .filter(|o| match &o.schema {
            None => true,
            Some(s) => managed.contains(&s.as_str()) || !existing.contains(s),
        })
        .collect()
}

/// What the database held before the chain ran: its model and every object.
struct Start<'a> {
    model: Model,
    objects: &'a [Object],
}

/// Apply the whole chain, first stopping after the newest migration that cannot be rolled
/// back to record that state (the empty database when every migration can); then roll back
/// to it with the down files and compare. Returns the model the whole chain built and the
/// rollback check.
fn check_chain(
    g: &Global,
    project: &Project,
    chain: &Chain,
    client: &mut postgres::Client,
    history: &History,
    start: Start<'_>,
    head: &mut Model,
) -> Result<(Model, RollbackCheck), Outcome> {
    let Start {
        model: before,
        objects: baseline,
    } = start;
    let opts = read_options(project);
    let existing = schema_names(baseline);
    let not_reversible: Vec<(u32, String, NotReversible)> = chain
        .migrations
        .iter()
        .filter_map(|m| apply::not_reversible(m).map(|why| (m.version, m.stem.clone(), why)))
        .collect();
    // Roll back to just after the newest migration that cannot be rolled back (0 = empty).
    let floor = not_reversible.iter().map(|(v, _, _)| *v).max().unwrap_or(0);
    let head_version = chain.migrations.last().map_or(0, |m| m.version);
    let can_roll_back = floor < head_version;
    let forward = |client: &mut postgres::Client, to: Option<u32>| {
        let opts = apply::Options {
            to,
            lock_timeout: VERIFY_LOCK_TIMEOUT,
            // As `apply` does: a throwaway server has none of the project's managed roles.
            roles: project.config.managed_roles.clone(),
            ..Default::default()
        };
        apply::apply(client, history, chain, &opts).map_err(|e| match e {
            ApplyError::LockTimeout(_) | ApplyError::Database(_) => Outcome::fail(
                g,
                Exit::Failure,
                "database",
                &e.to_string(),
                "check the connection and permissions",
            ),
            _ => Outcome::fail(
                g,
                Exit::No,
                "chain-does-not-build",
                &format!("the migration chain does not build from an empty database: {e}"),
                CHAIN_HINT,
            ),
        })
    };
    let read_model = |client: &mut postgres::Client| {
        catalog::read(client, &opts)
            .map(|c| c.model)
            .map_err(|e| db_error(g, &e))
    };
    let read_objects = |client: &mut postgres::Client| {
        inventory::read(client, &history.schema)
            .map(|all| relevant(all, project, &existing))
            .map_err(|e| db_error(g, &e))
    };

    // The state the down files must give back.
    let (floor_model, floor_objects) = if floor == 0 {
        (before, baseline.to_vec())
    } else if can_roll_back {
        forward(client, Some(floor))?;
        (read_model(client)?, read_objects(client)?)
    } else {
        (Model::default(), Vec::new())
    };
    forward(client, None)?;
    let built = read_model(client)?;
    // The head's queries as this server stores them, while what they read exists.
    catalog::server_forms(client, head).map_err(|e| db_error(g, &e))?;

    let to = chain
        .migrations
        .iter()
        .find(|m| m.version == floor && can_roll_back)
        .map(|m| m.stem.clone());
    let outcome = if !can_roll_back {
        RollbackOutcome::Skipped
    } else {
        // A scratch database: undoing a creation may delete data here.
        let allow = ["deletes_data".to_string()];
        match apply::rollback(
            client,
            history,
            chain,
            floor,
            &allow,
            &crate::plan::Policy::default(),
            VERIFY_LOCK_TIMEOUT,
        ) {
            Ok(report) => {
                let model = read_model(client)?;
                let objects = read_objects(client)?;
                RollbackOutcome::Ran {
                    rolled_back: report.applied.into_iter().map(|(s, _)| s).collect(),
                    differences: rollback_differences(
                        &floor_model,
                        &model,
                        &floor_objects,
                        &objects,
                    ),
                }
            }
            Err(ApplyError::Failed(f)) => {
                let apply::Failure {
                    stem, step, error, ..
                } = *f;
                let rows = history.rows(client).map_err(|e| db_error(g, &e))?;
                // Those whose down file ran before the failure, newest first.
                let rolled_back: Vec<String> = apply::latest(&rows)
                    .into_iter()
                    .rev()
                    .filter(|(v, r)| *v > floor as i32 && r.status == Status::RolledBack)
                    .map(|(_, r)| r.name.clone())
                    .collect();
                RollbackOutcome::Failed {
                    rolled_back,
                    file: super::rel(&project.root, &super::layout(project).down_path(&stem)),
                    migration: stem,
                    step,
                    error,
                }
            }
            Err(e) => {
                return Err(Outcome::fail(
                    g,
                    Exit::Failure,
                    "database",
                    &format!("rolling the chain back failed: {e}"),
                    "check the connection and permissions",
                ));
            }
        }
    };
    Ok((
        built,
        RollbackCheck {
            to,
            not_reversible: not_reversible
                .into_iter()
                .map(|(_, stem, why)| (stem, why))
                .collect(),
            outcome,
        },
    ))
}

/// What differs after the rollback from the state it should give back: the model readers'
/// view (columns, constraints, indexes too), then objects the model does not cover (views,
/// sequences, functions, …); each difference once.
fn rollback_differences(
    expected: &Model,
    live: &Model,
    before: &[Object],
    after: &[Object],
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: String| {
        if !out.contains(&s) {
            out.push(s);
        }
    };
    for d in deviations(expected, live) {
        push(
            if let Some(rest) = d.strip_prefix("extra in the database: ") {
                format!("left behind: {rest}")
            } else if let Some(rest) = d.strip_prefix("missing from the database: ") {
                format!("missing after the rollback: {rest}")
            } else {
                d.replace("in the database", "after the rollback")
            },
        );
    }
    let before_set: BTreeSet<&Object> = before.iter().collect();
    let after_set: BTreeSet<&Object> = after.iter().collect();
    for o in after_set.difference(&before_set) {
        push(format!("left behind: {o}"));
    }
    for o in before_set.difference(&after_set) {
        push(format!("missing after the rollback: {o}"));
    }
    out
}

/// Drop the temporary history schema and every object that was not there at the start
/// (routines, relations and types first, then schemas, then extensions).
fn clean_up(
    g: &Global,
    project: &Project,
    client: &mut postgres::Client,
    history: &History,
    baseline: &[Object],
) -> Result<(), Outcome> {
    let existing = schema_names(baseline);
    let now = inventory::read(client, &history.schema)
        .map(|all| relevant(all, project, &existing))
        .map_err(|e| db_error(g, &e))?;
    let mut extra: Vec<&Object> = now.iter().filter(|o| !baseline.contains(o)).collect();
    let rank = |k: Kind| match k {
        Kind::Function | Kind::Procedure | Kind::Aggregate => 0,
        Kind::Schema => 3,
        Kind::Extension => 4,
        Kind::Enum | Kind::Domain | Kind::RangeType | Kind::Type | Kind::CompositeType => 2,
        _ => 1,
    };
    extra.sort_by_key(|o| rank(o.kind));
    let mut sql = format!(
        "DROP SCHEMA IF EXISTS {} CASCADE;",
        crate::sql::quote_ident(&history.schema)
    );
    for o in extra {
        sql.push_str(&o.drop_sql());
    }
    client.batch_execute(&sql).map_err(|e| db_error(g, &e))
}
