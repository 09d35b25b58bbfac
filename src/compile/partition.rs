//! Partitioned tables and partitions: `partition_by` checked against the table's columns,
//! `partition_of` resolved to a partitioned table of the project, `bounds` checked against
//! the parent's strategy and key count and normalised, per key type, to the text
//! PostgreSQL prints back (`pg_get_expr(relpartbound)` with `TimeZone = UTC`).

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use super::Compiler;
use crate::diag::{Diagnostic, Span};
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
        let null = match &b.null {
            None => false,
            Some(v) => match v.value {
                Literal::Bool(n) if strategy == PartitionStrategy::List && !b.default => n,
                Literal::Bool(_) => {
                    self.push(
                        Diagnostic::new(
                            "invalid-value",
                            v.span.clone(),
                            "`null` is only for the values of a list partition",
                        )
                        .hint("remove `null`: only list partitions (`in = […]`) take NULL keys; the default partition takes them otherwise"),
                    );
                    return None;
                }
                _ => {
                    self.push(
                        Diagnostic::new("invalid-value", v.span.clone(), "`null` must be a boolean")
                            .hint("write `null = true` for a list partition that also takes rows whose key is NULL"),
                    );
                    return None;
                }
            },
        };
        // `null = true` alone is `IN (NULL)`.
        let given = if null && given.is_empty() {
            vec!["in"]
        } else {
            given
        };
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
                let (rf, rt) = (b.from.as_ref()?, b.to.as_ref()?);
                let from = self.bound_values(rf, &key_types, true)?;
                let to = self.bound_values(rt, &key_types, true)?;
                if !self.infinite_bounds_last(&from, rf) | !self.infinite_bounds_last(&to, rt) {
                    return None;
                }
                let kinds = key_kinds(parent, columns);
                if matches!(
                    compare_bounds(&kinds, &from, &to),
                    Some(Ordering::Greater | Ordering::Equal)
                ) {
                    self.push(
                        Diagnostic::new(
                            "invalid-value",
                            b.span.clone(),
                            format!(
                                "empty range for partition `{name}`: the lower bound ({}) is not below the upper bound ({})",
                                bound_list(&from),
                                bound_list(&to)
                            ),
                        )
                        .hint("`from` is inclusive and `to` exclusive: `from` must be less than `to` (PostgreSQL refuses an empty range)"),
                    );
                    return None;
                }
                Some(PartitionBound::Range { from, to })
            }
            PartitionStrategy::List => {
                let ty = key_types.first().cloned().flatten();
                let mut values = Vec::new();
                if let Some(list) = &b.values {
                    for v in &list.value {
                        let v = self.bound_value(v, ty.as_deref(), false)?;
                        // PostgreSQL keeps the first of equal values.
                        if !values.contains(&v) {
                            values.push(v);
                        }
                    }
                }
                if null {
                    values.push(BoundValue::Null);
                }
                if values.is_empty() {
                    let span = b.values.as_ref().map_or(b.span.clone(), |l| l.span.clone());
                    self.push(
                        Diagnostic::new("invalid-value", span, "`in` lists no values")
                            .hint("list at least one value (or write `null = true` for NULL keys)"),
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

    /// PostgreSQL's rule: after MINVALUE (MAXVALUE) in a range bound, every later value is
    /// MINVALUE (MAXVALUE) too.
    fn infinite_bounds_last(&mut self, values: &[BoundValue], list: &Sp<Vec<Sp<Literal>>>) -> bool {
        let Some(first) = values
            .iter()
            .position(|v| matches!(v, BoundValue::MinValue | BoundValue::MaxValue))
        else {
            return true;
        };
        if values[first..].iter().all(|v| *v == values[first]) {
            return true;
        }
        let word = values[first].to_string();
        self.push(
            Diagnostic::new(
                "invalid-value",
                list.span.clone(),
                format!("every bound value following {word} must also be {word}"),
            )
            .hint(format!(
                "write {word} for the remaining keys too: a bound stops at the first {word}"
            )),
        );
        false
    }

    /// Partitions of one parent whose bounds PostgreSQL would refuse together: two default
    /// partitions, overlapping ranges, a list value in two partitions, hash moduli that do
    /// not divide each other or the same remainder class twice. Reported only where the
    /// values compare exactly (see [`KeyKind`]).
    pub(super) fn partition_overlaps(&mut self, siblings: &[Sibling]) {
        for (i, b) in siblings.iter().enumerate() {
            for a in siblings[..i].iter().filter(|a| a.parent == b.parent) {
                let Some((message, hint)) = clash(a, b) else {
                    continue;
                };
                self.push(
                    Diagnostic::new("partition-overlap", b.span.clone(), message)
                        .label(a.span.clone(), format!("bounds of `{}`", a.table))
                        .hint(hint),
                );
                break;
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

/// A partition of the project with its compiled bound, for [`Compiler::partition_overlaps`].
pub(super) struct Sibling {
    pub table: QualifiedName,
    pub parent: QualifiedName,
    pub bound: PartitionBound,
    pub span: Span,
    pub kinds: Vec<KeyKind>,
}

/// How the normalised values of one partition key compare: exactly, or not at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum KeyKind {
    /// `smallint`, `integer`, `bigint`: as numbers.
    Integer,
    /// `numeric`: as decimals.
    Numeric,
    Date,
    /// `timestamp`, and `timestamptz` (normalised to UTC, `+00`): as date-times.
    Timestamp,
    /// `text`, `varchar` under the `C` or `POSIX` collation: byte order.
    Bytes,
    /// Other built-in types, and text under another collation (whose order is the
    /// database's): only an equal normalised text is known to be the same value.
    Equal,
    /// Expression keys, enums, domains: nothing is compared.
    Unknown,
}

/// The [`KeyKind`] of each key of `by` over the parent's `columns`.
pub(super) fn key_kinds(by: &PartitionBy, columns: &[Column]) -> Vec<KeyKind> {
    by.keys
        .iter()
        .map(|k| {
            let Some(c) = columns.iter().find(|c| Some(&c.name) == k.column.as_ref()) else {
                return KeyKind::Unknown;
            };
            let (BaseType::Builtin(t), false) = (&c.data_type.base, c.data_type.array) else {
                return KeyKind::Unknown;
            };
            let c_order = c
                .collation
                .as_deref()
                .is_some_and(|x| matches!(x.trim_matches('"'), "C" | "POSIX"));
            match t.as_str() {
                "smallint" | "integer" | "bigint" => KeyKind::Integer,
                "date" => KeyKind::Date,
                t if t == "numeric" || t.starts_with("numeric(") => KeyKind::Numeric,
                t if t.starts_with("timestamp") => KeyKind::Timestamp,
                t if c_order && (t == "text" || t.starts_with("character varying")) => {
                    KeyKind::Bytes
                }
                _ => KeyKind::Equal,
            }
        })
        .collect()
}

/// Two normalised values of one key, when their order is known exactly.
fn compare_values(kind: KeyKind, a: &str, b: &str) -> Option<Ordering> {
    if kind == KeyKind::Unknown {
        return None;
    }
    if a == b {
        return Some(Ordering::Equal);
    }
    let stamp = |s: &str| {
        s.strip_suffix("+00")
            .unwrap_or(s)
            .parse::<jiff::civil::DateTime>()
            .ok()
    };
    match kind {
        KeyKind::Integer => Some(a.parse::<i64>().ok()?.cmp(&b.parse::<i64>().ok()?)),
        KeyKind::Numeric => compare_decimals(a, b),
        KeyKind::Date => Some(
            a.parse::<jiff::civil::Date>()
                .ok()?
                .cmp(&b.parse::<jiff::civil::Date>().ok()?),
        ),
        KeyKind::Timestamp => Some(stamp(a)?.cmp(&stamp(b)?)),
        KeyKind::Bytes => Some(a.as_bytes().cmp(b.as_bytes())),
        KeyKind::Equal | KeyKind::Unknown => None,
    }
}

/// Plain decimals (`-12.50`) by value; `None` for anything else (`NaN`, exponents).
fn compare_decimals(a: &str, b: &str) -> Option<Ordering> {
    fn parse(s: &str) -> Option<(bool, &str, &str)> {
        let (neg, body) = match s.strip_prefix('-') {
            Some(b) => (true, b),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        if int.is_empty() && frac.is_empty()
            || !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit())
        {
            return None;
        }
        let (int, frac) = (int.trim_start_matches('0'), frac.trim_end_matches('0'));
        Some((neg && !(int.is_empty() && frac.is_empty()), int, frac))
    }
    let (na, ia, fa) = parse(a)?;
    let (nb, ib, fb) = parse(b)?;
    let magnitude = ia.len().cmp(&ib.len()).then(ia.cmp(ib)).then(fa.cmp(fb));
    Some(match (na, nb) {
        (false, false) => magnitude,
        (true, true) => magnitude.reverse(),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
    })
}

/// Two range bounds as PostgreSQL orders them (`partition_rbound_cmp`): key by key,
/// MINVALUE below every value and MAXVALUE above; at a MINVALUE or MAXVALUE on both sides
/// the rest is not compared. `None` when some needed comparison is not exact.
pub(super) fn compare_bounds(
    kinds: &[KeyKind],
    a: &[BoundValue],
    b: &[BoundValue],
) -> Option<Ordering> {
    let rank = |v: &BoundValue| match v {
        BoundValue::MinValue => 0,
        BoundValue::Value(_) | BoundValue::Null => 1,
        BoundValue::MaxValue => 2,
    };
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        match rank(x).cmp(&rank(y)) {
            Ordering::Equal => {}
            o => return Some(o),
        }
        match (x, y) {
            (BoundValue::Value(x), BoundValue::Value(y)) => {
                match compare_values(*kinds.get(i)?, x, y)? {
                    Ordering::Equal => continue,
                    o => return Some(o),
                }
            }
            (BoundValue::MinValue, _) | (BoundValue::MaxValue, _) => return Some(Ordering::Equal),
            _ => return None,
        }
    }
    (a.len() == b.len()).then_some(Ordering::Equal)
}

/// `v, v, …` for messages.
fn bound_list(v: &[BoundValue]) -> String {
    v.iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why PostgreSQL would refuse `b` next to its sibling `a`: message and hint.
fn clash(a: &Sibling, b: &Sibling) -> Option<(String, &'static str)> {
    let parent = &b.parent;
    match (&a.bound, &b.bound) {
        (PartitionBound::Default, PartitionBound::Default) => Some((
            format!(
                "`{}` and `{}` are both the default partition of `{parent}`",
                b.table, a.table
            ),
            "a partitioned table has at most one default partition: give one of them bounds",
        )),
        (
            PartitionBound::Range { from: fa, to: ta },
            PartitionBound::Range { from: fb, to: tb },
        ) => {
            let below = |x, y| compare_bounds(&b.kinds, x, y) == Some(Ordering::Less);
            (below(fa, tb) && below(fb, ta)).then(|| {
                (
                    format!(
                        "the range of `{}` ({} to {}) overlaps that of `{}` ({} to {}), both partitions of `{parent}`",
                        b.table,
                        bound_list(fb),
                        bound_list(tb),
                        a.table,
                        bound_list(fa),
                        bound_list(ta)
                    ),
                    "ranges of one parent must not overlap (`from` is inclusive, `to` exclusive): make one end where the other starts",
                )
            })
        }
        (PartitionBound::List { values: va }, PartitionBound::List { values: vb }) => {
            let kind = b.kinds.first().copied().unwrap_or(KeyKind::Unknown);
            let same = |x: &BoundValue, y: &BoundValue| match (x, y) {
                (BoundValue::Value(x), BoundValue::Value(y)) => {
                    compare_values(kind, x, y) == Some(Ordering::Equal)
                }
                (BoundValue::Null, BoundValue::Null) => true,
                _ => false,
            };
            let v = vb.iter().find(|y| va.iter().any(|x| same(x, y)))?;
            let shown = match v {
                BoundValue::Value(s) => format!("`{s}`"),
                _ => "NULL".to_string(),
            };
            Some((
                format!(
                    "value {shown} of partition `{}` is also in partition `{}`, both partitions of `{parent}`",
                    b.table, a.table
                ),
                "a list value belongs to at most one partition of a parent: remove it from one of them",
            ))
        }
        (
            PartitionBound::Hash {
                modulus: ma,
                remainder: ra,
            },
            PartitionBound::Hash {
                modulus: mb,
                remainder: rb,
            },
        ) => {
            let (small, r_small, r_big, big) = if ma <= mb {
                (ma, ra, rb, mb)
            } else {
                (mb, rb, ra, ma)
            };
            if big % small != 0 {
                Some((
                    format!(
                        "modulus {mb} of `{}` and modulus {ma} of `{}` do not divide each other (partitions of `{parent}`)",
                        b.table, a.table
                    ),
                    "every hash partition modulus must be a factor of the next larger one: use moduli such as 4 and 8",
                ))
            } else {
                (r_big % small == *r_small).then(|| {
                    (
                        format!(
                            "hash partition `{}` (modulus {mb}, remainder {rb}) overlaps `{}` (modulus {ma}, remainder {ra}), both partitions of `{parent}`",
                            b.table, a.table
                        ),
                        "each row's hash belongs to one partition: use another remainder",
                    )
                })
            }
        }
        _ => None,
    }
}

/// `text` as PostgreSQL prints a bound datum of type `ty` back with `TimeZone = UTC`.
/// Types not listed are kept as written.
pub fn normalise_bound(text: &str, ty: Option<&str>) -> Result<String, String> {
    let t = text.trim();
    let int = |min: i64, max: i64, name: &str| {
        t.parse::<i64>()
            .map_err(|_| format!("`{text}` is not an integer"))
            .and_then(|n| {
                (min..=max)
                    .contains(&n)
                    .then(|| n.to_string())
                    .ok_or_else(|| format!("`{text}` is out of range for type {name}"))
            })
    };
    // Dates and timestamps take the special values too (compared with nothing offline).
    if ty.is_some_and(|ty| ty == "date" || ty.starts_with("timestamp")) {
        match t.to_ascii_lowercase().as_str() {
            "infinity" | "+infinity" => return Ok("infinity".into()),
            "-infinity" => return Ok("-infinity".into()),
            _ => {}
        }
    }
    match ty {
        Some("smallint") => int(i16::MIN.into(), i16::MAX.into(), "smallint"),
        Some("integer") => int(i32::MIN.into(), i32::MAX.into(), "integer"),
        Some("bigint") => int(i64::MIN, i64::MAX, "bigint"),
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
            Ok(format!(
                "{}+00",
                datetime_text(round_seconds(utc, ty, text)?)
            ))
        }
        Some("uuid") => Ok(t.to_ascii_lowercase()),
        Some(ty) if ty.starts_with("numeric(") => numeric_with_scale(t, ty, true)
            .ok_or_else(|| format!("`{text}` is not a number of type {ty}"))?
            .ok_or_else(|| format!("`{text}` does not fit type {ty} (numeric field overflow)")),
        Some(ty) if ty.starts_with("timestamp") => {
            let d = civil(t)
                .ok_or_else(|| format!("`{text}` is not a timestamp (without time zone)"))?;
            Ok(datetime_text(round_seconds(d, ty, text)?))
        }
        // Unconstrained numeric keeps the digits written, without a sign on zero or
        // leading zeros.
        Some("numeric") => Ok(numeric_with_scale(t, "numeric", false)
            .flatten()
            .unwrap_or_else(|| text.to_string())),
        _ => Ok(text.to_string()),
    }
}

/// A decimal as PostgreSQL stores and prints it for `ty`: for `numeric(p,s)` (`exact`)
/// rounded to `s` decimals, half away from zero (`1.005` → `1.01`, `1.5` → `1.50`), and
/// `Some(None)` when more than `p − s` integer digits remain (PostgreSQL's "numeric field
/// overflow"); for `numeric` the decimals as written. No sign on zero, no leading zeros.
/// `None` for what is not a plain decimal.
fn numeric_with_scale(t: &str, ty: &str, exact: bool) -> Option<Option<String>> {
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
    let (precision, scale) = if exact {
        let inner = ty.strip_prefix("numeric(")?.strip_suffix(')')?;
        match inner.split_once(',') {
            Some((p, s)) => (
                p.trim().parse::<usize>().ok()?,
                s.trim().parse::<usize>().ok()?,
            ),
            None => (inner.trim().parse::<usize>().ok()?, 0),
        }
    } else {
        (usize::MAX, frac.len())
    };
    // The digits of int.frac at the scale, rounded half away from zero.
    let mut digits: Vec<u8> = int.bytes().chain(frac.bytes().take(scale)).collect();
    digits.extend(std::iter::repeat_n(b'0', scale.saturating_sub(frac.len())));
    if frac.as_bytes().get(scale).is_some_and(|d| *d >= b'5') {
        let mut i = digits.len();
        loop {
            if i == 0 {
                digits.insert(0, b'1');
                break;
            }
            i -= 1;
            if digits[i] == b'9' {
                digits[i] = b'0';
            } else {
                digits[i] += 1;
                break;
            }
        }
    }
    let (int, frac) = digits.split_at(digits.len() - scale);
    let int = std::str::from_utf8(int).ok()?.trim_start_matches('0');
    let frac = std::str::from_utf8(frac).ok()?;
    if exact && int.len() > precision.saturating_sub(scale) {
        return Some(None);
    }
    let zero = int.is_empty() && frac.bytes().all(|d| d == b'0');
    let mut out = format!(
        "{}{}",
        if zero { "" } else { sign },
        if int.is_empty() { "0" } else { int }
    );
    if scale > 0 {
        out.push('.');
        out.push_str(frac);
    }
    Some(Some(out))
}

/// `d` rounded to the fractional-seconds precision of `ty` (`timestamp(0) …`; 6 when not
/// given) as PostgreSQL rounds it: half away from zero in microseconds since
/// 2000-01-01 00:00:00 (so a half second before 2000 rounds down). More than microseconds
/// is an error: PostgreSQL's own rounding of those digits is a float's.
fn round_seconds(
    d: jiff::civil::DateTime,
    ty: &str,
    text: &str,
) -> Result<jiff::civil::DateTime, String> {
    if d.subsec_nanosecond() % 1000 != 0 {
        return Err(format!(
            "`{text}` has more than 6 fractional digits: PostgreSQL keeps microseconds"
        ));
    }
    let precision: u32 = ty
        .strip_prefix("timestamp(")
        .and_then(|r| r.split_once(')'))
        .and_then(|(p, _)| p.trim().parse().ok())
        .unwrap_or(6)
        .min(6);
    if precision == 6 {
        return Ok(d);
    }
    let epoch = jiff::civil::date(2000, 1, 1).at(0, 0, 0, 0);
    let bad = |_| format!("`{text}` is out of range for a timestamp");
    let micros = i64::try_from(d.duration_since(epoch).as_micros()).map_err(bad)?;
    let scale = 10i64.pow(6 - precision);
    let rounded = if micros >= 0 {
        (micros + scale / 2) / scale * scale
    } else {
        -((-micros + scale / 2) / scale * scale)
    };
    epoch
        .checked_add(jiff::SignedDuration::from_micros(rounded))
        .map_err(|_| format!("`{text}` is out of range for a timestamp"))
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
        // Special values, as PostgreSQL prints them back.
        assert_eq!(normalise_bound("-Infinity", tz).unwrap(), "-infinity");
        assert_eq!(
            normalise_bound("infinity", Some("date")).unwrap(),
            "infinity"
        );
        assert_eq!(
            normalise_bound("+infinity", Some("timestamp(0) without time zone")).unwrap(),
            "infinity"
        );
        assert!(normalise_bound("infinity", Some("integer")).is_err());
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
        // Rounded to the scale, half away from zero, as PostgreSQL stores it.
        assert_eq!(
            normalise_bound("1.005", Some("numeric(8,2)")).unwrap(),
            "1.01"
        );
        assert_eq!(
            normalise_bound("-1.005", Some("numeric(8,2)")).unwrap(),
            "-1.01"
        );
        assert_eq!(
            normalise_bound("-0.001", Some("numeric(8,2)")).unwrap(),
            "0.00"
        );
        assert_eq!(
            normalise_bound("9.995", Some("numeric(8,2)")).unwrap(),
            "10.00"
        );
        assert_eq!(normalise_bound("1.4", Some("numeric(3)")).unwrap(), "1");
        assert!(normalise_bound("99999.995", Some("numeric(7,2)")).is_err());
        assert!(normalise_bound("12.5", Some("numeric(3,2)")).is_err());
        assert_eq!(normalise_bound("007.50", Some("numeric")).unwrap(), "7.50");
        assert_eq!(normalise_bound("-0.0", Some("numeric")).unwrap(), "0.0");
        assert_eq!(normalise_bound("1e3", Some("numeric")).unwrap(), "1e3");
        assert!(normalise_bound("40000", Some("smallint")).is_err());
        assert!(normalise_bound("3000000000", Some("integer")).is_err());
        // Fractional seconds rounded to the type's precision (PostgreSQL 15 checked).
        let ts0 = Some("timestamp(0) without time zone");
        assert_eq!(
            normalise_bound("2024-01-01 10:00:00.5", ts0).unwrap(),
            "2024-01-01 10:00:01"
        );
        assert_eq!(
            normalise_bound("1999-12-31 23:59:58.5", ts0).unwrap(),
            "1999-12-31 23:59:58"
        );
        assert_eq!(
            normalise_bound(
                "2024-01-01 10:00:00.25+01",
                Some("timestamp(1) with time zone")
            )
            .unwrap(),
            "2024-01-01 09:00:00.3+00"
        );
        assert_eq!(
            normalise_bound(
                "2024-01-02 00:00:00.35",
                Some("timestamp(1) with time zone")
            )
            .unwrap(),
            "2024-01-02 00:00:00.4+00"
        );
        assert!(normalise_bound("2024-01-01 10:00:00.1234567", ts0).is_err());
        assert!(normalise_bound("x", Some("numeric(5,2)")).is_err());
        assert_eq!(
            normalise_bound("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", Some("uuid")).unwrap(),
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
        );
    }
}
