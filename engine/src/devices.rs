//! Devices attached to neurons — multimeters and current sources, as NEST
//! calls them — wrapped around a partition's [`Dynamics`].
//!
//! [`Devices`] is itself a [`Dynamics`]: the engine's per-neuron step calls
//! it exactly as it calls the neurons, and it adds what the devices need
//! around each call, so neither the step nor the strategies know devices
//! exist. Without any device it passes every call straight through (and a
//! plain store stays plain).
//!
//! - **Sampling** is read-only and lazy. Before a neuron processes an event
//!   at exact time `te`, its samples due before `te` are taken from its
//!   state (evolved analytically to each sample time, never stored back);
//!   [`flush_until`](Devices::flush_until) takes the rest once a run has
//!   reached its end. So a sample at `t` holds the state after every event
//!   at or before `t` — inputs arriving exactly at `t` included, as NEST's
//!   multimeter — and sampling cannot change the dynamics. (A
//!   current-driven crossing rounded onto the sample's tick counts as at
//!   the sample time: within half a tick, 0.5 ns.)
//! - **Current sources** change a neuron's injected current at exact
//!   times. A change is a per-neuron clock: the neuron's reported
//!   prediction is the earlier of its model's prediction and its next
//!   change, and when the engine calls it due at a change the model is told
//!   the new current ([`Dynamics::set_current`]), which moves its own
//!   prediction.

mod sampler;

pub use sampler::{SampleGrid, SampledPlain, Samples};

use crate::dynamics::{Dynamics, Forecast, GeneralWork, Input, PlainWork, Response};
use crate::spike::Gid;
use crate::time::Time;
use sampler::Sampler;

/// No device on this neuron.
const NONE: u32 = u32::MAX;

/// A piecewise-constant current: `(time, amplitude in pA)` change points,
/// increasing in time; zero before the first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CurrentSchedule {
    /// Change points.
    pub points: Vec<(Time, f64)>,
}

impl CurrentSchedule {
    /// The amplitude in force at `t` (after a change at `t`).
    fn at(&self, t: Time) -> f64 {
        match self.points.partition_point(|&(s, _)| s <= t) {
            0 => 0.0,
            k => self.points[k - 1].1,
        }
    }

    /// The first change after `t`, or `NEVER`.
    fn next_after(&self, t: Time) -> Time {
        let k = self.points.partition_point(|&(s, _)| s <= t);
        self.points.get(k).map_or(Time::NEVER, |&(s, _)| s)
    }

    /// The first change at or after `t`.
    fn next_from(&self, t: Time) -> Time {
        let k = self.points.partition_point(|&(s, _)| s < t);
        self.points.get(k).map_or(Time::NEVER, |&(s, _)| s)
    }
}

/// What one partition's devices are made of.
#[derive(Clone, Debug, Default)]
pub struct DevicePlan {
    /// Per multimeter: its grid and how many values a sample holds.
    pub meters: Vec<(SampleGrid, usize)>,
    /// Current schedules, shared by the neurons they drive.
    pub schedules: Vec<CurrentSchedule>,
    /// Sampled neurons: (local index, gid, meter, the positions in the
    /// neuron's [`Dynamics::recordables`] of the meter's variables).
    pub taps: Vec<(u32, Gid, u32, Vec<usize>)>,
    /// Driven neurons: (local index, schedule).
    pub drives: Vec<(u32, u32)>,
}

impl DevicePlan {
    /// Whether it attaches nothing.
    pub fn is_empty(&self) -> bool {
        self.taps.is_empty() && self.drives.is_empty()
    }
}

/// A neuron driven by current sources.
#[derive(Clone, Copy, Debug)]
struct Driven {
    /// Its schedules: a range of `Devices::driving`.
    schedules: (u32, u32),
    /// Its next current change (`NEVER` if none).
    next_change: Time,
    /// Its model's own prediction.
    model_at: Time,
}

/// A partition's neurons with their devices (see the module docs).
#[derive(Clone, Debug)]
pub struct Devices<D> {
    inner: D,
    /// Whether any neuron has a device (else every call passes through).
    active: bool,
    sampler: Sampler,
    /// Per neuron: its index in `driven`, or `NONE`; empty without drives.
    slot: Vec<u32>,
    driven: Vec<Driven>,
    /// Schedule indices of the driven neurons, by `Driven::schedules`.
    driving: Vec<u32>,
    schedules: Vec<CurrentSchedule>,
}

impl<D: Dynamics> Devices<D> {
    /// `inner` with no device.
    pub fn none(inner: D) -> Self {
        Self::new(inner, DevicePlan::default())
    }

    /// `inner` with the devices of `plan`.
    pub fn new(inner: D, plan: DevicePlan) -> Self {
        let n = inner.len() as usize;
        let widest = (0..n as u32)
            .map(|i| inner.recordables(i).len())
            .max()
            .unwrap_or(0);
        let mut devices = Devices {
            active: !plan.is_empty(),
            sampler: Sampler::new(n, &plan.meters, plan.taps, widest),
            inner,
            slot: Vec::new(),
            driven: Vec::new(),
            driving: Vec::new(),
            schedules: plan.schedules,
        };
        if !plan.drives.is_empty() {
            let mut drives = plan.drives;
            drives.sort_unstable();
            devices.slot = vec![NONE; n];
            let mut b = 0;
            while b < drives.len() {
                let (i, s0) = (drives[b].0, b);
                while b < drives.len() && drives[b].0 == i {
                    b += 1;
                }
                let next_change = drives[s0..b]
                    .iter()
                    .map(|&(_, s)| devices.schedules[s as usize].next_from(Time::ZERO))
                    .min()
                    .unwrap_or(Time::NEVER);
                devices.slot[i as usize] = devices.driven.len() as u32;
                devices.driven.push(Driven {
                    schedules: (s0 as u32, b as u32),
                    next_change,
                    model_at: Time::NEVER,
                });
            }
            devices.driving = drives.iter().map(|&(_, s)| s).collect();
        }
        devices
    }

    /// The neurons.
    pub fn inner(&self) -> &D {
        &self.inner
    }

    /// The neurons, mutably (changing their state between runs).
    pub fn inner_mut(&mut self) -> &mut D {
        &mut self.inner
    }

    /// Take every sample due before `until` (the run has processed every
    /// event before it).
    pub fn flush_until(&mut self, until: Time) {
        let inner = &self.inner;
        self.sampler
            .flush_until(until, |i, t, out| inner.sample(i, t, out));
    }

    /// Meter `m`'s samples taken so far, in the order taken.
    pub fn take_samples(&mut self, m: usize) -> Samples {
        self.sampler.take(m)
    }

    /// Number of meters.
    pub fn meters(&self) -> usize {
        self.sampler.meters()
    }

    /// Before neuron `i` processes an event at `t` (`after_t`: strictly
    /// after `t`, a sub-tick lag): take its samples due before it.
    #[inline(always)]
    fn before_event(&mut self, i: u32, t: Time, after_t: bool) {
        let inner = &self.inner;
        self.sampler
            .before_event(i, t, after_t, |i, t, out| inner.sample(i, t, out));
    }

    /// The prediction to report for driven neuron `s`.
    fn combined(&self, s: u32) -> Forecast {
        let d = &self.driven[s as usize];
        match d.model_at.min(d.next_change) {
            Time::NEVER => Forecast::Never,
            t => Forecast::At(t),
        }
    }

    /// Keep the model's prediction `f` of driven neuron `s`.
    fn note(&mut self, s: u32, f: Forecast) {
        let d = &mut self.driven[s as usize];
        match f {
            Forecast::Unchanged => {}
            Forecast::At(t) => d.model_at = t,
            Forecast::Never => d.model_at = Time::NEVER,
        }
    }

    /// Index in `driven` of neuron `i` if a current drives it.
    #[inline(always)]
    fn driven(&self, i: u32) -> Option<u32> {
        let s = *self.slot.get(i as usize)?;
        (s != NONE).then_some(s)
    }

    /// Apply driven neuron `s`'s current change at `t`: the model takes the
    /// sum of its schedules there.
    fn change_current(&mut self, i: u32, s: u32, t: Time) -> Response {
        let (a, b) = self.driven[s as usize].schedules;
        let mut pa = 0.0;
        let mut next = Time::NEVER;
        for &k in &self.driving[a as usize..b as usize] {
            let sched = &self.schedules[k as usize];
            pa += sched.at(t);
            next = next.min(sched.next_after(t));
        }
        self.driven[s as usize].next_change = next;
        let r = self.inner.set_current(i, t, pa);
        self.note(s, r.forecast);
        r
    }

    /// Fold the model's response `r` at driven neuron `s` into what the
    /// engine is told.
    fn report(&mut self, s: u32, r: Response) -> Response {
        self.note(s, r.forecast);
        Response {
            forecast: self.combined(s),
            ..r
        }
    }
}

impl<D: Dynamics> Dynamics for Devices<D> {
    fn len(&self) -> u32 {
        self.inner.len()
    }

    fn start(&mut self, i: u32, t: Time) -> Response {
        let r = self.inner.start(i, t);
        let Some(s) = self.driven(i) else {
            return r;
        };
        self.note(s, r.forecast);
        if self.driven[s as usize].next_change == t {
            let spiked = (r.spiked, r.lag);
            let r2 = self.change_current(i, s, t);
            return Response {
                spiked: spiked.0 || r2.spiked,
                lag: if spiked.0 { spiked.1 } else { r2.lag },
                discarded: false,
                forecast: self.combined(s),
            };
        }
        self.report(s, r)
    }

    #[inline(always)]
    fn on_input(&mut self, i: u32, t: Time, lag: f32, input: Input) -> Response {
        if !self.active {
            return self.inner.on_input(i, t, lag, input);
        }
        self.before_event(i, t, lag > 0.0);
        let r = self.inner.on_input(i, t, lag, input);
        match self.driven(i) {
            Some(s) => self.report(s, r),
            None => r,
        }
    }

    #[inline]
    fn on_forecast(&mut self, i: u32, t: Time) -> Response {
        if !self.active {
            return self.inner.on_forecast(i, t);
        }
        self.before_event(i, t, false);
        let Some(s) = self.driven(i) else {
            return self.inner.on_forecast(i, t);
        };
        // The model's crossing first, then a current change at the same tick.
        let mut out = Response::QUIET;
        if self.driven[s as usize].model_at <= t {
            self.driven[s as usize].model_at = Time::NEVER;
            let r = self.inner.on_forecast(i, t);
            self.note(s, r.forecast);
            out = r;
        }
        if self.driven[s as usize].next_change <= t {
            let r = self.change_current(i, s, t);
            if !out.spiked {
                out.spiked = r.spiked;
                out.lag = r.lag;
            }
        }
        out.forecast = self.combined(s);
        out
    }

    /// Plain if the neurons are and no current drives them (sampling
    /// keeps them plain: [`SampledPlain`]).
    fn is_plain(&self) -> bool {
        self.driven.is_empty() && self.inner.is_plain()
    }

    type Plain<'a>
        = SampledPlain<'a, D::Plain<'a>>
    where
        Self: 'a;

    #[inline(always)]
    fn plain_neurons(&mut self) -> Self::Plain<'_> {
        SampledPlain {
            neurons: self.inner.plain_neurons(),
            sampler: &mut self.sampler,
        }
    }

    /// Without devices, the inner neurons themselves.
    #[inline(always)]
    fn with_general<W: GeneralWork>(&mut self, work: W) -> W::Out {
        if self.active {
            work.run(self)
        } else {
            self.inner.with_general(work)
        }
    }

    /// Unsampled, the inner view itself (the plain loop compiled for it
    /// has no sampling in it).
    #[inline(always)]
    fn with_plain<W: PlainWork>(&mut self, work: W) -> W::Out {
        if self.sampler.samples_any() {
            work.run(self.plain_neurons())
        } else {
            self.inner.with_plain(work)
        }
    }

    fn recordables(&self, i: u32) -> &'static [&'static str] {
        self.inner.recordables(i)
    }

    fn sample(&self, i: u32, t: Time, out: &mut [f64]) {
        self.inner.sample(i, t, out)
    }

    fn set_current(&mut self, i: u32, t: Time, pa: f64) -> Response {
        self.inner.set_current(i, t, pa)
    }

    // A driven neuron's words end with its model's own prediction (the
    // engine's clock holds the earlier of it and the next current change).
    fn save_neuron(&self, i: u32, out: &mut Vec<u64>) -> Result<(), String> {
        self.inner.save_neuron(i, out)?;
        if let Some(s) = self.driven(i) {
            out.push(self.driven[s as usize].model_at.0);
        }
        Ok(())
    }

    fn load_neuron(&mut self, i: u32, words: &[u64], at: Time) -> Result<(), String> {
        match self.driven(i) {
            None => self.inner.load_neuron(i, words, at),
            Some(s) => {
                let (&model_at, words) = words
                    .split_last()
                    .ok_or("its saved state does not fit its model")?;
                if model_at < at.0 {
                    return Err("it predicts a spike before the checkpoint".into());
                }
                self.driven[s as usize].model_at = Time(model_at);
                self.inner.load_neuron(i, words, at)
            }
        }
    }

    fn loaded_at(&mut self, at: Time) {
        self.sampler.skip_to(at);
        for i in 0..self.slot.len() as u32 {
            let Some(s) = self.driven(i) else { continue };
            let (a, b) = self.driven[s as usize].schedules;
            let schedules = self.driving[a as usize..b as usize].iter();
            let schedules = schedules.map(|&k| &self.schedules[k as usize]);
            // Changes before `at` were applied; the one at `at` is due.
            let before = Time(at.0 - 1);
            let (mut pa, mut changed, mut next) = (0.0, false, Time::NEVER);
            for sched in schedules {
                pa += sched.at(before);
                changed |= sched.next_from(Time::ZERO) < at;
                next = next.min(sched.next_from(at));
            }
            self.driven[s as usize].next_change = next;
            if changed {
                self.inner.load_current(i, pa);
            }
        }
    }
}
