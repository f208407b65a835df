//! A partition: the part of the network one worker owns outright — its
//! neurons' state, their incoming synapses, its event queue, its forecasts,
//! its external drives and its recorder. Nothing in it is shared.

use crate::connectome::Connectome;
use crate::drive::Drive;
use crate::dynamics::{Dynamics, Forecast, Response};
use crate::event_queue::EventQueue;
use crate::forecast::SpikeForecast;
use crate::recorder::SpikeRecorder;
use crate::spike::{Gid, Spike};
use crate::time::Time;
use crate::window::SyncWindow;

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

/// One worker's share of the network.
pub struct Partition<D: Dynamics> {
    /// Neuron state and update rules.
    pub dynamics: D,
    /// Global ids of the local neurons, increasing.
    gids: Vec<Gid>,
    /// Incoming synapses of local neurons, grouped by source gid.
    connectome: Connectome,
    queue: EventQueue,
    forecast: SpikeForecast,
    drives: Vec<Box<dyn Drive>>,
    recorder: SpikeRecorder,
    /// Gids below this are network neurons (their deliveries are recurrent).
    n_network_neurons: u32,
    counters: Counters,
    outbox: Vec<Spike>,
    input_spikes: Vec<Spike>,
    started: bool,
}

impl<D: Dynamics> Partition<D> {
    /// Assemble a partition. `gids[i]` is the global id of local neuron `i`.
    pub fn new(
        dynamics: D,
        gids: Vec<Gid>,
        connectome: Connectome,
        drives: Vec<Box<dyn Drive>>,
        recorder: SpikeRecorder,
        n_network_neurons: u32,
        queue: EventQueue,
    ) -> Self {
        debug_assert_eq!(dynamics.len() as usize, gids.len());
        debug_assert!(
            gids.windows(2).all(|w| w[0] < w[1]),
            "local order must follow gid order"
        );
        Partition {
            dynamics,
            gids,
            connectome,
            queue,
            forecast: SpikeForecast::default(),
            drives,
            recorder,
            n_network_neurons,
            counters: Counters::default(),
            outbox: Vec::new(),
            input_spikes: Vec::new(),
            started: false,
        }
    }

    /// Event counts so far.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// The recorder.
    pub fn recorder_mut(&mut self) -> &mut SpikeRecorder {
        &mut self.recorder
    }

    /// The synapses held by this partition.
    pub fn connectome(&self) -> &Connectome {
        &self.connectome
    }

    /// Spikes emitted during the last `update`, in emission order.
    pub fn outbox(&self) -> &[Spike] {
        &self.outbox
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
            let spike = Spike {
                time: t,
                source: self.gids[i as usize],
                lag: r.lag,
            };
            self.counters.spikes += 1;
            self.recorder.offer(i, spike);
            self.outbox.push(spike);
        }
    }

    /// Step 1 of a window: advance every local neuron through `window`,
    /// processing deliveries and forecasts in time order. Spikes emitted go to
    /// the outbox.
    pub fn update(&mut self, window: SyncWindow) {
        self.outbox.clear();
        if !self.started {
            self.started = true;
            for i in 0..self.dynamics.len() {
                let r = self.dynamics.start(i, window.start);
                self.apply(i, window.start, r);
            }
        }
        // External drive for this window.
        self.input_spikes.clear();
        for drive in &mut self.drives {
            drive.emit(window, &mut self.queue, &mut self.input_spikes);
        }
        self.input_spikes.sort_unstable();
        for k in 0..self.input_spikes.len() {
            let spike = self.input_spikes[k];
            let queue = &mut self.queue;
            self.connectome.expand(spike, |d| queue.push(d));
        }

        let end = window.end;
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
                    self.count(first.source);
                    let mut weight = first.weight;
                    while let Some(next) = self.queue.peek_before(end) {
                        if next.time != first.time || next.target != first.target {
                            break;
                        }
                        self.queue.pop_before(end);
                        self.count(next.source);
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
    fn count(&mut self, source: Gid) {
        if source.0 < self.n_network_neurons {
            self.counters.recurrent_events += 1;
        } else {
            self.counters.external_events += 1;
        }
    }

    /// Step 3 of a window: turn spikes received from all partitions (sorted by
    /// `(time, source)`) into deliveries. Each lands at or after the next
    /// window's start because every delay is at least the window length.
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
