//! Values given per neuron: parameter lists (one parameter set per distinct
//! combination), initial potentials as a constant or a list, and spike-time
//! inputs between two ticks (kept exact through the spike's sub-tick lag).

use super::common::{run_on, trains, write};
use volley_models::PartitionScheme;

const LIF: &str = "C_m = 250.0, t_ref = 2.0, E_L = 0.0, V_reset = 0.0, V_th = 15.0";

/// First spike of a neuron driven from `v0` by `i_e` pA: the closed form.
fn first_spike(tau: f64, i_e: f64, v0: f64) -> f64 {
    let v_inf = i_e * tau / 250.0;
    tau * ((v_inf - v0) / (v_inf - 15.0)).ln()
}

#[test]
fn parameters_and_initial_potentials_per_neuron() {
    let dir = tempfile::tempdir().unwrap();
    let model = format!(
        "t_sim_ms = 30.0\n\
[[populations]]\nname = \"a\"\nmodel = \"lif_delta\"\nsize = 4\n\
params = {{ tau_m = [10.0, 20, 10.0, 20.0], I_e = [500.0, 500.0, 600.0, 500.0], {LIF} }}\n\
V_m_init = [0.0, 5.0, 0.0, 5.0]\n\
[[populations]]\nname = \"b\"\nmodel = \"lif_delta\"\nsize = 2\n\
params = {{ tau_m = 10.0, I_e = 500.0, {LIF} }}\nV_m_init = 3.0\n"
    );
    let path = write(dir.path(), "per_neuron.toml", &model);
    for threads in [1, 2] {
        let (_, out) = run_on(&path, None, threads, PartitionScheme::RoundRobin);
        let spikes = trains(&out.path().join("spikes.csv"));
        let want = [
            first_spike(10.0, 500.0, 0.0),
            first_spike(20.0, 500.0, 5.0),
            first_spike(10.0, 600.0, 0.0),
            first_spike(20.0, 500.0, 5.0),
            first_spike(10.0, 500.0, 3.0),
            first_spike(10.0, 500.0, 3.0),
        ];
        for (gid, w) in want.iter().enumerate() {
            let got = spikes[&(gid as u32)][0];
            assert!((got - w).abs() < 1e-9, "neuron {gid}: {got} vs {w}");
        }
    }
}

#[test]
fn per_neuron_lists_of_the_wrong_length_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    for (extra, needle) in [
        (
            format!("params = {{ tau_m = [10.0, 20.0], I_e = 0.0, {LIF} }}\n"),
            "params.tau_m`: 2 values for 3 neurons",
        ),
        (
            format!("params = {{ tau_m = 10.0, I_e = 0.0, {LIF} }}\nV_m_init = [1.0]\n"),
            "1 values for 3 neurons",
        ),
        (
            format!("params = {{ tau_m = [10.0, -1.0, 10.0], I_e = 0.0, {LIF} }}\n"),
            "(neuron 1)",
        ),
    ] {
        let text = format!(
            "t_sim_ms = 5.0\n[[populations]]\nname = \"a\"\nmodel = \"lif_delta\"\nsize = 3\n{extra}"
        );
        let path = write(dir.path(), "bad.toml", &text);
        let err = volley_models::load(
            &path,
            &volley_models::Overrides::default(),
            &volley_models::RunConfig::default(),
        )
        .err()
        .expect("an error")
        .to_string();
        assert!(err.contains(needle), "{err}");
    }
}

#[test]
fn spike_times_between_ticks_arrive_exactly() {
    let dir = tempfile::tempdir().unwrap();
    // 1.23456789012 ms is not a whole number of 1/1024 µs ticks.
    let model = "t_sim_ms = 10.0\n\
[[populations]]\nname = \"echo\"\nmodel = \"parrot\"\nsize = 1\n\
[[inputs]]\nname = \"x\"\nkind = \"spike_times\"\ntimes_ms = [1.23456789012, 4.5]\n\
targets = \"echo\"\nweight = 1.0\ndelay_ms = 0.5\n";
    let path = write(dir.path(), "offgrid.toml", model);
    let (_, out) = run_on(&path, None, 1, PartitionScheme::Contiguous);
    let spikes = trains(&out.path().join("spikes.csv"));
    assert!(
        (spikes[&0][0] - 1.73456789012).abs() < 1e-12,
        "{:?}",
        spikes[&0]
    );
    assert_eq!(spikes[&0][1], 5.0);
}
