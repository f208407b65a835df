//! What travels through the engine: spikes between partitions, deliveries
//! inside one.

use crate::time::Time;
use serde::{Deserialize, Serialize};

/// A node's stable global id (neurons first, then input channels). Used for
/// routing, recording and output files; never changes during a run.
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default, Serialize, Deserialize,
)]
pub struct Gid(pub u32);

/// One emitted spike. Small and `Copy`: this is what crosses threads.
///
/// Spikes are ordered and compared by `(time, source)`; a neuron fires at most
/// once per tick, so that identifies a spike.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct Spike {
    /// Emission time, rounded to the nearest tick.
    pub time: Time,
    /// The emitting node.
    pub source: Gid,
    /// Exact emission time minus `time`, in ms (below half a tick). Non-zero
    /// only for analytically computed (current-driven) spike times; carried to
    /// the targets so that rounding to ticks never accumulates.
    pub lag: f32,
}

impl Spike {
    /// A spike exactly on a tick.
    pub const fn at(time: Time, source: Gid) -> Self {
        Spike {
            time,
            source,
            lag: 0.0,
        }
    }
}

impl PartialEq for Spike {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.source) == (other.time, other.source)
    }
}
impl Eq for Spike {}
impl PartialOrd for Spike {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Spike {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.time, self.source).cmp(&(other.time, other.source))
    }
}

/// One synaptic input waiting in a partition's queue.
///
/// Deliveries are processed in the order of the full key
/// `(time, target, source, synapse)`. Every part of that key is a property of
/// the network, not of how it was split over workers, which is what makes runs
/// bit-identical for any thread count. `target` is the partition-local index;
/// local indices increase with gid, so ordering by it equals ordering by gid.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Delivery {
    /// Arrival time = emission time + synaptic delay.
    pub time: Time,
    /// Partition-local index of the receiving neuron.
    pub target: u32,
    /// Emitting node.
    pub source: Gid,
    /// Which synapse: the synapse's class (its distinct weight/delay pair) for
    /// network synapses, the train index for per-target inputs. Multapses of
    /// one source to one target at one time are kept in the source's synapse
    /// order (the queue sorts stably), which completes the key.
    pub synapse: u32,
    /// Weight (mV for delta synapses, pA for current synapses).
    pub weight: f64,
    /// Sub-tick remainder of the arrival time (see [`Spike::lag`]).
    pub lag: f32,
}

impl Delivery {
    /// The total-order key.
    #[inline]
    pub fn key(&self) -> (u64, u32, u32, u32) {
        (self.time.0, self.target, self.source.0, self.synapse)
    }
}

/// Sort `spikes` by `(time, source)`, as `sort_unstable` does. A large batch
/// of on-tick spikes (a window of a replayed recording: ~10 events per µs,
/// in no source order) is radix-sorted on a packed `(time, source)` key,
/// byte by byte (`scratch` is its buffer); equal keys there are identical
/// spikes, so the result is `sort_unstable`'s. A batch already in time
/// order is sorted tick by tick. Anything else is compared.
pub fn sort_spikes(spikes: &mut Vec<Spike>, scratch: &mut Vec<Spike>) {
    const RADIX_FROM: usize = 1024;
    if spikes.len() < RADIX_FROM {
        spikes.sort_unstable();
        return;
    }
    // One recording's spikes come on their ticks in time order: then only
    // the spikes of each tick (a few) need sorting, by source (equal
    // sources there are identical spikes).
    if on_ticks_in_order(spikes) {
        for tick in spikes.chunk_by_mut(|a, b| a.time == b.time) {
            sort_tick_by_source(tick);
        }
        return;
    }
    let Some((t0, source_bits, bytes)) = packing(spikes) else {
        spikes.sort_unstable();
        return;
    };
    let key = |s: &Spike| ((s.time.0 - t0) << source_bits) | u64::from(s.source.0);
    scratch.clear();
    scratch.resize(spikes.len(), Spike::at(Time::ZERO, Gid(0)));
    for byte in 0..bytes {
        let shift = 8 * byte;
        let mut counts = [0usize; 257];
        for s in spikes.iter() {
            counts[((key(s) >> shift) & 0xff) as usize + 1] += 1;
        }
        for d in 0..256 {
            counts[d + 1] += counts[d];
        }
        for s in spikes.iter() {
            let d = ((key(s) >> shift) & 0xff) as usize;
            scratch[counts[d]] = *s;
            counts[d] += 1;
        }
        std::mem::swap(spikes, scratch);
    }
}

/// Whether every spike is on its tick (no lag) and they come in time order
/// (as one recording's do).
pub fn on_ticks_in_order(spikes: &[Spike]) -> bool {
    spikes.first().is_none_or(|s| s.lag == 0.0)
        && spikes
            .windows(2)
            .all(|w| w[0].time <= w[1].time && w[1].lag == 0.0)
}

/// Sort one tick's on-tick spikes by source. A tick of a replayed
/// recording holds ~10 spikes in random source order, where an insertion
/// sort mispredicts a branch per spike: each spike's place is counted
/// instead (the sources that sort before it), without branches. Equal
/// sources in one tick are identical spikes, so the order is
/// `sort_unstable`'s.
fn sort_tick_by_source(tick: &mut [Spike]) {
    const POSITION_BITS: u32 = 5;
    const COUNTED_UP_TO: usize = 1 << POSITION_BITS;
    let n = tick.len();
    if n < 2 {
        return;
    }
    if n > COUNTED_UP_TO {
        tick.sort_unstable_by_key(|s| s.source);
        return;
    }
    let time = tick[0].time;
    // Keys `source << POSITION_BITS | position` are distinct, and a key's
    // rank among them is its spike's place (equal sources keep their order).
    let mut keys = [0u64; COUNTED_UP_TO];
    for (k, (key, s)) in keys.iter_mut().zip(tick.iter()).enumerate() {
        *key = (u64::from(s.source.0) << POSITION_BITS) | k as u64;
    }
    let keys = &keys[..n];
    for &key in keys {
        let place = keys.iter().filter(|&&o| o < key).count();
        tick[place] = Spike::at(time, Gid((key >> POSITION_BITS) as u32));
    }
}

/// `(earliest time, bits of the largest source, key bytes)` if every spike
/// is on its tick and `(time - earliest) << bits | source` fits 64 bits.
fn packing(spikes: &[Spike]) -> Option<(u64, u32, u32)> {
    let (mut t0, mut t1, mut max_source) = (u64::MAX, 0, 0);
    for s in spikes {
        if s.lag != 0.0 {
            return None;
        }
        (t0, t1) = (t0.min(s.time.0), t1.max(s.time.0));
        max_source = max_source.max(s.source.0);
    }
    let source_bits = u32::BITS - max_source.leading_zeros();
    let bits = source_bits + (u64::BITS - t1.checked_sub(t0)?.leading_zeros());
    (bits <= 64).then_some((t0, source_bits, bits.div_ceil(8).max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The radix path gives `sort_unstable`'s order, bit for bit
        /// (lags compared too), for on-tick and lagged batches of any size.
        #[test]
        fn sort_spikes_is_sort_unstable(
            raw in prop::collection::vec((0u64..5000, 0u32..70_000, prop::bool::weighted(0.02)), 0..3000),
            far in prop::bool::ANY,
            time_ordered in prop::bool::ANY,
        ) {
            let mut spikes: Vec<Spike> = raw
                .iter()
                .map(|&(t, s, lagged)| Spike {
                    time: Time(if far { t << 40 } else { t }),
                    source: Gid(s),
                    lag: if lagged && s % 2 == 0 { 0.001 } else { 0.0 },
                })
                .collect();
            if raw.len() % 3 == 0 {
                spikes.iter_mut().for_each(|s| s.lag = 0.0);
            }
            if time_ordered {
                // As a recording emits them: by time, each tick's sources in no order.
                spikes.sort_by_key(|s| s.time);
            }
            let mut want = spikes.clone();
            want.sort_unstable();
            let mut scratch = Vec::new();
            sort_spikes(&mut spikes, &mut scratch);
            let bits = |v: &[Spike]| v.iter().map(|s| (s.time, s.source, s.lag.to_bits())).collect::<Vec<_>>();
            prop_assert_eq!(bits(&spikes), bits(&want));
        }

        /// Busy ticks in time order (a camera's: a few to a few dozen spikes
        /// each, repeated sources among them) sort as `sort_unstable` does.
        #[test]
        fn busy_ticks_sort_like_sort_unstable(
            raw in prop::collection::vec((0u64..4000, 0u32..60), 1024..4000),
            ticks in 1u64..400,
            spread in 0u32..24,
        ) {
            let mut spikes: Vec<Spike> = raw
                .iter()
                .map(|&(t, s)| Spike::at(Time(t % ticks), Gid(s << spread)))
                .collect();
            spikes.sort_by_key(|s| s.time);
            let mut want = spikes.clone();
            want.sort_unstable();
            sort_spikes(&mut spikes, &mut Vec::new());
            let key = |v: &[Spike]| v.iter().map(|s| (s.time, s.source, s.lag.to_bits())).collect::<Vec<_>>();
            prop_assert_eq!(key(&spikes), key(&want));
        }
    }
}
