//! `schemactl check`: compile the schema and verify the migration directory. No database.

use serde_json::json;

use super::{Exit, Format, Global, Outcome, load};
use crate::plan;

pub fn run(g: &Global) -> Outcome {
    let loaded = match load(g) {
        Ok(l) => l,
        Err(o) => return o,
    };
    let n = loaded.chain.migrations.len();
    let head = loaded.chain.head.to_string();
    let pending = plan::plan(loaded.pending().changes);
    let tables = loaded.model.tables().count();
    let enums = loaded.model.enums().count();
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
            }),
        ),
        Format::Text => {
            let mut o = Outcome::new(Exit::Ok);
            if g.quiet {
                return o;
            }
            o.stdout = format!(
                "Schema OK: {tables} table(s), {enums} enum(s).\nMigrations OK: {n} migration(s), chain intact, head {}.\n",
                &head[..head.len().min(16)]
            );
            if !pending.is_empty() {
                o.stdout.push_str("Note: schema/ differs from the head snapshot; run `schemactl plan` to write a migration.\n");
            }
            o
        }
    }
}
