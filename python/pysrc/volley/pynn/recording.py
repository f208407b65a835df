"""Recording: spikes from Volley's spike recorder, signals from one Volley
multimeter per population (PyNN's base Recorder turns them into neo)."""

from __future__ import annotations

import numpy as np
from pyNN import recording

from . import simulator


class Recorder(recording.Recorder):
    _simulator = simulator

    def __init__(self, population, file=None):
        super().__init__(population, file)
        self._cleared_at = 0.0

    @property
    def _meter(self):
        return f"m{self.population._index}"

    def _record(self, variable, new_ids, sampling_interval=None):
        if variable.name == "spikes":
            # Volley records the populations asked for: rebuild (after the
            # start, the replayed past is the same, now recorded).
            simulator.state.changed()
            return
        simulator.state.forbid_after_start(f"recording {variable.name}")
        if sampling_interval is not None:
            self.sampling_interval = sampling_interval
        simulator.state.changed()

    def _signals(self):
        return sorted({v for v in self.recorded if v.name != "spikes"}, key=lambda v: v.name)

    def _add_to(self, m):
        """A multimeter of the recorded signals, if any, into model `m`."""
        variables = self._signals()
        ids = sorted({int(i) for v in variables for i in self.recorded[v]})
        if not ids:
            return
        vmap = self.population.celltype.variable_map
        m.recorder(
            "multimeter",
            name=self._meter,
            record=[vmap[v.name] for v in variables],
            neurons=ids,
            interval_ms=float(self.sampling_interval),
        )

    def _get_spiketimes(self, ids, clear=False):
        gids, times = simulator.state.sim.spikes()
        keep = np.isin(gids, np.asarray(ids, dtype=np.int64)) & (times >= self._cleared_at)
        return gids[keep].astype(int), times[keep]

    def _get_all_signals(self, variable, ids, clear=False):
        pop = self.population
        name = pop.celltype.variable_map[variable.name]
        scale = pop.celltype.scale_factors[variable.name]
        data = simulator.state.sim.samples(self._meter)
        cols = np.searchsorted(data["gids"], np.asarray(ids, dtype=np.int64))
        values = data[name][:, cols] * scale
        times = data["times_ms"]
        # The state at t = 0 (Volley samples after it: interval, 2 interval, ...).
        if self._cleared_at == 0.0:
            idx = np.array([pop.id_to_index(i) for i in ids], dtype=np.int64)
            if variable.name == "v":
                v0 = pop._init.get("v", np.full(pop.size, pop.celltype.default_initial_values["v"]))
                first = np.asarray(v0, dtype=float)[idx]
            else:
                first = np.zeros(len(ids))
            values = np.vstack([first[None, :], values])
        else:
            values = values[times >= self._cleared_at]
        return values, None

    def _local_count(self, variable, filter_ids=None):
        ids = sorted(self.filter_recorded(variable, filter_ids))
        gids, _ = self._get_spiketimes(ids)
        counts = dict.fromkeys((int(i) for i in ids), 0)
        found, n = np.unique(gids, return_counts=True)
        counts.update(zip(found.tolist(), n.tolist()))
        return counts

    def _clear_simulator(self):
        self._cleared_at = simulator.state.t

    def _reset(self):
        simulator.state.changed()

    def store_to_cache(self, annotations=None):
        super().store_to_cache(annotations)
        self._cleared_at = 0.0
