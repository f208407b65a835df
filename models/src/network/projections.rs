//! `[[projections]]`: checked once against the populations ([`resolve`]),
//! then wired by every partition for its own targets ([`Projection::wire`]).

use super::context::{Ctx, PopBuild, Site};
use super::edges::read_edges;
use super::generators::{self, RuleCtx, Sources};
use super::model_file::{Layout, Profile, ProjectionSpec, RuleSpec, ValueSpec};
use super::nir_graphs::ListedSynapse;
use super::selection::Selected;
use super::spatial::{self, Spatial};
use super::values::{SynapseSampler, Value};
use super::wiring::Wiring;
use crate::error::ModelError;
use crate::rng::{stream, StreamKind};
use std::path::PathBuf;
use toml::Spanned;
use volley_engine::{Gid, Time};

/// A projection ready to wire.
pub(super) struct Projection {
    /// Its number in the file (names its random streams).
    index: usize,
    at: Site,
    rule: Rule,
    /// Its synapse rule (`None`: static).
    pub(super) plastic: Option<u16>,
}

/// How a projection makes its synapses.
enum Rule {
    /// From populations, by a generator.
    Generated(Box<Generated>),
    /// From a table `source,target,weight_mV,delay_ms` (gids).
    EdgeList(PathBuf),
    /// Listed synapses (an included NIR graph's); `shared`: their runs
    /// may be stored once per shape (`Connectome::share_runs`).
    Listed {
        synapses: Vec<ListedSynapse>,
        shared: bool,
    },
}

/// A generated projection's populations and synapse values.
struct Generated {
    rule: RuleSpec,
    sources: Sources,
    /// The selections the sources and targets come from (`spatial` places
    /// neurons by their index in their population).
    source_sel: Vec<Selected>,
    target_sel: Vec<Selected>,
    /// Target gids, in order.
    targets: Vec<u32>,
    weight: Value,
    delay: Value,
    levels: u32,
    delay_step_ms: f64,
    autapses: bool,
    multapses: bool,
}

/// Check projection `i` against the populations.
pub(super) fn resolve(
    ctx: &Ctx,
    i: usize,
    spec: &Spanned<ProjectionSpec>,
    pops: &[PopBuild],
    plastic: Option<u16>,
) -> Result<Projection, ModelError> {
    let s = spec.get_ref();
    let at = ctx.site(spec, format!("projections[{i}]"));
    let rule = match &s.rule {
        RuleSpec::EdgeList { file } => {
            let what = "rule `edge_list` (the file gives them)";
            for (key, present) in [
                ("source", s.source.is_some()),
                ("target", s.target.is_some()),
                ("weight", s.weight.is_some()),
                ("delay_ms", s.delay_ms.is_some()),
                ("levels", s.levels.is_some()),
                ("delay_step_ms", s.delay_step_ms.is_some()),
                ("allow_autapses", s.allow_autapses.is_some()),
                ("allow_multapses", s.allow_multapses.is_some()),
            ] {
                at.unused(key, present, what)?;
            }
            Rule::EdgeList(ctx.resolve(file))
        }
        rule => Rule::Generated(Box::new(generated(&at, s, rule, pops)?)),
    };
    Ok(Projection {
        index: i,
        at,
        rule,
        plastic,
    })
}

/// The projection of listed synapses `synapses` (gids), number `index`
/// (after the file's own), reported at `at`; `shared` as in [`Rule::Listed`].
pub(super) fn listed(
    at: Site,
    index: usize,
    synapses: Vec<ListedSynapse>,
    shared: bool,
) -> Projection {
    Projection {
        index,
        at,
        rule: Rule::Listed { synapses, shared },
        plastic: None,
    }
}

/// The checks of a generated projection.
fn generated(
    at: &Site,
    s: &ProjectionSpec,
    rule: &RuleSpec,
    pops: &[PopBuild],
) -> Result<Generated, ModelError> {
    let why = format!("rule `{}`", rule.name());
    let missing = |k: &str| at.err(k, format!("missing (needed by {why})"));
    let sources = at.neurons("source", s.source.as_ref().ok_or(missing("source"))?, pops)?;
    let targets = at.neurons("target", s.target.as_ref().ok_or(missing("target"))?, pops)?;
    let value = |k: &str, v: &Option<ValueSpec>| -> Result<Value, ModelError> {
        Value::parse(v.as_ref().ok_or(missing(k))?).map_err(|m| at.err(k, m))
    };
    let weight = value("weight", &s.weight)?;
    let delay = value("delay_ms", &s.delay_ms)?;
    if let Value::Const(d) = delay {
        at.delay("delay_ms", d)?;
    }
    let levels = s.levels.unwrap_or(256);
    if !(2..=1 << 16).contains(&levels) {
        return Err(at.err("levels", format!("must be 2..65536, got {levels}")));
    }
    let delay_step_ms = s.delay_step_ms.unwrap_or(0.1);
    // The sampler's own checks, once (each partition makes its own).
    SynapseSampler::new(weight.clone(), delay.clone(), levels, delay_step_ms)
        .map_err(|m| at.err("delay_ms", m))?;
    let probability = |k: &str, p: f64| -> Result<(), ModelError> {
        if (0.0..=1.0).contains(&p) {
            Ok(())
        } else {
            Err(at.err(k, format!("must be a probability, got {p}")))
        }
    };
    let target_gids: Vec<u32> = targets.iter().flat_map(Selected::gids).collect();
    let (source_sel, target_sel) = (sources, targets);
    let sources = Sources::new(&source_sel);
    let targets = target_gids;
    match *rule {
        RuleSpec::PairwiseBernoulli { p } => probability("p", p)?,
        RuleSpec::WattsStrogatz { rewire_p, .. } => probability("rewire_p", rewire_p)?,
        RuleSpec::Spatial {
            p, sigma, extent, ..
        } => {
            let extent = extent.unwrap_or(1.0);
            if !(extent > 0.0 && extent.is_finite()) {
                return Err(at.err("extent", format!("must be > 0, got {extent}")));
            }
            if !(sigma > 0.0 && sigma.is_finite()) {
                return Err(at.err("sigma", format!("must be > 0, got {sigma}")));
            }
            probability("p", p)?;
        }
        RuleSpec::OneToOne {} if targets.len() as u64 != sources.n => {
            let m = format!(
                "one_to_one needs as many targets ({}) as sources ({})",
                targets.len(),
                sources.n
            );
            return Err(at.err("target", m));
        }
        _ => {}
    }
    Ok(Generated {
        rule: rule.clone(),
        sources,
        source_sel,
        target_sel,
        targets,
        weight,
        delay,
        levels,
        delay_step_ms,
        autapses: s.allow_autapses.unwrap_or(true),
        multapses: s.allow_multapses.unwrap_or(true),
    })
}

impl Projection {
    /// Add this projection's synapses onto the targets `b` owns; their
    /// (min, max) delay (`(NEVER, ZERO)` if none).
    pub(super) fn wire(
        &self,
        seed: u64,
        n_neurons: u32,
        b: &mut Wiring,
    ) -> Result<(Time, Time), ModelError> {
        let g = match &self.rule {
            Rule::EdgeList(path) => {
                let cols = ["source", "target", "weight_mV", "delay_ms"];
                return read_edges(path, cols, n_neurons, n_neurons, |src, tgt, w, d| {
                    b.add(Gid(src), tgt, w, d)
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                });
            }
            Rule::Listed { synapses, shared } => {
                let mut range = (Time::NEVER, Time::ZERO);
                for s in synapses {
                    range = (range.0.min(s.delay), range.1.max(s.delay));
                    if *shared {
                        b.share_runs_of(Gid(s.source));
                    }
                    b.add(Gid(s.source), s.target, s.weight, s.delay)
                        .map_err(|e| self.at.err("", e.to_string()))?;
                }
                return Ok(range);
            }
            Rule::Generated(g) => g,
        };
        let mut sampler =
            SynapseSampler::new(g.weight.clone(), g.delay.clone(), g.levels, g.delay_step_ms)
                .map_err(|m| self.at.err("delay_ms", m))?;
        let rc = RuleCtx {
            seed,
            projection: self.index as u64,
            sources: &g.sources,
            targets: &g.targets,
            autapses: g.autapses,
            multapses: g.multapses,
        };
        let sampler_ = &mut sampler;
        let made = match g.rule {
            RuleSpec::FixedIndegree { indegree } => {
                generators::fixed_indegree(&rc, indegree, b, sampler_)
            }
            RuleSpec::FixedOutdegree { outdegree } => {
                generators::fixed_outdegree(&rc, outdegree, b, sampler_)
            }
            RuleSpec::FixedTotalNumber { n } => generators::fixed_total_number(&rc, n, b, sampler_),
            RuleSpec::PairwiseBernoulli { p } => {
                generators::pairwise_bernoulli(&rc, p, b, sampler_)
            }
            RuleSpec::WattsStrogatz { k, rewire_p } => {
                generators::watts_strogatz(&rc, k, rewire_p, b, sampler_)
            }
            RuleSpec::Spatial {
                p,
                sigma,
                positions,
                extent,
                periodic,
                profile,
            } => {
                let sp = Spatial {
                    layout: positions.unwrap_or(Layout::Grid),
                    extent: extent.unwrap_or(1.0),
                    periodic: periodic.unwrap_or(true),
                    profile: profile.unwrap_or(Profile::Gaussian),
                    p0: p,
                    sigma,
                };
                spatial::spatial(&rc, &sp, &g.source_sel, &g.target_sel, b, sampler_)
            }
            RuleSpec::AllToAll {} => all_to_all(&rc, b, sampler_),
            RuleSpec::OneToOne {} => one_to_one(&rc, b, sampler_),
            RuleSpec::EdgeList { .. } => unreachable!("edge lists are read, not generated"),
        };
        made.map_err(|m| self.at.err(g.rule.main_key(), m))?;
        Ok(sampler.used)
    }

    /// The synapses it makes (expected values for random rules; edge lists
    /// estimated from their file size), for the memory check.
    pub(super) fn expected_synapses(&self) -> f64 {
        let g = match &self.rule {
            Rule::EdgeList(path) => {
                return std::fs::metadata(path).map_or(0.0, |m| m.len() as f64 / 16.0);
            }
            Rule::Listed { synapses, .. } => return synapses.len() as f64,
            Rule::Generated(g) => g,
        };
        let (ns, nt) = (g.sources.n as f64, g.targets.len() as f64);
        match g.rule {
            RuleSpec::FixedIndegree { indegree } => f64::from(indegree) * nt,
            RuleSpec::FixedOutdegree { outdegree } => f64::from(outdegree) * ns,
            RuleSpec::FixedTotalNumber { n } => n as f64,
            RuleSpec::PairwiseBernoulli { p } => p * ns * nt,
            RuleSpec::WattsStrogatz { k, .. } => f64::from(k) * nt,
            RuleSpec::Spatial {
                p, sigma, extent, ..
            } => {
                let e = extent.unwrap_or(1.0);
                (p * 2.0 * std::f64::consts::PI * sigma * sigma / (e * e)).min(1.0) * ns * nt
            }
            RuleSpec::AllToAll {} => ns * nt,
            RuleSpec::OneToOne {} => nt,
            RuleSpec::EdgeList { .. } => 0.0,
        }
    }

    /// Where it is in the model file (for errors found later).
    pub(super) fn site(&self) -> &Site {
        &self.at
    }
}

/// `all_to_all`: every source onto every target.
fn all_to_all(c: &RuleCtx, b: &mut Wiring, sampler: &mut SynapseSampler) -> Result<(), String> {
    for &t in c.targets {
        if !b.owns(t) {
            continue;
        }
        let mut syn = stream(c.seed, StreamKind::Synapse, c.projection, u64::from(t));
        for k in 0..c.sources.n {
            let sg = c.sources.gid(k);
            if c.autapses || sg != t {
                let class = sampler.class(&mut syn, b)?;
                b.add_with_class(Gid(sg), t, class);
            }
        }
    }
    Ok(())
}

/// `one_to_one`: source `k` onto target `k`.
fn one_to_one(c: &RuleCtx, b: &mut Wiring, sampler: &mut SynapseSampler) -> Result<(), String> {
    for (k, &t) in c.targets.iter().enumerate() {
        if !b.owns(t) {
            continue;
        }
        let mut syn = stream(c.seed, StreamKind::Synapse, c.projection, u64::from(t));
        let class = sampler.class(&mut syn, b)?;
        b.add_with_class(Gid(c.sources.gid(k as u64)), t, class);
    }
    Ok(())
}
