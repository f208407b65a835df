//! Random streams.
//!
//! Every stream is derived from the run's seed and the identity of what owns
//! it (a generator and a target neuron, a projection and a target), never from
//! a thread or partition, so any split of the network draws the same numbers.

use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// What a stream is for; keeps streams of different purposes apart.
#[derive(Clone, Copy, Debug)]
#[repr(u64)]
pub enum StreamKind {
    /// Connectivity of a projection.
    Connect = 1,
    /// Poisson input trains.
    Poisson = 2,
    /// Initial state.
    Init = 3,
    /// Per-synapse weights and delays.
    Synapse = 4,
}

#[inline]
fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The stream of `(kind, owner, index)` under `seed`.
pub fn stream(seed: u64, kind: StreamKind, owner: u64, index: u64) -> Xoshiro256PlusPlus {
    let h = splitmix(splitmix(splitmix(seed ^ (kind as u64).rotate_left(56)) ^ owner) ^ index);
    Xoshiro256PlusPlus::seed_from_u64(h)
}
