//! `schemactl::connect`: connection strings, environment fallbacks, TLS modes, timeouts and
//! password redaction, against real PostgreSQL servers (see `tests/support`).
//!
//! Environment fallbacks are tested through `resolve_with_env` with a fake environment, so no
//! test mutates the process environment. The TCP/TLS test starts a second throwaway cluster of
//! its own, restarted with a TCP listener on 127.0.0.1 (and TLS if `openssl` is installed).

mod support;

use std::collections::HashMap;
use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use schemactl::connect::{
    ConnectError, ConnectOptions, SslMode, Target, connect_resolved, resolve_with_env,
};
use schemactl::devdb::Cluster;

const SECRET: &str = "s3cr3t-PASS";

fn opts(url: &str) -> ConnectOptions {
    ConnectOptions {
        url: Some(url.to_string()),
        ..ConnectOptions::default()
    }
}

/// A fake environment: only these variables exist.
fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name: &str| map.get(name).cloned()
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn resolve(
    o: &ConnectOptions,
    e: &dyn Fn(&str) -> Option<String>,
) -> (postgres::Config, Target, SslMode) {
    resolve_with_env(o, e).unwrap_or_else(|err| panic!("resolve failed: {err}"))
}

fn try_connect(
    o: &ConnectOptions,
    e: &dyn Fn(&str) -> Option<String>,
) -> Result<postgres::Client, ConnectError> {
    let (config, target, mode) = resolve_with_env(o, e)?;
    connect_resolved(&config, &target, mode)
}

fn connect_ok(o: &ConnectOptions, e: &dyn Fn(&str) -> Option<String>) -> postgres::Client {
    try_connect(o, e).unwrap_or_else(|err| panic!("connect failed: {err}"))
}

fn current_db(client: &mut postgres::Client) -> String {
    client
        .query_one("SELECT current_database()", &[])
        .unwrap()
        .get(0)
}

fn uses_ssl(client: &mut postgres::Client) -> bool {
    client
        .query_one(
            "SELECT coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false)",
            &[],
        )
        .unwrap()
        .get(0)
}

/// The error's Display and Debug, checked for the secret.
fn assert_no_secret(err: &ConnectError) -> String {
    let shown = format!("{err}\n{err:?}");
    assert!(
        !shown.contains(SECRET),
        "password leaked into the error output"
    );
    shown
}

fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn local() -> Option<&'static Cluster> {
    let cluster = support::local_cluster();
    if cluster.is_none() {
        eprintln!("note: skipped (needs the harness's own throwaway cluster)");
    }
    cluster
}

// ---------------------------------------------------------------------------------------
// Connection string forms against the shared server

#[test]
fn key_value_conninfo_connects() {
    let db = support::test_db();
    let mut client = connect_ok(&opts(&db.conninfo), &no_env);
    assert_eq!(current_db(&mut client), db.name);
    let app: String = client
        .query_one("SHOW application_name", &[])
        .unwrap()
        .get(0);
    assert_eq!(app, "schemactl");
}

#[test]
fn url_with_percent_encoded_socket_dir() {
    let Some(cluster) = local() else { return };
    let db = support::test_db();
    let url = format!(
        "postgresql://postgres@{}:{}/{}",
        pct(&cluster.socket_dir().to_string_lossy()),
        cluster.port(),
        db.name
    );
    let (_, target, mode) = resolve(&opts(&url), &no_env);
    assert_eq!(
        target.to_string(),
        format!(
            "host={} port={} dbname={} user=postgres",
            cluster.socket_dir().display(),
            cluster.port(),
            db.name
        )
    );
    assert_eq!(mode, SslMode::Disable, "no TLS on unix sockets");
    let mut client = connect_ok(&opts(&url), &no_env);
    assert_eq!(current_db(&mut client), db.name);
}

#[test]
fn url_with_host_query_parameter() {
    let Some(cluster) = local() else { return };
    let db = support::test_db();
    let url = format!(
        "postgres:///{}?host={}&port={}&user=postgres&application_name=probe",
        db.name,
        cluster.socket_dir().display(),
        cluster.port()
    );
    let mut client = connect_ok(&opts(&url), &no_env);
    assert_eq!(current_db(&mut client), db.name);
    let app: String = client
        .query_one("SHOW application_name", &[])
        .unwrap()
        .get(0);
    assert_eq!(app, "probe");
}

#[test]
fn pg_environment_fallbacks() {
    let Some(cluster) = local() else { return };
    let db = support::test_db();
    let dir = cluster.socket_dir().to_string_lossy().into_owned();
    let port = cluster.port().to_string();
    let pg_env = env(&[
        ("PGHOST", &dir),
        ("PGPORT", &port),
        ("PGUSER", "postgres"),
        ("PGDATABASE", &db.name),
        ("PGAPPNAME", "from-env"),
    ]);

    // No URL at all: everything from PG*.
    let none = ConnectOptions::default();
    let (_, target, _) = resolve(&none, &pg_env);
    assert_eq!(target.source, "PG* environment");
    let mut client = connect_ok(&none, &pg_env);
    assert_eq!(current_db(&mut client), db.name);
    let app: String = client
        .query_one("SHOW application_name", &[])
        .unwrap()
        .get(0);
    assert_eq!(app, "from-env");

    // A URL missing host, port and user: filled from PG*; its dbname wins over PGDATABASE.
    let other = support::test_db();
    let partial = opts(&format!("postgresql:///{}", other.name));
    let mut client = connect_ok(&partial, &pg_env);
    assert_eq!(current_db(&mut client), other.name);

    // The URL from the variable named by url_env.
    let via_var = env(&[("MY_DB", &other.conninfo)]);
    let o = ConnectOptions {
        url_env: "MY_DB".into(),
        ..ConnectOptions::default()
    };
    let (_, target, _) = resolve(&o, &via_var);
    assert_eq!(target.source, "$MY_DB");
    let mut client = connect_ok(&o, &via_var);
    assert_eq!(current_db(&mut client), other.name);

    // --db wins over the variable.
    let both = ConnectOptions {
        url: Some(db.conninfo.clone()),
        url_env: "MY_DB".into(),
        ..ConnectOptions::default()
    };
    let mut client = connect_ok(&both, &via_var);
    assert_eq!(current_db(&mut client), db.name);
}

#[test]
fn resolve_defaults_and_fallbacks_without_a_server() {
    // Defaults: port 5432, user from $USER, dbname = user, sslmode prefer (TCP host).
    let (config, target, mode) = resolve(
        &ConnectOptions::default(),
        &env(&[("USER", "alice"), ("PGHOST", "db.example.com")]),
    );
    assert_eq!(
        target.to_string(),
        "host=db.example.com port=5432 dbname=alice user=alice"
    );
    assert_eq!(mode, SslMode::Prefer);
    assert_eq!(config.get_connect_timeout(), Some(&Duration::from_secs(10)));
    assert_eq!(config.get_application_name(), Some("schemactl"));

    // Password from PGPASSWORD only when the URL has none.
    let e = env(&[("PGPASSWORD", "from-env"), ("USER", "x")]);
    let (config, _, _) = resolve(&opts("postgresql://bob@h/d"), &e);
    assert_eq!(config.get_password(), Some(&b"from-env"[..]));
    let (config, _, _) = resolve(&opts("postgresql://bob:inline@h/d"), &e);
    assert_eq!(config.get_password(), Some(&b"inline"[..]));

    // verify-full / verify-ca are ours; the postgres config gets `require`.
    let (config, target, mode) = resolve(
        &opts("host=db.example.com user=u sslmode=verify-full sslrootcert=/x/ca.pem"),
        &no_env,
    );
    assert_eq!(mode, SslMode::VerifyFull);
    assert_eq!(target.ssl_root_cert.as_deref(), Some("/x/ca.pem"));
    assert_eq!(config.get_ssl_mode(), postgres::config::SslMode::Require);
    let (_, _, mode) = resolve(
        &opts("postgresql://u@h/d?sslmode=verify-ca"),
        &env(&[("PGSSLMODE", "disable")]),
    );
    assert_eq!(mode, SslMode::VerifyCa);
    let (_, _, mode) = resolve(
        &opts("postgresql://u@h/d"),
        &env(&[("PGSSLMODE", "require")]),
    );
    assert_eq!(mode, SslMode::Require);
    // Unix sockets never use TLS (libpq semantics).
    let (config, target, mode) = resolve(&opts("host=/run/pg user=u sslmode=verify-full"), &no_env);
    assert_eq!(mode, SslMode::Disable);
    assert_eq!(target.ssl_mode, SslMode::VerifyFull);
    assert_eq!(config.get_ssl_mode(), postgres::config::SslMode::Disable);

    // Timeouts: options > string > PGCONNECT_TIMEOUT > 10 s; 0 = none.
    let e = env(&[("PGCONNECT_TIMEOUT", "7")]);
    let (c, _, _) = resolve(&opts("host=h user=u"), &e);
    assert_eq!(c.get_connect_timeout(), Some(&Duration::from_secs(7)));
    let (c, _, _) = resolve(&opts("host=h user=u connect_timeout=3"), &e);
    assert_eq!(c.get_connect_timeout(), Some(&Duration::from_secs(3)));
    let o = ConnectOptions {
        connect_timeout: Some(Duration::from_millis(1500)),
        ..opts("host=h user=u connect_timeout=3")
    };
    let (c, _, _) = resolve(&o, &e);
    assert_eq!(c.get_connect_timeout(), Some(&Duration::from_millis(1500)));
    let (c, t, _) = resolve(&opts("host=h user=u connect_timeout=0"), &no_env);
    assert_eq!(c.get_connect_timeout(), None);
    assert_eq!(t.connect_timeout, None);

    // Several hosts, one port each.
    let (_, t, _) = resolve(&opts("postgresql://u@a:1,b:2/d"), &no_env);
    assert_eq!(t.to_string(), "host=a,b port=1,2 dbname=d user=u");

    // Mistakes are reported with the parameter name.
    for (s, expect) in [
        ("host=h user=u sslmode=bogus", "invalid value for `sslmode`"),
        ("host=h user=u sslcert=/c.pem", "`sslcert` is not supported"),
        (
            "host=h user=u sslmdoe=require",
            "unknown connection parameter `sslmdoe`; did you mean `sslmode`?",
        ),
        (
            "host=h user=u frobnicate=1",
            "unknown connection parameter (its name is not shown",
        ),
        ("host=h user=u port=99999", "invalid value for `port`"),
        (
            "host=h user=u keepalives=maybe",
            "invalid value for option `keepalives`",
        ),
        ("host=a,b port=1,2,3 user=u", "3 ports for 2 hosts"),
    ] {
        let err = resolve_with_env(&opts(s), &no_env).unwrap_err();
        assert!(err.message.contains(expect), "{s}: {err}");
        assert!(err.message.contains("--db"), "{s}: {err}");
    }
}

// ---------------------------------------------------------------------------------------
// Passwords never shown

#[test]
fn passwords_never_appear_in_parse_errors_or_debug() {
    let bad = [
        format!("postgres://bob:{SECRET}@host:notaport/db"),
        format!("postgres://bob:{SECRET}@h/d?sslmode=bogus"),
        format!("postgres://bob:{SECRET}@h/d?{SECRET}"),
        format!("postgres://bob:{SECRET}@h/d?{SECRET}=1"),
        format!("postgres://bob:{SECRET}%zz@h/d"),
        "password=s3cr3t PASS=x host=h".to_string(),
        format!("postgres://bob:{SECRET}@[::1/d"),
        format!("postgres://h/d?password={SECRET}&keepalives={SECRET}"),
        format!("mysql://bob:{SECRET}@h/d"),
        format!("password={SECRET} foo"),
        format!("password {SECRET}"),
        format!("user=bob password='{SECRET}"),
        format!("host=h {SECRET}=1"),
        format!("host=h user=u password={SECRET} sslmode={SECRET}"),
        format!("host=h user=u password={SECRET} connect_timeout={SECRET}"),
        format!("host=h user=u password={SECRET} port={SECRET}"),
        format!("host=h user=u password={SECRET} target_session_attrs={SECRET}"),
        SECRET.to_string(),
    ];
    for s in &bad {
        let o = opts(s);
        assert!(!format!("{o:?}").contains(SECRET));
        let err = resolve_with_env(&o, &no_env).expect_err("should not parse");
        let shown = assert_no_secret(&err);
        assert!(
            shown.contains("invalid connection string in --db"),
            "{shown}"
        );
        // Also when it comes from the environment variable.
        let from_env = env(&[("DATABASE_URL", s)]);
        let err = resolve_with_env(&ConnectOptions::default(), &from_env).unwrap_err();
        assert_no_secret(&err);
    }

    // An unquoted password with a space: the second half looks like a parameter name.
    let err = resolve_with_env(&opts("password=s3cr3t PASS=x host=h"), &no_env).unwrap_err();
    assert!(!format!("{err}{err:?}").contains("PASS"), "{err}");

    // Parsed fine: Target and postgres::Config Debug/Display hide it.
    let (config, target, _) = resolve(&opts(&format!("postgresql://bob:{SECRET}@h/d")), &no_env);
    assert_eq!(config.get_password(), Some(SECRET.as_bytes()));
    for shown in [
        format!("{config:?}"),
        format!("{target:?}"),
        target.to_string(),
    ] {
        assert!(!shown.contains(SECRET), "{shown}");
    }
}

#[test]
fn passwords_never_appear_in_connection_errors() {
    let Some(cluster) = local() else { return };
    // Wrong port: no such socket. The message names the target, not the password.
    let url = format!(
        "postgresql://postgres:{SECRET}@{}:1/postgres",
        pct(&cluster.socket_dir().to_string_lossy())
    );
    let err = connect_err(&opts(&url), &no_env);
    let shown = assert_no_secret(&err);
    assert!(
        err.message.starts_with(&format!(
            "could not connect to host={} port=1 dbname=postgres user=postgres: ",
            cluster.socket_dir().display()
        )),
        "{shown}"
    );
    assert!(err.hint.contains(".s.PGSQL.1"), "{shown}");

    // Missing database.
    let url = format!(
        "postgresql://postgres:{SECRET}@{}:{}/no_such_db",
        pct(&cluster.socket_dir().to_string_lossy()),
        cluster.port()
    );
    let err = connect_err(&opts(&url), &no_env);
    let shown = assert_no_secret(&err);
    assert!(shown.contains("does not exist"), "{shown}");
}

#[test]
fn sslmode_on_a_unix_socket_is_ignored_like_libpq() {
    let Some(_) = local() else { return };
    let db = support::test_db();
    for mode in ["require", "verify-full", "prefer", "disable"] {
        let mut client = connect_ok(&opts(&format!("{} sslmode={mode}", db.conninfo)), &no_env);
        assert!(!uses_ssl(&mut client));
    }
}

// ---------------------------------------------------------------------------------------
// Timeouts

#[test]
fn connect_timeout_when_the_server_never_answers() {
    // Accepted by the kernel (backlog), but nobody ever reads or writes.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    for mode in ["disable", "prefer", "require"] {
        let o = ConnectOptions {
            connect_timeout: Some(Duration::from_secs(1)),
            ..opts(&format!(
                "host=127.0.0.1 port={port} user=u password={SECRET} sslmode={mode}"
            ))
        };
        let started = Instant::now();
        let err = connect_err(&o, &no_env);
        let elapsed = started.elapsed();
        let shown = assert_no_secret(&err);
        assert!(elapsed >= Duration::from_millis(900), "{elapsed:?}");
        assert!(elapsed < Duration::from_secs(4), "{elapsed:?}: {shown}");
        assert!(shown.contains("timeout expired"), "{shown}");
        assert!(shown.contains("connect_timeout"), "{shown}");
    }
    drop(listener);
}

#[test]
fn connect_refused_and_unroutable() {
    // A port nobody listens on: refused at once.
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let o = ConnectOptions {
        connect_timeout: Some(Duration::from_secs(2)),
        ..opts(&format!("host=127.0.0.1 port={port} user=u"))
    };
    let err = connect_err(&o, &no_env);
    assert!(
        err.message.starts_with(&format!(
            "could not connect to host=127.0.0.1 port={port} dbname=u user=u: "
        )),
        "{err}"
    );
    assert!(err.hint.contains("server running"), "{err}");

    // A non-routable address: either unreachable at once or timed out after ~1 s.
    let o = ConnectOptions {
        connect_timeout: Some(Duration::from_secs(1)),
        ..opts("host=10.255.255.1 port=5432 user=u sslmode=disable")
    };
    let started = Instant::now();
    let err = connect_err(&o, &no_env);
    assert!(started.elapsed() < Duration::from_secs(4), "{err}");
    assert!(err.message.contains("host=10.255.255.1"), "{err}");
}

// ---------------------------------------------------------------------------------------
// A cluster of our own with a TCP listener: password auth, TLS modes

/// Run a server program as the data dir's OS user (`runuser` when we are root, like devdb).
fn run_as_server_user(cluster: &Cluster, program: &str, args: &[&str]) -> Result<(), String> {
    let path = cluster.bin_dir().join(program);
    let mut cmd = if is_root() {
        let user = std::env::var("SCHEMACTL_PG_OS_USER").unwrap_or_else(|_| "postgres".into());
        let mut c = Command::new("runuser");
        c.arg("-u").arg(user).arg("--").arg(&path);
        c
    } else {
        Command::new(&path)
    };
    let out = cmd
        .args(args)
        .current_dir(cluster.temp_dir())
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("could not run {program}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{program} failed: {}{}\nserver log:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            cluster.log_tail()
        ))
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// Give a file to the data dir's owner with mode 0600 (the server insists for its key).
fn hand_to_server(cluster: &Cluster, file: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(cluster.data_dir()).unwrap();
    std::os::unix::fs::chown(file, Some(meta.uid()), Some(meta.gid())).unwrap();
    std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600)).unwrap();
}

fn openssl(dir: &Path, args: &[&str]) -> bool {
    Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A CA and a server certificate for `localhost` only (no IP address in it).
fn make_certs(dir: &Path) -> bool {
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:localhost\nbasicConstraints=critical,CA:FALSE\n\
         keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec![
        "req", "-x509", "-days", "2", "-keyout", "ca.key", "-out", "ca.crt",
    ];
    ca.extend(ec);
    ca.extend([
        "-subj",
        "/CN=schemactl test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    let mut csr = vec!["req", "-keyout", "server.key", "-out", "server.csr"];
    csr.extend(ec);
    csr.extend(["-subj", "/CN=localhost"]);
    openssl(dir, &ca)
        && openssl(dir, &csr)
        && openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-out",
                "server.crt",
                "-extfile",
                "server.ext",
            ],
        )
}

#[test]
fn tcp_server_password_auth_and_tls_modes() {
    let cluster = match Cluster::start() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("note: skipped, could not start a cluster of our own: {e}");
            return;
        }
    };
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    {
        let mut admin = cluster.connect("postgres").unwrap();
        // One statement at a time: ALTER SYSTEM refuses to run in a (implicit) transaction.
        for sql in [
            "ALTER SYSTEM SET listen_addresses = '127.0.0.1'".to_string(),
            format!("ALTER SYSTEM SET port = {port}"),
            "SET password_encryption = 'scram-sha-256'".to_string(),
            "CREATE ROLE bob LOGIN PASSWORD 'right-horse-battery'".to_string(),
        ] {
            admin.batch_execute(&sql).unwrap();
        }
    }
    std::fs::write(
        cluster.data_dir().join("pg_hba.conf"),
        "local all all trust\n\
         host all postgres 127.0.0.1/32 trust\n\
         host all bob 127.0.0.1/32 scram-sha-256\n",
    )
    .unwrap();
    let data = cluster.data_dir().to_string_lossy().into_owned();
    let log = cluster.log_file().to_string_lossy().into_owned();
    run_as_server_user(
        &cluster,
        "pg_ctl",
        &[
            "restart", "-w", "-t", "60", "-m", "fast", "-D", &data, "-l", &log,
        ],
    )
    .unwrap_or_else(|e| panic!("{e}"));

    let tcp = |extra: &str| {
        opts(&format!(
            "host=127.0.0.1 port={port} dbname=postgres {extra}"
        ))
    };

    // ssl = off: require fails clearly, prefer falls back to plain.
    let err = connect_err(&tcp("user=postgres sslmode=require"), &no_env);
    assert!(err.message.contains("server does not support TLS"), "{err}");
    assert!(err.hint.contains("ssl = off"), "{err}");
    let mut client = connect_ok(&tcp("user=postgres sslmode=prefer"), &no_env);
    assert!(!uses_ssl(&mut client));

    // Password authentication: wrong password, missing password, right password.
    let err = connect_err(&tcp(&format!("user=bob password={SECRET}")), &no_env);
    let shown = assert_no_secret(&err);
    assert!(shown.contains("password authentication failed"), "{shown}");
    assert!(err.hint.contains("password"), "{shown}");
    let url = format!("postgresql://bob:{SECRET}@127.0.0.1:{port}/postgres?sslmode=disable");
    let err = connect_err(&opts(&url), &no_env);
    assert_no_secret(&err);
    let err = connect_err(&tcp("user=bob"), &no_env);
    assert!(err.hint.contains("PGPASSWORD"), "{err}");
    let with_env = env(&[("PGPASSWORD", "right-horse-battery")]);
    let mut client = connect_ok(&tcp("user=bob"), &with_env);
    let who: String = client.query_one("SELECT current_user", &[]).unwrap().get(0);
    assert_eq!(who, "bob");

    // TLS: only when openssl can make us certificates.
    let dir = cluster.data_dir();
    if !make_certs(dir) {
        eprintln!("note: TLS part skipped: the `openssl` binary is missing or failed");
        return;
    }
    for f in ["server.key", "server.crt"] {
        hand_to_server(&cluster, &dir.join(f));
    }
    {
        let mut admin = connect_ok(&tcp("user=postgres sslmode=disable"), &no_env);
        admin.batch_execute("ALTER SYSTEM SET ssl = on").unwrap();
        admin.query_one("SELECT pg_reload_conf()", &[]).unwrap();
    }
    // The reload is asynchronous: wait until a TLS connection works.
    let started = Instant::now();
    let mut client = loop {
        match try_connect(&tcp("user=postgres sslmode=require"), &no_env) {
            Ok(c) => break c,
            Err(e) if started.elapsed() < Duration::from_secs(10) => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => panic!("TLS never came up: {e}\n{}", cluster.log_tail()),
        }
    };
    assert!(uses_ssl(&mut client), "sslmode=require must use TLS");
    let mut client = connect_ok(&tcp("user=postgres"), &no_env);
    assert!(
        uses_ssl(&mut client),
        "the default sslmode=prefer uses TLS when offered"
    );
    // SCRAM over TLS.
    let mut client = connect_ok(&tcp("user=bob sslmode=require"), &with_env);
    assert!(uses_ssl(&mut client));

    let ca = dir.join("ca.crt").to_string_lossy().into_owned();
    let localhost = |extra: &str| {
        opts(&format!(
            "host=localhost hostaddr=127.0.0.1 port={port} dbname=postgres user=postgres {extra}"
        ))
    };
    // verify-full: trusted CA and matching name.
    let mut client = connect_ok(
        &localhost(&format!("sslmode=verify-full sslrootcert={ca}")),
        &no_env,
    );
    assert!(uses_ssl(&mut client));
    // PGSSLROOTCERT works too.
    let ca_env = env(&[("PGSSLROOTCERT", &ca)]);
    connect_ok(&localhost("sslmode=verify-full"), &ca_env);
    // Not issued for 127.0.0.1: verify-full fails, verify-ca accepts.
    let by_ip = |mode: &str| {
        opts(&format!(
            "host=127.0.0.1 port={port} dbname=postgres user=postgres sslmode={mode} sslrootcert={ca}"
        ))
    };
    let err = connect_err(&by_ip("verify-full"), &no_env);
    assert!(err.message.contains("certificate"), "{err}");
    assert!(err.hint.contains("not issued for 127.0.0.1"), "{err}");
    let mut client = connect_ok(&by_ip("verify-ca"), &no_env);
    assert!(uses_ssl(&mut client));
    // An untrusted CA (the system store does not know ours).
    for mode in ["verify-full", "verify-ca"] {
        let err = connect_err(
            &localhost(&format!("sslmode={mode} sslrootcert=system")),
            &no_env,
        );
        assert!(err.message.contains("certificate"), "{mode}: {err}");
        assert!(err.hint.contains("sslrootcert"), "{mode}: {err}");
    }
    // A missing root certificate file.
    let err = connect_err(
        &localhost("sslmode=verify-full sslrootcert=/nonexistent/ca.pem"),
        &no_env,
    );
    assert!(err.message.contains("/nonexistent/ca.pem"), "{err}");
}

fn connect_err(o: &ConnectOptions, e: &dyn Fn(&str) -> Option<String>) -> ConnectError {
    match try_connect(o, e) {
        Ok(_) => panic!("connected, but an error was expected"),
        Err(err) => err,
    }
}
