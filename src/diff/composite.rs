//! Composite types: created, attributes added, dropped or retyped in place (`ALTER TYPE …
//! ADD / DROP / ALTER ATTRIBUTE`), dropped. PostgreSQL only appends attributes, and refuses
//! to retype an attribute of a type a table column uses: an attribute that moves, or is
//! retyped while columns use the type, is dropped and added again at the end with the
//! attributes after it (their values lost: `deletes_data` when columns use the type).

use super::Change;
use super::comment::CommentTarget;
use super::step::{Effect, Hazard, Phase, StepInfo, StepKind, object};
use crate::model::id::ObjectId;
use crate::model::{Attribute, BaseType, CompositeType, Model, QualifiedName};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CompositeChange {
    CreateType(QualifiedName, CompositeType),
    /// With the user types its attributes use: dropped after this.
    DropType(QualifiedName, Vec<QualifiedName>),
    /// Attributes appended, in order (one statement).
    AddAttributes(QualifiedName, Vec<Attribute>),
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
        // PostgreSQL only appends attributes: the longest start of the new list that keeps
        // the old relative order (and, when columns use the type, the old attribute types)
        // stays; old attributes after it are dropped and added again at the end, in the new
        // order (their values are lost).
        let mut last = None;
        let kept = c
            .attributes
            .iter()
            .take_while(|a| {
                let Some(pos) = old.attributes.iter().position(|o| o.name == a.name) else {
                    return false;
                };
                // PostgreSQL refuses to retype an attribute of a type a column uses.
                let retyped = old.attributes[pos] != **a && !users.is_empty();
                let fits = last.is_none_or(|l| pos > l) && !retyped;
                last = Some(pos);
                fits
            })
            .count();
        let stays = |n: &str| c.attributes[..kept].iter().any(|a| a.name == n);
        for a in &old.attributes {
            if !stays(&a.name) {
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
        for a in &c.attributes[..kept] {
            let Some(o) = old.attribute(&a.name) else {
                continue;
            };
            if o == a {
                continue;
            }
            out.push(CompositeChange::AlterAttribute(q.clone(), a.clone()).into());
        }
        if kept < c.attributes.len() {
            out.push(
                CompositeChange::AddAttributes(q.clone(), c.attributes[kept..].to_vec()).into(),
            );
        }
        if old.comment != c.comment {
            out.push(Change::Comment(CommentTarget::Type(q), c.comment.clone()));
        }
    }
    // A type used by another's attributes goes after it.
    let mut dropped: Vec<(QualifiedName, &CompositeType)> = from
        .composite_types()
        .filter(|(q, _)| to.composite_type(q).is_none())
        .collect();
    while !dropped.is_empty() {
        let free = (0..dropped.len())
            .find(|&i| {
                let base = BaseType::Composite(dropped[i].0.clone());
                !dropped
                    .iter()
                    .any(|(_, c)| c.attributes.iter().any(|a| a.data_type.base == base))
            })
            .unwrap_or(0);
        let (q, c) = dropped.remove(free);
        let uses = c
            .attributes
            .iter()
            .filter_map(|a| a.data_type.base.user_type().cloned())
            .collect();
        out.push(CompositeChange::DropType(q, uses).into());
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

pub(super) fn step(c: &CompositeChange) -> StepInfo {
    match c {
        CompositeChange::CreateType(q, t) => {
            let mut s = StepInfo::new(
                StepKind::CreateCompositeType,
                object(q, None),
                vec![],
                Phase::CreateType,
            )
            .effect(ObjectId::type_name(q), Effect::Create);
            for u in t
                .attributes
                .iter()
                .filter_map(|a| a.data_type.base.user_type())
            {
                s = s.after(ObjectId::type_name(u));
            }
            s
        }
        CompositeChange::DropType(q, uses) => {
            let mut s = StepInfo::new(
                StepKind::DropCompositeType,
                object(q, None),
                vec![Hazard::BreaksClients],
                Phase::DropType,
            )
            .effect(ObjectId::type_name(q), Effect::Drop);
            for u in uses {
                s = s.before(ObjectId::type_name(u));
            }
            s
        }
        CompositeChange::AddAttributes(q, attrs) => {
            let mut s = StepInfo::new(
                StepKind::AddAttribute,
                object(q, attrs.first().map(|a| a.name.as_str())),
                vec![],
                Phase::CreateType,
            )
            .effect(ObjectId::type_name(q), Effect::Alter);
            for u in attrs.iter().filter_map(|a| a.data_type.base.user_type()) {
                s = s.after(ObjectId::type_name(u));
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
            .effect(ObjectId::type_name(q), Effect::Alter);
            if let Some(u) = a.data_type.base.user_type() {
                s = s.after(ObjectId::type_name(u));
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
        CompositeChange::DropType(q, _) => format!("missing from the database: composite type {q}"),
        CompositeChange::AddAttributes(q, attrs) => {
            let names: Vec<&str> = attrs.iter().map(|a| a.name.as_str()).collect();
            format!(
                "extra in the database: attributes {} of composite type {q}",
                names.join(", ")
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
