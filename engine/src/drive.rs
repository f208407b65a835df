//! Input nodes: what does not come from network neurons and reaches them
//! through ordinary synapses (spike-time files, event cameras).
//!
//! The other shape of external input, independent trains one per target
//! neuron, is [`PoissonTrains`](crate::PoissonTrains). Random streams of
//! either belong to targets or channels, never to a partition or thread,
//! so results do not depend on how the network is split.

use crate::spike::Spike;
use crate::window::SyncWindow;

/// Input nodes emitting spikes, asked once per window.
pub trait Drive: Send {
    /// Append the spikes emitted during `window` (times in `[start, end)`).
    fn emit(&mut self, window: SyncWindow, spikes: &mut Vec<Spike>);
}
