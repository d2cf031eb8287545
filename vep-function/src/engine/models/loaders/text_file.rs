//! Opening gene model files: plain text, or gzip/bgzip by their `.gz`/`.bgz` name.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

/// A buffered reader over the file's text, decompressing when the name says it is compressed
/// (bgzip is multi-member gzip, hence `MultiGzDecoder`).
pub fn open(path: &Path) -> io::Result<BufReader<Box<dyn Read>>> {
    let file = File::open(path)?;
    let name = path.to_string_lossy();
    let inner: Box<dyn Read> = if name.ends_with(".gz") || name.ends_with(".bgz") {
        Box::new(MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    Ok(BufReader::with_capacity(1 << 16, inner))
}
