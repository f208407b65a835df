//! Per-target sums of one tick's inputs: when several arrivals share a
//! tick, each target's inputs are added up first (in arrival order) and
//! the target takes their sum once (inputs at one instant act together).

use super::step::{NeuronView, Step, Sum, PREFETCH_AHEAD};
use super::trains::TrainView;
use crate::observer::Observer;
use crate::time::Time;

/// Per-target sums of one tick's inputs (several arrivals sharing a tick).
pub(super) struct Sums<S> {
    /// Per local neuron: its sum, the lag of the arrival touching it first,
    /// and the tick number it belongs to (16 bytes for plain neurons: the
    /// table a tick's arrivals scatter into stays small beside the state).
    entries: Vec<Entry<S>>,
    /// Numbers the ticks summed (wraps: then every entry is reset).
    tick: u32,
    /// Neurons with a sum at the current tick, in first-touch order.
    touched: Vec<u32>,
}

#[derive(Clone, Copy, Default)]
struct Entry<S> {
    sum: S,
    lag: f32,
    tick: u32,
}

impl<S: Sum> Sums<S> {
    pub(super) fn new(n: usize) -> Self {
        Sums {
            entries: vec![Entry::default(); n],
            tick: 0,
            touched: Vec::new(),
        }
    }

    /// Start the next tick's sums.
    pub(super) fn next_tick(&mut self) {
        if self.tick == u32::MAX {
            self.entries.fill(Entry::default());
            self.tick = 0;
        }
        self.tick += 1;
    }

    /// Add `w` (of an arrival with `lag`) to neuron `i`'s sum; whether this
    /// is its first touch at this tick (then it starts from zero and is listed).
    #[inline(always)]
    pub(super) fn add(&mut self, i: u32, lag: f32, w: f64) -> bool {
        let tick = self.tick;
        let e = &mut self.entries[i as usize];
        let first = e.tick != tick;
        if first {
            *e = Entry {
                sum: S::default(),
                lag,
                tick,
            };
            self.touched.push(i);
        }
        e.sum.add(w);
        first
    }

    /// Neurons with a sum at the current tick.
    pub(super) fn touched(&self) -> &[u32] {
        &self.touched
    }

    #[inline(always)]
    pub(super) fn prefetch(&self, i: u32) {
        crate::dynamics::prefetch(self.entries.as_ptr().wrapping_add(i as usize));
    }

    /// Hand every touched neuron its sum at tick `t`.
    #[inline(always)]
    pub(super) fn deliver<const TRAINS: bool, const LAGGED: bool, N, T, O>(
        &mut self,
        step: &mut Step<'_, N, T, O>,
        t: Time,
    ) where
        N: NeuronView<Sum = S>,
        T: TrainView,
        O: Observer,
    {
        for (k, &i) in self.touched.iter().enumerate() {
            if let Some(&ahead) = self.touched.get(k + PREFETCH_AHEAD) {
                step.prefetch::<TRAINS>(ahead);
            }
            let e = self.entries[i as usize];
            let lag = if LAGGED { e.lag } else { 0.0 };
            step.deliver::<TRAINS>(step.local(i), t, lag, e.sum);
        }
        self.touched.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tick's sums start from 0 at each target's first touch, list each
    /// target once, and survive the tick counter's wrap (a stale sum of tick
    /// 1 must not pass for one of the tick after the wrap).
    #[test]
    fn sums_start_fresh_each_tick_across_the_wrap() {
        let mut s = Sums::<f64>::new(4);
        s.next_tick();
        assert!(s.add(0, 0.0, 0.5));
        assert!(s.add(1, 0.0, 0.5));
        assert!(!s.add(1, 0.0, 0.5));
        assert_eq!(s.touched, [0, 1]);
        assert_eq!((s.entries[0].sum, s.entries[1].sum), (0.5, 1.0));
        s.touched.clear();
        s.tick = u32::MAX;
        s.entries[2] = Entry {
            sum: 7.0,
            lag: 0.0,
            tick: 1,
        };
        s.next_tick();
        assert_eq!(s.tick, 1);
        s.add(1, 0.0, 0.25);
        s.add(2, 0.0, 0.25);
        assert_eq!(s.touched, [1, 2]);
        assert_eq!((s.entries[1].sum, s.entries[2].sum), (0.25, 0.25));
    }
}
