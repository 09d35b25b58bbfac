//! Generated SQL for focused schemas, as reviewed insta snapshots. Each case also applies its
//! SQL on a real PostgreSQL 15 and checks that the catalog holds exactly the names the model
//! chose, so a snapshot can never show SQL that does not run.

mod support;

use std::collections::BTreeSet;

use schemactl::model::{BaseType, Model};
use support::project::*;

/// Compile `files`, plan from empty, apply on PostgreSQL, check names; return the SQL.
fn plan_and_apply(files: &[(&str, &str)]) -> String {
    let dir = project(files);
    let model = compile_dir(dir.path());
    let sql = plan_sql(&Model::default(), &model);
    let db = support::test_db();
    let mut client = db.connect();
    apply_sql(&mut client, &sql);
    assert_names_match(&mut client, &model);
    sql
}

/// Constraint and index names in the catalog are exactly those of the model.
fn assert_names_match(client: &mut postgres::Client, model: &Model) {
    let mut want_constraints = BTreeSet::new();
    let mut want_indexes = BTreeSet::new();
    for (q, t) in model.tables() {
        let key = |n: &str| (q.schema.clone(), q.name.clone(), n.to_string());
        if let Some(pk) = &t.primary_key {
            want_constraints.insert(key(&pk.name));
            want_indexes.insert((q.schema.clone(), pk.name.clone()));
        }
        for n in t.uniques.keys() {
            want_constraints.insert(key(n));
            want_indexes.insert((q.schema.clone(), n.clone()));
        }
        for n in t.checks.keys().chain(t.foreign_keys.keys()) {
            want_constraints.insert(key(n));
        }
        for n in t.indexes.keys() {
            want_indexes.insert((q.schema.clone(), n.clone()));
        }
    }
    let schemas: Vec<String> = model.schemas.keys().cloned().collect();
    let got_constraints: BTreeSet<(String, String, String)> = client
        .query(
            "SELECT n.nspname::text, c.relname::text, con.conname::text FROM pg_constraint con
             JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = ANY($1) AND con.contype IN ('p', 'u', 'c', 'f')",
            &[&schemas],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(got_constraints, want_constraints);
    let got_indexes: BTreeSet<(String, String)> = client
        .query(
            "SELECT n.nspname::text, c.relname::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY($1)",
            &[&schemas],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(got_indexes, want_indexes);

    // Column types: the model's canonical spelling is what format_type() prints.
    let mut want_types = BTreeSet::new();
    for (q, t) in model.tables() {
        for c in &t.columns {
            let ty = match &c.data_type.base {
                BaseType::Builtin(b) | BaseType::Custom(b) => b.clone(),
                BaseType::Enum(e) | BaseType::Domain(e) | BaseType::Composite(e) => {
                    format!("{}.{}", e.schema, e.name)
                }
            };
            let ty = if c.data_type.array {
                format!("{ty}[]")
            } else {
                ty
            };
            want_types.insert((q.schema.clone(), q.name.clone(), c.name.clone(), ty));
        }
    }
    let got_types: BTreeSet<(String, String, String, String)> = client
        .query(
            "SELECT n.nspname::text, c.relname::text, a.attname::text,
                    CASE WHEN t.typtype = 'e' THEN tn.nspname || '.' || t.typname
                         WHEN e.typtype = 'e' THEN en.nspname || '.' || e.typname || '[]'
                         ELSE format_type(a.atttypid, a.atttypmod) END
             FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             JOIN pg_type t ON t.oid = a.atttypid JOIN pg_namespace tn ON tn.oid = t.typnamespace
             LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'
             LEFT JOIN pg_namespace en ON en.oid = e.typnamespace
             WHERE n.nspname = ANY($1) AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped",
            &[&schemas],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    assert_eq!(got_types, want_types);
}

#[test]
fn every_type_family() {
    let sql = plan_and_apply(&[(
        "schema/types.toml",
        r#"
[enums.mood]
values = ["happy", "sad"]

[tables.all_types]
primary_key = ["id"]

[tables.all_types.columns]
id        = { type = "BIGINT", identity = "by_default" }
i2        = { type = "int2" }
i4        = { type = "int" }
i8        = { type = "int8" }
n         = { type = "numeric" }
n10       = { type = "numeric(10)" }
apn       = { type = "numeric(10,2)" }
dec       = { type = "decimal(12, 4)" }
neg_scale = { type = "numeric(5,-2)" }
r4        = { type = "float4" }
r8        = { type = "double precision" }
vc        = { type = "varchar" }
vc50      = { type = "character varying(50)" }
ch        = { type = "char" }
ch3       = { type = "char(3)" }
t         = { type = "TEXT" }
b         = { type = "bool" }
d         = { type = "date" }
tm        = { type = "time" }
tm3       = { type = "time(3)" }
ttz       = { type = "timetz" }
ts        = { type = "timestamp" }
ts0       = { type = "timestamp(0) without time zone" }
tstz      = { type = "timestamptz" }
tstz3     = { type = "timestamp(3) with time zone" }
iv        = { type = "interval" }
u         = { type = "uuid" }
j         = { type = "json" }
jb        = { type = "jsonb" }
by        = { type = "bytea" }
ip        = { type = "inet" }
net       = { type = "cidr" }
mac       = { type = "macaddr" }
tsv       = { type = "tsvector" }
tags      = { type = "text[]" }
scores    = { type = "integer[]" }
moods     = { type = "mood[]" }
m         = { type = "mood" }
"#,
    )]);
    insta::assert_snapshot!(sql);
}

#[test]
fn defaults_identity_serial_generated_collation() {
    let sql = plan_and_apply(&[(
        "schema/defaults.toml",
        r#"
[enums.status]
values = ["ACTIVE", "INACTIVE"]

[tables.defaults]
primary_key = ["id"]

[tables.defaults.columns]
id          = { type = "serial" }
big         = { type = "bigserial" }
small       = { type = "smallserial" }
seq_no      = { type = "integer", identity = "always" }
status      = { type = "status", default = "ACTIVE" }
count       = { type = "integer", default = -1 }
price       = { type = "numeric(10,2)", default = 1234.56 }
ratio       = { type = "double precision", default = 0.5 }
flag        = { type = "boolean", default = false }
label       = { type = "varchar(20)", default = "it's \\ here" }
tags        = { type = "text[]", default = ["a", "b c", ""] }
statuses    = { type = "status[]", default = ["ACTIVE"] }
ident       = { type = "uuid", default = "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11" }
doc         = { type = "jsonb", default = "{\"k\": [1, 2]}" }
starts_on   = { type = "date", default = "2024-01-01" }
created_at  = { type = "timestamptz", default_sql = "now()" }
total       = { type = "numeric(12,2)", generated_sql = "price * 2" }
code        = { type = "text", collation = "C" }
note        = { type = "text", nullable = true }
"#,
    )]);
    insta::assert_snapshot!(sql);
}

#[test]
fn every_constraint_and_index_form() {
    let sql = plan_and_apply(&[(
        "schema/forms.toml",
        r#"
[tables.parents]
primary_key = ["id"]

[tables.parents.columns]
id    = { type = "bigint" }
code  = { type = "text", unique = true }
name  = { type = "text" }
email = { type = "text" }
kind  = { type = "text" }
data  = { type = "jsonb", nullable = true }

[[tables.parents.unique]]
columns = ["name", "kind"]

[[tables.parents.unique]]
name    = "parents_email_uq"
columns = ["email"]

[[tables.parents.checks]]
expr = "length(name) > 0"

[[tables.parents.checks]]
expr = "kind IN ('a', 'b') OR name <> email"

[[tables.parents.checks]]
name = "parents_code_upper"
expr = "code = upper(code)"

[[tables.parents.indexes]]
columns = ["kind"]

[[tables.parents.indexes]]
columns = ["kind"]

[[tables.parents.indexes]]
columns = [{ expr = "lower(email)" }]
unique  = true

[[tables.parents.indexes]]
columns = ["name", { column = "kind", order = "desc", nulls = "last" }, { column = "email", nulls = "first" }]
include = ["code"]
where   = "kind <> 'z'"

[[tables.parents.indexes]]
columns = ["data"]
method  = "gin"

[[tables.parents.indexes]]
name    = "parents_name_hash"
columns = ["name"]
method  = "hash"

[tables.children.columns]
id        = { type = "bigint", primary_key = true }
parent_id = { type = "bigint", references = "parents.id", on_delete = "cascade", on_update = "restrict" }
code      = { type = "text", nullable = true }
name      = { type = "text" }
kind      = { type = "text" }

[[tables.children.foreign_keys]]
columns    = ["code"]
references = { table = "parents", columns = ["code"] }
on_delete  = "set_null"
deferrable = "deferred"

[[tables.children.foreign_keys]]
name       = "children_parent_name_kind_fk"
columns    = ["name", "kind"]
references = { table = "public.parents", columns = ["name", "kind"] }
deferrable = true

[[tables.children.foreign_keys]]
columns    = ["kind", "name"]
references = { schema = "public", table = "parents", columns = ["kind", "name"] }
on_delete  = "no_action"
"#,
    )]);
    insta::assert_snapshot!(sql);
}

#[test]
fn hostile_names_are_quoted() {
    let sql = plan_and_apply(&[(
        "schema/hostile.toml",
        r#"
[enums.'Weird "Enum"']
values = ["it's", "a\"b", "x;DROP TABLE y"]
comment = "line one\nline two -- not SQL"

[tables."Order Items"]
comment = "'; DROP TABLE users; --"
primary_key = ["Id"]

[tables."Order Items".columns]
"Id"          = { type = "bigint" }
"select"      = { type = "text", comment = "a reserved word" }
"has space"   = { type = '"Weird ""Enum"""', default = "it's" }
"dot.ted"     = { type = "integer" }
"new\nline"   = { type = "text", nullable = true, comment = "x" }
"ünïcødé"     = { type = "text", nullable = true }

[[tables."Order Items".checks]]
expr = "length(\"select\") < 100"

[[tables."Order Items".indexes]]
columns = ["dot.ted", "select"]

[tables."user"]
primary_key = ["id"]

[tables."user".columns]
id       = { type = "bigint" }
item_id  = { type = "bigint", references = '"Order Items".Id' }
"#,
    )]);
    insta::assert_snapshot!(sql);
    // A newline in a name must not escape its `--` step comment: every comment line is
    // followed by the statement itself.
    let lines: Vec<&str> = sql.lines().collect();
    let mut steps = 0;
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with("-- step") {
            steps += 1;
            let next = lines[i + 1];
            assert!(
                ["CREATE ", "ALTER ", "COMMENT "]
                    .iter()
                    .any(|k| next.starts_with(k)),
                "{line} / {next}"
            );
        }
    }
    assert!(
        sql.contains("-- step 9: comment public.\"Order Items\".\"new\\nline\""),
        "{sql}"
    );
    assert!(steps >= 9);
}

#[test]
fn foreign_key_cycles_apply_in_any_order() {
    let sql = plan_and_apply(&[
        (
            "schema/a.toml",
            r#"
[tables.employees.columns]
id            = { type = "bigint", primary_key = true }
manager_id    = { type = "bigint", nullable = true, references = "employees.id" }
department_id = { type = "bigint", references = "departments.id", deferrable = "deferred" }
"#,
        ),
        (
            "schema/b.toml",
            r#"
[tables.departments.columns]
id      = { type = "bigint", primary_key = true }
head_id = { type = "bigint", nullable = true, references = "employees.id", on_delete = "set_null" }
"#,
        ),
    ]);
    insta::assert_snapshot!(sql);
}

#[test]
fn multiple_schemas_and_extensions() {
    let sql = plan_and_apply(&[
        (
            "schemactl.toml",
            "[project]\nschemas = [\"public\", \"billing\", \"Audit Log\"]\n",
        ),
        (
            "schema/public.toml",
            r#"
[extensions]
pgcrypto = {}
citext   = { schema = "public" }

[enums.status]
values = ["ON", "OFF"]

[tables.accounts.columns]
id     = { type = "uuid", primary_key = true, default_sql = "gen_random_uuid()" }
email  = { type_sql = "citext", unique = true }
status = { type = "status", default = "ON" }
"#,
        ),
        (
            "schema/billing.toml",
            r#"
schema = "billing"

[enums.status]
values = ["DUE", "PAID"]

[tables.invoices.columns]
id          = { type = "bigint", primary_key = true }
account_id  = { type = "uuid", references = "accounts.id" }
status      = { type = "status", default = "DUE" }
acct_status = { type = "public.status", default = "OFF" }
"#,
        ),
        (
            "schema/audit.toml",
            r#"
[tables.events]
schema = "Audit Log"

[tables.events.columns]
id         = { type = "bigint", primary_key = true }
invoice_id = { type = "bigint", references = "billing.invoices.id" }

[[tables.events.foreign_keys]]
columns    = ["id"]
references = { schema = "billing", table = "invoices", columns = ["id"] }
"#,
        ),
    ]);
    insta::assert_snapshot!(sql);
}

#[test]
fn additive_changes_on_existing_tables() {
    let v1 = r#"
[tables.members.columns]
id    = { type = "bigint", identity = "always", primary_key = true }
email = { type = "text" }
"#;
    let v2 = r#"
[enums.tier]
values = ["GOLD", "SILVER"]

[tables.members]
comment = "now commented"

[tables.members.columns]
id         = { type = "bigint", identity = "always", primary_key = true }
email      = { type = "text", unique = true, comment = "login" }
tier       = { type = "tier", nullable = true }
joined_on  = { type = "date", default_sql = "CURRENT_DATE" }
token      = { type = "uuid", default_sql = "gen_random_uuid()" }
referrer   = { type = "bigint", nullable = true, references = "members.id" }
age        = { type = "integer", nullable = true }

[[tables.members.checks]]
expr = "age IS NULL OR age >= 16"

[[tables.members.indexes]]
columns = ["joined_on"]

[tables.badges.columns]
id        = { type = "bigint", primary_key = true }
member_id = { type = "bigint", references = "members.id" }
"#;
    let d1 = project(&[("schema/m.toml", v1)]);
    let d2 = project(&[("schema/m.toml", v2)]);
    let m1 = compile_dir(d1.path());
    let m2 = compile_dir(d2.path());
    let sql1 = plan_sql(&Model::default(), &m1);
    let sql2 = plan_sql(&m1, &m2);

    let db = support::test_db();
    let mut client = db.connect();
    apply_sql(&mut client, &sql1);
    client
        .batch_execute(
            "INSERT INTO public.members (email) VALUES ('a@example.org'), ('b@example.org')",
        )
        .unwrap();
    apply_sql(&mut client, &sql2);
    assert_names_match(&mut client, &m2);
    let rows: i64 = client
        .query_one("SELECT count(*) FROM public.members WHERE joined_on = CURRENT_DATE AND token IS NOT NULL", &[])
        .unwrap()
        .get(0);
    assert_eq!(rows, 2, "existing rows kept and got the new defaults");
    insta::assert_snapshot!(sql2);
}

#[test]
fn same_input_gives_byte_identical_sql() {
    let files = [(
        "schema/x.toml",
        "[enums.e]\nvalues = [\"B\", \"A\"]\n[tables.z.columns]\nid = { type = \"int\", primary_key = true }\n[tables.a.columns]\nz = { type = \"int\", references = \"z.id\" }\ne = { type = \"e\" }\n",
    )];
    let a = plan_sql(&Model::default(), &compile_dir(project(&files).path()));
    let b = plan_sql(&Model::default(), &compile_dir(project(&files).path()));
    assert_eq!(a, b);
    assert!(
        a.find("CREATE TABLE \"public\".\"a\"").unwrap()
            < a.find("CREATE TABLE \"public\".\"z\"").unwrap()
    );
    assert!(a.find("CREATE TABLE \"public\".\"z\"").unwrap() < a.find("FOREIGN KEY").unwrap());
}

#[test]
fn comments_inside_expressions_do_not_break_the_sql() {
    let sql = plan_and_apply(&[(
        "schema/c.toml",
        r#"
[tables.t.columns]
a = { type = "integer", default_sql = "1 -- one" }
b = { type = "integer", generated_sql = "a * 2 /* twice */" }

[[tables.t.checks]]
expr = "a > 0 -- positive"

[[tables.t.indexes]]
columns = [{ expr = "abs(a) -- magnitude" }]
where = "b > 0 -- only positive"
"#,
    )]);
    assert!(!sql.contains("-- one") && !sql.contains("twice"), "{sql}");
}
