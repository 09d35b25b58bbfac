//! Partitioned tables and partitions: `partition_by` on a partitioned table, `partition_of`
//! and `bounds` on a partition (written in `[tables.NAME]`). Bound values are the text
//! PostgreSQL prints (the format normalises strings for the key's type), integers as TOML
//! integers, a single value without brackets.

use super::writer::{self, Doc, Val};
use super::{Cx, path_part, tables};
use crate::model::{BaseType, BoundValue, PartitionBound, PartitionStrategy, QualifiedName, Table};

pub(super) fn lines(cx: &Cx<'_>, doc: &mut Doc, schema: &str, t: &Table) {
    if let Some(p) = &t.partition_by {
        let strategy = match p.strategy {
            PartitionStrategy::Range => "range",
            PartitionStrategy::List => "list",
            PartitionStrategy::Hash => "hash",
        };
        let keys = p
            .keys
            .iter()
            .map(|k| match (&k.column, &k.expr) {
                (Some(c), _) => writer::line_string(c),
                (None, Some(e)) => {
                    writer::inline(vec![("expr", writer::line_string(&tables::expr_text(e)))])
                }
                _ => writer::line_string(""),
            })
            .collect();
        doc.kv(
            "partition_by",
            writer::inline(vec![
                ("strategy", writer::line_string(strategy)),
                ("keys", writer::array(keys)),
            ]),
        );
    }
    if let Some(p) = &t.partition_of {
        // An unqualified parent is one of the partition's own schema (no `public` fallback).
        let parent = if p.parent.schema == schema {
            path_part(&p.parent.name)
        } else {
            format!(
                "{}.{}",
                path_part(&p.parent.schema),
                path_part(&p.parent.name)
            )
        };
        doc.kv("partition_of", writer::string(&parent));
        doc.kv("bounds", bounds(&p.bound, &key_types(cx, &p.parent)));
    }
}

/// The types of the partition key of `parent` (`None` for an expression key), from the
/// columns of the table at the root of its partition tree.
fn key_types(cx: &Cx<'_>, parent: &QualifiedName) -> Vec<Option<String>> {
    let Some(p) = cx.model.table(parent) else {
        return Vec::new();
    };
    let mut root = p;
    for _ in 0..64 {
        match root
            .partition_of
            .as_ref()
            .and_then(|o| cx.model.table(&o.parent))
        {
            Some(up) => root = up,
            None => break,
        }
    }
    let Some(by) = &p.partition_by else {
        return Vec::new();
    };
    by.keys
        .iter()
        .map(|k| {
            let c = root.column(k.column.as_deref()?)?;
            match (&c.data_type.base, c.data_type.array) {
                (BaseType::Builtin(b), false) => Some(b.clone()),
                _ => None,
            }
        })
        .collect()
}

fn bounds(b: &PartitionBound, types: &[Option<String>]) -> Val {
    let values = |vs: &[BoundValue]| -> Val {
        let vals: Vec<Val> = vs
            .iter()
            .enumerate()
            .map(|(i, v)| value(v, types.get(i).cloned().flatten().as_deref()))
            .collect();
        match <[Val; 1]>::try_from(vals) {
            Ok([one]) => one,
            Err(vals) => writer::array(vals),
        }
    };
    match b {
        PartitionBound::Default => writer::line_string("default"),
        PartitionBound::Range { from, to } => {
            writer::inline(vec![("from", values(from)), ("to", values(to))])
        }
        PartitionBound::List { values: vs } => {
            let null = vs.contains(&BoundValue::Null);
            let rest: Vec<BoundValue> = vs
                .iter()
                .filter(|v| **v != BoundValue::Null)
                .cloned()
                .collect();
            let mut kv = Vec::new();
            if !rest.is_empty() {
                let ty = types.first().cloned().flatten();
                kv.push((
                    "in",
                    writer::array(rest.iter().map(|v| value(v, ty.as_deref())).collect()),
                ));
            }
            if null {
                kv.push(("null", writer::boolean(true)));
            }
            writer::inline(kv)
        }
        PartitionBound::Hash { modulus, remainder } => writer::inline(vec![
            ("modulus", writer::int((*modulus).into())),
            ("remainder", writer::int((*remainder).into())),
        ]),
    }
}

/// One bound value: an integer as a TOML integer, a midnight timestamp of a timestamp key
/// as its date (the format reads `"2022-01-01"` as midnight, UTC for `timestamptz`).
fn value(v: &BoundValue, ty: Option<&str>) -> Val {
    match v {
        BoundValue::Value(s) => match s.parse::<i64>() {
            Ok(i) if i.to_string() == *s => writer::int(i),
            _ => {
                let midnight = match ty {
                    Some(t) if t.starts_with("timestamp") && t.ends_with("with time zone") => {
                        s.strip_suffix(" 00:00:00+00")
                    }
                    Some(t) if t.starts_with("timestamp") => s.strip_suffix(" 00:00:00"),
                    _ => None,
                };
                writer::line_string(midnight.unwrap_or(s))
            }
        },
        BoundValue::MinValue => writer::line_string("MINVALUE"),
        BoundValue::MaxValue => writer::line_string("MAXVALUE"),
        BoundValue::Null => writer::line_string("NULL"),
    }
}
