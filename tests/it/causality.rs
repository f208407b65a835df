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
