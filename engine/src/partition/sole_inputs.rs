//! Input-node spikes that are their target's only input — a camera channel
//! and its retina neuron — delivered from a queue of their own instead of
//! the arrival queue.
//!
//! Why: such a neuron shares no input with any other, so nothing orders
//! its inputs against the rest of the partition's; only its own inputs'
//! time order counts. Its arrivals need no run lookup, no bucket of the
//! arrival queue, no sort when a window opens and no per-tick sums. A
//! window's sole spikes are kept as they are, as one batch, and delivered
//! `delay` later in time order, each finding its target and weight then; a
//! window that holds nothing else hands over its buffer, so a recording's
//! spikes are not copied. A recording's spikes already are in time order
//! (on their ticks), so only the ticks where two arrivals share a target —
//! found as a batch is queued — are ordered, by target, and that target's
//! inputs summed. Anything else (spikes between ticks, out of order) is
//! sorted by `(time, source)` first, as the arrival queue's spikes are.
//! Each neuron gets the calls the arrival queue would give it: a tick's
//! inputs (all from its one source) summed from zero, with the lag of the
//! first; one input alone as itself (the queue adds a lone input of a busy
//! tick to zero: the same but for the sign of a zero weight). Only when,
//! relative to *other* neurons, it gets them changes.
//!
//! Taken only by unobserved partitions (an observer sees deliveries in the
//! arrival queue's order) and for the sources of one delay.

use super::step::{NeuronView, Step, Sum, PREFETCH_AHEAD};
use super::trains::TrainView;
use crate::connectome::Connectome;
use crate::observer::Observer;
use crate::plasticity::PlasticWiring;
use crate::spike::{sort_spikes, Gid, Spike};
use crate::time::Time;
use std::collections::VecDeque;

/// How many spikes ahead `take` asks for a window's spikes.
const SPIKES_AHEAD: usize = 64;

/// The sole inputs of a partition and their spikes in flight.
pub(super) struct SoleInputs {
    /// Gid of `route[0]`.
    first: u32,
    /// Per source gid from `first`: the local target of its one synapse,
    /// if that synapse is the target's only input (else [`Self::NONE`]).
    route: Vec<u32>,
    /// Their weights, per target (each has one sole input), or their one
    /// weight: a camera's channels share theirs, and a table lookup per
    /// spike costs a miss.
    weights: Weights,
    /// The delay of every routed synapse.
    delay: Time,
    /// Batches in time order, none empty or wholly delivered.
    batches: VecDeque<Batch>,
    /// Arrivals before this are dropped (a checkpoint's restore replays the
    /// inputs from the start).
    drop_before: Time,
    /// Emptied batches, kept for their buffers.
    spare: Vec<Batch>,
    /// Scratch: a tick's arrivals with repeated targets.
    repeated: Vec<SoleArrival>,
}

/// The weights of the sole inputs.
enum Weights {
    One(f64),
    PerTarget(Vec<f64>),
}

/// A window's sole spikes, arriving `delay` after their times.
#[derive(Default)]
struct Batch {
    /// On their ticks or sorted as the arrival queue's, so in time order.
    spikes: Vec<Spike>,
    /// Their local targets.
    targets: Vec<u32>,
    /// Spikes before this are delivered.
    next: usize,
    /// The ticks where two spikes share a target, as `(index of the
    /// tick's first, spikes)`, in order.
    repeats: Vec<(usize, usize)>,
    /// Repeats before this are delivered.
    next_repeat: usize,
}

/// An arrival of a tick where two share a target.
#[derive(Clone, Copy)]
struct SoleArrival {
    time: Time,
    weight: f64,
    target: u32,
    lag: f32,
}

impl SoleInputs {
    const NONE: u32 = u32::MAX;

    /// The sources at or above `first_input` (input nodes) whose one
    /// synapse here reaches a neuron with no other input: no other static
    /// or plastic synapse, no train (`trained` lists the neurons with
    /// one). Of several delays, those with the first source's. `None` if
    /// there is no such source.
    pub(super) fn plan(
        n: usize,
        connectome: &Connectome,
        plastic: &PlasticWiring,
        trained: impl Iterator<Item = u32>,
        first_input: u32,
    ) -> Option<Self> {
        let mut inputs = vec![0u8; n];
        for s in 0..connectome.n_sources() as u32 {
            let shift = connectome.shift_of(Gid(s));
            for &t in connectome.synapses_raw(Gid(s)).0 {
                let t = (t + shift) as usize;
                inputs[t] = inputs[t].saturating_add(1);
            }
        }
        for k in 0..plastic.len() as u32 {
            inputs[plastic.target_of(k) as usize] = u8::MAX;
        }
        for t in trained {
            inputs[t as usize] = u8::MAX;
        }
        let mut delay = None;
        let sole = |s: u32| {
            let mut synapses = connectome.synapses_of(Gid(s));
            let (t, class) = synapses.next()?;
            let alone = synapses.next().is_none() && inputs[t as usize] == 1;
            alone.then_some((t, class))
        };
        let (mut route, mut weights) = (Vec::new(), Vec::new());
        let mut first = None;
        for s in first_input..connectome.n_sources() as u32 {
            let Some((t, class)) = sole(s) else { continue };
            if *delay.get_or_insert(class.delay) != class.delay {
                continue;
            }
            let len = (s - *first.get_or_insert(s)) as usize;
            route.resize(len, Self::NONE);
            weights.resize(len, 0.0);
            route.push(t);
            weights.push(class.weight);
        }
        let mut routed = route.iter().zip(&weights).filter(|r| *r.0 != Self::NONE);
        let one = routed.next().map(|r| *r.1)?;
        let weights = if routed.all(|r| r.1.to_bits() == one.to_bits()) {
            Weights::One(one)
        } else {
            let mut per_target = vec![0.0; n];
            for (&t, &w) in route.iter().zip(&weights).filter(|r| *r.0 != Self::NONE) {
                per_target[t as usize] = w;
            }
            Weights::PerTarget(per_target)
        };
        Some(SoleInputs {
            first: first?,
            route,
            weights,
            delay: delay?,
            batches: VecDeque::new(),
            drop_before: Time::ZERO,
            spare: Vec::new(),
            repeated: Vec::new(),
        })
    }

    /// The index of `source` in `route` (past its end if not in range).
    #[inline(always)]
    fn index(&self, source: Gid) -> usize {
        source.0.wrapping_sub(self.first) as usize
    }

    /// The local target of a source's spikes, [`Self::NONE`] unless it is
    /// a sole input.
    #[inline(always)]
    fn target(&self, source: Gid) -> u32 {
        self.route
            .get(self.index(source))
            .copied()
            .unwrap_or(Self::NONE)
    }

    /// The weight of the arrivals at `target`.
    #[inline(always)]
    fn weight(&self, target: u32) -> f64 {
        match &self.weights {
            Weights::One(w) => *w,
            Weights::PerTarget(w) => w[target as usize],
        }
    }

    /// Take the spikes of sole inputs out of `spikes` (a window's input
    /// spikes, in any order; the rest keep theirs) and queue them as one
    /// batch. `scratch` is [`sort_spikes`]'s buffer.
    pub(super) fn take(&mut self, spikes: &mut Vec<Spike>, scratch: &mut Vec<Spike>) {
        if spikes.is_empty() {
            return;
        }
        let mut batch = self.spare.pop().unwrap_or_default();
        let dropped = spikes[0].time.saturating_add(self.delay) < self.drop_before;
        if !dropped && self.note(spikes, &mut batch, false) {
            // Only sole inputs' spikes, on their ticks in time order (a
            // recording's): the buffer moves, nothing is copied or sorted.
            std::mem::swap(spikes, &mut batch.spikes);
        } else {
            let mut kept = 0;
            for k in 0..spikes.len() {
                let s = spikes[k];
                if self.target(s.source) != Self::NONE {
                    batch.spikes.push(s);
                } else {
                    spikes[kept] = s;
                    kept += 1;
                }
            }
            spikes.truncate(kept);
            let (delay, drop_before) = (self.delay, self.drop_before);
            batch
                .spikes
                .retain(|s| s.time.saturating_add(delay) >= drop_before);
            if batch.spikes.is_empty() {
                self.spare.push(batch);
                return;
            }
            // Sorted as the arrival queue's spikes are, for the lag of a
            // tick's first.
            sort_spikes(&mut batch.spikes, scratch);
            let spikes = std::mem::take(&mut batch.spikes);
            let noted = self.note(&spikes, &mut batch, true);
            debug_assert!(noted, "sole and sorted");
            batch.spikes = spikes;
        }
        self.batches.push_back(batch);
    }

    /// Note the targets of `spikes` in `batch` and the ticks where two
    /// share one (a 512-bit filter of a tick's targets finds them);
    /// `false` unless every spike is a sole input's and, unless `sorted`
    /// (by [`sort_spikes`]), on its tick, in time order. A tick's order
    /// does not matter then (see `deliver`).
    fn note(&self, spikes: &[Spike], batch: &mut Batch, sorted: bool) -> bool {
        batch.targets.clear();
        batch.repeats.clear();
        let mut tick = QueuedTick::new(spikes[0].time, 0);
        for (k, s) in spikes.iter().enumerate() {
            // A window's spikes were decoded a reorder slack earlier: out
            // of cache, and read once.
            crate::dynamics::prefetch(spikes.as_ptr().wrapping_add(k + SPIKES_AHEAD));
            if let Some(ahead) = spikes.get(k + PREFETCH_AHEAD) {
                crate::dynamics::prefetch(
                    self.route.as_ptr().wrapping_add(self.index(ahead.source)),
                );
            }
            let target = self.target(s.source);
            // `spike::on_ticks_in_order`, checked in this pass rather than
            // in one more over the window.
            let in_order = sorted || (s.lag == 0.0 && s.time >= tick.time);
            if target == Self::NONE || !in_order {
                return false;
            }
            if s.time != tick.time {
                tick.note(&mut batch.repeats, k);
                tick = QueuedTick::new(s.time, k);
            }
            if tick.maybe_repeated(target) && !tick.repeats {
                // The filter may be wrong: compare with the tick's own.
                tick.repeats = batch.targets[tick.first..].contains(&target);
            }
            batch.targets.push(target);
        }
        tick.note(&mut batch.repeats, spikes.len());
        true
    }

    /// From now on arrivals before `t` are dropped.
    pub(super) fn drop_before(&mut self, t: Time) {
        self.drop_before = t;
        let delay = self.delay;
        while let Some(b) = self.batches.front_mut() {
            let due = b.spikes[b.next..].partition_point(|s| s.time.saturating_add(delay) < t);
            b.next += due;
            while b.repeats.get(b.next_repeat).is_some_and(|r| r.0 < b.next) {
                b.next_repeat += 1;
            }
            if b.next < b.spikes.len() {
                break;
            }
            let done = self.batches.pop_front().expect("the first batch");
            self.recycle(done);
        }
    }

    /// Keep a delivered batch's buffers.
    fn recycle(&mut self, mut b: Batch) {
        b.spikes.clear();
        b.targets.clear();
        b.next = 0;
        b.next_repeat = 0;
        self.spare.push(b);
    }

    /// Whether an arrival is due before `end` (short windows, a NIR
    /// graph's 1 µs, mostly have none: then `deliver` is not called).
    #[inline(always)]
    pub(super) fn any_before(&self, end: Time) -> bool {
        let first = self.batches.front().map(|b| b.spikes[b.next]);
        first.is_some_and(|s| s.time.saturating_add(self.delay) < end)
    }

    /// Deliver the arrivals before `end`, in order. A tick's arrivals each
    /// take their own target unless two share one (noted when queued):
    /// then the tick is ordered by target (stably: a target's inputs keep
    /// their order) and each target's inputs summed as the arrival queue
    /// sums a tick's (one input alone, several from zero, the lag of the
    /// first). Without `TRAINS` no target has anything of its own due
    /// before an input.
    #[inline(never)]
    pub(super) fn deliver<'a, const TRAINS: bool, N, T, O>(
        &mut self,
        step: Step<'a, N, T, O>,
        end: Time,
    ) -> Step<'a, N, T, O>
    where
        N: NeuronView,
        T: TrainView,
        O: Observer,
    {
        let mut step = step.here();
        let delay = self.delay;
        let mut delivered = 0;
        let mut batches = std::mem::take(&mut self.batches);
        while let Some(b) = batches.front_mut() {
            let (spikes, targets) = (&b.spikes[..], &b.targets[..]);
            let due =
                b.next + spikes[b.next..].partition_point(|s| s.time.saturating_add(delay) < end);
            for &t in targets[b.next..due].iter().take(PREFETCH_AHEAD) {
                step.prefetch::<TRAINS>(t);
            }
            let mut k = b.next;
            while k < due {
                if let Some(&(_, len)) = b.repeats.get(b.next_repeat).filter(|r| r.0 == k) {
                    b.next_repeat += 1;
                    let tick = (&spikes[k..k + len], &targets[k..k + len]);
                    self.deliver_repeated::<TRAINS, _, _, _>(&mut step, tick);
                    k += len;
                    continue;
                }
                if let Some(&ahead) = targets[..due].get(k + PREFETCH_AHEAD) {
                    step.prefetch::<TRAINS>(ahead);
                }
                let (s, target) = (&spikes[k], targets[k]);
                let weight = N::Sum::one(self.weight(target));
                step.deliver::<TRAINS>(
                    step.local(target),
                    s.time.saturating_add(delay),
                    s.lag,
                    weight,
                );
                k += 1;
            }
            delivered += (due - b.next) as u64;
            b.next = due;
            if due < spikes.len() {
                break;
            }
            let done = batches.pop_front().expect("the first batch");
            self.recycle(done);
        }
        self.batches = batches;
        step.count_external(delivered);
        step
    }

    /// One tick's arrivals where two share a target: each target's summed.
    #[inline(never)]
    fn deliver_repeated<const TRAINS: bool, N: NeuronView, T: TrainView, O: Observer>(
        &mut self,
        step: &mut Step<'_, N, T, O>,
        (spikes, targets): (&[Spike], &[u32]),
    ) {
        let mut repeated = std::mem::take(&mut self.repeated);
        let arrival = |(s, &target): (&Spike, &u32)| SoleArrival {
            time: s.time.saturating_add(self.delay),
            weight: self.weight(target),
            target,
            lag: s.lag,
        };
        repeated.clear();
        repeated.extend(spikes.iter().zip(targets).map(arrival));
        repeated.sort_by_key(|a| a.target);
        for run in repeated.chunk_by(|a, b| a.target == b.target) {
            let mut sum = N::Sum::one(run[0].weight);
            if run.len() > 1 {
                sum = N::Sum::default();
                run.iter().for_each(|a| sum.add(a.weight));
            }
            step.deliver::<TRAINS>(step.local(run[0].target), run[0].time, run[0].lag, sum);
        }
        self.repeated = repeated;
    }
}

/// The tick being noted.
struct QueuedTick {
    time: Time,
    /// The index of its first spike.
    first: usize,
    /// A 512-bit filter of its targets.
    seen: [u64; 8],
    /// Whether two of its spikes share a target.
    repeats: bool,
}

impl QueuedTick {
    fn new(time: Time, first: usize) -> Self {
        QueuedTick {
            time,
            first,
            seen: [0; 8],
            repeats: false,
        }
    }

    /// Add `target` to the filter; whether the filter had it already.
    #[inline(always)]
    fn maybe_repeated(&mut self, target: u32) -> bool {
        let h = target as usize % 512;
        let bit = 1u64 << (h % 64);
        let seen = self.seen[h / 64] & bit != 0;
        self.seen[h / 64] |= bit;
        seen
    }

    /// Note it, ending before spike `end`, if two spikes share a target.
    fn note(&self, repeats: &mut Vec<(usize, usize)>, end: usize) {
        if self.repeats {
            repeats.push((self.first, end - self.first));
        }
    }
}
