//! Neuron models and the per-partition neuron store.

pub mod current_lif;
pub mod decay;
pub mod lif_alpha;
pub mod lif_delta;
pub mod lif_exp;
mod model;
mod params;
pub mod parrot;
mod plain;
mod saved;

pub(crate) use params::{in_scale, refractory_period, validate_lif, LifCommon};

use current_lif::Solution;
use decay::DecayTable;
use lif_alpha::{LifAlphaConsts, LifAlphaNeuron};
use lif_delta::{LifDeltaConsts, LifDeltaNeuron, LifDeltaParams};
use lif_exp::{LifExpConsts, LifExpNeuron, LifExpParams};
use saved::{Saved, Words};
use slotmap::{new_key_type, DenseSlotMap};
use std::sync::Arc;
use volley_engine::{Dynamics, Input, PlainWork, Response, Time};

pub use model::{NeuronParams, DEFAULT_TAU_MINUS, MODEL_NAMES};
pub use plain::{ManySetLifDeltas, PlainLifDeltas};

new_key_type! {
    /// Stable handle of one neuron's state inside a partition.
    pub struct NeuronKey;
}

/// Which model (and so which slotmap) a local index belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Delta,
    Exp,
    Alpha,
    /// No state: its packed position is unused.
    Parrot,
}

/// All neurons of one partition. State lives in one dense slotmap per
/// model (stable keys; values packed in insertion order, no per-slot
/// version beside them). `kinds` and `dense` map the engine's local index to
/// the model and the value's position in that model's packed values: one
/// array read and no key version check per access (a key, if needed, is
/// the slotmap's key at that position). Positions are stable because the
/// store never removes a neuron (a dense slotmap moves its last value into
/// a removed one's place).
/// Constants derived from each parameter set are computed once and shared.
#[derive(Clone, Default)]
pub struct NeuronStore {
    lif_delta: DenseSlotMap<NeuronKey, LifDeltaNeuron>,
    /// Per `lif_delta` position: its index in `lif_delta_consts` (kept
    /// beside the records, not in them: see [`LifDeltaNeuron`]).
    lif_delta_sets: Vec<u16>,
    lif_exp: DenseSlotMap<NeuronKey, LifExpNeuron>,
    kinds: Vec<Kind>,
    /// Per local index: position in its model's packed values.
    dense: Vec<u32>,
    /// The kind of every neuron, when all have one (not parrots): then a
    /// neuron's position is its local index (see `locate`).
    uniform: Option<Kind>,
    lif_delta_consts: Vec<LifDeltaConsts>,
    /// The parameters each of `lif_delta_consts` was derived from, as far
    /// as the dynamics go ([`LifDeltaParams::dynamics`]): equal sets share
    /// one entry (Brunel's E and I), so a store of one kind of neuron has
    /// one, and its plain inputs look it up once per run.
    lif_delta_params: Vec<LifDeltaParams>,
    lif_exp_consts: Vec<LifExpConsts>,
    /// The parameters each of `lif_exp_consts` was derived from.
    lif_exp_params: Vec<LifExpParams>,
    lif_alpha: DenseSlotMap<NeuronKey, LifAlphaNeuron>,
    lif_alpha_consts: Vec<LifAlphaConsts>,
    lif_alpha_params: Vec<LifExpParams>,
    lif_alpha_base: Vec<u16>,
    /// Per `lif_delta` position: the set it was built with, to which an
    /// injected current adds (filled at the first current change).
    lif_delta_base: Vec<u16>,
    /// The same per `lif_exp` position.
    lif_exp_base: Vec<u16>,
    /// Parameter set index → (model, index within its model).
    params: Vec<(Kind, u16)>,
    /// Number of parrots (they make the store general).
    parrots: u32,
    /// Decay tables by membrane time constant.
    decay_tables: Vec<Arc<DecayTable>>,
}

impl NeuronStore {
    /// The decay table of `tau_m`, built on first use.
    fn decay_table(&mut self, tau_m: f64) -> Arc<DecayTable> {
        if let Some(t) = self.decay_tables.iter().find(|t| t.tau_ms() == tau_m) {
            return t.clone();
        }
        let t = Arc::new(DecayTable::new(tau_m));
        self.decay_tables.push(t.clone());
        t
    }

    /// Register a parameter set; returns its index.
    pub fn add_params(&mut self, p: &NeuronParams) -> u16 {
        let entry = match p {
            NeuronParams::LifDelta(p) => (Kind::Delta, self.lif_delta_set(p)),
            NeuronParams::Parrot(_) => (Kind::Parrot, 0),
            NeuronParams::LifExp(p) => {
                self.lif_exp_consts.push(LifExpConsts::new(p));
                self.lif_exp_params.push(p.clone());
                (Kind::Exp, (self.lif_exp_consts.len() - 1) as u16)
            }
            NeuronParams::LifAlpha(p) => {
                self.lif_alpha_consts.push(LifAlphaConsts::new(p));
                self.lif_alpha_params.push(p.clone());
                (Kind::Alpha, (self.lif_alpha_consts.len() - 1) as u16)
            }
        };
        self.params.push(entry);
        (self.params.len() - 1) as u16
    }

    /// The `lif_delta` constants of `p` (sets equal in their dynamics share
    /// one entry: with one entry in all, every input takes the one-set
    /// path, e.g. in a network whose E neurons differ from its I neurons
    /// only by STDP's `tau_minus`).
    fn lif_delta_set(&mut self, p: &LifDeltaParams) -> u16 {
        let p = &p.dynamics();
        if let Some(k) = self.lif_delta_params.iter().position(|q| q == p) {
            return k as u16;
        }
        let decay = self.decay_table(p.tau_m);
        self.lif_delta_consts
            .push(LifDeltaConsts::with_decay(p, decay));
        self.lif_delta_params.push(p.clone());
        Self::set_index(self.lif_delta_consts.len() - 1)
    }

    /// The `lif_exp` constants of `p`, derived for an injected current
    /// (equal sets share one entry).
    fn lif_exp_set(&mut self, p: &LifExpParams) -> u16 {
        if let Some(k) = self.lif_exp_params.iter().position(|q| q == p) {
            return k as u16;
        }
        self.lif_exp_consts.push(LifExpConsts::new(p));
        self.lif_exp_params.push(p.clone());
        Self::set_index(self.lif_exp_consts.len() - 1)
    }

    /// The `lif_alpha` constants of `p`, derived for an injected current
    /// (equal sets share one entry).
    fn lif_alpha_set(&mut self, p: &LifExpParams) -> u16 {
        if let Some(k) = self.lif_alpha_params.iter().position(|q| q == p) {
            return k as u16;
        }
        self.lif_alpha_consts.push(LifAlphaConsts::new(p));
        self.lif_alpha_params.push(p.clone());
        Self::set_index(self.lif_alpha_consts.len() - 1)
    }

    fn set_index(k: usize) -> u16 {
        u16::try_from(k).expect(
            "more than 65 536 parameter sets (with injected current levels) in one partition",
        )
    }

    /// Append a neuron with parameter set `params` and initial potential
    /// `v_m`. Its local index is the number of neurons added before it.
    pub fn push(&mut self, params: u16, v_m: f64) -> NeuronKey {
        let (kind, k) = self.params[params as usize];
        self.uniform = match (self.kinds.is_empty(), kind) {
            (_, Kind::Parrot) => None,
            (true, kind) => Some(kind),
            (false, kind) => self.uniform.filter(|&u| u == kind),
        };
        self.kinds.push(kind);
        match kind {
            Kind::Exp => {
                let n = self.lif_exp_consts[k as usize].initial(k, v_m);
                self.dense.push(self.lif_exp.len() as u32);
                self.lif_exp.insert(n)
            }
            Kind::Alpha => {
                let n = self.lif_alpha_consts[k as usize].initial(k, v_m);
                self.dense.push(self.lif_alpha.len() as u32);
                self.lif_alpha.insert(n)
            }
            Kind::Delta => {
                let n = self.lif_delta_consts[k as usize].initial(v_m);
                self.dense.push(self.lif_delta.len() as u32);
                self.lif_delta_sets.push(k);
                self.lif_delta.insert(n)
            }
            Kind::Parrot => {
                self.dense.push(0);
                self.parrots += 1;
                NeuronKey::default()
            }
        }
    }

    /// Neuron `i`'s kind and position in its model's packed values. A store
    /// of one model (a microcircuit's `lif_exp`) knows both without loading
    /// them: each neuron's position is its local index (neurons are only
    /// appended).
    #[inline(always)]
    fn locate(&self, i: u32) -> (Kind, usize) {
        match self.uniform {
            Some(kind) => (kind, i as usize),
            None => (self.kinds[i as usize], self.dense[i as usize] as usize),
        }
    }

    /// `locate`, `None` past the last neuron.
    fn locate_checked(&self, i: u32) -> Option<(Kind, usize)> {
        ((i as usize) < self.kinds.len()).then(|| self.locate(i))
    }

    /// Refractory period of local neuron `i`.
    pub fn t_ref(&self, i: u32) -> Option<Time> {
        let (kind, pos) = self.locate_checked(i)?;
        Some(match kind {
            Kind::Parrot => Time::ZERO,
            Kind::Delta => self.lif_delta_consts[self.lif_delta_sets[pos] as usize].t_ref(),
            Kind::Exp => {
                let n = self.lif_exp.values_as_slice().get(pos)?;
                self.lif_exp_consts[n.params as usize].t_ref()
            }
            Kind::Alpha => {
                let n = self.lif_alpha.values_as_slice().get(pos)?;
                self.lif_alpha_consts[n.params as usize].t_ref()
            }
        })
    }

    /// Membrane potential (mV) of local neuron `i` at its last update.
    pub fn v_m(&self, i: u32) -> Option<f64> {
        let (kind, pos) = self.locate_checked(i)?;
        Some(match kind {
            Kind::Parrot => return None,
            Kind::Delta => {
                let n = self.lif_delta.values_as_slice().get(pos)?;
                n.v_m(&self.lif_delta_consts[self.lif_delta_sets[pos] as usize])
            }
            Kind::Exp => {
                let n = self.lif_exp.values_as_slice().get(pos)?;
                n.v_m(&self.lif_exp_consts[n.params as usize])
            }
            Kind::Alpha => {
                let n = self.lif_alpha.values_as_slice().get(pos)?;
                n.v_m(&self.lif_alpha_consts[n.params as usize])
            }
        })
    }
}

impl NeuronStore {
    /// Neuron `i`'s parameter set becomes its model-file set with `pa` pA
    /// added to `I_e` (its state untouched): the sets before and after
    /// (`None` for a parrot).
    fn use_current(&mut self, i: u32, pa: f64) -> Option<(u16, u16)> {
        let (kind, pos) = self.locate(i);
        match kind {
            Kind::Parrot => None,
            Kind::Delta => {
                if self.lif_delta_base.is_empty() {
                    self.lif_delta_base = self.lif_delta_sets.clone();
                }
                let mut p = self.lif_delta_params[self.lif_delta_base[pos] as usize].clone();
                p.I_e += pa;
                let to = self.lif_delta_set(&p);
                Some((std::mem::replace(&mut self.lif_delta_sets[pos], to), to))
            }
            Kind::Exp => {
                if self.lif_exp_base.is_empty() {
                    self.lif_exp_base = self.lif_exp.values().map(|n| n.params).collect();
                }
                let mut p = self.lif_exp_params[self.lif_exp_base[pos] as usize].clone();
                p.I_e += pa;
                let to = self.lif_exp_set(&p);
                let n = &mut self.lif_exp.values_as_mut_slice()[pos];
                Some((std::mem::replace(&mut n.params, to), to))
            }
            Kind::Alpha => {
                if self.lif_alpha_base.is_empty() {
                    self.lif_alpha_base = self.lif_alpha.values().map(|n| n.params).collect();
                }
                let mut p = self.lif_alpha_params[self.lif_alpha_base[pos] as usize].clone();
                p.I_e += pa;
                let to = self.lif_alpha_set(&p);
                let n = &mut self.lif_alpha.values_as_mut_slice()[pos];
                Some((std::mem::replace(&mut n.params, to), to))
            }
        }
    }
}

impl Dynamics for NeuronStore {
    fn len(&self) -> u32 {
        self.dense.len() as u32
    }

    fn save_neuron(&self, i: u32, out: &mut Vec<u64>) -> Result<(), String> {
        let (kind, pos) = self.locate(i);
        match kind {
            Kind::Parrot => {}
            Kind::Delta => self.lif_delta.values_as_slice()[pos].save(out),
            Kind::Exp => self.lif_exp.values_as_slice()[pos].save(out),
            Kind::Alpha => self.lif_alpha.values_as_slice()[pos].save(out),
        }
        Ok(())
    }

    fn load_neuron(&mut self, i: u32, words: &[u64], at: Time) -> Result<(), String> {
        let (kind, pos) = self.locate(i);
        // A refractory period may reach past the checkpoint; nothing else.
        let t_ref = self.t_ref(i).unwrap_or(Time::ZERO);
        let limit = at.saturating_add(t_ref).saturating_add(Time(1));
        let w = &mut Words::new(words);
        let loaded = match kind {
            Kind::Parrot => Some(()),
            Kind::Delta => self.lif_delta.values_as_mut_slice()[pos].load(w),
            Kind::Exp => self.lif_exp.values_as_mut_slice()[pos].load(w),
            Kind::Alpha => self.lif_alpha.values_as_mut_slice()[pos].load(w),
        };
        let fits = match kind {
            Kind::Parrot => true,
            Kind::Delta => self.lif_delta.values_as_slice()[pos].refractory_until() <= limit,
            Kind::Exp => self.lif_exp.values_as_slice()[pos].times_fit(at, limit),
            Kind::Alpha => self.lif_alpha.values_as_slice()[pos].times_fit(at, limit),
        };
        if !fits {
            return Err("its state holds a time later than the checkpoint".into());
        }
        match loaded {
            Some(()) if w.finished() => Ok(()),
            _ => Err("its saved state does not fit its model (was the model changed?)".into()),
        }
    }

    fn start(&mut self, i: u32, t: Time) -> Response {
        let (kind, pos) = self.locate(i);
        match kind {
            Kind::Parrot => Response::QUIET,
            Kind::Delta => {
                let n = &mut self.lif_delta.values_as_mut_slice()[pos];
                n.start(&self.lif_delta_consts[self.lif_delta_sets[pos] as usize], t)
            }
            Kind::Exp => {
                let n = &mut self.lif_exp.values_as_mut_slice()[pos];
                n.start(&self.lif_exp_consts[n.params as usize], t)
            }
            Kind::Alpha => {
                let n = &mut self.lif_alpha.values_as_mut_slice()[pos];
                n.start(&self.lif_alpha_consts[n.params as usize], t)
            }
        }
    }

    /// A store of one model (`uniform`) asks for both ends of the record
    /// (a `lif_exp` record is 72 bytes, over two lines); a mixed store
    /// would first have to load where the record is, and asks for nothing.
    #[inline(always)]
    fn prefetch(&self, i: u32) {
        fn both_ends<R>(records: &[R], i: u32) {
            let p = records.as_ptr().wrapping_add(i as usize);
            volley_engine::dynamics::prefetch(p);
            volley_engine::dynamics::prefetch(
                p.cast::<u8>().wrapping_add(std::mem::size_of::<R>() - 1),
            );
        }
        match self.uniform {
            Some(Kind::Exp) => both_ends(self.lif_exp.values_as_slice(), i),
            Some(Kind::Alpha) => both_ends(self.lif_alpha.values_as_slice(), i),
            Some(Kind::Delta) => both_ends(self.lif_delta.values_as_slice(), i),
            Some(Kind::Parrot) | None => {}
        }
    }

    #[inline(always)]
    fn on_input(&mut self, i: u32, t: Time, lag: f32, input: Input) -> Response {
        let (kind, pos) = self.locate(i);
        match kind {
            Kind::Parrot => parrot::echo(lag),
            Kind::Delta => {
                let n = &mut self.lif_delta.values_as_mut_slice()[pos];
                n.on_input(
                    &self.lif_delta_consts[self.lif_delta_sets[pos] as usize],
                    t,
                    lag as f64,
                    input.total,
                )
            }
            Kind::Exp => {
                let n = &mut self.lif_exp.values_as_mut_slice()[pos];
                n.on_input(
                    &self.lif_exp_consts[n.params as usize],
                    t,
                    lag as f64,
                    input.excitatory,
                    input.inhibitory,
                )
            }
            Kind::Alpha => {
                let n = &mut self.lif_alpha.values_as_mut_slice()[pos];
                n.on_input(
                    &self.lif_alpha_consts[n.params as usize],
                    t,
                    lag as f64,
                    input.excitatory,
                    input.inhibitory,
                )
            }
        }
    }

    /// Plain when every neuron is a `lif_delta` that no constant current
    /// drives over threshold (checked once; the engine asks at start).
    fn is_plain(&self) -> bool {
        self.parrots == 0
            && self.lif_exp.is_empty()
            && self.lif_alpha.is_empty()
            && self.lif_delta_consts.iter().all(|c| !c.self_firing())
    }

    type Plain<'a> = PlainLifDeltas<'a>;

    #[inline(always)]
    fn plain_neurons(&mut self) -> PlainLifDeltas<'_> {
        // Plain: only `lif_delta` neurons, so packed position = local index.
        debug_assert!(self.lif_exp.is_empty());
        let consts = &self.lif_delta_consts;
        PlainLifDeltas {
            neurons: self.lif_delta.values_as_mut_slice(),
            sets: &self.lif_delta_sets,
            consts,
            one: match consts.as_slice() {
                [c] => Some((c, c.decay())),
                _ => None,
            },
        }
    }

    /// Stores of several `lif_delta` parameter sets get a loop of their
    /// own, which looks each input's set up inline; a store of one set
    /// keeps the loop that reads no set index.
    #[inline(always)]
    fn with_plain<W: PlainWork>(&mut self, work: W) -> W::Out {
        let neurons = self.plain_neurons();
        if neurons.one.is_some() {
            work.run(neurons)
        } else {
            work.run(ManySetLifDeltas(neurons))
        }
    }

    fn recordables(&self, i: u32) -> &'static [&'static str] {
        match self.locate(i).0 {
            Kind::Parrot => &[],
            Kind::Delta => lif_delta::RECORDABLES,
            Kind::Exp => lif_exp::RECORDABLES,
            Kind::Alpha => lif_alpha::RECORDABLES,
        }
    }

    fn sample(&self, i: u32, t: Time, out: &mut [f64]) {
        let (kind, pos) = self.locate(i);
        match kind {
            Kind::Parrot => {}
            Kind::Delta => {
                let n = &self.lif_delta.values_as_slice()[pos];
                out[0] = n.v_m_at(&self.lif_delta_consts[self.lif_delta_sets[pos] as usize], t);
            }
            Kind::Exp => {
                let n = &self.lif_exp.values_as_slice()[pos];
                let (v, ex, inh) = n.state_at(&self.lif_exp_consts[n.params as usize], t);
                out[..3].copy_from_slice(&[v, ex, inh]);
            }
            Kind::Alpha => {
                let n = &self.lif_alpha.values_as_slice()[pos];
                let (v, ex, inh) = n.state_at(&self.lif_alpha_consts[n.params as usize], t);
                out[..3].copy_from_slice(&[v, ex, inh]);
            }
        }
    }

    fn set_current(&mut self, i: u32, t: Time, pa: f64) -> Response {
        let (kind, pos) = self.locate(i);
        let Some((from, to)) = self.use_current(i, pa) else {
            return Response::QUIET;
        };
        let (from, to) = (from as usize, to as usize);
        match kind {
            Kind::Parrot => Response::QUIET,
            Kind::Delta => {
                let c = &self.lif_delta_consts;
                self.lif_delta.values_as_mut_slice()[pos].switch_current(&c[from], &c[to], t)
            }
            Kind::Exp => {
                let c = &self.lif_exp_consts;
                self.lif_exp.values_as_mut_slice()[pos].switch_current(&c[from], &c[to], t)
            }
            Kind::Alpha => {
                let c = &self.lif_alpha_consts;
                self.lif_alpha.values_as_mut_slice()[pos].switch_current(&c[from], &c[to], t)
            }
        }
    }

    fn load_current(&mut self, i: u32, pa: f64) {
        self.use_current(i, pa);
    }

    #[inline]
    fn on_forecast(&mut self, i: u32, t: Time) -> Response {
        let (kind, pos) = self.locate(i);
        match kind {
            Kind::Parrot => Response::QUIET,
            Kind::Delta => {
                let n = &mut self.lif_delta.values_as_mut_slice()[pos];
                n.on_forecast(&self.lif_delta_consts[self.lif_delta_sets[pos] as usize], t)
            }
            Kind::Exp => {
                let n = &mut self.lif_exp.values_as_mut_slice()[pos];
                n.on_forecast(&self.lif_exp_consts[n.params as usize], t)
            }
            Kind::Alpha => {
                let n = &mut self.lif_alpha.values_as_mut_slice()[pos];
                n.on_forecast(&self.lif_alpha_consts[n.params as usize], t)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use volley_engine::{Outcome, PlainNeurons};

    fn delta(i_e: f64) -> NeuronParams {
        NeuronParams::parse(
            "lif_delta",
            toml::from_str(&format!(
                "tau_m = 20.0\nC_m = 250.0\nt_ref = 2.0\nE_L = 0.0\nV_reset = 0.0\nV_th = 20.0\nI_e = {i_e:?}"
            ))
            .unwrap(),
        )
        .unwrap()
    }

    fn exp(e_l: f64, v_th: f64) -> NeuronParams {
        NeuronParams::parse(
            "lif_exp",
            toml::from_str(&format!(
                "tau_m = 10.0\nC_m = 250.0\nt_ref = 2.0\nE_L = {e_l:?}\nV_reset = {e_l:?}\nV_th = {v_th:?}\ntau_syn_ex = 0.5\ntau_syn_in = 0.5"
            ))
            .unwrap(),
        )
        .unwrap()
    }

    /// `locate` answers from `kinds` and `dense`, whether the store has one
    /// kind of neuron (answered without them), several, or parrots.
    #[test]
    fn located_neurons_are_where_kinds_and_dense_put_them() {
        let parrot = NeuronParams::parse("parrot", toml::from_str("").unwrap()).unwrap();
        for order in [&[0, 0, 0][..], &[0, 1, 0, 1], &[1, 1], &[2, 0, 2], &[2, 2]] {
            let mut store = NeuronStore::default();
            let sets = [
                store.add_params(&exp(-70.0, -55.0)),
                store.add_params(&delta(0.0)),
                store.add_params(&parrot),
            ];
            for &k in order {
                store.push(sets[k], 0.0);
            }
            let one_kind = order.iter().all(|&k| k == order[0]) && order[0] != 2;
            assert_eq!(store.uniform.is_some(), one_kind, "{order:?}");
            for i in 0..order.len() as u32 {
                let want = (store.kinds[i as usize], store.dense[i as usize] as usize);
                let got = store.locate(i);
                assert!(got.0 == want.0 && got.1 == want.1, "{order:?}: neuron {i}");
            }
            assert!(store.locate_checked(order.len() as u32).is_none());
        }
    }

    #[test]
    fn plain_only_without_forecasting_neurons() {
        let mut store = NeuronStore::default();
        let p = store.add_params(&delta(100.0));
        store.push(p, 0.0);
        assert!(store.is_plain(), "sub-threshold current: plain");
        store.add_params(&delta(300.0));
        assert!(!store.is_plain(), "a current-driven set: not plain");

        let mut with_exp = NeuronStore::default();
        let p = with_exp.add_params(&exp(-65.0, -50.0));
        with_exp.push(p, -65.0);
        assert!(
            !with_exp.is_plain(),
            "lif_exp reads the split input: not plain"
        );
    }

    #[test]
    fn unchecked_plain_inputs_are_plain_inputs() {
        // Several parameter sets, neurons of each, a stream of inputs: the
        // unchecked plain entry changes the state exactly as `on_input`. (One
        // store cloned: the same decay tables, which Miri's deliberately
        // imprecise `exp_m1` would otherwise make differ by an ulp.)
        let mut a = NeuronStore::default();
        let sets = [a.add_params(&delta(0.0)), a.add_params(&delta(200.0))];
        for k in 0..10 {
            a.push(sets[k % 2], k as f64);
        }
        for i in 0..10 {
            a.start(i, Time::ZERO);
        }
        let (mut b, mut c) = (a.clone(), a.clone());
        for step in 1..2000u64 {
            let i = (step * 7 % 10) as u32;
            let t = Time(step * 30_011);
            let w = if step % 3 == 0 { -0.7 } else { 1.3 };
            // The general entry (every index checked) against the unchecked
            // one of both views of a store of several sets.
            let r = a.on_input(i, t, 0.0, Input::single(w));
            let checked = Outcome::of(&r);
            // SAFETY: i < 10 = len().
            let unchecked = unsafe { b.plain_neurons().input_unchecked(i, t, w) };
            // SAFETY: as above.
            let many = unsafe { ManySetLifDeltas(c.plain_neurons()).input_unchecked(i, t, w) };
            assert_eq!((checked, checked), (unchecked, many));
            assert_eq!(a.v_m(i).map(f64::to_bits), b.v_m(i).map(f64::to_bits));
            assert_eq!(a.v_m(i).map(f64::to_bits), c.v_m(i).map(f64::to_bits));
        }
    }

    #[test]
    fn equal_parameter_sets_share_one_entry_and_its_inputs_match() {
        let mut a = NeuronStore::default();
        let sets = [a.add_params(&delta(0.0)), a.add_params(&delta(0.0))];
        assert_ne!(sets[0], sets[1]);
        assert_eq!(a.lif_delta_consts.len(), 1);
        for k in 0..10 {
            a.push(sets[k % 2], k as f64);
        }
        for i in 0..10 {
            a.start(i, Time::ZERO);
        }
        let mut b = a.clone();
        assert!(b.plain_neurons().one.is_some());
        for step in 1..3000u64 {
            let i = (step * 7 % 10) as u32;
            let t = Time(step * 30_011);
            let w = if step % 3 == 0 { -0.7 } else { 1.9 };
            if step % 50 == 0 {
                // A lagged input (another partition's current-driven spike):
                // the general entry on both, then plain inputs after it.
                let lag = 0.3e-6;
                let (ra, rb) = (
                    a.on_input(i, t, lag, Input::single(w)),
                    b.on_input(i, t, lag, Input::single(w)),
                );
                assert_eq!(ra, rb);
                continue;
            }
            let checked = Outcome::of(&a.on_input(i, t, 0.0, Input::single(w)));
            // SAFETY: i < 10 = len().
            let one_set = unsafe { b.plain_neurons().input_unchecked(i, t, w) };
            assert_eq!(checked, one_set);
            assert_eq!(a.v_m(i).map(f64::to_bits), b.v_m(i).map(f64::to_bits));
        }
        let mut c = NeuronStore::default();
        c.add_params(&delta(0.0));
        c.add_params(&delta(100.0));
        assert_eq!(c.lif_delta_consts.len(), 2);
        assert!(c.plain_neurons().one.is_none());
    }

    #[test]
    fn lif_delta_records_fill_half_a_cache_line() {
        assert_eq!(std::mem::size_of::<LifDeltaNeuron>(), 32);
        assert_eq!(std::mem::align_of::<LifDeltaNeuron>(), 32);
    }

    #[test]
    fn inputs_reach_neurons_by_packed_position() {
        // Mixed models: local indices interleave, positions count per model.
        let mut store = NeuronStore::default();
        let d = store.add_params(&delta(0.0));
        let e = store.add_params(&exp(0.0, 15.0));
        for (k, p) in [d, e, d, e, d].into_iter().enumerate() {
            store.push(p, k as f64);
        }
        assert_eq!(store.dense, [0, 0, 1, 1, 2]);
        for i in 0..5 {
            store.start(i, Time::ZERO);
        }
        let r = store.on_input(4, Time::ZERO, 0.0, Input::single(5.0));
        assert!(!r.spiked);
        assert_eq!(store.v_m(4), Some(9.0));
        assert_eq!(store.v_m(2), Some(2.0));
    }
}
