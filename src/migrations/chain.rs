//! The blake3 hash chain.

use super::{Link, normalise};

/// Domain string whose hash is `link_0`.
const GENESIS: &str = "schemactl-chain-v1";

/// `link_0 = blake3("schemactl-chain-v1")`: the head of an empty chain.
pub fn genesis() -> Link {
    Link(*blake3::hash(GENESIS.as_bytes()).as_bytes())
}

/// blake3 of the normalised snapshot text.
pub fn snapshot_hash(text: &str) -> Link {
    Link(*blake3::hash(normalise(text).as_bytes()).as_bytes())
}

/// `link_i` from `link_{i-1}`, the stem, the up and down texts (normalised here; pass `None`
/// for no down file, which hashes like an empty one) and the snapshot hash.
pub fn compute_link(
    parent: &Link,
    stem: &str,
    up: &str,
    down: Option<&str>,
    snapshot_hash: &Link,
) -> Link {
    let up = normalise(up);
    let down = normalise(down.unwrap_or(""));
    let mut hasher = blake3::Hasher::new();
    hasher.update(&parent.0);
    for part in [stem, &up, &down] {
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.update(&snapshot_hash.0);
    Link(*hasher.finalize().as_bytes())
}
