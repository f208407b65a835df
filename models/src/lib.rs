//! # volley-models — what is simulated
//!
//! Neuron models ([`neuron`]), external inputs ([`input`]) and networks built
//! from model files ([`network`]). Everything here plugs into the engine
//! through `volley_engine::Dynamics` and `volley_engine::Drive`; all random
//! streams are derived from the seed and the identity of their owner
//! ([`rng`]), never from threads.

pub mod error;
pub mod input;
pub(crate) mod libm_bits;
pub mod network;
pub mod neuron;
pub mod nir;
pub mod rng;
pub mod synapse;

pub use error::ModelError;
pub use network::{
    load, load_text, read_partition_file, Collective, Network, NetworkSimulation, Overrides,
    PopulationInfo, RunConfig, Share,
};
pub use volley_engine::PartitionScheme;
