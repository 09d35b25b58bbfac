//! Apply migrations to a live database: history table, session advisory lock, link checks,
//! and execution — each migration in one transaction together with its history row, except
//! statements marked `-- schemactl:no-transaction`, which run in their own recorded segment.

pub mod budget;
pub mod script;
pub mod squash;

use std::time::{Duration, Instant, SystemTime};

use postgres::Client;

use crate::migrations::{Chain, Migration, parse_header};
use crate::plan::{Hazard, Policy, Transaction, known_hazards, parse_step_line};
use crate::sql::{quote_ident, quote_literal};

/// Marks the next step as one that must run outside a transaction block.
pub const NO_TRANSACTION: &str = "-- schemactl:no-transaction";
/// Marks the next step as a transaction of its own: the one before commits first, and the
/// steps after it start another.
pub const OWN_TRANSACTION: &str = "-- schemactl:own-transaction";
/// Marks a down file whose migration cannot be reversed automatically.
pub const IRREVERSIBLE: &str = "-- schemactl:irreversible";

/// One row of the history table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryRow {
    pub version: i32,
    pub name: String,
    pub link: String,
    pub applied_at: SystemTime,
    pub applied_by: String,
    pub duration: Duration,
    pub status: Status,
    /// Segments completed (for migrations with non-transactional statements).
    pub segments_done: i32,
    /// blake3 of the SQL of the completed segments, so a resume can check they are unchanged.
    pub done_hash: Option<String>,
    pub error: Option<String>,
    /// Free text about the row: `baseline` writes one (its `--note`, or which version the
    /// database was adopted at); `NULL` for rows `apply` and `rollback` write.
    pub note: Option<String>,
}

impl HistoryRow {
    /// The migration's effect is fully in the database: applied, or a rollback failed before
    /// any of its down segments committed.
    pub fn in_effect(&self) -> bool {
        matches!(self.status, Status::Applied | Status::Baselined)
            || (self.status == Status::RollbackFailed && self.segments_done == 0)
    }

    /// Some of the down file's segments committed: neither applied nor rolled back.
    pub fn part_rolled_back(&self) -> bool {
        matches!(self.status, Status::RollingBack | Status::RunningBack)
            || (self.status == Status::RollbackFailed && self.segments_done > 0)
    }

    /// Some of the up file's segments committed, but not all: neither applied nor pending.
    /// A row in state `running` counts even with no segment done: the statement it names
    /// may have committed before the process died.
    pub fn part_applied(&self) -> bool {
        self.status == Status::Running
            || (matches!(self.status, Status::Partial | Status::Failed) && self.segments_done > 0)
    }

    /// The database holds some but not all of this migration's effect (either direction), so
    /// it matches no snapshot of the chain.
    pub fn part_way(&self) -> bool {
        self.part_applied() || self.part_rolled_back()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Applied,
    /// Some segments ran (non-transactional statements); `apply` resumes after them.
    Partial,
    Failed,
    /// Reversed by `rollback` (its down file ran); the migration is pending again.
    RolledBack,
    /// Some segments of the down file ran; `rollback` resumes after them, `apply` refuses.
    RollingBack,
    /// The down file failed. With no down segment committed the migration is still applied;
    /// otherwise it is part-way back, as with [`Status::RollingBack`].
    RollbackFailed,
    /// A non-transactional segment of the up file (the one after `segments_done`) was started;
    /// written and committed before it runs. Still the latest row only if the process died
    /// (or is running now): that statement may or may not have committed, so the migration is
    /// part-way, and `apply` runs the segment again (generated ones are idempotent).
    Running,
    /// The same for a non-transactional segment of the down file (`rollback`).
    RunningBack,
    /// Recorded by `baseline` without running the file: the database already held its effect
    /// (its catalog equalled the snapshot). Counts as applied everywhere.
    Baselined,
}

impl Status {
    pub const ALL: [Status; 9] = [
        Status::Applied,
        Status::Partial,
        Status::Failed,
        Status::RolledBack,
        Status::RollingBack,
        Status::RollbackFailed,
        Status::Running,
        Status::RunningBack,
        Status::Baselined,
    ];

    /// Every id as SQL literals, for the history table's check constraint.
    fn sql_list() -> String {
        let ids: Vec<String> = Status::ALL
            .iter()
            .map(|s| format!("'{}'", s.id()))
            .collect();
        ids.join(", ")
    }

    pub fn id(self) -> &'static str {
        match self {
            Status::Applied => "applied",
            Status::Partial => "partial",
            Status::Failed => "failed",
            Status::RolledBack => "rolled_back",
            Status::RollingBack => "rolling_back",
            Status::RollbackFailed => "rollback_failed",
            Status::Running => "running",
            Status::RunningBack => "running_back",
            Status::Baselined => "baselined",
        }
    }

    fn parse(s: &str) -> Status {
        Status::ALL
            .into_iter()
            .find(|x| x.id() == s)
            .unwrap_or(Status::Failed)
    }
}

/// Details of [`ApplyError::NotAllowed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `0002_x`, or `0002_x (down)` for a down file.
    pub stem: String,
    /// The refused hazard ids, sorted.
    pub hazards: Vec<String>,
    /// `step N: kind object: hazards` for each step carrying one (when the file has step
    /// lines).
    pub steps: Vec<String>,
    /// The refused hazards that are gated only because `schemactl.toml` asks for it.
    pub from_config: Vec<String>,
    /// What `--allow` must name for the file to run: every gated hazard its header does not
    /// allow (the refused ones and those already given).
    pub allow_needed: Vec<String>,
    /// True for a down file (rollback), which records no allowances.
    pub down: bool,
}

/// Details of [`ApplyError::Failed`]: what failed, and how far the file got, so messages can
/// say what stayed committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub stem: String,
    /// The failing step's label (`step 5: add-check public.u.u_n_check …`).
    pub step: String,
    pub error: String,
    /// True when the down file failed (`rollback`).
    pub down: bool,
    /// Segments of the file that are committed (in this run, or an earlier one it resumed).
    pub segments_done: i32,
    pub segments_total: i32,
    /// Short labels (`step 1`, …) of the steps in the committed segments.
    pub committed_steps: Vec<String>,
    /// Short labels of the failing segment's steps (all undone when it is transactional).
    pub segment_steps: Vec<String>,
    /// Whether the failing segment ran in a transaction (else it was one statement alone).
    pub transactional: bool,
    /// Set when the segment hit its lock timeout on every try (`error` says so).
    pub gave_up: Option<Box<GaveUp>>,
}

/// Details of a transactional segment that hit its lock timeout on every try
/// ([`Failure::gave_up`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GaveUp {
    pub tries: u32,
    pub lock_timeout: Duration,
    /// The relation(s) waited for (schema-qualified), else the step's label.
    pub on: String,
    /// Who held locks on them after the last try, oldest transaction first.
    pub holders: Vec<budget::Holder>,
}

impl Failure {
    /// Something of the file took effect: the database is part-way through it.
    pub fn part_way(&self) -> bool {
        self.segments_done > 0
    }
}

/// `step 5` from `step 5: add-check public.u.u_n_check [hazards: …]`.
pub fn short_label(label: &str) -> &str {
    label.split(':').next().unwrap_or(label).trim()
}

/// `step 3`, `steps 1–3`, or the first and last label when they are not numbered steps.
pub fn step_range(labels: &[String]) -> String {
    match labels {
        [] => "no steps".to_string(),
        [one] => one.clone(),
        [first, .., last] => match (first.strip_prefix("step "), last.strip_prefix("step ")) {
            (Some(a), Some(b)) => format!("steps {a}–{b}"),
            _ => format!("{first} to {last}"),
        },
    }
}

/// Why `apply` refuses or fails.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The database's history does not match the directory (edited, missing, other branch).
    #[error("{}", listed("the database's migration history does not match the directory:", .0))]
    Mismatch(Vec<String>),
    /// A migration (or down file) records a gated hazard that neither its header nor
    /// `--allow` allows.
    #[error("{}", listed(&format!("{} has hazards its header does not allow: {}", .0.stem, .0.hazards.join(", ")), &.0.steps))]
    NotAllowed(Box<Refusal>),
    /// A migration is part-way through its rollback: `apply` must not run its up file over
    /// the half-undone state (one reason per such migration).
    #[error("{}", listed("a migration is part-way through its rollback:", .0))]
    PartWayBack(Vec<String>),
    /// A migration is part-way through its apply: `rollback` must not run its down file,
    /// which undoes the whole migration, over the part that ran, nor skip it.
    #[error("{}", listed("a migration is part-way through its apply:", .0))]
    PartWayUp(Vec<String>),
    /// The lock could not be taken in time.
    #[error("another schemactl apply holds the migration lock; gave up after {}s", .0.as_secs())]
    LockTimeout(Duration),
    /// A statement failed: its segment was rolled back and the failure recorded. Segments
    /// before it may have committed (see [`Failure`]).
    #[error("{} failed at {}: {}", .0.stem, .0.step, .0.error)]
    Failed(Box<Failure>),
    /// Pending migrations grant privileges to roles the cluster does not have: nothing ran.
    #[error("{}", listed("the pending migrations grant privileges to roles that do not exist (nothing was applied):", .0))]
    MissingRoles(Vec<String>),
    /// The history is empty and the first migration would run, but the managed schemas
    /// already hold objects: the database was built some other way (`baseline` adopts it).
    #[error("{}", not_empty(.0))]
    NotEmpty(Box<Occupied>),
    /// Any other database error (connection lost, history table unreadable, …).
    #[error("{0}")]
    Database(String),
}

/// Details of [`ApplyError::NotEmpty`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occupied {
    /// The first migration that would run (`0001_init`).
    pub first: String,
    /// What the managed schemas hold (`table public.orders`, …), sorted by kind and name.
    pub objects: Vec<String>,
}

/// How many objects [`ApplyError::NotEmpty`]'s message names.
const NAMED_OBJECTS: usize = 5;

fn not_empty(o: &Occupied) -> String {
    let mut items: Vec<String> = o.objects.iter().take(NAMED_OBJECTS).cloned().collect();
    if o.objects.len() > NAMED_OBJECTS {
        items.push(format!("… and {} more", o.objects.len() - NAMED_OBJECTS));
    }
    listed(
        &format!(
            "the database has no migration history, but its managed schemas already hold {} object{}; {} was not run (it would fail on what exists, or build a second copy of the schema):",
            o.objects.len(),
            if o.objects.len() == 1 { "" } else { "s" },
            o.first
        ),
        &items,
    )
}

/// A heading and one `  - item` line per reason.
fn listed(heading: &str, items: &[String]) -> String {
    let mut out = heading.to_string();
    for i in items {
        out.push_str("\n  - ");
        out.push_str(i);
    }
    out
}

impl From<postgres::Error> for ApplyError {
    fn from(e: postgres::Error) -> Self {
        ApplyError::Database(crate::devdb::describe_pg_error(&e))
    }
}

/// The columns a history row of `apply` and `rollback` sets, in the order of
/// [`History::record`]'s parameters; the others take their defaults.
const RECORD_COLUMNS: &str =
    "version, name, link, duration_ms, status, segments_done, error, done_hash";

/// The history table `schema.history`.
pub struct History {
    pub schema: String,
}

impl History {
    fn table(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident("history"))
    }

    /// The DDL that creates the history schema and table when they are missing: what
    /// [`History::ensure`] runs, and what `schemactl sql --with-history` prints.
    pub fn create_sql(&self) -> String {
        format!(
            concat!(
                "CREATE SCHEMA IF NOT EXISTS {schema};\n",
                "CREATE TABLE IF NOT EXISTS {table} (\n",
                "    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n",
                "    version       integer NOT NULL,\n",
                "    name          text NOT NULL,\n",
                "    link          text NOT NULL,\n",
                "    applied_at    timestamptz NOT NULL DEFAULT now(),\n",
                "    applied_by    text NOT NULL DEFAULT current_user,\n",
                "    duration_ms   bigint NOT NULL DEFAULT 0,\n",
                "    status        text NOT NULL CONSTRAINT history_status_check CHECK (status IN ({statuses})),\n",
                "    segments_done integer NOT NULL DEFAULT 0,\n",
                "    done_hash     text,\n",
                "    error         text,\n",
                "    note          text\n",
                ");"
            ),
            schema = quote_ident(&self.schema),
            table = self.table(),
            statuses = Status::sql_list()
        )
    }

    /// Adds the `note` column to a history table created before it existed.
    fn add_note_sql(&self) -> String {
        format!(
            "ALTER TABLE {} ADD COLUMN IF NOT EXISTS note text;",
            self.table()
        )
    }

    /// Replaces the check on `status` by one that allows every status of this version.
    fn status_check_sql(&self) -> String {
        format!(
            concat!(
                "ALTER TABLE {table} DROP CONSTRAINT IF EXISTS history_status_check;\n",
                "ALTER TABLE {table} ADD CONSTRAINT history_status_check CHECK (status IN ({statuses}));"
            ),
            table = self.table(),
            statuses = Status::sql_list()
        )
    }

    /// [`History::create_sql`], then bring a table created by an older version up to date
    /// unconditionally ([`History::ensure`] checks first): the statements a script that
    /// cannot look at the database runs (`schemactl sql --with-history`).
    pub fn ensure_sql(&self) -> String {
        format!(
            "{}\n{}\n{}",
            self.create_sql(),
            self.add_note_sql(),
            self.status_check_sql()
        )
    }

    /// Create the schema and table if missing (under the lock, so concurrent runs are safe),
    /// and bring a table created by an older version up to date: the check on `status` gets
    /// the newest values, and the `note` column is added.
    pub fn ensure(&self, client: &mut impl postgres::GenericClient) -> Result<(), postgres::Error> {
        client.batch_execute(&self.create_sql())?;
        // Tables created before the newest statuses existed allow fewer values, and have no
        // `note` column.
        let row = client.query_one(
            "SELECT (SELECT pg_get_constraintdef(oid) FROM pg_constraint
                     WHERE conrelid = to_regclass($1) AND conname = 'history_status_check'),
                    EXISTS (SELECT 1 FROM pg_attribute
                            WHERE attrelid = to_regclass($1) AND attname = 'note'
                              AND NOT attisdropped)",
            &[&self.table()],
        )?;
        let current: Option<String> = row.get(0);
        let has_note: bool = row.get(1);
        if !has_note {
            client.batch_execute(&self.add_note_sql())?;
        }
        let complete = |d: &str| {
            Status::ALL
                .iter()
                .all(|s| d.contains(&format!("'{}'", s.id())))
        };
        if current.as_deref().is_none_or(|d| !complete(d)) {
            client.batch_execute(&self.status_check_sql())?;
        }
        Ok(())
    }

    /// Every row, oldest first; empty when the table does not exist yet.
    pub fn rows(&self, client: &mut Client) -> Result<Vec<HistoryRow>, postgres::Error> {
        let exists: bool = client
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[&self.table()])?
            .get(0);
        if !exists {
            return Ok(Vec::new());
        }
        // `note` through the row's JSON: a table of an older version, not yet upgraded by
        // `ensure` (`status` and `drift` only read), has no such column.
        let rows = client.query(
            &format!(
                "SELECT version, name, link, applied_at, applied_by, duration_ms, status, segments_done, error, done_hash,
                        pg_catalog.to_jsonb(h) ->> 'note'
                 FROM {} h ORDER BY id",
                self.table()
            ),
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|r| HistoryRow {
                version: r.get(0),
                name: r.get(1),
                link: r.get(2),
                applied_at: r.get(3),
                applied_by: r.get(4),
                duration: Duration::from_millis(r.get::<_, i64>(5).max(0) as u64),
                status: Status::parse(r.get(6)),
                segments_done: r.get(7),
                error: r.get(8),
                done_hash: r.get(9),
                note: r.get(10),
            })
            .collect())
    }

    /// The row [`History::record`] inserts, as one `INSERT` statement with literal values
    /// (no time taken, no error): what `schemactl sql --with-history` prints where `apply`
    /// would record.
    pub(crate) fn record_sql(
        &self,
        m: &Migration,
        (status, segments_done, done_hash): (Status, i32, String),
    ) -> String {
        format!(
            "INSERT INTO {} ({RECORD_COLUMNS}) VALUES ({}, {}, {}, 0, {}, {segments_done}, NULL, {});",
            self.table(),
            m.version as i32,
            quote_literal(&m.stem),
            quote_literal(&m.link.to_string()),
            quote_literal(status.id()),
            quote_literal(&done_hash),
        )
    }

    fn record(
        &self,
        tx: &mut impl postgres::GenericClient,
        m: &Migration,
        (status, segments_done, done_hash): (Status, i32, String),
        took: Duration,
        error: Option<&str>,
    ) -> Result<(), postgres::Error> {
        tx.execute(
            &format!(
                "INSERT INTO {} ({RECORD_COLUMNS})
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                self.table()
            ),
            &[
                &(m.version as i32),
                &m.stem,
                &m.link.to_string(),
                &(took.as_millis() as i64),
                &status.id(),
                &segments_done,
                &error,
                &done_hash,
            ],
        )?;
        Ok(())
    }
}

impl History {
    /// Record `migrations` as [`Status::Baselined`] (not executed), with `note`, in one
    /// transaction that also creates (or upgrades) the history table: a `baseline` refused
    /// earlier has written nothing. The caller holds the lock and has checked that the
    /// history is empty and the database equals the snapshot.
    pub fn record_baselined(
        &self,
        client: &mut Client,
        migrations: &[&Migration],
        note: Option<&str>,
    ) -> Result<(), postgres::Error> {
        let mut tx = client.transaction()?;
        self.ensure(&mut tx)?;
        for m in migrations {
            tx.execute(
                &format!(
                    "INSERT INTO {} (version, name, link, status, note) VALUES ($1, $2, $3, $4, $5)",
                    self.table()
                ),
                &[
                    &(m.version as i32),
                    &m.stem,
                    &m.link.to_string(),
                    &Status::Baselined.id(),
                    &note,
                ],
            )?;
        }
        tx.commit()
    }
}

/// The latest rows of migrations that are part-way (see [`HistoryRow::part_way`]), by version.
pub fn part_way(rows: &[HistoryRow]) -> Vec<&HistoryRow> {
    latest(rows)
        .into_values()
        .filter(|r| r.part_way())
        .collect()
}

/// The latest row of each version (the state of that migration), by version.
pub fn latest(rows: &[HistoryRow]) -> std::collections::BTreeMap<i32, &HistoryRow> {
    let mut out = std::collections::BTreeMap::new();
    for r in rows {
        out.insert(r.version, r);
    }
    out
}

/// Compare the database's history with the directory; every mismatch, in words.
pub fn mismatches(rows: &[HistoryRow], chain: &Chain) -> Vec<String> {
    latest(rows)
        .into_values()
        .filter_map(|row| mismatch(row, chain))
        .collect()
}

/// How the latest history row of a version disagrees with the directory, if it does. Only
/// rows with an effect in the database count: applied, or some segments committed (either
/// way). A failed or rolled-back row left nothing behind, so a directory that replaced that
/// migration is fine. A part-way migration may have had its later segments edited (a resume
/// checks the committed ones by hash), but must still be there under its name.
pub fn mismatch(row: &HistoryRow, chain: &Chain) -> Option<String> {
    let part_applied = row.part_applied();
    if !row.in_effect() && !row.part_rolled_back() && !part_applied {
        return None;
    }
    let version = row.version;
    match chain
        .migrations
        .iter()
        .find(|m| m.version as i32 == version)
    {
        None => Some(format!(
            "{} is {} the database but there is no migration {version:04} in the directory",
            row.name,
            if part_applied {
                "part-way through in"
            } else {
                "applied to"
            }
        )),
        Some(m) if m.stem != row.name => Some(format!(
            "the database has {} (another branch?) where the directory has {}; {}",
            row.name,
            m.stem,
            crate::migrations::REPLAN_BRANCH
        )),
        Some(m) if !part_applied && m.link.to_string() != row.link => Some(format!(
            "migrations/{}.sql was edited after it was applied to this database (its link is {}, the database recorded {})",
            m.stem,
            short(&m.link.to_string()),
            short(&row.link)
        )),
        Some(_) => None,
    }
}

fn short(link: &str) -> &str {
    &link[..link.len().min(12)]
}

/// A piece of a migration that runs as a unit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub transactional: bool,
    /// `(label, sql)` per step, e.g. `("step 3: create-index …", "CREATE INDEX …;")`.
    pub steps: Vec<(String, String)>,
}

/// Split a migration file into segments of steps. Steps start at `-- step N:` lines; a step
/// preceded by [`NO_TRANSACTION`] is a segment of its own, run outside a transaction; one
/// preceded by [`OWN_TRANSACTION`] is a transaction of its own.
pub fn segments(text: &str) -> Vec<Segment> {
    let mut steps: Vec<(String, String, Transaction)> = Vec::new();
    let mut pending = Transaction::Shared;
    let mut preamble = String::new();
    // Markers count only on lines that start outside literals, quoted identifiers and
    // block comments: a comment or default may hold any text.
    for (line, top) in crate::sql::lex::lines_with_level(text) {
        if top && line.trim() == NO_TRANSACTION {
            pending = Transaction::None;
            continue;
        }
        if top && line.trim() == OWN_TRANSACTION {
            pending = Transaction::Own;
            continue;
        }
        if let Some(rest) = line.strip_prefix("-- step ").filter(|_| top) {
            steps.push((
                format!("step {}", rest.trim()),
                String::new(),
                std::mem::take(&mut pending),
            ));
            continue;
        }
        match steps.last_mut() {
            Some((_, sql, _)) => {
                sql.push_str(line);
                sql.push('\n');
            }
            // SQL before any step marker (a hand-written migration): one step. Blank and
            // comment lines are skipped only at the top level; inside a literal they are
            // part of it.
            None if !top || !(line.trim().is_empty() || line.trim_start().starts_with("--")) => {
                preamble.push_str(line);
                preamble.push('\n');
            }
            None => {}
        }
    }
    if !preamble.trim().is_empty() {
        steps.insert(0, ("statements".to_string(), preamble, Transaction::Shared));
    }
    let mut out: Vec<Segment> = Vec::new();
    // Whether the last segment takes more shared steps (not one of its own or outside).
    let mut open = false;
    for (label, sql, transaction) in steps {
        let sql = sql.trim().to_string();
        if sql.is_empty() {
            continue;
        }
        match out.last_mut() {
            Some(seg) if open && transaction == Transaction::Shared => seg.steps.push((label, sql)),
            _ => {
                open = transaction == Transaction::Shared;
                out.push(Segment {
                    transactional: transaction != Transaction::None,
                    steps: vec![(label, sql)],
                })
            }
        }
    }
    out
}

/// How the steps of `text` (a migration file or body) run, for its header and the plan's
/// text: `steps 1–2 in a transaction; step 3 outside a transaction; …`. `None` when they
/// all run in one transaction.
pub fn segments_line(text: &str) -> Option<String> {
    let segs = segments(text);
    if segs.len() <= 1 && segs.iter().all(|s| s.transactional) {
        return None;
    }
    let parts: Vec<String> = segs
        .iter()
        .map(|seg| {
            let labels: Vec<String> = seg
                .steps
                .iter()
                .map(|(label, _)| short_label(label).to_string())
                .collect();
            let how = if seg.transactional {
                "in a transaction"
            } else {
                "outside a transaction"
            };
            format!("{} {how}", step_range(&labels))
        })
        .collect();
    let mut line = parts.join("; ");
    if segs.iter().any(|s| s.transactional) {
        line.push_str("; a transaction is retried after a lock timeout");
    }
    Some(line)
}

/// blake3 over the SQL of the first `n` segments.
fn done_hash(segs: &[Segment], n: i32) -> String {
    let mut h = blake3::Hasher::new();
    for seg in segs.iter().take(n.max(0) as usize) {
        for (_, sql) in &seg.steps {
            h.update(&(sql.len() as u64).to_le_bytes());
            h.update(sql.as_bytes());
        }
    }
    h.finalize().to_hex().to_string()
}

/// Where to resume a migration that committed some segments before stopping: after them, if
/// the file's first segments are still the ones that ran.
/// The number of `m`'s segments that `apply` skips: those a part-way run committed (0 when
/// it starts afresh), or why it cannot resume.
pub fn resumes_after(m: &Migration, rows: &[HistoryRow]) -> Result<i32, String> {
    resume_point(m, latest(rows).get(&(m.version as i32)))
}

fn resume_point(m: &Migration, row: Option<&&HistoryRow>) -> Result<i32, String> {
    let Some(row) = row.filter(|r| r.part_applied()) else {
        return Ok(0);
    };
    resume_after(m, &m.up, row)
}

/// Where to resume `text` (the up or down file) after the segments `row` records as done,
/// if they are still the ones that ran.
fn resume_after(m: &Migration, text: &str, row: &HistoryRow) -> Result<i32, String> {
    let segs = segments(text);
    if row.done_hash.as_deref() == Some(done_hash(&segs, row.segments_done).as_str()) {
        Ok(row.segments_done)
    } else {
        Err(format!(
            "{} stopped after {} of its segments, and those segments have changed since; restore them as they ran, or repair the database by hand",
            m.stem, row.segments_done
        ))
    }
}

/// What `apply` is doing, reported as it happens ([`Options::progress`]).
#[derive(Clone, Copy, Debug)]
pub enum Event<'a> {
    /// Migration `number` of `total` pending starts.
    Migration {
        number: usize,
        total: usize,
        stem: &'a str,
    },
    /// A step of it starts (`step 3: create-index public.t.t_a_idx`).
    Step { stem: &'a str, label: &'a str },
    /// It is applied.
    Applied { stem: &'a str, took: Duration },
    /// A transactional segment hit its lock timeout (`lock_timeout`) and was rolled back; it
    /// runs again after `wait`. `retry` counts from 1 to `of`.
    LockRetry {
        stem: &'a str,
        /// The step that waited.
        label: &'a str,
        /// The relation(s) it waited for (`public.t`), else the step's label.
        on: &'a str,
        /// `held by pid 4242 (transaction started …, state …)`, when it could be read.
        held_by: Option<&'a str>,
        retry: u32,
        of: u32,
        wait: Duration,
    },
}

impl Event<'_> {
    /// `lock timeout on public.t, retry 2 of 5 in 4 s; held by pid 4242 (…)` for
    /// [`Event::LockRetry`].
    pub fn retry_line(&self) -> Option<String> {
        let Event::LockRetry {
            on,
            held_by,
            retry,
            of,
            wait,
            ..
        } = self
        else {
            return None;
        };
        let mut line = format!(
            "lock timeout on {on}, retry {retry} of {of} in {}",
            budget::show(*wait)
        );
        if let Some(h) = held_by {
            line.push_str(&format!("; {h}"));
        }
        Some(line)
    }
}

/// A receiver of [`Event`]s.
type Listener = std::sync::Arc<dyn Fn(&Event) + Send + Sync>;

/// Where [`Event`]s go: nowhere by default.
#[derive(Clone, Default)]
pub struct Progress(Option<Listener>);

impl Progress {
    pub fn new(f: impl Fn(&Event) + Send + Sync + 'static) -> Progress {
        Progress(Some(std::sync::Arc::new(f)))
    }

    fn emit(&self, e: Event) {
        if let Some(f) = &self.0 {
            f(&e);
        }
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Progress(..)"
        } else {
            "Progress(none)"
        })
    }
}

/// Options for [`apply`].
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Told about each migration and step as it starts.
    pub progress: Progress,
    /// Stop after this version.
    pub to: Option<u32>,
    /// Hazards allowed beyond what the files record.
    pub allow: Vec<String>,
    /// The hazards that must be allowed (the project's `[hazards]`; the default gates only
    /// `deletes_data`).
    pub policy: Policy,
    pub lock_timeout: Duration,
    /// Timeouts and retries of the migrations' transactional segments (`[apply]`).
    pub ddl: budget::Budget,
    /// `[roles] manage = true`: roles created `NOLOGIN` before the migrations run, when
    /// they do not exist.
    pub roles: Vec<String>,
    /// The project's managed schemas and ignore list: when given, a database with no history
    /// whose managed schemas already hold objects is refused ([`ApplyError::NotEmpty`]).
    /// `None` for scratch databases (`drift`'s replay, `verify`), checked by their callers.
    pub managed: Option<Managed>,
}

/// What a project manages in a database: its schemas, minus the `ignore` globs.
#[derive(Clone, Debug, Default)]
pub struct Managed {
    pub schemas: Vec<String>,
    pub ignore: Vec<String>,
}

/// The user's objects in the managed schemas, not ignored: tables, views, sequences, types,
/// routines, policies (`catalog::inventory`, one query, which already leaves out what an
/// extension owns, what goes away with its owner, and the history schema). Schemas and
/// extensions themselves are not counted: `public` exists in every database, and an empty
/// schema or an extension is nothing a migration would fail on half-way or duplicate.
pub fn occupied(
    client: &mut Client,
    history_schema: &str,
    managed: &Managed,
) -> Result<Vec<crate::catalog::inventory::Object>, postgres::Error> {
    use crate::catalog::inventory::{self, Kind};
    use crate::model::ignore::ignored;
    Ok(inventory::read(client, history_schema)?
        .into_iter()
        .filter(|o| !matches!(o.kind, Kind::Schema | Kind::Extension))
        .filter(|o| {
            o.schema
                .as_ref()
                .is_some_and(|s| managed.schemas.iter().any(|m| m == s))
        })
        .filter(|o| {
            let schema = o.schema.as_deref().unwrap_or_default();
            // A policy goes with its table.
            let name = o.table.as_deref().unwrap_or(&o.name);
            !ignored(&managed.ignore, schema, name)
        })
        .collect())
}

/// Refuse to run the first migration into a database that has no history but whose managed
/// schemas hold objects (see [`occupied`]): it was built some other way and is adopted with
/// `schemactl baseline`. Only when the history has no rows at all and `todo` starts at the
/// first migration; nothing runs before this check.
pub fn check_adoptable(
    client: &mut Client,
    history: &History,
    rows: &[HistoryRow],
    todo: &[&Migration],
    managed: &Managed,
) -> Result<(), ApplyError> {
    let Some(first) = todo.first() else {
        return Ok(());
    };
    if !rows.is_empty() || first.version != 1 {
        return Ok(());
    }
    let found = occupied(client, &history.schema, managed)?;
    if found.is_empty() {
        return Ok(());
    }
    Err(ApplyError::NotEmpty(Box::new(Occupied {
        first: first.stem.clone(),
        objects: found.iter().map(|o| o.to_string()).collect(),
    })))
}

/// What `apply` did.
#[derive(Debug, Default)]
pub struct Report {
    pub applied: Vec<(String, Duration)>,
}

/// The advisory lock key: one per history schema, so two projects sharing a database but not
/// a history table do not block each other.
fn lock_key(history_schema: &str) -> i64 {
    let h = blake3::hash(format!("schemactl-apply:{history_schema}").as_bytes());
    i64::from_le_bytes(h.as_bytes()[..8].try_into().expect("8 bytes"))
}

/// Take the session advisory lock, waiting up to `timeout`.
pub fn lock(
    client: &mut Client,
    history_schema: &str,
    timeout: Duration,
) -> Result<(), ApplyError> {
    let key = lock_key(history_schema);
    let start = Instant::now();
    let mut wait = Duration::from_millis(20);
    loop {
        let got: bool = client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&key])?
            .get(0);
        if got {
            return Ok(());
        }
        if start.elapsed() >= timeout {
            return Err(ApplyError::LockTimeout(timeout));
        }
        std::thread::sleep(wait.min(timeout.saturating_sub(start.elapsed())));
        wait = (wait * 2).min(Duration::from_millis(500));
    }
}

pub fn unlock(client: &mut Client, history_schema: &str) -> Result<(), postgres::Error> {
    client.execute(
        "SELECT pg_advisory_unlock($1)",
        &[&lock_key(history_schema)],
    )?;
    Ok(())
}

/// Migrations of the directory that are not applied yet (resuming a partial one), up to `to`.
pub fn pending<'c>(chain: &'c Chain, rows: &[HistoryRow], to: Option<u32>) -> Vec<&'c Migration> {
    let state = latest(rows);
    chain
        .migrations
        .iter()
        .filter(|m| to.is_none_or(|t| m.version <= t))
        .filter(|m| {
            state
                .get(&(m.version as i32))
                .is_none_or(|r| !r.in_effect())
        })
        .collect()
}

/// Check a migration file's gated hazards: every hazard in its header's `hazards` line that
/// `policy` gates must be recorded under the header's `allowed` or given in `allow`. For a
/// `down` file only `allow` counts: `plan` records no allowances in down files, so rolling
/// back is decided when it runs. A file without a schemactl header records no hazards, so
/// nothing is gated. The refusal names the steps that carry the refused hazards.
pub fn check_hazards(
    stem: &str,
    text: &str,
    policy: &Policy,
    allow: &[String],
    down: bool,
) -> Result<(), ApplyError> {
    let Ok(h) = parse_header(text) else {
        return Ok(());
    };
    let hazards = known_hazards(&h.hazards);
    let recorded = if down {
        Vec::new()
    } else {
        known_hazards(&h.allowed)
    };
    let mut allowed = known_hazards(allow);
    allowed.extend(recorded.iter().copied());
    let refused = policy.refused(&hazards, &allowed);
    if refused.is_empty() {
        return Ok(());
    }
    let allow_needed = policy.refused(&hazards, &recorded);
    let ids = |hs: &[Hazard]| hs.iter().map(|h| h.id().to_string()).collect::<Vec<_>>();
    let steps = crate::sql::lex::top_level_lines(text)
        .filter_map(parse_step_line)
        .filter_map(|(label, hs)| {
            let hs: Vec<Hazard> = hs.into_iter().filter(|h| refused.contains(h)).collect();
            (!hs.is_empty()).then(|| format!("{label}: {}", ids(&hs).join(", ")))
        })
        .collect();
    let from_config: Vec<Hazard> = refused
        .iter()
        .copied()
        .filter(|h| policy.is_from_config(*h))
        .collect();
    Err(ApplyError::NotAllowed(Box::new(Refusal {
        stem: stem.to_string(),
        hazards: ids(&refused),
        steps,
        from_config: ids(&from_config),
        allow_needed: ids(&allow_needed),
        down,
    })))
}

/// Session settings for running migrations (up and down files). Literals in generated SQL
/// (`default = "2020-01-01"` on a timestamptz column, a check `d > '01/02/2020'`) are read
/// the way the model reads them (`model::expr`'s typed literals, the catalog's
/// [`crate::catalog::SETTINGS`]): in UTC, month-first, `postgres` intervals. Unqualified names
/// in expressions and view queries (`nextval('s'::regclass)`, `FROM t`) mean `public`, as
/// `compile` and the catalog reader take them, so `search_path` is `public` too (`pg_catalog`
/// is searched first implicitly, as always). Without them the stored values and the objects a
/// name binds to would depend on the server's, database's or role's configuration (a
/// database with `search_path = ''` could not create a table whose default calls `nextval`
/// of an unqualified sequence), and `drift` would report what `apply` just did.
/// Session-level, because no-transaction segments run outside any transaction.
pub const SESSION_SETTINGS: &str = "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, MDY'; \
     SET IntervalStyle = 'postgres'; SET search_path = public";

/// Apply pending migrations under the lock. The caller has loaded and verified the chain.
pub fn apply(
    client: &mut Client,
    history: &History,
    chain: &Chain,
    opts: &Options,
) -> Result<Report, ApplyError> {
    lock(client, &history.schema, opts.lock_timeout)?;
    let result = client
        .batch_execute(SESSION_SETTINGS)
        .map_err(ApplyError::from)
        .and_then(|()| apply_locked(client, history, chain, opts));
    // A lost connection releases the lock anyway; ignore errors here.
    let _ = unlock(client, &history.schema);
    result
}

fn apply_locked(
    client: &mut Client,
    history: &History,
    chain: &Chain,
    opts: &Options,
) -> Result<Report, ApplyError> {
    // Read (no rows when the table does not exist yet) and check before `ensure`, so a
    // refused run leaves a database that never had a history table without one.
    let mut rows = history.rows(client)?;
    if squash::bring_over(client, history, chain, &rows)? {
        rows = history.rows(client)?;
    }
    let problems = mismatches(&rows, chain);
    if !problems.is_empty() {
        return Err(ApplyError::Mismatch(problems));
    }
    let todo = pending(chain, &rows, opts.to);
    if let Some(managed) = &opts.managed {
        check_adoptable(client, history, &rows, &todo, managed)?;
    }
    history.ensure(client)?;
    let state = latest(&rows);
    let halfway: Vec<String> = todo
        .iter()
        .filter(|m| state.get(&(m.version as i32)).is_some_and(|r| r.part_rolled_back()))
        .map(|m| format!("{} is part-way through its rollback (some of its down file ran); run `schemactl rollback` to the same version again to finish it before applying", m.stem))
        .collect();
    if !halfway.is_empty() {
        return Err(ApplyError::PartWayBack(halfway));
    }
    for m in &todo {
        check_hazards(&m.stem, &m.up, &opts.policy, &opts.allow, false)?;
    }
    if !todo.is_empty() {
        create_roles(client, &opts.roles)?;
    }
    check_roles(
        client,
        todo.iter().map(|m| (m.stem.as_str(), m.up.as_str())),
    )?;
    let mut starts = Vec::new();
    for m in &todo {
        starts.push(
            resume_point(m, state.get(&(m.version as i32)))
                .map_err(|e| ApplyError::Mismatch(vec![e]))?,
        );
    }
    let mut report = Report::default();
    let total = todo.len();
    for (i, (m, done)) in todo.into_iter().zip(starts).enumerate() {
        opts.progress.emit(Event::Migration {
            number: i + 1,
            total,
            stem: &m.stem,
        });
        let took = run_text(
            client,
            history,
            m,
            &m.up,
            done,
            Direction::Up,
            &Exec {
                progress: &opts.progress,
                ddl: &opts.ddl,
            },
        )?;
        opts.progress.emit(Event::Applied {
            stem: &m.stem,
            took,
        });
        report.applied.push((m.stem.clone(), took));
    }
    Ok(report)
}

/// Which file of a migration runs, and so which statuses its history rows get.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Up,
    Down,
}

impl Direction {
    /// (finished, in progress, failed, running a non-transactional segment)
    fn statuses(self) -> (Status, Status, Status, Status) {
        match self {
            Direction::Up => (
                Status::Applied,
                Status::Partial,
                Status::Failed,
                Status::Running,
            ),
            Direction::Down => (
                Status::RolledBack,
                Status::RollingBack,
                Status::RollbackFailed,
                Status::RunningBack,
            ),
        }
    }
}

/// Where [`run_text`] reports, and the lock budget of its transactional segments.
struct Exec<'a> {
    progress: &'a Progress,
    ddl: &'a budget::Budget,
}

/// Run the segments of `text` (a migration's up or down file) after the first `done`,
/// recording each committed segment and a failure with the statuses of `direction`.
/// A transactional segment runs under `exec.ddl`'s timeouts; one that hits its lock timeout
/// is rolled back (nothing recorded) and tried again after a backoff, and the failure is
/// recorded only when the retries are used up. A non-transactional one runs with neither
/// timeout.
fn run_text(
    client: &mut Client,
    history: &History,
    m: &Migration,
    text: &str,
    done: i32,
    direction: Direction,
    exec: &Exec,
) -> Result<Duration, ApplyError> {
    let events = exec.progress;
    let (finished, in_progress, failed, running) = direction.statuses();
    let start = Instant::now();
    let segs = segments(text);
    let total = segs.len() as i32;
    // A history row's state: status, segments done and the hash of what they ran.
    let progress = |status: Status, done: i32| (status, done, done_hash(&segs, done));
    for (i, seg) in segs.iter().enumerate().skip(done as usize) {
        let number = i as i32 + 1;
        let last = number == total;
        let status = if last { finished } else { in_progress };
        let mut gave_up = None;
        let outcome = if seg.transactional {
            let mut tries: u32 = 0;
            loop {
                tries += 1;
                let mut tx = client.transaction()?;
                tx.batch_execute(&exec.ddl.set_local_sql())?;
                match run_steps(&mut tx, seg, &m.stem, events) {
                    Ok(()) => {
                        history.record(
                            &mut tx,
                            m,
                            progress(status, number),
                            start.elapsed(),
                            None,
                        )?;
                        tx.commit()?;
                        break Ok(());
                    }
                    Err(e) => {
                        drop(tx); // rolls back this segment
                        if !e.lock_timeout {
                            break Err(e);
                        }
                        // Who holds what the step waited for (best effort: the message
                        // falls back to the step).
                        let contention = budget::holders(client, &budget::candidates(&e.sql))
                            .unwrap_or_default();
                        let on = contention.on().unwrap_or_else(|| e.label.clone());
                        let held_by = contention.held_by();
                        if tries > exec.ddl.retries {
                            let mut error = format!(
                                "gave up after {tries} {}: lock timeout ({}) on {on} each time",
                                if tries == 1 { "try" } else { "tries" },
                                budget::show(exec.ddl.lock_timeout),
                            );
                            if let Some(h) = &held_by {
                                error.push_str(&format!("; {h}"));
                            }
                            gave_up = Some(Box::new(GaveUp {
                                tries,
                                lock_timeout: exec.ddl.lock_timeout,
                                on,
                                holders: contention.holders,
                            }));
                            break Err(StepError { error, ..e });
                        }
                        let wait = exec.ddl.backoff(tries);
                        events.emit(Event::LockRetry {
                            stem: &m.stem,
                            label: &e.label,
                            on: &on,
                            held_by: held_by.as_deref(),
                            retry: tries,
                            of: exec.ddl.retries,
                            wait,
                        });
                        std::thread::sleep(wait);
                    }
                }
            }
        } else {
            // Record the intent first (committed on its own): a statement outside a
            // transaction commits before its history row can be written, and a crash in
            // between must leave a history that says the segment may have run.
            history.record(
                client,
                m,
                progress(running, number - 1),
                start.elapsed(),
                None,
            )?;
            // Neither timeout: see `budget::NO_TIMEOUTS_SQL`. Reset afterwards, so what runs
            // next has the session's own values (transactional segments set theirs).
            client.batch_execute(budget::NO_TIMEOUTS_SQL)?;
            let ran = run_steps(client, seg, &m.stem, events);
            // After a failed step the reset may fail too (a lost connection): the step's
            // error is the one to report.
            let reset = client.batch_execute(budget::RESET_TIMEOUTS_SQL);
            match ran {
                Ok(()) => {
                    reset?;
                    history.record(client, m, progress(status, number), start.elapsed(), None)?;
                    Ok(())
                }
                Err(e) => Err(e),
            }
        };
        if let Err(StepError {
            label: step,
            mut error,
            ..
        }) = outcome
        {
            let message = format!("{step}: {error}");
            if let Err(e) = history.record(
                client,
                m,
                progress(failed, number - 1),
                start.elapsed(),
                Some(&message),
            ) {
                // The session is gone (terminated, server restart): the failure cannot be
                // recorded, but which step it was is still the thing to say.
                if !client.is_closed() {
                    return Err(e.into());
                }
                error.push_str(
                    " (the connection was lost, so the failure is not recorded; `schemactl status` shows where the migration stopped, and `schemactl apply` resumes there)",
                );
            }
            let labels = |segs: &[Segment]| -> Vec<String> {
                segs.iter()
                    .flat_map(|s| &s.steps)
                    .map(|(label, _)| short_label(label).to_string())
                    .collect()
            };
            return Err(ApplyError::Failed(Box::new(Failure {
                stem: m.stem.clone(),
                step,
                error,
                down: direction == Direction::Down,
                segments_done: number - 1,
                segments_total: total,
                committed_steps: labels(&segs[..i]),
                segment_steps: labels(std::slice::from_ref(seg)),
                transactional: seg.transactional,
                gave_up,
            })));
        }
    }
    if total == 0 {
        history.record(client, m, progress(finished, 0), start.elapsed(), None)?;
    }
    Ok(start.elapsed())
}

/// Why a migration cannot be rolled back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotReversible {
    /// No `NNNN_name.down.sql` (planned before down files existed, or deleted and re-hashed).
    NoDownFile,
    /// The down file holds [`IRREVERSIBLE`] (`plan` could not plan the reverse).
    MarkedIrreversible,
}

impl NotReversible {
    /// Stable id for JSON: `no-down-file`, `marked-irreversible`.
    pub fn id(self) -> &'static str {
        match self {
            NotReversible::NoDownFile => "no-down-file",
            NotReversible::MarkedIrreversible => "marked-irreversible",
        }
    }
}

/// Whether `rollback` refuses `m`, and why.
pub fn not_reversible(m: &Migration) -> Option<NotReversible> {
    match m.down.as_deref() {
        None => Some(NotReversible::NoDownFile),
        Some(down) if crate::sql::lex::top_level_lines(down).any(|l| l.trim() == IRREVERSIBLE) => {
            Some(NotReversible::MarkedIrreversible)
        }
        Some(_) => None,
    }
}

/// Run the down files of the applied migrations after version `to`, newest first, under the
/// same lock and history rules as `apply`. Refuses (before running anything) when one has no
/// down file, cannot be reversed, or has hazards that `policy` gates and `allow` does not
/// name (down files record no allowances: rolling back is decided when it runs).
pub fn rollback(
    client: &mut Client,
    history: &History,
    chain: &Chain,
    to: u32,
    allow: &[String],
    policy: &Policy,
    lock_timeout: Duration,
) -> Result<Report, ApplyError> {
    rollback_with(
        client,
        history,
        chain,
        to,
        &RollbackOptions {
            allow: allow.to_vec(),
            policy: policy.clone(),
            lock_timeout,
            ..Default::default()
        },
    )
}

/// Options of [`rollback_with`].
#[derive(Clone, Debug, Default)]
pub struct RollbackOptions {
    /// Hazards of the down files allowed.
    pub allow: Vec<String>,
    pub policy: Policy,
    /// How long to wait for another apply's advisory lock.
    pub lock_timeout: Duration,
    /// Timeouts and retries of the down files' transactional segments.
    pub ddl: budget::Budget,
    /// Told about lock retries ([`Event::LockRetry`]).
    pub progress: Progress,
}

/// [`rollback`] with every option.
pub fn rollback_with(
    client: &mut Client,
    history: &History,
    chain: &Chain,
    to: u32,
    opts: &RollbackOptions,
) -> Result<Report, ApplyError> {
    let (allow, policy) = (&opts.allow[..], &opts.policy);
    lock(client, &history.schema, opts.lock_timeout)?;
    let result = (|| {
        client.batch_execute(SESSION_SETTINGS)?;
        history.ensure(client)?;
        let rows = history.rows(client)?;
        let problems = mismatches(&rows, chain);
        if !problems.is_empty() {
            return Err(ApplyError::Mismatch(problems));
        }
        let state = latest(&rows);
        let halfway: Vec<String> = chain
            .migrations
            .iter()
            .filter(|m| m.version > to)
            .filter_map(|m| state.get(&(m.version as i32)).map(|r| (m, r)))
            .filter(|(_, r)| r.part_applied())
            .map(|(m, r)| {
                format!(
                    "{} stopped after {} of its segments; its down file undoes the whole migration, not a part of it",
                    m.stem, r.segments_done
                )
            })
            .collect();
        if !halfway.is_empty() {
            return Err(ApplyError::PartWayUp(halfway));
        }
        let mut todo: Vec<&Migration> = chain
            .migrations
            .iter()
            .filter(|m| m.version > to)
            .filter(|m| {
                state
                    .get(&(m.version as i32))
                    .is_some_and(|r| r.in_effect() || r.part_rolled_back())
            })
            .collect();
        todo.reverse();
        let mut starts = Vec::new();
        for m in &todo {
            let down = m.down.as_deref().unwrap_or("");
            if let Some(why) = not_reversible(m) {
                return Err(ApplyError::Mismatch(vec![format!(
                    "{} cannot be rolled back: {}",
                    m.stem,
                    match why {
                        NotReversible::NoDownFile => "it has no down file",
                        NotReversible::MarkedIrreversible => {
                            "its down file says it is irreversible"
                        }
                    }
                )]));
            }
            check_hazards(&format!("{} (down)", m.stem), down, policy, allow, true)?;
            // A rollback that stopped part-way resumes after the down segments that ran.
            let start = match state.get(&(m.version as i32)) {
                Some(r) if r.part_rolled_back() => {
                    resume_after(m, down, r).map_err(|e| ApplyError::Mismatch(vec![e]))?
                }
                _ => 0,
            };
            starts.push(start);
        }
        let mut report = Report::default();
        for (m, start) in todo.into_iter().zip(starts) {
            let took = run_text(
                client,
                history,
                m,
                m.down.as_deref().unwrap_or(""),
                start,
                Direction::Down,
                &Exec {
                    progress: &opts.progress,
                    ddl: &opts.ddl,
                },
            )?;
            report.applied.push((m.stem.clone(), took));
        }
        Ok(report)
    })();
    let _ = unlock(client, &history.schema);
    result
}

/// A step that failed: its label, the error in words, whether it was a lock timeout, and
/// its SQL (where [`budget::candidates`] looks for the relations it waited for).
struct StepError {
    label: String,
    error: String,
    lock_timeout: bool,
    sql: String,
}

fn run_steps(
    client: &mut impl postgres::GenericClient,
    seg: &Segment,
    stem: &str,
    progress: &Progress,
) -> Result<(), StepError> {
    for (label, sql) in &seg.steps {
        progress.emit(Event::Step { stem, label });
        // Outside a transaction each statement goes alone: PostgreSQL runs a string of
        // several as one transaction block, which `CREATE INDEX CONCURRENTLY` refuses.
        let statements = if seg.transactional {
            vec![sql.as_str()]
        } else {
            crate::sql::lex::statements(sql)
        };
        for statement in statements {
            client.batch_execute(statement).map_err(|e| StepError {
                label: label.clone(),
                error: crate::devdb::describe_pg_error(&e),
                lock_timeout: budget::is_lock_timeout(&e),
                sql: statement.to_string(),
            })?;
        }
    }
    Ok(())
}

/// `CREATE ROLE … NOLOGIN` for each managed role the cluster lacks (never a password; an
/// existing role is left as it is). One query to find them, one statement per role made.
/// Also used by `check --dev`, whose throwaway server has none of them.
pub fn create_roles(client: &mut Client, roles: &[String]) -> Result<(), ApplyError> {
    if roles.is_empty() {
        return Ok(());
    }
    let rows = client.query(
        "SELECT r FROM pg_catalog.unnest($1::text[]) r \
         WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) ORDER BY r",
        &[&roles],
    )?;
    for row in rows {
        let r: String = row.get(0);
        let sql = format!("CREATE ROLE {} NOLOGIN", crate::sql::quote_ident(&r));
        if let Err(e) = client.batch_execute(&sql) {
            // Made meanwhile by another session: fine. A session whose `CREATE ROLE` ran
            // while the other's was not committed yet gets `unique_violation` on
            // `pg_authid` instead of `duplicate_object`.
            let code = e.code();
            if code != Some(&postgres::error::SqlState::DUPLICATE_OBJECT)
                && code != Some(&postgres::error::SqlState::UNIQUE_VIOLATION)
            {
                return Err(e.into());
            }
        }
    }
    Ok(())
}

/// Refuse, before anything runs, migrations that grant to roles the cluster lacks (roles are
/// cluster-wide: schemactl does not create them unless the project manages them, and a
/// migration that creates one counts). One query, whatever the number of roles.
fn check_roles<'a>(
    client: &mut Client,
    files: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<(), ApplyError> {
    let mut used: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    let mut created: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for (stem, sql) in files {
        let (grants, creates) = roles_in(sql);
        created.extend(creates);
        for r in grants {
            used.entry(r).or_insert_with(|| stem.to_string());
        }
    }
    used.retain(|r, _| !created.contains(r));
    if used.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = used.keys().cloned().collect();
    let rows = client.query(
        "SELECT r FROM pg_catalog.unnest($1::text[]) r \
         WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) ORDER BY r",
        &[&names],
    )?;
    if rows.is_empty() {
        return Ok(());
    }
    Err(ApplyError::MissingRoles(
        rows.iter()
            .map(|row| {
                let r: String = row.get(0);
                let stem = &used[&r];
                format!("role `{r}` (granted to in {stem})")
            })
            .collect(),
    ))
}

/// Roles a migration grants to (`GRANT … TO role`, the form `render` writes: one statement
/// per line, one grantee) and roles it creates (`CREATE ROLE role`). PUBLIC is not a role.
/// Names as PostgreSQL folds them: quoted as written, unquoted in lower case.
pub fn roles_in(sql: &str) -> (Vec<String>, Vec<String>) {
    let mut grants = Vec::new();
    let mut creates = Vec::new();
    for line in sql.lines() {
        let t = line.trim_start();
        let upper = t.to_ascii_uppercase();
        if upper.starts_with("ALTER DEFAULT PRIVILEGES FOR ROLE ") {
            let rest = &t["ALTER DEFAULT PRIVILEGES FOR ROLE ".len()..];
            grants.extend(first_ident(rest));
            if upper.contains(" GRANT ") {
                if let Some(i) = upper.rfind(" TO ") {
                    if !t[i + 4..]
                        .trim_start()
                        .to_ascii_uppercase()
                        .starts_with("PUBLIC")
                    {
                        grants.extend(first_ident(&t[i + 4..]));
                    }
                }
            }
        } else if upper.starts_with("GRANT ") {
            if let Some(i) = upper.rfind(" TO ") {
                if let Some(r) = first_ident(&t[i + 4..]) {
                    if !r.eq_ignore_ascii_case("public") || t[i + 4..].trim_start().starts_with('"')
                    {
                        grants.push(r);
                    }
                }
            }
        } else if upper.starts_with("CREATE ROLE ") {
            if let Some(r) = first_ident(&t["CREATE ROLE ".len()..]) {
                creates.push(r);
            }
        }
    }
    (grants, creates)
}

/// The identifier at the start of `s`: `"quoted ""name"""` or a bare word (lower-cased).
fn first_ident(s: &str) -> Option<String> {
    let s = s.trim_start();
    if let Some(rest) = s.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = rest.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    out.push('"');
                } else {
                    return Some(out);
                }
            } else {
                out.push(c);
            }
        }
        None
    } else {
        let word: String = s
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '$')
            .collect();
        (!word.is_empty()).then(|| word.to_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_split_on_no_transaction_markers() {
        let text = "-- schemactl migration 0001_x\n-- parent: 00\n-- hazards: none\n--\n\n\
                    -- step 1: create-table public.a\nCREATE TABLE a (id int);\n\n\
                    -- step 2: create-table public.b\nCREATE TABLE b (id int);\n\n\
                    -- schemactl:no-transaction\n-- step 3: create-index public.a.i\nCREATE INDEX CONCURRENTLY i ON a (id);\n\n\
                    -- step 4: comment public.a\nCOMMENT ON TABLE a IS 'x';\n";
        let segs = segments(text);
        assert_eq!(segs.len(), 3);
        assert!(segs[0].transactional && segs[0].steps.len() == 2);
        assert!(!segs[1].transactional);
        assert_eq!(segs[1].steps[0].0, "step 3: create-index public.a.i");
        assert_eq!(segs[2].steps[0].1, "COMMENT ON TABLE a IS 'x';");
    }

    #[test]
    fn an_own_transaction_step_is_a_segment_of_its_own() {
        let text = "-- step 1: add-foreign-key public.a.f\nALTER TABLE a ADD CONSTRAINT f FOREIGN KEY (b) REFERENCES b NOT VALID;\n\n\
                    -- schemactl:own-transaction\n-- step 2: validate-constraint public.a.f\nALTER TABLE a VALIDATE CONSTRAINT f;\n\n\
                    -- schemactl:own-transaction\n-- step 3: validate-constraint public.a.g\nALTER TABLE a VALIDATE CONSTRAINT g;\n\n\
                    -- step 4: comment public.a\nCOMMENT ON TABLE a IS 'x';\n\n\
                    -- step 5: comment public.b\nCOMMENT ON TABLE b IS 'x';\n";
        let segs = segments(text);
        let shape: Vec<(bool, usize)> = segs
            .iter()
            .map(|s| (s.transactional, s.steps.len()))
            .collect();
        assert_eq!(shape, [(true, 1), (true, 1), (true, 1), (true, 2)]);
        assert_eq!(segs[2].steps[0].0, "step 3: validate-constraint public.a.g");
    }

    #[test]
    fn step_ranges_name_the_first_and_last_step() {
        let labels = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            short_label("step 5: add-check public.u.u_n_check [hazards: blocks_writes]"),
            "step 5"
        );
        assert_eq!(short_label("statements"), "statements");
        assert_eq!(step_range(&labels(&["step 3"])), "step 3");
        assert_eq!(
            step_range(&labels(&["step 1", "step 2", "step 3"])),
            "steps 1–3"
        );
        assert_eq!(
            step_range(&labels(&["statements", "step 2"])),
            "statements to step 2"
        );
    }

    #[test]
    fn markers_inside_literals_do_not_split() {
        let text = "-- schemactl migration 0001_x\n--\n\n\
                    -- step 1: comment public.a\nCOMMENT ON TABLE a IS 'x\n-- schemactl:no-transaction\n-- step 2: y\n\n';\n\n\
                    -- step 2: create-function public.f\nCREATE FUNCTION f() RETURNS int AS $b$\n-- step 9: z\nSELECT 1 $b$ LANGUAGE sql;\n";
        let segs = segments(text);
        assert_eq!(segs.len(), 1, "{segs:?}");
        assert_eq!(
            segs[0].steps[0].1,
            "COMMENT ON TABLE a IS 'x\n-- schemactl:no-transaction\n-- step 2: y\n\n';"
        );
        assert_eq!(segs[0].steps[1].0, "step 2: create-function public.f");
        assert!(segs[0].steps[1].1.contains("-- step 9: z\nSELECT 1"));
        // Blank and comment-like lines of a literal before any marker are kept too.
        let segs = segments("INSERT INTO t VALUES ('a\n\n-- b\n');\n-- trailing\n");
        assert_eq!(segs[0].steps[0].1, "INSERT INTO t VALUES ('a\n\n-- b\n');");
    }

    #[test]
    fn hand_written_sql_is_one_step() {
        let segs =
            segments("-- my migration\nCREATE TABLE a (id int);\nINSERT INTO a VALUES (1);\n");
        assert_eq!(segs.len(), 1);
        assert_eq!(segs[0].steps[0].0, "statements");
    }

    #[test]
    fn roles_granted_to_and_created_are_found_in_migration_text() {
        let sql = "-- step 1\nGRANT SELECT ON TABLE \"public\".\"t\" TO \"App \"\"x\"\"\";\n\
                   GRANT USAGE ON SCHEMA \"public\" TO PUBLIC;\n\
                   grant select on t to Reporting;\n\
                   CREATE ROLE \"made\" NOLOGIN;\n\
                   REVOKE SELECT ON TABLE t FROM \"gone\";\n";
        let (grants, creates) = super::roles_in(sql);
        assert_eq!(
            grants,
            vec!["App \"x\"".to_string(), "reporting".to_string()]
        );
        assert_eq!(creates, vec!["made".to_string()]);
    }
}
