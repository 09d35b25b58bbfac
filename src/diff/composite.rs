//! Composite types: created, attributes added, dropped or retyped in place (`ALTER TYPE …
//! ADD / DROP / ALTER ATTRIBUTE`), dropped. PostgreSQL refuses to retype an attribute of a
//! type a table column uses: that is reported as unsupported. Attribute order is only
//! changed by recreating the type, so a reorder of a type no column uses recreates it.

use super::Change;
use super::comment::CommentTarget;
use super::step::{Effect, Hazard, Phase, StepInfo, StepKind, object};
use crate::model::id::{ObjectId, ObjectKind};
use crate::model::{Attribute, BaseType, CompositeType, Model, QualifiedName};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CompositeChange {
    CreateType(QualifiedName, CompositeType),
    DropType(QualifiedName),
    AddAttribute(QualifiedName, Attribute),
    /// `used`: columns of tables hold values of the type (their attribute is lost).
    DropAttribute {
        name: QualifiedName,
        attribute: String,
        used: bool,
    },
    /// `ALTER ATTRIBUTE … TYPE` of a type no column uses.
    AlterAttribute(QualifiedName, Attribute),
}

impl From<CompositeChange> for Change {
    fn from(c: CompositeChange) -> Change {
        Change::Composite(c)
    }
}

pub(super) fn diff(out: &mut Vec<Change>, from: &Model, to: &Model) {
    for (q, c) in to.composite_types() {
        let Some(old) = from.composite_type(&q) else {
            create(out, &q, c);
            continue;
        };
        let users = from.users_of(&BaseType::Composite(q.clone()));
        // Attributes kept in both, in the old order, must keep their relative order.
        let kept_old: Vec<&str> = old
            .attributes
            .iter()
            .filter(|a| c.attribute(&a.name).is_some())
            .map(|a| a.name.as_str())
            .collect();
        let kept_new: Vec<&str> = c
            .attributes
            .iter()
            .filter(|a| old.attribute(&a.name).is_some())
            .map(|a| a.name.as_str())
            .collect();
        // New attributes can only go at the end.
        let appended = c
            .attributes
            .iter()
            .skip_while(|a| old.attribute(&a.name).is_some())
            .all(|a| old.attribute(&a.name).is_none());
        if kept_old != kept_new || !appended {
            if users.is_empty() {
                out.push(CompositeChange::DropType(q.clone()).into());
                create(out, &q, c);
            } else {
                out.push(Change::Unsupported(format!(
                    "reorder the attributes of composite type {q} while {} use it (new attributes can only be added at the end)",
                    users.join(", ")
                )));
            }
            continue;
        }
        for a in &old.attributes {
            if c.attribute(&a.name).is_none() {
                out.push(
                    CompositeChange::DropAttribute {
                        name: q.clone(),
                        attribute: a.name.clone(),
                        used: !users.is_empty(),
                    }
                    .into(),
                );
            }
        }
        for a in &c.attributes {
            match old.attribute(&a.name) {
                None => out.push(CompositeChange::AddAttribute(q.clone(), a.clone()).into()),
                Some(o) if o != a => {
                    if users.is_empty() {
                        out.push(CompositeChange::AlterAttribute(q.clone(), a.clone()).into());
                    } else {
                        out.push(Change::Unsupported(format!(
                            "change the type of attribute {} of composite type {q} while {} use it (PostgreSQL refuses)",
                            a.name,
                            users.join(", ")
                        )));
                    }
                }
                Some(_) => {}
            }
        }
        if old.comment != c.comment {
            out.push(Change::Comment(CommentTarget::Type(q), c.comment.clone()));
        }
    }
    for (q, _) in from.composite_types() {
        if to.composite_type(&q).is_none() {
            out.push(CompositeChange::DropType(q).into());
        }
    }
}

fn create(out: &mut Vec<Change>, q: &QualifiedName, c: &CompositeType) {
    out.push(CompositeChange::CreateType(q.clone(), c.clone()).into());
    if let Some(t) = &c.comment {
        out.push(Change::Comment(
            CommentTarget::Type(q.clone()),
            Some(t.clone()),
        ));
    }
}

fn type_name(q: &QualifiedName) -> ObjectId {
    ObjectId::new(ObjectKind::TypeName, &q.schema, &q.name)
}

pub(super) fn step(c: &CompositeChange) -> StepInfo {
    match c {
        CompositeChange::CreateType(q, t) => {
            let mut s = StepInfo::new(
                StepKind::CreateCompositeType,
                object(q, None),
                vec![],
                Phase::CreateType,
            )
            .effect(type_name(q), Effect::Create);
            for u in t
                .attributes
                .iter()
                .filter_map(|a| a.data_type.base.user_type())
            {
                s = s.after(type_name(u));
            }
            s
        }
        CompositeChange::DropType(q) => StepInfo::new(
            StepKind::DropCompositeType,
            object(q, None),
            vec![Hazard::BreaksClients],
            Phase::DropType,
        )
        .effect(type_name(q), Effect::Drop),
        CompositeChange::AddAttribute(q, a) => {
            let mut s = StepInfo::new(
                StepKind::AddAttribute,
                object(q, Some(&a.name)),
                vec![],
                Phase::CreateType,
            )
            .effect(type_name(q), Effect::Alter);
            if let Some(u) = a.data_type.base.user_type() {
                s = s.after(type_name(u));
            }
            s
        }
        CompositeChange::DropAttribute {
            name,
            attribute,
            used,
        } => StepInfo::new(
            StepKind::DropAttribute,
            object(name, Some(attribute)),
            if *used {
                vec![Hazard::DeletesData, Hazard::BreaksClients]
            } else {
                vec![Hazard::BreaksClients]
            },
            Phase::DropColumn,
        ),
        CompositeChange::AlterAttribute(q, a) => {
            let mut s = StepInfo::new(
                StepKind::AlterAttributeType,
                object(q, Some(&a.name)),
                vec![],
                Phase::CreateType,
            )
            .effect(type_name(q), Effect::Alter);
            if let Some(u) = a.data_type.base.user_type() {
                s = s.after(type_name(u));
            }
            s
        }
    }
}

pub(super) fn deviation(c: &CompositeChange) -> String {
    match c {
        CompositeChange::CreateType(q, _) => {
            format!("extra in the database: composite type {q}")
        }
        CompositeChange::DropType(q) => format!("missing from the database: composite type {q}"),
        CompositeChange::AddAttribute(q, a) => {
            format!(
                "extra in the database: attribute {} of composite type {q}",
                a.name
            )
        }
        CompositeChange::DropAttribute {
            name, attribute, ..
        } => format!("missing from the database: attribute {attribute} of composite type {name}"),
        CompositeChange::AlterAttribute(q, a) => format!(
            "different in the database: attribute {} of composite type {q}",
            a.name
        ),
    }
}
