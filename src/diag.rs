//! Diagnostics: a problem in a user's file, with a byte span, a message and a one-line hint.
//! Line and column are computed only when printing; text and JSON come from the same struct.

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub usize);

/// A byte range in one source file.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: FileId,
    pub range: Range<usize>,
}

/// The text of every file read, so spans can be turned into `file:line:col` and snippets.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<(PathBuf, String)>,
}

impl SourceMap {
    pub fn add(&mut self, display_path: PathBuf, text: String) -> FileId {
        self.files.push((display_path, text));
        FileId(self.files.len() - 1)
    }

    pub fn path(&self, id: FileId) -> &Path {
        &self.files[id.0].0
    }

    pub fn text(&self, id: FileId) -> &str {
        &self.files[id.0].1
    }

    pub fn snippet(&self, span: &Span) -> &str {
        let text = self.text(span.file);
        let start = floor_char_boundary(text, span.range.start.min(text.len()));
        let end = floor_char_boundary(text, span.range.end.min(text.len()).max(start));
        &text[start..end]
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, file: FileId, offset: usize) -> (usize, usize) {
        let text = self.text(file);
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = text[line_start..offset].chars().count() + 1;
        (line, col)
    }
}

fn floor_char_boundary(text: &str, i: usize) -> usize {
    crate::compile::names::clip(text, i)
}

/// A secondary location ("first defined here").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable kebab-case id of the error kind (e.g. `unknown-type`), used in JSON and tests.
    pub code: &'static str,
    pub span: Span,
    pub message: String,
    pub hint: Option<String>,
    pub labels: Vec<Label>,
}

impl Diagnostic {
    pub fn new(code: &'static str, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            span,
            message: message.into(),
            hint: None,
            labels: Vec::new(),
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }
}

/// Sort for stable output: by file, then position, then code.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        (a.span.file, a.span.range.start, a.code, &a.message).cmp(&(
            b.span.file,
            b.span.range.start,
            b.code,
            &b.message,
        ))
    });
}

/// Every diagnostic as rustc shows its errors (`error[code]: message`, ` --> file:line:col`,
/// the source lines with the span underlined, labels in their own files, `= hint: …`),
/// rendered by `annotate-snippets` — the crate rustc and cargo render with, so the layout is
/// the one Rust users read every day and editors link — in colour when `color` is set.
pub fn render_text(diags: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
    use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for d in diags {
        let text = sources.text(d.span.file);
        let span = clamp(text, &d.span.range);
        let path = sources.path(d.span.file).display().to_string();
        let mut snippet = Snippet::source(text)
            .path(path)
            .annotation(AnnotationKind::Primary.span(span));
        let mut elsewhere = Vec::new();
        for l in &d.labels {
            if l.span.file == d.span.file {
                let ls = clamp(text, &l.span.range);
                snippet = snippet.annotation(AnnotationKind::Context.span(ls).label(&l.message));
            } else {
                elsewhere.push(l);
            }
        }
        let mut group = Level::ERROR
            .primary_title(&d.message)
            .id(d.code)
            .element(snippet);
        for l in &elsewhere {
            let other = sources.text(l.span.file);
            group = group.element(
                Snippet::source(other)
                    .path(sources.path(l.span.file).display().to_string())
                    .annotation(
                        AnnotationKind::Context
                            .span(clamp(other, &l.span.range))
                            .label(&l.message),
                    ),
            );
        }
        if let Some(h) = d.hint.as_ref().filter(|h| !h.trim().is_empty()) {
            group = group.element(Level::HELP.with_name(Some("hint")).message(h));
        }
        let report: [Group; 1] = [group];
        out.push_str(&renderer.render(&report));
        out.push('\n');
    }
    out
}

/// `range` inside `text` on character boundaries (a span may point past a file's end).
fn clamp(text: &str, range: &std::ops::Range<usize>) -> std::ops::Range<usize> {
    let start = floor_char_boundary(text, range.start.min(text.len()));
    let end = floor_char_boundary(text, range.end.min(text.len())).max(start);
    start..end
}

#[derive(Serialize)]
pub struct JsonLocation {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

#[derive(Serialize)]
pub struct JsonDiagnostic {
    pub code: &'static str,
    pub message: String,
    #[serde(flatten)]
    pub location: JsonLocation,
    pub snippet: String,
    pub hint: Option<String>,
    pub related: Vec<JsonRelated>,
}

#[derive(Serialize)]
pub struct JsonRelated {
    pub message: String,
    #[serde(flatten)]
    pub location: JsonLocation,
}

fn location(sources: &SourceMap, span: &Span) -> JsonLocation {
    let (line, column) = sources.line_col(span.file, span.range.start);
    JsonLocation {
        file: sources.path(span.file).display().to_string(),
        line,
        column,
    }
}

pub fn to_json(diags: &[Diagnostic], sources: &SourceMap) -> Vec<JsonDiagnostic> {
    diags
        .iter()
        .map(|d| JsonDiagnostic {
            code: d.code,
            message: d.message.clone(),
            location: location(sources, &d.span),
            snippet: sources.snippet(&d.span).to_string(),
            hint: d.hint.clone(),
            related: d
                .labels
                .iter()
                .map(|l| JsonRelated {
                    message: l.message.clone(),
                    location: location(sources, &l.span),
                })
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let mut sm = SourceMap::default();
        let f = sm.add("a.toml".into(), "x = 1\né = \"y\"\n".into());
        assert_eq!(sm.line_col(f, 0), (1, 1));
        let off = sm.text(f).find('=').unwrap();
        assert_eq!(sm.line_col(f, off), (1, 3));
        let off = sm.text(f).find("\"y").unwrap();
        assert_eq!(sm.line_col(f, off), (2, 5));
    }
}
