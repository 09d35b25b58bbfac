//! `schemactl hash`: re-write the sum file after a deliberate, reviewed hand edit.

use super::{Exit, Global, Outcome, layout};
use crate::diag::SourceMap;
use crate::migrations;
use crate::schema::config;

pub fn run(g: &Global) -> Outcome {
    if let Some(o) = super::markdown::unsupported(g, "hash") {
        return o;
    }
    let root = match super::root(g) {
        Ok(r) => r,
        Err(o) => return o,
    };
    let mut sources = SourceMap::default();
    let mut diags = Vec::new();
    let project = config::load(&root, &mut sources, &mut diags);
    if let Err(o) = super::require_project(g, &project) {
        return o;
    }
    if !diags.is_empty() {
        return super::invalid(g, &sources, &diags, &[], &project.root);
    }
    let files = match migrations::rehash(&layout(&project)) {
        Ok(f) => f,
        Err(problems) => return super::invalid(g, &sources, &[], &problems, &project.root),
    };
    if let Err(e) = migrations::write_files(&files) {
        return Outcome::fail(
            g,
            Exit::Failure,
            "io",
            &format!("writing the sum file failed: {e}"),
            "check permissions",
        );
    }
    let mut o = Outcome::new(Exit::Ok);
    if !g.quiet {
        o.stdout = format!(
            "Re-hashed {}: the chain now covers the files as they are. Review the edit before committing.\n",
            super::rel(&project.root, &layout(&project).sum_path())
        );
    }
    o
}
