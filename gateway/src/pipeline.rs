//! An analysis in flight, above the store and the event contract: every outcome of its
//! chunks recorded once, in the store and (REST analyses) the spool ([`Ledger`]); an
//! upload's chunks sent to the broker ([`submit`]); and the chunks that never come back
//! failed when their deadline passes ([`deadline`]).

pub mod deadline;
mod ledger;
pub mod submit;

pub use ledger::Ledger;
