//! `grants`: role names and privileges checked and normalised (PostgreSQL's names and
//! order, `all` expanded for the object's kind), attached to the compiled objects.

use std::collections::BTreeMap;

use super::Compiler;
use crate::diag::Diagnostic;
use crate::model::grant::{self, GrantKind, Grants, PUBLIC};
use crate::model::{Model, QualifiedName};
use crate::schema::Sources;
use crate::schema::grant::RawGrants;
use crate::schema::reader::Sp;

impl Compiler {
    /// Attach every declared `grants` (and `schema_grants`) to its compiled object. Objects
    /// that did not compile are reported already and are skipped here.
    pub(super) fn grants(&mut self, sources: &Sources, model: &mut Model) {
        let mut schema_seen: BTreeMap<String, crate::diag::Span> = BTreeMap::new();
        for f in &sources.files {
            let file_schema = f.schema.as_ref().map(|s| s.value.clone());
            let schema_of = |own: &Option<Sp<String>>| {
                own.as_ref()
                    .map(|s| s.value.clone())
                    .or_else(|| file_schema.clone())
                    .unwrap_or_else(|| "public".to_string())
            };
            if let Some(g) = &f.schema_grants {
                let schema = schema_of(&None);
                if let Some(first) = schema_seen.get(&schema) {
                    let d = Diagnostic::new(
                        "duplicate-definition",
                        g.span.clone(),
                        format!("`schema_grants` of schema `{schema}` are declared twice"),
                    )
                    .label(first.clone(), "first declared here")
                    .hint("declare a schema's grants in one file");
                    self.push(d);
                } else {
                    schema_seen.insert(schema.clone(), g.span.clone());
                    let grants = self.grant_list(g, GrantKind::Schema);
                    if let Some(s) = model.schemas.get_mut(&schema) {
                        s.grants = Some(Box::new(grants));
                    }
                }
            }
            if !f.default_privileges.is_empty() {
                let schema = schema_of(&None);
                let defaults = self.default_privileges(&f.default_privileges);
                if let Some(s) = model.schemas.get_mut(&schema) {
                    let into = s.default_privileges.get_or_insert_with(Box::default);
                    for (role, classes) in defaults {
                        let mine = into.entry(role).or_default();
                        for (class, g) in classes {
                            mine.insert(class, g);
                        }
                    }
                }
            }
            for t in &f.tables {
                let q = QualifiedName::new(schema_of(&t.schema), t.name.value.clone());
                let table_grants = t
                    .grants
                    .as_ref()
                    .map(|g| self.grant_list(g, GrantKind::Table));
                let columns: Vec<(String, Grants)> = t
                    .columns
                    .iter()
                    .filter_map(|c| {
                        let g = c.grants.as_ref()?;
                        Some((c.name.value.clone(), self.grant_list(g, GrantKind::Column)))
                    })
                    .collect();
                let Some(table) = model
                    .schemas
                    .get_mut(&q.schema)
                    .and_then(|s| s.tables.get_mut(&q.name))
                else {
                    continue;
                };
                if table_grants.is_some() {
                    table.grants = table_grants.map(Box::new);
                    // A table's grants manage its columns' too: a column without `grants`
                    // has no privileges of its own.
                    for c in &mut table.columns {
                        c.grants = Some(Box::default());
                    }
                }
                for (name, g) in columns {
                    if let Some(c) = table.columns.iter_mut().find(|c| c.name == name) {
                        c.grants = Some(Box::new(g));
                    }
                }
            }
            for v in &f.views {
                let Some(g) = &v.grants else { continue };
                let g = self.grant_list(g, GrantKind::Table);
                let Some(s) = model.schemas.get_mut(&schema_of(&v.schema)) else {
                    continue;
                };
                let map = if v.materialized {
                    &mut s.materialized_views
                } else {
                    &mut s.views
                };
                if let Some(view) = map.get_mut(&v.name.value) {
                    view.grants = Some(Box::new(g));
                }
            }
            for q in &f.sequences {
                let Some(g) = &q.grants else { continue };
                let g = self.grant_list(g, GrantKind::Sequence);
                if let Some(seq) = model
                    .schemas
                    .get_mut(&schema_of(&q.schema))
                    .and_then(|s| s.sequences.get_mut(&q.name.value))
                {
                    seq.grants = Some(Box::new(g));
                }
            }
            for e in &f.enums {
                let Some(g) = &e.grants else { continue };
                let g = self.grant_list(g, GrantKind::Type);
                if let Some(x) = model
                    .schemas
                    .get_mut(&schema_of(&e.schema))
                    .and_then(|s| s.enums.get_mut(&e.name.value))
                {
                    x.grants = Some(Box::new(g));
                }
            }
            for d in &f.domains {
                let Some(g) = &d.grants else { continue };
                let g = self.grant_list(g, GrantKind::Type);
                if let Some(x) = model
                    .schemas
                    .get_mut(&schema_of(&d.schema))
                    .and_then(|s| s.domains.get_mut(&d.name.value))
                {
                    x.grants = Some(Box::new(g));
                }
            }
            for c in &f.composite_types {
                let Some(g) = &c.grants else { continue };
                let g = self.grant_list(g, GrantKind::Type);
                if let Some(x) = model
                    .schemas
                    .get_mut(&schema_of(&c.schema))
                    .and_then(|s| s.composite_types.get_mut(&c.name.value))
                {
                    x.grants = Some(Box::new(g));
                }
            }
        }
    }

    /// `[[default_privileges]]` entries of one file: `for_role`, `on` and `grants` required;
    /// a `(for_role, on)` pair once.
    fn default_privileges(
        &mut self,
        raw: &[crate::schema::grant::RawDefaultPrivilege],
    ) -> grant::DefaultPrivileges {
        let mut out = grant::DefaultPrivileges::new();
        for d in raw {
            let (Some(role), Some(on), Some(g)) = (&d.for_role, &d.on, &d.grants) else {
                self.push(
                    Diagnostic::new(
                        "missing-key",
                        d.span.clone(),
                        "default privileges need `for_role`, `on` and `grants`",
                    )
                    .hint("write `for_role = \"owner\"`, `on = \"tables\"` and `grants = { reader = [\"select\"] }`"),
                );
                continue;
            };
            if !self.ident(role, "role") {
                continue;
            }
            let class = on.value.trim().to_ascii_lowercase();
            let Some((_, kind)) = grant::DEFAULT_CLASSES.iter().find(|(c, _)| *c == class) else {
                let names: Vec<&str> = grant::DEFAULT_CLASSES.iter().map(|(c, _)| *c).collect();
                self.push(
                    Diagnostic::new(
                        "invalid-value",
                        on.span.clone(),
                        format!(
                            "`on = \"{}\"` is not a class of default privileges",
                            on.value
                        ),
                    )
                    .hint(format!("use one of: {}", names.join(", "))),
                );
                continue;
            };
            let grants = self.grant_list(g, *kind);
            let entry = out.entry(role.value.clone()).or_default();
            if entry.insert(class.clone(), grants).is_some() {
                self.push(
                    Diagnostic::new(
                        "duplicate-definition",
                        d.span.clone(),
                        format!(
                            "default privileges for role `{}` on {class} are declared twice",
                            role.value
                        ),
                    )
                    .hint("merge the two entries"),
                );
            }
        }
        out
    }

    /// One `grants` table checked and normalised for `kind`.
    pub(super) fn grant_list(&mut self, raw: &RawGrants, kind: GrantKind) -> Grants {
        let mut out = Grants::new();
        for (role, privs) in &raw.value {
            if !self.ident(role, "role") {
                continue;
            }
            let name = if role.value.eq_ignore_ascii_case(PUBLIC) {
                PUBLIC.to_string()
            } else {
                role.value.clone()
            };
            let mut list: Vec<String> = Vec::new();
            for p in &privs.value {
                let word = p.value.trim().to_ascii_lowercase();
                let word = word.split_whitespace().collect::<Vec<_>>().join(" ");
                if word == "all" || word == "all privileges" {
                    list.extend(kind.all());
                } else if kind.privileges().contains(&word.as_str()) {
                    list.push(word);
                } else {
                    let valid = kind.privileges().join(", ");
                    let mut d = Diagnostic::new(
                        "invalid-privilege",
                        p.span.clone(),
                        format!("`{}` is not a privilege of {}", p.value, kind_name(kind)),
                    );
                    d = match crate::suggest::closest(&word, kind.privileges().iter().copied()) {
                        Some(s) => d.hint(format!("did you mean `{s}`? (valid: {valid}, all)")),
                        None => d.hint(format!("valid privileges: {valid}, all")),
                    };
                    self.push(d);
                }
            }
            grant::normalise(&mut list);
            if list.is_empty() {
                continue;
            }
            if out.insert(name.clone(), list).is_some() {
                self.push(
                    Diagnostic::new(
                        "duplicate-definition",
                        role.span.clone(),
                        format!("role `{name}` is listed twice"),
                    )
                    .hint("`public` and `PUBLIC` are the same pseudo-role: list it once"),
                );
            }
        }
        out
    }
}

fn kind_name(kind: GrantKind) -> &'static str {
    match kind {
        GrantKind::Table => "a table or view",
        GrantKind::Column => "a column",
        GrantKind::Sequence => "a sequence",
        GrantKind::Schema => "a schema",
        GrantKind::Type => "a type",
        GrantKind::Function => "a function, procedure or aggregate",
    }
}
