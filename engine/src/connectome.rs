//! Compact synapse storage.
//!
//! Synapses are grouped by source (CSR): one offset per source, then per
//! synapse a `u32` target and a class index. A class is a distinct
//! `(weight, delay)` pair, kept in a table, so a static synapse costs 6 bytes
//! (u16 index, up to 65 536 classes) or 8 (u32 index, for networks with
//! per-synapse weight or delay distributions) while weights stay exact f64
//! values (needed to reproduce NEST bit for bit). Within a source, synapses are ordered by (delay, target) so
//! that expanding one spike writes each delay's deliveries together.
//!
//! Sources whose runs are the same up to a shift of their targets — a
//! convolution's, where every input pixel sees the same kernel — may share
//! one stored run ([`Connectome::share_runs`], `shared_runs.rs`): memory is
//! then that of the distinct runs (the kernel, once per border case) plus
//! 8 bytes per source.

mod builder;
mod shared_runs;

pub use builder::{check_synapse, ConnectomeBuilder, TwoPassBuilder};
use shared_runs::SharedRuns;

use crate::spike::Gid;
use crate::time::Time;
use thiserror::Error;

/// One distinct (weight, delay) pair.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SynapseClass {
    /// Weight (mV for delta synapses).
    pub weight: f64,
    /// Synaptic delay; always > 0.
    pub delay: Time,
}

/// Problems found while building a connectome.
#[derive(Debug, Error, PartialEq)]
pub enum ConnectomeError {
    /// A delay of zero ticks would break causality.
    #[error("synapse {source_gid} -> {target}: delay must be > 0")]
    ZeroDelay {
        /// Source gid.
        source_gid: u32,
        /// Target local index.
        target: u32,
    },
    /// A weight that is NaN or infinite.
    #[error("synapse {source_gid} -> {target}: weight {weight} is not finite")]
    BadWeight {
        /// Source gid.
        source_gid: u32,
        /// Target local index.
        target: u32,
        /// The weight.
        weight: f64,
    },
    /// More distinct (weight, delay) pairs than the class table holds.
    #[error(
        "more than {MAX_CLASSES} distinct (weight, delay) pairs; quantise weight distributions (`levels`) or delays more coarsely"
    )]
    TooManyClasses,
    /// Source or target outside the declared node range.
    #[error("synapse {source_gid} -> {target}: node id out of range")]
    OutOfRange {
        /// Source gid.
        source_gid: u32,
        /// Target local index.
        target: u32,
    },
}

/// The largest number of distinct (weight, delay) pairs in one connectome.
pub const MAX_CLASSES: usize = 1 << 24;

/// Per-synapse class indices: u16 while the table is small, u32 beyond.
#[derive(Debug, Clone)]
pub enum ClassVec {
    /// Up to 65 536 classes: 2 bytes per synapse.
    Narrow(Vec<u16>),
    /// More: 4 bytes per synapse.
    Wide(Vec<u32>),
}

/// A borrowed run of class indices (see [`ClassVec`]).
#[derive(Debug, Clone, Copy)]
pub enum Classes<'a> {
    /// u16 indices.
    Narrow(&'a [u16]),
    /// u32 indices.
    Wide(&'a [u32]),
}

impl Classes<'_> {
    /// Number of indices.
    pub fn len(&self) -> usize {
        match self {
            Classes::Narrow(c) => c.len(),
            Classes::Wide(c) => c.len(),
        }
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Index `k`.
    #[inline]
    pub fn get(&self, k: usize) -> u32 {
        match self {
            Classes::Narrow(c) => u32::from(c[k]),
            Classes::Wide(c) => c[k],
        }
    }
}

impl Default for ClassVec {
    fn default() -> Self {
        ClassVec::Narrow(Vec::new())
    }
}

impl ClassVec {
    /// `len` zeros, wide enough for `n_classes` classes.
    pub fn zeros(len: usize, n_classes: usize) -> Self {
        if n_classes <= 1 << 16 {
            ClassVec::Narrow(vec![0; len])
        } else {
            ClassVec::Wide(vec![0; len])
        }
    }

    #[inline]
    fn get(&self, k: usize) -> u32 {
        match self {
            ClassVec::Narrow(c) => u32::from(c[k]),
            ClassVec::Wide(c) => c[k],
        }
    }

    #[inline]
    fn set(&mut self, k: usize, v: u32) {
        match self {
            ClassVec::Narrow(c) => c[k] = v as u16,
            ClassVec::Wide(c) => c[k] = v,
        }
    }

    /// Set the classes from `k` on to those of `run` (`(target, class)`).
    #[inline]
    fn set_run(&mut self, k: usize, run: &[(u32, u32)]) {
        match self {
            ClassVec::Narrow(c) => {
                for (slot, &(_, v)) in c[k..k + run.len()].iter_mut().zip(run) {
                    *slot = v as u16;
                }
            }
            ClassVec::Wide(c) => {
                for (slot, &(_, v)) in c[k..k + run.len()].iter_mut().zip(run) {
                    *slot = v;
                }
            }
        }
    }

    /// Ask for the lines of indices `start..start + len` (the first 8 at
    /// most, as for the targets).
    #[inline(always)]
    fn prefetch(&self, start: usize, len: usize) {
        match self {
            ClassVec::Narrow(c) => prefetch_run_lines(c, start, len),
            ClassVec::Wide(c) => prefetch_run_lines(c, start, len),
        }
    }

    fn slice(&self, a: usize, b: usize) -> Classes<'_> {
        match self {
            ClassVec::Narrow(c) => Classes::Narrow(&c[a..b]),
            ClassVec::Wide(c) => Classes::Wide(&c[a..b]),
        }
    }
}

/// Ask for the lines of `values[start..start + len]`, the first 8 at most
/// (a hint: any range, in bounds or not).
#[inline(always)]
fn prefetch_run_lines<T>(values: &[T], start: usize, len: usize) {
    let first = values.as_ptr().wrapping_add(start).cast::<u8>();
    for offset in (0..(len * std::mem::size_of::<T>()).min(8 * 64)).step_by(64) {
        crate::dynamics::prefetch(first.wrapping_add(offset));
    }
}

/// The classes of a run of synapses: read per synapse, or one for all.
/// Loops over a run are compiled once per kind, with no dispatch per synapse.
pub trait RunClasses: Copy {
    /// The class of the run's synapse `k`.
    fn class(self, k: usize) -> u32;

    /// The weight of the run's synapse `k` (classes in `table`).
    #[inline(always)]
    fn weight(self, k: usize, table: &[SynapseClass]) -> f64 {
        table[self.class(k) as usize].weight
    }
}

impl RunClasses for &[u16] {
    #[inline(always)]
    fn class(self, k: usize) -> u32 {
        self[k].into()
    }
}

impl RunClasses for &[u32] {
    #[inline(always)]
    fn class(self, k: usize) -> u32 {
        self[k]
    }
}

/// Every synapse of a run has this class (its weight read once).
#[derive(Clone, Copy, Debug)]
pub struct OneClass {
    /// The class.
    pub class: u32,
    /// Its weight.
    pub weight: f64,
}

impl RunClasses for OneClass {
    #[inline(always)]
    fn class(self, _: usize) -> u32 {
        self.class
    }

    #[inline(always)]
    fn weight(self, _: usize, _: &[SynapseClass]) -> f64 {
        self.weight
    }
}

/// What the synapses of one source share ([`Connectome::run_shape_of`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunShape {
    /// One class (so one delay and one weight).
    Class(u32),
    /// Several classes of one delay.
    Delay(Time),
    /// Several delays, or no synapse.
    Split,
}

/// What is done with one run of synapses: [`Connectome::visit_run`] calls
/// it with the run's targets and classes in their stored kind.
pub trait RunVisitor {
    /// What the visit returns.
    type Output;
    /// Visit targets `targets[k]` over synapses of class `classes.class(k)`.
    fn visit<C: RunClasses>(self, targets: &[u32], classes: C) -> Self::Output;
}

/// Synapses grouped by source, targets local to one partition.
#[derive(Debug, Default)]
pub struct Connectome {
    /// The stored runs (CSR): run `r` is synapses `offsets[r]..offsets[r + 1]`;
    /// run `s` is source `s`'s unless runs are shared.
    offsets: Vec<u64>,
    targets: Vec<u32>,
    classes: ClassVec,
    table: Vec<SynapseClass>,
    shared: Option<SharedRuns>,
}

impl Connectome {
    /// Number of synapses.
    pub fn len(&self) -> usize {
        self.shared
            .as_ref()
            .map_or(self.targets.len(), |s| s.n_synapses)
    }

    /// Whether there is no synapse.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of source nodes the table covers.
    pub fn n_sources(&self) -> usize {
        match &self.shared {
            Some(s) => s.run_of.len(),
            None => self.offsets.len().saturating_sub(1),
        }
    }

    /// Bytes the synapses take: the stored runs, their offsets and, with
    /// shared runs, 8 per source.
    pub fn bytes(&self) -> usize {
        let shared = self.shared.as_ref().map_or(0, |s| 8 * s.run_of.len());
        self.targets.len() * self.bytes_per_synapse() + 8 * self.offsets.len() + shared
    }

    /// Out-degree of `source` into this partition.
    #[inline]
    pub fn out_degree(&self, source: Gid) -> usize {
        let (a, b) = self.range_of(source);
        (b - a) as usize
    }

    /// The class table (distinct weight/delay pairs).
    pub fn classes(&self) -> &[SynapseClass] {
        &self.table
    }

    /// The synapses of `source` as parallel slices of local targets (as
    /// stored: add [`shift_of`](Self::shift_of)) and class indices, ordered
    /// by (delay, target).
    #[inline]
    pub fn synapses_raw(&self, source: Gid) -> (&[u32], Classes<'_>) {
        let (a, b) = self.range_of(source);
        self.synapses_in(a, b)
    }

    /// One past the highest source gid with a synapse here (0 if none).
    pub fn sources_end(&self) -> u32 {
        let n = self.n_sources() as u32;
        (0..n)
            .rev()
            .find(|&s| self.out_degree(Gid(s)) > 0)
            .map_or(0, |s| s + 1)
    }

    /// The target of synapse `k` as stored (before a shared run's shift),
    /// for prefetching: `None` past the end.
    #[inline(always)]
    pub fn stored_target(&self, k: u64) -> Option<u32> {
        self.targets.get(k as usize).copied()
    }

    /// Ask for the cache line of stored target `k` (a hint).
    #[inline(always)]
    pub fn prefetch_target(&self, k: u64) {
        crate::dynamics::prefetch(self.targets.as_ptr().wrapping_add(k as usize));
    }

    /// Ask for the cache lines of the stored targets `start..start + len`
    /// and of their classes (a hint; the first 8 lines of each at most: a
    /// longer run streams in anyway).
    #[inline(always)]
    pub fn prefetch_targets(&self, start: u64, len: u32) {
        prefetch_run_lines(&self.targets, start as usize, len as usize);
        self.classes.prefetch(start as usize, len as usize);
    }

    /// Ask for the cache line of `source`'s [`range_of`](Self::range_of)
    /// (a hint: a shared run's indirection is not followed).
    #[inline(always)]
    pub fn prefetch_run(&self, source: Gid) {
        if self.shared.is_none() {
            crate::dynamics::prefetch(self.offsets.as_ptr().wrapping_add(source.0 as usize));
        }
    }

    /// Where `source`'s synapses sit in the arrays: `start..end`.
    #[inline]
    pub fn range_of(&self, source: Gid) -> (u64, u64) {
        let s = source.0 as usize;
        let r = match &self.shared {
            None => s,
            Some(shared) => match shared.run_of.get(s) {
                Some(&(r, _)) => r as usize,
                None => return (0, 0),
            },
        };
        if r + 1 >= self.offsets.len() {
            return (0, 0);
        }
        (self.offsets[r], self.offsets[r + 1])
    }

    /// What is added to the stored targets of `source`'s run (0 unless it
    /// shares a run stored for another source).
    #[inline]
    pub fn shift_of(&self, source: Gid) -> u32 {
        self.shared
            .as_ref()
            .and_then(|s| s.run_of.get(source.0 as usize))
            .map_or(0, |&(_, shift)| shift)
    }

    /// Synapses `a..b` (positions in the arrays, see
    /// [`range_of`](Self::range_of)) as parallel slices of targets and classes.
    #[inline]
    pub fn synapses_in(&self, a: u64, b: u64) -> (&[u32], Classes<'_>) {
        let (a, b) = (a as usize, b as usize);
        (&self.targets[a..b], self.classes.slice(a, b))
    }

    /// Visit synapses `a..b` of `source` (see [`range_of`](Self::range_of))
    /// with `visitor`, their targets shifted into `shifted` if the run is
    /// shared ([`shift_of`](Self::shift_of)); `one_class`, if the caller
    /// knows that every one of them has that class, saves reading their
    /// classes.
    #[inline(always)]
    pub fn visit_targets<V: RunVisitor>(
        &self,
        source: Gid,
        (a, b): (u64, u64),
        one_class: Option<u32>,
        shifted: &mut Vec<u32>,
        visitor: V,
    ) -> V::Output {
        let stored = &self.targets[a as usize..b as usize];
        let shift = self.shift_of(source);
        let targets = if shift == 0 {
            stored
        } else {
            shifted.clear();
            shifted.extend(stored.iter().map(|&t| t + shift));
            &shifted[..]
        };
        self.visit_with(targets, (a, b), one_class, visitor)
    }

    /// Visit synapses `a..b` (see [`range_of`](Self::range_of)) with
    /// `visitor`, their targets as stored (see
    /// [`visit_targets`](Self::visit_targets) for targets that count).
    #[inline(always)]
    pub fn visit_run<V: RunVisitor>(
        &self,
        a: u64,
        b: u64,
        one_class: Option<u32>,
        visitor: V,
    ) -> V::Output {
        self.visit_with(
            &self.targets[a as usize..b as usize],
            (a, b),
            one_class,
            visitor,
        )
    }

    /// Visit `targets` over the classes of synapses `a..b`. The one place
    /// that tells the stored kinds of class indices apart.
    #[inline(always)]
    fn visit_with<V: RunVisitor>(
        &self,
        targets: &[u32],
        (a, b): (u64, u64),
        one_class: Option<u32>,
        visitor: V,
    ) -> V::Output {
        match one_class {
            Some(class) => visitor.visit(
                targets,
                OneClass {
                    class,
                    weight: self.table[class as usize].weight,
                },
            ),
            None => match self.classes.slice(a as usize, b as usize) {
                Classes::Narrow(c) => visitor.visit(targets, c),
                Classes::Wide(c) => visitor.visit(targets, c),
            },
        }
    }

    /// Whether the synapses of `source` share one class, or else one delay
    /// (a source with none has [`RunShape::Split`]: it makes no arrival).
    pub fn run_shape_of(&self, source: Gid) -> RunShape {
        struct Shape<'t>(&'t [SynapseClass]);
        impl RunVisitor for Shape<'_> {
            type Output = RunShape;
            fn visit<C: RunClasses>(self, targets: &[u32], classes: C) -> RunShape {
                let c0 = classes.class(0);
                // Branch-free (vectorised): one test for the whole run.
                let differ = (1..targets.len()).fold(0, |acc, k| acc | (classes.class(k) ^ c0));
                if differ == 0 {
                    return RunShape::Class(c0);
                }
                let d0 = self.0[c0 as usize].delay;
                let one_delay =
                    (1..targets.len()).all(|k| self.0[classes.class(k) as usize].delay == d0);
                if one_delay {
                    RunShape::Delay(d0)
                } else {
                    RunShape::Split
                }
            }
        }
        let (a, b) = self.range_of(source);
        if a == b {
            return RunShape::Split;
        }
        self.visit_run(a, b, None, Shape(&self.table))
    }

    /// Bytes per synapse of the index arrays (4 + 2 or 4 + 4).
    pub fn bytes_per_synapse(&self) -> usize {
        match self.classes {
            ClassVec::Narrow(_) => 6,
            ClassVec::Wide(_) => 8,
        }
    }

    /// The synapses of `source` as `(target, class)` pairs.
    pub fn synapses_of(&self, source: Gid) -> impl Iterator<Item = (u32, SynapseClass)> + '_ {
        let (a, b) = self.range_of(source);
        let shift = self.shift_of(source);
        (a as usize..b as usize).map(move |k| {
            let class = self.table[self.classes.get(k) as usize];
            (self.targets[k] + shift, class)
        })
    }
}
