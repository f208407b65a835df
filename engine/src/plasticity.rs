//! Plastic synapses: synapses whose weight changes as spikes pass them.
//!
//! The engine stores plastic synapses beside the static ones, grouped by
//! source ([`PlasticWiring`]), and numbers them `k = 0..n` within a
//! partition; observers see synapse `k` as class `n_static + k` (after the
//! static classes). A spike reaches a run of one source's plastic synapses
//! of one delay as one arrival; when it lands (at `t_pre + delay`, in the
//! full key order `(time, source, synapse)` of the targets' inputs) the
//! partition asks its [`Plasticity`] for the weight of each synapse of the
//! run, one after the other in synapse order, and delivers them like static
//! weights. Each synapse updates lazily right then, exactly at the event
//! time. Because the synapse lives with its target and its updates happen in
//! its spikes' order, its state is the same for any number of threads.
//!
//! Delays are dendritic, as in NEST: the presynaptic spike reaches the
//! synapse at its emission time, the postsynaptic spike reaches it `delay`
//! after it was fired (so the pairing of a pre spike at `t_pre` with a post
//! spike at `t_post` is `t_post + delay - t_pre`), and the weight acts on
//! the soma at `t_pre + delay`. Post spikes up to `t_pre - delay` decide the
//! update. They are all known when the spike lands: `t_pre - delay` lies at
//! least one window before the landing window (every delay is at least a
//! window long), and a partition registers its neurons' spikes
//! ([`Plasticity::on_post`]) at the end of each window.

use crate::spike::{Gid, Spike};
use crate::time::Time;

/// The most synapse classes plus plastic synapses one partition can hold
/// (both share the queue's u32 class numbers).
pub const MAX_CLASS_NUMBERS: u64 = u32::MAX as u64;

/// The update rules and state of one partition's plastic synapses.
pub trait Plasticity: Send {
    /// A presynaptic spike emitted at exact time `t_pre` (ms) has reached
    /// the plastic synapses `first..first + targets.len()` onto local
    /// neurons `targets`, all of delay `delay` (ms): always one whole run of
    /// the [`PlasticWiring`] (so a rule may keep what a run's synapses
    /// share once per run). Update them, in order, and return the weights
    /// they transmit (as long as `targets`): a rule that transmits its
    /// stored weights lends them, without a copy. Called in each synapse's
    /// spike order, once per spike.
    fn on_pre(&mut self, first: u32, targets: &[u32], t_pre: f64, delay: f64) -> &[f64];

    /// Local neuron `i` fired at exact time `t` (ms).
    fn on_post(&mut self, i: u32, t: f64);

    /// The current weight of plastic synapse `k`.
    fn weight(&self, k: u32) -> f64;

    /// Synapse `k`'s state for a checkpoint (`Err`: why it cannot be saved).
    fn save_synapse(&self, _k: u32) -> Result<SynapseWords, String> {
        Err("these plastic synapses cannot be checkpointed".into())
    }

    /// Synapse `k` takes the state [`save_synapse`](Self::save_synapse) gave.
    fn load_synapse(&mut self, _k: u32, _words: &SynapseWords) {}

    /// What the synapses onto local neuron `i` keep of its spikes (STDP's
    /// history), appended to `out` for a checkpoint.
    fn save_history(&self, _i: u32, _out: &mut Vec<u64>) {}

    /// Neuron `i`'s history takes what [`save_history`](Self::save_history)
    /// wrote (`Err`: the words do not fit).
    fn load_history(&mut self, _i: u32, words: &[u64]) -> Result<(), String> {
        match words {
            [] => Ok(()),
            _ => Err("a spike history for a neuron without one".into()),
        }
    }
}

/// A plastic synapse's state as words (its rule's variables, by their
/// bits; unused words zero).
pub type SynapseWords = [u64; 4];

/// The rules of a network without plastic synapses (none exists).
#[derive(Debug)]
pub enum NoPlasticity {}

impl Plasticity for NoPlasticity {
    fn on_pre(&mut self, _: u32, _: &[u32], _: f64, _: f64) -> &[f64] {
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
    /// Synapses wired as `wiring` with state and rules `rules`.
    pub fn new(wiring: PlasticWiring, rules: Option<P>) -> Self {
        assert!(
            wiring.is_empty() || rules.is_some(),
            "plastic synapses need rules"
        );
        PlasticSynapses { wiring, rules }
    }

    /// `spike` lands on the plastic synapses of `run`: update each, in
    /// synapse order; their targets and the weights they transmit.
    /// Out of line: static networks never call it.
    #[inline(never)]
    pub(crate) fn transmit(&mut self, spike: Spike, run: PlasticRun) -> (&[u32], &[f64]) {
        let t_pre = spike.time.as_ms() + f64::from(spike.lag);
        let delay = run.delay.as_ms();
        let rules = self.rules.as_mut().expect("plastic synapses have rules");
        let targets = self.wiring.targets(run.first, run.len);
        let weights = rules.on_pre(run.first, targets, t_pre, delay);
        debug_assert_eq!(weights.len(), targets.len());
        (targets, weights)
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
/// ordered by (delay, target) within a source, and each source's synapses
/// cut into runs of one delay (one arrival per run and spike). Synapse `k`
/// is position `k`; the [`Plasticity`] keeps its state in the same order.
#[derive(Debug, Default, Clone)]
pub struct PlasticWiring {
    offsets: Vec<u64>,
    targets: Vec<u32>,
    /// Per source: its first run in `runs` (CSR over `runs`).
    run_offsets: Vec<u32>,
    /// `(first synapse, delay)` of each run, in synapse order.
    runs: Vec<(u32, Time)>,
}

/// A run of one source's plastic synapses sharing one delay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlasticRun {
    /// Its first synapse number.
    pub first: u32,
    /// Number of synapses.
    pub len: u32,
    /// Their delay.
    pub delay: Time,
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
        let mut run_offsets = vec![0u32; n_sources as usize + 1];
        let mut runs = Vec::new();
        let mut last: Option<(u32, Time)> = None;
        for k in 0..n {
            let (s, _, d) = synapse(k);
            offsets[s as usize + 1] += 1;
            if last != Some((s, d)) {
                run_offsets[s as usize + 1] += 1;
                runs.push((k as u32, d));
                last = Some((s, d));
            }
        }
        for s in 0..n_sources as usize {
            offsets[s + 1] += offsets[s];
            run_offsets[s + 1] += run_offsets[s];
        }
        PlasticWiring {
            offsets,
            targets: (0..n).map(|k| synapse(k).1).collect(),
            run_offsets,
            runs,
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

    /// The runs of equal delay of `source`'s plastic synapses, by delay.
    #[inline]
    pub fn runs_of(&self, source: Gid) -> impl Iterator<Item = PlasticRun> + '_ {
        let s = source.0 as usize;
        let (a, b) = match self.run_offsets.get(s..s + 2) {
            Some(&[a, b]) => (a as usize, b as usize),
            _ => (0, 0),
        };
        let n = self.len() as u32;
        (a..b).map(move |r| {
            let (first, delay) = self.runs[r];
            let next = self.runs.get(r + 1).map_or(n, |&(f, _)| f);
            PlasticRun {
                first,
                len: next - first,
                delay,
            }
        })
    }

    /// The local targets of synapses `first..first + len`.
    #[inline]
    pub fn targets(&self, first: u32, len: u32) -> &[u32] {
        &self.targets[first as usize..(first + len) as usize]
    }

    /// The run holding synapse `k`.
    pub fn run_of(&self, k: u32) -> PlasticRun {
        // The last run starting at or before k.
        let r = self.runs.partition_point(|&(f, _)| f <= k) - 1;
        let (first, delay) = self.runs[r];
        let next = self.runs.get(r + 1).map_or(self.len() as u32, |&(f, _)| f);
        PlasticRun {
            first,
            len: next - first,
            delay,
        }
    }

    /// The delay of synapse `k`.
    pub fn delay_of(&self, k: u32) -> Time {
        self.run_of(k).delay
    }

    /// The delay of every synapse, by number.
    pub fn delays(&self) -> impl Iterator<Item = Time> + '_ {
        let n = self.len() as u32;
        let runs = &self.runs;
        runs.iter()
            .enumerate()
            .flat_map(move |(r, &(first, delay))| {
                let next = runs.get(r + 1).map_or(n, |&(f, _)| f);
                (first..next).map(move |_| delay)
            })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_split_each_source_by_delay() {
        // (source, target, delay): source 0 has two delays, 1 none, 2 one.
        let syn = [(0, 4, 2), (0, 5, 2), (0, 1, 3), (2, 0, 3), (2, 1, 3)];
        let w = PlasticWiring::from_sorted(3, syn.len(), |k| {
            let (s, t, d) = syn[k];
            (s, t, Time(d))
        });
        let runs = |s| w.runs_of(Gid(s)).collect::<Vec<_>>();
        let run = |first, len, d| PlasticRun {
            first,
            len,
            delay: Time(d),
        };
        assert_eq!(runs(0), vec![run(0, 2, 2), run(2, 1, 3)]);
        assert_eq!(runs(1), vec![]);
        assert_eq!(runs(2), vec![run(3, 2, 3)]);
        assert_eq!(runs(7), vec![]);
        let delays: Vec<u64> = w.delays().map(|d| d.0).collect();
        assert_eq!(delays, vec![2, 2, 3, 3, 3]);
        assert_eq!((0..5).map(|k| w.delay_of(k).0).collect::<Vec<_>>(), delays);
        assert_eq!(
            (w.run_of(1), w.run_of(2), w.run_of(4)),
            (run(0, 2, 2), run(2, 1, 3), run(3, 2, 3))
        );
        assert_eq!(w.targets(3, 2), &[0, 1]);
        assert_eq!((w.source_of(2), w.source_of(3)), (Gid(0), Gid(2)));
    }
}
