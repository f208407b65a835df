//! Input-node spikes that are their target's only input — a camera channel
//! and its retina neuron — delivered from a queue of their own instead of
//! the arrival queue.
//!
//! Why: such a neuron shares no input with any other, so nothing orders
//! its inputs against the rest of the partition's; only its own inputs'
//! time order counts. Its arrivals need no run lookup, no bucket of the
//! arrival queue, no sort when a window opens and no per-tick sums. A
//! window's sole spikes become arrivals `delay` later in time order; a
//! recording's already are (on their ticks, in time order), so only the
//! ticks where two arrivals share a target — found as they are queued — are
//! ordered, by target, and that target's inputs summed. Anything else
//! (spikes between ticks, out of order) is sorted by `(time, source)` first,
//! as the arrival queue's spikes are. Each neuron gets the calls the arrival
//! queue would give it: a tick's inputs (all from its one source) summed
//! from zero, with the lag of the first; one input alone as itself (the
//! queue adds a lone input of a busy tick to zero: the same but for the
//! sign of a zero weight). Only when, relative to *other* neurons, it gets
//! them changes.
//!
//! Taken only by unobserved partitions (an observer sees deliveries in the
//! arrival queue's order) and for the sources of one delay.

use super::step::{NeuronView, Step, Sum, PREFETCH_AHEAD};
use super::trains::TrainView;
use crate::connectome::Connectome;
use crate::observer::Observer;
use crate::plasticity::PlasticWiring;
use crate::spike::{on_ticks_in_order, sort_spikes, Gid, Spike};
use crate::time::Time;
use std::collections::VecDeque;

/// How many spikes ahead `take` asks for a window's spikes.
const SPIKES_AHEAD: usize = 64;

/// The sole inputs of a partition and their arrivals in flight.
pub(super) struct SoleInputs {
    /// Gid of `route[0]`.
    first: u32,
    /// Per source gid from `first`: the local target of its one synapse,
    /// if that synapse is the target's only input (else [`Self::NONE`]).
    route: Vec<u32>,
    /// Their weights (as `route`), or their one weight: a camera's
    /// channels share theirs, and a table lookup per spike costs a miss.
    weights: Weights,
    /// The delay of every routed synapse.
    delay: Time,
    /// Arrivals in time order (within a tick, see [`deliver`](Self::deliver)).
    arrivals: VecDeque<SoleArrival>,
    /// Number of arrivals ever queued before `arrivals[0]`.
    front: u64,
    /// The ticks where two arrivals share a target, as
    /// `(number of the tick's first arrival, arrivals)`, in order.
    repeats: VecDeque<(u64, usize)>,
    /// Arrivals before this are dropped (a checkpoint's restore replays the
    /// inputs from the start).
    drop_before: Time,
    /// Scratch: a window's sole spikes.
    batch: Vec<Spike>,
    /// Scratch: a tick's arrivals with repeated targets.
    repeated: Vec<SoleArrival>,
}

/// The weights of the sole inputs.
enum Weights {
    One(f64),
    PerSource(Vec<f64>),
}

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
            Weights::PerSource(weights)
        };
        Some(SoleInputs {
            first: first?,
            route,
            weights,
            delay: delay?,
            arrivals: VecDeque::new(),
            front: 0,
            repeats: VecDeque::new(),
            drop_before: Time::ZERO,
            batch: Vec::new(),
            repeated: Vec::new(),
        })
    }

    /// Take the spikes of sole inputs out of `spikes` (a window's input
    /// spikes, in any order; the rest keep theirs) and queue their
    /// arrivals. `scratch` is [`sort_spikes`]'s buffer.
    pub(super) fn take(&mut self, spikes: &mut Vec<Spike>, scratch: &mut Vec<Spike>) {
        if spikes.is_empty() {
            return;
        }
        let (first, route) = (self.first, &self.route[..]);
        let index = |s: &Spike| s.source.0.wrapping_sub(first) as usize;
        let mut kept = 0;
        for k in 0..spikes.len() {
            // A window's spikes were decoded a reorder slack earlier: out of
            // cache, and read once.
            crate::dynamics::prefetch(spikes.as_ptr().wrapping_add(k + SPIKES_AHEAD));
            if let Some(ahead) = spikes.get(k + PREFETCH_AHEAD) {
                crate::dynamics::prefetch(route.as_ptr().wrapping_add(index(ahead)));
            }
            let s = spikes[k];
            if route.get(index(&s)).is_some_and(|&t| t != Self::NONE) {
                self.batch.push(s);
            } else {
                spikes[kept] = s;
                kept += 1;
            }
        }
        spikes.truncate(kept);
        // A recording's spikes come on their ticks in time order: a tick's
        // order does not matter (see `deliver`). Anything else is sorted
        // as the arrival queue's spikes are, for the lag of a tick's first.
        if !on_ticks_in_order(&self.batch) {
            sort_spikes(&mut self.batch, scratch);
        }
        // Ticks are found as they are queued; a 512-bit filter of a tick's
        // targets finds those where two share one.
        let mut tick = QueuedTick::new(Time::NEVER, 0);
        let mut queued = self.front + self.arrivals.len() as u64;
        for s in self.batch.drain(..) {
            let time = s.time.saturating_add(self.delay);
            if time < self.drop_before {
                continue;
            }
            let k = index(&s);
            let target = self.route[k];
            if time != tick.time {
                tick.note(&mut self.repeats, queued);
                tick = QueuedTick::new(time, queued);
            }
            if tick.maybe_repeated(target) && !tick.repeats {
                // The filter may be wrong: compare with the tick's own.
                let from = (tick.first - self.front) as usize;
                tick.repeats = self.arrivals.range(from..).any(|a| a.target == target);
            }
            self.arrivals.push_back(SoleArrival {
                time,
                weight: match &self.weights {
                    Weights::One(w) => *w,
                    Weights::PerSource(w) => w[k],
                },
                target,
                lag: s.lag,
            });
            queued += 1;
        }
        tick.note(&mut self.repeats, queued);
    }

    /// From now on arrivals before `t` are dropped.
    pub(super) fn drop_before(&mut self, t: Time) {
        self.drop_before = t;
        let n = self.arrivals.partition_point(|a| a.time < t);
        self.consume(n);
    }

    /// Forget the first `n` arrivals.
    fn consume(&mut self, n: usize) {
        self.arrivals.drain(..n);
        self.front += n as u64;
        while self.repeats.front().is_some_and(|&(k, _)| k < self.front) {
            self.repeats.pop_front();
        }
    }

    /// Whether an arrival is due before `end` (short windows, a NIR
    /// graph's 1 µs, mostly have none: then `deliver` is not called).
    #[inline(always)]
    pub(super) fn any_before(&self, end: Time) -> bool {
        self.arrivals.front().is_some_and(|a| a.time < end)
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
        let n = self.arrivals.partition_point(|a| a.time < end);
        let (first, second) = self.arrivals.as_slices();
        let mut k: usize = 0;
        for (part, offset) in [(first, 0), (second, first.len())] {
            if k >= n {
                break;
            }
            let due = &part[..(n - offset).min(part.len())];
            for a in due.iter().skip(k - offset).take(PREFETCH_AHEAD) {
                step.prefetch::<TRAINS>(a.target);
            }
            while k < offset + due.len() {
                let at = self.front + k as u64;
                if let Some(&(_, len)) = self.repeats.front().filter(|r| r.0 == at) {
                    self.repeats.pop_front();
                    self.repeated.clear();
                    self.repeated.extend(self.arrivals.range(k..k + len));
                    deliver_repeated::<TRAINS, _, _, _>(&mut step, &mut self.repeated);
                    k += len;
                    continue;
                }
                let j = k - offset;
                if let Some(ahead) = due.get(j + PREFETCH_AHEAD) {
                    step.prefetch::<TRAINS>(ahead.target);
                }
                let a = due[j];
                let i = step.local(a.target);
                step.deliver::<TRAINS>(i, a.time, a.lag, N::Sum::one(a.weight));
                k += 1;
            }
        }
        step.count_external(n as u64);
        self.consume(n);
        step
    }
}

/// The tick being queued.
struct QueuedTick {
    time: Time,
    /// The number of its first arrival.
    first: u64,
    /// A 512-bit filter of its targets.
    seen: [u64; 8],
    /// Whether two of its arrivals share a target.
    repeats: bool,
}

impl QueuedTick {
    fn new(time: Time, first: u64) -> Self {
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

    /// Note it, ending before arrival `end`, if two arrivals share a target.
    fn note(&self, repeats: &mut VecDeque<(u64, usize)>, end: u64) {
        if self.repeats {
            repeats.push_back((self.first, (end - self.first) as usize));
        }
    }
}

/// One tick's arrivals where two share a target: each target's summed.
#[inline(never)]
fn deliver_repeated<const TRAINS: bool, N: NeuronView, T: TrainView, O: Observer>(
    step: &mut Step<'_, N, T, O>,
    tick: &mut [SoleArrival],
) {
    tick.sort_by_key(|a| a.target);
    for run in tick.chunk_by(|a, b| a.target == b.target) {
        let mut sum = N::Sum::one(run[0].weight);
        if run.len() > 1 {
            sum = N::Sum::default();
            run.iter().for_each(|a| sum.add(a.weight));
        }
        step.deliver::<TRAINS>(step.local(run[0].target), run[0].time, run[0].lag, sum);
    }
}
