//! A parsed model file checked and resolved: populations have gids,
//! projections their populations, inputs their channels, recorders their
//! choices. Nothing after this reads a key of the file.

use super::config::Overrides;
use super::context::{positive_time, Ctx, PopBuild};
use super::inputs::{self, Inputs};
use super::memory;
use super::model_file::ModelFile;
use super::nir_graphs::{self, Readout};
use super::populations::add_population;
use super::projections::{self, Projection};
use super::recorders::{self, Recording};
use super::wiring::NeuronTable;
use crate::error::ModelError;
use crate::synapse::SynapseRule;
use std::collections::HashSet;
use std::path::PathBuf;
use volley_engine::Time;

/// A model ready to wire.
pub(super) struct Model {
    /// The model file.
    pub(super) path: PathBuf,
    pub(super) seed: u64,
    pub(super) t_sim: Time,
    /// Every neuron, in gid order.
    pub(super) neurons: NeuronTable,
    /// Populations, in gid order.
    pub(super) pops: Vec<PopBuild>,
    pub(super) projections: Vec<Projection>,
    /// The synapse rules of plastic projections ([`Projection::plastic`]).
    pub(super) rules: Vec<SynapseRule>,
    pub(super) inputs: Inputs,
    pub(super) recording: Recording,
    /// The `Output` nodes of included NIR graphs.
    pub(super) readouts: Vec<Readout>,
}

impl Model {
    /// Number of neurons (gids `0..n_neurons`).
    pub(super) fn n_neurons(&self) -> u32 {
        self.neurons.len()
    }

    /// The projection whose synapses follow rule `r`.
    pub(super) fn projection_of_rule(&self, r: u16) -> &Projection {
        self.projections
            .iter()
            .find(|p| p.plastic == Some(r))
            .expect("every rule belongs to a projection")
    }
}

/// Resolve `file` (read from `ctx`) with `ov` applied.
pub(super) fn resolve(ctx: &Ctx, file: ModelFile, ov: &Overrides) -> Result<Model, ModelError> {
    let seed = ov.seed.unwrap_or(file.seed);
    let t_sim_ms = ov.t_sim_ms.unwrap_or(file.t_sim_ms);
    let t_sim = positive_time(t_sim_ms).ok_or_else(|| {
        let m = format!("must be a positive number of ms, got {t_sim_ms}");
        ModelError::key(ctx.path, "t_sim_ms", m)
    })?;
    if file.populations.is_empty() && file.nir.is_empty() {
        let m = "the model has no [[populations]]";
        return Err(ModelError::key(ctx.path, "populations", m));
    }
    // Sizes are checked before the neuron table grows to them.
    let sized: f64 = file
        .populations
        .iter()
        .filter_map(|p| Some(f64::from(p.get_ref().size?)))
        .sum();
    let sized_bytes: f64 = file
        .populations
        .iter()
        .filter_map(|p| {
            let p = p.get_ref();
            Some(f64::from(p.size?) * memory::neuron_bytes(&p.model))
        })
        .sum();
    let what = format!("{sized:.0} neurons");
    memory::refuse_beyond_available(ctx.path, &what, sized_bytes)?;
    let mut neurons = NeuronTable::default();
    let mut pops: Vec<PopBuild> = Vec::new();
    for (i, spec) in file.populations.iter().enumerate() {
        add_population(ctx, i, spec, seed, &mut neurons, &mut pops)?;
    }
    let n_file_pops = pops.len();
    let (nir_synapses, readouts) = nir_graphs::add_graphs(
        ctx,
        &file.nir,
        file.populations.len(),
        seed,
        &mut neurons,
        &mut pops,
    )?;
    let mut seen = HashSet::new();
    for (i, p) in pops.iter().enumerate() {
        if !seen.insert(p.name.as_str()) {
            if i >= n_file_pops {
                let m = format!("population name `{}` is used twice", p.name);
                return Err(ModelError::key(ctx.path, "nir", m));
            }
            let spec = &file.populations[i.min(file.populations.len() - 1)];
            let at = ctx.site(spec, format!("populations[{i}]"));
            return Err(at.err(
                "name",
                format!("population name `{}` is used twice", p.name),
            ));
        }
    }
    let inputs = inputs::resolve(ctx, &file.inputs, &pops, neurons.len(), ov)?;
    for c in &inputs.currents {
        if let Some(g) = c
            .targets
            .iter()
            .find(|g| !neurons.params_of(g.0).takes_current())
        {
            let model = neurons.params_of(g.0).model_name();
            let m = format!("neuron {} is a `{model}`, which takes no current", g.0);
            return Err(c.site.err("targets", m));
        }
    }
    let mut rules = Vec::new();
    let mut projections = Vec::new();
    for (i, spec) in file.projections.iter().enumerate() {
        let plastic = match &spec.get_ref().synapse {
            None => None,
            Some(t) => SynapseRule::parse(t).map_err(|(k, m)| {
                let at = ctx.site(spec, format!("projections[{i}]"));
                let key = if k.is_empty() {
                    "synapse".into()
                } else {
                    format!("synapse.{k}")
                };
                at.err(&key, m)
            })?,
        };
        let plastic = match plastic {
            None => None,
            Some(r) => {
                // Synapses hold their rule's index in 16 bits.
                let Ok(index) = u16::try_from(rules.len()) else {
                    let at = ctx.site(spec, format!("projections[{i}]"));
                    let m = "more than 65 536 projections with a `synapse` rule";
                    return Err(at.err("synapse", m));
                };
                rules.push(r);
                Some(index)
            }
        };
        projections.push(projections::resolve(ctx, i, spec, &pops, plastic)?);
    }
    for g in nir_synapses {
        let at = ctx.site(&file.nir[g.table], format!("nir[{}]", g.table));
        let index = file.projections.len() + g.table;
        projections.push(projections::listed(at, index, g.synapses, g.shared));
    }
    let recording = recorders::resolve(ctx, &file.recorders, &pops, &neurons, t_sim)?;
    for r in &readouts {
        if r.gids.clone().any(|g| !recording.neurons[g as usize]) {
            let m = format!(
                "the spikes recorder must record `{}` (the neurons output `{}` reads)",
                r.population, r.name
            );
            return Err(ModelError::key(ctx.path, "recorders", m));
        }
    }
    Ok(Model {
        path: ctx.path.to_path_buf(),
        seed,
        t_sim,
        neurons,
        pops,
        projections,
        rules,
        inputs,
        recording,
        readouts,
    })
}
