//! Synchronisation windows: the epochs between which partitions exchange spikes.

use crate::time::Time;

/// A half-open interval `[start, end)` of simulated time during which workers
/// run independently. `end - start` never exceeds the minimum delay of any
/// synapse, so nothing emitted inside a window can arrive inside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyncWindow {
    /// Sequence number, from 0.
    pub index: u64,
    /// First instant inside the window.
    pub start: Time,
    /// First instant after the window.
    pub end: Time,
}

impl SyncWindow {
    /// Whether `t` lies inside `[start, end)`.
    #[inline]
    pub fn contains(&self, t: Time) -> bool {
        self.start <= t && t < self.end
    }
}
