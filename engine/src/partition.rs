//! A partition: the part of the network one worker owns outright — its
//! neurons' state, their incoming synapses, its event queue, its forecasts,
//! its external drives, its recorder and its observer. Nothing in it is
//! shared but read-only routing tables.

use crate::connectome::Connectome;
use crate::drive::Drive;
use crate::dynamics::{Dynamics, Forecast, Response};
use crate::event_queue::EventQueue;
use crate::forecast::SpikeForecast;
use crate::observer::{NoObserver, Observer};
use crate::recorder::SpikeRecorder;
use crate::spike::{Gid, Spike};
use crate::time::{Time, TICKS_PER_MS};
use crate::window::SyncWindow;
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

/// Longest stretch for which drives emit at once: bounds the memory that a
/// long window would otherwise fill with external input.
const DRIVE_STEP: Time = Time(TICKS_PER_MS);

/// One worker's share of the network.
pub struct Partition<D: Dynamics, O: Observer = NoObserver> {
    index: usize,
    /// Neuron state and update rules.
    pub dynamics: D,
    /// Global ids of the local neurons, increasing.
    gids: Vec<Gid>,
    /// Incoming synapses of local neurons, grouped by source gid.
    connectome: Connectome,
    /// Per neuron gid: bit set of the *other* partitions holding its targets.
    destinations: Arc<[u64]>,
    queue: EventQueue,
    forecast: SpikeForecast,
    drives: Vec<Box<dyn Drive>>,
    recorder: SpikeRecorder,
    observer: O,
    /// Gids below this are network neurons (their deliveries are recurrent).
    n_network_neurons: u32,
    counters: Counters,
    /// Spikes for each other partition, emitted in the current window.
    outboxes: Vec<Vec<Spike>>,
    input_spikes: Vec<Spike>,
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
    /// Per neuron gid: bit set of the other partitions holding its targets.
    pub destinations: Arc<[u64]>,
    /// External drives of local neurons.
    pub drives: Vec<Box<dyn Drive>>,
    /// Recorder of local neurons.
    pub recorder: SpikeRecorder,
    /// Gids below this are network neurons.
    pub n_network_neurons: u32,
    /// The queue, sized for the network's delays.
    pub queue: EventQueue,
}

impl<D: Dynamics> Partition<D, NoObserver> {
    /// Assemble a partition.
    pub fn new(p: PartitionParts<D>) -> Self {
        debug_assert_eq!(p.dynamics.len() as usize, p.gids.len());
        debug_assert!(
            p.gids.windows(2).all(|w| w[0] < w[1]),
            "local order must follow gid order"
        );
        Partition {
            index: p.index,
            dynamics: p.dynamics,
            gids: p.gids,
            connectome: p.connectome,
            destinations: p.destinations,
            queue: p.queue,
            forecast: SpikeForecast::default(),
            drives: p.drives,
            recorder: p.recorder,
            observer: NoObserver,
            n_network_neurons: p.n_network_neurons,
            counters: Counters::default(),
            outboxes: vec![Vec::new(); p.parts],
            input_spikes: Vec::new(),
            started: false,
        }
    }
}

impl<D: Dynamics, O: Observer> Partition<D, O> {
    /// The same partition with another observer.
    pub fn with_observer<O2: Observer>(self, observer: O2) -> Partition<D, O2> {
        Partition {
            index: self.index,
            dynamics: self.dynamics,
            gids: self.gids,
            connectome: self.connectome,
            destinations: self.destinations,
            queue: self.queue,
            forecast: self.forecast,
            drives: self.drives,
            recorder: self.recorder,
            observer,
            n_network_neurons: self.n_network_neurons,
            counters: self.counters,
            outboxes: self.outboxes,
            input_spikes: self.input_spikes,
            started: self.started,
        }
    }

    /// This partition's number.
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

    /// Take the observer out (leaving a fresh default one).
    pub fn into_observer(self) -> O {
        self.observer
    }

    /// The synapses held by this partition.
    pub fn connectome(&self) -> &Connectome {
        &self.connectome
    }

    /// Spikes for partition `q` emitted during the last `update`.
    pub fn outbox_mut(&mut self, q: usize) -> &mut Vec<Spike> {
        &mut self.outboxes[q]
    }

    #[inline]
    fn apply(&mut self, i: u32, t: Time, r: Response) {
        match r.forecast {
            Forecast::Unchanged => {}
            Forecast::At(tf) => self.forecast.set(i, tf),
            Forecast::Never => self.forecast.clear(i),
        }
        if r.discarded {
            self.counters.discarded_events += 1;
        }
        if r.spiked {
            let source = self.gids[i as usize];
            let spike = Spike {
                time: t,
                source,
                lag: r.lag,
            };
            self.counters.spikes += 1;
            self.recorder.offer(i, spike);
            self.observer.on_spike(self.index, &spike);
            // Local targets: expanded at once (their delays may be shorter
            // than the window). Other partitions: at the window's end.
            let queue = &mut self.queue;
            self.connectome.expand(spike, |d| queue.push(d));
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
    }

    /// Step 1 of a window: advance every local neuron through `window`,
    /// processing deliveries and forecasts in time order.
    pub fn update(&mut self, window: SyncWindow) {
        self.observer.on_window(self.index, &window);
        if !self.started {
            self.started = true;
            for i in 0..self.dynamics.len() {
                let r = self.dynamics.start(i, window.start);
                self.apply(i, window.start, r);
            }
        }
        let mut step_start = window.start;
        while step_start < window.end {
            let step_end = step_start.saturating_add(DRIVE_STEP).min(window.end);
            self.emit_drives(SyncWindow {
                index: window.index,
                start: step_start,
                end: step_end,
            });
            self.process_until(step_end);
            step_start = step_end;
        }
    }

    /// External input emitted during `[step.start, step.end)`.
    fn emit_drives(&mut self, step: SyncWindow) {
        self.input_spikes.clear();
        for drive in &mut self.drives {
            drive.emit(step, &mut self.queue, &mut self.input_spikes);
        }
        self.input_spikes.sort_unstable();
        for k in 0..self.input_spikes.len() {
            let spike = self.input_spikes[k];
            let queue = &mut self.queue;
            self.connectome.expand(spike, |d| queue.push(d));
        }
    }

    /// Process every forecast and delivery before `end`, in order.
    fn process_until(&mut self, end: Time) {
        loop {
            let next_forecast = self.forecast.peek().filter(|&(_, t)| t < end);
            let next_delivery = self.queue.peek_before(end);
            match (next_forecast, next_delivery) {
                (None, None) => break,
                // A due forecast goes before an input at the same time
                // (the threshold is checked before same-time inputs).
                (Some((i, tf)), d) if d.is_none_or(|d| tf <= d.time) => {
                    self.forecast.pop();
                    let r = self.dynamics.on_forecast(i, tf);
                    self.apply(i, tf, r);
                }
                (_, Some(first)) => {
                    self.queue.pop_before(end);
                    self.note(&first);
                    let mut weight = first.weight;
                    while let Some(next) = self.queue.peek_before(end) {
                        if next.time != first.time || next.target != first.target {
                            break;
                        }
                        self.queue.pop_before(end);
                        self.note(&next);
                        weight += next.weight;
                    }
                    let r = self
                        .dynamics
                        .on_input(first.target, first.time, first.lag, weight);
                    self.apply(first.target, first.time, r);
                }
                (Some(_), None) => unreachable!("covered by the forecast arm"),
            }
        }
    }

    #[inline]
    fn note(&mut self, d: &crate::spike::Delivery) {
        if d.source.0 < self.n_network_neurons {
            self.counters.recurrent_events += 1;
        } else {
            self.counters.external_events += 1;
        }
        self.observer
            .on_delivery(self.index, self.gids[d.target as usize], d);
    }

    /// Step 3 of a window: turn spikes received from other partitions (sorted
    /// by `(time, source)`) into deliveries. Each lands at or after the next
    /// window's start because every cross-partition delay is at least the
    /// window length.
    pub fn enqueue(&mut self, inbox: &[Spike], next_window_start: Time) {
        for &spike in inbox {
            let queue = &mut self.queue;
            self.connectome.expand(spike, |d| {
                debug_assert!(
                    d.time >= next_window_start,
                    "causality: delivery at {:?} before window start {:?}",
                    d.time,
                    next_window_start
                );
                queue.push(d)
            });
        }
    }
}
