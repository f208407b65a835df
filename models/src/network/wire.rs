//! Wiring: every partition makes the synapses onto its own neurons, in its
//! own thread, by running each projection (and the input edges) twice —
//! count, then place (see `wiring.rs`).

use super::config::RunConfig;
use super::distributed::Share;
use super::resolve::Model;
use super::wiring::{PlasticEdge, Wiring};
use crate::error::ModelError;
use std::ops::Range;
use std::path::Path;
use volley_engine::{Assignment, Connectome, Time};

/// One partition's synapses.
pub(super) struct Wired {
    pub(super) connectome: Connectome,
    pub(super) plastic: Vec<PlasticEdge>,
    /// Per neuron gid: whether it (in another partition) has a target here.
    pub(super) from_elsewhere: Vec<bool>,
    pub(super) n_synapses: u64,
    pub(super) n_input_synapses: u64,
    /// The shortest neuron-to-neuron delay (`NEVER` if none).
    pub(super) min_recurrent_delay: Time,
    /// The (min, max) delay of any synapse (`(NEVER, ZERO)` if none).
    pub(super) delays: (Time, Time),
}

/// The partitions this process builds.
pub(super) fn local_partitions(
    path: &Path,
    run: &RunConfig,
    assign: &Assignment,
) -> Result<Range<usize>, ModelError> {
    match &run.share {
        None => Ok(0..assign.parts()),
        Some(Share { parts, .. }) if parts.start < parts.end && parts.end <= assign.parts() => {
            Ok(parts.clone())
        }
        Some(s) => {
            let m = format!(
                "partitions {:?} of {} do not exist",
                s.parts,
                assign.parts()
            );
            Err(ModelError::file(path, m))
        }
    }
}

/// Wire partitions `local`, one thread each.
pub(super) fn wire_all(
    model: &Model,
    assign: &Assignment,
    local: Range<usize>,
) -> Result<Vec<Wired>, ModelError> {
    if local.len() == 1 {
        return Ok(vec![wire(model, assign, local.start)?]);
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = local
            .map(|p| scope.spawn(move || wire(model, assign, p)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("wiring thread panicked"))
            .collect()
    })
}

/// The synapses onto the neurons of partition `p`.
fn wire(model: &Model, assign: &Assignment, p: usize) -> Result<Wired, ModelError> {
    let n_neurons = model.n_neurons();
    let mut w = Wiring::new(assign, p, n_neurons, model.inputs.n_nodes);
    let mut out = Wired {
        connectome: Connectome::default(),
        plastic: Vec::new(),
        from_elsewhere: Vec::new(),
        n_synapses: 0,
        n_input_synapses: 0,
        min_recurrent_delay: Time::NEVER,
        delays: (Time::NEVER, Time::ZERO),
    };
    for pass in 0..2 {
        if pass == 1 {
            w.start_filling();
        }
        for projection in &model.projections {
            w.set_plastic(projection.plastic);
            let (dmin, dmax) = projection.wire(model.seed, n_neurons, &mut w)?;
            if dmin != Time::NEVER {
                out.min_recurrent_delay = out.min_recurrent_delay.min(dmin);
                out.delays = (out.delays.0.min(dmin), out.delays.1.max(dmax));
            }
        }
        w.set_plastic(None);
        out.n_synapses = w.len();
        for e in &model.inputs.edges {
            out.delays = (out.delays.0.min(e.delay), out.delays.1.max(e.delay));
            w.add(e.source, e.target, e.weight, e.delay)
                .map_err(|err| {
                    let path = model_path(model);
                    ModelError::file(path, format!("input synapse: {err}"))
                })?;
        }
        out.n_input_synapses = w.len() - out.n_synapses;
    }
    let (connectome, from_elsewhere, plastic) = w.finish();
    out.connectome = connectome;
    out.plastic = plastic;
    out.from_elsewhere = from_elsewhere;
    Ok(out)
}

/// The model file (for errors that belong to no table of it).
fn model_path(model: &Model) -> &Path {
    &model.path
}
