//! Integer simulation time.
//!
//! The scheduler never compares floats: every instant is an integer number of
//! ticks, 1 tick = 1/1024 µs (≈ 0.98 ns). That grid is exact for µs camera
//! timestamps, for 0.1 ms and 0.125 ms grids and for binary fractions of a ms
//! down to 2^-10 ms, so delays and input times written in those units meet
//! exactly and coincident events really coincide. A `u64` of ticks spans
//! 570 years. Analytic spike times are rounded to the nearest tick once.
//! Times read from users are at most [`Time::LIMIT`] (35 years), so the sum
//! of a few of them (an input time plus a delay plus a window) cannot wrap.
//! All conversions to and from ms / µs live here.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// Ticks per microsecond.
pub const TICKS_PER_US: u64 = 1024;
/// Ticks per millisecond.
pub const TICKS_PER_MS: u64 = 1000 * TICKS_PER_US;
const TICKS_PER_MS_F: f64 = TICKS_PER_MS as f64;

/// An instant or a duration, in ticks of 1/1024 µs.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
pub struct Time(pub u64);

impl Time {
    /// The start of every simulation.
    pub const ZERO: Time = Time(0);
    /// Later than any event; used as "never".
    pub const NEVER: Time = Time(u64::MAX);
    /// The latest instant (and longest duration) a user may give: 2^60
    /// ticks, ≈ 1.126e12 ms. Sums of up to 15 such times stay below
    /// [`Time::NEVER`].
    pub const LIMIT: Time = Time(1 << 60);

    /// The number of ticks.
    #[inline]
    pub const fn ticks(self) -> u64 {
        self.0
    }

    /// From whole microseconds (exact); `None` beyond [`Time::LIMIT`].
    pub fn from_us(us: u64) -> Option<Time> {
        us.checked_mul(TICKS_PER_US)
            .map(Time)
            .filter(|t| *t <= Time::LIMIT)
    }

    /// From milliseconds, rounded to the nearest tick. `None` for negative,
    /// non-finite or values beyond [`Time::LIMIT`] (user data must never
    /// panic, and times from it must not wrap when added).
    pub fn from_ms(ms: f64) -> Option<Time> {
        let ticks = (ms * TICKS_PER_MS_F).round();
        if !(0.0..=Time::LIMIT.0 as f64).contains(&ticks) {
            return None;
        }
        Some(Time(ticks as u64))
    }

    /// From a non-negative duration in ms known to be in range (analytic
    /// results); saturates instead of failing.
    #[inline]
    pub fn from_ms_saturating(ms: f64) -> Time {
        let ticks = (ms * TICKS_PER_MS_F).round();
        if ticks >= 1.8e19 {
            Time::NEVER
        } else if ticks > 0.0 {
            Time(ticks as u64)
        } else {
            Time::ZERO
        }
    }

    /// In milliseconds: the correctly rounded f64 of ticks / 1 024 000.
    #[inline]
    pub fn as_ms(self) -> f64 {
        self.0 as f64 / TICKS_PER_MS_F
    }

    /// Milliseconds from `earlier` to `self` (`self >= earlier`).
    #[inline]
    pub fn ms_since(self, earlier: Time) -> f64 {
        (self.0 - earlier.0) as f64 / TICKS_PER_MS_F
    }

    /// `self + d`, saturating at [`Time::NEVER`].
    #[inline]
    pub fn saturating_add(self, d: Time) -> Time {
        Time(self.0.saturating_add(d.0))
    }
}

impl Add for Time {
    type Output = Time;
    #[inline]
    fn add(self, rhs: Time) -> Time {
        Time(self.0 + rhs.0)
    }
}

impl AddAssign for Time {
    #[inline]
    fn add_assign(&mut self, rhs: Time) {
        self.0 += rhs.0;
    }
}

impl Sub for Time {
    type Output = Time;
    #[inline]
    fn sub(self, rhs: Time) -> Time {
        Time(self.0 - rhs.0)
    }
}

impl fmt::Debug for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.as_ms())
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ms", self.as_ms())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dyadic_and_decimal_grids_are_exact() {
        for ms in [0.1, 0.125, 1.5, 0.0009765625, 49.822265625, 1000.0] {
            let t = Time::from_ms(ms).unwrap();
            assert_eq!(t.as_ms(), ms);
        }
        assert_eq!(Time::from_us(1).unwrap().ticks(), 1024);
    }

    #[test]
    fn bad_values_are_rejected() {
        assert!(Time::from_ms(-1.0).is_none());
        assert!(Time::from_ms(f64::NAN).is_none());
        assert!(Time::from_ms(f64::INFINITY).is_none());
        assert!(Time::from_ms(1e300).is_none());
        assert!(Time::from_ms(1.2e12).is_none());
        assert_eq!(Time::from_ms(1.1e12).unwrap().as_ms(), 1.1e12);
    }
}
