//! Grouped delivery: every delivery of a window waits in the per-partition
//! [`EventQueue`], grouped by target, and each active neuron consumes its
//! own in time order through the [`Step`]. Needed when trains must be
//! merged between connectome sources (a train's gid below some connectome
//! source's); also the reference direct delivery is tested against.

use super::step::{Context, NeuronView, Step, Sum};
use super::trains::TrainView;
use super::Local;
use crate::connectome::{Connectome, RunClasses, RunVisitor, SynapseClass};
use crate::event_queue::EventQueue;
use crate::observer::Observer;
use crate::plasticity::{PlasticSynapses, PlasticWiring, Plasticity};
use crate::spike::{Delivery, Spike};
use crate::time::Time;
use std::collections::HashMap;

/// The state of grouped delivery.
pub(super) struct Grouped {
    pub(super) queue: EventQueue,
    /// Scratch: the neurons with something to do in the window.
    active: Vec<u32>,
    /// Scratch: one neuron's inputs at one tick.
    items: Vec<Delivery>,
    /// Scratch: the targets of a shared run, shifted.
    shifted: Vec<u32>,
    /// The plastic runs transmitted in this window, by (first synapse,
    /// spike time, lag bits): where their weights start in `weights`.
    transmitted: HashMap<(u32, Time, u32), usize>,
    /// The weights of those runs.
    weights: Vec<f64>,
}

impl Grouped {
    /// The weight plastic synapse `k` transmits for `spike`. Its whole run
    /// is updated when the first of its deliveries is consumed (a rule may
    /// keep what a run's synapses share once per run, so the run goes
    /// through [`Plasticity::on_pre`] whole, as on direct delivery); the
    /// others, consumed later in the window, read their weight back.
    fn plastic_weight<P: Plasticity>(
        &mut self,
        plastic: &mut PlasticSynapses<P>,
        spike: Spike,
        k: u32,
    ) -> f64 {
        let run = plastic.wiring.run_of(k);
        let key = (run.first, spike.time, spike.lag.to_bits());
        let at = match self.transmitted.get(&key) {
            Some(&at) => at,
            None => {
                let at = self.weights.len();
                self.weights
                    .extend_from_slice(plastic.transmit(spike, run).1);
                self.transmitted.insert(key, at);
                at
            }
        };
        self.weights[at + (k - run.first) as usize]
    }

    /// Grouped delivery for `n` neurons over synapses of `classes` and
    /// the plastic synapses of `plastic`.
    pub(super) fn new(
        n: usize,
        window: Time,
        horizon: Time,
        classes: &[SynapseClass],
        plastic: &PlasticWiring,
    ) -> Self {
        Grouped {
            queue: EventQueue::new(n as u32, window, horizon, classes)
                .with_plastic_delays(plastic.len(), plastic.delays()),
            active: Vec::new(),
            items: Vec::new(),
            shifted: Vec::new(),
            transmitted: HashMap::new(),
            weights: Vec::new(),
        }
    }

    /// Queue the deliveries of `spike` over its static and plastic synapses.
    pub(super) fn push(&mut self, spike: Spike, connectome: &Connectome, plastic: &PlasticWiring) {
        let (a, b) = connectome.range_of(spike.source);
        if a < b {
            let queue = &mut self.queue;
            let push = Push { queue, spike };
            connectome.visit_targets(spike.source, (a, b), None, &mut self.shifted, push);
        }
        let (targets, first) = plastic.synapses_of(spike.source);
        if !targets.is_empty() {
            self.queue.push_plastic(spike, targets, first);
        }
    }

    /// Every neuron with something to do before `end` does it.
    pub(super) fn window<N, T, O, P>(
        &mut self,
        (neurons, trains, ctx): (N, T, Context<'_, O>),
        plastic: &mut PlasticSynapses<P>,
        end: Time,
    ) -> super::Counters
    where
        N: NeuronView,
        T: TrainView,
        O: Observer,
        P: Plasticity,
    {
        let mut step = Step::new(neurons, trains, ctx);
        let step = &mut step;
        self.transmitted.clear();
        self.weights.clear();
        // A neuron listed twice does nothing the second time.
        self.active.clear();
        self.active.extend_from_slice(self.queue.active());
        for i in 0..step.len() as u32 {
            if step.trains.next(step.local(i)) < end {
                self.active.push(i);
            }
        }
        step.neurons.take_due(end, &mut self.active);
        let active = std::mem::take(&mut self.active);
        for &i in &active {
            self.advance(step, plastic, step.local(i), end);
        }
        self.active = active;
        step.counters()
    }

    /// Neuron `i`'s deliveries, trains and forecasts before `end`, in time order.
    fn advance<N, T, O, P>(
        &mut self,
        step: &mut Step<'_, N, T, O>,
        plastic: &mut PlasticSynapses<P>,
        i: Local,
        end: Time,
    ) where
        N: NeuronView,
        T: TrainView,
        O: Observer,
        P: Plasticity,
    {
        while let Some(t) = self.queue.peek(i.0).map(|d| d.time).filter(|&t| t < end) {
            step.advance_to(i, t);
            // The inputs at `t`: deliveries (a plastic synapse updated now,
            // in queue order), then train events; in `(source, synapse)` order.
            self.items.clear();
            while let Some(mut d) = self.queue.peek(i.0).filter(|d| d.time == t) {
                self.queue.skip(i.0);
                if let Some(k) = d.synapse.checked_sub(self.queue.plastic_base()) {
                    let delay = self.queue.class(d.synapse).delay;
                    let spike = Spike {
                        time: t - delay,
                        source: d.source,
                        lag: d.lag,
                    };
                    d.weight = self.plastic_weight(plastic, spike, k);
                }
                step.count(d.source, 1);
                self.items.push(d);
            }
            let from_queue = self.items.len();
            if step.trains.next(i) == t {
                let items = &mut self.items;
                step.trains.consume(i, t, |source, synapse, weight| {
                    let lag = 0.0;
                    items.push(Delivery {
                        time: t,
                        target: i.0,
                        source,
                        synapse,
                        weight,
                        lag,
                    });
                });
            }
            if self.items.len() > from_queue {
                // Stable: multapses keep their synapse order.
                self.items.sort_by_key(|d| (d.source, d.synapse));
            }
            let sum = match self.items.as_slice() {
                [d] => N::Sum::one(d.weight),
                items => items.iter().fold(N::Sum::default(), |mut s, d| {
                    s.add(d.weight);
                    s
                }),
            };
            for d in &self.items {
                step.watch.delivery(i.0, d);
            }
            step.receive(i, t, self.items[0].lag, sum);
        }
        step.finish(i, end);
    }
}

/// A spike's deliveries over one source's static synapses, queued.
struct Push<'q> {
    queue: &'q mut EventQueue,
    spike: Spike,
}

impl RunVisitor for Push<'_> {
    type Output = ();

    fn visit<C: RunClasses>(self, targets: &[u32], classes: C) {
        self.queue.push_run(self.spike, targets, classes);
    }
}
