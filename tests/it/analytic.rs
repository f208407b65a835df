//! Exact solutions: the engine must reproduce them to floating-point accuracy.

use super::common::{run, trains, write};

const NEURON: &str =
    "tau_m = 20.0, C_m = 250.0, t_ref = 2.0, E_L = 0.0, V_reset = 0.0, V_th = 20.0";

#[test]
fn constant_suprathreshold_current_fires_with_the_exact_period() {
    let dir = tempfile::tempdir().unwrap();
    let model = write(
        dir.path(),
        "single.toml",
        &format!("t_sim_ms = 1000.0\n[[populations]]\nname = \"n\"\nmodel = \"lif_delta\"\nsize = 1\nparams = {{ {NEURON}, I_e = 262.5 }}\n"),
    );
    let (summary, out) = run(&model, None);
    let spikes = &trains(&out.path().join("spikes.csv"))[&0];
    // V_inf = I_e tau_m / C_m = 21 mV; from V = E_L = V_reset the crossing takes tau_m ln(21).
    let v_inf: f64 = 262.5 * 20.0 / 250.0;
    let rise = 20.0 * (v_inf / (v_inf - 20.0)).ln();
    let period = 2.0 + rise;
    assert_eq!(summary.spikes as usize, spikes.len());
    assert_eq!(
        spikes.len(),
        ((1000.0 - rise) / period).floor() as usize + 1
    );
    for (k, t) in spikes.iter().enumerate() {
        let exact = rise + k as f64 * period;
        assert!((t - exact).abs() < 1e-9, "spike {k}: {t} vs exact {exact}");
    }
}

#[test]
fn subthreshold_input_decays_exactly_and_coincident_inputs_sum() {
    let dir = tempfile::tempdir().unwrap();
    // Two channels: each sends 10 mV. Alone they never reach 20 mV;
    // at the same instant they sum to exactly V_th and the neuron fires.
    std::fs::write(
        dir.path().join("spikes.csv"),
        "input,time_ms\n0,5.0\n0,50.0\n1,50.0\n1,100.0\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("edges.csv"),
        "input,target,weight_mV,delay_ms\n0,0,10.0,1.0\n1,0,10.0,1.0\n",
    )
    .unwrap();
    let model = write(
        dir.path(),
        "coincidence.toml",
        &format!(
            "t_sim_ms = 200.0\n[[populations]]\nname = \"n\"\nmodel = \"lif_delta\"\nsize = 1\nparams = {{ {NEURON} }}\n\
             [[inputs]]\nname = \"in\"\nkind = \"spike_times\"\nspikes = \"spikes.csv\"\nedges = \"edges.csv\"\n"
        ),
    );
    let (summary, out) = run(&model, None);
    let t = trains(&out.path().join("spikes.csv"));
    assert_eq!(summary.spikes, 1);
    assert_eq!(t[&0], vec![51.0]);
    assert_eq!(summary.external_events, 4);
}

#[test]
fn refractory_inputs_are_discarded_but_the_end_of_refractoriness_is_open() {
    let dir = tempfile::tempdir().unwrap();
    // 25 mV kicks at 10, 11 (refractory: discarded) and 12 ms (exactly t_ref after the spike: accepted).
    let model = write(
        dir.path(),
        "refractory.toml",
        &format!(
            "t_sim_ms = 50.0\n[[populations]]\nname = \"n\"\nmodel = \"lif_delta\"\nsize = 1\nparams = {{ {NEURON} }}\n\
             [[inputs]]\nname = \"kick\"\nkind = \"spike_times\"\ntimes_ms = [9.0, 10.0, 11.0]\nweight = 25.0\ndelay_ms = 1.0\ntargets = \"n\"\n"
        ),
    );
    let (summary, out) = run(&model, None);
    assert_eq!(trains(&out.path().join("spikes.csv"))[&0], vec![10.0, 12.0]);
    assert_eq!(summary.discarded_events, 1);
}

#[test]
fn one_input_decays_with_tau_m() {
    // A 19 mV kick followed 20 ms later by a kick that just suffices after
    // exact decay (19 e^-1 + w >= 20), and a second pair that just fails.
    let dir = tempfile::tempdir().unwrap();
    let decayed = 19.0 * (-1.0f64).exp();
    let just_enough = 20.0 - decayed + 1e-9;
    let not_enough = 20.0 - decayed - 1e-9;
    std::fs::write(
        dir.path().join("spikes.csv"),
        "input,time_ms\n0,10.0\n1,30.0\n0,100.0\n2,120.0\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("edges.csv"),
        format!("input,target,weight_mV,delay_ms\n0,0,19.0,1.0\n1,0,{just_enough:?},1.0\n2,0,{not_enough:?},1.0\n"),
    )
    .unwrap();
    let model = write(
        dir.path(),
        "decay.toml",
        &format!(
            "t_sim_ms = 200.0\n[[populations]]\nname = \"n\"\nmodel = \"lif_delta\"\nsize = 1\nparams = {{ {NEURON} }}\n\
             [[inputs]]\nname = \"in\"\nkind = \"spike_times\"\nspikes = \"spikes.csv\"\nedges = \"edges.csv\"\n"
        ),
    );
    let (_, out) = run(&model, None);
    assert_eq!(trains(&out.path().join("spikes.csv"))[&0], vec![31.0]);
}
