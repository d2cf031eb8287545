//! HGVS 3' shifting: an insertion or deletion in a repeat is moved as far 3' as it can go in
//! the transcript's direction (towards lower coordinates on the reverse strand).

use crate::engine::input::Allele;

/// Bases read around a position at a time: most shifts move a few bases, and a read
/// copies the window, so it is kept small (a longer repeat just reads again).
const WINDOW: u64 = 32;

/// Reads reference bases on demand in windows; `fetch(lo, hi)` returns `lo..=hi`.
struct Bases<'a> {
    fetch: &'a dyn Fn(u64, u64) -> Option<Vec<u8>>,
    lo: u64,
    seq: Vec<u8>,
}

impl Bases<'_> {
    fn get(&mut self, pos: u64, bounds: (u64, u64)) -> Option<u8> {
        if pos < bounds.0 || pos > bounds.1 {
            return None;
        }
        if pos < self.lo || pos >= self.lo + self.seq.len() as u64 {
            let lo = pos.saturating_sub(WINDOW).max(bounds.0);
            let hi = (pos + WINDOW).min(bounds.1);
            self.seq = (self.fetch)(lo, hi)?;
            self.lo = lo;
        }
        self.seq.get((pos - self.lo) as usize).copied()
    }
}

/// Shifts a pure insertion or deletion 3' within `bounds` (inclusive genomic limits).
/// Returns the shifted allele and how far it moved.
pub fn shift_3prime(
    allele: &Allele,
    forward: bool,
    bounds: (u64, u64),
    fetch: &dyn Fn(u64, u64) -> Option<Vec<u8>>,
) -> (Allele, u64) {
    let mut a = allele.clone();
    if a.is_insertion() == a.is_deletion() {
        return (a, 0);
    }
    let mut bases = Bases {
        fetch,
        lo: 0,
        seq: Vec::new(),
    };
    let mut moved = 0;
    if a.is_deletion() {
        let mut seq = a.reference.clone();
        loop {
            let next = if forward {
                bases.get(a.end + 1, bounds)
            } else {
                bases.get(a.start.saturating_sub(1), bounds)
            };
            if !step(&mut seq, &mut a, forward, next) {
                break;
            }
            moved += 1;
        }
        a.reference = seq;
    } else {
        let mut seq = a.alternate.clone();
        loop {
            let next = if forward {
                bases.get(a.start, bounds)
            } else {
                bases.get(a.end, bounds)
            };
            if !step(&mut seq, &mut a, forward, next) {
                break;
            }
            moved += 1;
        }
        a.alternate = seq;
    }
    (a, moved)
}

/// One base of the shift: when `next` (the base the allele would move over) equals the
/// allele's leading edge in the direction of travel, rotates `seq` and moves `a` by one.
fn step(seq: &mut [u8], a: &mut Allele, forward: bool, next: Option<u8>) -> bool {
    let edge = if forward { seq[0] } else { seq[seq.len() - 1] };
    if next != Some(edge) {
        return false;
    }
    if forward {
        seq.rotate_left(1);
        a.start += 1;
        a.end += 1;
    } else {
        seq.rotate_right(1);
        a.start -= 1;
        a.end -= 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    // Positions 1..=12 of "GCAAAATTCAGT".
    fn reference(lo: u64, hi: u64) -> Option<Vec<u8>> {
        let seq = b"GCAAAATTCAGT";
        seq.get((lo - 1) as usize..hi as usize).map(<[u8]>::to_vec)
    }

    #[test]
    fn shifts_a_deletion_to_the_end_of_its_repeat_on_either_strand() {
        let del = Allele {
            start: 3,
            end: 3,
            reference: b"A".to_vec(),
            alternate: vec![],
        };
        let (fwd, moved) = shift_3prime(&del, true, (1, 12), &reference);
        assert_eq!((fwd.start, fwd.end, moved), (6, 6, 3));
        let back = Allele {
            start: 6,
            end: 6,
            ..del
        };
        let (rev, moved) = shift_3prime(&back, false, (1, 12), &reference);
        assert_eq!((rev.start, rev.end, moved), (3, 3, 3));
    }

    #[test]
    fn rotates_an_inserted_sequence_while_shifting() {
        // "AT" inserted between 5 and 6 of AAAA|TT gives AAAATATT, which is also "AT" after 7.
        let ins = Allele {
            start: 6,
            end: 5,
            reference: vec![],
            alternate: b"AT".to_vec(),
        };
        let (a, moved) = shift_3prime(&ins, true, (1, 12), &reference);
        assert_eq!(moved, 2);
        assert_eq!((a.start, a.end, a.alternate.as_slice()), (8, 7, &b"AT"[..]));
    }

    #[test]
    fn stays_inside_the_bounds() {
        let del = Allele {
            start: 3,
            end: 3,
            reference: b"A".to_vec(),
            alternate: vec![],
        };
        let (a, moved) = shift_3prime(&del, true, (1, 4), &reference);
        assert_eq!((a.start, moved), (4, 1));
    }
}
