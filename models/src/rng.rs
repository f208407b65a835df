//! Random streams.
//!
//! Every stream is derived from the run's seed and the identity of what owns
//! it (a generator and a target neuron, a projection and a target), never from
//! a thread or partition, so any split of the network draws the same numbers.

use rand_core::{RngCore, SeedableRng};
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
    stream_of(seed, kind, owner, index)
}

/// The stream of `(kind, owner, index)` under `seed`, from generator `R`
/// (Poisson trains use the 16-byte xoroshiro128++: one per target neuron).
pub fn stream_of<R: SeedableRng>(seed: u64, kind: StreamKind, owner: u64, index: u64) -> R {
    let h = splitmix(splitmix(splitmix(seed ^ (kind as u64).rotate_left(56)) ^ owner) ^ index);
    R::seed_from_u64(h)
}

/// Uniform integers in `0..n` (`1 <= n <= 2^32`), two from each 64-bit
/// draw: Lemire's multiply-shift with exact rejection (unbiased, like
/// `gen_range`), for half the generator calls. Network construction draws
/// each fixed-indegree source through this (twice: count, then place), and
/// the generator's serial dependency chain was a third of construction.
#[derive(Clone, Copy, Debug)]
pub struct UniformBelow {
    n: u64,
    /// Products whose low half is below this are rejected:
    /// `2^32 mod n`, so every value keeps exactly `floor(2^32 / n)` preimages.
    threshold: u32,
}

impl UniformBelow {
    /// A sampler of `0..n`; `None` unless `1 <= n <= 2^32`.
    pub fn new(n: u64) -> Option<Self> {
        if n == 0 || n > 1 << 32 {
            return None;
        }
        let threshold = ((1u64 << 32) % n) as u32;
        Some(UniformBelow { n, threshold })
    }

    /// Map one 32-bit word to a value, or `None` (rejected: draw another).
    #[inline(always)]
    fn map(&self, x: u32) -> Option<u64> {
        let m = u64::from(x) * self.n;
        ((m as u32) >= self.threshold).then_some(m >> 32)
    }

    /// Call `take` with uniform values from `rng`, two per 64-bit draw, until
    /// it returns `false` (it is called at least once).
    #[inline]
    pub fn for_each(&self, rng: &mut impl RngCore, mut take: impl FnMut(u64) -> bool) {
        loop {
            let r = rng.next_u64();
            for half in [r as u32, (r >> 32) as u32] {
                if let Some(v) = self.map(half) {
                    if !take(v) {
                        return;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod uniform_below_tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn small_ranges_are_uniform() {
        // 3 does not divide 2^32: rejection must keep the counts level.
        let u = UniformBelow::new(3).unwrap();
        let mut rng = stream(1, StreamKind::Connect, 0, 0);
        let mut counts = [0u32; 3];
        let mut left = 300_000;
        u.for_each(&mut rng, |v| {
            counts[v as usize] += 1;
            left -= 1;
            left > 0
        });
        for c in counts {
            assert!((c as f64 / 100_000.0 - 1.0).abs() < 0.01, "{counts:?}");
        }
        assert!(UniformBelow::new(0).is_none());
        assert!(UniformBelow::new((1 << 32) + 1).is_none());
    }

    #[test]
    fn threshold_is_two_to_the_32_mod_n() {
        // Then every value keeps exactly floor(2^32 / n) accepted words.
        for n in [1u64, 2, 3, 7, 1000, (1 << 32) - 1, 1 << 32] {
            let u = UniformBelow::new(n).unwrap();
            assert_eq!(u64::from(u.threshold), (1u64 << 32) % n);
        }
    }

    proptest! {
        #[test]
        fn values_stay_below_n(n in 1u64..=(1 << 32), seed in any::<u64>()) {
            let u = UniformBelow::new(n).unwrap();
            let mut rng = stream(seed, StreamKind::Connect, 0, 0);
            let mut k = 0;
            u.for_each(&mut rng, |v| {
                assert!(v < n);
                k += 1;
                k < 64
            });
        }
    }
}
