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
            numeric_fits(n, *precision, *scale, tname)?;
            Ok(Value::Number(n.clone()))
        }
        (TypeFamily::Float { .. }, Literal::Integer(n) | Literal::Float(n)) => {
            if n.parse::<f64>().map(f64::is_finite) != Ok(true) {
                return Err(err(
                    format!("`{n}` is not a finite number"),
                    "use `default_sql = \"'Infinity'\"` for special values",
                ));
            }
            Ok(Value::Number(n.clone()))
        }
        (TypeFamily::Boolean, Literal::Bool(b)) => Ok(Value::Bool(*b)),
        (TypeFamily::Text { max_len, .. }, Literal::String(s)) => {
            if let Some(max) = max_len {
                let len = s.chars().count();
                if len > *max as usize {
                    return Err(err(
                        format!("default is {len} characters, longer than `{tname}` allows"),
                        format!("shorten it to at most {max} characters or widen the column"),
                    ));
                }
            }
            Ok(Value::Text(s.clone()))
        }
        (TypeFamily::Uuid, Literal::String(s)) => {
            if !is_uuid(s) {
                return Err(err(
                    format!("`{s}` is not a valid uuid"),
                    "write it as xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, or use `default_sql = \"gen_random_uuid()\"`",
                ));
            }
            // uuid_out prints lower case: keep the default in the form it reads back as.
            Ok(Value::Text(s.to_ascii_lowercase()))
        }
        (TypeFamily::Json, Literal::String(s)) => {
            if serde_json::from_str::<serde_json::Value>(s).is_err() {
                return Err(err(
                    format!("`{s}` is not valid JSON"),
                    "the string must hold a JSON document, e.g. `default = \"{}\"`",
                ));
            }
            Ok(Value::Text(s.clone()))
        }
        (
            TypeFamily::Date
            | TypeFamily::Time
            | TypeFamily::Timestamp
            | TypeFamily::Interval
            | TypeFamily::Bytea
            | TypeFamily::Network
            | TypeFamily::Tsvector,
            Literal::String(s),
        ) => Ok(Value::Text(s.clone())),
        _ => Err(mismatch()),
    }
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

/// Reject values `numeric(p,s)` cannot store (overflow) or would silently round.
fn numeric_fits(
    n: &str,
    precision: Option<u32>,
    scale: Option<i32>,
    tname: &str,
) -> Result<(), DefaultError> {
    let Some(p) = precision else { return Ok(()) };
    let s = scale.unwrap_or(0);
    let body = n.trim_start_matches(['-', '+']);
    if body.contains(['e', 'E']) || body.parse::<f64>().is_err() {
        return Err(err(
            format!("`{n}` is not a plain decimal number"),
            "write the default as a plain decimal, e.g. 1234.56",
        ));
    }
    let (int_part, frac_part) = body.split_once('.').unwrap_or((body, ""));
    let int_digits = int_part.trim_start_matches('0').len() as i64;
    let frac_digits = frac_part.trim_end_matches('0').len() as i64;
    if frac_digits > s as i64 {
        return Err(err(
            format!("`{n}` has {frac_digits} decimal places; `{tname}` keeps {s}"),
            "PostgreSQL would round it silently; write the value with fewer decimals",
        ));
    }
    if int_digits > p as i64 - s as i64 {
        return Err(err(
            format!("`{n}` overflows `{tname}`"),
            format!(
                "`{tname}` holds at most {} digits before the decimal point",
                (p as i64 - s as i64).max(0)
            ),
        ));
    }
    Ok(())
}

fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
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
}
