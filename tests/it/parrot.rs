//! `parrot` neurons (NEST's `parrot_neuron_ps`): every input re-emitted at
//! its exact time, so spike trains get gids, are recorded and fan out.

use super::common::{run_on, trains, write};
use volley_models::PartitionScheme;

#[test]
fn parrots_repeat_spike_trains_at_their_exact_times() {
    let dir = tempfile::tempdir().unwrap();
    // A spike_times channel into 3 parrots (delay 0.5 ms); a self-driven
    // lif_delta (sub-tick spike times) into a parrot (delay 1 ms); the
    // parrots drive a lif_delta population.
    let model = "t_sim_ms = 60.0\n\
[[populations]]\nname = \"echo\"\nmodel = \"parrot\"\nsize = 3\n\
[[populations]]\nname = \"pacer\"\nmodel = \"lif_delta\"\nsize = 1\n\
params = { tau_m = 10.0, C_m = 250.0, t_ref = 2.0, E_L = 0.0, V_reset = 0.0, V_th = 15.0, I_e = 1000.0 }\n\
[[populations]]\nname = \"pacer_echo\"\nmodel = \"parrot\"\nsize = 1\nparams = {}\n\
[[populations]]\nname = \"readers\"\nmodel = \"lif_delta\"\nsize = 10\n\
params = { tau_m = 10.0, C_m = 250.0, t_ref = 2.0, E_L = 0.0, V_reset = 0.0, V_th = 15.0 }\n\
[[projections]]\nsource = \"pacer\"\ntarget = \"pacer_echo\"\nrule = \"all_to_all\"\nweight = -3.0\ndelay_ms = 1.0\n\
[[projections]]\nsource = \"echo\"\ntarget = \"readers\"\nrule = \"all_to_all\"\nweight = 6.0\ndelay_ms = 1.5\n\
[[inputs]]\nname = \"train\"\nkind = \"spike_times\"\ntimes_ms = [1.0, 2.5, 7.25, 30.0]\ntargets = \"echo\"\nweight = 1.0\ndelay_ms = 0.5\n";
    let path = write(dir.path(), "parrots.toml", model);
    let mut first = None;
    for threads in [1, 2, 3] {
        let (s, out) = run_on(&path, None, threads, PartitionScheme::RoundRobin);
        let spikes = trains(&out.path().join("spikes.csv"));
        for p in 0..3 {
            assert_eq!(spikes[&p], [1.5, 3.0, 7.75, 30.5], "parrot {p}");
        }
        let pacer = &spikes[&3];
        let echo = &spikes[&4];
        assert!(pacer.len() >= 5, "{pacer:?}");
        // Every pacer spike repeated 1 ms later (its sub-tick part kept).
        let want: Vec<f64> = pacer
            .iter()
            .map(|t| t + 1.0)
            .filter(|&t| t < 60.0)
            .collect();
        assert_eq!(echo.len(), want.len());
        for (a, b) in echo.iter().zip(&want) {
            assert!((a - b).abs() < 1e-9, "{a} vs {b}");
        }
        // Three parrots x 6 mV arrive together: each reader fires at 1.5 + 1.5.
        for r in 5..15 {
            assert_eq!(spikes[&r][0], 3.0, "reader {r}");
        }
        assert_eq!(
            *first.get_or_insert(s.spikes_sha256.clone()),
            s.spikes_sha256
        );
    }
}

#[test]
fn parrots_take_no_current_and_have_nothing_to_sample() {
    let dir = tempfile::tempdir().unwrap();
    let base = "t_sim_ms = 10.0\n[[populations]]\nname = \"p\"\nmodel = \"parrot\"\nsize = 2\n";
    for (extra, key, what) in [
        (
            "[[inputs]]\nname = \"d\"\nkind = \"dc\"\namplitude_pA = 5.0\ntargets = \"p\"\n",
            "inputs[0].targets",
            "neuron 0 is a `parrot`, which takes no current",
        ),
        (
            "[[recorders]]\nkind = \"multimeter\"\nrecord = [\"V_m\"]\nneurons = \"p\"\n",
            "recorders[0].record[0]",
            "`V_m` is not a state of `parrot`",
        ),
        ("", "populations[0].params", "unknown field `V_th`"),
    ] {
        let text = if extra.is_empty() {
            format!("{base}params = {{ V_th = 1.0 }}\n")
        } else {
            format!("{base}{extra}")
        };
        let m = write(dir.path(), "m.toml", &text);
        let e = volley_models::load(&m, &Default::default(), &Default::default())
            .err()
            .unwrap_or_else(|| panic!("{text} must fail"));
        assert_eq!(e.key.as_deref(), Some(key), "{e}");
        assert!(e.to_string().contains(what), "{e}");
    }
}
