//! The live-catalog reader against a real PostgreSQL: compiling a schema and reading back the
//! database its migrations produced give equal models (both diff directions empty), the
//! number of queries does not grow with the number of tables, skipped objects stay out, and
//! drift shows up as changes.

mod support;

use schemactl::catalog::{self, Catalog, ReadOptions};
use schemactl::diff::{Change, TableChange, diff};
use schemactl::model::Model;
use support::project::*;

fn options(schemas: &[&str]) -> ReadOptions {
    ReadOptions {
        schemas: schemas.iter().map(|s| s.to_string()).collect(),
        ignore: Vec::new(),
        history_schema: "schemactl".into(),
    }
}

fn read(client: &mut postgres::Client, opts: &ReadOptions) -> Catalog {
    catalog::read(client, opts)
        .unwrap_or_else(|e| panic!("{}", schemactl::devdb::describe_pg_error(&e)))
}

/// Both diff directions are empty, else panic listing the changes.
fn assert_converged(read: &Model, compiled: &Model) {
    let a = diff(read, compiled);
    let b = diff(compiled, read);
    if !a.is_empty() || !b.is_empty() {
        panic!(
            "catalog and compiled model differ\nread → compiled:\n{}\ncompiled → read:\n{}\n--- read ---\n{}",
            describe(&a),
            describe(&b),
            schemactl::model::snapshot::to_toml(read)
        );
    }
}

fn describe(changes: &[Change]) -> String {
    changes
        .iter()
        .map(|c| format!("  {c:?}\n"))
        .collect::<String>()
}

/// Compile, plan from empty, apply, read back: the models must be equal.
fn round_trip(files: &[(&str, &str)]) {
    let dir = project(files);
    let model = compile_dir(dir.path());
    let sql = plan_sql(&Model::default(), &model);
    let db = support::test_db();
    let mut client = db.connect();
    apply_sql(&mut client, &sql);
    let schemas: Vec<&str> = model.schemas.keys().map(String::as_str).collect();
    let cat = read(&mut client, &options(&schemas));
    assert!(cat.skipped.is_empty(), "{:?}", cat.skipped);
    assert_converged(&cat.model, &model);
}

#[test]
fn example_project_round_trips() {
    let root = repo_root();
    let db = support::test_db();
    let mut client = db.connect();
    for f in migration_files(&root) {
        apply_sql(&mut client, &std::fs::read_to_string(f).unwrap());
    }
    let head = schemactl::model::snapshot::from_toml(
        &std::fs::read_to_string(root.join("snapshots/head.toml")).unwrap(),
    )
    .unwrap();
    let cat = read(&mut client, &options(&["public"]));
    assert!(cat.skipped.is_empty(), "{:?}", cat.skipped);
    assert_converged(&cat.model, &head);
    // And the compiled schema itself (not only its snapshot).
    assert_converged(&cat.model, &compile_dir(&root));
}

#[test]
fn every_type_family_round_trips() {
    round_trip(&[(
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
bp        = { type = "bpchar" }
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
vcs       = { type = "varchar(5)[]" }
scores    = { type = "integer[]" }
moods     = { type = "mood[]" }
m         = { type = "mood" }
money     = { type_sql = "money" }
pt        = { type_sql = "point[]" }
"#,
    )]);
}

#[test]
fn defaults_identity_serial_generated_collation_round_trip() {
    round_trip(&[(
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
big_count   = { type = "bigint", default = 7 }
price       = { type = "numeric(10,2)", default = 1234.56 }
ratio       = { type = "double precision", default = 0.5 }
real_ratio  = { type = "real", default = 1.5e3 }
flag        = { type = "boolean", default = false }
label       = { type = "varchar(20)", default = "it's \\ here" }
empty       = { type = "text", default = "" }
tags        = { type = "text[]", default = ["a", "b c", ""] }
no_tags     = { type = "text[]", default = [] }
statuses    = { type = "status[]", default = ["ACTIVE"] }
ident       = { type = "uuid", default = "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11" }
doc         = { type = "jsonb", default = "{\"k\": [1, 2]}" }
raw_doc     = { type = "json", default = "{\"k\":[1,2]}" }
empty_doc   = { type = "jsonb", default_sql = "'{}'::jsonb" }
starts_on   = { type = "date", default = "2024-01-01" }
created_at  = { type = "timestamptz", default_sql = "now()" }
today       = { type = "date", default_sql = "CURRENT_DATE" }
token       = { type = "uuid", default_sql = "gen_random_uuid()" }
upper_name  = { type = "text", default_sql = "upper('x')" }
total       = { type = "numeric(12,2)", generated_sql = "price * 2" }
lowered     = { type = "text", generated_sql = "lower(label)" }
code        = { type = "text", collation = "C" }
codes       = { type = "text[]", collation = "C", nullable = true }
note        = { type = "text", nullable = true, comment = "free text" }
"#,
    )]);
}

#[test]
fn every_constraint_and_index_form_round_trips() {
    round_trip(&[(
        "schema/forms.toml",
        r#"
[tables.parents]
primary_key = ["id"]
comment = "parents"

[tables.parents.columns]
id    = { type = "bigint" }
code  = { type = "text", unique = true }
name  = { type = "text" }
email = { type = "text" }
kind  = { type = "text" }
vc    = { type = "varchar(10)", nullable = true }
amount = { type = "numeric(10,2)", nullable = true }
qty   = { type = "integer", nullable = true }
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

[[tables.parents.checks]]
name = "parents_amount"
expr = "amount > 0 AND amount BETWEEN 1 AND 1000.5"

[[tables.parents.checks]]
name = "parents_vc"
expr = "vc IN ('x', 'y') AND vc NOT LIKE 'z%' AND upper(vc) <> 'Q'"

[[tables.parents.checks]]
name = "parents_qty"
expr = "qty IS NULL OR (qty >= -1 AND qty % 2 = 0)"

[[tables.parents.checks]]
name = "parents_data"
expr = "data IS NULL OR data ? 'k'"

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
columns = [{ expr = "lower(vc)", order = "desc" }, { expr = "(amount * 2)" }]
where   = "vc IN ('a', 'b') AND amount IS NOT NULL"

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
on_update  = "set_default"

[[tables.children.foreign_keys]]
columns    = ["kind", "name"]
references = { schema = "public", table = "parents", columns = ["kind", "name"] }
on_delete  = "no_action"
"#,
    )]);
}

#[test]
fn hostile_names_round_trip() {
    round_trip(&[(
        "schema/hostile.toml",
        r#"
[enums.'Weird "Enum"']
values = ["it's", "a\"b", "x;DROP TABLE y"]
comment = "line one\nline two -- not SQL"

[tables."Order Items"]
comment = "'; DROP TABLE users; --"
primary_key = ["Id"]

[tables."Order Items".columns]
"Id"          = { type = "bigserial" }
"select"      = { type = "text", comment = "a reserved word" }
"has space"   = { type = '"Weird ""Enum"""', default = "it's" }
"dot.ted"     = { type = "integer" }
"new\nline"   = { type = "text", nullable = true, comment = "x" }
"ünïcødé"     = { type = "text", nullable = true }
"it's"        = { type = "serial" }

[[tables."Order Items".checks]]
expr = "length(\"select\") < 100"

[[tables."Order Items".indexes]]
columns = ["dot.ted", "select"]

[[tables."Order Items".indexes]]
columns = [{ expr = 'lower("select")' }]
where = "\"has space\" <> 'it''s' AND \"new\nline\" IS NOT NULL"

[tables."user"]
primary_key = ["id"]

[tables."user".columns]
id       = { type = "bigint" }
item_id  = { type = "bigint", references = '"Order Items".Id' }
"#,
    )]);
}

#[test]
fn foreign_key_cycles_round_trip() {
    round_trip(&[
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
}

#[test]
fn multiple_schemas_and_extensions_round_trip() {
    round_trip(&[
        (
            "schemactl.toml",
            "[project]\nschemas = [\"public\", \"billing\", \"Audit Log\", \"empty\"]\n",
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
emails = { type_sql = "citext[]", nullable = true }
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
seq         = { type = "serial" }
account_id  = { type = "uuid", references = "accounts.id" }
status      = { type = "status", default = "DUE" }
acct_status = { type = "public.status", default = "OFF" }
statuses    = { type = "public.status[]", default = ["ON"] }

[[tables.invoices.checks]]
expr = "status <> 'PAID' OR acct_status = 'ON'"

[[tables.invoices.indexes]]
columns = ["status"]
where = "status IN ('DUE')"
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
}

/// A project with `n` tables, each with a PK, a unique, a check, an index and an FK to the
/// previous table.
fn many_tables(n: usize) -> String {
    let mut s = String::from("[enums.kind]\nvalues = [\"A\", \"B\"]\n");
    for i in 0..n {
        s.push_str(&format!(
            "\n[tables.t{i}]\ncomment = \"table {i}\"\n[tables.t{i}.columns]\n\
             id = {{ type = \"bigint\", identity = \"always\", primary_key = true }}\n\
             code = {{ type = \"text\", unique = true }}\n\
             kind = {{ type = \"kind\", default = \"A\" }}\n\
             qty = {{ type = \"integer\", default = 0, comment = \"how many\" }}\n"
        ));
        if i > 0 {
            s.push_str(&format!(
                "prev = {{ type = \"bigint\", references = \"t{}.id\" }}\n",
                i - 1
            ));
        }
        s.push_str(&format!(
            "[[tables.t{i}.checks]]\nexpr = \"qty >= 0\"\n[[tables.t{i}.indexes]]\ncolumns = [\"kind\", \"qty\"]\n"
        ));
    }
    s
}

#[test]
fn query_count_does_not_depend_on_the_number_of_tables() {
    let mut counts = Vec::new();
    for n in [5, 60] {
        let text = many_tables(n);
        let dir = project(&[("schema/many.toml", &text)]);
        let model = compile_dir(dir.path());
        let db = support::test_db();
        let mut client = db.connect();
        apply_sql(&mut client, &plan_sql(&Model::default(), &model));
        let cat = read(&mut client, &options(&["public"]));
        assert_eq!(cat.model.schemas["public"].tables.len(), n);
        assert_converged(&cat.model, &model);
        counts.push(cat.queries);
    }
    assert_eq!(counts[0], counts[1]);
    // BEGIN, settings, one query per catalog area (schemas … views, sequences,
    // partitions, user types, functions, aggregates, triggers, policies, grants), COMMIT:
    // fixed, whatever the size.
    assert!(counts[0] <= 18, "{counts:?}");
}

#[test]
fn skipped_objects_stay_out_of_the_model() {
    let db = support::test_db();
    let mut client = db.connect();
    client
        .batch_execute(
            r#"
            CREATE EXTENSION hstore;
            CREATE EXTENSION citext;
            CREATE SCHEMA other;
            CREATE TABLE other.t (id int PRIMARY KEY);
            CREATE TYPE other.e AS ENUM ('x');
            CREATE SCHEMA schemactl;
            CREATE TABLE schemactl.history (id int PRIMARY KEY);
            CREATE TABLE public.kept (id int PRIMARY KEY, h hstore, c citext);
            CREATE TABLE public.tmp_scratch (id int);
            CREATE TABLE public.spatial_ref_sys (id int);
            CREATE TYPE public.tmp_e AS ENUM ('y');
            CREATE TYPE public.kept_e AS ENUM ('z');
            "#,
        )
        .unwrap();
    let mut opts = options(&["public", "schemactl"]);
    opts.ignore = vec!["public.tmp_*".into(), "public.spatial_ref_sys".into()];
    let cat = read(&mut client, &opts);
    let m = &cat.model;
    assert_eq!(m.schemas.keys().collect::<Vec<_>>(), ["public"]);
    let public = &m.schemas["public"];
    assert_eq!(public.tables.keys().collect::<Vec<_>>(), ["kept"]);
    assert_eq!(public.enums.keys().collect::<Vec<_>>(), ["kept_e"]);
    assert_eq!(
        m.extensions.keys().collect::<Vec<_>>(),
        ["citext", "hstore"]
    );
    assert_eq!(
        m.extensions["citext"].schema.as_deref(),
        Some("public"),
        "the actual schema is read"
    );
    let kept = &public.tables["kept"];
    let types: Vec<String> = kept
        .columns
        .iter()
        .map(|c| c.data_type.to_string())
        .collect();
    assert_eq!(types, ["integer", "sql:hstore", "sql:citext"]);
    assert!(cat.skipped.is_empty(), "{:?}", cat.skipped);

    // An exclusion constraint is read as one, and its index is not an index.
    client
        .batch_execute("CREATE TABLE public.ex (r int, EXCLUDE USING btree (r WITH =))")
        .unwrap();
    let cat = read(&mut client, &opts);
    assert!(cat.skipped.is_empty(), "{:?}", cat.skipped);
    let ex = &cat.model.schemas["public"].tables["ex"];
    assert!(ex.indexes.is_empty());
    assert_eq!(ex.exclusions["ex_r_excl"].operators, ["="]);
    assert_eq!(ex.exclusions["ex_r_excl"].index.method, "btree");
}

#[test]
fn drift_shows_up_in_the_diff() {
    let dir = project(&[(
        "schema/m.toml",
        r#"
[tables.members.columns]
id    = { type = "bigint", identity = "always", primary_key = true }
email = { type = "text" }
age   = { type = "integer", nullable = true }

[[tables.members.indexes]]
name = "members_email_idx"
columns = ["email"]
"#,
    )]);
    let model = compile_dir(dir.path());
    let db = support::test_db();
    let mut client = db.connect();
    apply_sql(&mut client, &plan_sql(&Model::default(), &model));
    let opts = options(&["public"]);
    assert_converged(&read(&mut client, &opts).model, &model);

    client
        .batch_execute(
            "ALTER TABLE public.members ADD COLUMN extra int;
             ALTER TABLE public.members ALTER COLUMN age TYPE bigint;
             DROP INDEX public.members_email_idx;
             COMMENT ON COLUMN public.members.email IS 'by hand';",
        )
        .unwrap();
    let live = read(&mut client, &opts).model;
    let changes = diff(&model, &live);
    // `drift` names the object whose comment differs.
    let lines: Vec<String> = changes
        .iter()
        .filter_map(|c| c.deviation(&model, &live))
        .collect();
    assert!(
        lines.contains(
            &"different in the database: comment of column public.members.email".to_string()
        ),
        "{lines:?}"
    );
    assert!(
        changes.iter().any(
            |c| matches!(c, Change::Table(TableChange::AddColumn(q, col)) if q.name == "members" && col.name == "extra")
        ),
        "{changes:?}"
    );
    assert!(
        changes.iter().any(|c| matches!(c,
            Change::Table(TableChange::AlterColumnType { table, column, from, to, .. })
                if table.name == "members" && column == "age"
                    && from.to_string() == "integer" && to.to_string() == "bigint")),
        "{changes:?}"
    );
    assert!(
        changes.iter().any(|c| matches!(c,
            Change::Table(TableChange::DropIndex(q, n, _)) if q.name == "members" && n == "members_email_idx")),
        "{changes:?}"
    );
    assert_eq!(changes.len(), 4, "{changes:?}");
}

/// Literal defaults PostgreSQL re-formats by type (intervals, times, timestamps, jsonb,
/// tsvector, …), `default_sql` forms, and check expressions PostgreSQL rewrites (casts on
/// literals and columns, `IN`, `BETWEEN`, `LIKE`, `SUBSTRING … FROM`, …).
#[test]
fn literal_defaults_and_rewritten_checks_round_trip() {
    round_trip(&[(
        "schema/x.toml",
        r#"
[enums.status]
values = ["ACTIVE", "DISPATCHED", "X"]

[tables.x.columns]
iv   = { type = "interval", default = "1 hour" }
iv2  = { type = "interval", default = "1 day" }
tm   = { type = "time", default = "12:00" }
tm2  = { type = "time", default = "12:00:00" }
ts   = { type = "timestamp", default = "2024-01-01" }
ts2  = { type = "timestamp", default = "2024-01-01 10:00:00" }
tstz = { type = "timestamptz", default = "2024-01-01 10:00:00+00" }
tinf = { type = "timestamptz", default = "infinity" }
by   = { type = "bytea", default = "\\x00ff" }
ip   = { type = "inet", default = "10.0.0.1" }
ci   = { type = "cidr", default = "10.0.0.0/8" }
mac  = { type = "macaddr", default = "08:00:2b:01:02:03" }
tsv  = { type = "tsvector", default = "a b" }
bt   = { type = "boolean", default = true }
n1   = { type = "numeric(10,2)", default = 1.5 }
n2   = { type = "numeric(10,2)", default = 1.50 }
n3   = { type = "numeric", default = -1.5 }
n4   = { type = "numeric(10,2)", default = 0 }
f1   = { type = "double precision", default = -0.5 }
f2   = { type = "real", default = 100 }
i2   = { type = "smallint", default = 3 }
i8n  = { type = "bigint", default = -3 }
j1   = { type = "json", default = "[1, 2]" }
jb1  = { type = "jsonb", default = "{\"b\":1,\"a\":2}" }
jb2  = { type = "jsonb", default = "[]" }
jb3  = { type = "jsonb", default = "\"s\"" }
ch   = { type = "char(3)", default = "ab" }
vc   = { type = "varchar(5)", default = "" }
ia   = { type = "integer[]", default = [1, -2] }
ta   = { type = "text[]", default = ["NULL", "a,b", "q\"x", "back\\slash", " sp"] }
ea   = { type = "status[]", default = [] }
d1   = { type = "date", default = "infinity" }
d2   = { type = "date", default = "epoch" }
s1   = { type = "timestamptz", default_sql = "CURRENT_TIMESTAMP" }
s2   = { type = "timestamptz", default_sql = "now() + interval '1 day'" }
s3   = { type = "text[]", default_sql = "'{}'" }
s4   = { type = "text[]", default_sql = "ARRAY[]::text[]" }
s5   = { type = "text", default_sql = "current_user" }
s6   = { type = "integer", default_sql = "(1 + 2) * 3" }
s7   = { type = "jsonb", default_sql = "'{}'" }
s8   = { type = "timestamp", default_sql = "LOCALTIMESTAMP" }
s9   = { type = "text", default_sql = "'a' || 'b'" }
s10  = { type = "date", default_sql = "CURRENT_DATE + 7" }
s11  = { type = "bigint", default_sql = "'7'" }
s12  = { type = "numeric", default_sql = "'NaN'" }
s13  = { type = "status", default_sql = "'ACTIVE'::status" }
s14  = { type = "uuid", default_sql = "md5(random()::text)::uuid" }
s15  = { type = "timestamp", default_sql = "now()" }
s16  = { type = "text", default_sql = "E'a\\nb'" }
a    = { type = "integer", nullable = true }
b    = { type = "integer", nullable = true }
sm   = { type = "smallint", nullable = true }
nn   = { type = "numeric(10,2)", nullable = true }
r    = { type = "real", nullable = true }
t    = { type = "text", nullable = true }
v    = { type = "varchar(10)", nullable = true }
c3   = { type = "char(3)", nullable = true }
st   = { type = "status", nullable = true }
tags = { type = "text[]", nullable = true }
doc  = { type = "jsonb", nullable = true }
dd   = { type = "date", nullable = true }

[[tables.x.checks]]
name = "c01"
expr = "t ~ '^[a-z]+$'"
[[tables.x.checks]]
name = "c02"
expr = "char_length(t) <= 10"
[[tables.x.checks]]
name = "c03"
expr = "a > 1.5"
[[tables.x.checks]]
name = "c04"
expr = "sm > 0 AND nn >= 0 AND r > 0.5"
[[tables.x.checks]]
name = "c05"
expr = "v = 'x' AND c3 = 'abc'"
[[tables.x.checks]]
name = "c06"
expr = "st IN ('ACTIVE', 'DISPATCHED')"
[[tables.x.checks]]
name = "c07"
expr = "array_length(tags, 1) > 0"
[[tables.x.checks]]
name = "c08"
expr = "jsonb_typeof(doc) = 'object'"
[[tables.x.checks]]
name = "c09"
expr = "coalesce(a, 0) > 0 AND a IS DISTINCT FROM b"
[[tables.x.checks]]
name = "c10"
expr = "CASE WHEN a > 0 THEN b > 0 ELSE true END"
[[tables.x.checks]]
name = "c11"
expr = "NOT (a > 0 AND b > 0)"
[[tables.x.checks]]
name = "c12"
expr = "length(btrim(t)) > 0 AND t LIKE '%@%' AND lower(t) = t"
[[tables.x.checks]]
name = "c13"
expr = "extract(year from dd) > 2000"
[[tables.x.checks]]
name = "c14"
expr = "a::numeric / b > 0.5"
[[tables.x.checks]]
name = "c15"
expr = "dd > '2020-01-01'"
[[tables.x.checks]]
name = "c16"
expr = "num_nonnulls(a, b) = 1"
[[tables.x.checks]]
name = "c17"
expr = "t = ANY (ARRAY['x', 'y'])"
[[tables.x.checks]]
name = "c18"
expr = "v IN ('a', 'b')"
[[tables.x.checks]]
name = "c19"
expr = "a BETWEEN 1 AND 10"
[[tables.x.checks]]
name = "c20"
expr = "t NOT IN ('a', 'b')"
[[tables.x.checks]]
name = "c21"
expr = "a IS NOT NULL OR b IS NULL"
[[tables.x.checks]]
name = "c22"
expr = "doc ->> 'k' <> '' AND doc @> '{}'"
[[tables.x.checks]]
name = "c23"
expr = "tags && ARRAY['x']"
[[tables.x.checks]]
name = "c24"
expr = "a <> -1 AND a + b * 2 - 1 > 0"
[[tables.x.checks]]
name = "c25"
expr = "substring(t from 1 for 2) = 'ab' AND position('a' in t) > 0"
[[tables.x.checks]]
name = "c26"
expr = "st <> 'X'"
[[tables.x.checks]]
name = "c27"
expr = "t IN ('a')"
[[tables.x.checks]]
name = "c28"
expr = "v || 'x' <> t"
[[tables.x.checks]]
name = "c29"
expr = "nn * 2 > a"
[[tables.x.checks]]
name = "c30"
expr = "upper(v) <> 'Q'"
"#,
    )]);
}

/// The reader's own settings decide how values print, not the caller's session (nor the
/// session that ran the migration, for values with an explicit offset).
#[test]
fn session_settings_do_not_leak_into_the_model() {
    let dir = project(&[(
        "schema/tz.toml",
        r#"
[tables.t.columns]
at   = { type = "timestamptz", default = "2024-01-01 10:00:00+02" }
iv   = { type = "interval", default = "1 day 2 hours" }
d    = { type = "date", default = "2024-03-01" }
r    = { type = "double precision", default = 0.1 }
"#,
    )]);
    let model = compile_dir(dir.path());
    let db = support::test_db();
    let mut client = db.connect();
    client
        .batch_execute(
            "SET TimeZone = 'Asia/Tokyo'; SET DateStyle = 'German, DMY'; \
             SET IntervalStyle = 'sql_standard'; SET extra_float_digits = 3; \
             SET search_path = pg_catalog",
        )
        .unwrap();
    apply_sql(&mut client, &plan_sql(&Model::default(), &model));
    let cat = read(&mut client, &options(&["public"]));
    assert_converged(&cat.model, &model);
    // The caller's session is untouched (SET LOCAL ended with the transaction).
    let tz: String = client.query_one("SHOW TimeZone", &[]).unwrap().get(0);
    assert_eq!(tz, "Asia/Tokyo");
}

#[test]
fn index_keys_with_their_own_collation_round_trip() {
    // PostgreSQL keeps a key's top-level COLLATE in `indcollation` and prints the key
    // without it; the reader puts it back only where it differs from the key's own
    // collation (a C-collated column and expressions over it need none).
    round_trip(&[(
        "schema/s.toml",
        r#"
[tables.t.columns]
id   = { type = "int", primary_key = true }
txt  = { type = "text" }
code = { type = "text", collation = "C" }
n    = { type = "int" }

[[tables.t.indexes]]
columns = [{ expr = "txt COLLATE \"C\"" }, "code", { expr = "code COLLATE \"POSIX\"" }]

[[tables.t.indexes]]
columns = [{ expr = "lower(code)" }, { expr = "lower(txt) COLLATE \"C\"", order = "desc" }]

[[tables.t.indexes]]
columns = [{ expr = "(txt || code) COLLATE pg_catalog.\"default\"" }, { expr = "n + 1" }]

[[tables.t.indexes]]
columns = [{ expr = "lower(txt COLLATE \"C\")" }, { expr = "upper(txt)" }]
include = ["code"]
"#,
    )]);
}

/// Identity sequence options (SQLAlchemy's `Identity(start=…, cycle=True)`) are read in the
/// canonical form of `model::sequence` (default options are none); deferrable primary keys,
/// unique and exclusion constraints with their deferrability. Nothing is left unread.
#[test]
fn identity_options_and_deferrable_keys_are_read() {
    let db = support::test_db();
    let mut client = db.connect();
    client
        .batch_execute(
            "CREATE TABLE items (
                 id bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 10 INCREMENT BY 10 CYCLE),
                 small smallint GENERATED ALWAYS AS IDENTITY,
                 sku text,
                 n int,
                 CONSTRAINT items_pkey PRIMARY KEY (id) DEFERRABLE,
                 CONSTRAINT items_sku_key UNIQUE (sku) DEFERRABLE INITIALLY DEFERRED,
                 CONSTRAINT items_n_excl EXCLUDE USING btree (n WITH =) DEFERRABLE INITIALLY DEFERRED)",
        )
        .unwrap();
    let cat = read(&mut client, &options(&["public"]));
    assert!(cat.skipped.is_empty(), "{:?}", cat.skipped);
    let t = &cat.model.schemas["public"].tables["items"];
    let id = t.columns.iter().find(|c| c.name == "id").unwrap();
    let o = id.identity_options.as_deref().expect("options read");
    assert_eq!(
        (
            o.start,
            o.increment,
            o.cycle,
            o.min_value,
            o.max_value,
            o.cache
        ),
        (Some(10), Some(10), true, None, None, None)
    );
    let small = t.columns.iter().find(|c| c.name == "small").unwrap();
    assert!(small.identity.is_some() && small.identity_options.is_none());
    use schemactl::model::Deferrable;
    let t = &cat.model.schemas["public"].tables["items"];
    assert_eq!(t.uniques["items_sku_key"].deferrable, Deferrable::Deferred);
    assert_eq!(
        t.primary_key.as_ref().map(|pk| pk.deferrable),
        Some(Deferrable::Immediate)
    );
    assert_eq!(
        t.exclusions["items_n_excl"].deferrable,
        Deferrable::Deferred
    );
    assert!(
        t.columns
            .iter()
            .all(|c| ["sku", "n"].contains(&c.name.as_str()) || c.identity.is_some())
    );
}
