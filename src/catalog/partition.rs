//! Reading partitioned tables and partitions (`queries::PARTITIONS`): the partition key
//! from `pg_get_partkeydef`, the parent from `pg_inherits`, the bounds from
//! `pg_get_expr(relpartbound)` (printed with `TimeZone = UTC`, which `compile` normalises
//! bound values to). A partition's columns, and the keys, foreign keys, checks and indexes
//! PostgreSQL copies onto it from its parent, are left out by the other queries.

use postgres::Row;

use super::Reader;
use crate::model::{
    BoundValue, Expr, PartitionBound, PartitionBy, PartitionKey, PartitionOf, PartitionStrategy,
    QualifiedName,
};

impl Reader<'_> {
    pub(super) fn partitions(&mut self, rows: &[Row]) {
        for row in rows {
            let schema: String = row.get(0);
            let name: String = row.get(1);
            if self.ignored(&schema, &name) {
                continue;
            }
            let q = QualifiedName::new(schema.clone(), name.clone());
            let key: Option<String> = row.get(2);
            let parent = match (
                row.get::<_, Option<String>>(3),
                row.get::<_, Option<String>>(4),
            ) {
                (Some(s), Some(n)) => Some(QualifiedName::new(s, n)),
                _ => None,
            };
            let bound: Option<String> = row.get(5);
            let by = key.and_then(|k| {
                let columns: Vec<String> = self
                    .model
                    .table(&q)
                    .map(|t| t.columns.iter().map(|c| c.name.clone()).collect())
                    .unwrap_or_default();
                let parsed = parse_key(&k, &columns);
                if parsed.is_none() {
                    self.skip(format!("partition key of table {q}: cannot read `{k}`"));
                }
                parsed
            });
            let of = match (parent, bound) {
                (Some(parent), Some(b)) => match PartitionBound::parse_catalog(&b) {
                    Some(bound) => Some(PartitionOf {
                        parent,
                        bound: null_last(bound),
                    }),
                    None => {
                        self.skip(format!("bounds of partition {q}: cannot read `{b}`"));
                        None
                    }
                },
                _ => None,
            };
            if let Some(t) = self.table_mut(&schema, &name) {
                t.partition_by = by.map(Box::new);
                t.partition_of = of.map(Box::new);
            }
        }
    }
}

/// A list bound with its NULL (if any) last, where `null = true` puts it: PostgreSQL keeps
/// the values in the order written, which has no meaning.
fn null_last(bound: PartitionBound) -> PartitionBound {
    match bound {
        PartitionBound::List { mut values } if values.contains(&BoundValue::Null) => {
            values.retain(|v| *v != BoundValue::Null);
            values.push(BoundValue::Null);
            PartitionBound::List { values }
        }
        b => b,
    }
}

/// The column a key names: PostgreSQL prints a column key as `quote_ident` does, and
/// never prints an expression key as a bare identifier (a key that is just a column is a
/// column key). `columns` are the table's own, empty for a partition that is itself
/// partitioned (its columns are its parent's).
fn column_name(part: &str, columns: &[String]) -> Option<String> {
    if let Some(c) = columns
        .iter()
        .find(|c| *c == part || crate::sql::quote_ident(c) == part)
    {
        return Some(c.clone());
    }
    if crate::sql::is_plain_ident(part) {
        return Some(part.to_string());
    }
    if part.len() > 1 && part.starts_with('"') && part.ends_with('"') {
        return match crate::sql::split_qualified(part) {
            Ok(mut v) if v.len() == 1 => v.pop(),
            _ => None,
        };
    }
    None
}

/// `RANGE (a, lower(b), ((c + 1)))` → strategy and keys.
fn parse_key(text: &str, columns: &[String]) -> Option<PartitionBy> {
    let (word, rest) = text.split_once(' ')?;
    let strategy = match word {
        "RANGE" => PartitionStrategy::Range,
        "LIST" => PartitionStrategy::List,
        "HASH" => PartitionStrategy::Hash,
        _ => return None,
    };
    let inner = rest.trim().strip_prefix('(')?.strip_suffix(')')?;
    let mut keys = Vec::new();
    for part in split_top_level(inner) {
        let part = part.trim();
        if let Some(c) = column_name(part, columns) {
            keys.push(PartitionKey {
                column: Some(c),
                expr: None,
            });
        } else {
            keys.push(PartitionKey {
                column: None,
                expr: Some(Expr::parse(part).ok()?),
            });
        }
    }
    Some(PartitionBy { strategy, keys })
}

/// Split at commas outside parentheses and quotes.
fn split_top_level(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    let (mut single, mut double) = (false, false);
    for (i, c) in s.char_indices() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '(' if !single && !double => depth += 1,
            ')' if !single && !double => depth -= 1,
            ',' if depth == 0 && !single && !double => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}
