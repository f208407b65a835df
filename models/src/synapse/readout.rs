//! Reading plastic weights out of a simulation (for weights.csv,
//! weight_trace.csv and tests).

use super::store::PlasticStore;
use crate::neuron::NeuronStore;
use volley_engine::{Observer, Simulation};

/// One plastic synapse's weight: `(source gid, target gid, weight)`.
pub type WeightRow = (u32, u32, f64);

/// One recorded weight change: `(presynaptic spike time ms, source gid,
/// target gid, weight)`.
pub type TraceRow = (f64, u32, u32, f64);

/// The state of every plastic synapse, by (source, target) and, among
/// multapses, in synapse order: `(source gid, target gid, state)`.
pub fn plastic_states<O: Observer>(
    sim: &mut Simulation<NeuronStore, O>,
) -> Vec<(u32, u32, super::SynapseState)> {
    let mut rows = Vec::new();
    for p in sim.partitions_mut() {
        let Some(store) = p
            .plasticity()
            .and_then(|s| s.as_any().downcast_ref::<PlasticStore>())
        else {
            continue;
        };
        let wiring = p.plastic();
        for k in 0..wiring.len() as u32 {
            let target = p.gids()[wiring.target_of(k) as usize].0;
            rows.push((wiring.source_of(k).0, target, store.state(k)));
        }
    }
    rows.sort_by_key(|r| (r.0, r.1));
    rows
}

/// The weight of every plastic synapse (see [`plastic_states`]).
pub fn final_weights<O: Observer>(sim: &mut Simulation<NeuronStore, O>) -> Vec<WeightRow> {
    plastic_states(sim)
        .into_iter()
        .map(|(s, t, st)| (s, t, st.weight))
        .collect()
}

/// The weight changes recorded since the last call, by time, source and target.
pub fn take_weight_trace<O: Observer>(sim: &mut Simulation<NeuronStore, O>) -> Vec<TraceRow> {
    let mut rows = Vec::new();
    for p in sim.partitions_mut() {
        let gids = p.gids().to_vec();
        let samples = match p
            .plasticity_mut()
            .and_then(|s| s.as_any_mut().downcast_mut::<PlasticStore>())
        {
            Some(store) => store.take_samples(),
            None => continue,
        };
        let wiring = p.plastic();
        let sources: Vec<(u32, u32)> = samples
            .iter()
            .map(|s| {
                (
                    wiring.source_of(s.k).0,
                    gids[wiring.target_of(s.k) as usize].0,
                )
            })
            .collect();
        for (s, (src, tgt)) in samples.iter().zip(sources) {
            rows.push((s.t_pre, src, tgt, s.weight));
        }
    }
    rows.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    rows
}
