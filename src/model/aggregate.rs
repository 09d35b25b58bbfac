//! Aggregates (`[aggregates.NAME]`, `[[aggregates.NAME]]` per overload): `CREATE AGGREGATE`
//! with a state function, state type, optional final function and initial condition.
//! Identified like functions, by name and argument types; types spelled as in
//! `model::function`.

use serde::{Deserialize, Serialize};

use super::QualifiedName;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Aggregate {
    pub name: String,
    /// Input types.
    pub args: Vec<String>,
    pub sfunc: QualifiedName,
    pub stype: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finalfunc: Option<QualifiedName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initcond: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// `EXECUTE` privileges (`None`: not managed; see `model::grant`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grants: Option<Box<super::grant::Grants>>,
}

impl PartialEq for Aggregate {
    /// Grants are compared by `diff::grant`.
    fn eq(&self, o: &Aggregate) -> bool {
        self.same_definition(o) && self.comment == o.comment
    }
}

impl Eq for Aggregate {}

impl Aggregate {
    /// `name(type, …)`: the key in [`super::Schema::aggregates`].
    pub fn identity(&self) -> String {
        format!("{}({})", self.name, self.args.join(", "))
    }

    /// Equal apart from the comment.
    pub fn same_definition(&self, o: &Aggregate) -> bool {
        self.name == o.name
            && self.args == o.args
            && self.sfunc == o.sfunc
            && self.stype == o.stype
            && self.finalfunc == o.finalfunc
            && self.initcond == o.initcond
    }
}
