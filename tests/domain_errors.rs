//! Compile errors of domains and composite types: code, file, line and a hint, all reported
//! at once.

mod support;

use schemactl::compile;
use support::project::project;

const T: &str = "schema/t.toml";

/// (code, line, message, hint) of every error of one schema file.
fn errors(src: &str) -> Vec<(&'static str, usize, String, String)> {
    let dir = project(&[(T, src)]);
    let (sources, _, result) = compile::compile_project(dir.path());
    let diags = result.expect_err("expected the schema to be rejected");
    diags
        .iter()
        .map(|d| {
            assert_eq!(sources.path(d.span.file).display().to_string(), T);
            let (line, _) = sources.line_col(d.span.file, d.span.range.start);
            (
                d.code,
                line,
                d.message.clone(),
                d.hint.clone().unwrap_or_default(),
            )
        })
        .collect()
}

fn one(src: &str, code: &str, line: usize) -> (String, String) {
    let all = errors(src);
    assert_eq!(all.len(), 1, "{all:#?}");
    let (c, l, m, h) = all.into_iter().next().unwrap();
    assert_eq!((c, l), (code, line), "{m}");
    assert!(!h.is_empty(), "every error has a hint: {m}");
    (m, h)
}

#[test]
fn a_domain_needs_a_base_type() {
    let (m, _) = one("[domains.d]\nnot_null = true\n", "missing-type", 1);
    assert!(m.contains("domain `public.d` has no base type"), "{m}");
}

#[test]
fn a_domain_base_type_must_be_known() {
    let (m, h) = one("[domains.d]\ntype = \"integr\"\n", "unknown-type", 2);
    assert!(m.contains("`integr`"), "{m}");
    assert!(h.contains("`integer`"), "{h}");
}

#[test]
fn a_domain_check_can_only_use_value() {
    let src =
        "[domains.d]\ntype = \"integer\"\nchecks = [{ name = \"pos\", expr = \"amount > 0\" }]\n";
    let (m, h) = one(src, "unknown-column", 3);
    assert!(m.contains("`amount`"), "{m}");
    assert!(h.contains("VALUE"), "{h}");
}

#[test]
fn a_domain_check_needs_an_expression_and_unique_names() {
    let src = "[domains.d]\ntype = \"integer\"\nchecks = [\n  { name = \"a\" },\n  { name = \"b\", expr = \"VALUE > 0\" },\n  { name = \"b\", expr = \"VALUE < 9\" },\n]\n";
    let all = errors(src);
    let codes: Vec<(&str, usize)> = all.iter().map(|e| (e.0, e.1)).collect();
    assert_eq!(
        codes,
        vec![("missing-key", 4), ("duplicate-object", 6)],
        "{all:#?}"
    );
}

#[test]
fn unknown_domain_keys_suggest_the_closest() {
    let (m, h) = one(
        "[domains.d]\ntype = \"integer\"\nnotnull = true\n",
        "unknown-key",
        3,
    );
    assert!(m.contains("`notnull`"), "{m}");
    assert!(h.contains("`not_null`"), "{h}");
}

#[test]
fn a_domain_cannot_be_serial_or_take_a_collation_its_type_lacks() {
    let src =
        "[domains.a]\ntype = \"serial\"\n\n[domains.b]\ntype = \"integer\"\ncollation = \"C\"\n";
    let all = errors(src);
    let codes: Vec<(&str, usize)> = all.iter().map(|e| (e.0, e.1)).collect();
    assert_eq!(
        codes,
        vec![("invalid-type", 2), ("invalid-value", 6)],
        "{all:#?}"
    );
}

#[test]
fn a_default_must_fit_the_base_type() {
    let (m, _) = one(
        "[domains.d]\ntype = \"integer\"\ndefault = \"x\"\n",
        "invalid-default",
        3,
    );
    assert!(m.contains("integer"), "{m}");
}

#[test]
fn types_share_one_namespace() {
    let src = "[enums.e]\nvalues = [\"a\"]\n\n[domains.e]\ntype = \"text\"\n\n[composite_types.t]\nattributes = { a = { type = \"text\" } }\n\n[tables.t.columns]\nid = { type = \"integer\" }\n";
    let all = errors(src);
    let codes: Vec<(&str, usize)> = all.iter().map(|e| (e.0, e.1)).collect();
    assert_eq!(
        codes,
        vec![("duplicate-object", 4), ("duplicate-object", 10)],
        "{all:#?}"
    );
    assert!(all[0].2.contains("enum"), "{all:#?}");
}

#[test]
fn a_composite_type_needs_attributes_with_types() {
    let src = "[composite_types.c]\ncomment = \"x\"\n\n[composite_types.d.attributes]\na = { collation = \"C\" }\nb = { type = \"nope\" }\n";
    let all = errors(src);
    let codes: Vec<(&str, usize)> = all.iter().map(|e| (e.0, e.1)).collect();
    assert_eq!(
        codes,
        vec![("missing-key", 1), ("missing-type", 5), ("unknown-type", 6)],
        "{all:#?}"
    );
}

#[test]
fn a_type_cannot_contain_itself() {
    let src = "[composite_types.a.attributes]\nb = { type = \"b\" }\n\n[composite_types.b.attributes]\na = { type = \"a\" }\n";
    let all = errors(src);
    let codes: Vec<(&str, usize)> = all.iter().map(|e| (e.0, e.1)).collect();
    assert_eq!(
        codes,
        vec![("type-cycle", 1), ("type-cycle", 4)],
        "{all:#?}"
    );
}

#[test]
fn columns_and_type_sql_resolve_to_domains_and_composites() {
    let src = "[domains.year]\ntype = \"integer\"\n\n[composite_types.addr.attributes]\nzip = { type = \"year\" }\n\n[tables.t.columns]\na = { type = \"year\" }\nb = { type_sql = \"public.year[]\" }\nc = { type = \"addr\" }\n";
    let dir = project(&[(T, src)]);
    let (_, _, result) = compile::compile_project(dir.path());
    let model = result.unwrap().model;
    let t = &model.schemas["public"].tables["t"];
    let types: Vec<String> = t.columns.iter().map(|c| c.data_type.to_string()).collect();
    assert_eq!(
        types,
        [
            "domain:public.year",
            "domain:public.year[]",
            "composite:public.addr"
        ]
    );
    assert_eq!(
        model.schemas["public"].composite_types["addr"].attributes[0]
            .data_type
            .to_string(),
        "domain:public.year"
    );
}

#[test]
fn a_table_cannot_share_its_name_with_a_type() {
    // The type is read first, so the table is the one reported, naming the type's kind.
    let src = "[composite_types.t.attributes]\na = { type = \"int\" }\n\n[tables.t.columns]\nid = { type = \"int\" }\n";
    let (m, h) = one(src, "duplicate-object", 4);
    assert!(
        m.contains("table `public.t` has the same name as a composite type"),
        "{m}"
    );
    assert!(h.contains("rename the table or the composite type"), "{h}");
    let src = "[domains.t]\ntype = \"int\"\n\n[tables.t.columns]\nid = { type = \"int\" }\n";
    let (m, _) = one(src, "duplicate-object", 4);
    assert!(m.contains("same name as a domain"), "{m}");
}
