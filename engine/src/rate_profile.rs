//! A piecewise-constant rate (NEST's `inhomogeneous_poisson_generator`,
//! but in continuous time): the next arrival of a Poisson process whose
//! rate changes at given instants is found exactly by time rescaling — a
//! unit exponential `E` is spent across the segments, at each segment's
//! rate, until the integrated rate reaches it.

use crate::time::{Time, TICKS_PER_MS};
use rand_xoshiro::rand_core::RngCore;

/// Rates from given instants on (zero before the first).
#[derive(Clone, Debug, PartialEq)]
pub struct RateProfile {
    /// Segment starts (ticks, increasing).
    starts: Vec<u64>,
    /// Each segment's rate, per tick.
    per_tick: Vec<f64>,
}

impl RateProfile {
    /// `rates_hz[k]` from `times[k]` on. `None` unless the times increase
    /// and the rates are finite and non-negative.
    pub fn new(times: &[Time], rates_hz: &[f64]) -> Option<Self> {
        let increasing = times.windows(2).all(|w| w[0] < w[1]);
        let valid = rates_hz.iter().all(|r| r.is_finite() && *r >= 0.0);
        if times.len() != rates_hz.len() || times.is_empty() || !increasing || !valid {
            return None;
        }
        Some(RateProfile {
            starts: times.iter().map(|t| t.0).collect(),
            per_tick: rates_hz
                .iter()
                .map(|r| r / (1000.0 * TICKS_PER_MS as f64))
                .collect(),
        })
    }

    /// The same profile `by` later (a delay: the profile of arrivals).
    pub fn shifted(&self, by: Time) -> Self {
        RateProfile {
            starts: self
                .starts
                .iter()
                .map(|&s| s.saturating_add(by.0))
                .collect(),
            per_tick: self.per_tick.clone(),
        }
    }

    /// The highest rate (Hz).
    pub fn max_hz(&self) -> f64 {
        let top = self.per_tick.iter().copied().fold(0.0, f64::max);
        top * 1000.0 * TICKS_PER_MS as f64
    }

    /// Ticks from `t` to the next event (rounded to the nearest tick;
    /// `u64::MAX`: none ever), drawing from `rng`.
    pub fn interval_after(&self, t: u64, rng: &mut impl RngCore) -> u64 {
        // A unit exponential by inversion: u in (0, 1].
        let u = ((rng.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64);
        let mut e = -u.ln();
        let mut k = self.starts.partition_point(|&s| s <= t);
        let mut at = t as f64;
        // Before the first segment the rate is zero.
        if k == 0 {
            at = self.starts[0] as f64;
            k = 1;
        }
        loop {
            let rate = self.per_tick[k - 1];
            let end = self.starts.get(k).map_or(f64::INFINITY, |&s| s as f64);
            if rate > 0.0 {
                let arrival = at + e / rate;
                if arrival < end {
                    let ticks = arrival.round();
                    if ticks >= 1.8e19 {
                        return u64::MAX;
                    }
                    return (ticks as u64).saturating_sub(t);
                }
                e -= rate * (end - at);
            }
            if end.is_infinite() {
                return u64::MAX;
            }
            at = end;
            k += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_xoshiro::rand_core::SeedableRng;
    use rand_xoshiro::Xoroshiro128PlusPlus;

    fn ms(x: f64) -> Time {
        Time::from_ms(x).unwrap()
    }

    #[test]
    fn events_fall_only_where_the_rate_is_positive_and_counts_follow_it() {
        let p = RateProfile::new(&[ms(10.0), ms(20.0), ms(30.0)], &[0.0, 5000.0, 0.0]).unwrap();
        let mut rng = Xoroshiro128PlusPlus::seed_from_u64(3);
        let mut n = 0;
        for _ in 0..2000 {
            let mut t = 0u64;
            loop {
                let d = p.interval_after(t, &mut rng);
                if d == u64::MAX {
                    break;
                }
                t += d;
                assert!((ms(20.0).0..=ms(30.0).0).contains(&t), "{t}");
                n += 1;
            }
        }
        // 2000 processes × 50 expected each: within 5 sd.
        let expected = 2000.0 * 50.0;
        assert!((n as f64 - expected).abs() < 5.0 * expected.sqrt(), "{n}");
    }

    #[test]
    fn bad_profiles_are_refused() {
        assert!(RateProfile::new(&[ms(1.0), ms(1.0)], &[1.0, 2.0]).is_none());
        assert!(RateProfile::new(&[ms(1.0)], &[-1.0]).is_none());
        assert!(RateProfile::new(&[], &[]).is_none());
        assert!(RateProfile::new(&[ms(1.0)], &[1.0, 2.0]).is_none());
    }
}
