//! Pending spike arrivals, one entry per (spike, run of equal-delay
//! synapses), bucketed by window — the queue of direct delivery.
//!
//! [`EventQueue`](crate::EventQueue) stores one entry per delivery and groups
//! a window's entries by target with a counting sort, so that each neuron then
//! consumes its inputs alone. That costs ~20 bytes of memory traffic per
//! delivery twice over (append, then scatter). Direct delivery keeps only one
//! entry per *arrival* — a spike reaching its run of synapses of one delay —
//! sorts a window's few arrivals by `(time, source, emission)`, and walks each
//! run's synapses straight from the connectome, applying every input to its
//! target in that order. Per target that is the full key order
//! `(time, source, synapse)`, the same order the grouped queue produces.
//!
//! Measured on Brunel scale 1: ~600 arrivals per window against ~750 000
//! deliveries.

use crate::spike::{Delivery, Spike};
use crate::time::Time;

/// One spike reaching a run of synapses that share one delay.
#[derive(Clone, Copy, Debug)]
pub struct Arrival {
    /// Arrival tick (emission tick + delay).
    pub time: Time,
    /// The spike.
    pub spike: Spike,
    /// The run: synapses `start..start + len` of the connectome's arrays
    /// (of the plastic synapses if [`PLASTIC`](Self::PLASTIC)).
    pub start: u64,
    /// Number of synapses in the run.
    pub len: u32,
    /// The class of every synapse of the run, if they share one
    /// ([`Arrival::MIXED`] if not): then the weight is looked up once;
    /// [`Arrival::PLASTIC`] for plastic synapses.
    pub class: u32,
}

impl Arrival {
    /// `class` of a run whose synapses have different classes.
    pub const MIXED: u32 = u32::MAX;

    /// `class` of a run of plastic synapses (then `start` is the number of
    /// its first plastic synapse).
    pub const PLASTIC: u32 = u32::MAX - 1;

    /// Whether its run is of plastic synapses.
    #[inline]
    pub fn is_plastic(&self) -> bool {
        self.class == Arrival::PLASTIC
    }

    /// The class of every synapse of its run, if they share one.
    #[inline]
    pub fn one_class(&self) -> Option<u32> {
        (self.class < Arrival::PLASTIC).then_some(self.class)
    }

    /// One past its run's last synapse.
    #[inline]
    pub fn end(&self) -> u64 {
        self.start + u64::from(self.len)
    }

    /// Its delivery to local neuron `target` over a synapse of class
    /// `class` and weight `weight` (what observers see).
    #[inline(always)]
    pub fn delivery(&self, target: u32, class: u32, weight: f64) -> Delivery {
        Delivery {
            time: self.time,
            target,
            source: self.spike.source,
            synapse: class,
            weight,
            lag: self.spike.lag,
        }
    }

    /// Order of application: arrival time, then source, then emission time
    /// (a source's earlier spike first, as the grouped queue expands it).
    #[inline]
    fn key(&self) -> (Time, u32, Time) {
        (self.time, self.spike.source.0, self.spike.time)
    }
}

/// A ring of per-window lists of arrivals.
pub struct ArrivalQueue {
    window: u64,
    buckets: Vec<Vec<Arrival>>,
    /// The open window's arrivals, sorted, and the first not yet applied.
    open: Vec<Arrival>,
    cursor: usize,
    open_index: Option<u64>,
    /// Arrivals before this are dropped (a resumed run re-expands the
    /// spikes still in flight: only what lands after its start counts).
    drop_before: Time,
    /// The window of the last push, `[start, end)`, and its bucket: runs of
    /// pushes land in one window, and finding a bucket takes two 64-bit
    /// divisions.
    last: (Time, Time, usize),
}

impl ArrivalQueue {
    /// A queue for windows of `window` ticks and delays up to `max_delay`.
    pub fn new(window: Time, max_delay: Time) -> Self {
        assert!(window.0 > 0, "window must be positive");
        let n_buckets = (max_delay.0 / window.0 + 3) as usize;
        ArrivalQueue {
            window: window.0,
            buckets: vec![Vec::new(); n_buckets],
            open: Vec::new(),
            cursor: 0,
            open_index: None,
            drop_before: Time::ZERO,
            last: (Time::ZERO, Time::ZERO, 0),
        }
    }

    /// The window currently open.
    pub fn open_window(&self) -> Option<u64> {
        self.open_index
    }

    /// From now on, arrivals before `t` are dropped as they are pushed.
    pub fn drop_before(&mut self, t: Time) {
        self.drop_before = t;
    }

    /// Add the arrival of `spike` at the synapses `start..start + len`,
    /// which all have delay `delay`. It may not land in an open or past window.
    #[inline]
    pub fn push(&mut self, spike: Spike, delay: Time, start: u64, len: u32, class: u32) {
        let time = spike.time + delay;
        if time < self.drop_before {
            return;
        }
        let n = self.buckets.len() as u64;
        debug_assert!(
            self.open_index.is_none_or(|o| time.0 / self.window > o),
            "causality: arrival at {time:?} pushed into an open or past window"
        );
        debug_assert!(
            self.open_index.is_none_or(|o| time.0 / self.window - o < n),
            "arrival beyond the queue's horizon"
        );
        let (from, to, mut b) = self.last;
        if time < from || time >= to {
            let k = time.0 / self.window;
            b = (k % n) as usize;
            let from = Time(k * self.window);
            self.last = (from, from.saturating_add(Time(self.window)), b);
        }
        self.buckets[b].push(Arrival {
            time,
            spike,
            start,
            len,
            class,
        });
    }

    /// Open window `k`: its arrivals in application order.
    pub fn open(&mut self, k: u64) {
        let n = self.buckets.len() as u64;
        let b = (k % n) as usize;
        // Leftovers of the previous window exist only past the end of a run.
        self.open.clear();
        std::mem::swap(&mut self.open, &mut self.buckets[b]);
        // Stable: equal keys (duplicate input spikes) keep their push order.
        self.open.sort_by_key(Arrival::key);
        self.cursor = 0;
        self.open_index = Some(k);
    }

    /// The next group of arrivals before `end` that share one tick, as a
    /// range for [`get`](Self::get); consumed.
    #[inline]
    pub fn next_group(&mut self, end: Time) -> Option<std::ops::Range<usize>> {
        let first = self.open.get(self.cursor)?;
        if first.time >= end {
            return None;
        }
        let t = first.time;
        let a = self.cursor;
        let mut b = a + 1;
        while b < self.open.len() && self.open[b].time == t {
            b += 1;
        }
        self.cursor = b;
        Some(a..b)
    }

    /// The open window's arrivals not yet consumed, in application order.
    pub fn pending(&self) -> &[Arrival] {
        &self.open[self.cursor.min(self.open.len())..]
    }

    /// Arrival `k` of the open window.
    #[inline]
    pub fn get(&self, k: usize) -> Arrival {
        self.open[k]
    }

    /// Arrival `k` of the open window, if there is one.
    #[inline]
    pub fn get_open(&self, k: usize) -> Option<&Arrival> {
        self.open.get(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spike::Gid;

    #[test]
    fn groups_come_out_by_time_then_source_then_emission() {
        let mut q = ArrivalQueue::new(Time(10), Time(30));
        q.push(Spike::at(Time(5), Gid(7)), Time(10), 0, 2, Arrival::MIXED);
        q.push(Spike::at(Time(1), Gid(7)), Time(14), 2, 1, Arrival::MIXED);
        q.push(Spike::at(Time(5), Gid(3)), Time(10), 3, 4, Arrival::MIXED);
        q.push(Spike::at(Time(6), Gid(1)), Time(10), 7, 1, Arrival::MIXED);
        q.open(1);
        assert_eq!(q.open_window(), Some(1));
        let g: Vec<(u64, u32, u64)> = q
            .next_group(Time(20))
            .unwrap()
            .map(|k| q.get(k))
            .map(|a| (a.time.0, a.spike.source.0, a.start))
            .collect();
        assert_eq!(g, vec![(15, 3, 3), (15, 7, 2), (15, 7, 0)]);
        assert!(q.next_group(Time(16)).is_none());
        let g = q.next_group(Time(20)).unwrap();
        assert_eq!((g.len(), q.get(g.start).spike.source.0), (1, 1));
        assert!(q.next_group(Time(20)).is_none());
    }
}
