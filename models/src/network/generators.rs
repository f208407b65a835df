//! Connectivity rules and per-synapse weight and delay distributions.
//!
//! Every rule draws from streams named by the seed, the projection and a
//! neuron (the target for in-degree rules, the source for out-degree rules),
//! never from a partition: each partition runs the rules and keeps the
//! synapses onto its own neurons, so the network does not depend on the
//! split. Rules that draw per source (`fixed_outdegree`, `watts_strogatz`)
//! are run in full by every partition.
//!
//! Distributed weights are quantised to `levels` values spread over the
//! distribution's range (linearly; geometrically for lognormal), delays to
//! multiples of `delay_step_ms` (NEST rounds delays to its resolution the
//! same way): a projection then has at most `levels × delay values` distinct
//! synapse classes, which keeps synapses at 6–8 bytes.

use rand::Rng;
use rand_distr::{Binomial, Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::collections::HashSet;
use volley_engine::{Gid, Time};

use super::model_file::{Layout, Profile, ValueSpec};
use super::wiring::Wiring;
use crate::rng::{stream, StreamKind, UniformBelow};

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

/// Source gids of a projection: concatenated population ranges.
pub(super) struct Sources {
    ranges: Vec<(u64, u32, u32)>,
    pub n: u64,
}

impl Sources {
    pub fn new(pops: &[(u32, u32)]) -> Self {
        let mut ranges = Vec::new();
        let mut n = 0;
        for &(first, size) in pops {
            ranges.push((n, first, size));
            n += u64::from(size);
        }
        Sources { ranges, n }
    }

    /// The `k`-th source gid.
    #[inline]
    pub fn gid(&self, k: u64) -> u32 {
        if let [(_, first, _)] = self.ranges[..] {
            return first + k as u32;
        }
        let r = self.ranges.iter().rev().find(|r| r.0 <= k).expect("k < n");
        r.1 + (k - r.0) as u32
    }

    /// Whether `g` is a source.
    pub fn contains(&self, g: u32) -> bool {
        self.ranges
            .iter()
            .any(|&(_, first, size)| g >= first && g < first + size)
    }
}

/// Everything a rule needs.
pub(super) struct RuleCtx<'a> {
    pub seed: u64,
    pub projection: u64,
    pub sources: &'a Sources,
    /// Target gids, in order.
    pub targets: &'a [u32],
    pub autapses: bool,
    pub multapses: bool,
}

impl RuleCtx<'_> {
    fn connect_stream(&self, owner: u64) -> Xoshiro256PlusPlus {
        stream(self.seed, StreamKind::Connect, self.projection, owner)
    }

    fn synapse_stream(&self, owner: u64) -> Xoshiro256PlusPlus {
        stream(self.seed, StreamKind::Synapse, self.projection, owner)
    }
}

/// Add `s → t` with a sampled class.
#[inline]
fn add(
    w: &mut Wiring,
    sampler: &mut SynapseSampler,
    rng: &mut Xoshiro256PlusPlus,
    s: u32,
    t: u32,
) -> Result<(), String> {
    let c = sampler.class(rng, w)?;
    w.add_with_class(Gid(s), t, c);
    Ok(())
}

/// Reused buffers of [`draw_sources`]: sources already chosen (no
/// multapses) and the sources drawn for one target.
#[derive(Default)]
pub(super) struct DrawScratch {
    chosen: HashSet<u32>,
    sources: Vec<u32>,
}

/// Draw `k` sources for target `t` from the target's own streams (skipping
/// autapses and multapses as the projection says) and add the synapses.
fn draw_sources(
    c: &RuleCtx,
    t: u32,
    k: u64,
    w: &mut Wiring,
    sampler: &mut SynapseSampler,
    scratch: &mut DrawScratch,
) -> Result<(), String> {
    let available = if !c.autapses && c.sources.contains(t) {
        c.sources.n - 1
    } else {
        c.sources.n
    };
    if (!c.multapses && k > available) || (available == 0 && k > 0) {
        return Err(format!(
            "{k} exceeds the {available} sources available to neuron {t} without autapses and multapses"
        ));
    }
    let mut rng = c.connect_stream(u64::from(t));
    let mut syn = c.synapse_stream(u64::from(t));
    scratch.chosen.clear();
    if k == 0 {
        return Ok(());
    }
    let below = UniformBelow::new(c.sources.n)
        .ok_or_else(|| format!("{} sources: too many to draw from", c.sources.n))?;
    let chosen = &mut scratch.chosen;
    // Whether source `s` may be added (no autapse, no repeat if excluded).
    let mut allowed = |s: u32| !((!c.autapses && s == t) || (!c.multapses && !chosen.insert(s)));
    if let Some(class) = sampler.constant_class(w)? {
        // One class for all: draw the sources, add them in one call.
        let sources = &mut scratch.sources;
        sources.clear();
        below.for_each(&mut rng, |v| {
            let s = c.sources.gid(v);
            if allowed(s) {
                sources.push(s);
            }
            (sources.len() as u64) < k
        });
        w.add_sources(sources, t, class);
        return Ok(());
    }
    let mut made = 0;
    let mut failed = Ok(());
    below.for_each(&mut rng, |v| {
        let s = c.sources.gid(v);
        if allowed(s) {
            if let Err(e) = add(w, sampler, &mut syn, s, t) {
                failed = Err(e);
                return false;
            }
            made += 1;
        }
        made < k
    });
    failed
}

/// `fixed_indegree`: every target draws `k` sources.
pub(super) fn fixed_indegree(
    c: &RuleCtx,
    k: u32,
    w: &mut Wiring,
    sampler: &mut SynapseSampler,
) -> Result<(), String> {
    let mut scratch = DrawScratch::default();
    for &t in c.targets {
        if w.owns(t) {
            draw_sources(c, t, u64::from(k), w, sampler, &mut scratch)?;
        }
    }
    Ok(())
}

/// `fixed_outdegree`: every source draws `k` targets.
pub(super) fn fixed_outdegree(
    c: &RuleCtx,
    k: u32,
    w: &mut Wiring,
    sampler: &mut SynapseSampler,
) -> Result<(), String> {
    let n_t = c.targets.len() as u64;
    let target_set: HashSet<u32> = if c.autapses {
        HashSet::new()
    } else {
        c.targets.iter().copied().collect()
    };
    let mut chosen = HashSet::new();
    for ks in 0..c.sources.n {
        let s = c.sources.gid(ks);
        let available = if !c.autapses && target_set.contains(&s) {
            n_t - 1
        } else {
            n_t
        };
        if (!c.multapses && u64::from(k) > available) || (available == 0 && k > 0) {
            return Err(format!(
                "{k} exceeds the {available} targets available to neuron {s}"
            ));
        }
        let mut rng = c.connect_stream(u64::from(s));
        let mut syn = c.synapse_stream(u64::from(s));
        chosen.clear();
        let mut made = 0;
        while made < k {
            let t = c.targets[rng.gen_range(0..n_t) as usize];
            if (!c.autapses && s == t) || (!c.multapses && !chosen.insert(t)) {
                continue;
            }
            // Draw the class even for targets of other partitions, so every
            // partition consumes the stream alike.
            let class = sampler.class(&mut syn, w)?;
            w.add_with_class(Gid(s), t, class);
            made += 1;
        }
    }
    Ok(())
}

/// `pairwise_bernoulli`: each (source, target) pair independently with
/// probability `p` (no multapses), skipping ahead geometrically.
pub(super) fn pairwise_bernoulli(
    c: &RuleCtx,
    p: f64,
    w: &mut Wiring,
    sampler: &mut SynapseSampler,
) -> Result<(), String> {
    if p <= 0.0 {
        return Ok(());
    }
    let log_q = (1.0 - p).ln();
    for &t in c.targets {
        if !w.owns(t) {
            continue;
        }
        let mut rng = c.connect_stream(u64::from(t));
        let mut syn = c.synapse_stream(u64::from(t));
        let mut k: u64 = 0;
        loop {
            if p < 1.0 {
                let u: f64 = rng.gen::<f64>();
                let skip = ((1.0 - u).ln() / log_q).floor();
                // (NaN-safe: a NaN skip also ends the row.)
                if skip.is_nan() || skip >= (c.sources.n - k) as f64 {
                    break;
                }
                k += skip as u64;
            }
            if k >= c.sources.n {
                break;
            }
            let s = c.sources.gid(k);
            if c.autapses || s != t {
                add(w, sampler, &mut syn, s, t)?;
            }
            k += 1;
        }
    }
    Ok(())
}

/// `fixed_total_number`: `n` synapses between uniformly drawn pairs. The
/// count per target comes from a multinomial split done identically by every
/// partition (one shared stream), then each target draws its sources.
pub(super) fn fixed_total_number(
    c: &RuleCtx,
    n: u64,
    w: &mut Wiring,
    sampler: &mut SynapseSampler,
) -> Result<(), String> {
    let n_t = c.targets.len();
    if !c.multapses && n > c.sources.n * n_t as u64 {
        return Err(format!(
            "{n} synapses exceed the {} possible pairs without multapses",
            c.sources.n * n_t as u64
        ));
    }
    let mut split = c.connect_stream(u64::MAX);
    let mut left = n;
    let mut scratch = DrawScratch::default();
    for (j, &t) in c.targets.iter().enumerate() {
        let rest = (n_t - j) as f64;
        let k = if j + 1 == n_t {
            left
        } else if left == 0 {
            0
        } else {
            Binomial::new(left, 1.0 / rest)
                .map_err(|e| e.to_string())?
                .sample(&mut split)
        };
        left -= k;
        if w.owns(t) && k > 0 {
            draw_sources(c, t, k, w, sampler, &mut scratch)?;
        }
    }
    Ok(())
}

/// `watts_strogatz` (directed): on a ring of the population's neurons, each
/// neuron projects to its `k` nearest neighbours (`k/2` on each side); each
/// of these edges is rewired with probability `p` to a uniformly drawn target
/// (no autapse, no duplicate).
pub(super) fn watts_strogatz(
    c: &RuleCtx,
    k: u32,
    p: f64,
    w: &mut Wiring,
    sampler: &mut SynapseSampler,
) -> Result<(), String> {
    let n = c.targets.len() as u64;
    if c.sources.n != n || (0..n).any(|i| c.sources.gid(i) != c.targets[i as usize]) {
        return Err("watts_strogatz needs the same population(s) as source and target".into());
    }
    if k % 2 != 0 || u64::from(k) >= n {
        return Err(format!(
            "`k` must be even and below the {n} neurons, got {k}"
        ));
    }
    let half = u64::from(k / 2);
    let mut out = HashSet::new();
    let mut edges = Vec::with_capacity(k as usize);
    for i in 0..n {
        let s = c.targets[i as usize];
        let mut rng = c.connect_stream(u64::from(s));
        let mut syn = c.synapse_stream(u64::from(s));
        edges.clear();
        for j in 1..=half {
            edges.push((i + j) % n);
            edges.push((i + n - j) % n);
        }
        out.clear();
        out.extend(edges.iter().copied());
        for e in edges.iter_mut() {
            if rng.gen::<f64>() < p {
                // Rewire to a node that is neither the source nor a target yet.
                loop {
                    let cand = rng.gen_range(0..n);
                    if cand != i && !out.contains(&cand) {
                        out.remove(e);
                        out.insert(cand);
                        *e = cand;
                        break;
                    }
                }
            }
        }
        for &e in &edges {
            let class = sampler.class(&mut syn, w)?;
            w.add_with_class(Gid(s), c.targets[e as usize], class);
        }
    }
    Ok(())
}

/// Parameters of the `spatial` rule.
#[derive(Clone, Copy, Debug)]
pub struct Spatial {
    pub layout: Layout,
    pub extent: f64,
    pub periodic: bool,
    pub profile: Profile,
    pub p0: f64,
    pub sigma: f64,
}

impl Spatial {
    fn cutoff(&self) -> f64 {
        match self.profile {
            Profile::Gaussian => 4.0 * self.sigma,
            Profile::Exponential => 8.0 * self.sigma,
        }
    }

    /// Connection probability at distance `d`.
    pub fn probability(&self, d: f64) -> f64 {
        if d > self.cutoff() {
            return 0.0;
        }
        match self.profile {
            Profile::Gaussian => self.p0 * (-d * d / (2.0 * self.sigma * self.sigma)).exp(),
            Profile::Exponential => self.p0 * (-d / self.sigma).exp(),
        }
    }

    /// Distance between two points (on a torus when periodic).
    pub fn distance(&self, a: (f64, f64), b: (f64, f64)) -> f64 {
        let mut dx = (a.0 - b.0).abs();
        let mut dy = (a.1 - b.1).abs();
        if self.periodic {
            dx = dx.min(self.extent - dx);
            dy = dy.min(self.extent - dy);
        }
        (dx * dx + dy * dy).sqrt()
    }
}

/// Position of neuron `gid`, the `k`-th of a population of `n`.
pub fn position(layout: Layout, extent: f64, seed: u64, gid: u32, k: u32, n: u32) -> (f64, f64) {
    match layout {
        Layout::Grid => {
            let side = (f64::from(n).sqrt().ceil() as u32).max(1);
            let step = extent / f64::from(side);
            (f64::from(k % side) * step, f64::from(k / side) * step)
        }
        Layout::Random => {
            let mut r = stream(seed, StreamKind::Init, u64::MAX, u64::from(gid));
            (r.gen::<f64>() * extent, r.gen::<f64>() * extent)
        }
    }
}

/// `spatial`: each (source, target) pair with a probability that falls with
/// their distance. Sources are binned in cells as wide as the cutoff, so a
/// target only looks at the 3×3 cells around it.
pub(super) fn spatial(
    c: &RuleCtx,
    sp: &Spatial,
    source_pops: &[(u32, u32)],
    target_pops: &[(u32, u32)],
    w: &mut Wiring,
    sampler: &mut SynapseSampler,
) -> Result<(), String> {
    let cut = sp.cutoff();
    let cells = ((sp.extent / cut).floor() as usize).clamp(1, 4096);
    let cell_of = |p: (f64, f64)| -> (usize, usize) {
        let f = |x: f64| ((x / sp.extent * cells as f64) as usize).min(cells - 1);
        (f(p.0), f(p.1))
    };
    let mut grid: Vec<Vec<(u32, (f64, f64))>> = vec![Vec::new(); cells * cells];
    for &(first, size) in source_pops {
        for k in 0..size {
            let g = first + k;
            let p = position(sp.layout, sp.extent, c.seed, g, k, size);
            let (cx, cy) = cell_of(p);
            grid[cy * cells + cx].push((g, p));
        }
    }
    let reach = if cells < 3 { 0 } else { 1 };
    let mut near: Vec<(u32, (f64, f64))> = Vec::new();
    for &(first, size) in target_pops {
        for k in 0..size {
            let t = first + k;
            if !w.owns(t) {
                continue;
            }
            let pt = position(sp.layout, sp.extent, c.seed, t, k, size);
            near.clear();
            if reach == 0 {
                for cell in &grid {
                    near.extend_from_slice(cell);
                }
            } else {
                let (cx, cy) = cell_of(pt);
                for dy in -reach..=reach {
                    for dx in -reach..=reach {
                        let (x, y) = (cx as i64 + dx, cy as i64 + dy);
                        let wrap = |v: i64| -> Option<usize> {
                            if sp.periodic {
                                Some(v.rem_euclid(cells as i64) as usize)
                            } else if v < 0 || v >= cells as i64 {
                                None
                            } else {
                                Some(v as usize)
                            }
                        };
                        if let (Some(x), Some(y)) = (wrap(x), wrap(y)) {
                            near.extend_from_slice(&grid[y * cells + x]);
                        }
                    }
                }
                // Source order must not depend on the cell walk.
                near.sort_unstable_by_key(|e| e.0);
                near.dedup_by_key(|e| e.0);
            }
            let mut rng = c.connect_stream(u64::from(t));
            let mut syn = c.synapse_stream(u64::from(t));
            for &(s, ps) in &near {
                if !c.autapses && s == t {
                    continue;
                }
                let p = sp.probability(sp.distance(ps, pt));
                if p > 0.0 && rng.gen::<f64>() < p {
                    add(w, sampler, &mut syn, s, t)?;
                }
            }
        }
    }
    Ok(())
}
