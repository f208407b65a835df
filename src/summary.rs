//! What a run writes to `summary.json`: the model, the sizes, the counts of
//! events, the wall times, the spikes' hash and per-population statistics.

use crate::checkpoint;
use crate::realtime::RealtimeReport;
use crate::stats::PopulationStats;
use serde::Serialize;

/// `summary.json`.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// Version of Volley.
    pub volley_version: String,
    /// The model file.
    pub model_file: String,
    /// Worker threads (= partitions).
    pub threads: usize,
    /// How neurons were split over partitions.
    pub partitioning: String,
    /// Seed of all random streams.
    pub seed: u64,
    /// Simulated time (ms).
    pub t_sim_ms: f64,
    /// Recording start (ms).
    pub record_from_ms: f64,
    /// Synchronisation window length (ms).
    pub window_ms: f64,
    /// Windows the partitions worked in turn on one thread, too short for
    /// their threads to pay (0 on one thread).
    pub windows_in_turn: u64,
    /// Neurons.
    pub neurons: u32,
    /// Neuron-to-neuron synapses.
    pub synapses: u64,
    /// Input-channel synapses.
    pub input_synapses: u64,
    /// Recorded spikes.
    pub spikes: u64,
    /// All spikes emitted (recorded or not).
    pub spikes_emitted: u64,
    /// Synaptic inputs delivered from network neurons.
    pub recurrent_events: u64,
    /// Inputs delivered from external sources (Poisson, files).
    pub external_events: u64,
    /// Inputs discarded by design (arrived during refractoriness).
    pub discarded_events: u64,
    /// Network construction time (s).
    pub wall_build_s: f64,
    /// Simulation time (s).
    pub wall_sim_s: f64,
    /// (recurrent + external) / wall_sim_s.
    pub events_per_s: f64,
    /// Peak resident memory (bytes).
    pub peak_rss_bytes: u64,
    /// Resident memory added by building the network (peak after building
    /// minus resident before), per neuron-to-neuron synapse.
    pub bytes_per_synapse: f64,
    /// Bytes the static synapses take in memory (stored runs and their
    /// index; a convolution's shared runs count once).
    pub synapse_storage_bytes: u64,
    /// Synapses built per second of wall_build_s.
    pub synapses_per_s_build: f64,
    /// Plastic synapses (included in `synapses`).
    pub plastic_synapses: u64,
    /// Plastic synapses whose weight changes go to weight_trace.csv.
    pub traced_synapses: u64,
    /// Per-population statistics.
    pub populations: Vec<PopulationStats>,
    /// SHA-256 of spikes.csv.
    pub spikes_sha256: String,
    /// Event-camera replays (absent when there are none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub event_replays: Vec<ReplaySummary>,
    /// Distributed runs only (`mpirun`, cargo feature `mpi`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mpi: Option<MpiSummary>,
    /// Runs paced to the wall clock (`--realtime`) only: how well they kept up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realtime: Option<RealtimeReport>,
    /// Runs writing checkpoints only: what they cost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoints: Option<checkpoint::CheckpointReport>,
    /// NIR graphs' `Output` nodes: spikes per output neuron, the class.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub readouts: Vec<crate::readout::ReadoutSummary>,
}

/// What a distributed run adds to summary.json.
#[derive(Clone, Debug, Serialize)]
pub struct MpiSummary {
    /// MPI processes.
    pub ranks: usize,
    /// Worker threads (= partitions) per rank.
    pub threads_per_rank: usize,
    /// Complete windows exchanged.
    pub windows: u64,
    /// Time in the exchange proper (packing, MPI_Alltoall of counts,
    /// MPI_Alltoallv of spikes, unpacking), the slowest rank's, s.
    pub wall_exchange_s: f64,
    /// `wall_exchange_s` per window, µs.
    pub exchange_us_per_window: f64,
    /// Time waiting at the barrier before each exchange for the slowest
    /// rank (load imbalance), the slowest rank's, s.
    pub wall_wait_s: f64,
    /// Spikes sent between ranks (each copy counted).
    pub spikes_sent: u64,
    /// Resident memory added by building, mean per rank (bytes).
    pub built_bytes_per_rank: u64,
}

/// What an event-camera input read and injected.
#[derive(Clone, Debug, Serialize)]
pub struct ReplaySummary {
    /// The input's name.
    pub name: String,
    /// Events decoded.
    pub events_read: u64,
    /// Events injected as channel spikes.
    pub events_injected: u64,
    /// Events outside the crop, polarity filter or time window.
    pub events_filtered: u64,
    /// Events more than 50 ms out of order, injected at their window's start.
    pub events_late: u64,
    /// Non-event records passed over (IMU, frames, triggers, time words...).
    pub skipped_records: u64,
    /// Damaged parts skipped (`--lenient`).
    pub damaged_parts: u64,
    /// Bytes in those parts.
    pub damaged_bytes: u64,
}
