//! `schemactl reference`: print the schema-format reference (`docs/reference.md`, compiled
//! into the binary), so the pointer in the `init` template resolves offline and matches the
//! version that reads the files.

use super::{Exit, Outcome};

/// `docs/reference.md`, as built into this binary.
pub const REFERENCE: &str = include_str!("../../docs/reference.md");

/// Print the reference (Markdown) on stdout. `--format` and `-q` do not apply: the text is
/// what was asked for.
pub fn run() -> Outcome {
    let mut o = Outcome::new(Exit::Ok);
    o.stdout = REFERENCE.to_string();
    o
}
