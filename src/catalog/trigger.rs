//! Triggers from [`queries::TRIGGERS`](super::queries::TRIGGERS): `tgtype`'s bits decoded,
//! the `WHEN` condition cut from `pg_get_triggerdef`, arguments split at their NUL bytes.

use postgres::Row;

use super::Reader;
use crate::model::trigger::{Enabled, Event, Timing, Trigger, when_from_triggerdef};
use crate::model::{Deferrable, Expr, QualifiedName};

// `pg_trigger.tgtype` bits (PostgreSQL's `trigger.h`).
const ROW: i32 = 1 << 0;
const BEFORE: i32 = 1 << 1;
const INSERT: i32 = 1 << 2;
const DELETE: i32 = 1 << 3;
const UPDATE: i32 = 1 << 4;
const TRUNCATE: i32 = 1 << 5;
const INSTEAD: i32 = 1 << 6;

impl Reader<'_> {
    /// One row of `queries::TRIGGERS` (the tables are read already).
    pub(super) fn trigger(&mut self, row: &Row) {
        let schema: String = row.get(0);
        let table: String = row.get(1);
        let name: String = row.get(2);
        if self.ignored_part(&schema, &table, &name) {
            return;
        }
        let q = QualifiedName::new(schema.clone(), table.clone());
        let tgtype: i32 = row.get(3);
        let timing = if tgtype & INSTEAD != 0 {
            Timing::InsteadOf
        } else if tgtype & BEFORE != 0 {
            Timing::Before
        } else {
            Timing::After
        };
        let events = [
            (INSERT, Event::Insert),
            (DELETE, Event::Delete),
            (UPDATE, Event::Update),
            (TRUNCATE, Event::Truncate),
        ]
        .into_iter()
        .filter(|(bit, _)| tgtype & bit != 0)
        .map(|(_, e)| e)
        .collect();
        let when = match row.get::<_, Option<String>>(5) {
            None => None,
            Some(def) => match when_from_triggerdef(&def).map(Expr::parse) {
                Some(Ok(e)) => Some(e),
                _ => {
                    self.skip(format!(
                        "trigger `{name}` on `{q}`: cannot read its WHEN condition"
                    ));
                    return;
                }
            },
        };
        let args: Vec<u8> = row.get(8);
        let mut args: Vec<String> = args
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        // `tgargs` ends with a NUL after every argument.
        args.pop();
        let deferrable = match (row.get::<_, bool>(12), row.get::<_, bool>(13)) {
            (false, _) => Deferrable::No,
            (true, false) => Deferrable::Immediate,
            (true, true) => Deferrable::Deferred,
        };
        let trigger = Trigger {
            timing,
            events,
            columns: row.get(4),
            for_each_row: tgtype & ROW != 0,
            when,
            function: QualifiedName::new(row.get::<_, String>(6), row.get::<_, String>(7)),
            args,
            old_table: row.get(9),
            new_table: row.get(10),
            constraint: row.get(11),
            deferrable,
            enabled: Enabled::parse(&row.get::<_, String>(14)).unwrap_or_default(),
            comment: row.get(15),
        };
        if let Some(t) = self.table_mut(&schema, &table) {
            t.triggers.insert(name, trigger);
        } else if let Some(v) = self
            .model
            .schemas
            .get_mut(&schema)
            .and_then(|s| s.views.get_mut(&table))
        {
            v.triggers.insert(name, trigger);
        }
    }
}
