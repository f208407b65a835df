//! Recording what a simulation does.

use std::path::Path;
use volley_engine::{
    Delivery, Devices, Gid, Observer, Partition, PartitionScheme, Plasticity as _, PoolMode, Spike,
    SyncWindow, Time,
};
use volley_models::neuron::NeuronStore;
use volley_models::synapse::PlasticStore;
use volley_models::{load, ModelError, Overrides, RunConfig};

/// One processed delivery.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DeliveryRecord {
    /// Window in which it was processed.
    pub window: u64,
    /// Receiving neuron.
    pub target: Gid,
    /// Emitting node.
    pub source: Gid,
    /// Arrival tick.
    pub time: Time,
    /// The weight it carried (for a plastic synapse: after its update).
    pub weight: f64,
}

/// One spike.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpikeRecord {
    /// Window in which it was emitted.
    pub window: u64,
    /// The spike.
    pub spike: Spike,
}

/// Records everything one partition does, in processing order.
#[derive(Clone, Debug, Default)]
pub struct TraceObserver {
    /// Windows, in order.
    pub windows: Vec<SyncWindow>,
    /// Processed deliveries, in processing order.
    pub deliveries: Vec<DeliveryRecord>,
    /// Emitted spikes, in order.
    pub spikes: Vec<SpikeRecord>,
}

impl TraceObserver {
    fn window(&self) -> u64 {
        self.windows.last().map(|w| w.index).unwrap_or(0)
    }
}

impl Observer for TraceObserver {
    fn on_window(&mut self, _partition: usize, window: &SyncWindow) {
        self.windows.push(*window);
    }
    fn on_delivery(&mut self, _partition: usize, target: Gid, d: &Delivery) {
        self.deliveries.push(DeliveryRecord {
            window: self.window(),
            target,
            source: d.source,
            time: d.time,
            weight: d.weight,
        });
    }
    fn on_spike(&mut self, _partition: usize, spike: &Spike) {
        self.spikes.push(SpikeRecord {
            window: self.window(),
            spike: *spike,
        });
    }
}

/// A run with a trace of each partition and the facts needed to check it.
#[derive(Debug)]
pub struct TracedRun {
    /// Neurons (gids `0..n_neurons`).
    pub n_neurons: u32,
    /// Simulated time.
    pub t_sim: Time,
    /// Window length.
    pub window: Time,
    /// Every synapse `(source gid, target gid, delay)`.
    pub synapses: Vec<(u32, u32, Time)>,
    /// Partition of each neuron.
    pub partition_of: Vec<usize>,
    /// Refractory period of each neuron.
    pub t_ref: Vec<Time>,
    /// Recorded spikes (all neurons are recorded unless the model says otherwise).
    pub spikes: Vec<Spike>,
    /// One trace per partition.
    pub traces: Vec<TraceObserver>,
}

impl TracedRun {
    /// Whether two runs delivered the same inputs with bit-identical weights
    /// (plastic synapses included), in whatever partition.
    pub fn same_deliveries(&self, other: &TracedRun) -> bool {
        let all = |r: &TracedRun| {
            let mut v: Vec<(u64, u32, u32, u64)> = r
                .traces
                .iter()
                .flat_map(|t| &t.deliveries)
                .map(|d| (d.time.0, d.target.0, d.source.0, d.weight.to_bits()))
                .collect();
            v.sort_unstable();
            v
        };
        all(self) == all(other)
    }

    /// Whether two runs produced bit-identical spikes (ticks and sub-tick lags).
    pub fn same_spikes(&self, other: &TracedRun) -> bool {
        self.same_spikes_as(&other.spikes)
    }

    /// Whether this run's spikes are bit-identical to `spikes`.
    pub fn same_spikes_as(&self, spikes: &[Spike]) -> bool {
        self.spikes.len() == spikes.len()
            && self
                .spikes
                .iter()
                .zip(spikes)
                .all(|(a, b)| a == b && a.lag.to_bits() == b.lag.to_bits())
    }
}

/// Build `model` on `threads` partitions split by `scheme`, run it to its
/// `t_sim_ms` with a [`TraceObserver`] on every partition.
pub fn run_traced(
    model: &Path,
    threads: usize,
    scheme: PartitionScheme,
) -> Result<TracedRun, ModelError> {
    run_traced_on(model, threads, scheme, false)
}

/// [`run_traced`] with every partition on the grouped per-delivery queue
/// instead of direct delivery: the two paths must agree bit for bit.
pub fn run_traced_grouped(
    model: &Path,
    threads: usize,
    scheme: PartitionScheme,
) -> Result<TracedRun, ModelError> {
    run_traced_on(model, threads, scheme, true)
}

/// The spikes of `model` run as production runs it, with no observer: the
/// engine then takes its fastest paths, which must give the same spikes.
pub fn run_unobserved(
    model: &Path,
    threads: usize,
    scheme: PartitionScheme,
) -> Result<Vec<Spike>, ModelError> {
    run_unobserved_pooling(model, threads, scheme, PoolMode::Timed)
}

/// [`run_unobserved`] with windows pooling their train events as
/// `mode` says (every way must give the same spikes).
pub fn run_unobserved_pooling(
    model: &Path,
    threads: usize,
    scheme: PartitionScheme,
    mode: PoolMode,
) -> Result<Vec<Spike>, ModelError> {
    let net = load_split(model, threads, scheme)?;
    let mut sim = net.simulation;
    for p in sim.partitions_mut() {
        p.pool_train_events(mode);
    }
    sim.run(net.t_sim);
    Ok(sim.take_spikes())
}

/// `model` built on `threads` partitions split by `scheme`.
fn load_split(
    model: &Path,
    threads: usize,
    scheme: PartitionScheme,
) -> Result<volley_models::Network, ModelError> {
    let config = RunConfig::threads(threads, scheme);
    load(model, &Overrides::default(), &config)
}

fn run_traced_on(
    model: &Path,
    threads: usize,
    scheme: PartitionScheme,
    grouped: bool,
) -> Result<TracedRun, ModelError> {
    let net = load_split(model, threads, scheme)?;
    let mut sim = net.simulation;
    let mut synapses = Vec::new();
    let mut partition_of = vec![0; net.n_neurons as usize];
    let mut t_ref = vec![Time::ZERO; net.n_neurons as usize];
    for p in sim.partitions_mut() {
        if grouped {
            p.use_grouped_delivery();
        }
        let gids = p.gids().to_vec();
        for (i, g) in gids.iter().enumerate() {
            partition_of[g.0 as usize] = p.index();
            t_ref[g.0 as usize] = p.dynamics.inner().t_ref(i as u32).unwrap_or(Time::ZERO);
        }
        each_synapse(p, |s, t, _, d| synapses.push((s, t, d)));
    }
    let window = sim.window_len();
    let mut sim = sim.observe(|_| TraceObserver::default());
    sim.run(net.t_sim);
    let spikes = sim.take_spikes();
    Ok(TracedRun {
        n_neurons: net.n_neurons,
        t_sim: net.t_sim,
        window,
        synapses,
        partition_of,
        t_ref,
        spikes,
        traces: sim.into_observers(),
    })
}

/// `f(source gid, target gid, weight, delay)` for every synapse, static and
/// plastic (with its current weight), of partition `p`.
fn each_synapse<O: Observer>(
    p: &Partition<Devices<NeuronStore>, PlasticStore, O>,
    mut f: impl FnMut(u32, u32, f64, Time),
) {
    let gids = p.gids();
    let c = p.connectome();
    for s in 0..c.n_sources() as u32 {
        for (local, class) in c.synapses_of(Gid(s)) {
            f(s, gids[local as usize].0, class.weight, class.delay);
        }
    }
    let w = p.plastic();
    for k in 0..w.len() as u32 {
        let weight = p.plasticity().map_or(f64::NAN, |s| s.weight(k));
        let target = gids[w.target_of(k) as usize].0;
        f(w.source_of(k).0, target, weight, p.plastic_delay(k));
    }
}

/// Every neuron-to-neuron and input synapse (static and plastic) of the model
/// at `model` as built on `threads` partitions: `(source gid, target gid,
/// weight, delay)`, sorted; plastic synapses with their initial weight.
/// For checking connectivity rules and weight distributions.
pub fn network_synapses(
    model: &Path,
    threads: usize,
) -> Result<Vec<(u32, u32, f64, Time)>, ModelError> {
    let config = RunConfig::threads(threads, PartitionScheme::Contiguous);
    let mut net = load(model, &Overrides::default(), &config)?;
    let mut out = Vec::new();
    for p in net.simulation.partitions_mut() {
        each_synapse(p, |s, t, w, d| out.push((s, t, w, d)));
    }
    out.sort_by_key(|a| (a.0, a.1, a.3, a.2.to_bits()));
    Ok(out)
}
