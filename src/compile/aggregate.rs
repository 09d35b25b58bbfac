//! `[aggregates.NAME]`: argument and state types spelled as routines' are, the state and
//! final functions resolved to declared functions or PostgreSQL's own.

use std::collections::BTreeMap;

use super::Compiler;
use crate::diag::{Diagnostic, Span};
use crate::model::aggregate::Aggregate;
use crate::model::grant::GrantKind;
use crate::model::{Model, QualifiedName};
use crate::schema::reader::Sp;
use crate::schema::{RawAggregate, Sources};

impl Compiler {
    /// Compile every aggregate into `model` (its functions compiled already).
    pub(super) fn aggregates(
        &mut self,
        sources: &Sources,
        model: &mut Model,
        types: &BTreeMap<QualifiedName, (Span, &'static str)>,
    ) {
        for file in &sources.files {
            for raw in &file.aggregates {
                let schema =
                    self.object_schema(raw.schema.as_ref(), file.schema.as_ref(), &raw.name.span);
                if !self.ident(&raw.name, "aggregate") {
                    continue;
                }
                let Some(a) = self.aggregate(raw, &schema, model, types) else {
                    continue;
                };
                let id = a.identity();
                let taken = model.schemas.get(&schema).is_some_and(|s| {
                    s.aggregates.contains_key(&id) || s.functions.contains_key(&id)
                });
                if taken {
                    self.push(
                        Diagnostic::new(
                            "duplicate-object",
                            raw.span.clone(),
                            format!("`{schema}.{id}` is defined more than once"),
                        )
                        .hint("functions and aggregates share names: overloads must differ in their argument types"),
                    );
                    continue;
                }
                if let Some(s) = model.schemas.get_mut(&schema) {
                    s.aggregates.insert(id, a);
                }
            }
        }
    }

    fn aggregate(
        &mut self,
        raw: &RawAggregate,
        schema: &str,
        model: &Model,
        types: &BTreeMap<QualifiedName, (Span, &'static str)>,
    ) -> Option<Aggregate> {
        let mut ok = true;
        let mut args = Vec::new();
        for a in raw.args.iter().flat_map(|l| &l.value) {
            match self.routine_type(a, schema, types) {
                Some(t) => args.push(t),
                None => ok = false,
            }
        }
        let Some(stype) = &raw.stype else {
            self.push(
                Diagnostic::new(
                    "missing-key",
                    raw.name.span.clone(),
                    format!("aggregate `{}` has no `stype`", raw.name.value),
                )
                .hint("add the state type: `stype = \"text\"`"),
            );
            return None;
        };
        let stype = self.routine_type(stype, schema, types)?;
        let Some(sfunc) = &raw.sfunc else {
            self.push(
                Diagnostic::new(
                    "missing-key",
                    raw.name.span.clone(),
                    format!("aggregate `{}` has no `sfunc`", raw.name.value),
                )
                .hint("add the state function: `sfunc = \"my_step\"`"),
            );
            return None;
        };
        let sfunc = self.routine_ref(sfunc, schema, model);
        let finalfunc = raw
            .finalfunc
            .as_ref()
            .map(|f| self.routine_ref(f, schema, model));
        let comment = self.literal_text(&raw.comment, "comment");
        let grants = raw
            .grants
            .as_ref()
            .map(|g| Box::new(self.grant_list(g, GrantKind::Function)));
        if raw
            .initcond
            .as_ref()
            .is_some_and(|i| i.value.contains('\0'))
        {
            ok = false;
        }
        (ok && sfunc.is_some() && finalfunc.as_ref().is_none_or(Option::is_some)).then(|| {
            Aggregate {
                name: raw.name.value.clone(),
                args,
                sfunc: sfunc.unwrap_or_else(|| QualifiedName::new("", "")),
                stype,
                finalfunc: finalfunc.flatten(),
                initcond: raw.initcond.as_ref().map(|i| i.value.clone()),
                comment,
                grants,
            }
        })
    }

    /// A function an aggregate names: declared (in `schema`, then `public`, or where it is
    /// qualified), of an unmanaged schema, or else PostgreSQL's own.
    fn routine_ref(
        &mut self,
        f: &Sp<String>,
        schema: &str,
        model: &Model,
    ) -> Option<QualifiedName> {
        let parts = crate::sql::split_qualified(&f.value).unwrap_or_default();
        if let Some((q, _)) = super::function::declared_functions(&parts, schema, model) {
            return Some(q);
        }
        match parts.as_slice() {
            [n] if crate::compile::builtins::function(n).is_some() => {
                return Some(QualifiedName::new("pg_catalog", n.clone()));
            }
            [s, n] if !self.managed.contains(s) => {
                return Some(QualifiedName::new(s.clone(), n.clone()));
            }
            _ => {}
        }
        self.push(
            Diagnostic::new(
                "unknown-function",
                f.span.clone(),
                format!("function `{}` is not declared", f.value),
            )
            .hint("declare it under [functions], or write `schema.function` for one created outside schemactl"),
        );
        None
    }
}
