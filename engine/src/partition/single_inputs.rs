//! A tick of single inputs: several arrivals at one tick, each reaching one
//! synapse, all of different neurons (a camera's tick: one retina neuron
//! per event). Summed per target, each sum would hold one input, so each
//! target takes its input straight away, in the order the sums would hand
//! them over, with the sum they would hold (`0 + w`): the neurons get
//! exactly the calls of the summed path (`Direct::deliver_several`).
//!
//! Only unobserved runs take this path: an observer would see the delivery
//! notices interleaved with the neuron updates in another order.

use super::direct::Synapses;
use super::step::{NeuronView, Step, Sum};
use super::trains::TrainView;
use crate::arrival_queue::ArrivalQueue;
use crate::connectome::{RunClasses, RunVisitor, SynapseClass};
use crate::observer::Observer;
use crate::plasticity::Plasticity;
use crate::time::Time;
use std::ops::Range;

/// The `(target, weight)` of a tick's single inputs, in arrival order.
#[derive(Default)]
pub(super) struct SingleInputs {
    inputs: Vec<(u32, f64)>,
}

impl SingleInputs {
    /// Whether the arrivals of `group` (one tick) each reach one synapse,
    /// of a static run, and all of a different neuron (targets increasing
    /// in arrival order: sorted by source, a camera's are); then they are
    /// held for [`deliver`](Self::deliver). All stored targets are asked
    /// for at once, then each target's state.
    #[inline(always)]
    pub(super) fn gather<N, T, O, P>(
        &mut self,
        arrivals: &ArrivalQueue,
        step: &Step<'_, N, T, O>,
        synapses: &mut Synapses<'_, P>,
        group: Range<usize>,
    ) -> bool
    where
        N: NeuronView,
        T: TrainView,
        O: Observer,
        P: Plasticity,
    {
        let connectome = synapses.connectome;
        for k in group.clone() {
            let a = arrivals.get(k);
            if a.len != 1 || a.is_plastic() {
                return false;
            }
            connectome.prefetch_target(a.start);
        }
        self.inputs.clear();
        let table = connectome.classes();
        for k in group {
            let (i, w) = synapses.visit(arrivals.get(k), Single { table });
            if self.inputs.last().is_some_and(|&(last, _)| last >= i) {
                return false;
            }
            step.prefetch::<false>(i);
            self.inputs.push((i, w));
        }
        true
    }

    /// Each gathered input to its target at tick `t`, as the tick's sums
    /// would hand it over.
    #[inline(always)]
    pub(super) fn deliver<const TRAINS: bool, N, T, O>(
        &self,
        arrivals: &ArrivalQueue,
        step: &mut Step<'_, N, T, O>,
        group: Range<usize>,
        t: Time,
    ) where
        N: NeuronView,
        T: TrainView,
        O: Observer,
    {
        for (k, &(i, w)) in group.zip(&self.inputs) {
            let a = arrivals.get(k);
            let mut sum = N::Sum::default();
            sum.add(w);
            step.deliver::<TRAINS>(step.local(i), t, a.spike.lag, sum);
            step.count(a.spike.source, 1);
        }
    }
}

/// The target and weight of a run of one synapse.
struct Single<'s> {
    table: &'s [SynapseClass],
}

impl RunVisitor for Single<'_> {
    type Output = (u32, f64);

    #[inline(always)]
    fn visit<C: RunClasses>(self, targets: &[u32], classes: C) -> (u32, f64) {
        (targets[0], classes.weight(0, self.table))
    }
}
