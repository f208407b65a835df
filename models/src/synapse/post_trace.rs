//! A neuron's spike history as STDP synapses read it (NEST's
//! `ArchivingNode`): the trace `Kminus` (time constant `tau_minus`, a
//! parameter of the neuron) after each spike, kept until every incoming STDP
//! synapse has read the spike.
//!
//! Times are compared with NEST's tolerance of 1e-6 ms, so that a post
//! spike exactly `d` before a pre spike counts as "before" it.

use std::collections::VecDeque;

/// NEST's `stdp_eps` (ms).
pub const STDP_EPS: f64 = 1.0e-6;

/// One past spike.
#[derive(Clone, Copy, Debug)]
struct Entry {
    t: f64,
    kminus: f64,
    /// How many incoming STDP synapses have read it.
    reads: u32,
}

/// The spike history of one neuron.
#[derive(Clone, Debug)]
pub struct PostTrace {
    tau_minus_inv: f64,
    kminus: f64,
    last_spike: f64,
    history: VecDeque<Entry>,
    /// Number of incoming STDP synapses (0: no history is kept).
    n_incoming: u32,
    /// A spike may be forgotten once read by all and followed by one more
    /// than this before the newest (twice the longest incoming delay: a
    /// synapse reads the history when its spike arrives, up to one delay
    /// after NEST would, and looks back one more delay).
    horizon: f64,
}

impl PostTrace {
    /// The history of a neuron with trace time constant `tau_minus` (ms).
    pub fn new(tau_minus: f64) -> Self {
        PostTrace {
            tau_minus_inv: 1.0 / tau_minus,
            kminus: 0.0,
            last_spike: -1.0,
            history: VecDeque::new(),
            n_incoming: 0,
            horizon: 0.0,
        }
    }

    /// Register one more incoming STDP synapse of delay `delay` (ms).
    pub fn add_incoming(&mut self, delay: f64) {
        self.n_incoming += 1;
        self.horizon = self.horizon.max(2.0 * delay);
    }

    /// Spikes kept.
    pub fn len(&self) -> usize {
        self.history.len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.history.is_empty()
    }

    /// The neuron fired at `t` (ms).
    pub fn on_spike(&mut self, t: f64) {
        if self.n_incoming == 0 {
            self.last_spike = t;
            return;
        }
        while self.history.len() > 1 {
            let next = self.history[1].t;
            if self.history[0].reads >= self.n_incoming && t - next > self.horizon + STDP_EPS {
                self.history.pop_front();
            } else {
                break;
            }
        }
        self.kminus = self.kminus * ((self.last_spike - t) * self.tau_minus_inv).exp() + 1.0;
        self.last_spike = t;
        self.history.push_back(Entry {
            t,
            kminus: self.kminus,
            reads: 0,
        });
    }

    /// The spike times in `(t1, t2]` (with NEST's tolerance), marked as read
    /// by one synapse.
    pub fn read_between(&mut self, t1: f64, t2: f64) -> impl Iterator<Item = f64> + '_ {
        let (lo, hi) = (t1 + STDP_EPS, t2 + STDP_EPS);
        // From the back, as NEST does: the range is nearly always at the end.
        let mut end = self.history.len();
        while end > 0 && self.history[end - 1].t >= hi {
            end -= 1;
        }
        let mut start = end;
        while start > 0 && self.history[start - 1].t >= lo {
            start -= 1;
        }
        self.history.range_mut(start..end).map(|e| {
            e.reads += 1;
            e.t
        })
    }

    /// The latest spike strictly before `t` (by more than the tolerance).
    fn latest_before(&self, t: f64) -> Option<&Entry> {
        self.history.iter().rev().find(|e| t - e.t > STDP_EPS)
    }

    /// `Kminus` at `t`: every spike before `t` counted, decayed to `t`.
    pub fn k_value(&self, t: f64) -> f64 {
        self.latest_before(t)
            .map_or(0.0, |e| e.kminus * ((e.t - t) * self.tau_minus_inv).exp())
    }

    /// The nearest-neighbour trace at `t`: the latest spike before `t` only.
    pub fn nearest_k_value(&self, t: f64) -> f64 {
        if self.history.is_empty() {
            return self.kminus;
        }
        self.latest_before(t)
            .map_or(0.0, |e| ((e.t - t) * self.tau_minus_inv).exp())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traces_sum_decayed_spikes() {
        let mut p = PostTrace::new(20.0);
        p.add_incoming(1.0);
        p.on_spike(10.0);
        p.on_spike(30.0);
        let want = (-40.0f64 / 20.0).exp() + (-20.0f64 / 20.0).exp();
        assert!((p.k_value(50.0) - want).abs() < 1e-15);
        assert_eq!(p.k_value(30.0), (-20.0f64 / 20.0).exp());
        assert_eq!(p.nearest_k_value(50.0), (-20.0f64 / 20.0).exp());
        assert_eq!(p.k_value(10.0), 0.0);
        let read: Vec<f64> = p.read_between(10.0, 30.0).collect();
        assert_eq!(read, vec![30.0]);
        let read: Vec<f64> = p.read_between(0.0, 30.0).collect();
        assert_eq!(read, vec![10.0, 30.0]);
    }

    #[test]
    fn forgets_spikes_read_by_all() {
        let mut p = PostTrace::new(20.0);
        p.add_incoming(1.0);
        for k in 0..100 {
            p.on_spike(f64::from(k) * 10.0);
            let _ = p
                .read_between(f64::from(k) * 10.0 - 11.0, f64::from(k) * 10.0)
                .count();
        }
        assert!(p.len() <= 2, "{}", p.len());
    }
}
