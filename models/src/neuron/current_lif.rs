//! The neuron record and event handling shared by the current-based LIF
//! models (`lif_exp`, `lif_alpha`): exact time bookkeeping with sub-tick
//! lags, refractoriness (the potential clamped at `V_reset`, the currents
//! evolving), forecasts from the first crossing of the free trajectory.
//! What differs between the models — the synaptic state, its exact
//! solution and the crossing search — is a [`Solution`].

use super::saved::{Saved, Words};
use volley_engine::{Forecast, Response, Time};

/// A current-based LIF model's synaptic state and exact free solution
/// (implemented by its constants, one per parameter set).
pub trait Solution {
    /// The synaptic state (currents and whatever drives them).
    type Syn: Copy + std::fmt::Debug;
    /// Potential (relative to `E_L`) and synaptic state after `dt` ms of
    /// free evolution.
    fn evolve(&self, y: f64, syn: Self::Syn, dt: f64) -> (f64, Self::Syn);
    /// Time (ms) of the first threshold crossing of the free trajectory
    /// from `(y, syn)` (below threshold), or `None`.
    fn first_crossing(&self, y: f64, syn: Self::Syn) -> Option<f64>;
    /// Summed excitatory (≥ 0) and inhibitory (< 0) weights arrive.
    fn add_input(&self, syn: &mut Self::Syn, exc: f64, inh: f64);
    /// The excitatory and inhibitory currents (pA).
    fn currents(syn: &Self::Syn) -> (f64, f64);
    /// The potentials of its parameter set.
    fn levels(&self) -> &Levels;
    /// The refractory period.
    fn t_ref(&self) -> Time;
}

/// A parameter set's potentials.
#[derive(Clone, Copy, Debug)]
pub struct Levels {
    /// `V_reset - E_L`.
    pub reset: f64,
    /// `V_th - E_L`.
    pub theta: f64,
    /// `V_min - E_L` (`-inf` if none).
    pub v_min: f64,
    /// `E_L`.
    pub e_l: f64,
}

/// The first test of a forecast: whether a model's ceiling (the higher of
/// the potential and the asymptote, plus all the charge its currents can
/// still carry, divided by `C_m`) is surely below threshold, with the
/// division folded into each term's factor. After most inputs it rules a
/// crossing out; a division on that path cost ~5 % of a microcircuit run.
///
/// The folded sum rounds differently from the model's own `ceiling`, so it
/// is compared with the threshold less a margin far beyond the rounding of
/// either (a few ulps of `|theta| + |v_inf|`, which bound every term when
/// the sum is below threshold). It rules out only what the ceiling rules
/// out; the crossing search starts with the ceiling itself, so forecasts
/// are the same bits.
#[derive(Clone, Copy, Debug)]
pub(super) struct QuickCeiling {
    /// The threshold less the margin.
    below: f64,
}

impl QuickCeiling {
    pub(super) fn new(levels: &Levels, v_inf: f64) -> Self {
        let margin = 1e-12 * (1.0 + levels.theta.abs() + v_inf.abs());
        QuickCeiling {
            below: levels.theta - margin,
        }
    }

    /// Whether `floor` (the higher of the potential and the asymptote) plus
    /// `charge` (the currents' charge already divided by `C_m`, term by
    /// term) rules a crossing out.
    #[inline(always)]
    pub(super) fn rules_out(&self, floor: f64, charge: f64) -> bool {
        floor + charge < self.below
    }
}

/// One neuron's state at the exact time `last + lag`: potential relative to
/// E_L and the synaptic state.
#[derive(Clone, Copy, Debug)]
pub struct CurrentLif<S> {
    y: f64,
    syn: S,
    last: Time,
    lag: f64,
    /// End of refractoriness: `refractory_until + refractory_lag` (exact).
    refractory_until: Time,
    refractory_lag: f64,
    forecast_lag: f64,
    /// Index of the parameter set.
    pub params: u16,
}

// The parameter set (`params`) is the model file's, rebuilt on loading.
impl<S: Saved> Saved for CurrentLif<S> {
    fn save(&self, out: &mut Vec<u64>) {
        self.y.save(out);
        self.syn.save(out);
        self.last.save(out);
        self.lag.save(out);
        self.refractory_until.save(out);
        self.refractory_lag.save(out);
        self.forecast_lag.save(out);
    }
    fn load(&mut self, words: &mut Words) -> Option<()> {
        self.y.load(words)?;
        self.syn.load(words)?;
        self.last.load(words)?;
        self.lag.load(words)?;
        self.refractory_until.load(words)?;
        self.refractory_lag.load(words)?;
        self.forecast_lag.load(words)
    }
}

/// The synaptic state after `dt` ms of refractoriness (the potential
/// clamped at `V_reset`): rare, so out of the way of the common path.
#[cold]
#[inline(never)]
fn clamped<C: Solution>(c: &C, syn: C::Syn, dt: f64) -> C::Syn {
    c.evolve(c.levels().reset, syn, dt).1
}

/// Exact time `a + la` minus `b + lb`, in ms.
#[inline]
fn diff(a: Time, la: f64, b: Time, lb: f64) -> f64 {
    let ticks = if a >= b {
        a.ms_since(b)
    } else {
        -b.ms_since(a)
    };
    ticks + (la - lb)
}

impl<S: Copy> CurrentLif<S> {
    /// A neuron of parameter set `params` at potential `y` (relative to
    /// `E_L`) with synaptic state `syn`.
    pub fn new(params: u16, y: f64, syn: S) -> Self {
        CurrentLif {
            y,
            syn,
            last: Time::ZERO,
            lag: 0.0,
            refractory_until: Time::ZERO,
            refractory_lag: 0.0,
            forecast_lag: 0.0,
            params,
        }
    }

    /// Whether its last update is at or before `at` and its refractory
    /// period ends by `limit` (a loaded state's times are checked).
    pub fn times_fit(&self, at: Time, limit: Time) -> bool {
        self.last <= at && self.refractory_until <= limit
    }

    /// The synaptic state at the last update.
    pub fn syn(&self) -> &S {
        &self.syn
    }

    /// Whether `t + lag` is before the end of refractoriness.
    #[inline(always)]
    fn refractory_at(&self, t: Time, lag: f64) -> bool {
        self.refractory_left(t, lag) > 0.0
    }

    /// Milliseconds from `t + lag` to the end of refractoriness (≤ 0 once
    /// it is over). An end two ticks or more before `t` is before `t + lag`
    /// whatever the two lags (each within half a tick, and an `f32`
    /// rounding): then 0, without the exact difference.
    #[inline(always)]
    fn refractory_left(&self, t: Time, lag: f64) -> f64 {
        if self.refractory_until.saturating_add(Time(1)) < t {
            return 0.0;
        }
        diff(self.refractory_until, self.refractory_lag, t, lag)
    }

    /// Membrane potential (absolute mV) at the last update.
    pub fn v_m<C: Solution<Syn = S>>(&self, c: &C) -> f64 {
        self.y + c.levels().e_l
    }

    /// Advance the state exactly to `t + lag`.
    #[inline]
    fn propagate<C: Solution<Syn = S>>(&mut self, c: &C, t: Time, lag: f64) {
        if t == self.last && lag == self.lag {
            return;
        }
        let mut dt = diff(t, lag, self.last, self.lag);
        if dt <= 0.0 {
            return;
        }
        let end_ref = self.refractory_left(self.last, self.lag);
        if end_ref > 0.0 {
            // Refractory: the potential is clamped, the currents evolve.
            let clamp = end_ref.min(dt);
            self.syn = clamped(c, self.syn, clamp);
            self.y = c.levels().reset;
            dt -= clamp;
        }
        if dt > 0.0 {
            let (y, syn) = c.evolve(self.y, self.syn, dt);
            self.y = y.max(c.levels().v_min);
            self.syn = syn;
        }
        self.last = t;
        self.lag = lag;
    }

    /// The next crossing of the free trajectory, as a forecast.
    #[inline]
    fn predict<C: Solution<Syn = S>>(&mut self, c: &C) -> Forecast {
        // From the end of refractoriness if that is still ahead.
        let rest = self.refractory_left(self.last, self.lag);
        let (from, from_lag, y, syn) = if rest > 0.0 {
            let (reset, syn) = (c.levels().reset, clamped(c, self.syn, rest));
            (self.refractory_until, self.refractory_lag, reset, syn)
        } else {
            (self.last, self.lag, self.y, self.syn)
        };
        match c.first_crossing(y, syn) {
            None => Forecast::Never,
            Some(s) => {
                let rel = from_lag + s;
                let ticks = Time::from_ms_saturating(rel);
                self.forecast_lag = rel - ticks.as_ms();
                Forecast::At(from.saturating_add(ticks))
            }
        }
    }

    #[inline]
    fn fire<C: Solution<Syn = S>>(&mut self, c: &C, t: Time, lag: f64) -> Response {
        self.y = c.levels().reset;
        self.refractory_until = t.saturating_add(c.t_ref());
        self.refractory_lag = lag;
        Response {
            spiked: true,
            discarded: false,
            lag: lag as f32,
            forecast: self.predict(c),
        }
    }

    /// The simulation starts at `t`.
    pub fn start<C: Solution<Syn = S>>(&mut self, c: &C, t: Time) -> Response {
        self.last = t;
        self.lag = 0.0;
        self.refractory_until = t;
        self.refractory_lag = 0.0;
        if self.y >= c.levels().theta {
            return self.fire(c, t, 0.0);
        }
        Response {
            forecast: self.predict(c),
            ..Response::QUIET
        }
    }

    /// Summed excitatory (≥ 0) and inhibitory (< 0) weights (pA) arrive at
    /// `t + lag` (lag in ms, sub-tick).
    #[inline]
    pub fn on_input<C: Solution<Syn = S>>(
        &mut self,
        c: &C,
        t: Time,
        lag: f64,
        exc: f64,
        inh: f64,
    ) -> Response {
        self.propagate(c, t, lag);
        c.add_input(&mut self.syn, exc, inh);
        Response {
            forecast: self.predict(c),
            ..Response::QUIET
        }
    }

    /// The crossing predicted for `t` is due.
    #[inline]
    pub fn on_forecast<C: Solution<Syn = S>>(&mut self, c: &C, t: Time) -> Response {
        let lag = self.forecast_lag;
        if self.refractory_at(t, lag) {
            return Response {
                forecast: self.predict(c),
                ..Response::QUIET
            };
        }
        self.propagate(c, t, lag);
        self.fire(c, t, lag)
    }

    /// `(V_m, I_syn_ex, I_syn_in)` (absolute mV, pA) at the exact time
    /// `t`, no earlier than the last event: the state itself does not move.
    pub fn state_at<C: Solution<Syn = S>>(&self, c: &C, t: Time) -> (f64, f64, f64) {
        let mut n = *self;
        n.propagate(c, t, 0.0);
        let (ex, inh) = C::currents(&n.syn);
        (n.y + c.levels().e_l, ex, inh)
    }

    /// From `t` on the neuron follows `to` (the same parameters with
    /// another injected current) instead of `from`: the state is brought to
    /// `t` under `from`, then the crossing under `to` is predicted.
    pub fn switch_current<C: Solution<Syn = S>>(&mut self, from: &C, to: &C, t: Time) -> Response {
        self.propagate(from, t, 0.0);
        Response {
            forecast: self.predict(to),
            ..Response::QUIET
        }
    }
}
