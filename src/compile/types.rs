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
    Integer { bits: u8 },
    /// `numeric(p,s)`; `None` when unconstrained.
    Numeric { precision: Option<u32>, scale: Option<i32> },
    /// real (32) / double precision (64).
    Float { bits: u8 },
    /// varchar(n)/char(n)/text; `max_len` None when unlimited.
    Text { max_len: Option<u32>, fixed: bool },
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

/// A bad type string: message plus a one-line hint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeError {
    pub message: String,
    pub hint: String,
}

/// Parse a type string (case-insensitive for built-ins).
pub fn parse_type(_input: &str) -> Result<TypeSpec, TypeError> {
    unimplemented!("types helper")
}

/// Canonical spellings of every built-in type name accepted, for "did you mean" hints.
pub fn known_type_names() -> &'static [&'static str] {
    &[]
}
