//! Enums: `[enums.NAME] values = […]` in sort order.

use std::collections::BTreeMap;

use super::writer::{self, Doc};
use super::{comments, grants};
use crate::model::Schema;
use crate::model::grant::GrantKind;

pub(super) fn write(doc: &mut Doc, s: &Schema, counts: &mut BTreeMap<&'static str, usize>) {
    for (name, e) in &s.enums {
        doc.table(&["enums", name]);
        doc.kv("values", writer::strings(&e.values));
        comments::line(doc, &e.comment);
        grants::line(doc, &e.grants, GrantKind::Type);
        *counts.entry("enums").or_default() += 1;
    }
}
