//! Regression tests for what views (and other readers of relations, columns and sequences)
//! are checked against at compile time: `FROM ONLY t`, columns a query reads that the
//! declared relation does not have, `nextval` of undeclared sequences, and where `check
//! --dev` says a statement failed.

mod support;

use support::cli::*;
use support::project::*;

/// `schemactl check` fails with exit 2; its stderr.
fn rejected(files: &[(&str, &str)]) -> String {
    let dir = project(files);
    let out = schemactl(dir.path(), &["check"]);
    let err = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "stdout:\n{}\nstderr:\n{err}",
        text(&out.stdout)
    );
    err
}

fn accepted(files: &[(&str, &str)]) {
    let dir = project(files);
    ok(schemactl(dir.path(), &["check"]));
}

const MEMBERS: &str = r#"
[tables.members]
primary_key = ["id"]
[tables.members.columns]
id = { type = "bigint" }
name = { type = "text" }
"#;

/// `FROM ONLY t` was read as a relation named `only` (aliased `t`): check reported an
/// unknown relation `public.only`, and `t` was not a dependency.
#[test]
fn from_only_reads_the_table_and_is_created_as_written() {
    let schema = format!(
        "{MEMBERS}\n[views.plain_members]\nquery = \"SELECT id, name FROM ONLY members\"\n\n\
         [views.pairs]\nquery = \"\"\"\nselect m.id, o.name\nfrom only public.members m\n  join only members o on o.id = m.id\n\"\"\"\n\n\
         [materialized_views.counted]\nquery = \"SELECT count(*) AS n FROM ONLY (members)\"\n"
    );
    let db = support::test_db();
    let url = db.conninfo.clone();
    let dir = project(&[("schemactl.toml", CONFIG), ("schema/main.toml", &schema)]);
    let d = dir.path();
    ok(schemactl(d, &["check"]));
    ok(schemactl(d, &["plan", "-m", "init"]));
    let files = migration_files(d);
    let up = std::fs::read_to_string(
        files
            .iter()
            .find(|p| !p.to_string_lossy().ends_with(".down.sql"))
            .unwrap(),
    )
    .unwrap();
    assert!(
        up.contains("FROM ONLY members"),
        "ONLY kept as written:\n{up}"
    );
    // The views come after the table they read.
    let table = up.find("CREATE TABLE \"public\".\"members\"").unwrap();
    for v in ["plain_members", "pairs", "counted"] {
        let at = up.find(&format!("VIEW \"public\".\"{v}\"")).unwrap();
        assert!(table < at, "{v} after its table:\n{up}");
    }
    ok(schemactl_db(d, &url, &["apply"]));
    assert_clean(d, &url);
    let mut client = db.connect();
    let def: String = client
        .query_one("SELECT pg_get_viewdef('plain_members'::regclass)", &[])
        .unwrap()
        .get(0);
    assert!(def.contains("FROM ONLY members"), "{def}");

    // Spelled differently (case, layout): nothing to plan.
    write_schema(
        d,
        &schema.replace(
            "SELECT id, name FROM ONLY members",
            "select id, name\\n  from   only members",
        ),
    );
    let out = ok(schemactl(d, &["plan", "-m", "respelled"]));
    assert!(out.contains("No schema changes"), "{out}");

    // Dropping ONLY changes the view.
    write_schema(
        d,
        &schema.replace(
            "SELECT id, name FROM ONLY members",
            "SELECT id, name FROM members",
        ),
    );
    ok(schemactl(d, &["plan", "-m", "inherit"]));
    ok(schemactl_db(d, &url, &["apply"]));
    assert_clean(d, &url);

    // The table is a dependency: dropping it while the views read it is an error naming it.
    let err = rejected(&[
        ("schemactl.toml", CONFIG),
        (
            "schema/main.toml",
            "[tables.other.columns]\nid = { type = \"int\" }\n\n[views.v]\nquery = \"SELECT id FROM ONLY members\"\n",
        ),
    ]);
    assert!(
        err.contains("reads `public.members`, which is not declared"),
        "{err}"
    );
    assert!(!err.contains("only"), "{err}");
}

/// A view naming a column its table does not have (dropped or renamed in the TOML) passed
/// `check` and `plan` and failed only at `apply`.
#[test]
fn views_reading_missing_columns_are_compile_errors() {
    let files = |views: &str| -> Vec<(&'static str, String)> {
        vec![
            ("schemactl.toml", CONFIG.to_string()),
            ("schema/main.toml", format!("{MEMBERS}\n{views}")),
        ]
    };
    let check = |views: &str| {
        let f = files(views);
        let refs: Vec<(&str, &str)> = f.iter().map(|(a, b)| (*a, b.as_str())).collect();
        rejected(&refs)
    };
    let pass = |views: &str| {
        let f = files(views);
        let refs: Vec<(&str, &str)> = f.iter().map(|(a, b)| (*a, b.as_str())).collect();
        accepted(&refs)
    };
    // Qualified by the table's name or an alias, unqualified with one relation.
    let err = check("[views.v]\nquery = \"SELECT members.old_name FROM members\"\n");
    assert!(
        err.contains("the view `public.v` reads column `old_name` of table `public.members`, which has no such column"),
        "{err}"
    );
    assert!(err.contains("schema/main.toml:9:"), "{err}");
    assert!(err.contains("the columns: id, name"), "{err}");
    let err = check("[views.v]\nquery = \"SELECT m.id, m.nmae FROM members m\"\n");
    assert!(
        err.contains("column `nmae`") && err.contains("did you mean `name`?"),
        "{err}"
    );
    let err = check("[views.v]\nquery = \"SELECT id, old_name FROM members WHERE score > 0\"\n");
    assert!(
        err.contains("column `old_name`") && err.contains("column `score`"),
        "all at once: {err}"
    );
    // Joins: qualified names are checked, in ON too; a view's output columns count.
    let err = check(
        "[views.v]\nquery = \"SELECT a.id FROM members a JOIN members b ON b.member = a.id\"\n\n\
         [views.w]\nquery = \"SELECT v.id, v.name FROM v\"\n",
    );
    assert!(
        err.contains("column `member` of table `public.members`"),
        "{err}"
    );
    assert!(
        err.contains("column `name` of view `public.v`") && err.contains("the columns: id"),
        "{err}"
    );
    // A materialized view likewise; and a subquery's own FROM.
    let err = check(
        "[materialized_views.m]\nquery = \"SELECT x.n FROM (SELECT m.gone AS n FROM members m) x\"\n",
    );
    assert!(
        err.contains("the materialized view `public.m` reads column `gone`"),
        "{err}"
    );

    // A column that does not compile is reported once, not again for the view.
    let err = check(
        "[tables.more.columns]\nid = { type = \"int\" }\nbad = { type = \"nosuchtype\" }\n\n\
         [views.v]\nquery = \"SELECT bad FROM more\"\n",
    );
    assert!(
        err.contains("nosuchtype") && !err.contains("column `bad`"),
        "{err}"
    );
    assert!(err.contains("1 error found"), "{err}");

    // `plan` refuses it too and writes nothing.
    let f = files("[views.v]\nquery = \"SELECT members.old_name FROM members\"\n");
    let refs: Vec<(&str, &str)> = f.iter().map(|(a, b)| (*a, b.as_str())).collect();
    let dir = project(&refs);
    let out = schemactl(dir.path(), &["plan", "-m", "x"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("column `old_name`"));
    assert!(!dir.path().join("migrations").exists());

    // What is not certain is not reported.
    pass(
        "[views.star]\nquery = \"SELECT * FROM members\"\n\n\
         [views.qualified_star]\nquery = \"SELECT m.* FROM members m\"\n\n\
         [views.two]\nquery = \"SELECT id, name, other FROM members, (SELECT 1 AS other) s\"\n\n\
         [views.fn]\nquery = \"SELECT n FROM members, generate_series(1, 2) n\"\n\n\
         [views.outer]\nquery = \"SELECT id, (SELECT count(*) FROM members i WHERE i.id < id) AS below FROM members\"\n\n\
         [views.sub]\nquery = \"SELECT id FROM members WHERE EXISTS (SELECT 1 FROM members x WHERE x.id = members.id)\"\n\n\
         [views.cte]\nquery = \"WITH members AS (SELECT 1 AS other) SELECT members.other FROM members\"\n\n\
         [views.aliased]\nquery = \"SELECT a, b FROM members AS m(a, b)\"\n\n\
         [views.grouped]\nquery = \"SELECT upper(name) AS shout, count(*) AS n FROM members GROUP BY shout ORDER BY shout\"\n\n\
         [views.system]\nquery = \"SELECT m.ctid, tableoid, m FROM members m\"\n\n\
         [views.values]\nquery = \"SELECT current_schema, current_user, id FROM members\"\n\n\
         [views.over_star]\nquery = \"SELECT s.anything FROM star s\"\n\n\
         [views.unmanaged]\nquery = \"SELECT c.relname FROM pg_class c\"\n",
    );
}

/// `nextval` of a sequence nobody declares passed `check` and failed at `apply`: in a column
/// default, a domain default and a view; and a sequence dropped while a default still uses
/// it is the same error.
#[test]
fn undeclared_sequences_are_compile_errors() {
    let err = rejected(&[
        ("schemactl.toml", CONFIG),
        (
            "schema/main.toml",
            r#"[sequences.order_numbers]

[tables.orders.columns]
id = { type = "bigint", default_sql = "nextval('order_number')" }
code = { type = "text", default_sql = "'X' || nextval('public.codes'::regclass)" }

[views.next_ids]
query = "SELECT nextval('ids') AS id"
"#,
        ),
    ]);
    assert!(
        err.contains("default_sql uses sequence `public.order_number`, which is not declared"),
        "{err}"
    );
    assert!(
        err.contains("did you mean `public.order_numbers`?"),
        "{err}"
    );
    assert!(err.contains("sequence `public.codes`"), "{err}");
    assert!(
        err.contains("the view `public.next_ids` uses sequence `public.ids`"),
        "{err}"
    );
    assert!(err.contains("schema/main.toml:4:"), "{err}");
    assert!(err.contains("schema/main.toml:8:"), "{err}");
    assert!(err.contains("declare it with `[sequences.codes]`"), "{err}");

    // Declared ones: a sequence entry (any case, qualified or not), the implicit sequences of
    // serial and identity columns, sequences of unmanaged schemas and ignored ones.
    let dir = project(&[
        (
            "schemactl.toml",
            "[project]\nschemas = [\"public\"]\nignore = [\"public.legacy_*\"]\n",
        ),
        (
            "schema/main.toml",
            r#"[sequences.order_numbers]

[tables.orders.columns]
id = { type = "bigint", default_sql = "nextval('Order_Numbers')" }
s = { type = "serial" }
i = { type = "bigint", identity = "always" }
old = { type = "bigint", default_sql = "nextval('legacy_ids')" }
ext = { type = "bigint", default_sql = "nextval('elsewhere.ids')" }

[views.ids]
query = "SELECT nextval('public.orders_s_seq') AS a, currval('orders_i_seq') AS b, nextval('order_numbers'::regclass) AS c"
"#,
        ),
    ]);
    ok(schemactl(dir.path(), &["check"]));

    // A declared sequence with an error is reported once, not again where it is used.
    let err = rejected(&[
        ("schemactl.toml", CONFIG),
        (
            "schema/main.toml",
            "[sequences.s]\ncache = 0\n\n[tables.t.columns]\nid = { type = \"bigint\", default_sql = \"nextval('s')\" }\n",
        ),
    ]);
    assert!(
        err.contains("`cache` is 0") && !err.contains("not declared"),
        "{err}"
    );

    // Dropping a sequence a default still uses.
    let dir = project(&[
        ("schemactl.toml", CONFIG),
        (
            "schema/main.toml",
            "[sequences.s]\n\n[tables.t.columns]\nid = { type = \"bigint\", default_sql = \"nextval('s')\" }\n",
        ),
    ]);
    let d = dir.path();
    ok(schemactl(d, &["plan", "-m", "init"]));
    let before = migration_files(d).len();
    write_schema(
        d,
        "[tables.t.columns]\nid = { type = \"bigint\", default_sql = \"nextval('s')\" }\n",
    );
    let out = schemactl(d, &["plan", "-m", "drop_s"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(
        err.contains("uses sequence `public.s`, which is not declared"),
        "{err}"
    );
    assert!(err.contains("no sequence is declared"), "{err}");
    assert_eq!(migration_files(d).len(), before, "nothing written");
}

/// `check --dev` reported what PostgreSQL rejected in a view (or anything but a table, enum
/// or extension) without any location.
#[test]
fn check_dev_names_where_a_failing_statement_comes_from() {
    if !support::is_local_cluster() {
        eprintln!("skipped: needs the local PostgreSQL binaries");
        return;
    }
    let dir = project(&[
        ("schemactl.toml", CONFIG),
        (
            "schema/main.toml",
            "[tables.t.columns]\nid = { type = \"int\" }\n\n[views.v]\nquery = \"SELECT id, id AS id FROM t\"\n",
        ),
    ]);
    let out = schemactl(dir.path(), &["check", "--dev"]);
    let err = one_line_errors(&text(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "schema/main.toml:5:9: error[postgres-error]: PostgreSQL rejects create-view public.v"
        ),
        "{err}"
    );
    assert!(err.contains("specified more than once"), "{err}");

    // Nothing in the TOML to point at: the step, numbered as a migration would number it.
    let dir = project(&[
        (
            "schemactl.toml",
            "[project]\nschemas = [\"public\", \"pg_mine\"]\n",
        ),
        (
            "schema/main.toml",
            "[tables.t.columns]\nid = { type = \"int\" }\n",
        ),
    ]);
    let out = schemactl(dir.path(), &["check", "--dev"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "PostgreSQL rejects step 1 of the schema created from empty (create-schema pg_mine)"
        ),
        "{err}"
    );
}

/// A view reading a declared sequence as a relation (`SELECT last_value FROM s`) was
/// reported as reading an undeclared relation.
#[test]
fn views_may_read_declared_sequences() {
    let schema = "[sequences.tickets]\n\n[tables.t.columns]\nid = { type = \"serial\" }\n\n\
                  [views.counters]\nquery = \"SELECT s.last_value, t.is_called FROM tickets s, t_id_seq t\"\n";
    let db = support::test_db();
    let url = db.conninfo.clone();
    let dir = project(&[("schemactl.toml", CONFIG), ("schema/main.toml", schema)]);
    let d = dir.path();
    ok(schemactl(d, &["plan", "-m", "init"]));
    ok(schemactl_db(d, &url, &["apply"]));
    assert_clean(d, &url);
    let err = rejected(&[
        ("schemactl.toml", CONFIG),
        (
            "schema/main.toml",
            "[views.counters]\nquery = \"SELECT last_value FROM tickets\"\n",
        ),
    ]);
    assert!(
        err.contains("reads `public.tickets`, which is not declared"),
        "{err}"
    );
}
