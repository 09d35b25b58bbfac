//! Partitioned tables and partitions: `partition_by` checked against the table's columns,
//! `partition_of` resolved to a partitioned table of the project, `bounds` checked against
//! the parent's strategy and key count and normalised, per key type, to the text
//! PostgreSQL prints back (`pg_get_expr(relpartbound)` with `TimeZone = UTC`).

use std::collections::{BTreeMap, BTreeSet};

use super::Compiler;
use crate::diag::Diagnostic;
use crate::model::{
    BaseType, BoundValue, Column, PartitionBound, PartitionBy, PartitionKey, PartitionStrategy,
    QualifiedName, Table,
};
use crate::schema::RawTable;
use crate::schema::partition::RawBounds;
use crate::schema::reader::{Literal, Sp};

impl Compiler {
    /// The parent of every partition whose `partition_of` names a partitioned table of the
    /// project (everything else reported), and the order to compile tables in: parents
    /// before their partitions, otherwise by name.
    pub(super) fn partition_parents(
        &mut self,
        raw: &BTreeMap<QualifiedName, &RawTable>,
    ) -> (BTreeMap<QualifiedName, QualifiedName>, Vec<QualifiedName>) {
        let mut parents = BTreeMap::new();
        for (q, t) in raw {
            let Some(p) = &t.partition_of else {
                if let Some(b) = &t.bounds {
                    self.push(
                        Diagnostic::new(
                            "invalid-value",
                            b.span.clone(),
                            format!("table `{q}` has `bounds` but no `partition_of`"),
                        )
                        .hint("add `partition_of = \"parent\"`, or remove `bounds`"),
                    );
                }
                continue;
            };
            let Some(parent) = self.parent_name(p, &q.schema) else {
                continue;
            };
            match raw.get(&parent) {
                None => self.push(
                    Diagnostic::new(
                        "unknown-table",
                        p.span.clone(),
                        format!("`partition_of` names `{parent}`, which is not a table of the project"),
                    )
                    .hint("declare the partitioned table, or fix the name (an unqualified name is in the partition's schema)"),
                ),
                Some(pt) if pt.partition_by.is_none() => self.push(
                    Diagnostic::new(
                        "invalid-reference",
                        p.span.clone(),
                        format!("`partition_of` names `{parent}`, which is not partitioned"),
                    )
                    .label(pt.name.span.clone(), "declared here without `partition_by`")
                    .hint("add `partition_by = { strategy = …, keys = […] }` to the parent"),
                ),
                Some(_) if parent == *q => self.push(
                    Diagnostic::new(
                        "invalid-reference",
                        p.span.clone(),
                        format!("table `{q}` cannot be a partition of itself"),
                    )
                    .hint("name the partitioned table"),
                ),
                Some(_) => {
                    parents.insert(q.clone(), parent);
                }
            }
            if t.bounds.is_none() {
                self.missing(
                    &t.name.span,
                    "partition",
                    "bounds",
                    "add `bounds = { from = […], to = […] }`, `{ in = […] }`, `{ modulus = …, remainder = … }` or `\"default\"`",
                );
            }
            if let Some(c) = t.columns.first() {
                self.push(
                    Diagnostic::new(
                        "invalid-value",
                        c.name.span.clone(),
                        format!("partition `{q}` declares columns"),
                    )
                    .hint("a partition has exactly its parent's columns: declare them on the parent only"),
                );
            }
        }
        // Depth in the partition tree; a cycle (a → b → a) is reported and cut.
        let mut depth: BTreeMap<QualifiedName, usize> = BTreeMap::new();
        let mut cut = BTreeSet::new();
        for q in raw.keys() {
            let mut seen = vec![q.clone()];
            let mut cur = q;
            while let Some(p) = parents.get(cur) {
                if seen.contains(p) {
                    cut.insert(q.clone());
                    break;
                }
                seen.push(p.clone());
                cur = p;
            }
            depth.insert(q.clone(), seen.len());
        }
        for q in &cut {
            if let Some(p) = raw.get(q).and_then(|t| t.partition_of.as_ref()) {
                self.push(
                    Diagnostic::new(
                        "invalid-reference",
                        p.span.clone(),
                        format!("partition `{q}` is, through its parents, a partition of itself"),
                    )
                    .hint("partitions form a tree: remove the cycle"),
                );
            }
            parents.remove(q);
        }
        let mut order: Vec<QualifiedName> = raw.keys().cloned().collect();
        order.sort_by_key(|q| if cut.contains(q) { 0 } else { depth[q] });
        (parents, order)
    }

    fn parent_name(&mut self, p: &Sp<String>, here: &str) -> Option<QualifiedName> {
        let parts = match crate::sql::split_qualified(&p.value) {
            Ok(p) => p,
            Err(e) => {
                self.push(
                    Diagnostic::new("invalid-reference", p.span.clone(), e)
                        .hint("write \"table\" or \"schema.table\"; quote names containing dots"),
                );
                return None;
            }
        };
        match parts.as_slice() {
            [t] => Some(QualifiedName::new(here, t.clone())),
            [s, t] => self
                .check_managed(s, &p.span)
                .then(|| QualifiedName::new(s.clone(), t.clone())),
            _ => {
                self.push(
                    Diagnostic::new(
                        "invalid-reference",
                        p.span.clone(),
                        format!("cannot read table name `{}`", p.value),
                    )
                    .hint("write \"table\" or \"schema.table\""),
                );
                None
            }
        }
    }

    /// `partition_by` of `raw`, checked against `table`'s columns.
    pub(super) fn partition_by(
        &mut self,
        raw: &RawTable,
        table: &Table,
        name: &QualifiedName,
    ) -> Option<PartitionBy> {
        let p = raw.partition_by.as_ref()?;
        let strategy = match &p.strategy {
            Some(s) => self.keyword(
                s,
                "partition strategy",
                &[
                    ("range", PartitionStrategy::Range),
                    ("list", PartitionStrategy::List),
                    ("hash", PartitionStrategy::Hash),
                ],
            ),
            None => {
                self.missing(
                    &p.span,
                    "`partition_by`",
                    "strategy",
                    "add `strategy = \"range\"` (or \"list\", \"hash\")",
                );
                None
            }
        };
        let Some(raw_keys) = &p.keys else {
            self.missing(
                &p.span,
                "`partition_by`",
                "keys",
                "add `keys = [\"column\"]`",
            );
            return None;
        };
        if raw_keys.value.is_empty() {
            self.push(
                Diagnostic::new(
                    "invalid-value",
                    raw_keys.span.clone(),
                    "`partition_by` lists no keys",
                )
                .hint("list at least one column or expression"),
            );
            return None;
        }
        if strategy == Some(PartitionStrategy::List) && raw_keys.value.len() > 1 {
            self.push(
                Diagnostic::new(
                    "invalid-value",
                    raw_keys.span.clone(),
                    "list partitioning takes exactly one key",
                )
                .hint("use one column or expression, or range partitioning"),
            );
        }
        let mut keys = Vec::new();
        let mut ok = true;
        for k in &raw_keys.value {
            match (&k.column, &k.expr) {
                (Some(c), None) => {
                    let list = Sp::new(vec![c.clone()], c.span.clone());
                    if self
                        .column_list(table, &list, "partition key", name)
                        .is_empty()
                    {
                        ok = false;
                    }
                    keys.push(PartitionKey {
                        column: Some(c.value.clone()),
                        expr: None,
                    });
                }
                (None, Some(e)) => match self.expr(e, "partition key expression") {
                    Some(x) => {
                        self.expr_columns(&x, table, e, "partition key expression");
                        keys.push(PartitionKey {
                            column: None,
                            expr: Some(table.typed_expr(x)),
                        });
                    }
                    None => ok = false,
                },
                _ => {
                    ok = false;
                    self.push(
                        Diagnostic::new(
                            "invalid-value",
                            k.span.clone(),
                            "a partition key needs exactly one of `column` and `expr`",
                        )
                        .hint("write `\"col\"` or `{ expr = \"lower(col)\" }`"),
                    );
                }
            }
        }
        Some(PartitionBy {
            strategy: strategy?,
            keys,
        })
        .filter(|_| ok)
    }

    /// PostgreSQL's rule for keys of a partitioned table: a primary key, unique constraint or
    /// unique index must include every partition key column, and there can be none with an
    /// expression key.
    pub(super) fn partition_keys_covered(
        &mut self,
        raw: &RawTable,
        table: &Table,
        uniques: &[Vec<String>],
        unique_indexes: &[Vec<String>],
    ) {
        let (Some(by), Some(p)) = (&table.partition_by, &raw.partition_by) else {
            return;
        };
        let mut keys: Vec<(&str, &[String])> = Vec::new();
        if let Some(pk) = &table.primary_key {
            keys.push(("the primary key", &pk.columns));
        }
        keys.extend(
            uniques
                .iter()
                .map(|u| ("a unique constraint", u.as_slice())),
        );
        keys.extend(
            unique_indexes
                .iter()
                .map(|u| ("a unique index", u.as_slice())),
        );
        for (what, cols) in keys {
            let missing: Vec<&String> = by
                .keys
                .iter()
                .filter_map(|k| k.column.as_ref())
                .filter(|c| !cols.contains(c))
                .collect();
            let message = if by.keys.iter().any(|k| k.expr.is_some()) {
                format!(
                    "{what} ({}) cannot exist on a table partitioned by an expression",
                    cols.join(", ")
                )
            } else if let Some(c) = missing.first() {
                format!(
                    "{what} ({}) must include the partition key column `{c}`",
                    cols.join(", ")
                )
            } else {
                continue;
            };
            self.push(
                Diagnostic::new("invalid-value", p.span.clone(), message).hint(
                    "PostgreSQL enforces uniqueness per partition: add the partition key columns to the key, or drop the key",
                ),
            );
        }
    }

    /// The bounds of a partition of `parent` (whose columns are `columns`).
    pub(super) fn bounds(
        &mut self,
        b: &RawBounds,
        parent: &PartitionBy,
        columns: &[Column],
        name: &QualifiedName,
    ) -> Option<PartitionBound> {
        let key_types: Vec<Option<String>> = parent
            .keys
            .iter()
            .map(|k| {
                let c = columns
                    .iter()
                    .find(|c| Some(&c.name) == k.column.as_ref())?;
                match (&c.data_type.base, c.data_type.array) {
                    (BaseType::Builtin(t), false) => Some(t.clone()),
                    _ => None,
                }
            })
            .collect();
        let given: Vec<&str> = [
            (b.from.is_some(), "from"),
            (b.to.is_some(), "to"),
            (b.values.is_some(), "in"),
            (b.modulus.is_some(), "modulus"),
            (b.remainder.is_some(), "remainder"),
        ]
        .into_iter()
        .filter_map(|(s, k)| s.then_some(k))
        .collect();
        let strategy = parent.strategy;
        let expected: &[&str] = if b.default {
            &[]
        } else {
            match strategy {
                PartitionStrategy::Range => &["from", "to"],
                PartitionStrategy::List => &["in"],
                PartitionStrategy::Hash => &["modulus", "remainder"],
            }
        };
        if b.default && strategy == PartitionStrategy::Hash {
            self.push(
                Diagnostic::new(
                    "invalid-value",
                    b.span.clone(),
                    format!("a hash-partitioned table cannot have a default partition (`{name}`)"),
                )
                .hint("give the partition `bounds = { modulus = …, remainder = … }`"),
            );
            return None;
        }
        if !b.default && given != expected {
            self.push(
                Diagnostic::new(
                    "invalid-value",
                    b.span.clone(),
                    format!(
                        "the parent is partitioned by {}: `bounds` must have {}",
                        strategy.sql(),
                        expected
                            .iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(" and ")
                    ),
                )
                .hint(match strategy {
                    PartitionStrategy::Range => {
                        "write `bounds = { from = [\"2024-01-01\"], to = [\"2024-02-01\"] }` (or \"default\")"
                    }
                    PartitionStrategy::List => "write `bounds = { in = [\"a\", \"b\"] }` (or \"default\")",
                    PartitionStrategy::Hash => "write `bounds = { modulus = 4, remainder = 0 }`",
                }),
            );
            return None;
        }
        match strategy {
            _ if b.default => Some(PartitionBound::Default),
            PartitionStrategy::Range => {
                let from = self.bound_values(b.from.as_ref()?, &key_types, true)?;
                let to = self.bound_values(b.to.as_ref()?, &key_types, true)?;
                Some(PartitionBound::Range { from, to })
            }
            PartitionStrategy::List => {
                let list = b.values.as_ref()?;
                let ty = key_types.first().cloned().flatten();
                let mut values = Vec::new();
                for v in &list.value {
                    values.push(self.bound_value(v, ty.as_deref(), false)?);
                }
                if values.is_empty() {
                    self.push(
                        Diagnostic::new("invalid-value", list.span.clone(), "`in` lists no values")
                            .hint("list at least one value"),
                    );
                    return None;
                }
                Some(PartitionBound::List { values })
            }
            PartitionStrategy::Hash => {
                let m = self.small_int(b.modulus.as_ref()?, "modulus", 1)?;
                let r = self.small_int(b.remainder.as_ref()?, "remainder", 0)?;
                if r >= m {
                    self.push(
                        Diagnostic::new(
                            "invalid-value",
                            b.remainder.as_ref()?.span.clone(),
                            format!("remainder {r} must be less than the modulus {m}"),
                        )
                        .hint("use a remainder from 0 to modulus − 1"),
                    );
                    return None;
                }
                Some(PartitionBound::Hash {
                    modulus: m,
                    remainder: r,
                })
            }
        }
    }

    fn small_int(&mut self, v: &Sp<Literal>, what: &str, min: u32) -> Option<u32> {
        let n = match &v.value {
            Literal::Integer(s) => s.parse::<u32>().ok().filter(|n| *n >= min),
            _ => None,
        };
        if n.is_none() {
            self.push(
                Diagnostic::new(
                    "invalid-value",
                    v.span.clone(),
                    format!("`{what}` must be an integer of at least {min}"),
                )
                .hint(format!("write `{what} = {}`", min.max(1))),
            );
        }
        n
    }

    fn bound_values(
        &mut self,
        list: &Sp<Vec<Sp<Literal>>>,
        types: &[Option<String>],
        range: bool,
    ) -> Option<Vec<BoundValue>> {
        if list.value.len() != types.len() {
            self.push(
                Diagnostic::new(
                    "invalid-value",
                    list.span.clone(),
                    format!(
                        "the bound has {} value(s), the partition key {}",
                        list.value.len(),
                        types.len()
                    ),
                )
                .hint("give one value per key of the parent's `partition_by`"),
            );
            return None;
        }
        let mut out = Vec::new();
        for (v, ty) in list.value.iter().zip(types) {
            out.push(self.bound_value(v, ty.as_deref(), range)?);
        }
        Some(out)
    }

    fn bound_value(
        &mut self,
        v: &Sp<Literal>,
        ty: Option<&str>,
        range: bool,
    ) -> Option<BoundValue> {
        let text = match &v.value {
            Literal::String(s) if range && s.eq_ignore_ascii_case("minvalue") => {
                return Some(BoundValue::MinValue);
            }
            Literal::String(s) if range && s.eq_ignore_ascii_case("maxvalue") => {
                return Some(BoundValue::MaxValue);
            }
            Literal::String(s) | Literal::Integer(s) | Literal::Float(s) => s.clone(),
            Literal::Bool(b) => b.to_string(),
            Literal::Array(_) | Literal::Other(_) => {
                self.push(
                    Diagnostic::new(
                        "invalid-value",
                        v.span.clone(),
                        "a bound value must be a string, number, boolean or date",
                    )
                    .hint("write the value as a TOML string, e.g. \"2024-01-01\""),
                );
                return None;
            }
        };
        match normalise_bound(&text, ty) {
            Ok(s) => Some(BoundValue::Value(s)),
            Err(e) => {
                self.push(
                    Diagnostic::new("invalid-value", v.span.clone(), e)
                        .hint("write a value of the key's type, as PostgreSQL would accept it"),
                );
                None
            }
        }
    }
}

/// `text` as PostgreSQL prints a bound datum of type `ty` back with `TimeZone = UTC`.
/// Types not listed are kept as written.
pub fn normalise_bound(text: &str, ty: Option<&str>) -> Result<String, String> {
    let t = text.trim();
    match ty {
        Some("smallint" | "integer" | "bigint") => t
            .parse::<i64>()
            .map(|n| n.to_string())
            .map_err(|_| format!("`{text}` is not an integer")),
        Some("boolean") => match t.to_ascii_lowercase().as_str() {
            "true" | "t" | "yes" | "on" | "1" => Ok("true".into()),
            "false" | "f" | "no" | "off" | "0" => Ok("false".into()),
            _ => Err(format!("`{text}` is not a boolean")),
        },
        Some("date") => t
            .parse::<jiff::civil::Date>()
            .map(|d| d.to_string())
            .map_err(|_| format!("`{text}` is not a date (YYYY-MM-DD)")),
        Some(ty) if ty.starts_with("timestamp") && ty.ends_with("with time zone") => {
            let utc = match t.parse::<jiff::Timestamp>() {
                Ok(ts) => jiff::tz::Offset::UTC.to_datetime(ts),
                Err(_) => civil(t).ok_or_else(|| format!("`{text}` is not a timestamp"))?,
            };
            Ok(format!("{}+00", datetime_text(utc)))
        }
        Some("uuid") => Ok(t.to_ascii_lowercase()),
        Some(ty) if ty.starts_with("numeric(") => numeric_with_scale(t, ty)
            .ok_or_else(|| format!("`{text}` is not a number of type {ty}")),
        Some(ty) if ty.starts_with("timestamp") => civil(t)
            .map(datetime_text)
            .ok_or_else(|| format!("`{text}` is not a timestamp (without time zone)")),
        _ => Ok(text.to_string()),
    }
}

/// A decimal written with the scale of `numeric(p,s)`, as PostgreSQL stores and prints it
/// (`1.5` → `1.50`). More fractional digits than the scale are left as written (PostgreSQL
/// would round; the difference then shows, rather than a guess).
fn numeric_with_scale(t: &str, ty: &str) -> Option<String> {
    let scale: usize = ty
        .strip_prefix("numeric(")?
        .strip_suffix(')')?
        .split_once(',')
        .map_or(Some(0), |(_, s)| s.trim().parse().ok())?;
    let (sign, body) = match t.strip_prefix('-') {
        Some(b) => ("-", b),
        None => ("", t.strip_prefix('+').unwrap_or(t)),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty() && frac.is_empty()
        || !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit())
    {
        return None;
    }
    if frac.len() > scale {
        return Some(t.to_string());
    }
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let mut out = format!("{sign}{int}");
    if scale > 0 {
        out.push('.');
        out.push_str(frac);
        out.push_str(&"0".repeat(scale - frac.len()));
    }
    Some(out)
}

/// A date or a date and time without offset (`2024-01-01`, `2024-01-01 10:00`).
fn civil(t: &str) -> Option<jiff::civil::DateTime> {
    t.parse::<jiff::civil::DateTime>().ok().or_else(|| {
        t.parse::<jiff::civil::Date>()
            .ok()
            .map(|d| d.at(0, 0, 0, 0))
    })
}

/// `YYYY-MM-DD HH:MM:SS[.ffffff]` as PostgreSQL prints it (fraction without trailing zeros).
fn datetime_text(d: jiff::civil::DateTime) -> String {
    let mut s = format!(
        "{} {:02}:{:02}:{:02}",
        d.date(),
        d.hour(),
        d.minute(),
        d.second()
    );
    let micros = d.subsec_nanosecond() / 1000;
    if micros > 0 {
        let f = format!("{micros:06}");
        s.push('.');
        s.push_str(f.trim_end_matches('0'));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::normalise_bound;

    #[test]
    fn bounds_normalise_to_what_postgresql_prints_in_utc() {
        let tz = Some("timestamp with time zone");
        assert_eq!(
            normalise_bound("2022-01-01", tz).unwrap(),
            "2022-01-01 00:00:00+00"
        );
        assert_eq!(
            normalise_bound("2022-03-01 01:00:00+01", tz).unwrap(),
            "2022-03-01 00:00:00+00"
        );
        assert_eq!(
            normalise_bound("2022-01-01T10:00:00.250Z", tz).unwrap(),
            "2022-01-01 10:00:00.25+00"
        );
        assert_eq!(
            normalise_bound("2022-01-01", Some("timestamp without time zone")).unwrap(),
            "2022-01-01 00:00:00"
        );
        assert_eq!(normalise_bound("007", Some("integer")).unwrap(), "7");
        assert_eq!(normalise_bound("t", Some("boolean")).unwrap(), "true");
        assert!(normalise_bound("x", Some("date")).is_err());
        assert_eq!(normalise_bound("Ab", Some("text")).unwrap(), "Ab");
        assert_eq!(
            normalise_bound("1.5", Some("numeric(5,2)")).unwrap(),
            "1.50"
        );
        assert_eq!(
            normalise_bound("-007", Some("numeric(5,2)")).unwrap(),
            "-7.00"
        );
        assert_eq!(normalise_bound("3", Some("numeric(4)")).unwrap(), "3");
        assert!(normalise_bound("x", Some("numeric(5,2)")).is_err());
        assert_eq!(
            normalise_bound("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", Some("uuid")).unwrap(),
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
        );
    }
}
