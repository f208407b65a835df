//! Which neuron model a population uses and its parameters, as a model file
//! names them: parsing, validation and what the rest of the crate asks of a
//! model (its recordables, its threshold, whether currents drive it).

use super::lif_alpha;
use super::lif_delta::{self, LifDeltaParams};
use super::lif_exp::{self, LifExpParams};
use super::parrot::ParrotParams;

/// The neuron models Volley knows, by the name used in model files.
pub const MODEL_NAMES: &[&str] = &["lif_delta", "lif_exp", "lif_alpha", "parrot"];

/// NEST's default `tau_minus` (ms).
pub const DEFAULT_TAU_MINUS: f64 = 20.0;

/// The parameters of one neuron model.
#[derive(Clone, Debug, PartialEq)]
pub enum NeuronParams {
    /// `lif_delta`.
    LifDelta(LifDeltaParams),
    /// `lif_exp`.
    LifExp(LifExpParams),
    /// `lif_alpha` (the parameters of `lif_exp`).
    LifAlpha(LifExpParams),
    /// `parrot`.
    Parrot(ParrotParams),
}

impl NeuronParams {
    /// Parse the `params` table of model `model`.
    pub fn parse(model: &str, table: toml::Table) -> Result<Self, String> {
        let v = toml::Value::Table(table);
        let r = match model {
            "lif_delta" => v.try_into().map(NeuronParams::LifDelta),
            "lif_exp" => v.try_into().map(NeuronParams::LifExp),
            "lif_alpha" => v.try_into().map(NeuronParams::LifAlpha),
            "parrot" => v.try_into().map(NeuronParams::Parrot),
            _ => {
                return Err(format!(
                    "unknown neuron model `{model}` (known: {})",
                    MODEL_NAMES.join(", ")
                ))
            }
        };
        r.map_err(|e: toml::de::Error| format!("{} (model `{model}`)", e.message().trim()))
    }

    /// Check ranges; the error names the parameter.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        match self {
            NeuronParams::LifDelta(p) => p.validate(),
            NeuronParams::LifExp(p) => p.validate(),
            NeuronParams::LifAlpha(p) if p.I_syn_ex != 0.0 || p.I_syn_in != 0.0 => Err((
                "I_syn_ex",
                "initial currents are a `lif_exp` parameter, not `lif_alpha`'s".into(),
            )),
            NeuronParams::LifAlpha(p) => p.validate(),
            NeuronParams::Parrot(_) => Ok(()),
        }
    }

    /// The time constant of the trace STDP synapses read (ms).
    pub fn tau_minus(&self) -> f64 {
        match self {
            NeuronParams::LifDelta(p) => p.tau_minus,
            NeuronParams::LifExp(p) | NeuronParams::LifAlpha(p) => p.tau_minus,
            NeuronParams::Parrot(_) => None,
        }
        .unwrap_or(DEFAULT_TAU_MINUS)
    }

    /// The state variables a multimeter can record.
    pub fn recordables(&self) -> &'static [&'static str] {
        match self {
            NeuronParams::LifDelta(_) => lif_delta::RECORDABLES,
            NeuronParams::LifExp(_) => lif_exp::RECORDABLES,
            NeuronParams::LifAlpha(_) => lif_alpha::RECORDABLES,
            NeuronParams::Parrot(_) => &[],
        }
    }

    /// Whether current sources can drive it.
    pub fn takes_current(&self) -> bool {
        match self {
            NeuronParams::Parrot(_) => false,
            // No leak: a current would ramp the potential (not expressed).
            NeuronParams::LifDelta(p) => p.tau_m.is_finite(),
            _ => true,
        }
    }

    /// The threshold (mV).
    pub fn v_th(&self) -> f64 {
        match self {
            NeuronParams::LifDelta(p) => p.V_th,
            NeuronParams::LifExp(p) | NeuronParams::LifAlpha(p) => p.V_th,
            NeuronParams::Parrot(_) => f64::NAN,
        }
    }

    /// The model's name in model files.
    pub fn model_name(&self) -> &'static str {
        match self {
            NeuronParams::LifDelta(_) => "lif_delta",
            NeuronParams::LifExp(_) => "lif_exp",
            NeuronParams::LifAlpha(_) => "lif_alpha",
            NeuronParams::Parrot(_) => "parrot",
        }
    }

    /// The initial potential (mV) when none is given per neuron.
    pub fn v_m(&self) -> f64 {
        match self {
            NeuronParams::LifDelta(p) => p.V_m.unwrap_or(p.E_L),
            NeuronParams::LifExp(p) | NeuronParams::LifAlpha(p) => p.V_m.unwrap_or(p.E_L),
            NeuronParams::Parrot(_) => 0.0,
        }
    }
}
