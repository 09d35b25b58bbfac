//! Shared harness for integration tests that need PostgreSQL. Include with `mod support;`.
//!
//! Every call to [`test_db`] creates a fresh, uniquely named database, so tests run in
//! parallel without seeing each other; it is dropped (`WITH (FORCE)`) when the [`TestDb`] is
//! dropped.
//!
//! Which server:
//! - `SCHEMACTL_TEST_DATABASE_URL` set (and non-empty): that server. The URL must name a
//!   database the user can connect to and run `CREATE DATABASE` from (e.g.
//!   `postgres://me:secret@localhost:5432/postgres` or `host=/run/postgresql user=me
//!   dbname=postgres`). Per-test databases are created on the same server, and their
//!   connection strings are the given one with only the database name swapped (see
//!   [`with_dbname`]). Databases left behind by a crashed run keep their `sct_` prefix.
//! - otherwise: one throwaway cluster per test process ([`schemactl::devdb::Cluster`]),
//!   started lazily by the first test that asks and shared by all tests of that binary. It
//!   lives in a `static` and is never dropped; the cluster's watchdog stops it and removes its
//!   temp dir when the test process exits (also under cargo-nextest, where every test is its
//!   own process and starts its own cluster).
//!
//! Connection strings may carry a password (external server): nothing here prints them, and
//! `TestDb`'s `Debug` shows only the database name.
#![allow(dead_code)]

pub mod cli;
pub mod dump;
pub mod r#gen;
pub mod project;
pub mod python;
pub mod steps;

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::Duration;

use postgres::error::SqlState;
use schemactl::devdb::{Cluster, conninfo_value, describe_pg_error};

/// Environment variable naming an existing server to use instead of a throwaway cluster.
pub const DATABASE_URL_ENV: &str = "SCHEMACTL_TEST_DATABASE_URL";

enum Server {
    /// Connection string of the admin database on a user-provided server.
    External {
        admin: String,
    },
    Local(Box<Cluster>),
}

static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
/// Serialises `CREATE DATABASE` on an external server (the local cluster has its own lock).
static CREATE_LOCK: Mutex<()> = Mutex::new(());

fn server() -> &'static Server {
    let server = SERVER.get_or_init(|| match std::env::var(DATABASE_URL_ENV) {
        Ok(url) if !url.trim().is_empty() => Ok(Server::External { admin: url }),
        _ => Cluster::start()
            .map(|c| Server::Local(Box::new(c)))
            .map_err(|e| format!("could not start a throwaway PostgreSQL for the tests: {e}")),
    });
    match server {
        Ok(server) => server,
        Err(message) => panic!("{message}\n(or set {DATABASE_URL_ENV} to use an existing server)"),
    }
}

/// True when the tests run against the harness's own throwaway cluster (not an external URL).
pub fn is_local_cluster() -> bool {
    matches!(server(), Server::Local(_))
}

/// The throwaway cluster, if that is what the tests use.
pub fn local_cluster() -> Option<&'static Cluster> {
    match server() {
        Server::Local(cluster) => Some(cluster),
        Server::External { .. } => None,
    }
}

/// A database of its own for one test. Dropped (forcibly disconnecting sessions) on drop.
pub struct TestDb {
    /// libpq connection string (key=value, or URL when the external server was given as one).
    pub conninfo: String,
    /// The database name (`sct_<pid>_<n>_<random>_<test name>`, at most 63 bytes).
    pub name: String,
}

impl fmt::Debug for TestDb {
    // Hand-written so a password in `conninfo` is never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestDb")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl TestDb {
    pub fn connect(&self) -> postgres::Client {
        connect(self)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // Never panic here (a panic while unwinding aborts the test binary).
        if let Err(e) = drop_database(&self.name) {
            eprintln!("warning: could not drop test database {}: {e}", self.name);
        }
    }
}

/// Create a fresh database on the shared server and return it.
pub fn test_db() -> TestDb {
    let name = unique_name();
    let conninfo = match server() {
        Server::Local(cluster) => cluster
            .create_database(&name)
            .unwrap_or_else(|e| panic!("{e}")),
        Server::External { admin } => {
            create_external(admin, &name);
            with_dbname(admin, &name)
        }
    };
    TestDb { conninfo, name }
}

/// Connect to a test database.
pub fn connect(db: &TestDb) -> postgres::Client {
    postgres::Client::connect(&db.conninfo, postgres::NoTls).unwrap_or_else(|e| {
        panic!(
            "could not connect to test database {}: {}",
            db.name,
            describe_pg_error(&e)
        )
    })
}

/// Connect to the server's admin database (`postgres` of the local cluster, or the database
/// named in `SCHEMACTL_TEST_DATABASE_URL`).
pub fn admin_client() -> postgres::Client {
    match server() {
        Server::Local(cluster) => cluster
            .connect("postgres")
            .unwrap_or_else(|e| panic!("{e}")),
        Server::External { admin } => connect_admin(admin),
    }
}

fn connect_admin(admin: &str) -> postgres::Client {
    postgres::Client::connect(admin, postgres::NoTls).unwrap_or_else(|e| {
        panic!(
            "could not connect to the server given by {DATABASE_URL_ENV}: {}",
            describe_pg_error(&e)
        )
    })
}

fn create_external(admin: &str, name: &str) {
    let _guard = CREATE_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let mut client = connect_admin(admin);
    let sql = format!("CREATE DATABASE {}", quote_ident(name));
    let mut attempt = 0u64;
    loop {
        match client.batch_execute(&sql) {
            Ok(()) => return,
            // Other processes (nextest, other test binaries) may be using template1.
            Err(e) if attempt < 50 && e.code() == Some(&SqlState::OBJECT_IN_USE) => {
                attempt += 1;
                thread::sleep(Duration::from_millis(20 * attempt.min(10)));
            }
            Err(e) => panic!(
                "could not create test database {name}: {}",
                describe_pg_error(&e)
            ),
        }
    }
}

fn drop_database(name: &str) -> Result<(), String> {
    match server() {
        Server::Local(cluster) => cluster.drop_database(name).map_err(|e| e.to_string()),
        Server::External { admin } => {
            let mut client = postgres::Client::connect(admin, postgres::NoTls)
                .map_err(|e| describe_pg_error(&e))?;
            client
                .batch_execute(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    quote_ident(name)
                ))
                .map_err(|e| describe_pg_error(&e))
        }
    }
}

/// `sct_<pid>_<counter>_<random>_<test name>`, lower case, at most 63 bytes. The random part
/// keeps names unique across machines sharing an external server; the test name (the test
/// thread's name under the default harness) helps to find who left a database behind.
fn unique_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let random = RandomState::new().build_hasher().finish() & 0xff_ffff;
    let mut name = format!("sct_{}_{n}_{random:06x}", std::process::id());
    let test: String = thread::current()
        .name()
        .unwrap_or("")
        .rsplit("::")
        .next()
        .unwrap_or("")
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            _ => '_',
        })
        .collect();
    if !test.is_empty() && test != "main" {
        name.push('_');
        name.push_str(&test);
    }
    name.truncate(63);
    name
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `conninfo` with the database name replaced by `dbname`; everything else (host, port, user,
/// password, options) is kept. Two forms, parsed simply:
/// - URL (`postgres://` or `postgresql://`): the path after the host part is replaced (or
///   added) with the percent-encoded name; a `dbname=` query parameter is removed. The
///   user-info must not contain a raw `?` (RFC 3986 requires it to be percent-encoded).
/// - key=value: the `dbname` entry is replaced (or appended); values keep libpq quoting.
///
/// Panics (without echoing the string, which may hold a password) when it cannot be parsed.
pub fn with_dbname(conninfo: &str, dbname: &str) -> String {
    try_with_dbname(conninfo, dbname)
        .unwrap_or_else(|message| panic!("{DATABASE_URL_ENV}: {message}"))
}

/// [`with_dbname`] returning an error (which never contains `conninfo`) instead of panicking.
pub fn try_with_dbname(conninfo: &str, dbname: &str) -> Result<String, String> {
    let trimmed = conninfo.trim();
    for scheme in ["postgres://", "postgresql://"] {
        if let Some(rest) = trimmed.strip_prefix(scheme) {
            return Ok(format!("{scheme}{}", url_with_dbname(rest, dbname)));
        }
    }
    let mut pairs = parse_keyword_value(trimmed).ok_or_else(|| {
        "neither a postgres:// URL nor a valid key=value connection string".to_string()
    })?;
    pairs.retain(|(k, _)| k != "dbname");
    pairs.push(("dbname".into(), dbname.into()));
    Ok(pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", conninfo_value(v)))
        .collect::<Vec<_>>()
        .join(" "))
}

fn url_with_dbname(rest: &str, dbname: &str) -> String {
    let (before_query, query) = match rest.find('?') {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    // The host part starts after the last '@' (passwords may contain a raw '/').
    let host_start = before_query.rfind('@').map_or(0, |i| i + 1);
    let authority_end = before_query[host_start..]
        .find('/')
        .map_or(before_query.len(), |i| host_start + i);
    let mut out = format!(
        "{}/{}",
        &before_query[..authority_end],
        percent_encode(dbname)
    );
    if let Some(query) = query {
        let kept: Vec<&str> = query
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("dbname="))
            .collect();
        if !kept.is_empty() {
            out.push('?');
            out.push_str(&kept.join("&"));
        }
    }
    out
}

fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Parse a libpq key=value string: `key = value` pairs separated by whitespace; a value is
/// bare (ends at whitespace) or single-quoted; `\` escapes the next character in both.
fn parse_keyword_value(s: &str) -> Option<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Some(pairs);
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if key.is_empty() || chars.next() != Some('=') {
            return None;
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next()? {
                    '\\' => value.push(chars.next()?),
                    '\'' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    value.push(chars.next()?);
                } else {
                    value.push(c);
                }
            }
        }
        pairs.push((key, value));
    }
}
