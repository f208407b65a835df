//! Runs stored once for all sources whose synapses are the same up to a
//! shift of their targets.
//!
//! Why: a convolution connects every input pixel to the same kernel of
//! output neurons, shifted; stored synapse by synapse it takes
//! `pixels × kernel` entries, shared it takes one run per distinct case
//! (the interior, and each border where the kernel is cut) — memory of the
//! order of the kernel, whatever the image size. A shared run is the same
//! synapses in the same order once shifted, so delivery is unchanged bit
//! for bit.

use super::{ClassVec, Connectome};
use crate::spike::Gid;
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

/// Which stored run each source uses, and by how much its targets shift.
#[derive(Debug, Default)]
pub(super) struct SharedRuns {
    /// Per source gid: its run (run 0 is empty) and what is added to each
    /// stored target of it.
    pub(super) run_of: Vec<(u32, u32)>,
    /// Synapses in all (as if each source had its own run).
    pub(super) n_synapses: usize,
}

impl Connectome {
    /// The same synapses, with the runs of the sources flagged in `share`
    /// (by gid) stored once per distinct shape: a run is kept relative to
    /// its lowest target, and a source whose relative run (targets and
    /// classes, in order) equals a stored one uses that one.
    pub fn share_runs(self, share: &[bool]) -> Connectome {
        if self.shared.is_some() || !share.iter().any(|&f| f) {
            return self;
        }
        let n = self.n_sources();
        let mut runs = Runs::default();
        let mut shared = SharedRuns {
            run_of: vec![(0, 0); n],
            n_synapses: self.targets.len(),
        };
        let mut by_hash: HashMap<u64, Vec<u32>> = HashMap::new();
        let mut relative = Vec::new();
        for s in 0..n {
            let (a, b) = self.range_of(Gid(s as u32));
            let (a, b) = (a as usize, b as usize);
            if a == b {
                continue;
            }
            let targets = &self.targets[a..b];
            let shift = if share.get(s).copied().unwrap_or(false) {
                targets.iter().copied().min().unwrap_or(0)
            } else {
                0
            };
            relative.clear();
            relative.extend((a..b).map(|k| (targets[k - a] - shift, self.classes.get(k))));
            let mut h = DefaultHasher::new();
            relative.hash(&mut h);
            let candidates = by_hash.entry(h.finish()).or_default();
            let found = candidates
                .iter()
                .copied()
                .find(|&r| runs.equals(r, &relative));
            let r = found.unwrap_or_else(|| {
                let r = runs.push(&relative);
                candidates.push(r);
                r
            });
            shared.run_of[s] = (r, shift);
        }
        let mut classes = ClassVec::zeros(runs.classes.len(), self.table.len());
        for (k, &c) in runs.classes.iter().enumerate() {
            classes.set(k, c);
        }
        Connectome {
            offsets: runs.offsets,
            targets: runs.targets,
            classes,
            table: self.table,
            shared: Some(shared),
        }
    }
}

/// The distinct runs while they are collected; run 0 is the empty one.
struct Runs {
    offsets: Vec<u64>,
    targets: Vec<u32>,
    classes: Vec<u32>,
}

impl Default for Runs {
    fn default() -> Self {
        Runs {
            offsets: vec![0, 0],
            targets: Vec::new(),
            classes: Vec::new(),
        }
    }
}

impl Runs {
    fn push(&mut self, run: &[(u32, u32)]) -> u32 {
        self.targets.extend(run.iter().map(|&(t, _)| t));
        self.classes.extend(run.iter().map(|&(_, c)| c));
        self.offsets.push(self.targets.len() as u64);
        (self.offsets.len() - 2) as u32
    }

    fn equals(&self, r: u32, run: &[(u32, u32)]) -> bool {
        let (a, b) = (
            self.offsets[r as usize] as usize,
            self.offsets[r as usize + 1] as usize,
        );
        b - a == run.len()
            && run
                .iter()
                .zip(a..b)
                .all(|(&(t, c), k)| self.targets[k] == t && self.classes[k] == c)
    }
}

#[cfg(test)]
mod tests {
    use crate::connectome::ConnectomeBuilder;
    use crate::spike::Gid;
    use crate::time::Time;

    /// A 1-d convolution (kernel 3, padding 1) of 50 pixels onto 50.
    fn conv_1d(n: u32) -> ConnectomeBuilder {
        let kernel = [0.5, -1.0, 0.25];
        let mut b = ConnectomeBuilder::new(n + 1, n);
        for x in 0..n {
            for (k, &w) in kernel.iter().enumerate() {
                // Output y sees input y - 1 + k.
                let y = x as i64 + 1 - k as i64;
                if (0..n as i64).contains(&y) {
                    b.add(Gid(x), y as u32, w, Time(3)).unwrap();
                }
            }
        }
        // Source n: a run of its own, not shared.
        b.add(Gid(n), 7, 2.0, Time(5)).unwrap();
        b
    }

    #[test]
    fn shared_runs_keep_every_synapse_and_store_each_shape_once() {
        let n = 50;
        let plain = conv_1d(n).build();
        let mut share = vec![true; n as usize];
        share.push(false);
        let shared = conv_1d(n).build().share_runs(&share);
        assert_eq!(shared.len(), plain.len());
        assert_eq!(shared.n_sources(), plain.n_sources());
        for s in 0..=n {
            let a: Vec<_> = plain.synapses_of(Gid(s)).collect();
            let b: Vec<_> = shared.synapses_of(Gid(s)).collect();
            assert_eq!(a, b, "source {s}");
            assert_eq!(plain.run_shape_of(Gid(s)), shared.run_shape_of(Gid(s)));
        }
        assert_eq!(shared.sources_end(), plain.sources_end());
        // Interior, two borders, and source n's own run.
        assert_eq!(shared.offsets.len() - 2, 4);
        assert_eq!(shared.targets.len(), 3 + 2 + 2 + 1);
        assert!(shared.bytes() < plain.bytes());
    }

    proptest::proptest! {
        /// Whatever the runs (shifted copies of a few shapes, or not) and
        /// whichever sources are flagged, every source keeps its synapses.
        #[test]
        fn sharing_never_changes_a_sources_synapses(
            shapes in proptest::collection::vec(
                proptest::collection::btree_set((0u32..6, 0u32..3), 0..5), 1..4),
            sources in proptest::collection::vec((0usize..4, 0u32..40, proptest::bool::ANY), 1..30),
        ) {
            let n = sources.len() as u32;
            let build = || {
                let mut b = ConnectomeBuilder::new(n, 50);
                for (s, &(shape, shift, _)) in sources.iter().enumerate() {
                    for &(t, d) in &shapes[shape % shapes.len()] {
                        let w = f64::from(t) - 2.5;
                        b.add(Gid(s as u32), t + shift, w, Time(1 + u64::from(d))).unwrap();
                    }
                }
                b.build()
            };
            let share: Vec<bool> = sources.iter().map(|s| s.2).collect();
            let (plain, shared) = (build(), build().share_runs(&share));
            proptest::prop_assert_eq!(plain.len(), shared.len());
            for s in 0..n {
                let a: Vec<_> = plain.synapses_of(Gid(s)).collect();
                let b: Vec<_> = shared.synapses_of(Gid(s)).collect();
                proptest::prop_assert_eq!(a, b);
            }
        }
    }

    #[test]
    fn unflagged_sources_are_stored_as_they_were() {
        let plain = conv_1d(20).build();
        let kept = conv_1d(20).build().share_runs(&[false; 21]);
        assert!(kept.shared.is_none());
        assert_eq!(kept.targets, plain.targets);
    }
}
