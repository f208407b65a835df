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
        assert_eq!(s.window_ms, 1.5);
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
