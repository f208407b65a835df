//! `[[populations]]`: neurons in gid order, with their parameters and
//! initial potentials.

use super::context::{Ctx, PopBuild};
use super::csv_table::CsvTable;
use super::model_file::{InitSpec, PopulationSpec, ValueSpec};
use super::values::Value;
use super::wiring::NeuronTable;
use crate::error::ModelError;
use crate::neuron::{NeuronParams, MODEL_NAMES};
use crate::rng::{stream, StreamKind};
use std::collections::hash_map::Entry;
use toml::Spanned;

/// Add population `i` (one, or one per type with `split_by_type`) to
/// `neurons` and `pops`.
pub(super) fn add_population(
    ctx: &Ctx,
    i: usize,
    spec: &Spanned<PopulationSpec>,
    seed: u64,
    neurons: &mut NeuronTable,
    pops: &mut Vec<PopBuild>,
) -> Result<(), ModelError> {
    let s = spec.get_ref();
    let at = ctx.site(spec, format!("populations[{i}]"));
    if s.name.trim().is_empty() {
        return Err(at.err("name", "must not be empty"));
    }
    if !MODEL_NAMES.contains(&s.model.as_str()) {
        let known = MODEL_NAMES.join(", ");
        let m = format!("unknown neuron model `{}` (known: {known})", s.model);
        return Err(at.err("model", m));
    }
    // Parameters given as lists hold one value per neuron; every distinct
    // combination becomes a parameter set.
    let varying: Vec<&String> = s
        .params
        .iter()
        .filter(|(_, v)| v.is_array())
        .map(|(k, _)| k)
        .collect();
    let number = |k: &str, j: usize| -> Result<f64, ModelError> {
        let v = s.params[k].as_array().and_then(|a| a.get(j));
        match v {
            Some(toml::Value::Float(x)) => Ok(*x),
            Some(toml::Value::Integer(x)) => Ok(*x as f64),
            _ => Err(at.err(&format!("params.{k}[{j}]"), "must be a number")),
        }
    };
    let parse_at = |j: usize| -> Result<NeuronParams, ModelError> {
        let mut table = s.params.clone();
        for k in &varying {
            table.insert((*k).clone(), toml::Value::Float(number(k, j)?));
        }
        let params = NeuronParams::parse(&s.model, table).map_err(|m| at.err("params", m))?;
        params.validate().map_err(|(k, m)| {
            let which = if varying.is_empty() {
                String::new()
            } else {
                format!(" (neuron {j})")
            };
            at.err(&format!("params.{k}"), format!("{m}{which}"))
        })?;
        Ok(params)
    };
    let add_set = |neurons: &mut NeuronTable, p: &NeuronParams| -> Result<u16, ModelError> {
        if neurons.n_param_sets() > usize::from(u16::MAX) {
            let m = "more than 65 536 parameter sets in the network (distinct per-neuron values count one each)";
            return Err(at.err("params", m));
        }
        Ok(neurons.add_params(p))
    };
    let params = parse_at(0)?;
    let param_index = add_set(neurons, &params)?;
    let v_m_default = params.v_m();
    let per_neuron: Option<Vec<(u16, f64)>> = if varying.is_empty() {
        None
    } else {
        let Some(n) = s.size else {
            let m = "a list of values per neuron needs `size` (not a neuron file)";
            return Err(at.err(&format!("params.{}", varying[0]), m));
        };
        for k in &varying {
            let len = s.params[k.as_str()].as_array().map_or(0, |a| a.len());
            if len != n as usize {
                let m = format!("{len} values for {n} neurons");
                return Err(at.err(&format!("params.{k}"), m));
            }
        }
        let key = |j: usize| -> Result<Vec<u64>, ModelError> {
            varying
                .iter()
                .map(|k| number(k, j).map(f64::to_bits))
                .collect()
        };
        let mut seen = std::collections::HashMap::new();
        seen.insert(key(0)?, (param_index, v_m_default));
        let mut out = Vec::with_capacity(n as usize);
        for j in 0..n as usize {
            let set = match seen.entry(key(j)?) {
                Entry::Occupied(e) => *e.get(),
                Entry::Vacant(e) => {
                    let p = parse_at(j)?;
                    *e.insert((add_set(neurons, &p)?, p.v_m()))
                }
            };
            out.push(set);
        }
        Some(out)
    };
    let first = neurons.len();
    // Initial potentials: given, listed, or drawn per neuron (stream: seed,
    // Init, population, gid).
    let v_init = match &s.v_m_init {
        None => None,
        Some(InitSpec::List(list)) => {
            if Some(list.len() as u64) != s.size.map(u64::from) {
                let m = format!(
                    "{} values for {} neurons (a list needs `size` and one value per neuron)",
                    list.len(),
                    s.size.unwrap_or(0)
                );
                return Err(at.err("V_m_init", m));
            }
            if let Some(bad) = list.iter().find(|v| !v.is_finite()) {
                return Err(at.err("V_m_init", format!("{bad} is not a potential in mV")));
            }
            None
        }
        Some(InitSpec::Const(v)) => Some(ValueSpec::Const(*v)),
        Some(InitSpec::Dist(d)) => Some(ValueSpec::Dist(d.clone())),
    };
    let v_init = match v_init {
        Some(spec) => Some(Value::parse(&spec).map_err(|m| at.err("V_m_init", m))?),
        None => None,
    };
    let draw_v = |gid: u32, default: f64| -> f64 {
        if let Some(InitSpec::List(list)) = &s.v_m_init {
            return list[(gid - first) as usize];
        }
        match &v_init {
            None => default,
            Some(v) => v.draw(&mut stream(
                seed,
                StreamKind::Init,
                i as u64,
                u64::from(gid),
            )),
        }
    };
    match (&s.size, &s.file) {
        (Some(_), Some(_)) => Err(at.err("size", "give either `size` or `file`, not both")),
        (None, None) => Err(at.err("size", "missing: give `size` or a neuron `file`")),
        (Some(n), None) => {
            if s.split_by_type {
                return Err(at.err("split_by_type", "needs a neuron `file`"));
            }
            if *n == 0 {
                return Err(at.err("size", "must be at least 1"));
            }
            if (first as u64 + *n as u64) >= u32::MAX as u64 / 2 {
                return Err(at.err("size", "too many neurons"));
            }
            for (j, g) in (first..first + *n).enumerate() {
                let (set, v_m) = per_neuron
                    .as_ref()
                    .map_or((param_index, v_m_default), |p| p[j]);
                neurons.push(set, draw_v(g, v_m));
            }
            pops.push(PopBuild {
                name: s.name.clone(),
                first_gid: first,
                size: *n,
            });
            Ok(())
        }
        (None, Some(f)) => {
            let table = NeuronFile {
                path: ctx.resolve(f),
                split_by_type: s.split_by_type,
            };
            let runs = table.read(v_m_default, |v| neurons.push(param_index, v))?;
            let mut g = first;
            for (name, n) in runs {
                let name = name.unwrap_or_else(|| s.name.clone());
                pops.push(PopBuild {
                    name,
                    first_gid: g,
                    size: n,
                });
                g += n;
            }
            Ok(())
        }
    }
}

/// A neuron table `neuron[,type][,V_m0_mV]`.
struct NeuronFile {
    path: std::path::PathBuf,
    /// One population per contiguous run of `type`, named after it.
    split_by_type: bool,
}

impl NeuronFile {
    /// Read it, `add(V_m)` per neuron in order; its populations (name if
    /// split by type, size).
    fn read(
        &self,
        v_m_default: f64,
        mut add: impl FnMut(f64),
    ) -> Result<Vec<(Option<String>, u32)>, ModelError> {
        let path = &self.path;
        let table = CsvTable::open(path)?;
        let c_id = table.require("neuron")?;
        let c_type = table.column("type");
        let c_v = table.column("V_m0_mV");
        if self.split_by_type && c_type.is_none() {
            let m = "missing column (needed by split_by_type)";
            return Err(ModelError::line(path, 1, Some("type"), m));
        }
        let mut count = 0u32;
        let mut runs: Vec<(Option<String>, u32)> = Vec::new();
        table.for_each_row(|row| {
            let id = row.u32(c_id)?;
            if id != count {
                let m = format!("neuron ids must be 0, 1, 2, ... in order; expected {count}, found {id}");
                return Err(row.error(c_id, m));
            }
            let v = match c_v {
                Some(c) => row.f64(c)?,
                None => v_m_default,
            };
            match (self.split_by_type, c_type) {
                (true, Some(c)) => {
                    let t = row.text(c);
                    match runs.last_mut() {
                        Some((Some(name), n)) if name == t => *n += 1,
                        _ => {
                            if runs.iter().any(|(n, _)| n.as_deref() == Some(t)) {
                                let m = format!("type `{t}` appears in two separate blocks; rows of one type must be contiguous");
                                return Err(row.error(c, m));
                            }
                            runs.push((Some(t.to_string()), 1));
                        }
                    }
                }
                _ => match runs.last_mut() {
                    Some((None, n)) => *n += 1,
                    _ => runs.push((None, 1)),
                },
            }
            add(v);
            count += 1;
            Ok(())
        })?;
        if count == 0 {
            return Err(ModelError::file(path, "no neurons in the file"));
        }
        Ok(runs)
    }
}
