//! Domains and composite types read from the catalog (`queries::USER_TYPES`). Their names
//! are collected first, so that a column, attribute or domain of one of these types reads as
//! that type (`BaseType::Domain` / `Composite`), the way `compile` resolves it; an ignored
//! or extension-owned one reads as a pass-through type.

use std::collections::BTreeMap;

use postgres::Row;

use super::{Reader, data_type};
use crate::model::{Attribute, BaseType, Check, CompositeType, Domain, Expr, QualifiedName};

/// Domains and composite types by name, as column types name them.
pub(super) type UserTypes = BTreeMap<QualifiedName, BaseType>;

fn name(row: &Row) -> QualifiedName {
    QualifiedName::new(row.get::<_, String>(0), row.get::<_, String>(1))
}

fn is_domain(row: &Row) -> bool {
    row.get::<_, String>(16) == "d"
}

impl Reader<'_> {
    /// The names of the domains and composite types that will be read.
    pub(super) fn user_type_names(&self, rows: &[Row]) -> UserTypes {
        let mut out = UserTypes::new();
        for row in rows {
            let q = name(row);
            if self.ignored(&q.schema, &q.name) || !self.model.schemas.contains_key(&q.schema) {
                continue;
            }
            let base = if is_domain(row) {
                BaseType::Domain(q.clone())
            } else {
                BaseType::Composite(q.clone())
            };
            out.insert(q, base);
        }
        out
    }

    /// Domains and composite types from the rows of `queries::USER_TYPES`.
    pub(super) fn user_types(&mut self, rows: &[Row], types: &UserTypes) {
        for row in rows {
            let q = name(row);
            if !types.contains_key(&q) {
                continue;
            }
            if is_domain(row) {
                self.domain(row, q, types);
            } else {
                self.composite(row, q, types);
            }
        }
    }

    fn domain(&mut self, row: &Row, q: QualifiedName, types: &UserTypes) {
        let Some(dt) = data_type(row, types) else {
            self.skip(format!("domain `{q}`: cannot read its base type"));
            return;
        };
        let mut default = None;
        if let Some(text) = row.get::<_, Option<String>>(13) {
            match Expr::parse(&text) {
                Ok(e) => default = Some(e),
                Err(e) => self.skip(format!(
                    "domain `{q}`: cannot read its default `{text}`: {e}"
                )),
            }
        }
        let names: Vec<String> = row.get(14);
        let exprs: Vec<Option<String>> = row.get(15);
        let mut comments: Vec<Option<String>> = row.get(18);
        comments.resize(names.len(), None);
        let mut checks = BTreeMap::new();
        for ((n, text), comment) in names.into_iter().zip(exprs).zip(comments) {
            let text = text.unwrap_or_default();
            match Expr::parse(&text) {
                Ok(expr) => {
                    checks.insert(
                        n,
                        Check {
                            comment,
                            ..Check::new(expr)
                        },
                    );
                }
                Err(e) => self.skip(format!(
                    "check `{n}` of domain `{q}`: cannot read `{text}`: {e}"
                )),
            }
        }
        let d = Domain {
            grants: None,
            data_type: dt,
            collation: row.get(11),
            default,
            not_null: row.get(12),
            checks,
            comment: row.get(2),
        };
        if let Some(s) = self.model.schemas.get_mut(&q.schema) {
            s.domains.insert(q.name, d);
        }
    }

    fn composite(&mut self, row: &Row, q: QualifiedName, types: &UserTypes) {
        let Some(s) = self.model.schemas.get_mut(&q.schema) else {
            return;
        };
        let c = s
            .composite_types
            .entry(q.name.clone())
            .or_insert_with(|| CompositeType {
                grants: None,
                attributes: Vec::new(),
                comment: row.get(2),
            });
        let Some(attribute) = row.get::<_, Option<String>>(3) else {
            return; // a type without attributes
        };
        match data_type(row, types) {
            Some(dt) => c.attributes.push(Attribute {
                name: attribute,
                data_type: dt,
                collation: row.get(11),
            }),
            None => self.skip(format!("attribute `{q}.{attribute}`: cannot read its type")),
        }
    }
}
