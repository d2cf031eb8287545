//! VEP's view of a variant allele: trimmed of the VCF anchor base, with `start > end` for
//! insertions (`-/A`) and `-` for deleted bases (`CT/-`).

use super::variant::Variant;

/// One allele change on the forward strand, VEP coordinates (1-based, inclusive; an insertion
/// between bases `end` and `start` has `start == end + 1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allele {
    pub start: u64,
    pub end: u64,
    pub reference: Vec<u8>,
    pub alternate: Vec<u8>,
}

impl Allele {
    /// Trims like VEP's VCF reader: a shared first base is dropped when the alleles differ in
    /// length (the VCF anchor of an indel); substitutions keep all their bases.
    pub fn from_variant(v: &Variant) -> Self {
        Self::from_vcf(v.pos, v.reference.as_bytes(), v.alternate.as_bytes())
    }

    /// Whether VCF REF/ALT share an anchor base VEP drops.
    fn anchored(r: &[u8], a: &[u8]) -> bool {
        !r.is_empty() && !a.is_empty() && r[0] == a[0] && r.len() != a.len()
    }

    /// The bases an allele given as VCF REF/ALT spans once trimmed: the longer of the two.
    pub fn vcf_length(r: &[u8], a: &[u8]) -> u64 {
        (r.len().max(a.len()) - usize::from(Self::anchored(r, a))) as u64
    }

    /// The bases this allele spans: the longer of its reference and alternate.
    pub fn length(&self) -> u64 {
        self.reference.len().max(self.alternate.len()) as u64
    }

    /// [`Allele::from_variant`] from the VCF columns, without building a [`Variant`].
    pub fn from_vcf(pos: u64, r: &[u8], a: &[u8]) -> Self {
        let skip = usize::from(Self::anchored(r, a));
        let reference = r[skip..].to_ascii_uppercase();
        let alternate = a[skip..].to_ascii_uppercase();
        let start = pos + skip as u64;
        let end = start + reference.len() as u64 - 1;
        Self {
            start,
            end: if reference.is_empty() { start - 1 } else { end },
            reference,
            alternate,
        }
    }

    /// [`Allele::from_vcf`] into `self`, reusing its buffers (the VCF hot path annotates
    /// one allele after another without allocating for each).
    pub fn set_from_vcf(&mut self, pos: u64, r: &[u8], a: &[u8]) {
        let skip = usize::from(Self::anchored(r, a));
        self.reference.clear();
        self.reference.extend_from_slice(&r[skip..]);
        self.reference.make_ascii_uppercase();
        self.alternate.clear();
        self.alternate.extend_from_slice(&a[skip..]);
        self.alternate.make_ascii_uppercase();
        self.start = pos + skip as u64;
        self.end = if self.reference.is_empty() {
            self.start - 1
        } else {
            self.start + self.reference.len() as u64 - 1
        };
    }

    pub fn is_insertion(&self) -> bool {
        self.reference.is_empty()
    }

    pub fn is_deletion(&self) -> bool {
        self.alternate.is_empty()
    }

    pub fn allele_string(&self) -> String {
        format!("{}/{}", show(&self.reference), show(&self.alternate))
    }

    pub fn variant_allele(&self) -> String {
        show(&self.alternate)
    }

    /// The lowest and highest genomic positions touched (for insertions the flanking bases).
    pub fn span(&self) -> (u64, u64) {
        (self.start.min(self.end), self.start.max(self.end))
    }

    /// The shortest equivalent allele (shared leading and trailing bases removed), as HGVS
    /// names it.
    pub fn minimal(&self) -> Allele {
        let (mut r, mut a) = (&self.reference[..], &self.alternate[..]);
        let mut start = self.start;
        while !r.is_empty() && !a.is_empty() && r[r.len() - 1] == a[a.len() - 1] {
            r = &r[..r.len() - 1];
            a = &a[..a.len() - 1];
        }
        while !r.is_empty() && !a.is_empty() && r[0] == a[0] {
            r = &r[1..];
            a = &a[1..];
            start += 1;
        }
        Allele {
            start,
            end: start + r.len() as u64 - 1,
            reference: r.to_vec(),
            alternate: a.to_vec(),
        }
    }
}

fn show(bases: &[u8]) -> String {
    if bases.is_empty() {
        "-".to_string()
    } else {
        String::from_utf8_lossy(bases).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reused_allele_buffers_give_the_same_allele_as_a_fresh_one() {
        let mut reused = Allele::from_vcf(1, b"N", b"N");
        for (pos, r, a) in [
            (100, &b"CAGT"[..], &b"C"[..]),
            (7, b"C", b"CTTA"),
            (5, b"ac", b"gt"),
            (9, b"G", b"T"),
        ] {
            reused.set_from_vcf(pos, r, a);
            assert_eq!(reused, Allele::from_vcf(pos, r, a), "{pos}");
        }
    }

    fn v(pos: u64, r: &str, a: &str) -> Variant {
        Variant {
            input: String::new(),
            id: None,
            chrom: "21".into(),
            pos,
            reference: r.into(),
            alternate: a.into(),
        }
    }

    #[test]
    fn drops_the_vcf_anchor_of_deletions_and_insertions() {
        let d = Allele::from_variant(&v(100, "ACT", "A"));
        assert_eq!(
            (d.start, d.end, d.allele_string()),
            (101, 102, "CT/-".into())
        );
        let i = Allele::from_variant(&v(100, "T", "TG"));
        assert_eq!(
            (i.start, i.end, i.allele_string()),
            (101, 100, "-/G".into())
        );
    }

    #[test]
    fn keeps_substitutions_and_mnvs_whole() {
        let m = Allele::from_variant(&v(100, "GG", "AA"));
        assert_eq!(
            (m.start, m.end, m.allele_string()),
            (100, 101, "GG/AA".into())
        );
        let s = Allele::from_variant(&v(100, "C", "T"));
        assert_eq!((s.start, s.end), (100, 100));
    }

    #[test]
    fn minimises_shared_flanks_for_hgvs() {
        let a = Allele::from_variant(&v(100, "ACT", "AGT")).minimal();
        assert_eq!(
            (a.start, a.end, a.allele_string()),
            (101, 101, "C/G".into())
        );
    }
}
