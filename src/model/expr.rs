//! SQL expressions in the model (defaults, generated columns, checks, index expressions and
//! predicates). Parsed with sqlparser (PostgreSQL dialect); compared by a normalised form so
//! that what PostgreSQL prints back equals what the user wrote.
//!
//! # Emitted SQL
//!
//! [`Expr::sql`] is the text as written (trimmed), except that comments are replaced by a
//! space each, so the text can be embedded in DDL (`DEFAULT {sql},`, `CHECK ({sql})`). An
//! operator that runs into `--` or `/*` (`a @-- note`, which sqlparser reads as one operator
//! but PostgreSQL as `@` and a comment) is rejected.
//!
//! # Normalisation
//!
//! The canonical form is rendered from the parsed tree by [`Node`], not from the user's text.
//! It is valid-looking SQL, but only meant for comparison and display. The rules:
//!
//! * Parentheses: the tree decides. Every non-atomic operand is parenthesised, uniformly, the
//!   top level never is, so `((a > 0))` == `a > 0` but `(a + b) * c` != `a + (b * c)`.
//! * `AND` / `OR` chains are flattened into n-ary lists (PostgreSQL flattens only the left side
//!   when it parses, and `BETWEEN` / `IN` expansions merge into an enclosing chain).
//! * Identifiers: unquoted ones fold to lower case (ASCII, as PostgreSQL does), quoted ones are
//!   kept; rendered quoted only when needed, so `"status"` == `status`, `"Status"` != `status`.
//!   Function names likewise; a `pg_catalog.` qualifier is dropped.
//! * Keywords are case-insensitive (rendered lower case); `!=` is `<>`.
//! * Casts: `CAST(x AS t)` == `x::t`; type names are rendered the way `format_type` prints them
//!   (`int4` -> `integer`, `varchar(5)` -> `character varying(5)`, `timestamptz` ->
//!   `timestamp with time zone`, ...). Casts whose operand is a literal (string, number,
//!   boolean, `NULL`, an array of literals) are removed, because PostgreSQL adds them when it
//!   resolves types (`'ACTIVE'::registrationstatus`, `(0)::numeric`, `'{}'::jsonb`,
//!   `ARRAY['a'::text]`), and the normaliser does not know column types. Typed literals
//!   (`date '2020-01-01'`, `interval '1 day'`) are casts too.
//! * Casts that PostgreSQL inserts implicitly on non-literals are removed as well, since the
//!   user rarely writes them: a cast to `text`, `numeric` or `double precision` applied to a
//!   column reference (`lower((name)::text)` on a varchar column, `(a)::double precision ^ ...`),
//!   and such a cast as a direct operand of a comparison (`((a / b))::numeric > 0.5`).
//!   Trade-off: `a::numeric / b` then compares equal to `a / b` (integer vs numeric division).
//! * Numbers: exponents expanded the way `numeric` input does (`1.5e3` -> `1500`, `.5` ->
//!   `0.5`), leading zeros dropped, trailing fractional zeros kept (`1.50` stays). Unary minus
//!   on a number folds into it. A string literal whose text is exactly a canonical number
//!   (`'7'`, `'-1'`) is that number, because PostgreSQL prints non-int4 constants quoted
//!   (`'7'::bigint`, `'-1'::integer`). `'007'` stays a string.
//! * Strings compare by value (`E'a\'b'` == `'a''b'`), rendered with `''` escaping.
//! * `x IN (...)` becomes `x = ANY (ARRAY[...])` for the elements without column references
//!   (when there are at least two of them) OR-ed with `x = e` for the rest, exactly like
//!   PostgreSQL's `transformAExprIn`; `NOT IN` likewise with `<> ALL` and `AND`.
//! * `x BETWEEN a AND b` -> `x >= a AND x <= b`; `NOT BETWEEN` -> `x < a OR x > b`;
//!   `BETWEEN SYMMETRIC` -> `(x >= a AND x <= b) OR (x >= b AND x <= a)` and `NOT BETWEEN
//!   SYMMETRIC` -> `(x < a OR x > b) AND (x < b OR x > a)`, as PostgreSQL stores them;
//!   `BETWEEN ASYMMETRIC` is plain `BETWEEN`.
//! * Row `=` / `<>` between rows of the same length -> the columns' comparisons joined by
//!   `AND` / `OR`, as PostgreSQL stores them (`(a, b) <> (0, 0)` -> `a <> 0 OR b <> 0`).
//! * `LIKE` -> `~~`, `NOT LIKE` -> `!~~`, `ILIKE` -> `~~*`, `NOT ILIKE` -> `!~~*`,
//!   `LIKE p ESCAPE e` -> `~~ like_escape(p, e)`, `SIMILAR TO p` -> `~ similar_to_escape(p)`.
//! * `IS NOT DISTINCT FROM` -> `NOT (IS DISTINCT FROM)`.
//! * SQL-syntax functions become plain calls of the function PostgreSQL calls, so the SQL
//!   form and the call compare equal (PostgreSQL prints either back): `SUBSTRING(x FROM a
//!   FOR b)` -> `substring(x, a, b)` (`FOR b` alone: `FROM 1`; `SUBSTRING(x SIMILAR p ESCAPE
//!   e)` -> `substring(x, p, e)`), `POSITION(a IN b)` -> `position(b, a)`, `TRIM([BOTH] c
//!   FROM x)` and `TRIM(x, c)` -> `btrim(x, c)` (`ltrim` / `rtrim` for `LEADING` /
//!   `TRAILING`), `OVERLAY(x PLACING y FROM a [FOR b])` -> `overlay(x, y, a[, b])`,
//!   `(a, b) OVERLAPS (c, d)` -> `overlaps(a, b, c, d)`, `COLLATION FOR (x)` ->
//!   `pg_collation_for(x)`, `NORMALIZE(x, NFKC)` -> `normalize(x, 'NFKC')` (the form is a
//!   keyword, not a column), `CEIL` / `FLOOR`.
//! * `x IS [NOT] [form] NORMALIZED` is a test like `IS NULL`; `NOT` is pulled out in front,
//!   as PostgreSQL prints it (`NOT (x IS NFD NORMALIZED)`). `IS NORMALIZED` and `IS NFC
//!   NORMALIZED` stay different (PostgreSQL stores and prints them differently), as do
//!   `NORMALIZE(x)` and `NORMALIZE(x, NFC)`.
//!
//! # Forms sqlparser cannot parse
//!
//! A few SQL-standard forms that PostgreSQL accepts and prints back are rewritten in the
//! tokens before parsing (`rewrite_special_forms`); only the parsed tree sees the rewrite,
//! [`Expr::sql`] keeps the text as written: `TRIM(LEADING FROM x)` (the `FROM` is dropped),
//! `TRIM(LEADING x, c)` (sqlparser would drop the `LEADING`: parsed as `ltrim(x, c)`),
//! `COLLATION FOR (x)` (parsed as `pg_collation_for(x)`), `BETWEEN [A]SYMMETRIC` (the lower
//! bound is wrapped in a marker call that the converter unwraps and the offline checks skip)
//! and `SUBSTRING(x SIMILAR p ESCAPE e)` (parsed as `SUBSTRING(x FROM p FOR e)`).
//! * `CASE` without `ELSE` gets `ELSE NULL` (PostgreSQL stores the default).
//! * `now()` and `CURRENT_TIMESTAMP` stay different (PostgreSQL 15 prints each as written).
//!
//! # Typed literals (column defaults)
//!
//! [`Expr::canonical`] knows no types. Where the type is known — a column default —
//! [`Expr::canonical_for_type`] also normalises a lone string literal to the text PostgreSQL
//! stores for that type (`date`, `time`, `timestamp`, `timestamptz` converted to UTC,
//! `interval` in the `postgres` style, `jsonb`, `tsvector`; see the `typed` module for the
//! exact forms), and `diff` compares defaults with it. So `default = "1 hour"` on an interval
//! column equals the catalog's `'01:00:00'::interval`. This assumes the catalog reader's
//! settings (`TimeZone = 'UTC'`, `DateStyle = ISO`, `IntervalStyle = postgres`).
//!
//! # Known gaps
//!
//! * In checks, index expressions and predicates, a literal compared directly with a column
//!   is normalised for the column's type ([`Expr::with_column_types`], applied by the
//!   model's tables): `ts > '2020-01-01'` on a timestamptz column equals `(ts > '2020-01-01
//!   00:00:00+00'::timestamp with time zone)`. So is a typed literal or a literal cast to
//!   such a type (`interval '1 hour'` = `'01:00:00'::interval`). A bare literal compared
//!   with an expression is not (`date_trunc('day', ts) = '2020-01-01'`). Also boolean
//!   spellings in an untyped string
//!   (`'f'` vs `false`), `interval '1' day` field syntax, and typed-literal input forms the
//!   `typed` module does not understand (ISO 8601 intervals `P1D`, fractional days, named
//!   time zones, month names), which are compared as written.
//! * Names PostgreSQL prints relative to `search_path` (`nextval('public.s')` vs
//!   `nextval('s'::regclass)`) are not resolved.
//! * Subqueries, window / aggregate decorations and other rarities are kept as sqlparser
//!   renders them (no normalisation inside, no column references).
//! * Casts PostgreSQL adds for types outside `text` / `numeric` / `double precision` on
//!   non-literals are kept, so such expressions may show a spurious difference.

use std::collections::BTreeSet;
use std::fmt::Write;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sqlparser::ast;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer, Whitespace};

/// Maximum nesting of parentheses / brackets accepted in an expression.
const MAX_NESTING: usize = 200;
/// Maximum depth of the parsed tree (long operator chains nest without parentheses).
const MAX_TREE_DEPTH: usize = 1000;
/// Maximum number of tokens (bounds the tree size and parse time).
const MAX_TOKENS: usize = 20_000;
/// Inputs with at most this many tokens are analysed on the caller's thread.
const INLINE_TOKENS: usize = 100;
/// Stack for analysing larger inputs (reserved, only touched pages are committed).
const DEEP_STACK: usize = 256 << 20;

/// An expression: the SQL to emit, plus its normalised form used for comparison. Immutable
/// and shared: models are cloned whole (diff, renames), and a column without a default or
/// generated expression costs one pointer instead of the whole analysis.
#[derive(Clone, Debug)]
pub struct Expr(Arc<Analysis>);

/// What an [`Expr`] knows about its text; read through `Deref`.
#[derive(Debug)]
pub struct Analysis {
    sql: String,
    canonical: String,
    columns: BTreeSet<String>,
    index_column_name: String,
    functions: BTreeSet<String>,
    /// The value when the whole expression is one string literal (casts removed).
    literal: Option<String>,
    /// A single term (literal, call, cast, array, column, CASE) that can follow `DEFAULT`
    /// without parentheses; `NOT x` or `x IS NULL` cannot (PostgreSQL's `b_expr`).
    atomic: bool,
}

impl std::ops::Deref for Expr {
    type Target = Analysis;

    fn deref(&self) -> &Analysis {
        &self.0
    }
}

/// A parse failure; `offset` is a byte offset into the expression text when known.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}{}", .offset.map(|o| format!(" (at byte {o})")).unwrap_or_default())]
pub struct ExprError {
    pub message: String,
    pub offset: Option<usize>,
}

/// What an expression calls and names, for the offline check (`compile`): not part of the
/// model, so it costs nothing where expressions are only compared.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct References {
    /// Function calls written with a name (keyword forms such as `TRIM(…)` or
    /// `CURRENT_DATE` are syntax, not listed here unless sqlparser reads them as calls).
    pub calls: Vec<Call>,
    /// Operators that are not SQL syntax of their own (`>>>`, `OPERATOR(s.+)`), as written.
    pub operators: Vec<String>,
    /// Types named in casts (`x::T`, `CAST(x AS T)`, `T 'literal'`), as written.
    pub casts: Vec<String>,
    /// Subqueries (`(SELECT …)`, `EXISTS`, `IN (SELECT …)`).
    pub subqueries: usize,
    /// Operators PostgreSQL no longer has (postfix `!`, removed in 14).
    pub removed_operators: Vec<String>,
    /// Sequences named by `nextval`, `currval` or `setval` with a literal first argument
    /// (`nextval('s')`, `nextval('billing.s'::regclass)`), the literal's text as written.
    pub sequences: Vec<String>,
}

/// One function call of an expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    /// The name's parts, folded as PostgreSQL folds them (`Pg_Catalog.NOW` → `pg_catalog`,
    /// `now`).
    pub name: Vec<String>,
    /// Arguments given (`count(*)` has none).
    pub args: usize,
    /// Written with parentheses (`now()`; not `current_timestamp`).
    pub parens: bool,
}

impl Expr {
    /// Parse and normalise `sql`. Error offsets are byte offsets into `sql` as given.
    pub fn parse(sql: &str) -> Result<Expr, ExprError> {
        Expr::parse_with(sql, Types::new(), false).map(|(e, _)| e)
    }

    /// [`Expr::parse`], and what the expression calls and names (for checking them).
    pub fn parse_with_references(sql: &str) -> Result<(Expr, References), ExprError> {
        Expr::parse_with(sql, Types::new(), true)
    }

    /// [`Expr::parse`], with the types of the columns whose compared literals are
    /// normalised (see [`Expr::with_column_types`]); [`References`] when `refs`.
    fn parse_with(sql: &str, types: Types, refs: bool) -> Result<(Expr, References), ExprError> {
        let trimmed = sql.trim();
        if trimmed.is_empty() {
            return Err(ExprError {
                message: "empty expression".into(),
                offset: None,
            });
        }
        let tokens = tokenize(sql)?;
        let text = embeddable_text(sql, &tokens)?;
        let significant = tokens
            .iter()
            .filter(|t| !matches!(t.token, Token::Whitespace(_)))
            .count();
        if significant <= INLINE_TOKENS {
            return analyse(sql, text, tokens, &types, refs);
        }
        // Large inputs can nest deeply; the recursive parser and normaliser then get a thread
        // with a generous stack instead of whatever the caller's thread has left.
        let owned = sql.to_string();
        let handle = std::thread::Builder::new()
            .name("schemactl-expr".into())
            .stack_size(DEEP_STACK)
            .spawn(move || analyse(&owned, text, tokens, &types, refs));
        match handle.map(|h| h.join()) {
            Ok(Ok(result)) => result,
            _ => Err(ExprError {
                message: "could not analyse the expression".into(),
                offset: None,
            }),
        }
    }

    /// Whether the SQL must be parenthesised after `DEFAULT`.
    pub fn needs_parens_as_default(&self) -> bool {
        !self.atomic
    }

    /// The SQL to write into DDL: the text as written, trimmed. When it contains comments,
    /// each comment is replaced by a space, so that the text can be embedded anywhere
    /// (`DEFAULT 1 -- one,` would comment out the rest of the line).
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// The normalised form (what equality compares).
    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    /// Distinct column names the expression references (unqualified identifiers and the last
    /// part of qualified ones), for validation and PostgreSQL's default check names.
    pub fn referenced_columns(&self) -> BTreeSet<String> {
        self.columns.clone()
    }

    /// The name PostgreSQL gives an index column built from this expression
    /// (`FigureColname`): the function name for a function call, the column name for a
    /// (possibly cast) column, `case` for `CASE`, `timezone` for `AT TIME ZONE`, else `expr`.
    pub fn index_column_name(&self) -> String {
        self.index_column_name.clone()
    }

    /// Distinct names of the functions the expression calls anywhere (arguments, casts,
    /// `CASE`, arrays, ...), unqualified and lower-cased. SQL-syntax forms count as the
    /// function PostgreSQL turns them into: `CURRENT_TIMESTAMP` -> `current_timestamp`,
    /// `SUBSTRING(x FROM 2)` -> `substring`, `TRIM(x)` -> `btrim`, `x AT TIME ZONE z` ->
    /// `timezone`, `EXTRACT(...)` -> `extract`, `LIKE ... ESCAPE` -> `like_escape`,
    /// `SIMILAR TO` -> `similar_to_escape`. Operators are not functions here; subqueries are
    /// not looked into.
    pub fn function_names(&self) -> BTreeSet<String> {
        self.functions.clone()
    }

    /// The value when the whole expression is one string literal (casts removed).
    pub fn string_literal(&self) -> Option<&str> {
        self.literal.as_deref()
    }

    /// This expression with column `from` renamed to `to`, as PostgreSQL prints it after
    /// `ALTER TABLE … RENAME COLUMN` (it stores column numbers, not names). Words used as a
    /// function name, a type after `::` or a qualifier before `.` are left alone. When the
    /// result would not reference exactly the renamed columns, the expression is returned
    /// unchanged: the diff then sees a changed expression and replaces the object, which is
    /// slower but still correct.
    pub fn rename_column(&self, from: &str, to: &str) -> Expr {
        if !self.columns.contains(from) || from == to {
            return self.clone();
        }
        let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, &self.sql).tokenize_with_location()
        else {
            return self.clone();
        };
        let significant: Vec<&TokenWithSpan> = tokens
            .iter()
            .filter(|t| !matches!(t.token, Token::Whitespace(_)))
            .collect();
        let mut cursor = SpanCursor::new(&self.sql);
        let mut out = String::with_capacity(self.sql.len() + to.len());
        let mut copied = 0;
        for (k, t) in significant.iter().enumerate() {
            let Token::Word(w) = &t.token else {
                continue;
            };
            let name = match w.quote_style {
                None => w.value.to_ascii_lowercase(),
                Some('"') => w.value.clone(),
                Some(_) => continue,
            };
            let prev = k.checked_sub(1).map(|j| &significant[j].token);
            let next = significant.get(k + 1).map(|n| &n.token);
            if name != from
                || matches!(prev, Some(Token::DoubleColon))
                || matches!(next, Some(Token::LParen | Token::Period))
            {
                continue;
            }
            let (Some(start), Some(end)) = (cursor.seek(t.span.start), cursor.seek(t.span.end))
            else {
                return self.clone();
            };
            out.push_str(&self.sql[copied..start]);
            out.push_str(&crate::sql::quote_ident(to));
            copied = end;
        }
        out.push_str(&self.sql[copied..]);
        let mut expected = self.columns.clone();
        expected.remove(from);
        expected.insert(to.to_string());
        match Expr::parse(&out) {
            Ok(e) if e.columns == expected => e,
            _ => self.clone(),
        }
    }

    /// The normalised form of this expression as the value of a column of type `ty` (a
    /// built-in type spelled as `format_type()` prints it, not an array). Differs from
    /// [`Expr::canonical`] only when the whole expression is one string literal that
    /// PostgreSQL re-formats when it stores it for that type: `date`, `time`, `timestamp`,
    /// `timestamptz`, `interval`, `jsonb` and `tsvector` (see the `typed` module for the forms
    /// understood; anything else keeps its plain canonical form). Used to compare column
    /// defaults: `'1 hour'` for an interval column equals PostgreSQL's `'01:00:00'::interval`.
    pub fn canonical_for_type(&self, ty: &str) -> std::borrow::Cow<'_, str> {
        match self
            .literal
            .as_deref()
            .and_then(|v| typed::normalise(v, ty))
        {
            Some(v) => std::borrow::Cow::Owned(render_string(&v)),
            None => std::borrow::Cow::Borrowed(&self.canonical),
        }
    }
}

impl Expr {
    /// This expression with each string literal that is compared with a column (`=`, `<>`,
    /// `<`, `>`, `<=`, `>=`, `= ANY (ARRAY[…])`, and so `IN` and `BETWEEN`) normalised to
    /// the text PostgreSQL stores for that column's type, as [`Expr::canonical_for_type`]
    /// does for defaults. `types` maps column names to their types (`format_type()`
    /// spellings); the ones that matter are `date`, `time`, `timestamp`, `timestamptz`,
    /// `interval`, `jsonb` and `tsvector`. So a check `ts > '2020-01-01'` on a timestamptz
    /// column equals PostgreSQL's `(ts > '2020-01-01 00:00:00+00'::timestamp with time
    /// zone)`. Only the normalised form changes, never the SQL.
    pub fn with_column_types(self, types: &Types) -> Expr {
        if !self.canonical.contains('\'') {
            return self;
        }
        let relevant: Types = self
            .columns
            .iter()
            .filter_map(|c| {
                let ty = types.get(c)?;
                typed::normalises(ty).then(|| (c.clone(), ty.clone()))
            })
            .collect();
        if relevant.is_empty() {
            return self;
        }
        match Expr::parse_with(&self.sql, relevant, false) {
            Ok((typed, _)) => typed,
            Err(_) => self,
        }
    }
}

impl Expr {
    /// Whether the SQL contains `word` as an identifier (`st` in `x::st`, `"St"` for `St`),
    /// anywhere: a type, function, column or qualifier. Over-approximates on purpose; used
    /// to find what depends on a type that is about to be replaced.
    pub fn names_word(&self, word: &str) -> bool {
        let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, &self.sql).tokenize() else {
            return true;
        };
        tokens.iter().any(|t| match t {
            Token::Word(w) => match w.quote_style {
                None => w.value.to_ascii_lowercase() == word,
                Some('"') => w.value == word,
                Some(_) => false,
            },
            _ => false,
        })
    }
}

impl PartialEq for Expr {
    fn eq(&self, other: &Self) -> bool {
        self.canonical == other.canonical
    }
}

impl Eq for Expr {}

impl Serialize for Expr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.sql)
    }
}

impl<'de> Deserialize<'de> for Expr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Expr::parse(&s).map_err(|e| serde::de::Error::custom(e.message))
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing

/// Byte offset of a 1-based line / character column in `sql`.
fn byte_offset(sql: &str, line: u64, column: u64) -> Option<usize> {
    if line == 0 || column == 0 {
        return None;
    }
    let mut line_start = 0usize;
    let mut current = 1u64;
    while current < line {
        let nl = sql[line_start..].find('\n')?;
        line_start += nl + 1;
        current += 1;
    }
    let rest = &sql[line_start..];
    let col = usize::try_from(column - 1).ok()?;
    match rest.char_indices().nth(col) {
        Some((i, _)) => Some(line_start + i),
        None if rest.chars().count() == col => Some(sql.len()),
        None => None,
    }
}

/// Split sqlparser's " at Line: L, Column: C" suffix off a message.
fn split_location(sql: &str, message: &str) -> (String, Option<usize>) {
    if let Some(pos) = message.rfind(" at Line: ") {
        let tail = &message[pos + " at Line: ".len()..];
        if let Some((l, c)) = tail.split_once(", Column: ") {
            if let (Ok(l), Ok(c)) = (l.trim().parse::<u64>(), c.trim().parse::<u64>()) {
                return (message[..pos].to_string(), byte_offset(sql, l, c));
            }
        }
    }
    (message.to_string(), None)
}

fn parser_error(sql: &str, e: ParserError) -> ExprError {
    match e {
        ParserError::RecursionLimitExceeded => ExprError {
            message: "expression is nested too deeply".into(),
            offset: None,
        },
        ParserError::TokenizerError(m) | ParserError::ParserError(m) => {
            let (message, offset) = split_location(sql, &m);
            ExprError { message, offset }
        }
    }
}

/// Function name standing for `BETWEEN SYMMETRIC` in the rewritten tokens: `x BETWEEN
/// SYMMETRIC a AND b` is parsed as `x BETWEEN $between_symmetric(a) AND b`, an unquoted word
/// token (sqlparser does not know `SYMMETRIC`). An unquoted word cannot start with `$` in
/// PostgreSQL, so no user text produces it.
const SYMMETRIC_MARKER: &str = "$between_symmetric";

/// Whether `f` is the [`SYMMETRIC_MARKER`] call wrapping a `BETWEEN SYMMETRIC` lower bound.
fn is_symmetric_marker(f: &ast::Function) -> bool {
    matches!(f.name.0.as_slice(), [ast::ObjectNamePart::Identifier(i)]
        if i.quote_style.is_none() && i.value == SYMMETRIC_MARKER)
}

/// Token edits of [`rewrite_special_forms`]: per token index, what replaces it (`None`:
/// kept) and what is inserted before it.
struct TokenEdits {
    replace: Vec<Option<Vec<Token>>>,
    before: Vec<Vec<Token>>,
}

impl TokenEdits {
    fn new(n: usize) -> Self {
        TokenEdits {
            replace: vec![None; n],
            before: vec![Vec::new(); n],
        }
    }

    fn apply(self, tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
        let mut out = Vec::with_capacity(tokens.len() + 4);
        for ((t, replace), before) in tokens.into_iter().zip(self.replace).zip(self.before) {
            let span = t.span;
            out.extend(
                before
                    .into_iter()
                    .map(|token| TokenWithSpan { token, span }),
            );
            match replace {
                None => out.push(t),
                Some(with) => {
                    out.extend(with.into_iter().map(|token| TokenWithSpan { token, span }))
                }
            }
        }
        out
    }
}

/// Rewrite the SQL-standard forms PostgreSQL accepts (and prints back) but sqlparser cannot
/// parse into equivalent ones it can. Only the parsed tree sees the result; [`Expr::sql`]
/// keeps the text as written.
///
/// * `TRIM(BOTH|LEADING|TRAILING FROM x)` (how PostgreSQL prints `trim(x)`): the `FROM` is
///   dropped.
/// * `TRIM(BOTH|LEADING|TRAILING x, c)` (a list without `FROM`) becomes `btrim` / `ltrim` /
///   `rtrim(x, c)`; sqlparser would drop the `LEADING`.
/// * `COLLATION FOR (x)` becomes `pg_collation_for(x)`, the function PostgreSQL calls.
/// * `x [NOT] BETWEEN SYMMETRIC a AND b` becomes `x [NOT] BETWEEN $between_symmetric(a) AND
///   b` (see [`SYMMETRIC_MARKER`]); `BETWEEN ASYMMETRIC` (the default, spelled out) loses
///   the `ASYMMETRIC`.
/// * `SUBSTRING(x SIMILAR p ESCAPE e)` (how PostgreSQL prints the three-argument regular
///   expression form) becomes `SUBSTRING(x FROM p FOR e)`, the same call.
fn rewrite_special_forms(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let sig: Vec<usize> = tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| !matches!(t.token, Token::Whitespace(_)))
        .map(|(i, _)| i)
        .collect();
    let kw = |k: usize, kws: &[Keyword]| match sig.get(k).map(|&i| &tokens[i].token) {
        Some(Token::Word(w)) => w.quote_style.is_none() && kws.contains(&w.keyword),
        _ => false,
    };
    let is = |k: usize, tok: Token| sig.get(k).is_some_and(|&i| tokens[i].token == tok);
    let mut edits: Option<TokenEdits> = None;
    let mut edit = |f: &mut dyn FnMut(&mut TokenEdits)| {
        f(edits.get_or_insert_with(|| TokenEdits::new(tokens.len())))
    };
    for k in 0..sig.len() {
        if kw(k, &[Keyword::TRIM])
            && is(k + 1, Token::LParen)
            && kw(k + 2, &[Keyword::BOTH, Keyword::LEADING, Keyword::TRAILING])
            && kw(k + 3, &[Keyword::FROM])
        {
            edit(&mut |e| e.replace[sig[k + 3]] = Some(vec![]));
        } else if kw(k, &[Keyword::TRIM])
            && is(k + 1, Token::LParen)
            && kw(k + 2, &[Keyword::BOTH, Keyword::LEADING, Keyword::TRAILING])
        {
            // `TRIM(LEADING x, c)` (a list without `FROM`) is `ltrim(x, c)`; sqlparser would
            // drop the `LEADING`.
            let mut depth = 0usize;
            let mut comma = false;
            for j in k + 3..sig.len() {
                match &tokens[sig[j]].token {
                    Token::LParen | Token::LBracket => depth += 1,
                    Token::RParen | Token::RBracket if depth == 0 => break,
                    Token::RParen | Token::RBracket => depth -= 1,
                    Token::Comma if depth == 0 => comma = true,
                    _ if depth == 0 && kw(j, &[Keyword::FROM]) => {
                        comma = false;
                        break;
                    }
                    _ => {}
                }
            }
            if comma {
                let name = if kw(k + 2, &[Keyword::LEADING]) {
                    "ltrim"
                } else if kw(k + 2, &[Keyword::TRAILING]) {
                    "rtrim"
                } else {
                    "btrim"
                };
                edit(&mut |e| {
                    e.replace[sig[k]] = Some(vec![Token::make_word(name, None)]);
                    e.replace[sig[k + 2]] = Some(vec![]);
                });
            }
        } else if kw(k, &[Keyword::COLLATION])
            && kw(k + 1, &[Keyword::FOR])
            && is(k + 2, Token::LParen)
        {
            edit(&mut |e| {
                e.replace[sig[k]] = Some(vec![Token::make_word("pg_collation_for", None)]);
                e.replace[sig[k + 1]] = Some(vec![]);
            });
        } else if kw(k, &[Keyword::BETWEEN]) && kw(k + 1, &[Keyword::ASYMMETRIC]) {
            edit(&mut |e| e.replace[sig[k + 1]] = Some(vec![]));
        } else if kw(k, &[Keyword::BETWEEN]) && kw(k + 1, &[Keyword::SYMMETRIC]) {
            // The lower bound (a `b_expr`, which holds no bare `AND`) ends at the `AND` of
            // the same nesting level; `CASE … END` nests like parentheses.
            let mut depth = 0usize;
            let mut and = None;
            for j in k + 2..sig.len() {
                match &tokens[sig[j]].token {
                    Token::LParen | Token::LBracket => depth += 1,
                    Token::RParen | Token::RBracket if depth == 0 => break,
                    Token::RParen | Token::RBracket => depth -= 1,
                    Token::Word(w) if w.quote_style.is_none() => match w.keyword {
                        Keyword::CASE => depth += 1,
                        Keyword::END if depth == 0 => break,
                        Keyword::END => depth -= 1,
                        Keyword::AND if depth == 0 => {
                            and = Some(j);
                            break;
                        }
                        _ => {}
                    },
                    _ => {}
                }
            }
            if let Some(j) = and.filter(|&j| j > k + 2) {
                edit(&mut |e| {
                    e.replace[sig[k + 1]] = Some(vec![
                        Token::make_word(SYMMETRIC_MARKER, None),
                        Token::LParen,
                    ]);
                    e.before[sig[j]].push(Token::RParen);
                });
            }
        } else if kw(k, &[Keyword::SUBSTRING]) && is(k + 1, Token::LParen) {
            // `SIMILAR` (not `SIMILAR TO`) and then `ESCAPE`, both directly inside the
            // parentheses.
            let mut depth = 0usize;
            let (mut similar, mut escape) = (None, None);
            for j in k + 2..sig.len() {
                match &tokens[sig[j]].token {
                    Token::LParen | Token::LBracket => depth += 1,
                    Token::RParen | Token::RBracket if depth == 0 => break,
                    Token::RParen | Token::RBracket => depth -= 1,
                    _ if depth > 0 => {}
                    _ if similar.is_none()
                        && kw(j, &[Keyword::SIMILAR])
                        && !kw(j + 1, &[Keyword::TO]) =>
                    {
                        similar = Some(j)
                    }
                    _ if similar.is_some() && kw(j, &[Keyword::ESCAPE]) => {
                        escape = Some(j);
                        break;
                    }
                    _ => {}
                }
            }
            if let (Some(s), Some(x)) = (similar, escape) {
                edit(&mut |e| {
                    e.replace[sig[s]] = Some(vec![Token::make_keyword("FROM")]);
                    e.replace[sig[x]] = Some(vec![Token::make_keyword("FOR")]);
                });
            }
        }
    }
    match edits {
        Some(e) => e.apply(tokens),
        None => tokens,
    }
}

/// The text [`Expr::sql`] returns: `sql` trimmed, with every comment replaced by one space
/// when there are any (the rest is copied as written). Comments are found by the tokens'
/// spans, which count lines and characters like [`byte_offset`].
fn embeddable_text(sql: &str, tokens: &[TokenWithSpan]) -> Result<String, ExprError> {
    let is_comment = |t: &&TokenWithSpan| {
        matches!(
            t.token,
            Token::Whitespace(
                Whitespace::SingleLineComment { .. } | Whitespace::MultiLineComment(_)
            )
        )
    };
    if !tokens.iter().any(|t| is_comment(&t)) {
        return Ok(sql.trim().to_string());
    }
    let mut cursor = SpanCursor::new(sql);
    let mut out = String::with_capacity(sql.len());
    let mut copied = 0usize;
    for t in tokens.iter().filter(is_comment) {
        let start = cursor.seek(t.span.start);
        let end = cursor.seek(t.span.end);
        match (start, end) {
            (Some(s), Some(e))
                if copied <= s
                    && s < e
                    && (sql[s..].starts_with("--") || sql[s..].starts_with("/*")) =>
            {
                out.push_str(&sql[copied..s]);
                out.push(' ');
                copied = e;
            }
            _ => {
                return Err(ExprError {
                    message: "could not remove the comments from the expression".into(),
                    offset: start,
                });
            }
        }
    }
    out.push_str(&sql[copied..]);
    Ok(out.trim().to_string())
}

/// Converts increasing tokenizer locations (1-based line, 1-based character column) into byte
/// offsets in one pass.
pub(crate) struct SpanCursor<'a> {
    sql: &'a str,
    byte: usize,
    line: u64,
    column: u64,
}

impl<'a> SpanCursor<'a> {
    pub(crate) fn new(sql: &'a str) -> Self {
        SpanCursor {
            sql,
            byte: 0,
            line: 1,
            column: 1,
        }
    }

    /// Byte offset of `loc`; `None` when it is behind the cursor or not in the text.
    pub(crate) fn seek(&mut self, loc: Location) -> Option<usize> {
        while (self.line, self.column) < (loc.line, loc.column) {
            let ch = self.sql[self.byte..].chars().next()?;
            self.byte += ch.len_utf8();
            if ch == '\n' {
                self.line += 1;
                self.column = 1;
            } else {
                self.column += 1;
            }
        }
        ((self.line, self.column) == (loc.line, loc.column)).then_some(self.byte)
    }
}

/// Parse, normalise and describe `sql` (already tokenized); `text` is what [`Expr::sql`]
/// returns.
/// Column name → type (as `format_type()` spells it) for [`Expr::with_column_types`].
type Types = std::collections::BTreeMap<String, String>;

fn analyse(
    sql: &str,
    text: String,
    tokens: Vec<TokenWithSpan>,
    types: &Types,
    refs: bool,
) -> Result<(Expr, References), ExprError> {
    let parsed = parse_tokens(sql, tokens)?;
    let references = if refs {
        references(&parsed)
    } else {
        References::default()
    };
    let mut node = Converter.convert(&parsed, 0)?;
    if !types.is_empty() {
        node.type_literals(types, 0);
    }
    let mut columns = BTreeSet::new();
    node.collect_columns(&mut columns, 0);
    let mut canonical = String::new();
    node.render(&mut canonical, false, 0);
    let index_column_name = figure_colname(&parsed, 0)
        .0
        .unwrap_or_else(|| "expr".into());
    let functions = function_names(&parsed);
    let literal = match &node {
        Node::Str(s) => Some(s.clone()),
        _ => None,
    };
    let atomic = matches!(
        node,
        Node::Column(_)
            | Node::Number(_)
            | Node::Str(_)
            | Node::Bool(_)
            | Node::Null
            | Node::Func { .. }
            | Node::Cast { .. }
            | Node::Array(_)
            | Node::Case { .. }
            | Node::Subscript { .. }
    );
    Ok((
        Expr(Arc::new(Analysis {
            sql: text,
            canonical,
            columns,
            index_column_name,
            functions,
            literal,
            atomic,
        })),
        references,
    ))
}

/// Calls, custom operators and cast types anywhere in `e` (sqlparser's visitor walks every
/// sub-expression, subqueries included).
fn references(e: &ast::Expr) -> References {
    use std::ops::ControlFlow;
    let mut out = References::default();
    let _ = ast::visit_expressions(e, |x| {
        match x {
            ast::Expr::Function(f) if is_symmetric_marker(f) => {}
            ast::Expr::Function(f) => {
                if let Some(name) = fold_object_name(&f.name) {
                    let (args, parens) = match &f.args {
                        ast::FunctionArguments::None => (0, false),
                        ast::FunctionArguments::Subquery(_) => (1, true),
                        ast::FunctionArguments::List(list) => {
                            let wildcard = matches!(
                                list.args.as_slice(),
                                [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Wildcard)]
                            );
                            (if wildcard { 0 } else { list.args.len() }, true)
                        }
                    };
                    out.calls.push(Call { name, args, parens });
                }
                out.sequences.extend(sequence_argument(f));
            }
            ast::Expr::BinaryOp {
                op: ast::BinaryOperator::PGCustomBinaryOperator(parts),
                ..
            } => out.operators.push(parts.join(".")),
            ast::Expr::BinaryOp {
                op: ast::BinaryOperator::Custom(op),
                ..
            } => out.operators.push(op.clone()),
            ast::Expr::Cast { data_type, .. } => out.casts.push(data_type.to_string()),
            ast::Expr::Subquery(_) | ast::Expr::Exists { .. } | ast::Expr::InSubquery { .. } => {
                out.subqueries += 1
            }
            ast::Expr::UnaryOp {
                op: ast::UnaryOperator::PGPostfixFactorial,
                ..
            } => out.removed_operators.push("!".to_string()),
            ast::Expr::TypedString(t) => out.casts.push(t.data_type.to_string()),
            _ => {}
        }
        ControlFlow::<()>::Continue(())
    });
    out
}

fn tokenize(sql: &str) -> Result<Vec<TokenWithSpan>, ExprError> {
    let dialect = PostgreSqlDialect {};
    let tokens = Tokenizer::new(&dialect, sql)
        .tokenize_with_location()
        .map_err(|e| {
            let m = e.to_string();
            let (message, offset) = split_location(sql, &m);
            ExprError { message, offset }
        })?;
    // PostgreSQL ends an operator where `--` or `/*` starts a comment; sqlparser reads the
    // whole run as one operator (`a @-- note`), so the text would not mean what was parsed
    // (and could comment out the rest of the DDL around it).
    let mut cursor = SpanCursor::new(sql);
    for t in &tokens {
        if let Token::CustomBinaryOperator(op) = &t.token {
            if let Some(at) = [op.find("--"), op.find("/*")].into_iter().flatten().min() {
                return Err(ExprError {
                    message: format!(
                        "`{}` inside the operator `{op}` starts a comment in PostgreSQL; \
                         put a space before it",
                        &op[at..at + 2]
                    ),
                    offset: cursor.seek(t.span.start).map(|o| o + at),
                });
            }
        }
    }
    let tokens = rewrite_special_forms(tokens);
    if tokens.len() > MAX_TOKENS {
        return Err(ExprError {
            message: "expression is too long".into(),
            offset: None,
        });
    }
    // Guard nesting before handing the tokens to the recursive-descent parser.
    let mut depth = 0usize;
    for t in &tokens {
        match t.token {
            Token::LParen | Token::LBracket | Token::LBrace => {
                depth += 1;
                if depth > MAX_NESTING {
                    let loc = t.span.start;
                    return Err(ExprError {
                        message: format!(
                            "expression is nested too deeply (more than {MAX_NESTING} levels)"
                        ),
                        offset: byte_offset(sql, loc.line, loc.column),
                    });
                }
            }
            Token::RParen | Token::RBracket | Token::RBrace => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(tokens)
}

fn parse_tokens(sql: &str, tokens: Vec<TokenWithSpan>) -> Result<ast::Expr, ExprError> {
    let dialect = PostgreSqlDialect {};
    let mut parser = Parser::new(&dialect)
        .with_recursion_limit(MAX_NESTING * 4 + 50)
        .with_tokens_with_locations(tokens);
    let expr = parser.parse_expr().map_err(|e| parser_error(sql, e))?;
    let next = parser.peek_token();
    if next.token != Token::EOF {
        let loc = next.span.start;
        return Err(ExprError {
            message: format!("unexpected `{}` after the expression", next.token),
            offset: byte_offset(sql, loc.line, loc.column),
        });
    }
    Ok(expr)
}

// ---------------------------------------------------------------------------------------------
// Canonical tree

/// The normalised expression tree.
#[derive(Clone, Debug, PartialEq)]
enum Node {
    /// Column reference; parts already folded.
    Column(Vec<String>),
    /// A canonical number (may start with `-`).
    Number(String),
    Str(String),
    Bool(bool),
    Null,
    /// Function call; `parens` false for keyword functions such as `current_timestamp`.
    Func {
        name: Vec<String>,
        args: Vec<Node>,
        parens: bool,
    },
    Binary {
        op: String,
        left: Box<Node>,
        right: Box<Node>,
    },
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Unary {
        op: String,
        expr: Box<Node>,
    },
    /// `expr IS NULL` and friends; `test` is the lower-case keyword text after the operand.
    Postfix {
        expr: Box<Node>,
        test: String,
    },
    Cast {
        expr: Box<Node>,
        ty: String,
    },
    Array(Vec<Node>),
    /// `left op ANY (right)` / `ALL`.
    Quantified {
        left: Box<Node>,
        op: String,
        quantifier: &'static str,
        right: Box<Node>,
    },
    Case {
        operand: Option<Box<Node>>,
        whens: Vec<(Node, Node)>,
        default: Box<Node>,
    },
    /// `expr[...]...`: rendered subscripts, plus the nodes inside them (for columns).
    Subscript {
        expr: Box<Node>,
        subscripts: Vec<String>,
        inner: Vec<Node>,
    },
    Collate {
        expr: Box<Node>,
        collation: String,
    },
    AtTimeZone {
        expr: Box<Node>,
        zone: Box<Node>,
    },
    Extract {
        field: String,
        expr: Box<Node>,
    },
    Row(Vec<Node>),
    /// Anything not modelled: sqlparser's rendering (no normalisation inside).
    Raw(String),
}

impl Node {
    fn is_atom(&self) -> bool {
        match self {
            Node::Number(n) => !n.starts_with('-'),
            Node::Column(_)
            | Node::Str(_)
            | Node::Bool(_)
            | Node::Null
            | Node::Func { .. }
            | Node::Array(_)
            | Node::Case { .. }
            | Node::Extract { .. }
            | Node::Row(_)
            | Node::Subscript { .. } => true,
            _ => false,
        }
    }

    fn is_literal(&self) -> bool {
        match self {
            Node::Number(_) | Node::Str(_) | Node::Bool(_) | Node::Null => true,
            Node::Array(items) => items.iter().all(Node::is_literal),
            _ => false,
        }
    }

    fn has_columns(&self) -> bool {
        let mut set = BTreeSet::new();
        self.collect_columns(&mut set, 0);
        !set.is_empty()
    }

    fn children(&self) -> Vec<&Node> {
        match self {
            Node::Column(_) | Node::Number(_) | Node::Str(_) | Node::Bool(_) | Node::Null => {
                vec![]
            }
            Node::Raw(_) => vec![],
            Node::Func { args, .. } => args.iter().collect(),
            Node::Binary { left, right, .. } | Node::Quantified { left, right, .. } => {
                vec![left, right]
            }
            Node::And(items) | Node::Or(items) | Node::Array(items) | Node::Row(items) => {
                items.iter().collect()
            }
            Node::Not(e)
            | Node::Unary { expr: e, .. }
            | Node::Postfix { expr: e, .. }
            | Node::Cast { expr: e, .. }
            | Node::Collate { expr: e, .. }
            | Node::Extract { expr: e, .. } => vec![e],
            Node::AtTimeZone { expr, zone } => vec![expr, zone],
            Node::Subscript { expr, inner, .. } => {
                let mut v: Vec<&Node> = vec![expr];
                v.extend(inner.iter());
                v
            }
            Node::Case {
                operand,
                whens,
                default,
            } => {
                let mut v: Vec<&Node> = operand.iter().map(|b| &**b).collect();
                for (w, t) in whens {
                    v.push(w);
                    v.push(t);
                }
                v.push(default);
                v
            }
        }
    }

    fn children_mut(&mut self) -> Vec<&mut Node> {
        match self {
            Node::Column(_)
            | Node::Number(_)
            | Node::Str(_)
            | Node::Bool(_)
            | Node::Null
            | Node::Raw(_) => vec![],
            Node::Func { args, .. } => args.iter_mut().collect(),
            Node::Binary { left, right, .. } | Node::Quantified { left, right, .. } => {
                vec![left, right]
            }
            Node::And(items) | Node::Or(items) | Node::Array(items) | Node::Row(items) => {
                items.iter_mut().collect()
            }
            Node::Not(e)
            | Node::Unary { expr: e, .. }
            | Node::Postfix { expr: e, .. }
            | Node::Cast { expr: e, .. }
            | Node::Collate { expr: e, .. }
            | Node::Extract { expr: e, .. } => vec![e],
            Node::AtTimeZone { expr, zone } => vec![expr, zone],
            Node::Subscript { expr, inner, .. } => {
                let mut v: Vec<&mut Node> = vec![expr];
                v.extend(inner.iter_mut());
                v
            }
            Node::Case {
                operand,
                whens,
                default,
            } => {
                let mut v: Vec<&mut Node> = operand.iter_mut().map(|b| &mut **b).collect();
                for (w, t) in whens {
                    v.push(w);
                    v.push(t);
                }
                v.push(default);
                v
            }
        }
    }

    /// Normalise string literals compared with a column of a known type (see
    /// [`Expr::with_column_types`]).
    fn type_literals(&mut self, types: &Types, depth: usize) {
        if depth > MAX_TREE_DEPTH {
            return;
        }
        fn column_type<'t>(n: &Node, types: &'t Types) -> Option<&'t str> {
            match n {
                Node::Column(parts) => types.get(parts.last()?).map(String::as_str),
                _ => None,
            }
        }
        fn retype(n: &mut Node, ty: &str) {
            if let Node::Str(s) = n
                && let Some(v) = typed::normalise(s, ty)
            {
                *s = v;
            }
        }
        match self {
            Node::Binary { op, left, right } if comparison_op(op) => {
                if let Some(ty) = column_type(left, types) {
                    retype(right, ty);
                }
                if let Some(ty) = column_type(right, types) {
                    retype(left, ty);
                }
            }
            Node::Quantified {
                left, op, right, ..
            } if comparison_op(op) => {
                if let (Some(ty), Node::Array(items)) = (column_type(left, types), &mut **right) {
                    for item in items {
                        retype(item, ty);
                    }
                }
            }
            _ => {}
        }
        for c in self.children_mut() {
            c.type_literals(types, depth + 1);
        }
    }

    fn collect_columns(&self, out: &mut BTreeSet<String>, depth: usize) {
        if depth > MAX_TREE_DEPTH {
            return;
        }
        if let Node::Column(parts) = self {
            if let Some(last) = parts.last() {
                out.insert(last.clone());
            }
        }
        for c in self.children() {
            c.collect_columns(out, depth + 1);
        }
    }

    fn render_operand(&self, out: &mut String, depth: usize) {
        self.render(out, !self.is_atom(), depth);
    }

    fn render(&self, out: &mut String, parens: bool, depth: usize) {
        if depth > MAX_TREE_DEPTH {
            out.push('…');
            return;
        }
        let d = depth + 1;
        if parens {
            out.push('(');
        }
        match self {
            Node::Column(parts) => out.push_str(&render_name(parts)),
            Node::Number(n) => out.push_str(n),
            Node::Str(s) => out.push_str(&render_string(s)),
            Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Node::Null => out.push_str("null"),
            Node::Func {
                name,
                args,
                parens: p,
            } => {
                out.push_str(&render_name(name));
                if *p || !args.is_empty() {
                    out.push('(');
                    render_list(out, args, d);
                    out.push(')');
                }
            }
            Node::Binary { op, left, right } => {
                left.render_operand(out, d);
                let _ = write!(out, " {op} ");
                right.render_operand(out, d);
            }
            Node::And(items) | Node::Or(items) => {
                let sep = if matches!(self, Node::And(_)) {
                    " and "
                } else {
                    " or "
                };
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(sep);
                    }
                    item.render_operand(out, d);
                }
            }
            Node::Not(e) => {
                out.push_str("not ");
                e.render_operand(out, d);
            }
            Node::Unary { op, expr } => {
                let _ = write!(out, "{op} ");
                expr.render_operand(out, d);
            }
            Node::Postfix { expr, test } => {
                expr.render_operand(out, d);
                let _ = write!(out, " {test}");
            }
            Node::Cast { expr, ty } => {
                expr.render_operand(out, d);
                let _ = write!(out, "::{ty}");
            }
            Node::Array(items) => {
                out.push_str("array[");
                render_list(out, items, d);
                out.push(']');
            }
            Node::Quantified {
                left,
                op,
                quantifier,
                right,
            } => {
                left.render_operand(out, d);
                let _ = write!(out, " {op} {quantifier} (");
                right.render(out, false, d);
                out.push(')');
            }
            Node::Case {
                operand,
                whens,
                default,
            } => {
                out.push_str("case");
                if let Some(o) = operand {
                    out.push(' ');
                    o.render_operand(out, d);
                }
                for (w, t) in whens {
                    out.push_str(" when ");
                    w.render_operand(out, d);
                    out.push_str(" then ");
                    t.render_operand(out, d);
                }
                out.push_str(" else ");
                default.render_operand(out, d);
                out.push_str(" end");
            }
            Node::Subscript {
                expr, subscripts, ..
            } => {
                expr.render_operand(out, d);
                for s in subscripts {
                    let _ = write!(out, "[{s}]");
                }
            }
            Node::Collate { expr, collation } => {
                expr.render_operand(out, d);
                let _ = write!(out, " collate {collation}");
            }
            Node::AtTimeZone { expr, zone } => {
                expr.render_operand(out, d);
                out.push_str(" at time zone ");
                zone.render_operand(out, d);
            }
            Node::Extract { field, expr } => {
                let _ = write!(out, "extract({field} from ");
                expr.render(out, false, d);
                out.push(')');
            }
            Node::Row(items) => {
                out.push_str("row(");
                render_list(out, items, d);
                out.push(')');
            }
            Node::Raw(s) => out.push_str(s),
        }
        if parens {
            out.push(')');
        }
    }
}

fn render_list(out: &mut String, items: &[Node], depth: usize) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        item.render(out, false, depth);
    }
}

fn render_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for ch in s.chars() {
        if ch == '\'' {
            out.push('\'');
        }
        out.push(ch);
    }
    out.push('\'');
    out
}

/// An identifier quoted only when needed (lower-case letters, digits, `_`, `$`).
fn render_ident(name: &str) -> String {
    let mut chars = name.chars();
    let plain = match chars.next() {
        Some(c) if c.is_ascii_lowercase() || c == '_' => {
            chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
        }
        _ => false,
    };
    if plain {
        name.to_string()
    } else {
        crate::sql::quote_ident(name)
    }
}

fn render_name(parts: &[String]) -> String {
    parts
        .iter()
        .map(|p| render_ident(p))
        .collect::<Vec<_>>()
        .join(".")
}

/// PostgreSQL's identifier folding: unquoted identifiers are lower-cased (ASCII only).
fn fold_ident(ident: &ast::Ident) -> String {
    if ident.quote_style.is_some() {
        ident.value.clone()
    } else {
        ident.value.to_ascii_lowercase()
    }
}

/// The literal a call of `nextval`, `currval` or `setval` (optionally `pg_catalog.`) takes
/// as its sequence: `'s'`, `'s'::regclass`, `CAST('s' AS regclass)`; the text inside the
/// quotes (a `regclass` input, see `model::sequence::regclass_name`).
pub fn sequence_argument(f: &ast::Function) -> Option<String> {
    let name = fold_object_name(&f.name)?;
    let bare = match name.as_slice() {
        [n] => n,
        [s, n] if s == "pg_catalog" => n,
        _ => return None,
    };
    if !matches!(bare.as_str(), "nextval" | "currval" | "setval") {
        return None;
    }
    let ast::FunctionArguments::List(list) = &f.args else {
        return None;
    };
    let ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(first)) = list.args.first()? else {
        return None;
    };
    fn literal(e: &ast::Expr) -> Option<String> {
        match e {
            ast::Expr::Value(v) => match &v.value {
                ast::Value::SingleQuotedString(s) | ast::Value::EscapedStringLiteral(s) => {
                    Some(s.clone())
                }
                _ => None,
            },
            ast::Expr::Nested(e) => literal(e),
            ast::Expr::Cast {
                expr, data_type, ..
            } if data_type.to_string().eq_ignore_ascii_case("regclass") => literal(expr),
            _ => None,
        }
    }
    literal(first)
}

fn fold_object_name(name: &ast::ObjectName) -> Option<Vec<String>> {
    name.0
        .iter()
        .map(|p| p.as_ident().map(fold_ident))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Numbers and types

/// Canonical text of a numeric literal: exponent expanded as `numeric` input does, leading
/// zeros dropped, fractional digits kept. `None` when `text` is not a plain numeric literal.
fn canonical_number(text: &str) -> Option<String> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let body = body.to_ascii_lowercase();
    let (mantissa, exponent) = match body.split_once('e') {
        Some((m, e)) => {
            let e: i64 = e.parse().ok()?;
            (m.to_string(), e)
        }
        None => (body.clone(), 0),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i.to_string(), f.to_string()),
        None => (mantissa.clone(), String::new()),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    if !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    if exponent.unsigned_abs() > 1000 {
        return Some(text.to_ascii_lowercase());
    }
    let digits = format!("{int_part}{frac_part}");
    let scale = frac_part.len() as i64 - exponent;
    let point = int_part.len() as i64 + exponent;
    let (mut int_digits, frac_digits) = if point <= 0 {
        (
            String::new(),
            format!("{}{}", "0".repeat((-point) as usize), digits),
        )
    } else if point as usize >= digits.len() {
        (
            format!("{}{}", digits, "0".repeat(point as usize - digits.len())),
            String::new(),
        )
    } else {
        (
            digits[..point as usize].to_string(),
            digits[point as usize..].to_string(),
        )
    };
    // `numeric` keeps max(0, scale) fractional digits.
    let keep = scale.max(0) as usize;
    let mut frac_digits = frac_digits;
    frac_digits.truncate(keep);
    while frac_digits.len() < keep {
        frac_digits.push('0');
    }
    let trimmed = int_digits.trim_start_matches('0');
    int_digits = if trimmed.is_empty() {
        "0".into()
    } else {
        trimmed.to_string()
    };
    let mut out = String::new();
    let zero = int_digits == "0" && frac_digits.bytes().all(|b| b == b'0');
    if negative && !zero {
        out.push('-');
    }
    out.push_str(&int_digits);
    if !frac_digits.is_empty() {
        out.push('.');
        out.push_str(&frac_digits);
    }
    Some(out)
}

fn negate_number(n: &str) -> String {
    match n.strip_prefix('-') {
        Some(rest) => rest.to_string(),
        None if n.bytes().all(|b| b == b'0' || b == b'.') => n.to_string(),
        None => format!("-{n}"),
    }
}

/// Types whose casts PostgreSQL inserts implicitly on columns / comparison operands.
fn is_widening_type(ty: &str) -> bool {
    matches!(ty, "text" | "numeric" | "double precision")
}

/// A data type rendered the way PostgreSQL's `format_type` prints it.
fn canonical_type(data_type: &ast::DataType) -> String {
    if let ast::DataType::Custom(name, modifiers) = data_type {
        let mut parts = match fold_object_name(name) {
            Some(p) => p,
            None => return name.to_string(),
        };
        if parts.len() == 2 && parts[0] == "pg_catalog" {
            parts.remove(0);
        }
        let mods = if modifiers.is_empty() {
            String::new()
        } else {
            format!("({})", modifiers.join(","))
        };
        if parts.len() == 1 && !render_ident(&parts[0]).starts_with('"') {
            return canonical_type_text(&format!("{}{mods}", parts[0]));
        }
        return format!("{}{mods}", render_name(&parts));
    }
    if let ast::DataType::Array(def) = data_type {
        return match def {
            ast::ArrayElemTypeDef::AngleBracket(t)
            | ast::ArrayElemTypeDef::SquareBracket(t, _)
            | ast::ArrayElemTypeDef::Parenthesis(t)
            | ast::ArrayElemTypeDef::Qualified(t, _) => format!("{}[]", canonical_type(t)),
            ast::ArrayElemTypeDef::None => "anyarray".into(),
        };
    }
    canonical_type_text(&data_type.to_string())
}

/// Canonicalise a type name given as text (`INT4`, `varchar(10)`, `timestamp(3) with time zone`).
fn canonical_type_text(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut s = lower.split_whitespace().collect::<Vec<_>>().join(" ");
    s = s.replace(" (", "(");
    let mut arrays = 0;
    while let Some(rest) = s.strip_suffix("[]") {
        s = rest.trim_end().to_string();
        arrays += 1;
    }
    // Split `base(mods) suffix`.
    let (base, mods, suffix) = match s.find('(') {
        Some(open) => match s[open..].find(')') {
            Some(close) => {
                let close = open + close;
                (
                    s[..open].trim().to_string(),
                    Some(s[open + 1..close].replace(' ', "")),
                    s[close + 1..].trim().to_string(),
                )
            }
            None => (s.clone(), None, String::new()),
        },
        None => (s.clone(), None, String::new()),
    };
    let (base, suffix) = match base.split_once(" with") {
        Some((b, rest)) if suffix.is_empty() => (b.to_string(), format!("with{rest}")),
        _ => (base, suffix),
    };
    let with_tz = suffix == "with time zone";
    let m = |m: &Option<String>| m.as_ref().map(|m| format!("({m})")).unwrap_or_default();
    let rendered = match base.as_str() {
        "int" | "int4" | "integer" => "integer".to_string(),
        "int2" | "smallint" => "smallint".into(),
        "int8" | "bigint" => "bigint".into(),
        "float4" | "real" => "real".into(),
        "float8" | "double precision" | "double" => "double precision".into(),
        "float" => match mods.as_deref().and_then(|p| p.parse::<u32>().ok()) {
            Some(p) if p <= 24 => "real".into(),
            _ => "double precision".into(),
        },
        "bool" | "boolean" => "boolean".into(),
        "varchar" | "character varying" | "char varying" => {
            format!("character varying{}", m(&mods))
        }
        "char" | "character" => {
            format!(
                "character{}",
                mods.as_ref()
                    .map(|m| format!("({m})"))
                    .unwrap_or("(1)".into())
            )
        }
        "decimal" | "dec" | "numeric" => format!("numeric{}", m(&mods)),
        "timestamptz" => format!("timestamp{} with time zone", m(&mods)),
        "timestamp" if with_tz => format!("timestamp{} with time zone", m(&mods)),
        "timestamp" => format!("timestamp{} without time zone", m(&mods)),
        "timetz" => format!("time{} with time zone", m(&mods)),
        "time" if with_tz => format!("time{} with time zone", m(&mods)),
        "time" => format!("time{} without time zone", m(&mods)),
        other => {
            let mut r = format!("{other}{}", m(&mods));
            if !suffix.is_empty() {
                r.push(' ');
                r.push_str(&suffix);
            }
            r
        }
    };
    format!("{rendered}{}", "[]".repeat(arrays))
}

/// PostgreSQL's internal name of a type as written (`integer` -> `int4`), for FigureColname.
fn internal_type_name(data_type: &ast::DataType) -> String {
    if let ast::DataType::Custom(name, _) = data_type {
        if let Some(parts) = fold_object_name(name) {
            if let Some(last) = parts.last() {
                return last.clone();
            }
        }
    }
    if let ast::DataType::Array(
        ast::ArrayElemTypeDef::AngleBracket(t)
        | ast::ArrayElemTypeDef::SquareBracket(t, _)
        | ast::ArrayElemTypeDef::Parenthesis(t)
        | ast::ArrayElemTypeDef::Qualified(t, _),
    ) = data_type
    {
        return internal_type_name(t);
    }
    let canonical = canonical_type(data_type);
    let base = canonical
        .split('(')
        .next()
        .unwrap_or_default()
        .trim_end_matches("[]");
    match base {
        "integer" => "int4".into(),
        "smallint" => "int2".into(),
        "bigint" => "int8".into(),
        "real" => "float4".into(),
        "double precision" => "float8".into(),
        "boolean" => "bool".into(),
        "character varying" => "varchar".into(),
        "character" => "bpchar".into(),
        _ if canonical.starts_with("timestamp") && canonical.ends_with("with time zone") => {
            "timestamptz".into()
        }
        _ if canonical.starts_with("timestamp") => "timestamp".into(),
        _ if canonical.starts_with("time") && canonical.ends_with("with time zone") => {
            "timetz".into()
        }
        _ if canonical.starts_with("time") => "time".into(),
        other => other.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Conversion from the sqlparser tree

struct Converter;

fn too_deep() -> ExprError {
    ExprError {
        message: "expression is nested too deeply".into(),
        offset: None,
    }
}

fn comparison_op(op: &str) -> bool {
    matches!(op, "=" | "<>" | "<" | ">" | "<=" | ">=")
}

/// Drop a widening cast on a comparison operand (`((a / b))::numeric > 0.5`).
fn strip_comparison_cast(node: Node) -> Node {
    match node {
        Node::Cast { expr, ty } if is_widening_type(&ty) => *expr,
        other => other,
    }
}

fn binary(op: &str, left: Node, right: Node) -> Node {
    // PostgreSQL expands `=` and `<>` between rows of the same length into the columns'
    // comparisons: `(a, b) <> (0, 0)` is stored as `((a <> 0) OR (b <> 0))`.
    let (left, right) = match (left, right) {
        (Node::Row(l), Node::Row(r))
            if l.len() == r.len() && l.len() > 1 && (op == "=" || op == "<>") =>
        {
            let pairs: Vec<Node> = l
                .into_iter()
                .zip(r)
                .map(|(a, b)| binary(op, a, b))
                .collect();
            return if op == "=" { and(pairs) } else { or(pairs) };
        }
        other => other,
    };
    let (left, right) = if comparison_op(op) {
        (strip_comparison_cast(left), strip_comparison_cast(right))
    } else {
        (left, right)
    };
    Node::Binary {
        op: op.to_string(),
        left: Box::new(left),
        right: Box::new(right),
    }
}

fn and(items: Vec<Node>) -> Node {
    let mut out = Vec::new();
    for i in items {
        match i {
            Node::And(inner) => out.extend(inner),
            other => out.push(other),
        }
    }
    if out.len() == 1 {
        out.pop().unwrap_or(Node::Null)
    } else {
        Node::And(out)
    }
}

fn or(items: Vec<Node>) -> Node {
    let mut out = Vec::new();
    for i in items {
        match i {
            Node::Or(inner) => out.extend(inner),
            other => out.push(other),
        }
    }
    if out.len() == 1 {
        out.pop().unwrap_or(Node::Null)
    } else {
        Node::Or(out)
    }
}

fn func(name: &str, args: Vec<Node>) -> Node {
    Node::Func {
        name: vec![name.to_string()],
        args,
        parens: true,
    }
}

fn binary_op_text(op: &ast::BinaryOperator) -> String {
    use ast::BinaryOperator as B;
    match op {
        B::NotEq => "<>".into(),
        B::PGCustomBinaryOperator(parts) => {
            let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
            match parts.as_slice() {
                ["pg_catalog", op] | [op] => (*op).to_string(),
                _ => format!("operator({})", parts.join(".")),
            }
        }
        other => other.to_string(),
    }
}

/// Cast `node` to `ty`, dropping the casts PostgreSQL adds on its own (see module docs).
fn cast(node: Node, ty: String) -> Node {
    match node {
        Node::Str(s) if ty == "boolean" => match s.trim().to_ascii_lowercase().as_str() {
            "t" | "true" | "y" | "yes" | "on" | "1" => Node::Bool(true),
            "f" | "false" | "n" | "no" | "off" | "0" => Node::Bool(false),
            _ => Node::Str(s),
        },
        Node::Number(n) if ty == "boolean" && (n == "0" || n == "1") => Node::Bool(n == "1"),
        // A literal of a type PostgreSQL re-formats is compared as PostgreSQL stores it:
        // `interval '1 hour'` is `'01:00:00'::interval` once stored.
        Node::Str(s) if typed::normalises(&ty) => Node::Str(typed::normalise(&s, &ty).unwrap_or(s)),
        Node::Str(s) => match canonical_number(&s) {
            // A quoted number cast to anything is the number (`'7'::bigint`).
            Some(n) if looks_numeric_type(&ty) || n == s => Node::Number(n),
            _ => Node::Str(s),
        },
        n if n.is_literal() => n,
        Node::Column(c) if is_widening_type(&ty) => Node::Column(c),
        n => Node::Cast {
            expr: Box::new(n),
            ty,
        },
    }
}

fn looks_numeric_type(ty: &str) -> bool {
    matches!(
        ty,
        "integer" | "smallint" | "bigint" | "real" | "double precision"
    ) || ty.starts_with("numeric")
}

/// A string literal as a node: a canonical number when its text is exactly one.
fn string_literal(s: &str) -> Node {
    match canonical_number(s) {
        Some(n) if n == s => Node::Number(n),
        _ => Node::Str(s.to_string()),
    }
}

impl Converter {
    /// Convert one node. The work is split over several functions, one per group of
    /// expression kinds, so that a recursion step only holds one small stack frame (unoptimised
    /// builds give a single big `match` a frame of tens of kilobytes).
    fn convert(&self, e: &ast::Expr, depth: usize) -> Result<Node, ExprError> {
        let mut e = e;
        while let ast::Expr::Nested(inner) = e {
            e = inner;
        }
        if depth > MAX_TREE_DEPTH {
            return Err(too_deep());
        }
        let d = depth + 1;
        if let Some(n) = self.convert_g1(e, d)? {
            return Ok(n);
        }
        if let Some(n) = self.convert_g2(e, d)? {
            return Ok(n);
        }
        if let Some(n) = self.convert_g3(e, d)? {
            return Ok(n);
        }
        if let Some(n) = self.convert_g4(e, d)? {
            return Ok(n);
        }
        if let Some(n) = self.convert_g5(e, d)? {
            return Ok(n);
        }
        self.convert_g6(e, d)
    }

    #[inline(never)]
    fn convert_g1(&self, e: &ast::Expr, d: usize) -> Result<Option<Node>, ExprError> {
        let c = |x: &ast::Expr| self.convert(x, d);
        use ast::Expr as E;
        Ok(Some(match e {
            E::Identifier(i) => Node::Column(vec![fold_ident(i)]),
            E::CompoundIdentifier(parts) => Node::Column(parts.iter().map(fold_ident).collect()),
            E::Value(v) => self.value(&v.value),
            E::IsNull(x) => Node::Postfix {
                expr: Box::new(c(x)?),
                test: "is null".into(),
            },
            E::IsNotNull(x) => Node::Postfix {
                expr: Box::new(c(x)?),
                test: "is not null".into(),
            },
            E::IsTrue(x) => Node::Postfix {
                expr: Box::new(c(x)?),
                test: "is true".into(),
            },
            E::IsNotTrue(x) => Node::Postfix {
                expr: Box::new(c(x)?),
                test: "is not true".into(),
            },
            E::IsFalse(x) => Node::Postfix {
                expr: Box::new(c(x)?),
                test: "is false".into(),
            },
            E::IsNotFalse(x) => Node::Postfix {
                expr: Box::new(c(x)?),
                test: "is not false".into(),
            },
            E::IsUnknown(x) => Node::Postfix {
                expr: Box::new(c(x)?),
                test: "is unknown".into(),
            },
            E::IsNotUnknown(x) => Node::Postfix {
                expr: Box::new(c(x)?),
                test: "is not unknown".into(),
            },
            E::IsDistinctFrom(a, b) => binary("is distinct from", c(a)?, c(b)?),
            E::IsNotDistinctFrom(a, b) => {
                Node::Not(Box::new(binary("is distinct from", c(a)?, c(b)?)))
            }
            // PostgreSQL prints `x IS NOT NFC NORMALIZED` as `NOT (x IS NFC NORMALIZED)`.
            E::IsNormalized {
                expr,
                form,
                negated,
            } => {
                let test = match form {
                    Some(f) => format!("is {} normalized", f.to_string().to_ascii_lowercase()),
                    None => "is normalized".into(),
                };
                let node = Node::Postfix {
                    expr: Box::new(c(expr)?),
                    test,
                };
                if *negated {
                    Node::Not(Box::new(node))
                } else {
                    node
                }
            }
            _ => return Ok(None),
        }))
    }

    #[inline(never)]
    fn convert_g2(&self, e: &ast::Expr, d: usize) -> Result<Option<Node>, ExprError> {
        let c = |x: &ast::Expr| self.convert(x, d);
        use ast::Expr as E;
        Ok(Some(match e {
            E::InList {
                expr,
                list,
                negated,
            } => {
                let left = c(expr)?;
                let items = list.iter().map(c).collect::<Result<Vec<_>, _>>()?;
                self.in_list(left, items, *negated)
            }
            E::Between {
                expr,
                negated,
                low,
                high,
            } => {
                let x = c(expr)?;
                // `BETWEEN SYMMETRIC` arrives with its lower bound wrapped in the marker
                // call (see `rewrite_special_forms`).
                let (low, symmetric) = match &**low {
                    E::Function(f) if is_symmetric_marker(f) => match &f.args {
                        ast::FunctionArguments::List(l) => match l.args.as_slice() {
                            [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(inner))] => {
                                (inner, true)
                            }
                            _ => (&**low, false),
                        },
                        _ => (&**low, false),
                    },
                    other => (other, false),
                };
                let (lo, hi) = (c(low)?, c(high)?);
                let plain = |x: Node, lo: Node, hi: Node| {
                    if *negated {
                        or(vec![binary("<", x.clone(), lo), binary(">", x, hi)])
                    } else {
                        and(vec![binary(">=", x.clone(), lo), binary("<=", x, hi)])
                    }
                };
                if symmetric {
                    // PostgreSQL: `(x >= a AND x <= b) OR (x >= b AND x <= a)`; negated
                    // `(x < a OR x > b) AND (x < b OR x > a)`.
                    let first = plain(x.clone(), lo.clone(), hi.clone());
                    let second = plain(x, hi, lo);
                    if *negated {
                        and(vec![first, second])
                    } else {
                        or(vec![first, second])
                    }
                } else {
                    plain(x, lo, hi)
                }
            }
            E::BinaryOp { left, op, right } => match op {
                ast::BinaryOperator::And => self.chain(e, ast::BinaryOperator::And, d, and)?,
                ast::BinaryOperator::Or => self.chain(e, ast::BinaryOperator::Or, d, or)?,
                // `(a, b) OVERLAPS (c, d)` is a call of `overlaps(a, b, c, d)`, which
                // PostgreSQL prints in the SQL form whichever way it was written.
                ast::BinaryOperator::Overlaps => match (c(left)?, c(right)?) {
                    (Node::Row(mut l), Node::Row(r)) if l.len() == 2 && r.len() == 2 => {
                        l.extend(r);
                        func("overlaps", l)
                    }
                    (l, r) => binary("overlaps", l, r),
                },
                _ => binary(&binary_op_text(op), c(left)?, c(right)?),
            },
            _ => return Ok(None),
        }))
    }

    #[inline(never)]
    fn convert_g3(&self, e: &ast::Expr, d: usize) -> Result<Option<Node>, ExprError> {
        let c = |x: &ast::Expr| self.convert(x, d);
        use ast::Expr as E;
        Ok(Some(match e {
            E::Like {
                negated,
                any: false,
                expr,
                pattern,
                escape_char,
            } => {
                let op = if *negated { "!~~" } else { "~~" };
                self.pattern(op, "like_escape", expr, pattern, escape_char.as_deref(), d)?
            }
            E::ILike {
                negated,
                any: false,
                expr,
                pattern,
                escape_char,
            } => {
                let op = if *negated { "!~~*" } else { "~~*" };
                self.pattern(op, "like_escape", expr, pattern, escape_char.as_deref(), d)?
            }
            E::Like {
                negated,
                any: true,
                expr,
                pattern,
                escape_char: None,
            }
            | E::ILike {
                negated,
                any: true,
                expr,
                pattern,
                escape_char: None,
            } => {
                let insensitive = matches!(e, E::ILike { .. });
                let op = match (negated, insensitive) {
                    (false, false) => "~~",
                    (true, false) => "!~~",
                    (false, true) => "~~*",
                    (true, true) => "!~~*",
                };
                let right = match c(pattern)? {
                    Node::Row(mut items) if items.len() == 1 => items.remove(0),
                    other => other,
                };
                Node::Quantified {
                    left: Box::new(c(expr)?),
                    op: op.into(),
                    quantifier: "any",
                    right: Box::new(right),
                }
            }
            E::SimilarTo {
                negated,
                expr,
                pattern,
                escape_char,
            } => {
                let op = if *negated { "!~" } else { "~" };
                let mut args = vec![c(pattern)?];
                if let Some(esc) = escape_char {
                    args.push(c(esc)?);
                }
                binary(op, c(expr)?, func("similar_to_escape", args))
            }
            E::AnyOp {
                left,
                compare_op,
                right,
                ..
            } => Node::Quantified {
                left: Box::new(c(left)?),
                op: binary_op_text(compare_op),
                quantifier: "any",
                right: Box::new(c(right)?),
            },
            E::AllOp {
                left,
                compare_op,
                right,
            } => Node::Quantified {
                left: Box::new(c(left)?),
                op: binary_op_text(compare_op),
                quantifier: "all",
                right: Box::new(c(right)?),
            },
            E::UnaryOp { op, expr } => {
                let inner = c(expr)?;
                match (op, inner) {
                    (ast::UnaryOperator::Not, x) => Node::Not(Box::new(x)),
                    (ast::UnaryOperator::Minus, Node::Number(n)) => Node::Number(negate_number(&n)),
                    (op, x) => Node::Unary {
                        op: op.to_string(),
                        expr: Box::new(x),
                    },
                }
            }
            _ => return Ok(None),
        }))
    }

    #[inline(never)]
    fn convert_g4(&self, e: &ast::Expr, d: usize) -> Result<Option<Node>, ExprError> {
        let c = |x: &ast::Expr| self.convert(x, d);
        use ast::Expr as E;
        Ok(Some(match e {
            E::Cast {
                expr,
                data_type,
                format: None,
                ..
            } => cast(c(expr)?, canonical_type(data_type)),
            E::TypedString(ts) => cast(self.value(&ts.value.value), canonical_type(&ts.data_type)),
            E::Interval(iv)
                if iv.leading_field.is_none()
                    && iv.last_field.is_none()
                    && iv.leading_precision.is_none()
                    && iv.fractional_seconds_precision.is_none() =>
            {
                cast(c(&iv.value)?, "interval".into())
            }
            E::AtTimeZone {
                timestamp,
                time_zone,
            } => Node::AtTimeZone {
                expr: Box::new(c(timestamp)?),
                zone: Box::new(c(time_zone)?),
            },
            E::Extract { field, expr, .. } => Node::Extract {
                field: field.to_string().to_ascii_lowercase(),
                expr: Box::new(c(expr)?),
            },
            E::Ceil {
                expr,
                field: ast::CeilFloorKind::DateTimeField(ast::DateTimeField::NoDateTime),
            } => func("ceil", vec![c(expr)?]),
            E::Floor {
                expr,
                field: ast::CeilFloorKind::DateTimeField(ast::DateTimeField::NoDateTime),
            } => func("floor", vec![c(expr)?]),
            _ => return Ok(None),
        }))
    }

    #[inline(never)]
    fn convert_g5(&self, e: &ast::Expr, d: usize) -> Result<Option<Node>, ExprError> {
        let c = |x: &ast::Expr| self.convert(x, d);
        use ast::Expr as E;
        Ok(Some(match e {
            E::Position { expr, r#in } => func("position", vec![c(r#in)?, c(expr)?]),
            E::Substring {
                expr,
                substring_from,
                substring_for,
                ..
            } => {
                let mut args = vec![c(expr)?];
                match (substring_from, substring_for) {
                    (Some(f), Some(n)) => {
                        args.push(c(f)?);
                        args.push(c(n)?);
                    }
                    (Some(f), None) => args.push(c(f)?),
                    (None, Some(n)) => {
                        args.push(Node::Number("1".into()));
                        args.push(c(n)?);
                    }
                    (None, None) => {}
                }
                func("substring", args)
            }
            E::Trim {
                trim_where,
                trim_what,
                expr,
                trim_characters: None,
            } => {
                let name = match trim_where {
                    Some(ast::TrimWhereField::Leading) => "ltrim",
                    Some(ast::TrimWhereField::Trailing) => "rtrim",
                    _ => "btrim",
                };
                let mut args = vec![c(expr)?];
                if let Some(w) = trim_what {
                    args.push(c(w)?);
                }
                func(name, args)
            }
            // `TRIM(x, c)` (PostgreSQL's `trim_list` without `FROM`) is `btrim(x, c)`.
            E::Trim {
                trim_where: None,
                trim_what: None,
                expr,
                trim_characters: Some(chars),
            } if chars.len() == 1 => func("btrim", vec![c(expr)?, c(&chars[0])?]),
            // `OVERLAY(x PLACING y FROM a [FOR b])` is `overlay(x, y, a[, b])`.
            E::Overlay {
                expr,
                overlay_what,
                overlay_from,
                overlay_for,
            } => {
                let mut args = vec![c(expr)?, c(overlay_what)?, c(overlay_from)?];
                if let Some(n) = overlay_for {
                    args.push(c(n)?);
                }
                func("overlay", args)
            }
            E::Collate { expr, collation } => {
                let coll = match fold_object_name(collation) {
                    Some(mut parts) => {
                        if parts.len() == 2 && parts[0] == "pg_catalog" {
                            parts.remove(0);
                        }
                        render_name(&parts)
                    }
                    None => collation.to_string(),
                };
                Node::Collate {
                    expr: Box::new(c(expr)?),
                    collation: coll,
                }
            }
            _ => return Ok(None),
        }))
    }

    #[inline(never)]
    fn convert_g6(&self, e: &ast::Expr, d: usize) -> Result<Node, ExprError> {
        let c = |x: &ast::Expr| self.convert(x, d);
        use ast::Expr as E;
        Ok(match e {
            E::Function(f) => self.function(f, d)?,
            E::Case {
                operand,
                conditions,
                else_result,
                ..
            } => Node::Case {
                operand: match operand {
                    Some(o) => Some(Box::new(c(o)?)),
                    None => None,
                },
                whens: conditions
                    .iter()
                    .map(|w| Ok((c(&w.condition)?, c(&w.result)?)))
                    .collect::<Result<Vec<_>, ExprError>>()?,
                default: Box::new(match else_result {
                    Some(x) => c(x)?,
                    None => Node::Null,
                }),
            },
            E::Array(arr) => Node::Array(arr.elem.iter().map(c).collect::<Result<_, _>>()?),
            E::Tuple(items) => Node::Row(items.iter().map(c).collect::<Result<_, _>>()?),
            E::CompoundFieldAccess { root, access_chain }
                if access_chain
                    .iter()
                    .all(|a| matches!(a, ast::AccessExpr::Subscript(_))) =>
            {
                let mut subscripts = Vec::new();
                let mut inner = Vec::new();
                for a in access_chain {
                    if let ast::AccessExpr::Subscript(s) = a {
                        subscripts.push(self.subscript(s, d, &mut inner)?);
                    }
                }
                Node::Subscript {
                    expr: Box::new(c(root)?),
                    subscripts,
                    inner,
                }
            }
            other => Node::Raw(other.to_string()),
        })
    }

    fn subscript(
        &self,
        s: &ast::Subscript,
        depth: usize,
        inner: &mut Vec<Node>,
    ) -> Result<String, ExprError> {
        let mut r = |x: &Option<ast::Expr>| -> Result<String, ExprError> {
            let mut out = String::new();
            if let Some(x) = x {
                let node = self.convert(x, depth)?;
                node.render(&mut out, false, depth);
                inner.push(node);
            }
            Ok(out)
        };
        Ok(match s {
            ast::Subscript::Index { index } => r(&Some(index.clone()))?,
            ast::Subscript::Slice {
                lower_bound,
                upper_bound,
                stride,
            } => {
                let mut out = format!("{}:{}", r(lower_bound)?, r(upper_bound)?);
                if stride.is_some() {
                    let _ = write!(out, ":{}", r(stride)?);
                }
                out
            }
        })
    }

    /// Flatten a left- or right-nested AND / OR chain without recursing along the chain.
    fn chain(
        &self,
        e: &ast::Expr,
        kind: ast::BinaryOperator,
        depth: usize,
        build: fn(Vec<Node>) -> Node,
    ) -> Result<Node, ExprError> {
        let mut operands = Vec::new();
        let mut stack = vec![e];
        while let Some(x) = stack.pop() {
            let mut x = x;
            while let ast::Expr::Nested(inner) = x {
                x = inner;
            }
            match x {
                ast::Expr::BinaryOp { left, op, right } if *op == kind => {
                    stack.push(right);
                    stack.push(left);
                }
                other => operands.push(self.convert(other, depth)?),
            }
            if stack.len() > MAX_TREE_DEPTH * 10 {
                return Err(too_deep());
            }
        }
        Ok(build(operands))
    }

    fn pattern(
        &self,
        op: &str,
        escape_fn: &str,
        expr: &ast::Expr,
        pattern: &ast::Expr,
        escape: Option<&ast::Expr>,
        depth: usize,
    ) -> Result<Node, ExprError> {
        let left = self.convert(expr, depth)?;
        let mut right = self.convert(pattern, depth)?;
        if let Some(esc) = escape {
            right = func(escape_fn, vec![right, self.convert(esc, depth)?]);
        }
        Ok(binary(op, left, right))
    }

    fn in_list(&self, left: Node, items: Vec<Node>, negated: bool) -> Node {
        let (op, quantifier) = if negated { ("<>", "all") } else { ("=", "any") };
        let (constants, with_vars): (Vec<Node>, Vec<Node>) =
            items.iter().cloned().partition(|i| !i.has_columns());
        let mut parts = Vec::new();
        let rest = if constants.len() > 1 {
            parts.push(Node::Quantified {
                left: Box::new(left.clone()),
                op: op.into(),
                quantifier,
                right: Box::new(Node::Array(constants)),
            });
            with_vars
        } else {
            items
        };
        for item in rest {
            parts.push(binary(op, left.clone(), item));
        }
        if negated { and(parts) } else { or(parts) }
    }

    fn value(&self, v: &ast::Value) -> Node {
        use ast::Value as V;
        match v {
            V::Number(n, _) => {
                let text = n.to_string();
                match canonical_number(&text) {
                    Some(c) => Node::Number(c),
                    None => Node::Raw(text),
                }
            }
            V::SingleQuotedString(s)
            | V::EscapedStringLiteral(s)
            | V::UnicodeStringLiteral(s)
            | V::NationalStringLiteral(s) => string_literal(s),
            V::DollarQuotedString(d) => string_literal(&d.value),
            V::Boolean(b) => Node::Bool(*b),
            V::Null => Node::Null,
            other => Node::Raw(other.to_string()),
        }
    }

    fn function(&self, f: &ast::Function, depth: usize) -> Result<Node, ExprError> {
        let raw = || Ok(Node::Raw(f.to_string()));
        if f.filter.is_some()
            || f.over.is_some()
            || !f.within_group.is_empty()
            || f.null_treatment.is_some()
            || !matches!(f.parameters, ast::FunctionArguments::None)
        {
            return raw();
        }
        let Some(mut name) = fold_object_name(&f.name) else {
            return raw();
        };
        if name.len() == 2 && name[0] == "pg_catalog" {
            name.remove(0);
        }
        match &f.args {
            ast::FunctionArguments::None => Ok(Node::Func {
                name,
                args: vec![],
                parens: false,
            }),
            ast::FunctionArguments::List(list) => {
                if list.duplicate_treatment.is_some() || !list.clauses.is_empty() {
                    return raw();
                }
                let mut args = Vec::new();
                for a in &list.args {
                    match a {
                        ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(x)) => {
                            args.push(self.convert(x, depth)?)
                        }
                        _ => return raw(),
                    }
                }
                // `NORMALIZE(x, NFKC)`: the form is a keyword, which PostgreSQL passes as the
                // string `'NFKC'` to `normalize(text, text)`; it is not a column.
                if name == ["normalize"]
                    && let [
                        _,
                        ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(form)),
                    ] = list.args.as_slice()
                    && let Some(form) = normal_form(form)
                {
                    args[1] = Node::Str(form.to_string());
                }
                Ok(Node::Func {
                    name,
                    args,
                    parens: true,
                })
            }
            ast::FunctionArguments::Subquery(_) => raw(),
        }
    }
}

/// The Unicode normal form a bare `NFC`, `NFD`, `NFKC` or `NFKD` names (the second argument
/// of `NORMALIZE`), upper case.
fn normal_form(e: &ast::Expr) -> Option<&'static str> {
    let ast::Expr::Identifier(i) = e else {
        return None;
    };
    if i.quote_style.is_some() {
        return None;
    }
    ["NFC", "NFD", "NFKC", "NFKD"]
        .into_iter()
        .find(|f| i.value.eq_ignore_ascii_case(f))
}

// ---------------------------------------------------------------------------------------------
// Function names

/// The functions `e` calls (see [`Expr::function_names`]). Walks the sqlparser tree with an
/// explicit stack, so long operator chains do not recurse.
fn function_names(e: &ast::Expr) -> BTreeSet<String> {
    use ast::Expr as E;
    let mut out = BTreeSet::new();
    let mut stack = vec![e];
    let mut name = |n: &str| {
        out.insert(n.to_string());
    };
    while let Some(e) = stack.pop() {
        match e {
            E::Function(f) => {
                if let Some(last) = fold_object_name(&f.name).and_then(|mut p| p.pop())
                    && !is_symmetric_marker(f)
                {
                    name(&last.to_lowercase());
                }
                if let ast::FunctionArguments::List(list) = &f.args {
                    for a in &list.args {
                        let (ast::FunctionArg::Unnamed(arg)
                        | ast::FunctionArg::Named { arg, .. }
                        | ast::FunctionArg::ExprNamed { arg, .. }) = a;
                        if let ast::FunctionArgExpr::Expr(x) = arg {
                            stack.push(x);
                        }
                    }
                    for c in &list.clauses {
                        match c {
                            ast::FunctionArgumentClause::OrderBy(items) => {
                                stack.extend(items.iter().map(|o| &o.expr));
                            }
                            ast::FunctionArgumentClause::Limit(x) => stack.push(x),
                            _ => {}
                        }
                    }
                }
                stack.extend(f.filter.as_deref());
                stack.extend(f.within_group.iter().map(|o| &o.expr));
            }
            E::AtTimeZone {
                timestamp,
                time_zone,
            } => {
                name("timezone");
                stack.push(timestamp);
                stack.push(time_zone);
            }
            E::Extract { expr, .. } => {
                name("extract");
                stack.push(expr);
            }
            E::Ceil { expr, .. } => {
                name("ceil");
                stack.push(expr);
            }
            E::Floor { expr, .. } => {
                name("floor");
                stack.push(expr);
            }
            E::Position { expr, r#in } => {
                name("position");
                stack.push(expr);
                stack.push(r#in);
            }
            E::Substring {
                expr,
                substring_from,
                substring_for,
                ..
            } => {
                name("substring");
                stack.push(expr);
                stack.extend(substring_from.as_deref());
                stack.extend(substring_for.as_deref());
            }
            E::Trim {
                trim_where,
                trim_what,
                expr,
                trim_characters,
            } => {
                name(match trim_where {
                    Some(ast::TrimWhereField::Leading) => "ltrim",
                    Some(ast::TrimWhereField::Trailing) => "rtrim",
                    _ => "btrim",
                });
                stack.push(expr);
                stack.extend(trim_what.as_deref());
                stack.extend(trim_characters.iter().flatten());
            }
            E::Overlay {
                expr,
                overlay_what,
                overlay_from,
                overlay_for,
            } => {
                name("overlay");
                stack.extend([&**expr, overlay_what, overlay_from]);
                stack.extend(overlay_for.as_deref());
            }
            E::Like {
                expr,
                pattern,
                escape_char,
                ..
            }
            | E::ILike {
                expr,
                pattern,
                escape_char,
                ..
            } => {
                if escape_char.is_some() {
                    name("like_escape");
                }
                stack.push(expr);
                stack.push(pattern);
                stack.extend(escape_char.as_deref());
            }
            E::SimilarTo {
                expr,
                pattern,
                escape_char,
                ..
            } => {
                name("similar_to_escape");
                stack.push(expr);
                stack.push(pattern);
                stack.extend(escape_char.as_deref());
            }
            E::Nested(x)
            | E::IsNull(x)
            | E::IsNotNull(x)
            | E::IsTrue(x)
            | E::IsNotTrue(x)
            | E::IsFalse(x)
            | E::IsNotFalse(x)
            | E::IsUnknown(x)
            | E::IsNotUnknown(x)
            | E::IsJson { expr: x, .. }
            | E::IsNormalized { expr: x, .. }
            | E::InSubquery { expr: x, .. }
            | E::UnaryOp { expr: x, .. }
            | E::Cast { expr: x, .. }
            | E::Collate { expr: x, .. }
            | E::Prefixed { value: x, .. }
            | E::Named { expr: x, .. }
            | E::OuterJoin(x)
            | E::Prior(x) => stack.push(x),
            E::IsDistinctFrom(a, b)
            | E::IsNotDistinctFrom(a, b)
            | E::BinaryOp {
                left: a, right: b, ..
            }
            | E::AnyOp {
                left: a, right: b, ..
            }
            | E::AllOp {
                left: a, right: b, ..
            }
            | E::RLike {
                expr: a,
                pattern: b,
                ..
            }
            | E::InUnnest {
                expr: a,
                array_expr: b,
                ..
            } => {
                stack.push(a);
                stack.push(b);
            }
            E::InList { expr, list, .. } => {
                stack.push(expr);
                stack.extend(list);
            }
            E::Between {
                expr, low, high, ..
            } => stack.extend([&**expr, low, high]),
            E::Convert { expr, styles, .. } => {
                stack.push(expr);
                stack.extend(styles);
            }
            E::Case {
                operand,
                conditions,
                else_result,
                ..
            } => {
                stack.extend(operand.as_deref());
                for w in conditions {
                    stack.push(&w.condition);
                    stack.push(&w.result);
                }
                stack.extend(else_result.as_deref());
            }
            E::Array(arr) => stack.extend(&arr.elem),
            E::Tuple(items) | E::Struct { values: items, .. } => stack.extend(items),
            E::GroupingSets(sets) | E::Cube(sets) | E::Rollup(sets) => {
                stack.extend(sets.iter().flatten());
            }
            E::Interval(iv) => stack.push(&iv.value),
            E::CompoundFieldAccess { root, access_chain } => {
                stack.push(root);
                for a in access_chain {
                    match a {
                        ast::AccessExpr::Dot(x) => stack.push(x),
                        ast::AccessExpr::Subscript(ast::Subscript::Index { index }) => {
                            stack.push(index);
                        }
                        ast::AccessExpr::Subscript(ast::Subscript::Slice {
                            lower_bound,
                            upper_bound,
                            stride,
                        }) => {
                            stack.extend(lower_bound);
                            stack.extend(upper_bound);
                            stack.extend(stride);
                        }
                    }
                }
            }
            E::JsonAccess { value, path } => {
                stack.push(value);
                for p in &path.path {
                    if let ast::JsonPathElem::Bracket { key }
                    | ast::JsonPathElem::ColonBracket { key } = p
                    {
                        stack.push(key);
                    }
                }
            }
            E::Dictionary(fields) => stack.extend(fields.iter().map(|f| &*f.value)),
            E::Map(map) => {
                for entry in &map.entries {
                    stack.push(&entry.key);
                    stack.push(&entry.value);
                }
            }
            E::Lambda(l) => stack.push(&l.body),
            E::MemberOf(m) => {
                stack.push(&m.value);
                stack.push(&m.array);
            }
            // Leaves, and subqueries (not allowed where expressions are used in a schema).
            _ => {}
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// FigureColname

/// PostgreSQL's `FigureColnameInternal`: a name and its strength (2 = strong, 1 = type name).
fn figure_colname(e: &ast::Expr, depth: usize) -> (Option<String>, u8) {
    if depth > MAX_TREE_DEPTH {
        return (None, 0);
    }
    use ast::Expr as E;
    let strong = |s: &str| (Some(s.to_string()), 2);
    match e {
        E::Nested(inner) => figure_colname(inner, depth + 1),
        E::Identifier(i) => (Some(fold_ident(i)), 2),
        E::CompoundIdentifier(parts) => (parts.last().map(fold_ident), 2),
        E::Function(f) => match fold_object_name(&f.name).and_then(|p| p.last().cloned()) {
            Some(n) => (Some(n), 2),
            None => (None, 0),
        },
        E::Cast {
            expr, data_type, ..
        } => {
            let (name, strength) = figure_colname(expr, depth + 1);
            if strength <= 1 {
                (Some(internal_type_name(data_type)), 1)
            } else {
                (name, strength)
            }
        }
        E::TypedString(ts) => (Some(internal_type_name(&ts.data_type)), 1),
        E::Interval(_) => (Some("interval".into()), 1),
        E::Collate { expr, .. } => figure_colname(expr, depth + 1),
        E::CompoundFieldAccess { root, access_chain } => {
            let field = access_chain.iter().rev().find_map(|a| match a {
                ast::AccessExpr::Dot(E::Identifier(i)) => Some(fold_ident(i)),
                _ => None,
            });
            match field {
                Some(f) => (Some(f), 2),
                None => figure_colname(root, depth + 1),
            }
        }
        E::Case { .. } => strong("case"),
        E::Array(_) => strong("array"),
        E::Substring { .. } => strong("substring"),
        E::Position { .. } => strong("position"),
        E::Trim { trim_where, .. } => match trim_where {
            Some(ast::TrimWhereField::Leading) => strong("ltrim"),
            Some(ast::TrimWhereField::Trailing) => strong("rtrim"),
            _ => strong("btrim"),
        },
        E::Extract { .. } => strong("extract"),
        E::Overlay { .. } => strong("overlay"),
        E::IsNormalized { .. } => strong("is_normalized"),
        E::BinaryOp {
            op: ast::BinaryOperator::Overlaps,
            ..
        } => strong("overlaps"),
        // PostgreSQL parses `AT TIME ZONE` into a call of `timezone`.
        E::AtTimeZone { .. } => strong("timezone"),
        E::Ceil { .. } => strong("ceil"),
        E::Floor { .. } => strong("floor"),
        E::Exists { .. } => strong("exists"),
        E::Tuple(_) => strong("row"),
        _ => (None, 0),
    }
}

/// Literal values as PostgreSQL 15 prints them back for a type (output of the type's output
/// function with `DateStyle = ISO`, `IntervalStyle = postgres`, `TimeZone = UTC`, the
/// settings the catalog reader uses). Only common, unambiguous input forms are understood;
/// anything else returns `None` and the literal is compared as written (a known gap).
///
/// * `date`: `Y-M-D` (zero-padded), `epoch`, `infinity`, `-infinity`.
/// * `time` / `time(p)`: `H:M[:S[.f]]` (trailing fractional zeros dropped), `allballs`; more
///   fractional digits than `p` are left alone (PostgreSQL would round).
/// * `timestamp` / `timestamptz`: a date, optionally followed (space or `T`) by a time;
///   `timestamptz` also takes an offset (`Z`, `+HH`, `-HH:MM`, ...) and is converted to UTC
///   (without an offset the value is read as UTC: PostgreSQL used the TimeZone of the session
///   that ran the migration, which the reader cannot know).
/// * `interval`: `<number> <unit>` pairs (integer years, months, weeks, days; hours, minutes,
///   seconds possibly fractional) and an `H:M[:S]` part, printed in the `postgres` style
///   (`1 year 2 mons 3 days 04:05:06`).
/// * `jsonb`: re-serialised the way jsonb prints (`", "` and `": "`, object keys sorted by
///   length then bytes, the last of duplicate keys kept, numbers in canonical numeric form).
/// * `tsvector`: plain space-separated lexemes (no quotes, backslashes, positions or
///   weights), sorted and deduplicated, each quoted.
mod typed {
    /// Whether [`normalise`] may change a value of type `ty`.
    pub(super) fn normalises(ty: &str) -> bool {
        let (base, precision) = split_precision(ty);
        match base.as_str() {
            "date"
            | "time without time zone"
            | "timestamp without time zone"
            | "timestamp with time zone"
            | "jsonb"
            | "tsvector" => true,
            "interval" => precision.is_none(),
            _ => false,
        }
    }

    pub(super) fn normalise(value: &str, ty: &str) -> Option<String> {
        let (base, precision) = split_precision(ty);
        match base.as_str() {
            "date" => date(value).map(|d| d.render()),
            "time without time zone" => time(value.trim(), precision).map(|t| t.render()),
            "timestamp without time zone" => timestamp(value, precision, false),
            "timestamp with time zone" => timestamp(value, precision, true),
            "interval" if precision.is_none() => interval(value),
            "jsonb" => jsonb(value),
            "tsvector" => tsvector(value),
            _ => None,
        }
    }

    /// `timestamp(3) with time zone` -> (`timestamp with time zone`, Some(3)).
    fn split_precision(ty: &str) -> (String, Option<u32>) {
        if let (Some(open), Some(close)) = (ty.find('('), ty.find(')')) {
            if open < close {
                let p = ty[open + 1..close].parse().ok();
                let base = format!("{}{}", &ty[..open], &ty[close + 1..]);
                return (base, p);
            }
        }
        (ty.to_string(), None)
    }

    #[derive(Clone, Copy)]
    enum Date {
        Ymd(i64, u32, u32),
        Infinity,
        MinusInfinity,
    }

    impl Date {
        fn render(&self) -> String {
            match self {
                Date::Ymd(y, m, d) => format!("{y:04}-{m:02}-{d:02}"),
                Date::Infinity => "infinity".into(),
                Date::MinusInfinity => "-infinity".into(),
            }
        }
    }

    fn digits(s: &str, min: usize, max: usize) -> Option<u32> {
        if s.len() < min || s.len() > max || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    }

    fn days_in_month(y: i64, m: u32) -> u32 {
        match m {
            4 | 6 | 9 | 11 => 30,
            2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
            2 => 28,
            _ => 31,
        }
    }

    fn date(value: &str) -> Option<Date> {
        let v = value.trim().to_ascii_lowercase();
        match v.as_str() {
            "epoch" => return Some(Date::Ymd(1970, 1, 1)),
            "infinity" | "+infinity" => return Some(Date::Infinity),
            "-infinity" => return Some(Date::MinusInfinity),
            _ => {}
        }
        let mut parts = v.split('-');
        let y = digits(parts.next()?, 4, 4)? as i64;
        let m = digits(parts.next()?, 1, 2)?;
        let d = digits(parts.next()?, 1, 2)?;
        if parts.next().is_some() || y == 0 || !(1..=12).contains(&m) {
            return None;
        }
        if d == 0 || d > days_in_month(y, m) {
            return None;
        }
        Some(Date::Ymd(y, m, d))
    }

    /// Microseconds since midnight.
    struct Time(i64);

    impl Time {
        fn render(&self) -> String {
            render_hms(self.0)
        }
    }

    /// `HH:MM:SS[.ffffff]` with trailing fractional zeros dropped; hours may exceed 24.
    fn render_hms(micros: i64) -> String {
        let secs = micros / 1_000_000;
        let frac = micros % 1_000_000;
        let mut out = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
        if frac != 0 {
            let f = format!("{frac:06}");
            out.push('.');
            out.push_str(f.trim_end_matches('0'));
        }
        out
    }

    /// `H:M[:S[.f]]`; `None` for anything else, or more fractional digits than `precision`.
    fn time(v: &str, precision: Option<u32>) -> Option<Time> {
        clock(v, precision, false)
    }

    /// [`time`], or with `any_hours` the time part of an interval (hours unbounded).
    fn clock(v: &str, precision: Option<u32>, any_hours: bool) -> Option<Time> {
        if v.eq_ignore_ascii_case("allballs") {
            return Some(Time(0));
        }
        let parts: Vec<&str> = v.split(':').collect();
        if parts.len() < 2 || parts.len() > 3 {
            return None;
        }
        let h = digits(parts[0], 1, if any_hours { 6 } else { 2 })? as i64;
        let m = digits(parts[1], 1, 2)? as i64;
        let (s, frac) = match parts.get(2) {
            None => (0, 0),
            Some(sec) => {
                let (whole, f) = match sec.split_once('.') {
                    Some((w, f)) => (w, f),
                    None => (*sec, ""),
                };
                let s = digits(whole, 1, 2)? as i64;
                let f = f.trim_end_matches('0');
                if f.len() > 6 || f.len() > precision.unwrap_or(6) as usize {
                    return None;
                }
                if !f.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let frac = if f.is_empty() {
                    0
                } else {
                    format!("{f:0<6}").parse::<i64>().ok()?
                };
                (s, frac)
            }
        };
        if m > 59 || s > 59 || (!any_hours && (h > 24 || (h == 24 && (m, s, frac) != (0, 0, 0)))) {
            return None;
        }
        Some(Time(((h * 60 + m) * 60 + s) * 1_000_000 + frac))
    }

    /// Days since 1970-01-01 (proleptic Gregorian).
    fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = m as i64;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    fn civil_from_days(z: i64) -> (i64, u32, u32) {
        let z = z + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let y = yoe + era * 400 + i64::from(m <= 2);
        (y, m, d)
    }

    fn timestamp(value: &str, precision: Option<u32>, zoned: bool) -> Option<String> {
        let v = value.trim().to_ascii_lowercase();
        let suffix = if zoned { "+00" } else { "" };
        match v.as_str() {
            "epoch" => return Some(format!("1970-01-01 00:00:00{suffix}")),
            "infinity" | "+infinity" | "-infinity" => {
                return Some(v.trim_start_matches('+').to_string());
            }
            _ => {}
        }
        let (date_part, rest) = match v.find([' ', 't']) {
            Some(i) => (&v[..i], v[i + 1..].trim()),
            None => (v.as_str(), ""),
        };
        let Date::Ymd(y, m, d) = date(date_part)? else {
            return None;
        };
        // Split a zone offset off the time part.
        let (time_part, offset_minutes) = if zoned {
            split_offset(rest)?
        } else {
            (rest, 0)
        };
        let t = if time_part.is_empty() {
            Time(0)
        } else {
            time(time_part, precision)?
        };
        let mut micros = t.0 - offset_minutes * 60 * 1_000_000;
        let mut days = days_from_civil(y, m, d);
        days += micros.div_euclid(86_400_000_000);
        micros = micros.rem_euclid(86_400_000_000);
        let (y, m, d) = civil_from_days(days);
        if y < 1 {
            return None;
        }
        Some(format!(
            "{y:04}-{m:02}-{d:02} {}{suffix}",
            render_hms(micros)
        ))
    }

    /// `10:00:00+02` -> (`10:00:00`, 120); no offset -> 0 (read as UTC).
    fn split_offset(rest: &str) -> Option<(&str, i64)> {
        let rest = rest.trim();
        if let Some(t) = rest.strip_suffix('z') {
            return Some((t.trim(), 0));
        }
        if let Some(t) = rest.strip_suffix("utc") {
            return Some((t.trim(), 0));
        }
        let Some(i) = rest.rfind(['+', '-']) else {
            return Some((rest, 0));
        };
        let sign = if rest.as_bytes()[i] == b'-' { -1 } else { 1 };
        let off = &rest[i + 1..];
        let (h, m) = match off.split_once(':') {
            Some((h, m)) => (digits(h, 1, 2)?, digits(m, 2, 2)?),
            None if off.len() == 4 => (digits(&off[..2], 2, 2)?, digits(&off[2..], 2, 2)?),
            None => (digits(off, 1, 2)?, 0),
        };
        if h > 15 || m > 59 {
            return None;
        }
        Some((rest[..i].trim(), sign * (h as i64 * 60 + m as i64)))
    }

    fn interval(value: &str) -> Option<String> {
        let v = value.trim().to_ascii_lowercase();
        let tokens: Vec<&str> = v.split_whitespace().collect();
        if tokens.is_empty() {
            return None;
        }
        let (mut months, mut days, mut micros) = (0i64, 0i64, 0i64);
        let mut i = 0;
        while i < tokens.len() {
            let tok = tokens[i];
            if tok.contains(':') {
                let (neg, body) = match tok.strip_prefix('-') {
                    Some(b) => (true, b),
                    None => (false, tok.strip_prefix('+').unwrap_or(tok)),
                };
                let t = clock(body, None, true)?;
                micros += if neg { -t.0 } else { t.0 };
                i += 1;
                continue;
            }
            let number = tok;
            let unit = tokens.get(i + 1).copied().unwrap_or("second");
            i += 2;
            let (neg, body) = match number.strip_prefix('-') {
                Some(b) => (true, b),
                None => (false, number.strip_prefix('+').unwrap_or(number)),
            };
            let (whole, frac) = match body.split_once('.') {
                Some((w, f)) => (w, f),
                None => (body, ""),
            };
            if whole.is_empty() && frac.is_empty() {
                return None;
            }
            let whole: i64 = if whole.is_empty() {
                0
            } else {
                digits(whole, 1, 9)? as i64
            };
            let frac = frac.trim_end_matches('0');
            if frac.len() > 6 || !frac.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let frac_micro: i64 = if frac.is_empty() {
                0
            } else {
                format!("{frac:0<6}").parse().ok()?
            };
            let sign = if neg { -1 } else { 1 };
            let per_unit: Option<i64> = match unit {
                "microsecond" | "microseconds" | "us" | "usec" | "usecs" => Some(1),
                "millisecond" | "milliseconds" | "ms" | "msec" | "msecs" => Some(1_000),
                "second" | "seconds" | "s" | "sec" | "secs" => Some(1_000_000),
                "minute" | "minutes" | "m" | "min" | "mins" => Some(60_000_000),
                "hour" | "hours" | "h" | "hr" | "hrs" => Some(3_600_000_000),
                _ => None,
            };
            if let Some(per) = per_unit {
                let total = whole.checked_mul(per)? + frac_micro * per / 1_000_000;
                if frac_micro * per % 1_000_000 != 0 {
                    return None;
                }
                micros += sign * total;
                continue;
            }
            if frac_micro != 0 {
                return None; // fractional days and months spill over: not modelled
            }
            match unit {
                "day" | "days" | "d" => days += sign * whole,
                "week" | "weeks" | "w" => days += sign * whole * 7,
                "month" | "months" | "mon" | "mons" => months += sign * whole,
                "year" | "years" | "y" | "yr" | "yrs" => months += sign * whole * 12,
                _ => return None,
            }
        }
        let mut out: Vec<String> = Vec::new();
        let mut before_negative = false;
        let mut field = |n: i64, unit: &str, out: &mut Vec<String>| {
            if n == 0 {
                return;
            }
            let plus = if before_negative && n > 0 { "+" } else { "" };
            let s = if n == 1 { "" } else { "s" };
            out.push(format!("{plus}{n} {unit}{s}"));
            before_negative |= n < 0;
        };
        field(months / 12, "year", &mut out);
        field(months % 12, "mon", &mut out);
        field(days, "day", &mut out);
        if micros != 0 || out.is_empty() {
            let sign = if micros < 0 {
                "-"
            } else if before_negative {
                "+"
            } else {
                ""
            };
            out.push(format!("{sign}{}", render_hms(micros.abs())));
        }
        Some(out.join(" "))
    }

    #[derive(Debug)]
    enum Json {
        Null,
        Bool(bool),
        Number(String),
        Str(String),
        Array(Vec<Json>),
        Object(Vec<(String, Json)>),
    }

    fn jsonb(value: &str) -> Option<String> {
        let mut p = JsonParser {
            s: value.as_bytes(),
            i: 0,
            depth: 0,
        };
        let v = p.value()?;
        p.ws();
        if p.i != p.s.len() {
            return None;
        }
        let mut out = String::new();
        render_json(&v, &mut out);
        Some(out)
    }

    fn render_json(v: &Json, out: &mut String) {
        match v {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => out.push_str(n),
            Json::Str(s) => render_json_string(s, out),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    render_json(item, out);
                }
                out.push(']');
            }
            Json::Object(pairs) => {
                // jsonb: keys ordered by length, then bytes; the last duplicate wins.
                let mut sorted: Vec<&(String, Json)> = Vec::new();
                for pair in pairs.iter().rev() {
                    if !sorted.iter().any(|p| p.0 == pair.0) {
                        sorted.push(pair);
                    }
                }
                sorted
                    .sort_by(|a, b| (a.0.len(), a.0.as_bytes()).cmp(&(b.0.len(), b.0.as_bytes())));
                out.push('{');
                for (i, (k, v)) in sorted.into_iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    render_json_string(k, out);
                    out.push_str(": ");
                    render_json(v, out);
                }
                out.push('}');
            }
        }
    }

    fn render_json_string(s: &str, out: &mut String) {
        out.push('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
    }

    struct JsonParser<'a> {
        s: &'a [u8],
        i: usize,
        depth: usize,
    }

    impl JsonParser<'_> {
        fn ws(&mut self) {
            while self.i < self.s.len() && b" \t\n\r".contains(&self.s[self.i]) {
                self.i += 1;
            }
        }

        fn eat(&mut self, b: u8) -> bool {
            self.ws();
            if self.s.get(self.i) == Some(&b) {
                self.i += 1;
                true
            } else {
                false
            }
        }

        fn value(&mut self) -> Option<Json> {
            self.ws();
            self.depth += 1;
            if self.depth > 200 {
                return None;
            }
            let v = match *self.s.get(self.i)? {
                b'{' => {
                    self.i += 1;
                    let mut pairs = Vec::new();
                    if !self.eat(b'}') {
                        loop {
                            self.ws();
                            let k = self.string()?;
                            if !self.eat(b':') {
                                return None;
                            }
                            pairs.push((k, self.value()?));
                            if self.eat(b'}') {
                                break;
                            }
                            if !self.eat(b',') {
                                return None;
                            }
                        }
                    }
                    Json::Object(pairs)
                }
                b'[' => {
                    self.i += 1;
                    let mut items = Vec::new();
                    if !self.eat(b']') {
                        loop {
                            items.push(self.value()?);
                            if self.eat(b']') {
                                break;
                            }
                            if !self.eat(b',') {
                                return None;
                            }
                        }
                    }
                    Json::Array(items)
                }
                b'"' => Json::Str(self.string()?),
                b't' => self.word("true", Json::Bool(true))?,
                b'f' => self.word("false", Json::Bool(false))?,
                b'n' => self.word("null", Json::Null)?,
                _ => {
                    let start = self.i;
                    while self.i < self.s.len() && b"+-0123456789.eE".contains(&self.s[self.i]) {
                        self.i += 1;
                    }
                    let text = std::str::from_utf8(&self.s[start..self.i]).ok()?;
                    let valid = text
                        .starts_with(['-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
                        && !text.starts_with("-.")
                        && !text.ends_with(['.', 'e', 'E', '+', '-']);
                    if !valid {
                        return None;
                    }
                    Json::Number(super::canonical_number(text)?)
                }
            };
            self.depth -= 1;
            Some(v)
        }

        fn word(&mut self, w: &str, v: Json) -> Option<Json> {
            if self.s[self.i..].starts_with(w.as_bytes()) {
                self.i += w.len();
                Some(v)
            } else {
                None
            }
        }

        fn string(&mut self) -> Option<String> {
            if self.s.get(self.i) != Some(&b'"') {
                return None;
            }
            self.i += 1;
            let mut out: Vec<u8> = Vec::new();
            loop {
                let b = *self.s.get(self.i)?;
                self.i += 1;
                match b {
                    b'"' => return String::from_utf8(out).ok(),
                    b'\\' => {
                        let e = *self.s.get(self.i)?;
                        self.i += 1;
                        let c = match e {
                            b'"' => '"',
                            b'\\' => '\\',
                            b'/' => '/',
                            b'b' => '\u{8}',
                            b'f' => '\u{c}',
                            b'n' => '\n',
                            b'r' => '\r',
                            b't' => '\t',
                            b'u' => {
                                let hex =
                                    std::str::from_utf8(self.s.get(self.i..self.i + 4)?).ok()?;
                                self.i += 4;
                                let code = u32::from_str_radix(hex, 16).ok()?;
                                // Surrogate pairs and \u0000 are left to PostgreSQL.
                                char::from_u32(code).filter(|c| *c != '\0')?
                            }
                            _ => return None,
                        };
                        let mut buf = [0u8; 4];
                        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    }
                    b if b < 0x20 => return None,
                    b => out.push(b),
                }
            }
        }
    }

    fn tsvector(value: &str) -> Option<String> {
        let mut lexemes: Vec<&str> = Vec::new();
        for tok in value.split_whitespace() {
            // PostgreSQL prints each lexeme quoted: accept `'a'` as well as `a`.
            let l = match tok.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
                Some(inner) if !inner.is_empty() => inner,
                _ => tok,
            };
            if l.contains(['\'', '\\', ':']) {
                return None;
            }
            lexemes.push(l);
        }
        if lexemes.is_empty() {
            return None;
        }
        lexemes.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        lexemes.dedup();
        Some(
            lexemes
                .iter()
                .map(|l| format!("'{l}'"))
                .collect::<Vec<_>>()
                .join(" "),
        )
    }

    #[cfg(test)]
    mod tests {
        use super::normalise;

        /// (type, what the user writes, what PostgreSQL 15 prints back), observed with
        /// `pg_get_expr(adbin, adrelid)` under the catalog reader's settings.
        const PG15: &[(&str, &str, &str)] = &[
            ("interval", "1 hour", "01:00:00"),
            ("interval", "90 minutes", "01:30:00"),
            ("interval", "1 day", "1 day"),
            ("interval", "2 days 3 hours", "2 days 03:00:00"),
            ("interval", "1 year 2 months", "1 year 2 mons"),
            ("interval", "1 week", "7 days"),
            ("interval", "1.5 hours", "01:30:00"),
            ("interval", "-1 day", "-1 days"),
            ("interval", "00:00:01.5", "00:00:01.5"),
            ("interval", "30 seconds", "00:00:30"),
            ("interval", "1 mon", "1 mon"),
            ("interval", "0", "00:00:00"),
            ("interval", "25 hours", "25:00:00"),
            ("interval", "-1 day 2 hours", "-1 days +02:00:00"),
            ("interval", "1 day -2 hours", "1 day -02:00:00"),
            ("time without time zone", "12:00", "12:00:00"),
            ("time without time zone", "1:2:3", "01:02:03"),
            ("time without time zone", "12:00:00.50", "12:00:00.5"),
            ("time without time zone", "allballs", "00:00:00"),
            ("time(3) without time zone", "12:00:00.125", "12:00:00.125"),
            (
                "timestamp without time zone",
                "2024-01-01",
                "2024-01-01 00:00:00",
            ),
            (
                "timestamp without time zone",
                "2024-01-01T10:00",
                "2024-01-01 10:00:00",
            ),
            (
                "timestamp without time zone",
                "2024-01-01 10:00:00.120",
                "2024-01-01 10:00:00.12",
            ),
            (
                "timestamp without time zone",
                "epoch",
                "1970-01-01 00:00:00",
            ),
            (
                "timestamp with time zone",
                "2024-01-01 10:00:00+02",
                "2024-01-01 08:00:00+00",
            ),
            (
                "timestamp with time zone",
                "2024-01-01 01:00:00+02:00",
                "2023-12-31 23:00:00+00",
            ),
            (
                "timestamp with time zone",
                "2024-02-28 23:30:00-01",
                "2024-02-29 00:30:00+00",
            ),
            (
                "timestamp with time zone",
                "2024-01-01",
                "2024-01-01 00:00:00+00",
            ),
            (
                "timestamp with time zone",
                "2024-01-01T10:00:00Z",
                "2024-01-01 10:00:00+00",
            ),
            ("timestamp with time zone", "infinity", "infinity"),
            ("date", "epoch", "1970-01-01"),
            ("date", "-infinity", "-infinity"),
            ("date", "2024-1-2", "2024-01-02"),
            ("tsvector", "a b", "'a' 'b'"),
            ("tsvector", "b a a", "'a' 'b'"),
            (
                "jsonb",
                "{\"b\":1,\"a\":2,\"aa\":[1,2,{}]}",
                "{\"a\": 2, \"b\": 1, \"aa\": [1, 2, {}]}",
            ),
            ("jsonb", "{\"a\":1,\"a\":2}", "{\"a\": 2}"),
            ("jsonb", "1e2", "100"),
            ("jsonb", "1.0", "1.0"),
            ("jsonb", "\"\\u00e9\\n\"", "\"é\\n\""),
        ];

        #[test]
        fn literals_match_postgres_15_output() {
            for (ty, user, pg) in PG15 {
                assert_eq!(normalise(user, ty).as_deref(), Some(*pg), "{ty}: `{user}`");
                // PostgreSQL's own output is a fixed point.
                assert_eq!(normalise(pg, ty).as_deref(), Some(*pg), "{ty}: `{pg}`");
            }
        }

        #[test]
        fn unknown_forms_are_left_alone() {
            for (ty, v) in [
                ("interval", "P1D"),
                ("interval", "1.5 days"),
                ("interval", "1 fortnight"),
                ("date", "Jan 1 2024"),
                ("date", "2023-02-29"),
                ("time without time zone", "25:00"),
                ("time(0) without time zone", "12:00:00.5"),
                ("jsonb", "{\"a\":}"),
                ("jsonb", "[1,]"),
                ("jsonb", ".5"),
                ("tsvector", "a:1"),
                ("text", "1 hour"),
                ("timestamp with time zone", "2024-01-01 10:00 Europe/Paris"),
            ] {
                assert_eq!(normalise(v, ty), None, "{ty}: `{v}`");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        Expr::parse(s)
            .unwrap_or_else(|e| panic!("{s}: {e}"))
            .canonical()
            .to_string()
    }

    fn typed_canon(s: &str, types: &[(&str, &str)]) -> String {
        let types: Types = types
            .iter()
            .map(|(c, t)| (c.to_string(), t.to_string()))
            .collect();
        Expr::parse(s)
            .unwrap_or_else(|e| panic!("{s}: {e}"))
            .with_column_types(&types)
            .canonical()
            .to_string()
    }

    #[test]
    fn literals_compared_with_typed_columns_compare_as_postgresql_stores_them() {
        let tz = [("ts", "timestamp with time zone"), ("d", "date")];
        // What the user writes equals what PostgreSQL prints back (read in UTC).
        for (written, printed) in [
            (
                "ts > '2020-01-01'",
                "(ts > '2020-01-01 00:00:00+00'::timestamp with time zone)",
            ),
            (
                "'2020-01-01' <= ts",
                "('2020-01-01 00:00:00+00'::timestamp with time zone <= ts)",
            ),
            (
                "ts BETWEEN '2020-01-01' AND '2021-01-01 12:00'",
                "((ts >= '2020-01-01 00:00:00+00'::timestamp with time zone) AND (ts <= '2021-01-01 12:00:00+00'::timestamp with time zone))",
            ),
            (
                "ts IN ('2020-01-01', '2020-01-02')",
                "(ts = ANY (ARRAY['2020-01-01 00:00:00+00'::timestamp with time zone, '2020-01-02 00:00:00+00'::timestamp with time zone]))",
            ),
            (
                "d > '2020-1-2' AND d IS NOT NULL",
                "((d > '2020-01-02'::date) AND (d IS NOT NULL))",
            ),
        ] {
            assert_eq!(
                typed_canon(written, &tz),
                typed_canon(printed, &tz),
                "{written}"
            );
            // Without the types they differ (the plain canonical form knows no types).
            assert_ne!(canon(written), canon(printed), "{written}");
        }
        let iv = [("iv", "interval")];
        assert_eq!(
            typed_canon("iv < '1 hour'", &iv),
            typed_canon("(iv < '01:00:00'::interval)", &iv)
        );
        // Only literals compared with the column itself: a text column, a function result
        // and other operators are left alone.
        let mixed = [("ts", "timestamp with time zone"), ("s", "text")];
        assert_eq!(
            typed_canon("s = '2020-01-01'", &mixed),
            canon("s = '2020-01-01'")
        );
        assert_eq!(
            typed_canon("lower(s) = '2020-01-01' OR ts - '1 day' > now()", &mixed),
            canon("lower(s) = '2020-01-01' OR ts - '1 day' > now()")
        );
        assert_ne!(
            typed_canon("ts > '2020-01-01'", &mixed),
            typed_canon("ts > '2020-01-02'", &mixed)
        );
        // The SQL itself never changes.
        let e = Expr::parse("ts > '2020-01-01'").unwrap();
        let types: Types = [("ts".to_string(), "timestamp with time zone".to_string())].into();
        assert_eq!(e.clone().with_column_types(&types).sql(), e.sql());
    }

    #[test]
    fn renaming_a_column_rewrites_only_column_references() {
        let renamed = |sql: &str, from: &str, to: &str| {
            Expr::parse(sql)
                .unwrap()
                .rename_column(from, to)
                .sql()
                .to_string()
        };
        assert_eq!(renamed("qty > 0", "qty", "quantity"), "\"quantity\" > 0");
        // A function of the same name, a type after `::`, a qualifier and a string stay.
        assert_eq!(
            renamed("lower(lower) <> 'lower' and x::lower = t.y", "lower", "l"),
            "lower(\"l\") <> 'lower' and x::lower = t.y"
        );
        assert_eq!(renamed("\"Mixed\" + mixed", "Mixed", "m"), "\"m\" + mixed");
        let e = Expr::parse("a + b").unwrap().rename_column("a", "c");
        assert_eq!(e, Expr::parse("c + b").unwrap());
        assert_eq!(e.referenced_columns(), ["b", "c"].map(String::from).into());
        // Not referenced: unchanged.
        assert_eq!(renamed("a + b", "z", "y"), "a + b");
    }

    fn assert_same(user: &str, pg: &str) {
        let a = Expr::parse(user).unwrap_or_else(|e| panic!("{user}: {e}"));
        let b = Expr::parse(pg).unwrap_or_else(|e| panic!("{pg}: {e}"));
        assert_eq!(
            a.canonical(),
            b.canonical(),
            "user `{user}` vs PostgreSQL `{pg}`"
        );
        assert_eq!(a, b);
    }

    fn assert_differ(a: &str, b: &str) {
        assert_ne!(canon(a), canon(b), "`{a}` vs `{b}` must differ");
    }

    /// (what the user writes, what PostgreSQL 15 prints back). The right-hand sides were
    /// observed on PostgreSQL 15 via `pg_get_expr(adbin, adrelid)`, `pg_get_constraintdef`,
    /// `pg_get_expr(indpred, indrelid)` and `pg_get_indexdef(indexrelid, k, true)`.
    const PG15_PAIRS: &[(&str, &str)] = &[
        // column defaults (pg_get_expr(adbin))
        ("7", "7"),
        ("'7'", "'7'::bigint"),
        ("7", "'7'::bigint"),
        ("(7)::bigint", "'7'::bigint"),
        ("-1", "'-1'::integer"),
        ("(-1)", "'-1'::integer"),
        ("-(5)", "'-5'::integer"),
        ("+3", "(+ 3)"),
        ("0", "0"),
        ("'ACTIVE'", "'ACTIVE'::registrationstatus"),
        ("''", "''::character varying"),
        ("''::text", "''::text"),
        ("'{}'::jsonb", "'{}'::jsonb"),
        ("'{}'", "'{}'::jsonb"),
        ("'{}'", "'{}'::text[]"),
        ("ARRAY[]::text[]", "ARRAY[]::text[]"),
        ("array[1,2]", "ARRAY[1, 2]"),
        ("CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP"),
        ("current_timestamp", "CURRENT_TIMESTAMP"),
        ("current_timestamp(0)", "CURRENT_TIMESTAMP(0)"),
        ("localtimestamp", "LOCALTIMESTAMP"),
        ("current_user", "CURRENT_USER"),
        ("now()", "now()"),
        ("NOW()", "now()"),
        ("pg_catalog.now()", "now()"),
        ("CURRENT_DATE", "CURRENT_DATE"),
        ("current_date + 1", "(CURRENT_DATE + 1)"),
        ("gen_random_uuid()", "gen_random_uuid()"),
        ("true", "true"),
        ("FALSE", "false"),
        ("TRUE", "true"),
        ("'t'::boolean", "true"),
        ("1.5e3", "'1500'::numeric"),
        ("1e3", "'1000'::numeric"),
        ("1.50", "1.50"),
        (".5", "0.5"),
        ("007", "7"),
        ("0.00", "0.00"),
        ("2.5", "2.5"),
        ("interval '1 day'", "'1 day'::interval"),
        ("E'a\\nb'", "'a\nb'::text"),
        ("'it''s'", "'it''s'::text"),
        ("E'it\\'s'", "'it''s'::text"),
        ("'ab'", "'ab'::bpchar"),
        ("'x'::varchar(10)", "'x'::character varying(10)"),
        ("nextval('s')", "nextval('s'::regclass)"),
        (
            "now() at time zone 'utc'",
            "(now() AT TIME ZONE 'utc'::text)",
        ),
        ("now()::date", "(now())::date"),
        ("CAST(now() AS date)", "(now())::date"),
        ("upper('x')", "upper('x'::text)"),
        ("2147483648 - 1", "('2147483648'::bigint - 1)"),
        // generated columns
        ("(a + bb) * c", "((a + bb) * c)"),
        ("a + bb * c", "(a + (bb * c))"),
        // CHECK bodies (pg_get_constraintdef, outer `CHECK (...)` removed)
        ("apn > 0", "((apn > (0)::numeric))"),
        ("apn >= 0.5", "((apn >= 0.5))"),
        (
            "status = 'ACTIVE' or status in ('INACTIVE','Pending')",
            "(((status = 'ACTIVE'::registrationstatus) OR (status = ANY (ARRAY['INACTIVE'::registrationstatus, 'Pending'::registrationstatus]))))",
        ),
        (
            "length(name) > 2 and name like 'a%' and name ilike 'B%'",
            "(((length((name)::text) > 2) AND ((name)::text ~~ 'a%'::text) AND ((name)::text ~~* 'B%'::text)))",
        ),
        (
            "txt in ('A','B')",
            "((txt = ANY (ARRAY['A'::text, 'B'::text])))",
        ),
        (
            "txt not in ('C','D')",
            "((txt <> ALL (ARRAY['C'::text, 'D'::text])))",
        ),
        ("txt in ('A')", "((txt = 'A'::text))"),
        ("txt not in ('A')", "((txt <> 'A'::text))"),
        ("a between 1 and 10", "(((a >= 1) AND (a <= 10)))"),
        ("a not between 1 and 10", "(((a < 1) OR (a > 10)))"),
        (
            "(a + bb) * c > 0 and (a > 0 or bb > 0)",
            "(((((a + bb) * c) > 0) AND ((a > 0) OR (bb > 0))))",
        ),
        (
            "coalesce(a, 0) <> 5 and bb != 3",
            "(((COALESCE(a, 0) <> 5) AND (bb <> 3)))",
        ),
        ("name::text = txt", "(((name)::text = txt))"),
        ("lower(name) = 'x'", "((lower((name)::text) = 'x'::text))"),
        (
            "a is not null and b is true and txt is distinct from 'z'",
            "(((a IS NOT NULL) AND (b IS TRUE) AND (txt IS DISTINCT FROM 'z'::text)))",
        ),
        (
            "txt ~ '^[a-z]+$' and txt not like 'q%'",
            "(((txt ~ '^[a-z]+$'::text) AND (txt !~~ 'q%'::text)))",
        ),
        ("E'a\\'b' <> txt", "(('a''b'::text <> txt))"),
        (
            "-a < 5 and - 5 < a and a > -5",
            "((((- a) < 5) AND ('-5'::integer < a) AND (a > '-5'::integer)))",
        ),
        ("char_length(txt) <= 10", "((char_length(txt) <= 10))"),
        (
            "txt similar to 'abc%'",
            "((txt ~ similar_to_escape('abc%'::text)))",
        ),
        ("not (a > 1)", "((NOT (a > 1)))"),
        ("not a > 1", "((NOT (a > 1)))"),
        (
            "a % 2 = 0 and a ^ 2 > 1",
            "((((a % 2) = 0) AND (((a)::double precision ^ (2)::double precision) > (1)::double precision)))",
        ),
        (
            "j ? 'k' and j @> '{}'",
            "(((j ? 'k'::text) AND (j @> '{}'::jsonb)))",
        ),
        (
            "case when a > 0 then bb else c end > 0",
            "((\nCASE\n    WHEN (a > 0) THEN bb\n    ELSE c\nEND > 0))",
        ),
        (
            "substring(txt from 1 for 2) = 'ab'",
            "((SUBSTRING(txt FROM 1 FOR 2) = 'ab'::text))",
        ),
        (
            "substring(txt, 1, 2) = 'ab'",
            "((\"substring\"(txt, 1, 2) = 'ab'::text))",
        ),
        (
            "substring(txt, 1, 2) = 'ab'",
            "((SUBSTRING(txt FROM 1 FOR 2) = 'ab'::text))",
        ),
        (
            "extract(year from ts) > 2000",
            "((EXTRACT(year FROM ts) > (2000)::numeric))",
        ),
        (
            "ts > now() - interval '1 day'",
            "((ts > (now() - '1 day'::interval)))",
        ),
        (
            "txt = any(array['x','y'])",
            "((txt = ANY (ARRAY['x'::text, 'y'::text])))",
        ),
        (
            "\"id\" > 0 and \"a\" is not null",
            "(((id > 0) AND (a IS NOT NULL)))",
        ),
        (
            "cast(a as bigint) > 0 and a::int8 > 0",
            "((((a)::bigint > 0) AND ((a)::bigint > 0)))",
        ),
        ("txt || 'x' <> 'y'", "(((txt || 'x'::text) <> 'y'::text))"),
        ("\"Weird\" is null", "((\"Weird\" IS NULL))"),
        ("true and a > 0", "((true AND (a > 0)))"),
        ("exists_fn(a)", "(exists_fn(a))"),
        ("public.myfn(a) > 0", "((public.myfn(a) > 0))"),
        ("a = 1 is not false", "(((a = 1) IS NOT FALSE))"),
        (
            "arr @> array['x'] and array_length(arr, 1) > 0 and arr[1] <> 'z'",
            "(((arr @> ARRAY['x'::text]) AND (array_length(arr, 1) > 0) AND (arr[1] <> 'z'::text)))",
        ),
        (
            "a > 0 and (bb > 0 and c > 0)",
            "(((a > 0) AND ((bb > 0) AND (c > 0))))",
        ),
        (
            "(a > 0 or bb > 0) or c > 0",
            "(((a > 0) OR (bb > 0) OR (c > 0)))",
        ),
        (
            "nullif(a, 0) > 0 and greatest(a, bb) < least(c, 10)",
            "(((NULLIF(a, 0) > 0) AND (GREATEST(a, bb) < LEAST(c, 10))))",
        ),
        (
            "name::varchar(10) <> 'x' and txt::char(3) <> 'abc'",
            "(((((name)::character varying(10))::text <> 'x'::text) AND ((txt)::character(3) <> 'abc'::bpchar)))",
        ),
        (
            "n::numeric(10,2) > 0",
            "(((n)::numeric(10,2) > (0)::numeric))",
        ),
        (
            "d < current_date + 1 and ts > now() and d > now()",
            "(((d < (CURRENT_DATE + 1)) AND (ts > now()) AND (d > now())))",
        ),
        (
            "date_trunc('day', ts) = ts",
            "((date_trunc('day'::text, ts) = ts))",
        ),
        (
            "-(a + bb) < 0 and a * -1 < 0 and a - -1 > 0 and +a > 0",
            "((((- (a + bb)) < 0) AND ((a * '-1'::integer) < 0) AND ((a - '-1'::integer) > 0) AND ((+ a) > 0)))",
        ),
        (
            "id in (1, 2) and id > 1 and a in (bb, c)",
            "(((id = ANY (ARRAY[(1)::bigint, (2)::bigint])) AND (id > 1) AND ((a = bb) OR (a = c))))",
        ),
        ("a / bb > 0.5", "((((a / bb))::numeric > 0.5))"),
        (
            "a::numeric / bb > 0.5",
            "((((a)::numeric / (bb)::numeric) > 0.5))",
        ),
        (
            "a is distinct from bb and a is not distinct from c",
            "(((a IS DISTINCT FROM bb) AND (NOT (a IS DISTINCT FROM c))))",
        ),
        (
            "j->>'k' = 'v' and j#>>'{a,b}' is not null and j->'a' is not null",
            "((((j ->> 'k'::text) = 'v'::text) AND ((j #>> '{a,b}'::text[]) IS NOT NULL) AND ((j -> 'a'::text) IS NOT NULL)))",
        ),
        (
            "(txt = 'a') is not true or txt is null",
            "(((txt = 'a'::text) IS NOT TRUE) OR (txt IS NULL))",
        ),
        (
            "position('a' in txt) > 0 and trim(txt) <> '' and trim(both 'x' from txt) <> ''",
            "(((POSITION(('a'::text) IN (txt)) > 0) AND (TRIM(BOTH FROM txt) <> ''::text) AND (TRIM(BOTH 'x'::text FROM txt) <> ''::text)))",
        ),
        (
            "txt collate \"C\" > 'a'",
            "(((txt COLLATE \"C\") > 'a'::text))",
        ),
        (
            "txt ~* 'x' and txt !~ 'y' and txt !~* 'z' and txt not ilike 'w'",
            "(((txt ~* 'x'::text) AND (txt !~ 'y'::text) AND (txt !~* 'z'::text) AND (txt !~~* 'w'::text)))",
        ),
        (
            "txt like 'a!%' escape '!'",
            "((txt ~~ like_escape('a!%'::text, '!'::text)))",
        ),
        (
            "tz > now() - interval '1 day'",
            "((tz > (now() - '1 day'::interval)))",
        ),
        // index keys (pg_get_indexdef(indexrelid, k, true)) and predicates (indpred)
        ("lower(name)", "lower(name::text)"),
        ("lower(txt)", "lower(txt)"),
        (
            "status = 'ACTIVE'",
            "(status = 'ACTIVE'::registrationstatus)",
        ),
        ("a + bb", "(a + bb)"),
        (
            "a > 0 and txt in ('x','y')",
            "((a > 0) AND (txt = ANY (ARRAY['x'::text, 'y'::text])))",
        ),
        ("coalesce(a, 0)", "COALESCE(a, 0)"),
        ("upper(txt)", "upper(txt)"),
        ("txt::varchar", "(txt::character varying)"),
        (
            "case when a>0 then 1 else 0 end",
            "(\nCASE\n    WHEN a > 0 THEN 1\n    ELSE 0\nEND)",
        ),
        ("j->>'k'", "(j ->> 'k'::text)"),
        ("j ? 'k'", "(j ? 'k'::text)"),
    ];

    /// More (user text, PostgreSQL 15 output) pairs, generated by adding each expression as a
    /// CHECK constraint, a column default or an index key / predicate on PostgreSQL 15 and
    /// reading it back (`CHECK (...)` prefix removed).
    const PG15_MORE_PAIRS: &[(&str, &str)] = &[
        ("'{\"a\":1}'", "'{\"a\":1}'::json"),
        ("a in (1)", "((a = 1))"),
        ("a in (1, bb)", "(((a = 1) OR (a = bb)))"),
        (
            "a not in (1, 2, bb)",
            "(((a <> ALL (ARRAY[1, 2])) AND (a <> bb)))",
        ),
        (
            "txt in ('a', lower(name))",
            "(((txt = 'a'::text) OR (txt = lower((name)::text))))",
        ),
        ("a = any('{1,2}')", "((a = ANY ('{1,2}'::integer[])))"),
        (
            "name in ('x','y')",
            "(((name)::text = ANY ((ARRAY['x'::character varying, 'y'::character varying])::text[])))",
        ),
        ("name = 'x'", "(((name)::text = 'x'::text))"),
        ("name like 'x%'", "(((name)::text ~~ 'x%'::text))"),
        ("ts > '2020-01-01'::date", "((ts > '2020-01-01'::date))"),
        ("d > '2020-01-01'", "((d > '2020-01-01'::date))"),
        ("tz >= current_date", "((tz >= CURRENT_DATE))"),
        (
            "a <= 10 and a >= -10",
            "(((a <= 10) AND (a >= '-10'::integer)))",
        ),
        ("a::text ~ '^\\d+$'", "(((a)::text ~ '^\\d+$'::text))"),
        ("(a + bb)::numeric > 1.5", "((((a + bb))::numeric > 1.5))"),
        ("round(n, 2) = n", "((round(n, 2) = n))"),
        ("abs(a) < 10", "((abs(a) < 10))"),
        (
            "n > 0 and n < 100.5",
            "(((n > (0)::numeric) AND (n < 100.5)))",
        ),
        (
            "n between 0 and 1",
            "(((n >= (0)::numeric) AND (n <= (1)::numeric)))",
        ),
        ("f > 0.5", "((f > (0.5)::double precision))"),
        ("f > 1", "((f > (1)::double precision))"),
        (
            "length(trim(name)) > 0",
            "((length(TRIM(BOTH FROM name)) > 0))",
        ),
        ("status::text <> ''", "(((status)::text <> ''::text))"),
        (
            "status in ('ACTIVE')",
            "((status = 'ACTIVE'::registrationstatus))",
        ),
        (
            "status <> 'INACTIVE'",
            "((status <> 'INACTIVE'::registrationstatus))",
        ),
        ("j->'a' ? 'b'", "(((j -> 'a'::text) ? 'b'::text))"),
        (
            "j ->> 'k' in ('a','b')",
            "(((j ->> 'k'::text) = ANY (ARRAY['a'::text, 'b'::text])))",
        ),
        ("arr <> '{}'", "((arr <> '{}'::text[]))"),
        ("cardinality(arr) > 0", "((cardinality(arr) > 0))"),
        (
            "array_length(arr, 1) between 1 and 3",
            "(((array_length(arr, 1) >= 1) AND (array_length(arr, 1) <= 3)))",
        ),
        ("upper(txt) = txt", "((upper(txt) = txt))"),
        (
            "(txt is null) = (a is null)",
            "(((txt IS NULL) = (a IS NULL)))",
        ),
        ("num_nonnulls(a, bb) = 1", "((num_nonnulls(a, bb) = 1))"),
        ("a > 0 or a is null", "(((a > 0) OR (a IS NULL)))"),
        ("a * 2 + 1 > bb", "((((a * 2) + 1) > bb))"),
        ("a - (bb - c) > 0", "(((a - (bb - c)) > 0))"),
        ("(a - bb) - c > 0", "((((a - bb) - c) > 0))"),
        ("not (a > 0 and bb > 0)", "((NOT ((a > 0) AND (bb > 0))))"),
        ("a = bb and not c = 1", "(((a = bb) AND (NOT (c = 1))))"),
        (
            "coalesce(txt, '') <> ''",
            "((COALESCE(txt, ''::text) <> ''::text))",
        ),
        (
            "coalesce(name, '') <> ''",
            "(((COALESCE(name, ''::character varying))::text <> ''::text))",
        ),
        (
            "lower(name) like 'a%'",
            "((lower((name)::text) ~~ 'a%'::text))",
        ),
        ("name ~* '^a'", "(((name)::text ~* '^a'::text))"),
        (
            "d between '2020-01-01' and '2030-01-01'",
            "(((d >= '2020-01-01'::date) AND (d <= '2030-01-01'::date)))",
        ),
        (
            "extract(epoch from tz) > 0",
            "((EXTRACT(epoch FROM tz) > (0)::numeric))",
        ),
        (
            "date_part('year', d) > 2000",
            "((date_part('year'::text, d) > (2000)::double precision))",
        ),
        (
            "tz::date > '2020-01-01'",
            "(((tz)::date > '2020-01-01'::date))",
        ),
        ("id % 2 = 0", "(((id % (2)::bigint) = 0))"),
        ("id > 2147483648", "((id > '2147483648'::bigint))"),
        ("n::int > 0", "(((n)::integer > 0))"),
        ("a::bigint > 0", "(((a)::bigint > 0))"),
        ("-n < 0", "(((- n) < (0)::numeric))"),
        ("a > -1.5", "(((a)::numeric > '-1.5'::numeric))"),
        ("f::numeric > 1", "(((f)::numeric > (1)::numeric))"),
        (
            "a > 0 and bb > 0 or c > 0",
            "((((a > 0) AND (bb > 0)) OR (c > 0)))",
        ),
        (
            "a > 0 and (bb > 0 or c > 0)",
            "(((a > 0) AND ((bb > 0) OR (c > 0))))",
        ),
        ("b", "(b)"),
        ("not b", "((NOT b))"),
        ("b = true", "((b = true))"),
        ("b is not true", "((b IS NOT TRUE))"),
        (
            "case a when 1 then 'x' when 2 then 'y' end is not null",
            "((\nCASE a\n    WHEN 1 THEN 'x'::text\n    WHEN 2 THEN 'y'::text\n    ELSE NULL::text\nEND IS NOT NULL))",
        ),
        (
            "case when a > 0 then 'p' end = 'p'",
            "((\nCASE\n    WHEN (a > 0) THEN 'p'::text\n    ELSE NULL::text\nEND = 'p'::text))",
        ),
        ("txt = 'it''s'", "((txt = 'it''s'::text))"),
        ("txt <> E'\\t'", "((txt <> '	'::text))"),
        (
            "a::numeric(5,1) > 1",
            "(((a)::numeric(5,1) > (1)::numeric))",
        ),
        (
            "name::varchar(5) = 'a'",
            "((((name)::character varying(5))::text = 'a'::text))",
        ),
        ("n = 1.0", "((n = 1.0))"),
        ("n = 1e2", "((n = '100'::numeric))"),
        ("f = 1e2", "((f = ('100'::numeric)::double precision))"),
        ("greatest(a, 0) = a", "((GREATEST(a, 0) = a))"),
        (
            "a in (1, 2, 3) and bb not in (4, 5)",
            "(((a = ANY (ARRAY[1, 2, 3])) AND (bb <> ALL (ARRAY[4, 5]))))",
        ),
        (
            "txt in ('a', 'b', name)",
            "(((txt = ANY (ARRAY['a'::text, 'b'::text])) OR (txt = (name)::text)))",
        ),
        (
            "lower(txt) in ('a', 'b')",
            "((lower(txt) = ANY (ARRAY['a'::text, 'b'::text])))",
        ),
        (
            "length(txt) in (1, 2)",
            "((length(txt) = ANY (ARRAY[1, 2])))",
        ),
        (
            "txt similar to 'a%' escape '#'",
            "((txt ~ similar_to_escape('a%'::text, '#'::text)))",
        ),
        (
            "txt not similar to 'a%'",
            "((txt !~ similar_to_escape('a%'::text)))",
        ),
        (
            "txt ilike any (array['a%', 'b%'])",
            "((txt ~~* ANY (ARRAY['a%'::text, 'b%'::text])))",
        ),
        ("x_int2 > 1", "((x_int2 > 1))"),
        ("x_int2 + 1 > a", "(((x_int2 + 1) > a))"),
        ("x_int2 in (1, 2)", "((x_int2 = ANY (ARRAY[1, 2])))"),
        ("x_int2 = a", "((x_int2 = a))"),
        ("\"Weird Col\" > 0", "((\"Weird Col\" > 0))"),
        ("0", "0"),
        ("-0", "0"),
        ("-2147483648", "'-2147483648'::integer"),
        ("1000000000000", "'1000000000000'::bigint"),
        ("-5", "'-5'::integer"),
        ("-0.5", "'-0.5'::numeric"),
        ("0.0", "0.0"),
        ("1e-2", "0.01"),
        ("-1.5", "'-1.5'::numeric"),
        ("1e2", "'100'::numeric"),
        ("0.1", "0.1"),
        ("'abc'", "'abc'::text"),
        ("'a' || 'b'", "('a'::text || 'b'::text)"),
        ("lower('ABC')", "lower('ABC'::text)"),
        ("md5(random()::text)", "md5((random())::text)"),
        (
            "floor(random() * 100)::int",
            "(floor((random() * (100)::double precision)))::integer",
        ),
        ("array['a','b']", "ARRAY['a'::text, 'b'::text]"),
        ("'{a,b}'::text[]", "'{a,b}'::text[]"),
        ("'{}'::int[]", "'{}'::integer[]"),
        ("array[]::integer[]", "ARRAY[]::integer[]"),
        ("'{\"a\": 1}'::jsonb", "'{\"a\": 1}'::jsonb"),
        (
            "current_timestamp + '1 day'",
            "(CURRENT_TIMESTAMP + '1 day'::interval)",
        ),
        (
            "(now() at time zone 'utc')",
            "(now() AT TIME ZONE 'utc'::text)",
        ),
        ("localtimestamp(3)", "LOCALTIMESTAMP(3)"),
        ("'2020-01-01'::date", "'2020-01-01'::date"),
        ("'2020-01-01'", "'2020-01-01'::date"),
        ("current_date - 1", "(CURRENT_DATE - 1)"),
        ("current_time", "CURRENT_TIME"),
        (
            "'ACTIVE'::registrationstatus",
            "'ACTIVE'::registrationstatus",
        ),
        ("'Pending'", "'Pending'::registrationstatus"),
        ("'x'", "'x'::character varying"),
        ("'x'::text", "'x'::text"),
        ("'ab'", "'ab'::bpchar"),
        ("'\\x00'", "'\\x00'::bytea"),
        (
            "'00000000-0000-0000-0000-000000000000'",
            "'00000000-0000-0000-0000-000000000000'::uuid",
        ),
        ("'1 day'", "'1 day'::interval"),
        ("1", "1"),
        ("1.005", "1.005"),
        ("1", "1"),
        ("-1", "'-1'::integer"),
        ("current_user", "CURRENT_USER"),
        ("current_schema", "CURRENT_SCHEMA"),
        ("session_user", "SESSION_USER"),
        ("'a'::varchar", "'a'::character varying"),
        ("E'a\\\\b'", "'a\\b'::text"),
        ("$$dollar$$", "'dollar'::text"),
        ("(txt)", "txt"),
        ("b is true", "(b IS TRUE)"),
        ("(abs(a))", "abs(a)"),
        (
            "a > 0 or bb > 0 and c > 0",
            "((a > 0) OR ((bb > 0) AND (c > 0)))",
        ),
        ("(arr[1])", "(arr[1])"),
        ("arr[1] is not null", "(arr[1] IS NOT NULL)"),
        ("(md5(txt))", "md5(txt)"),
        (
            "length(name) between 1 and 5",
            "((length((name)::text) >= 1) AND (length((name)::text) <= 5))",
        ),
        ("lower(name)", "lower(name::text)"),
        ("deleted is null", "(deleted IS NULL)"),
        ("(name::text)", "(name::text)"),
        (
            "status <> 'INACTIVE'",
            "(status <> 'INACTIVE'::registrationstatus)",
        ),
        ("(a + bb)", "(a + bb)"),
        (
            "name is not null and a > 0",
            "((name IS NOT NULL) AND (a > 0))",
        ),
        ("coalesce(txt, '')", "COALESCE(txt, ''::text)"),
        ("txt like 'a%'", "(txt ~~ 'a%'::text)"),
        ("(j->>'k')", "(j ->> 'k'::text)"),
        ("a in (1,2,3)", "(a = ANY (ARRAY[1, 2, 3]))"),
        ("upper(name)", "upper(name::text)"),
        ("not b", "(NOT b)"),
        ("(lower(txt) || name)", "(lower(txt) || name::text)"),
        ("b", "b"),
        ("(a * 2)", "(a * 2)"),
        ("b = true", "(b = true)"),
        ("(txt)", "txt"),
        ("b is true", "(b IS TRUE)"),
        ("(abs(a))", "abs(a)"),
        (
            "a > 0 or bb > 0 and c > 0",
            "((a > 0) OR ((bb > 0) AND (c > 0)))",
        ),
        ("(arr[1])", "(arr[1])"),
        ("arr[1] is not null", "(arr[1] IS NOT NULL)"),
        ("(n, m) <> (0, 0)", "((n <> 0) OR (m <> 0))"),
        ("(n, m) = (1, 2)", "((n = 1) AND (m = 2))"),
        // Typed literals are compared as stored.
        (
            "now() + interval '1 hour'",
            "(now() + '01:00:00'::interval)",
        ),
        (
            "now() - '2 days 3 hours'::interval",
            "(now() - '2 days 03:00:00'::interval)",
        ),
        ("d > date '2020-1-2'", "(d > '2020-01-02'::date)"),
    ];

    /// Known gaps: PostgreSQL normalises the literal's value by type (jsonb spacing, interval
    /// and time formatting, boolean spellings, interval field syntax). Kept here so a fix shows.
    const PG15_KNOWN_GAPS: &[(&str, &str)] = &[
        ("'{\"a\":1}'", "'{\"a\": 1}'::jsonb"),
        ("'12:00'", "'12:00:00'::time without time zone"),
        ("'f'", "false"),
        ("interval '1' day", "'1 day'::interval"),
    ];

    #[test]
    fn more_user_text_matches_postgres_15_output() {
        for (user, pg) in PG15_MORE_PAIRS {
            assert_same(user, pg);
        }
        for (user, pg) in PG15_KNOWN_GAPS {
            assert_differ(user, pg);
        }
    }

    #[test]
    fn user_text_matches_postgres_15_output() {
        for (user, pg) in PG15_PAIRS {
            assert_same(user, pg);
        }
    }

    /// SQL-standard special forms: (what the user writes, what PostgreSQL 15 prints back via
    /// `pg_get_expr` / `pg_get_constraintdef` / `pg_get_indexdef(…, k, true)`), observed on
    /// PostgreSQL 15.18.
    const PG15_SPECIAL_FORMS: &[(&str, &str)] = &[
        // NORMALIZE: the form is a keyword, passed as a string (not a column).
        ("NORMALIZE(txt, NFKC) = txt", "(NORMALIZE(txt, NFKC) = txt)"),
        ("normalize(txt, nfkc) = txt", "(NORMALIZE(txt, NFKC) = txt)"),
        ("normalize(txt) = txt", "(NORMALIZE(txt) = txt)"),
        (
            "pg_catalog.normalize(txt, 'NFKC') = txt",
            "(\"normalize\"(txt, 'NFKC'::text) = txt)",
        ),
        (
            "NORMALIZE(txt, NFKC) = txt",
            "(\"normalize\"(txt, 'NFKC'::text) = txt)",
        ),
        ("NORMALIZE('x', NFKC)", "NORMALIZE('x'::text, NFKC)"),
        ("normalize(txt, NFD)", "NORMALIZE(txt, NFD)"),
        // IS [NOT] [form] NORMALIZED
        ("txt IS NFC NORMALIZED", "(txt IS NFC NORMALIZED)"),
        ("txt is normalized", "(txt IS NORMALIZED)"),
        ("txt IS NOT NFD NORMALIZED", "(NOT (txt IS NFD NORMALIZED))"),
        ("txt is not normalized", "(NOT (txt IS NORMALIZED))"),
        ("txt IS NFKD NORMALIZED", "(txt IS NFKD NORMALIZED)"),
        // EXTRACT
        (
            "EXTRACT(year FROM ts) > 2000",
            "(EXTRACT(year FROM ts) > (2000)::numeric)",
        ),
        ("extract(YEAR from tsn)", "EXTRACT(year FROM tsn)"),
        // OVERLAPS (also the plain call of `overlaps`)
        ("(d1, d2) OVERLAPS (d3, d4)", "((d1, d2) OVERLAPS (d3, d4))"),
        ("overlaps(d1, d2, d3, d4)", "\"overlaps\"(d1, d2, d3, d4)"),
        ("(d1, d2) OVERLAPS (d3, d4)", "\"overlaps\"(d1, d2, d3, d4)"),
        (
            "(d1, d2) overlaps (d3, interval '1 day')",
            "((d1, d2) OVERLAPS (d3, '1 day'::interval))",
        ),
        (
            "(d1, d2) overlaps (d3, d4) is not null",
            "(((d1, d2) OVERLAPS (d3, d4)) IS NOT NULL)",
        ),
        // AT TIME ZONE, COLLATE
        (
            "ts AT TIME ZONE 'UTC' IS NOT NULL",
            "((ts AT TIME ZONE 'UTC'::text) IS NOT NULL)",
        ),
        ("tsn at time zone 'UTC'", "(tsn AT TIME ZONE 'UTC'::text)"),
        // A literal compared with the form (not a column) is only normalised when typed.
        (
            "(ts at time zone 'UTC') > timestamp '2000-01-01'",
            "((ts AT TIME ZONE 'UTC'::text) > '2000-01-01 00:00:00'::timestamp without time zone)",
        ),
        (
            "txt COLLATE \"C\" > 'a'",
            "((txt COLLATE \"C\") > 'a'::text)",
        ),
        (
            "txt collate \"C\" is not null",
            "((txt COLLATE \"C\") IS NOT NULL)",
        ),
        // SIMILAR TO
        (
            "txt SIMILAR TO 'pat%'",
            "(txt ~ similar_to_escape('pat%'::text))",
        ),
        (
            "txt NOT SIMILAR TO 'pat%' ESCAPE '#'",
            "(txt !~ similar_to_escape('pat%'::text, '#'::text))",
        ),
        // OVERLAY (also the plain call)
        (
            "OVERLAY(txt PLACING 'yy' FROM 1 FOR 2) <> ''",
            "(OVERLAY(txt PLACING 'yy'::text FROM 1 FOR 2) <> ''::text)",
        ),
        (
            "overlay(txt placing 'yy' from 1)",
            "OVERLAY(txt PLACING 'yy'::text FROM 1)",
        ),
        (
            "overlay(txt, 'y', 2) <> ''",
            "(\"overlay\"(txt, 'y'::text, 2) <> ''::text)",
        ),
        // POSITION
        (
            "POSITION('a' IN txt) > 0",
            "(POSITION(('a'::text) IN (txt)) > 0)",
        ),
        ("position('a' in txt)", "POSITION(('a'::text) IN (txt))"),
        // SUBSTRING, including the regular-expression form PostgreSQL prints with SIMILAR
        (
            "SUBSTRING(txt FROM 1 FOR 2) <> ''",
            "(SUBSTRING(txt FROM 1 FOR 2) <> ''::text)",
        ),
        (
            "substring(txt for 2) <> ''",
            "(SUBSTRING(txt FROM 1 FOR 2) <> ''::text)",
        ),
        (
            "substring(txt from 2) <> ''",
            "(SUBSTRING(txt FROM 2) <> ''::text)",
        ),
        (
            "SUBSTRING(txt SIMILAR 'a#\"b#\"c' ESCAPE '#') <> ''",
            "(SUBSTRING(txt SIMILAR 'a#\"b#\"c'::text ESCAPE '#'::text) <> ''::text)",
        ),
        (
            "substring(txt from 'a#\"b#\"c' for '#') <> ''",
            "(SUBSTRING(txt SIMILAR 'a#\"b#\"c'::text ESCAPE '#'::text) <> ''::text)",
        ),
        (
            "substring(txt from 'a.') <> ''",
            "(\"substring\"(txt, 'a.'::text) <> ''::text)",
        ),
        // TRIM
        (
            "TRIM(BOTH 'x' FROM txt) <> ''",
            "(TRIM(BOTH 'x'::text FROM txt) <> ''::text)",
        ),
        (
            "trim(leading 'x' from txt) <> ''",
            "(TRIM(LEADING 'x'::text FROM txt) <> ''::text)",
        ),
        (
            "TRIM(TRAILING 'x' FROM txt) <> ''",
            "(TRIM(TRAILING 'x'::text FROM txt) <> ''::text)",
        ),
        (
            "TRIM(LEADING FROM txt) <> ''",
            "(TRIM(LEADING FROM txt) <> ''::text)",
        ),
        ("trim(both txt) <> ''", "(TRIM(BOTH FROM txt) <> ''::text)"),
        (
            "TRIM(txt, 'x') <> ''",
            "(TRIM(BOTH 'x'::text FROM txt) <> ''::text)",
        ),
        (
            "TRIM(LEADING txt, 'x') <> ''",
            "(TRIM(LEADING 'x'::text FROM txt) <> ''::text)",
        ),
        // BETWEEN SYMMETRIC / ASYMMETRIC
        (
            "a BETWEEN SYMMETRIC 1 AND 10",
            "(((a >= 1) AND (a <= 10)) OR ((a >= 10) AND (a <= 1)))",
        ),
        (
            "a NOT BETWEEN SYMMETRIC 1 AND 10",
            "(((a < 1) OR (a > 10)) AND ((a < 10) OR (a > 1)))",
        ),
        // pg_get_indexdef(…, k, true) prints it without the inner parentheses.
        (
            "a between symmetric 1 and b",
            "(a >= 1 AND a <= b OR a >= b AND a <= 1)",
        ),
        (
            "b between symmetric 1 and 10 and a > 0",
            "(((((b >= 1) AND (b <= 10)) OR ((b >= 10) AND (b <= 1))) AND (a > 0)))",
        ),
        (
            "a > 0 and b not between symmetric 1 and 10 and a < 5",
            "(((a > 0) AND (((b < 1) OR (b > 10)) AND ((b < 10) OR (b > 1))) AND (a < 5)))",
        ),
        (
            "a between symmetric case when b > 0 and b < 5 then 1 else 2 end and 10",
            "((((a >= CASE WHEN ((b > 0) AND (b < 5)) THEN 1 ELSE 2 END) AND (a <= 10)) OR \
             ((a >= 10) AND (a <= CASE WHEN ((b > 0) AND (b < 5)) THEN 1 ELSE 2 END))))",
        ),
        (
            "a between symmetric (b) and -b",
            "((((a >= b) AND (a <= (- b))) OR ((a >= (- b)) AND (a <= b))))",
        ),
        ("a between asymmetric 1 and 2", "(((a >= 1) AND (a <= 2)))"),
        // COLLATION FOR (a call of pg_collation_for)
        (
            "COLLATION FOR (txt) IS NOT NULL",
            "(COLLATION FOR (txt) IS NOT NULL)",
        ),
        (
            "collation for (txt) is not null",
            "(pg_collation_for(txt) IS NOT NULL)",
        ),
        // IS [NOT] DISTINCT FROM
        ("a IS DISTINCT FROM b", "(a IS DISTINCT FROM b)"),
        ("a IS NOT DISTINCT FROM b", "(NOT (a IS DISTINCT FROM b))"),
        // SQL value functions with a precision
        ("CURRENT_TIMESTAMP(3)", "CURRENT_TIMESTAMP(3)"),
        (
            "localtimestamp(2) is not null",
            "(LOCALTIMESTAMP(2) IS NOT NULL)",
        ),
        (
            "current_time(1) is not null",
            "(CURRENT_TIME(1) IS NOT NULL)",
        ),
    ];

    #[test]
    fn special_forms_match_postgres_15_output() {
        for (user, pg) in PG15_SPECIAL_FORMS {
            assert_same(user, pg);
        }
        // And they still tell different expressions apart.
        for (a, b) in [
            ("normalize(txt, NFC)", "normalize(txt, NFD)"),
            ("normalize(txt, NFKC)", "normalize(txt, nfkc_col)"),
            ("txt is nfc normalized", "txt is nfd normalized"),
            ("txt is nfc normalized", "txt is not nfc normalized"),
            ("a between symmetric 1 and 10", "a between 1 and 10"),
            ("a not between symmetric 1 and 10", "a not between 1 and 10"),
            (
                "a between symmetric 1 and 10",
                "a not between symmetric 1 and 10",
            ),
            ("(a, b) overlaps (c, d)", "(a, c) overlaps (b, d)"),
            (
                "overlay(t placing 'x' from 1)",
                "overlay(t placing 'x' from 2)",
            ),
            ("trim(leading 'x' from t)", "trim(trailing 'x' from t)"),
            ("trim(leading t, 'x')", "trim(t, 'x')"),
            (
                "substring(t similar 'a' escape '#')",
                "substring(t from 'a')",
            ),
            ("collation for (a)", "collation for (b)"),
        ] {
            assert_differ(a, b);
        }
    }

    #[test]
    fn special_forms_keep_their_sql_and_name_what_postgresql_does() {
        // The SQL is the text as written, whatever rewrite the parser needed.
        for (user, _) in PG15_SPECIAL_FORMS {
            assert_eq!(Expr::parse(user).unwrap().sql(), *user);
        }
        let cols = |s: &str| {
            Expr::parse(s)
                .unwrap()
                .referenced_columns()
                .into_iter()
                .collect::<Vec<_>>()
        };
        assert_eq!(cols("NORMALIZE(txt, NFKC) = txt"), ["txt"]);
        assert_eq!(cols("normalize(txt, \"NFKC\")"), ["NFKC", "txt"]);
        assert_eq!(cols("txt IS NOT NFD NORMALIZED"), ["txt"]);
        assert_eq!(cols("(a, b) overlaps (c, d)"), ["a", "b", "c", "d"]);
        assert_eq!(
            cols("overlay(t placing u from i for j)"),
            ["i", "j", "t", "u"]
        );
        assert_eq!(cols("a between symmetric b and c"), ["a", "b", "c"]);
        assert_eq!(cols("collation for (t)"), ["t"]);
        assert_eq!(cols("trim(leading t, u)"), ["t", "u"]);
        assert_eq!(cols("substring(t similar p escape e)"), ["e", "p", "t"]);
        // Index column names, observed on PostgreSQL 15 (`CREATE INDEX ON g (…)` names).
        let name = |s: &str| Expr::parse(s).unwrap().index_column_name();
        assert_eq!(name("txt IS NFC NORMALIZED"), "is_normalized");
        assert_eq!(name("overlay(txt placing 'y' from 1)"), "overlay");
        assert_eq!(name("(a, b) overlaps (c, d)"), "overlaps");
        assert_eq!(name("a between symmetric 1 and b"), "expr");
        assert_eq!(name("normalize(txt)"), "normalize");
        assert_eq!(name("txt similar to 'x'"), "expr");
        assert_eq!(name("substring(txt similar 'x' escape '#')"), "substring");
        assert_eq!(name("a is distinct from b"), "expr");
        assert_eq!(name("trim(txt, 'x')"), "btrim");
        assert_eq!(name("collation for (txt)"), "pg_collation_for");
        // Calls as the offline check sees them: no marker, the real functions.
        let calls = |s: &str| {
            let (_, refs) = Expr::parse_with_references(s).unwrap();
            refs.calls
                .iter()
                .map(|c| format!("{}/{}", c.name.join("."), c.args))
                .collect::<Vec<_>>()
        };
        assert_eq!(calls("a between symmetric 1 and 10"), Vec::<String>::new());
        assert_eq!(
            calls("collation for (t) is not null"),
            ["pg_collation_for/1"]
        );
        assert_eq!(calls("trim(leading t, 'x')"), ["ltrim/2"]);
        assert_eq!(calls("normalize(t, NFKC)"), ["normalize/2"]);
        let f = |s: &str| {
            Expr::parse(s)
                .unwrap()
                .function_names()
                .into_iter()
                .collect::<Vec<_>>()
        };
        assert_eq!(f("a between symmetric 1 and 10"), Vec::<String>::new());
        assert_eq!(f("overlay(t placing 'x' from 1)"), ["overlay"]);
        // Words that only look like the forms are left alone.
        assert_same("\"collation\" = 'x'", "(\"collation\" = 'x'::text)");
        assert_differ("between_symmetric(a)", "a");
    }

    #[test]
    fn different_expressions_differ() {
        let pairs = [
            ("a > 0", "a >= 0"),
            ("(a+b)*c", "a+(b*c)"),
            ("a - (b - c)", "(a - b) - c"),
            ("\"Status\" = 1", "status = 1"),
            ("'A'", "'B'"),
            ("'a'", "'A'"),
            ("now()", "CURRENT_TIMESTAMP"),
            ("CURRENT_DATE", "now()"),
            ("7", "8"),
            ("-1", "1"),
            ("1.5", "1.50"),
            ("'007'", "7"),
            ("'7'::text", "'07'::text"),
            ("a like 'x'", "a ilike 'x'"),
            ("a like 'x'", "a not like 'x'"),
            ("a in (1, 2)", "a not in (1, 2)"),
            ("a in (1, 2)", "a in (1, 3)"),
            ("a between 1 and 2", "a between 1 and 3"),
            ("a and b or c", "a and (b or c)"),
            ("not a and b", "not (a and b)"),
            ("a is null", "a is not null"),
            ("x::date", "x::timestamp"),
            ("x::varchar(10)", "x::varchar(20)"),
            ("lower(a)", "upper(a)"),
            ("f(a, b)", "f(b, a)"),
            ("s.f(a)", "f(a)"),
            ("t.a = 1", "u.a = 1"),
            ("a = b", "a <> b"),
            ("'x'", "x"),
            ("null", "'null'"),
            ("true", "'true'"),
            ("a is distinct from b", "a is not distinct from b"),
            ("case when a then 1 end", "case when a then 2 end"),
            ("arr[1]", "arr[2]"),
            ("x collate \"C\"", "x collate \"POSIX\""),
        ];
        for (a, b) in pairs {
            assert_differ(a, b);
        }
    }

    #[test]
    fn canonical_rendering() {
        assert_eq!(canon("((a > 0))"), "a > 0");
        assert_eq!(canon("(A + \"B\") * c"), "(a + \"B\") * c");
        assert_eq!(canon("x IN (1, 2)"), "x = any (array[1, 2])");
        assert_eq!(canon("x NOT IN ('a', 'b')"), "x <> all (array['a', 'b'])");
        assert_eq!(canon("a != b"), "a <> b");
        assert_eq!(canon("CAST(x AS INT4)"), "x::integer");
        assert_eq!(canon("x::timestamptz"), "x::timestamp with time zone");
        assert_eq!(
            canon("x::timestamp(3)"),
            "x::timestamp(3) without time zone"
        );
        assert_eq!(canon("x::bool"), "x::boolean");
        assert_eq!(canon("f(x)::float8"), "f(x)::double precision");
        assert_eq!(canon("x::float8"), "x");
        assert_eq!(canon("x::float4"), "x::real");
        assert_eq!(canon("x::varchar[]"), "x::character varying[]");
        assert_eq!(canon("x::\"MyType\""), "x::\"MyType\"");
        assert_eq!(canon("x::public.mytype"), "x::public.mytype");
        assert_eq!(
            canon("case when a then 1 end"),
            "case when a then 1 else null end"
        );
        assert_eq!(canon("  a  "), "a");
        assert_eq!(canon("'\u{e9}t\u{e9}'"), "'\u{e9}t\u{e9}'");
    }

    #[test]
    fn sql_is_kept_verbatim_but_trimmed() {
        let e = Expr::parse("  (A > 0)  ").unwrap();
        assert_eq!(e.sql(), "(A > 0)");
        assert_eq!(e.canonical(), "a > 0");
    }

    #[test]
    fn referenced_columns() {
        let cols = |s: &str| {
            Expr::parse(s)
                .unwrap()
                .referenced_columns()
                .into_iter()
                .collect::<Vec<_>>()
        };
        assert_eq!(
            cols("lower(Name) = 'abc def' and t.\"Id\" > 0"),
            ["Id", "name"]
        );
        assert_eq!(
            cols("x::mytype is not null and coalesce(y, x) > 0"),
            ["x", "y"]
        );
        assert_eq!(cols("now()"), Vec::<String>::new());
        assert_eq!(cols("CURRENT_TIMESTAMP"), Vec::<String>::new());
        assert_eq!(cols("a between b and c"), ["a", "b", "c"]);
        assert_eq!(cols("case when a > 0 then b else c end"), ["a", "b", "c"]);
        assert_eq!(cols("arr[i] = 1"), ["arr", "i"]);
    }

    #[test]
    fn index_column_names() {
        // Observed on PostgreSQL 15 (pg_attribute.attname of the index columns).
        let name = |s: &str| Expr::parse(s).unwrap().index_column_name();
        assert_eq!(name("lower(name)"), "lower");
        assert_eq!(name("LOWER(name)"), "lower");
        assert_eq!(name("public.f(x)"), "f");
        assert_eq!(name("(a + bb)"), "expr");
        assert_eq!(name("name::text"), "name");
        assert_eq!(name("coalesce(a, 0)"), "coalesce");
        assert_eq!(name("upper(txt)"), "upper");
        assert_eq!(name("txt::varchar"), "txt");
        assert_eq!(name("case when a>0 then 1 else 0 end"), "case");
        assert_eq!(name("j->>'k'"), "expr");
        assert_eq!(name("'x'::integer"), "int4");
        assert_eq!(name("lower(a)::text"), "lower");
        assert_eq!(name("\"Col\""), "Col");
        assert_eq!(name("(abs(a))"), "abs");
        assert_eq!(name("(arr[1])"), "arr");
        assert_eq!(name("(a * 2)"), "expr");
        assert_eq!(name("(lower(txt) || name)"), "expr");
        assert_eq!(name("(txt)"), "txt");
        assert_eq!(name("(md5(txt))"), "md5");
        assert_eq!(name("ts AT TIME ZONE 'UTC'"), "timezone");
        assert_eq!(name("(ts at time zone 'UTC')::date"), "timezone");
        assert_eq!(name("ts::date"), "ts");
        assert_eq!(name("CAST(ts AS date)"), "ts");
        assert_eq!(name("'2020-01-01'::date"), "date");
        assert_eq!(name("(a + 1)::date"), "date");
    }

    /// `sql()` with its comments removed, checking that it parses to the same canonical form.
    fn without_comments(s: &str) -> String {
        let e = Expr::parse(s).unwrap_or_else(|err| panic!("{s}: {err}"));
        let again = Expr::parse(e.sql()).unwrap_or_else(|err| panic!("{}: {err}", e.sql()));
        assert_eq!(again.canonical(), e.canonical(), "`{s}` -> `{}`", e.sql());
        assert_eq!(again.sql(), e.sql(), "`{s}`: no comments left to remove");
        e.sql().to_string()
    }

    #[test]
    fn sql_has_no_comments() {
        assert_eq!(without_comments("1 -- one"), "1");
        assert_eq!(without_comments("b > 0 -- positive"), "b > 0");
        assert_eq!(without_comments("a /* x */ + 1"), "a   + 1");
        assert_eq!(without_comments("a/*x*/+1"), "a +1");
        assert_eq!(
            without_comments("'--not a comment' || x"),
            "'--not a comment' || x"
        );
        assert_eq!(
            without_comments("'--s' || \"/*q*/\" -- c"),
            "'--s' || \"/*q*/\""
        );
        assert_eq!(
            without_comments("  a > 0 -- first\n  and b > 0 /* second\n line */\n"),
            "a > 0  \n  and b > 0"
        );
        assert_eq!(without_comments("/* lead */ now()"), "now()");
        assert_eq!(without_comments("1-- x\n-1"), "1 \n-1");
        assert_eq!(without_comments("1 /* a /* nested */ b */ + 2"), "1   + 2");
        assert_eq!(without_comments("'ü' || /* é */ x"), "'ü' ||   x");
        assert_eq!(without_comments("$$ -- $$ || x -- y"), "$$ -- $$ || x");
        // Large inputs are analysed on another thread; same text.
        let long = vec!["a /* c */ -- d\n"; 300].join("+ ");
        let sql = without_comments(&long);
        assert_eq!(sql, vec!["a    \n"; 300].join("+ ").trim());
        // Without comments the text is kept as written (trimmed).
        assert_eq!(without_comments("  (A  >  0)\n"), "(A  >  0)");
        for s in [
            "1 -- one",
            "b > 0 -- positive",
            "a /* x */ + 1",
            "case when a > 0 -- pos\n then 1 /* one */ else 0 end",
            "coalesce(a, /* none */ 0)",
        ] {
            let sql = without_comments(s);
            assert!(
                !sql.contains("--") && !sql.contains("/*"),
                "`{s}` -> `{sql}`"
            );
        }
    }

    #[test]
    fn operators_hiding_comments_are_rejected() {
        for (s, at) in [
            ("a @-- c", 3),
            ("a ||-- c", 4),
            ("a -/* c */ b", 3),
            ("a ~--c\n", 3),
        ] {
            let e = Expr::parse(s).unwrap_err();
            assert_eq!(e.offset, Some(at), "{s}: {e:?}");
            assert!(e.message.contains("comment"), "{s}: {e:?}");
        }
        assert!(Expr::parse("a + -- c\n1").is_ok());
        assert_eq!(without_comments("a +-- c\n1"), "a + \n1");
        assert_eq!(without_comments("a @ /* c */ b"), "a @   b");
        assert!(Expr::parse("a @> b").is_ok());
    }

    #[test]
    fn function_names() {
        let f = |s: &str| -> Vec<String> {
            Expr::parse(s)
                .unwrap_or_else(|e| panic!("{s}: {e}"))
                .function_names()
                .into_iter()
                .collect()
        };
        assert_eq!(
            f("coalesce(lower(a), gen_random_uuid()::text)"),
            ["coalesce", "gen_random_uuid", "lower"]
        );
        assert_eq!(f("now()"), ["now"]);
        assert_eq!(f("NOW()"), ["now"]);
        assert_eq!(f("pg_catalog.now()"), ["now"]);
        assert_eq!(f("'x()'"), Vec::<String>::new());
        assert_eq!(f("a + 1"), Vec::<String>::new());
        assert_eq!(f("CURRENT_TIMESTAMP"), ["current_timestamp"]);
        assert_eq!(f("current_date + 1"), ["current_date"]);
        assert_eq!(f("LOCALTIMESTAMP(0)"), ["localtimestamp"]);
        assert_eq!(f("nextval('s'::regclass)"), ["nextval"]);
        assert_eq!(f("(random() * 10)::int"), ["random"]);
        assert_eq!(
            f("case when a > 0 then clock_timestamp() else statement_timestamp() end"),
            ["clock_timestamp", "statement_timestamp"]
        );
        assert_eq!(f("array[random(), abs(-1)]"), ["abs", "random"]);
        assert_eq!(f("f(g(h(1)))"), ["f", "g", "h"]);
        assert_eq!(
            f("make_interval(days => extract(day from now())::int)"),
            ["extract", "make_interval", "now"]
        );
        assert_eq!(f("ts at time zone 'UTC'"), ["timezone"]);
        assert_eq!(f("substring(a from 2)"), ["substring"]);
        assert_eq!(f("trim(leading 'x' from a)"), ["ltrim"]);
        assert_eq!(f("a in (1, random())"), ["random"]);
        assert_eq!(f("a between lower(b) and upper(b)"), ["lower", "upper"]);
        assert_eq!(f("arr[length(a)]"), ["length"]);
        assert_eq!(f("public.my_func(a)"), ["my_func"]);
        assert_eq!(
            f("count(*) filter (where random() > 0)"),
            ["count", "random"]
        );
        let long = vec!["f(a)"; 1500].join(" and ");
        assert_eq!(f(&long), ["f"]);
    }

    #[test]
    fn errors() {
        let err = |s: &str| Expr::parse(s).unwrap_err();
        assert_eq!(err("").offset, None);
        assert_eq!(err("   ").message, "empty expression");
        let e = err("a > 0 foo");
        assert_eq!(e.offset, Some(6), "{e:?}");
        let e = err("1; drop table x");
        assert_eq!(e.offset, Some(1), "{e:?}");
        let e = err("a > ");
        assert!(e.message.contains("Expected"), "{e:?}");
        let e = err("a >\n  )");
        assert_eq!(e.offset, Some(6), "{e:?}");
        let e = err("'\u{e9}' = ) ");
        assert_eq!(e.offset, Some(7), "{e:?}");
        assert!(Expr::parse("'unterminated").is_err());
        assert!(Expr::parse("a > 0)").is_err());
        assert!(Expr::parse("(a > 0").is_err());
    }

    #[test]
    fn never_panics() {
        let deep_ok = format!("{}1{}", "(".repeat(200), ")".repeat(200));
        assert_eq!(canon(&deep_ok), "1");
        let too_deep = format!("{}1{}", "(".repeat(201), ")".repeat(201));
        assert!(Expr::parse(&too_deep).is_err());
        let very_deep = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(Expr::parse(&very_deep).is_err());
        let unbalanced = "(".repeat(100_000);
        assert!(Expr::parse(&unbalanced).is_err());
        let long_chain = vec!["a"; 5000].join(" + ");
        let _ = Expr::parse(&long_chain);
        let long_and = vec!["a > 0"; 3000].join(" and ");
        let _ = Expr::parse(&long_and);
        let minus = format!("{}a", "- ".repeat(5000));
        let _ = Expr::parse(&minus);
        let nots = format!("{}a", "not ".repeat(5000));
        let _ = Expr::parse(&nots);
        for s in [
            "\u{0}",
            "'",
            "\"",
            "$$",
            "e'\\",
            "1e999999999999",
            "1e",
            "::",
            "a::",
            "()",
            "[]",
            "ARRAY[",
            "x in ()",
            "🦀",
            "\"🦀\" > 'ü'",
            "1.2.3",
            "0x1F",
            "$1",
            "?",
            "*",
            "a.*",
            "count(*)",
            "f(distinct a)",
            "(select 1)",
            "exists (select 1)",
            "a = any(select 1)",
            "x::",
            "interval '1' day",
            "b'101'",
            "x'ff'",
            "u&'d\\0061t'",
            "row(1, 2)",
            "(1, 2)",
            "a[1:2]",
            "(a).b",
            "array[[1,2],[3,4]]",
            "-0",
            "- -1",
            "1e-3",
            "-.5e2",
            "9e1000",
        ] {
            let _ = Expr::parse(s);
        }
    }

    #[test]
    fn number_canonicalisation() {
        let n = |s: &str| canonical_number(s).unwrap();
        assert_eq!(n("1.5e3"), "1500");
        assert_eq!(n("1.50e1"), "15.0");
        assert_eq!(n("1.5e-3"), "0.0015");
        assert_eq!(n("007"), "7");
        assert_eq!(n(".5"), "0.5");
        assert_eq!(n("-0"), "0");
        assert_eq!(n("-12.30"), "-12.30");
        assert_eq!(canonical_number("1.2.3"), None);
        assert_eq!(canonical_number("abc"), None);
        assert_eq!(canonical_number(""), None);
        assert_eq!(canonical_number("-"), None);
    }

    #[test]
    fn serde_round_trip_uses_sql() {
        let e = Expr::parse(" lower(Name) ").unwrap();
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(json, "\"lower(Name)\"");
        let back: Expr = serde_json::from_str(&json).unwrap();
        assert_eq!(back, e);
        assert_eq!(back.sql(), "lower(Name)");
        assert!(serde_json::from_str::<Expr>("\"a >\"").is_err());
    }
}
