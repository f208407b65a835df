//! The engine's contract, checked on a traced run.

use super::trace::TracedRun;
use std::collections::HashMap;
use volley_engine::Time;

/// Check every invariant; the error says which one failed and where.
pub fn check_invariants(run: &TracedRun) -> Result<(), String> {
    inputs_in_time_order(run)?;
    deliveries_inside_their_window(run)?;
    deliveries_match_spikes_and_synapses(run)?;
    refractory_neurons_never_fire(run)?;
    no_crossing_inside_the_emission_window(run)?;
    Ok(())
}

/// Every neuron processes its inputs in non-decreasing time.
fn inputs_in_time_order(run: &TracedRun) -> Result<(), String> {
    let mut last: HashMap<u32, Time> = HashMap::new();
    for trace in &run.traces {
        for d in &trace.deliveries {
            let prev = last.insert(d.target.0, d.time).unwrap_or(Time::ZERO);
            if d.time < prev {
                return Err(format!(
                    "neuron {} processed an input at {:?} after one at {:?}",
                    d.target.0, d.time, prev
                ));
            }
        }
    }
    Ok(())
}

/// A delivery is processed in the window that contains its time, never earlier.
fn deliveries_inside_their_window(run: &TracedRun) -> Result<(), String> {
    for trace in &run.traces {
        let by_index: HashMap<u64, _> = trace.windows.iter().map(|w| (w.index, *w)).collect();
        for d in &trace.deliveries {
            let w = by_index
                .get(&d.window)
                .ok_or("delivery outside any window")?;
            if !w.contains(d.time) {
                return Err(format!(
                    "delivery at {:?} to {} processed in window {:?}",
                    d.time, d.target.0, w
                ));
            }
        }
    }
    Ok(())
}

/// Recurrent deliveries are exactly {spike time + delay of each of its
/// synapses, before t_sim}: none early, none lost, none duplicated.
fn deliveries_match_spikes_and_synapses(run: &TracedRun) -> Result<(), String> {
    let mut out: HashMap<u32, Vec<(u32, Time)>> = HashMap::new();
    for &(s, t, d) in &run.synapses {
        if s < run.n_neurons {
            out.entry(s).or_default().push((t, d));
        }
    }
    let mut expected: HashMap<(u64, u32, u32), i64> = HashMap::new();
    for trace in &run.traces {
        for s in &trace.spikes {
            for &(t, d) in out.get(&s.spike.source.0).map(Vec::as_slice).unwrap_or(&[]) {
                let at = s.spike.time + d;
                if at < run.t_sim {
                    *expected.entry((at.0, t, s.spike.source.0)).or_default() += 1;
                }
            }
        }
    }
    let mut seen = 0usize;
    for trace in &run.traces {
        for d in trace
            .deliveries
            .iter()
            .filter(|d| d.source.0 < run.n_neurons)
        {
            seen += 1;
            let key = (d.time.0, d.target.0, d.source.0);
            match expected.get_mut(&key) {
                Some(n) if *n > 0 => *n -= 1,
                _ => {
                    return Err(format!(
                        "delivery {} -> {} at {:?} matches no spike + synapse delay (early or duplicated)",
                        d.source.0, d.target.0, d.time
                    ))
                }
            }
        }
    }
    if let Some(((t, tgt, src), n)) = expected.iter().find(|(_, &n)| n != 0) {
        return Err(format!(
            "{n} delivery(ies) {src} -> {tgt} at tick {t} were lost ({seen} seen)"
        ));
    }
    Ok(())
}

/// Successive spikes of a neuron are at least its refractory period apart.
fn refractory_neurons_never_fire(run: &TracedRun) -> Result<(), String> {
    let mut last: HashMap<u32, Time> = HashMap::new();
    let mut spikes: Vec<_> = run
        .traces
        .iter()
        .flat_map(|t| t.spikes.iter().map(|s| s.spike))
        .collect();
    spikes.sort();
    for s in spikes {
        let g = s.source.0;
        if let Some(prev) = last.insert(g, s.time) {
            let t_ref = run.t_ref[g as usize];
            if s.time < prev + t_ref || s.time == prev {
                return Err(format!(
                    "neuron {g} fired at {:?} while refractory since {:?} (t_ref {:?})",
                    s.time, prev, t_ref
                ));
            }
        }
    }
    Ok(())
}

/// A spike reaches another partition only in a window after the one it was
/// emitted in.
fn no_crossing_inside_the_emission_window(run: &TracedRun) -> Result<(), String> {
    let mut emitted: HashMap<(u32, u64), u64> = HashMap::new();
    for trace in &run.traces {
        for s in &trace.spikes {
            emitted.insert((s.spike.source.0, s.spike.time.0), s.window);
        }
    }
    let mut delays: HashMap<(u32, u32), Vec<Time>> = HashMap::new();
    for &(s, t, d) in &run.synapses {
        delays.entry((s, t)).or_default().push(d);
    }
    for trace in &run.traces {
        for d in trace
            .deliveries
            .iter()
            .filter(|d| d.source.0 < run.n_neurons)
        {
            let (src, tgt) = (d.source.0, d.target.0);
            if run.partition_of[src as usize] == run.partition_of[tgt as usize] {
                continue;
            }
            let emitted_in = delays[&(src, tgt)]
                .iter()
                .filter(|&&dl| dl <= d.time)
                .filter_map(|&dl| emitted.get(&(src, (d.time - dl).0)))
                .min()
                .copied()
                .ok_or_else(|| {
                    format!(
                        "delivery {src} -> {tgt} at {:?} has no emitting spike",
                        d.time
                    )
                })?;
            if d.window <= emitted_in {
                return Err(format!(
                    "spike of {src} emitted in window {emitted_in} reached partition {} in window {}",
                    run.partition_of[tgt as usize], d.window
                ));
            }
        }
    }
    Ok(())
}
