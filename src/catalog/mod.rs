//! The live-catalog reader: reads the managed schemas of a database into the canonical
//! [`Model`], the same shape `compile` produces from TOML, so that `diff` can compare a
//! database with a project (drift detection, plans against a live database).
//!
//! # Queries
//!
//! [`read`] runs a fixed number of statements whatever the number of schemas or tables
//! (`Catalog::queries` counts them, `BEGIN` and `COMMIT` included): one read-only
//! `REPEATABLE READ` transaction for a consistent snapshot, a fixed `search_path`, then one
//! query each for schemas, extensions, enums, tables with their columns, constraints,
//! indexes, views, sequences and partitioning (comments are folded into the enum, table and
//! column queries). The managed schema names go in as ONE `text[]` parameter
//! (`nspname = ANY($1)`); queries are sent with
//! `query_typed_raw`, so there is no separate prepare round trip, and the large result sets
//! are decoded row by row as they arrive rather than collected first. All of it is `pg_catalog`
//! (no `information_schema`), and every catalog object is schema-qualified in the SQL.
//!
//! # search_path
//!
//! Inside the transaction: `SET LOCAL search_path = pg_catalog, public`. `pg_catalog` first is
//! where PostgreSQL searches it anyway when a path does not list it, so names print the way
//! they resolve in a default session; `public` is visible so that extension types installed
//! there print unqualified (`citext`, as users write them in `type_sql`), as do sequences and
//! functions in `public` in expressions. Objects in other schemas print schema-qualified
//! (`billing.t_id_seq`, `ext.citext`).
//!
//! The same statement batch fixes how literal values print: `TimeZone = 'UTC'`,
//! `DateStyle = 'ISO, MDY'`, `IntervalStyle = 'postgres'`, `extra_float_digits = 1`,
//! `bytea_output = 'hex'` (PostgreSQL's defaults, except the time zone). The output therefore
//! does not depend on the caller's session settings.
//!
//! # What is read, and how it maps to the model
//!
//! * **Schemas**: every managed schema that exists (empty ones too), except the history
//!   schema even when it is listed.
//! * **Extensions**: every extension in the database except `plpgsql`, with the schema it is
//!   in. (`compile` stores `None` unless the user wrote a schema; `diff` treats `None` as
//!   "wherever PostgreSQL put it".)
//! * **Enums**: identified by type OID (never by spelling): `typtype = 'e'`, labels in
//!   `enumsortorder` order, comment from `obj_description`.
//! * **Tables**: `relkind` `r` and `p`, partitions included (without columns: a partition's
//!   columns are its parent's). Columns in `attnum` order:
//!   - type: an enum (or an array of one, element found through `typelem`) is
//!     `BaseType::Enum(schema.name)`; a domain or composite type read into the model (or an
//!     array of one) is `BaseType::Domain` / `BaseType::Composite`; a type in `pg_catalog`
//!     that `compile::types` knows, spelled as `format_type()` prints it, is
//!     `BaseType::Builtin`; anything else (extension types, ignored domains, `money`,
//!     `point`, …) is `BaseType::Custom(format_type text)`. A trailing `[]` becomes the
//!     array flag, as `type_sql` does.
//!   - identity: `attidentity` `a`/`d`, no default; generated: `attgenerated = 's'`, the
//!     expression from `pg_get_expr(adbin)`, no default.
//!   - serial: a default that is exactly `nextval('<seq>'::regclass)` of a sequence in the
//!     table's schema that is OWNED BY the column (`pg_depend` deptype `a`) and has the
//!     column's type is `ColumnDefault::Serial { sequence }`; any other default is
//!     `ColumnDefault::Sql(Expr::parse(pg_get_expr(adbin, adrelid)))`.
//!   - collation only when `attcollation` differs from the type's default (its `collname`).
//! * **Constraints**: primary key and uniques with columns in `conkey` order; checks from
//!   `pg_get_expr(conbin)` (not `pg_get_constraintdef`, which adds `CHECK (…)`); foreign keys
//!   with `confkey` columns, actions (`a` no action, `r` restrict, `c` cascade, `n` set null,
//!   `d` set default) and deferrability; checks and foreign keys with `convalidated` (NOT
//!   VALID). Exclusion constraints are not in the model; they are reported in
//!   `Catalog::skipped`.
//! * **Domains and composite types** (`catalog::domain`, one query): domains with base type
//!   (read like a column type), `typnotnull`, default, collation when not the base type's,
//!   checks (`contype = 'c'` on `contypid`, `pg_get_expr(conbin, 0)`); stand-alone composite
//!   types (`relkind = 'c'`) with their attributes in `attnum` order.
//! * **Indexes**: those not backing a primary key, unique or exclusion constraint of their
//!   table. Key columns by name, expression keys from `pg_get_indexdef(indexrelid, k, true)`;
//!   `indoption` bit 1 = DESC, bit 2 = NULLS FIRST; positions from `indnkeyatts` on are
//!   INCLUDE columns; method from `pg_am`; predicate from `pg_get_expr(indpred)`; a key's
//!   operator class (`indclass`) when the definition prints it (not the type's default).
//! * **Sequences**: `relkind = 'S'` with their `pg_sequence` options, normalised to the
//!   canonical form (defaults as `None`), OWNED BY from `pg_depend` deptype `a`; identity
//!   sequences (deptype `i`) are part of their column; a serial column's sequence with default
//!   options stays the column's serial, one with options makes the column's default the
//!   `nextval` it is (`model::sequence::unfold_serials`).
//!
//! # What is skipped
//!
//! Schemas not in `ReadOptions::schemas`; the history schema; tables and enums owned by an
//! extension (`pg_depend` deptype `e`); objects of every kind whose `schema.name` matches an
//! `ignore` glob (`*` matches any run of characters, everything else is literal), and
//! constraints and indexes also by `schema.table.name` (see `model::ignore`); what
//! PostgreSQL copies from a partitioned table onto its partitions (see `catalog::partition`).
//!
//! # Normalisation
//!
//! Expressions compare by `Expr::canonical` (see `model::expr`), which already absorbs what
//! PostgreSQL does to them when it stores them: literal casts (`'ACTIVE'::registrationstatus`,
//! `'-1'::integer`, `'{}'::text[]`), added parentheses, `IN` → `= ANY (ARRAY[…])`, implicit
//! casts to text/numeric. Names are final in the model, so PostgreSQL's generated names are
//! read as they are. Type spellings come from `format_type()`, which is what `compile`
//! canonicalises to.
//!
//! # Never panics
//!
//! Unexpected catalog contents (an expression the parser cannot read, an unknown
//! `confdeltype`, a key column that is missing) never panic: the object (or the default) is
//! left out of the model and the reason is added to `Catalog::skipped`.
//!
//! # Inventory
//!
//! [`inventory::read`] is a separate, flat listing of every object outside the system schemas
//! (views, sequences, functions, domains, … too), for checks that a database holds nothing
//! more than before (`verify`'s rollback check).

mod aggregate;
mod domain;
mod function;
mod grant;
pub mod inventory;
mod partition;
mod policy;
mod queries;
mod view;

pub use view::{SERVER_FORMS, server_forms, server_forms_sql};
mod sequence;
mod trigger;

use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{ToSql, Type};
use postgres::{IsolationLevel, Row};

use crate::compile::types::{TypeSpec, parse_type};
use crate::model::{
    BaseType, Check, Column, ColumnDefault, DataType, Deferrable, EnumType, Expr, Extension,
    FkAction, ForeignKey, Identity, Index, IndexKey, Model, PrimaryKey, QualifiedName, Schema,
    Table, Unique,
};

/// The comment PostgreSQL gives the `public` schema of every new database: read as none.
pub const PUBLIC_SCHEMA_COMMENT: &str = "standard public schema";

/// What to read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// The managed schemas (`project.schemas`).
    pub schemas: Vec<String>,
    /// `schema.name` globs (`*` = any run of characters) of tables and enums to leave out.
    pub ignore: Vec<String>,
    /// schemactl's own history schema: never read, even when listed in `schemas`.
    pub history_schema: String,
}

/// The model read from a database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Catalog {
    pub model: Model,
    /// Round trips used (statements sent, `BEGIN`/`COMMIT` included); does not depend on the
    /// number of schemas or tables.
    pub queries: usize,
    /// Objects (or parts of them) found in the catalog but left out of the model because they
    /// cannot be represented, each with the reason. Ignored and extension-owned objects are
    /// not listed here: leaving those out is intended.
    pub skipped: Vec<String>,
    /// INVALID indexes (a concurrent build that failed or was cancelled): never part of the
    /// model, but a unique one still checks every write, so `drift` reports them.
    pub invalid_indexes: Vec<(QualifiedName, String)>,
}

/// The `search_path` set for the reading transaction (see the module docs).
pub const SEARCH_PATH: &str = "pg_catalog, public";

/// Session settings for the reading transaction, sent as one statement batch (one round
/// trip): the `search_path`, and the settings that decide how literal values print
/// (`model::expr` normalises typed literals to exactly this output); JIT off because the
/// catalog queries are short and JIT compilation costs more than it saves. Public so the
/// benchmark's psql baseline runs exactly the same statements.
pub const SETTINGS: &str = "SET LOCAL search_path = pg_catalog, public; \
     SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, MDY'; \
     SET LOCAL IntervalStyle = 'postgres'; SET LOCAL extra_float_digits = 1; \
     SET LOCAL bytea_output = 'hex'; SET LOCAL jit = off";

/// Read the managed schemas of the database `client` is connected to.
pub fn read(client: &mut postgres::Client, opts: &ReadOptions) -> Result<Catalog, postgres::Error> {
    let schemas: Vec<String> = opts
        .schemas
        .iter()
        .filter(|s| **s != opts.history_schema)
        .cloned()
        .collect();
    let mut tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()?;
    tx.batch_execute(SETTINGS)?;

    let mut q = Queries {
        tx: &mut tx,
        param: [(&schemas, Type::TEXT_ARRAY)],
        sent: 2, // BEGIN, SET LOCAL
    };
    let mut r = Reader {
        ignore: &opts.ignore,
        model: Model::default(),
        skipped: Vec::new(),
        invalid_indexes: Vec::new(),
    };
    // Queries run in the order their rows are decoded: user types before the columns that
    // use them, tables before constraints, views before materialized-view indexes. The three
    // large result sets (columns, constraints, indexes) are decoded row by row as they
    // arrive, so that no large result set is held whole beside the model it becomes.
    r.schemas(&q.all(queries::SCHEMAS, true)?);
    r.extensions(&q.all(queries::EXTENSIONS, false)?);
    r.enums(&q.all(queries::ENUMS, true)?);
    let type_rows = q.all(queries::USER_TYPES, true)?;
    let types = r.user_type_names(&type_rows);
    r.user_types(&type_rows, &types);
    drop(type_rows);
    q.each(queries::COLUMNS, |row| r.table_column(&row, &types))?;
    q.each(queries::CONSTRAINTS, |row| r.constraint(&row))?;
    r.views(&q.all(queries::VIEWS, true)?);
    q.each(queries::INDEXES, |row| r.index(&row))?;
    r.sequences(&q.all(queries::SEQUENCES, true)?);
    r.partitions(&q.all(queries::PARTITIONS, true)?);
    r.functions(&q.all(queries::FUNCTIONS, true)?);
    r.aggregates(&q.all(queries::AGGREGATES, true)?);
    q.each(queries::TRIGGERS, |row| r.trigger(&row))?;
    q.each(queries::POLICIES, |row| r.policy(&row))?;
    grant::grants(&mut r.model, &q.all(queries::GRANTS, true)?);
    // `queries::ALL` lists what was sent (the bench runs that list through psql).
    debug_assert_eq!(q.sent, queries::ALL.len() + 2);
    let queries = q.sent + 1; // COMMIT
    tx.commit()?;
    r.model.drop_ignored(r.ignore);
    r.model.type_literals();

    Ok(Catalog {
        model: r.model,
        queries,
        skipped: r.skipped,
        invalid_indexes: r.invalid_indexes,
    })
}

/// The reading transaction's statements, counted.
struct Queries<'t, 'c> {
    tx: &'t mut postgres::Transaction<'c>,
    /// The managed schema names, the one parameter of the queries that take one.
    param: [(&'t Vec<String>, Type); 1],
    sent: usize,
}

impl Queries<'_, '_> {
    /// Run `sql` (with the schema names as `$1`) and hand each row to `f` as it arrives.
    fn each(&mut self, sql: &str, mut f: impl FnMut(Row)) -> Result<(), postgres::Error> {
        self.run(sql, true, &mut f)
    }

    /// Every row of `sql`, collected.
    fn all(&mut self, sql: &str, with_schemas: bool) -> Result<Vec<Row>, postgres::Error> {
        let mut rows = Vec::new();
        self.run(sql, with_schemas, &mut |row| rows.push(row))?;
        Ok(rows)
    }

    fn run(
        &mut self,
        sql: &str,
        with_schemas: bool,
        f: &mut dyn FnMut(Row),
    ) -> Result<(), postgres::Error> {
        self.sent += 1;
        let params = self.param.iter().take(usize::from(with_schemas));
        let mut rows = self.tx.query_typed_raw(
            sql,
            params.map(|(v, t)| (*v as &(dyn ToSql + Sync), t.clone())),
        )?;
        while let Some(row) = rows.next()? {
            f(row);
        }
        Ok(())
    }
}

pub use crate::model::ignore::glob_match;

struct Reader<'a> {
    ignore: &'a [String],
    model: Model,
    skipped: Vec<String>,
    invalid_indexes: Vec<(QualifiedName, String)>,
}

impl Reader<'_> {
    fn ignored(&self, schema: &str, name: &str) -> bool {
        crate::model::ignore::ignored(self.ignore, schema, name)
    }

    /// A constraint or index `name` of `schema.table` (see `model::ignore`).
    fn ignored_part(&self, schema: &str, table: &str, name: &str) -> bool {
        crate::model::ignore::ignored_part(self.ignore, schema, table, name)
    }

    fn skip(&mut self, what: String) {
        self.skipped.push(what);
    }

    fn table_mut(&mut self, schema: &str, name: &str) -> Option<&mut Table> {
        self.model.schemas.get_mut(schema)?.tables.get_mut(name)
    }

    fn schemas(&mut self, rows: &[Row]) {
        for row in rows {
            let name: String = row.get(0);
            let comment: Option<String> = row.get(1);
            // PostgreSQL's own comment of `public` (in every new database) is no comment.
            let comment = comment.filter(|c| !(name == "public" && c == PUBLIC_SCHEMA_COMMENT));
            let schema = Schema {
                comment,
                ..Default::default()
            };
            self.model.schemas.insert(name, schema);
        }
    }

    fn extensions(&mut self, rows: &[Row]) {
        for row in rows {
            let name: String = row.get(0);
            let schema: String = row.get(1);
            self.model.extensions.insert(
                name,
                Extension {
                    schema: Some(schema),
                },
            );
        }
    }

    fn enums(&mut self, rows: &[Row]) {
        for row in rows {
            let schema: String = row.get(0);
            let name: String = row.get(1);
            if self.ignored(&schema, &name) {
                continue;
            }
            let values: Vec<String> = row.get(2);
            let comment: Option<String> = row.get(3);
            if let Some(s) = self.model.schemas.get_mut(&schema) {
                s.enums.insert(
                    name,
                    EnumType {
                        grants: None,
                        values,
                        comment,
                    },
                );
            }
        }
    }

    /// One row of `queries::COLUMNS`: a table, with one of its columns.
    fn table_column(&mut self, row: &Row, types: &domain::UserTypes) {
        let schema: String = row.get(0);
        let tname: String = row.get(1);
        if self.ignored(&schema, &tname) {
            return;
        }
        let Some(s) = self.model.schemas.get_mut(&schema) else {
            return;
        };
        let table = s.tables.entry(tname.clone()).or_insert_with(|| Table {
            comment: row.get(2),
            row_level_security: row.get(19),
            force_row_level_security: row.get(20),
            ..Table::default()
        });
        let Some(cname) = row.get::<_, Option<String>>(3) else {
            return; // a table without columns
        };
        let q = QualifiedName::new(schema.clone(), tname.clone());
        if let Some(c) = column(row, &q, &cname, types, &mut self.skipped) {
            table.columns.push(c);
        }
    }

    /// One row of `queries::CONSTRAINTS`.
    fn constraint(&mut self, row: &Row) {
        let schema: String = row.get(0);
        let tname: String = row.get(1);
        let name: String = row.get(2);
        let contype: String = row.get(3);
        let columns: Vec<String> = row.get(4);
        let validated: bool = row.get(13);
        let deferrable = Deferrable::from_flags(row.get(11), row.get(12));
        let comment: Option<String> = row.get(14);
        let q = QualifiedName::new(schema.clone(), tname.clone());
        let mut skipped = Vec::new();
        if self.ignored_part(&schema, &tname, &name) {
            return;
        }
        let Some(table) = self.table_mut(&schema, &tname) else {
            return; // unmanaged, ignored or extension-owned table
        };
        match contype.as_str() {
            "p" => {
                table.primary_key = Some(PrimaryKey {
                    name,
                    columns,
                    deferrable,
                    comment,
                });
            }
            "u" => {
                let unique = Unique {
                    columns,
                    deferrable,
                    comment,
                };
                table.uniques.insert(name, unique);
            }
            "c" => {
                let text: Option<String> = row.get(5);
                match text.as_deref().map(Expr::parse) {
                    Some(Ok(expr)) => {
                        let check = Check {
                            expr,
                            validated,
                            comment,
                        };
                        table.checks.insert(name, check);
                    }
                    Some(Err(e)) => skipped.push(format!(
                        "check constraint `{name}` on `{q}`: cannot read its expression: {e}"
                    )),
                    None => {
                        skipped.push(format!("check constraint `{name}` on `{q}`: no expression"))
                    }
                }
            }
            "f" => {
                let rschema: Option<String> = row.get(6);
                let rtable: Option<String> = row.get(7);
                let referenced_columns: Vec<String> = row.get(8);
                let actions = (
                    fk_action(&row.get::<_, String>(9)),
                    fk_action(&row.get::<_, String>(10)),
                );
                match (rschema, rtable, actions) {
                    (Some(rs), Some(rt), (Some(on_delete), Some(on_update))) => {
                        table.foreign_keys.insert(
                            name,
                            ForeignKey {
                                columns,
                                references: QualifiedName::new(rs, rt),
                                referenced_columns,
                                on_delete,
                                on_update,
                                deferrable,
                                validated,
                                comment,
                            },
                        );
                    }
                    _ => skipped.push(format!(
                        "foreign key `{name}` on `{q}`: unknown referenced table or action"
                    )),
                }
            }
            // Read with its index (`indexes`).
            "x" => {}
            other => skipped.push(format!(
                "constraint `{name}` on `{q}`: kind `{other}` is not part of the model"
            )),
        }
        self.skipped.extend(skipped);
    }

    /// One row of `queries::INDEXES`.
    fn index(&mut self, row: &Row) {
        let schema: String = row.get(0);
        let tname: String = row.get(1);
        let name: String = row.get(2);
        if self.ignored_part(&schema, &tname, &name) {
            return;
        }
        let q = QualifiedName::new(schema.clone(), tname.clone());
        if !row.get::<_, bool>(18) {
            self.invalid_indexes.push((q, name));
            return;
        }
        let matview = self
            .model
            .schemas
            .get(&schema)
            .is_some_and(|s| s.materialized_views.contains_key(&tname));
        if self.table_mut(&schema, &tname).is_none() && !matview {
            return;
        }
        let exclusion: Option<String> = row.get(10);
        let operators: Option<Vec<String>> = row.get(11);
        match index(row) {
            Ok(mut index) => {
                if let (Some(t), Some(xname), Some(operators)) =
                    (self.table_mut(&schema, &tname), exclusion, operators)
                {
                    // The constraint's comment; its index's is not modelled.
                    index.comment = None;
                    let x = crate::model::Exclusion {
                        index,
                        operators,
                        deferrable: Deferrable::from_flags(row.get(19), row.get(20)),
                        comment: row.get(17),
                    };
                    t.exclusions.insert(xname, x);
                } else if let Some(t) = self.table_mut(&schema, &tname) {
                    t.indexes.insert(name, index);
                } else if let Some(v) = self
                    .model
                    .schemas
                    .get_mut(&schema)
                    .and_then(|s| s.materialized_views.get_mut(&tname))
                {
                    v.indexes.insert(name, index);
                }
            }
            Err(reason) => self.skip(format!("index `{name}` on `{q}`: {reason}")),
        }
    }
}

fn fk_action(code: &str) -> Option<FkAction> {
    Some(match code {
        "a" => FkAction::NoAction,
        "r" => FkAction::Restrict,
        "c" => FkAction::Cascade,
        "n" => FkAction::SetNull,
        "d" => FkAction::SetDefault,
        _ => return None,
    })
}

/// An identity sequence's options (start, increment, min, max, cache, cycle) in the
/// canonical form, of the column's type; None when all are the defaults.
fn identity_options(
    column_type: &DataType,
    o: &[String],
) -> Option<Box<crate::model::sequence::Sequence>> {
    let n: Vec<i64> = o.iter().take(6).filter_map(|v| v.parse().ok()).collect();
    let [start, increment, min, max, cache, cycle] = n[..] else {
        return None;
    };
    let mut seq = crate::model::sequence::Sequence {
        data_type: column_type.to_string(),
        increment: Some(increment),
        min_value: Some(min),
        max_value: Some(max),
        start: Some(start),
        cache: Some(cache),
        cycle: cycle != 0,
        ..Default::default()
    };
    seq.normalise();
    (!seq.is_plain()).then(|| Box::new(seq))
}

/// One column from a row of [`queries::COLUMNS`]; `None` (with a note) when its type cannot
/// be read.
fn column(
    row: &Row,
    q: &QualifiedName,
    name: &str,
    types: &domain::UserTypes,
    skipped: &mut Vec<String>,
) -> Option<Column> {
    let format: Option<String> = row.get(4);
    let data_type = match data_type(row, types) {
        Some(t) => t,
        None => {
            skipped.push(format!(
                "column `{q}.{name}`: cannot read its type ({})",
                format.as_deref().unwrap_or("unknown")
            ));
            return None;
        }
    };
    let identity = match row.get::<_, Option<String>>(12).as_deref() {
        Some("a") => Some(Identity::Always),
        Some("d") => Some(Identity::ByDefault),
        _ => None,
    };
    let sequence: Option<Vec<String>> = identity.and(row.get(21));
    let identity_options = sequence
        .as_deref()
        .and_then(|o| identity_options(&data_type, o));
    // The sequence's name is not compared: a table rename keeps its identity sequences'
    // names (`compile::reserve_identity_sequences`), so it says nothing about drift.
    if let Some([.., _, seq_type]) = sequence.as_deref() {
        if *seq_type != data_type.to_string() {
            skipped.push(format!(
                "column `{q}.{name}`: identity sequence of type {seq_type} (the model's is the column's type, {data_type}: written as such, and not compared)"
            ));
        }
    }
    let is_generated = row.get::<_, Option<String>>(13).as_deref() == Some("s");
    let expr_text: Option<String> = row.get(14);
    let serial: Option<String> = row.get(15);
    let mut default = None;
    let mut generated = None;
    if let Some(text) = expr_text {
        if let (Some(sequence), false) = (serial, is_generated) {
            default = Some(ColumnDefault::Serial { sequence });
        } else {
            match Expr::parse(&text) {
                Ok(e) if is_generated => generated = Some(e),
                Ok(e) => default = Some(ColumnDefault::Sql(e)),
                Err(e) => skipped.push(format!(
                    "column `{q}.{name}`: cannot read its {} `{text}`: {e}",
                    if is_generated {
                        "generation expression"
                    } else {
                        "default"
                    }
                )),
            }
        }
    }
    Some(Column {
        grants: None,
        name: name.to_string(),
        data_type,
        nullable: !row.get::<_, Option<bool>>(11).unwrap_or(false),
        default,
        identity,
        identity_options,
        generated,
        collation: row.get(16),
        comment: row.get(17),
    })
}

/// The model type of a column (see the module docs); `types` are the domains and
/// composite types read into the model.
fn data_type(row: &Row, types: &domain::UserTypes) -> Option<DataType> {
    let format: String = row.get::<_, Option<String>>(4)?;
    let type_schema: String = row.get::<_, Option<String>>(5)?;
    let type_name: String = row.get::<_, Option<String>>(6)?;
    let typtype: String = row.get::<_, Option<String>>(7)?;
    let elem_schema: Option<String> = row.get(8);
    let elem_name: Option<String> = row.get(9);
    let elem_typtype: Option<String> = row.get(10);

    if typtype == "e" {
        return Some(DataType {
            base: BaseType::Enum(QualifiedName::new(type_schema, type_name)),
            array: false,
        });
    }
    if let Some(base) = types.get(&QualifiedName::new(type_schema.clone(), type_name)) {
        return Some(DataType {
            base: base.clone(),
            array: false,
        });
    }
    let (body, array, base_schema) = match (format.strip_suffix("[]"), &elem_schema) {
        (Some(body), Some(es)) => (body.to_string(), true, es.clone()),
        _ => (format.clone(), false, type_schema),
    };
    if array && elem_typtype.as_deref() == Some("e") {
        return Some(DataType {
            base: BaseType::Enum(QualifiedName::new(base_schema, elem_name?)),
            array: true,
        });
    }
    if array
        && let Some(base) = elem_name
            .as_ref()
            .and_then(|e| types.get(&QualifiedName::new(base_schema.clone(), e.clone())))
    {
        return Some(DataType {
            base: base.clone(),
            array: true,
        });
    }
    let builtin = base_schema == "pg_catalog"
        && matches!(
            parse_type(&body),
            Ok(TypeSpec::Builtin { ty, serial: false, array: false }) if ty.canonical == body
        );
    Some(DataType {
        base: if builtin {
            BaseType::Builtin(body)
        } else {
            BaseType::Custom(body)
        },
        array,
    })
}

/// One index from a row of [`queries::INDEXES`].
fn index(row: &Row) -> Result<Index, String> {
    let method: String = row.get(3);
    let unique: bool = row.get(4);
    let nkey: i32 = row.get(5);
    let columns: Vec<Option<String>> = row.get(6);
    let exprs: Vec<Option<String>> = row.get(7);
    let options: Vec<i32> = row.get(8);
    let predicate: Option<String> = row.get(9);
    let definition: Option<String> = row.get(12);
    let printed: Vec<Option<String>> = row.get(13);
    let opc_printed: Vec<Option<String>> = row.get(14);
    let opc_model: Vec<Option<String>> = row.get(15);
    let nkey = usize::try_from(nkey).map_err(|_| format!("bad key count {nkey}"))?;
    if columns.len() != exprs.len() || nkey > columns.len() {
        return Err("inconsistent key arrays".into());
    }
    let mut keys = Vec::new();
    let mut include = Vec::new();
    for (i, (col, expr)) in columns.into_iter().zip(exprs).enumerate() {
        if i >= nkey {
            include.push(col.ok_or("an INCLUDE position is not a column")?);
            continue;
        }
        let option = options.get(i).copied().unwrap_or(0);
        let expr = match (&col, expr) {
            (Some(_), _) => None,
            (None, Some(text)) => Some(
                Expr::parse(&text)
                    .map_err(|e| format!("cannot read key expression `{text}`: {e}"))?,
            ),
            (None, None) => return Err(format!("key {} has no column or expression", i + 1)),
        };
        // Shown in the definition after its key: not the default for the key's type.
        let opclass = match (
            definition.as_deref(),
            printed.get(i).cloned().flatten(),
            opc_printed.get(i).cloned().flatten(),
        ) {
            (Some(def), Some(key), Some(opc)) if opclass_shown(def, &key, &opc) => {
                opc_model.get(i).cloned().flatten()
            }
            _ => None,
        };
        keys.push(IndexKey {
            column: col,
            expr,
            descending: option & 1 != 0,
            nulls_first: option & 2 != 0,
            opclass,
        });
    }
    let predicate = predicate
        .map(|p| Expr::parse(&p).map_err(|e| format!("cannot read predicate `{p}`: {e}")))
        .transpose()?;
    Ok(Index {
        unique,
        method,
        keys,
        include,
        predicate,
        comment: row.get(16),
    })
}

/// Whether index definition `def` prints operator class `opc` right after key `key`
/// (`… USING gist (address inet_ops, …)`): a key starts after `(` or `, ` and the class is
/// followed by `,`, `)` or a space.
fn opclass_shown(def: &str, key: &str, opc: &str) -> bool {
    let wanted = format!("{key} {opc}");
    def.match_indices(&wanted).any(|(at, _)| {
        let before = &def[..at];
        let after = &def[at + wanted.len()..];
        (before.ends_with('(') || before.ends_with(", "))
            && matches!(after.chars().next(), Some(',' | ')' | ' '))
    })
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn opclass_shown_after_its_key_only() {
        let def = "CREATE INDEX i ON public.t USING gist (address inet_ops, b) WHERE x";
        assert!(super::opclass_shown(def, "address", "inet_ops"));
        assert!(!super::opclass_shown(def, "b", "inet_ops"));
        let def = "CREATE INDEX i ON public.t USING btree (lower(x) text_pattern_ops DESC)";
        assert!(super::opclass_shown(def, "lower(x)", "text_pattern_ops"));
        assert!(!super::opclass_shown(def, "x", "text_pattern_ops"));
    }

    #[test]
    fn globs() {
        assert!(glob_match("public.tmp_*", "public.tmp_x"));
        assert!(glob_match("public.tmp_*", "public.tmp_"));
        assert!(!glob_match("public.tmp_*", "public.tmpx"));
        assert!(glob_match("*", "a.b"));
        assert!(glob_match("*.spatial_ref_sys", "public.spatial_ref_sys"));
        assert!(glob_match("a*b*c", "a.xbyyc"));
        assert!(!glob_match("a*b*c", "a.xbyy"));
        assert!(glob_match("public.t", "public.t"));
        assert!(!glob_match("public.t", "public.tt"));
        assert!(!glob_match("public.?", "public.t"));
    }
}
