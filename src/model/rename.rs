//! Explicit renames (`renamed_from`, `renamed_values`) and what they do to a model.
//!
//! Renames live beside the model, never in it: snapshots hold no `renamed_from`, so a stale
//! one (its old name no longer exists) changes nothing. [`apply`] gives the model a database
//! would have after the `ALTER … RENAME` statements, which `diff` then compares as usual.

use std::borrow::Cow;

use super::{BaseType, ColumnDefault, Expr, Model, QualifiedName, Table};

/// One declared rename. Names are in the object's (new) schema; tables and enums are renamed
/// within their schema.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rename {
    Enum {
        schema: String,
        from: String,
        to: String,
    },
    /// `ALTER TYPE … RENAME VALUE`; `name` is the enum's new name.
    EnumValue {
        name: QualifiedName,
        from: String,
        to: String,
    },
    Table {
        schema: String,
        from: String,
        to: String,
    },
    /// `table` is the table's new name.
    Column {
        table: QualifiedName,
        from: String,
        to: String,
    },
    /// A primary key, unique, check or foreign key constraint.
    Constraint {
        table: QualifiedName,
        from: String,
        to: String,
    },
    Index {
        table: QualifiedName,
        from: String,
        to: String,
    },
    Domain {
        schema: String,
        from: String,
        to: String,
    },
    Composite {
        schema: String,
        from: String,
        to: String,
    },
    /// A sequence of `[sequences]` (not a serial column's: those follow their column).
    Sequence {
        schema: String,
        from: String,
        to: String,
    },
    /// A row-level security policy; `table` is the table's new name.
    Policy {
        table: QualifiedName,
        from: String,
        to: String,
    },
    /// A function or procedure (one overload: `types` are its input types, as the model
    /// spells them). Triggers and aggregates naming it follow; expressions calling it print
    /// the new name (they hold its oid), as the declared schema does.
    Function {
        schema: String,
        from: String,
        to: String,
        types: Vec<String>,
        procedure: bool,
    },
}

impl Rename {
    /// `name(types)` of a [`Rename::Function`]'s old and new identity.
    fn function_identities(from: &str, to: &str, types: &[String]) -> (String, String) {
        let args = types.join(", ");
        (format!("{from}({args})"), format!("{to}({args})"))
    }
}

/// The name table `q` had before `renames`' table renames (itself when none renames it).
pub fn table_before(renames: &[Rename], q: &QualifiedName) -> QualifiedName {
    renames
        .iter()
        .find_map(|r| match r {
            Rename::Table { schema, from, to } if *schema == q.schema && *to == q.name => {
                Some(QualifiedName::new(schema.clone(), from.clone()))
            }
            _ => None,
        })
        .unwrap_or_else(|| q.clone())
}

/// The renames that take a model back: each one inverted, paths given in the old names of
/// tables and enums, since those are what the reverse diff's target model uses.
pub fn reverse_all(renames: &[Rename]) -> Vec<Rename> {
    let table_back = |q: &QualifiedName| table_before(renames, q);
    let enum_back = |q: &QualifiedName| {
        renames
            .iter()
            .find_map(|r| match r {
                Rename::Enum { schema, from, to } if *schema == q.schema && *to == q.name => {
                    Some(QualifiedName::new(schema.clone(), from.clone()))
                }
                _ => None,
            })
            .unwrap_or_else(|| q.clone())
    };
    // The reverse model starts from the new names; `apply` renames enums and tables first,
    // so the paths of the other renames name them by their old names.
    renames
        .iter()
        .map(|r| match r {
            Rename::Enum { schema, from, to } => Rename::Enum {
                schema: schema.clone(),
                from: to.clone(),
                to: from.clone(),
            },
            Rename::EnumValue { name, from, to } => Rename::EnumValue {
                name: enum_back(name),
                from: to.clone(),
                to: from.clone(),
            },
            Rename::Table { schema, from, to } => Rename::Table {
                schema: schema.clone(),
                from: to.clone(),
                to: from.clone(),
            },
            Rename::Column { table, from, to } => Rename::Column {
                table: table_back(table),
                from: to.clone(),
                to: from.clone(),
            },
            Rename::Constraint { table, from, to } => Rename::Constraint {
                table: table_back(table),
                from: to.clone(),
                to: from.clone(),
            },
            Rename::Index { table, from, to } => Rename::Index {
                table: table_back(table),
                from: to.clone(),
                to: from.clone(),
            },
            Rename::Domain { schema, from, to } => Rename::Domain {
                schema: schema.clone(),
                from: to.clone(),
                to: from.clone(),
            },
            Rename::Composite { schema, from, to } => Rename::Composite {
                schema: schema.clone(),
                from: to.clone(),
                to: from.clone(),
            },
            Rename::Sequence { schema, from, to } => Rename::Sequence {
                schema: schema.clone(),
                from: to.clone(),
                to: from.clone(),
            },
            Rename::Policy { table, from, to } => Rename::Policy {
                table: table_back(table),
                from: to.clone(),
                to: from.clone(),
            },
            Rename::Function {
                schema,
                from,
                to,
                types,
                procedure,
            } => Rename::Function {
                schema: schema.clone(),
                from: to.clone(),
                to: from.clone(),
                types: types.clone(),
                procedure: *procedure,
            },
        })
        .collect()
}

/// Apply `renames` to `model` in a fixed order (enums, enum values, tables, columns,
/// constraints, indexes), as PostgreSQL would after the corresponding `ALTER … RENAME`s:
/// references follow (column types, foreign keys, expressions, key column lists). Returns the
/// renames that took effect, in that order; stale ones (old name gone, or new name already
/// taken) change nothing.
///
/// A rename blocked because its new name is taken is tried again once another rename moved
/// that object away (a chain: `b` → `c`, then `a` → `b`), unless its old name still exists
/// in `target` (then the blocked key is stale: the object keeps its name).
///
/// `model` is cloned only when a rename takes effect (most renames left in schema/ are
/// stale): a plan without renames copies nothing.
pub fn apply(model: &mut Cow<'_, Model>, renames: &[Rename], target: &Model) -> Vec<Rename> {
    let mut sorted: Vec<&Rename> = renames.iter().collect();
    sorted.sort_by_key(|r| match r {
        Rename::Enum { .. } | Rename::Domain { .. } | Rename::Composite { .. } => 0,
        Rename::EnumValue { .. } => 1,
        Rename::Table { .. } => 2,
        Rename::Column { .. } => 3,
        Rename::Constraint { .. } | Rename::Policy { .. } => 4,
        Rename::Index { .. } => 5,
        Rename::Sequence { .. } => 6,
        Rename::Function { .. } => 7,
    });
    let mut applied = Vec::new();
    let mut blocked = Vec::new();
    let apply_one = |model: &mut Cow<'_, Model>, r: &Rename| {
        takes_effect(model, r) && apply_one(model.to_mut(), r)
    };
    for r in sorted {
        if apply_one(model, r) {
            applied.push(r.clone());
        } else {
            blocked.push(r);
        }
    }
    loop {
        let before = applied.len();
        blocked.retain(|r| {
            if old_name_exists(target, r) || !apply_one(model, r) {
                return true;
            }
            applied.push((*r).clone());
            false
        });
        if applied.len() == before {
            return applied;
        }
    }
}

/// Whether [`apply_one`] changes `model`: the old name exists and the new one is free.
fn takes_effect(model: &Model, r: &Rename) -> bool {
    match r {
        Rename::Enum { schema, from, to } => model
            .schemas
            .get(schema)
            .is_some_and(|s| from != to && !s.enums.contains_key(to) && s.enums.contains_key(from)),
        Rename::EnumValue { name, from, to } => model
            .enum_type(name)
            .is_some_and(|e| from != to && !e.values.contains(to) && e.values.contains(from)),
        Rename::Table { schema, from, to } => model.schemas.get(schema).is_some_and(|s| {
            from != to
                && !s.tables.contains_key(to)
                && !s.enums.contains_key(to)
                && s.tables.contains_key(from)
        }),
        Rename::Column { table, from, to } => model
            .table(table)
            .is_some_and(|t| from != to && t.column(to).is_none() && t.column(from).is_some()),
        Rename::Constraint { table, from, to } => model
            .table(table)
            .is_some_and(|t| constraint_renames(t, from, to)),
        Rename::Index { table, from, to } => model.table(table).is_some_and(|t| {
            from != to && !t.indexes.contains_key(to) && t.indexes.contains_key(from)
        }),
        Rename::Policy { table, from, to } => model.table(table).is_some_and(|t| {
            from != to && !t.policies.contains_key(to) && t.policies.contains_key(from)
        }),
        Rename::Sequence { schema, from, to } => model.schemas.get(schema).is_some_and(|s| {
            from != to && s.sequences.contains_key(from) && !holds_relation_name(model, schema, to)
        }),
        Rename::Domain { schema, from, to } => {
            from != to
                && model
                    .domain(&QualifiedName::new(schema.clone(), from.clone()))
                    .is_some()
                && !model.holds_type_name(&QualifiedName::new(schema.clone(), to.clone()))
        }
        Rename::Composite { schema, from, to } => {
            from != to
                && model
                    .composite_type(&QualifiedName::new(schema.clone(), from.clone()))
                    .is_some()
                && !model.holds_type_name(&QualifiedName::new(schema.clone(), to.clone()))
        }
        Rename::Function {
            schema,
            from,
            to,
            types,
            ..
        } => {
            let (old, new) = Rename::function_identities(from, to, types);
            model.schemas.get(schema).is_some_and(|s| {
                from != to && s.functions.contains_key(&old) && !s.functions.contains_key(&new)
            })
        }
    }
}

/// Whether `r`'s old name names a table, column or enum in `model` (paths in new names).
fn old_name_exists(model: &Model, r: &Rename) -> bool {
    match r {
        Rename::Table { schema, from, .. } => model
            .table(&QualifiedName::new(schema.clone(), from.clone()))
            .is_some(),
        Rename::Enum { schema, from, .. } => model
            .enum_type(&QualifiedName::new(schema.clone(), from.clone()))
            .is_some(),
        Rename::Column { table, from, .. } => {
            model.table(table).is_some_and(|t| t.column(from).is_some())
        }
        Rename::Domain { schema, from, .. } => model
            .domain(&QualifiedName::new(schema.clone(), from.clone()))
            .is_some(),
        Rename::Composite { schema, from, .. } => model
            .composite_type(&QualifiedName::new(schema.clone(), from.clone()))
            .is_some(),
        Rename::Sequence { schema, from, .. } => model
            .sequence(&QualifiedName::new(schema.clone(), from.clone()))
            .is_some(),
        // Values, constraints and indexes: only the first pass (no chains).
        _ => true,
    }
}

fn apply_one(model: &mut Model, r: &Rename) -> bool {
    match r {
        Rename::Domain { schema, from, to } | Rename::Composite { schema, from, to } => {
            let domain = matches!(r, Rename::Domain { .. });
            let old = QualifiedName::new(schema.clone(), from.clone());
            let new = QualifiedName::new(schema.clone(), to.clone());
            if from == to || model.holds_type_name(&new) {
                return false;
            }
            let Some(s) = model.schemas.get_mut(schema) else {
                return false;
            };
            let (old_base, new_base) = if domain {
                let Some(d) = s.domains.remove(from) else {
                    return false;
                };
                s.domains.insert(to.clone(), d);
                (BaseType::Domain(old), BaseType::Domain(new))
            } else {
                let Some(c) = s.composite_types.remove(from) else {
                    return false;
                };
                s.composite_types.insert(to.clone(), c);
                (BaseType::Composite(old), BaseType::Composite(new))
            };
            model.retype(&old_base, &new_base);
            true
        }
        Rename::Enum { schema, from, to } => {
            let Some(s) = model.schemas.get_mut(schema) else {
                return false;
            };
            if from == to || s.enums.contains_key(to) {
                return false;
            }
            let Some(e) = s.enums.remove(from) else {
                return false;
            };
            s.enums.insert(to.clone(), e);
            let old = QualifiedName::new(schema.clone(), from.clone());
            let new = QualifiedName::new(schema.clone(), to.clone());
            // Columns, composite type attributes and domains of the enum follow.
            model.retype(&BaseType::Enum(old), &BaseType::Enum(new));
            true
        }
        Rename::EnumValue { name, from, to } => {
            let Some(e) = model
                .schemas
                .get_mut(&name.schema)
                .and_then(|s| s.enums.get_mut(&name.name))
            else {
                return false;
            };
            if from == to || e.values.contains(to) {
                return false;
            }
            let Some(v) = e.values.iter_mut().find(|v| *v == from) else {
                return false;
            };
            *v = to.clone();
            // Defaults store the value itself, so they show the new label too.
            let renamed = Expr::parse(&crate::sql::quote_literal(to)).ok();
            for s in model.schemas.values_mut() {
                for t in s.tables.values_mut() {
                    for c in &mut t.columns {
                        if c.data_type.base != BaseType::Enum(name.clone()) {
                            continue;
                        }
                        if let (Some(ColumnDefault::Sql(d)), Some(r)) = (&mut c.default, &renamed)
                            && d.string_literal() == Some(from.as_str())
                        {
                            *d = r.clone();
                        }
                    }
                }
            }
            true
        }
        Rename::Table { schema, from, to } => {
            let Some(s) = model.schemas.get_mut(schema) else {
                return false;
            };
            if from == to || s.tables.contains_key(to) || s.enums.contains_key(to) {
                return false;
            }
            let Some(t) = s.tables.remove(from) else {
                return false;
            };
            s.tables.insert(to.clone(), t);
            for seq in s.sequences.values_mut() {
                if let Some(o) = &mut seq.owned_by
                    && o.table == *from
                {
                    o.table = to.clone();
                }
            }
            let old = QualifiedName::new(schema.clone(), from.clone());
            for s in model.schemas.values_mut() {
                for t in s.tables.values_mut() {
                    for fk in t.foreign_keys.values_mut() {
                        if fk.references == old {
                            fk.references.name = to.clone();
                        }
                    }
                    if let Some(p) = &mut t.partition_of
                        && p.parent == old
                    {
                        p.parent.name = to.clone();
                    }
                }
            }
            true
        }
        Rename::Column { table, from, to } => {
            let Some(t) = table_mut(model, table) else {
                return false;
            };
            if from == to || t.column(to).is_some() || t.column(from).is_none() {
                return false;
            }
            rename_column(t, from, to);
            if let Some(s) = model.schemas.get_mut(&table.schema) {
                for seq in s.sequences.values_mut() {
                    if let Some(o) = &mut seq.owned_by
                        && o.table == table.name
                        && o.column == *from
                    {
                        o.column = to.clone();
                    }
                }
            }
            let mut partitioned = false;
            // Partitions share the parent's columns: what they declare follows the rename.
            let mut parents = vec![table.clone()];
            let mut seen = std::collections::BTreeSet::new();
            while let Some(parent) = parents.pop() {
                if !seen.insert(parent.clone()) {
                    continue;
                }
                for (sn, s) in model.schemas.iter_mut() {
                    for (n, t) in s.tables.iter_mut() {
                        if t.partition_of.as_ref().is_some_and(|p| p.parent == parent) {
                            rename_column(t, from, to);
                            partitioned = true;
                            parents.push(QualifiedName::new(sn.clone(), n.clone()));
                        }
                    }
                }
            }
            for s in model.schemas.values_mut() {
                for t in s.tables.values_mut() {
                    for fk in t.foreign_keys.values_mut() {
                        if fk.references == *table {
                            rename_in(&mut fk.referenced_columns, from, to);
                        }
                    }
                }
            }
            if partitioned {
                // Their literals are typed by the parent's columns, not their own (none).
                model.type_literals();
            }
            true
        }
        Rename::Constraint { table, from, to } => {
            let Some(t) = table_mut(model, table) else {
                return false;
            };
            rename_constraint(t, from, to)
        }
        Rename::Policy { table, from, to } => {
            let Some(t) = table_mut(model, table) else {
                return false;
            };
            if from == to || t.policies.contains_key(to) {
                return false;
            }
            match t.policies.remove(from) {
                Some(p) => {
                    t.policies.insert(to.clone(), p);
                    true
                }
                None => false,
            }
        }
        Rename::Index { table, from, to } => {
            let Some(t) = table_mut(model, table) else {
                return false;
            };
            if from == to || t.indexes.contains_key(to) {
                return false;
            }
            match t.indexes.remove(from) {
                Some(i) => {
                    t.indexes.insert(to.clone(), i);
                    true
                }
                None => false,
            }
        }
        Rename::Function {
            schema,
            from,
            to,
            types,
            ..
        } => {
            let (old, new) = Rename::function_identities(from, to, types);
            let Some(s) = model.schemas.get_mut(schema) else {
                return false;
            };
            if from == to || s.functions.contains_key(&new) {
                return false;
            }
            let Some(mut f) = s.functions.remove(&old) else {
                return false;
            };
            f.name = to.clone();
            s.functions.insert(new, f);
            // Triggers and aggregates name it by oid: they show the new name.
            let gone = QualifiedName::new(schema.clone(), from.clone());
            for s in model.schemas.values_mut() {
                for x in s.tables.values_mut().flat_map(|t| t.triggers.values_mut()) {
                    if x.function == gone {
                        x.function.name = to.clone();
                    }
                }
                for x in s.views.values_mut().flat_map(|v| v.triggers.values_mut()) {
                    if x.function == gone {
                        x.function.name = to.clone();
                    }
                }
                for a in s.aggregates.values_mut() {
                    for f in std::iter::once(&mut a.sfunc).chain(a.finalfunc.as_mut()) {
                        if *f == gone {
                            f.name = to.clone();
                        }
                    }
                }
            }
            true
        }
        Rename::Sequence { schema, from, to } => {
            let Some(s) = model.schemas.get_mut(schema) else {
                return false;
            };
            if from == to || s.sequences.contains_key(to) {
                return false;
            }
            let Some(seq) = s.sequences.remove(from) else {
                return false;
            };
            s.sequences.insert(to.clone(), seq);
            // `nextval('…'::regclass)` holds the sequence's oid: it prints the new name.
            let old = QualifiedName::new(schema.clone(), from.clone());
            let new = super::sequence::nextval(&QualifiedName::new(schema.clone(), to.clone()));
            for t in model
                .schemas
                .values_mut()
                .flat_map(|s| s.tables.values_mut())
            {
                for c in &mut t.columns {
                    if let Some(ColumnDefault::Sql(e)) = &mut c.default
                        && super::sequence::nextval_target(e).as_ref() == Some(&old)
                    {
                        *e = new.clone();
                    }
                }
            }
            true
        }
    }
}

/// `model` without the objects that hold a name one of `renames` needs while the object it
/// renames also exists: the name was reused after the rename these undo (the up migration
/// renamed table `events` to `events_archive` and created a new `events`; going back, the new
/// `events` must go before `events_archive` can take its name again). Tables and columns,
/// with what depends on them: foreign keys to them, and a column's keys, checks, indexes and
/// generated columns. `renames` are as [`reverse_all`] gives them. Borrowed when nothing
/// holds such a name (the model is cloned only to remove something).
pub fn without_occupants<'m>(model: &'m Model, renames: &[Rename]) -> Cow<'m, Model> {
    let mut m = Cow::Borrowed(model);
    // In a chain (`c` → `b` and `b` → `a`) the object holding the name moves on itself.
    let moves_on = |r: &Rename| {
        renames.iter().any(|o| match (r, o) {
            (
                Rename::Table { schema, to, .. },
                Rename::Table {
                    schema: s, from, ..
                },
            ) => s == schema && from == to,
            (
                Rename::Enum { schema, to, .. },
                Rename::Enum {
                    schema: s, from, ..
                },
            ) => s == schema && from == to,
            (
                Rename::Sequence { schema, to, .. },
                Rename::Sequence {
                    schema: s, from, ..
                },
            ) => s == schema && from == to,
            (Rename::Column { table, to, .. }, Rename::Column { table: t, from, .. }) => {
                t == table && from == to
            }
            (Rename::Index { table, to, .. }, Rename::Index { table: t, from, .. })
            | (Rename::Constraint { table, to, .. }, Rename::Constraint { table: t, from, .. }) => {
                t.schema == table.schema && from == to
            }
            (Rename::Policy { table, to, .. }, Rename::Policy { table: t, from, .. }) => {
                t == table && from == to
            }
            _ => false,
        })
    };
    // `table` (a path in old names) under its current name.
    let current = |table: &QualifiedName| table_before(renames, table);
    for r in renames {
        if moves_on(r) {
            continue;
        }
        match r {
            Rename::Table { schema, from, to } => {
                let q = QualifiedName::new(schema.clone(), from.clone());
                if m.table(&q).is_some() {
                    // Tables share the type namespace with enums and the relation
                    // namespace with indexes.
                    if holds_relation_name(&m, schema, to) {
                        free_relation_name(m.to_mut(), schema, to);
                    }
                    if holds_type_name(&m, schema, to) {
                        free_type_name(m.to_mut(), schema, to);
                    }
                }
            }
            Rename::Enum { schema, from, to } => {
                let q = QualifiedName::new(schema.clone(), from.clone());
                if m.enum_type(&q).is_some() && holds_type_name(&m, schema, to) {
                    free_type_name(m.to_mut(), schema, to);
                }
            }
            Rename::Index { table, from, to } | Rename::Constraint { table, from, to } => {
                let q = current(table);
                let exists = m.table(&q).is_some_and(|t| {
                    t.indexes.contains_key(from)
                        || t.uniques.contains_key(from)
                        || t.primary_key.as_ref().is_some_and(|pk| pk.name == *from)
                });
                // Only index-backed names live in the relation namespace.
                if exists && holds_relation_name(&m, &table.schema, to) {
                    free_relation_name(m.to_mut(), &table.schema, to);
                }
            }
            Rename::Column { table, from, to } => {
                let q = current(table);
                let both = |t: &Table| t.column(from).is_some() && t.column(to).is_some();
                if !m.table(&q).is_some_and(both) {
                    continue;
                }
                let m = m.to_mut();
                if let Some(t) = table_mut(m, &q) {
                    drop_column(t, to);
                }
                if let Some(s) = m.schemas.get_mut(&q.schema) {
                    for seq in s.sequences.values_mut() {
                        if seq
                            .owned_by
                            .as_ref()
                            .is_some_and(|o| o.table == q.name && o.column == *to)
                        {
                            seq.owned_by = None;
                        }
                    }
                }
                for t in m.schemas.values_mut().flat_map(|s| s.tables.values_mut()) {
                    t.foreign_keys
                        .retain(|_, fk| fk.references != q || !fk.referenced_columns.contains(to));
                }
            }
            Rename::Domain { schema, from, to } | Rename::Composite { schema, from, to } => {
                let q = QualifiedName::new(schema.clone(), from.clone());
                let exists = m.domain(&q).is_some() || m.composite_type(&q).is_some();
                if exists && holds_type_name(&m, schema, to) {
                    free_type_name(m.to_mut(), schema, to);
                }
            }
            Rename::Policy { table, from, to } => {
                let q = current(table);
                let both = |t: &Table| t.policies.contains_key(from) && t.policies.contains_key(to);
                if m.table(&q).is_some_and(both)
                    && let Some(t) = table_mut(m.to_mut(), &q)
                {
                    t.policies.remove(to);
                }
            }
            Rename::Sequence { schema, from, to } => {
                let q = QualifiedName::new(schema.clone(), from.clone());
                if m.sequence(&q).is_some() && holds_relation_name(&m, schema, to) {
                    free_relation_name(m.to_mut(), schema, to);
                }
            }
            Rename::Function {
                schema,
                from,
                to,
                types,
                ..
            } => {
                let (old, new) = Rename::function_identities(from, to, types);
                let both = m.schemas.get(schema).is_some_and(|s| {
                    s.functions.contains_key(&old) && s.functions.contains_key(&new)
                });
                if both && let Some(s) = m.to_mut().schemas.get_mut(schema) {
                    s.functions.remove(&new);
                }
            }
            Rename::EnumValue { .. } => {}
        }
    }
    // Views reading what was removed are dropped in this stage too, and created again after.
    if let Cow::Owned(owned) = &mut m {
        super::view::prune_views(model, owned);
    }
    m
}

/// Whether [`free_relation_name`] has something to remove.
fn holds_relation_name(m: &Model, schema: &str, name: &str) -> bool {
    m.schemas.get(schema).is_some_and(|s| {
        s.tables.contains_key(name)
            || s.sequences.contains_key(name)
            || s.tables.values().any(|t| {
                t.indexes.contains_key(name)
                    || t.uniques.contains_key(name)
                    || t.exclusions.contains_key(name)
                    || t.primary_key.as_ref().is_some_and(|pk| pk.name == name)
            })
    })
}

/// Whether [`free_type_name`] has something to remove.
fn holds_type_name(m: &Model, schema: &str, name: &str) -> bool {
    m.holds_type_name(&QualifiedName::new(schema, name))
}

/// Remove whatever holds relation name `name` in `schema`: a table (and foreign keys to
/// it), or an index, unique constraint or primary key of any table.
fn free_relation_name(m: &mut Model, schema: &str, name: &str) {
    let Some(s) = m.schemas.get_mut(schema) else {
        return;
    };
    if s.sequences.remove(name).is_some() {
        return;
    }
    if s.tables.remove(name).is_some() {
        // A sequence it owned is released first rather than dropped with it.
        for seq in s.sequences.values_mut() {
            if seq.owned_by.as_ref().is_some_and(|o| o.table == name) {
                seq.owned_by = None;
            }
        }
        let gone = QualifiedName::new(schema, name);
        for t in m.schemas.values_mut().flat_map(|s| s.tables.values_mut()) {
            t.foreign_keys.retain(|_, fk| fk.references != gone);
        }
        return;
    }
    for t in s.tables.values_mut() {
        t.indexes.remove(name);
        t.uniques.remove(name);
        t.exclusions.remove(name);
        if t.primary_key.as_ref().is_some_and(|pk| pk.name == name) {
            t.primary_key = None;
        }
    }
}

/// Remove whatever holds type name `name` in `schema`: a table (see
/// [`free_relation_name`]), or an enum with the columns that use it.
fn free_type_name(m: &mut Model, schema: &str, name: &str) {
    let q = QualifiedName::new(schema, name);
    if m.table(&q).is_some() {
        free_relation_name(m, schema, name);
        return;
    }
    let Some(s) = m.schemas.get_mut(schema) else {
        return;
    };
    let enum_type = if s.enums.remove(name).is_some() {
        BaseType::Enum(q)
    } else if s.domains.remove(name).is_some() {
        BaseType::Domain(q)
    } else if s.composite_types.remove(name).is_some() {
        BaseType::Composite(q)
    } else {
        return;
    };
    for t in m.schemas.values_mut().flat_map(|s| s.tables.values_mut()) {
        let users: Vec<String> = t
            .columns
            .iter()
            .filter(|c| c.data_type.base == enum_type)
            .map(|c| c.name.clone())
            .collect();
        for c in users {
            drop_column(t, &c);
        }
    }
}

/// Column `name` dropped from `t` with what PostgreSQL drops along (or refuses to drop it
/// without): keys, checks, indexes, foreign keys and policies that use it, and generated
/// columns computed from it.
fn drop_column(t: &mut Table, name: &str) {
    let uses = |e: &Expr| e.referenced_columns().contains(name);
    t.columns
        .retain(|c| c.name != name && !c.generated.as_ref().is_some_and(uses));
    let gone = |c: &String| t.column(c).is_none();
    if t.primary_key
        .as_ref()
        .is_some_and(|pk| pk.columns.iter().any(gone))
    {
        t.primary_key = None;
    }
    let columns = t.columns.clone();
    let gone = |c: &String| !columns.iter().any(|k| k.name == *c);
    t.uniques.retain(|_, u| !u.columns.iter().any(gone));
    t.checks
        .retain(|_, c| !c.expr.referenced_columns().iter().any(gone));
    // PostgreSQL refuses to drop a column a policy uses: the policy goes first.
    t.policies
        .retain(|_, p| !p.referenced_columns().iter().any(gone));
    let keeps = |i: &crate::model::Index| {
        let mut used: Vec<String> = i.include.clone();
        for k in &i.keys {
            used.extend(k.column.clone());
            used.extend(k.expr.iter().flat_map(|e| e.referenced_columns()));
        }
        used.extend(i.predicate.iter().flat_map(|p| p.referenced_columns()));
        !used.iter().any(gone)
    };
    t.indexes.retain(|_, i| keeps(i));
    t.exclusions.retain(|_, x| keeps(&x.index));
    t.foreign_keys.retain(|_, fk| !fk.columns.iter().any(gone));
}

fn table_mut<'a>(model: &'a mut Model, q: &QualifiedName) -> Option<&'a mut Table> {
    model.schemas.get_mut(&q.schema)?.tables.get_mut(&q.name)
}

/// Rename a constraint of any kind (they share one namespace per table). False when there
/// is no constraint `from` or `to` is taken.
pub fn rename_constraint(t: &mut Table, from: &str, to: &str) -> bool {
    if !constraint_renames(t, from, to) {
        return false;
    }
    if let Some(pk) = t.primary_key.as_mut().filter(|p| p.name == from) {
        pk.name = to.to_string();
        return true;
    }
    if let Some(u) = t.uniques.remove(from) {
        t.uniques.insert(to.to_string(), u);
        return true;
    }
    if let Some(c) = t.checks.remove(from) {
        t.checks.insert(to.to_string(), c);
        return true;
    }
    if let Some(f) = t.foreign_keys.remove(from) {
        t.foreign_keys.insert(to.to_string(), f);
        return true;
    }
    false
}

/// Whether [`rename_constraint`] renames something: `from` exists and `to` is free.
fn constraint_renames(t: &Table, from: &str, to: &str) -> bool {
    let has = |n: &str| {
        t.primary_key.as_ref().is_some_and(|p| p.name == n)
            || t.uniques.contains_key(n)
            || t.checks.contains_key(n)
            || t.foreign_keys.contains_key(n)
    };
    from != to && !has(to) && has(from)
}

fn rename_in(list: &mut [String], from: &str, to: &str) {
    for c in list {
        if c == from {
            *c = to.to_string();
        }
    }
}

/// A column renamed inside its table: the column, key lists and expressions that use it.
fn rename_column(t: &mut Table, from: &str, to: &str) {
    for c in &mut t.columns {
        if c.name == from {
            c.name = to.to_string();
        }
        if let Some(g) = &mut c.generated {
            *g = g.rename_column(from, to);
        }
    }
    if let Some(pk) = &mut t.primary_key {
        rename_in(&mut pk.columns, from, to);
    }
    for u in t.uniques.values_mut() {
        rename_in(&mut u.columns, from, to);
    }
    for c in t.checks.values_mut() {
        c.expr = c.expr.rename_column(from, to);
    }
    for p in t.policies.values_mut() {
        for e in p.using.iter_mut().chain(p.with_check.iter_mut()) {
            *e = e.rename_column(from, to);
        }
    }
    for i in t
        .indexes
        .values_mut()
        .chain(t.exclusions.values_mut().map(|x| &mut x.index))
    {
        for k in &mut i.keys {
            if k.column.as_deref() == Some(from) {
                k.column = Some(to.to_string());
            }
            if let Some(e) = &mut k.expr {
                *e = e.rename_column(from, to);
            }
        }
        rename_in(&mut i.include, from, to);
        if let Some(p) = &mut i.predicate {
            *p = p.rename_column(from, to);
        }
    }
    for fk in t.foreign_keys.values_mut() {
        rename_in(&mut fk.columns, from, to);
    }
    if let Some(p) = &mut t.partition_by {
        for k in &mut p.keys {
            if k.column.as_deref() == Some(from) {
                k.column = Some(to.to_string());
            }
            if let Some(e) = &mut k.expr {
                *e = e.rename_column(from, to);
            }
        }
    }
    // The rewritten expressions were parsed again, without the column types.
    t.type_literals();
}
