//! `schemactl check`: compile the schema and verify the migration directory. No database;
//! with `--dev`, also create the schema in a throwaway PostgreSQL and report what the server
//! rejects at the TOML location it comes from.

use serde_json::json;

use super::{Exit, Format, Global, Outcome, load};
use crate::diag::{Diagnostic, Span};
use crate::model::Model;
use crate::plan;
use crate::schema::{RawTable, SchemaFile, Sources};

pub fn run(g: &Global, dev: bool) -> Outcome {
    if let Some(o) = super::markdown::unsupported(g, "check") {
        return o;
    }
    let loaded = match load(g) {
        Ok(l) => l,
        Err(o) => return o,
    };
    let mut created = None;
    if dev {
        match in_postgres(g, &loaded) {
            Ok(steps) => created = Some(steps),
            Err(o) => return o,
        }
    }
    let n = loaded.chain.migrations.len();
    let head = loaded.chain.head.to_string();
    let pending = plan::plan(loaded.pending().changes);
    let tables = loaded.model.tables().count();
    let enums = loaded.model.enums().count();
    // The other kinds, named only when the schema has them (so a table-and-enum project
    // reads as before).
    let schemas = loaded.model.schemas.values();
    let others = [
        (
            "partition(s)",
            schemas
                .clone()
                .flat_map(|s| s.tables.values())
                .filter(|t| t.partition_of.is_some())
                .count(),
        ),
        ("domain(s)", schemas.clone().map(|s| s.domains.len()).sum()),
        (
            "composite type(s)",
            schemas.clone().map(|s| s.composite_types.len()).sum(),
        ),
        (
            "sequence(s)",
            schemas.clone().map(|s| s.sequences.len()).sum(),
        ),
        ("view(s)", schemas.clone().map(|s| s.views.len()).sum()),
        (
            "materialized view(s)",
            schemas.clone().map(|s| s.materialized_views.len()).sum(),
        ),
        (
            "function(s)",
            schemas
                .clone()
                .flat_map(|s| s.functions.values())
                .filter(|f| !f.procedure)
                .count(),
        ),
        (
            "procedure(s)",
            schemas
                .clone()
                .flat_map(|s| s.functions.values())
                .filter(|f| f.procedure)
                .count(),
        ),
        ("aggregate(s)", schemas.map(|s| s.aggregates.len()).sum()),
    ];
    match g.format {
        Format::Json => Outcome::json(
            Exit::Ok,
            json!({
                "ok": true,
                "tables": tables,
                "enums": enums,
                "migrations": n,
                "head": head,
                "schema_matches_head": pending.is_empty(),
                "postgres_statements": created,
            }),
        ),
        Format::Text | Format::Markdown => {
            let mut o = Outcome::new(Exit::Ok);
            if g.quiet {
                return o;
            }
            let mut kinds = format!("{tables} table(s)");
            if others[0].1 > 0 {
                kinds.push_str(&format!(" ({} partition(s))", others[0].1));
            }
            kinds.push_str(&format!(", {enums} enum(s)"));
            for (kind, n) in &others[1..] {
                if *n > 0 {
                    kinds.push_str(&format!(", {n} {kind}"));
                }
            }
            o.stdout = format!(
                "Schema OK: {kinds}.\nMigrations OK: {n} migration(s), chain intact, head {}.\n",
                &head[..head.len().min(16)]
            );
            if let Some(n) = created {
                o.stdout.push_str(&format!(
                    "PostgreSQL OK: the schema's {n} statement(s) ran in a throwaway database.\n"
                ));
            }
            if !pending.is_empty() {
                o.stdout.push_str("Note: schema/ differs from the head snapshot; run `schemactl plan` to write a migration.\n");
            }
            o
        }
    }
}

/// Create the compiled schema from empty in a throwaway PostgreSQL, one step at a time, each
/// in a savepoint so every failing step is reported (steps of a table whose creation failed
/// are skipped: their errors would only repeat it). Returns the number of statements.
fn in_postgres(g: &Global, loaded: &super::Loaded) -> Result<usize, Outcome> {
    let mut db = super::open_db(g, &loaded.project, true)?;
    let plan = plan::plan(crate::diff::diff(&Model::default(), &loaded.model));
    let db_failure = |e: postgres::Error| {
        Outcome::fail(
            g,
            Exit::Failure,
            "dev-server",
            &crate::devdb::describe_pg_error(&e),
            "the throwaway server failed; see the message",
        )
    };
    db.client
        .batch_execute(crate::apply::SESSION_SETTINGS)
        .map_err(db_failure)?;
    // The project's managed roles, as `apply` creates them: the throwaway server has none.
    crate::apply::create_roles(&mut db.client, &loaded.project.config.managed_roles).map_err(
        |e| {
            Outcome::fail(
                g,
                Exit::Failure,
                "dev-server",
                &e.to_string(),
                "the throwaway server failed; see the message",
            )
        },
    )?;
    let mut tx = db.client.transaction().map_err(db_failure)?;
    let raw = crate::compile::load_project(&loaded.project.root);
    let mut failed_tables: Vec<(String, String)> = Vec::new();
    let mut diags = Vec::new();
    for (number, step) in plan.steps.iter().enumerate() {
        let number = number + 1;
        let parts = crate::sql::split_qualified(&step.object).unwrap_or_default();
        let table = (parts.len() >= 2).then(|| (parts[0].clone(), parts[1].clone()));
        if table.as_ref().is_some_and(|t| failed_tables.contains(t)) {
            continue;
        }
        let mut sp = tx.transaction().map_err(db_failure)?;
        match sp.batch_execute(&step.sql) {
            Ok(()) => sp.commit().map_err(db_failure)?,
            Err(e) => {
                drop(sp);
                let Some(db_error) = e.as_db_error() else {
                    return Err(db_failure(e));
                };
                let position = match db_error.position() {
                    Some(postgres::error::ErrorPosition::Original(p)) => Some(*p as usize),
                    _ => None,
                };
                // The names the error carries (a column, a constraint) help place it.
                let mut names = db_error.message().to_string();
                for n in [db_error.column(), db_error.constraint()]
                    .into_iter()
                    .flatten()
                {
                    names.push_str(&format!(" \"{n}\""));
                }
                let span = locate(&raw.raw, &parts, &step.sql, position, &names);
                let hint = db_error
                    .hint()
                    .or(db_error.detail())
                    .map(str::to_string)
                    .unwrap_or_else(|| {
                        "PostgreSQL refuses this definition; the offline check cannot see it"
                            .to_string()
                    });
                match span {
                    Some(span) => diags.push(
                        Diagnostic::new(
                            "postgres-error",
                            span,
                            format!(
                                "PostgreSQL rejects {} {}: {}",
                                step.kind.id(),
                                crate::sql::comment_safe(&step.object),
                                db_error.message()
                            ),
                        )
                        .hint(hint),
                    ),
                    None => {
                        // Nothing in the TOML to point at: name the step as a migration of
                        // this schema would number it (`-- step N:`), as `apply` does.
                        return Err(Outcome::fail(
                            g,
                            Exit::Invalid,
                            "postgres-error",
                            &format!(
                                "PostgreSQL rejects step {number} of the schema created from empty ({} {}): {}",
                                step.kind.id(),
                                crate::sql::comment_safe(&step.object),
                                db_error.message()
                            ),
                            &hint,
                        ));
                    }
                }
                if let Some(t) = table
                    && step.kind == plan::StepKind::CreateTable
                {
                    failed_tables.push(t);
                }
            }
        }
    }
    drop(tx); // nothing of the throwaway database is kept
    if diags.is_empty() {
        Ok(plan.steps.len())
    } else {
        crate::diag::sort(&mut diags);
        Err(super::invalid(
            g,
            &raw.sources,
            &diags,
            &[],
            &loaded.project.root,
        ))
    }
}

/// The TOML location of what a failing step comes from: the object its path names
/// (`schema.table[.part]`, an enum or an extension), narrowed to the expression or type the
/// server's error position falls in, else to a column the message names, else the object.
fn locate(
    raw: &Sources,
    parts: &[String],
    sql: &str,
    position: Option<usize>,
    message: &str,
) -> Option<Span> {
    let schema_of = |f: &SchemaFile, own: &Option<crate::schema::reader::Sp<String>>| {
        own.as_ref()
            .or(f.schema.as_ref())
            .map_or("public".to_string(), |s| s.value.clone())
    };
    let (schema, name) = match parts {
        [schema, name, ..] => (schema.as_str(), name.as_str()),
        [name] => ("", name.as_str()),
        [] => return None,
    };
    for f in &raw.files {
        for t in &f.tables {
            if t.name.value == name && schema_of(f, &t.schema) == schema {
                return Some(locate_in_table(t, sql, position, message, parts.get(2)));
            }
        }
        for e in &f.enums {
            if e.name.value == name && schema_of(f, &e.schema) == schema {
                return Some(e.name.span.clone());
            }
        }
        for v in &f.views {
            if v.name.value == name && schema_of(f, &v.schema) == schema {
                // An index of a materialized view: the entry named so.
                if let Some(part) = parts.get(2)
                    && let Some(i) = v
                        .indexes
                        .iter()
                        .find(|i| i.name.as_ref().is_some_and(|n| &n.value == part))
                {
                    return Some(i.span.clone());
                }
                return Some(
                    v.query
                        .as_ref()
                        .map_or(v.name.span.clone(), |q| q.span.clone()),
                );
            }
        }
        for s in &f.sequences {
            if s.name.value == name && schema_of(f, &s.schema) == schema {
                return Some(s.name.span.clone());
            }
        }
        for d in &f.domains {
            if d.name.value == name && schema_of(f, &d.schema) == schema {
                return Some(d.name.span.clone());
            }
        }
        for c in &f.composite_types {
            if c.name.value == name && schema_of(f, &c.schema) == schema {
                return Some(c.name.span.clone());
            }
        }
        for e in &f.extensions {
            if e.name.value == parts[0] {
                return Some(e.name.span.clone());
            }
        }
    }
    None
}

fn locate_in_table(
    t: &RawTable,
    sql: &str,
    position: Option<usize>,
    message: &str,
    part: Option<&String>,
) -> Span {
    // The server counts characters from 1; work in bytes.
    let byte = position.and_then(|p| sql.char_indices().nth(p.saturating_sub(1)).map(|(b, _)| b));
    if let Some(byte) = byte {
        // A column definition line of CREATE TABLE (`    "col" type … DEFAULT …`).
        let line_start = sql[..byte].rfind('\n').map_or(0, |i| i + 1);
        let line_end = sql[byte..].find('\n').map_or(sql.len(), |i| byte + i);
        let line = &sql[line_start..line_end];
        if let Some(name) = leading_ident(line)
            && let Some(c) = t.columns.iter().find(|c| c.name.value == name)
        {
            let before = &line[..byte - line_start];
            if before.trim().is_empty() {
                return c.name.span.clone();
            }
            // A value the message quotes (`collation "xx_YY" … does not exist`).
            if let Some(coll) = &c.collation
                && message.contains(&format!("\"{}\"", coll.value))
            {
                return coll.span.clone();
            }
            return column_part(c, before);
        }
        // Otherwise the longest expression text of the table the position falls in.
        if let Some(span) = longest_covering(&texts(t), sql, byte) {
            return span;
        }
    }
    let named = |n: &str| message.contains(&format!("\"{n}\"")) || part.is_some_and(|p| p == n);
    if let Some(c) = t.columns.iter().find(|c| named(&c.name.value)) {
        return c.name.span.clone();
    }
    if let Some(c) = t
        .checks
        .iter()
        .find(|c| c.name.as_ref().is_some_and(|n| named(&n.value)))
    {
        return c.span.clone();
    }
    // An index step: the index named so, else the one whose keys and predicate the
    // statement holds (default names are not in the TOML).
    if sql.contains("INDEX ") {
        if let Some(i) = t
            .indexes
            .iter()
            .find(|i| i.name.as_ref().is_some_and(|n| named(&n.value)))
        {
            return i.span.clone();
        }
        let best = t
            .indexes
            .iter()
            .filter_map(|i| {
                let mut parts: Vec<String> = Vec::new();
                for k in i.keys.iter().flat_map(|k| &k.value) {
                    match (&k.column, &k.expr) {
                        (Some(c), _) => parts.push(crate::sql::quote_ident(&c.value)),
                        (None, Some(e)) => parts.push(e.value.clone()),
                        _ => {}
                    }
                }
                parts.extend(i.predicate.iter().map(|p| p.value.clone()));
                let all = parts.iter().all(|p| !find_word(sql, p).is_empty());
                all.then(|| (parts.iter().map(String::len).sum::<usize>(), i))
            })
            .max_by_key(|(len, _)| *len);
        if let Some((_, i)) = best {
            return i.span.clone();
        }
    }
    t.name.span.clone()
}

/// Expression and type texts of a table that reach the SQL as written, with their spans.
fn texts(t: &RawTable) -> Vec<(&str, &Span)> {
    let mut out: Vec<(&str, &Span)> = Vec::new();
    for c in &t.columns {
        for s in [&c.default_sql, &c.generated_sql, &c.type_sql]
            .into_iter()
            .flatten()
        {
            out.push((&s.value, &s.span));
        }
    }
    for c in &t.checks {
        if let Some(e) = &c.expr {
            out.push((&e.value, &e.span));
        }
    }
    for i in &t.indexes {
        if let Some(p) = &i.predicate {
            out.push((&p.value, &p.span));
        }
        for k in i.keys.iter().flat_map(|k| &k.value) {
            if let Some(e) = &k.expr {
                out.push((&e.value, &e.span));
            }
        }
    }
    out
}

/// The span of the longest text that occurs in `sql` (as a whole word) over `byte`.
fn longest_covering(texts: &[(&str, &Span)], sql: &str, byte: usize) -> Option<Span> {
    texts
        .iter()
        .filter(|(text, _)| {
            find_word(sql, text)
                .into_iter()
                .any(|start| (start..start + text.len().max(1)).contains(&byte))
        })
        .max_by_key(|(text, _)| text.len())
        .map(|(_, span)| (*span).clone())
}

/// Where `needle` occurs in `hay` not as part of a longer word (`jsonb` is not found in
/// `jsonb_typeof`).
fn find_word(hay: &str, needle: &str) -> Vec<usize> {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let mut out = Vec::new();
    if needle.is_empty() {
        return out;
    }
    let mut from = 0;
    while let Some(i) = hay[from..].find(needle) {
        let start = from + i;
        let end = start + needle.len();
        let before = hay[..start].chars().next_back();
        let after = hay[end..].chars().next();
        let first = needle.chars().next();
        let last = needle.chars().next_back();
        let glued = word(first) && word(before) || word(last) && word(after);
        if !glued {
            out.push(start);
        }
        from = start + needle.chars().next().map_or(1, char::len_utf8);
    }
    out
}

/// `"my col" bigint …` → `my col` (a quoted identifier at the start of a line).
fn leading_ident(line: &str) -> Option<String> {
    let rest = line.trim_start().strip_prefix('"')?;
    let mut name = String::new();
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            if chars.peek() == Some(&'"') {
                chars.next();
                name.push('"');
            } else {
                return Some(name);
            }
        } else {
            name.push(c);
        }
    }
    None
}

/// The key of a column definition that the text before the error position is in.
fn column_part(c: &crate::schema::RawColumn, before: &str) -> Span {
    let marks = [
        (
            " GENERATED ALWAYS AS (",
            c.generated_sql.as_ref().map(|s| &s.span),
        ),
        (
            " DEFAULT ",
            c.default_sql
                .as_ref()
                .map(|s| &s.span)
                .or(c.default.as_ref().map(|d| &d.span)),
        ),
        (" COLLATE ", c.collation.as_ref().map(|s| &s.span)),
    ];
    let latest = marks
        .iter()
        .filter_map(|(m, span)| Some((before.rfind(m)?, (*span)?)))
        .max_by_key(|(at, _)| *at);
    if let Some((_, span)) = latest {
        return span.clone();
    }
    c.ty.as_ref()
        .or(c.type_sql.as_ref())
        .map_or(c.name.span.clone(), |t| t.span.clone())
}
