//! PostgreSQL's built-in functions and operators (PostgreSQL 14–17), and those of the contrib
//! extensions (PostgreSQL 15), for the offline check of expressions: a call of an unknown
//! function (`nowx()`), a wrong number of arguments, an operator that does not exist
//! (`amount >>> 0`). The tables are generated from the servers' catalogs by
//! `tools/pg-builtins/` (see its README) and compiled in; they are parsed once, on first use.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

const FUNCTIONS: &str = include_str!("builtins/functions.tsv");
const OPERATORS: &str = include_str!("builtins/operators.tsv");
const EXTENSION_FUNCTIONS: &str = include_str!("builtins/extension_functions.tsv");
const EXTENSION_OPERATORS: &str = include_str!("builtins/extension_operators.tsv");

/// How many arguments one signature of a function takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Arity {
    pub min: u16,
    pub max: u16,
    /// Takes any number of arguments from `max` on (its last one is `VARIADIC`).
    pub variadic: bool,
}

impl Arity {
    pub fn accepts(self, n: usize) -> bool {
        n >= usize::from(self.min) && (self.variadic || n <= usize::from(self.max))
    }
}

/// One signature of a function, as far as the offline check needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Signature {
    pub arity: Arity,
    /// `IMMUTABLE`: allowed in index expressions, predicates and generated columns.
    pub immutable: bool,
    /// Returns `SETOF …`: not allowed in defaults, checks, indexes or generated columns.
    pub set_returning: bool,
}

/// A function's signatures and what kind it is.
#[derive(Clone, Debug, Default)]
pub struct Function {
    pub signatures: BTreeSet<Signature>,
    /// Aggregate or window function: not allowed in defaults, checks or index expressions.
    pub aggregate: bool,
}

impl Function {
    /// The signatures that take `n` arguments.
    pub fn taking(&self, n: usize) -> impl Iterator<Item = &Signature> {
        self.signatures.iter().filter(move |s| s.arity.accepts(n))
    }
}

struct Tables {
    functions: BTreeMap<String, Function>,
    operators: BTreeSet<String>,
    /// Extension name → its functions.
    extension_functions: BTreeMap<String, BTreeMap<String, Function>>,
    extension_operators: BTreeMap<String, BTreeSet<String>>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut functions = BTreeMap::new();
        for cols in rows(FUNCTIONS) {
            // name, min_args, max_args, variadic, kind, arg_types, return_type, volatility
            let field = |i: usize| cols.get(i).copied().unwrap_or("");
            add_function(&mut functions, field(0), &cols[1..5], field(6), field(7));
        }
        let operators = rows(OPERATORS).map(|cols| cols[0].to_string()).collect();
        let mut extension_functions: BTreeMap<String, BTreeMap<String, Function>> = BTreeMap::new();
        for cols in rows(EXTENSION_FUNCTIONS) {
            // extension, name, min_args, max_args, variadic, kind, return_type, volatility
            let field = |i: usize| cols.get(i).copied().unwrap_or("");
            let ext = extension_functions.entry(field(0).to_string()).or_default();
            add_function(ext, field(1), &cols[2..6], field(6), field(7));
        }
        let mut extension_operators: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for cols in rows(EXTENSION_OPERATORS) {
            extension_operators
                .entry(cols[0].to_string())
                .or_default()
                .insert(cols[1].to_string());
        }
        Tables {
            functions,
            operators,
            extension_functions,
            extension_operators,
        }
    })
}

/// The data rows of a generated table (the first line is a header).
fn rows(text: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    text.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.split('\t').collect())
}

/// `cols`: min_args, max_args, variadic, kind.
fn add_function(
    into: &mut BTreeMap<String, Function>,
    name: &str,
    cols: &[&str],
    return_type: &str,
    volatility: &str,
) {
    let num = |i: usize| cols.get(i).and_then(|s| s.parse::<u16>().ok()).unwrap_or(0);
    let f = into.entry(name.to_string()).or_default();
    f.signatures.insert(Signature {
        arity: Arity {
            min: num(0),
            max: num(1),
            variadic: cols.get(2) == Some(&"1"),
        },
        immutable: volatility == "i",
        set_returning: return_type.starts_with("SETOF "),
    });
    f.aggregate |= matches!(cols.get(3), Some(&"a") | Some(&"w"));
}

/// A built-in function of `pg_catalog` (any of PostgreSQL 14–17).
pub fn function(name: &str) -> Option<&'static Function> {
    tables().functions.get(name)
}

/// A function of a contrib extension, if the extension is one we have a table for.
pub fn extension_function(extension: &str, name: &str) -> Option<&'static Function> {
    tables().extension_functions.get(extension)?.get(name)
}

/// Whether we know the functions and operators of `extension` (the contrib extensions).
pub fn knows_extension(extension: &str) -> bool {
    tables().extension_functions.contains_key(extension)
        || tables().extension_operators.contains_key(extension)
        || EXTENSIONS_WITHOUT_OBJECTS.contains(&extension)
}

/// Contrib extensions that add no callable function or operator (so no rows above).
const EXTENSIONS_WITHOUT_OBJECTS: &[&str] = &[
    "autoinc",
    "bloom",
    "insert_username",
    "moddatetime",
    "plpgsql",
    "refint",
    "tcn",
    "tsm_system_rows",
    "tsm_system_time",
];

/// A built-in operator (any of PostgreSQL 14–17), or one of a contrib extension listed in
/// `extensions`.
pub fn operator_exists<'a>(op: &str, mut extensions: impl Iterator<Item = &'a str>) -> bool {
    tables().operators.contains(op)
        || extensions.any(|e| {
            tables()
                .extension_operators
                .get(e)
                .is_some_and(|ops| ops.contains(op))
        })
}

/// Names of the built-in functions and of the given extensions' (for "did you mean").
pub fn function_names<'a>(
    extensions: impl Iterator<Item = &'a str> + 'a,
) -> impl Iterator<Item = &'static str> + 'a {
    let ext = extensions.flat_map(|e| {
        tables()
            .extension_functions
            .get(e)
            .into_iter()
            .flat_map(|m| m.keys().map(String::as_str))
    });
    tables().functions.keys().map(String::as_str).chain(ext)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_parse_and_hold_what_postgresql_has() {
        let now = function("now").expect("now()");
        assert!(now.taking(0).next().is_some());
        assert!(now.taking(1).next().is_none());
        assert!(now.taking(0).all(|s| !s.immutable));
        assert!(function("lower").unwrap().taking(1).any(|s| s.immutable));
        assert!(
            function("generate_series")
                .unwrap()
                .taking(2)
                .all(|s| s.set_returning)
        );
        let concat = function("concat").expect("concat is variadic");
        assert!(concat.taking(7).next().is_some());
        assert!(
            extension_function("uuid-ossp", "uuid_generate_v4")
                .unwrap()
                .taking(0)
                .all(|s| !s.immutable)
        );
        assert!(function("count").unwrap().aggregate);
        assert!(!function("lower").unwrap().aggregate);
        assert!(function("nowx").is_none());
        assert!(operator_exists(">=", std::iter::empty()));
        assert!(operator_exists("@>", std::iter::empty()));
        assert!(!operator_exists(">>>", std::iter::empty()));
        assert!(extension_function("pgcrypto", "gen_salt").is_some());
        assert!(extension_function("uuid-ossp", "uuid_generate_v4").is_some());
        assert!(knows_extension("citext") && !knows_extension("postgis"));
        assert!(operator_exists("%", std::iter::empty()));
        assert!(!operator_exists("<<%", std::iter::empty()));
        assert!(operator_exists("<<%", ["pg_trgm"].into_iter()));
    }
}
