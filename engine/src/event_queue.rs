//! The per-partition store of pending deliveries, bucketed by window.
//!
//! A calendar queue whose buckets are the synchronisation windows: a ring of
//! per-window buckets covering the longest delay. A bucket holds the spikes
//! whose deliveries land in its window (a small table) and one compact entry
//! per delivery — `(target, spike, synapse class)`, 12 bytes — so expanding a
//! spike is a run of appends. When a window opens, one stable counting sort
//! groups the entries by target (O(n), no comparisons, 8 bytes moved per
//! entry). A neuron's list is then already in time order whenever its inputs
//! share one delay (spikes are expanded in `(time, source)` order); otherwise
//! it is sorted by `(time, source)`, stably, which keeps the synapse order
//! among multapses. Each neuron then consumes its inputs of the window in
//! order, independently of the others.
//!
//! Measured on Brunel: a global comparison sort of 32-byte deliveries per
//! bucket cost 42 % of the run; grouping 32-byte deliveries by target 22 %.

use crate::connectome::{RunClasses, SynapseClass};
use crate::spike::{Delivery, Spike};
use crate::time::Time;

/// One window's pending deliveries.
#[derive(Default)]
struct Bucket {
    spikes: Vec<Spike>,
    /// `(target, index into spikes, class)`.
    entries: Vec<(u32, u32, u32)>,
}

/// Deliveries waiting for their window, grouped by target in the open one.
pub struct EventQueue {
    window: u64,
    /// The static classes, then one row per plastic synapse (its delay,
    /// a NaN weight): a plastic synapse `k` is class `n_static + k`, so
    /// looking up a delivery never branches on its kind.
    classes: Vec<SynapseClass>,
    n_static: u32,
    buckets: Vec<Bucket>,
    /// Window number held open, if any.
    open: Option<u64>,
    /// The open window's spike table and its entries grouped by target.
    spikes: Vec<Spike>,
    pool: Vec<(u32, u32)>,
    offsets: Vec<u32>,
    cursor: Vec<u32>,
    active: Vec<u32>,
    pending: usize,
    /// Deliveries before this are dropped (a resumed run re-expands the
    /// spikes still in flight: only what lands after its start counts).
    drop_before: Time,
}

impl EventQueue {
    /// A queue for `n_targets` local neurons, windows of `window` ticks,
    /// synapses of `classes` and delays up to `max_delay`.
    pub fn new(n_targets: u32, window: Time, max_delay: Time, classes: &[SynapseClass]) -> Self {
        assert!(window.0 > 0, "window must be positive");
        let n_buckets = (max_delay.0 / window.0 + 3) as usize;
        EventQueue {
            window: window.0,
            classes: classes.to_vec(),
            n_static: classes.len() as u32,
            buckets: (0..n_buckets).map(|_| Bucket::default()).collect(),
            open: None,
            spikes: Vec::new(),
            pool: Vec::new(),
            offsets: vec![0; n_targets as usize + 1],
            cursor: vec![0; n_targets as usize],
            active: Vec::new(),
            pending: 0,
            drop_before: Time::ZERO,
        }
    }

    /// The same queue, able to carry spikes over `n` plastic synapses with
    /// these delays (by synapse number).
    pub fn with_plastic_delays(mut self, n: usize, delays: impl Iterator<Item = Time>) -> Self {
        self.classes.truncate(self.n_static as usize);
        self.classes.reserve_exact(n);
        self.classes.extend(delays.map(|delay| SynapseClass {
            weight: f64::NAN,
            delay,
        }));
        self
    }

    /// Row `c` of the class table (static classes, then plastic synapses).
    #[inline]
    pub fn class(&self, c: u32) -> SynapseClass {
        self.classes[c as usize]
    }

    /// The class number of plastic synapse 0 (= the number of static classes).
    pub fn plastic_base(&self) -> u32 {
        self.n_static
    }

    /// Window number of instant `t`.
    #[inline]
    pub fn window_of(&self, t: Time) -> u64 {
        t.0 / self.window
    }

    /// Deliveries pushed and not yet consumed (open window included).
    pub fn len(&self) -> usize {
        self.pending
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.pending == 0
    }

    /// The window currently open.
    pub fn open_window(&self) -> Option<u64> {
        self.open
    }

    /// From now on, deliveries before `t` are dropped as they are pushed.
    pub fn drop_before(&mut self, t: Time) {
        self.drop_before = t;
    }

    /// Add the deliveries of `spike` over synapses (`targets[k]`, class
    /// `classes.class(k)`), ordered by delay. No delivery may land in an
    /// open or past window.
    #[inline]
    pub fn push_run<C: RunClasses>(&mut self, spike: Spike, targets: &[u32], classes: C) {
        let pushed = self.push_entries(
            spike,
            targets
                .iter()
                .enumerate()
                .map(|(k, &t)| (t, classes.class(k))),
        );
        self.pending += pushed;
    }

    /// Add the deliveries of `spike` over plastic synapses `first..` (one
    /// per target), ordered by delay.
    #[inline]
    pub fn push_plastic(&mut self, spike: Spike, targets: &[u32], first: u32) {
        let base = self.n_static + first;
        debug_assert!((base as usize + targets.len()) <= self.classes.len());
        let pushed = self.push_entries(
            spike,
            targets
                .iter()
                .enumerate()
                .map(|(j, &t)| (t, base + j as u32)),
        );
        self.pending += pushed;
    }

    /// Add deliveries (`(target, class)`); returns how many were kept.
    #[inline]
    fn push_entries(&mut self, spike: Spike, entries: impl Iterator<Item = (u32, u32)>) -> usize {
        let n = self.buckets.len() as u64;
        let mut current: Option<(usize, u32)> = None;
        let mut current_delay = Time::NEVER;
        let mut pushed = 0;
        for (target, class) in entries {
            let delay = self.classes[class as usize].delay;
            if delay != current_delay || current.is_none() {
                current_delay = delay;
                if spike.time + delay < self.drop_before {
                    current = None;
                    continue;
                }
                let k = self.window_of(spike.time + delay);
                debug_assert!(
                    self.open.is_none_or(|o| k > o),
                    "causality: delivery at {:?} pushed into an open or past window",
                    spike.time + delay
                );
                debug_assert!(
                    self.open.is_none_or(|o| k - o < n),
                    "delivery beyond the queue's horizon"
                );
                let b = (k % n) as usize;
                let bucket = &mut self.buckets[b];
                // Consecutive delays often share a window: reuse the table row.
                let idx = match bucket.spikes.last() {
                    Some(last) if *last == spike && last.lag.to_bits() == spike.lag.to_bits() => {
                        bucket.spikes.len() as u32 - 1
                    }
                    _ => {
                        bucket.spikes.push(spike);
                        bucket.spikes.len() as u32 - 1
                    }
                };
                current = Some((b, idx));
            }
            let (b, idx) = current.expect("set above");
            self.buckets[b].entries.push((target, idx, class));
            pushed += 1;
        }
        pushed
    }

    /// Open window `k`: group its deliveries by target (in key order per target).
    pub fn open(&mut self, k: u64) {
        let n = self.buckets.len() as u64;
        let b = (k % n) as usize;
        let mut bucket = std::mem::take(&mut self.buckets[b]);
        // Unconsumed leftovers of the previous window (only past the end of a run).
        self.pending -= self.pool.len() - self.consumed();
        let n_targets = self.cursor.len();
        self.offsets.fill(0);
        for &(t, _, _) in &bucket.entries {
            self.offsets[t as usize + 1] += 1;
        }
        self.active.clear();
        for i in 0..n_targets {
            if self.offsets[i + 1] > 0 {
                self.active.push(i as u32);
            }
            self.offsets[i + 1] += self.offsets[i];
        }
        self.cursor.copy_from_slice(&self.offsets[..n_targets]);
        self.pool.clear();
        self.pool.resize(bucket.entries.len(), (0, 0));
        for &(t, s, c) in &bucket.entries {
            let slot = &mut self.cursor[t as usize];
            self.pool[*slot as usize] = (s, c);
            *slot += 1;
        }
        self.cursor.copy_from_slice(&self.offsets[..n_targets]);
        // The open window's spike table; the bucket keeps the old one's memory.
        std::mem::swap(&mut self.spikes, &mut bucket.spikes);
        let (spikes, classes) = (&self.spikes, &self.classes);
        let key = |&(s, c): &(u32, u32)| {
            let sp = &spikes[s as usize];
            (sp.time + classes[c as usize].delay, sp.source)
        };
        for &i in &self.active {
            let list = &mut self.pool
                [self.offsets[i as usize] as usize..self.offsets[i as usize + 1] as usize];
            if !list.is_sorted_by_key(key) {
                list.sort_by_key(key);
            }
        }
        bucket.spikes.clear();
        bucket.entries.clear();
        self.buckets[b] = bucket;
        self.open = Some(k);
    }

    fn consumed(&self) -> usize {
        self.active
            .iter()
            .map(|&i| (self.cursor[i as usize] - self.offsets[i as usize]) as usize)
            .sum()
    }

    /// Neurons with deliveries in the open window.
    pub fn active(&self) -> &[u32] {
        &self.active
    }

    /// The next unconsumed delivery of `target` in the open window.
    /// `synapse` is the synapse's class (its distinct weight/delay pair), or
    /// [`plastic_base`](Self::plastic_base)` + k` for plastic synapse `k`,
    /// whose weight (NaN here) only its [`Plasticity`](crate::Plasticity) knows.
    #[inline(always)]
    pub fn peek(&self, target: u32) -> Option<Delivery> {
        let c = *self.cursor.get(target as usize)? as usize;
        if c >= self.offsets[target as usize + 1] as usize {
            return None;
        }
        let (s, class) = self.pool[c];
        let spike = &self.spikes[s as usize];
        let sc = &self.classes[class as usize];
        Some(Delivery {
            time: spike.time + sc.delay,
            target,
            source: spike.source,
            synapse: class,
            weight: sc.weight,
            lag: spike.lag,
        })
    }

    /// Consume the next delivery of `target`.
    #[inline(always)]
    pub fn pop(&mut self, target: u32) -> Option<Delivery> {
        let d = self.peek(target)?;
        self.skip(target);
        Some(d)
    }

    /// Consume the delivery of `target` just seen with [`peek`](Self::peek).
    #[inline(always)]
    pub fn skip(&mut self, target: u32) {
        debug_assert!(self.cursor[target as usize] < self.offsets[target as usize + 1]);
        self.cursor[target as usize] += 1;
        self.pending -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spike::Gid;
    use proptest::prelude::*;

    fn classes() -> Vec<SynapseClass> {
        (1..=4)
            .map(|d| SynapseClass {
                weight: d as f64,
                delay: Time(d * 8),
            })
            .collect()
    }

    #[test]
    fn groups_by_target_in_key_order() {
        let mut q = EventQueue::new(3, Time(10), Time(32), &classes());
        // Source 5 at t=4 with delay 8 to targets 0 and 2; source 1 at t=4 to 0.
        q.push_run(Spike::at(Time(4), Gid(1)), &[0], &[0u16][..]);
        q.push_run(Spike::at(Time(4), Gid(5)), &[0, 2, 2], &[0u16, 0, 1][..]);
        q.push_run(Spike::at(Time(1), Gid(3)), &[2], &[1u16][..]);
        q.open(1);
        assert_eq!(q.active(), &[0, 2]);
        assert_eq!(q.pop(0).map(|x| (x.time.0, x.source.0)), Some((12, 1)));
        assert_eq!(q.pop(0).map(|x| (x.time.0, x.source.0)), Some((12, 5)));
        assert_eq!(q.pop(0), None);
        assert_eq!(q.pop(2).map(|x| (x.time.0, x.source.0)), Some((12, 5)));
        assert_eq!(q.pop(2).map(|x| (x.time.0, x.source.0)), Some((17, 3)));
        q.open(2);
        assert_eq!(
            q.pop(2).map(|x| (x.time.0, x.source.0, x.weight)),
            Some((20, 5, 2.0))
        );
        assert!(q.is_empty());
    }

    proptest! {
        #[test]
        fn every_delivery_comes_out_once_in_order(spikes in proptest::collection::vec((0u64..300, 0u32..4, proptest::collection::vec((0u32..6, 0u16..4), 0..5)), 0..60)) {
            let mut q = EventQueue::new(6, Time(8), Time(32), &classes());
            let mut spikes = spikes;
            spikes.sort_by_key(|s| (s.0, s.1));
            spikes.dedup_by_key(|s| (s.0, s.1));
            // As the engine does: the spikes of window k-1 are expanded
            // at its end, just before window k opens.
            let mut want = vec![];
            let mut got = vec![];
            for k in 0..=(340 / 8) {
                for (t, src, syn) in spikes.iter().filter(|s| s.0 / 8 + 1 == k) {
                    let mut syn = syn.clone();
                    syn.sort_by_key(|&(tg, c)| (c, tg));
                    let targets: Vec<u32> = syn.iter().map(|s| s.0).collect();
                    let cls: Vec<u16> = syn.iter().map(|s| s.1).collect();
                    q.push_run(Spike::at(Time(*t), Gid(*src)), &targets, &cls[..]);
                    for &(tg, c) in &syn {
                        want.push((tg, t + (c as u64 + 1) * 8, *src));
                    }
                }
                q.open(k);
                for tg in 0..6 {
                    let mut last = None;
                    while let Some(x) = q.pop(tg) {
                        prop_assert_eq!(q.window_of(x.time), k);
                        prop_assert!(last.is_none_or(|l| l <= (x.time, x.source)));
                        last = Some((x.time, x.source));
                        got.push((tg, x.time.0, x.source.0));
                    }
                }
            }
            want.sort();
            got.sort();
            prop_assert_eq!(got, want);
            prop_assert!(q.is_empty());
        }
    }
}
