//! A partition's input trains (Poisson generators' per-target trains), the
//! only holder of each neuron's next train arrival.
//!
//! Two layouts, found once at construction: *one each* — neuron `i`'s only
//! train is train `i` of a single set (Brunel's drive; a set of silent trains
//! stands in when there is none), read straight from the train — and *many*,
//! where a neuron's trains are looked up through an index by neuron and the
//! earliest next arrival of each neuron is kept beside it. A step reads
//! either through [`TrainView`].

use super::Local;
use crate::dynamics::prefetch;
use crate::poisson::{PoissonTrains, PoissonView, TrainState};
use crate::spike::Gid;
use crate::time::Time;

/// The trains of one partition's neurons.
pub(super) struct TrainSets {
    sets: Vec<PoissonTrains>,
    /// `Some` for the *many* layout.
    many: Option<Index>,
    /// No neuron has a train (the one set is the silent stand-in).
    silent: bool,
}

/// The *many* layout's index.
struct Index {
    /// Per neuron: its range of `refs`.
    ranges: Vec<(u32, u32)>,
    /// `(set, train)` by neuron, then by source gid, then train.
    refs: Vec<(u16, u32)>,
    /// Per neuron: the earliest next arrival of its trains.
    earliest: Vec<Time>,
    /// Per neuron, when none has more than one train (a microcircuit's
    /// drive: a generator per population): its `(set, train)`, read in one
    /// load instead of through `ranges` and `refs`.
    single: Option<Vec<Option<(u16, u32)>>>,
}

impl TrainSets {
    /// The sets of a partition of `n` neurons.
    pub(super) fn new(n: usize, sets: Vec<PoissonTrains>) -> Self {
        // (A generator that stops or varies is stepped through the checked path.)
        let one_each = match sets.as_slice() {
            [] => true,
            [s] => s.len() == n && !s.checked() && (0..n).all(|k| s.target(k) == k as u32),
            _ => false,
        };
        if one_each {
            let silent = sets.is_empty();
            let sets = if silent {
                vec![PoissonTrains::silent(n)]
            } else {
                sets
            };
            return TrainSets {
                sets,
                many: None,
                silent,
            };
        }
        let mut refs: Vec<(u32, u32, u16, u32)> = Vec::new();
        for (si, s) in sets.iter().enumerate() {
            for k in 0..s.len() {
                refs.push((s.target(k), s.source().0, si as u16, k as u32));
            }
        }
        refs.sort_unstable();
        let mut ranges = vec![(0u32, 0u32); n];
        for (k, r) in refs.iter().enumerate() {
            let range = &mut ranges[r.0 as usize];
            if range.0 == range.1 {
                *range = (k as u32, k as u32);
            }
            range.1 += 1;
        }
        let earliest = ranges
            .iter()
            .map(|&(a, b)| {
                refs[a as usize..b as usize]
                    .iter()
                    .map(|&(_, _, si, k)| sets[si as usize].next_arrival(k as usize))
                    .min()
                    .unwrap_or(Time::NEVER)
            })
            .collect();
        let refs: Vec<(u16, u32)> = refs.into_iter().map(|(_, _, si, k)| (si, k)).collect();
        let single = ranges.iter().all(|&(a, b)| b - a <= 1).then(|| {
            let first = |&(a, b): &(u32, u32)| (b > a).then(|| refs[a as usize]);
            ranges.iter().map(first).collect()
        });
        TrainSets {
            sets,
            many: Some(Index {
                ranges,
                refs,
                earliest,
                single,
            }),
            silent: false,
        }
    }

    /// With the *one each* layout, its set (silent if there is none).
    pub(super) fn one_each(&self) -> Option<&PoissonTrains> {
        self.many.is_none().then(|| &self.sets[0])
    }

    /// The lowest gid of a train's source (`None` without trains).
    pub(super) fn min_source(&self) -> Option<Gid> {
        let real = self.sets.iter().filter(|s| !s.is_silent());
        real.map(PoissonTrains::source).min()
    }

    /// The local index of every real train's target.
    pub(super) fn targets(&self) -> impl Iterator<Item = u32> + '_ {
        let real = self.sets.iter().filter(|s| !s.is_silent());
        real.flat_map(|s| (0..s.len()).map(move |k| s.target(k)))
    }

    /// Every real train's state, with its source gid and target's local index.
    pub(super) fn states(&self) -> impl Iterator<Item = (Gid, u32, TrainState)> + '_ {
        let real = self.sets.iter().filter(|s| !s.is_silent());
        real.flat_map(|s| (0..s.len()).map(move |k| (s.source(), s.target(k), s.train_state(k))))
    }

    /// Set the trains named in `states` (`(source gid, target's local
    /// index, state)`); `Err` names one that does not exist here.
    pub(super) fn restore(
        &mut self,
        states: impl Iterator<Item = (Gid, u32, TrainState)>,
    ) -> Result<(), String> {
        let mut at = std::collections::HashMap::new();
        for (si, s) in self.sets.iter().enumerate() {
            if !s.is_silent() {
                for k in 0..s.len() {
                    at.insert((s.source(), s.target(k)), (si, k));
                }
            }
        }
        let trains = at.len();
        for (source, target, state) in states {
            let (si, k) = at.remove(&(source, target)).ok_or_else(|| {
                format!(
                    "the checkpoint has a train from node {} to local neuron {target} this network \
                     does not have (or has it twice)",
                    source.0
                )
            })?;
            self.sets[si].set_train_state(k, &state);
        }
        if !at.is_empty() {
            let m = format!(
                "the checkpoint lacks {} of the {trains} trains here",
                at.len()
            );
            return Err(m);
        }
        if let Some(index) = &mut self.many {
            for (i, &(a, b)) in index.ranges.iter().enumerate() {
                index.earliest[i] = index.refs[a as usize..b as usize]
                    .iter()
                    .map(|&(si, k)| self.sets[si as usize].next_arrival(k as usize))
                    .min()
                    .unwrap_or(Time::NEVER);
            }
        }
        Ok(())
    }

    /// The view of this layout (see [`with_train_view`]).
    #[inline(always)]
    pub(super) fn layout(&mut self) -> Layout<'_> {
        match &mut self.many {
            None => {
                let set = &mut self.sets[0];
                Layout::OneEach(OneEach {
                    source: set.source(),
                    weight: set.weight(),
                    trains: set.view(),
                    events: 0,
                    silent: self.silent,
                })
            }
            Some(index) => Layout::Many(Many {
                sets: &mut self.sets,
                index,
                events: 0,
            }),
        }
    }
}

/// A partition's trains seen through their layout's view.
pub(super) enum Layout<'a> {
    OneEach(OneEach<'a>),
    Many(Many<'a>),
}

/// Evaluate `$body` with `$view` bound to the [`TrainView`] of the trains'
/// layout: the body is compiled once per layout (with no test of the
/// layout inside it).
macro_rules! with_train_view {
    ($trains:expr, |$view:ident| $body:expr) => {
        match $trains.layout() {
            trains::Layout::OneEach($view) => $body,
            trains::Layout::Many($view) => $body,
        }
    };
}
pub(super) use with_train_view;

/// A step's view of the trains.
pub(super) trait TrainView {
    /// Number of neurons it covers (at least; [`Local`] indices are below).
    fn len(&self) -> usize;
    /// Neuron `i`'s next train arrival (`NEVER` if none).
    fn next(&self, i: Local) -> Time;
    /// Consume neuron `i`'s events at `t` (≤ its next arrival), calling
    /// `each(source, train, weight)` for each in `(source, train)` order;
    /// its next arrival after them.
    fn consume(&mut self, i: Local, t: Time, each: impl FnMut(Gid, u32, f64)) -> Time;
    /// Bit `k` set for each neuron `from + k` of `from..to` (at most 64)
    /// whose next train arrival is before `end`: a window's sweep finds
    /// the neurons with events left 64 at a time, in a loop of compares.
    fn due_mask(&self, from: usize, to: usize, end: Time) -> u64;
    /// Hint that neuron `i`'s trains (any index) are read soon: what can
    /// be found without reading memory.
    fn prefetch(&self, i: u32);
    /// The second stage of [`prefetch`](Self::prefetch), some targets
    /// later: what is found through the lines the first asked for (the
    /// *many* layout's train, through its index entry).
    fn prefetch_train(&self, _i: u32) {}
    /// Train events taken so far.
    fn events(&self) -> u64;
    /// Whether no neuron has a train (then no neuron need be asked).
    fn none(&self) -> bool;
}

/// Bit `k` set for each of `times` (at most 64) before `end`.
#[inline(always)]
fn mask_before(times: impl Iterator<Item = Time>, end: Time) -> u64 {
    let mut mask = 0;
    for (k, t) in times.enumerate() {
        mask |= u64::from(t < end) << k;
    }
    mask
}

/// The *one each* layout: neuron `i`'s train is train `i` of one set.
pub(super) struct OneEach<'a> {
    trains: PoissonView<'a>,
    source: Gid,
    weight: f64,
    events: u64,
    silent: bool,
}

impl TrainView for OneEach<'_> {
    #[inline(always)]
    fn len(&self) -> usize {
        self.trains.len()
    }

    #[inline(always)]
    fn next(&self, i: Local) -> Time {
        // SAFETY: `Local` indices are below the step's length, at most
        // `len()` (asserted in `Step::new`).
        unsafe { self.trains.next_unchecked(i.0 as usize) }
    }

    #[inline(always)]
    fn consume(&mut self, i: Local, t: Time, mut each: impl FnMut(Gid, u32, f64)) -> Time {
        // SAFETY: as in `next`.
        let (n, next) = unsafe { self.trains.consume_unchecked(i.0 as usize, t) };
        for _ in 0..n {
            each(self.source, i.0, self.weight);
        }
        self.events += u64::from(n);
        next
    }

    #[inline(always)]
    fn due_mask(&self, from: usize, to: usize, end: Time) -> u64 {
        mask_before(self.trains.nexts(from..to), end)
    }

    #[inline(always)]
    fn prefetch(&self, i: u32) {
        self.trains.prefetch(i as usize);
    }

    #[inline(always)]
    fn events(&self) -> u64 {
        self.events
    }

    #[inline(always)]
    fn none(&self) -> bool {
        self.silent
    }
}

/// The *many* layout.
pub(super) struct Many<'a> {
    sets: &'a mut [PoissonTrains],
    index: &'a mut Index,
    events: u64,
}

impl Many<'_> {
    /// Train `k` of set `si`: its events at `t` shown to `each`; its next
    /// arrival.
    #[inline(always)]
    fn take(&mut self, si: u16, k: u32, t: Time, each: &mut impl FnMut(Gid, u32, f64)) -> Time {
        let set = &mut self.sets[si as usize];
        let (n, after) = set.consume_at(k as usize, t);
        for _ in 0..n {
            each(set.source(), k, set.weight());
        }
        self.events += u64::from(n);
        after
    }
}

impl TrainView for Many<'_> {
    #[inline(always)]
    fn len(&self) -> usize {
        self.index.ranges.len()
    }

    #[inline(always)]
    fn next(&self, i: Local) -> Time {
        self.index.earliest[i.0 as usize]
    }

    #[inline(always)]
    fn consume(&mut self, i: Local, t: Time, mut each: impl FnMut(Gid, u32, f64)) -> Time {
        let range = match &self.index.single {
            Some(single) => {
                // One train at most: its next arrival is the neuron's.
                let Some((si, k)) = single[i.0 as usize] else {
                    return Time::NEVER;
                };
                let after = self.take(si, k, t, &mut each);
                self.index.earliest[i.0 as usize] = after;
                return after;
            }
            None => self.index.ranges[i.0 as usize],
        };
        let mut next = Time::NEVER;
        for r in range.0..range.1 {
            let (si, k) = self.index.refs[r as usize];
            next = next.min(self.take(si, k, t, &mut each));
        }
        self.index.earliest[i.0 as usize] = next;
        next
    }

    #[inline(always)]
    fn due_mask(&self, from: usize, to: usize, end: Time) -> u64 {
        mask_before(self.index.earliest[from..to].iter().copied(), end)
    }

    #[inline(always)]
    fn prefetch(&self, i: u32) {
        let i = i as usize;
        prefetch(self.index.earliest.as_ptr().wrapping_add(i));
        match &self.index.single {
            Some(single) => prefetch(single.as_ptr().wrapping_add(i)),
            None => prefetch(self.index.ranges.as_ptr().wrapping_add(i)),
        }
    }

    #[inline(always)]
    fn prefetch_train(&self, i: u32) {
        let single = self.index.single.as_ref();
        let Some(&Some((si, k))) = single.and_then(|s| s.get(i as usize)) else {
            return;
        };
        if let Some(set) = self.sets.get(si as usize) {
            set.prefetch(k as usize);
        }
    }

    #[inline(always)]
    fn events(&self) -> u64 {
        self.events
    }

    #[inline(always)]
    fn none(&self) -> bool {
        self.sets.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_xoshiro::rand_core::SeedableRng;
    use rand_xoshiro::Xoroshiro128PlusPlus;

    /// Generators into disjoint groups of 10 neurons (neuron 9 has none), as
    /// a microcircuit's populations; `extra` adds one into neurons 0 and 5,
    /// which then have two trains each.
    fn sets(extra: bool) -> Vec<PoissonTrains> {
        let mut groups = vec![(0..4).collect::<Vec<u32>>(), vec![4, 6, 8], vec![5, 7]];
        if extra {
            groups.push(vec![0, 5]);
        }
        let stream = |g: Gid| Xoroshiro128PlusPlus::seed_from_u64(u64::from(g.0));
        groups
            .iter()
            .enumerate()
            .map(|(s, targets)| {
                let targets: Vec<(u32, Gid)> = targets.iter().map(|&t| (t, Gid(t))).collect();
                let law = (5_000.0 * (s + 1) as f64, 0.5 + s as f64, Time(1024));
                PoissonTrains::new(
                    Gid(100 + s as u32),
                    law,
                    Time::ZERO..Time::NEVER,
                    &targets,
                    stream,
                )
            })
            .collect()
    }

    /// Every neuron's events, in order, for `rounds` of its next arrivals.
    fn events(trains: &mut TrainSets, rounds: usize) -> Vec<(u32, u64, u32, u32, u64)> {
        let Layout::Many(mut view) = trains.layout() else {
            panic!("several sets make the many layout");
        };
        let mut out = Vec::new();
        for i in 0..10 {
            for _ in 0..rounds {
                let t = view.next(Local(i));
                if t == Time::NEVER {
                    break;
                }
                let next = view.consume(Local(i), t, |source, k, w| {
                    out.push((i, t.0, source.0, k, w.to_bits()));
                });
                assert_eq!(next, view.next(Local(i)));
            }
        }
        out
    }

    /// Neurons with one train each are read through `single`; what they
    /// take is what the ranges give, and neurons with two use the ranges.
    #[test]
    fn one_train_per_neuron_is_read_as_through_the_ranges() {
        let mut fast = TrainSets::new(10, sets(false));
        let mut slow = TrainSets::new(10, sets(false));
        let index = slow.many.as_mut().expect("many");
        assert!(index.single.is_some());
        index.single = None;
        let got = events(&mut fast, 20);
        assert!(got.len() >= 9 * 20 && got.iter().all(|e| e.0 != 9));
        assert_eq!(got, events(&mut slow, 20));
        let two = TrainSets::new(10, sets(true));
        assert!(two.many.as_ref().expect("many").single.is_none());
    }
}
