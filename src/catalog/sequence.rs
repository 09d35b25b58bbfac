//! Sequences from [`queries::SEQUENCES`](super::queries::SEQUENCES): options normalised to
//! the canonical form, OWNED BY from `pg_depend` deptype `a`. A serial column's sequence
//! with default options stays part of its column (`model::sequence::unfold_serials`).

use postgres::Row;

use super::Reader;
use crate::model::sequence::{self, Owner, Sequence};

impl Reader<'_> {
    pub(super) fn sequences(&mut self, rows: &[Row]) {
        for row in rows {
            let schema: String = row.get(0);
            let name: String = row.get(1);
            if self.ignored(&schema, &name) {
                continue;
            }
            let table: Option<String> = row.get(9);
            let column: Option<String> = row.get(10);
            // Owned by an ignored table: left alone with it.
            if table.as_ref().is_some_and(|t| self.ignored(&schema, t)) {
                continue;
            }
            let mut seq = Sequence {
                grants: None,
                data_type: row.get(2),
                increment: Some(row.get(3)),
                min_value: Some(row.get(4)),
                max_value: Some(row.get(5)),
                start: Some(row.get(6)),
                cache: Some(row.get(7)),
                cycle: row.get(8),
                owned_by: table
                    .zip(column)
                    .map(|(table, column)| Owner { table, column }),
                comment: row.get(11),
            };
            seq.normalise();
            if let Some(s) = self.model.schemas.get_mut(&schema) {
                s.sequences.insert(name, seq);
            }
        }
        sequence::unfold_serials(&mut self.model);
    }
}
