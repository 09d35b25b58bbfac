//! Row-level security: a table's `ENABLE`/`FORCE ROW LEVEL SECURITY` flags (on
//! [`crate::model::Table`]) and its policies (`CREATE POLICY`).

use serde::{Deserialize, Serialize};

use super::{Expr, is_false};

/// `CREATE POLICY name ON table [AS RESTRICTIVE] [FOR command] [TO roles] [USING (…)]
/// [WITH CHECK (…)]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    #[serde(default, skip_serializing_if = "PolicyCommand::is_all")]
    pub command: PolicyCommand,
    /// `AS RESTRICTIVE` (the default is permissive).
    #[serde(default, skip_serializing_if = "is_false")]
    pub restrictive: bool,
    /// Role names, sorted and distinct; empty means `PUBLIC`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub using: Option<Expr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with_check: Option<Expr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// `FOR …`: the commands a policy applies to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyCommand {
    #[default]
    All,
    Select,
    Insert,
    Update,
    Delete,
}

impl PolicyCommand {
    pub fn is_all(&self) -> bool {
        *self == PolicyCommand::All
    }

    /// The TOML spelling (`select`).
    pub fn parse(s: &str) -> Option<PolicyCommand> {
        Some(match s {
            "all" => PolicyCommand::All,
            "select" => PolicyCommand::Select,
            "insert" => PolicyCommand::Insert,
            "update" => PolicyCommand::Update,
            "delete" => PolicyCommand::Delete,
            _ => return None,
        })
    }

    /// `pg_policy.polcmd`.
    pub fn from_polcmd(c: &str) -> Option<PolicyCommand> {
        Some(match c {
            "*" => PolicyCommand::All,
            "r" => PolicyCommand::Select,
            "a" => PolicyCommand::Insert,
            "w" => PolicyCommand::Update,
            "d" => PolicyCommand::Delete,
            _ => return None,
        })
    }

    /// The SQL keyword after `FOR`.
    pub fn keyword(self) -> &'static str {
        match self {
            PolicyCommand::All => "ALL",
            PolicyCommand::Select => "SELECT",
            PolicyCommand::Insert => "INSERT",
            PolicyCommand::Update => "UPDATE",
            PolicyCommand::Delete => "DELETE",
        }
    }

    /// Whether `USING` is allowed (not for `INSERT`).
    pub fn allows_using(self) -> bool {
        self != PolicyCommand::Insert
    }

    /// Whether `WITH CHECK` is allowed (not for `SELECT` or `DELETE`).
    pub fn allows_with_check(self) -> bool {
        !matches!(self, PolicyCommand::Select | PolicyCommand::Delete)
    }
}

impl Policy {
    /// Every column name its expressions reference.
    pub fn referenced_columns(&self) -> std::collections::BTreeSet<String> {
        let mut out = std::collections::BTreeSet::new();
        for e in self.using.iter().chain(&self.with_check) {
            out.extend(e.referenced_columns());
        }
        out
    }

    /// Roles as the model keeps them: sorted, distinct, `public` alone meaning everyone.
    pub fn normalise_roles(roles: impl IntoIterator<Item = String>) -> Vec<String> {
        let mut v: Vec<String> = roles.into_iter().collect();
        if v.iter().any(|r| r == "public") {
            return Vec::new();
        }
        v.sort();
        v.dedup();
        v
    }
}
