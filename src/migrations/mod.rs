//! The migration directory: numbered SQL files, the blake3 hash chain in the sum file, and
//! the head snapshot.
//!
//! # Layout
//!
//! ```text
//! migrations/0001_create_users.sql        up migration (header + body)
//! migrations/0001_create_users.down.sql   optional reverse migration
//! migrations/schemactl.sum                the hash chain
//! snapshots/head.toml                     the schema at the head of the chain (opaque text here)
//! ```
//!
//! # Normalisation
//!
//! Every text that is hashed (up file, down file, snapshot) is normalised first: a leading
//! UTF-8 byte order mark is dropped and every CRLF becomes LF (see [`normalise`]). Files are
//! written already normalised, so a checkout with `core.autocrlf` still verifies.
//!
//! # The chain
//!
//! `link_0 = blake3("schemactl-chain-v1")`. For migration `i`, one `blake3::Hasher` is fed:
//! `link_{i-1}` (32 raw bytes); the stem (`0002_add_dispatch`), the up text and the down text
//! (empty when there is no down file), each preceded by its byte length as u64 little-endian;
//! then `snapshot_hash_i` (32 raw bytes), the blake3 of the normalised head snapshot as it was
//! when migration `i` was planned. See [`compute_link`].
//!
//! # Sum file
//!
//! ```text
//! head <hex link_n>
//! 0001_create_users <hex link_1> <hex snapshot_hash_1>
//! 0002_add_dispatch <hex link_2> <hex snapshot_hash_2>
//! ```
//!
//! Single spaces, lowercase hex, LF line ends, a trailing newline, nothing else. With no
//! migrations it is `head <hex link_0>\n` (or absent).

mod chain;
mod check;
mod file;
mod sum;

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

pub use chain::{compute_link, genesis, snapshot_hash};
pub use check::{load, rehash};
pub use file::{
    Header, NewMigration, parse_header, prepare, render_header, replace_files, slug, validate_name,
    write_files,
};
pub use sum::{SumEntry, parse_sum, render_sum};

/// What to do after parallel branches each added migrations: `schemactl rebase` keeps the
/// other side's chain and moves this side's on top; by hand, one `plan` does the same for
/// the final state (`schema/` already holds both sides' changes after the merge).
pub const REPLAN_BRANCH: &str = "run `schemactl rebase`: it keeps the other branch's migrations and moves \
     this branch's on top, renumbered and re-planned (by hand: keep the other branch's migrations, \
     `migrations/schemactl.sum` and `snapshots/head.toml`, delete this branch's migration files \
     and run `schemactl plan -m <name>`)";

/// File name of the sum file inside the migrations directory.
pub const SUM_FILE: &str = "schemactl.sum";
/// File name of the head snapshot inside the snapshots directory.
pub const SNAPSHOT_FILE: &str = "head.toml";
/// Longest migration name (the part after `NNNN_`).
pub const MAX_NAME_LEN: usize = 64;

/// Where the migration files and the head snapshot live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub migrations_dir: PathBuf,
    pub snapshots_dir: PathBuf,
}

impl Layout {
    /// The conventional layout under a project root: `root/migrations`, `root/snapshots`.
    pub fn new(root: &Path) -> Layout {
        Layout {
            migrations_dir: root.join("migrations"),
            snapshots_dir: root.join("snapshots"),
        }
    }

    /// `migrations/schemactl.sum`.
    pub fn sum_path(&self) -> PathBuf {
        self.migrations_dir.join(SUM_FILE)
    }

    /// `snapshots/head.toml`.
    pub fn snapshot_path(&self) -> PathBuf {
        self.snapshots_dir.join(SNAPSHOT_FILE)
    }

    /// `migrations/<stem>.sql`.
    pub fn up_path(&self, stem: &str) -> PathBuf {
        self.migrations_dir.join(format!("{stem}.sql"))
    }

    /// `migrations/<stem>.down.sql`.
    pub fn down_path(&self, stem: &str) -> PathBuf {
        self.migrations_dir.join(format!("{stem}.down.sql"))
    }
}

/// A 32-byte blake3 hash: a chain link or a snapshot hash. Displays as lowercase hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Link(pub [u8; 32]);

impl fmt::Display for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Link({self})")
    }
}

impl FromStr for Link {
    type Err = String;

    /// Exactly 64 hex digits (either case).
    fn from_str(s: &str) -> Result<Link, String> {
        let bytes = s.as_bytes();
        if bytes.len() != 64 {
            return Err(format!(
                "expected 64 hex digits, found {} characters",
                s.chars().count()
            ));
        }
        let mut out = [0u8; 32];
        for (i, pair) in bytes.chunks(2).enumerate() {
            let hi = hex_digit(pair[0]);
            let lo = hex_digit(pair[1]);
            match (hi, lo) {
                (Some(hi), Some(lo)) => out[i] = hi << 4 | lo,
                _ => return Err(format!("`{s}` is not a hex hash")),
            }
        }
        Ok(Link(out))
    }
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// One migration of a verified chain. Texts are normalised (no BOM, LF line ends).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Migration {
    pub version: u32,
    /// `0002_add_dispatch`.
    pub stem: String,
    /// Path of the up file.
    pub path: PathBuf,
    pub up: String,
    pub down: Option<String>,
    pub parent: Link,
    pub link: Link,
    pub snapshot_hash: Link,
}

/// A verified migration directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chain {
    pub migrations: Vec<Migration>,
    /// Link of the last migration, or [`genesis`] when there are none.
    pub head: Link,
    /// The head snapshot text (normalised), when the file exists.
    pub snapshot: Option<String>,
}

impl Chain {
    /// Let go of every migration's SQL, keeping versions, names and links: what a command
    /// that has verified the chain and only compares links (`drift`) still needs.
    pub fn forget_sql(&mut self) {
        for m in &mut self.migrations {
            m.up = String::new();
            m.down = None;
        }
    }
}

impl Chain {
    /// A chain with no migrations and no snapshot.
    pub fn empty() -> Chain {
        Chain {
            migrations: Vec::new(),
            head: genesis(),
            snapshot: None,
        }
    }

    /// Version number the next planned migration gets.
    pub fn next_version(&self) -> u32 {
        self.migrations.len() as u32 + 1
    }
}

/// Something wrong with the migration directory (or with a new migration's input).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub kind: ProblemKind,
    /// The file concerned.
    pub path: PathBuf,
    /// 1-based line, for sum-file problems.
    pub line: Option<usize>,
    /// Names the file and what happened.
    pub message: String,
    /// What to do about it.
    pub hint: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Messages already name the file (and the line, for sum-file problems).
        write!(f, "{} [{}]", self.message, self.kind.id())?;
        if !self.hint.is_empty() {
            write!(f, "\n  hint: {}", self.hint)?;
        }
        Ok(())
    }
}

/// Kinds of [`Problem`]; [`ProblemKind::id`] gives a stable kebab-case id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProblemKind {
    /// A recorded migration (or its down file) no longer hashes to its recorded link.
    Edited,
    /// A recorded migration is not on disk.
    Missing,
    /// An unrecorded migration numbered inside the recorded chain (not a parallel branch).
    Inserted,
    /// A recorded migration is on disk under another name.
    Renamed,
    /// Two migrations share a number: parallel branches each added one.
    DuplicateVersion,
    /// The head snapshot does not hash to the last recorded snapshot hash.
    SnapshotEdited,
    /// Migrations exist but the head snapshot does not.
    SnapshotMissing,
    /// The sum file does not describe the files: stale head line, unrecorded migration.
    SumOutOfDate,
    /// Migrations exist but the sum file does not.
    SumMissing,
    /// The sum file has merge conflict markers.
    SumConflict,
    /// A malformed sum file line.
    SumSyntax,
    /// A file in the migrations directory that is not `NNNN_name.sql` / `NNNN_name.down.sql`.
    BadFileName,
    /// A file or directory that could not be read (I/O error, not UTF-8).
    Unreadable,
    /// Input to [`prepare`] that cannot be written (bad migration name, bad hazard id).
    InvalidInput,
}

impl ProblemKind {
    /// Stable kebab-case id, e.g. `duplicate-version`.
    pub fn id(&self) -> &'static str {
        match self {
            ProblemKind::Edited => "edited",
            ProblemKind::Missing => "missing",
            ProblemKind::Inserted => "inserted",
            ProblemKind::Renamed => "renamed",
            ProblemKind::DuplicateVersion => "duplicate-version",
            ProblemKind::SnapshotEdited => "snapshot-edited",
            ProblemKind::SnapshotMissing => "snapshot-missing",
            ProblemKind::SumOutOfDate => "sum-out-of-date",
            ProblemKind::SumMissing => "sum-missing",
            ProblemKind::SumConflict => "sum-conflict",
            ProblemKind::SumSyntax => "sum-syntax",
            ProblemKind::BadFileName => "bad-file-name",
            ProblemKind::Unreadable => "unreadable",
            ProblemKind::InvalidInput => "invalid-input",
        }
    }
}

/// Drop a leading UTF-8 BOM and turn every CRLF into LF. Idempotent. Borrowed exactly when
/// nothing changes: migration texts run to megabytes and are usually clean.
pub fn normalise(text: &str) -> Cow<'_, str> {
    match text.strip_prefix('\u{feff}') {
        None if !text.contains("\r\n") => Cow::Borrowed(text),
        stripped => Cow::Owned(stripped.unwrap_or(text).replace("\r\n", "\n")),
    }
}

/// A path for messages: the last directory and the file name (`migrations/0002_x.sql`), so
/// messages hold no machine paths.
pub(crate) fn show(path: &Path) -> String {
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    match path
        .parent()
        .and_then(|p| p.file_name())
        .map(|d| d.to_string_lossy().into_owned())
    {
        Some(dir) => format!("{dir}/{file}"),
        None => file,
    }
}
