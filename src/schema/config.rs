//! `schemactl.toml`: project layout, managed schemas, ignore list, database and history
//! settings, and the hazard policy. Unknown keys are errors, as in schema files.

use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, SourceMap};
use crate::plan::{Hazard, Policy};
use crate::schema::reader::{Reader, Sp, span};

pub const FILE_NAME: &str = "schemactl.toml";

/// The keys of `schemactl.toml` and of each of its tables.
pub(crate) const CONFIG_KEYS: &[&str] = &[
    "project", "database", "history", "hazards", "roles", "online", "apply",
];
pub(crate) const PROJECT_KEYS: &[&str] = &[
    "schema_dir",
    "migrations_dir",
    "snapshots_dir",
    "schemas",
    "ignore",
];
pub(crate) const DATABASE_KEYS: &[&str] = &["url_env"];
pub(crate) const HISTORY_KEYS: &[&str] = &["schema"];
pub(crate) const ROLES_KEYS: &[&str] = &["manage", "names"];
pub(crate) const HAZARDS_KEYS: &[&str] = &["require_allow"];
pub(crate) const ONLINE_KEYS: &[&str] = &["enabled"];
pub(crate) const APPLY_KEYS: &[&str] =
    &["ddl_lock_timeout", "ddl_statement_timeout", "ddl_retries"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub schema_dir: String,
    pub migrations_dir: String,
    pub snapshots_dir: String,
    /// Managed PostgreSQL schemas, in the order written.
    pub schemas: Vec<Sp<String>>,
    pub ignore: Vec<String>,
    pub url_env: String,
    pub history_schema: String,
    /// `[hazards] require_allow`: hazards gated in addition to `deletes_data`, as written.
    pub require_allow: Vec<Hazard>,
    /// `[roles] manage = true`: the NOLOGIN roles `apply` creates when they do not exist
    /// (empty when roles are not managed).
    pub managed_roles: Vec<String>,
    /// `[online] enabled` (default true): indexes of existing tables built and dropped
    /// `CONCURRENTLY` ([`crate::diff::table::online`]).
    pub online: bool,
    /// `[apply] ddl_lock_timeout`, `ddl_statement_timeout`, `ddl_retries`: the lock budget of
    /// the migrations' transactional segments (flags override each).
    pub ddl: crate::apply::budget::Budget,
}

impl Config {
    pub fn schema_names(&self) -> impl Iterator<Item = &str> {
        self.schemas.iter().map(|s| s.value.as_str())
    }

    /// The hazards that must be allowed explicitly in this project.
    pub fn policy(&self) -> Policy {
        Policy::new(self.require_allow.iter().copied())
    }
}

/// A loaded project: its root and configuration.
#[derive(Clone, Debug)]
pub struct Project {
    pub root: PathBuf,
    pub config: Config,
    /// Whether `schemactl.toml` exists (defaults apply otherwise).
    pub has_config_file: bool,
}

impl Project {
    pub fn schema_dir(&self) -> PathBuf {
        self.root.join(&self.config.schema_dir)
    }
    pub fn migrations_dir(&self) -> PathBuf {
        self.root.join(&self.config.migrations_dir)
    }
    pub fn snapshots_dir(&self) -> PathBuf {
        self.root.join(&self.config.snapshots_dir)
    }
}

/// The nearest directory at or above `start` holding `schemactl.toml`, else `start`.
pub fn find_root(start: &Path) -> PathBuf {
    let mut dir = Some(start);
    while let Some(d) = dir {
        if d.join(FILE_NAME).is_file() {
            return d.to_path_buf();
        }
        dir = d.parent();
    }
    start.to_path_buf()
}

/// Read `root/schemactl.toml` (or the defaults when it does not exist).
pub fn load(root: &Path, sources: &mut SourceMap, diags: &mut Vec<Diagnostic>) -> Project {
    let path = root.join(FILE_NAME);
    let (config, has_config_file) = match std::fs::read_to_string(&path) {
        Ok(text) => {
            let id = sources.add(PathBuf::from(FILE_NAME), text);
            let text = sources.text(id);
            let config = match super::parse_document(id, text, diags) {
                Some(doc) => read(id, &doc, diags),
                None => defaults(),
            };
            (config, true)
        }
        Err(_) => (defaults(), false),
    };
    Project {
        root: root.to_path_buf(),
        config,
        has_config_file,
    }
}

fn defaults() -> Config {
    let file = crate::diag::FileId(usize::MAX);
    Config {
        schema_dir: "schema".into(),
        migrations_dir: "migrations".into(),
        snapshots_dir: "snapshots".into(),
        schemas: vec![Sp::new("public".into(), span(file, 0..0))],
        ignore: Vec::new(),
        url_env: "DATABASE_URL".into(),
        history_schema: "schemactl".into(),
        require_allow: Vec::new(),
        managed_roles: Vec::new(),
        online: true,
        ddl: crate::apply::budget::Budget::default(),
    }
}

fn read(
    file: crate::diag::FileId,
    doc: &toml::de::DeTable<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Config {
    let mut c = defaults();
    let mut r = Reader {
        file,
        table: doc,
        span: span(file, 0..0),
        diags,
    };
    r.deny_unknown("schemactl.toml", CONFIG_KEYS);
    if let Some(mut p) = r.table("project") {
        p.deny_unknown("[project]", PROJECT_KEYS);
        for (key, slot) in [
            ("schema_dir", &mut c.schema_dir),
            ("migrations_dir", &mut c.migrations_dir),
            ("snapshots_dir", &mut c.snapshots_dir),
        ] {
            if let Some(v) = p.string(key) {
                if v.value.is_empty() {
                    p.diags.push(
                        Diagnostic::new("invalid-value", v.span, format!("`{key}` is empty"))
                            .hint("give a directory relative to the project root"),
                    );
                } else {
                    *slot = v.value;
                }
            }
        }
        if let Some(list) = p.strings("schemas") {
            if list.value.is_empty() {
                p.diags.push(
                    Diagnostic::new("invalid-value", list.span, "`schemas` is empty")
                        .hint("list at least one PostgreSQL schema, e.g. [\"public\"]"),
                );
            } else {
                let mut seen: Vec<&str> = Vec::new();
                for s in &list.value {
                    if seen.contains(&s.value.as_str()) {
                        p.diags.push(
                            Diagnostic::new(
                                "duplicate-schema",
                                s.span.clone(),
                                format!("schema `{}` is listed twice", s.value),
                            )
                            .hint("list each managed schema once"),
                        );
                    }
                    seen.push(&s.value);
                }
                c.schemas = list.value.clone();
            }
        }
        if let Some(list) = p.strings("ignore") {
            c.ignore = list.value.into_iter().map(|s| s.value).collect();
        }
    }
    if let Some(mut d) = r.table("database") {
        d.deny_unknown("[database]", DATABASE_KEYS);
        if let Some(v) = d.string("url_env") {
            c.url_env = v.value;
        }
    }
    if let Some(mut h) = r.table("history") {
        h.deny_unknown("[history]", HISTORY_KEYS);
        if let Some(v) = h.string("schema") {
            c.history_schema = v.value;
        }
    }
    if let Some(mut t) = r.table("roles") {
        t.deny_unknown("[roles]", ROLES_KEYS);
        let manage = t.bool("manage");
        let names = t.strings("names");
        match (manage, names) {
            (Some(m), Some(list)) if m.value => {
                let mut seen: Vec<String> = Vec::new();
                for n in &list.value {
                    let bad = if n.value.is_empty() {
                        Some("a role name is empty")
                    } else if n.value.len() > 63 || n.value.contains('\0') {
                        Some("a role name is over 63 bytes or holds a NUL")
                    } else if n.value.eq_ignore_ascii_case("public") {
                        Some("`public` is the PUBLIC pseudo-role, not a role")
                    } else if seen.contains(&n.value) {
                        Some("a role is listed twice")
                    } else {
                        None
                    };
                    match bad {
                        Some(why) => t.diags.push(
                            Diagnostic::new("invalid-value", n.span.clone(), why)
                                .hint("list each NOLOGIN role once, by its name"),
                        ),
                        None => seen.push(n.value.clone()),
                    }
                }
                c.managed_roles = seen;
            }
            (Some(m), _) if m.value => t.diags.push(
                Diagnostic::new(
                    "missing-key",
                    m.span,
                    "`[roles] manage = true` without `names`",
                )
                .hint("list the roles: names = [\"app\", \"reporting\"]"),
            ),
            (_, Some(list)) => t.diags.push(
                Diagnostic::new(
                    "invalid-value",
                    list.span,
                    "`[roles] names` without `manage = true`",
                )
                .hint("set `manage = true` for schemactl to create these roles (NOLOGIN)"),
            ),
            _ => {}
        }
    }
    if let Some(mut h) = r.table("hazards") {
        h.deny_unknown("[hazards]", HAZARDS_KEYS);
        if let Some(list) = h.strings("require_allow") {
            c.require_allow = hazard_list(&list.value, h.diags);
        }
    }
    if let Some(mut o) = r.table("online") {
        o.deny_unknown("[online]", ONLINE_KEYS);
        if let Some(v) = o.bool("enabled") {
            c.online = v.value;
        }
    }
    if let Some(mut a) = r.table("apply") {
        a.deny_unknown("[apply]", APPLY_KEYS);
        if let Some(d) = duration(&mut a, "ddl_lock_timeout") {
            c.ddl.lock_timeout = d;
        }
        if let Some(d) = duration(&mut a, "ddl_statement_timeout") {
            c.ddl.statement_timeout = Some(d);
        }
        if let Some(v) = a.raw("ddl_retries") {
            let max = crate::apply::budget::MAX_RETRIES;
            let lit = crate::schema::reader::literal(file, v);
            let n = match &lit.value {
                crate::schema::reader::Literal::Integer(t) => t.parse::<i64>().ok(),
                _ => None,
            };
            match n {
                Some(n) if (0..=i64::from(max)).contains(&n) => c.ddl.retries = n as u32,
                _ => a.diags.push(
                    Diagnostic::new(
                        "invalid-value",
                        lit.span,
                        format!("`ddl_retries` must be a whole number from 0 to {max}"),
                    )
                    .hint("how often a migration step that hit its lock timeout is tried again, e.g. ddl_retries = 5"),
                ),
            }
        }
    }
    c
}

/// A duration key of `[apply]` (`"500ms"`, `"2s"`, `"1min"`, `"0"`); an error otherwise.
fn duration(r: &mut Reader<'_, '_>, key: &str) -> Option<std::time::Duration> {
    let v = r.string(key)?;
    match crate::apply::budget::parse_duration(&v.value) {
        Ok(d) => Some(d),
        Err(why) => {
            r.diags.push(
                Diagnostic::new("invalid-value", v.span, format!("`{key}`: {why}"))
                    .hint("write a number and a unit, e.g. \"500ms\", \"2s\" or \"1min\"; \"0\" turns it off"),
            );
            None
        }
    }
}

/// The hazards of `[hazards] require_allow`; unknown and repeated ids are errors.
fn hazard_list(ids: &[Sp<String>], diags: &mut Vec<Diagnostic>) -> Vec<Hazard> {
    let valid: Vec<&str> = Hazard::ALL.iter().map(|h| h.id()).collect();
    let mut out: Vec<Hazard> = Vec::new();
    for id in ids {
        match Hazard::parse(&id.value) {
            Some(h) if out.contains(&h) => diags.push(
                Diagnostic::new(
                    "duplicate-hazard",
                    id.span.clone(),
                    format!("hazard `{}` is listed twice in `require_allow`", id.value),
                )
                .hint("list each hazard once"),
            ),
            Some(h) => out.push(h),
            None => {
                let ids = format!("valid hazard ids: {}", valid.join(", "));
                let hint = match crate::suggest::did_you_mean(&id.value, valid.iter().copied()) {
                    Some(d) => format!("{d} {ids}"),
                    None => ids,
                };
                diags.push(
                    Diagnostic::new(
                        "unknown-hazard",
                        id.span.clone(),
                        format!("unknown hazard `{}` in `require_allow`", id.value),
                    )
                    .hint(hint),
                );
            }
        }
    }
    out
}

/// The `schemactl.toml` written by `init`.
pub const DEFAULT_FILE: &str = r#"# schemactl project configuration.
[project]
schema_dir     = "schema"       # desired state: every *.toml below it, merged
migrations_dir = "migrations"   # generated, hash-chained SQL files + schemactl.sum
snapshots_dir  = "snapshots"    # compiled model at the head of the chain
schemas        = ["public"]     # PostgreSQL schemas this project manages
# ignore       = ["public.spatial_ref_sys"]

[database]
url_env = "DATABASE_URL"        # where `--db` falls back to

[history]
schema = "schemactl"            # where the history table lives

# [hazards]
# require_allow = ["rewrites_table"]   # hazards that need `--allow` besides deletes_data
"#;
