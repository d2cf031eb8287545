//! Analyses as a whole, beyond one socket: deadlines for chunks that never come back.

pub mod deadline;
