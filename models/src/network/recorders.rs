//! `[[recorders]]`: which spikes are kept, which plastic weights, which
//! neurons' states (multimeters, in `meters.rs`).

use super::context::{Ctx, PopBuild};
use super::meters::{self, Meter, MeterKeys};
use super::model_file::{RecorderSpec, SynapseChoice};
use super::wiring::NeuronTable;
use crate::error::ModelError;
use toml::Spanned;
use volley_engine::Time;

/// What the recorders ask for.
pub(super) struct Recording {
    /// Spikes are kept from this time on.
    pub(super) from: Time,
    /// Per neuron (gid): whether its spikes are kept.
    pub(super) neurons: Vec<bool>,
    pub(super) weights: WeightsRecorder,
    /// Multimeters.
    pub(super) meters: Vec<Meter>,
}

/// What the `weights` recorder asks for.
#[derive(Default)]
pub(super) struct WeightsRecorder {
    pub(super) enabled: bool,
    /// Trace every plastic synapse.
    pub(super) all: bool,
    /// Trace these `[source, target]` (gids).
    pub(super) traced: Vec<[u32; 2]>,
}

/// The recorders of a model of `pops` (at most one of each kind; without a
/// spike recorder every spike is kept).
pub(super) fn resolve(
    ctx: &Ctx,
    specs: &[Spanned<RecorderSpec>],
    pops: &[PopBuild],
    neurons: &NeuronTable,
    t_sim: Time,
) -> Result<Recording, ModelError> {
    let n: u32 = pops.iter().map(|p| p.size).sum();
    let mut spikes: Option<(Time, Vec<bool>)> = None;
    let mut weights: Option<WeightsRecorder> = None;
    let mut meters: Vec<Meter> = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let at = ctx.site(spec, format!("recorders[{i}]"));
        match spec.get_ref() {
            RecorderSpec::Spikes {
                populations,
                start_ms,
            } => {
                if spikes.is_some() {
                    let m = "only one spike recorder is supported; list all populations in one";
                    return Err(at.err("", m));
                }
                let from = match start_ms {
                    None => Time::ZERO,
                    Some(ms) => at.instant("start_ms", *ms)?,
                };
                let recorded = match populations {
                    None => vec![true; n as usize],
                    Some(names) => {
                        let mut recorded = vec![false; n as usize];
                        for s in at.neurons("populations", names, pops)? {
                            s.gids().for_each(|g| recorded[g as usize] = true);
                        }
                        recorded
                    }
                };
                spikes = Some((from, recorded));
            }
            RecorderSpec::Multimeter {
                name,
                record,
                neurons: chosen,
                interval_ms,
                start_ms,
                stop_ms,
                format,
            } => {
                let keys = MeterKeys {
                    name,
                    record,
                    neurons: chosen,
                    interval_ms: *interval_ms,
                    start_ms: *start_ms,
                    stop_ms: *stop_ms,
                    format,
                };
                let m = meters::resolve(&at, keys, pops, neurons, t_sim)?;
                if meters.iter().any(|o| o.name == m.name) {
                    let msg = format!("a second multimeter named `{}`: give each a `name`", m.name);
                    return Err(at.err("name", msg));
                }
                meters.push(m);
            }
            RecorderSpec::Weights { synapses } => {
                if weights.is_some() {
                    return Err(at.err("", "only one weights recorder is supported"));
                }
                let (all, traced) = match synapses {
                    None => (false, Vec::new()),
                    Some(SynapseChoice::Pairs(p)) => (false, p.clone()),
                    Some(SynapseChoice::Keyword(k)) if k == "all" => (true, Vec::new()),
                    Some(SynapseChoice::Keyword(k)) => {
                        let m = format!("`{k}`: give \"all\" or a list of [source, target] pairs");
                        return Err(at.err("synapses", m));
                    }
                };
                for (j, pair) in traced.iter().enumerate() {
                    if pair[0] >= n || pair[1] >= n {
                        let m =
                            format!("[{}, {}]: the network has neurons 0..{n}", pair[0], pair[1]);
                        return Err(at.err(&format!("synapses[{j}]"), m));
                    }
                }
                weights = Some(WeightsRecorder {
                    enabled: true,
                    all,
                    traced,
                });
            }
        }
    }
    let (from, neurons) = spikes.unwrap_or_else(|| (Time::ZERO, vec![true; n as usize]));
    Ok(Recording {
        from,
        neurons,
        weights: weights.unwrap_or_default(),
        meters,
    })
}
