//! Building an Alembic chain from empty: `alembic upgrade heads` run by the project's own
//! Python (`upgrade.py`) into a throwaway database, the only place schemactl runs Python.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The script `python -c` runs; see its header.
const SCRIPT: &str = include_str!("upgrade.py");

/// Where and how to run the chain.
pub struct Upgrade<'a> {
    /// The project's Python (with SQLAlchemy, Alembic and a PostgreSQL driver).
    pub python: &'a Path,
    /// `alembic.ini`, when the project has one (its logging and options are used).
    pub ini: Option<&'a Path>,
    /// `pyproject.toml` with a `[tool.alembic]` table, when the project has one.
    pub toml: Option<&'a Path>,
    /// The script directory (holding env.py and versions/).
    pub script_dir: &'a Path,
    /// Environment variables env.py reads its URL from; each is set to the throwaway URL.
    pub url_env: &'a [String],
}

/// The throwaway database: a unix socket directory, port, role and name.
pub struct Target<'a> {
    pub socket_dir: &'a Path,
    pub port: u16,
    pub user: &'a str,
    pub dbname: &'a str,
}

/// Why the chain was not built.
#[derive(Debug)]
pub enum Failure {
    /// The Python executable cannot be started.
    NoPython(String),
    /// It runs but lacks SQLAlchemy/Alembic or a driver (the message says which).
    Environment(String),
    /// `alembic upgrade heads` failed: the chain does not build from empty (the end of
    /// Alembic's output says why).
    Upgrade(String),
}

/// Run `alembic upgrade heads` into `target`; Alembic's log output is returned.
pub fn run(u: &Upgrade, target: &Target) -> Result<String, Failure> {
    // env.py imports the application from the directory alembic.ini is in (Alembic's
    // `prepend_sys_path = .` and the usual `python -m alembic` habit).
    let cwd: PathBuf = match u.ini.or(u.toml).and_then(Path::parent) {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => u
            .script_dir
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default(),
    };
    let mut cmd = Command::new(u.python);
    cmd.arg("-c").arg(SCRIPT);
    if !cwd.as_os_str().is_empty() {
        cmd.current_dir(&cwd);
    }
    cmd.env("SCHEMACTL_ALEMBIC_DIR", absolute(u.script_dir))
        .env(
            "SCHEMACTL_ALEMBIC_INI",
            u.ini.map(absolute).unwrap_or_default(),
        )
        .env(
            "SCHEMACTL_ALEMBIC_TOML",
            u.toml.map(absolute).unwrap_or_default(),
        )
        .env("SCHEMACTL_PG_HOST", target.socket_dir)
        .env("SCHEMACTL_PG_PORT", target.port.to_string())
        .env("SCHEMACTL_PG_USER", target.user)
        .env("SCHEMACTL_PG_DB", target.dbname)
        .env("SCHEMACTL_URL_ENV", u.url_env.join(","))
        // libpq defaults must not point the driver anywhere else.
        .env_remove("PGHOST")
        .env_remove("PGPORT")
        .env_remove("PGDATABASE")
        .env_remove("PGSERVICE");
    let out = cmd
        .output()
        .map_err(|e| Failure::NoPython(format!("cannot run {}: {e}", u.python.display())))?;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    match out.status.code() {
        Some(0) => Ok(format!("{stdout}{stderr}")),
        Some(3 | 4) => Err(Failure::Environment(last_lines(&stderr, 3))),
        _ => Err(Failure::Upgrade(last_lines(
            &format!("{stdout}{stderr}"),
            12,
        ))),
    }
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// The last `n` non-empty lines (a traceback's end says what failed).
fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
