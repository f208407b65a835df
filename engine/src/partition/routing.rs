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
    /// Per local neuron: whether it has targets in this partition.
    feeds_local: Vec<bool>,
    /// Spikes emitted for this partition, since they were last taken.
    pub(super) own: Vec<Spike>,
    /// Spikes emitted for each partition (by number), since they were last sent.
    pub(super) outboxes: Vec<Vec<Spike>>,
}

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
        Routing {
            index,
            gids,
            destinations,
            feeds_local,
            own: Vec::new(),
            outboxes: vec![Vec::new(); parts],
        }
    }

    /// Send a spike of local neuron `i` wherever it has targets.
    pub(super) fn route(&mut self, i: u32, spike: Spike) {
        if self.feeds_local[i as usize] {
            self.own.push(spike);
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
