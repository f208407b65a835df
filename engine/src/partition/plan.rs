//! How a partition delivers spikes, chosen once when it is built.
//!
//! | strategy | when | neurons |
//! |---|---|---|
//! | [`Strategy::Grouped`] | a train's gid below a connectome source | any |
//! | [`Strategy::Plain`] | otherwise, plain neurons ([`Dynamics::is_plain`]) | totals only, no forecasts |
//! | [`Strategy::General`] | otherwise | any |
//!
//! Every strategy gives the same results bit for bit (each neuron gets the
//! same calls through the same step); they differ in speed. A plain
//! strategy with one Poisson train per neuron may pool its train events
//! (see `train_pool.rs`).

use super::direct::Direct;
use super::grouped::Grouped;
use super::sole_inputs::SoleInputs;
use super::train_pool::{Pool, POOL_MAX_NEURONS};
use super::trains::TrainSets;
use crate::connectome::Connectome;
use crate::dynamics::{Dynamics, Input};
use crate::plasticity::PlasticWiring;
use crate::spike::{sort_spikes, Spike};
use crate::time::Time;
use crate::window::Timing;

/// How one partition delivers its spikes.
pub(super) enum Strategy {
    /// Per-delivery queue grouped by target (`grouped.rs`).
    Grouped(Grouped),
    /// Direct delivery into plain neurons (`direct.rs`).
    Plain(Direct<f64>),
    /// Direct delivery into any neurons.
    General(Direct<Input>),
}

/// The strategy for a partition of `dynamics` with these synapses and trains.
pub(super) fn plan<D: Dynamics>(
    dynamics: &D,
    connectome: &Connectome,
    plastic: &PlasticWiring,
    trains: &TrainSets,
    timing: Timing,
) -> Strategy {
    let n = dynamics.len() as usize;
    // Direct delivery adds a neuron's train events after its connectome
    // inputs: right when every train's gid is above every connectome source.
    let trains_last = trains
        .min_source()
        .is_none_or(|g| g.0 >= connectome.sources_end());
    if !trains_last {
        return grouped(n, timing, connectome, plastic);
    }
    if !dynamics.is_plain() {
        return Strategy::General(Direct::new(
            n,
            (timing.window, timing.horizon),
            (connectome, plastic),
            None,
        ));
    }
    let pool = trains
        .one_each()
        .map(|set| set.mean_interval_ticks())
        .filter(|mean| mean.is_finite() && n <= POOL_MAX_NEURONS)
        .map(Pool::new);
    Strategy::Plain(Direct::new(
        n,
        (timing.window, timing.horizon),
        (connectome, plastic),
        pool,
    ))
}

/// Grouped delivery (also for tests: every strategy must agree with it).
pub(super) fn grouped(
    n: usize,
    timing: Timing,
    connectome: &Connectome,
    plastic: &PlasticWiring,
) -> Strategy {
    let classes = connectome.classes();
    Strategy::Grouped(Grouped::new(
        n,
        timing.window,
        timing.horizon,
        classes,
        plastic,
    ))
}

impl Strategy {
    /// The window its queue holds open.
    pub(super) fn open_window(&self) -> Option<u64> {
        match self {
            Strategy::Grouped(g) => g.queue.open_window(),
            Strategy::Plain(d) => d.arrivals().open_window(),
            Strategy::General(d) => d.arrivals().open_window(),
        }
    }

    /// From now on its queue drops deliveries before `t`.
    pub(super) fn drop_before(&mut self, t: Time) {
        match self {
            Strategy::Grouped(g) => g.queue.drop_before(t),
            Strategy::Plain(d) => d.drop_before(t),
            Strategy::General(d) => d.drop_before(t),
        }
    }

    /// Open window `k` of its queue.
    pub(super) fn open(&mut self, k: u64) {
        match self {
            Strategy::Grouped(g) => g.queue.open(k),
            Strategy::Plain(d) => d.arrivals_mut().open(k),
            Strategy::General(d) => d.arrivals_mut().open(k),
        }
    }

    /// Deliver the spikes of these input nodes apart (direct delivery only).
    pub(super) fn set_sole_inputs(&mut self, sole: Option<SoleInputs>) {
        match self {
            Strategy::Grouped(_) => {}
            Strategy::Plain(d) => d.set_sole_inputs(sole),
            Strategy::General(d) => d.set_sole_inputs(sole),
        }
    }

    /// Queue a window's input-node spikes (in any order; `scratch` is
    /// [`sort_spikes`]'s buffer), sole inputs apart unless `observed`
    /// (`sole_inputs.rs`), the rest sorted.
    pub(super) fn push_inputs<P>(
        &mut self,
        (spikes, scratch): (&mut Vec<Spike>, &mut Vec<Spike>),
        observed: bool,
        connectome: &Connectome,
        plastic: &crate::PlasticSynapses<P>,
    ) {
        match self {
            Strategy::Grouped(_) => {}
            Strategy::Plain(d) => d.take_sole_inputs((spikes, scratch), observed),
            Strategy::General(d) => d.take_sole_inputs((spikes, scratch), observed),
        }
        sort_spikes(spikes, scratch);
        self.push_all(spikes, connectome, plastic);
    }

    /// Queue `spikes`, in order, over the synapses of this partition.
    pub(super) fn push_all<P>(
        &mut self,
        spikes: &[Spike],
        connectome: &Connectome,
        plastic: &crate::PlasticSynapses<P>,
    ) {
        let plastic = &plastic.wiring;
        match self {
            Strategy::Grouped(g) => {
                for &spike in spikes {
                    g.push(spike, connectome, plastic);
                }
            }
            Strategy::Plain(d) => d.push_all(spikes, connectome, plastic),
            Strategy::General(d) => d.push_all(spikes, connectome, plastic),
        }
    }
}
