//! Fuzz tests, kept from the reliability probe as reproducible tools (proptest strategies,
//! deterministic runs, shrinking of a failing input):
//!
//! 1. [`mutated_project_files_never_panic`]: the example project's files (schema TOML,
//!    `schemactl.toml`, migration files, the sum file, the head snapshot), mutated — bytes
//!    flipped, ranges deleted or duplicated, SQL and TOML fragments inserted — go through
//!    compile, the migration directory check, the snapshot, sum and header parsers and the
//!    step splitter; none may panic (a problem is reported as a diagnostic or problem list).
//! 2. [`literals_round_trip`]: texts full of quotes, dollar quotes, comment and step markers,
//!    backslashes and newlines, as table and column comments, text defaults, check literals
//!    and enum labels (with a default): `plan` → `apply` → `drift` is clean and the stored comments equal the texts.
//!
//! Bounded in CI; a long run:
//!
//! ```sh
//! SCHEMACTL_FUZZ_CASES=100000 SCHEMACTL_FUZZ_ROUNDS=300 cargo test --release --test fuzz -- --nocapture
//! ```

mod support;

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use schemactl::migrations::{Layout, parse_header, parse_sum};
use schemactl::model::snapshot;
use support::project::*;

fn env_number(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            max_shrink_iters: 2000,
            ..Config::default()
        },
        proptest::test_runner::TestRng::deterministic_rng(
            proptest::test_runner::RngAlgorithm::ChaCha,
        ),
    )
}

/// Fragments that matter to our parsers.
const FRAGMENTS: &[&str] = &[
    "'",
    "\"",
    "''",
    "$$",
    "$x$",
    "E'\\",
    "\\",
    "\n",
    "\r\n",
    "--",
    "/*",
    "*/",
    ";",
    "\n-- step 1: create-table public.x\n",
    "\n-- schemactl:no-transaction\n",
    "\n-- schemactl:irreversible\n",
    "-- parent: ",
    "-- hazards: deletes_data\n",
    "[tables.",
    "[[tables.x.checks]]\n",
    "= {",
    "}",
    "[",
    "]",
    "=",
    ".",
    ",",
    "\u{feff}",
    "\u{e9}",
    "\u{1F600}",
    "\u{0}",
    "\t",
    "type = \"numeric(1000,2)\"",
    "references = \"a.b\"",
    "renamed_from = \"a\"",
    "head ",
    "0001_init ",
    "<<<<<<< HEAD\n",
    "=======\n",
    ">>>>>>> b\n",
];

#[derive(Clone, Debug)]
enum Mutation {
    Flip(usize, u8),
    Delete(usize, usize),
    Insert(usize, &'static str),
    Duplicate(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::Flip(at, b)),
        (any::<usize>(), 1usize..64).prop_map(|(at, n)| Mutation::Delete(at, n)),
        (any::<usize>(), proptest::sample::select(FRAGMENTS))
            .prop_map(|(at, f)| Mutation::Insert(at, f)),
        (any::<usize>(), 1usize..200).prop_map(|(at, n)| Mutation::Duplicate(at, n)),
    ]
}

fn mutate(bytes: &[u8], ms: &[Mutation]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for m in ms {
        let len = out.len().max(1);
        match *m {
            Mutation::Flip(at, b) => {
                if !out.is_empty() {
                    let i = at % out.len();
                    out[i] ^= b | 1;
                }
            }
            Mutation::Delete(at, n) => {
                let i = at % len;
                let end = (i + n).min(out.len());
                if i < end {
                    out.drain(i..end);
                }
            }
            Mutation::Insert(at, f) => {
                let i = at % (out.len() + 1);
                out.splice(i..i, f.bytes());
            }
            Mutation::Duplicate(at, n) => {
                let i = at % len;
                let end = (i + n).min(out.len());
                if i < end {
                    let piece = out[i..end].to_vec();
                    out.splice(end..end, piece);
                }
            }
        }
    }
    out
}

/// Every file of the example project, relative to its root.
fn corpus(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    files.sort();
    files
}

/// Everything that reads a project file, on the project as it is now.
fn read_everything(root: &Path, file: &Path, bytes: &[u8]) {
    let (_sources, _, _result) = schemactl::compile::compile_project(root);
    let _ = schemactl::migrations::load(&Layout::new(root));
    let text = String::from_utf8_lossy(bytes);
    let _ = snapshot::from_toml(&text);
    let _ = parse_sum(&text);
    let _ = parse_header(&text);
    let _ = schemactl::apply::segments(&text);
    let _ = schemactl::sql::lex::is_closed(&text);
    let _ = file;
}

static PANIC_AT: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());

#[test]
fn mutated_project_files_never_panic() {
    let cases = env_number("SCHEMACTL_FUZZ_CASES", 1_500);
    let dir = copy_example_project();
    let root = dir.path().to_path_buf();
    let files = corpus(&root);
    assert!(files.len() > 5, "{files:?}");
    let originals: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(root.join(f)).unwrap())
        .collect();
    let strategy = (0..files.len(), proptest::collection::vec(mutation(), 1..5));
    // A panic inside the library would print its message for every shrinking step; keep
    // only where it happened, for the failure message.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|info| {
        if let Some(l) = info.location() {
            *PANIC_AT.lock().unwrap() = format!("{}:{}:{}", l.file(), l.line(), l.column());
        }
    }));
    let result = runner(cases).run(&strategy, |(i, ms)| {
        let path = root.join(&files[i]);
        let bytes = mutate(&originals[i], &ms);
        std::fs::write(&path, &bytes).unwrap();
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
            read_everything(&root, &files[i], &bytes)
        }));
        std::fs::write(&path, &originals[i]).unwrap();
        match outcome {
            Ok(()) => Ok(()),
            Err(e) => {
                let msg = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                Err(TestCaseError::fail(format!(
                    "panic at {} on mutated {}: {msg}\n--- input ---\n{}",
                    PANIC_AT.lock().unwrap(),
                    files[i].display(),
                    String::from_utf8_lossy(&bytes)
                )))
            }
        }
    });
    std::panic::set_hook(hook);
    if let Err(e) = result {
        panic!("{e}");
    }
    eprintln!("{cases} mutated inputs, no panic");
}

/// Text that stresses literal boundaries and markers (no NUL: PostgreSQL text cannot hold it,
/// and compile rejects it with a diagnostic).
fn nasty_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => proptest::sample::select(&FRAGMENTS[..28]).prop_map(str::to_string),
        3 => "[ -~]{1,6}",
        1 => "[\u{a0}-\u{2ff}\u{1F300}-\u{1F64F}]{1,2}",
        1 => Just("\n".to_string()),
    ];
    proptest::collection::vec(piece, 1..10).prop_map(|v| v.concat().replace(['\0', '\u{feff}'], ""))
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

#[derive(Clone, Debug)]
struct Texts {
    table_comment: String,
    column_comment: String,
    default: String,
    check: String,
}

fn texts() -> impl Strategy<Value = Texts> {
    (nasty_text(), nasty_text(), nasty_text(), nasty_text()).prop_map(|(a, b, c, d)| Texts {
        table_comment: a,
        column_comment: b,
        default: c,
        check: d,
    })
}

/// Enum labels from the texts: non-empty, at most 63 bytes, distinct, in order.
fn labels<'a>(texts: impl Iterator<Item = &'a String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in texts {
        let mut l = t.clone();
        while l.len() > 63 {
            l.pop();
        }
        if !l.is_empty() && !out.contains(&l) {
            out.push(l);
        }
    }
    out
}

fn round_schema(tables: &[Texts], labels: &[String]) -> String {
    let mut s = String::new();
    if !labels.is_empty() {
        let values: Vec<String> = labels.iter().map(|l| toml_string(l)).collect();
        s.push_str(&format!(
            "[enums.e]\nvalues = [{}]\n\n[tables.uses_e.columns]\nid = {{ type = \"int\", primary_key = true }}\nv = {{ type = \"e\", default = {} }}\n\n",
            values.join(", "),
            values[0]
        ));
    }
    for (i, t) in tables.iter().enumerate() {
        // The check literal goes through SQL quoting, as a user writes it.
        let check = format!("d <> {}", schemactl::sql::quote_literal(&t.check));
        s.push_str(&format!(
            "[tables.t{i}]\ncomment = {}\n\n[tables.t{i}.columns]\nid = {{ type = \"int\", primary_key = true }}\nd = {{ type = \"text\", default = {}, comment = {} }}\n\n[[tables.t{i}.checks]]\nexpr = {}\n\n",
            toml_string(&t.table_comment),
            toml_string(&t.default),
            toml_string(&t.column_comment),
            toml_string(&check),
        ));
    }
    s
}

/// Run the binary in `dir`; a failure is a failed case with its output.
fn run_ok(dir: &Path, args: &[&str]) -> Result<(), TestCaseError> {
    let out = schemactl(dir, args);
    if out.status.code() == Some(0) {
        Ok(())
    } else {
        Err(TestCaseError::fail(format!(
            "schemactl {} exited {:?}:\n{}{}",
            args.join(" "),
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )))
    }
}

/// The database holds exactly the texts: comments, defaults and enum labels.
fn verify(
    c: &mut postgres::Client,
    tables: &[Texts],
    labels: &[String],
) -> Result<(), TestCaseError> {
    if !labels.is_empty() {
        let got: Vec<String> = c
            .query(
                "SELECT enumlabel::text FROM pg_enum WHERE enumtypid = 'public.e'::regtype ORDER BY enumsortorder",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        prop_assert_eq!(&got, labels);
    }
    for (i, t) in tables.iter().enumerate() {
        let row = c
            .query_one(
                "SELECT obj_description(c.oid, 'pg_class'), col_description(c.oid, 2)
                 FROM pg_class c WHERE c.oid = $1::text::regclass",
                &[&format!("public.t{i}")],
            )
            .unwrap();
        let want = |s: &str| (!s.is_empty()).then(|| s.to_string());
        prop_assert_eq!(row.get::<_, Option<String>>(0), want(&t.table_comment));
        prop_assert_eq!(row.get::<_, Option<String>>(1), want(&t.column_comment));
        if t.default == t.check {
            continue; // the check rejects the default, as it should
        }
        let mut tx = c.transaction().unwrap();
        tx.execute(&format!("INSERT INTO t{i} (id) VALUES (-1)"), &[])
            .map_err(|e| TestCaseError::fail(format!("insert into t{i}: {e}")))?;
        let d: String = tx
            .query_one(&format!("SELECT d FROM t{i} WHERE id = -1"), &[])
            .unwrap()
            .get(0);
        prop_assert_eq!(&d, &t.default);
        tx.rollback().unwrap();
    }
    Ok(())
}

/// Version 1 of a schema full of hard texts is planned, applied and compared; version 2
/// changes every text and adds enum labels (`ADD VALUE`, a non-transactional step holding a
/// hard literal); then the down file takes the database back to version 1. `drift` is clean
/// after each step and the database holds exactly the texts.
#[test]
fn literals_round_trip() {
    let rounds = env_number("SCHEMACTL_FUZZ_ROUNDS", 3);
    let per_round = 25;
    let strategy = (
        proptest::collection::vec(texts(), per_round..=per_round),
        proptest::collection::vec(texts(), per_round..=per_round),
    );
    let result = runner(rounds).run(&strategy, |(v1, v2)| {
        let db = support::test_db();
        let labels1 = labels(v1.iter().map(|t| &t.column_comment));
        let labels2 = labels(labels1.iter().chain(v2.iter().map(|t| &t.table_comment)));
        let dir = project(&[("schema/s.toml", &round_schema(&v1, &labels1))]);
        let db_args = |args: &[&str]| -> Vec<String> {
            ["--db", db.conninfo.as_str()]
                .iter()
                .chain(args)
                .map(|s| s.to_string())
                .collect()
        };
        let run_db = |args: &[&str]| {
            let a = db_args(args);
            let a: Vec<&str> = a.iter().map(String::as_str).collect();
            run_ok(dir.path(), &a)
        };
        run_ok(dir.path(), &["plan", "-m", "v1"])?;
        run_db(&["apply"])?;
        run_db(&["drift"])?;
        let mut c = db.connect();
        verify(&mut c, &v1, &labels1)?;

        std::fs::write(
            dir.path().join("schema/s.toml"),
            round_schema(&v2, &labels2),
        )
        .unwrap();
        run_ok(dir.path(), &["plan", "-m", "v2", "--allow", "deletes_data"])?;
        run_db(&["apply"])?;
        run_db(&["drift"])?;
        verify(&mut c, &v2, &labels2)?;

        run_db(&["rollback", "--to", "1", "--allow", "deletes_data"])?;
        run_db(&["drift"])?;
        verify(&mut c, &v1, &labels1)?;
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    eprintln!(
        "{rounds} rounds, {} texts: plan → apply → drift clean, changed, rolled back",
        rounds as usize * per_round * 8
    );
}
