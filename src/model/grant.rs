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

/// `ALTER DEFAULT PRIVILEGES FOR ROLE r IN SCHEMA s`: for-role → object class (`tables`,
/// `sequences`, `functions`, `types`) → grants. A class with no grants is not a key.
pub type DefaultPrivileges = BTreeMap<String, BTreeMap<String, Grants>>;

/// The object classes of default privileges, with the kind whose privileges they take.
pub const DEFAULT_CLASSES: &[(&str, GrantKind)] = &[
    ("tables", GrantKind::Table),
    ("sequences", GrantKind::Sequence),
    ("functions", GrantKind::Function),
    ("types", GrantKind::Type),
];

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
    /// Functions, procedures and aggregates (`ON FUNCTION|PROCEDURE name(types)`), keyed by
    /// identity (`name(type, …)`).
    Function,
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
            GrantKind::Function => &["execute"],
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
            GrantKind::Function => [(PUBLIC.to_string(), vec!["execute".to_string()])].into(),
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
            GrantKind::Function => "FUNCTION",
        }
    }
}

/// Sort `privs` into [`ORDER`] and drop repeats.
pub fn normalise(privs: &mut Vec<String>) {
    privs.sort_by_key(|p| ORDER.iter().position(|o| o == p).unwrap_or(usize::MAX));
    privs.dedup();
}

/// Visit every object's grants slot, in a fixed order: `f(kind, schema, name, column,
/// slot)`.
pub fn for_each_slot(
    model: &mut Model,
    mut f: impl FnMut(GrantKind, &str, &str, Option<&str>, &mut Option<Box<Grants>>),
) {
    for (sn, s) in model.schemas.iter_mut() {
        f(GrantKind::Schema, sn, sn, None, &mut s.grants);
        for (n, t) in s.tables.iter_mut() {
            f(GrantKind::Table, sn, n, None, &mut t.grants);
            for c in t.columns.iter_mut() {
                f(GrantKind::Column, sn, n, Some(&c.name), &mut c.grants);
            }
        }
        for (n, v) in s.views.iter_mut().chain(s.materialized_views.iter_mut()) {
            f(GrantKind::Table, sn, n, None, &mut v.grants);
        }
        for (n, q) in s.sequences.iter_mut() {
            f(GrantKind::Sequence, sn, n, None, &mut q.grants);
        }
        for (n, e) in s.enums.iter_mut() {
            f(GrantKind::Type, sn, n, None, &mut e.grants);
        }
        for (n, d) in s.domains.iter_mut() {
            f(GrantKind::Type, sn, n, None, &mut d.grants);
        }
        for (n, c) in s.composite_types.iter_mut() {
            f(GrantKind::Type, sn, n, None, &mut c.grants);
        }
        for (n, r) in s.functions.iter_mut() {
            f(GrantKind::Function, sn, n, None, &mut r.grants);
        }
        for (n, a) in s.aggregates.iter_mut() {
            f(GrantKind::Function, sn, n, None, &mut a.grants);
        }
    }
}

/// Visit every object's grants (`None` included) without copying them, in a fixed order:
/// `f(kind, schema, name, column, grants)`.
pub fn visit<'m>(
    model: &'m Model,
    mut f: impl FnMut(GrantKind, &'m str, &'m str, Option<&'m str>, Option<&'m Grants>),
) {
    for (sn, s) in &model.schemas {
        f(GrantKind::Schema, sn, sn, None, s.grants.as_deref());
        for (n, t) in &s.tables {
            f(GrantKind::Table, sn, n, None, t.grants.as_deref());
            for c in &t.columns {
                f(GrantKind::Column, sn, n, Some(&c.name), c.grants.as_deref());
            }
        }
        for (n, v) in s.views.iter().chain(&s.materialized_views) {
            f(GrantKind::Table, sn, n, None, v.grants.as_deref());
        }
        for (n, q) in &s.sequences {
            f(GrantKind::Sequence, sn, n, None, q.grants.as_deref());
        }
        for (n, e) in &s.enums {
            f(GrantKind::Type, sn, n, None, e.grants.as_deref());
        }
        for (n, d) in &s.domains {
            f(GrantKind::Type, sn, n, None, d.grants.as_deref());
        }
        for (n, c) in &s.composite_types {
            f(GrantKind::Type, sn, n, None, c.grants.as_deref());
        }
        for (n, r) in &s.functions {
            f(GrantKind::Function, sn, n, None, r.grants.as_deref());
        }
        for (n, a) in &s.aggregates {
            f(GrantKind::Function, sn, n, None, a.grants.as_deref());
        }
    }
}

/// A routine's name, input argument types (model spelling) and whether it is a procedure,
/// from its identity: what `GRANT … ON FUNCTION|PROCEDURE name(types)` names.
pub fn routine<'m>(
    model: &'m Model,
    schema: &str,
    identity: &str,
) -> Option<(&'m str, Vec<&'m str>, bool)> {
    let s = model.schemas.get(schema)?;
    if let Some(f) = s.functions.get(identity) {
        return Some((&f.name, f.input_types(), f.procedure));
    }
    let a = s.aggregates.get(identity)?;
    Some((&a.name, a.args.iter().map(String::as_str).collect(), false))
}

/// The grants of one object: `None` when the model has no such object, `Some(None)` when
/// it has the object without managed grants.
pub fn lookup<'m>(
    model: &'m Model,
    kind: GrantKind,
    schema: &str,
    name: &str,
    column: Option<&str>,
) -> Option<Option<&'m Grants>> {
    let s = model.schemas.get(schema)?;
    Some(match kind {
        GrantKind::Schema => s.grants.as_deref(),
        GrantKind::Table => match s.tables.get(name) {
            Some(t) => t.grants.as_deref(),
            None => s
                .views
                .get(name)
                .or_else(|| s.materialized_views.get(name))?
                .grants
                .as_deref(),
        },
        GrantKind::Column => s
            .tables
            .get(name)?
            .columns
            .iter()
            .find(|c| Some(c.name.as_str()) == column)?
            .grants
            .as_deref(),
        GrantKind::Sequence => s.sequences.get(name)?.grants.as_deref(),
        GrantKind::Function => match s.functions.get(name) {
            Some(f) => f.grants.as_deref(),
            None => s.aggregates.get(name)?.grants.as_deref(),
        },
        GrantKind::Type => match s.enums.get(name) {
            Some(e) => e.grants.as_deref(),
            None => match s.domains.get(name) {
                Some(d) => d.grants.as_deref(),
                None => s.composite_types.get(name)?.grants.as_deref(),
            },
        },
    })
}

/// Before planning from `target` (the head snapshot) to `declared`: an object `declared`
/// starts managing the grants of, which `target` has without grants (never managed), starts
/// from its kind's default ACL, so the declared grants are planned. Nothing else changes:
/// `diff` compares grants only where both sides manage them.
pub fn adopt(target: &mut Model, declared: &Model) {
    for (name, s) in target.schemas.iter_mut() {
        let manages = declared
            .schemas
            .get(name)
            .is_some_and(|d| d.default_privileges.is_some());
        if manages && s.default_privileges.is_none() {
            s.default_privileges = Some(Box::default());
        }
    }
    for_each_slot(target, |kind, schema, name, column, slot| {
        if slot.is_none() && matches!(lookup(declared, kind, schema, name, column), Some(Some(_))) {
            *slot = Some(Box::new(kind.default_acl()));
        }
    });
}
