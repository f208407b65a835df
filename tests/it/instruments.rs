//! Multimeters and current sources against NEST's precise models
//! (`tests/data/instruments`, written and simulated by
//! `bench/peers/instruments.py`, NEST 3.10): every spike and every V_m
//! sample, on any thread count; and sampling never changes the dynamics.

use super::common::{compare, root, run_on, trains, write};
use std::collections::BTreeMap;
use std::path::Path;
use volley_models::PartitionScheme;

/// Samples by `(step of 0.1 ms, gid)`: the recorded values, in order.
type Samples = BTreeMap<(u64, u32), Vec<f64>>;

/// NEST's samples (`step,gid,<vars>`) and the header's variables.
fn nest_samples(name: &str) -> (Samples, String) {
    let path = root().join(format!("tests/data/instruments/multimeter_nest_{name}.csv"));
    let text = std::fs::read_to_string(path).expect("reference samples");
    let head = text.lines().next().unwrap();
    let head = head.trim_start_matches("step,gid,").to_string();
    let rows = text
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let values = f[2..].iter().map(|v| v.parse().unwrap()).collect();
            ((f[0].parse().unwrap(), f[1].parse().unwrap()), values)
        })
        .collect();
    (rows, head)
}

/// Ours, from `multimeter.csv` (`time_ms,gid,<vars>`), which must record `vars`.
fn our_samples(dir: &Path, vars: &str) -> Samples {
    let text = std::fs::read_to_string(dir.join("multimeter.csv")).expect("multimeter.csv");
    let head = format!("time_ms,gid,{vars}\n");
    assert!(text.starts_with(&head), "{}", &text[..40]);
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let t: f64 = f[0].parse().unwrap();
            let step = (t / 0.1).round();
            assert!((step * 0.1 - t).abs() < 1e-9, "sample off the grid: {t}");
            let values = f[2..].iter().map(|v| v.parse().unwrap()).collect();
            ((step as u64, f[1].parse().unwrap()), values)
        })
        .collect()
}

fn check(name: &str, spikes: usize) {
    let model = root().join(format!("tests/data/instruments/{name}.toml"));
    let nest_spikes =
        trains(&root().join(format!("tests/data/instruments/spikes_nest_{name}.csv")));
    let (nest, vars) = nest_samples(name);
    let mut first: Option<String> = None;
    for (threads, scheme) in [
        (1, PartitionScheme::Contiguous),
        (2, PartitionScheme::Contiguous),
        (4, PartitionScheme::RoundRobin),
    ] {
        let (_, out) = run_on(&model, None, threads, scheme);
        let c = compare(&trains(&out.path().join("spikes.csv")), &nest_spikes, 1e-9);
        assert_eq!(
            (c.ours, c.reference, c.matched),
            (spikes, spikes, spikes),
            "{name} on {threads} threads: first divergence at {:?} ms",
            c.first_divergence
        );
        let ours = our_samples(out.path(), &vars);
        // NEST delivers samples up to T - min_delay; we have every one before T.
        assert_eq!(ours.len(), 20 * 1999);
        assert!(nest.len() > 20 * 1980, "{}", nest.len());
        let mut worst = 0.0f64;
        for (k, v) in &nest {
            let o = ours.get(k).unwrap_or_else(|| panic!("no sample at {k:?}"));
            for (a, b) in o.iter().zip(v) {
                worst = worst.max((a - b).abs());
            }
        }
        assert!(
            worst < 1e-9,
            "{name} on {threads} threads: {vars} off by {worst}"
        );
        // The file itself is the same for any partitioning.
        let text = std::fs::read_to_string(out.path().join("multimeter.csv")).unwrap();
        assert_eq!(
            first.get_or_insert(text.clone()),
            &text,
            "{threads} threads"
        );
    }
}

#[test]
fn lif_delta_with_dc_and_step_currents_matches_nest_spikes_and_membrane_potential() {
    check("delta", 683);
}

#[test]
fn lif_exp_with_dc_and_step_currents_matches_nest_spikes_and_membrane_potential() {
    check("exp", 292);
}

#[test]
fn lif_alpha_with_dc_and_step_currents_matches_nest_spikes_potential_and_currents() {
    // iaf_psc_alpha_ps, V_m, I_syn_ex and I_syn_in.
    check("alpha", 329);
}

/// `model` (an example) with a multimeter on `neurons` added.
fn with_meter(dir: &Path, example: &str, neurons: &str, record: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(root().join("examples").join(example)).unwrap();
    let text = text.replace("\"../tests/", &format!("\"{}/tests/", root().display()));
    let meter = format!(
        "\n[[recorders]]\nkind = \"multimeter\"\nrecord = {record}\nneurons = {neurons}\ninterval_ms = 0.25\n"
    );
    write(dir, example, &format!("{text}{meter}"))
}

#[test]
fn sampling_never_changes_the_spikes() {
    let dir = tempfile::tempdir().unwrap();
    for (example, neurons, record, t_sim) in [
        (
            "brunel.toml",
            "[\"E[0:40]\", \"I[::50]\"]",
            "[\"V_m\"]",
            200.0,
        ),
        (
            "det_net_exp_tau5.toml",
            "\"E\"",
            "[\"V_m\", \"I_syn_ex\", \"I_syn_in\"]",
            300.0,
        ),
    ] {
        let plain = root().join("examples").join(example);
        let sampled = with_meter(dir.path(), example, neurons, record);
        for threads in [1, 2] {
            let scheme = || PartitionScheme::Contiguous;
            let (a, _) = run_on(&plain, Some(t_sim), threads, scheme());
            let (b, out) = run_on(&sampled, Some(t_sim), threads, scheme());
            assert_eq!(
                a.spikes_sha256, b.spikes_sha256,
                "{example} on {threads} threads"
            );
            assert!(a.spikes > 100, "{example}: {} spikes", a.spikes);
            let rows = std::fs::read_to_string(out.path().join("multimeter.csv"))
                .unwrap()
                .lines()
                .count();
            assert!(rows > 1000, "{example}: {rows} rows");
        }
    }
}

#[test]
fn npy_output_holds_the_csv_samples() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("tests/data/instruments/exp.toml")).unwrap();
    let text = text.replace(
        "\"neurons_",
        &format!("\"{}/tests/data/instruments/neurons_", root().display()),
    );
    let text = text.replace(
        "\"edges_",
        &format!("\"{}/tests/data/instruments/edges_", root().display()),
    );
    let text = text.replace(
        "\"input_",
        &format!("\"{}/tests/data/instruments/input_", root().display()),
    );
    let csv = write(dir.path(), "csv.toml", &text);
    let npy = write(
        dir.path(),
        "npy.toml",
        &text.replace("interval_ms = 0.1", "interval_ms = 0.1\nformat = \"npy\""),
    );
    let (_, a) = run_on(&csv, Some(50.0), 2, PartitionScheme::Contiguous);
    let (_, b) = run_on(&npy, Some(50.0), 2, PartitionScheme::Contiguous);
    let ours = our_samples(a.path(), "V_m");
    let bytes = std::fs::read(b.path().join("multimeter.npy")).unwrap();
    let file = npyz::NpyFile::new(&bytes[..]).unwrap();
    assert_eq!(file.shape(), &[20 * 499, 3]);
    let values: Vec<f64> = file.into_vec().unwrap();
    let mut from_npy = BTreeMap::new();
    for row in values.chunks_exact(3) {
        from_npy.insert(((row[0] / 0.1).round() as u64, row[1] as u32), vec![row[2]]);
    }
    assert_eq!(from_npy, ours);
}

#[test]
fn multimeter_and_current_keys_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let base = "t_sim_ms = 10.0\n[[populations]]\nname = \"a\"\nmodel = \"lif_delta\"\nsize = 4\nparams = { tau_m = 20.0, C_m = 250.0, t_ref = 2.0, E_L = 0.0, V_reset = 0.0, V_th = 20.0 }\n";
    for (extra, key, what) in [
        ("[[recorders]]\nkind = \"multimeter\"\nrecord = [\"V_m\", \"I_syn_ex\"]\nneurons = \"a\"\n", "recorders[0].record[1]", "not a state of `lif_delta` (neuron 0); it has: V_m"),
        ("[[recorders]]\nkind = \"multimeter\"\nrecord = [\"V_m\"]\nneurons = [7]\n", "recorders[0].neurons", "gid 7: the network has neurons 0..4"),
        ("[[recorders]]\nkind = \"multimeter\"\nrecord = [\"V_m\"]\nneurons = \"a\"\ninterval_ms = 0.0\n", "recorders[0].interval_ms", "must be > 0 ms"),
        ("[[recorders]]\nkind = \"multimeter\"\nrecord = [\"V_m\"]\nneurons = \"a\"\nformat = \"hdf5\"\n", "recorders[0].format", "give \"csv\" or \"npy\""),
        ("[[recorders]]\nkind = \"multimeter\"\nrecord = [\"V_m\"]\nneurons = \"a\"\n[[recorders]]\nkind = \"multimeter\"\nrecord = [\"V_m\"]\nneurons = \"a[0:2]\"\n", "recorders[1].name", "a second multimeter named `multimeter`"),
        ("[[inputs]]\nname = \"s\"\nkind = \"step_current\"\ntimes_ms = [1.0, 1.0]\namplitudes_pA = [1.0, 2.0]\ntargets = \"a\"\n", "inputs[0].times_ms[1]", "times must increase"),
        ("[[inputs]]\nname = \"s\"\nkind = \"step_current\"\ntimes_ms = [1.0]\namplitudes_pA = [1.0, 2.0]\ntargets = \"a\"\n", "inputs[0].amplitudes_pA", "2 amplitudes for 1 times"),
        ("[[inputs]]\nname = \"d\"\nkind = \"dc\"\namplitude_pA = inf\ntargets = \"a\"\n", "inputs[0].amplitude_pA", "must be a finite current"),
        ("[[inputs]]\nname = \"d\"\nkind = \"dc\"\namplitude_pA = 5.0\nstart_ms = 3.0\nstop_ms = 2.0\ntargets = \"a[9:]\"\n", "inputs[0].stop_ms", "must be after start_ms"),
        ("[[inputs]]\nname = \"d\"\nkind = \"dc\"\namplitude_pA = 5.0\ntargets = \"a\"\nweight = 1.0\n", "inputs[0].weight", "not used by kind `dc`"),
    ] {
        let m = write(dir.path(), "m.toml", &format!("{base}{extra}"));
        let e = volley_models::load(&m, &Default::default(), &Default::default())
            .err()
            .unwrap_or_else(|| panic!("{extra} must fail"));
        assert_eq!(e.key.as_deref(), Some(key), "{e}");
        assert!(e.to_string().contains(what), "{e}");
    }
}
