//! Classify a column type change (`ALTER TABLE … ALTER COLUMN … TYPE …`): does every value
//! survive (widening), does PostgreSQL rewrite the table, can the cast fail on existing values,
//! and which `USING` expression (if any) the statement needs.
//!
//! The caller maps the result to hazards: `deletes_data` = `loses_data`, `rewrites_table` =
//! `rewrites`, `may_fail_on_data` = `may_fail`. A change that is not widening loses data
//! unless every value either converts to the same value or makes the statement fail (and
//! the migration roll back): text → enum, enum → enum, and a pass-through (`type_sql`) type
//! ↔ a built-in or enum type, which covers a domain ↔ its base type. Those are only
//! `may_fail_on_data`. Narrowing within a family (bigint → integer, numeric(10,2) →
//! numeric(8,2), varchar(20) → varchar(10)) stays `deletes_data`, as the spec lists it:
//! some of those also fail rather than lose, but varchar silently drops trailing spaces and
//! numeric rounds when the scale shrinks, and the spec names them as data loss.
//!
//! Rules (scalar types; "rw" = table rewrite; checked on PostgreSQL 15 except the custom-type
//! rows, which are deliberately conservative; see the tests):
//!
//! | from → to | widening | rw | may fail | USING |
//! |---|---|---|---|---|
//! | same type | yes | no | no | – |
//! | smallint → integer → bigint | yes | yes | no | – |
//! | integer narrowing | no | yes | yes | – |
//! | integer(d digits) → numeric(p,s) | s ≥ 0 and p−s ≥ d | yes | p−s < d | – |
//! | integer → numeric | yes | yes | no | – |
//! | numeric(p,s) → numeric(p2,s2) | s2 ≥ s and p2−s2 ≥ p−s | unless s2 = s and p2 ≥ p | p2−s2 < p−s (+1 if s2 < s) | – |
//! | numeric(p,s) → numeric | yes | no | no | – |
//! | numeric → numeric(p,s) | no | yes | yes | – |
//! | numeric(p,s) → integer(d digits) | s ≤ 0 and p−s < d | yes | p−s ≥ d (or unconstrained) | – |
//! | smallint → real/double, integer → double | yes | yes | no | – |
//! | integer → real, bigint → real/double | no (precision) | yes | no | – |
//! | real → double | yes | yes | no | – |
//! | double → real | no | yes | yes (overflow) | – |
//! | float → integer | no | yes | yes | – |
//! | float → numeric | no (float→numeric keeps 15 / 6 digits) | yes | if constrained | – |
//! | numeric → float | no | yes | if unconstrained or > 38 / 308 digits | – |
//! | varchar(n) → varchar(m ≥ n), varchar/text ↔ text/varchar | yes | no | no | – |
//! | varchar(n) → varchar(m < n), text/varchar → varchar(n) | no | yes | yes | – |
//! | char(n) → text/varchar/varchar(m ≥ n)/char(m ≥ n) | yes | yes | no | – |
//! | char(n) → bpchar | yes | no | no | – |
//! | char(n) → varchar(m < n)/char(m < n) | no | yes | yes | – |
//! | text/varchar → char(n) | no | yes | if longer than n possible | – |
//! | text/varchar → bpchar | no | no | no | – |
//! | anything else → text/varchar/bpchar | yes (json or enum → bpchar: no) | yes | no | – |
//! | smallint/integer/bigint/boolean/uuid → varchar(n)/char(n) | n ≥ longest output (6/11/20/5/36) | yes | otherwise | – |
//! | other → varchar(n)/char(n) | no | yes | yes | – |
//! | text/varchar/char → anything else (incl. enum) | no | yes | yes | `{col}::to` |
//! | enum → other enum | no | yes | yes | `{col}::text::to` |
//! | timestamp(p) → timestamp(q), same zone | q ≥ p | unless q ≥ p | no | – |
//! | timestamp ↔ timestamptz | q ≥ p (values reinterpreted in UTC) | q < p | no | – |
//! | date → timestamp/timestamptz | yes | yes | no | – |
//! | timestamp/timestamptz → date, → time; timestamptz → timetz | no | yes | no | – |
//! | time(p) → time(q), same zone | q ≥ p | unless q ≥ p | no | – |
//! | time → timetz | q ≥ p | yes | no | – |
//! | timetz → time | no | yes | no | – |
//! | time → interval | yes | yes | no | – |
//! | interval → time | no | yes | no | – |
//! | interval [fields][(p)] → interval [fields][(q)] | last field same or finer, and q ≥ p when the old last field is seconds | unless widening | no | – |
//! | boolean → integer (→ smallint/bigint) | yes | yes | no | `{col}::integer[::to]` |
//! | integer → boolean (smallint/bigint via integer) | no | yes | bigint only | `{col}::boolean` / `{col}::integer::boolean` |
//! | jsonb → json | yes | yes | no | – |
//! | json → jsonb | no (duplicate keys, formatting) | yes | yes (`\u0000`) | – |
//! | jsonb → integer/numeric/float/boolean | no | yes | yes | `{col}::to` |
//! | cidr → inet | yes | no | no | – |
//! | inet → cidr | no (host bits zeroed) | yes | no | – |
//! | macaddr → macaddr8 | yes | yes | no | – |
//! | macaddr8 → macaddr | no | yes | yes | – |
//! | built-in or enum pair without a usable cast | no | yes | yes | `{col}::text::to` |
//! | custom (`type_sql`) → text/varchar | yes | yes | no | – |
//! | custom → varchar(n)/char(n)/bpchar | no | yes | yes | – |
//! | anything else involving a custom type | no | yes | yes | `{col}::to` |
//!
//! Arrays: when both sides are arrays the element rule applies (widening, may fail, `USING`
//! with `[]` on every cast), but PostgreSQL rewrites the table for every array element
//! conversion except dropping a modifier of the same element type (`numeric(10,2)[]` →
//! `numeric[]`, `varchar(5)[]` → `varchar[]`). Array ↔ scalar: not widening, rewrite, may
//! fail, `USING {col}::text::to` (there is no cast, but both sides have a text form).
//!
//! Judgement calls:
//! * `char(n)` → text/varchar is widening: the padding `char(n)` strips is insignificant in
//!   `char` semantics (comparison and `length()` ignore it), and the conversion is injective
//!   (casting back gives the original value). The other way, text/varchar → `char`, is lossy:
//!   `'ab'` and `'ab '` become the same value.
//! * timestamp ↔ timestamptz is treated as widening (no value is lost; each is reinterpreted
//!   in the session `TimeZone`) and, when the precision is kept, not as a rewrite:
//!   PostgreSQL 15 skips the rewrite when the session `TimeZone` is UTC, and `apply` always
//!   runs migrations in UTC (`apply::SESSION_SETTINGS`); values are read as UTC.
//! * date → timestamp is widening and not may-fail, although dates after 294276 AD (beyond
//!   timestamp's range) would fail the cast.
//! * numeric(p,s) → integer is widening when every value fits exactly (`numeric(9,0)` →
//!   `integer`), lossy otherwise (rounding); numeric → float is always lossy.
//! * Anything → text is widening (every type's text output is injective); an enum → bounded
//!   text type or `char` is lossy because the labels are not known here.

use crate::compile::types::{TypeFamily, TypeSpec, parse_type};
use crate::model::{BaseType, DataType, QualifiedName};
use crate::sql::quote_qualified;

/// How a column type change behaves (see the module doc for the rules).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeChange {
    /// Every value of the old type fits the new one unchanged.
    pub widening: bool,
    /// Some value can convert to a different value (rounded, truncated, normalised) instead
    /// of failing: `deletes_data`. False when widening, and for casts that give back the
    /// same value or fail (see the module doc).
    pub loses_data: bool,
    /// PostgreSQL rewrites the table (and its indexes) for this ALTER COLUMN TYPE.
    pub rewrites: bool,
    /// The cast can fail on some existing values (e.g. text→integer).
    pub may_fail: bool,
    /// `USING` expression needed (PostgreSQL has no implicit/assignment cast), with `{col}`
    /// as placeholder for the quoted column name, e.g. `{col}::integer` or
    /// `{col}::text::"public"."mood"`.
    pub using: Option<String>,
}

/// Classify changing a column from `from` to `to`.
pub fn classify(from: &DataType, to: &DataType) -> TypeChange {
    let k_from = Kind::of(&from.base);
    let k_to = Kind::of(&to.base);
    if from.array != to.array {
        // No cast between an array and a scalar, but every type converts through its text
        // form (`{a,b}` parses as an array, `42` as a number), so the change applies where
        // the values fit and fails (rolled back) where they do not.
        let to_sql = Kind::of(&to.base).sql();
        let suffix = if to.array { "[]" } else { "" };
        return TypeChange {
            widening: false,
            loses_data: true,
            rewrites: true,
            may_fail: true,
            using: Some(format!("{{col}}::text::{to_sql}{suffix}")),
        };
    }
    if k_from == k_to {
        return TypeChange {
            widening: true,
            loses_data: false,
            rewrites: false,
            may_fail: false,
            using: None,
        };
    }
    let rule = scalar(&k_from, &k_to);
    let rewrites = if from.array {
        !drops_modifier(&k_from, &k_to)
    } else {
        rule.rewrites
    };
    let suffix = if from.array { "[]" } else { "" };
    let using = if rule.casts.is_empty() {
        None
    } else {
        let mut s = String::from("{col}");
        for t in &rule.casts {
            s.push_str("::");
            s.push_str(&t.sql());
            s.push_str(suffix);
        }
        Some(s)
    };
    TypeChange {
        widening: rule.widening,
        loses_data: !rule.widening && !rule.same_or_fails,
        rewrites,
        may_fail: rule.may_fail,
        using,
    }
}

/// What the classification needs to know about one (element) type.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    Int(u8),
    /// `(precision, scale)`; `None` when unconstrained.
    Numeric(Option<(i64, i64)>),
    Float(u8),
    Str {
        kind: StrKind,
        /// `None` for text, unbounded varchar and bare `bpchar`.
        len: Option<u32>,
    },
    Bool,
    Date,
    Time {
        tz: bool,
        precision: Option<u32>,
    },
    Timestamp {
        tz: bool,
        precision: Option<u32>,
    },
    Interval {
        /// Least significant field: 0 second (or no fields), 1 minute, 2 hour, 3 day,
        /// 4 month, 5 year.
        least: u8,
        precision: Option<u32>,
    },
    Uuid,
    Json,
    Jsonb,
    Bytea,
    Inet,
    Cidr,
    Macaddr,
    Macaddr8,
    Tsvector,
    Enum(QualifiedName),
    /// A `type_sql` type or a built-in spelling this module does not know.
    Other(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StrKind {
    Text,
    Varchar,
    /// `character(n)` / `bpchar`.
    Char,
}

impl Kind {
    fn of(base: &BaseType) -> Kind {
        match base {
            BaseType::Builtin(s) => Kind::builtin(s),
            BaseType::Enum(q) => Kind::Enum(q.clone()),
            BaseType::Custom(s) => Kind::Other(s.clone()),
            BaseType::Domain(q) | BaseType::Composite(q) => Kind::Other(quote_qualified(q)),
        }
    }

    fn builtin(spelling: &str) -> Kind {
        let Ok(TypeSpec::Builtin { ty, array, .. }) = parse_type(spelling) else {
            return Kind::Other(spelling.to_string());
        };
        if array {
            return Kind::Other(spelling.to_string());
        }
        let c = ty.canonical.as_str();
        match ty.family {
            TypeFamily::Integer { bits } => Kind::Int(bits),
            TypeFamily::Numeric { precision, scale } => {
                Kind::Numeric(precision.map(|p| (i64::from(p), i64::from(scale.unwrap_or(0)))))
            }
            TypeFamily::Float { bits } => Kind::Float(bits),
            TypeFamily::Text { max_len, fixed } => Kind::Str {
                kind: if fixed {
                    StrKind::Char
                } else if c == "text" {
                    StrKind::Text
                } else {
                    StrKind::Varchar
                },
                len: max_len,
            },
            TypeFamily::Boolean => Kind::Bool,
            TypeFamily::Date => Kind::Date,
            TypeFamily::Time => Kind::Time {
                tz: with_zone(c),
                precision: paren_number(c),
            },
            TypeFamily::Timestamp => Kind::Timestamp {
                tz: with_zone(c),
                precision: paren_number(c),
            },
            TypeFamily::Interval => Kind::Interval {
                least: interval_least_field(c),
                precision: paren_number(c),
            },
            TypeFamily::Uuid => Kind::Uuid,
            TypeFamily::Json if c == "jsonb" => Kind::Jsonb,
            TypeFamily::Json => Kind::Json,
            TypeFamily::Bytea => Kind::Bytea,
            TypeFamily::Network => match c {
                "inet" => Kind::Inet,
                "cidr" => Kind::Cidr,
                "macaddr" => Kind::Macaddr,
                "macaddr8" => Kind::Macaddr8,
                _ => Kind::Other(c.to_string()),
            },
            TypeFamily::Tsvector => Kind::Tsvector,
        }
    }

    /// The SQL spelling of this type as a cast target.
    fn sql(&self) -> String {
        match self {
            Kind::Int(16) => "smallint".into(),
            Kind::Int(64) => "bigint".into(),
            Kind::Int(_) => "integer".into(),
            Kind::Numeric(None) => "numeric".into(),
            Kind::Numeric(Some((p, s))) => format!("numeric({p},{s})"),
            Kind::Float(32) => "real".into(),
            Kind::Float(_) => "double precision".into(),
            Kind::Str { kind, len } => match (kind, len) {
                (StrKind::Text, _) => "text".into(),
                (StrKind::Varchar, None) => "character varying".into(),
                (StrKind::Varchar, Some(n)) => format!("character varying({n})"),
                (StrKind::Char, None) => "bpchar".into(),
                (StrKind::Char, Some(n)) => format!("character({n})"),
            },
            Kind::Bool => "boolean".into(),
            Kind::Date => "date".into(),
            Kind::Time { tz, precision } => format!("time{} {}", paren(*precision), zone(*tz)),
            Kind::Timestamp { tz, precision } => {
                format!("timestamp{} {}", paren(*precision), zone(*tz))
            }
            // Never a cast target of the rules; kept complete.
            Kind::Interval { least, precision } => {
                let field = ["second", "minute", "hour", "day", "month", "year"][*least as usize];
                if *least == 0 && precision.is_none() {
                    "interval".into()
                } else if *least == 0 {
                    format!("interval{}", paren(*precision))
                } else {
                    format!("interval {field}")
                }
            }
            Kind::Uuid => "uuid".into(),
            Kind::Json => "json".into(),
            Kind::Jsonb => "jsonb".into(),
            Kind::Bytea => "bytea".into(),
            Kind::Inet => "inet".into(),
            Kind::Cidr => "cidr".into(),
            Kind::Macaddr => "macaddr".into(),
            Kind::Macaddr8 => "macaddr8".into(),
            Kind::Tsvector => "tsvector".into(),
            Kind::Enum(q) => quote_qualified(q),
            Kind::Other(s) => s.clone(),
        }
    }

    /// Longest text output of any value, where known and small.
    fn max_text_len(&self) -> Option<u32> {
        match self {
            Kind::Int(16) => Some(6),
            Kind::Int(64) => Some(20),
            Kind::Int(_) => Some(11),
            Kind::Bool => Some(5),
            Kind::Uuid => Some(36),
            _ => None,
        }
    }
}

fn with_zone(canonical: &str) -> bool {
    canonical.ends_with(" with time zone") || canonical.ends_with("tz")
}

fn zone(tz: bool) -> &'static str {
    if tz {
        "with time zone"
    } else {
        "without time zone"
    }
}

fn paren(precision: Option<u32>) -> String {
    precision.map(|p| format!("({p})")).unwrap_or_default()
}

/// The number in the (single) parenthesised modifier, if any.
fn paren_number(canonical: &str) -> Option<u32> {
    let open = canonical.find('(')?;
    let close = canonical[open..].find(')')? + open;
    canonical[open + 1..close].trim().parse().ok()
}

fn interval_least_field(canonical: &str) -> u8 {
    let body = canonical.split('(').next().unwrap_or(canonical);
    match body.split_whitespace().last() {
        Some("minute") => 1,
        Some("hour") => 2,
        Some("day") => 3,
        Some("month") => 4,
        Some("year") => 5,
        _ => 0,
    }
}

/// Decimal digits needed for every value of an integer type.
fn int_digits(bits: u8) -> i64 {
    match bits {
        16 => 5,
        64 => 19,
        _ => 10,
    }
}

/// An element-level rule; `casts` are the types of the `USING` cast chain (empty: none).
struct Rule {
    widening: bool,
    rewrites: bool,
    may_fail: bool,
    /// Not widening, but each value converts to the same value or fails: not data loss.
    same_or_fails: bool,
    casts: Vec<Kind>,
}

fn rule(widening: bool, rewrites: bool, may_fail: bool) -> Rule {
    Rule {
        widening,
        rewrites,
        may_fail,
        same_or_fails: false,
        casts: Vec::new(),
    }
}

/// Widening with a rewrite, no failure, no `USING`.
fn widen() -> Rule {
    rule(true, true, false)
}

/// Lossy with a rewrite; `may_fail` as given; no `USING`.
fn lossy(may_fail: bool) -> Rule {
    rule(false, true, may_fail)
}

/// Lossy, rewrite, may fail, `USING` through the given casts.
fn cast_via(casts: Vec<Kind>) -> Rule {
    Rule {
        widening: false,
        rewrites: true,
        may_fail: true,
        same_or_fails: false,
        casts,
    }
}

/// [`cast_via`] for a cast that gives back each value unchanged or fails.
fn same_or_fails(casts: Vec<Kind>) -> Rule {
    Rule {
        same_or_fails: true,
        ..cast_via(casts)
    }
}

fn text() -> Kind {
    Kind::Str {
        kind: StrKind::Text,
        len: None,
    }
}

fn scalar(from: &Kind, to: &Kind) -> Rule {
    use Kind::*;
    match (from, to) {
        // Pass-through types: only a change to text is understood.
        (Other(_), Str { kind, len }) => {
            if *kind != StrKind::Char && len.is_none() {
                widen()
            } else {
                lossy(true)
            }
        }
        (Other(_), Other(_)) => cast_via(vec![to.clone()]),
        // A domain and its base type, or an extension type and its cast partner: the value
        // passes the cast unchanged (checked by the domain's constraints) or fails.
        (Other(_), Int(_) | Numeric(_) | Float(_) | Bool | Date | Uuid | Enum(_))
        | (Other(_), Time { .. } | Timestamp { .. } | Interval { .. })
        | (Other(_), Json | Jsonb | Bytea | Inet | Cidr)
        | (_, Other(_)) => same_or_fails(vec![to.clone()]),
        (Other(_), _) => cast_via(vec![to.clone()]),

        (Str { kind, len }, Str { kind: k2, len: l2 }) => strings(*kind, *len, *k2, *l2),
        (_, Str { kind, len }) => to_string(from, *kind, *len),
        // A label is taken exactly as written, or the cast fails.
        (Str { .. }, Enum(_)) => same_or_fails(vec![to.clone()]),
        (Str { .. }, _) => cast_via(vec![to.clone()]),

        (Enum(_), Enum(_)) => same_or_fails(vec![text(), to.clone()]),
        (Enum(_), _) | (_, Enum(_)) => cast_via(vec![text(), to.clone()]),

        (Int(a), Int(b)) => {
            if b >= a {
                widen()
            } else {
                lossy(true)
            }
        }
        (Int(_), Numeric(None)) => widen(),
        (Int(bits), Numeric(Some((p, s)))) => {
            let d = int_digits(*bits);
            rule(*s >= 0 && p - s >= d, true, p - s < d)
        }
        (Int(bits), Float(f)) => rule(*bits == 16 || (*bits == 32 && *f == 64), true, false),
        (Numeric(_), Numeric(None)) => rule(true, false, false),
        (Numeric(None), Numeric(Some(_))) => lossy(true),
        (Numeric(Some((p, s))), Numeric(Some((p2, s2)))) => {
            let (int_from, int_to) = (p - s, p2 - s2);
            let widening = s2 >= s && int_to >= int_from;
            let rewrites = !(s2 == s && p2 >= p);
            // Rounding to fewer decimals can carry into one more integer digit.
            let may_fail = int_to < int_from + i64::from(s2 < s);
            rule(widening, rewrites, may_fail)
        }
        (Numeric(n), Int(bits)) => {
            let d = int_digits(*bits);
            match n {
                None => lossy(true),
                Some((p, s)) => rule(*s <= 0 && p - s < d, true, p - s >= d),
            }
        }
        (Numeric(n), Float(f)) => {
            let limit = if *f == 32 { 38 } else { 308 };
            lossy(match n {
                None => true,
                Some((p, s)) => p - s > limit || *s > limit,
            })
        }
        (Float(a), Float(b)) => {
            if b > a {
                widen()
            } else {
                lossy(true)
            }
        }
        (Float(_), Int(_)) => lossy(true),
        (Float(_), Numeric(n)) => lossy(n.is_some()),

        (Bool, Int(32)) => Rule {
            same_or_fails: false,
            widening: true,
            rewrites: true,
            may_fail: false,
            casts: vec![Int(32)],
        },
        (Bool, Int(_)) => Rule {
            same_or_fails: false,
            widening: true,
            rewrites: true,
            may_fail: false,
            casts: vec![Int(32), to.clone()],
        },
        (Int(32), Bool) => Rule {
            same_or_fails: false,
            widening: false,
            rewrites: true,
            may_fail: false,
            casts: vec![Bool],
        },
        (Int(bits), Bool) => Rule {
            same_or_fails: false,
            widening: false,
            rewrites: true,
            may_fail: *bits == 64,
            casts: vec![Int(32), Bool],
        },

        (Date, Timestamp { .. }) => widen(),
        (Timestamp { .. }, Date) => lossy(false),
        (Timestamp { .. }, Time { tz: false, .. }) => lossy(false),
        (Timestamp { tz: true, .. }, Time { tz: true, .. }) => lossy(false),
        (
            Timestamp { tz, precision },
            Timestamp {
                tz: tz2,
                precision: p2,
            },
        )
        | (
            Time { tz, precision },
            Time {
                tz: tz2,
                precision: p2,
            },
        ) => {
            let keeps = precision_kept(*precision, *p2);
            if tz == tz2 {
                rule(keeps, !keeps, false)
            } else {
                // timestamp ↔ timestamptz: reinterpretation, no loss, and no rewrite in the
                // UTC session `apply` runs in (module doc); timetz → time drops the offset.
                let stamps = matches!(from, Timestamp { .. });
                let widening = keeps && (stamps || !*tz);
                rule(widening, !(stamps && keeps), false)
            }
        }
        (Time { tz: false, .. }, Interval { .. }) => widen(),
        (Interval { .. }, Time { tz: false, .. }) => lossy(false),
        (
            Interval { least, precision },
            Interval {
                least: l2,
                precision: p2,
            },
        ) => {
            // PostgreSQL's interval_support no-op test, which is also exactly when no value
            // changes: the last field may only get finer, and the fractional-seconds precision
            // only matters when the old last field is seconds.
            let widening = l2 <= least && (*least > 0 || precision_kept(*precision, *p2));
            rule(widening, !widening, false)
        }

        (Jsonb, Json) => widen(),
        (Json, Jsonb) => lossy(true),
        (Jsonb, Int(_) | Numeric(_) | Float(_) | Bool) => cast_via(vec![to.clone()]),

        (Cidr, Inet) => rule(true, false, false),
        (Inet, Cidr) => lossy(false),
        (Macaddr, Macaddr8) => widen(),
        (Macaddr8, Macaddr) => lossy(true),

        _ => cast_via(vec![text(), to.clone()]),
    }
}

/// Whether fractional-seconds precision `to` keeps every value of precision `from`
/// (`None` = 6, the maximum).
fn precision_kept(from: Option<u32>, to: Option<u32>) -> bool {
    to.unwrap_or(6) >= from.unwrap_or(6)
}

/// text / varchar / char to text / varchar / char.
fn strings(kind: StrKind, len: Option<u32>, k2: StrKind, l2: Option<u32>) -> Rule {
    let fits = match (len, l2) {
        (_, None) => true,
        (Some(n), Some(m)) => n <= m,
        (None, Some(_)) => false,
    };
    match (kind, k2) {
        (StrKind::Char, StrKind::Char) => {
            // char(n) → bpchar is binary-coercible without a length check.
            rule(fits, l2.is_some(), !fits)
        }
        // Trailing spaces become insignificant: 'ab' and 'ab ' collapse.
        (_, StrKind::Char) => rule(false, l2.is_some(), !fits),
        // rtrim: always a rewrite, never a loss (module doc).
        (StrKind::Char, _) => rule(fits, true, !fits),
        // text and varchar are binary-coercible; only a length check on a shorter limit.
        _ => rule(fits, !fits, !fits),
    }
}

/// A non-string type to text / varchar / char: an assignment cast (I/O or function).
fn to_string(from: &Kind, k2: StrKind, l2: Option<u32>) -> Rule {
    match l2 {
        None => {
            // Enum labels and json text may end in spaces, which `char` would drop.
            let spaces = matches!(from, Kind::Enum(_) | Kind::Json);
            rule(k2 != StrKind::Char || !spaces, true, false)
        }
        Some(m) => {
            let fits = from.max_text_len().is_some_and(|n| n <= m);
            rule(fits, true, !fits)
        }
    }
}

/// For arrays PostgreSQL skips the rewrite only when the element type stays the same and the
/// new column has no modifier (no element conversion at all).
fn drops_modifier(from: &Kind, to: &Kind) -> bool {
    use Kind::*;
    match (from, to) {
        (Numeric(_), Numeric(None)) => true,
        (
            Str { kind, .. },
            Str {
                kind: k2,
                len: None,
            },
        ) => kind == k2,
        (
            Timestamp { tz, .. },
            Timestamp {
                tz: tz2,
                precision: None,
            },
        )
        | (
            Time { tz, .. },
            Time {
                tz: tz2,
                precision: None,
            },
        ) => tz == tz2,
        (
            Interval { .. },
            Interval {
                least: 0,
                precision: None,
            },
        ) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> DataType {
        s.parse().unwrap()
    }

    /// (from, to, widening, rewrites, may_fail, using), types in snapshot spelling.
    type Case = (
        &'static str,
        &'static str,
        bool,
        bool,
        bool,
        Option<&'static str>,
    );

    /// The rule table.
    ///
    /// Verified on PostgreSQL 15.18 (TimeZone `Europe/Berlin`) for every row but the
    /// pass-through ones noted below: `rewrites` by comparing `pg_relation_filenode('t')`
    /// before and after `ALTER TABLE t ALTER COLUMN c TYPE …` on a one-row table; `using` by
    /// running the ALTER without `USING` (it must fail with "cannot be cast automatically"
    /// exactly when `using` is set) and then with the given expression (it must succeed).
    /// `widening` / `may_fail` were checked with sample values for each row that can lose or
    /// reject a value (boundary values such as 2147483648 → integer, 99999999.99 →
    /// numeric(10,1), 16777217 → real, 'ab ' varchar → char, '{"a":1,"a":2}' json → jsonb,
    /// '30 hours' interval → time), comparing the value cast back to the old type.
    const CASES: &[Case] = &[
        // integers
        ("smallint", "integer", true, true, false, None),
        ("integer", "bigint", true, true, false, None),
        ("smallint", "bigint", true, true, false, None),
        ("bigint", "integer", false, true, true, None),
        ("integer", "smallint", false, true, true, None),
        // numeric
        ("numeric(10,2)", "numeric(12,2)", true, false, false, None),
        ("numeric(10,2)", "numeric(12,4)", true, true, false, None),
        ("numeric(10,2)", "numeric(11,3)", true, true, false, None),
        ("numeric(10,2)", "numeric", true, false, false, None),
        ("numeric(5,-2)", "numeric(8,-2)", true, false, false, None),
        ("numeric(5,-2)", "numeric(7,0)", true, true, false, None),
        ("numeric", "numeric(10,2)", false, true, true, None),
        ("numeric(12,2)", "numeric(10,2)", false, true, true, None),
        ("numeric(10,2)", "numeric(10,1)", false, true, false, None),
        ("numeric(10,2)", "numeric(9,1)", false, true, true, None),
        ("numeric(10,2)", "integer", false, true, false, None),
        ("numeric(12,2)", "integer", false, true, true, None),
        ("numeric(9,0)", "integer", true, true, false, None),
        ("numeric(4,0)", "smallint", true, true, false, None),
        ("numeric(5,0)", "smallint", false, true, true, None),
        ("numeric", "bigint", false, true, true, None),
        ("integer", "numeric(10,0)", true, true, false, None),
        ("integer", "numeric(12,2)", true, true, false, None),
        ("integer", "numeric(9,0)", false, true, true, None),
        ("integer", "numeric(12,-1)", false, true, false, None),
        ("bigint", "numeric(19,0)", true, true, false, None),
        ("smallint", "numeric(5,0)", true, true, false, None),
        ("integer", "numeric", true, true, false, None),
        // floating point
        ("real", "double precision", true, true, false, None),
        ("double precision", "real", false, true, true, None),
        ("smallint", "real", true, true, false, None),
        ("integer", "real", false, true, false, None),
        ("integer", "double precision", true, true, false, None),
        ("bigint", "double precision", false, true, false, None),
        ("double precision", "integer", false, true, true, None),
        ("double precision", "numeric", false, true, false, None),
        ("double precision", "numeric(10,2)", false, true, true, None),
        ("real", "numeric", false, true, false, None),
        (
            "numeric(10,2)",
            "double precision",
            false,
            true,
            false,
            None,
        ),
        ("numeric", "double precision", false, true, true, None),
        ("numeric(50,2)", "real", false, true, true, None),
        // text, varchar, char
        (
            "character varying(50)",
            "character varying(100)",
            true,
            false,
            false,
            None,
        ),
        ("character varying(50)", "text", true, false, false, None),
        (
            "character varying(50)",
            "character varying",
            true,
            false,
            false,
            None,
        ),
        ("character varying", "text", true, false, false, None),
        ("text", "character varying", true, false, false, None),
        (
            "character varying(100)",
            "character varying(50)",
            false,
            true,
            true,
            None,
        ),
        (
            "character varying",
            "character varying(50)",
            false,
            true,
            true,
            None,
        ),
        ("text", "character varying(50)", false, true, true, None),
        ("character(5)", "text", true, true, false, None),
        (
            "character(5)",
            "character varying(5)",
            true,
            true,
            false,
            None,
        ),
        (
            "character(5)",
            "character varying(10)",
            true,
            true,
            false,
            None,
        ),
        (
            "character(5)",
            "character varying(3)",
            false,
            true,
            true,
            None,
        ),
        ("character(5)", "character(10)", true, true, false, None),
        ("character(10)", "character(5)", false, true, true, None),
        ("character(5)", "bpchar", true, false, false, None),
        ("bpchar", "text", true, true, false, None),
        ("text", "character(5)", false, true, true, None),
        ("text", "bpchar", false, false, false, None),
        (
            "character varying(5)",
            "character(5)",
            false,
            true,
            false,
            None,
        ),
        (
            "character varying(5)",
            "character(10)",
            false,
            true,
            false,
            None,
        ),
        ("character varying(5)", "bpchar", false, false, false, None),
        // to text
        ("integer", "text", true, true, false, None),
        ("integer", "character varying(11)", true, true, false, None),
        ("integer", "character varying(5)", false, true, true, None),
        ("integer", "character(11)", true, true, false, None),
        ("boolean", "text", true, true, false, None),
        ("boolean", "character varying(5)", true, true, false, None),
        ("boolean", "character(3)", false, true, true, None),
        ("uuid", "text", true, true, false, None),
        ("uuid", "character varying(36)", true, true, false, None),
        ("date", "text", true, true, false, None),
        ("timestamp with time zone", "text", true, true, false, None),
        ("numeric(10,2)", "text", true, true, false, None),
        ("double precision", "text", true, true, false, None),
        ("json", "text", true, true, false, None),
        ("json", "bpchar", false, true, false, None),
        ("jsonb", "text", true, true, false, None),
        ("bytea", "text", true, true, false, None),
        ("inet", "text", true, true, false, None),
        ("tsvector", "character varying", true, true, false, None),
        ("enum:public.mood", "text", true, true, false, None),
        (
            "enum:public.mood",
            "character varying(10)",
            false,
            true,
            true,
            None,
        ),
        ("enum:public.mood", "bpchar", false, true, false, None),
        // from text
        ("text", "integer", false, true, true, Some("{col}::integer")),
        (
            "character varying(10)",
            "bigint",
            false,
            true,
            true,
            Some("{col}::bigint"),
        ),
        (
            "character(5)",
            "integer",
            false,
            true,
            true,
            Some("{col}::integer"),
        ),
        ("text", "uuid", false, true, true, Some("{col}::uuid")),
        ("text", "boolean", false, true, true, Some("{col}::boolean")),
        ("text", "jsonb", false, true, true, Some("{col}::jsonb")),
        ("text", "bytea", false, true, true, Some("{col}::bytea")),
        (
            "text",
            "tsvector",
            false,
            true,
            true,
            Some("{col}::tsvector"),
        ),
        (
            "text",
            "timestamp with time zone",
            false,
            true,
            true,
            Some("{col}::timestamp with time zone"),
        ),
        (
            "text",
            "enum:public.mood",
            false,
            true,
            true,
            Some("{col}::\"public\".\"mood\""),
        ),
        // enums
        (
            "enum:public.mood",
            "enum:public.mood2",
            false,
            true,
            true,
            Some("{col}::text::\"public\".\"mood2\""),
        ),
        (
            "enum:public.mood",
            "integer",
            false,
            true,
            true,
            Some("{col}::text::integer"),
        ),
        (
            "integer",
            "enum:public.mood",
            false,
            true,
            true,
            Some("{col}::text::\"public\".\"mood\""),
        ),
        // dates and times
        (
            "timestamp without time zone",
            "timestamp with time zone",
            true,
            false,
            false,
            None,
        ),
        (
            "timestamp with time zone",
            "timestamp without time zone",
            true,
            false,
            false,
            None,
        ),
        (
            "timestamp(3) without time zone",
            "timestamp(6) with time zone",
            true,
            false,
            false,
            None,
        ),
        (
            "timestamp with time zone",
            "timestamp(3) without time zone",
            false,
            true,
            false,
            None,
        ),
        (
            "timestamp(3) without time zone",
            "timestamp without time zone",
            true,
            false,
            false,
            None,
        ),
        (
            "timestamp(3) with time zone",
            "timestamp(6) with time zone",
            true,
            false,
            false,
            None,
        ),
        (
            "timestamp without time zone",
            "timestamp(3) without time zone",
            false,
            true,
            false,
            None,
        ),
        (
            "date",
            "timestamp without time zone",
            true,
            true,
            false,
            None,
        ),
        ("date", "timestamp with time zone", true, true, false, None),
        (
            "timestamp without time zone",
            "date",
            false,
            true,
            false,
            None,
        ),
        ("timestamp with time zone", "date", false, true, false, None),
        (
            "timestamp without time zone",
            "time without time zone",
            false,
            true,
            false,
            None,
        ),
        (
            "timestamp with time zone",
            "time with time zone",
            false,
            true,
            false,
            None,
        ),
        (
            "time without time zone",
            "time with time zone",
            true,
            true,
            false,
            None,
        ),
        (
            "time with time zone",
            "time without time zone",
            false,
            true,
            false,
            None,
        ),
        (
            "time(3) without time zone",
            "time without time zone",
            true,
            false,
            false,
            None,
        ),
        (
            "time without time zone",
            "time(3) without time zone",
            false,
            true,
            false,
            None,
        ),
        (
            "time(3) with time zone",
            "time with time zone",
            true,
            false,
            false,
            None,
        ),
        (
            "time without time zone",
            "interval",
            true,
            true,
            false,
            None,
        ),
        (
            "interval",
            "time without time zone",
            false,
            true,
            false,
            None,
        ),
        ("interval(3)", "interval", true, false, false, None),
        ("interval", "interval(3)", false, true, false, None),
        ("interval day", "interval", true, false, false, None),
        ("interval", "interval day", false, true, false, None),
        ("interval hour", "interval day", false, true, false, None),
        (
            "interval year",
            "interval year to month",
            true,
            false,
            false,
            None,
        ),
        (
            "interval day to second(3)",
            "interval second(3)",
            true,
            false,
            false,
            None,
        ),
        (
            "interval day to second(3)",
            "interval day to second(6)",
            true,
            false,
            false,
            None,
        ),
        (
            "interval day",
            "interval second(3)",
            true,
            false,
            false,
            None,
        ),
        (
            "date",
            "integer",
            false,
            true,
            true,
            Some("{col}::text::integer"),
        ),
        (
            "integer",
            "date",
            false,
            true,
            true,
            Some("{col}::text::date"),
        ),
        // booleans
        (
            "boolean",
            "integer",
            true,
            true,
            false,
            Some("{col}::integer"),
        ),
        (
            "boolean",
            "smallint",
            true,
            true,
            false,
            Some("{col}::integer::smallint"),
        ),
        (
            "integer",
            "boolean",
            false,
            true,
            false,
            Some("{col}::boolean"),
        ),
        (
            "smallint",
            "boolean",
            false,
            true,
            false,
            Some("{col}::integer::boolean"),
        ),
        (
            "bigint",
            "boolean",
            false,
            true,
            true,
            Some("{col}::integer::boolean"),
        ),
        // json, network
        ("jsonb", "json", true, true, false, None),
        ("json", "jsonb", false, true, true, None),
        (
            "jsonb",
            "integer",
            false,
            true,
            true,
            Some("{col}::integer"),
        ),
        (
            "jsonb",
            "numeric",
            false,
            true,
            true,
            Some("{col}::numeric"),
        ),
        ("cidr", "inet", true, false, false, None),
        ("inet", "cidr", false, true, false, None),
        ("macaddr", "macaddr8", true, true, false, None),
        ("macaddr8", "macaddr", false, true, true, None),
        (
            "inet",
            "macaddr",
            false,
            true,
            true,
            Some("{col}::text::macaddr"),
        ),
        (
            "uuid",
            "integer",
            false,
            true,
            true,
            Some("{col}::text::integer"),
        ),
        (
            "integer",
            "uuid",
            false,
            true,
            true,
            Some("{col}::text::uuid"),
        ),
        // arrays
        ("integer[]", "bigint[]", true, true, false, None),
        ("bigint[]", "integer[]", false, true, true, None),
        (
            "numeric(10,2)[]",
            "numeric(12,2)[]",
            true,
            true,
            false,
            None,
        ),
        ("numeric(10,2)[]", "numeric[]", true, false, false, None),
        (
            "character varying(5)[]",
            "character varying(10)[]",
            true,
            true,
            false,
            None,
        ),
        (
            "character varying(5)[]",
            "character varying[]",
            true,
            false,
            false,
            None,
        ),
        ("character varying(5)[]", "text[]", true, true, false, None),
        ("character varying[]", "text[]", true, true, false, None),
        ("text[]", "character varying(5)[]", false, true, true, None),
        ("character(5)[]", "bpchar[]", true, false, false, None),
        (
            "timestamp(3) without time zone[]",
            "timestamp without time zone[]",
            true,
            false,
            false,
            None,
        ),
        ("interval day[]", "interval[]", true, false, false, None),
        ("cidr[]", "inet[]", true, true, false, None),
        ("integer[]", "text[]", true, true, false, None),
        ("enum:public.mood[]", "text[]", true, true, false, None),
        (
            "text[]",
            "enum:public.mood[]",
            false,
            true,
            true,
            Some("{col}::\"public\".\"mood\"[]"),
        ),
        (
            "enum:public.mood[]",
            "enum:public.mood2[]",
            false,
            true,
            true,
            Some("{col}::text[]::\"public\".\"mood2\"[]"),
        ),
        (
            "integer[]",
            "boolean[]",
            false,
            true,
            false,
            Some("{col}::boolean[]"),
        ),
        (
            "boolean[]",
            "smallint[]",
            true,
            true,
            false,
            Some("{col}::integer[]::smallint[]"),
        ),
        (
            "integer",
            "integer[]",
            false,
            true,
            true,
            Some("{col}::text::integer[]"),
        ),
        (
            "integer[]",
            "integer",
            false,
            true,
            true,
            Some("{col}::text::integer"),
        ),
        (
            "text",
            "text[]",
            false,
            true,
            true,
            Some("{col}::text::text[]"),
        ),
        // pass-through types: the deliberately conservative rule, not PostgreSQL's behaviour
        // for these particular types (on PG 15 citext → text does not rewrite, text → citext
        // and money → numeric need no USING, and int4range → int8range has no cast at all,
        // so that USING fails before any row is touched).
        ("sql:public.citext", "text", true, true, false, None),
        (
            "sql:public.citext",
            "character varying(10)",
            false,
            true,
            true,
            None,
        ),
        (
            "text",
            "sql:public.citext",
            false,
            true,
            true,
            Some("{col}::public.citext"),
        ),
        (
            "sql:int4range",
            "sql:int8range",
            false,
            true,
            true,
            Some("{col}::int8range"),
        ),
        (
            "sql:money",
            "numeric",
            false,
            true,
            true,
            Some("{col}::numeric"),
        ),
        (
            "sql:int4range[]",
            "sql:int8range[]",
            false,
            true,
            true,
            Some("{col}::int8range[]"),
        ),
        // same type
        ("integer", "integer", true, false, false, None),
        ("numeric(10,2)", "numeric(10,2)", true, false, false, None),
        (
            "enum:public.mood",
            "enum:public.mood",
            true,
            false,
            false,
            None,
        ),
        (
            "sql:public.citext",
            "sql:public.citext",
            true,
            false,
            false,
            None,
        ),
    ];

    #[test]
    fn rule_table() {
        let mut failures = Vec::new();
        for &(from, to, widening, rewrites, may_fail, using) in CASES {
            let got = classify(&dt(from), &dt(to));
            let want = TypeChange {
                widening,
                loses_data: got.loses_data,
                rewrites,
                may_fail,
                using: using.map(str::to_string),
            };
            if got != want {
                failures.push(format!("{from} → {to}: got {got:?}, want {want:?}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    /// `deletes_data` is "some value changes instead of failing": not every non-widening
    /// change. (from, to, loses_data)
    const LOSSES: &[(&str, &str, bool)] = &[
        // the value is taken as it is, or the cast fails
        ("text", "enum:public.mood", false),
        ("varchar(20)", "enum:public.mood", false),
        ("character(8)", "enum:public.mood", false),
        ("enum:public.mood", "enum:public.feeling", false),
        ("sql:public.positive_int", "integer", false),
        ("integer", "sql:public.positive_int", false),
        ("sql:public.email", "enum:public.mood", false),
        ("text", "sql:public.email", false),
        ("text[]", "enum:public.mood[]", false),
        // the spec's lossy examples, and casts that normalise or round
        ("numeric(10,2)", "integer", true),
        ("numeric(10,2)", "numeric(8,2)", true),
        ("bigint", "integer", true),
        ("varchar(20)", "varchar(10)", true),
        ("text", "integer", true),
        ("text", "boolean", true),
        ("json", "jsonb", true),
        ("sql:public.a", "sql:public.b", true),
        ("sql:public.citext", "varchar(5)", true),
        ("text", "text[]", true),
        // widening never loses
        ("enum:public.mood", "text", false),
        ("integer", "bigint", false),
    ];

    #[test]
    fn data_loss_table() {
        let mut failures = Vec::new();
        for &(from, to, loses) in LOSSES {
            let got = classify(&dt(from), &dt(to));
            if got.loses_data != loses {
                failures.push(format!(
                    "{from} → {to}: got {got:?}, want loses_data {loses}"
                ));
            }
            assert!(!(got.widening && got.loses_data));
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn same_type_is_no_change() {
        let t = classify(&dt("integer"), &dt("integer"));
        assert_eq!(
            t,
            TypeChange {
                widening: true,
                loses_data: false,
                rewrites: false,
                may_fail: false,
                using: None
            }
        );
    }

    #[test]
    fn quoted_enum_names_in_using() {
        let t = classify(&dt("text"), &dt("enum:\"My Schema\".\"Mood\"\"s\""));
        assert_eq!(
            t.using.as_deref(),
            Some("{col}::\"My Schema\".\"Mood\"\"s\"")
        );
    }
}
