//! SQL of functions and procedures: `CREATE [OR REPLACE] FUNCTION|PROCEDURE` with every
//! option the model holds, the body dollar-quoted with a tag it does not contain.

use std::fmt::Write;

use crate::diff::FunctionChange;
use crate::model::function::{ArgMode, Function, Parallel, Volatility, type_sql};
use crate::sql::{quote_ident, quote_in, quote_literal};

pub(super) fn statement(c: &FunctionChange) -> String {
    match c {
        FunctionChange::Create {
            schema, function, ..
        } => create(schema, function, false),
        FunctionChange::Replace {
            schema, function, ..
        } => create(schema, function, true),
        FunctionChange::Drop {
            schema, function, ..
        } => format!(
            "DROP {} {}({});",
            kind(function),
            quote_in(schema, &function.name),
            sql_types(function)
        ),
        FunctionChange::BodyUses {
            routine,
            uses,
            what,
        } => format!(
            "-- {}",
            crate::sql::comment_safe(&FunctionChange::body_use_text(routine, uses, what))
        ),
    }
}

fn kind(f: &Function) -> &'static str {
    if f.procedure { "PROCEDURE" } else { "FUNCTION" }
}

fn create(schema: &str, f: &Function, replace: bool) -> String {
    let mut sql = format!(
        "CREATE {}{} {}(",
        if replace { "OR REPLACE " } else { "" },
        kind(f),
        quote_in(schema, &f.name)
    );
    let args: Vec<String> = f
        .args
        .iter()
        .filter(|a| a.mode != ArgMode::Table)
        .map(|a| {
            let mut s = String::new();
            if let Some(k) = a.mode.keyword() {
                s.push_str(k);
                s.push(' ');
            }
            if let Some(n) = &a.name {
                s.push_str(&quote_ident(n));
                s.push(' ');
            }
            s.push_str(&type_sql(&a.data_type));
            if let Some(d) = &a.default {
                let _ = write!(s, " DEFAULT {}", d.sql());
            }
            s
        })
        .collect();
    sql.push_str(&args.join(", "));
    sql.push(')');
    let table: Vec<String> = f
        .args
        .iter()
        .filter(|a| a.mode == ArgMode::Table)
        .map(|a| {
            format!(
                "{} {}",
                quote_ident(a.name.as_deref().unwrap_or_default()),
                type_sql(&a.data_type)
            )
        })
        .collect();
    if !table.is_empty() {
        let _ = write!(sql, "\n RETURNS TABLE({})", table.join(", "));
    } else if let Some(r) = &f.returns {
        let _ = write!(
            sql,
            "\n RETURNS {}{}",
            if f.returns_set { "SETOF " } else { "" },
            type_sql(r)
        );
    }
    let _ = write!(sql, "\n LANGUAGE {}", quote_ident(&f.language));
    if !f.procedure {
        if f.volatility != Volatility::Volatile {
            let _ = write!(sql, " {}", f.volatility.keyword());
        }
        if f.strict {
            sql.push_str(" STRICT");
        }
    }
    if f.security_definer {
        sql.push_str(" SECURITY DEFINER");
    }
    if !f.procedure {
        if f.leakproof {
            sql.push_str(" LEAKPROOF");
        }
        if f.parallel != Parallel::Unsafe {
            let _ = write!(sql, " PARALLEL {}", f.parallel.keyword());
        }
        if let Some(c) = &f.cost {
            let _ = write!(sql, " COST {c}");
        }
        if let Some(r) = &f.rows {
            let _ = write!(sql, " ROWS {r}");
        }
    }
    for (name, value) in &f.config {
        let _ = write!(
            sql,
            "\n SET {} = {}",
            quote_ident(name),
            setting_value(name, value)
        );
    }
    let tag = dollar_tag(&f.body);
    let _ = write!(sql, "\nAS {tag}{}{tag};", f.body);
    sql
}

/// A stored setting as `SET` takes it back: a list setting element by element (each a
/// literal PostgreSQL stores as an identifier again), anything else as one literal.
fn setting_value(name: &str, value: &str) -> String {
    if !matches!(name, "search_path" | "temp_tablespaces") {
        return quote_literal(value);
    }
    crate::model::function::split_setting_list(value, false)
        .iter()
        .map(|v| quote_literal(v))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `$function$`, or `$function_N$` when the body contains that.
fn dollar_tag(body: &str) -> String {
    let mut tag = "$function$".to_string();
    let mut n = 0;
    while body.contains(&tag) {
        n += 1;
        tag = format!("$function_{n}$");
    }
    tag
}

/// The input argument types as SQL (`DROP FUNCTION`, `COMMENT ON FUNCTION`).
pub(crate) fn sql_types(f: &Function) -> String {
    f.input_types()
        .into_iter()
        .map(type_sql)
        .collect::<Vec<_>>()
        .join(", ")
}
