//! `schemactl squash --to V`: replace migrations 1..V with one migration that builds the
//! snapshot at V from nothing (planned from the empty model, with its down file back to
//! empty). Later migrations are renumbered (V+1 becomes 2) and re-chained: their bodies and
//! snapshot hashes are unchanged, their headers name the new stem and parent, and the sum
//! file is rewritten, so `check` and `verify` pass on the result.
//!
//! The squashed migration's header records what it replaces: `-- squashes: <stem of V>
//! <link of V>`. A database at exactly V (every migration 1..V applied, nothing after) is
//! brought over by `apply` on its first run (see `apply::squash`): its history keeps the old
//! rows, gains a `baselined` row for the squashed migration and a `rolled_back` row for each
//! old version 2..V (those numbers now belong to the later migrations, still pending there).
//! A database part of the way (at 1..V−1) cannot be brought over, nor one past V (its later
//! rows carry the old links): `squash --db` refuses both.

use std::path::PathBuf;

use serde_json::json;

use super::rebase::{Git, SnapshotFinder, rechain_text};
use super::{Exit, Format, Global, Outcome, layout, load_chain, rel};
use crate::migrations::{
    self, Header, Link, SumEntry, compute_link, genesis, parse_header, render_header, render_sum,
};
use crate::model::{Model, snapshot};
use crate::plan::{self, Hazard};

/// `--help`: what it writes and what it refuses.
pub const HELP: &str =
    "The snapshot at V is taken from git by the hash the sum file records (the head snapshot
when V is the last migration). Every database must be at 0 or at V: with --db, a database at
1..V-1 (or past V) is refused, exit 2. A database at V accepts the squashed chain: its first
`apply` records the squash in its history.

Examples:
  schemactl squash --to 12
  schemactl squash --to 12 -m baseline_2026 --db \"$DATABASE_URL\"";

#[derive(Clone, Debug, Default)]
pub struct Options {
    pub to: u32,
    pub name: Option<String>,
}

pub fn run(g: &Global, opts: &Options) -> Outcome {
    if let Some(o) = super::markdown::unsupported(g, "squash") {
        return o;
    }
    let (project, chain) = match load_chain(g) {
        Ok(x) => x,
        Err(o) => return o,
    };
    let n = chain.migrations.len() as u32;
    let v = opts.to;
    if v < 2 || v > n {
        return Outcome::fail(
            g,
            Exit::Invalid,
            "squash-range",
            &format!(
                "--to {v} is out of range: squash takes 2 to {n} here (the chain has {n} migration{}); nothing was written",
                if n == 1 { "" } else { "s" }
            ),
            &if n >= 2 {
                format!("pass --to 2..{n}")
            } else {
                "a chain of fewer than two migrations has nothing to squash".to_string()
            },
        );
    }
    let last = &chain.migrations[v as usize - 1];
    let name = match &opts.name {
        Some(n) => {
            if let Err(e) = migrations::validate_name(n) {
                return Outcome::fail(
                    g,
                    Exit::Invalid,
                    "invalid-name",
                    &format!("invalid migration name `{n}`: {e}"),
                    &format!("try `-m {}`", migrations::slug(n)),
                );
            }
            n.clone()
        }
        None => migrations::slug(&format!(
            "squash_{}",
            last.stem.split_once('_').map_or("", |(_, n)| n)
        )),
    };
    // A database given with --db must be at 0 or at V.
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
        let state = crate::apply::latest(&rows);
        let touched: Vec<i32> = state
            .iter()
            .filter(|(_, r)| r.in_effect() || r.part_way())
            .map(|(k, _)| *k)
            .collect();
        let at = touched.iter().copied().max().unwrap_or(0);
        let complete = (1..=at).all(|k| state.get(&k).is_some_and(|r| r.in_effect()));
        if at != 0 && (at != v as i32 || !complete) {
            let (why, hint) = if at > v as i32 {
                (
                    format!(
                        "it is at {at:04}, past {v:04}: its history rows of the later migrations carry links the squash changes"
                    ),
                    format!(
                        "squash to the version of the oldest database (`--to {at}` here), or bring that database to {v:04} first"
                    ),
                )
            } else {
                (
                    format!(
                        "it is at {at:04}, between 0001 and {:04}: the squashed migration would run objects it already has",
                        v - 1
                    ),
                    format!(
                        "apply up to {v:04} there first (`schemactl apply --to {v}`), or squash fewer migrations (`--to {at}`)"
                    ),
                )
            };
            return Outcome::fail(
                g,
                Exit::Invalid,
                "squash-database",
                &format!(
                    "{} cannot take the squashed chain: {why}; nothing was written",
                    db.label
                ),
                &hint,
            );
        }
    }
    let layout = layout(&project);
    // The snapshot at V.
    // Not in git (several plans in one commit): rebuilt by replaying 1..V in a throwaway
    // PostgreSQL and reading the catalog back.
    let mut rebuilt = false;
    let found = if v == n {
        chain.snapshot.clone().ok_or_else(String::new)
    } else {
        let git = Git::at(&layout.snapshots_dir);
        let path = layout.snapshot_path();
        SnapshotFinder::new(&path, git.as_ref()).find(&last.snapshot_hash, &last.stem)
    };
    let model = match found.map(|t| snapshot::from_toml(&t)) {
        Ok(Ok(m)) => m,
        Ok(Err(e)) => {
            return Outcome::fail(
                g,
                Exit::Invalid,
                "snapshot-unreadable",
                &format!(
                    "the snapshot after {}: {}; nothing was written",
                    last.stem,
                    e.trim()
                ),
                "restore it from version control",
            );
        }
        Err(e) => match super::live::replay(g, &project, &chain, Some(v)) {
            Ok(m) => {
                rebuilt = true;
                m
            }
            Err(o) if o.exit == Exit::Failure => {
                return Outcome::fail(
                    g,
                    Exit::Invalid,
                    "snapshot-not-found",
                    &format!(
                        "{e}, and rebuilding it in a throwaway PostgreSQL failed: {}; nothing was written",
                        o.stderr.trim()
                    ),
                    "only the head snapshot is stored; run squash in the git clone where the migrations were committed, or squash to the last migration",
                );
            }
            Err(o) => return o,
        },
    };
    let empty = Model::default();
    let up_plan = plan::plan(crate::diff::compare(&empty, &model, &[]).changes);
    if !up_plan.unsupported.is_empty() {
        return Outcome::fail(
            g,
            Exit::No,
            "squash-unplannable",
            &format!(
                "the schema at {} cannot be planned from nothing: {}; nothing was written",
                last.stem,
                up_plan.unsupported.join("; ")
            ),
            "squash to an earlier migration",
        );
    }
    let (first, back) = crate::diff::reverse(&model, &empty, &[]);
    let down_plan = plan::plan_stages(vec![first, back.changes]);
    // Allowances the squashed migrations recorded carry over.
    let mut allow: Vec<Hazard> = chain.migrations[..v as usize]
        .iter()
        .filter_map(|m| parse_header(&m.up).ok())
        .flat_map(|h| h.allowed)
        .filter_map(|id| Hazard::parse(&id))
        .collect();
    allow.sort();
    allow.dedup();
    let policy = project.config.policy();
    let hazards = up_plan.hazards();
    let stem = format!("0001_{name}");
    let mut header = Header {
        stem: stem.clone(),
        down: false,
        parent: Some(genesis()),
        hazards: hazards.iter().map(|h| h.id().to_string()).collect(),
        allowed: policy
            .granted(&hazards, &allow)
            .iter()
            .map(|h| h.id().to_string())
            .collect(),
        segments: None,
    };
    let squashes = format!(
        "-- {}: {} {}\n",
        crate::apply::squash::SQUASHES,
        last.stem,
        last.link
    );
    let with_squashes = |h: String| -> String {
        // After the first line (and the parent line): the header's own lines stay first.
        match h.find("-- hazards:") {
            Some(at) => format!("{}{squashes}{}", &h[..at], &h[at..]),
            None => h,
        }
    };
    let up_body = up_plan.sql_body();
    header.segments = crate::apply::segments_line(&up_body);
    let up = file_text(with_squashes(render_header(&header)), up_body);
    header.down = true;
    header.hazards = down_plan
        .hazards()
        .iter()
        .map(|h| h.id().to_string())
        .collect();
    header.allowed = Vec::new();
    let down_body = super::plan::down_sql(&down_plan);
    header.segments = crate::apply::segments_line(&down_body);
    let down = file_text(render_header(&header), down_body);
    // The hash recorded for V (a rebuilt model reads back equal, not byte-identical).
    let snap = last.snapshot_hash;
    let link = compute_link(&genesis(), &stem, &up, Some(&down), &snap);
    let mut write: Vec<(PathBuf, String)> =
        vec![(layout.up_path(&stem), up), (layout.down_path(&stem), down)];
    let mut entries = vec![SumEntry {
        stem: stem.clone(),
        link,
        snapshot_hash: snap,
    }];
    let mut head: Link = link;
    let mut renamed: Vec<(String, String)> = Vec::new();
    for (k, m) in chain.migrations[v as usize..].iter().enumerate() {
        let version = k as u32 + 2;
        let new_stem = format!(
            "{version:04}_{}",
            m.stem.split_once('_').map_or("", |(_, n)| n)
        );
        let up = rechain_text(&m.up, &new_stem, &head);
        let down = m.down.as_deref().map(|d| rechain_text(d, &new_stem, &head));
        let l = compute_link(&head, &new_stem, &up, down.as_deref(), &m.snapshot_hash);
        write.push((layout.up_path(&new_stem), up));
        if let Some(d) = down {
            write.push((layout.down_path(&new_stem), d));
        }
        entries.push(SumEntry {
            stem: new_stem.clone(),
            link: l,
            snapshot_hash: m.snapshot_hash,
        });
        renamed.push((m.stem.clone(), new_stem));
        head = l;
    }
    write.push((layout.sum_path(), render_sum(&head, &entries)));
    let written: Vec<PathBuf> = write.iter().map(|(p, _)| p.clone()).collect();
    let mut remove: Vec<PathBuf> = Vec::new();
    for m in &chain.migrations {
        for p in [layout.up_path(&m.stem), layout.down_path(&m.stem)] {
            if !written.contains(&p) && p.exists() {
                remove.push(p);
            }
        }
    }
    let result = migrations::replace_files(&write, &remove);
    if let Err(e) = result {
        return Outcome::fail(
            g,
            Exit::Failure,
            "io",
            &format!("squash failed part-way: {e}"),
            "run `schemactl check` to see the state of the directory, and restore it from version control",
        );
    }
    let squashed: Vec<&str> = chain.migrations[..v as usize]
        .iter()
        .map(|m| m.stem.as_str())
        .collect();
    match g.format {
        Format::Json => Outcome::json(
            Exit::Ok,
            json!({
                "ok": true,
                "squashed": squashed,
                "into": stem,
                "steps": up_plan.steps.len(),
                "snapshot_rebuilt": rebuilt,
                "renumbered": renamed.iter().map(|(a, b)| json!({ "from": a, "to": b })).collect::<Vec<_>>(),
                "removed": remove.iter().map(|p| rel(&project.root, p)).collect::<Vec<_>>(),
            }),
        ),
        Format::Text | Format::Markdown => {
            let mut o = Outcome::new(Exit::Ok);
            if !g.quiet {
                let mut s = format!(
                    "Squashed {} migrations ({} .. {}) into {stem}: {} step(s).\n",
                    squashed.len(),
                    squashed[0],
                    last.stem,
                    up_plan.steps.len()
                );
                if rebuilt {
                    s.push_str(&format!(
                        "  = note: not in git, the snapshot after {} was rebuilt by replaying 0001..{} in a throwaway PostgreSQL\n",
                        last.stem, last.stem
                    ));
                }
                for (a, b) in &renamed {
                    s.push_str(&format!("  {a} -> {b}: re-chained, SQL unchanged\n"));
                }
                s.push_str(&format!(
                    "Wrote {}, the renumbered migrations and {}; removed {} file(s).\n  = note: a database at {:04} accepts the new chain on its next `schemactl apply` (it records the squash in its history); run `schemactl verify --dev` before committing\n",
                    rel(&project.root, &layout.up_path(&stem)),
                    rel(&project.root, &layout.sum_path()),
                    remove.len(),
                    v
                ));
                o.stdout = s;
            }
            o
        }
    }
}

/// Header + body with a final newline (as `prepare` writes files).
fn file_text(header: String, body: String) -> String {
    let mut s = header;
    s.push_str(&body);
    if !body.is_empty() && !s.ends_with('\n') {
        s.push('\n');
    }
    s
}
