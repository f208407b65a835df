//! Whether a window pools its train events (see `train_pool.rs`), chosen by
//! timing.
//!
//! Why: pooled and unpooled windows give the same spikes (every neuron sees
//! the same calls in the same order), but which is faster depends on the
//! machine's caches: the pool takes each train event alone, in no order of
//! neurons, so it pays only while the partition's neurons, trains and
//! lists stay in the core's L2. Measured on Brunel: with 6 250 neurons per
//! partition it gained 9 % on a 2 MiB-L2 Xeon and lost 1–4 % on a
//! 512 KiB-L2 EPYC; with 12 500 it lost 14 % there. No fixed limit is right
//! on both, so an eligible partition alternates the two ways for a few
//! windows, keeps the one with less wall time per unit of work (deliveries
//! plus expected train events), and checks again now and then, as activity
//! changes. A timing decision never reaches the results, only their speed.

use std::time::Duration;

/// How windows that may pool their train events choose to
/// ([`Partition::pool_train_events`](crate::Partition::pool_train_events)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PoolMode {
    /// By timing both ways now and then (the default).
    #[default]
    Timed,
    /// Always pool (tests, measurements).
    Always,
    /// Never pool (tests, measurements).
    Never,
}

/// Windows per trial (half pooled, half not, alternating).
const TRIAL: u32 = 16;
/// Windows between the start of one trial and the next.
const PERIOD: u32 = 512;

/// The choice, and the measurements it rests on.
#[derive(Debug)]
pub(super) struct PoolChoice {
    /// Eligible windows seen, modulo [`PERIOD`].
    window: u32,
    /// Nanoseconds and units of work of the current trial, by way
    /// (`[unpooled, pooled]`).
    spent: [f64; 2],
    work: [f64; 2],
    /// The way kept after the last trial.
    pooled: bool,
    mode: PoolMode,
}

impl Default for PoolChoice {
    fn default() -> Self {
        PoolChoice {
            window: 0,
            spent: [0.0; 2],
            work: [0.0; 2],
            // Before the first trial ends (its windows alternate anyway).
            pooled: true,
            mode: PoolMode::Timed,
        }
    }
}

impl PoolChoice {
    /// Choose by `mode` from now on.
    pub(super) fn set_mode(&mut self, mode: PoolMode) {
        self.mode = mode;
    }

    /// Whether the next eligible window is pooled.
    pub(super) fn pick(&self) -> bool {
        match self.mode {
            PoolMode::Always => return true,
            PoolMode::Never => return false,
            PoolMode::Timed => {}
        }
        if self.window < TRIAL {
            self.window % 2 == 0
        } else {
            self.pooled
        }
    }

    /// The eligible window just done, pooled or not, took `elapsed` for
    /// `work` units; at the end of a trial, keep the faster way.
    pub(super) fn record(&mut self, pooled: bool, elapsed: Duration, work: f64) {
        if self.window < TRIAL {
            self.spent[pooled as usize] += elapsed.as_nanos() as f64;
            self.work[pooled as usize] += work;
        }
        self.window += 1;
        if self.window == TRIAL {
            let rate = |k: usize| self.spent[k] / self.work[k].max(1.0);
            self.pooled = rate(1) <= rate(0);
            self.spent = [0.0; 2];
            self.work = [0.0; 2];
        }
        if self.window == PERIOD {
            self.window = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(choice: &mut PoolChoice, windows: u32, ns: impl Fn(bool) -> u64) -> Vec<bool> {
        (0..windows)
            .map(|_| {
                let pooled = choice.pick();
                choice.record(pooled, Duration::from_nanos(ns(pooled)), 1000.0);
                pooled
            })
            .collect()
    }

    #[test]
    fn trials_alternate_then_the_faster_way_is_kept_until_the_next_trial() {
        let mut c = PoolChoice::default();
        let ways = run(&mut c, TRIAL, |pooled| if pooled { 900 } else { 1000 });
        assert_eq!(ways.iter().filter(|&&p| p).count() as u32, TRIAL / 2);
        assert!(ways.windows(2).all(|w| w[0] != w[1]));
        let kept = run(
            &mut c,
            PERIOD - TRIAL,
            |pooled| if pooled { 900 } else { 1000 },
        );
        assert!(kept.iter().all(|&p| p));
        // The machine changed its mind: the next trial switches.
        run(&mut c, TRIAL, |pooled| if pooled { 1200 } else { 1000 });
        assert!(!c.pick());
        assert!(run(&mut c, PERIOD - TRIAL, |_| 1).iter().all(|&p| !p));
        assert_eq!(c.window, 0);
    }

    #[test]
    fn a_forced_way_is_kept_whatever_the_times() {
        for (mode, way) in [(PoolMode::Always, true), (PoolMode::Never, false)] {
            let mut c = PoolChoice::default();
            c.set_mode(mode);
            let ways = run(
                &mut c,
                2 * PERIOD,
                |pooled| if pooled == way { 5000 } else { 1 },
            );
            assert!(ways.iter().all(|&p| p == way));
        }
    }

    #[test]
    fn time_is_compared_per_unit_of_work() {
        let mut c = PoolChoice::default();
        for k in 0..TRIAL {
            let pooled = c.pick();
            // Pooled windows happen to carry three times the work, in
            // twice the time: faster per unit.
            let (ns, work) = if pooled {
                (2000, 3000.0)
            } else {
                (1000, 1000.0)
            };
            assert_eq!(pooled, k % 2 == 0);
            c.record(pooled, Duration::from_nanos(ns), work);
        }
        assert!(c.pick());
    }
}
