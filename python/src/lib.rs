//! `volley._core`: the Rust half of the `volley` Python package.
//!
//! A [`Simulation`] owns one built network. Python drives it with
//! `run_until`, which releases the GIL while the workers simulate and checks
//! for Ctrl-C between steps (a step ends on a synchronisation window, so an
//! interrupted run stops in a state it can continue from). Results leave as
//! numpy arrays built from Rust vectors, copied once.
//!
//! The model is always model-file text (the Python builder writes it with
//! [`model_toml`]), so Python and the command line build the same network
//! from the same text, bit for bit.

use numpy::{IntoPyArray, PyArray1, PyArrayMethods};
use pyo3::exceptions::{PyKeyboardInterrupt, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;
use volley::run::exact_ms;
use serde::{Deserialize, Serialize};
use volley_engine::{EngineState, Time, TICKS_PER_MS};
use volley_models::network::meters::collect_samples;
use volley_models::synapse::{synapses_between, visit_plastic};
use volley_models::{Network, Overrides, PartitionScheme, RunConfig};

/// Samples of one multimeter gathered so far: a row of `width` values per
/// (time, gid), times in order, gids in order within a time.
struct MeterBuffer {
    name: String,
    vars: Vec<String>,
    gids: Vec<u32>,
    times_ms: Vec<f64>,
    values: Vec<f64>,
}

/// The network behind a lock: pyo3 asks a class to be `Sync`, and the
/// drives inside a network are `Send` only. Every method locks it once, so
/// the lock is never contended (pyo3's borrow flag already excludes two
/// callers).
struct Sendable(std::sync::Mutex<Network>);

impl Sendable {
    fn get(&mut self) -> &mut Network {
        self.0.get_mut().unwrap_or_else(|e| e.into_inner())
    }
}

/// What does not change while a network runs (read without the lock).
struct Facts {
    now: Time,
    t_sim: Time,
    window: Time,
    threads: usize,
    /// Where `save` works: multiples of this.
    grid: Time,
    seed: u64,
    n_neurons: u32,
    n_synapses: u64,
    populations: Vec<(String, u32, u32)>,
}

/// A built network ready to run (`volley.Simulation` wraps it).
#[pyclass(module = "volley._core")]
struct Simulation {
    net: Sendable,
    facts: Facts,
    /// What it was built from (a saved simulation is rebuilt from it).
    source: Source,
    spikes_gid: Vec<u32>,
    spikes_ms: Vec<f64>,
    meters: Vec<MeterBuffer>,
}

/// The model-file text a simulation was built from, and its overrides.
#[derive(Clone, Serialize, Deserialize)]
struct Source {
    text: String,
    path: PathBuf,
    seed: Option<u64>,
    t_sim_ms: Option<f64>,
}

/// A saved simulation (`Simulation.save`): what it was built from, the
/// engine's state (per neuron, train and synapse: it loads on any number of
/// threads) and what was recorded and not yet taken.
#[derive(Serialize, Deserialize)]
struct Saved {
    source: Source,
    engine: EngineState,
    spikes_gid: Vec<u32>,
    spikes_ms: Vec<f64>,
    /// Per multimeter: sample times and values.
    meters: Vec<(Vec<f64>, Vec<f64>)>,
}

fn model_error(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// The partitioning named `name`.
fn scheme(name: &str) -> PyResult<PartitionScheme> {
    PartitionScheme::from_name(name).ok_or_else(|| {
        let known = PartitionScheme::NAMES.join("\", \"");
        PyValueError::new_err(format!("partitioning `{name}`: give one of \"{known}\""))
    })
}

fn to_time(ms: f64, what: &str) -> PyResult<Time> {
    Time::from_ms(ms)
        .filter(|_| ms.is_finite() && ms >= 0.0)
        .ok_or_else(|| PyValueError::new_err(format!("{what}: {ms} is not a time in ms >= 0")))
}

#[pymethods]
impl Simulation {
    /// Build the model-file `text` (`path` names it in errors and anchors
    /// its relative file names) on `threads` worker threads, neurons split
    /// by `partitioning` (never a change of results); `seed` and `t_sim_ms`
    /// replace the model's when given.
    #[new]
    #[pyo3(signature = (text, path, threads=1, seed=None, t_sim_ms=None, partitioning="auto"))]
    fn new(
        py: Python<'_>,
        text: &str,
        path: &str,
        threads: usize,
        seed: Option<u64>,
        t_sim_ms: Option<f64>,
        partitioning: &str,
    ) -> PyResult<Self> {
        let partitioning = scheme(partitioning)?;
        let source = Source {
            text: text.to_owned(),
            path: PathBuf::from(path),
            seed,
            t_sim_ms,
        };
        Self::build(py, source, threads, partitioning)
    }

    /// Save everything needed to continue this simulation to the file
    /// `path`, at the present time, which must be a time every split of
    /// the network shares (multiples of `checkpoint_grid_ms`).
    fn save(&mut self, py: Python<'_>, path: &str) -> PyResult<()> {
        let net = self.net.get();
        let engine = net.simulation.save_state().map_err(PyValueError::new_err)?;
        let saved = Saved {
            source: self.source.clone(),
            engine,
            spikes_gid: self.spikes_gid.clone(),
            spikes_ms: self.spikes_ms.clone(),
            meters: self
                .meters
                .iter()
                .map(|m| (m.times_ms.clone(), m.values.clone()))
                .collect(),
        };
        let path = PathBuf::from(path);
        py.allow_threads(|| volley::checkpoint::write_snapshot(&path, &saved))
            .map(|_| ())
            .map_err(PyValueError::new_err)
    }

    /// A simulation saved by [`save`](Self::save), rebuilt on `threads`
    /// threads split by `partitioning` (any: the results do not change).
    #[staticmethod]
    #[pyo3(signature = (path, threads=1, partitioning="auto"))]
    fn load(py: Python<'_>, path: &str, threads: usize, partitioning: &str) -> PyResult<Self> {
        let path = PathBuf::from(path);
        let saved: Saved = py
            .allow_threads(|| volley::checkpoint::read_snapshot(&path))
            .map_err(PyValueError::new_err)?;
        let partitioning = scheme(partitioning)?;
        let mut sim = Self::build(py, saved.source, threads, partitioning)?;
        let net = sim.net.get();
        net.simulation
            .load_state(&saved.engine)
            .map_err(PyValueError::new_err)?;
        sim.facts.now = net.simulation.now();
        sim.spikes_gid = saved.spikes_gid;
        sim.spikes_ms = saved.spikes_ms;
        if saved.meters.len() != sim.meters.len() {
            return Err(PyValueError::new_err("the saved multimeters are not the model's"));
        }
        for (m, (times, values)) in sim.meters.iter_mut().zip(saved.meters) {
            (m.times_ms, m.values) = (times, values);
        }
        Ok(sim)
    }

    /// The model-file text it was built from.
    #[getter]
    fn model_text(&self) -> String {
        self.source.text.clone()
    }

    /// The model file's name (anchors its relative file names).
    #[getter]
    fn model_path(&self) -> String {
        self.source.path.display().to_string()
    }

    /// `save` works at multiples of this (ms): times every split of the
    /// network has a window edge at.
    #[getter]
    fn checkpoint_grid_ms(&self) -> f64 {
        self.facts.grid.as_ms()
    }
    /// Simulate up to `t_ms`: every event before it, none at or after it
    /// (`inclusive`: the events at `t_ms` too, and a sample at `t_ms`, as
    /// a time-stepped simulator's step ending at `t_ms`). Runs continue
    /// exactly: many calls give the spikes of one.
    #[pyo3(signature = (t_ms, inclusive=false))]
    fn run_until(&mut self, py: Python<'_>, t_ms: f64, inclusive: bool) -> PyResult<()> {
        let until = to_time(t_ms, "run_until")?;
        let until = Time(until.0 + u64::from(inclusive));
        let net = self.net.get();
        let window = net.simulation.window_len();
        // Steps of ~100 ms (fewer with many samples) between Ctrl-C checks.
        let span = volley::run::sample_span(&net.meters).min(100 * TICKS_PER_MS);
        let step = Time(span.div_ceil(window.0).max(1) * window.0);
        while net.simulation.now() < until {
            let sim = &mut net.simulation;
            let to = Time(sim.now().0.saturating_add(step.0)).min(until);
            py.allow_threads(|| sim.run(to));
            if let Some(m) = sim.spike_storm() {
                return Err(PyRuntimeError::new_err(m));
            }
            self.facts.now = to;
            gather(
                net,
                to,
                &mut self.spikes_gid,
                &mut self.spikes_ms,
                &mut self.meters,
            );
            if let Some(e) = net
                .replays
                .iter()
                .find_map(|(_, s)| s.lock().ok().and_then(|s| s.error.clone()))
            {
                return Err(PyRuntimeError::new_err(e.to_string()));
            }
            if let Err(e) = py.check_signals() {
                if e.is_instance_of::<PyKeyboardInterrupt>(py) {
                    let now = to.as_ms();
                    return Err(PyKeyboardInterrupt::new_err(format!(
                        "stopped at {now} ms; run_until continues from there"
                    )));
                }
                return Err(e);
            }
        }
        Ok(())
    }

    /// Simulated time reached (ms).
    #[getter]
    fn now_ms(&self) -> f64 {
        self.facts.now.as_ms()
    }

    /// The model's `t_sim_ms` (or the override).
    #[getter]
    fn t_sim_ms(&self) -> f64 {
        self.facts.t_sim.as_ms()
    }

    /// Synchronisation window length (ms) = the minimum delay.
    #[getter]
    fn window_ms(&self) -> f64 {
        self.facts.window.as_ms()
    }

    /// Worker threads.
    #[getter]
    fn threads(&self) -> usize {
        self.facts.threads
    }

    /// The seed used.
    #[getter]
    fn seed(&self) -> u64 {
        self.facts.seed
    }

    /// Neurons in the network.
    #[getter]
    fn n_neurons(&self) -> u32 {
        self.facts.n_neurons
    }

    /// Neuron-to-neuron synapses.
    #[getter]
    fn n_synapses(&self) -> u64 {
        self.facts.n_synapses
    }

    /// `[(name, first_gid, size), ...]` in gid order.
    fn populations(&self) -> Vec<(String, u32, u32)> {
        self.facts.populations.clone()
    }

    /// Recorded spikes so far as `(gids uint32, times_ms float64)`, sorted by
    /// time then gid; `clear` forgets them afterwards.
    #[pyo3(signature = (clear=false))]
    #[allow(clippy::type_complexity)]
    fn spikes<'py>(
        &mut self,
        py: Python<'py>,
        clear: bool,
    ) -> (Bound<'py, PyArray1<u32>>, Bound<'py, PyArray1<f64>>) {
        let out = (
            PyArray1::from_slice(py, &self.spikes_gid),
            PyArray1::from_slice(py, &self.spikes_ms),
        );
        if clear {
            self.spikes_gid.clear();
            self.spikes_ms.clear();
        }
        out
    }

    /// Names of the multimeters, in model order.
    fn meter_names(&self) -> Vec<String> {
        self.meters.iter().map(|m| m.name.clone()).collect()
    }

    /// One multimeter's samples so far: a dict with `times_ms` (n),
    /// `gids` (m) and, per recorded variable, an (n, m) array.
    #[pyo3(signature = (name, clear=false))]
    fn samples<'py>(
        &mut self,
        py: Python<'py>,
        name: &str,
        clear: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let m = self
            .meters
            .iter_mut()
            .find(|m| m.name == name)
            .ok_or_else(|| PyValueError::new_err(format!("no multimeter named `{name}`")))?;
        let d = PyDict::new(py);
        let (n, w, k) = (m.times_ms.len(), m.gids.len(), m.vars.len());
        d.set_item("times_ms", PyArray1::from_slice(py, &m.times_ms))?;
        d.set_item("gids", PyArray1::from_slice(py, &m.gids))?;
        for (v, var) in m.vars.iter().enumerate() {
            let col: Vec<f64> = m.values.iter().skip(v).step_by(k).copied().collect();
            let arr = col.into_pyarray(py).reshape([n, w])?;
            d.set_item(var, arr)?;
        }
        if clear {
            m.times_ms.clear();
            m.values.clear();
        }
        Ok(d)
    }

    /// Every synapse from a gid in `[s0, s1)` onto one in `[t0, t1)`:
    /// `(sources, targets, weights, delays_ms)`, sorted by source, target.
    #[allow(clippy::type_complexity)]
    fn connections<'py>(
        &mut self,
        py: Python<'py>,
        s0: u32,
        s1: u32,
        t0: u32,
        t1: u32,
    ) -> (
        Bound<'py, PyArray1<u32>>,
        Bound<'py, PyArray1<u32>>,
        Bound<'py, PyArray1<f64>>,
        Bound<'py, PyArray1<f64>>,
    ) {
        let rows = synapses_between(&mut self.net.get().simulation, s0..s1, t0..t1);
        let (mut s, mut t, mut w, mut d) = (
            Vec::with_capacity(rows.len()),
            Vec::with_capacity(rows.len()),
            Vec::with_capacity(rows.len()),
            Vec::with_capacity(rows.len()),
        );
        for (a, b, c, e) in rows {
            s.push(a);
            t.push(b);
            w.push(c);
            d.push(e);
        }
        (
            s.into_pyarray(py),
            t.into_pyarray(py),
            w.into_pyarray(py),
            d.into_pyarray(py),
        )
    }

    /// Every plastic synapse's present weight: `(sources, targets,
    /// weights)` in (source, target) order, as weights.csv.
    #[allow(clippy::type_complexity)]
    fn plastic_weights<'py>(
        &mut self,
        py: Python<'py>,
    ) -> (
        Bound<'py, PyArray1<u32>>,
        Bound<'py, PyArray1<u32>>,
        Bound<'py, PyArray1<f64>>,
    ) {
        let (mut s, mut t, mut w) = (Vec::new(), Vec::new(), Vec::new());
        visit_plastic(&mut self.net.get().simulation, |a, b, weight| {
            s.push(a);
            t.push(b);
            w.push(weight);
        });
        (s.into_pyarray(py), t.into_pyarray(py), w.into_pyarray(py))
    }

    /// Event counts so far.
    fn counters<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let c = self.net.get().simulation.counters();
        let d = PyDict::new(py);
        d.set_item("spikes_emitted", c.spikes)?;
        d.set_item("recurrent_events", c.recurrent_events)?;
        d.set_item("external_events", c.external_events)?;
        d.set_item("discarded_events", c.discarded_events)?;
        Ok(d)
    }
}

impl Simulation {
    /// Build `source` on `threads` threads split by `partitioning`.
    fn build(
        py: Python<'_>,
        source: Source,
        threads: usize,
        partitioning: PartitionScheme,
    ) -> PyResult<Self> {
        let overrides = Overrides {
            seed: source.seed,
            t_sim_ms: source.t_sim_ms,
            ..Overrides::default()
        };
        let (path, text) = (source.path.clone(), source.text.clone());
        let mut net = py
            .allow_threads(move || {
                let config = RunConfig::threads(threads.max(1), partitioning);
                volley_models::load_text(&path, &text, &overrides, &config)
            })
            .map_err(model_error)?;
        // For `save` (a push per spike).
        net.simulation.keep_spikes_in_flight();
        let meters = net
            .meters
            .iter()
            .map(|m| MeterBuffer {
                name: m.name.clone(),
                vars: m.vars.clone(),
                gids: m.gids.clone(),
                times_ms: Vec::new(),
                values: Vec::new(),
            })
            .collect();
        let facts = Facts {
            now: net.simulation.now(),
            t_sim: net.t_sim,
            window: net.simulation.window_len(),
            threads: net.simulation.partitions(),
            grid: net.simulation.timing().shared_edges,
            seed: net.seed,
            n_neurons: net.n_neurons,
            n_synapses: net.n_synapses,
            populations: net
                .populations
                .iter()
                .map(|p| (p.name.clone(), p.first_gid, p.size))
                .collect(),
        };
        Ok(Simulation {
            net: Sendable(std::sync::Mutex::new(net)),
            facts,
            source,
            spikes_gid: Vec::new(),
            spikes_ms: Vec::new(),
            meters,
        })
    }

}

/// Move the spikes and samples recorded up to `until` into the buffers.
fn gather(
    net: &mut Network,
    until: Time,
    spikes_gid: &mut Vec<u32>,
    spikes_ms: &mut Vec<f64>,
    meters: &mut [MeterBuffer],
) {
    let sim = &mut net.simulation;
    for s in sim.take_spikes() {
        spikes_gid.push(s.source.0);
        spikes_ms.push(exact_ms(&s));
    }
    if meters.is_empty() {
        return;
    }
    for (m, got) in meters.iter_mut().zip(collect_samples(sim, until)) {
        let (w, k) = (m.gids.len(), m.vars.len());
        for (i, row) in got.rows.chunks(w).enumerate() {
            debug_assert!(row.iter().all(|r| r.0 == row[0].0));
            m.times_ms.push(row[0].0.as_ms());
            m.values
                .extend_from_slice(&got.values[i * w * k..(i + 1) * w * k]);
        }
    }
}

/// The model-file (TOML) text of a model given as JSON text (the Python
/// builder's dict), so Python-built models are ordinary model files.
#[pyfunction]
fn model_toml(json: &str) -> PyResult<String> {
    let value: toml::Value = serde_json::from_str(json).map_err(model_error)?;
    toml::to_string(&value).map_err(model_error)
}

/// The Rust half of the `volley` package.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Simulation>()?;
    m.add_function(wrap_pyfunction!(model_toml, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
