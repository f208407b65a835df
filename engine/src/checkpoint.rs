//! A simulation's state at a window edge, held per neuron and per train —
//! never per partition — so that it loads into the same network split any
//! other way (another thread count, partitioning or number of processes)
//! and the run continues bit for bit as if it had never stopped.
//!
//! What it holds and why that is all:
//! - every neuron's model state (at its own last event, not brought to the
//!   edge: evolving it there would round differently) and its prediction;
//! - every Poisson train's stream, next arrival and the interval after it;
//! - every plastic synapse's state, and what they keep of their targets'
//!   spikes (STDP's histories);
//! - the spikes emitted within the longest delay before the edge: every
//!   delivery still pending at the edge comes from one of them, so loading
//!   expands them again through the synapses of the new split, keeping the
//!   deliveries at or after the edge (the queues order deliveries by their
//!   full key, so the order of expansion does not matter);
//! - the event counters.
//!
//! Input nodes ([`Drive`](crate::Drive)s: spike-time files, event cameras)
//! depend on time alone: a loaded partition runs them again from the start
//! to the edge, keeping the spikes still in flight, instead of saving
//! their positions.

use crate::partition::Counters;
use crate::plasticity::SynapseWords;
use crate::poisson::TrainState;
use crate::spike::{Gid, Spike};
use crate::time::Time;
use serde::{Deserialize, Serialize};

/// The state of a whole simulation at a window edge.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EngineState {
    /// The window edge it was taken at.
    pub at: Time,
    /// Event counts up to `at`, all partitions summed.
    pub counters: Counters,
    /// Every neuron, by increasing gid.
    pub neurons: Vec<NeuronState>,
    /// Every Poisson train, by (source, target).
    pub trains: Vec<TrainRecord>,
    /// Every plastic synapse, by (source, target), multapses in synapse
    /// order (the order of `weights.csv`).
    pub synapses: Vec<SynapseRecord>,
    /// Network spikes emitted within the longest delay before `at`, sorted.
    pub in_flight: Vec<Spike>,
}

/// One neuron's state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NeuronState {
    /// The neuron.
    pub gid: Gid,
    /// Its model's state ([`Dynamics::save_neuron`](crate::Dynamics::save_neuron)).
    pub words: Vec<u64>,
    /// Its predicted spike (`NEVER`: none).
    pub forecast: Time,
    /// What its incoming plastic synapses keep of its spikes
    /// ([`Plasticity::save_history`](crate::Plasticity::save_history)).
    pub history: Vec<u64>,
}

/// One plastic synapse's state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SynapseRecord {
    /// Its source.
    pub source: Gid,
    /// Its target.
    pub target: Gid,
    /// Its rule's state.
    pub words: SynapseWords,
}

/// One Poisson train's state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainRecord {
    /// The generator.
    pub source: Gid,
    /// The target neuron.
    pub target: Gid,
    /// Where the train stands.
    pub state: TrainState,
}

impl EngineState {
    /// Merge the parts saved by several processes (each holding some
    /// partitions) into one, in the canonical order.
    pub fn merge(parts: impl IntoIterator<Item = EngineState>) -> EngineState {
        let mut all = EngineState::default();
        for p in parts {
            all.at = p.at;
            all.counters += p.counters;
            all.neurons.extend(p.neurons);
            all.trains.extend(p.trains);
            all.synapses.extend(p.synapses);
            all.in_flight.extend(p.in_flight);
        }
        all.sort();
        all
    }

    /// Whether it can be the state of a run at `at` (a file can pass its
    /// checksum and still be made up): nothing it holds is due before `at`.
    pub fn check(&self) -> Result<(), String> {
        let damaged = |what: String| Err(format!("the checkpoint is damaged: {what}"));
        let at = self.at;
        if let Some(s) = self
            .in_flight
            .iter()
            .find(|s| s.time >= at || !s.lag.is_finite())
        {
            return damaged(format!(
                "a spike in flight at {} ms, not before {} ms",
                s.time.as_ms(),
                at.as_ms()
            ));
        }
        if let Some(n) = self.neurons.iter().find(|n| n.forecast < at) {
            return damaged(format!(
                "neuron {} predicts a spike before {} ms",
                n.gid.0,
                at.as_ms()
            ));
        }
        if let Some(t) = self.trains.iter().find(|t| t.state.next_arrival() < at) {
            return damaged(format!(
                "a train into neuron {} is due before {} ms",
                t.target.0,
                at.as_ms()
            ));
        }
        Ok(())
    }

    /// Put every list in its canonical order.
    pub(crate) fn sort(&mut self) {
        self.neurons.sort_unstable_by_key(|n| n.gid);
        self.trains.sort_unstable_by_key(|t| (t.source, t.target));
        // Stable: multapses keep their order (a target's synapses all come
        // from one partition, listed in synapse order).
        self.synapses.sort_by_key(|s| (s.source, s.target));
        self.in_flight.sort_unstable();
    }
}
