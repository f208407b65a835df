//! The Potjans–Diesmann microcircuit at scale 0.1 against NEST 3.10
//! (`iaf_psc_exp`, same scaling): population rates over 1 s after a 500 ms
//! warm-up. NEST's means over its six runs in
//! `shared/peers/results/pd14_nest_s0.1_*.json`.

use super::common::{root, run_seeded};

const NEST_RATES_S01: [(&str, f64); 8] = [
    ("L23E", 0.460),
    ("L23I", 2.069),
    ("L4E", 3.920),
    ("L4I", 4.984),
    ("L5E", 6.527),
    ("L5I", 7.774),
    ("L6E", 0.835),
    ("L6I", 6.997),
];

/// Network instances (seeds) the rates are averaged over. At scale 0.1 one
/// instance's population rates scatter by several percent around the
/// model's (L5E: sd 4.4 % over 12 seeds, mean +4.2 % vs NEST); the mean of
/// four measures the model, not the instance, against the same tolerance.
const SEEDS: [u64; 4] = [55, 56, 57, 58];

#[test]
fn microcircuit_at_scale_0_1_fires_at_nests_rates() {
    let mut sums = [0.0f64; 8];
    for seed in SEEDS {
        let (s, _out) = run_seeded(&root().join("examples/microcircuit_0.1.toml"), seed, 2);
        assert_eq!(s.neurons, 7717);
        assert_eq!(s.synapses, 2_988_807);
        for (k, (name, _)) in NEST_RATES_S01.iter().enumerate() {
            let p = s.populations.iter().find(|p| p.name == *name).unwrap();
            eprintln!("seed {seed} {name}: {:.3} Hz", p.rate_hz);
            sums[k] += p.rate_hz;
        }
    }
    for (k, (name, nest)) in NEST_RATES_S01.into_iter().enumerate() {
        let rate = sums[k] / SEEDS.len() as f64;
        let rel = rate / nest - 1.0;
        eprintln!(
            "{name}: {rate:.3} Hz over {} seeds (NEST {nest} Hz, {:+.1} %)",
            SEEDS.len(),
            rel * 100.0
        );
        // L23E fires ~900 spikes per instance: allow its Poisson error too.
        let tol = if nest < 1.0 { 0.2 } else { 0.12 };
        assert!(rel.abs() < tol, "{name}: {rate} Hz vs NEST {nest} Hz");
    }
}
