//! Input channels that emit spikes at given times (NEST `spike_generator`
//! with precise times). Each channel is a node with its own gid; its spikes
//! reach neurons through ordinary synapses (with delays) in the connectome.

use volley_engine::{Drive, Gid, Spike, SyncWindow};

/// Pre-sorted spikes of a set of input channels.
#[derive(Clone)]
pub struct SpikeTimesDrive {
    spikes: Vec<Spike>,
    cursor: usize,
}

impl SpikeTimesDrive {
    /// From `(time, channel gid)` spikes in any order.
    pub fn new(mut spikes: Vec<Spike>) -> Self {
        spikes.sort_unstable();
        SpikeTimesDrive { spikes, cursor: 0 }
    }

    /// Number of spikes in total.
    pub fn len(&self) -> usize {
        self.spikes.len()
    }

    /// Whether there are no spikes.
    pub fn is_empty(&self) -> bool {
        self.spikes.is_empty()
    }

    /// The gids that emit spikes.
    pub fn sources(&self) -> impl Iterator<Item = Gid> + '_ {
        self.spikes.iter().map(|s| s.source)
    }
}

impl Drive for SpikeTimesDrive {
    fn emit(&mut self, window: SyncWindow, spikes: &mut Vec<Spike>) {
        while let Some(s) = self.spikes.get(self.cursor) {
            if s.time >= window.end {
                break;
            }
            if s.time >= window.start {
                spikes.push(*s);
            }
            self.cursor += 1;
        }
    }
}
