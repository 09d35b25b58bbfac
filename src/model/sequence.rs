//! Sequences that are objects of their own (`[sequences.NAME]`): standalone ones, ones
//! OWNED BY a column, and the sequence of a serial column whose options are not the defaults.
//!
//! # Canonical form
//!
//! Options are stored only when they differ from what PostgreSQL would choose without them
//! (`None` = PostgreSQL's default for the type and the direction of `increment`), so a
//! sequence written with every option spelled out equals one written with none, and both
//! equal what the catalog reads back.
//!
//! # Serial columns
//!
//! A serial column (`ColumnDefault::Serial`) owns a sequence that is not in this map. A
//! sequence is the serial's exactly when the catalog reader would read it as one: owned by
//! the column, in the table's schema, of the column's type, the column's default exactly
//! `nextval('<it>'::regclass)`, no identity or generation — and, here, every option at its
//! default and no comment ([`Sequence::is_plain`]). [`fold_serials`] turns a sequence
//! declared that way into the serial it is (compile), [`unfold_serial`] turns a serial whose
//! sequence has options into the declared form (catalog), so both sides agree.

use serde::{Deserialize, Serialize};

use super::{BaseType, ColumnDefault, Expr, Model, QualifiedName};

/// The integer types a sequence can have.
pub const TYPES: &[&str] = &["smallint", "integer", "bigint"];

/// A sequence's canonical definition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sequence {
    /// `smallint`, `integer` or `bigint` (PostgreSQL's default).
    #[serde(rename = "type")]
    pub data_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub increment: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_value: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_value: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<i64>,
    #[serde(default, skip_serializing_if = "super::is_false")]
    pub cycle: bool,
    /// `OWNED BY table.column` (a table of the sequence's schema).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owned_by: Option<Owner>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Privileges, when the project manages them (`model::grant`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grants: Option<Box<super::grant::Grants>>,
}

/// The column a sequence is OWNED BY (dropped with it).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Owner {
    pub table: String,
    pub column: String,
}

impl Default for Sequence {
    fn default() -> Self {
        Sequence {
            grants: None,
            data_type: "bigint".to_string(),
            increment: None,
            min_value: None,
            max_value: None,
            start: None,
            cache: None,
            cycle: false,
            owned_by: None,
            comment: None,
        }
    }
}

/// The effective options of a sequence, every one known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Effective {
    pub increment: i64,
    pub min_value: i64,
    pub max_value: i64,
    pub start: i64,
    pub cache: i64,
}

/// Bounds of a sequence type (`None` for anything but the three integer types).
pub fn type_bounds(ty: &str) -> Option<(i64, i64)> {
    match ty {
        "smallint" => Some((i16::MIN.into(), i16::MAX.into())),
        "integer" => Some((i32::MIN.into(), i32::MAX.into())),
        "bigint" => Some((i64::MIN, i64::MAX)),
        _ => None,
    }
}

impl Sequence {
    /// PostgreSQL's defaults for `min_value` and `max_value` given the type and increment.
    fn default_bounds(&self) -> (i64, i64) {
        let (lo, hi) = type_bounds(&self.data_type).unwrap_or((i64::MIN, i64::MAX));
        if self.increment.unwrap_or(1) > 0 {
            (1, hi)
        } else {
            (lo, -1)
        }
    }

    /// Every option as PostgreSQL has it.
    pub fn effective(&self) -> Effective {
        let (min_d, max_d) = self.default_bounds();
        let increment = self.increment.unwrap_or(1);
        let min_value = self.min_value.unwrap_or(min_d);
        let max_value = self.max_value.unwrap_or(max_d);
        let start = self
            .start
            .unwrap_or(if increment > 0 { min_value } else { max_value });
        Effective {
            increment,
            min_value,
            max_value,
            start,
            cache: self.cache.unwrap_or(1),
        }
    }

    /// Options equal to PostgreSQL's default made `None` (the canonical form).
    pub fn normalise(&mut self) {
        if self.increment == Some(1) {
            self.increment = None;
        }
        let (min_d, max_d) = self.default_bounds();
        if self.min_value == Some(min_d) {
            self.min_value = None;
        }
        if self.max_value == Some(max_d) {
            self.max_value = None;
        }
        let e = self.effective();
        let start_d = if e.increment > 0 {
            e.min_value
        } else {
            e.max_value
        };
        if self.start == Some(start_d) {
            self.start = None;
        }
        if self.cache == Some(1) {
            self.cache = None;
        }
    }

    /// Every option at its default, no comment: what a serial column's sequence is.
    pub fn is_plain(&self) -> bool {
        self.increment.is_none()
            && self.min_value.is_none()
            && self.max_value.is_none()
            && self.start.is_none()
            && self.cache.is_none()
            && !self.cycle
            && self.comment.is_none()
    }

    /// The same sequence with other options but the same owner and comment? (Only options.)
    pub fn same_options(&self, other: &Sequence) -> bool {
        self.data_type == other.data_type
            && self.increment == other.increment
            && self.min_value == other.min_value
            && self.max_value == other.max_value
            && self.start == other.start
            && self.cache == other.cache
            && self.cycle == other.cycle
    }
}

/// How PostgreSQL prints a sequence as a `regclass` with the catalog reader's `search_path`
/// (`pg_catalog, public`): unqualified in `public`, qualified elsewhere, each part quoted
/// only when needed.
pub fn regclass_text(q: &QualifiedName) -> String {
    let name = crate::sql::display_ident(&q.name);
    if q.schema == "public" {
        name
    } else {
        format!("{}.{name}", crate::sql::display_ident(&q.schema))
    }
}

/// `nextval('<q>'::regclass)` as PostgreSQL prints it back.
pub fn nextval(q: &QualifiedName) -> Expr {
    let text = format!(
        "nextval({}::regclass)",
        crate::sql::quote_literal(&regclass_text(q))
    );
    Expr::parse(&text).expect("nextval of a quoted literal always parses")
}

/// The sequence a default is exactly `nextval` of (`nextval('s')`, `nextval('s'::regclass)`,
/// `nextval('billing.s')`); an unqualified name is in `public`, as the catalog prints it.
pub fn nextval_target(e: &Expr) -> Option<QualifiedName> {
    let inner = e
        .canonical()
        .strip_prefix("nextval('")?
        .strip_suffix("')")?
        .replace("''", "'");
    let parts = crate::sql::split_qualified(&inner).ok()?;
    let fold = |p: &str| p.to_string();
    match parts.as_slice() {
        [n] => Some(QualifiedName::new("public", fold(n))),
        [s, n] => Some(QualifiedName::new(fold(s), fold(n))),
        _ => None,
    }
}

/// The relation a `regclass` literal names (`'s'`, `'Billing.S'`, `'"My Seq"'`), folded as
/// PostgreSQL folds it (unquoted parts to lower case); an unqualified name is in `public`,
/// where `apply`'s `search_path` finds it. `None` when it is not one or two names.
pub fn regclass_name(text: &str) -> Option<QualifiedName> {
    let mut parts: Vec<String> = Vec::new();
    let mut chars = text.trim().chars().peekable();
    loop {
        let mut part = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        part.push('"');
                    }
                    '"' => break,
                    c => part.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == '.' || c == '"' || c.is_whitespace() {
                    break;
                }
                part.push(c.to_ascii_lowercase());
                chars.next();
            }
        }
        if part.is_empty() {
            return None;
        }
        parts.push(part);
        match chars.next() {
            None => break,
            Some('.') => continue,
            Some(_) => return None,
        }
    }
    match parts.as_slice() {
        [n] => Some(QualifiedName::new("public", n.clone())),
        [s, n] => Some(QualifiedName::new(s.clone(), n.clone())),
        _ => None,
    }
}

/// Every sequence with its qualified name, in (schema, name) order.
pub fn sequences(model: &Model) -> impl Iterator<Item = (QualifiedName, &Sequence)> {
    model.schemas.iter().flat_map(|(s, schema)| {
        schema
            .sequences
            .iter()
            .map(move |(n, q)| (QualifiedName::new(s.clone(), n.clone()), q))
    })
}

/// Declared sequences that are exactly a serial column's (see the module docs) become that
/// column's `ColumnDefault::Serial` and leave the map.
pub fn fold_serials(model: &mut Model) {
    for (sname, schema) in model.schemas.iter_mut() {
        let names: Vec<String> = schema.sequences.keys().cloned().collect();
        for name in names {
            let seq = &schema.sequences[&name];
            let Some(owner) = seq.owned_by.clone() else {
                continue;
            };
            if !seq.is_plain() {
                continue;
            }
            let ty = seq.data_type.clone();
            let Some(table) = schema.tables.get_mut(&owner.table) else {
                continue;
            };
            let Some(col) = table.columns.iter_mut().find(|c| c.name == owner.column) else {
                continue;
            };
            let same_type = !col.data_type.array
                && matches!(&col.data_type.base, BaseType::Builtin(t) if *t == ty);
            let here = QualifiedName::new(sname.clone(), name.clone());
            let is_nextval = match &col.default {
                Some(ColumnDefault::Sql(e)) => nextval_target(e).as_ref() == Some(&here),
                _ => false,
            };
            if same_type && is_nextval && col.identity.is_none() && col.generated.is_none() {
                col.default = Some(ColumnDefault::Serial {
                    sequence: name.clone(),
                });
                schema.sequences.remove(&name);
            }
        }
    }
}

/// The catalog side of [`fold_serials`]: a serial column (as the catalog query recognises
/// it) whose sequence was read into the map keeps it as its serial when the sequence is
/// plain (the sequence leaves the map); otherwise the column's default becomes the
/// `nextval` it is and the sequence stays, OWNED BY the column.
pub fn unfold_serials(model: &mut Model) {
    for (sname, schema) in model.schemas.iter_mut() {
        for table in schema.tables.values_mut() {
            for col in &mut table.columns {
                let Some(ColumnDefault::Serial { sequence }) = &col.default else {
                    continue;
                };
                let Some(seq) = schema.sequences.get(sequence) else {
                    continue;
                };
                if seq.is_plain() {
                    schema.sequences.remove(sequence);
                } else {
                    let q = QualifiedName::new(sname.clone(), sequence.clone());
                    col.default = Some(ColumnDefault::Sql(nextval(&q)));
                }
            }
        }
    }
}

/// Serial columns of `a` whose sequence `b` declares (a serial with options on one side, a
/// plain serial on the other) are shown in `a` in the declared form, so that `diff` sees the
/// same sequence with other options (`ALTER SEQUENCE`) rather than a new serial and a dropped
/// sequence. Returns whether `a` changed.
pub fn unfold_serials_declared_in(a: &mut std::borrow::Cow<'_, Model>, b: &Model) -> bool {
    let mut found = Vec::new();
    for (sname, schema) in &a.schemas {
        for (tname, table) in &schema.tables {
            for col in &table.columns {
                if let Some(ColumnDefault::Serial { sequence }) = &col.default
                    && !schema.sequences.contains_key(sequence)
                    && b.schemas
                        .get(sname)
                        .is_some_and(|s| s.sequences.contains_key(sequence))
                    && let BaseType::Builtin(ty) = &col.data_type.base
                {
                    found.push((
                        sname.clone(),
                        tname.clone(),
                        col.name.clone(),
                        sequence.clone(),
                        ty.clone(),
                    ));
                }
            }
        }
    }
    if found.is_empty() {
        return false;
    }
    let m = a.to_mut();
    for (sname, tname, cname, sequence, ty) in found {
        let Some(schema) = m.schemas.get_mut(&sname) else {
            continue;
        };
        if let Some(col) = schema
            .tables
            .get_mut(&tname)
            .and_then(|t| t.columns.iter_mut().find(|c| c.name == cname))
        {
            let q = QualifiedName::new(sname.clone(), sequence.clone());
            col.default = Some(ColumnDefault::Sql(nextval(&q)));
        }
        schema.sequences.insert(
            sequence,
            Sequence {
                data_type: ty,
                owned_by: Some(Owner {
                    table: tname,
                    column: cname,
                }),
                ..Sequence::default()
            },
        );
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regclass_names_fold_like_postgresql() {
        let q = |s: &str, n: &str| Some(QualifiedName::new(s, n));
        assert_eq!(regclass_name("Orders_Id_Seq"), q("public", "orders_id_seq"));
        assert_eq!(regclass_name("Billing.s"), q("billing", "s"));
        assert_eq!(regclass_name("\"My \"\"Seq\""), q("public", "My \"Seq"));
        assert_eq!(regclass_name("a.b.c"), None);
        assert_eq!(regclass_name(""), None);
        assert_eq!(regclass_name("a b"), None);
    }
}
