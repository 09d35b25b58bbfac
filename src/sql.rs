//! SQL lexical helpers shared by every layer: quoting identifiers and literals, and splitting
//! dotted names written the SQL way (`"Audit Log"."UserAccount".id`).

pub mod lex;

use crate::model::QualifiedName;

/// Longest identifier PostgreSQL keeps (NAMEDATALEN - 1).
pub const MAX_IDENT_BYTES: usize = 63;

/// `"name"` with embedded quotes doubled. Generated SQL quotes every identifier.
pub fn quote_ident(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for ch in name.chars() {
        if ch == '"' {
            out.push('"');
        }
        out.push(ch);
    }
    out.push('"');
    out
}

/// `"schema"."name"`.
pub fn quote_qualified(name: &QualifiedName) -> String {
    quote_in(&name.schema, &name.name)
}

/// `"schema"."name"` from its parts.
pub fn quote_in(schema: &str, name: &str) -> String {
    format!("{}.{}", quote_ident(schema), quote_ident(name))
}

/// A string literal; uses the `E''` form only when a backslash or a carriage return makes
/// it necessary, so the result means the same under any `standard_conforming_strings`. A
/// carriage return is written as `\r`: migration files are read with CRLF normalised to LF,
/// which would turn a raw one before a newline into nothing.
pub fn quote_literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    if value.contains(['\\', '\r']) {
        out.push('E');
    }
    out.push('\'');
    for ch in value.chars() {
        match ch {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            '\r' => out.push_str("\\r"),
            _ => out.push(ch),
        }
    }
    out.push('\'');
    out
}

/// True when `name` can be written without quotes and mean the same thing
/// (lower case letters, digits, `_`, `$`, not starting with a digit or `$`, not a keyword we
/// know of). Used only for readability in snapshots and messages, never to decide SQL quoting.
pub fn is_plain_ident(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_lowercase() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
}

/// An identifier quoted only when needed (for messages and snapshots).
pub fn display_ident(name: &str) -> String {
    if is_plain_ident(name) {
        name.to_string()
    } else {
        quote_ident(name)
    }
}

/// Split `a.b."c.d"` into `["a", "b", "c.d"]`. Unquoted parts are taken verbatim (schemactl
/// names are case-sensitive as written); quoted parts may contain dots and doubled quotes.
pub fn split_qualified(input: &str) -> Result<Vec<String>, String> {
    let mut parts = Vec::new();
    let mut chars = input.chars().peekable();
    loop {
        let mut part = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        part.push('"');
                    }
                    Some('"') => break,
                    Some(c) => part.push(c),
                    None => return Err(format!("unterminated quoted identifier in `{input}`")),
                }
            }
            if part.is_empty() {
                return Err(format!("empty quoted identifier in `{input}`"));
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == '.' {
                    break;
                }
                if c == '"' {
                    return Err(format!("unexpected `\"` inside a name in `{input}`"));
                }
                part.push(c);
                chars.next();
            }
            if part.is_empty() {
                return Err(format!("empty name part in `{input}`"));
            }
        }
        parts.push(part);
        match chars.next() {
            None => return Ok(parts),
            Some('.') => continue,
            Some(c) => {
                let mut rest = String::from(c);
                rest.extend(chars);
                return Err(format!(
                    "unexpected `{rest}` after a quoted name in `{input}`"
                ));
            }
        }
    }
}

/// Text safe inside a `--` comment line: control characters (newlines above all) escaped,
/// so a hostile name can never end the comment and become SQL.
pub fn comment_safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Join names for a message: `public.members.id`, quoting parts that need it.
pub fn display_path(parts: &[&str]) -> String {
    let mut out = String::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        if is_plain_ident(p) {
            out.push_str(p);
        } else {
            out.push_str(&quote_ident(p));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_identifiers_and_literals() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal("a\\b"), "E'a\\\\b'");
    }

    #[test]
    fn comments_cannot_be_escaped() {
        assert_eq!(comment_safe("a\nDROP TABLE x"), "a\\nDROP TABLE x");
        assert!(!comment_safe("x\r\n").contains('\n'));
    }

    #[test]
    fn splits_quoted_dotted_names() {
        assert_eq!(
            split_qualified("\"Audit Log\".\"UserAccount\".id").unwrap(),
            vec!["Audit Log", "UserAccount", "id"]
        );
        assert_eq!(split_qualified("\"a\"\"b.c\"").unwrap(), vec!["a\"b.c"]);
        assert!(split_qualified("a..b").is_err());
        assert!(split_qualified("\"a").is_err());
        assert!(split_qualified("\"a\"x").is_err());
    }
}
