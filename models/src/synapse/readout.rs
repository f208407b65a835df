//! Reading plastic weights out of a simulation (for weights.csv,
//! weight_trace.csv and tests).

use crate::network::NetworkSimulation;
use volley_engine::{Gid, Observer, Plasticity};

/// One plastic synapse's weight: `(source gid, target gid, weight)`.
pub type WeightRow = (u32, u32, f64);

/// One recorded weight change: `(presynaptic spike time ms, source gid,
/// target gid, weight)`.
pub type TraceRow = (f64, u32, u32, f64);

/// Visit every plastic synapse in (source, target) order — multapses in
/// synapse order — as `f(source gid, target gid, weight)`, holding at most
/// one source's synapses at a time (so writing 10^8 weights needs no copy
/// of them).
pub fn visit_plastic<O: Observer>(
    sim: &mut NetworkSimulation<O>,
    mut f: impl FnMut(u32, u32, f64),
) {
    let parts = sim.partitions_mut();
    let n_sources = parts
        .iter()
        .map(|p| p.plastic().n_sources())
        .max()
        .unwrap_or(0);
    let mut rows: Vec<(u32, u32, f64)> = Vec::new();
    for s in 0..n_sources as u32 {
        rows.clear();
        for p in parts.iter() {
            let Some(store) = p.plasticity() else {
                continue;
            };
            let (targets, first) = p.plastic().synapses_of(Gid(s));
            for (j, &t) in targets.iter().enumerate() {
                let k = first + j as u32;
                rows.push((p.gids()[t as usize].0, k, store.weight(k)));
            }
        }
        rows.sort_by_key(|r| (r.0, r.1));
        for &(t, _, w) in &rows {
            f(s, t, w);
        }
    }
}

/// Visit every plastic synapse's weight in storage order (no sorting), for
/// summaries that do not depend on order, such as a histogram.
pub fn visit_plastic_weights<O: Observer>(sim: &mut NetworkSimulation<O>, mut f: impl FnMut(f64)) {
    for p in sim.partitions_mut().iter() {
        if let Some(store) = p.plasticity() {
            (0..p.plastic().len() as u32).for_each(|k| f(store.weight(k)));
        }
    }
}

/// The weight changes recorded since the last call, by time, source and target.
pub fn take_weight_trace<O: Observer>(sim: &mut NetworkSimulation<O>) -> Vec<TraceRow> {
    let mut rows = Vec::new();
    for p in sim.partitions_mut() {
        let gids = p.gids().to_vec();
        let samples = match p.plasticity_mut() {
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

/// One synapse: `(source gid, target gid, weight, delay ms)`.
pub type SynapseRow = (u32, u32, f64, f64);

/// Every synapse, static and plastic, from a source in `sources` onto a
/// target in `targets`, sorted by (source, target) — multapses in the
/// order they were built. Weights of plastic synapses are their present
/// values. For the Python API's `connections` (a copy: meant for
/// inspecting a projection, not 10^9 synapses).
pub fn synapses_between<O: Observer>(
    sim: &mut NetworkSimulation<O>,
    sources: std::ops::Range<u32>,
    targets: std::ops::Range<u32>,
) -> Vec<SynapseRow> {
    let mut rows: Vec<(SynapseRow, u32)> = Vec::new();
    for p in sim.partitions_mut().iter() {
        let gids = p.gids();
        let c = p.connectome();
        let end = (c.n_sources() as u32).min(sources.end);
        for s in sources.start..end {
            for (n, (t, class)) in c.synapses_of(Gid(s)).enumerate() {
                let tg = gids[t as usize].0;
                if targets.contains(&tg) {
                    rows.push(((s, tg, class.weight, class.delay.as_ms()), n as u32));
                }
            }
        }
        let Some(store) = p.plasticity() else {
            continue;
        };
        let wiring = p.plastic();
        let end = (wiring.n_sources() as u32).min(sources.end);
        for s in sources.start..end {
            let (ts, first) = wiring.synapses_of(Gid(s));
            for (j, &t) in ts.iter().enumerate() {
                let tg = gids[t as usize].0;
                if targets.contains(&tg) {
                    let k = first + j as u32;
                    let row = (s, tg, store.state(k).weight, p.plastic_delay(k).as_ms());
                    rows.push((row, u32::MAX / 2 + j as u32));
                }
            }
        }
    }
    rows.sort_by_key(|(r, n)| (r.0, r.1, *n));
    rows.into_iter().map(|(r, _)| r).collect()
}
