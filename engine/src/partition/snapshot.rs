//! Saving a partition's share of an [`EngineState`] and loading one into a
//! freshly built partition (see `checkpoint.rs` for what is saved and why).

use super::Partition;
use crate::checkpoint::{EngineState, NeuronState, SynapseRecord, TrainRecord};
use crate::dynamics::{Dynamics, Forecast};
use crate::observer::Observer;
use crate::plasticity::Plasticity;
use crate::spike::{Gid, Spike};
use crate::time::Time;

/// The spikes a partition emitted within the longest delay (`span`): what
/// may still be in flight at a window edge. Kept only when asked for.
pub(super) struct InFlight {
    span: Time,
    spikes: Vec<Spike>,
    /// Length after the last trim (trims are amortised over the pushes).
    kept: usize,
}

impl InFlight {
    pub(super) fn push(&mut self, spike: Spike) {
        self.spikes.push(spike);
    }

    /// Forget the spikes whose every delivery lands before `now`.
    pub(super) fn trim(&mut self, now: Time) {
        if self.spikes.len() > 2 * self.kept + 4096 {
            let span = self.span;
            self.spikes.retain(|s| s.time.saturating_add(span) >= now);
            self.kept = self.spikes.len();
        }
    }

    /// The spikes that may have deliveries at or after `at`.
    fn live(&self, at: Time) -> impl Iterator<Item = Spike> + '_ {
        let span = self.span;
        let live = move |s: &&Spike| s.time.saturating_add(span) >= at;
        self.spikes.iter().filter(live).copied()
    }
}

impl<D: Dynamics, P: Plasticity, O: Observer> Partition<D, P, O> {
    /// Keep the spikes emitted within `span` (the longest delay of the
    /// whole network), so that [`save_into`](Self::save_into) can list
    /// those in flight.
    pub(crate) fn keep_in_flight(&mut self, span: Time) {
        if self.sink.in_flight.is_some() {
            return;
        }
        self.sink.in_flight = Some(InFlight {
            span,
            spikes: Vec::new(),
            kept: 0,
        });
    }

    /// Add this partition's share of the state at window edge `at` (every
    /// spike before `at` emitted and expanded) to `state`.
    pub(crate) fn save_into(&self, at: Time, state: &mut EngineState) -> Result<(), String> {
        let gids = &self.routing.gids;
        let rules = self.plastic.rules.as_ref();
        for (i, &gid) in gids.iter().enumerate() {
            let i = i as u32;
            let mut words = Vec::new();
            self.dynamics.save_neuron(i, &mut words)?;
            let mut history = Vec::new();
            if let Some(r) = rules {
                r.save_history(i, &mut history);
            }
            state.neurons.push(NeuronState {
                gid,
                words,
                forecast: self.clocks.at(i),
                history,
            });
        }
        if let Some(r) = rules {
            for (source, target, k) in self.plastic_in_order() {
                let words = r.save_synapse(k)?;
                state.synapses.push(SynapseRecord {
                    source,
                    target,
                    words,
                });
            }
        }
        for (source, target, train) in self.trains.states() {
            let target = gids[target as usize];
            state.trains.push(TrainRecord {
                source,
                target,
                state: train,
            });
        }
        let in_flight = self.sink.in_flight.as_ref().ok_or_else(|| {
            "the spikes in flight were not kept (keep_spikes_in_flight before the run)".to_string()
        })?;
        state.in_flight.extend(in_flight.live(at));
        state.counters += self.sink.counters;
        Ok(())
    }

    /// Take the state `state` (every list in canonical order) into this
    /// partition, freshly built for the same network: its neurons, trains,
    /// the deliveries still pending at `state.at` and (partition 0 only)
    /// the counters.
    pub(crate) fn load_from(&mut self, state: &EngineState) -> Result<(), String> {
        assert!(
            !self.started,
            "a state loads into a partition that has not run"
        );
        let at = state.at;
        for i in 0..self.dynamics.len() {
            let gid = self.routing.gids[i as usize];
            let n = find(&state.neurons, gid, |n| n.gid)
                .ok_or_else(|| format!("the checkpoint has no state for neuron {}", gid.0))?;
            self.dynamics
                .load_neuron(i, &n.words, at)
                .map_err(|e| format!("neuron {}: {e}", gid.0))?;
            if let Some(r) = self.plastic.rules.as_mut() {
                r.load_history(i, &n.history)
                    .map_err(|e| format!("neuron {}: {e}", gid.0))?;
            }
            let f = match n.forecast {
                Time::NEVER => Forecast::Never,
                t => Forecast::At(t),
            };
            self.clocks.set(i, f);
        }
        self.dynamics.loaded_at(at);
        self.clocks.update_index();
        self.load_synapses(&state.synapses)?;
        let gids = self.routing.gids.clone();
        let local = |g: Gid| gids.binary_search(&g).ok().map(|i| i as u32);
        let trains: Vec<_> = state
            .trains
            .iter()
            .filter_map(|t| Some((t.source, local(t.target)?, t.state.clone())))
            .collect();
        self.trains.restore(trains.into_iter())?;
        self.started = true;
        // Deliveries still pending at `at`: expand again what was in flight.
        self.strategy.drop_before(at);
        self.strategy
            .push_all(&state.in_flight, &self.connectome, &self.plastic);
        self.replay_drives(at);
        self.strategy.drop_before(Time::ZERO);
        if let Some(keep) = &mut self.sink.in_flight {
            let own = state.in_flight.iter().filter(|s| local(s.source).is_some());
            keep.spikes.extend(own);
        }
        if self.routing.index == 0 {
            self.sink.counters = state.counters;
        }
        Ok(())
    }

    /// The plastic synapses as `(source, target gid, synapse number)`, by
    /// source and target, multapses in synapse order: the canonical order
    /// of [`EngineState::synapses`].
    fn plastic_in_order(&self) -> Vec<(Gid, Gid, u32)> {
        let wiring = &self.plastic.wiring;
        let gids = &self.routing.gids;
        let mut all = Vec::with_capacity(wiring.len());
        for s in 0..wiring.n_sources() as u32 {
            let (targets, first) = wiring.synapses_of(Gid(s));
            let start = all.len();
            let of_source = targets.iter().enumerate();
            all.extend(of_source.map(|(j, &t)| (Gid(s), gids[t as usize], first + j as u32)));
            all[start..].sort_unstable_by_key(|&(_, t, k)| (t, k));
        }
        all
    }

    /// Give every plastic synapse its state in `saved` (canonical order).
    fn load_synapses(&mut self, saved: &[SynapseRecord]) -> Result<(), String> {
        let mine = self.plastic_in_order();
        let Some(rules) = self.plastic.rules.as_mut() else {
            return Ok(());
        };
        let mut j = 0;
        while j < mine.len() {
            let (source, target, _) = mine[j];
            let n = mine[j..]
                .iter()
                .take_while(|m| (m.0, m.1) == (source, target))
                .count();
            let key = |r: &SynapseRecord| (r.source, r.target);
            let from = saved.partition_point(|r| key(r) < (source, target));
            let to = saved.partition_point(|r| key(r) <= (source, target));
            if to - from != n {
                return Err(format!(
                    "the checkpoint has {} plastic synapses from {} to {}, the network {n}",
                    to - from,
                    source.0,
                    target.0
                ));
            }
            for (m, r) in mine[j..j + n].iter().zip(&saved[from..to]) {
                rules.load_synapse(m.2, &r.words);
            }
            j += n;
        }
        Ok(())
    }

    /// Run the input nodes through every grid window before `at`, expanding
    /// their spikes (the queue keeps the deliveries at or after `at`).
    fn replay_drives(&mut self, at: Time) {
        if self.drives.drives.is_empty() {
            return;
        }
        for k in 0..at.0 / self.timing.window.0 {
            self.expand_drives(k);
        }
    }
}

/// The item of `sorted` (by `key`) whose key is `gid`.
fn find<T>(sorted: &[T], gid: Gid, key: impl Fn(&T) -> Gid) -> Option<&T> {
    sorted
        .binary_search_by_key(&gid, key)
        .ok()
        .map(|k| &sorted[k])
}
