//! Extreme numbers in well-formed model files: `arbitrary` builds a model of
//! the right shape (populations, projections, inputs, a spike recorder) whose
//! every number — sizes, parameters, weights, delays, rates, times, the
//! simulated time — is drawn from typical values, the edges of `f64` and of
//! Volley's time range, or raw bits. Loading must give a network or an error;
//! a network must then simulate a short time (≤ 2 ms) without panicking,
//! hanging or allocating beyond the memory limit the harness sets (the
//! memory check must refuse such a model with its estimate first).
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use std::fmt::Write;
use std::path::Path;
use volley_engine::Time;
use volley_models::{load_text, Overrides, RunConfig};

/// Values that break arithmetic: the edges of f64, of u32/u64, of Volley's
/// time range (2^60 ticks ≈ 1.126e12 ms) and of its tick (1/1024 µs).
const EDGES: [f64; 24] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    20.0,
    0.1,
    1e-300,
    5e-324,
    1e-9,
    1e308,
    -1e308,
    f64::MAX,
    f64::MIN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
    1e15,
    1.125e12,
    1.126e12,
    1e7,
    65536.0,
    4294967296.0,
    1e-6,
    700.0,
];

/// A number: usually a plausible one, often an edge, sometimes raw bits.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Num {
    Plausible(i8),
    Edge(u8),
    Raw(f64),
}

impl Num {
    fn value(self) -> f64 {
        match self {
            Num::Plausible(k) => f64::from(k) * 0.5,
            Num::Edge(k) => EDGES[usize::from(k) % EDGES.len()],
            Num::Raw(x) => x,
        }
    }

    /// As TOML writes a float (`inf`, `nan`, and always a decimal point or
    /// an exponent).
    fn toml(self) -> String {
        let x = self.value();
        if x.is_nan() {
            "nan".into()
        } else if x.is_infinite() {
            if x > 0.0 { "inf" } else { "-inf" }.into()
        } else {
            format!("{x:?}")
        }
    }
}

/// A count: small, or an edge of the integer types.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Count {
    Small(u8),
    Edge(u8),
}

impl Count {
    fn value(self) -> u64 {
        const EDGES: [u64; 8] = [
            0,
            1,
            65_535,
            65_536,
            1 << 24,
            u32::MAX as u64,
            4_000_000_000,
            1 << 40,
        ];
        match self {
            Count::Small(k) => u64::from(k),
            Count::Edge(k) => EDGES[usize::from(k) % EDGES.len()],
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Dist {
    Fixed(Num),
    Uniform(Num, Num),
    Normal(Num, Num, Option<(Num, Num)>),
    Lognormal(Num, Num),
}

impl Dist {
    fn toml(&self) -> String {
        match self {
            Dist::Fixed(x) => x.toml(),
            Dist::Uniform(a, b) => format!(
                "{{ dist = \"uniform\", low = {}, high = {} }}",
                a.toml(),
                b.toml()
            ),
            Dist::Normal(m, s, None) => format!(
                "{{ dist = \"normal\", mean = {}, std = {} }}",
                m.toml(),
                s.toml()
            ),
            Dist::Normal(m, s, Some((lo, hi))) => format!(
                "{{ dist = \"normal\", mean = {}, std = {}, min = {}, max = {} }}",
                m.toml(),
                s.toml(),
                lo.toml(),
                hi.toml()
            ),
            Dist::Lognormal(m, s) => format!(
                "{{ dist = \"lognormal\", mu = {}, sigma = {} }}",
                m.toml(),
                s.toml()
            ),
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Population {
    model: u8,
    size: Count,
    tau_m: Num,
    c_m: Num,
    t_ref: Num,
    v_th: Num,
    v_reset: Num,
    i_e: Num,
    tau_syn: Num,
    v_m_init: Option<Dist>,
}

#[derive(Arbitrary, Debug)]
enum Rule {
    FixedIndegree(Count),
    PairwiseBernoulli(Num),
    OneToOne,
}

#[derive(Arbitrary, Debug)]
struct Projection {
    source: u8,
    target: u8,
    rule: Rule,
    weight: Dist,
    delay: Dist,
    levels: Option<Count>,
    /// Additive STDP with these `lambda` and `Wmax`.
    stdp: Option<(Num, Num)>,
}

#[derive(Arbitrary, Debug)]
enum Input {
    Poisson {
        rate_hz: Num,
        start: Option<Num>,
        stop: Option<Num>,
    },
    InhomogeneousPoisson(Vec<(Num, Num)>),
    Dc(Num, Option<Num>),
    SpikeTimes(Vec<Num>),
}

#[derive(Arbitrary, Debug)]
struct Model {
    t_sim: Num,
    seed: u64,
    populations: Vec<Population>,
    projections: Vec<Projection>,
    inputs: Vec<(Input, u8, Num, Dist)>,
}

const MODELS: [&str; 4] = ["lif_delta", "lif_exp", "lif_alpha", "parrot"];

impl Model {
    fn toml(&self) -> Option<String> {
        let n = self.populations.len().min(3);
        if n == 0 {
            return None;
        }
        let mut s = String::new();
        writeln!(s, "t_sim_ms = {}\nseed = {}", self.t_sim.toml(), self.seed).ok()?;
        for (k, p) in self.populations.iter().take(n).enumerate() {
            let model = MODELS[usize::from(p.model) % MODELS.len()];
            writeln!(
                s,
                "[[populations]]\nname = \"p{k}\"\nmodel = \"{model}\"\nsize = {}",
                p.size.value()
            )
            .ok()?;
            if model == "parrot" {
                writeln!(s, "params = {{}}").ok()?;
            } else {
                let syn = if model == "lif_delta" {
                    String::new()
                } else {
                    format!(", tau_syn_ex = {0}, tau_syn_in = {0}", p.tau_syn.toml())
                };
                writeln!(
                    s,
                    "params = {{ tau_m = {}, C_m = {}, t_ref = {}, E_L = 0.0, V_reset = {}, V_th = {}, I_e = {}{syn} }}",
                    p.tau_m.toml(),
                    p.c_m.toml(),
                    p.t_ref.toml(),
                    p.v_reset.toml(),
                    p.v_th.toml(),
                    p.i_e.toml()
                )
                .ok()?;
                if let Some(v) = &p.v_m_init {
                    writeln!(s, "V_m_init = {}", v.toml()).ok()?;
                }
            }
        }
        for p in self.projections.iter().take(3) {
            let (src, tgt) = (usize::from(p.source) % n, usize::from(p.target) % n);
            writeln!(
                s,
                "[[projections]]\nsource = \"p{src}\"\ntarget = \"p{tgt}\""
            )
            .ok()?;
            match &p.rule {
                Rule::FixedIndegree(k) => {
                    writeln!(s, "rule = \"fixed_indegree\"\nindegree = {}", k.value()).ok()?
                }
                Rule::PairwiseBernoulli(x) => {
                    writeln!(s, "rule = \"pairwise_bernoulli\"\np = {}", x.toml()).ok()?
                }
                Rule::OneToOne => writeln!(s, "rule = \"one_to_one\"").ok()?,
            }
            writeln!(
                s,
                "weight = {}\ndelay_ms = {}",
                p.weight.toml(),
                p.delay.toml()
            )
            .ok()?;
            if let Some(l) = p.levels {
                writeln!(s, "levels = {}", l.value()).ok()?;
            }
            if let Some((lambda, wmax)) = p.stdp {
                writeln!(
                    s,
                    "synapse = {{ model = \"stdp\", lambda = {}, Wmax = {} }}",
                    lambda.toml(),
                    wmax.toml()
                )
                .ok()?;
            }
        }
        for (k, (input, target, weight, delay)) in self.inputs.iter().take(3).enumerate() {
            let tgt = usize::from(*target) % n;
            writeln!(s, "[[inputs]]\nname = \"i{k}\"\ntargets = \"p{tgt}\"").ok()?;
            match input {
                Input::Poisson {
                    rate_hz,
                    start,
                    stop,
                } => {
                    writeln!(s, "kind = \"poisson\"\nrate_hz = {}", rate_hz.toml()).ok()?;
                    if let Some(x) = start {
                        writeln!(s, "start_ms = {}", x.toml()).ok()?;
                    }
                    if let Some(x) = stop {
                        writeln!(s, "stop_ms = {}", x.toml()).ok()?;
                    }
                }
                Input::InhomogeneousPoisson(steps) => {
                    let steps = &steps[..steps.len().min(8)];
                    let times: Vec<String> = steps.iter().map(|(t, _)| t.toml()).collect();
                    let rates: Vec<String> = steps.iter().map(|(_, r)| r.toml()).collect();
                    writeln!(
                        s,
                        "kind = \"inhomogeneous_poisson\"\nrate_times_ms = [{}]\nrate_values_hz = [{}]",
                        times.join(", "),
                        rates.join(", ")
                    )
                    .ok()?;
                }
                Input::Dc(amp, stop) => {
                    writeln!(s, "kind = \"dc\"\namplitude_pA = {}", amp.toml()).ok()?;
                    if let Some(x) = stop {
                        writeln!(s, "stop_ms = {}", x.toml()).ok()?;
                    }
                    continue; // currents take no weight or delay
                }
                Input::SpikeTimes(times) => {
                    let times: Vec<String> = times.iter().take(16).map(|t| t.toml()).collect();
                    writeln!(
                        s,
                        "kind = \"spike_times\"\ntimes_ms = [{}]",
                        times.join(", ")
                    )
                    .ok()?;
                }
            }
            writeln!(s, "weight = {}\ndelay_ms = {}", weight.toml(), delay.toml()).ok()?;
        }
        writeln!(s, "[[recorders]]\nkind = \"spikes\"").ok()?;
        Some(s)
    }
}

/// The memory limit: 3 GiB of address space. Volley's memory check reads
/// it (`ulimit -v`), so a model beyond it must be refused with the
/// estimate; an allocation past it aborts, and libFuzzer reports the crash.
fn limit_memory() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let bytes = 3 << 30;
        let lim = libc::rlimit {
            rlim_cur: bytes,
            rlim_max: bytes,
        };
        // SAFETY: setrlimit reads the struct we pass; no memory is shared.
        unsafe { libc::setrlimit(libc::RLIMIT_AS, &lim) };
    });
}

fuzz_target!(|model: Model| {
    limit_memory();
    let Some(text) = model.toml() else { return };
    if std::env::var_os("VOLLEY_FUZZ_PRINT").is_some() {
        eprintln!("{text}");
    }
    let run = RunConfig::default();
    let Ok(mut net) = load_text(Path::new("fuzz.toml"), &text, &Overrides::default(), &run) else {
        return;
    };
    // A short simulated time: what is fuzzed is the numbers' handling, not
    // how long a legitimately busy network takes.
    let until = net.t_sim.min(Time(2 * volley_engine::TICKS_PER_MS));
    net.simulation.run(until);
});
