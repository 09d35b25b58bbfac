//! Migration files: names, the comment header, preparing and writing new files.

use std::borrow::Cow;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::sum::{SumEntry, render_sum};
use super::{
    Chain, Layout, Link, MAX_NAME_LEN, Problem, ProblemKind, compute_link, normalise, show,
    snapshot_hash,
};

/// Check a migration name (the part after `NNNN_`): `[a-z0-9_]+`, 1..=64 characters. The
/// error message suggests a [`slug`].
pub fn validate_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the migration name is empty; use lowercase letters, digits and underscores, e.g. `add_users`".into());
    }
    let suggestion = slug(name);
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'))
    {
        return Err(format!(
            "migration name `{name}` contains `{bad}`: use only lowercase letters, digits and underscores, e.g. `{suggestion}`"
        ));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(format!(
            "migration name `{name}` is {} characters long, the limit is {MAX_NAME_LEN}; e.g. `{suggestion}`",
            name.len()
        ));
    }
    Ok(())
}

/// A valid migration name made from free text: lowercase ASCII letters and digits, every
/// other run of characters becomes one `_`, trimmed, at most 64 characters; `migration`
/// when nothing is left.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    let mut pending_sep = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_sep && !out.is_empty() {
                out.push('_');
            }
            pending_sep = false;
            out.push(c.to_ascii_lowercase());
        } else {
            pending_sep = true;
        }
    }
    out.truncate(MAX_NAME_LEN);
    while out.ends_with('_') {
        out.pop();
    }
    if out.is_empty() {
        out.push_str("migration");
    }
    out
}

/// `0002_add_dispatch` → `(2, "add_dispatch")`. The number has at least four digits, no
/// extra leading zeros, and is at least 1.
pub(crate) fn parse_stem(stem: &str) -> Result<(u32, &str), String> {
    let Some((digits, name)) = stem.split_once('_') else {
        return Err("expected `NNNN_name`".into());
    };
    if digits.len() < 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("expected `NNNN_name` with a number of at least four digits".into());
    }
    let version: u32 = digits
        .parse()
        .map_err(|_| format!("migration number {digits} is too large"))?;
    if version == 0 {
        return Err("migration numbers start at 0001".into());
    }
    if format!("{version:04}") != digits {
        return Err(format!(
            "migration number {digits} should be written {version:04}"
        ));
    }
    validate_name(name)?;
    Ok((version, name))
}

/// Which kind of migration file a name is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FileName {
    pub stem: String,
    pub version: u32,
    pub down: bool,
}

/// `0002_x.sql` / `0002_x.down.sql`.
pub(crate) fn parse_file_name(file: &str) -> Result<FileName, String> {
    let (stem, down) = if let Some(stem) = file.strip_suffix(".down.sql") {
        (stem, true)
    } else if let Some(stem) = file.strip_suffix(".sql") {
        (stem, false)
    } else {
        return Err("not a `.sql` file".into());
    };
    let (version, _) = parse_stem(stem)?;
    Ok(FileName {
        stem: stem.to_string(),
        version,
        down,
    })
}

/// The parsed comment header of a migration file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub stem: String,
    /// True for `-- schemactl down migration …`.
    pub down: bool,
    /// The `-- parent:` link, when the line is present.
    pub parent: Option<Link>,
    /// Hazard ids (`-- hazards: none` gives none).
    pub hazards: Vec<String>,
    /// Allowances recorded when the migration was planned.
    pub allowed: Vec<String>,
    /// `-- segments:`, how the steps run when not all in one transaction
    /// ([`crate::apply::segments_line`]); informative only.
    pub segments: Option<String>,
}

/// The header text, ending with the `--` line and the blank line before the body.
pub fn render_header(header: &Header) -> String {
    let mut out = String::new();
    let kind = if header.down {
        "down migration"
    } else {
        "migration"
    };
    out.push_str(&format!("-- schemactl {kind} {}\n", header.stem));
    if let Some(parent) = &header.parent {
        out.push_str(&format!("-- parent: {parent}\n"));
    }
    let hazards = clean_ids(&header.hazards);
    if hazards.is_empty() {
        out.push_str("-- hazards: none\n");
    } else {
        out.push_str(&format!("-- hazards: {}\n", hazards.join(", ")));
    }
    let allowed = clean_ids(&header.allowed);
    if !allowed.is_empty() {
        out.push_str(&format!("-- allowed: {}\n", allowed.join(", ")));
    }
    if let Some(segments) = &header.segments {
        out.push_str(&format!("-- segments: {segments}\n"));
    }
    out.push_str("--\n\n");
    out
}

/// Sorted, deduplicated.
fn clean_ids(ids: &[String]) -> Vec<String> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    ids
}

/// A hazard or allowance id: `[a-z0-9_-]+`, not `none`.
fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty()
        || id == "none"
        || !id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    {
        return Err(format!(
            "`{id}` is not a valid hazard id (lowercase letters, digits, `_`, `-`; not `none`)"
        ));
    }
    Ok(())
}

/// Parse the header at the top of a migration file (BOM and CRLF tolerated). The first line
/// must be `-- schemactl migration <stem>` or `-- schemactl down migration <stem>`; the
/// header ends at the first line that is `--` or not a comment. Unknown `-- key: value`
/// lines are ignored; a repeated key is an error.
pub fn parse_header(text: &str) -> Result<Header, String> {
    let text = normalise(text);
    let mut lines = text.lines();
    let first = lines.next().unwrap_or("");
    let (down, stem) = if let Some(stem) = first.strip_prefix("-- schemactl down migration ") {
        (true, stem)
    } else if let Some(stem) = first.strip_prefix("-- schemactl migration ") {
        (false, stem)
    } else {
        return Err(
            "no schemactl header: the first line is not `-- schemactl migration <name>`".into(),
        );
    };
    let stem = stem.trim();
    parse_stem(stem).map_err(|e| format!("header names `{stem}`: {e}"))?;
    let mut header = Header {
        stem: stem.to_string(),
        down,
        parent: None,
        hazards: Vec::new(),
        allowed: Vec::new(),
        segments: None,
    };
    let (mut seen_hazards, mut seen_allowed) = (false, false);
    for (i, line) in lines.enumerate() {
        let lineno = i + 2;
        let Some(rest) = line.strip_prefix("--") else {
            break;
        };
        let rest = rest.trim();
        if rest.is_empty() {
            break;
        }
        let Some((key, value)) = rest.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key.trim() {
            "parent" => {
                if header.parent.is_some() {
                    return Err(format!("line {lineno}: second `parent` line"));
                }
                header.parent = Some(
                    value
                        .parse()
                        .map_err(|e| format!("line {lineno}: bad parent hash: {e}"))?,
                );
            }
            "hazards" => {
                if std::mem::replace(&mut seen_hazards, true) {
                    return Err(format!("line {lineno}: second `hazards` line"));
                }
                header.hazards = parse_ids(value, lineno)?;
            }
            "allowed" => {
                if std::mem::replace(&mut seen_allowed, true) {
                    return Err(format!("line {lineno}: second `allowed` line"));
                }
                header.allowed = parse_ids(value, lineno)?;
            }
            "segments" => header.segments = Some(value.to_string()),
            _ => {}
        }
    }
    Ok(header)
}

fn parse_ids(value: &str, lineno: usize) -> Result<Vec<String>, String> {
    if value == "none" || value.is_empty() {
        return Ok(Vec::new());
    }
    let mut ids = Vec::new();
    for id in value.split(',') {
        let id = id.trim();
        check_id(id).map_err(|e| format!("line {lineno}: {e}"))?;
        ids.push(id.to_string());
    }
    Ok(clean_ids(&ids))
}

/// A migration about to be planned. The texts are owned because they become the files'
/// texts: for a large schema they run to megabytes, and [`prepare`] does not copy them.
#[derive(Clone, Debug)]
pub struct NewMigration<'a> {
    /// Name part of the stem (`add_dispatch`); must pass [`validate_name`].
    pub name: &'a str,
    /// Hazard ids; written sorted and deduplicated.
    pub hazards: Vec<String>,
    /// Allowances the migration was planned with; written sorted and deduplicated.
    pub allowed: Vec<String>,
    /// SQL body of the up file.
    pub up_body: String,
    /// SQL body of the down file, if any.
    pub down_body: Option<String>,
    /// Hazard ids of the down file (its own: undoing a creation deletes data).
    pub down_hazards: Vec<String>,
    /// The new head snapshot text.
    pub snapshot: String,
}

/// The files that planning `new` on top of `chain` writes, in write order: the up file, the
/// down file (if any), the head snapshot, the sum file. Pure and deterministic. Bodies and
/// the snapshot are normalised (no BOM, LF) and given a final newline when they lack one.
pub fn prepare(
    layout: &Layout,
    chain: &Chain,
    new: NewMigration,
) -> Result<Vec<(PathBuf, String)>, Problem> {
    let version = chain.next_version();
    let invalid = |message: String, hint: &str| Problem {
        kind: ProblemKind::InvalidInput,
        path: layout.migrations_dir.clone(),
        line: None,
        message,
        hint: hint.to_string(),
    };
    if let Err(e) = validate_name(new.name) {
        return Err(invalid(
            e,
            &format!("name the migration `{}`", slug(new.name)),
        ));
    }
    for id in new
        .hazards
        .iter()
        .chain(&new.allowed)
        .chain(&new.down_hazards)
    {
        check_id(id).map_err(|e| invalid(e, "hazard ids come from the planner; this is a bug"))?;
    }
    let stem = format!("{version:04}_{}", new.name);
    let mut header = Header {
        stem: stem.clone(),
        down: false,
        parent: Some(chain.head),
        hazards: new.hazards.clone(),
        allowed: new.allowed.clone(),
        segments: crate::apply::segments_line(&new.up_body),
    };
    let up = text_file(&render_header(&header), new.up_body);
    let down = new.down_body.map(|body| {
        header.down = true;
        header.hazards = new.down_hazards;
        header.allowed = Vec::new();
        header.segments = crate::apply::segments_line(&body);
        text_file(&render_header(&header), body)
    });
    let snapshot = text_file("", new.snapshot);
    let snap_hash = snapshot_hash(&snapshot);
    let link = compute_link(&chain.head, &stem, &up, down.as_deref(), &snap_hash);

    let mut entries: Vec<SumEntry> = chain
        .migrations
        .iter()
        .map(|m| SumEntry {
            stem: m.stem.clone(),
            link: m.link,
            snapshot_hash: m.snapshot_hash,
        })
        .collect();
    entries.push(SumEntry {
        stem: stem.clone(),
        link,
        snapshot_hash: snap_hash,
    });

    let mut files = vec![(layout.up_path(&stem), up)];
    if let Some(down) = down {
        files.push((layout.down_path(&stem), down));
    }
    files.push((layout.snapshot_path(), snapshot));
    files.push((layout.sum_path(), render_sum(&link, &entries)));
    Ok(files)
}

/// `head` followed by `text` normalised, which ends with a newline unless empty; in `text`'s
/// own buffer when it is already normalised (the usual case).
fn text_file(head: &str, text: String) -> String {
    let changed = match normalise(&text) {
        Cow::Owned(t) => Some(t),
        Cow::Borrowed(_) => None,
    };
    let mut text = changed.unwrap_or(text);
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.insert_str(0, head);
    text
}

/// [`write_files`], then remove each of `remove` (already gone is fine): how `discard`,
/// `rebase` and `squash` rewrite the migration directory.
pub fn replace_files(write: &[(PathBuf, String)], remove: &[PathBuf]) -> io::Result<()> {
    write_files(write)?;
    for p in remove {
        match fs::remove_file(p) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

/// Write each file, in order, through a hidden temporary file in the same directory that is
/// synced then renamed over the target, so a crash never leaves a partial file (at worst the
/// files before the crash are new and the sum file, written last by [`prepare`], is stale —
/// which `load` reports). Creates missing parent directories.
pub fn write_files(files: &[(PathBuf, String)]) -> io::Result<()> {
    for (path, content) in files {
        write_atomic(path, content.as_bytes())?;
    }
    Ok(())
}

fn write_atomic(path: &Path, content: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir)?;
    let file_name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} has no file name", show(path)),
        )
    })?;
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(content)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
        return result;
    }
    // Make the rename itself durable where directories can be synced.
    #[cfg(unix)]
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
