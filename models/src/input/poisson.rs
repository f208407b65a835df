//! Poisson input: an independent train per target neuron (NEST's
//! `poisson_generator_ps` semantics), with exact exponential intervals drawn
//! from a xoshiro stream owned by the (generator, target) pair. Each target
//! neuron consumes its own train while it advances through a window (the
//! engine's `Trains`), so the drive costs no queue traffic and constant memory.

use crate::rng::{stream, StreamKind};
use rand_distr::Distribution;
use rand_distr::Exp1;
use rand_xoshiro::Xoshiro256PlusPlus;
use volley_engine::{Gid, Time, Trains, TICKS_PER_MS};

/// One Poisson generator's trains into the local targets of a partition.
pub struct PoissonDrive {
    gid: Gid,
    weight: f64,
    delay: Time,
    mean_interval_ticks: f64,
    /// Per train: target's local index.
    targets: Vec<u32>,
    /// Per train: stream and next emission, side by side (one cache line
    /// per event on the hot path).
    trains: Vec<Train>,
}

struct Train {
    rng: Xoshiro256PlusPlus,
    /// Next emission (ticks).
    next: u64,
}

impl PoissonDrive {
    /// A generator node `gid` firing at `rate_hz` into each of `targets`
    /// (`(local index, target gid)`), weight `weight`, delay `delay`.
    pub fn new(
        seed: u64,
        gid: Gid,
        rate_hz: f64,
        weight: f64,
        delay: Time,
        targets: &[(u32, Gid)],
    ) -> Self {
        let mean_interval_ticks = if rate_hz > 0.0 {
            1000.0 * TICKS_PER_MS as f64 / rate_hz
        } else {
            f64::INFINITY
        };
        let trains = targets
            .iter()
            .map(|&(_, g)| {
                let mut rng = stream(seed, StreamKind::Poisson, gid.0 as u64, g.0 as u64);
                let next = sample(&mut rng, mean_interval_ticks);
                Train { rng, next }
            })
            .collect();
        PoissonDrive {
            gid,
            weight,
            delay,
            mean_interval_ticks,
            targets: targets.iter().map(|&(l, _)| l).collect(),
            trains,
        }
    }
}

/// One exponential interval in ticks (rounded to the nearest tick).
#[inline]
fn sample(rng: &mut Xoshiro256PlusPlus, mean_ticks: f64) -> u64 {
    let x: f64 = Exp1.sample(rng);
    // Round half up by truncation (x ≥ 0): no libm `round` call; through
    // i64, one instruction (an interval past 2^62 ticks, 143 years, is never).
    let t = x * mean_ticks + 0.5;
    if t >= 4.6e18 {
        u64::MAX
    } else {
        t as i64 as u64
    }
}

impl Trains for PoissonDrive {
    fn len(&self) -> usize {
        self.targets.len()
    }

    fn target(&self, k: usize) -> u32 {
        self.targets[k]
    }

    fn source(&self) -> Gid {
        self.gid
    }

    fn weight(&self) -> f64 {
        self.weight
    }

    #[inline]
    fn next_arrival(&self, k: usize) -> Time {
        Time(self.trains[k].next).saturating_add(self.delay)
    }

    #[inline]
    fn advance(&mut self, k: usize) {
        let train = &mut self.trains[k];
        train.next = train
            .next
            .saturating_add(sample(&mut train.rng, self.mean_interval_ticks));
    }

    #[inline]
    fn take_at(&mut self, k: usize, t: Time) -> (u32, Time) {
        let mut n = 0;
        let train = &mut self.trains[k];
        let mut next = train.next;
        // Emitted at `t - delay` (no event can arrive before `delay`).
        if let Some(emitted) = t.0.checked_sub(self.delay.0) {
            while next == emitted {
                next = next.saturating_add(sample(&mut train.rng, self.mean_interval_ticks));
                n += 1;
            }
        }
        train.next = next;
        (n, Time(next).saturating_add(self.delay))
    }
}
