//! Direct delivery: a window's spike arrivals are applied to their targets
//! straight from the connectome, in `(time, source)` order, instead of being
//! expanded into per-delivery entries and grouped by target first
//! ([`Grouped`](super::grouped::Grouped)).
//!
//! Why: the grouped queue moves ~20 bytes per delivery through memory twice
//! (append, counting sort) before a neuron sees it; here a delivery is one
//! read of the (sequential) synapse arrays and one update of the
//! (cache-resident) target. Each neuron still gets exactly the calls of the
//! grouped path, through the same [`Step`]:
//! - a lone arrival at its tick — the common case — is applied target by
//!   target (its run is sorted by target, so multapses are adjacent and
//!   summed in synapse order);
//! - the static and plastic runs of one spike, landing at one tick, whose
//!   source reaches different neurons by each (`apart_sources.rs`), are
//!   each applied as a lone arrival is, each target's inputs summed from
//!   zero as the tick's sums would hold them;
//! - several arrivals at one tick are summed per target first, in arrival
//!   order (= source order), then applied; when each reaches one synapse
//!   of a different neuron (a camera's tick) and no observer watches the
//!   deliveries, every sum would hold one input, so each target takes its
//!   input straight away, in the order the sums would hand them over
//!   (`single_inputs.rs`);
//! - a target's trains are added after its connectome inputs: direct
//!   delivery is only planned when every train's gid is above every
//!   connectome source (`(source, synapse)` order);
//! - an input node's spikes that are their target's only input (a camera
//!   channel's, to its retina neuron) skip the arrival queue: they wait in
//!   a queue of their own, taken at the start of the sweep
//!   (`sole_inputs.rs`);
//! - what is left of the window (trains, forecasts) is done by a sweep
//!   over the neurons afterwards;
//! - a spike's run of plastic synapses of one delay is an arrival after its
//!   static run: when it lands, its synapses are updated one after the
//!   other (sequentially in memory, as NEST does) and their weights applied
//!   like a static run's ([`Synapses::visit`]).
//!
//! With plain neurons and one train each, a window may also take its train
//! events from a [`Pool`] (see `train_pool.rs`). Only when, relative to
//! *other* neurons, a neuron's events are taken changes (they are
//! independent within a window), never their order for the neuron.

use super::apart_sources::ApartSources;
use super::single_inputs::SingleInputs;
use super::sole_inputs::SoleInputs;
use super::source_runs::SourceRuns;
use super::step::{Context, NeuronView, Step, Sum, PREFETCH_AHEAD};
use super::sums::Sums;
use super::tick_marks::{Apart, Mark, TickMarks};
use super::train_pool::Pool;
use super::trains::TrainView;
use crate::arrival_queue::{Arrival, ArrivalQueue};
use crate::connectome::{Connectome, RunClasses, RunVisitor, SynapseClass};
use crate::observer::Observer;
use crate::plasticity::{PlasticRun, PlasticSynapses, PlasticWiring, Plasticity};
use crate::spike::Spike;
use crate::time::Time;
use std::ops::Range;

/// The state of direct delivery; `S` is what a tick's inputs to a neuron are
/// summed into (the neurons' [`NeuronView::Sum`]).
pub(super) struct Direct<S> {
    arrivals: ArrivalQueue,
    /// Per source (gid), the one arrival its static synapses make, if they
    /// share a delay (`source_runs.rs`). Found once here, not by a scan of
    /// the source's classes at every spike.
    runs: SourceRuns,
    sums: Sums<S>,
    pool: Option<Pool>,
    /// Scratch: neurons whose forecast falls in the window's rest.
    due: Vec<u32>,
    /// Scratch: the targets of a shared run, shifted.
    shifted: Vec<u32>,
    /// Scratch: a tick's inputs of one synapse each.
    singles: SingleInputs,
    /// Scratch: which of a tick's targets are reached more than once.
    marks: TickMarks,
    /// Input nodes that are their targets' only inputs, delivered apart
    /// (boxed: most networks have none).
    sole: Option<Box<SoleInputs>>,
    /// Sources whose static and plastic runs reach different neurons.
    apart: ApartSources,
}

impl<S: Sum> Direct<S> {
    /// Direct delivery for `n` neurons whose incoming synapses are
    /// `connectome` and `plastic`; `pool` if windows may pool train events.
    pub(super) fn new(
        n: usize,
        (window, horizon): (Time, Time),
        (connectome, plastic): (&Connectome, &PlasticWiring),
        pool: Option<Pool>,
    ) -> Self {
        Direct {
            arrivals: ArrivalQueue::new(window, horizon),
            runs: SourceRuns::new(connectome),
            sums: Sums::new(n),
            pool,
            due: Vec::new(),
            shifted: Vec::new(),
            singles: SingleInputs::default(),
            marks: TickMarks::new(n),
            sole: None,
            apart: ApartSources::new(n, connectome, plastic),
        }
    }

    /// Deliver the spikes of these input nodes apart from the arrival
    /// queue (`sole_inputs.rs`).
    pub(super) fn set_sole_inputs(&mut self, sole: Option<SoleInputs>) {
        self.sole = sole.map(Box::new);
    }

    /// Take a window's input-node spikes (in any order; `scratch` is
    /// [`sort_spikes`](crate::spike::sort_spikes)'s buffer) of sole inputs
    /// out of `spikes` into their own queue, unless an observer watches
    /// deliveries.
    pub(super) fn take_sole_inputs(
        &mut self,
        (spikes, scratch): (&mut Vec<Spike>, &mut Vec<Spike>),
        observed: bool,
    ) {
        if let (Some(sole), false) = (&mut self.sole, observed) {
            sole.take(spikes, scratch);
        }
    }

    /// From now on deliveries before `t` are dropped.
    pub(super) fn drop_before(&mut self, t: Time) {
        self.arrivals.drop_before(t);
        if let Some(sole) = &mut self.sole {
            sole.drop_before(t);
        }
    }

    /// The arrival queue.
    pub(super) fn arrivals(&self) -> &ArrivalQueue {
        &self.arrivals
    }

    /// The arrival queue, mutably.
    pub(super) fn arrivals_mut(&mut self) -> &mut ArrivalQueue {
        &mut self.arrivals
    }

    /// The pool of train events, if windows may use one.
    pub(super) fn pool(&mut self) -> Option<&mut Pool> {
        self.pool.as_mut()
    }

    /// [`push`](Self::push) each of `spikes`, asking for each one's run
    /// `PREFETCH_AHEAD` spikes early (a window's input spikes come from
    /// sources at random).
    pub(super) fn push_all(
        &mut self,
        spikes: &[Spike],
        connectome: &Connectome,
        plastic: &PlasticWiring,
    ) {
        for (k, &spike) in spikes.iter().enumerate() {
            if let Some(ahead) = spikes.get(k + PREFETCH_AHEAD) {
                connectome.prefetch_run(ahead.source);
                self.runs.prefetch(ahead.source);
            }
            self.push(spike, connectome, plastic);
        }
    }

    /// Queue the arrivals of `spike`: one per run of equal-delay synapses,
    /// static ones first.
    pub(super) fn push(&mut self, spike: Spike, connectome: &Connectome, plastic: &PlasticWiring) {
        self.runs.queue(spike, connectome, &mut self.arrivals);
        for run in plastic.runs_of(spike.source) {
            let (first, len) = (u64::from(run.first), run.len);
            self.arrivals
                .push(spike, run.delay, first, len, Arrival::PLASTIC);
        }
    }

    /// Deliver the open window's arrivals before `end`, then everything else
    /// of each neuron before `end`.
    ///
    /// The step moves by value through the hot functions, each out of line:
    /// there it is a local whose views stay in registers (behind a
    /// reference, a store into a neuron made the compiler reload them).
    pub(super) fn window<N, T, O, P>(
        &mut self,
        (neurons, trains, ctx): (N, T, Context<'_, O>),
        (connectome, plastic): (&Connectome, &mut PlasticSynapses<P>),
        start: Time,
        end: Time,
    ) -> super::Counters
    where
        N: NeuronView<Sum = S>,
        T: TrainView,
        O: Observer,
        P: Plasticity,
    {
        let synapses = &mut Synapses {
            connectome,
            plastic,
            shifted: std::mem::take(&mut self.shifted),
        };
        let mut step = Step::new(neurons, trains, ctx);
        let mut pool = self.pool.take();
        // A window that may pool is timed (whether pooling pays is measured).
        let mut planned = pool.as_mut().and_then(|p| {
            let pooled = p.plan(start, end, self.arrivals.pending(), step.len())?;
            Some((p, pooled, std::time::Instant::now()))
        });
        if let Some((p, true, _)) = &mut planned {
            step = self.deliver_pooled(step, synapses, p, end);
        }
        step = self.deliver_arrivals(step, synapses, end);
        step = self.sweep(step, end);
        if let Some((p, pooled, began)) = planned {
            p.record(pooled, began.elapsed());
        }
        self.pool = pool;
        self.shifted = std::mem::take(&mut synapses.shifted);
        step.counters()
    }

    /// Every arrival before `end`, each target checked for due train events.
    #[inline(always)]
    fn deliver_arrivals<'a, N, T, O, P>(
        &mut self,
        mut step: Step<'a, N, T, O>,
        synapses: &mut Synapses<'_, P>,
        end: Time,
    ) -> Step<'a, N, T, O>
    where
        N: NeuronView<Sum = S>,
        T: TrainView,
        O: Observer,
        P: Plasticity,
    {
        // Without trains (a network of spike inputs only) and without
        // forecasts (plain neurons) a target has nothing of its own to do
        // before an input: one load of a random neuron's train less per
        // delivery.
        let mut asked = 0;
        if step.trains.none() && !N::FORECASTS {
            while let Some(group) = self.arrivals.next_group(end) {
                asked = self.ask_for_runs(synapses.connectome, asked, group.end);
                step = self.deliver_group::<false, _, _, _, _>(step, synapses, group);
            }
        } else {
            while let Some(group) = self.arrivals.next_group(end) {
                asked = self.ask_for_runs(synapses.connectome, asked, group.end);
                step = self.deliver_group::<true, _, _, _, _>(step, synapses, group);
            }
        }
        step
    }

    /// Ask for the stored targets of the open window's static arrivals
    /// from `asked` to `RUNS_AHEAD` past `until` (the end of the group
    /// about to be delivered); how far that is. A run comes from memory
    /// (the synapse arrays are far larger than the caches): asked for all
    /// at once, its lines arrive together instead of one miss after the
    /// other, and the next runs' while this one is delivered.
    #[inline(always)]
    fn ask_for_runs(&self, connectome: &Connectome, mut asked: usize, until: usize) -> usize {
        const RUNS_AHEAD: usize = 2;
        while asked < until + RUNS_AHEAD {
            let Some(a) = self.arrivals.get_open(asked) else {
                break;
            };
            if !a.is_plastic() {
                connectome.prefetch_targets(a.start, a.len);
            }
            asked += 1;
        }
        asked
    }

    /// The arrivals of one tick (`group`): a lone one target by target,
    /// several summed per target first. Without `TRAINS` no target has a
    /// train event due at or before the tick.
    #[inline(always)]
    fn deliver_group<'a, const TRAINS: bool, N, T, O, P>(
        &mut self,
        step: Step<'a, N, T, O>,
        synapses: &mut Synapses<'_, P>,
        group: Range<usize>,
    ) -> Step<'a, N, T, O>
    where
        N: NeuronView<Sum = S>,
        T: TrainView,
        O: Observer,
        P: Plasticity,
    {
        if group.len() == 1 {
            let a = self.arrivals.get(group.start);
            deliver_lone::<TRAINS, false, _, _, _, _>(step, synapses, a)
        } else {
            self.deliver_several::<TRAINS, _, _, _, _>(step, synapses, group)
        }
    }

    /// Several arrivals at one tick: summed per target, then applied; but
    /// the static and plastic runs of one spike that reach different
    /// neurons each as a lone arrival (`apart_sources.rs`; not observed:
    /// an observer sees a tick's deliveries before its inputs).
    #[inline(never)]
    fn deliver_several<'a, const TRAINS: bool, N, T, O, P>(
        &mut self,
        step: Step<'a, N, T, O>,
        synapses: &mut Synapses<'_, P>,
        group: Range<usize>,
    ) -> Step<'a, N, T, O>
    where
        N: NeuronView<Sum = S>,
        T: TrainView,
        O: Observer,
        P: Plasticity,
    {
        if group.len() == 2 && !O::SEES_DELIVERIES {
            let a = self.arrivals.get(group.start);
            let b = self.arrivals.get(group.start + 1);
            if self.apart.pair(a, b) {
                let step = deliver_lone::<TRAINS, true, _, _, _, _>(step, synapses, a);
                return deliver_lone::<TRAINS, true, _, _, _, _>(step, synapses, b);
            }
        }
        let mut step = step.here();
        let table = synapses.connectome.classes();
        let t = self.arrivals.get(group.start).time;
        if !O::SEES_DELIVERIES
            && self
                .singles
                .gather(&self.arrivals, &step, synapses, group.clone())
        {
            self.singles
                .deliver::<TRAINS, _, _, _>(&self.arrivals, &mut step, group, t);
            return step;
        }
        let lagged = group.clone().any(|k| self.arrivals.get(k).spike.lag != 0.0);
        self.sums.next_tick();
        if !O::SEES_DELIVERIES && self.mostly_apart(group.clone(), step.len()) {
            step = self.add_apart::<TRAINS, _, _, _, _>(step, synapses, group, (t, lagged));
        } else {
            // Arrivals of few targets each (camera events: one) scatter into the
            // sums at random: each asks for its first target's entry and state
            // `PREFETCH_AHEAD` arrivals early, the state for when the sums are
            // handed over (a hint: a shared run's shift and a plastic run's
            // numbering are ignored).
            let hint =
                |arrivals: &ArrivalQueue, sums: &Sums<S>, step: &Step<'a, N, T, O>, k: usize| {
                    let a = arrivals.get(k);
                    if let Some(i) = synapses.connectome.stored_target(a.start) {
                        sums.prefetch(i);
                        step.prefetch::<TRAINS>(i);
                    }
                };
            for k in group.start..group.end.min(group.start + PREFETCH_AHEAD) {
                hint(&self.arrivals, &self.sums, &step, k);
            }
            for k in group.clone() {
                if k + PREFETCH_AHEAD < group.end {
                    hint(&self.arrivals, &self.sums, &step, k + PREFETCH_AHEAD);
                }
                let a = self.arrivals.get(k);
                let sums = &mut self.sums;
                let add = Accumulate {
                    sums,
                    step: &mut step,
                    a,
                    table,
                };
                synapses.visit(a, add);
                step.count(a.spike.source, u64::from(a.len));
            }
        }
        // Lagged arrivals (another partition's current-driven spikes) are
        // rare: the zero-lag loops are compiled without a lag at all.
        if lagged {
            self.sums.deliver::<TRAINS, true, _, _, _>(&mut step, t);
        } else {
            self.sums.deliver::<TRAINS, false, _, _, _>(&mut step, t);
        }
        step
    }

    /// Whether the arrivals of `group` are static and reach few enough
    /// synapses among `n` neurons for most targets to be reached once (a
    /// tick of many arrivals into a small network mostly sums).
    #[inline(always)]
    fn mostly_apart(&self, group: Range<usize>, n: usize) -> bool {
        let mut synapses = 0;
        for k in group {
            let a = self.arrivals.get(k);
            if a.is_plastic() {
                return false;
            }
            synapses += a.len as usize;
        }
        synapses <= n / 8
    }

    /// Several static arrivals at one tick, reaching mostly different
    /// neurons (`tick_marks.rs`): a first pass marks the neurons reached
    /// more than once; in the second, those add their inputs to the tick's
    /// sums (handed over after, as every sum), the others take theirs at
    /// once (`0 + w`, with their arrival's lag: what the sums would hand
    /// over). Each neuron gets exactly the calls of the summed path.
    #[inline(always)]
    fn add_apart<'a, const TRAINS: bool, N, T, O, P>(
        &mut self,
        mut step: Step<'a, N, T, O>,
        synapses: &mut Synapses<'_, P>,
        group: Range<usize>,
        (t, lagged): (Time, bool),
    ) -> Step<'a, N, T, O>
    where
        N: NeuronView<Sum = S>,
        T: TrainView,
        O: Observer,
        P: Plasticity,
    {
        let table = synapses.connectome.classes();
        for k in group.clone() {
            let marks = &mut self.marks;
            synapses.visit(self.arrivals.get(k), Mark { marks });
        }
        for k in group {
            let a = self.arrivals.get(k);
            let apart = Apart::<TRAINS, _, _, _, _> {
                marks: &mut self.marks,
                sums: &mut self.sums,
                step: &mut step,
                lag: if lagged { a.spike.lag } else { 0.0 },
                t,
                table,
            };
            synapses.visit(a, apart);
            step.count(a.spike.source, u64::from(a.len));
        }
        for &i in self.sums.touched() {
            self.marks.clear_again(i);
        }
        step
    }

    /// The rest of the window: the sole inputs' arrivals before `end`
    /// (`sole_inputs.rs`), then every neuron's trains and forecasts before
    /// `end`.
    #[inline(never)]
    fn sweep<'a, N, T, O>(&mut self, step: Step<'a, N, T, O>, end: Time) -> Step<'a, N, T, O>
    where
        N: NeuronView<Sum = S>,
        T: TrainView,
        O: Observer,
    {
        let mut step = step.here();
        if let Some(sole) = self.sole.as_mut().filter(|s| s.any_before(end)) {
            step = if step.trains.none() && !N::FORECASTS {
                sole.deliver::<false, _, _, _>(step, end)
            } else {
                sole.deliver::<true, _, _, _>(step, end)
            };
        }
        // Without trains nobody has events to take: a network of spike
        // inputs only (a NIR graph on a camera) pays per window for the
        // spikes it has, not for its size.
        // (Finishing a neuron changes no other neuron's trains: each 64's
        // mask, taken before any of them is finished, stays true.)
        if !step.trains.none() {
            let n = step.len();
            for from in (0..n).step_by(64) {
                let mut due = step.trains.due_mask(from, n.min(from + 64), end);
                while due != 0 {
                    let i = step.local(from as u32 + due.trailing_zeros());
                    due &= due - 1;
                    step.finish(i, end);
                }
            }
        }
        if N::FORECASTS {
            step.neurons.take_due(end, &mut self.due);
            for &i in &self.due {
                let i = step.local(i);
                step.finish(i, end);
            }
            self.due.clear();
        }
        step
    }

    /// The window worked off in time order with its train events pooled:
    /// before each arrival tick the events before it, then the tick's
    /// arrivals without asking each target for train events (with, when
    /// one falls on the tick: then those left on it are taken alone after
    /// it). Leaves the events after the last tick to the sweep.
    #[inline(never)]
    fn deliver_pooled<'a, N, T, O, P>(
        &mut self,
        step: Step<'a, N, T, O>,
        synapses: &mut Synapses<'_, P>,
        pool: &mut Pool,
        end: Time,
    ) -> Step<'a, N, T, O>
    where
        N: NeuronView<Sum = S>,
        T: TrainView,
        O: Observer,
        P: Plasticity,
    {
        let mut step = step.here();
        let pool = &mut pool.trains;
        for i in 0..step.len() as u32 {
            let t = step.trains.next(step.local(i));
            if t < end {
                pool.file(i, t);
            }
        }
        let mut k = 0;
        while let Some(group) = self.arrivals.next_group(end) {
            let t = self.arrivals.get(group.start).time;
            // The events filed before tick `k`, and those they lead to.
            let mut ahead = pool.first_before(k);
            for _ in 0..PREFETCH_AHEAD {
                ahead = pool.after(ahead);
            }
            while let Some(i) = pool.pop_before(k) {
                if let Some(a) = pool.listed(ahead) {
                    step.prefetch::<true>(a);
                    ahead = pool.after(ahead);
                }
                let next = step.train_events_alone(step.local(i));
                if next < end {
                    pool.file(i, next);
                }
            }
            if pool.at[k].is_empty() {
                step = self.deliver_group::<false, _, _, _, _>(step, synapses, group);
            } else {
                step = self.deliver_group::<true, _, _, _, _>(step, synapses, group);
                // Events on the tick not taken with an input.
                while let Some(i) = pool.at[k].pop() {
                    let local = step.local(i);
                    let mut next = step.trains.next(local);
                    if next == t {
                        next = step.train_events_alone(local);
                    }
                    if next < end {
                        pool.file(i, next);
                    }
                }
            }
            k += 1;
        }
        // Those filed after the last tick are the sweep's.
        while pool.pop_before(k).is_some() {}
        step
    }
}

/// A lone arrival at its tick: each target (with its multapses) gets its
/// input at once. `SUMMED`: the arrival is one of a tick's several, and
/// each target's inputs are summed from zero, as the tick's sums would be.
#[inline(never)]
fn deliver_lone<
    'a,
    const TRAINS: bool,
    const SUMMED: bool,
    N: NeuronView,
    T: TrainView,
    O: Observer,
    P: Plasticity,
>(
    step: Step<'a, N, T, O>,
    synapses: &mut Synapses<'_, P>,
    a: Arrival,
) -> Step<'a, N, T, O> {
    let mut step = step.here();
    let table = synapses.connectome.classes();
    let s = &mut step;
    if a.spike.lag == 0.0 {
        let lone = Lone::<TRAINS, false, SUMMED, _, _, _> { step: s, a, table };
        synapses.visit(a, lone);
    } else {
        let lone = Lone::<TRAINS, true, SUMMED, _, _, _> { step: s, a, table };
        synapses.visit(a, lone);
    }
    step.count(a.spike.source, u64::from(a.len));
    step
}

/// A window's synapses: static runs read from the connectome, plastic
/// runs updated as their spike lands.
pub(super) struct Synapses<'s, P> {
    pub(super) connectome: &'s Connectome,
    plastic: &'s mut PlasticSynapses<P>,
    /// Scratch: the targets of a shared run, shifted.
    shifted: Vec<u32>,
}

impl<P: Plasticity> Synapses<'_, P> {
    /// Visit the run of arrival `a`.
    #[inline(always)]
    pub(super) fn visit<V: RunVisitor>(&mut self, a: Arrival, v: V) -> V::Output {
        if a.is_plastic() {
            let run = PlasticRun {
                first: a.start as u32,
                len: a.len,
                delay: a.time - a.spike.time,
            };
            let first = self.connectome.classes().len() as u32 + run.first;
            let (targets, weights) = self.plastic.transmit(a.spike, run);
            v.visit(targets, PlasticWeights { weights, first })
        } else {
            let run = (a.start, a.end());
            let shifted = &mut self.shifted;
            self.connectome
                .visit_targets(a.spike.source, run, a.one_class(), shifted, v)
        }
    }
}

/// A run of plastic synapses as it transmits: its weights, and the class
/// number observers see for its first synapse (`n_static + k`).
#[derive(Clone, Copy)]
struct PlasticWeights<'w> {
    weights: &'w [f64],
    first: u32,
}

impl RunClasses for PlasticWeights<'_> {
    #[inline(always)]
    fn class(self, k: usize) -> u32 {
        self.first + k as u32
    }

    #[inline(always)]
    fn weight(self, k: usize, _: &[SynapseClass]) -> f64 {
        self.weights[k]
    }
}

/// A lone arrival: each target (with its multapses) gets its input at once
/// (`SUMMED`: summed from zero, see [`deliver_lone`]).
struct Lone<'s, 'a, const TRAINS: bool, const LAGGED: bool, const SUMMED: bool, N, T, O> {
    step: &'s mut Step<'a, N, T, O>,
    a: Arrival,
    table: &'s [SynapseClass],
}

impl<
        const TRAINS: bool,
        const LAGGED: bool,
        const SUMMED: bool,
        N: NeuronView,
        T: TrainView,
        O: Observer,
    > RunVisitor for Lone<'_, '_, TRAINS, LAGGED, SUMMED, N, T, O>
{
    type Output = ();

    #[inline(always)]
    fn visit<C: RunClasses>(self, targets: &[u32], classes: C) {
        let Lone { step, a, table } = self;
        let n = targets.len();
        let mut k = 0;
        // Targets far enough from the end prefetch one `PREFETCH_AHEAD` on;
        // the tail has nothing left to prefetch.
        let prefetching = n.saturating_sub(PREFETCH_AHEAD);
        // The first targets are asked for together, so that their misses
        // overlap instead of following one another.
        for &i in &targets[..n.min(PREFETCH_AHEAD)] {
            step.prefetch::<TRAINS>(i);
        }
        while k < prefetching {
            step.prefetch::<TRAINS>(targets[k + PREFETCH_AHEAD]);
            if TRAINS {
                step.trains.prefetch_train(targets[k + PREFETCH_AHEAD / 2]);
            }
            k = lone_target::<TRAINS, LAGGED, SUMMED, _, _, _, _>(
                step, a, targets, classes, table, k,
            );
        }
        while k < n {
            k = lone_target::<TRAINS, LAGGED, SUMMED, _, _, _, _>(
                step, a, targets, classes, table, k,
            );
        }
    }
}

/// Deliver the target at `k` of a lone arrival's run with its multapses
/// (summed in synapse order); the offset of the next target.
#[inline(always)]
fn lone_target<
    const TRAINS: bool,
    const LAGGED: bool,
    const SUMMED: bool,
    N: NeuronView,
    T: TrainView,
    O: Observer,
    C: RunClasses,
>(
    step: &mut Step<'_, N, T, O>,
    a: Arrival,
    targets: &[u32],
    classes: C,
    table: &[SynapseClass],
    mut k: usize,
) -> usize {
    let n = targets.len();
    let i = step.local(targets[k]);
    step.prepare(i, a.time);
    let w = classes.weight(k, table);
    step.watch
        .delivery(i.0, &a.delivery(i.0, classes.class(k), w));
    let mut sum = N::Sum::one(w);
    if SUMMED {
        sum = N::Sum::default();
        sum.add(w);
    }
    k += 1;
    if k < n && targets[k] == i.0 {
        // Several: summed from zero, as every sum of inputs.
        sum = N::Sum::default();
        sum.add(w);
        while k < n && targets[k] == i.0 {
            let w = classes.weight(k, table);
            step.watch
                .delivery(i.0, &a.delivery(i.0, classes.class(k), w));
            sum.add(w);
            k += 1;
        }
    }
    let lag = if LAGGED { a.spike.lag } else { 0.0 };
    step.deliver::<TRAINS>(i, a.time, lag, sum);
    k
}

/// One of several arrivals at a tick: its inputs added to their targets' sums.
struct Accumulate<'s, 'a, S, N, T, O> {
    sums: &'s mut Sums<S>,
    step: &'s mut Step<'a, N, T, O>,
    a: Arrival,
    table: &'s [SynapseClass],
}

impl<S: Sum, N: NeuronView<Sum = S>, T: TrainView, O: Observer> RunVisitor
    for Accumulate<'_, '_, S, N, T, O>
{
    type Output = ();

    #[inline(always)]
    fn visit<C: RunClasses>(self, targets: &[u32], classes: C) {
        let Accumulate {
            sums,
            step,
            a,
            table,
        } = self;
        for (k, &i) in targets.iter().enumerate() {
            if let Some(&ahead) = targets.get(k + PREFETCH_AHEAD) {
                sums.prefetch(ahead);
            }
            let w = classes.weight(k, table);
            if sums.add(i, a.spike.lag, w) {
                // First touch: its earlier events come first.
                step.prepare(step.local(i), a.time);
            }
            step.watch.delivery(i, &a.delivery(i, classes.class(k), w));
        }
    }
}
