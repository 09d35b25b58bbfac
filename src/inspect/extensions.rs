//! Extensions: `[extensions] name = {}`; `schema` only when it is not `public` (where
//! PostgreSQL puts an extension by default on a default search path) and is managed (the
//! format refuses a schema the project does not manage; such an extension is listed as not
//! expressed, see `inspect::unexpressible`).

use std::collections::BTreeMap;

use super::writer::{self, Doc};
use crate::model::Model;

pub(super) fn write(doc: &mut Doc, model: &Model, counts: &mut BTreeMap<&'static str, usize>) {
    doc.table(&["extensions"]);
    let pairs = model
        .extensions
        .iter()
        .map(|(name, e)| {
            let mut kv = Vec::new();
            if let Some(s) = e
                .schema
                .as_deref()
                .filter(|s| *s != "public" && model.schemas.contains_key(*s))
            {
                kv.push(("schema", writer::line_string(s)));
            }
            (name.clone(), writer::inline(kv))
        })
        .collect();
    doc.aligned(pairs);
    *counts.entry("extensions").or_default() += model.extensions.len();
}
