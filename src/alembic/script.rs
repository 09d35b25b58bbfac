//! Reading one Alembic revision file without running Python: the module-level assignments
//! of `revision`, `down_revision`, `branch_labels` and `depends_on` (with or without a type
//! annotation, as Alembic's templates write them), whose values are string literals, `None`,
//! or tuples and lists of string literals, plus the first line of the module docstring
//! (the revision's message). Anything else assigned to those names is an error with its
//! location: we never guess what Python would compute.
//!
//! A full Python parser crate would bring a large dependency for four assignments; the
//! subset here is exactly what `alembic revision` writes, and a file outside it is reported
//! rather than misread.

use std::ops::Range;

/// The names read from a revision file.
pub const KEYS: &[&str] = &["revision", "down_revision", "branch_labels", "depends_on"];

/// One value: `None` is an empty list; a string is a list of one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Value {
    pub items: Vec<String>,
    /// Where the value is in the file (for messages).
    pub span: Range<usize>,
}

/// What one file assigns (the last assignment of a name wins, as in Python).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Script {
    pub revision: Option<Value>,
    pub down_revision: Option<Value>,
    pub branch_labels: Option<Value>,
    pub depends_on: Option<Value>,
    /// The docstring's first line (`"""Add orders` → `Add orders`).
    pub message: Option<String>,
}

/// A value we cannot read, with where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub span: Range<usize>,
    pub message: String,
}

/// Read the assignments of `text`.
pub fn parse(text: &str) -> Result<Script, ParseError> {
    let mut script = Script::default();
    for line in logical_lines(text)? {
        if line.first && line.docstring.is_some() && script.message.is_none() {
            script.message = line.docstring.clone();
            continue;
        }
        // Module level only: indented lines belong to `upgrade()` and friends.
        if line.indented {
            continue;
        }
        let code = &text[line.range.clone()];
        let Some((name, rest_at)) = assigned_name(code) else {
            continue;
        };
        let value_at = line.range.start + rest_at;
        let value = parse_value(text, value_at, line.range.end)?;
        let slot = match name {
            "revision" => &mut script.revision,
            "down_revision" => &mut script.down_revision,
            "branch_labels" => &mut script.branch_labels,
            _ => &mut script.depends_on,
        };
        *slot = Some(value);
    }
    Ok(script)
}

/// A logical line (continued across brackets and backslashes), without its comment.
struct Line {
    range: Range<usize>,
    indented: bool,
    /// The line is a lone string literal: its first line, when it is triple-quoted.
    docstring: Option<String>,
    /// The first statement of the file.
    first: bool,
}

fn logical_lines(text: &str) -> Result<Vec<Line>, ParseError> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut first = true;
    while i < b.len() {
        // Start of a physical line.
        let line_start = i;
        while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        if b[i] == b'\n' || b[i] == b'\r' || b[i] == b'#' {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            i += 1;
            continue;
        }
        let indented = i > line_start;
        let start = i;
        let mut depth = 0usize;
        let mut end = i;
        let mut docstring = None;
        let mut only_string = true;
        let mut tokens = 0usize;
        while i < b.len() {
            let c = b[i];
            if c == b'#' {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            if c == b'\\' && b.get(i + 1) == Some(&b'\n') {
                i += 2;
                continue;
            }
            if c == b'\n' {
                if depth == 0 {
                    break;
                }
                i += 1;
                continue;
            }
            if let Some(q) = string_start(b, i) {
                let (body, next) = read_string(text, i, q)?;
                tokens += 1;
                if tokens == 1 && q.triple {
                    docstring = body
                        .lines()
                        .map(str::trim)
                        .find(|l| !l.is_empty())
                        .map(String::from);
                }
                i = next;
                end = i;
                continue;
            }
            if !c.is_ascii_whitespace() {
                only_string = false;
                tokens += 1;
            }
            match c {
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            }
            i += 1;
            if !c.is_ascii_whitespace() {
                end = i;
            }
        }
        out.push(Line {
            range: start..end,
            indented,
            docstring: if only_string && tokens == 1 {
                docstring
            } else {
                None
            },
            first,
        });
        first = false;
        i += 1;
    }
    Ok(out)
}

#[derive(Clone, Copy)]
struct Quote {
    /// Prefix length (`r`, `u`, `b`, `rb`, `f`…).
    prefix: usize,
    quote: u8,
    triple: bool,
    raw: bool,
}

/// A string literal starting at `i` (after an optional prefix).
fn string_start(b: &[u8], i: usize) -> Option<Quote> {
    let mut p = i;
    while p < b.len() && p - i < 2 && matches!(b[p].to_ascii_lowercase(), b'r' | b'u' | b'b' | b'f')
    {
        p += 1;
    }
    // A prefix must not be the tail of a name (`her"…"` is not a string start here).
    if p > i && i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_') {
        return None;
    }
    let q = *b.get(p)?;
    if q != b'\'' && q != b'"' {
        return None;
    }
    let triple = b.get(p + 1) == Some(&q) && b.get(p + 2) == Some(&q);
    let raw = b[i..p].iter().any(|c| c.eq_ignore_ascii_case(&b'r'));
    Some(Quote {
        prefix: p - i,
        quote: q,
        triple,
        raw,
    })
}

/// The body of the string literal at `at` and the index after it.
fn read_string(text: &str, at: usize, q: Quote) -> Result<(String, usize), ParseError> {
    let b = text.as_bytes();
    let open = if q.triple { 3 } else { 1 };
    let mut i = at + q.prefix + open;
    let mut body = String::new();
    while i < b.len() {
        let c = b[i];
        if c == b'\\' && !q.raw {
            match b.get(i + 1) {
                Some(b'n') => body.push('\n'),
                Some(b't') => body.push('\t'),
                Some(&e @ (b'\\' | b'\'' | b'"')) => body.push(e as char),
                Some(b'\n') => {}
                Some(_) | None => {
                    return Err(ParseError {
                        span: i..i + 2,
                        message: "an escape sequence this reader does not decode".to_string(),
                    });
                }
            }
            i += 2;
            continue;
        }
        if c == q.quote
            && (!q.triple || (b.get(i + 1) == Some(&q.quote) && b.get(i + 2) == Some(&q.quote)))
        {
            return Ok((body, i + open));
        }
        if c == b'\n' && !q.triple {
            break;
        }
        let ch = text[i..].chars().next().unwrap_or('\u{FFFD}');
        body.push(ch);
        i += ch.len_utf8();
    }
    Err(ParseError {
        span: at..(at + q.prefix + open),
        message: "a string literal that is not closed".to_string(),
    })
}

/// `name = …` or `name: annotation = …` for one of [`KEYS`]: the name and the offset of the
/// value in `code`.
fn assigned_name(code: &str) -> Option<(&'static str, usize)> {
    let name = KEYS.iter().find(|k| {
        code.starts_with(**k)
            && code[k.len()..]
                .chars()
                .next()
                .is_some_and(|c| c == ' ' || c == '\t' || c == '=' || c == ':')
    })?;
    let rest = &code[name.len()..];
    let b = rest.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'[' | b'(' => depth += 1,
            b']' | b')' => depth = depth.saturating_sub(1),
            b'=' if depth == 0 => {
                // `==` compares; `+=` and friends are not definitions we can read.
                if b.get(i + 1) == Some(&b'=') {
                    return None;
                }
                return Some((name, name.len() + i + 1));
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// A string literal, `None`, or a tuple or list of string literals, from `at` to `end`.
fn parse_value(text: &str, at: usize, end: usize) -> Result<Value, ParseError> {
    let b = text.as_bytes();
    let skip = |mut i: usize| {
        while i < end && (b[i].is_ascii_whitespace() || b[i] == b'\\' || b[i] == b'#') {
            if b[i] == b'#' {
                while i < end && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            i += 1;
        }
        i
    };
    let start = skip(at);
    let unreadable = |from: usize| {
        ParseError {
        span: from..end.max(from + 1),
        message: "a value this reader does not understand: write a string literal, None, or a tuple of string literals".to_string(),
    }
    };
    if text[start..end].trim_end() == "None" {
        return Ok(Value {
            items: Vec::new(),
            span: start..end,
        });
    }
    if let Some(q) = string_start(b, start) {
        let (body, next) = read_string(text, start, q)?;
        if skip(next) != end {
            return Err(unreadable(start));
        }
        return Ok(Value {
            items: vec![body],
            span: start..end,
        });
    }
    let close = match b.get(start) {
        Some(b'(') => b')',
        Some(b'[') => b']',
        _ => return Err(unreadable(start)),
    };
    let mut items = Vec::new();
    let mut i = skip(start + 1);
    loop {
        if b.get(i) == Some(&close) {
            if skip(i + 1) != end {
                return Err(unreadable(start));
            }
            return Ok(Value {
                items,
                span: start..end,
            });
        }
        let Some(q) = string_start(b, i) else {
            return Err(unreadable(i));
        };
        let (body, next) = read_string(text, i, q)?;
        items.push(body);
        i = skip(next);
        if b.get(i) == Some(&b',') {
            i = skip(i + 1);
        } else if b.get(i) != Some(&close) {
            return Err(unreadable(i));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_alembic_templates_write() {
        let text = r#""""Add orders

Revision ID: 2b1f0c3d4e5f
Revises: 1a2b3c4d5e6f
Create Date: 2024-01-01 12:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = "2b1f0c3d4e5f"
down_revision: Union[str, Sequence[str], None] = (
    "1a2b3c4d5e6f",
    'ffeeddccbbaa',  # the other branch
)
branch_labels: Union[str, Sequence[str], None] = None
depends_on = None


def upgrade() -> None:
    revision = "not this one"
    op.create_table("orders")
"#;
        let s = parse(text).unwrap();
        assert_eq!(s.message.as_deref(), Some("Add orders"));
        assert_eq!(s.revision.unwrap().items, vec!["2b1f0c3d4e5f"]);
        assert_eq!(
            s.down_revision.unwrap().items,
            vec!["1a2b3c4d5e6f", "ffeeddccbbaa"]
        );
        assert_eq!(s.branch_labels.unwrap().items, Vec::<String>::new());
        assert_eq!(s.depends_on.unwrap().items, Vec::<String>::new());
    }

    #[test]
    fn older_templates_and_lists_read_too() {
        let s = parse("revision = 'a1'\ndown_revision = None\nbranch_labels = ['x']\n").unwrap();
        assert_eq!(s.revision.unwrap().items, vec!["a1"]);
        assert!(s.down_revision.unwrap().items.is_empty());
        assert_eq!(s.branch_labels.unwrap().items, vec!["x"]);
    }

    #[test]
    fn computed_values_are_errors_with_their_place() {
        let text = "revision = 'a1'\ndown_revision = make_id()\n";
        let e = parse(text).unwrap_err();
        assert_eq!(&text[e.span.start..e.span.start + 9], "make_id()");
        assert!(e.message.contains("does not understand"));
        let e = parse("revision = 'a1\n").unwrap_err();
        assert!(e.message.contains("not closed"));
    }
}
