//! "Did you mean to rename?": a drop and a create of the same shape in one diff are most
//! likely a rename written without `renamed_from`, which would lose the data.

use std::collections::BTreeMap;

use super::{Change, CompositeChange, DomainChange, EnumChange, TableChange};
use crate::model::rename::Rename;
use crate::model::{Column, DataType, Model, QualifiedName};

/// Hints for declared renames that do nothing although their old name exists: the new name
/// is taken too. That is a stale key after the old name was reused (harmless), or a swap
/// (`a` ↔ `b`), which one migration cannot express: the user should know it was ignored.
/// `model` is the old model before any rename; `applied` the renames that took effect.
pub fn ignored_renames(model: &Model, renames: &[Rename], applied: &[Rename]) -> Vec<String> {
    let mut hints = Vec::new();
    for r in renames.iter().filter(|r| !applied.contains(r)) {
        let (what, both) = match r {
            Rename::Table { schema, from, to } => {
                let has = |n: &str| {
                    model
                        .table(&QualifiedName::new(schema.clone(), n))
                        .is_some()
                };
                (
                    format!("table {}", crate::sql::display_path(&[schema, to])),
                    has(from) && has(to) && from != to,
                )
            }
            Rename::Column { table, from, to } => {
                let t = model.table(table);
                let has = |n: &str| t.is_some_and(|t| t.column(n).is_some());
                (
                    format!(
                        "column {}",
                        crate::sql::display_path(&[&table.schema, &table.name, to])
                    ),
                    has(from) && has(to) && from != to,
                )
            }
            Rename::Enum { schema, from, to } => {
                let has = |n: &str| {
                    model
                        .enum_type(&QualifiedName::new(schema.clone(), n))
                        .is_some()
                };
                (
                    format!("enum {}", crate::sql::display_path(&[schema, to])),
                    has(from) && has(to) && from != to,
                )
            }
            _ => continue,
        };
        if both {
            let from = match r {
                Rename::Table { from, .. }
                | Rename::Column { from, .. }
                | Rename::Enum { from, .. } => from,
                _ => continue,
            };
            hints.push(format!(
                "renamed_from = {} on {what} does nothing: both names exist. To swap two names, rename one to a temporary name in its own migration first; if the rename was applied long ago, remove the key",
                toml_string(from)
            ));
        }
    }
    hints
}

/// Hints for drop + create pairs that match one to one: tables with the same columns and
/// types, columns of one table with the same type, enums with the same values, and an enum
/// value replaced by another at the same position.
pub fn renames(from: &Model, to: &Model, changes: &[Change]) -> Vec<String> {
    let mut hints = Vec::new();

    let mut dropped_tables = Vec::new();
    let mut created_tables = Vec::new();
    let mut dropped_columns: BTreeMap<&QualifiedName, Vec<&str>> = BTreeMap::new();
    let mut added_columns: BTreeMap<&QualifiedName, Vec<&Column>> = BTreeMap::new();
    let mut dropped_enums = Vec::new();
    let mut created_enums = Vec::new();
    let mut dropped_types = Vec::new();
    let mut created_types = Vec::new();
    for c in changes {
        match c {
            Change::Domain(DomainChange::DropDomain(q, _))
            | Change::Composite(CompositeChange::DropType(q, _)) => dropped_types.push(q),
            Change::Domain(DomainChange::CreateDomain(q, _))
            | Change::Composite(CompositeChange::CreateType(q, _)) => created_types.push(q),
            Change::Table(TableChange::DropTable(q)) => dropped_tables.push(q),
            Change::Table(TableChange::CreateTable(q, ..)) => created_tables.push(q),
            Change::Table(TableChange::DropColumn(q, c)) => {
                dropped_columns.entry(q).or_default().push(c)
            }
            Change::Table(TableChange::AddColumn(q, c)) => {
                added_columns.entry(q).or_default().push(c)
            }
            Change::Enum(EnumChange::DropEnum(q)) => dropped_enums.push(q),
            Change::Enum(EnumChange::CreateEnum(q, _)) => created_enums.push(q),
            Change::Enum(EnumChange::RecreateEnum {
                name, from, values, ..
            }) => {
                if let Some((old, new)) = replaced_value(from, values) {
                    hints.push(format!(
                        "did you mean to rename value `{old}` of enum {name} to `{new}`? add renamed_values = {{ {} = {} }} to [enums.{}]",
                        toml_key(old),
                        toml_string(new),
                        toml_key(&name.name)
                    ));
                }
            }
            _ => {}
        }
    }

    // A table (or type) dropped and created again under its own name (a partitioning
    // switch) is replaced by itself, not renamed: it is no candidate on either side.
    let (dropped_tables, created_tables) = without_common(dropped_tables, created_tables);
    let (dropped_types, created_types) = without_common(dropped_types, created_types);

    let shape = |m: &Model, q: &QualifiedName| -> Option<Vec<(String, DataType)>> {
        let mut cols: Vec<(String, DataType)> = m
            .table(q)?
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.data_type.clone()))
            .collect();
        cols.sort();
        Some(cols)
    };
    for (old, new) in pairs(&dropped_tables, &created_tables, |a, b| {
        a.schema == b.schema && shape(from, a).is_some() && shape(from, a) == shape(to, b)
    }) {
        hints.push(format!(
            "did you mean to rename table {old} to {new}? add renamed_from = {} to [tables.{}]",
            toml_string(&old.name),
            toml_key(&new.name)
        ));
    }

    for (q, dropped) in &dropped_columns {
        let Some(added) = added_columns.get(q) else {
            continue;
        };
        let ty = |name: &str| from.table(q)?.column(name).map(|c| &c.data_type);
        for (old, new) in pairs(dropped, added, |a, b| ty(a) == Some(&b.data_type)) {
            hints.push(format!(
                "did you mean to rename column {q}.{old} to `{}`? add renamed_from = {} to column `{}` of [tables.{}]",
                new.name,
                toml_string(old),
                new.name,
                toml_key(&q.name)
            ));
        }
    }

    for (old, new) in pairs(&dropped_enums, &created_enums, |a, b| {
        a.schema == b.schema
            && from
                .enum_type(a)
                .zip(to.enum_type(b))
                .is_some_and(|(x, y)| x.values == y.values)
    }) {
        hints.push(format!(
            "did you mean to rename enum {old} to {new}? add renamed_from = {} to [enums.{}]",
            toml_string(&old.name),
            toml_key(&new.name)
        ));
    }

    // Domains and composite types of the same definition (comments aside).
    let same_type = |a: &QualifiedName, b: &QualifiedName| {
        let domains = from.domain(a).zip(to.domain(b)).is_some_and(|(x, y)| {
            x.data_type == y.data_type
                && x.collation == y.collation
                && x.default == y.default
                && x.not_null == y.not_null
                && x.checks.values().eq(y.checks.values())
        });
        let composites = from
            .composite_type(a)
            .zip(to.composite_type(b))
            .is_some_and(|(x, y)| x.attributes == y.attributes);
        a.schema == b.schema && (domains || composites)
    };
    for (old, new) in pairs(&dropped_types, &created_types, same_type) {
        let (what, section) = if from.domain(old).is_some() {
            ("domain", "domains")
        } else {
            ("composite type", "composite_types")
        };
        hints.push(format!(
            "did you mean to rename {what} {old} to {new}? add renamed_from = {} to [{section}.{}]",
            toml_string(&old.name),
            toml_key(&new.name)
        ));
    }
    hints
}

/// `dropped` and `created` without the names that are in both.
fn without_common<'a>(
    dropped: Vec<&'a QualifiedName>,
    created: Vec<&'a QualifiedName>,
) -> (Vec<&'a QualifiedName>, Vec<&'a QualifiedName>) {
    let d = dropped
        .iter()
        .copied()
        .filter(|q| !created.contains(q))
        .collect();
    let c = created
        .iter()
        .copied()
        .filter(|q| !dropped.contains(q))
        .collect();
    (d, c)
}

/// Pairs that match each other and nothing else on either side.
fn pairs<'a, A: Copy, B: Copy>(
    left: &'a [A],
    right: &'a [B],
    matches: impl Fn(A, B) -> bool,
) -> Vec<(A, B)> {
    let mut out = Vec::new();
    for &a in left {
        let candidates: Vec<B> = right.iter().copied().filter(|&b| matches(a, b)).collect();
        if let [b] = candidates[..]
            && left.iter().filter(|&&x| matches(x, b)).count() == 1
        {
            out.push((a, b));
        }
    }
    out
}

/// Exactly one value removed and one added at the same position, the rest unchanged.
fn replaced_value<'a>(old: &'a [String], new: &'a [String]) -> Option<(&'a str, &'a str)> {
    if old.len() != new.len() {
        return None;
    }
    let mut differing = old.iter().zip(new).filter(|(a, b)| a != b);
    let (a, b) = differing.next()?;
    if differing.next().is_some() || new.contains(a) || old.contains(b) {
        return None;
    }
    Some((a, b))
}

/// A TOML key: bare when it can be, else a basic string.
fn toml_key(s: &str) -> String {
    let bare = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare { s.to_string() } else { toml_string(s) }
}

/// A TOML basic string (also valid JSON).
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_value_replaced_in_place() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            replaced_value(&v(&["A", "B", "C"]), &v(&["A", "X", "C"])),
            Some(("B", "X"))
        );
        assert_eq!(replaced_value(&v(&["A", "B"]), &v(&["B", "A"])), None);
        assert_eq!(replaced_value(&v(&["A", "B"]), &v(&["A"])), None);
        assert_eq!(toml_key("book_id"), "book_id");
        assert_eq!(toml_key("Mixed Case"), "\"Mixed Case\"");
        assert_eq!(toml_string("a\"b\\"), "\"a\\\"b\\\\\"");
    }
}
