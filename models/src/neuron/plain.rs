//! The views of a plain store (only `lif_delta` neurons, no forecasts)
//! that the engine's plain loop goes through: one for a store of one
//! parameter set, one for several.

use super::decay::DecayTable;
use super::lif_delta::{LifDeltaConsts, LifDeltaNeuron};
use volley_engine::{Outcome, PlainNeurons, Time};

/// A plain input to `n`, one of neurons of several parameter sets `consts`,
/// through [`PlainLifDeltas`] (the view of a sampled store: out of line,
/// since inlined beside the one-set path it made that path slower).
#[cold]
#[inline(never)]
fn plain_input_of_many(
    consts: &[LifDeltaConsts],
    set: u16,
    n: &mut LifDeltaNeuron,
    t: Time,
    total: f64,
) -> Outcome {
    n.plain_input(&consts[set as usize], t, total)
}

/// The neurons of a plain store: all `lif_delta`, reached by local index.
pub struct PlainLifDeltas<'a> {
    pub(super) neurons: &'a mut [LifDeltaNeuron],
    /// Per neuron: its parameter set (index into `consts`).
    pub(super) sets: &'a [u16],
    pub(super) consts: &'a [LifDeltaConsts],
    /// The one parameter set (and its decay table) every neuron has, if
    /// there is only one: then an input reads no set index (the chain set
    /// index → constants → table → entry would sit on every input's
    /// critical path).
    pub(super) one: Option<(&'a LifDeltaConsts, &'a DecayTable)>,
}

impl PlainNeurons for PlainLifDeltas<'_> {
    #[inline(always)]
    fn len(&self) -> usize {
        self.neurons.len()
    }

    #[inline(always)]
    unsafe fn input_unchecked(&mut self, i: u32, t: Time, total: f64) -> Outcome {
        debug_assert!((i as usize) < self.neurons.len());
        // SAFETY: the caller guarantees `i < self.len() = neurons.len()`.
        let n = unsafe { self.neurons.get_unchecked_mut(i as usize) };
        if let Some((c, decay)) = self.one {
            // Every stored neuron's set is 0, the one set.
            debug_assert_eq!(self.sets[i as usize], 0);
            return n.plain_input_by(c, decay, t, total);
        }
        plain_input_of_many(self.consts, self.sets[i as usize], n, t, total)
    }

    #[inline(always)]
    fn lagged_input(&mut self, i: u32, t: Time, lag: f32, total: f64) -> (Outcome, f32) {
        let c = &self.consts[self.sets[i as usize] as usize];
        let r = self.neurons[i as usize].on_input(c, t, f64::from(lag), total);
        (Outcome::of(&r), r.lag)
    }

    #[inline(always)]
    fn prefetch(&self, i: u32) {
        volley_engine::prefetch(self.neurons.as_ptr().wrapping_add(i as usize));
    }

    fn sample(&self, i: u32, t: Time, out: &mut [f64]) {
        let c = &self.consts[self.sets[i as usize] as usize];
        out[0] = self.neurons[i as usize].v_m_at(c, t);
    }
}

/// The neurons of a plain store of several parameter sets, each input
/// looking its set up inline (`NeuronStore::with_plain`'s own loop).
pub struct ManySetLifDeltas<'a>(pub(super) PlainLifDeltas<'a>);

impl PlainNeurons for ManySetLifDeltas<'_> {
    #[inline(always)]
    fn len(&self) -> usize {
        self.0.len()
    }

    #[inline(always)]
    unsafe fn input_unchecked(&mut self, i: u32, t: Time, total: f64) -> Outcome {
        let v = &mut self.0;
        debug_assert!((i as usize) < v.neurons.len());
        // SAFETY: the caller guarantees `i < self.len() = neurons.len()`,
        // and `sets` has one entry per neuron.
        let (n, set) = unsafe {
            (
                v.neurons.get_unchecked_mut(i as usize),
                *v.sets.get_unchecked(i as usize),
            )
        };
        n.plain_input(&v.consts[set as usize], t, total)
    }

    #[inline(always)]
    fn lagged_input(&mut self, i: u32, t: Time, lag: f32, total: f64) -> (Outcome, f32) {
        self.0.lagged_input(i, t, lag, total)
    }

    #[inline(always)]
    fn prefetch(&self, i: u32) {
        self.0.prefetch(i);
    }

    fn sample(&self, i: u32, t: Time, out: &mut [f64]) {
        self.0.sample(i, t, out);
    }
}
