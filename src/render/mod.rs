//! Render changes as PostgreSQL DDL. Every identifier is quoted; user strings only ever
//! appear as quoted literals; expressions are emitted as the user wrote them (they were parsed
//! at compile time).

use std::fmt::Write;

use crate::diff::{Change, CommentTarget, EnumColumn, EnumPosition};
use crate::model::rename::Rename;
use crate::model::{
    BaseType, Column, ColumnDefault, DataType, Deferrable, FkAction, ForeignKey, Identity, Index,
    QualifiedName, Table,
};
use crate::sql::{quote_ident, quote_in, quote_literal, quote_qualified};

/// One statement, terminated by `;`.
pub fn statement(c: &Change) -> String {
    match c {
        Change::Rename(r) => rename(r),
        Change::RenameSequence { schema, from, to } => format!(
            "ALTER SEQUENCE {} RENAME TO {};",
            quote_in(schema, from),
            quote_ident(to)
        ),
        Change::RecreateEnum {
            name,
            values,
            columns,
            ..
        } => recreate_enum(name, values, columns),
        Change::DropGeneratedColumn { table, column } => format!(
            "ALTER TABLE {} DROP COLUMN {};",
            quote_qualified(table),
            quote_ident(column)
        ),
        Change::AddGeneratedColumn(table, column) => format!(
            "ALTER TABLE {} ADD COLUMN {};",
            quote_qualified(table),
            column_definition(column)
        ),
        Change::DropExpression { table, column } => format!(
            "ALTER TABLE {} ALTER COLUMN {} DROP EXPRESSION;",
            quote_qualified(table),
            quote_ident(column)
        ),
        Change::DropSerial {
            table,
            column,
            sequence,
        } => format!(
            "ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT;\nDROP SEQUENCE {};",
            quote_qualified(table),
            quote_ident(column),
            quote_in(&table.schema, sequence)
        ),
        Change::AddSerial {
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
                continue_after_rows(&quote_literal(&seq), table, column),
                quote_qualified(table),
                quote_ident(column),
                quote_literal(&seq)
            )
        }
        Change::CreateSchema(s) => format!("CREATE SCHEMA {};", quote_ident(s)),
        Change::CreateExtension(name, ext) => {
            let mut s = format!("CREATE EXTENSION IF NOT EXISTS {}", quote_ident(name));
            if let Some(schema) = &ext.schema {
                let _ = write!(s, " WITH SCHEMA {}", quote_ident(schema));
            }
            s.push(';');
            s
        }
        Change::CreateEnum(q, e) => {
            let values: Vec<String> = e.values.iter().map(|v| quote_literal(v)).collect();
            format!(
                "CREATE TYPE {} AS ENUM ({});",
                quote_qualified(q),
                values.join(", ")
            )
        }
        Change::CreateTable(q, t) => create_table(q, t),
        Change::AddColumn(q, col) => format!(
            "ALTER TABLE {} ADD COLUMN {};",
            quote_qualified(q),
            column_definition(col)
        ),
        Change::AddPrimaryKey(q, pk) => format!(
            "ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY ({});",
            quote_qualified(q),
            quote_ident(&pk.name),
            idents(&pk.columns)
        ),
        Change::AddUnique(q, name, u) => format!(
            "ALTER TABLE {} ADD CONSTRAINT {} UNIQUE ({});",
            quote_qualified(q),
            quote_ident(name),
            idents(&u.columns)
        ),
        Change::AddCheck(q, name, c) => format!(
            "ALTER TABLE {} ADD CONSTRAINT {} CHECK ({});",
            quote_qualified(q),
            quote_ident(name),
            c.expr.sql()
        ),
        Change::CreateIndex {
            table, name, index, ..
        } => create_index(table, name, index),
        Change::AddForeignKey {
            table, name, fk, ..
        } => format!(
            "ALTER TABLE {} ADD CONSTRAINT {} {};",
            quote_qualified(table),
            quote_ident(name),
            foreign_key(fk)
        ),
        Change::SetComment(target, text) => {
            let value = text.as_deref().map_or("NULL".to_string(), quote_literal);
            match target {
                CommentTarget::Table(q) => {
                    format!("COMMENT ON TABLE {} IS {value};", quote_qualified(q))
                }
                CommentTarget::Type(q) => {
                    format!("COMMENT ON TYPE {} IS {value};", quote_qualified(q))
                }
                CommentTarget::Column(q, c) => format!(
                    "COMMENT ON COLUMN {}.{} IS {value};",
                    quote_qualified(q),
                    quote_ident(c)
                ),
            }
        }
        Change::AddEnumValue {
            name,
            value,
            position,
        } => {
            let mut s = format!(
                "ALTER TYPE {} ADD VALUE IF NOT EXISTS {}",
                quote_qualified(name),
                quote_literal(value)
            );
            match position {
                Some(EnumPosition::Before(v)) => {
                    let _ = write!(s, " BEFORE {}", quote_literal(v));
                }
                Some(EnumPosition::After(v)) => {
                    let _ = write!(s, " AFTER {}", quote_literal(v));
                }
                None => {}
            }
            s.push(';');
            s
        }
        // RESTRICT (the default): fails rather than silently dropping what still uses it.
        Change::DropSchema(s) => format!("DROP SCHEMA {};", quote_ident(s)),
        Change::DropExtension(e) => format!("DROP EXTENSION {};", quote_ident(e)),
        Change::DropEnum(q) | Change::DropEnumBeforeTable(q) => {
            format!("DROP TYPE {};", quote_qualified(q))
        }
        Change::DropTable(q) => format!("DROP TABLE {};", quote_qualified(q)),
        Change::DropColumn(q, c) => format!(
            "ALTER TABLE {} DROP COLUMN {};",
            quote_qualified(q),
            quote_ident(c)
        ),
        Change::AlterColumnType {
            table,
            column,
            from,
            to,
            collation,
            had_default,
            default,
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
            if let Some(using) = crate::plan::typechange::classify(from, to).using {
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
        Change::SetNullable {
            table,
            column,
            nullable,
        } => format!(
            "ALTER TABLE {} ALTER COLUMN {} {} NOT NULL;",
            quote_qualified(table),
            quote_ident(column),
            if *nullable { "DROP" } else { "SET" }
        ),
        Change::SetDefault {
            table,
            column,
            default,
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
        Change::SetIdentity {
            table,
            column,
            from,
            to,
        } => {
            let kind = |i: &Identity| match i {
                Identity::Always => "ALWAYS",
                Identity::ByDefault => "BY DEFAULT",
            };
            let action = match (from, to) {
                (None, Some(i)) => format!("ADD GENERATED {} AS IDENTITY", kind(i)),
                (Some(_), None) => "DROP IDENTITY".to_string(),
                (Some(_), Some(i)) => format!("SET GENERATED {}", kind(i)),
                (None, None) => String::new(),
            };
            let mut s = format!(
                "ALTER TABLE {} ALTER COLUMN {} {action};",
                quote_qualified(table),
                quote_ident(column)
            );
            // A new identity sequence starts at 1, below the values already in the column.
            if from.is_none() && to.is_some() {
                let seq = format!(
                    "pg_get_serial_sequence({}, {})",
                    quote_literal(&quote_qualified(table)),
                    quote_literal(column)
                );
                s.push('\n');
                s.push_str(&continue_after_rows(&seq, table, column));
            }
            s
        }
        Change::DropPrimaryKey(q, n)
        | Change::DropUnique(q, n)
        | Change::DropCheck(q, n)
        | Change::DropForeignKey(q, n) => format!(
            "ALTER TABLE {} DROP CONSTRAINT {};",
            quote_qualified(q),
            quote_ident(n)
        ),
        Change::DropIndex(q, n) => {
            format!("DROP INDEX {};", quote_in(&q.schema, n))
        }
        // Never rendered: `plan` keeps these out of the steps.
        Change::Unsupported(what) => format!("-- not planned: {what}"),
    }
}

/// Set a sequence so its next value follows the largest one in the column (at least 1).
fn continue_after_rows(sequence: &str, table: &QualifiedName, column: &str) -> String {
    format!(
        "SELECT setval({sequence}, GREATEST(COALESCE(MAX({col})::bigint + 1, 1), 1), false) FROM {};",
        quote_qualified(table),
        col = quote_ident(column)
    )
}

fn rename(r: &Rename) -> String {
    match r {
        Rename::Enum { schema, from, to } => format!(
            "ALTER TYPE {} RENAME TO {};",
            quote_in(schema, from),
            quote_ident(to)
        ),
        Rename::EnumValue { name, from, to } => format!(
            "ALTER TYPE {} RENAME VALUE {} TO {};",
            quote_qualified(name),
            quote_literal(from),
            quote_literal(to)
        ),
        Rename::Table { schema, from, to } => format!(
            "ALTER TABLE {} RENAME TO {};",
            quote_in(schema, from),
            quote_ident(to)
        ),
        Rename::Column { table, from, to } => format!(
            "ALTER TABLE {} RENAME COLUMN {} TO {};",
            quote_qualified(table),
            quote_ident(from),
            quote_ident(to)
        ),
        Rename::Constraint { table, from, to } => format!(
            "ALTER TABLE {} RENAME CONSTRAINT {} TO {};",
            quote_qualified(table),
            quote_ident(from),
            quote_ident(to)
        ),
        Rename::Index { table, from, to } => format!(
            "ALTER INDEX {} RENAME TO {};",
            quote_in(&table.schema, from),
            quote_ident(to)
        ),
    }
}

/// The old type is renamed out of the way, the new one created under the name, every column
/// converted through text (defaults dropped around it: they cannot be cast), then the old
/// type dropped. A value no longer in the type makes the conversion fail, rolling back.
fn recreate_enum(name: &QualifiedName, values: &[String], columns: &[EnumColumn]) -> String {
    // Keep the temporary name within 63 bytes (on a character boundary).
    const SUFFIX: &str = "__schemactl_old";
    let mut keep = name
        .name
        .len()
        .min(crate::sql::MAX_IDENT_BYTES - SUFFIX.len());
    while !name.name.is_char_boundary(keep) {
        keep -= 1;
    }
    let old = format!("{}{SUFFIX}", &name.name[..keep]);
    let mut s = format!(
        "ALTER TYPE {} RENAME TO {};\n",
        quote_qualified(name),
        quote_ident(&old)
    );
    let labels: Vec<String> = values.iter().map(|v| quote_literal(v)).collect();
    let _ = writeln!(
        s,
        "CREATE TYPE {} AS ENUM ({});",
        quote_qualified(name),
        labels.join(", ")
    );
    let ty = quote_qualified(name);
    for c in columns {
        let col = quote_ident(&c.column);
        let mut actions = Vec::new();
        if c.had_default {
            actions.push(format!("ALTER COLUMN {col} DROP DEFAULT"));
        }
        let (array, text) = if c.array {
            ("[]", "text[]")
        } else {
            ("", "text")
        };
        actions.push(if c.to_text {
            format!("ALTER COLUMN {col} TYPE {text} USING {col}::{text}")
        } else {
            format!("ALTER COLUMN {col} TYPE {ty}{array} USING {col}::{text}::{ty}{array}")
        });
        if let Some(e) = &c.default {
            actions.push(format!("ALTER COLUMN {col} SET DEFAULT {}", default_sql(e)));
        }
        let _ = writeln!(
            s,
            "ALTER TABLE {} {};",
            quote_qualified(&c.table),
            actions.join(", ")
        );
    }
    let _ = write!(s, "DROP TYPE {};", quote_in(&name.schema, &old));
    s
}

fn idents(names: &[String]) -> String {
    names
        .iter()
        .map(|n| quote_ident(n))
        .collect::<Vec<_>>()
        .join(", ")
}

/// SQL for a column type.
pub fn data_type(t: &DataType) -> String {
    let mut s = match &t.base {
        BaseType::Builtin(b) => b.clone(),
        BaseType::Enum(q) => quote_qualified(q),
        BaseType::Custom(c) => c.clone(),
    };
    if t.array {
        s.push_str("[]");
    }
    s
}

fn column_definition(c: &Column) -> String {
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
    }
    if let Some(g) = &c.generated {
        let _ = write!(s, " GENERATED ALWAYS AS ({}) STORED", g.sql());
    }
    s
}

/// A default expression as it follows `DEFAULT` (parenthesised unless a single term).
fn default_sql(e: &crate::model::Expr) -> String {
    if e.needs_parens_as_default() {
        format!("({})", e.sql())
    } else {
        e.sql().to_string()
    }
}

fn create_table(q: &QualifiedName, t: &Table) -> String {
    let mut items: Vec<String> = t.columns.iter().map(column_definition).collect();
    if let Some(pk) = &t.primary_key {
        items.push(format!(
            "CONSTRAINT {} PRIMARY KEY ({})",
            quote_ident(&pk.name),
            idents(&pk.columns)
        ));
    }
    for (name, u) in &t.uniques {
        items.push(format!(
            "CONSTRAINT {} UNIQUE ({})",
            quote_ident(name),
            idents(&u.columns)
        ));
    }
    for (name, c) in &t.checks {
        items.push(format!(
            "CONSTRAINT {} CHECK ({})",
            quote_ident(name),
            c.expr.sql()
        ));
    }
    let mut s = format!("CREATE TABLE {} (", quote_qualified(q));
    if items.is_empty() {
        s.push_str(");");
        return s;
    }
    s.push('\n');
    s.push_str(
        &items
            .iter()
            .map(|i| format!("    {i}"))
            .collect::<Vec<_>>()
            .join(",\n"),
    );
    s.push_str("\n);");
    s
}

fn create_index(table: &QualifiedName, name: &str, ix: &Index) -> String {
    let keys: Vec<String> = ix
        .keys
        .iter()
        .map(|k| {
            let mut s = match (&k.column, &k.expr) {
                (Some(c), _) => quote_ident(c),
                (None, Some(e)) => format!("({})", e.sql()),
                (None, None) => String::new(),
            };
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
        })
        .collect();
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
    match fk.deferrable {
        Deferrable::No => {}
        Deferrable::Immediate => s.push_str(" DEFERRABLE INITIALLY IMMEDIATE"),
        Deferrable::Deferred => s.push_str(" DEFERRABLE INITIALLY DEFERRED"),
    }
    s
}
