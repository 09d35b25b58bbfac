//! Reading spanned TOML values into plain data, collecting every problem instead of stopping
//! at the first. Each accessor reports a wrong value type as a diagnostic and returns `None`.

use toml::Spanned as TomlSpanned;
use toml::de::{DeTable, DeValue};

use crate::diag::{Diagnostic, FileId, Span};
use crate::suggest;

/// A value with the place it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sp<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Sp<T> {
    pub fn new(value: T, span: Span) -> Self {
        Sp { value, span }
    }
}

/// A TOML literal, as written (numbers keep their source text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Literal {
    String(String),
    Integer(String),
    Float(String),
    Bool(bool),
    Array(Vec<Sp<Literal>>),
    Other(&'static str),
}

/// One TOML table being read: its keys, file, and the diagnostics sink.
pub struct Reader<'a, 'i> {
    pub file: FileId,
    pub table: &'a DeTable<'i>,
    /// Span of the table (its header or inline braces).
    pub span: Span,
    pub diags: &'a mut Vec<Diagnostic>,
}

pub fn span(file: FileId, r: std::ops::Range<usize>) -> Span {
    Span { file, range: r }
}

impl<'a, 'i> Reader<'a, 'i> {
    /// Report every key not in `allowed`, suggesting the closest allowed one.
    pub fn deny_unknown(&mut self, what: &str, allowed: &[&str]) {
        for (k, _) in self.table.iter() {
            let key: &str = k.get_ref();
            if !allowed.contains(&key) {
                let mut d = Diagnostic::new(
                    "unknown-key",
                    span(self.file, k.span()),
                    format!("unknown key `{key}` in {what}"),
                );
                d = match suggest::closest(key, allowed.iter().copied()) {
                    Some(s) => d.hint(format!("did you mean `{s}`?")),
                    None => d.hint(format!("allowed keys: {}", allowed.join(", "))),
                };
                self.diags.push(d);
            }
        }
    }

    pub fn raw(&self, key: &str) -> Option<&'a TomlSpanned<DeValue<'i>>> {
        self.table.get(key)
    }

    /// Span of a key (for "missing"/conflict messages pointing at the key itself).
    pub fn key_span(&self, key: &str) -> Option<Span> {
        self.table
            .get_key_value(key)
            .map(|(k, _)| span(self.file, k.span()))
    }

    pub(crate) fn type_error(&mut self, key: &str, v: &TomlSpanned<DeValue<'_>>, expected: &str) {
        self.diags.push(
            Diagnostic::new(
                "invalid-value",
                span(self.file, v.span()),
                format!(
                    "`{key}` must be {expected}, found {}",
                    v.get_ref().type_str()
                ),
            )
            .hint(format!("write `{key}` as {expected}")),
        );
    }

    pub fn string(&mut self, key: &str) -> Option<Sp<String>> {
        let v = self.raw(key)?;
        match v.get_ref().as_str() {
            Some(s) => Some(Sp::new(s.to_string(), span(self.file, v.span()))),
            None => {
                self.type_error(key, v, "a string");
                None
            }
        }
    }

    pub fn bool(&mut self, key: &str) -> Option<Sp<bool>> {
        let v = self.raw(key)?;
        match v.get_ref().as_bool() {
            Some(b) => Some(Sp::new(b, span(self.file, v.span()))),
            None => {
                self.type_error(key, v, "true or false");
                None
            }
        }
    }

    /// An array of strings (each element spanned).
    pub fn strings(&mut self, key: &str) -> Option<Sp<Vec<Sp<String>>>> {
        let v = self.raw(key)?;
        let Some(arr) = v.get_ref().as_array() else {
            self.type_error(key, v, "an array of strings");
            return None;
        };
        let mut out = Vec::new();
        for item in arr.iter() {
            match item.get_ref().as_str() {
                Some(s) => out.push(Sp::new(s.to_string(), span(self.file, item.span()))),
                None => self.type_error(key, item, "a string"),
            }
        }
        Some(Sp::new(out, span(self.file, v.span())))
    }

    /// A sub-table, as a reader.
    pub fn table(&mut self, key: &str) -> Option<Reader<'_, 'i>> {
        let v = self.raw(key)?;
        match v.get_ref().as_table() {
            Some(t) => Some(Reader {
                file: self.file,
                table: t,
                span: span(self.file, v.span()),
                diags: self.diags,
            }),
            None => {
                self.type_error(key, v, "a table");
                None
            }
        }
    }

    /// A literal value (for `default`).
    pub fn literal(&mut self, key: &str) -> Option<Sp<Literal>> {
        let v = self.raw(key)?;
        Some(literal(self.file, v))
    }
}

pub fn literal(file: FileId, v: &TomlSpanned<DeValue<'_>>) -> Sp<Literal> {
    let lit = match v.get_ref() {
        DeValue::String(s) => Literal::String(s.to_string()),
        DeValue::Integer(i) => Literal::Integer(integer_text(i.as_str(), i.radix())),
        DeValue::Float(f) => Literal::Float(f.as_str().replace('_', "")),
        DeValue::Boolean(b) => Literal::Bool(*b),
        DeValue::Array(a) => Literal::Array(a.iter().map(|x| literal(file, x)).collect()),
        DeValue::Datetime(_) => Literal::Other("a datetime"),
        DeValue::Table(_) => Literal::Other("a table"),
    };
    Sp::new(lit, span(file, v.span()))
}

/// Decimal text of a TOML integer (which may be written in hex/octal/binary with `_`).
fn integer_text(raw: &str, radix: u32) -> String {
    let clean: String = raw.chars().filter(|c| *c != '_').collect();
    if radix == 10 {
        return clean.trim_start_matches('+').to_string();
    }
    let (neg, body) = match clean.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, clean.trim_start_matches('+')),
    };
    let digits = body.get(2..).unwrap_or("");
    match i128::from_str_radix(digits, radix) {
        Ok(v) => format!("{}{v}", if neg { "-" } else { "" }),
        Err(_) => clean,
    }
}

/// Iterate the entries of a table-valued key: `(name, reader)` pairs, reporting non-table
/// entries. Used for `[tables.x]`, `[enums.x]`, `[x.columns]`.
pub fn entries<'a, 'i>(
    file: FileId,
    table: &'a DeTable<'i>,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(Sp<String>, Option<&'a DeTable<'i>>, Span)> {
    let mut out = Vec::new();
    for (k, v) in table.iter() {
        let name = Sp::new(k.get_ref().to_string(), span(file, k.span()));
        match v.get_ref().as_table() {
            Some(t) => out.push((name, Some(t), span(file, v.span()))),
            None => {
                diags.push(
                    Diagnostic::new(
                        "invalid-value",
                        span(file, v.span()),
                        format!(
                            "{what} `{}` must be a table, found {}",
                            k.get_ref(),
                            v.get_ref().type_str()
                        ),
                    )
                    .hint(format!(
                        "write it as `[... .{}]` or an inline table",
                        k.get_ref()
                    )),
                );
                out.push((name, None, span(file, v.span())));
            }
        }
    }
    out
}

/// Entries of a table whose values are a table or, for overloads, an array of tables
/// (`[functions.f]` / `[[functions.f]]`): `(name, table, span)` for each, reporting other
/// values as `what` errors.
pub fn entries_or_overloads<'a, 'i>(
    file: FileId,
    table: &'a DeTable<'i>,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(Sp<String>, &'a DeTable<'i>, Span)> {
    let mut out = Vec::new();
    for (k, v) in table.iter() {
        let name = Sp::new(k.get_ref().to_string(), span(file, k.span()));
        match v.get_ref() {
            DeValue::Table(t) => out.push((name, t, span(file, v.span()))),
            DeValue::Array(_) => {
                for (t, s) in table_items(file, v, &name.value, diags) {
                    out.push((name.clone(), t, s));
                }
            }
            other => diags.push(
                Diagnostic::new(
                    "invalid-value",
                    span(file, v.span()),
                    format!(
                        "{what} `{}` must be a table, found {}",
                        name.value,
                        other.type_str()
                    ),
                )
                .hint(format!(
                    "write it as `[{what}s.{0}]`, or `[[{what}s.{0}]]` once per overload",
                    name.value
                )),
            ),
        }
    }
    out
}

/// Items of an array of tables (`[[tables.x.indexes]]`).
pub fn table_items<'a, 'i>(
    file: FileId,
    v: &'a TomlSpanned<DeValue<'i>>,
    key: &str,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(&'a DeTable<'i>, Span)> {
    let Some(arr) = v.get_ref().as_array() else {
        diags.push(
            Diagnostic::new(
                "invalid-value",
                span(file, v.span()),
                format!(
                    "`{key}` must be an array of tables, found {}",
                    v.get_ref().type_str()
                ),
            )
            .hint(format!("write each entry as `[[... .{key}]]`")),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in arr.iter() {
        match item.get_ref().as_table() {
            Some(t) => out.push((t, span(file, item.span()))),
            None => diags.push(
                Diagnostic::new(
                    "invalid-value",
                    span(file, item.span()),
                    format!(
                        "each `{key}` entry must be a table, found {}",
                        item.get_ref().type_str()
                    ),
                )
                .hint(format!("write each entry as `[[... .{key}]]`")),
            ),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::integer_text;

    #[test]
    fn integers_become_decimal() {
        assert_eq!(integer_text("1_000", 10), "1000");
        assert_eq!(integer_text("+5", 10), "5");
        assert_eq!(integer_text("0xff", 16), "255");
        assert_eq!(integer_text("0b101", 2), "5");
    }
}
