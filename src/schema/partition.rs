//! The partitioning keys of a table definition: `partition_by` (a partitioned table),
//! `partition_of` and `bounds` (a partition). Read into raw, unresolved definitions; checked
//! in `compile::partition`.

use toml::Spanned as TomlSpanned;
use toml::de::{DeTable, DeValue};

use super::reader::{Literal, Reader, Sp, literal, span};
use crate::diag::{Diagnostic, FileId, Span};

/// `partition_by = { strategy = "range", keys = ["a", { expr = "lower(b)" }] }`.
#[derive(Debug)]
pub struct RawPartitionBy {
    pub span: Span,
    pub strategy: Option<Sp<String>>,
    pub keys: Option<Sp<Vec<RawPartitionKey>>>,
}

#[derive(Debug)]
pub struct RawPartitionKey {
    pub span: Span,
    pub column: Option<Sp<String>>,
    pub expr: Option<Sp<String>>,
}

/// `bounds = "default"` or `bounds = { from = […], to = […] }` / `{ in = […] }` /
/// `{ modulus = 4, remainder = 0 }`.
#[derive(Debug)]
pub struct RawBounds {
    pub span: Span,
    pub default: bool,
    pub from: Option<Sp<Vec<Sp<Literal>>>>,
    pub to: Option<Sp<Vec<Sp<Literal>>>>,
    pub values: Option<Sp<Vec<Sp<Literal>>>>,
    pub modulus: Option<Sp<Literal>>,
    pub remainder: Option<Sp<Literal>>,
    /// `null = true`: a list partition also takes rows whose key is NULL (`IN (…, NULL)`).
    pub null: Option<Sp<Literal>>,
}

pub(crate) const PARTITION_BY_KEYS: &[&str] = &["strategy", "keys"];
pub(crate) const PARTITION_KEY_KEYS: &[&str] = &["column", "expr"];
pub(crate) const BOUNDS_KEYS: &[&str] = &["from", "to", "in", "null", "modulus", "remainder"];

pub fn read_partition_by(r: &mut Reader<'_, '_>) -> Option<RawPartitionBy> {
    let file = r.file;
    let v = r.raw("partition_by")?;
    let vspan = span(file, v.span());
    let Some(t) = v.get_ref().as_table() else {
        r.diags.push(
            Diagnostic::new(
                "invalid-value",
                vspan,
                format!(
                    "`partition_by` must be a table, found {}",
                    v.get_ref().type_str()
                ),
            )
            .hint("write `partition_by = { strategy = \"range\", keys = [\"created_at\"] }`"),
        );
        return None;
    };
    let mut p = Reader {
        file,
        table: t,
        span: vspan.clone(),
        diags: r.diags,
    };
    p.deny_unknown("`partition_by`", PARTITION_BY_KEYS);
    let strategy = p.string("strategy");
    let keys = p.raw("keys").and_then(|k| {
        let kspan = span(file, k.span());
        let Some(arr) = k.get_ref().as_array() else {
            p.diags.push(
                Diagnostic::new(
                    "invalid-value",
                    kspan,
                    format!("`keys` must be an array, found {}", k.get_ref().type_str()),
                )
                .hint("write `keys = [\"a\", { expr = \"lower(b)\" }]`"),
            );
            return None;
        };
        let mut out = Vec::with_capacity(arr.len());
        for item in arr.iter() {
            let ispan = span(file, item.span());
            match item.get_ref() {
                DeValue::String(c) => out.push(RawPartitionKey {
                    span: ispan.clone(),
                    column: Some(Sp::new(c.to_string(), ispan)),
                    expr: None,
                }),
                DeValue::Table(kt) => {
                    let mut kr = Reader {
                        file,
                        table: kt,
                        span: ispan.clone(),
                        diags: p.diags,
                    };
                    kr.deny_unknown("a partition key", PARTITION_KEY_KEYS);
                    out.push(RawPartitionKey {
                        span: ispan,
                        column: kr.string("column"),
                        expr: kr.string("expr"),
                    });
                }
                other => p.diags.push(
                    Diagnostic::new(
                        "invalid-value",
                        ispan,
                        format!(
                            "a partition key must be a column name or a table, found {}",
                            other.type_str()
                        ),
                    )
                    .hint("write `\"col\"` or `{ expr = \"lower(col)\" }`"),
                ),
            }
        }
        Some(Sp::new(out, kspan))
    });
    Some(RawPartitionBy {
        span: vspan,
        strategy,
        keys,
    })
}

pub fn read_bounds(r: &mut Reader<'_, '_>) -> Option<RawBounds> {
    let file = r.file;
    let v = r.raw("bounds")?;
    let vspan = span(file, v.span());
    let empty = RawBounds {
        span: vspan.clone(),
        default: false,
        from: None,
        to: None,
        values: None,
        modulus: None,
        remainder: None,
        null: None,
    };
    match v.get_ref() {
        DeValue::String(s) if s.eq_ignore_ascii_case("default") => Some(RawBounds {
            default: true,
            ..empty
        }),
        DeValue::Table(t) => Some(read_bounds_table(file, t, r.diags, empty)),
        other => {
            r.diags.push(
                Diagnostic::new(
                    "invalid-value",
                    vspan,
                    format!(
                        "`bounds` must be \"default\" or a table, found {}",
                        match other {
                            DeValue::String(_) => "another string",
                            o => o.type_str(),
                        }
                    ),
                )
                .hint(
                    "write `bounds = { from = [\"2024-01-01\"], to = [\"2024-02-01\"] }`, \
                     `{ in = [\"a\", \"b\"] }`, `{ modulus = 4, remainder = 0 }` or `\"default\"`",
                ),
            );
            None
        }
    }
}

fn read_bounds_table(
    file: FileId,
    t: &DeTable<'_>,
    diags: &mut Vec<Diagnostic>,
    empty: RawBounds,
) -> RawBounds {
    let mut b = Reader {
        file,
        table: t,
        span: empty.span.clone(),
        diags,
    };
    b.deny_unknown("`bounds`", BOUNDS_KEYS);
    let list = |key: &str, b: &mut Reader<'_, '_>| -> Option<Sp<Vec<Sp<Literal>>>> {
        let v = b.raw(key)?;
        let vspan = span(file, v.span());
        Some(match v.get_ref().as_array() {
            Some(arr) => Sp::new(arr.iter().map(|x| value(file, x)).collect(), vspan),
            // One key: a single value may be written without brackets.
            None => Sp::new(vec![value(file, v)], vspan),
        })
    };
    let from = list("from", &mut b);
    let to = list("to", &mut b);
    let values = list("in", &mut b);
    let modulus = b.raw("modulus").map(|v| value(file, v));
    let remainder = b.raw("remainder").map(|v| value(file, v));
    let null = b.raw("null").map(|v| value(file, v));
    RawBounds {
        null,
        from,
        to,
        values,
        modulus,
        remainder,
        ..empty
    }
}

/// A bound datum: a TOML string, number or boolean, or a TOML date/date-time (read as its
/// text, `2024-01-01` or `2024-01-01T00:00:00Z`).
fn value(file: FileId, v: &TomlSpanned<DeValue<'_>>) -> Sp<Literal> {
    match v.get_ref() {
        DeValue::Datetime(d) => Sp::new(Literal::String(d.to_string()), span(file, v.span())),
        _ => literal(file, v),
    }
}
