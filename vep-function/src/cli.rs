//! Command-line tools for batch users (wired into the binary by `main.rs`).

pub mod annotate;
pub mod event;
pub mod format;
pub mod index;
pub mod reference;
