//! SQL of views and materialized views.

use crate::diff::ViewChange;
use crate::model::View;
use crate::sql::{quote_in, quote_qualified};

use super::idents;
use super::table::create_index;

pub(super) fn statement(c: &ViewChange) -> String {
    match c {
        ViewChange::CreateView {
            name,
            materialized: false,
            view,
            ..
        } => create(name, view, "CREATE VIEW"),
        ViewChange::ReplaceView { name, view } => create(name, view, "CREATE OR REPLACE VIEW"),
        ViewChange::CreateView { name, view, .. } => {
            let mut s = format!("CREATE MATERIALIZED VIEW {}", quote_qualified(name));
            if !view.columns.is_empty() {
                s.push_str(&format!(" ({})", idents(&view.columns)));
            }
            s.push_str(&format!(" AS\n{}\n", view.query.sql()));
            s.push_str(if view.no_data {
                "WITH NO DATA;"
            } else {
                "WITH DATA;"
            });
            s
        }
        ViewChange::DropView {
            name, materialized, ..
        } => format!(
            "DROP {}VIEW {};",
            if *materialized { "MATERIALIZED " } else { "" },
            quote_qualified(name)
        ),
        ViewChange::CreateIndex { view, name, index } => create_index(view, name, index),
        ViewChange::DropIndex { view, name } => {
            format!("DROP INDEX {};", quote_in(&view.schema, name))
        }
    }
}

fn create(name: &crate::model::QualifiedName, view: &View, verb: &str) -> String {
    let mut s = format!("{verb} {}", quote_qualified(name));
    if !view.columns.is_empty() {
        s.push_str(&format!(" ({})", idents(&view.columns)));
    }
    // OR REPLACE replaces the whole option list, so the options left out are reset.
    let mut options = Vec::new();
    if view.security_barrier {
        options.push("security_barrier = true".to_string());
    }
    if view.security_invoker {
        options.push("security_invoker = true".to_string());
    }
    if let Some(c) = view.check_option {
        options.push(format!("check_option = {}", c.sql().to_lowercase()));
    }
    if !options.is_empty() {
        s.push_str(&format!(" WITH ({})", options.join(", ")));
    }
    s.push_str(&format!(" AS\n{}{};", view.query.sql(), end(view)));
    s
}

/// A line break before the `;` when the query ends in a `--` comment.
fn end(view: &View) -> &'static str {
    if view
        .query
        .sql()
        .lines()
        .last()
        .is_some_and(|l| l.contains("--"))
    {
        "\n"
    } else {
        ""
    }
}
