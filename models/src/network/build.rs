//! From a model file to a ready-to-run [`Simulation`].
//!
//! Gids are assigned in file order: the neurons of every population first
//! (so a network loaded from an edge list keeps its 0-based indices), then the
//! input nodes. Every random draw comes from a stream named by the seed and
//! the thing drawn for (projection + target, generator + target), so the
//! network does not depend on how it is later split.

use super::csv_table::CsvTable;
use super::distributed::Share;
use super::generators::{self, RuleCtx, Sources, SynapseSampler, Value};
use super::model_file::{
    self, InputSpec, ModelFile, Names, PopulationSpec, ProjectionSpec, SynapseChoice, ValueSpec,
};
use super::wiring::{self, NeuronTable, PlasticEdge, Wiring};
use crate::error::ModelError;
use crate::input::event_camera::{Format, ReplayStatus};
use crate::input::{poisson_trains, SpikeTimesDrive};
use crate::neuron::{NeuronParams, NeuronStore, MODEL_NAMES};
use crate::rng::{stream, StreamKind};
use crate::synapse::{PlasticStore, SynapseRule};
use std::collections::HashSet;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use toml::Spanned;
use volley_engine::{
    Assignment, DelayBounds, Exchange, NoObserver, PartitionParts, PartitionScheme, PlasticWiring,
    SynapseClass, Timing,
};
use volley_engine::{Drive, Gid, Partition, PoissonTrains, Simulation, Spike, SpikeRecorder, Time};

/// A network's simulation: its neurons and plastic synapses, observed by `O`.
pub type NetworkSimulation<O = NoObserver> = Simulation<NeuronStore, PlasticStore, O>;

/// Command-line overrides of model-file values.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// Replaces `seed`.
    pub seed: Option<u64>,
    /// Replaces `t_sim_ms`.
    pub t_sim_ms: Option<f64>,
    /// Number of partitions = worker threads (0 is taken as 1).
    pub threads: usize,
    /// How neurons are split over partitions.
    pub partitioning: PartitionScheme,
    /// Replaces the recording of the model's (single) `event_camera` input.
    pub event_file: Option<PathBuf>,
    /// Forces the recording's format.
    pub event_format: Option<Format>,
    /// Skip damaged parts of recordings instead of failing.
    pub lenient: bool,
    /// In a distributed run: the partitions this process builds (of
    /// `threads` in all) and the collective operations that make the
    /// processes agree. `None`: this process builds everything.
    pub share: Option<Share>,
}

impl Overrides {
    /// The partitioning scheme's name, for reports.
    pub fn partitioning_name(&self) -> String {
        match self.partitioning {
            PartitionScheme::Contiguous => "contiguous".into(),
            PartitionScheme::RoundRobin => "round_robin".into(),
            PartitionScheme::Explicit(_) => "explicit".into(),
        }
    }
}

/// Read a partition assignment: CSV `gid,partition`, one row per neuron in
/// gid order.
pub fn read_partition_file(path: &Path) -> Result<PartitionScheme, ModelError> {
    let table = CsvTable::open(path)?;
    let cg = table.require("gid")?;
    let cp = table.require("partition")?;
    let mut parts = Vec::new();
    table.for_each_row(|row| {
        let g = row.u32(cg)?;
        if g as usize != parts.len() {
            return Err(row.error(
                cg,
                format!(
                    "gids must be 0, 1, 2, ... in order; expected {}, found {g}",
                    parts.len()
                ),
            ));
        }
        let p = row.u32(cp)?;
        if p as usize >= volley_engine::MAX_PARTITIONS {
            return Err(row.error(
                cp,
                format!(
                    "partition {p} out of range (at most {} partitions)",
                    volley_engine::MAX_PARTITIONS
                ),
            ));
        }
        parts.push(p as u16);
        Ok(())
    })?;
    Ok(PartitionScheme::Explicit(parts))
}

/// A population after building: a contiguous block of gids.
#[derive(Clone, Debug, PartialEq)]
pub struct PopulationInfo {
    /// Its name.
    pub name: String,
    /// Gid of its first neuron.
    pub first_gid: u32,
    /// Number of neurons.
    pub size: u32,
    /// Whether its spikes are recorded.
    pub recorded: bool,
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
}

pub(super) struct Ctx<'a> {
    path: &'a Path,
    text: &'a str,
    dir: PathBuf,
}

impl Ctx<'_> {
    pub(super) fn err<T>(
        &self,
        span: &Spanned<T>,
        key: String,
        msg: impl Into<String>,
    ) -> ModelError {
        ModelError {
            file: self.path.to_path_buf(),
            line: Some(model_file::line_of(self.text, span.span().start)),
            key: Some(key),
            message: msg.into(),
        }
    }

    pub(super) fn resolve(&self, rel: &str) -> PathBuf {
        let p = Path::new(rel);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.dir.join(p)
        }
    }
}

/// A group of neurons being built.
pub(super) struct PopBuild {
    pub(super) name: String,
    pub(super) first_gid: u32,
    pub(super) size: u32,
}

/// Read, check and build the model file at `path`.
pub fn load(path: &Path, overrides: &Overrides) -> Result<Network, ModelError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ModelError::file(path, format!("cannot read: {e}")))?;
    let file = model_file::parse(path, &text)?;
    let ctx = Ctx {
        path,
        text: &text,
        dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
    };
    build(&ctx, file, overrides)
}

fn positive_time(ms: f64) -> Option<Time> {
    if !ms.is_finite() || ms <= 0.0 {
        return None;
    }
    Time::from_ms(ms).filter(|t| t.0 > 0)
}

fn build(ctx: &Ctx, file: ModelFile, ov: &Overrides) -> Result<Network, ModelError> {
    let seed = ov.seed.unwrap_or(file.seed);
    let t_sim_ms = ov.t_sim_ms.unwrap_or(file.t_sim_ms);
    let t_sim = positive_time(t_sim_ms).ok_or_else(|| {
        ModelError::key(
            ctx.path,
            "t_sim_ms",
            format!("must be a positive number of ms, got {t_sim_ms}"),
        )
    })?;
    if file.populations.is_empty() {
        return Err(ModelError::key(
            ctx.path,
            "populations",
            "the model has no [[populations]]",
        ));
    }

    // Neurons.
    let mut store = NeuronTable::default();
    let mut pops: Vec<PopBuild> = Vec::new();
    for (i, spec) in file.populations.iter().enumerate() {
        add_population(ctx, i, spec, seed, &mut store, &mut pops)?;
    }
    let n_neurons = store.len();
    let mut seen = HashSet::new();
    for (i, p) in pops.iter().enumerate() {
        if !seen.insert(p.name.as_str()) {
            return Err(ctx.err(
                &file.populations[i.min(file.populations.len() - 1)],
                "name".into(),
                format!("population name `{}` is used twice", p.name),
            ));
        }
    }

    // Input nodes: gids after the neurons.
    let mut next_gid = n_neurons;
    let mut inputs = Vec::new();
    for (i, spec) in file.inputs.iter().enumerate() {
        let input = read_input(ctx, i, spec, &pops, n_neurons, &mut next_gid, ov)?;
        inputs.push(input);
    }
    let n_nodes = next_gid;

    // External inputs: Poisson specs, spike drives, input-channel edges.
    let mut poisson = Vec::new();
    let mut spike_drives = Vec::new();
    let mut input_edges = Vec::new();
    let mut cameras = Vec::new();
    for input in inputs {
        match input {
            Input::Poisson(spec) => poisson.push(spec),
            Input::Spikes { drive, edges } => {
                spike_drives.push(drive);
                input_edges.extend(edges);
            }
            Input::Camera(c) => {
                input_edges.extend(c.edges());
                cameras.push(c);
            }
        }
    }
    if let (Some(f), 0) = (&ov.event_file, cameras.len()) {
        return Err(ModelError::file(
            ctx.path,
            format!(
                "cannot replay {}: the model has no `event_camera` input",
                f.display()
            ),
        ));
    }

    // Synapse models: one rule per plastic projection.
    let mut rules: Vec<SynapseRule> = Vec::new();
    let mut rule_projection: Vec<usize> = Vec::new();
    let mut projection_rules: Vec<Option<u16>> = Vec::new();
    for (i, spec) in file.projections.iter().enumerate() {
        let rule = match &spec.get_ref().synapse {
            None => None,
            Some(t) => SynapseRule::parse(t).map_err(|(k, m)| {
                let k = if k.is_empty() {
                    String::new()
                } else {
                    format!(".{k}")
                };
                ctx.err(spec, format!("projections[{i}].synapse{k}"), m)
            })?,
        };
        projection_rules.push(rule.map(|r| {
            rules.push(r);
            rule_projection.push(i);
            (rules.len() - 1) as u16
        }));
    }

    // Refuse what cannot fit before spending minutes building it.
    check_memory(ctx, &file, &pops, n_neurons)?;

    // Synapses: every partition wires its own targets, in its own thread.
    let assign = Assignment::new(n_neurons, ov.threads.max(1), &ov.partitioning)
        .map_err(|e| ModelError::file(ctx.path, format!("cannot partition the network: {e}")))?;
    let job = WiringJob {
        ctx,
        file: &file,
        pops: &pops,
        assign: &assign,
        input_edges: &input_edges,
        projection_rules: &projection_rules,
        n_neurons,
        n_nodes,
        seed,
    };
    let local = match &ov.share {
        None => 0..assign.parts(),
        Some(Share { parts, .. }) if parts.start < parts.end && parts.end <= assign.parts() => {
            parts.clone()
        }
        Some(s) => {
            return Err(ModelError::file(
                ctx.path,
                format!(
                    "partitions {:?} of {} do not exist",
                    s.parts,
                    assign.parts()
                ),
            ))
        }
    };
    let wired: Vec<Result<Wired, ModelError>> = if local.len() == 1 {
        vec![job.wire(local.start)]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = local
                .clone()
                .map(|p| {
                    let job = &job;
                    scope.spawn(move || job.wire(p))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("wiring thread panicked"))
                .collect()
        })
    };
    let mut connectomes = Vec::new();
    let mut plastic_edges = Vec::new();
    let mut flags = Vec::new();
    let (mut n_synapses, mut n_input_synapses) = (0u64, 0u64);
    let mut recurrent_min_delay = Time::NEVER;
    let mut delays = (Time::NEVER, Time::ZERO);
    for w in wired {
        let w = w?;
        n_synapses += w.n_synapses;
        n_input_synapses += w.n_input_synapses;
        recurrent_min_delay = recurrent_min_delay.min(w.recurrent_min_delay);
        delays = (delays.0.min(w.delays.0), delays.1.max(w.delays.1));
        connectomes.push(w.connectome);
        plastic_edges.push(w.plastic);
        flags.push(w.from_elsewhere);
    }
    let n_plastic_synapses: u64 = plastic_edges.iter().map(|p| p.len() as u64).sum();
    for (edges, connectome) in plastic_edges.iter().zip(&connectomes) {
        for &(_, _, c, r) in edges {
            let weight = connectome.classes()[c as usize].weight;
            rules[r as usize].check_weight(weight).map_err(|m| {
                let i = rule_projection[r as usize];
                ctx.err(&file.projections[i], format!("projections[{i}].weight"), m)
            })?;
        }
    }
    for spec in &poisson {
        delays = (delays.0.min(spec.delay), delays.1.max(spec.delay));
    }
    let mut destinations = wiring::destinations(assign.parts(), local.start, &flags);
    drop(flags);
    // Several processes: agree on the delays and on who sends where.
    if let Some(Share { collective, .. }) = &ov.share {
        recurrent_min_delay = Time(collective.min_u64(recurrent_min_delay.0));
        delays = (
            Time(collective.min_u64(delays.0 .0)),
            Time(collective.max_u64(delays.1 .0)),
        );
        collective.or_u64s(&mut destinations);
    }
    let destinations: Arc<[u64]> = destinations.into();

    // Recording.
    let (record_from, recorded, weights) = recorders(ctx, &file, &pops)?;
    let mut selected = vec![false; n_neurons as usize];
    for (p, &r) in pops.iter().zip(&recorded) {
        if r {
            selected[p.first_gid as usize..(p.first_gid + p.size) as usize].fill(true);
        }
    }

    // The engine derives the windows from the delays.
    let exchange = if ov.share.is_some() {
        Exchange::Processes
    } else {
        Exchange::Threads
    };
    let bounds = DelayBounds {
        min_recurrent: recurrent_min_delay,
        max: if delays.0 == Time::NEVER {
            Time::ZERO
        } else {
            delays.1
        },
    };
    let timing = Timing::new(bounds, assign.parts(), exchange);
    let mut partitions = Vec::with_capacity(assign.parts());
    let mut n_traced_synapses = 0;
    for (p, (connectome, plastic)) in local
        .clone()
        .zip(connectomes.into_iter().zip(plastic_edges))
    {
        let members = assign.members(p);
        // The edge list is freed as soon as the partition's store is built.
        let (plastic, mut plasticity) = {
            let edges = plastic;
            plastic_part(
                &store,
                &rules,
                members,
                n_nodes,
                &edges,
                connectome.classes(),
            )
        };
        if let Some(s) = plasticity.as_mut() {
            if weights.all {
                (0..s.len() as u32).for_each(|k| s.trace(k));
            }
            trace_synapses(s, &plastic, &assign, p, &weights.traced);
            n_traced_synapses += s.n_traced();
        }
        let mut trains: Vec<PoissonTrains> = Vec::new();
        for spec in &poisson {
            let targets: Vec<(u32, Gid)> = spec
                .targets
                .iter()
                .filter(|g| assign.partition_of(g.0) == p)
                .map(|&g| (assign.local_of(g.0), g))
                .collect();
            if !targets.is_empty() {
                trains.push(poisson_trains(
                    seed,
                    spec.gid,
                    spec.rate_hz,
                    spec.weight,
                    spec.delay,
                    &targets,
                ));
            }
        }
        let mut drives: Vec<Box<dyn Drive>> = spike_drives
            .iter()
            .map(|d| Box::new(d.clone()) as Box<dyn Drive>)
            .collect();
        for c in &cameras {
            drives.push(Box::new(c.drive_for(p, &assign)?));
        }
        let local_selected = members.iter().map(|g| selected[g.0 as usize]).collect();
        partitions.push(Partition::new(PartitionParts {
            index: p,
            parts: assign.parts(),
            dynamics: store.store_for(&assign, p),
            gids: members.to_vec(),
            connectome,
            plastic,
            plasticity,
            destinations: destinations.clone(),
            drives,
            trains,
            recorder: SpikeRecorder::new(record_from, Some(local_selected)),
            n_network_neurons: n_neurons,
            timing,
        }));
    }
    Ok(Network {
        simulation: Simulation::new(partitions),
        populations: pops
            .into_iter()
            .zip(recorded)
            .map(|(p, recorded)| PopulationInfo {
                name: p.name,
                first_gid: p.first_gid,
                size: p.size,
                recorded,
            })
            .collect(),
        n_neurons,
        n_synapses,
        n_input_synapses,
        t_sim,
        seed,
        record_from,
        model_file: ctx.path.to_path_buf(),
        replays: cameras
            .iter()
            .map(|c| (c.name.clone(), c.status.clone()))
            .collect(),
        n_plastic_synapses,
        record_weights: weights.enabled,
        n_traced_synapses,
    })
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
        let (s, t, c, _) = edges[k];
        (s, t, classes[c as usize].delay)
    });
    let mut store = PlasticStore::new(rules.to_vec(), members.len() as u32, edges.len());
    for &(_, t, c, r) in edges {
        let SynapseClass { weight, delay } = classes[c as usize];
        store.push(
            r,
            t,
            weight,
            delay.as_ms(),
            neurons.tau_minus(members[t as usize].0),
        );
    }
    (wiring, Some(store))
}

/// Mark the chosen `[source, target]` synapses of partition `p` as traced.
fn trace_synapses(
    store: &mut PlasticStore,
    wiring: &PlasticWiring,
    assign: &Assignment,
    p: usize,
    pairs: &[[u32; 2]],
) {
    for &[source, target] in pairs {
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

/// What the `weights` recorder asks for.
#[derive(Default)]
struct WeightsRecorder {
    enabled: bool,
    /// Trace every plastic synapse.
    all: bool,
    traced: Vec<[u32; 2]>,
}

/// What one partition needs to wire its synapses.
struct WiringJob<'a> {
    ctx: &'a Ctx<'a>,
    file: &'a ModelFile,
    pops: &'a [PopBuild],
    assign: &'a Assignment,
    input_edges: &'a [(Gid, u32, f64, Time)],
    projection_rules: &'a [Option<u16>],
    n_neurons: u32,
    n_nodes: u32,
    seed: u64,
}

/// One partition's synapses.
struct Wired {
    connectome: volley_engine::Connectome,
    plastic: Vec<PlasticEdge>,
    from_elsewhere: Vec<bool>,
    n_synapses: u64,
    n_input_synapses: u64,
    recurrent_min_delay: Time,
    delays: (Time, Time),
}

impl WiringJob<'_> {
    /// Run every projection and input twice (count, then place) for partition `p`.
    fn wire(&self, p: usize) -> Result<Wired, ModelError> {
        let mut w = Wiring::new(self.assign, p, self.n_neurons, self.n_nodes);
        let mut out = Wired {
            connectome: Default::default(),
            plastic: Vec::new(),
            from_elsewhere: Vec::new(),
            n_synapses: 0,
            n_input_synapses: 0,
            recurrent_min_delay: Time::NEVER,
            delays: (Time::NEVER, Time::ZERO),
        };
        for pass in 0..2 {
            if pass == 1 {
                w.start_filling();
            }
            for (i, spec) in self.file.projections.iter().enumerate() {
                w.set_plastic(self.projection_rules[i]);
                let (dmin, dmax) = add_projection(
                    self.ctx,
                    i,
                    spec,
                    self.pops,
                    self.n_neurons,
                    self.seed,
                    &mut w,
                )?;
                if dmin != Time::NEVER {
                    out.recurrent_min_delay = out.recurrent_min_delay.min(dmin);
                    out.delays = (out.delays.0.min(dmin), out.delays.1.max(dmax));
                }
            }
            w.set_plastic(None);
            out.n_synapses = w.len();
            for &(src, tgt, wt, d) in self.input_edges {
                out.delays = (out.delays.0.min(d), out.delays.1.max(d));
                w.add(src, tgt, wt, d)
                    .map_err(|e| ModelError::file(self.ctx.path, format!("input synapse: {e}")))?;
            }
            out.n_input_synapses = w.len() - out.n_synapses;
        }
        let (connectome, from_elsewhere, plastic) = w.finish();
        out.connectome = connectome;
        out.plastic = plastic;
        out.from_elsewhere = from_elsewhere;
        Ok(out)
    }
}

fn add_population(
    ctx: &Ctx,
    i: usize,
    spec: &Spanned<PopulationSpec>,
    seed: u64,
    store: &mut NeuronTable,
    pops: &mut Vec<PopBuild>,
) -> Result<(), ModelError> {
    let s = spec.get_ref();
    let key = |k: &str| format!("populations[{i}].{k}");
    if s.name.trim().is_empty() {
        return Err(ctx.err(spec, key("name"), "must not be empty"));
    }
    if !MODEL_NAMES.contains(&s.model.as_str()) {
        return Err(ctx.err(
            spec,
            key("model"),
            format!(
                "unknown neuron model `{}` (known: {})",
                s.model,
                MODEL_NAMES.join(", ")
            ),
        ));
    }
    let params = NeuronParams::parse(&s.model, s.params.clone())
        .map_err(|m| ctx.err(spec, key("params"), m))?;
    params
        .validate()
        .map_err(|(k, m)| ctx.err(spec, key(&format!("params.{k}")), m))?;
    let param_index = store.add_params(&params);
    let v_m_default = params.v_m();
    let first = store.len();
    // Initial potentials drawn per neuron (stream: seed, Init, population, gid).
    let v_init = match &s.v_m_init {
        None => None,
        Some(d) => Some(
            Value::parse(&ValueSpec::Dist(d.clone()))
                .map_err(|m| ctx.err(spec, key("V_m_init"), m))?,
        ),
    };
    let draw_v = |gid: u32, default: f64| -> f64 {
        match &v_init {
            None => default,
            Some(v) => v.draw(&mut stream(
                seed,
                StreamKind::Init,
                i as u64,
                u64::from(gid),
            )),
        }
    };
    match (&s.size, &s.file) {
        (Some(_), Some(_)) => {
            return Err(ctx.err(spec, key("size"), "give either `size` or `file`, not both"))
        }
        (None, None) => {
            return Err(ctx.err(spec, key("size"), "missing: give `size` or a neuron `file`"))
        }
        (Some(n), None) => {
            if s.split_by_type {
                return Err(ctx.err(spec, key("split_by_type"), "needs a neuron `file`"));
            }
            if *n == 0 {
                return Err(ctx.err(spec, key("size"), "must be at least 1"));
            }
            if (first as u64 + *n as u64) >= u32::MAX as u64 / 2 {
                return Err(ctx.err(spec, key("size"), "too many neurons"));
            }
            for g in first..first + *n {
                store.push(param_index, draw_v(g, v_m_default));
            }
            pops.push(PopBuild {
                name: s.name.clone(),
                first_gid: first,
                size: *n,
            });
        }
        (None, Some(f)) => {
            let path = ctx.resolve(f);
            let table = CsvTable::open(&path)?;
            let c_id = table.require("neuron")?;
            let c_type = table.column("type");
            let c_v = table.column("V_m0_mV");
            if s.split_by_type && c_type.is_none() {
                return Err(ModelError::line(
                    &path,
                    1,
                    Some("type"),
                    "missing column (needed by split_by_type)",
                ));
            }
            let mut count = 0u32;
            let mut runs: Vec<(String, u32)> = Vec::new();
            table.for_each_row(|row| {
                let id = row.u32(c_id)?;
                if id != count {
                    return Err(row.error(c_id, format!("neuron ids must be 0, 1, 2, ... in order; expected {count}, found {id}")));
                }
                let v = match c_v {
                    Some(c) => row.f64(c)?,
                    None => v_m_default,
                };
                if s.split_by_type {
                    let t = row.text(c_type.expect("checked"));
                    match runs.last_mut() {
                        Some((name, n)) if name == t => *n += 1,
                        _ => {
                            if runs.iter().any(|(n, _)| n == t) {
                                return Err(row.error(c_type.expect("checked"), format!("type `{t}` appears in two separate blocks; rows of one type must be contiguous")));
                            }
                            runs.push((t.to_string(), 1));
                        }
                    }
                }
                store.push(param_index, v);
                count += 1;
                Ok(())
            })?;
            if count == 0 {
                return Err(ModelError::file(&path, "no neurons in the file"));
            }
            if s.split_by_type {
                let mut g = first;
                for (name, n) in runs {
                    pops.push(PopBuild {
                        name,
                        first_gid: g,
                        size: n,
                    });
                    g += n;
                }
            } else {
                pops.push(PopBuild {
                    name: s.name.clone(),
                    first_gid: first,
                    size: count,
                });
            }
        }
    }
    Ok(())
}

/// Gid ranges of named populations.
pub(super) fn lookup<'p, T>(
    ctx: &Ctx,
    span: &Spanned<T>,
    key: String,
    names: &Option<Names>,
    pops: &'p [PopBuild],
) -> Result<Vec<&'p PopBuild>, ModelError> {
    let names = names
        .as_ref()
        .ok_or_else(|| ctx.err(span, key.clone(), "missing"))?;
    let list = names.list();
    if list.is_empty() {
        return Err(ctx.err(span, key, "names no population"));
    }
    list.iter()
        .map(|n| {
            pops.iter().find(|p| p.name == *n).ok_or_else(|| {
                let known: Vec<&str> = pops.iter().map(|p| p.name.as_str()).collect();
                ctx.err(
                    span,
                    key.clone(),
                    format!("unknown population `{n}` (known: {})", known.join(", ")),
                )
            })
        })
        .collect()
}

pub(super) fn need<T: Copy, S>(
    ctx: &Ctx,
    span: &Spanned<S>,
    key: String,
    v: Option<T>,
    why: &str,
) -> Result<T, ModelError> {
    v.ok_or_else(|| ctx.err(span, key, format!("missing (needed by {why})")))
}

pub(super) fn weight_of<S>(
    ctx: &Ctx,
    span: &Spanned<S>,
    key: String,
    w: Option<f64>,
    why: &str,
) -> Result<f64, ModelError> {
    let w = need(ctx, span, key.clone(), w, why)?;
    if !w.is_finite() {
        return Err(ctx.err(span, key, format!("must be finite, got {w}")));
    }
    Ok(w)
}

pub(super) fn delay_of<S>(
    ctx: &Ctx,
    span: &Spanned<S>,
    key: String,
    d: Option<f64>,
    why: &str,
) -> Result<Time, ModelError> {
    let d = need(ctx, span, key.clone(), d, why)?;
    positive_time(d).ok_or_else(|| {
        ctx.err(
            span,
            key,
            format!("must be > 0 ms (at least one tick, 1/1024 µs), got {d}"),
        )
    })
}

/// Adds one projection; returns its (min, max) delay.
fn add_projection(
    ctx: &Ctx,
    i: usize,
    spec: &Spanned<ProjectionSpec>,
    pops: &[PopBuild],
    n_neurons: u32,
    seed: u64,
    b: &mut Wiring,
) -> Result<(Time, Time), ModelError> {
    let s = spec.get_ref();
    let key = |k: &str| format!("projections[{i}].{k}");
    let rule = s.rule.as_str();
    if rule == "edge_list" {
        let f = s
            .file
            .as_ref()
            .ok_or_else(|| ctx.err(spec, key("file"), "missing (needed by rule `edge_list`)"))?;
        for k in ["source", "target"] {
            let given = if k == "source" {
                s.source.is_some()
            } else {
                s.target.is_some()
            };
            if given {
                return Err(ctx.err(
                    spec,
                    key(k),
                    "not used by rule `edge_list` (the file names the neurons)",
                ));
            }
        }
        return read_edges(
            &ctx.resolve(f),
            ["source", "target", "weight_mV", "delay_ms"],
            n_neurons,
            n_neurons,
            |src, tgt, w, d| {
                b.add(Gid(src), tgt, w, d)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            },
        );
    }
    if s.file.is_some() {
        return Err(ctx.err(spec, key("file"), format!("not used by rule `{rule}`")));
    }
    let sources = lookup(ctx, spec, key("source"), &s.source, pops)?;
    let targets = lookup(ctx, spec, key("target"), &s.target, pops)?;
    let why = format!("rule `{rule}`");
    let value = |k: &str, v: &Option<ValueSpec>| -> Result<Value, ModelError> {
        let v = v
            .as_ref()
            .ok_or_else(|| ctx.err(spec, key(k), format!("missing (needed by {why})")))?;
        Value::parse(v).map_err(|m| ctx.err(spec, key(k), m))
    };
    let weight = value("weight", &s.weight)?;
    let delay = value("delay_ms", &s.delay_ms)?;
    if let Value::Const(d) = delay {
        delay_of(ctx, spec, key("delay_ms"), Some(d), &why)?;
    }
    let levels = s.levels.unwrap_or(256);
    if !(2..=1 << 16).contains(&levels) {
        return Err(ctx.err(
            spec,
            key("levels"),
            format!("must be 2..65536, got {levels}"),
        ));
    }
    let mut sampler = SynapseSampler::new(weight, delay, levels, s.delay_step_ms.unwrap_or(0.1))
        .map_err(|m| ctx.err(spec, key("delay_ms"), m))?;
    let autapses = s.allow_autapses.unwrap_or(true);
    let multapses = s.allow_multapses.unwrap_or(true);
    let src = Sources::new(
        &sources
            .iter()
            .map(|p| (p.first_gid, p.size))
            .collect::<Vec<_>>(),
    );
    let tgt: Vec<u32> = targets
        .iter()
        .flat_map(|p| p.first_gid..p.first_gid + p.size)
        .collect();
    let rc = RuleCtx {
        seed,
        projection: i as u64,
        sources: &src,
        targets: &tgt,
        autapses,
        multapses,
    };
    let need_key = |k: &str, present: bool| -> Result<(), ModelError> {
        if present {
            Ok(())
        } else {
            Err(ctx.err(spec, key(k), format!("missing (needed by {why})")))
        }
    };
    let err_key = match rule {
        "fixed_indegree" => "indegree",
        "fixed_outdegree" => "outdegree",
        "fixed_total_number" => "n",
        "pairwise_bernoulli" => "p",
        "watts_strogatz" => "k",
        "spatial" => "sigma",
        _ => "rule",
    };
    let r = match rule {
        "fixed_indegree" => {
            need_key("indegree", s.indegree.is_some())?;
            generators::fixed_indegree(&rc, s.indegree.unwrap_or(0), b, &mut sampler)
        }
        "fixed_outdegree" => {
            need_key("outdegree", s.outdegree.is_some())?;
            generators::fixed_outdegree(&rc, s.outdegree.unwrap_or(0), b, &mut sampler)
        }
        "fixed_total_number" => {
            need_key("n", s.n.is_some())?;
            generators::fixed_total_number(&rc, s.n.unwrap_or(0), b, &mut sampler)
        }
        "pairwise_bernoulli" => {
            need_key("p", s.p.is_some())?;
            let p = s.p.unwrap_or(0.0);
            if !(0.0..=1.0).contains(&p) {
                return Err(ctx.err(spec, key("p"), format!("must be a probability, got {p}")));
            }
            generators::pairwise_bernoulli(&rc, p, b, &mut sampler)
        }
        "watts_strogatz" => {
            need_key("k", s.k.is_some())?;
            need_key("rewire_p", s.rewire_p.is_some())?;
            let p = s.rewire_p.unwrap_or(0.0);
            if !(0.0..=1.0).contains(&p) {
                return Err(ctx.err(spec, key("rewire_p"), format!("must be a probability, got {p}")));
            }
            generators::watts_strogatz(&rc, s.k.unwrap_or(0), p, b, &mut sampler)
        }
        "spatial" => {
            need_key("p", s.p.is_some())?;
            need_key("sigma", s.sigma.is_some())?;
            let layout = match s.positions.as_deref().unwrap_or("grid") {
                "grid" => generators::Layout::Grid,
                "random" => generators::Layout::Random,
                o => return Err(ctx.err(spec, key("positions"), format!("unknown layout `{o}` (known: grid, random)"))),
            };
            let profile = match s.profile.as_deref().unwrap_or("gaussian") {
                "gaussian" => generators::Profile::Gaussian,
                "exponential" => generators::Profile::Exponential,
                o => return Err(ctx.err(spec, key("profile"), format!("unknown profile `{o}` (known: gaussian, exponential)"))),
            };
            let extent = s.extent.unwrap_or(1.0);
            let (p0, sigma) = (s.p.unwrap_or(0.0), s.sigma.unwrap_or(0.0));
            if !(extent > 0.0 && extent.is_finite()) {
                return Err(ctx.err(spec, key("extent"), format!("must be > 0, got {extent}")));
            }
            if !(sigma > 0.0 && sigma.is_finite()) {
                return Err(ctx.err(spec, key("sigma"), format!("must be > 0, got {sigma}")));
            }
            if !(0.0..=1.0).contains(&p0) {
                return Err(ctx.err(spec, key("p"), format!("must be a probability, got {p0}")));
            }
            let sp = generators::Spatial {
                layout,
                extent,
                periodic: s.periodic.unwrap_or(true),
                profile,
                p0,
                sigma,
            };
            let sp_src: Vec<(u32, u32)> = sources.iter().map(|p| (p.first_gid, p.size)).collect();
            let sp_tgt: Vec<(u32, u32)> = targets.iter().map(|p| (p.first_gid, p.size)).collect();
            generators::spatial(&rc, &sp, &sp_src, &sp_tgt, b, &mut sampler)
        }
        "all_to_all" => {
            let mut r = Ok(());
            'all: for &t in &tgt {
                if !b.owns(t) {
                    continue;
                }
                let mut syn = stream(seed, StreamKind::Synapse, i as u64, u64::from(t));
                for k in 0..src.n {
                    let sg = src.gid(k);
                    if autapses || sg != t {
                        match sampler.class(&mut syn, b) {
                            Ok(c) => b.add_with_class(Gid(sg), t, c),
                            Err(e) => {
                                r = Err(e);
                                break 'all;
                            }
                        }
                    }
                }
            }
            r
        }
        "one_to_one" => {
            let n_tgt = tgt.len() as u64;
            if n_tgt != src.n {
                return Err(ctx.err(
                    spec,
                    key("target"),
                    format!("one_to_one needs as many targets ({n_tgt}) as sources ({})", src.n),
                ));
            }
            let mut r = Ok(());
            for (k, &t) in tgt.iter().enumerate() {
                if !b.owns(t) {
                    continue;
                }
                let mut syn = stream(seed, StreamKind::Synapse, i as u64, u64::from(t));
                match sampler.class(&mut syn, b) {
                    Ok(c) => b.add_with_class(Gid(src.gid(k as u64)), t, c),
                    Err(e) => {
                        r = Err(e);
                        break;
                    }
                }
            }
            r
        }
        other => {
            return Err(ctx.err(
                spec,
                key("rule"),
                format!(
                    "unknown rule `{other}` (known: fixed_indegree, fixed_outdegree, fixed_total_number, pairwise_bernoulli, watts_strogatz, spatial, all_to_all, one_to_one, edge_list)"
                ),
            ))
        }
    };
    r.map_err(|m| ctx.err(spec, key(err_key), m))?;
    Ok(sampler.used)
}

/// Synapses the projections will make (expected values for random rules;
/// edge lists estimated from their file size).
fn estimated_synapses(ctx: &Ctx, file: &ModelFile, pops: &[PopBuild]) -> f64 {
    let size = |names: &Option<Names>| -> f64 {
        names
            .as_ref()
            .map(|n| {
                n.list()
                    .iter()
                    .filter_map(|name| pops.iter().find(|p| p.name == *name))
                    .map(|p| f64::from(p.size))
                    .sum()
            })
            .unwrap_or(0.0)
    };
    file.projections
        .iter()
        .map(|spec| {
            let s = spec.get_ref();
            let (ns, nt) = (size(&s.source), size(&s.target));
            match s.rule.as_str() {
                "fixed_indegree" => f64::from(s.indegree.unwrap_or(0)) * nt,
                "fixed_outdegree" => f64::from(s.outdegree.unwrap_or(0)) * ns,
                "fixed_total_number" => s.n.unwrap_or(0) as f64,
                "pairwise_bernoulli" => s.p.unwrap_or(0.0) * ns * nt,
                "watts_strogatz" => f64::from(s.k.unwrap_or(0)) * nt,
                "spatial" => {
                    let (e, sg) = (s.extent.unwrap_or(1.0), s.sigma.unwrap_or(0.0));
                    (s.p.unwrap_or(0.0) * 2.0 * std::f64::consts::PI * sg * sg / (e * e)).min(1.0)
                        * ns
                        * nt
                }
                "all_to_all" => ns * nt,
                "one_to_one" => nt,
                "edge_list" => s
                    .file
                    .as_ref()
                    .and_then(|f| std::fs::metadata(ctx.resolve(f)).ok())
                    .map_or(0.0, |m| m.len() as f64 / 16.0),
                _ => 0.0,
            }
        })
        .sum()
}

/// Memory the system can still give this process (`MemAvailable`), bytes.
fn available_memory() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024.0)
}

/// Estimate the network's memory and refuse it, with the estimate, if the
/// machine does not have it (instead of being killed halfway through).
fn check_memory(
    ctx: &Ctx,
    file: &ModelFile,
    pops: &[PopBuild],
    n_neurons: u32,
) -> Result<(), ModelError> {
    let synapses = estimated_synapses(ctx, file, pops);
    // 8 bytes per synapse at most (u32 target + u32 class), ~160 bytes per
    // neuron (state, queue heads, forecasts, recorder), plus a fixed margin.
    let need = synapses * 8.0 + f64::from(n_neurons) * 160.0 + 64.0 * 1024.0 * 1024.0;
    if let Some(avail) = available_memory() {
        if need > avail {
            let gib = |b: f64| b / f64::from(1u32 << 30);
            return Err(ModelError::file(
                ctx.path,
                format!(
                    "this network needs about {:.1} GiB ({:.3e} synapses × 8 B + {} neurons), but only {:.1} GiB of memory is available; make it smaller or use a bigger machine",
                    gib(need),
                    synapses,
                    n_neurons,
                    gib(avail)
                ),
            ));
        }
    }
    Ok(())
}

/// Reads an edge table with columns `cols` = (source, target, weight, delay);
/// returns the (min, max) delay.
fn read_edges(
    path: &Path,
    cols: [&str; 4],
    n_sources: u32,
    n_targets: u32,
    mut add: impl FnMut(u32, u32, f64, Time) -> Result<(), String>,
) -> Result<(Time, Time), ModelError> {
    let table = CsvTable::open(path)?;
    // The weight column is named by its unit: mV (delta synapses) or pA
    // (current synapses); plain `weight` is accepted too.
    let c: Vec<usize> = cols
        .iter()
        .map(|n| match *n {
            "weight_mV" => ["weight_mV", "weight_pA", "weight"]
                .iter()
                .find_map(|k| table.column(k))
                .map_or_else(|| table.require("weight_mV"), Ok),
            n => table.require(n),
        })
        .collect::<Result<_, _>>()?;
    let mut range = (Time::NEVER, Time::ZERO);
    table.for_each_row(|row| {
        let src = row.u32(c[0])?;
        if src >= n_sources {
            return Err(row.error(
                c[0],
                format!("id {src} out of range (there are {n_sources})"),
            ));
        }
        let tgt = row.u32(c[1])?;
        if tgt >= n_targets {
            return Err(row.error(
                c[1],
                format!("neuron {tgt} out of range (the network has {n_targets} neurons)"),
            ));
        }
        let w = row.f64(c[2])?;
        let dms = row.f64(c[3])?;
        let d = positive_time(dms)
            .ok_or_else(|| row.error(c[3], format!("delay must be > 0 ms, got {dms}")))?;
        range = (range.0.min(d), range.1.max(d));
        add(src, tgt, w, d).map_err(|m| row.error(c[2], m))
    })?;
    Ok(range)
}

struct PoissonSpec {
    gid: Gid,
    rate_hz: f64,
    weight: f64,
    delay: Time,
    targets: Vec<Gid>,
}

enum Input {
    Poisson(PoissonSpec),
    Camera(super::camera_input::CameraInput),
    Spikes {
        drive: SpikeTimesDrive,
        edges: Vec<(Gid, u32, f64, Time)>,
    },
}

fn read_input(
    ctx: &Ctx,
    i: usize,
    spec: &Spanned<InputSpec>,
    pops: &[PopBuild],
    n_neurons: u32,
    next_gid: &mut u32,
    overrides: &Overrides,
) -> Result<Input, ModelError> {
    let s = spec.get_ref();
    let key = |k: &str| format!("inputs[{i}].{k}");
    let unused = |k: &str, present: bool, kind: &str| -> Result<(), ModelError> {
        if present {
            Err(ctx.err(spec, key(k), format!("not used by kind `{kind}`")))
        } else {
            Ok(())
        }
    };
    if s.kind != "event_camera" {
        if let Some(k) = s.camera_key() {
            return Err(ctx.err(spec, key(k), format!("not used by kind `{}`", s.kind)));
        }
    }
    match s.kind.as_str() {
        "event_camera" => {
            let camera = super::camera_input::read(ctx, i, spec, pops, next_gid, overrides)?;
            Ok(Input::Camera(camera))
        }
        "poisson" => {
            unused("spikes", s.spikes.is_some(), "poisson")?;
            unused("edges", s.edges.is_some(), "poisson")?;
            unused("times_ms", s.times_ms.is_some(), "poisson")?;
            let rate = need(ctx, spec, key("rate_hz"), s.rate_hz, "kind `poisson`")?;
            if !rate.is_finite() || rate < 0.0 {
                return Err(ctx.err(spec, key("rate_hz"), format!("must be >= 0 Hz, got {rate}")));
            }
            let w = weight_of(ctx, spec, key("weight"), s.weight, "kind `poisson`")?;
            let d = delay_of(ctx, spec, key("delay_ms"), s.delay_ms, "kind `poisson`")?;
            let targets = lookup(ctx, spec, key("targets"), &s.targets, pops)?;
            let targets: Vec<Gid> = targets
                .iter()
                .flat_map(|p| p.first_gid..p.first_gid + p.size)
                .map(Gid)
                .collect();
            let gid = Gid(*next_gid);
            *next_gid += 1;
            Ok(Input::Poisson(PoissonSpec {
                gid,
                rate_hz: rate,
                weight: w,
                delay: d,
                targets,
            }))
        }
        "spike_times" => {
            unused("rate_hz", s.rate_hz.is_some(), "spike_times")?;
            let first = *next_gid;
            let mut spikes: Vec<(u32, Time)> = Vec::new();
            let mut n_channels = 0u32;
            match (&s.spikes, &s.times_ms) {
                (Some(_), Some(_)) => {
                    return Err(ctx.err(
                        spec,
                        key("times_ms"),
                        "give either `spikes` (a file) or `times_ms`, not both",
                    ))
                }
                (None, None) => {
                    return Err(ctx.err(
                        spec,
                        key("spikes"),
                        "missing: give a spike file `spikes` or `times_ms`",
                    ))
                }
                (None, Some(times)) => {
                    n_channels = 1;
                    for (k, &t) in times.iter().enumerate() {
                        let tt = Time::from_ms(t).filter(|_| t >= 0.0).ok_or_else(|| {
                            ctx.err(
                                spec,
                                key(&format!("times_ms[{k}]")),
                                format!("must be a time >= 0 ms, got {t}"),
                            )
                        })?;
                        spikes.push((0, tt));
                    }
                }
                (Some(f), None) => {
                    let path = ctx.resolve(f);
                    let table = CsvTable::open(&path)?;
                    let ci = table.require("input")?;
                    let ct = table.require("time_ms")?;
                    table.for_each_row(|row| {
                        let c = row.u32(ci)?;
                        if c >= 1 << 24 {
                            return Err(row.error(ci, format!("input id {c} too large")));
                        }
                        let t = row.f64(ct)?;
                        let tt = Time::from_ms(t).filter(|_| t >= 0.0).ok_or_else(|| {
                            row.error(ct, format!("must be a time >= 0 ms, got {t}"))
                        })?;
                        n_channels = n_channels.max(c + 1);
                        spikes.push((c, tt));
                        Ok(())
                    })?;
                }
            }
            let mut edges = Vec::new();
            match &s.edges {
                Some(f) => {
                    unused("targets", s.targets.is_some(), "spike_times with `edges`")?;
                    unused("weight", s.weight.is_some(), "spike_times with `edges`")?;
                    unused("delay_ms", s.delay_ms.is_some(), "spike_times with `edges`")?;
                    let path = ctx.resolve(f);
                    read_edges(
                        &path,
                        ["input", "target", "weight_mV", "delay_ms"],
                        1 << 24,
                        n_neurons,
                        |c, t, w, d| {
                            n_channels = n_channels.max(c + 1);
                            edges.push((Gid(first + c), t, w, d));
                            Ok(())
                        },
                    )?;
                }
                None => {
                    let w = weight_of(
                        ctx,
                        spec,
                        key("weight"),
                        s.weight,
                        "kind `spike_times` without `edges`",
                    )?;
                    let d = delay_of(
                        ctx,
                        spec,
                        key("delay_ms"),
                        s.delay_ms,
                        "kind `spike_times` without `edges`",
                    )?;
                    let targets = lookup(ctx, spec, key("targets"), &s.targets, pops)?;
                    for c in 0..n_channels {
                        for p in &targets {
                            for t in p.first_gid..p.first_gid + p.size {
                                edges.push((Gid(first + c), t, w, d));
                            }
                        }
                    }
                }
            }
            *next_gid = first
                .checked_add(n_channels)
                .ok_or_else(|| ctx.err(spec, key("spikes"), "too many input channels"))?;
            let drive = SpikeTimesDrive::new(
                spikes
                    .into_iter()
                    .map(|(c, t)| Spike::at(t, Gid(first + c)))
                    .collect(),
            );
            Ok(Input::Spikes { drive, edges })
        }
        other => Err(ctx.err(
            spec,
            key("kind"),
            format!("unknown input kind `{other}` (known: poisson, spike_times, event_camera)"),
        )),
    }
}

/// The recorders: spikes (start time, recorded populations) and weights.
fn recorders(
    ctx: &Ctx,
    file: &ModelFile,
    pops: &[PopBuild],
) -> Result<(Time, Vec<bool>, WeightsRecorder), ModelError> {
    let mut spikes: Option<(Time, Vec<bool>)> = None;
    let mut weights: Option<WeightsRecorder> = None;
    for (i, spec) in file.recorders.iter().enumerate() {
        let s = spec.get_ref();
        let key = |k: &str| format!("recorders[{i}].{k}");
        match s.kind.as_str() {
            "spikes" => {
                if spikes.is_some() {
                    return Err(ctx.err(
                        spec,
                        format!("recorders[{i}]"),
                        "only one spike recorder is supported; list all populations in one",
                    ));
                }
                if s.synapses.is_some() {
                    return Err(ctx.err(spec, key("synapses"), "only for kind `weights`"));
                }
                let from = match s.start_ms {
                    None => Time::ZERO,
                    Some(ms) => Time::from_ms(ms).filter(|_| ms >= 0.0).ok_or_else(|| {
                        ctx.err(spec, key("start_ms"), format!("must be >= 0 ms, got {ms}"))
                    })?,
                };
                let recorded = match &s.populations {
                    None => vec![true; pops.len()],
                    Some(_) => {
                        let chosen = lookup(ctx, spec, key("populations"), &s.populations, pops)?;
                        pops.iter()
                            .map(|p| chosen.iter().any(|c| std::ptr::eq(*c, p)))
                            .collect()
                    }
                };
                spikes = Some((from, recorded));
            }
            "weights" => {
                if weights.is_some() {
                    return Err(ctx.err(
                        spec,
                        format!("recorders[{i}]"),
                        "only one weights recorder is supported",
                    ));
                }
                for (k, present) in [
                    ("populations", s.populations.is_some()),
                    ("start_ms", s.start_ms.is_some()),
                ] {
                    if present {
                        return Err(ctx.err(spec, key(k), "not used by kind `weights`"));
                    }
                }
                let n: u32 = pops.iter().map(|p| p.size).sum();
                let (all, pairs) = match &s.synapses {
                    None => (false, Vec::new()),
                    Some(SynapseChoice::Pairs(p)) => (false, p.clone()),
                    Some(SynapseChoice::Keyword(k)) if k == "all" => (true, Vec::new()),
                    Some(SynapseChoice::Keyword(k)) => {
                        return Err(ctx.err(
                            spec,
                            key("synapses"),
                            format!("`{k}`: give \"all\" or a list of [source, target] pairs"),
                        ))
                    }
                };
                for (j, pair) in pairs.iter().enumerate() {
                    if pair[0] >= n || pair[1] >= n {
                        return Err(ctx.err(
                            spec,
                            format!("recorders[{i}].synapses[{j}]"),
                            format!("[{}, {}]: the network has neurons 0..{n}", pair[0], pair[1]),
                        ));
                    }
                }
                weights = Some(WeightsRecorder {
                    enabled: true,
                    all,
                    traced: pairs,
                });
            }
            other => {
                return Err(ctx.err(
                    spec,
                    key("kind"),
                    format!("unknown recorder kind `{other}` (known: spikes, weights)"),
                ))
            }
        }
    }
    let (from, recorded) = spikes.unwrap_or_else(|| (Time::ZERO, vec![true; pops.len()]));
    Ok((from, recorded, weights.unwrap_or_default()))
}
