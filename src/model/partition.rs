//! Partitioned tables and partitions: the `PARTITION BY` key of a table and the parent and
//! bounds of a partition. Both live on [`super::Table`]; a partition's columns are its
//! parent's and are not repeated in the model (see `docs/decisions.md`, *Partitioned tables*).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Expr, QualifiedName};

/// `PARTITION BY strategy (keys)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartitionBy {
    pub strategy: PartitionStrategy,
    pub keys: Vec<PartitionKey>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartitionStrategy {
    Range,
    List,
    Hash,
}

impl PartitionStrategy {
    pub fn sql(self) -> &'static str {
        match self {
            PartitionStrategy::Range => "RANGE",
            PartitionStrategy::List => "LIST",
            PartitionStrategy::Hash => "HASH",
        }
    }
}

/// One key of a partition key: a column or an expression.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartitionKey {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expr: Option<Expr>,
}

/// `PARTITION OF parent FOR VALUES …` / `DEFAULT`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartitionOf {
    pub parent: QualifiedName,
    pub bound: PartitionBound,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartitionBound {
    Default,
    Range {
        from: Vec<BoundValue>,
        to: Vec<BoundValue>,
    },
    List {
        values: Vec<BoundValue>,
    },
    Hash {
        modulus: u32,
        remainder: u32,
    },
}

/// One datum of a bound, in the canonical text PostgreSQL prints back with `TimeZone = UTC`
/// (`2022-01-01 00:00:00+00` for a `timestamptz` key, `10` for an integer), compared as
/// text. Serialised as the SQL spelling: `'…'`, `MINVALUE`, `MAXVALUE` or `NULL`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum BoundValue {
    Value(String),
    MinValue,
    MaxValue,
    Null,
}

impl fmt::Display for BoundValue {
    /// The SQL spelling, a quoted literal for a value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BoundValue::Value(v) => f.write_str(&crate::sql::quote_literal(v)),
            BoundValue::MinValue => f.write_str("MINVALUE"),
            BoundValue::MaxValue => f.write_str("MAXVALUE"),
            BoundValue::Null => f.write_str("NULL"),
        }
    }
}

impl std::str::FromStr for BoundValue {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "MINVALUE" => Ok(BoundValue::MinValue),
            "MAXVALUE" => Ok(BoundValue::MaxValue),
            "NULL" => Ok(BoundValue::Null),
            _ => {
                let inner = s
                    .strip_prefix('\'')
                    .and_then(|x| x.strip_suffix('\''))
                    .filter(|x| !x.replace("''", "").contains('\''))
                    .ok_or_else(|| {
                        format!(
                            "bound value `{s}` must be a quoted literal, MINVALUE, MAXVALUE or NULL"
                        )
                    })?;
                Ok(BoundValue::Value(inner.replace("''", "'")))
            }
        }
    }
}

impl Serialize for BoundValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for BoundValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl PartitionBound {
    /// `FOR VALUES …` or `DEFAULT`, as in `CREATE TABLE … PARTITION OF` and `ATTACH PARTITION`.
    pub fn sql(&self) -> String {
        let list = |v: &[BoundValue]| {
            v.iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            PartitionBound::Default => "DEFAULT".to_string(),
            PartitionBound::Range { from, to } => {
                format!("FOR VALUES FROM ({}) TO ({})", list(from), list(to))
            }
            PartitionBound::List { values } => format!("FOR VALUES IN ({})", list(values)),
            PartitionBound::Hash { modulus, remainder } => {
                format!("FOR VALUES WITH (MODULUS {modulus}, REMAINDER {remainder})")
            }
        }
    }

    /// Read what `pg_get_expr(relpartbound, oid)` prints. `None` when the text is not
    /// understood (the catalog reader reports it as skipped).
    pub fn parse_catalog(text: &str) -> Option<PartitionBound> {
        let t = text.trim();
        if t == "DEFAULT" {
            return Some(PartitionBound::Default);
        }
        let rest = t.strip_prefix("FOR VALUES ")?;
        if let Some(r) = rest.strip_prefix("FROM ") {
            let (from, r) = value_list(r)?;
            let r = r.trim_start().strip_prefix("TO ")?;
            let (to, r) = value_list(r)?;
            return r
                .trim()
                .is_empty()
                .then_some(PartitionBound::Range { from, to });
        }
        if let Some(r) = rest.strip_prefix("IN ") {
            let (values, r) = value_list(r)?;
            return r
                .trim()
                .is_empty()
                .then_some(PartitionBound::List { values });
        }
        let r = rest.strip_prefix("WITH (modulus ")?;
        let (m, r) = r.split_once(", remainder ")?;
        let rem = r.strip_suffix(')')?;
        Some(PartitionBound::Hash {
            modulus: m.parse().ok()?,
            remainder: rem.parse().ok()?,
        })
    }
}

/// `(v, v, …)` at the start of `s`: values and what follows the closing parenthesis.
fn value_list(s: &str) -> Option<(Vec<BoundValue>, &str)> {
    let mut chars = s.trim_start().strip_prefix('(')?;
    let mut out = Vec::new();
    loop {
        chars = chars.trim_start();
        if let Some(r) = chars.strip_prefix('\'') {
            // A quoted literal: '' is an escaped quote.
            let mut v = String::new();
            let mut it = r.char_indices().peekable();
            let end = loop {
                let (i, c) = it.next()?;
                if c == '\'' {
                    if it.peek().map(|(_, c)| *c) == Some('\'') {
                        it.next();
                        v.push('\'');
                        continue;
                    }
                    break i + 1;
                }
                v.push(c);
            };
            out.push(BoundValue::Value(v));
            chars = &r[end..];
        } else {
            let end = chars.find([',', ')'])?;
            let word = chars[..end].trim();
            out.push(match word {
                "MINVALUE" => BoundValue::MinValue,
                "MAXVALUE" => BoundValue::MaxValue,
                "NULL" => BoundValue::Null,
                "" => return None,
                w => BoundValue::Value(w.to_string()),
            });
            chars = &chars[end..];
        }
        chars = chars.trim_start();
        if let Some(r) = chars.strip_prefix(',') {
            chars = r;
        } else {
            return Some((out, chars.strip_prefix(')')?));
        }
    }
}

impl PartitionBy {
    /// `RANGE (a, (expr))` as written after `PARTITION BY`.
    pub fn sql(&self) -> String {
        let keys: Vec<String> = self
            .keys
            .iter()
            .map(|k| match (&k.column, &k.expr) {
                (Some(c), _) => crate::sql::quote_ident(c),
                (None, Some(e)) => format!("({})", e.sql()),
                (None, None) => String::new(),
            })
            .collect();
        format!("{} ({})", self.strategy.sql(), keys.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_bounds_parse() {
        let b = PartitionBound::parse_catalog(
            "FOR VALUES FROM (MINVALUE, '-1.50', 'it''s') TO (10, MAXVALUE, '2020-01-01')",
        );
        assert_eq!(
            b,
            Some(PartitionBound::Range {
                from: vec![
                    BoundValue::MinValue,
                    BoundValue::Value("-1.50".into()),
                    BoundValue::Value("it's".into())
                ],
                to: vec![
                    BoundValue::Value("10".into()),
                    BoundValue::MaxValue,
                    BoundValue::Value("2020-01-01".into())
                ],
            })
        );
        assert_eq!(
            PartitionBound::parse_catalog("FOR VALUES IN (true, NULL)"),
            Some(PartitionBound::List {
                values: vec![BoundValue::Value("true".into()), BoundValue::Null]
            })
        );
        assert_eq!(
            PartitionBound::parse_catalog("FOR VALUES WITH (modulus 4, remainder 1)"),
            Some(PartitionBound::Hash {
                modulus: 4,
                remainder: 1
            })
        );
        assert_eq!(
            PartitionBound::parse_catalog("DEFAULT"),
            Some(PartitionBound::Default)
        );
        assert_eq!(PartitionBound::parse_catalog("FOR VALUES IN ('a'"), None);
    }

    #[test]
    fn bound_values_round_trip_as_text() {
        for v in [
            BoundValue::Value("it's".into()),
            BoundValue::MinValue,
            BoundValue::Null,
        ] {
            assert_eq!(v.to_string().parse::<BoundValue>(), Ok(v));
        }
        assert!("x'".parse::<BoundValue>().is_err());
    }
}
