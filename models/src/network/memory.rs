//! Refusing a network the machine cannot hold, before minutes are spent
//! building it.

use super::resolve::Model;
use crate::error::ModelError;
use std::path::Path;

/// Memory this process can still get, bytes: the least of the system's
/// `MemAvailable`, what its cgroup allows beyond what it uses (a batch job's
/// limit) and its address-space limit (`ulimit -v`) beyond its current size.
fn available_memory() -> Option<f64> {
    [
        meminfo_available(),
        cgroup_headroom(),
        address_space_headroom(),
    ]
    .into_iter()
    .flatten()
    .reduce(f64::min)
}

/// The `kB` figure of the line starting with `key` in a /proc file.
fn proc_kib(file: &str, key: &str) -> Option<f64> {
    let text = std::fs::read_to_string(file).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    let kib: f64 = line[key.len()..].split_whitespace().next()?.parse().ok()?;
    Some(kib * 1024.0)
}

fn meminfo_available() -> Option<f64> {
    proc_kib("/proc/meminfo", "MemAvailable:")
}

/// cgroup v2: `memory.max` (a number, or `max` for none) less `memory.current`.
fn cgroup_headroom() -> Option<f64> {
    let read = |f: &str| std::fs::read_to_string(format!("/sys/fs/cgroup/{f}")).ok();
    let max: f64 = read("memory.max")?.trim().parse().ok()?;
    let current: f64 = read("memory.current")?.trim().parse().ok()?;
    Some((max - current).max(0.0))
}

/// `Max address space` of /proc/self/limits less the current `VmSize`.
fn address_space_headroom() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max address space"))?;
    let limit: f64 = line["Max address space".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()?; // "unlimited" does not parse: no limit
    let size = proc_kib("/proc/self/status", "VmSize:")?;
    Some((limit - size).max(0.0))
}

/// What a neuron of `model` costs at its peak, bytes: its table entry, its
/// state (more for a model with synaptic currents), queue heads and
/// forecasts. Measured as peak RSS / neurons for 4 M neurons of each model
/// without synapses (176, 231, 247, 138 B), plus a margin.
pub(super) fn neuron_bytes(model: &str) -> f64 {
    match model {
        "lif_exp" => 256.0,
        "lif_alpha" => 272.0,
        "parrot" => 160.0,
        _ => 192.0,
    }
}

/// Refuse `what`, needing `bytes`, before allocating it if the machine does
/// not have that much memory available.
pub(super) fn refuse_beyond_available(
    path: &Path,
    what: &str,
    bytes: f64,
) -> Result<(), ModelError> {
    match available_memory() {
        Some(avail) if bytes > avail => {
            let gib = |b: f64| b / f64::from(1u32 << 30);
            let m = format!(
                "{what} needs about {:.1} GiB, but only {:.1} GiB of memory is available; make it smaller or use a bigger machine",
                gib(bytes),
                gib(avail)
            );
            Err(ModelError::file(path, m))
        }
        _ => Ok(()),
    }
}

/// Estimate the network's memory and refuse it, with the estimate, if the
/// machine does not have it (instead of being killed halfway through).
pub(super) fn check_memory(path: &Path, model: &Model) -> Result<(), ModelError> {
    let synapses: f64 = model
        .projections
        .iter()
        .map(|p| p.expected_synapses())
        .sum();
    let n_neurons = model.n_neurons();
    let neuron_bytes: f64 = model
        .pops
        .iter()
        .filter(|p| p.size > 0)
        .map(|p| {
            let name = model.neurons.params_of(p.first_gid).model_name();
            f64::from(p.size) * neuron_bytes(name)
        })
        .sum();
    // 8 bytes per synapse at most (u32 target + u32 class), the neurons
    // (state, queue heads, forecasts), plus a fixed margin.
    let need = synapses * 8.0 + neuron_bytes + 64.0 * 1024.0 * 1024.0;
    let what = format!("this network ({synapses:.3e} synapses × 8 B + {n_neurons} neurons)");
    refuse_beyond_available(path, &what, need)
}
