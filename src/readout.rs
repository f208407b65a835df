//! What the `Output` nodes of included NIR graphs read: spike counts per
//! output neuron and, for a classifier, the class (the neuron that spiked
//! most). Written to `summary.json` and `readout.csv`.

use serde::Serialize;
use volley_engine::Spike;
use volley_models::network::Readout;

/// One `Output` node's counts.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ReadoutSummary {
    /// `<graph>.<Output node>`.
    pub name: String,
    /// The population it reads.
    pub population: String,
    /// Spikes per output neuron (recorded time span).
    pub counts: Vec<u64>,
    /// The neuron with the most spikes (the lowest index on a tie); `None`
    /// when none spiked.
    pub class: Option<usize>,
}

/// Count `spikes` (every recorded spike) for each readout.
pub fn count(spikes: &[Spike], readouts: &[Readout]) -> Vec<ReadoutSummary> {
    readouts
        .iter()
        .map(|r| {
            let mut counts = vec![0u64; r.gids.len()];
            for s in spikes.iter().filter(|s| r.gids.contains(&s.source.0)) {
                counts[(s.source.0 - r.gids.start) as usize] += 1;
            }
            let best = counts.iter().copied().max().unwrap_or(0);
            ReadoutSummary {
                name: r.name.clone(),
                population: r.population.clone(),
                class: (best > 0).then(|| counts.iter().position(|&c| c == best).unwrap_or(0)),
                counts,
            }
        })
        .collect()
}

/// `readout.csv`: `output,neuron,spikes`, one row per output neuron.
pub fn csv(readouts: &[ReadoutSummary]) -> Vec<u8> {
    let mut out = String::from("output,neuron,spikes\n");
    for r in readouts {
        for (i, c) in r.counts.iter().enumerate() {
            out.push_str(&format!("{},{i},{c}\n", r.name));
        }
    }
    out.into_bytes()
}
