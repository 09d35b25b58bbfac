//! Diff two models into a list of changes. Pure: never touches files or a database.
//!
//! Declared renames are applied to the old model first (becoming `ALTER … RENAME` changes),
//! then each object kind's module finds its creations, drops and changes by name: schemas,
//! extensions, enums, tables (columns, constraints, indexes, foreign keys), comments.
//! Changed constraints and indexes are dropped and re-added; enums that lose or reorder
//! values are recreated. What cannot be planned becomes [`Change::Unsupported`], so `plan`
//! says exactly what instead of emitting wrong SQL.
//!
//! Each kind's module also says what its changes are as steps ([`step::StepInfo`]: kind,
//! hazards, phase, dependencies) and, for `drift`, as deviations of a database. Adding an
//! object kind means a module here and one line in each `match` of [`Change`]'s methods.

pub mod aggregate;
pub mod comment;
pub mod composite;
pub mod domain;
pub mod enum_type;
pub mod extension;
pub mod function;
pub mod grant;
mod hints;
pub mod partition;
pub mod policy;
pub mod rename;
pub mod schema;
pub mod sequence;
pub mod step;
pub mod table;
pub mod trigger;
pub mod typechange;
pub mod view;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

pub use aggregate::AggregateChange;
pub use comment::CommentTarget;
pub use composite::CompositeChange;
pub use domain::DomainChange;
pub use enum_type::{EnumChange, EnumColumn, EnumPosition};
pub use extension::ExtensionChange;
pub use function::FunctionChange;
pub use partition::PartitionChange;
pub use policy::PolicyChange;
pub use schema::SchemaChange;
pub use sequence::SequenceChange;
pub use step::StepInfo;
pub use table::TableChange;
pub use trigger::TriggerChange;
pub use view::ViewChange;

use crate::model::rename::{self as renames, Rename};
use crate::model::{Model, QualifiedName};

/// One change, by object kind. A new kind registers its change type here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A declared rename (`renamed_from`, `renamed_values`) or one that follows from it
    /// (default-named constraints and indexes of a renamed table or column).
    Rename(Rename),
    Schema(SchemaChange),
    Extension(ExtensionChange),
    Enum(EnumChange),
    Table(TableChange),
    View(ViewChange),
    Sequence(SequenceChange),
    Partition(PartitionChange),
    Domain(DomainChange),
    Composite(CompositeChange),
    Function(FunctionChange),
    Trigger(TriggerChange),
    Aggregate(AggregateChange),
    /// Row-level security flags and policies of a table.
    Policy(PolicyChange),
    /// `COMMENT ON …`; `None` removes the comment.
    Comment(CommentTarget, Option<String>),
    /// `GRANT`/`REVOKE` of managed privileges.
    Grant(grant::GrantChange),
    /// A difference this version cannot plan, described for the user.
    Unsupported(String),
}

impl Change {
    /// What the change is as a step. `None` for [`Change::Unsupported`].
    pub fn step(&self) -> Option<StepInfo> {
        Some(match self {
            Change::Rename(r) => rename::step(r),
            Change::Schema(c) => schema::step(c),
            Change::Extension(c) => extension::step(c),
            Change::Enum(c) => enum_type::step(c),
            Change::Table(c) => table::step(c),
            Change::View(c) => view::step(c),
            Change::Sequence(c) => sequence::step(c),
            Change::Partition(c) => partition::step(c),
            Change::Domain(c) => domain::step(c),
            Change::Composite(c) => composite::step(c),
            Change::Function(c) => function::step(c),
            Change::Trigger(c) => trigger::step(c),
            Change::Aggregate(c) => aggregate::step(c),
            Change::Policy(c) => policy::step(c),
            Change::Comment(target, _) => comment::step(target),
            Change::Grant(c) => grant::step(c),
            Change::Unsupported(_) => return None,
        })
    }

    /// How a database deviates from `expected` if this change (of `diff(expected, live)`)
    /// is needed to make it `live`: one line for `drift` and `verify`, or `None` when the
    /// change is no difference of its own (an unchanged object rebuilt around another).
    pub fn deviation(&self, expected: &Model, live: &Model) -> Option<String> {
        Some(match self {
            // Not produced there: no renames are passed.
            Change::Rename(_) => "different in the database: a name".to_string(),
            Change::Schema(c) => schema::deviation(c),
            Change::Extension(c) => extension::deviation(c),
            Change::Enum(c) => enum_type::deviation(c),
            Change::Table(c) => return table::deviation(c, expected, live),
            Change::View(c) => return view::deviation(c),
            Change::Sequence(c) => sequence::deviation(c),
            Change::Partition(c) => return partition::deviation(c),
            Change::Domain(c) => domain::deviation(c),
            Change::Composite(c) => composite::deviation(c),
            Change::Function(c) => return function::deviation(c),
            Change::Trigger(c) => return trigger::deviation(c),
            Change::Aggregate(c) => return aggregate::deviation(c),
            Change::Policy(c) => policy::deviation(c),
            Change::Comment(target, _) => comment::deviation(target),
            Change::Grant(c) => grant::deviation(c),
            Change::Unsupported(what) => match what.strip_prefix("drop ") {
                Some(rest) => format!("missing from the database: {rest}"),
                None => format!(
                    "different in the database: {}",
                    what.strip_prefix("change ").unwrap_or(what)
                ),
            },
        })
    }
}

/// The result of comparing two models: changes, plus hints for the reviewer (a drop and a
/// create of the same shape that were probably meant as a rename).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diff {
    pub changes: Vec<Change>,
    pub hints: Vec<String>,
}

/// Changes that turn `from` into `to`, in a deterministic (not yet executable) order.
pub fn diff(from: &Model, to: &Model) -> Vec<Change> {
    compare(from, to, &[]).changes
}

/// The changes of a down file: from `from` (the new schema) back to `to` (the previous
/// head), undoing `renames` (the up migration's applied renames, as
/// [`renames::reverse_all`] gives them). Objects that hold a name one of them takes back (the
/// up migration reused the old name) are dropped first: the first list, to run before
/// everything else, renames included.
pub fn reverse(from: &Model, to: &Model, renames: &[Rename]) -> (Vec<Change>, Diff) {
    let freed = renames::without_occupants(from, renames);
    let first = if matches!(freed, Cow::Borrowed(_)) || *freed == *from {
        Vec::new()
    } else {
        diff(from, &freed)
    };
    (first, compare(&freed, to, renames))
}

/// How a column's dependants are affected by a change that replaces the column's type or
/// the column itself in place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Touch {
    /// Converted to a recreated enum: PostgreSQL rebuilds indexes on the plain column, but
    /// checks, expression or partial indexes and foreign keys naming the old type would not
    /// survive the swap, so they are dropped before and added again after.
    Recast,
    /// Dropped and added again (generated expression): everything using it is.
    Recreate,
}

type Touched = BTreeMap<(QualifiedName, String), Touch>;

/// Changes that turn `from` into `to`, with `renames` (from `renamed_from` and
/// `renamed_values`) applied first; stale renames do nothing.
pub fn compare(from: &Model, to: &Model, renames: &[Rename]) -> Diff {
    let mut out = Vec::new();
    let original = from;
    // Cloned only if a rename or a recreated enum changes it.
    let mut from = Cow::Borrowed(from);
    let applied = renames::apply(&mut from, renames, to);
    let mut affected = BTreeSet::new();
    for r in &applied {
        match r {
            Rename::Table { schema, to, .. } => {
                affected.insert(QualifiedName::new(schema.clone(), to.clone()));
            }
            Rename::Column { table, .. } => {
                affected.insert(table.clone());
            }
            _ => {}
        }
        out.push(Change::Rename(r.clone()));
    }
    if !affected.is_empty() {
        table::derived_renames(&mut out, from.to_mut(), to, &affected);
    }
    // A serial column on one side whose sequence is declared with options on the other.
    let mut to = Cow::Borrowed(to);
    crate::model::sequence::unfold_serials_declared_in(&mut from, &to);
    crate::model::sequence::unfold_serials_declared_in(&mut to, &from);
    let to: &Model = &to;
    table::primary_key_renames(&mut out, &mut from, to);
    schema::diff(&mut out, &from, to);
    extension::diff(&mut out, &from, to);
    let mut touched = Touched::new();
    enum_type::diff(&mut out, &mut from, to, &mut touched);
    // Composite types first: their drops go before those of the domains they use.
    composite::diff(&mut out, &from, to);
    domain::diff(&mut out, &from, to);
    table::diff(&mut out, &from, to, &mut touched);
    function::diff(&mut out, &from, to);
    function::rebuild_callers(&mut out, &from, to);
    aggregate::diff(&mut out, &from, to);
    trigger::diff(&mut out, &from, to);
    policy::diff(&mut out, &from, to, &touched);
    view::diff(&mut out, &from, to, &touched, &applied);
    trigger::diff_views(&mut out, &from, to);
    sequence::diff(&mut out, &from, to);
    domain::mark_domain_moves(&mut out, &from, to);
    // After every kind that drops and re-adds constraints or indexes.
    table::part_comments(&mut out, &from, to);
    // Last: grants see which objects the other changes drop and create again.
    grant::diff(&mut out, &from, to);
    let uses = function::body_uses(&out, to);
    out.extend(uses);
    let mut hints = hints::ignored_renames(original, renames, &applied);
    hints.extend(hints::renames(&from, to, &out));
    hints.extend(partition::hints(&from, to));
    Diff {
        changes: out,
        hints,
    }
}

#[cfg(test)]
mod tests {
    use super::enum_type::enum_values;
    use super::*;
    use crate::model::{Column, ColumnDefault, Extension, Table};

    #[test]
    fn extension_without_schema_matches_any_schema() {
        let mut anywhere = Model::default();
        anywhere
            .extensions
            .insert("citext".into(), Extension { schema: None });
        let mut public = Model::default();
        public.extensions.insert(
            "citext".into(),
            Extension {
                schema: Some("public".into()),
            },
        );
        let mut other = Model::default();
        other.extensions.insert(
            "citext".into(),
            Extension {
                schema: Some("ext".into()),
            },
        );
        assert!(diff(&anywhere, &public).is_empty());
        assert!(diff(&public, &anywhere).is_empty());
        assert_eq!(
            diff(&public, &other),
            vec![Change::Unsupported(
                "move extension `citext` to another schema".into()
            )]
        );
    }

    #[test]
    fn literal_defaults_compare_by_typed_value() {
        let col = |ty: &str, default: &str| Column {
            grants: None,
            name: "c".into(),
            data_type: crate::model::DataType::builtin(ty),
            nullable: false,
            default: Some(ColumnDefault::Sql(
                crate::model::Expr::parse(default).unwrap(),
            )),
            identity: None,
            identity_options: None,
            generated: None,
            collation: None,
            comment: None,
        };
        let model = |c: Column| {
            let mut m = Model::default();
            m.schemas.entry("public".into()).or_default().tables.insert(
                "t".into(),
                Table {
                    columns: vec![c],
                    ..Table::default()
                },
            );
            m
        };
        let a = model(col("interval", "'1 hour'"));
        let b = model(col("interval", "'01:00:00'::interval"));
        assert!(diff(&a, &b).is_empty());
        assert!(diff(&b, &a).is_empty());
        let c = model(col("interval", "'2 hours'"));
        assert_eq!(diff(&a, &c).len(), 1);
        // Only for the type that reformats: as text they are different values.
        let t1 = model(col("text", "'1 hour'"));
        let t2 = model(col("text", "'01:00:00'"));
        assert_eq!(diff(&t1, &t2).len(), 1);
    }

    #[test]
    fn a_changed_constraint_comment_is_only_a_comment() {
        let model = |comment: Option<&str>| {
            let mut m = Model::default();
            let t = Table {
                uniques: [(
                    "t_a_key".to_string(),
                    crate::model::Unique {
                        columns: vec!["a".into()],
                        deferrable: crate::model::Deferrable::No,
                        comment: comment.map(str::to_string),
                    },
                )]
                .into(),
                ..Table::default()
            };
            m.schemas
                .entry("public".into())
                .or_default()
                .tables
                .insert("t".into(), t);
            m
        };
        let target = CommentTarget::Constraint(QualifiedName::new("public", "t"), "t_a_key".into());
        assert_eq!(
            diff(&model(None), &model(Some("x"))),
            vec![Change::Comment(target.clone(), Some("x".into()))]
        );
        assert_eq!(
            diff(&model(Some("x")), &model(None)),
            vec![Change::Comment(target, None)]
        );
        assert!(diff(&model(Some("x")), &model(Some("x"))).is_empty());
    }

    #[test]
    fn identical_models_have_no_changes() {
        let mut m = Model::default();
        m.schemas.insert("public".into(), Default::default());
        assert!(diff(&m, &m).is_empty());
    }

    #[test]
    fn dropped_table_is_a_drop_and_enum_values_are_added_in_place() {
        let mut from = Model::default();
        from.schemas
            .entry("public".into())
            .or_default()
            .tables
            .insert("t".into(), Table::default());
        let mut to = Model::default();
        to.schemas.insert("public".into(), Default::default());
        assert_eq!(
            diff(&from, &to),
            vec![Change::Table(TableChange::DropTable(QualifiedName::new(
                "public", "t"
            )))]
        );

        let q = QualifiedName::new("public", "e");
        let mut out = Vec::new();
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        enum_values(
            &mut out,
            &q,
            &v(&["B", "D"]),
            &v(&["A", "B", "C", "D", "E"]),
        );
        let added: Vec<(String, Option<EnumPosition>)> = out
            .iter()
            .map(|c| match c {
                Change::Enum(EnumChange::AddEnumValue {
                    value, position, ..
                }) => (value.clone(), position.clone()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            added,
            vec![
                ("A".into(), Some(EnumPosition::Before("B".into()))),
                ("C".into(), Some(EnumPosition::After("B".into()))),
                ("E".into(), Some(EnumPosition::After("D".into()))),
            ]
        );
        let mut out = Vec::new();
        assert!(!enum_values(&mut out, &q, &v(&["A", "B"]), &v(&["B", "A"])));
        assert!(!enum_values(&mut out, &q, &v(&["A", "B"]), &v(&["A"])));
        assert!(out.is_empty());
    }
}
