//! The interface between the engine and neuron models.
//!
//! The engine decides *when* things happen; a [`Dynamics`] implementation (one
//! per partition, holding all its neurons' state) decides *what* happens. The
//! engine calls it in exact time order per neuron, with all same-time inputs to
//! one neuron already summed in full-key order.

use crate::time::Time;

/// How a neuron's predicted spike time changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forecast {
    /// The previous prediction still holds (or the neuron never forecasts).
    Unchanged,
    /// The neuron will fire at this time unless an input intervenes.
    At(Time),
    /// The neuron will not fire without input.
    Never,
}

/// What happened to a neuron on one call.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Response {
    /// The neuron fired at the call's time.
    pub spiked: bool,
    /// The input was discarded by design (e.g. during refractoriness).
    pub discarded: bool,
    /// The neuron's new prediction.
    pub forecast: Forecast,
    /// With `spiked`: exact spike time minus the call's tick time, in ms.
    pub lag: f32,
}

impl Response {
    /// Nothing happened and the prediction is unchanged.
    pub const QUIET: Response = Response {
        spiked: false,
        discarded: false,
        forecast: Forecast::Unchanged,
        lag: 0.0,
    };
}

/// All inputs to one neuron at one instant, summed.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Input {
    /// Sum of all weights, in full-key order (what delta synapses add).
    pub total: f64,
    /// Sum of the weights ≥ 0 (excitatory currents).
    pub excitatory: f64,
    /// Sum of the weights < 0 (inhibitory currents).
    pub inhibitory: f64,
}

impl Input {
    /// One weight alone.
    #[inline]
    pub fn single(w: f64) -> Self {
        if w >= 0.0 {
            Input {
                total: w,
                excitatory: w,
                inhibitory: 0.0,
            }
        } else {
            Input {
                total: w,
                excitatory: 0.0,
                inhibitory: w,
            }
        }
    }

    /// Add `w` to the total only (for plain stores, which read nothing else).
    #[inline(always)]
    pub fn add_total(&mut self, w: f64) {
        self.total += w;
    }

    /// Add one more weight.
    #[inline]
    pub fn add(&mut self, w: f64) {
        self.total += w;
        if w >= 0.0 {
            self.excitatory += w;
        } else {
            self.inhibitory += w;
        }
    }
}

/// All neurons of one partition, addressed by local index.
pub trait Dynamics {
    /// Number of neurons.
    fn len(&self) -> u32;

    /// Whether there are no neurons.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Called once per neuron at `t` (the simulation start) for the initial
    /// prediction (or an immediate spike if the neuron starts above threshold).
    fn start(&mut self, i: u32, t: Time) -> Response;

    /// The summed inputs to `i` at tick `t` arrive; their exact time is
    /// `t + lag` (ms).
    fn on_input(&mut self, i: u32, t: Time, lag: f32, input: Input) -> Response;

    /// Hint that neuron `i` takes an input soon (any `i`; a no-op by
    /// default): its state may be far out of cache.
    #[inline(always)]
    fn prefetch(&self, _i: u32) {}

    /// The prediction made for `i` has come due at `t`.
    fn on_forecast(&mut self, i: u32, t: Time) -> Response;

    /// Whether every neuron is *plain*: it never makes a prediction (no
    /// current-driven crossing), reads only [`Input::total`], and a spike
    /// it fires on a zero-lag input has lag 0. Then the engine hands such
    /// inputs over by [`plain_input`](Self::plain_input), with no
    /// [`Response`] to route and no excitatory/inhibitory split to keep —
    /// the common case (Brunel's `lif_delta`) costs a third fewer
    /// instructions per input.
    fn is_plain(&self) -> bool {
        false
    }

    /// A plain store's neurons, borrowed for a run of inputs (used only
    /// when [`is_plain`](Self::is_plain)).
    type Plain<'a>: PlainNeurons
    where
        Self: 'a;

    /// The view a run of plain inputs goes through: the engine keeps it in
    /// locals beside its own arrays for a whole run of synapses, so that a
    /// store into a neuron does not make the compiler reload every array
    /// header of the partition (as a call through `&mut self` does).
    fn plain_neurons(&mut self) -> Self::Plain<'_>;

    /// Names of the state variables [`sample`](Self::sample) reports for
    /// neuron `i`, in order (NEST's names: `V_m`, `I_syn_ex`, ...).
    fn recordables(&self, _i: u32) -> &'static [&'static str] {
        &[]
    }

    /// Neuron `i`'s state at the exact time `t` (no earlier than the last
    /// event it processed), in [`recordables`](Self::recordables) order,
    /// written into `out` — read only: the state itself does not move.
    fn sample(&self, _i: u32, _t: Time, _out: &mut [f64]) {}

    /// From exactly `t` on, neuron `i` receives the injected current `pa`
    /// (pA, on top of its `I_e`); every earlier event of it has been
    /// processed. Returns its prediction. Models that take no current
    /// ignore it (the model file refuses to drive them).
    fn set_current(&mut self, _i: u32, _t: Time, _pa: f64) -> Response {
        Response::QUIET
    }

    /// Do `work` with the plain store's neurons ([`plain_neurons`](Self::plain_neurons)
    /// by default). A wrapper may choose among several views at run time —
    /// each compiled into its own loop, so the cheapest one costs nothing
    /// for the others ([`Devices`](crate::Devices) without a sampled
    /// neuron hands over its inner view).
    #[inline(always)]
    fn with_plain<W: PlainWork>(&mut self, work: W) -> W::Out {
        work.run(self.plain_neurons())
    }

    /// Do `work` with the neurons as the general path sees them (`self` by
    /// default). A wrapper with nothing to add hands over the neurons it
    /// wraps, so the general loop compiled for them runs without it.
    #[inline(always)]
    fn with_general<W: GeneralWork>(&mut self, work: W) -> W::Out
    where
        Self: Sized,
    {
        work.run(self)
    }

    /// Neuron `i`'s state, appended to `out` as words for a checkpoint
    /// (`Err` says why this model's state cannot be saved). Everything a
    /// later event of `i` reads must be in it: loaded into a freshly built
    /// neuron by [`load_neuron`](Self::load_neuron), the neuron behaves bit
    /// for bit as the saved one.
    fn save_neuron(&self, _i: u32, _out: &mut Vec<u64>) -> Result<(), String> {
        Err("this neuron model cannot be checkpointed".into())
    }

    /// Neuron `i` takes the state [`save_neuron`](Self::save_neuron) wrote
    /// at a checkpoint at `at` (`Err`: the words do not fit its model, or
    /// hold a time later than `at` allows).
    fn load_neuron(&mut self, _i: u32, _words: &[u64], _at: Time) -> Result<(), String> {
        Err("this neuron model cannot be checkpointed".into())
    }

    /// After every neuron was loaded from a checkpoint taken at window edge
    /// `at`: bring what is not per-neuron state (devices' clocks) to `at`.
    fn loaded_at(&mut self, _at: Time) {}

    /// Loading a checkpoint: neuron `i` has had the injected current `pa`
    /// since before the checkpoint (its state, already loaded, must not
    /// change — only the parameters it evolves with).
    fn load_current(&mut self, _i: u32, _pa: f64) {}

    /// For a plain store: exactly `on_input(i, t, 0.0, input)` for an
    /// `input` whose total is `total` (same state change), reporting only
    /// what happened.
    #[inline(always)]
    fn plain_input(&mut self, i: u32, t: Time, total: f64) -> Outcome {
        self.plain_neurons().input(i, t, total)
    }
}

/// Work done with a plain store's neurons, whatever the type of their view
/// ([`Dynamics::with_plain`]).
pub trait PlainWork {
    /// What it returns.
    type Out;
    /// Do it with `neurons`.
    fn run<P: PlainNeurons>(self, neurons: P) -> Self::Out;
}

/// Work done with any neurons ([`Dynamics::with_general`]).
pub trait GeneralWork {
    /// What it returns.
    type Out;
    /// Do it with `dynamics`.
    fn run<D: Dynamics>(self, dynamics: &mut D) -> Self::Out;
}

/// Neurons of a plain store ([`Dynamics::is_plain`]), borrowed.
pub trait PlainNeurons {
    /// Number of neurons (local indices `0..len`).
    fn len(&self) -> usize;

    /// Whether there are none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Exactly [`Dynamics::plain_input`].
    #[inline(always)]
    fn input(&mut self, i: u32, t: Time, total: f64) -> Outcome {
        assert!((i as usize) < self.len(), "neuron {i} out of range");
        // SAFETY: checked just above.
        unsafe { self.input_unchecked(i, t, total) }
    }

    /// [`input`](Self::input) without checking that `i` is in range (the
    /// engine's per-neuron step checks each target once against every
    /// array it indexes, instead of once per array).
    ///
    /// # Safety
    /// `i < self.len()`.
    unsafe fn input_unchecked(&mut self, i: u32, t: Time, total: f64) -> Outcome;

    /// An input whose exact time is `t + lag` with `lag != 0` (rare: a
    /// current-driven spike of another partition's neurons): exactly
    /// [`Dynamics::on_input`]; what happened, and a spike's lag.
    fn lagged_input(&mut self, i: u32, t: Time, lag: f32, total: f64) -> (Outcome, f32);

    /// Hint that neuron `i` takes an input soon (any `i`; a no-op by default).
    #[inline(always)]
    fn prefetch(&self, _i: u32) {}

    /// Exactly [`Dynamics::sample`].
    fn sample(&self, _i: u32, _t: Time, _out: &mut [f64]) {}
}

/// Ask the CPU to bring the line holding `p` into L1: a hint, which never
/// faults and reads nothing into the program, whatever `p` is.
#[inline(always)]
pub fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: the intrinsic is `unsafe` only for its target feature, SSE,
    // which every x86_64 CPU has; PREFETCHT0 of any address (null, dangling,
    // unmapped) neither faults nor changes memory (`prefetch_never_faults`).
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// What a plain input ([`Dynamics::plain_input`]) did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Taken, no spike.
    Quiet,
    /// Dropped (refractory).
    Discarded,
    /// Taken, and the neuron fired at the input's tick (lag 0).
    Spiked,
}

impl Outcome {
    /// What a [`Response`] to a zero-lag input says happened.
    pub fn of(r: &Response) -> Outcome {
        if r.spiked {
            Outcome::Spiked
        } else if r.discarded {
            Outcome::Discarded
        } else {
            Outcome::Quiet
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefetch_never_faults() {
        let v = vec![7u64; 4];
        prefetch(v.as_ptr());
        prefetch(v.as_ptr().wrapping_add(1 << 40));
        prefetch(std::ptr::null::<u64>());
        prefetch(usize::MAX as *const u8);
        assert_eq!(v, [7; 4]);
    }
}
