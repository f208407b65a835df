//! External drive: inputs that do not come from network neurons (Poisson
//! trains, spike-time files, event cameras).

use crate::event_queue::EventQueue;
use crate::spike::Spike;
use crate::window::SyncWindow;

/// An external input feeding one partition. Called once at the start of every
/// window; it emits what it produces during that window:
/// - per-target deliveries (e.g. independent Poisson trains) straight into
///   the queue, each at or after `window.start`;
/// - spikes of input nodes (with gids) that the engine expands through the
///   partition's synapses.
///
/// A drive's random streams must belong to its targets or channels, never to
/// the partition, so results do not depend on how the network is split.
pub trait Drive: Send {
    /// Emit everything whose emission time lies in `window`.
    fn emit(&mut self, window: SyncWindow, queue: &mut EventQueue, spikes: &mut Vec<Spike>);
}
