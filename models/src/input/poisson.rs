//! Poisson input: an independent train per target neuron (NEST's
//! `poisson_generator_ps` semantics), with exact exponential intervals drawn
//! from a xoshiro stream owned by the (generator, target) pair. The train is
//! generated window by window straight into the queue, so memory stays
//! constant whatever the rate and run length.

use crate::rng::{stream, StreamKind};
use rand::Rng;
use rand_distr::Exp1;
use rand_xoshiro::Xoshiro256PlusPlus;
use volley_engine::{Delivery, Drive, EventQueue, Gid, Spike, SyncWindow, Time, TICKS_PER_MS};

/// One Poisson generator's trains into the local targets of a partition.
pub struct PoissonDrive {
    gid: Gid,
    weight: f64,
    delay: Time,
    mean_interval_ticks: f64,
    /// Per target: local index, index in the generator's target list, stream, next emission.
    targets: Vec<u32>,
    train_index: Vec<u32>,
    rngs: Vec<Xoshiro256PlusPlus>,
    next: Vec<u64>,
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
        let mut rngs: Vec<Xoshiro256PlusPlus> = targets
            .iter()
            .map(|&(_, g)| stream(seed, StreamKind::Poisson, gid.0 as u64, g.0 as u64))
            .collect();
        let next = rngs
            .iter_mut()
            .map(|r| sample(r, mean_interval_ticks))
            .collect();
        PoissonDrive {
            gid,
            weight,
            delay,
            mean_interval_ticks,
            targets: targets.iter().map(|&(l, _)| l).collect(),
            train_index: (0..targets.len() as u32).collect(),
            rngs,
            next,
        }
    }
}

/// One exponential interval in ticks (rounded to the nearest tick).
#[inline]
fn sample(rng: &mut Xoshiro256PlusPlus, mean_ticks: f64) -> u64 {
    let x: f64 = rng.sample(Exp1);
    let t = (x * mean_ticks).round();
    if t >= 1.8e19 {
        u64::MAX
    } else {
        t as u64
    }
}

impl Drive for PoissonDrive {
    fn emit(&mut self, window: SyncWindow, queue: &mut EventQueue, _spikes: &mut Vec<Spike>) {
        let end = window.end.0;
        for k in 0..self.targets.len() {
            let mut t = self.next[k];
            while t < end {
                queue.push(Delivery {
                    time: Time(t) + self.delay,
                    target: self.targets[k],
                    source: self.gid,
                    synapse: self.train_index[k],
                    weight: self.weight,
                    lag: 0.0,
                });
                t = t.saturating_add(sample(&mut self.rngs[k], self.mean_interval_ticks));
            }
            self.next[k] = t;
        }
    }
}
