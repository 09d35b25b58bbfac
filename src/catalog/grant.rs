//! Privileges read back (`queries::GRANTS`): every object of the model gets its grants, the
//! kind's default ACL where PostgreSQL keeps none (a NULL ACL), so that `diff` compares
//! whatever a project manages. Privileges are kept in `model::grant::ORDER`.

use std::collections::BTreeMap;

use postgres::Row;

use crate::model::Model;
use crate::model::grant::{self, GrantKind, Grants, Key};

pub(super) fn grants(model: &mut Model, rows: &[Row]) {
    let mut read: BTreeMap<Key, Grants> = BTreeMap::new();
    for row in rows {
        let kind: String = row.get(0);
        let kind = match kind.as_str() {
            "n" => GrantKind::Schema,
            "r" => GrantKind::Table,
            "S" => GrantKind::Sequence,
            "c" => GrantKind::Column,
            _ => GrantKind::Type,
        };
        let key: Key = (kind, row.get(1), row.get(2), row.get(3));
        let acl = read.entry(key).or_default();
        let (Some(role), Some(privilege)) = (
            row.get::<_, Option<String>>(4),
            row.get::<_, Option<String>>(5),
        ) else {
            continue;
        };
        acl.entry(role).or_default().push(privilege);
    }
    for acl in read.values_mut() {
        for privs in acl.values_mut() {
            grant::normalise(privs);
        }
    }
    grant::for_each_slot(model, |key, slot| {
        let found = read.remove(&key);
        *slot = Some(found.unwrap_or_else(|| key.0.default_acl()));
    });
}
