//! Functions and procedures from [`queries::FUNCTIONS`](super::queries::FUNCTIONS), in the
//! canonical form of `model::function` (options at their defaults left out).

use postgres::Row;

use super::Reader;
use crate::model::Expr;
use crate::model::function::{
    Arg, ArgMode, Function, Parallel, Volatility, real_text, type_spelling,
};

impl Reader<'_> {
    pub(super) fn functions(&mut self, rows: &[Row]) {
        for row in rows {
            let schema: String = row.get(0);
            let name: String = row.get(1);
            if self.ignored(&schema, &name) {
                continue;
            }
            let procedure = row.get::<_, String>(2) == "p";
            let what = if procedure { "procedure" } else { "function" };
            if row.get::<_, bool>(20) {
                self.skip(format!(
                    "{what} `{schema}.{name}`: a SQL-standard body (BEGIN ATOMIC) is not part of the model"
                ));
                continue;
            }
            match function(row, procedure) {
                Ok(f) => {
                    if let Some(s) = self.model.schemas.get_mut(&schema) {
                        s.functions.insert(f.identity(), f);
                    }
                }
                Err(reason) => self.skip(format!("{what} `{schema}.{name}`: {reason}")),
            }
        }
    }
}

fn function(row: &Row, procedure: bool) -> Result<Function, String> {
    let types: Vec<String> = row.get(3);
    let modes: Vec<String> = row.get(4);
    let names: Option<Vec<String>> = row.get(5);
    let defaults: Vec<Option<String>> = row.get(6);
    let mut args = Vec::with_capacity(types.len());
    for (i, data_type) in types.into_iter().enumerate() {
        let mode = match modes.get(i) {
            None => ArgMode::In,
            Some(m) => ArgMode::from_code(m).ok_or_else(|| format!("argument mode `{m}`"))?,
        };
        let default = match defaults.get(i).cloned().flatten() {
            Some(text) => {
                Some(Expr::parse(&text).map_err(|e| format!("cannot read default `{text}`: {e}"))?)
            }
            None => None,
        };
        args.push(Arg {
            name: names
                .as_ref()
                .and_then(|n| n.get(i))
                .filter(|n| !n.is_empty())
                .cloned(),
            mode,
            data_type: type_spelling(&data_type),
            default,
        });
    }
    let returns_set: bool = row.get(8);
    let table = args.iter().any(|a| a.mode == ArgMode::Table);
    let returns = if procedure || table {
        None
    } else {
        Some(type_spelling(&row.get::<_, String>(7)))
    };
    let language: String = row.get(9);
    let cost = real_text(f64::from(row.get::<_, f32>(16)))
        .filter(|c| c != Function::default_cost(&language));
    let rows = real_text(f64::from(row.get::<_, f32>(17)))
        .filter(|r| returns_set && r != "1000" && r != "0");
    let config = row
        .get::<_, Option<Vec<String>>>(18)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|c| {
            let (k, v) = c.split_once('=')?;
            // PostgreSQL stores a setting's canonical name (`TimeZone`); names are
            // case-insensitive, and the model keeps them in lower case.
            Some((k.to_ascii_lowercase(), v.to_string()))
        })
        .collect();
    Ok(Function {
        name: row.get(1),
        procedure,
        args,
        returns,
        returns_set: returns_set && !procedure,
        language,
        body: row.get(10),
        volatility: if procedure {
            Volatility::default()
        } else {
            Volatility::parse(&row.get::<_, String>(11)).unwrap_or_default()
        },
        strict: row.get(12),
        security_definer: row.get(13),
        leakproof: row.get(14),
        parallel: if procedure {
            Parallel::default()
        } else {
            Parallel::parse(&row.get::<_, String>(15)).unwrap_or_default()
        },
        cost: if procedure { None } else { cost },
        rows,
        config,
        depends_on: Vec::new(),
        comment: row.get(19),
        grants: None, // `catalog::grant`
    })
}
