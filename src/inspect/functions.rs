//! Functions and procedures: `[functions.NAME]` (`[[functions.NAME]]` for each overload when
//! a name has several), `[procedures.NAME]`. Bodies are written in the TOML, byte for byte
//! (a multi-line string when they span lines); options at PostgreSQL's defaults are left
//! out, `returns` too when the `out` arguments say it.

use std::collections::BTreeMap;

use super::writer::{self, Doc, Val};
use super::{comments, short_type};
use crate::model::Schema;
use crate::model::function::{ArgMode, Function, Parallel, Volatility};

pub(super) fn write(doc: &mut Doc, s: &Schema, counts: &mut BTreeMap<&'static str, usize>) {
    let mut by_name: BTreeMap<(bool, &str), Vec<&Function>> = BTreeMap::new();
    for f in s.functions.values() {
        by_name.entry((f.procedure, &f.name)).or_default().push(f);
    }
    for ((procedure, name), fs) in by_name {
        let kind = if procedure { "procedures" } else { "functions" };
        for f in &fs {
            if fs.len() > 1 {
                doc.array_table(&[kind, name]);
            } else {
                doc.table(&[kind, name]);
            }
            function(doc, f);
            *counts.entry(kind).or_default() += 1;
        }
    }
}

fn function(doc: &mut Doc, f: &Function) {
    let args: Vec<Val> = f
        .args
        .iter()
        .filter(|a| a.mode != ArgMode::Table)
        .map(|a| {
            let mut kv = Vec::new();
            if let Some(n) = &a.name {
                kv.push(("name", writer::line_string(n)));
            }
            kv.push(("type", writer::line_string(&short_type(&a.data_type))));
            let mode = match a.mode {
                ArgMode::In | ArgMode::Table => None,
                ArgMode::Out => Some("out"),
                ArgMode::InOut => Some("inout"),
                ArgMode::Variadic => Some("variadic"),
            };
            if let Some(m) = mode {
                kv.push(("mode", writer::line_string(m)));
            }
            if let Some(d) = &a.default {
                kv.push(("default_sql", writer::line_string(d.sql())));
            }
            writer::inline(kv)
        })
        .collect();
    if !args.is_empty() {
        doc.kv("args", writer::array(args));
    }
    let table: Vec<Val> = f
        .args
        .iter()
        .filter(|a| a.mode == ArgMode::Table)
        .map(|a| {
            let mut kv = Vec::new();
            if let Some(n) = &a.name {
                kv.push(("name", writer::line_string(n)));
            }
            kv.push(("type", writer::line_string(&short_type(&a.data_type))));
            writer::inline(kv)
        })
        .collect();
    if !table.is_empty() {
        doc.kv("returns_table", writer::array(table));
    } else if let Some(r) = &f.returns
        && !f.procedure
    {
        let outs: Vec<&str> = f
            .args
            .iter()
            .filter(|a| matches!(a.mode, ArgMode::Out | ArgMode::InOut))
            .map(|a| a.data_type.as_str())
            .collect();
        let implied = match outs.as_slice() {
            [] => None,
            [one] => Some(*one),
            _ => Some("record"),
        };
        if f.returns_set || implied != Some(r.as_str()) {
            let text = if f.returns_set {
                format!("setof {}", short_type(r))
            } else {
                short_type(r)
            };
            doc.kv("returns", writer::string(&text));
        }
    }
    doc.kv("language", writer::string(&f.language));
    doc.kv("body", writer::string(&f.body));
    match f.volatility {
        Volatility::Volatile => {}
        Volatility::Stable => doc.kv("volatility", writer::string("stable")),
        Volatility::Immutable => doc.kv("volatility", writer::string("immutable")),
    }
    if f.strict {
        doc.kv("strict", writer::boolean(true));
    }
    if f.security_definer {
        doc.kv("security_definer", writer::boolean(true));
    }
    if f.leakproof {
        doc.kv("leakproof", writer::boolean(true));
    }
    match f.parallel {
        Parallel::Unsafe => {}
        Parallel::Safe => doc.kv("parallel", writer::string("safe")),
        Parallel::Restricted => doc.kv("parallel", writer::string("restricted")),
    }
    if let Some(c) = &f.cost {
        doc.kv("cost", number(c));
    }
    if let Some(r) = &f.rows {
        doc.kv("rows", number(r));
    }
    if !f.config.is_empty() {
        let kv = f
            .config
            .iter()
            .map(|(k, v)| (k.as_str(), writer::line_string(v)))
            .collect();
        doc.kv("set", writer::inline(kv));
    }
    comments::line(doc, &f.comment);
    super::grants::line(doc, &f.grants, crate::model::grant::GrantKind::Function);
}

/// A cost or row estimate as `float4` prints it, as a TOML number.
fn number(text: &str) -> Val {
    if let Ok(i) = text.parse::<i64>() {
        return writer::int(i);
    }
    match text.parse::<f64>() {
        Ok(f) if f.is_finite() => Val(format!("{f:?}")),
        _ => writer::string(text),
    }
}
