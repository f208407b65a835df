//! Assembling the wired partitions into a ready-to-run [`Simulation`]: the
//! processes agree on delays and routes, each partition gets its plastic
//! synapses, trains, drives and recorder, and the engine derives the
//! windows from the delays.

use super::config::RunConfig;
use super::distributed::Share;
use super::memory;
use super::meters::{self, Meter};
use super::recorders::WeightsRecorder;
use super::resolve::Model;
use super::wire::Wired;
use super::wiring::{self, NeuronTable, PlasticEdge};
use crate::error::ModelError;
use crate::input::event_camera::ReplayStatus;
use crate::input::{inhomogeneous_trains, poisson_trains};
use crate::neuron::NeuronStore;
use crate::synapse::{PlasticStore, SynapseRule};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use volley_engine::{
    Assignment, DelayBounds, Devices, Drive, Exchange, Gid, NoObserver, Partition, PartitionParts,
    PlasticWiring, PoissonTrains, Simulation, SpikeRecorder, SynapseClass, Time, Timing,
};

/// A network's simulation: its neurons and plastic synapses, observed by `O`.
pub type NetworkSimulation<O = NoObserver> = Simulation<Devices<NeuronStore>, PlasticStore, O>;

/// A population after building: a contiguous block of gids.
#[derive(Clone, Debug, PartialEq)]
pub struct PopulationInfo {
    /// Its name.
    pub name: String,
    /// Gid of its first neuron.
    pub first_gid: u32,
    /// Number of neurons.
    pub size: u32,
    /// The gids whose spikes are recorded, increasing (all, some or none).
    pub recorded: Vec<u32>,
}

impl PopulationInfo {
    /// Its gids.
    pub fn gids(&self) -> Range<u32> {
        self.first_gid..self.first_gid + self.size
    }
}

/// A built network and what the run needs to know about it.
pub struct Network {
    /// Ready to run.
    pub simulation: NetworkSimulation,
    /// Populations in gid order.
    pub populations: Vec<PopulationInfo>,
    /// Number of neurons (gids `0..n_neurons`).
    pub n_neurons: u32,
    /// Neuron-to-neuron synapses.
    pub n_synapses: u64,
    /// Synapses from input channels (file inputs) to neurons.
    pub n_input_synapses: u64,
    /// Bytes the static synapses take (`Connectome::bytes`, all partitions).
    pub synapse_storage_bytes: u64,
    /// Simulated time.
    pub t_sim: Time,
    /// The seed used.
    pub seed: u64,
    /// Recording starts here.
    pub record_from: Time,
    /// The model file.
    pub model_file: PathBuf,
    /// Event-camera replays: input name and shared progress / errors.
    pub replays: Vec<(String, Arc<Mutex<ReplayStatus>>)>,
    /// Plastic synapses (included in `n_synapses`).
    pub n_plastic_synapses: u64,
    /// Whether a `weights` recorder asks for weights.csv.
    pub record_weights: bool,
    /// Plastic synapses whose every change is recorded.
    pub n_traced_synapses: u64,
    /// Multimeters (their samples: [`meters::collect_samples`]).
    pub meters: Vec<Meter>,
    /// `Output` nodes of included NIR graphs: whose spikes each counts.
    pub readouts: Vec<super::Readout>,
    /// The partitioning used (`auto` resolved).
    pub partitioning: &'static str,
}

/// What one window's bucket of a partition's queue costs when empty (its
/// vectors' headers), bytes.
const QUEUE_BUCKET_BYTES: f64 = 64.0;

/// The network of `model`, wired into `wired` (partitions `local` of
/// `assign`'s), split as `run` says.
pub(super) fn assemble(
    model: Model,
    wired: Vec<Wired>,
    assign: &Assignment,
    local: Range<usize>,
    run: &RunConfig,
) -> Result<Network, ModelError> {
    let n_neurons = model.n_neurons();
    let (mut n_synapses, mut n_input_synapses, mut synapse_storage_bytes) = (0, 0, 0);
    let mut bounds = DelayBounds {
        min_recurrent: Time::NEVER,
        max: Time::ZERO,
    };
    let mut parts = Vec::with_capacity(wired.len());
    let mut flags = Vec::with_capacity(wired.len());
    for w in wired {
        n_synapses += w.n_synapses;
        n_input_synapses += w.n_input_synapses;
        synapse_storage_bytes += w.connectome.bytes() as u64;
        bounds.min_recurrent = bounds.min_recurrent.min(w.min_recurrent_delay);
        bounds.max = bounds.max.max(w.delays.1);
        check_plastic_weights(&model, &w)?;
        flags.push(w.from_elsewhere);
        parts.push((w.connectome, w.plastic));
    }
    for input in &model.inputs.poisson {
        bounds.max = bounds.max.max(input.delay);
    }
    let mut destinations = wiring::destinations(assign.parts(), local.start, &flags);
    drop(flags);
    // Several processes: agree on the delays and on who sends where, and
    // count the workers that share this machine's cores.
    let (exchange, workers_here) = match &run.share {
        Some(Share { collective, .. }) => {
            bounds.min_recurrent = Time(collective.min_u64(bounds.min_recurrent.0));
            bounds.max = Time(collective.max_u64(bounds.max.0));
            collective.or_u64s(&mut destinations);
            let here = collective.sum_on_this_machine(local.len() as u64);
            (Exchange::Processes, here as usize)
        }
        None => (Exchange::Threads, local.len()),
    };
    let destinations: Arc<[u64]> = destinations.into();
    let timing = Timing::new(bounds, assign.parts(), exchange);
    // Every partition's queue is a ring of one bucket per window up to the
    // longest delay: a long delay beside short ones makes it huge.
    let buckets = (timing.horizon.0 / timing.window.0).saturating_add(3);
    let what = format!(
        "the delivery queues ({buckets} windows of {} from the longest delay, {} ms, in {} partitions)",
        timing.window,
        timing.horizon.as_ms(),
        local.len()
    );
    let bytes = buckets as f64 * QUEUE_BUCKET_BYTES * local.len() as f64;
    memory::refuse_beyond_available(&model.path, &what, bytes)?;

    let recording = &model.recording;
    let selected = &recording.neurons;
    let mut cameras = Vec::with_capacity(model.inputs.cameras.len());
    for c in &model.inputs.cameras {
        cameras.push(
            c.drives_for(local.clone(), assign, workers_here)?
                .into_iter(),
        );
    }
    let mut partitions = Vec::with_capacity(parts.len());
    let mut n_plastic_synapses = 0;
    let mut n_traced_synapses = 0;
    for (p, (connectome, edges)) in local.zip(parts) {
        let members = assign.members(p);
        n_plastic_synapses += edges.len() as u64;
        let (plastic, mut plasticity) = plastic_part(
            &model.neurons,
            &model.rules,
            members,
            model.inputs.n_nodes,
            &edges,
            connectome.classes(),
        );
        drop(edges);
        if let Some(s) = plasticity.as_mut() {
            trace_synapses(s, &plastic, assign, p, &recording.weights);
            n_traced_synapses += s.n_traced();
        }
        let mut drives: Vec<Box<dyn Drive>> = Vec::new();
        for d in &model.inputs.spike_drives {
            drives.push(Box::new(d.clone()));
        }
        for c in &mut cameras {
            let drive = c.next().expect("one camera drive per local partition");
            drives.push(Box::new(drive));
        }
        let local_selected = members.iter().map(|g| selected[g.0 as usize]).collect();
        partitions.push(Partition::new(PartitionParts {
            index: p,
            parts: assign.parts(),
            dynamics: Devices::new(
                model.neurons.store_for(assign, p),
                meters::plan_for(
                    &recording.meters,
                    &model.inputs.currents,
                    &model.neurons,
                    assign,
                    p,
                ),
            ),
            gids: members.to_vec(),
            connectome,
            plastic,
            plasticity,
            destinations: destinations.clone(),
            drives,
            trains: trains_of(&model, assign, p),
            recorder: SpikeRecorder::new(recording.from, Some(local_selected)),
            n_network_neurons: n_neurons,
            timing,
        }));
    }
    Ok(Network {
        partitioning: run.partitioning.name(),
        simulation: Simulation::new(partitions),
        populations: model
            .pops
            .iter()
            .map(|p| PopulationInfo {
                name: p.name.clone(),
                first_gid: p.first_gid,
                size: p.size,
                recorded: p.gids().filter(|&g| selected[g as usize]).collect(),
            })
            .collect(),
        n_neurons,
        n_synapses,
        n_input_synapses,
        synapse_storage_bytes,
        t_sim: model.t_sim,
        seed: model.seed,
        record_from: recording.from,
        model_file: model.path.clone(),
        replays: model
            .inputs
            .cameras
            .iter()
            .map(|c| (c.name.clone(), c.status.clone()))
            .collect(),
        n_plastic_synapses,
        record_weights: recording.weights.enabled,
        n_traced_synapses,
        meters: recording.meters.clone(),
        readouts: model.readouts.clone(),
    })
}

/// Every plastic synapse's initial weight is one its rule accepts.
fn check_plastic_weights(model: &Model, w: &Wired) -> Result<(), ModelError> {
    for e in &w.plastic {
        let weight = w.connectome.classes()[e.class as usize].weight;
        model.rules[e.rule as usize]
            .check_weight(weight)
            .map_err(|m| model.projection_of_rule(e.rule).site().err("weight", m))?;
    }
    Ok(())
}

/// The Poisson trains of partition `p`'s neurons.
fn trains_of(model: &Model, assign: &Assignment, p: usize) -> Vec<PoissonTrains> {
    let mut trains = Vec::new();
    for input in &model.inputs.poisson {
        let targets: Vec<(u32, Gid)> = input
            .targets
            .iter()
            .filter(|g| assign.partition_of(g.0) == p)
            .map(|&g| (assign.local_of(g.0), g))
            .collect();
        if !targets.is_empty() {
            let active = input.active.clone();
            trains.push(match &input.profile {
                None => {
                    let law = (input.rate_hz, input.weight, input.delay);
                    poisson_trains(model.seed, input.gid, law, active, &targets)
                }
                Some(p) => {
                    let law = (p, input.weight, input.delay);
                    inhomogeneous_trains(model.seed, input.gid, law, active, &targets)
                }
            });
        }
    }
    trains
}

/// One partition's plastic synapses: where they go, and their state.
fn plastic_part(
    neurons: &NeuronTable,
    rules: &[SynapseRule],
    members: &[Gid],
    n_nodes: u32,
    edges: &[PlasticEdge],
    classes: &[SynapseClass],
) -> (PlasticWiring, Option<PlasticStore>) {
    if edges.is_empty() {
        return (PlasticWiring::default(), None);
    }
    let wiring = PlasticWiring::from_sorted(n_nodes, edges.len(), |k| {
        let e = edges[k];
        (e.source, e.target, classes[e.class as usize].delay)
    });
    let mut store = PlasticStore::new(rules.to_vec(), members.len() as u32, edges.len());
    let mut run = None;
    for e in edges {
        let SynapseClass { weight, delay } = classes[e.class as usize];
        let tau_minus = neurons.tau_minus(members[e.target as usize].0);
        let starts_run = run != Some((e.source, delay));
        run = Some((e.source, delay));
        store.push(
            e.rule,
            e.target,
            weight,
            delay.as_ms(),
            tau_minus,
            starts_run,
        );
    }
    (wiring, Some(store))
}

/// Mark the plastic synapses of partition `p` that the weights recorder
/// traces.
fn trace_synapses(
    store: &mut PlasticStore,
    wiring: &PlasticWiring,
    assign: &Assignment,
    p: usize,
    weights: &WeightsRecorder,
) {
    if weights.all {
        (0..store.len() as u32).for_each(|k| store.trace(k));
    }
    for &[source, target] in &weights.traced {
        if assign.partition_of(target) != p {
            continue;
        }
        let local = assign.local_of(target);
        let (targets, first) = wiring.synapses_of(Gid(source));
        for (j, &t) in targets.iter().enumerate() {
            if t == local {
                store.trace(first + j as u32);
            }
        }
    }
}
