//! Plan: order changes into executable steps and attach hazards.
//!
//! Order (workflow spec): schemas, extensions; enum types; tables (columns, primary key,
//! unique, check — no foreign keys); column changes; indexes; foreign keys last (so cycles
//! work); comments. Within a phase, steps keep the diff's deterministic object order.

pub mod typechange;

use std::fmt;

use serde::Serialize;

use crate::diff::{Change, CommentTarget};
use crate::model::rename::Rename;
use crate::model::{ColumnDefault, Expr};
use crate::render;

/// A risk carried by a statement. Ids are the spec's snake_case names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Hazard {
    DeletesData,
    RewritesTable,
    BlocksWrites,
    MayFailOnData,
    BreaksClients,
}

impl Hazard {
    pub const ALL: [Hazard; 5] = [
        Hazard::DeletesData,
        Hazard::RewritesTable,
        Hazard::BlocksWrites,
        Hazard::MayFailOnData,
        Hazard::BreaksClients,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Hazard::DeletesData => "deletes_data",
            Hazard::RewritesTable => "rewrites_table",
            Hazard::BlocksWrites => "blocks_writes",
            Hazard::MayFailOnData => "may_fail_on_data",
            Hazard::BreaksClients => "breaks_clients",
        }
    }

    pub fn parse(id: &str) -> Option<Hazard> {
        Hazard::ALL.into_iter().find(|h| h.id() == id)
    }
}

impl fmt::Display for Hazard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// The hazards that must be allowed explicitly: at `plan` time with `--allow` (the allowance
/// is then recorded in the migration header), at `apply`/`rollback` time by the file's header
/// or `--allow`. `deletes_data` is always gated; `schemactl.toml`'s `[hazards] require_allow`
/// can only add to it, never remove it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Sorted, deduplicated, always holding [`Hazard::DeletesData`].
    gated: Vec<Hazard>,
}

impl Policy {
    /// Gated whatever the configuration says.
    pub const ALWAYS: [Hazard; 1] = [Hazard::DeletesData];

    /// The default policy plus `extra`.
    pub fn new(extra: impl IntoIterator<Item = Hazard>) -> Policy {
        let mut gated: Vec<Hazard> = Policy::ALWAYS.into_iter().chain(extra).collect();
        gated.sort();
        gated.dedup();
        Policy { gated }
    }

    /// Every gated hazard, sorted.
    pub fn gated(&self) -> &[Hazard] {
        &self.gated
    }

    pub fn gates(&self, h: Hazard) -> bool {
        self.gated.contains(&h)
    }

    /// True when `h` is gated only because the project asked for it.
    pub fn is_from_config(&self, h: Hazard) -> bool {
        self.gates(h) && !Policy::ALWAYS.contains(&h)
    }

    /// The gated hazards among `hazards` that `allowed` does not cover, sorted and
    /// deduplicated. The one rule `plan`, `apply` and `rollback` share.
    pub fn refused(&self, hazards: &[Hazard], allowed: &[Hazard]) -> Vec<Hazard> {
        let mut out: Vec<Hazard> = hazards
            .iter()
            .copied()
            .filter(|h| self.gates(*h) && !allowed.contains(h))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The gated hazards among `hazards` that `allowed` covers: what `plan` records in the
    /// header's `-- allowed:` line.
    pub fn granted(&self, hazards: &[Hazard], allowed: &[Hazard]) -> Vec<Hazard> {
        let mut out: Vec<Hazard> = hazards
            .iter()
            .copied()
            .filter(|h| self.gates(*h) && allowed.contains(h))
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

impl Default for Policy {
    fn default() -> Policy {
        Policy::new([])
    }
}

/// The known hazards among `ids` (e.g. a migration header's); unknown ids are skipped (a
/// hand-written header may name its own, which no policy can gate).
pub fn known_hazards<S: AsRef<str>>(ids: &[S]) -> Vec<Hazard> {
    ids.iter()
        .filter_map(|id| Hazard::parse(id.as_ref()))
        .collect()
}

/// A step line of a migration body, `-- step N: kind object [hazards: a, b]`, split into
/// its label (`step N: kind object`) and its known hazards. Other lines give `None`.
/// Used only to name steps in messages; the header's `hazards` line is what is gated.
pub fn parse_step_line(line: &str) -> Option<(String, Vec<Hazard>)> {
    let rest = line.strip_prefix("-- step ")?;
    let (label, hazards) = match rest
        .strip_suffix(']')
        .and_then(|r| r.rsplit_once(" [hazards: "))
    {
        Some((label, list)) => (label, list.split(',').map(str::trim).collect::<Vec<_>>()),
        None => (rest, Vec::new()),
    };
    Some((format!("step {}", label.trim()), known_hazards(&hazards)))
}

/// Kinds of step, with stable kebab-case ids shown in plans and migration files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepKind {
    RenameEnum,
    RenameEnumValue,
    RenameTable,
    RenameColumn,
    RenameConstraint,
    RenameIndex,
    RenameSequence,
    RecreateEnum,
    DropGeneratedColumn,
    AddGeneratedColumn,
    DropExpression,
    DropSerial,
    AddSerial,
    CreateSchema,
    CreateExtension,
    CreateEnum,
    CreateTable,
    AddColumn,
    AddPrimaryKey,
    AddUnique,
    AddCheck,
    CreateIndex,
    AddForeignKey,
    Comment,
    AddEnumValue,
    DropSchema,
    DropExtension,
    DropEnum,
    DropTable,
    DropColumn,
    AlterColumnType,
    SetNullable,
    SetDefault,
    SetIdentity,
    DropPrimaryKey,
    DropUnique,
    DropCheck,
    DropIndex,
    DropForeignKey,
}

impl StepKind {
    pub fn id(self) -> &'static str {
        match self {
            StepKind::RenameEnum => "rename-enum",
            StepKind::RenameEnumValue => "rename-enum-value",
            StepKind::RenameTable => "rename-table",
            StepKind::RenameColumn => "rename-column",
            StepKind::RenameConstraint => "rename-constraint",
            StepKind::RenameIndex => "rename-index",
            StepKind::RenameSequence => "rename-sequence",
            StepKind::RecreateEnum => "recreate-enum",
            StepKind::DropGeneratedColumn => "drop-generated-column",
            StepKind::AddGeneratedColumn => "add-generated-column",
            StepKind::DropExpression => "drop-expression",
            StepKind::DropSerial => "drop-serial",
            StepKind::AddSerial => "add-serial",
            StepKind::CreateSchema => "create-schema",
            StepKind::CreateExtension => "create-extension",
            StepKind::CreateEnum => "create-enum",
            StepKind::CreateTable => "create-table",
            StepKind::AddColumn => "add-column",
            StepKind::AddPrimaryKey => "add-primary-key",
            StepKind::AddUnique => "add-unique",
            StepKind::AddCheck => "add-check",
            StepKind::CreateIndex => "create-index",
            StepKind::AddForeignKey => "add-foreign-key",
            StepKind::Comment => "comment",
            StepKind::AddEnumValue => "add-enum-value",
            StepKind::DropSchema => "drop-schema",
            StepKind::DropExtension => "drop-extension",
            StepKind::DropEnum => "drop-enum",
            StepKind::DropTable => "drop-table",
            StepKind::DropColumn => "drop-column",
            StepKind::AlterColumnType => "alter-column-type",
            StepKind::SetNullable => "set-nullable",
            StepKind::SetDefault => "set-default",
            StepKind::SetIdentity => "set-identity",
            StepKind::DropPrimaryKey => "drop-primary-key",
            StepKind::DropUnique => "drop-unique",
            StepKind::DropCheck => "drop-check",
            StepKind::DropIndex => "drop-index",
            StepKind::DropForeignKey => "drop-foreign-key",
        }
    }
}

impl Step {
    /// `kind object [hazards: …]` on one line: names are escaped, so it is safe inside a
    /// `--` comment and on a terminal.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        self.write_summary(&mut s);
        s
    }

    /// [`Step::summary`] appended to `out` (a migration body has one per step).
    fn write_summary(&self, out: &mut String) {
        out.push_str(self.kind.id());
        out.push(' ');
        out.push_str(&crate::sql::comment_safe(&self.object));
        for (i, h) in self.hazards.iter().enumerate() {
            out.push_str(if i == 0 { " [hazards: " } else { ", " });
            out.push_str(h.id());
        }
        if !self.hazards.is_empty() {
            out.push(']');
        }
    }
}

/// One executable statement with what it touches and its risks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    pub kind: StepKind,
    /// Human-readable object path, e.g. `public.members.members_email_key`.
    pub object: String,
    pub sql: String,
    pub hazards: Vec<Hazard>,
    /// False for statements that must run outside a transaction block (their own segment).
    pub transactional: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub steps: Vec<Step>,
    /// Differences that cannot be planned yet; a plan with any of these must not be written.
    pub unsupported: Vec<String>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty() && self.unsupported.is_empty()
    }

    /// The migration body: each statement preceded by a comment naming the step and its
    /// hazards. Deterministic.
    pub fn sql_body(&self) -> String {
        // Sized once (the step comment lines estimated): bodies run to megabytes.
        let mut s = String::with_capacity(self.steps.iter().map(|s| s.sql.len() + 80).sum());
        for (i, step) in self.steps.iter().enumerate() {
            if !step.transactional {
                s.push_str(crate::apply::NO_TRANSACTION);
                s.push('\n');
            }
            s.push_str("-- step ");
            s.push_str(&(i + 1).to_string());
            s.push_str(": ");
            step.write_summary(&mut s);
            s.push('\n');
            s.push_str(&step.sql);
            s.push_str("\n\n");
        }
        if s.ends_with("\n\n") {
            s.pop();
        }
        s
    }

    /// Every hazard of every step, sorted and deduplicated.
    pub fn hazards(&self) -> Vec<Hazard> {
        let mut h: Vec<Hazard> = self.steps.iter().flat_map(|s| s.hazards.clone()).collect();
        h.sort();
        h.dedup();
        h
    }
}

/// The phase of renames other than of enums and their values.
const RENAME_PHASE: u8 = 2;

/// Execution phase of a change (lower runs first): drops of dependants before what they
/// depend on, then creations in dependency order, then drops of types and schemas.
fn phase(c: &Change) -> u8 {
    match c {
        // Renames first: every later statement uses the new names.
        Change::Rename(Rename::Enum { .. } | Rename::EnumValue { .. }) => 0,
        // New labels next, right after the enum renames they may refer to: each runs in its
        // own segment outside the migration's transaction, so the less runs before them, the
        // less stays committed when a later step fails (only labels, which are harmless and
        // re-added with IF NOT EXISTS on resume).
        Change::AddEnumValue { .. } => 1,
        Change::Rename(_) | Change::RenameSequence { .. } => RENAME_PHASE,
        Change::DropForeignKey(..) => 3,
        Change::DropIndex(..) => 4,
        Change::DropCheck(..) | Change::DropUnique(..) | Change::DropPrimaryKey(..) => 5,
        // Before any column type changes: a generated expression may use a retyped column.
        Change::DropColumn(..)
        | Change::DropGeneratedColumn { .. }
        | Change::DropExpression { .. } => 6,
        Change::DropTable(..) => 7,
        // Before a table of the same name is created.
        Change::DropEnumBeforeTable(_) => 8,
        Change::CreateSchema(_) => 9,
        Change::CreateExtension(..) => 10,
        // Swapped in between: what used the old type's values is gone or already converted.
        Change::RecreateEnum { .. } => 11,
        Change::CreateEnum(..) => 12,
        Change::CreateTable(..) => 13,
        Change::AddColumn(..) => 14,
        Change::DropSerial { .. }
        | Change::AlterColumnType { .. }
        | Change::AddSerial { .. }
        | Change::SetDefault { .. }
        | Change::SetIdentity { .. }
        | Change::SetNullable { .. } => 15,
        // After the type changes of the columns it uses.
        Change::AddGeneratedColumn(..) => 16,
        Change::AddPrimaryKey(..) | Change::AddUnique(..) | Change::AddCheck(..) => 17,
        Change::CreateIndex { .. } => 18,
        Change::AddForeignKey { .. } => 19,
        Change::SetComment(..) => 20,
        Change::DropEnum(_) => 21,
        Change::DropExtension(_) => 22,
        Change::DropSchema(_) => 23,
        Change::Unsupported(_) => 24,
    }
}

/// The schema, old and new name of a rename in a schema's relation namespace (tables,
/// indexes, sequences; constraint names too, since primary keys and uniques name their index),
/// and the table a constraint or index rename addresses by its new name.
fn relation_rename(c: &Change) -> Option<(&str, &str, &str, Option<&str>)> {
    match c {
        Change::Rename(Rename::Table { schema, from, to }) => Some((schema, from, to, None)),
        Change::Rename(
            Rename::Constraint { table, from, to } | Rename::Index { table, from, to },
        ) => Some((&table.schema, from, to, Some(&table.name))),
        Change::RenameSequence { schema, from, to } => Some((schema, from, to, None)),
        _ => None,
    }
}

/// Renames in an order PostgreSQL accepts: a rename onto a name that another rename of the
/// same migration frees goes after it (a chain: `b_pkey` → `c_pkey` before `a_pkey` →
/// `b_pkey`), and a constraint or index rename after the rename of its table. Otherwise the
/// order stays; a cycle (a swap, which the diff never produces) keeps its order.
fn order_renames(changes: Vec<Change>) -> Vec<Change> {
    let mut pending: Vec<Change> = changes;
    let mut out = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let waits = |i: usize| {
            let Some((schema, _, to, table)) = relation_rename(&pending[i]) else {
                return false;
            };
            pending.iter().enumerate().any(|(j, other)| {
                j != i
                    && relation_rename(other).is_some_and(|(s, from, other_to, other_table)| {
                        s == schema
                            && (from == to
                                || (other_table.is_none()
                                    && matches!(other, Change::Rename(Rename::Table { .. }))
                                    && table == Some(other_to)))
                    })
            })
        };
        let next = (0..pending.len()).find(|&i| !waits(i)).unwrap_or(0);
        out.push(pending.remove(next));
    }
    out
}

/// Built-in functions that are stable or immutable: as a new column's default they are
/// evaluated once, so PostgreSQL stores the value without rewriting the table. Any other
/// function (user-defined ones included) is assumed volatile.
const NON_VOLATILE_FUNCTIONS: &[&str] = &[
    "abs",
    "array_length",
    "btrim",
    "ceil",
    "coalesce",
    "concat",
    "concat_ws",
    "current_date",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "date_trunc",
    "extract",
    "floor",
    "format",
    "greatest",
    "json_build_array",
    "json_build_object",
    "jsonb_build_array",
    "jsonb_build_object",
    "least",
    "length",
    "localtime",
    "localtimestamp",
    "lower",
    "ltrim",
    "make_date",
    "make_interval",
    "make_timestamp",
    "make_timestamptz",
    "md5",
    "now",
    "nullif",
    "replace",
    "round",
    "rtrim",
    "session_user",
    "statement_timestamp",
    "substring",
    "timezone",
    "to_char",
    "to_json",
    "to_jsonb",
    "transaction_timestamp",
    "trim",
    "upper",
];

/// Whether a default is evaluated per row (forcing a table rewrite when a column is added).
fn volatile(e: &Expr) -> bool {
    e.function_names()
        .iter()
        .any(|f| !NON_VOLATILE_FUNCTIONS.contains(&f.as_str()))
}

/// `schema.table[.part]` for messages, quoting names that need it.
fn obj(q: &crate::model::QualifiedName, part: Option<&str>) -> String {
    let mut parts = vec![q.schema.as_str(), q.name.as_str()];
    parts.extend(part);
    crate::sql::display_path(&parts)
}

/// Kind, object and hazards of a rename: clients using the old name of a table, column, type
/// or value break; constraint and index names are not used by queries.
fn rename_step(r: &Rename) -> (StepKind, String, Vec<Hazard>) {
    match r {
        Rename::Enum { schema, to, .. } => (
            StepKind::RenameEnum,
            crate::sql::display_path(&[schema, to]),
            vec![Hazard::BreaksClients],
        ),
        Rename::EnumValue { name, to, .. } => (
            StepKind::RenameEnumValue,
            obj(name, Some(to)),
            vec![Hazard::BreaksClients],
        ),
        Rename::Table { schema, to, .. } => (
            StepKind::RenameTable,
            crate::sql::display_path(&[schema, to]),
            vec![Hazard::BreaksClients],
        ),
        Rename::Column { table, to, .. } => (
            StepKind::RenameColumn,
            obj(table, Some(to)),
            vec![Hazard::BreaksClients],
        ),
        Rename::Constraint { table, to, .. } => {
            (StepKind::RenameConstraint, obj(table, Some(to)), vec![])
        }
        Rename::Index { table, to, .. } => (StepKind::RenameIndex, obj(table, Some(to)), vec![]),
    }
}

/// Order the changes and attach hazards.
pub fn plan(changes: Vec<Change>) -> Plan {
    plan_stages(vec![changes])
}

/// [`plan`] for changes in stages that run one after the other, each ordered by phase.
pub fn plan_stages(stages: Vec<Vec<Change>>) -> Plan {
    let changes = stages.into_iter().flat_map(|mut stage| {
        // Stable: keeps the diff's object order inside each phase.
        stage.sort_by_key(phase);
        // The renames of tables, columns, constraints, indexes and sequences share a phase.
        let start = stage.partition_point(|c| phase(c) < RENAME_PHASE);
        let end = stage.partition_point(|c| phase(c) <= RENAME_PHASE);
        let rest = stage.split_off(end);
        let renames = order_renames(stage.split_off(start));
        stage.extend(renames);
        stage.extend(rest);
        stage
    });
    let mut plan = Plan::default();
    for c in changes {
        let (kind, object, hazards) = match &c {
            Change::Unsupported(what) => {
                plan.unsupported.push(what.clone());
                continue;
            }
            Change::Rename(r) => rename_step(r),
            Change::RenameSequence { schema, to, .. } => (
                StepKind::RenameSequence,
                crate::sql::display_path(&[schema, to]),
                vec![],
            ),
            Change::RecreateEnum {
                name,
                from,
                values,
                columns,
            } => {
                let mut h = Vec::new();
                if from.iter().any(|v| !values.contains(v)) {
                    // A row holding a removed value makes the conversion fail (rolled back);
                    // such rows must be changed first, which is what loses data.
                    h.extend([Hazard::DeletesData, Hazard::MayFailOnData]);
                }
                if !columns.is_empty() {
                    h.extend([Hazard::RewritesTable, Hazard::BlocksWrites]);
                }
                (StepKind::RecreateEnum, obj(name, None), h)
            }
            Change::DropGeneratedColumn { table, column } => (
                StepKind::DropGeneratedColumn,
                obj(table, Some(column)),
                vec![],
            ),
            Change::AddGeneratedColumn(table, column) => (
                StepKind::AddGeneratedColumn,
                obj(table, Some(&column.name)),
                vec![Hazard::RewritesTable, Hazard::BlocksWrites],
            ),
            Change::DropExpression { table, column } => {
                (StepKind::DropExpression, obj(table, Some(column)), vec![])
            }
            Change::DropSerial { table, column, .. } => (
                StepKind::DropSerial,
                obj(table, Some(column)),
                vec![Hazard::BreaksClients],
            ),
            Change::AddSerial { table, column, .. } => (
                StepKind::AddSerial,
                obj(table, Some(column)),
                vec![Hazard::BlocksWrites],
            ),
            Change::CreateSchema(s) => {
                (StepKind::CreateSchema, crate::sql::display_ident(s), vec![])
            }
            Change::CreateExtension(n, _) => (
                StepKind::CreateExtension,
                crate::sql::display_ident(n),
                vec![],
            ),
            Change::CreateEnum(q, _) => (StepKind::CreateEnum, obj(q, None), vec![]),
            Change::CreateTable(q, _) => (StepKind::CreateTable, obj(q, None), vec![]),
            Change::AddColumn(q, col) => {
                let mut h = Vec::new();
                let rewrites = col.identity.is_some()
                    || col.generated.is_some()
                    || match &col.default {
                        Some(ColumnDefault::Serial { .. }) => true,
                        Some(ColumnDefault::Sql(e)) => volatile(e),
                        None => false,
                    };
                if rewrites {
                    h.push(Hazard::RewritesTable);
                }
                // NOT NULL without a default fails as soon as the table has a row.
                if !col.nullable
                    && col.default.is_none()
                    && col.identity.is_none()
                    && col.generated.is_none()
                {
                    h.push(Hazard::MayFailOnData);
                }
                (StepKind::AddColumn, obj(q, Some(&col.name)), h)
            }
            Change::AddPrimaryKey(q, pk) => (
                StepKind::AddPrimaryKey,
                obj(q, Some(&pk.name)),
                vec![Hazard::BlocksWrites, Hazard::MayFailOnData],
            ),
            Change::AddUnique(q, n, _) => (
                StepKind::AddUnique,
                obj(q, Some(n)),
                vec![Hazard::BlocksWrites, Hazard::MayFailOnData],
            ),
            Change::AddCheck(q, n, _) => (
                StepKind::AddCheck,
                obj(q, Some(n)),
                vec![Hazard::BlocksWrites, Hazard::MayFailOnData],
            ),
            Change::CreateIndex {
                table,
                name,
                index,
                new_table,
            } => {
                let mut h = Vec::new();
                if !new_table {
                    h.push(Hazard::BlocksWrites);
                    if index.unique {
                        h.push(Hazard::MayFailOnData);
                    }
                }
                (StepKind::CreateIndex, obj(table, Some(name)), h)
            }
            Change::AddForeignKey {
                table,
                name,
                new_table,
                ..
            } => (
                StepKind::AddForeignKey,
                obj(table, Some(name)),
                if *new_table {
                    vec![]
                } else {
                    vec![Hazard::BlocksWrites, Hazard::MayFailOnData]
                },
            ),
            Change::SetComment(target, _) => (
                StepKind::Comment,
                match target {
                    CommentTarget::Table(q) | CommentTarget::Type(q) => obj(q, None),
                    CommentTarget::Column(q, c) => obj(q, Some(c)),
                },
                vec![],
            ),
            Change::AddEnumValue { name, value, .. } => {
                (StepKind::AddEnumValue, obj(name, Some(value)), vec![])
            }
            Change::DropSchema(s) => (StepKind::DropSchema, crate::sql::display_ident(s), vec![]),
            Change::DropExtension(e) => (
                StepKind::DropExtension,
                crate::sql::display_ident(e),
                vec![Hazard::BreaksClients],
            ),
            Change::DropEnum(q) | Change::DropEnumBeforeTable(q) => (
                StepKind::DropEnum,
                obj(q, None),
                vec![Hazard::BreaksClients],
            ),
            Change::DropTable(q) => (
                StepKind::DropTable,
                obj(q, None),
                vec![Hazard::DeletesData, Hazard::BreaksClients],
            ),
            Change::DropColumn(q, c) => (
                StepKind::DropColumn,
                obj(q, Some(c)),
                vec![Hazard::DeletesData, Hazard::BreaksClients],
            ),
            Change::AlterColumnType {
                table,
                column,
                from,
                to,
                ..
            } => {
                let t = typechange::classify(from, to);
                let mut h = vec![Hazard::BlocksWrites];
                if t.loses_data {
                    h.push(Hazard::DeletesData);
                }
                if t.rewrites {
                    h.push(Hazard::RewritesTable);
                }
                if t.may_fail {
                    h.push(Hazard::MayFailOnData);
                }
                (StepKind::AlterColumnType, obj(table, Some(column)), h)
            }
            Change::SetNullable {
                table,
                column,
                nullable,
            } => (
                StepKind::SetNullable,
                obj(table, Some(column)),
                if *nullable {
                    vec![]
                } else {
                    vec![Hazard::BlocksWrites, Hazard::MayFailOnData]
                },
            ),
            Change::SetDefault { table, column, .. } => {
                (StepKind::SetDefault, obj(table, Some(column)), vec![])
            }
            Change::SetIdentity {
                table,
                column,
                from,
                ..
            } => (
                StepKind::SetIdentity,
                obj(table, Some(column)),
                if from.is_none() {
                    vec![Hazard::BlocksWrites]
                } else {
                    vec![]
                },
            ),
            Change::DropPrimaryKey(q, n) => (StepKind::DropPrimaryKey, obj(q, Some(n)), vec![]),
            Change::DropUnique(q, n) => (StepKind::DropUnique, obj(q, Some(n)), vec![]),
            Change::DropCheck(q, n) => (StepKind::DropCheck, obj(q, Some(n)), vec![]),
            Change::DropIndex(q, n) => (StepKind::DropIndex, obj(q, Some(n)), vec![]),
            Change::DropForeignKey(q, n) => (StepKind::DropForeignKey, obj(q, Some(n)), vec![]),
        };
        // A new enum value cannot be used in the transaction that adds it: run it alone.
        let transactional = !matches!(c, Change::AddEnumValue { .. });
        let mut hazards = hazards;
        hazards.sort();
        plan.steps.push(Step {
            kind,
            object,
            sql: render::statement(&c),
            hazards,
            transactional,
        });
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::{Hazard, Policy, parse_step_line, volatile};
    use crate::model::Expr;

    #[test]
    fn policy_always_gates_deletes_data_and_only_adds() {
        assert_eq!(Policy::default().gated(), &[Hazard::DeletesData]);
        let p = Policy::new([
            Hazard::RewritesTable,
            Hazard::DeletesData,
            Hazard::RewritesTable,
        ]);
        assert_eq!(p.gated(), &[Hazard::DeletesData, Hazard::RewritesTable]);
        assert!(p.is_from_config(Hazard::RewritesTable));
        assert!(!p.is_from_config(Hazard::DeletesData));
        let planned = [
            Hazard::BlocksWrites,
            Hazard::RewritesTable,
            Hazard::DeletesData,
        ];
        assert_eq!(
            p.refused(&planned, &[Hazard::DeletesData, Hazard::BlocksWrites]),
            vec![Hazard::RewritesTable]
        );
        assert_eq!(
            p.granted(&planned, &[Hazard::DeletesData, Hazard::BlocksWrites]),
            vec![Hazard::DeletesData]
        );
        assert!(
            Policy::default()
                .refused(&planned, &[Hazard::DeletesData])
                .is_empty()
        );
    }

    #[test]
    fn step_lines_name_their_hazards() {
        assert_eq!(
            parse_step_line(
                "-- step 2: alter-column-type public.t.n [hazards: blocks_writes, rewrites_table]"
            ),
            Some((
                "step 2: alter-column-type public.t.n".to_string(),
                vec![Hazard::BlocksWrites, Hazard::RewritesTable]
            ))
        );
        assert_eq!(
            parse_step_line("-- step 1: create-table public.t"),
            Some(("step 1: create-table public.t".to_string(), vec![]))
        );
        assert_eq!(parse_step_line("CREATE TABLE t ();"), None);
    }

    #[test]
    fn volatility_of_defaults() {
        for v in [
            "gen_random_uuid()",
            "random() * 10",
            "my_func(1)",
            "nextval('s')",
            "clock_timestamp()",
        ] {
            assert!(volatile(&Expr::parse(v).unwrap()), "{v}");
        }
        for v in [
            "now()",
            "CURRENT_DATE",
            "0",
            "'x'",
            "lower('A')",
            "my_random_label",
        ] {
            assert!(!volatile(&Expr::parse(v).unwrap()), "{v}");
        }
    }
}
