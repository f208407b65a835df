//! Networks built from model files, in four steps, a module each:
//!
//! 1. **parse** ([`model_file`]): the TOML file into typed tables — a
//!    projection's rule, an input's kind and a recorder's kind are tagged
//!    enums, so a key foreign to them is an error naming it;
//! 2. **resolve** (`resolve.rs`, with `populations.rs`, `projections.rs`,
//!    `inputs.rs`, `camera_input.rs`, `recorders.rs`): gids for neurons and
//!    input channels, every value checked, errors naming file, line and key;
//! 3. **wire** (`wire.rs`, with [`wiring`], [`generators`], [`spatial`],
//!    [`values`], `edges.rs`):
//!    each partition makes the synapses onto its own neurons, in its own
//!    thread;
//! 4. **assemble** (`assemble.rs`): the partitions and the [`Simulation`](volley_engine::Simulation).
//!
//! Gids are assigned in file order: the neurons of every population first
//! (so a network loaded from an edge list keeps its 0-based indices), then
//! the input nodes. Every random draw comes from a stream named by the seed
//! and the thing drawn for (projection + target, generator + target), so the
//! network does not depend on how it is split ([`RunConfig`]).

mod assemble;
mod camera_input;
mod config;
mod context;
pub mod csv_table;
pub mod distributed;
mod edges;
pub mod generators;
mod inputs;
mod memory;
pub mod meters;
pub mod model_file;
mod nir_graphs;
mod populations;
mod projections;
mod recorders;
mod resolve;
pub mod selection;
pub mod spatial;
pub mod values;
mod wire;
pub mod wiring;

pub use assemble::{Network, NetworkSimulation, PopulationInfo};
pub use config::{read_partition_file, Overrides, RunConfig};
pub use distributed::{Collective, Share};
pub use nir_graphs::Readout;

use crate::error::ModelError;
use std::path::Path;
use volley_engine::Assignment;

/// Read, check and build the model file at `path`, with `overrides`
/// applied, split as `run` says.
pub fn load(path: &Path, overrides: &Overrides, run: &RunConfig) -> Result<Network, ModelError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ModelError::file(path, format!("cannot read: {e}")))?;
    load_text(path, &text, overrides, run)
}

/// Check and build the model file whose text is `text`; `path` names it in
/// errors and is where its relative file names start (Python builds models
/// in memory).
pub fn load_text(
    path: &Path,
    text: &str,
    overrides: &Overrides,
    run: &RunConfig,
) -> Result<Network, ModelError> {
    let file = model_file::parse(path, text)?;
    let ctx = context::Ctx::new(path, text);
    let model = resolve::resolve(&ctx, file, overrides)?;
    memory::check_memory(path, &model)?;
    // A camera, plastic synapses or an uneven Poisson drive put much of the
    // work on part of the network (see `RunConfig::resolved`).
    let uneven = !model.inputs.cameras.is_empty()
        || !model.rules.is_empty()
        || model
            .inputs
            .poisson_drive_uneven(model.n_neurons(), run.threads.max(1));
    let run = &run.resolved(uneven);
    let assign = Assignment::new(model.n_neurons(), run.threads.max(1), &run.partitioning)
        .map_err(|e| ModelError::file(path, format!("cannot partition the network: {e}")))?;
    let local = wire::local_partitions(path, run, &assign)?;
    let wired = wire::wire_all(&model, &assign, local.clone())?;
    assemble::assemble(model, wired, &assign, local, run)
}
