//! Privileges read back (`queries::GRANTS`): every object of the model (routines by
//! identity) gets its grants, the
//! kind's default ACL where PostgreSQL keeps none (a NULL ACL), so that `diff` compares
//! whatever a project manages. Privileges are kept in `model::grant::ORDER`.

use std::collections::BTreeMap;

use postgres::Row;

use crate::model::Model;
use crate::model::function::type_spelling;
use crate::model::grant::{self, GrantKind, Grants};

/// Schema → object name → (kind, column, grants) of every ACL the query returned.
type Read = BTreeMap<String, BTreeMap<String, Vec<(GrantKind, Option<String>, Grants)>>>;

pub(super) fn grants(model: &mut Model, rows: &[Row]) {
    let mut read = Read::new();
    let mut defaults: BTreeMap<String, grant::DefaultPrivileges> = BTreeMap::new();
    for row in rows {
        let kind: String = row.get(0);
        if kind == "d" {
            let class = match row.get::<_, Option<String>>(3).as_deref() {
                Some("r") => "tables",
                Some("S") => "sequences",
                Some("f") => "functions",
                Some("T") => "types",
                _ => continue,
            };
            let acl = defaults
                .entry(row.get(1))
                .or_default()
                .entry(row.get(2))
                .or_default()
                .entry(class.to_string())
                .or_default();
            if let (Some(role), Some(privilege)) = (
                row.get::<_, Option<String>>(4),
                row.get::<_, Option<String>>(5),
            ) {
                acl.entry(role).or_default().push(privilege);
            }
            continue;
        }
        let kind = match kind.as_str() {
            "n" => GrantKind::Schema,
            "r" => GrantKind::Table,
            "S" => GrantKind::Sequence,
            "c" => GrantKind::Column,
            "f" => GrantKind::Function,
            _ => GrantKind::Type,
        };
        let column: Option<String> = row.get(3);
        let mut name: String = row.get(2);
        if let Some(args) = row.get::<_, Option<Vec<String>>>(6) {
            // A routine is keyed by its identity, as `catalog::function` spells it.
            let types: Vec<String> = args.iter().map(|t| type_spelling(t)).collect();
            name = format!("{name}({})", types.join(", "));
        }
        let list = read.entry(row.get(1)).or_default().entry(name).or_default();
        let i = match list.iter().position(|(k, c, _)| *k == kind && *c == column) {
            Some(i) => i,
            None => {
                list.push((kind, column, Grants::new()));
                list.len() - 1
            }
        };
        let (Some(role), Some(privilege)) = (
            row.get::<_, Option<String>>(4),
            row.get::<_, Option<String>>(5),
        ) else {
            continue;
        };
        list[i].2.entry(role).or_default().push(privilege);
    }
    for (_, _, acl) in read.values_mut().flat_map(|m| m.values_mut()).flatten() {
        for privs in acl.values_mut() {
            grant::normalise(privs);
        }
    }
    for (schema, s) in model.schemas.iter_mut() {
        let mut d = defaults.remove(schema).unwrap_or_default();
        for classes in d.values_mut() {
            classes.retain(|_, g| !g.is_empty());
            for g in classes.values_mut() {
                for privs in g.values_mut() {
                    grant::normalise(privs);
                }
            }
        }
        d.retain(|_, classes| !classes.is_empty());
        s.default_privileges = Some(Box::new(d));
    }
    grant::for_each_slot(model, |kind, schema, name, column, slot| {
        let found = read
            .get_mut(schema)
            .and_then(|m| m.get_mut(name))
            .and_then(|list| {
                let i = list
                    .iter()
                    .position(|(k, c, _)| *k == kind && c.as_deref() == column)?;
                Some(list.swap_remove(i).2)
            });
        *slot = Some(Box::new(found.unwrap_or_else(|| kind.default_acl())));
    });
}
