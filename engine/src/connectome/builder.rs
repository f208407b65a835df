//! Building a connectome: edges in any order ([`ConnectomeBuilder`]), or in
//! two passes over a deterministic generator ([`TwoPassBuilder`]), packed
//! into the CSR form of [`Connectome`].

use super::{ClassVec, Connectome, ConnectomeError, SynapseClass, MAX_CLASSES};
use crate::spike::Gid;
use crate::time::Time;
use std::collections::HashMap;

/// Check a synapse's weight (finite) and delay (> 0 ticks).
pub fn check_synapse(
    source: Gid,
    target: u32,
    weight: f64,
    delay: Time,
) -> Result<(), ConnectomeError> {
    let source_gid = source.0;
    if delay.0 == 0 {
        return Err(ConnectomeError::ZeroDelay { source_gid, target });
    }
    if !weight.is_finite() {
        return Err(ConnectomeError::BadWeight {
            source_gid,
            target,
            weight,
        });
    }
    Ok(())
}

/// The distinct (weight, delay) pairs of a connectome, interned.
#[derive(Default)]
struct ClassTable {
    classes: Vec<SynapseClass>,
    index: HashMap<(u64, u64), u32>,
}

impl ClassTable {
    fn intern(&mut self, weight: f64, delay: Time) -> Result<u32, ConnectomeError> {
        let key = (weight.to_bits(), delay.0);
        if let Some(&c) = self.index.get(&key) {
            return Ok(c);
        }
        if self.classes.len() >= MAX_CLASSES {
            return Err(ConnectomeError::TooManyClasses);
        }
        let c = self.classes.len() as u32;
        self.classes.push(SynapseClass { weight, delay });
        self.index.insert(key, c);
        Ok(c)
    }
}

/// Collects edges in any order, then packs them.
#[derive(Default)]
pub struct ConnectomeBuilder {
    n_sources: u32,
    n_targets: u32,
    edges: Vec<(u32, u32, u32)>,
    table: ClassTable,
}

impl ConnectomeBuilder {
    /// A builder for sources `0..n_sources` (gids) and targets `0..n_targets` (local).
    pub fn new(n_sources: u32, n_targets: u32) -> Self {
        ConnectomeBuilder {
            n_sources,
            n_targets,
            ..Default::default()
        }
    }

    /// Reserve room for `n` more edges.
    pub fn reserve(&mut self, n: usize) {
        self.edges.reserve(n);
    }

    /// Intern a (weight, delay) pair.
    pub fn class(&mut self, weight: f64, delay: Time) -> Result<u32, ConnectomeError> {
        self.table.intern(weight, delay)
    }

    /// Add one synapse.
    pub fn add(
        &mut self,
        source: Gid,
        target: u32,
        weight: f64,
        delay: Time,
    ) -> Result<(), ConnectomeError> {
        if source.0 >= self.n_sources || target >= self.n_targets {
            return Err(ConnectomeError::OutOfRange {
                source_gid: source.0,
                target,
            });
        }
        check_synapse(source, target, weight, delay)?;
        let c = self.class(weight, delay)?;
        self.add_with_class(source, target, c);
        Ok(())
    }

    /// Add one synapse of an already interned class (generators' fast path).
    #[inline]
    pub fn add_with_class(&mut self, source: Gid, target: u32, class: u32) {
        debug_assert!(source.0 < self.n_sources && target < self.n_targets);
        self.edges.push((source.0, target, class));
    }

    /// Number of edges added so far.
    pub fn len(&self) -> usize {
        self.edges.len()
    }

    /// Whether no edge was added.
    pub fn is_empty(&self) -> bool {
        self.edges.is_empty()
    }

    /// Pack into CSR form (counting sort by source, then (delay, target) inside).
    pub fn build(self) -> Connectome {
        let n = self.n_sources as usize;
        let mut offsets = vec![0u64; n + 1];
        for &(s, _, _) in &self.edges {
            offsets[s as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let m = self.edges.len();
        let mut targets = vec![0u32; m];
        let mut classes = ClassVec::zeros(m, self.table.classes.len());
        let mut fill: Vec<u64> = offsets[..n].to_vec();
        for (s, t, c) in self.edges {
            let k = fill[s as usize] as usize;
            targets[k] = t;
            classes.set(k, c);
            fill[s as usize] += 1;
        }
        pack(offsets, targets, classes, self.table.classes)
    }
}

/// Order each source's synapses by (delay, target, weight) and wrap up.
fn pack(
    offsets: Vec<u64>,
    mut targets: Vec<u32>,
    mut classes: ClassVec,
    table: Vec<SynapseClass>,
) -> Connectome {
    let n = offsets.len().saturating_sub(1);
    let mut scratch: Vec<(u64, u32, u64, u32)> = Vec::new();
    // With one delay for all, most pairs are told apart by the target alone.
    let one_delay = table.iter().all(|c| c.delay == table[0].delay);
    for s in 0..n {
        let (a, b) = (offsets[s] as usize, offsets[s + 1] as usize);
        if b - a < 2 {
            continue;
        }
        let key = |k: usize| {
            let ck = classes.get(k);
            let c = &table[ck as usize];
            (c.delay.0, targets[k], c.weight.to_bits(), ck)
        };
        // Generators that walk targets in order leave most segments sorted.
        let in_order = |k: usize| {
            if one_delay && targets[k - 1] != targets[k] {
                targets[k - 1] < targets[k]
            } else {
                key(k - 1) <= key(k)
            }
        };
        if (a + 1..b).all(in_order) {
            continue;
        }
        scratch.clear();
        scratch.extend((a..b).map(key));
        scratch.sort_unstable();
        for (j, &(_, t, _, c)) in scratch.iter().enumerate() {
            targets[a + j] = t;
            classes.set(a + j, c);
        }
    }
    Connectome {
        offsets,
        targets,
        classes,
        table,
        shared: None,
    }
}

/// Builds a connectome in two passes over the same edges — count, then
/// place — so that no edge list is ever held: memory is the final 6 bytes
/// per synapse plus one counter per source. Generators are deterministic,
/// so they simply run twice.
pub struct TwoPassBuilder {
    n_targets: u32,
    table: ClassTable,
    /// Per source: the count (first pass), then the fill position.
    counts: Vec<u64>,
    offsets: Vec<u64>,
    targets: Vec<u32>,
    syn_classes: ClassVec,
    filling: bool,
    added: u64,
    /// Placing pass: synapses `(source, target, class)` staged in arrival
    /// order, then written grouped by source (see [`Self::flush`]).
    staged: Vec<(u32, u32, u32)>,
    /// The staged synapses' `(target, class)`, grouped by source.
    grouped: Vec<(u32, u32)>,
    /// Counting-sort scratch: per source, its first slot in `grouped`.
    slot: Vec<u32>,
}

/// Synapses staged before a flush: at least this many, and at least twice
/// the number of sources (so the per-flush cost per source is amortised).
const STAGE_MIN: usize = 1 << 18;
/// At most this many (2^21 x 20 bytes staged and grouped: 40 MB).
const STAGE_MAX: usize = 1 << 21;

impl TwoPassBuilder {
    /// A builder for sources `0..n_sources` (gids) and targets `0..n_targets` (local).
    pub fn new(n_sources: u32, n_targets: u32) -> Self {
        TwoPassBuilder {
            n_targets,
            table: ClassTable::default(),

            counts: vec![0; n_sources as usize],
            offsets: Vec::new(),
            targets: Vec::new(),
            syn_classes: ClassVec::Narrow(Vec::new()),
            filling: false,
            added: 0,
            staged: Vec::new(),
            grouped: Vec::new(),
            slot: Vec::new(),
        }
    }

    /// Write the staged synapses into their CSR slots, grouped by source.
    ///
    /// Why: generators emit synapses by target, so writing each straight to
    /// its source's fill position touches a different cache line per synapse
    /// (measured: ~60 % of Brunel scale-4 construction waited on those
    /// stores). A stable counting sort of a cache-sized batch by source turns
    /// them into short sequential runs per source; the order within a source
    /// (arrival order) is unchanged, so the connectome is the same.
    fn flush(&mut self) {
        if self.staged.is_empty() {
            return;
        }
        let n = self.counts.len();
        self.slot.clear();
        self.slot.resize(n + 1, 0);
        for &(s, _, _) in &self.staged {
            self.slot[s as usize + 1] += 1;
        }
        for i in 0..n {
            self.slot[i + 1] += self.slot[i];
        }
        self.grouped.clear();
        self.grouped.resize(self.staged.len(), (0, 0));
        for &(s, t, c) in &self.staged {
            let p = &mut self.slot[s as usize];
            self.grouped[*p as usize] = (t, c);
            *p += 1;
        }
        // `slot[s]` is now the end of source `s`'s run (the start of the
        // next one's): each run is copied into its CSR slots at once.
        let mut start = 0;
        for s in 0..n {
            let end = self.slot[s] as usize;
            if end > start {
                let run = &self.grouped[start..end];
                let k = self.counts[s] as usize;
                for (slot, &(t, _)) in self.targets[k..k + run.len()].iter_mut().zip(run) {
                    *slot = t;
                }
                self.syn_classes.set_run(k, run);
                self.counts[s] += run.len() as u64;
            }
            start = end;
        }
        self.staged.clear();
    }

    /// Intern a (weight, delay) pair.
    pub fn class(&mut self, weight: f64, delay: Time) -> Result<u32, ConnectomeError> {
        self.table.intern(weight, delay)
    }

    /// The delay of class `c`.
    #[inline]
    pub fn delay_of(&self, c: u32) -> Time {
        self.table.classes[c as usize].delay
    }

    /// Count (first pass) or place (second pass) one synapse.
    #[inline]
    pub fn add_with_class(&mut self, source: Gid, target: u32, class: u32) {
        self.add_sources_with_class(std::slice::from_ref(&source.0), target, class);
    }

    /// [`add_with_class`](Self::add_with_class) for each of `sources`, in
    /// order (one test of the pass and one staging check per run, not per
    /// synapse).
    #[inline]
    pub fn add_sources_with_class(&mut self, sources: &[u32], target: u32, class: u32) {
        debug_assert!(target < self.n_targets);
        self.added += sources.len() as u64;
        if !self.filling {
            for &s in sources {
                self.counts[s as usize] += 1;
            }
            return;
        }
        let mut rest = sources;
        while !rest.is_empty() {
            let room = self.staged.capacity() - self.staged.len();
            let (now, later) = rest.split_at(room.min(rest.len()));
            self.staged.extend(now.iter().map(|&s| (s, target, class)));
            if self.staged.len() == self.staged.capacity() {
                self.flush();
            }
            rest = later;
        }
    }

    /// Synapses added in the current pass.
    pub fn len(&self) -> u64 {
        self.added
    }

    /// Whether none was added in the current pass.
    pub fn is_empty(&self) -> bool {
        self.added == 0
    }

    /// Whether this is the placing (second) pass.
    pub fn is_filling(&self) -> bool {
        self.filling
    }

    /// End the counting pass: allocate exactly, start placing.
    pub fn start_filling(&mut self) {
        let n = self.counts.len();
        let mut offsets = vec![0u64; n + 1];
        for s in 0..n {
            offsets[s + 1] = offsets[s] + self.counts[s];
        }
        let m = offsets[n] as usize;
        self.counts.copy_from_slice(&offsets[..n]);
        self.offsets = offsets;
        self.targets = vec![0; m];
        // The first pass interned every class: the index width is known.
        self.syn_classes = ClassVec::zeros(m, self.table.classes.len());
        self.filling = true;
        self.added = 0;
        // Longer batches make longer per-source runs (fewer cache lines per
        // synapse); ~1/64 of the synapses, at most 2^21 (40 MB staged).
        let stage = (m / 64)
            .clamp(STAGE_MIN, STAGE_MAX)
            .max(2 * n)
            .min(m.max(1));
        self.staged = Vec::with_capacity(stage);
        self.grouped = Vec::with_capacity(stage);
    }

    /// Pack. Both passes must have added the same synapses.
    pub fn build(mut self) -> Connectome {
        self.flush();
        self.staged = Vec::new();
        self.grouped = Vec::new();
        self.slot = Vec::new();
        debug_assert!(self.filling, "build() after the second pass");
        debug_assert!(
            self.counts
                .iter()
                .zip(&self.offsets[1..])
                .all(|(a, b)| a == b),
            "the two passes added different synapses"
        );
        pack(
            self.offsets,
            self.targets,
            self.syn_classes,
            self.table.classes,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectome::Classes;

    #[test]
    fn builds_csr_sorted_by_delay_then_target() {
        let mut b = ConnectomeBuilder::new(3, 4);
        let d1 = Time(10);
        let d2 = Time(5);
        b.add(Gid(1), 3, 1.0, d1).unwrap();
        b.add(Gid(1), 0, 1.0, d1).unwrap();
        b.add(Gid(1), 2, -1.0, d2).unwrap();
        b.add(Gid(0), 1, 0.5, d2).unwrap();
        let c = b.build();
        assert_eq!(c.len(), 4);
        assert_eq!(c.out_degree(Gid(1)), 3);
        assert_eq!(c.out_degree(Gid(2)), 0);
        let t: Vec<u32> = c.synapses_of(Gid(1)).map(|(t, _)| t).collect();
        assert_eq!(t, vec![2, 0, 3]);
        let (targets, classes) = c.synapses_raw(Gid(1));
        assert_eq!(targets, &[2, 0, 3]);
        let delays: Vec<Time> = (0..classes.len())
            .map(|k| c.classes()[classes.get(k) as usize].delay)
            .collect();
        assert_eq!(delays, vec![Time(5), Time(10), Time(10)]);
        assert_eq!(c.classes().iter().map(|k| k.delay).min(), Some(Time(5)));
    }

    #[test]
    fn two_passes_in_runs_and_several_flushes_build_the_same_connectome() {
        // 600 k synapses: the placing pass stages 2^18 at a time (3 flushes).
        let (n_sources, n_targets) = (500u32, 300u32);
        let mut x = 12345u64;
        let mut next = move || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) as u32
        };
        let runs: Vec<(u32, Vec<u32>, u32)> = (0..2000)
            .map(|k| {
                let len = 200 + next() % 200;
                let sources = (0..len).map(|_| next() % n_sources).collect();
                (k % n_targets, sources, next() % 3)
            })
            .collect();
        let class_of = |c: u32| (f64::from(c) - 1.0, Time(1 + u64::from(c)));
        let mut simple = ConnectomeBuilder::new(n_sources, n_targets);
        let mut two = TwoPassBuilder::new(n_sources, n_targets);
        for pass in 0..2 {
            if pass == 1 {
                two.start_filling();
            }
            for (target, sources, c) in &runs {
                let (w, d) = class_of(*c);
                let class = two.class(w, d).unwrap();
                two.add_sources_with_class(sources, *target, class);
                if pass == 0 {
                    for &s in sources {
                        simple.add(Gid(s), *target, w, d).unwrap();
                    }
                }
            }
        }
        assert!(two.len() > 2 * (1 << 18));
        let (a, b) = (simple.build(), two.build());
        assert_eq!(a.classes(), b.classes());
        for s in 0..n_sources {
            let ((ta, ca), (tb, cb)) = (a.synapses_raw(Gid(s)), b.synapses_raw(Gid(s)));
            assert_eq!(ta, tb, "source {s}");
            let classes = |c: &Classes| (0..c.len()).map(|k| c.get(k)).collect::<Vec<_>>();
            assert_eq!(classes(&ca), classes(&cb), "source {s}");
        }
    }

    #[test]
    fn many_classes_widen_the_index() {
        let mut b = ConnectomeBuilder::new(2, 1);
        for k in 0..70_000u32 {
            b.add(Gid(k % 2), 0, k as f64, Time(1 + u64::from(k % 3)))
                .unwrap();
        }
        let c = b.build();
        assert_eq!(c.bytes_per_synapse(), 8);
        assert_eq!(c.classes().len(), 70_000);
        let mut w: Vec<f64> = c.synapses_of(Gid(1)).map(|(_, s)| s.weight).collect();
        w.sort_by(f64::total_cmp);
        assert_eq!(w.len(), 35_000);
        assert_eq!(w[0], 1.0);
        assert_eq!(w[34_999], 69_999.0);
    }

    #[test]
    fn rejects_bad_synapses() {
        let mut b = ConnectomeBuilder::new(2, 2);
        assert!(matches!(
            b.add(Gid(0), 1, 1.0, Time(0)),
            Err(ConnectomeError::ZeroDelay { .. })
        ));
        assert!(matches!(
            b.add(Gid(5), 1, 1.0, Time(1)),
            Err(ConnectomeError::OutOfRange { .. })
        ));
        assert!(matches!(
            b.add(Gid(0), 1, f64::NAN, Time(1)),
            Err(ConnectomeError::BadWeight { .. })
        ));
    }
}
