//! The Brunel network of `examples/brunel.toml` against NEST's statistics
//! (shared/peers/results/summary.md: E 32.0–32.3 Hz, CV ISI 0.17).

use super::common::{root, run};

#[test]
fn brunel_rates_and_irregularity_match_nest() {
    // 100 ms warm-up (not recorded) + 500 ms recorded.
    let (summary, _out) = run(&root().join("examples/brunel.toml"), Some(600.0));
    assert_eq!(summary.neurons, 12_500);
    assert_eq!(summary.synapses, 12_500 * 1250);
    let e = summary
        .populations
        .iter()
        .find(|p| p.name == "E")
        .expect("E");
    let i = summary
        .populations
        .iter()
        .find(|p| p.name == "I")
        .expect("I");
    eprintln!(
        "brunel: E {:.2} Hz CV {:?}, I {:.2} Hz CV {:?}",
        e.rate_hz, e.cv_isi, i.rate_hz, i.cv_isi
    );
    for p in [e, i] {
        assert!(
            (p.rate_hz / 32.2 - 1.0).abs() <= 0.05,
            "{}: rate {} Hz vs NEST 32.2",
            p.name,
            p.rate_hz
        );
        let cv = p.cv_isi.expect("cv");
        assert!(
            (cv - 0.17).abs() <= 0.03,
            "{}: CV {cv} vs NEST 0.17",
            p.name
        );
    }
    // 20 kHz Poisson drive per neuron over 600 ms, minus the first 1.5 ms delay.
    let expected = 20_000.0 * 12_500.0 * (0.6 - 0.0015);
    assert!((summary.external_events as f64 / expected - 1.0).abs() < 0.01);
}
