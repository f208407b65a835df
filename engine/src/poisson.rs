//! Exact Poisson trains, one per target neuron (NEST's
//! `poisson_generator_ps` semantics): exponential intervals drawn from a
//! xoroshiro128++ stream owned by the (generator, target) pair, rounded to
//! the nearest tick.
//!
//! Why in the engine (the model crate decides the streams' seeds): a
//! partition steps these trains inline, as part of each neuron's step,
//! without a virtual call per event. 16 bytes of stream per train (the
//! trains are a third of a Brunel neuron's working set, and its step is
//! shorter than xoshiro256++'s). Each target neuron consumes its own train
//! while it advances through a window, so the drive costs no queue traffic
//! and constant memory. Other kinds of per-target trains become variants of
//! this type (its interval law), so the step stays one loop.

use crate::exponential::ExpTicks;
use crate::rate_profile::RateProfile;
use crate::spike::Gid;
use crate::time::{Time, TICKS_PER_MS};
use rand_xoshiro::Xoroshiro128PlusPlus;
use serde::{Deserialize, Serialize};

/// One train's stream, next arrival and the interval after it: all a train
/// needs to continue exactly (a checkpoint holds one per train).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainState {
    rng: Xoroshiro128PlusPlus,
    next: u64,
    ahead: u64,
}

impl TrainState {
    /// When the train's next event arrives.
    pub fn next_arrival(&self) -> Time {
        Time(self.next)
    }
}

/// One Poisson generator's trains into the local targets of a partition.
pub struct PoissonTrains {
    gid: Gid,
    weight: f64,
    /// The intervals' law (ticks).
    interval: ExpTicks,
    /// Arrivals at or after this never happen (the generator's stop plus
    /// the delay; `NEVER` if it never stops).
    end: u64,
    /// A rate that changes over time (arrival times; `interval` unused).
    profile: Option<Box<RateProfile>>,
    /// Per train: target's local index.
    targets: Vec<u32>,
    /// Per train: stream, next arrival and the interval after it, side by
    /// side (one cache line per event on the hot path).
    trains: Vec<Train>,
}

/// 32 bytes, aligned: never across two cache lines.
#[repr(align(32))]
struct Train {
    rng: Xoroshiro128PlusPlus,
    /// Next arrival (ticks): its emission plus the delay, so that taking
    /// events compares and adds nothing else.
    next: u64,
    /// The interval after `next`, drawn one event ahead: the arrival after
    /// an event is a load and an add, and the draw (a chain of a dozen
    /// dependent instructions) only feeds a store — nothing that decides
    /// where the event is filed waits for it. Same draws, same order.
    ahead: u64,
}

impl Train {
    /// A train drawing from `rng`: its first event one interval after
    /// `start`, arriving `delay` later; none arriving at or after `end`.
    fn new(
        mut rng: Xoroshiro128PlusPlus,
        start: Time,
        delay: Time,
        law: impl Law,
        end: u64,
    ) -> Self {
        let from = start.0.saturating_add(delay.0);
        let first = from.saturating_add(law.draw(from, &mut rng));
        let next = if first >= end { u64::MAX } else { first };
        let mut train = Train {
            rng,
            next,
            ahead: 0,
        };
        train.draw_ahead(next, law, end);
        train
    }

    /// The arrival after `next` (`NEVER` stays `NEVER`), drawing the
    /// interval after that. With `STOPS`, none arrives at or after `end`
    /// (compiled apart: the test cost Brunel, whose generator never stops,
    /// 2.6 % of its instructions).
    #[inline(always)]
    fn after<const STOPS: bool>(&mut self, next: u64, law: impl Law, end: u64) -> u64 {
        let after = next.saturating_add(self.ahead);
        if STOPS {
            self.draw_ahead(after, law, end);
        } else {
            self.ahead = law.draw(after, &mut self.rng);
        }
        after
    }

    /// Draw the interval after arrival `next`; one that would arrive at or
    /// after `end` becomes "never".
    #[inline]
    fn draw_ahead(&mut self, next: u64, law: impl Law, end: u64) {
        let ahead = law.draw(next, &mut self.rng);
        self.ahead = if next.saturating_add(ahead) >= end {
            u64::MAX
        } else {
            ahead
        };
    }
}

/// The law of a train's intervals: exponential of one mean, or the next
/// event of a piecewise-constant rate. A type parameter of the stepping
/// code, so a constant rate's loop has no test of the other law in it.
trait Law: Copy {
    /// The interval after arrival `t` (ticks; `u64::MAX`: none).
    fn draw(self, t: u64, rng: &mut Xoroshiro128PlusPlus) -> u64;
}

impl Law for &ExpTicks {
    #[inline(always)]
    fn draw(self, _: u64, rng: &mut Xoroshiro128PlusPlus) -> u64 {
        self.sample(rng)
    }
}

impl Law for &RateProfile {
    #[inline]
    fn draw(self, t: u64, rng: &mut Xoroshiro128PlusPlus) -> u64 {
        self.interval_after(t, rng)
    }
}

impl PoissonTrains {
    /// Generator node `gid` firing at `rate_hz` while active (emissions in
    /// `active`, from its start on; the first one interval after the start)
    /// into each of `targets` (`(local index, target gid)`), weight `weight`,
    /// delay `delay`; the train into target `g` draws from `stream_of(g)`.
    pub fn new(
        gid: Gid,
        (rate_hz, weight, delay): (f64, f64, Time),
        active: std::ops::Range<Time>,
        targets: &[(u32, Gid)],
        stream_of: impl Fn(Gid) -> Xoroshiro128PlusPlus,
    ) -> Self {
        // A zero rate makes an infinite mean: never.
        let interval = ExpTicks::new(1000.0 * TICKS_PER_MS as f64 / rate_hz);
        Self::build(
            gid,
            (interval, None, weight, delay),
            active,
            targets,
            stream_of,
        )
    }

    /// As [`new`](Self::new), the rate following `profile` (emission times)
    /// instead of a constant.
    pub fn inhomogeneous(
        gid: Gid,
        (profile, weight, delay): (&RateProfile, f64, Time),
        active: std::ops::Range<Time>,
        targets: &[(u32, Gid)],
        stream_of: impl Fn(Gid) -> Xoroshiro128PlusPlus,
    ) -> Self {
        // The mean stands for "silent or not" only.
        let interval = ExpTicks::new(1000.0 * TICKS_PER_MS as f64 / profile.max_hz());
        let profile = Box::new(profile.shifted(delay));
        let law = (interval, Some(profile), weight, delay);
        Self::build(gid, law, active, targets, stream_of)
    }

    fn build(
        gid: Gid,
        (interval, profile, weight, delay): (ExpTicks, Option<Box<RateProfile>>, f64, Time),
        active: std::ops::Range<Time>,
        targets: &[(u32, Gid)],
        stream_of: impl Fn(Gid) -> Xoroshiro128PlusPlus,
    ) -> Self {
        let end = active.end.saturating_add(delay).0;
        let trains = targets
            .iter()
            .map(|&(_, g)| match profile.as_deref() {
                None => Train::new(stream_of(g), active.start, delay, &interval, end),
                Some(p) => Train::new(stream_of(g), active.start, delay, p, end),
            })
            .collect();
        PoissonTrains {
            gid,
            weight,
            interval,
            end,
            profile,
            targets: targets.iter().map(|&(l, _)| l).collect(),
            trains,
        }
    }

    /// `n` trains that never fire, train `k` into neuron `k` (for code that
    /// wants a train per neuron where there is none).
    pub fn silent(n: usize) -> Self {
        use rand_xoshiro::rand_core::SeedableRng;
        let never = || Train {
            rng: Xoroshiro128PlusPlus::seed_from_u64(0),
            next: u64::MAX,
            ahead: u64::MAX,
        };
        PoissonTrains {
            gid: Gid(u32::MAX),
            weight: 0.0,
            interval: ExpTicks::new(f64::INFINITY),
            end: u64::MAX,
            profile: None,
            targets: (0..n as u32).collect(),
            trains: (0..n).map(|_| never()).collect(),
        }
    }

    /// Number of trains.
    pub fn len(&self) -> usize {
        self.trains.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.trains.is_empty()
    }

    /// Local index of train `k`'s target.
    pub fn target(&self, k: usize) -> u32 {
        self.targets[k]
    }

    /// The generator's gid (the source of every event).
    pub fn source(&self) -> Gid {
        self.gid
    }

    /// Weight of every event.
    pub fn weight(&self) -> f64 {
        self.weight
    }

    /// Whether its trains are stepped through [`consume_at`](Self::consume_at),
    /// never the unchecked view: the generator stops or its rate varies.
    #[inline(always)]
    pub fn checked(&self) -> bool {
        self.end != u64::MAX || self.profile.is_some()
    }

    /// Whether no train ever fires (a zero rate, or [`silent`](Self::silent)).
    pub fn is_silent(&self) -> bool {
        self.interval.mean().is_infinite()
    }

    /// Arrival time (emission + delay) of train `k`'s next event.
    #[inline]
    pub fn next_arrival(&self, k: usize) -> Time {
        Time(self.trains[k].next)
    }

    /// Consume every event of train `k` arriving at tick `t`: how many there
    /// were, and the arrival of the next one. `NEVER` is no instant: a train
    /// that never fires has nothing due, even asked at `NEVER`.
    ///
    /// A generator of constant rate that never stops (a network's
    /// background drive, nearly every train event) is taken inline, as the
    /// unchecked view takes it (a saturated arrival is `NEVER` either way);
    /// the others out of line.
    #[inline(always)]
    pub fn consume_at(&mut self, k: usize, t: Time) -> (u32, Time) {
        if !self.checked() {
            return consume_from::<false>(&mut self.trains[k], t, &self.interval, self.end);
        }
        self.consume_checked(k, t)
    }

    /// [`consume_at`](Self::consume_at) for a generator that stops or
    /// varies its rate.
    #[inline(never)]
    fn consume_checked(&mut self, k: usize, t: Time) -> (u32, Time) {
        let train = &mut self.trains[k];
        match self.profile.as_deref() {
            None => consume_from::<true>(train, t, &self.interval, self.end),
            Some(p) => consume_from::<true>(train, t, p, self.end),
        }
    }

    /// Hint that train `k` (any index) is read soon.
    #[inline(always)]
    pub fn prefetch(&self, k: usize) {
        prefetch_train(&self.trains, k);
    }

    /// The trains borrowed for a run of unchecked steps.
    #[inline(always)]
    pub fn view(&mut self) -> PoissonView<'_> {
        debug_assert!(
            !self.checked(),
            "the unchecked view is for constant rates that never stop"
        );
        PoissonView {
            trains: &mut self.trains,
            interval: &self.interval,
        }
    }

    /// Train `k`'s whole state, for a checkpoint.
    pub fn train_state(&self, k: usize) -> TrainState {
        let t = &self.trains[k];
        TrainState {
            rng: t.rng.clone(),
            next: t.next,
            ahead: t.ahead,
        }
    }

    /// Train `k` continues from `state` (what [`train_state`](Self::train_state) gave).
    pub fn set_train_state(&mut self, k: usize, state: &TrainState) {
        let t = &mut self.trains[k];
        t.rng = state.rng.clone();
        t.next = state.next;
        t.ahead = state.ahead;
    }

    /// The mean interval between a train's events (ticks; infinite for a
    /// zero rate).
    pub fn mean_interval_ticks(&self) -> f64 {
        self.interval.mean()
    }
}

/// A set's trains borrowed for a run of steps, indexed without checks (a
/// step checks each neuron once for all its arrays): two slices at hand,
/// not behind the set.
pub struct PoissonView<'a> {
    trains: &'a mut [Train],
    interval: &'a ExpTicks,
}

impl PoissonView<'_> {
    /// Number of trains.
    #[inline(always)]
    pub fn len(&self) -> usize {
        self.trains.len()
    }

    /// Whether there are none.
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.trains.is_empty()
    }

    /// [`PoissonTrains::consume_at`] without checking that `k` is in range.
    ///
    /// # Safety
    /// `k < self.len()`.
    #[inline(always)]
    pub unsafe fn consume_unchecked(&mut self, k: usize, t: Time) -> (u32, Time) {
        debug_assert!(k < self.trains.len());
        // SAFETY: the caller guarantees `k < len() = trains.len()`.
        let train = unsafe { self.trains.get_unchecked_mut(k) };
        consume_from::<false>(train, t, self.interval, u64::MAX)
    }

    /// [`PoissonTrains::next_arrival`] without checking that `k` is in range.
    ///
    /// # Safety
    /// `k < self.len()`.
    #[inline(always)]
    pub unsafe fn next_unchecked(&self, k: usize) -> Time {
        debug_assert!(k < self.trains.len());
        // SAFETY: the caller guarantees `k < len() = trains.len()`.
        Time(unsafe { self.trains.get_unchecked(k) }.next)
    }

    /// The next arrivals of trains `range`.
    #[inline(always)]
    pub fn nexts(&self, range: std::ops::Range<usize>) -> impl Iterator<Item = Time> + '_ {
        self.trains[range].iter().map(|t| Time(t.next))
    }

    /// Hint that train `k` is stepped soon (any `k`).
    #[inline(always)]
    pub fn prefetch(&self, k: usize) {
        prefetch_train(self.trains, k);
    }
}

/// Ask for the line of `trains[k]` (a hint: any `k`).
#[inline(always)]
fn prefetch_train(trains: &[Train], k: usize) {
    crate::dynamics::prefetch(trains.as_ptr().wrapping_add(k));
}

/// Consume `train`'s events arriving at `t`: how many, and the next
/// arrival.
#[inline(always)]
fn consume_from<const STOPS: bool>(
    train: &mut Train,
    t: Time,
    law: impl Law,
    end: u64,
) -> (u32, Time) {
    let mut n = 0;
    let mut next = train.next;
    // `NEVER` (a zero rate) is no instant: never due, even asked at `NEVER`.
    while next == t.0 && next != u64::MAX {
        next = train.after::<STOPS>(next, law, end);
        n += 1;
    }
    train.next = next;
    (n, Time(next))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_xoshiro::rand_core::SeedableRng;

    #[test]
    fn a_silent_train_is_never_due() {
        let targets = [(0, Gid(0))];
        let law = (0.0, 0.1, Time(1 << 20));
        let mut silent = PoissonTrains::new(Gid(9), law, Time::ZERO..Time::NEVER, &targets, |g| {
            Xoroshiro128PlusPlus::seed_from_u64(u64::from(g.0))
        });
        assert_eq!(silent.next_arrival(0), Time::NEVER);
        assert_eq!(silent.consume_at(0, Time::NEVER), (0, Time::NEVER));
    }

    #[test]
    fn silent_trains_never_fire() {
        let mut silent = PoissonTrains::silent(3);
        assert_eq!(silent.len(), 3);
        assert!(silent.is_silent());
        for k in 0..3 {
            // SAFETY: k < 3 = len().
            assert_eq!(silent.target(k), k as u32);
            assert_eq!(unsafe { silent.view().next_unchecked(k) }, Time::NEVER);
            assert_eq!(silent.consume_at(k, Time::NEVER), (0, Time::NEVER));
            assert_eq!(silent.consume_at(k, Time(1)), (0, Time::NEVER));
        }
    }

    #[test]
    fn consume_unchecked_is_consume_at() {
        let targets: Vec<(u32, Gid)> = (0..8).map(|i| (i, Gid(i))).collect();
        let make = || {
            let law = (20_000.0, 0.1, Time(1 << 20));
            PoissonTrains::new(Gid(99), law, Time::ZERO..Time::NEVER, &targets, |g| {
                Xoroshiro128PlusPlus::seed_from_u64(u64::from(g.0))
            })
        };
        let (mut a, mut b) = (make(), make());
        for _ in 0..1000 {
            for k in 0..8 {
                let t = a.next_arrival(k);
                // SAFETY: k < 8 = len().
                assert_eq!(t, unsafe { b.view().next_unchecked(k) });
                // SAFETY: as above.
                assert_eq!(a.consume_at(k, t), unsafe {
                    b.view().consume_unchecked(k, t)
                });
            }
        }
    }
}
