//! The migration directory: numbered SQL files, the blake3 hash chain in the sum file, and
//! the head snapshot.
