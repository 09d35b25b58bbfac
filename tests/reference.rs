//! The pointer in the `init` template resolves: the command it names prints the schema-format
//! reference (`docs/reference.md`, built into the binary), offline, with exit 0.

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_schemactl");

/// A heading for every kind of the format and for `schemactl.toml`.
const HEADINGS: &[&str] = &[
    "## schemactl.toml",
    "## File-level keys",
    "## Extensions",
    "## Enums",
    "## Tables",
    "## Columns",
    "### Types",
    "## Primary keys",
    "## Unique constraints",
    "## Check constraints",
    "## Indexes",
    "### Index keys",
    "## Exclusion constraints",
    "## Foreign keys",
    "## Partitions",
    "## Views",
    "## Materialized views",
    "## Sequences",
    "## Domains",
    "## Composite types",
    "## Functions",
    "## Procedures",
    "## Aggregates",
    "## Triggers",
    "## Policies and row-level security",
    "## Comments",
    "## Grants",
    "## Default privileges",
    "## Renames (`renamed_from`)",
    "## Default names",
];

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .output()
        .expect("schemactl runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 output")
}

#[test]
fn the_init_template_points_at_a_command_that_prints_the_reference() {
    let tmp = tempfile::tempdir().unwrap();
    let init = run(tmp.path(), &["init"]);
    assert_eq!(init.status.code(), Some(0), "{init:?}");

    let template = std::fs::read_to_string(tmp.path().join("schema/schema.toml")).unwrap();
    let line = template
        .lines()
        .find(|l| l.starts_with('#') && l.contains("`schemactl "))
        .unwrap_or_else(|| panic!("no `schemactl …` pointer in the template:\n{template}"));
    assert!(line.contains("docs/reference.md"), "{line}");
    let command = line
        .split('`')
        .find(|part| part.starts_with("schemactl "))
        .expect("a backquoted command");
    let mut words = command.split_whitespace();
    assert_eq!(words.next(), Some("schemactl"));
    let args: Vec<&str> = words.collect();

    let out = run(tmp.path(), &args);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(out.stderr.is_empty(), "{out:?}");
    let text = stdout(&out);
    let docs =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/reference.md"))
            .unwrap();
    assert_eq!(text, docs, "the command prints docs/reference.md as built");
    for heading in HEADINGS {
        assert!(
            text.lines().any(|l| l == *heading),
            "no heading `{heading}` in the reference"
        );
    }
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("Columns are NOT NULL unless `nullable = true`."));
}

#[test]
fn reference_needs_no_project_and_has_an_example_in_its_help() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(tmp.path(), &["reference"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(stdout(&out).starts_with("# Schema format reference\n"));
    assert!(
        std::fs::read_dir(tmp.path()).unwrap().next().is_none(),
        "nothing written"
    );

    let help = run(tmp.path(), &["reference", "--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(stdout(&help).contains("Example:\n  schemactl reference | less"));
    let top = stdout(&run(tmp.path(), &["--help"]));
    assert!(top.contains("reference"), "{top}");
}
