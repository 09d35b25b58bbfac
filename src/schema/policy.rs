//! Row-level security of a table definition: `row_level_security`,
//! `force_row_level_security` and `[tables.T.policies.NAME]`. Read into raw, unresolved
//! definitions; checked in `compile::policy`.

use super::reader::{Reader, Sp, entries};
use crate::diag::Span;

/// `[tables.T.policies.NAME]`.
#[derive(Debug)]
pub struct RawPolicy {
    pub name: Sp<String>,
    pub span: Span,
    pub command: Option<Sp<String>>,
    pub permissive: Option<Sp<bool>>,
    /// `as = "permissive" | "restrictive"` (an alternative spelling of `permissive`).
    pub as_: Option<Sp<String>>,
    pub roles: Option<Sp<Vec<Sp<String>>>>,
    pub using: Option<Sp<String>>,
    pub with_check: Option<Sp<String>>,
    pub comment: Option<Sp<String>>,
    /// `ALTER POLICY … RENAME TO` this name from `renamed_from`.
    pub renamed_from: Option<Sp<String>>,
}

/// The row-level security keys of a table.
#[derive(Debug, Default)]
pub struct RawRowSecurity {
    pub enabled: Option<Sp<bool>>,
    pub forced: Option<Sp<bool>>,
    pub policies: Vec<RawPolicy>,
}

pub(crate) const POLICY_KEYS: &[&str] = &[
    "command",
    "permissive",
    "as",
    "roles",
    "using",
    "with_check",
    "comment",
    "renamed_from",
];

pub fn read_row_security(r: &mut Reader<'_, '_>) -> RawRowSecurity {
    let enabled = r.bool("row_level_security");
    let forced = r.bool("force_row_level_security");
    let mut policies = Vec::new();
    let file = r.file;
    if let Some(p) = r.table("policies") {
        let list = entries(file, p.table, "policy", p.diags);
        policies.reserve_exact(list.len());
        for (name, t, pspan) in list {
            let Some(t) = t else { continue };
            let mut q = Reader {
                file,
                table: t,
                span: pspan.clone(),
                diags: p.diags,
            };
            q.deny_unknown(&format!("policy `{}`", name.value), POLICY_KEYS);
            policies.push(RawPolicy {
                command: q.string("command"),
                permissive: q.bool("permissive"),
                as_: q.string("as"),
                roles: q.strings("roles"),
                using: q.string("using"),
                with_check: q.string("with_check"),
                comment: q.string("comment"),
                renamed_from: q.string("renamed_from"),
                name,
                span: pspan,
            });
        }
    }
    RawRowSecurity {
        enabled,
        forced,
        policies,
    }
}
