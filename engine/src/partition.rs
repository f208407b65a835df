//! A partition: the part of the network one worker owns outright, made of
//! parts that each have one job —
//! - the neurons ([`Dynamics`]) and their clocks (`clocks.rs`: predicted
//!   spikes and the index that finds the due ones),
//! - their input trains (`trains.rs`: the only holder of next arrivals),
//! - their incoming synapses, static ([`Connectome`]) and plastic
//!   ([`PlasticSynapses`]),
//! - the delivery strategy chosen once for them, with its queue (`plan.rs`,
//!   `direct.rs` with `sums.rs`, `grouped.rs`),
//! - the [`Drive`]s of input nodes,
//! - the routing of emitted spikes (`routing.rs`), and a sink: counters,
//!   recorder, observer.
//!
//! Nothing is shared but read-only routing tables. Within a window no neuron
//! can affect another (every delay is at least the window length), so a
//! partition advances neuron by neuron: each consumes, in exact time order,
//! its deliveries of the window, its own trains and its forecast spike,
//! through the one per-neuron step (`step.rs`). The spikes it fires are
//! emitted when the window's work is done (they reach other neurons a
//! window later at the earliest).

mod apart_sources;
mod clocks;
mod direct;
mod grouped;
mod plan;
mod pool_choice;
mod routing;
mod single_inputs;
mod snapshot;
mod sole_inputs;
mod source_runs;
mod step;
mod sums;
mod tick_marks;
mod train_pool;
mod trains;

pub use pool_choice::PoolMode;
pub use step::MAX_SPIKES_PER_WINDOW;

use crate::connectome::Connectome;
use crate::drive::Drive;
use crate::dynamics::{Dynamics, GeneralWork, Input, PlainNeurons, PlainWork};
use crate::observer::{NoObserver, Observer};
use crate::plasticity::{
    NoPlasticity, PlasticSynapses, PlasticWiring, Plasticity, MAX_CLASS_NUMBERS,
};
use crate::poisson::PoissonTrains;
use crate::recorder::SpikeRecorder;
use crate::spike::{Gid, Spike};
use crate::time::Time;
use crate::window::{SyncWindow, Timing};
use clocks::Clocks;
use direct::Direct;
use grouped::Grouped;
use plan::Strategy;
use routing::Routing;
use std::sync::Arc;
use step::{Context, Fired, GeneralView, PlainView, Watch};
use trains::{with_train_view, TrainSets};

/// Event counts of one partition.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counters {
    /// Deliveries processed whose source is a network neuron.
    pub recurrent_events: u64,
    /// Deliveries processed from external inputs.
    pub external_events: u64,
    /// Deliveries discarded by design (arrived during refractoriness).
    pub discarded_events: u64,
    /// Spikes emitted by this partition's neurons.
    pub spikes: u64,
    /// Spikes dropped because one window's spike buffer held
    /// [`MAX_SPIKES_PER_WINDOW`] already: a spike storm (neurons firing
    /// again the tick their refractory period ends). A run that drops any
    /// must stop with an error ([`crate::Simulation::spike_storm`]).
    pub storm_spikes: u64,
}

// Saturating: counts loaded from a checkpoint file are not trusted.
impl std::ops::AddAssign for Counters {
    fn add_assign(&mut self, o: Counters) {
        self.recurrent_events = self.recurrent_events.saturating_add(o.recurrent_events);
        self.external_events = self.external_events.saturating_add(o.external_events);
        self.discarded_events = self.discarded_events.saturating_add(o.discarded_events);
        self.spikes = self.spikes.saturating_add(o.spikes);
        self.storm_spikes = self.storm_spikes.saturating_add(o.storm_spikes);
    }
}

/// A local neuron index checked once against every array a step indexes
/// ([`Step::local`](step::Step::local)), instead of once per array.
#[derive(Clone, Copy, Debug)]
struct Local(u32);

/// Where what a partition does is reported.
struct Sink<O> {
    counters: Counters,
    recorder: SpikeRecorder,
    observer: O,
    /// Spikes fired in the current window, not yet emitted.
    fired: Vec<Fired>,
    /// Gids below this are network neurons (their deliveries are recurrent).
    n_network: u32,
    /// Recent spikes, kept for checkpoints (`None`: not kept).
    in_flight: Option<snapshot::InFlight>,
}

/// The input nodes a partition expands itself, window by window.
struct Drives {
    drives: Vec<Box<dyn Drive>>,
    /// Scratch: one window's spikes of them.
    spikes: Vec<Spike>,
    /// Scratch: their sort's buffer.
    sorted: Vec<Spike>,
}

/// One worker's share of the network. Aligned to 128 bytes so that the hot
/// fields of partitions stored side by side never share a cache line (or a
/// prefetched pair of lines) between worker threads.
#[repr(align(128))]
pub struct Partition<D: Dynamics, P: Plasticity = NoPlasticity, O: Observer = NoObserver> {
    /// Neuron state and update rules.
    pub dynamics: D,
    clocks: Clocks,
    trains: TrainSets,
    /// Incoming static synapses of local neurons, grouped by source gid.
    connectome: Connectome,
    plastic: PlasticSynapses<P>,
    strategy: Strategy,
    drives: Drives,
    routing: Routing,
    sink: Sink<O>,
    timing: Timing,
    started: bool,
}

/// What a partition is built from.
pub struct PartitionParts<D, P> {
    /// This partition's number.
    pub index: usize,
    /// Number of partitions.
    pub parts: usize,
    /// Neuron state.
    pub dynamics: D,
    /// Gids of local neurons, increasing.
    pub gids: Vec<Gid>,
    /// Incoming synapses of local neurons, grouped by source gid.
    pub connectome: Connectome,
    /// Incoming plastic synapses of local neurons (empty if none).
    pub plastic: PlasticWiring,
    /// Their state and rules (`None` if there is no plastic synapse).
    pub plasticity: Option<P>,
    /// Per neuron gid: bit set of the other partitions holding its targets.
    pub destinations: Arc<[u64]>,
    /// Spike-emitting inputs.
    pub drives: Vec<Box<dyn Drive>>,
    /// Per-target input trains of local neurons.
    pub trains: Vec<PoissonTrains>,
    /// Recorder of local neurons.
    pub recorder: SpikeRecorder,
    /// Gids below this are network neurons.
    pub n_network_neurons: u32,
    /// The run's windows (the same for every partition).
    pub timing: Timing,
}

impl<D: Dynamics, P: Plasticity> Partition<D, P, NoObserver> {
    /// Assemble a partition.
    pub fn new(p: PartitionParts<D, P>) -> Self {
        let n = p.dynamics.len() as usize;
        assert_eq!(n, p.gids.len(), "one gid per neuron");
        assert!(
            p.connectome.classes().len() as u64 + p.plastic.len() as u64 <= MAX_CLASS_NUMBERS,
            "too many synapse classes and plastic synapses in one partition"
        );
        let feeds_local = p
            .gids
            .iter()
            .map(|&g| p.connectome.out_degree(g) > 0 || !p.plastic.synapses_of(g).0.is_empty())
            .collect();
        let trains = TrainSets::new(n, p.trains);
        let wiring = p.plastic;
        let mut strategy = plan::plan(&p.dynamics, &p.connectome, &wiring, &trains, p.timing);
        // Only a drive's spikes can take the sole inputs' queue (a network
        // neuron's are queued when they are received).
        if !p.drives.is_empty() {
            strategy.set_sole_inputs(sole_inputs::SoleInputs::plan(
                n,
                &p.connectome,
                &wiring,
                trains.targets(),
                p.n_network_neurons,
            ));
        }
        Partition {
            dynamics: p.dynamics,
            clocks: Clocks::new(n),
            trains,
            connectome: p.connectome,
            plastic: PlasticSynapses::new(wiring, p.plasticity),
            strategy,
            drives: Drives {
                drives: p.drives,
                spikes: Vec::new(),
                sorted: Vec::new(),
            },
            routing: Routing::new(p.index, p.parts, p.gids, p.destinations, feeds_local),
            sink: Sink {
                counters: Counters::default(),
                recorder: p.recorder,
                observer: NoObserver,
                fired: Vec::new(),
                n_network: p.n_network_neurons,
                in_flight: None,
            },
            timing: p.timing,
            started: false,
        }
    }
}

impl<D: Dynamics, P: Plasticity, O: Observer> Partition<D, P, O> {
    /// The same partition with another observer.
    pub fn with_observer<O2: Observer>(self, observer: O2) -> Partition<D, P, O2> {
        let s = self.sink;
        Partition {
            dynamics: self.dynamics,
            clocks: self.clocks,
            trains: self.trains,
            connectome: self.connectome,
            plastic: self.plastic,
            strategy: self.strategy,
            drives: self.drives,
            routing: self.routing,
            sink: Sink {
                counters: s.counters,
                recorder: s.recorder,
                observer,
                fired: s.fired,
                n_network: s.n_network,
                in_flight: s.in_flight,
            },
            timing: self.timing,
            started: self.started,
        }
    }

    /// Whether spikes are applied by direct delivery (see
    /// `partition/direct.rs`; the default whenever the network allows it).
    pub fn direct_delivery(&self) -> bool {
        !matches!(self.strategy, Strategy::Grouped(_))
    }

    /// Use grouped delivery instead of direct delivery (same results, bit
    /// for bit; for tests and measurements). Only before the first window.
    pub fn use_grouped_delivery(&mut self) {
        assert!(!self.started, "delivery chosen after the start");
        if self.direct_delivery() {
            let n = self.routing.gids.len();
            let plastic = &self.plastic.wiring;
            self.strategy = plan::grouped(n, self.timing, &self.connectome, plastic);
        }
    }

    /// How windows that may pool their train events choose to (same
    /// results either way, bit for bit; for tests and measurements — the
    /// default times both ways, see `partition/pool_choice.rs`).
    pub fn pool_train_events(&mut self, mode: PoolMode) {
        if let Strategy::Plain(direct) = &mut self.strategy {
            if let Some(pool) = direct.pool() {
                pool.set_mode(mode);
            }
        }
    }

    /// The run's windows it was built for.
    pub fn timing(&self) -> Timing {
        self.timing
    }

    /// This partition's index.
    pub fn index(&self) -> usize {
        self.routing.index
    }

    /// Gids of the local neurons.
    pub fn gids(&self) -> &[Gid] {
        &self.routing.gids
    }

    /// Event counts so far.
    pub fn counters(&self) -> Counters {
        self.sink.counters
    }

    /// The recorder.
    pub fn recorder_mut(&mut self) -> &mut SpikeRecorder {
        &mut self.sink.recorder
    }

    /// Take the observer out.
    pub fn into_observer(self) -> O {
        self.sink.observer
    }

    /// The synapses held by this partition.
    pub fn connectome(&self) -> &Connectome {
        &self.connectome
    }

    /// The plastic synapses held by this partition.
    pub fn plastic(&self) -> &PlasticWiring {
        &self.plastic.wiring
    }

    /// The delay of plastic synapse `k`.
    pub fn plastic_delay(&self, k: u32) -> Time {
        self.plastic.wiring.delay_of(k)
    }

    /// Their state (`None` without plastic synapses).
    pub fn plasticity(&self) -> Option<&P> {
        self.plastic.rules.as_ref()
    }

    /// Their state, mutably.
    pub fn plasticity_mut(&mut self) -> Option<&mut P> {
        self.plastic.rules.as_mut()
    }

    /// Number of partitions of the whole network (local or not).
    pub fn n_partitions(&self) -> usize {
        self.routing.outboxes.len()
    }

    /// Whether any of its neurons has a target in another partition (if no
    /// partition's has, the partitions never exchange a spike).
    pub fn sends_to_others(&self) -> bool {
        self.routing.sends_to_others()
    }

    /// Spikes for partition `q` emitted during the current window.
    pub fn outbox_mut(&mut self, q: usize) -> &mut Vec<Spike> {
        &mut self.routing.outboxes[q]
    }

    /// Step 1 of a window: advance every local neuron through `window` (all
    /// or the first part of grid window `window.index`).
    pub fn update(&mut self, window: SyncWindow) {
        self.sink.observer.on_window(self.routing.index, &window);
        if self.strategy.open_window() != Some(window.index) {
            self.open(window.index);
        }
        if !self.started {
            self.start(window.start);
        }
        let Partition {
            dynamics,
            clocks,
            trains,
            connectome,
            plastic,
            strategy,
            routing,
            sink,
            ..
        } = self;
        let ctx = Context {
            watch: Watch {
                observer: &mut sink.observer,
                gids: &routing.gids,
                partition: routing.index,
            },
            fired: &mut sink.fired,
            n_network: sink.n_network,
            stormed: sink.counters.storm_spikes > 0,
        };
        let (start, end) = (window.start, window.end);
        let counters = match strategy {
            Strategy::Plain(direct) => dynamics.with_plain(PlainWindow {
                direct,
                trains,
                ctx,
                connectome,
                plastic,
                start,
                end,
            }),
            Strategy::General(_) | Strategy::Grouped(_) => {
                let strategy = match strategy {
                    Strategy::General(direct) => General::Direct(direct),
                    Strategy::Grouped(grouped) => General::Grouped(grouped),
                    Strategy::Plain(_) => unreachable!("matched above"),
                };
                dynamics.with_general(GeneralWindow {
                    strategy,
                    clocks,
                    trains,
                    ctx,
                    connectome,
                    plastic,
                    start,
                    end,
                })
            }
        };
        self.sink.counters += counters;
        self.clocks.update_index();
        self.emit_fired();
        if let Some(keep) = &mut self.sink.in_flight {
            keep.trim(end);
        }
    }

    /// The first window starts at `t`: every neuron's initial prediction
    /// (or spike, if it starts above threshold).
    fn start(&mut self, t: Time) {
        self.started = true;
        for i in 0..self.dynamics.len() {
            let r = self.dynamics.start(i, t);
            self.clocks.set(i, r.forecast);
            if r.spiked {
                let (neuron, time, lag) = (i, t, r.lag);
                self.sink.fired.push(Fired { neuron, time, lag });
            }
        }
    }

    /// Enter grid window `k`: the input nodes' spikes of the whole window
    /// are expanded, then the queue opens it.
    fn open(&mut self, k: u64) {
        self.expand_drives(k);
        self.strategy.open(k);
    }

    /// Queue the input nodes' spikes of grid window `k`.
    fn expand_drives(&mut self, k: u64) {
        if self.drives.drives.is_empty() {
            return;
        }
        let w = self.timing.window;
        let grid = SyncWindow {
            index: k,
            start: Time(k * w.0),
            end: Time(k * w.0).saturating_add(w),
        };
        let spikes = &mut self.drives.spikes;
        spikes.clear();
        for drive in &mut self.drives.drives {
            drive.emit(grid, spikes);
        }
        let batch = (spikes, &mut self.drives.sorted);
        let observed = O::SEES_DELIVERIES;
        self.strategy
            .push_inputs(batch, observed, &self.connectome, &self.plastic);
    }

    /// Emit the spikes fired in the window: count, record, report, route.
    fn emit_fired(&mut self) {
        let fired = self.sink.fired.len() as u64;
        self.sink.counters.spikes = self.sink.counters.spikes.saturating_add(fired);
        for &Fired {
            neuron: i,
            time,
            lag,
        } in &self.sink.fired
        {
            let source = self.routing.gid(i);
            let spike = Spike { time, source, lag };
            self.sink.recorder.offer(i, spike);
            self.sink.observer.on_spike(self.routing.index, &spike);
            self.plastic.on_post(i, time, lag);
            self.routing.route(i, spike);
            if let Some(keep) = &mut self.sink.in_flight {
                keep.push(spike);
            }
        }
        self.sink.fired.clear();
    }

    /// Step 3 of a window: turn this partition's own spikes and those
    /// received from other partitions into deliveries. Each lands at or
    /// after the next window's start because every delay is at least the
    /// window length.
    pub fn enqueue(&mut self, received: &[Spike], next_window_start: Time) {
        let own = std::mem::take(&mut self.routing.own);
        self.enqueue_spikes(own, received, next_window_start);
    }

    /// The spikes this partition emitted since the last call (or the last
    /// [`enqueue`](Self::enqueue)), for a later
    /// [`enqueue_spikes`](Self::enqueue_spikes).
    pub fn take_own_spikes(&mut self) -> Vec<Spike> {
        std::mem::take(&mut self.routing.own)
    }

    /// Expand one window's spikes — `own` (from
    /// [`take_own_spikes`](Self::take_own_spikes)) and `received` — into
    /// deliveries, all of which land at or after `not_before`.
    pub fn enqueue_spikes(&mut self, own: Vec<Spike>, received: &[Spike], not_before: Time) {
        let mut inbox = own;
        inbox.extend_from_slice(received);
        inbox.sort_unstable();
        debug_assert!(
            inbox
                .iter()
                .all(|&s| self.earliest_arrival(s) >= not_before),
            "causality: a delivery of {:?} lands before {not_before:?}",
            inbox
                .iter()
                .find(|&&s| self.earliest_arrival(s) < not_before)
        );
        self.strategy
            .push_all(&inbox, &self.connectome, &self.plastic);
        inbox.clear();
        // Keep the larger buffer for the next window. `own` is not always
        // empty here: a pipelined run that stops inside a window has
        // already collected that window's own spikes; they move along.
        if self.routing.own.capacity() < inbox.capacity() {
            inbox.append(&mut self.routing.own);
            self.routing.own = inbox;
        }
    }

    /// When the first delivery of `spike` lands (debug checks).
    fn earliest_arrival(&self, spike: Spike) -> Time {
        let fixed = self
            .connectome
            .synapses_of(spike.source)
            .map(|(_, c)| c.delay);
        let (targets, first) = self.plastic.wiring.synapses_of(spike.source);
        let plastic = (first..first + targets.len() as u32).map(|k| self.plastic_delay(k));
        fixed
            .chain(plastic)
            .min()
            .map_or(Time::NEVER, |d| spike.time + d)
    }
}
/// A general strategy, borrowed for a window.
enum General<'a> {
    Direct(&'a mut Direct<Input>),
    Grouped(&'a mut Grouped),
}

/// A window of a general strategy, handed to the neurons
/// ([`Dynamics::with_general`]).
struct GeneralWindow<'a, O, P> {
    strategy: General<'a>,
    clocks: &'a mut Clocks,
    trains: &'a mut TrainSets,
    ctx: Context<'a, O>,
    connectome: &'a Connectome,
    plastic: &'a mut PlasticSynapses<P>,
    start: Time,
    end: Time,
}

impl<O: Observer, P: Plasticity> GeneralWork for GeneralWindow<'_, O, P> {
    type Out = Counters;

    #[inline(always)]
    fn run<D: Dynamics>(self, dynamics: &mut D) -> Counters {
        let neurons = GeneralView {
            dynamics,
            clocks: self.clocks,
        };
        let (ctx, start, end) = (self.ctx, self.start, self.end);
        match self.strategy {
            General::Direct(d) => {
                let (connectome, plastic) = (self.connectome, self.plastic);
                with_train_view!(self.trains, |t| d.window(
                    (neurons, t, ctx),
                    (connectome, plastic),
                    start,
                    end
                ))
            }
            General::Grouped(g) => {
                let plastic = self.plastic;
                with_train_view!(self.trains, |t| g.window((neurons, t, ctx), plastic, end))
            }
        }
    }
}

/// A window of the plain strategy, handed to the neurons' view
/// ([`Dynamics::with_plain`]).
struct PlainWindow<'a, O, P> {
    direct: &'a mut Direct<f64>,
    trains: &'a mut TrainSets,
    ctx: Context<'a, O>,
    connectome: &'a Connectome,
    plastic: &'a mut PlasticSynapses<P>,
    start: Time,
    end: Time,
}

impl<O: Observer, P: Plasticity> PlainWork for PlainWindow<'_, O, P> {
    type Out = Counters;

    #[inline(always)]
    fn run<N: PlainNeurons>(self, neurons: N) -> Counters {
        let neurons = PlainView(neurons);
        let (d, ctx) = (self.direct, self.ctx);
        let synapses = (self.connectome, self.plastic);
        with_train_view!(self.trains, |t| d.window(
            (neurons, t, ctx),
            synapses,
            self.start,
            self.end
        ))
    }
}
