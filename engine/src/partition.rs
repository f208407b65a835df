//! A partition: the part of the network one worker owns outright — its
//! neurons' state, their incoming synapses, its event queue, its forecasts,
//! its external input, its recorder and its observer. Nothing in it is shared
//! but read-only routing tables.
//!
//! Within a window no neuron can affect another (every delay is at least the
//! window length), so a partition advances neuron by neuron: each active
//! neuron consumes, in exact time order, its deliveries of the window, its
//! own input trains and its forecast spike.

mod direct;
mod pool_choice;
pub use pool_choice::PoolMode;
mod train_pool;

use direct::Direct;

use crate::arrival_queue::ArrivalQueue;
use crate::connectome::Connectome;
use crate::drive::{Drive, Trains};
use crate::dynamics::{Dynamics, Forecast, Input, Response};
use crate::event_queue::EventQueue;
use crate::forecast::SpikeForecast;
use crate::observer::{NoObserver, Observer};
use crate::plasticity::{PlasticWiring, Plasticity, MAX_CLASS_NUMBERS};
use crate::poisson::PoissonTrains;
use crate::recorder::SpikeRecorder;
use crate::spike::{Delivery, Gid, Spike};
use crate::time::Time;
use crate::window::SyncWindow;
use smallvec::SmallVec;
use std::sync::Arc;

/// Event counts of one partition.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Deliveries processed whose source is a network neuron.
    pub recurrent_events: u64,
    /// Deliveries processed from external inputs.
    pub external_events: u64,
    /// Deliveries discarded by design (arrived during refractoriness).
    pub discarded_events: u64,
    /// Spikes emitted by this partition's neurons.
    pub spikes: u64,
}

impl std::ops::AddAssign for Counters {
    fn add_assign(&mut self, o: Counters) {
        self.recurrent_events += o.recurrent_events;
        self.external_events += o.external_events;
        self.discarded_events += o.discarded_events;
        self.spikes += o.spikes;
    }
}

/// A neuron's two clocks besides its deliveries.
#[derive(Clone, Copy, Debug)]
struct Timers {
    /// The earliest next arrival of its trains (`NEVER` if none).
    train: Time,
    /// Its current prediction (`NEVER` if none).
    forecast: Time,
}

impl Timers {
    const NONE: Timers = Timers {
        train: Time::NEVER,
        forecast: Time::NEVER,
    };
}

/// One input item of a neuron at one tick: (source, synapse, weight, lag).
type Item = (Gid, u32, f64, f32);

/// One worker's share of the network. Aligned to 128 bytes so that the hot
/// fields of partitions stored side by side never share a cache line (or a
/// prefetched pair of lines) between worker threads.
#[repr(align(128))]
pub struct Partition<D: Dynamics, O: Observer = NoObserver> {
    index: usize,
    /// Neuron state and update rules.
    pub dynamics: D,
    /// Global ids of the local neurons, increasing.
    gids: Vec<Gid>,
    /// Incoming synapses of local neurons, grouped by source gid.
    connectome: Connectome,
    /// Incoming plastic synapses of local neurons, grouped by source gid.
    plastic: PlasticWiring,
    /// Their state and update rules.
    plasticity: Option<Box<dyn Plasticity>>,
    /// Deliveries of class number ≥ this are plastic (`u32::MAX`: none).
    plastic_base: u32,
    /// Per neuron gid: bit set of the *other* partitions holding its targets.
    destinations: Arc<[u64]>,
    queue: EventQueue,
    /// Direct delivery (see [`direct`]): spikes wait as arrivals, not as
    /// deliveries, and are applied straight from the connectome.
    direct: Option<Direct>,
    /// Per local neuron: whether it has synapses in this partition.
    feeds_local: Vec<bool>,
    window_len: Time,
    /// Neurons with a prediction, by time (to find the due ones).
    forecast: SpikeForecast,
    /// Per local neuron: its next train arrival and its prediction, side by
    /// side (every input reads both).
    timers: Vec<Timers>,
    drives: Vec<Box<dyn Drive>>,
    trains: Vec<Box<dyn Trains>>,
    /// Per local neuron: range into `train_refs`.
    train_ranges: Vec<(u32, u32)>,
    /// `(trains index, train)` sorted by neuron, then by source gid.
    train_refs: Vec<(u16, u32)>,
    /// Per train set: its source gid and weight (constant).
    train_meta: Vec<(Gid, f64)>,
    /// `Some((ti, source, weight))` when neuron `i`'s only train is train
    /// `i` of set `ti` (one Poisson input to all): no index lookups per event.
    one_train: Option<(u16, Gid, f64)>,
    /// A kernel partition without trains: one train per neuron that never
    /// fires, so that the kernel always has a train set (no test per input).
    silent_trains: PoissonTrains,
    recorder: SpikeRecorder,
    observer: O,
    /// Gids below this are network neurons (their deliveries are recurrent).
    n_network_neurons: u32,
    counters: Counters,
    /// Spikes emitted in the current window, for this and each other partition.
    own_spikes: Vec<Spike>,
    outboxes: Vec<Vec<Spike>>,
    input_spikes: Vec<Spike>,
    /// Neurons whose forecast changed during direct delivery (the index is
    /// updated at the end).
    dirty: Vec<u32>,
    /// Scratch: neurons to advance in the current step, and their marks.
    active: Vec<u32>,
    mark: Vec<u64>,
    step: u64,
    started: bool,
}

/// The parts a partition is made of.
pub struct PartitionParts<D> {
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
    pub plasticity: Option<Box<dyn Plasticity>>,
    /// Per neuron gid: bit set of the other partitions holding its targets.
    pub destinations: Arc<[u64]>,
    /// Spike-emitting inputs.
    pub drives: Vec<Box<dyn Drive>>,
    /// Per-target input trains of local neurons.
    pub trains: Vec<Box<dyn Trains>>,
    /// Recorder of local neurons.
    pub recorder: SpikeRecorder,
    /// Gids below this are network neurons.
    pub n_network_neurons: u32,
    /// Window length (≤ the shortest delay of any neuron-to-neuron synapse).
    pub window_len: Time,
    /// Longest delay of any synapse (sizes the queue).
    pub max_delay: Time,
}

impl<D: Dynamics> Partition<D, NoObserver> {
    /// Assemble a partition.
    pub fn new(mut p: PartitionParts<D>) -> Self {
        let n = p.dynamics.len();
        debug_assert_eq!(n as usize, p.gids.len());
        debug_assert!(
            p.gids.windows(2).all(|w| w[0] < w[1]),
            "local order must follow gid order"
        );
        // Index the trains by target neuron, ordered by source gid then train.
        let mut refs: Vec<(u32, u32, u16, u32)> = Vec::new();
        for (ti, t) in p.trains.iter().enumerate() {
            for k in 0..t.len() {
                refs.push((t.target(k), t.source().0, ti as u16, k as u32));
            }
        }
        refs.sort_unstable();
        let mut train_ranges = vec![(0u32, 0u32); n as usize];
        let mut k = 0;
        while k < refs.len() {
            let target = refs[k].0;
            let start = k;
            while k < refs.len() && refs[k].0 == target {
                k += 1;
            }
            train_ranges[target as usize] = (start as u32, k as u32);
        }
        assert!(
            p.plastic.is_empty() || p.plasticity.is_some(),
            "plastic synapses need a Plasticity"
        );
        assert!(
            p.connectome.classes().len() as u64 + p.plastic.len() as u64 <= MAX_CLASS_NUMBERS,
            "too many synapse classes and plastic synapses in one partition"
        );
        let queue = EventQueue::new(n, p.window_len, p.max_delay, p.connectome.classes())
            .with_plastic_delays(&p.plastic.take_delays());
        let plastic_base = if p.plastic.is_empty() {
            u32::MAX
        } else {
            queue.plastic_base()
        };
        let feeds_local = p
            .gids
            .iter()
            .map(|&g| p.connectome.out_degree(g) > 0 || !p.plastic.synapses_of(g).0.is_empty())
            .collect();
        // Direct delivery needs the order of a neuron's same-tick inputs to
        // be (connectome sources, then trains): true when every train's
        // source gid is above every connectome source.
        let trains_last = p
            .trains
            .iter()
            .all(|t| t.source().0 >= p.connectome.sources_end());
        let direct = (p.plastic.is_empty() && trains_last).then(|| {
            let plain = p.dynamics.is_plain();
            Direct::new(n, p.window_len, p.max_delay, &p.connectome, plain)
        });
        let mut part = Partition {
            index: p.index,
            dynamics: p.dynamics,
            gids: p.gids,
            connectome: p.connectome,
            plastic: p.plastic,
            plasticity: p.plasticity,
            plastic_base,
            destinations: p.destinations,
            queue,
            direct,
            feeds_local,
            window_len: p.window_len,
            forecast: SpikeForecast::default(),
            timers: vec![Timers::NONE; n as usize],
            drives: p.drives,
            trains: p.trains,
            train_ranges,
            train_refs: refs.into_iter().map(|(_, _, ti, k)| (ti, k)).collect(),
            train_meta: Vec::new(),
            one_train: None,
            silent_trains: PoissonTrains::silent(0),
            recorder: p.recorder,
            observer: NoObserver,
            n_network_neurons: p.n_network_neurons,
            counters: Counters::default(),
            own_spikes: Vec::new(),
            outboxes: vec![Vec::new(); p.parts],
            input_spikes: Vec::new(),
            active: Vec::new(),
            dirty: Vec::new(),
            mark: vec![0; n as usize],
            step: 0,
            started: false,
        };
        for i in 0..n {
            part.timers[i as usize].train = part.earliest_train(i);
        }
        part.train_meta = part
            .trains
            .iter()
            .map(|t| (t.source(), t.weight()))
            .collect();
        let one_train = part.train_refs.first().map(|r| r.0).filter(|&ti| {
            part.train_refs.len() == n as usize
                && part
                    .train_refs
                    .iter()
                    .enumerate()
                    .all(|(k, r)| *r == (ti, k as u32))
        });
        part.one_train = one_train.map(|ti| {
            let (source, weight) = part.train_meta[ti as usize];
            (ti, source, weight)
        });
        let simple_trains = match part.one_train {
            Some((ti, _, _)) => part.trains[ti as usize].as_poisson().is_some(),
            None => part.trains.is_empty(),
        };
        if let Some(direct) = part.direct.as_mut() {
            direct.kernel = direct.plain() && simple_trains;
            if direct.kernel && part.one_train.is_none() {
                part.silent_trains = PoissonTrains::silent(n as usize);
            }
        }
        part
    }
}

impl<D: Dynamics, O: Observer> Partition<D, O> {
    /// The same partition with another observer.
    pub fn with_observer<O2: Observer>(mut self, observer: O2) -> Partition<D, O2> {
        // The new observer may keep deliveries off the kernel: timers exact.
        self.sync_train_timers(0..self.timers.len() as u32);
        Partition {
            index: self.index,
            dynamics: self.dynamics,
            gids: self.gids,
            connectome: self.connectome,
            plastic: self.plastic,
            plasticity: self.plasticity,
            plastic_base: self.plastic_base,
            destinations: self.destinations,
            queue: self.queue,
            direct: self.direct,
            feeds_local: self.feeds_local,
            window_len: self.window_len,
            forecast: self.forecast,
            timers: self.timers,
            drives: self.drives,
            trains: self.trains,
            train_ranges: self.train_ranges,
            train_refs: self.train_refs,
            train_meta: self.train_meta,
            one_train: self.one_train,
            silent_trains: self.silent_trains,
            recorder: self.recorder,
            observer,
            n_network_neurons: self.n_network_neurons,
            counters: self.counters,
            own_spikes: self.own_spikes,
            outboxes: self.outboxes,
            input_spikes: self.input_spikes,
            dirty: self.dirty,
            active: self.active,
            mark: self.mark,
            step: self.step,
            started: self.started,
        }
    }

    /// Whether spikes are applied by direct delivery (see
    /// `partition/direct.rs`; the default whenever the network allows it:
    /// no plastic synapses, every train's gid above every synapse source).
    pub fn direct_delivery(&self) -> bool {
        self.direct.is_some()
    }

    /// Use the grouped per-delivery queue instead of direct delivery (same
    /// results, bit for bit; for tests and measurements). Only before the
    /// first window.
    pub fn use_grouped_delivery(&mut self) {
        assert!(!self.started, "delivery path chosen after the start");
        self.direct = None;
    }

    /// How kernel windows choose to pool their train events (same results
    /// either way, bit for bit; for tests and measurements — the default
    /// times both ways, see `partition/pool_choice.rs`).
    pub fn pool_train_events(&mut self, mode: PoolMode) {
        if let Some(direct) = &mut self.direct {
            direct.pool_choice.set_mode(mode);
        }
    }

    /// The window length it was built for.
    pub fn window_len(&self) -> Time {
        self.window_len
    }

    /// This partition's index.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Gids of the local neurons.
    pub fn gids(&self) -> &[Gid] {
        &self.gids
    }

    /// Event counts so far.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// The recorder.
    pub fn recorder_mut(&mut self) -> &mut SpikeRecorder {
        &mut self.recorder
    }

    /// The observer.
    pub fn observer(&self) -> &O {
        &self.observer
    }

    /// Take the observer out.
    pub fn into_observer(self) -> O {
        self.observer
    }

    /// The synapses held by this partition.
    pub fn connectome(&self) -> &Connectome {
        &self.connectome
    }

    /// The plastic synapses held by this partition.
    pub fn plastic(&self) -> &PlasticWiring {
        &self.plastic
    }

    /// The delay of plastic synapse `k`.
    #[inline]
    pub fn plastic_delay(&self, k: u32) -> Time {
        self.queue.class(self.queue.plastic_base() + k).delay
    }

    /// Their state (`None` without plastic synapses).
    pub fn plasticity(&self) -> Option<&dyn Plasticity> {
        self.plasticity.as_deref()
    }

    /// Their state, mutably.
    pub fn plasticity_mut(&mut self) -> Option<&mut (dyn Plasticity + 'static)> {
        self.plasticity.as_deref_mut()
    }

    /// Expand one spike over this partition's synapses (static and plastic).
    #[inline]
    fn expand(&mut self, spike: Spike) {
        if let Some(direct) = &mut self.direct {
            direct.push(spike, &self.connectome);
            return;
        }
        let (targets, classes) = self.connectome.synapses_raw(spike.source);
        self.queue.push_spike(spike, targets, classes);
        let (targets, first) = self.plastic.synapses_of(spike.source);
        if !targets.is_empty() {
            self.queue.push_plastic(spike, targets, first);
        }
    }

    /// When the first delivery of `spike` lands (debug checks).
    fn earliest_arrival(&self, spike: Spike) -> Time {
        let (_, classes) = self.connectome.synapses_raw(spike.source);
        let (targets, first) = self.plastic.synapses_of(spike.source);
        let table = self.connectome.classes();
        let fixed = (0..classes.len()).map(|k| table[classes.get(k) as usize].delay);
        let plastic = (first..first + targets.len() as u32).map(|k| self.plastic_delay(k));
        fixed
            .chain(plastic)
            .min()
            .map_or(Time::NEVER, |d| spike.time + d)
    }

    /// The weight a delivery transmits: its class's, or what its plastic
    /// synapse makes of this spike (updating it, exactly at this time).
    #[inline(always)]
    fn weight_of(&mut self, d: &mut Delivery) {
        if d.synapse >= self.plastic_base {
            d.weight = self.plastic_on_pre(d.target, d.time, d.synapse, d.lag);
        }
    }

    /// A spike over plastic synapse class `class` reaches local neuron `i`
    /// at tick `t` (+ `lag` ms): update the synapse, return its weight.
    /// Kept out of line: static networks never call it.
    #[inline(never)]
    fn plastic_on_pre(&mut self, i: u32, t: Time, class: u32, lag: f32) -> f64 {
        let k = class - self.plastic_base;
        let delay = self.plastic_delay(k);
        let t_pre = (t - delay).as_ms() + f64::from(lag);
        let rule = self
            .plasticity
            .as_mut()
            .expect("plastic synapses have a Plasticity");
        rule.on_pre(k, i, t_pre, delay.as_ms())
    }

    /// Number of partitions of the whole network (local or not).
    pub fn n_partitions(&self) -> usize {
        self.outboxes.len()
    }

    /// Spikes for partition `q` emitted during the current window.
    pub fn outbox_mut(&mut self, q: usize) -> &mut Vec<Spike> {
        &mut self.outboxes[q]
    }

    /// Step 1 of a window: advance every local neuron through `window` (all
    /// or the first part of grid window `window.index`).
    pub fn update(&mut self, window: SyncWindow) {
        self.observer.on_window(self.index, &window);
        let open = match &self.direct {
            Some(direct) => direct.arrivals.open_window(),
            None => self.queue.open_window(),
        };
        if open != Some(window.index) {
            self.open(window.index);
        }
        if !self.started {
            self.started = true;
            for i in 0..self.dynamics.len() {
                let r = self.dynamics.start(i, window.start);
                self.apply(i, window.start, r);
                self.settle(i);
            }
        }
        if self.direct.is_some() {
            self.deliver_window(window.start, window.end);
        } else {
            self.advance_until(window.end);
        }
    }

    /// Enter grid window `k`: external spikes of the whole window are expanded,
    /// then its deliveries are grouped by neuron.
    fn open(&mut self, k: u64) {
        let w = self.window_len;
        let grid = SyncWindow {
            index: k,
            start: Time(k * w.0),
            end: Time(k * w.0).saturating_add(w),
        };
        self.input_spikes.clear();
        for drive in &mut self.drives {
            drive.emit(grid, &mut self.input_spikes);
        }
        self.input_spikes.sort_unstable();
        let inputs = std::mem::take(&mut self.input_spikes);
        for &spike in &inputs {
            self.expand(spike);
        }
        self.input_spikes = inputs;
        // Only the queue in use (the other one stays empty).
        match &mut self.direct {
            Some(direct) => direct.arrivals.open(k),
            None => self.queue.open(k),
        }
    }

    /// Advance every neuron with something to do before `end`.
    fn advance_until(&mut self, end: Time) {
        self.step += 1;
        let step = self.step;
        self.active.clear();
        for &i in self.queue.active() {
            self.mark[i as usize] = step;
            self.active.push(i);
        }
        for i in 0..self.train_ranges.len() {
            let (a, b) = self.train_ranges[i];
            if a < b && self.mark[i] != step && self.timers[i].train < end {
                self.mark[i] = step;
                self.active.push(i as u32);
            }
        }
        self.activate_due_forecasts(end);
        let active = std::mem::take(&mut self.active);
        for &i in &active {
            self.advance_neuron(i, end);
        }
        self.active = active;
    }

    /// Add the neurons whose forecast falls before `end` to this step's
    /// active list (marked with the current step), taking them from the index.
    fn activate_due_forecasts(&mut self, end: Time) {
        let step = self.step;
        while let Some((i, t)) = self.forecast.peek() {
            if t >= end {
                break;
            }
            self.forecast.pop();
            if self.mark[i as usize] != step {
                self.mark[i as usize] = step;
                self.active.push(i);
            }
        }
    }

    /// The earliest next arrival among neuron `i`'s trains.
    #[inline]
    fn earliest_train(&self, i: u32) -> Time {
        let (a, b) = self.train_ranges[i as usize];
        let mut best = Time::NEVER;
        for &(ti, k) in &self.train_refs[a as usize..b as usize] {
            best = best.min(self.trains[ti as usize].next_arrival(k as usize));
        }
        best
    }

    /// Consume neuron `i`'s inputs and forecast before `end`, in time order.
    fn advance_neuron(&mut self, i: u32, end: Time) {
        loop {
            let t_delivery = self.queue.peek(i).map(|d| d.time).filter(|&t| t < end);
            let t_train = Some(self.timers[i as usize].train).filter(|&t| t < end);
            let t_input = match (t_delivery, t_train) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let t_forecast = self.timers[i as usize].forecast;
            // A due forecast goes before an input at the same tick (NEST tests
            // the threshold before adding same-time input).
            if t_forecast < end && t_input.is_none_or(|t| t_forecast <= t) {
                self.timers[i as usize].forecast = Time::NEVER;
                let r = self.dynamics.on_forecast(i, t_forecast);
                self.apply(i, t_forecast, r);
                continue;
            }
            let Some(t) = t_input else { break };
            let (input, lag) = self.gather(i, t);
            let r = self.dynamics.on_input(i, t, lag, input);
            self.apply(i, t, r);
        }
        self.settle(i);
    }

    /// Sum every input of neuron `i` at tick `t` in `(source, synapse)` order;
    /// returns the sum and the lag of the first.
    #[inline]
    fn gather(&mut self, i: u32, t: Time) -> (Input, f32) {
        // Fast path, by far the commonest case: one delivery alone at its tick.
        if self.timers[i as usize].train != t {
            if let Some(mut d) = self.queue.pop(i) {
                debug_assert_eq!(d.time, t);
                if self.queue.peek(i).is_none_or(|n| n.time != t) {
                    self.weight_of(&mut d);
                    self.note(i, &d);
                    return (Input::single(d.weight), d.lag);
                }
                return self.gather_many(i, t, Some(d));
            }
        }
        self.gather_many(i, t, None)
    }

    /// Count and report one processed input.
    #[inline]
    fn note(&mut self, i: u32, d: &Delivery) {
        self.count(d.source, 1);
        self.observe(i, d);
    }

    /// Count `n` processed inputs from `source`.
    #[inline(always)]
    fn count(&mut self, source: Gid, n: u64) {
        if source.0 < self.n_network_neurons {
            self.counters.recurrent_events += n;
        } else {
            self.counters.external_events += n;
        }
    }

    /// Show one processed input to the observer (nothing for `NoObserver`).
    #[inline(always)]
    fn observe(&mut self, i: u32, d: &Delivery) {
        if O::SEES_DELIVERIES {
            self.observer
                .on_delivery(self.index, self.gids[i as usize], d);
        }
    }

    /// The general case of `gather`: several inputs at one tick (`first`, if
    /// given, was already taken from the queue).
    fn gather_many(&mut self, i: u32, t: Time, first: Option<Delivery>) -> (Input, f32) {
        let mut items: SmallVec<[Item; 8]> = SmallVec::new();
        if let Some(d) = first {
            items.push((d.source, d.synapse, d.weight, d.lag));
        }
        while let Some(d) = self.queue.peek(i) {
            if d.time != t {
                break;
            }
            self.queue.skip(i);
            items.push((d.source, d.synapse, d.weight, d.lag));
        }
        let from_queue = items.len();
        if self.plastic_base != u32::MAX {
            // Plastic synapses update in queue order, exactly at `t`.
            for item in items.iter_mut() {
                if item.1 >= self.plastic_base {
                    item.2 = self.plastic_on_pre(i, t, item.1, item.3);
                }
            }
        }
        if self.timers[i as usize].train == t {
            let (a, b) = self.train_ranges[i as usize];
            let mut next = Time::NEVER;
            for r in a as usize..b as usize {
                let (ti, k) = self.train_refs[r];
                let (source, weight, n, after) = self.take_train(ti, k, t);
                for _ in 0..n {
                    items.push((source, k, weight, 0.0));
                }
                next = next.min(after);
            }
            self.timers[i as usize].train = next;
        }
        if from_queue > 0 && items.len() > from_queue {
            items.sort_by_key(|&(s, syn, _, _)| (s, syn));
        }
        let mut input = Input::default();
        for &(source, synapse, w, lag) in &items {
            input.add(w);
            let d = Delivery {
                time: t,
                target: i,
                source,
                synapse,
                weight: w,
                lag,
            };
            self.note(i, &d);
        }
        (input, items[0].3)
    }

    /// Take every event of neuron `i`'s trains at tick `t` (due now) into
    /// `input`, in (source, train) order; notes them.
    #[inline(always)]
    fn take_trains_at(&mut self, i: u32, t: Time, input: &mut Input) {
        if let Some((ti, source, weight)) = self.one_train {
            let (n, after) = self.trains[ti as usize].take_at(i as usize, t);
            self.add_train_events(i, t, n, (source, weight, i), input);
            self.timers[i as usize].train = after;
            return;
        }
        let (a, b) = self.train_ranges[i as usize];
        let mut next = Time::NEVER;
        for r in a as usize..b as usize {
            let (ti, k) = self.train_refs[r];
            next = next.min(self.take_train_at(i, t, ti, k, input));
        }
        self.timers[i as usize].train = next;
    }

    /// Take train `k` of set `ti` (neuron `i`'s) at tick `t` into `input`;
    /// returns its next arrival.
    #[inline(always)]
    fn take_train_at(&mut self, i: u32, t: Time, ti: u16, k: u32, input: &mut Input) -> Time {
        let (source, weight, n, after) = self.take_train(ti, k, t);
        self.add_train_events(i, t, n, (source, weight, k), input);
        after
    }

    /// Consume train `k` of set `ti` at tick `t`: its source and weight,
    /// how many events it had at `t`, and its next arrival.
    #[inline(always)]
    fn take_train(&mut self, ti: u16, k: u32, t: Time) -> (Gid, f64, u32, Time) {
        let (n, after) = self.trains[ti as usize].take_at(k as usize, t);
        let (source, weight) = self.train_meta[ti as usize];
        (source, weight, n, after)
    }

    /// `n` events of train `k` (from `source`, of `weight`) reach neuron
    /// `i` at tick `t`: add them to `input`, note them.
    #[inline(always)]
    fn add_train_events(
        &mut self,
        i: u32,
        t: Time,
        n: u32,
        (source, weight, k): (Gid, f64, u32),
        input: &mut Input,
    ) {
        // One event is the rule (two trains' events or one train's two at a
        // tick are rare): no loop set-up for it.
        if n == 1 && !O::SEES_DELIVERIES {
            input.add(weight);
            self.count(source, 1);
            return;
        }
        for _ in 0..n {
            input.add(weight);
            let d = Delivery {
                time: t,
                target: i,
                source,
                synapse: k,
                weight,
                lag: 0.0,
            };
            self.observe(i, &d);
        }
        self.count(source, u64::from(n));
    }

    /// Record the outcome of one call. Inlined into every input loop; the
    /// rare spike goes out of line.
    #[inline(always)]
    fn apply(&mut self, i: u32, t: Time, r: Response) {
        match r.forecast {
            Forecast::Unchanged => {}
            Forecast::At(tf) => self.timers[i as usize].forecast = tf,
            Forecast::Never => self.timers[i as usize].forecast = Time::NEVER,
        }
        if r.discarded {
            self.counters.discarded_events += 1;
        }
        if r.spiked {
            self.emit(i, t, r.lag);
        }
    }

    /// Local neuron `i` fired at `t` (+ `lag` ms): record, route.
    #[inline(never)]
    fn emit(&mut self, i: u32, t: Time, lag: f32) {
        let source = self.gids[i as usize];
        let spike = Spike {
            time: t,
            source,
            lag,
        };
        self.counters.spikes += 1;
        self.recorder.offer(i, spike);
        self.observer.on_spike(self.index, &spike);
        if let Some(rule) = self.plasticity.as_mut() {
            rule.on_post(i, t.as_ms() + f64::from(lag));
        }
        if self.feeds_local[i as usize] {
            self.own_spikes.push(spike);
        }
        let mut mask = self
            .destinations
            .get(source.0 as usize)
            .copied()
            .unwrap_or(0);
        while mask != 0 {
            let q = mask.trailing_zeros() as usize;
            self.outboxes[q].push(spike);
            mask &= mask - 1;
        }
    }

    /// Put neuron `i`'s prediction (after it was advanced) into the index.
    #[inline]
    fn settle(&mut self, i: u32) {
        let t = self.timers[i as usize].forecast;
        if t == Time::NEVER {
            self.forecast.clear(i);
        } else {
            self.forecast.set(i, t);
        }
    }

    /// Step 3 of a window: turn this partition's own spikes and those
    /// received from other partitions into deliveries. Each lands at or
    /// after the next window's start because every delay is at least the
    /// window length.
    pub fn enqueue(&mut self, received: &[Spike], next_window_start: Time) {
        let own = std::mem::take(&mut self.own_spikes);
        self.enqueue_spikes(own, received, next_window_start);
    }

    /// The spikes this partition emitted since the last call (or the last
    /// [`enqueue`](Self::enqueue)), for a later
    /// [`enqueue_spikes`](Self::enqueue_spikes).
    pub fn take_own_spikes(&mut self) -> Vec<Spike> {
        std::mem::take(&mut self.own_spikes)
    }

    /// Expand one window's spikes — `own` (from
    /// [`take_own_spikes`](Self::take_own_spikes)) and `received` — into
    /// deliveries, all of which land at or after `not_before`.
    pub fn enqueue_spikes(&mut self, own: Vec<Spike>, received: &[Spike], not_before: Time) {
        let mut inbox = own;
        inbox.extend_from_slice(received);
        inbox.sort_unstable();
        for &spike in &inbox {
            debug_assert!(
                self.earliest_arrival(spike) >= not_before,
                "causality: a delivery of {spike:?} lands before {not_before:?}"
            );
            self.expand(spike);
        }
        inbox.clear();
        // Keep the larger buffer for the next window. `own_spikes` is not
        // always empty here: a pipelined run that stops inside a window has
        // already collected that window's own spikes; they move along.
        if self.own_spikes.capacity() < inbox.capacity() {
            inbox.append(&mut self.own_spikes);
            self.own_spikes = inbox;
        }
    }
}
