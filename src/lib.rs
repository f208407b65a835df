//! # Volley — exact, event-driven, deterministic spiking-network simulation
//!
//! This crate is the facade: it re-exports the engine ([`engine`], how a
//! network is simulated) and the models ([`models`], what is simulated), and
//! holds the pieces of the `volley` command line ([`run`], [`stats`],
//! [`raster`]).
//!
//! ## Ordering and causality contract
//! - Time is an integer count of ticks of 1/1024 µs; the scheduler never
//!   compares floats.
//! - A spike emitted at `t` over a synapse with delay `d > 0` arrives at
//!   exactly `t + d`, once.
//! - Every neuron sees its inputs in non-decreasing time; same-time inputs are
//!   summed (in `(time, target, source, synapse)` order) before the threshold
//!   test, and a due self-driven crossing is handled before them.
//! - Inputs arriving during refractoriness are discarded and counted.
//! - Plastic synapses update when a spike over them arrives (`t + d`), from
//!   the target's spikes up to `t - d` (dendritic delay, as NEST).
//! - The same seed gives bit-identical spikes.
//!
//! ```no_run
//! use volley::models::{load, Overrides, RunConfig};
//! let mut net = load("examples/brunel.toml".as_ref(), &Overrides::default(), &RunConfig::default()).unwrap();
//! net.simulation.run(net.t_sim);
//! let spikes = net.simulation.take_spikes();
//! println!("{} spikes", spikes.len());
//! ```

pub use volley_engine as engine;
pub use volley_models as models;

pub mod checkpoint;
#[cfg(feature = "mpi")]
pub mod distributed;
pub mod inspect;
pub mod outputs;
pub mod raster;
pub mod readout;
pub mod realtime;
pub mod run;
pub mod samples;
pub mod stats;
pub mod summary;
#[cfg(feature = "testing")]
pub mod testing;
pub mod traces;
pub mod weights;
