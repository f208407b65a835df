//! The per-neuron step, written once: advance a neuron to tick `t` (its due
//! forecast, then its train events before `t`, in time order), add its train
//! events at `t` to the inputs that coincide there, let it receive the sum,
//! note what happened. Every delivery strategy goes through it.
//!
//! What varies is a type parameter, so each combination is compiled into
//! its own tight loop: the neurons ([`PlainView`]: no forecasts, totals
//! only — Brunel's `lif_delta`; [`GeneralView`]: any [`Dynamics`]), the
//! trains ([`TrainView`]) and the [`Observer`].

use super::clocks::Clocks;
use super::trains::TrainView;
use super::{Counters, Local};
use crate::dynamics::{Dynamics, Input, Outcome, PlainNeurons};
use crate::observer::Observer;
use crate::spike::{Delivery, Gid};
use crate::time::Time;

/// How many targets (or arrivals) ahead a delivery loop prefetches state.
pub(super) const PREFETCH_AHEAD: usize = 8;

/// What the inputs of one neuron at one tick are summed into.
pub(super) trait Sum: Copy + Default {
    /// One input alone.
    fn one(w: f64) -> Self;
    /// One more input.
    fn add(&mut self, w: f64);
}

/// Plain neurons read only the total.
impl Sum for f64 {
    #[inline(always)]
    fn one(w: f64) -> Self {
        w
    }
    #[inline(always)]
    fn add(&mut self, w: f64) {
        *self += w;
    }
}

impl Sum for Input {
    #[inline(always)]
    fn one(w: f64) -> Self {
        Input::single(w)
    }
    #[inline(always)]
    fn add(&mut self, w: f64) {
        Input::add(self, w);
    }
}

/// The neurons as a step sees them.
pub(super) trait NeuronView {
    /// What a tick's inputs are summed into.
    type Sum: Sum;
    /// Whether a neuron can fire without input (forecasts to keep).
    const FORECASTS: bool;
    /// Number of neurons.
    fn len(&self) -> usize;
    /// Neuron `i` takes `sum` at `t + lag`: what happened, and a spike's lag.
    fn input(&mut self, i: Local, t: Time, lag: f32, sum: Self::Sum) -> (Outcome, f32);
    /// Neuron `i`'s predicted spike time (`NEVER` if none).
    fn forecast(&self, i: Local) -> Time;
    /// Neuron `i`'s prediction `t` is due.
    fn on_forecast(&mut self, i: Local, t: Time) -> (Outcome, f32);
    /// Hint that neuron `i` (any index) takes an input soon.
    fn prefetch(&self, i: u32);
    /// Append the neurons whose prediction falls before `end` to `out`.
    fn take_due(&mut self, end: Time, out: &mut Vec<u32>);
}

/// Plain neurons ([`Dynamics::is_plain`]), borrowed for a window.
pub(super) struct PlainView<P>(pub(super) P);

impl<P: PlainNeurons> NeuronView for PlainView<P> {
    type Sum = f64;
    const FORECASTS: bool = false;

    #[inline(always)]
    fn len(&self) -> usize {
        self.0.len()
    }

    #[inline(always)]
    fn input(&mut self, i: Local, t: Time, lag: f32, total: f64) -> (Outcome, f32) {
        if lag != 0.0 {
            return self.0.lagged_input(i.0, t, lag, total);
        }
        // SAFETY: `Local` indices are below the step's length, which is at
        // most `len()` (asserted in `Step::new`).
        (unsafe { self.0.input_unchecked(i.0, t, total) }, 0.0)
    }

    #[inline(always)]
    fn forecast(&self, _: Local) -> Time {
        Time::NEVER
    }

    fn on_forecast(&mut self, _: Local, _: Time) -> (Outcome, f32) {
        unreachable!("plain neurons never forecast")
    }

    #[inline(always)]
    fn prefetch(&self, i: u32) {
        self.0.prefetch(i);
    }

    #[inline(always)]
    fn take_due(&mut self, _: Time, _: &mut Vec<u32>) {}
}

/// Any neurons, with their forecasts.
pub(super) struct GeneralView<'a, D> {
    pub(super) dynamics: &'a mut D,
    pub(super) clocks: &'a mut Clocks,
}

impl<D: Dynamics> NeuronView for GeneralView<'_, D> {
    type Sum = Input;
    const FORECASTS: bool = true;

    #[inline(always)]
    fn len(&self) -> usize {
        self.dynamics.len() as usize
    }

    #[inline(always)]
    fn input(&mut self, i: Local, t: Time, lag: f32, input: Input) -> (Outcome, f32) {
        let r = self.dynamics.on_input(i.0, t, lag, input);
        self.clocks.set(i.0, r.forecast);
        (Outcome::of(&r), r.lag)
    }

    #[inline(always)]
    fn forecast(&self, i: Local) -> Time {
        self.clocks.at(i.0)
    }

    #[inline(always)]
    fn on_forecast(&mut self, i: Local, t: Time) -> (Outcome, f32) {
        self.clocks.clear(i.0);
        let r = self.dynamics.on_forecast(i.0, t);
        self.clocks.set(i.0, r.forecast);
        (Outcome::of(&r), r.lag)
    }

    #[inline(always)]
    fn prefetch(&self, i: u32) {
        self.dynamics.prefetch(i);
        self.clocks.prefetch(i);
    }

    #[inline(always)]
    fn take_due(&mut self, end: Time, out: &mut Vec<u32>) {
        self.clocks.take_due(end, out);
    }
}

/// The most spikes one partition buffers in one window (256 MiB of
/// `Fired`): beyond any network's activity (a million neurons of one
/// thread at 100 Hz fire 10^7 times even in a 100 ms window), reached only
/// by a spike storm, which would otherwise grow the buffer until the
/// machine runs out.
pub const MAX_SPIKES_PER_WINDOW: usize = 1 << 24;

/// A neuron fired: emitted when the window's work is done.
#[derive(Clone, Copy, Debug)]
pub(super) struct Fired {
    /// Its local index.
    pub(super) neuron: u32,
    /// The tick.
    pub(super) time: Time,
    /// Exact time minus the tick (ms).
    pub(super) lag: f32,
}

/// Shows processed inputs to the observer (nothing for `NoObserver`).
pub(super) struct Watch<'a, O> {
    pub(super) observer: &'a mut O,
    pub(super) gids: &'a [Gid],
    pub(super) partition: usize,
}

impl<O: Observer> Watch<'_, O> {
    /// Neuron `i` processes `d`.
    #[inline(always)]
    pub(super) fn delivery(&mut self, i: u32, d: &Delivery) {
        if O::SEES_DELIVERIES {
            self.observer
                .on_delivery(self.partition, self.gids[i as usize], d);
        }
    }
}

/// What a step reports to, besides its views.
pub(super) struct Context<'a, O> {
    pub(super) watch: Watch<'a, O>,
    pub(super) fired: &'a mut Vec<Fired>,
    /// Gids below this are network neurons (their inputs are recurrent).
    pub(super) n_network: u32,
    /// A spike storm was seen in an earlier window (the run is failing).
    pub(super) stormed: bool,
}

/// One partition's neurons and trains, borrowed for a window's work.
/// Made where the work is done (a local there: its views stay in
/// registers; behind a reference, each store into a neuron reloaded them).
pub(super) struct Step<'a, N, T, O> {
    pub(super) neurons: N,
    pub(super) trains: T,
    pub(super) watch: Watch<'a, O>,
    fired: &'a mut Vec<Fired>,
    /// Counted here, in locals, and added to the partition's at the end.
    counters: Counters,
    /// Gids below this are network neurons (their inputs are recurrent).
    n_network: u32,
    /// A spike storm filled the spike buffer: from then on a neuron's own
    /// firing is not followed further (the run stops with an error at the
    /// end of its step), so a storm costs one buffer, not one spike per
    /// tick to the end of the window.
    stormed: bool,
    len: usize,
}

impl<'a, N: NeuronView, T: TrainView, O: Observer> Step<'a, N, T, O> {
    #[inline(always)]
    pub(super) fn new(neurons: N, trains: T, ctx: Context<'a, O>) -> Self {
        let len = ctx.watch.gids.len();
        // What makes `Local` indices (below `len`) valid for every array.
        assert!(neurons.len() >= len && trains.len() >= len);
        Step {
            neurons,
            trains,
            watch: ctx.watch,
            fired: ctx.fired,
            counters: Counters::default(),
            n_network: ctx.n_network,
            stormed: ctx.stormed,
            len,
        }
    }

    /// The step moved into the calling function's own frame: an
    /// out-of-line hot function starts with `let mut step = step.here();`,
    /// and the compiler keeps the step's views in registers (on the
    /// caller's memory, it reloaded them after each store into a neuron:
    /// +1.2 % instructions on Brunel).
    #[inline(always)]
    pub(super) fn here(self) -> Self {
        self
    }

    /// Number of neurons.
    #[inline(always)]
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Check neuron `i` once against all arrays (a local index from the
    /// connectome, a queue or a list is always in range).
    #[inline(always)]
    pub(super) fn local(&self, i: u32) -> Local {
        assert!((i as usize) < self.len, "local index {i} out of range");
        Local(i)
    }

    /// Count `n` inputs from `source` (train events count themselves).
    #[inline(always)]
    pub(super) fn count(&mut self, source: Gid, n: u64) {
        if source.0 < self.n_network {
            self.counters.recurrent_events += n;
        } else {
            self.counters.external_events += n;
        }
    }

    /// Count `n` inputs from input nodes.
    #[inline(always)]
    pub(super) fn count_external(&mut self, n: u64) {
        self.counters.external_events += n;
    }

    /// What was counted (spikes are counted where they are emitted).
    #[inline(always)]
    pub(super) fn counters(&self) -> Counters {
        let mut c = self.counters;
        c.external_events += self.trains.events();
        c
    }

    /// Hint that neuron `i` (any index) takes an input soon, and, with
    /// `TRAINS`, reads its trains.
    #[inline(always)]
    pub(super) fn prefetch<const TRAINS: bool>(&self, i: u32) {
        self.neurons.prefetch(i);
        if TRAINS {
            self.trains.prefetch(i);
        }
    }

    /// Note what neuron `i` did at `t`.
    #[inline(always)]
    fn note(&mut self, i: Local, t: Time, (outcome, lag): (Outcome, f32)) {
        match outcome {
            Outcome::Quiet => {}
            Outcome::Discarded => self.counters.discarded_events += 1,
            Outcome::Spiked if !self.stormed && self.fired.len() < MAX_SPIKES_PER_WINDOW => {
                self.fired.push(Fired {
                    neuron: i.0,
                    time: t,
                    lag,
                })
            }
            Outcome::Spiked => {
                self.stormed = true;
                self.counters.storm_spikes += 1;
            }
        }
    }

    /// Hand neuron `i` its summed inputs of tick `t` (exact time `t + lag`),
    /// nothing else of it being due at or before `t`.
    #[inline(always)]
    pub(super) fn receive(&mut self, i: Local, t: Time, lag: f32, sum: N::Sum) {
        let r = self.neurons.input(i, t, lag, sum);
        self.note(i, t, r);
    }

    /// Neuron `i`'s events before `trains_before` (train events) and
    /// `forecasts_before` (its prediction), in time order, a prediction
    /// first at equal times (NEST tests the threshold before adding
    /// same-time input).
    #[inline(always)]
    pub(super) fn advance(&mut self, i: Local, trains_before: Time, forecasts_before: Time) {
        loop {
            let t_train = self.trains.next(i);
            if N::FORECASTS {
                let t_forecast = self.neurons.forecast(i);
                if t_forecast < forecasts_before && t_forecast <= t_train {
                    let r = self.neurons.on_forecast(i, t_forecast);
                    self.note(i, t_forecast, r);
                    if self.stormed {
                        return;
                    }
                    continue;
                }
            }
            if t_train >= trains_before {
                return;
            }
            self.train_events_alone(i);
        }
    }

    /// Advance neuron `i` to tick `t`: everything of its own before `t`,
    /// and its prediction if due at `t`.
    #[inline(always)]
    pub(super) fn advance_to(&mut self, i: Local, t: Time) {
        self.advance(i, t, t.saturating_add(Time(1)));
    }

    /// Before an observer sees neuron `i`'s inputs at `t`: advance it to `t`
    /// (its earlier events are seen first). Unobserved,
    /// [`deliver`](Self::deliver) advances it there anyway.
    #[inline(always)]
    pub(super) fn prepare(&mut self, i: Local, t: Time) {
        if O::SEES_DELIVERIES {
            self.advance_to(i, t);
        }
    }

    /// Neuron `i`'s train events at their next arrival, taken alone (nothing
    /// else of it is due first); its next arrival after them.
    #[inline(always)]
    pub(super) fn train_events_alone(&mut self, i: Local) -> Time {
        let t = self.trains.next(i);
        let mut sum = N::Sum::default();
        let next = self.consume_trains(i, t, &mut sum);
        self.receive(i, t, 0.0, sum);
        next
    }

    /// Neuron `i` takes `sum` (its inputs at `t` from the connectome) and its
    /// train events at `t`, after everything of its own before. Without
    /// `TRAINS` the caller knows that none is due at or before `t`.
    #[inline(always)]
    pub(super) fn deliver<const TRAINS: bool>(
        &mut self,
        i: Local,
        t: Time,
        lag: f32,
        mut sum: N::Sum,
    ) {
        if TRAINS {
            self.advance_to(i, t);
            if self.trains.next(i) == t {
                self.consume_trains(i, t, &mut sum);
            }
        }
        self.receive(i, t, lag, sum);
    }

    /// Consume neuron `i`'s train events at `t` into `sum` (shown to the
    /// observer); its next train arrival.
    #[inline(always)]
    fn consume_trains(&mut self, i: Local, t: Time, sum: &mut N::Sum) -> Time {
        let watch = &mut self.watch;
        self.trains.consume(i, t, |source, synapse, weight| {
            sum.add(weight);
            let (target, lag) = (i.0, 0.0);
            let d = Delivery {
                time: t,
                target,
                source,
                synapse,
                weight,
                lag,
            };
            watch.delivery(target, &d);
        })
    }

    /// Neuron `i`'s events before `end`: the rest of its window.
    #[inline(always)]
    pub(super) fn finish(&mut self, i: Local, end: Time) {
        self.advance(i, end, end);
    }
}
