//! One partition's plastic synapses: their rules, their state, the spike
//! histories of their targets, and the weight samples being recorded.

use super::post_trace::{ExpMemo, PostTrace};
use super::stdp::{MuOne, MuZero, Powers, WeightRule};
use super::stdp_run::{self, RunScratch};
use super::tsodyks2;
use super::SynapseRule;
use volley_engine::{Plasticity, SynapseWords};

/// Synapses per block of the segment index (a power of two).
const BLOCK_SHIFT: u32 = 10;

/// The state of one plastic synapse.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SynapseState {
    /// Weight (STDP: the plastic weight; tsodyks2: the fixed scale).
    pub weight: f64,
    /// STDP: the presynaptic trace `Kplus`; tsodyks2: resources `x`.
    pub a: f64,
    /// tsodyks2: release probability `u` (unused by STDP).
    pub b: f64,
    /// Time of the last presynaptic spike (ms).
    pub t_last: f64,
    /// Index of its rule.
    pub rule: u16,
}

/// Consecutive synapses of one run (one source, one delay) with one rule,
/// and what they share. Everything a rule keeps but the weight — STDP's
/// `Kplus`, tsodyks2's `x` and `u`, the last spike's time — changes with the
/// source's spikes only, and the synapses of a run see the same spikes at
/// the same times: it is held once here, not once per synapse (8 bytes of
/// state per synapse instead of 40).
#[derive(Clone, Copy, Debug)]
struct Segment {
    /// Its first synapse; it ends where the next segment begins.
    first: u32,
    /// Index of its rule.
    rule: u16,
    /// Whether a synapse of it is traced.
    traced: bool,
    /// STDP: `Kplus`; tsodyks2: `x`.
    a: f64,
    /// tsodyks2: `u`.
    b: f64,
    /// Time of the last presynaptic spike (ms).
    t_last: f64,
}

/// One recorded weight change: a presynaptic spike at `t_pre` set synapse
/// `k`'s weight to `weight`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WeightSample {
    /// Exact presynaptic spike time (ms).
    pub t_pre: f64,
    /// Plastic synapse number in its partition.
    pub k: u32,
    /// The weight after the update (tsodyks2: the transmitted `x u weight`).
    pub weight: f64,
}

/// Plastic synapses of one partition, numbered as in the engine's
/// [`PlasticWiring`](volley_engine::PlasticWiring).
#[derive(Default)]
pub struct PlasticStore {
    rules: Vec<SynapseRule>,
    /// Per synapse: its weight.
    weights: Vec<f64>,
    /// The synapses cut into segments, by first synapse.
    segments: Vec<Segment>,
    /// Per block of `1 << BLOCK_SHIFT` synapses: the segment holding its first synapse
    /// (a segment lookup searches one block's segments, not all of them).
    block_segment: Vec<u32>,
    /// Per local neuron: its spike history (if an STDP synapse targets it).
    post: Vec<Option<PostTrace>>,
    /// Per synapse, one bit: whether its weight changes are recorded
    /// (see `traced_bit`).
    traced: Vec<u64>,
    samples: Vec<WeightSample>,
    /// The last `Kplus` decay (the segments of a source share it).
    decay: ExpMemo,
    /// Room for the STDP updates.
    scratch: RunScratch,
    /// The weights a run transmits when they are not its stored ones.
    transmitted: Vec<f64>,
    /// The last tsodyks2 decays (likewise).
    tsodyks2_decays: tsodyks2::Decays,
}

impl PlasticStore {
    /// A store for `n_neurons` local neurons with these rules, with room
    /// for `capacity` synapses.
    pub fn new(rules: Vec<SynapseRule>, n_neurons: u32, capacity: usize) -> Self {
        PlasticStore {
            rules,
            post: vec![None; n_neurons as usize],
            weights: Vec::with_capacity(capacity),
            traced: Vec::with_capacity(capacity.div_ceil(64)),
            ..Default::default()
        }
    }

    /// Append synapse `k = len()` onto local neuron `target` with rule
    /// `rule`, initial weight `weight` and delay `delay` (ms); the target's
    /// `tau_minus` (ms) is used if it has no history yet. `starts_run`: it
    /// is the first synapse of a run of the engine's wiring (a new source
    /// or delay); the runs must be pushed in order, as the engine numbers
    /// them.
    pub fn push(
        &mut self,
        rule: u16,
        target: u32,
        weight: f64,
        delay: f64,
        tau_minus: f64,
        starts_run: bool,
    ) {
        let r = &self.rules[rule as usize];
        if r.needs_post_history() {
            self.post[target as usize]
                .get_or_insert_with(|| PostTrace::new(tau_minus))
                .add_incoming(delay);
        }
        let k = self.weights.len() as u32;
        if starts_run || self.segments.last().is_none_or(|s| s.rule != rule) {
            let (a, b, t_last) = match r {
                SynapseRule::Stdp(_) | SynapseRule::StdpPl(_) => (0.0, 0.0, 0.0),
                SynapseRule::Tsodyks2(p) => (p.x, p.initial_u(), -1.0),
            };
            self.segments.push(Segment {
                first: k,
                rule,
                traced: false,
                a,
                b,
                t_last,
            });
        }
        if k.trailing_zeros() >= BLOCK_SHIFT {
            self.block_segment.push(self.segments.len() as u32 - 1);
        }
        if k % 64 == 0 {
            self.traced.push(0);
        }
        self.weights.push(weight);
    }

    /// The segment holding synapse `k`.
    #[inline]
    fn segment_of(&self, k: u32) -> usize {
        let b = (k >> BLOCK_SHIFT) as usize;
        let lo = self.block_segment[b] as usize;
        let hi = self
            .block_segment
            .get(b + 1)
            .map_or(self.segments.len(), |&h| h as usize + 1);
        lo + self.segments[lo..hi].partition_point(|s| s.first <= k) - 1
    }

    /// Record the weight changes of synapse `k`.
    pub fn trace(&mut self, k: u32) {
        let (word, bit) = traced_bit(k);
        self.traced[word] |= bit;
        let s = self.segment_of(k);
        self.segments[s].traced = true;
    }

    /// Number of traced synapses.
    pub fn n_traced(&self) -> u64 {
        self.traced.iter().map(|w| u64::from(w.count_ones())).sum()
    }

    /// Number of synapses.
    pub fn len(&self) -> usize {
        self.weights.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    /// The state of synapse `k`.
    pub fn state(&self, k: u32) -> SynapseState {
        let s = &self.segments[self.segment_of(k)];
        SynapseState {
            weight: self.weights[k as usize],
            a: s.a,
            b: s.b,
            t_last: s.t_last,
            rule: s.rule,
        }
    }

    /// The weight changes recorded so far (taken out).
    pub fn take_samples(&mut self) -> Vec<WeightSample> {
        std::mem::take(&mut self.samples)
    }

    /// A spike at `t_pre` passes segment `s`, synapses `first..` onto
    /// `targets`, and updates them; what they transmit is their stored
    /// weight times the factor returned (`None`: the weight as it is).
    #[inline]
    fn segment_on_pre(
        &mut self,
        s: usize,
        first: u32,
        targets: &[u32],
        t_pre: f64,
        delay: f64,
    ) -> Option<f64> {
        let range = first as usize..first as usize + targets.len();
        let seg = &mut self.segments[s];
        let weights = &mut self.weights[range];
        let at = (
            &mut self.post[..],
            &mut self.decay,
            &mut self.scratch,
            t_pre,
            delay,
        );
        let scale = match &self.rules[seg.rule as usize] {
            SynapseRule::Stdp(p) => {
                match (p.mu_plus, p.mu_minus) {
                    (1.0, 1.0) => {
                        let rule = Powers::<MuOne, MuOne>::new(p);
                        stdp_segment(&rule, seg, weights, targets, at);
                    }
                    (0.0, 0.0) => {
                        let rule = Powers::<MuZero, MuZero>::new(p);
                        stdp_segment(&rule, seg, weights, targets, at);
                    }
                    _ => stdp_segment(p, seg, weights, targets, at),
                }
                None
            }
            SynapseRule::StdpPl(p) => {
                stdp_segment(p, seg, weights, targets, at);
                None
            }
            SynapseRule::Tsodyks2(p) => {
                let decays = &mut self.tsodyks2_decays;
                Some(p.on_pre(&mut seg.a, &mut seg.b, &mut seg.t_last, t_pre, decays))
            }
        };
        seg.t_last = t_pre;
        if seg.traced {
            for (&w, k) in weights.iter().zip(first..) {
                let (word, bit) = traced_bit(k);
                if self.traced[word] & bit != 0 {
                    let weight = scale.map_or(w, |x| x * w);
                    self.samples.push(WeightSample { t_pre, k, weight });
                }
            }
        }
        scale
    }
}

/// Where synapse `k`'s traced flag is: its word and the bit in it.
#[inline]
fn traced_bit(k: u32) -> (usize, u64) {
    (k as usize / 64, 1 << (k % 64))
}

/// The targets' histories, the `Kplus` decay memo, room for the update,
/// and the spike's time and delay (ms).
type StdpContext<'a> = (
    &'a mut [Option<PostTrace>],
    &'a mut ExpMemo,
    &'a mut RunScratch,
    f64,
    f64,
);

/// A spike at `t_pre` passes the STDP synapses `weights` of segment `seg`
/// onto `targets`: each weight is updated, in synapse order; then the
/// segment's `Kplus` advances.
#[inline]
fn stdp_segment<R: WeightRule>(
    rule: &R,
    seg: &mut Segment,
    weights: &mut [f64],
    targets: &[u32],
    (post, decay, scratch, t_pre, delay): StdpContext<'_>,
) {
    let (kplus, last) = (seg.a, seg.t_last);
    stdp_run::on_pre_run(
        rule,
        weights,
        targets,
        post,
        (kplus, last, t_pre, delay),
        scratch,
    );
    seg.a = stdp_run::kplus_after(rule, kplus, last, t_pre, decay);
}

impl Plasticity for PlasticStore {
    /// `first..first + targets.len()` is one whole run of the wiring, so it
    /// covers whole segments, whose weights are side by side. A run whose
    /// segments all transmit their stored weights (STDP) lends them; any
    /// other fills `transmitted`.
    #[inline]
    fn on_pre(&mut self, first: u32, targets: &[u32], t_pre: f64, delay: f64) -> &[f64] {
        let run = first as usize..first as usize + targets.len();
        let (mut s, mut at) = (self.segment_of(first), run.start);
        let mut lent = true;
        while at < run.end {
            let next = self
                .segments
                .get(s + 1)
                .map_or(self.weights.len(), |g| g.first as usize)
                .min(run.end);
            let part = at - run.start..next - run.start;
            let scale = self.segment_on_pre(s, at as u32, &targets[part.clone()], t_pre, delay);
            if scale.is_some() || !lent {
                // Transmitted weights of their own: those of the run's
                // segments so far, then this one's.
                if lent {
                    self.transmitted.clear();
                    self.transmitted
                        .extend_from_slice(&self.weights[run.start..at]);
                    lent = false;
                }
                let weights = &self.weights[at..next];
                match scale {
                    Some(x) => self.transmitted.extend(weights.iter().map(|&w| x * w)),
                    None => self.transmitted.extend_from_slice(weights),
                }
            }
            (s, at) = (s + 1, next);
        }
        if lent {
            &self.weights[run]
        } else {
            &self.transmitted
        }
    }

    #[inline]
    fn on_post(&mut self, i: u32, t: f64) {
        if let Some(p) = self.post[i as usize].as_mut() {
            p.on_spike(t);
        }
    }

    fn weight(&self, k: u32) -> f64 {
        self.weights[k as usize]
    }

    fn save_synapse(&self, k: u32) -> Result<SynapseWords, String> {
        let s = self.state(k);
        Ok([s.weight, s.a, s.b, s.t_last].map(f64::to_bits))
    }

    /// The shared words (all but the weight) of the synapse's segment take
    /// the last value loaded; a checkpoint holds the same for all of them.
    fn load_synapse(&mut self, k: u32, words: &SynapseWords) {
        let s = self.segment_of(k);
        let s = &mut self.segments[s];
        [self.weights[k as usize], s.a, s.b, s.t_last] = words.map(f64::from_bits);
    }

    fn save_history(&self, i: u32, out: &mut Vec<u64>) {
        if let Some(p) = &self.post[i as usize] {
            p.save(out);
        }
    }

    fn load_history(&mut self, i: u32, words: &[u64]) -> Result<(), String> {
        match (&mut self.post[i as usize], words) {
            (None, []) => Ok(()),
            (Some(p), w) => p.load(w).ok_or_else(|| "a malformed spike history".into()),
            (None, _) => Err("a spike history for a neuron without STDP synapses".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synapse::tsodyks2::{Decays, Tsodyks2Params};

    fn tsodyks2(u: f64, tau_rec: f64) -> SynapseRule {
        SynapseRule::Tsodyks2(Tsodyks2Params {
            U: u,
            u: None,
            x: 1.0,
            tau_rec,
            tau_fac: 50.0,
        })
    }

    /// Rules interleaved within a run, and a second run: each synapse ends
    /// as one that kept its own state would, and a checkpoint's words
    /// restore it.
    #[test]
    fn segments_share_state_as_synapses_of_their_own_would() {
        let rules = vec![tsodyks2(0.3, 200.0), tsodyks2(0.6, 500.0)];
        // (rule, weight, starts_run): run 0 = synapses 0..3, run 1 = 3..5.
        let synapses = [
            (0, 1.0, true),
            (1, 2.0, false),
            (0, 3.0, false),
            (0, 4.0, true),
            (1, 5.0, false),
        ];
        let mut store = PlasticStore::new(rules.clone(), 1, synapses.len());
        for &(rule, w, starts) in &synapses {
            store.push(rule, 0, w, 1.0, 20.0, starts);
        }
        store.trace(2);
        assert_eq!(store.segments.len(), 5);
        let mut own: Vec<(f64, f64, f64)> = synapses
            .iter()
            .map(|&(r, _, _)| match &rules[r as usize] {
                SynapseRule::Tsodyks2(p) => (p.x, p.initial_u(), -1.0),
                _ => unreachable!(),
            })
            .collect();
        let spikes = [
            (0, 3, 10.0),
            (3, 2, 12.5),
            (0, 3, 31.0),
            (0, 3, 33.25),
            (3, 2, 80.0),
        ];
        for (first, len, t) in spikes {
            let out = store.on_pre(first, &vec![0; len], t, 1.0).to_vec();
            for (j, &got) in out.iter().enumerate() {
                let k = first as usize + j;
                let SynapseRule::Tsodyks2(p) = &rules[synapses[k].0 as usize] else {
                    unreachable!()
                };
                let (x, u, last) = &mut own[k];
                let want = p.on_pre(x, u, last, t, &mut Decays::default()) * synapses[k].1;
                assert_eq!(got.to_bits(), want.to_bits(), "synapse {k} at {t}");
            }
        }
        let samples = store.take_samples();
        assert_eq!(
            samples.iter().map(|s| s.k).collect::<Vec<_>>(),
            vec![2, 2, 2]
        );
        let saved: Vec<SynapseWords> = (0..5).map(|k| store.save_synapse(k).unwrap()).collect();
        let mut fresh = PlasticStore::new(rules, 1, synapses.len());
        for &(rule, w, starts) in &synapses {
            fresh.push(rule, 0, w, 1.0, 20.0, starts);
        }
        for (k, words) in saved.iter().enumerate() {
            fresh.load_synapse(k as u32, words);
        }
        for k in 0..5 {
            assert_eq!(fresh.state(k), store.state(k));
            let (x, u, last) = own[k as usize];
            assert_eq!(
                (store.state(k).a, store.state(k).b, store.state(k).t_last),
                (x, u, last)
            );
        }
    }

    /// Traced synapses on both sides of a 64-synapse word boundary, in
    /// runs that cross it: exactly they leave samples.
    #[test]
    fn exactly_the_traced_synapses_leave_samples() {
        let mut store = PlasticStore::new(vec![tsodyks2(0.3, 200.0)], 1, 200);
        for k in 0..200 {
            store.push(0, 0, 1.0, 1.0, 20.0, k % 50 == 0);
        }
        let traced = [0, 63, 64, 130, 199];
        for k in traced {
            store.trace(k);
        }
        assert_eq!(store.n_traced(), traced.len() as u64);
        for first in (0..200).step_by(50) {
            store.on_pre(first, &[0; 50], 10.0, 1.0);
        }
        let ks: Vec<u32> = store.take_samples().iter().map(|s| s.k).collect();
        assert_eq!(ks, traced);
    }

    /// A run of STDP and tsodyks2 segments transmits each STDP synapse's
    /// stored weight and each tsodyks2 synapse's scaled one, whichever
    /// segment comes first; a run of STDP segments alone lends its stored
    /// weights.
    #[test]
    fn a_mixed_run_transmits_each_segments_weights() {
        let stdp = |model: &str| {
            let t: toml::Table = toml::from_str(&format!("model = \"{model}\"")).unwrap();
            SynapseRule::parse(&t).unwrap().unwrap()
        };
        let rules = vec![stdp("stdp"), tsodyks2(0.3, 200.0), stdp("stdp_nn_symm")];
        // Run 0: stdp, tsodyks2, stdp_nn_symm; run 1: tsodyks2 first;
        // run 2: stdp then stdp_nn_symm (lent).
        let synapses = [
            (0, true),
            (0, false),
            (1, false),
            (2, false),
            (1, true),
            (0, false),
            (0, true),
            (2, false),
        ];
        let mut store = PlasticStore::new(rules.clone(), 2, synapses.len());
        for (k, &(rule, starts)) in synapses.iter().enumerate() {
            store.push(rule, k as u32 % 2, 0.5 + k as f64, 1.0, 20.0, starts);
        }
        let SynapseRule::Tsodyks2(p) = &rules[1] else {
            unreachable!()
        };
        // Each tsodyks2 synapse's (x, u, last spike), kept as its own.
        let mut own = vec![(p.x, p.initial_u(), -1.0); synapses.len()];
        store.on_post(0, 3.0);
        store.on_post(1, 4.5);
        for t in [6.0, 9.5] {
            for (first, len) in [(0, 4), (4, 2), (6, 2)] {
                let targets: Vec<u32> = (first..first + len).map(|k| k % 2).collect();
                let sent = store.on_pre(first, &targets, t, 1.0).to_vec();
                assert_eq!(sent.len(), len as usize);
                for (j, &w) in sent.iter().enumerate() {
                    let k = first as usize + j;
                    let stored = store.weight(k as u32);
                    let want = match synapses[k].0 {
                        1 => {
                            let (x, u, last) = &mut own[k];
                            p.on_pre(x, u, last, t, &mut Decays::default()) * stored
                        }
                        _ => stored,
                    };
                    assert_eq!(w.to_bits(), want.to_bits(), "synapse {k} at {t}");
                }
            }
        }
        // The STDP synapses did change (the check above is not vacuous).
        assert_ne!(store.weight(0), 0.5);
    }

    proptest::proptest! {
        /// The block index finds the segment a search of all segments
        /// would: runs shorter and longer than a block, starting anywhere.
        #[test]
        fn segment_lookup_matches_a_full_search(
            runs in proptest::collection::vec(1usize..3000, 1..40),
        ) {
            let n: usize = runs.iter().sum();
            let mut store = PlasticStore::new(vec![tsodyks2(0.3, 200.0)], 1, n);
            for len in runs {
                for j in 0..len {
                    store.push(0, 0, 1.0, 1.0, 20.0, j == 0);
                }
            }
            for k in 0..n as u32 {
                let full = store.segments.partition_point(|s| s.first <= k) - 1;
                proptest::prop_assert_eq!(store.segment_of(k), full);
            }
        }
    }
}
