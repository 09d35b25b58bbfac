//! Privileges on real PostgreSQL: grants on tables, columns, views, sequences, schemas and
//! types are planned, applied and read back equal to the compiled model both ways, changed
//! and revoked, then every migration is rolled back. Roles are cluster-wide and tests run in
//! parallel: each test uses roles of its own name.

mod support;

use support::cli::*;
use support::project::*;
use support::steps::*;

/// Create `roles` (NOLOGIN) unless they exist: roles are shared by every database of the
/// cluster, so another run may have made them already.
fn roles(s: &mut Steps, roles: &[&str]) {
    for r in roles {
        let sql = format!(
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{r}') THEN \
             CREATE ROLE \"{r}\" NOLOGIN; END IF; EXCEPTION WHEN duplicate_object THEN NULL; END $$"
        );
        s.client.batch_execute(&sql).unwrap();
    }
}

fn has(s: &mut Steps, sql: &str) -> bool {
    s.one::<bool>(sql)
}

#[test]
fn grants_on_every_kind_are_applied_changed_revoked_and_rolled_back() {
    let mut s = Steps::new();
    roles(&mut s, &["pv_app", "pv_report"]);
    let v1 = r#"
schema_grants = { pv_app = ["usage"], public = ["usage"] }

[enums.mood]
values = ["happy", "sad"]
grants = { pv_app = ["usage"] }

[domains.code]
type = "text"
grants = { pv_app = ["usage"], public = ["usage"] }

[sequences.ticket]
grants = { pv_app = ["usage", "select"] }

[tables.members]
grants = { pv_app = ["select", "insert"], pv_report = ["select"] }

[tables.members.columns]
id = { type = "integer", primary_key = true }
name = { type = "text", grants = { pv_app = ["update"] } }
"#;
    let sql = s.step(v1);
    assert!(
        sql.contains(r#"GRANT INSERT, SELECT ON TABLE "public"."members" TO "pv_app";"#),
        "{sql}"
    );
    assert!(
        sql.contains(r#"GRANT UPDATE ("name") ON TABLE "public"."members" TO "pv_app";"#),
        "{sql}"
    );
    assert!(
        sql.contains(r#"GRANT SELECT, USAGE ON SEQUENCE "public"."ticket" TO "pv_app";"#),
        "{sql}"
    );
    assert!(
        sql.contains(r#"REVOKE USAGE ON TYPE "public"."mood" FROM PUBLIC;"#),
        "{sql}"
    );
    assert!(
        sql.contains(r#"GRANT USAGE ON SCHEMA "public" TO "pv_app";"#),
        "{sql}"
    );
    assert!(has(
        &mut s,
        "SELECT has_table_privilege('pv_report', 'public.members', 'SELECT')"
    ));
    assert!(!has(
        &mut s,
        "SELECT has_table_privilege('pv_report', 'public.members', 'INSERT')"
    ));
    assert!(has(
        &mut s,
        "SELECT has_column_privilege('pv_app', 'public.members', 'name', 'UPDATE')"
    ));
    assert!(!has(
        &mut s,
        "SELECT has_column_privilege('pv_app', 'public.members', 'id', 'UPDATE')"
    ));

    // Change: one privilege more, one less, a role gone, a column grant gone.
    let v2 = r#"
schema_grants = { pv_app = ["usage"], public = ["usage"] }

[enums.mood]
values = ["happy", "sad"]
grants = { pv_app = ["usage"], public = ["usage"] }

[domains.code]
type = "text"
grants = { pv_app = ["usage"], public = ["usage"] }

[sequences.ticket]
grants = { pv_app = ["usage"] }

[tables.members]
grants = { pv_app = ["select", "update"] }

[tables.members.columns]
id = { type = "integer", primary_key = true }
name = { type = "text", grants = {} }
"#;
    let sql = s.step(v2);
    assert!(
        sql.contains(r#"REVOKE SELECT ON TABLE "public"."members" FROM "pv_report";"#),
        "{sql}"
    );
    assert!(
        sql.contains(r#"-- hazards: breaks_clients"#) || sql.contains("breaks_clients"),
        "{sql}"
    );
    assert!(
        sql.contains(r#"REVOKE UPDATE ("name") ON TABLE "public"."members" FROM "pv_app";"#),
        "{sql}"
    );
    assert!(!has(
        &mut s,
        "SELECT has_table_privilege('pv_report', 'public.members', 'SELECT')"
    ));
    assert!(has(
        &mut s,
        "SELECT has_table_privilege('pv_app', 'public.members', 'UPDATE')"
    ));

    // Not managed any more: nothing is revoked, and the database's grants are not drift.
    let v3 = r#"
[enums.mood]
values = ["happy", "sad"]

[domains.code]
type = "text"

[sequences.ticket]

[tables.members.columns]
id = { type = "integer", primary_key = true }
name = { type = "text" }
"#;
    let sql = s.plan(v3);
    assert!(
        sql.starts_with("-- schemactl migration 0002_v2"),
        "no migration expected, found:\n{sql}"
    );
    s.unwind();
}

fn psql(db: &support::TestDb, sql: &str) {
    db.connect().batch_execute(sql).unwrap();
}

#[test]
fn views_get_grants_hand_made_grants_are_drift_and_recreated_views_get_theirs_back() {
    let db = support::test_db();
    psql(
        &db,
        "DO $$ BEGIN CREATE ROLE pv_drift NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$",
    );
    let dir = project(&[("schemactl.toml", CONFIG)]);
    let v1 = r#"
[tables.t]
grants = { pv_drift = ["select"] }

[tables.t.columns]
id = { type = "integer", primary_key = true }
a = { type = "integer" }

[views.v]
query = "SELECT id FROM t"
grants = { pv_drift = ["all"] }
"#;
    write_schema(dir.path(), v1);
    let sql = plan_apply(dir.path(), &db.conninfo, "v1", &[]);
    assert!(
        sql.contains(r#"GRANT INSERT, SELECT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON TABLE "public"."v" TO "pv_drift";"#),
        "{sql}"
    );
    psql(
        &db,
        "GRANT INSERT ON t TO pv_drift; GRANT UPDATE (a) ON t TO PUBLIC",
    );
    let out = schemactl_db(dir.path(), &db.conninfo, &["drift"]);
    let text = support::project::text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("extra in the database: insert on relation public.t to pv_drift"),
        "{text}"
    );
    assert!(
        text.contains("extra in the database: update on column public.t.a to public"),
        "{text}"
    );
    assert!(
        text.contains(r#"REVOKE INSERT ON TABLE "public"."t" FROM "pv_drift";"#),
        "{text}"
    );
    psql(
        &db,
        "REVOKE INSERT ON t FROM pv_drift; REVOKE UPDATE (a) ON t FROM PUBLIC",
    );
    assert_clean(dir.path(), &db.conninfo);
    // The view loses a column: dropped and created again, with its grants.
    let v2 = v1
        .replace("SELECT id FROM t", "SELECT a FROM t")
        .replace(r#"["all"]"#, r#"["select"]"#);
    write_schema(dir.path(), &v2);
    let sql = plan_apply(dir.path(), &db.conninfo, "v2", &[]);
    assert!(
        sql.contains(r#"GRANT SELECT ON TABLE "public"."v" TO "pv_drift";"#),
        "{sql}"
    );
    // An unmanaged table's hand-made grants are nobody's business.
    write_schema(
        dir.path(),
        &format!("{v2}\n[tables.u.columns]\nid = {{ type = \"integer\" }}\n"),
    );
    plan_apply(dir.path(), &db.conninfo, "v3", &[]);
    psql(&db, "GRANT SELECT ON u TO pv_drift");
    assert_clean(dir.path(), &db.conninfo);
    // Rolled back: the down files restore the grants of each version.
    ok(schemactl_db(
        dir.path(),
        &db.conninfo,
        &["rollback", "--to", "1", "--allow", "deletes_data"],
    ));
    let has: bool = db
        .connect()
        .query_one(
            "SELECT has_table_privilege('pv_drift', 'public.v', 'INSERT')",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(has);
}

#[test]
fn a_grant_to_a_missing_role_fails_apply_before_anything_runs() {
    let db = support::test_db();
    let dir = project(&[("schemactl.toml", CONFIG)]);
    write_schema(
        dir.path(),
        r#"
[tables.t]
grants = { "pv no such role" = ["select"], pv_missing_too = ["insert"], public = ["select"] }

[tables.t.columns]
id = { type = "integer" }
"#,
    );
    ok(schemactl(dir.path(), &["plan", "-m", "v1"]));
    let out = schemactl_db(dir.path(), &db.conninfo, &["apply"]);
    let err = support::project::text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("pv no such role") && err.contains("pv_missing_too"),
        "{err}"
    );
    assert!(err.contains("CREATE ROLE"), "{err}");
    assert!(!err.contains("`public`"), "{err}");
    let tables: i64 = db
        .connect()
        .query_one(
            "SELECT count(*) FROM pg_class WHERE relname = 't' AND relnamespace = 'public'::regnamespace",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(tables, 0, "nothing may run");
    psql(
        &db,
        r#"DO $$ BEGIN CREATE ROLE "pv no such role" NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
           DO $$ BEGIN CREATE ROLE pv_missing_too NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$"#,
    );
    ok(schemactl_db(dir.path(), &db.conninfo, &["apply"]));
    assert_clean(dir.path(), &db.conninfo);
}

#[test]
fn bad_privileges_and_roles_are_errors_with_locations() {
    let dir = project(&[("schemactl.toml", CONFIG)]);
    write_schema(
        dir.path(),
        r#"
[tables.t]
grants = { app = ["selct"], "" = ["select"] }

[tables.t.columns]
id = { type = "integer", grants = { app = ["delete"] } }

[sequences.s]
grants = { app = ["insert"], x = "select" }
"#,
    );
    let out = schemactl(dir.path(), &["check"]);
    let err = support::project::text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("`selct` is not a privilege of a table or view"),
        "{err}"
    );
    assert!(err.contains("did you mean `select`?"), "{err}");
    assert!(
        err.contains("`delete` is not a privilege of a column"),
        "{err}"
    );
    assert!(
        err.contains("`insert` is not a privilege of a sequence"),
        "{err}"
    );
    assert!(err.contains("role name is empty"), "{err}");
    assert!(err.contains("main.toml:3:"), "{err}");
}

#[test]
fn default_privileges_are_altered_changed_and_rolled_back() {
    let mut s = Steps::new();
    roles(&mut s, &["pv_dp_owner", "pv_dp_reader"]);
    let v1 = r#"
[[default_privileges]]
for_role = "pv_dp_owner"
on = "tables"
grants = { pv_dp_reader = ["select"] }

[tables.t.columns]
id = { type = "integer" }
"#;
    let sql = s.step(v1);
    assert!(
        sql.contains(r#"ALTER DEFAULT PRIVILEGES FOR ROLE "pv_dp_owner" IN SCHEMA "public" GRANT SELECT ON TABLES TO "pv_dp_reader";"#),
        "{sql}"
    );
    let v2 = r#"
[[default_privileges]]
for_role = "pv_dp_owner"
on = "tables"
grants = { pv_dp_reader = ["insert", "select"] }

[[default_privileges]]
for_role = "pv_dp_owner"
on = "sequences"
grants = { pv_dp_reader = ["usage"] }

[[default_privileges]]
for_role = "pv_dp_owner"
on = "functions"
grants = { pv_dp_reader = ["execute"] }

[tables.t.columns]
id = { type = "integer" }
"#;
    let sql = s.step(v2);
    assert!(
        sql.contains(r#"GRANT INSERT ON TABLES TO "pv_dp_reader";"#),
        "{sql}"
    );
    assert!(
        sql.contains(r#"GRANT USAGE ON SEQUENCES TO "pv_dp_reader";"#),
        "{sql}"
    );
    let v3 = r#"
[[default_privileges]]
for_role = "pv_dp_owner"
on = "tables"
grants = {}

[tables.t.columns]
id = { type = "integer" }
"#;
    let sql = s.step(v3);
    assert!(
        sql.contains(r#"ALTER DEFAULT PRIVILEGES FOR ROLE "pv_dp_owner" IN SCHEMA "public" REVOKE INSERT, SELECT ON TABLES FROM "pv_dp_reader";"#),
        "{sql}"
    );
    let n: i64 =
        s.one("SELECT count(*) FROM pg_default_acl WHERE defaclrole = 'pv_dp_owner'::regrole");
    assert_eq!(n, 0);
    s.unwind();
}

#[test]
fn managed_roles_are_created_nologin_by_apply() {
    let db = support::test_db();
    let dir = project(&[(
        "schemactl.toml",
        "[project]\nschemas = [\"public\"]\n\n[roles]\nmanage = true\nnames = [\"pv_managed\", \"pv Managed 2\"]\n",
    )]);
    write_schema(
        dir.path(),
        r#"
[tables.t]
grants = { pv_managed = ["select"], "pv Managed 2" = ["insert"] }

[tables.t.columns]
id = { type = "integer" }
"#,
    );
    plan_apply(dir.path(), &db.conninfo, "v1", &[]);
    let rows = db
        .connect()
        .query(
            "SELECT rolname::text, rolcanlogin FROM pg_roles WHERE rolname IN ('pv_managed', 'pv Managed 2') ORDER BY 1",
            &[],
        )
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| !r.get::<_, bool>(1)), "NOLOGIN");
    // Passwords (or any other key) are not accepted.
    std::fs::write(
        dir.path().join("schemactl.toml"),
        "[project]\nschemas = [\"public\"]\n\n[roles]\nmanage = true\nnames = [\"pv_managed\"]\npassword = \"x\"\n",
    )
    .unwrap();
    let out = schemactl(dir.path(), &["check"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("unknown key `password`"));
}

#[test]
fn routines_get_execute_grants_public_loses_its_default_and_recreated_ones_get_theirs_back() {
    let mut s = Steps::new();
    roles(&mut s, &["pv_fn_app", "pv_fn_admin"]);
    let v1 = r#"
[functions.add]
args = [{ name = "a", type = "integer" }, { name = "b", type = "integer" }]
returns = "integer"
language = "sql"
body = "SELECT a + b"
grants = { pv_fn_app = ["execute"] }

[[functions.label]]
args = [{ type = "integer" }]
returns = "text"
language = "sql"
body = "SELECT $1::text"
grants = { pv_fn_app = ["all"], public = ["execute"] }

[[functions.label]]
args = [{ type = "text" }]
returns = "text"
language = "sql"
body = "SELECT $1"

[procedures.tidy]
language = "sql"
body = "SELECT 1"
grants = { pv_fn_admin = ["execute"] }

[aggregates.total]
args = ["integer"]
sfunc = "int4pl"
stype = "integer"
grants = { pv_fn_app = ["execute"] }
"#;
    let sql = s.step(v1);
    assert!(
        sql.contains(r#"REVOKE EXECUTE ON FUNCTION "public"."add"(integer, integer) FROM PUBLIC;"#),
        "{sql}"
    );
    assert!(
        sql.contains(
            r#"GRANT EXECUTE ON FUNCTION "public"."add"(integer, integer) TO "pv_fn_app";"#
        ),
        "{sql}"
    );
    assert!(
        sql.contains(r#"GRANT EXECUTE ON PROCEDURE "public"."tidy"() TO "pv_fn_admin";"#),
        "{sql}"
    );
    assert!(
        sql.contains(r#"GRANT EXECUTE ON FUNCTION "public"."total"(integer) TO "pv_fn_app";"#),
        "{sql}"
    );
    // The overload that keeps PUBLIC's default and the one that declares nothing: no lines.
    assert!(
        !sql.contains(r#"ON FUNCTION "public"."label"(integer) FROM"#),
        "{sql}"
    );
    assert!(!sql.contains(r#""label"(text) TO"#), "{sql}");
    assert!(has(
        &mut s,
        "SELECT has_function_privilege('pv_fn_app', 'public.add(integer, integer)', 'EXECUTE')"
    ));
    assert!(!has(
        &mut s,
        "SELECT has_function_privilege('pv_fn_admin', 'public.add(integer, integer)', 'EXECUTE')"
    ));
    assert!(has(
        &mut s,
        "SELECT has_function_privilege('pv_fn_admin', 'public.tidy()', 'EXECUTE')"
    ));

    // A new signature drops and creates `add`: it starts from PUBLIC's default again, so the
    // revoke and the grant are planned again; `total` gives `pv_fn_admin` execute too.
    let v2 = r#"
[functions.add]
args = [{ name = "a", type = "bigint" }, { name = "b", type = "bigint" }]
returns = "bigint"
language = "sql"
body = "SELECT a + b"
grants = { pv_fn_app = ["execute"] }

[[functions.label]]
args = [{ type = "integer" }]
returns = "text"
language = "sql"
body = "SELECT $1::text"
grants = { pv_fn_app = ["all"], public = ["execute"] }

[[functions.label]]
args = [{ type = "text" }]
returns = "text"
language = "sql"
body = "SELECT $1"

[procedures.tidy]
language = "sql"
body = "SELECT 2"
grants = { pv_fn_admin = ["execute"] }

[aggregates.total]
args = ["integer"]
sfunc = "int4pl"
stype = "integer"
grants = { pv_fn_app = ["execute"], pv_fn_admin = ["execute"] }
"#;
    let sql = s.step(v2);
    assert!(
        sql.contains(r#"REVOKE EXECUTE ON FUNCTION "public"."add"(bigint, bigint) FROM PUBLIC;"#),
        "{sql}"
    );
    assert!(
        sql.contains(r#"GRANT EXECUTE ON FUNCTION "public"."add"(bigint, bigint) TO "pv_fn_app";"#),
        "{sql}"
    );
    // A changed body is CREATE OR REPLACE, which keeps the privileges: nothing re-granted.
    assert!(!sql.contains(r#"ON PROCEDURE "public"."tidy"()"#), "{sql}");
    assert!(
        sql.contains(r#"GRANT EXECUTE ON FUNCTION "public"."total"(integer) TO "pv_fn_admin";"#),
        "{sql}"
    );

    // Granted by hand on a managed function: drift, named as a function.
    s.client
        .batch_execute(r#"GRANT EXECUTE ON FUNCTION public.add(bigint, bigint) TO pv_fn_admin"#)
        .unwrap();
    let live = read_public(&mut s.client);
    let declared = s.models.last().unwrap().clone();
    let d = schemactl::diff::diff(&declared, &live);
    let lines: Vec<String> = d
        .iter()
        .filter_map(|c| c.deviation(&declared, &live))
        .collect();
    assert_eq!(
        lines,
        vec![
            "extra in the database: execute on function public.add(bigint, bigint) to pv_fn_admin"
                .to_string()
        ],
    );
    s.client
        .batch_execute(r#"REVOKE EXECUTE ON FUNCTION public.add(bigint, bigint) FROM pv_fn_admin"#)
        .unwrap();
    s.unwind();
}
