//! The commands behind the CLI. Each returns an [`Outcome`]: what to print and the exit code;
//! `main` only parses arguments and prints.

pub mod apply;
pub mod baseline;
pub mod check;
pub mod deviation;
pub mod discard;
pub mod hash;
pub mod import;
pub mod init;
pub mod inspect;
pub mod live;
pub mod markdown;
pub mod new;
pub mod plan;
pub mod rebase;
pub mod reference;
pub mod sql;
pub mod squash;
pub mod status;

use std::path::{Path, PathBuf};

use crate::compile;
use crate::diag::{self, SourceMap};
use crate::migrations::{self, Chain, Layout, Problem};
use crate::model::{Model, snapshot};
use crate::schema::config::{self, Project};

/// Exit codes (workflow spec).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Success, or nothing to do.
    Ok = 0,
    /// A "no" answer: changes found with `--check`, hazard not allowed, cannot plan yet.
    No = 1,
    /// Invalid input: schema, config, migration directory.
    Invalid = 2,
    /// Database or runtime failure.
    Failure = 3,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
    /// A pull-request comment (`plan`, `diff`, `drift`, `status`, `verify`; see
    /// [`markdown`]). Errors are text on stderr.
    Markdown,
}

/// Options shared by every command.
#[derive(Clone, Debug, Default)]
pub struct Global {
    pub project: Option<PathBuf>,
    /// `--db URL` (else the env var named by `database.url_env`).
    pub db: Option<String>,
    pub format: Format,
    pub quiet: bool,
    /// ANSI colours in what goes to stderr (`--color`, `NO_COLOR`, a terminal).
    pub color: bool,
    /// The same for stdout (a plan piped to a file stays plain).
    pub color_out: bool,
}

#[derive(Debug)]
pub struct Outcome {
    pub exit: Exit,
    pub stdout: String,
    pub stderr: String,
    /// Large data the command built (models, plans) that need not be freed before the
    /// process exits: `main` leaks it, as compilers do, because freeing a large schema's
    /// model node by node takes tens of milliseconds; other callers simply drop it.
    pub until_exit: Option<Box<dyn std::any::Any>>,
}

impl Outcome {
    pub fn new(exit: Exit) -> Self {
        Outcome {
            exit,
            stdout: String::new(),
            stderr: String::new(),
            until_exit: None,
        }
    }

    /// This outcome carrying `data` for [`Outcome::until_exit`].
    fn keep_until_exit(mut self, data: impl std::any::Any) -> Self {
        self.until_exit = Some(Box::new(data));
        self
    }

    fn json(exit: Exit, value: serde_json::Value) -> Self {
        let mut o = Outcome::new(exit);
        o.stdout = serde_json::to_string_pretty(&value).expect("JSON values always serialise");
        o.stdout.push('\n');
        o
    }

    /// An error in the requested format: `error: …` + hint on stderr, or one JSON document
    /// `{ "ok": false, "error": { "code", "message", "hint" } }` on stdout.
    pub fn fail(g: &Global, exit: Exit, code: &str, message: &str, hint: &str) -> Self {
        Outcome::fail_with(g, exit, code, message, hint, serde_json::Map::new())
    }

    /// [`Outcome::fail`] with more fields in the JSON `error` object (text is the same).
    pub fn fail_with(
        g: &Global,
        exit: Exit,
        code: &str,
        message: &str,
        hint: &str,
        extra: serde_json::Map<String, serde_json::Value>,
    ) -> Self {
        match g.format {
            Format::Json => {
                let mut error =
                    serde_json::json!({ "code": code, "message": message, "hint": hint });
                if let Some(obj) = error.as_object_mut() {
                    obj.extend(extra);
                }
                Outcome::json(exit, serde_json::json!({ "ok": false, "error": error }))
            }
            // A hint line is never empty: without a hint there is no hint line.
            Format::Text | Format::Markdown if hint.trim().is_empty() => {
                Outcome::error(exit, format!("error: {message}"))
            }
            Format::Text | Format::Markdown => {
                Outcome::error(exit, format!("error: {message}\n  = hint: {hint}"))
            }
        }
    }

    pub fn error(exit: Exit, message: impl Into<String>) -> Self {
        let mut o = Outcome::new(exit);
        o.stderr = message.into();
        if !o.stderr.ends_with('\n') {
            o.stderr.push('\n');
        }
        o
    }
}

/// The project root: `--project`, else the nearest `schemactl.toml` upward, else the cwd.
pub fn project_root(g: &Global) -> std::io::Result<PathBuf> {
    match &g.project {
        Some(p) => Ok(p.clone()),
        None => Ok(config::find_root(&std::env::current_dir()?)),
    }
}

pub fn layout(project: &Project) -> Layout {
    Layout {
        migrations_dir: project.migrations_dir(),
        snapshots_dir: project.snapshots_dir(),
    }
}

/// The compiled desired schema, or the outcome reporting why it is invalid.
pub(crate) struct Loaded {
    pub project: Project,
    pub model: Model,
    pub chain: Chain,
    /// The model at the head of the chain (empty before the first migration).
    pub head: Model,
    /// Declared renames (`renamed_from`, `renamed_values`); stale ones do nothing.
    pub renames: Vec<crate::compile::Rename>,
}

impl Loaded {
    /// What schema/ changes relative to the head of the chain.
    pub fn pending(&self) -> crate::diff::Diff {
        let mut d = crate::diff::compare(&self.head, &self.model, &self.renames);
        let hints = self.online(&mut d.changes);
        d.hints.extend(hints);
        d
    }

    /// The online forms of `changes` when the project asks for them (`[online]`).
    /// Returns the hints about what stays blocking.
    fn online(&self, changes: &mut Vec<crate::diff::Change>) -> Vec<String> {
        if self.project.config.online {
            crate::diff::table::online(changes, &[&self.head, &self.model])
        } else {
            Vec::new()
        }
    }

    /// The reverse of [`Loaded::pending`]: from schema/ back to the head (the down file), as
    /// the changes to run first and the rest (see [`crate::diff::reverse`]). Only the
    /// renames that take effect going forward are undone: a stale `renamed_from` left in
    /// schema/ must not rename anything back.
    pub fn reverse(&self) -> (Vec<crate::diff::Change>, crate::diff::Diff) {
        let mut head = std::borrow::Cow::Borrowed(&self.head);
        let applied = crate::model::rename::apply(&mut head, &self.renames, &self.model);
        let back = crate::model::rename::reverse_all(&applied);
        let (mut first, mut rest) = crate::diff::reverse(&self.model, &self.head, &back);
        self.online(&mut first);
        self.online(&mut rest.changes);
        (first, rest)
    }
}

/// [`project_root`], with a failure as an outcome.
pub(crate) fn root(g: &Global) -> Result<PathBuf, Outcome> {
    project_root(g).map_err(|e| {
        Outcome::fail(
            g,
            Exit::Failure,
            "io",
            &e.to_string(),
            "check the current directory",
        )
    })
}

/// The history table of a project.
pub(crate) fn history(project: &Project) -> crate::apply::History {
    crate::apply::History {
        schema: project.config.history_schema.clone(),
    }
}

/// The chain and a database connection (what `status` and `drift` start with).
pub(crate) fn open_chain_db(
    g: &Global,
    dev: bool,
) -> Result<(Project, Chain, Database, crate::apply::History), Outcome> {
    let (project, chain) = load_chain(g)?;
    let db = open_db(g, &project, dev)?;
    let history = history(&project);
    Ok((project, chain, db, history))
}

/// Compile the schema and load the migration chain; report every problem at once (exit 2).
pub(crate) fn load(g: &Global) -> Result<Loaded, Outcome> {
    let root = root(g)?;
    if !root.is_dir() {
        return Err(Outcome::fail(
            g,
            Exit::Invalid,
            "no-project",
            &format!("project directory {} does not exist", root.display()),
            "pass an existing directory to --project",
        ));
    }
    let loaded = compile::load_project(&root);
    require_project(g, &loaded.project)?;
    let project = loaded.project;
    let layout = layout(&project);
    let chain = migrations::load(&layout);
    // The head snapshot: what the database has after the last migration (names included).
    let mut head = Model::default();
    let mut problems = Vec::new();
    match &chain {
        Ok(c) => match &c.snapshot {
            Some(text) if !c.migrations.is_empty() => match snapshot::from_toml(text) {
                Ok(mut m) => {
                    m.retain_schemas(project.config.schema_names());
                    head = m;
                }
                Err(e) => {
                    return Err(Outcome::fail(
                        g,
                        Exit::Invalid,
                        "snapshot-unreadable",
                        &format!(
                            "{}: {}",
                            rel(&project.root, &layout.snapshot_path()),
                            e.trim()
                        ),
                        "restore the snapshot from version control",
                    ));
                }
            },
            _ => {}
        },
        Err(p) => problems = p.clone(),
    }
    let compiled = compile::compile(&project, &loaded.raw, loaded.diags, Some(&head));
    let diags = compiled.as_ref().err().cloned().unwrap_or_default();
    if !diags.is_empty() || !problems.is_empty() {
        return Err(invalid(
            g,
            &loaded.sources,
            &diags,
            &problems,
            &project.root,
        ));
    }
    let (Ok(out), Ok(chain)) = (compiled, chain) else {
        unreachable!("errors handled above")
    };
    crate::model::grant::adopt(&mut head, &out.model);
    Ok(Loaded {
        model: out.model,
        project,
        chain,
        head,
        renames: out.renames,
    })
}

pub(crate) fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root).unwrap_or(p).display().to_string()
}

/// Report schema diagnostics and migration-directory problems (exit 2).
pub(crate) fn invalid(
    g: &Global,
    sources: &SourceMap,
    diags: &[diag::Diagnostic],
    problems: &[Problem],
    root: &Path,
) -> Outcome {
    match g.format {
        Format::Json => Outcome::json(
            Exit::Invalid,
            serde_json::json!({
                "ok": false,
                "errors": diag::to_json(diags, sources),
                "migration_problems": problems.iter().map(|p| problem_json(p, root)).collect::<Vec<_>>(),
            }),
        ),
        Format::Text | Format::Markdown => {
            let mut s = diag::render_text(diags, sources, g.color);
            for p in problems {
                s.push_str(&problem_text(p, root));
            }
            let n = diags.len() + problems.len();
            s.push_str(&format!(
                "{n} error{} found; nothing was written\n",
                if n == 1 { "" } else { "s" }
            ));
            Outcome::error(Exit::Invalid, s)
        }
    }
}

pub(crate) fn problem_text(p: &Problem, root: &Path) -> String {
    let loc = match p.line {
        Some(l) => format!("{}:{l}", rel(root, &p.path)),
        None => rel(root, &p.path),
    };
    let mut s = format!("{loc}: error[{}]: {}\n", p.kind.id(), p.message);
    if !p.hint.trim().is_empty() {
        s.push_str(&format!("      = hint: {}\n", p.hint));
    }
    s
}

pub(crate) fn problem_json(p: &Problem, root: &Path) -> serde_json::Value {
    serde_json::json!({
        "kind": p.kind.id(),
        "file": rel(root, &p.path),
        "line": p.line,
        "message": p.message,
        "hint": p.hint,
    })
}

/// An open database connection, and the throwaway cluster behind it for `--dev`.
pub(crate) struct Database {
    pub client: postgres::Client,
    /// Password-free description for messages.
    pub label: String,
    /// Kept alive for the duration of the command; dropped (stopped, removed) afterwards.
    pub _dev: Option<crate::devdb::Cluster>,
}

/// Connect to `--db` (else the env var named by `database.url_env`), or with `dev` start a
/// throwaway local PostgreSQL from the installed server binaries.
pub(crate) fn open_db(g: &Global, project: &Project, dev: bool) -> Result<Database, Outcome> {
    if dev {
        let cluster = crate::devdb::Cluster::start().map_err(|e| {
            Outcome::fail(
                g,
                Exit::Failure,
                "dev-server",
                &e.message,
                "install the PostgreSQL server package (e.g. `apt-get install postgresql`), or pass --db",
            )
        })?;
        let conninfo = cluster.create_database("schemactl_dev").map_err(|e| {
            Outcome::fail(
                g,
                Exit::Failure,
                "dev-server",
                &e.message,
                "see the server log above",
            )
        })?;
        let client = postgres::Client::connect(&conninfo, postgres::NoTls).map_err(|e| {
            Outcome::fail(
                g,
                Exit::Failure,
                "connect",
                &crate::devdb::describe_pg_error(&e),
                "the throwaway server did not accept connections",
            )
        })?;
        return Ok(Database {
            client,
            label: format!("throwaway PostgreSQL in {}", cluster.socket_dir().display()),
            _dev: Some(cluster),
        });
    }
    no_database_named(g, &project.config.url_env)?;
    let options = crate::connect::ConnectOptions {
        url: g.db.clone(),
        url_env: project.config.url_env.clone(),
        connect_timeout: None,
        application_name: "schemactl".into(),
    };
    // A connection string that does not parse is invalid input (exit 2); a server that
    // cannot be reached is a runtime failure (exit 3).
    let (config, target, mode) = crate::connect::resolve(&options)
        .map_err(|e| Outcome::fail(g, Exit::Invalid, "connect", &e.message, &e.hint))?;
    match crate::connect::connect_resolved(&config, &target, mode) {
        Ok(client) => Ok(Database {
            client,
            label: target.to_string(),
            _dev: None,
        }),
        Err(e) => Err(Outcome::fail(
            g,
            Exit::Failure,
            "connect",
            &e.message,
            &e.hint,
        )),
    }
}

/// Refuse (exit 2) when nothing names a database: no `--db`, the `database.url_env`
/// variable unset or empty, and none of libpq's `PGHOST`, `PGHOSTADDR`, `PGPORT`,
/// `PGDATABASE`, `PGSERVICE` set. libpq would quietly try a local socket as the login user;
/// saying which variable is missing is more useful than that connection's failure.
fn no_database_named(g: &Global, url_env: &str) -> Result<(), Outcome> {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if g.db.is_some()
        || set(url_env)
        || ["PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGSERVICE"]
            .iter()
            .any(|v| set(v))
    {
        return Ok(());
    }
    Err(Outcome::fail(
        g,
        Exit::Invalid,
        "no-database",
        &format!("no database given: --db is not set and ${url_env} is unset"),
        &format!(
            "pass --db postgres://user@host/dbname, or set {url_env} (the variable is named by database.url_env in schemactl.toml); PGHOST/PGDATABASE select libpq's defaults instead"
        ),
    ))
}

/// Refuse to run outside a project (exit 2): no `schemactl.toml` here or above, and no
/// schema or migrations directory in the current one. Without the check, `plan --check` in a
/// random directory compiles nothing against nothing and says "no schema changes".
pub(crate) fn require_project(g: &Global, project: &Project) -> Result<(), Outcome> {
    if project.has_config_file || project.schema_dir().is_dir() || project.migrations_dir().is_dir()
    {
        return Ok(());
    }
    Err(Outcome::fail(
        g,
        Exit::Invalid,
        "no-project",
        &format!(
            "not a schemactl project: no {} in {} or any directory above, and no {}/ or {}/ here",
            config::FILE_NAME,
            project.root.display(),
            project.config.schema_dir,
            project.config.migrations_dir
        ),
        "run `schemactl init` to start one here, `schemactl inspect --db URL` to describe an existing database, or pass --project DIR",
    ))
}

/// Load only `schemactl.toml` and the migration chain (what `apply`/`status` need).
pub(crate) fn load_chain(g: &Global) -> Result<(Project, Chain), Outcome> {
    let root = root(g)?;
    let mut sources = SourceMap::default();
    let mut diags = Vec::new();
    let project = config::load(&root, &mut sources, &mut diags);
    require_project(g, &project)?;
    let chain = migrations::load(&layout(&project));
    let problems = chain.as_ref().err().cloned().unwrap_or_default();
    if !diags.is_empty() || !problems.is_empty() {
        return Err(invalid(g, &sources, &diags, &problems, &project.root));
    }
    let chain = chain.unwrap_or_else(|_| unreachable!("problems handled above"));
    Ok((project, chain))
}

/// `1.234s` / `56ms`.
pub(crate) fn duration(d: std::time::Duration) -> String {
    if d.as_millis() >= 1000 {
        format!("{:.3}s", d.as_secs_f64())
    } else {
        format!("{}ms", d.as_millis())
    }
}
