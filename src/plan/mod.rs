//! Plan: order changes into executable steps with their hazards.
//!
//! Each change describes itself (`Change::step`: kind, object, hazards, phase, dependencies);
//! the plan is one stable topological sort of the dependencies with the phases as
//! tie-break ([`order`]). The phases follow the workflow spec: schemas, extensions; types;
//! tables (columns, primary key, unique, check — no foreign keys); column changes; indexes;
//! foreign keys last (so cycles work); comments. Within a phase, steps keep the diff's
//! deterministic object order.

mod order;

use serde::Serialize;

use crate::diff::Change;
use crate::diff::step::{Deps, Phase, StepInfo};
pub use crate::diff::step::{Hazard, Lock, StepKind, Transaction};
use crate::render;

/// The hazards that must be allowed explicitly: at `plan` time with `--allow` (the allowance
/// is then recorded in the migration header), at `apply`/`rollback` time by the file's header
/// or `--allow`. `deletes_data` is always gated; `schemactl.toml`'s `[hazards] require_allow`
/// can only add to it, never remove it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Sorted, deduplicated, always holding [`Hazard::DeletesData`].
    gated: Vec<Hazard>,
}

impl Policy {
    /// Gated whatever the configuration says.
    pub const ALWAYS: [Hazard; 1] = [Hazard::DeletesData];

    /// The default policy plus `extra`.
    pub fn new(extra: impl IntoIterator<Item = Hazard>) -> Policy {
        let mut gated: Vec<Hazard> = Policy::ALWAYS.into_iter().chain(extra).collect();
        gated.sort();
        gated.dedup();
        Policy { gated }
    }

    /// Every gated hazard, sorted.
    pub fn gated(&self) -> &[Hazard] {
        &self.gated
    }

    pub fn gates(&self, h: Hazard) -> bool {
        self.gated.contains(&h)
    }

    /// True when `h` is gated only because the project asked for it.
    pub fn is_from_config(&self, h: Hazard) -> bool {
        self.gates(h) && !Policy::ALWAYS.contains(&h)
    }

    /// The gated hazards among `hazards` that `allowed` does not cover, sorted and
    /// deduplicated. The one rule `plan`, `apply` and `rollback` share.
    pub fn refused(&self, hazards: &[Hazard], allowed: &[Hazard]) -> Vec<Hazard> {
        let mut out: Vec<Hazard> = hazards
            .iter()
            .copied()
            .filter(|h| self.gates(*h) && !allowed.contains(h))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The gated hazards among `hazards` that `allowed` covers: what `plan` records in the
    /// header's `-- allowed:` line.
    pub fn granted(&self, hazards: &[Hazard], allowed: &[Hazard]) -> Vec<Hazard> {
        let mut out: Vec<Hazard> = hazards
            .iter()
            .copied()
            .filter(|h| self.gates(*h) && allowed.contains(h))
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

impl Default for Policy {
    fn default() -> Policy {
        Policy::new([])
    }
}

/// The known hazards among `ids` (e.g. a migration header's); unknown ids are skipped (a
/// hand-written header may name its own, which no policy can gate).
pub fn known_hazards<S: AsRef<str>>(ids: &[S]) -> Vec<Hazard> {
    ids.iter()
        .filter_map(|id| Hazard::parse(id.as_ref()))
        .collect()
}

/// A step line of a migration body, `-- step N: kind object [hazards: a, b]`, split into
/// its label (`step N: kind object`) and its known hazards. Other lines give `None`.
/// Used only to name steps in messages; the header's `hazards` line is what is gated.
pub fn parse_step_line(line: &str) -> Option<(String, Vec<Hazard>)> {
    let rest = line.strip_prefix("-- step ")?;
    let (label, hazards) = match rest
        .strip_suffix(']')
        .and_then(|r| r.rsplit_once(" [hazards: "))
    {
        Some((label, list)) => (label, list.split(',').map(str::trim).collect::<Vec<_>>()),
        None => (rest, Vec::new()),
    };
    Some((format!("step {}", label.trim()), known_hazards(&hazards)))
}

impl Step {
    /// `kind object [hazards: …]` on one line: names are escaped, so it is safe inside a
    /// `--` comment and on a terminal.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        self.write_summary(&mut s);
        s
    }

    /// [`Step::summary`] appended to `out` (a migration body has one per step).
    fn write_summary(&self, out: &mut String) {
        out.push_str(self.kind.id());
        out.push(' ');
        out.push_str(&crate::sql::comment_safe(&self.object));
        for (i, h) in self.hazards.iter().enumerate() {
            out.push_str(if i == 0 { " [hazards: " } else { ", " });
            out.push_str(h.id());
        }
        if !self.hazards.is_empty() {
            out.push(']');
        }
    }
}

/// One executable statement with what it touches and its risks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    pub kind: StepKind,
    /// Human-readable object path, e.g. `public.members.members_email_key`.
    pub object: String,
    pub sql: String,
    pub hazards: Vec<Hazard>,
    /// Which transaction it runs in (its segment of the migration).
    pub transaction: Transaction,
    /// The table lock it takes, for steps that change a table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lock: Option<Lock>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub steps: Vec<Step>,
    /// Differences that cannot be planned yet; a plan with any of these must not be written.
    pub unsupported: Vec<String>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty() && self.unsupported.is_empty()
    }

    /// The migration body: each statement preceded by a comment naming the step and its
    /// hazards. Deterministic.
    pub fn sql_body(&self) -> String {
        // Sized once (the step comment lines estimated): bodies run to megabytes.
        let mut s = String::with_capacity(self.steps.iter().map(|s| s.sql.len() + 80).sum());
        for (i, step) in self.steps.iter().enumerate() {
            match step.transaction {
                Transaction::Shared => {}
                Transaction::Own => {
                    s.push_str(crate::apply::OWN_TRANSACTION);
                    s.push('\n');
                }
                Transaction::None => {
                    s.push_str(crate::apply::NO_TRANSACTION);
                    s.push('\n');
                }
            }
            s.push_str("-- step ");
            s.push_str(&(i + 1).to_string());
            s.push_str(": ");
            step.write_summary(&mut s);
            s.push('\n');
            s.push_str(&step.sql);
            s.push_str("\n\n");
        }
        if s.ends_with("\n\n") {
            s.pop();
        }
        s
    }

    /// The segments the steps run in, as apply runs them: `(first step, last step,
    /// transaction)` with 1-based step numbers. Shared steps form one transaction up to the
    /// next step that runs in its own transaction or outside one.
    pub fn segments(&self) -> Vec<(usize, usize, Transaction)> {
        let mut out: Vec<(usize, usize, Transaction)> = Vec::new();
        for (i, step) in self.steps.iter().enumerate() {
            match out.last_mut() {
                Some((_, last, Transaction::Shared)) if step.transaction == Transaction::Shared => {
                    *last = i + 1;
                }
                _ => out.push((i + 1, i + 1, step.transaction)),
            }
        }
        out
    }

    /// Every hazard of every step, sorted and deduplicated.
    pub fn hazards(&self) -> Vec<Hazard> {
        let mut h: Vec<Hazard> = self.steps.iter().flat_map(|s| s.hazards.clone()).collect();
        h.sort();
        h.dedup();
        h
    }
}

/// Order the changes and attach hazards.
pub fn plan(changes: Vec<Change>) -> Plan {
    plan_stages(vec![changes])
}

/// [`plan`] for changes in stages that run one after the other, each ordered on its own
/// (see [`order`]).
pub fn plan_stages(stages: Vec<Vec<Change>>) -> Plan {
    let mut plan = Plan::default();
    for stage in stages {
        let mut infos: Vec<Option<StepInfo>> = stage.iter().map(Change::step).collect();
        let nodes: Vec<(usize, Phase, &Deps)> = infos
            .iter()
            .enumerate()
            .filter_map(|(i, info)| info.as_ref().map(|s| (i, s.phase, &s.deps)))
            .collect();
        let order: Vec<usize> = order::order(
            &nodes
                .iter()
                .map(|(_, phase, deps)| (*phase, *deps))
                .collect::<Vec<_>>(),
        )
        .into_iter()
        .map(|n| nodes[n].0)
        .collect();
        for c in &stage {
            if let Change::Unsupported(what) = c {
                plan.unsupported.push(what.clone());
            }
        }
        plan.steps.reserve(order.len());
        for i in order {
            let Some(info) = infos[i].take() else {
                continue;
            };
            let mut hazards = info.hazards;
            hazards.sort();
            plan.steps.push(Step {
                kind: info.kind,
                object: info.object,
                sql: render::statement(&stage[i]),
                hazards,
                transaction: info.transaction,
                lock: info.lock,
            });
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::{Hazard, Policy, parse_step_line};

    #[test]
    fn policy_always_gates_deletes_data_and_only_adds() {
        assert_eq!(Policy::default().gated(), &[Hazard::DeletesData]);
        let p = Policy::new([
            Hazard::RewritesTable,
            Hazard::DeletesData,
            Hazard::RewritesTable,
        ]);
        assert_eq!(p.gated(), &[Hazard::DeletesData, Hazard::RewritesTable]);
        assert!(p.is_from_config(Hazard::RewritesTable));
        assert!(!p.is_from_config(Hazard::DeletesData));
        let planned = [
            Hazard::BlocksWrites,
            Hazard::RewritesTable,
            Hazard::DeletesData,
        ];
        assert_eq!(
            p.refused(&planned, &[Hazard::DeletesData, Hazard::BlocksWrites]),
            vec![Hazard::RewritesTable]
        );
        assert_eq!(
            p.granted(&planned, &[Hazard::DeletesData, Hazard::BlocksWrites]),
            vec![Hazard::DeletesData]
        );
        assert!(
            Policy::default()
                .refused(&planned, &[Hazard::DeletesData])
                .is_empty()
        );
    }

    #[test]
    fn step_lines_name_their_hazards() {
        assert_eq!(
            parse_step_line(
                "-- step 2: alter-column-type public.t.n [hazards: blocks_writes, rewrites_table]"
            ),
            Some((
                "step 2: alter-column-type public.t.n".to_string(),
                vec![Hazard::BlocksWrites, Hazard::RewritesTable]
            ))
        );
        assert_eq!(
            parse_step_line("-- step 1: create-table public.t"),
            Some(("step 1: create-table public.t".to_string(), vec![]))
        );
        assert_eq!(parse_step_line("CREATE TABLE t ();"), None);
    }
}
