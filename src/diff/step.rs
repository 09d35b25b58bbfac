//! What a change is as a migration step: its kind and object for the step comment, its
//! hazards, whether it can run in a transaction, its phase (the tie-break of the plan's
//! order) and its dependencies. Each object kind's diff module describes its own changes
//! with these; `plan` only orders and numbers them.

use std::fmt;

use serde::Serialize;

use crate::model::id::ObjectId;

/// A risk carried by a statement. Ids are the spec's snake_case names.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Hazard {
    DeletesData,
    RewritesTable,
    BlocksWrites,
    MayFailOnData,
    BreaksClients,
}

impl Hazard {
    /// Every hazard, in the order of the spec.
    pub const ALL: &[Hazard] = <Hazard as strum::VariantArray>::VARIANTS;

    pub fn id(self) -> &'static str {
        self.into()
    }

    pub fn parse(id: &str) -> Option<Hazard> {
        id.parse().ok()
    }
}

impl fmt::Display for Hazard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// Kinds of step, with stable kebab-case ids shown in plans and migration files. A new
/// object kind registers its step kinds here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, strum::IntoStaticStr)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum StepKind {
    RenameEnum,
    RenameEnumValue,
    RenameTable,
    RenameColumn,
    RenameConstraint,
    RenameIndex,
    RenameSequence,
    RenameFunction,
    RenameProcedure,
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
    AddExclusion,
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
    DropExclusion,
    DropCheck,
    DropIndex,
    DropForeignKey,
    ValidateConstraint,
    CreateView,
    CreateMaterializedView,
    ReplaceView,
    DropView,
    DropMaterializedView,
    CreateSequence,
    AlterSequence,
    SetSequenceOwner,
    DropSequence,
    DetachPartition,
    AttachPartition,
    RenameDomain,
    RenameCompositeType,
    CreateDomain,
    RecreateDomain,
    DropDomain,
    SetDomainDefault,
    SetDomainNotNull,
    AddDomainCheck,
    DropDomainCheck,
    CreateCompositeType,
    DropCompositeType,
    AddAttribute,
    DropAttribute,
    AlterAttributeType,
    CreateFunction,
    CreateProcedure,
    ReplaceFunction,
    ReplaceProcedure,
    DropFunction,
    DropProcedure,
    /// No SQL: a routine's body uses what the plan drops or renames.
    BodyUses,
    CreateTrigger,
    ReplaceTrigger,
    DropTrigger,
    SetTriggerEnabled,
    CreateAggregate,
    DropAggregate,
    CreatePolicy,
    AlterPolicy,
    RenamePolicy,
    DropPolicy,
    EnableRowLevelSecurity,
    DisableRowLevelSecurity,
    ForceRowLevelSecurity,
    NoForceRowLevelSecurity,
    Grant,
    Revoke,
}

impl StepKind {
    pub fn id(self) -> &'static str {
        self.into()
    }
}

/// Where a change runs when nothing else decides: the plan is a topological sort of the
/// changes' dependencies, and among the changes that are free to run it takes the earliest
/// phase, then the diff's order. Drops of dependants come before what they depend on, then
/// creations in dependency order, then drops of types and schemas. A new object kind
/// registers its phases here, in their place.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Renames of types and enum values: every later statement uses the new names.
    RenameType,
    /// New enum labels, right after the enum renames they may refer to: each runs in its own
    /// segment outside the migration's transaction, so the less runs before them, the less
    /// stays committed when a later step fails (only labels, which are harmless and re-added
    /// with IF NOT EXISTS on resume).
    AddEnumValue,
    /// Views that go (for good or to be created again), before anything they read changes.
    DropView,
    /// Renames of tables, columns, constraints, indexes and sequences.
    Rename,
    /// Policies that go or are replaced, before the columns they use are dropped or
    /// retyped (PostgreSQL refuses both while a policy uses the column).
    DropPolicy,
    /// `OWNED BY NONE` before the drops: a column or table being dropped takes the
    /// sequences it owns with it.
    DisownSequence,
    DropForeignKey,
    DropIndex,
    DropConstraint,
    /// Before any column type changes: a generated expression may use a retyped column.
    DropColumn,
    DropTable,
    CreateSchema,
    CreateExtension,
    /// Swapped in between: what used the old type's values is gone or already converted.
    RecreateType,
    CreateType,
    /// Before the tables whose defaults call `nextval` on them.
    CreateSequence,
    /// Functions and procedures, before the tables whose expressions call them (a SQL one
    /// reading relations goes with the views).
    CreateFunction,
    CreateTable,
    AddColumn,
    AlterColumn,
    /// After the type changes of the columns it uses.
    AddGeneratedColumn,
    /// `OWNED BY table.column`, once the column exists.
    OwnSequence,
    AddConstraint,
    CreateIndex,
    AddForeignKey,
    /// `VALIDATE CONSTRAINT`, each in a transaction of its own, once the constraints are
    /// added `NOT VALID` (one that a later step needs validated is pulled ahead of it).
    Validate,
    /// Views, once everything they read has its final shape; then their indexes.
    CreateView,
    /// Triggers, once their tables and functions exist.
    CreateTrigger,
    /// Policies, once every column and view they may use has its final shape.
    CreatePolicy,
    /// `ENABLE`/`FORCE ROW LEVEL SECURITY` (and back), once the policies are in place.
    RowSecurity,
    Comment,
    /// Privileges taken away, before those given (revoking a table privilege takes it from
    /// every column too), once every object they name exists.
    Revoke,
    Grant,
    /// After the defaults that called `nextval` on them changed or went with their table.
    DropSequence,
    /// After everything that called them is gone; before the types of their signatures.
    DropFunction,
    DropType,
    DropExtension,
    DropSchema,
}

/// What a change does to an object id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    Create,
    Alter,
    Drop,
}

/// One dependency of a change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dep {
    /// The change creates, alters or drops this id.
    Effect(ObjectId, Effect),
    /// The change needs this id as the plan leaves it: it runs after whatever creates or
    /// alters it.
    After(ObjectId),
    /// The change uses this id as it is now: it runs before whatever drops or alters it.
    Before(ObjectId),
}

/// A change's place in the dependency graph. The plan puts change A before change B when
/// - B needs (`After`) an id that A creates or alters;
/// - A must run `Before` an id that B drops or alters (A uses the object as it is now);
/// - A drops an id (a name) that B creates.
///
/// Only what phases alone would get wrong needs saying: an edge that pulls a change ahead
/// of its phase pulls it ahead of everything in later phases too, so a change with edges
/// must also name what it needs from earlier phases. One vector (most changes have none).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Deps(pub Vec<Dep>);

impl Deps {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// How a step runs with respect to transactions: what segment of the migration it goes in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Transaction {
    /// In the migration's current transaction, with the steps around it.
    #[default]
    Shared,
    /// In a transaction of its own, committed before the next step starts: a `VALIDATE
    /// CONSTRAINT` scan holds only a SHARE UPDATE EXCLUSIVE lock, and must not keep the
    /// stronger locks of the steps before it for the length of its scan.
    Own,
    /// Outside any transaction block (`CREATE INDEX CONCURRENTLY`, `ALTER TYPE … ADD VALUE`
    /// before PostgreSQL 12), statement by statement.
    None,
}

/// The strongest table lock a step takes (PostgreSQL's lock modes; what it blocks): shown
/// with each step in JSON plans so a reviewer sees what the online forms buy. Whether it is
/// held briefly or for a scan, build or rewrite is what the `blocks_writes` hazard says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lock {
    /// Blocks reads and writes.
    AccessExclusive,
    /// Blocks writes (`ADD FOREIGN KEY`, on both tables).
    ShareRowExclusive,
    /// Blocks writes (`CREATE INDEX`).
    Share,
    /// Blocks neither reads nor writes, only other schema changes and `VACUUM`
    /// (`CREATE INDEX CONCURRENTLY`, `VALIDATE CONSTRAINT`).
    ShareUpdateExclusive,
}

/// A change described as a step (the SQL comes from `render`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepInfo {
    pub kind: StepKind,
    /// Human-readable object path, e.g. `public.members.members_email_key`.
    pub object: String,
    pub hazards: Vec<Hazard>,
    pub phase: Phase,
    /// Which transaction it runs in.
    pub transaction: Transaction,
    /// The table lock it takes, where a table is what it changes.
    pub lock: Option<Lock>,
    pub deps: Deps,
}

impl StepInfo {
    /// A transactional step with no dependencies beyond its phase.
    pub fn new(kind: StepKind, object: String, hazards: Vec<Hazard>, phase: Phase) -> StepInfo {
        StepInfo {
            kind,
            object,
            hazards,
            phase,
            transaction: Transaction::Shared,
            lock: None,
            deps: Deps::default(),
        }
    }

    pub fn effect(mut self, id: ObjectId, effect: Effect) -> StepInfo {
        self.deps.0.push(Dep::Effect(id, effect));
        self
    }

    pub fn after(mut self, id: ObjectId) -> StepInfo {
        self.deps.0.push(Dep::After(id));
        self
    }

    pub fn before(mut self, id: ObjectId) -> StepInfo {
        self.deps.0.push(Dep::Before(id));
        self
    }
}

/// `schema.table[.part]` for messages, quoting names that need it.
pub fn object(q: &crate::model::QualifiedName, part: Option<&str>) -> String {
    let mut parts = vec![q.schema.as_str(), q.name.as_str()];
    parts.extend(part);
    crate::sql::display_path(&parts)
}
