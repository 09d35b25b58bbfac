//! Connecting to PostgreSQL the way libpq users expect.
//!
//! Where the connection string comes from, first match wins:
//! 1. `--db` ([`ConnectOptions::url`]),
//! 2. the environment variable named by `database.url_env` ([`ConnectOptions::url_env`],
//!    default `DATABASE_URL`),
//! 3. nothing: everything comes from the `PG*` variables and the defaults below.
//!
//! Both libpq forms are accepted: URLs (`postgresql://user:pw@host:port/db?key=value`, hosts
//! may be percent-encoded socket dirs like `%2Ftmp`, or given as `?host=/tmp`) and key=value
//! strings (`host=/tmp port=5432 dbname=app`). Parameters missing from the string are taken
//! from the environment like libpq does (`PGHOST`, `PGHOSTADDR`, `PGPORT`, `PGDATABASE`,
//! `PGUSER`, `PGPASSWORD`, `PGOPTIONS`, `PGAPPNAME`, `PGSSLMODE`, `PGSSLROOTCERT`,
//! `PGCONNECT_TIMEOUT`, `PGTARGETSESSIONATTRS`, `PGCHANNELBINDING`, `PGLOADBALANCEHOSTS`,
//! `PGSSLNEGOTIATION`); empty values count as unset. Then defaults: host = the unix socket dir
//! `/var/run/postgresql` if it exists, else `/tmp` if it holds the server's socket, else
//! `localhost`; port 5432; user = `$USER` (`$LOGNAME`, then the passwd entry); dbname = user.
//!
//! TLS (rustls with the `ring` provider, via `tokio-postgres-rustls`), by `sslmode`
//! (default `prefer`, like libpq):
//! - `disable`: plain connection.
//! - `prefer` (and `allow`, treated the same): TLS if the server offers it, else plain.
//! - `require`: TLS or fail. Like libpq, the server certificate is **not** verified (that
//!   needs `verify-ca`/`verify-full`): the connection is encrypted but open to an active
//!   man in the middle. This uses rustls' "dangerous" custom verifier API, see
//!   `AcceptAnyServerCert`; the handshake signature is still checked against the presented
//!   certificate.
//! - `verify-ca`: TLS, the certificate chain must lead to a trusted root; the host name is not
//!   checked.
//! - `verify-full`: TLS, trusted chain and matching host name.
//!
//! Trusted roots for `verify-*`: the PEM file named by `sslrootcert` / `PGSSLROOTCERT`;
//! `sslrootcert=system` means the operating system's store (`rustls-native-certs`, so
//! corporate CAs installed on the machine work). Without `sslrootcert`,
//! `~/.postgresql/root.crt` is used if it exists (libpq's default), else the system store
//! (libpq would fail instead).
//!
//! Unix-domain sockets never use TLS (PostgreSQL does not offer it there); as in libpq,
//! `sslmode` has no effect when every host is a socket dir.
//!
//! `application_name`: the string's (or `PGAPPNAME`), else its `fallback_application_name`, else
//! [`ConnectOptions::application_name`].
//!
//! `connect_timeout` bounds the whole connection attempt (TCP connect, TLS, authentication),
//! per host, like libpq: [`ConnectOptions::connect_timeout`] if set, else the string's
//! `connect_timeout` / `PGCONNECT_TIMEOUT` (seconds, `0` = wait forever), else 10 s.
//!
//! Passwords: no message, `Display` or `Debug` output of this module contains the password
//! or the raw connection string. Errors describe the target with [`Target`] (`host=… port=…
//! dbname=… user=…`), and parse errors name the offending parameter or byte offset, never the
//! text. As a last line of defence every message has the password (if 3 characters or longer)
//! replaced by `***`.
//!
//! Passwords not in the string or `PGPASSWORD` come from the password file like libpq's
//! (`passfile`, else `PGPASSFILE`, else `~/.pgpass`; see [`pgpass`]), looked up for the first
//! host.
//!
//! Not supported (rejected with a clear message): client certificates (`sslcert`, `sslkey`),
//! `service`, `gssencmode=require`, and the other libpq parameters `postgres::Config` lacks.

pub mod pgpass;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::Duration;

use postgres::tls::{MakeTlsConnect, TlsConnect};
use postgres::{Client, Config, NoTls, Socket};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::devdb::conninfo_value;

/// Connect timeout when neither the options nor the connection string set one.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default for `database.url_env`.
pub const DEFAULT_URL_ENV: &str = "DATABASE_URL";
/// `application_name` reported to the server unless the string or `PGAPPNAME` sets one.
pub const DEFAULT_APPLICATION_NAME: &str = "schemactl";

/// What the user asked for. `Debug` does not show the URL (it may hold a password).
#[derive(Clone)]
pub struct ConnectOptions {
    /// `--db`: a URL or key=value string. Takes precedence over `url_env`.
    pub url: Option<String>,
    /// Name of the environment variable holding the connection string (`database.url_env`).
    pub url_env: String,
    /// Overrides the string's `connect_timeout`; `None` = string, `PGCONNECT_TIMEOUT`, else
    /// 10 s. `Some(Duration::ZERO)` waits forever.
    pub connect_timeout: Option<Duration>,
    /// Used when neither the string nor `PGAPPNAME` sets `application_name` (libpq's
    /// `fallback_application_name`).
    pub application_name: String,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            url: None,
            url_env: DEFAULT_URL_ENV.into(),
            connect_timeout: None,
            application_name: DEFAULT_APPLICATION_NAME.into(),
        }
    }
}

impl fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("url", &self.url.as_ref().map(|_| "<not shown>"))
            .field("url_env", &self.url_env)
            .field("connect_timeout", &self.connect_timeout)
            .field("application_name", &self.application_name)
            .finish()
    }
}

/// libpq's `sslmode` values (`allow` is read as `prefer`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    /// Parse a libpq `sslmode` value.
    pub fn parse(value: &str) -> Option<SslMode> {
        Some(match value {
            "disable" => SslMode::Disable,
            "allow" | "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    /// The mode `postgres::Config` understands (the verify modes differ only in the connector).
    fn to_postgres(self) -> postgres::config::SslMode {
        match self {
            SslMode::Disable => postgres::config::SslMode::Disable,
            SslMode::Prefer => postgres::config::SslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
                postgres::config::SslMode::Require
            }
        }
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the server is, without the password: for messages and for [`connect_resolved`].
/// `Display`: `host=/tmp/x port=5432 dbname=app user=bob` (several hosts comma-separated).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// Host names, IP addresses or unix socket dirs (or the `hostaddr`s when no host is given).
    pub hosts: Vec<String>,
    /// One port, or one per host.
    pub ports: Vec<u16>,
    pub dbname: String,
    pub user: String,
    /// `sslmode` as asked for (the mode used is returned by [`resolve`]).
    pub ssl_mode: SslMode,
    /// `sslrootcert` / `PGSSLROOTCERT`, if given (`system` = the OS store).
    pub ssl_root_cert: Option<String>,
    /// The effective connect timeout per host (`None` = wait forever).
    pub connect_timeout: Option<Duration>,
    /// Where the connection string came from: `--db`, `$DATABASE_URL` (the variable's name),
    /// or `PG* environment` when there was none.
    pub source: String,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ports: Vec<String> = self.ports.iter().map(u16::to_string).collect();
        write!(
            f,
            "host={} port={} dbname={} user={}",
            conninfo_value(&self.hosts.join(",")),
            ports.join(","),
            conninfo_value(&self.dbname),
            conninfo_value(&self.user)
        )
    }
}

/// Why there is no connection. Neither field ever contains the password or the raw
/// connection string. `Display`: the message, then `hint: …` on its own line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}{}", if hint.is_empty() { String::new() } else { format!("\nhint: {hint}") })]
pub struct ConnectError {
    pub message: String,
    pub hint: String,
}

impl ConnectError {
    fn new(message: impl Into<String>, hint: impl Into<String>) -> Self {
        ConnectError {
            message: message.into(),
            hint: hint.into(),
        }
    }

    /// Last line of defence: blank out the password wherever it might have slipped in.
    fn redacted(mut self, password: Option<&[u8]>) -> Self {
        if let Some(pw) = password.and_then(|p| std::str::from_utf8(p).ok())
            && pw.chars().count() >= 3
        {
            self.message = self.message.replace(pw, "***");
            self.hint = self.hint.replace(pw, "***");
        }
        self
    }
}

/// For failures with no better explanation (a protocol error such as "bytes remaining on
/// stream" means something other than PostgreSQL answered).
const GENERIC_HINT: &str = "check that host and port point to a running PostgreSQL server \
     (another kind of server answering there gives protocol errors) and that it is reachable \
     from here";

const SYNTAX_HINT: &str = "use a URL like postgresql://user:password@host:5432/dbname \
     (percent-encode special characters; a socket dir as host: postgresql://user@%2Fvar%2Frun%2Fpostgresql/dbname) \
     or key=value pairs like \"host=localhost port=5432 dbname=app user=me\"";

const PARAMS_HINT: &str =
    "parameters: https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-PARAMKEYWORDS";

/// Parameters handed to `postgres::Config` unchanged (it parses and validates them).
const PASS_THROUGH: &[&str] = &[
    "hostaddr",
    "options",
    "tcp_user_timeout",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_retries",
    "target_session_attrs",
    "channel_binding",
    "load_balance_hosts",
    "sslnegotiation",
];
/// Parameters this module interprets itself.
const HANDLED: &[&str] = &[
    "passfile",
    "host",
    "port",
    "dbname",
    "user",
    "password",
    "sslmode",
    "sslrootcert",
    "connect_timeout",
    "application_name",
    "fallback_application_name",
    "gssencmode",
    "sslsni",
];
/// libpq parameters we know but cannot honour.
const UNSUPPORTED: &[&str] = &[
    "service",
    "require_auth",
    "sslcert",
    "sslkey",
    "sslpassword",
    "sslcertmode",
    "sslcrl",
    "sslcrldir",
    "sslcompression",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "sslkeylogfile",
    "requirepeer",
    "krbsrvname",
    "gsslib",
    "gssdelegation",
    "replication",
    "client_encoding",
    "min_protocol_version",
    "max_protocol_version",
];
/// libpq's environment fallbacks: parameter, variable.
const ENV_FALLBACKS: &[(&str, &str)] = &[
    ("host", "PGHOST"),
    ("hostaddr", "PGHOSTADDR"),
    ("port", "PGPORT"),
    ("dbname", "PGDATABASE"),
    ("user", "PGUSER"),
    ("password", "PGPASSWORD"),
    ("passfile", "PGPASSFILE"),
    ("options", "PGOPTIONS"),
    ("application_name", "PGAPPNAME"),
    ("sslmode", "PGSSLMODE"),
    ("sslrootcert", "PGSSLROOTCERT"),
    ("connect_timeout", "PGCONNECT_TIMEOUT"),
    ("target_session_attrs", "PGTARGETSESSIONATTRS"),
    ("channel_binding", "PGCHANNELBINDING"),
    ("load_balance_hosts", "PGLOADBALANCEHOSTS"),
    ("sslnegotiation", "PGSSLNEGOTIATION"),
    ("gssencmode", "PGGSSENCMODE"),
];

/// [`resolve_with_env`] with the process environment.
pub fn resolve(opts: &ConnectOptions) -> Result<(Config, Target, SslMode), ConnectError> {
    resolve_with_env(opts, &|name| std::env::var(name).ok())
}

/// Work out where to connect: the connection string (see the module docs for where it comes
/// from) completed from `env` (`PG*`, `USER`, `LOGNAME`, `HOME`) and the defaults. Returns the
/// client config, the password-free [`Target`], and the TLS mode to use — `Disable` when every
/// host is a unix socket (libpq never uses TLS there), otherwise the requested `sslmode`.
///
/// Besides `env`, it looks at the file system only for the default host (`/var/run/postgresql`,
/// `/tmp/.s.PGSQL.<port>`) and, if `USER` and `LOGNAME` are unset, `/etc/passwd`.
pub fn resolve_with_env(
    opts: &ConnectOptions,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Config, Target, SslMode), ConnectError> {
    let env = |name: &str| env(name).filter(|v| !v.is_empty());
    let given = opts.url.as_deref().filter(|s| !s.trim().is_empty());
    let (source, text) = match given {
        Some(url) => ("--db".to_string(), Some(url.to_string())),
        None => match env(&opts.url_env).filter(|s| !s.trim().is_empty()) {
            Some(url) => (format!("${}", opts.url_env), Some(url)),
            None => ("PG* environment".to_string(), None),
        },
    };

    let mut params = Params::default();
    if let Some(text) = &text {
        let pairs = parse_conninfo(text).map_err(|why| {
            ConnectError::new(
                format!("invalid connection string in {source}: {why}"),
                SYNTAX_HINT,
            )
        })?;
        for (key, value) in pairs {
            params.set(key, value);
        }
    }
    let fail = |message: String, hint: &str| {
        Err(ConnectError::new(
            format!("invalid connection string in {source}: {message}"),
            hint,
        ))
    };
    for key in params.keys() {
        if UNSUPPORTED.contains(&key) {
            return fail(
                format!("connection parameter `{key}` is not supported by schemactl"),
                "remove it; client certificates and services are not supported",
            );
        }
        if !HANDLED.contains(&key) && !PASS_THROUGH.contains(&key) {
            // The name is shown only when it is a near miss of a real one: an unknown "key"
            // may be a piece of an unquoted password (`password=a b=c`).
            let known = HANDLED.iter().chain(PASS_THROUGH).copied();
            return match crate::suggest::closest(key, known) {
                Some(near) => fail(
                    format!("unknown connection parameter `{key}`; did you mean `{near}`?"),
                    PARAMS_HINT,
                ),
                None => fail(
                    "unknown connection parameter (its name is not shown in case it is part \
                     of a password)"
                        .into(),
                    &format!("quote values that contain spaces (password='a b'); {PARAMS_HINT}"),
                ),
            };
        }
    }
    for (key, var) in ENV_FALLBACKS {
        if params.get(key).is_none()
            && let Some(value) = env(var)
        {
            params.set(key.to_string(), value);
        }
    }

    let ssl_mode = match params.get("sslmode") {
        None => SslMode::Prefer,
        Some(v) => match SslMode::parse(v) {
            Some(mode) => mode,
            None => {
                return fail(
                    "invalid value for `sslmode`".into(),
                    "use disable, allow, prefer, require, verify-ca or verify-full",
                );
            }
        },
    };
    if params.get("gssencmode") == Some("require") {
        return fail(
            "gssencmode=require is not supported (no GSSAPI encryption)".into(),
            "use sslmode=require or verify-full for an encrypted connection",
        );
    }
    let string_timeout = match params.get("connect_timeout") {
        None => None,
        Some(v) => match v.trim().parse::<i64>() {
            Ok(secs) => Some(Duration::from_secs(secs.max(0) as u64)),
            Err(_) => {
                return fail(
                    "invalid value for `connect_timeout`".into(),
                    "give a whole number of seconds (0 = wait forever)",
                );
            }
        },
    };
    let connect_timeout = opts
        .connect_timeout
        .or(string_timeout)
        .unwrap_or(DEFAULT_CONNECT_TIMEOUT);
    let connect_timeout = (!connect_timeout.is_zero()).then_some(connect_timeout);

    // Everything postgres::Config parses itself; values are re-quoted, never shown.
    let pass: Vec<String> = PASS_THROUGH
        .iter()
        .filter_map(|k| params.get(k).map(|v| format!("{k}={}", conninfo_value(v))))
        .collect();
    let mut config: Config = pass.join(" ").parse().map_err(|e: postgres::Error| {
        let why = std::error::Error::source(&e)
            .map(|c| c.to_string())
            .filter(|m| m.starts_with("invalid value for option `"))
            .unwrap_or_else(|| "a parameter could not be parsed".into());
        ConnectError::new(
            format!("invalid connection string in {source}: {why}"),
            SYNTAX_HINT,
        )
    })?;

    // Ports (needed for the default host's socket probe).
    let mut ports = Vec::new();
    if let Some(p) = params.get("port") {
        for part in p.split(',') {
            let part = part.trim();
            if part.is_empty() {
                ports.push(5432);
                continue;
            }
            match part.parse::<u16>() {
                Ok(port) if port != 0 => ports.push(port),
                _ => {
                    return fail(
                        "invalid value for `port`".into(),
                        "a port is a number from 1 to 65535",
                    );
                }
            }
        }
    }
    if ports.is_empty() {
        ports.push(5432);
    }

    // Hosts.
    let hostaddrs: Vec<String> = config
        .get_hostaddrs()
        .iter()
        .map(ToString::to_string)
        .collect();
    let mut hosts: Vec<String> = match params.get("host") {
        Some(h) => h.split(',').map(|s| s.trim().to_string()).collect(),
        None if !hostaddrs.is_empty() => Vec::new(),
        None => vec![default_host(ports[0])],
    };
    if hosts.iter().any(String::is_empty) {
        return fail(
            "empty host name in a host list".into(),
            "list hosts like host=a,b",
        );
    }
    for host in &hosts {
        if host.starts_with('/') {
            config.host_path(host);
        } else {
            config.host(host);
        }
    }
    let count = hosts.len().max(hostaddrs.len());
    if !hosts.is_empty() && !hostaddrs.is_empty() && hosts.len() != hostaddrs.len() {
        return fail(
            format!("{} hosts but {} hostaddrs", hosts.len(), hostaddrs.len()),
            "give one hostaddr per host",
        );
    }
    if ports.len() != 1 && ports.len() != count {
        return fail(
            format!("{} ports for {count} hosts", ports.len()),
            "give one port, or one per host",
        );
    }
    for port in &ports {
        config.port(*port);
    }
    if hosts.is_empty() {
        hosts = hostaddrs;
    }

    let user = match params.get("user") {
        Some(u) => u.to_string(),
        None => match env("USER").or_else(|| env("LOGNAME")).or_else(os_user_name) {
            Some(u) => u,
            None => {
                return Err(ConnectError::new(
                    "could not determine the database user name",
                    "set PGUSER, or give user= in the connection string",
                ));
            }
        },
    };
    let dbname = params.get("dbname").unwrap_or(&user).to_string();
    config.user(&user);
    config.dbname(&dbname);
    match params.get("password") {
        Some(pw) => {
            config.password(pw);
        }
        None => {
            let file = params
                .get("passfile")
                .map(PathBuf::from)
                .or_else(|| env("HOME").map(|h| Path::new(&h).join(".pgpass")));
            let port = ports[0].to_string();
            let host = hosts.first().map_or("localhost", String::as_str);
            if let Some(pw) = file.and_then(|f| pgpass::lookup(&f, host, &port, &dbname, &user)) {
                config.password(pw);
            }
        }
    }
    let app = params
        .get("application_name")
        .or(params.get("fallback_application_name"))
        .map_or_else(|| opts.application_name.clone(), str::to_string);
    if !app.is_empty() {
        config.application_name(&app);
    }
    if let Some(t) = connect_timeout {
        config.connect_timeout(t);
    }

    let all_sockets = !hosts.is_empty()
        && config.get_hostaddrs().is_empty()
        && config
            .get_hosts()
            .iter()
            .all(|h| !matches!(h, postgres::config::Host::Tcp(_)));
    let effective = if all_sockets {
        SslMode::Disable
    } else {
        ssl_mode
    };
    config.ssl_mode(effective.to_postgres());

    let target = Target {
        hosts,
        ports,
        dbname,
        user,
        ssl_mode,
        ssl_root_cert: params.get("sslrootcert").map(str::to_string),
        connect_timeout,
        source,
    };
    Ok((config, target, effective))
}

/// Resolve ([`resolve`]) and connect ([`connect_resolved`]).
pub fn connect(opts: &ConnectOptions) -> Result<(Client, Target), ConnectError> {
    let (config, target, mode) = resolve(opts)?;
    let client = connect_resolved(&config, &target, mode)?;
    Ok((client, target))
}

/// Connect with what [`resolve`] / [`resolve_with_env`] returned. Errors read
/// `could not connect to host=… port=… dbname=… user=…: <cause>` with a hint.
pub fn connect_resolved(
    config: &Config,
    target: &Target,
    mode: SslMode,
) -> Result<Client, ConnectError> {
    let password = config.get_password();
    let result = match mode {
        SslMode::Disable => connect_with_deadline(config, target, NoTls),
        _ => {
            let tls = tls_connector(mode, target).map_err(|e| e.redacted(password))?;
            connect_with_deadline(config, target, tls)
        }
    };
    result.map_err(|failure| describe_failure(failure, target, mode).redacted(password))
}

enum Failure {
    Postgres(postgres::Error),
    /// The whole attempt took longer than this.
    Deadline(Duration),
    /// The connecting thread died (a panic inside the client).
    Lost,
}

/// `config.connect(tls)` on a helper thread, giving up after `connect_timeout` per host
/// (postgres' own timeout covers only the TCP connect, not TLS or authentication). A
/// thread still stuck after the deadline is left behind; it ends when the server answers
/// or the socket fails, and drops its connection.
fn connect_with_deadline<T>(config: &Config, target: &Target, tls: T) -> Result<Client, Failure>
where
    T: MakeTlsConnect<Socket> + Send + 'static,
    T::TlsConnect: Send,
    T::Stream: Send,
    <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
{
    let Some(per_host) = target.connect_timeout else {
        return config.connect(tls).map_err(Failure::Postgres);
    };
    let hosts = target.hosts.len().max(1) as u32;
    // A little grace so that postgres' own TCP timeout (the clearer message) wins the race.
    let deadline = per_host * hosts + Duration::from_millis(250);
    let config = config.clone();
    let (tx, rx) = mpsc::channel();
    let spawned = thread::Builder::new()
        .name("schemactl-connect".into())
        .spawn(move || {
            let _ = tx.send(config.connect(tls));
        });
    if spawned.is_err() {
        return Err(Failure::Lost);
    }
    match rx.recv_timeout(deadline) {
        Ok(result) => result.map_err(Failure::Postgres),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(Failure::Deadline(per_host * hosts)),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(Failure::Lost),
    }
}

fn describe_failure(failure: Failure, target: &Target, mode: SslMode) -> ConnectError {
    let prefix = format!("could not connect to {target}");
    let timeout_hint = || {
        format!(
            "the server did not answer in time; check host and port, firewalls and VPNs, or \
             raise connect_timeout (now {})",
            target
                .connect_timeout
                .map_or("none".to_string(), |t| format!("{} s", t.as_secs_f64()))
        )
    };
    let e = match failure {
        Failure::Deadline(limit) => {
            return ConnectError::new(
                format!("{prefix}: timeout expired after {} s", limit.as_secs_f64()),
                timeout_hint(),
            );
        }
        Failure::Lost => {
            return ConnectError::new(
                format!("{prefix}: the connection attempt failed unexpectedly"),
                GENERIC_HINT,
            );
        }
        Failure::Postgres(e) => e,
    };
    let cause = cause_text(&e);
    let lower = cause.to_lowercase();
    use postgres::error::SqlState;
    let hint = if let Some(db) = e.as_db_error() {
        match db.code() {
            c if *c == SqlState::INVALID_PASSWORD => format!(
                "check the user name and password (in the connection string or PGPASSWORD) for user {}",
                conninfo_value(&target.user)
            ),
            c if *c == SqlState::INVALID_AUTHORIZATION_SPECIFICATION => {
                "the server's pg_hba.conf rejects this user, database, host or encryption; \
                 check the user name, or try another sslmode"
                    .to_string()
            }
            c if *c == SqlState::INVALID_CATALOG_NAME => format!(
                "database {} does not exist; create it (createdb) or fix dbname",
                conninfo_value(&target.dbname)
            ),
            c if *c == SqlState::TOO_MANY_CONNECTIONS => {
                "the server has no free connection slots; try again later".to_string()
            }
            c if *c == SqlState::CANNOT_CONNECT_NOW => {
                "the server is starting up or shutting down; try again shortly".to_string()
            }
            _ => "the server refused the connection for the reason above; check the user, \
                  database and the server's pg_hba.conf"
                .to_string(),
        }
    } else if lower.contains("server does not support tls") {
        format!(
            "sslmode={} needs TLS, but the server has ssl = off; enable ssl on the server or \
             use sslmode=prefer (or disable)",
            target.ssl_mode
        )
    } else if lower.contains("not valid for name") {
        format!(
            "the server certificate is not issued for {}; connect using a name the certificate \
             lists, or use sslmode=verify-ca to check the CA only",
            target.hosts.join(",")
        )
    } else if lower.contains("certificate") || lower.contains("tls handshake") {
        match mode {
            SslMode::VerifyFull | SslMode::VerifyCa => format!(
                "sslmode={mode} needs a server certificate signed by a trusted CA{}; point \
                 sslrootcert (or PGSSLROOTCERT) at the CA certificate, or use sslmode=require \
                 to encrypt without verifying the server",
                if mode == SslMode::VerifyFull {
                    " and issued for the host name"
                } else {
                    ""
                }
            ),
            _ => "the TLS handshake failed; try another sslmode".to_string(),
        }
    } else if lower.contains("password missing") {
        "the server asks for a password: put it in the connection string or set PGPASSWORD"
            .to_string()
    } else if lower.contains("timed out") {
        timeout_hint()
    } else if lower.contains("no such file") {
        format!(
            "no server socket {}/.s.PGSQL.{}; is the server running, and are the socket dir \
             and port right?",
            target.hosts.first().map_or("", String::as_str),
            target.ports.first().copied().unwrap_or(5432)
        )
    } else if lower.contains("refused") {
        "is the server running on that host and accepting TCP connections on that port?".to_string()
    } else if lower.contains("lookup")
        || lower.contains("resolve")
        || lower.contains("name or service")
    {
        "check the host name".to_string()
    } else {
        GENERIC_HINT.to_string()
    };
    ConnectError::new(format!("{prefix}: {cause}"), hint)
}

/// A `postgres::Error` without the uninformative `db error:` / `error connecting to server:`
/// wrapping kept only where it helps: e.g. `FATAL: password authentication failed for user
/// "bob"`, `error performing TLS handshake: server does not support TLS`.
fn cause_text(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{}: {}", db.severity(), db.message());
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

// ---------------------------------------------------------------------------------------
// TLS

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn tls_connector(mode: SslMode, target: &Target) -> Result<MakeRustlsConnect, ConnectError> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| {
            ConnectError::new(
                format!("could not set up TLS: {e}"),
                "check the certificate files named by sslrootcert, sslcert and sslkey (or \
                 PGSSLROOTCERT, PGSSLCERT, PGSSLKEY), or use another sslmode",
            )
        })?;
    let config = match mode {
        SslMode::Disable | SslMode::Prefer | SslMode::Require => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyServerCert { provider }))
            .with_no_client_auth(),
        SslMode::VerifyCa | SslMode::VerifyFull => {
            let roots = Arc::new(root_store(target)?);
            let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider)
                .build()
                .map_err(|e| {
                    ConnectError::new(
                        format!("could not set up certificate verification: {e}"),
                        "check that sslrootcert (or PGSSLROOTCERT) holds valid CA certificates",
                    )
                })?;
            if mode == SslMode::VerifyFull {
                builder.with_webpki_verifier(webpki).with_no_client_auth()
            } else {
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(IgnoreHostName(webpki)))
                    .with_no_client_auth()
            }
        }
    };
    Ok(MakeRustlsConnect::new(config))
}

/// Trust anchors for `verify-ca` / `verify-full`; see the module docs.
fn root_store(target: &Target) -> Result<RootCertStore, ConnectError> {
    let explicit = target.ssl_root_cert.as_deref();
    let file = match explicit {
        Some("system") => None,
        Some(path) => Some(PathBuf::from(path)),
        None => std::env::var_os("HOME")
            .map(|home| Path::new(&home).join(".postgresql/root.crt"))
            .filter(|p| p.is_file()),
    };
    let mut store = RootCertStore::empty();
    match file {
        Some(path) => {
            let shown = path.display();
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&path)
                .and_then(|it| it.collect::<Result<_, _>>())
                .map_err(|e| {
                    ConnectError::new(
                        format!("could not read the root certificates in {shown}: {e}"),
                        "sslrootcert must name a PEM file of CA certificates (or be `system`)",
                    )
                })?;
            let (added, _) = store.add_parsable_certificates(certs);
            if added == 0 {
                return Err(ConnectError::new(
                    format!("no usable CA certificate in {shown}"),
                    "sslrootcert must name a PEM file of CA certificates (or be `system`)",
                ));
            }
        }
        None => {
            let native = rustls_native_certs::load_native_certs();
            let (added, _) = store.add_parsable_certificates(native.certs);
            if added == 0 {
                return Err(ConnectError::new(
                    "no CA certificates found in the system certificate store",
                    "install the CA certificates (e.g. the ca-certificates package), or point \
                     sslrootcert / PGSSLROOTCERT at a PEM file",
                ));
            }
        }
    }
    Ok(store)
}

/// `sslmode=prefer`/`require` (libpq semantics): encrypt, but accept any server certificate.
/// Protects against passive eavesdropping only. The handshake signature is still verified
/// with the presented certificate's key.
#[derive(Debug)]
struct AcceptAnyServerCert {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for AcceptAnyServerCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// `sslmode=verify-ca`: the full webpki chain check, minus the host name.
#[derive(Debug)]
struct IgnoreHostName(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for IgnoreHostName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // webpki checks the chain (and revocation) first and the name last, so a name error
        // means everything else passed.
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

// ---------------------------------------------------------------------------------------
// Defaults

fn default_host(port: u16) -> String {
    if Path::new("/var/run/postgresql").is_dir() {
        "/var/run/postgresql".into()
    } else if Path::new(&format!("/tmp/.s.PGSQL.{port}")).exists() {
        "/tmp".into()
    } else {
        "localhost".into()
    }
}

/// The passwd name of our uid (only when `USER` and `LOGNAME` are unset).
fn os_user_name() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .nth(1)?
        .to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let uid_field = fields.nth(1)?;
        (uid_field == uid).then(|| name.to_string())
    })
}

// ---------------------------------------------------------------------------------------
// Parsing

/// Parameters, last setting wins, empty values dropped (libpq treats them as unset).
#[derive(Default)]
struct Params(Vec<(String, String)>);

impl Params {
    fn set(&mut self, key: String, value: String) {
        self.0.retain(|(k, _)| *k != key);
        if !value.is_empty() {
            self.0.push((key, value));
        }
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_str())
    }
}

/// Split a connection string into (key, value) pairs. The error says what is wrong and where
/// (byte offset or parameter name), never echoing the text.
fn parse_conninfo(s: &str) -> Result<Vec<(String, String)>, String> {
    let trimmed = s.trim();
    for scheme in ["postgresql://", "postgres://"] {
        if let Some(rest) = trimmed.strip_prefix(scheme) {
            return parse_url(rest);
        }
    }
    if let Some((scheme, _)) = trimmed.split_once("://") {
        // SQLAlchemy's form, as alembic.ini and env.py hold it.
        if let Some((base, driver)) = scheme.split_once('+')
            && matches!(base, "postgresql" | "postgres")
            && !driver.is_empty()
            && driver
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(format!(
                "a SQLAlchemy URL ({base}+{driver}://): schemactl connects with libpq, so drop `+{driver}` (start it with postgresql://)"
            ));
        }
        return Err("a URL must start with postgresql:// or postgres://".into());
    }
    parse_key_value(trimmed)
}

/// libpq's key=value syntax: `key = value` separated by whitespace; a value is bare (up to the
/// next whitespace) or single-quoted; `\` escapes the next character in both.
fn parse_key_value(s: &str) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    let mut it = s.char_indices().peekable();
    loop {
        while it.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        let Some(&(start, _)) = it.peek() else {
            return Ok(pairs);
        };
        let mut key = String::new();
        while let Some((_, c)) = it.next_if(|(_, c)| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        while it.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        if it.next_if(|(_, c)| *c == '=').is_none() {
            return Err(format!(
                "expected `key=value` at byte {start}{}",
                if is_keyword(&key) {
                    format!(" (missing `=` after `{key}`)")
                } else {
                    String::new()
                }
            ));
        }
        while it.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if it.next_if(|(_, c)| *c == '\'').is_some() {
            loop {
                match it.next() {
                    None => {
                        return Err(format!(
                            "unterminated quoted value for `{}`",
                            shown_key(&key)
                        ));
                    }
                    Some((_, '\\')) => {
                        if let Some((_, c)) = it.next() {
                            value.push(c);
                        }
                    }
                    Some((_, '\'')) => break,
                    Some((_, c)) => value.push(c),
                }
            }
        } else {
            while let Some((_, c)) = it.next_if(|(_, c)| !c.is_whitespace()) {
                if c == '\\' {
                    if let Some((_, c)) = it.next() {
                        value.push(c);
                    }
                } else {
                    value.push(c);
                }
            }
        }
        pairs.push((key, value));
    }
}

fn is_keyword(key: &str) -> bool {
    HANDLED.contains(&key) || PASS_THROUGH.contains(&key) || UNSUPPORTED.contains(&key)
}

fn shown_key(key: &str) -> &str {
    if is_keyword(key) { key } else { "a parameter" }
}

/// `[user[:password]@][host[:port][,…]][/dbname][?key=value&…]`, percent-decoded. Hosts may be
/// `[ipv6]`, or percent-encoded socket dirs. A raw `@` in the password works (the last `@`
/// before the query ends the user info); `?` must be encoded.
fn parse_url(rest: &str) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    let (main, query) = match rest.split_once('?') {
        Some((m, q)) => (m, Some(q)),
        None => (rest, None),
    };
    let (userinfo, hostpath) = match main.rfind('@') {
        Some(i) => (Some(&main[..i]), &main[i + 1..]),
        None => (None, main),
    };
    if let Some(userinfo) = userinfo {
        let (user, password) = match userinfo.split_once(':') {
            Some((u, p)) => (u, Some(p)),
            None => (userinfo, None),
        };
        let user = percent_decode(user).map_err(|why| format!("{why} in the user name"))?;
        pairs.push(("user".into(), user));
        if let Some(password) = password {
            let password =
                percent_decode(password).map_err(|why| format!("{why} in the password"))?;
            pairs.push(("password".into(), password));
        }
    }
    let (hostspec, path) = match hostpath.split_once('/') {
        Some((h, p)) => (h, Some(p)),
        None => (hostpath, None),
    };
    if !hostspec.is_empty() {
        let mut hosts = Vec::new();
        let mut ports = Vec::new();
        for chunk in hostspec.split(',') {
            let (host, port) = if let Some(inner) = chunk.strip_prefix('[') {
                let Some((host, after)) = inner.split_once(']') else {
                    return Err("unterminated `[` in an IPv6 host".into());
                };
                let port = match after {
                    "" => "",
                    _ => after
                        .strip_prefix(':')
                        .ok_or("unexpected text after an IPv6 host `]`")?,
                };
                (host, port)
            } else {
                match chunk.split_once(':') {
                    Some((h, p)) => (h, p),
                    None => (chunk, ""),
                }
            };
            hosts.push(percent_decode(host).map_err(|why| format!("{why} in a host"))?);
            if !port.bytes().all(|b| b.is_ascii_digit()) {
                return Err("invalid port in the URL's host part".into());
            }
            ports.push(port.to_string());
        }
        if hosts.iter().any(|h| !h.is_empty()) {
            pairs.push(("host".into(), hosts.join(",")));
        }
        if ports.iter().any(|p| !p.is_empty()) {
            pairs.push(("port".into(), ports.join(",")));
        }
    }
    if let Some(path) = path
        && !path.is_empty()
    {
        let dbname = percent_decode(path).map_err(|why| format!("{why} in the database name"))?;
        pairs.push(("dbname".into(), dbname));
    }
    for part in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let Some((key, value)) = part.split_once('=') else {
            return Err("a query parameter has no `=value`".into());
        };
        let key = percent_decode(key).map_err(|why| format!("{why} in a query parameter name"))?;
        let value = percent_decode(value)
            .map_err(|why| format!("{why} in the value of `{}`", shown_key(&key)))?;
        // JDBC-style `ssl=true`, accepted by libpq as sslmode=require.
        if key == "ssl" && value == "true" {
            pairs.push(("sslmode".into(), "require".into()));
        } else {
            pairs.push((key, value));
        }
    }
    Ok(pairs)
}

/// `%XX` decoded by the `percent-encoding` crate; like libpq, a `%` not followed by two hex
/// digits is an error (the crate would keep it as it is).
fn percent_decode(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let hex = |i: usize| b.get(i).is_some_and(u8::is_ascii_hexdigit);
    if (0..b.len()).any(|i| b[i] == b'%' && !(hex(i + 1) && hex(i + 2))) {
        return Err("invalid percent-encoding".to_string());
    }
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| "invalid UTF-8 after percent-decoding".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(s: &str) -> Vec<(String, String)> {
        parse_conninfo(s).unwrap()
    }

    fn p(k: &str, v: &str) -> (String, String) {
        (k.into(), v.into())
    }

    #[test]
    fn key_value_syntax() {
        assert_eq!(
            pairs(r"host = /tmp  dbname='my db' password='it\'s' user=a\ b"),
            vec![
                p("host", "/tmp"),
                p("dbname", "my db"),
                p("password", "it's"),
                p("user", "a b")
            ]
        );
        assert!(parse_conninfo("host").unwrap_err().contains("byte 0"));
        assert!(
            parse_conninfo("password='abc")
                .unwrap_err()
                .contains("unterminated")
        );
    }

    #[test]
    fn percent_decoding_is_strict_like_libpq() {
        assert_eq!(percent_decode("a%20b%2Fc").unwrap(), "a b/c");
        assert_eq!(percent_decode("%C3%A9").unwrap(), "é");
        for bad in ["%", "%2", "%zz", "50%", "%%41"] {
            assert_eq!(
                percent_decode(bad).unwrap_err(),
                "invalid percent-encoding",
                "{bad}"
            );
        }
        assert!(percent_decode("%FF").unwrap_err().contains("UTF-8"));
    }

    #[test]
    fn url_syntax() {
        assert_eq!(
            pairs("postgresql://u%40x:p@ss@%2Ftmp%2Fd:5433/db%20x?sslmode=require&ssl=true"),
            vec![
                p("user", "u@x"),
                p("password", "p@ss"),
                p("host", "/tmp/d"),
                p("port", "5433"),
                p("dbname", "db x"),
                p("sslmode", "require"),
                p("sslmode", "require"),
            ]
        );
        assert_eq!(
            pairs("postgres://[::1]:5,h2/d"),
            vec![p("host", "::1,h2"), p("port", "5,"), p("dbname", "d")]
        );
        assert_eq!(
            pairs("postgresql:///d?host=/run/pg"),
            vec![p("dbname", "d"), p("host", "/run/pg")]
        );
        assert!(parse_conninfo("postgres://h/d?x").is_err());
        assert!(
            parse_conninfo("postgres://u:%zz@h")
                .unwrap_err()
                .contains("password")
        );
        assert!(parse_conninfo("mysql://h").is_err());
        // SQLAlchemy's URL, as Alembic projects hold it: the fix, without the secret.
        let e = parse_conninfo("postgresql+psycopg2://u:secret@h/d").unwrap_err();
        assert!(e.contains("drop `+psycopg2`"), "{e}");
        assert!(!e.contains("secret"), "{e}");
    }
}
