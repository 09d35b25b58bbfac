//! Views and materialized views: a stored query with its options.
//!
//! A query compares by meaning where that can be known: PostgreSQL stores it rewritten
//! (`pg_get_viewdef`: qualified columns, casts, parentheses), so a view read from the
//! catalog carries that form, and a declared one gets it from the server it is compared with
//! (`catalog::server_forms`, used by `drift`, `diff --db` and `verify`). Offline (head
//! snapshot against the TOML) both sides are the user's text, compared with whitespace,
//! keyword case and comments normalised by sqlparser.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sqlparser::ast::{self, Visit, Visitor};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

use super::{Index, QualifiedName, is_false};

/// A view (`views`) or materialized view (`materialized_views`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct View {
    pub query: Query,
    /// Output column names when declared (`CREATE VIEW v (a, b)`); empty: the query's own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub security_barrier: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub security_invoker: bool,
    /// `WITH LOCAL|CASCADED CHECK OPTION`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_option: Option<CheckOption>,
    /// Materialized views: created `WITH NO DATA` (not compared: a refresh changes it).
    #[serde(default, skip_serializing_if = "is_false")]
    pub no_data: bool,
    /// Materialized views: their indexes, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub indexes: BTreeMap<String, Index>,
    /// What the view needs besides the relations its query names (ordering only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<QualifiedName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl PartialEq for View {
    /// `no_data` and `depends_on` are not properties of the database's view; declared
    /// columns compare only when both sides know them (the catalog form names them anyway).
    fn eq(&self, o: &View) -> bool {
        self.query == o.query
            && (self.columns.is_empty() || o.columns.is_empty() || self.columns == o.columns)
            && self.security_barrier == o.security_barrier
            && self.security_invoker == o.security_invoker
            && self.check_option == o.check_option
            && self.indexes == o.indexes
            && self.comment == o.comment
    }
}

impl Eq for View {}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckOption {
    Local,
    Cascaded,
}

impl CheckOption {
    pub fn sql(self) -> &'static str {
        match self {
            CheckOption::Local => "LOCAL",
            CheckOption::Cascaded => "CASCADED",
        }
    }
}

/// A view's query: the text as declared (or as the catalog prints it), and the form the
/// server stores it in when known.
#[derive(Clone, Debug, Default)]
pub struct Query {
    pub text: String,
    /// `pg_get_viewdef` of this query on the server it is compared with.
    pub catalog_form: Option<String>,
}

impl Query {
    pub fn new(text: impl Into<String>) -> Query {
        Query {
            text: text.into(),
            catalog_form: None,
        }
    }

    /// The text as it goes into `CREATE VIEW … AS`: no trailing semicolon or blanks.
    pub fn sql(&self) -> &str {
        self.text.trim().trim_end_matches(';').trim_end()
    }
}

impl PartialEq for Query {
    fn eq(&self, o: &Query) -> bool {
        match (&self.catalog_form, &o.catalog_form) {
            (Some(a), Some(b)) => normalise_text(a) == normalise_text(b),
            _ => normalise_text(&self.text) == normalise_text(&o.text),
        }
    }
}

impl Eq for Query {}

impl Serialize for Query {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.sql())
    }
}

impl<'de> Deserialize<'de> for Query {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Query, D::Error> {
        String::deserialize(d).map(Query::new)
    }
}

/// A query's text with spelling differences removed: sqlparser's rendering when it parses
/// (keyword case, whitespace, comments), else the tokens joined by single spaces.
pub fn normalise_text(sql: &str) -> String {
    let sql = sql.trim().trim_end_matches(';');
    if let Ok(mut stmts) = Parser::parse_sql(&PostgreSqlDialect {}, sql)
        && stmts.len() == 1
    {
        return stmts.remove(0).to_string();
    }
    match Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize() {
        Ok(tokens) => tokens
            .iter()
            .filter(|t| !matches!(t, Token::Whitespace(_)))
            .map(|t| t.to_string())
            .collect::<Vec<_>>()
            .join(" "),
        Err(_) => sql.split_whitespace().collect::<Vec<_>>().join(" "),
    }
}

/// What a query names, for ordering and for rebuilding views around changes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueryRefs {
    /// Relations in `FROM`/`JOIN` (and subqueries), as written: optional schema and name,
    /// folded as PostgreSQL folds unquoted names. CTE names are left out.
    pub relations: BTreeSet<(Option<String>, String)>,
    /// Every identifier the query mentions (folded), for "does it use column c?".
    pub identifiers: BTreeSet<String>,
    /// The query has a `*` somewhere (it may use every column).
    pub star: bool,
    /// Output column names derived from the select list, where it is plain (`a`, `t.a`,
    /// `x AS a`); `None` for an item whose name is PostgreSQL's choice.
    pub output: Vec<Option<String>>,
}

impl QueryRefs {
    /// Whether the query may use column `column` of a relation it names.
    pub fn may_use(&self, column: &str) -> bool {
        self.star || self.identifiers.contains(column)
    }
}

fn fold(i: &ast::Ident) -> String {
    if i.quote_style.is_some() {
        i.value.clone()
    } else {
        i.value.to_lowercase()
    }
}

/// Parse `sql` as one query and collect what it names; `Err` with sqlparser's message when
/// it does not parse as a single `SELECT`/`VALUES`/`WITH` query.
/// The relations `view` reads: those its query names (unqualified names in `public`) and its
/// `depends_on`.
pub fn reads(view: &View) -> Vec<QualifiedName> {
    let mut out: BTreeSet<QualifiedName> = view.depends_on.iter().cloned().collect();
    if let Ok(r) = query_refs(view.query.sql()) {
        for (s, n) in r.relations {
            out.insert(QualifiedName::new(s.unwrap_or_else(|| "public".into()), n));
        }
    }
    out.into_iter().collect()
}

/// Remove from `m` the views reading a relation that `before` has and `m` lost or whose
/// columns changed, and, transitively, the views reading those: what is left can be created.
pub fn prune_views(before: &super::Model, m: &mut super::Model) {
    let changed = |q: &QualifiedName, m: &super::Model| match (before.table(q), m.table(q)) {
        (Some(a), Some(b)) => a.columns != b.columns,
        (Some(_), None) => true,
        _ => before.view(q).is_some() && m.view(q).is_none(),
    };
    loop {
        let doomed: Vec<QualifiedName> = m
            .views()
            .filter(|(_, _, v)| reads(v).iter().any(|r| changed(r, m)))
            .map(|(q, _, _)| q)
            .collect();
        if doomed.is_empty() {
            return;
        }
        for q in doomed {
            if let Some(s) = m.schemas.get_mut(&q.schema) {
                s.views.remove(&q.name);
                s.materialized_views.remove(&q.name);
            }
        }
    }
}

pub fn query_refs(sql: &str) -> Result<QueryRefs, String> {
    let sql = sql.trim().trim_end_matches(';');
    let stmts = Parser::parse_sql(&PostgreSqlDialect {}, sql).map_err(|e| e.to_string())?;
    let [ast::Statement::Query(q)] = stmts.as_slice() else {
        return Err("expected exactly one query (SELECT, VALUES or WITH …)".into());
    };
    let mut refs = QueryRefs::default();
    let mut ctes = BTreeSet::new();
    let mut v = Collect {
        refs: &mut refs,
        ctes: &mut ctes,
    };
    let _ = q.visit(&mut v);
    let ctes = ctes;
    refs.relations
        .retain(|(s, n)| s.is_some() || !ctes.contains(n));
    if let ast::SetExpr::Select(sel) = q.body.as_ref() {
        refs.output = sel.projection.iter().map(output_name).collect();
    }
    if let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize() {
        for t in tokens {
            match t {
                Token::Word(w) => {
                    let i = ast::Ident {
                        value: w.value,
                        quote_style: w.quote_style,
                        span: sqlparser::tokenizer::Span::empty(),
                    };
                    refs.identifiers.insert(fold(&i));
                }
                Token::Mul => refs.star = true,
                _ => {}
            }
        }
    }
    Ok(refs)
}

fn output_name(item: &ast::SelectItem) -> Option<String> {
    match item {
        ast::SelectItem::ExprWithAlias { alias, .. } => Some(fold(alias)),
        ast::SelectItem::UnnamedExpr(ast::Expr::Identifier(i)) => Some(fold(i)),
        ast::SelectItem::UnnamedExpr(ast::Expr::CompoundIdentifier(p)) => p.last().map(fold),
        _ => None,
    }
}

struct Collect<'a> {
    refs: &'a mut QueryRefs,
    ctes: &'a mut BTreeSet<String>,
}

impl Visitor for Collect<'_> {
    type Break = ();

    fn pre_visit_query(&mut self, q: &ast::Query) -> ControlFlow<()> {
        if let Some(with) = &q.with {
            for c in &with.cte_tables {
                self.ctes.insert(fold(&c.alias.name));
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, t: &ast::TableFactor) -> ControlFlow<()> {
        if let ast::TableFactor::Table {
            name, args: None, ..
        } = t
        {
            let parts: Vec<String> = name
                .0
                .iter()
                .filter_map(|p| p.as_ident().map(fold))
                .collect();
            match parts.as_slice() {
                [n] => {
                    self.refs.relations.insert((None, n.clone()));
                }
                [s, n] | [_, s, n] => {
                    self.refs.relations.insert((Some(s.clone()), n.clone()));
                }
                _ => {}
            }
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_leave_out_ctes_and_functions() {
        let r = query_refs(
            "WITH x AS (SELECT id FROM members) SELECT x.id, m.Name AS n \
             FROM x JOIN billing.Invoices m ON true, generate_series(1, 2) g",
        )
        .unwrap();
        let rels: Vec<_> = r.relations.iter().cloned().collect();
        assert_eq!(
            rels,
            vec![
                (None, "members".to_string()),
                (Some("billing".to_string()), "invoices".to_string())
            ]
        );
        assert_eq!(r.output, vec![Some("id".into()), Some("n".into())]);
        assert!(r.may_use("name") && !r.may_use("email") && !r.star);
        assert!(query_refs("SELECT * FROM t").unwrap().star);
        assert!(query_refs("DELETE FROM t").is_err());
    }

    #[test]
    fn texts_compare_without_spelling() {
        assert_eq!(
            normalise_text("select a,b  from t -- x\n where a>1;"),
            normalise_text("SELECT a, b FROM t WHERE a > 1")
        );
        assert_ne!(
            normalise_text("SELECT a FROM t"),
            normalise_text("SELECT b FROM t")
        );
        let mut a = Query::new("SELECT 1");
        let mut b = Query::new("SELECT 2");
        a.catalog_form = Some(" SELECT 1;".into());
        b.catalog_form = Some("SELECT 1".into());
        assert_eq!(a, b);
    }
}
