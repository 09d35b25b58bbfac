//! A throwaway PostgreSQL cluster started from the locally installed server binaries, in a
//! temp dir, listening only on a unix socket. Used by the test harness and by `--dev`.
//!
//! [`Cluster::start`] finds the server binaries, runs `initdb` into a fresh temp dir and starts
//! the server with `pg_ctl -w`. The server has no TCP listener (`listen_addresses = ''`); its
//! socket lives in the temp dir, so clusters never collide with each other or with a real
//! server. Durability is switched off (`fsync`, `synchronous_commit`, `full_page_writes`):
//! the data is thrown away anyway. Authentication is `trust` for the `postgres` superuser, so
//! there is no password anywhere.
//!
//! Clean-up happens in three ways:
//! - [`Cluster::stop`] (also run by `Drop`): `pg_ctl stop -m fast`, then the temp dir is removed.
//! - A watchdog: at start a detached `sh` is spawned whose stdin is a pipe held open only by
//!   this process (the write end is close-on-exec, so no other program inherits it). When this
//!   process exits in any way — normally, by a signal, with the `Cluster` leaked in a `static` —
//!   the pipe reaches EOF and the watchdog stops the server (`SIGQUIT` = immediate shutdown,
//!   `SIGKILL` after 5 s) and removes the temp dir. It runs in its own process group, so a
//!   Ctrl-C in the terminal does not kill it before it has done its job.
//!
//! Running as root: `initdb` and `postgres` refuse to run as root, so when the effective uid is
//! 0 they run as the OS user `postgres` (or `SCHEMACTL_PG_OS_USER`) via `runuser -u <user> --`,
//! falling back to `su <user> -s /bin/sh -c`. The temp dir is then created under `/tmp` and
//! `chown`ed to that user.
//!
//! Environment:
//! - `SCHEMACTL_PG_BINDIR`: directory holding `initdb`, `pg_ctl` and `postgres`.
//! - `SCHEMACTL_PG_OS_USER`: OS user to run the server as when running as root
//!   (default `postgres`).

use std::fs;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::DirBuilderExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::sql::quote_ident;

/// The superuser `initdb` creates (`-U`).
const SUPERUSER: &str = "postgres";
/// Default OS user the server runs as when we are root.
const DEFAULT_OS_USER: &str = "postgres";
/// Preferred major version when several are installed under `/usr/lib/postgresql`.
const PREFERRED_MAJOR: u32 = 15;
/// Server settings appended to `postgresql.conf` (besides socket dir and port).
const SETTINGS: &[(&str, &str)] = &[
    ("listen_addresses", "''"),
    ("max_connections", "200"),
    // A large initial migration runs in one transaction and locks every relation it creates.
    ("max_locks_per_transaction", "1024"),
    ("fsync", "off"),
    ("synchronous_commit", "off"),
    ("full_page_writes", "off"),
    ("wal_level", "minimal"),
    ("max_wal_senders", "0"),
    ("unix_socket_permissions", "0700"),
];
const HINT: &str = "hint: install the PostgreSQL server package (e.g. `apt-get install postgresql-15`), \
                    or set SCHEMACTL_PG_BINDIR to the directory holding initdb and pg_ctl";
/// Lines of a log shown in an error.
const LOG_TAIL_LINES: usize = 25;

/// Why the throwaway server could not be provided. The message says what failed, carries the
/// tail of the relevant log and, where useful, a hint. It never contains a password (the
/// cluster uses `trust` authentication and has none).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DevDbError {
    pub message: String,
}

impl DevDbError {
    fn new(message: impl Into<String>) -> Self {
        DevDbError {
            message: message.into(),
        }
    }
}

/// The detached clean-up process; see the module docs.
#[derive(Debug)]
struct Watchdog {
    child: Child,
    /// Write end of the watchdog's stdin. Closing it (drop, or process exit) triggers clean-up.
    pipe: ChildStdin,
}

/// A running throwaway cluster. Stopped and removed by [`Cluster::stop`] or on drop; if neither
/// happens (a `static`, a crash), by the watchdog when the process exits.
#[derive(Debug)]
pub struct Cluster {
    temp_dir: PathBuf,
    data_dir: PathBuf,
    socket_dir: PathBuf,
    log_file: PathBuf,
    port: u16,
    superuser: String,
    bin_dir: PathBuf,
    /// OS user the server runs as when we are root; `None` means "as ourselves".
    os_user: Option<String>,
    watchdog: Mutex<Option<Watchdog>>,
    /// Serialises `CREATE DATABASE` (concurrent creates from `template1` can fail with
    /// "source database is being accessed by other users").
    create_lock: Mutex<()>,
    startup_time: Duration,
    stopped: bool,
}

impl Cluster {
    /// Find the server binaries, `initdb` a fresh cluster in a new temp dir and start it on a
    /// unix socket in that dir. Takes about a second, almost all of it `initdb` (~0.7 s on an
    /// idle machine; `pg_ctl start -w` ~0.12 s).
    pub fn start() -> Result<Cluster, DevDbError> {
        let started = Instant::now();
        let bin_dir = find_bin_dir()?;
        let os_user = if is_root() {
            Some(std::env::var("SCHEMACTL_PG_OS_USER").unwrap_or_else(|_| DEFAULT_OS_USER.into()))
        } else {
            None
        };
        let temp_dir = make_temp_dir(os_user.is_some())?;
        // From here on, a failure must not leave the temp dir (or a server) behind.
        let mut cluster = Cluster {
            data_dir: temp_dir.join("data"),
            socket_dir: temp_dir.clone(),
            log_file: temp_dir.join("server.log"),
            temp_dir,
            port: pick_port(),
            superuser: SUPERUSER.into(),
            bin_dir,
            os_user,
            watchdog: Mutex::new(None),
            create_lock: Mutex::new(()),
            startup_time: Duration::ZERO,
            stopped: false,
        };
        match cluster.init_and_start() {
            Ok(()) => {
                cluster.startup_time = started.elapsed();
                Ok(cluster)
            }
            Err(e) => {
                cluster.stop();
                Err(e)
            }
        }
    }

    fn init_and_start(&mut self) -> Result<(), DevDbError> {
        if let Some(user) = &self.os_user {
            let out = Command::new("chown")
                .arg(user)
                .arg(&self.temp_dir)
                .stdin(Stdio::null())
                .output()
                .map_err(|e| DevDbError::new(format!("could not run chown: {e}")))?;
            if !out.status.success() {
                return Err(DevDbError::new(format!(
                    "running as root, but could not hand the temp dir {} to the OS user {user:?} \
                     the server must run as (chown failed):\n{}\nhint: create that user, set \
                     SCHEMACTL_PG_OS_USER to an existing unprivileged user, or run as a non-root user",
                    self.temp_dir.display(),
                    tail(&String::from_utf8_lossy(&out.stderr), LOG_TAIL_LINES)
                )));
            }
        }
        // Spawn the watchdog before anything that could leave a server running.
        self.spawn_watchdog()?;

        let initdb = self.bin_dir.join("initdb");
        let out = self.run_as_server_user(
            &initdb,
            &[
                "-D".as_ref(),
                self.data_dir.as_os_str(),
                "-A".as_ref(),
                "trust".as_ref(),
                "-U".as_ref(),
                self.superuser.as_ref(),
                "-E".as_ref(),
                "UTF8".as_ref(),
                "--locale=C".as_ref(),
                "--no-sync".as_ref(),
            ],
        )?;
        if !out.status.success() {
            return Err(DevDbError::new(format!(
                "initdb failed ({}) for the throwaway cluster in {}:\n{}\n{}",
                out.status,
                self.data_dir.display(),
                tail(&output_text(&out), LOG_TAIL_LINES),
                self.user_hint(HINT)
            )));
        }

        self.write_settings()?;

        let out = self.pg_ctl(&["start", "-w", "-t", "60"], true)?;
        if !out.status.success() {
            return Err(DevDbError::new(format!(
                "could not start the throwaway PostgreSQL server (pg_ctl start: {}):\n{}\n\
                 server log (last lines):\n{}\n{}",
                out.status,
                tail(&output_text(&out), LOG_TAIL_LINES),
                self.log_tail(),
                self.user_hint(&format!(
                    "hint: the server binaries are in {}; the log above says why the server \
                     did not start",
                    self.bin_dir.display()
                ))
            )));
        }
        Ok(())
    }

    /// `ALTER SYSTEM SET` each setting and restart the server (`pg_ctl restart -w`), for
    /// settings that need a restart (`listen_addresses`, the lock table size). Used by the
    /// benchmarks; values are quoted as string literals.
    pub fn restart_with(&self, settings: &[(&str, &str)]) -> Result<(), DevDbError> {
        {
            let mut c = self.connect("postgres")?;
            for (key, value) in settings {
                let sql = format!(
                    "ALTER SYSTEM SET {} = '{}'",
                    quote_ident(key),
                    value.replace('\'', "''")
                );
                c.batch_execute(&sql)
                    .map_err(|e| DevDbError::new(format!("{sql}: {}", describe_pg_error(&e))))?;
            }
        }
        let out = self.pg_ctl(&["restart", "-w", "-m", "fast"], true)?;
        if !out.status.success() {
            return Err(DevDbError::new(format!(
                "could not restart the throwaway PostgreSQL server (pg_ctl restart: {}):\n{}\n\
                 server log (last lines):\n{}",
                out.status,
                tail(&output_text(&out), LOG_TAIL_LINES),
                self.log_tail()
            )));
        }
        Ok(())
    }

    /// `pg_ctl ARGS -D <data dir> [-l <log file>]` as the server's OS user.
    fn pg_ctl(&self, args: &[&str], log: bool) -> Result<Output, DevDbError> {
        let mut all: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_ref()).collect();
        all.extend(["-D".as_ref(), self.data_dir.as_os_str()]);
        if log {
            all.extend(["-l".as_ref(), self.log_file.as_os_str()]);
        }
        self.run_as_server_user(&self.bin_dir.join("pg_ctl"), &all)
    }

    /// Append our settings to `postgresql.conf` (avoids quoting paths through `pg_ctl -o`).
    fn write_settings(&self) -> Result<(), DevDbError> {
        let mut conf = String::from("\n# added by schemactl (throwaway cluster)\n");
        conf.push_str(&format!(
            "unix_socket_directories = {}\nport = {}\n",
            conf_string(&self.socket_dir.to_string_lossy()),
            self.port
        ));
        for (key, value) in SETTINGS {
            conf.push_str(&format!("{key} = {value}\n"));
        }
        let path = self.data_dir.join("postgresql.conf");
        fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(conf.as_bytes()))
            .map_err(|e| DevDbError::new(format!("could not write {}: {e}", path.display())))
    }

    /// Run a server program (as the server's OS user when we are root), cwd = temp dir, with
    /// stdout and stderr captured. `pg_ctl start` redirects the server's own output to the log
    /// file, so the capture pipes are not held open by the server.
    fn run_as_server_user(
        &self,
        program: &Path,
        args: &[&std::ffi::OsStr],
    ) -> Result<Output, DevDbError> {
        let run = |mut cmd: Command| {
            cmd.current_dir(&self.temp_dir)
                .stdin(Stdio::null())
                .env("LC_ALL", "C")
                .env("TZ", "UTC");
            for var in [
                "PGDATA",
                "PGHOST",
                "PGPORT",
                "PGUSER",
                "PGDATABASE",
                "PGOPTIONS",
            ] {
                cmd.env_remove(var);
            }
            cmd.output()
        };
        let Some(user) = &self.os_user else {
            let mut cmd = Command::new(program);
            cmd.args(args);
            return run(cmd).map_err(|e| {
                DevDbError::new(format!("could not run {}: {e}\n{HINT}", program.display()))
            });
        };
        let mut cmd = Command::new("runuser");
        cmd.arg("-u").arg(user).arg("--").arg(program).args(args);
        match run(cmd) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(DevDbError::new(format!(
                    "could not run {} via runuser as {user:?}: {e}",
                    program.display()
                )));
            }
            Ok(out) => return Ok(out),
        }
        // No runuser: fall back to su with a quoted shell command.
        let mut line = sh_quote(&program.to_string_lossy());
        for arg in args {
            line.push(' ');
            line.push_str(&sh_quote(&arg.to_string_lossy()));
        }
        let mut cmd = Command::new("su");
        cmd.arg(user).arg("-s").arg("/bin/sh").arg("-c").arg(line);
        run(cmd).map_err(|e| {
            DevDbError::new(format!(
                "could not run {} as {user:?} (neither runuser nor su worked: {e})",
                program.display()
            ))
        })
    }

    fn spawn_watchdog(&self) -> Result<(), DevDbError> {
        // $1 = data dir, $2 = temp dir. `cat` returns when every write end of the pipe is
        // closed, i.e. when the owning process has exited or dropped the `Cluster`.
        const SCRIPT: &str = r#"trap '' HUP INT
cat >/dev/null
pidfile="$1/postmaster.pid"
if [ -f "$pidfile" ]; then
  pid=$(head -n 1 "$pidfile")
  if [ -n "$pid" ] && kill -QUIT "$pid" 2>/dev/null; then
    i=0
    # The postmaster removes its pid file on exit; a zombie still answers kill -0.
    while [ -f "$pidfile" ] && kill -0 "$pid" 2>/dev/null && [ "$i" -lt 100 ]; do
      sleep 0.05; i=$((i+1))
    done
    [ -f "$pidfile" ] && kill -KILL "$pid" 2>/dev/null
  fi
fi
rm -rf "$2"
"#;
        let mut child = Command::new("/bin/sh")
            .arg("-c")
            .arg(SCRIPT)
            .arg("schemactl-devdb-watchdog")
            .arg(&self.data_dir)
            .arg(&self.temp_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .current_dir("/")
            .process_group(0)
            .spawn()
            .map_err(|e| DevDbError::new(format!("could not spawn the clean-up watchdog: {e}")))?;
        let pipe = child.stdin.take().expect("stdin is piped");
        *lock(&self.watchdog) = Some(Watchdog { child, pipe });
        Ok(())
    }

    /// libpq key=value connection string for `dbname`, e.g.
    /// `host=/tmp/schemactl-pg-123-0-abc port=45123 user=postgres dbname=foo`.
    /// Values are quoted when needed. There is no password (trust authentication).
    pub fn conninfo(&self, dbname: &str) -> String {
        format!(
            "host={} port={} user={} dbname={}",
            conninfo_value(&self.socket_dir.to_string_lossy()),
            self.port,
            conninfo_value(&self.superuser),
            conninfo_value(dbname)
        )
    }

    /// Connect as the superuser to `dbname`.
    pub fn connect(&self, dbname: &str) -> Result<postgres::Client, DevDbError> {
        postgres::Client::connect(&self.conninfo(dbname), postgres::NoTls).map_err(|e| {
            DevDbError::new(format!(
                "could not connect to database {dbname:?} of the throwaway cluster: {}\n\
                 server log:\n{}",
                describe_pg_error(&e),
                self.log_tail()
            ))
        })
    }

    /// `CREATE DATABASE "<name>"` (from `template1`, owned by the superuser) and return its
    /// conninfo. Creates are serialised per cluster and retried when `template1` is busy.
    pub fn create_database(&self, name: &str) -> Result<String, DevDbError> {
        let _guard = lock(&self.create_lock);
        let mut client = self.connect("postgres")?;
        let sql = format!("CREATE DATABASE {}", quote_ident(name));
        let mut attempt = 0;
        loop {
            match client.batch_execute(&sql) {
                Ok(()) => return Ok(self.conninfo(name)),
                // 55006 object_in_use: "source database template1 is being accessed by other users"
                Err(e)
                    if attempt < 50
                        && e.code() == Some(&postgres::error::SqlState::OBJECT_IN_USE) =>
                {
                    attempt += 1;
                    thread::sleep(Duration::from_millis(20 * attempt.min(10)));
                }
                Err(e) => {
                    return Err(DevDbError::new(format!(
                        "could not create database {name:?} in the throwaway cluster: {}",
                        describe_pg_error(&e)
                    )));
                }
            }
        }
    }

    /// `DROP DATABASE IF EXISTS "<name>" WITH (FORCE)` (disconnects remaining sessions).
    pub fn drop_database(&self, name: &str) -> Result<(), DevDbError> {
        let mut client = self.connect("postgres")?;
        client
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                quote_ident(name)
            ))
            .map_err(|e| {
                DevDbError::new(format!(
                    "could not drop database {name:?} in the throwaway cluster: {}",
                    describe_pg_error(&e)
                ))
            })
    }

    /// Stop the server (`pg_ctl stop -m fast`, escalating to an immediate shutdown and then
    /// `SIGKILL`) and remove the temp dir. Idempotent; never panics. Errors are reported on
    /// stderr only, since there is nothing a caller could do about them.
    pub fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        if self.data_dir.join("postmaster.pid").exists() {
            self.stop_server();
        }
        match fs::remove_dir_all(&self.temp_dir) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => eprintln!(
                "schemactl: could not remove the throwaway cluster dir {}: {e}",
                self.temp_dir.display()
            ),
            _ => {}
        }
        // Everything is gone: let the watchdog exit (EOF on its stdin) and reap it.
        if let Some(Watchdog { mut child, pipe }) = lock(&self.watchdog).take() {
            drop(pipe);
            let _ = child.wait();
        }
    }

    fn stop_server(&self) {
        for mode in ["fast", "immediate"] {
            let out = self.pg_ctl(&["stop", "-w", "-t", "30", "-m", mode], false);
            if matches!(&out, Ok(o) if o.status.success()) {
                return;
            }
        }
        // Last resort: kill the postmaster directly.
        if let Some(pid) = self.postmaster_pid() {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .stderr(Stdio::null())
                .status();
            eprintln!(
                "schemactl: pg_ctl could not stop the throwaway server (pid {pid}); killed it"
            );
        }
    }

    fn postmaster_pid(&self) -> Option<u32> {
        let text = fs::read_to_string(self.data_dir.join("postmaster.pid")).ok()?;
        text.lines().next()?.trim().parse().ok()
    }

    /// The last lines of the server log (empty if there is none yet).
    pub fn log_tail(&self) -> String {
        read_tail(&self.log_file, LOG_TAIL_LINES)
    }

    fn user_hint(&self, base: &str) -> String {
        match &self.os_user {
            Some(user) => format!(
                "{base}\n(running as root: the server runs as the OS user {user:?} via runuser/su; \
                 set SCHEMACTL_PG_OS_USER to use another one)"
            ),
            None => base.to_string(),
        }
    }

    /// Directory holding the server's unix socket (also the temp dir of the cluster).
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// The port number, used only in the socket file name (`.s.PGSQL.<port>`).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The superuser name (`postgres`).
    pub fn superuser(&self) -> &str {
        &self.superuser
    }

    /// The cluster's data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The temp dir holding everything (data dir, socket, server log); removed by `stop`.
    pub fn temp_dir(&self) -> &Path {
        &self.temp_dir
    }

    /// Directory of the server binaries in use.
    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    /// The server log file.
    pub fn log_file(&self) -> &Path {
        &self.log_file
    }

    /// How long `start` took (finding binaries, initdb, server start).
    pub fn startup_time(&self) -> Duration {
        self.startup_time
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A `postgres::Error` with its causes (`db error` alone says nothing): e.g.
/// `db error: ERROR: database "x" already exists`. Contains no connection parameters.
pub fn describe_pg_error(e: &postgres::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Where the server binaries are: `SCHEMACTL_PG_BINDIR`, else `/usr/lib/postgresql/<v>/bin`
/// (15 if present, else the highest), else `/usr/pgsql-<v>/bin` likewise, else
/// `pg_config --bindir`, else the directory of `initdb` on `PATH`.
pub fn find_bin_dir() -> Result<PathBuf, DevDbError> {
    let has_server = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(dir) = std::env::var_os("SCHEMACTL_PG_BINDIR") {
        let dir = PathBuf::from(dir);
        return if has_server(&dir) {
            Ok(dir)
        } else {
            Err(DevDbError::new(format!(
                "SCHEMACTL_PG_BINDIR is {}, but there is no initdb and pg_ctl in it\n{HINT}",
                dir.display()
            )))
        };
    }
    for (parent, prefix, suffix) in [
        ("/usr/lib/postgresql", "", "bin"),
        ("/usr", "pgsql-", "bin"),
    ] {
        let mut found: Vec<(u32, PathBuf)> = Vec::new();
        if let Ok(entries) = fs::read_dir(parent) {
            for entry in entries.flatten() {
                let name = entry.file_name();
                let Some(version) = name
                    .to_str()
                    .and_then(|n| n.strip_prefix(prefix))
                    .and_then(|v| v.split('.').next())
                    .and_then(|v| v.parse::<u32>().ok())
                else {
                    continue;
                };
                let dir = entry.path().join(suffix);
                if has_server(&dir) {
                    found.push((version, dir));
                }
            }
        }
        found.sort();
        if let Some(pos) = found.iter().position(|(v, _)| *v == PREFERRED_MAJOR) {
            return Ok(found.swap_remove(pos).1);
        }
        if let Some((_, dir)) = found.pop() {
            return Ok(dir);
        }
    }
    let pg_config = Command::new("pg_config")
        .arg("--bindir")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output();
    if let Ok(out) = pg_config {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has_server(&dir) {
            return Ok(dir);
        }
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if has_server(&dir) {
                return Ok(dir);
            }
        }
    }
    Err(DevDbError::new(format!(
        "could not find the PostgreSQL server binaries (initdb, pg_ctl): looked in \
         SCHEMACTL_PG_BINDIR, /usr/lib/postgresql/*/bin, /usr/pgsql-*/bin, `pg_config --bindir` \
         and PATH\n{HINT}"
    )))
}

/// Effective uid is 0. Read from `/proc/self/status` (no libc), falling back to `id -u`.
fn is_root() -> bool {
    if let Ok(status) = fs::read_to_string("/proc/self/status") {
        if let Some(line) = status.lines().find(|l| l.starts_with("Uid:")) {
            // Uid: real effective saved fs
            return line.split_whitespace().nth(2) == Some("0");
        }
    }
    Command::new("id")
        .arg("-u")
        .stdin(Stdio::null())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A new, empty, private (0700) temp dir. Under `$TMPDIR` normally; under `/tmp` when we are
/// root (the server user must be able to reach it) or `$TMPDIR` is too long for a unix socket
/// path (limit 107 bytes).
fn make_temp_dir(as_root: bool) -> Result<PathBuf, DevDbError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut base = std::env::temp_dir();
    if as_root || base.as_os_str().len() > 60 {
        base = PathBuf::from("/tmp");
    }
    let pid = std::process::id();
    let mut last_err = None;
    for _ in 0..100 {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = base.join(format!("schemactl-pg-{pid}-{n}-{nanos:x}"));
        match fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last_err = Some(e),
            Err(e) => {
                return Err(DevDbError::new(format!(
                    "could not create a temp dir for the throwaway cluster under {}: {e}",
                    base.display()
                )));
            }
        }
    }
    Err(DevDbError::new(format!(
        "could not create a temp dir for the throwaway cluster under {}: {}",
        base.display(),
        last_err.map(|e| e.to_string()).unwrap_or_default()
    )))
}

/// The port only names the socket file (`.s.PGSQL.<port>`) in the cluster's own dir, so any
/// value works. We avoid 5432 so that a connection string that lost its `host` fails instead
/// of reaching a real server on the default socket; deriving it from the pid also spreads the
/// server's SysV shared-memory keys (derived from the port) between concurrent clusters.
fn pick_port() -> u16 {
    40000 + (std::process::id() % 20000) as u16
}

/// A value for a libpq key=value string: bare if simple, else single-quoted with `\` escapes.
pub fn conninfo_value(value: &str) -> String {
    if !value.is_empty()
        && value
            .chars()
            .all(|c| !c.is_whitespace() && c != '\'' && c != '\\')
    {
        return value.to_string();
    }
    let mut out = String::from("'");
    for c in value.chars() {
        if c == '\'' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// A string value for `postgresql.conf`.
fn conf_string(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "''"))
}

/// Quote for `sh -c`.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn output_text(out: &Output) -> String {
    let mut text = String::from_utf8_lossy(&out.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !stdout.trim().is_empty() {
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&stdout);
    }
    text
}

/// The last `n` lines of `text`, indented.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(n);
    let shown: Vec<String> = lines[start..].iter().map(|l| format!("  | {l}")).collect();
    if shown.is_empty() {
        "  | (no output)".into()
    } else {
        shown.join("\n")
    }
}

/// The last `n` lines of a file (reads at most its last 64 KiB).
fn read_tail(path: &Path, n: usize) -> String {
    let Ok(mut file) = fs::File::open(path) else {
        return tail("", n);
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = file.seek(SeekFrom::Start(len.saturating_sub(64 * 1024)));
    let mut bytes = Vec::new();
    let _ = file.read_to_end(&mut bytes);
    tail(&String::from_utf8_lossy(&bytes), n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conninfo_values_are_quoted_when_needed() {
        assert_eq!(conninfo_value("/tmp/x"), "/tmp/x");
        assert_eq!(conninfo_value(""), "''");
        assert_eq!(conninfo_value("a b"), "'a b'");
        assert_eq!(conninfo_value(r"it's\"), r"'it\'s\\'");
    }

    #[test]
    fn shell_and_conf_quoting() {
        assert_eq!(sh_quote("a'b"), r"'a'\''b'");
        assert_eq!(conf_string(r"/tmp/o'k\"), r"'/tmp/o''k\\'");
    }

    #[test]
    fn tail_keeps_last_lines() {
        assert_eq!(tail("a\nb\nc\n", 2), "  | b\n  | c");
        assert_eq!(tail("", 2), "  | (no output)");
    }
}
