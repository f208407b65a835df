//! Sources whose static and plastic synapses reach different neurons
//! (Brunel's E→I static, E→E plastic): a spike of theirs lands as two
//! arrivals at one tick, a static run and a plastic run, and no neuron
//! gets an input from both. Summing the tick's inputs per target first
//! would leave each sum with the inputs of one run, so each run is
//! delivered as a lone arrival is, target by target, each target's inputs
//! summed from zero as the tick's sums would have been
//! (`Direct::deliver_several`).

use crate::arrival_queue::Arrival;
use crate::connectome::Connectome;
use crate::plasticity::PlasticWiring;
use crate::spike::Gid;

/// Per source gid: whether its static and plastic targets are disjoint
/// (`false` for a source without both).
#[derive(Default)]
pub(super) struct ApartSources {
    apart: Vec<bool>,
}

impl ApartSources {
    /// Found once, from the partition's synapses: each source with both
    /// kinds marks its static targets, then looks for its plastic ones.
    pub(super) fn new(n: usize, connectome: &Connectome, plastic: &PlasticWiring) -> Self {
        if plastic.is_empty() {
            return ApartSources::default();
        }
        let n_sources = plastic.n_sources().min(connectome.n_sources());
        // `marked[t] == s + 1`: source `s` reaches `t` by a static synapse.
        let mut marked = vec![0u32; n];
        let apart = (0..n_sources as u32)
            .map(|s| {
                let (targets, _) = plastic.synapses_of(Gid(s));
                let (a, b) = connectome.range_of(Gid(s));
                if targets.is_empty() || a == b {
                    return false;
                }
                for (t, _) in connectome.synapses_of(Gid(s)) {
                    marked[t as usize] = s + 1;
                }
                targets.iter().all(|&t| marked[t as usize] != s + 1)
            })
            .collect();
        ApartSources { apart }
    }

    /// Whether arrivals `a` and `b` (one tick's, in order) are the static
    /// and plastic runs of one spike of such a source.
    #[inline(always)]
    pub(super) fn pair(&self, a: Arrival, b: Arrival) -> bool {
        a.spike.source == b.spike.source
            && a.spike.time == b.spike.time
            && a.spike.lag.to_bits() == b.spike.lag.to_bits()
            && a.is_plastic() != b.is_plastic()
            && self
                .apart
                .get(a.spike.source.0 as usize)
                .copied()
                .unwrap_or(false)
    }
}
