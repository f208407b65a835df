//! `[[nir]]`: a NIR graph included in a network as populations (named
//! `<name>.<node>`) and projections, beside the file's own populations,
//! inputs and recorders. The mapping itself is `crate::nir`.

use super::context::{Ctx, PopBuild};
use super::model_file::{NirSpec, PopulationSpec, SynapseStorage};
use super::populations::add_population;
use super::wiring::NeuronTable;
use crate::error::ModelError;
use crate::nir::{self, LowerOptions};
use std::ops::Range;
use toml::Spanned;
use volley_engine::Time;

/// A synapse of a NIR projection, by gids.
#[derive(Clone, Copy, Debug)]
pub(super) struct ListedSynapse {
    pub(super) source: u32,
    pub(super) target: u32,
    pub(super) weight: f64,
    pub(super) delay: Time,
}

/// The synapses of one included graph, between its populations.
pub(super) struct GraphSynapses {
    /// Which `[[nir]]` table (for errors).
    pub(super) table: usize,
    pub(super) synapses: Vec<ListedSynapse>,
    /// Whether runs equal up to a shift are stored once.
    pub(super) shared: bool,
}

/// An `Output` node of an included graph: the neurons whose spikes it counts.
#[derive(Clone, Debug)]
pub struct Readout {
    /// `<graph>.<Output node>`.
    pub name: String,
    /// The population feeding it.
    pub population: String,
    /// Its gids.
    pub gids: Range<u32>,
}

/// Add the populations of every `[[nir]]` graph; their synapses and
/// readouts. `first_index` numbers the populations after the file's own.
pub(super) fn add_graphs(
    ctx: &Ctx,
    specs: &[Spanned<NirSpec>],
    first_index: usize,
    seed: u64,
    neurons: &mut NeuronTable,
    pops: &mut Vec<PopBuild>,
) -> Result<(Vec<GraphSynapses>, Vec<Readout>), ModelError> {
    let mut graphs = Vec::new();
    let mut readouts = Vec::new();
    let mut index = first_index;
    for (k, spec) in specs.iter().enumerate() {
        let s = spec.get_ref();
        let at = ctx.site(spec, format!("nir[{k}]"));
        if s.name.trim().is_empty() {
            return Err(at.err("name", "must not be empty"));
        }
        let path = ctx.resolve(&s.file);
        let graph = nir::read_file(&path)?;
        let opt = LowerOptions {
            time_unit_s: s.time_unit_s.unwrap_or(1.0),
            edge_delay_ms: s
                .edge_delay_ms
                .unwrap_or(LowerOptions::default().edge_delay_ms),
            t_ref_ms: s.t_ref_ms.unwrap_or(0.0),
        };
        let lowered = nir::lower(&graph, &opt).map_err(|(node, m)| match node.as_str() {
            "time_unit_s" | "edge_delay_ms" | "t_ref_ms" => at.err(&node, m),
            _ => ModelError::key(&path, format!("nodes.{node}"), m),
        })?;
        let mut gids_of = std::collections::HashMap::new();
        for p in &lowered.populations {
            let name = format!("{}.{}", s.name, p.node);
            let size = u32::try_from(p.size).map_err(|_| {
                ModelError::key(&path, format!("nodes.{}", p.node), "too many neurons")
            })?;
            let pop = PopulationSpec {
                name: name.clone(),
                model: p.model.to_string(),
                size: Some(size),
                file: None,
                split_by_type: false,
                params: p.params.clone(),
                v_m_init: None,
            };
            add_population(
                ctx,
                index,
                &Spanned::new(spec.span(), pop),
                seed,
                neurons,
                pops,
            )
            .map_err(|e| {
                let m = format!("node `{}` maps onto invalid parameters: {e}", p.node);
                ModelError::key(&path, format!("nodes.{}", p.node), m)
            })?;
            index += 1;
            let added = pops.last().expect("just added");
            gids_of.insert(p.node.clone(), added.gids());
        }
        let mut synapses = Vec::new();
        for proj in &lowered.projections {
            let (s0, t0) = (gids_of[&proj.source].start, gids_of[&proj.target].start);
            for syn in &proj.synapses {
                let delay = at.delay("edge_delay_ms", syn.delay_ms)?;
                synapses.push(ListedSynapse {
                    source: s0 + syn.source,
                    target: t0 + syn.target,
                    weight: syn.weight,
                    delay,
                });
            }
        }
        let shared = s.synapse_storage == SynapseStorage::Shared;
        graphs.push(GraphSynapses {
            table: k,
            synapses,
            shared,
        });
        for (output, node) in &lowered.outputs {
            readouts.push(Readout {
                name: format!("{}.{output}", s.name),
                population: format!("{}.{node}", s.name),
                gids: gids_of[node].clone(),
            });
        }
    }
    Ok((graphs, readouts))
}
