//! Property testing of causality and determinism, as a library
//! (cargo feature `testing`).
//!
//! - [`TraceObserver`] records every window, processed delivery and spike of
//!   one partition;
//! - [`run_traced`] runs any model file with a trace on each partition and
//!   collects what the checks need;
//! - [`check_invariants`] checks the engine's contract on a traced run: no
//!   delivery early, none lost or duplicated, inputs in time order per
//!   neuron, no spike during refractoriness, no spike crossing partitions
//!   inside the window it was emitted in;
//! - [`strategies`] generates random networks (random sizes, degrees, delays
//!   at or above a minimum, weights, bias currents, input spikes, small-world
//!   graphs), thread counts and partition schemes for proptest.
//!
//! ```no_run
//! use proptest::prelude::*;
//! use volley::testing::{check_invariants, run_traced, strategies};
//!
//! proptest! {
//!     #[test]
//!     fn my_networks_keep_the_contract(net in strategies::network(40, 8, 0.5), threads in 1usize..5) {
//!         let dir = tempfile::tempdir().unwrap();
//!         let model = net.write(dir.path());
//!         let one = run_traced(&model, 1, volley::models::PartitionScheme::Contiguous).unwrap();
//!         let many = run_traced(&model, threads, volley::models::PartitionScheme::RoundRobin).unwrap();
//!         prop_assert_eq!(check_invariants(&many), Ok(()));
//!         prop_assert!(one.same_spikes(&many));
//!     }
//! }
//! ```

mod invariants;
pub mod strategies;
mod trace;

pub use invariants::check_invariants;
pub use strategies::RandomNetwork;
pub use trace::{
    network_synapses, run_traced, run_traced_grouped, run_unobserved, run_unobserved_pooling,
    DeliveryRecord, SpikeRecord, TraceObserver, TracedRun,
};
