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
    /// `COMMENT ON COLUMN` of output columns, by column name (`column_comments`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub column_comments: BTreeMap<String, String>,
    /// Privileges, when the project manages them (`model::grant`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grants: Option<Box<super::grant::Grants>>,
    /// Views only: `INSTEAD OF` (and statement-level) triggers, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub triggers: BTreeMap<String, super::trigger::Trigger>,
}

impl PartialEq for View {
    /// `no_data` and `depends_on` are not properties of the database's view; declared
    /// columns compare only when both sides know them (the catalog form names them anyway).
    /// Triggers are compared by `diff::trigger` (a changed trigger does not rebuild the view).
    fn eq(&self, o: &View) -> bool {
        self.query == o.query
            && (self.columns.is_empty() || o.columns.is_empty() || self.columns == o.columns)
            && self.security_barrier == o.security_barrier
            && self.security_invoker == o.security_invoker
            && self.check_option == o.check_option
            && self.indexes == o.indexes
            && self.comment == o.comment
            && self.column_comments == o.column_comments
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
///
/// sqlparser does not know `FROM ONLY t` (it reads a table `only` aliased `t`): the text is
/// parsed without the `ONLY`s (see [`table_only`]) and the relations they apply to are
/// appended, so `ONLY t` and `t` stay different.
pub fn normalise_text(sql: &str) -> String {
    let sql = sql.trim().trim_end_matches(';');
    let only = table_only(sql);
    let parsed = without(sql, &only);
    if let Ok(mut stmts) = Parser::parse_sql(&PostgreSqlDialect {}, &parsed)
        && stmts.len() == 1
    {
        let mut out = stmts.remove(0).to_string();
        if !only.is_empty() {
            let names: Vec<&str> = only.iter().map(|o| o.relation.as_str()).collect();
            out.push_str(&format!(" /* ONLY {} */", names.join(", ")));
        }
        return out;
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
    /// Columns the query reads from a relation it names, where that is certain from the
    /// text alone (see [`column_refs`]): (schema as written, relation, column), folded.
    pub columns: BTreeSet<(Option<String>, String, String)>,
    /// Sequences named by `nextval`/`currval`/`setval` with a literal argument, the
    /// literal's text (a `regclass` input, see `model::sequence::regclass_name`).
    pub sequences: BTreeSet<String>,
    /// Functions called anywhere (schema as written, name), folded.
    pub functions: BTreeSet<(Option<String>, String)>,
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

/// What the statements of a SQL function body name: the relations they read (`FROM`,
/// `JOIN`, subqueries) and write (`INSERT INTO`, `UPDATE`, `DELETE FROM`), and the functions
/// they call. `Err` with sqlparser's message when the body does not parse.
pub fn statements_refs(sql: &str) -> Result<QueryRefs, String> {
    let stripped = without(sql, &table_only(sql));
    let stmts = Parser::parse_sql(&PostgreSqlDialect {}, &stripped).map_err(|e| e.to_string())?;
    let mut refs = QueryRefs::default();
    let mut ctes = BTreeSet::new();
    for stmt in &stmts {
        if let ast::Statement::Insert(i) = stmt
            && let ast::TableObject::TableName(name) = &i.table
        {
            let parts: Vec<String> = name
                .0
                .iter()
                .filter_map(|p| p.as_ident().map(fold))
                .collect();
            match parts.as_slice() {
                [n] => {
                    refs.relations.insert((None, n.clone()));
                }
                [s, n] => {
                    refs.relations.insert((Some(s.clone()), n.clone()));
                }
                _ => {}
            }
        }
        let mut v = Collect {
            refs: &mut refs,
            ctes: &mut ctes,
        };
        let _ = stmt.visit(&mut v);
    }
    refs.relations
        .retain(|(s, n)| s.is_some() || !ctes.contains(n));
    Ok(refs)
}

pub fn query_refs(sql: &str) -> Result<QueryRefs, String> {
    let sql = sql.trim().trim_end_matches(';');
    // `FROM ONLY t` reads `t` (sqlparser would read a table `only`).
    let stripped = without(sql, &table_only(sql));
    let sql = stripped.as_str();
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
    refs.columns = column_refs(q, &ctes);
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

/// An `ONLY` of a table reference (`FROM ONLY t`, `JOIN ONLY s.t`, `, ONLY (t)`): where the
/// keyword is in the text and the relation it applies to (as written, folded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableOnly {
    /// The keyword, and the parentheses of `ONLY (t)`.
    pub ranges: Vec<std::ops::Range<usize>>,
    pub relation: String,
}

/// The `ONLY` keywords of `sql` that qualify a table reference: an unquoted `ONLY` right
/// after `FROM`, `JOIN`, a comma or an opening parenthesis (`ONLY` is a reserved word, so it
/// cannot be a column or function name there; `FETCH … ROWS ONLY` follows `ROWS`), followed by
/// a name or `(`. Found in the tokens, so an `only` inside a literal, a quoted name or a
/// comment is never one.
pub fn table_only(sql: &str) -> Vec<TableOnly> {
    use sqlparser::keywords::Keyword;
    let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize_with_location() else {
        return Vec::new();
    };
    let significant: Vec<&sqlparser::tokenizer::TokenWithSpan> = tokens
        .iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_)))
        .collect();
    let mut cursor = super::expr::SpanCursor::new(sql);
    let mut out = Vec::new();
    for (i, t) in significant.iter().enumerate() {
        let Token::Word(w) = &t.token else { continue };
        if w.keyword != Keyword::ONLY || w.quote_style.is_some() || i == 0 {
            continue;
        }
        let after_from = match &significant[i - 1].token {
            Token::Word(p) => {
                p.quote_style.is_none() && matches!(p.keyword, Keyword::FROM | Keyword::JOIN)
            }
            Token::Comma | Token::LParen => true,
            _ => false,
        };
        // The relation: the name parts after `ONLY` (inside one pair of parentheses).
        let mut j = i + 1;
        let parenthesised = matches!(significant.get(j).map(|t| &t.token), Some(Token::LParen));
        if parenthesised {
            j += 1;
        }
        let mut relation = Vec::new();
        while let Some(Token::Word(n)) = significant.get(j).map(|t| &t.token) {
            relation.push(if n.quote_style.is_some() {
                n.value.clone()
            } else {
                n.value.to_lowercase()
            });
            if !matches!(
                significant.get(j + 1).map(|t| &t.token),
                Some(Token::Period)
            ) {
                break;
            }
            j += 2;
        }
        let close = significant.get(j + 1);
        if !after_from
            || relation.is_empty()
            || parenthesised && !matches!(close.map(|t| &t.token), Some(Token::RParen))
        {
            continue;
        }
        let mut tokens = vec![*t];
        if parenthesised {
            tokens.push(significant[i + 1]);
            tokens.extend(close.copied());
        }
        let mut ranges = Vec::new();
        for tok in tokens {
            let (Some(start), Some(end)) = (cursor.seek(tok.span.start), cursor.seek(tok.span.end))
            else {
                break;
            };
            ranges.push(start..end);
        }
        if ranges.len() == 1 + 2 * usize::from(parenthesised)
            && sql[ranges[0].clone()].eq_ignore_ascii_case("only")
        {
            out.push(TableOnly {
                ranges,
                relation: relation.join("."),
            });
        }
    }
    out
}

/// `sql` with each of `only` blanked (replaced by spaces, so positions stay).
fn without(sql: &str, only: &[TableOnly]) -> String {
    let mut out = sql.to_string();
    for r in only.iter().flat_map(|o| &o.ranges) {
        out.replace_range(r.clone(), &" ".repeat(r.len()));
    }
    out
}

/// Words that parse as a column name but are SQL values or keywords (`current_schema`,
/// the forms of `normalize(x, NFC)`).
const NOT_COLUMNS: &[&str] = &[
    "current_schema",
    "current_catalog",
    "current_user",
    "current_role",
    "session_user",
    "system_user",
    "user",
    "nfc",
    "nfd",
    "nfkc",
    "nfkd",
];

/// The columns `q` certainly reads from a relation it names: `x.c` where `x` is the alias
/// (or the name) of a plain table reference in the `FROM` of the same `SELECT`; and an
/// unqualified `c` of a top-level `SELECT` (no `WITH`) whose `FROM` is exactly one plain table
/// reference and which has no subquery anywhere (an outer query or a function in `FROM`
/// could otherwise supply the name). `ORDER BY` is not looked at (it may name output
/// columns), nor are unqualified names equal to an output alias (`GROUP BY` may name one),
/// a relation's alias (a whole-row reference) or SQL value words. References to CTEs, to
/// relations aliased with column names and to anything else in `FROM` are left out.
fn column_refs(
    top: &ast::Query,
    ctes: &BTreeSet<String>,
) -> BTreeSet<(Option<String>, String, String)> {
    struct Queries<'a> {
        top: &'a ast::Query,
        ctes: &'a BTreeSet<String>,
        out: BTreeSet<(Option<String>, String, String)>,
    }
    impl Visitor for Queries<'_> {
        type Break = ();
        fn pre_visit_query(&mut self, q: &ast::Query) -> ControlFlow<()> {
            let top = std::ptr::eq(q, self.top) && q.with.is_none();
            body_columns(&q.body, top, self.ctes, &mut self.out);
            ControlFlow::Continue(())
        }
    }
    let mut v = Queries {
        top,
        ctes,
        out: BTreeSet::new(),
    };
    let _ = top.visit(&mut v);
    v.out
}

fn body_columns(
    body: &ast::SetExpr,
    top: bool,
    ctes: &BTreeSet<String>,
    out: &mut BTreeSet<(Option<String>, String, String)>,
) {
    match body {
        ast::SetExpr::Select(s) => select_columns(s, top, ctes, out),
        ast::SetExpr::SetOperation { left, right, .. } => {
            body_columns(left, top, ctes, out);
            body_columns(right, top, ctes, out);
        }
        // Nested queries are visited on their own (without the top-level rule).
        _ => {}
    }
}

/// A relation in a `SELECT`'s scope: `None` when its columns are not a declared relation's
/// (a subquery, a function, a CTE, column aliases, an ambiguous alias).
type Scope = BTreeMap<String, Option<(Option<String>, String)>>;

fn select_columns(
    s: &ast::Select,
    top: bool,
    ctes: &BTreeSet<String>,
    out: &mut BTreeSet<(Option<String>, String, String)>,
) {
    let mut scope = Scope::new();
    let mut factors = 0usize;
    let mut opaque = false;
    fn add(scope: &mut Scope, key: String, rel: Option<(Option<String>, String)>) {
        // The same name twice is ambiguous (PostgreSQL refuses it): not checked.
        scope.entry(key).and_modify(|r| *r = None).or_insert(rel);
    }
    fn factor(
        t: &ast::TableFactor,
        scope: &mut Scope,
        factors: &mut usize,
        opaque: &mut bool,
        ctes: &BTreeSet<String>,
    ) {
        *factors += 1;
        match t {
            ast::TableFactor::Table {
                name,
                alias,
                args: None,
                ..
            } => {
                let parts: Option<Vec<String>> =
                    name.0.iter().map(|p| p.as_ident().map(fold)).collect();
                let rel = match parts.as_deref() {
                    Some([n]) if !ctes.contains(n) => Some((None, n.clone())),
                    Some([s, n]) | Some([_, s, n]) => Some((Some(s.clone()), n.clone())),
                    _ => None,
                };
                let Some(last) = parts.as_ref().and_then(|p| p.last().cloned()) else {
                    *opaque = true;
                    return;
                };
                match alias {
                    Some(a) if !a.columns.is_empty() => add(scope, fold(&a.name), None),
                    Some(a) => add(scope, fold(&a.name), rel),
                    None => add(scope, last, rel),
                }
            }
            ast::TableFactor::NestedJoin {
                table_with_joins,
                alias: None,
            } => {
                *factors -= 1;
                factor(&table_with_joins.relation, scope, factors, opaque, ctes);
                for j in &table_with_joins.joins {
                    factor(&j.relation, scope, factors, opaque, ctes);
                }
            }
            other => {
                *opaque = true;
                if let Some(a) = table_factor_alias(other) {
                    add(scope, fold(&a.name), None);
                }
            }
        }
    }
    for twj in &s.from {
        factor(&twj.relation, &mut scope, &mut factors, &mut opaque, ctes);
        for j in &twj.joins {
            factor(&j.relation, &mut scope, &mut factors, &mut opaque, ctes);
        }
    }
    if scope.values().all(Option::is_none) {
        return;
    }
    // The names used at this query level (not inside subqueries).
    struct Names {
        depth: usize,
        subqueries: bool,
        found: Vec<Vec<String>>,
        parameters: BTreeSet<String>,
    }
    impl Visitor for Names {
        type Break = ();
        fn pre_visit_query(&mut self, _: &ast::Query) -> ControlFlow<()> {
            self.depth += 1;
            self.subqueries = true;
            ControlFlow::Continue(())
        }
        fn post_visit_query(&mut self, _: &ast::Query) -> ControlFlow<()> {
            self.depth -= 1;
            ControlFlow::Continue(())
        }
        fn pre_visit_expr(&mut self, e: &ast::Expr) -> ControlFlow<()> {
            if self.depth == 0 {
                match e {
                    // `f(days => 1)`: `days` names a parameter, not a column.
                    ast::Expr::Function(f) => {
                        if let ast::FunctionArguments::List(l) = &f.args {
                            for a in &l.args {
                                match a {
                                    ast::FunctionArg::ExprNamed {
                                        name: ast::Expr::Identifier(i),
                                        ..
                                    }
                                    | ast::FunctionArg::Named { name: i, .. } => {
                                        self.parameters.insert(fold(i));
                                    }
                                    // sqlparser reads `name := value` as an assignment.
                                    ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(
                                        ast::Expr::BinaryOp {
                                            left,
                                            op: ast::BinaryOperator::Assignment,
                                            ..
                                        },
                                    )) => {
                                        if let ast::Expr::Identifier(i) = left.as_ref() {
                                            self.parameters.insert(fold(i));
                                        }
                                    }
                                    _ => {}
                                }
                            }
                        }
                    }
                    ast::Expr::Identifier(i) => self.found.push(vec![fold(i)]),
                    ast::Expr::CompoundIdentifier(p) => {
                        self.found.push(p.iter().map(fold).collect())
                    }
                    _ => {}
                }
            }
            ControlFlow::Continue(())
        }
    }
    let mut names = Names {
        depth: 0,
        subqueries: false,
        found: Vec::new(),
        parameters: BTreeSet::new(),
    };
    let _ = s.visit(&mut names);
    // Conservative: a column spelt like a parameter name of the same query is not checked.
    let parameters = std::mem::take(&mut names.parameters);
    names
        .found
        .retain(|n| !(n.len() == 1 && parameters.contains(&n[0])));
    // Output names given with `AS` (`GROUP BY` may use them).
    let outputs: BTreeSet<String> = s
        .projection
        .iter()
        .filter_map(|i| match i {
            ast::SelectItem::ExprWithAlias { alias, .. } => Some(fold(alias)),
            _ => None,
        })
        .collect();
    let single = match (top, factors, opaque, names.subqueries) {
        (true, 1, false, false) if scope.len() == 1 => scope.iter().next(),
        _ => None,
    };
    for n in &names.found {
        match n.as_slice() {
            [x, c] => {
                if let Some(Some((schema, rel))) = scope.get(x) {
                    out.insert((schema.clone(), rel.clone(), c.clone()));
                }
            }
            [c] => {
                if let Some((alias, Some((schema, rel)))) = single
                    && c != alias
                    && c != rel
                    && !outputs.contains(c)
                    && !NOT_COLUMNS.contains(&c.as_str())
                {
                    out.insert((schema.clone(), rel.clone(), c.clone()));
                }
            }
            _ => {}
        }
    }
}

/// The alias of a `FROM` item other than a plain table.
fn table_factor_alias(t: &ast::TableFactor) -> Option<&ast::TableAlias> {
    match t {
        ast::TableFactor::Derived { alias, .. }
        | ast::TableFactor::TableFunction { alias, .. }
        | ast::TableFactor::Function { alias, .. }
        | ast::TableFactor::UNNEST { alias, .. }
        | ast::TableFactor::NestedJoin { alias, .. }
        | ast::TableFactor::Table { alias, .. } => alias.as_ref(),
        _ => None,
    }
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

    fn pre_visit_expr(&mut self, e: &ast::Expr) -> ControlFlow<()> {
        if let ast::Expr::Function(f) = e {
            self.refs
                .sequences
                .extend(super::expr::sequence_argument(f));
            let parts: Vec<String> = f
                .name
                .0
                .iter()
                .filter_map(|p| p.as_ident().map(fold))
                .collect();
            match parts.as_slice() {
                [n] => {
                    self.refs.functions.insert((None, n.clone()));
                }
                [s, n] => {
                    self.refs.functions.insert((Some(s.clone()), n.clone()));
                }
                _ => {}
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, t: &ast::TableFactor) -> ControlFlow<()> {
        if let ast::TableFactor::Table { name, args, .. } = t {
            let parts: Vec<String> = name
                .0
                .iter()
                .filter_map(|p| p.as_ident().map(fold))
                .collect();
            let (schema, n) = match parts.as_slice() {
                [n] => (None, n.clone()),
                [s, n] | [_, s, n] => (Some(s.clone()), n.clone()),
                _ => return ControlFlow::Continue(()),
            };
            // `FROM f(…)`: a set-returning function call, not a relation.
            if args.is_some() {
                self.refs.functions.insert((schema, n));
            } else {
                self.refs.relations.insert((schema, n));
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
    fn only_reads_the_relation() {
        let rels = |q: &str| -> Vec<(Option<String>, String)> {
            query_refs(q).unwrap().relations.into_iter().collect()
        };
        let t = |n: &str| (None, n.to_string());
        assert_eq!(rels("SELECT a FROM ONLY t"), vec![t("t")]);
        assert_eq!(rels("select a from only t x where x.a > 0"), vec![t("t")]);
        assert_eq!(
            rels("SELECT 1 FROM ONLY s.t AS x JOIN ONLY u ON true, ONLY (v)"),
            vec![t("u"), t("v"), (Some("s".to_string()), "t".to_string())]
        );
        assert_eq!(
            rels(
                "SELECT 'from only x' AS \"only\" FROM t -- from only y\n FETCH FIRST 1 ROWS ONLY"
            ),
            vec![t("t")]
        );
        let only = table_only("SELECT a FROM\n  ONLY \"T\" t");
        assert_eq!(only.len(), 1);
        assert_eq!(only[0].relation, "T");
        // ONLY is part of the meaning: `t` and `ONLY t` differ, spelling does not.
        assert_ne!(
            normalise_text("SELECT a FROM ONLY t"),
            normalise_text("SELECT a FROM t")
        );
        assert_eq!(
            normalise_text("select a from only t x"),
            normalise_text("SELECT a FROM ONLY t x")
        );
        assert_eq!(
            normalise_text(" SELECT t.a\n   FROM ONLY t;"),
            normalise_text("SELECT t.a FROM ONLY t")
        );
    }

    #[test]
    fn odd_queries_never_panic() {
        for q in [
            "SELECT 1 FROM ONLY",
            "SELECT 1 FROM ONLY (",
            "SELECT 1 FROM ONLY (t",
            "SELECT 1 FROM ONLY ()",
            "SELECT 'é' AS \"ü\" FROM ONLY \"é\" JOIN\tONLY\r\n(x) ON true",
            "ONLY t",
            "SELECT * FROM t AS x(a), ONLY u y(b) WHERE x.a = y.b",
            "SELECT (SELECT (SELECT a FROM ONLY t) FROM u) FROM v",
            "WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r) SELECT n FROM r",
        ] {
            let _ = query_refs(q);
            let _ = normalise_text(q);
        }
        let only = table_only("SELECT 'é' FROM ONLY \"é\"");
        assert_eq!(only.len(), 1);
        let r = query_refs("SELECT 'é', x.a FROM ONLY \"é\" x").unwrap();
        assert!(r.columns.contains(&(None, "é".into(), "a".into())));
    }

    #[test]
    fn certain_column_references() {
        let cols = |q: &str| -> Vec<String> {
            query_refs(q)
                .unwrap()
                .columns
                .into_iter()
                .map(|(s, r, c)| format!("{}{r}.{c}", s.map(|s| s + ".").unwrap_or_default()))
                .collect()
        };
        assert_eq!(
            cols("SELECT a, t.b FROM t WHERE c > 0"),
            ["t.a", "t.b", "t.c"]
        );
        assert_eq!(
            cols("SELECT x.a, y.b FROM s.t x JOIN u y ON y.c = x.d"),
            ["u.b", "u.c", "s.t.a", "s.t.d"]
        );
        // Named function arguments are parameters, not columns (both spellings).
        assert_eq!(
            cols("SELECT a, make_interval(days => 1), make_interval(hours := b) FROM t"),
            ["t.a", "t.b"]
        );
        // Unqualified names with two relations, a subquery or a CTE: not certain.
        assert_eq!(cols("SELECT a FROM t, u"), Vec::<String>::new());
        assert_eq!(cols("SELECT a, (SELECT 1) FROM t"), Vec::<String>::new());
        assert_eq!(
            cols("WITH c AS (SELECT 1) SELECT a FROM t"),
            Vec::<String>::new()
        );
        // Inside a subquery, its own FROM; outer references are not resolved.
        assert_eq!(
            cols("SELECT 1 FROM t WHERE EXISTS (SELECT 1 FROM u t WHERE t.a = b)"),
            ["u.a"]
        );
        // Aliases, output names, value words and whole rows.
        assert_eq!(
            cols("SELECT a AS x, t, current_schema FROM t GROUP BY x"),
            ["t.a"]
        );
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
