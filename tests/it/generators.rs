//! Connectivity rules and weight/delay distributions: exact degrees where the
//! rule fixes them, binomial statistics where it draws them, the known
//! clustering and path length of Watts–Strogatz graphs, and the same network
//! whatever the number of partitions.

use std::collections::{HashSet, VecDeque};
use volley::testing::network_synapses;
use volley_engine::Time;

use super::common::write;

const POP: &str =
    "params = { tau_m = 20.0, C_m = 250.0, t_ref = 2.0, E_L = 0.0, V_reset = 0.0, V_th = 20.0 }\n";

fn model(n_a: u32, n_b: u32, projection: &str) -> String {
    format!(
        "t_sim_ms = 1.0\nseed = 11\n[[populations]]\nname = \"A\"\nmodel = \"lif_delta\"\nsize = {n_a}\n{POP}\
         [[populations]]\nname = \"B\"\nmodel = \"lif_delta\"\nsize = {n_b}\n{POP}\
         [[projections]]\n{projection}\n"
    )
}

/// Synapses on 1 and 3 partitions must be identical; returns them.
fn synapses(text: &str) -> Vec<(u32, u32, f64, Time)> {
    let dir = tempfile::tempdir().unwrap();
    let m = write(dir.path(), "m.toml", text);
    let one = network_synapses(&m, 1).unwrap();
    let three = network_synapses(&m, 3).unwrap();
    assert!(
        one == three,
        "the network depends on the number of partitions"
    );
    one
}

fn degrees(s: &[(u32, u32, f64, Time)], n: usize, by_target: bool, offset: u32) -> Vec<u32> {
    let mut d = vec![0u32; n];
    for e in s {
        let k = if by_target { e.1 } else { e.0 };
        d[(k - offset) as usize] += 1;
    }
    d
}

fn mean_var(x: &[u32]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let v = x.iter().map(|&v| (f64::from(v) - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, v)
}

#[test]
fn fixed_in_and_out_degrees_are_exact_without_autapses_or_multapses() {
    let s = synapses(&model(300, 200, "rule = \"fixed_indegree\"\nsource = [\"A\", \"B\"]\ntarget = \"B\"\nindegree = 40\nweight = 0.1\ndelay_ms = 1.0\nallow_autapses = false\nallow_multapses = false"));
    assert!(degrees(&s, 200, true, 300).iter().all(|&d| d == 40));
    assert!(s.iter().all(|e| e.0 != e.1));
    assert_eq!(
        s.iter().map(|e| (e.0, e.1)).collect::<HashSet<_>>().len(),
        s.len()
    );
    let s = synapses(&model(300, 200, "rule = \"fixed_outdegree\"\nsource = \"A\"\ntarget = [\"A\", \"B\"]\noutdegree = 25\nweight = 0.1\ndelay_ms = 1.0\nallow_autapses = false\nallow_multapses = false"));
    assert!(degrees(&s, 300, false, 0).iter().all(|&d| d == 25));
    assert!(s.iter().all(|e| e.0 != e.1));
    assert_eq!(
        s.iter().map(|e| (e.0, e.1)).collect::<HashSet<_>>().len(),
        s.len()
    );
    // In-degrees of an out-degree rule are binomial: mean 300·25/500 = 15.
    let (m, v) = mean_var(&degrees(&s, 500, true, 0));
    assert!((m - 15.0).abs() < 0.01, "{m}");
    assert!((v - 15.0 * (1.0 - 25.0 / 499.0)).abs() < 3.0, "{v}");
}

#[test]
fn pairwise_bernoulli_and_fixed_total_number_have_binomial_degrees() {
    let (n, p) = (2000u32, 0.05);
    let s = synapses(&model(n, 10, &format!("rule = \"pairwise_bernoulli\"\nsource = \"A\"\ntarget = \"A\"\np = {p}\nweight = 0.1\ndelay_ms = 1.0\nallow_autapses = false")));
    let (m, v) = mean_var(&degrees(&s, n as usize, true, 0));
    let (em, ev) = (f64::from(n - 1) * p, f64::from(n - 1) * p * (1.0 - p));
    assert!((m - em).abs() < 0.5, "mean in-degree {m} vs {em}");
    assert!((v / ev - 1.0).abs() < 0.15, "variance {v} vs {ev}");
    assert!(s.iter().all(|e| e.0 != e.1));
    assert_eq!(
        s.iter().map(|e| (e.0, e.1)).collect::<HashSet<_>>().len(),
        s.len()
    );
    let total = 150_000u64;
    let s = synapses(&model(1500, 1000, &format!("rule = \"fixed_total_number\"\nsource = \"A\"\ntarget = \"B\"\nn = {total}\nweight = 0.1\ndelay_ms = 1.0")));
    assert_eq!(s.len() as u64, total);
    let (m, v) = mean_var(&degrees(&s, 1000, true, 1500));
    assert!((m - 150.0).abs() < 1e-9);
    assert!((v / (150.0 * 0.999) - 1.0).abs() < 0.15, "variance {v}");
    let (_, v) = mean_var(&degrees(&s, 1500, false, 0));
    assert!(
        (v / (100.0 * (1.0 - 1.0 / 1500.0)) - 1.0).abs() < 0.15,
        "out-degree variance {v}"
    );
}

#[test]
fn weight_and_delay_distributions_are_drawn_and_quantised() {
    let s = synapses(&model(
        400,
        400,
        "rule = \"fixed_indegree\"\nsource = \"A\"\ntarget = \"B\"\nindegree = 100\n\
        weight = { dist = \"normal\", mean = 87.8, std = 8.78, min = 0.0 }\n\
        delay_ms = { dist = \"normal\", mean = 1.5, std = 0.75, min = 0.05 }",
    ));
    let w: Vec<f64> = s.iter().map(|e| e.2).collect();
    let n = w.len() as f64;
    let m = w.iter().sum::<f64>() / n;
    let sd = (w.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n).sqrt();
    assert!(
        (m - 87.8).abs() < 0.1 && (sd - 8.78).abs() < 0.1,
        "{m} {sd}"
    );
    let distinct: HashSet<u64> = w.iter().map(|x| x.to_bits()).collect();
    assert!(
        distinct.len() <= 256 && distinct.len() > 100,
        "{}",
        distinct.len()
    );
    let d: Vec<f64> = s.iter().map(|e| e.3.as_ms()).collect();
    assert!(d
        .iter()
        .all(|&x| x >= 0.1 - 1e-9 && ((x * 10.0).round() - x * 10.0).abs() < 1e-6));
    // Redrawing below 0.05 ms truncates the normal: mean 1.5 + 0.75·φ(α)/(1 - Φ(α)),
    // α = -1.933, = 1.548.
    let md = d.iter().sum::<f64>() / n;
    assert!((md - 1.548).abs() < 0.02, "{md}");
    let s = synapses(&model(
        300,
        300,
        "rule = \"all_to_all\"\nsource = \"A\"\ntarget = \"B\"\n\
        weight = { dist = \"lognormal\", mu = 0.0, sigma = 0.5 }\n\
        delay_ms = { dist = \"uniform\", low = 1.0, high = 3.0 }\nlevels = 4096",
    ));
    let lw: Vec<f64> = s.iter().map(|e| e.2.ln()).collect();
    let n = lw.len() as f64;
    let m = lw.iter().sum::<f64>() / n;
    let sd = (lw.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n).sqrt();
    assert!(m.abs() < 0.01 && (sd - 0.5).abs() < 0.01, "{m} {sd}");
    let d: Vec<f64> = s.iter().map(|e| e.3.as_ms()).collect();
    assert!(d.iter().all(|&x| (1.0 - 1e-9..=3.0 + 1e-9).contains(&x)));
}

/// Average clustering and mean shortest path of the undirected graph.
fn clustering_and_path_length(n: usize, s: &[(u32, u32, f64, Time)]) -> (f64, f64) {
    let mut adj = vec![HashSet::new(); n];
    for e in s {
        adj[e.0 as usize].insert(e.1 as usize);
        adj[e.1 as usize].insert(e.0 as usize);
    }
    let mut c = 0.0;
    for a in &adj {
        let nb: Vec<usize> = a.iter().copied().collect();
        let k = nb.len();
        if k < 2 {
            continue;
        }
        let mut links = 0;
        for i in 0..k {
            for j in i + 1..k {
                if adj[nb[i]].contains(&nb[j]) {
                    links += 1;
                }
            }
        }
        c += 2.0 * f64::from(links) / (k * (k - 1)) as f64;
    }
    let mut total = 0u64;
    for src in 0..n {
        let mut dist = vec![u32::MAX; n];
        dist[src] = 0;
        let mut q = VecDeque::from([src]);
        while let Some(u) = q.pop_front() {
            for &v in &adj[u] {
                if dist[v] == u32::MAX {
                    dist[v] = dist[u] + 1;
                    q.push_back(v);
                }
            }
        }
        total += dist.iter().map(|&d| u64::from(d)).sum::<u64>();
    }
    (c / n as f64, total as f64 / (n * (n - 1)) as f64)
}

#[test]
fn watts_strogatz_has_the_known_clustering_and_path_length() {
    let (n, k) = (1000usize, 10u32);
    let ws = |p: f64| {
        synapses(&model(n as u32, 1, &format!("rule = \"watts_strogatz\"\nsource = \"A\"\ntarget = \"A\"\nk = {k}\nrewire_p = {p}\nweight = 0.1\ndelay_ms = 1.0")))
    };
    let c0 = 3.0 * f64::from(k - 2) / (4.0 * f64::from(k - 1));
    let l0 = (n * (n + k as usize - 2)) as f64 / (2.0 * f64::from(k) * (n - 1) as f64);
    let s = ws(0.0);
    assert!(degrees(&s, n, false, 0).iter().all(|&d| d == k));
    let (c, l) = clustering_and_path_length(n, &s);
    assert!(
        (c - c0).abs() < 1e-12 && (l - l0).abs() < 1e-9,
        "{c} {c0} {l} {l0}"
    );
    for p in [0.01, 0.05] {
        let s = ws(p);
        assert!(
            degrees(&s, n, false, 0).iter().all(|&d| d == k),
            "out-degree stays k"
        );
        assert!(s.iter().all(|e| e.0 != e.1));
        let (c, l) = clustering_and_path_length(n, &s);
        // Barrat & Weigt: C(p) ≈ C(0)(1-p)^3 (both directions of a ring edge
        // are rewired independently here, so allow 10 %); the path length
        // collapses long before the clustering does (the small-world regime).
        let want = c0 * (1.0 - p).powi(3);
        assert!(
            (c / want - 1.0).abs() < 0.10,
            "p = {p}: C = {c}, Barrat–Weigt {want}"
        );
        assert!(l < 0.4 * l0, "p = {p}: L = {l} vs lattice {l0}");
    }
}

#[test]
fn a_network_too_big_for_the_machine_is_refused_with_an_estimate() {
    let dir = tempfile::tempdir().unwrap();
    let m = write(
        dir.path(),
        "huge.toml",
        &model(
            300_000,
            10,
            "rule = \"all_to_all\"\nsource = \"A\"\ntarget = \"A\"\nweight = 0.1\ndelay_ms = 1.0",
        ),
    );
    let e = volley_models::load(&m, &Default::default(), &Default::default())
        .err()
        .expect("refused")
        .to_string();
    assert!(
        e.contains("huge.toml") && e.contains("GiB") && e.contains("9.000e10 synapses"),
        "{e}"
    );
}

#[test]
fn spatial_connections_fall_off_with_distance_as_the_profile_says() {
    use volley_models::network::model_file::{Layout, Profile};
    use volley_models::network::spatial::{position, Spatial};
    let side = 50u32;
    let n = side * side;
    let sp = Spatial {
        layout: Layout::Grid,
        extent: 1.0,
        periodic: true,
        profile: Profile::Gaussian,
        p0: 0.8,
        sigma: 0.05,
    };
    let s = synapses(&model(n, 10, "rule = \"spatial\"\nsource = \"A\"\ntarget = \"A\"\npositions = \"grid\"\np = 0.8\nsigma = 0.05\nweight = 0.1\ndelay_ms = 1.0\nallow_autapses = false"));
    let pos: Vec<(f64, f64)> = (0..n)
        .map(|k| position(Layout::Grid, 1.0, 11, k, k, n))
        .collect();
    // On a periodic grid every neuron expects the same in-degree.
    let expected: f64 = (1..n)
        .map(|k| sp.probability(sp.distance(pos[0], pos[k as usize])))
        .sum();
    let (m, _) = mean_var(&degrees(&s, n as usize, true, 0));
    assert!(
        (m / expected - 1.0).abs() < 0.02,
        "mean in-degree {m} vs {expected}"
    );
    // Connected fraction per distance bin follows p(d).
    let connected: HashSet<(u32, u32)> = s.iter().map(|e| (e.0, e.1)).collect();
    let mut bins = [(0u32, 0u32, 0.0f64); 8];
    for t in (0..n).step_by(7) {
        for src in 0..n {
            if src == t {
                continue;
            }
            let d = sp.distance(pos[src as usize], pos[t as usize]);
            let b = (d / 0.025) as usize;
            if b < bins.len() {
                bins[b].0 += 1;
                bins[b].1 += u32::from(connected.contains(&(src, t)));
                bins[b].2 += sp.probability(d);
            }
        }
    }
    for (k, &(pairs, hits, p)) in bins.iter().enumerate() {
        let (got, want) = (f64::from(hits) / f64::from(pairs), p / f64::from(pairs));
        assert!(
            (got - want).abs() < 0.05 + 0.1 * want,
            "bin {k}: {got} vs {want} over {pairs} pairs"
        );
    }
    // Random positions and an exponential profile build and are partition-independent too.
    let s = synapses(&model(2000, 10, "rule = \"spatial\"\nsource = \"A\"\ntarget = \"A\"\npositions = \"random\"\nprofile = \"exponential\"\nperiodic = false\np = 0.5\nsigma = 0.03\nweight = 0.1\ndelay_ms = 1.0"));
    assert!(!s.is_empty());
}
