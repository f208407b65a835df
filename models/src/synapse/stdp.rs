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

use super::post_trace::PostTrace;
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
        for (k, v) in [
            ("tau_plus", self.tau_plus),
            ("lambda", self.lambda),
            ("alpha", self.alpha),
            ("mu_plus", self.mu_plus),
            ("mu_minus", self.mu_minus),
            ("Wmax", self.Wmax),
        ] {
            if !v.is_finite() {
                return Err((k, format!("must be a finite number, got {v}")));
            }
        }
        if self.tau_plus <= 0.0 {
            return Err(("tau_plus", format!("must be > 0 ms, got {}", self.tau_plus)));
        }
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
        let norm = w / self.Wmax + self.lambda * (1.0 - w / self.Wmax).powf(self.mu_plus) * k;
        if norm < 1.0 {
            norm * self.Wmax
        } else {
            self.Wmax
        }
    }

    #[inline]
    fn depress(&self, w: f64, k: f64) -> f64 {
        let norm =
            w / self.Wmax - self.alpha * self.lambda * (w / self.Wmax).powf(self.mu_minus) * k;
        if norm > 0.0 {
            norm * self.Wmax
        } else {
            0.0
        }
    }

    fn tau_plus(&self) -> f64 {
        self.tau_plus
    }

    fn pairing(&self) -> StdpPairing {
        self.pairing
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
        for (k, v) in [
            ("tau_plus", self.tau_plus),
            ("lambda", self.lambda),
            ("alpha", self.alpha),
            ("mu", self.mu),
        ] {
            if !v.is_finite() {
                return Err((k, format!("must be a finite number, got {v}")));
            }
        }
        if self.tau_plus <= 0.0 {
            return Err(("tau_plus", format!("must be > 0 ms, got {}", self.tau_plus)));
        }
        Ok(())
    }

    /// Power-law weights are excitatory.
    pub fn check_weight(&self, w: f64) -> Result<(), String> {
        if w < 0.0 {
            return Err(format!("weight {w} must be >= 0 (stdp_pl)"));
        }
        Ok(())
    }
}

impl WeightRule for StdpPlParams {
    #[inline]
    fn facilitate(&self, w: f64, k: f64) -> f64 {
        w + self.lambda * w.powf(self.mu) * k
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
}

/// One presynaptic spike at `t` through a synapse of delay `d` onto a
/// neuron with spike history `post`: updates `(weight, kplus, t_last)` and
/// returns the weight to transmit.
#[inline]
pub fn on_pre<R: WeightRule>(
    rule: &R,
    weight: &mut f64,
    kplus: &mut f64,
    t_last: &mut f64,
    t: f64,
    d: f64,
    post: &mut PostTrace,
) -> f64 {
    let mut w = *weight;
    let last = *t_last;
    let (tau_plus, pairing) = (rule.tau_plus(), rule.pairing());
    for t_post in post.read_between(last - d, t - d) {
        let minus_dt = last - (t_post + d);
        let k = match pairing {
            StdpPairing::AllToAll => *kplus * (minus_dt / tau_plus).exp(),
            StdpPairing::NearestSymmetric => (minus_dt / tau_plus).exp(),
        };
        w = rule.facilitate(w, k);
    }
    let kminus = match pairing {
        StdpPairing::AllToAll => post.k_value(t - d),
        StdpPairing::NearestSymmetric => post.nearest_k_value(t - d),
    };
    w = rule.depress(w, kminus);
    if pairing == StdpPairing::AllToAll {
        *kplus = *kplus * ((last - t) / tau_plus).exp() + 1.0;
    }
    *t_last = t;
    *weight = w;
    w
}
