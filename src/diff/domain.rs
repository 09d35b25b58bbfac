//! Domains: created, changed in place (`ALTER DOMAIN` default, NOT NULL, checks), recreated
//! when the base type or collation changes and no column uses the domain (refused
//! otherwise), dropped. Also marks column type changes that only move a column between a
//! domain and its base type (no `USING`, no data lost).

use super::comment::CommentTarget;
use super::step::{Effect, Hazard, Phase, StepInfo, StepKind, object};
use super::{Change, TableChange};
use crate::model::id::{ObjectId, ObjectKind};
use crate::model::{BaseType, DataType, Domain, Expr, Model, QualifiedName};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DomainChange {
    CreateDomain(QualifiedName, Domain),
    /// With the user type (enum, domain) it is over: dropped after this.
    DropDomain(QualifiedName, Option<QualifiedName>),
    /// A domain no column or type uses, dropped and created again with another base type
    /// or collation (one step, after a rename that gives it its name).
    RecreateDomain(QualifiedName, Domain),
    /// `ALTER DOMAIN … SET DEFAULT` / `DROP DEFAULT` (`None`).
    SetDefault(QualifiedName, Option<Expr>),
    /// `ALTER DOMAIN … SET NOT NULL` (`true`) / `DROP NOT NULL`.
    SetNotNull(QualifiedName, bool),
    AddCheck(QualifiedName, String, Expr),
    DropCheck(QualifiedName, String),
}

impl From<DomainChange> for Change {
    fn from(c: DomainChange) -> Change {
        Change::Domain(c)
    }
}

pub(super) fn diff(out: &mut Vec<Change>, from: &Model, to: &Model) {
    for (q, d) in to.domains() {
        let Some(old) = from.domain(&q) else {
            create(out, &q, d);
            continue;
        };
        if old.data_type != d.data_type || old.collation != d.collation {
            let users = from.users_of(&BaseType::Domain(q.clone()));
            if users.is_empty() {
                out.push(DomainChange::RecreateDomain(q.clone(), d.clone()).into());
                if let Some(c) = &d.comment {
                    out.push(Change::Comment(
                        CommentTarget::Type(q.clone()),
                        Some(c.clone()),
                    ));
                }
                check_comments(out, &q, None, d);
            } else {
                out.push(Change::Unsupported(format!(
                    "change the base type or collation of domain {q} (from {} to {}) while {} use it: create a new domain, move the columns to it, then drop this one",
                    describe(&old.data_type, old.collation.as_deref()),
                    describe(&d.data_type, d.collation.as_deref()),
                    users.join(", ")
                )));
            }
            continue;
        }
        if !same_default(old.default.as_ref(), d.default.as_ref()) {
            out.push(DomainChange::SetDefault(q.clone(), d.default.clone()).into());
        }
        // PostgreSQL validates a new constraint against every column of the domain, and
        // refuses when a column holds it inside an array or composite type.
        let contained = || contained_in(to, &q);
        if old.not_null != d.not_null {
            let blocked = if d.not_null { contained() } else { Vec::new() };
            out.push(if blocked.is_empty() {
                DomainChange::SetNotNull(q.clone(), d.not_null).into()
            } else {
                unsupported_constraint(&q, "set NOT NULL on", &blocked)
            });
        }
        for (n, c) in &old.checks {
            if d.checks.get(n).is_none_or(|nc| nc.expr != c.expr) {
                out.push(DomainChange::DropCheck(q.clone(), n.clone()).into());
            }
        }
        for (n, c) in &d.checks {
            if old.checks.get(n).is_none_or(|oc| oc.expr != c.expr) {
                let blocked = contained();
                out.push(if blocked.is_empty() {
                    DomainChange::AddCheck(q.clone(), n.clone(), c.expr.clone()).into()
                } else {
                    unsupported_constraint(&q, &format!("add check {n} to"), &blocked)
                });
            }
        }
        check_comments(out, &q, Some(old), d);
        if old.comment != d.comment {
            out.push(Change::Comment(CommentTarget::Type(q), d.comment.clone()));
        }
    }
    // A domain over another goes first.
    let mut dropped: Vec<(QualifiedName, &Domain)> = from
        .domains()
        .filter(|(q, _)| to.domain(q).is_none())
        .collect();
    while !dropped.is_empty() {
        let free = (0..dropped.len())
            .find(|&i| {
                !dropped
                    .iter()
                    .any(|(_, d)| d.data_type.base == BaseType::Domain(dropped[i].0.clone()))
            })
            .unwrap_or(0);
        let (q, d) = dropped.remove(free);
        let base = d.data_type.base.user_type().cloned();
        out.push(DomainChange::DropDomain(q, base).into());
    }
}

/// Domains and composite type attributes (not table columns) whose type is `base`.
pub(super) fn type_users(model: &Model, base: &BaseType) -> Vec<String> {
    model
        .domains()
        .filter(|(_, d)| d.data_type.base == *base)
        .map(|(q, _)| format!("domain {q}"))
        .chain(model.composite_types().flat_map(|(q, c)| {
            c.attributes
                .iter()
                .filter(|a| a.data_type.base == *base)
                .map(move |a| format!("attribute {q}.{}", a.name))
        }))
        .collect()
}

fn unsupported_constraint(q: &QualifiedName, what: &str, columns: &[String]) -> Change {
    Change::Unsupported(format!(
        "{what} domain {q} while {} hold it inside an array or composite type (PostgreSQL cannot validate those: change those columns in an earlier migration, or create a new domain)",
        columns.join(", ")
    ))
}

/// Columns of `model` whose type holds domain `q` inside an array or a composite type
/// (directly or through other domains): PostgreSQL refuses to add a constraint to `q`
/// while they exist.
pub fn contained_in(model: &Model, q: &QualifiedName) -> Vec<String> {
    model
        .tables()
        .flat_map(|(tq, t)| {
            t.columns
                .iter()
                .filter(|c| holds_inside(model, &c.data_type, q, 0))
                .map(move |c| format!("{tq}.{}", c.name))
        })
        .collect()
}

/// Whether a value of type `t` holds domain `q` anywhere (the type itself included).
fn mentions(model: &Model, t: &DataType, q: &QualifiedName, depth: usize) -> bool {
    if depth > 32 {
        return false;
    }
    match &t.base {
        BaseType::Domain(d) if d == q => true,
        BaseType::Domain(d) => model
            .domain(d)
            .is_some_and(|d| mentions(model, &d.data_type, q, depth + 1)),
        BaseType::Composite(c) => model.composite_type(c).is_some_and(|c| {
            c.attributes
                .iter()
                .any(|a| mentions(model, &a.data_type, q, depth + 1))
        }),
        _ => false,
    }
}

/// Whether a value of type `t` holds domain `q` inside an array or composite type.
fn holds_inside(model: &Model, t: &DataType, q: &QualifiedName, depth: usize) -> bool {
    if depth > 32 {
        return false;
    }
    if t.array {
        return mentions(model, t, q, depth);
    }
    match &t.base {
        BaseType::Composite(_) => mentions(model, t, q, depth),
        BaseType::Domain(d) if d != q => model
            .domain(d)
            .is_some_and(|d| holds_inside(model, &d.data_type, q, depth + 1)),
        _ => false,
    }
}

fn create(out: &mut Vec<Change>, q: &QualifiedName, d: &Domain) {
    out.push(DomainChange::CreateDomain(q.clone(), d.clone()).into());
    if let Some(c) = &d.comment {
        out.push(Change::Comment(
            CommentTarget::Type(q.clone()),
            Some(c.clone()),
        ));
    }
    check_comments(out, q, None, d);
}

/// `COMMENT ON CONSTRAINT … ON DOMAIN` of the checks of `d` whose comment differs from
/// `old`'s; a check added again (new expression) lost its comment with the old one.
fn check_comments(out: &mut Vec<Change>, q: &QualifiedName, old: Option<&Domain>, d: &Domain) {
    for (n, c) in &d.checks {
        let before = old
            .and_then(|o| o.checks.get(n))
            .filter(|oc| oc.expr == c.expr)
            .and_then(|oc| oc.comment.as_ref());
        if before != c.comment.as_ref() {
            out.push(Change::Comment(
                CommentTarget::DomainConstraint(q.clone(), n.clone()),
                c.comment.clone(),
            ));
        }
    }
}

fn describe(t: &DataType, collation: Option<&str>) -> String {
    match collation {
        Some(c) => format!("{t} collate {c}"),
        None => t.to_string(),
    }
}

fn same_default(a: Option<&Expr>, b: Option<&Expr>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => x == y,
        (x, y) => x.is_none() && y.is_none(),
    }
}

/// `t` with every domain replaced by its base type (as `model` has it); `None` when a
/// domain is unknown or an array of an array would result.
pub fn resolved(t: &DataType, model: &Model) -> Option<DataType> {
    let mut t = t.clone();
    for _ in 0..32 {
        let BaseType::Domain(q) = &t.base else {
            return Some(t);
        };
        let d = model.domain(q)?;
        if t.array && d.data_type.array {
            return None;
        }
        t = DataType {
            base: d.data_type.base.clone(),
            array: t.array || d.data_type.array,
        };
    }
    None
}

/// Whether a value of type `t` (in `model`) passes through a domain with a check or NOT
/// NULL: PostgreSQL then checks (and rewrites) every row converted to it.
fn constrained(t: &DataType, model: &Model) -> bool {
    let mut t = t.clone();
    for _ in 0..32 {
        let BaseType::Domain(q) = &t.base else {
            return false;
        };
        let Some(d) = model.domain(q) else {
            return false;
        };
        if d.not_null || !d.checks.is_empty() {
            return true;
        }
        t = d.data_type.clone();
    }
    false
}

/// Mark the column type changes that only move a column between a domain and its base
/// type (or between domains over the same base type): see `TableChange::AlterColumnType`.
pub(super) fn mark_domain_moves(out: &mut [Change], from: &Model, to: &Model) {
    for c in out.iter_mut() {
        let Change::Table(TableChange::AlterColumnType {
            from: ft,
            to: tt,
            domain_move,
            ..
        }) = c
        else {
            continue;
        };
        let involves = |t: &DataType| matches!(t.base, BaseType::Domain(_));
        if !involves(ft) && !involves(tt) {
            continue;
        }
        if let (Some(a), Some(b)) = (resolved(ft, from), resolved(tt, to))
            && a == b
        {
            *domain_move = Some(constrained(tt, to));
        }
    }
}

pub(super) fn step(c: &DomainChange) -> StepInfo {
    match c {
        DomainChange::CreateDomain(q, d) => {
            let mut s = StepInfo::new(
                StepKind::CreateDomain,
                object(q, None),
                vec![],
                Phase::CreateType,
            )
            .effect(ObjectId::type_name(q), Effect::Create);
            if let Some(u) = d.data_type.base.user_type() {
                s = s.after(ObjectId::type_name(u));
            }
            s
        }
        DomainChange::RecreateDomain(q, d) => {
            let mut s = StepInfo::new(
                StepKind::RecreateDomain,
                object(q, None),
                vec![Hazard::BreaksClients],
                Phase::CreateType,
            )
            .after(ObjectId::type_name(q))
            // What uses the domain as it is now (a routine's signature) goes before it.
            .effect(ObjectId::type_name(q), Effect::Alter);
            if let Some(u) = d.data_type.base.user_type() {
                s = s.after(ObjectId::type_name(u));
            }
            s
        }
        DomainChange::DropDomain(q, base) => {
            let mut s = StepInfo::new(
                StepKind::DropDomain,
                object(q, None),
                vec![Hazard::BreaksClients],
                Phase::DropType,
            )
            .effect(ObjectId::type_name(q), Effect::Drop);
            if let Some(b) = base {
                s = s.before(ObjectId::type_name(b));
            }
            s
        }
        DomainChange::SetDefault(q, _) => StepInfo::new(
            StepKind::SetDomainDefault,
            object(q, None),
            vec![],
            Phase::AlterColumn,
        ),
        // Every column using the domain is checked (under a lock that blocks writes), with
        // the columns as the plan leaves them, like a new check.
        DomainChange::SetNotNull(q, true) => StepInfo::new(
            StepKind::SetDomainNotNull,
            object(q, None),
            vec![Hazard::BlocksWrites, Hazard::MayFailOnData],
            Phase::AddConstraint,
        ),
        DomainChange::SetNotNull(q, false) => StepInfo::new(
            StepKind::SetDomainNotNull,
            object(q, None),
            vec![],
            Phase::AlterColumn,
        ),
        DomainChange::AddCheck(q, n, _) => StepInfo::new(
            StepKind::AddDomainCheck,
            object(q, Some(n)),
            vec![Hazard::BlocksWrites, Hazard::MayFailOnData],
            Phase::AddConstraint,
        )
        .effect(
            ObjectId::part(ObjectKind::Constraint, &q.schema, &q.name, n),
            Effect::Create,
        ),
        DomainChange::DropCheck(q, n) => StepInfo::new(
            StepKind::DropDomainCheck,
            object(q, Some(n)),
            vec![],
            Phase::DropConstraint,
        ),
    }
}

pub(super) fn deviation(c: &DomainChange) -> String {
    match c {
        DomainChange::CreateDomain(q, _) => format!("extra in the database: domain {q}"),
        DomainChange::DropDomain(q, _) => format!("missing from the database: domain {q}"),
        DomainChange::RecreateDomain(q, d) => format!(
            "different in the database: domain {q} is over {}",
            describe(&d.data_type, d.collation.as_deref())
        ),
        DomainChange::SetDefault(q, _) => {
            format!("different in the database: default of domain {q}")
        }
        DomainChange::SetNotNull(q, not_null) => format!(
            "different in the database: domain {q} is {}",
            if *not_null { "NOT NULL" } else { "nullable" }
        ),
        DomainChange::AddCheck(q, n, _) => {
            format!("extra in the database: check {n} of domain {q}")
        }
        DomainChange::DropCheck(q, n) => {
            format!("missing from the database: check {n} of domain {q}")
        }
    }
}
