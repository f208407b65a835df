//! A window's Poisson train events (plain neurons, one train each), filed by
//! the arrival tick they
//! come before, so that a window is worked off in time order without asking
//! each target of each arrival "is a train event of yours due first?".
//!
//! Why: that question (a load of the target's train and a data-dependent
//! branch per input) was right a third of the time and mispredicted often.
//! Here each neuron has one entry at a time — its next train event — in the
//! bucket of the arrival tick it precedes (`before`), or of the tick it
//! falls on (`at`, rare: summed with that tick's inputs). Before a tick's
//! arrivals, its `before` bucket is emptied; a neuron's following event is
//! filed again, possibly into the same bucket. Neurons are independent
//! within a window (every delay is at least a window), so only each
//! neuron's own order matters, and one entry per neuron keeps it.

use super::pool_choice::{PoolChoice, PoolMode};
use crate::arrival_queue::Arrival;
use crate::time::Time;

/// The most neurons a partition may hold for its windows to try pooling
/// train events: with their trains and lists ~4.5 MiB, beyond any core's
/// L2 today (where the pool pays is timed, [`PoolChoice`]).
pub(super) const POOL_MAX_NEURONS: usize = 1 << 16;

/// Pooled train events, an option of direct delivery into plain neurons
/// with one Poisson train each.
pub(super) struct Pool {
    pub(super) trains: TrainPool,
    choice: PoolChoice,
    /// The mean interval between a train's events (ticks).
    mean_interval: f64,
    /// The work of the window planned last: deliveries and expected train events.
    work: f64,
}

impl Pool {
    /// A pool for trains whose events are `mean_interval` ticks apart on average.
    pub(super) fn new(mean_interval: f64) -> Self {
        Pool {
            trains: TrainPool::default(),
            choice: PoolChoice::default(),
            mean_interval,
            work: 0.0,
        }
    }

    /// Choose whether to pool as `mode` says from now on.
    pub(super) fn set_mode(&mut self, mode: PoolMode) {
        self.choice.set_mode(mode);
    }

    /// For the window `start..end` of `n` neurons, whose arrivals left are
    /// `pending`: `None` if pooling cannot pay — the per-target check takes
    /// a train event with the neuron's next input (already in cache) or in
    /// the end-of-window sweep (in index order), the pool takes each alone,
    /// so only a window with at least as many deliveries as expected train
    /// events may gain (measured: the pool made a Poisson-heavy small world
    /// 50 % slower) — else whether this window pools (then planned).
    pub(super) fn plan(
        &mut self,
        start: Time,
        end: Time,
        pending: &[Arrival],
        n: usize,
    ) -> Option<bool> {
        let expected = n as f64 * end.0.saturating_sub(start.0) as f64 / self.mean_interval;
        let deliveries: u64 = pending
            .iter()
            .take_while(|a| a.time < end)
            .map(|a| u64::from(a.len))
            .sum();
        let deliveries = deliveries as f64;
        if deliveries < expected {
            return None;
        }
        self.work = deliveries + expected;
        Some(self.choice.pick() && self.trains.plan(start, end, pending, n))
    }

    /// The window planned last took `elapsed`, pooled or not.
    pub(super) fn record(&mut self, pooled: bool, elapsed: std::time::Duration) {
        self.choice.record(pooled, elapsed, self.work);
    }
}

/// A slot of the tick index covers 2^SLOT_BITS ticks (250 ns): few slots
/// hold an arrival tick, so filing an event rarely steps past one.
const SLOT_BITS: u32 = 8;

/// The end of a bucket's list.
pub(super) const NONE: u32 = u32::MAX;

/// Train events of one window by the arrival tick they precede.
#[derive(Default)]
pub(super) struct TrainPool {
    /// The window's distinct arrival ticks, ascending, then `u64::MAX`.
    ticks: Vec<u64>,
    /// Where slot 0 starts (ticks).
    lo: u64,
    /// Per slot: the index of the first tick at or after its start.
    first: Vec<u32>,
    /// `before[k]`: the first of the neurons whose next event lies after
    /// tick `k - 1` and before tick `k` (`k` = the number of ticks: before
    /// the window's end), or [`NONE`]; the others follow through `link`.
    before: Vec<u32>,
    /// Per neuron: the next neuron of its bucket, or [`NONE`]. (A list
    /// through the neurons, not a `Vec` per bucket: filing is two stores
    /// into arrays already in cache, not a push into one of hundreds.)
    link: Vec<u32>,
    /// `at[k]`: neurons whose next event is at tick `k`.
    pub(super) at: Vec<Vec<u32>>,
}

impl TrainPool {
    /// Plan the window `[lo, end)` whose arrivals left are `pending` (in
    /// application order, all at or after `lo`): its ticks, empty buckets.
    /// False (nothing planned) if one of them has a lag — those take the
    /// general path, which steps trains on its own.
    pub(super) fn plan(&mut self, lo: Time, end: Time, pending: &[Arrival], n: usize) -> bool {
        self.ticks.clear();
        for a in pending.iter().take_while(|a| a.time < end) {
            if a.spike.lag != 0.0 {
                return false;
            }
            if self.ticks.last() != Some(&a.time.0) {
                self.ticks.push(a.time.0);
            }
        }
        let m = self.ticks.len();
        self.ticks.push(u64::MAX);
        self.lo = lo.0;
        let slots = ((end.0.saturating_sub(lo.0)) >> SLOT_BITS) as usize + 1;
        self.first.clear();
        let mut k = 0;
        for s in 0..slots {
            let start = lo.0 + ((s as u64) << SLOT_BITS);
            while self.ticks[k] < start {
                k += 1;
            }
            self.first.push(k as u32);
        }
        debug_assert!(self.before.iter().all(|&h| h == NONE));
        debug_assert!(self.at.iter().all(Vec::is_empty));
        if self.before.len() < m + 1 {
            self.before.resize(m + 1, NONE);
            self.at.resize_with(m + 1, Vec::new);
        }
        self.link.resize(n, NONE);
        true
    }

    /// The number of arrival ticks planned.
    #[cfg(test)]
    pub(super) fn ticks(&self) -> usize {
        self.ticks.len() - 1
    }

    /// File neuron `i`, whose next train event is at `t` (in the planned
    /// window, before its end).
    #[inline(always)]
    pub(super) fn file(&mut self, i: u32, t: Time) {
        let s = (t.0.saturating_sub(self.lo) >> SLOT_BITS) as usize;
        let mut k = self.first[s] as usize;
        while self.ticks[k] < t.0 {
            k += 1;
        }
        if self.ticks[k] == t.0 {
            self.at[k].push(i);
        } else {
            self.link[i as usize] = self.before[k];
            self.before[k] = i;
        }
    }

    /// Take the first neuron filed before tick `k`, if any.
    #[inline(always)]
    pub(super) fn pop_before(&mut self, k: usize) -> Option<u32> {
        let i = self.before[k];
        if i == NONE {
            return None;
        }
        self.before[k] = self.link[i as usize];
        Some(i)
    }

    /// The neuron filed after `i` in its bucket ([`NONE`] at the end; `i`
    /// may be [`NONE`]).
    #[inline(always)]
    pub(super) fn after(&self, i: u32) -> u32 {
        self.link.get(i as usize).copied().unwrap_or(NONE)
    }

    /// `Some(i)` unless `i` is [`NONE`].
    #[inline(always)]
    pub(super) fn listed(&self, i: u32) -> Option<u32> {
        (i != NONE).then_some(i)
    }

    /// The first neuron filed before tick `k` ([`NONE`] if none).
    #[inline(always)]
    pub(super) fn first_before(&self, k: usize) -> u32 {
        self.before[k]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spike::{Gid, Spike};

    fn arrival(t: u64, lag: f32) -> Arrival {
        Arrival {
            time: Time(t),
            spike: Spike {
                time: Time(0),
                source: Gid(0),
                lag,
            },
            start: 0,
            len: 1,
            class: 0,
        }
    }

    #[test]
    fn events_go_before_or_at_their_tick() {
        let mut pool = TrainPool::default();
        let ticks = [1000, 1000, 1300, 5000, 9999];
        let pending: Vec<Arrival> = ticks.iter().map(|&t| arrival(t, 0.0)).collect();
        assert!(pool.plan(Time(500), Time(9000), &pending, 6));
        assert_eq!(pool.ticks(), 3); // 9999 is past the end
        for (i, t) in [
            (0, 500),
            (1, 999),
            (2, 1000),
            (3, 1001),
            (4, 1300),
            (5, 8999),
        ] {
            pool.file(i, Time(t));
        }
        let mut drain = |k| std::iter::from_fn(|| pool.pop_before(k)).collect::<Vec<_>>();
        assert_eq!(drain(0), [1, 0]);
        assert_eq!(drain(1), [3]);
        assert_eq!(drain(2), []);
        assert_eq!(drain(3), [5]);
        assert_eq!(pool.at[0], [2]);
        assert_eq!(pool.at[1], [4]);
        assert!(pool.at[2].is_empty());
    }

    #[test]
    fn a_lagged_arrival_plans_nothing() {
        let mut pool = TrainPool::default();
        let pending = [arrival(1000, 0.0), arrival(2000, 0.25)];
        assert!(!pool.plan(Time(0), Time(3000), &pending, 1));
        assert!(pool.plan(Time(0), Time(1500), &pending, 1));
    }
}
