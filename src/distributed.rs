//! `mpirun -np R volley run MODEL --threads T` (cargo feature `mpi`): the
//! network's R × T partitions split over R processes, T threads each, with
//! the same window protocol as threads — only the transport differs. Each
//! rank builds only its own partitions (no rank holds the whole
//! connectome); after every complete window the ranks exchange the spikes
//! bound for each other's partitions with one `MPI_Alltoall` of counts and
//! one `MPI_Alltoallv` of spikes; at the end rank 0 gathers the recorded
//! spikes and counts and writes the same `spikes.csv` and `summary.json` as
//! a threaded run (`spikes_sha256` equal to `--threads R×T` without MPI).

use crate::checkpoint::{self, Checkpoint, Checkpointer, Due};
use crate::run::{
    peak_rss_bytes, proc_status_bytes, sample_span, write_outputs, Finished, RunError, RunOptions,
    Summary, Timing, WeightSource,
};
use crate::samples::MeterOutputs;
use mpi::collective::SystemOperation;
use mpi::datatype::{Partition as MpiPartition, PartitionMut};
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use std::path::Path;
use std::rc::Rc;
use std::time::Instant;
use volley_engine::{Counters, EngineState, Gid, Outboxes, Samples, Spike, Time};
use volley_models::network::meters::{collect_samples, Meter};
use volley_models::synapse::{take_weight_trace, visit_plastic, TraceRow, WeightRow};
use volley_models::{Collective, RunConfig, Share};

/// The world communicator as the network builder's [`Collective`].
struct World(SimpleCommunicator);

impl Collective for World {
    fn min_u64(&self, x: u64) -> u64 {
        reduce(&self.0, x, SystemOperation::min())
    }
    fn max_u64(&self, x: u64) -> u64 {
        reduce(&self.0, x, SystemOperation::max())
    }
    fn or_u64s(&self, v: &mut [u64]) {
        let mine = v.to_vec();
        self.0
            .all_reduce_into(&mine[..], v, SystemOperation::bitwise_or());
    }
    fn sum_on_this_machine(&self, x: u64) -> u64 {
        let here = self.0.split_shared(self.0.rank());
        reduce(&here, x, SystemOperation::sum())
    }
}

/// Words per spike on the wire: destination partition, time (2), source, lag.
const WORDS: usize = 5;

fn encode(out: &mut Vec<u32>, dest: usize, s: &Spike) {
    out.extend_from_slice(&[
        dest as u32,
        s.time.0 as u32,
        (s.time.0 >> 32) as u32,
        s.source.0,
        s.lag.to_bits(),
    ]);
}

fn decode(w: &[u32]) -> (usize, Spike) {
    let spike = Spike {
        time: Time(u64::from(w[1]) | (u64::from(w[2]) << 32)),
        source: Gid(w[3]),
        lag: f32::from_bits(w[4]),
    };
    (w[0] as usize, spike)
}

/// Displacements of consecutive blocks of `counts`.
fn displacements(counts: &[i32]) -> Vec<i32> {
    counts
        .iter()
        .scan(0i32, |acc, &c| {
            let d = *acc;
            *acc += c;
            Some(d)
        })
        .collect()
}

/// Every rank's samples of each meter, merged in `(time, gid)` order (on
/// every rank). A sample travels as 32-bit words: time (2), gid, and two
/// per value.
fn gather_samples(world: &SimpleCommunicator, local: &[Samples], meters: &[Meter]) -> Vec<Samples> {
    local
        .iter()
        .zip(meters)
        .map(|(s, m)| {
            let width = m.vars.len();
            let mut words = Vec::with_capacity(s.rows.len() * (3 + 2 * width));
            for (j, &(t, g)) in s.rows.iter().enumerate() {
                words.extend([t.0 as u32, (t.0 >> 32) as u32, g.0]);
                for v in &s.values[j * width..(j + 1) * width] {
                    let b = v.to_bits();
                    words.extend([b as u32, (b >> 32) as u32]);
                }
            }
            let all = all_gather(world, &words);
            let mut rows: Vec<(Time, Gid, usize)> = all
                .chunks_exact(3 + 2 * width)
                .enumerate()
                .map(|(k, w)| (Time(u64::from(w[0]) | u64::from(w[1]) << 32), Gid(w[2]), k))
                .collect();
            rows.sort_unstable();
            let mut out = Samples::default();
            for (t, g, k) in rows {
                out.rows.push((t, g));
                let w = &all[k * (3 + 2 * width) + 3..(k + 1) * (3 + 2 * width)];
                out.values.extend(
                    w.chunks_exact(2)
                        .map(|b| f64::from_bits(u64::from(b[0]) | u64::from(b[1]) << 32)),
                );
            }
            out
        })
        .collect()
}

/// Every rank's `words`, concatenated in rank order (on every rank).
fn all_gather(world: &SimpleCommunicator, words: &[u32]) -> Vec<u32> {
    let n = world.size() as usize;
    let mut counts = vec![0i32; n];
    world.all_gather_into(&(words.len() as i32), &mut counts[..]);
    let displs = displacements(&counts);
    let mut all = vec![0u32; counts.iter().map(|&c| c as usize).sum()];
    let mut part = PartitionMut::new(&mut all[..], &counts[..], &displs[..]);
    world.all_gather_varcount_into(words, &mut part);
    all
}

/// Time spent exchanging, for the summary.
#[derive(Default)]
struct ExchangeStats {
    windows: u64,
    /// In the exchange proper (after the barrier).
    seconds: f64,
    /// At the barrier before it.
    wait_seconds: f64,
    spikes_sent: u64,
}

/// Run `model` as one rank of an MPI job. Returns the summary on rank 0
/// (`None` elsewhere). With a single process this is [`crate::run::run_model`].
pub fn run_model_mpi(model: &Path, opts: &RunOptions) -> Result<Option<Summary>, RunError> {
    run_mpi(model, opts, None)
}

/// Continue the run `cp` (checkpoint folder `dir`) as one rank of an MPI
/// job, `threads` threads per rank split by `partitioning`, to `t_sim_ms`
/// if given: any rank and thread count, the outputs of a run that never
/// stopped.
pub fn resume_mpi(
    cp: Checkpoint,
    dir: &Path,
    config: RunConfig,
    t_sim_ms: Option<f64>,
    flags: (bool, bool),
) -> Result<Option<Summary>, RunError> {
    let opts = crate::run::resume_options(&cp, dir, config, t_sim_ms, flags)?;
    let model = cp.model_file.clone();
    run_mpi(&model, &opts, Some(cp))
}

/// [`run_model_mpi`], from the checkpoint `resumed` if given.
fn run_mpi(
    model: &Path,
    opts: &RunOptions,
    resumed: Option<Checkpoint>,
) -> Result<Option<Summary>, RunError> {
    let Some(universe) = mpi::initialize() else {
        return Err(RunError::Output {
            path: model.to_path_buf(),
            message: "MPI is already initialised".into(),
        });
    };
    let world = universe.world();
    let (rank, size) = (world.rank() as usize, world.size() as usize);
    let threads = opts.config.threads.max(1);
    let cpus = std::thread::available_parallelism().map_or(threads, |n| n.get());
    if let Some(m) = binding_warning(threads, cpus) {
        eprintln!("warning (rank {rank}): {m}");
    }
    if size == 1 {
        return match resumed {
            Some(cp) => {
                let dir = opts
                    .checkpoint
                    .as_ref()
                    .map(|c| c.dir.clone())
                    .unwrap_or_default();
                crate::run::resume(
                    cp,
                    &dir,
                    opts.config.clone(),
                    opts.overrides.t_sim_ms,
                    (opts.progress, opts.raster),
                )
                .map(Some)
            }
            None => crate::run::run_model(model, opts).map(Some),
        };
    }
    let parts = size * threads;
    if parts > volley_engine::MAX_PARTITIONS {
        return Err(RunError::Model(volley_models::ModelError::file(
            model,
            format!(
                "{size} ranks × {threads} threads = {parts} partitions; at most {} are supported",
                volley_engine::MAX_PARTITIONS
            ),
        )));
    }
    let local = rank * threads..(rank + 1) * threads;
    let config = RunConfig {
        threads: parts,
        partitioning: opts.config.partitioning.clone(),
        share: Some(Share {
            parts: local.clone(),
            collective: Rc::new(World(world.duplicate())),
        }),
    };

    let rss_before = proc_status_bytes("VmRSS:");
    let t_build = Instant::now();
    // Every rank must reach the collectives inside `load`; an error on one
    // rank is reported by it and the job aborts.
    let mut net = match volley_models::load(model, &opts.overrides, &config) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("error (rank {rank}): {e}");
            world.abort(1);
        }
    };
    let wall_build_s = max_f64(&world, t_build.elapsed().as_secs_f64());
    let built_bytes = peak_rss_bytes().saturating_sub(rss_before);

    // Simulate: the engine's window loop, spikes for other ranks over MPI.
    let mut stats = ExchangeStats::default();
    let t_run = Instant::now();
    let mut exchange = |_window: u64, outboxes: Outboxes| -> Vec<Vec<Spike>> {
        // Waiting for the slowest rank is load imbalance, not communication:
        // a barrier first tells the two apart.
        let t_wait = Instant::now();
        world.barrier();
        stats.wait_seconds += t_wait.elapsed().as_secs_f64();
        let t0 = Instant::now();
        let mut inboxes: Vec<Vec<Spike>> = vec![Vec::new(); local.len()];
        let mut send: Vec<Vec<u32>> = vec![Vec::new(); size];
        for (i, boxes) in outboxes.into_iter().enumerate() {
            for (q, spikes) in boxes.into_iter().enumerate() {
                if q == local.start + i || spikes.is_empty() {
                    continue;
                }
                if local.contains(&q) {
                    inboxes[q - local.start].extend(spikes);
                } else {
                    let r = q / threads;
                    stats.spikes_sent += spikes.len() as u64;
                    for s in &spikes {
                        encode(&mut send[r], q, s);
                    }
                }
            }
        }
        let counts: Vec<i32> = send.iter().map(|v| v.len() as i32).collect();
        let mut recv_counts = vec![0i32; size];
        world.all_to_all_into(&counts[..], &mut recv_counts[..]);
        let flat: Vec<u32> = send.concat();
        let displs = displacements(&counts);
        let recv_displs = displacements(&recv_counts);
        let mut recv = vec![0u32; recv_counts.iter().map(|&c| c as usize).sum()];
        {
            let sendp = MpiPartition::new(&flat[..], &counts[..], &displs[..]);
            let mut recvp = PartitionMut::new(&mut recv[..], &recv_counts[..], &recv_displs[..]);
            world.all_to_all_varcount_into(&sendp, &mut recvp);
        }
        for w in recv.chunks_exact(WORDS) {
            let (dest, spike) = decode(w);
            inboxes[dest - local.start].push(spike);
        }
        stats.windows += 1;
        stats.seconds += t0.elapsed().as_secs_f64();
        inboxes
    };
    // Multimeter samples: gathered after every step, written by rank 0.
    let mut meters = MeterOutputs::none();
    if rank == 0 {
        let fail = |m: String| RunError::Output {
            path: opts.out_dir.clone(),
            message: m,
        };
        let keep = resumed.as_ref().map_or(&[][..], |cp| &cp.meter_files[..]);
        crate::outputs::prepare_keeping(&opts.out_dir, keep).map_err(|e| fail(e.to_string()))?;
        if !net.meters.is_empty() {
            meters = match &resumed {
                Some(cp) => MeterOutputs::reopen(&opts.out_dir, &net.meters, &cp.meters),
                None => MeterOutputs::open(&opts.out_dir, &net.meters),
            }
            .map_err(fail)?;
        }
    }
    // Spikes and weight changes recorded before the last checkpoint.
    let (mut recorded, mut traced) = match &resumed {
        Some(cp) => match checkpoint::load_into(cp, &mut net) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error (rank {rank}): checkpoint: {e}");
                world.abort(1);
            }
        },
        None => (Vec::new(), Vec::new()),
    };
    let mut checkpoints = match &opts.checkpoint {
        Some(plan) => match Checkpointer::new(model, opts, plan, &mut net) {
            Ok(c) => Some(c),
            Err(e) => {
                eprintln!("error (rank {rank}): checkpoint: {e}");
                world.abort(1);
            }
        },
        None => None,
    };
    let window = net.simulation.window_len().0;
    let mut span = sample_span(&net.meters);
    if checkpoints.is_some() {
        // A signal is answered at a step's end: keep steps short then.
        span = span.min(100 * volley_engine::TICKS_PER_MS);
    }
    let step = Time(span.div_ceil(window).max(1).saturating_mul(window));
    while net.simulation.now() < net.t_sim {
        let mut until = Time(net.simulation.now().0.saturating_add(step.0)).min(net.t_sim);
        if let Some(c) = &checkpoints {
            until = c.bound(until);
        }
        net.simulation.run_exchanging(until, &mut exchange);
        // Every rank stops together (one alone would leave the others
        // waiting in the next exchange).
        let storm = sum_u64s(&world, &[net.simulation.counters().storm_spikes])[0];
        if storm > 0 {
            let m = net.simulation.spike_storm().unwrap_or_else(|| {
                format!("a spike storm on another rank ({storm} spikes dropped)")
            });
            return Err(RunError::SpikeStorm(m));
        }
        if !net.meters.is_empty() {
            let local = collect_samples(&mut net.simulation, until);
            let all = gather_samples(&world, &local, &net.meters);
            if rank == 0 {
                meters.write(&all).map_err(|m| RunError::Output {
                    path: opts.out_dir.clone(),
                    message: m,
                })?;
            }
        }
        let Some(c) = &mut checkpoints else { continue };
        // Every rank takes the same decision (a signal may reach one only).
        let signal = sum_u64s(&world, &[u64::from(c.signalled())])[0] > 0;
        let stop = match c.due(net.simulation.now(), net.t_sim, signal) {
            Due::No => continue,
            Due::Yes => false,
            Due::ThenStop => true,
        };
        let t0 = Instant::now();
        recorded.extend(gather_spikes(&world, &mut net));
        traced = checkpoint::merge_traces(traced, gather_trace(&world, &mut net));
        let state = gather_state(&world, &net);
        let written = match (rank, state) {
            (0, Ok(state)) => meters
                .checkpoint()
                .and_then(|m| c.write(state, (&recorded, &traced, m), parts, t0)),
            (_, state) => state.map(|_| ()),
        };
        // Rank 0's failure to write stops every rank.
        let failed = sum_u64s(&world, &[u64::from(written.is_err())])[0] > 0;
        if failed {
            return Err(RunError::Checkpoint(
                written
                    .err()
                    .unwrap_or_else(|| "rank 0 could not write the checkpoint".into()),
            ));
        }
        if stop {
            if rank != 0 {
                return Ok(None);
            }
            return Err(RunError::Interrupted {
                at_ms: net.simulation.now().as_ms(),
                dir: c.dir().display().to_string(),
            });
        }
    }
    let wall_sim_s = max_f64(&world, t_run.elapsed().as_secs_f64());

    // Gather: spikes, counts and sizes from every rank.
    let mut spikes = recorded;
    spikes.extend(gather_spikes(&world, &mut net));
    let weights = if net.record_weights {
        match gather_weights(&world, &mut net) {
            WeightSource::Gathered { weights, trace } => WeightSource::Gathered {
                weights,
                trace: checkpoint::merge_traces(traced, trace),
            },
            local => local,
        }
    } else {
        WeightSource::Local {
            earlier: Vec::new(),
        }
    };
    let c = net.simulation.counters();
    let sums = sum_u64s(
        &world,
        &[
            c.recurrent_events,
            c.external_events,
            c.discarded_events,
            c.spikes,
            net.n_synapses,
            net.n_input_synapses,
            net.n_plastic_synapses,
            built_bytes,
            stats.spikes_sent,
            net.synapse_storage_bytes,
        ],
    );
    let exchange_s = max_f64(&world, stats.seconds);
    let wait_s = max_f64(&world, stats.wait_seconds);
    if rank != 0 {
        return Ok(None);
    }
    std::fs::create_dir_all(&opts.out_dir).map_err(|e| RunError::Output {
        path: opts.out_dir.clone(),
        message: e.to_string(),
    })?;
    let counters = Counters {
        recurrent_events: sums[0],
        external_events: sums[1],
        discarded_events: sums[2],
        spikes: sums[3],
        storm_spikes: 0, // a storm ended the run with an error above
    };
    net.n_synapses = sums[4];
    net.n_input_synapses = sums[5];
    net.n_plastic_synapses = sums[6];
    net.synapse_storage_bytes = sums[9];
    let timing = Timing {
        wall_build_s,
        wall_sim_s,
        built_bytes: sums[7] / size as u64,
        realtime: None,
        checkpoints: checkpoints.as_ref().map(Checkpointer::report),
    };
    let mpi = crate::run::MpiSummary {
        ranks: size,
        threads_per_rank: threads,
        windows: stats.windows,
        wall_exchange_s: exchange_s,
        exchange_us_per_window: if stats.windows > 0 {
            exchange_s * 1e6 / stats.windows as f64
        } else {
            0.0
        },
        wall_wait_s: wait_s,
        spikes_sent: sums[8],
        built_bytes_per_rank: sums[7] / size as u64,
    };
    let done = Finished {
        spikes: &spikes,
        counters,
        threads: parts,
        timing,
        weights,
        mpi: Some(mpi),
        meters,
    };
    let summary = write_outputs(model, opts, &mut net, done)?;
    Ok(Some(summary))
}

/// Every rank's plastic weights and recorded changes, in the order a single
/// process writes them (every rank gets them; rank 0 writes them).
fn gather_weights(world: &SimpleCommunicator, net: &mut volley_models::Network) -> WeightSource {
    let mut words = Vec::new();
    visit_plastic(&mut net.simulation, |s, t, w| {
        let b = w.to_bits();
        words.extend_from_slice(&[s, t, b as u32, (b >> 32) as u32]);
    });
    // Within a (source, target) pair all synapses are on one rank, in order:
    // a stable sort by the pair restores the single-process order.
    let mut weights: Vec<WeightRow> = all_gather(world, &words)
        .chunks_exact(4)
        .map(|w| {
            (
                w[0],
                w[1],
                f64::from_bits(u64::from(w[2]) | (u64::from(w[3]) << 32)),
            )
        })
        .collect();
    weights.sort_by_key(|r| (r.0, r.1));
    let trace = gather_trace(world, net);
    WeightSource::Gathered { weights, trace }
}

/// Every rank's weight changes recorded since the last call, by time,
/// source and target (every rank gets them).
fn gather_trace(world: &SimpleCommunicator, net: &mut volley_models::Network) -> Vec<TraceRow> {
    let mut words = Vec::new();
    for (time, s, t, w) in take_weight_trace(&mut net.simulation) {
        let (tb, wb) = (time.to_bits(), w.to_bits());
        words.extend_from_slice(&[
            tb as u32,
            (tb >> 32) as u32,
            s,
            t,
            wb as u32,
            (wb >> 32) as u32,
        ]);
    }
    let mut trace: Vec<TraceRow> = all_gather(world, &words)
        .chunks_exact(6)
        .map(|x| {
            let time = f64::from_bits(u64::from(x[0]) | (u64::from(x[1]) << 32));
            let w = f64::from_bits(u64::from(x[4]) | (u64::from(x[5]) << 32));
            (time, x[2], x[3], w)
        })
        .collect();
    trace.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    trace
}

/// Every rank's spikes recorded since the last call, sorted (every rank
/// gets them).
fn gather_spikes(world: &SimpleCommunicator, net: &mut volley_models::Network) -> Vec<Spike> {
    let mut words = Vec::new();
    for s in net.simulation.take_spikes() {
        encode(&mut words, 0, &s);
    }
    let mut spikes: Vec<Spike> = all_gather(world, &words)
        .chunks_exact(WORDS)
        .map(|w| decode(w).1)
        .collect();
    spikes.sort_unstable();
    spikes
}

/// Every rank's share of the engine's state, merged (every rank gets it).
fn gather_state(
    world: &SimpleCommunicator,
    net: &volley_models::Network,
) -> Result<EngineState, String> {
    let bytes = bincode::serialize(&net.simulation.save_state()?).map_err(|e| e.to_string())?;
    // Each rank's part: its length in bytes (two words), then the bytes.
    let mut words = vec![bytes.len() as u32, (bytes.len() as u64 >> 32) as u32];
    words.extend(bytes.chunks(4).map(|c| {
        let mut w = [0u8; 4];
        w[..c.len()].copy_from_slice(c);
        u32::from_le_bytes(w)
    }));
    let all = all_gather(world, &words);
    let mut parts = Vec::new();
    let mut rest = &all[..];
    while let [lo, hi, tail @ ..] = rest {
        let len = (u64::from(*lo) | (u64::from(*hi) << 32)) as usize;
        let n = len.div_ceil(4);
        let bytes: Vec<u8> = tail[..n]
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .take(len)
            .collect();
        parts.push(bincode::deserialize(&bytes).map_err(|e| e.to_string())?);
        rest = &tail[n..];
    }
    Ok(EngineState::merge(parts))
}

/// `x` reduced with `op` over all ranks (on every rank).
fn reduce<T: Equivalence + Default>(world: &SimpleCommunicator, x: T, op: SystemOperation) -> T {
    let mut out = T::default();
    world.all_reduce_into(&x, &mut out, op);
    out
}

fn max_f64(world: &SimpleCommunicator, x: f64) -> f64 {
    reduce(world, x, SystemOperation::max())
}

fn sum_u64s(world: &SimpleCommunicator, x: &[u64]) -> Vec<u64> {
    let mut out = vec![0u64; x.len()];
    world.all_reduce_into(x, &mut out[..], SystemOperation::sum());
    out
}

/// A warning when this rank may run on fewer CPUs than it has threads:
/// Open MPI binds each rank to one core by default (with up to two ranks),
/// which puts all `--threads` of a rank on that core.
fn binding_warning(threads: usize, cpus: usize) -> Option<String> {
    (threads > cpus).then(|| {
        format!(
            "{threads} threads per rank, but this rank may only use {cpus} CPU(s) \
             (its CPU affinity): they will take turns. With Open MPI, run \
             `mpirun --bind-to none ...` or `mpirun --map-by slot:PE={threads} ...`"
        )
    })
}
