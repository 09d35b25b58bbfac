//! Random changes of a generated project, for the evolution property test
//! (`tests/evolution_prop.rs`).
//!
//! [`evolution`] turns a seed into a first version (exactly `gen::schema(seed)`) and a second
//! version made from it by one to six random changes of any kind: objects added, dropped and
//! changed in place. This module is a child of `gen` and works on its project description
//! (`Project`), so the second version stays valid by construction: what depends on a dropped
//! object goes with it (foreign keys pointing at a dropped column or key, checks and indexes
//! naming a dropped column, columns of a dropped enum, …), types of foreign key columns stay
//! equal to their targets, names stay unique.
//!
//! Each kind of change is one function `fn(&mut Gen) -> Option<String>` with a row in
//! [`KINDS`]: it picks its target with the generator's `Rng`, changes the description, and
//! returns a one-line description of what it did, or `None` when the project has nothing it
//! applies to (another kind is then tried). To add a kind, write the function and add a row.
//!
//! Second versions that schemactl plans wrongly today are described by predicates in
//! [`KNOWN_BUGS`] (each a `KNOWN BUG:` comment with the failure): a change that makes the
//! project match one, in either direction (the down file plans the way back), is undone and
//! another change drawn. Remove the entry when its bug is fixed.
//!
//! Every change slot draws from its own `Rng` (seeded by the seed and the slot number), so a
//! subset of a seed's slots can be replayed on their own ([`evolution`]'s `only`) to shrink a
//! failure to the change that causes it.
//!
//! Not generated yet (planned by schemactl, covered by `tests/evolution.rs`, but without a
//! mutation here): `renamed_from`, `renamed_values`, removing or reordering enum values,
//! changing or adding/removing a `generated_sql`, changing a serial column. They still occur
//! when a dropped enum or column is re-created under its old name with other values or
//! attributes.

use super::*;

/// A kind of change: its name (for `SCHEMACTL_EVOLUTION_KINDS` and reports), its relative
/// weight, and the function that makes it.
pub struct Kind {
    pub name: &'static str,
    pub weight: usize,
    run: fn(&mut Gen) -> Option<String>,
}

const fn kind(name: &'static str, weight: usize, run: fn(&mut Gen) -> Option<String>) -> Kind {
    Kind { name, weight, run }
}

/// Every kind of change. Adding one: a function below and a row here.
pub const KINDS: &[Kind] = &[
    kind("add-table", 3, add_table),
    kind("drop-table", 2, drop_table),
    kind("add-column", 4, add_column),
    kind("drop-column", 4, drop_column),
    kind("change-type", 8, change_type),
    kind("change-key-type", 2, change_key_type),
    kind("nullability", 4, toggle_nullable),
    kind("default", 4, change_default),
    kind("identity", 3, change_identity),
    kind("collation", 2, toggle_collation),
    kind("comment", 3, change_comment),
    kind("part-comment", 3, change_part_comment),
    kind("add-primary-key", 2, add_primary_key),
    kind("drop-primary-key", 2, drop_primary_key),
    kind("change-primary-key", 2, change_primary_key),
    kind("primary-key-name", 2, change_primary_key_name),
    kind("add-unique", 2, add_unique),
    kind("drop-unique", 2, drop_unique),
    kind("replace-unique", 2, replace_unique),
    kind("add-check", 2, add_check),
    kind("row-security", 3, change_row_security),
    kind("drop-check", 2, drop_check),
    kind("replace-check", 2, replace_check),
    kind("add-index", 2, add_index),
    kind("drop-index", 2, drop_index),
    kind("replace-index", 4, replace_index),
    kind("add-foreign-key", 2, add_fk),
    kind("drop-foreign-key", 2, drop_fk),
    kind("replace-foreign-key", 4, replace_fk),
    kind("validated", 2, toggle_validated),
    kind("operator-class", 2, toggle_pattern_ops),
    kind("add-enum-value", 3, add_enum_value),
    kind("add-enum", 1, add_enum),
    kind("drop-enum", 1, drop_enum),
    kind("add-schema", 1, add_schema),
    kind("drop-schema", 1, drop_schema),
    kind("rename-table", 2, rename_table),
    kind("rename-column", 3, rename_column),
    kind("rename-enum", 1, rename_enum),
    kind("rename-enum-value", 2, rename_enum_value),
    kind("remove-enum-value", 2, remove_enum_value),
    kind("reorder-enum-values", 2, reorder_enum_values),
    kind("change-generated", 2, change_generated),
    kind("serial", 2, change_serial),
    kind("widen-referenced-key", 2, widen_referenced_key),
    kind("add-sequence", 2, add_sequence),
    kind("drop-sequence", 2, drop_sequence),
    kind("change-sequence", 3, change_sequence),
    kind("sequence-owner", 2, change_sequence_owner),
    kind("rename-sequence", 1, rename_sequence),
    kind("sequence-comment", 1, change_sequence_comment),
    kind("add-partition", 2, add_partition),
    kind("drop-partition", 1, drop_partition),
    kind("rebound-partition", 2, rebound_partition),
    kind("switch-partitioning", 1, switch_partitioning),
    kind("add-partitioned-table", 1, add_partitioned_table),
    kind("drop-partitioned-table", 1, drop_partitioned_table),
    kind("add-domain", 1, add_domain),
    kind("drop-domain", 1, drop_domain),
    kind("rename-domain", 1, rename_domain),
    kind("domain-default", 1, change_domain_default),
    kind("domain-not-null", 1, toggle_domain_not_null),
    kind("domain-check", 2, change_domain_check),
    kind("domain-base", 1, change_domain_base),
    kind("move-to-or-from-domain", 2, move_domain_column),
    kind("add-composite", 1, add_composite),
    kind("drop-composite", 1, drop_composite),
    kind("rename-composite", 1, rename_composite),
    kind("composite-attribute", 2, change_composite_attribute),
    kind("add-view", 2, add_view),
    kind("drop-view", 1, drop_view),
    kind("change-view", 3, change_view),
    kind("add-function", 2, add_function),
    kind("drop-function", 1, drop_function),
    kind("change-function", 3, change_function),
];

// ---------------------------------------------------------------------------------------------
// Partitions
// ---------------------------------------------------------------------------------------------

fn partitioned(g: &Gen) -> Vec<usize> {
    (0..g.p.parts.len())
        .filter(|i| !g.p.parts[*i].plain)
        .collect()
}

fn add_partition(g: &mut Gen) -> Option<String> {
    let cand = partitioned(g);
    if cand.is_empty() {
        return None;
    }
    let i = *g.rng.pick(&cand);
    let group = &mut g.p.parts[i];
    if !add_part(&mut g.rng, group) {
        return None;
    }
    let p = group.parts.last()?;
    Some(format!("partition {}", group.part_name(p)))
}

fn drop_partition(g: &mut Gen) -> Option<String> {
    let cand: Vec<usize> = partitioned(g)
        .into_iter()
        .filter(|i| !g.p.parts[*i].parts.is_empty())
        .collect();
    if cand.is_empty() {
        return None;
    }
    let i = *g.rng.pick(&cand);
    let n = g.rng.below(g.p.parts[i].parts.len());
    let group = &mut g.p.parts[i];
    let p = group.parts.remove(n);
    Some(format!("partition {}", group.part_name(&p)))
}

/// Other bounds for a partition: detached and attached again.
fn rebound_partition(g: &mut Gen) -> Option<String> {
    let cand: Vec<usize> = partitioned(g)
        .into_iter()
        .filter(|i| {
            let grp = &g.p.parts[*i];
            grp.parts.iter().any(|p| p.slot.is_some()) && !grp.free_slots().is_empty()
        })
        .collect();
    if cand.is_empty() {
        return None;
    }
    let i = *g.rng.pick(&cand);
    let free = g.p.parts[i].free_slots();
    let slot = *g.rng.pick(&free);
    let group = &mut g.p.parts[i];
    let with_slot: Vec<usize> = (0..group.parts.len())
        .filter(|n| group.parts[*n].slot.is_some())
        .collect();
    let n = *g.rng.pick(&with_slot);
    let old = group.part_name(&group.parts[n]);
    group.parts[n].slot = Some(slot);
    Some(format!("partition {old} to slot {slot}"))
}

fn switch_partitioning(g: &mut Gen) -> Option<String> {
    if g.p.parts.is_empty() {
        return None;
    }
    let i = g.rng.below(g.p.parts.len());
    let group = &mut g.p.parts[i];
    group.plain = !group.plain;
    if group.strategy == PStrategy::ListExpr {
        group.pk = false;
    }
    Some(format!(
        "{} {}",
        group.name,
        if group.plain { "plain" } else { "partitioned" }
    ))
}

fn add_partitioned_table(g: &mut Gen) -> Option<String> {
    let group = part_group(&mut g.rng, &g.p.parts);
    let name = group.name.clone();
    g.p.parts.push(group);
    Some(name)
}

fn drop_partitioned_table(g: &mut Gen) -> Option<String> {
    if g.p.parts.is_empty() {
        return None;
    }
    let i = g.rng.below(g.p.parts.len());
    Some(g.p.parts.remove(i).name)
}

/// Two versions of one project.
pub struct Evolution {
    pub v1: Vec<(String, String)>,
    pub v2: Vec<(String, String)>,
    /// What changed, in order: `#slot kind: description`.
    pub changes: Vec<String>,
    /// Number of change slots of this seed (`only` picks among `0..slots`).
    pub slots: usize,
    /// Changes drawn and undone because they ran into one of the [`KNOWN_BUGS`] (by name).
    pub avoided: Vec<&'static str>,
}

/// What to generate.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Replay just these change slots (for shrinking a failure).
    pub only: Option<Vec<usize>>,
    /// Draw only from the kinds with these names.
    pub kinds: Option<Vec<String>>,
    /// Entries of [`KNOWN_BUGS`] (by name, or `all`) not to avoid: to see a bug happen, or
    /// to check a fix before removing its entry.
    pub allow_bugs: Vec<String>,
}

/// The evolution of `seed`: `v1` is `gen::schema(seed)`, `v2` that project after one to six
/// random changes.
pub fn evolution(seed: u64, opts: &Options) -> Evolution {
    let only = opts.only.as_deref();
    let kinds = opts.kinds.as_deref();
    let avoid = |name: &str| !opts.allow_bugs.iter().any(|b| b == name || b == "all");
    let mut g = first_version(seed);
    let v1 = render(&g.p);
    let first = g.p.clone();
    g.evolving = true;
    g.first = Some(Box::new(first.clone()));
    let slots = 1 + Rng::new(hash(&[&seed.to_string(), "slots"])).below(6);
    let pool: Vec<&Kind> = KINDS
        .iter()
        .filter(|k| kinds.is_none_or(|names| names.iter().any(|n| n == k.name)))
        .collect();
    let total: usize = pool.iter().map(|k| k.weight).sum();
    let mut changes = Vec::new();
    let mut avoided = Vec::new();
    for slot in 0..slots {
        if only.is_some_and(|o| !o.contains(&slot)) || total == 0 {
            continue;
        }
        g.rng = Rng::new(hash(&[&seed.to_string(), "slot", &slot.to_string()]));
        for _ in 0..30 {
            let mut r = g.rng.below(total);
            let kind = pool
                .iter()
                .find(|k| {
                    if r < k.weight {
                        true
                    } else {
                        r -= k.weight;
                        false
                    }
                })
                .expect("weights add up");
            let before = (g.p.clone(), g.names.clone(), g.counter);
            let Some(what) = (kind.run)(&mut g) else {
                continue;
            };
            // Known bugs both ways: the down file plans the second version back to the first.
            let hit = KNOWN_BUGS
                .iter()
                .filter(|(name, _)| avoid(name))
                .chain(UNSUPPORTED)
                .find(|(_, hit)| hit(&first, &g.p) || hit(&g.p, &first));
            if let Some((bug, _)) = hit {
                (g.p, g.names, g.counter) = before;
                avoided.push(*bug);
                continue;
            }
            changes.push(format!("#{slot} {}: {what}", kind.name));
            break;
        }
    }
    Evolution {
        v1,
        v2: render(&g.p),
        changes,
        slots,
        avoided,
    }
}

// ---------------------------------------------------------------------------------------------
// Known bugs
// ---------------------------------------------------------------------------------------------

/// Names of the [`KNOWN_BUGS`] entries.
pub fn known_bugs() -> Vec<&'static str> {
    KNOWN_BUGS.iter().map(|(name, _)| *name).collect()
}

/// Whether taking the project from the first to the second version runs into a bug.
type Hits = fn(&Project, &Project) -> bool;

/// Second versions schemactl plans wrongly today, as predicates on (from, to) checked both
/// ways (up and down file). A change that makes the project match one is undone and another
/// change drawn. Each entry is a `KNOWN BUG:` with the failure it avoids; remove it when the
/// bug is fixed.
const KNOWN_BUGS: &[(&str, Hits)] = &[];

/// Second versions schemactl refuses to plan on purpose (a `Change::Unsupported` with the
/// reason), because PostgreSQL cannot make the change in place; avoided like known bugs.
const UNSUPPORTED: &[(&str, Hits)] = &[
    // PostgreSQL refuses to add a check or NOT NULL to a domain that a column holds inside
    // an array or composite type ("cannot alter type … because column … uses it").
    ("constrain-contained-domain", constrains_contained_domain),
    // A domain's base type or collation cannot change while columns or types use it.
    ("retype-used-domain", retypes_used_domain),
    // A schema removed from the project stays in the database with its tables: a type its
    // columns use cannot be dropped (not a schemactl limitation: a generator artifact).
    (
        "type-kept-by-unmanaged-schema",
        type_kept_by_unmanaged_schema,
    ),
];

fn type_kept_by_unmanaged_schema(a: &Project, b: &Project) -> bool {
    let exists = |p: &Project, n: &str| {
        p.types
            .domains
            .iter()
            .any(|d| d.name == n || d.renamed_from.as_deref() == Some(n))
            || p.types
                .composites
                .iter()
                .any(|c| c.name == n || c.renamed_from.as_deref() == Some(n))
    };
    a.types.columns.iter().any(|c| {
        let live = a
            .tables
            .iter()
            .any(|t| t.schema == c.table.0 && t.name == c.table.1);
        let unmanaged = !b.schemas.contains(&c.table.0);
        live && unmanaged
            && match &c.ty {
                TypeRef::Named { name, .. } => !exists(b, name),
                TypeRef::Builtin(_) => false,
            }
    })
}

/// Whether `a` and `b` (of two versions) are the same domain, maybe renamed either way.
fn same_domain(a: &Dom, b: &Dom) -> bool {
    a.name == b.name
        || b.renamed_from.as_deref() == Some(a.name.as_str())
        || a.renamed_from.as_deref() == Some(b.name.as_str())
}

fn retypes_used_domain(a: &Project, b: &Project) -> bool {
    b.types.domains.iter().any(|d| {
        a.types
            .domains
            .iter()
            .find(|o| same_domain(o, d))
            .is_some_and(|o| {
                (o.base != d.base || o.collation != d.collation)
                    && (a.types.used(&o.name) || b.types.used(&d.name))
            })
    })
}

/// Whether going from `a` to `b` adds a check or NOT NULL to a domain that `b` has inside
/// an array or composite column.
fn constrains_contained_domain(a: &Project, b: &Project) -> bool {
    let live = |c: &TypedCol| {
        b.tables
            .iter()
            .any(|t| t.schema == c.table.0 && t.name == c.table.1)
    };
    b.types.domains.iter().any(|d| {
        let before = a.types.domains.iter().find(|o| same_domain(o, d));
        let adds = match before {
            None => false,
            Some(o) => {
                (d.not_null && !o.not_null)
                    || d.base != o.base
                    || d.checks.iter().any(|c| {
                        let count =
                            |l: &[(Option<String>, String)]| l.iter().filter(|x| *x == c).count();
                        count(&d.checks) > count(&o.checks)
                    })
            }
        };
        let contained = b
            .types
            .columns
            .iter()
            .filter(|c| live(c))
            .any(|c| match &c.ty {
                TypeRef::Named { name, array, .. } => {
                    (name == &d.name && *array)
                        || b.types.composites.iter().any(|ct| {
                            ct.name == *name && ct.attrs.iter().any(|x| x.1.names(&d.name))
                        })
                }
                TypeRef::Builtin(_) => false,
            });
        adds && contained
    })
}

// ---------------------------------------------------------------------------------------------
// Looking things up
// ---------------------------------------------------------------------------------------------

fn tname(g: &Gen, t: usize) -> String {
    let table = &g.p.tables[t];
    format!("{}.{}", table.schema, table.name)
}

fn key_of(g: &Gen, t: usize) -> (String, String) {
    let table = &g.p.tables[t];
    (table.schema.clone(), table.name.clone())
}

fn table_index(g: &Gen, key: &(String, String)) -> Option<usize> {
    g.p.tables
        .iter()
        .position(|t| t.schema == key.0 && t.name == key.1)
}

/// Whether SQL text the generator wrote may name column `name` (written as `qi(name)`).
/// Over-approximates (a string literal may match), which only drops a little more.
fn mentions(sql: &str, name: &str) -> bool {
    let q = qi(name);
    if q.starts_with('"') {
        return sql.contains(&q);
    }
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80;
    let bytes = sql.as_bytes();
    let mut from = 0;
    while let Some(i) = sql[from..].find(&q) {
        let (a, b) = (from + i, from + i + q.len());
        if (a == 0 || !ident(bytes[a - 1])) && (b == bytes.len() || !ident(bytes[b])) {
            return true;
        }
        from = a + 1;
    }
    false
}

/// Named by a policy's expressions.
fn policy_mentions(table: &Table, col: &str) -> bool {
    table.policies.iter().any(|p| {
        p.using
            .iter()
            .chain(&p.with_check)
            .any(|e| mentions(e, col))
    })
}

fn index_mentions(ix: &Index, col: &str) -> bool {
    ix.keys.iter().any(|k| match k {
        Key::Col(c, ..) => c == col,
        Key::Expr(e, _) => mentions(e, col),
    }) || ix.include.iter().any(|c| c == col)
        || ix.predicate.as_deref().is_some_and(|p| mentions(p, col))
}

/// Named by a check, an index (key, include, predicate), a unique constraint or the primary
/// key of its table.
fn used_in_table(table: &Table, col: &str) -> bool {
    table.checks.iter().any(|c| mentions(&c.expr, col))
        || policy_mentions(table, col)
        || table.indexes.iter().any(|ix| index_mentions(ix, col))
        || table
            .uniques
            .iter()
            .any(|u| u.cols.iter().any(|c| c == col))
        || in_pk(table, col)
}

fn in_pk(table: &Table, col: &str) -> bool {
    table
        .pk
        .as_ref()
        .is_some_and(|pk| pk.iter().any(|c| c == col))
        || table.columns.iter().any(|c| c.name == col && c.primary_key)
}

/// Another column's generated expression uses it.
fn used_by_generated(table: &Table, col: &str) -> bool {
    table
        .columns
        .iter()
        .any(|c| c.name != col && matches!(&c.special, Special::Generated(e) if mentions(e, col)))
}

fn in_spgist_index(table: &Table, col: &str) -> bool {
    table
        .indexes
        .iter()
        .any(|ix| ix.method == Some("spgist") && index_mentions(ix, col))
}

/// Foreign key links between columns: `((table, column), (target table, target column))`.
fn links(g: &Gen) -> Vec<((usize, String), (usize, String))> {
    let mut out = Vec::new();
    for (t, table) in g.p.tables.iter().enumerate() {
        for fk in &table.fks {
            let Some(to) = table_index(g, &fk.to) else {
                continue;
            };
            for (c, tc) in fk.cols.iter().zip(&fk.to_cols) {
                out.push(((t, c.clone()), (to, tc.clone())));
            }
        }
        for c in &table.columns {
            if let Some(r) = &c.references
                && let Some(to) = table_index(g, &r.to)
            {
                out.push(((t, c.name.clone()), (to, r.to_cols[0].clone())));
            }
        }
    }
    out
}

/// The column is on either end of a foreign key.
fn in_fk(g: &Gen, t: usize, col: &str) -> bool {
    links(g)
        .iter()
        .any(|(a, b)| (a.0 == t && a.1 == col) || (b.0 == t && b.1 == col))
}

/// Every `(table, column)` pair of the project for which `keep` holds.
fn columns_where(g: &Gen, keep: impl Fn(&Gen, usize, &Col) -> bool) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (t, table) in g.p.tables.iter().enumerate() {
        for c in &table.columns {
            if keep(g, t, c) {
                out.push((t, c.name.clone()));
            }
        }
    }
    out
}

fn col_mut<'a>(g: &'a mut Gen, t: usize, col: &str) -> &'a mut Col {
    g.p.tables[t]
        .columns
        .iter_mut()
        .find(|c| c.name == col)
        .expect("column exists")
}

fn pick_table(g: &mut Gen) -> Option<usize> {
    if g.p.tables.is_empty() {
        None
    } else {
        Some(g.rng.below(g.p.tables.len()))
    }
}

fn sorted(cols: &[String]) -> Vec<String> {
    let mut v = cols.to_vec();
    v.sort();
    v
}

// ---------------------------------------------------------------------------------------------
// Removing things together with what depends on them
// ---------------------------------------------------------------------------------------------

/// Remove every foreign key (table form or inline) whose target satisfies `hit`.
fn unlink(g: &mut Gen, hit: impl Fn(&(String, String), &[String]) -> bool) {
    for table in &mut g.p.tables {
        table.fks.retain(|f| !hit(&f.to, &f.to_cols));
        for c in &mut table.columns {
            if c.references
                .as_ref()
                .is_some_and(|r| hit(&r.to, &r.to_cols))
            {
                c.references = None;
            }
        }
    }
}

/// Foreign keys pointing at key `cols` of table `t` go (the key is dropped or changed).
fn unlink_key(g: &mut Gen, t: usize, cols: &[String]) {
    let key = key_of(g, t);
    let set = sorted(cols);
    unlink(g, |to, to_cols| *to == key && sorted(to_cols) == set);
}

/// Drop a column with everything that names it: generated columns computed from it, the
/// primary key and unique constraints it is part of, checks and indexes naming it, foreign
/// keys from it and foreign keys pointing at it.
fn remove_column(g: &mut Gen, t: usize, col: &str) {
    let dependants: Vec<String> = g.p.tables[t]
        .columns
        .iter()
        .filter(|c| {
            c.name != col && matches!(&c.special, Special::Generated(e) if mentions(e, col))
        })
        .map(|c| c.name.clone())
        .collect();
    for d in dependants {
        if g.p.tables[t].columns.iter().any(|c| c.name == d) {
            remove_column(g, t, &d);
        }
    }
    let key = key_of(g, t);
    unlink(g, |to, to_cols| {
        *to == key && to_cols.iter().any(|c| c == col)
    });
    let table = &mut g.p.tables[t];
    if table
        .pk
        .as_ref()
        .is_some_and(|pk| pk.iter().any(|c| c == col))
    {
        table.pk = None;
    }
    table.columns.retain(|c| c.name != col);
    table.uniques.retain(|u| !u.cols.iter().any(|c| c == col));
    table.checks.retain(|c| !mentions(&c.expr, col));
    table.policies.retain(|p| {
        !p.using
            .iter()
            .chain(&p.with_check)
            .any(|e| mentions(e, col))
    });
    table.indexes.retain(|ix| !index_mentions(ix, col));
    table.fks.retain(|f| !f.cols.iter().any(|c| c == col));
}

fn remove_table(g: &mut Gen, t: usize) {
    let key = key_of(g, t);
    g.p.tables.remove(t);
    unlink(g, |to, _| *to == key);
}

fn remove_enum(g: &mut Gen, e: usize) {
    for t in 0..g.p.tables.len() {
        let users: Vec<String> = g.p.tables[t]
            .columns
            .iter()
            .filter(|c| c.ty.base == Base::Enum(e))
            .map(|c| c.name.clone())
            .collect();
        for c in users {
            if g.p.tables[t].columns.iter().any(|x| x.name == c) {
                remove_column(g, t, &c);
            }
        }
    }
    g.p.enums.remove(e);
    for table in &mut g.p.tables {
        for c in &mut table.columns {
            if let Base::Enum(i) = &mut c.ty.base
                && *i > e
            {
                *i -= 1;
            }
        }
    }
}

/// Drop the primary key of table `t` (either form), and the foreign keys pointing at it.
fn remove_pk(g: &mut Gen, t: usize) -> Option<Vec<String>> {
    let table = &mut g.p.tables[t];
    let cols = match table.pk.take() {
        Some(cols) => cols,
        None => {
            let c = table.columns.iter_mut().find(|c| c.primary_key)?;
            c.primary_key = false;
            vec![c.name.clone()]
        }
    };
    unlink_key(g, t, &cols);
    Some(cols)
}

// ---------------------------------------------------------------------------------------------
// Tables and columns
// ---------------------------------------------------------------------------------------------

fn add_table(g: &mut Gen) -> Option<String> {
    g.add_table();
    let t = g.p.tables.len() - 1;
    if g.rng.chance(50) {
        g.add_fk(t);
    }
    if g.rng.chance(30) {
        // An existing table points at the new one (or the new one at itself).
        let from = g.rng.below(g.p.tables.len());
        g.add_fk(from);
    }
    Some(format!("add table {}", tname(g, t)))
}

fn drop_table(g: &mut Gen) -> Option<String> {
    let t = pick_table(g)?;
    let name = tname(g, t);
    remove_table(g, t);
    Some(format!("drop table {name}"))
}

fn add_column(g: &mut Gen) -> Option<String> {
    let t = pick_table(g)?;
    let c = g.column(t);
    let what = format!("add column {}.{} {:?}", tname(g, t), c.name, c.ty);
    g.p.tables[t].columns.push(c);
    Some(what)
}

fn drop_column(g: &mut Gen) -> Option<String> {
    let cols = columns_where(g, |_, _, _| true);
    if cols.is_empty() {
        return None;
    }
    let (t, c) = g.rng.pick(&cols).clone();
    let what = format!("drop column {}.{c}", tname(g, t));
    remove_column(g, t, &c);
    Some(what)
}

/// What a new type for a column must respect.
#[derive(Clone, Copy)]
struct Limits {
    /// Identity column: integers only.
    int_only: bool,
    /// In an spgist index (no operator class for `char(n)`).
    no_char: bool,
    /// Named by a check or index (json has no btree/gin operator class, the checks are
    /// jsonb's).
    no_json: bool,
    /// May become an enum: the text checks and index expressions the generator writes
    /// would not apply to one, so only when nothing names the column.
    to_enum: bool,
}

fn random_numeric(g: &mut Gen) -> Base {
    let p = g.rng.range(1, 20);
    let s = match g.rng.below(10) {
        0 => -g.rng.range(1, 3),
        1 => p + g.rng.range(0, 2),
        _ => g.rng.range(0, p),
    };
    Base::Numeric(Some((p, s)))
}

fn random_int(g: &mut Gen) -> Base {
    Base::Int(*g.rng.pick(&[Int::I2, Int::I4, Int::I8]))
}

/// A different type of the same family as `ty` (numbers, text, times, json, network), whose
/// checks, index expressions and operator classes the generator's objects still accept.
/// Widening and lossy changes alike.
fn new_type(g: &mut Gen, ty: &Ty, limits: Limits) -> Option<Ty> {
    for _ in 0..10 {
        let r = g.rng.below(6);
        let base = match &ty.base {
            Base::Int(_) if limits.int_only => random_int(g),
            Base::Int(_) => match r {
                0..=2 => random_int(g),
                3 => random_numeric(g),
                4 => Base::Numeric(None),
                _ => g.rng.pick(&[Base::Real, Base::Double]).clone(),
            },
            Base::Numeric(Some((p, s))) => {
                let k = g.rng.range(1, 5);
                match r {
                    // Wider: more integer digits, or more fraction digits.
                    0 => Base::Numeric(Some((p + k, *s))),
                    1 => Base::Numeric(Some((p + k, s + k))),
                    // Narrower.
                    2 => Base::Numeric(Some(((p - k).max(1), *s))),
                    3 => Base::Numeric(None),
                    4 => random_numeric(g),
                    _ => random_int(g),
                }
            }
            Base::Numeric(None) => match r {
                0..=3 => random_numeric(g),
                4 => Base::Double,
                _ => random_int(g),
            },
            Base::Text | Base::Varchar(_) | Base::Char(_) => match r {
                0 => Base::Text,
                1 => Base::Varchar(None),
                2 | 3 => Base::Varchar(Some(g.rng.range(1, 100))),
                4 if !limits.no_char => Base::Char(g.rng.range(1, 5)),
                5 if limits.to_enum && !g.p.enums.is_empty() => {
                    Base::Enum(g.rng.below(g.p.enums.len()))
                }
                _ => Base::Varchar(Some(g.rng.range(1, 100))),
            },
            Base::Enum(_) => match r {
                0 | 1 => Base::Text,
                2 => Base::Varchar(None),
                _ => Base::Varchar(Some(g.rng.range(1, 30))),
            },
            Base::Real => match r {
                0 => Base::Numeric(None),
                _ => Base::Double,
            },
            Base::Double => match r {
                0 => Base::Numeric(None),
                _ => Base::Real,
            },
            Base::Date => Base::Timestamp(
                g.rng.chance(50).then(|| g.rng.range(0, 6)),
                g.rng.chance(50),
            ),
            Base::Time(..) => Base::Time(
                g.rng.chance(50).then(|| g.rng.range(0, 6)),
                g.rng.chance(30),
            ),
            Base::Timestamp(..) => match r {
                0 => Base::Date,
                _ => Base::Timestamp(
                    g.rng.chance(50).then(|| g.rng.range(0, 6)),
                    g.rng.chance(50),
                ),
            },
            Base::Json => Base::Jsonb,
            Base::Jsonb if !limits.no_json => Base::Json,
            Base::Inet => Base::Cidr,
            Base::Cidr => Base::Inet,
            _ => return None,
        };
        // Arrays only of the element types the generator makes arrays of.
        let array_ok = matches!(
            base,
            Base::Int(_)
                | Base::Text
                | Base::Varchar(_)
                | Base::Enum(_)
                | Base::Numeric(Some(_))
                | Base::Date
        );
        if base != ty.base && (!ty.array || array_ok) {
            return Some(Ty {
                base,
                array: ty.array,
            });
        }
    }
    None
}

/// Give column `col` of table `t` type `ty`: a default is re-drawn for the new type (of the
/// same kind, literal or SQL), a collation kept only on text.
fn retype(g: &mut Gen, t: usize, col: &str, ty: &Ty) {
    let (literal, sql) = match &g.p.tables[t].col(col).default {
        None => (false, false),
        Some(Default::Literal(_)) => (true, false),
        Some(Default::Sql(_)) => (false, true),
    };
    let default = if literal {
        g.literal_default(ty).map(Default::Literal)
    } else if sql {
        g.sql_default(ty).map(Default::Sql)
    } else {
        None
    };
    let c = col_mut(g, t, col);
    c.ty = ty.clone();
    c.default = default;
    if !ty.is_text() {
        c.collation = false;
    }
}

fn limits_for(g: &Gen, t: usize, c: &Col) -> Limits {
    let table = &g.p.tables[t];
    Limits {
        int_only: matches!(c.special, Special::Identity(_)),
        no_char: in_spgist_index(table, &c.name),
        no_json: used_in_table(table, &c.name),
        to_enum: !used_in_table(table, &c.name),
    }
}

/// Any column but serial and generated ones, those a generated column is computed from
/// (PostgreSQL refuses), and foreign key columns (their types must stay equal to the
/// target's: see `change_key_type`).
fn change_type(g: &mut Gen) -> Option<String> {
    let cols = columns_where(g, |g, t, c| {
        matches!(c.special, Special::None | Special::Identity(_))
            && !used_by_generated(&g.p.tables[t], &c.name)
            && !in_fk(g, t, &c.name)
    });
    if cols.is_empty() {
        return None;
    }
    let (t, col) = g.rng.pick(&cols).clone();
    let old = g.p.tables[t].col(&col).clone();
    let limits = limits_for(g, t, &old);
    let ty = new_type(g, &old.ty, limits)?;
    retype(g, t, &col, &ty);
    Some(format!(
        "column {}.{col} from {:?} to {:?}",
        tname(g, t),
        old.ty,
        ty
    ))
}

/// A key column and every column linked to it by foreign keys (transitively) change type
/// together.
fn change_key_type(g: &mut Gen) -> Option<String> {
    let links = links(g);
    if links.is_empty() {
        return None;
    }
    let start = g.rng.pick(&links).1.clone();
    let mut group = vec![start];
    let mut i = 0;
    while i < group.len() {
        for (a, b) in &links {
            for (x, y) in [(a, b), (b, a)] {
                if *x == group[i] && !group.contains(y) {
                    group.push(y.clone());
                }
            }
        }
        i += 1;
    }
    let mut limits = Limits {
        int_only: false,
        no_char: false,
        no_json: false,
        to_enum: false,
    };
    for (t, c) in &group {
        let table = &g.p.tables[*t];
        let col = table.col(c);
        if !matches!(col.special, Special::None | Special::Identity(_))
            || used_by_generated(table, c)
        {
            return None;
        }
        let l = limits_for(g, *t, col);
        limits.int_only |= l.int_only;
        limits.no_char |= l.no_char;
        limits.no_json |= l.no_json;
    }
    let (t0, c0) = &group[0];
    let old = g.p.tables[*t0].col(c0).ty.clone();
    let ty = new_type(g, &old, limits)?;
    let mut names = Vec::new();
    for (t, c) in &group {
        retype(g, *t, c, &ty);
        names.push(format!("{}.{c}", tname(g, *t)));
    }
    Some(format!(
        "key columns {} from {old:?} to {ty:?}",
        names.join(", ")
    ))
}

/// Not primary key columns (always NOT NULL), identity columns (NOT NULL by definition) and
/// serial columns.
fn toggle_nullable(g: &mut Gen) -> Option<String> {
    let cols = columns_where(g, |g, t, c| {
        matches!(c.special, Special::None | Special::Generated(_))
            && !in_pk(&g.p.tables[t], &c.name)
    });
    if cols.is_empty() {
        return None;
    }
    let (t, col) = g.rng.pick(&cols).clone();
    let c = col_mut(g, t, &col);
    c.nullable = !c.nullable;
    let now = c.nullable;
    Some(format!("column {}.{col} nullable = {now}", tname(g, t)))
}

/// Set, change or drop the default of a plain column (literal or SQL).
fn change_default(g: &mut Gen) -> Option<String> {
    let cols = columns_where(g, |_, _, c| matches!(c.special, Special::None));
    if cols.is_empty() {
        return None;
    }
    let (t, col) = g.rng.pick(&cols).clone();
    let c = g.p.tables[t].col(&col).clone();
    let shown = |d: &Option<Default>| format!("{d:?}");
    for _ in 0..10 {
        let new = match g.rng.below(3) {
            0 => None,
            1 => g.literal_default(&c.ty).map(Default::Literal),
            _ => g.sql_default(&c.ty).map(Default::Sql),
        };
        if shown(&new) != shown(&c.default) {
            let what = format!(
                "column {}.{col} default {} → {}",
                tname(g, t),
                shown(&c.default),
                shown(&new)
            );
            col_mut(g, t, &col).default = new;
            return Some(what);
        }
    }
    None
}

/// Add identity to an integer column (dropping its default, making it NOT NULL), drop it, or
/// switch ALWAYS ↔ BY DEFAULT.
fn change_identity(g: &mut Gen) -> Option<String> {
    let cols = columns_where(g, |_, _, c| {
        c.ty.is_intlike() && matches!(c.special, Special::None | Special::Identity(_))
    });
    if cols.is_empty() {
        return None;
    }
    let (t, col) = g.rng.pick(&cols).clone();
    let name = tname(g, t);
    let kind = g.rng.word(&["always", "by_default"]);
    let switch = g.rng.chance(50);
    let c = col_mut(g, t, &col);
    let what = match c.special {
        Special::Identity(old) if old != kind && switch => {
            c.special = Special::Identity(kind);
            format!("column {name}.{col} identity {old} → {kind}")
        }
        Special::Identity(old) => {
            c.special = Special::None;
            format!("column {name}.{col} drop identity {old}")
        }
        _ => {
            c.special = Special::Identity(kind);
            c.nullable = false;
            let had = c.default.take();
            format!("column {name}.{col} add identity {kind} (default was {had:?})")
        }
    };
    Some(what)
}

/// `collation = "C"` on or off, on a text column whose type may change (see `change_type`).
fn toggle_collation(g: &mut Gen) -> Option<String> {
    let cols = columns_where(g, |g, t, c| {
        c.ty.is_text()
            && matches!(c.special, Special::None)
            && !used_by_generated(&g.p.tables[t], &c.name)
            && !in_fk(g, t, &c.name)
    });
    if cols.is_empty() {
        return None;
    }
    let (t, col) = g.rng.pick(&cols).clone();
    let c = col_mut(g, t, &col);
    c.collation = !c.collation;
    let now = c.collation;
    Some(format!("column {}.{col} collation C = {now}", tname(g, t)))
}

/// Set, change or remove the comment of a table, a column or an enum.
/// The comment of a primary key, unique, check, foreign key or exclusion constraint or an
/// index: set, changed or removed (`COMMENT ON CONSTRAINT`, `COMMENT ON INDEX`).
fn change_part_comment(g: &mut Gen) -> Option<String> {
    let t = pick_table(g)?;
    let new = if g.rng.chance(30) {
        None
    } else {
        Some(g.text_fitting(1000))
    };
    let name = tname(g, t);
    let table = &mut g.p.tables[t];
    let mut slots: Vec<(String, &mut Option<String>)> = Vec::new();
    if table.pk.is_some() || table.columns.iter().any(|c| c.primary_key) {
        slots.push(("primary key".into(), &mut table.pk_comment));
    }
    for (i, u) in table.uniques.iter_mut().enumerate() {
        slots.push((format!("unique #{i}"), &mut u.comment));
    }
    for (i, c) in table.checks.iter_mut().enumerate() {
        slots.push((format!("check #{i}"), &mut c.comment));
    }
    for (i, ix) in table.indexes.iter_mut().enumerate() {
        let what = if ix.exclusion { "exclusion" } else { "index" };
        slots.push((format!("{what} #{i}"), &mut ix.comment));
    }
    for (i, f) in table.fks.iter_mut().enumerate() {
        slots.push((format!("foreign key #{i}"), &mut f.comment));
    }
    if slots.is_empty() {
        return None;
    }
    let k = g.rng.below(slots.len());
    let (what, slot) = slots.swap_remove(k);
    let out = format!("{what} of {name} comment {slot:?} → {new:?}");
    *slot = new;
    Some(out)
}

fn change_comment(g: &mut Gen) -> Option<String> {
    let new = if g.rng.chance(30) {
        None
    } else {
        Some(g.text_fitting(1000))
    };
    match g.rng.below(3) {
        0 if !g.p.enums.is_empty() => {
            let e = g.rng.below(g.p.enums.len());
            let en = &mut g.p.enums[e];
            let what = format!(
                "enum {}.{} comment {:?} → {new:?}",
                en.schema, en.name, en.comment
            );
            en.comment = new;
            Some(what)
        }
        1 => {
            let t = pick_table(g)?;
            let what = format!(
                "table {} comment {:?} → {new:?}",
                tname(g, t),
                g.p.tables[t].comment
            );
            g.p.tables[t].comment = new;
            Some(what)
        }
        _ => {
            let cols = columns_where(g, |_, _, _| true);
            if cols.is_empty() {
                return None;
            }
            let (t, col) = g.rng.pick(&cols).clone();
            let name = tname(g, t);
            let c = col_mut(g, t, &col);
            let what = format!("column {name}.{col} comment {:?} → {new:?}", c.comment);
            c.comment = new;
            Some(what)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Keys and constraints
// ---------------------------------------------------------------------------------------------

/// A new primary key on table `t` (one or two keyable columns, made NOT NULL), not repeating
/// another key of the table nor `not`.
fn new_pk(g: &mut Gen, t: usize, not: Option<&[String]>) -> Option<Vec<String>> {
    let cand = g.keyable(t);
    if cand.is_empty() {
        return None;
    }
    for _ in 0..10 {
        let n = 1 + g.rng.below(cand.len().min(2));
        let mut cols: Vec<String> = Vec::new();
        while cols.len() < n {
            let c = g.rng.pick(&cand).clone();
            if !cols.contains(&c) {
                cols.push(c);
            }
        }
        let set = sorted(&cols);
        if g.p.tables[t].key_sets().contains(&set) || not.is_some_and(|n| sorted(n) == set) {
            continue;
        }
        let shorthand = cols.len() == 1 && g.rng.chance(50);
        for c in &cols {
            let col = col_mut(g, t, c);
            col.nullable = false;
            col.primary_key = shorthand;
        }
        if !shorthand {
            g.p.tables[t].pk = Some(cols.clone());
        }
        return Some(cols);
    }
    None
}

fn add_primary_key(g: &mut Gen) -> Option<String> {
    let tables: Vec<usize> = (0..g.p.tables.len())
        .filter(|t| !g.p.tables[*t].has_pk())
        .collect();
    if tables.is_empty() {
        return None;
    }
    let t = *g.rng.pick(&tables);
    let cols = new_pk(g, t, None)?;
    Some(format!("add primary key {} {cols:?}", tname(g, t)))
}

/// `primary_key_name` set, changed (`RENAME CONSTRAINT`) or removed (the name stays).
fn change_primary_key_name(g: &mut Gen) -> Option<String> {
    let tables: Vec<usize> = (0..g.p.tables.len())
        .filter(|t| g.p.tables[*t].has_pk())
        .collect();
    if tables.is_empty() {
        return None;
    }
    let t = *g.rng.pick(&tables);
    let new = match g.p.tables[t].pk_name {
        Some(_) if g.rng.chance(40) => None,
        _ => Some(g.pk_name()),
    };
    let old = std::mem::replace(&mut g.p.tables[t].pk_name, new.clone());
    Some(format!(
        "primary key name {} {old:?} → {new:?}",
        tname(g, t)
    ))
}

/// A check or (table-form) foreign key becomes NOT VALID, or is validated.
fn toggle_validated(g: &mut Gen) -> Option<String> {
    let mut all: Vec<(usize, bool, usize)> = Vec::new();
    for (t, table) in g.p.tables.iter().enumerate() {
        all.extend((0..table.checks.len()).map(|i| (t, true, i)));
        all.extend((0..table.fks.len()).map(|i| (t, false, i)));
    }
    if all.is_empty() {
        return None;
    }
    let (t, check, i) = *g.rng.pick(&all);
    let name = tname(g, t);
    let table = &mut g.p.tables[t];
    let (what, v) = if check {
        let c = &mut table.checks[i];
        (format!("check ({})", c.expr), &mut c.validated)
    } else {
        let f = &mut table.fks[i];
        (format!("foreign key {:?}", f.cols), &mut f.validated)
    };
    *v = !*v;
    Some(format!("{what} of {name} validated = {v}"))
}

/// Text keys of a btree index get (or lose) their `*_pattern_ops` operator class.
fn toggle_pattern_ops(g: &mut Gen) -> Option<String> {
    let all: Vec<(usize, usize)> = (0..g.p.tables.len())
        .flat_map(|t| (0..g.p.tables[t].indexes.len()).map(move |i| (t, i)))
        .filter(|(t, i)| {
            let table = &g.p.tables[*t];
            let ix = &table.indexes[*i];
            let mut flipped = ix.clone();
            flipped.pattern_ops = !ix.pattern_ops;
            ix.keys.iter().any(|k| match k {
                Key::Col(c, ..) => {
                    pattern_ops(table, ix, c).is_some() || pattern_ops(table, &flipped, c).is_some()
                }
                Key::Expr(..) => false,
            })
        })
        .collect();
    if all.is_empty() {
        return None;
    }
    let (t, i) = *g.rng.pick(&all);
    let name = tname(g, t);
    let ix = &mut g.p.tables[t].indexes[i];
    ix.pattern_ops = !ix.pattern_ops;
    Some(format!(
        "index {:?} of {name} pattern_ops = {}",
        ix.name, ix.pattern_ops
    ))
}

fn drop_primary_key(g: &mut Gen) -> Option<String> {
    let tables: Vec<usize> = (0..g.p.tables.len())
        .filter(|t| g.p.tables[*t].has_pk())
        .collect();
    if tables.is_empty() {
        return None;
    }
    let t = *g.rng.pick(&tables);
    let cols = remove_pk(g, t)?;
    Some(format!("drop primary key {} {cols:?}", tname(g, t)))
}

/// Other columns, or the same column written the other way (shorthand ↔ table form).
fn change_primary_key(g: &mut Gen) -> Option<String> {
    let tables: Vec<usize> = (0..g.p.tables.len())
        .filter(|t| g.p.tables[*t].has_pk())
        .collect();
    if tables.is_empty() {
        return None;
    }
    let t = *g.rng.pick(&tables);
    let name = tname(g, t);
    let respell = g.rng.chance(20);
    let table = &mut g.p.tables[t];
    if respell {
        // Same key, other spelling: plans nothing.
        if let Some(pk) = table.pk.clone().filter(|pk| pk.len() == 1) {
            table.pk = None;
            table
                .columns
                .iter_mut()
                .find(|c| c.name == pk[0])?
                .primary_key = true;
            return Some(format!("primary key {name} {pk:?} as shorthand"));
        }
        if let Some(c) = table.columns.iter_mut().find(|c| c.primary_key) {
            c.primary_key = false;
            let col = c.name.clone();
            table.pk = Some(vec![col]);
            return Some(format!("primary key {name} as table form"));
        }
    }
    let old = remove_pk(g, t)?;
    let new = new_pk(g, t, Some(&old))?;
    Some(format!("primary key {name} {old:?} → {new:?}"))
}

/// A primary key that a foreign key references gets one more column, and a unique
/// constraint on the old columns keeps the foreign key valid. PostgreSQL ties the foreign
/// key to the old key's index, so it must be rebuilt around the swap (and again going back).
fn widen_referenced_key(g: &mut Gen) -> Option<String> {
    let referenced = |g: &Gen, t: usize, cols: &[String]| {
        let key = key_of(g, t);
        let set = sorted(cols);
        g.p.tables.iter().any(|table| {
            table
                .fks
                .iter()
                .map(|f| (&f.to, &f.to_cols))
                .chain(
                    table
                        .columns
                        .iter()
                        .filter_map(|c| c.references.as_ref().map(|r| (&r.to, &r.to_cols))),
                )
                .any(|(to, to_cols)| *to == key && sorted(to_cols) == set)
        })
    };
    let pk_of = |table: &Table| -> Option<Vec<String>> {
        table.pk.clone().or_else(|| {
            table
                .columns
                .iter()
                .find(|c| c.primary_key)
                .map(|c| vec![c.name.clone()])
        })
    };
    let tables: Vec<(usize, Vec<String>)> = (0..g.p.tables.len())
        .filter_map(|t| pk_of(&g.p.tables[t]).map(|pk| (t, pk)))
        .filter(|(t, pk)| referenced(g, *t, pk))
        .collect();
    if tables.is_empty() {
        return None;
    }
    let (t, old) = g.rng.pick(&tables).clone();
    let extra: Vec<String> = g
        .keyable(t)
        .into_iter()
        .filter(|c| !old.contains(c))
        .collect();
    if extra.is_empty() {
        return None;
    }
    let x = g.rng.pick(&extra).clone();
    let mut new = old.clone();
    new.push(x.clone());
    if g.p.tables[t].key_sets().contains(&sorted(&new)) {
        return None;
    }
    let table = &mut g.p.tables[t];
    for c in &mut table.columns {
        c.primary_key = false;
        if c.name == x {
            c.nullable = false;
        }
    }
    table.pk = Some(new.clone());
    // The old key stays a key (the referencing foreign keys keep pointing at it).
    if !table
        .columns
        .iter()
        .any(|c| old.len() == 1 && c.name == old[0] && c.unique)
        && !table
            .uniques
            .iter()
            .any(|u| sorted(&u.cols) == sorted(&old))
    {
        table.uniques.push(Unique {
            cols: old.clone(),
            name: None,
            comment: None,
            deferrable: None,
        });
    }
    Some(format!(
        "widen referenced primary key {} {old:?} → {new:?} (+ unique {old:?})",
        tname(g, t)
    ))
}

fn add_unique(g: &mut Gen) -> Option<String> {
    let t = pick_table(g)?;
    g.add_unique(t);
    Some(format!("add unique on {}", tname(g, t)))
}

/// A unique constraint of either form: `(table, Ok(index in uniques))` or `(table,
/// Err(column))` for the shorthand.
fn uniques(g: &Gen) -> Vec<(usize, Result<usize, String>)> {
    let mut out = Vec::new();
    for (t, table) in g.p.tables.iter().enumerate() {
        out.extend((0..table.uniques.len()).map(|i| (t, Ok(i))));
        out.extend(
            table
                .columns
                .iter()
                .filter(|c| c.unique)
                .map(|c| (t, Err(c.name.clone()))),
        );
    }
    out
}

fn drop_unique(g: &mut Gen) -> Option<String> {
    let all = uniques(g);
    if all.is_empty() {
        return None;
    }
    let (t, which) = g.rng.pick(&all).clone();
    let cols = match which {
        Ok(i) => g.p.tables[t].uniques.remove(i).cols,
        Err(c) => {
            col_mut(g, t, &c).unique = false;
            vec![c]
        }
    };
    unlink_key(g, t, &cols);
    Some(format!("drop unique {} {cols:?}", tname(g, t)))
}

/// Other columns for a table-form unique constraint (its name, if any, stays).
fn replace_unique(g: &mut Gen) -> Option<String> {
    let all: Vec<(usize, usize)> = uniques(g)
        .into_iter()
        .filter_map(|(t, w)| w.ok().map(|i| (t, i)))
        .collect();
    if all.is_empty() {
        return None;
    }
    let (t, i) = *g.rng.pick(&all);
    let cand = g.keyable(t);
    let old = g.p.tables[t].uniques[i].cols.clone();
    for _ in 0..10 {
        let n = 1 + g.rng.below(cand.len().min(3));
        let mut cols: Vec<String> = Vec::new();
        while cols.len() < n {
            let c = g.rng.pick(&cand).clone();
            if !cols.contains(&c) {
                cols.push(c);
            }
        }
        if cols == old || g.p.tables[t].key_sets().contains(&sorted(&cols)) {
            continue;
        }
        unlink_key(g, t, &old);
        g.p.tables[t].uniques[i].cols = cols.clone();
        return Some(format!("unique {} {old:?} → {cols:?}", tname(g, t)));
    }
    None
}

fn add_check(g: &mut Gen) -> Option<String> {
    let t = pick_table(g)?;
    if g.p.tables[t].columns.is_empty() {
        return None;
    }
    g.add_check(t);
    let c = g.p.tables[t].checks.last()?;
    Some(format!("add check {} ({})", tname(g, t), c.expr))
}

/// Row-level security of a table: a flag toggled, a policy added, dropped, or changed in
/// place (another expression, other roles) or in a way that replaces it (command, kind).
fn change_row_security(g: &mut Gen) -> Option<String> {
    let t = pick_table(g)?;
    let what = tname(g, t);
    let n = g.p.tables[t].policies.len();
    match g.rng.below(6) {
        0 => {
            let table = &mut g.p.tables[t];
            table.rls = !table.rls;
            Some(format!("row_level_security {what} → {}", table.rls))
        }
        1 => {
            let table = &mut g.p.tables[t];
            table.force_rls = !table.force_rls;
            Some(format!(
                "force_row_level_security {what} → {}",
                table.force_rls
            ))
        }
        2 if n > 0 => {
            let i = g.rng.below(n);
            let p = g.p.tables[t].policies.remove(i);
            Some(format!("drop policy {:?} on {what}", p.name))
        }
        3 | 4 if n > 0 => {
            let i = g.rng.below(n);
            let e = g.check_expr(t)?;
            let p = &mut g.p.tables[t].policies[i];
            let what = format!("policy {:?} on {what}", p.name);
            if g.rng.chance(50) {
                p.roles = super::POLICY_ROLES
                    .iter()
                    .filter(|_| g.rng.chance(50))
                    .map(|r| r.to_string())
                    .collect();
                return Some(format!("{what}: roles → {:?}", p.roles));
            }
            if p.using.is_some() {
                p.using = Some(e.clone());
            } else {
                p.with_check = Some(e.clone());
            }
            if g.rng.chance(30) {
                p.restrictive = !p.restrictive;
            }
            Some(format!(
                "{what}: expression → {e}, restrictive {}",
                p.restrictive
            ))
        }
        _ => {
            if g.p.tables[t].columns.is_empty() {
                return None;
            }
            g.add_policy(t);
            let p = g.p.tables[t].policies.last()?;
            Some(format!("add policy {:?} ({}) on {what}", p.name, p.command))
        }
    }
}

fn pick_check(g: &mut Gen) -> Option<(usize, usize)> {
    let all: Vec<(usize, usize)> = (0..g.p.tables.len())
        .flat_map(|t| (0..g.p.tables[t].checks.len()).map(move |i| (t, i)))
        .collect();
    (!all.is_empty()).then(|| *g.rng.pick(&all))
}

fn drop_check(g: &mut Gen) -> Option<String> {
    let (t, i) = pick_check(g)?;
    let c = g.p.tables[t].checks.remove(i);
    Some(format!("drop check {} ({})", tname(g, t), c.expr))
}

/// Another expression (keeping the name, if any), or the same expression named ↔ unnamed.
fn replace_check(g: &mut Gen) -> Option<String> {
    let (t, i) = pick_check(g)?;
    if g.rng.chance(20) {
        let name = match &g.p.tables[t].checks[i].name {
            Some(_) => None,
            None => Some(g.explicit_name()),
        };
        let c = &mut g.p.tables[t].checks[i];
        let what = format!("check ({}) name {:?} → {name:?}", c.expr, c.name);
        c.name = name;
        return Some(what);
    }
    g.add_check(t);
    let new = g.p.tables[t].checks.pop()?;
    let c = &mut g.p.tables[t].checks[i];
    if new.expr == c.expr {
        return None;
    }
    let what = format!("check {:?} ({}) → ({})", c.name, c.expr, new.expr);
    c.expr = new.expr;
    Some(what)
}

fn add_index(g: &mut Gen) -> Option<String> {
    let t = pick_table(g)?;
    let before = g.p.tables[t].indexes.len();
    if g.rng.chance(15) {
        g.add_exclusion(t);
    } else {
        g.add_index(t);
    }
    (g.p.tables[t].indexes.len() > before).then(|| format!("add index on {}", tname(g, t)))
}

fn pick_index(g: &mut Gen) -> Option<(usize, usize)> {
    let all: Vec<(usize, usize)> = (0..g.p.tables.len())
        .flat_map(|t| (0..g.p.tables[t].indexes.len()).map(move |i| (t, i)))
        .collect();
    (!all.is_empty()).then(|| *g.rng.pick(&all))
}

fn drop_index(g: &mut Gen) -> Option<String> {
    let (t, i) = pick_index(g)?;
    let ix = g.p.tables[t].indexes.remove(i);
    Some(format!("drop index {} {ix:?}", tname(g, t)))
}

/// Change one property of an index: unique, predicate, a key's order, INCLUDE, or all of it
/// (a new random index under the old name, if it had one).
fn replace_index(g: &mut Gen) -> Option<String> {
    let (t, i) = pick_index(g)?;
    let old = g.p.tables[t].indexes[i].clone();
    let mut ix = old.clone();
    let btree = matches!(ix.method, None | Some("btree"));
    match g.rng.below(5) {
        0 if btree && !ix.exclusion => ix.unique = !ix.unique,
        1 => {
            ix.predicate = match ix.predicate {
                Some(_) if g.rng.chance(50) => None,
                _ => Some(g.predicate(t)),
            }
        }
        2 if btree => {
            let k = g.rng.below(ix.keys.len());
            match &mut ix.keys[k] {
                Key::Col(_, order, _) | Key::Expr(_, order) => {
                    *order = match order {
                        Some("desc") => None,
                        _ => Some("desc"),
                    }
                }
            }
        }
        3 if btree => {
            if ix.include.is_empty() {
                let used: Vec<String> = ix
                    .keys
                    .iter()
                    .filter_map(|k| match k {
                        Key::Col(c, ..) => Some(c.clone()),
                        Key::Expr(..) => None,
                    })
                    .collect();
                let rest: Vec<String> = g.p.tables[t]
                    .columns
                    .iter()
                    .filter(|c| !matches!(c.ty.base, Base::Json) && !used.contains(&c.name))
                    .map(|c| c.name.clone())
                    .collect();
                if rest.is_empty() {
                    return None;
                }
                ix.include = vec![g.rng.pick(&rest).clone()];
            } else {
                ix.include.clear();
            }
        }
        _ => {
            let before = g.p.tables[t].indexes.len();
            g.add_index(t);
            if g.p.tables[t].indexes.len() == before {
                return None;
            }
            let mut new = g.p.tables[t].indexes.pop()?;
            new.name = old.name.clone();
            if old.exclusion {
                // Still an exclusion constraint: only btree and hash take `WITH =` here.
                if !matches!(new.method, None | Some("btree") | Some("hash")) {
                    return None;
                }
                new.method.get_or_insert("btree");
                new.exclusion = true;
                new.unique = false;
                new.pattern_ops = false;
            }
            ix = new;
        }
    }
    if format!("{ix:?}") == format!("{old:?}") {
        return None;
    }
    let what = format!("index {}: {old:?} → {ix:?}", tname(g, t));
    g.p.tables[t].indexes[i] = ix;
    Some(what)
}

fn add_fk(g: &mut Gen) -> Option<String> {
    let t = pick_table(g)?;
    g.add_fk(t);
    Some(format!("add foreign key from {}", tname(g, t)))
}

/// A foreign key of either form: `(table, Ok(index in fks))` or `(table, Err(column))` for
/// an inline `references`.
fn fks(g: &Gen) -> Vec<(usize, Result<usize, String>)> {
    let mut out = Vec::new();
    for (t, table) in g.p.tables.iter().enumerate() {
        out.extend((0..table.fks.len()).map(|i| (t, Ok(i))));
        out.extend(
            table
                .columns
                .iter()
                .filter(|c| c.references.is_some())
                .map(|c| (t, Err(c.name.clone()))),
        );
    }
    out
}

fn drop_fk(g: &mut Gen) -> Option<String> {
    let all = fks(g);
    if all.is_empty() {
        return None;
    }
    let (t, which) = g.rng.pick(&all).clone();
    let what = match which {
        Ok(i) => {
            let fk = g.p.tables[t].fks.remove(i);
            format!(
                "drop foreign key {} {:?} → {}",
                tname(g, t),
                fk.cols,
                fk.target
            )
        }
        Err(c) => {
            let r = col_mut(g, t, &c).references.take()?;
            format!("drop foreign key {}.{c} → {}", tname(g, t), r.reference)
        }
    };
    Some(what)
}

/// Keys (of any table) whose column types equal `types`, in some order of their columns:
/// `(table, key columns in the matching order)`.
fn keys_typed(g: &Gen, types: &[Ty]) -> Vec<(usize, Vec<String>)> {
    let mut out = Vec::new();
    for (i, table) in g.p.tables.iter().enumerate() {
        for key in table.referencable_keys() {
            if key.len() != types.len() {
                continue;
            }
            for perm in permutations(&key) {
                if perm.iter().zip(types).all(|(c, ty)| table.col(c).ty == *ty) {
                    out.push((i, perm));
                    break;
                }
            }
        }
    }
    out
}

fn permutations(items: &[String]) -> Vec<Vec<String>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut out = Vec::new();
    for i in 0..items.len() {
        let mut rest = items.to_vec();
        let first = rest.remove(i);
        for mut p in permutations(&rest) {
            p.insert(0, first.clone());
            out.push(p);
        }
    }
    out
}

/// Change a foreign key: its actions/deferrability, its target (another key of the same
/// types), its columns (other columns of the same types), or its name (named ↔ unnamed).
fn replace_fk(g: &mut Gen) -> Option<String> {
    let all = fks(g);
    if all.is_empty() {
        return None;
    }
    let (t, which) = g.rng.pick(&all).clone();
    let name = tname(g, t);
    let (cols, to, to_cols, actions) = match &which {
        Ok(i) => {
            let f = &g.p.tables[t].fks[*i];
            (
                f.cols.clone(),
                f.to.clone(),
                f.to_cols.clone(),
                f.actions.clone(),
            )
        }
        Err(c) => {
            let r = g.p.tables[t].col(c).references.clone()?;
            (vec![c.clone()], r.to, r.to_cols, r.actions)
        }
    };
    match g.rng.below(4) {
        0 => {
            // Other actions.
            for _ in 0..10 {
                let new = g.actions();
                if new != actions {
                    let what = format!("foreign key {name} {cols:?}: {actions:?} → {new:?}");
                    match &which {
                        Ok(i) => g.p.tables[t].fks[*i].actions = new,
                        Err(c) => col_mut(g, t, c).references.as_mut()?.actions = new,
                    }
                    return Some(what);
                }
            }
            None
        }
        1 => {
            // Another target of the same types.
            let types: Vec<Ty> = cols
                .iter()
                .map(|c| g.p.tables[t].col(c).ty.clone())
                .collect();
            let current = table_index(g, &to)?;
            let cand: Vec<(usize, Vec<String>)> = keys_typed(g, &types)
                .into_iter()
                .filter(|(i, k)| !(*i == current && sorted(k) == sorted(&to_cols)))
                .collect();
            if cand.is_empty() {
                return None;
            }
            let (target, tcols) = g.rng.pick(&cand).clone();
            let new_to = key_of(g, target);
            let what = format!(
                "foreign key {name} {cols:?} → {to:?} {to_cols:?} now → {new_to:?} {tcols:?}"
            );
            match &which {
                Ok(i) => {
                    let text = g.reference_table(t, target, &tcols);
                    let f = &mut g.p.tables[t].fks[*i];
                    f.target = text;
                    f.to = new_to;
                    f.to_cols = tcols;
                }
                Err(c) => {
                    let text = g.reference_string(t, target, &tcols[0]);
                    let r = col_mut(g, t, c).references.as_mut()?;
                    r.reference = text;
                    r.to = new_to;
                    r.to_cols = tcols;
                }
            }
            Some(what)
        }
        2 => {
            // Other columns of the same types (table form only).
            let Ok(i) = which else { return None };
            let target = table_index(g, &to)?;
            let types: Vec<Ty> = to_cols
                .iter()
                .map(|c| g.p.tables[target].col(c).ty.clone())
                .collect();
            let table = &g.p.tables[t];
            let mut new: Vec<String> = Vec::new();
            for ty in &types {
                let cand: Vec<String> = table
                    .columns
                    .iter()
                    .filter(|c| {
                        c.ty == *ty
                            && matches!(c.special, Special::None | Special::Identity(_))
                            && !new.contains(&c.name)
                    })
                    .map(|c| c.name.clone())
                    .collect();
                if cand.is_empty() {
                    return None;
                }
                new.push(g.rng.pick(&cand).clone());
            }
            if new == cols {
                return None;
            }
            g.p.tables[t].fks[i].cols = new.clone();
            Some(format!("foreign key {name} {cols:?} → columns {new:?}"))
        }
        _ => {
            let Ok(i) = which else { return None };
            let new = match g.p.tables[t].fks[i].name {
                Some(_) => None,
                None => Some(g.explicit_name()),
            };
            let f = &mut g.p.tables[t].fks[i];
            let what = format!("foreign key {name} {cols:?} name {:?} → {new:?}", f.name);
            f.name = new;
            Some(what)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Enums and schemas
// ---------------------------------------------------------------------------------------------

/// A new value at any position of an enum.
fn add_enum_value(g: &mut Gen) -> Option<String> {
    if g.p.enums.is_empty() {
        return None;
    }
    let e = g.rng.below(g.p.enums.len());
    let value = loop {
        let v = if g.rng.chance(70) {
            g.rng.pick(ENUM_VALUES).to_string()
        } else {
            g.fresh("V")
        };
        let en = &g.p.enums[e];
        if !v.is_empty()
            && !en.values.contains(&v)
            && !en.renamed_values.iter().any(|(o, _)| *o == v)
        {
            break v;
        }
        if g.p.enums[e].values.len() >= ENUM_VALUES.len() - 1 {
            break g.fresh("V");
        }
    };
    let at = g.rng.below(g.p.enums[e].values.len() + 1);
    let en = &mut g.p.enums[e];
    en.values.insert(at, value.clone());
    let mut what = format!(
        "enum {}.{} value {value:?} at {at}: {:?}",
        en.schema, en.name, en.values
    );
    // Sometimes the new value becomes a default in the same migration (it must be committed
    // before it can be used).
    let users = columns_where(g, |_, _, c| {
        c.ty == Ty::scalar(Base::Enum(e)) && matches!(c.special, Special::None)
    });
    if !users.is_empty() && g.rng.chance(40) {
        let (t, col) = g.rng.pick(&users).clone();
        what.push_str(&format!(", default of {}.{col}", tname(g, t)));
        col_mut(g, t, &col).default = Some(Default::Literal(ts(&value)));
    }
    Some(what)
}

/// A new enum, maybe with a column of it.
fn add_enum(g: &mut Gen) -> Option<String> {
    g.add_enum();
    let e = g.p.enums.len() - 1;
    let what = format!("add enum {}.{}", g.p.enums[e].schema, g.p.enums[e].name);
    let with_column = g.rng.chance(60);
    if let Some(t) = pick_table(g).filter(|_| with_column) {
        let name = g.col_name(t);
        let ty = Ty {
            base: Base::Enum(e),
            array: g.rng.chance(20),
        };
        let mut c = g.plain_col(name, ty.clone());
        c.nullable = g.rng.chance(50);
        if g.rng.chance(50) {
            c.default = g.literal_default(&ty).map(Default::Literal);
        }
        g.p.tables[t].columns.push(c);
        return Some(format!("{what} with a column in {}", tname(g, t)));
    }
    Some(what)
}

/// Drop an enum and the columns of its type.
fn drop_enum(g: &mut Gen) -> Option<String> {
    if g.p.enums.is_empty() {
        return None;
    }
    let e = g.rng.below(g.p.enums.len());
    let what = format!("drop enum {}.{}", g.p.enums[e].schema, g.p.enums[e].name);
    remove_enum(g, e);
    Some(what)
}

/// A new schema, maybe with a table or an enum in it.
fn add_schema(g: &mut Gen) -> Option<String> {
    let cand: Vec<&'static str> = PLAIN_SCHEMAS
        .iter()
        .chain(ODD_SCHEMAS)
        .copied()
        .filter(|s| !g.p.schemas.iter().any(|x| x == s))
        .collect();
    if cand.is_empty() {
        return None;
    }
    let s = g.rng.word(&cand).to_string();
    g.p.schemas.push(s.clone());
    // The generator puts new objects in a random schema of the project: offer only this one.
    let all = std::mem::replace(&mut g.p.schemas, vec![s.clone()]);
    let what = match g.rng.below(3) {
        0 => {
            g.add_table();
            format!(
                "add schema {s:?} with table {}",
                tname(g, g.p.tables.len() - 1)
            )
        }
        1 => {
            g.add_enum();
            format!("add schema {s:?} with an enum")
        }
        _ => format!("add schema {s:?}"),
    };
    g.p.schemas = all;
    Some(what)
}

/// Drop a schema other than `public` with everything in it (and whatever points there).
/// A schema leaves `project.schemas`: schemactl leaves it and its objects alone (the spec).
/// Only schemas whose tables use nothing outside them (enums, foreign key targets), since a
/// managed object that an unmanaged one depends on could not be changed any more.
fn drop_schema(g: &mut Gen) -> Option<String> {
    // In both versions: a column of the first version that references another schema stays
    // in the database once its schema is no longer managed, even if the second dropped it.
    let contained = |p: &Project, s: &str| {
        p.tables.iter().filter(|t| t.schema == s).all(|t| {
            t.columns.iter().all(|c| match c.ty.base {
                Base::Enum(e) => p.enums[e].schema == s,
                _ => true,
            }) && t.fks.iter().all(|f| f.to.0 == s)
                && t.columns
                    .iter()
                    .all(|c| c.references.as_ref().is_none_or(|r| r.to.0 == s))
        })
    };
    let self_contained = |g: &Gen, s: &str| {
        std::iter::once(&g.p)
            .chain(g.first.as_deref())
            .all(|p| contained(p, s))
    };
    let cand: Vec<String> =
        g.p.schemas
            .iter()
            // A dropped schema stays in the database (only unmanaged): columns of domains
            // and composite types in it would keep those types alive.
            .filter(|s| *s != "public" && self_contained(g, s))
            .filter(|s| !g.p.types.columns.iter().any(|c| c.table.0 == **s))
            .cloned()
            .collect();
    if cand.is_empty() {
        return None;
    }
    let s = g.rng.pick(&cand).clone();
    while let Some(t) = g.p.tables.iter().position(|t| t.schema == s) {
        remove_table(g, t);
    }
    while let Some(e) = g.p.enums.iter().position(|e| e.schema == s) {
        remove_enum(g, e);
    }
    g.p.sequences.retain(|q| q.schema != s);
    for f in &mut g.p.files {
        if f.schema.as_deref() == Some(s.as_str()) {
            f.schema = None;
        }
    }
    g.p.views.retain(|v| v.source.0 != s);
    g.p.schema_comments.retain(|(x, _)| *x != s);
    g.p.schemas.retain(|x| *x != s);
    Some(format!("drop schema {s:?}"))
}

// ---------------------------------------------------------------------------------------------
// Renames, enum values removed or reordered, generated and serial columns
// ---------------------------------------------------------------------------------------------

/// A table no foreign key points at (references to it are rendered text) gets a new name,
/// declared with `renamed_from`.
fn rename_table(g: &mut Gen) -> Option<String> {
    let targets: BTreeSet<usize> = links(g).iter().map(|(_, b)| b.0).collect();
    let cand: Vec<usize> = (0..g.p.tables.len())
        .filter(|t| !targets.contains(t))
        .collect();
    if cand.is_empty() {
        return None;
    }
    let t = *g.rng.pick(&cand);
    let new = g.fresh("renamed_t");
    // Views reading it follow it, or (keeping their text) read whatever has the old name
    // now, or are gone with it.
    let source = (g.p.tables[t].schema.clone(), g.p.tables[t].name.clone());
    if g.rng.chance(50) {
        for v in
            g.p.views
                .iter_mut()
                .filter(|v| !v.over && v.source == source)
        {
            v.source.1 = new.clone();
        }
    }
    let table = &mut g.p.tables[t];
    let what = format!("table {}.{} → {new}", table.schema, table.name);
    let old = std::mem::replace(&mut table.name, new);
    if table.renamed_from.is_none() && g.rng.chance(25) {
        // The old name is reused by a new table: the down file must drop it before the
        // renamed table can take its name (and rows) back.
        table.renamed_from = Some(old.clone());
        // Its columns (types valid in that schema and file) and primary key, so default
        // names (`{old}_pkey`, serial and identity sequences) are taken again too.
        let mut reused = table.clone();
        reused.name = old;
        reused.renamed_from = None;
        reused.comment = None;
        // Its default name, not the renamed table's explicit one.
        reused.pk_name = None;
        reused.uniques.clear();
        reused.checks.clear();
        reused.indexes.clear();
        reused.fks.clear();
        for c in &mut reused.columns {
            c.references = None;
            c.unique = false;
            c.renamed_from = None;
            c.comment = None;
        }
        g.p.tables.push(reused);
        return Some(format!("{what}, and a new table takes the old name"));
    }
    table.renamed_from.get_or_insert(old);
    Some(what)
}

/// A column named by no expression and no foreign key gets a new name, declared with
/// `renamed_from`; key and index column lists follow.
fn rename_column(g: &mut Gen) -> Option<String> {
    let cand = columns_where(g, |g, t, c| {
        let table = &g.p.tables[t];
        !in_fk(g, t, &c.name)
            && !used_by_generated(table, &c.name)
            && !table.checks.iter().any(|k| mentions(&k.expr, &c.name))
            && !policy_mentions(table, &c.name)
            && !table.indexes.iter().any(|ix| {
                ix.keys
                    .iter()
                    .any(|k| matches!(k, Key::Expr(e, _) if mentions(e, &c.name)))
                    || ix
                        .predicate
                        .as_deref()
                        .is_some_and(|p| mentions(p, &c.name))
            })
    });
    if cand.is_empty() {
        return None;
    }
    let (t, old) = g.rng.pick(&cand).clone();
    let new = g.fresh("renamed_c");
    let what = format!("column {}.{old} → {new}", tname(g, t));
    let table = &mut g.p.tables[t];
    let swap = |c: &mut String| {
        if *c == old {
            *c = new.clone();
        }
    };
    table.pk.iter_mut().flatten().for_each(swap);
    for u in &mut table.uniques {
        u.cols.iter_mut().for_each(swap);
    }
    for ix in &mut table.indexes {
        for k in &mut ix.keys {
            if let Key::Col(c, ..) = k {
                swap(c);
            }
        }
        ix.include.iter_mut().for_each(swap);
    }
    let roll = g.rng.chance(25);
    let c = col_mut(g, t, &old);
    c.name = new.clone();
    let reuse = c.renamed_from.is_none() && roll;
    c.renamed_from.get_or_insert(old.clone());
    if reuse {
        // The old name is reused by a new column (see `rename_table`).
        let ty = c.ty.clone();
        let mut added = g.plain_col(old, ty);
        added.nullable = true;
        g.p.tables[t].columns.push(added);
        return Some(format!("{what}, and a new column takes the old name"));
    }
    Some(what)
}

fn rename_enum(g: &mut Gen) -> Option<String> {
    if g.p.enums.is_empty() {
        return None;
    }
    let e = g.rng.below(g.p.enums.len());
    let new = g.fresh("renamed_e");
    let en = &mut g.p.enums[e];
    let what = format!("enum {}.{} → {new}", en.schema, en.name);
    let old = std::mem::replace(&mut en.name, new);
    en.renamed_from.get_or_insert(old);
    Some(what)
}

/// Whether SQL or TOML text of the project spells enum value `v` (defaults, checks, index
/// expressions and predicates, generated expressions). Over-approximates.
fn value_used(g: &Gen, v: &str) -> bool {
    let (sql, toml) = (lit(v), ts(v));
    let used = |text: &str| text.contains(&sql) || text.contains(&toml);
    g.p.tables.iter().any(|t| {
        t.checks.iter().any(|c| used(&c.expr))
            || t.policies
                .iter()
                .any(|p| p.using.iter().chain(&p.with_check).any(|e| used(e)))
            || t.indexes.iter().any(|ix| {
                ix.predicate.as_deref().is_some_and(used)
                    || ix
                        .keys
                        .iter()
                        .any(|k| matches!(k, Key::Expr(e, _) if used(e)))
            })
            || t.columns.iter().any(|c| {
                matches!(&c.default, Some(Default::Literal(x) | Default::Sql(x)) if used(x))
                    || matches!(&c.special, Special::Generated(x) if used(x))
            })
    })
}

/// An enum value no default or expression uses, with the enum index.
fn unused_value(g: &mut Gen) -> Option<(usize, usize)> {
    let cand: Vec<(usize, usize)> =
        g.p.enums
            .iter()
            .enumerate()
            .flat_map(|(e, en)| (0..en.values.len()).map(move |i| (e, i)))
            .filter(|&(e, i)| !value_used(g, &g.p.enums[e].values[i]))
            .collect();
    if cand.is_empty() {
        None
    } else {
        Some(*g.rng.pick(&cand))
    }
}

/// `renamed_values`: an unused value gets a new label.
fn rename_enum_value(g: &mut Gen) -> Option<String> {
    let (e, i) = unused_value(g)?;
    let new = g.fresh("RV");
    let en = &mut g.p.enums[e];
    let old = std::mem::replace(&mut en.values[i], new.clone());
    let what = format!("enum {}.{} value {old:?} → {new:?}", en.schema, en.name);
    // A value renamed again keeps its first old name.
    match en.renamed_values.iter_mut().find(|(_, n)| *n == old) {
        Some(entry) => entry.1 = new,
        None => en.renamed_values.push((old, new)),
    }
    Some(what)
}

/// An unused value removed (the type is recreated); an enum keeps at least one value.
fn remove_enum_value(g: &mut Gen) -> Option<String> {
    let (e, i) = unused_value(g)?;
    let en = &mut g.p.enums[e];
    if en.values.len() < 2 {
        return None;
    }
    let old = en.values.remove(i);
    en.renamed_values.retain(|(_, n)| *n != old);
    Some(format!(
        "enum {}.{} value {old:?} removed",
        en.schema, en.name
    ))
}

fn reorder_enum_values(g: &mut Gen) -> Option<String> {
    let cand: Vec<usize> = (0..g.p.enums.len())
        .filter(|&e| g.p.enums[e].values.len() >= 2)
        .collect();
    if cand.is_empty() {
        return None;
    }
    let e = *g.rng.pick(&cand);
    let n = g.p.enums[e].values.len();
    let (a, b) = (g.rng.below(n), g.rng.below(n));
    if a == b {
        return None;
    }
    let en = &mut g.p.enums[e];
    en.values.swap(a, b);
    Some(format!(
        "enum {}.{} reordered: {:?}",
        en.schema, en.name, en.values
    ))
}

/// A generated column gets another expression (same type) or becomes a plain column.
fn change_generated(g: &mut Gen) -> Option<String> {
    let cand = columns_where(g, |_, _, c| matches!(c.special, Special::Generated(_)));
    if cand.is_empty() {
        return None;
    }
    let (t, col) = g.rng.pick(&cand).clone();
    let what_table = tname(g, t);
    let drop = g.rng.chance(40);
    let c = col_mut(g, t, &col);
    let Special::Generated(expr) = c.special.clone() else {
        return None;
    };
    if drop {
        c.special = Special::None;
        Some(format!(
            "column {what_table}.{col}: generated {expr:?} → plain"
        ))
    } else {
        let new = format!("coalesce({expr}, {expr})");
        c.special = Special::Generated(new.clone());
        Some(format!(
            "column {what_table}.{col}: generated {expr:?} → {new:?}"
        ))
    }
}

/// A serial column becomes plain or bigserial; a plain integer column becomes serial.
fn change_serial(g: &mut Gen) -> Option<String> {
    let cand = columns_where(g, |g, t, c| {
        c.ty.is_intlike()
            && !in_fk(g, t, &c.name)
            && !used_by_generated(&g.p.tables[t], &c.name)
            && match c.special {
                Special::Serial => true,
                Special::None => c.default.is_none() && !c.nullable,
                _ => false,
            }
    });
    if cand.is_empty() {
        return None;
    }
    let (t, col) = g.rng.pick(&cand).clone();
    let what_table = tname(g, t);
    let widen = g.rng.chance(30);
    let c = col_mut(g, t, &col);
    let what = match c.special {
        Special::Serial if widen && c.ty.base != Base::Int(Int::I8) => {
            c.ty = Ty::scalar(Base::Int(Int::I8));
            "serial → bigserial"
        }
        Special::Serial => {
            c.special = Special::None;
            "serial → plain"
        }
        _ => {
            c.special = Special::Serial;
            "plain → serial"
        }
    };
    Some(format!("column {what_table}.{col}: {what}"))
}

// ---------------------------------------------------------------------------------------------
// Sequences
// ---------------------------------------------------------------------------------------------

fn pick_sequence(g: &mut Gen) -> Option<usize> {
    (!g.p.sequences.is_empty()).then(|| g.rng.below(g.p.sequences.len()))
}

fn seq_name(g: &Gen, i: usize) -> String {
    let q = &g.p.sequences[i];
    format!("{}.{}", q.schema, q.name)
}

fn add_sequence(g: &mut Gen) -> Option<String> {
    let schema = g.rng.pick(&g.p.schemas).clone();
    let file = g.rng.below(g.p.files.len());
    let name = g.fresh("sq_new_");
    let options = sequence_options(&mut g.rng);
    let owned_by = if g.rng.chance(40) {
        sequence_owner(&mut g.rng, &g.p, &schema)
    } else {
        None
    };
    let what = format!("sequence {schema}.{name} {options:?} owned by {owned_by:?}");
    g.p.sequences.push(Seq {
        schema,
        name,
        file,
        options,
        owned_by,
        comment: None,
        renamed_from: None,
    });
    Some(what)
}

fn drop_sequence(g: &mut Gen) -> Option<String> {
    let i = pick_sequence(g)?;
    let what = format!("sequence {}", seq_name(g, i));
    g.p.sequences.remove(i);
    Some(what)
}

/// Other options with the same bounds and direction: the current value (the first
/// version's start, never called) stays inside the range both ways, as `ALTER SEQUENCE`
/// requires.
fn change_sequence(g: &mut Gen) -> Option<String> {
    let i = pick_sequence(g)?;
    let old = g.p.sequences[i].options.clone();
    let descending = old.iter().any(|o| o.starts_with("increment = -"));
    let bound = |o: &&String| o.starts_with("min_value") || o.starts_with("max_value");
    let min: Option<i64> = old
        .iter()
        .find_map(|o| o.strip_prefix("min_value = ")?.parse().ok());
    let mut new: Vec<String> = Vec::new();
    match g.rng.below(4) {
        0 => new.push("type = \"smallint\"".into()),
        1 => new.push("type = \"integer\"".into()),
        2 => new.push("type = \"bigint\"".into()),
        _ => {}
    }
    let step = g.rng.range(1, 10);
    new.push(format!(
        "increment = {}",
        if descending { -step } else { step }
    ));
    new.extend(old.iter().filter(bound).cloned());
    if let Some(min) = min
        && !descending
        && g.rng.chance(50)
    {
        new.push(format!("start = {}", min + g.rng.range(0, 500)));
    }
    if g.rng.chance(40) {
        new.push(format!("cache = {}", g.rng.range(1, 50)));
    }
    if g.rng.chance(30) {
        new.push(format!("cycle = {}", g.rng.chance(60)));
    }
    let what = format!("sequence {} {old:?} → {new:?}", seq_name(g, i));
    g.p.sequences[i].options = new;
    Some(what)
}

fn change_sequence_owner(g: &mut Gen) -> Option<String> {
    let i = pick_sequence(g)?;
    let schema = g.p.sequences[i].schema.clone();
    let new = if g.rng.chance(25) {
        None
    } else {
        sequence_owner(&mut g.rng, &g.p, &schema)
    };
    let what = format!(
        "sequence {} owned by {:?} → {new:?}",
        seq_name(g, i),
        g.p.sequences[i].owned_by
    );
    g.p.sequences[i].owned_by = new;
    Some(what)
}

fn rename_sequence(g: &mut Gen) -> Option<String> {
    let i = pick_sequence(g)?;
    if g.p.sequences[i].renamed_from.is_some() {
        return None;
    }
    let new = g.fresh("sq_renamed_");
    let what = format!("sequence {} → {new}", seq_name(g, i));
    let q = &mut g.p.sequences[i];
    q.renamed_from = Some(std::mem::replace(&mut q.name, new));
    Some(what)
}

fn change_sequence_comment(g: &mut Gen) -> Option<String> {
    let i = pick_sequence(g)?;
    let new = if g.rng.chance(30) {
        None
    } else {
        Some(g.text_fitting(200))
    };
    let what = format!(
        "sequence {} comment {:?} → {new:?}",
        seq_name(g, i),
        g.p.sequences[i].comment
    );
    g.p.sequences[i].comment = new;
    Some(what)
}

// ---------------------------------------------------------------------------------------------
// Domains and composite types
// ---------------------------------------------------------------------------------------------

/// A name no version of the project used: renames onto a name freed by a drop in the same
/// migration are not applied (as for tables and enums), so a rename takes a fresh name.
fn fresh_type_name(g: &mut Gen, pool: &[&str]) -> String {
    g.counter += 1;
    format!("{}_r{}", g.rng.pick(pool), g.counter)
}

/// A name for a new domain or composite type: from `pool` if one is free, else numbered.
fn type_name(g: &mut Gen, pool: &[&str]) -> String {
    let free: Vec<&str> = pool
        .iter()
        .copied()
        .filter(|n| !g.p.types.taken(n))
        .collect();
    if !free.is_empty() && g.rng.chance(70) {
        return g.rng.pick(&free).to_string();
    }
    g.counter += 1;
    format!("{}_{}", g.rng.pick(pool), g.counter)
}

/// Sometimes a new column of type `name` in a random table.
fn maybe_typed_column(g: &mut Gen, name: &str) {
    if g.p.tables.is_empty() || g.rng.chance(40) {
        return;
    }
    let t = g.rng.below(g.p.tables.len());
    g.counter += 1;
    let ty = named(&mut g.rng, name, false);
    g.p.types.columns.push(TypedCol {
        table: (g.p.tables[t].schema.clone(), g.p.tables[t].name.clone()),
        name: format!("tv_n{}", g.counter),
        ty,
        nullable: g.rng.chance(50),
    });
}

fn add_domain(g: &mut Gen) -> Option<String> {
    let name = type_name(g, DOMAIN_NAMES);
    let file = g.rng.below(g.p.files.len());
    let d = new_domain(&mut g.rng, &name, file);
    g.p.types.domains.push(d);
    maybe_typed_column(g, &name);
    Some(format!("add domain {name:?}"))
}

/// Remove what uses type `name`: its columns, attributes of it (and composite types left
/// without attributes, with their columns).
fn remove_users(g: &mut Gen, name: &str) {
    g.p.types.columns.retain(|c| !c.ty.names(name));
    let mut emptied = Vec::new();
    for c in &mut g.p.types.composites {
        c.attrs.retain(|a| !a.1.names(name));
        if c.attrs.is_empty() {
            emptied.push(c.name.clone());
        }
    }
    g.p.types.composites.retain(|c| !c.attrs.is_empty());
    for e in emptied {
        remove_users(g, &e);
    }
}

fn drop_domain(g: &mut Gen) -> Option<String> {
    if g.p.types.domains.is_empty() {
        return None;
    }
    let d = g.rng.below(g.p.types.domains.len());
    let name = g.p.types.domains.remove(d).name;
    remove_users(g, &name);
    Some(format!("drop domain {name:?}"))
}

/// `name` renamed to `new` in every type reference.
fn rename_type_refs(g: &mut Gen, name: &str, new: &str) {
    let types = &mut g.p.types;
    let refs = types.columns.iter_mut().map(|c| &mut c.ty).chain(
        types
            .composites
            .iter_mut()
            .flat_map(|c| c.attrs.iter_mut().map(|a| &mut a.1)),
    );
    for r in refs {
        if let TypeRef::Named { name: n, .. } = r
            && n == name
        {
            *n = new.to_string();
        }
    }
}

fn rename_domain(g: &mut Gen) -> Option<String> {
    if g.p.types.domains.is_empty() {
        return None;
    }
    let d = g.rng.below(g.p.types.domains.len());
    let new = fresh_type_name(g, DOMAIN_NAMES);
    let dom = &mut g.p.types.domains[d];
    let old = std::mem::replace(&mut dom.name, new.clone());
    if dom.renamed_from.is_none() {
        dom.renamed_from = Some(old.clone());
    }
    rename_type_refs(g, &old, &new);
    Some(format!("rename domain {old:?} → {new:?}"))
}

fn change_domain_default(g: &mut Gen) -> Option<String> {
    if g.p.types.domains.is_empty() {
        return None;
    }
    let d = g.rng.below(g.p.types.domains.len());
    let base = g.p.types.domains[d].base;
    let new = domain_default(&mut g.rng, base);
    let dom = &mut g.p.types.domains[d];
    if new == dom.default {
        return None;
    }
    let what = format!("domain {:?} default {:?} → {new:?}", dom.name, dom.default);
    dom.default = new;
    Some(what)
}

fn toggle_domain_not_null(g: &mut Gen) -> Option<String> {
    if g.p.types.domains.is_empty() {
        return None;
    }
    let d = g.rng.below(g.p.types.domains.len());
    let dom = &mut g.p.types.domains[d];
    dom.not_null = !dom.not_null;
    Some(format!("domain {:?} not_null → {}", dom.name, dom.not_null))
}

fn change_domain_check(g: &mut Gen) -> Option<String> {
    if g.p.types.domains.is_empty() {
        return None;
    }
    let d = g.rng.below(g.p.types.domains.len());
    let pool = DOMAIN_BASES[g.p.types.domains[d].base].3;
    let name = g.p.types.domains[d].name.clone();
    let n = g.p.types.domains[d].checks.len();
    match g.rng.below(3) {
        0 if n > 0 => {
            let i = g.rng.below(n);
            let (c, e) = g.p.types.domains[d].checks.remove(i);
            Some(format!("domain {name:?} drop check {c:?} {e:?}"))
        }
        1 if n > 0 && !pool.is_empty() => {
            let i = g.rng.below(n);
            let e = g.rng.pick(pool).to_string();
            let check = &mut g.p.types.domains[d].checks[i];
            if check.1 == e {
                return None;
            }
            let what = format!("domain {name:?} check {:?}: {:?} → {e:?}", check.0, check.1);
            check.1 = e;
            Some(what)
        }
        _ if !pool.is_empty() => {
            let e = g.rng.pick(pool).to_string();
            let mut c = check_name(&mut g.rng, &name, n);
            if c.is_some() {
                g.counter += 1;
                c = Some(format!("chk_{}", g.counter));
            }
            g.p.types.domains[d].checks.push((c.clone(), e.clone()));
            Some(format!("domain {name:?} add check {c:?} {e:?}"))
        }
        _ => None,
    }
}

/// A new base type for a domain no column or attribute uses (PostgreSQL cannot change it in
/// place: the domain is dropped and created again).
fn change_domain_base(g: &mut Gen) -> Option<String> {
    let unused: Vec<usize> = (0..g.p.types.domains.len())
        .filter(|d| !g.p.types.used(&g.p.types.domains[*d].name))
        .collect();
    if unused.is_empty() {
        return None;
    }
    let d = *g.rng.pick(&unused);
    let old = g.p.types.domains[d].clone();
    let mut new = new_domain(&mut g.rng, &old.name, old.file);
    if new.base == old.base {
        return None;
    }
    new.comment = old.comment.clone();
    new.renamed_from = old.renamed_from.clone();
    let what = format!(
        "domain {:?} base {} → {}",
        old.name, DOMAIN_BASES[old.base].0, DOMAIN_BASES[new.base].0
    );
    g.p.types.domains[d] = new;
    Some(what)
}

/// A column of a domain moves to the domain's base type, or a column of a base type to a
/// domain over it.
fn move_domain_column(g: &mut Gen) -> Option<String> {
    if g.p.types.columns.is_empty() {
        return None;
    }
    let c = g.rng.below(g.p.types.columns.len());
    let col = g.p.types.columns[c].clone();
    let new = match &col.ty {
        TypeRef::Named { name, array, .. } => {
            let dom = g.p.types.domains.iter().find(|d| d.name == *name)?;
            let mut base = DOMAIN_BASES[dom.base].0.to_string();
            if *array {
                base.push_str("[]");
            }
            TypeRef::Builtin(base)
        }
        TypeRef::Builtin(b) => {
            let (base, array) = match b.strip_suffix("[]") {
                Some(x) if !DOMAIN_BASES.iter().any(|d| d.0 == b) => (x, true),
                _ => (b.as_str(), false),
            };
            let cands: Vec<String> =
                g.p.types
                    .domains
                    .iter()
                    .filter(|d| DOMAIN_BASES[d.base].0 == base)
                    .map(|d| d.name.clone())
                    .collect();
            if cands.is_empty() {
                return None;
            }
            let d = g.rng.pick(&cands).clone();
            named(&mut g.rng, &d, array)
        }
    };
    let what = format!(
        "column {:?} type {} → {}",
        col.name,
        col.ty.spell(),
        new.spell()
    );
    g.p.types.columns[c].ty = new;
    Some(what)
}

fn add_composite(g: &mut Gen) -> Option<String> {
    let name = type_name(g, COMPOSITE_NAMES);
    let file = g.rng.below(g.p.files.len());
    let c = new_composite(&mut g.rng, &name, file, &g.p.types.domains.clone());
    g.p.types.composites.push(c);
    maybe_typed_column(g, &name);
    Some(format!("add composite type {name:?}"))
}

fn drop_composite(g: &mut Gen) -> Option<String> {
    if g.p.types.composites.is_empty() {
        return None;
    }
    let c = g.rng.below(g.p.types.composites.len());
    let name = g.p.types.composites.remove(c).name;
    remove_users(g, &name);
    Some(format!("drop composite type {name:?}"))
}

fn rename_composite(g: &mut Gen) -> Option<String> {
    if g.p.types.composites.is_empty() {
        return None;
    }
    let c = g.rng.below(g.p.types.composites.len());
    let new = fresh_type_name(g, COMPOSITE_NAMES);
    let comp = &mut g.p.types.composites[c];
    let old = std::mem::replace(&mut comp.name, new.clone());
    if comp.renamed_from.is_none() {
        comp.renamed_from = Some(old.clone());
    }
    rename_type_refs(g, &old, &new);
    Some(format!("rename composite type {old:?} → {new:?}"))
}

/// An attribute added at the end, dropped, or (when no column uses the type) retyped.
fn change_composite_attribute(g: &mut Gen) -> Option<String> {
    if g.p.types.composites.is_empty() {
        return None;
    }
    let c = g.rng.below(g.p.types.composites.len());
    let name = g.p.types.composites[c].name.clone();
    let used = g.p.types.used(&name);
    let domains = g.p.types.domains.clone();
    let n = g.p.types.composites[c].attrs.len();
    match g.rng.below(3) {
        0 if n > 1 => {
            let i = g.rng.below(n);
            let a = g.p.types.composites[c].attrs.remove(i);
            Some(format!("composite {name:?} drop attribute {:?}", a.0))
        }
        1 if !used => {
            let i = g.rng.below(n);
            let old = g.p.types.composites[c].attrs[i].clone();
            let new = new_attribute(&mut g.rng, old.0.clone(), &domains);
            if new == old {
                return None;
            }
            g.p.types.composites[c].attrs[i] = new.clone();
            Some(format!(
                "composite {name:?} attribute {:?}: {} → {}",
                old.0,
                old.1.spell(),
                new.1.spell()
            ))
        }
        _ => {
            let a = g.rng.pick(ATTRIBUTE_NAMES).to_string();
            if g.p.types.composites[c].attrs.iter().any(|x| x.0 == a) {
                return None;
            }
            let new = new_attribute(&mut g.rng, a.clone(), &domains);
            g.p.types.composites[c].attrs.push(new);
            Some(format!("composite {name:?} add attribute {a:?}"))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------------------------

fn add_view(g: &mut Gen) -> Option<String> {
    let v = new_view(&mut g.rng, &g.p)?;
    let what = format!(
        "{} {}.{} over {:?}",
        if v.materialized {
            "materialized view"
        } else {
            "view"
        },
        v.source.0,
        v.name,
        v.source
    );
    g.p.views.push(v);
    Some(what)
}

fn drop_view(g: &mut Gen) -> Option<String> {
    if g.p.views.is_empty() {
        return None;
    }
    let v = g.p.views.remove(g.rng.below(g.p.views.len()));
    // Views over it go with it.
    g.p.views
        .retain(|o| !(o.over && o.source == (v.source.0.clone(), v.name.clone())));
    Some(format!("view {}.{}", v.source.0, v.name))
}

fn change_view(g: &mut Gen) -> Option<String> {
    if g.p.views.is_empty() {
        return None;
    }
    let i = g.rng.below(g.p.views.len());
    let v = &mut g.p.views[i];
    let what = match g.rng.below(7) {
        0 if !v.over => {
            v.star = !v.star;
            format!("star → {}", v.star)
        }
        1 => {
            v.ncols = 1 + (v.ncols % 3);
            format!("columns → {}", v.ncols)
        }
        2 => {
            v.filter = !v.filter;
            format!("filter → {}", v.filter)
        }
        3 => {
            v.materialized = !v.materialized;
            v.barrier = false;
            format!("materialized → {}", v.materialized)
        }
        4 => {
            v.comment = match v.comment {
                Some(_) => None,
                None => Some(format!("changed {}", v.name)),
            };
            format!("comment → {:?}", v.comment)
        }
        5 if v.materialized => {
            v.index = !v.index;
            format!("index → {}", v.index)
        }
        _ if !v.materialized => {
            v.barrier = !v.barrier;
            format!("security_barrier → {}", v.barrier)
        }
        _ => return None,
    };
    Some(format!("view {}.{}: {what}", v.source.0, v.name))
}

// ---------------------------------------------------------------------------------------------
// Functions
// ---------------------------------------------------------------------------------------------

fn add_function(g: &mut Gen) -> Option<String> {
    let f = new_function(&mut g.rng, &g.p);
    let what = format!("function {} {:?}", f.name, f.shape);
    g.p.functions.push(f);
    Some(what)
}

fn drop_function(g: &mut Gen) -> Option<String> {
    if g.p.functions.is_empty() {
        return None;
    }
    let f = g.p.functions.remove(g.rng.below(g.p.functions.len()));
    Some(format!("function {}", f.name))
}

/// A new body (`CREATE OR REPLACE`), or a new result shape (drop and create).
fn change_function(g: &mut Gen) -> Option<String> {
    if g.p.functions.is_empty() {
        return None;
    }
    let i = g.rng.below(g.p.functions.len());
    let f = &mut g.p.functions[i];
    if g.rng.chance(70) || matches!(f.shape, FnShape::Procedure | FnShape::Trigger) {
        f.version += 1;
        Some(format!("function {} body v{}", f.name, f.version))
    } else {
        f.shape = match f.shape {
            FnShape::SqlScalar => FnShape::PlpgsqlScalar,
            _ => FnShape::SqlScalar,
        };
        Some(format!("function {} → {:?}", f.name, f.shape))
    }
}
