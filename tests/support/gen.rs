//! Random valid schema projects for the round-trip property test (`tests/roundtrip.rs`).
//!
//! [`schema`] turns a seed into a complete project (`schemactl.toml` plus schema files) that
//! must compile; [`evolved`] turns the same seed into an additive second version of it (or
//! `None` for about two thirds of the seeds). Everything is deterministic: a seed always gives
//! the same bytes, so a failing seed reproduces with `SCHEMACTL_ROUNDTRIP_SEED=<seed>`.
//!
//! The generator keeps its own small description of the project ([`Project`]) and renders
//! TOML from it, so the evolution step can add objects to the same description. It knows the
//! rules a valid project must follow (types of FK columns equal their targets, names unique
//! and at most 63 bytes, no unique constraint repeating another, enums not named like tables,
//! unqualified references resolvable, …) and generates only what follows them.

use std::collections::BTreeSet;
use std::fmt::Write as _;

/// Random changes of a generated project (a child module: it works on the private
/// description below).
#[path = "mutate.rs"]
pub mod mutate;

/// splitmix64: tiny, fast, and good enough to drive a generator.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5eed_5c4e_3a7c_0001)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % ((hi - lo) as u64 + 1)) as i64
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub fn word<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

// ---------------------------------------------------------------------------------------------
// The project description
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Int {
    I2,
    I4,
    I8,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Base {
    Int(Int),
    /// `None`: unconstrained; `Some((p, s))`.
    Numeric(Option<(i64, i64)>),
    Varchar(Option<i64>),
    Char(i64),
    Text,
    Bool,
    Real,
    Double,
    Date,
    /// precision, with time zone
    Time(Option<i64>, bool),
    Timestamp(Option<i64>, bool),
    Interval,
    Uuid,
    Json,
    Jsonb,
    Bytea,
    Inet,
    Cidr,
    Macaddr,
    Tsvector,
    /// Index into `Project::enums`.
    Enum(usize),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Ty {
    base: Base,
    array: bool,
}

impl Ty {
    fn scalar(base: Base) -> Ty {
        Ty { base, array: false }
    }
    fn is_text(&self) -> bool {
        matches!(self.base, Base::Text | Base::Varchar(_) | Base::Char(_))
    }
    fn is_intlike(&self) -> bool {
        !self.array && matches!(self.base, Base::Int(_))
    }
    fn is_number(&self) -> bool {
        !self.array && matches!(self.base, Base::Int(_) | Base::Numeric(_))
    }
}

#[derive(Clone, Debug)]
enum Default {
    /// A TOML literal, already rendered.
    Literal(String),
    Sql(String),
}

#[derive(Clone, Debug)]
enum Special {
    None,
    /// `serial`, `bigserial`, `smallserial` (the Int says which).
    Serial,
    Identity(&'static str),
    Generated(String),
}

#[derive(Clone, Debug)]
struct Inline {
    reference: String,
    actions: Vec<(&'static str, String)>,
    /// The referenced table (schema, name) and column, for the mutator.
    to: (String, String),
    to_cols: Vec<String>,
}

#[derive(Clone, Debug)]
struct Col {
    name: String,
    ty: Ty,
    nullable: bool,
    default: Option<Default>,
    special: Special,
    collation: bool,
    comment: Option<String>,
    primary_key: bool,
    unique: bool,
    references: Option<Inline>,
    /// `renamed_from` (second versions only).
    renamed_from: Option<String>,
}

#[derive(Clone, Debug)]
struct Unique {
    cols: Vec<String>,
    name: Option<String>,
    comment: Option<String>,
    /// `deferrable = "immediate"` or `"deferred"` (never on a key a foreign key references).
    deferrable: Option<&'static str>,
}

#[derive(Clone, Debug)]
struct Check {
    expr: String,
    name: Option<String>,
    /// `validated = false` (NOT VALID) when false.
    validated: bool,
    comment: Option<String>,
}

#[derive(Clone, Debug)]
enum Key {
    Col(String, Option<&'static str>, Option<&'static str>),
    Expr(String, Option<&'static str>),
}

#[derive(Clone, Debug)]
struct Index {
    keys: Vec<Key>,
    name: Option<String>,
    unique: bool,
    method: Option<&'static str>,
    include: Vec<String>,
    predicate: Option<String>,
    /// Btree column keys of text types get their `*_pattern_ops` operator class.
    pattern_ops: bool,
    /// Declared as an exclusion constraint (`[[tables.T.exclusions]]`, every key `WITH =`,
    /// btree or hash, named, never unique) instead of an index.
    exclusion: bool,
    /// The index's comment, or the exclusion constraint's.
    comment: Option<String>,
    /// An exclusion constraint's `deferrable`.
    deferrable: Option<&'static str>,
}

#[derive(Clone, Debug)]
struct Fk {
    name: Option<String>,
    cols: Vec<String>,
    /// The rendered `references = …` value (a TOML inline table).
    target: String,
    actions: Vec<(&'static str, String)>,
    /// The referenced table (schema, name) and columns, for the mutator.
    to: (String, String),
    to_cols: Vec<String>,
    /// `validated = false` (NOT VALID) when false.
    validated: bool,
    comment: Option<String>,
}

#[derive(Clone, Debug)]
struct Table {
    schema: String,
    name: String,
    file: usize,
    comment: Option<String>,
    columns: Vec<Col>,
    /// Table-level `primary_key = [...]`.
    pk: Option<Vec<String>>,
    /// `primary_key_name` (written only while the table has a primary key).
    pk_name: Option<String>,
    /// `primary_key_comment` (written only while the table has a primary key).
    pk_comment: Option<String>,
    /// `primary_key_deferrable` (written only while the table has a primary key; never on a
    /// key a foreign key references).
    pk_deferrable: Option<&'static str>,
    uniques: Vec<Unique>,
    checks: Vec<Check>,
    indexes: Vec<Index>,
    fks: Vec<Fk>,
    /// `renamed_from` (second versions only).
    renamed_from: Option<String>,
    /// `row_level_security`, `force_row_level_security`.
    rls: bool,
    force_rls: bool,
    policies: Vec<Pol>,
    /// `grants = { … }` as written (see `grants`).
    grants: Option<String>,
}

/// A `[tables.T.policies.NAME]` entry.
#[derive(Clone, Debug)]
struct Pol {
    name: String,
    command: &'static str,
    restrictive: bool,
    roles: Vec<String>,
    using: Option<String>,
    with_check: Option<String>,
    comment: Option<String>,
}

impl Table {
    fn col(&self, name: &str) -> &Col {
        self.columns.iter().find(|c| c.name == name).unwrap()
    }

    /// Column sets a foreign key may point at: the primary key and unique constraints.
    fn keys(&self) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        if let Some(pk) = &self.pk {
            out.push(pk.clone());
        }
        for c in &self.columns {
            if c.primary_key || c.unique {
                out.push(vec![c.name.clone()]);
            }
        }
        for u in &self.uniques {
            out.push(u.cols.clone());
        }
        out
    }

    /// The keys a foreign key may reference: not the deferrable ones (PostgreSQL refuses
    /// them).
    pub(crate) fn referencable_keys(&self) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        if let Some(pk) = self.pk.as_ref().filter(|_| self.pk_deferrable.is_none()) {
            out.push(pk.clone());
        }
        for c in &self.columns {
            if (c.primary_key && self.pk_deferrable.is_none()) || c.unique {
                out.push(vec![c.name.clone()]);
            }
        }
        for u in self.uniques.iter().filter(|u| u.deferrable.is_none()) {
            out.push(u.cols.clone());
        }
        out
    }

    fn has_pk(&self) -> bool {
        self.pk.is_some() || self.columns.iter().any(|c| c.primary_key)
    }

    fn key_sets(&self) -> BTreeSet<Vec<String>> {
        self.keys()
            .into_iter()
            .map(|mut k| {
                k.sort();
                k
            })
            .collect()
    }
}

#[derive(Clone, Debug)]
struct Enum {
    schema: String,
    name: String,
    file: usize,
    values: Vec<String>,
    comment: Option<String>,
    /// `renamed_from` and `renamed_values` (old, new) (second versions only).
    renamed_from: Option<String>,
    renamed_values: Vec<(String, String)>,
}

/// A `[sequences.NAME]` entry: options as TOML `key = value` lines.
#[derive(Clone, Debug)]
struct Seq {
    schema: String,
    name: String,
    file: usize,
    options: Vec<String>,
    /// `owned_by` (table, column): rendered only while that table and column exist.
    owned_by: Option<(String, String)>,
    comment: Option<String>,
    /// `renamed_from` (second versions only).
    renamed_from: Option<String>,
}

#[derive(Clone, Debug)]
struct File {
    path: String,
    schema: Option<String>,
}

#[derive(Clone, Debug)]
struct Project {
    schemas: Vec<String>,
    files: Vec<File>,
    /// `[sequences]` (generated with their own random stream, so the rest of a seed's
    /// project is what it was before sequences existed).
    sequences: Vec<Seq>,
    enums: Vec<Enum>,
    tables: Vec<Table>,
    /// Partitioned tables with their partitions (in `public`, written to the first file),
    /// drawn from their own `Rng` so the rest of a seed's project does not change.
    parts: Vec<PartGroup>,
    /// Domains and composite types (all in `public`), and the columns of those types.
    types: UserTypes,
    /// Views and materialized views (their own `Rng`, like sequences and partitions).
    views: Vec<ViewSpec>,
    /// `[extensions.NAME]` (contrib extensions of the server's packages; own `Rng`), written
    /// to the first file.
    extensions: Vec<&'static str>,
    /// Functions and procedures (in `public`; own `Rng`).
    functions: Vec<FnSpec>,
    /// `schema_comment` by schema, written in the first file of the schema (own `Rng`).
    schema_comments: Vec<(String, String)>,
}

/// A partitioned table `name` (columns `id integer`, `k` of the strategy's type, `note
/// text`) and its partitions, named `{name}_p{id}`.
#[derive(Clone, Debug)]
struct PartGroup {
    name: String,
    strategy: PStrategy,
    /// Declared as a plain table (same columns, no partitions): the switch mutation.
    plain: bool,
    /// `primary_key = ["id", "k"]` (not with an expression key).
    pk: bool,
    /// An index on `note` on the parent (copied onto every partition by PostgreSQL).
    parent_index: bool,
    comment: Option<String>,
    parts: Vec<Part>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PStrategy {
    /// RANGE (k integer): slot i is [10 i, 10 i + 10).
    RangeInt,
    /// LIST (lower(k)) on text: slot i is ('v{i}').
    ListExpr,
    /// HASH (k integer), modulus 4: slot i is remainder i.
    Hash,
    /// RANGE (k timestamptz): slot i is month i + 1 of 2021, spelled in UTC or +01.
    RangeTime,
}

impl PStrategy {
    fn slots(self) -> usize {
        match self {
            PStrategy::Hash => 4,
            PStrategy::RangeTime => 11,
            _ => 8,
        }
    }
}

#[derive(Clone, Debug)]
struct Part {
    /// Names the partition; stays when its bounds change.
    id: usize,
    /// `None`: the DEFAULT partition (not for hash).
    slot: Option<usize>,
    /// An index of its own on `id`.
    index: bool,
    /// A check of its own, `id > 0`.
    check: bool,
    /// Sub-partitioned by HASH (id) into two partitions (range on integers only).
    sub: bool,
}

impl PartGroup {
    fn part_name(&self, p: &Part) -> String {
        format!("{}_p{}", self.name, p.id)
    }

    fn free_slots(&self) -> Vec<usize> {
        (0..self.strategy.slots())
            .filter(|i| !self.parts.iter().any(|p| p.slot == Some(*i)))
            .collect()
    }
}

/// A new partition group named `pt{n}` (the first free `n`).
fn part_group(rng: &mut Rng, taken: &[PartGroup]) -> PartGroup {
    let n = (0..)
        .find(|n| !taken.iter().any(|g| g.name == format!("pt{n}")))
        .unwrap_or(0);
    let strategy = *rng.pick(&[
        PStrategy::RangeInt,
        PStrategy::ListExpr,
        PStrategy::Hash,
        PStrategy::RangeTime,
    ]);
    let mut g = PartGroup {
        name: format!("pt{n}"),
        strategy,
        plain: false,
        pk: strategy != PStrategy::ListExpr && rng.chance(50),
        parent_index: rng.chance(40),
        comment: rng.chance(30).then(|| "partitioned".to_string()),
        parts: Vec::new(),
    };
    let count = 1 + rng.below(3);
    for _ in 0..count {
        add_part(rng, &mut g);
    }
    g
}

/// A new partition of `g` in a free slot, or its default partition.
fn add_part(rng: &mut Rng, g: &mut PartGroup) -> bool {
    let free = g.free_slots();
    let has_default = g.parts.iter().any(|p| p.slot.is_none());
    let slot =
        if g.strategy != PStrategy::Hash && !has_default && (free.is_empty() || rng.chance(20)) {
            None
        } else if free.is_empty() {
            return false;
        } else {
            Some(*rng.pick(&free))
        };
    let id = g.parts.iter().map(|p| p.id + 1).max().unwrap_or(0);
    g.parts.push(Part {
        id,
        slot,
        index: rng.chance(30),
        check: rng.chance(25),
        sub: g.strategy == PStrategy::RangeInt && slot.is_some() && rng.chance(20),
    });
    true
}

fn render_part_group(s: &mut String, g: &PartGroup) {
    let key = &g.name;
    writeln!(s, "[tables.{key}]\nschema = \"public\"").unwrap();
    if let Some(c) = &g.comment {
        writeln!(s, "comment = {}", ts(c)).unwrap();
    }
    if g.pk {
        writeln!(s, "primary_key = [\"id\", \"k\"]").unwrap();
    }
    if !g.plain {
        let by = match g.strategy {
            PStrategy::RangeInt | PStrategy::RangeTime => "strategy = \"range\", keys = [\"k\"]",
            PStrategy::ListExpr => "strategy = \"list\", keys = [{ expr = \"lower(k)\" }]",
            PStrategy::Hash => "strategy = \"hash\", keys = [\"k\"]",
        };
        writeln!(s, "partition_by = {{ {by} }}").unwrap();
    }
    let k = match g.strategy {
        PStrategy::ListExpr => "text",
        PStrategy::RangeTime => "timestamptz",
        _ => "integer",
    };
    writeln!(
        s,
        "[tables.{key}.columns]\nid = {{ type = \"integer\" }}\nk = {{ type = \"{k}\" }}\nnote = {{ type = \"text\", nullable = true }}"
    )
    .unwrap();
    if g.parent_index {
        writeln!(s, "[[tables.{key}.indexes]]\ncolumns = [\"note\"]").unwrap();
    }
    s.push('\n');
    if g.plain {
        return;
    }
    for p in &g.parts {
        let name = g.part_name(p);
        writeln!(
            s,
            "[tables.{name}]\nschema = \"public\"\npartition_of = \"{key}\""
        )
        .unwrap();
        let bounds = match (p.slot, g.strategy) {
            (None, _) => "\"default\"".to_string(),
            (Some(i), PStrategy::RangeInt) => {
                format!("{{ from = {}, to = {} }}", i * 10, i * 10 + 10)
            }
            (Some(i), PStrategy::ListExpr) => format!("{{ in = [\"v{i}\"] }}"),
            (Some(i), PStrategy::Hash) => format!("{{ modulus = 4, remainder = {i} }}"),
            (Some(i), PStrategy::RangeTime) => {
                // The same instants, spelled as a date (UTC) or with an offset.
                let spell = |m: usize| {
                    if (m + i) % 2 == 0 {
                        format!("\"2021-{m:02}-01\"")
                    } else {
                        format!("\"2021-{m:02}-01 01:00:00+01\"")
                    }
                };
                format!("{{ from = [{}], to = [{}] }}", spell(i + 1), spell(i + 2))
            }
        };
        writeln!(s, "bounds = {bounds}").unwrap();
        if p.sub {
            writeln!(
                s,
                "partition_by = {{ strategy = \"hash\", keys = [\"id\"] }}"
            )
            .unwrap();
        }
        if p.index {
            writeln!(s, "[[tables.{name}.indexes]]\ncolumns = [\"id\"]").unwrap();
        }
        if p.check {
            writeln!(s, "[[tables.{name}.checks]]\nexpr = \"id > 0\"").unwrap();
        }
        s.push('\n');
        if p.sub {
            for r in 0..2 {
                writeln!(
                    s,
                    "[tables.{name}_h{r}]\nschema = \"public\"\npartition_of = \"{name}\"\nbounds = {{ modulus = 2, remainder = {r} }}\n"
                )
                .unwrap();
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

const TABLE_WORDS: &[&str] = &[
    "orders",
    "customers",
    "items",
    "accounts",
    "members",
    "books",
    "invoices",
    "events",
    "payments",
    "products",
    "regions",
    "teams",
    "tasks",
    "notes",
    "tags",
];
const ODD_TABLES: &[&str] = &[
    "Order Items",
    "weird\"name",
    "MixedCase",
    "dot.ted",
    "user",
    "select",
    "it's",
    "ünïcødé",
    "Tab\tle",
    "UPPER",
];
const COL_WORDS: &[&str] = &[
    "amount",
    "qty",
    "label",
    "code",
    "price",
    "status",
    "kind",
    "starts_on",
    "ends_at",
    "body",
    "email",
    "score",
    "flag",
    "ratio",
    "doc",
    "data",
    "token",
    "ip",
    "net",
    "mac",
    "words",
    "tags",
    "size",
    "rank",
    "total",
    "note",
    "title",
    "owner",
];
const ODD_COLS: &[&str] = &[
    "Has Space",
    "CamelCase",
    "order",
    "dot.ted",
    "q\"uote",
    "it's",
    "ünï",
    "desc",
    "User",
    "new\nline",
];
const ENUM_WORDS: &[&str] = &["mood", "state", "level", "color", "phase", "tier"];
const ODD_ENUMS: &[&str] = &["Weird \"Enum\"", "Mood", "with space", "ünum"];
const ODD_SCHEMAS: &[&str] = &["Sales Dept", "MixedCase", "Audit Log", "we\"ird", "dot.s"];
const PLAIN_SCHEMAS: &[&str] = &["billing", "app", "audit", "hr"];
const ENUM_VALUES: &[&str] = &[
    "ACTIVE",
    "INACTIVE",
    "X",
    "Y",
    "it's",
    "a\"b",
    "x y",
    "Ünï",
    "lower",
    "with,comma",
    "{brace}",
    "NULL",
    "back\\slash",
    "",
];
const TEXTS: &[&str] = &[
    "",
    "hello",
    "it's",
    "back\\slash",
    "q\"x",
    "a,b",
    "NULL",
    " sp",
    "ünïcødé",
    "line\nbreak",
    "tab\there",
    "{x}",
    "-- not a comment",
    "$1",
];
/// Words an expression must quote.
const KEYWORDS: &[&str] = &["user", "select", "order", "desc", "table", "check"];

fn plain(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z' | '_'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
        && !KEYWORDS.contains(&name)
}

/// An identifier as SQL text: bare when it is a plain lower-case word, else double-quoted.
fn qi(name: &str) -> String {
    if plain(name) {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// Always quoted (for variety in references and type names).
fn qq(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// An SQL string literal.
fn lit(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// A TOML basic string.
fn ts(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => write!(out, "\\u{:04X}", c as u32).unwrap(),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A TOML key: bare when possible.
fn tk(key: &str) -> String {
    if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        key.to_string()
    } else {
        ts(key)
    }
}

fn toml_strings(items: &[String]) -> String {
    let parts: Vec<String> = items.iter().map(|s| ts(s)).collect();
    format!("[{}]", parts.join(", "))
}

// ---------------------------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------------------------

struct Gen {
    rng: Rng,
    p: Project,
    /// Every explicit constraint/index name used so far (unique per project).
    names: BTreeSet<String>,
    counter: usize,
    /// Adding the second version.
    evolving: bool,
    /// The first version, while the second is made from it.
    first: Option<Box<Project>>,
}

/// A random valid project for `seed`: `(path, text)` pairs, `schemactl.toml` first.
pub fn schema(seed: u64) -> Vec<(String, String)> {
    let g = first_version(seed);
    render(&g.p)
}

/// An additive second version of `schema(seed)`, for about one seed in three.
pub fn evolved(seed: u64) -> Option<Vec<(String, String)>> {
    let mut g = first_version(seed);
    if !g.rng.chance(34) {
        return None;
    }
    g.evolve();
    Some(render(&g.p))
}

fn first_version(seed: u64) -> Gen {
    let mut g = Gen {
        rng: Rng::new(seed),
        p: Project {
            schemas: vec!["public".into()],
            files: Vec::new(),
            sequences: Vec::new(),
            enums: Vec::new(),
            tables: Vec::new(),
            parts: Vec::new(),
            types: UserTypes::default(),
            views: Vec::new(),
            extensions: Vec::new(),
            functions: Vec::new(),
            schema_comments: Vec::new(),
        },
        names: BTreeSet::new(),
        counter: 0,
        evolving: false,
        first: None,
    };
    g.build();
    add_sequences(&mut g.p, seed);
    let mut r = Rng::new(hash(&[&seed.to_string(), "partitions"]));
    if r.chance(35) {
        for _ in 0..1 + r.below(2) {
            let group = part_group(&mut r, &g.p.parts);
            g.p.parts.push(group);
        }
    }
    // From a generator of their own, so every other object of a seed stays as it was.
    let mut rng = Rng::new(seed ^ 0x5eed_d0a1_c0de_7e57);
    g.p.types = user_types(&mut rng, &g.p);
    let mut rng = Rng::new(hash(&[&seed.to_string(), "views"]));
    if rng.chance(60) {
        for _ in 0..1 + rng.below(3) {
            if let Some(v) = new_view(&mut rng, &g.p) {
                g.p.views.push(v);
            }
        }
    }
    table_gaps(&mut g, seed);
    let mut rng = Rng::new(hash(&[&seed.to_string(), "functions"]));
    if rng.chance(50) {
        for _ in 0..1 + rng.below(3) {
            let f = new_function(&mut rng, &g.p);
            g.p.functions.push(f);
        }
    }
    view_triggers(&mut g, seed);
    row_security(&mut g, seed);
    grants(&mut g, seed);
    part_comments(&mut g, seed);
    more_comments(&mut g, seed);
    deferrables(&mut g, seed);
    let mut rng = Rng::new(hash(&[&seed.to_string(), "extensions"]));
    for e in ["citext", "pg_trgm", "btree_gist", "hstore"] {
        if rng.chance(8) {
            g.p.extensions.push(e);
        }
    }
    g
}

/// Creates the roles generated grants name unless they exist (roles are cluster-wide; parallel tests race).
pub const ROLES_SQL: &str = r#"
DO $$ BEGIN CREATE ROLE sct_gen_reader NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE "sct gen Writer" NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
"#;

/// Table grants (about one table in five) and function grants (one in four), from a
/// generator of their own.
fn grants(g: &mut Gen, seed: u64) {
    let mut rng = Rng::new(hash(&[&seed.to_string(), "grants"]));
    for t in &mut g.p.tables {
        if !rng.chance(20) {
            continue;
        }
        let choices = [
            r#"{ sct_gen_reader = ["select"] }"#,
            r#"{ sct_gen_reader = ["SELECT", "references"], "sct gen Writer" = ["all"] }"#,
            r#"{ public = ["select"], "sct gen Writer" = ["insert", "update", "delete"] }"#,
            "{}",
        ];
        t.grants = Some(rng.pick(&choices).to_string());
    }
    for f in &mut g.p.functions {
        if !rng.chance(25) {
            continue;
        }
        let choices = [
            r#"{ sct_gen_reader = ["execute"] }"#,
            r#"{ public = ["EXECUTE"], "sct gen Writer" = ["all"] }"#,
            "{}",
        ];
        f.grants = Some(*rng.pick(&choices));
    }
}

/// Named primary keys and NOT VALID checks and foreign keys, from a generator of their own
/// (every other object of a seed stays as it was).
fn table_gaps(g: &mut Gen, seed: u64) {
    let mut rng = Rng::new(hash(&[&seed.to_string(), "table-gaps"]));
    for t in 0..g.p.tables.len() {
        if g.p.tables[t].has_pk() && rng.chance(20) {
            g.p.tables[t].pk_name = Some(g.pk_name());
        }
        for c in &mut g.p.tables[t].checks {
            c.validated = !rng.chance(20);
        }
        for f in &mut g.p.tables[t].fks {
            f.validated = !rng.chance(20);
        }
        for ix in &mut g.p.tables[t].indexes {
            ix.pattern_ops = rng.chance(25);
        }
    }
    // Exclusion constraints, drawn from a generator of their own too.
    let saved = std::mem::replace(
        &mut g.rng,
        Rng::new(hash(&[&seed.to_string(), "exclusions"])),
    );
    for t in 0..g.p.tables.len() {
        if g.rng.chance(12) {
            g.add_exclusion(t);
        }
    }
    g.rng = saved;
}

/// Schema comments and comments on a view's (first) output column, from a generator of their
/// own (every other object of a seed stays as it was).
fn more_comments(g: &mut Gen, seed: u64) {
    let saved = std::mem::replace(
        &mut g.rng,
        Rng::new(hash(&[&seed.to_string(), "more-comments"])),
    );
    for schema in g.p.schemas.clone() {
        if g.rng.chance(30) {
            let text = g.text_fitting(200);
            g.p.schema_comments.push((schema, text));
        }
    }
    for v in 0..g.p.views.len() {
        if g.rng.chance(30) {
            let text = g.text_fitting(200);
            g.p.views[v].column_comment = Some(text);
        }
    }
    g.rng = saved;
}

/// Deferrable primary keys, unique and exclusion constraints (about one in eight of each
/// that no foreign key references), from a generator of their own.
fn deferrables(g: &mut Gen, seed: u64) {
    let mut rng = Rng::new(hash(&[&seed.to_string(), "deferrables"]));
    let referenced: BTreeSet<(String, String, Vec<String>)> =
        g.p.tables
            .iter()
            .flat_map(|t| {
                let inline = t.columns.iter().filter_map(|c| c.references.as_ref());
                inline
                    .map(|r| (r.to.clone(), r.to_cols.clone()))
                    .chain(t.fks.iter().map(|f| (f.to.clone(), f.to_cols.clone())))
                    .collect::<Vec<_>>()
            })
            .map(|((schema, name), mut cols)| {
                cols.sort();
                (schema, name, cols)
            })
            .collect();
    let free = |t: &Table, cols: &[String]| {
        let mut cols = cols.to_vec();
        cols.sort();
        !referenced.contains(&(t.schema.clone(), t.name.clone(), cols))
    };
    const KINDS: &[&str] = &["immediate", "deferred"];
    for t in 0..g.p.tables.len() {
        let table = &g.p.tables[t];
        let pk: Option<Vec<String>> = table.pk.clone().or_else(|| {
            let c = table.columns.iter().find(|c| c.primary_key)?;
            Some(vec![c.name.clone()])
        });
        if pk.is_some_and(|pk| free(table, &pk)) && rng.chance(12) {
            g.p.tables[t].pk_deferrable = Some(rng.word(KINDS));
        }
        for u in 0..g.p.tables[t].uniques.len() {
            if free(&g.p.tables[t], &g.p.tables[t].uniques[u].cols) && rng.chance(12) {
                g.p.tables[t].uniques[u].deferrable = Some(rng.word(KINDS));
            }
        }
        for ix in &mut g.p.tables[t].indexes {
            if ix.exclusion && rng.chance(25) {
                ix.deferrable = Some(rng.word(KINDS));
            }
        }
    }
}

/// Comments on primary keys, unique, check, foreign key and exclusion constraints and
/// indexes, from a generator of their own (every other object of a seed stays as it was).
fn part_comments(g: &mut Gen, seed: u64) {
    let saved = std::mem::replace(
        &mut g.rng,
        Rng::new(hash(&[&seed.to_string(), "part-comments"])),
    );
    for t in 0..g.p.tables.len() {
        g.p.tables[t].pk_comment = g.comment();
        let mut table = std::mem::take(&mut g.p.tables[t].uniques);
        for u in &mut table {
            u.comment = g.comment();
        }
        g.p.tables[t].uniques = table;
        let mut checks = std::mem::take(&mut g.p.tables[t].checks);
        for c in &mut checks {
            c.comment = g.comment();
        }
        g.p.tables[t].checks = checks;
        let mut indexes = std::mem::take(&mut g.p.tables[t].indexes);
        for ix in &mut indexes {
            ix.comment = g.comment();
        }
        g.p.tables[t].indexes = indexes;
        let mut fks = std::mem::take(&mut g.p.tables[t].fks);
        for f in &mut fks {
            f.comment = g.comment();
        }
        g.p.tables[t].fks = fks;
    }
    g.rng = saved;
}

/// Triggers on views (about two trigger functions in three, when a plain view can take one), from a
/// generator of their own (every other object of a seed stays as it was).
fn view_triggers(g: &mut Gen, seed: u64) {
    let mut rng = Rng::new(hash(&[&seed.to_string(), "view-triggers"]));
    let plain: Vec<(String, String)> =
        g.p.views
            .iter()
            .filter(|v| !v.materialized)
            .map(|v| (v.source.0.clone(), v.name.clone()))
            .collect();
    if plain.is_empty() {
        return;
    }
    for f in
        g.p.functions
            .iter_mut()
            .filter(|f| f.shape == FnShape::Trigger)
    {
        if !rng.chance(70) {
            continue;
        }
        f.view_trigger = Some(ViewTriggerSpec {
            view: plain[rng.below(plain.len())].clone(),
            instead_of: rng.chance(70),
            before: rng.chance(50),
            events: rng.below(TRIGGER_EVENTS.len()),
        });
    }
}

/// Row-level security flags and policies, from a generator of their own (every other object
/// of a seed stays as it was). Policy expressions are the generator's check expressions, so
/// every change the mutator makes to a column they name keeps them valid.
fn row_security(g: &mut Gen, seed: u64) {
    let saved = std::mem::replace(&mut g.rng, Rng::new(hash(&[&seed.to_string(), "rls"])));
    for t in 0..g.p.tables.len() {
        if g.rng.chance(25) {
            g.p.tables[t].rls = g.rng.chance(80);
            g.p.tables[t].force_rls = g.rng.chance(30);
            for _ in 0..g.rng.below(3) {
                g.add_policy(t);
            }
        }
    }
    g.rng = saved;
}

/// Roles that exist in every cluster (PostgreSQL's predefined roles).
pub(crate) const POLICY_ROLES: &[&str] = &["pg_monitor", "pg_read_all_stats", "pg_signal_backend"];

/// Random options of a sequence, valid for PostgreSQL (as `key = value` TOML lines).
pub(crate) fn sequence_options(rng: &mut Rng) -> Vec<String> {
    let mut o = Vec::new();
    let (ty, hi) = match rng.below(4) {
        0 => (Some("smallint"), i64::from(i16::MAX)),
        1 => (Some("integer"), i64::from(i32::MAX)),
        2 => (Some("bigint"), i64::MAX),
        _ => (None, i64::MAX),
    };
    if let Some(t) = ty {
        o.push(format!("type = \"{t}\""));
    }
    let descending = rng.chance(20);
    let increment = if descending {
        -rng.range(1, 10)
    } else {
        rng.range(1, 10)
    };
    if increment != 1 || rng.chance(20) {
        o.push(format!("increment = {increment}"));
    }
    if descending {
        let max = -rng.range(1, 100);
        if rng.chance(50) {
            o.push(format!("max_value = {max}"));
        }
    } else {
        let min = rng.range(1, 100);
        let max = (min + rng.range(1000, 30000)).min(hi);
        if rng.chance(50) {
            o.push(format!("min_value = {min}"));
            if rng.chance(50) {
                o.push(format!("start = {}", min + rng.range(0, 500)));
            }
        }
        if rng.chance(40) {
            o.push(format!("max_value = {max}"));
        }
    }
    if rng.chance(30) {
        o.push(format!("cache = {}", rng.range(1, 50)));
    }
    if rng.chance(20) {
        o.push(format!("cycle = {}", rng.chance(70)));
    }
    o
}

/// A column of a table of `schema` to own a sequence, if there is one.
fn sequence_owner(rng: &mut Rng, p: &Project, schema: &str) -> Option<(String, String)> {
    let tables: Vec<&Table> = p
        .tables
        .iter()
        .filter(|t| t.schema == schema && !t.columns.is_empty())
        .collect();
    if tables.is_empty() {
        return None;
    }
    let t = tables[rng.below(tables.len())];
    let c = &t.columns[rng.below(t.columns.len())];
    matches!(c.special, Special::None).then(|| (t.name.clone(), c.name.clone()))
}

/// Up to three sequences, some OWNED BY a column of a table in their schema.
fn add_sequences(p: &mut Project, seed: u64) {
    let mut rng = Rng::new(seed ^ 0x0005_e95e_95e9);
    let n = rng.below(4);
    for i in 0..n {
        let schema = rng.pick(&p.schemas).clone();
        let file = rng.below(p.files.len());
        let name = if rng.chance(30) {
            format!("Sq {i} \"odd\"")
        } else {
            format!("sq_{i}")
        };
        let owned_by = if rng.chance(40) {
            sequence_owner(&mut rng, p, &schema)
        } else {
            None
        };
        let comment = rng.chance(20).then(|| format!("sequence {i}"));
        p.sequences.push(Seq {
            schema,
            name,
            file,
            options: sequence_options(&mut rng),
            owned_by,
            comment,
            renamed_from: None,
        });
    }
}

impl Gen {
    fn build(&mut self) {
        let extra = self.rng.below(3);
        for _ in 0..extra {
            let pool = if self.rng.chance(50) {
                ODD_SCHEMAS
            } else {
                PLAIN_SCHEMAS
            };
            let s = self.rng.pick(pool).to_string();
            if !self.p.schemas.contains(&s) {
                self.p.schemas.push(s);
            }
        }
        let files = 1 + self.rng.below(3);
        for i in 0..files {
            let schema = if self.rng.chance(50) {
                Some(self.rng.pick(&self.p.schemas).clone())
            } else {
                None
            };
            let path = if i == 2 {
                "schema/sub/nested.toml".to_string()
            } else {
                format!("schema/f{i}.toml")
            };
            self.p.files.push(File { path, schema });
        }
        let enums = self.rng.below(5);
        for _ in 0..enums {
            self.add_enum();
        }
        let tables = 1 + self.rng.below(8);
        for _ in 0..tables {
            self.add_table();
        }
        // Foreign keys once every table exists (any direction: cycles, self-references).
        for t in 0..self.p.tables.len() {
            let n = self.rng.below(3);
            for _ in 0..n {
                self.add_fk(t);
            }
        }
    }

    /// Objects added on top of the first version; nothing existing changes.
    fn evolve(&mut self) {
        self.evolving = true;
        let old_tables = self.p.tables.len();
        if self.rng.chance(30) {
            self.add_enum();
        }
        let steps = 1 + self.rng.below(5);
        for _ in 0..steps {
            let t = self.rng.below(old_tables);
            match self.rng.below(7) {
                0 => {
                    let c = self.column(t);
                    self.p.tables[t].columns.push(c);
                }
                1 => self.add_index(t),
                2 => self.add_check(t),
                3 => self.add_fk(t),
                4 => self.add_unique(t),
                5 => {
                    if !self.p.tables[t].has_pk() {
                        let name = self.col_name(t);
                        let ty = self.key_type();
                        let mut c = self.plain_col(name.clone(), ty);
                        c.primary_key = true;
                        self.p.tables[t].columns.push(c);
                    } else {
                        self.add_index(t);
                    }
                }
                _ => {
                    self.add_table();
                    let n = self.p.tables.len() - 1;
                    self.add_fk(n);
                }
            }
        }
    }

    fn fresh(&mut self, base: &str) -> String {
        self.counter += 1;
        format!("{base}{}", self.counter)
    }

    /// An explicit constraint or index name, unique in the project and unlike PostgreSQL's
    /// default names.
    fn explicit_name(&mut self) -> String {
        loop {
            let n = self.counter;
            self.counter += 1;
            let name = match self.rng.below(4) {
                0 => format!("Named \"{n}\""),
                1 => format!("cn_{n}"),
                2 => format!("{}_{n}_x", "x".repeat(50)),
                _ => format!("ix{n}"),
            };
            if self.names.insert(name.clone()) {
                return name;
            }
        }
    }

    /// A primary key name no other generated name takes (`pk_{n}`), without the main RNG
    /// or the name counter.
    fn pk_name(&mut self) -> String {
        let mut n = self.names.len();
        loop {
            let name = format!("pk_{n}");
            if self.names.insert(name.clone()) {
                return name;
            }
            n += 1;
        }
    }

    fn maybe_name(&mut self) -> Option<String> {
        self.rng.chance(25).then(|| self.explicit_name())
    }

    fn comment(&mut self) -> Option<String> {
        if !self.rng.chance(15) {
            return None;
        }
        // An empty comment means no comment (`COMMENT ON … IS ''` removes it).
        Some(self.text_fitting(1000))
    }

    fn taken_in_schema(&self, schema: &str, name: &str) -> bool {
        self.p
            .tables
            .iter()
            .any(|t| t.schema == schema && t.name == name)
            || self
                .p
                .enums
                .iter()
                .any(|e| e.schema == schema && e.name == name)
    }

    /// A name for a new table or enum: unique among tables and enums of its schema (a table's
    /// row type and an enum share PostgreSQL's type namespace) and among objects of its kind in
    /// its file (TOML keys `tables.<name>` / `enums.<name>` may appear once per file).
    fn object_name(
        &mut self,
        schema: &str,
        file: usize,
        enum_kind: bool,
        plain_pool: &[&str],
        odd_pool: &[&str],
    ) -> String {
        loop {
            let mut name = match self.rng.below(10) {
                0..=5 => self.rng.pick(plain_pool).to_string(),
                6..=8 => self.rng.pick(odd_pool).to_string(),
                _ => {
                    // Long: default names derived from it get truncated.
                    let mut s = self.rng.pick(plain_pool).to_string();
                    let target = 40 + self.rng.below(24);
                    while s.len() < target {
                        s.push('_');
                        s.push_str(self.rng.word(plain_pool));
                    }
                    s.truncate(target);
                    s
                }
            };
            let taken = |g: &Gen, name: &str| {
                g.taken_in_schema(schema, name)
                    // A new object must not shadow a `public` one that existing unqualified
                    // references resolve to (they would now resolve to the new one).
                    || (g.evolving && schema != "public" && g.taken_in_schema("public", name))
                    || if enum_kind {
                        g.p.enums.iter().any(|e| e.file == file && e.name == name)
                    } else {
                        g.p.tables.iter().any(|t| t.file == file && t.name == name)
                    }
            };
            if taken(self, &name) {
                let base: String = name.chars().take(45).collect();
                name = self.fresh(&format!("{base}_"));
            }
            if !taken(self, &name) && name.len() <= 63 {
                return name;
            }
        }
    }

    fn add_enum(&mut self) {
        let schema = self.rng.pick(&self.p.schemas).clone();
        let file = self.rng.below(self.p.files.len());
        let name = self.object_name(&schema, file, true, ENUM_WORDS, ODD_ENUMS);
        let n = 1 + self.rng.below(5);
        let mut values: Vec<String> = Vec::new();
        while values.len() < n {
            let v = self.rng.pick(ENUM_VALUES).to_string();
            if !v.is_empty() && !values.contains(&v) {
                values.push(v);
            }
        }
        let comment = self.comment();
        self.p.enums.push(Enum {
            schema,
            name,
            file,
            values,
            comment,
            renamed_from: None,
            renamed_values: Vec::new(),
        });
    }

    fn col_name(&mut self, t: usize) -> String {
        let table = &self.p.tables[t];
        let taken = |n: &str| {
            table.columns.iter().any(|c| c.name == n)
                || ["oid", "tableoid", "xmin", "xmax", "cmin", "cmax", "ctid"].contains(&n)
        };
        let mut name = match self.rng.below(10) {
            0..=6 => self.rng.pick(COL_WORDS).to_string(),
            7..=8 => self.rng.pick(ODD_COLS).to_string(),
            _ => {
                let mut s = String::from("long_column");
                let target = 40 + self.rng.below(24);
                while s.len() < target {
                    s.push('_');
                    s.push_str(self.rng.word(COL_WORDS));
                }
                s.truncate(target);
                s
            }
        };
        let mut i = 1;
        while taken(&name) {
            let base: String = name.chars().take(50).collect();
            name = format!("{base}_{i}");
            i += 1;
        }
        name
    }

    /// A type a primary key or unique constraint can use.
    fn key_type(&mut self) -> Ty {
        let base = match self.rng.below(11) {
            0..=2 => Base::Int(*self.rng.pick(&[Int::I2, Int::I4, Int::I8])),
            3 => Base::Numeric(Some((10 + self.rng.range(0, 5), self.rng.range(0, 3)))),
            4 => Base::Varchar(Some(self.rng.range(5, 40))),
            5 => Base::Text,
            6 => Base::Uuid,
            7 => Base::Date,
            8 => Base::Char(self.rng.range(1, 4)),
            9 if !self.p.enums.is_empty() => Base::Enum(self.rng.below(self.p.enums.len())),
            _ => Base::Timestamp(Some(self.rng.range(0, 6)), self.rng.chance(50)),
        };
        Ty::scalar(base)
    }

    fn any_type(&mut self) -> Ty {
        let base = match self.rng.below(26) {
            0 => Base::Int(Int::I2),
            1 | 2 => Base::Int(Int::I4),
            3 => Base::Int(Int::I8),
            4 => Base::Numeric(None),
            5 | 6 => {
                let p = self.rng.range(1, 20);
                let s = match self.rng.below(10) {
                    0 => -self.rng.range(1, 3),
                    1 => p + self.rng.range(0, 2),
                    _ => self.rng.range(0, p),
                };
                Base::Numeric(Some((p, s)))
            }
            7 => Base::Varchar(self.rng.chance(80).then(|| self.rng.range(1, 100))),
            8 => Base::Char(self.rng.range(1, 5)),
            9 | 10 => Base::Text,
            11 => Base::Bool,
            12 => Base::Real,
            13 => Base::Double,
            14 => Base::Date,
            15 => Base::Time(
                self.rng.chance(50).then(|| self.rng.range(0, 6)),
                self.rng.chance(20),
            ),
            16 => Base::Timestamp(
                self.rng.chance(50).then(|| self.rng.range(0, 6)),
                self.rng.chance(50),
            ),
            17 => Base::Interval,
            18 => Base::Uuid,
            19 => Base::Json,
            20 => Base::Jsonb,
            21 => Base::Bytea,
            22 => self
                .rng
                .pick(&[Base::Inet, Base::Cidr, Base::Macaddr])
                .clone(),
            23 => Base::Tsvector,
            _ if !self.p.enums.is_empty() => Base::Enum(self.rng.below(self.p.enums.len())),
            _ => Base::Text,
        };
        let array_ok = matches!(
            base,
            Base::Int(_)
                | Base::Text
                | Base::Varchar(_)
                | Base::Enum(_)
                | Base::Bool
                | Base::Uuid
                | Base::Numeric(Some(_))
                | Base::Date
        );
        let array = array_ok && self.rng.chance(25);
        Ty { base, array }
    }

    fn plain_col(&mut self, name: String, ty: Ty) -> Col {
        Col {
            name,
            ty,
            nullable: false,
            default: None,
            special: Special::None,
            collation: false,
            comment: None,
            primary_key: false,
            unique: false,
            references: None,
            renamed_from: None,
        }
    }

    /// A random column for table `t` (also for one added to an existing table: the tables are
    /// empty, so anything goes).
    fn column(&mut self, t: usize) -> Col {
        let name = self.col_name(t);
        let ty = self.any_type();
        let mut c = self.plain_col(name, ty.clone());
        c.nullable = self.rng.chance(40);
        c.comment = self.comment();
        match self.rng.below(10) {
            0 if ty.is_intlike() => {
                c.nullable = false;
                if self.rng.chance(50) {
                    c.special = Special::Identity(self.rng.word(&["always", "by_default"]));
                } else {
                    c.special = Special::Serial;
                }
            }
            1 => {
                if let Some(g) = self.generated(t, &ty) {
                    c.special = Special::Generated(g);
                }
            }
            2..=4 => c.default = self.literal_default(&ty).map(Default::Literal),
            5 | 6 => c.default = self.sql_default(&ty).map(Default::Sql),
            _ => {}
        }
        if ty.is_text() && self.rng.chance(20) {
            c.collation = true;
        }
        c
    }

    /// A stored generated expression over another column of table `t`, if one fits.
    fn generated(&mut self, t: usize, ty: &Ty) -> Option<String> {
        let table = &self.p.tables[t];
        let sources: Vec<&Col> = table
            .columns
            .iter()
            .filter(|c| {
                matches!(
                    c.special,
                    Special::None | Special::Serial | Special::Identity(_)
                )
            })
            .collect();
        if ty.is_number() {
            let nums: Vec<String> = sources
                .iter()
                .filter(|c| {
                    c.ty.is_intlike() || (matches!(ty.base, Base::Numeric(_)) && c.ty.is_number())
                })
                .map(|c| qi(&c.name))
                .collect();
            if nums.is_empty() {
                return None;
            }
            let src = self.rng.pick(&nums).clone();
            // Keep integer results in range of a smallint column: no rows, so no overflow.
            Some(match self.rng.below(3) {
                0 => format!("{src} * 2"),
                1 => format!("{src} + 1"),
                _ => format!("abs({src})"),
            })
        } else if matches!(ty.base, Base::Text) && !ty.array {
            let texts: Vec<String> = sources
                .iter()
                .filter(|c| c.ty.is_text() && !c.ty.array)
                .map(|c| qi(&c.name))
                .collect();
            if texts.is_empty() {
                return None;
            }
            let src = self.rng.pick(&texts).clone();
            Some(match self.rng.below(3) {
                0 => format!("lower({src})"),
                1 => format!("upper({src})"),
                _ => format!("{src} || 'x'"),
            })
        } else {
            None
        }
    }

    fn numeric_value(&mut self, p: i64, s: i64) -> String {
        // m × 10^-s with 0 ≤ m < 10^p: fits numeric(p,s) exactly (no rounding, no overflow).
        let digits = p.min(15) as u32;
        let m = self.rng.next_u64() % 10u64.pow(digits);
        let m = if self.rng.chance(30) { m % 1000 } else { m };
        let neg = self.rng.chance(30) && m != 0;
        let sign = if neg { "-" } else { "" };
        if s <= 0 {
            let v = m * 10u64.pow((-s) as u32);
            return format!("{sign}{v}");
        }
        let s = s as usize;
        let text = format!("{m:0width$}", width = s + 1);
        let (int, frac) = text.split_at(text.len() - s);
        if self.rng.chance(30) && frac.chars().all(|c| c == '0') {
            format!("{sign}{int}")
        } else {
            format!("{sign}{int}.{frac}")
        }
    }

    /// A TOML literal valid as a default for `ty`.
    fn literal_default(&mut self, ty: &Ty) -> Option<String> {
        if ty.array {
            let n = self.rng.below(4);
            let mut items = Vec::new();
            for _ in 0..n {
                let item = self.literal_default(&Ty::scalar(ty.base.clone()))?;
                items.push(item);
            }
            return Some(format!("[{}]", items.join(", ")));
        }
        let r = self.rng.below(10);
        Some(match &ty.base {
            Base::Int(i) => {
                let (lo, hi) = match i {
                    Int::I2 => (-32768, 32767),
                    Int::I4 => (i32::MIN as i64, i32::MAX as i64),
                    Int::I8 => (i64::MIN, i64::MAX),
                };
                match r {
                    0 => lo.to_string(),
                    1 => hi.to_string(),
                    2 => "0".into(),
                    _ => self.rng.range(-1000, 1000).to_string(),
                }
            }
            Base::Numeric(None) => [
                "-1.5",
                "0",
                "3.14159",
                "1e3",
                "100",
                "-0.001",
                "12345678901234567890",
                "2.50",
            ][r % 8]
                .to_string(),
            Base::Numeric(Some((p, s))) => self.numeric_value(*p, *s),
            Base::Varchar(n) => {
                let max = n.unwrap_or(1000) as usize;
                let t = self.text_fitting(max);
                ts(&t)
            }
            Base::Char(n) => {
                let t = self.text_fitting(*n as usize);
                ts(t.trim_end())
            }
            Base::Text => ts(self.rng.word(TEXTS)),
            Base::Bool => ["true", "false"][r % 2].to_string(),
            Base::Real => [
                "0.5", "1.5", "-2.25", "100", "0.1", "1e-3", "3.4e38", "1.5e3",
            ][r % 8]
                .to_string(),
            Base::Double => {
                ["0.1", "-0.5", "1e300", "2.5e-300", "42", "0.3", "-7", "1.0"][r % 8].to_string()
            }
            Base::Date => ts([
                "2024-02-29",
                "2023-12-31",
                "infinity",
                "-infinity",
                "epoch",
                "1999-01-08",
                "2000-01-01",
                "0001-01-01",
            ][r % 8]),
            Base::Time(_, false) => ts([
                "12:00", "23:59:59", "00:00:00", "08:30:15", "12:00:00", "23:59", "01:02:03",
                "00:00",
            ][r % 8]),
            Base::Time(_, true) => ts([
                "12:00:00+02",
                "23:59:59-05",
                "00:00:00+00",
                "08:30:15+05:30",
                "12:00+01",
                "10:00:00Z",
                "00:00-03",
                "01:02:03.500+0100",
            ][r % 8]),
            Base::Timestamp(_, false) => ts([
                "2024-02-29 13:45:00",
                "2024-01-01",
                "infinity",
                "2000-01-01 00:00:00",
                "1999-12-31 23:59:59",
                "-infinity",
                "2024-01-01T10:00:00",
                "epoch",
                "2024-01-01 10:00:00.5",
                "2024-01-01 10:00:00.123456",
            ][r]),
            Base::Timestamp(_, true) => ts([
                "2024-01-01 10:00:00+02",
                "2024-06-30 12:00:00Z",
                "infinity",
                "2000-01-01 00:00:00+00",
                "2024-02-29 23:00:00-05",
                "epoch",
                "2024-01-01T10:00:00+00:00",
                "1999-12-31 23:59:59+05:30",
                "2024-01-01 10:00:00.125+00",
            ][r % 9]),
            Base::Interval => ts([
                "1 hour",
                "1 day",
                "1 day 2 hours",
                "3 mons",
                "00:30:00",
                "1 year 2 months",
                "-1 day",
                "2 weeks",
            ][r % 8]),
            Base::Uuid => {
                let a = self.rng.next_u64();
                let b = self.rng.next_u64();
                let s = format!(
                    "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
                    a >> 32,
                    (a >> 16) & 0xffff,
                    a & 0xffff,
                    b >> 48,
                    b & 0xffff_ffff_ffff
                );
                ts(&if r < 2 { s.to_uppercase() } else { s })
            }
            Base::Json | Base::Jsonb => ts([
                "{\"k\": [1, 2]}",
                "[]",
                "\"s\"",
                "null",
                "{\"b\":1,\"a\":2}",
                "{}",
                "[1, \"two\", {\"x\": null}]",
                "42",
            ][r % 8]),
            Base::Bytea => ts(["\\x00ff", "\\xDEADBEEF", "abc", "", "\\x01", "it's"][r % 6]),
            Base::Inet => ts([
                "10.0.0.1",
                "192.168.1.0/24",
                "::1",
                "2001:db8::1/64",
                "127.0.0.1/32",
                "10.1.2.3/8",
                "::ffff:1.2.3.4",
                "0.0.0.0",
            ][r % 8]),
            Base::Cidr => ts([
                "10.0.0.0/8",
                "192.168.0.0/16",
                "2001:db8::/32",
                "127.0.0.1/32",
                "0.0.0.0/0",
                "10.1.0.0/16",
                "::/0",
                "172.16.0.0/12",
            ][r % 8]),
            Base::Macaddr => ts([
                "08:00:2b:01:02:03",
                "FF:FF:FF:FF:FF:FF",
                "08-00-2B-01-02-03",
                "0800.2b01.0203",
                "08002b010203",
                "08002b:010203",
            ][r % 6]),
            // tsvector defaults with positions or quoted lexemes are rejected at compile time
            // (use default_sql), so only plain lexemes here.
            Base::Tsvector => ts(["a b", "fat cat", "b a a", "", "hello", "z y x"][r % 6]),
            Base::Enum(e) => {
                let values = &self.p.enums[*e].values;
                ts(&values[self.rng.below(values.len())].clone())
            }
        })
    }

    fn text_fitting(&mut self, max: usize) -> String {
        loop {
            let t = self.rng.pick(TEXTS).to_string();
            if t.chars().count() <= max {
                return t;
            }
        }
    }

    /// A `default_sql` expression for `ty`, if there is one in the list.
    fn sql_default(&mut self, ty: &Ty) -> Option<String> {
        let r = self.rng.below(4);
        let options: &[&str] = match (&ty.base, ty.array) {
            (Base::Timestamp(_, true), false) => &[
                "now()",
                "CURRENT_TIMESTAMP",
                "now() + interval '1 day'",
                "statement_timestamp()",
            ],
            (Base::Timestamp(_, false), false) => &["LOCALTIMESTAMP", "now()"],
            (Base::Date, false) => &["CURRENT_DATE", "CURRENT_DATE + 7"],
            (Base::Uuid, false) => &["gen_random_uuid()"],
            (Base::Text, false) => &["'x'::text", "lower('A')", "upper('x')", "'a' || 'b'"],
            (Base::Varchar(_), false) => &["lower('A')", "'v'"],
            (Base::Int(_), false) => &["1 + 2", "(1 + 2) * 3", "'7'", "-5"],
            (Base::Int(_), true) => &["ARRAY[1,2]", "'{}'", "ARRAY[]::integer[]"],
            (Base::Text, true) => &["'{}'", "ARRAY[]::text[]", "ARRAY['a', 'b']"],
            (Base::Jsonb, false) => &["'{}'::jsonb", "'{}'", "'[1]'::jsonb"],
            (Base::Json, false) => &["'{}'::json", "'[]'"],
            (Base::Bool, false) => &["true", "false", "NOT true", "1 IS NULL", "true AND false"],
            (Base::Numeric(None), false) => &["'NaN'", "1.5", "(2)::numeric"],
            (Base::Double, false) => &["'Infinity'", "pi()", "random()"],
            (Base::Interval, false) => &["interval '1 day'", "'1 hour'::interval"],
            (Base::Time(_, false), false) => &["LOCALTIME", "'12:00'"],
            (Base::Enum(_), false) => {
                let values = self.p.enums[match ty.base {
                    Base::Enum(e) => e,
                    _ => unreachable!(),
                }]
                .values
                .clone();
                return Some(lit(&values[self.rng.below(values.len())]));
            }
            _ => return None,
        };
        Some(options[r % options.len()].to_string())
    }

    fn add_table(&mut self) {
        let schema = self.rng.pick(&self.p.schemas).clone();
        let file = self.rng.below(self.p.files.len());
        let name = self.object_name(&schema, file, false, TABLE_WORDS, ODD_TABLES);
        let comment = self.comment();
        self.p.tables.push(Table {
            schema,
            name,
            file,
            comment,
            columns: Vec::new(),
            pk: None,
            pk_name: None,
            pk_comment: None,
            pk_deferrable: None,
            uniques: Vec::new(),
            checks: Vec::new(),
            indexes: Vec::new(),
            fks: Vec::new(),
            renamed_from: None,
            rls: false,
            force_rls: false,
            policies: Vec::new(),
            grants: None,
        });
        let t = self.p.tables.len() - 1;

        // Primary key.
        match self.rng.below(10) {
            0..=2 => {
                let name = if self.rng.chance(70) {
                    "id".into()
                } else {
                    self.col_name(t)
                };
                let int = *self.rng.pick(&[Int::I2, Int::I4, Int::I8]);
                let mut c = self.plain_col(name, Ty::scalar(Base::Int(int)));
                c.special = if self.rng.chance(50) {
                    Special::Identity(self.rng.word(&["always", "by_default"]))
                } else {
                    Special::Serial
                };
                self.set_pk(t, c);
            }
            3 => {
                let name = self.col_name(t);
                let mut c = self.plain_col(name, Ty::scalar(Base::Uuid));
                c.default = Some(Default::Sql("gen_random_uuid()".into()));
                self.set_pk(t, c);
            }
            4..=6 => {
                let name = self.col_name(t);
                let ty = self.key_type();
                let c = self.plain_col(name, ty);
                self.set_pk(t, c);
            }
            7 | 8 => {
                let n = 2 + self.rng.below(2);
                let mut cols = Vec::new();
                for _ in 0..n {
                    let name = self.col_name(t);
                    let ty = self.key_type();
                    let c = self.plain_col(name.clone(), ty);
                    self.p.tables[t].columns.push(c);
                    cols.push(name);
                }
                self.p.tables[t].pk = Some(cols);
            }
            _ => {}
        }

        let n = 1 + self.rng.below(8);
        for _ in 0..n {
            let c = self.column(t);
            self.p.tables[t].columns.push(c);
        }
        for _ in 0..self.rng.below(3) {
            self.add_unique(t);
        }
        for _ in 0..self.rng.below(4) {
            self.add_check(t);
        }
        for _ in 0..self.rng.below(4) {
            self.add_index(t);
        }
    }

    fn set_pk(&mut self, t: usize, mut c: Col) {
        if self.rng.chance(50) {
            c.primary_key = true;
        } else {
            self.p.tables[t].pk = Some(vec![c.name.clone()]);
        }
        self.p.tables[t].columns.push(c);
    }

    /// Columns usable in a key: no generated columns, btree-comparable scalar types.
    fn keyable(&self, t: usize) -> Vec<String> {
        self.p.tables[t]
            .columns
            .iter()
            .filter(|c| {
                !matches!(c.special, Special::Generated(_))
                    && !c.ty.array
                    && !matches!(c.ty.base, Base::Json | Base::Jsonb | Base::Tsvector)
            })
            .map(|c| c.name.clone())
            .collect()
    }

    fn add_unique(&mut self, t: usize) {
        let mut cand = self.keyable(t);
        if self.rng.chance(50) || cand.is_empty() {
            // A new column for it (also the way to add one to an existing table).
            let name = self.col_name(t);
            let ty = self.key_type();
            let mut c = self.plain_col(name.clone(), ty);
            c.nullable = self.rng.chance(50);
            self.p.tables[t].columns.push(c);
            cand = vec![name];
        }
        let n = 1 + self.rng.below(cand.len().min(3));
        let mut cols = Vec::new();
        while cols.len() < n {
            let c = self.rng.pick(&cand).clone();
            if !cols.contains(&c) {
                cols.push(c);
            }
        }
        let mut sorted = cols.clone();
        sorted.sort();
        if self.p.tables[t].key_sets().contains(&sorted) {
            return;
        }
        let column_form = cols.len() == 1 && self.rng.chance(40);
        let table = &mut self.p.tables[t];
        if column_form {
            let c = table
                .columns
                .iter_mut()
                .find(|c| c.name == cols[0])
                .unwrap();
            c.unique = true;
        } else {
            let name = self.maybe_name();
            self.p.tables[t].uniques.push(Unique {
                cols,
                name,
                comment: None,
                deferrable: None,
            });
        }
    }

    fn add_check(&mut self, t: usize) {
        let table = &self.p.tables[t];
        let cols: Vec<&Col> = table.columns.iter().collect();
        let c = cols[self.rng.below(cols.len())];
        let n = qi(&c.name);
        let ints: Vec<String> = cols
            .iter()
            .filter(|o| o.ty.is_intlike() && o.name != c.name)
            .map(|o| qi(&o.name))
            .collect();
        let expr = if c.ty.is_number() {
            match self.rng.below(5) {
                0 => format!("{n} > 0"),
                1 => format!("{n} BETWEEN 1 AND 10"),
                2 if !ints.is_empty() && c.ty.is_intlike() => {
                    format!("{n} IS NULL OR {n} > {}", self.rng.pick(&ints))
                }
                3 => format!("{n} >= -5"),
                _ => format!("{n} <> 7"),
            }
        } else if c.ty.is_text() && !c.ty.array {
            match self.rng.below(4) {
                0 => format!("{n} LIKE 'a%'"),
                1 => format!("length({n}) < 100"),
                2 => format!("{n} <> ''"),
                _ => format!("{n} IN ('a', 'b c', 'it''s')"),
            }
        } else if let (Base::Enum(e), false) = (&c.ty.base, c.ty.array) {
            let values = self.p.enums[*e].values.clone();
            let k = 1 + self.rng.below(values.len());
            let list: Vec<String> = values[..k].iter().map(|v| lit(v)).collect();
            if k == 1 && self.rng.chance(50) {
                format!("{n} <> {}", list[0])
            } else {
                format!("{n} IN ({})", list.join(", "))
            }
        } else if matches!(c.ty.base, Base::Date) && !c.ty.array {
            format!("{n} > '2020-01-01'")
        } else if matches!(c.ty.base, Base::Bool) && !c.ty.array {
            format!("{n} OR {n} IS NULL")
        } else if c.ty.array {
            format!("cardinality({n}) < 10")
        } else if matches!(c.ty.base, Base::Jsonb) {
            format!("jsonb_typeof({n}) <> 'null'")
        } else {
            format!("{n} IS NOT NULL")
        };
        let name = self.maybe_name();
        self.p.tables[t].checks.push(Check {
            expr,
            name,
            validated: true,
            comment: None,
        });
    }

    /// A check-like expression over a column of table `t` (as [`Gen::add_check`] writes).
    fn check_expr(&mut self, t: usize) -> Option<String> {
        if self.p.tables[t].columns.is_empty() {
            return None;
        }
        self.add_check(t);
        self.p.tables[t].checks.pop().map(|c| c.expr)
    }

    fn add_policy(&mut self, t: usize) {
        let command = self
            .rng
            .word(&["all", "select", "insert", "update", "delete"]);
        let (mut using, mut with_check) = (None, None);
        match command {
            "select" | "delete" => using = self.check_expr(t),
            "insert" => with_check = self.check_expr(t),
            _ => {
                if self.rng.chance(70) {
                    using = self.check_expr(t);
                }
                if using.is_none() || self.rng.chance(50) {
                    with_check = self.check_expr(t);
                }
            }
        }
        if using.is_none() && with_check.is_none() {
            return;
        }
        let mut roles = Vec::new();
        if self.rng.chance(50) {
            for r in POLICY_ROLES {
                if self.rng.chance(50) {
                    roles.push(r.to_string());
                }
            }
        }
        let base = self.rng.word(&["pol", "Own Rows ", "pöl_", "p\"q"]);
        let name = self.fresh(base);
        let comment = self.comment();
        self.p.tables[t].policies.push(Pol {
            name,
            command,
            restrictive: self.rng.chance(30),
            roles,
            using,
            with_check,
            comment,
        });
    }

    fn add_index(&mut self, t: usize) {
        let table = &self.p.tables[t];
        let btree: Vec<String> = table
            .columns
            .iter()
            .filter(|c| !matches!(c.ty.base, Base::Json))
            .map(|c| c.name.clone())
            .collect();
        let texts: Vec<String> = table
            .columns
            .iter()
            .filter(|c| c.ty.is_text() && !c.ty.array)
            .map(|c| c.name.clone())
            .collect();
        // spgist has no default operator class for character(n).
        let spgist: Vec<String> = table
            .columns
            .iter()
            .filter(|c| matches!(c.ty.base, Base::Text | Base::Varchar(_)) && !c.ty.array)
            .map(|c| c.name.clone())
            .collect();
        let ints: Vec<String> = table
            .columns
            .iter()
            .filter(|c| c.ty.is_intlike())
            .map(|c| c.name.clone())
            .collect();
        let gin: Vec<String> = table
            .columns
            .iter()
            .filter(|c| c.ty.array || matches!(c.ty.base, Base::Jsonb | Base::Tsvector))
            .map(|c| c.name.clone())
            .collect();
        let hashable: Vec<String> = table
            .columns
            .iter()
            .filter(|c| {
                !c.ty.array
                    && matches!(
                        c.ty.base,
                        Base::Int(_) | Base::Text | Base::Uuid | Base::Enum(_) | Base::Date
                    )
            })
            .map(|c| c.name.clone())
            .collect();
        let brin: Vec<String> = table
            .columns
            .iter()
            .filter(|c| {
                !c.ty.array
                    && matches!(
                        c.ty.base,
                        Base::Int(_) | Base::Date | Base::Timestamp(..) | Base::Numeric(_)
                    )
            })
            .map(|c| c.name.clone())
            .collect();
        let mut ix = Index {
            keys: Vec::new(),
            name: None,
            unique: false,
            method: None,
            include: Vec::new(),
            predicate: None,
            pattern_ops: false,
            exclusion: false,
            comment: None,
            deferrable: None,
        };
        match self.rng.below(10) {
            0 if !gin.is_empty() => {
                ix.method = Some("gin");
                ix.keys
                    .push(Key::Col(self.rng.pick(&gin).clone(), None, None));
            }
            1 if !hashable.is_empty() => {
                ix.method = Some("hash");
                ix.keys
                    .push(Key::Col(self.rng.pick(&hashable).clone(), None, None));
            }
            2 if !brin.is_empty() => {
                ix.method = Some("brin");
                ix.keys
                    .push(Key::Col(self.rng.pick(&brin).clone(), None, None));
            }
            3 if !spgist.is_empty() => {
                ix.method = Some("spgist");
                ix.keys
                    .push(Key::Col(self.rng.pick(&spgist).clone(), None, None));
            }
            _ if btree.is_empty() => return,
            _ => {
                if self.rng.chance(30) {
                    ix.method = Some("btree");
                }
                let n = 1 + self.rng.below(3.min(btree.len()));
                let mut used = Vec::new();
                for _ in 0..n {
                    if !texts.is_empty() && self.rng.chance(20) {
                        let c = qi(self.rng.pick(&texts).as_str());
                        let e = match self.rng.below(3) {
                            0 => format!("lower({c})"),
                            1 => format!("upper({c})"),
                            _ => format!("({c} || 'x')"),
                        };
                        ix.keys.push(Key::Expr(e, self.order()));
                    } else if !ints.is_empty() && self.rng.chance(10) {
                        let c = qi(self.rng.pick(&ints).as_str());
                        ix.keys.push(Key::Expr(format!("({c} * 2)"), self.order()));
                    } else {
                        let c = self.rng.pick(&btree).clone();
                        if used.contains(&c) {
                            continue;
                        }
                        used.push(c.clone());
                        let order = self.order();
                        let nulls = self
                            .rng
                            .chance(25)
                            .then(|| self.rng.word(&["first", "last"]));
                        ix.keys.push(Key::Col(c, order, nulls));
                    }
                }
                if ix.keys.is_empty() {
                    let c = self.rng.pick(&btree).clone();
                    used.push(c.clone());
                    ix.keys.push(Key::Col(c, None, None));
                }
                ix.unique = self.rng.chance(20);
                if self.rng.chance(20) {
                    let rest: Vec<&String> = btree.iter().filter(|c| !used.contains(c)).collect();
                    if !rest.is_empty() {
                        ix.include.push(rest[self.rng.below(rest.len())].clone());
                    }
                }
            }
        }
        if self.rng.chance(30) {
            ix.predicate = Some(self.predicate(t));
        }
        ix.name = self.maybe_name();
        self.p.tables[t].indexes.push(ix);
    }

    /// An exclusion constraint on table `t`: a new btree or hash index turned into one (its
    /// keys all `WITH =`, which needs no extension), if the index came out with such a method.
    pub(crate) fn add_exclusion(&mut self, t: usize) {
        let before = self.p.tables[t].indexes.len();
        self.add_index(t);
        if self.p.tables[t].indexes.len() == before {
            return;
        }
        let mut ix = self.p.tables[t].indexes.pop().unwrap();
        if !matches!(ix.method, None | Some("btree") | Some("hash")) {
            return;
        }
        // An exclusion constraint's method defaults to gist: say btree.
        ix.method.get_or_insert("btree");
        ix.exclusion = true;
        ix.unique = false;
        ix.pattern_ops = false;
        if ix.name.is_none() {
            ix.name = Some(self.explicit_name());
        }
        self.p.tables[t].indexes.push(ix);
    }

    fn order(&mut self) -> Option<&'static str> {
        match self.rng.below(6) {
            0 => Some("desc"),
            1 => Some("asc"),
            _ => None,
        }
    }

    fn predicate(&mut self, t: usize) -> String {
        let table = &self.p.tables[t];
        let c = &table.columns[self.rng.below(table.columns.len())];
        let n = qi(&c.name);
        if c.ty.is_number() {
            format!("{n} > 0")
        } else if c.ty.is_text() && !c.ty.array {
            format!("{n} <> 'z' AND {n} IS NOT NULL")
        } else if let (Base::Enum(e), false) = (&c.ty.base, c.ty.array) {
            format!("{n} = {}", lit(&self.p.enums[*e].values[0]))
        } else {
            format!("{n} IS NOT NULL")
        }
    }

    /// A foreign key from table `t` to a random key of a random table (maybe `t` itself),
    /// on new columns of the target's types.
    fn add_fk(&mut self, t: usize) {
        let targets: Vec<(usize, Vec<String>)> = (0..self.p.tables.len())
            .flat_map(|i| {
                self.p.tables[i]
                    .referencable_keys()
                    .into_iter()
                    .map(move |k| (i, k))
            })
            .collect();
        if targets.is_empty() {
            return;
        }
        let (target, mut tcols) = targets[self.rng.below(targets.len())].clone();
        if tcols.len() > 1 && self.rng.chance(30) {
            tcols.reverse(); // any order of the key's columns
        }
        let nullable = self.rng.chance(50);
        let mut cols = Vec::new();
        for tc in &tcols {
            let tcol = self.p.tables[target].col(tc).clone();
            let name = self.col_name(t);
            let mut c = self.plain_col(name.clone(), tcol.ty.clone());
            c.nullable = nullable;
            self.p.tables[t].columns.push(c);
            cols.push(name);
        }
        let actions = self.actions();
        let to = (
            self.p.tables[target].schema.clone(),
            self.p.tables[target].name.clone(),
        );
        let inline = cols.len() == 1 && self.rng.chance(40);
        if inline {
            let reference = self.reference_string(t, target, &tcols[0]);
            let c = self.p.tables[t]
                .columns
                .iter_mut()
                .find(|c| c.name == cols[0])
                .unwrap();
            c.references = Some(Inline {
                reference,
                actions,
                to,
                to_cols: tcols,
            });
        } else {
            let target_text = self.reference_table(t, target, &tcols);
            let name = self.maybe_name();
            self.p.tables[t].fks.push(Fk {
                name,
                cols,
                target: target_text,
                actions,
                to,
                to_cols: tcols,
                validated: true,
                comment: None,
            });
        }
    }

    fn actions(&mut self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        const ACTIONS: &[&str] = &[
            "no_action",
            "restrict",
            "cascade",
            "set_null",
            "set_default",
        ];
        if self.rng.chance(40) {
            out.push(("on_delete", ts(self.rng.word(ACTIONS))));
        }
        if self.rng.chance(25) {
            out.push(("on_update", ts(self.rng.word(ACTIONS))));
        }
        if self.rng.chance(30) {
            let d = *self
                .rng
                .pick(&["true", "false", "\"immediate\"", "\"deferred\""]);
            out.push(("deferrable", d.to_string()));
        }
        out
    }

    /// Whether an unqualified table name from schema `from` resolves to table `target`.
    fn unqualified_table_ok(&self, from: &str, target: usize) -> bool {
        let tt = &self.p.tables[target];
        tt.schema == from
            || (tt.schema == "public"
                && !self
                    .p
                    .tables
                    .iter()
                    .any(|o| o.schema == from && o.name == tt.name))
    }

    /// `"table.column"` / `"schema.table.column"` with SQL quoting.
    fn reference_string(&mut self, t: usize, target: usize, col: &str) -> String {
        let from = self.p.tables[t].schema.clone();
        let tt = &self.p.tables[target];
        let (schema, name) = (tt.schema.clone(), tt.name.clone());
        let quote = |s: &str, always: bool| if always { qq(s) } else { qi(s) };
        let always = self.rng.chance(20);
        if self.unqualified_table_ok(&from, target) && self.rng.chance(60) {
            format!("{}.{}", quote(&name, always), quote(col, always))
        } else {
            format!(
                "{}.{}.{}",
                quote(&schema, always),
                quote(&name, always),
                quote(col, always)
            )
        }
    }

    /// The table form of `references`.
    fn reference_table(&mut self, t: usize, target: usize, cols: &[String]) -> String {
        let from = self.p.tables[t].schema.clone();
        let tt = &self.p.tables[target];
        let (schema, name) = (tt.schema.clone(), tt.name.clone());
        let cols = toml_strings(cols);
        match self.rng.below(3) {
            0 => format!(
                "{{ schema = {}, table = {}, columns = {cols} }}",
                ts(&schema),
                ts(&name)
            ),
            1 if self.unqualified_table_ok(&from, target) => {
                format!("{{ table = {}, columns = {cols} }}", ts(&qi(&name)))
            }
            _ => format!(
                "{{ table = {}, columns = {cols} }}",
                ts(&format!("{}.{}", qi(&schema), qi(&name)))
            ),
        }
    }
}

/// The `type = …` spelling of a type, picked among the accepted aliases. `table_schema` is
/// where the column's table lives (for unqualified enum references).
fn spell(rng: &mut Rng, enums: &[Enum], ty: &Ty, table_schema: &str, special: &Special) -> String {
    let r = rng.below(4);
    let mut s = match &ty.base {
        Base::Int(i) => match special {
            Special::Serial => match i {
                Int::I2 => "smallserial",
                Int::I4 => ["serial", "serial4", "SERIAL"][r % 3],
                Int::I8 => ["bigserial", "serial8"][r % 2],
            }
            .to_string(),
            _ => match i {
                Int::I2 => ["smallint", "int2", "SMALLINT", "smallint"][r],
                Int::I4 => ["integer", "int", "int4", "INT"][r],
                Int::I8 => ["bigint", "int8", "BIGINT", "bigint"][r],
            }
            .to_string(),
        },
        Base::Numeric(None) => ["numeric", "decimal", "NUMERIC", "numeric"][r].to_string(),
        Base::Numeric(Some((p, s))) => match r {
            0 if *s == 0 => format!("numeric({p})"),
            1 => format!("decimal({p}, {s})"),
            _ => format!("numeric({p},{s})"),
        },
        Base::Varchar(None) => ["varchar", "character varying"][r % 2].to_string(),
        Base::Varchar(Some(n)) => match r {
            0 => format!("character varying({n})"),
            _ => format!("varchar({n})"),
        },
        Base::Char(1) if r == 0 => "char".to_string(),
        Base::Char(n) => match r {
            1 => format!("character({n})"),
            2 => format!("bpchar({n})"),
            _ => format!("char({n})"),
        },
        Base::Text => ["text", "TEXT"][r % 2].to_string(),
        Base::Bool => ["boolean", "bool"][r % 2].to_string(),
        Base::Real => ["real", "float4", "float(10)", "REAL"][r].to_string(),
        Base::Double => ["double precision", "float8", "float", "float(53)"][r].to_string(),
        Base::Date => "date".to_string(),
        Base::Time(p, tz) => {
            let p = p.map(|p| format!("({p})")).unwrap_or_default();
            match (tz, r % 2) {
                (false, 0) => format!("time{p}"),
                (false, _) => format!("time{p} without time zone"),
                (true, 0) if p.is_empty() => "timetz".to_string(),
                (true, _) => format!("time{p} with time zone"),
            }
        }
        Base::Timestamp(p, tz) => {
            let p = p.map(|p| format!("({p})")).unwrap_or_default();
            match (tz, r % 2) {
                (false, 0) => format!("timestamp{p}"),
                (false, _) => format!("timestamp{p} without time zone"),
                (true, 0) => format!("timestamptz{p}"),
                (true, _) => format!("timestamp{p} with time zone"),
            }
        }
        Base::Interval => "interval".to_string(),
        Base::Uuid => "uuid".to_string(),
        Base::Json => "json".to_string(),
        Base::Jsonb => "jsonb".to_string(),
        Base::Bytea => "bytea".to_string(),
        Base::Inet => "inet".to_string(),
        Base::Cidr => "cidr".to_string(),
        Base::Macaddr => "macaddr".to_string(),
        Base::Tsvector => "tsvector".to_string(),
        Base::Enum(e) => {
            let e = &enums[*e];
            let name = if r == 0 { qq(&e.name) } else { qi(&e.name) };
            if unqualified_enum_ok(enums, e, table_schema) && r != 3 {
                name
            } else {
                let schema = if r == 2 { qq(&e.schema) } else { qi(&e.schema) };
                format!("{schema}.{name}")
            }
        }
    };
    if ty.array {
        s.push_str("[]");
    }
    s
}

fn unqualified_enum_ok(enums: &[Enum], e: &Enum, schema: &str) -> bool {
    e.schema == schema
        || (e.schema == "public" && !enums.iter().any(|o| o.schema == schema && o.name == e.name))
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

fn render(p: &Project) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut config = String::from("[project]\n");
    writeln!(config, "schemas = {}", toml_strings(&p.schemas)).unwrap();
    out.push(("schemactl.toml".to_string(), config));
    for (i, f) in p.files.iter().enumerate() {
        let mut s = String::new();
        let file_schema = f.schema.clone().unwrap_or_else(|| "public".into());
        if let Some(schema) = &f.schema {
            writeln!(s, "schema = {}\n", ts(schema)).unwrap();
        }
        // A schema's comment, in the first file of the schema.
        let first = p
            .files
            .iter()
            .position(|x| x.schema.clone().unwrap_or_else(|| "public".into()) == file_schema);
        if first == Some(i)
            && let Some((_, c)) = p.schema_comments.iter().find(|(n, _)| *n == file_schema)
        {
            writeln!(s, "schema_comment = {}\n", ts(c)).unwrap();
        }
        if i == 0 {
            for e in &p.extensions {
                writeln!(s, "[extensions.{e}]\n").unwrap();
            }
        }
        for e in p.enums.iter().filter(|e| e.file == i) {
            writeln!(s, "[enums.{}]", tk(&e.name)).unwrap();
            if e.schema != file_schema {
                writeln!(s, "schema = {}", ts(&e.schema)).unwrap();
            }
            writeln!(s, "values = {}", toml_strings(&e.values)).unwrap();
            if let Some(r) = &e.renamed_from {
                writeln!(s, "renamed_from = {}", ts(r)).unwrap();
            }
            if !e.renamed_values.is_empty() {
                let pairs: Vec<String> = e
                    .renamed_values
                    .iter()
                    .map(|(old, new)| format!("{} = {}", tk(old), ts(new)))
                    .collect();
                writeln!(s, "renamed_values = {{ {} }}", pairs.join(", ")).unwrap();
            }
            if let Some(c) = &e.comment {
                writeln!(s, "comment = {}", ts(c)).unwrap();
            }
            s.push('\n');
        }
        render_user_types(&mut s, &p.types, i, &file_schema);
        for t in p.tables.iter().filter(|t| t.file == i) {
            render_table(&mut s, p, t, &file_schema);
        }
        for q in p.sequences.iter().filter(|q| q.file == i) {
            writeln!(s, "[sequences.{}]", tk(&q.name)).unwrap();
            if q.schema != file_schema {
                writeln!(s, "schema = {}", ts(&q.schema)).unwrap();
            }
            for o in &q.options {
                writeln!(s, "{o}").unwrap();
            }
            // Only while the column exists and has no sequence of its own (identity, serial).
            if let Some((t, c)) = &q.owned_by
                && p.tables.iter().any(|x| {
                    x.schema == q.schema
                        && x.name == *t
                        && x.columns
                            .iter()
                            .any(|y| y.name == *c && matches!(y.special, Special::None))
                })
            {
                let path = format!("{}.{}", qi(t), qi(c));
                writeln!(s, "owned_by = {}", ts(&path)).unwrap();
            }
            if let Some(c) = &q.comment {
                writeln!(s, "comment = {}", ts(c)).unwrap();
            }
            if let Some(r) = &q.renamed_from {
                writeln!(s, "renamed_from = {}", ts(r)).unwrap();
            }
            s.push('\n');
        }
        if i == 0 {
            for g in &p.parts {
                render_part_group(&mut s, g);
            }
        }
        for v in p.views.iter().filter(|v| v.file == i) {
            render_view(&mut s, p, v, &file_schema);
        }
        for f in p.functions.iter().filter(|f| f.file == i) {
            render_function(&mut s, p, f, &file_schema);
        }
        for f in &p.functions {
            render_trigger(&mut s, p, f, i);
        }
        out.push((f.path.clone(), s));
    }
    out
}

fn render_table(s: &mut String, p: &Project, t: &Table, file_schema: &str) {
    let key = tk(&t.name);
    writeln!(s, "[tables.{key}]").unwrap();
    if t.schema != file_schema {
        writeln!(s, "schema = {}", ts(&t.schema)).unwrap();
    }
    if let Some(c) = &t.comment {
        writeln!(s, "comment = {}", ts(c)).unwrap();
    }
    if let Some(pk) = &t.pk {
        writeln!(s, "primary_key = {}", toml_strings(pk)).unwrap();
    }
    if let Some(n) = t.pk_name.as_ref().filter(|_| t.has_pk()) {
        writeln!(s, "primary_key_name = {}", ts(n)).unwrap();
    }
    if let Some(c) = t.pk_comment.as_ref().filter(|_| t.has_pk()) {
        writeln!(s, "primary_key_comment = {}", ts(c)).unwrap();
    }
    if let Some(d) = t.pk_deferrable.filter(|_| t.has_pk()) {
        writeln!(s, "primary_key_deferrable = {}", ts(d)).unwrap();
    }
    if let Some(r) = &t.renamed_from {
        writeln!(s, "renamed_from = {}", ts(r)).unwrap();
    }
    if t.rls {
        writeln!(s, "row_level_security = true").unwrap();
    }
    if t.force_rls {
        writeln!(s, "force_row_level_security = true").unwrap();
    }
    if let Some(g) = &t.grants {
        writeln!(s, "grants = {g}").unwrap();
    }
    for pol in &t.policies {
        writeln!(s, "\n[tables.{key}.policies.{}]", tk(&pol.name)).unwrap();
        if pol.command != "all" || pol.name.len() % 2 == 0 {
            writeln!(s, "command = {}", ts(pol.command)).unwrap();
        }
        if pol.restrictive {
            if pol.name.len() % 2 == 0 {
                writeln!(s, "as = \"restrictive\"").unwrap();
            } else {
                writeln!(s, "permissive = false").unwrap();
            }
        }
        if !pol.roles.is_empty() {
            writeln!(s, "roles = {}", toml_strings(&pol.roles)).unwrap();
        } else if pol.name.len() % 3 == 0 {
            writeln!(s, "roles = [\"public\"]").unwrap();
        }
        if let Some(u) = &pol.using {
            writeln!(s, "using = {}", ts(u)).unwrap();
        }
        if let Some(w) = &pol.with_check {
            writeln!(s, "with_check = {}", ts(w)).unwrap();
        }
        if let Some(c) = &pol.comment {
            writeln!(s, "comment = {}", ts(c)).unwrap();
        }
    }
    writeln!(s, "\n[tables.{key}.columns]").unwrap();
    // Spellings vary by a hash of the names, so both versions spell an object alike.
    for c in &t.columns {
        let mut rng = Rng::new(hash(&[&t.schema, &t.name, &c.name]));
        let mut attrs = vec![format!(
            "type = {}",
            ts(&spell(&mut rng, &p.enums, &c.ty, &t.schema, &c.special))
        )];
        if c.nullable {
            attrs.push("nullable = true".into());
        } else if rng.chance(10)
            && !matches!(c.special, Special::Serial | Special::Identity(_))
            && !c.primary_key
        {
            attrs.push("nullable = false".into());
        }
        match &c.default {
            Some(Default::Literal(l)) => attrs.push(format!("default = {l}")),
            Some(Default::Sql(e)) => attrs.push(format!("default_sql = {}", ts(e))),
            None => {}
        }
        match &c.special {
            Special::Identity(i) => match identity_options(&t.name, &c.name) {
                Some(o) => attrs.push(format!("identity = {{ generated = {}, {o} }}", ts(i))),
                None => attrs.push(format!("identity = {}", ts(i))),
            },
            Special::Generated(g) => attrs.push(format!("generated_sql = {}", ts(g))),
            Special::Serial | Special::None => {}
        }
        if c.collation {
            attrs.push("collation = \"C\"".into());
        }
        if c.primary_key {
            attrs.push("primary_key = true".into());
        }
        if c.unique {
            attrs.push("unique = true".into());
        }
        if let Some(r) = &c.references {
            attrs.push(format!("references = {}", ts(&r.reference)));
            for (k, v) in &r.actions {
                attrs.push(format!("{k} = {v}"));
            }
        }
        if let Some(cm) = &c.comment {
            attrs.push(format!("comment = {}", ts(cm)));
        }
        if let Some(r) = &c.renamed_from {
            attrs.push(format!("renamed_from = {}", ts(r)));
        }
        writeln!(s, "{} = {{ {} }}", tk(&c.name), attrs.join(", ")).unwrap();
    }
    render_typed_columns(s, &p.types, t);
    s.push('\n');
    for u in &t.uniques {
        writeln!(s, "[[tables.{key}.unique]]").unwrap();
        writeln!(s, "columns = {}", toml_strings(&u.cols)).unwrap();
        if let Some(n) = &u.name {
            writeln!(s, "name = {}", ts(n)).unwrap();
        }
        if let Some(c) = &u.comment {
            writeln!(s, "comment = {}", ts(c)).unwrap();
        }
        if let Some(d) = u.deferrable {
            writeln!(s, "deferrable = {}", ts(d)).unwrap();
        }
        s.push('\n');
    }
    for c in &t.checks {
        writeln!(s, "[[tables.{key}.checks]]").unwrap();
        writeln!(s, "expr = {}", ts(&c.expr)).unwrap();
        if let Some(n) = &c.name {
            writeln!(s, "name = {}", ts(n)).unwrap();
        }
        if !c.validated {
            writeln!(s, "validated = false").unwrap();
        }
        if let Some(c) = &c.comment {
            writeln!(s, "comment = {}", ts(c)).unwrap();
        }
        s.push('\n');
    }
    for ix in &t.indexes {
        let with = if ix.exclusion { ", with = \"=\"" } else { "" };
        if ix.exclusion {
            writeln!(s, "[[tables.{key}.exclusions]]").unwrap();
        } else {
            writeln!(s, "[[tables.{key}.indexes]]").unwrap();
        }
        let keys: Vec<String> = ix
            .keys
            .iter()
            .map(|k| match k {
                Key::Col(c, None, None) if pattern_ops(t, ix, c).is_none() && !ix.exclusion => {
                    ts(c)
                }
                Key::Col(c, order, nulls) => {
                    let mut parts = vec![format!("column = {}", ts(c))];
                    if let Some(o) = pattern_ops(t, ix, c) {
                        parts.push(format!("opclass = {}", ts(o)));
                    }
                    if let Some(o) = order {
                        parts.push(format!("order = {}", ts(o)));
                    }
                    if let Some(n) = nulls {
                        parts.push(format!("nulls = {}", ts(n)));
                    }
                    format!("{{ {}{with} }}", parts.join(", "))
                }
                Key::Expr(e, order) => match order {
                    Some(o) => format!("{{ expr = {}, order = {}{with} }}", ts(e), ts(o)),
                    None => format!("{{ expr = {}{with} }}", ts(e)),
                },
            })
            .collect();
        writeln!(s, "columns = [{}]", keys.join(", ")).unwrap();
        if let Some(n) = &ix.name {
            writeln!(s, "name = {}", ts(n)).unwrap();
        }
        if ix.unique {
            writeln!(s, "unique = true").unwrap();
        }
        if let Some(m) = ix.method {
            writeln!(s, "method = {}", ts(m)).unwrap();
        }
        if !ix.include.is_empty() {
            writeln!(s, "include = {}", toml_strings(&ix.include)).unwrap();
        }
        if let Some(w) = &ix.predicate {
            writeln!(s, "where = {}", ts(w)).unwrap();
        }
        if let Some(c) = &ix.comment {
            writeln!(s, "comment = {}", ts(c)).unwrap();
        }
        if let Some(d) = ix.deferrable.filter(|_| ix.exclusion) {
            writeln!(s, "deferrable = {}", ts(d)).unwrap();
        }
        s.push('\n');
    }
    for fk in &t.fks {
        writeln!(s, "[[tables.{key}.foreign_keys]]").unwrap();
        writeln!(s, "columns = {}", toml_strings(&fk.cols)).unwrap();
        writeln!(s, "references = {}", fk.target).unwrap();
        if let Some(n) = &fk.name {
            writeln!(s, "name = {}", ts(n)).unwrap();
        }
        for (k, v) in &fk.actions {
            writeln!(s, "{k} = {v}").unwrap();
        }
        if !fk.validated {
            writeln!(s, "validated = false").unwrap();
        }
        if let Some(c) = &fk.comment {
            writeln!(s, "comment = {}", ts(c)).unwrap();
        }
        s.push('\n');
    }
}

/// The `*_pattern_ops` operator class of column key `c` of btree index `ix` when the index
/// asks for one and the column has a text type.
/// Sequence options of an identity column, for about one in three, chosen by its table's
/// and its own name (so a rename may change them, which the evolution tests then plan);
/// every set fits a smallint.
fn identity_options(table: &str, column: &str) -> Option<&'static str> {
    const SETS: &[&str] = &[
        "start = 100, increment = 5",
        "increment = -1",
        "start = 7, cache = 3, cycle = true",
        "max_value = 30000",
    ];
    let h = hash(&[table, column, "identity-options"]);
    (h % 3 == 0).then(|| SETS[(h / 3) as usize % SETS.len()])
}

fn pattern_ops(t: &Table, ix: &Index, c: &str) -> Option<&'static str> {
    if !ix.pattern_ops || ix.exclusion || !matches!(ix.method, None | Some("btree")) {
        return None;
    }
    let col = t.columns.iter().find(|x| x.name == c)?;
    match (&col.ty.base, col.ty.array) {
        (Base::Text, false) => Some("text_pattern_ops"),
        (Base::Varchar(_), false) => Some("varchar_pattern_ops"),
        (Base::Char(_), false) => Some("bpchar_pattern_ops"),
        _ => None,
    }
}

/// FNV-1a over the parts (with separators).
fn hash(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain([0xff]) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

// ---------------------------------------------------------------------------------------------
// Domains and composite types
// ---------------------------------------------------------------------------------------------

/// Domains and composite types (in `public`, so dropping a schema never strands one) and the
/// columns that use them. Kept apart from `Table::columns`: the mutator's column changes do
/// not know these types, and only the changes in `mutate`'s user-type section touch them.
#[derive(Clone, Debug, Default)]
pub(crate) struct UserTypes {
    domains: Vec<Dom>,
    composites: Vec<Comp>,
    columns: Vec<TypedCol>,
}

#[derive(Clone, Debug)]
struct Dom {
    name: String,
    file: usize,
    /// Index into [`DOMAIN_BASES`].
    base: usize,
    collation: bool,
    /// A TOML `key = value` pair (`default` or `default_sql`).
    default: Option<String>,
    not_null: bool,
    /// (name, expression over `VALUE`).
    checks: Vec<(Option<String>, String)>,
    comment: Option<String>,
    renamed_from: Option<String>,
}

#[derive(Clone, Debug)]
struct Comp {
    name: String,
    file: usize,
    /// (name, type, collation "C").
    attrs: Vec<(String, TypeRef, bool)>,
    comment: Option<String>,
    renamed_from: Option<String>,
}

/// The type of a column or attribute: a domain or composite type of [`UserTypes`] by name
/// (spelled bare, quoted or qualified by `style`), or a built-in type's spelling.
#[derive(Clone, Debug, PartialEq, Eq)]
enum TypeRef {
    Named {
        name: String,
        array: bool,
        style: usize,
    },
    Builtin(String),
}

impl TypeRef {
    fn names(&self, n: &str) -> bool {
        matches!(self, TypeRef::Named { name, .. } if name == n)
    }

    fn spell(&self) -> String {
        match self {
            TypeRef::Builtin(b) => b.clone(),
            TypeRef::Named { name, array, style } => {
                let mut s = match style {
                    0 => qq(name),
                    1 => format!("public.{}", qq(name)),
                    _ if plain(name) => name.clone(),
                    _ => qq(name),
                };
                if *array {
                    s.push_str("[]");
                }
                s
            }
        }
    }
}

/// A column of a domain or composite type (or of a domain's base type, after a change moved
/// it there), in table `(schema, name)`.
#[derive(Clone, Debug)]
struct TypedCol {
    table: (String, String),
    name: String,
    ty: TypeRef,
    nullable: bool,
}

/// (base type spelling, literal defaults, SQL defaults, checks over `VALUE`, collatable).
type DomainBase = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
    bool,
);

const DOMAIN_BASES: &[DomainBase] = &[
    (
        "integer",
        &["0", "42", "-7"],
        &["1 + 1"],
        &[
            "VALUE > 0",
            "VALUE >= 1901 AND VALUE <= 2155",
            "VALUE <> 13",
        ],
        false,
    ),
    ("bigint", &["9000000000"], &["0"], &["VALUE >= 0"], false),
    (
        "text",
        &["\"it's\"", "\"\"", "\"NULL\""],
        &["'x'", "lower('AB')"],
        &["length(VALUE) < 50", "VALUE <> ''", "VALUE ~ '^[a-z]'"],
        true,
    ),
    (
        "varchar(20)",
        &["\"abc\""],
        &["'q'"],
        &["length(VALUE) > 1"],
        true,
    ),
    (
        "numeric(10,2)",
        &["1.5", "0"],
        &["2.25"],
        &["VALUE >= 0", "VALUE < 1000.5"],
        false,
    ),
    (
        "date",
        &["\"2024-01-31\""],
        &["'2000-01-01'"],
        &["VALUE > '2000-01-01'"],
        false,
    ),
    (
        "timestamp with time zone",
        &["\"2024-01-01 10:00:00+00\""],
        &["now()"],
        &["VALUE >= '2020-01-01'", "VALUE < '2100-01-01 00:00'"],
        false,
    ),
    (
        "boolean",
        &["true"],
        &["false"],
        &["VALUE IS NOT NULL"],
        false,
    ),
    (
        "integer[]",
        &[],
        &["'{}'"],
        &["cardinality(VALUE) < 5"],
        false,
    ),
];

const DOMAIN_NAMES: &[&str] = &[
    "dom_year",
    "dom_code",
    "Dom Amount",
    "dom\"q",
    "dömäin",
    "dom.dot",
];
const COMPOSITE_NAMES: &[&str] = &["ct_addr", "Ct Point", "ct\"q", "ct_ünï"];
const ATTRIBUTE_NAMES: &[&str] = &["street", "zip", "Has Space", "order", "it's", "x"];
const ATTRIBUTE_TYPES: &[&str] = &[
    "text",
    "integer",
    "numeric(8,3)",
    "date",
    "boolean",
    "text[]",
];

impl UserTypes {
    /// Whether `name` is taken by a domain or composite type (or was, before a rename).
    fn taken(&self, name: &str) -> bool {
        self.domains
            .iter()
            .map(|d| (&d.name, &d.renamed_from))
            .chain(self.composites.iter().map(|c| (&c.name, &c.renamed_from)))
            .any(|(n, r)| n == name || r.as_deref() == Some(name))
    }

    /// Whether a column or attribute uses type `name`.
    fn used(&self, name: &str) -> bool {
        self.columns.iter().any(|c| c.ty.names(name))
            || self
                .composites
                .iter()
                .any(|c| c.attrs.iter().any(|a| a.1.names(name)))
    }
}

/// Domains and composite types for project `p`, with columns of those types in its tables.
fn user_types(rng: &mut Rng, p: &Project) -> UserTypes {
    let mut out = UserTypes::default();
    let files = p.files.len();
    for name in DOMAIN_NAMES {
        if rng.chance(70) {
            continue;
        }
        let file = rng.below(files);
        let d = new_domain(rng, name, file);
        out.domains.push(d);
    }
    for name in COMPOSITE_NAMES {
        if rng.chance(75) {
            continue;
        }
        let file = rng.below(files);
        let c = new_composite(rng, name, file, &out.domains);
        out.composites.push(c);
    }
    let names: Vec<String> = out
        .domains
        .iter()
        .map(|d| d.name.clone())
        .chain(out.composites.iter().map(|c| c.name.clone()))
        .collect();
    for (i, n) in names.iter().enumerate() {
        if p.tables.is_empty() || rng.chance(30) {
            continue;
        }
        let t = rng.pick(&p.tables);
        let array = i < out.domains.len()
            && rng.chance(20)
            && !DOMAIN_BASES[out.domains[i].base].0.ends_with("[]");
        out.columns.push(TypedCol {
            table: (t.schema.clone(), t.name.clone()),
            name: format!("tv_{i}"),
            ty: named(rng, n, array),
            nullable: rng.chance(50),
        });
    }
    out
}

fn named(rng: &mut Rng, name: &str, array: bool) -> TypeRef {
    TypeRef::Named {
        name: name.to_string(),
        array,
        style: rng.below(3),
    }
}

fn new_domain(rng: &mut Rng, name: &str, file: usize) -> Dom {
    let base = rng.below(DOMAIN_BASES.len());
    let collatable = DOMAIN_BASES[base].4;
    let mut chosen = Vec::new();
    for c in DOMAIN_BASES[base].3 {
        if rng.chance(40) {
            chosen.push((check_name(rng, name, chosen.len()), c.to_string()));
        }
    }
    Dom {
        name: name.to_string(),
        file,
        base,
        collation: collatable && rng.chance(30),
        default: domain_default(rng, base),
        not_null: rng.chance(20),
        checks: chosen,
        comment: rng.chance(30).then(|| rng.pick(TEXTS).to_string()),
        renamed_from: None,
    }
}

fn check_name(rng: &mut Rng, domain: &str, i: usize) -> Option<String> {
    match rng.below(3) {
        0 => None,
        1 => Some(format!(
            "{}_ok_{i}",
            domain.chars().take(40).collect::<String>()
        )),
        _ => Some(format!("Chk {i}")),
    }
}

/// A random default (or none) for a domain over `DOMAIN_BASES[base]`.
fn domain_default(rng: &mut Rng, base: usize) -> Option<String> {
    let (_, literals, sqls, _, _) = DOMAIN_BASES[base];
    match rng.below(4) {
        0 if !literals.is_empty() => Some(format!("default = {}", *rng.pick(literals))),
        1 => {
            let sql: &&str = rng.pick(sqls);
            Some(format!("default_sql = {}", ts(sql)))
        }
        _ => None,
    }
}

fn new_composite(rng: &mut Rng, name: &str, file: usize, domains: &[Dom]) -> Comp {
    let n = 1 + rng.below(3);
    let mut attrs: Vec<(String, TypeRef, bool)> = Vec::new();
    for _ in 0..n {
        let a = rng.pick(ATTRIBUTE_NAMES).to_string();
        if attrs.iter().any(|x| x.0 == a) {
            continue;
        }
        attrs.push(new_attribute(rng, a, domains));
    }
    Comp {
        name: name.to_string(),
        file,
        attrs,
        comment: rng.chance(30).then(|| rng.pick(TEXTS).to_string()),
        renamed_from: None,
    }
}

fn new_attribute(rng: &mut Rng, name: String, domains: &[Dom]) -> (String, TypeRef, bool) {
    let (ty, collatable) = if !domains.is_empty() && rng.chance(25) {
        let d = rng.pick(domains);
        (named(rng, &d.name, false), false)
    } else {
        let t = *rng.pick(ATTRIBUTE_TYPES);
        (TypeRef::Builtin(t.to_string()), t == "text")
    };
    let collation = collatable && rng.chance(30);
    (name, ty, collation)
}

fn render_user_types(s: &mut String, types: &UserTypes, file: usize, file_schema: &str) {
    let schema = |s: &mut String| {
        if file_schema != "public" {
            writeln!(s, "schema = \"public\"").unwrap();
        }
    };
    for d in types.domains.iter().filter(|d| d.file == file) {
        writeln!(s, "[domains.{}]", tk(&d.name)).unwrap();
        schema(s);
        writeln!(s, "type = {}", ts(DOMAIN_BASES[d.base].0)).unwrap();
        if d.collation {
            writeln!(s, "collation = \"C\"").unwrap();
        }
        if let Some(x) = &d.default {
            writeln!(s, "{x}").unwrap();
        }
        if d.not_null {
            writeln!(s, "not_null = true").unwrap();
        }
        if !d.checks.is_empty() {
            let checks: Vec<String> = d
                .checks
                .iter()
                .map(|(n, e)| match n {
                    Some(n) => format!("{{ name = {}, expr = {} }}", ts(n), ts(e)),
                    None => format!("{{ expr = {} }}", ts(e)),
                })
                .collect();
            writeln!(s, "checks = [{}]", checks.join(", ")).unwrap();
        }
        if let Some(c) = &d.comment {
            writeln!(s, "comment = {}", ts(c)).unwrap();
        }
        if let Some(r) = &d.renamed_from {
            writeln!(s, "renamed_from = {}", ts(r)).unwrap();
        }
        s.push('\n');
    }
    for c in types.composites.iter().filter(|c| c.file == file) {
        writeln!(s, "[composite_types.{}]", tk(&c.name)).unwrap();
        schema(s);
        if let Some(x) = &c.comment {
            writeln!(s, "comment = {}", ts(x)).unwrap();
        }
        if let Some(r) = &c.renamed_from {
            writeln!(s, "renamed_from = {}", ts(r)).unwrap();
        }
        writeln!(s, "[composite_types.{}.attributes]", tk(&c.name)).unwrap();
        for (a, ty, collation) in &c.attrs {
            let coll = if *collation {
                ", collation = \"C\""
            } else {
                ""
            };
            writeln!(s, "{} = {{ type = {}{coll} }}", tk(a), ts(&ty.spell())).unwrap();
        }
        s.push('\n');
    }
}

fn render_typed_columns(s: &mut String, types: &UserTypes, t: &Table) {
    for c in &types.columns {
        if c.table.0 != t.schema
            || c.table.1 != t.name
            || t.columns.iter().any(|x| x.name == c.name)
        {
            continue;
        }
        let nullable = if c.nullable { ", nullable = true" } else { "" };
        writeln!(
            s,
            "{} = {{ type = {}{nullable} }}",
            tk(&c.name),
            ts(&c.ty.spell())
        )
        .unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------------------------

/// A view or materialized view reading a table of the project (or, with `over`, another
/// view). Its query is made from the table's columns when the project is rendered, so it stays
/// valid whatever the mutations did to them; a view whose table or view is gone is not
/// rendered (dropped).
#[derive(Clone, Debug)]
struct ViewSpec {
    name: String,
    file: usize,
    materialized: bool,
    /// (schema, name) of the table, or of the view when `over`; the view is in that schema.
    source: (String, String),
    over: bool,
    /// `SELECT *` (PostgreSQL fixes the column list when the view is created).
    star: bool,
    /// How many of the table's first columns it selects.
    ncols: usize,
    /// `WHERE <first column> IS NOT NULL`.
    filter: bool,
    barrier: bool,
    comment: Option<String>,
    /// A comment on its first output column (`column_comments`).
    column_comment: Option<String>,
    /// A materialized view's index on its first column (when that column's type has a btree
    /// operator class).
    index: bool,
}

/// A new view over a random table (or over a view of the project), named `vw{n}`.
fn new_view(rng: &mut Rng, p: &Project) -> Option<ViewSpec> {
    let n = (0..)
        .find(|n| !p.views.iter().any(|v| v.name == format!("vw{n}")))
        .unwrap_or(0);
    let bases: Vec<&ViewSpec> = p.views.iter().filter(|v| !v.over).collect();
    let (source, over) = if !bases.is_empty() && rng.chance(30) {
        let b = bases[rng.below(bases.len())];
        ((b.source.0.clone(), b.name.clone()), true)
    } else {
        let tables: Vec<&Table> = p.tables.iter().filter(|t| !t.columns.is_empty()).collect();
        if tables.is_empty() {
            return None;
        }
        let t = tables[rng.below(tables.len())];
        ((t.schema.clone(), t.name.clone()), false)
    };
    let materialized = rng.chance(30);
    Some(ViewSpec {
        name: format!("vw{n}"),
        file: rng.below(p.files.len()),
        materialized,
        source,
        over,
        star: !over && rng.chance(25),
        ncols: 1 + rng.below(3),
        filter: rng.chance(40),
        barrier: !materialized && rng.chance(20),
        comment: rng.chance(25).then(|| format!("view {n}")),
        column_comment: None,
        index: materialized && rng.chance(60),
    })
}

/// A view's output column and its type (`None` for a column of another view).
type ViewColumn = (String, Option<Ty>);

/// The query of `v` and its output columns, or `None` when what it reads is gone.
fn view_query(p: &Project, v: &ViewSpec) -> Option<(String, Vec<ViewColumn>)> {
    let (schema, name) = &v.source;
    let from = format!("{}.{}", qi(schema), qi(name));
    let (cols, query) = if v.over {
        let base = p
            .views
            .iter()
            .find(|b| !b.over && b.source.0 == *schema && b.name == *name)?;
        let (_, outputs) = view_query(p, base)?;
        let first = outputs.first()?.0.clone();
        let q = format!("SELECT {} FROM {from}", qi(&first));
        (vec![(first, None)], q)
    } else {
        let t = p
            .tables
            .iter()
            .find(|t| t.schema == *schema && t.name == *name)?;
        let all: Vec<ViewColumn> = t
            .columns
            .iter()
            .map(|c| (c.name.clone(), Some(c.ty.clone())))
            .collect();
        if all.is_empty() {
            return None;
        }
        // About one view in four reads `ONLY` its table (fixed per view, drawn from no RNG,
        // so every other object of a seed stays as it was).
        let from = if hash(&[&v.name, name, "only"]) % 4 == 0 {
            format!("ONLY {from}")
        } else {
            from
        };
        if v.star {
            (all, format!("SELECT * FROM {from}"))
        } else {
            let picked: Vec<ViewColumn> = all.into_iter().take(v.ncols).collect();
            let list: Vec<String> = picked.iter().map(|(c, _)| qi(c)).collect();
            (picked, format!("SELECT {} FROM {from}", list.join(", ")))
        }
    };
    let query = if v.filter {
        format!("{query}\nWHERE {} IS NOT NULL", qi(&cols[0].0))
    } else {
        query
    };
    Some((query, cols))
}

fn render_view(s: &mut String, p: &Project, v: &ViewSpec, file_schema: &str) {
    let Some((query, cols)) = view_query(p, v) else {
        return;
    };
    let kind = if v.materialized {
        "materialized_views"
    } else {
        "views"
    };
    writeln!(s, "[{kind}.{}]", tk(&v.name)).unwrap();
    if v.source.0 != file_schema {
        writeln!(s, "schema = {}", ts(&v.source.0)).unwrap();
    }
    writeln!(s, "query = {}", ts(&query)).unwrap();
    if v.barrier && !v.materialized {
        writeln!(s, "security_barrier = true").unwrap();
    }
    if let Some(c) = &v.comment {
        writeln!(s, "comment = {}", ts(c)).unwrap();
    }
    if let (Some(c), Some((first, _))) = (&v.column_comment, cols.first()) {
        writeln!(s, "column_comments = {{ {} = {} }}", tk(first), ts(c)).unwrap();
    }
    // Types with no btree operator class cannot be indexed that way.
    let indexable = |t: &Ty| !matches!(t.base, Base::Json);
    if v.materialized
        && v.index
        && let Some((first, Some(ty))) = cols.first()
        && indexable(ty)
    {
        writeln!(
            s,
            "indexes = [{{ name = {}, columns = [{}] }}]",
            ts(&format!("{}_idx", v.name)),
            ts(first)
        )
        .unwrap();
    }
    // Tables of their own: after every key of the view.
    if !v.materialized {
        render_view_triggers(s, p, v);
    }
    s.push('\n');
}

/// A function or procedure in `public`, named `fn{n}` (an overload reuses a name with other
/// argument types). What it returns is one of a few shapes; a set-returning one reads a
/// table of the project and is not rendered (dropped) once that table is gone.
#[derive(Clone, Debug)]
struct FnSpec {
    name: String,
    file: usize,
    /// Argument types (from `FN_TYPES`), named `a0`, `a1`… unless `unnamed`.
    args: Vec<&'static str>,
    unnamed: bool,
    /// The last argument has a default.
    default_last: bool,
    shape: FnShape,
    volatility: Option<&'static str>,
    strict: bool,
    security_definer: bool,
    parallel: Option<&'static str>,
    cost: Option<u32>,
    search_path: bool,
    /// A trigger function's trigger: on this table (schema, name), with the events index
    /// into `TRIGGER_EVENTS`, per row, and enabled state.
    trigger_on: Option<TriggerSpec>,
    /// A trigger function's trigger on a (plain) view, set by `view_triggers`.
    view_trigger: Option<ViewTriggerSpec>,
    /// Changes the body's text (a changed body is `CREATE OR REPLACE`).
    version: u32,
    comment: Option<String>,
    /// `grants = { … }` as written (set by `grants`).
    grants: Option<&'static str>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum FnShape {
    /// `RETURNS integer`, SQL.
    SqlScalar,
    /// `RETURNS text`, PL/pgSQL.
    PlpgsqlScalar,
    /// `RETURNS SETOF <table>`, SQL reading it.
    SetOf(String, String),
    /// `returns_table`, SQL.
    Table,
    /// A trigger function, PL/pgSQL.
    Trigger,
    /// A procedure, PL/pgSQL.
    Procedure,
}

/// A trigger on a view: `INSTEAD OF` per row, or `before`/`after` per statement, with the
/// events index into `TRIGGER_EVENTS`.
#[derive(Clone, Debug)]
struct ViewTriggerSpec {
    view: (String, String),
    instead_of: bool,
    before: bool,
    events: usize,
}

#[derive(Clone, Debug)]
struct TriggerSpec {
    table: (String, String),
    events: usize,
    row: bool,
    disabled: bool,
    when: bool,
}

const TRIGGER_EVENTS: &[&str] = &[
    "[\"insert\"]",
    "[\"update\"]",
    "[\"insert\", \"update\", \"delete\"]",
    "[\"delete\"]",
];

const FN_TYPES: &[&str] = &[
    "integer",
    "text",
    "numeric(10,2)",
    "varchar(5)",
    "boolean",
    "timestamptz",
    "bigint[]",
];

fn new_function(rng: &mut Rng, p: &Project) -> FnSpec {
    let overload = p
        .functions
        .iter()
        .filter(|f| !matches!(f.shape, FnShape::Trigger))
        .map(|f| f.name.clone())
        .collect::<Vec<_>>();
    let n = (0..)
        .find(|n| !p.functions.iter().any(|f| f.name == format!("fn{n}")))
        .unwrap_or(0);
    let overloads = !overload.is_empty() && rng.chance(20);
    let shape = match rng.below(6) {
        0 => FnShape::SqlScalar,
        1 => FnShape::PlpgsqlScalar,
        2 => {
            let tables: Vec<&Table> = p.tables.iter().filter(|t| !t.columns.is_empty()).collect();
            if tables.is_empty() {
                FnShape::SqlScalar
            } else {
                let t = tables[rng.below(tables.len())];
                FnShape::SetOf(t.schema.clone(), t.name.clone())
            }
        }
        3 => FnShape::Table,
        4 => FnShape::Trigger,
        _ => FnShape::Procedure,
    };
    // A trigger function takes no arguments, so it is never an overload.
    let name = if overloads && shape != FnShape::Trigger {
        overload[rng.below(overload.len())].clone()
    } else {
        format!("fn{n}")
    };
    // Input types unique per name: overloads differ in their argument types.
    let mut args = Vec::new();
    if shape != FnShape::Trigger {
        for _ in 0..rng.below(4) {
            args.push(*rng.pick(FN_TYPES));
        }
    }
    let canon = |a: &[&str]| -> Vec<String> {
        a.iter()
            .map(|t| match *t {
                "varchar(5)" => "character varying".to_string(),
                "numeric(10,2)" => "numeric".to_string(),
                other => other.to_string(),
            })
            .collect()
    };
    while p
        .functions
        .iter()
        .any(|f| f.name == name && canon(&f.args) == canon(&args))
    {
        args.push("integer");
    }
    let procedure = shape == FnShape::Procedure;
    let trigger_on = if shape == FnShape::Trigger && rng.chance(80) {
        let tables: Vec<&Table> = p.tables.iter().filter(|t| !t.columns.is_empty()).collect();
        (!tables.is_empty()).then(|| {
            let t = tables[rng.below(tables.len())];
            TriggerSpec {
                table: (t.schema.clone(), t.name.clone()),
                events: rng.below(TRIGGER_EVENTS.len()),
                row: rng.chance(70),
                disabled: rng.chance(15),
                when: rng.chance(20),
            }
        })
    } else {
        None
    };
    FnSpec {
        trigger_on,
        view_trigger: None,
        name,
        file: rng.below(p.files.len()),
        unnamed: rng.chance(15),
        default_last: !args.is_empty() && rng.chance(30),
        args,
        volatility: (!procedure && rng.chance(40)).then(|| *rng.pick(&["immutable", "stable"])),
        strict: !procedure && rng.chance(25),
        security_definer: rng.chance(20),
        parallel: (!procedure && rng.chance(25)).then(|| *rng.pick(&["safe", "restricted"])),
        cost: (!procedure && rng.chance(15)).then(|| 1 + rng.below(500) as u32),
        search_path: rng.chance(25),
        version: 0,
        comment: rng.chance(25).then(|| "a function".to_string()),
        grants: None,
        shape,
    }
}

fn fn_default(ty: &str) -> &'static str {
    match ty {
        "integer" | "numeric(10,2)" => "1",
        "text" | "varchar(5)" => "'a'",
        "boolean" => "true",
        "timestamptz" => "now()",
        _ => "NULL",
    }
}

fn render_function(s: &mut String, p: &Project, f: &FnSpec, file_schema: &str) {
    let procedure = f.shape == FnShape::Procedure;
    let v = f.version;
    let (returns, language, body) = match &f.shape {
        FnShape::SqlScalar => (Some("integer".to_string()), "sql", format!("SELECT {v}")),
        FnShape::PlpgsqlScalar => (
            Some("text".to_string()),
            "plpgsql",
            format!("BEGIN\n    RETURN 'v{v}';\nEND"),
        ),
        FnShape::SetOf(schema, table) => {
            if !p
                .tables
                .iter()
                .any(|t| t.schema == *schema && t.name == *table && !t.columns.is_empty())
            {
                return;
            }
            let q = format!("{}.{}", qi(schema), qi(table));
            (
                Some(format!("setof {q}")),
                "sql",
                format!("SELECT * FROM {q} LIMIT {}", v + 1),
            )
        }
        FnShape::Table => (None, "sql", format!("SELECT {v}, 'x'::text")),
        FnShape::Trigger => (
            Some("trigger".to_string()),
            "plpgsql",
            format!("BEGIN\n    -- v{v}\n    RETURN NEW;\nEND"),
        ),
        FnShape::Procedure => (None, "plpgsql", format!("BEGIN\n    PERFORM {v};\nEND")),
    };
    let kind = if procedure { "procedures" } else { "functions" };
    writeln!(s, "[[{kind}.{}]]", tk(&f.name)).unwrap();
    if file_schema != "public" {
        writeln!(s, "schema = \"public\"").unwrap();
    }
    if !f.args.is_empty() {
        let args: Vec<String> = f
            .args
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let mut a = String::from("{ ");
                if !f.unnamed {
                    write!(a, "name = \"a{i}\", ").unwrap();
                }
                write!(a, "type = {}", ts(t)).unwrap();
                if f.default_last && i + 1 == f.args.len() {
                    write!(a, ", default_sql = {}", ts(fn_default(t))).unwrap();
                }
                a.push_str(" }");
                a
            })
            .collect();
        writeln!(s, "args = [{}]", args.join(", ")).unwrap();
    }
    if let Some(r) = returns {
        writeln!(s, "returns = {}", ts(&r)).unwrap();
    }
    if f.shape == FnShape::Table {
        writeln!(
            s,
            "returns_table = [{{ name = \"n\", type = \"integer\" }}, {{ name = \"t\", type = \"text\" }}]"
        )
        .unwrap();
    }
    writeln!(s, "language = \"{language}\"").unwrap();
    writeln!(s, "body = {}", ts(&body)).unwrap();
    if let Some(x) = f.volatility {
        writeln!(s, "volatility = \"{x}\"").unwrap();
    }
    if f.strict {
        writeln!(s, "strict = true").unwrap();
    }
    if f.security_definer {
        writeln!(s, "security_definer = true").unwrap();
    }
    if let Some(x) = f.parallel {
        writeln!(s, "parallel = \"{x}\"").unwrap();
    }
    if let Some(c) = f.cost {
        writeln!(s, "cost = {c}").unwrap();
    }
    if f.search_path {
        writeln!(s, "set = {{ search_path = [\"public\", \"pg_temp\"] }}").unwrap();
    }
    if let Some(g) = f.grants {
        writeln!(s, "grants = {g}").unwrap();
    }
    if let Some(c) = &f.comment {
        writeln!(s, "comment = {}", ts(c)).unwrap();
    }
    s.push('\n');
}

/// The triggers of trigger functions on view `v` (a plain view), after its keys.
fn render_view_triggers(s: &mut String, p: &Project, v: &ViewSpec) {
    for f in &p.functions {
        let Some(tr) = &f.view_trigger else { continue };
        if tr.view != (v.source.0.clone(), v.name.clone()) {
            continue;
        }
        writeln!(s, "\n[views.{}.triggers.vtrg_{}]", tk(&v.name), f.name).unwrap();
        let timing = match (tr.instead_of, tr.before) {
            (true, _) => "instead_of",
            (false, true) => "before",
            (false, false) => "after",
        };
        writeln!(s, "timing = \"{timing}\"").unwrap();
        writeln!(s, "events = {}", TRIGGER_EVENTS[tr.events]).unwrap();
        if tr.instead_of {
            writeln!(s, "for_each = \"row\"").unwrap();
        }
        writeln!(s, "function = \"public.{}\"", f.name).unwrap();
    }
}

/// The trigger of a trigger function, in the file of its table (while the table exists).
fn render_trigger(s: &mut String, p: &Project, f: &FnSpec, file: usize) {
    let Some(tr) = &f.trigger_on else { return };
    let Some(t) = p
        .tables
        .iter()
        .find(|t| (t.schema.clone(), t.name.clone()) == tr.table && t.file == file)
    else {
        return;
    };
    if t.columns.is_empty() {
        return;
    }
    writeln!(s, "[tables.{}.triggers.trg_{}]", tk(&t.name), f.name).unwrap();
    writeln!(
        s,
        "timing = \"{}\"",
        if tr.row { "before" } else { "after" }
    )
    .unwrap();
    writeln!(s, "events = {}", TRIGGER_EVENTS[tr.events]).unwrap();
    if tr.row {
        writeln!(s, "for_each = \"row\"").unwrap();
    }
    // OLD is there for UPDATE and DELETE only.
    if tr.when && tr.row && tr.events == 1 {
        let c = &t.columns[0].name;
        writeln!(
            s,
            "when = {}",
            ts(&format!("OLD.{} IS DISTINCT FROM NEW.{}", qi(c), qi(c)))
        )
        .unwrap();
    }
    writeln!(s, "function = \"public.{}\"", f.name).unwrap();
    if tr.disabled {
        writeln!(s, "enabled = \"disabled\"").unwrap();
    }
    s.push('\n');
}
