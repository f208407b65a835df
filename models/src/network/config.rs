//! What a run changes besides the model file: values of the model replaced
//! on the command line ([`Overrides`]), and how the run is laid out on the
//! machine ([`RunConfig`]: threads, partitioning, processes) — which never
//! changes its results.

use super::csv_table::CsvTable;
use super::distributed::Share;
use crate::error::ModelError;
use crate::input::event_camera::Format;
use std::path::{Path, PathBuf};
use volley_engine::PartitionScheme;

/// Model-file values replaced for one run.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// Replaces `seed`.
    pub seed: Option<u64>,
    /// Replaces `t_sim_ms`.
    pub t_sim_ms: Option<f64>,
    /// Replaces the recording of the model's (single) `event_camera` input.
    pub event_file: Option<PathBuf>,
    /// Forces the recording's format.
    pub event_format: Option<Format>,
    /// Skip damaged parts of recordings instead of failing.
    pub lenient: bool,
}

/// How a run is split over the machine (or machines). Results are the
/// same, bit for bit, whatever it says.
#[derive(Clone, Debug, Default)]
pub struct RunConfig {
    /// Number of partitions = worker threads (0 is taken as 1).
    pub threads: usize,
    /// How neurons are split over partitions.
    pub partitioning: PartitionScheme,
    /// In a distributed run: the partitions this process builds (of
    /// `threads` in all) and the collective operations that make the
    /// processes agree. `None`: this process builds everything.
    pub share: Option<Share>,
}

impl RunConfig {
    /// `threads` partitions split by `partitioning`, all in this process.
    pub fn threads(threads: usize, partitioning: PartitionScheme) -> Self {
        RunConfig {
            threads,
            partitioning,
            share: None,
        }
    }

    /// This configuration with `auto` partitioning resolved for a network
    /// whose costliest work lands on part of it (`uneven`) or not.
    ///
    /// Three kinds of network are uneven. A camera's events all land in the
    /// one population it drives. Plastic synapses are updated at their
    /// targets, several times the cost of a static delivery, and target
    /// part of the network (`stdp_brunel`: the excitatory population).
    /// Populations driven by Poisson trains of different rates (a
    /// microcircuit's layers: 6 000 to 11 600 Hz per neuron at scale 0.5)
    /// give a contiguous split more train events on one side.
    /// Contiguous gid ranges give that part to fewer workers while the
    /// others wait; 64-gid blocks deal it to all of them. (Elsewhere
    /// contiguous ranges stay: they keep a spatial network's neighbours
    /// together.)
    pub fn resolved(&self, uneven: bool) -> RunConfig {
        let partitioning = match &self.partitioning {
            PartitionScheme::Auto if uneven => PartitionScheme::Blocks,
            PartitionScheme::Auto => PartitionScheme::Contiguous,
            chosen => chosen.clone(),
        };
        RunConfig {
            partitioning,
            ..self.clone()
        }
    }
}

/// Read a partition assignment: CSV `gid,partition`, one row per neuron in
/// gid order.
pub fn read_partition_file(path: &Path) -> Result<PartitionScheme, ModelError> {
    let table = CsvTable::open(path)?;
    let cg = table.require("gid")?;
    let cp = table.require("partition")?;
    let mut parts = Vec::new();
    table.for_each_row(|row| {
        let g = row.u32(cg)?;
        if g as usize != parts.len() {
            return Err(row.error(
                cg,
                format!(
                    "gids must be 0, 1, 2, ... in order; expected {}, found {g}",
                    parts.len()
                ),
            ));
        }
        let p = row.u32(cp)?;
        if p as usize >= volley_engine::MAX_PARTITIONS {
            return Err(row.error(
                cp,
                format!(
                    "partition {p} out of range (at most {} partitions)",
                    volley_engine::MAX_PARTITIONS
                ),
            ));
        }
        parts.push(p as u16);
        Ok(())
    })?;
    Ok(PartitionScheme::Explicit(parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_is_blocks_for_uneven_work_and_contiguous_otherwise_and_a_choice_stays() {
        let auto = RunConfig::threads(2, PartitionScheme::Auto);
        assert_eq!(auto.resolved(true).partitioning, PartitionScheme::Blocks);
        assert_eq!(
            auto.resolved(false).partitioning,
            PartitionScheme::Contiguous
        );
        let chosen = RunConfig::threads(2, PartitionScheme::RoundRobin);
        assert_eq!(
            chosen.resolved(true).partitioning,
            PartitionScheme::RoundRobin
        );
        assert_eq!(RunConfig::default().partitioning, PartitionScheme::Auto);
    }
}
