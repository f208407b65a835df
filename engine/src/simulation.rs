//! The simulation loop: windows of three steps — update, exchange, enqueue.

use crate::dynamics::Dynamics;
use crate::partition::{Counters, Partition};
use crate::spike::Spike;
use crate::time::Time;
use crate::window::SyncWindow;

/// A network ready to run.
pub struct Simulation<D: Dynamics> {
    partition: Partition<D>,
    window_len: Time,
    now: Time,
    next_index: u64,
    inbox: Vec<Spike>,
}

impl<D: Dynamics> Simulation<D> {
    /// A simulation of one partition with windows of `window_len` (> 0, at
    /// most the minimum delay of any synapse).
    pub fn new(partition: Partition<D>, window_len: Time) -> Self {
        assert!(window_len.0 > 0, "window length must be positive");
        Simulation {
            partition,
            window_len,
            now: Time::ZERO,
            next_index: 0,
            inbox: Vec::new(),
        }
    }

    /// Simulated time reached so far.
    pub fn now(&self) -> Time {
        self.now
    }

    /// The window length.
    pub fn window_len(&self) -> Time {
        self.window_len
    }

    /// Event counts so far.
    pub fn counters(&self) -> Counters {
        self.partition.counters()
    }

    /// The partition (state inspection, recorder).
    pub fn partition_mut(&mut self) -> &mut Partition<D> {
        &mut self.partition
    }

    /// Advance to `until`: every event before `until` is processed, none at or after it.
    pub fn run(&mut self, until: Time) {
        while self.now < until {
            let window = SyncWindow {
                index: self.next_index,
                start: self.now,
                end: (self.now + self.window_len).min(until),
            };
            // 1. update: neurons advance through the window independently.
            self.partition.update(window);
            // 2. exchange: gather what was emitted, in (time, source) order.
            self.inbox.clear();
            self.inbox.extend_from_slice(self.partition.outbox());
            self.inbox.sort_unstable();
            // 3. enqueue: expand spikes into deliveries for later windows.
            self.partition.enqueue(&self.inbox, window.end);
            self.now = window.end;
            self.next_index += 1;
        }
    }
}
