//! External input: what does not come from network neurons.
//!
//! Two shapes:
//! - [`Drive`]: input nodes with gids that emit spikes (spike-time files,
//!   event cameras); their spikes reach neurons through ordinary synapses;
//! - [`Trains`]: independent trains, one per target neuron (Poisson
//!   generators): each neuron consumes its own train while it processes the
//!   window, merged with its other inputs — no queue traffic at all.
//!
//! Random streams of either must belong to targets or channels, never to a
//! partition or thread, so results do not depend on how the network is split.

use crate::poisson::PoissonTrains;
use crate::spike::{Gid, Spike};
use crate::time::Time;
use crate::window::SyncWindow;

/// Input nodes emitting spikes, asked once per window.
pub trait Drive: Send {
    /// Append the spikes emitted during `window` (times in `[start, end)`).
    fn emit(&mut self, window: SyncWindow, spikes: &mut Vec<Spike>);
}

/// A set of per-target input trains from one generator node.
pub trait Trains: Send {
    /// Number of trains.
    fn len(&self) -> usize;
    /// Whether there are none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Local index of train `k`'s target.
    fn target(&self, k: usize) -> u32;
    /// The generator's gid (the source of every event).
    fn source(&self) -> Gid;
    /// Weight of every event.
    fn weight(&self) -> f64;
    /// Arrival time (emission + delay) of train `k`'s next event.
    fn next_arrival(&self, k: usize) -> Time;
    /// Consume train `k`'s next event.
    fn advance(&mut self, k: usize);
    /// Consume every event of train `k` arriving at tick `t`: how many there
    /// were, and the arrival of the next one (one call per input on the hot
    /// path instead of two). `NEVER` is no instant: a train that never fires
    /// has nothing due, even asked at `NEVER`.
    #[inline]
    fn take_at(&mut self, k: usize, t: Time) -> (u32, Time) {
        let mut n = 0;
        while t != Time::NEVER && self.next_arrival(k) == t {
            self.advance(k);
            n += 1;
        }
        (n, self.next_arrival(k))
    }

    /// These trains as the engine's own exact Poisson trains, if they are
    /// (the plain-neuron kernel then steps them inline).
    fn as_poisson(&mut self) -> Option<&mut PoissonTrains> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One train that never fires, stepped only through the defaults.
    struct Silent;

    impl Trains for Silent {
        fn len(&self) -> usize {
            1
        }
        fn target(&self, _: usize) -> u32 {
            0
        }
        fn source(&self) -> Gid {
            Gid(0)
        }
        fn weight(&self) -> f64 {
            0.1
        }
        fn next_arrival(&self, _: usize) -> Time {
            Time::NEVER
        }
        fn advance(&mut self, _: usize) {}
    }

    #[test]
    fn a_silent_train_is_never_due() {
        assert_eq!(Silent.take_at(0, Time::NEVER), (0, Time::NEVER));
        assert_eq!(Silent.take_at(0, Time(7)), (0, Time::NEVER));
    }
}
