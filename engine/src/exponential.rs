//! Exponential intervals in ticks: Marsaglia & Tsang's ziggurat (256
//! layers, the layout of `rand_distr::Exp1`) with its layer edges scaled to
//! one mean interval, so a draw is in ticks without a multiplication.
//!
//! Why our own: the Poisson drive draws one interval per external event
//! (a third of a Brunel run's inputs), and `Exp1` followed by a scaling and a
//! rounding cost ~10 % of the run (measured by swapping in a trivial draw).
//! Here the common case (98.9 % of draws) is one 64-bit draw, one
//! multiplication, one comparison and an add-and-subtract rounding; the rest
//! (wedges, tail, huge means, a zero rate) sits in a cold function. Still an
//! exact sampler: the wedge test uses the true density, the tail the
//! memoryless `r - ln(u)`.

use rand_xoshiro::rand_core::RngCore;

/// Layers of the ziggurat (the low 8 bits of a draw pick one).
const LAYERS: usize = 256;
/// Where the tail starts, for 256 layers of the unit exponential.
const R: f64 = 7.697_117_470_131_05;
/// Each layer's area.
const V: f64 = 0.003_949_659_822_581_557;
/// Adding 2^52 to a non-negative `x < 2^52` leaves `x` rounded to the
/// nearest integer (ties to even) in the low mantissa bits.
const TWO_52: f64 = 4_503_599_627_370_496.0;

/// Draws exponential intervals of one mean, rounded to whole ticks.
pub struct ExpTicks {
    /// Layer edges `x_i` times the mean (ticks); `x[0]` is the base layer's
    /// virtual width `V / f(R)`, `x[256] = 0`.
    x: [f64; LAYERS + 1],
    /// The density `exp(-x_i)` at each unscaled edge.
    f: [f64; LAYERS + 1],
    /// What the common draw reads of layer `i`, side by side: `x[i]·2^-53`
    /// (a draw's top 53 bits times it is `unit·x[i]`, bit for bit: scaling
    /// by a power of two is exact) and the bound under which it is taken,
    /// `x[i + 1]` — or -1 when the common path must not take it (huge
    /// means, a zero rate): one load and one multiplication fewer than from `x`.
    layers: [(f64, f64); LAYERS],
    /// The mean interval (ticks).
    mean: f64,
}

impl std::fmt::Debug for ExpTicks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ExpTicks {{ mean: {} }}", self.mean)
    }
}

impl ExpTicks {
    /// Intervals of mean `mean_ticks`; a mean that is not a positive finite
    /// number (a zero rate) draws "never" (`u64::MAX`).
    pub fn new(mean_ticks: f64) -> Self {
        let finite = mean_ticks.is_finite() && mean_ticks > 0.0;
        let scale = if finite { mean_ticks } else { 1.0 };
        let mut x = [0.0; LAYERS + 1];
        x[0] = V * R.exp();
        x[1] = R;
        for i in 1..LAYERS {
            x[i + 1] = -((-x[i]).exp() + V / x[i]).ln();
        }
        // The recurrence ends within rounding of 0: the top layer's edge.
        x[LAYERS] = 0.0;
        let f = x.map(|x| (-x).exp());
        let x = x.map(|x| x * scale);
        let unit = 1.0 / (1u64 << 53) as f64;
        // The common path: every draw it takes (below `x[0]`) is under 2^52
        // ticks, so the add-and-subtract rounding holds, and the products
        // stay normal numbers (else not bit for bit).
        let fast = finite && x[0] < TWO_52 && x[LAYERS - 1] * unit >= f64::MIN_POSITIVE;
        let layers = std::array::from_fn(|i| (x[i] * unit, if fast { x[i + 1] } else { -1.0 }));
        ExpTicks {
            x,
            f,
            layers,
            mean: if finite { mean_ticks } else { f64::INFINITY },
        }
    }

    /// The mean interval (ticks; infinite for a zero rate).
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// One interval, rounded to the nearest tick (`u64::MAX`: never).
    #[inline(always)]
    pub fn sample(&self, rng: &mut impl RngCore) -> u64 {
        let bits = rng.next_u64();
        let i = (bits as usize) & (LAYERS - 1);
        let (scale, bound) = self.layers[i];
        let x = (bits >> 11) as f64 * scale;
        if x < bound {
            return (x + TWO_52).to_bits() - TWO_52.to_bits();
        }
        self.finish(rng, i, unit_of(bits) * self.x[i])
    }

    /// The rest of a draw whose first try (layer `i`, point `x`) did not
    /// land inside its layer's rectangle.
    #[cold]
    #[inline(never)]
    fn finish(&self, rng: &mut impl RngCore, mut i: usize, mut x: f64) -> u64 {
        if !self.mean.is_finite() {
            return u64::MAX;
        }
        loop {
            if x < self.x[i + 1] {
                return round_ticks(x);
            }
            if i == 0 {
                // Beyond R: the exponential's tail is R plus a fresh one.
                let u = unit_open_below(rng.next_u64());
                return round_ticks(self.x[1] - u.ln() * self.mean);
            }
            // In the wedge: accept under the true density.
            let y = self.f[i + 1] + (self.f[i] - self.f[i + 1]) * unit_of(rng.next_u64());
            if self.under_density(i, x, y) {
                return round_ticks(x);
            }
            let bits = rng.next_u64();
            i = (bits as usize) & (LAYERS - 1);
            x = unit_of(bits) * self.x[i];
        }
    }
}

impl ExpTicks {
    /// Whether `y` lies below the density at `x` (ticks, in layer `i`'s
    /// wedge: `x[i + 1] <= x < x[i]`), `y < exp(-x / mean)` — decided
    /// without `exp` where a bound settles it (the density is convex: the
    /// tangent at `x[i]` lies below it, the chord of the layer's edges
    /// above; both widened by a relative 1e-9 against rounding), so the
    /// answer is always the exact test's (`exp` was 1 % of a Brunel run).
    #[inline]
    fn under_density(&self, i: usize, x: f64, y: f64) -> bool {
        // How far below x[i] (unscaled), and the way up to x[i + 1].
        let d = (self.x[i] - x) / self.mean;
        let below = self.f[i] * (1.0 + d);
        if y < below * (1.0 - 1e-9) {
            return true;
        }
        let span = (self.x[i] - self.x[i + 1]) / self.mean;
        let chord = self.f[i] + (self.f[i + 1] - self.f[i]) * (d / span);
        if y > chord * (1.0 + 1e-9) {
            return false;
        }
        y < (-x / self.mean).exp()
    }
}

/// The top 53 bits of a draw as a number in `[0, 1)` (the low 8 bits pick
/// the layer; they do not overlap).
#[inline(always)]
fn unit_of(bits: u64) -> f64 {
    (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// The top 53 bits of a draw as a number in `(0, 1]` (for a logarithm).
#[inline]
fn unit_open_below(bits: u64) -> f64 {
    ((bits >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// `t` ticks rounded to the nearest tick; beyond `u64`, never.
#[inline]
fn round_ticks(t: f64) -> u64 {
    if t < TWO_52 {
        (t + TWO_52).to_bits() - TWO_52.to_bits()
    } else if t < 1.8e19 {
        t.round() as u64
    } else {
        u64::MAX
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_xoshiro::rand_core::SeedableRng;
    use rand_xoshiro::Xoroshiro128PlusPlus;

    #[test]
    fn layers_are_those_of_rand_distr() {
        // rand_distr 0.4's ZIG_EXP_X (from Marsaglia & Tsang's script).
        let z = ExpTicks::new(1.0);
        let want = [
            (0, 8.697_117_470_131_053),
            (1, 7.697_117_470_131_05),
            (2, 6.941_033_629_377_213),
            (254, 0.104_838_507_565_818_78),
            (255, 0.063_852_163_815_001_57),
            (256, 0.0),
        ];
        for (i, w) in want {
            assert!((z.x[i] - w).abs() <= 1e-13, "x[{i}] = {} vs {w}", z.x[i]);
        }
        assert!(z.x.windows(2).all(|w| w[0] > w[1]));
    }

    /// The rounded intervals follow the exponential law: mean, variance,
    /// and the largest gap between the empirical and the true distribution
    /// function (Kolmogorov–Smirnov, at the 0.1 % level).
    #[test]
    fn intervals_are_exponential() {
        let mean = 2_000.0;
        let z = ExpTicks::new(mean);
        let mut rng = Xoroshiro128PlusPlus::seed_from_u64(7);
        let n = 400_000;
        let mut v: Vec<u64> = (0..n).map(|_| z.sample(&mut rng)).collect();
        let m = v.iter().sum::<u64>() as f64 / n as f64;
        let var = v.iter().map(|&t| (t as f64 - m).powi(2)).sum::<f64>() / n as f64;
        assert!((m / mean - 1.0).abs() < 0.01, "mean {m}");
        assert!((var.sqrt() / mean - 1.0).abs() < 0.015, "sd {}", var.sqrt());
        v.sort_unstable();
        // P(rounded <= k) = P(x < k + 1/2).
        let cdf = |k: u64| 1.0 - (-(k as f64 + 0.5) / mean).exp();
        let mut d: f64 = 0.0;
        for (j, w) in v.chunk_by(|a, b| a == b).scan(0, |s, w| {
            *s += w.len();
            Some((*s, w[0]))
        }) {
            d = d.max((j as f64 / n as f64 - cdf(w)).abs());
        }
        assert!(d < 1.95 / (n as f64).sqrt(), "KS distance {d}");
        // The tail and the wedges are reached.
        assert!(v[n - 1] as f64 > R * mean);
    }

    /// The common path's premultiplied layers give `unit·x[i]` bit for bit.
    #[test]
    fn premultiplied_layers_are_exact() {
        let mut rng = Xoroshiro128PlusPlus::seed_from_u64(5);
        for mean in [1.0, 51_200.0, 3.7e9] {
            let z = ExpTicks::new(mean);
            for _ in 0..100_000 {
                let bits = rng.next_u64();
                let i = (bits as usize) & (LAYERS - 1);
                let x = (bits >> 11) as f64 * z.layers[i].0;
                assert_eq!(x.to_bits(), (unit_of(bits) * z.x[i]).to_bits());
                assert_eq!(z.layers[i].1, z.x[i + 1]);
            }
        }
    }

    /// The squeezes decide as the exact density test does.
    #[test]
    fn wedge_bounds_decide_as_the_density() {
        let mut rng = Xoroshiro128PlusPlus::seed_from_u64(11);
        for mean in [1.0, 51_200.0, 3.7e9] {
            let z = ExpTicks::new(mean);
            for i in 1..LAYERS {
                for _ in 0..2_000 {
                    let x = z.x[i + 1] + (z.x[i] - z.x[i + 1]) * unit_of(rng.next_u64());
                    let y = z.f[i + 1] + (z.f[i] - z.f[i + 1]) * unit_of(rng.next_u64());
                    assert_eq!(
                        z.under_density(i, x, y),
                        y < (-x / mean).exp(),
                        "layer {i}, x {x}, y {y}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_zero_rate_never_fires() {
        let mut rng = Xoroshiro128PlusPlus::seed_from_u64(1);
        for mean in [f64::INFINITY, 0.0, -1.0, f64::NAN] {
            assert_eq!(ExpTicks::new(mean).sample(&mut rng), u64::MAX);
        }
    }

    #[test]
    fn huge_means_round_without_the_fast_path() {
        let z = ExpTicks::new(1e17);
        assert!(z.layers.iter().all(|&(_, bound)| bound < 0.0));
        let mut rng = Xoroshiro128PlusPlus::seed_from_u64(3);
        for _ in 0..1000 {
            let t = z.sample(&mut rng);
            assert!(t > 0);
        }
    }
}
