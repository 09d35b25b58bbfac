//! Privileges: `grants = { role = [privileges] }` on an object whose ACL is not its kind's
//! default (PostgreSQL's starting ACL: nothing for relations and sequences, `USAGE` for PUBLIC
//! on types), `schema_grants` on a schema file, `[[default_privileges]]` entries. An object
//! left at its default ACL gets no `grants` key and stays unmanaged, as a person would write
//! it (declaring `grants` makes the whole ACL managed).

use super::writer::{self, Doc, Val};
use crate::model::Schema;
use crate::model::grant::{GrantKind, Grants, PUBLIC};

/// The `grants` value of an object, when its ACL is not the kind's default.
pub(super) fn value(g: &Option<Box<Grants>>, kind: GrantKind) -> Option<Val> {
    let g = g.as_deref()?;
    (*g != kind.default_acl()).then(|| writer::grants(g))
}

/// `grants = …` as a line of the object's table.
pub(super) fn line(doc: &mut Doc, g: &Option<Box<Grants>>, kind: GrantKind) {
    if let Some(v) = value(g, kind) {
        doc.kv("grants", v);
    }
}

/// `schema_grants` (unless the schema's ACL is PostgreSQL's default: nothing, or for
/// `public` the `USAGE` — and before PostgreSQL 15 `CREATE` — it grants PUBLIC) and the
/// schema's default privileges.
pub(super) fn schema_level(doc: &mut Doc, schema: &str, s: &Schema) {
    if let Some(g) = s.grants.as_deref() {
        let public_default = |privs: &[&str]| -> Grants {
            [(
                PUBLIC.to_string(),
                privs.iter().map(|p| p.to_string()).collect(),
            )]
            .into()
        };
        let default = g.is_empty()
            || (schema == "public"
                && (*g == public_default(&["usage"])
                    || *g == public_default(&["usage", "create"])));
        if !default {
            doc.blank();
            doc.kv("schema_grants", writer::grants(g));
        }
    }
    if let Some(d) = s.default_privileges.as_deref() {
        for (role, classes) in d {
            for (class, g) in classes {
                doc.array_table(&["default_privileges"]);
                doc.kv("for_role", writer::string(role));
                doc.kv("on", writer::string(class));
                doc.kv("grants", writer::grants(g));
            }
        }
    }
}
