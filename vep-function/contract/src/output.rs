//! The output formats, written once for the CLI, the function and the gateway's downloads:
//! VEP JSON ([`json`]), the CSQ field list and its escaping ([`csq`]), VCF records with CSQ
//! ([`vcf`]) and VEP's tab-separated layout ([`tsv`]).

pub mod csq;
pub mod json;
pub mod tsv;
pub mod vcf;

/// `n` in decimal, appended to `out`.
#[inline]
pub fn push_number(out: &mut String, n: u64) {
    out.push_str(itoa::Buffer::new().format(n));
}
