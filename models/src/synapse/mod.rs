//! Synapse models: how a synapse's weight changes as spikes pass it.
//!
//! Static synapses need no model (the engine keeps their weight in its
//! class table). Plastic ones follow NEST's models, with NEST's parameter
//! names and the same update order, so weights match NEST's:
//! - module [`stdp`]: `stdp` (NEST `stdp_synapse`: all-to-all pair-based traces)
//!   and `stdp_nn_symm` (NEST `stdp_nn_symm_synapse`: symmetric nearest
//!   neighbour); `mu_plus`/`mu_minus` choose additive (0) or multiplicative
//!   (1) weight dependence; `stdp_pl` (NEST `stdp_pl_synapse_hom`), power-law;
//! - module [`tsodyks2`]: `tsodyks2` (NEST `tsodyks2_synapse`), short-term
//!   depression and facilitation.
//!
//! [`PlasticStore`] holds one partition's plastic synapses and the spike
//! history of the neurons they target, and implements the engine's
//! [`Plasticity`](volley_engine::Plasticity).

pub mod post_trace;
pub mod readout;
pub mod stdp;
pub mod stdp_run;
pub mod store;
pub mod tsodyks2;

pub use readout::{
    synapses_between, take_weight_trace, visit_plastic, visit_plastic_weights, SynapseRow,
    TraceRow, WeightRow,
};
pub use stdp::{StdpPairing, StdpParams, StdpPlParams};
pub use store::{PlasticStore, SynapseState, WeightSample};
pub use tsodyks2::Tsodyks2Params;

/// The synapse model names model files may use.
pub const SYNAPSE_MODELS: &[&str] = &["static", "stdp", "stdp_nn_symm", "stdp_pl", "tsodyks2"];

/// A plastic synapse model with its parameters (one per projection).
#[derive(Clone, Debug, PartialEq)]
pub enum SynapseRule {
    /// Pair-based STDP (all-to-all or nearest-neighbour).
    Stdp(StdpParams),
    /// Power-law pair-based STDP.
    StdpPl(StdpPlParams),
    /// Tsodyks–Markram short-term plasticity.
    Tsodyks2(Tsodyks2Params),
}

impl SynapseRule {
    /// Parse a projection's `synapse` table: `None` for static synapses.
    /// `weight` is the projection's weight (checked against `Wmax`).
    pub fn parse(table: &toml::Table) -> Result<Option<Self>, (String, String)> {
        let mut t = table.clone();
        let model = match t.remove("model") {
            None => {
                return Err((
                    "model".into(),
                    "missing (one of: static, stdp, stdp_nn_symm, stdp_pl, tsodyks2)".into(),
                ))
            }
            Some(toml::Value::String(s)) => s,
            Some(v) => return Err(("model".into(), format!("must be a string, got {v}"))),
        };
        let v = toml::Value::Table(t);
        let de = |e: toml::de::Error| {
            (
                "".to_string(),
                format!("{} (synapse model `{model}`)", e.message().trim()),
            )
        };
        let rule = match model.as_str() {
            "static" => {
                if let toml::Value::Table(t) = &v {
                    if let Some(k) = t.keys().next() {
                        return Err((k.clone(), "static synapses take no parameters".into()));
                    }
                }
                return Ok(None);
            }
            "stdp" | "stdp_nn_symm" => {
                let mut p: StdpParams = v.try_into().map_err(de)?;
                p.pairing = if model == "stdp" {
                    StdpPairing::AllToAll
                } else {
                    StdpPairing::NearestSymmetric
                };
                p.validate().map_err(|(k, m)| (k.to_string(), m))?;
                SynapseRule::Stdp(p)
            }
            "stdp_pl" => {
                let p: StdpPlParams = v.try_into().map_err(de)?;
                p.validate().map_err(|(k, m)| (k.to_string(), m))?;
                SynapseRule::StdpPl(p)
            }
            "tsodyks2" => {
                let p: Tsodyks2Params = v.try_into().map_err(de)?;
                p.validate().map_err(|(k, m)| (k.to_string(), m))?;
                SynapseRule::Tsodyks2(p)
            }
            other => {
                return Err((
                    "model".into(),
                    format!(
                        "unknown synapse model `{other}` (known: {})",
                        SYNAPSE_MODELS.join(", ")
                    ),
                ))
            }
        };
        Ok(Some(rule))
    }

    /// Check a synapse's initial weight against the rule (NEST: weight and
    /// `Wmax` of one sign).
    pub fn check_weight(&self, w: f64) -> Result<(), String> {
        match self {
            SynapseRule::Stdp(p) => p.check_weight(w),
            SynapseRule::StdpPl(p) => p.check_weight(w),
            SynapseRule::Tsodyks2(_) => Ok(()),
        }
    }

    /// Whether the rule reads the target's spike history.
    pub fn needs_post_history(&self) -> bool {
        matches!(self, SynapseRule::Stdp(_) | SynapseRule::StdpPl(_))
    }
}
