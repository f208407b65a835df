//! Spike recording.

use crate::spike::Spike;
use crate::time::Time;

/// Records spikes of selected neurons from a start time on.
#[derive(Debug, Default)]
pub struct SpikeRecorder {
    from: Time,
    /// Per local neuron: record it? `None` records all.
    selected: Option<Vec<bool>>,
    spikes: Vec<Spike>,
}

impl SpikeRecorder {
    /// Record the local neurons whose flag is set (all when `None`), from `from` on.
    pub fn new(from: Time, selected: Option<Vec<bool>>) -> Self {
        SpikeRecorder {
            from,
            selected,
            spikes: Vec::new(),
        }
    }

    /// Offer one spike of local neuron `local`.
    #[inline]
    pub fn offer(&mut self, local: u32, spike: Spike) {
        if spike.time < self.from {
            return;
        }
        if let Some(sel) = &self.selected {
            if !sel.get(local as usize).copied().unwrap_or(false) {
                return;
            }
        }
        self.spikes.push(spike);
    }

    /// Recorded spikes, in the order they happened.
    pub fn spikes(&self) -> &[Spike] {
        &self.spikes
    }

    /// Take the recorded spikes, sorted by (time, gid).
    pub fn take_sorted(&mut self) -> Vec<Spike> {
        let mut v = std::mem::take(&mut self.spikes);
        v.sort_unstable();
        v
    }
}
