//! Row-level security policies: `[tables.T.policies.NAME]` (the table's flags are written
//! with the table).

use std::collections::BTreeMap;

use super::writer::{self, Doc};
use super::{comments, tables};
use crate::model::{PolicyCommand, Table};

pub(super) fn write(
    doc: &mut Doc,
    table: &str,
    t: &Table,
    counts: &mut BTreeMap<&'static str, usize>,
) {
    for (name, p) in &t.policies {
        doc.table(&["tables", table, "policies", name]);
        let command = match p.command {
            PolicyCommand::All => None,
            PolicyCommand::Select => Some("select"),
            PolicyCommand::Insert => Some("insert"),
            PolicyCommand::Update => Some("update"),
            PolicyCommand::Delete => Some("delete"),
        };
        if let Some(c) = command {
            doc.kv("command", writer::string(c));
        }
        if p.restrictive {
            doc.kv("permissive", writer::boolean(false));
        }
        if !p.roles.is_empty() {
            doc.kv("roles", writer::strings(&p.roles));
        }
        if let Some(u) = &p.using {
            doc.kv("using", writer::string(&tables::expr_text(u)));
        }
        if let Some(w) = &p.with_check {
            doc.kv("with_check", writer::string(&tables::expr_text(w)));
        }
        comments::line(doc, &p.comment);
        *counts.entry("policies").or_default() += 1;
    }
}
