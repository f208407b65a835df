//! One partition's plastic synapses: their rules, their state, the spike
//! histories of their targets, and the weight samples being recorded.

use super::post_trace::{ExpMemo, PostTrace};
use super::stdp::{self, WeightRule};
use super::tsodyks2;
use super::SynapseRule;
use volley_engine::dynamics::prefetch;
use volley_engine::{Plasticity, SynapseWords};

/// How many synapses of a run ahead a target's history is fetched.
const PREFETCH_AHEAD: usize = 8;

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
    synapses: Vec<SynapseState>,
    /// Per local neuron: its spike history (if an STDP synapse targets it).
    post: Vec<Option<PostTrace>>,
    /// Per synapse: whether its weight changes are recorded.
    traced: Vec<bool>,
    samples: Vec<WeightSample>,
    /// The last `Kplus` decay (shared by the synapses of a run).
    decay: ExpMemo,
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
            synapses: Vec::with_capacity(capacity),
            traced: Vec::with_capacity(capacity),
            ..Default::default()
        }
    }

    /// Append synapse `k = len()` onto local neuron `target` with rule
    /// `rule`, initial weight `weight` and delay `delay` (ms); the target's
    /// `tau_minus` (ms) is used if it has no history yet.
    pub fn push(&mut self, rule: u16, target: u32, weight: f64, delay: f64, tau_minus: f64) {
        let r = &self.rules[rule as usize];
        let (a, b, t_last) = match r {
            SynapseRule::Stdp(_) | SynapseRule::StdpPl(_) => (0.0, 0.0, 0.0),
            SynapseRule::Tsodyks2(p) => (p.x, p.initial_u(), -1.0),
        };
        if r.needs_post_history() {
            self.post[target as usize]
                .get_or_insert_with(|| PostTrace::new(tau_minus))
                .add_incoming(delay);
        }
        self.synapses.push(SynapseState {
            weight,
            a,
            b,
            t_last,
            rule,
        });
        self.traced.push(false);
    }

    /// Record the weight changes of synapse `k`.
    pub fn trace(&mut self, k: u32) {
        self.traced[k as usize] = true;
    }

    /// Number of traced synapses.
    pub fn n_traced(&self) -> u64 {
        self.traced.iter().filter(|&&t| t).count() as u64
    }

    /// Number of synapses.
    pub fn len(&self) -> usize {
        self.synapses.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.synapses.is_empty()
    }

    /// The state of synapse `k`.
    pub fn state(&self, k: u32) -> SynapseState {
        self.synapses[k as usize]
    }

    /// The weight changes recorded so far (taken out).
    pub fn take_samples(&mut self) -> Vec<WeightSample> {
        std::mem::take(&mut self.samples)
    }
}

/// One STDP update of synapse `s` onto a neuron with history `post`.
#[inline]
fn stdp_update<R: WeightRule>(
    rule: &R,
    s: &mut SynapseState,
    post: &mut Option<PostTrace>,
    t_pre: f64,
    delay: f64,
    decay: &mut ExpMemo,
) -> f64 {
    let post = post
        .as_mut()
        .expect("an STDP synapse's target keeps a history");
    stdp::on_pre(
        rule,
        &mut s.weight,
        &mut s.a,
        &mut s.t_last,
        t_pre,
        delay,
        post,
        decay,
    )
}

impl Plasticity for PlasticStore {
    #[inline]
    fn on_pre(&mut self, first: u32, targets: &[u32], t_pre: f64, delay: f64, weights: &mut [f64]) {
        let run = first as usize..first as usize + targets.len();
        let PlasticStore {
            rules,
            synapses,
            post,
            traced,
            samples,
            decay,
            tsodyks2_decays,
        } = self;
        let states = synapses[run.clone()].as_ptr();
        let synapses = synapses[run.clone()].iter_mut().zip(&traced[run]);
        let each = synapses.zip(targets).zip(weights).zip(first..);
        // The targets' histories are scattered: each is asked for one
        // `PREFETCH_AHEAD` synapses ahead, its newest entries half as far.
        // The run's own states are read in order, but the hardware
        // prefetcher follows too late: they are asked for twice as far (a
        // hint: past the run's end it names no memory that is read).
        for &target in targets.iter().take(PREFETCH_AHEAD) {
            prefetch(&post[target as usize]);
        }
        for (j, ((((s, &traced), &target), weight), k)) in each.enumerate() {
            if let Some(&ahead) = targets.get(j + PREFETCH_AHEAD) {
                prefetch(&post[ahead as usize]);
                prefetch(states.wrapping_add(j + 2 * PREFETCH_AHEAD));
            }
            if let Some(Some(p)) = targets
                .get(j + PREFETCH_AHEAD / 2)
                .map(|&t| &post[t as usize])
            {
                p.prefetch_newest();
            }
            let w = match &rules[s.rule as usize] {
                SynapseRule::Stdp(p) => {
                    stdp_update(p, s, &mut post[target as usize], t_pre, delay, decay)
                }
                SynapseRule::StdpPl(p) => {
                    stdp_update(p, s, &mut post[target as usize], t_pre, delay, decay)
                }
                SynapseRule::Tsodyks2(p) => p.on_pre(
                    s.weight,
                    &mut s.a,
                    &mut s.b,
                    &mut s.t_last,
                    t_pre,
                    tsodyks2_decays,
                ),
            };
            if traced {
                samples.push(WeightSample {
                    t_pre,
                    k,
                    weight: w,
                });
            }
            *weight = w;
        }
    }

    #[inline]
    fn on_post(&mut self, i: u32, t: f64) {
        if let Some(p) = self.post[i as usize].as_mut() {
            p.on_spike(t);
        }
    }

    fn weight(&self, k: u32) -> f64 {
        self.synapses[k as usize].weight
    }

    fn save_synapse(&self, k: u32) -> Result<SynapseWords, String> {
        let s = &self.synapses[k as usize];
        Ok([s.weight, s.a, s.b, s.t_last].map(f64::to_bits))
    }

    fn load_synapse(&mut self, k: u32, words: &SynapseWords) {
        let s = &mut self.synapses[k as usize];
        [s.weight, s.a, s.b, s.t_last] = words.map(f64::from_bits);
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
