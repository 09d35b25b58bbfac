//! SQL of table changes: tables, columns, constraints, indexes, foreign keys.

use std::fmt::Write;

use super::{data_type, default_sql, idents};
use crate::diff::TableChange;
use crate::model::{
    BaseType, Column, ColumnDefault, Exclusion, FkAction, ForeignKey, Identity, Index, IndexKey,
    QualifiedName, Table,
};
use crate::sql::{quote_ident, quote_in, quote_literal, quote_qualified};

pub(super) fn statement(c: &TableChange) -> String {
    match c {
        TableChange::RenameSequence { schema, from, to } => format!(
            "ALTER SEQUENCE {} RENAME TO {};",
            quote_in(schema, from),
            quote_ident(to)
        ),
        TableChange::DropGeneratedColumn { table, column } => format!(
            "ALTER TABLE {} DROP COLUMN {};",
            quote_qualified(table),
            quote_ident(column)
        ),
        TableChange::AddGeneratedColumn(table, column) => format!(
            "ALTER TABLE {} ADD COLUMN {};",
            quote_qualified(table),
            column_definition(column)
        ),
        TableChange::DropExpression { table, column } => format!(
            "ALTER TABLE {} ALTER COLUMN {} DROP EXPRESSION;",
            quote_qualified(table),
            quote_ident(column)
        ),
        TableChange::DropSerial {
            table,
            column,
            sequence,
        } => format!(
            "ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT;\nDROP SEQUENCE {};",
            quote_qualified(table),
            quote_ident(column),
            quote_in(&table.schema, sequence)
        ),
        TableChange::AddSerial {
            table,
            column,
            sequence,
            data_type: ty,
        } => {
            let seq = quote_in(&table.schema, sequence);
            format!(
                "CREATE SEQUENCE {seq} AS {} OWNED BY {}.{};\n{}\nALTER TABLE {} ALTER COLUMN {} SET DEFAULT nextval({}::regclass);",
                data_type(ty),
                quote_qualified(table),
                quote_ident(column),
                continue_after_rows(&quote_literal(&seq), table, column, None),
                quote_qualified(table),
                quote_ident(column),
                quote_literal(&seq)
            )
        }
        TableChange::CreateTable(q, t, _) => create_table(q, t),
        TableChange::AddColumn(q, col) => format!(
            "ALTER TABLE {} ADD COLUMN {};",
            quote_qualified(q),
            column_definition(col)
        ),
        TableChange::AddPrimaryKey(q, pk) => format!(
            "ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY ({}){};",
            quote_qualified(q),
            quote_ident(&pk.name),
            idents(&pk.columns),
            pk.deferrable.sql()
        ),
        TableChange::AddUnique(q, name, u) => format!(
            "ALTER TABLE {} ADD CONSTRAINT {} UNIQUE ({}){};",
            quote_qualified(q),
            quote_ident(name),
            idents(&u.columns),
            u.deferrable.sql()
        ),
        TableChange::AddExclusion(q, name, x) => {
            format!(
                "ALTER TABLE {} ADD {};",
                quote_qualified(q),
                exclusion(name, x)
            )
        }
        TableChange::AddCheck(q, name, c) => format!(
            "ALTER TABLE {} ADD CONSTRAINT {} CHECK ({}){};",
            quote_qualified(q),
            quote_ident(name),
            c.expr.sql(),
            if c.validated { "" } else { " NOT VALID" }
        ),
        TableChange::ValidateConstraint(q, name) => format!(
            "ALTER TABLE {} VALIDATE CONSTRAINT {};",
            quote_qualified(q),
            quote_ident(name)
        ),
        TableChange::AddConstraintUsingIndex {
            table,
            name,
            index,
            primary,
            deferrable,
            replaces,
        } => {
            let add = format!(
                "ALTER TABLE {} ADD CONSTRAINT {} {} USING INDEX {}{};",
                quote_qualified(table),
                quote_ident(name),
                if *primary { "PRIMARY KEY" } else { "UNIQUE" },
                quote_ident(index),
                deferrable.sql()
            );
            if *replaces {
                format!(
                    "ALTER TABLE {} DROP CONSTRAINT {};\n{add}",
                    quote_qualified(table),
                    quote_ident(name)
                )
            } else {
                add
            }
        }
        TableChange::SetNotNullChecked {
            table,
            column,
            check,
        } => format!(
            "ALTER TABLE {t} ALTER COLUMN {} SET NOT NULL;\nALTER TABLE {t} DROP CONSTRAINT {};",
            quote_ident(column),
            quote_ident(check),
            t = quote_qualified(table)
        ),
        TableChange::CreateIndex {
            table,
            name,
            index,
            concurrently: true,
            ..
        } => {
            // A failed concurrent build leaves an INVALID index of that name; the resumed
            // run drops it first (a no-op the first time). Run statement by statement.
            let build =
                create_index(table, name, index).replacen(" INDEX ", " INDEX CONCURRENTLY ", 1);
            format!(
                "DROP INDEX CONCURRENTLY IF EXISTS {};\n{build}",
                quote_in(&table.schema, name)
            )
        }
        TableChange::CreateIndex {
            table, name, index, ..
        } => create_index(table, name, index),
        TableChange::AddForeignKey {
            table, name, fk, ..
        } => format!(
            "ALTER TABLE {} ADD CONSTRAINT {} {};",
            quote_qualified(table),
            quote_ident(name),
            foreign_key(fk)
        ),
        TableChange::DropTable(q) => format!("DROP TABLE {};", quote_qualified(q)),
        TableChange::DropColumn(q, c) => format!(
            "ALTER TABLE {} DROP COLUMN {};",
            quote_qualified(q),
            quote_ident(c)
        ),
        TableChange::AlterColumnType {
            table,
            column,
            from,
            to,
            collation,
            had_default,
            default,
            domain_move,
        } => {
            let col = quote_ident(column);
            let mut actions = Vec::new();
            if *had_default {
                actions.push(format!("ALTER COLUMN {col} DROP DEFAULT"));
            }
            let mut ty = format!("ALTER COLUMN {col} TYPE {}", data_type(to));
            if let Some(c) = collation {
                let _ = write!(ty, " COLLATE {}", quote_ident(c));
            }
            if domain_move.is_none()
                && let Some(using) = crate::diff::typechange::classify(from, to).using
            {
                let _ = write!(ty, " USING {}", using.replace("{col}", &col));
            }
            actions.push(ty);
            if let Some(ColumnDefault::Sql(e)) = default {
                actions.push(format!("ALTER COLUMN {col} SET DEFAULT {}", default_sql(e)));
            }
            let mut s = format!(
                "ALTER TABLE {} {};",
                quote_qualified(table),
                actions.join(", ")
            );
            // A serial's sequence has the column's type (`bigserial`: bigint).
            if let Some(ColumnDefault::Serial { sequence }) = default {
                let _ = write!(
                    s,
                    "\nALTER SEQUENCE {} AS {};",
                    quote_in(&table.schema, sequence),
                    data_type(to)
                );
            }
            s
        }
        TableChange::SetNullable {
            table,
            column,
            nullable,
        } => format!(
            "ALTER TABLE {} ALTER COLUMN {} {} NOT NULL;",
            quote_qualified(table),
            quote_ident(column),
            if *nullable { "DROP" } else { "SET" }
        ),
        TableChange::SetDefault {
            table,
            column,
            default,
            ..
        } => match default {
            Some(e) => format!(
                "ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {};",
                quote_qualified(table),
                quote_ident(column),
                default_sql(e)
            ),
            None => format!(
                "ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT;",
                quote_qualified(table),
                quote_ident(column)
            ),
        },
        TableChange::SetIdentity {
            table,
            column,
            from,
            to,
            from_options,
            options,
        } => {
            let kind = |i: &Identity| match i {
                Identity::Always => "ALWAYS",
                Identity::ByDefault => "BY DEFAULT",
            };
            // Options as `ALTER SEQUENCE` would change them; the defaults where there are none.
            let plain = |o: &Option<Box<crate::model::sequence::Sequence>>| {
                o.as_deref().cloned().unwrap_or_else(|| {
                    let other = options.as_deref().or(from_options.as_deref());
                    crate::model::sequence::Sequence {
                        data_type: other.map(|s| s.data_type.clone()).unwrap_or_default(),
                        ..Default::default()
                    }
                })
            };
            let (from_seq, to_seq) = (plain(from_options), plain(options));
            // The sequence restarts (clear of the rows, below) when its direction flips, or
            // when the bound it starts from moves inwards: its current value may be outside
            // the new range, which PostgreSQL refuses.
            let flipped = super::sequence::flips(&from_seq, &to_seq);
            let (fe, te) = (from_seq.effective(), to_seq.effective());
            let moved_in = if te.increment > 0 {
                te.min_value > fe.min_value
            } else {
                te.max_value < fe.max_value
            };
            let action = match (from, to) {
                (None, Some(i)) => format!(
                    "ADD GENERATED {} AS IDENTITY{}",
                    kind(i),
                    identity_options(options)
                ),
                (Some(_), None) => "DROP IDENTITY".to_string(),
                (Some(f), Some(i)) => {
                    let mut parts = Vec::new();
                    if f != i {
                        parts.push(format!("SET GENERATED {}", kind(i)));
                    }
                    // Each option a `SET` of its own; `RESTART` stays as it is.
                    let clauses = super::sequence::changed_options(&from_seq, &to_seq);
                    parts.extend(clauses.into_iter().map(|c| match c.as_str() {
                        "RESTART" => c,
                        _ => format!("SET {c}"),
                    }));
                    if moved_in && !flipped {
                        parts.push("RESTART".to_string());
                    }
                    parts.join(" ")
                }
                (None, None) => String::new(),
            };
            let mut s = format!(
                "ALTER TABLE {} ALTER COLUMN {} {action};",
                quote_qualified(table),
                quote_ident(column)
            );
            // A new identity sequence starts at its start, maybe among the values already in
            // the column; so does one restarted because its direction flipped.
            let restarted = from.is_some() && to.is_some() && (flipped || moved_in);
            if (from.is_none() && to.is_some()) || restarted {
                let seq = format!(
                    "pg_get_serial_sequence({}, {})",
                    quote_literal(&quote_qualified(table)),
                    quote_literal(column)
                );
                s.push('\n');
                s.push_str(&continue_after_rows(
                    &seq,
                    table,
                    column,
                    options.as_deref(),
                ));
            }
            s
        }
        TableChange::DropPrimaryKey(q, n)
        | TableChange::DropUnique(q, n)
        | TableChange::DropExclusion(q, n)
        | TableChange::DropCheck(q, n)
        | TableChange::DropForeignKey(q, n) => format!(
            "ALTER TABLE {} DROP CONSTRAINT {};",
            quote_qualified(q),
            quote_ident(n)
        ),
        // Outside a transaction the drop may have committed before a crash let the history
        // say so: the resumed run must be able to run it again.
        TableChange::DropIndex(q, n, true) => format!(
            "DROP INDEX CONCURRENTLY IF EXISTS {};",
            quote_in(&q.schema, n)
        ),
        TableChange::DropIndex(q, n, false) => format!("DROP INDEX {};", quote_in(&q.schema, n)),
    }
}

/// Set a sequence so its next value follows the largest one in the column (at least 1).
/// ` (START WITH 10 …)` after `AS IDENTITY`, or nothing for the default options.
fn identity_options(options: &Option<Box<crate::model::sequence::Sequence>>) -> String {
    match options {
        Some(o) => format!(" ({})", super::sequence::options(o).join(" ")),
        None => String::new(),
    }
}

/// Set `sequence` so that its next value is past the rows already in `column`, and not
/// before its start (`options`: an identity's; None for the defaults). A descending sequence
/// continues below the smallest value.
fn continue_after_rows(
    sequence: &str,
    table: &QualifiedName,
    column: &str,
    options: Option<&crate::model::sequence::Sequence>,
) -> String {
    let (start, ascending) = options
        .map(|o| o.effective())
        .map_or((1, true), |e| (e.start, e.increment > 0));
    let col = quote_ident(column);
    let next = if ascending {
        format!("GREATEST(COALESCE(MAX({col})::bigint + 1, {start}), {start})")
    } else {
        format!("LEAST(COALESCE(MIN({col})::bigint - 1, {start}), {start})")
    };
    format!(
        "SELECT setval({sequence}, {next}, false) FROM {};",
        quote_qualified(table)
    )
}

pub(super) fn column_definition(c: &Column) -> String {
    let mut s = quote_ident(&c.name);
    s.push(' ');
    match (&c.default, &c.data_type.base) {
        // serial is shorthand PostgreSQL expands into an owned sequence + nextval default.
        (Some(ColumnDefault::Serial { .. }), BaseType::Builtin(b)) => {
            s.push_str(match b.as_str() {
                "bigint" => "bigserial",
                "smallint" => "smallserial",
                _ => "serial",
            })
        }
        _ => s.push_str(&data_type(&c.data_type)),
    }
    if let Some(coll) = &c.collation {
        let _ = write!(s, " COLLATE {}", quote_ident(coll));
    }
    if !c.nullable {
        s.push_str(" NOT NULL");
    }
    if let Some(ColumnDefault::Sql(e)) = &c.default {
        let _ = write!(s, " DEFAULT {}", default_sql(e));
    }
    if let Some(id) = c.identity {
        s.push_str(match id {
            Identity::Always => " GENERATED ALWAYS AS IDENTITY",
            Identity::ByDefault => " GENERATED BY DEFAULT AS IDENTITY",
        });
        s.push_str(&identity_options(&c.identity_options));
    }
    if let Some(g) = &c.generated {
        let _ = write!(s, " GENERATED ALWAYS AS ({}) STORED", g.sql());
    }
    s
}

fn create_table(q: &QualifiedName, t: &Table) -> String {
    let mut items: Vec<String> = t.columns.iter().map(column_definition).collect();
    if let Some(pk) = &t.primary_key {
        items.push(format!(
            "CONSTRAINT {} PRIMARY KEY ({}){}",
            quote_ident(&pk.name),
            idents(&pk.columns),
            pk.deferrable.sql()
        ));
    }
    for (name, u) in &t.uniques {
        items.push(format!(
            "CONSTRAINT {} UNIQUE ({}){}",
            quote_ident(name),
            idents(&u.columns),
            u.deferrable.sql()
        ));
    }
    for (name, c) in &t.checks {
        items.push(format!(
            "CONSTRAINT {} CHECK ({})",
            quote_ident(name),
            c.expr.sql()
        ));
    }
    for (name, x) in &t.exclusions {
        items.push(exclusion(name, x));
    }
    // A partition takes its parent's columns: `PARTITION OF parent [(constraints)] bound`.
    let mut s = format!("CREATE TABLE {}", quote_qualified(q));
    if let Some(p) = &t.partition_of {
        let _ = write!(s, " PARTITION OF {}", quote_qualified(&p.parent));
    }
    if items.is_empty() {
        if t.partition_of.is_none() {
            s.push_str(" ()");
        }
    } else {
        s.push_str(" (\n");
        s.push_str(
            &items
                .iter()
                .map(|i| format!("    {i}"))
                .collect::<Vec<_>>()
                .join(",\n"),
        );
        s.push_str("\n)");
    }
    if let Some(p) = &t.partition_of {
        let _ = write!(s, " {}", p.bound.sql());
    }
    if let Some(p) = &t.partition_by {
        let _ = write!(s, " PARTITION BY {}", p.sql());
    }
    s.push(';');
    s
}

/// One key of an index or exclusion constraint.
fn index_key(k: &IndexKey) -> String {
    let mut s = match (&k.column, &k.expr) {
        (Some(c), _) => quote_ident(c),
        (None, Some(e)) => format!("({})", e.sql()),
        (None, None) => String::new(),
    };
    if let Some(o) = &k.opclass {
        let parts = crate::sql::split_qualified(o).unwrap_or_else(|_| vec![o.clone()]);
        let quoted: Vec<String> = parts.iter().map(|p| quote_ident(p)).collect();
        let _ = write!(s, " {}", quoted.join("."));
    }
    if k.descending {
        s.push_str(" DESC");
    }
    if !k.default_nulls() {
        s.push_str(if k.nulls_first {
            " NULLS FIRST"
        } else {
            " NULLS LAST"
        });
    }
    s
}

/// `CONSTRAINT n EXCLUDE USING m (key WITH op, …) [INCLUDE (…)] [WHERE (…)]`. Operators
/// are written as `OPERATOR(schema.op)` when qualified, else bare.
pub(super) fn exclusion(name: &str, x: &Exclusion) -> String {
    let elements: Vec<String> = x
        .index
        .keys
        .iter()
        .zip(&x.operators)
        .map(|(k, op)| match op.split_once('.') {
            Some((schema, op)) => format!(
                "{} WITH OPERATOR({}.{op})",
                index_key(k),
                quote_ident(schema)
            ),
            None => format!("{} WITH {op}", index_key(k)),
        })
        .collect();
    let mut s = format!(
        "CONSTRAINT {} EXCLUDE USING {} ({})",
        quote_ident(name),
        quote_ident(&x.index.method),
        elements.join(", ")
    );
    if !x.index.include.is_empty() {
        let _ = write!(s, " INCLUDE ({})", idents(&x.index.include));
    }
    if let Some(p) = &x.index.predicate {
        let _ = write!(s, " WHERE ({})", p.sql());
    }
    s.push_str(x.deferrable.sql());
    s
}

pub(super) fn create_index(table: &QualifiedName, name: &str, ix: &Index) -> String {
    let keys: Vec<String> = ix.keys.iter().map(index_key).collect();
    let mut s = format!(
        "CREATE {}INDEX {} ON {} USING {} ({})",
        if ix.unique { "UNIQUE " } else { "" },
        quote_ident(name),
        quote_qualified(table),
        quote_ident(&ix.method),
        keys.join(", ")
    );
    if !ix.include.is_empty() {
        let _ = write!(s, " INCLUDE ({})", idents(&ix.include));
    }
    if let Some(p) = &ix.predicate {
        let _ = write!(s, " WHERE ({})", p.sql());
    }
    s.push(';');
    s
}

fn foreign_key(fk: &ForeignKey) -> String {
    let mut s = format!(
        "FOREIGN KEY ({}) REFERENCES {} ({})",
        idents(&fk.columns),
        quote_qualified(&fk.references),
        idents(&fk.referenced_columns)
    );
    if fk.on_update != FkAction::NoAction {
        let _ = write!(s, " ON UPDATE {}", fk.on_update.sql());
    }
    if fk.on_delete != FkAction::NoAction {
        let _ = write!(s, " ON DELETE {}", fk.on_delete.sql());
    }
    s.push_str(fk.deferrable.sql());
    if !fk.validated {
        s.push_str(" NOT VALID");
    }
    s
}
