//! Intron and splice-site effects (VEP's `_intron_effects` and the splice predicates), all in
//! genomic coordinates. Insertions have `start == end + 1`.

use crate::engine::models::transcript::{Strand, Transcript};

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SpliceEffects {
    pub donor: bool,
    pub acceptor: bool,
    pub donor_5th_base: bool,
    pub donor_region: bool,
    pub polypyrimidine: bool,
    pub region: bool,
    pub intronic: bool,
}

fn overlap(s1: u64, e1: u64, s2: u64, e2: u64) -> bool {
    e1 >= s2 && s1 <= e2
}

impl SpliceEffects {
    pub fn compute(t: &Transcript, start: u64, end: u64) -> Self {
        let insertion = start == end + 1;
        let forward = t.strand == Strand::Forward;
        let mut fx = SpliceEffects::default();
        let mut region = false;
        // Only introns within 20 bases can matter (the cheap reject below).
        for (_, intron) in t.introns_near(start.saturating_sub(20), end + 20) {
            let (is, ie) = (intron.start, intron.end);
            // Cheap reject: nothing within 17 bases of this intron.
            if end + 20 < is || start > ie + 20 {
                continue;
            }
            let (low_site, high_site) = (
                overlap(start, end, is, is + 1),
                overlap(start, end, ie.saturating_sub(1), ie),
            );
            if forward {
                fx.donor |= low_site;
                fx.acceptor |= high_site;
            } else {
                fx.donor |= high_site;
                fx.acceptor |= low_site;
            }
            if overlap(start, end, is + 2, ie.saturating_sub(2))
                || (insertion && (start == is + 2 || end + 2 == ie))
            {
                fx.intronic = true;
            }
            if overlap(start, end, is + 2, is + 7)
                || overlap(start, end, ie.saturating_sub(7), ie.saturating_sub(2))
                || overlap(start, end, is.saturating_sub(3), is.saturating_sub(1))
                || overlap(start, end, ie + 1, ie + 3)
                || (insertion && (start == is || end == ie || start == is + 2 || end + 2 == ie))
            {
                region = true;
            }
            // Donor side is the intron's 5' end in transcript orientation.
            // VEP calls the polypyrimidine tract only for changes wholly inside the intron.
            let inside = start.min(end) >= is && start.max(end) <= ie;
            let (fifth, donor_region, ppt) = if forward {
                (
                    overlap(start, end, is + 4, is + 4),
                    overlap(start, end, is + 2, is + 5),
                    overlap(start, end, ie.saturating_sub(16), ie.saturating_sub(2)),
                )
            } else {
                (
                    overlap(start, end, ie.saturating_sub(4), ie.saturating_sub(4)),
                    overlap(start, end, ie.saturating_sub(5), ie.saturating_sub(2)),
                    overlap(start, end, is + 2, is + 16),
                )
            };
            fx.donor_5th_base |= fifth;
            fx.donor_region |= donor_region;
            fx.polypyrimidine |= ppt && inside;
        }
        // VEP reports the more specific splice terms instead of the generic region.
        fx.donor_region &= !fx.donor_5th_base;
        fx.region = region && !(fx.donor || fx.acceptor || fx.donor_5th_base || fx.donor_region);
        fx
    }
}
