//! Per-neuron clocks besides deliveries and trains: each neuron's predicted
//! spike time (a current-driven crossing), and the [`SpikeForecast`] index
//! that finds the neurons whose prediction falls in a window.

use crate::dynamics::Forecast;
use crate::forecast::SpikeForecast;
use crate::time::Time;

/// One partition's predictions.
pub(super) struct Clocks {
    /// Per neuron: its prediction (`NEVER` if none). The truth; the index
    /// follows it at [`update_index`](Self::update_index).
    at: Vec<Time>,
    index: SpikeForecast,
    /// Neurons whose prediction changed since the index last followed, and
    /// those taken out of it since. Every other neuron's entry in the index
    /// is its `at`, so a prediction set to what it was changes nothing.
    changed: Vec<u32>,
}

impl Clocks {
    /// Clocks of `n` neurons, none predicting.
    pub(super) fn new(n: usize) -> Self {
        Clocks {
            at: vec![Time::NEVER; n],
            index: SpikeForecast::default(),
            changed: Vec::new(),
        }
    }

    /// Neuron `i`'s prediction.
    #[inline(always)]
    pub(super) fn at(&self, i: u32) -> Time {
        self.at[i as usize]
    }

    /// Neuron `i`'s prediction is being handled: it has none.
    #[inline(always)]
    pub(super) fn clear(&mut self, i: u32) {
        self.at[i as usize] = Time::NEVER;
        self.changed.push(i);
    }

    /// Neuron `i`'s prediction changed (or not) as `f` says.
    #[inline(always)]
    pub(super) fn set(&mut self, i: u32, f: Forecast) {
        let t = match f {
            Forecast::Unchanged => return,
            Forecast::At(t) => t,
            Forecast::Never => Time::NEVER,
        };
        // Most inputs leave a neuron without a prediction, as it was: no
        // change for the index to follow.
        if self.at[i as usize] != t {
            self.at[i as usize] = t;
            self.changed.push(i);
        }
    }

    /// Hint that neuron `i`'s prediction (any index) is read soon.
    #[inline(always)]
    pub(super) fn prefetch(&self, i: u32) {
        crate::dynamics::prefetch(self.at.as_ptr().wrapping_add(i as usize));
    }

    /// Bring the index up to date.
    pub(super) fn update_index(&mut self) {
        for &i in &self.changed {
            match self.at[i as usize] {
                Time::NEVER => self.index.clear(i),
                t => self.index.set(i, t),
            }
        }
        self.changed.clear();
    }

    /// Append the neurons whose prediction falls before `end` to `out`,
    /// taking them out of the index (they are handled now; what they
    /// predict next goes back in at the next [`update_index`](Self::update_index)).
    pub(super) fn take_due(&mut self, end: Time, out: &mut Vec<u32>) {
        self.update_index();
        while let Some((i, t)) = self.index.peek() {
            if t >= end {
                break;
            }
            self.index.pop();
            out.push(i);
            // Out of the index, whatever `at` says: followed again.
            self.changed.push(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn due(c: &mut Clocks, end: u64) -> Vec<u32> {
        let mut out = Vec::new();
        c.take_due(Time(end), &mut out);
        out
    }

    #[test]
    fn a_prediction_set_again_after_it_was_taken_is_due_again() {
        let mut c = Clocks::new(4);
        c.set(2, Forecast::At(Time(10)));
        assert_eq!(due(&mut c, 20), [2]);
        // Handled without a `clear` (its input predicts the same time).
        c.set(2, Forecast::At(Time(10)));
        assert_eq!(due(&mut c, 20), [2]);
    }

    #[test]
    fn no_prediction_twice_indexes_nothing() {
        let mut c = Clocks::new(4);
        c.set(1, Forecast::Never);
        c.set(1, Forecast::Never);
        assert!(c.changed.is_empty());
        assert_eq!(due(&mut c, u64::MAX - 1), Vec::<u32>::new());
    }

    proptest! {
        /// Whatever the sequence of predictions, a `take_due` finds exactly the
        /// neurons whose prediction is before its end, in time order, when
        /// every neuron taken is handled (`clear`, then predicted again).
        #[test]
        fn due_neurons_are_those_predicted_before_the_end(
            ops in prop::collection::vec((0u32..6, 0u64..4, 0u64..40), 1..200),
        ) {
            let mut c = Clocks::new(6);
            let mut truth = [Time::NEVER; 6];
            for (i, kind, t) in ops {
                match kind {
                    0 => c.set(i, Forecast::Unchanged),
                    1 => {
                        c.set(i, Forecast::Never);
                        truth[i as usize] = Time::NEVER;
                    }
                    2 => {
                        c.set(i, Forecast::At(Time(t)));
                        truth[i as usize] = Time(t);
                    }
                    _ => {
                        let mut want: Vec<(Time, u32)> = (0..6u32)
                            .filter(|&k| truth[k as usize] < Time(t))
                            .map(|k| (truth[k as usize], k))
                            .collect();
                        want.sort();
                        let got = due(&mut c, t);
                        prop_assert_eq!(got.clone(), want.iter().map(|w| w.1).collect::<Vec<_>>());
                        for k in got {
                            c.clear(k);
                            truth[k as usize] = Time::NEVER;
                        }
                    }
                }
            }
        }
    }
}
