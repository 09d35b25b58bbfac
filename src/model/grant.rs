//! Privileges (`GRANT`/`REVOKE`): which roles hold which privileges on an object.
//!
//! Opt-in per object: `None` (no `grants` key) leaves the object's ACL unmanaged and never
//! compared; `Some` manages its full ACL apart from the owner's own privileges, so a grant
//! the database has and the project does not declare is drift and is revoked.

use std::collections::BTreeMap;

use super::Model;

/// Role (`public` for the PUBLIC pseudo-role) → privileges in PostgreSQL's order
/// ([`ORDER`]), lower case as in SQL (`select`, `usage`, …). A role with no privileges is
/// not a key.
pub type Grants = BTreeMap<String, Vec<String>>;

/// The PUBLIC pseudo-role, as written in TOML and the model.
pub const PUBLIC: &str = "public";

/// Every privilege, in the order of PostgreSQL's ACL letters (`arwdDxtmXUCTc`), which is
/// the order the model keeps and the SQL lists them.
pub const ORDER: &[&str] = &[
    "insert",
    "select",
    "update",
    "delete",
    "truncate",
    "references",
    "trigger",
    "maintain",
    "execute",
    "usage",
    "create",
    "temporary",
    "connect",
];

/// What kind of object a grant is on: decides the valid privileges, what `all` means and
/// the ACL an object has before any grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GrantKind {
    /// Tables, partitions, views and materialized views (`ON TABLE`).
    Table,
    /// One column of a table (`GRANT … (column) ON TABLE`).
    Column,
    Sequence,
    Schema,
    /// Enums, domains and composite types (`ON TYPE` / `ON DOMAIN`).
    Type,
}

impl GrantKind {
    /// The privileges the kind takes, in [`ORDER`].
    pub fn privileges(self) -> &'static [&'static str] {
        match self {
            GrantKind::Table => &[
                "insert",
                "select",
                "update",
                "delete",
                "truncate",
                "references",
                "trigger",
                "maintain",
            ],
            GrantKind::Column => &["insert", "select", "update", "references"],
            GrantKind::Sequence => &["select", "update", "usage"],
            GrantKind::Schema => &["usage", "create"],
            GrantKind::Type => &["usage"],
        }
    }

    /// What `all` expands to: every privilege of the kind except `maintain` (PostgreSQL 17
    /// only; `GRANT ALL` is never rendered, so 14–16 and 17 read back the same).
    pub fn all(self) -> Vec<String> {
        self.privileges()
            .iter()
            .filter(|p| **p != "maintain")
            .map(|p| p.to_string())
            .collect()
    }

    /// The ACL of a new object of the kind, apart from its owner: PUBLIC may use types,
    /// nothing else is granted to anyone.
    pub fn default_acl(self) -> Grants {
        match self {
            GrantKind::Type => [(PUBLIC.to_string(), vec!["usage".to_string()])].into(),
            _ => Grants::new(),
        }
    }

    /// The SQL object keyword of `GRANT … ON <keyword> name`.
    pub fn keyword(self) -> &'static str {
        match self {
            GrantKind::Table | GrantKind::Column => "TABLE",
            GrantKind::Sequence => "SEQUENCE",
            GrantKind::Schema => "SCHEMA",
            GrantKind::Type => "TYPE",
        }
    }
}

/// Sort `privs` into [`ORDER`] and drop repeats.
pub fn normalise(privs: &mut Vec<String>) {
    privs.sort_by_key(|p| ORDER.iter().position(|o| o == p).unwrap_or(usize::MAX));
    privs.dedup();
}

/// Every grantable object of a model with its kind, as a mutable slot, visited in a fixed
/// order. The `key` names the object: `(kind, schema, name, column)`.
pub type Key = (GrantKind, String, String, Option<String>);

/// Visit every object's grants slot.
pub fn for_each_slot(model: &mut Model, mut f: impl FnMut(Key, &mut Option<Grants>)) {
    for (sn, s) in model.schemas.iter_mut() {
        f(
            (GrantKind::Schema, sn.clone(), sn.clone(), None),
            &mut s.grants,
        );
        for (n, t) in s.tables.iter_mut() {
            f(
                (GrantKind::Table, sn.clone(), n.clone(), None),
                &mut t.grants,
            );
            for c in t.columns.iter_mut() {
                f(
                    (
                        GrantKind::Column,
                        sn.clone(),
                        n.clone(),
                        Some(c.name.clone()),
                    ),
                    &mut c.grants,
                );
            }
        }
        for (n, v) in s.views.iter_mut().chain(s.materialized_views.iter_mut()) {
            f(
                (GrantKind::Table, sn.clone(), n.clone(), None),
                &mut v.grants,
            );
        }
        for (n, q) in s.sequences.iter_mut() {
            f(
                (GrantKind::Sequence, sn.clone(), n.clone(), None),
                &mut q.grants,
            );
        }
        for (n, e) in s.enums.iter_mut() {
            f(
                (GrantKind::Type, sn.clone(), n.clone(), None),
                &mut e.grants,
            );
        }
        for (n, d) in s.domains.iter_mut() {
            f(
                (GrantKind::Type, sn.clone(), n.clone(), None),
                &mut d.grants,
            );
        }
        for (n, c) in s.composite_types.iter_mut() {
            f(
                (GrantKind::Type, sn.clone(), n.clone(), None),
                &mut c.grants,
            );
        }
    }
}

/// Every object's grants (by key), `None` included.
pub fn collect(model: &Model) -> BTreeMap<Key, Option<Grants>> {
    let mut out = BTreeMap::new();
    // A clone is avoided by visiting through a shared walk of the same shape.
    for (sn, s) in &model.schemas {
        out.insert(
            (GrantKind::Schema, sn.clone(), sn.clone(), None),
            s.grants.clone(),
        );
        for (n, t) in &s.tables {
            out.insert(
                (GrantKind::Table, sn.clone(), n.clone(), None),
                t.grants.clone(),
            );
            for c in &t.columns {
                out.insert(
                    (
                        GrantKind::Column,
                        sn.clone(),
                        n.clone(),
                        Some(c.name.clone()),
                    ),
                    c.grants.clone(),
                );
            }
        }
        for (n, v) in s.views.iter().chain(&s.materialized_views) {
            out.insert(
                (GrantKind::Table, sn.clone(), n.clone(), None),
                v.grants.clone(),
            );
        }
        for (n, q) in &s.sequences {
            out.insert(
                (GrantKind::Sequence, sn.clone(), n.clone(), None),
                q.grants.clone(),
            );
        }
        for (n, e) in &s.enums {
            out.insert(
                (GrantKind::Type, sn.clone(), n.clone(), None),
                e.grants.clone(),
            );
        }
        for (n, d) in &s.domains {
            out.insert(
                (GrantKind::Type, sn.clone(), n.clone(), None),
                d.grants.clone(),
            );
        }
        for (n, c) in &s.composite_types {
            out.insert(
                (GrantKind::Type, sn.clone(), n.clone(), None),
                c.grants.clone(),
            );
        }
    }
    out
}

/// Before planning from `target` (the head snapshot) to `declared`: an object `declared`
/// starts managing the grants of, which `target` has without grants (never managed), starts
/// from its kind's default ACL, so the declared grants are planned. Nothing else changes:
/// `diff` compares grants only where both sides manage them.
pub fn adopt(target: &mut Model, declared: &Model) {
    let declared = collect(declared);
    for_each_slot(target, |key, slot| {
        if slot.is_none() && matches!(declared.get(&key), Some(Some(_))) {
            *slot = Some(key.0.default_acl());
        }
    });
}

/// Every role named by a grant of the model, PUBLIC excluded.
pub fn roles(model: &Model) -> std::collections::BTreeSet<String> {
    collect(model)
        .into_values()
        .flatten()
        .flat_map(|g| g.into_keys())
        .filter(|r| r != PUBLIC)
        .collect()
}
