//! Poisson input: an independent exact train per target neuron (NEST's
//! `poisson_generator_ps` semantics), stepped by the engine's
//! [`PoissonTrains`]. This module decides the streams: the train into
//! target `g` of generator `gid` draws from its own xoroshiro128++ stream,
//! seeded from `(seed, gid, g)` — a property of the pair, never of a
//! partition or thread, so results do not depend on how the network is split.

use crate::rng::{stream_of, StreamKind};
use std::ops::Range;
use volley_engine::{Gid, PoissonTrains, RateProfile, Time};

/// Generator node `gid` firing at `rate_hz` while active (emission times in
/// `active`) into each of `targets` (`(local index, target gid)`), weight
/// `weight`, delay `delay`.
pub fn poisson_trains(
    seed: u64,
    gid: Gid,
    (rate_hz, weight, delay): (f64, f64, Time),
    active: Range<Time>,
    targets: &[(u32, Gid)],
) -> PoissonTrains {
    PoissonTrains::new(gid, (rate_hz, weight, delay), active, targets, |g| {
        stream_of(seed, StreamKind::Poisson, gid.0 as u64, g.0 as u64)
    })
}

/// As [`poisson_trains`], the rate following `profile`; the same streams
/// (a generator's trains are drawn from the streams of its gid).
pub fn inhomogeneous_trains(
    seed: u64,
    gid: Gid,
    law: (&RateProfile, f64, Time),
    active: Range<Time>,
    targets: &[(u32, Gid)],
) -> PoissonTrains {
    PoissonTrains::inhomogeneous(gid, law, active, targets, |g| {
        stream_of(seed, StreamKind::Poisson, gid.0 as u64, g.0 as u64)
    })
}
