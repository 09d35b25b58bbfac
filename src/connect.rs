//! Database connections (minimal stand-in; replaced by the full module with TLS and PG* env
//! fallbacks).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

pub struct ConnectOptions {
    pub url: Option<String>,
    pub url_env: String,
    pub connect_timeout: Option<Duration>,
    pub application_name: String,
}

/// Password-free description of where we connect.
pub struct Target(String);

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug)]
pub struct ConnectError {
    pub message: String,
    pub hint: String,
}

pub fn connect(opts: &ConnectOptions) -> Result<(postgres::Client, Target), ConnectError> {
    let url = opts
        .url
        .clone()
        .or_else(|| std::env::var(&opts.url_env).ok())
        .ok_or_else(|| ConnectError {
            message: "no database given".into(),
            hint: format!("pass --db URL or set {}", opts.url_env),
        })?;
    let mut config = postgres::Config::from_str(&url).map_err(|_| ConnectError {
        message: "invalid connection string".into(),
        hint: "use postgres://user@host:port/db or key=value pairs".into(),
    })?;
    config.connect_timeout(opts.connect_timeout.unwrap_or(Duration::from_secs(10)));
    config.application_name(&opts.application_name);
    let target = Target(format!("dbname={}", config.get_dbname().unwrap_or("?")));
    let client = config.connect(postgres::NoTls).map_err(|e| ConnectError {
        message: format!(
            "could not connect to {target}: {}",
            crate::devdb::describe_pg_error(&e)
        ),
        hint: "check the server address and credentials".into(),
    })?;
    Ok((client, target))
}
