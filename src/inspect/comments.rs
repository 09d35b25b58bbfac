//! Comments: `COMMENT ON` texts become `comment = "…"` keys of their objects; what could not
//! be expressed becomes `#` lines at the top of a file.

use super::writer::{self, Doc, Val};

/// `comment = "…"` for an object with a comment.
pub(super) fn key(comment: &Option<String>) -> Option<(&'static str, Val)> {
    comment
        .as_ref()
        .map(|c| ("comment", writer::line_string(c)))
}

/// Write the object's comment as a `comment = …` line.
pub(super) fn line(doc: &mut Doc, comment: &Option<String>) {
    if let Some(c) = comment {
        doc.kv("comment", writer::string(c));
    }
}

/// `# Not expressed: …` lines for what the files do not hold.
pub(super) fn not_expressed(doc: &mut Doc, notes: &[&str]) {
    if notes.is_empty() {
        return;
    }
    doc.comment("Not expressed in these files (left as the database has it):");
    for n in notes {
        doc.comment(&format!("  - {n}"));
    }
}
