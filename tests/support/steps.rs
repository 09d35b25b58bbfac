//! A project applied version by version to its own database, each version read back equal
//! to the compiled model both ways, then rolled back one migration at a time (each earlier
//! version read back equal too). Shared by the live tests of the object kinds.

use std::path::Path;
use std::time::Duration;

use schemactl::apply::{self, History};
use schemactl::commands::{Exit, Global, plan};
use schemactl::diff::diff;
use schemactl::migrations::{self, Layout};
use schemactl::model::Model;
use schemactl::plan::Policy;

use super::project::{project, read_public};

pub fn history() -> History {
    History {
        schema: "schemactl".into(),
    }
}

/// The project's schema as `plan` compiles it (against the head snapshot).
pub fn compiled(dir: &Path) -> Model {
    let loaded = schemactl::compile::load_project(dir);
    let head = std::fs::read_to_string(dir.join("snapshots/head.toml")).unwrap();
    let head = schemactl::model::snapshot::from_toml(&head).unwrap();
    schemactl::compile::compile(&loaded.project, &loaded.raw, loaded.diags, Some(&head))
        .unwrap()
        .model
}

pub fn assert_same(live: &Model, expected: &Model, when: &str) {
    let a = diff(live, expected);
    let b = diff(expected, live);
    assert!(
        a.is_empty() && b.is_empty(),
        "drift {when}: {a:?}\n{b:?}\nlive: {live:#?}"
    );
}

/// A project applied version by version to its own database.
pub struct Steps {
    pub db: super::TestDb,
    pub dir: tempfile::TempDir,
    pub client: postgres::Client,
    pub models: Vec<Model>,
}

impl Steps {
    pub fn new() -> Steps {
        let db = super::test_db();
        let client = db.connect();
        Steps {
            db,
            dir: project(&[("schema/s.toml", "")]),
            client,
            models: Vec::new(),
        }
    }

    /// Plan `schema` (allowing data loss) and return the migration's up SQL, without
    /// applying it.
    pub fn plan(&mut self, schema: &str) -> String {
        std::fs::write(self.dir.path().join("schema/s.toml"), schema).unwrap();
        let g = Global {
            project: Some(self.dir.path().to_path_buf()),
            ..Global::default()
        };
        let n = self.models.len() + 1;
        let out = plan::run(
            &g,
            &plan::Options {
                name: Some(format!("v{n}")),
                allow: vec![schemactl::plan::Hazard::DeletesData],
                ..Default::default()
            },
        );
        assert_eq!(out.exit, Exit::Ok, "{}{}", out.stdout, out.stderr);
        let chain = migrations::load(&Layout::new(self.dir.path())).unwrap();
        chain.migrations.last().unwrap().up.clone()
    }

    /// Plan and apply `schema`; the database reads back as the compiled model.
    pub fn step(&mut self, schema: &str) -> String {
        let sql = self.plan(schema);
        let chain = migrations::load(&Layout::new(self.dir.path())).unwrap();
        let opts = apply::Options {
            lock_timeout: Duration::from_secs(30),
            ..Default::default()
        };
        if let Err(e) = apply::apply(&mut self.client, &history(), &chain, &opts) {
            panic!("apply failed: {e}\n{sql}");
        }
        let mut model = compiled(self.dir.path());
        // Declared view queries compare in the server's form, as `drift` compares them.
        schemactl::catalog::server_forms(&mut self.client, &mut model).unwrap();
        let live = read_public(&mut self.client);
        assert_same(
            &live,
            &model,
            &format!("after v{}\n{sql}", self.models.len() + 1),
        );
        self.models.push(model);
        sql
    }

    /// Roll every migration back, one at a time, checking each earlier version.
    pub fn unwind(&mut self) {
        let chain = migrations::load(&Layout::new(self.dir.path())).unwrap();
        while self.models.pop().is_some() {
            let down = &chain.migrations[self.models.len()].down;
            if let Err(e) = apply::rollback(
                &mut self.client,
                &history(),
                &chain,
                self.models.len() as u32,
                &["deletes_data".to_string()],
                &Policy::default(),
                Duration::from_secs(10),
            ) {
                panic!("rollback failed: {e}\n{down:?}");
            }
            let live = read_public(&mut self.client);
            let expected = self.models.last().cloned().unwrap_or_else(|| {
                let mut m = Model::default();
                m.schemas.insert("public".into(), Default::default());
                m
            });
            assert_same(
                &live,
                &expected,
                &format!("after rolling back to v{}\n{down:?}", self.models.len()),
            );
        }
    }

    pub fn one<T: for<'a> postgres::types::FromSql<'a>>(&mut self, sql: &str) -> T {
        self.client.query_one(sql, &[]).unwrap().get(0)
    }
}
