//! The plan's order: one stable topological sort of the changes' dependencies
//! ([`Deps`]), with the phases as tie-break.
//!
//! Among the changes free to run, the one whose earliest dependant has the lowest phase
//! goes first, then the lowest own phase, then the diff's order. Without edges this is the
//! phase order (a stable sort), so plans of changes that declare no dependencies are the
//! same as with fixed phases; a change that something in an earlier phase waits for is
//! pulled forward to just before it. A drop that frees a name something else takes is
//! pulled further, to the drops of tables ([`FREES_NAME`]): once the tables and columns
//! that used an object are gone, before anything is created. A cycle (which the diff should
//! never produce) is broken at its earliest change.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use crate::diff::step::{Dep, Deps, Effect, Phase};
use crate::model::id::ObjectId;

/// Where a drop that frees a name runs at the latest.
pub const FREES_NAME: Phase = Phase::DropTable;

/// Indices of `nodes` in execution order.
pub fn order(nodes: &[(Phase, &Deps)]) -> Vec<usize> {
    let n = nodes.len();
    let mut by_phase: Vec<usize> = (0..n).collect();
    if nodes.iter().all(|(_, d)| d.is_empty()) {
        by_phase.sort_by_key(|&i| nodes[i].0);
        return by_phase;
    }
    let succ = edges(nodes);

    // The earliest phase among each node and everything that waits for it.
    let mut pull: Vec<Phase> = nodes.iter().map(|(p, _)| *p).collect();
    loop {
        let mut changed = false;
        for i in 0..n {
            for &(s, frees) in &succ[i] {
                let p = if frees {
                    pull[s].min(FREES_NAME)
                } else {
                    pull[s]
                };
                if p < pull[i] {
                    pull[i] = p;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }

    let mut waiting = vec![0usize; n];
    for (s, _) in succ.iter().flatten() {
        waiting[*s] += 1;
    }
    let key = |i: usize| Reverse((pull[i], nodes[i].0, i));
    let mut ready: BinaryHeap<_> = (0..n).filter(|&i| waiting[i] == 0).map(key).collect();
    let mut done = vec![false; n];
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let i = match ready.pop() {
            Some(Reverse((_, _, i))) => i,
            // A cycle: run its earliest change as if nothing were left to wait for.
            None => match (0..n).filter(|&i| !done[i]).min_by_key(|&i| key(i).0) {
                Some(i) => i,
                None => break,
            },
        };
        if done[i] {
            continue;
        }
        done[i] = true;
        out.push(i);
        for &(s, _) in &succ[i] {
            waiting[s] = waiting[s].saturating_sub(1);
            if waiting[s] == 0 && !done[s] {
                ready.push(key(s));
            }
        }
    }
    out
}

/// Successors of each node (A → B: A runs before B), by the rules of [`Deps`], each marked
/// true when A frees a name B takes.
fn edges(nodes: &[(Phase, &Deps)]) -> Vec<Vec<(usize, bool)>> {
    // Who creates or alters, alters or drops, and purely drops each id.
    let mut makes: HashMap<&ObjectId, Vec<usize>> = HashMap::new();
    let mut changes: HashMap<&ObjectId, Vec<usize>> = HashMap::new();
    let mut frees: HashMap<&ObjectId, Vec<usize>> = HashMap::new();
    for (i, (_, d)) in nodes.iter().enumerate() {
        for (id, e) in d.0.iter().filter_map(|d| match d {
            Dep::Effect(id, e) => Some((id, e)),
            _ => None,
        }) {
            if matches!(e, Effect::Create | Effect::Alter) {
                makes.entry(id).or_default().push(i);
            }
            if matches!(e, Effect::Drop | Effect::Alter) {
                changes.entry(id).or_default().push(i);
            }
            if *e == Effect::Drop {
                frees.entry(id).or_default().push(i);
            }
        }
    }
    let mut succ = vec![Vec::new(); nodes.len()];
    for (b, (_, d)) in nodes.iter().enumerate() {
        for dep in &d.0 {
            match dep {
                Dep::After(id) => {
                    for &a in makes.get(id).into_iter().flatten() {
                        if a != b {
                            succ[a].push((b, false));
                        }
                    }
                }
                Dep::Before(id) => {
                    for &x in changes.get(id).into_iter().flatten() {
                        if x != b {
                            succ[b].push((x, false));
                        }
                    }
                }
                Dep::Effect(id, Effect::Create) => {
                    for &a in frees.get(id).into_iter().flatten() {
                        if a != b {
                            succ[a].push((b, true));
                        }
                    }
                }
                Dep::Effect(..) => {}
            }
        }
    }
    for s in &mut succ {
        s.sort_unstable();
        s.dedup();
    }
    succ
}

#[cfg(test)]
mod tests {
    use super::order;
    use crate::diff::step::{Dep, Deps, Effect, Phase};
    use crate::model::id::{ObjectId, ObjectKind};

    fn name(n: &str) -> ObjectId {
        ObjectId::new(ObjectKind::RelationName, "s", n)
    }

    fn rename(from: &str, to: &str) -> Deps {
        Deps(vec![
            Dep::Effect(name(from), Effect::Drop),
            Dep::Effect(name(to), Effect::Create),
        ])
    }

    fn run(nodes: &[(Phase, Deps)]) -> Vec<usize> {
        let refs: Vec<(Phase, &Deps)> = nodes.iter().map(|(p, d)| (*p, d)).collect();
        order(&refs)
    }

    #[test]
    fn without_edges_it_is_a_stable_sort_by_phase() {
        let none = Deps::default();
        let nodes = vec![
            (Phase::Comment, none.clone()),
            (Phase::CreateTable, none.clone()),
            (Phase::CreateSchema, none.clone()),
            (Phase::CreateTable, none.clone()),
        ];
        assert_eq!(run(&nodes), vec![2, 1, 3, 0]);
    }

    #[test]
    fn a_rename_onto_a_freed_name_waits_for_the_rename_that_frees_it() {
        // a → b must wait for b → c, which must wait for c → d.
        let nodes = vec![
            (Phase::Rename, rename("a", "b")),
            (Phase::Rename, rename("b", "c")),
            (Phase::Rename, rename("c", "d")),
            (Phase::Rename, Deps::default()),
        ];
        assert_eq!(run(&nodes), vec![2, 1, 0, 3]);
    }

    #[test]
    fn a_late_drop_that_frees_a_name_is_pulled_to_the_drops_of_tables() {
        let ty = ObjectId::new(ObjectKind::TypeName, "s", "t");
        let drop = Deps(vec![Dep::Effect(ty.clone(), Effect::Drop)]);
        let create = Deps(vec![Dep::Effect(ty, Effect::Create)]);
        let nodes = vec![
            (Phase::CreateTable, create),
            (Phase::CreateIndex, Deps::default()),
            (Phase::DropType, drop),
            (Phase::CreateType, Deps::default()),
            (Phase::DropTable, Deps::default()),
            (Phase::DropColumn, Deps::default()),
        ];
        assert_eq!(run(&nodes), vec![5, 4, 2, 3, 0, 1]);
    }

    #[test]
    fn after_and_before_order_users_around_what_they_use() {
        let t = ObjectId::new(ObjectKind::Table, "s", "t");
        let view = ObjectId::new(ObjectKind::RelationName, "s", "v");
        // A view over t is dropped before t changes and created after it.
        let nodes = vec![
            (
                Phase::Comment,
                Deps(vec![
                    Dep::Effect(view.clone(), Effect::Create),
                    Dep::After(t.clone()),
                ]),
            ),
            (
                Phase::CreateTable,
                Deps(vec![Dep::Effect(t.clone(), Effect::Alter)]),
            ),
            (
                Phase::DropSchema,
                Deps(vec![Dep::Effect(view, Effect::Drop), Dep::Before(t)]),
            ),
        ];
        assert_eq!(run(&nodes), vec![2, 1, 0]);
    }

    #[test]
    fn a_cycle_is_broken_at_its_earliest_change() {
        let nodes = vec![
            (Phase::Rename, rename("a", "b")),
            (Phase::Rename, rename("b", "a")),
        ];
        assert_eq!(run(&nodes), vec![0, 1]);
    }
}
