//! Population slices (`"E[0:50]"`, Python semantics) wherever a population
//! is named: projection sources and targets, input targets, recorders.

use super::common::{run, trains, write};
use volley::testing::network_synapses;

const POPS: &str = "t_sim_ms = 50.0\nseed = 3\n\
[[populations]]\nname = \"E\"\nmodel = \"lif_delta\"\nsize = 10\n\
params = { tau_m = 10.0, C_m = 250.0, t_ref = 2.0, E_L = 0.0, V_reset = 0.0, V_th = 15.0, I_e = 0.0 }\n\
[[populations]]\nname = \"I\"\nmodel = \"lif_delta\"\nsize = 6\n\
params = { tau_m = 10.0, C_m = 250.0, t_ref = 2.0, E_L = 0.0, V_reset = 0.0, V_th = 15.0, I_e = 0.0 }\n";

#[test]
fn slices_choose_sources_targets_and_input_targets() {
    let dir = tempfile::tempdir().unwrap();
    let model = format!(
        "{POPS}[[projections]]\nsource = \"E[2:5]\"\ntarget = [\"I[::2]\", \"E[-1]\"]\nrule = \"all_to_all\"\nweight = 1.0\ndelay_ms = 1.0\n\
[[projections]]\nsource = \"E[::-3]\"\ntarget = \"I[0:4]\"\nrule = \"one_to_one\"\nweight = 2.0\ndelay_ms = 1.0\n\
[[inputs]]\nname = \"kick\"\nkind = \"spike_times\"\ntimes_ms = [1.0]\nweight = 20.0\ndelay_ms = 1.0\ntargets = \"E[1:4:2]\"\n"
    );
    let path = write(dir.path(), "m.toml", &model);
    for threads in [1, 3] {
        let syn = network_synapses(&path, threads).unwrap();
        let pairs: Vec<(u32, u32)> = syn.iter().map(|s| (s.0, s.1)).collect();
        let mut want: Vec<(u32, u32)> = Vec::new();
        // E = gids 0..10, I = 10..16; the input channel is gid 16.
        for s in [2, 3, 4] {
            for t in [10, 12, 14, 9] {
                want.push((s, t));
            }
        }
        // E[::-3] = 9, 6, 3, 0 onto I[0:4] = 10..14, in order.
        want.extend([(9, 10), (6, 11), (3, 12), (0, 13)]);
        want.extend([(16, 1), (16, 3)]);
        want.sort_unstable();
        assert_eq!(pairs, want, "{threads} threads");
    }
}

#[test]
fn a_recorder_slice_records_only_its_neurons() {
    let dir = tempfile::tempdir().unwrap();
    let model = format!(
        "{POPS}[[inputs]]\nname = \"kick\"\nkind = \"spike_times\"\ntimes_ms = [1.0, 10.0, 20.0]\nweight = 20.0\ndelay_ms = 1.0\ntargets = [\"E\", \"I\"]\n\
[[recorders]]\nkind = \"spikes\"\npopulations = [\"E[0:3]\", \"I[-1]\"]\n"
    );
    let path = write(dir.path(), "m.toml", &model);
    let (summary, out) = run(&path, None);
    let spiking: Vec<u32> = trains(&out.path().join("spikes.csv")).into_keys().collect();
    assert_eq!(spiking, [0, 1, 2, 15]);
    let sizes: Vec<(String, u32)> = summary
        .populations
        .iter()
        .map(|p| (p.name.clone(), p.size))
        .collect();
    assert_eq!(sizes, [("E".to_string(), 3), ("I".to_string(), 1)]);
    // Every recorded neuron fired 3 times in 50 ms: the rate is theirs.
    assert!((summary.populations[0].rate_hz - 60.0).abs() < 1e-9);
}

#[test]
fn a_bad_slice_names_itself_and_the_population_size() {
    let dir = tempfile::tempdir().unwrap();
    for (slice, why) in [
        ("E[5:2]", "selects no neuron"),
        ("E[10]", "index 10 is outside a population of 10"),
        ("E[::0]", "step must not be 0"),
        ("E[a:]", "`a` is not an integer start"),
    ] {
        let model = format!(
            "{POPS}[[projections]]\nsource = \"{slice}\"\ntarget = \"I\"\nrule = \"all_to_all\"\nweight = 1.0\ndelay_ms = 1.0\n"
        );
        let path = write(dir.path(), "m.toml", &model);
        let e = volley_models::load(&path, &Default::default(), &Default::default())
            .err()
            .expect(slice)
            .to_string();
        for part in ["projections[0].source", slice, why, "`E` has 10 neurons"] {
            assert!(e.contains(part), "{slice}: `{e}` should contain `{part}`");
        }
    }
}
