//! SQL of aggregates.

use std::fmt::Write;

use crate::diff::AggregateChange;
use crate::diff::aggregate::sql_args;
use crate::model::function::type_sql;
use crate::sql::{quote_in, quote_literal, quote_qualified};

pub(super) fn statement(c: &AggregateChange) -> String {
    match c {
        AggregateChange::Create {
            schema,
            aggregate: a,
            ..
        } => {
            let mut sql = format!(
                "CREATE AGGREGATE {}({}) (\n    SFUNC = {},\n    STYPE = {}",
                quote_in(schema, &a.name),
                signature(a),
                quote_qualified(&a.sfunc),
                type_sql(&a.stype)
            );
            if let Some(f) = &a.finalfunc {
                let _ = write!(sql, ",\n    FINALFUNC = {}", quote_qualified(f));
            }
            if let Some(i) = &a.initcond {
                let _ = write!(sql, ",\n    INITCOND = {}", quote_literal(i));
            }
            sql.push_str("\n);");
            sql
        }
        AggregateChange::Drop {
            schema, aggregate, ..
        } => format!(
            "DROP AGGREGATE {}({});",
            quote_in(schema, &aggregate.name),
            signature(aggregate)
        ),
    }
}

/// The argument list of `CREATE`/`DROP`/`COMMENT ON AGGREGATE`: `*` for an aggregate without
/// arguments (`count(*)`-like), which PostgreSQL does not accept as `()` there.
pub(super) fn signature(a: &crate::model::aggregate::Aggregate) -> String {
    if a.args.is_empty() {
        "*".to_string()
    } else {
        sql_args(a)
    }
}
