//! `[functions.NAME]` / `[procedures.NAME]`: signatures resolved to the canonical type
//! spellings of `model::function`, options validated as `CREATE FUNCTION` would, defaults
//! parsed as expressions. Every problem is a diagnostic; the rest still compiles.

use std::collections::BTreeMap;

use super::Compiler;
use super::types::{TypeSpec, parse_type};
use crate::diag::{Diagnostic, Span};
use crate::model::function::{
    Arg, ArgMode, Function, Parallel, Volatility, qualified_type, real_text,
};
use crate::model::grant::GrantKind;
use crate::model::rename::Rename;
use crate::model::{Model, QualifiedName};
use crate::schema::reader::Sp;
use crate::schema::{RawArg, RawFunction, Sources};

/// PostgreSQL's pseudo-types, valid as argument or result types of routines.
const PSEUDO_TYPES: &[&str] = &[
    "any",
    "anyarray",
    "anycompatible",
    "anycompatiblearray",
    "anycompatiblemultirange",
    "anycompatiblenonarray",
    "anycompatiblerange",
    "anyelement",
    "anyenum",
    "anymultirange",
    "anynonarray",
    "anyrange",
    "cstring",
    "event_trigger",
    "fdw_handler",
    "index_am_handler",
    "internal",
    "language_handler",
    "record",
    "table_am_handler",
    "trigger",
    "tsm_handler",
    "void",
];

/// Settings whose value is a list of names (`GUC_LIST_QUOTE`): a string value is split at
/// commas, and each element is stored as an identifier, quoted when needed.
const LIST_SETTINGS: &[&str] = &["search_path", "temp_tablespaces"];

impl Compiler {
    /// The bare names of every declared function and procedure (for checking what
    /// expressions call before the functions themselves are compiled).
    pub(super) fn routine_names(&mut self, sources: &Sources) {
        use super::builtins::Arity;
        for f in sources.files.iter().flat_map(|f| &f.functions) {
            let mode = |a: &RawArg| {
                a.mode
                    .as_ref()
                    .map(|m| m.value.to_ascii_lowercase())
                    .unwrap_or_default()
            };
            let inputs: Vec<&RawArg> = f.args.iter().filter(|a| mode(a) != "out").collect();
            let defaults = inputs.iter().filter(|a| a.default_sql.is_some()).count();
            let arity = Arity {
                min: (inputs.len() - defaults) as u16,
                max: inputs.len() as u16,
                variadic: inputs.iter().any(|a| mode(a) == "variadic"),
            };
            self.routines
                .entry(f.name.value.clone())
                .or_default()
                .push(arity);
        }
        for a in sources.files.iter().flat_map(|f| &f.aggregates) {
            let n = a.args.as_ref().map_or(0, |l| l.value.len()) as u16;
            self.routines
                .entry(a.name.value.clone())
                .or_default()
                .push(Arity {
                    min: n,
                    max: n,
                    variadic: false,
                });
        }
    }

    /// Compile every function and procedure into `model`; `types` holds every type name
    /// the project declares (tables, views, enums, domains, composite types).
    pub(super) fn functions(
        &mut self,
        sources: &Sources,
        model: &mut Model,
        types: &BTreeMap<QualifiedName, (Span, &'static str)>,
    ) {
        let mut seen: BTreeMap<(String, String), Span> = BTreeMap::new();
        for file in &sources.files {
            for raw in &file.functions {
                let schema =
                    self.object_schema(raw.schema.as_ref(), file.schema.as_ref(), &raw.name.span);
                let what = if raw.procedure {
                    "procedure"
                } else {
                    "function"
                };
                if !self.ident(&raw.name, what) {
                    continue;
                }
                let Some(f) = self.function(raw, &schema, types) else {
                    continue;
                };
                let id = f.identity();
                if let Some(first) = seen.get(&(schema.clone(), id.clone())) {
                    let first = first.clone();
                    self.push(
                        Diagnostic::new(
                            "duplicate-object",
                            raw.span.clone(),
                            format!("{what} `{schema}.{id}` is defined more than once"),
                        )
                        .label(first, "first defined here")
                        .hint("overloads must differ in their input argument types"),
                    );
                    continue;
                }
                seen.insert((schema.clone(), id.clone()), raw.span.clone());
                if let Some(r) = &raw.renamed_from
                    && self.ident(r, what)
                {
                    self.renames.push(Rename::Function {
                        schema: schema.clone(),
                        from: r.value.clone(),
                        to: f.name.clone(),
                        types: f.input_types().into_iter().map(str::to_string).collect(),
                        procedure: f.procedure,
                    });
                }
                if let Some(s) = model.schemas.get_mut(&schema) {
                    s.functions.insert(id, f);
                }
            }
        }
    }

    fn function(
        &mut self,
        raw: &RawFunction,
        schema: &str,
        types: &BTreeMap<QualifiedName, (Span, &'static str)>,
    ) -> Option<Function> {
        let what = if raw.procedure {
            "procedure"
        } else {
            "function"
        };
        let mut ok = true;
        let language = match &raw.language {
            Some(l) if is_word(&l.value.to_ascii_lowercase()) => l.value.to_ascii_lowercase(),
            Some(l) => {
                self.invalid(
                    &l.span,
                    format!("`{}` is not a language name", l.value),
                    "write the language's name: \"sql\", \"plpgsql\", …",
                );
                return None;
            }
            None => {
                self.push(
                    Diagnostic::new(
                        "missing-key",
                        raw.name.span.clone(),
                        format!("{what} `{}` has no `language`", raw.name.value),
                    )
                    .hint("add `language = \"plpgsql\"` (or \"sql\", or any installed language)"),
                );
                return None;
            }
        };
        let body = match (&raw.body, &raw.body_file) {
            (Some(b), None) => b.value.clone(),
            (None, Some(_)) => raw.body_from_file.clone()?,
            (Some(b), Some(_)) => {
                self.invalid(
                    &b.span,
                    "both `body` and `body_file` are given",
                    "keep one: the body in the TOML, or in the file `body_file` names",
                );
                return None;
            }
            (None, None) => {
                self.push(
                    Diagnostic::new(
                        "missing-key",
                        raw.name.span.clone(),
                        format!("{what} `{}` has no body", raw.name.value),
                    )
                    .hint("add `body = \"…\"`, or `body_file = \"name.sql\"` next to this file"),
                );
                return None;
            }
        };
        // Migration files are written with LF line ends; a CRLF body would read back
        // different from what it was compiled to.
        let body = body.replace("\r\n", "\n");
        if body.contains('\0') {
            self.invalid(
                &raw.name.span,
                "the body contains a NUL character",
                "PostgreSQL text cannot hold NUL; remove it",
            );
            ok = false;
        }

        let mut args = Vec::new();
        let mut defaulted: Option<Span> = None;
        let mut names: BTreeMap<&str, Span> = BTreeMap::new();
        for a in raw.args.iter().chain(&raw.returns_table) {
            if let Some(n) = &a.name {
                if let Some(first) = names.get(n.value.as_str()) {
                    self.push(
                        Diagnostic::new(
                            "invalid-value",
                            n.span.clone(),
                            format!("argument name `{}` is used twice", n.value),
                        )
                        .label(first.clone(), "first used here")
                        .hint("give every argument its own name"),
                    );
                    ok = false;
                }
                names.insert(&n.value, n.span.clone());
            }
        }
        if let Some((i, a)) = raw.args.iter().enumerate().find(|(_, a)| {
            a.mode
                .as_ref()
                .is_some_and(|m| m.value.eq_ignore_ascii_case("variadic"))
        }) && raw.args[i + 1..].iter().any(|b| {
            b.mode
                .as_ref()
                .is_none_or(|m| !m.value.eq_ignore_ascii_case("out"))
        }) {
            self.invalid(
                &a.span,
                "a VARIADIC argument must be the last input argument",
                "move it to the end of `args`",
            );
            ok = false;
        }
        for a in &raw.args {
            let Some(arg) = self.arg(a, schema, types, true) else {
                ok = false;
                continue;
            };
            if arg.mode.is_input() {
                if arg.default.is_some() {
                    defaulted = Some(a.span.clone());
                } else if let Some(d) = &defaulted {
                    self.push(
                        Diagnostic::new(
                            "invalid-value",
                            a.span.clone(),
                            "an input argument after one with a default must have a default too",
                        )
                        .label(d.clone(), "this argument has a default")
                        .hint("give it a `default_sql`, or move it before the defaulted ones"),
                    );
                    ok = false;
                }
            }
            args.push(arg);
        }
        for c in &raw.returns_table {
            match self.arg(c, schema, types, false) {
                Some(mut col) => {
                    col.mode = ArgMode::Table;
                    args.push(col);
                }
                None => ok = false,
            }
        }

        let mut returns_set = false;
        let mut returns = None;
        if !raw.procedure {
            let outs: Vec<&Arg> = args
                .iter()
                .filter(|a| matches!(a.mode, ArgMode::Out | ArgMode::InOut))
                .collect();
            if !raw.returns_table.is_empty() {
                returns_set = true;
                if let Some(r) = &raw.returns {
                    self.invalid(
                        &r.span,
                        "both `returns` and `returns_table` are given",
                        "a function returning a table lists its columns in `returns_table` only",
                    );
                    ok = false;
                }
            } else {
                match &raw.returns {
                    Some(r) => {
                        let text = r.value.trim();
                        let (set, ty) = match strip_word(text, "setof") {
                            Some(rest) => (true, rest),
                            None => (false, text),
                        };
                        returns_set = set;
                        match self.routine_type(
                            &Sp::new(ty.to_string(), r.span.clone()),
                            schema,
                            types,
                        ) {
                            Some(t) => returns = Some(t),
                            None => ok = false,
                        }
                    }
                    None if outs.len() == 1 => returns = Some(outs[0].data_type.clone()),
                    None if outs.len() > 1 => returns = Some("record".into()),
                    None => {
                        self.push(
                            Diagnostic::new(
                                "missing-key",
                                raw.name.span.clone(),
                                format!("function `{}` has no `returns`", raw.name.value),
                            )
                            .hint("add `returns = \"integer\"` (or \"void\", \"trigger\", \"setof T\"), or `returns_table`"),
                        );
                        ok = false;
                    }
                }
            }
        }

        if returns.as_deref() == Some("trigger")
            && let Some(a) = raw.args.first()
        {
            self.invalid(
                &a.span,
                "a trigger function takes no declared arguments",
                "remove `args`; a trigger passes its arguments in TG_ARGV",
            );
            ok = false;
        }
        let volatility = match &raw.volatility {
            None => Volatility::default(),
            Some(v) => match Volatility::parse(&v.value.to_ascii_lowercase()) {
                Some(x) => x,
                None => {
                    self.invalid(
                        &v.span,
                        format!("unknown volatility `{}`", v.value),
                        "write \"immutable\", \"stable\" or \"volatile\" (the default)",
                    );
                    ok = false;
                    Volatility::default()
                }
            },
        };
        let parallel = match &raw.parallel {
            None => Parallel::default(),
            Some(v) => match Parallel::parse(&v.value.to_ascii_lowercase()) {
                Some(x) => x,
                None => {
                    self.invalid(
                        &v.span,
                        format!("unknown parallel safety `{}`", v.value),
                        "write \"safe\", \"restricted\" or \"unsafe\" (the default)",
                    );
                    ok = false;
                    Parallel::default()
                }
            },
        };
        let cost = match &raw.cost {
            None => None,
            Some(c) => match real_text(c.value).filter(|_| c.value > 0.0) {
                Some(t) if t == Function::default_cost(&language) => None,
                Some(t) => Some(t),
                None => {
                    self.invalid(
                        &c.span,
                        "`cost` must be a positive number",
                        "write `cost = 100`",
                    );
                    ok = false;
                    None
                }
            },
        };
        let rows = match &raw.rows {
            None => None,
            Some(r) if !returns_set => {
                self.invalid(
                    &r.span,
                    "`rows` is only for set-returning functions",
                    "remove `rows`, or return `setof T` / `returns_table`",
                );
                ok = false;
                None
            }
            Some(r) => match real_text(r.value).filter(|_| r.value > 0.0) {
                Some(t) if t == "1000" => None,
                Some(t) => Some(t),
                None => {
                    self.invalid(
                        &r.span,
                        "`rows` must be a positive number",
                        "write `rows = 10`",
                    );
                    ok = false;
                    None
                }
            },
        };
        let mut config = BTreeMap::new();
        for (name, value, list) in &raw.set {
            let key = name.value.to_ascii_lowercase();
            if !is_setting_name(&key) {
                self.invalid(
                    &name.span,
                    format!("`{}` is not a setting name", name.value),
                    "write a configuration parameter: `search_path`, `work_mem`, …",
                );
                ok = false;
                continue;
            }
            if value.value.iter().any(|v| v.contains('\0')) {
                self.invalid(
                    &value.span,
                    "the value contains a NUL character",
                    "remove it",
                );
                ok = false;
                continue;
            }
            let stored = if *list || LIST_SETTINGS.contains(&key.as_str()) {
                // A string is read as SQL would read the list: unquoted names fold to lower
                // case, `"$user"` is the name `$user`.
                let items: Vec<String> = value
                    .value
                    .iter()
                    .flat_map(|v| {
                        if *list {
                            vec![v.clone()]
                        } else {
                            crate::model::function::split_setting_list(v, true)
                        }
                    })
                    .collect();
                items
                    .iter()
                    .map(|i| guc_ident(i))
                    .collect::<Vec<_>>()
                    .join(", ")
            } else {
                value.value[0].clone()
            };
            config.insert(key, stored);
        }
        let depends_on = raw
            .depends_on
            .as_ref()
            .map(|list| {
                list.value
                    .iter()
                    .filter_map(|d| self.qualified(d, schema, "`depends_on` entry"))
                    .collect()
            })
            .unwrap_or_default();
        let comment = self.literal_text(&raw.comment, "comment");
        let grants = raw
            .grants
            .as_ref()
            .map(|g| Box::new(self.grant_list(g, GrantKind::Function)));
        if !ok {
            return None;
        }
        Some(Function {
            name: raw.name.value.clone(),
            procedure: raw.procedure,
            args,
            returns,
            returns_set,
            language,
            body,
            volatility,
            strict: raw.strict.as_ref().is_some_and(|b| b.value),
            security_definer: raw.security_definer.as_ref().is_some_and(|b| b.value),
            leakproof: raw.leakproof.as_ref().is_some_and(|b| b.value),
            parallel,
            cost,
            rows,
            config,
            depends_on,
            comment,
            grants,
        })
    }

    fn arg(
        &mut self,
        a: &RawArg,
        schema: &str,
        types: &BTreeMap<QualifiedName, (Span, &'static str)>,
        argument: bool,
    ) -> Option<Arg> {
        let mode = match &a.mode {
            None => ArgMode::In,
            Some(m) => match ArgMode::parse(&m.value.to_ascii_lowercase()) {
                Some(x) => x,
                None => {
                    self.invalid(
                        &m.span,
                        format!("unknown argument mode `{}`", m.value),
                        "write \"in\" (the default), \"out\", \"inout\" or \"variadic\"",
                    );
                    return None;
                }
            },
        };
        if let Some(n) = &a.name
            && !self.ident(n, "argument")
        {
            return None;
        }
        if !argument && a.name.is_none() {
            self.push(
                Diagnostic::new(
                    "missing-key",
                    a.span.clone(),
                    "a `returns_table` column has no `name`",
                )
                .hint("add `name = \"…\"`"),
            );
            return None;
        }
        let Some(ty) = &a.ty else {
            self.push(
                Diagnostic::new("missing-key", a.span.clone(), "an argument has no `type`")
                    .hint("add `type = \"integer\"`"),
            );
            return None;
        };
        let data_type = self.routine_type(ty, schema, types)?;
        let default = match &a.default_sql {
            Some(d) if !mode.is_input() => {
                self.invalid(
                    &d.span,
                    "only input arguments can have a default",
                    "remove `default_sql` from this OUT argument",
                );
                return None;
            }
            Some(d) => Some(self.expr(d, "argument default")?),
            None => None,
        };
        Some(Arg {
            name: a.name.as_ref().map(|n| n.value.clone()),
            mode,
            data_type,
            default,
        })
    }

    /// A routine's argument or result type as `format_type(oid, NULL)` prints it (see
    /// `model::function`): built-in types without modifiers, pseudo-types, and the types
    /// the project declares (qualified unless in `public`); types of unmanaged schemas pass
    /// through.
    pub(super) fn routine_type(
        &mut self,
        t: &Sp<String>,
        schema: &str,
        types: &BTreeMap<QualifiedName, (Span, &'static str)>,
    ) -> Option<String> {
        let text = t.value.trim();
        let lower = text.to_ascii_lowercase();
        if PSEUDO_TYPES.contains(&lower.as_str()) {
            return Some(lower);
        }
        match parse_type(text) {
            Ok(TypeSpec::Builtin {
                ty,
                serial: false,
                array,
            }) => Some(format!(
                "{}{}",
                without_modifiers(&ty.canonical),
                if array { "[]" } else { "" }
            )),
            Ok(TypeSpec::Builtin { serial: true, .. }) => {
                self.invalid(
                    &t.span,
                    format!("`{text}` is not a type an argument can have"),
                    "serial is a column shorthand; write \"integer\" or \"bigint\"",
                );
                None
            }
            Ok(TypeSpec::Named { parts, array }) => {
                let found = match parts.as_slice() {
                    [n] => [schema, "public"]
                        .iter()
                        .map(|s| QualifiedName::new(*s, n.clone()))
                        .find(|q| types.contains_key(q)),
                    [s, n] => {
                        let q = QualifiedName::new(s.clone(), n.clone());
                        if !types.contains_key(&q) && !self.managed.contains(s) {
                            // Created outside schemactl: PostgreSQL checks it.
                            return Some(qualified_type(s, n, array));
                        }
                        types.contains_key(&q).then_some(q)
                    }
                    _ => None,
                };
                match found {
                    Some(q) => Some(qualified_type(&q.schema, &q.name, array)),
                    // An extension's type (`citext`): where extensions live by default.
                    None if parts.len() == 1 && !self.extensions.is_empty() => Some(
                        qualified_type("public", &parts[0].to_ascii_lowercase(), array),
                    ),
                    None => {
                        self.push(
                            Diagnostic::new(
                                "unknown-type",
                                t.span.clone(),
                                format!("unknown type `{text}`"),
                            )
                            .hint("use a built-in type, or a table, view, enum, domain or composite type the project declares (`schema.name` for another schema)"),
                        );
                        None
                    }
                }
            }
            Err(e) => {
                self.push(
                    Diagnostic::new("invalid-type", t.span.clone(), e.message.clone())
                        .hint(e.hint.clone()),
                );
                None
            }
        }
    }
}

/// A built-in type's `format_type()` spelling without its modifiers:
/// `character varying(20)` → `character varying`, `timestamp(3) with time zone` →
/// `timestamp with time zone`; every `interval` form is `interval`.
pub fn without_modifiers(canonical: &str) -> String {
    if canonical.starts_with("interval") {
        return "interval".into();
    }
    let mut out = String::new();
    let mut depth = 0;
    for c in canonical.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A list element as PostgreSQL stores it in `proconfig` (`quote_identifier`).
fn guc_ident(s: &str) -> String {
    if crate::sql::is_plain_ident(s) && !s.contains('$') && !is_reserved(s) {
        s.to_string()
    } else {
        crate::sql::quote_ident(s)
    }
}

/// Reserved words PostgreSQL quotes in a `search_path` (the ones a path plausibly holds).
fn is_reserved(s: &str) -> bool {
    matches!(
        s,
        "user" | "public_" | "all" | "table" | "select" | "order" | "group"
    )
}

fn is_word(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_setting_name(s: &str) -> bool {
    !s.is_empty() && s.split('.').all(is_word) && !s.starts_with('.') && !s.ends_with('.')
}

/// `text` after a leading keyword `word` (case-insensitive) and whitespace.
fn strip_word<'a>(text: &'a str, word: &str) -> Option<&'a str> {
    let head = text.get(..word.len())?;
    let rest = &text[word.len()..];
    (head.eq_ignore_ascii_case(word) && rest.starts_with(char::is_whitespace))
        .then(|| rest.trim_start())
}

/// The functions (not procedures) of the project that a reference `parts` (`name` or
/// `schema.name`) names: in `schema`, else `public`, or in the schema written; with the
/// qualified name they resolve to. Empty when none is declared.
pub(super) fn declared_functions<'m>(
    parts: &[String],
    schema: &str,
    model: &'m Model,
) -> Option<(QualifiedName, Vec<&'m Function>)> {
    let candidates: Vec<QualifiedName> = match parts {
        [n] => vec![
            QualifiedName::new(schema, n.clone()),
            QualifiedName::new("public", n.clone()),
        ],
        [s, n] => vec![QualifiedName::new(s.clone(), n.clone())],
        _ => Vec::new(),
    };
    candidates.into_iter().find_map(|q| {
        let found: Vec<&Function> = model
            .schemas
            .get(&q.schema)?
            .functions
            .values()
            .filter(|f| f.name == q.name && !f.procedure)
            .collect();
        (!found.is_empty()).then_some((q, found))
    })
}
