//! Self-tests of the integration-test harness (`tests/support`) and of `schemactl::devdb`.

mod support;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use schemactl::devdb::Cluster;
use support::{admin_client, connect, test_db, try_with_dbname, with_dbname};

fn database_exists(name: &str) -> bool {
    let row = admin_client()
        .query_one(
            "SELECT count(*) FROM pg_database WHERE datname = $1",
            &[&name],
        )
        .unwrap();
    row.get::<_, i64>(0) == 1
}

fn table_exists(client: &mut postgres::Client, table: &str) -> bool {
    let row = client
        .query_one("SELECT to_regclass($1)::text", &[&table])
        .unwrap();
    row.get::<_, Option<String>>(0).is_some()
}

/// Run by two tests at once: each must start from an empty database of its own, so creating
/// the same table name in both succeeds.
fn create_probe_table_in_own_db() -> String {
    let db = test_db();
    let mut client = connect(&db);
    let current: String = client
        .query_one("SELECT current_database()", &[])
        .unwrap()
        .get(0);
    assert_eq!(current, db.name);
    assert!(!table_exists(&mut client, "harness_probe"));
    client
        .batch_execute("CREATE TABLE harness_probe (id int); INSERT INTO harness_probe VALUES (1)")
        .unwrap();
    let count: i64 = client
        .query_one("SELECT count(*) FROM harness_probe", &[])
        .unwrap()
        .get(0);
    assert_eq!(count, 1);
    db.name.clone()
}

#[test]
fn first_test_gets_its_own_database() {
    let name = create_probe_table_in_own_db();
    assert!(name.starts_with("sct_"), "{name}");
    assert!(name.ends_with("first_test_gets_its_own_database"), "{name}");
}

#[test]
fn second_test_gets_its_own_database() {
    let name = create_probe_table_in_own_db();
    assert!(
        name.ends_with("second_test_gets_its_own_database"),
        "{name}"
    );
}

#[test]
fn tables_are_invisible_across_databases() {
    let a = test_db();
    let b = test_db();
    assert_ne!(a.name, b.name);
    assert_ne!(a.conninfo, b.conninfo);
    let mut ca = connect(&a);
    let mut cb = connect(&b);
    ca.batch_execute("CREATE TABLE only_in_a (x int)").unwrap();
    assert!(table_exists(&mut ca, "only_in_a"));
    assert!(!table_exists(&mut cb, "only_in_a"));
    assert!(cb.batch_execute("SELECT * FROM only_in_a").is_err());
}

#[test]
fn server_is_postgresql_15() {
    let db = test_db();
    let version: String = connect(&db)
        .query_one("SELECT version()", &[])
        .unwrap()
        .get(0);
    assert!(version.starts_with("PostgreSQL "), "{version}");
    if support::is_local_cluster() {
        assert!(version.starts_with("PostgreSQL 15"), "{version}");
    }
}

#[test]
fn local_cluster_settings() {
    let Some(cluster) = support::local_cluster() else {
        return;
    };
    let mut client = cluster.connect("postgres").unwrap();
    let show = |client: &mut postgres::Client, name: &str| -> String {
        client
            .query_one(&format!("SHOW {name}"), &[])
            .unwrap()
            .get(0)
    };
    assert_eq!(show(&mut client, "listen_addresses"), "");
    assert_eq!(show(&mut client, "fsync"), "off");
    assert_eq!(show(&mut client, "server_encoding"), "UTF8");
    assert!(show(&mut client, "max_connections").parse::<u32>().unwrap() >= 100);
    let is_super: bool = client
        .query_one(
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(is_super);
    assert!(
        cluster
            .socket_dir()
            .join(format!(".s.PGSQL.{}", cluster.port()))
            .exists()
    );
}

#[test]
fn dropping_a_test_db_drops_the_database() {
    let db = test_db();
    let name = db.name.clone();
    // An open session must not prevent the drop (WITH (FORCE)).
    let mut client = connect(&db);
    client.batch_execute("CREATE TABLE t (x int)").unwrap();
    assert!(database_exists(&name));
    drop(db);
    assert!(!database_exists(&name));
    assert!(client.batch_execute("SELECT 1").is_err());
}

#[test]
fn parallel_creation_from_threads() {
    let handles: Vec<_> = (0..8)
        .map(|i| {
            std::thread::spawn(move || {
                let db = test_db();
                let mut client = connect(&db);
                client
                    .batch_execute(&format!("CREATE TABLE t{i} (x int)"))
                    .unwrap();
                let n: i64 = client
                    .query_one(
                        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'",
                        &[],
                    )
                    .unwrap()
                    .get(0);
                assert_eq!(n, 1);
                db
            })
        })
        .collect();
    let dbs: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let names: HashSet<_> = dbs.iter().map(|d| d.name.clone()).collect();
    assert_eq!(names.len(), 8);
    for name in &names {
        assert!(database_exists(name));
    }
    drop(dbs);
    for name in &names {
        assert!(!database_exists(name));
    }
}

#[test]
fn test_db_debug_shows_no_conninfo() {
    let db = test_db();
    let debug = format!("{db:?}");
    assert!(debug.contains(&db.name));
    assert!(!debug.contains(&db.conninfo));
}

#[test]
fn swapping_the_database_name() {
    // URL forms.
    assert_eq!(
        with_dbname("postgres://u:p@h:5432/postgres", "x"),
        "postgres://u:p@h:5432/x"
    );
    assert_eq!(with_dbname("postgresql://h", "x"), "postgresql://h/x");
    assert_eq!(
        with_dbname("postgresql://u:p/w@d@h/db?sslmode=disable", "x"),
        "postgresql://u:p/w@d@h/x?sslmode=disable"
    );
    assert_eq!(
        with_dbname("postgresql:///db?host=/tmp/s&dbname=db&port=5", "a b"),
        "postgresql:///a%20b?host=/tmp/s&port=5"
    );
    assert_eq!(
        with_dbname("postgres://h1:1,h2:2/db", "x"),
        "postgres://h1:1,h2:2/x"
    );
    // key=value forms.
    assert_eq!(
        with_dbname("host=/tmp port=5432 user=me dbname=postgres", "x"),
        "host=/tmp port=5432 user=me dbname=x"
    );
    assert_eq!(
        with_dbname("host = h  password='it\\'s a secret'", "x"),
        "host=h password='it\\'s a secret' dbname=x"
    );
    assert_eq!(with_dbname("", "x"), "dbname=x");
    // The results parse as libpq strings.
    let config: postgres::Config = with_dbname("host=/tmp password='a b' dbname=y", "x")
        .parse()
        .unwrap();
    assert_eq!(config.get_dbname(), Some("x"));
    assert_eq!(config.get_password(), Some(&b"a b"[..]));
    let config: postgres::Config = with_dbname("postgres://u:pw@h:1/y", "x").parse().unwrap();
    assert_eq!(config.get_dbname(), Some("x"));
    assert_eq!(config.get_password(), Some(&b"pw"[..]));
}

#[test]
fn invalid_conninfo_error_does_not_echo_it() {
    for bad in ["host=h password=secret junk", "host=h password='secret"] {
        let message = try_with_dbname(bad, "x").unwrap_err();
        assert!(!message.contains("secret"), "{message}");
    }
}

/// A cluster of its own: started, usable, and fully removed by `stop` (idempotent).
#[test]
fn cluster_stop_removes_everything() {
    if std::env::var_os(support::DATABASE_URL_ENV).is_some() {
        return; // only the external server is to be used
    }
    let mut cluster = Cluster::start().unwrap();
    eprintln!("cluster start-up took {:?}", cluster.startup_time());
    let temp_dir = cluster.temp_dir().to_path_buf();
    let conninfo = cluster.create_database("extra").unwrap();
    assert!(conninfo.contains("dbname=extra"));
    let mut client = postgres::Client::connect(&conninfo, postgres::NoTls).unwrap();
    let pid = postmaster_pid(cluster.data_dir());
    assert!(process_alive(pid));
    cluster.stop();
    assert!(!temp_dir.exists());
    assert!(!process_alive(pid));
    assert!(client.batch_execute("SELECT 1").is_err());
    cluster.stop();
}

/// A process that exits without dropping its `Cluster` (as the harness's `static` does) must
/// still leave nothing behind: the watchdog cleans up.
#[test]
fn watchdog_cleans_up_after_process_exit() {
    if std::env::var_os(support::DATABASE_URL_ENV).is_some() {
        return;
    }
    let report = tempfile::NamedTempFile::new().unwrap();
    let status = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "leak_a_cluster_and_exit", "--nocapture"])
        .env("SCHEMACTL_HARNESS_LEAK_REPORT", report.path())
        .status()
        .unwrap();
    assert!(status.success());
    let text = std::fs::read_to_string(report.path()).unwrap();
    let mut lines = text.lines();
    let temp_dir = PathBuf::from(lines.next().expect("child reported its cluster"));
    let pid: u32 = lines.next().unwrap().parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while (temp_dir.exists() || process_alive(pid)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!process_alive(pid), "postmaster {pid} still running");
    assert!(!temp_dir.exists(), "{} still exists", temp_dir.display());
}

/// Helper for `watchdog_cleans_up_after_process_exit`; does nothing unless run by it.
#[test]
fn leak_a_cluster_and_exit() {
    let Some(report) = std::env::var_os("SCHEMACTL_HARNESS_LEAK_REPORT") else {
        return;
    };
    let cluster = Cluster::start().unwrap();
    let pid = postmaster_pid(cluster.data_dir());
    std::fs::write(report, format!("{}\n{pid}\n", cluster.temp_dir().display())).unwrap();
    std::mem::forget(cluster);
    std::process::exit(0);
}

/// Run `try_start_cluster_in_child` in a child process with `env` and return its report.
fn start_in_child(env: &[(&str, &str)]) -> String {
    let report = tempfile::NamedTempFile::new().unwrap();
    let status = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "try_start_cluster_in_child", "--nocapture"])
        .env("SCHEMACTL_HARNESS_START_REPORT", report.path())
        .envs(env.iter().copied())
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::read_to_string(report.path()).unwrap()
}

/// Helper for `start_failures_are_explained`; does nothing unless run by it.
#[test]
fn try_start_cluster_in_child() {
    let Some(report) = std::env::var_os("SCHEMACTL_HARNESS_START_REPORT") else {
        return;
    };
    let text = match Cluster::start() {
        Ok(cluster) => format!("ok {}", cluster.temp_dir().display()),
        Err(e) => format!("err {e}"),
    };
    std::fs::write(report, text).unwrap();
}

#[test]
fn start_failures_are_explained() {
    if std::env::var_os(support::DATABASE_URL_ENV).is_some() {
        return;
    }
    let report = start_in_child(&[("SCHEMACTL_PG_BINDIR", "/nonexistent/bin")]);
    assert!(report.starts_with("err "), "{report}");
    assert!(
        report.contains("SCHEMACTL_PG_BINDIR is /nonexistent/bin"),
        "{report}"
    );
    assert!(
        report.contains("hint: install the PostgreSQL server package"),
        "{report}"
    );
}

fn postmaster_pid(data_dir: &Path) -> u32 {
    std::fs::read_to_string(data_dir.join("postmaster.pid"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

fn process_alive(pid: u32) -> bool {
    // A zombie counts as gone (the watchdog's children are not ours to reap).
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}
