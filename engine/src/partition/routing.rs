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
    /// The gids as arithmetic, when they follow a partitioning scheme's
    /// pattern: then a spike's gid is computed, not loaded from `gids` (a
    /// miss when the neurons that fired are scattered, as a camera's
    /// retina's are).
    layout: Option<GidLayout>,
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
    /// Whether any local neuron has targets at all.
    feeds_any: bool,
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
        let feeds_any = reach.iter().any(|&r| r != 0);
        let layout = GidLayout::of(&gids);
        Routing {
            index,
            gids,
            layout,
            destinations,
            reach,
            sends_to_others,
            feeds_any,
            own: Vec::new(),
            outboxes: vec![Vec::new(); parts],
        }
    }

    /// The gid of local neuron `i`.
    #[inline(always)]
    pub(super) fn gid(&self, i: u32) -> Gid {
        match &self.layout {
            Some(layout) => layout.gid(i),
            None => self.gids[i as usize],
        }
    }

    /// Whether a spike of this partition can ever reach another partition.
    pub(super) fn sends_to_others(&self) -> bool {
        self.sends_to_others
    }

    /// Send a spike of local neuron `i` wherever it has targets.
    #[inline(always)]
    pub(super) fn route(&mut self, i: u32, spike: Spike) {
        // A partition of output neurons (a camera's retina in a benchmark
        // of the replay) sends nothing: no per-spike call, no `reach` load.
        if self.feeds_any {
            self.route_to_targets(i, spike);
        }
    }

    fn route_to_targets(&mut self, i: u32, spike: Spike) {
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

/// Local neuron `i`'s gid as `first + (i / block) * stride + i % block`:
/// blocks of `block` consecutive gids (a power of two), `stride` apart —
/// one range (`contiguous`), or the blocks of `blocks` dealt round robin.
#[derive(Clone, Copy, Debug)]
struct GidLayout {
    first: u32,
    shift: u32,
    stride: u32,
}

impl GidLayout {
    /// The layout `gids` follow, if any.
    fn of(gids: &[Gid]) -> Option<Self> {
        let first = gids.first()?.0;
        let run = gids
            .iter()
            .zip(first..)
            .take_while(|(g, want)| g.0 == *want)
            .count();
        let layout = if run == gids.len() {
            // One range: a single block (local indices are below 2^31).
            GidLayout {
                first,
                shift: u32::BITS - 1,
                stride: 0,
            }
        } else {
            if !run.is_power_of_two() {
                return None;
            }
            GidLayout {
                first,
                shift: run.trailing_zeros(),
                stride: gids[run].0 - first,
            }
        };
        let fits = (0..gids.len() as u32).all(|i| layout.try_gid(i) == Some(gids[i as usize].0));
        fits.then_some(layout)
    }

    /// Local index `i` as its block and its place in the block.
    #[inline(always)]
    fn split(&self, i: u32) -> (u32, u32) {
        (i >> self.shift, i & ((1 << self.shift) - 1))
    }

    /// The gid of local neuron `i` by the layout (`None` on overflow).
    fn try_gid(&self, i: u32) -> Option<u32> {
        let (block, within) = self.split(i);
        block
            .checked_mul(self.stride)?
            .checked_add(within)?
            .checked_add(self.first)
    }

    #[inline(always)]
    fn gid(&self, i: u32) -> Gid {
        let (block, within) = self.split(i);
        // No overflow: `of` checked every local index.
        Gid(self.first + block * self.stride + within)
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

    /// A local neuron's gid is its entry in `gids`, whether they form one
    /// range, blocks dealt round robin (a partial last block included), or
    /// neither.
    #[test]
    fn gids_of_ranges_blocks_and_scattered_neurons() {
        let blocks = |p: u32, n: u32| -> Vec<Gid> {
            (0..700).filter(|g| (g / 64) % n == p).map(Gid).collect()
        };
        let cases = [
            (gids_of(10..14), true),
            (blocks(1, 3), true),
            (blocks(2, 3), true),
            (vec![Gid(0), Gid(1), Gid(4), Gid(5), Gid(9)], false),
            (vec![Gid(3), Gid(4), Gid(9), Gid(30)], false),
        ];
        let destinations: Arc<[u64]> = vec![0u64; 700].into();
        for (gids, computed) in cases {
            let n = gids.len();
            let routing = Routing::new(0, 1, gids.clone(), destinations.clone(), vec![false; n]);
            assert_eq!(routing.layout.is_some(), computed, "{gids:?}");
            assert_eq!(
                (0..n as u32).map(|i| routing.gid(i)).collect::<Vec<_>>(),
                gids
            );
        }
    }

    fn gids_of(r: std::ops::Range<u32>) -> Vec<Gid> {
        r.map(Gid).collect()
    }
}
