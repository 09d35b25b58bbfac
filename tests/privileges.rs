//! Privileges on real PostgreSQL: grants on tables, columns, views, sequences, schemas and
//! types are planned, applied and read back equal to the compiled model both ways, changed
//! and revoked, then every migration is rolled back. Roles are cluster-wide and tests run in
//! parallel: each test uses roles of its own name.

mod support;

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

[views.member_names]
query = "SELECT id, name FROM members"
grants = { pv_report = ["all"] }
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
    assert!(
        sql.contains(r#"GRANT INSERT, SELECT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON TABLE "public"."member_names" TO "pv_report";"#),
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

[views.member_names]
query = "SELECT id, name FROM members"
grants = { pv_report = ["select"] }
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

[views.member_names]
query = "SELECT id, name FROM members"
"#;
    let sql = s.plan(v3);
    assert!(!sql.contains("REVOKE") && !sql.contains("GRANT"), "{sql}");
    s.unwind();
}

#[test]
fn extra_grants_made_by_hand_are_drift_and_recreated_views_get_theirs_back() {
    let mut s = Steps::new();
    roles(&mut s, &["pv_drift"]);
    let v1 = r#"
[tables.t]
grants = { pv_drift = ["select"] }

[tables.t.columns]
id = { type = "integer", primary_key = true }
a = { type = "integer" }

[views.v]
query = "SELECT id FROM t"
grants = { pv_drift = ["select"] }
"#;
    s.step(v1);
    s.client
        .batch_execute("GRANT INSERT ON t TO pv_drift; GRANT UPDATE (a) ON t TO PUBLIC")
        .unwrap();
    let live = support::project::read_public(&mut s.client);
    let expected = s.models.last().unwrap().clone();
    let d = schemactl::commands::live::deviations(&expected, &live);
    assert!(
        d.iter()
            .any(|l| l == "extra in the database: insert on relation public.t to pv_drift"),
        "{d:?}"
    );
    assert!(
        d.iter()
            .any(|l| l == "extra in the database: update on column public.t.a to public"),
        "{d:?}"
    );
    s.client
        .batch_execute("REVOKE INSERT ON t FROM pv_drift; REVOKE UPDATE (a) ON t FROM PUBLIC")
        .unwrap();
    // The view changes its columns: dropped and created again, with its grants.
    let v2 = r#"
[tables.t]
grants = { pv_drift = ["select"] }

[tables.t.columns]
id = { type = "integer", primary_key = true }
a = { type = "integer" }

[views.v]
query = "SELECT a, id FROM t"
grants = { pv_drift = ["select"] }
"#;
    let sql = s.step(v2);
    assert!(
        sql.contains(r#"GRANT SELECT ON TABLE "public"."v" TO "pv_drift";"#),
        "{sql}"
    );
    s.unwind();
}
