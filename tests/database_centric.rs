//! A database-centric schema on real PostgreSQL (issue 11's done-when), in the style of
//! PostgREST, PostGraphile and Supabase: tables in `app`, secrets and an audit log in
//! `app_private`, a view and entry points in `api`; row-level security on (and forced) on
//! every table with policies per command (one restrictive), SECURITY DEFINER functions with
//! a fixed `search_path`, triggers calling them, grants on schemas, tables, columns,
//! sequences and a view to two NOLOGIN client roles, and default privileges. The project is
//! `tests/fixtures/database_centric/` (`v1`, then `v2`, which changes a function body and
//! policy expressions, revokes grants and adds a trigger).
//!
//! Each version is planned, applied and read back equal (`drift` and `diff --db` clean);
//! the catalog holds what was declared, and the security actually works: the client roles
//! (`SET ROLE`, with the user id in a setting) see and change only the rows the policies
//! give them, and the triggers fire. Then the down files take the database back to v1 and
//! to empty, and `verify --dev` replays the chain in a throwaway server.
//!
//! The roles are managed by the project (`[roles] manage = true`): `apply` creates them
//! NOLOGIN. Roles are cluster-wide and never dropped; the names are `dbc_`-prefixed so no
//! other test uses them.

mod support;

use std::path::{Path, PathBuf};

use postgres::Client;
use support::cli::*;
use support::project::*;

const ANON: &str = "dbc_anon";
const AUTHENTICATED: &str = "dbc_authenticated";
const ADMIN: &str = "dbc_admin";
const SCHEMAS: &str = "('app', 'app_private', 'api')";

fn fixture() -> PathBuf {
    repo_root().join("tests/fixtures/database_centric")
}

/// A temp project with the fixture's config and the schema files of `version`.
fn new_project(version: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture().join("schemactl.toml"),
        dir.path().join("schemactl.toml"),
    )
    .unwrap();
    use_version(dir.path(), version);
    dir
}

/// Replace the project's schema files with those of `version`.
fn use_version(dir: &Path, version: &str) {
    let schema = dir.join("schema");
    if schema.exists() {
        std::fs::remove_dir_all(&schema).unwrap();
    }
    copy_tree(&fixture().join(version).join("schema"), &schema);
}

fn one<T: for<'a> postgres::types::FromSql<'a>>(c: &mut Client, sql: &str) -> T {
    c.query_one(sql, &[])
        .unwrap_or_else(|e| panic!("{sql}: {}", schemactl::devdb::describe_pg_error(&e)))
        .get(0)
}

fn strings(c: &mut Client, sql: &str) -> Vec<String> {
    c.query(sql, &[])
        .unwrap_or_else(|e| panic!("{sql}: {}", schemactl::devdb::describe_pg_error(&e)))
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// Run `sql` as `role` (`SET ROLE`) with the session settings `settings` (name, value), then
/// go back to the test's own role whatever happened. Returns the rows, or the error's
/// SQLSTATE and message.
fn as_role(
    c: &mut Client,
    role: &str,
    settings: &[(&str, &str)],
    sql: &str,
) -> Result<Vec<postgres::Row>, (String, String)> {
    let mut set = format!("SET ROLE \"{role}\";");
    for (name, value) in settings {
        set.push_str(&format!(" SET \"{name}\" = '{value}';"));
    }
    c.batch_execute(&set).unwrap();
    let result = c.query(sql, &[]).map_err(|e| {
        (
            e.code().map(|s| s.code().to_string()).unwrap_or_default(),
            schemactl::devdb::describe_pg_error(&e),
        )
    });
    c.batch_execute("RESET ROLE; RESET ALL;").unwrap();
    result
}

/// The first column of every row `sql` returns as `role`, as text.
fn seen(c: &mut Client, role: &str, settings: &[(&str, &str)], sql: &str) -> Vec<String> {
    as_role(c, role, settings, sql)
        .unwrap_or_else(|e| panic!("{sql} as {role} {settings:?}: {e:?}"))
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// What `sql` as `role` fails with (its SQLSTATE); panics if it succeeds.
fn refused(c: &mut Client, role: &str, settings: &[(&str, &str)], sql: &str) -> String {
    match as_role(c, role, settings, sql) {
        Ok(rows) => panic!(
            "{sql} as {role} {settings:?} succeeded ({} rows)",
            rows.len()
        ),
        Err((code, _)) => code,
    }
}

/// The catalog dump without the history table's schema (which `rollback` keeps).
fn user_catalog(c: &mut Client) -> Vec<String> {
    catalog_dump(c)
        .into_iter()
        .filter(|l| !l.contains("schemactl"))
        .collect()
}

fn has(c: &mut Client, sql: &str) -> bool {
    one::<bool>(c, &format!("SELECT {sql}"))
}

/// `plan` from the project's schema, `apply`, and `drift` and `diff --db` clean. Returns the
/// up SQL.
fn plan_and_apply(dir: &Path, db: &support::TestDb, name: &str) -> String {
    let sql = plan_apply(dir, &db.conninfo, name, &[]);
    let status = ok(schemactl_db(dir, &db.conninfo, &["status"]));
    assert!(status.contains(" 0 pending"), "{status}");
    sql
}

/// What v1 declares is in the catalog.
fn catalog_holds_v1(c: &mut Client) {
    // Row-level security on and forced on every table of the three schemas.
    let tables = strings(
        c,
        &format!(
            "SELECT c.oid::regclass::text || ' ' || c.relrowsecurity || ' ' || c.relforcerowsecurity
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname IN {SCHEMAS} AND c.relkind IN ('r', 'p') ORDER BY 1"
        ),
    );
    assert_eq!(
        tables,
        [
            "app.posts true true",
            "app.users true true",
            "app_private.audit_log true true",
            "app_private.user_secrets true true",
        ]
    );
    // Policies per command: every table covers select, insert, update and delete, one way
    // or another (`*` is ALL).
    let commands = strings(
        c,
        &format!(
            "SELECT c.oid::regclass::text || ' ' || string_agg(p.polcmd::text, '' ORDER BY p.polcmd::text)
             FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname IN {SCHEMAS} GROUP BY c.oid ORDER BY 1"
        ),
    );
    assert_eq!(
        commands,
        [
            "app.posts *adrrw",
            "app.users adrw",
            "app_private.audit_log adrw",
            "app_private.user_secrets *",
        ]
    );
    let restrictive = strings(
        c,
        "SELECT polname::text FROM pg_policy WHERE NOT polpermissive ORDER BY 1",
    );
    assert_eq!(restrictive, ["posts_require_user"]);
    let roles = strings(
        c,
        "SELECT array_to_string(ARRAY(SELECT rolname FROM pg_roles WHERE oid = ANY (polroles) ORDER BY 1), ',')
         FROM pg_policy WHERE polname = 'posts_select_published'",
    );
    assert_eq!(roles, [format!("{ANON},{AUTHENTICATED}")]);

    // SECURITY DEFINER where declared, each with its search_path fixed.
    let functions = strings(
        c,
        &format!(
            "SELECT p.oid::regprocedure::text || ' definer=' || p.prosecdef || ' ' || coalesce(array_to_string(p.proconfig, ';'), '')
             FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname IN {SCHEMAS} ORDER BY 1"
        ),
    );
    assert_eq!(
        functions,
        [
            "api.authenticate(text,text) definer=true search_path=pg_catalog, pg_temp",
            "api.me() definer=true search_path=pg_catalog, pg_temp",
            "app_private.audit() definer=true search_path=pg_catalog, pg_temp",
            "app_private.check_password(text,text) definer=true search_path=pg_catalog, pg_temp",
            "app_private.current_user_id() definer=true search_path=pg_catalog, pg_temp",
            "app_private.set_updated_at() definer=false search_path=pg_catalog, pg_temp",
        ]
    );

    // Grants: schemas, tables, columns, sequences, the view.
    for (role, schema, usage) in [
        (ANON, "app", true),
        (AUTHENTICATED, "app", true),
        (ANON, "api", true),
        (AUTHENTICATED, "api", true),
        (ANON, "app_private", false),
        (AUTHENTICATED, "app_private", false),
        (ADMIN, "app_private", true),
    ] {
        assert_eq!(
            has(
                c,
                &format!("has_schema_privilege('{role}', '{schema}', 'USAGE')")
            ),
            usage,
            "{role} usage on {schema}"
        );
    }
    assert!(has(c, "has_schema_privilege('dbc_admin', 'app', 'CREATE')"));
    assert!(!has(c, "has_schema_privilege('dbc_anon', 'app', 'CREATE')"));
    assert!(has(
        c,
        "has_table_privilege('dbc_anon', 'app.posts', 'SELECT')"
    ));
    assert!(!has(
        c,
        "has_table_privilege('dbc_anon', 'app.posts', 'INSERT')"
    ));
    for p in ["SELECT", "INSERT", "UPDATE", "DELETE"] {
        assert!(has(
            c,
            &format!("has_table_privilege('dbc_authenticated', 'app.posts', '{p}')")
        ));
    }
    assert!(has(
        c,
        "has_table_privilege('dbc_anon', 'app.users', 'SELECT')"
    ));
    assert!(!has(
        c,
        "has_table_privilege('dbc_authenticated', 'app.users', 'UPDATE')"
    ));
    assert!(has(
        c,
        "has_column_privilege('dbc_authenticated', 'app.users', 'display_name', 'UPDATE')"
    ));
    assert!(!has(
        c,
        "has_column_privilege('dbc_authenticated', 'app.users', 'username', 'UPDATE')"
    ));
    assert!(has(
        c,
        "has_sequence_privilege('dbc_authenticated', 'app.post_id_seq', 'USAGE')"
    ));
    assert!(!has(
        c,
        "has_sequence_privilege('dbc_anon', 'app.post_id_seq', 'USAGE')"
    ));
    assert!(has(
        c,
        "has_table_privilege('dbc_anon', 'api.posts', 'SELECT')"
    ));
    assert!(!has(
        c,
        "has_table_privilege('dbc_anon', 'api.posts', 'DELETE')"
    ));
    assert!(has(
        c,
        "has_table_privilege('dbc_admin', 'app_private.audit_log', 'SELECT')"
    ));
    assert!(!has(
        c,
        "has_table_privilege('dbc_authenticated', 'app_private.audit_log', 'SELECT')"
    ));

    // Triggers.
    let triggers = strings(
        c,
        &format!(
            "SELECT t.tgrelid::regclass::text || ' ' || t.tgname || ' ' || t.tgfoid::regproc::text
             FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname IN {SCHEMAS} AND NOT t.tgisinternal ORDER BY 1"
        ),
    );
    assert_eq!(
        triggers,
        [
            "app.posts audit app_private.audit",
            "app.posts set_updated_at app_private.set_updated_at",
            "app.users set_updated_at app_private.set_updated_at",
        ]
    );
    assert_eq!(default_acls(c), default_acls_v1());
}

/// `pg_default_acl` of the admin role: schema, class, ACL.
fn default_acls(c: &mut Client) -> Vec<String> {
    strings(
        c,
        "SELECT d.defaclnamespace::regnamespace::text || ' ' || d.defaclobjtype::text || ' '
                || array_to_string(ARRAY(SELECT a::text FROM unnest(d.defaclacl) a ORDER BY 1), ',')
         FROM pg_default_acl d WHERE d.defaclrole = 'dbc_admin'::regrole ORDER BY 1",
    )
}

fn default_acls_v1() -> Vec<String> {
    [
        "api f dbc_authenticated=X/dbc_admin",
        "app S dbc_authenticated=rU/dbc_admin",
        "app r dbc_anon=r/dbc_admin,dbc_authenticated=arwd/dbc_admin",
    ]
    .map(String::from)
    .to_vec()
}

/// Rows, written by the test's own (superuser) role: row-level security does not apply to it.
fn seed(c: &mut Client) {
    c.batch_execute(
        "INSERT INTO app.users (id, username) VALUES (1, 'alice'), (2, 'bob');
         INSERT INTO app_private.user_secrets VALUES (1, 'h1'), (2, 'h2');
         INSERT INTO app.posts (author_id, title, published, updated_at) VALUES
             (1, 'alice public', true, '2000-01-01'),
             (1, 'alice draft', false, '2000-01-01'),
             (2, 'bob draft', false, '2000-01-01');",
    )
    .unwrap();
}

fn audit_log(c: &mut Client) -> Vec<String> {
    strings(
        c,
        "SELECT table_name || ' ' || operation || ' ' || coalesce(row_id::text, '-') || ' ' || coalesce(actor::text, '-')
         FROM app_private.audit_log ORDER BY id",
    )
}

const TITLES: &str = "SELECT title FROM app.posts ORDER BY id";

/// The policies, privileges, SECURITY DEFINER functions and triggers of v1 at work.
fn v1_behaves(c: &mut Client) {
    seed(c);
    // The audit trigger fired for every insert (by the superuser: no actor).
    assert_eq!(
        audit_log(c),
        [
            "app.posts INSERT 1 -",
            "app.posts INSERT 2 -",
            "app.posts INSERT 3 -"
        ]
    );
    let alice = [("app.user_id", "1")];
    let bob = [("app.user_id", "2")];
    // Anonymous clients see published posts, through the table and the view.
    assert_eq!(seen(c, ANON, &[], TITLES), ["alice public"]);
    assert_eq!(
        seen(c, ANON, &[], "SELECT title FROM api.posts ORDER BY id"),
        ["alice public"]
    );
    // A signed-in user sees published posts and their own drafts.
    assert_eq!(
        seen(c, AUTHENTICATED, &alice, TITLES),
        ["alice public", "alice draft"]
    );
    assert_eq!(
        seen(c, AUTHENTICATED, &bob, TITLES),
        ["alice public", "bob draft"]
    );
    // The restrictive policy: the authenticated role without a user id sees nothing.
    assert!(seen(c, AUTHENTICATED, &[], TITLES).is_empty());
    // WITH CHECK: nobody writes a post in another's name.
    assert_eq!(
        refused(
            c,
            AUTHENTICATED,
            &alice,
            "INSERT INTO app.posts (author_id, title) VALUES (2, 'forged') RETURNING id"
        ),
        "42501"
    );
    // Anonymous clients may not write at all.
    assert_eq!(
        refused(
            c,
            ANON,
            &[],
            "INSERT INTO app.posts (author_id, title) VALUES (1, 'x') RETURNING id"
        ),
        "42501"
    );
    // An own post: the sequence privilege lets the default run; the SECURITY DEFINER audit
    // trigger writes to a table the role cannot even see, with the user as actor.
    assert_eq!(
        seen(
            c,
            AUTHENTICATED,
            &alice,
            "INSERT INTO app.posts (author_id, title) VALUES (1, 'alice new') RETURNING title"
        ),
        ["alice new"]
    );
    // (Id 4 went to the refused insert: sequences do not roll back.)
    assert_eq!(audit_log(c).last().unwrap(), "app.posts INSERT 5 1");
    // Updates reach only own rows; the BEFORE UPDATE trigger stamps updated_at.
    assert_eq!(
        seen(
            c,
            AUTHENTICATED,
            &alice,
            "UPDATE app.posts SET body = 'edited' WHERE title IN ('alice draft', 'bob draft') RETURNING title"
        ),
        ["alice draft"]
    );
    assert!(has(
        c,
        "(SELECT updated_at > '2000-01-02' FROM app.posts WHERE title = 'alice draft')"
    ));
    assert!(has(
        c,
        "(SELECT updated_at < '2000-01-02' FROM app.posts WHERE title = 'bob draft')"
    ));
    assert_eq!(audit_log(c).last().unwrap(), "app.posts UPDATE 2 1");
    // Deletes: own drafts only.
    assert_eq!(
        seen(
            c,
            AUTHENTICATED,
            &alice,
            "DELETE FROM app.posts WHERE author_id = 1 RETURNING title"
        ),
        ["alice draft", "alice new"]
    );
    assert_eq!(audit_log(c).len(), 7);
    // Column privilege: a user renames themselves, and nobody else; the username is not
    // theirs to change.
    assert_eq!(
        seen(
            c,
            AUTHENTICATED,
            &alice,
            "UPDATE app.users SET display_name = 'Alice' RETURNING username"
        ),
        ["alice"]
    );
    assert_eq!(
        refused(
            c,
            AUTHENTICATED,
            &alice,
            "UPDATE app.users SET username = 'mallory' RETURNING id"
        ),
        "42501"
    );
    // The private schema is closed to clients.
    assert_eq!(
        refused(
            c,
            AUTHENTICATED,
            &alice,
            "SELECT count(*) FROM app_private.audit_log"
        ),
        "42501"
    );
    // SECURITY DEFINER entry points read what the caller cannot.
    assert_eq!(
        seen(
            c,
            ANON,
            &[],
            "SELECT coalesce(api.authenticate('alice', 'h1')::text, '-')"
        ),
        ["1"]
    );
    assert_eq!(
        seen(
            c,
            ANON,
            &[],
            "SELECT coalesce(api.authenticate('alice', 'nope')::text, '-')"
        ),
        ["-"]
    );
    assert_eq!(
        seen(c, AUTHENTICATED, &bob, "SELECT username FROM api.me()"),
        ["bob"]
    );
    // Writes through the api view run with the caller's rights: the table's policies apply.
    assert_eq!(
        seen(
            c,
            AUTHENTICATED,
            &alice,
            "INSERT INTO api.posts (author_id, title) VALUES (1, 'via api') RETURNING title"
        ),
        ["via api"]
    );
    assert_eq!(
        refused(
            c,
            AUTHENTICATED,
            &alice,
            "INSERT INTO api.posts (author_id, title) VALUES (2, 'forged') RETURNING title"
        ),
        "42501"
    );
    // Default privileges: what the admin role creates later is granted as declared.
    c.batch_execute(
        "SET ROLE dbc_admin; CREATE TABLE app.dp_probe (id int); CREATE SEQUENCE app.dp_probe_seq; RESET ROLE;",
    )
    .unwrap();
    assert!(has(
        c,
        "has_table_privilege('dbc_anon', 'app.dp_probe', 'SELECT')"
    ));
    assert!(has(
        c,
        "has_table_privilege('dbc_authenticated', 'app.dp_probe', 'DELETE')"
    ));
    assert!(has(
        c,
        "has_sequence_privilege('dbc_authenticated', 'app.dp_probe_seq', 'USAGE')"
    ));
    c.batch_execute("DROP TABLE app.dp_probe; DROP SEQUENCE app.dp_probe_seq;")
        .unwrap();
}

/// v2 in the catalog and at work: the user id comes from JWT claims, anonymous clients lost
/// the users table and future tables, users are audited too.
fn v2_behaves(c: &mut Client) {
    assert!(!has(
        c,
        "has_table_privilege('dbc_anon', 'app.users', 'SELECT')"
    ));
    assert!(has(
        c,
        "has_table_privilege('dbc_anon', 'app.posts', 'SELECT')"
    ));
    assert_eq!(
        default_acls(c),
        [
            "api f dbc_authenticated=X/dbc_admin",
            "app S dbc_authenticated=rU/dbc_admin",
            "app r dbc_authenticated=arwd/dbc_admin",
        ]
    );
    let claims = [("request.jwt.claims", r#"{"user_id": 2}"#)];
    assert_eq!(
        seen(c, AUTHENTICATED, &claims, TITLES),
        ["alice public", "bob draft"]
    );
    // The old setting is not looked at any more: no user id, the restrictive policy.
    assert!(seen(c, AUTHENTICATED, &[("app.user_id", "2")], TITLES).is_empty());
    assert_eq!(
        refused(c, ANON, &[], "SELECT username FROM app.users"),
        "42501"
    );
    // The new trigger: a user's change is audited.
    assert_eq!(
        seen(
            c,
            AUTHENTICATED,
            &claims,
            "UPDATE app.users SET display_name = 'Bob' RETURNING username"
        ),
        ["bob"]
    );
    assert_eq!(audit_log(c).last().unwrap(), "app.users UPDATE 2 2");
    // Deleting a published own post is allowed now.
    c.batch_execute("UPDATE app.posts SET published = true WHERE title = 'bob draft'")
        .unwrap();
    assert_eq!(
        seen(
            c,
            AUTHENTICATED,
            &claims,
            "DELETE FROM app.posts RETURNING title"
        ),
        ["bob draft"]
    );
}

#[test]
fn database_centric_schema_plans_applies_reads_back_equal_and_rolls_back() {
    let db = support::test_db();
    let mut c = db.connect();
    let empty = user_catalog(&mut c);
    let dir = new_project("v1");
    ok(schemactl(dir.path(), &["check"]));

    // (1) From empty: plan, apply (which creates the roles), read back equal.
    let up = plan_and_apply(dir.path(), &db, "init");
    for needle in [
        r#"CREATE SCHEMA "app_private";"#,
        "SECURITY DEFINER",
        r#"ALTER TABLE "app"."posts" FORCE ROW LEVEL SECURITY;"#,
        "AS RESTRICTIVE",
        r#"ALTER DEFAULT PRIVILEGES FOR ROLE "dbc_admin" IN SCHEMA "app" GRANT"#,
        r#"GRANT UPDATE ("display_name") ON TABLE "app"."users" TO "dbc_authenticated";"#,
    ] {
        assert!(up.contains(needle), "{needle} not in:\n{up}");
    }
    let roles = strings(
        &mut c,
        "SELECT rolname::text || ' ' || rolcanlogin FROM pg_roles WHERE rolname LIKE 'dbc\\_%' ORDER BY 1",
    );
    assert_eq!(
        roles,
        [
            "dbc_admin false",
            "dbc_anon false",
            "dbc_authenticated false"
        ]
    );
    catalog_holds_v1(&mut c);
    v1_behaves(&mut c);
    // Rows, hand-made probes and sessions leave no drift behind.
    assert_clean(dir.path(), &db.conninfo);

    // (2) A second migration: a function body, policy expressions, revoked grants (table
    // and default privileges), a new trigger.
    use_version(dir.path(), "v2");
    let up = plan_and_apply(dir.path(), &db, "claims");
    for needle in [
        r#"CREATE OR REPLACE FUNCTION "app_private"."current_user_id"()"#,
        r#"ALTER POLICY "posts_select_published" ON "app"."posts""#,
        r#"REVOKE SELECT ON TABLE "app"."users" FROM "dbc_anon";"#,
        r#"ALTER DEFAULT PRIVILEGES FOR ROLE "dbc_admin" IN SCHEMA "app" REVOKE SELECT ON TABLES FROM "dbc_anon";"#,
        r#"CREATE TRIGGER "audit" AFTER INSERT OR DELETE OR UPDATE ON "app"."users""#,
    ] {
        assert!(up.contains(needle), "{needle} not in:\n{up}");
    }
    assert!(!up.contains("DROP"), "nothing is dropped:\n{up}");
    v2_behaves(&mut c);
    assert_clean(dir.path(), &db.conninfo);
    // Nothing left to plan: the snapshot is the schema.
    ok(schemactl(dir.path(), &["plan", "--check"]));

    // (3) Roll back: v2's down file gives v1 back …
    ok(schemactl_db(
        dir.path(),
        &db.conninfo,
        &["rollback", "--to", "1"],
    ));
    catalog_holds_v1(&mut c);
    assert!(has(
        &mut c,
        "has_table_privilege('dbc_anon', 'app.users', 'SELECT')"
    ));
    // … and v1's leaves nothing of the schema (its rows go with it).
    ok(schemactl_db(
        dir.path(),
        &db.conninfo,
        &["rollback", "--to", "0", "--allow", "deletes_data"],
    ));
    assert_eq!(user_catalog(&mut c), empty);
    let left: i64 = one(
        &mut c,
        &format!(
            "SELECT (SELECT count(*) FROM pg_namespace WHERE nspname IN {SCHEMAS})
                  + (SELECT count(*) FROM pg_policy)
                  + (SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal)
                  + (SELECT count(*) FROM pg_default_acl)
                  + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema'))"
        ),
    );
    assert_eq!(left, 0, "something of the schema is left");
    // Roles are cluster-wide: rollback leaves them.
    assert!(has(
        &mut c,
        "EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dbc_authenticated')"
    ));
    // And forward again from empty, as a deploy of the whole chain would.
    ok(schemactl_db(dir.path(), &db.conninfo, &["apply"]));
    assert_clean(dir.path(), &db.conninfo);
}

/// `verify --dev`: the chain replays in a throwaway server (whose cluster has none of the
/// roles until the managed roles are created) to exactly the head snapshot, and the down
/// files take it back to empty.
#[test]
fn database_centric_chain_verifies_in_a_throwaway_server() {
    let dir = new_project("v1");
    let out = ok(schemactl(dir.path(), &["check", "--dev"]));
    assert!(out.contains("PostgreSQL OK"), "{out}");
    ok(schemactl(dir.path(), &["plan", "-m", "init"]));
    use_version(dir.path(), "v2");
    ok(schemactl(dir.path(), &["plan", "-m", "claims"]));
    let out = ok(schemactl(dir.path(), &["verify", "--dev"]));
    assert!(out.contains("Verified"), "{out}");
}

/// Regression: `check --dev` and `verify --dev` run the schema in a throwaway server, which
/// has none of the project's managed roles; they create them as `apply` does instead of
/// failing on the first grant (`role "…" does not exist`, `missing-role`).
#[test]
fn throwaway_servers_get_the_managed_roles() {
    let dir = project(&[
        (
            "schemactl.toml",
            "[project]\nschemas = [\"public\"]\n\n[roles]\nmanage = true\nnames = [\"dbc_dev_only\"]\n",
        ),
        (
            "schema/main.toml",
            "[tables.t]\ngrants = { dbc_dev_only = [\"select\"] }\n\n[tables.t.columns]\nid = { type = \"integer\" }\n",
        ),
    ]);
    let out = ok(schemactl(dir.path(), &["check", "--dev"]));
    assert!(out.contains("PostgreSQL OK"), "{out}");
    ok(schemactl(dir.path(), &["plan", "-m", "init"]));
    let out = ok(schemactl(dir.path(), &["verify", "--dev"]));
    assert!(out.contains("Verified"), "{out}");
}

/// Security-relevant changes made by hand are drift, and the SQL `diff --db` prints puts
/// the declared state back.
#[test]
fn hand_made_security_changes_are_drift_and_diff_repairs_them() {
    let db = support::test_db();
    let mut c = db.connect();
    let dir = new_project("v1");
    plan_and_apply(dir.path(), &db, "init");
    let edits = [
        "ALTER TABLE app.posts NO FORCE ROW LEVEL SECURITY",
        "ALTER TABLE app.users DISABLE ROW LEVEL SECURITY",
        "ALTER FUNCTION app_private.current_user_id() SECURITY INVOKER",
        "ALTER FUNCTION app_private.audit() RESET search_path",
        "CREATE OR REPLACE FUNCTION app_private.current_user_id() RETURNS integer LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$SELECT 1$$",
        "ALTER TABLE app.posts DISABLE TRIGGER audit",
        "DROP TRIGGER set_updated_at ON app.users",
        "DROP POLICY posts_require_user ON app.posts",
        "ALTER POLICY posts_select_published ON app.posts TO dbc_anon, dbc_authenticated USING (true)",
        "ALTER POLICY users_update_self ON app.users TO PUBLIC",
        "CREATE POLICY everything ON app_private.user_secrets USING (true)",
        "GRANT DELETE ON app.users TO dbc_anon",
        "GRANT USAGE ON SCHEMA app_private TO dbc_anon",
        "REVOKE UPDATE (display_name) ON app.users FROM dbc_authenticated",
        "GRANT SELECT (password_hash) ON app_private.user_secrets TO dbc_authenticated",
        "GRANT UPDATE ON SEQUENCE app.post_id_seq TO dbc_anon",
        "ALTER DEFAULT PRIVILEGES FOR ROLE dbc_admin IN SCHEMA app GRANT TRUNCATE ON TABLES TO dbc_anon",
        "ALTER DEFAULT PRIVILEGES FOR ROLE dbc_admin IN SCHEMA app_private GRANT SELECT ON TABLES TO dbc_anon",
        "ALTER DEFAULT PRIVILEGES FOR ROLE dbc_admin IN SCHEMA api REVOKE EXECUTE ON FUNCTIONS FROM dbc_authenticated",
        "ALTER VIEW api.posts SET (security_invoker = false)",
    ];
    for edit in edits {
        c.batch_execute(edit)
            .unwrap_or_else(|e| panic!("{edit}: {}", schemactl::devdb::describe_pg_error(&e)));
        let out = schemactl_db(dir.path(), &db.conninfo, &["drift"]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "not drift: {edit}\n{}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        let out = schemactl_db(dir.path(), &db.conninfo, &["diff"]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "diff finds the edit: {}",
            text(&out.stderr)
        );
        let repair = text(&out.stdout);
        apply_sql(&mut c, &repair);
        let drift = schemactl_db(dir.path(), &db.conninfo, &["drift"]);
        assert_eq!(
            drift.status.code(),
            Some(0),
            "{edit}: still drift after\n{repair}\n{}",
            text(&drift.stdout)
        );
    }
    catalog_holds_v1(&mut c);
}

/// Regression: the helper every policy (and a trigger's `WHEN`) calls gets a new result
/// type, so it is dropped and created again. PostgreSQL refuses to drop a function a policy
/// or a trigger condition calls; those are dropped before and created again after it (no
/// hazard: clients see the same rows), in the up file and in the down file.
#[test]
fn policies_and_trigger_conditions_are_rebuilt_around_a_function_they_call() {
    let db = support::test_db();
    let mut c = db.connect();
    let dir = new_project("v2");
    // Only changes made by a signed-in user are audited on users.
    let p = dir.path().join("schema/app.toml");
    let s = std::fs::read_to_string(&p).unwrap().replace(
        "[tables.users.triggers.audit]\n",
        "[tables.users.triggers.audit]\nwhen = \"app_private.current_user_id() IS NOT NULL\"\n",
    );
    std::fs::write(&p, s).unwrap();
    plan_and_apply(dir.path(), &db, "init");
    let count = "SELECT count(*) FROM pg_policy";
    let policies: i64 = one(&mut c, count);
    let p = dir.path().join("schema/app_private.toml");
    let s = std::fs::read_to_string(&p).unwrap();
    let s = s
        .replacen(
            r#"returns          = "integer""#,
            r#"returns          = "bigint""#,
            1,
        )
        .replace("->> 'user_id')::integer", "->> 'user_id')::bigint");
    std::fs::write(&p, s).unwrap();
    let up = plan_and_apply(dir.path(), &db, "bigint_ids");
    let at = |needle: &str| {
        up.find(needle)
            .unwrap_or_else(|| panic!("{needle} not in:\n{up}"))
    };
    let drop_function = at(r#"DROP FUNCTION "app_private"."current_user_id"();"#);
    let create_function = at(r#"CREATE FUNCTION "app_private"."current_user_id"()"#);
    for policy in [
        r#""posts_require_user" ON "app"."posts""#,
        r#""users_update_self" ON "app"."users""#,
        r#""audit_insert" ON "app_private"."audit_log""#,
    ] {
        assert!(at(&format!("DROP POLICY {policy}")) < drop_function, "{up}");
        assert!(
            at(&format!("CREATE POLICY {policy}")) > create_function,
            "{up}"
        );
    }
    assert!(
        at(r#"DROP TRIGGER "audit" ON "app"."users";"#) < drop_function,
        "{up}"
    );
    assert!(
        at(r#"CREATE TRIGGER "audit" AFTER"#) > create_function,
        "{up}"
    );
    assert!(!up.contains("breaks_clients"), "{up}");
    assert_eq!(one::<i64>(&mut c, count), policies);
    assert_eq!(
        one::<String>(
            &mut c,
            "SELECT prorettype::regtype::text FROM pg_proc WHERE proname = 'current_user_id'"
        ),
        "bigint"
    );
    c.batch_execute(
        "INSERT INTO app.users (id, username) VALUES (1, 'alice');
         INSERT INTO app.posts (author_id, title) VALUES (1, 'draft');",
    )
    .unwrap();
    let claims = [("request.jwt.claims", r#"{"user_id": 1}"#)];
    assert_eq!(seen(&mut c, AUTHENTICATED, &claims, TITLES), ["draft"]);
    seen(
        &mut c,
        AUTHENTICATED,
        &claims,
        "UPDATE app.users SET display_name = 'A' RETURNING username",
    );
    assert_eq!(
        audit_log(&mut c),
        ["app.posts INSERT 1 -", "app.users UPDATE 1 1"]
    );
    // The down file rebuilds them around the old function again.
    ok(schemactl_db(
        dir.path(),
        &db.conninfo,
        &["rollback", "--to", "1"],
    ));
    assert_eq!(one::<i64>(&mut c, count), policies);
    assert_eq!(
        one::<String>(
            &mut c,
            "SELECT prorettype::regtype::text FROM pg_proc WHERE proname = 'current_user_id'"
        ),
        "integer"
    );
    assert_eq!(seen(&mut c, AUTHENTICATED, &claims, TITLES), ["draft"]);
}

/// The audit machinery and the password check go: triggers before their function, the
/// table a SECURITY DEFINER function reads with it; the down file brings everything back.
#[test]
fn dropping_the_audit_machinery_and_rolling_it_back() {
    let db = support::test_db();
    let dir = new_project("v2");
    plan_and_apply(dir.path(), &db, "init");
    let p = dir.path().join("schema/app_private.toml");
    let s = std::fs::read_to_string(&p).unwrap();
    let cut = |s: &str, from: &str, to: &str| {
        let a = s.find(from).unwrap();
        let b = a + s[a..].find(to).unwrap();
        format!("{}{}", &s[..a], &s[b..])
    };
    let s = cut(&s, "\n[functions.audit]", "\n[functions.check_password]");
    let s = cut(
        &s,
        "\n[functions.check_password]",
        "\n[tables.user_secrets]",
    );
    let s = cut(&s, "[tables.user_secrets]", "[tables.audit_log]");
    let s = s[..s.find("[tables.audit_log]").unwrap()].to_string();
    std::fs::write(&p, &s).unwrap();
    let p = dir.path().join("schema/app.toml");
    let s = std::fs::read_to_string(&p).unwrap();
    let s = cut(&s, "[tables.users.triggers.audit]", "[tables.posts]");
    let s = s[..s.find("[tables.posts.triggers.audit]").unwrap()].to_string();
    std::fs::write(&p, &s).unwrap();
    let p = dir.path().join("schema/api.toml");
    let s = std::fs::read_to_string(&p).unwrap();
    let s = cut(&s, "[functions.authenticate]", "# SECURITY DEFINER too");
    std::fs::write(&p, &s).unwrap();
    let up = plan_apply(dir.path(), &db.conninfo, "teardown", &["deletes_data"]);
    let at = |needle: &str| {
        up.find(needle)
            .unwrap_or_else(|| panic!("{needle} not in:\n{up}"))
    };
    let drop_function = at(r#"DROP FUNCTION "app_private"."audit"();"#);
    assert!(at(r#"DROP TRIGGER "audit" ON "app"."posts";"#) < drop_function);
    assert!(at(r#"DROP TRIGGER "audit" ON "app"."users";"#) < drop_function);
    at(r#"DROP TABLE "app_private"."audit_log";"#);
    at(r#"DROP FUNCTION "api"."authenticate"(text, text);"#);
    let mut c = db.connect();
    let triggers = "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal";
    assert_eq!(one::<i64>(&mut c, triggers), 2);
    ok(schemactl_db(
        dir.path(),
        &db.conninfo,
        &["rollback", "--to", "1", "--allow", "deletes_data"],
    ));
    assert_eq!(one::<i64>(&mut c, triggers), 4);
    c.batch_execute("INSERT INTO app.users (id, username) VALUES (1, 'alice')")
        .unwrap();
    assert_eq!(audit_log(&mut c), ["app.users INSERT 1 -"]);
}

/// A secured table and a column its policies use are renamed: the policies, triggers and
/// grants follow (nothing is dropped), the view over it is rebuilt, and it all still works.
#[test]
fn renaming_a_secured_table_and_a_column_its_policies_use() {
    let db = support::test_db();
    let dir = new_project("v2");
    plan_and_apply(dir.path(), &db, "init");
    let p = dir.path().join("schema/app.toml");
    let s = std::fs::read_to_string(&p).unwrap();
    let s = s
        .replace("[tables.posts", "[tables.articles")
        .replace(
            "[tables.articles]\n",
            "[tables.articles]\nrenamed_from = \"posts\"\n",
        )
        .replace(
            "author_id  = { type = \"integer\",",
            "owner_id  = { renamed_from = \"author_id\", type = \"integer\",",
        )
        .replace("author_id =", "owner_id =")
        .replace("columns = [\"author_id\"]", "columns = [\"owner_id\"]");
    std::fs::write(&p, &s).unwrap();
    let p = dir.path().join("schema/api.toml");
    let a = std::fs::read_to_string(&p).unwrap().replace(
        "SELECT id, author_id, title, body, published FROM app.posts",
        "SELECT id, owner_id AS author_id, title, body, published FROM app.articles",
    );
    std::fs::write(&p, &a).unwrap();
    let up = plan_apply(dir.path(), &db.conninfo, "rename", &[]);
    assert!(
        up.contains(r#"ALTER TABLE "app"."posts" RENAME TO "articles";"#),
        "{up}"
    );
    assert!(!up.contains("POLICY") && !up.contains("TRIGGER"), "{up}");
    let mut c = db.connect();
    let policies: i64 = one(
        &mut c,
        "SELECT count(*) FROM pg_policy WHERE polrelid = 'app.articles'::regclass",
    );
    assert_eq!(policies, 6);
    assert!(has(
        &mut c,
        "has_table_privilege('dbc_anon', 'app.articles', 'SELECT')"
    ));
    c.batch_execute(
        "INSERT INTO app.users (id, username) VALUES (2, 'bob');
         INSERT INTO app.articles (owner_id, title) VALUES (2, 'bob draft');",
    )
    .unwrap();
    assert_eq!(
        audit_log(&mut c),
        ["app.users INSERT 2 -", "app.articles INSERT 1 -"]
    );
    let claims = [("request.jwt.claims", r#"{"user_id": 2}"#)];
    assert_eq!(
        seen(
            &mut c,
            AUTHENTICATED,
            &claims,
            "SELECT title FROM api.posts WHERE author_id = 2"
        ),
        ["bob draft"]
    );
    assert!(seen(&mut c, ANON, &[], "SELECT title FROM api.posts").is_empty());
    ok(schemactl_db(
        dir.path(),
        &db.conninfo,
        &["rollback", "--to", "1"],
    ));
    assert_eq!(
        seen(
            &mut c,
            AUTHENTICATED,
            &claims,
            "SELECT title FROM app.posts WHERE author_id = 2"
        ),
        ["bob draft"]
    );
}

/// Regression: default privileges for the role that runs the migrations (Supabase's
/// `ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT … TO anon`) apply to
/// the tables the next migration creates. A table that declares its grants gets exactly
/// those: what the defaults add is revoked (no hazard: the table is new), so the database
/// reads back equal instead of drifting right after `apply`.
#[test]
fn default_privileges_of_the_migrating_role_do_not_leak_onto_new_tables() {
    let db = support::test_db();
    let mut c = db.connect();
    c.batch_execute(
        "DO $$ BEGIN CREATE ROLE dbc_anon NOLOGIN;
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
         DO $$ BEGIN CREATE ROLE dbc_authenticated NOLOGIN;
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;",
    )
    .unwrap();
    let me: String = one(&mut c, "SELECT current_user::text");
    let dir = project(&[("schemactl.toml", CONFIG)]);
    let v1 = format!(
        r#"
[[default_privileges]]
for_role = "{me}"
on = "tables"
grants = {{ dbc_anon = ["select", "insert"], dbc_authenticated = ["select"] }}

[[default_privileges]]
for_role = "{me}"
on = "sequences"
grants = {{ dbc_anon = ["usage"] }}

[tables.a.columns]
id = {{ type = "integer" }}
"#
    );
    write_schema(dir.path(), &v1);
    plan_apply(dir.path(), &db.conninfo, "v1", &[]);
    let v2 = format!(
        r#"{v1}
[tables.b]
grants = {{ dbc_anon = ["select"] }}

[tables.b.columns]
id = {{ type = "integer" }}

[sequences.s]
grants = {{}}

[tables.unmanaged.columns]
id = {{ type = "integer" }}
"#
    );
    write_schema(dir.path(), &v2);
    let up = plan_apply(dir.path(), &db.conninfo, "v2", &[]);
    for needle in [
        r#"REVOKE INSERT ON TABLE "public"."b" FROM "dbc_anon";"#,
        r#"REVOKE SELECT ON TABLE "public"."b" FROM "dbc_authenticated";"#,
        r#"REVOKE USAGE ON SEQUENCE "public"."s" FROM "dbc_anon";"#,
        r#"GRANT SELECT ON TABLE "public"."b" TO "dbc_anon";"#,
    ] {
        assert!(up.contains(needle), "{needle} not in:\n{up}");
    }
    assert!(!up.contains("breaks_clients"), "{up}");
    assert!(!up.contains(r#""public"."unmanaged" FROM"#), "{up}");
    assert!(has(
        &mut c,
        "has_table_privilege('dbc_anon', 'public.b', 'SELECT')"
    ));
    assert!(!has(
        &mut c,
        "has_table_privilege('dbc_anon', 'public.b', 'INSERT')"
    ));
    // Not declared, not managed: the defaults apply as PostgreSQL made them.
    assert!(has(
        &mut c,
        "has_table_privilege('dbc_anon', 'public.unmanaged', 'INSERT')"
    ));
    ok(schemactl_db(
        dir.path(),
        &db.conninfo,
        &["rollback", "--to", "1", "--allow", "deletes_data"],
    ));
}

/// Regression: two deploys that create the same managed role at once. The one whose
/// `CREATE ROLE` waits for the other's uncommitted one gets `unique_violation` (not
/// `duplicate_object`); the role exists all the same, so `apply` goes on.
#[test]
fn a_managed_role_created_meanwhile_by_another_session_is_fine() {
    let db = support::test_db();
    let role = format!("dbc_race_{}", std::process::id());
    let dir = project(&[
        (
            "schemactl.toml",
            &format!(
                "[project]\nschemas = [\"public\"]\n\n[roles]\nmanage = true\nnames = [\"{role}\"]\n"
            ),
        ),
        (
            "schema/main.toml",
            &format!(
                "[tables.t]\ngrants = {{ {role} = [\"select\"] }}\n\n[tables.t.columns]\nid = {{ type = \"integer\" }}\n"
            ),
        ),
    ]);
    ok(schemactl(dir.path(), &["plan", "-m", "init"]));
    let mut other = support::admin_client();
    let mut tx = other.transaction().unwrap();
    tx.batch_execute(&format!("CREATE ROLE \"{role}\" NOLOGIN"))
        .unwrap();
    let (path, conninfo) = (dir.path().to_path_buf(), db.conninfo.clone());
    let deploy = std::thread::spawn(move || schemactl_db(&path, &conninfo, &["apply"]));
    // Let the deploy reach its CREATE ROLE, which waits for this transaction.
    std::thread::sleep(std::time::Duration::from_secs(3));
    tx.commit().unwrap();
    ok(deploy.join().unwrap());
    assert_clean(dir.path(), &db.conninfo);
    // Best effort: roles are cluster-wide, do not leave one per run on a shared server.
    let _ = db
        .connect()
        .batch_execute(&format!("DROP OWNED BY \"{role}\""));
    let _ = other.batch_execute(&format!("DROP ROLE IF EXISTS \"{role}\""));
}
