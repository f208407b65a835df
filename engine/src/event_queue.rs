//! The per-partition queue of pending deliveries.
//!
//! A calendar queue: a ring of time buckets, each `2^shift` ticks wide, covering
//! at least the longest delay plus one window. Pushing is an append to a bucket
//! (no ordering work); when the drain reaches a bucket it is sorted once by the
//! full delivery key and consumed from the end. Pushes that land in the bucket
//! being drained go to a small heap; pushes beyond the ring's horizon (rare:
//! far-future inputs) go to an overflow heap. A std `BinaryHeap` of 10^7
//! pending events costs µs per operation; a bucket append costs ns.
//!
//! Invariant: nothing is pushed earlier than the bucket being drained. The
//! drain never advances past the bucket holding `limit - 1` (see
//! [`EventQueue::peek_before`]), so every push at or after the current window's
//! end is safe.

use crate::spike::Delivery;
use crate::time::Time;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Min-heap adaptor ordering deliveries by their full key.
#[derive(Clone, Copy, Debug)]
struct ByKey(Delivery);

impl PartialEq for ByKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.key() == other.0.key()
    }
}
impl Eq for ByKey {}
impl PartialOrd for ByKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for ByKey {
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.cmp_key(&self.0)
    }
}

/// Calendar queue of [`Delivery`]s, popped in full-key order.
pub struct EventQueue {
    shift: u32,
    mask: u64,
    buckets: Vec<Vec<Delivery>>,
    /// Absolute number of the bucket being drained.
    current: u64,
    /// The current bucket, sorted descending (pop from the back).
    drain: Vec<Delivery>,
    /// Pushes into the current bucket after it was sorted.
    late: BinaryHeap<ByKey>,
    /// Pushes beyond the ring's horizon.
    far: BinaryHeap<ByKey>,
    /// Deliveries held in `buckets` (not drain/late/far).
    in_ring: usize,
}

impl EventQueue {
    /// A queue whose buckets are `2^shift` ticks wide and whose ring covers at
    /// least `horizon` ticks ahead of the drain.
    pub fn new(shift: u32, horizon: Time) -> Self {
        let shift = shift.min(40);
        let n = ((horizon.0 >> shift) + 2).next_power_of_two().max(4);
        EventQueue {
            shift,
            mask: n - 1,
            buckets: (0..n).map(|_| Vec::new()).collect(),
            current: 0,
            drain: Vec::new(),
            late: BinaryHeap::new(),
            far: BinaryHeap::new(),
            in_ring: 0,
        }
    }

    /// A queue sized for a network: buckets about 1/16 of the minimum
    /// delay wide, a ring covering the maximum delay plus a window.
    pub fn for_delays(min_delay: Time, max_delay: Time) -> Self {
        let width = (min_delay.0 / 16).max(1);
        let shift = 63 - width.leading_zeros();
        EventQueue::new(shift, max_delay + min_delay)
    }

    /// Number of pending deliveries.
    pub fn len(&self) -> usize {
        self.in_ring + self.drain.len() + self.late.len() + self.far.len()
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline]
    fn bucket_of(&self, t: Time) -> u64 {
        t.0 >> self.shift
    }

    /// Add a delivery. It must not be earlier than the bucket being drained.
    #[inline]
    pub fn push(&mut self, d: Delivery) {
        let b = self.bucket_of(d.time);
        debug_assert!(
            b >= self.current,
            "causality: delivery at {:?} pushed behind the drain",
            d.time
        );
        if b <= self.current {
            self.late.push(ByKey(d));
        } else if b - self.current <= self.mask {
            self.buckets[(b & self.mask) as usize].push(d);
            self.in_ring += 1;
        } else {
            self.far.push(ByKey(d));
        }
    }

    /// Move to the next bucket, or jump towards the overflow's first bucket
    /// when the ring is empty, never past `max_bucket`.
    fn advance(&mut self, max_bucket: u64) {
        self.current += 1;
        if self.in_ring == 0 {
            if let Some(f) = self.far.peek() {
                let fb = (f.0.time.0 >> self.shift).min(max_bucket);
                if fb > self.current {
                    self.current = fb;
                }
            }
        }
        let idx = (self.current & self.mask) as usize;
        let mut bucket = std::mem::take(&mut self.buckets[idx]);
        self.in_ring -= bucket.len();
        // Overflow entries that now fall inside the ring's horizon join their buckets.
        while let Some(f) = self.far.peek() {
            let fb = f.0.time.0 >> self.shift;
            if fb - self.current > self.mask {
                break;
            }
            let d = self.far.pop().expect("peeked").0;
            if fb == self.current {
                bucket.push(d);
            } else {
                self.buckets[(fb & self.mask) as usize].push(d);
                self.in_ring += 1;
            }
        }
        bucket.sort_unstable_by(|a, b| b.cmp_key(a));
        let mut old = std::mem::replace(&mut self.drain, bucket);
        // Recycle the drained vector's capacity for the slot just emptied.
        if self.buckets[idx].capacity() == 0 {
            old.clear();
            self.buckets[idx] = old;
        }
    }

    /// The earliest of the drain and the late heap, and whether it is in the heap.
    #[inline]
    fn head(&self) -> Option<(Delivery, bool)> {
        match (self.drain.last(), self.late.peek()) {
            (Some(d), Some(l)) if l.0.cmp_key(d).is_lt() => Some((l.0, true)),
            (Some(d), _) => Some((*d, false)),
            (None, Some(l)) => Some((l.0, true)),
            (None, None) => None,
        }
    }

    /// The earliest pending delivery if its time is before `limit`. Never
    /// advances the drain past the bucket that holds `limit - 1`.
    #[inline]
    pub fn peek_before(&mut self, limit: Time) -> Option<Delivery> {
        loop {
            if let Some((h, _)) = self.head() {
                return (h.time < limit).then_some(h);
            }
            if (self.in_ring == 0 && self.far.is_empty()) || limit.0 == 0 {
                return None;
            }
            let max_bucket = self.bucket_of(Time(limit.0 - 1));
            if self.current >= max_bucket {
                return None;
            }
            self.advance(max_bucket);
        }
    }

    /// Remove and return the earliest pending delivery if it is before `limit`.
    #[inline]
    pub fn pop_before(&mut self, limit: Time) -> Option<Delivery> {
        self.peek_before(limit)?;
        match self.head() {
            Some((_, true)) => self.late.pop().map(|l| l.0),
            Some((_, false)) => self.drain.pop(),
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spike::Gid;
    use proptest::prelude::*;

    fn d(t: u64, target: u32) -> Delivery {
        Delivery {
            time: Time(t),
            target,
            source: Gid(0),
            synapse: 0,
            weight: 1.0,
            lag: 0.0,
        }
    }

    #[test]
    fn pops_in_key_order_across_buckets_late_and_far() {
        let mut q = EventQueue::new(4, Time(64));
        for (t, tg) in [(100, 1), (5, 2), (5, 1), (17, 0), (10_000, 3)] {
            q.push(d(t, tg));
        }
        assert_eq!(
            q.pop_before(Time(6)).map(|x| (x.time.0, x.target)),
            Some((5, 1))
        );
        q.push(d(6, 9)); // into the bucket being drained
        let rest: Vec<_> = std::iter::from_fn(|| q.pop_before(Time::NEVER))
            .map(|x| (x.time.0, x.target))
            .collect();
        assert_eq!(rest, vec![(5, 2), (6, 9), (17, 0), (100, 1), (10_000, 3)]);
        assert!(q.is_empty());
    }

    #[test]
    fn limit_is_respected() {
        let mut q = EventQueue::new(4, Time(64));
        q.push(d(50, 0));
        assert!(q.pop_before(Time(50)).is_none());
        q.push(d(49, 1));
        assert_eq!(q.pop_before(Time(50)).unwrap().time.0, 49);
        assert_eq!(q.pop_before(Time(51)).unwrap().time.0, 50);
    }

    proptest! {
        #[test]
        fn matches_a_sorted_reference(batches in proptest::collection::vec(proptest::collection::vec((0u64..5000, 0u32..8), 0..40), 1..20)) {
            // Pushes in windows of 64 ticks, each landing at or after the window's end.
            let mut q = EventQueue::new(3, Time(1000));
            let mut reference: Vec<(u64, u32)> = vec![];
            let mut got = vec![];
            let mut now = 0u64;
            for batch in batches {
                for (dt, tg) in batch {
                    q.push(d(now + dt, tg));
                    reference.push((now + dt, tg));
                }
                let end = now + 64;
                while let Some(x) = q.pop_before(Time(end)) {
                    got.push((x.time.0, x.target));
                }
                now = end;
            }
            while let Some(x) = q.pop_before(Time::NEVER) {
                got.push((x.time.0, x.target));
            }
            reference.sort();
            prop_assert_eq!(got, reference);
        }
    }
}
