//! Pair-based STDP as NEST's `stdp_synapse` and `stdp_nn_symm_synapse`.
//!
//! Per synapse: the weight, the presynaptic trace `Kplus` and the time of
//! the last presynaptic spike. When a presynaptic spike at `t` passes (the
//! delay `d` is dendritic), the synapse
//! 1. facilitates once per postsynaptic spike `t_post` with
//!    `t_last - d < t_post <= t - d`, by the presynaptic trace seen at
//!    `t_post + d` (all-to-all: `Kplus` decayed; nearest: `exp(-Δ/tau_plus)`);
//! 2. depresses by the postsynaptic trace at `t - d` (all-to-all: `Kminus`
//!    of every earlier post spike; nearest: the latest one only);
//! 3. transmits the new weight, and (all-to-all) adds 1 to `Kplus`.
//!
//! `facilitate`: `w/Wmax + lambda (1 - w/Wmax)^mu_plus K`, capped at 1;
//! `depress`: `w/Wmax - alpha lambda (w/Wmax)^mu_minus K`, floored at 0;
//! both scaled back by `Wmax`. `mu = 0` is additive, `mu = 1` multiplicative.
//! `stdp_pl` (NEST `stdp_pl_synapse_hom`, as in NEST's `hpc_benchmark`) is
//! the power-law variant: `w + lambda w^mu K` and `w - alpha lambda w K`.

use crate::libm_bits::{pow, pow_each};
use serde::Deserialize;

/// Which spike pairs count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StdpPairing {
    /// Every pre spike with every post spike (`stdp`).
    #[default]
    AllToAll,
    /// Each spike with the nearest one of the other side (`stdp_nn_symm`).
    NearestSymmetric,
}

/// STDP parameters (NEST names and defaults).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct StdpParams {
    /// Time constant of the presynaptic trace (ms).
    #[serde(default = "d_tau_plus")]
    pub tau_plus: f64,
    /// Step size.
    #[serde(default = "d_lambda")]
    pub lambda: f64,
    /// Asymmetry: depression step over facilitation step.
    #[serde(default = "d_one")]
    pub alpha: f64,
    /// Weight dependence exponent of facilitation.
    #[serde(default = "d_one")]
    pub mu_plus: f64,
    /// Weight dependence exponent of depression.
    #[serde(default = "d_one")]
    pub mu_minus: f64,
    /// Maximum weight (same sign as the weight).
    #[serde(default = "d_wmax")]
    pub Wmax: f64,
    /// Set from the model name.
    #[serde(skip)]
    pub pairing: StdpPairing,
}

/// `tau_plus` > 0 and every other parameter finite; the error names it.
fn check_params(
    tau_plus: f64,
    others: &[(&'static str, f64)],
) -> Result<(), (&'static str, String)> {
    if !(tau_plus > 0.0 && tau_plus.is_finite()) {
        return Err(("tau_plus", format!("must be > 0 ms, got {tau_plus}")));
    }
    for &(k, v) in others {
        if !v.is_finite() {
            return Err((k, format!("must be a finite number, got {v}")));
        }
    }
    Ok(())
}

fn d_tau_plus() -> f64 {
    20.0
}
fn d_lambda() -> f64 {
    0.01
}
fn d_one() -> f64 {
    1.0
}
fn d_wmax() -> f64 {
    100.0
}

impl StdpParams {
    /// Check ranges; the error names the parameter.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        check_params(
            self.tau_plus,
            &[
                ("lambda", self.lambda),
                ("alpha", self.alpha),
                ("mu_plus", self.mu_plus),
                ("mu_minus", self.mu_minus),
                ("Wmax", self.Wmax),
            ],
        )?;
        if self.Wmax == 0.0 {
            return Err(("Wmax", "must not be 0".into()));
        }
        Ok(())
    }

    /// NEST's rule: weight and `Wmax` have the same sign.
    pub fn check_weight(&self, w: f64) -> Result<(), String> {
        if w.is_sign_negative() != self.Wmax.is_sign_negative() {
            return Err(format!(
                "weight {w} and Wmax {} must have the same sign (stdp)",
                self.Wmax
            ));
        }
        Ok(())
    }
}

impl WeightRule for StdpParams {
    #[inline]
    fn facilitate(&self, w: f64, k: f64) -> f64 {
        Powers::<AnyMu, AnyMu>::facilitate(self, w, k)
    }

    #[inline]
    fn depress(&self, w: f64, k: f64) -> f64 {
        Powers::<AnyMu, AnyMu>::depress(self, w, k)
    }

    #[inline]
    fn facilitate_each(&self, w: &[f64], k: &[f64], out: &mut [f64], lanes: &mut Lanes) {
        Powers::<AnyMu, AnyMu>::facilitate_each(self, w, k, out, lanes);
    }

    #[inline]
    fn depress_each(&self, w: &mut [f64], k: &[f64], lanes: &mut Lanes) {
        Powers::<AnyMu, AnyMu>::depress_each(self, w, k, lanes);
    }

    fn tau_plus(&self) -> f64 {
        self.tau_plus
    }

    fn pairing(&self) -> StdpPairing {
        self.pairing
    }
}

/// How `x^mu` is taken for one of the exponents of [`StdpParams`].
pub trait Power {
    /// `x^mu`, bit for bit `x.powf(mu)`.
    fn of(x: f64, mu: f64) -> f64;

    /// `out[i] = x[i]^mu`, bit for bit.
    #[inline]
    fn of_each(x: &[f64], mu: f64, out: &mut [f64]) {
        for (o, &x) in out.iter_mut().zip(x) {
            *o = Self::of(x, mu);
        }
    }
}

/// Any exponent: `pow`.
pub enum AnyMu {}
/// An exponent known to be 1 (multiplicative): `pow(x, 1)` is `x` (glibc's
/// `pow` is within 0.52 ULP, and `x` is the only float that close to `x^1`;
/// `power_of_zero_and_one_is_pows_value` checks it).
pub enum MuOne {}
/// An exponent known to be 0 (additive): `pow(x, 0)` is 1 for every `x`.
pub enum MuZero {}

impl Power for AnyMu {
    #[inline]
    fn of(x: f64, mu: f64) -> f64 {
        pow(x, mu)
    }

    #[inline]
    fn of_each(x: &[f64], mu: f64, out: &mut [f64]) {
        pow_each(x, mu, out);
    }
}

impl Power for MuOne {
    #[inline]
    fn of(x: f64, _: f64) -> f64 {
        x
    }
}

impl Power for MuZero {
    #[inline]
    fn of(_: f64, _: f64) -> f64 {
        1.0
    }
}

/// [`StdpParams`] with the powers of `mu_plus` (`P`) and `mu_minus` (`M`)
/// chosen at compile time: the multiplicative and additive rules then call
/// no `pow`, which costs more than the rest of their update.
pub struct Powers<'a, P, M>(&'a StdpParams, std::marker::PhantomData<(P, M)>);

impl<'a, P: Power, M: Power> Powers<'a, P, M> {
    /// The rule `params`, whose exponents `P` and `M` must take.
    pub fn new(params: &'a StdpParams) -> Self {
        debug_assert!(P::of(0.5, params.mu_plus) == 0.5f64.powf(params.mu_plus));
        debug_assert!(M::of(0.5, params.mu_minus) == 0.5f64.powf(params.mu_minus));
        Powers(params, std::marker::PhantomData)
    }

    #[inline]
    fn facilitate(p: &StdpParams, w: f64, k: f64) -> f64 {
        Self::facilitated(p, w, P::of(1.0 - w / p.Wmax, p.mu_plus), k)
    }

    /// The weight `w` facilitated by `k`, given `(1 - w/Wmax)^mu_plus`.
    #[inline(always)]
    fn facilitated(p: &StdpParams, w: f64, power: f64, k: f64) -> f64 {
        let norm = w / p.Wmax + p.lambda * power * k;
        if norm < 1.0 {
            norm * p.Wmax
        } else {
            p.Wmax
        }
    }

    #[inline]
    fn depress(p: &StdpParams, w: f64, k: f64) -> f64 {
        Self::depressed(p, w, M::of(w / p.Wmax, p.mu_minus), k)
    }

    /// The weight `w` depressed by `k`, given `(w/Wmax)^mu_minus`.
    #[inline(always)]
    fn depressed(p: &StdpParams, w: f64, power: f64, k: f64) -> f64 {
        let norm = w / p.Wmax - p.alpha * p.lambda * power * k;
        if norm > 0.0 {
            norm * p.Wmax
        } else {
            0.0
        }
    }

    #[inline]
    fn facilitate_each(p: &StdpParams, w: &[f64], k: &[f64], out: &mut [f64], lanes: &mut Lanes) {
        let (x, power) = lanes.two(w.len());
        for (x, &w) in x.iter_mut().zip(w) {
            *x = 1.0 - w / p.Wmax;
        }
        P::of_each(x, p.mu_plus, power);
        for (((o, &w), &power), &k) in out.iter_mut().zip(w).zip(power.iter()).zip(k) {
            *o = Self::facilitated(p, w, power, k);
        }
    }

    #[inline]
    fn depress_each(p: &StdpParams, w: &mut [f64], k: &[f64], lanes: &mut Lanes) {
        let (x, power) = lanes.two(w.len());
        for (x, &w) in x.iter_mut().zip(w.iter()) {
            *x = w / p.Wmax;
        }
        M::of_each(x, p.mu_minus, power);
        for ((w, &power), &k) in w.iter_mut().zip(power.iter()).zip(k) {
            *w = Self::depressed(p, *w, power, k);
        }
    }
}

impl<P: Power, M: Power> WeightRule for Powers<'_, P, M> {
    #[inline]
    fn facilitate(&self, w: f64, k: f64) -> f64 {
        Self::facilitate(self.0, w, k)
    }

    #[inline]
    fn depress(&self, w: f64, k: f64) -> f64 {
        Self::depress(self.0, w, k)
    }

    #[inline]
    fn facilitate_each(&self, w: &[f64], k: &[f64], out: &mut [f64], lanes: &mut Lanes) {
        Self::facilitate_each(self.0, w, k, out, lanes);
    }

    #[inline]
    fn depress_each(&self, w: &mut [f64], k: &[f64], lanes: &mut Lanes) {
        Self::depress_each(self.0, w, k, lanes);
    }

    fn tau_plus(&self) -> f64 {
        self.0.tau_plus
    }

    fn pairing(&self) -> StdpPairing {
        self.0.pairing
    }
}

/// Power-law STDP parameters (NEST `stdp_pl_synapse_hom` names and
/// defaults): facilitation `w + lambda w^mu K`, depression
/// `w - alpha lambda w K` floored at 0, no upper bound.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StdpPlParams {
    /// Time constant of the presynaptic trace (ms).
    #[serde(default = "d_tau_plus")]
    pub tau_plus: f64,
    /// Step size.
    #[serde(default = "d_pl_lambda")]
    pub lambda: f64,
    /// Asymmetry: depression step over facilitation step.
    #[serde(default = "d_one")]
    pub alpha: f64,
    /// Weight dependence exponent of facilitation.
    #[serde(default = "d_mu")]
    pub mu: f64,
}

fn d_pl_lambda() -> f64 {
    0.1
}
fn d_mu() -> f64 {
    0.4
}

impl StdpPlParams {
    /// Check ranges; the error names the parameter.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        check_params(
            self.tau_plus,
            &[
                ("lambda", self.lambda),
                ("alpha", self.alpha),
                ("mu", self.mu),
            ],
        )
    }

    /// Power-law weights are excitatory.
    pub fn check_weight(&self, w: f64) -> Result<(), String> {
        if w < 0.0 {
            return Err(format!("weight {w} must be >= 0 (stdp_pl)"));
        }
        Ok(())
    }

    /// The weight `w` facilitated by `k`, given `w^mu`.
    #[inline(always)]
    fn facilitated(&self, w: f64, power: f64, k: f64) -> f64 {
        w + self.lambda * power * k
    }
}

impl WeightRule for StdpPlParams {
    #[inline]
    fn facilitate(&self, w: f64, k: f64) -> f64 {
        self.facilitated(w, pow(w, self.mu), k)
    }

    #[inline]
    fn facilitate_each(&self, w: &[f64], k: &[f64], out: &mut [f64], lanes: &mut Lanes) {
        let (power, _) = lanes.two(w.len());
        pow_each(w, self.mu, power);
        for (((o, &w), &power), &k) in out.iter_mut().zip(w).zip(power.iter()).zip(k) {
            *o = self.facilitated(w, power, k);
        }
    }

    #[inline]
    fn depress(&self, w: f64, k: f64) -> f64 {
        let w = w - self.lambda * self.alpha * w * k;
        if w > 0.0 {
            w
        } else {
            0.0
        }
    }

    fn tau_plus(&self) -> f64 {
        self.tau_plus
    }

    fn pairing(&self) -> StdpPairing {
        StdpPairing::AllToAll
    }
}

/// How an STDP model changes a weight, given a trace value.
pub trait WeightRule {
    /// After a post spike: the weight given the presynaptic trace `k`.
    fn facilitate(&self, w: f64, k: f64) -> f64;
    /// After a pre spike: the weight given the postsynaptic trace `k`.
    fn depress(&self, w: f64, k: f64) -> f64;
    /// Presynaptic trace time constant (ms).
    fn tau_plus(&self) -> f64;
    /// Which pairs count.
    fn pairing(&self) -> StdpPairing;

    /// `out[i] = facilitate(w[i], k[i])` for all `i`, bit for bit (a rule
    /// with a power takes them all at once, in vector instructions).
    #[inline]
    fn facilitate_each(&self, w: &[f64], k: &[f64], out: &mut [f64], _lanes: &mut Lanes) {
        for ((o, &w), &k) in out.iter_mut().zip(w).zip(k) {
            *o = self.facilitate(w, k);
        }
    }

    /// `w[i] = depress(w[i], k[i])` for all `i`, bit for bit.
    #[inline]
    fn depress_each(&self, w: &mut [f64], k: &[f64], _lanes: &mut Lanes) {
        for (w, &k) in w.iter_mut().zip(k) {
            *w = self.depress(*w, k);
        }
    }
}

/// Two rows of room for the `_each` methods of [`WeightRule`], kept
/// between calls (no allocation per spike).
#[derive(Clone, Debug, Default)]
pub struct Lanes {
    x: Vec<f64>,
    y: Vec<f64>,
}

impl Lanes {
    /// Two rows of `n`.
    #[inline]
    pub(super) fn two(&mut self, n: usize) -> (&mut [f64], &mut [f64]) {
        self.x.resize(n, 0.0);
        self.y.resize(n, 0.0);
        (&mut self.x[..n], &mut self.y[..n])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// `MuOne` and `MuZero` give `pow`'s bits, and so do the rules built on them.
        #[test]
        fn power_of_zero_and_one_is_pows_value(bits in any::<u64>(), x in -4.0f64..4.0, w in 0.0f64..4.0, k in 0.0f64..3.0) {
            for x in [f64::from_bits(bits), x] {
                for (ours, mu) in [(MuZero::of(x, 0.0), 0.0), (MuOne::of(x, 1.0), 1.0)] {
                    let pow = x.powf(mu);
                    prop_assert!(ours.to_bits() == pow.to_bits() || (ours.is_nan() && pow.is_nan()), "{}^{}: {} vs {}", x, mu, ours, pow);
                }
            }
            let rule = |mu| StdpParams { tau_plus: 15.0, lambda: 0.01, alpha: 1.1, mu_plus: mu, mu_minus: mu, Wmax: 4.0, pairing: StdpPairing::AllToAll };
            let (one, zero) = (rule(1.0), rule(0.0));
            let (one_s, zero_s) = (Powers::<MuOne, MuOne>::new(&one), Powers::<MuZero, MuZero>::new(&zero));
            prop_assert_eq!(one_s.facilitate(w, k).to_bits(), one.facilitate(w, k).to_bits());
            prop_assert_eq!(one_s.depress(w, k).to_bits(), one.depress(w, k).to_bits());
            prop_assert_eq!(zero_s.facilitate(w, k).to_bits(), zero.facilitate(w, k).to_bits());
            prop_assert_eq!(zero_s.depress(w, k).to_bits(), zero.depress(w, k).to_bits());
        }
    }
}
