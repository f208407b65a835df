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

use crate::dynamics::{Dynamics, Forecast, Input, Response};
use crate::spike::Gid;
use crate::time::Time;

/// No device on this neuron.
const NONE: u32 = u32::MAX;

/// A multimeter's sampling grid: every multiple of `interval` in
/// `(start, stop]` (NEST's convention: no sample at `start` itself).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SampleGrid {
    /// Period.
    pub interval: Time,
    /// Samples strictly after this.
    pub start: Time,
    /// Samples at or before this.
    pub stop: Time,
}

impl SampleGrid {
    /// The first sample time, or `NEVER`.
    fn first(&self) -> Time {
        let k = self.start.0 / self.interval.0 + 1;
        self.at(k.saturating_mul(self.interval.0))
    }

    /// The sample after `t` (a sample time), or `NEVER`.
    fn after(&self, t: Time) -> Time {
        self.at(t.0.saturating_add(self.interval.0))
    }

    fn at(&self, ticks: u64) -> Time {
        if ticks > self.stop.0 || ticks == u64::MAX {
            Time::NEVER
        } else {
            Time(ticks)
        }
    }
}

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

/// One multimeter's samples of one partition, in the order taken.
#[derive(Clone, Debug, Default)]
pub struct Samples {
    /// Per sample: its time and neuron.
    pub rows: Vec<(Time, Gid)>,
    /// Per sample: its values, `width` each, in the meter's order.
    pub values: Vec<f64>,
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

/// A neuron sampled by a meter.
#[derive(Clone, Debug)]
struct Tap {
    meter: u32,
    gid: Gid,
    /// Its next sample time (`NEVER` when done).
    next: Time,
    /// Positions of the meter's variables among the neuron's recordables.
    pick: Vec<usize>,
}

/// The devices of one neuron: ranges into the taps and schedules.
#[derive(Clone, Debug)]
struct Attached {
    taps: (u32, u32),
    schedules: (u32, u32),
    /// Its next current change (`NEVER` if none or not driven).
    next_change: Time,
    /// Its model's own prediction (kept only for driven neurons).
    model_at: Time,
}

/// A partition's neurons with their devices (see the module docs).
#[derive(Clone, Debug)]
pub struct Devices<D> {
    inner: D,
    /// Per neuron: its index in `attached`, or `NONE`; empty when no neuron
    /// has a device.
    slot: Vec<u32>,
    attached: Vec<Attached>,
    taps: Vec<Tap>,
    /// Schedule indices of the driven neurons, by `Attached::schedules`.
    driving: Vec<u32>,
    schedules: Vec<CurrentSchedule>,
    meters: Vec<(SampleGrid, Samples)>,
    /// Scratch: one sample of all recordables.
    scratch: Vec<f64>,
}

impl<D: Dynamics> Devices<D> {
    /// `inner` with no device.
    pub fn none(inner: D) -> Self {
        Self::new(inner, DevicePlan::default())
    }

    /// `inner` with the devices of `plan`.
    pub fn new(inner: D, plan: DevicePlan) -> Self {
        let n = inner.len() as usize;
        let empty = plan.is_empty();
        let mut devices = Devices {
            inner,
            slot: Vec::new(),
            attached: Vec::new(),
            taps: Vec::new(),
            driving: Vec::new(),
            schedules: plan.schedules,
            meters: plan
                .meters
                .iter()
                .map(|&(g, _)| (g, Samples::default()))
                .collect(),
            scratch: Vec::new(),
        };
        if empty {
            return devices;
        }
        let mut taps = plan.taps;
        taps.sort_by_key(|t| (t.0, t.2));
        let mut drives = plan.drives;
        drives.sort_unstable();
        devices.slot = vec![NONE; n];
        let (mut a, mut b) = (0, 0);
        for i in 0..n as u32 {
            let t0 = a;
            while a < taps.len() && taps[a].0 == i {
                a += 1;
            }
            let s0 = b;
            while b < drives.len() && drives[b].0 == i {
                b += 1;
            }
            if a == t0 && b == s0 {
                continue;
            }
            let first_change = drives[s0..b]
                .iter()
                .map(|&(_, s)| devices.schedules[s as usize].next_from(Time::ZERO))
                .min()
                .unwrap_or(Time::NEVER);
            devices.slot[i as usize] = devices.attached.len() as u32;
            devices.attached.push(Attached {
                taps: (t0 as u32, a as u32),
                schedules: (s0 as u32, b as u32),
                next_change: first_change,
                model_at: Time::NEVER,
            });
        }
        devices.driving = drives.iter().map(|&(_, s)| s).collect();
        devices.taps = taps
            .into_iter()
            .map(|(_, gid, meter, pick)| Tap {
                meter,
                gid,
                next: plan.meters[meter as usize].0.first(),
                pick,
            })
            .collect();
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
        for i in 0..self.slot.len() as u32 {
            self.sample_before(i, until, false);
        }
    }

    /// Meter `m`'s samples taken so far, in the order taken.
    pub fn take_samples(&mut self, m: usize) -> Samples {
        std::mem::take(&mut self.meters[m].1)
    }

    /// Number of meters.
    pub fn meters(&self) -> usize {
        self.meters.len()
    }

    /// Neuron `i`'s samples due before `t` (and at `t` when `at_too`).
    #[inline]
    fn sample_before(&mut self, i: u32, t: Time, at_too: bool) {
        let Some(&s) = self.slot.get(i as usize) else {
            return;
        };
        if s == NONE {
            return;
        }
        let (a, b) = self.attached[s as usize].taps;
        for k in a..b {
            loop {
                let tap = &self.taps[k as usize];
                let due = tap.next < t || (at_too && tap.next == t);
                if !due {
                    break;
                }
                let at = tap.next;
                let width = self.inner.recordables(i).len();
                self.scratch.resize(width, 0.0);
                self.inner.sample(i, at, &mut self.scratch);
                let (grid, out) = &mut self.meters[tap.meter as usize];
                out.rows.push((at, tap.gid));
                out.values.extend(tap.pick.iter().map(|&p| self.scratch[p]));
                let next = grid.after(at);
                self.taps[k as usize].next = next;
            }
        }
    }

    /// The prediction to report for driven neuron slot `s`.
    fn combined(&self, s: u32) -> Forecast {
        let a = &self.attached[s as usize];
        match a.model_at.min(a.next_change) {
            Time::NEVER => Forecast::Never,
            t => Forecast::At(t),
        }
    }

    /// Keep the model's prediction `f` of driven slot `s`.
    fn note(&mut self, s: u32, f: Forecast) {
        let a = &mut self.attached[s as usize];
        match f {
            Forecast::Unchanged => {}
            Forecast::At(t) => a.model_at = t,
            Forecast::Never => a.model_at = Time::NEVER,
        }
    }

    /// Slot of neuron `i` if a current drives it.
    #[inline]
    fn driven(&self, i: u32) -> Option<u32> {
        let s = *self.slot.get(i as usize)?;
        (s != NONE && self.attached[s as usize].schedules.0 < self.attached[s as usize].schedules.1)
            .then_some(s)
    }

    /// Apply driven slot `s`'s current change at `t`: the model takes the
    /// sum of its schedules there.
    fn change_current(&mut self, i: u32, s: u32, t: Time) -> Response {
        let (a, b) = self.attached[s as usize].schedules;
        let mut pa = 0.0;
        let mut next = Time::NEVER;
        for &k in &self.driving[a as usize..b as usize] {
            let sched = &self.schedules[k as usize];
            pa += sched.at(t);
            next = next.min(sched.next_after(t));
        }
        self.attached[s as usize].next_change = next;
        let r = self.inner.set_current(i, t, pa);
        self.note(s, r.forecast);
        r
    }

    /// Fold the model's response `r` at a driven neuron into what the
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
        if self.attached[s as usize].next_change == t {
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
        if self.slot.is_empty() {
            return self.inner.on_input(i, t, lag, input);
        }
        self.sample_before(i, t, lag > 0.0);
        let r = self.inner.on_input(i, t, lag, input);
        match self.driven(i) {
            Some(s) => self.report(s, r),
            None => r,
        }
    }

    #[inline]
    fn on_forecast(&mut self, i: u32, t: Time) -> Response {
        if self.slot.is_empty() {
            return self.inner.on_forecast(i, t);
        }
        self.sample_before(i, t, false);
        let Some(s) = self.driven(i) else {
            return self.inner.on_forecast(i, t);
        };
        // The model's crossing first, then a current change at the same tick.
        let mut out = Response::QUIET;
        if self.attached[s as usize].model_at <= t {
            self.attached[s as usize].model_at = Time::NEVER;
            let r = self.inner.on_forecast(i, t);
            self.note(s, r.forecast);
            out = r;
        }
        if self.attached[s as usize].next_change <= t {
            let r = self.change_current(i, s, t);
            if !out.spiked {
                out.spiked = r.spiked;
                out.lag = r.lag;
            }
        }
        out.forecast = self.combined(s);
        out
    }

    fn is_plain(&self) -> bool {
        self.slot.is_empty() && self.inner.is_plain()
    }

    type Plain<'a>
        = D::Plain<'a>
    where
        Self: 'a;

    #[inline(always)]
    fn plain_neurons(&mut self) -> D::Plain<'_> {
        debug_assert!(self.slot.is_empty());
        self.inner.plain_neurons()
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
}
