//! Where a partition's spikes go: its own queue (if a neuron has targets
//! here) and the outbox of every other partition holding a target.

use crate::spike::{Gid, Spike};
use std::sync::Arc;

/// One partition's place in the network.
pub(super) struct Routing {
    /// This partition's number.
    pub(super) index: usize,
    /// Global ids of the local neurons, increasing.
    pub(super) gids: Vec<Gid>,
    /// Per neuron gid: bit set of the *other* partitions holding its targets
    /// (read-only, shared by all partitions).
    destinations: Arc<[u64]>,
    /// Per local neuron: where its spikes go ([`LOCAL`], [`ELSEWHERE`]).
    /// One byte per neuron, so a neuron whose spikes go nowhere (an output
    /// layer, a camera's retina) costs no load of the gid-sized
    /// `destinations` (a cache miss per spike in a large network).
    reach: Vec<u8>,
    /// Whether any local neuron has targets in another partition.
    sends_to_others: bool,
    /// Spikes emitted for this partition, since they were last taken.
    pub(super) own: Vec<Spike>,
    /// Spikes emitted for each partition (by number), since they were last sent.
    pub(super) outboxes: Vec<Vec<Spike>>,
}

/// [`Routing::reach`] bit: the neuron has targets in this partition.
const LOCAL: u8 = 1;
/// [`Routing::reach`] bit: the neuron has targets in other partitions.
const ELSEWHERE: u8 = 2;

impl Routing {
    pub(super) fn new(
        index: usize,
        parts: usize,
        gids: Vec<Gid>,
        destinations: Arc<[u64]>,
        feeds_local: Vec<bool>,
    ) -> Self {
        debug_assert!(
            gids.windows(2).all(|w| w[0] < w[1]),
            "local order must follow gid order"
        );
        let reach = gids
            .iter()
            .zip(feeds_local)
            .map(|(g, local)| {
                let elsewhere = destinations.get(g.0 as usize).is_some_and(|&m| m != 0);
                (u8::from(local) * LOCAL) | (u8::from(elsewhere) * ELSEWHERE)
            })
            .collect::<Vec<u8>>();
        let sends_to_others = reach.iter().any(|r| r & ELSEWHERE != 0);
        Routing {
            index,
            gids,
            destinations,
            reach,
            sends_to_others,
            own: Vec::new(),
            outboxes: vec![Vec::new(); parts],
        }
    }

    /// Whether a spike of this partition can ever reach another partition.
    pub(super) fn sends_to_others(&self) -> bool {
        self.sends_to_others
    }

    /// Send a spike of local neuron `i` wherever it has targets.
    pub(super) fn route(&mut self, i: u32, spike: Spike) {
        let reach = self.reach[i as usize];
        if reach & LOCAL != 0 {
            self.own.push(spike);
        }
        if reach & ELSEWHERE == 0 {
            return;
        }
        let mut mask = self
            .destinations
            .get(spike.source.0 as usize)
            .copied()
            .unwrap_or(0);
        while mask != 0 {
            let q = mask.trailing_zeros() as usize;
            self.outboxes[q].push(spike);
            mask &= mask - 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each spike lands in exactly the queues of the partitions holding its
    /// neuron's targets, whether or not the neuron has any.
    #[test]
    fn a_spike_goes_where_its_targets_are_and_nowhere_else() {
        // Partition 1 of 3 holds gids 10..14: 10 feeds nobody, 11 only
        // partition 1, 12 partitions 0 and 2, 13 partitions 1 and 2.
        let mut destinations = vec![0u64; 14];
        destinations[12] = 0b101;
        destinations[13] = 0b100;
        let destinations: Arc<[u64]> = destinations.into();
        let feeds_local = vec![false, true, false, true];
        let mut routing = Routing::new(1, 3, gids_of(10..14), destinations.clone(), feeds_local);
        for i in 0..4 {
            routing.route(i, Spike::at(crate::time::Time(7), Gid(10 + i)));
        }
        let sources = |v: &[Spike]| v.iter().map(|s| s.source.0).collect::<Vec<_>>();
        assert_eq!(sources(&routing.own), [11, 13]);
        assert_eq!(sources(&routing.outboxes[0]), [12]);
        assert!(routing.outboxes[1].is_empty());
        assert_eq!(sources(&routing.outboxes[2]), [12, 13]);
        assert!(routing.sends_to_others());
        let alone = Routing::new(1, 3, gids_of(10..12), destinations, vec![true; 2]);
        assert!(
            !alone.sends_to_others(),
            "10 and 11 feed no other partition"
        );
    }

    fn gids_of(r: std::ops::Range<u32>) -> Vec<Gid> {
        r.map(Gid).collect()
    }
}
