//! Routing synapses and neurons to partitions while a network is built.
//!
//! Generators and loaders see one network-wide interface (`NeuronTable`,
//! `Wiring`); these put every neuron and every synapse into the partition that
//! owns the neuron (synapses are stored with their target) and note, for each
//! source, which other partitions need its spikes.

use crate::neuron::lif_delta::LifDeltaParams;
use crate::neuron::NeuronStore;
use std::sync::Arc;
use volley_engine::connectome::check_synapse;
use volley_engine::{
    Assignment, Connectome, ConnectomeBuilder, ConnectomeError, Gid, SynapseClass, Time,
};

/// All neurons of the network, in gid order, before the split.
#[derive(Default)]
pub struct NeuronTable {
    params: Vec<LifDeltaParams>,
    neurons: Vec<(u16, f64)>,
}

impl NeuronTable {
    /// Register a parameter set; returns its index.
    pub fn add_lif_delta_params(&mut self, p: &LifDeltaParams) -> u16 {
        self.params.push(p.clone());
        (self.params.len() - 1) as u16
    }

    /// Append a neuron (the next gid).
    pub fn push_lif_delta(&mut self, params: u16, v_m: f64) {
        self.neurons.push((params, v_m));
    }

    /// Number of neurons.
    pub fn len(&self) -> u32 {
        self.neurons.len() as u32
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.neurons.is_empty()
    }

    /// The neuron store of partition `p`.
    pub fn store_for(&self, assign: &Assignment, p: usize) -> NeuronStore {
        let mut store = NeuronStore::default();
        for params in &self.params {
            store.add_lif_delta_params(params);
        }
        for g in assign.members(p) {
            let (params, v_m) = self.neurons[g.0 as usize];
            store.push_lif_delta(params, v_m);
        }
        store
    }
}

/// Network-wide synapse builder that routes each synapse to the partition of
/// its target.
pub struct Wiring<'a> {
    assign: &'a Assignment,
    n_neurons: u32,
    builders: Vec<ConnectomeBuilder>,
    classes: Vec<SynapseClass>,
    index: std::collections::HashMap<(u64, u64), u16>,
    destinations: Vec<u64>,
    cross_min_delay: Time,
    edges: u64,
}

impl<'a> Wiring<'a> {
    /// Synapses from `n_nodes` sources onto the neurons of `assign`.
    pub fn new(assign: &'a Assignment, n_neurons: u32, n_nodes: u32) -> Self {
        Wiring {
            assign,
            n_neurons,
            builders: (0..assign.parts())
                .map(|p| ConnectomeBuilder::new(n_nodes, assign.members(p).len() as u32))
                .collect(),
            classes: Vec::new(),
            index: Default::default(),
            destinations: vec![0; n_neurons as usize],
            cross_min_delay: Time::NEVER,
            edges: 0,
        }
    }

    /// Intern a (weight, delay) pair, the same index in every partition.
    pub fn class(&mut self, weight: f64, delay: Time) -> Result<u16, ConnectomeError> {
        let key = (weight.to_bits(), delay.0);
        if let Some(&c) = self.index.get(&key) {
            return Ok(c);
        }
        if delay.0 == 0 {
            return Err(ConnectomeError::ZeroDelay {
                source_gid: 0,
                target: 0,
            });
        }
        let mut c = 0;
        for b in &mut self.builders {
            c = b.class(weight, delay)?;
        }
        self.classes.push(SynapseClass { weight, delay });
        self.index.insert(key, c);
        Ok(c)
    }

    /// Add a synapse from node `source` to neuron `target` (both gids).
    #[inline]
    pub fn add_with_class(&mut self, source: Gid, target: u32, class: u16) {
        let q = self.assign.partition_of(target);
        self.builders[q].add_with_class(source, self.assign.local_of(target), class);
        self.edges += 1;
        if source.0 < self.n_neurons && self.assign.partition_of(source.0) != q {
            self.destinations[source.0 as usize] |= 1 << q;
            let d = self.classes[class as usize].delay;
            if d < self.cross_min_delay {
                self.cross_min_delay = d;
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

    /// Synapses added so far.
    pub fn len(&self) -> u64 {
        self.edges
    }

    /// Whether none was added.
    pub fn is_empty(&self) -> bool {
        self.edges == 0
    }

    /// Room for about `n` more synapses, spread over the partitions.
    pub fn reserve(&mut self, n: usize) {
        let per = n / self.builders.len() + 1;
        for b in &mut self.builders {
            b.reserve(per);
        }
    }

    /// Shortest delay of a synapse between two partitions, if any.
    pub fn cross_min_delay(&self) -> Option<Time> {
        (self.cross_min_delay != Time::NEVER).then_some(self.cross_min_delay)
    }

    /// Pack: one connectome per partition, and the destination sets.
    pub fn finish(self) -> (Vec<Connectome>, Arc<[u64]>) {
        let connectomes = self
            .builders
            .into_iter()
            .map(ConnectomeBuilder::build)
            .collect();
        (connectomes, self.destinations.into())
    }
}
