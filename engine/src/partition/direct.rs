//! Direct delivery: a window's spike arrivals are applied to their targets
//! straight from the connectome, in `(time, source)` order, instead of being
//! expanded into per-delivery entries and grouped by target first.
//!
//! Why: on Brunel the grouped path moves ~20 bytes per delivery through
//! memory twice (append, counting sort) before a neuron sees it; here a
//! delivery is one read of the (sequential) synapse arrays and one update of
//! the (cache-resident) target. The result is bit-identical to the grouped
//! path, because each neuron still gets exactly the same calls:
//! - before an input at tick `t`, the neuron is brought up to `t` (its due
//!   forecast, then its trains' events before `t`, in time order);
//! - all its inputs at one tick are summed in `(source, synapse)` order —
//!   connectome sources first, then its trains (direct delivery is only used
//!   when every train's gid is above every connectome source) — and handed
//!   over in one call;
//! - what is left of the window (trains, forecasts) is done by a sweep over
//!   the neurons afterwards (`sweep`), as the grouped path's
//!   per-neuron advance would with no deliveries left.
//!
//! Inputs of one tick from several arrivals are first summed per target
//! (in arrival order = source order; the target is brought up to the tick at
//! its first touch), then applied; a lone arrival — the
//! common case — is applied in one pass (its run is sorted by target, so
//! multapses are adjacent). Not used with plastic synapses.
//!
//! Plain partitions with one set of Poisson trains go through a
//! [`PlainKernel`]; where it pays, a kernel window also takes its train
//! events from a [`TrainPool`] — each neuron's next event filed under the
//! arrival tick it precedes and taken just before that tick — so that the
//! tick's targets need no "train event due first?" check. Every neuron still
//! sees the same calls in the same order: only when, relative to *other*
//! neurons, changes (they are independent within a window).

use super::pool_choice::PoolChoice;
use super::train_pool::{TrainPool, NONE};
use super::*;
use crate::arrival_queue::Arrival;
use crate::connectome::{Classes, SynapseClass};
use crate::dynamics::{Outcome, PlainNeurons};
use crate::poisson::PoissonTrains;

/// The state of direct delivery.
pub(super) struct Direct {
    pub(super) arrivals: ArrivalQueue,
    /// Whether every synapse has the same delay (one arrival per spike).
    one_delay: bool,
    /// With one delay: per source (gid), the class of all its synapses, or
    /// [`Arrival::MIXED`] — found once here, not by a scan of the source's
    /// classes at every spike (that scan streamed 2 bytes per synapse
    /// through the cache beside the targets: ~1 % of a Brunel run).
    run_class: Vec<u32>,
    /// Inputs of several arrivals at one tick, summed per target.
    summing: Summing,
    /// The neurons are plain ([`Dynamics::is_plain`]): zero-lag inputs go
    /// through `plain_input`, forecasts never change.
    plain: bool,
    /// Plain, and every neuron's trains are one set of [`PoissonTrains`]'s
    /// train of the same index (or there are none): zero-lag work goes through a
    /// [`PlainKernel`] when nobody observes deliveries.
    pub(super) kernel: bool,
    /// Neurons fired inside a kernel, and when; emitted after it.
    fired: Vec<(u32, Time)>,
    /// A kernel window's train events by the arrival tick they precede.
    pool: TrainPool,
    /// Whether an eligible kernel window pools (timed).
    pub(super) pool_choice: PoolChoice,
}

/// Per-target sums of one tick's inputs (arrivals sharing a tick).
struct Summing {
    /// Numbers the ticks summed so far (a sum of another step is stale).
    step: u64,
    /// Per local neuron: its sum, side by side with the step it belongs to.
    sums: Vec<Sum>,
    /// Neurons with a sum at the current step, in first-touch order.
    touched: Vec<u32>,
    /// The kernel's sums (zero-lag, totals only): 16 bytes a neuron, not
    /// `Sum`'s 40 — the table a tick's arrivals scatter into stays small
    /// beside the neurons' state.
    totals: Vec<Total>,
    /// Numbers the kernel's ticks (wraps: then every total is reset).
    total_step: u32,
}

/// One neuron's kernel sum at one tick.
#[derive(Clone, Copy, Default)]
struct Total {
    total: f64,
    step: u32,
}

/// One neuron's inputs summed at one tick, and the first one's lag.
#[derive(Clone, Copy, Default)]
struct Sum {
    step: u64,
    input: Input,
    lag: f32,
}

impl Summing {
    /// Neuron `i`'s sum at the current step, started (with the lag of the
    /// arrival touching it first, and listed) if this is its first touch;
    /// whether it was.
    #[inline(always)]
    fn touch(&mut self, i: u32, lag: f32) -> (&mut Sum, bool) {
        let step = self.step;
        let sum = &mut self.sums[i as usize];
        let first = sum.step != step;
        if first {
            *sum = Sum {
                step,
                input: Input::default(),
                lag,
            };
            self.touched.push(i);
        }
        (sum, first)
    }

    /// Start the kernel's next tick of sums.
    fn next_total_step(&mut self) {
        if self.total_step == u32::MAX {
            self.totals.fill(Total::default());
            self.total_step = 0;
        }
        self.total_step += 1;
    }

    /// Add a zero-lag arrival's run to its targets' kernel sums, in target
    /// order (a first touch starts from 0, as `Input` does: `0 + w`).
    #[inline]
    fn add_run<C: RunWeights>(&mut self, targets: &[u32], classes: C, table: &[SynapseClass]) {
        let step = self.total_step;
        for (k, &i) in targets.iter().enumerate() {
            if let Some(&ahead) = targets.get(k + PREFETCH_AHEAD) {
                crate::dynamics::prefetch(self.totals.as_ptr().wrapping_add(ahead as usize));
            }
            let w = classes.weight(k, table);
            let sum = &mut self.totals[i as usize];
            if sum.step != step {
                *sum = Total { total: 0.0, step };
                self.touched.push(i);
            }
            sum.total += w;
        }
    }
}

/// The class every one of `classes` has, or [`Arrival::MIXED`] (also for
/// none). A branch-free scan, vectorised.
fn one_class<C>(classes: &[C]) -> u32
where
    C: Copy + Into<u32> + Eq + std::ops::BitXor<Output = C> + std::ops::BitOr<Output = C> + Default,
{
    let Some(&c0) = classes.first() else {
        return Arrival::MIXED;
    };
    let differ = classes.iter().fold(C::default(), |acc, &c| acc | (c ^ c0));
    if differ == C::default() {
        c0.into()
    } else {
        Arrival::MIXED
    }
}

impl Direct {
    pub(super) fn new(
        n: u32,
        window: Time,
        max_delay: Time,
        connectome: &Connectome,
        plain: bool,
    ) -> Self {
        let classes = connectome.classes();
        let one_delay = classes.iter().all(|c| c.delay == classes[0].delay);
        let run_class = if one_delay {
            (0..connectome.n_sources() as u32)
                .map(|s| {
                    let (a, b) = connectome.range_of(Gid(s));
                    match connectome.synapses_in(a, b).1 {
                        Classes::Narrow(c) => one_class(c),
                        Classes::Wide(c) => one_class(c),
                    }
                })
                .collect()
        } else {
            Vec::new()
        };
        Direct {
            arrivals: ArrivalQueue::new(window, max_delay),
            one_delay,
            run_class,
            summing: Summing {
                step: 0,
                sums: vec![Sum::default(); n as usize],
                touched: Vec::new(),
                totals: vec![Total::default(); n as usize],
                total_step: 0,
            },
            plain,
            kernel: false,
            fired: Vec::new(),
            pool: TrainPool::default(),
            pool_choice: PoolChoice::default(),
        }
    }

    /// Whether the neurons are plain.
    pub(super) fn plain(&self) -> bool {
        self.plain
    }

    /// Whether zero-lag work goes through the [`PlainKernel`] for a
    /// partition observed by `O` (it reports no deliveries).
    #[inline(always)]
    fn kernel_for<O: Observer>(&self) -> bool {
        self.kernel && !O::SEES_DELIVERIES
    }

    /// Queue the arrivals of `spike`: one per run of equal-delay synapses.
    #[inline]
    pub(super) fn push(&mut self, spike: Spike, connectome: &Connectome) {
        let (a, b) = connectome.range_of(spike.source);
        if a == b {
            return;
        }
        let table = connectome.classes();
        if self.one_delay {
            // One run (every delay is the first class's).
            let class = self.run_class[spike.source.0 as usize];
            self.arrivals
                .push(spike, table[0].delay, a, (b - a) as u32, class);
            return;
        }
        match connectome.synapses_in(a, b).1 {
            Classes::Narrow(c) => self.push_runs(spike, a, c, |c| table[c as usize].delay),
            Classes::Wide(c) => self.push_runs(spike, a, c, |c| table[c as usize].delay),
        }
    }

    /// Split synapses `a..a + classes.len()` into runs of equal delay
    /// (`delay_of(class)`), noting for each whether one class covers it.
    #[inline]
    fn push_runs<C: Copy + Into<u32> + Eq>(
        &mut self,
        spike: Spike,
        a: u64,
        classes: &[C],
        delay_of: impl Fn(u32) -> Time,
    ) {
        let n = classes.len();
        let mut start = 0;
        while start < n {
            let c0 = classes[start];
            let d = delay_of(c0.into());
            let mut uniform = true;
            let mut end = start + 1;
            while end < n {
                let c = classes[end];
                if c != c0 {
                    if delay_of(c.into()) != d {
                        break;
                    }
                    uniform = false;
                }
                end += 1;
            }
            let class = if uniform { c0.into() } else { Arrival::MIXED };
            self.arrivals
                .push(spike, d, a + start as u64, (end - start) as u32, class);
            start = end;
        }
    }
}

/// Everything zero-lag delivery into plain neurons touches, borrowed out
/// of the partition for a whole arrival (or a tick's sums, or a sweep):
/// the neurons' view and their one train set, all in locals —
/// no array header of the partition is reloaded after a neuron's state is
/// stored, and no call routes a `Response`. Each neuron still gets exactly
/// the calls of the general path: its train events before the tick one by
/// one, then its inputs at the tick summed (connectome first, then trains).
/// Spikes are collected in `fired` and emitted by the partition after the
/// kernel (every spike reaches other neurons a window later at the
/// earliest, and recordings are sorted).
struct PlainKernel<'a, P: PlainNeurons> {
    neurons: P,
    /// How many neurons (local indices `0..len`).
    len: usize,
    /// Neuron `i`'s train is train `i` of this set, with this weight. Its
    /// next arrival is read from the train itself, not from the partition's
    /// `timers` (one cache line less per input; see
    /// `Partition::sync_train_timers`). Silent trains if it has none.
    trains: &'a mut PoissonTrains,
    /// The weight of a train event.
    weight: f64,
    fired: &'a mut Vec<(u32, Time)>,
    discarded: u64,
    train_events: u64,
}

/// The most neurons a partition may hold for its kernel to try pooling
/// train events: with their trains and lists ~4.5 MiB, beyond any core's
/// L2 today (where the pool pays is timed, [`PoolChoice`]).
const POOL_MAX_NEURONS: usize = 1 << 16;

/// How many targets ahead the kernel prefetches state.
const PREFETCH_AHEAD: usize = 8;

/// A local index checked against every array the kernel indexes
/// ([`PlainKernel::local`]): one check per target instead of one per array.
#[derive(Clone, Copy)]
struct Local(u32);

impl<'a, P: PlainNeurons> PlainKernel<'a, P> {
    fn new(
        neurons: P,
        len: usize,
        (trains, weight): (&'a mut PoissonTrains, f64),
        fired: &'a mut Vec<(u32, Time)>,
    ) -> Self {
        // What makes `Local` indices (below `len`) safe for every array.
        assert!(neurons.len() >= len);
        assert!(trains.len() >= len);
        PlainKernel {
            neurons,
            len,
            trains,
            weight,
            fired,
            discarded: 0,
            train_events: 0,
        }
    }

    /// Check neuron `i` once against all arrays (panics if out of range,
    /// which a local index from the connectome or a sum never is).
    #[inline(always)]
    fn local(&self, i: u32) -> Local {
        assert!((i as usize) < self.len, "local index {i} out of range");
        Local(i)
    }

    /// Hint that neuron `i` (any index) takes an input soon (and reads
    /// its train, if `TRAINS`).
    #[inline(always)]
    fn prefetch<const TRAINS: bool>(&self, i: u32) {
        self.neurons.prefetch(i);
        if TRAINS {
            self.trains.prefetch(i as usize);
        }
    }

    /// Neuron `i`'s next train arrival.
    #[inline(always)]
    fn next_train(&self, i: Local) -> Time {
        // SAFETY: `Local` indices are below `len`, and there are at least as
        // many trains (asserted in `new`).
        unsafe { self.trains.next_unchecked(i.0 as usize) }
    }

    /// Neuron `i` takes its train events before `t`, one tick at a time.
    #[inline(always)]
    fn bring_to(&mut self, i: Local, t: Time) {
        while self.next_train(i) < t {
            self.train_event(i);
        }
    }

    /// Neuron `i` takes its train events at its next train arrival (due
    /// now: nothing else of it comes first); its next arrival after them.
    #[inline(always)]
    fn train_event(&mut self, i: Local) -> Time {
        let t = self.next_train(i);
        // SAFETY: as in `train_events_at`.
        let (n, next) = unsafe { self.trains.take_unchecked(i.0 as usize, t) };
        let mut total = 0.0;
        for _ in 0..n {
            total += self.weight;
        }
        self.train_events += u64::from(n);
        self.take(i, t, total);
        next
    }

    /// `total` plus neuron `i`'s train events at `t` (due now), consumed.
    #[inline(always)]
    fn train_events_at(&mut self, i: Local, t: Time, mut total: f64) -> f64 {
        // SAFETY: `Local` indices are below `len`, and there are at least as
        // many trains (asserted in `new`).
        let n = unsafe { self.trains.take_unchecked(i.0 as usize, t) }.0;
        for _ in 0..n {
            total += self.weight;
        }
        self.train_events += u64::from(n);
        total
    }

    /// Neuron `i` takes `total` (its connectome inputs at `t`) and, if
    /// `TRAINS`, its trains' events at `t`, after those before (without:
    /// the caller knows it has none due at or before `t`).
    #[inline(always)]
    fn deliver<const TRAINS: bool>(&mut self, i: u32, t: Time, total: f64) {
        let i = self.local(i);
        if !TRAINS {
            self.take(i, t, total);
            return;
        }
        self.bring_to(i, t);
        let total = if self.next_train(i) == t {
            self.train_events_at(i, t, total)
        } else {
            total
        };
        self.take(i, t, total);
    }

    /// Done: refractory drops and train events taken.
    #[inline(always)]
    fn counts(self) -> (u64, u64) {
        (self.discarded, self.train_events)
    }

    #[inline(always)]
    fn take(&mut self, i: Local, t: Time, total: f64) {
        // SAFETY: `Local` indices are below `len`, and there are at least as
        // many neurons (asserted in `new`).
        match unsafe { self.neurons.input_unchecked(i.0, t, total) } {
            Outcome::Quiet => {}
            Outcome::Discarded => self.discarded += 1,
            Outcome::Spiked => self.fired.push((i.0, t)),
        }
    }
}

/// Deliver the run's target at `k` (`k < targets.len()`) with its
/// multapses summed in synapse order, as the general path; the offset of
/// the next target.
#[inline(always)]
fn deliver_next<const TRAINS: bool, P: PlainNeurons, C: RunWeights>(
    kernel: &mut PlainKernel<'_, P>,
    targets: &[u32],
    weights: C,
    table: &[SynapseClass],
    mut k: usize,
    t: Time,
) -> usize {
    let n = targets.len();
    let i = targets[k];
    let mut total = weights.weight(k, table);
    k += 1;
    if k < n && targets[k] == i {
        // Summed from 0 as the general path's `Input` (`w + 0` is `0 + w`).
        total += 0.0;
        while k < n && targets[k] == i {
            total += weights.weight(k, table);
            k += 1;
        }
    }
    kernel.deliver::<TRAINS>(i, t, total);
    k
}

/// The classes of a run's synapses: read per synapse, or one for all.
trait RunClasses: Copy {
    /// The class of the run's synapse `k`.
    fn class(self, k: usize) -> u32;
}

impl RunClasses for &[u16] {
    #[inline(always)]
    fn class(self, k: usize) -> u32 {
        self[k].into()
    }
}

impl RunClasses for &[u32] {
    #[inline(always)]
    fn class(self, k: usize) -> u32 {
        self[k]
    }
}

/// Every synapse of the run has this class.
#[derive(Clone, Copy)]
struct OneClass(u32);

impl RunClasses for OneClass {
    #[inline(always)]
    fn class(self, _: usize) -> u32 {
        self.0
    }
}

/// The weights of a run's synapses, for the kernel (which reads nothing
/// else of a synapse): through their classes, or one for all, read once.
trait RunWeights: Copy {
    /// The weight of the run's synapse `k` (classes in `table`).
    fn weight(self, k: usize, table: &[SynapseClass]) -> f64;
}

impl<C: RunClasses> RunWeights for C {
    #[inline(always)]
    fn weight(self, k: usize, table: &[SynapseClass]) -> f64 {
        table[self.class(k) as usize].weight
    }
}

/// Every synapse of the run has this weight (one class).
#[derive(Clone, Copy)]
struct OneWeight(f64);

impl RunWeights for OneWeight {
    #[inline(always)]
    fn weight(self, _: usize, _: &[SynapseClass]) -> f64 {
        self.0
    }
}

impl<D: Dynamics, O: Observer> Partition<D, O> {
    /// The rest of the open window, `start..end`: every arrival, then each
    /// neuron's remaining trains and forecasts; compiled once for plain
    /// neurons and once for any (one test of `plain` per window). A kernel
    /// window that may pool its train events does so or not as
    /// `direct.pool_choice` says, and is timed for it.
    pub(super) fn deliver_window(&mut self, start: Time, end: Time) {
        let direct = self.direct.take().expect("direct delivery");
        let plain = direct.plain;
        let work = if plain && direct.kernel_for::<O>() {
            self.pool_work(&direct, start, end)
        } else {
            None
        };
        let pooled = direct.pool_choice.pick();
        self.direct = Some(direct);
        if !plain {
            self.deliver_arrivals::<false>(start, end, false);
            self.sweep::<false>(end);
            return;
        }
        let Some(work) = work else {
            self.deliver_arrivals::<true>(start, end, false);
            self.sweep::<true>(end);
            return;
        };
        let began = std::time::Instant::now();
        self.deliver_arrivals::<true>(start, end, pooled);
        self.sweep::<true>(end);
        let elapsed = began.elapsed();
        let direct = self.direct.as_mut().expect("direct delivery");
        direct.pool_choice.record(pooled, elapsed, work);
    }

    /// If pooling the train events of `start..end` may pay, the window's
    /// work (deliveries and expected train events) to time it by. The pool
    /// takes each train event on its own, in no order of neurons, where the
    /// per-target check takes it with the neuron's next input (already in
    /// cache) or in the end-of-window sweep (in index order). So only where
    /// the neurons' state may be cache-sized (at most [`POOL_MAX_NEURONS`])
    /// and the window's deliveries at least match its expected train events
    /// (measured: the pool made a Poisson-heavy small world 50 % slower,
    /// and a million-neuron network, whose state is far beyond any cache);
    /// [`PoolChoice`](super::pool_choice::PoolChoice) settles the rest.
    fn pool_work(&mut self, direct: &Direct, start: Time, end: Time) -> Option<f64> {
        let n = self.timers.len();
        let (ti, _, _) = self.one_train?;
        if n > POOL_MAX_NEURONS {
            return None;
        }
        let mean = self.trains[ti as usize]
            .as_poisson()
            .map(|trains| trains.mean_interval_ticks())?;
        let expected = n as f64 * end.0.saturating_sub(start.0) as f64 / mean;
        let deliveries: u64 = direct
            .arrivals
            .pending()
            .iter()
            .take_while(|a| a.time < end)
            .map(|a| u64::from(a.len))
            .sum();
        let deliveries = deliveries as f64;
        (deliveries >= expected).then_some(deliveries + expected)
    }

    /// The partition's [`PlainKernel`] (for `direct.kernel` partitions).
    #[inline(always)]
    fn plain_kernel<'a>(
        &'a mut self,
        fired: &'a mut Vec<(u32, Time)>,
    ) -> PlainKernel<'a, D::Plain<'a>> {
        let trains = match self.one_train {
            Some((ti, _, weight)) => {
                let trains = self.trains[ti as usize].as_poisson();
                (trains.expect("kernel trains are Poisson trains"), weight)
            }
            None => (&mut self.silent_trains, 0.0),
        };
        let len = self.timers.len();
        PlainKernel::new(self.dynamics.plain_neurons(), len, trains, fired)
    }

    /// Bring `timers[i].train` of `targets` up to date in a kernel
    /// partition before general code reads it: the kernel steps each
    /// neuron's one train without copying its next arrival into the timers
    /// (the train holds it; one cache line less per input). Harmless
    /// elsewhere (with one train set the two are always equal). Today a
    /// kernel partition never takes the general path (lagged spikes come
    /// from current-driven neurons, and every store holds every parameter
    /// set, so one such set turns the kernel off everywhere); this keeps
    /// that path exact should it ever run there.
    pub(super) fn sync_train_timers(&mut self, targets: impl IntoIterator<Item = u32>) {
        if let Some((ti, _, _)) = self.one_train {
            let trains = &self.trains[ti as usize];
            for i in targets {
                self.timers[i as usize].train = trains.next_arrival(i as usize);
            }
        }
    }

    /// After a kernel: its counts, and its spikes emitted.
    #[inline(always)]
    fn close_kernel(&mut self, discarded: u64, train_events: u64, fired: &mut Vec<(u32, Time)>) {
        self.counters.discarded_events += discarded;
        if let Some((_, source, _)) = self.one_train {
            self.count(source, train_events);
        }
        for &(i, t) in fired.iter() {
            self.emit(i, t, 0.0);
        }
        fired.clear();
    }

    /// A lone zero-lag arrival into plain neurons, through the kernel.
    #[inline]
    fn deliver_by_kernel<const TRAINS: bool, C: RunWeights>(
        &mut self,
        a: Arrival,
        targets: &[u32],
        weights: C,
        table: &[SynapseClass],
        fired: &mut Vec<(u32, Time)>,
    ) {
        let t = a.time;
        let n = targets.len();
        let mut kernel = self.plain_kernel(fired);
        let mut k = 0;
        // Targets far enough from the end prefetch one `PREFETCH_AHEAD`
        // on; the tail has nothing left to prefetch.
        let prefetching = n.saturating_sub(PREFETCH_AHEAD);
        while k < prefetching {
            kernel.prefetch::<TRAINS>(targets[k + PREFETCH_AHEAD]);
            k = deliver_next::<TRAINS, _, _>(&mut kernel, targets, weights, table, k, t);
        }
        while k < n {
            k = deliver_next::<TRAINS, _, _>(&mut kernel, targets, weights, table, k, t);
        }
        let (discarded, train_events) = kernel.counts();
        self.close_kernel(discarded, train_events, fired);
        self.count(a.spike.source, n as u64);
    }

    /// A tick's zero-lag sums into plain neurons, through the kernel.
    fn apply_by_kernel<const TRAINS: bool>(
        &mut self,
        summing: &mut Summing,
        t: Time,
        fired: &mut Vec<(u32, Time)>,
    ) {
        let mut kernel = self.plain_kernel(fired);
        for (k, &i) in summing.touched.iter().enumerate() {
            if let Some(&ahead) = summing.touched.get(k + PREFETCH_AHEAD) {
                kernel.prefetch::<TRAINS>(ahead);
            }
            kernel.deliver::<TRAINS>(i, t, summing.totals[i as usize].total);
        }
        let (discarded, train_events) = kernel.counts();
        self.close_kernel(discarded, train_events, fired);
        summing.touched.clear();
    }

    /// A lone zero-lag arrival into plain neurons, through the kernel,
    /// checking each target's train if `TRAINS`.
    #[inline]
    fn deliver_lone_by_kernel<const TRAINS: bool>(
        &mut self,
        a: Arrival,
        connectome: &Connectome,
        fired: &mut Vec<(u32, Time)>,
    ) {
        let table = connectome.classes();
        match connectome.synapses_in(a.start, a.end()) {
            (targets, _) if a.class != Arrival::MIXED => {
                let w = OneWeight(table[a.class as usize].weight);
                self.deliver_by_kernel::<TRAINS, _>(a, targets, w, table, fired)
            }
            (targets, Classes::Narrow(c)) => {
                self.deliver_by_kernel::<TRAINS, _>(a, targets, c, table, fired)
            }
            (targets, Classes::Wide(c)) => {
                self.deliver_by_kernel::<TRAINS, _>(a, targets, c, table, fired)
            }
        }
    }

    /// Add a zero-lag arrival's run to the kernel's per-tick sums. (Not
    /// inlined: inside the window loop it made that loop slower.)
    #[inline(never)]
    fn sum_by_kernel(&mut self, summing: &mut Summing, a: Arrival, connectome: &Connectome) {
        debug_assert!(a.spike.lag == 0.0);
        let table = connectome.classes();
        match connectome.synapses_in(a.start, a.end()) {
            (targets, _) if a.class != Arrival::MIXED => {
                let w = OneWeight(table[a.class as usize].weight);
                summing.add_run(targets, w, table)
            }
            (targets, Classes::Narrow(c)) => summing.add_run(targets, c, table),
            (targets, Classes::Wide(c)) => summing.add_run(targets, c, table),
        }
        self.count(a.spike.source, a.len as u64);
    }

    /// Zero-lag arrivals sharing tick `t` (`group`), through the kernel:
    /// summed per target, then applied (checking each target's train if
    /// `TRAINS`).
    fn group_by_kernel<const TRAINS: bool>(
        &mut self,
        direct: &mut Direct,
        group: std::ops::Range<usize>,
        t: Time,
        connectome: &Connectome,
        fired: &mut Vec<(u32, Time)>,
    ) {
        let summing = &mut direct.summing;
        summing.next_total_step();
        for j in group {
            self.sum_by_kernel(summing, direct.arrivals.get(j), connectome);
        }
        self.apply_by_kernel::<TRAINS>(summing, t, fired);
    }

    /// A kernel window (every arrival zero-lag, planned in `direct.pool`)
    /// worked off in time order: before each arrival tick the train events
    /// before it, then the tick's arrivals without asking each target for
    /// train events (with, when one falls on the tick); after the last tick
    /// the events left before `end`.
    fn deliver_pooled(&mut self, direct: &mut Direct, connectome: &Connectome, end: Time) {
        let mut pool = std::mem::take(&mut direct.pool);
        let mut fired = std::mem::take(&mut direct.fired);
        {
            let kernel = self.plain_kernel(&mut fired);
            for i in 0..kernel.len as u32 {
                let t = kernel.next_train(kernel.local(i));
                if t < end {
                    pool.file(i, t);
                }
            }
        }
        let mut k = 0;
        while let Some(group) = direct.arrivals.next_group(end) {
            let t = direct.arrivals.get(group.start).time;
            self.run_pool(&mut pool, k, end, &mut fired);
            let ties = !pool.at[k].is_empty();
            if group.len() == 1 {
                let a = direct.arrivals.get(group.start);
                if ties {
                    self.deliver_lone_by_kernel::<true>(a, connectome, &mut fired);
                } else {
                    self.deliver_lone_by_kernel::<false>(a, connectome, &mut fired);
                }
            } else if ties {
                self.group_by_kernel::<true>(direct, group, t, connectome, &mut fired);
            } else {
                self.group_by_kernel::<false>(direct, group, t, connectome, &mut fired);
            }
            if ties {
                self.settle_ties(&mut pool, k, t, end, &mut fired);
            }
            k += 1;
        }
        let last = pool.ticks();
        self.run_pool(&mut pool, last, end, &mut fired);
        direct.pool = pool;
        direct.fired = fired;
    }

    /// The train events filed before arrival tick `k`, and those they lead
    /// to before it, each neuron's in time order.
    fn run_pool(
        &mut self,
        pool: &mut TrainPool,
        k: usize,
        end: Time,
        fired: &mut Vec<(u32, Time)>,
    ) {
        if pool.first_before(k) == NONE {
            return;
        }
        let mut kernel = self.plain_kernel(fired);
        // A cursor `PREFETCH_AHEAD` down the list (neurons filed back into
        // this bucket go to its front and are taken at once, still cached).
        let mut ahead = pool.first_before(k);
        for _ in 0..PREFETCH_AHEAD {
            ahead = pool.after(ahead);
        }
        while let Some(i) = pool.pop_before(k) {
            if ahead != NONE {
                kernel.prefetch::<true>(ahead);
                ahead = pool.after(ahead);
            }
            let next = kernel.train_event(kernel.local(i));
            if next < end {
                pool.file(i, next);
            }
        }
        let (discarded, train_events) = kernel.counts();
        self.close_kernel(discarded, train_events, fired);
    }

    /// After arrival tick `k` (at `t`) was delivered with train checks:
    /// the neurons whose train event fell on it took it with their inputs,
    /// or take it now alone; either way their next event is filed.
    fn settle_ties(
        &mut self,
        pool: &mut TrainPool,
        k: usize,
        t: Time,
        end: Time,
        fired: &mut Vec<(u32, Time)>,
    ) {
        let mut kernel = self.plain_kernel(fired);
        while let Some(i) = pool.at[k].pop() {
            let local = kernel.local(i);
            let mut next = kernel.next_train(local);
            if next == t {
                next = kernel.train_event(local);
            }
            if next < end {
                pool.file(i, next);
            }
        }
        let (discarded, train_events) = kernel.counts();
        self.close_kernel(discarded, train_events, fired);
    }

    /// Apply every arrival of the open window before `end`.
    fn deliver_arrivals<const PLAIN: bool>(&mut self, start: Time, end: Time, pooled: bool) {
        // The connectome is only read here, the direct state only by this
        // loop; taking both out lets the loop call the partition's other
        // parts mutably.
        let connectome = std::mem::take(&mut self.connectome);
        let mut direct = self.direct.take().expect("direct delivery");
        let table = connectome.classes();
        if PLAIN
            && pooled
            && direct.kernel_for::<O>()
            && direct
                .pool
                .plan(start, end, direct.arrivals.pending(), self.timers.len())
        {
            self.deliver_pooled(&mut direct, &connectome, end);
        }
        while let Some(group) = direct.arrivals.next_group(end) {
            if group.len() == 1 {
                let a = direct.arrivals.get(group.start);
                if PLAIN && direct.kernel_for::<O>() && a.spike.lag == 0.0 {
                    self.deliver_lone_by_kernel::<true>(a, &connectome, &mut direct.fired);
                    continue;
                }
                if PLAIN && direct.kernel_for::<O>() {
                    // A lagged arrival in a kernel partition: the general
                    // path reads the targets' timers.
                    let targets = connectome.synapses_in(a.start, a.end()).0;
                    self.sync_train_timers(targets.iter().copied());
                }
                match connectome.synapses_in(a.start, a.end()) {
                    (targets, _) if a.class != Arrival::MIXED => {
                        self.deliver_alone::<PLAIN, _>(a, targets, OneClass(a.class), table)
                    }
                    (targets, Classes::Narrow(c)) => {
                        self.deliver_alone::<PLAIN, _>(a, targets, c, table)
                    }
                    (targets, Classes::Wide(c)) => {
                        self.deliver_alone::<PLAIN, _>(a, targets, c, table)
                    }
                }
            } else {
                let t = direct.arrivals.get(group.start).time;
                let kernel = PLAIN && direct.kernel_for::<O>();
                if kernel
                    && group
                        .clone()
                        .all(|k| direct.arrivals.get(k).spike.lag == 0.0)
                {
                    let mut fired = std::mem::take(&mut direct.fired);
                    self.group_by_kernel::<true>(&mut direct, group, t, &connectome, &mut fired);
                    direct.fired = fired;
                    continue;
                }
                // A fresh step number marks this group's first touches.
                direct.summing.step += 1;
                if kernel {
                    // A lagged arrival in a kernel partition: the general
                    // path reads the targets' timers.
                    for k in group.clone() {
                        let a = direct.arrivals.get(k);
                        let targets = connectome.synapses_in(a.start, a.end()).0;
                        self.sync_train_timers(targets.iter().copied());
                    }
                }
                for k in group {
                    let a = direct.arrivals.get(k);
                    let d = &mut direct.summing;
                    match connectome.synapses_in(a.start, a.end()) {
                        (targets, _) if a.class != Arrival::MIXED => {
                            self.accumulate::<PLAIN, _>(d, a, targets, OneClass(a.class), table)
                        }
                        (targets, Classes::Narrow(c)) => {
                            self.accumulate::<PLAIN, _>(d, a, targets, c, table)
                        }
                        (targets, Classes::Wide(c)) => {
                            self.accumulate::<PLAIN, _>(d, a, targets, c, table)
                        }
                    }
                }
                self.apply_accumulated::<PLAIN>(&mut direct.summing, t);
            }
        }
        self.connectome = connectome;
        self.direct = Some(direct);
        let mut dirty = std::mem::take(&mut self.dirty);
        for &i in &dirty {
            self.settle(i);
        }
        dirty.clear();
        self.dirty = dirty;
    }

    /// One arrival alone at its tick: each target gets its input at once.
    #[inline]
    fn deliver_alone<const PLAIN: bool, C: RunClasses>(
        &mut self,
        a: Arrival,
        targets: &[u32],
        classes: C,
        table: &[SynapseClass],
    ) {
        let t = a.time;
        let n = targets.len();
        // Zero lag into plain neurons: the common target — nothing of its own
        // due before or at `t`, no multapse — takes one check and the input.
        let plain = PLAIN && a.spike.lag == 0.0;
        let mut k = 0;
        while k < n {
            if plain {
                let i = targets[k];
                if self.timers[i as usize].train > t && (k + 1 == n || targets[k + 1] != i) {
                    let c = classes.class(k);
                    let w = table[c as usize].weight;
                    self.observe(i, &a.delivery(i, c, w));
                    self.give::<true>(i, t, 0.0, Input::single(w));
                    k += 1;
                    continue;
                }
            }
            k = self.deliver_target::<PLAIN, C>(a, targets, classes, table, k);
        }
        self.count(a.spike.source, n as u64);
    }

    /// The general case of one target of a lone arrival (from `k`, with its
    /// multapses and its own events due at or before the tick); returns the
    /// next target's offset.
    #[inline(always)]
    fn deliver_target<const PLAIN: bool, C: RunClasses>(
        &mut self,
        a: Arrival,
        targets: &[u32],
        classes: C,
        table: &[SynapseClass],
        k: usize,
    ) -> usize {
        let t = a.time;
        let n = targets.len();
        let i = targets[k];
        let c = classes.class(k);
        let w = table[c as usize].weight;
        let mut j = k + 1;
        self.bring_to::<PLAIN>(i, t);
        let d = a.delivery(i, c, w);
        self.observe(i, &d);
        let input = if (j == n || targets[j] != i) && self.timers[i as usize].train != t {
            Input::single(w)
        } else {
            let mut input = Input::default();
            input.add(w);
            while j < n && targets[j] == i {
                let c = classes.class(j);
                let w = table[c as usize].weight;
                input.add(w);
                self.observe(
                    i,
                    &Delivery {
                        synapse: c,
                        weight: w,
                        ..d
                    },
                );
                j += 1;
            }
            self.add_trains_at(i, t, &mut input);
            input
        };
        self.give::<PLAIN>(i, t, a.spike.lag, input);
        j
    }

    /// Several arrivals share a tick: sum each target's inputs first.
    #[inline]
    fn accumulate<const PLAIN: bool, C: RunClasses>(
        &mut self,
        summing: &mut Summing,
        a: Arrival,
        targets: &[u32],
        classes: C,
        table: &[SynapseClass],
    ) {
        for (k, &i) in targets.iter().enumerate() {
            let c = classes.class(k);
            let w = table[c as usize].weight;
            let (sum, first) = summing.touch(i, a.spike.lag);
            if first {
                // Up to the tick now, so that its earlier events come first.
                self.bring_to::<PLAIN>(i, a.time);
            }
            if PLAIN {
                sum.input.add_total(w);
            } else {
                sum.input.add(w);
            }
            self.observe(i, &a.delivery(i, c, w));
        }
        self.count(a.spike.source, targets.len() as u64);
    }

    /// Hand every touched neuron its summed inputs of tick `t`.
    fn apply_accumulated<const PLAIN: bool>(&mut self, summing: &mut Summing, t: Time) {
        for &i in &summing.touched {
            let Sum { mut input, lag, .. } = summing.sums[i as usize];
            self.add_trains_at(i, t, &mut input);
            self.give::<PLAIN>(i, t, lag, input);
        }
        summing.touched.clear();
    }

    /// Advance neuron `i` to tick `t`: its forecast if due at or before `t`
    /// (a forecast goes before same-tick input), its trains' events before `t`.
    #[inline(always)]
    fn bring_to<const PLAIN: bool>(&mut self, i: u32, t: Time) {
        self.bring::<PLAIN>(i, t, t.saturating_add(Time(1)));
    }

    /// Process neuron `i`'s train events before `trains_before` and its
    /// forecast if before `forecasts_before`, in time order (a forecast
    /// first at equal times).
    #[inline(always)]
    fn bring<const PLAIN: bool>(&mut self, i: u32, trains_before: Time, forecasts_before: Time) {
        loop {
            let t_train = self.timers[i as usize].train;
            let t_forecast = self.timers[i as usize].forecast;
            // Plain neurons never forecast.
            debug_assert!(!PLAIN || t_forecast == Time::NEVER);
            if !PLAIN && t_forecast < forecasts_before && t_forecast <= t_train {
                self.timers[i as usize].forecast = Time::NEVER;
                let r = self.dynamics.on_forecast(i, t_forecast);
                self.apply_direct(i, t_forecast, r);
                continue;
            }
            if t_train >= trains_before {
                return;
            }
            let input = self.trains_input(i, t_train);
            self.give::<PLAIN>(i, t_train, 0.0, input);
        }
    }

    /// The end of a step: every neuron's trains and forecasts before `end`
    /// (what the grouped path's per-neuron sweep does with no deliveries).
    fn sweep<const PLAIN: bool>(&mut self, end: Time) {
        if PLAIN && self.direct.as_ref().is_some_and(|d| d.kernel_for::<O>()) {
            let mut fired = std::mem::take(&mut self.direct.as_mut().expect("direct").fired);
            let mut kernel = self.plain_kernel(&mut fired);
            for i in 0..kernel.len as u32 {
                let i = kernel.local(i);
                if kernel.next_train(i) < end {
                    kernel.bring_to(i, end);
                }
            }
            let (discarded, train_events) = kernel.counts();
            self.close_kernel(discarded, train_events, &mut fired);
            self.direct.as_mut().expect("direct").fired = fired;
            return;
        }
        if PLAIN {
            // No forecasts to activate or settle: each neuron with train
            // events left, in index order (the order `active` would have).
            for i in 0..self.timers.len() as u32 {
                if self.timers[i as usize].train < end {
                    self.bring::<true>(i, end, end);
                }
            }
            return;
        }
        self.step += 1;
        let step = self.step;
        self.active.clear();
        for i in 0..self.timers.len() {
            if self.timers[i].train < end {
                self.mark[i] = step;
                self.active.push(i as u32);
            }
        }
        self.activate_due_forecasts(end);
        let active = std::mem::take(&mut self.active);
        for &i in &active {
            self.bring::<false>(i, end, end);
            self.settle(i);
        }
        self.active = active;
    }

    /// Add neuron `i`'s train events at tick `t` (after its connectome inputs).
    #[inline(always)]
    fn add_trains_at(&mut self, i: u32, t: Time, input: &mut Input) {
        if self.timers[i as usize].train == t {
            self.take_trains_at(i, t, input);
        }
    }

    /// Neuron `i`'s trains alone are due at `t`: their summed events.
    #[inline(always)]
    fn trains_input(&mut self, i: u32, t: Time) -> Input {
        let mut input = Input::default();
        self.take_trains_at(i, t, &mut input);
        input
    }

    /// Hand neuron `i` its summed input of tick `t` (exact time `t + lag`).
    #[inline(always)]
    fn give<const PLAIN: bool>(&mut self, i: u32, t: Time, lag: f32, input: Input) {
        if PLAIN && lag == 0.0 {
            match self.dynamics.plain_input(i, t, input.total) {
                Outcome::Quiet => {}
                Outcome::Discarded => self.counters.discarded_events += 1,
                Outcome::Spiked => self.emit(i, t, 0.0),
            }
        } else {
            let r = self.dynamics.on_input(i, t, lag, input);
            self.apply_direct(i, t, r);
        }
    }

    /// `apply`, remembering a changed forecast for the index.
    #[inline(always)]
    fn apply_direct(&mut self, i: u32, t: Time, r: Response) {
        self.apply(i, t, r);
        if r.forecast != Forecast::Unchanged {
            self.dirty.push(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summing(n: usize) -> Summing {
        Summing {
            step: 0,
            sums: vec![Sum::default(); n],
            touched: Vec::new(),
            totals: vec![Total::default(); n],
            total_step: 0,
        }
    }

    /// A tick's kernel sums start from 0 at each target's first touch, list
    /// each target once, and survive the step counter's wrap (a stale total
    /// of step 1 must not pass for one of the step after the wrap).
    #[test]
    fn kernel_sums_start_fresh_each_tick_across_the_wrap() {
        let table = [SynapseClass {
            weight: 0.25,
            delay: Time(1),
        }];
        let mut s = summing(4);
        s.next_total_step();
        s.add_run(&[0, 1, 1], OneWeight(0.5), &table);
        assert_eq!(s.touched, [0, 1]);
        assert_eq!((s.totals[0].total, s.totals[1].total), (0.5, 1.0));
        s.touched.clear();
        s.total_step = u32::MAX;
        s.totals[2] = Total {
            total: 7.0,
            step: 1,
        };
        s.next_total_step();
        assert_eq!(s.total_step, 1);
        s.add_run(&[1, 2], &[0u16, 0][..], &table);
        assert_eq!(s.touched, [1, 2]);
        assert_eq!((s.totals[1].total, s.totals[2].total), (0.25, 0.25));
    }

    #[test]
    fn one_class_of_a_run() {
        assert_eq!(one_class::<u16>(&[]), Arrival::MIXED);
        assert_eq!(one_class(&[3u16, 3, 3]), 3);
        assert_eq!(one_class(&[3u32, 3, 4]), Arrival::MIXED);
    }
}
