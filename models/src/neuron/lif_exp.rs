//! `lif_exp`: leaky integrate-and-fire neuron with exponentially decaying
//! synaptic currents, solved exactly in continuous time — the model of NEST's
//! `iaf_psc_exp` / `iaf_psc_exp_ps`, with its parameter names:
//! - `dV/dt = -(V - E_L)/tau_m + (I_ex + I_in + I_e)/C_m`,
//!   `dI_ex/dt = -I_ex/tau_syn_ex`, `dI_in/dt = -I_in/tau_syn_in`,
//!   propagated exactly between events with NEST's expm1 propagators;
//! - an input of weight `w` (pA) makes `I_ex += w` (w ≥ 0) or `I_in += w`
//!   (w < 0) at its arrival time — the potential itself is continuous;
//! - the neuron fires when `V` reaches `V_th`, at the crossing time found on
//!   the analytic solution: the free trajectory after every event is searched
//!   for its first crossing (bounded march + safeguarded regula falsi to full
//!   f64 precision), which becomes the neuron's forecast; an input arriving
//!   before it changes the trajectory and the forecast is redone;
//! - after a spike `V = V_reset` for exactly `t_ref`; the currents keep
//!   decaying and inputs during refractoriness are added to them (as NEST).
//!
//! NEST's `iaf_psc_exp_ps` tests the threshold only at input times and at the
//! ends of its time steps, so it can miss a trajectory that touches the
//! threshold and turns back within one step; the search here finds those too
//! (see docs/user-guide.md).

use super::current_lif::{CurrentLif, Levels, QuickCeiling, Solution};
use crate::libm_bits::expm1;
use serde::Deserialize;
use volley_engine::Time;

/// The state variables a multimeter can record (NEST's names; pA for the
/// currents).
pub const RECORDABLES: &[&str] = &["V_m", "I_syn_ex", "I_syn_in"];

/// The largest initial synaptic current magnitude (pA), as for `I_e`.
const MAX_INITIAL_CURRENT_PA: f64 = 1e15;

/// Parameters, with NEST's names and units (ms, mV, pF, pA).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct LifExpParams {
    /// Membrane time constant (ms).
    pub tau_m: f64,
    /// Membrane capacitance (pF).
    pub C_m: f64,
    /// Refractory period (ms).
    pub t_ref: f64,
    /// Resting potential (mV).
    pub E_L: f64,
    /// Reset potential (mV).
    pub V_reset: f64,
    /// Threshold (mV).
    pub V_th: f64,
    /// Decay time of excitatory currents (ms).
    pub tau_syn_ex: f64,
    /// Decay time of inhibitory currents (ms).
    pub tau_syn_in: f64,
    /// Constant input current (pA). Default 0.
    #[serde(default)]
    pub I_e: f64,
    /// Initial membrane potential (mV). Default `E_L`.
    #[serde(default)]
    pub V_m: Option<f64>,
    /// Lower bound of the membrane potential (mV). Default: none.
    #[serde(default)]
    pub V_min: Option<f64>,
    /// Time constant of the spike trace STDP synapses read (ms). Default 20.
    #[serde(default)]
    pub tau_minus: Option<f64>,
    /// Initial excitatory current (pA, ≥ 0; `lif_exp` only). Default 0.
    #[serde(default)]
    pub I_syn_ex: f64,
    /// Initial inhibitory current (pA, ≤ 0; `lif_exp` only). Default 0.
    #[serde(default)]
    pub I_syn_in: f64,
}

impl LifExpParams {
    /// The potentials relative to `E_L` (shared by `lif_exp` and `lif_alpha`).
    pub(super) fn levels(&self) -> Levels {
        Levels {
            theta: self.V_th - self.E_L,
            reset: self.V_reset - self.E_L,
            v_min: self
                .V_min
                .map(|v| v - self.E_L)
                .unwrap_or(f64::NEG_INFINITY),
            e_l: self.E_L,
        }
    }

    /// Check ranges; the message names the parameter.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if !(self.I_syn_ex >= 0.0 && self.I_syn_ex.abs() <= MAX_INITIAL_CURRENT_PA) {
            let m = format!("must be from 0 to 1e15 pA, got {}", self.I_syn_ex);
            return Err(("I_syn_ex", m));
        }
        if !(self.I_syn_in <= 0.0 && self.I_syn_in.abs() <= MAX_INITIAL_CURRENT_PA) {
            let m = format!("must be from -1e15 to 0 pA, got {}", self.I_syn_in);
            return Err(("I_syn_in", m));
        }
        for (k, v) in [
            ("tau_syn_ex", self.tau_syn_ex),
            ("tau_syn_in", self.tau_syn_in),
        ] {
            super::in_scale(k, v, "ms")?;
        }
        super::validate_lif(&super::LifCommon {
            tau_m: self.tau_m,
            c_m: self.C_m,
            t_ref: self.t_ref,
            e_l: self.E_L,
            v_reset: self.V_reset,
            v_th: self.V_th,
            i_e: self.I_e,
            v_m: self.V_m,
            tau_minus: self.tau_minus,
            leak_free: false,
        })
    }
}

/// Constants derived once per parameter set (potentials relative to `E_L`).
#[derive(Clone, Debug)]
pub struct LifExpConsts {
    tau_m: f64,
    c_m: f64,
    tau_ex: f64,
    tau_in: f64,
    i_e: f64,
    /// Asymptotic potential under `I_e` alone.
    v_inf: f64,
    /// Reset, threshold, lower bound (relative to `E_L`) and `E_L`.
    levels: Levels,
    t_ref: Time,
    /// `I_syn_ex`, `I_syn_in` at the start.
    initial_currents: [f64; 2],
    /// `-tau_m / C_m`: `propagator_20` is this times `expm1(-dt/tau_m)`.
    p20_factor: f64,
    /// `propagator_32`'s factor of `expm1(-dt/tau_s) - expm1(-dt/tau_m)`
    /// per synapse type, `None` where `tau_s` (nearly) equals `tau_m`.
    p21_factors: [Option<f64>; 2],
    /// `tau_syn_ex / C_m`, `tau_syn_in / C_m`: the potential a unit of
    /// current still carries (`quick`'s factors).
    charge_factors: [f64; 2],
    quick: QuickCeiling,
}

impl LifExpConsts {
    /// Derive the constants of validated parameters.
    pub fn new(p: &LifExpParams) -> Self {
        let p21_factor = |tau_s: f64| {
            let d = p.tau_m - tau_s;
            // Evaluated as `propagator_32` is, left to right: the same bits.
            (d.abs() > 1e-9 * p.tau_m).then(|| -p.tau_m * tau_s / d / p.C_m)
        };
        let (levels, v_inf) = (p.levels(), p.I_e * p.tau_m / p.C_m);
        LifExpConsts {
            tau_m: p.tau_m,
            c_m: p.C_m,
            tau_ex: p.tau_syn_ex,
            tau_in: p.tau_syn_in,
            i_e: p.I_e,
            v_inf,
            levels,
            t_ref: super::refractory_period(p.t_ref),
            initial_currents: [p.I_syn_ex, p.I_syn_in],
            p20_factor: -p.tau_m / p.C_m,
            p21_factors: [p21_factor(p.tau_syn_ex), p21_factor(p.tau_syn_in)],
            charge_factors: [p.tau_syn_ex / p.C_m, p.tau_syn_in / p.C_m],
            quick: QuickCeiling::new(&levels, v_inf),
        }
    }

    /// The initial state of a neuron at potential `v_m` (absolute mV).
    pub fn initial(&self, params_index: u16, v_m: f64) -> LifExpNeuron {
        CurrentLif::new(params_index, v_m - self.levels.e_l, self.initial_currents)
    }

    /// The current-to-potential propagator of synapse type `k` over `dt`,
    /// given `em = expm1(-dt/tau_m)` and `es = expm1(-dt/tau_s)`: NEST's
    /// `propagator_32` (the response of V to a unit current at the start of
    /// the interval), with the limit taken when the two time constants
    /// (nearly) coincide.
    #[inline(always)]
    fn p21(&self, k: usize, dt: f64, em: f64, es: f64) -> f64 {
        match self.p21_factors[k] {
            Some(f) => f * (es - em),
            None => dt / self.c_m * (em + 1.0),
        }
    }

    /// State `(y, i_ex, i_in)` after `dt` ms of free evolution.
    #[inline]
    fn evolve(&self, y: f64, i_ex: f64, i_in: f64, dt: f64) -> (f64, f64, f64) {
        let em = expm1(-dt / self.tau_m);
        let ex = expm1(-dt / self.tau_ex);
        let p20 = self.p20_factor * em;
        let p21_ex = self.p21(0, dt, em, ex);
        // Equal synaptic time constants (the common case) share their factors.
        let (ei, p21_in) = if self.tau_in == self.tau_ex {
            (ex, p21_ex)
        } else {
            let ei = expm1(-dt / self.tau_in);
            (ei, self.p21(1, dt, em, ei))
        };
        let y = p20 * self.i_e + p21_ex * i_ex + p21_in * i_in + em * y + y;
        (y, i_ex * ex + i_ex, i_in * ei + i_in)
    }

    /// An upper bound of the potential from now on: the higher of the present
    /// potential and the asymptote, plus all the charge the excitatory-signed
    /// currents still carry.
    #[inline]
    fn ceiling(&self, y: f64, i_ex: f64, i_in: f64) -> f64 {
        y.max(self.v_inf) + (i_ex.max(0.0) * self.tau_ex + i_in.max(0.0) * self.tau_in) / self.c_m
    }

    /// Time (ms) of the first threshold crossing of the free trajectory from
    /// `(y, i_ex, i_in)` (below threshold), or `None` if it never crosses.
    ///
    /// The free potential is `v_inf + A e^(-s/tau_m) + B_ex e^(-s/tau_ex) +
    /// B_in e^(-s/tau_in)`. Its derivative times `e^(s/tau_m)` is a constant
    /// plus two exponentials, monotone on either side of one point known in
    /// closed form, so the potential has at most two extrema; they split time
    /// into pieces on which it is monotone, and the first piece that ends at
    /// or above threshold holds the crossing. Nothing is missed, however
    /// briefly the threshold is touched.
    #[inline(always)]
    fn first_crossing(&self, y: f64, i_ex: f64, i_in: f64) -> Option<f64> {
        if y >= self.levels.theta {
            return Some(0.0);
        }
        if self.quickly_ruled_out(y, i_ex, i_in) {
            return None;
        }
        self.search_crossing(y, i_ex, i_in)
    }

    /// The quick form of the ceiling test (see [`QuickCeiling`]).
    #[inline(always)]
    fn quickly_ruled_out(&self, y: f64, i_ex: f64, i_in: f64) -> bool {
        let [fx, fi] = self.charge_factors;
        let charge = i_ex.max(0.0) * fx + i_in.max(0.0) * fi;
        self.quick.rules_out(y.max(self.v_inf), charge)
    }

    /// `first_crossing` where the quick test does not rule a crossing out
    /// (after ~0.6 % of a microcircuit's inputs): out of line, so that the
    /// common case is a few comparisons in the caller, not a call.
    #[inline(never)]
    fn search_crossing(&self, y: f64, i_ex: f64, i_in: f64) -> Option<f64> {
        if self.ceiling(y, i_ex, i_in) < self.levels.theta {
            return None;
        }
        let (tm, tx, ti) = (self.tau_m, self.tau_ex, self.tau_in);
        let dx = 1.0 / tx - 1.0 / tm;
        let di = 1.0 / ti - 1.0 / tm;
        if dx.abs() * tm < 1e-6 || di.abs() * tm < 1e-6 {
            return self.march(y, i_ex, i_in);
        }
        let bx = -i_ex / (self.c_m * dx);
        let bi = -i_in / (self.c_m * di);
        let a = (y - self.v_inf) - bx - bi;
        let g = |s: f64| -a / tm - bx / tx * (-s * dx).exp() - bi / ti * (-s * di).exp();
        let f = |s: f64| self.evolve(y, i_ex, i_in, s).0 - self.levels.theta;
        let horizon = 40.0 * tm.max(tx).max(ti);
        // Where g turns: (bx dx / tx) e^(-s dx) = -(bi di / ti) e^(-s di).
        // (Fixed-size arrays: this runs after many inputs, no allocation.)
        let mut cuts = [0.0, horizon, horizon];
        let mut n_cuts = 2;
        if (dx - di).abs() * tm > 1e-9 && bx != 0.0 && bi != 0.0 {
            let r = -(bi * di * tx) / (bx * dx * ti);
            if r > 0.0 && r.is_finite() {
                let sg = r.ln() / (di - dx);
                if sg > 0.0 && sg < horizon {
                    cuts = [0.0, sg, horizon];
                    n_cuts = 3;
                }
            }
        }
        // The extrema of the potential: zeros of g, one at most per piece,
        // located to 1e-12 ms (they only bound the monotone pieces).
        let mut points = [0.0; 5];
        let mut n_points = 1;
        if tx == ti {
            // One synaptic time constant: g = -a/tm - (B/tx) e^(-s dx) has
            // its single zero in closed form.
            let b = bx + bi;
            let r = -(a * tx) / (tm * b);
            if r > 0.0 && r.is_finite() {
                let s = -r.ln() / dx;
                if s > 0.0 && s < horizon {
                    points[n_points] = s;
                    n_points += 1;
                }
            }
            n_cuts = 0;
        }
        for w in cuts[..n_cuts.max(1)].windows(2) {
            let (mut p, mut q) = (w[0], w[1]);
            let (gp, gq) = (g(p), g(q));
            if gp == 0.0 || gq == 0.0 || (gp > 0.0) == (gq > 0.0) {
                continue;
            }
            while q - p > 1e-12 * (1.0 + q) {
                let m = 0.5 * (p + q);
                if (g(m) > 0.0) == (gp > 0.0) {
                    p = m;
                } else {
                    q = m;
                }
            }
            points[n_points] = q;
            n_points += 1;
        }
        points[n_points] = horizon;
        n_points += 1;
        let points = &mut points[..n_points];
        points.sort_by(f64::total_cmp);
        let mut fp = y - self.levels.theta;
        for w in points.windows(2) {
            let (p, q) = (w[0], w[1]);
            if q <= p {
                continue;
            }
            let fq = f(q);
            if fq >= 0.0 {
                return Some(self.refine(y, i_ex, i_in, p, fp, q, fq));
            }
            fp = fq;
        }
        // Past the horizon only the approach to v_inf is left.
        if self.v_inf > self.levels.theta {
            let (mut p, mut q) = (horizon, 2.0 * horizon);
            let mut fq = f(q);
            while fq < 0.0 && q < 1e12 {
                p = q;
                fp = fq;
                q *= 2.0;
                fq = f(q);
            }
            if fq >= 0.0 {
                return Some(self.refine(y, i_ex, i_in, p, fp, q, fq));
            }
        }
        None
    }

    /// Crossing search for the degenerate case of a synaptic time constant
    /// equal to tau_m: small fixed steps, until the ceiling rules a crossing out.
    fn march(&self, y: f64, i_ex: f64, i_in: f64) -> Option<f64> {
        let step = self.tau_m.min(self.tau_ex).min(self.tau_in) / 64.0;
        let (mut s0, mut f0) = (0.0, y - self.levels.theta);
        let (mut y0, mut ex0, mut in0) = (y, i_ex, i_in);
        for _ in 0..1_000_000 {
            let (y1, ex1, in1) = self.evolve(y0, ex0, in0, step);
            let s1 = s0 + step;
            let f1 = y1 - self.levels.theta;
            if f1 >= 0.0 {
                return Some(self.refine(y, i_ex, i_in, s0, f0, s1, f1));
            }
            if self.ceiling(y1, ex1, in1) < self.levels.theta {
                return None;
            }
            (s0, f0, y0, ex0, in0) = (s1, f1, y1, ex1, in1);
        }
        None
    }

    /// Locate the crossing in `[a, b]` (f(a) < 0 ≤ f(b)) to full precision:
    /// regula falsi with the Illinois modification, bisecting when it stalls.
    #[allow(clippy::too_many_arguments)]
    fn refine(
        &self,
        y: f64,
        i_ex: f64,
        i_in: f64,
        mut a: f64,
        mut fa: f64,
        mut b: f64,
        mut fb: f64,
    ) -> f64 {
        let f = |s: f64| self.evolve(y, i_ex, i_in, s).0 - self.levels.theta;
        let mut side = 0;
        for k in 0..200 {
            if b - a <= f64::EPSILON * b.max(1e-300) * 4.0 {
                break;
            }
            let mut m = if k % 4 == 3 {
                0.5 * (a + b)
            } else {
                (a * fb - b * fa) / (fb - fa)
            };
            if !(m > a && m < b) {
                m = 0.5 * (a + b);
            }
            let fm = f(m);
            if fm >= 0.0 {
                b = m;
                fb = fm;
                if side == -1 {
                    fa *= 0.5;
                }
                side = -1;
            } else {
                a = m;
                fa = fm;
                if side == 1 {
                    fb *= 0.5;
                }
                side = 1;
            }
            if fb == 0.0 {
                break;
            }
        }
        b
    }
}

/// One `lif_exp` neuron: the shared record with the two currents
/// `[I_ex, I_in]`.
pub type LifExpNeuron = CurrentLif<[f64; 2]>;

impl Solution for LifExpConsts {
    type Syn = [f64; 2];

    #[inline]
    fn evolve(&self, y: f64, [ex, inh]: [f64; 2], dt: f64) -> (f64, [f64; 2]) {
        let (y, ex, inh) = LifExpConsts::evolve(self, y, ex, inh, dt);
        (y, [ex, inh])
    }

    #[inline]
    fn first_crossing(&self, y: f64, [ex, inh]: [f64; 2]) -> Option<f64> {
        LifExpConsts::first_crossing(self, y, ex, inh)
    }

    #[inline]
    fn add_input(&self, syn: &mut [f64; 2], exc: f64, inh: f64) {
        syn[0] += exc;
        syn[1] += inh;
    }

    fn currents(syn: &[f64; 2]) -> (f64, f64) {
        (syn[0], syn[1])
    }

    #[inline]
    fn levels(&self) -> &Levels {
        &self.levels
    }

    #[inline]
    fn t_ref(&self) -> Time {
        self.t_ref
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(i_e: f64) -> LifExpParams {
        LifExpParams {
            tau_m: 10.0,
            C_m: 250.0,
            t_ref: 2.0,
            E_L: -70.0,
            V_reset: -70.0,
            V_th: -55.0,
            tau_syn_ex: 2.0,
            tau_syn_in: 5.0,
            I_e: i_e,
            V_m: None,
            V_min: None,
            tau_minus: None,
            I_syn_ex: 0.0,
            I_syn_in: 0.0,
        }
    }

    /// Closed form of the free solution (independent of the propagators).
    fn closed(c: &LifExpConsts, y0: f64, iex: f64, iin: f64, t: f64) -> f64 {
        let h =
            |ts: f64| (c.tau_m * ts / (c.tau_m - ts)) * ((-t / c.tau_m).exp() - (-t / ts).exp());
        c.v_inf
            + (y0 - c.v_inf) * (-t / c.tau_m).exp()
            + iex / c.c_m * h(c.tau_ex)
            + iin / c.c_m * h(c.tau_in)
    }

    #[test]
    fn propagation_matches_the_closed_form() {
        let c = LifExpConsts::new(&params(100.0));
        for &(y, ex, inh, t) in &[
            (3.0, 500.0, -200.0, 0.7),
            (-2.0, 0.0, -900.0, 13.0),
            (10.0, 2000.0, 0.0, 0.01),
        ] {
            let (got, _, _) = c.evolve(y, ex, inh, t);
            let want = closed(&c, y, ex, inh, t);
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
    }

    #[test]
    fn crossing_time_is_exact_and_the_first_one() {
        let c = LifExpConsts::new(&params(0.0));
        // A strong excitatory current from rest: V rises, crosses, peaks, falls.
        let (y, ex) = (0.0, 5000.0);
        let s = c.first_crossing(y, ex, 0.0).expect("crosses");
        assert!((closed(&c, y, ex, 0.0, s) - c.levels.theta).abs() < 1e-10);
        // Before s the trajectory stays below threshold.
        for k in 1..1000 {
            assert!(closed(&c, y, ex, 0.0, s * k as f64 / 1000.0 * 0.999_999) < c.levels.theta);
        }
        // Too weak to reach threshold: never.
        assert_eq!(c.first_crossing(0.0, 1000.0, 0.0), None);
        // Supra-threshold bias current alone: the lif_delta closed form.
        let c = LifExpConsts::new(&params(400.0));
        let s = c.first_crossing(0.0, 0.0, 0.0).unwrap();
        let want = 10.0 * ((c.v_inf - 0.0) / (c.v_inf - c.levels.theta)).ln();
        assert!((s - want).abs() < 1e-10, "{s} vs {want}");
    }

    #[test]
    fn a_brief_grazing_crossing_is_found() {
        // From det_net_exp neuron 156 at 34.18 ms: V creeps over threshold
        // between 1.44 and 1.98 ms later and turns back (peak 15.0054 mV).
        let c = LifExpConsts::new(&LifExpParams {
            I_e: 300.0,
            ..params(0.0)
        });
        let s = c
            .first_crossing(14.695944533, 175.606, 0.0)
            .expect("crosses");
        assert!((s - 1.436).abs() < 0.01, "{s}");
        assert!((c.evolve(14.695944533, 175.606, 0.0, s).0 - c.levels.theta).abs() < 1e-12);
        // Both currents, slow inhibition: still the first crossing.
        let s = c.first_crossing(10.0, 3000.0, -400.0).expect("crosses");
        for k in 1..2000 {
            assert!(
                closed(&c, 10.0, 3000.0, -400.0, s * k as f64 / 2000.0 * 0.999_999)
                    < c.levels.theta
            );
        }
    }

    #[test]
    fn refractoriness_clamps_v_but_not_the_currents() {
        let c = LifExpConsts::new(&params(0.0));
        let mut n = c.initial(0, -70.0);
        n.start(&c, Time::ZERO);
        let r = n.on_input(&c, Time::from_ms(1.0).unwrap(), 0.0, 20_000.0, 0.0);
        let volley_engine::Forecast::At(tf) = r.forecast else {
            panic!("must forecast a spike")
        };
        let r = n.on_forecast(&c, tf);
        assert!(r.spiked);
        // Inputs during refractoriness add to the currents; V stays at reset.
        let t = tf.saturating_add(Time::from_ms(1.0).unwrap());
        n.on_input(&c, t, 0.0, 0.0, -300.0);
        assert_eq!(n.v_m(&c), -70.0);
        assert!(n.syn()[1] < -299.0);
    }

    proptest::proptest! {
        /// The quick test rules a crossing out only where the ceiling does,
        /// also for states whose ceiling is within rounding of threshold.
        #[test]
        fn the_quick_test_rules_out_only_what_the_ceiling_does(
            tau_ex in 0.1f64..20.0,
            tau_in in 0.1f64..20.0,
            c_m in 1.0f64..1000.0,
            i_e in -500.0f64..500.0,
            y in -60.0f64..15.0,
            share in 0.0f64..1.0,
            nudge in proptest::prop_oneof![-1e-12f64..1e-12, -1e-15f64..1e-15],
        ) {
            let p = LifExpParams { tau_syn_ex: tau_ex, tau_syn_in: tau_in, C_m: c_m, ..params(i_e) };
            let c = LifExpConsts::new(&p);
            // Currents whose charge brings the ceiling to threshold (give or take `nudge`).
            let room = (c.levels.theta - y.max(c.v_inf)).max(0.0) * (1.0 + nudge);
            let i_ex = room * share * c_m / tau_ex;
            let i_in = room * (1.0 - share) * c_m / tau_in;
            for (ex, inh) in [(i_ex, i_in), (i_ex, -i_in), (-i_ex, i_in), (0.0, 0.0)] {
                if c.quickly_ruled_out(y, ex, inh) {
                    proptest::prop_assert!(c.ceiling(y, ex, inh) < c.levels.theta);
                }
            }
        }
    }
}
