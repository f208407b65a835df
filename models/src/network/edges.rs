//! Tables of synapses, `source,target,weight,delay_ms` (an `edge_list`
//! projection, a `spike_times` input's edges).

use super::context::positive_time;
use super::csv_table::CsvTable;
use crate::error::ModelError;
use std::path::Path;
use volley_engine::{Gid, Time};

/// A synapse from an input channel to a neuron.
#[derive(Clone, Copy, Debug)]
pub(super) struct InputEdge {
    pub(super) source: Gid,
    /// The neuron's gid.
    pub(super) target: u32,
    pub(super) weight: f64,
    pub(super) delay: Time,
}

/// Read an edge table with columns `cols` = (source, target, weight,
/// delay), sources below `n_sources` and targets below `n_targets`, calling
/// `add` per row; the (min, max) delay.
pub(super) fn read_edges(
    path: &Path,
    cols: [&str; 4],
    n_sources: u32,
    n_targets: u32,
    mut add: impl FnMut(u32, u32, f64, Time) -> Result<(), String>,
) -> Result<(Time, Time), ModelError> {
    let table = CsvTable::open(path)?;
    // The weight column is named by its unit: mV (delta synapses) or pA
    // (current synapses); plain `weight` is accepted too.
    let c: Vec<usize> = cols
        .iter()
        .map(|n| match *n {
            "weight_mV" => ["weight_mV", "weight_pA", "weight"]
                .iter()
                .find_map(|k| table.column(k))
                .map_or_else(|| table.require("weight_mV"), Ok),
            n => table.require(n),
        })
        .collect::<Result<_, _>>()?;
    let mut range = (Time::NEVER, Time::ZERO);
    table.for_each_row(|row| {
        let src = row.u32(c[0])?;
        if src >= n_sources {
            let m = format!("id {src} out of range (there are {n_sources})");
            return Err(row.error(c[0], m));
        }
        let tgt = row.u32(c[1])?;
        if tgt >= n_targets {
            let m = format!("neuron {tgt} out of range (the network has {n_targets} neurons)");
            return Err(row.error(c[1], m));
        }
        let w = row.f64(c[2])?;
        let dms = row.f64(c[3])?;
        let d = positive_time(dms)
            .ok_or_else(|| row.error(c[3], format!("delay must be > 0 ms, got {dms}")))?;
        range = (range.0.min(d), range.1.max(d));
        add(src, tgt, w, d).map_err(|m| row.error(c[2], m))
    })?;
    Ok(range)
}
