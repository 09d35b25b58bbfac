//! Domains and composite types: names in the type namespace, base and attribute types
//! resolved like column types (a column's own code does it, so defaults, collations and
//! `type_sql` behave exactly alike), domain checks over `VALUE`.

use std::collections::BTreeMap;

use super::{Compiler, Rename};
use crate::diag::{Diagnostic, Span};
use crate::model::{
    Attribute, BaseType, Check, ColumnDefault, CompositeType, DataType, Domain, Model,
    QualifiedName,
};
use crate::schema::reader::Sp;
use crate::schema::{RawColumn, RawComposite, RawDomain, RawEnum, RawFkActions, Sources};

/// Domains and composite types by qualified name, in (schema, name) order.
pub(super) struct UserTypes<'s> {
    domains: BTreeMap<QualifiedName, &'s RawDomain>,
    composites: BTreeMap<QualifiedName, &'s RawComposite>,
}

impl Compiler {
    /// Register every domain and composite type's name (before any type is resolved, so
    /// they may use each other and columns may use them); duplicates in the type namespace
    /// are reported.
    pub(super) fn user_type_names<'s>(
        &mut self,
        sources: &'s Sources,
        type_seen: &mut BTreeMap<QualifiedName, (Span, &'static str)>,
    ) -> UserTypes<'s> {
        let mut out = UserTypes {
            domains: BTreeMap::new(),
            composites: BTreeMap::new(),
        };
        for f in &sources.files {
            for d in &f.domains {
                let schema = self.object_schema(d.schema.as_ref(), f.schema.as_ref(), &d.name.span);
                if let Some(q) = self.type_name(schema, &d.name, "domain", type_seen) {
                    self.user_types
                        .insert(q.clone(), BaseType::Domain(q.clone()));
                    out.domains.insert(q, d);
                }
            }
            for c in &f.composite_types {
                let schema = self.object_schema(c.schema.as_ref(), f.schema.as_ref(), &c.name.span);
                if let Some(q) = self.type_name(schema, &c.name, "composite type", type_seen) {
                    self.user_types
                        .insert(q.clone(), BaseType::Composite(q.clone()));
                    out.composites.insert(q, c);
                }
            }
        }
        out
    }

    fn type_name(
        &mut self,
        schema: String,
        name: &Sp<String>,
        what: &'static str,
        type_seen: &mut BTreeMap<QualifiedName, (Span, &'static str)>,
    ) -> Option<QualifiedName> {
        if !self.ident(name, what) {
            return None;
        }
        let q = QualifiedName::new(schema, name.value.clone());
        if let Some((first, kind)) = type_seen.get(&q) {
            let (first, kind) = (first.clone(), *kind);
            self.push(
                Diagnostic::new(
                    "duplicate-object",
                    name.span.clone(),
                    format!("{what} `{q}` has the same name as {kind} `{q}`; PostgreSQL types share one namespace per schema"),
                )
                .label(first, "first defined here")
                .hint(format!("rename the {what} or the {kind}")),
            );
            return None;
        }
        type_seen.insert(q.clone(), (name.span.clone(), what));
        Some(q)
    }

    /// The model's domain or composite type that `parts` (a written type name) names,
    /// resolved here, then in `public`.
    pub(super) fn user_type(&self, parts: &[String], here: &str) -> Option<BaseType> {
        match parts {
            [name] => [here, "public"]
                .into_iter()
                .find_map(|s| self.user_types.get(&QualifiedName::new(s, name.clone())))
                .cloned(),
            [schema, name] => self
                .user_types
                .get(&QualifiedName::new(schema.clone(), name.clone()))
                .cloned(),
            _ => None,
        }
    }

    /// Compile the domains and composite types into `model`.
    pub(super) fn user_types(
        &mut self,
        types: &UserTypes<'_>,
        model: &mut Model,
        enums: &BTreeMap<QualifiedName, &RawEnum>,
    ) {
        for (q, raw) in &types.domains {
            if let Some(d) = self.domain(q, raw, model, enums) {
                if let Some(s) = model.schemas.get_mut(&q.schema) {
                    s.domains.insert(q.name.clone(), d);
                }
            }
        }
        for (q, raw) in &types.composites {
            let c = self.composite(q, raw, model, enums);
            if let Some(s) = model.schemas.get_mut(&q.schema) {
                s.composite_types.insert(q.name.clone(), c);
            }
        }
        // A domain over itself, or a composite type containing itself (directly or not).
        for q in self.user_types.keys().cloned().collect::<Vec<_>>() {
            if !cycle(model, &q) {
                continue;
            }
            let span = types
                .domains
                .get(&q)
                .map(|d| d.name.span.clone())
                .or_else(|| types.composites.get(&q).map(|c| c.name.span.clone()));
            if let Some(span) = span {
                self.push(
                    Diagnostic::new(
                        "type-cycle",
                        span,
                        format!("type `{q}` contains itself"),
                    )
                    .hint("a domain's base type or a composite type's attributes cannot lead back to the type"),
                );
            }
        }
    }

    fn rename_type(
        &mut self,
        q: &QualifiedName,
        from: &Option<Sp<String>>,
        what: &str,
        domain: bool,
    ) {
        let Some(r) = from else { return };
        if !self.ident(r, what) {
            return;
        }
        let (schema, from, to) = (q.schema.clone(), r.value.clone(), q.name.clone());
        self.renames.push(if domain {
            Rename::Domain { schema, from, to }
        } else {
            Rename::Composite { schema, from, to }
        });
    }

    fn domain(
        &mut self,
        q: &QualifiedName,
        raw: &RawDomain,
        model: &Model,
        enums: &BTreeMap<QualifiedName, &RawEnum>,
    ) -> Option<Domain> {
        self.rename_type(q, &raw.renamed_from, "domain", true);
        if raw.ty.is_none() && raw.type_sql.is_none() {
            self.push(
                Diagnostic::new(
                    "missing-type",
                    raw.name.span.clone(),
                    format!("domain `{q}` has no base type"),
                )
                .hint("add `type = \"…\"` (e.g. \"integer\"), or `type_sql` for an extension type"),
            );
            return None;
        }
        let column = RawColumn {
            grants: None,
            name: raw.name.clone(),
            ty: raw.ty.clone(),
            type_sql: raw.type_sql.clone(),
            nullable: None,
            default: raw.default.clone(),
            default_sql: raw.default_sql.clone(),
            identity: None,
            identity_options: None,
            generated_sql: None,
            primary_key: None,
            unique: None,
            references: None,
            actions: RawFkActions::default(),
            collation: raw.collation.clone(),
            comment: None,
            renamed_from: None,
            type_misspelled: false,
        };
        let c = self.column(q, &column, model, enums)?;
        if matches!(c.default, Some(ColumnDefault::Serial { .. })) {
            let span = raw
                .ty
                .as_ref()
                .map_or(raw.name.span.clone(), |t| t.span.clone());
            self.push(
                Diagnostic::new(
                    "invalid-type",
                    span,
                    format!("domain `{q}` cannot be a serial type"),
                )
                .hint("use the integer type; a serial is a column with its own sequence"),
            );
            return None;
        }
        // (A domain over itself is reported as a cycle once every type is compiled.)
        if matches!(c.data_type.base, BaseType::Composite(_)) {
            let span = raw
                .ty
                .as_ref()
                .or(raw.type_sql.as_ref())
                .map(|t| t.span.clone());
            self.push(
                Diagnostic::new(
                    "invalid-type",
                    span.unwrap_or(raw.name.span.clone()),
                    format!("domain `{q}` is over a composite type"),
                )
                .hint("schemactl supports domains over scalar, enum and array types"),
            );
            return None;
        }
        let mut checks = BTreeMap::new();
        let mut unnamed = Vec::new();
        for ch in &raw.checks {
            if let Some(r) = &ch.renamed_from {
                self.push(
                    Diagnostic::new(
                        "unsupported",
                        r.span.clone(),
                        "`renamed_from` is not supported on domain checks",
                    )
                    .hint("remove it: the check is dropped and added under its new name"),
                );
            }
            let Some(e) = &ch.expr else {
                self.missing(
                    &ch.span,
                    "domain check",
                    "expr",
                    "add `expr = \"…\"` with a boolean SQL expression over `VALUE`",
                );
                continue;
            };
            let Some(expr) = self.expr(e, "check expression") else {
                continue;
            };
            let expr = Domain::typed_check(&c.data_type, expr);
            let comment = self.literal_text(&ch.comment, "comment");
            if let Some(col) = expr
                .referenced_columns()
                .into_iter()
                .find(|c| c != "value" && !super::SQL_VALUE_WORDS.contains(&c.as_str()))
            {
                self.push(
                    Diagnostic::new(
                        "unknown-column",
                        e.span.clone(),
                        format!(
                            "domain check refers to `{col}`; a domain check can only use `VALUE`"
                        ),
                    )
                    .hint("write the condition over `VALUE`, e.g. `VALUE > 0`"),
                );
                continue;
            }
            match &ch.name {
                Some(n) => {
                    if !self.ident(n, "constraint") {
                        continue;
                    }
                    if checks.contains_key(&n.value) {
                        self.push(
                            Diagnostic::new(
                                "duplicate-object",
                                n.span.clone(),
                                format!("domain `{q}` has two checks named `{}`", n.value),
                            )
                            .hint("give each check its own name"),
                        );
                        continue;
                    }
                    checks.insert(
                        n.value.clone(),
                        Check {
                            comment,
                            ..Check::new(expr)
                        },
                    );
                }
                None => unnamed.push((expr, comment)),
            }
        }
        // An unnamed check the database already has keeps its name (PostgreSQL does not
        // rename a domain's constraints with it); a new one gets PostgreSQL's default name:
        // `<domain>_check`, then `_check1`, … (63 bytes at most).
        let prev = self.previous.domain(q).or_else(|| {
            raw.renamed_from.as_ref().and_then(|r| {
                self.previous
                    .domain(&QualifiedName::new(q.schema.clone(), r.value.clone()))
            })
        });
        let mut fresh = Vec::new();
        for (expr, comment) in unnamed {
            let kept = prev.and_then(|p| {
                p.checks
                    .iter()
                    .find(|(n, c)| c.expr == expr && !checks.contains_key(*n))
                    .map(|(n, _)| n.clone())
            });
            match kept {
                Some(n) => {
                    checks.insert(
                        n,
                        Check {
                            comment,
                            ..Check::new(expr)
                        },
                    );
                }
                None => fresh.push((expr, comment)),
            }
        }
        for (expr, comment) in fresh {
            let name = (0..)
                .map(|i| {
                    let suffix = if i == 0 {
                        "check".to_string()
                    } else {
                        format!("check{i}")
                    };
                    super::names::make_object_name(&q.name, None, &suffix)
                })
                .find(|n| !checks.contains_key(n))
                .unwrap_or_default();
            checks.insert(
                name,
                Check {
                    comment,
                    ..Check::new(expr)
                },
            );
        }
        let d = Domain {
            grants: None,
            data_type: c.data_type,
            collation: c.collation,
            default: match c.default {
                Some(ColumnDefault::Sql(e)) => Some(e),
                _ => None,
            },
            not_null: raw.not_null.as_ref().is_some_and(|n| n.value),
            checks,
            comment: self.literal_text(&raw.comment, "comment"),
        };
        Some(d)
    }

    fn composite(
        &mut self,
        q: &QualifiedName,
        raw: &RawComposite,
        model: &Model,
        enums: &BTreeMap<QualifiedName, &RawEnum>,
    ) -> CompositeType {
        self.rename_type(q, &raw.renamed_from, "composite type", false);
        let mut attributes: Vec<Attribute> = Vec::new();
        if raw.attributes.is_empty() {
            self.push(
                Diagnostic::new(
                    "missing-key",
                    raw.span.clone(),
                    format!("composite type `{q}` has no attributes"),
                )
                .hint("add `[composite_types.NAME.attributes]` with `name = { type = \"…\" }` entries"),
            );
        }
        for a in &raw.attributes {
            if !self.ident(&a.name, "attribute") {
                continue;
            }
            if a.ty.is_none() && a.type_sql.is_none() {
                self.push(
                    Diagnostic::new(
                        "missing-type",
                        a.name.span.clone(),
                        format!(
                            "attribute `{}` of composite type `{q}` has no type",
                            a.name.value
                        ),
                    )
                    .hint(
                        "add `type = \"…\"` (e.g. \"text\"), or `type_sql` for an extension type",
                    ),
                );
                continue;
            }
            let column = RawColumn {
                grants: None,
                name: a.name.clone(),
                ty: a.ty.clone(),
                type_sql: a.type_sql.clone(),
                nullable: None,
                default: None,
                default_sql: None,
                identity: None,
                identity_options: None,
                generated_sql: None,
                primary_key: None,
                unique: None,
                references: None,
                actions: RawFkActions::default(),
                collation: a.collation.clone(),
                comment: None,
                renamed_from: None,
                type_misspelled: false,
            };
            let Some(c) = self.column(q, &column, model, enums) else {
                continue;
            };
            if matches!(c.default, Some(ColumnDefault::Serial { .. })) {
                self.push(
                    Diagnostic::new(
                        "invalid-type",
                        a.name.span.clone(),
                        format!("attribute `{}` cannot be a serial type", a.name.value),
                    )
                    .hint("use the integer type"),
                );
                continue;
            }
            attributes.push(Attribute {
                name: c.name,
                data_type: c.data_type,
                collation: c.collation,
            });
        }
        CompositeType {
            grants: None,
            attributes,
            comment: self.literal_text(&raw.comment, "comment"),
        }
    }
}

/// Whether user type `q` leads back to itself through domain bases and attribute types.
fn cycle(model: &Model, q: &QualifiedName) -> bool {
    let mut seen = Vec::new();
    let mut stack: Vec<QualifiedName> = next(model, q);
    while let Some(t) = stack.pop() {
        if t == *q {
            return true;
        }
        if seen.contains(&t) {
            continue;
        }
        stack.extend(next(model, &t));
        seen.push(t);
    }
    false
}

fn next(model: &Model, q: &QualifiedName) -> Vec<QualifiedName> {
    let inner = |t: &DataType| match &t.base {
        BaseType::Domain(n) | BaseType::Composite(n) => Some(n.clone()),
        _ => None,
    };
    if let Some(d) = model.domain(q) {
        return inner(&d.data_type).into_iter().collect();
    }
    model
        .composite_type(q)
        .map(|c| {
            c.attributes
                .iter()
                .filter_map(|a| inner(&a.data_type))
                .collect()
        })
        .unwrap_or_default()
}
