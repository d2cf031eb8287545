//! A small deterministic generator (64-bit LCG) shared by the generated-input tests, so a
//! failure reproduces from its seed.

pub struct Lcg(pub u64);

impl Lcg {
    /// The next number in `0..n` (`0` when `n` is 0).
    pub fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n.max(1)
    }

    /// `n` random bases.
    #[allow(dead_code)] // not every test crate that includes this module generates bases
    pub fn bases(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| b"ACGT"[self.next(4) as usize] as char)
            .collect()
    }
}
