//! Plastic synapses: synapses whose weight changes as spikes pass them.
//!
//! The engine stores plastic synapses beside the static ones, grouped by
//! source ([`PlasticWiring`]), and numbers them `k = 0..n` within a
//! partition. A spike through plastic synapse `k` travels the queue like any
//! other delivery, as class `n_static + k` (the queue's class table has one
//! row per plastic synapse after the static classes: its delay and a NaN
//! weight); when the target processes it (at the exact arrival time, in the full key order)
//! the partition asks its [`Plasticity`] for the weight: the synapse updates
//! lazily right then, exactly at the event time. Because the synapse lives
//! with its target and is updated in the target's input order, its state is
//! the same for any number of threads.
//!
//! Delays are dendritic, as in NEST: the presynaptic spike reaches the
//! synapse at its emission time, the postsynaptic spike reaches it `delay`
//! after it was fired (so the pairing of a pre spike at `t_pre` with a post
//! spike at `t_post` is `t_post + delay - t_pre`), and the weight acts on
//! the soma at `t_pre + delay`. Post spikes up to `t_pre - delay` decide the
//! update, and the update happens at `t_pre + delay`, when all of them are
//! known.

use crate::spike::Gid;
use crate::time::Time;

/// The most synapse classes plus plastic synapses one partition can hold
/// (both share the queue's u32 class numbers).
pub const MAX_CLASS_NUMBERS: u64 = u32::MAX as u64;

/// The update rules and state of one partition's plastic synapses.
pub trait Plasticity: Send {
    /// A presynaptic spike emitted at exact time `t_pre` (ms) has reached
    /// plastic synapse `k` onto local neuron `target`, whose delay is
    /// `delay` (ms). Update the synapse and return the weight it transmits.
    /// Called in the target's input order, so at most once per spike.
    fn on_pre(&mut self, k: u32, target: u32, t_pre: f64, delay: f64) -> f64;

    /// Local neuron `i` fired at exact time `t` (ms).
    fn on_post(&mut self, i: u32, t: f64);

    /// The current weight of plastic synapse `k`.
    fn weight(&self, k: u32) -> f64;
}

/// The rules of a network without plastic synapses (none exists).
#[derive(Debug)]
pub enum NoPlasticity {}

impl Plasticity for NoPlasticity {
    fn on_pre(&mut self, _: u32, _: u32, _: f64, _: f64) -> f64 {
        match *self {}
    }
    fn on_post(&mut self, _: u32, _: f64) {
        match *self {}
    }
    fn weight(&self, _: u32) -> f64 {
        match *self {}
    }
}

/// One partition's plastic synapses: where they go, and their rules.
pub struct PlasticSynapses<P> {
    /// Their sources and targets.
    pub wiring: PlasticWiring,
    /// Their state and rules (`None` if there are none).
    pub rules: Option<P>,
}

impl<P: Plasticity> PlasticSynapses<P> {
    /// A spike over plastic synapse `k` (of delay `delay`) reaches local
    /// neuron `i` at tick `t` (+ `lag` ms): update the synapse, return the
    /// weight it transmits. Out of line: static networks never call it.
    #[inline(never)]
    pub(crate) fn transmit(&mut self, k: u32, i: u32, t: Time, lag: f32, delay: Time) -> f64 {
        let t_pre = (t - delay).as_ms() + f64::from(lag);
        let rules = self.rules.as_mut().expect("plastic synapses have rules");
        rules.on_pre(k, i, t_pre, delay.as_ms())
    }

    /// Local neuron `i` fired at `t` (+ `lag` ms).
    #[inline]
    pub(crate) fn on_post(&mut self, i: u32, t: Time, lag: f32) {
        if let Some(rules) = self.rules.as_mut() {
            rules.on_post(i, t.as_ms() + f64::from(lag));
        }
    }
}

/// Where one partition's plastic synapses go: grouped by source (CSR),
/// ordered by (delay, target) within a source, with their delays until a
/// partition takes them. Synapse `k` is position `k`;
/// the [`Plasticity`] keeps its state in the same order.
#[derive(Debug, Default, Clone)]
pub struct PlasticWiring {
    offsets: Vec<u64>,
    targets: Vec<u32>,
    delays: Vec<Time>,
}

impl PlasticWiring {
    /// From `n` synapses `synapse(k) = (source gid, local target, delay)`,
    /// sorted by `(source, delay, target)`, for sources `0..n_sources`.
    pub fn from_sorted(
        n_sources: u32,
        n: usize,
        synapse: impl Fn(usize) -> (u32, u32, Time),
    ) -> Self {
        debug_assert!((1..n).all(|k| {
            let (a, b) = (synapse(k - 1), synapse(k));
            (a.0, a.2, a.1) <= (b.0, b.2, b.1)
        }));
        if n == 0 {
            return PlasticWiring::default();
        }
        let mut offsets = vec![0u64; n_sources as usize + 1];
        for k in 0..n {
            offsets[synapse(k).0 as usize + 1] += 1;
        }
        for s in 0..n_sources as usize {
            offsets[s + 1] += offsets[s];
        }
        PlasticWiring {
            offsets,
            targets: (0..n).map(|k| synapse(k).1).collect(),
            delays: (0..n).map(|k| synapse(k).2).collect(),
        }
    }

    /// Number of plastic synapses.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Number of source gids the table covers.
    pub fn n_sources(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// The plastic synapses of `source`: their local targets and the number
    /// of the first (the others follow consecutively).
    #[inline]
    pub fn synapses_of(&self, source: Gid) -> (&[u32], u32) {
        let s = source.0 as usize;
        if s + 1 >= self.offsets.len() {
            return (&[], 0);
        }
        let (a, b) = (self.offsets[s] as usize, self.offsets[s + 1] as usize);
        (&self.targets[a..b], a as u32)
    }

    /// Delay of every plastic synapse, by number, taken out (a partition
    /// keeps them in its queue's class table; see
    /// [`Partition::plastic_delay`](crate::Partition::plastic_delay)).
    pub fn take_delays(&mut self) -> Vec<Time> {
        std::mem::take(&mut self.delays)
    }

    /// The source gid of synapse `k`.
    pub fn source_of(&self, k: u32) -> Gid {
        let k = u64::from(k);
        // The last source whose first synapse is at or before k.
        let s = self.offsets.partition_point(|&o| o <= k) - 1;
        Gid(s as u32)
    }

    /// The local target of synapse `k`.
    pub fn target_of(&self, k: u32) -> u32 {
        self.targets[k as usize]
    }
}
