//! `default = <TOML literal>`: check the value against the column type and render it as a SQL
//! literal. Strings are values, never SQL: they are always quoted.

use crate::compile::types::{BuiltinType, TypeFamily};
use crate::schema::reader::{Literal, Sp};
use crate::sql::quote_literal;

/// The column type a literal default is checked against.
pub enum Target<'a> {
    Builtin(&'a BuiltinType),
    /// An enum type with its values and display name.
    Enum {
        name: String,
        values: &'a [String],
    },
    /// `type_sql`: anything goes, PostgreSQL will check it.
    Custom,
}

/// A rejected default: message and hint (the caller supplies the span).
#[derive(Debug, PartialEq, Eq)]
pub struct DefaultError {
    pub message: String,
    pub hint: String,
}

fn err(message: impl Into<String>, hint: impl Into<String>) -> DefaultError {
    DefaultError {
        message: message.into(),
        hint: hint.into(),
    }
}

/// SQL text for a literal default of a column of type `target` (`array` for `type[]`).
pub fn render(lit: &Sp<Literal>, target: &Target<'_>, array: bool) -> Result<String, DefaultError> {
    if array {
        let Literal::Array(items) = &lit.value else {
            return Err(err(
                format!(
                    "default for an array column must be an array, found {}",
                    kind(&lit.value)
                ),
                "write e.g. `default = []` or `default = [\"a\", \"b\"]`",
            ));
        };
        let mut elems = Vec::new();
        for item in items {
            if matches!(item.value, Literal::Array(_)) {
                return Err(err(
                    "nested arrays are not supported in `default`",
                    "use `default_sql` for multi-dimensional array defaults",
                ));
            }
            elems.push(element_value(item, target)?);
        }
        // PostgreSQL's array output format, so the default reads back the same way.
        let body: Vec<String> = elems.iter().map(array_element).collect();
        return Ok(quote_literal(&format!("{{{}}}", body.join(","))));
    }
    if let Literal::Array(_) = lit.value {
        return Err(err(
            "an array default needs an array column",
            "make the column type an array (`text[]`) or give a single value",
        ));
    }
    let value = element_value(lit, target)?;
    Ok(match value {
        Value::Text(s) => quote_literal(&s),
        Value::Number(n) => n,
        Value::Bool(b) => b.to_string(),
    })
}

enum Value {
    Text(String),
    Number(String),
    Bool(bool),
}

fn kind(l: &Literal) -> &'static str {
    match l {
        Literal::String(_) => "a string",
        Literal::Integer(_) => "an integer",
        Literal::Float(_) => "a float",
        Literal::Bool(_) => "a boolean",
        Literal::Array(_) => "an array",
        Literal::Other(k) => k,
    }
}

/// Check one scalar against the (element) type.
fn element_value(lit: &Sp<Literal>, target: &Target<'_>) -> Result<Value, DefaultError> {
    let l = &lit.value;
    if let Literal::String(s) = l
        && s.contains('\0')
    {
        return Err(err(
            "default contains a NUL character (`\\u0000`)",
            "PostgreSQL strings cannot hold NUL: remove it (keep binary data in a `bytea` column)",
        ));
    }
    match target {
        Target::Custom => match l {
            Literal::String(s) => Ok(Value::Text(s.clone())),
            Literal::Integer(n) | Literal::Float(n) => Ok(Value::Number(n.clone())),
            Literal::Bool(b) => Ok(Value::Bool(*b)),
            _ => Err(err(
                format!("{} is not a valid default", kind(l)),
                "use a string, number or boolean, or `default_sql`",
            )),
        },
        Target::Enum { name, values } => match l {
            Literal::String(s) if values.contains(s) => Ok(Value::Text(s.clone())),
            Literal::String(s) => Err(err(
                format!("`{s}` is not a value of enum `{name}`"),
                match crate::suggest::closest(s, values.iter().map(String::as_str)) {
                    Some(c) => format!("did you mean `{c}`? values: {}", values.join(", ")),
                    None => format!("values: {}", values.join(", ")),
                },
            )),
            _ => Err(err(
                format!(
                    "default for enum `{name}` must be a string, found {}",
                    kind(l)
                ),
                format!("write one of: {}", values.join(", ")),
            )),
        },
        Target::Builtin(ty) => builtin_value(l, ty),
    }
}

fn builtin_value(l: &Literal, ty: &BuiltinType) -> Result<Value, DefaultError> {
    let tname = &ty.canonical;
    let mismatch = || {
        err(
            format!("{} is not a valid default for `{tname}`", kind(l)),
            expected_hint(&ty.family),
        )
    };
    match (&ty.family, l) {
        (TypeFamily::Integer { bits }, Literal::Integer(n)) => {
            let v: i128 = n.parse().map_err(|_| mismatch())?;
            let (min, max) = match bits {
                16 => (i16::MIN as i128, i16::MAX as i128),
                32 => (i32::MIN as i128, i32::MAX as i128),
                _ => (i64::MIN as i128, i64::MAX as i128),
            };
            if v < min || v > max {
                return Err(err(
                    format!("{v} is out of range for `{tname}`"),
                    format!("`{tname}` holds {min} to {max}"),
                ));
            }
            Ok(Value::Number(v.to_string()))
        }
        (TypeFamily::Numeric { precision, scale }, Literal::Integer(n) | Literal::Float(n)) => {
            finite(n)?;
            numeric_fits(n, *precision, *scale, tname)?;
            Ok(Value::Number(n.clone()))
        }
        (TypeFamily::Float { bits }, Literal::Integer(n) | Literal::Float(n)) => {
            finite(n)?;
            float_fits(n, *bits, tname)?;
            Ok(Value::Number(n.clone()))
        }
        (TypeFamily::Boolean, Literal::Bool(b)) => Ok(Value::Bool(*b)),
        (TypeFamily::Text { max_len, .. }, Literal::String(s)) => {
            if let Some(max) = max_len {
                let len = s.chars().count();
                // PostgreSQL cuts excess characters that are all spaces instead of failing.
                let excess_is_spaces = s.chars().skip(*max as usize).all(|c| c == ' ');
                if len > *max as usize && !excess_is_spaces {
                    return Err(err(
                        format!("default is {len} characters, longer than `{tname}` allows"),
                        format!("shorten it to at most {max} characters or widen the column"),
                    ));
                }
            }
            Ok(Value::Text(s.clone()))
        }
        (TypeFamily::Uuid, Literal::String(s)) => {
            let Some(canonical) = uuid_canonical(s) else {
                return Err(err(
                    format!("`{s}` is not a valid uuid"),
                    "write it as xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, or use `default_sql = \"gen_random_uuid()\"`",
                ));
            };
            // uuid_out prints the canonical lower-case form: keep the default as it reads back.
            Ok(Value::Text(canonical))
        }
        (TypeFamily::Json, Literal::String(s)) => {
            // Syntax only: PostgreSQL keeps numbers of any size (`1e1000`), which a parse into
            // `serde_json::Value` would refuse.
            if serde_json::from_str::<serde::de::IgnoredAny>(s).is_err() {
                return Err(err(
                    format!("`{s}` is not valid JSON"),
                    "the string must hold a JSON document, e.g. `default = \"{}\"`",
                ));
            }
            Ok(Value::Text(s.clone()))
        }
        (TypeFamily::Date | TypeFamily::Time | TypeFamily::Timestamp, Literal::String(s)) => {
            temporal(s, ty)?;
            Ok(Value::Text(stored_form(ty, s)?))
        }
        (TypeFamily::Network, Literal::String(s)) => {
            network(s, tname)?;
            Ok(Value::Text(stored_form(ty, s)?))
        }
        (TypeFamily::Bytea | TypeFamily::Tsvector, Literal::String(s)) => {
            Ok(Value::Text(stored_form(ty, s)?))
        }
        // PostgreSQL checks intervals itself; their input syntax is too rich to second-guess.
        (TypeFamily::Interval, Literal::String(s)) => Ok(Value::Text(s.clone())),
        _ => Err(mismatch()),
    }
}

/// A valid string default rewritten into the form PostgreSQL prints it back in, so the
/// default read from the catalog equals the one compiled (`bytea` as hex, `inet` without a
/// full host mask, `macaddr` lower-case with colons, `timetz` with seconds and a short zone,
/// `epoch` as its date). Forms that cannot be rewritten reliably are rejected with a hint.
fn stored_form(ty: &BuiltinType, s: &str) -> Result<String, DefaultError> {
    let t = s.trim();
    let canonical = ty.canonical.as_str();
    Ok(match &ty.family {
        TypeFamily::Bytea => {
            if let Some(hex) = t.strip_prefix("\\x").or_else(|| t.strip_prefix("\\X")) {
                let hex: String = hex.chars().filter(|c| !c.is_ascii_whitespace()).collect();
                if hex.len() % 2 != 0 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                    return Err(err(
                        format!("`{s}` is not valid hex bytea"),
                        "write `\\x` followed by pairs of hex digits",
                    ));
                }
                format!("\\x{}", hex.to_ascii_lowercase())
            } else if t.contains('\\') {
                return Err(err(
                    format!("`{s}` uses bytea escape format"),
                    "write the bytes as hex, e.g. \"\\\\x00ff\"",
                ));
            } else {
                let hex: String = s.bytes().map(|b| format!("{b:02x}")).collect();
                format!("\\x{hex}")
            }
        }
        TypeFamily::Tsvector => {
            if s.contains(':') || s.contains('\'') || s.contains('\\') {
                return Err(err(
                    format!("tsvector default `{s}` has positions or quoted lexemes"),
                    "write plain lexemes (`\"a b\"`), or use `default_sql` for anything richer",
                ));
            }
            s.to_string()
        }
        TypeFamily::Network if canonical.starts_with("macaddr") => {
            let hex: String = t.chars().filter(|c| c.is_ascii_hexdigit()).collect();
            let hex = hex.to_ascii_lowercase();
            let hex = if canonical == "macaddr8" && hex.len() == 12 {
                format!("{}fffe{}", &hex[..6], &hex[6..])
            } else {
                hex
            };
            hex.as_bytes()
                .chunks(2)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join(":")
        }
        TypeFamily::Network => network_stored(t, canonical == "cidr").ok_or_else(|| {
            err(
                format!("`{s}` is an abbreviated address"),
                "write the full address, e.g. \"10.0.0.0/8\"",
            )
        })?,
        TypeFamily::Date | TypeFamily::Timestamp if t.eq_ignore_ascii_case("epoch") => {
            match (&ty.family, canonical.contains("with time zone")) {
                (TypeFamily::Date, _) => "1970-01-01".into(),
                (_, true) => "1970-01-01 00:00:00+00".into(),
                _ => "1970-01-01 00:00:00".into(),
            }
        }
        TypeFamily::Time if canonical.contains("with time zone") => timetz_stored(t),
        _ => s.to_string(),
    })
}

/// `inet`/`cidr` text as PostgreSQL prints it. Abbreviated IPv4 (`10/8`, `128.1`) is
/// expanded as PostgreSQL does: missing octets are zero, and a `cidr` without a prefix gets
/// the classful one, widened to cover the octets given. `None` when it cannot be read.
fn network_stored(t: &str, cidr: bool) -> Option<String> {
    let (addr, prefix) = match t.split_once('/') {
        Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
        None => (t, None),
    };
    if addr.contains(':') {
        let text = addr.parse::<std::net::Ipv6Addr>().ok()?.to_string();
        let prefix = prefix.unwrap_or(128);
        return Some(if cidr || prefix != 128 {
            format!("{text}/{prefix}")
        } else {
            text
        });
    }
    // Octets may carry leading zeros (`192.168.001.001`), as PostgreSQL accepts.
    let given: Vec<u8> = addr
        .split('.')
        .map(|o| o.parse::<u8>().ok())
        .collect::<Option<_>>()?;
    if given.is_empty() || given.len() > 4 || (given.len() < 4 && !cidr && prefix.is_none()) {
        return None;
    }
    let mut o = [0u8; 4];
    o[..given.len()].copy_from_slice(&given);
    let text = std::net::Ipv4Addr::from(o).to_string();
    let prefix = prefix.unwrap_or_else(|| {
        let class = match o[0] {
            240.. => 32,
            224.. => 4,
            192.. => 24,
            128.. => 16,
            _ => 8,
        };
        if given.len() < 4 {
            class.max(given.len() as u8 * 8)
        } else {
            32
        }
    });
    Some(if cidr || prefix != 32 {
        format!("{text}/{prefix}")
    } else {
        text
    })
}

/// `HH:MM[:SS[.f]]` + zone as `time with time zone` prints it: seconds always, fraction
/// without trailing zeros, zone `Z` → `+00`, `+HH:00`/`+HH00` → `+HH`.
fn timetz_stored(t: &str) -> String {
    let Some(pos) = t.rfind(['+', '-', 'Z', 'z']) else {
        return t.to_string();
    };
    let (time, zone) = t.split_at(pos);
    let mut parts: Vec<String> = time.trim().split(':').map(String::from).collect();
    if parts.len() == 2 {
        parts.push("00".into());
    }
    if let Some(sec) = parts.get_mut(2)
        && let Some((whole, frac)) = sec.clone().split_once('.')
    {
        let frac = frac.trim_end_matches('0');
        *sec = if frac.is_empty() {
            whole.to_string()
        } else {
            format!("{whole}.{frac}")
        };
    }
    let zone = if zone.eq_ignore_ascii_case("z") {
        "+00".to_string()
    } else {
        let (sign, rest) = zone.split_at(1);
        let digits: String = rest.chars().filter(|c| c.is_ascii_digit()).collect();
        let (h, m) = match digits.len() {
            1 => (format!("0{digits}"), "00".to_string()),
            2 => (digits.clone(), "00".to_string()),
            4 => (digits[..2].to_string(), digits[2..].to_string()),
            _ => return t.to_string(),
        };
        if m == "00" {
            format!("{sign}{h}")
        } else {
            format!("{sign}{h}:{m}")
        }
    };
    format!("{}{zone}", parts.join(":"))
}

fn expected_hint(f: &TypeFamily) -> String {
    match f {
        TypeFamily::Integer { .. } => "write an integer, e.g. `default = 0`".into(),
        TypeFamily::Numeric { .. } | TypeFamily::Float { .. } => {
            "write a number, e.g. `default = 0.0`".into()
        }
        TypeFamily::Boolean => "write `default = true` or `default = false`".into(),
        _ => "write the value as a string, or use `default_sql` for an expression".into(),
    }
}

/// TOML's `nan`/`inf` (any sign): written bare they would read as column names, and quoted
/// they are not what every numeric type can hold, so they go through `default_sql`.
fn finite(n: &str) -> Result<(), DefaultError> {
    let body = n.trim_start_matches(['-', '+']);
    if body.eq_ignore_ascii_case("nan") || body.eq_ignore_ascii_case("inf") {
        let sql = if body.eq_ignore_ascii_case("nan") {
            "'NaN'"
        } else if n.starts_with('-') {
            "'-Infinity'"
        } else {
            "'Infinity'"
        };
        return Err(err(
            format!("`{n}` is not a finite number"),
            format!("write `default_sql = \"{sql}\"` for PostgreSQL's special value"),
        ));
    }
    Ok(())
}

/// A decimal number as `digits × 10^exp`, `digits` without leading or trailing zeros (empty
/// for zero).
struct Decimal {
    digits: String,
    exp: i64,
}

impl Decimal {
    /// TOML's number syntax (sign, digits, optional fraction and exponent; `_` already gone).
    fn parse(n: &str) -> Option<Decimal> {
        let body = n.strip_prefix(['-', '+']).unwrap_or(n);
        let (mantissa, exp) = match body.find(['e', 'E']) {
            Some(i) => (&body[..i], body[i + 1..].parse::<i64>().ok()?),
            None => (body, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if int.is_empty() || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let all = format!("{int}{frac}");
        let lead = all.len() - all.trim_start_matches('0').len();
        let digits = all[lead..].trim_end_matches('0').to_string();
        let trailing = (all.len() - lead - digits.len()) as i64;
        let exp = exp.checked_sub(frac.len() as i64)?.checked_add(trailing)?;
        Some(Decimal { digits, exp })
    }

    fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// Power of ten of the lowest non-zero digit (a value with no fractional part has ≥ 0).
    fn lowest(&self) -> i64 {
        self.exp
    }

    /// Number of digits up to and including the units digit: the value is below 10^this
    /// (negative or zero for values below 1).
    fn magnitude(&self) -> i64 {
        self.exp.saturating_add(self.digits.len() as i64)
    }
}

/// `10^e` written out, for messages (`e` may be negative).
fn pow10(e: i64) -> String {
    if e >= 0 {
        format!("1{}", "0".repeat(e as usize))
    } else {
        format!("0.{}1", "0".repeat((-e - 1) as usize))
    }
}

/// Reject values `numeric(p,s)` cannot store (overflow) or would silently round.
///
/// PostgreSQL rounds to `s` decimal places (to a multiple of `10^-s` when `s` is negative) and
/// then requires the absolute value to be below `10^(p-s)` (`s > p` is allowed: `numeric(2,5)`
/// holds values below 0.001). Unconstrained `numeric` holds up to 131072 digits before the
/// decimal point and 16383 after.
fn numeric_fits(
    n: &str,
    precision: Option<u32>,
    scale: Option<i32>,
    tname: &str,
) -> Result<(), DefaultError> {
    let Some(d) = Decimal::parse(n) else {
        return Err(err(
            format!("`{n}` is not a decimal number"),
            "write the default as a plain decimal, e.g. 1234.56",
        ));
    };
    if d.is_zero() {
        return Ok(());
    }
    let Some(p) = precision else {
        if d.magnitude() > 131_072 || d.lowest() < -16_383 {
            return Err(err(
                format!("`{n}` is outside the range of `{tname}`"),
                "`numeric` holds up to 131072 digits before the decimal point and 16383 after",
            ));
        }
        return Ok(());
    };
    let (p, s) = (p as i64, scale.unwrap_or(0) as i64);
    if d.lowest() < -s {
        return Err(if s >= 0 {
            err(
                format!(
                    "`{n}` has {} decimal places; `{tname}` keeps {s}",
                    -d.lowest()
                ),
                "PostgreSQL would round it silently; write the value with fewer decimals",
            )
        } else {
            err(
                format!(
                    "`{n}` is not a multiple of {}: `{tname}` would round it",
                    pow10(-s)
                ),
                format!(
                    "PostgreSQL would round it silently; write a whole number ending in {} zeros",
                    -s
                ),
            )
        });
    }
    if d.magnitude() > p - s {
        let hint = if s < 0 {
            format!(
                "`{tname}` holds at most {p} significant digits followed by {} zeros \
                 (values below {})",
                -s,
                pow10(p - s)
            )
        } else if p > s {
            format!(
                "`{tname}` holds at most {} digits before the decimal point",
                p - s
            )
        } else {
            format!(
                "`{tname}` holds only values whose absolute value is below {}",
                pow10(p - s)
            )
        };
        return Err(err(format!("`{n}` overflows `{tname}`"), hint));
    }
    Ok(())
}

/// `real` / `double precision`: PostgreSQL rejects values that overflow to infinity and
/// non-zero values that underflow to zero ("out of range"); subnormals are accepted.
fn float_fits(n: &str, bits: u8, tname: &str) -> Result<(), DefaultError> {
    let (infinite, zero) = if bits == 32 {
        let v = n.parse::<f32>().map_err(|_| not_a_number(n))?;
        (v.is_infinite(), v == 0.0)
    } else {
        let v = n.parse::<f64>().map_err(|_| not_a_number(n))?;
        (v.is_infinite(), v == 0.0)
    };
    let (max, min) = if bits == 32 {
        ("3.4028235e38", "1.4e-45")
    } else {
        ("1.7976931348623157e308", "4.9e-324")
    };
    if infinite {
        return Err(err(
            format!("`{n}` is out of range for `{tname}`"),
            format!("`{tname}` holds magnitudes up to {max}; use `numeric` for larger values"),
        ));
    }
    if zero && Decimal::parse(n).is_some_and(|d| !d.is_zero()) {
        return Err(err(
            format!(
                "`{n}` is out of range for `{tname}`: it is too small and would underflow to 0"
            ),
            format!("the smallest non-zero `{tname}` is about {min}; write 0 or use `numeric`"),
        ));
    }
    Ok(())
}

fn not_a_number(n: &str) -> DefaultError {
    err(
        format!("`{n}` is not a number"),
        "write a number, e.g. `default = 0.0`",
    )
}

// ---------------------------------------------------------------------------------------------
// Dates and times
//
// Strings in the ISO 8601 shape (`2024-01-31`, `2024-01-31 12:30:00.5+02:00`, `12:30`) are
// checked field by field; PostgreSQL's many other spellings (`Jan 31 2024`, zone names, `BC`,
// …) are left for PostgreSQL to judge, unless the string has no digit at all.

/// Words PostgreSQL evaluates once, when the default is stored, not on every insert.
const FROZEN_WORDS: &[&str] = &["now", "today", "tomorrow", "yesterday"];

fn temporal(s: &str, ty: &BuiltinType) -> Result<(), DefaultError> {
    let tname = &ty.canonical;
    let with_zone = tname.ends_with("with time zone");
    let (example, live) = match ty.family {
        TypeFamily::Date => ("2024-01-31", "CURRENT_DATE"),
        TypeFamily::Time if with_zone => ("12:30:00+02", "CURRENT_TIME"),
        TypeFamily::Time => ("12:30:00", "LOCALTIME"),
        _ if with_zone => ("2024-01-31 12:30:00+02", "now()"),
        _ => ("2024-01-31 12:30:00", "LOCALTIMESTAMP"),
    };
    let invalid = |why: String| {
        err(
            format!("`{s}` is not a valid `{tname}`: {why}"),
            format!("write it as `{example}`"),
        )
    };
    let t = s.trim_matches(|c: char| c.is_ascii_whitespace());
    if t.is_empty() {
        return Err(invalid("the string is empty".into()));
    }
    if let Some(w) = t
        .split(|c: char| !c.is_ascii_alphabetic())
        .find(|w| FROZEN_WORDS.iter().any(|f| w.eq_ignore_ascii_case(f)))
    {
        return Err(err(
            format!("`{s}` would be evaluated once, when the table is created, not on each insert"),
            format!(
                "PostgreSQL freezes `{}` at creation time: use `default_sql = \"{live}\"` for the \
                 current value",
                w.to_ascii_lowercase()
            ),
        ));
    }
    let special: &[&str] = match ty.family {
        TypeFamily::Time => &["allballs"],
        _ => &["infinity", "-infinity", "epoch"],
    };
    if special.iter().any(|w| t.eq_ignore_ascii_case(w)) {
        return Ok(());
    }
    let mut c = Cursor {
        s: t.as_bytes(),
        i: 0,
    };
    let parsed = match ty.family {
        TypeFamily::Time => c.time_value(),
        _ => c.timestamp_value(),
    };
    if let Some(fields) = parsed
        && c.at_end()
    {
        return fields.check(&ty.family, with_zone).map_err(invalid);
    }
    if !t.bytes().any(|b| b.is_ascii_digit()) {
        return Err(invalid("it holds no date or time".into()));
    }
    Ok(())
}

#[derive(Default)]
struct Fields {
    date: Option<(u64, u64, u64)>,
    time: Option<(u64, u64, u64, u64)>,
    zone: Option<(u64, u64, u64)>,
}

impl Fields {
    fn check(&self, family: &TypeFamily, with_zone: bool) -> Result<(), String> {
        if let Some((y, m, d)) = self.date {
            if y == 0 {
                return Err("there is no year 0".into());
            }
            if !(1..=12).contains(&m) {
                return Err(format!("month {m} does not exist"));
            }
            let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
            let days = match m {
                2 if leap => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            if d == 0 || d > days {
                return Err(format!("day {d} does not exist in {y:04}-{m:02}"));
            }
            let max_year = match family {
                TypeFamily::Date => 5_874_897,
                // timestamptz: the zone may move the last moments back into range.
                _ if with_zone => 294_277,
                _ => 294_276,
            };
            if y > max_year {
                return Err(format!("year {y} is beyond the last year {max_year}"));
            }
        }
        if let Some((h, m, sec, micros)) = self.time {
            if h > 24 || m > 59 || sec > 60 {
                return Err("hour, minute or second out of range".into());
            }
            let total = (h * 3600 + m * 60 + sec) * 1_000_000 + micros;
            if (h == 24 && total != 24 * 3600 * 1_000_000) || total > 24 * 3600 * 1_000_000 {
                return Err("the time is past 24:00:00".into());
            }
        }
        if let Some((h, m, s)) = self.zone
            && (h > 15 || m > 59 || s > 59)
        {
            return Err("the time zone offset is out of range (at most ±15:59:59)".into());
        }
        Ok(())
    }
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn at_end(&self) -> bool {
        self.i == self.s.len()
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn spaces(&mut self) -> usize {
        let start = self.i;
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.i += 1;
        }
        self.i - start
    }

    /// `min..=max` ASCII digits as a number and their count.
    fn digits(&mut self, min: usize, max: usize) -> Option<(u64, usize)> {
        let start = self.i;
        while self.i - start < max && self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.i += 1;
        }
        let n = self.i - start;
        if n < min || self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.i = start;
            return None;
        }
        let text = std::str::from_utf8(&self.s[start..self.i]).ok()?;
        Some((text.parse().ok()?, n))
    }

    /// `YYYY-MM-DD` (a year of 4 to 10 digits).
    fn date(&mut self) -> Option<(u64, u64, u64)> {
        let (y, _) = self.digits(4, 10)?;
        if !self.eat(b'-') {
            return None;
        }
        let (m, _) = self.digits(1, 2)?;
        if !self.eat(b'-') {
            return None;
        }
        let (d, _) = self.digits(1, 2)?;
        Some((y, m, d))
    }

    /// `HH:MM[:SS[.f…]]`: hours, minutes, seconds and microseconds (rounded as PostgreSQL does).
    fn time(&mut self) -> Option<(u64, u64, u64, u64)> {
        let (h, _) = self.digits(1, 2)?;
        if !self.eat(b':') {
            return None;
        }
        let (m, _) = self.digits(1, 2)?;
        let (mut sec, mut micros) = (0, 0);
        if self.eat(b':') {
            sec = self.digits(1, 2)?.0;
            if self.eat(b'.') {
                let start = self.i;
                while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                    self.i += 1;
                }
                let frac = std::str::from_utf8(&self.s[start..self.i]).ok()?;
                if frac.is_empty() {
                    return None;
                }
                micros = (format!("0.{frac}").parse::<f64>().ok()? * 1e6).round() as u64;
            }
        }
        Some((h, m, sec, micros))
    }

    /// `Z`, `±HH`, `±HH:MM`, `±HH:MM:SS` or `±HHMM` (zone names are left to PostgreSQL).
    fn zone(&mut self) -> Option<(u64, u64, u64)> {
        if self.eat(b'Z') || self.eat(b'z') {
            return Some((0, 0, 0));
        }
        if !(self.eat(b'+') || self.eat(b'-')) {
            return None;
        }
        if let Some((hhmm, 4)) = self.digits(4, 4) {
            return Some((hhmm / 100, hhmm % 100, 0));
        }
        let (h, _) = self.digits(1, 2)?;
        let (mut m, mut s) = (0, 0);
        if self.eat(b':') {
            m = self.digits(2, 2)?.0;
            if self.eat(b':') {
                s = self.digits(2, 2)?.0;
            }
        }
        Some((h, m, s))
    }

    /// `TIME[ ZONE]`, optionally after a date (`time` and `timetz` accept and ignore one).
    fn time_value(&mut self) -> Option<Fields> {
        let mut f = Fields::default();
        let save = self.i;
        match self.date() {
            Some(d) => {
                if !(self.eat(b'T') || self.eat(b't') || self.spaces() > 0) {
                    return None;
                }
                self.spaces();
                f.date = Some(d);
            }
            None => self.i = save,
        }
        f.time = Some(self.time()?);
        self.spaces();
        if !self.at_end() {
            f.zone = Some(self.zone()?);
        }
        Some(f)
    }

    /// `DATE[(T| )TIME[ ZONE]]` (also what `date` accepts: PostgreSQL ignores the time).
    fn timestamp_value(&mut self) -> Option<Fields> {
        let mut f = Fields {
            date: Some(self.date()?),
            ..Fields::default()
        };
        if self.at_end() {
            return Some(f);
        }
        if !(self.eat(b'T') || self.eat(b't') || self.spaces() > 0) {
            return None;
        }
        self.spaces();
        f.time = Some(self.time()?);
        self.spaces();
        if !self.at_end() {
            f.zone = Some(self.zone()?);
        }
        Some(f)
    }
}

// ---------------------------------------------------------------------------------------------
// Network addresses

fn network(s: &str, tname: &str) -> Result<(), DefaultError> {
    let ok = match tname {
        "inet" | "cidr" => return ip(s, tname == "cidr"),
        "macaddr" => is_macaddr(s),
        "macaddr8" => is_macaddr8(s),
        _ => true,
    };
    if !ok {
        return Err(err(
            format!("`{s}` is not a valid `{tname}`"),
            if tname == "macaddr" {
                "write six hex pairs, e.g. `08:00:2b:01:02:03`"
            } else {
                "write six or eight hex pairs, e.g. `08:00:2b:01:02:03:04:05`"
            },
        ));
    }
    Ok(())
}

/// `inet` / `cidr`: IPv4 or IPv6 with an optional `/prefix`; a `cidr` has no bits set after
/// the prefix. `cidr` also takes PostgreSQL's abbreviated IPv4 (`10.1` is `10.1.0.0/16`), and
/// `inet` does with a prefix (`10/8`).
fn ip(s: &str, cidr: bool) -> Result<(), DefaultError> {
    let tname = if cidr { "cidr" } else { "inet" };
    let invalid = |why: &str| {
        err(
            format!("`{s}` is not a valid `{tname}`{why}"),
            if cidr {
                "write a network such as `192.168.1.0/24` or `2001:db8::/32`"
            } else {
                "write an address such as `192.168.1.5`, `192.168.1.5/24` or `2001:db8::1`"
            },
        )
    };
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => {
            if p.is_empty() || p.len() > 4 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid(": the prefix length must be a number"));
            }
            (a, Some(p.parse::<u32>().unwrap_or(u32::MAX)))
        }
        None => (s, None),
    };
    // Address as a 128-bit number and its width in bits; `full` when no part was abbreviated.
    let (value, bits, full) = if addr.contains(':') {
        let Ok(v6) = addr.parse::<std::net::Ipv6Addr>() else {
            return Err(invalid(""));
        };
        (u128::from(v6), 128, true)
    } else {
        let parts: Vec<&str> = addr.split('.').collect();
        let mut value: u128 = 0;
        for i in 0..4 {
            let octet = match parts.get(i) {
                Some(p)
                    if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    p.parse::<u128>().unwrap_or(256)
                }
                Some(_) => return Err(invalid("")),
                None => 0,
            };
            if octet > 255 {
                return Err(invalid(": each part of an IPv4 address is 0 to 255"));
            }
            value = value << 8 | octet;
        }
        if parts.len() > 4 {
            return Err(invalid(""));
        }
        (value, 32, parts.len() == 4)
    };
    if let Some(p) = prefix
        && p > bits
    {
        return Err(invalid(&format!(": the prefix length is at most {bits}")));
    }
    if !full && !cidr && prefix.is_none() {
        return Err(invalid(": an IPv4 address has four parts"));
    }
    if cidr && let Some(p) = prefix {
        let host = 1u128.checked_shl(bits - p).map_or(u128::MAX, |b| b - 1);
        if value & host != 0 {
            return Err(err(
                format!(
                    "`{s}` is not a valid `cidr`: it has bits set to the right of the /{p} mask"
                ),
                "write the network address (host bits zero), e.g. `192.168.1.0/24`, or use `inet`",
            ));
        }
    }
    Ok(())
}

/// The spellings `macaddr_in` accepts: six groups of one or two hex digits separated by `:`,
/// `-` or spaces; `xxxxxx:xxxxxx`, `xxxxxx-xxxxxx`, `xxxx.xxxx.xxxx`, `xxxx-xxxx-xxxx`; or
/// twelve hex digits. Surrounding whitespace is ignored.
fn is_macaddr(s: &str) -> bool {
    let t = s.trim_matches(|c: char| c.is_ascii_whitespace());
    let hex = |g: &str, lens: &[usize]| {
        lens.contains(&g.len()) && g.bytes().all(|b| b.is_ascii_hexdigit())
    };
    let groups = |sep: char, n: usize, lens: &[usize]| {
        let g: Vec<&str> = t.split(sep).collect();
        g.len() == n && g.iter().all(|g| hex(g, lens))
    };
    groups(':', 6, &[1, 2])
        || groups('-', 6, &[1, 2])
        || groups(':', 2, &[6])
        || groups('-', 2, &[6])
        || groups('.', 3, &[4])
        || groups('-', 3, &[4])
        || {
            let packed: String = t.chars().filter(|c| !c.is_ascii_whitespace()).collect();
            hex(&packed, &[12])
        }
}

/// `macaddr8`: 6 or 8 bytes as hex digits, optionally separated by one of `:`, `-`, `.` (the
/// same one throughout). Surrounding whitespace is ignored.
fn is_macaddr8(s: &str) -> bool {
    let t = s.trim_matches(|c: char| c.is_ascii_whitespace());
    let mut seps = t.chars().filter(|c| matches!(c, ':' | '-' | '.'));
    let first = seps.next();
    let digits = t.chars().filter(char::is_ascii_hexdigit).count();
    seps.all(|c| Some(c) == first)
        && t.chars()
            .all(|c| c.is_ascii_hexdigit() || matches!(c, ':' | '-' | '.'))
        && (digits == 12 || digits == 16)
}

/// The canonical form of a uuid as PostgreSQL's `uuid_in` reads it: 32 hex digits, a `-`
/// allowed after any group of four (not after the last), the whole optionally in braces.
fn uuid_canonical(s: &str) -> Option<String> {
    let body = match s.strip_prefix('{') {
        Some(rest) => rest.strip_suffix('}')?,
        None => s,
    };
    let mut digits = String::with_capacity(32);
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if !c.is_ascii_hexdigit() || digits.len() == 32 {
            return None;
        }
        digits.push(c.to_ascii_lowercase());
        if digits.len() % 4 == 0 && digits.len() < 32 && chars.peek() == Some(&'-') {
            chars.next();
        }
    }
    if digits.len() != 32 {
        return None;
    }
    Some(format!(
        "{}-{}-{}-{}-{}",
        &digits[..8],
        &digits[8..12],
        &digits[12..16],
        &digits[16..20],
        &digits[20..]
    ))
}

/// One element as `array_out` writes it: quoted only when it has to be.
fn array_element(v: &Value) -> String {
    let s = match v {
        Value::Text(s) => s.clone(),
        Value::Number(n) => return n.clone(),
        Value::Bool(b) => return if *b { "t".into() } else { "f".into() },
    };
    let needs_quotes = s.is_empty()
        || s.eq_ignore_ascii_case("null")
        || s.chars()
            .any(|c| matches!(c, '{' | '}' | ',' | '"' | '\\') || c.is_ascii_whitespace());
    if !needs_quotes {
        return s;
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::{FileId, Span};

    #[test]
    fn uuids_in_every_form_uuid_in_takes() {
        let canonical = Some("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11".to_string());
        for s in [
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
            "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
            "a0eebc999c0b4ef8bb6d6bb9bd380a11",
            "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11",
            "{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}",
        ] {
            assert_eq!(uuid_canonical(s), canonical, "{s}");
        }
        for s in [
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-",
            "a0eebc9-99c0b-4ef8-bb6d-6bb9bd380a11",
            "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            "a0eebc99--9c0b-4ef8-bb6d-6bb9bd380a11",
            "g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            "",
        ] {
            assert_eq!(uuid_canonical(s), None, "{s}");
        }
    }

    fn sp(l: Literal) -> Sp<Literal> {
        Sp::new(
            l,
            Span {
                file: FileId(0),
                range: 0..0,
            },
        )
    }

    fn builtin(canonical: &str, family: TypeFamily) -> BuiltinType {
        BuiltinType {
            canonical: canonical.into(),
            family,
        }
    }

    #[test]
    fn numeric_scale_and_overflow() {
        let t = builtin(
            "numeric(10,2)",
            TypeFamily::Numeric {
                precision: Some(10),
                scale: Some(2),
            },
        );
        let ok = render(
            &sp(Literal::Float("1234.56".into())),
            &Target::Builtin(&t),
            false,
        );
        assert_eq!(ok.unwrap(), "1234.56");
        assert!(
            render(
                &sp(Literal::Float("1.234".into())),
                &Target::Builtin(&t),
                false
            )
            .is_err()
        );
        assert!(
            render(
                &sp(Literal::Integer("123456789".into())),
                &Target::Builtin(&t),
                false
            )
            .is_err()
        );
        assert!(
            render(
                &sp(Literal::Integer("12345678".into())),
                &Target::Builtin(&t),
                false
            )
            .is_ok()
        );
    }

    #[test]
    fn strings_are_values_never_sql() {
        let t = builtin(
            "text",
            TypeFamily::Text {
                max_len: None,
                fixed: false,
            },
        );
        let out = render(
            &sp(Literal::String("now()'; drop".into())),
            &Target::Builtin(&t),
            false,
        );
        assert_eq!(out.unwrap(), "'now()''; drop'");
        let i = builtin("integer", TypeFamily::Integer { bits: 32 });
        assert!(
            render(
                &sp(Literal::String("7".into())),
                &Target::Builtin(&i),
                false
            )
            .is_err()
        );
        assert!(
            render(
                &sp(Literal::Integer("2147483648".into())),
                &Target::Builtin(&i),
                false
            )
            .is_err()
        );
    }

    #[test]
    fn enum_values_and_arrays() {
        let values = vec!["A".to_string(), "B C".to_string()];
        let e = Target::Enum {
            name: "e".into(),
            values: &values,
        };
        assert_eq!(
            render(&sp(Literal::String("A".into())), &e, false).unwrap(),
            "'A'"
        );
        assert!(render(&sp(Literal::String("Z".into())), &e, false).is_err());
        let arr = sp(Literal::Array(vec![
            sp(Literal::String("A".into())),
            sp(Literal::String("B C".into())),
        ]));
        assert_eq!(render(&arr, &e, true).unwrap(), "'{A,\"B C\"}'");
        assert_eq!(
            render(&sp(Literal::Array(vec![])), &e, true).unwrap(),
            "'{}'"
        );
    }
    /// A built-in type as the compiler sees it.
    fn ty(spelling: &str) -> BuiltinType {
        match crate::compile::types::parse_type(spelling) {
            Ok(crate::compile::types::TypeSpec::Builtin { ty, .. }) => ty,
            other => panic!("{spelling}: {other:?}"),
        }
    }

    fn num(spelling: &str, n: &str) -> Result<String, DefaultError> {
        let lit = if n.contains(['.', 'e', 'E', 'n', 'i']) {
            Literal::Float(n.into())
        } else {
            Literal::Integer(n.into())
        };
        render(&sp(lit), &Target::Builtin(&ty(spelling)), false)
    }

    fn text(spelling: &str, s: &str) -> Result<String, DefaultError> {
        render(
            &sp(Literal::String(s.into())),
            &Target::Builtin(&ty(spelling)),
            false,
        )
    }

    /// TOML `nan`/`inf` would render as bare words PostgreSQL reads as column names.
    #[test]
    fn non_finite_numbers_need_default_sql() {
        for t in ["numeric", "numeric(10,2)", "real", "double precision"] {
            for (n, sql) in [
                ("nan", "'NaN'"),
                ("+nan", "'NaN'"),
                ("-nan", "'NaN'"),
                ("inf", "'Infinity'"),
                ("+inf", "'Infinity'"),
                ("-inf", "'-Infinity'"),
            ] {
                let e = num(t, n).unwrap_err();
                assert_eq!(
                    e.message,
                    format!("`{n}` is not a finite number"),
                    "{t} {n}"
                );
                assert!(
                    e.hint.contains(&format!("default_sql = \"{sql}\"")),
                    "{e:?}"
                );
            }
        }
        assert_eq!(num("numeric", "1.5").unwrap(), "1.5");
        // Huge but finite: fine for numeric (PostgreSQL: 1e400 is a numeric constant).
        assert_eq!(num("numeric", "1e400").unwrap(), "1e400");
    }

    /// Checked on PostgreSQL 15: `numeric(3,-2)` rounds to hundreds and holds below 10^5;
    /// `numeric(2,5)` holds below 0.001.
    #[test]
    fn numeric_negative_scale_and_scale_above_precision() {
        for ok in ["12300", "-99900", "0", "12300.0", "1.23e4", "100", "-100"] {
            assert_eq!(num("numeric(3,-2)", ok).unwrap(), ok, "{ok}");
        }
        let e = num("numeric(3,-2)", "12345").unwrap_err();
        assert_eq!(
            e.message,
            "`12345` is not a multiple of 100: `numeric(3,-2)` would round it"
        );
        assert!(e.hint.contains("ending in 2 zeros"), "{e:?}");
        assert!(num("numeric(3,-2)", "12350").is_err());
        assert!(num("numeric(3,-2)", "12300.5").is_err());
        let e = num("numeric(3,-2)", "100000").unwrap_err();
        assert_eq!(e.message, "`100000` overflows `numeric(3,-2)`");
        assert!(e.hint.contains("below 100000"), "{e:?}");

        for ok in ["0.00099", "0.00001", "-0.00099", "0", "0.0", "9.9e-4"] {
            assert_eq!(num("numeric(2,5)", ok).unwrap(), ok, "{ok}");
        }
        let e = num("numeric(2,5)", "0.001").unwrap_err();
        assert_eq!(e.message, "`0.001` overflows `numeric(2,5)`");
        assert!(e.hint.contains("below 0.001"), "{e:?}");
        assert!(num("numeric(2,5)", "1").is_err());
        let e = num("numeric(2,5)", "0.000001").unwrap_err();
        assert!(e.message.contains("6 decimal places"), "{e:?}");
        assert!(num("numeric(5,5)", "0.99999").is_ok());
        assert!(
            num("numeric(5,5)", "1")
                .unwrap_err()
                .hint
                .contains("below 1")
        );
    }

    #[test]
    fn numeric_positive_scale_and_exponents() {
        assert!(num("numeric(10,2)", "1.5e3").is_ok());
        assert!(num("numeric(10,2)", "1.5e-1").is_ok());
        assert!(num("numeric(10,2)", "1.25e-2").is_err());
        assert!(num("numeric(10,2)", "1e8").is_err());
        assert!(num("numeric(10,2)", "-12345678.99").is_ok());
        assert!(num("numeric(10,2)", "0.000").is_ok());
        assert!(num("numeric(5)", "99999").is_ok());
        assert!(num("numeric(5)", "100000").is_err());
        // Unconstrained numeric: PostgreSQL 15's limits (131072 digits before, 16383 after).
        assert!(num("numeric", "9.9e131071").is_ok());
        assert!(num("numeric", "1e131072").is_err());
        assert!(num("numeric", "1e-16383").is_ok());
        assert!(num("numeric", "1.5e-16383").is_err());
    }

    /// PostgreSQL 15: `'3.4028236e38'::real` and `'1e-46'::real` are "out of range" (a
    /// non-zero value that underflows to 0 is an error), `1e-45` (subnormal) is accepted.
    #[test]
    fn float_ranges() {
        for ok in [
            "3.4028235e38",
            "-3.4028235e38",
            "1e-45",
            "1e-40",
            "0.0",
            "-0.0",
            "0",
            "16777217",
            "1.5",
        ] {
            assert_eq!(num("real", ok).unwrap(), ok, "{ok}");
        }
        for bad in ["3.4028236e38", "-3.5e38", "1e39", "1e-46", "-1e-50"] {
            assert!(
                num("real", bad)
                    .unwrap_err()
                    .message
                    .contains("out of range"),
                "{bad}"
            );
        }
        assert!(
            num("real", "1e-46")
                .unwrap_err()
                .message
                .contains("underflow")
        );
        for ok in ["1e308", "1.7976931348623157e308", "1e-320", "1e39", "0e0"] {
            assert_eq!(num("double precision", ok).unwrap(), ok, "{ok}");
        }
        for bad in ["1e309", "-1e309", "1e-400"] {
            assert!(num("double precision", bad).is_err(), "{bad}");
        }
    }

    /// Observed on PostgreSQL 15 (`'…'::date`).
    #[test]
    fn dates() {
        for ok in [
            "2024-02-29",
            "2000-02-29",
            "0001-01-01",
            "2024-1-5",
            " 2024-01-05 ",
            "2024-01-05 10:00",
            "2024-01-05T10:00",
            "12345-01-01",
            "5874897-12-31",
            "infinity",
            "-infinity",
            "Infinity",
            // Other spellings PostgreSQL accepts are left to it.
            "2024/01/05",
            "Jan 5 2024",
            "20240105",
            "2024-01-05 BC",
            "2024-01-05+02",
        ] {
            assert_eq!(text("date", ok).unwrap(), quote_literal(ok), "{ok}");
        }
        // `epoch` is written as the date it stands for (the form PostgreSQL stores).
        assert_eq!(text("date", "epoch").unwrap(), "'1970-01-01'");
        for bad in [
            "2023-02-29",
            "1900-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-01-32",
            "2024-04-31",
            "0000-01-01",
            "5874898-01-01",
            "2024-01-05 25:00",
            "hello",
            "",
            "  ",
            "+infinity",
        ] {
            let e = text("date", bad).unwrap_err();
            assert!(
                e.message
                    .starts_with(&format!("`{bad}` is not a valid `date`")),
                "{bad}: {e:?}"
            );
            assert_eq!(e.hint, "write it as `2024-01-31`");
        }
    }

    #[test]
    fn words_evaluated_at_creation_are_rejected() {
        for (t, sql) in [
            ("date", "CURRENT_DATE"),
            ("timestamptz", "now()"),
            ("timestamp", "LOCALTIMESTAMP"),
            ("time", "LOCALTIME"),
            ("timetz", "CURRENT_TIME"),
        ] {
            for w in [
                "now",
                "NOW",
                " today ",
                "tomorrow",
                "yesterday",
                "tomorrow 10:00",
            ] {
                let e = text(t, w).unwrap_err();
                assert!(e.message.contains("when the table is created"), "{t} {w}");
                assert!(
                    e.hint.contains(&format!("default_sql = \"{sql}\"")),
                    "{t} {w}: {e:?}"
                );
            }
        }
        assert!(text("timestamptz", "epoch").is_ok());
    }

    #[test]
    fn times() {
        for ok in [
            "10:00",
            "1:00",
            "10:0",
            "10:00:5",
            "24:00",
            "24:00:00",
            "23:59:60",
            "12:59:60",
            "23:59:60.0",
            "12:59:60.5",
            "10:00:00.1234567",
            "23:59:59.9999999",
            "24:00:00.0000001",
            "allballs",
            "10:00+02",
            "10:00:00Z",
            "2024-01-05 10:00",
            "10:00 AM",
            "1000",
        ] {
            assert_eq!(text("time", ok).unwrap(), quote_literal(ok), "{ok}");
        }
        for bad in [
            "24:00:01",
            "24:01",
            "23:59:61",
            "23:60",
            "25:00",
            "23:59:60.5",
            "10:00+16",
            "infinity",
            "epoch",
            "noon",
        ] {
            assert!(text("time", bad).is_err(), "{bad}");
        }
        for ok in [
            "10:00+02",
            "10:00+02:00",
            "10:00+0200",
            "10:00 +02",
            "10:00Z",
            "10:00+15",
            "10:00+15:59",
            "10:00-15:59:59",
            "10:00",
            "10:00+2",
            "24:00+02",
            "10:00 UTC",
            "10:00+123",
        ] {
            assert!(text("time(3) with time zone", ok).is_ok(), "{ok}");
        }
        for bad in ["10:00+16", "10:00-16:00", "10:00+02:60", "25:00+02"] {
            let e = text("timetz", bad).unwrap_err();
            assert!(
                e.message
                    .starts_with(&format!("`{bad}` is not a valid `time with time zone`")),
                "{e:?}"
            );
        }
    }

    #[test]
    fn timestamps() {
        for t in ["timestamp", "timestamptz(3)"] {
            for ok in [
                "2024-01-05 10:00",
                "2024-01-05T10:00:00",
                "2024-01-05t10:00",
                "2024-01-05",
                "2024-01-05 10:00+02",
                "2024-01-05 10:00Z",
                "2024-01-05 24:00",
                "2024-01-05 23:59:60",
                "2024-01-05  10:00",
                "2024-01-05T 10:00",
                "2024-01-05 10:00:00.5+05:30",
                "2024-01-05 10:00:00 +0530",
                "294276-12-31 23:59:59",
                "infinity",
                "-infinity",
                "epoch",
                "2024-01-05 10:00 UTC",
                "2024-01-05 10:00 Europe/Paris",
                "Jan 5 2024 10:00",
            ] {
                assert!(text(t, ok).is_ok(), "{t} {ok}");
            }
            for bad in [
                "2024-02-30 10:00",
                "2024-01-05 24:00:01",
                "2024-01-05 23:59:60.5",
                "2024-01-05 10:00+16",
                "0000-01-01 10:00",
                "+infinity",
                "soon",
            ] {
                assert!(text(t, bad).is_err(), "{t} {bad}");
            }
        }
        assert!(text("timestamp", "294277-01-01 00:00").is_err());
    }

    /// Observed on PostgreSQL 15 (`'…'::inet`, `'…'::cidr`).
    #[test]
    fn inet_and_cidr() {
        for ok in [
            "192.168.1.1",
            "192.168.1.1/24",
            "192.168.001.001",
            "1.2.3.4/024",
            "10/8",
            "::1",
            "::1/128",
            "::ffff:1.2.3.4",
            "1:2:3:4:5:6:7:8",
            "FE80::1",
            "0.0.0.0/0",
        ] {
            assert!(text("inet", ok).is_ok(), "{ok}");
        }
        for bad in [
            "192.168.1.1/33",
            "10.1",
            "10.1.2",
            "10",
            " 10.1.2.3",
            "10.1.2.3 ",
            "256.1.1.1",
            "::1/129",
            "fe80::1%eth0",
            "",
            "1.2.3.4/",
            "1.2.3.4/-1",
            "0x0a.1.2.3",
            "1.2.3.4.5",
            "host",
        ] {
            assert!(text("inet", bad).is_err(), "{bad}");
        }
        for ok in [
            "192.168.1.0/24",
            "192.168.1.1",
            "10/8",
            "10.1",
            "10.1.2/24",
            "10.1.2.0/23",
            "10/7",
            "128.1",
            "2001:db8::/32",
            "::/0",
            "0.0.0.0/0",
        ] {
            assert!(text("cidr", ok).is_ok(), "{ok}");
        }
        for bad in [
            "192.168.1.1/24",
            "::1/64",
            "2001:db8::1/32",
            "10.1.2/16",
            "1.0.0.0/0",
        ] {
            let e = text("cidr", bad).unwrap_err();
            assert!(e.message.contains("to the right of the"), "{bad}: {e:?}");
        }
        assert!(text("cidr", "192.168.1.0/33").is_err());
    }

    #[test]
    fn mac_addresses() {
        for ok in [
            "08:00:2b:01:02:03",
            "08-00-2b-01-02-03",
            "08002b:010203",
            "08002b-010203",
            "0800.2b01.0203",
            "0800-2b01-0203",
            "08002b010203",
            "08:00:2B:01:02:03",
            " 08:00:2b:01:02:03 ",
            "8:0:2b:1:2:3",
            "08 00 2b 01 02 03",
        ] {
            assert!(text("macaddr", ok).is_ok(), "{ok}");
        }
        for bad in [
            "08:00-2b:01:02:03",
            "08:00:2b:01:02",
            "08:00:2b:01:02:03:04",
            "08:00:2b:01:02:0g",
            "0800:2b01:0203",
            "",
        ] {
            assert!(text("macaddr", bad).is_err(), "{bad}");
        }
        for ok in [
            "08:00:2b:01:02:03:04:05",
            "08:00:2b:01:02:03",
            "0800.2b01.0203.0405",
            "08002b0102030405",
            "08-00-2b-01-02-03-04-05",
            " 08:00:2b:01:02:03:04:05 ",
            "08:002b:01:02:03:04:05",
        ] {
            assert!(text("macaddr8", ok).is_ok(), "{ok}");
        }
        for bad in ["08:00:2b:01:02:03:04", "08:00-2b:01:02:03:04:05", "zz"] {
            assert!(text("macaddr8", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn interval_bytea_tsvector_are_left_to_postgres() {
        assert!(text("interval", "1 day 2 hours").is_ok());
        assert!(text("bytea", "\\x00ff").is_ok());
        assert!(text("tsvector", "a b").is_ok());
    }

    #[test]
    fn nul_characters_are_rejected_everywhere() {
        let nul = || sp(Literal::String("a\u{0}b".into()));
        let e = render(&nul(), &Target::Builtin(&ty("text")), false).unwrap_err();
        assert_eq!(e.message, "default contains a NUL character (`\\u0000`)");
        assert!(render(&nul(), &Target::Builtin(&ty("bytea")), false).is_err());
        assert!(render(&nul(), &Target::Custom, false).is_err());
        let values = vec!["a\u{0}b".to_string()];
        let e = Target::Enum {
            name: "e".into(),
            values: &values,
        };
        assert!(render(&nul(), &e, false).is_err());
        let arr = sp(Literal::Array(vec![nul()]));
        assert!(render(&arr, &Target::Builtin(&ty("text")), true).is_err());
    }
}

#[cfg(test)]
mod stored_form_tests {
    use super::*;

    fn st(canonical: &str, family: TypeFamily, s: &str) -> Result<String, DefaultError> {
        stored_form(
            &BuiltinType {
                canonical: canonical.into(),
                family,
            },
            s,
        )
    }

    #[test]
    fn values_take_the_form_postgres_prints() {
        assert_eq!(
            st("inet", TypeFamily::Network, "10/8").unwrap(),
            "10.0.0.0/8"
        );
        assert_eq!(
            st("cidr", TypeFamily::Network, "10.1").unwrap(),
            "10.1.0.0/16"
        );
        assert_eq!(
            st("cidr", TypeFamily::Network, "128.1").unwrap(),
            "128.1.0.0/16"
        );
        assert_eq!(
            st("cidr", TypeFamily::Network, "10/7").unwrap(),
            "10.0.0.0/7"
        );
        assert_eq!(
            st("inet", TypeFamily::Network, "192.168.001.001").unwrap(),
            "192.168.1.1"
        );
        assert_eq!(st("bytea", TypeFamily::Bytea, "abc").unwrap(), "\\x616263");
        assert_eq!(st("bytea", TypeFamily::Bytea, "").unwrap(), "\\x");
        assert_eq!(
            st("bytea", TypeFamily::Bytea, "\\xDEADBEEF").unwrap(),
            "\\xdeadbeef"
        );
        assert!(st("bytea", TypeFamily::Bytea, "a\\000b").is_err());
        assert_eq!(
            st("inet", TypeFamily::Network, "127.0.0.1/32").unwrap(),
            "127.0.0.1"
        );
        assert_eq!(
            st("inet", TypeFamily::Network, "10.0.0.1/8").unwrap(),
            "10.0.0.1/8"
        );
        assert_eq!(
            st("inet", TypeFamily::Network, "2001:DB8::1/128").unwrap(),
            "2001:db8::1"
        );
        assert_eq!(
            st("cidr", TypeFamily::Network, "10.1.2.3").unwrap(),
            "10.1.2.3/32"
        );
        assert_eq!(
            st("cidr", TypeFamily::Network, "10/8").unwrap(),
            "10.0.0.0/8"
        );
        for mac in [
            "08-00-2B-01-02-03",
            "0800.2b01.0203",
            "08002b010203",
            "08002b:010203",
        ] {
            assert_eq!(
                st("macaddr", TypeFamily::Network, mac).unwrap(),
                "08:00:2b:01:02:03"
            );
        }
        assert_eq!(
            st("macaddr8", TypeFamily::Network, "08:00:2b:01:02:03").unwrap(),
            "08:00:2b:ff:fe:01:02:03"
        );
        let tz = |s| st("time with time zone", TypeFamily::Time, s).unwrap();
        assert_eq!(tz("00:00-03"), "00:00:00-03");
        assert_eq!(tz("12:00+01:00"), "12:00:00+01");
        assert_eq!(tz("10:00:00Z"), "10:00:00+00");
        assert_eq!(tz("10:00:00.500+0530"), "10:00:00.5+05:30");
        assert_eq!(st("date", TypeFamily::Date, "epoch").unwrap(), "1970-01-01");
        assert!(st("tsvector", TypeFamily::Tsvector, "x:1 y:2").is_err());
        assert_eq!(st("tsvector", TypeFamily::Tsvector, "a b").unwrap(), "a b");
    }
}
