//! Type canonicalisation: accept PostgreSQL's spellings and aliases, produce exactly what
//! `format_type()` prints.

/// What a `type = "…"` string denotes, before enum names are resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeSpec {
    Builtin {
        ty: BuiltinType,
        /// `serial`/`bigserial`/`smallserial`: integer type + owned sequence default.
        serial: bool,
        array: bool,
    },
    /// Not a built-in name: possibly an enum (`name`, `schema.name`, quoted parts allowed).
    Named { parts: Vec<String>, array: bool },
}

/// A built-in type in canonical form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuiltinType {
    /// Exactly as `format_type()` prints it, e.g. `numeric(10,2)`, `character varying(50)`,
    /// `timestamp(3) with time zone`.
    pub canonical: String,
    pub family: TypeFamily,
}

/// Enough structure to validate defaults (and, later, classify type changes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeFamily {
    /// smallint (16), integer (32), bigint (64).
    Integer {
        bits: u8,
    },
    /// `numeric(p,s)`; `None` when unconstrained.
    Numeric {
        precision: Option<u32>,
        scale: Option<i32>,
    },
    /// real (32) / double precision (64).
    Float {
        bits: u8,
    },
    /// varchar(n)/char(n)/text; `max_len` None when unlimited.
    Text {
        max_len: Option<u32>,
        fixed: bool,
    },
    Boolean,
    Date,
    Time,
    Timestamp,
    Interval,
    Uuid,
    Json,
    Bytea,
    Network,
    Tsvector,
}

/// Whether PostgreSQL accepts a foreign key from a column of built-in type `fk` to a key of
/// type `key` (both as `format_type()` prints them, neither an array): it needs an equality
/// operator of the key's operator family between the two types, or an implicit cast of `fk`
/// to `key`. So integers of any width reference each other (`integer_ops` is cross-type), an
/// integer may reference a `numeric` or floating-point key and a `numeric` a floating-point
/// one (implicit casts), `real`/`double precision` each other, `date`/`timestamp`/
/// `timestamptz` each other (`datetime_ops`), the text types each other, `time` a `timetz`
/// or `interval`, `inet`/`cidr` each other, `macaddr` a `macaddr8`; the same type with
/// another modifier (`numeric(10,2)` → `numeric(12,2)`) is the same type. Anything else is
/// refused, as PostgreSQL refuses it ("foreign key constraint … cannot be implemented").
/// Checked pair by pair against PostgreSQL 15 in `tests/table_gaps.rs`.
pub fn fk_compatible(fk: &str, key: &str) -> bool {
    if fk == key {
        return true;
    }
    let builtin = |t: &str| match parse_type(t) {
        Ok(TypeSpec::Builtin {
            ty,
            serial: false,
            array: false,
        }) => Some(ty),
        _ => None,
    };
    let (Some(a), Some(b)) = (builtin(fk), builtin(key)) else {
        return false;
    };
    let name = |t: &BuiltinType| match t.canonical.split_once('(') {
        Some((head, rest)) => format!(
            "{head}{}",
            rest.split_once(')').map_or("", |(_, tail)| tail)
        ),
        None => t.canonical.clone(),
    };
    let (na, nb) = (name(&a), name(&b));
    if na == nb {
        return true;
    }
    let with_zone = |n: &str| n.contains("with time zone");
    use TypeFamily as F;
    match (&a.family, &b.family) {
        (F::Integer { .. }, F::Integer { .. } | F::Numeric { .. } | F::Float { .. }) => true,
        (F::Numeric { .. }, F::Float { .. }) => true,
        (F::Float { .. }, F::Float { .. }) => true,
        (F::Text { .. }, F::Text { .. }) => true,
        (F::Date | F::Timestamp, F::Date | F::Timestamp) => true,
        (F::Time, F::Time) => !with_zone(&na),
        (F::Time, F::Interval) => !with_zone(&na),
        (F::Network, F::Network) => {
            let inet = |n: &str| n == "inet" || n == "cidr";
            (inet(&na) && inet(&nb)) || (na == "macaddr" && nb == "macaddr8")
        }
        _ => false,
    }
}

/// A bad type string: message plus a one-line hint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeError {
    pub message: String,
    pub hint: String,
}

/// Largest `numeric` precision PostgreSQL 15 accepts (`NUMERIC_MAX_PRECISION`).
pub const NUMERIC_MAX_PRECISION: i64 = 1000;
/// Smallest / largest `numeric` scale PostgreSQL 15 accepts (`NUMERIC_MIN_SCALE`/`NUMERIC_MAX_SCALE`).
pub const NUMERIC_MIN_SCALE: i64 = -1000;
pub const NUMERIC_MAX_SCALE: i64 = 1000;
/// Longest `varchar(n)` / `char(n)` PostgreSQL allows (`MaxAttrSize`).
pub const MAX_CHAR_LENGTH: i64 = 10_485_760;
/// Largest fractional-seconds precision of time, timestamp and interval.
pub const MAX_TIME_PRECISION: i64 = 6;

/// Every name `parse_type` recognises as built-in (lower case, single spaces). Multi-word
/// spellings are listed whole; `(n)` modifiers and `[]` are not part of a name.
const KNOWN_TYPE_NAMES: &[&str] = &[
    "integer",
    "int",
    "int4",
    "bigint",
    "int8",
    "smallint",
    "int2",
    "serial",
    "serial4",
    "bigserial",
    "serial8",
    "smallserial",
    "serial2",
    "numeric",
    "decimal",
    "dec",
    "character varying",
    "char varying",
    "varchar",
    "national character varying",
    "national char varying",
    "nchar varying",
    "character",
    "char",
    "national character",
    "national char",
    "nchar",
    "bpchar",
    "text",
    "boolean",
    "bool",
    "real",
    "float4",
    "double precision",
    "float8",
    "float",
    "date",
    "time",
    "time without time zone",
    "time with time zone",
    "timetz",
    "timestamp",
    "timestamp without time zone",
    "timestamp with time zone",
    "timestamptz",
    "interval",
    "uuid",
    "json",
    "jsonb",
    "bytea",
    "inet",
    "cidr",
    "macaddr",
    "macaddr8",
    "tsvector",
];

/// Parse a type string (case-insensitive for built-ins).
///
/// Built-in spellings are matched word by word, case-insensitively, with any ASCII whitespace
/// between words and around `(`, `,`, `)`, `[`, `]`. Anything whose leading words are not a
/// built-in spelling is read as a (possibly schema-qualified, possibly quoted) type name and
/// returned as [`TypeSpec::Named`] with its parts exactly as written (case-sensitive).
///
/// Where this is stricter than PostgreSQL 15 (documented so callers are not surprised):
/// * an out-of-range fractional-seconds precision (`timestamp(7)`) is an error, where
///   PostgreSQL only warns and clamps it to 6;
/// * quoted spellings of built-ins (`"int4"`, `"varchar"`) and `pg_catalog.`-qualified ones
///   are taken as [`TypeSpec::Named`] (the compiler reports them as unknown);
/// * names of more than two parts (`db.schema.type`) are an error;
/// * whitespace inside a qualified name (`public . mood`) is an error.
///
/// Interpretations:
/// * `bpchar` without a length is accepted and canonicalised to `bpchar` (what PostgreSQL 15's
///   `format_type(atttypid, atttypmod)` prints for it; unlike `char`, it is *not*
///   `character(1)`), family `Text { max_len: None, fixed: true }`; `bpchar(n)` is
///   `character(n)`;
/// * `float(p)` becomes `real` (p 1–24) or `double precision` (25–53), family `Float`;
/// * `time`/`timetz` are both `TypeFamily::Time`, `timestamp`/`timestamptz` both `Timestamp`
///   (the canonical string keeps the zone and precision);
/// * `json`/`jsonb` are both `TypeFamily::Json`; inet, cidr, macaddr, macaddr8 are `Network`;
/// * `numeric(p)` is `numeric(p,0)`, family `Numeric { precision: Some(p), scale: Some(0) }`;
/// * array bounds (`[3]`, `[3][4]`, `ARRAY[3]`) are accepted and dropped, as PostgreSQL does;
/// * types without a `TypeFamily` (money, xml, oid, point, tsquery, …) are not built-ins
///   here and come back as `TypeSpec::Named`.
pub fn parse_type(input: &str) -> Result<TypeSpec, TypeError> {
    if input.trim().is_empty() {
        return Err(err(
            "empty type".to_string(),
            "write a type such as `integer`, `text` or `numeric(10,2)`",
        ));
    }
    let tokens = tokenize(input)?;
    let mut p = Parser {
        input,
        tokens: &tokens,
        pos: 0,
    };
    match p.builtin()? {
        Some((base, serial)) => {
            let array = p.array_suffix()?;
            p.expect_end()?;
            if serial && array {
                return Err(err(
                    format!("array of {} is not supported", base.canonical_serial_name()),
                    "PostgreSQL has no serial arrays: use an integer array instead",
                ));
            }
            Ok(TypeSpec::Builtin {
                ty: base.into_builtin(),
                serial,
                array,
            })
        }
        None => p.named(),
    }
}

/// Canonical spellings of every built-in type name accepted, for "did you mean" hints.
pub fn known_type_names() -> &'static [&'static str] {
    KNOWN_TYPE_NAMES
}

fn err(message: String, hint: &str) -> TypeError {
    TypeError {
        message,
        hint: hint.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Lexing

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    /// Unquoted word; `text` is the source text (case preserved).
    Word(String),
    /// `"quoted identifier"` (content unescaped).
    Quoted,
    /// Run of ASCII digits (source text).
    Number(String),
    LParen,
    RParen,
    Comma,
    LBracket,
    RBracket,
    Dot,
    Minus,
    Plus,
}

#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    start: usize,
    end: usize,
}

/// PostgreSQL's `ident_start`: ASCII letters, `_`, and any non-ASCII character.
fn ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || !c.is_ascii()
}

/// PostgreSQL's `ident_cont`: `ident_start` plus digits and `$`.
fn ident_cont(c: char) -> bool {
    ident_start(c) || c.is_ascii_digit() || c == '$'
}

/// Whitespace as PostgreSQL's lexer defines it (ASCII only).
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c')
}

fn tokenize(input: &str) -> Result<Vec<Token>, TypeError> {
    let mut out = Vec::new();
    let mut it = input.char_indices().peekable();
    while let Some(&(start, c)) = it.peek() {
        if is_space(c) {
            it.next();
            continue;
        }
        let tok = if ident_start(c) {
            let mut end = start;
            while let Some(&(i, c)) = it.peek() {
                if !ident_cont(c) {
                    break;
                }
                end = i + c.len_utf8();
                it.next();
            }
            Tok::Word(input[start..end].to_string())
        } else if c.is_ascii_digit() {
            let mut end = start;
            while let Some(&(i, c)) = it.peek() {
                if !c.is_ascii_digit() {
                    break;
                }
                end = i + 1;
                it.next();
            }
            Tok::Number(input[start..end].to_string())
        } else if c == '"' {
            it.next();
            let mut closed = false;
            let mut empty = true;
            while let Some((_, c)) = it.next() {
                if c == '"' {
                    if matches!(it.peek(), Some(&(_, '"'))) {
                        it.next();
                        empty = false;
                        continue;
                    }
                    closed = true;
                    break;
                }
                empty = false;
            }
            if !closed {
                return Err(err(
                    format!("unterminated quoted identifier in type `{input}`"),
                    "close the name with `\"` (write `\"\"` for a quote inside it)",
                ));
            }
            if empty {
                return Err(err(
                    format!("empty quoted identifier in type `{input}`"),
                    "a quoted name needs at least one character",
                ));
            }
            Tok::Quoted
        } else {
            it.next();
            match c {
                '(' => Tok::LParen,
                ')' => Tok::RParen,
                ',' => Tok::Comma,
                '[' => Tok::LBracket,
                ']' => Tok::RBracket,
                '.' => Tok::Dot,
                '-' => Tok::Minus,
                '+' => Tok::Plus,
                _ => {
                    return Err(err(
                        format!("unexpected character `{c}` in type `{input}`"),
                        "a type is a built-in name such as `numeric(10,2)` or an enum name, optionally followed by `[]`",
                    ));
                }
            }
        };
        let end = match it.peek() {
            Some(&(i, _)) => i,
            None => input.len(),
        };
        out.push(Token { tok, start, end });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Parsing

/// A recognised built-in before it is turned into a [`BuiltinType`].
#[derive(Clone, Debug)]
enum Base {
    Int(u8),
    Numeric(Option<(i64, i64)>),
    Varchar(Option<i64>),
    /// `character(n)`; `None` only for a bare `bpchar`.
    Char(Option<i64>),
    Text,
    Boolean,
    Float(u8),
    Date,
    Time {
        precision: Option<i64>,
        tz: bool,
    },
    Timestamp {
        precision: Option<i64>,
        tz: bool,
    },
    Interval(String),
    Simple(&'static str, TypeFamily),
}

impl Base {
    fn canonical_serial_name(&self) -> &'static str {
        match self {
            Base::Int(16) => "smallserial",
            Base::Int(64) => "bigserial",
            _ => "serial",
        }
    }

    fn into_builtin(self) -> BuiltinType {
        let (canonical, family) = match self {
            Base::Int(bits) => {
                let name = match bits {
                    16 => "smallint",
                    64 => "bigint",
                    _ => "integer",
                };
                (name.to_string(), TypeFamily::Integer { bits })
            }
            Base::Numeric(None) => (
                "numeric".to_string(),
                TypeFamily::Numeric {
                    precision: None,
                    scale: None,
                },
            ),
            Base::Numeric(Some((p, s))) => (
                format!("numeric({p},{s})"),
                TypeFamily::Numeric {
                    precision: Some(p as u32),
                    scale: Some(s as i32),
                },
            ),
            Base::Varchar(n) => (
                match n {
                    Some(n) => format!("character varying({n})"),
                    None => "character varying".to_string(),
                },
                TypeFamily::Text {
                    max_len: n.map(|n| n as u32),
                    fixed: false,
                },
            ),
            Base::Char(n) => (
                match n {
                    Some(n) => format!("character({n})"),
                    None => "bpchar".to_string(),
                },
                TypeFamily::Text {
                    max_len: n.map(|n| n as u32),
                    fixed: true,
                },
            ),
            Base::Text => (
                "text".to_string(),
                TypeFamily::Text {
                    max_len: None,
                    fixed: false,
                },
            ),
            Base::Boolean => ("boolean".to_string(), TypeFamily::Boolean),
            Base::Float(bits) => (
                if bits == 32 {
                    "real"
                } else {
                    "double precision"
                }
                .to_string(),
                TypeFamily::Float { bits },
            ),
            Base::Date => ("date".to_string(), TypeFamily::Date),
            Base::Time { precision, tz } => (
                format!("time{} {}", paren(precision), zone(tz)),
                TypeFamily::Time,
            ),
            Base::Timestamp { precision, tz } => (
                format!("timestamp{} {}", paren(precision), zone(tz)),
                TypeFamily::Timestamp,
            ),
            Base::Interval(canonical) => (canonical, TypeFamily::Interval),
            Base::Simple(name, family) => (name.to_string(), family),
        };
        BuiltinType { canonical, family }
    }
}

fn paren(precision: Option<i64>) -> String {
    precision.map(|p| format!("({p})")).unwrap_or_default()
}

fn zone(tz: bool) -> &'static str {
    if tz {
        "with time zone"
    } else {
        "without time zone"
    }
}

/// Interval field words, in the order PostgreSQL prints them.
const INTERVAL_FIELDS: &[&str] = &["year", "month", "day", "hour", "minute", "second"];

struct Parser<'a> {
    input: &'a str,
    tokens: &'a [Token],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos).map(|t| &t.tok)
    }

    fn peek_at(&self, offset: usize) -> Option<&Tok> {
        self.tokens.get(self.pos + offset).map(|t| &t.tok)
    }

    /// The lower-cased word `offset` tokens ahead, if it is a word.
    fn word_at(&self, offset: usize) -> Option<String> {
        match self.peek_at(offset) {
            Some(Tok::Word(w)) => Some(w.to_ascii_lowercase()),
            _ => None,
        }
    }

    fn is_word(&self, offset: usize, kw: &str) -> bool {
        self.word_at(offset).as_deref() == Some(kw)
    }

    fn syntax(&self, expected: &str) -> TypeError {
        let found = match self.tokens.get(self.pos) {
            Some(t) => format!("`{}`", &self.input[t.start..t.end]),
            None => "the end".to_string(),
        };
        err(
            format!(
                "cannot parse type `{}`: expected {expected}, found {found}",
                self.input.trim()
            ),
            "a type is a built-in name such as `numeric(10,2)` or `timestamp(3) with time zone`, or an enum name, optionally followed by `[]`",
        )
    }

    /// Recognise a built-in spelling at the start. `Ok(None)`: the leading words are not a
    /// built-in (the input may still be a type name). Returns the base and the serial flag.
    fn builtin(&mut self) -> Result<Option<(Base, bool)>, TypeError> {
        let Some(w0) = self.word_at(0) else {
            return Ok(None);
        };
        // `text.mood`: a schema that happens to be called like a type.
        if self.peek_at(1) == Some(&Tok::Dot) {
            return Ok(None);
        }
        let w1 = self.word_at(1);
        let (base, serial) = match w0.as_str() {
            "int" | "integer" | "int4" => {
                self.pos += 1;
                self.no_modifier("integer")?;
                (Base::Int(32), false)
            }
            "bigint" | "int8" => {
                self.pos += 1;
                self.no_modifier("bigint")?;
                (Base::Int(64), false)
            }
            "smallint" | "int2" => {
                self.pos += 1;
                self.no_modifier("smallint")?;
                (Base::Int(16), false)
            }
            "serial" | "serial4" => {
                self.pos += 1;
                self.no_modifier("serial")?;
                (Base::Int(32), true)
            }
            "bigserial" | "serial8" => {
                self.pos += 1;
                self.no_modifier("bigserial")?;
                (Base::Int(64), true)
            }
            "smallserial" | "serial2" => {
                self.pos += 1;
                self.no_modifier("smallserial")?;
                (Base::Int(16), true)
            }
            "numeric" | "decimal" | "dec" => {
                self.pos += 1;
                (Base::Numeric(self.numeric_modifiers()?), false)
            }
            "varchar" => {
                self.pos += 1;
                (Base::Varchar(self.length("character varying")?), false)
            }
            "character" | "char" | "nchar" | "national" => {
                if w0 == "national" {
                    if !matches!(w1.as_deref(), Some("character" | "char")) {
                        return Ok(None);
                    }
                    self.pos += 1;
                }
                self.pos += 1;
                if self.is_word(0, "varying") {
                    self.pos += 1;
                    (Base::Varchar(self.length("character varying")?), false)
                } else {
                    let n = self.length("character")?.unwrap_or(1);
                    (Base::Char(Some(n)), false)
                }
            }
            "bpchar" => {
                self.pos += 1;
                (Base::Char(self.length("character")?), false)
            }
            "text" => {
                self.pos += 1;
                self.no_modifier("text")?;
                (Base::Text, false)
            }
            "boolean" | "bool" => {
                self.pos += 1;
                self.no_modifier("boolean")?;
                (Base::Boolean, false)
            }
            "real" | "float4" => {
                self.pos += 1;
                self.no_modifier("real")?;
                (Base::Float(32), false)
            }
            "double" => {
                if w1.as_deref() != Some("precision") {
                    return Ok(None);
                }
                self.pos += 2;
                self.no_modifier("double precision")?;
                (Base::Float(64), false)
            }
            "float8" => {
                self.pos += 1;
                self.no_modifier("double precision")?;
                (Base::Float(64), false)
            }
            "float" => {
                self.pos += 1;
                (Base::Float(self.float_precision()?), false)
            }
            "date" => {
                self.pos += 1;
                self.no_modifier("date")?;
                (Base::Date, false)
            }
            "time" | "timestamp" => {
                self.pos += 1;
                let what = w0.as_str();
                let precision = self.time_precision(what)?;
                let tz = self.time_zone_clause()?;
                if what == "time" {
                    (Base::Time { precision, tz }, false)
                } else {
                    (Base::Timestamp { precision, tz }, false)
                }
            }
            "timetz" => {
                self.pos += 1;
                let precision = self.time_precision("time")?;
                (
                    Base::Time {
                        precision,
                        tz: true,
                    },
                    false,
                )
            }
            "timestamptz" => {
                self.pos += 1;
                let precision = self.time_precision("timestamp")?;
                (
                    Base::Timestamp {
                        precision,
                        tz: true,
                    },
                    false,
                )
            }
            "interval" => {
                self.pos += 1;
                (Base::Interval(self.interval_rest()?), false)
            }
            other => {
                let simple = match other {
                    "uuid" => ("uuid", TypeFamily::Uuid),
                    "json" => ("json", TypeFamily::Json),
                    "jsonb" => ("jsonb", TypeFamily::Json),
                    "bytea" => ("bytea", TypeFamily::Bytea),
                    "inet" => ("inet", TypeFamily::Network),
                    "cidr" => ("cidr", TypeFamily::Network),
                    "macaddr" => ("macaddr", TypeFamily::Network),
                    "macaddr8" => ("macaddr8", TypeFamily::Network),
                    "tsvector" => ("tsvector", TypeFamily::Tsvector),
                    _ => return Ok(None),
                };
                self.pos += 1;
                self.no_modifier(simple.0)?;
                (Base::Simple(simple.0, simple.1), false)
            }
        };
        Ok(Some((base, serial)))
    }

    fn no_modifier(&self, name: &str) -> Result<(), TypeError> {
        if self.peek() == Some(&Tok::LParen) {
            return Err(err(
                format!("type {name} does not take a modifier"),
                &format!("write `{name}` without `(…)`"),
            ));
        }
        Ok(())
    }

    /// A possibly signed integer literal. Values too large for `i64` saturate (they are out of
    /// every range anyway); the source text is returned for messages.
    fn integer(&mut self, signed: bool) -> Result<(i64, String), TypeError> {
        let mut negative = false;
        let mut text = String::new();
        if signed && self.peek() == Some(&Tok::Minus) {
            negative = true;
            text.push('-');
            self.pos += 1;
        }
        let Some(Tok::Number(digits)) = self.peek() else {
            return Err(self.syntax("an integer"));
        };
        let digits = digits.clone();
        self.pos += 1;
        text.push_str(&digits);
        let magnitude = digits.parse::<i64>().unwrap_or(i64::MAX);
        Ok((if negative { -magnitude } else { magnitude }, text))
    }

    /// `( int [, int …] )` if present: the raw list of modifiers.
    fn modifier_list(&mut self, signed: bool) -> Result<Option<Vec<(i64, String)>>, TypeError> {
        if self.peek() != Some(&Tok::LParen) {
            return Ok(None);
        }
        self.pos += 1;
        let mut values = vec![self.integer(signed)?];
        loop {
            match self.peek() {
                Some(Tok::Comma) => {
                    self.pos += 1;
                    values.push(self.integer(signed)?);
                }
                Some(Tok::RParen) => {
                    self.pos += 1;
                    return Ok(Some(values));
                }
                _ => return Err(self.syntax("`,` or `)`")),
            }
        }
    }

    /// Exactly one unsigned modifier, if any.
    fn single_modifier(&mut self, name: &str) -> Result<Option<(i64, String)>, TypeError> {
        match self.modifier_list(false)? {
            None => Ok(None),
            Some(mut v) if v.len() == 1 => Ok(v.pop()),
            Some(v) => Err(err(
                format!("type {name} takes one modifier, got {}", v.len()),
                &format!("write `{name}(n)`"),
            )),
        }
    }

    fn numeric_modifiers(&mut self) -> Result<Option<(i64, i64)>, TypeError> {
        let Some(values) = self.modifier_list(true)? else {
            return Ok(None);
        };
        if values.len() > 2 {
            return Err(err(
                format!(
                    "numeric takes at most two modifiers (precision, scale), got {}",
                    values.len()
                ),
                "write `numeric`, `numeric(p)` or `numeric(p,s)`",
            ));
        }
        let (p, p_text) = &values[0];
        if !(1..=NUMERIC_MAX_PRECISION).contains(p) {
            return Err(err(
                format!("numeric precision {p_text} is out of range"),
                &format!("precision must be between 1 and {NUMERIC_MAX_PRECISION} (PostgreSQL 15)"),
            ));
        }
        let scale = match values.get(1) {
            None => 0,
            Some((s, s_text)) => {
                if !(NUMERIC_MIN_SCALE..=NUMERIC_MAX_SCALE).contains(s) {
                    return Err(err(
                        format!("numeric scale {s_text} is out of range"),
                        &format!(
                            "scale must be between {NUMERIC_MIN_SCALE} and {NUMERIC_MAX_SCALE} (PostgreSQL 15)"
                        ),
                    ));
                }
                *s
            }
        };
        Ok(Some((*p, scale)))
    }

    /// `(n)` of varchar/char: 1..=10485760.
    fn length(&mut self, name: &str) -> Result<Option<i64>, TypeError> {
        let Some((n, text)) = self.single_modifier(name)? else {
            return Ok(None);
        };
        if !(1..=MAX_CHAR_LENGTH).contains(&n) {
            return Err(err(
                format!("{name} length {text} is out of range"),
                &format!("length must be between 1 and {MAX_CHAR_LENGTH}"),
            ));
        }
        Ok(Some(n))
    }

    /// `float(p)`: 1..=24 is real, 25..=53 double precision; bare `float` is double.
    fn float_precision(&mut self) -> Result<u8, TypeError> {
        let Some((p, text)) = self.single_modifier("float")? else {
            return Ok(64);
        };
        match p {
            1..=24 => Ok(32),
            25..=53 => Ok(64),
            _ => Err(err(
                format!("float precision {text} is out of range"),
                "precision must be between 1 and 53 bits (1-24 gives real, 25-53 double precision)",
            )),
        }
    }

    fn time_precision(&mut self, name: &str) -> Result<Option<i64>, TypeError> {
        let Some((p, text)) = self.single_modifier(name)? else {
            return Ok(None);
        };
        check_time_precision(name, p, &text)?;
        Ok(Some(p))
    }

    /// Optional `with time zone` / `without time zone`.
    fn time_zone_clause(&mut self) -> Result<bool, TypeError> {
        let tz = match self.word_at(0).as_deref() {
            Some("with") => true,
            Some("without") => false,
            _ => return Ok(false),
        };
        if self.is_word(1, "time") && self.is_word(2, "zone") {
            self.pos += 3;
            Ok(tz)
        } else {
            self.pos += 1;
            Err(self.syntax("`time zone`"))
        }
    }

    /// After `interval`: nothing, `(p)`, or fields (`year to month`, `second(3)`, …).
    fn interval_rest(&mut self) -> Result<String, TypeError> {
        if let Some((p, text)) = self.single_modifier("interval")? {
            check_time_precision("interval", p, &text)?;
            return Ok(format!("interval({p})"));
        }
        let Some(first) = self.interval_field() else {
            return Ok("interval".to_string());
        };
        let mut out = format!("interval {first}");
        let mut last = first;
        if self.is_word(0, "to") {
            self.pos += 1;
            let Some(second) = self.interval_field() else {
                return Err(self.syntax("an interval field"));
            };
            let allowed = matches!(
                (first, second),
                ("year", "month")
                    | ("day", "hour")
                    | ("day", "minute")
                    | ("day", "second")
                    | ("hour", "minute")
                    | ("hour", "second")
                    | ("minute", "second")
            );
            if !allowed {
                return Err(err(
                    format!("invalid interval range `{first} to {second}`"),
                    "allowed: year to month, day to hour, day to minute, day to second, hour to minute, hour to second, minute to second",
                ));
            }
            out.push_str(" to ");
            out.push_str(second);
            last = second;
        }
        if last == "second" {
            if let Some((p, text)) = self.single_modifier("interval second")? {
                check_time_precision("interval", p, &text)?;
                out.push_str(&format!("({p})"));
            }
        }
        Ok(out)
    }

    fn interval_field(&mut self) -> Option<&'static str> {
        let w = self.word_at(0)?;
        let field = INTERVAL_FIELDS.iter().find(|f| **f == w)?;
        self.pos += 1;
        Some(field)
    }

    /// `[]`, `[n]` (any number of times) or `array` / `array[n]`. True when present.
    fn array_suffix(&mut self) -> Result<bool, TypeError> {
        if self.is_word(0, "array") {
            self.pos += 1;
            if self.peek() == Some(&Tok::LBracket) {
                self.bracket()?;
            }
            return Ok(true);
        }
        let mut array = false;
        while self.peek() == Some(&Tok::LBracket) {
            self.bracket()?;
            array = true;
        }
        Ok(array)
    }

    fn bracket(&mut self) -> Result<(), TypeError> {
        self.pos += 1; // `[`
        if let Some(Tok::Number(_)) = self.peek() {
            let (n, text) = self.integer(false)?;
            if n > i64::from(i32::MAX) {
                return Err(err(
                    format!("array bound {text} is out of range"),
                    "write `[]` (PostgreSQL ignores array bounds anyway)",
                ));
            }
        }
        if self.peek() != Some(&Tok::RBracket) {
            return Err(self.syntax("`]`"));
        }
        self.pos += 1;
        Ok(())
    }

    fn expect_end(&self) -> Result<(), TypeError> {
        if self.pos < self.tokens.len() {
            return Err(self.syntax("the end of the type"));
        }
        Ok(())
    }

    /// A type name (`mood`, `app.mood`, `"Mood"`), optionally an array.
    fn named(&mut self) -> Result<TypeSpec, TypeError> {
        let first = self.pos;
        loop {
            match self.peek() {
                Some(Tok::Word(_) | Tok::Quoted) => self.pos += 1,
                _ => return Err(self.syntax("a type name")),
            }
            if self.peek() == Some(&Tok::Dot) {
                self.pos += 1;
            } else {
                break;
            }
        }
        let name_tokens = &self.tokens[first..self.pos];
        let start = name_tokens[0].start;
        let end = name_tokens[name_tokens.len() - 1].end;
        let source = &self.input[start..end];
        if name_tokens.windows(2).any(|w| w[0].end != w[1].start) {
            return Err(err(
                format!("unexpected space in type name `{source}`"),
                "write a qualified name without spaces, e.g. `app.mood`",
            ));
        }
        if self.peek() == Some(&Tok::LParen) {
            let suggestion = did_you_mean(&source.to_ascii_lowercase())
                .map(|s| format!("did you mean `{s}`? "))
                .unwrap_or_default();
            return Err(err(
                format!("unknown type `{}`", self.input.trim()),
                &format!(
                    "{suggestion}only built-in types such as numeric, varchar, char, time, timestamp and interval take `(…)` modifiers"
                ),
            ));
        }
        let array = self.array_suffix()?;
        self.expect_end()?;
        let parts = crate::sql::split_qualified(source).map_err(|m| {
            err(
                m,
                "write a type name as `name` or `schema.name`, quoting parts with `\"` if needed",
            )
        })?;
        if parts.len() > 2 {
            return Err(err(
                format!("type name `{source}` has {} parts", parts.len()),
                "write a type name as `name` or `schema.name`",
            ));
        }
        Ok(TypeSpec::Named { parts, array })
    }
}

fn check_time_precision(name: &str, p: i64, text: &str) -> Result<(), TypeError> {
    if !(0..=MAX_TIME_PRECISION).contains(&p) {
        return Err(err(
            format!("{name} precision {text} is out of range"),
            &format!("precision must be between 0 and {MAX_TIME_PRECISION}"),
        ));
    }
    Ok(())
}

/// Closest known built-in name to `word` (small edit distance), for error hints.
fn did_you_mean(word: &str) -> Option<&'static str> {
    let mut best: Option<(usize, &'static str)> = None;
    for name in KNOWN_TYPE_NAMES {
        let d = edit_distance(word, name);
        if d <= 2.max(word.len() / 3) && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, name));
        }
    }
    best.map(|(_, n)| n)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(input: &str) -> (String, bool, bool) {
        match parse_type(input) {
            Ok(TypeSpec::Builtin { ty, serial, array }) => (ty.canonical, serial, array),
            other => panic!("{input}: expected a built-in, got {other:?}"),
        }
    }

    /// Every accepted spelling and the canonical form. The right-hand sides were observed on
    /// PostgreSQL 15.18 as `format_type(atttypid, atttypmod)` of a column declared with the
    /// left-hand spelling (serials: the type of the column `serial` expands to).
    const SPELLINGS: &[(&str, &str)] = &[
        ("int", "integer"),
        ("int4", "integer"),
        ("integer", "integer"),
        ("INTEGER", "integer"),
        ("int8", "bigint"),
        ("bigint", "bigint"),
        ("int2", "smallint"),
        ("smallint", "smallint"),
        ("numeric", "numeric"),
        ("decimal", "numeric"),
        ("dec", "numeric"),
        ("numeric(10)", "numeric(10,0)"),
        ("decimal(3)", "numeric(3,0)"),
        ("numeric(10,2)", "numeric(10,2)"),
        ("numeric( 10 , 2 )", "numeric(10,2)"),
        ("numeric(010, 02)", "numeric(10,2)"),
        ("decimal(5,-2)", "numeric(5,-2)"),
        ("numeric(1000,1000)", "numeric(1000,1000)"),
        ("numeric(1000)", "numeric(1000,0)"),
        ("numeric(5,-1000)", "numeric(5,-1000)"),
        ("numeric(1,-1000)", "numeric(1,-1000)"),
        ("dec(3,1)", "numeric(3,1)"),
        ("varchar", "character varying"),
        ("character varying", "character varying"),
        ("Character  Varying(50)", "character varying(50)"),
        ("character varying (12)", "character varying(12)"),
        ("varchar(50)", "character varying(50)"),
        ("varchar(10485760)", "character varying(10485760)"),
        ("char varying(3)", "character varying(3)"),
        ("char varying", "character varying"),
        ("national character varying(4)", "character varying(4)"),
        ("national char varying", "character varying"),
        ("nchar varying(3)", "character varying(3)"),
        ("char", "character(1)"),
        ("character", "character(1)"),
        ("char(5)", "character(5)"),
        ("character(7)", "character(7)"),
        ("national character(3)", "character(3)"),
        ("national char", "character(1)"),
        ("nchar(3)", "character(3)"),
        ("bpchar", "bpchar"),
        ("bpchar(4)", "character(4)"),
        ("text", "text"),
        ("boolean", "boolean"),
        ("bool", "boolean"),
        ("real", "real"),
        ("float4", "real"),
        ("double precision", "double precision"),
        ("DOUBLE   PRECISION", "double precision"),
        ("float8", "double precision"),
        ("float", "double precision"),
        ("float(1)", "real"),
        ("float(24)", "real"),
        ("float(25)", "double precision"),
        ("float(025)", "double precision"),
        ("float(53)", "double precision"),
        ("date", "date"),
        ("time", "time without time zone"),
        ("time without time zone", "time without time zone"),
        ("time(3)", "time(3) without time zone"),
        ("time(0)", "time(0) without time zone"),
        ("timetz", "time with time zone"),
        ("timetz(4)", "time(4) with time zone"),
        ("time with time zone", "time with time zone"),
        ("time(2) with time zone", "time(2) with time zone"),
        ("time (5) with time zone", "time(5) with time zone"),
        ("timestamp", "timestamp without time zone"),
        ("timestamp without time zone", "timestamp without time zone"),
        ("timestamp(3)", "timestamp(3) without time zone"),
        (
            "timestamp(6) without time zone",
            "timestamp(6) without time zone",
        ),
        ("timestamptz", "timestamp with time zone"),
        ("timestamp with time zone", "timestamp with time zone"),
        ("TIMESTAMP WITH TIME ZONE", "timestamp with time zone"),
        ("timestamptz(3)", "timestamp(3) with time zone"),
        ("timestamp(0) with time zone", "timestamp(0) with time zone"),
        ("timestamp(3)with time zone", "timestamp(3) with time zone"),
        ("interval", "interval"),
        ("interval(3)", "interval(3)"),
        ("interval(0)", "interval(0)"),
        ("interval year", "interval year"),
        ("interval month", "interval month"),
        ("interval day", "interval day"),
        ("interval hour", "interval hour"),
        ("interval minute", "interval minute"),
        ("interval second", "interval second"),
        ("interval second(2)", "interval second(2)"),
        ("interval second(3)", "interval second(3)"),
        ("interval year to month", "interval year to month"),
        ("interval day to hour", "interval day to hour"),
        ("interval day to minute", "interval day to minute"),
        ("interval day to second", "interval day to second"),
        ("interval day to second(4)", "interval day to second(4)"),
        ("interval hour to minute", "interval hour to minute"),
        ("interval hour to second(0)", "interval hour to second(0)"),
        ("interval minute to second", "interval minute to second"),
        (
            "interval minute to second(6)",
            "interval minute to second(6)",
        ),
        ("uuid", "uuid"),
        ("json", "json"),
        ("jsonb", "jsonb"),
        ("bytea", "bytea"),
        ("inet", "inet"),
        ("cidr", "cidr"),
        ("macaddr", "macaddr"),
        ("macaddr8", "macaddr8"),
        ("tsvector", "tsvector"),
    ];

    #[test]
    fn canonical_spellings_match_postgres_15() {
        for (input, expected) in SPELLINGS {
            assert_eq!(
                canonical(input),
                (expected.to_string(), false, false),
                "{input}"
            );
        }
    }

    /// Arrays: observed on PostgreSQL 15 as `integer[]`, `character varying(10)[]`,
    /// `timestamp(3) with time zone[]`, `interval year[]`; the `[]` is kept as a flag.
    #[test]
    fn arrays() {
        for (input, expected) in [
            ("int[]", "integer"),
            ("integer[][]", "integer"),
            ("int[3]", "integer"),
            ("int[3][4]", "integer"),
            ("int [ ]", "integer"),
            ("int array", "integer"),
            ("int ARRAY[4]", "integer"),
            ("int[2147483647]", "integer"),
            ("varchar(10)[]", "character varying(10)"),
            (
                "timestamp(3) with time zone[]",
                "timestamp(3) with time zone",
            ),
            ("interval year[]", "interval year"),
        ] {
            assert_eq!(
                canonical(input),
                (expected.to_string(), false, true),
                "{input}"
            );
        }
    }

    #[test]
    fn serials() {
        for (input, expected) in [
            ("serial", "integer"),
            ("serial4", "integer"),
            ("SERIAL", "integer"),
            ("bigserial", "bigint"),
            ("serial8", "bigint"),
            ("smallserial", "smallint"),
            ("serial2", "smallint"),
        ] {
            assert_eq!(
                canonical(input),
                (expected.to_string(), true, false),
                "{input}"
            );
        }
        for bad in ["serial[]", "bigserial[]", "serial array", "serial(3)"] {
            assert!(parse_type(bad).is_err(), "{bad}");
        }
    }

    fn family(input: &str) -> TypeFamily {
        match parse_type(input) {
            Ok(TypeSpec::Builtin { ty, .. }) => ty.family,
            other => panic!("{input}: {other:?}"),
        }
    }

    #[test]
    fn families() {
        assert_eq!(family("int2"), TypeFamily::Integer { bits: 16 });
        assert_eq!(family("serial"), TypeFamily::Integer { bits: 32 });
        assert_eq!(family("bigint[]"), TypeFamily::Integer { bits: 64 });
        assert_eq!(
            family("numeric"),
            TypeFamily::Numeric {
                precision: None,
                scale: None
            }
        );
        assert_eq!(
            family("numeric(7)"),
            TypeFamily::Numeric {
                precision: Some(7),
                scale: Some(0)
            }
        );
        assert_eq!(
            family("decimal(5,-2)"),
            TypeFamily::Numeric {
                precision: Some(5),
                scale: Some(-2)
            }
        );
        assert_eq!(family("float(10)"), TypeFamily::Float { bits: 32 });
        assert_eq!(family("float"), TypeFamily::Float { bits: 64 });
        assert_eq!(
            family("varchar(20)"),
            TypeFamily::Text {
                max_len: Some(20),
                fixed: false
            }
        );
        assert_eq!(
            family("varchar"),
            TypeFamily::Text {
                max_len: None,
                fixed: false
            }
        );
        assert_eq!(
            family("text"),
            TypeFamily::Text {
                max_len: None,
                fixed: false
            }
        );
        assert_eq!(
            family("char"),
            TypeFamily::Text {
                max_len: Some(1),
                fixed: true
            }
        );
        assert_eq!(
            family("bpchar"),
            TypeFamily::Text {
                max_len: None,
                fixed: true
            }
        );
        assert_eq!(family("bool"), TypeFamily::Boolean);
        assert_eq!(family("date"), TypeFamily::Date);
        assert_eq!(family("timetz(2)"), TypeFamily::Time);
        assert_eq!(family("timestamptz"), TypeFamily::Timestamp);
        assert_eq!(family("interval day to second"), TypeFamily::Interval);
        assert_eq!(family("uuid"), TypeFamily::Uuid);
        assert_eq!(family("jsonb"), TypeFamily::Json);
        assert_eq!(family("json"), TypeFamily::Json);
        assert_eq!(family("bytea"), TypeFamily::Bytea);
        assert_eq!(family("macaddr8"), TypeFamily::Network);
        assert_eq!(family("tsvector"), TypeFamily::Tsvector);
    }

    fn named(input: &str) -> (Vec<String>, bool) {
        match parse_type(input) {
            Ok(TypeSpec::Named { parts, array }) => (parts, array),
            other => panic!("{input}: expected a name, got {other:?}"),
        }
    }

    #[test]
    fn names() {
        let v = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(named("mood"), (v(&["mood"]), false));
        assert_eq!(named("Mood"), (v(&["Mood"]), false));
        assert_eq!(named("app.mood[]"), (v(&["app", "mood"]), true));
        assert_eq!(named("app.mood array"), (v(&["app", "mood"]), true));
        assert_eq!(
            named("\"Audit Log\".\"Mood\""),
            (v(&["Audit Log", "Mood"]), false)
        );
        assert_eq!(named("\"a\"\"b.c\" []"), (v(&["a\"b.c"]), true));
        assert_eq!(named("integr"), (v(&["integr"]), false));
        assert_eq!(named("double"), (v(&["double"]), false));
        assert_eq!(named("national"), (v(&["national"]), false));
        assert_eq!(named("text.mood"), (v(&["text", "mood"]), false));
        assert_eq!(named("ñandú"), (v(&["ñandú"]), false));
        assert_eq!(named("a$b"), (v(&["a$b"]), false));
        assert_eq!(named("_x1"), (v(&["_x1"]), false));
        assert_eq!(named("  mood  "), (v(&["mood"]), false));
        // Quoted built-in spellings are names (PostgreSQL accepts `"int4"`, not `"integer"`).
        assert_eq!(named("\"int4\""), (v(&["int4"]), false));
    }

    #[test]
    fn errors_with_hints() {
        let e = parse_type("numeric(0)").unwrap_err();
        assert_eq!(e.message, "numeric precision 0 is out of range");
        assert_eq!(
            e.hint,
            "precision must be between 1 and 1000 (PostgreSQL 15)"
        );
        let e = parse_type("numeric(1001)").unwrap_err();
        assert_eq!(e.message, "numeric precision 1001 is out of range");
        let e = parse_type("numeric(5,1001)").unwrap_err();
        assert_eq!(e.message, "numeric scale 1001 is out of range");
        assert_eq!(
            e.hint,
            "scale must be between -1000 and 1000 (PostgreSQL 15)"
        );
        assert!(parse_type("numeric(5,-1001)").is_err());
        let e = parse_type("numeric(10,2,3)").unwrap_err();
        assert!(e.message.contains("at most two"), "{e:?}");
        let e = parse_type("varchar(0)").unwrap_err();
        assert_eq!(e.message, "character varying length 0 is out of range");
        assert_eq!(e.hint, "length must be between 1 and 10485760");
        assert!(parse_type("varchar(10485761)").is_err());
        assert!(parse_type("char(0)").is_err());
        assert!(parse_type("bpchar(0)").is_err());
        let e = parse_type("timestamp(7)").unwrap_err();
        assert_eq!(e.message, "timestamp precision 7 is out of range");
        assert_eq!(e.hint, "precision must be between 0 and 6");
        assert!(parse_type("timestamptz(7)").is_err());
        assert!(parse_type("time(7) with time zone").is_err());
        assert!(parse_type("interval(7)").is_err());
        assert!(parse_type("interval second(7)").is_err());
        let e = parse_type("float(0)").unwrap_err();
        assert_eq!(e.message, "float precision 0 is out of range");
        assert!(parse_type("float(54)").is_err());
        let e = parse_type("integer(3)").unwrap_err();
        assert_eq!(e.message, "type integer does not take a modifier");
        for bad in [
            "int4(3)",
            "float4(3)",
            "text(3)",
            "uuid(1)",
            "bool(1)",
            "jsonb(2)",
            "float8(2)",
            "double precision(3)",
            "date(1)",
        ] {
            assert!(parse_type(bad).is_err(), "{bad}");
        }
        let e = parse_type("varchar2(10)").unwrap_err();
        assert_eq!(e.message, "unknown type `varchar2(10)`");
        assert!(e.hint.starts_with("did you mean `varchar`?"), "{e:?}");
        assert!(parse_type("mood(3)").is_err());
        let e = parse_type("").unwrap_err();
        assert_eq!(e.message, "empty type");
    }

    #[test]
    fn syntax_errors_never_panic() {
        for bad in [
            "",
            "   ",
            "[]",
            "numeric(",
            "numeric()",
            "numeric(,)",
            "numeric(1,)",
            "numeric(99999999999999999999)",
            "numeric(99999999999999999999,99999999999999999999)",
            "numeric(-99999999999999999999)",
            "numeric(3.5)",
            "numeric(+3)",
            "varchar(-1)",
            "time(-1)",
            "int[",
            "int]",
            "int[-1]",
            "int[2147483648]",
            "int[99999999999999999999999]",
            "int[a]",
            "int ARRAY[3][4]",
            "int int",
            "timestamp with",
            "timestamp with time",
            "timestamp without zone",
            "timestamp without time zone(3)",
            "timetz with time zone",
            "interval(3) year",
            "interval year to",
            "interval month to year",
            "interval year(2)",
            "\"",
            "\"\"",
            "\"abc",
            "a..b",
            ".a",
            "a.",
            "a . b",
            "a.b.c",
            "1abc",
            "mood;drop table x",
            "mood--",
            "(",
            ")",
            ",",
            "🦀(",
            "int\u{0}",
            "numeric(10)[",
            "character varying varying",
            "national varchar",
        ] {
            assert!(
                parse_type(bad).is_err(),
                "{bad:?} should be an error: {:?}",
                parse_type(bad)
            );
        }
        // Odd but valid names, as PostgreSQL's lexer sees them (non-ASCII is identifier text).
        assert!(matches!(parse_type("🦀"), Ok(TypeSpec::Named { .. })));
        assert!(matches!(parse_type("x\u{a0}y"), Ok(TypeSpec::Named { .. })));
    }

    /// Every short combination of awkward pieces parses or errors, never panics.
    #[test]
    fn no_panic_on_combinations() {
        let pieces = [
            "",
            "(",
            ")",
            ",",
            "[",
            "]",
            ".",
            "-",
            "+",
            "\"",
            " ",
            "1",
            "99999999999999999999",
            "é",
            "🦀",
            "int",
            "numeric",
            "varchar",
            "time",
            "with",
            "time zone",
            "interval",
            "second",
            "to",
            "array",
            "x",
            "\\",
            "\u{0}",
        ];
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    let input = format!("{a}{b}{c}");
                    let _ = parse_type(&input);
                    let _ = parse_type(&format!("numeric{input}"));
                    let _ = parse_type(&format!("interval {input}"));
                }
            }
        }
    }

    #[test]
    fn known_names_cover_every_spelling() {
        let names = known_type_names();
        for (input, _) in SPELLINGS {
            let base: String = input
                .split(['(', '['])
                .next()
                .unwrap()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_ascii_lowercase();
            let base = base
                .trim_end_matches(" with time zone")
                .trim_end_matches(" without time zone");
            let base = base
                .split(" ")
                .next()
                .filter(|b| *b == "interval")
                .unwrap_or(base);
            assert!(
                names.contains(&base) || names.contains(&input.to_ascii_lowercase().as_str()),
                "{input} ({base})"
            );
        }
        assert!(
            names
                .iter()
                .all(|n| n.chars().all(|c| !c.is_ascii_uppercase()))
        );
    }
}

/// Check a `type_sql` pass-through type: exactly one SQL data type (`citext`,
/// `geometry(Point,4326)`, `vector(1536)`), nothing else — it is written into DDL verbatim.
/// Returns the type text without trailing `[]` and whether it is an array, so that a
/// snapshot reads back the same value it was written from.
pub fn parse_type_sql(input: &str) -> Result<(String, bool), TypeError> {
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::parser::Parser;
    use sqlparser::tokenizer::Token;

    let mut body = input.trim();
    let mut array = false;
    while let Some(b) = body.strip_suffix("[]") {
        body = b.trim_end();
        array = true;
    }
    let bad = |message: String| {
        TypeError {
        message,
        hint: "`type_sql` takes one type as PostgreSQL prints it, e.g. \"citext\" or \"geometry(Point,4326)\"".into(),
    }
    };
    if body.is_empty() {
        return Err(bad("`type_sql` is empty".into()));
    }
    if body.contains("--") || body.contains("/*") || body.contains(';') || body.contains('\0') {
        return Err(bad(format!(
            "`{input}` is not a single type: comments, `;` and NUL are not allowed"
        )));
    }
    let dialect = PostgreSqlDialect {};
    let mut parser = Parser::new(&dialect)
        .try_with_sql(body)
        .map_err(|e| bad(format!("cannot read type `{input}`: {e}")))?;
    parser
        .parse_data_type()
        .map_err(|e| bad(format!("cannot read type `{input}`: {e}")))?;
    if parser.peek_token().token != Token::EOF {
        return Err(bad(format!("`{input}` is not a single type")));
    }
    Ok((body.to_string(), array))
}

/// A `type_sql` spelling as `format_type()` prints it with `search_path = pg_catalog,
/// public` (the catalog reader's): unquoted identifiers folded to lower case, a `public.`
/// or `pg_catalog.` qualifier dropped; modifiers (`(Point,4326)`) and quoted names kept.
pub fn catalog_spelling(text: &str) -> String {
    let (name, rest) = match text.find('(') {
        Some(i) => (&text[..i], &text[i..]),
        None => (text, ""),
    };
    if name.contains('"') {
        return text.to_string();
    }
    let folded = name.trim().to_ascii_lowercase();
    let unqualified = folded
        .strip_prefix("public.")
        .or_else(|| folded.strip_prefix("pg_catalog."))
        .unwrap_or(&folded);
    format!("{unqualified}{rest}")
}

#[cfg(test)]
mod type_sql_tests {
    use super::parse_type_sql;

    #[test]
    fn accepts_extension_types_and_moves_arrays_to_a_flag() {
        assert_eq!(parse_type_sql("citext").unwrap(), ("citext".into(), false));
        assert_eq!(
            parse_type_sql(" citext[] ").unwrap(),
            ("citext".into(), true)
        );
        assert_eq!(
            parse_type_sql("geometry(Point,4326)").unwrap(),
            ("geometry(Point,4326)".into(), false)
        );
        assert_eq!(
            parse_type_sql("vector(1536)").unwrap(),
            ("vector(1536)".into(), false)
        );
        assert_eq!(
            parse_type_sql("public.hstore").unwrap(),
            ("public.hstore".into(), false)
        );
    }

    #[test]
    fn rejects_anything_but_one_type() {
        for bad in [
            "",
            "[]",
            "int, x int); drop table if exists y; create table z (a int",
            "citext -- comment",
            "citext /* c */",
            "int primary key",
            "text collate \"C\"",
            "int not null",
        ] {
            assert!(parse_type_sql(bad).is_err(), "{bad}");
        }
    }
}
