//! An Alembic project read statically: its revision files (`versions/*.py`, see
//! [`script`]) and the graph their `down_revision`s make, with what is wrong with it
//! (several heads, a `down_revision` naming a missing file, a duplicate id, a file name that
//! disagrees with its revision), and where a database's `alembic_version` puts it. Only
//! [`upgrade`] runs Python (the project's own, to build the chain from empty); the rest reads
//! files, and `commands::import` does the database I/O.

pub mod script;
pub mod upgrade;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, SourceMap, Span};

/// One revision file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revision {
    pub id: String,
    /// `down_revision`: none for a base, two or more for a merge.
    pub down: Vec<String>,
    pub branch_labels: Vec<String>,
    pub depends_on: Vec<String>,
    pub message: Option<String>,
    /// Relative to the script directory (`versions/1a2b_add_users.py`).
    pub file: PathBuf,
}

/// Every revision of a project, in file-name order, and the graph's findings.
#[derive(Clone, Debug, Default)]
pub struct History {
    pub revisions: Vec<Revision>,
}

/// A finding about the revision graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// More than one head: `alembic upgrade head` refuses; the branches need a merge.
    SeveralHeads(Vec<String>),
    /// `down_revision` (or `depends_on`) names a revision no file has: the chain cannot be
    /// built from an empty database.
    Missing {
        file: PathBuf,
        revision: String,
        missing: String,
    },
    /// Two files declare the same revision id.
    Duplicate {
        revision: String,
        files: Vec<PathBuf>,
    },
    /// The file name carries an id that is not the file's revision (a copied file).
    Misnamed { file: PathBuf, revision: String },
    /// No revision files at all.
    Empty,
}

impl Problem {
    /// Whether the history is broken (exit 1), as opposed to a warning.
    pub fn breaks(&self) -> bool {
        !matches!(self, Problem::Misnamed { .. })
    }

    pub fn text(&self) -> String {
        match self {
            Problem::SeveralHeads(heads) => format!(
                "{} heads ({}): `alembic upgrade head` refuses to run; merge them (`alembic merge heads`) or let schemactl take over from one of them",
                heads.len(),
                heads.join(", ")
            ),
            Problem::Missing {
                file,
                revision,
                missing,
            } => format!(
                "{}: revision {revision} revises {missing}, which no file in versions/ declares: the chain cannot be built from an empty database",
                file.display()
            ),
            Problem::Duplicate { revision, files } => format!(
                "revision id {revision} is declared by {} files: {}",
                files.len(),
                files
                    .iter()
                    .map(|f| f.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Problem::Misnamed { file, revision } => format!(
                "{}: the file name does not match its revision id {revision} (a copied file?)",
                file.display()
            ),
            Problem::Empty => "no revision files in versions/".to_string(),
        }
    }
}

/// Read every `*.py` revision file under `dir/versions`, or under each of `locations`
/// (`version_locations`; one that does not exist is skipped, as Alembic skips it)
/// (recursively, as Alembic does with `recursive_version_locations`; `__init__.py` and
/// `__pycache__` skipped). Files that do
/// not assign `revision` are not revisions (helpers) and are skipped; a revision file whose
/// values cannot be read is an error with its location.
pub fn read(
    dir: &Path,
    locations: Option<&[PathBuf]>,
    sources: &mut SourceMap,
) -> Result<History, Vec<Diagnostic>> {
    let default = [dir.join("versions")];
    let mut files = Vec::new();
    match locations {
        None => read_location(&default[0], &mut files, sources)?,
        Some(list) => {
            for versions in list.iter().filter(|p| p.is_dir()) {
                read_location(versions, &mut files, sources)?;
            }
        }
    }
    read_files(dir, files, sources)
}

fn read_location(
    versions: &Path,
    files: &mut Vec<PathBuf>,
    sources: &mut SourceMap,
) -> Result<(), Vec<Diagnostic>> {
    collect(versions, files).map_err(|e| {
        let versions = versions.to_path_buf();
        let id = sources.add(versions.clone(), String::new());
        vec![
            Diagnostic::new(
                "alembic-unreadable",
                Span {
                    file: id,
                    range: 0..0,
                },
                format!("cannot read {}: {e}", versions.display()),
            )
            .hint("give the Alembic script directory (the folder holding env.py and versions/) with --alembic-dir; revision files elsewhere are found through `version_locations` in alembic.ini or pyproject.toml"),
        ]
    })
}

fn read_files(
    dir: &Path,
    mut files: Vec<PathBuf>,
    sources: &mut SourceMap,
) -> Result<History, Vec<Diagnostic>> {
    files.sort();
    files.dedup();
    let mut history = History::default();
    let mut diags = Vec::new();
    for path in files {
        let rel = path.strip_prefix(dir).unwrap_or(&path).to_path_buf();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                let id = sources.add(rel.clone(), String::new());
                diags.push(Diagnostic::new(
                    "alembic-unreadable",
                    Span {
                        file: id,
                        range: 0..0,
                    },
                    format!("cannot read {}: {e}", rel.display()),
                ));
                continue;
            }
        };
        let parsed = script::parse(&text);
        let id = sources.add(rel.clone(), text);
        let s = match parsed {
            Ok(s) => s,
            Err(e) => {
                diags.push(
                    Diagnostic::new(
                        "alembic-syntax",
                        Span {
                            file: id,
                            range: e.span,
                        },
                        e.message,
                    )
                    .hint("schemactl reads revision files without running them: `revision` and `down_revision` must be literals, as `alembic revision` writes them"),
                );
                continue;
            }
        };
        let Some(revision) = s.revision.and_then(|v| v.items.into_iter().next()) else {
            continue;
        };
        history.revisions.push(Revision {
            id: revision,
            down: s.down_revision.map(|v| v.items).unwrap_or_default(),
            branch_labels: s.branch_labels.map(|v| v.items).unwrap_or_default(),
            depends_on: s.depends_on.map(|v| v.items).unwrap_or_default(),
            message: s.message,
            file: rel,
        });
    }
    if diags.is_empty() {
        Ok(history)
    } else {
        Err(diags)
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if path.is_dir() {
            if name != "__pycache__" && !name.starts_with('.') {
                collect(&path, out)?;
            }
        } else if name.ends_with(".py") && name != "__init__.py" {
            out.push(path);
        }
    }
    Ok(())
}

impl History {
    fn by_id(&self) -> BTreeMap<&str, Vec<&Revision>> {
        let mut m: BTreeMap<&str, Vec<&Revision>> = BTreeMap::new();
        for r in &self.revisions {
            m.entry(r.id.as_str()).or_default().push(r);
        }
        m
    }

    /// Revision → the revisions whose `down_revision` names it.
    pub fn children(&self) -> BTreeMap<&str, Vec<&str>> {
        let mut m: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for r in &self.revisions {
            for d in &r.down {
                m.entry(d.as_str()).or_default().push(r.id.as_str());
            }
        }
        m
    }

    /// Revisions nothing revises, in file order.
    pub fn heads(&self) -> Vec<&str> {
        let children = self.children();
        let mut seen = BTreeSet::new();
        self.revisions
            .iter()
            .filter(|r| !children.contains_key(r.id.as_str()) && seen.insert(r.id.as_str()))
            .map(|r| r.id.as_str())
            .collect()
    }

    /// Revisions with no `down_revision`.
    pub fn bases(&self) -> Vec<&str> {
        self.revisions
            .iter()
            .filter(|r| r.down.is_empty())
            .map(|r| r.id.as_str())
            .collect()
    }

    /// Revisions two or more others revise: revision → its children.
    pub fn branch_points(&self) -> Vec<(&str, Vec<&str>)> {
        self.children()
            .into_iter()
            .filter(|(_, c)| c.len() > 1)
            .collect()
    }

    /// Revisions that revise two or more others.
    pub fn merges(&self) -> Vec<&Revision> {
        self.revisions.iter().filter(|r| r.down.len() > 1).collect()
    }

    pub fn get(&self, id: &str) -> Option<&Revision> {
        self.revisions.iter().find(|r| r.id == id)
    }

    /// What is wrong with the graph, in a fixed order.
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        if self.revisions.is_empty() {
            out.push(Problem::Empty);
            return out;
        }
        let by_id = self.by_id();
        for (id, rs) in &by_id {
            if rs.len() > 1 {
                out.push(Problem::Duplicate {
                    revision: id.to_string(),
                    files: rs.iter().map(|r| r.file.clone()).collect(),
                });
            }
        }
        for r in &self.revisions {
            for d in r.down.iter().chain(&r.depends_on) {
                // `depends_on` may name a branch label instead of a revision.
                let label = self.revisions.iter().any(|o| o.branch_labels.contains(d));
                if !by_id.contains_key(d.as_str()) && !label {
                    out.push(Problem::Missing {
                        file: r.file.clone(),
                        revision: r.id.clone(),
                        missing: d.clone(),
                    });
                }
            }
        }
        let heads = self.heads();
        if heads.len() > 1 && self.labelled_branches().is_none() {
            out.push(Problem::SeveralHeads(
                heads.into_iter().map(String::from).collect(),
            ));
        }
        for r in &self.revisions {
            if misnamed(&r.file, &r.id) {
                out.push(Problem::Misnamed {
                    file: r.file.clone(),
                    revision: r.id.clone(),
                });
            }
        }
        out
    }

    /// With several heads, each head's branch label (the nearest `branch_labels` down its
    /// `down_revision` chain) when every head has one and no two share it: independent
    /// branches by design (Alembic's "multiple bases"), which `alembic upgrade heads` runs
    /// together. `None` otherwise (one head, or heads nobody meant).
    pub fn labelled_branches(&self) -> Option<Vec<(String, &str)>> {
        let heads = self.heads();
        if heads.len() < 2 {
            return None;
        }
        let by_id = self.by_id();
        let mut out: Vec<(String, &str)> = Vec::new();
        for head in heads {
            let mut seen = BTreeSet::new();
            let mut todo = std::collections::VecDeque::from([head]);
            let mut label = None;
            while let Some(id) = todo.pop_front() {
                if !seen.insert(id) {
                    continue;
                }
                let Some(r) = by_id.get(id).and_then(|rs| rs.first()) else {
                    continue;
                };
                if let Some(l) = r.branch_labels.first() {
                    label = Some(l.clone());
                    break;
                }
                todo.extend(r.down.iter().map(String::as_str));
            }
            let label = label?;
            if out.iter().any(|(l, _)| *l == label) {
                return None;
            }
            out.push((label, head));
        }
        Some(out)
    }

    /// `id` and every revision it stands on (through `down_revision` and `depends_on`).
    pub fn ancestors<'a>(&'a self, ids: &[&'a str]) -> BTreeSet<&'a str> {
        let by_id = self.by_id();
        let mut out = BTreeSet::new();
        let mut todo: Vec<&str> = ids.to_vec();
        while let Some(id) = todo.pop() {
            if !out.insert(id) {
                continue;
            }
            for r in by_id.get(id).into_iter().flatten() {
                todo.extend(r.down.iter().chain(&r.depends_on).map(String::as_str));
            }
        }
        out
    }

    /// Where a database at `at` (its `alembic_version` rows) stands.
    pub fn position<'a>(&'a self, at: &'a [String]) -> Position<'a> {
        let known: Vec<&str> = at
            .iter()
            .map(String::as_str)
            .filter(|id| self.get(id).is_some())
            .collect();
        let unknown: Vec<&str> = at
            .iter()
            .map(String::as_str)
            .filter(|id| self.get(id).is_none())
            .collect();
        let heads = self.heads();
        let done = self.ancestors(&known);
        // At a revision no file declares only: what it has run is unknown.
        let lost = known.is_empty() && !unknown.is_empty();
        let behind: Vec<&str> = self
            .revisions
            .iter()
            .map(|r| r.id.as_str())
            .filter(|id| !lost && !done.contains(id))
            .collect();
        Position {
            at: at.iter().map(String::as_str).collect(),
            unknown,
            at_heads: known
                .iter()
                .filter(|id| heads.contains(id))
                .copied()
                .collect(),
            behind,
        }
    }
}

/// A database's place in the graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position<'a> {
    /// Its `alembic_version` rows (empty: stamped at base, or never upgraded).
    pub at: Vec<&'a str>,
    /// Rows no revision file declares (a database upgraded from another branch, or files
    /// deleted).
    pub unknown: Vec<&'a str>,
    /// Those of `at` that are heads.
    pub at_heads: Vec<&'a str>,
    /// Revisions it has not run, in file order.
    pub behind: Vec<&'a str>,
}

/// Whether a file name carries an Alembic-like id (a hex token of 12 characters, as
/// `alembic revision` generates) that is not `revision`. Names without such a token (custom
/// `file_template`s) are fine.
fn misnamed(file: &Path, revision: &str) -> bool {
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    if stem.split(['_', '-']).any(|t| t == revision) || stem == revision {
        return false;
    }
    stem.split(['_', '-'])
        .any(|t| t.len() == 12 && t.chars().all(|c| c.is_ascii_hexdigit()))
}

/// The script directory named by `script_location` in the `[tool.alembic]` table of
/// `pyproject.toml` at `path` (what `alembic init -t pyproject` writes; `%(here)s` is the
/// file's directory); `None` when the file, the table or the key is missing.
pub fn toml_script_location(path: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(path).ok()?;
    let doc: toml::Table = toml::from_str(&text).ok()?;
    let v = doc
        .get("tool")?
        .get("alembic")?
        .get("script_location")?
        .as_str()?;
    Some(resolve_script(path, v))
}

/// Whether `pyproject.toml` at `path` has a `[tool.alembic]` table.
pub fn has_toml_config(path: &Path) -> bool {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| toml::from_str::<toml::Table>(&t).ok())
        .is_some_and(|d| d.get("tool").and_then(|t| t.get("alembic")).is_some())
}

/// A `script_location` of `file`: a path, or Alembic's `package:dir` form, taken as the
/// package's directory under the file's (where `prepend_sys_path = .` imports it from).
fn resolve_script(file: &Path, value: &str) -> PathBuf {
    let path = resolve(file, value);
    if path.is_dir() {
        return path;
    }
    match value.trim().split_once(':') {
        Some((package, dir))
            if !package.is_empty()
                && !dir.is_empty()
                && package
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') =>
        {
            let candidate = resolve(file, &format!("{}/{dir}", package.replace('.', "/")));
            if candidate.is_dir() { candidate } else { path }
        }
        _ => path,
    }
}

/// `value` of a configuration file at `file`, `%(here)s` and a relative path taken from the
/// file's directory.
fn resolve(file: &Path, value: &str) -> PathBuf {
    let here = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let v = value
        .trim()
        .replace("%(here)s", &here.display().to_string());
    let p = PathBuf::from(v);
    let p = if p.is_absolute() { p } else { here.join(p) };
    // `./alembic`, not `././alembic`.
    p.components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect()
}

/// The script directory named by `script_location` in `alembic.ini` at `ini`
/// (`%(here)s` is the ini file's directory); `None` when the file or the key is missing.
pub fn script_location(ini: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(ini).ok()?;
    ini_option(&text, "script_location").map(|v| resolve_script(ini, &v))
}

/// `key` of the `[alembic]` section of an ini file's text (continuation lines joined with
/// newlines, as configparser does).
fn ini_option(text: &str, key: &str) -> Option<String> {
    let mut in_alembic = false;
    let mut value: Option<String> = None;
    for line in text.lines() {
        let t = line.trim();
        if let Some(v) = value.as_mut() {
            if line.starts_with([' ', '\t']) && !t.is_empty() && !t.starts_with(['#', ';']) {
                v.push('\n');
                v.push_str(t);
                continue;
            }
            if !t.is_empty() {
                break;
            }
            continue;
        }
        if t.starts_with('[') {
            in_alembic = t == "[alembic]";
            continue;
        }
        if !in_alembic || t.starts_with(['#', ';']) {
            continue;
        }
        if let Some((k, v)) = t.split_once('=')
            && k.trim() == key
        {
            value = Some(v.trim().to_string());
        }
    }
    value
}

/// Where Alembic looks for revision files: `version_locations` of `alembic.ini` (split as
/// Alembic splits it: by `path_separator`, else `version_path_separator`, else spaces and
/// commas) or of `[tool.alembic]` in `pyproject.toml`; `None` when neither sets it (then
/// `<script_location>/versions`). Relative paths are taken from the file's directory, where
/// `alembic` runs.
pub fn version_locations(ini: Option<&Path>, toml: Option<&Path>) -> Option<Vec<PathBuf>> {
    if let Some(ini) = ini
        && let Ok(text) = std::fs::read_to_string(ini)
        && let Some(v) = ini_option(&text, "version_locations").filter(|v| !v.is_empty())
    {
        let sep = ini_option(&text, "path_separator")
            .or_else(|| ini_option(&text, "version_path_separator"));
        let parts: Vec<String> = match sep.as_deref().map(str::trim) {
            Some("os") | Some(":") => v.split(':').map(String::from).collect(),
            Some(";") => v.split(';').map(String::from).collect(),
            Some("newline") => v.lines().map(String::from).collect(),
            Some("space") => v.split(' ').map(String::from).collect(),
            _ => v.split([' ', ',', '\n']).map(String::from).collect(),
        };
        return Some(
            parts
                .iter()
                .map(|p| p.trim())
                .filter(|p| !p.is_empty())
                .map(|p| resolve(ini, p))
                .collect(),
        );
    }
    let toml = toml?;
    let doc: toml::Table = toml::from_str(&std::fs::read_to_string(toml).ok()?).ok()?;
    let list = doc
        .get("tool")?
        .get("alembic")?
        .get("version_locations")?
        .as_array()?;
    Some(
        list.iter()
            .filter_map(|v| v.as_str())
            .map(|p| resolve(toml, p))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rev(id: &str, down: &[&str], file: &str) -> Revision {
        Revision {
            id: id.into(),
            down: down.iter().map(|s| s.to_string()).collect(),
            branch_labels: vec![],
            depends_on: vec![],
            message: None,
            file: file.into(),
        }
    }

    #[test]
    fn heads_branches_merges_and_missing_files_are_found() {
        let h = History {
            revisions: vec![
                rev("aaaaaaaaaaaa", &[], "versions/aaaaaaaaaaaa_base.py"),
                rev(
                    "bbbbbbbbbbbb",
                    &["aaaaaaaaaaaa"],
                    "versions/bbbbbbbbbbbb_b.py",
                ),
                rev(
                    "cccccccccccc",
                    &["aaaaaaaaaaaa"],
                    "versions/cccccccccccc_c.py",
                ),
                rev("dddddddddddd", &["zzzz"], "versions/dddddddddddd_d.py"),
                rev(
                    "eeeeeeeeeeee",
                    &["bbbbbbbbbbbb"],
                    "versions/ffffffffffff_e.py",
                ),
            ],
        };
        assert_eq!(
            h.heads(),
            vec!["cccccccccccc", "dddddddddddd", "eeeeeeeeeeee"]
        );
        assert_eq!(h.bases(), vec!["aaaaaaaaaaaa"]);
        assert_eq!(
            h.branch_points(),
            vec![("aaaaaaaaaaaa", vec!["bbbbbbbbbbbb", "cccccccccccc"])]
        );
        let p = h.problems();
        assert!(
            p.iter()
                .any(|p| matches!(p, Problem::Missing { missing, .. } if missing == "zzzz"))
        );
        assert!(
            p.iter()
                .any(|p| matches!(p, Problem::SeveralHeads(h) if h.len() == 3))
        );
        assert!(p.iter().any(
            |p| matches!(p, Problem::Misnamed { revision, .. } if revision == "eeeeeeeeeeee")
        ));
        let at = vec!["bbbbbbbbbbbb".to_string()];
        let pos = h.position(&at);
        assert!(pos.at_heads.is_empty());
        assert_eq!(
            pos.behind,
            vec!["cccccccccccc", "dddddddddddd", "eeeeeeeeeeee"]
        );
    }

    #[test]
    fn labelled_independent_branches_are_not_a_problem_but_unlabelled_heads_are() {
        let mut base = rev("c1", &[], "versions/c1.py");
        base.branch_labels = vec!["core".into()];
        let mut reports = rev("r1", &[], "versions/r1.py");
        reports.branch_labels = vec!["reports".into()];
        reports.depends_on = vec!["core".into()];
        let h = History {
            revisions: vec![base.clone(), rev("c2", &["c1"], "versions/c2.py"), reports],
        };
        assert_eq!(h.heads(), vec!["c2", "r1"]);
        assert_eq!(
            h.labelled_branches(),
            Some(vec![
                ("core".to_string(), "c2"),
                ("reports".to_string(), "r1")
            ])
        );
        assert!(h.problems().is_empty(), "{:?}", h.problems());
        // A second head on the `core` branch is a fork nobody merged.
        let h = History {
            revisions: vec![
                base,
                rev("c2", &["c1"], "versions/c2.py"),
                rev("c3", &["c1"], "versions/c3.py"),
            ],
        };
        assert_eq!(h.labelled_branches(), None);
        assert!(
            h.problems()
                .iter()
                .any(|p| matches!(p, Problem::SeveralHeads(h) if h.len() == 2))
        );
    }

    #[test]
    fn version_locations_are_split_as_alembic_splits_them() {
        let dir = tempfile::tempdir().unwrap();
        let ini = dir.path().join("alembic.ini");
        let here = dir.path().display().to_string();
        let write = |body: &str| {
            std::fs::write(&ini, format!("[alembic]\n{body}\n[loggers]\nkeys = root\n")).unwrap()
        };
        write("version_locations = %(here)s/a/versions:%(here)s/b\npath_separator = os");
        assert_eq!(
            version_locations(Some(&ini), None),
            Some(vec![
                PathBuf::from(format!("{here}/a/versions")),
                PathBuf::from(format!("{here}/b"))
            ])
        );
        // Without a separator: spaces and commas (Alembic's legacy splitting).
        write("version_locations = one, two three");
        assert_eq!(version_locations(Some(&ini), None).unwrap().len(), 3);
        // newline-separated continuation lines.
        write("version_locations =\n    x\n    y\npath_separator = newline");
        assert_eq!(
            version_locations(Some(&ini), None),
            Some(vec![dir.path().join("x"), dir.path().join("y")])
        );
        write("script_location = s");
        assert_eq!(version_locations(Some(&ini), None), None);
        let toml = dir.path().join("pyproject.toml");
        std::fs::write(
            &toml,
            "[tool.alembic]\nscript_location = \"%(here)s/m\"\nversion_locations = [\"%(here)s/m/versions\", \"plugins\"]\n",
        )
        .unwrap();
        assert_eq!(
            version_locations(Some(&ini), Some(&toml)),
            Some(vec![
                dir.path().join("m/versions"),
                dir.path().join("plugins")
            ])
        );
        assert_eq!(toml_script_location(&toml), Some(dir.path().join("m")));
        // Alembic's `package:dir` form.
        std::fs::create_dir_all(dir.path().join("myapp/db/migrations")).unwrap();
        write("script_location = myapp.db:migrations");
        assert_eq!(
            script_location(&ini),
            Some(dir.path().join("myapp/db/migrations"))
        );
    }

    #[test]
    fn a_database_at_an_unknown_revision_is_not_said_to_be_behind() {
        let h = History {
            revisions: vec![
                rev("a1", &[], "versions/a1.py"),
                rev("b1", &["a1"], "versions/b1.py"),
            ],
        };
        let at = vec!["zz".to_string()];
        let p = h.position(&at);
        assert_eq!(p.unknown, vec!["zz"]);
        assert!(p.behind.is_empty());
    }

    #[test]
    fn a_merged_history_has_one_head_and_no_problems() {
        let h = History {
            revisions: vec![
                rev("a1", &[], "versions/a1_base.py"),
                rev("b1", &["a1"], "versions/b1_b.py"),
                rev("c1", &["a1"], "versions/c1_c.py"),
                rev("m1", &["b1", "c1"], "versions/m1_merge.py"),
            ],
        };
        assert_eq!(h.heads(), vec!["m1"]);
        assert_eq!(h.merges().len(), 1);
        assert!(h.problems().is_empty());
        let at = vec!["m1".to_string()];
        let pos = h.position(&at);
        assert_eq!(pos.at_heads, vec!["m1"]);
        assert!(pos.behind.is_empty());
    }
}
