//! A Python with SQLAlchemy 2, Alembic and psycopg2 for the tests that drive real Alembic:
//! `SCHEMACTL_TEST_PYTHON` when set, else a virtualenv made once under Cargo's target
//! directory with pip (pinned versions below; remade when they change). `None` only when
//! there is no `python3` at all: the caller skips with a visible message. A Python that
//! cannot make a venv or install the packages fails the test (CI installs python3-venv).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use super::project::text;

/// What the venv holds: the versions the tests were written against.
pub const REQUIREMENTS: &[&str] = &[
    "SQLAlchemy==2.0.58",
    "alembic==1.20.1",
    "psycopg2-binary==2.9.13",
];

pub fn alembic_python() -> Option<PathBuf> {
    static PYTHON: OnceLock<Option<PathBuf>> = OnceLock::new();
    PYTHON.get_or_init(find).clone()
}

fn find() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SCHEMACTL_TEST_PYTHON").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!(
            "SKIPPED: no python3 on this machine; the tests that drive real Alembic need Python 3 (set SCHEMACTL_TEST_PYTHON or install python3 and python3-venv)"
        );
        return None;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("alembic-venv");
    let marker = |d: &Path| d.join("schemactl-requirements.txt");
    let wanted = REQUIREMENTS.join("\n");
    let ready = |d: &Path| {
        std::fs::read_to_string(marker(d)).ok().as_deref() == Some(wanted.as_str())
            && d.join("bin/python").is_file()
    };
    if ready(&dir) {
        return Some(dir.join("bin/python"));
    }
    // Made beside it and renamed into place, so a concurrent or interrupted run never sees
    // half a venv (everything runs `python -m …`, which works in a moved venv).
    let building = dir.with_extension(format!("building-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&building);
    run(
        Command::new("python3").args(["-m", "venv"]).arg(&building),
        "python3 -m venv (Debian: apt-get install python3-venv)",
    );
    run(
        Command::new(building.join("bin/python"))
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(REQUIREMENTS),
        "pip install of SQLAlchemy, Alembic and psycopg2-binary",
    );
    std::fs::write(marker(&building), &wanted).expect("write the venv marker");
    if !ready(&dir) {
        let _ = std::fs::remove_dir_all(&dir);
        if std::fs::rename(&building, &dir).is_err() && !ready(&dir) {
            panic!("cannot move the venv into {}", dir.display());
        }
    }
    let _ = std::fs::remove_dir_all(&building);
    Some(dir.join("bin/python"))
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    assert!(
        out.status.success(),
        "{what} failed:\n{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// `python -m alembic <args>` in `project` (which holds alembic.ini), with `env`.
pub fn alembic(python: &Path, project: &Path, env: &[(&str, &str)], args: &[&str]) -> String {
    let out = Command::new(python)
        .current_dir(project)
        .args(["-m", "alembic"])
        .args(args)
        .envs(env.iter().copied())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("run alembic");
    assert!(
        out.status.success(),
        "alembic {args:?} failed:\n{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}

/// A SQLAlchemy URL for a libpq connection string (URL or key=value): psycopg2 passes the
/// `dsn` query parameter to libpq unchanged.
pub fn sqlalchemy_url(conninfo: &str) -> String {
    format!(
        "postgresql+psycopg2://?dsn={}",
        percent_encoding::utf8_percent_encode(conninfo, percent_encoding::NON_ALPHANUMERIC)
    )
}

/// A copy of the Alembic fixture project `name` (under tests/fixtures/alembic) without the
/// revision files whose names start with an id in `without` (in `alembic/versions`).
pub fn alembic_fixture(name: &str, without: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    super::project::copy_tree(&Path::new("tests/fixtures/alembic").join(name), dir.path());
    let versions = dir.path().join("alembic/versions");
    if let Ok(entries) = std::fs::read_dir(&versions) {
        for entry in entries {
            let p = entry.unwrap().path();
            let file = p.file_name().unwrap().to_string_lossy().into_owned();
            if without.iter().any(|id| file.starts_with(id)) {
                std::fs::remove_file(p).unwrap();
            }
        }
    }
    dir
}
