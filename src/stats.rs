//! Spike-train statistics with the definitions of the NEST reference runs
//! (`shared/peers/common.py`): rate = spikes / (neurons × recorded time);
//! CV ISI = mean over neurons with at least 3 spikes of sd/mean of their
//! inter-spike intervals (population sd, ddof = 0).

use serde::Serialize;
use volley_engine::Spike;
use volley_models::PopulationInfo;

/// Statistics of one population.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PopulationStats {
    /// Population name.
    pub name: String,
    /// Number of recorded neurons (the whole population unless a recorder
    /// names a slice of it).
    pub size: u32,
    /// Recorded spikes.
    pub spikes: u64,
    /// Mean rate (Hz) over the recorded time.
    pub rate_hz: f64,
    /// Mean CV of inter-spike intervals (None when no neuron has 3 spikes).
    pub cv_isi: Option<f64>,
}

/// Per-population statistics of `spikes` (sorted by time) recorded over
/// `duration_ms`. Populations that were not recorded are skipped.
pub fn population_stats(
    spikes: &[Spike],
    populations: &[PopulationInfo],
    duration_ms: f64,
) -> Vec<PopulationStats> {
    let n = populations
        .iter()
        .map(|p| p.first_gid + p.size)
        .max()
        .unwrap_or(0) as usize;
    let mut trains: Vec<Vec<f64>> = vec![Vec::new(); n];
    for s in spikes {
        if let Some(t) = trains.get_mut(s.source.0 as usize) {
            t.push(s.time.as_ms());
        }
    }
    populations
        .iter()
        .filter(|p| !p.recorded.is_empty())
        .map(|p| {
            let mut count = 0u64;
            let mut cv_sum = 0.0;
            let mut cv_n = 0u64;
            for &g in &p.recorded {
                let t = &trains[g as usize];
                count += t.len() as u64;
                if t.len() >= 3 {
                    let isi: Vec<f64> = t.windows(2).map(|w| w[1] - w[0]).collect();
                    let mean = isi.iter().sum::<f64>() / isi.len() as f64;
                    let var =
                        isi.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / isi.len() as f64;
                    if mean > 0.0 {
                        cv_sum += var.sqrt() / mean;
                        cv_n += 1;
                    }
                }
            }
            let recorded = p.recorded.len() as u32;
            PopulationStats {
                name: p.name.clone(),
                size: recorded,
                spikes: count,
                rate_hz: if duration_ms > 0.0 {
                    count as f64 / (f64::from(recorded) * duration_ms / 1000.0)
                } else {
                    0.0
                },
                cv_isi: (cv_n > 0).then(|| cv_sum / cv_n as f64),
            }
        })
        .collect()
}
