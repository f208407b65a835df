//! `[[inputs]]`: input nodes, given gids after the neurons in file order.
//! Poisson generators become per-target trains; spike files and event
//! cameras become channels that reach neurons through synapses.

use super::camera_input::{self, CameraInput};
use super::config::Overrides;
use super::context::{Ctx, PopBuild, Site};
use super::csv_table::CsvTable;
use super::edges::{read_edges, InputEdge};
use super::memory;
use super::model_file::{InputKind, InputSpec, Names};
use crate::error::ModelError;
use crate::input::SpikeTimesDrive;
use std::ops::Range;
use toml::Spanned;
use volley_engine::{CurrentSchedule, Gid, RateProfile, Spike, Time};

/// A model's inputs.
#[derive(Default)]
pub(super) struct Inputs {
    pub(super) poisson: Vec<PoissonInput>,
    pub(super) spike_drives: Vec<SpikeTimesDrive>,
    /// Synapses from input channels (spike files, cameras) to neurons.
    pub(super) edges: Vec<InputEdge>,
    pub(super) cameras: Vec<CameraInput>,
    /// Current sources (they have no gid: they emit no spikes).
    pub(super) currents: Vec<CurrentInput>,
    /// Neurons and input nodes have gids `0..n_nodes`.
    pub(super) n_nodes: u32,
}

/// How much more Poisson drive the busiest partition of a contiguous split
/// may take than the average before `auto` deals blocks instead
/// ([`Inputs::poisson_drive_uneven`]).
const UNEVEN_DRIVE: f64 = 1.05;

impl Inputs {
    /// Whether a contiguous split of `n_neurons` into `parts` gives some
    /// partition more than [`UNEVEN_DRIVE`] times the average Poisson
    /// drive (train events per second, the part of the work known before
    /// wiring): a microcircuit's layers differ in background rate, and the
    /// worker holding the deep layers did ~30 % more of it (see
    /// `RunConfig::resolved`).
    pub(super) fn poisson_drive_uneven(&self, n_neurons: u32, parts: usize) -> bool {
        if parts < 2 || n_neurons == 0 {
            return false;
        }
        let mut drive = vec![0.0; parts];
        for input in &self.poisson {
            for &g in input.targets.iter().filter(|g| g.0 < n_neurons) {
                drive[volley_engine::contiguous_partition(g.0, n_neurons, parts)] += input.rate_hz;
            }
        }
        let total: f64 = drive.iter().sum();
        let busiest = drive.iter().copied().fold(0.0, f64::max);
        total > 0.0 && busiest > UNEVEN_DRIVE * total / parts as f64
    }
}

/// A Poisson generator: one train per target neuron.
pub(super) struct PoissonInput {
    pub(super) gid: Gid,
    pub(super) rate_hz: f64,
    pub(super) weight: f64,
    pub(super) delay: Time,
    /// Emissions happen in this span.
    pub(super) active: Range<Time>,
    /// A rate that changes over time (then `rate_hz` is unused).
    pub(super) profile: Option<RateProfile>,
    pub(super) targets: Vec<Gid>,
}

/// A current source: its schedule and the neurons it drives.
pub(super) struct CurrentInput {
    /// Where it is written (errors name it).
    pub(super) site: Site,
    pub(super) schedule: CurrentSchedule,
    pub(super) targets: Vec<Gid>,
}

/// The inputs of a model of `n_neurons` neurons in `pops`.
pub(super) fn resolve(
    ctx: &Ctx,
    specs: &[Spanned<InputSpec>],
    pops: &[PopBuild],
    n_neurons: u32,
    overrides: &Overrides,
) -> Result<Inputs, ModelError> {
    let mut inputs = Inputs {
        n_nodes: n_neurons,
        ..Inputs::default()
    };
    for (i, spec) in specs.iter().enumerate() {
        let at = ctx.site(spec, format!("inputs[{i}]"));
        let next = inputs.n_nodes;
        match &spec.get_ref().kind {
            InputKind::Poisson {
                rate_hz,
                weight,
                delay_ms,
                targets,
                start_ms,
                stop_ms,
            } => {
                let rate_hz = rate(&at, "rate_hz", *rate_hz)?;
                let active = active_span(&at, *start_ms, *stop_ms)?;
                inputs.poisson.push(PoissonInput {
                    gid: Gid(next),
                    rate_hz,
                    weight: at.weight("weight", *weight)?,
                    delay: at.delay("delay_ms", *delay_ms)?,
                    active,
                    profile: None,
                    targets: gids(&at, targets, pops)?,
                });
                inputs.n_nodes += 1;
            }
            InputKind::InhomogeneousPoisson {
                rate_times_ms,
                rate_values_hz,
                weight,
                delay_ms,
                targets,
                start_ms,
                stop_ms,
            } => {
                if rate_times_ms.len() != rate_values_hz.len() || rate_times_ms.is_empty() {
                    let m = format!(
                        "{} rates for {} times: give one rate per time (at least one)",
                        rate_values_hz.len(),
                        rate_times_ms.len()
                    );
                    return Err(at.err("rate_values_hz", m));
                }
                let times = increasing_times(&at, "rate_times_ms", rate_times_ms)?;
                for (k, &hz) in rate_values_hz.iter().enumerate() {
                    rate(&at, &format!("rate_values_hz[{k}]"), hz)?;
                }
                let profile = RateProfile::new(&times, rate_values_hz)
                    .ok_or_else(|| at.err("rate_values_hz", "not a valid rate profile"))?;
                inputs.poisson.push(PoissonInput {
                    gid: Gid(next),
                    rate_hz: profile.max_hz(),
                    weight: at.weight("weight", *weight)?,
                    delay: at.delay("delay_ms", *delay_ms)?,
                    active: active_span(&at, *start_ms, *stop_ms)?,
                    profile: Some(profile),
                    targets: gids(&at, targets, pops)?,
                });
                inputs.n_nodes += 1;
            }
            InputKind::SpikeTimes { .. } => {
                let (drive, n_channels) = spike_times(
                    ctx,
                    &at,
                    spec.get_ref(),
                    pops,
                    n_neurons,
                    next,
                    &mut inputs.edges,
                )?;
                inputs.spike_drives.push(drive);
                inputs.n_nodes = next
                    .checked_add(n_channels)
                    .ok_or_else(|| at.err("spikes", "too many input channels"))?;
            }
            InputKind::EventCamera(camera) => {
                let c = camera_input::resolve(
                    ctx,
                    &at,
                    &spec.get_ref().name,
                    camera,
                    pops,
                    next,
                    overrides,
                )?;
                inputs.edges.extend(c.edges());
                inputs.n_nodes = c.first_gid + c.n_channels();
                inputs.cameras.push(c);
            }
            InputKind::Dc {
                amplitude_pA,
                targets,
                start_ms,
                stop_ms,
            } => {
                let amplitude = current(&at, "amplitude_pA", *amplitude_pA)?;
                let span = active_span(&at, *start_ms, *stop_ms)?;
                let mut points = vec![(span.start, amplitude)];
                if span.end != Time::NEVER {
                    points.push((span.end, 0.0));
                }
                inputs.currents.push(CurrentInput {
                    site: at.clone(),
                    schedule: CurrentSchedule { points },
                    targets: gids(&at, targets, pops)?,
                });
            }
            InputKind::StepCurrent {
                times_ms,
                amplitudes_pA,
                targets,
            } => {
                if times_ms.len() != amplitudes_pA.len() {
                    let m = format!(
                        "{} amplitudes for {} times: give one per time",
                        amplitudes_pA.len(),
                        times_ms.len()
                    );
                    return Err(at.err("amplitudes_pA", m));
                }
                let times = increasing_times(&at, "times_ms", times_ms)?;
                let mut points: Vec<(Time, f64)> = Vec::with_capacity(times.len());
                for (k, (t, &pa)) in times.into_iter().zip(amplitudes_pA).enumerate() {
                    points.push((t, current(&at, &format!("amplitudes_pA[{k}]"), pa)?));
                }
                inputs.currents.push(CurrentInput {
                    site: at.clone(),
                    schedule: CurrentSchedule { points },
                    targets: gids(&at, targets, pops)?,
                });
            }
        }
    }
    if let (Some(f), 0) = (&overrides.event_file, inputs.cameras.len()) {
        let m = format!(
            "cannot replay {}: the model has no `event_camera` input",
            f.display()
        );
        return Err(ModelError::file(ctx.path, m));
    }
    Ok(inputs)
}

/// A rate (Hz): finite and non-negative.
/// The fastest Poisson train: ~100 ticks per interval on average. Intervals
/// are rounded to the 1/1024 µs tick, which biases a train whose mean
/// interval is a few ticks (+4 % at 1 GHz, ×15 at 10 GHz).
pub(super) const MAX_RATE_HZ: f64 = 1e7;

fn rate(at: &Site, key: &str, hz: f64) -> Result<f64, ModelError> {
    if !hz.is_finite() || hz < 0.0 {
        return Err(at.err(key, format!("must be >= 0 Hz, got {hz}")));
    }
    if hz > MAX_RATE_HZ {
        let m = format!(
            "must be at most {MAX_RATE_HZ:e} Hz, got {hz}: intervals are drawn on the \
             1/1024 µs tick and a faster train would be biased"
        );
        return Err(at.err(key, m));
    }
    Ok(hz)
}

/// Instants (ms) at `key`, each later than the one before.
fn increasing_times(at: &Site, key: &str, ms: &[f64]) -> Result<Vec<Time>, ModelError> {
    let mut times: Vec<Time> = Vec::with_capacity(ms.len());
    for (k, &x) in ms.iter().enumerate() {
        let t = at.instant(&format!("{key}[{k}]"), x)?;
        if times.last().is_some_and(|&s| s >= t) {
            return Err(at.err(&format!("{key}[{k}]"), "times must increase"));
        }
        times.push(t);
    }
    Ok(times)
}

/// A current amplitude (pA): finite.
fn current(at: &Site, key: &str, pa: f64) -> Result<f64, ModelError> {
    if !pa.is_finite() || pa.abs() > 1e12 {
        return Err(at.err(key, format!("must be a finite current in pA, got {pa}")));
    }
    Ok(pa)
}

/// The gids of the neurons `names` (at key `targets`) name.
fn gids(at: &Site, names: &Names, pops: &[PopBuild]) -> Result<Vec<Gid>, ModelError> {
    let selected = at.neurons("targets", names, pops)?;
    Ok(selected.iter().flat_map(|p| p.gids()).map(Gid).collect())
}

/// The span a generator is active in: from `start_ms` (default 0) to
/// `stop_ms` (default never).
fn active_span(
    at: &Site,
    start_ms: Option<f64>,
    stop_ms: Option<f64>,
) -> Result<Range<Time>, ModelError> {
    let start = match start_ms {
        Some(ms) => at.instant("start_ms", ms)?,
        None => Time::ZERO,
    };
    let stop = match stop_ms {
        Some(ms) => at.instant("stop_ms", ms)?,
        None => Time::NEVER,
    };
    if stop <= start {
        return Err(at.err("stop_ms", "must be after start_ms"));
    }
    Ok(start..stop)
}

/// A `spike_times` input whose channels get gids from `first`: its drive
/// and number of channels; its synapses go to `edges`.
fn spike_times(
    ctx: &Ctx,
    at: &Site,
    spec: &InputSpec,
    pops: &[PopBuild],
    n_neurons: u32,
    first: u32,
    edges: &mut Vec<InputEdge>,
) -> Result<(SpikeTimesDrive, u32), ModelError> {
    let InputKind::SpikeTimes {
        spikes: file,
        times_ms,
        edges: edge_file,
        targets,
        weight,
        delay_ms,
    } = &spec.kind
    else {
        unreachable!("a spike_times input")
    };
    let channel_edge = |c: u32, target, weight, delay| InputEdge {
        source: Gid(first + c),
        target,
        weight,
        delay,
    };
    let mut spikes: Vec<(u32, Time, f64)> = Vec::new();
    let mut n_channels = 0u32;
    match (file, times_ms) {
        (Some(_), Some(_)) => {
            let m = "give either `spikes` (a file) or `times_ms`, not both";
            return Err(at.err("times_ms", m));
        }
        (None, None) => {
            let m = "missing: give a spike file `spikes` or `times_ms`";
            return Err(at.err("spikes", m));
        }
        (None, Some(times)) => {
            n_channels = 1;
            for (k, &t) in times.iter().enumerate() {
                spikes.push((0, at.instant(&format!("times_ms[{k}]"), t)?, t));
            }
        }
        (Some(f), None) => {
            let path = ctx.resolve(f);
            let table = CsvTable::open(&path)?;
            let ci = table.require("input")?;
            let ct = table.require("time_ms")?;
            table.for_each_row(|row| {
                let c = row.u32(ci)?;
                if c >= 1 << 24 {
                    return Err(row.error(ci, format!("input id {c} too large")));
                }
                let t = row.f64(ct)?;
                let tt = Time::from_ms(t)
                    .filter(|_| t >= 0.0)
                    .ok_or_else(|| row.error(ct, format!("must be a time >= 0 ms, got {t}")))?;
                n_channels = n_channels.max(c + 1);
                spikes.push((c, tt, t));
                Ok(())
            })?;
        }
    }
    match edge_file {
        Some(f) => {
            let what = "kind `spike_times` with `edges`";
            at.unused("targets", targets.is_some(), what)?;
            at.unused("weight", weight.is_some(), what)?;
            at.unused("delay_ms", delay_ms.is_some(), what)?;
            let cols = ["input", "target", "weight_mV", "delay_ms"];
            read_edges(
                &ctx.resolve(f),
                cols,
                1 << 24,
                n_neurons,
                |c, target, weight, delay| {
                    n_channels = n_channels.max(c + 1);
                    edges.push(channel_edge(c, target, weight, delay));
                    Ok(())
                },
            )?;
        }
        None => {
            let why = "kind `spike_times` without `edges`";
            let missing = |k: &str| at.err(k, format!("missing (needed by {why})"));
            let weight = at.weight("weight", weight.ok_or_else(|| missing("weight"))?)?;
            let delay = at.delay("delay_ms", delay_ms.ok_or_else(|| missing("delay_ms"))?)?;
            let names = targets.as_ref().ok_or_else(|| missing("targets"))?;
            let targets = at.neurons("targets", names, pops)?;
            let n_targets: u64 = targets.iter().map(|p| u64::from(p.count)).sum();
            let n_edges = u64::from(n_channels) * n_targets;
            let what = format!(
                "input `{}`: {n_channels} channels (ids from 0) × {n_targets} targets",
                spec.name
            );
            let bytes = n_edges as f64 * std::mem::size_of::<InputEdge>() as f64 * 2.0;
            memory::refuse_beyond_available(ctx.path, &what, bytes)?;
            for c in 0..n_channels {
                for target in targets.iter().flat_map(|p| p.gids()) {
                    edges.push(channel_edge(c, target, weight, delay));
                }
            }
        }
    }
    // Off-tick times keep their remainder as the spike's lag, as computed
    // spike times do: a spike at 40.6251428 ms arrives exactly then.
    let spikes = spikes
        .into_iter()
        .map(|(c, t, ms)| Spike {
            lag: (ms - t.as_ms()) as f32,
            ..Spike::at(t, Gid(first + c))
        })
        .collect();
    Ok((SpikeTimesDrive::new(spikes), n_channels))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A generator of `rate_hz` into gids `targets`.
    fn poisson(rate_hz: f64, targets: std::ops::Range<u32>) -> PoissonInput {
        PoissonInput {
            gid: Gid(1000),
            rate_hz,
            weight: 1.0,
            delay: Time(1024),
            active: Time::ZERO..Time::NEVER,
            profile: None,
            targets: targets.map(Gid).collect(),
        }
    }

    fn inputs(poisson: Vec<PoissonInput>) -> Inputs {
        Inputs {
            poisson,
            ..Inputs::default()
        }
    }

    #[test]
    fn a_drive_that_differs_between_the_halves_is_uneven() {
        // Two populations of 50, the second driven 30 % harder (a microcircuit's
        // deep layers): uneven on 2 workers; one worker has it all.
        let layers = inputs(vec![poisson(8000.0, 0..50), poisson(10_400.0, 50..100)]);
        assert!(layers.poisson_drive_uneven(100, 2));
        assert!(!layers.poisson_drive_uneven(100, 1));
        // Brunel: one rate into every neuron, or only into some of both halves.
        let even = inputs(vec![poisson(20_000.0, 0..100)]);
        assert!(!even.poisson_drive_uneven(100, 2));
        assert!(!even.poisson_drive_uneven(100, 3));
        let split = inputs(vec![poisson(5.0, 0..10), poisson(5.0, 50..60)]);
        assert!(!split.poisson_drive_uneven(100, 2));
        // Within 5 %: even; no drive at all: even.
        let close = inputs(vec![poisson(1000.0, 0..50), poisson(1040.0, 50..100)]);
        assert!(!close.poisson_drive_uneven(100, 2));
        assert!(!inputs(Vec::new()).poisson_drive_uneven(100, 2));
        // A drive into one corner of the network.
        let corner = inputs(vec![poisson(100.0, 0..10)]);
        assert!(corner.poisson_drive_uneven(100, 2));
    }
}
