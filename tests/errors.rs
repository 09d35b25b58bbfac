//! One test per schema error kind in the spec: each asserts the code, the message, the file
//! and the line, and that the hint is present. The binary tests assert exit code 2 and that
//! nothing is written.

mod support;

use schemactl::compile;
use schemactl::diag::{Diagnostic, SourceMap};
use support::project::{project, schemactl};

struct Found {
    code: &'static str,
    file: String,
    line: usize,
    message: String,
    hint: String,
    labels: Vec<(String, usize)>,
}

fn errors(files: &[(&str, &str)]) -> Vec<Found> {
    let dir = project(files);
    let (sources, _, result) = compile::compile_project(dir.path());
    let diags = result.expect_err("expected the schema to be rejected");
    diags.iter().map(|d| found(&sources, d)).collect()
}

fn found(sources: &SourceMap, d: &Diagnostic) -> Found {
    let (line, _) = sources.line_col(d.span.file, d.span.range.start);
    Found {
        code: d.code,
        file: sources.path(d.span.file).display().to_string(),
        line,
        message: d.message.clone(),
        hint: d.hint.clone().unwrap_or_default(),
        labels: d
            .labels
            .iter()
            .map(|l| {
                let (ll, _) = sources.line_col(l.span.file, l.span.range.start);
                (sources.path(l.span.file).display().to_string(), ll)
            })
            .collect(),
    }
}

/// Exactly one error, with this code, in this file and line.
fn one(files: &[(&str, &str)], code: &str, file: &str, line: usize) -> Found {
    let mut all = errors(files);
    let summary: Vec<String> = all
        .iter()
        .map(|f| format!("{}:{} {} {}", f.file, f.line, f.code, f.message))
        .collect();
    assert_eq!(all.len(), 1, "expected one error, got {summary:#?}");
    let f = all.remove(0);
    assert_eq!(
        (f.code, f.file.as_str(), f.line),
        (code, file, line),
        "{summary:?}"
    );
    assert!(!f.hint.is_empty(), "every error has a hint: {}", f.message);
    f
}

const T: &str = "schema/t.toml";

#[test]
fn toml_syntax_error() {
    let f = one(&[(T, "[tables.a]\ncomment = \"x\n")], "toml-syntax", T, 2);
    assert!(f.message.starts_with("TOML syntax"), "{}", f.message);
}

#[test]
fn unknown_key_suggests_the_closest() {
    let src = "[tables.a.columns]\nid = { type = \"bigint\", nulable = true }\n";
    let f = one(&[(T, src)], "unknown-key", T, 2);
    assert!(f.message.contains("`nulable`"), "{}", f.message);
    assert!(f.hint.contains("`nullable`"), "{}", f.hint);
}

#[test]
fn unknown_top_level_and_table_keys() {
    let src =
        "tabels = {}\n[tables.a]\ncoment = \"x\"\n[tables.a.columns]\nid = { type = \"int\" }\n";
    let all = errors(&[(T, src)]);
    let codes: Vec<(&str, usize)> = all.iter().map(|f| (f.code, f.line)).collect();
    assert_eq!(codes, vec![("unknown-key", 1), ("unknown-key", 3)]);
    assert!(all[0].hint.contains("`tables`"));
    assert!(all[1].hint.contains("`comment`"));
}

#[test]
fn missing_type() {
    let src = "[tables.a.columns]\nid = { nullable = true }\n";
    let f = one(&[(T, src)], "missing-type", T, 2);
    assert!(
        f.message.contains("column `id` has no type"),
        "{}",
        f.message
    );
}

#[test]
fn unknown_type_suggests_a_known_one() {
    let src = "[tables.a.columns]\nid = { type = \"integr\" }\n";
    let f = one(&[(T, src)], "unknown-type", T, 2);
    assert!(f.message.contains("`integr`"));
    assert!(f.hint.contains("`integer`"), "{}", f.hint);
}

#[test]
fn unknown_type_suggests_an_enum() {
    let src = "[enums.registrationstatus]\nvalues = [\"A\"]\n[tables.a.columns]\ns = { type = \"registrationstatu\" }\n";
    let f = one(&[(T, src)], "unknown-type", T, 4);
    assert!(f.hint.contains("registrationstatus"), "{}", f.hint);
}

#[test]
fn unknown_type_suggests_a_domain() {
    let src =
        "[domains.posint]\ntype = \"integer\"\n[tables.a.columns]\ns = { type = \"posnt\" }\n";
    let f = one(&[(T, src)], "unknown-type", T, 4);
    assert!(f.hint.contains("`posint`"), "{}", f.hint);
}

/// A misspelt `type` key is one error (the unknown key, suggesting `type`), not also a
/// column without a type.
#[test]
fn misspelt_type_key_is_reported_once() {
    let src = "[tables.a.columns]\nid = { type = \"integer\" }\nx = { tpye = \"text\" }\n";
    let f = one(&[(T, src)], "unknown-key", T, 3);
    assert!(f.hint.contains("`type`"), "{}", f.hint);
    // A key unrelated to `type` leaves the missing type reported.
    let src = "[tables.a.columns]\nx = { nulable = true }\n";
    let all = errors(&[(T, src)]);
    let codes: Vec<&str> = all.iter().map(|f| f.code).collect();
    assert_eq!(codes, ["missing-type", "unknown-key"], "{codes:?}");
}

#[test]
fn enum_type_names_are_case_sensitive() {
    let src = "[enums.AccountRole]\nvalues = [\"A\"]\n[tables.a.columns]\nr = { type = \"accountrole\" }\nok = { type = \"AccountRole[]\" }\n";
    let f = one(&[(T, src)], "unknown-type", T, 4);
    assert!(f.hint.contains("AccountRole"), "{}", f.hint);
}

#[test]
fn bad_precision_scale_and_length() {
    for (ty, needle) in [
        ("numeric(0,2)", "precision"),
        ("numeric(1001)", "precision"),
        ("numeric(10,1001)", "scale"),
        ("varchar(0)", "length"),
        ("varchar(10485761)", "length"),
        ("timestamp(7)", "precision"),
    ] {
        let src = format!("[tables.a.columns]\nc = {{ type = \"{ty}\" }}\n");
        let all = errors(&[(T, &src)]);
        assert_eq!(all.len(), 1, "{ty}");
        assert_eq!((all[0].code, all[0].line), ("invalid-type", 2), "{ty}");
        assert!(
            all[0].message.to_lowercase().contains(needle)
                || all[0].hint.to_lowercase().contains(needle),
            "{ty}: {} / {}",
            all[0].message,
            all[0].hint
        );
    }
}

#[test]
fn duplicate_object_across_files_names_both_locations() {
    let a = "[tables.members.columns]\nid = { type = \"bigint\" }\n";
    let b = "# other\n\n[tables.members.columns]\nid = { type = \"bigint\" }\n";
    let f = one(
        &[("schema/a.toml", a), ("schema/b.toml", b)],
        "duplicate-object",
        "schema/b.toml",
        3,
    );
    assert_eq!(f.labels, vec![("schema/a.toml".to_string(), 1)]);
}

#[test]
fn duplicate_enum_across_files() {
    let a = "[enums.s]\nvalues = [\"A\"]\n";
    let f = one(
        &[("schema/a.toml", a), ("schema/b.toml", a)],
        "duplicate-object",
        "schema/b.toml",
        1,
    );
    assert_eq!(f.labels, vec![("schema/a.toml".to_string(), 1)]);
}

#[test]
fn table_named_like_an_enum() {
    let src = "[enums.s]\nvalues = [\"A\"]\n[tables.s.columns]\nid = { type = \"int\" }\n";
    one(&[(T, src)], "duplicate-object", T, 3);
}

#[test]
fn fk_to_missing_table_and_column() {
    let src = "[tables.a.columns]\nid = { type = \"bigint\", primary_key = true }\nb_id = { type = \"bigint\", references = \"bees.id\" }\n";
    let f = one(&[(T, src)], "unknown-table", T, 3);
    assert!(f.message.contains("bees"));
    let src = "[tables.a.columns]\nid = { type = \"bigint\", primary_key = true }\nparent = { type = \"bigint\", references = \"a.idd\" }\n";
    let f = one(&[(T, src)], "unknown-column", T, 3);
    assert!(f.hint.contains("`id`"), "{}", f.hint);
}

#[test]
fn fk_column_type_differs() {
    // Types PostgreSQL cannot compare (integer widths it can: `tests/table_gaps.rs`).
    let src = "[tables.a.columns]\nid = { type = \"bigint\", primary_key = true }\n[tables.b.columns]\na_id = { type = \"text\", references = \"a.id\" }\n";
    let f = one(&[(T, src)], "fk-type-mismatch", T, 4);
    assert!(
        f.message.contains("text") && f.message.contains("bigint"),
        "{}",
        f.message
    );
}

#[test]
fn fk_to_columns_that_are_not_unique() {
    let src = "[tables.a.columns]\nid = { type = \"bigint\", primary_key = true }\ncode = { type = \"text\" }\n[tables.b.columns]\ncode = { type = \"text\" }\n[[tables.b.foreign_keys]]\ncolumns = [\"code\"]\nreferences = { table = \"a\", columns = [\"code\"] }\n";
    let f = one(&[(T, src)], "fk-not-unique", T, 8);
    assert!(f.hint.contains("unique"), "{}", f.hint);
}

#[test]
fn fk_to_a_unique_index_or_constraint_is_fine() {
    let src = "[tables.a.columns]\nid = { type = \"bigint\", primary_key = true }\ncode = { type = \"text\", unique = true }\n[tables.b.columns]\ncode = { type = \"text\", references = \"a.code\" }\n";
    let dir = project(&[(T, src)]);
    let (_, _, r) = compile::compile_project(dir.path());
    assert!(r.is_ok(), "{:?}", r.err());
}

#[test]
fn index_unique_and_check_on_missing_columns() {
    let src = "[tables.a.columns]\nid = { type = \"bigint\" }\n\
               [[tables.a.indexes]]\ncolumns = [\"idd\"]\n\
               [[tables.a.unique]]\ncolumns = [\"nope\"]\n\
               [[tables.a.checks]]\nexpr = \"missing > 0\"\n";
    let all = errors(&[(T, src)]);
    let got: Vec<(&str, usize)> = all.iter().map(|f| (f.code, f.line)).collect();
    assert_eq!(
        got,
        vec![
            ("unknown-column", 4),
            ("unknown-column", 6),
            ("unknown-column", 8)
        ]
    );
    assert!(all[0].hint.contains("`id`"));
    assert!(all[2].message.contains("`missing`"), "{}", all[2].message);
}

#[test]
fn nullable_primary_key() {
    let src = "[tables.a]\nprimary_key = [\"id\"]\n[tables.a.columns]\nid = { type = \"bigint\", nullable = true }\n";
    one(&[(T, src)], "nullable-primary-key", T, 4);
    let src =
        "[tables.a.columns]\nid = { type = \"bigint\", primary_key = true, nullable = true }\n";
    one(&[(T, src)], "nullable-primary-key", T, 2);
}

#[test]
fn default_not_valid_for_the_type() {
    let cases = [
        (
            "[enums.s]\nvalues = [\"ACTIVE\"]\n[tables.a.columns]\nc = { type = \"s\", default = \"ACTIVE_\" }\n",
            4,
            "ACTIVE",
        ),
        (
            "[tables.a.columns]\nc = { type = \"integer\", default = \"seven\" }\n",
            2,
            "integer",
        ),
        (
            "[tables.a.columns]\nc = { type = \"numeric(10,2)\", default = 123456789.5 }\n",
            2,
            "digits",
        ),
        (
            "[tables.a.columns]\nc = { type = \"numeric(10,2)\", default = 1.234 }\n",
            2,
            "decimals",
        ),
        (
            "[tables.a.columns]\nc = { type = \"smallint\", default = 40000 }\n",
            2,
            "32767",
        ),
        (
            "[tables.a.columns]\nc = { type = \"varchar(3)\", default = \"abcd\" }\n",
            2,
            "3",
        ),
        (
            "[tables.a.columns]\nc = { type = \"boolean\", default = \"yes\" }\n",
            2,
            "true",
        ),
    ];
    for (src, line, hint) in cases {
        let f = one(&[(T, src)], "invalid-default", T, line);
        assert!(f.hint.contains(hint), "{src}: hint {}", f.hint);
    }
}

#[test]
fn default_and_default_sql_both_set() {
    let src =
        "[tables.a.columns]\nc = { type = \"integer\", default = 1,\n  default_sql = \"1\" }\n";
    one(&[(T, src)], "default-conflict", T, 3);
}

#[test]
fn identity_on_a_non_integer() {
    let src = "[tables.a.columns]\nc = { type = \"text\", identity = \"always\" }\n";
    let f = one(&[(T, src)], "identity-type", T, 2);
    assert!(f.message.contains("text"));
}

#[test]
fn unparsable_sql_expressions() {
    let src = "[tables.a.columns]\nc = { type = \"integer\", default_sql = \"1 +\" }\n[[tables.a.checks]]\nexpr = \"c > 0; drop table a\"\n";
    let all = errors(&[(T, src)]);
    let got: Vec<(&str, usize)> = all.iter().map(|f| (f.code, f.line)).collect();
    assert_eq!(got, vec![("invalid-sql", 2), ("invalid-sql", 4)]);
}

#[test]
fn empty_or_duplicate_enum_values() {
    one(&[(T, "[enums.s]\nvalues = []\n")], "empty-enum", T, 2);
    let f = one(
        &[(T, "[enums.s]\nvalues = [\"A\", \"B\", \"A\"]\n")],
        "duplicate-enum-value",
        T,
        2,
    );
    assert!(f.message.contains("`A`"));
}

#[test]
fn identifier_over_63_bytes() {
    let long = "x".repeat(64);
    let src = format!("[tables.{long}.columns]\nid = {{ type = \"int\" }}\n");
    one(&[(T, &src)], "identifier-too-long", T, 1);
    // 63 bytes is fine; multibyte characters count in bytes.
    let ok = "é".repeat(32); // 64 bytes
    let src = format!("[tables.a.columns]\n\"{ok}\" = {{ type = \"int\" }}\n");
    one(&[(T, &src)], "identifier-too-long", T, 2);
}

#[test]
fn reference_to_a_schema_not_managed() {
    let src = "schema = \"audit\"\n[tables.a.columns]\nid = { type = \"int\" }\n";
    let f = one(&[(T, src)], "unmanaged-schema", T, 1);
    assert!(f.hint.contains("schemactl.toml"), "{}", f.hint);
    let src = "[tables.a.columns]\nid = { type = \"int\", references = \"audit.b.id\" }\n";
    one(&[(T, src)], "unmanaged-schema", T, 2);
}

#[test]
fn type_and_type_sql_both_set() {
    let src = "[tables.a.columns]\nc = { type = \"text\", type_sql = \"citext\" }\n";
    one(&[(T, src)], "type-conflict", T, 2);
}

#[test]
fn unknown_key_in_project_config() {
    let cfg = "[project]\nschemas = [\"public\"]\nmigration_dir = \"m\"\n";
    let f = one(
        &[("schemactl.toml", cfg)],
        "unknown-key",
        "schemactl.toml",
        3,
    );
    assert!(f.hint.contains("`migrations_dir`"), "{}", f.hint);
}

#[test]
fn every_problem_is_reported_at_once() {
    let a = "[tables.a.columns]\nid = { type = \"integr\" }\nx = { typ = \"int\" }\n";
    let b =
        "[enums.e]\nvalues = [\"A\", \"A\"]\n[tables.b.columns]\nc = { type = \"numeric(0)\" }\n";
    let all = errors(&[("schema/a.toml", a), ("schema/b.toml", b)]);
    let got: Vec<(&str, usize, &str)> = all
        .iter()
        .map(|f| (f.file.as_str(), f.line, f.code))
        .collect();
    assert_eq!(
        got,
        vec![
            ("schema/a.toml", 2, "unknown-type"),
            // `typ` is reported as a misspelt `type`, not also as a missing type.
            ("schema/a.toml", 3, "unknown-key"),
            ("schema/b.toml", 2, "duplicate-enum-value"),
            ("schema/b.toml", 4, "invalid-type"),
        ]
    );
}

#[test]
fn binary_reports_file_line_col_exits_2_and_writes_nothing() {
    let dir = project(&[(T, "[tables.a.columns]\nid = { type = \"integr\" }\n")]);
    let out = schemactl(dir.path(), &["plan", "-m", "init"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("schema/t.toml:2:"), "{err}");
    assert!(err.contains("error[unknown-type]"), "{err}");
    assert!(err.contains("hint: did you mean `integer`?"), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
    assert!(!dir.path().join("migrations").exists());
    assert!(!dir.path().join("snapshots").exists());
}

#[test]
fn binary_json_errors_carry_locations() {
    let dir = project(&[(
        T,
        "[tables.a.columns]\nid = { type = \"bigint\", nulable = true }\n",
    )]);
    let out = schemactl(dir.path(), &["--format", "json", "check"]);
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let e = &v["errors"][0];
    assert_eq!(e["code"], "unknown-key");
    assert_eq!(e["file"], "schema/t.toml");
    assert_eq!(e["line"], 2);
    assert_eq!(e["column"], 25);
    assert_eq!(e["snippet"], "nulable");
}

#[test]
fn hostile_inputs_never_panic() {
    let inputs = [
        "",
        "\u{0}",
        "[tables]\n",
        "tables = 5\n",
        "[tables.a]\ncolumns = []\n",
        "[tables.a.columns]\nx = 1\n",
        "[tables.a.columns]\nx = { type = 5 }\n",
        "[[tables.a.indexes]]\ncolumns = [1, {}, { column = \"x\", expr = \"y\" }]\n",
        "[tables.a.columns]\nx = { type = \"int\", default = [[1]] }\n",
        "[tables.a.columns]\nx = { type = \"int[]\", default = [\"a\", 1.5] }\n",
        "[tables.a.columns]\nx = { type = \"numeric(\" }\n",
        "[tables.a.columns]\nx = { type = \"\\\"\" }\n",
        "[tables.a.columns]\nx = { type = \"int\", references = \"\\\"\" }\n",
        "[tables.a.columns]\nx = { type = \"int\", default_sql = \"((((((((((((((((((((((((((((((\" }\n",
        "[enums.e]\nvalues = [\"\", 1]\nrenamed_values = { A = 1 }\n",
        "[[tables.a.foreign_keys]]\nreferences = \"x\"\n",
        "[[tables.a.foreign_keys]]\ncolumns = []\nreferences = { table = \"a\", columns = [] }\n",
        "schema = \"\"\n[tables.\"\".columns]\n\"\" = { type = \"int\" }\n",
    ];
    for src in inputs {
        let dir = project(&[(T, src)]);
        let out = schemactl(dir.path(), &["check"]);
        let code = out.status.code();
        assert!(
            code == Some(2) || code == Some(0),
            "input {src:?} gave {code:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !String::from_utf8_lossy(&out.stderr).contains("panicked"),
            "{src:?}"
        );
    }
}

#[test]
fn qualified_fk_reference_does_not_fall_back_to_public() {
    let cfg = "[project]\nschemas = [\"public\", \"billing\"]\n";
    let src = "[tables.invoices.columns]\nid = { type = \"bigint\", primary_key = true }\n\
               [tables.payments.columns]\ninvoice_id = { type = \"bigint\", references = \"billing.invoices.id\" }\n";
    let f = one(&[("schemactl.toml", cfg), (T, src)], "unknown-table", T, 4);
    assert!(f.message.contains("billing.invoices"), "{}", f.message);
    // Unqualified, the same reference resolves to public.invoices.
    let ok = src.replace("billing.invoices.id", "invoices.id");
    let dir = project(&[("schemactl.toml", cfg), (T, &ok)]);
    assert!(compile::compile_project(dir.path()).2.is_ok());
}

#[test]
fn a_rejected_column_does_not_cascade_into_more_errors() {
    let src = "[tables.a.columns]\nid = { type = \"bigint\", primary_key = true }\ntotal = { type = \"numerc(10,2)\" }\n\
               [[tables.a.checks]]\nexpr = \"total >= 0\"\n[[tables.a.indexes]]\ncolumns = [\"total\"]\n\
               [tables.b.columns]\nt = { type = \"numeric(10,2)\", references = \"a.total\" }\n";
    let all = errors(&[(T, src)]);
    let codes: Vec<&str> = all.iter().map(|f| f.code).collect();
    // Only the bad type; the FK target is then not unique, which is a real second problem.
    assert_eq!(codes, vec!["invalid-type", "fk-not-unique"]);
}

#[test]
fn type_sql_must_be_one_type_not_sql() {
    let src = "[tables.a.columns]\nx = { type_sql = \"int, y int); drop table if exists z; create table w (a int\" }\n";
    let f = one(&[(T, src)], "invalid-type", T, 2);
    assert!(f.message.contains("not a single type"), "{}", f.message);
    let src = "[tables.a.columns]\nx = { type_sql = \"citext -- hidden\" }\n";
    one(&[(T, src)], "invalid-type", T, 2);
}

#[test]
fn default_sequence_name_taken_by_an_explicit_name() {
    let src = "[tables.t.columns]\nid = { type = \"serial\", primary_key = true }\n\
               [[tables.t.unique]]\nname = \"t_id_seq\"\ncolumns = [\"id\"]\n";
    // Also a duplicate of the primary key; both are reported.
    let all = errors(&[(T, src)]);
    let codes: Vec<(&str, usize)> = all.iter().map(|f| (f.code, f.line)).collect();
    assert_eq!(codes, vec![("duplicate-name", 2), ("duplicate-unique", 5)]);
    assert!(all[0].message.contains("t_id_seq"), "{}", all[0].message);
}

#[test]
fn unique_repeating_the_primary_key_or_another_unique() {
    let src = "[tables.t.columns]\nid = { type = \"int\", primary_key = true, unique = true }\n";
    let f = one(&[(T, src)], "duplicate-unique", T, 2);
    assert!(f.message.contains("primary key"), "{}", f.message);
    let src = "[tables.t.columns]\na = { type = \"int\", unique = true }\n[[tables.t.unique]]\ncolumns = [\"a\"]\n";
    let f = one(&[(T, src)], "duplicate-unique", T, 4);
    assert!(f.message.contains("another unique"), "{}", f.message);
}

#[test]
fn nul_characters_in_literals() {
    let src = "[tables.t]\ncomment = \"a\\u0000b\"\n[tables.t.columns]\na = { type = \"int\" }\n";
    one(&[(T, src)], "invalid-value", T, 2);
    let src = "[enums.e]\nvalues = [\"a\\u0000b\"]\n";
    one(&[(T, src)], "invalid-enum-value", T, 2);
}

#[test]
fn collation_only_on_collatable_types_and_order_only_on_btree() {
    let src = "[tables.t.columns]\na = { type = \"integer\", collation = \"C\" }\nb = { type = \"varchar(5)[]\", collation = \"C\" }\n";
    let f = one(&[(T, src)], "invalid-value", T, 2);
    assert!(
        f.message.contains("does not take a collation"),
        "{}",
        f.message
    );
    let src = "[tables.t.columns]\nj = { type = \"jsonb\" }\n[[tables.t.indexes]]\nmethod = \"gin\"\ncolumns = [{ column = \"j\", order = \"desc\" }]\n";
    let f = one(&[(T, src)], "invalid-value", T, 5);
    assert!(f.hint.contains("btree"), "{}", f.hint);
}

#[test]
fn managed_schema_names_are_identifiers() {
    let long = "s".repeat(64);
    let cfg = format!("[project]\nschemas = [\"public\", \"{long}\"]\n");
    one(
        &[("schemactl.toml", &cfg)],
        "identifier-too-long",
        "schemactl.toml",
        2,
    );
}

#[test]
fn renames_that_cannot_apply() {
    // The old value still listed, or the new one missing from `values`.
    let f = one(
        &[(
            "schema/e.toml",
            "[enums.s]\nvalues = [\"A\", \"B\"]\nrenamed_values = { A = \"B\" }\n",
        )],
        "invalid-rename",
        "schema/e.toml",
        3,
    );
    assert!(f.message.contains("still in `values`"), "{}", f.message);
    let f = one(
        &[(
            "schema/e.toml",
            "[enums.s]\nvalues = [\"A\"]\nrenamed_values = { OLD = \"NEW\" }\n",
        )],
        "invalid-rename",
        "schema/e.toml",
        3,
    );
    assert!(
        f.message.contains("`NEW`, which is not in `values`"),
        "{}",
        f.message
    );
    assert!(f.hint.contains("add `NEW` to `values`"), "{}", f.hint);
    // A constraint renamed to its default name: the new name must be written.
    let f = one(
        &[(
            "schema/t.toml",
            "[tables.t.columns]\nqty = { type = \"int\" }\n[[tables.t.checks]]\nexpr = \"qty > 0\"\nrenamed_from = \"old\"\n",
        )],
        "missing-key",
        "schema/t.toml",
        5,
    );
    assert!(f.hint.contains("name = "), "{}", f.hint);
    // An empty old name is not an identifier.
    one(
        &[(
            "schema/t.toml",
            "[tables.t]\nrenamed_from = \"\"\n[tables.t.columns]\nqty = { type = \"int\" }\n",
        )],
        "invalid-identifier",
        "schema/t.toml",
        2,
    );
}

const CFG: &str = "schemactl.toml";
const VALID_HAZARDS: &str = "valid hazard ids: deletes_data, rewrites_table, blocks_writes, may_fail_on_data, breaks_clients";

#[test]
fn unknown_hazard_in_the_policy_names_the_valid_ids() {
    // A typo: the closest id, and the list.
    let cfg = "[hazards]\nrequire_allow = [\"deletes_data\", \"rewrite_table\"]\n";
    let f = one(&[(CFG, cfg)], "unknown-hazard", CFG, 2);
    assert_eq!(
        f.message,
        "unknown hazard `rewrite_table` in `require_allow`"
    );
    assert!(
        f.hint.starts_with("did you mean `rewrites_table`?"),
        "{}",
        f.hint
    );
    assert!(f.hint.contains(VALID_HAZARDS), "{}", f.hint);
    // Nothing close: just the list.
    let cfg = "[hazards]\nrequire_allow = [\"slow\"]\n";
    let f = one(&[(CFG, cfg)], "unknown-hazard", CFG, 2);
    assert_eq!(f.hint, VALID_HAZARDS);
    // Listing a hazard twice is a mistake too.
    let cfg = "[hazards]\nrequire_allow = [\"rewrites_table\",\n  \"rewrites_table\"]\n";
    one(&[(CFG, cfg)], "duplicate-hazard", CFG, 3);
}

#[test]
fn hazard_policy_wrong_types_and_unknown_keys() {
    let cfg = "[hazards]\nrequire_allow = \"rewrites_table\"\n";
    let f = one(&[(CFG, cfg)], "invalid-value", CFG, 2);
    assert!(
        f.message
            .contains("`require_allow` must be an array of strings, found string"),
        "{}",
        f.message
    );
    let cfg = "[hazards]\nrequire_allow = [\"rewrites_table\", 3]\n";
    let f = one(&[(CFG, cfg)], "invalid-value", CFG, 2);
    assert!(f.message.contains("must be a string"), "{}", f.message);
    let cfg = "hazards = [\"rewrites_table\"]\n";
    let f = one(&[(CFG, cfg)], "invalid-value", CFG, 1);
    assert!(
        f.message.contains("`hazards` must be a table"),
        "{}",
        f.message
    );
    let cfg = "[hazards]\nrequire_alow = [\"rewrites_table\"]\n";
    let f = one(&[(CFG, cfg)], "unknown-key", CFG, 2);
    assert!(f.message.contains("in [hazards]"), "{}", f.message);
    assert!(f.hint.contains("`require_allow`"), "{}", f.hint);
    let cfg = "[hazard]\nrequire_allow = [\"rewrites_table\"]\n";
    let f = one(&[(CFG, cfg)], "unknown-key", CFG, 1);
    assert!(f.hint.contains("`hazards`"), "{}", f.hint);
}

#[test]
fn hazard_policy_errors_are_exit_2_with_a_location_for_every_command() {
    let cfg =
        "[project]\nschemas = [\"public\"]\n\n[hazards]\nrequire_allow = [\"rewrites_tabel\"]\n";
    let dir = project(&[
        (CFG, cfg),
        (T, "[tables.a.columns]\nid = { type = \"int\" }\n"),
    ]);
    // `apply` and `rollback` read the config before connecting: the unreachable database
    // is never tried.
    for args in [
        &["plan"][..],
        &["plan", "--dry-run"],
        &["check"],
        &["--db", "postgresql://nobody@127.0.0.1:1/none", "apply"],
        &[
            "--db",
            "postgresql://nobody@127.0.0.1:1/none",
            "rollback",
            "--to",
            "0",
        ],
    ] {
        let out = schemactl(dir.path(), args);
        let err = support::cli::one_line_errors(&String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(
                "schemactl.toml:5:18: error[unknown-hazard]: unknown hazard `rewrites_tabel` in `require_allow`"
            ),
            "{args:?}: {err}"
        );
        assert!(
            err.contains("hint: did you mean `rewrites_table`?"),
            "{args:?}: {err}"
        );
        assert!(!dir.path().join("migrations").exists(), "nothing written");
    }
}

#[test]
fn hash_index_with_several_keys() {
    let src = "[tables.a.columns]\nx = { type = \"int\" }\ny = { type = \"int\" }\n\n[[tables.a.indexes]]\ncolumns = [\"x\", \"y\"]\nmethod = \"hash\"\n";
    let f = one(&[(T, src)], "invalid-value", T, 6);
    assert!(
        f.message.contains("hash index has exactly one key, not 2"),
        "{}",
        f.message
    );
    assert!(f.hint.contains("btree"), "{}", f.hint);
}

#[test]
fn sequence_misuse_is_reported_with_locations() {
    // One error each, at its key's line.
    let f = one(
        &[(T, "[sequences.s]\ntype = \"text\"\n")],
        "invalid-type",
        T,
        2,
    );
    assert!(
        f.message.contains("cannot be of type `text`"),
        "{}",
        f.message
    );
    let f = one(
        &[(T, "[sequences.s]\nincrement = 0\n")],
        "invalid-value",
        T,
        2,
    );
    assert!(f.message.contains("must not be zero"), "{}", f.message);
    let f = one(
        &[(T, "[sequences.s]\ncache = \"10\"\n")],
        "invalid-value",
        T,
        2,
    );
    assert!(f.message.contains("must be an integer"), "{}", f.message);
    let f = one(
        &[(T, "[sequences.s]\ntype = \"smallint\"\nmax_value = 40000\n")],
        "invalid-value",
        T,
        3,
    );
    assert!(f.message.contains("out of range"), "{}", f.message);
    let f = one(
        &[(T, "[sequences.s]\nmin_value = 10\nmax_value = 5\n")],
        "invalid-value",
        T,
        2,
    );
    assert!(f.message.contains("must be less than"), "{}", f.message);
    let f = one(
        &[(T, "[sequences.s]\nmin_value = 10\nstart = 5\n")],
        "invalid-value",
        T,
        3,
    );
    assert!(f.message.contains("outside"), "{}", f.message);
    let f = one(
        &[(
            T,
            "[sequences.s]\nowned_by = \"t.nope\"\n\n[tables.t.columns]\nid = { type = \"int\" }\n",
        )],
        "invalid-reference",
        T,
        2,
    );
    assert!(f.message.contains("`nope`"), "{}", f.message);
    let f = one(
        &[(T, "[sequences.s]\nowned_by = \"missing.id\"\n")],
        "invalid-reference",
        T,
        2,
    );
    assert!(f.message.contains("not defined"), "{}", f.message);
    let f = one(
        &[(
            T,
            "[sequences.s]\nowned_by = \"t.id\"\n\n[tables.t.columns]\nid = { type = \"serial\" }\n",
        )],
        "invalid-reference",
        T,
        2,
    );
    assert!(
        f.message.contains("already owns its sequence"),
        "{}",
        f.message
    );
    let f = one(&[(T, "[sequences.s]\nstep = 2\n")], "unknown-key", T, 2);
    assert!(
        f.hint.contains("allowed keys") || f.hint.contains("did you mean"),
        "{}",
        f.hint
    );
    // Same name as a table of its schema, and defined twice (both locations).
    let f = one(
        &[(
            T,
            "[sequences.t]\n\n[tables.t.columns]\nid = { type = \"int\" }\n",
        )],
        "duplicate-object",
        T,
        1,
    );
    assert!(f.message.contains("same name as a table"), "{}", f.message);
    let f = one(
        &[(T, "[sequences.s]\n"), ("schema/u.toml", "[sequences.s]\n")],
        "duplicate-object",
        "schema/u.toml",
        1,
    );
    assert_eq!(f.labels, vec![(T.to_string(), 1)]);
    // All at once.
    let all = errors(&[(
        T,
        "[sequences.a]\nincrement = 0\n\n[sequences.b]\ncache = 0\n",
    )]);
    assert_eq!(all.len(), 2);
}

/// A range-partitioned parent for the partition error tests (lines 1–5).
const PARENT: &str = "[tables.p]\npartition_by = { strategy = \"range\", keys = [\"at\"] }\n[tables.p.columns]\nid = { type = \"integer\" }\nat = { type = \"date\" }\n";

#[test]
fn partition_of_a_missing_or_plain_table() {
    let src = format!(
        "{PARENT}[tables.q]\npartition_of = \"nope\"\nbounds = \"default\"\n[tables.plain.columns]\nid = {{ type = \"int\" }}\n[tables.r]\npartition_of = \"plain\"\nbounds = \"default\"\n"
    );
    let all = errors(&[(T, &src)]);
    let codes: Vec<(&str, usize)> = all.iter().map(|f| (f.code, f.line)).collect();
    assert_eq!(
        codes,
        vec![("unknown-table", 7), ("invalid-reference", 12)],
        "{:?}",
        all.iter().map(|f| &f.message).collect::<Vec<_>>()
    );
    assert!(
        all[1].message.contains("not partitioned"),
        "{}",
        all[1].message
    );
    assert_eq!(all[1].labels, vec![(T.to_string(), 9)]);
    assert!(all.iter().all(|f| !f.hint.is_empty()));
}

#[test]
fn a_partition_declares_no_columns_and_needs_bounds() {
    let src = format!(
        "{PARENT}[tables.q]\npartition_of = \"p\"\n[tables.q.columns]\nx = {{ type = \"int\" }}\n"
    );
    let all = errors(&[(T, &src)]);
    let codes: Vec<(&str, usize)> = all.iter().map(|f| (f.code, f.line)).collect();
    assert_eq!(
        codes,
        vec![("missing-key", 6), ("invalid-value", 9)],
        "{:?}",
        all.iter().map(|f| &f.message).collect::<Vec<_>>()
    );
    assert!(all[1].hint.contains("parent"), "{}", all[1].hint);
}

#[test]
fn bounds_must_fit_the_parents_strategy_keys_and_types() {
    let f = one(
        &[(
            T,
            &format!("{PARENT}[tables.q]\npartition_of = \"p\"\nbounds = {{ in = [\"a\"] }}\n"),
        )],
        "invalid-value",
        T,
        8,
    );
    assert!(f.message.contains("`from` and `to`"), "{}", f.message);
    let f = one(
        &[(
            T,
            &format!(
                "{PARENT}[tables.q]\npartition_of = \"p\"\nbounds = {{ from = [\"2024-01-01\", 1], to = \"2024-02-01\" }}\n"
            ),
        )],
        "invalid-value",
        T,
        8,
    );
    assert!(f.message.contains("2 value(s)"), "{}", f.message);
    let f = one(
        &[(
            T,
            &format!(
                "{PARENT}[tables.q]\npartition_of = \"p\"\nbounds = {{ from = \"2024-13-01\", to = \"2024-02-01\" }}\n"
            ),
        )],
        "invalid-value",
        T,
        8,
    );
    assert!(f.message.contains("not a date"), "{}", f.message);
    let f = one(
        &[(
            T,
            "[tables.h]\npartition_by = { strategy = \"hash\", keys = [\"id\"] }\n[tables.h.columns]\nid = { type = \"int\" }\n[tables.h0]\npartition_of = \"h\"\nbounds = { modulus = 2, remainder = 2 }\n",
        )],
        "invalid-value",
        T,
        7,
    );
    assert!(f.message.contains("less than the modulus"), "{}", f.message);
}

#[test]
fn partition_key_on_a_missing_column_or_an_unknown_strategy() {
    let src = "[tables.p]\npartition_by = { strategy = \"ranges\", keys = [\"nope\"] }\n[tables.p.columns]\nid = { type = \"integer\" }\n";
    let all = errors(&[(T, src)]);
    let codes: Vec<(&str, usize)> = all.iter().map(|f| (f.code, f.line)).collect();
    assert_eq!(codes, vec![("invalid-value", 2), ("unknown-column", 2)]);
    assert!(all[0].hint.contains("range"), "{}", all[0].hint);
    let f = one(
        &[(
            T,
            "[tables.p]\npartition_by = { strategy = \"list\", keys = [\"a\", \"b\"] }\n[tables.p.columns]\na = { type = \"int\" }\nb = { type = \"int\" }\n",
        )],
        "invalid-value",
        T,
        2,
    );
    assert!(f.message.contains("exactly one key"), "{}", f.message);
}

#[test]
fn keys_of_a_partitioned_table_must_include_the_partition_key() {
    let src = "[tables.p]\nprimary_key = [\"id\"]\npartition_by = { strategy = \"range\", keys = [\"at\"] }\n[tables.p.columns]\nid = { type = \"integer\" }\nat = { type = \"date\" }\n[[tables.p.indexes]]\ncolumns = [\"id\", \"at\"]\nunique = true\n";
    let f = one(&[(T, src)], "invalid-value", T, 3);
    assert!(
        f.message
            .contains("the primary key (id) must include the partition key column `at`"),
        "{}",
        f.message
    );
    let src = "[tables.p]\npartition_by = { strategy = \"list\", keys = [{ expr = \"lower(t)\" }] }\n[tables.p.columns]\nt = { type = \"text\", unique = true }\n";
    let f = one(&[(T, src)], "invalid-value", T, 2);
    assert!(f.message.contains("expression"), "{}", f.message);
}

#[test]
fn overlapping_or_empty_partition_bounds_are_reported_all_at_once() {
    let src = format!(
        "{PARENT}[tables.a]\npartition_of = \"p\"\nbounds = {{ from = \"2024-02-01\", to = \"2024-01-01\" }}\n\
         [tables.b]\npartition_of = \"p\"\nbounds = {{ from = \"2024-01-01\", to = \"2024-03-01\" }}\n\
         [tables.c]\npartition_of = \"p\"\nbounds = {{ from = \"2024-02-01\", to = \"2024-04-01\" }}\n\
         [tables.d]\npartition_of = \"p\"\nbounds = {{ from = \"2024-04-01\", to = \"2024-05-01\" }}\n\
         [tables.e]\npartition_of = \"p\"\nbounds = \"default\"\n\
         [tables.f]\npartition_of = \"p\"\nbounds = \"default\"\n\
         [tables.l]\npartition_by = {{ strategy = \"list\", keys = [\"n\"] }}\n[tables.l.columns]\nn = {{ type = \"integer\" }}\n\
         [tables.l1]\npartition_of = \"l\"\nbounds = {{ in = [1, 2] }}\n\
         [tables.l2]\npartition_of = \"l\"\nbounds = {{ in = [\"3\", \"02\"] }}\n"
    );
    let mut all = errors(&[(T, &src)]);
    all.sort_by_key(|f| f.line);
    let codes: Vec<(&str, usize)> = all.iter().map(|f| (f.code, f.line)).collect();
    assert_eq!(
        codes,
        vec![
            ("invalid-value", 8),
            ("partition-overlap", 14),
            ("partition-overlap", 23),
            ("partition-overlap", 33),
        ],
        "{:?}",
        all.iter().map(|f| &f.message).collect::<Vec<_>>()
    );
    assert!(all[0].message.contains("empty"), "{}", all[0].message);
    assert!(all[1].message.contains("`public.b`"), "{}", all[1].message);
    assert_eq!(all[1].labels, vec![(T.to_string(), 11)]);
    assert!(all[2].message.contains("default"), "{}", all[2].message);
    assert_eq!(all[2].labels, vec![(T.to_string(), 20)]);
    assert!(all[3].message.contains("`2`"), "{}", all[3].message);
    assert_eq!(all[3].labels, vec![(T.to_string(), 30)]);
    assert!(all.iter().all(|f| !f.hint.is_empty()));

    // Through the binary: exit 2 and a location.
    let dir = project(&[(T, &src)]);
    let out = schemactl(dir.path(), &["check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("schema/t.toml:14:"), "{err}");
}

#[test]
fn partition_bounds_compared_only_where_the_order_is_exact() {
    // Text ranges depend on the collation, expression keys on a type the compiler does not
    // know: neither is reported. Ranges that only touch are fine.
    let src = "[tables.t]\npartition_by = { strategy = \"range\", keys = [\"s\"] }\n[tables.t.columns]\ns = { type = \"text\" }\n\
               [tables.t1]\npartition_of = \"t\"\nbounds = { from = \"a\", to = \"m\" }\n\
               [tables.t2]\npartition_of = \"t\"\nbounds = { from = \"B\", to = \"z\" }\n\
               [tables.x]\npartition_by = { strategy = \"range\", keys = [{ expr = \"n + 1\" }] }\n[tables.x.columns]\nn = { type = \"integer\" }\n\
               [tables.x1]\npartition_of = \"x\"\nbounds = { from = 1, to = 10 }\n\
               [tables.x2]\npartition_of = \"x\"\nbounds = { from = 5, to = 20 }\n\
               [tables.i]\npartition_by = { strategy = \"range\", keys = [\"a\", \"b\"] }\n[tables.i.columns]\na = { type = \"integer\" }\nb = { type = \"numeric(8,2)\" }\n\
               [tables.i1]\npartition_of = \"i\"\nbounds = { from = [\"MINVALUE\", \"MINVALUE\"], to = [1, 1.5] }\n\
               [tables.i2]\npartition_of = \"i\"\nbounds = { from = [1, \"1.50\"], to = [1, \"MAXVALUE\"] }\n\
               [tables.i3]\npartition_of = \"i\"\nbounds = { from = [2, -3], to = [\"MAXVALUE\", \"MAXVALUE\"] }\n";
    let dir = project(&[(T, src)]);
    let (_, _, result) = compile::compile_project(dir.path());
    if let Err(d) = result {
        panic!("{d:?}");
    }
    // But equal text bounds do not depend on the collation.
    let src = "[tables.t]\npartition_by = { strategy = \"list\", keys = [\"s\"] }\n[tables.t.columns]\ns = { type = \"text\" }\n\
               [tables.t1]\npartition_of = \"t\"\nbounds = { in = [\"a\", \"b\"] }\n\
               [tables.t2]\npartition_of = \"t\"\nbounds = { in = [\"B\", \"b\"] }\n\
               [tables.r]\npartition_by = { strategy = \"range\", keys = [\"s\"] }\n[tables.r.columns]\ns = { type = \"text\" }\n\
               [tables.r1]\npartition_of = \"r\"\nbounds = { from = \"k\", to = \"k\" }\n";
    let mut all = errors(&[(T, src)]);
    all.sort_by_key(|f| f.line);
    let codes: Vec<(&str, usize)> = all.iter().map(|f| (f.code, f.line)).collect();
    assert_eq!(
        codes,
        vec![("partition-overlap", 10), ("invalid-value", 17)]
    );
}
