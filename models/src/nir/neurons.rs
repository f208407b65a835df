//! NIR's neuron nodes as Volley's neuron models: the parameters that give
//! NIR's equations (see `lower.rs` for the mapping) and how far one unit of
//! input moves each kind.

use super::graph::{NeuronKind, NeuronNode, Tensor};
use std::collections::BTreeMap;

/// How far one unit of input (a spike of weight 1) moves a neuron of node
/// `t`: `R/τ` (LIF, LI), `R` (IF, I), `w_in/τ_syn` (CubaLIF, CubaLI).
pub(super) fn jump_per_unit_input(t: &NeuronNode, j: usize) -> f64 {
    let r = t.r.at(j);
    match t.kind {
        NeuronKind::Lif | NeuronKind::Li => r / t.tau_mem.as_ref().map_or(1.0, |x| x.at(j)),
        NeuronKind::If | NeuronKind::I => r,
        NeuronKind::CubaLif | NeuronKind::CubaLi => {
            t.w_in.as_ref().map_or(1.0, |w| w.at(j)) / t.tau_syn.as_ref().map_or(1.0, |x| x.at(j))
        }
    }
}

/// The smallest double above `x`.
fn next_up(x: f64) -> f64 {
    if x.is_nan() || x == f64::INFINITY {
        return x;
    }
    if x == 0.0 {
        return f64::from_bits(1);
    }
    let b = x.to_bits();
    f64::from_bits(if x > 0.0 { b + 1 } else { b - 1 })
}

/// The `V_th` that makes Volley's `V − E_L ≥ V_th − E_L` NIR's strict
/// `v > v_threshold` (on the potential relative to `v_leak`).
fn strict_threshold(v_th: f64, e_l: f64) -> f64 {
    let want = next_up(v_th - e_l);
    let mut v = want + e_l;
    while v - e_l < want {
        v = next_up(v);
    }
    v
}

/// Volley's model and parameters for neuron node `n` with constant input
/// `bias` (NIR current units).
pub(super) fn neuron_params(
    n: &NeuronNode,
    bias: Option<&Vec<f64>>,
    unit_ms: f64,
    t_ref_ms: f64,
) -> Result<(&'static str, toml::Table), (String, String)> {
    let size = n.size;
    let get = |t: &Option<Tensor>, j: usize, dflt: f64| t.as_ref().map_or(dflt, |t| t.at(j));
    let b = |j: usize| bias.map_or(0.0, |b| b[j]);
    let mut cols: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
    let mut put = |k: &'static str, v: f64| cols.entry(k).or_default().push(v);
    let leaky = n.tau_mem.is_some();
    let cuba = n.tau_syn.is_some();
    for j in 0..size {
        let r = n.r.at(j);
        if r.is_nan() || r <= 0.0 {
            return Err(("r".into(), format!("must be > 0, got {r} (neuron {j})")));
        }
        let tau_m = if leaky {
            let tau = get(&n.tau_mem, j, 1.0);
            if tau.is_nan() || tau <= 0.0 {
                return Err(("tau".into(), format!("must be > 0, got {tau} (neuron {j})")));
            }
            tau * unit_ms
        } else {
            if b(j) != 0.0 {
                let m = format!(
                    "a bias into a {} (no leak) is not supported: it would need a ramp (neuron {j}, bias {})",
                    n.kind.name(),
                    b(j)
                );
                return Err(("bias".into(), m));
            }
            f64::INFINITY
        };
        let e_l = get(&n.v_leak, j, 0.0);
        let v_reset = get(&n.v_reset, j, 0.0);
        let v_th = match &n.v_threshold {
            Some(t) => {
                let v = t.at(j);
                if v_reset >= v {
                    let m = format!("v_reset {v_reset} must be below v_threshold {v} (neuron {j})");
                    return Err(("v_reset".into(), m));
                }
                strict_threshold(v, e_l)
            }
            None => f64::INFINITY,
        };
        put("tau_m", tau_m);
        put("C_m", if leaky { tau_m / r } else { 1000.0 / r });
        put("t_ref", t_ref_ms);
        put("E_L", e_l);
        put("V_reset", v_reset);
        put("V_th", v_th);
        put("V_m", 0.0);
        if cuba {
            let tau_s = get(&n.tau_syn, j, 1.0);
            if tau_s.is_nan() || tau_s <= 0.0 {
                let m = format!("must be > 0, got {tau_s} (neuron {j})");
                return Err(("tau_syn".into(), m));
            }
            let w_in = get(&n.w_in, j, 1.0);
            put("tau_syn_ex", tau_s * unit_ms);
            put("tau_syn_in", tau_s * unit_ms);
            let i = w_in * b(j);
            put("I_e", i);
            put("I_syn_ex", if -i >= 0.0 { -i } else { 0.0 });
            put("I_syn_in", if -i < 0.0 { -i } else { 0.0 });
        } else {
            put("I_e", b(j));
        }
    }
    let mut params = toml::Table::new();
    for (k, v) in cols {
        let value = if v.iter().all(|x| x.to_bits() == v[0].to_bits()) {
            toml::Value::Float(v[0])
        } else {
            toml::Value::Array(v.into_iter().map(toml::Value::Float).collect())
        };
        params.insert(k.to_string(), value);
    }
    Ok((if cuba { "lif_exp" } else { "lif_delta" }, params))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_threshold_is_the_next_double_above() {
        for (th, el) in [
            (1.0, 0.0),
            (0.1, 0.0),
            (1.0, 1.2),
            (-50.0, -65.0),
            (20.0, 0.3),
        ] {
            let v = strict_threshold(th, el);
            // Above, and the smallest such: one double lower is not.
            assert!(v - el >= next_up(th - el));
            let below = -next_up(-v);
            assert!(below - el < next_up(th - el), "{th} {el}");
        }
    }
}
