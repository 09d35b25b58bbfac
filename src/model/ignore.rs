//! `project.ignore`: `schema.name` globs of objects inside the managed schemas that
//! schemactl leaves alone. Every kind is matched by its `schema.name` (tables, partitions,
//! enums, views, materialized views, sequences, domains, composite types, and indexes, whose
//! names live in the schema too); constraints and indexes also by `schema.table.name`. The
//! catalog reader leaves ignored objects out, and `drift`, `diff --db` and `verify` leave
//! them out of the expected model with [`Model::drop_ignored`], so both sides of a
//! comparison hold the same set.

use super::Model;

/// `*` matches any run of characters (including none); everything else matches itself.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Whether `schema.name` matches one of `globs`.
pub fn ignored(globs: &[String], schema: &str, name: &str) -> bool {
    if globs.is_empty() {
        return false;
    }
    let full = format!("{schema}.{name}");
    globs.iter().any(|g| glob_match(g, &full))
}

/// Whether a constraint or index `name` of `schema.table` matches one of `globs`, as
/// `schema.name` or as `schema.table.name`.
pub fn ignored_part(globs: &[String], schema: &str, table: &str, name: &str) -> bool {
    if globs.is_empty() {
        return false;
    }
    let full = format!("{schema}.{table}.{name}");
    ignored(globs, schema, name) || globs.iter().any(|g| glob_match(g, &full))
}

impl Model {
    /// Leave out what `globs` ignore, as the catalog reader does: objects of every kind by
    /// `schema.name`, sequences owned by an ignored table, and constraints and indexes (of
    /// tables and materialized views) by `schema.name` or `schema.table.name`.
    pub fn drop_ignored(&mut self, globs: &[String]) {
        if globs.is_empty() {
            return;
        }
        for (sn, s) in self.schemas.iter_mut() {
            let keep = |n: &String| !ignored(globs, sn, n);
            s.enums.retain(|n, _| keep(n));
            s.tables.retain(|n, _| keep(n));
            s.views.retain(|n, _| keep(n));
            s.materialized_views.retain(|n, _| keep(n));
            s.domains.retain(|n, _| keep(n));
            s.composite_types.retain(|n, _| keep(n));
            s.functions.retain(|_, f| keep(&f.name));
            s.aggregates.retain(|_, a| keep(&a.name));
            s.sequences
                .retain(|n, q| keep(n) && q.owned_by.as_ref().is_none_or(|o| keep(&o.table)));
            for (tn, t) in s.tables.iter_mut() {
                let part = |n: &String| !ignored_part(globs, sn, tn, n);
                if t.primary_key.as_ref().is_some_and(|pk| !part(&pk.name)) {
                    t.primary_key = None;
                }
                t.uniques.retain(|n, _| part(n));
                t.checks.retain(|n, _| part(n));
                t.indexes.retain(|n, _| part(n));
                t.exclusions.retain(|n, _| part(n));
                t.foreign_keys.retain(|n, _| part(n));
                t.triggers.retain(|n, _| part(n));
                t.policies.retain(|n, _| part(n));
            }
            for (vn, v) in s.materialized_views.iter_mut() {
                v.indexes.retain(|n, _| !ignored_part(globs, sn, vn, n));
            }
        }
    }
}
