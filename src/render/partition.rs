//! SQL of partition changes: drop, detach, attach (creation is `CREATE TABLE … PARTITION
//! OF`, rendered with the tables).

use crate::diff::partition::PartitionChange;
use crate::sql::quote_qualified;

pub(super) fn statement(c: &PartitionChange) -> String {
    match c {
        PartitionChange::Drop { table, .. } => format!("DROP TABLE {};", quote_qualified(table)),
        PartitionChange::Detach { table, parent } => format!(
            "ALTER TABLE {} DETACH PARTITION {};",
            quote_qualified(parent),
            quote_qualified(table)
        ),
        PartitionChange::Attach {
            table,
            parent,
            bound,
            ..
        } => format!(
            "ALTER TABLE {} ATTACH PARTITION {} {};",
            quote_qualified(parent),
            quote_qualified(table),
            bound.sql()
        ),
    }
}
