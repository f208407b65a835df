//! The model file (TOML) as written by users. See `docs/user-guide.md` for
//! every key. Unknown keys are errors, so a typo never passes silently.

use crate::error::ModelError;
use serde::Deserialize;
use std::path::Path;
use toml::Spanned;

/// A population name or a list of them.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Names {
    /// One population.
    One(String),
    /// Several populations.
    Many(Vec<String>),
}

impl Names {
    /// The names as a list.
    pub fn list(&self) -> Vec<&str> {
        match self {
            Names::One(s) => vec![s.as_str()],
            Names::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// Simulated time (ms).
    pub t_sim_ms: f64,
    /// Seed of every random stream. Default 1.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Neuron populations, in gid order.
    #[serde(default)]
    pub populations: Vec<Spanned<PopulationSpec>>,
    /// Connections between populations.
    #[serde(default)]
    pub projections: Vec<Spanned<ProjectionSpec>>,
    /// External inputs.
    #[serde(default)]
    pub inputs: Vec<Spanned<InputSpec>>,
    /// What to record.
    #[serde(default)]
    pub recorders: Vec<Spanned<RecorderSpec>>,
}

fn default_seed() -> u64 {
    1
}

/// `[[populations]]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationSpec {
    /// Unique name.
    pub name: String,
    /// Neuron model (`lif_delta`).
    pub model: String,
    /// Number of neurons (or give `file`).
    #[serde(default)]
    pub size: Option<u32>,
    /// A neuron table `neuron[,type][,V_m0_mV]`.
    #[serde(default)]
    pub file: Option<String>,
    /// With `file`: split into one population per contiguous run of `type`,
    /// named after the type.
    #[serde(default)]
    pub split_by_type: bool,
    /// Model parameters (NEST names and units).
    pub params: toml::Table,
    /// Initial potentials drawn per neuron, e.g. `{ dist = "normal", mean = -65.0, std = 5.0 }`.
    #[serde(default, rename = "V_m_init")]
    pub v_m_init: Option<DistSpec>,
}

/// `[[projections]]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectionSpec {
    /// `fixed_indegree`, `fixed_outdegree`, `fixed_total_number`,
    /// `pairwise_bernoulli`, `watts_strogatz`, `all_to_all`, `one_to_one` or
    /// `edge_list`.
    pub rule: String,
    /// Source population(s).
    #[serde(default)]
    pub source: Option<Names>,
    /// Target population(s).
    #[serde(default)]
    pub target: Option<Names>,
    /// Sources per target (`fixed_indegree`).
    #[serde(default)]
    pub indegree: Option<u32>,
    /// Targets per source (`fixed_outdegree`).
    #[serde(default)]
    pub outdegree: Option<u32>,
    /// Total number of synapses (`fixed_total_number`).
    #[serde(default)]
    pub n: Option<u64>,
    /// Connection probability (`pairwise_bernoulli`; at distance 0 for `spatial`).
    #[serde(default)]
    pub p: Option<f64>,
    /// Ring neighbours per neuron (`watts_strogatz`), even.
    #[serde(default)]
    pub k: Option<u32>,
    /// Rewiring probability (`watts_strogatz`).
    #[serde(default)]
    pub rewire_p: Option<f64>,
    /// `grid` or `random` neuron positions (`spatial`).
    #[serde(default)]
    pub positions: Option<String>,
    /// Side of the square the neurons lie in (`spatial`, default 1).
    #[serde(default)]
    pub extent: Option<f64>,
    /// Wrap distances around the square (`spatial`, default true).
    #[serde(default)]
    pub periodic: Option<bool>,
    /// `gaussian` or `exponential` fall-off with distance (`spatial`).
    #[serde(default)]
    pub profile: Option<String>,
    /// Width of the fall-off (`spatial`), same unit as `extent`.
    #[serde(default)]
    pub sigma: Option<f64>,
    /// Synaptic weight (mV for lif_delta, pA for lif_exp): a number or a
    /// distribution `{ dist = "normal", mean, std, min, max }`,
    /// `{ dist = "uniform", low, high }`, `{ dist = "lognormal", mu, sigma }`.
    #[serde(default)]
    pub weight: Option<ValueSpec>,
    /// Synaptic delay (ms), > 0: a number or a distribution.
    #[serde(default)]
    pub delay_ms: Option<ValueSpec>,
    /// Weight values a distribution is quantised to (default 256).
    #[serde(default)]
    pub levels: Option<u32>,
    /// Distributed delays are rounded to multiples of this (ms, default 0.1).
    #[serde(default)]
    pub delay_step_ms: Option<f64>,
    /// Allow a neuron to connect to itself. Default true (as NEST).
    #[serde(default)]
    pub allow_autapses: Option<bool>,
    /// Allow repeated pairs. Default true (as NEST).
    #[serde(default)]
    pub allow_multapses: Option<bool>,
    /// Edge list `source,target,weight_mV,delay_ms` (`edge_list`), gids 0-based.
    #[serde(default)]
    pub file: Option<String>,
    /// Synapse model and its parameters, e.g. `{ model = "stdp", tau_plus =
    /// 20.0, lambda = 0.01, Wmax = 100.0 }`. Default: static.
    #[serde(default)]
    pub synapse: Option<toml::Table>,
}

/// A number, or a distribution to draw it from.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum ValueSpec {
    /// A constant.
    Const(f64),
    /// A distribution.
    Dist(DistSpec),
}

/// `{ dist = "...", ... }`
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DistSpec {
    /// `normal`, `uniform` or `lognormal`.
    pub dist: String,
    /// Normal mean.
    #[serde(default)]
    pub mean: Option<f64>,
    /// Normal standard deviation.
    #[serde(default)]
    pub std: Option<f64>,
    /// Uniform lower bound.
    #[serde(default)]
    pub low: Option<f64>,
    /// Uniform upper bound.
    #[serde(default)]
    pub high: Option<f64>,
    /// Lognormal: mean of the underlying normal.
    #[serde(default)]
    pub mu: Option<f64>,
    /// Lognormal: standard deviation of the underlying normal.
    #[serde(default)]
    pub sigma: Option<f64>,
    /// Draws below are redrawn (normal, lognormal).
    #[serde(default)]
    pub min: Option<f64>,
    /// Draws above are redrawn (normal, lognormal).
    #[serde(default)]
    pub max: Option<f64>,
}

/// `[[inputs]]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    /// Unique name.
    pub name: String,
    /// `poisson`, `spike_times` or `event_camera`.
    pub kind: String,
    /// Rate of each train (`poisson`), Hz.
    #[serde(default)]
    pub rate_hz: Option<f64>,
    /// Weight (mV).
    #[serde(default)]
    pub weight: Option<f64>,
    /// Delay (ms), > 0.
    #[serde(default)]
    pub delay_ms: Option<f64>,
    /// Target population(s).
    #[serde(default)]
    pub targets: Option<Names>,
    /// Spike table `input,time_ms` (`spike_times`).
    #[serde(default)]
    pub spikes: Option<String>,
    /// Input edges `input,target,weight_mV,delay_ms` (`spike_times`).
    #[serde(default)]
    pub edges: Option<String>,
    /// Inline spike times of a single channel (`spike_times`), ms.
    #[serde(default)]
    pub times_ms: Option<Vec<f64>>,
    /// Recording to replay (`event_camera`).
    #[serde(default)]
    pub file: Option<String>,
    /// Its format, instead of sniffing it (`event_camera`).
    #[serde(default)]
    pub format: Option<String>,
    /// Skip damaged parts of the recording instead of failing (`event_camera`).
    #[serde(default)]
    pub lenient: Option<bool>,
    /// Sensor `[width, height]` when the file does not say (`event_camera`).
    #[serde(default)]
    pub sensor_size: Option<Vec<u32>>,
    /// Crop `[x, y, width, height]` in sensor pixels (`event_camera`).
    #[serde(default)]
    pub crop: Option<Vec<u32>>,
    /// Spatial pooling: `n` or `[nx, ny]` pixels per channel (`event_camera`).
    #[serde(default)]
    pub pool: Option<Pool>,
    /// `merge`, `split`, `on` or `off` (`event_camera`).
    #[serde(default)]
    pub polarity: Option<String>,
    /// Recording time (µs) that becomes simulation time 0; default: the
    /// first event's (`event_camera`).
    #[serde(default)]
    pub origin_us: Option<i64>,
    /// Replay from this time after the origin (ms) (`event_camera`).
    #[serde(default)]
    pub start_ms: Option<f64>,
    /// Replay until this time after the origin (ms) (`event_camera`).
    #[serde(default)]
    pub stop_ms: Option<f64>,
}

/// Which synapses a `weights` recorder traces.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum SynapseChoice {
    /// `"all"`.
    Keyword(String),
    /// `[[source, target], ...]` (gids).
    Pairs(Vec<[u32; 2]>),
}

/// Pooling factors: one for both axes, or `[x, y]`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Pool {
    /// Same on both axes.
    Square(u32),
    /// Per axis.
    Rect(Vec<u32>),
}

impl InputSpec {
    /// The first `event_camera` key present (to reject it for other kinds).
    pub fn camera_key(&self) -> Option<&'static str> {
        [
            ("file", self.file.is_some()),
            ("format", self.format.is_some()),
            ("lenient", self.lenient.is_some()),
            ("sensor_size", self.sensor_size.is_some()),
            ("crop", self.crop.is_some()),
            ("pool", self.pool.is_some()),
            ("polarity", self.polarity.is_some()),
            ("origin_us", self.origin_us.is_some()),
            ("start_ms", self.start_ms.is_some()),
            ("stop_ms", self.stop_ms.is_some()),
        ]
        .into_iter()
        .find_map(|(k, present)| present.then_some(k))
    }
}

/// `[[recorders]]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecorderSpec {
    /// `spikes` or `weights`.
    pub kind: String,
    /// `weights`: synapses `[source, target]` (gids) whose every weight
    /// change is recorded (weight_trace.csv), or `"all"`. The final weights
    /// of all plastic synapses are always written (weights.csv).
    #[serde(default)]
    pub synapses: Option<SynapseChoice>,
    /// Populations to record. Default: all.
    #[serde(default)]
    pub populations: Option<Names>,
    /// Record from this time on (ms). Default 0.
    #[serde(default)]
    pub start_ms: Option<f64>,
}

/// 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Parse model-file text; errors name the file, the line and the key.
pub fn parse(path: &Path, text: &str) -> Result<ModelFile, ModelError> {
    toml::from_str::<ModelFile>(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start));
        ModelError {
            file: path.to_path_buf(),
            line,
            key: None,
            message: e.message().trim().to_string(),
        }
    })
}
