//! Where a line of SQL text starts: at the top level, or inside a string literal, a quoted
//! identifier, a dollar-quoted body or a block comment. Migration files carry markers on
//! their own lines (`-- step N:`, `-- schemactl:no-transaction`); a marker counts only on a
//! line that starts at the top level, so text inside a literal (a comment or default that
//! holds such a line) can never split a statement.
//!
//! Our own scanner rather than sqlparser's tokenizer: it only has to find where literals end,
//! must accept any text a hand-written migration holds (PL/pgSQL bodies, psql-isms, operators
//! sqlparser does not know) without failing, and must follow PostgreSQL's rules exactly:
//! `''` inside standard strings, backslash escapes only in `E''` strings, `$tag$` quoting
//! (a `$` inside an identifier or `$1` does not open one), `""` inside quoted identifiers,
//! and nested `/* /* */ */` comments. `standard_conforming_strings` is assumed on (the
//! default since PostgreSQL 9.1; generated literals mean the same either way).

/// Where the scanner is.
#[derive(Clone, Debug, PartialEq, Eq)]
enum State {
    Top,
    /// Inside `'…'`; `true` for an `E'…'` string, where a backslash escapes the next byte.
    Quote(bool),
    Ident,
    /// Inside `$tag$…$tag$` (the tag with its dollars).
    Dollar(String),
    /// Inside `/* … */` at this nesting depth.
    Block(u32),
    Line,
}

/// Each line of `text` (split as [`str::lines`] does) with whether it starts at the top level.
pub fn lines_with_level(text: &str) -> Vec<(&str, bool)> {
    let mut out = Vec::new();
    let mut state = State::Top;
    for line in text.lines() {
        out.push((line, state == State::Top));
        state = scan(line, state);
        if state == State::Line {
            state = State::Top;
        }
    }
    out
}

/// The lines of `text` that start at the top level (markers can only be these).
pub fn top_level_lines(text: &str) -> impl Iterator<Item = &str> {
    lines_with_level(text)
        .into_iter()
        .filter_map(|(line, top)| top.then_some(line))
}

/// True when the whole of `text` ends at the top level (no literal, quoted identifier,
/// dollar quote or block comment left open).
pub fn is_closed(text: &str) -> bool {
    let mut state = State::Top;
    for line in text.lines() {
        state = scan(line, state);
        if state == State::Line {
            state = State::Top;
        }
    }
    state == State::Top
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// The `$tag$` opening at `i` (`bytes[i] == b'$'`), if it is one.
fn dollar_tag(bytes: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    if let Some(&b) = bytes.get(j)
        && (b.is_ascii_digit())
    {
        return None; // `$1`: a parameter
    }
    while let Some(&b) = bytes.get(j) {
        if b == b'$' {
            return Some(j + 1);
        }
        if !(b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80) {
            return None;
        }
        j += 1;
    }
    None
}

/// The statements of `text`: split after each `;` at the top level (outside literals,
/// quoted identifiers, dollar quotes and comments), each trimmed; pieces holding only
/// whitespace and comments are left out. What a non-transactional step runs one by one
/// (PostgreSQL treats a multi-statement string as one transaction block).
pub fn statements(text: &str) -> Vec<&str> {
    let mut cuts = Vec::new();
    let mut state = State::Top;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let content = line.strip_suffix('\n').unwrap_or(line);
        let content = content.strip_suffix('\r').unwrap_or(content);
        state = scan_with(content, state, &mut |i| cuts.push(offset + i + 1));
        if state == State::Line {
            state = State::Top;
        }
        offset += line.len();
    }
    let mut out = Vec::new();
    let mut start = 0;
    for end in cuts.into_iter().chain(std::iter::once(text.len())) {
        let piece = text[start..end].trim();
        if !piece.is_empty() && !only_comments(piece) {
            out.push(piece);
        }
        start = end;
    }
    out
}

/// True when `text` holds nothing but whitespace and comments.
fn only_comments(text: &str) -> bool {
    let mut state = State::Top;
    for line in text.lines() {
        let mut code = false;
        state = scan_with(line, state, &mut |_| code = true);
        let top_text = line.split("--").next().unwrap_or("");
        if state != State::Block(1)
            && !top_text.trim().is_empty()
            && !top_text.trim_start().starts_with("/*")
        {
            code = true;
        }
        if code {
            return false;
        }
        if state == State::Line {
            state = State::Top;
        }
    }
    true
}

/// Scan one line (without its newline) from `state`; the state at its end. A line comment
/// ends with the line.
fn scan(line: &str, state: State) -> State {
    scan_with(line, state, &mut |_| {})
}

/// [`scan`], telling `semicolon` the byte offset of each `;` at the top level.
fn scan_with(line: &str, mut state: State, semicolon: &mut impl FnMut(usize)) -> State {
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match &mut state {
            State::Line => return State::Line,
            State::Top => match b {
                b';' => semicolon(i),
                b'-' if bytes.get(i + 1) == Some(&b'-') => return State::Line,
                b'/' if bytes.get(i + 1) == Some(&b'*') => {
                    state = State::Block(1);
                    i += 2;
                    continue;
                }
                b'\'' => {
                    // E'…' (or e'…') when the E is a token of its own, not the end of a word.
                    let escapes = i >= 1
                        && matches!(bytes[i - 1], b'E' | b'e')
                        && (i < 2 || !is_ident_byte(bytes[i - 2]));
                    state = State::Quote(escapes);
                }
                b'"' => state = State::Ident,
                b'$' if i == 0 || !is_ident_byte(bytes[i - 1]) => {
                    if let Some(end) = dollar_tag(bytes, i) {
                        state = State::Dollar(line[i..end].to_string());
                        i = end;
                        continue;
                    }
                }
                _ => {}
            },
            State::Quote(escapes) => match b {
                b'\\' if *escapes => {
                    i += 2;
                    continue;
                }
                b'\'' if bytes.get(i + 1) == Some(&b'\'') => {
                    i += 2;
                    continue;
                }
                b'\'' => state = State::Top,
                _ => {}
            },
            State::Ident => match b {
                b'"' if bytes.get(i + 1) == Some(&b'"') => {
                    i += 2;
                    continue;
                }
                b'"' => state = State::Top,
                _ => {}
            },
            State::Dollar(tag) => {
                if bytes[i..].starts_with(tag.as_bytes()) {
                    i += tag.len();
                    state = State::Top;
                    continue;
                }
            }
            State::Block(depth) => {
                if b == b'*' && bytes.get(i + 1) == Some(&b'/') {
                    *depth -= 1;
                    if *depth == 0 {
                        state = State::Top;
                    }
                    i += 2;
                    continue;
                }
                if b == b'/' && bytes.get(i + 1) == Some(&b'*') {
                    *depth += 1;
                    i += 2;
                    continue;
                }
            }
        }
        i += 1;
    }
    state
}

#[cfg(test)]
mod statement_tests {
    use super::statements;

    #[test]
    fn splits_at_top_level_semicolons_only() {
        let text = "-- a comment; not a cut\nDROP INDEX CONCURRENTLY IF EXISTS \"s\".\"a;b\";\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;\n/* x; y */ SELECT ';' ;\n-- trailing\n";
        assert_eq!(
            statements(text),
            [
                "-- a comment; not a cut\nDROP INDEX CONCURRENTLY IF EXISTS \"s\".\"a;b\";",
                "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;",
                "/* x; y */ SELECT ';' ;",
            ]
        );
        assert_eq!(statements("SELECT 1"), ["SELECT 1"]);
        assert!(statements("-- only a comment\n\n").is_empty());
    }
}

#[cfg(test)]
mod tests {
    use super::{is_closed, lines_with_level, top_level_lines};

    fn levels(text: &str) -> Vec<bool> {
        lines_with_level(text).into_iter().map(|(_, t)| t).collect()
    }

    #[test]
    fn standard_strings_double_quotes_and_ignore_backslashes() {
        assert_eq!(
            levels("SELECT 'a\n-- step 2\nb';\nx"),
            [true, false, false, true]
        );
        // `''` is a quote inside the literal; a backslash is just a character.
        assert_eq!(
            levels("SELECT 'it''s\\\n-- x\n';\ny"),
            [true, false, false, true]
        );
        assert_eq!(levels("SELECT 'a\\';\nz"), [true, true]);
    }

    #[test]
    fn escape_strings_honour_backslashes() {
        assert_eq!(
            levels("SELECT E'a\\'\n-- x\n';\ny"),
            [true, false, false, true]
        );
        assert_eq!(levels("SELECT e'\\\\';\nz"), [true, true]);
        // `WHERE'…'`: the E ends a word, so this is a standard string.
        assert_eq!(levels("SELECT 1 WHERE'\\';\nz"), [true, true]);
        // U&'…', B'…', X'…' are standard strings.
        assert_eq!(levels("SELECT U&'d\\0061t';\nz"), [true, true]);
    }

    #[test]
    fn dollar_quotes_with_and_without_tags() {
        let text = "CREATE FUNCTION f() RETURNS int AS $$\n-- step 9: x\nSELECT 1 $x$\n$$ LANGUAGE sql;\ny";
        assert_eq!(levels(text), [true, false, false, false, true]);
        let tagged = "DO $body$\n'$$\n$body$;\nz";
        assert_eq!(levels(tagged), [true, false, false, true]);
        // `$1` is a parameter, `a$b$` an identifier: neither opens a dollar quote.
        assert_eq!(levels("SELECT $1, a$b$ FROM t;\nz"), [true, true]);
        assert_eq!(levels("SELECT $é$x\n$é$;\nz"), [true, false, true]);
        // Multi-byte text inside a dollar quote (found by the fuzz test: a panic).
        assert_eq!(levels("SELECT $$ é\n€ $$;\nz"), [true, false, true]);
    }

    #[test]
    fn quoted_identifiers_and_comments() {
        assert_eq!(
            levels("CREATE TABLE \"a\n-- b\"\"\n\" ();\nz"),
            [true, false, false, true]
        );
        // Nested block comments, and quotes inside comments do not count.
        assert_eq!(
            levels("/* a /* b */\n' \nx */ SELECT 1;\nz"),
            [true, false, false, true]
        );
        assert_eq!(levels("-- it's\nSELECT 1;"), [true, true]);
        assert_eq!(levels("SELECT 1; -- '\nz"), [true, true]);
    }

    #[test]
    fn top_level_lines_and_closedness() {
        let text = "-- step 1: a\nCOMMENT ON TABLE t IS '\n-- step 2: b\n';\n-- step 3: c";
        let tops: Vec<&str> = top_level_lines(text).collect();
        assert_eq!(
            tops,
            ["-- step 1: a", "COMMENT ON TABLE t IS '", "-- step 3: c"]
        );
        assert!(is_closed(text));
        assert!(!is_closed("SELECT 'a"));
        assert!(!is_closed("SELECT $$a"));
        assert!(!is_closed("/* /* */"));
        assert!(is_closed("SELECT \"a\"\"b\""));
    }
}
