//! Tsodyks–Markram short-term plasticity as NEST's `tsodyks2_synapse`.
//!
//! Per synapse: the fraction of available resources `x` and the release
//! probability `u`. A presynaptic spike `h` ms after the previous one first
//! lets both relax exactly — `x ← 1 + (x - x u - 1) e^{-h/tau_rec}`,
//! `u ← U + u (1 - U) e^{-h/tau_fac}` (no facilitation if `tau_fac = 0`) —
//! then transmits `x u weight`. The first spike transmits with the initial
//! `x` and `u`.

use serde::Deserialize;

/// Parameters and initial state (NEST names and defaults).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct Tsodyks2Params {
    /// Increment of `u` per spike (and its resting value).
    #[serde(default = "d_half")]
    pub U: f64,
    /// Initial release probability. Default: `U` (NEST's default is 0.5
    /// whatever `U` is; give `u` to reproduce that).
    #[serde(default)]
    pub u: Option<f64>,
    /// Initial fraction of available resources.
    #[serde(default = "d_one")]
    pub x: f64,
    /// Recovery time constant (ms).
    #[serde(default = "d_tau_rec")]
    pub tau_rec: f64,
    /// Facilitation time constant (ms); 0 disables facilitation.
    #[serde(default)]
    pub tau_fac: f64,
}

fn d_half() -> f64 {
    0.5
}
fn d_one() -> f64 {
    1.0
}
fn d_tau_rec() -> f64 {
    800.0
}

impl Tsodyks2Params {
    /// Check ranges; the error names the parameter.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        let unit = |k: &'static str, v: f64| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err((k, format!("must be in [0, 1], got {v}")))
            }
        };
        unit("U", self.U)?;
        unit("u", self.initial_u())?;
        unit("x", self.x)?;
        if !(self.tau_rec > 0.0 && self.tau_rec.is_finite()) {
            return Err(("tau_rec", format!("must be > 0 ms, got {}", self.tau_rec)));
        }
        if !(self.tau_fac >= 0.0 && self.tau_fac.is_finite()) {
            return Err(("tau_fac", format!("must be >= 0 ms, got {}", self.tau_fac)));
        }
        Ok(())
    }

    /// The initial `u`.
    pub fn initial_u(&self) -> f64 {
        self.u.unwrap_or(self.U)
    }

    /// One presynaptic spike at `t`: updates `(x, u, t_last)` (`t_last < 0`
    /// before the first spike) and returns the transmitted weight.
    pub fn on_pre(&self, weight: f64, x: &mut f64, u: &mut f64, t_last: &mut f64, t: f64) -> f64 {
        if *t_last >= 0.0 {
            let h = t - *t_last;
            let x_decay = (-h / self.tau_rec).exp();
            let u_decay = if self.tau_fac == 0.0 {
                0.0
            } else {
                (-h / self.tau_fac).exp()
            };
            *x = 1.0 + (*x - *x * *u - 1.0) * x_decay;
            *u = self.U + *u * (1.0 - self.U) * u_decay;
        }
        *t_last = t;
        *x * *u * weight
    }
}
