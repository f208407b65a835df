//! The checks every LIF model's parameters share: which values the exact
//! solutions are computed for, and the refractory period kept after a spike.

use volley_engine::Time;

/// The parameters every LIF model shares, for one validation.
pub(crate) struct LifCommon {
    pub tau_m: f64,
    pub c_m: f64,
    pub t_ref: f64,
    pub e_l: f64,
    pub v_reset: f64,
    pub v_th: f64,
    pub i_e: f64,
    pub v_m: Option<f64>,
    pub tau_minus: Option<f64>,
    /// Whether `tau_m = inf` (no leak: a perfect integrator) is allowed.
    pub leak_free: bool,
}

/// The range of time constants (ms) and capacitances (pF) the exact
/// solutions are computed for: beyond it their ratios and inverses leave
/// f64's range (a NaN membrane would never spike, silently).
const SCALE_RANGE: (f64, f64) = (1e-9, 1e12);
/// The largest potential magnitude (mV) a LIF parameter may have.
const MAX_POTENTIAL_MV: f64 = 1e6;
/// The largest constant current magnitude (pA).
const MAX_CURRENT_PA: f64 = 1e15;

/// `v` (a time constant or capacitance named `key`) lies in [`SCALE_RANGE`].
pub(crate) fn in_scale(
    key: &'static str,
    v: f64,
    unit: &str,
) -> Result<(), (&'static str, String)> {
    let (lo, hi) = SCALE_RANGE;
    if (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err((
            key,
            format!("must be from {lo:e} to {hi:e} {unit}, got {v:e}"),
        ))
    }
}

/// Check the shared LIF parameters; the error names the parameter.
pub(crate) fn validate_lif(p: &LifCommon) -> Result<(), (&'static str, String)> {
    // `tau_m = inf`: no leak (NIR's IF and I), exact as the decay factor is
    // then exactly 1; with a constant current the potential would ramp,
    // which the exponential solution does not express.
    let no_leak = p.leak_free && p.tau_m == f64::INFINITY;
    if no_leak && p.i_e != 0.0 {
        return Err(("I_e", "must be 0 with tau_m = inf (no leak)".into()));
    }
    // `V_th = inf`: a neuron that never fires (NIR's LI, I, CubaLI).
    let v_th = if p.v_th == f64::INFINITY { 0.0 } else { p.v_th };
    let finite = [
        ("tau_m", if no_leak { 1.0 } else { p.tau_m }),
        ("C_m", p.c_m),
        ("t_ref", p.t_ref),
        ("E_L", p.e_l),
        ("V_reset", p.v_reset),
        ("V_th", v_th),
        ("I_e", p.i_e),
    ];
    for (k, v) in finite {
        if !v.is_finite() {
            return Err((k, format!("must be a finite number, got {v}")));
        }
    }
    if !no_leak {
        in_scale("tau_m", p.tau_m, "ms")?;
    }
    in_scale("C_m", p.c_m, "pF")?;
    for (k, v) in [("E_L", p.e_l), ("V_reset", p.v_reset), ("V_th", v_th)] {
        if v.abs() > MAX_POTENTIAL_MV {
            return Err((
                k,
                format!("must be within ±{MAX_POTENTIAL_MV:e} mV, got {v}"),
            ));
        }
    }
    if p.i_e.abs() > MAX_CURRENT_PA {
        let m = format!("must be within ±{MAX_CURRENT_PA:e} pA, got {}", p.i_e);
        return Err(("I_e", m));
    }
    if p.t_ref < 0.0 || Time::from_ms(p.t_ref).is_none() {
        return Err(("t_ref", format!("must be >= 0 ms, got {}", p.t_ref)));
    }
    if p.v_reset >= p.v_th {
        return Err((
            "V_reset",
            format!("must be below V_th ({} mV), got {}", p.v_th, p.v_reset),
        ));
    }
    if let Some(v) = p.v_m {
        if !v.is_finite() {
            return Err(("V_m", format!("must be a finite number, got {v}")));
        }
    }
    if let Some(v) = p.tau_minus {
        if !(v > 0.0 && v.is_finite()) {
            return Err(("tau_minus", format!("must be > 0 ms, got {v}")));
        }
    }
    Ok(())
}

/// The refractory period a neuron keeps after a spike: `t_ref`, and at least
/// one tick. A neuron fires at most once per tick, so `t_ref = 0` with a
/// drive that re-crosses threshold at once (a huge `I_e`) gives one spike per
/// tick (1/1024 µs), not unboundedly many at one instant.
pub(crate) fn refractory_period(t_ref_ms: f64) -> Time {
    Time::from_ms_saturating(t_ref_ms).max(Time(1))
}
