//! The one annotation driver behind the CLI (`vep-function annotate`) and the service (the
//! function's local backend): an engine loaded one way (`load`), and each submitted text
//! taken one way (`text`: parse -> variants or a sequence -> annotate). The front ends only
//! write what it returns: the CLI as JSON Lines, VCF or TSV (`cli::format`, whose VCF and
//! JSON fast paths print plain VCF records straight from the engine's effects and hand
//! everything else to `text`), the service as result parts.

pub mod load;
pub mod text;
