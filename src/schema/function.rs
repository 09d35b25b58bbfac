//! `[functions.NAME]` and `[procedures.NAME]` (or `[[functions.NAME]]`, one entry per
//! overload): a routine's signature, options and body, read into [`RawFunction`]. A
//! `body_file` is read relative to the TOML file that names it (`schema::load`).
//! `compile::function` resolves and checks it.

use toml::de::{DeTable, DeValue};

use super::reader::{Reader, Sp, entries_or_overloads, span, table_items};
use crate::diag::{Diagnostic, FileId, Span};

#[derive(Debug)]
pub struct RawFunction {
    pub name: Sp<String>,
    pub procedure: bool,
    /// The header or array item (for messages about the whole function).
    pub span: Span,
    pub schema: Option<Sp<String>>,
    pub args: Vec<RawArg>,
    pub returns: Option<Sp<String>>,
    pub returns_table: Vec<RawArg>,
    pub language: Option<Sp<String>>,
    pub body: Option<Sp<String>>,
    pub body_file: Option<Sp<String>>,
    /// The text of `body_file`, read by `schema::load` (`None` when unreadable: reported).
    pub body_from_file: Option<String>,
    pub volatility: Option<Sp<String>>,
    pub strict: Option<Sp<bool>>,
    pub security_definer: Option<Sp<bool>>,
    pub leakproof: Option<Sp<bool>>,
    pub parallel: Option<Sp<String>>,
    pub cost: Option<Sp<f64>>,
    pub rows: Option<Sp<f64>>,
    /// `set = { search_path = ["public", "pg_temp"], work_mem = "64MB" }`: each value a
    /// string or a list of strings.
    pub set: Vec<(Sp<String>, Sp<Vec<String>>, bool)>,
    pub depends_on: Option<Sp<Vec<Sp<String>>>>,
    pub comment: Option<Sp<String>>,
    pub grants: Option<super::grant::RawGrants>,
    /// `ALTER FUNCTION|PROCEDURE old(types) RENAME TO name`.
    pub renamed_from: Option<Sp<String>>,
}

#[derive(Debug)]
pub struct RawArg {
    pub span: Span,
    pub name: Option<Sp<String>>,
    pub ty: Option<Sp<String>>,
    pub mode: Option<Sp<String>>,
    pub default_sql: Option<Sp<String>>,
}

pub(crate) const FUNCTION_KEYS: &[&str] = &[
    "schema",
    "args",
    "returns",
    "returns_table",
    "language",
    "body",
    "body_file",
    "volatility",
    "strict",
    "security_definer",
    "leakproof",
    "parallel",
    "cost",
    "rows",
    "set",
    "depends_on",
    "comment",
    "grants",
    "renamed_from",
];
pub(crate) const PROCEDURE_KEYS: &[&str] = &[
    "schema",
    "args",
    "language",
    "body",
    "body_file",
    "security_definer",
    "set",
    "depends_on",
    "comment",
    "grants",
    "renamed_from",
];
pub(crate) const ARG_KEYS: &[&str] = &["name", "type", "mode", "default_sql"];
pub(crate) const COLUMN_KEYS: &[&str] = &["name", "type"];

/// Every entry of `[functions]` or `[procedures]`: a table per name, or an array of tables
/// for overloads.
pub(super) fn read_functions(
    file: FileId,
    table: &DeTable<'_>,
    procedure: bool,
    diags: &mut Vec<Diagnostic>,
) -> Vec<RawFunction> {
    let what = if procedure { "procedure" } else { "function" };
    entries_or_overloads(file, table, what, diags)
        .into_iter()
        .map(|(name, t, s)| read_function(file, name, procedure, t, s, diags))
        .collect()
}

fn read_function(
    file: FileId,
    name: Sp<String>,
    procedure: bool,
    t: &DeTable<'_>,
    tspan: Span,
    diags: &mut Vec<Diagnostic>,
) -> RawFunction {
    let mut r = Reader {
        file,
        table: t,
        span: tspan.clone(),
        diags,
    };
    let (what, keys) = if procedure {
        ("procedure", PROCEDURE_KEYS)
    } else {
        ("function", FUNCTION_KEYS)
    };
    r.deny_unknown(&format!("{what} `{}`", name.value), keys);
    let args = read_args(&mut r, "args", ARG_KEYS);
    let returns_table = if procedure {
        Vec::new()
    } else {
        read_args(&mut r, "returns_table", COLUMN_KEYS)
    };
    let mut set = Vec::new();
    if let Some(st) = r.table("set") {
        for (k, v) in st.table.iter() {
            let key = Sp::new(k.get_ref().to_string(), span(file, k.span()));
            let vspan = span(file, v.span());
            match v.get_ref() {
                DeValue::String(s) => set.push((key, Sp::new(vec![s.to_string()], vspan), false)),
                DeValue::Array(a) => {
                    let items: Option<Vec<String>> = a
                        .iter()
                        .map(|i| i.get_ref().as_str().map(str::to_string))
                        .collect();
                    match items {
                        Some(items) if !items.is_empty() => {
                            set.push((key, Sp::new(items, vspan), true))
                        }
                        _ => st.diags.push(
                            Diagnostic::new(
                                "invalid-value",
                                vspan,
                                format!("`set.{}` must be a non-empty list of strings", key.value),
                            )
                            .hint("write `search_path = [\"public\", \"pg_temp\"]`"),
                        ),
                    }
                }
                other => st.diags.push(
                    Diagnostic::new(
                        "invalid-value",
                        vspan,
                        format!(
                            "`set.{}` must be a string or a list of strings, found {}",
                            key.value,
                            other.type_str()
                        ),
                    )
                    .hint("write the setting's value as a string: `work_mem = \"64MB\"`"),
                ),
            }
        }
    }
    RawFunction {
        procedure,
        span: tspan,
        schema: r.string("schema"),
        args,
        returns: if procedure { None } else { r.string("returns") },
        returns_table,
        language: r.string("language"),
        body: r.string("body"),
        body_file: r.string("body_file"),
        body_from_file: None,
        volatility: if procedure {
            None
        } else {
            r.string("volatility")
        },
        strict: if procedure { None } else { r.bool("strict") },
        security_definer: r.bool("security_definer"),
        leakproof: if procedure { None } else { r.bool("leakproof") },
        parallel: if procedure {
            None
        } else {
            r.string("parallel")
        },
        cost: if procedure {
            None
        } else {
            number(&mut r, "cost")
        },
        rows: if procedure {
            None
        } else {
            number(&mut r, "rows")
        },
        set,
        depends_on: r.strings("depends_on"),
        comment: r.string("comment"),
        grants: super::grant::read(&mut r),
        renamed_from: r.string("renamed_from"),
        name,
    }
}

fn number(r: &mut Reader<'_, '_>, key: &str) -> Option<Sp<f64>> {
    let v = r.raw(key)?;
    let value = match v.get_ref() {
        DeValue::Integer(i) => i.as_str().replace('_', "").parse::<f64>().ok(),
        DeValue::Float(f) => f.as_str().replace('_', "").parse::<f64>().ok(),
        _ => None,
    };
    match value {
        Some(x) => Some(Sp::new(x, span(r.file, v.span()))),
        None => {
            r.diags.push(
                Diagnostic::new(
                    "invalid-value",
                    span(r.file, v.span()),
                    format!("`{key}` must be a number, found {}", v.get_ref().type_str()),
                )
                .hint(format!("write `{key} = 100`")),
            );
            None
        }
    }
}

fn read_args(r: &mut Reader<'_, '_>, key: &str, keys: &[&str]) -> Vec<RawArg> {
    let Some(v) = r.raw(key) else {
        return Vec::new();
    };
    let file = r.file;
    let mut out = Vec::new();
    for (t, s) in table_items(file, v, key, r.diags) {
        let mut a = Reader {
            file,
            table: t,
            span: s.clone(),
            diags: r.diags,
        };
        a.deny_unknown(&format!("an entry of `{key}`"), keys);
        out.push(RawArg {
            span: s,
            name: a.string("name"),
            ty: a.string("type"),
            mode: if keys.contains(&"mode") {
                a.string("mode")
            } else {
                None
            },
            default_sql: if keys.contains(&"default_sql") {
                a.string("default_sql")
            } else {
                None
            },
        });
    }
    out
}

/// Read each `body_file` of `functions` (declared in the TOML file at `toml_path`),
/// relative to that file's directory. A file that cannot be read is a diagnostic at the key.
pub(super) fn read_body_files(
    toml_path: &std::path::Path,
    functions: &mut [RawFunction],
    diags: &mut Vec<Diagnostic>,
) {
    let dir = toml_path.parent().unwrap_or(std::path::Path::new("."));
    for f in functions {
        let Some(bf) = &f.body_file else { continue };
        let path = dir.join(&bf.value);
        match std::fs::read_to_string(&path) {
            Ok(text) => f.body_from_file = Some(text),
            Err(e) => diags.push(
                Diagnostic::new(
                    "unreadable-file",
                    bf.span.clone(),
                    format!("cannot read body_file `{}`: {e}", bf.value),
                )
                .hint("give a path relative to this TOML file, to a readable UTF-8 file"),
            ),
        }
    }
}
