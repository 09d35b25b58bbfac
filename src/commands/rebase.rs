//! `schemactl rebase`: after parallel branches each added migrations (a merge, or an ordinary
//! `git rebase`), keep the target branch's migrations as they are and move this branch's on
//! top of them: renumbered, re-chained and re-planned against the new parent's snapshot.
//!
//! # Which migrations are whose
//!
//! The migration files on disk are read with their headers (`-- parent:`): they form a tree
//! from the genesis link. Up to the fork both branches agree; after it there are exactly two
//! linear sides. Their links and snapshot hashes come from every version of the sum file at
//! hand (the working file, conflict markers and all; git's index stages; `HEAD`,
//! `MERGE_HEAD`, `REBASE_HEAD`, `ORIG_HEAD`; recent commits that changed it), each file
//! checked against its link. The side kept (the *target*) is, in this order: the side that
//! holds the migration named by `--keep`; during a merge, the side in `MERGE_HEAD`'s sum file
//! (the branch merged into this one); during a rebase, the side in `HEAD`'s (the branch
//! rebased onto); otherwise the side the working sum file lists when it has no conflict
//! markers. The other side is this branch's, and moves.
//!
//! # Re-planning
//!
//! Only the head snapshot is stored; the snapshots of the fork point and of each migration
//! are taken from git by the hashes the sum file records. Each moved migration's change
//! (its parent's snapshot → its own) is merged three-way, object by object, into the new
//! parent's model; the merged model is planned against the new parent. Same SQL → said so;
//! different SQL → the new plan is written and the difference shown; both sides changed the
//! same value differently, or the planner cannot plan it → nothing is written and the
//! conflict is named. A migration that does not change the snapshot (hand-written) moves as
//! written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;

use super::{Exit, Format, Global, Outcome, layout, rel};
use crate::diag::SourceMap;
use crate::migrations::{
    self, Chain, Layout, Link, Migration, NewMigration, SumEntry, compute_link, genesis,
    parse_header, render_sum, snapshot_hash,
};
use crate::model::{Model, snapshot};
use crate::plan::{self, Hazard};
use crate::schema::config;

/// `--help`: what is kept, what moves, examples.
pub const HELP: &str = "Keeps the target branch's migrations and moves this branch's on top: during a merge the
target is the branch merged in (MERGE_HEAD), during `git rebase` the branch rebased onto
(HEAD); otherwise the side the sum file lists, or the side holding --keep's migration.
Earlier snapshots are taken from git by the hashes in the sum file. Hazards of a re-planned
migration must be allowed in its header or with --allow (deletes_data, rewrites_table,
blocks_writes, may_fail_on_data, breaks_clients).

Examples:
  git merge main && schemactl rebase && git add migrations snapshots && git commit
  schemactl rebase --dry-run
  schemactl rebase --db \"$DATABASE_URL\"      (refused, exit 2, if that database has one of the moved migrations)
  schemactl rebase --keep 0003_add_orders";

#[derive(Clone, Debug, Default)]
pub struct Options {
    /// A migration (stem) of the side to keep.
    pub keep: Option<String>,
    pub allow: Vec<Hazard>,
    pub dry_run: bool,
}

/// One migration file on disk, its link checked against a sum-file entry.
#[derive(Clone, Debug)]
struct OnDisk {
    version: u32,
    stem: String,
    up: String,
    down: Option<String>,
    parent: Link,
    link: Link,
    snap: Link,
}

impl OnDisk {
    fn name(&self) -> &str {
        self.stem.split_once('_').map_or("", |(_, n)| n)
    }

    fn migration(&self, layout: &Layout) -> Migration {
        Migration {
            version: self.version,
            stem: self.stem.clone(),
            path: layout.up_path(&self.stem),
            up: self.up.clone(),
            down: self.down.clone(),
            parent: self.parent,
            link: self.link,
            snapshot_hash: self.snap,
        }
    }
}

/// What happened to one moved migration.
struct Moved {
    from: String,
    to: Option<String>,
    how: &'static str,
    diff: Option<String>,
}

pub fn run(g: &Global, opts: &Options) -> Outcome {
    if let Some(o) = super::markdown::unsupported(g, "rebase") {
        return o;
    }
    let root = match super::root(g) {
        Ok(r) => r,
        Err(o) => return o,
    };
    let mut sources = SourceMap::default();
    let mut diags = Vec::new();
    let project = config::load(&root, &mut sources, &mut diags);
    if let Err(o) = super::require_project(g, &project) {
        return o;
    }
    if !diags.is_empty() {
        return super::invalid(g, &sources, &diags, &[], &project.root);
    }
    let layout = layout(&project);
    let bad = |code: &str, message: String, hint: &str| {
        Outcome::fail(
            g,
            Exit::Invalid,
            code,
            &format!("{message}; nothing was written"),
            hint,
        )
    };
    let git = Git::at(&layout.migrations_dir);
    let on_disk = match read_disk(&layout, git.as_ref()) {
        Ok(d) => d,
        Err(e) => {
            return bad(
                "rebase-input",
                e,
                "run `schemactl check` to see the state of the migration directory",
            );
        }
    };
    // The tree of links from the genesis: the shared prefix, then the fork.
    let mut children: BTreeMap<Link, Vec<usize>> = BTreeMap::new();
    for (i, m) in on_disk.iter().enumerate() {
        children.entry(m.parent).or_default().push(i);
    }
    let mut prefix: Vec<usize> = Vec::new();
    let mut at = genesis();
    let fork: Vec<usize> = loop {
        match children.get(&at).map(Vec::as_slice).unwrap_or(&[]) {
            [] => break Vec::new(),
            [one] => {
                prefix.push(*one);
                at = on_disk[*one].link;
            }
            many => break many.to_vec(),
        }
    };
    if fork.len() > 2 {
        let names: Vec<&str> = fork.iter().map(|i| on_disk[*i].stem.as_str()).collect();
        return bad(
            "rebase-fork",
            format!(
                "{} migrations continue the chain from the same parent ({}); rebase moves one branch onto another",
                fork.len(),
                names.join(", ")
            ),
            "merge one branch at a time and run `schemactl rebase` after each",
        );
    }
    let mut sides: Vec<Vec<usize>> = Vec::new();
    for start in &fork {
        let mut side = vec![*start];
        let mut at = on_disk[*start].link;
        loop {
            match children.get(&at).map(Vec::as_slice).unwrap_or(&[]) {
                [] => break,
                [one] => {
                    side.push(*one);
                    at = on_disk[*one].link;
                }
                _ => {
                    return bad(
                        "rebase-fork",
                        format!(
                            "the branch starting at {} forks again",
                            on_disk[*start].stem
                        ),
                        "merge one branch at a time and run `schemactl rebase` after each",
                    );
                }
            }
        }
        sides.push(side);
    }
    let reached: usize = prefix.len() + sides.iter().map(Vec::len).sum::<usize>();
    if reached != on_disk.len() {
        let mut lost: Vec<&str> = on_disk
            .iter()
            .enumerate()
            .filter(|(i, _)| !prefix.contains(i) && !sides.iter().any(|s| s.contains(i)))
            .map(|(_, m)| m.stem.as_str())
            .collect();
        lost.sort();
        return bad(
            "rebase-orphan",
            format!(
                "{} do{} not continue the chain: no migration on disk has the link {} name{} as parent",
                lost.join(", "),
                if lost.len() == 1 { "es" } else { "" },
                if lost.len() == 1 {
                    "its header"
                } else {
                    "their headers"
                },
                if lost.len() == 1 { "s" } else { "" },
            ),
            "restore the missing migration from version control, or delete the orphaned files",
        );
    }
    let numbered = |ids: &[usize], first: u32| {
        ids.iter()
            .enumerate()
            .all(|(k, i)| on_disk[*i].version == first + k as u32)
    };
    if !numbered(&prefix, 1) || !sides.iter().all(|s| numbered(s, prefix.len() as u32 + 1)) {
        return bad(
            "rebase-numbering",
            "the migrations are not numbered along their chain".into(),
            "run `schemactl check` to see which file is out of place",
        );
    }
    if sides.is_empty() {
        let mut o = Outcome::new(Exit::Ok);
        match g.format {
            Format::Json => {
                return Outcome::json(
                    Exit::Ok,
                    json!({ "ok": true, "moved": [], "written": false }),
                );
            }
            Format::Text if !g.quiet => {
                o.stdout = "Nothing to rebase: the migrations form one chain (no branch forks from another). Nothing written.\n".into();
            }
            Format::Text | Format::Markdown => {}
        }
        return o;
    }
    // Which side is kept.
    let target = match pick_target(opts, &layout, git.as_ref(), &on_disk, &sides) {
        Ok(t) => t,
        Err((message, hint)) => return bad("rebase-target", message, &hint),
    };
    let (kept, mine) = (&sides[target.side], &sides[1 - target.side]);
    // A moved migration must not be in a database given with --db.
    if g.db.is_some() {
        let mut db = match super::open_db(g, &project, false) {
            Ok(db) => db,
            Err(o) => return o,
        };
        let rows = match super::history(&project).rows(&mut db.client) {
            Ok(r) => r,
            Err(e) => {
                return Outcome::fail(
                    g,
                    Exit::Failure,
                    "database",
                    &crate::devdb::describe_pg_error(&e),
                    "check the connection and permissions",
                );
            }
        };
        for i in mine {
            let m = &on_disk[*i];
            let link = m.link.to_string();
            if let Some(row) = rows
                .iter()
                .find(|r| r.link == link && (r.in_effect() || r.part_way()))
            {
                return Outcome::fail(
                    g,
                    Exit::Invalid,
                    "rebase-applied",
                    &format!(
                        "{} is applied to {} (history row {} {}): moving it would rewrite a migration a database has run; nothing was written",
                        m.stem,
                        db.label,
                        row.version,
                        row.status.id()
                    ),
                    &format!(
                        "keep this branch's migrations and move the other side's instead (`schemactl rebase --keep {}`), or roll that database back first",
                        m.stem
                    ),
                );
            }
        }
    }
    // The snapshots: the fork point's, the target's head, each moved migration's.
    let snapshot_path = layout.snapshot_path();
    let mut snaps = SnapshotFinder::new(&snapshot_path, git.as_ref());
    // A snapshot git never saw (two plans in one commit) is rebuilt by replaying the old
    // chain up to it into a throwaway PostgreSQL and reading the catalog back.
    let mut rebuilt: Vec<String> = Vec::new();
    let mut model_at = |snaps: &mut SnapshotFinder, ids: &[usize]| -> Result<Model, Outcome> {
        let Some(last) = ids.last().map(|i| &on_disk[*i]) else {
            return Ok(Model::default());
        };
        match snaps.model(&last.snap, &last.stem) {
            Ok(m) => Ok(m),
            Err(e) => {
                let old = Chain {
                    migrations: ids.iter().map(|i| on_disk[*i].migration(&layout)).collect(),
                    head: last.link,
                    snapshot: None,
                };
                let m = super::live::replay(g, &project, &old, None).map_err(|o| {
                    if o.exit == Exit::Failure {
                        bad(
                            "snapshot-not-found",
                            format!(
                                "{e}, and rebuilding it in a throwaway PostgreSQL failed: {}",
                                o.stderr.trim()
                            ),
                            &snapshot_hint(),
                        )
                    } else {
                        o
                    }
                })?;
                rebuilt.push(last.stem.clone());
                Ok(m)
            }
        }
    };
    let base_model = match model_at(&mut snaps, &prefix) {
        Ok(m) => m,
        Err(o) => return o,
    };
    let tip = &on_disk[*kept.last().expect("sides are not empty")];
    let (target_text, target_model) = match snaps.find(&tip.snap, &tip.stem) {
        Ok(text) => match snapshot::from_toml(&text) {
            Ok(m) => (text, m),
            Err(e) => {
                return bad(
                    "snapshot-unreadable",
                    format!("the snapshot after {}: {}", tip.stem, e.trim()),
                    &snapshot_hint(),
                );
            }
        },
        Err(e) => return bad("snapshot-not-found", e, &snapshot_hint()),
    };
    // Renames declared in schema/ (best effort: schema/ may hold conflict markers).
    let renames = {
        let loaded = crate::compile::load_project(&project.root);
        crate::compile::compile(&project, &loaded.raw, loaded.diags, Some(&target_model))
            .map(|o| o.renames)
            .unwrap_or_default()
    };
    let policy = project.config.policy();
    let mut chain = Chain {
        migrations: prefix
            .iter()
            .chain(kept.iter())
            .map(|i| on_disk[*i].migration(&layout))
            .collect(),
        head: tip.link,
        snapshot: None,
    };
    let mut head_text = target_text;
    let mut old_prev = base_model;
    let mut new_prev = target_model;
    let mut write: Vec<(PathBuf, String)> = Vec::new();
    let mut moved: Vec<Moved> = Vec::new();
    for (k, i) in mine.iter().enumerate() {
        let m = &on_disk[*i];
        let upto: Vec<usize> = prefix.iter().chain(&mine[..=k]).copied().collect();
        let old_model = match model_at(&mut snaps, &upto) {
            Ok(x) => x,
            Err(o) => return o,
        };
        let version = chain.next_version();
        let new_stem = format!("{version:04}_{}", m.name());
        if old_model == old_prev {
            // Hand-written: no schema change; moved as written.
            let up = rechain_text(&m.up, &new_stem, &chain.head);
            let down = m
                .down
                .as_deref()
                .map(|d| rechain_text(d, &new_stem, &chain.head));
            let snap = snapshot_hash(&head_text);
            let link = compute_link(&chain.head, &new_stem, &up, down.as_deref(), &snap);
            write.push((layout.up_path(&new_stem), up.clone()));
            if let Some(d) = &down {
                write.push((layout.down_path(&new_stem), d.clone()));
            }
            chain.migrations.push(Migration {
                version,
                stem: new_stem.clone(),
                path: layout.up_path(&new_stem),
                up,
                down,
                parent: chain.head,
                link,
                snapshot_hash: snap,
            });
            chain.head = link;
            moved.push(Moved {
                from: m.stem.clone(),
                to: Some(new_stem),
                how: "moved as written (it does not change the schema)",
                diff: None,
            });
            continue;
        }
        let merged = match merge_models(&old_prev, &old_model, &new_prev) {
            Ok(x) => x,
            Err(conflict) => {
                return Outcome::fail(
                    g,
                    Exit::No,
                    "rebase-conflict",
                    &format!(
                        "{} cannot be moved onto {}: both branches changed {conflict} differently; nothing was written",
                        m.stem, tip.stem
                    ),
                    &format!(
                        "decide in schema/ which version wins, keep the other branch's migrations, sum file and snapshot, delete {} (and its down file) and run `schemactl plan`",
                        m.stem
                    ),
                );
            }
        };
        let new_model = match merged {
            Ok(x) => x,
            Err(e) => {
                return bad(
                    "rebase-merge",
                    format!("the merged schema after {} does not read back: {e}", m.stem),
                    "report this as a bug",
                );
            }
        };
        let pending = crate::diff::compare(&new_prev, &new_model, &renames);
        let planned = plan::plan(pending.changes);
        if !planned.unsupported.is_empty() {
            let mut extra = serde_json::Map::new();
            extra.insert("unsupported".into(), json!(planned.unsupported));
            return Outcome::fail_with(
                g,
                Exit::No,
                "rebase-conflict",
                &format!(
                    "{} cannot be re-planned on top of {}: {}; nothing was written",
                    m.stem,
                    tip.stem,
                    planned.unsupported.join("; ")
                ),
                "resolve the conflicting change in schema/, keep the other branch's migrations, sum file and snapshot, delete this branch's migration files and run `schemactl plan`",
                extra,
            );
        }
        if planned.steps.is_empty() {
            moved.push(Moved {
                from: m.stem.clone(),
                to: None,
                how: "dropped: the other branch already made the same change",
                diff: None,
            });
            old_prev = old_model;
            continue;
        }
        let header = parse_header(&m.up).ok();
        let mut allow: Vec<Hazard> = header
            .iter()
            .flat_map(|h| h.allowed.iter())
            .filter_map(|id| Hazard::parse(id))
            .collect();
        allow.extend(opts.allow.iter().copied());
        let hazards = planned.hazards();
        let refused = policy.refused(&hazards, &allow);
        if !refused.is_empty() {
            let ids: Vec<&str> = refused.iter().map(|h| h.id()).collect();
            return Outcome::fail(
                g,
                Exit::No,
                "hazard-not-allowed",
                &format!(
                    "re-planned on top of {}, {} has hazards its header does not allow: {}; nothing was written",
                    tip.stem,
                    m.stem,
                    ids.join(", ")
                ),
                &format!(
                    "review the plan (`schemactl rebase --dry-run`), then re-run with `--allow {}`",
                    ids.join(",")
                ),
            );
        }
        let body = planned.sql_body();
        let old_body = body_of(&m.up);
        let same = old_body.trim_end() == body.trim_end();
        let diff = (!same).then(|| line_diff(old_body, &body));
        let down = {
            let mut head = std::borrow::Cow::Borrowed(&new_prev);
            let applied = crate::model::rename::apply(&mut head, &renames, &new_model);
            let back = crate::model::rename::reverse_all(&applied);
            let (first, back) = crate::diff::reverse(&new_model, &new_prev, &back);
            plan::plan_stages(vec![first, back.changes])
        };
        let text = snapshot::to_toml(&new_model);
        let new = NewMigration {
            name: m.name(),
            hazards: hazards.iter().map(|h| h.id().to_string()).collect(),
            allowed: policy
                .granted(&hazards, &allow)
                .iter()
                .map(|h| h.id().to_string())
                .collect(),
            up_body: body,
            down_body: Some(super::plan::down_sql(&down)),
            down_hazards: down.hazards().iter().map(|h| h.id().to_string()).collect(),
            snapshot: text,
        };
        let files = match migrations::prepare(&layout, &chain, new) {
            Ok(f) => f,
            Err(p) => return Outcome::error(Exit::Invalid, super::problem_text(&p, &project.root)),
        };
        // up, down, snapshot, sum (see `prepare`).
        let n = files.len();
        let up = files[0].1.clone();
        let down_text = (n == 4).then(|| files[1].1.clone());
        head_text = files[n - 2].1.clone();
        let snap = snapshot_hash(&head_text);
        let link = compute_link(&chain.head, &new_stem, &up, down_text.as_deref(), &snap);
        write.extend(files.into_iter().take(n - 2));
        chain.migrations.push(Migration {
            version,
            stem: new_stem.clone(),
            path: layout.up_path(&new_stem),
            up,
            down: down_text,
            parent: chain.head,
            link,
            snapshot_hash: snap,
        });
        chain.head = link;
        moved.push(Moved {
            from: m.stem.clone(),
            to: Some(new_stem),
            how: if same {
                "re-planned: same SQL"
            } else {
                "re-planned: the SQL differs (both branches changed the same objects)"
            },
            diff,
        });
        old_prev = old_model;
        new_prev = new_model;
    }
    let entries: Vec<SumEntry> = chain
        .migrations
        .iter()
        .map(|m| SumEntry {
            stem: m.stem.clone(),
            link: m.link,
            snapshot_hash: m.snapshot_hash,
        })
        .collect();
    write.push((snapshot_path.clone(), head_text.clone()));
    write.push((layout.sum_path(), render_sum(&chain.head, &entries)));
    let written: Vec<&PathBuf> = write.iter().map(|(p, _)| p).collect();
    let mut remove: Vec<PathBuf> = Vec::new();
    for i in mine {
        let m = &on_disk[*i];
        for p in [layout.up_path(&m.stem), layout.down_path(&m.stem)] {
            if p.exists() && !written.contains(&&p) {
                remove.push(p);
            }
        }
    }
    // Does schema/ agree with the rebased head? (A note only: schema/ may still be conflicted.)
    let schema_note = {
        let loaded = crate::compile::load_project(&project.root);
        match crate::compile::compile(&project, &loaded.raw, loaded.diags, Some(&new_prev)) {
            Ok(out) if snapshot::to_toml(&out.model) == head_text => None,
            Ok(_) => Some(
                "schema/ differs from the rebased head snapshot: run `schemactl plan` to plan the difference",
            ),
            Err(_) => Some(
                "schema/ does not compile (unresolved merge conflicts?): fix it, then `schemactl plan --check` should find nothing to do",
            ),
        }
    };
    if !opts.dry_run {
        let result = migrations::replace_files(&write, &remove);
        if let Err(e) = result {
            return Outcome::fail(
                g,
                Exit::Failure,
                "io",
                &format!("rebase failed part-way: {e}"),
                "run `schemactl check` to see the state of the directory, and restore it from version control",
            );
        }
    }
    let kept_stems: Vec<&str> = kept.iter().map(|i| on_disk[*i].stem.as_str()).collect();
    match g.format {
        Format::Json => Outcome::json(
            Exit::Ok,
            json!({
                "ok": true,
                "target": target.why,
                "kept": kept_stems,
                "moved": moved.iter().map(|m| json!({
                    "from": m.from,
                    "to": m.to,
                    "result": m.how,
                    "same_sql": m.diff.is_none(),
                    "diff": m.diff,
                })).collect::<Vec<_>>(),
                "removed": remove.iter().map(|p| rel(&project.root, p)).collect::<Vec<_>>(),
                "head": chain.migrations.last().map(|m| m.stem.as_str()),
                "note": schema_note,
                "rebuilt_snapshots": rebuilt,
                "written": !opts.dry_run,
            }),
        ),
        Format::Text | Format::Markdown => {
            let mut o = Outcome::new(Exit::Ok);
            if g.quiet {
                return o;
            }
            let mut s = format!(
                "Rebase onto {} (kept: {}; target: {}):\n",
                tip.stem,
                kept_stems.join(", "),
                target.why
            );
            for m in &moved {
                match &m.to {
                    Some(to) => s.push_str(&format!("  {} -> {to}: {}\n", m.from, m.how)),
                    None => s.push_str(&format!("  {}: {}\n", m.from, m.how)),
                }
                if let Some(d) = &m.diff {
                    s.push_str(&format!(
                        "    --- {}.sql (before)\n    +++ {}.sql (re-planned)\n",
                        m.from,
                        m.to.as_deref().unwrap_or("")
                    ));
                    for line in d.lines() {
                        s.push_str(&format!("    {line}\n"));
                    }
                }
            }
            if opts.dry_run {
                s.push_str("Dry run: nothing written.\n");
            } else {
                let mut wrote: Vec<String> =
                    write.iter().map(|(p, _)| rel(&project.root, p)).collect();
                wrote.dedup();
                s.push_str(&format!("Wrote {}\n", wrote.join(", ")));
                if !remove.is_empty() {
                    let gone: Vec<String> = remove.iter().map(|p| rel(&project.root, p)).collect();
                    s.push_str(&format!("Removed {}\n", gone.join(", ")));
                }
                s.push_str("  = note: `git add` the migrations and snapshot directories, then commit (or `git rebase --continue`)\n");
            }
            if !rebuilt.is_empty() {
                s.push_str(&format!(
                    "  = note: not in git, the snapshot after {} was rebuilt by replaying the old chain in a throwaway PostgreSQL\n",
                    rebuilt.join(", ")
                ));
            }
            if let Some(n) = schema_note {
                s.push_str(&format!("  = note: {n}\n"));
            }
            o.stdout = s;
            o
        }
    }
}

fn snapshot_hint() -> String {
    "only the head snapshot is stored; earlier ones are read from git (index, HEAD, MERGE_HEAD, REBASE_HEAD, ORIG_HEAD, history): run rebase in the git work tree where both branches were committed".into()
}

/// The side kept and why.
struct Target {
    side: usize,
    why: String,
}

fn pick_target(
    opts: &Options,
    layout: &Layout,
    git: Option<&Git>,
    on_disk: &[OnDisk],
    sides: &[Vec<usize>],
) -> Result<Target, (String, String)> {
    fn stems<'a>(on_disk: &'a [OnDisk], side: &[usize]) -> Vec<&'a str> {
        side.iter().map(|i| on_disk[*i].stem.as_str()).collect()
    }
    let stems = |side: &[usize]| stems(on_disk, side);
    let by_listing = |listed: &[String], why: String| -> Option<Target> {
        let holds: Vec<usize> = (0..2)
            .filter(|s| {
                stems(&sides[*s])
                    .iter()
                    .any(|st| listed.iter().any(|l| l.as_str() == *st))
            })
            .collect();
        match holds.as_slice() {
            [one] => Some(Target { side: *one, why }),
            _ => None,
        }
    };
    if let Some(keep) = &opts.keep {
        return by_listing(std::slice::from_ref(keep), format!("--keep {keep}")).ok_or_else(|| {
            (
                format!("--keep {keep} names no migration after the fork"),
                format!(
                    "name one of {} or {}",
                    stems(&sides[0]).join(", "),
                    stems(&sides[1]).join(", ")
                ),
            )
        });
    }
    let sum_file = migrations::SUM_FILE;
    if let Some(git) = git {
        let by_ref = if git.has_ref("MERGE_HEAD") {
            Some(("MERGE_HEAD", "the branch being merged in (MERGE_HEAD)"))
        } else if git.has_ref("REBASE_HEAD") {
            Some(("HEAD", "the branch being rebased onto (HEAD)"))
        } else {
            None
        };
        if let Some((r, why)) = by_ref {
            let listed: Vec<String> = git
                .show(&layout.migrations_dir, &format!("{r}:./{sum_file}"))
                .map(|t| lenient_sum(&t).into_iter().map(|(s, _, _)| s).collect())
                .unwrap_or_default();
            if let Some(t) = by_listing(&listed, why.to_string()) {
                return Ok(t);
            }
        }
    }
    if let Ok(text) = std::fs::read_to_string(layout.sum_path())
        && let Ok((_, entries)) = migrations::parse_sum(&text)
    {
        let listed: Vec<String> = entries.into_iter().map(|e| e.stem).collect();
        if let Some(t) = by_listing(&listed, format!("the side {sum_file} lists")) {
            return Ok(t);
        }
    }
    Err((
        format!(
            "cannot tell which branch to keep: {} or {}",
            stems(&sides[0]).join(", "),
            stems(&sides[1]).join(", ")
        ),
        format!(
            "name a migration of the branch to keep, e.g. `schemactl rebase --keep {}`",
            on_disk[sides[0][0]].stem
        ),
    ))
}

/// The migration files on disk, each with the sum-file entry its link verifies against.
fn read_disk(layout: &Layout, git: Option<&Git>) -> Result<Vec<OnDisk>, String> {
    let dir = &layout.migrations_dir;
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", show(dir)))?;
    let mut names: Vec<String> = Vec::new();
    for e in entries {
        let e = e.map_err(|e| format!("cannot read {}: {e}", show(dir)))?;
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".sql") && !name.ends_with(".down.sql") && !name.starts_with('.') {
            names.push(name);
        }
    }
    names.sort();
    // Every sum-file entry at hand: stem → (link, snapshot hash) candidates.
    let mut sums: BTreeMap<String, Vec<(Link, Link)>> = BTreeMap::new();
    let mut texts: Vec<String> = Vec::new();
    if let Ok(t) = std::fs::read_to_string(layout.sum_path()) {
        texts.push(t);
    }
    if let Some(git) = git {
        let f = migrations::SUM_FILE;
        for spec in [
            format!(":1:./{f}"),
            format!(":2:./{f}"),
            format!(":3:./{f}"),
            format!("HEAD:./{f}"),
            format!("MERGE_HEAD:./{f}"),
            format!("REBASE_HEAD:./{f}"),
            format!("ORIG_HEAD:./{f}"),
        ] {
            if let Some(t) = git.show(dir, &spec) {
                texts.push(t);
            }
        }
        // Older versions only when a file on disk is in none of these (a merge committed
        // with one side's sum file, say).
        let listed: Vec<String> = texts
            .iter()
            .flat_map(|t| lenient_sum(t))
            .map(|(stem, _, _)| stem)
            .collect();
        let unlisted = names.iter().any(|n| {
            let stem = n.trim_end_matches(".sql");
            !listed.iter().any(|l| l == stem)
        });
        if unlisted {
            for c in git.commits(dir, f, 200) {
                if let Some(t) = git.show(dir, &format!("{c}:./{f}")) {
                    texts.push(t);
                }
            }
        }
    }
    for t in &texts {
        for (stem, link, snap) in lenient_sum(t) {
            let v = sums.entry(stem).or_default();
            if !v.contains(&(link, snap)) {
                v.push((link, snap));
            }
        }
    }
    let mut out = Vec::new();
    for name in names {
        let stem = name.trim_end_matches(".sql").to_string();
        let path = dir.join(&name);
        let up = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", show(&path)))?;
        let up = migrations::normalise(&up).into_owned();
        let down_path = layout.down_path(&stem);
        let down = match std::fs::read_to_string(&down_path) {
            Ok(t) => Some(migrations::normalise(&t).into_owned()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(format!("cannot read {}: {e}", show(&down_path))),
        };
        if up.contains("\n<<<<<<< ") || up.starts_with("<<<<<<< ") {
            return Err(format!(
                "{} has merge conflict markers: both branches added a migration with this name",
                show(&path)
            ));
        }
        let header = parse_header(&up).map_err(|e| format!("{}: {e}", show(&path)))?;
        if header.stem != stem {
            return Err(format!(
                "{} names `{}` in its header",
                show(&path),
                header.stem
            ));
        }
        let version: u32 = stem
            .split_once('_')
            .and_then(|(d, _)| d.parse().ok())
            .ok_or_else(|| format!("{} is not named NNNN_name.sql", show(&path)))?;
        let parent = header
            .parent
            .ok_or_else(|| format!("{} has no `-- parent:` line in its header", show(&path)))?;
        let found = sums.get(&stem).and_then(|cands| {
            cands.iter().find(|(link, snap)| {
                compute_link(&parent, &stem, &up, down.as_deref(), snap) == *link
            })
        });
        let Some((link, snap)) = found.copied() else {
            return Err(if sums.contains_key(&stem) {
                format!(
                    "{} was edited: it hashes to none of the links recorded for it",
                    show(&path)
                )
            } else {
                format!(
                    "{} is in no version of the sum file (neither in {} nor in git)",
                    show(&path),
                    migrations::SUM_FILE
                )
            });
        };
        out.push(OnDisk {
            version,
            stem,
            up,
            down,
            parent,
            link,
            snap,
        });
    }
    Ok(out)
}

/// Every `stem link snapshot-hash` line of a sum-file text, conflict markers and head lines
/// ignored.
pub(crate) fn lenient_sum(text: &str) -> Vec<(String, Link, Link)> {
    text.lines()
        .filter_map(|line| {
            let parts: Vec<&str> = line.split_whitespace().collect();
            match parts.as_slice() {
                [stem, link, snap] if *stem != "head" => Some((
                    stem.to_string(),
                    link.parse::<Link>().ok()?,
                    snap.parse::<Link>().ok()?,
                )),
                _ => None,
            }
        })
        .collect()
}

fn show(p: &Path) -> String {
    let file = p
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    match p.parent().and_then(|d| d.file_name()) {
        Some(d) => format!("{}/{file}", d.to_string_lossy()),
        None => file,
    }
}

/// git, run in a directory of the project.
pub(crate) struct Git {
    /// A directory inside the work tree (for questions about the repository).
    dir: PathBuf,
}

impl Git {
    /// `Some` when `dir` is inside a git work tree.
    pub(crate) fn at(dir: &Path) -> Option<Git> {
        let g = Git {
            dir: dir.to_path_buf(),
        };
        g.run(dir, &["rev-parse", "--is-inside-work-tree"])?;
        Some(g)
    }

    fn run(&self, dir: &Path, args: &[&str]) -> Option<Vec<u8>> {
        let out = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()?;
        out.status.success().then_some(out.stdout)
    }

    fn has_ref(&self, name: &str) -> bool {
        self.run(&self.dir, &["rev-parse", "-q", "--verify", name])
            .is_some()
    }

    /// A blob as text (`REV:./file`, relative to `dir`).
    pub(crate) fn show(&self, dir: &Path, spec: &str) -> Option<String> {
        let bytes = self.run(dir, &["show", spec])?;
        String::from_utf8(bytes).ok()
    }

    /// Commits (every ref, and the merge/rebase heads) that changed `file` in `dir`, newest
    /// first.
    pub(crate) fn commits(&self, dir: &Path, file: &str, max: usize) -> Vec<String> {
        let mut args = vec!["log".to_string(), "--all".into()];
        for r in ["MERGE_HEAD", "REBASE_HEAD", "ORIG_HEAD"] {
            if self.has_ref(r) {
                args.push(r.into());
            }
        }
        args.extend([
            "--format=%H".into(),
            format!("--max-count={max}"),
            "--".into(),
            file.into(),
        ]);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        self.run(dir, &refs)
            .map(|o| {
                String::from_utf8_lossy(&o)
                    .lines()
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Snapshot texts by hash: the working file, git's index stages, the merge and rebase
/// heads, then (only while a wanted one is missing) each commit that changed it, newest
/// first, on every ref.
pub(crate) struct SnapshotFinder<'a> {
    path: &'a Path,
    git: Option<&'a Git>,
    cache: BTreeMap<Link, String>,
    /// The commits still to read (`None` until needed).
    commits: Option<std::vec::IntoIter<String>>,
    loaded: bool,
}

impl<'a> SnapshotFinder<'a> {
    pub(crate) fn new(path: &'a Path, git: Option<&'a Git>) -> Self {
        SnapshotFinder {
            path,
            git,
            cache: BTreeMap::new(),
            commits: None,
            loaded: false,
        }
    }

    fn add(&mut self, text: String) {
        let t = migrations::normalise(&text).into_owned();
        self.cache.entry(snapshot_hash(&t)).or_insert(t);
    }

    fn load(&mut self) {
        if std::mem::replace(&mut self.loaded, true) {
            return;
        }
        if let Ok(t) = std::fs::read_to_string(self.path) {
            self.add(t);
        }
        if let (Some(git), Some(dir), Some(file)) =
            (self.git, self.path.parent(), self.path.file_name())
        {
            let f = file.to_string_lossy().into_owned();
            for spec in [
                format!(":0:./{f}"),
                format!(":1:./{f}"),
                format!(":2:./{f}"),
                format!(":3:./{f}"),
                format!("HEAD:./{f}"),
                format!("MERGE_HEAD:./{f}"),
                format!("REBASE_HEAD:./{f}"),
                format!("ORIG_HEAD:./{f}"),
            ] {
                if let Some(t) = git.show(dir, &spec) {
                    self.add(t);
                }
            }
        }
    }

    /// The snapshot text recorded for `stem` (hash `want`).
    pub(crate) fn find(&mut self, want: &Link, stem: &str) -> Result<String, String> {
        self.load();
        if let (Some(git), Some(dir), Some(file)) =
            (self.git, self.path.parent(), self.path.file_name())
        {
            let f = file.to_string_lossy().into_owned();
            while !self.cache.contains_key(want) {
                let commits = self
                    .commits
                    .get_or_insert_with(|| git.commits(dir, &f, 1000).into_iter());
                let Some(c) = commits.next() else {
                    break;
                };
                if let Some(t) = git.show(dir, &format!("{c}:./{f}")) {
                    self.add(t);
                }
            }
        }
        self.cache.get(want).cloned().ok_or_else(|| {
            format!(
                "the snapshot after {stem} (blake3 {want}) is neither {} nor in git",
                show(self.path)
            )
        })
    }

    pub(crate) fn model(&mut self, want: &Link, stem: &str) -> Result<Model, String> {
        let text = self.find(want, stem)?;
        snapshot::from_toml(&text).map_err(|e| format!("the snapshot after {stem}: {}", e.trim()))
    }
}

/// The body of a migration file: what follows its header (`--` line and blank line).
pub(crate) fn body_of(text: &str) -> &str {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        offset += line.len();
        let l = line.trim_end_matches('\n');
        if l == "--" {
            return text[offset..].strip_prefix('\n').unwrap_or(&text[offset..]);
        }
        if !l.starts_with("--") {
            return &text[offset - line.len()..];
        }
    }
    ""
}

/// A migration file with another stem and parent in its header; the rest as it was.
pub(crate) fn rechain_text(text: &str, stem: &str, parent: &Link) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut in_header = true;
    for line in text.split_inclusive('\n') {
        let l = line.trim_end_matches('\n');
        if in_header {
            if l.starts_with("-- schemactl down migration ") {
                out.push_str(&format!("-- schemactl down migration {stem}\n"));
                continue;
            }
            if l.starts_with("-- schemactl migration ") {
                out.push_str(&format!("-- schemactl migration {stem}\n"));
                continue;
            }
            if l.starts_with("-- parent: ") {
                out.push_str(&format!("-- parent: {parent}\n"));
                continue;
            }
            if l == "--" || !l.starts_with("--") {
                in_header = false;
            }
        }
        out.push_str(line);
    }
    out
}

/// A line diff of two texts: changed lines with `-`/`+`, two lines of context, `…` between
/// hunks.
pub(crate) fn line_diff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    const MAX: usize = 4000;
    if a.len() > MAX || b.len() > MAX {
        return format!(
            "(the bodies differ: {} lines before, {} after)\n",
            a.len(),
            b.len()
        );
    }
    // Longest common subsequence table.
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut ops: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            ops.push((' ', a[i]));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            ops.push(('-', a[i]));
            i += 1;
        } else {
            ops.push(('+', b[j]));
            j += 1;
        }
    }
    if ops.is_empty() {
        return String::new();
    }
    const CONTEXT: usize = 2;
    let near = |k: usize| {
        let lo = k.saturating_sub(CONTEXT);
        let hi = (k + CONTEXT).min(ops.len() - 1);
        (lo..=hi).any(|x| ops[x].0 != ' ')
    };
    let mut out = String::new();
    let mut skipped = false;
    for (k, (op, line)) in ops.iter().enumerate() {
        if near(k) {
            if skipped && !out.is_empty() {
                out.push_str("…\n");
            }
            skipped = false;
            out.push(*op);
            out.push(' ');
            out.push_str(line);
            out.push('\n');
        } else {
            skipped = true;
        }
    }
    out
}

/// Merge `mine`'s change from `base` into `theirs`, object by object. `Err(path)` names a
/// value both changed differently; the inner result is the merged model or why it does not
/// read back.
pub(crate) fn merge_models(
    base: &Model,
    mine: &Model,
    theirs: &Model,
) -> Result<Result<Model, String>, String> {
    let table = |m: &Model| -> toml::Value {
        toml::from_str::<toml::Table>(&snapshot::to_toml(m))
            .map(toml::Value::Table)
            .unwrap_or(toml::Value::Table(toml::Table::new()))
    };
    let (b, m, t) = (table(base), table(mine), table(theirs));
    let merged = merge3(Some(&b), Some(&m), Some(&t), "")?;
    let merged = merged.unwrap_or(toml::Value::Table(toml::Table::new()));
    let text = match toml::to_string(&merged) {
        Ok(t) => t,
        Err(e) => return Ok(Err(e.to_string())),
    };
    Ok(snapshot::from_toml(&text))
}

fn merge3(
    base: Option<&toml::Value>,
    mine: Option<&toml::Value>,
    theirs: Option<&toml::Value>,
    path: &str,
) -> Result<Option<toml::Value>, String> {
    if mine == base {
        return Ok(theirs.cloned());
    }
    if theirs == base || mine == theirs {
        return Ok(mine.cloned());
    }
    let empty = toml::Table::new();
    match (base, mine, theirs) {
        (
            None | Some(toml::Value::Table(_)),
            Some(toml::Value::Table(m)),
            Some(toml::Value::Table(t)),
        ) => {
            let b = match base {
                Some(toml::Value::Table(b)) => b,
                _ => &empty,
            };
            let mut out = toml::Table::new();
            let keys: Vec<&String> = t
                .keys()
                .chain(m.keys().filter(|k| !t.contains_key(*k)))
                .chain(
                    b.keys()
                        .filter(|k| !t.contains_key(*k) && !m.contains_key(*k)),
                )
                .collect();
            for k in keys {
                let sub = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                if let Some(v) = merge3(b.get(k), m.get(k), t.get(k), &sub)? {
                    out.insert(k.clone(), v);
                }
            }
            Ok(Some(toml::Value::Table(out)))
        }
        (
            None | Some(toml::Value::Array(_)),
            Some(toml::Value::Array(m)),
            Some(toml::Value::Array(t)),
        ) if named(m)
            && named(t)
            && base.is_none_or(|b| matches!(b, toml::Value::Array(a) if named(a))) =>
        {
            let b: &[toml::Value] = match base {
                Some(toml::Value::Array(a)) => a,
                _ => &[],
            };
            let get = |list: &[toml::Value], k: &str| -> Option<toml::Value> {
                list.iter().find(|v| name_of(v) == Some(k)).cloned()
            };
            let mut keys: Vec<String> = Vec::new();
            for v in t.iter().chain(m.iter()).chain(b.iter()) {
                let k = name_of(v).unwrap_or("").to_string();
                if !keys.contains(&k) {
                    keys.push(k);
                }
            }
            let mut out = Vec::new();
            for k in keys {
                let sub = format!("{path}[{k}]");
                if let Some(v) = merge3(
                    get(b, &k).as_ref(),
                    get(m, &k).as_ref(),
                    get(t, &k).as_ref(),
                    &sub,
                )? {
                    out.push(v);
                }
            }
            Ok(Some(toml::Value::Array(out)))
        }
        _ => Err(describe_path(path)),
    }
}

/// Every element a table with a string `name`.
fn named(list: &[toml::Value]) -> bool {
    list.iter().all(|v| name_of(v).is_some())
}

fn name_of(v: &toml::Value) -> Option<&str> {
    v.as_table()?.get("name")?.as_str()
}

/// `schemas.public.tables.users.columns[email].type` → `public.users: column email, type`.
fn describe_path(path: &str) -> String {
    format!("`{path}`")
}
