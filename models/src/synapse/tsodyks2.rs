//! Tsodyks–Markram short-term plasticity as NEST's `tsodyks2_synapse`.
//!
//! Per synapse: the fraction of available resources `x` and the release
//! probability `u` (they change with the presynaptic spikes only, so the
//! store keeps them once for the synapses of one source, delay and rule).
//! A presynaptic spike `h` ms after the previous one first lets both relax
//! exactly — `x ← 1 + (x - x u - 1) e^{-h/tau_rec}`,
//! `u ← U + u (1 - U) e^{-h/tau_fac}` (no facilitation if `tau_fac = 0`) —
//! then transmits `x u weight`. The first spike transmits with the initial
//! `x` and `u`.

use super::post_trace::ExpMemo;
use serde::Deserialize;

/// The last recovery and facilitation decays, kept: the synapses of one
/// run have the same interval since their source's last spike.
#[derive(Clone, Copy, Debug, Default)]
pub struct Decays {
    recovery: ExpMemo,
    facilitation: ExpMemo,
}

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
    /// before the first spike) and returns `x u`, which a synapse of weight
    /// `w` transmits as `x u w`. `x`, `u` and `t_last` change with the
    /// presynaptic spikes only, so the synapses of one source share them.
    #[inline]
    pub fn on_pre(
        &self,
        x: &mut f64,
        u: &mut f64,
        t_last: &mut f64,
        t: f64,
        decays: &mut Decays,
    ) -> f64 {
        if *t_last >= 0.0 {
            let h = t - *t_last;
            let x_decay = decays.recovery.exp(-h / self.tau_rec);
            let u_decay = if self.tau_fac == 0.0 {
                0.0
            } else {
                decays.facilitation.exp(-h / self.tau_fac)
            };
            *x = 1.0 + (*x - *x * *u - 1.0) * x_decay;
            *u = self.U + *u * (1.0 - self.U) * u_decay;
        }
        *t_last = t;
        *x * *u
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_train_depresses_to_the_known_steady_state() {
        // Depression only: x* = (1 - E) / (1 - (1 - U) E), E = e^{-h/tau_rec}.
        let p = Tsodyks2Params {
            U: 0.4,
            u: None,
            x: 1.0,
            tau_rec: 300.0,
            tau_fac: 0.0,
        };
        let (mut x, mut u, mut last) = (p.x, p.initial_u(), -1.0);
        let mut memo = Decays::default();
        let h = 25.0;
        let first = p.on_pre(&mut x, &mut u, &mut last, 10.0, &mut memo) * 2.0;
        assert_eq!(first, 0.4 * 2.0);
        let mut w = first;
        for k in 1..400 {
            w = p.on_pre(
                &mut x,
                &mut u,
                &mut last,
                10.0 + h * f64::from(k),
                &mut memo,
            ) * 2.0;
        }
        let e = (-h / 300.0f64).exp();
        let x_star = (1.0 - e) / (1.0 - (1.0 - 0.4) * e);
        assert!((w - 0.4 * x_star * 2.0).abs() < 1e-12, "{w}");
    }

    #[test]
    fn facilitation_raises_u_towards_its_fixed_point() {
        // No depression to speak of (tau_rec tiny): u* = U / (1 - (1 - U) F), F = e^{-h/tau_fac}.
        let p = Tsodyks2Params {
            U: 0.1,
            u: None,
            x: 1.0,
            tau_rec: 1e-3,
            tau_fac: 100.0,
        };
        let (mut x, mut u, mut last) = (p.x, p.initial_u(), -1.0);
        let mut memo = Decays::default();
        for k in 0..300 {
            p.on_pre(
                &mut x,
                &mut u,
                &mut last,
                20.0 * f64::from(k + 1),
                &mut memo,
            );
        }
        let f = (-20.0f64 / 100.0).exp();
        assert!((u - 0.1 / (1.0 - 0.9 * f)).abs() < 1e-12, "{u}");
    }
}
