//! Spike-for-spike agreement with NEST `iaf_psc_delta_ps` on the deterministic
//! network of `shared/peers/data/det_net`.

use super::common::{compare, root, run, shared, trains};

#[test]
fn det_net_ie225_matches_nest_spike_for_spike() {
    let Some(shared) = shared() else { return };
    let (summary, out) = run(&root().join("examples/det_net_Ie225.toml"), None);
    let ours = trains(&out.path().join("spikes.csv"));
    let nest = trains(&shared.join("peers/data/det_net/spikes_nest_ps_h0.125_Ie225.csv"));
    let c = compare(&ours, &nest, 1e-6);
    assert_eq!(summary.spikes, 18427);
    assert_eq!(c.ours, 18427);
    assert_eq!(c.reference, 18427);
    assert_eq!(
        c.matched, 18427,
        "first divergence at {:?} ms",
        c.first_divergence
    );
    assert!(c.max_dt <= 1e-6);
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        nest.keys().collect::<Vec<_>>()
    );
}

#[test]
fn det_net_ie262_5_matches_nest_beyond_50_ms_and_keeps_its_statistics() {
    let Some(shared) = shared() else { return };
    let (summary, out) = run(&root().join("examples/det_net_Ie262.5.toml"), None);
    let ours = trains(&out.path().join("spikes.csv"));
    let nest = trains(&shared.join("peers/data/det_net/spikes_nest_ps_h0.125_Ie262.5.csv"));
    let c = compare(&ours, &nest, 1e-6);
    let horizon = c.first_divergence.unwrap_or(f64::INFINITY);
    eprintln!(
        "det_net Ie262.5: {} of {} spikes within 1e-6 ms, max |dt| {:.3e} ms, horizon {horizon} ms",
        c.matched, c.reference, c.max_dt
    );
    assert!(horizon >= 50.0, "diverged from NEST at {horizon} ms");
    // Rates and mean CV within 2% of NEST's over the full 1000 ms.
    let nest_stats = [
        ("E", 25.95625, 0.12950518161576505),
        ("I", 25.95, 0.1350584492711377),
    ];
    for (name, rate, cv) in nest_stats {
        let p = summary
            .populations
            .iter()
            .find(|p| p.name == name)
            .expect("population");
        assert!(
            (p.rate_hz / rate - 1.0).abs() <= 0.02,
            "{name}: rate {} vs NEST {rate}",
            p.rate_hz
        );
        let ours_cv = p.cv_isi.expect("cv");
        assert!(
            (ours_cv / cv - 1.0).abs() <= 0.02,
            "{name}: CV {ours_cv} vs NEST {cv}"
        );
    }
}
