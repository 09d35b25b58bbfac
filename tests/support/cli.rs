//! Helpers for tests that drive the binary on a project with one schema file
//! (`schema/main.toml`): write it, plan, apply, and require `drift` and `diff --db` clean.

use std::path::Path;
use std::process::Output;

use super::project::{migration_files, schemactl, schemactl_db, text};

pub const CONFIG: &str = "[project]\nschemas = [\"public\"]\n";

/// Write the project's one schema file.
pub fn write_schema(dir: &Path, schema: &str) {
    std::fs::create_dir_all(dir.join("schema")).unwrap();
    std::fs::write(dir.join("schema/main.toml"), schema).unwrap();
}

/// The command succeeded; its stdout.
pub fn ok(out: Output) -> String {
    let s = text(&out.stdout);
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{s}\nstderr:\n{}",
        out.status.code(),
        text(&out.stderr)
    );
    s
}

/// `drift` and `diff --db` find nothing.
pub fn assert_clean(dir: &Path, db: &str) {
    let drift = ok(schemactl_db(dir, db, &["drift"]));
    assert!(drift.starts_with("No drift"), "{drift}");
    let diff = ok(schemactl_db(dir, db, &["diff"]));
    assert!(diff.starts_with("No differences"), "{diff}");
}

/// Plan (allowing `allow`), apply, then require drift and `diff --db` clean. Returns the up
/// SQL of the new migration.
pub fn plan_apply(dir: &Path, db: &str, name: &str, allow: &[&str]) -> String {
    let mut args = vec!["plan", "-m", name];
    for a in allow {
        args.extend(["--allow", a]);
    }
    ok(schemactl(dir, &args));
    ok(schemactl_db(dir, db, &["apply"]));
    assert_clean(dir, db);
    let files = migration_files(dir);
    let up = files
        .iter()
        .rfind(|p| !p.to_string_lossy().ends_with(".down.sql"))
        .unwrap();
    std::fs::read_to_string(up).unwrap()
}

/// Rendered diagnostics with each header folded onto one line, `path:line:col:
/// error[code]: message` (what `error[code]: message` and the ` --> path:line:col` line
/// under it say), so tests can name an error by its location in one `contains`.
pub fn one_line_errors(err: &str) -> String {
    let lines: Vec<&str> = err.lines().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let location = lines
            .get(i + 1)
            .and_then(|next| next.trim_start().strip_prefix("--> "));
        match location {
            Some(loc) if line.starts_with("error[") => {
                out.push_str(&format!("{loc}: {line}\n"));
                i += 2;
            }
            _ => {
                out.push_str(line);
                out.push('\n');
                i += 1;
            }
        }
    }
    out
}
