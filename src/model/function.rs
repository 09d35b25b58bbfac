//! Functions and procedures (`[functions.NAME]`, `[procedures.NAME]`): one entry of
//! `pg_proc` each, identified by name and argument types (overloads are distinct objects).
//!
//! # Canonical form
//!
//! Types are spelled as `format_type(oid, NULL)` prints them with the catalog reader's
//! `search_path` (`pg_catalog, public`): no type modifiers (PostgreSQL drops them from
//! arguments and results), objects of `public` unqualified, others `schema.name`. Options
//! are stored only when they differ from what PostgreSQL chooses without them (`VOLATILE`,
//! not strict, `SECURITY INVOKER`, `PARALLEL UNSAFE`, cost 100 — 1 for C and internal —
//! rows 1000 for set-returning functions). The body is kept byte for byte (`prosrc`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Expr, QualifiedName, is_false};

/// A function or procedure.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Function {
    pub name: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub procedure: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<Arg>,
    /// The result type (`None` for procedures and `RETURNS TABLE`, whose columns are
    /// `table` arguments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returns: Option<String>,
    /// `RETURNS SETOF …` (and `RETURNS TABLE`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub returns_set: bool,
    pub language: String,
    pub body: String,
    #[serde(default, skip_serializing_if = "Volatility::is_default")]
    pub volatility: Volatility,
    #[serde(default, skip_serializing_if = "is_false")]
    pub strict: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub security_definer: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub leakproof: bool,
    #[serde(default, skip_serializing_if = "Parallel::is_default")]
    pub parallel: Parallel,
    /// `COST`, when not the language's default (as `float4` prints it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<String>,
    /// `ROWS`, when not the default (set-returning functions only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<String>,
    /// `SET name = value`, as `proconfig` stores it (`search_path` → `public, pg_temp`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub config: BTreeMap<String, String>,
    /// Relations and functions the body uses that schemactl cannot see in it (ordering
    /// only; not a property of the database's function).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<QualifiedName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// `EXECUTE` privileges (`None`: not managed; see `model::grant`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grants: Option<Box<super::grant::Grants>>,
}

impl PartialEq for Function {
    /// `depends_on` is not a property of the database's function; grants are compared by
    /// `diff::grant`.
    fn eq(&self, o: &Function) -> bool {
        self.same_definition(o) && self.comment == o.comment
    }
}

impl Eq for Function {}

impl Function {
    /// Equal apart from the comment and `depends_on`.
    pub fn same_definition(&self, o: &Function) -> bool {
        self.name == o.name
            && self.procedure == o.procedure
            && self.args == o.args
            && self.returns == o.returns
            && self.returns_set == o.returns_set
            && self.language == o.language
            && self.body == o.body
            && self.volatility == o.volatility
            && self.strict == o.strict
            && self.security_definer == o.security_definer
            && self.leakproof == o.leakproof
            && self.parallel == o.parallel
            && self.cost == o.cost
            && self.rows == o.rows
            && self.config == o.config
    }

    /// The identity: `name(type, …)` over the input arguments, the map key in
    /// [`super::Schema::functions`] and what `DROP FUNCTION` names.
    pub fn identity(&self) -> String {
        identity(&self.name, &self.args)
    }

    /// The input argument types, as `DROP FUNCTION` and `COMMENT ON FUNCTION` name them.
    pub fn input_types(&self) -> Vec<&str> {
        self.args
            .iter()
            .filter(|a| a.mode.is_input())
            .map(|a| a.data_type.as_str())
            .collect()
    }

    /// Whether `CREATE OR REPLACE` can turn `self` into `new`: same kind, same result type
    /// (PostgreSQL refuses to change it, and the `OUT`/`TABLE` columns are part of it) and
    /// the same argument names (it refuses to rename one); defaults may only be added.
    pub fn replaceable_by(&self, new: &Function) -> bool {
        let outputs = |f: &Function| -> Vec<(Option<String>, String)> {
            f.args
                .iter()
                .filter(|a| !matches!(a.mode, ArgMode::In | ArgMode::Variadic))
                .map(|a| (a.name.clone(), a.data_type.clone()))
                .collect()
        };
        let names = |f: &Function| -> Vec<Option<String>> {
            f.args.iter().map(|a| a.name.clone()).collect()
        };
        let defaults_kept = self
            .args
            .iter()
            .zip(&new.args)
            .all(|(a, b)| a.default.is_none() || b.default.is_some());
        self.procedure == new.procedure
            && self.returns == new.returns
            && self.returns_set == new.returns_set
            && outputs(self) == outputs(new)
            && names(self) == names(new)
            && defaults_kept
    }

    /// The language's default cost (`pg_proc.procost` when `COST` is not given).
    pub fn default_cost(language: &str) -> &'static str {
        if matches!(language, "c" | "internal") {
            "1"
        } else {
            "100"
        }
    }
}

/// `name(type, …)` over the input arguments.
pub fn identity(name: &str, args: &[Arg]) -> String {
    let types: Vec<&str> = args
        .iter()
        .filter(|a| a.mode.is_input())
        .map(|a| a.data_type.as_str())
        .collect();
    format!("{name}({})", types.join(", "))
}

/// One argument (or a `RETURNS TABLE` column).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arg {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "ArgMode::is_default")]
    pub mode: ArgMode,
    #[serde(rename = "type")]
    pub data_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Expr>,
}

impl PartialEq for Arg {
    /// Defaults compare by meaning, literals as the argument's type stores them.
    fn eq(&self, o: &Arg) -> bool {
        self.name == o.name
            && self.mode == o.mode
            && self.data_type == o.data_type
            && match (&self.default, &o.default) {
                (None, None) => true,
                (Some(a), Some(b)) => {
                    a.canonical_for_type(&self.data_type) == b.canonical_for_type(&o.data_type)
                        || strip_cast(a, &self.data_type) == strip_cast(b, &o.data_type)
                }
                _ => false,
            }
    }
}

impl Eq for Arg {}

/// The canonical form without a trailing cast to the argument's own type, which
/// `pg_get_function_arg_default` adds to literals (`'x'::text`).
fn strip_cast(e: &Expr, ty: &str) -> String {
    let c = e.canonical_for_type(ty).into_owned();
    let suffix = format!("::{ty}");
    match c.strip_suffix(&suffix) {
        Some(s) if !s.is_empty() => s.trim_matches(|ch| ch == '(' || ch == ')').to_string(),
        _ => c.trim_matches(|ch| ch == '(' || ch == ')').to_string(),
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArgMode {
    #[default]
    In,
    Out,
    InOut,
    Variadic,
    /// A column of `RETURNS TABLE (…)`.
    Table,
}

impl ArgMode {
    fn is_default(&self) -> bool {
        *self == ArgMode::In
    }

    /// Part of the identity (what a call passes).
    pub fn is_input(self) -> bool {
        matches!(self, ArgMode::In | ArgMode::InOut | ArgMode::Variadic)
    }

    /// From `pg_proc.proargmodes`.
    pub fn from_code(c: &str) -> Option<ArgMode> {
        Some(match c {
            "i" => ArgMode::In,
            "o" => ArgMode::Out,
            "b" => ArgMode::InOut,
            "v" => ArgMode::Variadic,
            "t" => ArgMode::Table,
            _ => return None,
        })
    }

    pub fn parse(s: &str) -> Option<ArgMode> {
        Some(match s {
            "in" => ArgMode::In,
            "out" => ArgMode::Out,
            "inout" => ArgMode::InOut,
            "variadic" => ArgMode::Variadic,
            _ => return None,
        })
    }

    /// The keyword in a signature (`IN` is left out).
    pub fn keyword(self) -> Option<&'static str> {
        match self {
            ArgMode::In | ArgMode::Table => None,
            ArgMode::Out => Some("OUT"),
            ArgMode::InOut => Some("INOUT"),
            ArgMode::Variadic => Some("VARIADIC"),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Volatility {
    Immutable,
    Stable,
    #[default]
    Volatile,
}

impl Volatility {
    fn is_default(&self) -> bool {
        *self == Volatility::Volatile
    }

    pub fn parse(s: &str) -> Option<Volatility> {
        Some(match s {
            "immutable" | "i" => Volatility::Immutable,
            "stable" | "s" => Volatility::Stable,
            "volatile" | "v" => Volatility::Volatile,
            _ => return None,
        })
    }

    pub fn keyword(self) -> &'static str {
        match self {
            Volatility::Immutable => "IMMUTABLE",
            Volatility::Stable => "STABLE",
            Volatility::Volatile => "VOLATILE",
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Parallel {
    Safe,
    Restricted,
    #[default]
    Unsafe,
}

impl Parallel {
    fn is_default(&self) -> bool {
        *self == Parallel::Unsafe
    }

    pub fn parse(s: &str) -> Option<Parallel> {
        Some(match s {
            "safe" | "s" => Parallel::Safe,
            "restricted" | "r" => Parallel::Restricted,
            "unsafe" | "u" => Parallel::Unsafe,
            _ => return None,
        })
    }

    pub fn keyword(self) -> &'static str {
        match self {
            Parallel::Safe => "SAFE",
            Parallel::Restricted => "RESTRICTED",
            Parallel::Unsafe => "UNSAFE",
        }
    }
}

/// A `COST`/`ROWS` number as `float4` prints it (`100`, `0.5`), or `None` when it is not a
/// finite non-negative number.
pub fn real_text(v: f64) -> Option<String> {
    let f = v as f32;
    (f.is_finite() && f >= 0.0).then(|| format!("{f}"))
}

/// The relations and functions a SQL-language body names (for ordering): every statement's
/// `FROM`/`JOIN` relations and `INSERT`/`UPDATE`/`DELETE` targets, unqualified names in
/// `public`; `None` when the body does not parse.
pub fn sql_body_refs(body: &str) -> Option<super::view::QueryRefs> {
    super::view::statements_refs(body).ok()
}

/// What `f` needs before it can be created: its `depends_on`, and for a SQL function the
/// relations its body reads or writes (PostgreSQL checks them when it creates the function).
pub fn reads(f: &Function) -> Vec<QualifiedName> {
    let mut out: std::collections::BTreeSet<QualifiedName> = f.depends_on.iter().cloned().collect();
    if f.language == "sql"
        && let Some(r) = sql_body_refs(&f.body)
    {
        for (s, n) in r.relations {
            out.insert(QualifiedName::new(s.unwrap_or_else(|| "public".into()), n));
        }
    }
    out.into_iter().collect()
}

/// Names of the functions a SQL body calls (unqualified, folded).
pub fn calls(f: &Function) -> Vec<String> {
    if f.language != "sql" {
        return Vec::new();
    }
    sql_body_refs(&f.body)
        .map(|r| r.functions.into_iter().map(|(_, n)| n).collect())
        .unwrap_or_default()
}

/// A type as the model spells it: built-in types as `format_type` prints them, every other
/// type `schema.name` with each part quoted only when it needs it (`"Audit Log".user`), `[]`
/// after an array. `text` is a catalog spelling (`quote_ident` parts) or already this form.
pub fn type_spelling(text: &str) -> String {
    let (body, array) = match text.strip_suffix("[]") {
        Some(b) => (b, "[]"),
        None => (text, ""),
    };
    match crate::sql::split_qualified(body).as_deref() {
        Ok([s, n]) if body.contains('.') => qualified_type(s, n, !array.is_empty()),
        _ => text.to_string(),
    }
}

/// The model's spelling of the type `schema.name` (`[]` after it for an array of it).
pub fn qualified_type(schema: &str, name: &str, array: bool) -> String {
    format!(
        "{}.{}{}",
        crate::sql::display_ident(schema),
        crate::sql::display_ident(name),
        if array { "[]" } else { "" }
    )
}

/// A model type spelling as SQL: qualified names with every part quoted (a type may be
/// named like a keyword), built-in types as they are.
pub fn type_sql(spelling: &str) -> String {
    let (body, array) = match spelling.strip_suffix("[]") {
        Some(b) => (b, "[]"),
        None => (spelling, ""),
    };
    match crate::sql::split_qualified(body).as_deref() {
        Ok([s, n]) if body.contains('.') => format!("{}{array}", crate::sql::quote_in(s, n)),
        _ => spelling.to_string(),
    }
}

/// The elements of a list setting as SQL reads them (`public, "My Schema"`): quotes
/// removed; with `fold`, unquoted elements in lower case (as unquoted identifiers fold).
pub fn split_setting_list(value: &str, fold: bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut was_quoted = false;
    let mut chars = value.chars().peekable();
    let push = |cur: &mut String, was_quoted: &mut bool| {
        let item = if *was_quoted {
            cur.trim().to_string()
        } else if fold {
            cur.trim().to_lowercase()
        } else {
            cur.trim().to_string()
        };
        *was_quoted = false;
        cur.clear();
        item
    };
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            '"' => {
                quoted = !quoted;
                was_quoted = true;
            }
            ',' if !quoted => out.push(push(&mut cur, &mut was_quoted)),
            _ => cur.push(c),
        }
    }
    out.push(push(&mut cur, &mut was_quoted));
    out.retain(|s| !s.is_empty());
    out
}
