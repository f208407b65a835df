//! `lif_alpha`: leaky integrate-and-fire neuron with alpha-shaped synaptic
//! currents, solved exactly in continuous time — NEST's `iaf_psc_alpha_ps`,
//! with its parameter names (those of `lif_exp`):
//! - `dV/dt = -(V - E_L)/tau_m + (I_ex + I_in + I_e)/C_m`; each current is
//!   an alpha function, `dI/dt = D - I/tau_syn`, `dD/dt = -D/tau_syn`,
//!   propagated exactly between events;
//! - an input of weight `w` (pA) makes `D_ex += w·e/tau_syn_ex` (w ≥ 0) or
//!   `D_in += w·e/tau_syn_in` (w < 0): a current that peaks at `w`
//!   `tau_syn` after the arrival;
//! - the neuron fires when `V` reaches `V_th`, at the first crossing of the
//!   free trajectory after each event, found by branch and bound: on an
//!   interval, `V` is at most the sum of the maxima of its terms (each
//!   `(a + b·s)·e^(-s/tau)` has one extremum, known in closed form), so an
//!   interval whose bound stays below threshold holds no crossing, and the
//!   rest is split, earliest half first, down to f64 precision — no
//!   crossing is missed, however briefly the threshold is touched;
//! - after a spike `V = V_reset` for exactly `t_ref`; the currents evolve and
//!   inputs during refractoriness are added to them (as NEST).

use super::current_lif::{CurrentLif, Levels, QuickCeiling, Solution};
use super::lif_exp::LifExpParams;
use super::saved::saved_fields;
use crate::libm_bits::expm1;
use std::f64::consts::E;
use volley_engine::Time;

/// The state variables a multimeter can record (NEST's names; pA for the
/// currents).
pub const RECORDABLES: &[&str] = &["V_m", "I_syn_ex", "I_syn_in"];

/// One alpha current: `I` and its drive `D` (`dI/dt = D - I/tau`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Alpha {
    d: f64,
    i: f64,
}

saved_fields!(Alpha { d, i });

/// Constants derived once per parameter set (potentials relative to `E_L`).
#[derive(Clone, Debug)]
pub struct LifAlphaConsts {
    tau_m: f64,
    c_m: f64,
    tau: [f64; 2],
    i_e: f64,
    /// Asymptotic potential under `I_e` alone.
    v_inf: f64,
    /// Reset, threshold, lower bound (relative to `E_L`) and `E_L`.
    levels: Levels,
    t_ref: Time,
    /// Per synapse type, `(tau / C_m, tau² / C_m)`: the potential a unit of
    /// current, and of its drive, still carries (`quick`'s factors).
    charge_factors: [(f64, f64); 2],
    quick: QuickCeiling,
}

/// Intervals the crossing search scans at a time (fractions of the shortest
/// time constant), and the most it scans before giving up on a trajectory
/// that creeps towards a threshold equal to its asymptote.
const SCAN_STEPS_PER_TAU: f64 = 4.0;
const MAX_SCANS: usize = 100_000;

impl LifAlphaConsts {
    /// Derive the constants of validated parameters.
    pub fn new(p: &LifExpParams) -> Self {
        let (levels, v_inf) = (p.levels(), p.I_e * p.tau_m / p.C_m);
        LifAlphaConsts {
            tau_m: p.tau_m,
            c_m: p.C_m,
            tau: [p.tau_syn_ex, p.tau_syn_in],
            i_e: p.I_e,
            v_inf,
            levels,
            t_ref: super::refractory_period(p.t_ref),
            charge_factors: [p.tau_syn_ex, p.tau_syn_in]
                .map(|tau| (tau / p.C_m, tau * tau / p.C_m)),
            quick: QuickCeiling::new(&levels, v_inf),
        }
    }

    /// The initial state of a neuron at potential `v_m` (absolute mV).
    pub fn initial(&self, params_index: u16, v_m: f64) -> LifAlphaNeuron {
        CurrentLif::new(params_index, v_m - self.levels.e_l, [Alpha::default(); 2])
    }

    /// `∫0^t e^(-g s) ds` and `∫0^t s e^(-g s) ds`, times `e^(-t/tau_m)`:
    /// the response of V (times `C_m`) to the current `a + b s` under
    /// `e^(-s/tau)` over `t`, `g = 1/tau - 1/tau_m` (stable for `g → 0`).
    #[inline]
    fn kernels(&self, tau: f64, t: f64, em: f64) -> (f64, f64) {
        let g = 1.0 / tau - 1.0 / self.tau_m;
        let x = g * t;
        if x.abs() < 0.1 {
            // Series of ∫0^t s^n e^(-g s) ds / t^(n+1) in powers of -x (the
            // closed form cancels to eps/x² here).
            let (mut k0, mut k1, mut term) = (0.0, 0.0, 1.0);
            for n in 0..16 {
                k0 += term / (n + 1) as f64;
                k1 += term / (n + 2) as f64;
                term *= -x / (n + 1) as f64;
            }
            let e = em + 1.0;
            return (e * k0 * t, e * k1 * t * t);
        }
        let d = (-t / tau).exp();
        let e = em + 1.0;
        // e^(-t/tau_m) (1 - e^(-x)) / g and e^(-t/tau_m) (1 - e^(-x)(1 + x)) / g².
        (-e * expm1(-x) / g, (e - d * (1.0 + x)) / (g * g))
    }

    /// State `(y, syn)` after `dt` ms of free evolution.
    #[inline]
    fn free(&self, y: f64, syn: [Alpha; 2], dt: f64) -> (f64, [Alpha; 2]) {
        let em = expm1(-dt / self.tau_m);
        let mut y = -self.tau_m / self.c_m * em * self.i_e + em * y + y;
        let mut out = syn;
        for (k, s) in syn.iter().enumerate() {
            if s.d == 0.0 && s.i == 0.0 {
                continue;
            }
            let (k0, k1) = self.kernels(self.tau[k], dt, em);
            y += (s.i * k0 + s.d * k1) / self.c_m;
            let decay = (-dt / self.tau[k]).exp();
            out[k] = Alpha {
                d: s.d * decay,
                i: (s.i + dt * s.d) * decay,
            };
        }
        (y, out)
    }

    /// An upper bound of the potential from now on: the higher of the
    /// present potential and the asymptote, plus all the charge the
    /// positive parts of the currents can still carry.
    #[inline(always)]
    fn ceiling(&self, y: f64, syn: &[Alpha; 2]) -> f64 {
        let charge: f64 = syn
            .iter()
            .zip(self.tau)
            .map(|(s, tau)| s.i.max(0.0) * tau + s.d.max(0.0) * tau * tau)
            .sum();
        y.max(self.v_inf) + charge / self.c_m
    }

    /// The free trajectory from `(y, syn)` as a sum of terms:
    /// `V(s) = v_inf + A e^(-s/tau_m) + Σ (B + C s + Q s²) e^(-s/tau)`.
    fn terms(&self, y: f64, syn: &[Alpha; 2]) -> Terms {
        let mut t = Terms {
            a: y - self.v_inf,
            syn: [(0.0, 0.0, 0.0, 1.0); 2],
        };
        for (k, (s, &tau)) in syn.iter().zip(&self.tau).enumerate() {
            if s.d == 0.0 && s.i == 0.0 {
                continue;
            }
            let g = 1.0 / tau - 1.0 / self.tau_m;
            if g.abs() < 1e-9 / self.tau_m {
                // Equal time constants: (I s + D s²/2) e^(-s/tau) / C.
                t.syn[k] = (0.0, s.i / self.c_m, s.d / (2.0 * self.c_m), tau);
                continue;
            }
            // From the kernels: [I/g + D/g²] (e^(-s/tau_m) - e^(-s/tau))
            // - D s e^(-s/tau) / g, over C.
            let p = (s.i / g + s.d / (g * g)) / self.c_m;
            t.a += p;
            t.syn[k] = (-p, -s.d / g / self.c_m, 0.0, tau);
        }
        t
    }

    /// An upper bound of the potential over `[0, h]` from `(y, syn)` (at
    /// `y` below threshold): the lower of two — the sum of each term's
    /// maximum there (each has one or two extrema, known in closed form),
    /// and the Taylor bound `V(0) + V'(0) s + M s²/2` with `M` a bound of
    /// `V''` (tight on short intervals, where the terms' maxima are not).
    #[cfg(test)]
    fn bound(&self, y: f64, syn: &[Alpha; 2], h: f64) -> f64 {
        self.shape(y, syn, h).0
    }

    /// [`bound`](Self::bound) over `[0, h]`, with `V'(0)` and a bound of
    /// `|V''|` there.
    fn shape(&self, y: f64, syn: &[Alpha; 2], h: f64) -> (f64, f64, f64) {
        let t = self.terms(y, syn);
        let mut sum = self.v_inf + t.a.max(t.a * (-h / self.tau_m).exp());
        let mut slope = -t.a / self.tau_m;
        let mut curve = t.a.abs() / (self.tau_m * self.tau_m);
        for &(b, c, q, tau) in &t.syn {
            if b == 0.0 && c == 0.0 && q == 0.0 {
                continue;
            }
            let f = |u: f64| (b + c * u + q * u * u) * (-u / tau).exp();
            sum += max_on(f, h, &critical(b, c, q, tau));
            slope += c - b / tau;
            curve += (2.0 * q.abs()
                + 2.0 * (c.abs() + 2.0 * q.abs() * h) / tau
                + (b.abs() + c.abs() * h + q.abs() * h * h) / (tau * tau))
                .abs();
        }
        let taylor = y + (slope * h + curve * h * h / 2.0).max(0.0);
        let top = sum.min(taylor);
        // Against rounding in the terms' sums.
        (top + 1e-12 * (1.0 + top.abs()), slope, curve)
    }

    /// Time (ms) of the first threshold crossing of the free trajectory from
    /// `(y, syn)` (below threshold), or `None` if it never crosses.
    #[inline(always)]
    fn crossing(&self, y: f64, syn: [Alpha; 2]) -> Option<f64> {
        if y >= self.levels.theta {
            return Some(0.0);
        }
        if self.quickly_ruled_out(y, &syn) {
            return None;
        }
        self.scan(y, syn)
    }

    /// The quick form of the ceiling test (see [`QuickCeiling`]).
    #[inline(always)]
    fn quickly_ruled_out(&self, y: f64, syn: &[Alpha; 2]) -> bool {
        let charge: f64 = syn
            .iter()
            .zip(self.charge_factors)
            .map(|(s, (fi, fd))| s.i.max(0.0) * fi + s.d.max(0.0) * fd)
            .sum();
        self.quick.rules_out(y.max(self.v_inf), charge)
    }

    /// `crossing` where the quick test does not rule a crossing out: out of
    /// line, so that most inputs pay a few comparisons in the caller, not a
    /// call. (Its first scan tests the ceiling itself.)
    #[inline(never)]
    fn scan(&self, y: f64, syn: [Alpha; 2]) -> Option<f64> {
        let h = self.tau_m.min(self.tau[0]).min(self.tau[1]) / SCAN_STEPS_PER_TAU;
        let (mut from, mut y, mut syn) = (0.0, y, syn);
        for _ in 0..MAX_SCANS {
            if self.ceiling(y, &syn) < self.levels.theta {
                return None;
            }
            if let Some(s) = self.search(y, syn, 0.0, h) {
                return Some(from + s);
            }
            (y, syn) = self.free(y, syn, h);
            from += h;
        }
        None
    }

    /// The first crossing in `[a, b]` (relative to the state `(y, syn)` at
    /// 0), earliest half first; `None` if the bounds rule it out. Where
    /// `V` is monotone increasing over the interval (its slope stays
    /// positive under the bound of `V''`) a crossing is unique and is
    /// solved for directly.
    fn search(&self, y: f64, syn: [Alpha; 2], a: f64, b: f64) -> Option<f64> {
        let (ya, sa) = if a == 0.0 {
            (y, syn)
        } else {
            self.free(y, syn, a)
        };
        if ya >= self.levels.theta {
            return Some(a);
        }
        let h = b - a;
        let (top, slope, curve) = self.shape(ya, &sa, h);
        let falling = slope + curve * h;
        if top.is_nan() || falling.is_nan() || top < self.levels.theta || falling < 0.0 {
            // (NaN bounds, from extreme inputs, count as no crossing rather
            // than splitting the interval down to f64 resolution.)
            // Below threshold throughout, or falling throughout.
            return None;
        }
        if slope - curve * h > 0.0 {
            // Rising throughout: a crossing iff V reaches threshold at b.
            let yb = self.free(ya, sa, h).0;
            return (yb >= self.levels.theta).then(|| a + self.root(ya, sa, h, yb));
        }
        let mid = 0.5 * (a + b);
        if mid <= a || mid >= b || h < 1e-13 * (1.0 + b) {
            // At f64 resolution: a crossing if V reaches threshold at b.
            return (self.free(y, syn, b).0 >= self.levels.theta).then_some(b);
        }
        self.search(y, syn, a, mid)
            .or_else(|| self.search(y, syn, mid, b))
    }

    /// The crossing in `(0, h]` of a trajectory from `(y, syn)` that rises
    /// throughout from `y` (below threshold) to `yh` (at or above): the
    /// Illinois variant of regula falsi, to f64 precision.
    fn root(&self, y: f64, syn: [Alpha; 2], h: f64, yh: f64) -> f64 {
        let (mut lo, mut hi) = (0.0, h);
        let (mut f_lo, mut f_hi) = (y - self.levels.theta, yh - self.levels.theta);
        let mut side = 0i8;
        for _ in 0..100 {
            if hi - lo <= 4.0 * f64::EPSILON * hi.max(1.0) {
                break;
            }
            let mut s = lo - f_lo * (hi - lo) / (f_hi - f_lo);
            if !(s > lo && s < hi) {
                s = 0.5 * (lo + hi);
            }
            let f = self.free(y, syn, s).0 - self.levels.theta;
            if f >= 0.0 {
                hi = s;
                f_hi = f;
                if side == 1 {
                    f_lo *= 0.5;
                }
                side = 1;
            } else {
                lo = s;
                f_lo = f;
                if side == -1 {
                    f_hi *= 0.5;
                }
                side = -1;
            }
            if f == 0.0 {
                break;
            }
        }
        hi
    }
}

/// The maximum of `f` over `[0, h]`, given its critical points.
fn max_on(f: impl Fn(f64) -> f64, h: f64, crit: &[f64]) -> f64 {
    let mut m = f(0.0).max(f(h));
    for &c in crit {
        if c > 0.0 && c < h {
            m = m.max(f(c));
        }
    }
    m
}

/// Critical points of `(b + c s + q s²) e^(-s/tau)`: roots of
/// `c + 2 q s - (b + c s + q s²)/tau = 0`.
fn critical(b: f64, c: f64, q: f64, tau: f64) -> Vec<f64> {
    // -(q/tau) s² + (2q - c/tau) s + (c - b/tau) = 0
    let (qa, qb, qc) = (-q / tau, 2.0 * q - c / tau, c - b / tau);
    if qa == 0.0 {
        return if qb != 0.0 { vec![-qc / qb] } else { vec![] };
    }
    let disc = qb * qb - 4.0 * qa * qc;
    if disc < 0.0 {
        return vec![];
    }
    let r = disc.sqrt();
    vec![(-qb + r) / (2.0 * qa), (-qb - r) / (2.0 * qa)]
}

/// The free trajectory's terms ([`LifAlphaConsts::terms`]).
struct Terms {
    /// Of `e^(-s/tau_m)`.
    a: f64,
    /// Per synapse: `(B, C, Q, tau)` of `(B + C s + Q s²) e^(-s/tau)`.
    syn: [(f64, f64, f64, f64); 2],
}

/// One `lif_alpha` neuron: the shared record with the two alpha currents.
pub type LifAlphaNeuron = CurrentLif<[Alpha; 2]>;

impl Solution for LifAlphaConsts {
    type Syn = [Alpha; 2];

    fn evolve(&self, y: f64, syn: [Alpha; 2], dt: f64) -> (f64, [Alpha; 2]) {
        self.free(y, syn, dt)
    }

    #[inline]
    fn first_crossing(&self, y: f64, syn: [Alpha; 2]) -> Option<f64> {
        self.crossing(y, syn)
    }

    fn add_input(&self, syn: &mut [Alpha; 2], exc: f64, inh: f64) {
        syn[0].d += exc * E / self.tau[0];
        syn[1].d += inh * E / self.tau[1];
    }

    fn currents(syn: &[Alpha; 2]) -> (f64, f64) {
        (syn[0].i, syn[1].i)
    }

    #[inline]
    fn levels(&self) -> &Levels {
        &self.levels
    }

    fn t_ref(&self) -> Time {
        self.t_ref
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(i_e: f64, tau_in: f64) -> LifExpParams {
        LifExpParams {
            tau_m: 10.0,
            C_m: 250.0,
            t_ref: 2.0,
            E_L: -70.0,
            V_reset: -70.0,
            V_th: -55.0,
            tau_syn_ex: 2.0,
            tau_syn_in: tau_in,
            I_e: i_e,
            V_m: None,
            V_min: None,
            tau_minus: None,
            I_syn_ex: 0.0,
            I_syn_in: 0.0,
        }
    }

    /// The free solution by a fine Runge–Kutta integration (independent of
    /// the closed form).
    fn integrate(c: &LifAlphaConsts, y: f64, syn: [Alpha; 2], t: f64) -> f64 {
        let n = 200_000;
        let h = t / n as f64;
        let f = |s: [f64; 5]| {
            [
                -s[0] / c.tau_m + (s[2] + s[4] + c.i_e) / c.c_m,
                -s[1] / c.tau[0],
                s[1] - s[2] / c.tau[0],
                -s[3] / c.tau[1],
                s[3] - s[4] / c.tau[1],
            ]
        };
        let mut s = [y, syn[0].d, syn[0].i, syn[1].d, syn[1].i];
        for _ in 0..n {
            let add = |a: [f64; 5], b: [f64; 5], k: f64| std::array::from_fn(|i| a[i] + k * b[i]);
            let k1 = f(s);
            let k2 = f(add(s, k1, h / 2.0));
            let k3 = f(add(s, k2, h / 2.0));
            let k4 = f(add(s, k3, h));
            s = std::array::from_fn(|i| {
                s[i] + h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i])
            });
        }
        s[0]
    }

    #[test]
    fn propagation_matches_an_independent_integration() {
        for (tau_in, tm) in [(5.0, 10.0), (2.0, 10.0), (10.0, 10.0), (10.0 + 1e-7, 10.0)] {
            let mut p = params(100.0, tau_in);
            p.tau_m = tm;
            let c = LifAlphaConsts::new(&p);
            let syn = [
                Alpha { d: 300.0, i: 50.0 },
                Alpha {
                    d: -120.0,
                    i: -10.0,
                },
            ];
            for t in [0.01, 0.7, 3.0, 13.0] {
                let got = c.free(3.0, syn, t).0;
                let want = integrate(&c, 3.0, syn, t);
                assert!(
                    (got - want).abs() < 1e-9,
                    "tau_in {tau_in} t {t}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn the_bound_holds_and_the_first_crossing_is_found() {
        let c = LifAlphaConsts::new(&params(0.0, 5.0));
        let syn = [Alpha { d: 2500.0, i: 0.0 }, Alpha::default()];
        // The bound over [0, h] is above every point there.
        for h in [0.1, 1.0, 5.0] {
            let b = c.bound(0.0, &syn, h);
            for k in 0..=100 {
                let v = c.free(0.0, syn, h * k as f64 / 100.0).0;
                assert!(v <= b + 1e-12, "h {h}: {v} > {b}");
            }
        }
        let s = c.crossing(0.0, syn).expect("crosses");
        assert!((c.free(0.0, syn, s).0 - c.levels.theta).abs() < 1e-9);
        for k in 0..1000 {
            assert!(c.free(0.0, syn, s * k as f64 / 1000.0 * 0.999_999).0 < c.levels.theta);
        }
        // Too weak: never; a bias current over threshold: the closed form.
        assert_eq!(
            c.crossing(0.0, [Alpha { d: 100.0, i: 0.0 }, Alpha::default()]),
            None
        );
        let c = LifAlphaConsts::new(&params(400.0, 5.0));
        let s = c.crossing(0.0, [Alpha::default(); 2]).unwrap();
        let want = 10.0 * (c.v_inf / (c.v_inf - c.levels.theta)).ln();
        assert!((s - want).abs() < 1e-9, "{s} vs {want}");
    }

    #[test]
    fn a_brief_touch_of_the_threshold_is_found() {
        // Scale an input so that its peak just exceeds threshold by 1e-7 mV.
        let c = LifAlphaConsts::new(&params(0.0, 5.0));
        let unit = [Alpha { d: 1.0, i: 0.0 }, Alpha::default()];
        let peak = (0..20_000)
            .map(|k| c.free(0.0, unit, k as f64 * 1e-3).0)
            .fold(0.0, f64::max);
        let d = (c.levels.theta + 1e-7) / peak;
        let syn = [Alpha { d, i: 0.0 }, Alpha::default()];
        assert!(c.crossing(0.0, syn).is_some());
        let syn = [
            Alpha {
                d: (c.levels.theta - 1e-7) / peak,
                i: 0.0,
            },
            Alpha::default(),
        ];
        assert_eq!(c.crossing(0.0, syn), None);
    }

    proptest::proptest! {
        /// The quick test rules a crossing out only where the ceiling does,
        /// also for states whose ceiling is within rounding of threshold.
        #[test]
        fn the_quick_test_rules_out_only_what_the_ceiling_does(
            tau_in in 0.1f64..20.0,
            i_e in -500.0f64..500.0,
            y in -60.0f64..15.0,
            shares in (0.0f64..1.0, 0.0f64..1.0, 0.0f64..1.0),
            nudge in proptest::prop_oneof![-1e-12f64..1e-12, -1e-15f64..1e-15],
        ) {
            let c = LifAlphaConsts::new(&params(i_e, tau_in));
            // Currents and drives whose charge brings the ceiling to threshold.
            let room = (c.levels.theta - y.max(c.v_inf)).max(0.0) * (1.0 + nudge);
            let (a, b, d) = shares;
            let parts = [a * b, a * (1.0 - b), (1.0 - a) * d, (1.0 - a) * (1.0 - d)];
            let syn = [0, 1].map(|k| Alpha {
                i: room * parts[2 * k] * c.c_m / c.tau[k],
                d: room * parts[2 * k + 1] * c.c_m / (c.tau[k] * c.tau[k]),
            });
            if c.quickly_ruled_out(y, &syn) {
                proptest::prop_assert!(c.ceiling(y, &syn) < c.levels.theta);
            }
        }
    }
}
