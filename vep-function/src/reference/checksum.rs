//! The publishers' checksum listings and the two algorithms they use.
//!
//! - Ensembl's `CHECKSUMS` is the output of `sum` (the BSD 16-bit rotating checksum and the
//!   size in 1 KiB blocks) per file: `36979 1 file`, or, from a pipeline that passed `sum` a
//!   full path, `36979     1 /path/to/file file`; the last field is always the file name.
//! - NCBI's `md5checksums.txt` is `md5sum` output: `<md5>  ./file`.
//!
//! A listing line is recognised by its shape, so either algorithm is accepted from either
//! publisher (mirrors sometimes add their own listing).

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// What a listing says a file must hash to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// `sum` (BSD algorithm): checksum and size in 1 KiB blocks, rounded up.
    BsdSum { sum: u16, blocks: u64 },
    /// Lower-case hex MD5 digest.
    Md5(String),
}

/// A checksum as recorded in `reference.json`: algorithm name and value as published.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Recorded {
    pub algorithm: String,
    pub value: String,
}

impl Expected {
    pub fn recorded(&self) -> Recorded {
        match self {
            Expected::BsdSum { sum, blocks } => Recorded {
                algorithm: "bsd_sum".into(),
                value: format!("{sum:05} {blocks}"),
            },
            Expected::Md5(hex) => Recorded {
                algorithm: "md5".into(),
                value: hex.clone(),
            },
        }
    }
}

/// Finds `name`'s entry in a listing. `None`: the listing does not cover the file.
pub fn find(listing: &str, name: &str) -> Option<Expected> {
    listing.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let file = fields.last()?.trim_start_matches('*');
        let base = file.rsplit('/').next().unwrap_or(file);
        if base != name {
            return None;
        }
        let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        match fields.as_slice() {
            [sum, blocks, _, ..] if numeric(sum) && numeric(blocks) => Some(Expected::BsdSum {
                sum: sum.parse().ok()?,
                blocks: blocks.parse().ok()?,
            }),
            [digest, _, ..]
                if digest.len() == 32 && digest.bytes().all(|b| b.is_ascii_hexdigit()) =>
            {
                Some(Expected::Md5(digest.to_ascii_lowercase()))
            }
            _ => None,
        }
    })
}

/// The digest of a one-file md5 listing (ClinVar's `<file>.md5` beside each file), whatever
/// name it gives: `clinvar.vcf.gz` is a link to the week's dated file, which its listing
/// may name instead. `None` unless the listing holds exactly one md5 line.
pub fn single_md5(listing: &str) -> Option<Expected> {
    let mut digests = listing.lines().filter_map(|line| {
        let digest = line.split_whitespace().next()?;
        (digest.len() == 32 && digest.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| Expected::Md5(digest.to_ascii_lowercase()))
    });
    let first = digests.next()?;
    digests.next().is_none().then_some(first)
}

/// Hashes `path` with the algorithm `expected` uses and returns what the file has, in the same
/// form (so a mismatch can show both).
pub fn compute(path: &Path, expected: &Expected) -> io::Result<Expected> {
    let mut file = File::open(path)?;
    let mut buf = vec![0u8; 1 << 20];
    match expected {
        Expected::BsdSum { .. } => {
            let mut sum = BsdSum::default();
            loop {
                let n = file.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                sum.update(&buf[..n]);
            }
            Ok(sum.finish())
        }
        Expected::Md5(_) => {
            let mut context = md5::Context::new();
            loop {
                let n = file.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                context.consume(&buf[..n]);
            }
            Ok(Expected::Md5(format!("{:x}", context.finalize())))
        }
    }
}

/// The BSD checksum of `sum` (coreutils `sum -r`, the default): rotate right by one, add the
/// byte, keep 16 bits.
#[derive(Debug, Default)]
struct BsdSum {
    sum: u16,
    bytes: u64,
}

impl BsdSum {
    fn update(&mut self, data: &[u8]) {
        let mut sum = self.sum;
        for &byte in data {
            sum = sum.rotate_right(1).wrapping_add(u16::from(byte));
        }
        self.sum = sum;
        self.bytes += data.len() as u64;
    }

    fn finish(&self) -> Expected {
        Expected::BsdSum {
            sum: self.sum,
            blocks: self.bytes.div_ceil(1024),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str, contents: &[u8]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("vep-checksum-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }

    #[test]
    fn bsd_sum_matches_coreutils_sum() {
        // `printf 'hello\n' | sum` prints `36979     1`; an empty file `00000     0`.
        let hello = scratch("hello", b"hello\n");
        let any = Expected::BsdSum { sum: 0, blocks: 0 };
        assert_eq!(
            compute(&hello, &any).unwrap(),
            Expected::BsdSum {
                sum: 36979,
                blocks: 1
            }
        );
        let empty = scratch("empty", b"");
        assert_eq!(
            compute(&empty, &any).unwrap(),
            Expected::BsdSum { sum: 0, blocks: 0 }
        );
        // 1025 bytes take two 1 KiB blocks.
        let big = scratch("big", &[b'A'; 1025]);
        let Expected::BsdSum { blocks, .. } = compute(&big, &any).unwrap() else {
            unreachable!()
        };
        assert_eq!(blocks, 2);
    }

    #[test]
    fn md5_matches_md5sum() {
        // `printf 'hello\n' | md5sum`
        let hello = scratch("hello-md5", b"hello\n");
        assert_eq!(
            compute(&hello, &Expected::Md5(String::new())).unwrap(),
            Expected::Md5("b1946ac92492d2347c6235b4d2611184".into())
        );
    }

    #[test]
    fn ensembl_listings_in_both_published_shapes_are_read() {
        // Release 92's fasta/homo_sapiens/dna/CHECKSUMS, and the full-path shape.
        let listing = "60532 67650 Homo_sapiens.GRCh38.dna.chromosome.1.fa.gz\n\
                       00094     1 /nfs/ftp/release-113/gff3/Homo_sapiens.GRCh38.113.gff3.gz Homo_sapiens.GRCh38.113.gff3.gz\n";
        assert_eq!(
            find(listing, "Homo_sapiens.GRCh38.dna.chromosome.1.fa.gz"),
            Some(Expected::BsdSum {
                sum: 60532,
                blocks: 67650
            })
        );
        assert_eq!(
            find(listing, "Homo_sapiens.GRCh38.113.gff3.gz"),
            Some(Expected::BsdSum { sum: 94, blocks: 1 })
        );
        assert_eq!(
            find(listing, "Homo_sapiens.GRCh38.dna.chromosome.2.fa.gz"),
            None
        );
    }

    #[test]
    fn ncbi_md5sum_listing_is_read_with_its_dot_slash_prefix() {
        let listing =
            "B1946AC92492D2347C6235B4D2611184  ./GCF_000001405.40_GRCh38.p14_genomic.gff.gz\n\
                       0123456789abcdef0123456789abcdef  ./README.txt\n";
        assert_eq!(
            find(listing, "GCF_000001405.40_GRCh38.p14_genomic.gff.gz"),
            Some(Expected::Md5("b1946ac92492d2347c6235b4d2611184".into()))
        );
        assert_eq!(find(listing, "genomic.gff.gz"), None);
    }

    #[test]
    fn a_one_file_md5_listing_gives_its_digest_whatever_name_it_gives() {
        let dated = "B1946AC92492D2347C6235B4D2611184  clinvar_20261128.vcf.gz\n";
        assert_eq!(
            single_md5(dated),
            Some(Expected::Md5("b1946ac92492d2347c6235b4d2611184".into()))
        );
        let two = format!("{dated}0123456789abcdef0123456789abcdef  other.vcf.gz\n");
        assert_eq!(single_md5(&two), None);
        assert_eq!(single_md5("not a listing\n"), None);
    }

    #[test]
    fn recorded_form_keeps_the_published_spelling() {
        let sum = Expected::BsdSum { sum: 94, blocks: 1 };
        assert_eq!(sum.recorded().value, "00094 1");
        assert_eq!(sum.recorded().algorithm, "bsd_sum");
    }
}
