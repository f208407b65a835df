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
        Ok(match d.dist.as_str() {
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
        })
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
        if delay.constant().is_none() && dl <= 0.0 && matches!(delay, Value::Uniform { .. }) {
            return Err("delays must be > 0: give `low` > 0".into());
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
        if n > 1 << 26 {
            return Err(format!(
                "{levels} weight levels × {d_levels} delays is too many synapse classes"
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
