//! SQL expressions in the model (defaults, generated columns, checks, index expressions and
//! predicates). Parsed with sqlparser (PostgreSQL dialect); compared by a normalised form so
//! that what PostgreSQL prints back equals what the user wrote.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// An expression: the SQL to emit, plus its normalised form used for comparison.
#[derive(Clone, Debug, Eq)]
pub struct Expr {
    sql: String,
    canonical: String,
}

/// A parse failure; `offset` is a byte offset into the expression text when known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExprError {
    pub message: String,
    pub offset: Option<usize>,
}

impl Expr {
    /// Parse and normalise `sql`.
    pub fn parse(sql: &str) -> Result<Expr, ExprError> {
        let sql = sql.trim();
        if sql.is_empty() {
            return Err(ExprError {
                message: "empty expression".into(),
                offset: None,
            });
        }
        // Placeholder until the sqlparser-based normaliser lands.
        Ok(Expr {
            sql: sql.to_string(),
            canonical: sql.to_string(),
        })
    }

    /// The SQL to write into DDL.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// The normalised form (what equality compares).
    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    /// Distinct column names the expression references (unqualified identifiers and the last
    /// part of qualified ones), for validation and PostgreSQL's default check names.
    pub fn referenced_columns(&self) -> BTreeSet<String> {
        BTreeSet::new()
    }

    /// The name PostgreSQL gives an index column built from this expression
    /// (`FigureColname`): the function name for a function call, else `expr`.
    pub fn index_column_name(&self) -> String {
        "expr".to_string()
    }
}

impl PartialEq for Expr {
    fn eq(&self, other: &Self) -> bool {
        self.canonical == other.canonical
    }
}

impl Serialize for Expr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.sql)
    }
}

impl<'de> Deserialize<'de> for Expr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Expr::parse(&s).map_err(|e| serde::de::Error::custom(e.message))
    }
}
