//! One difference between an expected model and a live database, as data for `--format
//! json` (`drift`, `baseline`, `verify`): whether the object is extra, missing or different,
//! what kind of object it is, its path, and for columns and enums the expected and actual
//! definitions. The text is `Change::deviation`'s line; everything else is derived from the
//! change and the two models, so no object kind needs code of its own here.

use serde::Serialize;

use crate::diff::table::TableChange;
use crate::diff::{Change, EnumChange};
use crate::model::{Model, QualifiedName};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Deviation {
    /// `extra` (only in the database), `missing` (only expected) or `different`.
    pub change: &'static str,
    /// What differs, in the words of the message: `table`, `column`, `foreign key`,
    /// `default of`, `values of enum`, …
    pub kind: String,
    /// The object's path (`public.orders.orders_user_id_fkey`).
    pub object: String,
    /// The expected definition, where there is one to show (columns, enum values).
    pub expected: Option<String>,
    /// The database's definition, likewise.
    pub actual: Option<String>,
    /// The line `drift` prints.
    pub message: String,
}

const PREFIXES: &[(&str, &str)] = &[
    ("extra in the database: ", "extra"),
    ("missing from the database: ", "missing"),
    ("different in the database: ", "different"),
];

/// How the database deviates from `expected` when `c` (of `diff(expected, live)`) is needed;
/// `None` when the change is no difference of its own.
pub fn of(c: &Change, expected: &Model, live: &Model) -> Option<Deviation> {
    let message = c.deviation(expected, live)?;
    let (change, rest) = PREFIXES
        .iter()
        .find_map(|(p, id)| message.strip_prefix(p).map(|r| (*id, r)))
        .unwrap_or(("different", message.as_str()));
    let step = c.step();
    let object = step
        .as_ref()
        .map_or_else(|| rest.to_string(), |s| s.object.clone());
    let (kind, object) = match kind(rest, &object) {
        Some(found) => found,
        None => (
            step.map_or_else(
                || "object".to_string(),
                |s| <&str>::from(s.kind).to_string(),
            ),
            object,
        ),
    };
    let (expected_def, actual_def) = definitions(c, expected, live);
    Some(Deviation {
        change,
        kind,
        object,
        expected: expected_def,
        actual: actual_def,
        message: message.clone(),
    })
}

/// The words of `rest` before the token that names the object, and the object: the token
/// equal to the step's object or its last path component (or ending in it after a dot), or
/// one naming a part of it (`public.t.c` for a step on `public.t`, which is then the more
/// precise object). `foreign key` in `foreign key f on public.t`, `column` in `column
/// public.t.c (…)`.
fn kind(rest: &str, object: &str) -> Option<(String, String)> {
    let last = object.rsplit('.').next().filter(|l| !l.is_empty())?;
    let mut words = Vec::new();
    for token in rest.split(' ') {
        let trimmed = token.trim_end_matches(',');
        let bare = trimmed.trim_matches('"');
        let named = if [trimmed, bare]
            .iter()
            .any(|t| *t == last || *t == object || t.ends_with(&format!(".{last}")))
        {
            Some(object.to_string())
        } else if trimmed.starts_with(&format!("{object}.")) {
            Some(trimmed.to_string())
        } else {
            None
        };
        if let Some(o) = named {
            return (!words.is_empty()).then(|| (words.join(" "), o));
        }
        words.push(token);
    }
    None
}

/// Expected and actual definitions for the changes that have a short one: a column's
/// `CREATE TABLE` line, an enum's values.
fn definitions(c: &Change, expected: &Model, live: &Model) -> (Option<String>, Option<String>) {
    let column = |m: &Model, q: &QualifiedName, name: &str| {
        m.table(q)
            .and_then(|t| t.column(name))
            .map(crate::render::column_definition)
    };
    match c {
        Change::Table(
            TableChange::AlterColumnType {
                table, column: n, ..
            }
            | TableChange::SetNullable {
                table, column: n, ..
            }
            | TableChange::SetDefault {
                table, column: n, ..
            }
            | TableChange::SetIdentity {
                table, column: n, ..
            }
            | TableChange::DropGeneratedColumn { table, column: n }
            | TableChange::DropExpression { table, column: n },
        ) => (column(expected, table, n), column(live, table, n)),
        Change::Table(TableChange::AddColumn(q, col)) => (
            None,
            Some(crate::render::column_definition(col)).filter(|_| live.table(q).is_some()),
        ),
        Change::Table(TableChange::DropColumn(q, n)) => (column(expected, q, n), None),
        Change::Enum(EnumChange::RecreateEnum { from, values, .. }) => {
            (Some(from.join(", ")), Some(values.join(", ")))
        }
        _ => (None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::kind;

    #[test]
    fn kind_is_the_words_before_the_object() {
        let k = |rest: &str, object: &str| kind(rest, object).map(|(k, o)| format!("{k} | {o}"));
        assert_eq!(
            k("foreign key f_fkey on public.t", "public.t.f_fkey").as_deref(),
            Some("foreign key | public.t.f_fkey")
        );
        assert_eq!(
            k("column public.t.c (type integer → bigint)", "public.t.c").as_deref(),
            Some("column | public.t.c")
        );
        assert_eq!(
            k("column public.t.c", "public.t").as_deref(),
            Some("column | public.t.c")
        );
        assert_eq!(
            k("table public.t", "public.t").as_deref(),
            Some("table | public.t")
        );
        assert_eq!(
            k(
                "values of enum public.mood are [a], expected [b]",
                "public.mood"
            )
            .as_deref(),
            Some("values of enum | public.mood")
        );
        assert_eq!(
            k("column public.t.\"odd|col\"", "public.t.\"odd|col\"").as_deref(),
            Some("column | public.t.\"odd|col\"")
        );
        assert_eq!(k("something else", "public.t"), None);
    }
}
