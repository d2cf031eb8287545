//! Analyses as a whole, beyond one socket: deadlines for chunks that never come back, VCF
//! uploads (REST), the per-analysis spool that downloads are served from, and the exports.

pub mod deadline;
pub mod export;
pub mod spool;
pub mod submit;
pub mod upload;
