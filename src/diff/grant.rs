//! Privileges: `GRANT`/`REVOKE` of managed grants. Compared only where both sides manage
//! the object's grants (`Some`): a project that declares none is never told to revoke
//! anything. A new object (or one this plan drops and creates again) starts from its kind's
//! default ACL; what the schema's default privileges (as they are before the change) may
//! have given it besides is revoked when the declaration lacks it, since whether they
//! apply depends on the role that runs the migration. Revokes run before grants, after
//! everything is created.

use super::Change;
use super::step::{Hazard, Phase, StepInfo, StepKind, object};
use crate::model::grant::{self, GrantKind, Grants};
use crate::model::id::{ObjectId, ObjectKind};
use crate::model::{Model, QualifiedName};

/// What privileges are granted on (or revoked from).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantTarget {
    pub kind: GrantKind,
    /// For a schema, `name` is the schema too.
    pub name: QualifiedName,
    pub column: Option<String>,
    /// A routine's signature (`GrantKind::Function` only).
    pub signature: Option<Signature>,
}

/// What `ON FUNCTION|PROCEDURE name(types)` names besides the name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    /// Input argument types, spelled as the model spells them.
    pub types: Vec<String>,
    pub procedure: bool,
}

impl GrantTarget {
    /// `public.t`, `public.t.c`, `billing` (a schema), `public.f(integer)` (as the
    /// routine's own steps name it).
    pub fn display(&self) -> String {
        match (self.kind, &self.signature) {
            (GrantKind::Schema, _) => crate::sql::display_path(&[&self.name.name]),
            (_, Some(sig)) => format!("{}({})", object(&self.name, None), sig.types.join(", ")),
            _ => object(&self.name, self.column.as_deref()),
        }
    }

    fn what(&self) -> &'static str {
        match self.kind {
            GrantKind::Table => "relation",
            GrantKind::Column => "column",
            GrantKind::Sequence => "sequence",
            GrantKind::Schema => "schema",
            GrantKind::Type => "type",
            GrantKind::Function => match &self.signature {
                Some(sig) if sig.procedure => "procedure",
                _ => "function",
            },
        }
    }

    fn after(&self) -> Option<ObjectId> {
        let (s, n) = (&self.name.schema, &self.name.name);
        Some(match (self.kind, &self.column) {
            (GrantKind::Column, Some(c)) => ObjectId::part(ObjectKind::Column, s, n, c),
            (GrantKind::Sequence, _) => ObjectId::new(ObjectKind::Sequence, s, n),
            (GrantKind::Schema, _) => ObjectId::new(ObjectKind::Schema, s, s),
            (GrantKind::Type, _) => ObjectId::new(ObjectKind::TypeName, s, n),
            (GrantKind::Function, _) => {
                let sig = self.signature.as_ref()?;
                let identity = format!("{n}({})", sig.types.join(", "));
                ObjectId::new(ObjectKind::Function, s, &identity)
            }
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GrantChange {
    Grant {
        target: GrantTarget,
        role: String,
        privileges: Vec<String>,
    },
    /// `implied`: revoked from a new object because the schema's default privileges may
    /// have granted it on creation (no client had it: no hazard).
    Revoke {
        target: GrantTarget,
        role: String,
        privileges: Vec<String>,
        implied: bool,
    },
    /// `ALTER DEFAULT PRIVILEGES FOR ROLE for_role IN SCHEMA schema GRANT|REVOKE … ON class`.
    Default {
        schema: String,
        for_role: String,
        class: String,
        role: String,
        privileges: Vec<String>,
        revoke: bool,
    },
}

/// Grant changes from `from` to `to`; `out` holds every other change already (recreated
/// objects lose their grants).
pub fn diff(out: &mut Vec<Change>, from: &Model, to: &Model) {
    let recreated = recreated(out);
    let mut revokes = Vec::new();
    let mut grants = Vec::new();
    grant::visit(to, |kind, schema, name, column, g| {
        let Some(g) = g else { return };
        let target = match kind {
            GrantKind::Function => {
                let Some((plain, types, procedure)) = grant::routine(to, schema, name) else {
                    return;
                };
                GrantTarget {
                    kind,
                    name: QualifiedName::new(schema, plain),
                    column: None,
                    signature: Some(Signature {
                        types: types.into_iter().map(str::to_string).collect(),
                        procedure,
                    }),
                }
            }
            _ => GrantTarget {
                kind,
                name: QualifiedName::new(schema, name),
                column: column.map(str::to_string),
                signature: None,
            },
        };
        let default;
        let mut implied = Grants::new();
        let base = match grant::lookup(from, kind, schema, name, column) {
            Some(None) => return,
            Some(Some(o)) if !recreated.contains(&(class(kind), target.display())) => o,
            _ => {
                default = kind.default_acl();
                if column.is_none() {
                    implied = by_default_privileges(from, kind, schema);
                }
                &default
            }
        };
        if base != g {
            changes(&target, base, g, &mut revokes, &mut grants);
        }
        for (role, privileges) in &implied {
            let keep = |p: &&String| {
                g.get(role).is_some_and(|l| l.contains(p))
                    || base.get(role).is_some_and(|l| l.contains(p))
            };
            let extra: Vec<String> = privileges.iter().filter(|p| !keep(p)).cloned().collect();
            if !extra.is_empty() {
                revokes.push(Change::Grant(GrantChange::Revoke {
                    target: target.clone(),
                    role: role.clone(),
                    privileges: extra,
                    implied: true,
                }));
            }
        }
    });
    defaults(from, to, &mut revokes, &mut grants);
    out.extend(revokes);
    out.extend(grants);
}

/// What the default privileges `model` declares in `schema` (for any role: schemactl does
/// not know which role runs the migration) grant an object of `kind` created there, in
/// the model's privilege order.
fn by_default_privileges(model: &Model, kind: GrantKind, schema: &str) -> Grants {
    let mut out = Grants::new();
    let Some(class) = grant::DEFAULT_CLASSES
        .iter()
        .find(|(_, k)| *k == kind)
        .map(|(c, _)| *c)
    else {
        return out;
    };
    let Some(defaults) = model
        .schemas
        .get(schema)
        .and_then(|s| s.default_privileges.as_deref())
    else {
        return out;
    };
    for g in defaults.values().filter_map(|m| m.get(class)) {
        for (role, privileges) in g {
            let list = out.entry(role.clone()).or_default();
            for p in privileges {
                if !list.contains(p) {
                    list.push(p.clone());
                }
            }
        }
    }
    for list in out.values_mut() {
        list.sort_by_key(|p| grant::ORDER.iter().position(|o| o == p));
    }
    out
}

/// Default privileges of every schema that manages them on both sides (a schema new in
/// `to` has none yet).
fn defaults(from: &Model, to: &Model, revokes: &mut Vec<Change>, grants: &mut Vec<Change>) {
    let empty = grant::DefaultPrivileges::new();
    let none = Grants::new();
    for (schema, s) in &to.schemas {
        let Some(new) = s.default_privileges.as_deref() else {
            continue;
        };
        let old = match from.schemas.get(schema) {
            None => &empty,
            Some(f) => match f.default_privileges.as_deref() {
                None => continue,
                Some(o) => o,
            },
        };
        let keys: std::collections::BTreeSet<(&String, &String)> = old
            .iter()
            .chain(new.iter())
            .flat_map(|(r, m)| m.keys().map(move |c| (r, c)))
            .collect();
        for (for_role, class) in keys {
            let o = old
                .get(for_role)
                .and_then(|m| m.get(class))
                .unwrap_or(&none);
            let n = new
                .get(for_role)
                .and_then(|m| m.get(class))
                .unwrap_or(&none);
            let roles: std::collections::BTreeSet<&String> = o.keys().chain(n.keys()).collect();
            for role in roles {
                let op = o.get(role).map(Vec::as_slice).unwrap_or(&[]);
                let np = n.get(role).map(Vec::as_slice).unwrap_or(&[]);
                for (revoke, list, into) in [
                    (true, diff_list(op, np), &mut *revokes),
                    (false, diff_list(np, op), &mut *grants),
                ] {
                    if !list.is_empty() {
                        into.push(Change::Grant(GrantChange::Default {
                            schema: schema.clone(),
                            for_role: for_role.clone(),
                            class: class.clone(),
                            role: role.clone(),
                            privileges: list,
                            revoke,
                        }));
                    }
                }
            }
        }
    }
}

/// What `a` has that `b` lacks.
fn diff_list(a: &[String], b: &[String]) -> Vec<String> {
    a.iter().filter(|p| !b.contains(p)).cloned().collect()
}

fn changes(
    t: &GrantTarget,
    old: &Grants,
    new: &Grants,
    revokes: &mut Vec<Change>,
    grants: &mut Vec<Change>,
) {
    let roles: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let none = Vec::new();
    for role in roles {
        let o = old.get(role).unwrap_or(&none);
        let n = new.get(role).unwrap_or(&none);
        let gone: Vec<String> = o.iter().filter(|p| !n.contains(p)).cloned().collect();
        let added: Vec<String> = n.iter().filter(|p| !o.contains(p)).cloned().collect();
        if !gone.is_empty() {
            revokes.push(Change::Grant(GrantChange::Revoke {
                target: t.clone(),
                role: role.clone(),
                privileges: gone,
                implied: false,
            }));
        }
        if !added.is_empty() {
            grants.push(Change::Grant(GrantChange::Grant {
                target: t.clone(),
                role: role.clone(),
                privileges: added,
            }));
        }
    }
}

/// Recreated objects are matched by class (relation, column, type) and display path.
fn class(kind: GrantKind) -> u8 {
    match kind {
        GrantKind::Table | GrantKind::Sequence => 0,
        GrantKind::Column => 1,
        GrantKind::Type | GrantKind::Function => 2,
        GrantKind::Schema => 3,
    }
}

/// Objects that `out` drops (and so creates again, if they are still in `to`).
fn recreated(out: &[Change]) -> std::collections::BTreeSet<(u8, String)> {
    out.iter()
        .filter_map(|c| c.step())
        .filter_map(|s| {
            let class = match s.kind {
                StepKind::DropTable
                | StepKind::DropView
                | StepKind::DropMaterializedView
                | StepKind::DropSequence => 0,
                StepKind::DropColumn | StepKind::DropGeneratedColumn => 1,
                StepKind::DropEnum
                | StepKind::RecreateEnum
                | StepKind::DropDomain
                | StepKind::RecreateDomain
                | StepKind::DropCompositeType
                | StepKind::DropFunction
                | StepKind::DropProcedure
                | StepKind::DropAggregate => 2,
                StepKind::DropSchema => 3,
                _ => return None,
            };
            Some((class, s.object))
        })
        .collect()
}

pub(super) fn step(c: &GrantChange) -> StepInfo {
    if let GrantChange::Default {
        schema,
        for_role,
        class,
        revoke,
        ..
    } = c
    {
        let object = format!(
            "{} (default privileges on {class} for {})",
            crate::sql::display_path(&[schema]),
            crate::sql::display_path(&[for_role])
        );
        let info = if *revoke {
            StepInfo::new(
                StepKind::Revoke,
                object,
                vec![Hazard::BreaksClients],
                Phase::Revoke,
            )
        } else {
            StepInfo::new(StepKind::Grant, object, vec![], Phase::Grant)
        };
        return info.after(ObjectId::new(ObjectKind::Schema, schema, schema));
    }
    let (kind, target, hazards, phase) = match c {
        GrantChange::Grant { target, .. } => (StepKind::Grant, target, vec![], Phase::Grant),
        GrantChange::Revoke {
            target, implied, ..
        } => (
            StepKind::Revoke,
            target,
            if *implied {
                vec![]
            } else {
                vec![Hazard::BreaksClients]
            },
            Phase::Revoke,
        ),
        GrantChange::Default { .. } => unreachable!("handled above"),
    };
    let info = StepInfo::new(kind, target.display(), hazards, phase);
    match target.after() {
        Some(id) => info.after(id),
        None => info,
    }
}

pub(super) fn deviation(c: &GrantChange) -> String {
    match c {
        GrantChange::Default {
            schema,
            for_role,
            class,
            role,
            privileges,
            revoke,
        } => format!(
            "{}: default {} on {class} in schema {schema} for role {for_role} to {role}",
            if *revoke {
                "missing from the database"
            } else {
                "extra in the database"
            },
            privileges.join(", "),
        ),
        GrantChange::Grant {
            target,
            role,
            privileges,
        } => format!(
            "extra in the database: {} on {} {} to {role}",
            privileges.join(", "),
            target.what(),
            target.display()
        ),
        GrantChange::Revoke {
            target,
            role,
            privileges,
            ..
        } => format!(
            "missing from the database: {} on {} {} to {role}",
            privileges.join(", "),
            target.what(),
            target.display()
        ),
    }
}
