//! A sampled quantity ([`Value`]: a constant or a distribution) and the
//! synapse classes a projection draws from it (`SynapseSampler`).
//!
//! Distributed weights are quantised to `levels` values spread over the
//! distribution's range (linearly; geometrically for lognormal), delays to
//! multiples of `delay_step_ms` (NEST rounds delays to its resolution the
//! same way): a projection then has at most `levels × delay values` distinct
//! synapse classes, which keeps synapses at 6–8 bytes.

use rand::Rng;
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;
use volley_engine::Time;

use super::model_file::ValueSpec;
use super::wiring::Wiring;
/// A sampled quantity: constant, or a distribution.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// Always this.
    Const(f64),
    /// Normal, redrawn until inside `[min, max]`.
    Normal {
        mean: f64,
        std: f64,
        min: f64,
        max: f64,
    },
    /// Uniform on `[low, high)`.
    Uniform { low: f64, high: f64 },
    /// `exp(N(mu, sigma))`, redrawn until inside `[min, max]`.
    Lognormal {
        mu: f64,
        sigma: f64,
        min: f64,
        max: f64,
    },
}

impl Value {
    /// From the model file; the error names the problem.
    pub fn parse(v: &ValueSpec) -> Result<Value, String> {
        let d = match v {
            ValueSpec::Const(x) => {
                return if x.is_finite() {
                    Ok(Value::Const(*x))
                } else {
                    Err(format!("must be finite, got {x}"))
                };
            }
            ValueSpec::Dist(d) => d,
        };
        let need = |k: &str, x: Option<f64>| -> Result<f64, String> {
            let x = x.ok_or_else(|| format!("distribution `{}` needs `{k}`", d.dist))?;
            if x.is_finite() {
                Ok(x)
            } else {
                Err(format!("`{k}` must be finite, got {x}"))
            }
        };
        let unused = |names: &[(&str, bool)]| -> Result<(), String> {
            match names.iter().find(|(_, present)| *present) {
                Some((k, _)) => Err(format!(
                    "`{k}` is not a parameter of distribution `{}`",
                    d.dist
                )),
                None => Ok(()),
            }
        };
        let (min, max) = (
            d.min.unwrap_or(f64::NEG_INFINITY),
            d.max.unwrap_or(f64::INFINITY),
        );
        if min >= max {
            return Err(format!("`min` ({min}) must be below `max` ({max})"));
        }
        let v = match d.dist.as_str() {
            "normal" => {
                unused(&[
                    ("low", d.low.is_some()),
                    ("high", d.high.is_some()),
                    ("mu", d.mu.is_some()),
                    ("sigma", d.sigma.is_some()),
                ])?;
                let (mean, std) = (need("mean", d.mean)?, need("std", d.std)?);
                if std < 0.0 {
                    return Err(format!("`std` must be >= 0, got {std}"));
                }
                if mean + 6.0 * std < min || mean - 6.0 * std > max {
                    return Err("`min`..`max` lies more than 6 std from the mean".into());
                }
                Value::Normal {
                    mean,
                    std,
                    min,
                    max,
                }
            }
            "uniform" => {
                unused(&[
                    ("mean", d.mean.is_some()),
                    ("std", d.std.is_some()),
                    ("mu", d.mu.is_some()),
                    ("sigma", d.sigma.is_some()),
                    ("min", d.min.is_some()),
                    ("max", d.max.is_some()),
                ])?;
                let (low, high) = (need("low", d.low)?, need("high", d.high)?);
                if low >= high {
                    return Err(format!("`low` ({low}) must be below `high` ({high})"));
                }
                Value::Uniform { low, high }
            }
            "lognormal" => {
                unused(&[
                    ("mean", d.mean.is_some()),
                    ("std", d.std.is_some()),
                    ("low", d.low.is_some()),
                    ("high", d.high.is_some()),
                ])?;
                let (mu, sigma) = (need("mu", d.mu)?, need("sigma", d.sigma)?);
                if sigma < 0.0 {
                    return Err(format!("`sigma` must be >= 0, got {sigma}"));
                }
                Value::Lognormal {
                    mu,
                    sigma,
                    min: min.max(0.0),
                    max,
                }
            }
            other => {
                return Err(format!(
                    "unknown distribution `{other}` (known: normal, uniform, lognormal)"
                ))
            }
        };
        v.check_draws()?;
        Ok(v)
    }

    /// Draws must be finite numbers, and a truncated distribution must keep
    /// enough of its mass for redrawing to end soon.
    fn check_draws(&self) -> Result<(), String> {
        let (lo, hi) = self.range();
        if !(lo.is_finite() && hi.is_finite() && (hi - lo).is_finite()) {
            return Err(format!(
                "draws would not be finite numbers (they span {lo:e} .. {hi:e}); \
                 narrow the distribution or give finite `min` and `max`"
            ));
        }
        let kept = match *self {
            Value::Const(_) | Value::Uniform { .. } => 1.0,
            Value::Normal {
                mean,
                std,
                min,
                max,
            } => normal_mass(mean, std, min, max),
            Value::Lognormal {
                mu,
                sigma,
                min,
                max,
            } => normal_mass(mu, sigma, min.ln(), max.ln()),
        };
        if kept < MIN_KEPT_MASS {
            return Err(format!(
                "`min`..`max` keeps only {kept:.1e} of the distribution (at least \
                 {MIN_KEPT_MASS:e} needed: each value is redrawn until it falls inside)"
            ));
        }
        Ok(())
    }

    /// One draw.
    pub fn draw(&self, rng: &mut Xoshiro256PlusPlus) -> f64 {
        match *self {
            Value::Const(x) => x,
            Value::Normal {
                mean,
                std,
                min,
                max,
            } => loop {
                let z: f64 = rng.sample(StandardNormal);
                let x = mean + std * z;
                if x >= min && x <= max {
                    return x;
                }
            },
            Value::Uniform { low, high } => rng.gen_range(low..high),
            Value::Lognormal {
                mu,
                sigma,
                min,
                max,
            } => loop {
                let z: f64 = rng.sample(StandardNormal);
                let x = (mu + sigma * z).exp();
                if x >= min && x <= max {
                    return x;
                }
            },
        }
    }

    /// The range draws fall in (6 std for normals).
    fn range(&self) -> (f64, f64) {
        match *self {
            Value::Const(x) => (x, x),
            Value::Normal {
                mean,
                std,
                min,
                max,
            } => ((mean - 6.0 * std).max(min), (mean + 6.0 * std).min(max)),
            Value::Uniform { low, high } => (low, high),
            Value::Lognormal {
                mu,
                sigma,
                min,
                max,
            } => (
                ((mu - 6.0 * sigma).exp()).max(min),
                ((mu + 6.0 * sigma).exp()).min(max),
            ),
        }
    }

    /// Mean of a constant (`None` for distributions).
    pub fn constant(&self) -> Option<f64> {
        match self {
            Value::Const(x) => Some(*x),
            _ => None,
        }
    }
}

/// The most (weight level, delay level) classes one projection may draw
/// from.
const MAX_CLASSES: u64 = 1 << 20;

/// The least probability a truncated distribution may keep: below it a draw
/// would take more than ~10^4 tries.
const MIN_KEPT_MASS: f64 = 1e-4;

/// The probability that a normal draw of `mean` and `std` falls in
/// `[lo, hi]`, to ~1e-7 relative (Numerical Recipes' `erfcc`), from the tail
/// nearer each bound so small masses are not lost to cancellation.
fn normal_mass(mean: f64, std: f64, lo: f64, hi: f64) -> f64 {
    if std == 0.0 {
        return if lo <= mean && mean <= hi { 1.0 } else { 0.0 };
    }
    let (a, b) = ((lo - mean) / std, (hi - mean) / std);
    // Upper-tail probability Q(x) = P(z > x).
    let q = |x: f64| 0.5 * erfc(x / std::f64::consts::SQRT_2);
    if a > 0.0 {
        q(a) - q(b)
    } else if b < 0.0 {
        q(-b) - q(-a)
    } else {
        1.0 - q(-a) - q(b)
    }
}

/// The complementary error function, fractional error < 1.2e-7.
fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// Draws synapse classes for one projection: quantised weight and delay,
/// interned lazily in the partition's class table.
pub(super) struct SynapseSampler {
    weight: Value,
    delay: Value,
    /// Weight grid: `lo + k·step` (or `lo·ratio^k` for lognormal), k < levels.
    w_lo: f64,
    w_step: f64,
    geometric: bool,
    levels: u32,
    /// Delay grid in ticks: `d_lo + k·d_step`.
    d_lo: u64,
    d_step: u64,
    d_levels: u32,
    /// Interned class per (weight level, delay level), `u32::MAX` = not yet.
    classes: Vec<u32>,
    /// Smallest and largest delay used.
    pub used: (Time, Time),
}

impl SynapseSampler {
    pub fn new(
        weight: Value,
        delay: Value,
        levels: u32,
        delay_step_ms: f64,
    ) -> Result<Self, String> {
        let levels = if weight.constant().is_some() {
            1
        } else {
            levels.max(2)
        };
        let (wl, wh) = weight.range();
        let geometric = matches!(weight, Value::Lognormal { .. }) && wl > 0.0;
        let w_step = if levels == 1 {
            0.0
        } else if geometric {
            (wh / wl).ln() / f64::from(levels - 1)
        } else {
            (wh - wl) / f64::from(levels - 1)
        };
        let step = Time::from_ms(delay_step_ms)
            .filter(|t| t.0 > 0)
            .ok_or("`delay_step_ms` must be > 0")?
            .0;
        let (dl, dh) = delay.range();
        if delay.constant().is_none() {
            if dl <= 0.0 {
                let bound = match delay {
                    Value::Uniform { .. } => "`low` > 0",
                    _ => "`min` > 0",
                };
                return Err(format!("delays must be > 0 ms: give {bound}"));
            }
            if Time::from_ms(dh).is_none() {
                return Err(format!(
                    "delays reach {dh:e} ms, beyond the longest time Volley represents \
                     ({:e} ms): give `max`",
                    Time::LIMIT.as_ms()
                ));
            }
        }
        let (d_lo, d_step, d_levels) = match delay.constant() {
            Some(d) => {
                let t = Time::from_ms(d)
                    .filter(|t| t.0 > 0 && d > 0.0)
                    .ok_or(format!("must be > 0 ms, got {d}"))?;
                (t.0, 1, 1)
            }
            None => {
                let lo = ((dl.max(0.0) * volley_engine::TICKS_PER_MS as f64 / step as f64).round()
                    as u64)
                    .max(1);
                let hi = ((dh * volley_engine::TICKS_PER_MS as f64 / step as f64).round() as u64)
                    .max(lo);
                let n = hi - lo + 1;
                if n > 1 << 20 {
                    return Err("delay range too wide for `delay_step_ms`".into());
                }
                (lo * step, step, n as u32)
            }
        };
        let n = u64::from(levels) * u64::from(d_levels);
        // The class table below takes 4 bytes per class in every partition.
        if n > MAX_CLASSES {
            return Err(format!(
                "{levels} weight levels × {d_levels} delays = {n} synapse classes \
                 (at most {MAX_CLASSES}: lower `levels` or raise `delay_step_ms`)"
            ));
        }
        Ok(SynapseSampler {
            weight,
            delay,
            w_lo: wl,
            w_step,
            geometric,
            levels,
            d_lo,
            d_step,
            d_levels,
            classes: vec![u32::MAX; n as usize],
            used: (Time::NEVER, Time::ZERO),
        })
    }

    fn weight_level(&self, w: f64) -> u32 {
        if self.levels == 1 {
            return 0;
        }
        let x = if self.geometric {
            (w / self.w_lo).ln() / self.w_step
        } else {
            (w - self.w_lo) / self.w_step
        };
        (x.round().max(0.0) as u32).min(self.levels - 1)
    }

    fn weight_at(&self, k: u32) -> f64 {
        match self.weight.constant() {
            Some(w) => w,
            None if self.geometric => self.w_lo * (self.w_step * f64::from(k)).exp(),
            None => self.w_lo + self.w_step * f64::from(k),
        }
    }

    fn delay_level(&self, d_ms: f64) -> u32 {
        if self.d_levels == 1 {
            return 0;
        }
        let ticks = d_ms * volley_engine::TICKS_PER_MS as f64;
        let k = ((ticks - self.d_lo as f64) / self.d_step as f64).round();
        (k.max(0.0) as u32).min(self.d_levels - 1)
    }

    /// The class of every synapse when neither weight nor delay is drawn
    /// (interned on first use), else `None`.
    pub fn constant_class(&mut self, w: &mut Wiring) -> Result<Option<u32>, String> {
        if self.levels != 1 || self.d_levels != 1 {
            return Ok(None);
        }
        self.class_at(0, 0, w).map(Some)
    }

    /// Draw (if needed) and intern one synapse class.
    pub fn class(&mut self, rng: &mut Xoshiro256PlusPlus, w: &mut Wiring) -> Result<u32, String> {
        let kw = if self.levels == 1 {
            0
        } else {
            self.weight_level(self.weight.draw(rng))
        };
        let kd = if self.d_levels == 1 {
            0
        } else {
            self.delay_level(self.delay.draw(rng))
        };
        self.class_at(kw, kd, w)
    }

    /// Intern (once) the class of weight level `kw` and delay level `kd`.
    fn class_at(&mut self, kw: u32, kd: u32, w: &mut Wiring) -> Result<u32, String> {
        let slot = (kw * self.d_levels + kd) as usize;
        if self.classes[slot] == u32::MAX {
            let delay = Time(self.d_lo + u64::from(kd) * self.d_step);
            self.used = (self.used.0.min(delay), self.used.1.max(delay));
            self.classes[slot] = w
                .class(self.weight_at(kw), delay)
                .map_err(|e| e.to_string())?;
        }
        Ok(self.classes[slot])
    }
}
