//! What travels through the engine: spikes between partitions, deliveries
//! inside one.

use crate::time::Time;

/// A node's stable global id (neurons first, then input channels). Used for
/// routing, recording and output files; never changes during a run.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct Gid(pub u32);

/// One emitted spike. Small and `Copy`: this is what crosses threads.
///
/// Spikes are ordered and compared by `(time, source)`; a neuron fires at most
/// once per tick, so that identifies a spike.
#[derive(Clone, Copy, Debug)]
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
    pub fn at(time: Time, source: Gid) -> Self {
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
