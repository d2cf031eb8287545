//! A few copies of a value, each behind its own lock, one per core (at most [`MAX_LANES`]). A
//! thread keeps to the lane it was given at its first use (round robin), so threads working
//! side by side neither wait for each other nor pass one value's cache lines back and forth.
//! Lanes other than the first are made when a thread first needs them. For caches (reference
//! chunks, coding sequences): a lane holds what its threads used.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

/// Bounds what lanes may hold in all (each lane caches up to 8 MiB of reference per FASTA).
const MAX_LANES: usize = 8;

pub(crate) struct Lanes<T> {
    lanes: Box<[OnceLock<Mutex<T>>]>,
}

impl<T> std::fmt::Debug for Lanes<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lanes")
            .field("lanes", &self.lanes.len())
            .finish_non_exhaustive()
    }
}

impl<T> Lanes<T> {
    /// Lanes for the available cores, the first holding `first`.
    pub(crate) fn new(first: T) -> Self {
        let count = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, MAX_LANES);
        Self::with_count(first, count)
    }

    fn with_count(first: T, count: usize) -> Self {
        let lanes: Box<[OnceLock<Mutex<T>>]> = (0..count.max(1)).map(|_| OnceLock::new()).collect();
        let _ = lanes[0].set(Mutex::new(first));
        Self { lanes }
    }

    /// Locks the calling thread's lane, made with `make` if this is its first use.
    pub(crate) fn lock<E>(
        &self,
        make: impl FnOnce() -> Result<T, E>,
    ) -> Result<MutexGuard<'_, T>, E> {
        self.lock_lane(thread_number(), make)
    }

    fn lock_lane<E>(
        &self,
        number: usize,
        make: impl FnOnce() -> Result<T, E>,
    ) -> Result<MutexGuard<'_, T>, E> {
        let lane = &self.lanes[number % self.lanes.len()];
        let mutex = match lane.get() {
            Some(mutex) => mutex,
            // Two threads of one lane may both make it; one is kept, the other dropped.
            None => {
                let value = make()?;
                lane.get_or_init(|| Mutex::new(value))
            }
        };
        // A poisoned lock only means another thread panicked mid-read; the value stays valid.
        Ok(mutex
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()))
    }
}

/// A number per thread, handed out in the order threads first ask (a `const` thread local:
/// this runs for every reference read).
fn thread_number() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static NUMBER: Cell<usize> = const { Cell::new(usize::MAX) };
    }
    NUMBER.with(|number| {
        if number.get() == usize::MAX {
            number.set(NEXT.fetch_add(1, Ordering::Relaxed));
        }
        number.get()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_working_side_by_side_each_hold_a_lane() {
        let lanes = Lanes::with_count(0usize, 2);
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..100 {
                        *lanes.lock(|| Ok::<_, ()>(0)).unwrap() += 1;
                    }
                });
            }
        });
        let total: usize = lanes
            .lanes
            .iter()
            .filter_map(|l| l.get())
            .map(|l| *l.lock().unwrap())
            .sum();
        assert_eq!(total, 400);
    }

    #[test]
    fn a_lane_is_made_on_first_use_and_a_failure_is_retried() {
        let lanes = Lanes::with_count(1usize, 3);
        assert_eq!(
            *lanes.lock_lane(3, || Err::<usize, &str>("unused")).unwrap(),
            1
        );
        assert_eq!(
            lanes.lock_lane(4, || Err::<usize, &str>("no file")).err(),
            Some("no file")
        );
        assert_eq!(*lanes.lock_lane(4, || Ok::<_, &str>(2)).unwrap(), 2);
        assert_eq!(
            *lanes
                .lock_lane(1, || Err::<usize, &str>("made already"))
                .unwrap(),
            2
        );
    }
}
