//! A small TOML writer for `inspect`: table headers, `key = value` lines, inline tables and
//! arrays, comments. Keys and strings are quoted by `toml_writer` (the writer the `toml`
//! crate itself uses), which picks the plainest form that reads back as the same text:
//! bare keys where allowed, `"…"` or `'…'` strings, and multi-line strings for text with
//! newlines (view queries, function bodies).

use std::fmt::Write as _;

use toml_writer::{TomlKeyBuilder, TomlStringBuilder, TomlWrite as _};

/// A TOML value already written out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Val(pub String);

/// A key, bare when TOML allows it.
pub fn key(k: &str) -> String {
    let mut out = String::new();
    out.key(TomlKeyBuilder::new(k).as_default())
        .expect("writing to a String cannot fail");
    out
}

/// A string value; multi-line text becomes a multi-line string.
pub fn string(s: &str) -> Val {
    let mut out = String::new();
    out.value(TomlStringBuilder::new(s).as_default())
        .expect("writing to a String cannot fail");
    Val(out)
}

/// A string value on one line (inside inline tables and arrays, which TOML 1.0 keeps on
/// one line): never a multi-line string.
pub fn line_string(s: &str) -> Val {
    let b = TomlStringBuilder::new(s);
    let chosen = if s.contains(['\n', '\r']) {
        b.as_basic()
    } else {
        b.as_default()
    };
    let mut out = String::new();
    out.value(chosen).expect("writing to a String cannot fail");
    Val(out)
}

pub fn int(i: i64) -> Val {
    Val(i.to_string())
}

pub fn boolean(b: bool) -> Val {
    Val(b.to_string())
}

/// `["a", "b"]`.
pub fn strings<S: AsRef<str>>(items: &[S]) -> Val {
    array(items.iter().map(|s| line_string(s.as_ref())).collect())
}

/// `[v, v]`.
pub fn array(items: Vec<Val>) -> Val {
    let parts: Vec<String> = items.into_iter().map(|v| v.0).collect();
    Val(format!("[{}]", parts.join(", ")))
}

/// `{ k = v, k = v }` (`{}` when empty).
pub fn inline(pairs: Vec<(&str, Val)>) -> Val {
    if pairs.is_empty() {
        return Val("{}".into());
    }
    let parts: Vec<String> = pairs
        .into_iter()
        .map(|(k, v)| format!("{} = {}", key(k), v.0))
        .collect();
    Val(format!("{{ {} }}", parts.join(", ")))
}

/// `{ role = ["select"], … }`: a grants map.
pub fn grants(g: &crate::model::grant::Grants) -> Val {
    inline(g.iter().map(|(r, p)| (r.as_str(), strings(p))).collect())
}

/// One TOML document being written.
#[derive(Debug, Default)]
pub struct Doc {
    out: String,
}

impl Doc {
    pub fn new() -> Doc {
        Doc::default()
    }

    /// A `# …` comment line per line of `text`.
    pub fn comment(&mut self, text: &str) {
        for line in text.lines() {
            let line = crate::sql::comment_safe(line);
            if line.is_empty() {
                self.out.push_str("#\n");
            } else {
                let _ = writeln!(self.out, "# {line}");
            }
        }
    }

    /// An empty line between sections (never two, never at the start).
    pub fn blank(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    /// `[a.b.c]`, after a blank line.
    pub fn table(&mut self, path: &[&str]) {
        self.blank();
        let _ = writeln!(self.out, "[{}]", dotted(path));
    }

    /// `[[a.b.c]]`, after a blank line.
    pub fn array_table(&mut self, path: &[&str]) {
        self.blank();
        let _ = writeln!(self.out, "[[{}]]", dotted(path));
    }

    /// `key = value`.
    pub fn kv(&mut self, k: &str, v: Val) {
        let _ = writeln!(self.out, "{} = {}", key(k), v.0);
    }

    /// `key = value` lines with the `=` aligned (a column list reads like a table).
    pub fn aligned(&mut self, pairs: Vec<(String, Val)>) {
        let keys: Vec<String> = pairs.iter().map(|(k, _)| key(k)).collect();
        let width = keys.iter().map(|k| k.chars().count()).max().unwrap_or(0);
        for (k, (_, v)) in keys.iter().zip(pairs) {
            let pad = width - k.chars().count();
            let _ = writeln!(self.out, "{k}{} = {}", " ".repeat(pad), v.0);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.out.len()
    }

    /// The text, ending in exactly one newline.
    pub fn finish(mut self) -> String {
        while self.out.ends_with("\n\n") {
            self.out.pop();
        }
        if !self.out.ends_with('\n') {
            self.out.push('\n');
        }
        self.out
    }
}

fn dotted(path: &[&str]) -> String {
    path.iter().map(|p| key(p)).collect::<Vec<_>>().join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_reads_back() {
        for s in [
            "plain",
            "it's",
            "a \"b\"",
            "tab\there",
            "multi\nline\n",
            "\nlead",
            "''' x",
        ] {
            let v = string(s);
            let doc = format!("k = {}\n", v.0);
            let t: toml::Table = doc.parse().unwrap_or_else(|e| panic!("{doc}: {e}"));
            assert_eq!(t["k"].as_str(), Some(s), "{doc}");
            let v = line_string(s);
            assert!(!v.0.contains('\n'));
        }
        assert_eq!(key("users"), "users");
        assert_eq!(key("Audit Log"), "\"Audit Log\"");
        let doc = format!("{} = 1\n", key("we\"ird"));
        let t: toml::Table = doc.parse().unwrap();
        assert!(t.contains_key("we\"ird"));
    }
}
