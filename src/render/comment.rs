//! SQL of comments.

use crate::diff::CommentTarget;
use crate::sql::{quote_ident, quote_literal, quote_qualified};

pub(super) fn statement(target: &CommentTarget, text: Option<&str>) -> String {
    let value = text.map_or("NULL".to_string(), quote_literal);
    match target {
        CommentTarget::Schema(s) => format!("COMMENT ON SCHEMA {} IS {value};", quote_ident(s)),
        CommentTarget::Constraint(q, n) => format!(
            "COMMENT ON CONSTRAINT {} ON {} IS {value};",
            quote_ident(n),
            quote_qualified(q)
        ),
        CommentTarget::DomainConstraint(q, n) => format!(
            "COMMENT ON CONSTRAINT {} ON DOMAIN {} IS {value};",
            quote_ident(n),
            quote_qualified(q)
        ),
        CommentTarget::Index(q, n) => format!(
            "COMMENT ON INDEX {} IS {value};",
            crate::sql::quote_in(&q.schema, n)
        ),
        CommentTarget::Table(q) => format!("COMMENT ON TABLE {} IS {value};", quote_qualified(q)),
        CommentTarget::Type(q) => format!("COMMENT ON TYPE {} IS {value};", quote_qualified(q)),
        CommentTarget::View(q) => format!("COMMENT ON VIEW {} IS {value};", quote_qualified(q)),
        CommentTarget::MaterializedView(q) => format!(
            "COMMENT ON MATERIALIZED VIEW {} IS {value};",
            quote_qualified(q)
        ),
        CommentTarget::Sequence(q) => {
            format!("COMMENT ON SEQUENCE {} IS {value};", quote_qualified(q))
        }
        CommentTarget::Function {
            schema,
            name,
            args,
            procedure,
        } => format!(
            "COMMENT ON {} {}({args}) IS {value};",
            if *procedure { "PROCEDURE" } else { "FUNCTION" },
            crate::sql::quote_in(schema, name)
        ),
        CommentTarget::Aggregate { schema, name, args } => format!(
            "COMMENT ON AGGREGATE {}({}) IS {value};",
            crate::sql::quote_in(schema, name),
            if args.is_empty() { "*" } else { args }
        ),
        CommentTarget::Trigger(q, n) => format!(
            "COMMENT ON TRIGGER {} ON {} IS {value};",
            quote_ident(n),
            quote_qualified(q)
        ),
        CommentTarget::Column(q, c) | CommentTarget::ViewColumn(q, c) => format!(
            "COMMENT ON COLUMN {}.{} IS {value};",
            quote_qualified(q),
            quote_ident(c)
        ),
    }
}
