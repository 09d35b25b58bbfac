//! `load`: read the migration directory and verify the chain, reporting every problem.
//!
//! Rules, in the order they are applied:
//!
//! 1. Every entry of `migrations/` other than `schemactl.sum` and hidden (`.`) entries must be
//!    a file named `NNNN_name.sql` or `NNNN_name.down.sql` (number ≥ 0001, at least four
//!    digits, no extra leading zeros; name `[a-z0-9_]{1,64}`), else **bad-file-name**. A down
//!    file whose up file is absent (and which is not recorded) is also bad-file-name.
//! 2. No sum file: **sum-missing** when any migration file exists (an empty directory is an
//!    empty chain). A sum file with conflict markers: **sum-conflict**; malformed lines (or
//!    versions not running 1..=n in order): **sum-syntax** per line. In these three cases the
//!    chain cannot be walked; the only further check is two files on disk sharing a number
//!    (**duplicate-version**).
//! 3. Each sum entry `i` is recomputed from the *recorded* link `i-1`, the files on disk and
//!    the recorded snapshot hash:
//!    - up file present, link differs: **edited**. When the recorded link matches without the
//!      down file, the down file was added later (edited, naming the down file). Otherwise
//!      both files are named when a down file exists: the link covers both, so which of them
//!      changed cannot be told from the sum file.
//!    - up file absent: **renamed** when an unrecorded file hashes to the recorded link under
//!      the recorded stem (with its own down file, the recorded stem's down file or none);
//!      else **missing** (mentioning an unrecorded file with the same number, if any, which
//!      is then not reported again).
//! 4. Head line ≠ last entry's link (`link_0` when there are none): **sum-out-of-date**.
//! 5. Unrecorded files (not accounted for by 3), by number; `n` = number of sum entries:
//!    - number ≤ n is **duplicate-version** (a parallel branch) when the number is `n`, or
//!      its header's parent is the recorded link `number-1`, or the unrecorded file
//!      numbered one less was itself a duplicate-version; otherwise **inserted** (a file
//!      slipped into the middle of the chain).
//!    - number > n: **sum-out-of-date** (not in the sum file).
//! 6. With ≥ 1 entry: no `snapshots/head.toml` is **snapshot-missing**; a snapshot whose
//!    normalised hash is not the last entry's snapshot hash is **snapshot-edited**. With no
//!    entries the snapshot is not checked (it is returned as is).
//!
//! Unreadable files and directories are **unreadable** and are otherwise skipped. Problems
//! are sorted by path, then kind, line and message.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::file::{parse_file_name, parse_header};
use super::sum::{SumEntry, SumError, parse, render_sum};
use super::{
    Chain, Layout, Link, Migration, Problem, ProblemKind, SUM_FILE, compute_link, genesis,
    normalise, show, snapshot_hash,
};

/// One migration file on disk; `text` is `None` when it could not be read (already reported).
struct DiskFile {
    path: PathBuf,
    text: Option<String>,
}

/// The up and down files sharing a stem.
struct DiskStem {
    version: u32,
    up: Option<DiskFile>,
    down: Option<DiskFile>,
}

fn problem(kind: ProblemKind, path: &Path, message: String, hint: impl Into<String>) -> Problem {
    Problem {
        kind,
        path: path.to_path_buf(),
        line: None,
        message,
        hint: hint.into(),
    }
}

/// Read a text file, normalised. `Ok(None)` when it does not exist.
fn read_text(path: &Path) -> Result<Option<String>, Problem> {
    match fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => {
                let changed = match normalise(&text) {
                    Cow::Owned(t) => Some(t),
                    Cow::Borrowed(_) => None,
                };
                Ok(Some(changed.unwrap_or(text)))
            }
            Err(e) => Err(problem(
                ProblemKind::Unreadable,
                path,
                format!(
                    "{} is not UTF-8 text (invalid byte at offset {})",
                    show(path),
                    e.utf8_error().valid_up_to()
                ),
                "save it as UTF-8",
            )),
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(unreadable(path, &e)),
    }
}

fn unreadable(path: &Path, e: &io::Error) -> Problem {
    problem(
        ProblemKind::Unreadable,
        path,
        format!("{} could not be read: {e}", show(path)),
        "check that it exists and is readable",
    )
}

/// Read and verify the migration directory, the sum file and the head snapshot. Returns every
/// problem found (see the module documentation for the rules).
pub fn load(layout: &Layout) -> Result<Chain, Vec<Problem>> {
    let mut problems = Vec::new();
    let disk = scan(layout, &mut problems);
    let sum_path = layout.sum_path();
    let chain = match read_text(&sum_path) {
        Err(p) => {
            problems.push(p);
            disk_duplicates(&disk, &mut problems);
            None
        }
        Ok(None) => {
            if disk.is_empty() {
                Some((Vec::new(), genesis(), None))
            } else {
                problems.push(problem(
                    ProblemKind::SumMissing,
                    &sum_path,
                    format!(
                        "{} is missing but {}/ holds {} migration(s)",
                        show(&sum_path),
                        file_name(&layout.migrations_dir),
                        disk.len()
                    ),
                    format!(
                        "restore it (`git checkout -- {}`), or run `schemactl hash` to rebuild it",
                        show(&sum_path)
                    ),
                ));
                disk_duplicates(&disk, &mut problems);
                None
            }
        }
        Ok(Some(text)) => match parse(&text) {
            Ok((head, entries)) => Some(walk(layout, &disk, head, &entries, &mut problems)),
            Err(e) => {
                problems.extend(sum_error_problems(&sum_path, e));
                disk_duplicates(&disk, &mut problems);
                None
            }
        },
    };

    let snapshot_path = layout.snapshot_path();
    let snapshot = match read_text(&snapshot_path) {
        Ok(s) => s,
        Err(p) => {
            problems.push(p);
            None
        }
    };
    if let Some((_, _, Some(last))) = &chain {
        check_snapshot(&snapshot_path, snapshot.as_deref(), last, &mut problems);
    }

    if problems.is_empty() {
        let (migrations, head, _) = chain.expect("no problems means the chain was walked");
        return Ok(Chain {
            migrations,
            head,
            snapshot,
        });
    }
    sort_problems(&mut problems);
    Err(problems)
}

/// Problems for a sum file that cannot be parsed.
fn sum_error_problems(sum_path: &Path, error: SumError) -> Vec<Problem> {
    match error {
        SumError::Conflict(lines) => vec![Problem {
            line: Some(lines[0]),
            ..problem(
                ProblemKind::SumConflict,
                sum_path,
                format!(
                    "{} has merge conflict markers: two branches each added migrations",
                    show(sum_path)
                ),
                format!(
                    "do not merge the sum file by hand: {}",
                    super::REPLAN_BRANCH
                ),
            )
        }],
        SumError::Syntax(errors) => errors
            .into_iter()
            .map(|(line, message)| Problem {
                line: Some(line),
                ..problem(
                    ProblemKind::SumSyntax,
                    sum_path,
                    format!("{} line {line}: {message}", show(sum_path)),
                    format!(
                        "the sum file is generated; restore it (`git checkout -- {}`) \
                         or rebuild it with `schemactl hash`",
                        show(sum_path)
                    ),
                )
            })
            .collect(),
    }
}

fn sort_problems(problems: &mut Vec<Problem>) {
    problems.sort_by(|a, b| {
        (&a.path, a.kind, a.line, &a.message).cmp(&(&b.path, b.kind, b.line, &b.message))
    });
    problems.dedup();
}

/// `schemactl hash`: the sum file rebuilt from the migration files on disk, for after a
/// deliberate, reviewed edit (or a hand-written migration at the tip). Returns the file to
/// write (the sum file only; migration headers and the snapshot are left alone).
///
/// Requires migration files numbered 1..=n without gaps or duplicates, good file names and a
/// sum file that is absent or parses. Each migration keeps the snapshot hash the current sum
/// file records for its number; numbers it does not record (a hand-written migration, or
/// every migration when there is no sum file) get the hash of the current head snapshot,
/// which must then exist.
pub fn rehash(layout: &Layout) -> Result<Vec<(PathBuf, String)>, Vec<Problem>> {
    let mut problems = Vec::new();
    let disk = scan(layout, &mut problems);
    disk_duplicates(&disk, &mut problems);
    let sum_path = layout.sum_path();
    let mut recorded_stems: BTreeMap<u32, String> = BTreeMap::new();
    let recorded: BTreeMap<u32, Link> = match read_text(&sum_path) {
        Err(p) => {
            problems.push(p);
            BTreeMap::new()
        }
        Ok(None) => BTreeMap::new(),
        Ok(Some(text)) => match parse(&text) {
            Ok((_, entries)) => entries
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    recorded_stems.insert(i as u32 + 1, e.stem.clone());
                    (i as u32 + 1, e.snapshot_hash)
                })
                .collect(),
            Err(e) => {
                problems.extend(sum_error_problems(&sum_path, e));
                BTreeMap::new()
            }
        },
    };

    let mut ups: Vec<(u32, &str, &DiskStem)> = disk
        .iter()
        .filter(|(_, d)| d.up.is_some())
        .map(|(stem, d)| (d.version, stem.as_str(), d))
        .collect();
    ups.sort_by_key(|(v, stem, _)| (*v, *stem));
    let mut present: BTreeSet<u32> = ups.iter().map(|(v, _, _)| *v).collect();
    if let Some(&max) = present.last() {
        for v in 1..max {
            if present.insert(v) {
                problems.push(problem(
                    ProblemKind::Missing,
                    &layout.migrations_dir,
                    format!(
                        "{}/ has no migration numbered {v:04}: numbers must run 0001, 0002, … without gaps",
                        file_name(&layout.migrations_dir)
                    ),
                    "restore the missing migration (`git checkout`), or renumber the later ones",
                ));
            }
        }
    }

    let snapshot_path = layout.snapshot_path();
    let needs_snapshot = ups.iter().any(|(v, _, _)| !recorded.contains_key(v));
    let head_snapshot = match read_text(&snapshot_path) {
        Ok(Some(text)) => Some(snapshot_hash(&text)),
        Ok(None) => {
            if needs_snapshot {
                problems.push(problem(
                    ProblemKind::SnapshotMissing,
                    &snapshot_path,
                    format!(
                        "{} is missing; it is needed to record migrations the sum file does not know",
                        show(&snapshot_path)
                    ),
                    format!("restore it (`git checkout -- {}`)", show(&snapshot_path)),
                ));
            }
            None
        }
        Err(p) => {
            problems.push(p);
            None
        }
    };
    // The newest migrations' files deleted by hand, their snapshot still the head: the sum
    // file can be re-written, but the snapshot of the migration now at the head cannot be
    // recovered from it, so the chain would stay broken (`discard` does this properly).
    if let (Some(head), Some(&(last_up, _, _))) = (head_snapshot, ups.last())
        && recorded.get(&last_up) != Some(&head)
        && let Some((gone, _)) = recorded
            .range(last_up + 1..)
            .rev()
            .find(|(_, snap)| **snap == head)
    {
        let gone = recorded_stems.get(gone).cloned().unwrap_or_default();
        let kept = recorded_stems.get(&last_up).cloned().unwrap_or_default();
        problems.push(problem(
            ProblemKind::SnapshotEdited,
            &snapshot_path,
            format!(
                "{} is the snapshot of {gone}, whose files are gone; re-hashing cannot recover the snapshot of {kept}, which would be the head",
                show(&snapshot_path)
            ),
            format!(
                "restore the deleted files (`git checkout -- {}`), then run `schemactl discard` for each migration to undo: it removes the newest one and restores the snapshot and sum file before it",
                file_name(&layout.migrations_dir)
            ),
        ));
    }
    if !problems.is_empty() {
        sort_problems(&mut problems);
        return Err(problems);
    }

    let mut prev = genesis();
    let mut entries = Vec::new();
    for (version, stem, d) in ups {
        let up = d.up.as_ref().and_then(|f| f.text.as_deref()).unwrap_or("");
        let down = d.down.as_ref().and_then(|f| f.text.as_deref());
        let snap = recorded
            .get(&version)
            .copied()
            .or(head_snapshot)
            .expect("checked: the snapshot exists when needed");
        let link = compute_link(&prev, stem, up, down, &snap);
        entries.push(SumEntry {
            stem: stem.to_string(),
            link,
            snapshot_hash: snap,
        });
        prev = link;
    }
    Ok(vec![(sum_path, render_sum(&prev, &entries))])
}

/// The last recorded migration, for the snapshot check.
struct LastEntry {
    stem: String,
    snapshot_hash: Link,
}

fn check_snapshot(
    path: &Path,
    snapshot: Option<&str>,
    last: &LastEntry,
    problems: &mut Vec<Problem>,
) {
    match snapshot {
        None if path.exists() => {} // unreadable, already reported
        None => problems.push(problem(
            ProblemKind::SnapshotMissing,
            path,
            format!(
                "{} is missing; the sum file records migrations up to {}",
                show(path),
                last.stem
            ),
            format!("restore it (`git checkout -- {}`)", show(path)),
        )),
        Some(text) if snapshot_hash(text) != last.snapshot_hash => problems.push(problem(
            ProblemKind::SnapshotEdited,
            path,
            format!(
                "{} was edited by hand (its hash no longer matches the one recorded for {} in the sum file)",
                show(path),
                last.stem
            ),
            format!(
                "restore it (`git checkout -- {}`); to change the schema, edit the schema sources and run `schemactl plan`",
                show(path)
            ),
        )),
        Some(_) => {}
    }
}

/// List `migrations/`: migration files grouped by stem, other entries reported.
fn scan(layout: &Layout, problems: &mut Vec<Problem>) -> BTreeMap<String, DiskStem> {
    let dir = &layout.migrations_dir;
    let mut disk: BTreeMap<String, DiskStem> = BTreeMap::new();
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return disk,
        Err(e) => {
            problems.push(unreadable(dir, &e));
            return disk;
        }
    };
    let mut names = Vec::new();
    for entry in entries {
        match entry {
            Ok(entry) => names.push(entry),
            Err(e) => problems.push(unreadable(dir, &e)),
        }
    }
    names.sort_by_key(|e| e.file_name());
    let bad_hint = "migrations/ holds only NNNN_name.sql and NNNN_name.down.sql files \
                    (name: lowercase letters, digits, `_`) and schemactl.sum; rename the file \
                    or move it elsewhere";
    for entry in names {
        let path = entry.path();
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            problems.push(problem(
                ProblemKind::BadFileName,
                &path,
                format!(
                    "{} is not a migration file (its name is not UTF-8)",
                    show(&path)
                ),
                bad_hint,
            ));
            continue;
        };
        if name.starts_with('.') || name == SUM_FILE {
            continue;
        }
        let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
        if is_dir {
            problems.push(problem(
                ProblemKind::BadFileName,
                &path,
                format!("{} is a directory, not a migration file", show(&path)),
                bad_hint,
            ));
            continue;
        }
        let parsed = match parse_file_name(&name) {
            Ok(p) => p,
            Err(e) => {
                problems.push(problem(
                    ProblemKind::BadFileName,
                    &path,
                    format!("{} is not a migration file name: {e}", show(&path)),
                    bad_hint,
                ));
                continue;
            }
        };
        let text = match read_text(&path) {
            Ok(Some(t)) => Some(t),
            Ok(None) => None,
            Err(p) => {
                problems.push(p);
                None
            }
        };
        let slot = disk.entry(parsed.stem).or_insert(DiskStem {
            version: parsed.version,
            up: None,
            down: None,
        });
        let file = Some(DiskFile { path, text });
        if parsed.down {
            slot.down = file;
        } else {
            slot.up = file;
        }
    }
    disk
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn count_word(n: usize) -> String {
    match n {
        2 => "two".into(),
        3 => "three".into(),
        n => n.to_string(),
    }
}

fn duplicate_problem(version: u32, paths: &[&Path]) -> Problem {
    let names: Vec<String> = paths.iter().map(|p| file_name(p)).collect();
    problem(
        ProblemKind::DuplicateVersion,
        paths.last().expect("at least two files"),
        format!(
            "{} migrations numbered {version:04} ({}): parallel branches each added one",
            count_word(paths.len()),
            names.join(", ")
        ),
        super::REPLAN_BRANCH,
    )
}

fn orphan_down(stem: &str, path: &Path) -> Problem {
    problem(
        ProblemKind::BadFileName,
        path,
        format!(
            "{} is a down file without its migration {stem}.sql",
            show(path)
        ),
        format!("delete it, or restore {stem}.sql"),
    )
}

/// Without a usable sum file: report up files that share a number, and down files without
/// an up file.
fn disk_duplicates(disk: &BTreeMap<String, DiskStem>, problems: &mut Vec<Problem>) {
    let mut by_version: BTreeMap<u32, Vec<&Path>> = BTreeMap::new();
    for (name, stem) in disk {
        match (&stem.up, &stem.down) {
            (Some(up), _) => by_version.entry(stem.version).or_default().push(&up.path),
            (None, Some(down)) => problems.push(orphan_down(name, &down.path)),
            (None, None) => {}
        }
    }
    for (version, paths) in by_version {
        if paths.len() > 1 {
            problems.push(duplicate_problem(version, &paths));
        }
    }
}

/// Walk the sum entries; returns the verified migrations (complete only when no problem was
/// added) and the head link.
fn walk(
    layout: &Layout,
    disk: &BTreeMap<String, DiskStem>,
    head: Link,
    entries: &[SumEntry],
    problems: &mut Vec<Problem>,
) -> (Vec<Migration>, Link, Option<LastEntry>) {
    let sum_path = layout.sum_path();
    let recorded: BTreeSet<&str> = entries.iter().map(|e| e.stem.as_str()).collect();
    let mut accounted: BTreeSet<&str> = BTreeSet::new();
    let mut migrations = Vec::new();
    let mut prev = genesis();

    for (i, entry) in entries.iter().enumerate() {
        let version = i as u32 + 1;
        let stem = entry.stem.as_str();
        let on_disk = disk.get(stem);
        let up_path = layout.up_path(stem);
        let down_path = layout.down_path(stem);
        match on_disk.and_then(|d| d.up.as_ref()) {
            Some(up) => {
                let down = on_disk.and_then(|d| d.down.as_ref());
                if let (Some(up_text), Some(down_text)) = (
                    up.text.as_deref(),
                    down.map(|d| d.text.as_deref()).unwrap_or(Some("")),
                ) {
                    let down_text = down.map(|_| down_text);
                    let link = compute_link(&prev, stem, up_text, down_text, &entry.snapshot_hash);
                    if link == entry.link {
                        migrations.push(Migration {
                            version,
                            stem: stem.to_string(),
                            path: up.path.clone(),
                            up: up_text.to_string(),
                            down: down_text.map(str::to_string),
                            parent: prev,
                            link,
                            snapshot_hash: entry.snapshot_hash,
                        });
                    } else {
                        problems.push(edited(
                            &prev,
                            entry,
                            &up.path,
                            up_text,
                            down.map(|d| d.path.as_path()),
                        ));
                    }
                }
            }
            None => {
                let leftover_down = on_disk
                    .and_then(|d| d.down.as_ref())
                    .and_then(|d| d.text.as_deref());
                let renamed = disk.iter().find(|(other, d)| {
                    !recorded.contains(other.as_str())
                        && !accounted.contains(other.as_str())
                        && d.up
                            .as_ref()
                            .and_then(|u| u.text.as_deref())
                            .is_some_and(|up| {
                                let own_down = d.down.as_ref().and_then(|f| f.text.as_deref());
                                [own_down, leftover_down, None].iter().any(|down| {
                                    compute_link(&prev, stem, up, *down, &entry.snapshot_hash)
                                        == entry.link
                                })
                            })
                });
                if let Some((other, d)) = renamed {
                    accounted.insert(other.as_str());
                    let new_path = &d.up.as_ref().expect("checked above").path;
                    problems.push(problem(
                        ProblemKind::Renamed,
                        new_path,
                        format!(
                            "{} was renamed to {} (same content; file names are part of the hash chain)",
                            show(&up_path),
                            show(new_path)
                        ),
                        format!(
                            "rename it back: `git mv {} {}` (and its down file, if any)",
                            show(new_path),
                            show(&up_path)
                        ),
                    ));
                } else {
                    let same_number = disk.iter().find(|(other, d)| {
                        d.version == version
                            && d.up.is_some()
                            && !recorded.contains(other.as_str())
                            && !accounted.contains(other.as_str())
                    });
                    let mut message = format!(
                        "{} is missing: the sum file records it but it is not on disk",
                        show(&up_path)
                    );
                    if let Some((other, d)) = same_number {
                        accounted.insert(other.as_str());
                        message.push_str(&format!(
                            "; {} has the same number but different content (renamed and edited?)",
                            file_name(&d.up.as_ref().expect("checked").path)
                        ));
                    }
                    if on_disk.is_some_and(|d| d.down.is_some()) {
                        message.push_str(&format!(
                            "; its down file {} is still there",
                            file_name(&down_path)
                        ));
                    }
                    problems.push(problem(
                        ProblemKind::Missing,
                        &up_path,
                        message,
                        format!(
                            "restore it (`git checkout -- {}`); a planned migration cannot be \
                             removed — to undo its change, plan a new migration",
                            show(&up_path)
                        ),
                    ));
                }
            }
        }
        prev = entry.link;
    }

    let expected_head = entries.last().map(|e| e.link).unwrap_or_else(genesis);
    if head != expected_head {
        let last = entries
            .last()
            .map(|e| format!("the last migration ({})", e.stem))
            .unwrap_or_else(|| "the empty chain".to_string());
        problems.push(Problem {
            line: Some(1),
            ..problem(
                ProblemKind::SumOutOfDate,
                &sum_path,
                format!(
                    "{}: the head line does not match {last}; the sum file was edited or half-written",
                    show(&sum_path)
                ),
                "check the migrations are as intended, then run `schemactl hash` to rewrite the sum file",
            )
        });
    }

    unrecorded(disk, entries, &recorded, &accounted, problems);
    let last = entries.last().map(|e| LastEntry {
        stem: e.stem.clone(),
        snapshot_hash: e.snapshot_hash,
    });
    (migrations, head, last)
}

/// The Edited problem for a recorded migration whose link no longer matches.
fn edited(
    prev: &Link,
    entry: &SumEntry,
    up_path: &Path,
    up_text: &str,
    down_path: Option<&Path>,
) -> Problem {
    let hint_tail = "or if the edit is deliberate and reviewed run `schemactl hash`";
    match down_path {
        Some(down_path)
            if compute_link(prev, &entry.stem, up_text, None, &entry.snapshot_hash)
                == entry.link =>
        {
            problem(
                ProblemKind::Edited,
                down_path,
                format!(
                    "{} was added after {} was planned (the sum file records it without a down file)",
                    show(down_path),
                    file_name(up_path)
                ),
                format!("delete it, {hint_tail}"),
            )
        }
        Some(down_path) => problem(
            ProblemKind::Edited,
            up_path,
            format!(
                "{} or its down file {} was edited after it was planned (their hash no longer matches the sum file)",
                show(up_path),
                file_name(down_path)
            ),
            format!(
                "restore them (`git checkout -- {} {}`), {hint_tail}",
                show(up_path),
                show(down_path)
            ),
        ),
        None => problem(
            ProblemKind::Edited,
            up_path,
            format!(
                "{} was edited after it was planned (its hash no longer matches the sum file)",
                show(up_path)
            ),
            format!(
                "restore it (`git checkout -- {}`; also its down file if one was deleted), {hint_tail}",
                show(up_path)
            ),
        ),
    }
}

/// Files on disk that the sum file does not record (and that are not explained as renames).
fn unrecorded(
    disk: &BTreeMap<String, DiskStem>,
    entries: &[SumEntry],
    recorded: &BTreeSet<&str>,
    accounted: &BTreeSet<&str>,
    problems: &mut Vec<Problem>,
) {
    let n = entries.len() as u32;
    let mut rest: Vec<(&String, &DiskStem)> = disk
        .iter()
        .filter(|(s, _)| !recorded.contains(s.as_str()) && !accounted.contains(s.as_str()))
        .collect();
    rest.sort_by_key(|(s, d)| (d.version, s.as_str()));
    let mut duplicate_versions = BTreeSet::new();
    for (stem, d) in rest {
        let v = d.version;
        let Some(up) = &d.up else {
            let down = d.down.as_ref().expect("a stem has at least one file");
            problems.push(orphan_down(stem, &down.path));
            continue;
        };
        if v > n {
            let hint = if duplicate_versions.contains(&(v - 1)) {
                super::REPLAN_BRANCH
            } else {
                "migrations are written by `schemactl plan`; if you wrote this one by hand, run \
                 `schemactl hash`"
            };
            problems.push(problem(
                ProblemKind::SumOutOfDate,
                &up.path,
                format!("{} is not in the sum file", show(&up.path)),
                hint,
            ));
            continue;
        }
        let parent_of_v = if v == 1 {
            genesis()
        } else {
            entries[v as usize - 2].link
        };
        let header_parent = up
            .text
            .as_deref()
            .and_then(|t| parse_header(t).ok())
            .and_then(|h| h.parent);
        let recorded_path = up
            .path
            .with_file_name(format!("{}.sql", entries[v as usize - 1].stem));
        if v == n || header_parent == Some(parent_of_v) || duplicate_versions.contains(&(v - 1)) {
            duplicate_versions.insert(v);
            problems.push(duplicate_problem(v, &[&recorded_path, &up.path]));
        } else {
            problems.push(problem(
                ProblemKind::Inserted,
                &up.path,
                format!(
                    "{} was inserted into the middle of the chain: number {v:04} already belongs to {}, and {} later migration(s) build on it",
                    show(&up.path),
                    file_name(&recorded_path),
                    n - v
                ),
                format!(
                    "planned migrations cannot be reordered; delete {} and plan its change as a new migration (`schemactl plan`)",
                    show(&up.path)
                ),
            ));
        }
    }
}
