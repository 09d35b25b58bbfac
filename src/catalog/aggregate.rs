//! Aggregates from [`queries::AGGREGATES`](super::queries::AGGREGATES).

use postgres::Row;

use super::Reader;
use crate::model::QualifiedName;
use crate::model::aggregate::Aggregate;
use crate::model::function::type_spelling;

impl Reader<'_> {
    pub(super) fn aggregates(&mut self, rows: &[Row]) {
        for row in rows {
            let schema: String = row.get(0);
            let name: String = row.get(1);
            if self.ignored(&schema, &name) {
                continue;
            }
            if row.get::<_, bool>(7) {
                self.skip(format!(
                    "aggregate `{schema}.{name}`: uses options the model does not hold (combine, serial or moving-aggregate functions, a sort operator, or an ordered-set kind)"
                ));
                continue;
            }
            let args: Vec<String> = row.get(2);
            let finalfunc = row
                .get::<_, Option<Vec<String>>>(6)
                .and_then(|f| match f.as_slice() {
                    [s, n] => Some(QualifiedName::new(s.clone(), n.clone())),
                    _ => None,
                });
            let a = Aggregate {
                name,
                args: args.iter().map(|t| type_spelling(t)).collect(),
                sfunc: QualifiedName::new(row.get::<_, String>(3), row.get::<_, String>(4)),
                stype: type_spelling(&row.get::<_, String>(5)),
                finalfunc,
                initcond: row.get(8),
                comment: row.get(9),
                grants: None, // `catalog::grant`
            };
            if let Some(s) = self.model.schemas.get_mut(&schema) {
                s.aggregates.insert(a.identity(), a);
            }
        }
    }
}
