//! `grants = { role = ["privilege", …], … }` on an object (or `schema_grants` at the top of
//! a schema file): read as written; `compile::grant` checks and normalises it.

use super::reader::{Reader, Sp, table_items};
use crate::diag::Span;

/// Role → privileges, as written (with spans), in the order written.
pub type RawGrants = Sp<Vec<(Sp<String>, Sp<Vec<Sp<String>>>)>>;

/// The `grants` key of `r`, reporting values of the wrong shape.
pub fn read(r: &mut Reader<'_, '_>) -> Option<RawGrants> {
    read_key(r, "grants")
}

/// The grants under `key` (`schema_grants`).
pub fn read_key(r: &mut Reader<'_, '_>, key: &str) -> Option<RawGrants> {
    let mut t = r.table(key)?;
    let tspan = t.span.clone();
    let mut out = Vec::new();
    let roles: Vec<String> = t
        .table
        .iter()
        .map(|(k, _)| k.get_ref().to_string())
        .collect();
    for role in roles {
        let kspan = t.key_span(&role).unwrap_or_else(|| tspan.clone());
        let Some(privs) = t.strings(&role) else {
            continue;
        };
        out.push((Sp::new(role, kspan), privs));
    }
    if out.is_empty() && !t.table.is_empty() {
        return None;
    }
    Some(Sp::new(out, tspan))
}

/// One `[[default_privileges]]` entry of a schema file (its schema is the file's).
#[derive(Debug)]
pub struct RawDefaultPrivilege {
    pub span: Span,
    pub for_role: Option<Sp<String>>,
    pub on: Option<Sp<String>>,
    pub grants: Option<RawGrants>,
}

pub(crate) const DEFAULT_PRIVILEGE_KEYS: &[&str] = &["for_role", "on", "grants"];

/// The `[[default_privileges]]` entries of a schema file.
pub fn read_defaults(r: &mut Reader<'_, '_>) -> Vec<RawDefaultPrivilege> {
    let Some(v) = r.raw("default_privileges") else {
        return Vec::new();
    };
    let file = r.file;
    let mut out = Vec::new();
    for (t, span) in table_items(file, v, "default_privileges", r.diags) {
        let mut d = Reader {
            file,
            table: t,
            span: span.clone(),
            diags: r.diags,
        };
        d.deny_unknown("default privileges", DEFAULT_PRIVILEGE_KEYS);
        out.push(RawDefaultPrivilege {
            span,
            for_role: d.string("for_role"),
            on: d.string("on"),
            grants: read(&mut d),
        });
    }
    out
}
