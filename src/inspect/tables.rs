//! Tables: `[tables.NAME]`, its columns (one inline table per column, in order), and the
//! table-level lists (`unique`, `checks`, `indexes`, `foreign_keys`, `exclusions`), with the
//! column shorthands where they fit and PostgreSQL's default names left out.

use std::collections::{BTreeMap, BTreeSet};

use super::writer::{self, Doc, Val};
use super::{Cx, comments, grants, partitions, path_part, policies, triggers};
use crate::compile::names;
use crate::model::grant::GrantKind;
use crate::model::{
    BaseType, Column, ColumnDefault, DataType, Deferrable, Expr, FkAction, ForeignKey, Identity,
    Index, QualifiedName, Table,
};

pub(super) fn write(
    cx: &Cx<'_>,
    doc: &mut Doc,
    schema: &str,
    name: &str,
    counts: &mut BTreeMap<&'static str, usize>,
) {
    let Some(t) = cx.model.table(&QualifiedName::new(schema, name)) else {
        return;
    };
    let kind = if t.partition_of.is_some() {
        "partitions"
    } else {
        "tables"
    };
    *counts.entry(kind).or_default() += 1;

    // Column shorthands: a single-column primary key, unique constraint or foreign key with
    // PostgreSQL's default name.
    let pk_single = t
        .primary_key
        .as_ref()
        .filter(|pk| pk.columns.len() == 1 && t.partition_of.is_none())
        .map(|pk| pk.columns[0].clone());
    let mut unique_on: BTreeMap<String, String> = BTreeMap::new();
    if t.partition_of.is_none() {
        for (n, u) in &t.uniques {
            if let [c] = u.columns.as_slice()
                && *n
                    == names::make_object_name(name, Some(&names::name_addition(&u.columns)), "key")
                && u.comment.is_none()
                && u.deferrable.is_no()
                && !unique_on.contains_key(c)
            {
                unique_on.insert(c.clone(), n.clone());
            }
        }
    }
    let mut fk_on: BTreeMap<String, String> = BTreeMap::new();
    if t.partition_of.is_none() {
        for (n, fk) in &t.foreign_keys {
            if let [c] = fk.columns.as_slice()
                && fk.referenced_columns.len() == 1
                && fk.validated
                && fk.comment.is_none()
                && *n
                    == names::make_object_name(
                        name,
                        Some(&names::fk_name_addition(&fk.columns)),
                        "fkey",
                    )
                && !fk_on.contains_key(c)
            {
                fk_on.insert(c.clone(), n.clone());
            }
        }
    }

    doc.table(&["tables", name]);
    comments::line(doc, &t.comment);
    if let Some(pk) = &t.primary_key {
        *counts.entry("primary keys").or_default() += 1;
        if pk_single.is_none() {
            doc.kv("primary_key", writer::strings(&pk.columns));
        }
        if pk.name != names::make_object_name(name, None, "pkey") {
            doc.kv("primary_key_name", writer::string(&pk.name));
        }
        if let Some(c) = &pk.comment {
            doc.kv("primary_key_comment", writer::string(c));
        }
        if let Some(d) = deferrable(pk.deferrable) {
            doc.kv("primary_key_deferrable", d);
        }
    }
    partitions::lines(cx, doc, schema, t);
    if t.row_level_security {
        doc.kv("row_level_security", writer::boolean(true));
    }
    if t.force_row_level_security {
        doc.kv("force_row_level_security", writer::boolean(true));
    }
    grants::line(doc, &t.grants, GrantKind::Table);

    if t.partition_of.is_none() {
        doc.table(&["tables", name, "columns"]);
        let pairs = t
            .columns
            .iter()
            .map(|c| {
                let v = column(
                    cx,
                    schema,
                    name,
                    t,
                    c,
                    pk_single.as_deref() == Some(c.name.as_str()),
                    unique_on.contains_key(&c.name),
                    fk_on.contains_key(&c.name),
                );
                (c.name.clone(), v)
            })
            .collect();
        doc.aligned(pairs);
    }

    let shorthand_uniques: BTreeSet<&String> = unique_on.values().collect();
    for (n, u) in &t.uniques {
        if shorthand_uniques.contains(n) {
            continue;
        }
        doc.array_table(&["tables", name, "unique"]);
        doc.kv("columns", writer::strings(&u.columns));
        if *n != names::make_object_name(name, Some(&names::name_addition(&u.columns)), "key") {
            doc.kv("name", writer::string(n));
        }
        if let Some(d) = deferrable(u.deferrable) {
            doc.kv("deferrable", d);
        }
        comments::line(doc, &u.comment);
        *counts.entry("unique constraints").or_default() += 1;
    }
    if !shorthand_uniques.is_empty() {
        *counts.entry("unique constraints").or_default() += shorthand_uniques.len();
    }
    for (n, c) in &t.checks {
        doc.array_table(&["tables", name, "checks"]);
        let cols = c.expr.referenced_columns();
        let single = (cols.len() == 1).then(|| cols.into_iter().next()).flatten();
        if *n != names::make_object_name(name, single.as_deref(), "check") {
            doc.kv("name", writer::string(n));
        }
        doc.kv("expr", writer::string(&expr_text(&c.expr)));
        if !c.validated {
            doc.kv("validated", writer::boolean(false));
        }
        comments::line(doc, &c.comment);
        *counts.entry("checks").or_default() += 1;
    }
    for (n, ix) in &t.indexes {
        doc.array_table(&["tables", name, "indexes"]);
        index(doc, name, n, ix, false);
        *counts.entry("indexes").or_default() += 1;
    }
    let shorthand_fks: BTreeSet<&String> = fk_on.values().collect();
    for (n, fk) in &t.foreign_keys {
        *counts.entry("foreign keys").or_default() += 1;
        if shorthand_fks.contains(n) {
            continue;
        }
        doc.array_table(&["tables", name, "foreign_keys"]);
        doc.kv("columns", writer::strings(&fk.columns));
        let mut target = Vec::new();
        match cx.table_ref(&fk.references, schema) {
            (None, tn) => target.push(("table", writer::line_string(&path_part(tn)))),
            (Some(s), tn) => {
                target.push(("schema", writer::line_string(s)));
                target.push(("table", writer::line_string(tn)));
            }
        }
        target.push(("columns", writer::strings(&fk.referenced_columns)));
        doc.kv("references", writer::inline(target));
        for (k, v) in fk_actions(fk) {
            doc.kv(k, v);
        }
        if *n != names::make_object_name(name, Some(&names::fk_name_addition(&fk.columns)), "fkey")
        {
            doc.kv("name", writer::string(n));
        }
        if !fk.validated {
            doc.kv("validated", writer::boolean(false));
        }
        comments::line(doc, &fk.comment);
    }
    for (n, x) in &t.exclusions {
        doc.array_table(&["tables", name, "exclusions"]);
        doc.kv("name", writer::string(n));
        if x.index.method != "gist" {
            doc.kv("method", writer::string(&x.index.method));
        }
        let keys = x
            .index
            .keys
            .iter()
            .zip(&x.operators)
            .map(|(k, op)| {
                let mut kv = key_parts(k);
                kv.push(("with", writer::line_string(op)));
                writer::inline(kv)
            })
            .collect();
        doc.kv("columns", writer::array(keys));
        if !x.index.include.is_empty() {
            doc.kv("include", writer::strings(&x.index.include));
        }
        if let Some(p) = &x.index.predicate {
            doc.kv("where", writer::string(&expr_text(p)));
        }
        if let Some(d) = deferrable(x.deferrable) {
            doc.kv("deferrable", d);
        }
        comments::line(doc, &x.comment);
        *counts.entry("exclusion constraints").or_default() += 1;
    }
    triggers::write(cx, doc, schema, ("tables", name), &t.triggers, counts);
    policies::write(doc, name, t, counts);
}

/// One column's inline table.
#[allow(clippy::too_many_arguments)]
fn column(
    cx: &Cx<'_>,
    schema: &str,
    table: &str,
    t: &Table,
    c: &Column,
    primary_key: bool,
    unique: bool,
    references: bool,
) -> Val {
    let mut kv: Vec<(&str, Val)> = Vec::new();
    let serial = match &c.default {
        Some(ColumnDefault::Serial { sequence }) => serial_type(table, c, sequence),
        _ => None,
    };
    match serial {
        Some(s) => kv.push(("type", writer::line_string(s))),
        None => {
            let (k, ty) = cx.type_of(&c.data_type, schema);
            kv.push((k, writer::line_string(&ty)));
        }
    }
    if c.nullable {
        kv.push(("nullable", writer::boolean(true)));
    }
    match &c.default {
        Some(ColumnDefault::Sql(e)) => {
            let (k, v) = default_value(e, &c.data_type);
            kv.push((k, v));
        }
        Some(ColumnDefault::Serial { sequence }) if serial.is_none() => {
            kv.push((
                "default_sql",
                writer::line_string(&nextval(schema, sequence)),
            ));
        }
        _ => {}
    }
    if let Some(i) = c.identity {
        let v = match i {
            Identity::Always => "always",
            Identity::ByDefault => "by_default",
        };
        match &c.identity_options {
            None => kv.push(("identity", writer::line_string(v))),
            Some(o) => {
                let mut t = vec![("generated", writer::line_string(v))];
                t.extend(super::sequences::options(o));
                kv.push(("identity", writer::inline(t)));
            }
        }
    }
    if let Some(g) = &c.generated {
        kv.push(("generated_sql", writer::line_string(&expr_text(g))));
    }
    if primary_key {
        kv.push(("primary_key", writer::boolean(true)));
    }
    if unique {
        kv.push(("unique", writer::boolean(true)));
    }
    if references
        && let Some(fk) = t
            .foreign_keys
            .values()
            .find(|fk| fk.columns.len() == 1 && fk.columns[0] == c.name && fk.validated)
    {
        let target = format!(
            "{}.{}",
            cx.table_path(&fk.references, schema),
            path_part(&fk.referenced_columns[0])
        );
        kv.push(("references", writer::line_string(&target)));
        kv.extend(fk_actions(fk));
    }
    if let Some(coll) = &c.collation {
        kv.push(("collation", writer::line_string(coll)));
    }
    if let Some(kv_comment) = comments::key(&c.comment) {
        kv.push(kv_comment);
    }
    if let Some(g) = grants::value(&c.grants, GrantKind::Column) {
        kv.push(("grants", g));
    }
    writer::inline(kv)
}

/// `serial`/`bigserial`/`smallserial` when the column's sequence has the name PostgreSQL
/// gives a serial's (`<table>_<column>_seq`); `None` otherwise (written as the sequence it is,
/// see `sequences`).
pub(super) fn serial_type(table: &str, c: &Column, sequence: &str) -> Option<&'static str> {
    if sequence != names::make_object_name(table, Some(&c.name), "seq") || c.data_type.array {
        return None;
    }
    match &c.data_type.base {
        BaseType::Builtin(b) => match b.as_str() {
            "integer" => Some("serial"),
            "bigint" => Some("bigserial"),
            "smallint" => Some("smallserial"),
            _ => None,
        },
        _ => None,
    }
}

/// `nextval('<sequence>'::regclass)` as the catalog prints it for a sequence of `schema`.
pub(super) fn nextval(schema: &str, sequence: &str) -> String {
    let name = if schema == "public" {
        crate::sql::display_ident(sequence)
    } else {
        format!(
            "{}.{}",
            crate::sql::display_ident(schema),
            crate::sql::display_ident(sequence)
        )
    };
    format!("nextval({}::regclass)", crate::sql::quote_literal(&name))
}

/// `on_delete`, `on_update`, `deferrable` where not the defaults.
fn fk_actions(fk: &ForeignKey) -> Vec<(&'static str, Val)> {
    let mut kv = Vec::new();
    for (k, a) in [("on_delete", fk.on_delete), ("on_update", fk.on_update)] {
        let v = match a {
            FkAction::NoAction => continue,
            FkAction::Restrict => "restrict",
            FkAction::Cascade => "cascade",
            FkAction::SetNull => "set_null",
            FkAction::SetDefault => "set_default",
        };
        kv.push((k, writer::line_string(v)));
    }
    if let Some(d) = deferrable(fk.deferrable) {
        kv.push(("deferrable", d));
    }
    kv
}

/// A constraint's `deferrable` value, None for the default (not deferrable).
fn deferrable(d: Deferrable) -> Option<Val> {
    match d {
        Deferrable::No => None,
        Deferrable::Immediate => Some(writer::line_string("immediate")),
        Deferrable::Deferred => Some(writer::line_string("deferred")),
    }
}

/// The keys of an index entry (a table's or a materialized view's); `name` left out when it
/// is PostgreSQL's default for `table` (never for a materialized view: `name_required`).
pub(super) fn index(doc: &mut Doc, table: &str, name: &str, ix: &Index, name_required: bool) {
    let mut cols: Vec<String> = ix
        .keys
        .iter()
        .map(|k| match (&k.column, &k.expr) {
            (Some(c), _) => c.clone(),
            (None, Some(e)) => e.index_column_name(),
            _ => "expr".to_string(),
        })
        .collect();
    cols.extend(ix.include.iter().cloned());
    let default = names::make_object_name(table, Some(&names::name_addition(&cols)), "idx");
    if name_required || name != default {
        doc.kv("name", writer::string(name));
    }
    let keys: Vec<Val> = ix
        .keys
        .iter()
        .map(|k| {
            let parts = key_parts(k);
            match (&k.column, parts.len()) {
                (Some(c), 1) => writer::line_string(c),
                _ => writer::inline(parts),
            }
        })
        .collect();
    doc.kv("columns", writer::array(keys));
    if ix.unique {
        doc.kv("unique", writer::boolean(true));
    }
    if ix.method != "btree" {
        doc.kv("method", writer::string(&ix.method));
    }
    if !ix.include.is_empty() {
        doc.kv("include", writer::strings(&ix.include));
    }
    if let Some(p) = &ix.predicate {
        doc.kv("where", writer::string(&expr_text(p)));
    }
    comments::line(doc, &ix.comment);
}

/// `column`/`expr`, `order`, `nulls`, `opclass` of an index key.
fn key_parts(k: &crate::model::IndexKey) -> Vec<(&'static str, Val)> {
    let mut kv = Vec::new();
    match (&k.column, &k.expr) {
        (Some(c), _) => kv.push(("column", writer::line_string(c))),
        (None, Some(e)) => kv.push(("expr", writer::line_string(&expr_text(e)))),
        _ => {}
    }
    if k.descending {
        kv.push(("order", writer::line_string("desc")));
    }
    if !k.default_nulls() {
        let v = if k.nulls_first { "first" } else { "last" };
        kv.push(("nulls", writer::line_string(v)));
    }
    if let Some(o) = &k.opclass {
        kv.push(("opclass", writer::line_string(o)));
    }
    kv
}

/// An expression as the catalog printed it, without the outer parentheses PostgreSQL adds
/// (`(a > 0)` → `a > 0`) when that reads back the same.
pub(super) fn expr_text(e: &Expr) -> String {
    let s = e.sql().trim();
    if let Some(inner) = s.strip_prefix('(').and_then(|r| r.strip_suffix(')'))
        && balanced(inner)
        && let Ok(x) = Expr::parse(inner)
        && x.canonical() == e.canonical()
    {
        return inner.to_string();
    }
    s.to_string()
}

/// Whether the parentheses of `s` (outside string literals and quoted names) balance
/// without going below zero.
fn balanced(s: &str) -> bool {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for ch in s.chars() {
        match quote {
            Some(q) if ch == q => quote = None,
            Some(_) => {}
            None => match ch {
                '\'' | '"' => quote = Some(ch),
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth < 0 {
                        return false;
                    }
                }
                _ => {}
            },
        }
    }
    depth == 0 && quote.is_none()
}

/// A number default as PostgreSQL prints it (`5`, `(-1)`, `'-1'::integer`, `4.99`,
/// `'-0.5'::numeric`) as a TOML integer or float, when the TOML number reads back as the
/// same text.
fn number_literal(sql: &str, ty: &str) -> Option<Val> {
    let mut text = sql.trim();
    while let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        text = inner.trim();
    }
    if let Some(body) = text.strip_suffix(&format!("::{ty}")) {
        text = body.strip_prefix('\'')?.strip_suffix('\'')?;
    }
    if let Ok(i) = text.parse::<i64>() {
        return (i.to_string() == text).then(|| writer::int(i));
    }
    let f: f64 = text.parse().ok()?;
    let digits = text.trim_start_matches('-');
    let plain = digits.contains('.')
        && !digits.starts_with('.')
        && !digits.ends_with('.')
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.');
    (plain && f.is_finite() && format!("{f}") == text).then(|| Val(text.to_string()))
}

/// A default as a TOML literal where the format allows it (integers, booleans, strings of
/// text and enum columns), else `default_sql`.
pub(super) fn default_value(e: &Expr, ty: &DataType) -> (&'static str, Val) {
    let sql = e.sql().trim();
    if !ty.array {
        let builtin = match &ty.base {
            BaseType::Builtin(b) => Some(b.as_str()),
            _ => None,
        };
        match builtin {
            Some(b @ ("smallint" | "integer" | "bigint" | "real" | "double precision")) => {
                if let Some(v) = number_literal(sql, b) {
                    return ("default", v);
                }
            }
            Some(b) if b == "numeric" || b.starts_with("numeric(") => {
                if let Some(v) = number_literal(sql, "numeric") {
                    return ("default", v);
                }
            }
            Some("boolean") => match sql {
                "true" => return ("default", writer::boolean(true)),
                "false" => return ("default", writer::boolean(false)),
                _ => {}
            },
            Some(b) if b == "text" || b.starts_with("character varying") => {
                if let Some(v) = e.string_literal() {
                    return ("default", writer::line_string(v));
                }
            }
            None if matches!(ty.base, BaseType::Enum(_)) => {
                if let Some(v) = e.string_literal() {
                    return ("default", writer::line_string(v));
                }
            }
            _ => {}
        }
    }
    ("default_sql", writer::line_string(&expr_text(e)))
}
