//! Commands that compare a live database with a model: `drift`, `diff --db`, `verify`.

use serde_json::json;

use super::{Exit, Format, Global, Outcome, load, load_chain, open_db};
use crate::apply::{self, History, Status};
use crate::catalog::{self, ReadOptions};
use crate::diff::{self, Change};
use crate::migrations::Chain;
use crate::model::{Model, snapshot};
use crate::plan;
use crate::schema::config::Project;

fn read_options(project: &Project) -> ReadOptions {
    ReadOptions {
        schemas: project.config.schema_names().map(String::from).collect(),
        ignore: project.config.ignore.clone(),
        history_schema: project.config.history_schema.clone(),
    }
}

fn db_error(g: &Global, e: &postgres::Error) -> Outcome {
    Outcome::fail(
        g,
        Exit::Failure,
        "database",
        &crate::devdb::describe_pg_error(e),
        "check the connection and permissions",
    )
}

/// How the database deviates from `expected`, one line per difference.
pub fn deviations(expected: &Model, live: &Model) -> Vec<String> {
    diff::diff(expected, live)
        .iter()
        .map(|c| match c {
            Change::CreateSchema(s) => format!("extra in the database: schema {s}"),
            Change::CreateExtension(e, _) => format!("extra in the database: extension {e}"),
            Change::CreateEnum(q, _) => format!("extra in the database: enum {q}"),
            Change::CreateTable(q, _) => format!("extra in the database: table {q}"),
            Change::AddColumn(q, col) => format!("extra in the database: column {q}.{}", col.name),
            Change::AddPrimaryKey(q, pk) => {
                format!("extra in the database: primary key {} on {q}", pk.name)
            }
            Change::AddUnique(q, n, _) => {
                format!("extra in the database: unique constraint {n} on {q}")
            }
            Change::AddCheck(q, n, _) => {
                format!("extra in the database: check constraint {n} on {q}")
            }
            Change::CreateIndex { table, name, .. } => {
                format!("extra in the database: index {name} on {table}")
            }
            Change::AddForeignKey { table, name, .. } => {
                format!("extra in the database: foreign key {name} on {table}")
            }
            Change::SetComment(..) => "different comment in the database".to_string(),
            Change::AddEnumValue { name, value, .. } => {
                format!("extra in the database: value {value:?} of enum {name}")
            }
            Change::DropSchema(s) => format!("missing from the database: schema {s}"),
            Change::DropExtension(e) => format!("missing from the database: extension {e}"),
            Change::DropEnum(q) => format!("missing from the database: enum {q}"),
            Change::DropTable(q) => format!("missing from the database: table {q}"),
            Change::DropColumn(q, c) => format!("missing from the database: column {q}.{c}"),
            Change::DropPrimaryKey(q, n) => {
                format!("missing from the database: primary key {n} on {q}")
            }
            Change::DropUnique(q, n) => {
                format!("missing from the database: unique constraint {n} on {q}")
            }
            Change::DropCheck(q, n) => {
                format!("missing from the database: check constraint {n} on {q}")
            }
            Change::DropIndex(q, n) => format!("missing from the database: index {n} on {q}"),
            Change::DropForeignKey(q, n) => {
                format!("missing from the database: foreign key {n} on {q}")
            }
            Change::AlterColumnType {
                table,
                column,
                from,
                to,
                ..
            } => format!("different in the database: column {table}.{column} (type {from} → {to})"),
            Change::SetNullable {
                table,
                column,
                nullable,
            } => format!(
                "different in the database: column {table}.{column} is {}",
                if *nullable { "nullable" } else { "NOT NULL" }
            ),
            Change::SetDefault { table, column, .. } => {
                format!("different in the database: default of {table}.{column}")
            }
            Change::SetIdentity { table, column, .. } => {
                format!("different in the database: identity of {table}.{column}")
            }
            // Not produced here: no renames are passed.
            Change::Rename(_) => "different in the database: a name".to_string(),
            Change::RenameSequence { schema, from, to } => format!(
                "different in the database: sequence {schema}.{to} is named {schema}.{from}"
            ),
            Change::RecreateEnum {
                name, from, values, ..
            } => format!(
                "different in the database: values of enum {name} are [{}], expected [{}]",
                values.join(", "),
                from.join(", ")
            ),
            Change::DropGeneratedColumn { table, column } => {
                format!("different in the database: generated expression of {table}.{column}")
            }
            Change::AddGeneratedColumn(..) => String::new(),
            Change::DropExpression { table, column } => {
                format!("different in the database: {table}.{column} is not generated")
            }
            Change::DropSerial { table, column, .. } => {
                format!("different in the database: {table}.{column} is serial")
            }
            Change::AddSerial { table, column, .. } => {
                format!("different in the database: {table}.{column} is not serial")
            }
            Change::Unsupported(what) => match what.strip_prefix("drop ") {
                Some(rest) => format!("missing from the database: {rest}"),
                None => format!(
                    "different in the database: {}",
                    what.strip_prefix("change ").unwrap_or(what)
                ),
            },
        })
        // A rebuilt generated column is one difference, reported with its drop.
        .filter(|line| !line.is_empty())
        .collect()
}

/// SQL that would take `from` to `to`, with what cannot be generated yet as comments.
fn converge_sql(from: &Model, to: &Model) -> String {
    let p = plan::plan(diff::diff(from, to));
    let mut s = p.sql_body();
    for u in &p.unsupported {
        s.push_str(&format!(
            "\n-- not generated yet: {}",
            crate::sql::comment_safe(u)
        ));
    }
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

/// Apply migrations `1..=upto` into a throwaway cluster and read back its catalog.
fn replay(
    g: &Global,
    project: &Project,
    chain: &Chain,
    upto: Option<u32>,
) -> Result<Model, Outcome> {
    let mut db = open_db(g, project, true)?;
    let history = super::history(project);
    let opts = apply::Options {
        to: upto,
        lock_timeout: std::time::Duration::from_secs(60),
        ..Default::default()
    };
    apply::apply(&mut db.client, &history, chain, &opts).map_err(|e| {
        Outcome::fail(
            g,
            Exit::No,
            "chain-does-not-build",
            &format!("the migration chain does not build from an empty database: {e}"),
            "a base migration may be missing or edited; restore migrations/ from version control",
        )
    })?;
    catalog::read(&mut db.client, &read_options(project))
        .map(|c| c.model)
        .map_err(|e| db_error(g, &e))
}

/// `drift`: live catalog vs the snapshot of the version the database is at. With `dev`, a
/// throwaway server gets the whole chain applied first (a self-check of the chain).
pub fn drift(g: &Global, dev: bool) -> Outcome {
    let (project, chain, mut db, history) = match super::open_chain_db(g, dev) {
        Ok(x) => x,
        Err(o) => return o,
    };
    if dev {
        let opts = apply::Options {
            lock_timeout: std::time::Duration::from_secs(60),
            ..Default::default()
        };
        if let Err(e) = apply::apply(&mut db.client, &history, &chain, &opts) {
            return Outcome::fail(
                g,
                Exit::Failure,
                "migration-failed",
                &e.to_string(),
                "the chain does not apply to an empty database; run `schemactl verify`",
            );
        }
    }
    let rows = match history.rows(&mut db.client) {
        Ok(r) => r,
        Err(e) => return db_error(g, &e),
    };
    let problems = apply::mismatches(&rows, &chain);
    if !problems.is_empty() {
        return Outcome::fail(
            g,
            Exit::Invalid,
            "history-mismatch",
            &format!(
                "the database's history does not match the directory: {}",
                problems.join("; ")
            ),
            "drift compares against the directory's snapshots; restore the applied files first",
        );
    }
    let at = apply::latest(&rows)
        .values()
        .filter(|r| r.status == Status::Applied)
        .map(|r| r.version as u32)
        .max()
        .unwrap_or(0);
    let head = chain.migrations.last().map_or(0, |m| m.version);
    let expected = if at == 0 {
        Model::default()
    } else if at == head {
        match chain.snapshot.as_deref().map(snapshot::from_toml) {
            Some(Ok(m)) => m,
            _ => Model::default(),
        }
    } else {
        // Only the head snapshot is stored: rebuild the older one by replaying the chain.
        match replay(g, &project, &chain, Some(at)) {
            Ok(m) => m,
            Err(o) => return o,
        }
    };
    let live = match catalog::read(&mut db.client, &read_options(&project)) {
        Ok(c) => c.model,
        Err(e) => return db_error(g, &e),
    };
    let found = deviations(&expected, &live);
    let version = chain
        .migrations
        .iter()
        .find(|m| m.version == at)
        .map_or("(empty)".to_string(), |m| m.stem.clone());
    let exit = if found.is_empty() { Exit::Ok } else { Exit::No };
    let sql = converge_sql(&live, &expected);
    match g.format {
        Format::Json => Outcome::json(
            exit,
            json!({ "ok": found.is_empty(), "version": version, "drift": found, "sql": if found.is_empty() { None } else { Some(sql) } }),
        ),
        Format::Text => {
            let mut o = Outcome::new(exit);
            if found.is_empty() {
                o.stdout = format!("No drift: {} matches {version}.\n", db.label);
            } else {
                o.stdout = format!("Drift: {} differs from {version}:\n", db.label);
                for f in &found {
                    o.stdout.push_str(&format!("  - {f}\n"));
                }
                o.stdout
                    .push_str("\nSQL that would bring the database back to the snapshot:\n\n");
                o.stdout.push_str(&sql);
            }
            o
        }
    }
}

/// `diff --db`: SQL that would bring the live database to schema/. Writes nothing.
pub fn diff_db(g: &Global) -> Outcome {
    let loaded = match load(g) {
        Ok(l) => l,
        Err(o) => return o,
    };
    let mut db = match open_db(g, &loaded.project, false) {
        Ok(db) => db,
        Err(o) => return o,
    };
    let live = match catalog::read(&mut db.client, &read_options(&loaded.project)) {
        Ok(c) => c.model,
        Err(e) => return db_error(g, &e),
    };
    let p = plan::plan(diff::diff(&live, &loaded.model));
    match g.format {
        Format::Json => Outcome::json(
            Exit::Ok,
            json!({ "ok": true, "changes": p.steps.len(), "steps": p.steps, "hazards": p.hazards(), "unsupported": p.unsupported }),
        ),
        Format::Text => {
            let mut o = Outcome::new(Exit::Ok);
            if p.is_empty() {
                o.stdout = format!("No differences: {} matches schema/.\n", db.label);
            } else {
                o.stdout = converge_sql(&live, &loaded.model);
            }
            o
        }
    }
}

/// `verify`: replay the whole chain from empty and compare with the head snapshot.
pub fn verify(g: &Global, dev: bool) -> Outcome {
    let (project, chain) = match load_chain(g) {
        Ok(x) => x,
        Err(o) => return o,
    };
    let head = match chain.snapshot.as_deref().map(snapshot::from_toml) {
        Some(Ok(m)) if !chain.migrations.is_empty() => m,
        _ => Model::default(),
    };
    let built = if dev || g.db.is_none() {
        replay(g, &project, &chain, None)
    } else {
        replay_into_empty_db(g, &project, &chain)
    };
    let built = match built {
        Ok(m) => m,
        Err(o) => return o,
    };
    let found = deviations(&head, &built);
    let exit = if found.is_empty() { Exit::Ok } else { Exit::No };
    match g.format {
        Format::Json => Outcome::json(
            exit,
            json!({ "ok": found.is_empty(), "migrations": chain.migrations.len(), "differences": found }),
        ),
        Format::Text => {
            let mut o = Outcome::new(exit);
            if found.is_empty() {
                o.stdout = format!(
                    "Verified: the {} migration(s) build from an empty database to exactly the head snapshot.\n",
                    chain.migrations.len()
                );
            } else {
                o.stdout =
                    "The chain built from empty does not match the head snapshot:\n".to_string();
                for f in &found {
                    o.stdout.push_str(&format!(
                        "  - {}\n",
                        f.replace("in the database", "in the replayed chain")
                    ));
                }
            }
            o
        }
    }
}

/// Replay into the (empty) database named by `--db`, then remove what was created.
fn replay_into_empty_db(g: &Global, project: &Project, chain: &Chain) -> Result<Model, Outcome> {
    let mut db = open_db(g, project, false)?;
    let opts = read_options(project);
    let before = catalog::read(&mut db.client, &opts).map_err(|e| db_error(g, &e))?;
    let history = History {
        schema: format!("{}_verify", project.config.history_schema),
    };
    if before.model.tables().next().is_some() || before.model.enums().next().is_some() {
        return Err(Outcome::fail(
            g,
            Exit::Invalid,
            "not-empty",
            &format!(
                "{} is not empty: its managed schemas hold tables or types",
                db.label
            ),
            "verify needs an empty database; use --dev for a throwaway one",
        ));
    }
    let applied = apply::apply(
        &mut db.client,
        &history,
        chain,
        &apply::Options {
            lock_timeout: std::time::Duration::from_secs(60),
            ..Default::default()
        },
    );
    let result = match applied {
        Ok(_) => catalog::read(&mut db.client, &opts)
            .map(|c| c.model)
            .map_err(|e| db_error(g, &e)),
        Err(e) => Err(Outcome::fail(
            g,
            Exit::No,
            "chain-does-not-build",
            &format!("the migration chain does not build from an empty database: {e}"),
            "a base migration may be missing or edited; restore migrations/ from version control",
        )),
    };
    // Leave the database as empty as it was.
    let mut cleanup = format!(
        "DROP SCHEMA IF EXISTS {} CASCADE;",
        crate::sql::quote_ident(&history.schema)
    );
    if let Ok(after) = catalog::read(&mut db.client, &opts) {
        for (q, _) in after.model.tables() {
            cleanup.push_str(&format!(
                "DROP TABLE IF EXISTS {} CASCADE;",
                crate::sql::quote_qualified(&q)
            ));
        }
        for (q, _) in after.model.enums() {
            cleanup.push_str(&format!(
                "DROP TYPE IF EXISTS {} CASCADE;",
                crate::sql::quote_qualified(&q)
            ));
        }
        for s in after
            .model
            .schemas
            .keys()
            .filter(|s| !before.model.schemas.contains_key(*s))
        {
            cleanup.push_str(&format!(
                "DROP SCHEMA IF EXISTS {} CASCADE;",
                crate::sql::quote_ident(s)
            ));
        }
    }
    db.client
        .batch_execute(&cleanup)
        .map_err(|e| db_error(g, &e))?;
    result
}
