//! Observing a simulation event by event.
//!
//! Attach an [`Observer`] to see every window, every processed delivery and
//! every spike — to property-test causality, trace a neuron, or count. Each
//! partition gets its own observer instance (no shared mutable state); take
//! them back with `Simulation::into_observers`. Without one the engine uses
//! [`NoObserver`], whose empty inlined methods compile to nothing.

use crate::spike::{Delivery, Gid, Spike};
use crate::window::SyncWindow;

/// Callbacks from one partition, in processing order.
pub trait Observer: Send {
    /// Whether it looks at deliveries at all. `false` lets the engine skip
    /// even preparing the arguments of `on_delivery` (the target's gid: a
    /// bounds-checked load per input, 1.3 % of Brunel's instructions).
    const SEES_DELIVERIES: bool = true;

    /// A window starts in partition `partition`.
    #[inline]
    fn on_window(&mut self, _partition: usize, _window: &SyncWindow) {}
    /// A delivery to neuron `target` is processed (applied or discarded by
    /// refractoriness). Called in the order the neuron sees its inputs.
    #[inline]
    fn on_delivery(&mut self, _partition: usize, _target: Gid, _delivery: &Delivery) {}
    /// A neuron of `partition` fired.
    #[inline]
    fn on_spike(&mut self, _partition: usize, _spike: &Spike) {}
}

/// The observer that observes nothing (zero cost).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoObserver;

impl Observer for NoObserver {
    const SEES_DELIVERIES: bool = false;
}
