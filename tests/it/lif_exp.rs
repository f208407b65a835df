//! `lif_exp` against NEST's precise exponential-current models, spike for
//! spike, on the deterministic network of `tests/data/det_net_exp` (generated
//! and simulated by `bench/peers/det_net_exp.py`, NEST 3.10).

use super::common::{compare, root, run_on, trains};
use volley_models::PartitionScheme;

fn check(model: &str, reference: &str, expected: usize) {
    let nest = trains(&root().join("tests/data/det_net_exp").join(reference));
    let mut sha = None;
    for (threads, scheme) in [
        (1, PartitionScheme::Contiguous),
        (2, PartitionScheme::Contiguous),
        (4, PartitionScheme::RoundRobin),
    ] {
        let (s, out) = run_on(&root().join("examples").join(model), None, threads, scheme);
        let ours = trains(&out.path().join("spikes.csv"));
        let c = compare(&ours, &nest, 1e-9);
        assert_eq!(
            (c.ours, c.reference),
            (expected, expected),
            "{model} on {threads} threads"
        );
        assert_eq!(
            c.matched, expected,
            "{model} on {threads} threads: first divergence at {:?} ms",
            c.first_divergence
        );
        assert!(c.max_dt < 1e-9, "{}", c.max_dt);
        assert_eq!(*sha.get_or_insert(s.spikes_sha256.clone()), s.spikes_sha256);
    }
}

#[test]
fn matches_nest_lossless_spike_for_spike_with_equal_synaptic_time_constants() {
    // iaf_psc_exp_ps_lossless (and iaf_psc_exp_ps: the same 5090 spikes here).
    check(
        "det_net_exp_tau2.toml",
        "spikes_nest_lossless_tau2.csv",
        5090,
    );
    check("det_net_exp_tau2.toml", "spikes_nest_ps_tau2.csv", 5090);
}

#[test]
fn matches_nest_iaf_psc_exp_ps_spike_for_spike_with_slower_inhibition() {
    check("det_net_exp_tau5.toml", "spikes_nest_ps_tau5.csv", 2599);
}

#[test]
fn lif_exp_parameters_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let base = "t_sim_ms = 10.0\n[[populations]]\nname = \"a\"\nmodel = \"lif_exp\"\nsize = 2\n";
    for (params, what) in [
        ("{ tau_m = 10.0, C_m = 250.0, t_ref = 2.0, E_L = -70.0, V_reset = -70.0, V_th = -55.0, tau_syn_ex = 2.0 }", "tau_syn_in"),
        ("{ tau_m = 10.0, C_m = 250.0, t_ref = 2.0, E_L = -70.0, V_reset = -70.0, V_th = -55.0, tau_syn_ex = 0.0, tau_syn_in = 2.0 }", "params.tau_syn_ex"),
        ("{ tau_m = 10.0, C_m = 250.0, t_ref = 2.0, E_L = -70.0, V_reset = -70.0, V_th = -55.0, tau_syn_ex = 2.0, tau_syn_in = 2.0, tau_syn = 1.0 }", "tau_syn"),
    ] {
        let m = super::common::write(dir.path(), "m.toml", &format!("{base}params = {params}\n"));
        let e = volley_models::load(&m, &Default::default(), &Default::default()).err().expect(what).to_string();
        assert!(e.contains(what) && e.contains("m.toml:"), "{e}");
    }
}
