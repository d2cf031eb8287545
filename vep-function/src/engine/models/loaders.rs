//! Gene model files in the three dialects the engine reads, all over one 9-column record
//! reader and one error type (`record`): Ensembl GFF3, Ensembl GTF, NCBI RefSeq GFF3.

pub mod gff3;
pub mod gtf;
pub mod record;
pub mod refseq;
mod text_file;

pub use self::record::ModelFileError;
