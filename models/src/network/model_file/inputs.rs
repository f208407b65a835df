//! `[[inputs]]` as written in a model file: a name and a kind with its own
//! keys (a key foreign to the kind is an error naming it).

use super::Names;
use serde::Deserialize;

/// `[[inputs]]`: a name, and the kind with its own keys.
#[derive(Debug, Deserialize)]
pub struct InputSpec {
    /// Unique name.
    pub name: String,
    /// The kind (`kind = "..."`) and its keys.
    #[serde(flatten)]
    pub kind: InputKind,
}

/// An input's kind, by `kind = "..."`, with its own keys.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum InputKind {
    /// One independent Poisson train per target neuron.
    Poisson {
        /// Rate of each train, Hz.
        rate_hz: f64,
        /// Weight (mV).
        weight: f64,
        /// Delay (ms), > 0.
        delay_ms: f64,
        /// Target population(s).
        targets: Names,
        /// Emissions from this time on (ms; default 0), the first one
        /// interval after it.
        #[serde(default)]
        start_ms: Option<f64>,
        /// No emission at or after this time (ms; default never).
        #[serde(default)]
        stop_ms: Option<f64>,
    },
    /// One independent Poisson train per target neuron, its rate
    /// piecewise constant (NEST's `inhomogeneous_poisson_generator`, in
    /// continuous time): `rate_values_hz[k]` from `rate_times_ms[k]` on,
    /// zero before the first.
    InhomogeneousPoisson {
        /// When the rate changes (ms), increasing.
        rate_times_ms: Vec<f64>,
        /// The rate from each time on (Hz).
        rate_values_hz: Vec<f64>,
        /// Weight (mV).
        weight: f64,
        /// Delay (ms), > 0.
        delay_ms: f64,
        /// Target population(s).
        targets: Names,
        /// Emissions from this time on (ms; default 0).
        #[serde(default)]
        start_ms: Option<f64>,
        /// No emission at or after this time (ms; default never).
        #[serde(default)]
        stop_ms: Option<f64>,
    },
    /// Channels that spike at given times, through synapses.
    SpikeTimes {
        /// Spike table `input,time_ms`.
        #[serde(default)]
        spikes: Option<String>,
        /// Inline spike times of a single channel, ms.
        #[serde(default)]
        times_ms: Option<Vec<f64>>,
        /// Input edges `input,target,weight_mV,delay_ms` (instead of
        /// `targets`, `weight` and `delay_ms`).
        #[serde(default)]
        edges: Option<String>,
        /// Target population(s): every channel to every neuron.
        #[serde(default)]
        targets: Option<Names>,
        /// Weight (mV).
        #[serde(default)]
        weight: Option<f64>,
        /// Delay (ms), > 0.
        #[serde(default)]
        delay_ms: Option<f64>,
    },
    /// An event-camera recording replayed, channel `c` into neuron `c`.
    EventCamera(CameraSpec),
    /// A constant current (NEST's `dc_generator`), on in `[start_ms, stop_ms)`.
    #[allow(non_snake_case)]
    Dc {
        /// Amplitude (pA).
        amplitude_pA: f64,
        /// Target population(s) or slices.
        targets: Names,
        /// On from this time (ms; default 0).
        #[serde(default)]
        start_ms: Option<f64>,
        /// Off from this time (ms; default never).
        #[serde(default)]
        stop_ms: Option<f64>,
    },
    /// A piecewise-constant current (NEST's `step_current_generator`):
    /// `amplitudes_pA[k]` from `times_ms[k]` on, zero before the first.
    #[allow(non_snake_case)]
    StepCurrent {
        /// Change times (ms), increasing.
        times_ms: Vec<f64>,
        /// The amplitude from each change on (pA).
        amplitudes_pA: Vec<f64>,
        /// Target population(s) or slices.
        targets: Names,
    },
}

impl InputKind {
    /// The kind's name in model files.
    pub fn name(&self) -> &'static str {
        match self {
            InputKind::Poisson { .. } => "poisson",
            InputKind::InhomogeneousPoisson { .. } => "inhomogeneous_poisson",
            InputKind::SpikeTimes { .. } => "spike_times",
            InputKind::EventCamera(_) => "event_camera",
            InputKind::Dc { .. } => "dc",
            InputKind::StepCurrent { .. } => "step_current",
        }
    }
}

/// `kind = "event_camera"` (see `camera_input.rs`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraSpec {
    /// Recording to replay (or given on the command line).
    #[serde(default)]
    pub file: Option<String>,
    /// Its format, instead of sniffing it.
    #[serde(default)]
    pub format: Option<String>,
    /// Skip damaged parts of the recording instead of failing.
    #[serde(default)]
    pub lenient: Option<bool>,
    /// Sensor `[width, height]` when the file does not say.
    #[serde(default)]
    pub sensor_size: Option<Vec<u32>>,
    /// Crop `[x, y, width, height]` in sensor pixels.
    #[serde(default)]
    pub crop: Option<Vec<u32>>,
    /// Spatial pooling: `n` or `[nx, ny]` pixels per channel.
    #[serde(default)]
    pub pool: Option<Pool>,
    /// `merge`, `split` (default), `on` or `off`.
    #[serde(default)]
    pub polarity: Option<String>,
    /// Recording time (µs) that becomes simulation time 0; default: the
    /// first event's.
    #[serde(default)]
    pub origin_us: Option<i64>,
    /// Replay from this time after the origin (ms).
    #[serde(default)]
    pub start_ms: Option<f64>,
    /// Replay until this time after the origin (ms).
    #[serde(default)]
    pub stop_ms: Option<f64>,
    /// Synapse weight (mV).
    pub weight: f64,
    /// Synapse delay (ms), > 0.
    pub delay_ms: f64,
    /// The one target population (as many neurons as channels).
    pub targets: Names,
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
