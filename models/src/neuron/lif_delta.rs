//! `lif_delta`: leaky integrate-and-fire neuron with delta-shaped synaptic
//! input, solved exactly in continuous time — the semantics of NEST's
//! `iaf_psc_delta_ps`:
//! - between events `dV/dt = -(V - E_L)/tau_m + I_e/C_m`, integrated exactly
//!   (expm1 form, as NEST);
//! - an input of weight `w` (mV) makes `V += w` at its arrival time; all inputs
//!   arriving at the same instant are summed before the threshold test;
//! - the neuron fires when `V >= V_th`, at the arrival time, or, driven by a
//!   supra-threshold `I_e`, at the analytic crossing time
//!   `t0 + tau_m·ln((V_inf - V0)/(V_inf - V_th))`; the emitted spike carries
//!   that time rounded to the nearest tick, while the neuron keeps the exact
//!   sub-tick remainder (`lag`) so rounding never accumulates over a train of
//!   self-driven spikes (as NEST keeps a step + offset pair);
//! - after a spike `V = V_reset` for exactly `t_ref`; inputs arriving while
//!   refractory are discarded, an input exactly at the end is accepted.

use super::decay::DecayTable;
use super::saved::saved_fields;
use serde::Deserialize;
use std::sync::Arc;
use volley_engine::{Forecast, Outcome, Response, Time};

/// The state variables a multimeter can record (NEST's names).
pub const RECORDABLES: &[&str] = &["V_m"];

/// Parameters, with NEST's names and units (ms, mV, pF, pA).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct LifDeltaParams {
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
}

impl LifDeltaParams {
    /// The parameters the membrane dynamics depend on (not the initial
    /// potential, not STDP's trace constant).
    pub fn dynamics(&self) -> LifDeltaParams {
        LifDeltaParams {
            V_m: None,
            tau_minus: None,
            ..self.clone()
        }
    }

    /// Check ranges; the message names the parameter.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
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
            leak_free: true,
        })
    }
}

/// Constants derived once per parameter set (relative to `E_L`).
#[derive(Clone, Debug)]
pub struct LifDeltaConsts {
    tau_m: f64,
    /// `expm1(-dt/tau_m)` for whole-tick gaps (shared by equal `tau_m`).
    decay: Arc<DecayTable>,
    /// Asymptotic potential under `I_e` alone, relative to E_L.
    v_inf: f64,
    theta: f64,
    reset: f64,
    v_min: f64,
    t_ref: Time,
    /// Whether `I_e` alone drives the neuron over threshold.
    self_firing: bool,
    /// Time (ms) from the end of refractoriness to the next current-driven crossing.
    reset_to_crossing_ms: f64,
    /// E_L, to report absolute potentials.
    e_l: f64,
}

impl LifDeltaConsts {
    /// Derive the constants of validated parameters.
    pub fn new(p: &LifDeltaParams) -> Self {
        Self::with_decay(p, Arc::new(DecayTable::new(p.tau_m)))
    }

    /// The same, reusing `decay` (built for `p.tau_m`).
    pub fn with_decay(p: &LifDeltaParams, decay: Arc<DecayTable>) -> Self {
        debug_assert_eq!(decay.tau_ms(), p.tau_m);
        // No leak (`tau_m = inf`, `I_e = 0`): nothing to relax towards.
        let v_inf = if p.tau_m.is_infinite() {
            0.0
        } else {
            p.I_e * p.tau_m / p.C_m
        };
        let theta = p.V_th - p.E_L;
        let reset = p.V_reset - p.E_L;
        let self_firing = v_inf > theta;
        let reset_to_crossing_ms = if self_firing {
            p.tau_m * ((v_inf - reset) / (v_inf - theta)).ln()
        } else {
            f64::INFINITY
        };
        LifDeltaConsts {
            tau_m: p.tau_m,
            decay,
            v_inf,
            theta,
            reset,
            v_min: p.V_min.map(|v| v - p.E_L).unwrap_or(f64::NEG_INFINITY),
            t_ref: super::refractory_period(p.t_ref),
            self_firing,
            reset_to_crossing_ms,
            e_l: p.E_L,
        }
    }

    /// Whether `I_e` alone drives the neuron over threshold (then it
    /// forecasts its crossings).
    pub fn self_firing(&self) -> bool {
        self.self_firing
    }

    /// The decay table of `tau_m`.
    pub fn decay(&self) -> &DecayTable {
        &self.decay
    }

    /// The refractory period.
    pub fn t_ref(&self) -> Time {
        self.t_ref
    }

    /// The initial state of a neuron at potential `v_m` (absolute mV).
    pub fn initial(&self, v_m: f64) -> LifDeltaNeuron {
        LifDeltaNeuron {
            u: v_m - self.e_l,
            last: Time::ZERO,
            lag: 0.0,
            forecast_lag: 0.0,
        }
    }
}

/// One neuron's state: the potential relative to E_L at the exact time
/// `last + lag` (lag in ms, below half a tick; non-zero only after a
/// current-driven spike).
///
/// 32 bytes, 32-aligned: a record never straddles two cache lines, so one
/// prefetch brings all an input reads (its parameter set's index lives in
/// the store, beside it: with it here, 40-byte records straddled lines and
/// Brunel ran 4 % slower on an AMD EPYC).
#[derive(Clone, Copy, Debug)]
#[repr(align(32))]
pub struct LifDeltaNeuron {
    u: f64,
    last: Time,
    lag: f64,
    /// Sub-tick remainder of the pending forecast (exact = forecast tick + this).
    forecast_lag: f64,
}

saved_fields!(LifDeltaNeuron {
    u,
    last,
    lag,
    forecast_lag
});

impl LifDeltaNeuron {
    /// Membrane potential (absolute mV) at the last update.
    pub fn v_m(&self, c: &LifDeltaConsts) -> f64 {
        self.u + c.e_l
    }

    /// The end of the current refractory period, or an earlier time.
    ///
    /// A spike sets `last` to the end of refractoriness (the potential is
    /// `V_reset` from there on) and inputs come in time order, so "refractory
    /// at `t`" is exactly `t < last`: no separate field (8 bytes less per
    /// neuron, a slot in fewer cache lines).
    #[inline]
    pub fn refractory_until(&self) -> Time {
        self.last
    }

    /// Advance the potential exactly to `t + lag` (`decay` is `c`'s table).
    #[inline(always)]
    fn propagate(&mut self, c: &LifDeltaConsts, decay: &DecayTable, t: Time, lag: f64) {
        if lag != 0.0 || self.lag != 0.0 {
            return self.propagate_lagged(c, t, lag);
        }
        self.propagate_ticks(c, decay, t);
    }

    /// `propagate` by whole ticks (every input but current-driven spikes'
    /// targets); `t >= last` (earlier inputs are refractory, handled before).
    #[inline(always)]
    fn propagate_ticks(&mut self, c: &LifDeltaConsts, decay: &DecayTable, t: Time) {
        if t != self.last {
            debug_assert!(t > self.last);
            let e = decay.expm1_neg(t.0.wrapping_sub(self.last.0));
            self.relax(c, e);
            self.last = t;
        }
    }

    /// `propagate` to or from a sub-tick time (current-driven spikes and
    /// their targets: rare, and kept out of the inputs' inlined path).
    #[cold]
    #[inline(never)]
    fn propagate_lagged(&mut self, c: &LifDeltaConsts, t: Time, lag: f64) {
        if t != self.last || lag != self.lag {
            let dt = t.ms_since(self.last) + (lag - self.lag);
            if dt > 0.0 {
                self.relax(c, (-dt / c.tau_m).exp_m1());
            }
            self.last = t;
            self.lag = lag;
        }
    }

    /// Relax towards `v_inf` by the factor `e = expm1(-dt/tau_m)`. (A zero
    /// `e`, from a gap too small for `tau_m`, leaves `u` as it is.)
    #[inline(always)]
    fn relax(&mut self, c: &LifDeltaConsts, e: f64) {
        self.u = -c.v_inf * e + self.u * e + self.u;
    }

    /// Fire at `t + lag`: reset, refractory until `t + t_ref`.
    #[cold]
    #[inline(never)]
    fn reset(&mut self, c: &LifDeltaConsts, t: Time, lag: f64) {
        self.u = c.reset;
        self.last = t.saturating_add(c.t_ref);
        self.lag = lag;
    }

    /// What the engine is told of a spike just fired (after [`Self::reset`]).
    #[inline]
    fn spike_response(&mut self, c: &LifDeltaConsts, lag: f64) -> Response {
        Response {
            spiked: true,
            discarded: false,
            lag: lag as f32,
            forecast: if c.self_firing {
                self.forecast_after(c.reset_to_crossing_ms)
            } else {
                Forecast::Unchanged
            },
        }
    }

    #[inline]
    fn fire(&mut self, c: &LifDeltaConsts, t: Time, lag: f64) -> Response {
        self.reset(c, t, lag);
        self.spike_response(c, lag)
    }

    /// Forecast a crossing `dt_ms` after the exact last update time.
    #[inline]
    fn forecast_after(&mut self, dt_ms: f64) -> Forecast {
        let rel = self.lag + dt_ms;
        let ticks = Time::from_ms_saturating(rel);
        self.forecast_lag = rel - ticks.as_ms();
        Forecast::At(self.last.saturating_add(ticks))
    }

    #[inline]
    fn predict(&mut self, c: &LifDeltaConsts) -> Forecast {
        if !c.self_firing {
            return Forecast::Unchanged;
        }
        let dt = c.tau_m * ((c.v_inf - self.u) / (c.v_inf - c.theta)).ln();
        self.forecast_after(dt)
    }

    /// The simulation starts at `t`.
    pub fn start(&mut self, c: &LifDeltaConsts, t: Time) -> Response {
        self.last = t;
        self.lag = 0.0;
        if self.u >= c.theta {
            return self.fire(c, t, 0.0);
        }
        Response {
            forecast: if c.self_firing {
                self.predict(c)
            } else {
                Forecast::Unchanged
            },
            ..Response::QUIET
        }
    }

    /// Summed input `w` (mV) arrives at `t + lag` (lag in ms, sub-tick).
    #[inline(always)]
    pub fn on_input(&mut self, c: &LifDeltaConsts, t: Time, lag: f64, w: f64) -> Response {
        match self.receive(c, &c.decay, t, lag, w) {
            Outcome::Discarded => Response {
                discarded: true,
                ..Response::QUIET
            },
            Outcome::Spiked => self.spike_response(c, lag),
            Outcome::Quiet => Response {
                forecast: self.predict(c),
                ..Response::QUIET
            },
        }
    }

    /// `on_input` at lag 0 for a neuron that never forecasts (no
    /// supra-threshold `I_e`): the same state change, no `Response`.
    #[inline(always)]
    pub fn plain_input(&mut self, c: &LifDeltaConsts, t: Time, w: f64) -> Outcome {
        self.plain_input_by(c, &c.decay, t, w)
    }

    /// `plain_input` with `c`'s decay table already at hand: a partition
    /// whose neurons share one parameter set looks `c` and its table up
    /// once per run of inputs, not through each neuron's set and the `Arc`
    /// per input (three dependent loads before the table's).
    #[inline(always)]
    pub fn plain_input_by(
        &mut self,
        c: &LifDeltaConsts,
        decay: &DecayTable,
        t: Time,
        w: f64,
    ) -> Outcome {
        debug_assert!(!c.self_firing);
        debug_assert!(std::ptr::eq(decay, &*c.decay));
        self.receive(c, decay, t, 0.0, w)
    }

    /// The state change of an input (shared by both entries above).
    #[inline(always)]
    fn receive(
        &mut self,
        c: &LifDeltaConsts,
        decay: &DecayTable,
        t: Time,
        lag: f64,
        w: f64,
    ) -> Outcome {
        if t < self.refractory_until() {
            return Outcome::Discarded;
        }
        if lag != 0.0 || self.lag != 0.0 {
            return self.receive_lagged(c, t, lag, w);
        }
        self.propagate_ticks(c, decay, t);
        self.add(c, t, 0.0, w)
    }

    /// `take` to or from a sub-tick time (rare): out of line, returning on
    /// its own — a cold call that rejoined the whole-tick path made every
    /// input ~7 % slower (Brunel, AMD EPYC).
    #[cold]
    #[inline(never)]
    fn receive_lagged(&mut self, c: &LifDeltaConsts, t: Time, lag: f64, w: f64) -> Outcome {
        self.propagate_lagged(c, t, lag);
        self.add(c, t, lag, w)
    }

    /// The rest of `take`, the potential brought to `t + lag`.
    #[inline(always)]
    fn add(&mut self, c: &LifDeltaConsts, t: Time, lag: f64, w: f64) -> Outcome {
        if self.u >= c.theta {
            // Drifted over threshold just now (the forecast was rounded to a
            // tick, or relaxed onto a threshold equal to `v_inf`).
            self.reset(c, t, lag);
            return Outcome::Spiked;
        }
        self.u += w;
        if self.u < c.v_min {
            self.u = c.v_min;
        }
        if self.u >= c.theta {
            self.reset(c, t, lag);
            Outcome::Spiked
        } else {
            Outcome::Quiet
        }
    }

    /// The potential (absolute mV) at the exact time `t`, no earlier than
    /// the last event: the state itself does not move.
    pub fn v_m_at(&self, c: &LifDeltaConsts, t: Time) -> f64 {
        let mut n = *self;
        if t >= n.last {
            n.propagate(c, &c.decay, t, 0.0);
        }
        n.v_m(c)
    }

    /// From `t` on the neuron follows `to` (the same parameters with
    /// another injected current) instead of `from`: the potential is brought
    /// to `t` under `from` (it is continuous), then the crossing under `to`
    /// is predicted.
    pub fn switch_current(
        &mut self,
        from: &LifDeltaConsts,
        to: &LifDeltaConsts,
        t: Time,
    ) -> Response {
        if t >= self.refractory_until() {
            self.propagate(from, &from.decay, t, 0.0);
        }
        Response {
            forecast: if to.self_firing {
                self.predict(to)
            } else {
                Forecast::Never
            },
            ..Response::QUIET
        }
    }

    /// The current-driven crossing predicted for `t` is due.
    #[inline]
    pub fn on_forecast(&mut self, c: &LifDeltaConsts, t: Time) -> Response {
        if t < self.refractory_until() {
            return Response::QUIET;
        }
        let lag = self.forecast_lag;
        self.propagate(c, &c.decay, t, lag);
        self.fire(c, t, lag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// `plain_input` is `on_input` at lag 0 for a neuron that never
        /// forecasts: the same outcomes and the same state, bit for bit,
        /// including inputs during refractoriness and after a lagged spike.
        #[test]
        fn plain_input_is_on_input_at_lag_zero(
            i_e in 0.0f64..240.0,
            steps in proptest::collection::vec((1u64..3_000_000, -8.0f64..12.0, any::<bool>()), 1..200),
        ) {
            let c = LifDeltaConsts::new(&params(i_e));
            prop_assert!(!c.self_firing());
            let mut a = c.initial(5.0);
            a.start(&c, Time::ZERO);
            let mut b = a;
            let mut t = Time::ZERO;
            for (gap, w, lagged) in steps {
                t = Time(t.0 + gap);
                if lagged {
                    // A lagged input (another partition's current-driven
                    // spike) goes the general way on both.
                    let ra = a.on_input(&c, t, 0.25e-6, w);
                    let rb = b.on_input(&c, t, 0.25e-6, w);
                    prop_assert_eq!(ra, rb);
                    continue;
                }
                let r = a.on_input(&c, t, 0.0, w);
                let o = b.plain_input(&c, t, w);
                prop_assert_eq!(r.forecast, Forecast::Unchanged);
                let want = Outcome::of(&r);
                prop_assert_eq!(o, want);
                prop_assert_eq!(a.u.to_bits(), b.u.to_bits());
                prop_assert_eq!((a.last, a.lag.to_bits()), (b.last, b.lag.to_bits()));
            }
        }
    }

    fn params(i_e: f64) -> LifDeltaParams {
        LifDeltaParams {
            tau_m: 20.0,
            C_m: 250.0,
            t_ref: 2.0,
            E_L: 0.0,
            V_reset: 0.0,
            V_th: 20.0,
            I_e: i_e,
            V_m: None,
            V_min: None,
            tau_minus: None,
        }
    }

    #[test]
    fn subthreshold_decay_is_exact() {
        let c = LifDeltaConsts::new(&params(0.0));
        let mut n = c.initial(10.0);
        n.start(&c, Time::ZERO);
        let r = n.on_input(&c, Time::from_ms(20.0).unwrap(), 0.0, 0.0);
        assert!(!r.spiked);
        assert!((n.v_m(&c) - 10.0 * (-1.0f64).exp()).abs() < 1e-12);
    }

    #[test]
    fn refractory_inputs_are_discarded_and_the_end_is_accepted() {
        let c = LifDeltaConsts::new(&params(0.0));
        let mut n = c.initial(0.0);
        n.start(&c, Time::ZERO);
        assert!(
            n.on_input(&c, Time::from_ms(1.0).unwrap(), 0.0, 25.0)
                .spiked
        );
        assert!(
            n.on_input(&c, Time::from_ms(2.5).unwrap(), 0.0, 25.0)
                .discarded
        );
        assert!(
            n.on_input(&c, Time::from_ms(3.0).unwrap(), 0.0, 25.0)
                .spiked
        );
    }
}
