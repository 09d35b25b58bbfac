//! Row-level security policies (`pg_policy`) read into their tables. The flags
//! (`relrowsecurity`, `relforcerowsecurity`) come with the tables (`queries::COLUMNS`).

use postgres::Row;

use super::Reader;
use crate::model::{Expr, Policy, PolicyCommand};

impl Reader<'_> {
    /// One row of `queries::POLICIES`. Expressions come back as `pg_get_expr` prints them
    /// (parenthesised, with casts); `Expr::canonical` absorbs that, and the literals are
    /// typed with the table's columns after the read (`Model::type_literals`).
    pub(super) fn policy(&mut self, row: &Row) {
        let schema: String = row.get(0);
        let tname: String = row.get(1);
        let name: String = row.get(2);
        if self.ignored_part(&schema, &tname, &name) {
            return;
        }
        let polcmd: String = row.get(3);
        let permissive: bool = row.get(4);
        let roles: Vec<String> = row.get(5);
        let using: Option<String> = row.get(6);
        let with_check: Option<String> = row.get(7);
        let comment: Option<String> = row.get(8);
        let what = format!("policy {name} on table {schema}.{tname}");
        let Some(command) = PolicyCommand::from_polcmd(&polcmd) else {
            self.skip(format!("{what}: unknown command `{polcmd}`"));
            return;
        };
        let parse = |text: Option<String>| -> Result<Option<Expr>, String> {
            text.map(|t| Expr::parse(&t).map_err(|e| format!("cannot read `{t}`: {e}")))
                .transpose()
        };
        let (using, with_check) = match (parse(using), parse(with_check)) {
            (Ok(u), Ok(w)) => (u, w),
            (Err(e), _) | (_, Err(e)) => {
                self.skip(format!("{what}: {e}"));
                return;
            }
        };
        let Some(table) = self.table_mut(&schema, &tname) else {
            return;
        };
        table.policies.insert(
            name,
            Policy {
                command,
                restrictive: !permissive,
                roles: Policy::normalise_roles(roles),
                using,
                with_check,
                comment,
            },
        );
    }
}
