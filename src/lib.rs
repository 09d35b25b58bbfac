//! schemactl: schema-as-code migrations for PostgreSQL.
//!
//! Pipeline (dependencies point one way):
//! `schema` (TOML sources) → `compile` → `model` → `diff` → `plan` → `render` →
//! `migrations` (files, chain, snapshot). `commands` wires them together for the CLI.

pub mod alembic;
pub mod apply;
pub mod catalog;
pub mod commands;
pub mod compile;
pub mod connect;
pub mod devdb;
pub mod diag;
pub mod diff;
pub mod inspect;
pub mod migrations;
pub mod model;
pub mod plan;
pub mod render;
pub mod schema;
pub mod sql;
pub mod suggest;
