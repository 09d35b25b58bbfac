//! PostgreSQL's own choice of names for unnamed constraints, indexes and sequences
//! (`makeObjectName`, `ChooseRelationName`, `ChooseConstraintName`,
//! `ChooseIndexColumnNames`), so a schema built by hand introspects to the same names.

use std::collections::BTreeSet;

/// Longest identifier PostgreSQL keeps (NAMEDATALEN - 1).
pub const MAX_IDENT_BYTES: usize = 63;

/// Names already used in one PostgreSQL schema (namespace).
#[derive(Clone, Debug, Default)]
pub struct Namespace {
    /// pg_class names: tables, indexes, sequences.
    pub relations: BTreeSet<String>,
    /// pg_constraint names in the namespace.
    pub constraints: BTreeSet<String>,
}

/// `makeObjectName`: `name1[_name2]_label`, truncating name1/name2 so the result fits.
pub fn make_object_name(_name1: &str, _name2: Option<&str>, _label: &str) -> String {
    unimplemented!("names helper")
}

/// `ChooseRelationName`: first name free of collisions, adding 1, 2, … to the label.
/// Records the chosen name in `ns` (as relation, and as constraint when `is_constraint`).
pub fn choose_relation_name(
    _ns: &mut Namespace,
    _name1: &str,
    _name2: Option<&str>,
    _label: &str,
    _is_constraint: bool,
) -> String {
    unimplemented!("names helper")
}

/// `ChooseConstraintName` (checks, foreign keys): collisions against constraint names only.
/// Records the chosen name in `ns.constraints`.
pub fn choose_constraint_name(
    _ns: &mut Namespace,
    _name1: &str,
    _name2: Option<&str>,
    _label: &str,
) -> String {
    unimplemented!("names helper")
}

/// `ChooseIndexColumnNames` + `ChooseIndexNameAddition` / `ChooseForeignKeyConstraintNameAddition`:
/// the `col1_col2` part of a default name (duplicates numbered, length-capped as PostgreSQL does).
pub fn name_addition(_columns: &[String]) -> String {
    unimplemented!("names helper")
}

/// Truncate to at most 63 bytes on a character boundary (`pg_mbcliplen`).
pub fn truncate_identifier(name: &str) -> &str {
    if name.len() <= MAX_IDENT_BYTES {
        return name;
    }
    let mut end = MAX_IDENT_BYTES;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}
