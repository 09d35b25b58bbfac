//! Partitioned tables and partitions on real PostgreSQL: created from TOML, read back equal
//! (drift clean both ways) after every step, changed (new partition, other bounds, other
//! parent, dropped partition, plain ↔ partitioned), rolled back with the down files, and the
//! Pagila `payment` shape loaded the way `pg_dump` writes it reads back equal to its TOML.

mod support;

use std::time::Duration;

use schemactl::apply::{self, History};
use schemactl::catalog::{self, ReadOptions};
use schemactl::commands::{Exit, Global, plan};
use schemactl::diff::diff;
use schemactl::migrations::{self, Layout};
use schemactl::model::Model;
use schemactl::plan::Policy;
use support::project::*;

fn plan_with(dir: &std::path::Path, name: &str, allow: bool) -> schemactl::commands::Outcome {
    let g = Global {
        project: Some(dir.to_path_buf()),
        ..Global::default()
    };
    plan::run(
        &g,
        &plan::Options {
            name: Some(name.into()),
            allow: if allow {
                vec![schemactl::plan::Hazard::DeletesData]
            } else {
                vec![]
            },
            ..Default::default()
        },
    )
}

fn read_public(client: &mut postgres::Client) -> Model {
    let cat = catalog::read(
        client,
        &ReadOptions {
            schemas: vec!["public".into()],
            ignore: vec![],
            history_schema: "schemactl".into(),
        },
    )
    .unwrap();
    assert!(cat.skipped.is_empty(), "skipped: {:?}", cat.skipped);
    cat.model
}

fn compile_with_head(dir: &std::path::Path) -> Model {
    let loaded = schemactl::compile::load_project(dir);
    let head = std::fs::read_to_string(dir.join("snapshots/head.toml")).unwrap();
    let head = schemactl::model::snapshot::from_toml(&head).unwrap();
    schemactl::compile::compile(&loaded.project, &loaded.raw, loaded.diags, Some(&head))
        .unwrap_or_else(|d| panic!("{d:?}"))
        .model
}

/// A project applied step by step to one database.
struct Live {
    _db: support::TestDb,
    dir: tempfile::TempDir,
    client: postgres::Client,
    /// The model after each applied version (index = version - 1).
    models: Vec<Model>,
}

impl Live {
    fn new() -> Live {
        let db = support::test_db();
        let client = db.connect();
        Live {
            _db: db,
            dir: project(&[]),
            client,
            models: Vec::new(),
        }
    }

    /// Write `schema`, plan it (allowing data loss), apply it, assert drift clean both
    /// ways, and return the migration's up SQL.
    fn step(&mut self, schema: &str) -> String {
        let dir = self.dir.path();
        std::fs::create_dir_all(dir.join("schema")).unwrap();
        std::fs::write(dir.join("schema/s.toml"), schema).unwrap();
        let name = format!("v{}", self.models.len() + 1);
        let out = plan_with(dir, &name, true);
        assert_eq!(out.exit, Exit::Ok, "{}{}", out.stdout, out.stderr);
        let chain = migrations::load(&Layout::new(dir)).unwrap_or_else(|p| panic!("{p:?}"));
        let last = chain.migrations.last().unwrap();
        let opts = apply::Options {
            lock_timeout: Duration::from_secs(30),
            ..Default::default()
        };
        let history = History {
            schema: "schemactl".into(),
        };
        if let Err(e) = apply::apply(&mut self.client, &history, &chain, &opts) {
            panic!("apply failed: {e}\n{}", last.up);
        }
        let model = compile_with_head(dir);
        self.assert_reads_back(&model, &last.up);
        self.models.push(model);
        last.up.clone()
    }

    fn assert_reads_back(&mut self, model: &Model, sql: &str) {
        let read = read_public(&mut self.client);
        let changes = diff(&read, model);
        assert!(changes.is_empty(), "drift: {changes:#?}\n{sql}");
        assert!(diff(model, &read).is_empty(), "drift (reverse)\n{sql}");
    }

    /// Roll back to `version` and assert the catalog reads back as that version.
    fn back_to(&mut self, version: usize) {
        let chain = migrations::load(&Layout::new(self.dir.path())).unwrap();
        let history = History {
            schema: "schemactl".into(),
        };
        if let Err(e) = apply::rollback(
            &mut self.client,
            &history,
            &chain,
            version as u32,
            &["deletes_data".to_string()],
            &Policy::default(),
            Duration::from_secs(10),
        ) {
            panic!("rollback failed: {e}");
        }
        let expected = if version == 0 {
            let mut m = Model::default();
            m.schemas.insert("public".into(), Default::default());
            m
        } else {
            self.models[version - 1].clone()
        };
        self.assert_reads_back(&expected, "(rollback)");
    }

    fn count(&mut self, sql: &str) -> i64 {
        self.client.query_one(sql, &[]).unwrap().get(0)
    }
}

/// A migration without its parent link, for snapshots.
fn reviewable(sql: &str) -> String {
    sql.lines()
        .filter(|l| !l.starts_with("-- parent: "))
        .collect::<Vec<_>>()
        .join("\n")
}

const PAYMENT: &str = r#"
[tables.customer]
primary_key = ["customer_id"]
[tables.customer.columns]
customer_id = { type = "integer" }

[tables.payment]
comment = "Payments, one partition per month"
primary_key = ["payment_date", "payment_id"]
partition_by = { strategy = "range", keys = ["payment_date"] }
[tables.payment.columns]
payment_id = { type = "serial" }
customer_id = { type = "integer" }
amount = { type = "numeric(5,2)" }
payment_date = { type = "timestamptz" }
uuid = { type = "uuid", default_sql = "gen_random_uuid()" }
[[tables.payment.indexes]]
name = "payment_uuid_key"
unique = true
columns = ["uuid", "payment_date"]

[tables.payment_p2022_01]
partition_of = "payment"
bounds = { from = "2022-01-01", to = "2022-02-01" }
comment = "January"
[[tables.payment_p2022_01.indexes]]
name = "idx_fk_payment_p2022_01_customer_id"
columns = ["customer_id"]
[[tables.payment_p2022_01.indexes]]
columns = ["customer_id"]
[[tables.payment_p2022_01.foreign_keys]]
columns = ["customer_id"]
references = { table = "customer", columns = ["customer_id"] }

[tables.payment_p2022_02]
partition_of = "payment"
bounds = { from = ["2022-02-01 00:00:00+00"], to = ["2022-03-01 01:00:00+01"] }
[[tables.payment_p2022_02.foreign_keys]]
columns = ["customer_id"]
references = { table = "customer", columns = ["customer_id"] }
"#;

#[test]
fn a_range_partitioned_table_is_created_changed_and_rolled_back() {
    let mut l = Live::new();
    let sql = l.step(PAYMENT);
    insta::assert_snapshot!("payment_created", reviewable(&sql));
    assert!(
        sql.contains("PARTITION BY RANGE (\"payment_date\");"),
        "{sql}"
    );
    assert!(
        sql.contains(
            "CREATE TABLE \"public\".\"payment_p2022_01\" PARTITION OF \"public\".\"payment\" \
             FOR VALUES FROM ('2022-01-01 00:00:00+00') TO ('2022-02-01 00:00:00+00');"
        ),
        "{sql}"
    );
    // The parent before its partitions, whatever the names.
    let parent = sql.find("CREATE TABLE \"public\".\"payment\" (").unwrap();
    let child = sql.find("PARTITION OF").unwrap();
    assert!(parent < child, "{sql}");
    l.client
        .batch_execute(
            "INSERT INTO customer VALUES (1);
             INSERT INTO payment (customer_id, amount, payment_date)
             VALUES (1, 1.50, '2022-01-10'), (1, 2.50, '2022-02-10');",
        )
        .unwrap();
    assert_eq!(l.count("SELECT count(*) FROM payment_p2022_02"), 1);

    // A new partition, a default partition, and February's bounds widened: detach + attach.
    let v2 = PAYMENT.replace("to = [\"2022-03-01 01:00:00+01\"]", "to = [\"2022-04-01\"]")
        + r#"
[tables.payment_p2022_04]
partition_of = "payment"
bounds = { from = "2022-04-01", to = "2022-05-01" }

[tables.payment_other]
partition_of = "payment"
bounds = "default"
"#;
    let sql = l.step(&v2);
    insta::assert_snapshot!("payment_partitions_added_and_rebounded", reviewable(&sql));
    assert!(
        sql.contains(
            "ALTER TABLE \"public\".\"payment\" DETACH PARTITION \"public\".\"payment_p2022_02\";"
        ),
        "{sql}"
    );
    assert!(
        sql.contains("ATTACH PARTITION \"public\".\"payment_p2022_02\" FOR VALUES FROM ('2022-02-01 00:00:00+00') TO ('2022-04-01 00:00:00+00');"),
        "{sql}"
    );
    assert!(
        sql.contains("PARTITION OF \"public\".\"payment\" DEFAULT;"),
        "{sql}"
    );
    assert_eq!(l.count("SELECT count(*) FROM payment"), 2, "rows kept");
    l.client
        .batch_execute("INSERT INTO payment (customer_id, amount, payment_date) VALUES (1, 3, '2022-03-15'), (1, 4, '2030-01-01')")
        .unwrap();
    assert_eq!(l.count("SELECT count(*) FROM payment_p2022_02"), 2);
    assert_eq!(l.count("SELECT count(*) FROM payment_other"), 1);

    // Dropping a partition deletes its rows: refused without the allowance.
    let v3 = v2.replace(
        "[tables.payment_other]\npartition_of = \"payment\"\nbounds = \"default\"\n",
        "",
    );
    std::fs::write(l.dir.path().join("schema/s.toml"), &v3).unwrap();
    let refused = plan_with(l.dir.path(), "v3", false);
    assert_eq!(refused.exit, Exit::No, "{}", refused.stdout);
    assert!(
        refused.stderr.contains("deletes_data"),
        "{}",
        refused.stderr
    );
    let sql = l.step(&v3);
    assert!(
        sql.contains("DROP TABLE \"public\".\"payment_other\";"),
        "{sql}"
    );
    assert_eq!(l.count("SELECT count(*) FROM payment"), 3);

    // Down files: back to v2 (the default partition again, empty), then v1: February's
    // bounds narrow again, which fails while a March row is in it (may_fail_on_data).
    l.back_to(2);
    l.client
        .batch_execute("DELETE FROM payment WHERE payment_date >= '2022-03-01'")
        .unwrap();
    l.back_to(1);
    assert_eq!(
        l.count("SELECT count(*) FROM payment_p2022_02"),
        1,
        "detach + attach back keeps the rows"
    );
    l.back_to(0);
}

#[test]
fn list_hash_expression_keys_and_sub_partitions_read_back_equal() {
    let mut l = Live::new();
    l.step(
        r#"
[tables.events]
partition_by = { strategy = "list", keys = [{ expr = "lower(kind)" }] }
[tables.events.columns]
id = { type = "bigint" }
kind = { type = "text" }
at = { type = "date" }
[[tables.events.checks]]
name = "events_id_positive"
expr = "id > 0"

[tables.events_ab]
partition_of = "events"
bounds = { in = ["a", "b"] }
partition_by = { strategy = "range", keys = ["at", "id"] }

[tables.events_ab_old]
partition_of = "events_ab"
bounds = { from = ["MINVALUE", "MINVALUE"], to = ["2020-01-01", 0] }
[[tables.events_ab_old.checks]]
name = "events_ab_old_kind_check"
expr = "kind <> 'x'"

[tables.events_ab_new]
partition_of = "events_ab"
bounds = { from = ["2020-01-01", 0], to = ["MAXVALUE", "MAXVALUE"] }
[[tables.events_ab_new.indexes]]
columns = ["at"]

[tables.events_rest]
partition_of = "events"
bounds = "default"

[tables.h]
partition_by = { strategy = "hash", keys = ["id", { expr = "id + 1" }] }
[tables.h.columns]
id = { type = "integer" }

[tables.h0]
partition_of = "h"
bounds = { modulus = 2, remainder = 0 }

[tables.h1]
partition_of = "h"
bounds = { modulus = 2, remainder = 1 }
"#,
    );
    l.client
        .batch_execute("INSERT INTO events VALUES (1, 'A', '2019-05-01'), (2, 'b', '2021-01-01'), (3, 'z', '2021-01-01'); INSERT INTO h SELECT generate_series(1, 10)")
        .unwrap();
    assert_eq!(l.count("SELECT count(*) FROM events_ab_old"), 1);
    assert_eq!(l.count("SELECT count(*) FROM events_rest"), 1);
    assert_eq!(
        l.count("SELECT count(*) FROM h0") + l.count("SELECT count(*) FROM h1"),
        10
    );
    l.back_to(0);
}

#[test]
fn plain_and_partitioned_are_different_tables_and_switching_deletes_data() {
    let plain = r#"
[tables.m]
primary_key = ["id", "at"]
[tables.m.columns]
id = { type = "integer" }
at = { type = "date" }

[tables.r]
[tables.r.columns]
m_id = { type = "integer" }
m_at = { type = "date" }
[[tables.r.foreign_keys]]
columns = ["m_id", "m_at"]
references = { table = "m", columns = ["id", "at"] }
"#;
    let mut l = Live::new();
    l.step(plain);
    let partitioned = plain.replace(
        "[tables.m]\n",
        "[tables.m]\npartition_by = { strategy = \"range\", keys = [\"at\"] }\n",
    ) + "\n[tables.m_all]\npartition_of = \"m\"\nbounds = { from = \"MINVALUE\", to = \"MAXVALUE\" }\n";
    std::fs::write(l.dir.path().join("schema/s.toml"), &partitioned).unwrap();
    let refused = plan_with(l.dir.path(), "v2", false);
    assert_eq!(refused.exit, Exit::No, "{}", refused.stdout);
    assert!(
        refused.stdout.contains("drop-table public.m"),
        "the plan says the table is dropped: {}",
        refused.stdout
    );
    assert!(
        refused.stdout.contains("table public.m is dropped and created again, losing its rows (a plain table becomes a partitioned table"),
        "and why: {}",
        refused.stdout
    );
    let sql = l.step(&partitioned);
    // The foreign key to it is dropped first and added again after.
    let fk_drop = sql.find("DROP CONSTRAINT \"r_m_id_m_at_fkey\"").unwrap();
    let drop = sql.find("DROP TABLE \"public\".\"m\";").unwrap();
    let create = sql.find("CREATE TABLE \"public\".\"m\" (").unwrap();
    let fk_add = sql.find("ADD CONSTRAINT \"r_m_id_m_at_fkey\"").unwrap();
    assert!(fk_drop < drop && drop < create && create < fk_add, "{sql}");
    // And back: the partitioned table (and its partition) dropped, the plain one created.
    l.step(plain);
    l.back_to(2);
    l.back_to(1);
    l.back_to(0);
}

#[test]
fn renaming_a_partition_and_a_parent_column() {
    let v1 = r#"
[tables.p]
partition_by = { strategy = "list", keys = ["region"] }
[tables.p.columns]
region = { type = "text" }
amount = { type = "integer" }

[tables.p_eu]
partition_of = "p"
bounds = { in = ["eu"] }
[[tables.p_eu.indexes]]
columns = ["amount"]
[[tables.p_eu.checks]]
expr = "amount > 0"
"#;
    let mut l = Live::new();
    l.step(v1);
    l.client
        .batch_execute("INSERT INTO p VALUES ('eu', 5)")
        .unwrap();
    let v2 = v1
        .replace(
            "[tables.p_eu]\n",
            "[tables.p_europe]\nrenamed_from = \"p_eu\"\n",
        )
        .replace("tables.p_eu.", "tables.p_europe.")
        .replace(
            "amount = { type = \"integer\" }",
            "total = { type = \"integer\", renamed_from = \"amount\" }",
        )
        .replace("columns = [\"amount\"]", "columns = [\"total\"]")
        .replace("amount > 0", "total > 0");
    let sql = l.step(&v2);
    assert!(
        sql.contains("ALTER TABLE \"public\".\"p_eu\" RENAME TO \"p_europe\";"),
        "{sql}"
    );
    assert!(!sql.contains("DROP TABLE"), "{sql}");
    assert_eq!(l.count("SELECT sum(total)::int8 FROM p_europe"), 5);
    // The parent renamed: its partitions follow, nothing is detached.
    let v3 = v2
        .replace("[tables.p]\n", "[tables.sales]\nrenamed_from = \"p\"\n")
        .replace("[tables.p.columns]", "[tables.sales.columns]")
        .replace("partition_of = \"p\"", "partition_of = \"sales\"");
    let sql = l.step(&v3);
    assert!(
        sql.contains("ALTER TABLE \"public\".\"p\" RENAME TO \"sales\";"),
        "{sql}"
    );
    assert!(
        !sql.contains("DETACH") && !sql.contains("DROP TABLE"),
        "{sql}"
    );
    assert_eq!(l.count("SELECT sum(total)::int8 FROM sales"), 5);
    l.back_to(2);
    l.back_to(1);
    l.back_to(0);
}

/// Pagila's `payment` as `pg_dump -s` writes it: the partitions created as plain tables and
/// attached, the primary key on the parent (copied onto each partition by PostgreSQL), a
/// unique index on the parent created after the partitions, and foreign keys and indexes
/// of each partition's own. Read back, it equals the TOML that declares the same.
#[test]
fn pagila_payment_loaded_like_pg_dump_equals_its_toml() {
    let db = support::test_db();
    let mut client = db.connect();
    client
        .batch_execute(
            r#"
SET TimeZone = 'Europe/London';
CREATE TABLE public.customer (customer_id integer NOT NULL, CONSTRAINT customer_pkey PRIMARY KEY (customer_id));
CREATE SEQUENCE public.payment_payment_id_seq AS integer;
CREATE TABLE public.payment (
    payment_id integer DEFAULT nextval('public.payment_payment_id_seq'::regclass) NOT NULL,
    customer_id integer NOT NULL,
    amount numeric(5,2) NOT NULL,
    payment_date timestamp with time zone NOT NULL,
    uuid uuid DEFAULT gen_random_uuid() NOT NULL,
    PRIMARY KEY (payment_date, payment_id)
)
PARTITION BY RANGE (payment_date);
ALTER SEQUENCE public.payment_payment_id_seq OWNED BY public.payment.payment_id;
COMMENT ON TABLE public.payment IS 'Payments, one partition per month';
CREATE TABLE public.payment_p2022_01 (
    payment_id integer DEFAULT nextval('public.payment_payment_id_seq'::regclass) NOT NULL,
    customer_id integer NOT NULL,
    amount numeric(5,2) NOT NULL,
    payment_date timestamp with time zone NOT NULL,
    uuid uuid DEFAULT gen_random_uuid() NOT NULL
);
COMMENT ON TABLE public.payment_p2022_01 IS 'January';
CREATE TABLE public.payment_p2022_02 (
    payment_id integer DEFAULT nextval('public.payment_payment_id_seq'::regclass) NOT NULL,
    customer_id integer NOT NULL,
    amount numeric(5,2) NOT NULL,
    payment_date timestamp with time zone NOT NULL,
    uuid uuid DEFAULT gen_random_uuid() NOT NULL
);
ALTER TABLE ONLY public.payment ATTACH PARTITION public.payment_p2022_01 FOR VALUES FROM ('2022-01-01 00:00:00+00') TO ('2022-02-01 00:00:00+00');
ALTER TABLE ONLY public.payment ATTACH PARTITION public.payment_p2022_02 FOR VALUES FROM ('2022-02-01 00:00:00+00') TO ('2022-03-01 01:00:00+01');
CREATE INDEX idx_fk_payment_p2022_01_customer_id ON public.payment_p2022_01 USING btree (customer_id);
CREATE INDEX payment_p2022_01_customer_id_idx ON public.payment_p2022_01 USING btree (customer_id);
CREATE UNIQUE INDEX payment_uuid_key ON public.payment USING btree (uuid, payment_date);
ALTER TABLE ONLY public.payment_p2022_01
    ADD CONSTRAINT payment_p2022_01_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES public.customer(customer_id);
ALTER TABLE ONLY public.payment_p2022_02
    ADD CONSTRAINT payment_p2022_02_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES public.customer(customer_id);
"#,
        )
        .unwrap();
    let read = read_public(&mut client);
    let dir = project(&[("schema/s.toml", PAYMENT)]);
    let model = compile_dir(dir.path());
    let changes = diff(&read, &model);
    assert!(changes.is_empty(), "{changes:#?}");
    assert!(diff(&model, &read).is_empty());
    // The copies PostgreSQL made on the partitions are the parent's, not the partition's.
    let p = read
        .table(&schemactl::model::QualifiedName::new(
            "public",
            "payment_p2022_01",
        ))
        .unwrap();
    assert!(p.primary_key.is_none() && p.columns.is_empty());
    assert_eq!(p.indexes.len(), 2, "{:?}", p.indexes.keys());

    // Through the binary: `diff --db` finds nothing; a partition missing from the database
    // is planned back as a partition, with its own index, foreign key and comment.
    let out = schemactl_db(dir.path(), &db.conninfo, &["diff"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("No differences"),
        "{}",
        text(&out.stdout)
    );
    client
        .batch_execute("DROP TABLE public.payment_p2022_01")
        .unwrap();
    let out = schemactl_db(dir.path(), &db.conninfo, &["diff"]);
    let sql = text(&out.stdout);
    assert!(
        sql.contains("CREATE TABLE \"public\".\"payment_p2022_01\" PARTITION OF \"public\".\"payment\" FOR VALUES FROM ('2022-01-01 00:00:00+00') TO ('2022-02-01 00:00:00+00');"),
        "{sql}"
    );
    assert!(
        sql.contains("\"idx_fk_payment_p2022_01_customer_id\""),
        "{sql}"
    );
    apply_sql(&mut client, &sql);
    let out = schemactl_db(dir.path(), &db.conninfo, &["diff"]);
    assert!(
        text(&out.stdout).starts_with("No differences"),
        "{}",
        text(&out.stdout)
    );

    // `project.ignore` leaves a partition alone, whatever it holds.
    std::fs::write(
        dir.path().join("schemactl.toml"),
        "[project]\nignore = [\"public.payment_p2022_0*\"]\n",
    )
    .unwrap();
    let ignoring = PAYMENT
        .split("[tables.payment_p2022_01]")
        .next()
        .unwrap()
        .to_string();
    std::fs::write(dir.path().join("schema/s.toml"), ignoring).unwrap();
    client.batch_execute("CREATE TABLE public.payment_p2022_03 PARTITION OF public.payment FOR VALUES FROM ('2022-03-01') TO ('2022-04-01')").unwrap();
    let out = schemactl_db(dir.path(), &db.conninfo, &["diff"]);
    assert!(
        text(&out.stdout).starts_with("No differences"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn a_partition_key_column_retyped_recreates_the_table() {
    let v1 = r#"
[tables.t]
partition_by = { strategy = "range", keys = ["k"] }
[tables.t.columns]
k = { type = "integer" }
note = { type = "text", nullable = true }

[tables.t_low]
partition_of = "t"
bounds = { from = "MINVALUE", to = 100 }
"#;
    let mut l = Live::new();
    l.step(v1);
    // A column outside the key changes in place, on the parent only.
    let v2 = v1.replace(
        "note = { type = \"text\"",
        "note = { type = \"varchar(20)\"",
    );
    let sql = l.step(&v2);
    assert!(
        sql.contains(
            "ALTER TABLE \"public\".\"t\" ALTER COLUMN \"note\" TYPE character varying(20);"
        ),
        "{sql}"
    );
    assert!(!sql.contains("DROP TABLE"), "{sql}");
    // The key column: PostgreSQL cannot alter it, so the table and its partition are recreated.
    let v3 = v2.replace("k = { type = \"integer\" }", "k = { type = \"bigint\" }");
    let sql = l.step(&v3);
    let drop_part = sql.find("DROP TABLE \"public\".\"t_low\";").unwrap();
    let drop = sql.find("DROP TABLE \"public\".\"t\";").unwrap();
    let create = sql.find("CREATE TABLE \"public\".\"t\" (").unwrap();
    let create_part = sql
        .find("CREATE TABLE \"public\".\"t_low\" PARTITION OF")
        .unwrap();
    assert!(
        drop_part < drop && drop < create && create < create_part,
        "{sql}"
    );
    l.back_to(2);
    l.back_to(0);
}

/// A sequence OWNED BY a column of a table that switches between plain and partitioned:
/// DROP TABLE would take the sequence along, so it is released before the drop and owned
/// again after the new table exists. Its current value survives; the plan names no rename
/// of the table to itself.
#[test]
fn a_sequence_owned_by_a_switched_table_is_kept_and_owned_again() {
    let plain = r#"
[sequences.m_seq]
start = 100
owned_by = "m.id"

[tables.m]
[tables.m.columns]
id = { type = "integer", default_sql = "nextval('m_seq'::regclass)" }
at = { type = "date" }
"#;
    let mut l = Live::new();
    l.step(plain);
    l.client
        .batch_execute("INSERT INTO m (at) VALUES ('2024-01-01'), ('2024-01-02')")
        .unwrap();
    let partitioned = plain.replace(
        "[tables.m]\n",
        "[tables.m]\npartition_by = { strategy = \"range\", keys = [\"at\"] }\n",
    ) + "\n[tables.m_all]\npartition_of = \"m\"\nbounds = { from = \"MINVALUE\", to = \"MAXVALUE\" }\n";
    std::fs::write(l.dir.path().join("schema/s.toml"), &partitioned).unwrap();
    let refused = plan_with(l.dir.path(), "v2", false);
    assert!(
        !refused.stdout.contains("did you mean to rename table"),
        "a table replaced by itself is no rename: {}",
        refused.stdout
    );
    let sql = l.step(&partitioned);
    let disown = sql
        .find("ALTER SEQUENCE \"public\".\"m_seq\" OWNED BY NONE;")
        .unwrap_or_else(|| panic!("{sql}"));
    let drop = sql.find("DROP TABLE \"public\".\"m\";").unwrap();
    let create = sql.find("CREATE TABLE \"public\".\"m\" (").unwrap();
    let own = sql
        .find("ALTER SEQUENCE \"public\".\"m_seq\" OWNED BY \"public\".\"m\".\"id\";")
        .unwrap_or_else(|| panic!("{sql}"));
    assert!(disown < drop && drop < create && create < own, "{sql}");
    assert_eq!(
        l.count("SELECT nextval('m_seq')"),
        102,
        "the sequence kept its value"
    );
    // And back to a plain table.
    let sql = l.step(plain);
    assert!(sql.contains("OWNED BY NONE"), "{sql}");
    assert_eq!(l.count("SELECT nextval('m_seq')"), 103);
    l.back_to(2);
    l.back_to(1);
    l.back_to(0);
}

/// A new partition beside an existing default partition: PostgreSQL scans the default
/// partition (locking it) and fails if it holds a row that belongs in the new one. The
/// step says so; applied with such a row, the migration fails (exit 3) and rolls back.
#[test]
fn a_partition_added_beside_a_default_partition_may_fail_on_its_rows() {
    let v1 = r#"
[tables.p]
partition_by = { strategy = "list", keys = ["region"] }
[tables.p.columns]
region = { type = "text" }
amount = { type = "integer" }

[tables.p_eu]
partition_of = "p"
bounds = { in = ["eu"] }

[tables.p_other]
partition_of = "p"
bounds = "default"
"#;
    let mut l = Live::new();
    let sql = l.step(v1);
    // Created together with its default partition: nothing to scan.
    assert!(!sql.contains("may_fail_on_data"), "{sql}");
    l.client
        .batch_execute("INSERT INTO p VALUES ('eu', 1), ('us', 2)")
        .unwrap();
    let v2 = format!("{v1}\n[tables.p_us]\npartition_of = \"p\"\nbounds = {{ in = [\"us\"] }}\n");
    std::fs::write(l.dir.path().join("schema/s.toml"), &v2).unwrap();
    let out = plan_with(l.dir.path(), "v2", false);
    assert_eq!(out.exit, Exit::Ok, "{}{}", out.stdout, out.stderr);
    let chain = migrations::load(&Layout::new(l.dir.path())).unwrap();
    let up = &chain.migrations.last().unwrap().up;
    let create = up
        .lines()
        .position(|x| x.contains("CREATE TABLE \"public\".\"p_us\" PARTITION OF"))
        .unwrap_or_else(|| panic!("{up}"));
    let header = up.lines().take(create).collect::<Vec<_>>().join("\n");
    let step_header = header.rsplit("-- step").next().unwrap();
    assert!(
        step_header.contains("blocks_writes") && step_header.contains("may_fail_on_data"),
        "{up}"
    );
    // Through the binary: the 'us' row in the default partition fails the migration.
    let out = schemactl_db(l.dir.path(), &l._db.conninfo, &["apply"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("would be violated"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        l.count("SELECT count(*) FROM pg_class WHERE relname = 'p_us'"),
        0,
        "rolled back"
    );
    assert_eq!(l.count("SELECT count(*) FROM p_other"), 1);
    // With the row moved out of the way, it applies.
    l.client
        .batch_execute("DELETE FROM p WHERE region = 'us'")
        .unwrap();
    let out = schemactl_db(l.dir.path(), &l._db.conninfo, &["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let model = compile_with_head(l.dir.path());
    l.assert_reads_back(&model, "(v2)");
}

/// Bound values read back as PostgreSQL stored them: numeric rounded to the key's scale,
/// fractional seconds to the timestamp's precision; a list partition that takes NULL.
/// `infinity` and `-infinity` bounds of date and timestamp keys (any case) are applied and
/// read back equal.
#[test]
fn infinite_date_and_timestamp_bounds_read_back_equal() {
    let mut live = Live::new();
    let sql = live.step(
        r#"
[tables.ev]
partition_by = { strategy = "range", keys = ["d"] }
[tables.ev.columns]
d = { type = "date" }
[tables.ev_old]
partition_of = "ev"
bounds = { from = "-infinity", to = "2020-01-01" }
[tables.ev_new]
partition_of = "ev"
bounds = { from = "2020-01-01", to = "Infinity" }

[tables.lg]
partition_by = { strategy = "range", keys = ["at"] }
[tables.lg.columns]
at = { type = "timestamptz" }
[tables.lg_all]
partition_of = "lg"
bounds = { from = "-infinity", to = "infinity" }
"#,
    );
    assert!(
        sql.contains("FROM ('-infinity') TO ('2020-01-01')"),
        "{sql}"
    );
    assert!(sql.contains("FROM ('2020-01-01') TO ('infinity')"), "{sql}");
}

#[test]
fn bounds_are_stored_rounded_to_the_key_type_and_lists_take_null() {
    let v1 = r#"
[tables.n]
partition_by = { strategy = "range", keys = ["k"] }
[tables.n.columns]
k = { type = "numeric(8,2)" }

[tables.n1]
partition_of = "n"
bounds = { from = 1.005, to = "2.5" }

[tables.n0]
partition_of = "n"
bounds = { from = "-0.001", to = 1.005 }

[tables.ts]
partition_by = { strategy = "range", keys = ["k"] }
[tables.ts.columns]
k = { type = "timestamp(0)" }

[tables.ts1]
partition_of = "ts"
bounds = { from = "2024-01-01 10:00:00.5", to = "2024-01-02 00:00:00.4" }

[tables.tz]
partition_by = { strategy = "range", keys = ["k"] }
[tables.tz.columns]
k = { type = "timestamptz(1)" }

[tables.tz1]
partition_of = "tz"
bounds = { from = "2024-01-01 10:00:00.25+01", to = "2024-01-02 00:00:00.35" }

[tables.l]
partition_by = { strategy = "list", keys = ["k"] }
[tables.l.columns]
k = { type = "text", nullable = true }

[tables.l_ab]
partition_of = "l"
bounds = { in = ["a", "b", "a"], null = true }

[tables.l_c]
partition_of = "l"
bounds = { in = ["c"] }
"#;
    let mut l = Live::new();
    let sql = l.step(v1);
    assert!(
        sql.contains("FOR VALUES FROM ('1.01') TO ('2.50')"),
        "{sql}"
    );
    assert!(
        sql.contains("FOR VALUES FROM ('0.00') TO ('1.01')"),
        "{sql}"
    );
    assert!(
        sql.contains("FOR VALUES FROM ('2024-01-01 10:00:01') TO ('2024-01-02 00:00:00')"),
        "{sql}"
    );
    assert!(sql.contains("FOR VALUES IN ('a', 'b', NULL)"), "{sql}");
    l.client
        .batch_execute("INSERT INTO l VALUES (NULL), ('a')")
        .unwrap();
    assert_eq!(l.count("SELECT count(*) FROM l_ab"), 2);
    // NULL moves to another partition: detached and attached again.
    let v2 = v1
        .replace(
            "bounds = { in = [\"a\", \"b\", \"a\"], null = true }",
            "bounds = { in = [\"a\", \"b\"] }",
        )
        .replace(
            "bounds = { in = [\"c\"] }",
            "bounds = { in = [\"c\"], null = true }",
        );
    l.client
        .batch_execute("DELETE FROM l WHERE k IS NULL")
        .unwrap();
    let sql = l.step(&v2);
    assert!(sql.contains("FOR VALUES IN ('c', NULL)"), "{sql}");
    // A database written with NULL first reads back equal to `null = true`.
    l.client
        .batch_execute(
            "ALTER TABLE l DETACH PARTITION l_c; ALTER TABLE l ATTACH PARTITION l_c FOR VALUES IN (NULL, 'c')",
        )
        .unwrap();
    let model = compile_with_head(l.dir.path());
    l.assert_reads_back(&model, "(NULL first)");
    l.back_to(1);
    l.back_to(0);
}

/// A partition detached by hand is attached again by `diff --db` (not dropped and created):
/// the rows stay. What PostgreSQL made the table's own on detach (the parent's primary key,
/// foreign key and index copies) is dropped first; the attach clones the parent's again.
#[test]
fn a_partition_detached_by_hand_is_attached_again() {
    let v1 = r#"
[tables.c]
primary_key = ["id"]
[tables.c.columns]
id = { type = "integer" }

[tables.p]
primary_key = ["region", "id"]
partition_by = { strategy = "list", keys = ["region"] }
[tables.p.columns]
region = { type = "text" }
id = { type = "integer" }
c_id = { type = "integer", nullable = true }
[[tables.p.indexes]]
columns = ["c_id"]
[[tables.p.foreign_keys]]
columns = ["c_id"]
references = { table = "c", columns = ["id"] }

[tables.p_eu]
partition_of = "p"
bounds = { in = ["eu"] }
[[tables.p_eu.indexes]]
columns = ["id"]
"#;
    let mut l = Live::new();
    l.step(v1);
    l.client
        .batch_execute(
            "INSERT INTO c VALUES (1); INSERT INTO p VALUES ('eu', 1, 1); ALTER TABLE p DETACH PARTITION p_eu",
        )
        .unwrap();
    let dir = l.dir.path().to_path_buf();
    let conninfo = l._db.conninfo.clone();
    let out = schemactl_db(&dir, &conninfo, &["drift"]);
    assert_ne!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let out = schemactl_db(&dir, &conninfo, &["diff"]);
    let sql = text(&out.stdout);
    assert!(
        sql.contains(
            "ALTER TABLE \"public\".\"p\" ATTACH PARTITION \"public\".\"p_eu\" FOR VALUES IN ('eu');"
        ),
        "{sql}"
    );
    assert!(
        !sql.contains("DROP TABLE") && !sql.contains("CREATE TABLE"),
        "{sql}"
    );
    apply_sql(&mut l.client, &sql);
    assert_eq!(l.count("SELECT count(*) FROM p"), 1, "the row stayed");
    let model = compile_with_head(&dir);
    l.assert_reads_back(&model, &sql);
    let out = schemactl_db(&dir, &conninfo, &["drift"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}
