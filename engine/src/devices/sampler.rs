//! Sampling: each sampled neuron's pending sample times, taken lazily
//! before the neuron's next event (or at the end of a run step) from its
//! state evolved analytically to the sample time — read only.
//!
//! The same [`Sampler`] serves the general path ([`Devices`](super::Devices)
//! as a [`Dynamics`](crate::Dynamics)) and the plain one ([`SampledPlain`]),
//! so sampling a plain store keeps it on the plain path. Without a meter
//! an event costs nothing; per meter, one bounds test (a meter's slots are
//! empty in a partition where it samples nobody) and one 16-byte read.

use crate::dynamics::{Outcome, PlainNeurons};
use crate::spike::Gid;
use crate::time::Time;

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

/// One multimeter's samples of one partition, in the order taken.
#[derive(Clone, Debug, Default)]
pub struct Samples {
    /// Per sample: its time and neuron.
    pub rows: Vec<(Time, Gid)>,
    /// Per sample: its values, `width` each, in the meter's order.
    pub values: Vec<f64>,
}

/// A sampled neuron's place on one meter (16 bytes).
#[derive(Clone, Copy, Debug)]
struct Slot {
    /// Its next sample time (`NEVER` when done or not sampled).
    next: Time,
    gid: Gid,
    /// Index into `Sampler::picks`.
    pick: u32,
}

/// One meter in one partition: a slot per neuron (so an event reads one
/// 16-byte record, with no index to follow) and the samples taken.
#[derive(Clone, Debug)]
struct Layer {
    grid: SampleGrid,
    /// Per neuron; empty if the meter samples none of this partition's.
    slots: Vec<Slot>,
    samples: Samples,
}

/// One partition's multimeter taps and their samples.
#[derive(Clone, Debug, Default)]
pub(super) struct Sampler {
    layers: Vec<Layer>,
    /// The distinct lists of positions, among a neuron's recordables, of a
    /// meter's variables.
    picks: Vec<Vec<usize>>,
    /// Scratch: one sample of all recordables.
    scratch: Vec<f64>,
}

impl Sampler {
    /// The taps `(local, gid, meter, pick)` of `n` neurons on `meters`
    /// (grid, width); `widest`: the most recordables a neuron has.
    pub(super) fn new(
        n: usize,
        meters: &[(SampleGrid, usize)],
        taps: Vec<(u32, Gid, u32, Vec<usize>)>,
        widest: usize,
    ) -> Self {
        let mut s = Sampler {
            layers: meters
                .iter()
                .map(|&(grid, _)| Layer {
                    grid,
                    slots: Vec::new(),
                    samples: Samples::default(),
                })
                .collect(),
            picks: Vec::new(),
            scratch: vec![0.0; widest],
        };
        let unsampled = Slot {
            next: Time::NEVER,
            gid: Gid(u32::MAX),
            pick: 0,
        };
        for (i, gid, meter, pick) in taps {
            let pick = match s.picks.iter().position(|p| *p == pick) {
                Some(k) => k,
                None => {
                    s.picks.push(pick);
                    s.picks.len() - 1
                }
            };
            let layer = &mut s.layers[meter as usize];
            if layer.slots.is_empty() {
                layer.slots = vec![unsampled; n];
            }
            layer.slots[i as usize] = Slot {
                next: layer.grid.first(),
                gid,
                pick: pick as u32,
            };
        }
        s
    }

    /// Resume at `at` (every sample before it was taken by a run that
    /// stopped there): each tap's next sample is its first at or after `at`.
    pub(super) fn skip_to(&mut self, at: Time) {
        for layer in &mut self.layers {
            let grid = layer.grid;
            let k = at.0.div_ceil(grid.interval.0);
            let next = grid.first().max(grid.at(k.saturating_mul(grid.interval.0)));
            for slot in layer.slots.iter_mut().filter(|s| s.next != Time::NEVER) {
                slot.next = next;
            }
        }
    }

    /// Meter `m`'s samples so far.
    pub(super) fn take(&mut self, m: usize) -> Samples {
        std::mem::take(&mut self.layers[m].samples)
    }

    /// Number of meters.
    pub(super) fn meters(&self) -> usize {
        self.layers.len()
    }

    /// Whether it samples any neuron.
    pub(super) fn samples_any(&self) -> bool {
        self.layers.iter().any(|l| !l.slots.is_empty())
    }

    /// Before neuron `i` processes an event at `t` (`after_t`: strictly
    /// after `t`, a sub-tick lag): take its samples due before it, reading
    /// its state with `sample`.
    #[inline(always)]
    pub(super) fn before_event(
        &mut self,
        i: u32,
        t: Time,
        after_t: bool,
        sample: impl Fn(u32, Time, &mut [f64]),
    ) {
        for m in 0..self.layers.len() {
            if let Some(slot) = self.layers[m].slots.get(i as usize) {
                if slot.next < t || (after_t && slot.next == t) {
                    self.take_before(m, i, t, after_t, &sample);
                }
            }
        }
    }

    /// Every sample due before `until`.
    pub(super) fn flush_until(&mut self, until: Time, sample: impl Fn(u32, Time, &mut [f64])) {
        for m in 0..self.layers.len() {
            for i in 0..self.layers[m].slots.len() {
                if self.layers[m].slots[i].next < until {
                    self.take_before(m, i as u32, until, false, &sample);
                }
            }
        }
    }

    /// Neuron `i`'s samples on meter `m` due before `t` (and at `t` when
    /// `at_too`).
    #[inline(never)]
    fn take_before(
        &mut self,
        m: usize,
        i: u32,
        t: Time,
        at_too: bool,
        sample: &dyn Fn(u32, Time, &mut [f64]),
    ) {
        let layer = &mut self.layers[m];
        let slot = &mut layer.slots[i as usize];
        let pick = &self.picks[slot.pick as usize];
        while slot.next < t || (at_too && slot.next == t) {
            let at = slot.next;
            sample(i, at, &mut self.scratch);
            layer.samples.rows.push((at, slot.gid));
            layer
                .samples
                .values
                .extend(pick.iter().map(|&p| self.scratch[p]));
            slot.next = layer.grid.after(at);
        }
    }
}

/// A plain store's neurons with their taps: samples are taken before each
/// input as on the general path, the neurons stay plain.
pub struct SampledPlain<'a, P> {
    pub(super) neurons: P,
    pub(super) sampler: &'a mut Sampler,
}

impl<P: PlainNeurons> PlainNeurons for SampledPlain<'_, P> {
    #[inline(always)]
    fn len(&self) -> usize {
        self.neurons.len()
    }

    #[inline(always)]
    unsafe fn input_unchecked(&mut self, i: u32, t: Time, total: f64) -> Outcome {
        let neurons = &self.neurons;
        self.sampler
            .before_event(i, t, false, |i, t, out| neurons.sample(i, t, out));
        // SAFETY: the caller guarantees `i < len()`, the inner length.
        unsafe { self.neurons.input_unchecked(i, t, total) }
    }

    #[inline(always)]
    fn lagged_input(&mut self, i: u32, t: Time, lag: f32, total: f64) -> (Outcome, f32) {
        let neurons = &self.neurons;
        self.sampler
            .before_event(i, t, lag > 0.0, |i, t, out| neurons.sample(i, t, out));
        self.neurons.lagged_input(i, t, lag, total)
    }

    #[inline(always)]
    fn prefetch(&self, i: u32) {
        self.neurons.prefetch(i);
        for layer in &self.sampler.layers {
            crate::dynamics::prefetch(layer.slots.as_ptr().wrapping_add(i as usize));
        }
    }

    fn sample(&self, i: u32, t: Time, out: &mut [f64]) {
        self.neurons.sample(i, t, out);
    }
}
