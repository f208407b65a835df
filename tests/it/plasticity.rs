//! Plastic synapses against NEST, spike for spike and weight for weight, on
//! the deterministic network of `tests/data/plastic_net` (written and
//! simulated in NEST 3.10 by `bench/peers/plastic_net.py`): E->E synapses
//! follow `stdp_synapse` (multiplicative and additive), `stdp_nn_symm_synapse`,
//! `stdp_pl_synapse_hom` or `tsodyks2_synapse`, traced by a NEST weight_recorder.

use super::common::{compare, root, run_on, trains, write};
use std::collections::BTreeMap;
use std::path::Path;
use volley_models::PartitionScheme;

type Key = (u32, u32);

/// `source,target,weight[,...]` rows by (source, target).
fn table(path: &Path) -> BTreeMap<Key, Vec<f64>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let key = (f[0].parse().unwrap(), f[1].parse().unwrap());
        let rest = f[2..].iter().map(|x| x.parse::<f64>().unwrap()).collect();
        assert!(
            out.insert(key, rest).is_none(),
            "{key:?} twice in {}",
            path.display()
        );
    }
    out
}

/// `time_ms,source,target,weight` rows as per-synapse sequences of (time, weight).
fn traces(path: &Path) -> BTreeMap<Key, Vec<(f64, f64)>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out: BTreeMap<Key, Vec<(f64, f64)>> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<f64> = line.split(',').map(|x| x.parse().unwrap()).collect();
        out.entry((f[1] as u32, f[2] as u32))
            .or_default()
            .push((f[0], f[3]));
    }
    out
}

fn rel(a: f64, b: f64) -> f64 {
    if a == b {
        0.0
    } else {
        (a - b).abs() / a.abs().max(b.abs())
    }
}

fn check(variant: &str, expected_spikes: usize) {
    let data = root().join("tests/data/plastic_net");
    let nest_spikes = trains(&data.join(format!("spikes_{variant}.csv")));
    let nest_weights = table(&data.join(format!("weights_{variant}.csv")));
    let nest_trace = traces(&data.join(format!("trace_{variant}.csv")));
    let mut first: Option<(String, Vec<u8>)> = None;
    for (threads, scheme) in [
        (1, PartitionScheme::Contiguous),
        (2, PartitionScheme::Contiguous),
        (4, PartitionScheme::RoundRobin),
        (2, PartitionScheme::Auto),
    ] {
        let what = format!("{variant} on {threads} threads ({})", scheme.name());
        let auto = scheme == PartitionScheme::Auto;
        let (s, out) = run_on(&data.join(format!("{variant}.toml")), None, threads, scheme);
        if auto {
            // Plastic updates fall on the plastic targets: `auto` deals them
            // to both workers in blocks.
            assert_eq!(s.partitioning, "blocks", "{what}");
        }
        // Spikes.
        let ours = trains(&out.path().join("spikes.csv"));
        let c = compare(&ours, &nest_spikes, 1e-6);
        assert_eq!(
            (c.ours, c.reference),
            (expected_spikes, expected_spikes),
            "{what}"
        );
        assert_eq!(
            c.matched, expected_spikes,
            "{what}: diverges at {:?} ms",
            c.first_divergence
        );
        assert!(c.max_dt <= 1e-6, "{what}: {}", c.max_dt);
        assert_eq!(s.plastic_synapses, 3200, "{what}");
        // Every update of every plastic synapse: as many as NEST's, the last
        // leaving the same weight (tsodyks2: transmitting the same weight).
        let ours_trace = traces(&out.path().join("weight_trace.csv"));
        let ours_final = table(&out.path().join("weights.csv"));
        assert_eq!(ours_final.len(), nest_weights.len(), "{what}");
        let mut worst = 0.0f64;
        for (key, row) in &nest_weights {
            let (w_nest, updates) = (row[0], row[1] as usize);
            let seq = ours_trace.get(key).map_or(&[][..], Vec::as_slice);
            assert_eq!(seq.len(), updates, "{what}: updates of synapse {key:?}");
            if variant == "tsodyks2" {
                if let Some(&(_, w)) = seq.last() {
                    worst = worst.max(rel(w, w_nest));
                }
            } else {
                worst = worst.max(rel(ours_final[key][0], w_nest));
            }
        }
        assert!(
            worst <= 1e-9,
            "{what}: final weights differ by {worst:e} (relative)"
        );
        // Whole update sequences of NEST's sampled synapses.
        for (key, seq) in &nest_trace {
            let o = &ours_trace[key];
            assert_eq!(o.len(), seq.len(), "{what}: {key:?}");
            for (a, b) in o.iter().zip(seq) {
                assert!(
                    (a.0 - b.0).abs() <= 1e-9 && rel(a.1, b.1) <= 1e-9,
                    "{what}: {key:?} {a:?} vs {b:?}"
                );
            }
        }
        // Bit-identical for any thread count: spikes and weights.
        let weights = std::fs::read(out.path().join("weights.csv")).unwrap();
        let (sha, w0) = first.get_or_insert((s.spikes_sha256.clone(), weights.clone()));
        assert_eq!(*sha, s.spikes_sha256, "{what}");
        assert!(*w0 == weights, "{what}: weights.csv differs from 1 thread");
    }
}

#[test]
fn stdp_multiplicative_matches_nest_stdp_synapse() {
    check("stdp_mult", 14497);
}

#[test]
fn stdp_additive_matches_nest_stdp_synapse() {
    check("stdp_add", 10029);
}

#[test]
fn stdp_nearest_neighbour_matches_nest_stdp_nn_symm_synapse() {
    check("stdp_nn_symm", 23703);
}

#[test]
fn stdp_power_law_matches_nest_stdp_pl_synapse_hom() {
    check("stdp_pl", 12139);
}

#[test]
fn tsodyks2_matches_nest_tsodyks2_synapse() {
    check("tsodyks2", 8062);
}

#[test]
fn plasticity_changes_what_static_synapses_would_do() {
    // The same network with static E->E synapses fires differently: the
    // match above is not a match of static networks.
    let data = root().join("tests/data/plastic_net");
    let text = std::fs::read_to_string(data.join("stdp_mult.toml")).unwrap();
    let stat = text.replace(
        "synapse = { model = \"stdp\"",
        "synapse = { model = \"static\" } # ",
    );
    let dir = tempfile::tempdir().unwrap();
    for f in [
        "neurons.csv",
        "edges_static.csv",
        "edges_plastic.csv",
        "input_spikes.csv",
        "input_edges.csv",
    ] {
        std::fs::copy(data.join(f), dir.path().join(f)).unwrap();
    }
    let stat = stat.replace(
        "[[recorders]]\nkind = \"weights\"\nsynapses = \"all\"\n",
        "",
    );
    let m = write(dir.path(), "static.toml", &stat);
    let (s, out) = run_on(&m, None, 1, PartitionScheme::Contiguous);
    assert_eq!(s.plastic_synapses, 0);
    let c = compare(
        &trains(&out.path().join("spikes.csv")),
        &trains(&data.join("spikes_stdp_mult.csv")),
        1e-6,
    );
    assert!(
        c.matched < c.reference,
        "static run matched all {} spikes",
        c.reference
    );
}

#[test]
fn synapse_model_errors_name_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let base = "t_sim_ms = 10.0\n[[populations]]\nname = \"a\"\nmodel = \"lif_delta\"\nsize = 4\nparams = { tau_m = 20.0, C_m = 250.0, t_ref = 2.0, E_L = 0.0, V_reset = 0.0, V_th = 20.0 }\n[[projections]]\nsource = \"a\"\ntarget = \"a\"\nrule = \"all_to_all\"\ndelay_ms = 1.0\n";
    for (extra, want) in [
        (
            "weight = 1.0\nsynapse = { model = \"hebb\" }\n",
            "unknown synapse model `hebb`",
        ),
        (
            "weight = 1.0\nsynapse = { tau_plus = 1.0 }\n",
            "synapse.model",
        ),
        (
            "weight = 1.0\nsynapse = { model = \"stdp\", tau_plus = -1.0 }\n",
            "synapse.tau_plus",
        ),
        (
            "weight = 1.0\nsynapse = { model = \"stdp\", lamda = 0.1 }\n",
            "lamda",
        ),
        (
            "weight = -1.0\nsynapse = { model = \"stdp\" }\n",
            "same sign",
        ),
        (
            "weight = 1.0\nsynapse = { model = \"tsodyks2\", U = 1.5 }\n",
            "synapse.U",
        ),
        (
            "weight = 1.0\nsynapse = { model = \"static\", U = 0.5 }\n",
            "no parameters",
        ),
        (
            "weight = 1.0\n[[recorders]]\nkind = \"weights\"\nsynapses = [[0, 9]]\n",
            "recorders[0].synapses[0]",
        ),
        (
            "weight = 1.0\n[[recorders]]\nkind = \"weights\"\nsynapses = \"some\"\n",
            "recorders[0].synapses",
        ),
    ] {
        let m = write(dir.path(), "m.toml", &format!("{base}{extra}"));
        let e = volley_models::load(&m, &Default::default(), &Default::default())
            .err()
            .expect(want)
            .to_string();
        assert!(e.contains(want) && e.contains("m.toml"), "{want}: {e}");
    }
    let m = write(
        dir.path(),
        "m.toml",
        &base
            .replace("t_ref = 2.0,", "t_ref = 2.0, tau_minus = 0.0,")
            .replace("delay_ms", "weight = 1.0\ndelay_ms"),
    );
    let e = volley_models::load(&m, &Default::default(), &Default::default())
        .err()
        .expect("tau_minus")
        .to_string();
    assert!(e.contains("tau_minus"), "{e}");
}

/// With plots on, a plastic run draws the histogram of every weight
/// (weights.png), on one thread and on two.
#[test]
fn weights_png_is_drawn_with_plots_on() {
    use volley::run::{run_model, RunOptions};
    use volley_models::{Overrides, RunConfig};
    let model = root().join("tests/data/plastic_net/stdp_mult.toml");
    for threads in [1, 2] {
        let dir = tempfile::tempdir().expect("temp dir");
        let opts = RunOptions {
            out_dir: dir.path().to_path_buf(),
            overrides: Overrides::default(),
            config: RunConfig::threads(threads, PartitionScheme::Contiguous),
            progress: false,
            realtime: false,
            raster: true,
            checkpoint: None,
        };
        run_model(&model, &opts).expect("plastic run");
        let png = std::fs::read(dir.path().join("weights.png")).expect("weights.png");
        assert!(png.starts_with(b"\x89PNG"), "{threads} thread(s)");
    }
}
