//! Checkpoints of a run (`volley run --checkpoint-every`) and resuming one
//! (`volley resume`).
//!
//! A checkpoint is one file, `checkpoint.bin`, replaced atomically at each
//! checkpoint: a header (magic, format version, payload length, SHA-256 of
//! the payload) and the payload (bincode): what the run was started with
//! (the model file's path and SHA-256, the command-line overrides, the
//! output folder), the spikes recorded so far and the engine's state
//! ([`EngineState`]: per neuron and per train, so a run resumes on any
//! number of threads or partitioning and ends bit-identical to one that
//! never stopped).

use crate::outputs;
use crate::run::RunOptions;
use crate::samples::{MeterOutputs, MetersState};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use signal_hook::consts::{SIGINT, SIGTERM};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use volley_engine::{EngineState, Spike, Time};
use volley_models::synapse::{take_weight_trace, TraceRow};
use volley_models::{Network, Overrides};

/// The file name of a checkpoint in its folder.
pub const FILE: &str = "checkpoint.bin";
const MAGIC: &[u8; 8] = b"VOLLEYCK";
/// Bumped whenever the payload's layout changes: an older file is refused.
const FORMAT_VERSION: u32 = 1;
const HEADER_LEN: usize = 8 + 4 + 8 + 32;

/// When and where a run writes checkpoints.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckpointPlan {
    /// Simulated time between checkpoints (ms; rounded up to a multiple of
    /// [`Timing::shared_edges`](volley_engine::Timing::shared_edges)).
    pub every_ms: f64,
    /// The folder of `checkpoint.bin`.
    pub dir: PathBuf,
}

/// Everything a run needs to continue.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Version of Volley that wrote it.
    pub volley_version: String,
    /// The model file (absolute).
    pub model_file: PathBuf,
    /// SHA-256 of the model file when the run started.
    pub model_sha256: String,
    /// The run's output folder (absolute).
    pub out_dir: PathBuf,
    /// Command-line overrides of the run.
    pub seed: Option<u64>,
    /// `--t-sim` of the run.
    pub t_sim_ms: Option<f64>,
    /// `replay`'s recording (absolute).
    pub event_file: Option<PathBuf>,
    /// `replay --format`.
    pub event_format: Option<String>,
    /// `--lenient`.
    pub lenient: bool,
    /// `--checkpoint-every`.
    pub every_ms: f64,
    /// Threads of the run that wrote it (for information).
    pub threads: usize,
    /// Spikes recorded before the checkpoint, sorted.
    pub recorded: Vec<Spike>,
    /// Weight changes recorded before the checkpoint (weight_trace.csv).
    pub traced: Vec<TraceRow>,
    /// The multimeter files (final names), kept under their temporary
    /// names while the run goes.
    pub meter_files: Vec<String>,
    /// Where they stood.
    pub meters: MetersState,
    /// The engine's state.
    pub engine: EngineState,
}

impl Checkpoint {
    /// The overrides the run was started with, `t_sim_ms` replaced if given.
    pub fn overrides(&self, t_sim_ms: Option<f64>) -> Result<Overrides, String> {
        let event_format = match &self.event_format {
            Some(f) => Some(f.parse().map_err(|e: String| e)?),
            None => None,
        };
        Ok(Overrides {
            seed: self.seed,
            t_sim_ms: t_sim_ms.or(self.t_sim_ms),
            event_file: self.event_file.clone(),
            event_format,
            lenient: self.lenient,
        })
    }

    /// Write it to `dir/checkpoint.bin`, replacing the last one only once
    /// the new one is complete; its size in bytes.
    pub fn write(&self, dir: &Path) -> Result<u64, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        write_snapshot(&dir.join(FILE), self)
    }

    /// Read `dir/checkpoint.bin` (or `dir` itself if it is the file),
    /// checking its format version and checksum.
    pub fn read(dir: &Path) -> Result<Checkpoint, String> {
        let path = if dir.is_dir() {
            dir.join(FILE)
        } else {
            dir.to_path_buf()
        };
        read_snapshot(&path)
    }
}

/// Write `value` to `path` in the checkpoint container (magic, format
/// version, payload length, SHA-256, bincode payload), under a temporary
/// name first, synced, then renamed: an earlier file stays whole until the
/// new one is. Its size in bytes.
pub fn write_snapshot<T: Serialize>(path: &Path, value: &T) -> Result<u64, String> {
    let payload = bincode::serialize(value).map_err(|e| e.to_string())?;
    let bytes = frame(&payload);
    let tmp = outputs::partial(path);
    std::fs::write(&tmp, &bytes)
        .and_then(|()| std::fs::File::open(&tmp)?.sync_all())
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(bytes.len() as u64)
}

/// Read what [`write_snapshot`] wrote to `path`, checking the container's
/// magic, format version, length and checksum.
pub fn read_snapshot<T: DeserializeOwned>(path: &Path) -> Result<T, String> {
    let at = |m: &str| format!("{}: {m}", path.display());
    let bytes = std::fs::read(path).map_err(|e| at(&e.to_string()))?;
    parse_snapshot(&bytes).map_err(|m| at(&m))
}

/// `payload` in the checkpoint container: magic, format version, length,
/// SHA-256, then the payload.
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(HEADER_LEN + payload.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&Sha256::digest(payload));
    bytes.extend_from_slice(payload);
    bytes
}

/// The value in the container `bytes` ([`frame`] of its bincode), checking
/// magic, format version, length and checksum (any bytes: an error, never
/// a panic — fuzzed by `fuzz/fuzz_targets/checkpoint_file.rs`).
pub fn parse_snapshot<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let at = |m: &str| m.to_string();
    if bytes.len() < HEADER_LEN || &bytes[..8] != MAGIC {
        return Err(at("not a Volley checkpoint"));
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    if version != FORMAT_VERSION {
        let m = format!(
            "checkpoint format {version}, but this Volley reads format {FORMAT_VERSION} \
             (resume it with the Volley version that wrote it)"
        );
        return Err(at(&m));
    }
    let len = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes"));
    let payload = &bytes[HEADER_LEN..];
    if payload.len() as u64 != len || Sha256::digest(payload)[..] != bytes[20..52] {
        return Err(at(
            "damaged: its checksum does not match (cut short or altered)",
        ));
    }
    bincode::deserialize(payload).map_err(|e| at(&format!("damaged: {e}")))
}

/// SHA-256 of a file, in hex.
pub fn file_sha256(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// `path` made absolute against the current folder.
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// What writing a run's checkpoints cost (in `summary.json`).
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct CheckpointReport {
    /// Checkpoints written.
    pub written: u64,
    /// Wall time of the slowest one (s): saving the state, encoding,
    /// checksumming, writing and syncing the file.
    pub max_seconds: f64,
    /// Wall time of all of them (s).
    pub total_seconds: f64,
    /// Size of the last one (bytes).
    pub bytes: u64,
}

/// Whether a checkpoint is due after a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Due {
    /// No.
    No,
    /// Yes, and the run goes on.
    Yes,
    /// Yes, after a signal: then the run stops.
    ThenStop,
}

/// Writes a run's checkpoints: at every multiple of the plan's interval
/// (rounded up to window edges every split shares), and once more at the
/// next such edge after a SIGTERM or SIGINT, which then stops the run (a second SIGINT
/// ends the process at once).
pub struct Checkpointer {
    dir: PathBuf,
    /// Window edges of any split of the network are multiples of this.
    grid: Time,
    every: Time,
    next: Time,
    signalled: Arc<AtomicBool>,
    /// Everything but the recorded spikes and the engine's state.
    header: Checkpoint,
    report: CheckpointReport,
}

impl Checkpointer {
    /// Checkpoints of `net`, built from `model` as `opts` says. Refuses a
    /// network whose state cannot be saved before it runs.
    pub fn new(
        model: &Path,
        opts: &RunOptions,
        plan: &CheckpointPlan,
        net: &mut Network,
    ) -> Result<Self, String> {
        let grid = net.simulation.timing().shared_edges;
        let every = Time::from_ms(plan.every_ms)
            .filter(|t| t.0 > 0)
            .ok_or_else(|| {
                format!(
                    "--checkpoint-every must be a positive number of ms, got {}",
                    plan.every_ms
                )
            })?;
        // Taken where every split has a window edge, so that it loads into any.
        let every = Time(every.0.div_ceil(grid.0).saturating_mul(grid.0));
        net.simulation.keep_spikes_in_flight();
        // Whatever cannot be saved says so now, not after hours of running.
        net.simulation.save_state()?;
        let signalled = Arc::new(AtomicBool::new(false));
        for sig in [SIGTERM, SIGINT] {
            // A second signal while the first is being handled ends the process.
            signal_hook::flag::register_conditional_shutdown(sig, 1, signalled.clone())
                .and_then(|_| signal_hook::flag::register(sig, signalled.clone()))
                .map_err(|e| format!("cannot handle signals: {e}"))?;
        }
        let o = &opts.overrides;
        let header = Checkpoint {
            volley_version: env!("CARGO_PKG_VERSION").to_string(),
            model_file: absolute(model),
            model_sha256: file_sha256(model)?,
            out_dir: absolute(&opts.out_dir),
            seed: o.seed,
            t_sim_ms: o.t_sim_ms,
            event_file: o.event_file.as_deref().map(absolute),
            event_format: o.event_format.map(|f| f.to_string()),
            lenient: o.lenient,
            every_ms: plan.every_ms,
            threads: net.simulation.partitions(),
            recorded: Vec::new(),
            traced: Vec::new(),
            meter_files: MeterOutputs::file_names(&net.meters),
            meters: MetersState::default(),
            engine: EngineState::default(),
        };
        let now = net.simulation.now();
        Ok(Checkpointer {
            dir: absolute(&plan.dir),
            grid,
            every,
            next: Time((now.0 / every.0 + 1).saturating_mul(every.0)),
            signalled,
            header,
            report: CheckpointReport::default(),
        })
    }

    /// The end of a step that wants to end at `until`: no later than the
    /// next checkpoint.
    pub fn bound(&self, until: Time) -> Time {
        until.min(self.next)
    }

    /// Whether a signal came to this process.
    pub fn signalled(&self) -> bool {
        self.signalled.load(Ordering::Relaxed)
    }

    /// After a step ending at `now`, of a run ending at `t_sim`: whether a
    /// checkpoint is due, given whether a signal came (to any process of
    /// the run). After a signal the run continues to the next edge every
    /// split shares, then checkpoints and stops.
    pub fn due(&mut self, now: Time, t_sim: Time, signal: bool) -> Due {
        if signal && now.0 % self.grid.0 != 0 {
            let edge = Time(now.0.div_ceil(self.grid.0).saturating_mul(self.grid.0));
            self.next = self.next.min(edge);
            return Due::No;
        }
        if signal {
            return Due::ThenStop;
        }
        // (Nothing to continue at the end of the run.)
        if now < self.next || now >= t_sim {
            return Due::No;
        }
        while self.next <= now {
            self.next = self.next.saturating_add(self.every);
        }
        Due::Yes
    }

    /// Write the checkpoint of `engine` with the outputs so far; `started`:
    /// when gathering it began (its cost is reported).
    pub fn write(
        &mut self,
        engine: EngineState,
        (recorded, traced, meters): (&[Spike], &[TraceRow], MetersState),
        threads: usize,
        started: std::time::Instant,
    ) -> Result<(), String> {
        let cp = Checkpoint {
            recorded: recorded.to_vec(),
            traced: traced.to_vec(),
            meters,
            engine,
            threads,
            ..self.header.clone()
        };
        let bytes = cp.write(&self.dir)?;
        let seconds = started.elapsed().as_secs_f64();
        let r = &mut self.report;
        r.written += 1;
        r.max_seconds = r.max_seconds.max(seconds);
        r.total_seconds += seconds;
        r.bytes = bytes;
        Ok(())
    }

    /// After a step of a run in this process alone: write a checkpoint if
    /// one is due (`recorded` gets the spikes recorded so far, `traced` the
    /// weight changes; `meters` have written every sample before now).
    /// `Ok(true)`: a signal came, the run must stop.
    pub fn after_step(
        &mut self,
        net: &mut Network,
        (recorded, traced, meters): (&mut Vec<Spike>, &mut Vec<TraceRow>, &mut MeterOutputs),
    ) -> Result<bool, String> {
        let sim = &mut net.simulation;
        let stop = match self.due(sim.now(), net.t_sim, self.signalled()) {
            Due::No => return Ok(false),
            Due::Yes => false,
            Due::ThenStop => true,
        };
        let t0 = std::time::Instant::now();
        recorded.extend(sim.take_spikes());
        *traced = merge_traces(std::mem::take(traced), take_weight_trace(sim));
        let outputs = (&recorded[..], &traced[..], meters.checkpoint()?);
        self.write(sim.save_state()?, outputs, sim.partitions(), t0)?;
        Ok(stop)
    }

    /// What the checkpoints cost so far.
    pub fn report(&self) -> CheckpointReport {
        self.report
    }

    /// The checkpoint folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Weight changes taken out of a simulation earlier and later, in the order
/// of weight_trace.csv (by time, source, target; a synapse's own changes
/// in the order they happened).
pub fn merge_traces(earlier: Vec<TraceRow>, later: Vec<TraceRow>) -> Vec<TraceRow> {
    let mut all = earlier;
    all.extend(later);
    all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    all
}

/// Load checkpoint `cp` into `net`, freshly built from the same model
/// file: the spikes and weight changes it recorded before it are returned.
pub fn load_into(
    cp: &Checkpoint,
    net: &mut Network,
) -> Result<(Vec<Spike>, Vec<TraceRow>), String> {
    let sha = file_sha256(&cp.model_file)?;
    if sha != cp.model_sha256 {
        return Err(format!(
            "the model file {} changed since the checkpoint was written (SHA-256 {} then, {} now)",
            cp.model_file.display(),
            cp.model_sha256,
            sha
        ));
    }
    if cp.engine.at >= net.t_sim {
        return Err(format!(
            "the checkpoint is at {} ms, not before the end of the run ({} ms): give a later --t-sim",
            cp.engine.at.as_ms(),
            net.t_sim.as_ms()
        ));
    }
    net.simulation.keep_spikes_in_flight();
    net.simulation.load_state(&cp.engine)?;
    Ok((cp.recorded.clone(), cp.traced.clone()))
}
