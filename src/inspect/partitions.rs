//! Partitioned tables and partitions: `partition_by` on a partitioned table, `partition_of`
//! and `bounds` on a partition (written in `[tables.NAME]`). Bound values are the text
//! PostgreSQL prints (the format normalises strings for the key's type), integers as TOML
//! integers, a single value without brackets.

use super::writer::{self, Doc, Val};
use super::{Cx, tables};
use crate::model::{BoundValue, PartitionBound, PartitionStrategy, Table};

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
        doc.kv(
            "partition_of",
            writer::string(&cx.table_path(&p.parent, schema)),
        );
        doc.kv("bounds", bounds(&p.bound));
    }
}

fn bounds(b: &PartitionBound) -> Val {
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
                kv.push(("in", writer::array(rest.iter().map(value).collect())));
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

fn values(vs: &[BoundValue]) -> Val {
    match vs {
        [one] => value(one),
        _ => writer::array(vs.iter().map(value).collect()),
    }
}

fn value(v: &BoundValue) -> Val {
    match v {
        BoundValue::Value(s) => match s.parse::<i64>() {
            Ok(i) if i.to_string() == *s => writer::int(i),
            _ => writer::line_string(s),
        },
        BoundValue::MinValue => writer::line_string("MINVALUE"),
        BoundValue::MaxValue => writer::line_string("MAXVALUE"),
        BoundValue::Null => writer::line_string("NULL"),
    }
}
