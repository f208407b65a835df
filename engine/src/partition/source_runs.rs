//! How a spike becomes arrivals: one per run of its source's static
//! synapses that share a delay, queued for their arrival time.

use crate::arrival_queue::{Arrival, ArrivalQueue};
use crate::connectome::{Connectome, RunClasses, RunShape, RunVisitor, SynapseClass};
use crate::spike::{Gid, Spike};
use crate::time::Time;
use std::collections::HashMap;

/// Per source, what its static synapses make of a spike when they share
/// one delay — one arrival, of their one class or [`Arrival::MIXED`] — so
/// that queueing a spike reads one word, not the source's whole run (a
/// camera's retina projecting with one delay and the network with another
/// still has one delay per source).
pub(super) struct SourceRuns {
    /// Per source: `c < n_classes`: every synapse has class `c`;
    /// `n_classes + d`: mixed classes of delay `delays[d]`; [`Self::SPLIT`]:
    /// several delays (split at every spike, [`SplitByDelay`]).
    of: Vec<u32>,
    n_classes: u32,
    delays: Vec<Time>,
}

impl SourceRuns {
    const SPLIT: u32 = u32::MAX;

    pub(super) fn new(connectome: &Connectome) -> Self {
        let table = connectome.classes();
        let n_classes = table.len() as u32;
        let mut delays: Vec<Time> = Vec::new();
        let mut numbered: HashMap<Time, u32> = HashMap::new();
        let of = (0..connectome.n_sources() as u32)
            .map(|s| match connectome.run_shape_of(Gid(s)) {
                RunShape::Class(c) => c,
                RunShape::Delay(d) => {
                    // No more delays than classes (< 2^24): no overflow.
                    n_classes
                        + *numbered.entry(d).or_insert_with(|| {
                            delays.push(d);
                            delays.len() as u32 - 1
                        })
                }
                RunShape::Split => Self::SPLIT,
            })
            .collect();
        SourceRuns {
            of,
            n_classes,
            delays,
        }
    }

    /// Queue the arrivals of `spike`'s static synapses: one if they share
    /// a delay, else one per run of equal delay.
    #[inline(always)]
    pub(super) fn queue(&self, spike: Spike, connectome: &Connectome, arrivals: &mut ArrivalQueue) {
        let (a, b) = connectome.range_of(spike.source);
        if a == b {
            return;
        }
        let table = connectome.classes();
        match self.of(spike.source, table) {
            Some((delay, class)) => arrivals.push(spike, delay, a, (b - a) as u32, class),
            None => {
                let split = SplitByDelay {
                    arrivals,
                    spike,
                    a,
                    table,
                };
                connectome.visit_run(a, b, None, split);
            }
        }
    }

    /// The delay and class of `source`'s one arrival, `None` if its
    /// synapses have several delays.
    #[inline(always)]
    fn of(&self, source: Gid, table: &[SynapseClass]) -> Option<(Time, u32)> {
        let r = self.of[source.0 as usize];
        if r < self.n_classes {
            Some((table[r as usize].delay, r))
        } else if r != Self::SPLIT {
            Some((self.delays[(r - self.n_classes) as usize], Arrival::MIXED))
        } else {
            None
        }
    }

    #[inline(always)]
    pub(super) fn prefetch(&self, source: Gid) {
        crate::dynamics::prefetch(self.of.as_ptr().wrapping_add(source.0 as usize));
    }
}

/// A source's synapses split into runs of equal delay, each queued as an
/// arrival (noting whether one class covers it).
struct SplitByDelay<'s> {
    arrivals: &'s mut ArrivalQueue,
    spike: Spike,
    a: u64,
    table: &'s [SynapseClass],
}

impl RunVisitor for SplitByDelay<'_> {
    type Output = ();

    fn visit<C: RunClasses>(self, targets: &[u32], classes: C) {
        let delay = |k: usize| self.table[classes.class(k) as usize].delay;
        let n = targets.len();
        let mut start = 0;
        while start < n {
            let (c0, d) = (classes.class(start), delay(start));
            let mut uniform = true;
            let mut end = start + 1;
            while end < n && delay(end) == d {
                uniform &= classes.class(end) == c0;
                end += 1;
            }
            let class = if uniform { c0 } else { Arrival::MIXED };
            let (at, len) = (self.a + start as u64, (end - start) as u32);
            self.arrivals.push(self.spike, d, at, len, class);
            start = end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectome::ConnectomeBuilder;

    /// A source's one arrival, found once, is the one its run split by
    /// delay would queue; a source of several delays is split at each spike.
    #[test]
    fn a_source_of_one_delay_makes_one_arrival_found_once() {
        let ms = |x: f64| Time::from_ms(x).unwrap();
        let mut b = ConnectomeBuilder::new(5, 4);
        let fast = b.class(0.5, ms(1.0)).unwrap();
        let fast_inhibitory = b.class(-1.0, ms(1.0)).unwrap();
        let slow = b.class(0.5, ms(1.5)).unwrap();
        // 0: one class; 1: two classes of one delay; 2: two delays; 3: no
        // synapse; 4: one class of the other delay.
        for (s, t, c) in [
            (0, 0, fast),
            (0, 2, fast),
            (1, 1, fast),
            (1, 3, fast_inhibitory),
            (2, 0, fast),
            (2, 1, slow),
            (4, 3, slow),
        ] {
            b.add_with_class(Gid(s), t, c);
        }
        let connectome = b.build();
        let runs = SourceRuns::new(&connectome);
        let of = |s| runs.of(Gid(s), connectome.classes());
        assert_eq!(of(0), Some((ms(1.0), fast)));
        assert_eq!(of(1), Some((ms(1.0), Arrival::MIXED)));
        assert_eq!(of(2), None);
        assert_eq!(of(3), None);
        assert_eq!(of(4), Some((ms(1.5), slow)));
    }
}
