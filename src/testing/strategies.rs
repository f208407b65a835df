//! proptest strategies for random networks, thread counts and partition
//! schemes. A [`RandomNetwork`] writes itself as an ordinary model file (TOML
//! + CSV), so the property tests exercise the same loader users do.

use proptest::prelude::*;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use volley_engine::PartitionScheme;

/// A small network of `lif_delta` neurons with spike-time inputs, optional
/// Poisson drive, a bias current and optionally plastic excitatory synapses.
#[derive(Clone, Debug)]
pub struct RandomNetwork {
    /// Neurons.
    pub n_neurons: u32,
    /// `(source, target, weight mV, delay ms)`.
    pub edges: Vec<(u32, u32, f64, f64)>,
    /// `(channel, time ms)`.
    pub input_spikes: Vec<(u32, f64)>,
    /// `(channel, target, weight mV, delay ms)`.
    pub input_edges: Vec<(u32, u32, f64, f64)>,
    /// Bias current (pA); above 250 pA neurons fire on their own.
    pub i_e: f64,
    /// Refractory period (ms).
    pub t_ref: f64,
    /// Rate of an independent Poisson train into every neuron (Hz, 0 = none).
    pub poisson_hz: f64,
    /// Simulated time (ms).
    pub t_sim_ms: f64,
    /// Seed.
    pub seed: u64,
    /// The synapse model of the excitatory (weight ≥ 0) neuron-to-neuron
    /// synapses, as a model-file `synapse` table (`None`: all static).
    pub plastic: Option<String>,
}

/// Bias current, refractory period, Poisson rate, simulated time, seed,
/// synapse model of the excitatory synapses.
type Common = (f64, f64, f64, f64, u64, Option<String>);

impl RandomNetwork {
    fn assemble(
        n_neurons: u32,
        edges: Vec<Edge>,
        (input_spikes, input_edges): (Vec<(u32, f64)>, Vec<Edge>),
        (i_e, t_ref, poisson_hz, t_sim_ms, seed, plastic): Common,
    ) -> Self {
        RandomNetwork {
            n_neurons,
            edges,
            input_spikes,
            input_edges,
            i_e,
            t_ref,
            poisson_hz,
            t_sim_ms,
            seed,
            plastic,
        }
    }

    /// Write `model.toml` (and its CSV files) into `dir`; returns its path.
    pub fn write(&self, dir: &Path) -> PathBuf {
        let mut toml = format!(
            "t_sim_ms = {:?}\nseed = {}\n[[populations]]\nname = \"net\"\nmodel = \"lif_delta\"\nsize = {}\n\
             params = {{ tau_m = 20.0, C_m = 250.0, t_ref = {:?}, E_L = 0.0, V_reset = 0.0, V_th = 20.0, I_e = {:?} }}\n",
            self.t_sim_ms, self.seed, self.n_neurons, self.t_ref, self.i_e
        );
        // Static synapses, then (with `plastic`) the excitatory ones apart.
        let plastic = |w: f64| self.plastic.is_some() && w >= 0.0;
        for (file, synapse, keep) in [
            ("edges.csv", None, false),
            ("edges_plastic.csv", self.plastic.as_deref(), true),
        ] {
            let edges: Vec<_> = self.edges.iter().filter(|e| plastic(e.2) == keep).collect();
            if edges.is_empty() {
                continue;
            }
            let mut csv = String::from("source,target,weight_mV,delay_ms\n");
            for (s, t, w, d) in edges {
                let _ = writeln!(csv, "{s},{t},{w:?},{d:?}");
            }
            std::fs::write(dir.join(file), csv).expect("write edges");
            let _ = writeln!(
                toml,
                "[[projections]]\nrule = \"edge_list\"\nfile = \"{file}\""
            );
            if let Some(syn) = synapse {
                let _ = writeln!(toml, "synapse = {syn}");
            }
        }
        if !self.input_spikes.is_empty() && !self.input_edges.is_empty() {
            let mut spikes = String::from("input,time_ms\n");
            for (c, t) in &self.input_spikes {
                let _ = writeln!(spikes, "{c},{t:?}");
            }
            let mut edges = String::from("input,target,weight_mV,delay_ms\n");
            for (c, t, w, d) in &self.input_edges {
                let _ = writeln!(edges, "{c},{t},{w:?},{d:?}");
            }
            std::fs::write(dir.join("input_spikes.csv"), spikes).expect("write input_spikes.csv");
            std::fs::write(dir.join("input_edges.csv"), edges).expect("write input_edges.csv");
            toml.push_str("[[inputs]]\nname = \"channels\"\nkind = \"spike_times\"\nspikes = \"input_spikes.csv\"\nedges = \"input_edges.csv\"\n");
        }
        if self.poisson_hz > 0.0 {
            let _ = write!(
                toml,
                "[[inputs]]\nname = \"noise\"\nkind = \"poisson\"\nrate_hz = {:?}\nweight = 0.5\ndelay_ms = 0.75\ntargets = \"net\"\n",
                self.poisson_hz
            );
        }
        let path = dir.join("model.toml");
        std::fs::write(&path, toml).expect("write model.toml");
        path
    }
}

/// `(source, target, weight mV, delay ms)`.
pub type Edge = (u32, u32, f64, f64);

/// Delays at or above `min_delay_ms`, on a 1/8 ms grid (so spikes coincide
/// often) or anywhere in between.
fn delay(min_delay_ms: f64) -> impl Strategy<Value = f64> {
    prop_oneof![
        (0u32..24).prop_map(move |k| min_delay_ms + k as f64 / 8.0),
        (0.0f64..3.0).prop_map(move |x| min_delay_ms + x),
    ]
}

/// Static excitatory synapses (half the cases) or one of the plastic models
/// with parameters that make weights move fast.
pub fn synapse_model() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        2 => Just(None),
        1 => (0.01f64..0.2, 0.5f64..1.5, prop::sample::select(vec![0.0, 0.4, 1.0]))
            .prop_map(|(l, a, mu)| Some(format!("{{ model = \"stdp\", lambda = {l:?}, alpha = {a:?}, mu_plus = {mu:?}, mu_minus = {mu:?}, Wmax = 15.0 }}"))),
        1 => (0.01f64..0.2, 0.5f64..1.5)
            .prop_map(|(l, a)| Some(format!("{{ model = \"stdp_nn_symm\", lambda = {l:?}, alpha = {a:?}, Wmax = 15.0 }}"))),
        1 => (0.01f64..0.2, 0.5f64..1.5)
            .prop_map(|(l, a)| Some(format!("{{ model = \"stdp_pl\", lambda = {l:?}, alpha = {a:?} }}"))),
        1 => (0.05f64..0.9, 5.0f64..300.0, prop::sample::select(vec![0.0, 20.0, 200.0]))
            .prop_map(|(u, r, f)| Some(format!("{{ model = \"tsodyks2\", U = {u:?}, tau_rec = {r:?}, tau_fac = {f:?} }}"))),
    ]
}

fn common_parts() -> impl Strategy<Value = Common> {
    (
        prop::sample::select(vec![0.0, 150.0, 240.0, 262.5, 300.0]),
        prop::sample::select(vec![0.5, 1.0, 2.0]),
        prop::sample::select(vec![0.0, 0.0, 800.0, 3000.0]),
        40.0f64..120.0,
        0..(i64::MAX as u64),
        synapse_model(),
    )
}

fn inputs(
    n: u32,
    t_sim_ms: f64,
    min_delay_ms: f64,
) -> impl Strategy<Value = (Vec<(u32, f64)>, Vec<Edge>)> {
    let spikes = prop::collection::vec((0u32..4, 0.0f64..1.0), 0..40).prop_map(move |v| {
        v.into_iter()
            .map(|(c, x)| (c, (x * t_sim_ms * 4.0).floor() / 4.0))
            .collect::<Vec<_>>()
    });
    let edges = prop::collection::vec(
        (0u32..4, 0..n, 5.0f64..25.0, delay(min_delay_ms)),
        0..(2 * n as usize + 2),
    );
    (spikes, edges)
}

/// Random sparse networks: up to `max_neurons` neurons, out-degree up to
/// `max_degree`, delays ≥ `min_delay_ms`, weights from −6 to +10 mV.
pub fn network(
    max_neurons: u32,
    max_degree: usize,
    min_delay_ms: f64,
) -> impl Strategy<Value = RandomNetwork> {
    (2..=max_neurons.max(2), common_parts()).prop_flat_map(
        move |(n, (i_e, t_ref, poisson_hz, t_sim_ms, seed, plastic))| {
            let edges = prop::collection::vec(
                prop::collection::vec((0..n, -6.0f64..10.0, delay(min_delay_ms)), 0..=max_degree),
                n as usize,
            )
            .prop_map(|per_source| {
                per_source
                    .into_iter()
                    .enumerate()
                    .flat_map(|(s, out)| out.into_iter().map(move |(t, w, d)| (s as u32, t, w, d)))
                    .collect::<Vec<_>>()
            });
            (edges, inputs(n, t_sim_ms, min_delay_ms)).prop_map(move |(edges, inputs)| {
                let common = (i_e, t_ref, poisson_hz, t_sim_ms, seed, plastic.clone());
                RandomNetwork::assemble(n, edges, inputs, common)
            })
        },
    )
}

/// A retina and what it feeds: each of the first `k` neurons (half, at
/// least one) has one input channel as its only input (channel `c` → neuron
/// `c`, no train), the other neurons take the network's synapses — the
/// shape whose inputs bypass the arrival queue. Channel spikes coincide
/// (a quarter-ms grid, repeats included) and some fall between ticks;
/// delays and weights differ between some channels.
pub fn retina(max_neurons: u32, min_delay_ms: f64) -> impl Strategy<Value = RandomNetwork> {
    (2..=max_neurons.max(2), common_parts()).prop_flat_map(
        move |(n, (i_e, t_ref, _, t_sim_ms, seed, plastic))| {
            let k = (n / 2).max(1);
            let edges = prop::collection::vec(
                (0..n, k..n.max(k + 1), 2.0f64..10.0, delay(min_delay_ms)),
                0..(3 * n as usize),
            )
            .prop_map(move |v| v.into_iter().filter(|e| e.1 < n).collect::<Vec<_>>());
            let channel = (prop::bool::weighted(0.8), 5.0f64..25.0, delay(min_delay_ms));
            let channels = prop::collection::vec(channel, k as usize).prop_map(move |v| {
                let first = v[0];
                v.into_iter()
                    .enumerate()
                    .map(|(c, (same, w, d))| {
                        let (w, d) = if same { (first.1, first.2) } else { (w, d) };
                        (c as u32, c as u32, w, d)
                    })
                    .collect::<Vec<_>>()
            });
            let spike = (0..k, 0.0f64..1.0, prop::bool::weighted(0.1));
            let spikes = prop::collection::vec(spike, 0..(8 * k as usize)).prop_map(move |v| {
                v.into_iter()
                    .map(|(c, x, off)| {
                        let t = (x * t_sim_ms * 4.0).floor() / 4.0;
                        (c, if off { t + 0.0003 } else { t })
                    })
                    .collect::<Vec<_>>()
            });
            (edges, spikes, channels).prop_map(move |(edges, spikes, channels)| {
                let common = (i_e, t_ref, 0.0, t_sim_ms, seed, plastic.clone());
                RandomNetwork::assemble(n, edges, (spikes, channels), common)
            })
        },
    )
}

/// Directed Watts–Strogatz small worlds: a ring where each neuron projects
/// to its `k` nearest neighbours (k/2 on each side), each edge rewired to a
/// uniformly drawn other neuron with probability `p` ∈ {0, 0.1, 0.3}.
pub fn small_world(
    max_neurons: u32,
    k: u32,
    min_delay_ms: f64,
) -> impl Strategy<Value = RandomNetwork> {
    let k = k.max(2) & !1;
    (
        k + 2..=max_neurons.max(k + 2),
        prop::sample::select(vec![0.0, 0.1, 0.3]),
        common_parts(),
    )
        .prop_flat_map(
            move |(n, p, (i_e, t_ref, poisson_hz, t_sim_ms, seed, plastic))| {
                let per_edge = (
                    prop::bool::weighted(p),
                    1..n,
                    2.0f64..8.0,
                    delay(min_delay_ms),
                );
                (
                    prop::collection::vec(per_edge, (n * k) as usize),
                    inputs(n, t_sim_ms, min_delay_ms),
                )
                    .prop_map(move |(choices, (input_spikes, input_edges))| {
                        let mut edges = Vec::with_capacity(choices.len());
                        for (i, (rewire, jump, w, d)) in choices.into_iter().enumerate() {
                            let s = i as u32 / k;
                            let j = i as u32 % k;
                            let offset = if j < k / 2 {
                                j + 1
                            } else {
                                n - (j - k / 2 + 1)
                            };
                            let t = if rewire {
                                (s + jump) % n
                            } else {
                                (s + offset) % n
                            };
                            let w = if s % 5 == 4 { -w } else { w };
                            edges.push((s, t, w, d));
                        }
                        RandomNetwork::assemble(
                            n,
                            edges,
                            (input_spikes, input_edges),
                            (i_e, t_ref, poisson_hz, t_sim_ms, seed, plastic.clone()),
                        )
                    })
            },
        )
}

/// Worker thread counts from 1 to `max`.
pub fn threads(max: usize) -> impl Strategy<Value = usize> {
    1..=max.max(1)
}

/// A partition scheme for `n_neurons` neurons and `parts` partitions:
/// contiguous, round-robin, blocks, or an explicit random assignment.
pub fn scheme(n_neurons: u32, parts: usize) -> impl Strategy<Value = PartitionScheme> {
    let parts = parts.max(1) as u16;
    prop_oneof![
        Just(PartitionScheme::Contiguous),
        Just(PartitionScheme::RoundRobin),
        Just(PartitionScheme::Blocks),
        prop::collection::vec(0..parts, n_neurons as usize).prop_map(PartitionScheme::Explicit),
    ]
}
