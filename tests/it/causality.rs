//! The engine's contract, property-tested over generated networks with the
//! public `volley::testing` toolkit (≥ 1000 cases in all; about half with
//! plastic excitatory synapses: STDP, nearest-neighbour, power-law, tsodyks2).

use proptest::prelude::*;
use volley::testing::{
    check_invariants, run_traced, run_traced_grouped, run_unobserved, strategies, RandomNetwork,
};
use volley_engine::PartitionScheme;

fn check(
    net: &RandomNetwork,
    threads: usize,
    scheme: PartitionScheme,
) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let model = net.write(dir.path());
    let one = run_traced(&model, 1, PartitionScheme::Contiguous)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let many = run_traced(&model, threads, scheme.clone())
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(check_invariants(&one), Ok(()));
    prop_assert_eq!(check_invariants(&many), Ok(()));
    prop_assert!(
        one.same_spikes(&many),
        "1 thread: {} spikes, {} threads: {} spikes",
        one.spikes.len(),
        threads,
        many.spikes.len()
    );
    prop_assert!(
        one.same_deliveries(&many),
        "{} threads delivered other inputs or weights (plastic: {:?})",
        threads,
        net.plastic
    );
    prop_assert_eq!(many.traces.len(), threads);
    // Direct delivery (the default where it applies) and the grouped queue
    // give the same spikes and the same inputs.
    let grouped = run_traced_grouped(&model, threads, scheme.clone())
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(check_invariants(&grouped), Ok(()));
    prop_assert!(one.same_spikes(&grouped), "grouped queue: other spikes");
    prop_assert!(one.same_deliveries(&grouped), "grouped queue: other inputs");
    // Unobserved, plain partitions take the kernel: the same spikes.
    let fastest =
        run_unobserved(&model, threads, scheme).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert!(one.same_spikes_as(&fastest), "unobserved run: other spikes");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn random_networks_keep_the_contract_on_any_thread_count(
        (net, threads, scheme) in strategies::network(40, 8, 0.5)
            .prop_flat_map(|net| (Just(net), strategies::threads(6)))
            .prop_flat_map(|(net, threads)| {
                let n = net.n_neurons;
                (Just(net), Just(threads), strategies::scheme(n, threads))
            })
    ) {
        check(&net, threads, scheme)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn small_worlds_keep_the_contract_on_any_thread_count(
        (net, threads, scheme) in strategies::small_world(60, 6, 1.0)
            .prop_flat_map(|net| (Just(net), strategies::threads(8)))
            .prop_flat_map(|(net, threads)| {
                let n = net.n_neurons;
                (Just(net), Just(threads), strategies::scheme(n, threads))
            })
    ) {
        check(&net, threads, scheme)?;
    }
}

/// Ticks of a replayed recording: several input spikes at one tick, each
/// reaching one synapse. Unobserved, a tick whose inputs all reach different
/// neurons skips the per-target sums; observed (and when two inputs share a
/// target or a channel reaches two) the sums are kept. Both give the same
/// spikes, on one thread and on two.
#[test]
fn ticks_of_single_inputs_give_the_spikes_of_summed_ones() {
    let n = 24u32;
    // Channel c reaches neuron c % 24 (channels c and c + 24 share one);
    // channel 48 reaches two neurons. Weights differ, so a sum's order
    // would show in its bits.
    let mut input_edges: Vec<(u32, u32, f64, f64)> = (0..48)
        .map(|c| (c, c % n, 6.0 + f64::from(c % 7) * 1.37, 1.0))
        .collect();
    input_edges.extend([(48, 3, 9.5, 1.0), (48, 17, 7.25, 1.0)]);
    assert_unobserved_ticks_give_the_summed_spikes(n, input_edges, 49);
}

/// Ticks of several input spikes, each reaching a few synapses of a larger
/// network, most of different neurons: unobserved, the neurons reached once
/// take their input at once and only those reached again are summed
/// (`tick_marks.rs`); observed, every target is summed. Same spikes, on one
/// thread and on two.
#[test]
fn ticks_reaching_mostly_different_neurons_give_the_spikes_of_summed_ones() {
    let n = 240u32;
    // Channel c reaches three neurons. Channels c and c + 11, which share
    // ticks, share one of them, one exciting it over threshold (20 mV) and
    // the other inhibiting it as much: summed, their inputs cancel; taken
    // one by one, the first would fire it. Channel 0 reaches neuron 9
    // twice. Weights differ, so a sum's order would show in its bits.
    let mut input_edges: Vec<(u32, u32, f64, f64)> = (0..96)
        .flat_map(|c| {
            let w = 5.0 + f64::from(c % 7) * 1.37;
            let shared = if (c / 11) % 2 == 0 { 21.0 } else { -21.5 };
            [
                (c, (5 * c) % n, w, 1.0),
                (c, 5 * (c % 11) + 1, shared, 1.0),
                (c, (7 * c + 3) % n, w + 1.25, 1.0),
            ]
        })
        .collect();
    input_edges.extend([(0, 9, 6.5, 1.0), (0, 9, 4.75, 1.0)]);
    assert_unobserved_ticks_give_the_summed_spikes(n, input_edges, 96);
}

/// A spike whose static and plastic runs land at one tick: unobserved, a
/// source whose two runs reach different neurons delivers each run target
/// by target (`apart_sources.rs`); one whose runs share a target sums them
/// first. Neuron 0's static +25 mV and plastic (tsodyks2, −30 mV) synapses
/// onto neuron 2 cancel when summed, while the +25 alone would fire it;
/// neuron 1's reach neurons 3 and 4 apart. Same spikes as the observed
/// (summed) run, on one thread and on two.
#[test]
fn a_spikes_static_and_plastic_runs_give_the_spikes_of_summed_ones() {
    let dir = tempfile::tempdir().unwrap();
    let edges = |rows: &[(u32, u32, f64)]| {
        let mut csv = String::from("source,target,weight_mV,delay_ms\n");
        for (s, t, w) in rows {
            csv += &format!("{s},{t},{w:?},1.0\n");
        }
        csv
    };
    let files = [
        ("static.csv", edges(&[(0, 2, 25.0), (1, 3, 25.0)])),
        ("plastic.csv", edges(&[(0, 2, -30.0), (1, 4, 25.0)])),
        (
            "spikes.csv",
            // Neurons 0 and 1 fire at different ticks (one spike per tick).
            (0..30).fold(String::from("input,time_ms\n"), |s, k| {
                s + &format!("{},{:?}\n", k % 2, f64::from(k) * 1.5)
            }),
        ),
        (
            "inputs.csv",
            "input,target,weight_mV,delay_ms\n0,0,25.0,1.0\n1,1,25.0,1.0\n".to_string(),
        ),
    ];
    for (name, text) in &files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let model = dir.path().join("model.toml");
    std::fs::write(
        &model,
        "t_sim_ms = 50.0\nseed = 1\n\
         [[populations]]\nname = \"net\"\nmodel = \"lif_delta\"\nsize = 5\n\
         params = { tau_m = 20.0, C_m = 250.0, t_ref = 1.0, E_L = 0.0, V_reset = 0.0, V_th = 20.0 }\n\
         [[projections]]\nrule = \"edge_list\"\nfile = \"static.csv\"\n\
         [[projections]]\nrule = \"edge_list\"\nfile = \"plastic.csv\"\n\
         synapse = { model = \"tsodyks2\", U = 1.0, u = 1.0, x = 1.0, tau_rec = 0.01, tau_fac = 0.0 }\n\
         [[inputs]]\nname = \"channels\"\nkind = \"spike_times\"\nspikes = \"spikes.csv\"\nedges = \"inputs.csv\"\n",
    )
    .unwrap();
    let summed = run_traced(&model, 1, PartitionScheme::Contiguous).unwrap();
    let fired = |i: u32| summed.spikes.iter().filter(|s| s.source.0 == i).count();
    assert_eq!(fired(2), 0, "the summed inputs cancel");
    assert!(fired(3) > 10 && fired(4) > 10);
    for threads in [1, 2] {
        let fastest = run_unobserved(&model, threads, PartitionScheme::Contiguous).unwrap();
        assert!(
            summed.same_spikes_as(&fastest),
            "{threads} thread(s): other spikes"
        );
    }
}

/// A ring of `n` neurons fed by `input_edges` of `channels` input channels,
/// tick `j` (every 0.25 ms) carrying 1..=6 of them: the unobserved runs on one
/// and two threads give the spikes of the observed (summed) run.
fn assert_unobserved_ticks_give_the_summed_spikes(
    n: u32,
    input_edges: Vec<(u32, u32, f64, f64)>,
    channels: u32,
) {
    let input_spikes = (0..240u32)
        .flat_map(|j| (0..=j % 6).map(move |k| ((j * 7 + k * 11) % channels, f64::from(j) * 0.25)))
        .collect();
    let net = RandomNetwork {
        n_neurons: n,
        edges: (0..n).map(|s| (s, (s + 1) % n, 2.5, 1.5)).collect(),
        input_spikes,
        input_edges,
        i_e: 0.0,
        t_ref: 1.0,
        poisson_hz: 0.0,
        t_sim_ms: 65.0,
        seed: 5,
        plastic: None,
    };
    let dir = tempfile::tempdir().unwrap();
    let model = net.write(dir.path());
    let summed = run_traced(&model, 1, PartitionScheme::Contiguous).unwrap();
    assert!(summed.spikes.len() > 100, "{} spikes", summed.spikes.len());
    for threads in [1, 2] {
        let fastest = run_unobserved(&model, threads, PartitionScheme::Contiguous).unwrap();
        assert!(
            summed.same_spikes_as(&fastest),
            "{threads} thread(s): other spikes"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Inputs that are their target's only input bypass the arrival queue
    /// in unobserved runs: the same spikes as the observed (queued) runs.
    #[test]
    fn retinas_keep_the_contract_on_any_thread_count(
        (net, threads, scheme) in strategies::retina(40, 0.5)
            .prop_flat_map(|net| (Just(net), strategies::threads(4)))
            .prop_flat_map(|(net, threads)| {
                let n = net.n_neurons;
                (Just(net), Just(threads), strategies::scheme(n, threads))
            })
    ) {
        check(&net, threads, scheme)?;
    }
}
