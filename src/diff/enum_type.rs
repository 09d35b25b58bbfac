//! Enum types: created, values added in place, recreated when values are removed or
//! reordered (every column using the type converted through `text`), dropped.

use std::borrow::Cow;

use super::comment::CommentTarget;
use super::step::{Effect, Hazard, Phase, StepInfo, StepKind, Transaction, object};
use super::{Change, Touch, Touched};
use crate::model::id::ObjectId;
use crate::model::{BaseType, ColumnDefault, EnumType, Expr, Model, QualifiedName};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnumChange {
    CreateEnum(QualifiedName, EnumType),
    /// An enum whose values are removed or reordered: a new type replaces it, every column
    /// using it is converted through `text`.
    RecreateEnum {
        name: QualifiedName,
        from: Vec<String>,
        values: Vec<String>,
        columns: Vec<EnumColumn>,
    },
    /// `ALTER TYPE … ADD VALUE … BEFORE/AFTER …` (`None`: at the end).
    AddEnumValue {
        name: QualifiedName,
        value: String,
        position: Option<EnumPosition>,
    },
    DropEnum(QualifiedName),
}

impl From<EnumChange> for Change {
    fn from(c: EnumChange) -> Change {
        Change::Enum(c)
    }
}

/// A column converted to a recreated enum, with the default it gets back afterwards.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnumColumn {
    pub table: QualifiedName,
    pub column: String,
    pub array: bool,
    /// The column has a default now (dropped before the conversion: it cannot be cast).
    pub had_default: bool,
    /// The default set again after the conversion.
    pub default: Option<Expr>,
    /// The column leaves the type in this migration: it is converted to `text` instead (the
    /// later type change takes it on from there), so values the new type lacks survive.
    pub to_text: bool,
}

/// Where a new enum value goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnumPosition {
    Before(String),
    After(String),
}

pub(super) fn diff(
    out: &mut Vec<Change>,
    from: &mut Cow<'_, Model>,
    to: &Model,
    touched: &mut Touched,
) {
    for (q, e) in to.enums() {
        match from.enum_type(&q).cloned() {
            None => {
                out.push(EnumChange::CreateEnum(q.clone(), e.clone()).into());
                if let Some(c) = &e.comment {
                    out.push(Change::Comment(CommentTarget::Type(q), Some(c.clone())));
                }
            }
            Some(old) => {
                let recreated =
                    old.values != e.values && !enum_values(out, &q, &old.values, &e.values);
                // Domains and composite types over the enum are not converted.
                let typed = super::domain::type_users(from, &BaseType::Enum(q.clone()));
                if recreated && !typed.is_empty() {
                    out.push(Change::Unsupported(format!(
                        "remove or reorder values of enum {q} while {} use it (recreating the enum cannot convert them)",
                        typed.join(", ")
                    )));
                    continue;
                }
                if recreated {
                    let columns = recreate_enum(from.to_mut(), to, &q, touched);
                    out.push(Change::Enum(EnumChange::RecreateEnum {
                        name: q.clone(),
                        from: old.values.clone(),
                        values: e.values.clone(),
                        columns,
                    }));
                }
                // A recreated type starts without a comment.
                if old.comment != e.comment || (recreated && e.comment.is_some()) {
                    out.push(Change::Comment(CommentTarget::Type(q), e.comment.clone()));
                }
            }
        }
    }
    for (q, _) in from.enums() {
        if to.enum_type(&q).is_some() {
            continue;
        }
        if to.table(&q).is_none() {
            out.push(EnumChange::DropEnum(q).into());
            continue;
        }
        // Columns converted away from the type change after tables are created: too late.
        let enum_type = BaseType::Enum(q.clone());
        let converted = from.tables().any(|(tq, t)| {
            to.table(&tq).is_some_and(|nt| {
                t.columns
                    .iter()
                    .any(|c| c.data_type.base == enum_type && nt.column(&c.name).is_some())
            })
        });
        out.push(if converted {
            Change::Unsupported(format!(
                "replace enum {q} by a table of the same name while columns change from the enum to another type (change the columns and drop the enum in one migration, create the table in the next)"
            ))
        } else {
            EnumChange::DropEnum(q).into()
        });
    }
}

/// Values added anywhere (old values keep their relative order) become `ADD VALUE`s placed
/// next to a neighbour. Returns false (adding nothing) when values are removed or reordered:
/// then the type must be recreated.
pub(super) fn enum_values(
    out: &mut Vec<Change>,
    q: &QualifiedName,
    old: &[String],
    new: &[String],
) -> bool {
    let kept: Vec<&String> = new.iter().filter(|v| old.contains(v)).collect();
    if kept.len() != old.len() || kept.iter().zip(old).any(|(a, b)| *a != b) {
        return false;
    }
    for (i, v) in new.iter().enumerate() {
        if old.contains(v) {
            continue;
        }
        // Values are added in order, so the previous one exists by now; the first goes
        // before the first value that already exists.
        let position = match i {
            0 => new
                .iter()
                .find(|n| old.contains(n))
                .map(|n| EnumPosition::Before(n.clone())),
            _ => Some(EnumPosition::After(new[i - 1].clone())),
        };
        out.push(Change::Enum(EnumChange::AddEnumValue {
            name: q.clone(),
            value: v.clone(),
            position,
        }));
    }
    true
}

/// The columns (of tables kept in `to`) converted when enum `q` is recreated. Their defaults
/// are dropped before and set after the conversion, to the new schema's default when the
/// column keeps the type (else none: the later type change sets it), and `from` is updated
/// to match so the column diff does not repeat it.
fn recreate_enum(
    from: &mut Model,
    to: &Model,
    q: &QualifiedName,
    touched: &mut Touched,
) -> Vec<EnumColumn> {
    let mut columns = Vec::new();
    let enum_type = BaseType::Enum(q.clone());
    for (s, schema) in from.schemas.iter_mut() {
        for (n, t) in schema.tables.iter_mut() {
            let tq = QualifiedName::new(s.clone(), n.clone());
            let Some(target) = to.table(&tq) else {
                continue;
            };
            // Checks, indexes and generated columns that name the type (`x::st`) would keep
            // the old one alive: they are rebuilt like those on converted columns.
            let names_type = |e: &Expr| e.names_word(&q.name);
            let exprs = t
                .checks
                .values()
                .map(|c| &c.expr)
                .chain(t.indexes.values().flat_map(|i| {
                    i.keys
                        .iter()
                        .filter_map(|k| k.expr.as_ref())
                        .chain(i.predicate.as_ref())
                }));
            for e in exprs.filter(|e| names_type(e)) {
                for c in e.referenced_columns() {
                    touched.entry((tq.clone(), c)).or_insert(Touch::Recast);
                }
            }
            for c in &mut t.columns {
                if c.data_type.base != enum_type {
                    if c.generated.as_ref().is_some_and(names_type) {
                        touched.insert((tq.clone(), c.name.clone()), Touch::Recreate);
                    }
                    continue;
                }
                let Some(tc) = target.column(&c.name) else {
                    continue;
                };
                if c.generated.is_some() {
                    // PostgreSQL cannot convert a generated column with `USING`: it is
                    // dropped before and added again after.
                    touched.insert((tq.clone(), c.name.clone()), Touch::Recreate);
                    continue;
                }
                let had_default = matches!(c.default, Some(ColumnDefault::Sql(_)));
                let default = match &tc.default {
                    Some(ColumnDefault::Sql(e)) if tc.data_type == c.data_type => Some(e.clone()),
                    _ => None,
                };
                let to_text = tc.data_type.base != enum_type;
                c.default = default.clone().map(ColumnDefault::Sql);
                if to_text {
                    c.data_type.base = BaseType::Builtin("text".into());
                }
                touched.insert((tq.clone(), c.name.clone()), Touch::Recast);
                columns.push(EnumColumn {
                    table: tq.clone(),
                    column: c.name.clone(),
                    array: c.data_type.array,
                    had_default,
                    default,
                    to_text,
                });
            }
        }
    }
    columns
}

pub(super) fn step(c: &EnumChange) -> StepInfo {
    match c {
        EnumChange::CreateEnum(q, _) => StepInfo::new(
            StepKind::CreateEnum,
            object(q, None),
            vec![],
            Phase::CreateType,
        )
        .effect(ObjectId::type_name(q), Effect::Create),
        EnumChange::RecreateEnum {
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
            // What uses the type as it is now (a routine's signature) goes before it.
            StepInfo::new(
                StepKind::RecreateEnum,
                object(name, None),
                h,
                Phase::RecreateType,
            )
            .effect(ObjectId::type_name(name), Effect::Alter)
        }
        EnumChange::AddEnumValue { name, value, .. } => StepInfo {
            // A new enum value cannot be used in the transaction that adds it: run it alone.
            transaction: Transaction::None,
            ..StepInfo::new(
                StepKind::AddEnumValue,
                object(name, Some(value)),
                vec![],
                Phase::AddEnumValue,
            )
        },
        // Its name may be taken by a table created in the same plan (tables and types
        // share a namespace): the effect puts the drop first.
        EnumChange::DropEnum(q) => StepInfo::new(
            StepKind::DropEnum,
            object(q, None),
            vec![Hazard::BreaksClients],
            Phase::DropType,
        )
        .effect(ObjectId::type_name(q), Effect::Drop),
    }
}

pub(super) fn deviation(c: &EnumChange) -> String {
    match c {
        EnumChange::CreateEnum(q, _) => format!("extra in the database: enum {q}"),
        EnumChange::AddEnumValue { name, value, .. } => {
            format!("extra in the database: value {value:?} of enum {name}")
        }
        EnumChange::DropEnum(q) => format!("missing from the database: enum {q}"),
        EnumChange::RecreateEnum {
            name, from, values, ..
        } => format!(
            "different in the database: values of enum {name} are [{}], expected [{}]",
            values.join(", "),
            from.join(", ")
        ),
    }
}
