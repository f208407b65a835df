//! `volley run`: build a model, simulate it, write the outputs.

use crate::checkpoint::{self, Checkpoint, CheckpointPlan};
use crate::outputs;
use crate::raster;
use crate::samples::MeterOutputs;
use crate::stats::population_stats;
use crate::weights;
use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;
use thiserror::Error;
use volley_engine::{Spike, Time};
use volley_models::input::event_camera::EventFileError;
use volley_models::network::meters::{collect_samples, Meter};

pub use crate::realtime::RealtimeReport;
pub use crate::summary::{MpiSummary, ReplaySummary, Summary};
use volley_models::{ModelError, Overrides, RunConfig};

/// How to run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Output folder.
    pub out_dir: PathBuf,
    /// Model values replaced on the command line: seed, t_sim, recording.
    pub overrides: Overrides,
    /// Threads and partitioning.
    pub config: RunConfig,
    /// Show a progress bar (only drawn on a terminal).
    pub progress: bool,
    /// Write raster.png.
    pub raster: bool,
    /// Pace the simulation to wall-clock time.
    pub realtime: bool,
    /// Write checkpoints (and one more on SIGTERM / SIGINT, then stop).
    pub checkpoint: Option<CheckpointPlan>,
}

/// Why a run failed.
#[derive(Debug, Error)]
pub enum RunError {
    /// The model or its data is wrong.
    #[error("{0}")]
    Model(#[from] ModelError),
    /// An event-camera recording is damaged (and `--lenient` was not given).
    #[error("{0} (use --lenient to skip damaged parts)")]
    Recording(EventFileError),
    /// The network's activity overflowed the engine's spike buffer.
    #[error("{0}")]
    SpikeStorm(String),
    /// A checkpoint could not be written, read or used.
    #[error("checkpoint: {0}")]
    Checkpoint(String),
    /// A signal stopped the run after a last checkpoint.
    #[error("stopped by a signal at {at_ms} ms; checkpoint written to {dir}: continue with `volley resume {dir}`")]
    Interrupted {
        /// Where the run stopped (ms).
        at_ms: f64,
        /// The checkpoint folder.
        dir: String,
    },
    /// Writing outputs failed.
    #[error("cannot write {path}: {message}")]
    Output {
        /// The file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
}

fn replay_error(net: &volley_models::Network) -> Option<EventFileError> {
    net.replays
        .iter()
        .find_map(|(_, s)| s.lock().ok().and_then(|s| s.error.clone()))
}

/// A memory figure of this process from /proc/self/status (e.g. `VmHWM`,
/// `VmRSS`), in bytes; 0 if unknown.
/// A `/proc/self/status` figure in bytes (`VmRSS:`, `VmHWM:`).
pub fn proc_status_bytes(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

/// Peak resident set size of this process (VmHWM), 0 if unknown.
pub fn peak_rss_bytes() -> u64 {
    proc_status_bytes("VmHWM:")
}

/// The exact time of a spike in ms: its tick plus its sub-tick lag.
#[inline]
pub fn exact_ms(s: &Spike) -> f64 {
    s.time.as_ms() + s.lag as f64
}

/// The text of spikes.csv: `gid,time_ms`, sorted by time then gid, times
/// exact (tick + sub-tick lag) in the shortest representation that reads back
/// to the same f64.
pub fn spikes_csv(spikes: &[Spike]) -> Vec<u8> {
    let mut rows: Vec<(f64, u32)> = spikes.iter().map(|s| (exact_ms(s), s.source.0)).collect();
    rows.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut out = Vec::with_capacity(16 + spikes.len() * 16);
    out.extend_from_slice(b"gid,time_ms\n");
    for (t, g) in rows {
        let _ = writeln!(out, "{g},{t:?}");
    }
    out
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), RunError> {
    crate::outputs::write_bytes(path, bytes).map_err(|e| RunError::Output {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// A drawing error as an I/O error (for [`outputs::write_with`]).
pub(crate) fn io_error(message: String) -> std::io::Error {
    std::io::Error::other(message)
}

/// Where the plastic weights written at the end of a run come from.
pub enum WeightSource {
    /// This process's simulation holds every plastic synapse; `earlier`:
    /// the changes recorded before the checkpoint the run resumed from.
    Local {
        /// Recorded changes taken out before, by (time, source, target).
        earlier: Vec<volley_models::synapse::TraceRow>,
    },
    /// Gathered from every process of a distributed run.
    Gathered {
        /// Final weights by (source, target), multapses in synapse order.
        weights: Vec<volley_models::synapse::WeightRow>,
        /// Recorded changes by (time, source, target).
        trace: Vec<volley_models::synapse::TraceRow>,
    },
}

/// weights.csv, weight_trace.csv and weights.png of a run's plastic synapses.
fn write_weights(
    net: &mut volley_models::Network,
    model: &Path,
    out_dir: &Path,
    plot: bool,
    source: WeightSource,
) -> Result<(), RunError> {
    use volley_models::synapse::{take_weight_trace, visit_plastic_weights};
    let csv = out_dir.join("weights.csv");
    let (range, trace, gathered) = match source {
        WeightSource::Local { earlier } => (
            outputs::write_with(&csv, |p| weights::write_weights_csv(p, &mut net.simulation)),
            checkpoint::merge_traces(earlier, take_weight_trace(&mut net.simulation)),
            None,
        ),
        WeightSource::Gathered { weights, trace } => (
            outputs::write_with(&csv, |p| {
                weights::write_weights_with(p, |f| {
                    weights.iter().for_each(|&(s, t, w)| f(s, t, w));
                })
            }),
            trace,
            Some(weights),
        ),
    };
    let range = range.map_err(|e| RunError::Output {
        path: csv.clone(),
        message: e.to_string(),
    })?;
    write_file(
        &out_dir.join("weight_trace.csv"),
        &weights::trace_csv(&trace),
    )?;
    if !plot {
        return Ok(());
    }
    let hist = weights::weight_histogram(range, |f| match &gathered {
        Some(rows) => rows.iter().for_each(|&(_, _, w)| f(w)),
        None => visit_plastic_weights(&mut net.simulation, f),
    });
    let title = format!(
        "{}: {} plastic synapses at {} ms",
        model
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default(),
        hist.total(),
        net.t_sim.as_ms()
    );
    let png = out_dir.join("weights.png");
    let draw = |p: &Path| weights::draw_histogram(p, &hist, &title).map_err(io_error);
    outputs::write_with(&png, draw).map_err(|e| RunError::Output {
        path: png.clone(),
        message: e.to_string(),
    })
}

/// Build and simulate the model at `model`, writing spikes.csv, summary.json
/// and raster.png into `opts.out_dir`.
pub fn run_model(model: &Path, opts: &RunOptions) -> Result<Summary, RunError> {
    simulate(model, opts, None)
}

/// Continue the run `cp` was written by, on `config`'s threads and
/// partitioning, to `t_sim_ms` (or the run's own end): the same outputs,
/// bit for bit, as the run would have written had it not stopped.
pub fn resume(
    cp: Checkpoint,
    dir: &Path,
    config: RunConfig,
    t_sim_ms: Option<f64>,
    flags: (bool, bool),
) -> Result<Summary, RunError> {
    let opts = resume_options(&cp, dir, config, t_sim_ms, flags)?;
    let model = cp.model_file.clone();
    simulate(&model, &opts, Some(cp))
}

/// How the run `cp` (in folder `dir`) continues: its outputs, overrides
/// and checkpoints, on `config`'s threads, to `t_sim_ms` if given;
/// `(progress, raster)` as the command line says.
pub fn resume_options(
    cp: &Checkpoint,
    dir: &Path,
    config: RunConfig,
    t_sim_ms: Option<f64>,
    (progress, raster): (bool, bool),
) -> Result<RunOptions, RunError> {
    Ok(RunOptions {
        out_dir: cp.out_dir.clone(),
        overrides: cp.overrides(t_sim_ms).map_err(RunError::Checkpoint)?,
        config,
        progress,
        raster,
        realtime: false,
        checkpoint: Some(CheckpointPlan {
            every_ms: cp.every_ms,
            dir: dir.to_path_buf(),
        }),
    })
}

/// `run_model`, from the checkpoint `resumed` if given.
fn simulate(
    model: &Path,
    opts: &RunOptions,
    resumed: Option<Checkpoint>,
) -> Result<Summary, RunError> {
    // First of all, so that a run that fails (even on its model file) leaves
    // no earlier run's outputs behind to be mistaken for its own.
    // (A resumed run continues its multimeter files.)
    let keep = resumed.as_ref().map_or(&[][..], |cp| &cp.meter_files[..]);
    outputs::prepare_keeping(&opts.out_dir, keep).map_err(|e| RunError::Output {
        path: opts.out_dir.clone(),
        message: e.to_string(),
    })?;
    let rss_before = proc_status_bytes("VmRSS:");
    let t_build = Instant::now();
    // Building a large network takes a while: say so (on a terminal only).
    let building = if opts.progress {
        let b = ProgressBar::new_spinner();
        b.set_message(format!("building {} …", model.display()));
        b.enable_steady_tick(std::time::Duration::from_millis(200));
        b
    } else {
        ProgressBar::hidden()
    };
    let net = volley_models::load(model, &opts.overrides, &opts.config);
    building.finish_and_clear();
    let mut net = net?;
    let wall_build_s = t_build.elapsed().as_secs_f64();
    let built_bytes = peak_rss_bytes().saturating_sub(rss_before);
    // Spikes recorded before the last checkpoint (taken out of the engine).
    // ... and weight changes recorded before it.
    let (mut recorded, mut traced) = match &resumed {
        Some(cp) => checkpoint::load_into(cp, &mut net).map_err(RunError::Checkpoint)?,
        None => (Vec::new(), Vec::new()),
    };
    let mut checkpoints = match &opts.checkpoint {
        Some(plan) => Some(
            checkpoint::Checkpointer::new(model, opts, plan, &mut net)
                .map_err(RunError::Checkpoint)?,
        ),
        None => None,
    };

    let t_sim = net.t_sim;
    let window = net.simulation.window_len();
    // Advance in whole windows, ~200 steps (or ~10 ms when paced to the
    // wall clock), to update the progress bar.
    // Without a progress bar, replay inputs are checked every ~10 % (each
    // step ends with a synchronisation of all workers, so fewer is faster).
    let target = if opts.realtime {
        Time(10 * volley_engine::TICKS_PER_MS)
    } else if !opts.progress {
        Time(t_sim.0 / 10)
    } else {
        Time(t_sim.0 / 200)
    };
    // Samples are written after each step: at most ~256 k per step.
    let target = Time(target.0.min(sample_span(&net.meters)));
    // A signal is answered at a step's end: keep steps short then.
    let target = match checkpoints {
        Some(_) => Time(target.0.min(100 * volley_engine::TICKS_PER_MS)),
        None => target,
    };
    let step = Time(target.0.div_ceil(window.0).max(1) * window.0);
    let meters = match &resumed {
        Some(cp) => MeterOutputs::reopen(&opts.out_dir, &net.meters, &cp.meters),
        None => MeterOutputs::open(&opts.out_dir, &net.meters),
    };
    let mut meters = meters.map_err(|m| RunError::Output {
        path: opts.out_dir.clone(),
        message: m,
    })?;
    let bar = if opts.progress {
        let b = ProgressBar::new(t_sim.as_ms().ceil() as u64);
        b.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} ms simulated  {msg}  ETA {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b
    } else {
        ProgressBar::hidden()
    };
    let t_run = Instant::now();
    let mut paced = opts.realtime.then(RealtimeReport::default);
    let mut slept = 0.0;
    while net.simulation.now() < t_sim {
        let sim = &mut net.simulation;
        let mut until = (sim.now() + step).min(t_sim);
        if let Some(c) = &checkpoints {
            until = c.bound(until);
        }
        sim.run(until);
        if let Some(m) = sim.spike_storm() {
            bar.finish_and_clear();
            return Err(RunError::SpikeStorm(m));
        }
        if !net.meters.is_empty() {
            let samples = collect_samples(sim, until);
            meters.write(&samples).map_err(|m| RunError::Output {
                path: opts.out_dir.clone(),
                message: m,
            })?;
        }
        if let Some(e) = replay_error(&net) {
            bar.finish_and_clear();
            return Err(RunError::Recording(e));
        }
        if let Some(c) = &mut checkpoints {
            let stop = c
                .after_step(&mut net, (&mut recorded, &mut traced, &mut meters))
                .map_err(RunError::Checkpoint)?;
            if stop {
                bar.finish_and_clear();
                return Err(RunError::Interrupted {
                    at_ms: net.simulation.now().as_ms(),
                    dir: c.dir().display().to_string(),
                });
            }
        }
        let sim = &mut net.simulation;
        if let Some(report) = &mut paced {
            let ahead = report.step(until.as_ms() / 1000.0, t_run.elapsed().as_secs_f64());
            if ahead > 0.0 {
                let asleep = Instant::now();
                std::thread::sleep(std::time::Duration::from_secs_f64(ahead));
                slept += asleep.elapsed().as_secs_f64();
            } else {
                bar.set_message(format!("{:.0} ms behind real time", -ahead * 1e3));
            }
        }
        let c = sim.counters();
        let secs = t_run.elapsed().as_secs_f64().max(1e-9);
        bar.set_position(sim.now().as_ms() as u64);
        if paced.is_none() {
            bar.set_message(format!(
                "{:.3e} events/s",
                (c.recurrent_events + c.external_events) as f64 / secs
            ));
        }
    }
    let wall_sim_s = t_run.elapsed().as_secs_f64();
    if let Some(report) = &mut paced {
        report.slowdown = (wall_sim_s - slept) / t_sim.as_ms().max(1e-9) * 1e3;
    }
    bar.finish_and_clear();
    let sim = &mut net.simulation;
    let counters = sim.counters();
    let threads = sim.partitions();
    let mut spikes = recorded;
    spikes.extend(sim.take_spikes());
    let timing = Timing {
        wall_build_s,
        wall_sim_s,
        built_bytes,
        realtime: paced,
        checkpoints: checkpoints.as_ref().map(checkpoint::Checkpointer::report),
    };
    let done = Finished {
        spikes: &spikes,
        counters,
        threads,
        timing,
        weights: WeightSource::Local { earlier: traced },
        mpi: None,
        meters,
    };
    write_outputs(model, opts, &mut net, done)
}

/// A span of simulated time (ticks) over which the multimeters take about
/// a quarter million samples (`u64::MAX` without multimeters).
pub fn sample_span(meters: &[Meter]) -> u64 {
    let per_tick: f64 = meters
        .iter()
        .map(|m| m.gids.len() as f64 / m.grid.interval.0 as f64)
        .sum();
    if per_tick > 0.0 {
        ((1u64 << 18) as f64 / per_tick).max(1.0) as u64
    } else {
        u64::MAX
    }
}

/// Wall times and memory of a run.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// Network construction (s).
    pub wall_build_s: f64,
    /// Simulation (s).
    pub wall_sim_s: f64,
    /// Resident memory added by building the network (bytes).
    pub built_bytes: u64,
    /// Runs paced to the wall clock: how well they kept up.
    pub realtime: Option<RealtimeReport>,
    /// Runs writing checkpoints: what they cost.
    pub checkpoints: Option<checkpoint::CheckpointReport>,
}

/// What a finished run hands to [`write_outputs`].
pub struct Finished<'a> {
    /// Every recorded spike, sorted.
    pub spikes: &'a [Spike],
    /// Event counts of all partitions.
    pub counters: volley_engine::Counters,
    /// Partitions (= worker threads in all).
    pub threads: usize,
    /// Wall times and memory.
    pub timing: Timing,
    /// Where the plastic weights come from.
    pub weights: WeightSource,
    /// Distributed runs: what the exchange cost.
    pub mpi: Option<MpiSummary>,
    /// Multimeter files, written as the run went, to close.
    pub meters: MeterOutputs,
}

/// Write spikes.csv, raster.png, the weight files and summary.json of a
/// finished run (`spikes`: every recorded spike, sorted) and return the summary.
pub fn write_outputs(
    model: &Path,
    opts: &RunOptions,
    net: &mut volley_models::Network,
    done: Finished<'_>,
) -> Result<Summary, RunError> {
    let Finished {
        spikes,
        counters,
        threads: sim_threads,
        timing,
        weights,
        mpi,
        meters,
    } = done;
    let Timing {
        wall_build_s,
        wall_sim_s,
        built_bytes,
        realtime,
        checkpoints,
    } = timing;
    let t_sim = net.t_sim;
    let window = net.simulation.window_len();
    let csv = spikes_csv(spikes);
    let sha = Sha256::digest(&csv);
    write_file(&opts.out_dir.join("spikes.csv"), &csv)?;
    let record_from_ms = net.record_from.as_ms();
    let duration_ms = (t_sim.as_ms() - record_from_ms).max(0.0);
    let populations = population_stats(spikes, &net.populations, duration_ms);
    if opts.raster {
        let title = format!(
            "{} — {} neurons, {} ms",
            model
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default(),
            net.n_neurons,
            t_sim.as_ms()
        );
        let png = opts.out_dir.join("raster.png");
        outputs::write_with(&png, |p| {
            let (from, to) = (record_from_ms, t_sim.as_ms());
            raster::draw(p, spikes, &net.populations, from, to, &title).map_err(io_error)
        })
        .map_err(|e| RunError::Output {
            path: png.clone(),
            message: e.to_string(),
        })?;
    }
    meters
        .finish(&opts.out_dir, spikes, opts.raster)
        .map_err(|m| RunError::Output {
            path: opts.out_dir.clone(),
            message: m,
        })?;
    if net.record_weights {
        write_weights(net, model, &opts.out_dir, opts.raster, weights)?;
    }
    let readouts = crate::readout::count(spikes, &net.readouts);
    if !readouts.is_empty() {
        write_file(
            &opts.out_dir.join("readout.csv"),
            &crate::readout::csv(&readouts),
        )?;
    }
    let events = counters.recurrent_events + counters.external_events;
    let summary = Summary {
        volley_version: env!("CARGO_PKG_VERSION").to_string(),
        model_file: model.display().to_string(),
        threads: sim_threads,
        partitioning: net.partitioning.into(),
        seed: net.seed,
        t_sim_ms: t_sim.as_ms(),
        record_from_ms,
        window_ms: window.as_ms(),
        windows_in_turn: net.simulation.windows_in_turn(),
        neurons: net.n_neurons,
        synapses: net.n_synapses,
        input_synapses: net.n_input_synapses,
        spikes: spikes.len() as u64,
        spikes_emitted: counters.spikes,
        recurrent_events: counters.recurrent_events,
        external_events: counters.external_events,
        discarded_events: counters.discarded_events,
        wall_build_s,
        wall_sim_s,
        events_per_s: if wall_sim_s > 0.0 {
            events as f64 / wall_sim_s
        } else {
            0.0
        },
        peak_rss_bytes: peak_rss_bytes(),
        bytes_per_synapse: if net.n_synapses > 0 {
            built_bytes as f64 / net.n_synapses as f64
        } else {
            0.0
        },
        synapse_storage_bytes: net.synapse_storage_bytes,
        synapses_per_s_build: if wall_build_s > 0.0 {
            (net.n_synapses + net.n_input_synapses) as f64 / wall_build_s
        } else {
            0.0
        },
        plastic_synapses: net.n_plastic_synapses,
        traced_synapses: net.n_traced_synapses,
        populations,
        spikes_sha256: sha.iter().map(|b| format!("{b:02x}")).collect(),
        event_replays: net
            .replays
            .iter()
            .map(|(name, s)| {
                let s = s.lock().map(|s| s.clone()).unwrap_or_default();
                ReplaySummary {
                    name: name.clone(),
                    events_read: s.events_read,
                    events_injected: s.events_injected,
                    events_filtered: s.events_filtered,
                    events_late: s.events_late,
                    skipped_records: s.reader.skipped_total(),
                    damaged_parts: s.reader.damaged,
                    damaged_bytes: s.reader.damaged_bytes,
                }
            })
            .collect(),
        mpi,
        realtime,
        checkpoints,
        readouts,
    };
    let json = serde_json::to_vec_pretty(&summary).expect("summary serialises");
    write_file(&opts.out_dir.join("summary.json"), &json)?;
    Ok(summary)
}
