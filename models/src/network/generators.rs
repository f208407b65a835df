//! Connectivity rules and per-synapse weight and delay distributions.
//!
//! Every rule draws from streams named by the seed, the projection and a
//! neuron (the target for in-degree rules, the source for out-degree rules),
//! never from a partition: each partition runs the rules and keeps the
//! synapses onto its own neurons, so the network does not depend on the
//! split. Rules that draw per source (`fixed_outdegree`, `watts_strogatz`)
//! are run in full by every partition.
//!
//! The synapses' weights and delays come from a `SynapseSampler`
//! (`values.rs`); the `spatial` rule is in `spatial.rs`.

use rand::Rng;
use rand_distr::{Binomial, Distribution};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::collections::HashSet;
use volley_engine::Gid;

use super::selection::Selected;
use super::values::SynapseSampler;
use super::wiring::Wiring;
use crate::rng::{stream, StreamKind, UniformBelow};

/// Source gids of a projection: its selections, concatenated.
pub(super) struct Sources {
    /// Per selection: the number of sources before it, its first gid, its
    /// step and its count.
    ranges: Vec<(u64, i64, i64, u32)>,
    pub n: u64,
}

impl Sources {
    pub fn new(selected: &[Selected]) -> Self {
        let mut ranges = Vec::new();
        let mut n = 0;
        for s in selected {
            ranges.push((n, i64::from(s.gid(0)), s.step, s.count));
            n += u64::from(s.count);
        }
        Sources { ranges, n }
    }

    /// The `k`-th source gid.
    #[inline]
    pub fn gid(&self, k: u64) -> u32 {
        if let [(_, first, 1, _)] = self.ranges[..] {
            return first as u32 + k as u32;
        }
        let r = self.ranges.iter().rev().find(|r| r.0 <= k).expect("k < n");
        (r.1 + r.2 * (k - r.0) as i64) as u32
    }

    /// Whether `g` is a source.
    pub fn contains(&self, g: u32) -> bool {
        self.ranges.iter().any(|&(_, first, step, count)| {
            let d = i64::from(g) - first;
            d % step == 0 && (0..i64::from(count)).contains(&(d / step))
        })
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
    pub(super) fn connect_stream(&self, owner: u64) -> Xoshiro256PlusPlus {
        stream(self.seed, StreamKind::Connect, self.projection, owner)
    }

    pub(super) fn synapse_stream(&self, owner: u64) -> Xoshiro256PlusPlus {
        stream(self.seed, StreamKind::Synapse, self.projection, owner)
    }
}

/// Add `s → t` with a sampled class.
#[inline]
pub(super) fn add(
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
