//! Sequences of `[sequences]`: created (before the tables whose defaults call `nextval` on
//! them), options altered in place (`ALTER SEQUENCE`, never a restart), OWNED BY set once the
//! owning column exists and removed before a column it was owned by goes, dropped (the
//! current value is lost: `deletes_data`) after the defaults that used them changed.

use super::Change;
use super::comment::CommentTarget;
use super::rename::relation_name;
use super::step::{Effect, Hazard, Phase, StepInfo, StepKind, object};
use crate::model::id::{ObjectId, ObjectKind};
use crate::model::sequence::{Owner, Sequence, sequences};
use crate::model::{Model, QualifiedName};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SequenceChange {
    /// `CREATE SEQUENCE` with its options; OWNED BY follows as [`SequenceChange::SetOwner`].
    Create(QualifiedName, Sequence),
    /// `ALTER SEQUENCE` to `to`'s options (from `from`'s).
    Alter {
        name: QualifiedName,
        from: Sequence,
        to: Sequence,
    },
    /// `ALTER SEQUENCE … OWNED BY table.column`, or `OWNED BY NONE`.
    SetOwner(QualifiedName, Option<Owner>),
    /// `DROP SEQUENCE IF EXISTS`: a sequence OWNED BY a dropped table or column is already
    /// gone with it.
    Drop(QualifiedName),
}

impl From<SequenceChange> for Change {
    fn from(c: SequenceChange) -> Change {
        Change::Sequence(c)
    }
}

pub(super) fn diff(out: &mut Vec<Change>, from: &Model, to: &Model) {
    // Tables dropped and created again (partitioning switches): DROP TABLE would take a
    // sequence they own along, so it is released before and owned again after.
    let recreated = super::partition::recreated(from, to);
    for (q, s) in sequences(to) {
        match from.sequence(&q) {
            None => {
                out.push(SequenceChange::Create(q.clone(), s.clone()).into());
                if let Some(o) = &s.owned_by {
                    out.push(SequenceChange::SetOwner(q.clone(), Some(o.clone())).into());
                }
                if let Some(c) = &s.comment {
                    out.push(Change::Comment(CommentTarget::Sequence(q), Some(c.clone())));
                }
            }
            Some(old) => {
                if !old.same_options(s) {
                    out.push(
                        SequenceChange::Alter {
                            name: q.clone(),
                            from: old.clone(),
                            to: s.clone(),
                        }
                        .into(),
                    );
                }
                let owner_recreated = old.owned_by.as_ref().is_some_and(|o| {
                    recreated.contains(&QualifiedName::new(q.schema.clone(), o.table.clone()))
                });
                if old.owned_by != s.owned_by || owner_recreated {
                    // Released first, before the old owning column may be dropped (it would
                    // take the sequence with it); taken once the new owner exists.
                    if old.owned_by.is_some() {
                        out.push(SequenceChange::SetOwner(q.clone(), None).into());
                    }
                    if let Some(o) = &s.owned_by {
                        out.push(SequenceChange::SetOwner(q.clone(), Some(o.clone())).into());
                    }
                }
                if old.comment != s.comment {
                    out.push(Change::Comment(
                        CommentTarget::Sequence(q),
                        s.comment.clone(),
                    ));
                }
            }
        }
    }
    for (q, _) in sequences(from) {
        if to.sequence(&q).is_none() {
            out.push(SequenceChange::Drop(q).into());
        }
    }
}

fn id(q: &QualifiedName) -> ObjectId {
    ObjectId::new(ObjectKind::Sequence, &q.schema, &q.name)
}

pub(super) fn step(c: &SequenceChange) -> StepInfo {
    match c {
        SequenceChange::Create(q, _) => StepInfo::new(
            StepKind::CreateSequence,
            object(q, None),
            vec![],
            Phase::CreateSequence,
        )
        .effect(id(q), Effect::Create)
        .effect(relation_name(&q.schema, &q.name), Effect::Create),
        SequenceChange::Alter { name, from, to } => {
            // A narrower range fails when the current value is outside it.
            let (f, t) = (from.effective(), to.effective());
            let narrower = from.data_type != to.data_type && to.data_type != "bigint"
                || t.min_value > f.min_value
                || t.max_value < f.max_value;
            let hazards = if narrower {
                vec![Hazard::MayFailOnData]
            } else {
                vec![]
            };
            StepInfo::new(
                StepKind::AlterSequence,
                object(name, None),
                hazards,
                Phase::AlterColumn,
            )
            .effect(id(name), Effect::Alter)
        }
        SequenceChange::SetOwner(q, None) => StepInfo::new(
            StepKind::SetSequenceOwner,
            object(q, None),
            vec![],
            Phase::DisownSequence,
        )
        .effect(id(q), Effect::Alter),
        SequenceChange::SetOwner(q, Some(o)) => StepInfo::new(
            StepKind::SetSequenceOwner,
            object(q, None),
            vec![],
            Phase::OwnSequence,
        )
        .after(id(q))
        .after(ObjectId::new(ObjectKind::Table, &q.schema, &o.table)),
        SequenceChange::Drop(q) => StepInfo::new(
            StepKind::DropSequence,
            object(q, None),
            vec![Hazard::DeletesData],
            Phase::DropSequence,
        )
        .effect(id(q), Effect::Drop)
        .effect(relation_name(&q.schema, &q.name), Effect::Drop),
    }
}

pub(super) fn deviation(c: &SequenceChange) -> String {
    match c {
        SequenceChange::Create(q, _) => format!("extra in the database: sequence {q}"),
        SequenceChange::Alter { name, .. } => {
            format!("different in the database: options of sequence {name}")
        }
        SequenceChange::SetOwner(q, _) => {
            format!("different in the database: owner of sequence {q}")
        }
        SequenceChange::Drop(q) => format!("missing from the database: sequence {q}"),
    }
}
