//! The `schemactl` binary: parse arguments, run a command, map the outcome to an exit code.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use schemactl::commands::{self, Exit, Format, Global};
use schemactl::plan::Hazard;

const EXIT_CODES: &str = "Exit codes:
  0  success, or nothing to do
  1  a \"no\" answer: changes found with --check, hazard not allowed, change not plannable yet
  2  invalid input: schema files, schemactl.toml, migration directory; a database apply,
     baseline or discard will not start on (history mismatch, objects but no history,
     baselined twice, the migration to discard applied there)
  3  database or runtime failure (the failing segment is rolled back and recorded), or
     drift on a database part-way through a migration";

#[derive(Parser, Debug)]
#[command(name = "schemactl", version, about = "Schema-as-code migrations for PostgreSQL", after_help = EXIT_CODES)]
struct Cli {
    /// Project directory (default: nearest schemactl.toml upward, else the current directory).
    #[arg(long, global = true, value_name = "DIR")]
    project: Option<PathBuf>,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = FormatArg::Text)]
    format: FormatArg,
    /// Colour: auto (when stderr is a terminal and NO_COLOR is unset), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorArg::Auto)]
    color: ColorArg,
    /// Database URL (libpq URL or key=value); default: the env var named by `database.url_env`.
    /// Given once, except for `import alembic`, which reads every database given.
    #[arg(long, global = true, value_name = "URL", action = clap::ArgAction::Append)]
    db: Vec<String>,
    /// Print only errors.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Copy, Clone, Debug, ValueEnum)]
enum FormatArg {
    Text,
    Json,
    /// A pull-request comment: plan, diff, drift, status, verify.
    Markdown,
}

#[derive(Copy, Clone, Debug, ValueEnum)]
enum SplitArg {
    Schema,
    Table,
}

impl From<SplitArg> for schemactl::inspect::Split {
    fn from(s: SplitArg) -> Self {
        match s {
            SplitArg::Schema => schemactl::inspect::Split::Schema,
            SplitArg::Table => schemactl::inspect::Split::Table,
        }
    }
}

#[derive(Copy, Clone, Debug, ValueEnum)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Scaffold schemactl.toml, schema/, migrations/ and snapshots/ in a new directory.
    #[command(after_help = "Example:\n  mkdir shop && cd shop && schemactl init")]
    Init,
    /// Compile the schema files and verify the migration directory (no database).
    #[command(
        after_help = "Examples:\n  schemactl check\n  schemactl check --dev        # also create the schema in a throwaway PostgreSQL"
    )]
    Check {
        /// Also create the schema in a throwaway local PostgreSQL and report what it rejects.
        #[arg(long)]
        dev: bool,
    },
    /// Write TOML schema files describing a live database (--db) into the schema directory,
    /// and record its schemas in schemactl.toml (creating the project when there is none).
    #[command(
        after_help = "Examples:\n  schemactl inspect --db postgres://me@localhost/shop\n  schemactl inspect --db \"$DATABASE_URL\" --schemas public,billing --split table"
    )]
    Inspect {
        /// Schemas to read, comma-separated (default: every schema but PostgreSQL's own).
        #[arg(long, value_delimiter = ',', value_name = "A,B")]
        schemas: Option<Vec<String>>,
        /// File layout: one file per schema, or one per table.
        #[arg(long, value_enum, default_value_t = SplitArg::Schema)]
        split: SplitArg,
        /// Replace the schema files already in the schema directory.
        #[arg(long)]
        force: bool,
        /// Write the files into DIR instead of the schema directory (schemactl.toml untouched).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Diff schema/ against the head snapshot and write the next migration (no database).
    #[command(
        after_help = "Examples:\n  schemactl plan -m add_orders\n  schemactl plan --dry-run\n  schemactl plan --check                      # CI: exit 1 if schema/ has unplanned changes\n  schemactl plan -m drop_legacy --allow deletes_data"
    )]
    Plan {
        /// Migration name (lower_snake_case).
        #[arg(short = 'm', long = "name", value_name = "NAME")]
        name: Option<String>,
        /// Print the plan; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Exit 1 if a migration would be written (for CI); write nothing.
        #[arg(long)]
        check: bool,
        /// Allow hazards, comma-separated (e.g. deletes_data).
        #[arg(long, value_delimiter = ',', value_parser = hazard_parser())]
        allow: Vec<Hazard>,
    },
    /// Add a hand-written migration (a backfill, a data fix) to the chain; the snapshot stays
    /// the head's. SQL from --sql/--down-sql, else templates to fill in and seal with `hash`.
    #[command(
        after_help = "Examples:\n  schemactl new -m backfill_status --sql backfill.sql --down-sql undo.sql --hazards may_fail_on_data\n  schemactl new -m fix_emails            # templates; edit them, then `schemactl hash`"
    )]
    New {
        /// Migration name (lower_snake_case).
        #[arg(short = 'm', long = "name", value_name = "NAME")]
        name: String,
        /// File holding the up SQL (default: a template).
        #[arg(long, value_name = "FILE")]
        sql: Option<PathBuf>,
        /// File holding the down SQL (default: a template).
        #[arg(long, value_name = "FILE")]
        down_sql: Option<PathBuf>,
        /// Hazards the SQL carries, comma-separated (recorded in the header).
        #[arg(long, value_delimiter = ',', value_parser = hazard_parser())]
        hazards: Vec<Hazard>,
        /// Allow gated hazards among them, comma-separated.
        #[arg(long, value_delimiter = ',', value_parser = hazard_parser())]
        allow: Vec<Hazard>,
        /// Run the step, and the down file's, outside a transaction (e.g. CREATE INDEX
        /// CONCURRENTLY and its DROP INDEX CONCURRENTLY).
        #[arg(long)]
        no_transaction: bool,
    },
    /// Apply pending migrations, in order, each atomic, under a lock.
    #[command(
        after_help = "Examples:\n  schemactl apply --db \"$DATABASE_URL\"\n  schemactl apply --dev                        # into a throwaway PostgreSQL\n  schemactl apply --to 3 --dry-run"
    )]
    Apply {
        /// Stop after this migration number.
        #[arg(long, value_name = "VERSION")]
        to: Option<u32>,
        /// Print what would run; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Allow hazards beyond what the migration files record, comma-separated.
        #[arg(long, value_delimiter = ',', value_parser = hazard_parser())]
        allow: Vec<Hazard>,
        /// Seconds to wait for another apply's lock.
        #[arg(long, value_name = "S", default_value_t = 60)]
        lock_timeout: u64,
        /// How long each transactional segment of a migration may wait for a table lock
        /// (PostgreSQL's lock_timeout, e.g. 500ms, 2s, 1min; 0: no limit) before it is rolled
        /// back and retried [default: [apply] ddl_lock_timeout, else 2s].
        #[arg(long, value_name = "DURATION", value_parser = duration_parser)]
        ddl_lock_timeout: Option<std::time::Duration>,
        /// statement_timeout of each transactional segment (e.g. 30s, 10min; 0: no limit)
        /// [default: [apply] ddl_statement_timeout, else the session's own].
        #[arg(long, value_name = "DURATION", value_parser = duration_parser)]
        ddl_statement_timeout: Option<std::time::Duration>,
        /// Retries of a segment that hit its lock timeout, waiting the lock timeout x 2^(n-1)
        /// (at most 60 s) before retry n [default: [apply] ddl_retries, else 5].
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=100))]
        ddl_retries: Option<u32>,
        /// Apply into a throwaway local PostgreSQL (no running server needed), then show status.
        #[arg(long, conflicts_with = "db")]
        dev: bool,
    },
    /// Run down files of applied migrations back to version V (0 = empty), under the lock.
    #[command(
        after_help = "Examples:\n  schemactl rollback --to 2 --db \"$DATABASE_URL\"\n  schemactl rollback --to 0 --allow deletes_data"
    )]
    Rollback {
        /// The version to return to.
        #[arg(long, value_name = "VERSION")]
        to: u32,
        /// Allow hazards of the down files, comma-separated (undoing a creation deletes data).
        #[arg(long, value_delimiter = ',', value_parser = hazard_parser())]
        allow: Vec<Hazard>,
        /// Seconds to wait for another apply's lock.
        #[arg(long, value_name = "S", default_value_t = 60)]
        lock_timeout: u64,
        /// How long each transactional segment of a migration may wait for a table lock
        /// (PostgreSQL's lock_timeout, e.g. 500ms, 2s, 1min; 0: no limit) before it is rolled
        /// back and retried [default: [apply] ddl_lock_timeout, else 2s].
        #[arg(long, value_name = "DURATION", value_parser = duration_parser)]
        ddl_lock_timeout: Option<std::time::Duration>,
        /// statement_timeout of each transactional segment (e.g. 30s, 10min; 0: no limit)
        /// [default: [apply] ddl_statement_timeout, else the session's own].
        #[arg(long, value_name = "DURATION", value_parser = duration_parser)]
        ddl_statement_timeout: Option<std::time::Duration>,
        /// Retries of a segment that hit its lock timeout, waiting the lock timeout x 2^(n-1)
        /// (at most 60 s) before retry n [default: [apply] ddl_retries, else 5].
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=100))]
        ddl_retries: Option<u32>,
    },
    /// Adopt a database that already has the schema: if it equals the snapshot at V, record
    /// migrations 1..V as baselined (not run), under the lock; otherwise show the differences.
    #[command(
        after_help = "Examples:\n  schemactl baseline --db \"$DATABASE_URL\"\n  schemactl baseline --to 3 --note \"replaces alembic revision 4d5e6f708192\""
    )]
    Baseline {
        /// The version the database is at (default: the head of the chain).
        #[arg(long, value_name = "VERSION")]
        to: Option<u32>,
        /// Text for the history rows' note column (default: "baseline at <migration>").
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        /// Seconds to wait for another apply's lock.
        #[arg(long, value_name = "S", default_value_t = 60)]
        lock_timeout: u64,
    },
    /// Show applied / pending / failed migrations of a database.
    #[command(
        after_help = "Examples:\n  schemactl status --db \"$DATABASE_URL\"\n  schemactl status --check --format json      # deploy gate: exit 1 when migrations are pending"
    )]
    Status {
        /// Use a throwaway local PostgreSQL.
        #[arg(long, conflicts_with = "db")]
        dev: bool,
        /// Exit 1 when migrations are pending (a deploy gate), not only on a mismatched
        /// history.
        #[arg(long)]
        check: bool,
    },
    /// Re-write the sum file after a deliberate, reviewed hand edit of a migration.
    #[command(
        after_help = "Example:\n  schemactl hash    # after reviewing a hand edit of migrations/0003_backfill.sql"
    )]
    Hash,
    /// Compare the live database with the snapshot of the version it is at (exit 1 on drift).
    #[command(
        after_help = "Examples:\n  schemactl drift --db \"$DATABASE_URL\"\n  schemactl drift --format json"
    )]
    Drift {
        /// Check a throwaway local PostgreSQL with the whole chain applied.
        #[arg(long, conflicts_with = "db")]
        dev: bool,
    },
    /// Print the SQL that would bring the live database (--db) to schema/; writes nothing.
    #[command(
        after_help = "Example:\n  schemactl diff --db \"$DATABASE_URL\" > converge.sql   # exit 1 when there are differences"
    )]
    Diff,
    /// Replay the whole chain into an empty database and compare with the head snapshot, then
    /// roll it back with the down files and check that nothing is left behind.
    #[command(
        after_help = "Examples:\n  schemactl verify --dev\n  schemactl verify --db postgres://me@localhost/scratch"
    )]
    Verify {
        /// Use a throwaway local PostgreSQL (the default when --db is not given).
        #[arg(long, conflicts_with = "db")]
        dev: bool,
    },
    /// Print the SQL of a range of migrations (both ends included) as one script for another
    /// deploy system: one transaction per migration, no-transaction steps outside one.
    #[command(after_help = commands::sql::HELP)]
    Sql {
        /// First migration of the range.
        #[arg(long, value_name = "VERSION", default_value_t = 1)]
        from: u32,
        /// Last migration of the range (default: the head of the chain).
        #[arg(long, value_name = "VERSION")]
        to: Option<u32>,
        /// Print the down files instead, from --to back to --from.
        #[arg(long)]
        down: bool,
        /// Also create the history table when missing and record each migration as `apply`
        /// does, so `status`, `drift` and `apply` know what the script ran.
        #[arg(long)]
        with_history: bool,
    },
    /// Remove the newest migration (never applied) and restore the previous snapshot and sum
    /// file; with --db, refuse when that database has it applied.
    #[command(after_help = commands::discard::HELP)]
    Discard,
    /// Adopt a project managed by another tool.
    #[command(after_help = "Example:\n  schemactl import alembic --db \"$DATABASE_URL\"")]
    Import {
        #[command(subcommand)]
        from: ImportFrom,
    },
    /// After parallel branches each added migrations: keep the target branch's, move this
    /// branch's on top (renumbered, re-chained, re-planned against the new parent).
    #[command(after_help = commands::rebase::HELP)]
    Rebase {
        /// A migration of the branch to keep (default: the branch merged in, or rebased onto).
        #[arg(long, value_name = "MIGRATION")]
        keep: Option<String>,
        /// Allow hazards of re-planned migrations beyond what their headers record.
        #[arg(long, value_delimiter = ',', value_parser = hazard_parser())]
        allow: Vec<Hazard>,
        /// Show what would change; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Replace migrations 1..V with one migration that builds the same schema; later
    /// migrations are renumbered and re-chained.
    #[command(after_help = commands::squash::HELP)]
    Squash {
        /// The last migration squashed.
        #[arg(long, value_name = "VERSION")]
        to: u32,
        /// Name of the squashed migration (default: squash_<V's name>).
        #[arg(short = 'm', long = "name", value_name = "NAME")]
        name: Option<String>,
    },
    /// Print the schema-format reference (docs/reference.md): every key, its type and default.
    #[command(after_help = "Example:\n  schemactl reference | less")]
    Reference,
}

#[derive(Subcommand, Debug)]
enum ImportFrom {
    /// Read an Alembic project's revision graph without running it: heads, branches, merges,
    /// missing or duplicate revisions, and each --db's place in it (exit 1 when broken);
    /// with --dev build the chain from empty and compare; with --adopt write the schemactl
    /// project and baseline the databases that match.
    #[command(
        after_help = "Examples:\n  schemactl import alembic --db \"$PROD_URL\" --db \"$STAGING_URL\"\n  schemactl import alembic --dev --python .venv/bin/python --url-env DATABASE_URL --db \"$PROD_URL\" --adopt\nGuide: docs/moving-from-alembic.md"
    )]
    Alembic {
        /// Alembic's script directory (holding env.py and versions/); default:
        /// `script_location` of ./alembic.ini or ./pyproject.toml ([tool.alembic]), else
        /// ./alembic or ./migrations.
        #[arg(long, value_name = "DIR")]
        alembic_dir: Option<PathBuf>,
        /// Build the chain from empty (`alembic upgrade heads` in a throwaway PostgreSQL) and
        /// compare every --db with it.
        #[arg(long)]
        dev: bool,
        /// The project's Python, with SQLAlchemy, Alembic and a driver (default:
        /// $VIRTUAL_ENV/bin/python, else python3).
        #[arg(long, value_name = "PATH")]
        python: Option<PathBuf>,
        /// An environment variable env.py reads its URL from (set to the throwaway
        /// database's for --dev); repeatable.
        #[arg(long, value_name = "NAME")]
        url_env: Vec<String>,
        /// Write the schemactl project from the source, plan it, and baseline every --db that
        /// matches (the others are left alone, with the SQL that would converge them).
        #[arg(long)]
        adopt: bool,
        /// What --adopt describes: the chain built from empty (default with --dev), or the
        /// first --db (default without).
        #[arg(long, value_enum)]
        source: Option<SourceArg>,
        /// With --adopt: schemas to read, comma-separated (default: every user schema).
        #[arg(long, value_delimiter = ',', value_name = "A,B")]
        schemas: Option<Vec<String>>,
        /// With --adopt: file layout of the schema files.
        #[arg(long, value_enum, default_value_t = SplitArg::Schema)]
        split: SplitArg,
        /// With --adopt: replace schema files already in the schema directory.
        #[arg(long)]
        force: bool,
        /// With --adopt: the first migration's name.
        #[arg(short = 'm', long = "name", value_name = "NAME")]
        name: Option<String>,
    },
}

#[derive(Copy, Clone, Debug, ValueEnum)]
enum SourceArg {
    Chain,
    Db,
}

/// `--allow`: the hazard ids, listed by `--help` and in the error for an unknown one.
fn hazard_parser() -> impl clap::builder::TypedValueParser<Value = Hazard> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(Hazard::ALL.iter().map(|h| h.id()))
        .try_map(|id| Hazard::parse(&id).ok_or_else(|| format!("unknown hazard `{id}`")))
}

/// `--ddl-lock-timeout`, `--ddl-statement-timeout`: `500ms`, `2s`, `1min`, or `0`.
fn duration_parser(text: &str) -> Result<std::time::Duration, String> {
    schemactl::apply::budget::parse_duration(text)
}

/// `--color`: `auto` colours when the stream is a terminal, `NO_COLOR` is unset or empty
/// (https://no-color.org) and `TERM` is not `dumb`.
fn color(arg: ColorArg, terminal: bool) -> bool {
    match arg {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
                && terminal
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            // clap uses 2 for usage errors, which is also our "invalid input" code.
            return ExitCode::from(if e.use_stderr() {
                Exit::Invalid as u8
            } else {
                0
            });
        }
    };
    let many_databases = matches!(cli.command, Command::Import { .. });
    if cli.db.len() > 1 && !many_databases {
        eprintln!(
            "error: --db is given {} times; this command uses one database",
            cli.db.len()
        );
        return ExitCode::from(Exit::Invalid as u8);
    }
    let databases = cli.db.clone();
    let g = Global {
        project: cli.project,
        db: cli.db.into_iter().last(),
        format: match cli.format {
            FormatArg::Text => Format::Text,
            FormatArg::Json => Format::Json,
            FormatArg::Markdown => Format::Markdown,
        },
        quiet: cli.quiet,
        color: color(cli.color, std::io::stderr().is_terminal()),
        color_out: color(cli.color, std::io::stdout().is_terminal()),
    };
    let outcome = match cli.command {
        Command::Init => commands::init::run(&g),
        Command::Reference => commands::reference::run(),
        Command::Inspect {
            schemas,
            split,
            force,
            out,
        } => commands::inspect::run(
            &g,
            &commands::inspect::Options {
                schemas,
                split: split.into(),
                force,
                out,
            },
        ),
        Command::Check { dev } => commands::check::run(&g, dev),
        Command::Plan {
            name,
            dry_run,
            check,
            allow,
        } => commands::plan::run(
            &g,
            &commands::plan::Options {
                name,
                dry_run,
                check,
                allow,
                brief: false,
            },
        ),
        Command::Apply {
            to,
            dry_run,
            allow,
            lock_timeout,
            ddl_lock_timeout,
            ddl_statement_timeout,
            ddl_retries,
            dev,
        } => commands::apply::run(
            &g,
            &commands::apply::Options {
                to,
                dry_run,
                allow: allow.iter().map(|h| h.id().to_string()).collect(),
                lock_timeout: std::time::Duration::from_secs(lock_timeout),
                dev,
                ddl: commands::apply::DdlFlags {
                    lock_timeout: ddl_lock_timeout,
                    statement_timeout: ddl_statement_timeout,
                    retries: ddl_retries,
                },
            },
        ),
        Command::Baseline {
            to,
            note,
            lock_timeout,
        } => commands::baseline::run(
            &g,
            &commands::baseline::Options {
                to,
                note,
                lock_timeout: std::time::Duration::from_secs(lock_timeout),
            },
        ),
        Command::Status { dev, check } => commands::status::run(&g, dev, check),
        Command::Rollback {
            to,
            allow,
            lock_timeout,
            ddl_lock_timeout,
            ddl_statement_timeout,
            ddl_retries,
        } => commands::apply::rollback(
            &g,
            to,
            &allow.iter().map(|h| h.id().to_string()).collect::<Vec<_>>(),
            std::time::Duration::from_secs(lock_timeout),
            commands::apply::DdlFlags {
                lock_timeout: ddl_lock_timeout,
                statement_timeout: ddl_statement_timeout,
                retries: ddl_retries,
            },
        ),
        Command::Hash => commands::hash::run(&g),
        Command::New {
            name,
            sql,
            down_sql,
            hazards,
            allow,
            no_transaction,
        } => commands::new::run(
            &g,
            &commands::new::Options {
                name,
                sql,
                down_sql,
                hazards,
                allow,
                no_transaction,
            },
        ),
        Command::Drift { dev } => commands::live::drift(&g, dev),
        Command::Diff => commands::live::diff_db(&g),
        Command::Verify { dev } => commands::live::verify(&g, dev),
        Command::Sql {
            from,
            to,
            down,
            with_history,
        } => commands::sql::run(
            &g,
            &commands::sql::Options {
                from: Some(from),
                to,
                down,
                with_history,
            },
        ),
        Command::Discard => commands::discard::run(&g),
        Command::Rebase {
            keep,
            allow,
            dry_run,
        } => commands::rebase::run(
            &g,
            &commands::rebase::Options {
                keep,
                allow,
                dry_run,
            },
        ),
        Command::Squash { to, name } => {
            commands::squash::run(&g, &commands::squash::Options { to, name })
        }
        Command::Import {
            from:
                ImportFrom::Alembic {
                    alembic_dir,
                    dev,
                    python,
                    url_env,
                    adopt,
                    source,
                    schemas,
                    split,
                    force,
                    name,
                },
        } => commands::import::alembic(
            &g,
            &commands::import::Options {
                alembic_dir,
                databases,
                dev,
                python,
                url_env,
                adopt,
                source: source.map(|s| match s {
                    SourceArg::Chain => commands::import::Source::Chain,
                    SourceArg::Db => commands::import::Source::Db,
                }),
                inspect: commands::inspect::Options {
                    schemas,
                    split: split.into(),
                    force,
                    out: None,
                },
                name,
            },
        ),
    };
    let _ = std::io::stdout().write_all(outcome.stdout.as_bytes());
    let _ = std::io::stderr().write_all(outcome.stderr.as_bytes());
    // The process ends here; see `Outcome::until_exit`.
    std::mem::forget(outcome.until_exit);
    ExitCode::from(outcome.exit as u8)
}
