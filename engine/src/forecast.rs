//! Predicted spike times of neurons that can fire without input.
//!
//! A neuron whose drive alone carries it over threshold (e.g. a supra-threshold
//! bias current) fires at an analytically known time unless an input comes
//! first. Those predictions live in an indexed priority queue: an input
//! changes the neuron's prediction in place (`O(log n)`), and the engine pops
//! whichever is earlier, the next forecast or the next delivery.

use crate::time::Time;
use priority_queue::PriorityQueue;
use std::cmp::Reverse;
use std::hash::{BuildHasherDefault, Hasher};

/// A multiplicative hasher for small integer keys (neuron indices are not
/// attacker-controlled; SipHash would only cost time).
#[derive(Default, Clone, Copy)]
pub struct IndexHasher(u64);

impl Hasher for IndexHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ b as u64).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn write_u32(&mut self, i: u32) {
        self.0 = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// Per-partition forecasts: local neuron index → predicted spike time.
/// Ties are broken by neuron index so the order never depends on insertion.
pub struct SpikeForecast {
    queue: PriorityQueue<u32, Reverse<(Time, u32)>, BuildHasherDefault<IndexHasher>>,
}

impl Default for SpikeForecast {
    fn default() -> Self {
        SpikeForecast {
            queue: PriorityQueue::with_default_hasher(),
        }
    }
}

impl SpikeForecast {
    /// Set or move neuron `i`'s prediction to `t`.
    #[inline]
    pub fn set(&mut self, i: u32, t: Time) {
        self.queue.push(i, Reverse((t, i)));
    }

    /// Forget neuron `i`'s prediction.
    #[inline]
    pub fn clear(&mut self, i: u32) {
        if !self.queue.is_empty() {
            self.queue.remove(&i);
        }
    }

    /// The earliest prediction.
    #[inline]
    pub fn peek(&self) -> Option<(u32, Time)> {
        self.queue.peek().map(|(&i, &Reverse((t, _)))| (i, t))
    }

    /// Remove the earliest prediction.
    #[inline]
    pub fn pop(&mut self) -> Option<(u32, Time)> {
        self.queue.pop().map(|(i, Reverse((t, _)))| (i, t))
    }

    /// Number of neurons with a prediction.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether no neuron has a prediction.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_and_breaks_ties_by_index() {
        let mut f = SpikeForecast::default();
        f.set(3, Time(10));
        f.set(1, Time(10));
        f.set(2, Time(5));
        f.set(2, Time(20));
        assert_eq!(f.pop(), Some((1, Time(10))));
        f.clear(3);
        assert_eq!(f.pop(), Some((2, Time(20))));
        assert!(f.is_empty());
    }
}
