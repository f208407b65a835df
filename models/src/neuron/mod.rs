//! Neuron models and the per-partition neuron store.

pub mod lif_delta;

use lif_delta::{LifDeltaConsts, LifDeltaNeuron, LifDeltaParams};
use slotmap::{new_key_type, SlotMap};
use volley_engine::{Dynamics, Response, Time};

new_key_type! {
    /// Stable handle of one neuron's state inside a partition.
    pub struct NeuronKey;
}

/// The neuron models Volley knows, by the name used in model files.
pub const MODEL_NAMES: &[&str] = &["lif_delta"];

/// All neurons of one partition. State lives in a slotmap (stable keys, dense
/// storage); `keys` maps the engine's local index to the key. Constants derived
/// from each parameter set are computed once and shared.
#[derive(Default)]
pub struct NeuronStore {
    lif_delta: SlotMap<NeuronKey, LifDeltaNeuron>,
    keys: Vec<NeuronKey>,
    lif_delta_consts: Vec<LifDeltaConsts>,
}

impl NeuronStore {
    /// Register a parameter set; returns its index.
    pub fn add_lif_delta_params(&mut self, p: &LifDeltaParams) -> u16 {
        self.lif_delta_consts.push(LifDeltaConsts::new(p));
        (self.lif_delta_consts.len() - 1) as u16
    }

    /// Append a neuron with parameter set `params` and initial potential `v_m`.
    /// Its local index is the number of neurons added before it.
    pub fn push_lif_delta(&mut self, params: u16, v_m: f64) -> NeuronKey {
        let n = self.lif_delta_consts[params as usize].initial(params, v_m);
        let k = self.lif_delta.insert(n);
        self.keys.push(k);
        k
    }

    /// Refractory period of local neuron `i`.
    pub fn t_ref(&self, i: u32) -> Option<Time> {
        let n = self.lif_delta.get(*self.keys.get(i as usize)?)?;
        Some(self.lif_delta_consts[n.params as usize].t_ref())
    }

    /// Membrane potential (mV) of local neuron `i` at its last update.
    pub fn v_m(&self, i: u32) -> Option<f64> {
        let n = self.lif_delta.get(*self.keys.get(i as usize)?)?;
        Some(n.v_m(&self.lif_delta_consts[n.params as usize]))
    }
}

impl Dynamics for NeuronStore {
    fn len(&self) -> u32 {
        self.keys.len() as u32
    }

    fn start(&mut self, i: u32, t: Time) -> Response {
        let n = &mut self.lif_delta[self.keys[i as usize]];
        n.start(&self.lif_delta_consts[n.params as usize], t)
    }

    #[inline]
    fn on_input(&mut self, i: u32, t: Time, lag: f32, weight: f64) -> Response {
        let n = &mut self.lif_delta[self.keys[i as usize]];
        n.on_input(
            &self.lif_delta_consts[n.params as usize],
            t,
            lag as f64,
            weight,
        )
    }

    #[inline]
    fn on_forecast(&mut self, i: u32, t: Time) -> Response {
        let n = &mut self.lif_delta[self.keys[i as usize]];
        n.on_forecast(&self.lif_delta_consts[n.params as usize], t)
    }
}
