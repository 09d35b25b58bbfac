//! compile
pub mod names; pub mod types;
