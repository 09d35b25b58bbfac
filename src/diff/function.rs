//! Functions and procedures: created, replaced in place (`CREATE OR REPLACE`) when
//! PostgreSQL allows it (same result type, argument names and `OUT` columns), otherwise
//! dropped and created again; views calling a function that is dropped are rebuilt around
//! it (`diff::view`).
//!
//! Ordering: a routine is created before the tables, since column defaults, checks,
//! generated columns and index expressions may call it (their steps name the functions
//! they call, `ObjectKind::FunctionName`). A SQL-language routine whose body reads
//! relations is created with the views instead, after what it reads: PostgreSQL checks a
//! SQL body when it creates the function. Drops run late, after whatever used the routine
//! changed or went (a default that called it, a view); a routine dropped to be created again
//! is created after its drop, and what calls it after that.

use super::comment::CommentTarget;
use super::step::{Effect, Hazard, Phase, StepInfo, StepKind};
use super::{Change, TableChange, step};
use crate::model::function::{self, Function};
use crate::model::id::{ObjectId, ObjectKind};
use crate::model::{Model, Part, QualifiedName};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FunctionChange {
    /// `recreated`: the identity existed with another definition (dropped first).
    Create {
        schema: String,
        function: Function,
        recreated: bool,
    },
    /// `CREATE OR REPLACE`: same identity and result, new body or options (`differs` names
    /// which, for drift).
    Replace {
        schema: String,
        function: Function,
        differs: Vec<&'static str>,
    },
    Drop {
        schema: String,
        function: Function,
        recreated: bool,
    },
    /// No SQL: the routine's body uses a name the plan drops or renames, which PostgreSQL
    /// does not track. A step of its own so that the plan carries `breaks_clients` naming
    /// the routine (see [`body_uses`]).
    BodyUses {
        /// `function public.f(integer)`.
        routine: String,
        /// The word of the body.
        uses: String,
        /// What the plan does to it (`drops column public.t.c`).
        what: String,
    },
}

impl FunctionChange {
    /// The text of a [`FunctionChange::BodyUses`] (`render` writes it as an SQL comment).
    pub fn body_use_text(routine: &str, uses: &str, what: &str) -> String {
        format!(
            "{routine} uses `{uses}` in its body, and this plan {what}: PostgreSQL does not track what a function body uses, so it would fail when it runs (breaks_clients); change the body in the same plan"
        )
    }
}

impl From<FunctionChange> for Change {
    fn from(c: FunctionChange) -> Change {
        Change::Function(c)
    }
}

pub(super) fn diff(out: &mut Vec<Change>, from: &Model, to: &Model) {
    // A signature naming a type the plan drops and creates again is bound to the old type:
    // PostgreSQL refuses to drop it, so the routine goes before and comes back after.
    let retyped = recreated_types(out, to);
    let rebuilt = |f: &Function| types_used(f).iter().any(|t| retyped.contains(t));
    for (sn, s) in &from.schemas {
        let new = to.schemas.get(sn);
        for (id, f) in &s.functions {
            match new.and_then(|n| n.functions.get(id)) {
                None => out.push(
                    FunctionChange::Drop {
                        schema: sn.clone(),
                        function: f.clone(),
                        recreated: false,
                    }
                    .into(),
                ),
                Some(nf) if rebuilt(nf) || (!f.same_definition(nf) && !f.replaceable_by(nf)) => out
                    .push(
                        FunctionChange::Drop {
                            schema: sn.clone(),
                            function: f.clone(),
                            recreated: true,
                        }
                        .into(),
                    ),
                _ => {}
            }
        }
    }
    for (sn, s) in &to.schemas {
        let old = from.schemas.get(sn);
        for (id, f) in &s.functions {
            let target = || comment_target(sn, f);
            match old.and_then(|o| o.functions.get(id)) {
                Some(_) if rebuilt(f) => {
                    out.push(
                        FunctionChange::Create {
                            schema: sn.clone(),
                            function: f.clone(),
                            recreated: true,
                        }
                        .into(),
                    );
                    if f.comment.is_some() {
                        out.push(Change::Comment(target(), f.comment.clone()));
                    }
                }
                Some(of) if of.same_definition(f) => {
                    if of.comment != f.comment {
                        out.push(Change::Comment(target(), f.comment.clone()));
                    }
                }
                Some(of) if of.replaceable_by(f) => {
                    out.push(
                        FunctionChange::Replace {
                            schema: sn.clone(),
                            function: f.clone(),
                            differs: differences(of, f),
                        }
                        .into(),
                    );
                    if of.comment != f.comment {
                        out.push(Change::Comment(target(), f.comment.clone()));
                    }
                }
                prev => {
                    out.push(
                        FunctionChange::Create {
                            schema: sn.clone(),
                            function: f.clone(),
                            recreated: prev.is_some(),
                        }
                        .into(),
                    );
                    if f.comment.is_some() {
                        out.push(Change::Comment(target(), f.comment.clone()));
                    }
                }
            }
        }
    }
}

/// Column defaults, checks and indexes of tables kept as they are whose expressions call a
/// routine that is dropped while one of its name stays (created again, or another
/// signature): PostgreSQL refuses to drop a function they
/// use, so they go before the drop and come back after the create (a default is dropped
/// and set again; a check or index dropped and added again).
pub(super) fn rebuild_callers(out: &mut Vec<Change>, from: &Model, to: &Model) {
    // Dropped while a routine of that name stays (recreated, or another signature):
    // callers are bound to the dropped one.
    let recreated: Vec<String> = dropped_names(out)
        .into_iter()
        .filter(|n| to.functions().any(|(_, f)| f.name == *n))
        .collect();
    if recreated.is_empty() {
        return;
    }
    let calls = |e: &crate::model::Expr| e.function_names().iter().any(|n| recreated.contains(n));
    for (q, t) in to.tables() {
        let Some(old) = from.table(&q) else { continue };
        for c in &t.columns {
            let Some(crate::model::ColumnDefault::Sql(e)) = &c.default else {
                continue;
            };
            let same = old
                .columns
                .iter()
                .any(|o| o.name == c.name && o.default == c.default);
            if same && calls(e) {
                out.push(
                    TableChange::SetDefault {
                        table: q.clone(),
                        column: c.name.clone(),
                        default: None,
                        old_calls: e.function_names().into_iter().collect(),
                    }
                    .into(),
                );
                out.push(
                    TableChange::SetDefault {
                        table: q.clone(),
                        column: c.name.clone(),
                        default: Some(e.clone()),
                        old_calls: Vec::new(),
                    }
                    .into(),
                );
            }
        }
        for (n, c) in &t.checks {
            if old.checks.get(n).is_some_and(|o| o.same_definition(c)) && calls(&c.expr) {
                out.push(TableChange::DropCheck(q.clone(), n.clone()).into());
                out.push(TableChange::AddCheck(q.clone(), n.clone(), c.clone()).into());
            }
        }
        for (n, i) in &t.indexes {
            let uses = i
                .keys
                .iter()
                .filter_map(|k| k.expr.as_ref())
                .chain(i.predicate.as_ref())
                .any(calls);
            if old.indexes.get(n).is_some_and(|o| o.same_definition(i)) && uses {
                out.push(TableChange::DropIndex(q.clone(), n.clone(), false).into());
                out.push(
                    TableChange::CreateIndex {
                        table: q.clone(),
                        name: n.clone(),
                        index: i.clone(),
                        new_table: false,
                        concurrently: false,
                    }
                    .into(),
                );
            }
        }
    }
}

/// Bare names of the routines that `changes` drop (for good or to create them again):
/// what calls them must go first.
pub(super) fn dropped_names(changes: &[Change]) -> Vec<String> {
    changes
        .iter()
        .filter_map(|c| match c {
            Change::Function(FunctionChange::Drop { function, .. }) => Some(function.name.clone()),
            Change::Aggregate(super::AggregateChange::Drop { aggregate, .. }) => {
                Some(aggregate.name.clone())
            }
            _ => None,
        })
        .collect()
}

pub fn comment_target(schema: &str, f: &Function) -> CommentTarget {
    CommentTarget::Function {
        schema: schema.to_string(),
        name: f.name.clone(),
        args: f
            .input_types()
            .into_iter()
            .map(function::type_sql)
            .collect::<Vec<_>>()
            .join(", "),
        procedure: f.procedure,
    }
}

fn id(schema: &str, f: &Function) -> ObjectId {
    ObjectId::new(ObjectKind::Function, schema, &f.identity())
}

/// The id every call of a function named `name` depends on (see `ObjectKind::FunctionName`).
pub fn name_id(name: &str) -> ObjectId {
    ObjectId::new(ObjectKind::FunctionName, "", name)
}

/// The user types a signature names (`app.mood`, `public.mood[]`: the model spells them
/// qualified, built-in types not), as type names.
fn types_used(f: &Function) -> Vec<QualifiedName> {
    let mut out = Vec::new();
    let all = f
        .args
        .iter()
        .map(|a| a.data_type.as_str())
        .chain(f.returns.as_deref());
    for t in all {
        let t = t.trim_end_matches("[]");
        if let Ok([s, n]) = crate::sql::split_qualified(t).as_deref() {
            out.push(QualifiedName::new(s.clone(), n.clone()));
        }
    }
    out
}

/// Types `out` drops and creates again: enums recreated without a value, domains with a
/// new base type, and any type dropped while `to` still has one of its name.
fn recreated_types(out: &[Change], to: &Model) -> std::collections::BTreeSet<QualifiedName> {
    let in_to = |q: &QualifiedName| {
        to.schemas.get(&q.schema).is_some_and(|s| {
            s.enums.contains_key(&q.name)
                || s.domains.contains_key(&q.name)
                || s.composite_types.contains_key(&q.name)
        })
    };
    out.iter()
        .filter_map(|c| match c {
            Change::Enum(super::EnumChange::RecreateEnum { name, .. }) => Some(name.clone()),
            Change::Domain(super::DomainChange::RecreateDomain(q, _)) => Some(q.clone()),
            Change::Enum(super::EnumChange::DropEnum(q))
            | Change::Domain(super::DomainChange::DropDomain(q, _))
            | Change::Composite(super::CompositeChange::DropType(q, _))
                if in_to(q) =>
            {
                Some(q.clone())
            }
            _ => None,
        })
        .collect()
}

/// Create or replace: after the types of its signature, what its body reads and the
/// functions it calls.
fn create_step(kind: StepKind, schema: &str, f: &Function, effect: Effect) -> StepInfo {
    let reads = function::reads(f);
    let phase = if reads.is_empty() {
        Phase::CreateFunction
    } else {
        Phase::CreateView
    };
    let mut s = StepInfo::new(kind, object(schema, f), vec![], phase)
        .effect(id(schema, f), effect)
        .effect(name_id(&f.name), effect);
    for t in types_used(f) {
        s = s.after(ObjectId::type_name(&t));
    }
    for r in reads {
        s = s
            .after(ObjectId::type_name(&r))
            .after(ObjectId::table(&r))
            .after(ObjectId::view(&r));
    }
    for c in function::calls(f) {
        if c != f.name {
            s = s.after(name_id(&c));
        }
    }
    s
}

fn object(schema: &str, f: &Function) -> String {
    format!(
        "{}({})",
        step::object(&QualifiedName::new(schema, &f.name), None),
        f.input_types().join(", ")
    )
}

pub(super) fn step(c: &FunctionChange) -> StepInfo {
    match c {
        FunctionChange::Create {
            schema, function, ..
        } => {
            let kind = if function.procedure {
                StepKind::CreateProcedure
            } else {
                StepKind::CreateFunction
            };
            create_step(kind, schema, function, Effect::Create)
        }
        FunctionChange::Replace {
            schema, function, ..
        } => {
            let kind = if function.procedure {
                StepKind::ReplaceProcedure
            } else {
                StepKind::ReplaceFunction
            };
            create_step(kind, schema, function, Effect::Alter)
        }
        FunctionChange::Drop {
            schema,
            function,
            recreated,
        } => {
            let kind = if function.procedure {
                StepKind::DropProcedure
            } else {
                StepKind::DropFunction
            };
            let hazards = if *recreated {
                vec![]
            } else {
                vec![Hazard::BreaksClients]
            };
            let mut s = StepInfo::new(kind, object(schema, function), hazards, Phase::DropFunction)
                .effect(id(schema, function), Effect::Drop)
                .effect(name_id(&function.name), Effect::Drop);
            // Before the types of its signature and what its body reads go.
            for t in types_used(function)
                .into_iter()
                .chain(function::reads(function))
            {
                s = s
                    .before(ObjectId::type_name(&t))
                    .before(ObjectId::table(&t))
                    .before(ObjectId::view(&t));
            }
            s
        }
        FunctionChange::BodyUses { routine, .. } => {
            let object = routine.split_once(' ').map_or(routine.as_str(), |(_, o)| o);
            StepInfo::new(
                StepKind::BodyUses,
                object.to_string(),
                vec![Hazard::BreaksClients],
                Phase::Comment,
            )
        }
    }
}

pub(super) fn deviation(c: &FunctionChange) -> Option<String> {
    let what = |f: &Function| if f.procedure { "procedure" } else { "function" };
    Some(match c {
        // Not a difference of its own: the drop or rename it names is one.
        FunctionChange::BodyUses { .. } => return None,
        FunctionChange::Create {
            recreated: true, ..
        } => return None,
        FunctionChange::Create {
            schema, function, ..
        } => format!(
            "extra in the database: {} {schema}.{}",
            what(function),
            function.identity()
        ),
        FunctionChange::Replace {
            schema,
            function,
            differs,
        } => format!(
            "different in the database: {} {schema}.{} ({})",
            what(function),
            function.identity(),
            differs.join(", ")
        ),
        FunctionChange::Drop {
            schema,
            function,
            recreated: true,
        } => format!(
            "different in the database: {} {schema}.{}",
            what(function),
            function.identity()
        ),
        FunctionChange::Drop {
            schema, function, ..
        } => format!(
            "missing from the database: {} {schema}.{}",
            what(function),
            function.identity()
        ),
    })
}

/// Words of a body, as PostgreSQL would fold them: unquoted identifiers in lower case,
/// quoted ones as written (an over-approximation: comments and strings count too).
fn body_words(body: &str) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    let mut chars = body.chars().peekable();
    let mut cur = String::new();
    while let Some(c) = chars.next() {
        if c == '"' {
            let mut q = String::new();
            while let Some(d) = chars.next() {
                if d == '"' {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        q.push('"');
                    } else {
                        break;
                    }
                } else {
                    q.push(d);
                }
            }
            out.insert(q);
        } else if c.is_alphanumeric() || c == '_' || c == '$' {
            cur.push(c.to_ascii_lowercase());
            continue;
        }
        if !cur.is_empty() {
            out.insert(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.insert(cur);
    }
    out
}

/// Steps naming the functions whose bodies use what the plan drops or renames
/// ([`FunctionChange::BodyUses`], hazard `breaks_clients`): PostgreSQL records no dependency
/// on what a PL/pgSQL body (or a SQL body, once created) uses, so the function would fail
/// only when it runs. A constraint or index named in a body (`ON CONFLICT ON CONSTRAINT x`)
/// counts too. Names are matched as words of the body.
pub(super) fn body_uses(changes: &[Change], to: &Model) -> Vec<Change> {
    use crate::model::rename::Rename;
    let mut gone: Vec<(Vec<String>, String)> = Vec::new();
    for c in changes {
        let (words, what): (Vec<&str>, String) = match c {
            Change::Table(TableChange::DropTable(q)) => (vec![&q.name], format!("drops table {q}")),
            Change::Table(TableChange::DropColumn(q, col)) => {
                (vec![&q.name, col], format!("drops column {q}.{col}"))
            }
            Change::Table(
                TableChange::DropUnique(q, n)
                | TableChange::DropPrimaryKey(q, n)
                | TableChange::DropCheck(q, n)
                | TableChange::DropIndex(q, n, _)
                | TableChange::DropExclusion(q, n),
            ) if !to.table(q).is_some_and(|t| {
                t.uniques.contains_key(n)
                    || t.checks.contains_key(n)
                    || t.indexes.contains_key(n)
                    || t.exclusions.contains_key(n)
                    || t.primary_key.as_ref().is_some_and(|p| &p.name == n)
            }) =>
            {
                (vec![n], format!("drops constraint or index {n} of {q}"))
            }
            Change::Rename(Rename::Table { schema, from, to }) => {
                (vec![from], format!("renames table {schema}.{from} to {to}"))
            }
            Change::Rename(Rename::Column { table, from, to }) => (
                vec![&table.name, from],
                format!("renames column {table}.{from} to {to}"),
            ),
            Change::Rename(
                Rename::Constraint { table, from, to } | Rename::Index { table, from, to },
            ) => (vec![from], format!("renames {from} of {table} to {to}")),
            Change::Rename(Rename::Function {
                schema, from, to, ..
            }) => (
                vec![from],
                format!("renames function {schema}.{from} to {to}"),
            ),
            Change::Rename(Rename::Sequence { schema, from, to }) => (
                vec![from],
                format!("renames sequence {schema}.{from} to {to}"),
            ),
            Change::View(super::ViewChange::DropView {
                name,
                recreated: false,
                ..
            }) => (vec![&name.name], format!("drops view {name}")),
            _ => continue,
        };
        gone.push((words.into_iter().map(String::from).collect(), what));
    }
    if gone.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (schema, f) in to.functions() {
        let words = body_words(&f.body);
        for (needed, what) in &gone {
            if needed.iter().all(|w| words.contains(w)) {
                out.push(Change::Function(FunctionChange::BodyUses {
                    routine: format!(
                        "{} {schema}.{}",
                        if f.procedure { "procedure" } else { "function" },
                        f.identity()
                    ),
                    uses: needed.last().cloned().unwrap_or_default(),
                    what: what.clone(),
                }));
            }
        }
    }
    out
}

/// What differs between two definitions of one function that `CREATE OR REPLACE` can
/// change, for drift lines.
fn differences(a: &Function, b: &Function) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut check = |differs: bool, what: &'static str| {
        if differs {
            out.push(what);
        }
    };
    check(a.body != b.body, "body");
    check(a.language != b.language, "language");
    check(a.args != b.args, "argument defaults");
    check(a.volatility != b.volatility, "volatility");
    check(a.strict != b.strict, "strictness");
    check(a.security_definer != b.security_definer, "security");
    check(a.leakproof != b.leakproof, "leakproof");
    check(a.parallel != b.parallel, "parallel safety");
    check(a.cost != b.cost || a.rows != b.rows, "cost or rows");
    check(a.config != b.config, "SET parameters");
    out
}
