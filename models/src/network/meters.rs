//! Multimeters and current sources: a `multimeter` recorder checked against
//! the models of the neurons it samples, each partition's
//! [`DevicePlan`], and the samples collected from all partitions in
//! `(time, gid)` order.

use super::context::{PopBuild, Site};
use super::inputs::CurrentInput;
use super::model_file::NeuronChoice;
use super::wiring::NeuronTable;
use crate::error::ModelError;
use volley_engine::{Assignment, Dynamics, Gid, Plasticity, SampleGrid, Samples, Simulation, Time};
use volley_engine::{DevicePlan, Devices, Observer};

/// How a multimeter's samples are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SampleFormat {
    /// `<name>.csv`: `time_ms,gid,<var>...`.
    Csv,
    /// `<name>.npy`: a 2-D float64 array, one row per sample, columns
    /// `time_ms, gid, <var>...`.
    Npy,
}

/// A multimeter, resolved.
#[derive(Clone, Debug)]
pub struct Meter {
    /// Output file stem.
    pub name: String,
    /// The variables, in the order written.
    pub vars: Vec<String>,
    /// The sampled neurons, increasing.
    pub gids: Vec<u32>,
    /// When samples are taken (never at or after the end of the run).
    pub grid: SampleGrid,
    /// Output format.
    pub format: SampleFormat,
    /// The first few sampled neurons and their thresholds (mV), to plot.
    pub thresholds: Vec<(u32, f64)>,
}

impl Meter {
    /// Number of sample times.
    pub fn times(&self) -> u64 {
        let g = &self.grid;
        (g.stop.0 / g.interval.0).saturating_sub(g.start.0 / g.interval.0)
    }

    /// Number of samples the run writes.
    pub fn rows(&self) -> u64 {
        self.times() * self.gids.len() as u64
    }
}

/// The keys of a `multimeter` recorder.
pub(super) struct MeterKeys<'a> {
    pub(super) name: &'a Option<String>,
    pub(super) record: &'a [String],
    pub(super) neurons: &'a NeuronChoice,
    pub(super) interval_ms: Option<f64>,
    pub(super) start_ms: Option<f64>,
    pub(super) stop_ms: Option<f64>,
    pub(super) format: &'a Option<String>,
}

/// Check a `multimeter` recorder of a run that ends at `t_sim`.
pub(super) fn resolve(
    at: &Site,
    keys: MeterKeys<'_>,
    pops: &[PopBuild],
    neurons: &NeuronTable,
    t_sim: Time,
) -> Result<Meter, ModelError> {
    let name = keys.name.clone().unwrap_or_else(|| "multimeter".into());
    let safe = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    if name.is_empty() || !name.chars().all(safe) {
        let m = format!("`{name}`: use letters, digits, `_` and `-` (it names the output file)");
        return Err(at.err("name", m));
    }
    let mut gids: Vec<u32> = match keys.neurons {
        NeuronChoice::Gids(g) => {
            if let Some(&bad) = g.iter().find(|&&g| g >= neurons.len()) {
                let m = format!("gid {bad}: the network has neurons 0..{}", neurons.len());
                return Err(at.err("neurons", m));
            }
            g.clone()
        }
        NeuronChoice::Names(names) => at
            .neurons("neurons", names, pops)?
            .iter()
            .flat_map(|s| s.gids())
            .collect(),
    };
    gids.sort_unstable();
    gids.dedup();
    if gids.is_empty() {
        return Err(at.err("neurons", "names no neuron"));
    }
    if keys.record.is_empty() {
        return Err(at.err("record", "names no variable"));
    }
    for (k, var) in keys.record.iter().enumerate() {
        for &g in &gids {
            let p = neurons.params_of(g);
            if !p.recordables().contains(&var.as_str()) {
                let m = format!(
                    "`{var}` is not a state of `{}` (neuron {g}); it has: {}",
                    p.model_name(),
                    p.recordables().join(", ")
                );
                return Err(at.err(&format!("record[{k}]"), m));
            }
        }
    }
    let interval_ms = keys.interval_ms.unwrap_or(1.0);
    let interval = Time::from_ms(interval_ms)
        .filter(|t| t.0 > 0 && interval_ms.is_finite())
        .ok_or_else(|| at.err("interval_ms", format!("must be > 0 ms, got {interval_ms}")))?;
    let start = match keys.start_ms {
        Some(ms) => at.instant("start_ms", ms)?,
        None => Time::ZERO,
    };
    let last = Time(t_sim.0 - 1);
    let stop = match keys.stop_ms {
        Some(ms) => at.instant("stop_ms", ms)?,
        None => Time::NEVER,
    };
    if stop <= start {
        return Err(at.err("stop_ms", "must be after start_ms"));
    }
    let stop = stop.min(last);
    let format = match keys.format.as_deref() {
        None | Some("csv") => SampleFormat::Csv,
        Some("npy") => SampleFormat::Npy,
        Some(f) => return Err(at.err("format", format!("`{f}`: give \"csv\" or \"npy\""))),
    };
    Ok(Meter {
        name,
        vars: keys.record.to_vec(),
        gids: gids.clone(),
        grid: SampleGrid {
            interval,
            start,
            stop,
        },
        format,
        thresholds: gids
            .iter()
            .take(8)
            .map(|&g| (g, neurons.params_of(g).v_th()))
            .collect(),
    })
}

/// The devices of partition `p`: its neurons' taps of every meter and the
/// current sources that drive them.
pub(super) fn plan_for(
    meters: &[Meter],
    currents: &[CurrentInput],
    neurons: &NeuronTable,
    assign: &Assignment,
    p: usize,
) -> DevicePlan {
    let mut plan = DevicePlan {
        meters: meters.iter().map(|m| (m.grid, m.vars.len())).collect(),
        schedules: currents.iter().map(|c| c.schedule.clone()).collect(),
        ..DevicePlan::default()
    };
    for (k, m) in meters.iter().enumerate() {
        for &g in m.gids.iter().filter(|&&g| assign.partition_of(g) == p) {
            let have = neurons.params_of(g).recordables();
            let pick = m
                .vars
                .iter()
                .map(|v| {
                    have.iter()
                        .position(|h| h == v)
                        .expect("checked at resolve")
                })
                .collect();
            plan.taps.push((assign.local_of(g), Gid(g), k as u32, pick));
        }
    }
    for (k, c) in currents.iter().enumerate() {
        for g in c.targets.iter().filter(|g| assign.partition_of(g.0) == p) {
            plan.drives.push((assign.local_of(g.0), k as u32));
        }
    }
    plan
}

/// Every partition's samples due before `until` (the simulation has run
/// to it), per meter, in `(time, gid)` order.
pub fn collect_samples<D: Dynamics + Send, P: Plasticity, O: Observer>(
    sim: &mut Simulation<Devices<D>, P, O>,
    until: Time,
) -> Vec<Samples> {
    let parts = sim.partitions_mut();
    let n_meters = parts.first().map_or(0, |p| p.dynamics.meters());
    let mut out = Vec::with_capacity(n_meters);
    for m in 0..n_meters {
        let mut all: Vec<Samples> = parts
            .iter_mut()
            .map(|p| {
                p.dynamics.flush_until(until);
                p.dynamics.take_samples(m)
            })
            .collect();
        out.push(merge(&mut all));
    }
    out
}

/// Samples of several partitions merged in `(time, gid)` order.
fn merge(parts: &mut [Samples]) -> Samples {
    let rows: usize = parts.iter().map(|s| s.rows.len()).sum();
    if rows == 0 {
        return Samples::default();
    }
    let width = parts
        .iter()
        .find(|s| !s.rows.is_empty())
        .map_or(0, |s| s.values.len() / s.rows.len());
    let mut order: Vec<(Time, Gid, u32, u32)> = Vec::with_capacity(rows);
    for (k, s) in parts.iter().enumerate() {
        for (j, &(t, g)) in s.rows.iter().enumerate() {
            order.push((t, g, k as u32, j as u32));
        }
    }
    order.sort_unstable();
    let mut out = Samples {
        rows: Vec::with_capacity(rows),
        values: Vec::with_capacity(rows * width),
    };
    for (t, g, k, j) in order {
        out.rows.push((t, g));
        let v = &parts[k as usize].values;
        out.values
            .extend_from_slice(&v[j as usize * width..(j as usize + 1) * width]);
    }
    out
}
