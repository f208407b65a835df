//! `lif_alpha` against NEST's `iaf_psc_alpha_ps`, spike for spike, on the
//! deterministic network of `tests/data/det_net_exp` (the `lif_exp`
//! network with alpha-shaped currents; generated and simulated by
//! `bench/peers/det_net_exp.py`, NEST 3.10).

use super::common::{compare, root, run_on, trains};
use volley_models::PartitionScheme;

#[test]
fn matches_nest_iaf_psc_alpha_ps_spike_for_spike() {
    let nest = trains(&root().join("tests/data/det_net_exp/spikes_nest_alpha_tau5.csv"));
    let model = root().join("examples/det_net_alpha_tau5.toml");
    let mut sha = None;
    for (threads, scheme) in [
        (1, PartitionScheme::Contiguous),
        (2, PartitionScheme::Contiguous),
        (4, PartitionScheme::RoundRobin),
    ] {
        let (s, out) = run_on(&model, None, threads, scheme);
        let c = compare(&trains(&out.path().join("spikes.csv")), &nest, 1e-9);
        assert_eq!((c.ours, c.reference), (6216, 6216), "{threads} threads");
        assert_eq!(
            c.matched, 6216,
            "{threads} threads: first divergence at {:?} ms",
            c.first_divergence
        );
        assert!(c.max_dt < 1e-9, "{}", c.max_dt);
        assert_eq!(*sha.get_or_insert(s.spikes_sha256.clone()), s.spikes_sha256);
    }
}
