//! Row-level security on real PostgreSQL: policies created, altered in place (roles,
//! `USING`, `WITH CHECK`), replaced (command, kind, a dropped or retyped column they use),
//! dropped; the table flags enabled, forced and turned off again. Each version reads back
//! equal to the compiled model both ways (drift clean), then every migration is rolled back
//! and each earlier version reads back equal too.

mod support;

use schemactl::compile;
use schemactl::diag::SourceMap;
use support::project::project;
use support::steps::*;

/// Roles are cluster-wide: each test makes its own, named after the test and the process.
fn roles(s: &mut Steps, names: &[&str]) -> Vec<String> {
    let pid = std::process::id();
    let out: Vec<String> = names.iter().map(|n| format!("rls_{n}_{pid}")).collect();
    for r in &out {
        s.client
            .batch_execute(&format!(
                "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{r}') \
                 THEN CREATE ROLE \"{r}\" NOLOGIN; END IF; END $$;"
            ))
            .unwrap();
    }
    out
}

fn drop_roles(s: &mut Steps, roles: &[String]) {
    for r in roles {
        // Best effort: another database of the cluster may still use it.
        let _ = s.client.batch_execute(&format!(
            "DROP OWNED BY \"{r}\"; DROP ROLE IF EXISTS \"{r}\";"
        ));
    }
}

fn policies(s: &mut Steps) -> Vec<(String, String, bool)> {
    s.client
        .query(
            "SELECT polname::text, polcmd::text, polpermissive FROM pg_policy ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

fn flags(s: &mut Steps) -> (bool, bool) {
    let row = s
        .client
        .query_one(
            "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = 'accounts'::regclass",
            &[],
        )
        .unwrap();
    (row.get(0), row.get(1))
}

const COLUMNS: &str = r#"
[tables.accounts.columns]
id = { type = "integer", primary_key = true }
owner = { type = "text" }
amount = { type = "integer" }
note = { type = "text", nullable = true }
"#;

#[test]
fn policies_are_created_altered_replaced_and_dropped_and_roll_back() {
    let mut s = Steps::new();
    let r = roles(&mut s, &["life_a", "life_b"]);
    let (a, b) = (&r[0], &r[1]);

    // v1: RLS on, a select policy for one role, an insert policy with a comment.
    let v1 = format!(
        r#"{COLUMNS}
[tables.accounts]
row_level_security = true

[tables.accounts.policies.own_rows]
command = "select"
roles = ["{a}"]
using = "owner = current_user"

[tables.accounts.policies.positive]
command = "insert"
with_check = "amount > 0"
comment = "no negative amounts"
"#
    );
    let sql = s.step(&v1);
    assert!(
        sql.contains(&format!(
            r#"CREATE POLICY "own_rows" ON "public"."accounts" FOR SELECT TO "{a}" USING (owner = current_user);"#
        )),
        "{sql}"
    );
    assert!(
        sql.contains(
            r#"CREATE POLICY "positive" ON "public"."accounts" FOR INSERT WITH CHECK (amount > 0);"#
        ),
        "{sql}"
    );
    assert!(
        sql.contains(
            r#"COMMENT ON POLICY "positive" ON "public"."accounts" IS 'no negative amounts';"#
        ),
        "{sql}"
    );
    assert!(sql.contains(r#"ALTER TABLE "public"."accounts" ENABLE ROW LEVEL SECURITY;"#));
    // A new table: no client to break.
    assert!(!sql.contains("breaks_clients"), "{sql}");
    assert_eq!(flags(&mut s), (true, false));

    // v2: roles, USING and WITH CHECK changed in place; FORCE; the comment goes.
    let v2 = format!(
        r#"{COLUMNS}
[tables.accounts]
row_level_security = true
force_row_level_security = true

[tables.accounts.policies.own_rows]
command = "select"
roles = ["{b}", "{a}"]
using = "owner = current_user OR amount < 10"

[tables.accounts.policies.positive]
command = "insert"
with_check = "amount > 0 AND note IS NOT NULL"
"#
    );
    let sql = s.step(&v2);
    assert!(
        sql.contains(&format!(
            r#"ALTER POLICY "own_rows" ON "public"."accounts" TO "{a}", "{b}" USING (owner = current_user OR amount < 10);"#
        )),
        "{sql}"
    );
    assert!(
        sql.contains(r#"ALTER POLICY "positive" ON "public"."accounts" TO PUBLIC WITH CHECK (amount > 0 AND note IS NOT NULL);"#),
        "{sql}"
    );
    assert!(sql.contains(r#"COMMENT ON POLICY "positive" ON "public"."accounts" IS NULL;"#));
    assert!(sql.contains(r#"ALTER TABLE "public"."accounts" FORCE ROW LEVEL SECURITY;"#));
    assert!(
        !sql.contains("CREATE POLICY") && !sql.contains("DROP POLICY"),
        "{sql}"
    );
    assert_eq!(flags(&mut s), (true, true));

    // v3: a command change and a kind change replace the policy; one policy dropped; a
    // restrictive one on `note` added.
    let v3 = format!(
        r#"{COLUMNS}
[tables.accounts]
row_level_security = true
force_row_level_security = true

[tables.accounts.policies.own_rows]
roles = ["{b}", "{a}"]
using = "owner = current_user OR amount < 10"
with_check = "owner = current_user"

[tables.accounts.policies.noted]
as = "restrictive"
command = "update"
using = "note <> 'locked'"
"#
    );
    let sql = s.step(&v3);
    assert!(
        sql.contains(r#"DROP POLICY "own_rows" ON "public"."accounts";"#),
        "{sql}"
    );
    assert!(
        sql.contains(r#"DROP POLICY "positive" ON "public"."accounts";"#),
        "{sql}"
    );
    assert!(
        sql.contains(&format!(
            r#"CREATE POLICY "own_rows" ON "public"."accounts" TO "{a}", "{b}" USING (owner = current_user OR amount < 10) WITH CHECK (owner = current_user);"#
        )),
        "{sql}"
    );
    assert!(
        sql.contains(r#"CREATE POLICY "noted" ON "public"."accounts" AS RESTRICTIVE FOR UPDATE USING (note <> 'locked');"#),
        "{sql}"
    );
    assert!(
        sql.find("DROP POLICY \"own_rows\"").unwrap()
            < sql.find("CREATE POLICY \"own_rows\"").unwrap()
    );
    assert_eq!(
        policies(&mut s),
        vec![
            ("noted".to_string(), "w".to_string(), false),
            ("own_rows".to_string(), "*".to_string(), true),
        ]
    );

    // v4: `note` dropped with the policy that uses it (the policy goes first), `amount`
    // retyped under a policy that uses it (dropped before, created again after).
    let v4 = format!(
        r#"
[tables.accounts.columns]
id = {{ type = "integer", primary_key = true }}
owner = {{ type = "text" }}
amount = {{ type = "bigint" }}

[tables.accounts]
row_level_security = true
force_row_level_security = true

[tables.accounts.policies.own_rows]
roles = ["{b}", "{a}"]
using = "owner = current_user OR amount < 10"
with_check = "owner = current_user"
"#
    );
    let sql = s.step(&v4);
    let at = |needle: &str| {
        sql.find(needle)
            .unwrap_or_else(|| panic!("`{needle}` not in\n{sql}"))
    };
    assert!(at("DROP POLICY \"noted\"") < at("DROP COLUMN \"note\""));
    assert!(at("DROP POLICY \"own_rows\"") < at("ALTER COLUMN \"amount\""));
    assert!(at("ALTER COLUMN \"amount\"") < at("CREATE POLICY \"own_rows\""));

    // v5: RLS off again (the policies stay, inactive).
    let v5 = v4
        .replace("force_row_level_security = true\n", "")
        .replace("row_level_security = true\n", "");
    assert!(!v5.contains("row_level_security"));
    let sql = s.step(&v5);
    assert!(sql.contains(r#"ALTER TABLE "public"."accounts" DISABLE ROW LEVEL SECURITY;"#));
    assert!(sql.contains(r#"ALTER TABLE "public"."accounts" NO FORCE ROW LEVEL SECURITY;"#));
    assert_eq!(flags(&mut s), (false, false));

    s.unwind();
    drop_roles(&mut s, &r);
}

#[test]
fn enabling_row_level_security_on_an_existing_table_breaks_clients_and_filters_rows() {
    let mut s = Steps::new();
    let r = roles(&mut s, &["filter"]);
    let reader = &r[0];
    s.step(COLUMNS);
    s.client
        .batch_execute(&format!(
            "INSERT INTO accounts VALUES (1, '{reader}', 5, NULL), (2, 'someone', 7, NULL);
             GRANT SELECT ON accounts TO \"{reader}\";"
        ))
        .unwrap();
    let v2 = format!(
        r#"{COLUMNS}
[tables.accounts]
row_level_security = true

[tables.accounts.policies.mine]
command = "select"
roles = ["{reader}"]
using = "owner = current_user"
"#
    );
    let sql = s.step(&v2);
    let step_of = |needle: &str| {
        let lines: Vec<&str> = sql.lines().collect();
        let at = lines.iter().position(|l| l.contains(needle)).unwrap();
        lines[..at]
            .iter()
            .rev()
            .find(|l| l.starts_with("-- step"))
            .unwrap()
            .to_string()
    };
    assert!(
        step_of("ENABLE ROW LEVEL SECURITY").contains("breaks_clients"),
        "{sql}"
    );
    // A permissive policy on a table that had no row-level security yet narrows nothing.
    assert!(
        !step_of("CREATE POLICY").contains("breaks_clients"),
        "{sql}"
    );
    let visible = |s: &mut Steps| -> i64 {
        let mut tx = s.client.transaction().unwrap();
        tx.batch_execute(&format!("SET LOCAL ROLE \"{reader}\""))
            .unwrap();
        let n: i64 = tx
            .query_one("SELECT count(*) FROM accounts", &[])
            .unwrap()
            .get(0);
        tx.rollback().unwrap();
        n
    };
    assert_eq!(visible(&mut s), 1);
    // Dropping the only permissive policy of a table that keeps RLS on hides every row.
    let v3 = format!(
        r#"{COLUMNS}
[tables.accounts]
row_level_security = true
"#
    );
    let sql = s.step(&v3);
    let lines: Vec<&str> = sql.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("DROP POLICY"))
        .unwrap();
    assert!(
        lines[..at]
            .iter()
            .rev()
            .find(|l| l.starts_with("-- step"))
            .unwrap()
            .contains("breaks_clients"),
        "{sql}"
    );
    assert_eq!(visible(&mut s), 0);
    s.unwind();
    s.client
        .batch_execute(&format!("REVOKE ALL ON accounts FROM \"{reader}\""))
        .ok();
    drop_roles(&mut s, &r);
}

#[test]
fn policy_errors_are_reported_together_with_their_lines() {
    let schema = r#"[tables.t.columns]
id = { type = "integer", primary_key = true }

[tables.t.policies.a]
command = "select"
using = "id > 0"
with_check = "id > 0"

[tables.t.policies.b]
command = "insert"
using = "id > 0"

[tables.t.policies.c]
command = "truncate"
using = "id > 0"

[tables.t.policies.d]
command = "update"

[tables.t.policies.e]
using = "missing_col = 1"
"#;
    let dir = project(&[("schema/s.toml", schema)]);
    let (sources, _, result): (SourceMap, _, _) = compile::compile_project(dir.path());
    let diags = result.expect_err("rejected");
    let mut found: Vec<(usize, &str)> = diags
        .iter()
        .map(|d| (sources.line_col(d.span.file, d.span.range.start).0, d.code))
        .collect();
    found.sort();
    assert_eq!(
        found,
        vec![
            (7, "invalid-value"),
            (11, "invalid-value"),
            (14, "invalid-value"),
            (17, "missing-key"),
            (21, "unknown-column"),
        ],
        "{diags:#?}"
    );
}

#[test]
fn policy_expressions_read_back_equal_follow_a_renamed_column_and_are_renamed() {
    let mut s = Steps::new();
    let r = roles(&mut s, &["expr"]);
    let role = &r[0];
    let v1 = format!(
        r#"
[enums.status]
values = ["open", "closed"]

[tables.docs.columns]
id = {{ type = "integer", primary_key = true }}
tenant_id = {{ type = "integer" }}
owner = {{ type = "text" }}
status = {{ type = "status" }}
created = {{ type = "date" }}
price = {{ type = "numeric(10,2)" }}
public = {{ type = "boolean" }}

[tables.docs]
row_level_security = true

[tables.docs.policies.tenant]
as = "restrictive"
using = "tenant_id = current_setting('app.tenant_id')::integer"
with_check = "tenant_id = current_setting('app.tenant_id')::int"

[tables.docs.policies."Readers & friends"]
command = "select"
roles = ["{role}", "{role}"]
using = "public OR (owner = current_user AND status IN ('open', 'closed'))"

[tables.docs.policies.recent]
command = "update"
roles = ["public"]
using = "created > '2020-01-01' AND price >= 0 AND lower(owner) <> 'nobody'"
"#
    );
    let sql = s.step(&v1);
    assert!(
        sql.contains(r#"CREATE POLICY "Readers & friends""#),
        "{sql}"
    );
    // A renamed column: PostgreSQL rewrites the policies that use it; nothing else to do.
    let v2 = v1
        .replace(
            "owner = {{ type = \"text\" }}",
            "owner_name = {{ type = \"text\", renamed_from = \"owner\" }}",
        )
        .replace(
            "owner = { type = \"text\" }",
            "owner_name = { type = \"text\", renamed_from = \"owner\" }",
        )
        .replace("(owner = current_user", "(owner_name = current_user")
        .replace("lower(owner)", "lower(owner_name)");
    assert!(v2.contains("owner_name = { type"), "{v2}");
    let sql = s.step(&v2);
    assert!(sql.contains("RENAME COLUMN"), "{sql}");
    assert!(!sql.contains("POLICY"), "{sql}");
    // A comment only.
    let v3 = v2.replace(
        "[tables.docs.policies.recent]\n",
        "[tables.docs.policies.recent]\ncomment = \"it's recent\"\n",
    );
    let sql = s.step(&v3);
    assert!(
        sql.contains(r#"COMMENT ON POLICY "recent" ON "public"."docs" IS 'it''s recent';"#),
        "{sql}"
    );
    assert_eq!(sql.matches("POLICY").count(), 1, "{sql}");
    // Renamed (with a changed expression, altered under its new name), and a new policy
    // takes the old name.
    let v4 = v3
        .replace(
            "[tables.docs.policies.recent]\n",
            "[tables.docs.policies.fresh]\nrenamed_from = \"recent\"\n",
        )
        .replace("price >= 0", "price > 0")
        + "\n[tables.docs.policies.recent]\ncommand = \"delete\"\nusing = \"NOT public\"\n";
    let sql = s.step(&v4);
    let at = |needle: &str| {
        sql.find(needle)
            .unwrap_or_else(|| panic!("`{needle}` not in\n{sql}"))
    };
    assert!(
        at(r#"ALTER POLICY "recent" ON "public"."docs" RENAME TO "fresh";"#)
            < at(r#"CREATE POLICY "recent" ON "public"."docs" FOR DELETE USING (NOT public);"#)
    );
    assert!(
        sql.contains(r#"ALTER POLICY "fresh" ON "public"."docs" TO PUBLIC USING"#),
        "{sql}"
    );
    assert!(!sql.contains("DROP POLICY"), "{sql}");
    s.unwind();
    drop_roles(&mut s, &r);
}

#[test]
fn policies_and_flags_changed_by_hand_are_drift() {
    let mut s = Steps::new();
    let v1 = format!(
        r#"{COLUMNS}
[tables.accounts]
row_level_security = true

[tables.accounts.policies.positive]
command = "insert"
with_check = "amount > 0"
"#
    );
    s.step(&v1);
    s.client
        .batch_execute(
            "ALTER TABLE accounts FORCE ROW LEVEL SECURITY;
             ALTER POLICY positive ON accounts WITH CHECK (amount > 1);
             CREATE POLICY by_hand ON accounts USING (true);
             COMMENT ON POLICY positive ON accounts IS 'changed';",
        )
        .unwrap();
    let live = support::project::read_public(&mut s.client);
    let expected = s.models.last().unwrap().clone();
    let mut lines: Vec<String> = schemactl::diff::diff(&expected, &live)
        .iter()
        .filter_map(|c| c.deviation(&expected, &live))
        .collect();
    lines.sort();
    assert_eq!(
        lines,
        vec![
            "different in the database: comment on policy positive on table public.accounts",
            "different in the database: forced row-level security of table public.accounts",
            "different in the database: policy positive on table public.accounts",
            "extra in the database: policy by_hand on table public.accounts",
        ]
    );
    // Dropped by hand: missing.
    s.client
        .batch_execute("DROP POLICY by_hand ON accounts; DROP POLICY positive ON accounts")
        .unwrap();
    let live = support::project::read_public(&mut s.client);
    let lines: Vec<String> = schemactl::diff::diff(&expected, &live)
        .iter()
        .filter_map(|c| c.deviation(&expected, &live))
        .collect();
    assert!(
        lines.contains(
            &"missing from the database: policy positive on table public.accounts".to_string()
        ),
        "{lines:?}"
    );
}
