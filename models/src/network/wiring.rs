//! Routing neurons and synapses to partitions while a network is built.
//!
//! `NeuronTable` holds every neuron until the split; each partition then
//! builds its own synapses with a `Wiring` (in its own thread), keeping the
//! synapses whose target it owns (synapses are stored with their target),
//! and noting which sources elsewhere need to send it their spikes.

use crate::neuron::{NeuronParams, NeuronStore};
use volley_engine::connectome::check_synapse;
use volley_engine::connectome::TwoPassBuilder;
use volley_engine::{Assignment, Connectome, ConnectomeError, Gid, Time};

/// All neurons of the network, in gid order, before the split.
#[derive(Default)]
pub struct NeuronTable {
    params: Vec<NeuronParams>,
    neurons: Vec<(u16, f64)>,
}

impl NeuronTable {
    /// Register a parameter set; returns its index.
    pub fn add_params(&mut self, p: &NeuronParams) -> u16 {
        self.params.push(p.clone());
        (self.params.len() - 1) as u16
    }

    /// Number of parameter sets so far.
    pub fn n_param_sets(&self) -> usize {
        self.params.len()
    }

    /// Append a neuron (the next gid).
    pub fn push(&mut self, params: u16, v_m: f64) {
        self.neurons.push((params, v_m));
    }

    /// The parameters of neuron `gid`.
    pub fn params_of(&self, gid: u32) -> &NeuronParams {
        &self.params[self.neurons[gid as usize].0 as usize]
    }

    /// Number of neurons.
    pub fn len(&self) -> u32 {
        self.neurons.len() as u32
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.neurons.is_empty()
    }

    /// The STDP trace time constant (ms) of neuron `gid`.
    pub fn tau_minus(&self, gid: u32) -> f64 {
        self.params[self.neurons[gid as usize].0 as usize].tau_minus()
    }

    /// The neuron store of partition `p`.
    pub fn store_for(&self, assign: &Assignment, p: usize) -> NeuronStore {
        let mut store = NeuronStore::default();
        for params in &self.params {
            store.add_params(params);
        }
        for g in assign.members(p) {
            let (params, v_m) = self.neurons[g.0 as usize];
            store.push(params, v_m);
        }
        store
    }
}

/// The synapses of one partition, built in two passes (count, then place)
/// by running the generators twice: a synapse is kept only if this
/// partition owns its target. It also notes which sources of other
/// partitions send spikes here, and the shortest such delay.
pub struct Wiring<'a> {
    assign: &'a Assignment,
    part: usize,
    n_neurons: u32,
    builder: TwoPassBuilder,
    /// Per neuron gid: does it (in another partition) have a target here?
    from_elsewhere: Vec<bool>,
    cross_min_delay: Time,
    /// The synapse rule of the projection being wired (`None`: static).
    plastic_rule: Option<u16>,
    /// Plastic synapses (see [`PlasticEdge`]), kept in the placing pass
    /// (they are few enough to sort at the end).
    plastic: Vec<PlasticEdge>,
    filling: bool,
    plastic_added: u64,
    /// Per source gid: may its run be stored shared (see
    /// [`Connectome::share_runs`]); empty if none may.
    share: Vec<bool>,
}

/// One plastic synapse while the network is built, 16 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlasticEdge {
    /// Source gid.
    pub source: u32,
    /// Local target.
    pub target: u32,
    /// Class: its initial weight and its delay.
    pub class: u32,
    /// Its synapse rule.
    pub rule: u16,
}

impl<'a> Wiring<'a> {
    /// Synapses from `n_nodes` sources onto the neurons of partition `part`.
    pub fn new(assign: &'a Assignment, part: usize, n_neurons: u32, n_nodes: u32) -> Self {
        Wiring {
            assign,
            part,
            n_neurons,
            builder: TwoPassBuilder::new(n_nodes, assign.members(part).len() as u32),
            from_elsewhere: vec![false; n_neurons as usize],
            cross_min_delay: Time::NEVER,
            plastic_rule: None,
            plastic: Vec::new(),
            filling: false,
            plastic_added: 0,
            share: Vec::new(),
        }
    }

    /// `source`'s synapses here may be stored as a run shared with other
    /// sources (if the same up to a shift of targets).
    pub fn share_runs_of(&mut self, source: Gid) {
        let s = source.0 as usize;
        if s >= self.share.len() {
            self.share
                .resize(self.from_elsewhere.len().max(s + 1), false);
        }
        self.share[s] = true;
    }

    /// Synapses added from now on follow rule `rule` (`None`: static).
    pub fn set_plastic(&mut self, rule: Option<u16>) {
        self.plastic_rule = rule;
    }

    /// Whether this partition owns neuron `target`; generators skip the
    /// draws of targets they do not own.
    #[inline]
    pub fn owns(&self, target: u32) -> bool {
        self.assign.partition_of(target) == self.part
    }

    /// Intern a (weight, delay) pair.
    pub fn class(&mut self, weight: f64, delay: Time) -> Result<u32, ConnectomeError> {
        if delay.0 == 0 {
            return Err(ConnectomeError::ZeroDelay {
                source_gid: 0,
                target: 0,
            });
        }
        self.builder.class(weight, delay)
    }

    /// Add a synapse from node `source` to neuron `target` (both gids); ignored
    /// unless this partition owns the target.
    #[inline]
    pub fn add_with_class(&mut self, source: Gid, target: u32, class: u32) {
        if !self.owns(target) {
            return;
        }
        let local = self.assign.local_of(target);
        if let Some(rule) = self.plastic_rule {
            self.plastic_added += 1;
            if self.filling {
                self.plastic.push(PlasticEdge {
                    source: source.0,
                    target: local,
                    class,
                    rule,
                });
            }
        } else {
            self.builder.add_with_class(source, local, class);
        }
        self.note_source(source.0, class);
    }

    /// If `source` is a neuron of another partition, it sends spikes here
    /// (over a synapse of class `class`).
    #[inline]
    fn note_source(&mut self, source: u32, class: u32) {
        if source < self.n_neurons && self.assign.partition_of(source) != self.part {
            self.from_elsewhere[source as usize] = true;
            self.cross_min_delay = self.cross_min_delay.min(self.builder.delay_of(class));
        }
    }

    /// Add synapses from each of `sources` (gids) to neuron `target`, all of
    /// class `class` — [`add_with_class`](Self::add_with_class) with the
    /// per-target work done once (the generators' commonest case).
    pub fn add_sources(&mut self, sources: &[u32], target: u32, class: u32) {
        if !self.owns(target) {
            return;
        }
        if self.plastic_rule.is_some() {
            for &s in sources {
                self.add_with_class(Gid(s), target, class);
            }
            return;
        }
        let local = self.assign.local_of(target);
        self.builder.add_sources_with_class(sources, local, class);
        // The placing pass adds the same synapses: noted once is enough.
        if !self.builder.is_filling() {
            for &s in sources {
                self.note_source(s, class);
            }
        }
    }

    /// Add a synapse with its own weight and delay.
    pub fn add(
        &mut self,
        source: Gid,
        target: u32,
        weight: f64,
        delay: Time,
    ) -> Result<(), ConnectomeError> {
        check_synapse(source, target, weight, delay)?;
        let c = self.class(weight, delay)?;
        self.add_with_class(source, target, c);
        Ok(())
    }

    /// Synapses kept in the current pass.
    pub fn len(&self) -> u64 {
        self.builder.len() + self.plastic_added
    }

    /// Whether none was kept in the current pass.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// End the counting pass; the generators then run again to place.
    pub fn start_filling(&mut self) {
        self.builder.start_filling();
        self.plastic.reserve_exact(self.plastic_added as usize);
        self.filling = true;
        self.plastic_added = 0;
    }

    /// Shortest delay of a synapse from another partition, if any.
    pub fn cross_min_delay(&self) -> Option<Time> {
        (self.cross_min_delay != Time::NEVER).then_some(self.cross_min_delay)
    }

    /// Pack: the connectome, per neuron whether it sends spikes here, and
    /// the plastic synapses ordered by (source, delay, target) — within a
    /// (source, target) pair in the order they were made.
    /// Classes are those of the connectome's table.
    pub fn finish(mut self) -> (Connectome, Vec<bool>, Vec<PlasticEdge>) {
        let b = &self.builder;
        self.plastic
            .sort_by_key(|e| (e.source, b.delay_of(e.class), e.target));
        let connectome = self.builder.build().share_runs(&self.share);
        (connectome, self.from_elsewhere, self.plastic)
    }
}

/// Merge the "sends here" flags of partitions `first..` (of `parts`) into
/// per-source destination sets (bit `p` for partition `p`).
pub fn destinations(parts: usize, first: usize, from_elsewhere: &[Vec<bool>]) -> Vec<u64> {
    debug_assert!(first + from_elsewhere.len() <= parts && parts <= 64);
    let n = from_elsewhere.first().map_or(0, Vec::len);
    let mut d = vec![0u64; n];
    for (j, flags) in from_elsewhere.iter().enumerate() {
        for (g, &f) in flags.iter().enumerate() {
            if f {
                d[g] |= 1 << (first + j);
            }
        }
    }
    d
}
