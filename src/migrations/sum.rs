//! The sum file: `head <link>` then `<stem> <link> <snapshot hash>` per migration.

use std::fmt::Write;

use super::Link;
use super::file::parse_stem;

/// One migration line of the sum file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SumEntry {
    pub stem: String,
    pub link: Link,
    pub snapshot_hash: Link,
}

/// The sum file text for a head link and its entries. Same input, same bytes.
pub fn render_sum(head: &Link, entries: &[SumEntry]) -> String {
    let mut out = format!("head {head}\n");
    for e in entries {
        let _ = writeln!(out, "{} {} {}", e.stem, e.link, e.snapshot_hash);
    }
    out
}

/// A parse failure: 1-based line and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SumError {
    /// Lines holding merge conflict markers (1-based).
    Conflict(Vec<usize>),
    /// Malformed lines: (line, message).
    Syntax(Vec<(usize, String)>),
}

/// True for a git conflict marker line (`<<<<<<<`, `|||||||`, `=======`, `>>>>>>>`).
fn is_conflict_marker(line: &str) -> bool {
    ["<<<<<<<", "|||||||", "=======", ">>>>>>>"]
        .iter()
        .any(|m| line.starts_with(m))
}

/// Parse a sum file (already normalised: no BOM, LF). Strict: the head line, then one line
/// per migration, versions 1..=n in order, a trailing newline, nothing else.
pub fn parse_sum(text: &str) -> Result<(Link, Vec<SumEntry>), String> {
    parse(text).map_err(|e| match e {
        SumError::Conflict(lines) => format!("merge conflict markers on line {}", lines[0]),
        SumError::Syntax(errs) => format!("line {}: {}", errs[0].0, errs[0].1),
    })
}

pub(crate) fn parse(text: &str) -> Result<(Link, Vec<SumEntry>), SumError> {
    let conflicts: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| is_conflict_marker(l))
        .map(|(i, _)| i + 1)
        .collect();
    if !conflicts.is_empty() {
        return Err(SumError::Conflict(conflicts));
    }

    let mut errors = Vec::new();
    let mut head = None;
    let mut entries = Vec::new();
    let lines: Vec<&str> = text.split('\n').collect();
    // `split` yields a final "" after the trailing newline.
    let (last, body) = lines.split_last().expect("split yields at least one item");
    if !last.is_empty() {
        errors.push((
            lines.len(),
            "the sum file must end with a newline".to_string(),
        ));
    }
    let body: Vec<&str> = if last.is_empty() {
        body.to_vec()
    } else {
        lines.clone()
    };
    if body.is_empty() {
        errors.push((1, "missing `head <hash>` line".to_string()));
    }
    for (i, line) in body.iter().enumerate() {
        let lineno = i + 1;
        let fields: Vec<&str> = line.split(' ').collect();
        if i == 0 {
            match fields.as_slice() {
                ["head", hash] => match hash.parse::<Link>() {
                    Ok(link) => head = Some(link),
                    Err(e) => errors.push((lineno, format!("bad head hash: {e}"))),
                },
                _ => errors.push((
                    lineno,
                    format!("expected `head <hash>`, found `{}`", clip(line)),
                )),
            }
            continue;
        }
        let [stem, link, snap] = fields.as_slice() else {
            errors.push((
                lineno,
                format!(
                    "expected `<migration> <link hash> <snapshot hash>` separated by single spaces, found `{}`",
                    clip(line)
                ),
            ));
            continue;
        };
        let version = match parse_stem(stem) {
            Ok((version, _)) => version,
            Err(e) => {
                errors.push((lineno, format!("bad migration name `{}`: {e}", clip(stem))));
                continue;
            }
        };
        // Line 2 holds migration 0001, line 3 migration 0002, …
        let expected = i as u32;
        if version != expected {
            errors.push((
                lineno,
                format!(
                    "`{stem}` is out of sequence: expected migration number {expected:04} (numbers run 0001, 0002, … without gaps)"
                ),
            ));
        }
        let link = match link.parse::<Link>() {
            Ok(l) => l,
            Err(e) => {
                errors.push((lineno, format!("bad link hash for `{stem}`: {e}")));
                continue;
            }
        };
        let snapshot_hash = match snap.parse::<Link>() {
            Ok(l) => l,
            Err(e) => {
                errors.push((lineno, format!("bad snapshot hash for `{stem}`: {e}")));
                continue;
            }
        };
        entries.push(SumEntry {
            stem: stem.to_string(),
            link,
            snapshot_hash,
        });
    }
    match head {
        Some(head) if errors.is_empty() => Ok((head, entries)),
        _ => Err(SumError::Syntax(errors)),
    }
}

/// A line for an error message, shortened.
fn clip(s: &str) -> String {
    const MAX: usize = 80;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(MAX).collect();
        out.push('…');
        out
    }
}
