//! Same seed, same spikes — whatever the number of threads and the split.

use super::common::{compare, root, run_on, shared, trains};
use volley_models::PartitionScheme;

#[test]
fn brunel_spikes_are_bit_identical_for_1_2_3_4_8_threads_and_every_scheme() {
    let model = root().join("examples/brunel.toml");
    let (reference, _d) = run_on(&model, Some(120.0), 1, PartitionScheme::Contiguous);
    assert!(reference.spikes > 1000);
    for (threads, scheme) in [
        (2, PartitionScheme::Contiguous),
        (3, PartitionScheme::Contiguous),
        (4, PartitionScheme::Contiguous),
        (8, PartitionScheme::Contiguous),
        (2, PartitionScheme::RoundRobin),
        (3, PartitionScheme::Blocks),
        (
            3,
            PartitionScheme::Explicit(
                (0..12_500u32)
                    .map(|g| ((g * 7 + g / 3) % 3) as u16)
                    .collect(),
            ),
        ),
    ] {
        let name = format!("{threads} threads {scheme:?}")
            .chars()
            .take(40)
            .collect::<String>();
        let (s, _d) = run_on(&model, Some(120.0), threads, scheme);
        assert_eq!(s.threads, threads);
        assert_eq!(s.spikes_sha256, reference.spikes_sha256, "{name}");
        assert_eq!(s.recurrent_events, reference.recurrent_events, "{name}");
        assert_eq!(s.external_events, reference.external_events, "{name}");
        // Several partitions exchange pipelined, over half-length windows.
        assert_eq!(s.window_ms, if threads == 1 { 1.5 } else { 0.75 });
    }
}

#[test]
fn det_net_matches_nest_on_2_4_and_8_threads() {
    let Some(shared) = shared() else { return };
    let nest = trains(&shared.join("peers/data/det_net/spikes_nest_ps_h0.125_Ie225.csv"));
    for (threads, scheme) in [
        (2, PartitionScheme::Contiguous),
        (4, PartitionScheme::RoundRobin),
        (8, PartitionScheme::Contiguous),
    ] {
        let (summary, out) = run_on(
            &root().join("examples/det_net_Ie225.toml"),
            None,
            threads,
            scheme,
        );
        assert_eq!(summary.threads, threads);
        let c = compare(&trains(&out.path().join("spikes.csv")), &nest, 1e-6);
        assert_eq!(
            (c.ours, c.matched),
            (18427, 18427),
            "{threads} threads: first divergence {:?}",
            c.first_divergence
        );
    }
}

#[test]
fn runs_split_at_arbitrary_times_equal_one_run() {
    // Stopping inside a window leaves it open; the next call finishes it.
    let Some(_) = shared() else { return };
    // Bias-driven crossings (sub-tick lags) and inputs from files: the hardest case.
    let model = root().join("examples/det_net_Ie262.5.toml");
    let run = |chunks: &[f64], threads: usize| {
        let overrides = volley_models::Overrides {
            t_sim_ms: Some(200.0),
            ..Default::default()
        };
        let config = volley_models::RunConfig::threads(threads, Default::default());
        let mut net = volley_models::load(&model, &overrides, &config).unwrap();
        for &t in chunks {
            net.simulation.run(volley_engine::Time::from_ms(t).unwrap());
        }
        net.simulation.run(net.t_sim);
        net.simulation.take_spikes()
    };
    let whole = run(&[], 1);
    assert!(whole.len() > 1000);
    let pieces = run(&[0.7, 0.71, 3.0, 10.333, 29.99, 45.0, 150.0001], 1);
    assert_eq!(whole, pieces);
    let pieces_2 = run(&[0.7, 12.1, 33.3333], 2);
    assert_eq!(whole, pieces_2);
    assert!(whole
        .iter()
        .zip(&pieces_2)
        .all(|(a, b)| a.lag.to_bits() == b.lag.to_bits()));
}

#[test]
fn direct_delivery_is_used_where_the_network_allows_it() {
    // The bit-identity of the two delivery paths is property-tested
    // (causality.rs); this checks that the fast one is actually taken.
    let load = |model: &str| {
        let overrides = volley_models::Overrides {
            t_sim_ms: Some(1.0),
            ..Default::default()
        };
        let config = volley_models::RunConfig::threads(2, Default::default());
        volley_models::load(&root().join(model), &overrides, &config).unwrap()
    };
    let mut brunel = load("examples/brunel.toml");
    assert!(brunel
        .simulation
        .partitions_mut()
        .iter()
        .all(|p| p.direct_delivery()));
    // Plastic synapses too.
    let mut stdp = load("tests/data/plastic_net/stdp_mult.toml");
    assert!(stdp
        .simulation
        .partitions_mut()
        .iter()
        .all(|p| p.direct_delivery()));
}

#[test]
fn partitions_worked_in_turn_give_the_threads_spikes() {
    // Windows too short for threads are worked in turn on one thread
    // (`in_turn.rs`): the same spikes, bit for bit, forced either way, and
    // the choice by timing takes turns on a NIR graph's 1 µs windows.
    use volley_engine::Workers;
    let run = |model: &str, t_sim_ms: f64, threads: usize, workers: Workers| {
        let overrides = volley_models::Overrides {
            t_sim_ms: Some(t_sim_ms),
            ..Default::default()
        };
        let config = volley_models::RunConfig::threads(threads, Default::default());
        let mut net = volley_models::load(&root().join(model), &overrides, &config).unwrap();
        net.simulation.set_workers(workers);
        // In steps, as the command line runs (the choice is made per call).
        let step = volley_engine::Time::from_ms(10.0).unwrap();
        while net.simulation.now() < net.t_sim {
            let until = (net.simulation.now() + step).min(net.t_sim);
            net.simulation.run(until);
        }
        let in_turn = net.simulation.windows_in_turn();
        (net.simulation.take_spikes(), in_turn)
    };
    // Brunel records from 100 ms on.
    let (one, _) = run("examples/brunel.toml", 120.0, 1, Workers::Auto);
    assert!(one.len() > 1000);
    let (threads, none) = run("examples/brunel.toml", 120.0, 3, Workers::Threads);
    let (turns, all) = run("examples/brunel.toml", 120.0, 3, Workers::InTurn);
    assert!(none == 0 && all >= 160, "120 ms of 0.75 ms windows: {all}");
    assert_eq!(threads, one);
    assert_eq!(turns, one);
    let bits = |s: &[volley_engine::Spike]| s.iter().map(|s| s.lag.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&turns), bits(&one));
    let (nir_one, _) = run("examples/nmnist_nir_cnn.toml", 40.0, 1, Workers::Auto);
    let (nir_two, in_turn) = run("examples/nmnist_nir_cnn.toml", 40.0, 2, Workers::Auto);
    assert_eq!(nir_two, nir_one);
    assert!(in_turn > 0, "1 µs windows are worked in turn");
}

#[test]
fn partitions_that_exchange_nothing_run_apart_and_give_the_same_spikes() {
    // Two populations with synapses only within themselves (on 2 contiguous
    // partitions, one each) beside a camera's retina that projects nowhere:
    // no partition sends another a spike, so the workers never meet at
    // window edges (`simulation.rs`). Same spikes as one worker and as a
    // split whose partitions do exchange.
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("apart.toml");
    let data = root().join("examples/data/moving_edges_34x34.bin");
    let lif = "model = \"lif_delta\"\nparams = { tau_m = 10.0, C_m = 250.0, t_ref = 0.5, E_L = 0.0, V_reset = 0.0, V_th = 20.0 }";
    let mut text = format!(
        "t_sim_ms = 150.0\nseed = 3\n\n[[populations]]\nname = \"retina\"\nsize = 2312\n{lif}\n"
    );
    for (name, size) in [("A", 344), ("B", 2656)] {
        text += &format!("\n[[populations]]\nname = \"{name}\"\nsize = {size}\n{lif}\n");
        text += &format!(
            "\n[[projections]]\nsource = \"{name}\"\ntarget = \"{name}\"\nrule = \"fixed_indegree\"\nindegree = 20\nweight = 1.5\ndelay_ms = 1.0\n"
        );
        text += &format!(
            "\n[[inputs]]\nname = \"noise_{name}\"\nkind = \"poisson\"\nrate_hz = 9000.0\nweight = 2.0\ndelay_ms = 1.0\ntargets = \"{name}\"\n"
        );
    }
    text += &format!(
        "\n[[inputs]]\nname = \"camera\"\nkind = \"event_camera\"\nfile = {data:?}\nformat = \"nmnist\"\nsensor_size = [34, 34]\npolarity = \"split\"\nweight = 25.0\ndelay_ms = 1.0\ntargets = \"retina\"\n\n[[recorders]]\nkind = \"spikes\"\n"
    );
    std::fs::write(&model, text).unwrap();
    let apart = |threads: usize, scheme: PartitionScheme| {
        let config = volley_models::RunConfig::threads(threads, scheme);
        let mut net = volley_models::load(&model, &Default::default(), &config).unwrap();
        net.simulation
            .partitions_mut()
            .iter()
            .all(|p| !p.sends_to_others())
    };
    // 2 656 + 344 = the second half of 5 312 neurons: A and the retina, B.
    assert!(apart(2, PartitionScheme::Contiguous));
    assert!(!apart(2, PartitionScheme::RoundRobin));
    let (one, _) = run_on(&model, None, 1, PartitionScheme::Contiguous);
    assert!(
        one.populations.iter().all(|p| p.spikes > 100),
        "{:?}",
        one.populations
    );
    for (threads, scheme) in [
        (2, PartitionScheme::Contiguous),
        (2, PartitionScheme::RoundRobin),
        (3, PartitionScheme::Contiguous),
    ] {
        let what = format!("{threads} threads, {scheme:?}");
        let (s, _) = run_on(&model, None, threads, scheme);
        assert_eq!(s.spikes_sha256, one.spikes_sha256, "{what}");
    }
}

#[test]
fn a_worker_that_panics_fails_the_run_instead_of_hanging_it() {
    // Each worker holds a sender to every other, so no channel closes when
    // one panics: it tells the others (`PanicAlarm`), and the run panics.
    use std::sync::mpsc;
    use volley_engine::{Observer, SyncWindow, Workers};
    struct PanicsIn(usize);
    impl Observer for PanicsIn {
        const SEES_DELIVERIES: bool = false;
        fn on_window(&mut self, partition: usize, window: &SyncWindow) {
            assert!(
                partition != self.0 || window.index < 5,
                "partition {partition} fails on purpose"
            );
        }
    }
    for (threads, failing) in [(2, 0), (3, 1), (3, 2)] {
        let overrides = volley_models::Overrides {
            t_sim_ms: Some(20.0),
            ..Default::default()
        };
        let config = volley_models::RunConfig::threads(threads, Default::default());
        let model = root().join("examples/brunel.toml");
        let net = volley_models::load(&model, &overrides, &config).unwrap();
        let mut sim = net.simulation;
        sim.set_workers(Workers::Threads);
        let mut sim = sim.observe(|_| PanicsIn(failing));
        let (done, finished) = mpsc::channel();
        std::thread::spawn(move || {
            let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sim.run(net.t_sim)));
            let _ = done.send(run.is_err());
        });
        // A guard against a hang, not a timing: the run takes milliseconds.
        let panicked = finished.recv_timeout(std::time::Duration::from_secs(120));
        assert_eq!(
            panicked,
            Ok(true),
            "{threads} threads, partition {failing} panics"
        );
    }
}
