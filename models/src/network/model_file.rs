//! The model file (TOML) as written by users. See `docs/user-guide.md` for
//! every key. Unknown keys are errors, so a typo never passes silently.

use crate::error::ModelError;
use serde::Deserialize;
use std::path::Path;
use toml::Spanned;

mod inputs;
pub use inputs::{CameraSpec, InputKind, InputSpec, Pool};

/// A population name or a list of them.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Names {
    /// One population.
    One(String),
    /// Several populations.
    Many(Vec<String>),
}

/// Neurons by population (names, slices) or by gid.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum NeuronChoice {
    /// Gids.
    Gids(Vec<u32>),
    /// Populations or slices of them.
    Names(Names),
}

impl Names {
    /// The names as a list.
    pub fn list(&self) -> Vec<&str> {
        match self {
            Names::One(s) => vec![s.as_str()],
            Names::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// Simulated time (ms).
    pub t_sim_ms: f64,
    /// Seed of every random stream. Default 1.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Neuron populations, in gid order.
    #[serde(default)]
    pub populations: Vec<Spanned<PopulationSpec>>,
    /// Connections between populations.
    #[serde(default)]
    pub projections: Vec<Spanned<ProjectionSpec>>,
    /// External inputs.
    #[serde(default)]
    pub inputs: Vec<Spanned<InputSpec>>,
    /// What to record.
    #[serde(default)]
    pub recorders: Vec<Spanned<RecorderSpec>>,
    /// NIR graphs included as populations and projections.
    #[serde(default)]
    pub nir: Vec<Spanned<NirSpec>>,
}

/// `[[nir]]`: a NIR graph (HDF5 file) included as populations
/// `<name>.<node>` and their projections.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NirSpec {
    /// Prefix of its populations' names.
    pub name: String,
    /// The `.nir` file.
    pub file: String,
    /// The graph's time unit in seconds (default 1: NIR's exporters write seconds).
    #[serde(default)]
    pub time_unit_s: Option<f64>,
    /// Delay of every NIR edge into a neuron node (ms, > 0; default 0.001).
    #[serde(default)]
    pub edge_delay_ms: Option<f64>,
    /// Refractory period of its spiking neurons (ms; default 0, as NIR).
    #[serde(default)]
    pub t_ref_ms: Option<f64>,
    /// How its synapses are stored (default `shared`).
    #[serde(default)]
    pub synapse_storage: SynapseStorage,
}

/// How an included graph's synapses are stored.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SynapseStorage {
    /// A source's run that equals another's up to a shift of targets (a
    /// convolution's kernel) is stored once.
    #[default]
    Shared,
    /// Every synapse on its own (for checking: the same spikes).
    Expanded,
}

fn default_seed() -> u64 {
    1
}

/// `[[populations]]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationSpec {
    /// Unique name.
    pub name: String,
    /// Neuron model (`lif_delta`).
    pub model: String,
    /// Number of neurons (or give `file`).
    #[serde(default)]
    pub size: Option<u32>,
    /// A neuron table `neuron[,type][,V_m0_mV]`.
    #[serde(default)]
    pub file: Option<String>,
    /// With `file`: split into one population per contiguous run of `type`,
    /// named after the type.
    #[serde(default)]
    pub split_by_type: bool,
    /// Model parameters (NEST names and units; none for `parrot`).
    #[serde(default)]
    pub params: toml::Table,
    /// Initial potentials: `-60.0`, a list of one per neuron, or drawn per
    /// neuron, e.g. `{ dist = "normal", mean = -65.0, std = 5.0 }`.
    #[serde(default, rename = "V_m_init")]
    pub v_m_init: Option<InitSpec>,
}

/// `[[projections]]`: the keys every rule shares, and the rule with its own.
#[derive(Debug, Deserialize)]
pub struct ProjectionSpec {
    /// Source population(s) (every rule but `edge_list`).
    #[serde(default)]
    pub source: Option<Names>,
    /// Target population(s) (every rule but `edge_list`).
    #[serde(default)]
    pub target: Option<Names>,
    /// Synaptic weight (mV for lif_delta, pA for lif_exp): a number or a
    /// distribution `{ dist = "normal", mean, std, min, max }`,
    /// `{ dist = "uniform", low, high }`, `{ dist = "lognormal", mu, sigma }`.
    #[serde(default)]
    pub weight: Option<ValueSpec>,
    /// Synaptic delay (ms), > 0: a number or a distribution.
    #[serde(default)]
    pub delay_ms: Option<ValueSpec>,
    /// Weight values a distribution is quantised to (default 256).
    #[serde(default)]
    pub levels: Option<u32>,
    /// Distributed delays are rounded to multiples of this (ms, default 0.1).
    #[serde(default)]
    pub delay_step_ms: Option<f64>,
    /// Allow a neuron to connect to itself. Default true (as NEST).
    #[serde(default)]
    pub allow_autapses: Option<bool>,
    /// Allow repeated pairs. Default true (as NEST).
    #[serde(default)]
    pub allow_multapses: Option<bool>,
    /// Synapse model and its parameters, e.g. `{ model = "stdp", tau_plus =
    /// 20.0, lambda = 0.01, Wmax = 100.0 }`. Default: static.
    #[serde(default)]
    pub synapse: Option<toml::Table>,
    /// The connection rule (`rule = "..."`) and its keys; a key no rule
    /// and no projection has is an error naming it.
    #[serde(flatten)]
    pub rule: RuleSpec,
}

/// A projection's connection rule, by `rule = "..."`, with its own keys.
/// The one list of rules.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(tag = "rule", rename_all = "snake_case", deny_unknown_fields)]
pub enum RuleSpec {
    /// Each target draws `indegree` sources.
    FixedIndegree {
        /// Sources per target.
        indegree: u32,
    },
    /// Each source draws `outdegree` targets.
    FixedOutdegree {
        /// Targets per source.
        outdegree: u32,
    },
    /// `n` (source, target) pairs drawn in all.
    FixedTotalNumber {
        /// Total number of synapses.
        n: u64,
    },
    /// Each pair with probability `p`.
    PairwiseBernoulli {
        /// Connection probability.
        p: f64,
    },
    /// A directed ring lattice of `k` neighbours, each rewired with
    /// probability `rewire_p`.
    WattsStrogatz {
        /// Ring neighbours per neuron, even.
        k: u32,
        /// Rewiring probability.
        rewire_p: f64,
    },
    /// Neurons placed in a square; pairs connected with a probability that
    /// falls with their distance.
    Spatial {
        /// Connection probability at distance 0.
        p: f64,
        /// Width of the fall-off, same unit as `extent`.
        sigma: f64,
        /// `grid` (default) or `random` positions.
        #[serde(default)]
        positions: Option<Layout>,
        /// Side of the square (default 1).
        #[serde(default)]
        extent: Option<f64>,
        /// Wrap distances around the square (default true).
        #[serde(default)]
        periodic: Option<bool>,
        /// `gaussian` (default) or `exponential` fall-off.
        #[serde(default)]
        profile: Option<Profile>,
    },
    /// Every source to every target.
    AllToAll {},
    /// Source `k` to target `k`.
    OneToOne {},
    /// The synapses of a table `source,target,weight_mV,delay_ms` (gids
    /// 0-based; `source` and `target` are not given).
    EdgeList {
        /// The table.
        file: String,
    },
}

impl RuleSpec {
    /// The key an error of the rule's generator is reported at.
    pub fn main_key(&self) -> &'static str {
        match self {
            RuleSpec::FixedIndegree { .. } => "indegree",
            RuleSpec::FixedOutdegree { .. } => "outdegree",
            RuleSpec::FixedTotalNumber { .. } => "n",
            RuleSpec::PairwiseBernoulli { .. } => "p",
            RuleSpec::WattsStrogatz { .. } => "k",
            RuleSpec::Spatial { .. } => "sigma",
            _ => "rule",
        }
    }

    /// The rule's name in model files.
    pub fn name(&self) -> &'static str {
        match self {
            RuleSpec::FixedIndegree { .. } => "fixed_indegree",
            RuleSpec::FixedOutdegree { .. } => "fixed_outdegree",
            RuleSpec::FixedTotalNumber { .. } => "fixed_total_number",
            RuleSpec::PairwiseBernoulli { .. } => "pairwise_bernoulli",
            RuleSpec::WattsStrogatz { .. } => "watts_strogatz",
            RuleSpec::Spatial { .. } => "spatial",
            RuleSpec::AllToAll {} => "all_to_all",
            RuleSpec::OneToOne {} => "one_to_one",
            RuleSpec::EdgeList { .. } => "edge_list",
        }
    }
}

/// Where neurons sit for `spatial`: on a square grid over the population
/// (neuron k of n at column k mod side, row k div side, side = ceil(sqrt n)),
/// or uniformly at random, both in `[0, extent)²`.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// Square grid.
    Grid,
    /// Uniform random positions (stream: seed, neuron).
    Random,
}

/// How connection probability falls with distance.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// `p0 · exp(-d² / (2 sigma²))`, cut off at 4 sigma.
    Gaussian,
    /// `p0 · exp(-d / sigma)`, cut off at 8 sigma.
    Exponential,
}

/// Initial potentials: one for all, one per neuron, or drawn per neuron.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum InitSpec {
    /// The same for every neuron.
    Const(f64),
    /// One per neuron, in population order.
    List(Vec<f64>),
    /// Drawn per neuron.
    Dist(DistSpec),
}

/// A number, or a distribution to draw it from.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum ValueSpec {
    /// A constant.
    Const(f64),
    /// A distribution.
    Dist(DistSpec),
}

/// `{ dist = "...", ... }`
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DistSpec {
    /// `normal`, `uniform` or `lognormal`.
    pub dist: String,
    /// Normal mean.
    #[serde(default)]
    pub mean: Option<f64>,
    /// Normal standard deviation.
    #[serde(default)]
    pub std: Option<f64>,
    /// Uniform lower bound.
    #[serde(default)]
    pub low: Option<f64>,
    /// Uniform upper bound.
    #[serde(default)]
    pub high: Option<f64>,
    /// Lognormal: mean of the underlying normal.
    #[serde(default)]
    pub mu: Option<f64>,
    /// Lognormal: standard deviation of the underlying normal.
    #[serde(default)]
    pub sigma: Option<f64>,
    /// Draws below are redrawn (normal, lognormal).
    #[serde(default)]
    pub min: Option<f64>,
    /// Draws above are redrawn (normal, lognormal).
    #[serde(default)]
    pub max: Option<f64>,
}

/// Which synapses a `weights` recorder traces.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum SynapseChoice {
    /// `"all"`.
    Keyword(String),
    /// `[[source, target], ...]` (gids).
    Pairs(Vec<[u32; 2]>),
}

/// `[[recorders]]`, by `kind = "..."`, with their own keys.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RecorderSpec {
    /// Spikes of the chosen populations.
    Spikes {
        /// Populations to record. Default: all.
        #[serde(default)]
        populations: Option<Names>,
        /// Record from this time on (ms). Default 0.
        #[serde(default)]
        start_ms: Option<f64>,
    },
    /// Membrane traces: the exact state of the chosen neurons on a grid,
    /// streamed to `<name>.csv` or `<name>.npy` as the run goes.
    Multimeter {
        /// Output file stem (default `multimeter`).
        #[serde(default)]
        name: Option<String>,
        /// The variables, by their NEST names (`V_m`, `I_syn_ex`, ...).
        record: Vec<String>,
        /// The neurons: populations, slices (`"E[0:20]"`) or gids.
        neurons: NeuronChoice,
        /// Sampling period (ms; default 1.0).
        #[serde(default)]
        interval_ms: Option<f64>,
        /// Samples strictly after this time (ms; default 0).
        #[serde(default)]
        start_ms: Option<f64>,
        /// Samples at or before this time (ms; default the end of the run).
        #[serde(default)]
        stop_ms: Option<f64>,
        /// `"csv"` (default) or `"npy"`.
        #[serde(default)]
        format: Option<String>,
    },
    /// Plastic weights: the final weights of all plastic synapses
    /// (weights.csv), and every change of the chosen ones (weight_trace.csv).
    Weights {
        /// Synapses `[source, target]` (gids) whose changes are traced, or `"all"`.
        #[serde(default)]
        synapses: Option<SynapseChoice>,
    },
}

/// 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Parse model-file text; errors name the file, the line and the key.
pub fn parse(path: &Path, text: &str) -> Result<ModelFile, ModelError> {
    toml::from_str::<ModelFile>(text).map_err(|e| {
        let span = e.span();
        let at = span.as_ref().map(|s| s.start);
        let message = e.message().trim().to_string();
        // An error about the whole document (a top-level key) spans it all,
        // or nothing.
        let whole = span.is_some_and(|s| s.start == 0 && (s.end == 0 || s.end >= text.len()));
        let table = at.filter(|_| !whole).and_then(|at| table_at(text, at));
        let (key, message) = match table {
            Some((array, index)) => explain(text, array, index, &message),
            None => (None, message),
        };
        ModelError {
            file: path.to_path_buf(),
            line: at.map(|at| line_of(text, at)),
            key,
            message,
        }
    })
}

/// The `[[array]]` table (name, index) byte `at` lies in.
fn table_at(text: &str, at: usize) -> Option<(&'static str, usize)> {
    // Headers up to the end of `at`'s line: the last one is its table's.
    let end = text[at..].find('\n').map_or(text.len(), |n| at + n);
    let headers: Vec<&str> = text[..end]
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with('['))
        .collect();
    let header = *headers.last()?;
    let array = ["populations", "projections", "inputs", "recorders"]
        .into_iter()
        .find(|a| header == format!("[[{a}]]"))?;
    let index = headers.iter().filter(|&&h| h == header).count() - 1;
    Some((array, index))
}

/// serde's message about table `array[index]`, said in the model file's
/// terms: the key it is about, and what is wrong with it.
fn explain(text: &str, array: &str, index: usize, message: &str) -> (Option<String>, String) {
    let table = format!("{array}[{index}]");
    // Its tag (`rule` of a projection, `kind` of an input or recorder), as
    // the text says it, if the rest of the file parses.
    let tag = match array {
        "projections" => Some(("rule", "rule")),
        "inputs" => Some(("kind", "input kind")),
        "recorders" => Some(("kind", "recorder kind")),
        _ => None,
    };
    let tag_value = tag.and_then(|(tag, _)| {
        let file: toml::Table = toml::from_str(text).ok()?;
        let t = file.get(array)?.as_array()?.get(index)?.as_table()?;
        Some(t.get(tag)?.as_str()?.to_string())
    });
    let quoted = |prefix: &str| {
        let rest = message.strip_prefix(prefix)?;
        let end = rest.find('`')?;
        Some((rest[..end].to_string(), &rest[end + 1..]))
    };
    let whose = match (tag, &tag_value) {
        (Some((tag, _)), Some(v)) => format!(" by {tag} `{v}`"),
        _ => String::new(),
    };
    if let Some((field, _)) = quoted("missing field `") {
        let m = match (tag, &tag_value) {
            (Some((t, what)), None) if field == t => format!("missing: the {what}"),
            _ => format!("missing (needed{whose})"),
        };
        return (Some(format!("{table}.{field}")), m);
    }
    if let Some((field, _)) = quoted("unknown field `") {
        let m = if whose.is_empty() {
            "unknown key".to_string()
        } else {
            format!("not used{whose}")
        };
        return (Some(format!("{table}.{field}")), m);
    }
    if let (Some((value, rest)), Some((tag, what))) = (quoted("unknown variant `"), tag) {
        let known = rest.trim_start_matches(", expected ");
        let known = known.trim_start_matches("one of ").replace(" or ", ", ");
        let known = known.replace('`', "");
        let m = format!("unknown {what} `{value}` (known: {known})");
        return (Some(format!("{table}.{tag}")), m);
    }
    (Some(table), message.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "t_sim_ms = 10.0\n[[populations]]\nname = \"n\"\nmodel = \"lif_delta\"\nsize = 2\nparams = {}\n[[projections]]\nsource = \"n\"\ntarget = \"n\"\nrule = \"fixed_indegree\"\nindegree = 1\nweight = 1.0\ndelay_ms = 1.0\n[[inputs]]\nname = \"x\"\nkind = \"poisson\"\nrate_hz = 5.0\nweight = 1.0\ndelay_ms = 1.0\ntargets = \"n\"\n[[recorders]]\nkind = \"spikes\"\n";

    /// Explaining an error never panics, whatever the text: every
    /// truncation and one-byte change of a valid file.
    #[test]
    fn damaged_files_give_errors_not_panics() {
        assert!(parse(Path::new("m.toml"), FILE).is_ok());
        for cut in 0..FILE.len() {
            let _ = parse(Path::new("m.toml"), &FILE[..cut]);
        }
        let bytes = FILE.as_bytes();
        for k in 0..bytes.len() {
            for b in [b'x', b'"', b'[', b'\n', b'=', b'`'] {
                let mut v = bytes.to_vec();
                v[k] = b;
                if let Ok(text) = std::str::from_utf8(&v) {
                    let _ = parse(Path::new("m.toml"), text);
                }
            }
        }
    }

    #[test]
    fn an_unknown_rule_lists_the_known_ones() {
        let text = FILE.replace("fixed_indegree", "fixed_indgree");
        let e = parse(Path::new("m.toml"), &text).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("projections[0].rule"));
        assert!(
            e.message.starts_with(
                "unknown rule `fixed_indgree` (known: fixed_indegree, fixed_outdegree,"
            ),
            "{}",
            e.message
        );
    }
}
