//! PostgreSQL's own choice of names for unnamed constraints, indexes and sequences
//! (`makeObjectName`, `ChooseRelationName`, `ChooseConstraintName`,
//! `ChooseIndexColumnNames`), so a schema built by hand introspects to the same names.
//!
//! How PostgreSQL 15 applies them (checked against a real server):
//! * primary key: `choose_relation_name(table, None, "pkey", true)`;
//! * unique constraint: `choose_relation_name(table, Some(name_addition(cols)), "key", true)`;
//!   exclusion constraint: label `excl`; plain `CREATE INDEX` (also `CREATE UNIQUE INDEX`):
//!   label `idx` with `is_constraint = false`. Index columns are key columns followed by
//!   `INCLUDE` columns; an expression contributes `FigureIndexColname` (`lower(x)` → `lower`,
//!   `x::text` → `x`, otherwise `expr`);
//! * check constraint: `choose_constraint_name(table, Some(col) or None, "check")`, `col`
//!   being the only column the expression references (`None` for zero or several);
//! * foreign key: `choose_constraint_name(table, Some(fk_name_addition(cols)), "fkey")`;
//! * serial / identity sequence: `choose_relation_name(table, Some(column), "seq", false)`.
//!
//! Within one `CREATE TABLE` the order is: sequences, CHECK constraints (in order written),
//! the primary key, the other unique/exclusion constraints (in order written), then foreign
//! keys (added afterwards as `ALTER TABLE … ADD`). PostgreSQL also silently drops a unique
//! constraint identical to an earlier one in the same statement (`a int unique, unique (a)`
//! makes one `t_a_key`); that is the caller's business.

use std::collections::BTreeSet;

pub use crate::sql::MAX_IDENT_BYTES;

/// PostgreSQL's `NAMEDATALEN`.
const NAMEDATALEN: usize = MAX_IDENT_BYTES + 1;

/// Names already used in one PostgreSQL schema (namespace).
#[derive(Clone, Debug, Default)]
pub struct Namespace {
    /// pg_class names: tables, indexes, sequences.
    pub relations: BTreeSet<String>,
    /// pg_constraint names in the namespace.
    pub constraints: BTreeSet<String>,
}

/// `makeObjectName`: `name1[_name2]_label`, truncating name1/name2 so the result fits.
///
/// As in PostgreSQL (indexcmds.c): the label (plus its `_`, and the `_` before `name2`) is
/// never truncated; the bytes left over (63 minus that overhead) are shared by `name1` and
/// `name2` by removing one byte at a time from whichever is currently longer — from `name2`
/// when they are equally long. Each is then clipped back to a UTF-8 character boundary
/// (`pg_mbcliplen`), which can leave the result a few bytes shorter than 63.
///
/// `name1` is first truncated to 63 bytes, as PostgreSQL would already have done to the
/// relation name it passes here. `name2` is used as given: it may be a name addition longer
/// than 63 bytes (see [`name_addition`]). An empty `label` means "no label" (PostgreSQL's
/// `NULL`): no trailing `_`.
pub fn make_object_name(name1: &str, name2: Option<&str>, label: &str) -> String {
    let name1 = truncate_identifier(name1);
    let mut overhead = 0;
    if name2.is_some() {
        overhead += 1;
    }
    if !label.is_empty() {
        overhead += label.len() + 1;
    }
    // PostgreSQL asserts this is positive; a label that long would be a caller bug.
    let avail = MAX_IDENT_BYTES.saturating_sub(overhead);
    let mut n1 = name1.len();
    let mut n2 = name2.map_or(0, str::len);
    // "If we must truncate, preferentially truncate the longer name."
    while n1 + n2 > avail && n1 + n2 > 0 {
        if n1 > n2 {
            n1 -= 1;
        } else {
            n2 -= 1;
        }
    }
    let n1 = clip(name1, n1);
    let mut out = String::with_capacity(MAX_IDENT_BYTES + 1);
    out.push_str(&name1[..n1]);
    if let Some(name2) = name2 {
        let n2 = clip(name2, n2);
        out.push('_');
        out.push_str(&name2[..n2]);
    }
    if !label.is_empty() {
        out.push('_');
        out.push_str(label);
    }
    out
}

/// `pg_mbcliplen`: the longest prefix of `s` of at most `len` bytes ending on a character
/// boundary.
pub(crate) fn clip(s: &str, len: usize) -> usize {
    let mut end = len.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    end
}

/// `ChooseRelationName`: first name free of collisions, adding 1, 2, … to the label.
/// Records the chosen name in `ns` (as relation, and as constraint when `is_constraint`).
///
/// A candidate collides with any relation name in the namespace (tables, indexes,
/// sequences, views — whatever `ns.relations` holds) and, when `is_constraint` (the index of
/// a primary key, unique or exclusion constraint), also with any constraint name. Numbering
/// goes into the label (`t_a_key1`, `t_a_key2`), so a long name is re-truncated for each
/// candidate and `name1`/`name2` may get shorter as the number grows.
///
/// Callers: index names (`ChooseIndexName`: `pkey` with no `name2`; `key`, `excl` or `idx`
/// with [`name_addition`] of the index columns) and sequences of serial/identity columns
/// (`name2` = column name, label `seq`, `is_constraint` false).
pub fn choose_relation_name(
    ns: &mut Namespace,
    name1: &str,
    name2: Option<&str>,
    label: &str,
    is_constraint: bool,
) -> String {
    let name = choose(name1, name2, label, |candidate| {
        ns.relations.contains(candidate) || (is_constraint && ns.constraints.contains(candidate))
    });
    ns.relations.insert(name.clone());
    if is_constraint {
        ns.constraints.insert(name.clone());
    }
    name
}

/// `ChooseConstraintName` (checks, foreign keys): collisions against constraint names only.
/// Records the chosen name in `ns.constraints`.
///
/// Relation names are not checked: a check constraint may share its name with a table or
/// an index. PostgreSQL uses it with:
/// * check constraints: `name2` = the column when the expression references exactly one
///   distinct column, otherwise `None` (`t_check`); label `check`. Names chosen earlier in
///   the same statement count as taken (put them in `ns.constraints`, as this does);
/// * foreign keys: `name2` = [`fk_name_addition`] of the referencing columns; label `fkey`.
pub fn choose_constraint_name(
    ns: &mut Namespace,
    name1: &str,
    name2: Option<&str>,
    label: &str,
) -> String {
    let name = choose(name1, name2, label, |candidate| {
        ns.constraints.contains(candidate)
    });
    ns.constraints.insert(name.clone());
    name
}

/// The retry loop shared by `ChooseRelationName` and `ChooseConstraintName`.
pub(crate) fn choose(
    name1: &str,
    name2: Option<&str>,
    label: &str,
    taken: impl Fn(&str) -> bool,
) -> String {
    let mut candidate = make_object_name(name1, name2, label);
    let mut pass = 0u64;
    while taken(&candidate) {
        pass += 1;
        // PostgreSQL builds the label in a NAMEDATALEN buffer (snprintf), i.e. at most 63 bytes.
        let modlabel = format!("{label}{pass}");
        let modlabel = &modlabel[..clip(&modlabel, MAX_IDENT_BYTES)];
        candidate = make_object_name(name1, name2, modlabel);
    }
    candidate
}

/// `ChooseIndexColumnNames` + `ChooseIndexNameAddition` / `ChooseForeignKeyConstraintNameAddition`:
/// the `col1_col2` part of a default name (duplicates numbered, length-capped as PostgreSQL does).
///
/// `columns` are the index's columns in order — key columns followed by `INCLUDE` columns
/// (PostgreSQL names indexes after both). For an expression column pass what
/// `FigureIndexColname` gives: the function name for a function call (`lower(name)` →
/// `lower`), the column for a cast of a column, and `expr` otherwise.
///
/// This is [`index_column_names`] joined by [`fk_name_addition`].
pub fn name_addition(columns: &[String]) -> String {
    fk_name_addition(&index_column_names(columns))
}

/// `ChooseIndexColumnNames`: the index's own column names. A name equal to an earlier one
/// gets the first free number appended (`a`, `a1`, `a2`, …), after clipping the original
/// name so the result stays within 63 bytes (multibyte-safe).
pub fn index_column_names(columns: &[String]) -> Vec<String> {
    let mut result: Vec<String> = Vec::with_capacity(columns.len());
    for column in columns {
        let orig = truncate_identifier(column);
        let mut current = orig.to_string();
        let mut i = 1u64;
        while result.contains(&current) {
            let suffix = i.to_string();
            let keep = clip(orig, MAX_IDENT_BYTES - suffix.len());
            current = format!("{}{suffix}", &orig[..keep]);
            i += 1;
        }
        result.push(current);
    }
    result
}

/// `ChooseIndexNameAddition` / `ChooseForeignKeyConstraintNameAddition` (identical code):
/// names joined with `_`, stopping after the first name that brings the length to 64 bytes
/// (NAMEDATALEN) or more. The result can therefore be up to 127 bytes; [`make_object_name`]
/// truncates it. No de-duplication (foreign keys use this directly on their columns).
pub fn fk_name_addition(columns: &[String]) -> String {
    let mut buf = String::new();
    for column in columns {
        if !buf.is_empty() {
            buf.push('_');
        }
        // strlcpy(buf + buflen, name, NAMEDATALEN): at most 63 bytes of the name.
        buf.push_str(truncate_identifier(column));
        if buf.len() >= NAMEDATALEN {
            break;
        }
    }
    buf
}

/// Truncate to at most 63 bytes on a character boundary (`pg_mbcliplen`).
pub fn truncate_identifier(name: &str) -> &str {
    &name[..clip(name, MAX_IDENT_BYTES)]
}

#[cfg(test)]
mod tests {
    //! Expected names below were observed on PostgreSQL 15.18 (UTF8 database) by running the
    //! statements quoted in each test and reading `pg_class.relname` / `pg_constraint.conname`.
    //! Each test replays the statements with these helpers in the order PostgreSQL names
    //! things: serial sequences, then CHECK constraints, then the primary key index, then
    //! unique indexes, then foreign keys.

    use super::*;

    fn cols(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn table(ns: &mut Namespace, name: &str) {
        ns.relations.insert(name.to_string());
    }

    fn pkey(ns: &mut Namespace, table: &str) -> String {
        choose_relation_name(ns, table, None, "pkey", true)
    }

    fn unique(ns: &mut Namespace, table: &str, columns: &[&str]) -> String {
        let add = name_addition(&cols(columns));
        choose_relation_name(ns, table, Some(&add), "key", true)
    }

    fn index(ns: &mut Namespace, table: &str, columns: &[&str]) -> String {
        let add = name_addition(&cols(columns));
        choose_relation_name(ns, table, Some(&add), "idx", false)
    }

    fn check(ns: &mut Namespace, table: &str, column: Option<&str>) -> String {
        choose_constraint_name(ns, table, column, "check")
    }

    fn fkey(ns: &mut Namespace, table: &str, columns: &[&str]) -> String {
        let add = fk_name_addition(&cols(columns));
        choose_constraint_name(ns, table, Some(&add), "fkey")
    }

    fn seq(ns: &mut Namespace, table: &str, column: &str) -> String {
        choose_relation_name(ns, table, Some(column), "seq", false)
    }

    #[test]
    fn basic_names_and_collisions() {
        let mut ns = Namespace::default();
        // create table t (id int primary key, a int unique, b int check (b > 0)
        //   check (b < 100), c int references t(id), d serial, e text, check (a > b),
        //   check (1 > 0));
        assert_eq!(seq(&mut ns, "t", "d"), "t_d_seq");
        table(&mut ns, "t");
        assert_eq!(check(&mut ns, "t", Some("b")), "t_b_check");
        assert_eq!(check(&mut ns, "t", Some("b")), "t_b_check1");
        assert_eq!(check(&mut ns, "t", None), "t_check");
        assert_eq!(check(&mut ns, "t", None), "t_check1");
        assert_eq!(pkey(&mut ns, "t"), "t_pkey");
        assert_eq!(unique(&mut ns, "t", &["a"]), "t_a_key");
        assert_eq!(fkey(&mut ns, "t", &["c"]), "t_c_fkey");
        // create index on t (a);  (twice)
        assert_eq!(index(&mut ns, "t", &["a"]), "t_a_idx");
        assert_eq!(index(&mut ns, "t", &["a"]), "t_a_idx1");
        // create index on t (lower(e)) include (a, b);
        assert_eq!(index(&mut ns, "t", &["lower", "a", "b"]), "t_lower_a_b_idx");
        // create index on t (a, a, a);
        assert_eq!(index(&mut ns, "t", &["a", "a", "a"]), "t_a_a1_a2_idx");
        // create index on t ((a::text), (a + b), (b * 2));
        assert_eq!(
            index(&mut ns, "t", &["a", "expr", "expr"]),
            "t_a_expr_expr1_idx"
        );
        // create unique index on t (b, c);  alter table t add unique (b, c);
        assert_eq!(index(&mut ns, "t", &["b", "c"]), "t_b_c_idx");
        assert_eq!(unique(&mut ns, "t", &["b", "c"]), "t_b_c_key");
        // alter table t add constraint t_b_fkey check (b > 1);
        // alter table t add foreign key (b) references t(id);
        ns.constraints.insert("t_b_fkey".into());
        assert_eq!(fkey(&mut ns, "t", &["b"]), "t_b_fkey1");
    }

    #[test]
    fn collisions_with_relations() {
        let mut ns = Namespace::default();
        // create table t2_a_key (x int); create table t2 (a int unique);
        table(&mut ns, "t2_a_key");
        table(&mut ns, "t2");
        assert_eq!(unique(&mut ns, "t2", &["a"]), "t2_a_key1");
        // create table t3_b_check (x int); create table t3 (b int check (b > 0));
        // A CHECK only avoids constraint names.
        table(&mut ns, "t3_b_check");
        table(&mut ns, "t3");
        assert_eq!(check(&mut ns, "t3", Some("b")), "t3_b_check");
        // create sequence t4_pkey; create table t4 (id int primary key);
        table(&mut ns, "t4_pkey");
        table(&mut ns, "t4");
        assert_eq!(pkey(&mut ns, "t4"), "t4_pkey1");
        // An index (not a constraint) does not avoid constraint names…
        ns.constraints.insert("t5_a_idx".into());
        assert_eq!(index(&mut ns, "t5", &["a"]), "t5_a_idx");
        // …but a unique constraint's index does.
        ns.constraints.insert("t5_a_key".into());
        assert_eq!(unique(&mut ns, "t5", &["a"]), "t5_a_key1");
        assert!(ns.constraints.contains("t5_a_key1"));
        assert!(ns.relations.contains("t5_a_key1"));
        // create table p (x int, y int, primary key (x, y));
        // create table f (x int, y int, foreign key (x, y) references p,
        //   foreign key (x, y) references p);
        assert_eq!(pkey(&mut ns, "p"), "p_pkey");
        assert_eq!(fkey(&mut ns, "f", &["x", "y"]), "f_x_y_fkey");
        assert_eq!(fkey(&mut ns, "f", &["x", "y"]), "f_x_y_fkey1");
    }

    #[test]
    fn long_ascii_names() {
        let t = "abcdefghijklmnopqrstuvwxyz_abcdefghijklmnopqrstuvwxyz_abcdefghi";
        let c1 = "col_abcdefghijklmnopqrstuvwxyz_abcdefghijklmnopqrstuvwxyz_abcd";
        let c2 = "col_abcdefghijklmnopqrstuvwxyz_abcdefghijklmnopqrstuvwxyz_abce";
        assert_eq!(t.len(), 63);
        let mut ns = Namespace::default();
        // create table <t> (<c1> int primary key, short int unique, <c2> serial,
        //   x int check (x > 0), y int references <t>);
        assert_eq!(
            seq(&mut ns, t, c2),
            "abcdefghijklmnopqrstuvwxyz_ab_col_abcdefghijklmnopqrstuvwxy_seq"
        );
        table(&mut ns, t);
        assert_eq!(
            check(&mut ns, t, Some("x")),
            "abcdefghijklmnopqrstuvwxyz_abcdefghijklmnopqrstuvwxyz_a_x_check"
        );
        assert_eq!(
            pkey(&mut ns, t),
            "abcdefghijklmnopqrstuvwxyz_abcdefghijklmnopqrstuvwxyz_abcd_pkey"
        );
        assert_eq!(
            unique(&mut ns, t, &["short"]),
            "abcdefghijklmnopqrstuvwxyz_abcdefghijklmnopqrstuvwxyz_short_key"
        );
        assert_eq!(
            fkey(&mut ns, t, &["y"]),
            "abcdefghijklmnopqrstuvwxyz_abcdefghijklmnopqrstuvwxyz_ab_y_fkey"
        );
        // create index on <t> (short);  (twice) — the numbered label shortens name1.
        assert_eq!(
            index(&mut ns, t, &["short"]),
            "abcdefghijklmnopqrstuvwxyz_abcdefghijklmnopqrstuvwxyz_short_idx"
        );
        assert_eq!(
            index(&mut ns, t, &["short"]),
            "abcdefghijklmnopqrstuvwxyz_abcdefghijklmnopqrstuvwxy_short_idx1"
        );
        // create index on <t> (<c1>, <c2>, short, x, y);
        assert_eq!(
            index(&mut ns, t, &[c1, c2, "short", "x", "y"]),
            "abcdefghijklmnopqrstuvwxyz_ab_col_abcdefghijklmnopqrstuvwxy_idx"
        );
        // create index on <t> (<c1>, <c1>);
        assert_eq!(
            index(&mut ns, t, &[c1, c1]),
            "abcdefghijklmnopqrstuvwxyz_ab_col_abcdefghijklmnopqrstuvwx_idx1"
        );

        let m = "medium_table_name_thirty_bytes";
        let mc = "medium_column_name_thirty_byte";
        let oc = "other_column_name_of_thirty_b";
        // create table <m> (<mc> int unique, <oc> int, z int, unique (<mc>, <oc>, z));
        table(&mut ns, m);
        assert_eq!(
            unique(&mut ns, m, &[mc]),
            "medium_table_name_thirty_byte_medium_column_name_thirty_byt_key"
        );
        assert_eq!(
            unique(&mut ns, m, &[mc, oc, "z"]),
            "medium_table_name_thirty_byte_medium_column_name_thirty_by_key1"
        );
        // create index on <m> (z, z, …24 times);
        assert_eq!(
            index(&mut ns, m, &["z"; 24]),
            "medium_table_name_thirty_byte_z_z1_z2_z3_z4_z5_z6_z7_z8_z9__idx"
        );
    }

    #[test]
    fn multibyte_names() {
        let e31 = "é".repeat(31); // 62 bytes
        let jp = "日本語の列名日本語の列名日本語の列名"; // 54 bytes
        let jt = "日本語のテーブル名日本語のテーブル名"; // 54 bytes
        let mut ns = Namespace::default();
        // create table "<e31>" ("<e31>" int primary key, "<jp>" int unique, "ab" serial);
        assert_eq!(
            seq(&mut ns, &e31, "ab"),
            format!("{}_ab_seq", "é".repeat(28))
        );
        table(&mut ns, &e31);
        assert_eq!(pkey(&mut ns, &e31), format!("{}_pkey", "é".repeat(29)));
        assert_eq!(
            unique(&mut ns, &e31, &[jp]),
            format!("{}_日本語の列名日本語_key", "é".repeat(14))
        );
        // create index on "<e31>" ("<jp>", "<e31>");
        assert_eq!(
            index(&mut ns, &e31, &[jp, &e31]),
            format!("{}_日本語の列名日本語_idx", "é".repeat(14))
        );
        // create table "<jt>" ("<e31>" int, check ("<e31>" > 0));
        table(&mut ns, jt);
        assert_eq!(
            check(&mut ns, jt, Some(&e31)),
            format!("日本語のテーブル名_{}_check", "é".repeat(14))
        );
        // create index on "<jt>" ("<e31>", "<e31>");  create index on "<jt>" ("<e31>");
        assert_eq!(
            index(&mut ns, jt, &[&e31, &e31]),
            format!("日本語のテーブル名_{}_idx", "é".repeat(14))
        );
        assert_eq!(
            index(&mut ns, jt, &[&e31]),
            format!("日本語のテーブル名_{}_idx1", "é".repeat(14))
        );
    }

    #[test]
    fn make_object_name_rules() {
        assert_eq!(make_object_name("t", Some("a"), "key"), "t_a_key");
        assert_eq!(make_object_name("t", None, "pkey"), "t_pkey");
        assert_eq!(make_object_name("t", Some("a"), ""), "t_a");
        // Equal lengths: name2 loses the odd byte. Observed on PostgreSQL 15:
        // create table a×40 (b×40 int); create index on a×40 (b×40);  (twice)
        let a = "a".repeat(40);
        let b = "b".repeat(40);
        let n = make_object_name(&a, Some(&b), "idx");
        assert_eq!(n, format!("{}_{}_idx", "a".repeat(29), "b".repeat(29)));
        let n = make_object_name(&a, Some(&b), "idx1");
        assert_eq!(n, format!("{}_{}_idx1", "a".repeat(29), "b".repeat(28)));
        assert_eq!(n.len(), 63);
        // A longer-than-63 name1 is first truncated, as PostgreSQL's parser would.
        let long = "x".repeat(100);
        assert_eq!(
            make_object_name(&long, None, "pkey"),
            format!("{}_pkey", "x".repeat(58))
        );
        // Absurd labels do not panic.
        let label = "l".repeat(70);
        assert!(make_object_name("t", Some("c"), &label).ends_with(&label));
    }

    #[test]
    fn name_additions() {
        assert_eq!(name_addition(&cols(&["a", "b"])), "a_b");
        assert_eq!(name_addition(&cols(&["a", "a", "a1", "a"])), "a_a1_a11_a2");
        assert_eq!(fk_name_addition(&cols(&["a", "a"])), "a_a");
        assert_eq!(name_addition(&[]), "");
        // Stops once 64 bytes are reached: the name that crosses the line is kept whole.
        let c = "c".repeat(40);
        let add = name_addition(&cols(&[&c, "x", &c, "y", "z"]));
        assert_eq!(add, format!("{c}_x_{c}1"));
        // Numbered duplicates of a 63-byte name are clipped to stay within 63 bytes.
        // Observed on PostgreSQL 15 as the index's pg_attribute.attname values of
        // `create index on q (n×63, n×63)`, `… ("é"×31 || 'x', same)`, `… ('x' || "é"×31, same)`
        // and `create index on q (a, a, a1, a)`.
        let n63 = "n".repeat(63);
        assert_eq!(
            index_column_names(&cols(&[&n63, &n63])),
            vec![n63.clone(), format!("{}1", "n".repeat(62))]
        );
        let e = "é".repeat(31) + "x"; // 63 bytes, a 2-byte char ends at byte 62
        assert_eq!(
            index_column_names(&cols(&[&e, &e]))[1],
            format!("{}1", "é".repeat(31))
        );
        let e = "x".to_string() + &"é".repeat(31); // 63 bytes; byte 62 is inside a char
        assert_eq!(
            index_column_names(&cols(&[&e, &e]))[1],
            format!("x{}1", "é".repeat(30))
        );
    }

    #[test]
    fn truncation_is_char_safe() {
        assert_eq!(truncate_identifier("abc"), "abc");
        let e = "é".repeat(40);
        assert_eq!(truncate_identifier(&e), "é".repeat(31));
    }
}
