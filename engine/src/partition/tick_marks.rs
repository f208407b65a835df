//! Which targets of one tick's arrivals are reached more than once.
//!
//! Why: several arrivals at one tick are summed per target before a target
//! takes them (`Direct::deliver_several`), through a table of per-neuron
//! sums as large as the partition. When the arrivals reach mostly
//! different neurons (a camera's retina fanning out into a reservoir), most
//! sums hold one input; a first pass over the tick's targets marks, in two
//! bit sets small enough for L1, the neurons reached twice, and only those
//! go through the sums. The others take `0 + w` straight away, with their
//! arrival's lag, which is what their sum would have handed over.

use super::step::{NeuronView, Step, Sum, PREFETCH_AHEAD};
use super::sums::Sums;
use super::trains::TrainView;
use crate::connectome::{RunClasses, RunVisitor, SynapseClass};
use crate::observer::Observer;
use crate::time::Time;

/// Two bits per local neuron: reached at this tick, reached again.
pub(super) struct TickMarks {
    seen: Vec<u64>,
    again: Vec<u64>,
}

impl TickMarks {
    pub(super) fn new(n: usize) -> Self {
        let words = n.div_ceil(64);
        TickMarks {
            seen: vec![0; words],
            again: vec![0; words],
        }
    }

    /// Note that neuron `i` is reached; whether it had been already.
    #[inline(always)]
    pub(super) fn reach(&mut self, i: u32) -> bool {
        let (w, bit) = ((i / 64) as usize, 1u64 << (i % 64));
        let before = self.seen[w] & bit != 0;
        self.seen[w] |= bit;
        if before {
            self.again[w] |= bit;
        }
        before
    }

    /// Whether neuron `i` is reached more than once; forgets that it was
    /// reached (the second pass clears as it goes).
    #[inline(always)]
    pub(super) fn reached_again(&mut self, i: u32) -> bool {
        let (w, bit) = ((i / 64) as usize, 1u64 << (i % 64));
        self.seen[w] &= !bit;
        self.again[w] & bit != 0
    }

    /// Forget that neuron `i` was reached more than once.
    #[inline(always)]
    pub(super) fn clear_again(&mut self, i: u32) {
        let (w, bit) = ((i / 64) as usize, 1u64 << (i % 64));
        self.again[w] &= !bit;
    }

    /// Whether no mark is left (between ticks, always).
    #[cfg(test)]
    pub(super) fn is_clear(&self) -> bool {
        self.seen.iter().chain(&self.again).all(|&w| w == 0)
    }
}

/// The first pass of `Direct::add_apart`: each target marked reached.
pub(super) struct Mark<'s> {
    pub(super) marks: &'s mut TickMarks,
}

impl RunVisitor for Mark<'_> {
    type Output = ();

    #[inline(always)]
    fn visit<C: RunClasses>(self, targets: &[u32], _: C) {
        for &i in targets {
            self.marks.reach(i);
        }
    }
}

/// The second pass of `Direct::add_apart`: a target reached once takes
/// its input, one reached again adds it to its sum.
pub(super) struct Apart<'s, 'a, const TRAINS: bool, S, N, T, O> {
    pub(super) marks: &'s mut TickMarks,
    pub(super) sums: &'s mut Sums<S>,
    pub(super) step: &'s mut Step<'a, N, T, O>,
    pub(super) lag: f32,
    pub(super) t: Time,
    pub(super) table: &'s [SynapseClass],
}

impl<const TRAINS: bool, S: Sum, N: NeuronView<Sum = S>, T: TrainView, O: Observer> RunVisitor
    for Apart<'_, '_, TRAINS, S, N, T, O>
{
    type Output = ();

    #[inline(always)]
    fn visit<C: RunClasses>(self, targets: &[u32], classes: C) {
        let Apart {
            marks,
            sums,
            step,
            lag,
            t,
            table,
        } = self;
        for (k, &i) in targets.iter().enumerate() {
            if let Some(&ahead) = targets.get(k + PREFETCH_AHEAD) {
                step.prefetch::<TRAINS>(ahead);
            }
            let w = classes.weight(k, table);
            if marks.reached_again(i) {
                sums.add(i, lag, w);
            } else {
                let mut sum = S::default();
                sum.add(w);
                step.deliver::<TRAINS>(step.local(i), t, lag, sum);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neurons_reached_twice_are_marked_and_every_mark_is_cleared() {
        let mut m = TickMarks::new(130);
        let targets = [3, 129, 64, 3, 7, 3];
        let again: Vec<bool> = targets.iter().map(|&i| m.reach(i)).collect();
        assert_eq!(again, [false, false, false, true, false, true]);
        let twice: Vec<bool> = targets.iter().map(|&i| m.reached_again(i)).collect();
        assert_eq!(twice, [true, false, false, true, false, true]);
        m.clear_again(3);
        assert!(m.is_clear());
    }
}
