//! The `spatial` rule: neurons placed in a square, pairs connected with a
//! probability that falls with their distance.

use rand::Rng;

use super::generators::{add, RuleCtx};
use super::model_file::{Layout, Profile};
use super::selection::Selected;
use super::values::SynapseSampler;
use super::wiring::Wiring;
use crate::rng::{stream, StreamKind};

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
    sources: &[Selected],
    targets: &[Selected],
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
    for s in sources {
        for j in 0..s.count {
            let (g, k) = (s.gid(j), s.index(j));
            let p = position(sp.layout, sp.extent, c.seed, g, k, s.pop.size);
            let (cx, cy) = cell_of(p);
            grid[cy * cells + cx].push((g, p));
        }
    }
    let reach = if cells < 3 { 0 } else { 1 };
    let mut near: Vec<(u32, (f64, f64))> = Vec::new();
    for s in targets {
        for j in 0..s.count {
            let (t, k) = (s.gid(j), s.index(j));
            if !w.owns(t) {
                continue;
            }
            let pt = position(sp.layout, sp.extent, c.seed, t, k, s.pop.size);
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
