//! Raw domains (`[domains.NAME]`) and composite types (`[composite_types.NAME]`).

use toml::de::DeTable;

use super::reader::{Literal, Reader, Sp, entries, table_items};
use super::{CHECK_KEYS, RawCheck};
use crate::diag::{Diagnostic, FileId, Span};

#[derive(Debug)]
pub struct RawDomain {
    pub name: Sp<String>,
    pub span: Span,
    pub schema: Option<Sp<String>>,
    pub ty: Option<Sp<String>>,
    pub type_sql: Option<Sp<String>>,
    pub collation: Option<Sp<String>>,
    pub default: Option<Sp<Literal>>,
    pub default_sql: Option<Sp<String>>,
    pub not_null: Option<Sp<bool>>,
    pub checks: Vec<RawCheck>,
    pub comment: Option<Sp<String>>,
    pub grants: Option<super::grant::RawGrants>,
    pub renamed_from: Option<Sp<String>>,
}

#[derive(Debug)]
pub struct RawComposite {
    pub name: Sp<String>,
    pub span: Span,
    pub schema: Option<Sp<String>>,
    pub attributes: Vec<RawAttribute>,
    pub comment: Option<Sp<String>>,
    pub grants: Option<super::grant::RawGrants>,
    pub renamed_from: Option<Sp<String>>,
}

#[derive(Debug)]
pub struct RawAttribute {
    pub name: Sp<String>,
    pub ty: Option<Sp<String>>,
    pub type_sql: Option<Sp<String>>,
    pub collation: Option<Sp<String>>,
}

pub(crate) const DOMAIN_KEYS: &[&str] = &[
    "grants",
    "type",
    "type_sql",
    "collation",
    "default",
    "default_sql",
    "not_null",
    "checks",
    "comment",
    "schema",
    "renamed_from",
];
pub(crate) const COMPOSITE_KEYS: &[&str] =
    &["attributes", "comment", "schema", "renamed_from", "grants"];
pub(crate) const ATTRIBUTE_KEYS: &[&str] = &["type", "type_sql", "collation"];

pub(super) fn read_domains(
    file: FileId,
    table: &DeTable<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<RawDomain> {
    let mut out = Vec::new();
    for (name, t, tspan) in entries(file, table, "domain", diags) {
        let Some(t) = t else { continue };
        let mut r = Reader {
            file,
            table: t,
            span: tspan.clone(),
            diags,
        };
        r.deny_unknown(&format!("domain `{}`", name.value), DOMAIN_KEYS);
        let mut checks = Vec::new();
        if let Some(v) = r.raw("checks") {
            for (t, s) in table_items(file, v, "checks", r.diags) {
                let mut c = Reader {
                    file,
                    table: t,
                    span: s.clone(),
                    diags: r.diags,
                };
                c.deny_unknown("a domain check", CHECK_KEYS);
                checks.push(RawCheck {
                    span: s,
                    name: c.string("name"),
                    expr: c.string("expr"),
                    renamed_from: c.string("renamed_from"),
                    validated: None,
                    comment: c.string("comment"),
                });
            }
        }
        out.push(RawDomain {
            span: tspan,
            schema: r.string("schema"),
            ty: r.string("type"),
            type_sql: r.string("type_sql"),
            collation: r.string("collation"),
            default: r.literal("default"),
            default_sql: r.string("default_sql"),
            not_null: r.bool("not_null"),
            checks,
            comment: r.string("comment"),
            grants: super::grant::read(&mut r),
            renamed_from: r.string("renamed_from"),
            name,
        });
    }
    out
}

pub(super) fn read_composites(
    file: FileId,
    table: &DeTable<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<RawComposite> {
    let mut out = Vec::new();
    for (name, t, tspan) in entries(file, table, "composite type", diags) {
        let Some(t) = t else { continue };
        let mut r = Reader {
            file,
            table: t,
            span: tspan.clone(),
            diags,
        };
        r.deny_unknown(&format!("composite type `{}`", name.value), COMPOSITE_KEYS);
        let mut attributes = Vec::new();
        if let Some(attrs) = r.table("attributes") {
            let table = attrs.table;
            for (aname, at, aspan) in entries(file, table, "attribute", attrs.diags) {
                let Some(at) = at else { continue };
                let mut a = Reader {
                    file,
                    table: at,
                    span: aspan,
                    diags: attrs.diags,
                };
                a.deny_unknown(&format!("attribute `{}`", aname.value), ATTRIBUTE_KEYS);
                attributes.push(RawAttribute {
                    ty: a.string("type"),
                    type_sql: a.string("type_sql"),
                    collation: a.string("collation"),
                    name: aname,
                });
            }
        }
        out.push(RawComposite {
            span: tspan,
            schema: r.string("schema"),
            attributes,
            comment: r.string("comment"),
            grants: super::grant::read(&mut r),
            renamed_from: r.string("renamed_from"),
            name,
        });
    }
    out
}
