"""The state of a volley.pynn simulation: what the script created, and the
Volley network built from it.

PyNN builds a network object by object; Volley builds it from a model file
in one go (in Rust, so a Brunel-size network builds in seconds). So each
Population / Projection / current source records what it is, and the first
``run`` writes them as one :class:`volley.Model` and builds it. PyNN IDs are
Volley gids: populations are created, and numbered, in the same order.

Changes between runs that Volley can express as a schedule (a current
source's settings, a spike source's times) rebuild the network and replay
the past, which is bit-identical because the change takes effect only from
the moment it was made; anything else raises NotImplementedError.
"""

from __future__ import annotations

import os
import tempfile

import numpy as np
from pyNN import common

import volley

name = "volley"

#: Delay of the input → parrot synapse of spike sources (ms): their input
#: times are shifted back by it, so the parrots fire at the times asked for.
INPUT_DELAY_MS = 0.001
#: Volley's time resolution: 1/1024 µs.
TICKS_PER_MS = 1024000
#: The model's t_sim: Volley's runs go on as long as PyNN asks.
HORIZON_MS = 1e9


class ID(int, common.IDMixin):
    def __init__(self, n):
        """Create an ID object with numerical value `n`."""
        int.__init__(n)
        common.IDMixin.__init__(self)


class State(common.control.BaseState):
    """Simulator state (PyNN's ``simulator.state``)."""

    def __init__(self):
        common.control.BaseState.__init__(self)
        self.mpi_rank = 0
        self.num_processes = 1
        self.threads = 1
        self.seed = 1
        self.dt = 0.1
        self.min_delay = 0.1
        self.auto_min_delay = False
        self.max_delay = 10.0
        self.clear()

    # -- PyNN's interface ---------------------------------------------------

    def run(self, simtime):
        self.run_until(self.t + simtime)

    def run_until(self, tstop):
        if tstop < self.t:
            raise ValueError(f"run_until({tstop}): the simulation is already at {self.t} ms")
        sim = self.sim
        # PyNN's run(t) includes what happens at t (NEST's step ends there).
        sim.run_until(tstop, inclusive=True)
        self.t = tstop
        self.running = True

    def clear(self):
        self.populations = []
        self.projections = []
        self.current_sources = []
        self.recorders = set([])
        self.id_counter = 0
        self.segment_counter = -1
        self._files = None
        self.reset()

    def reset(self):
        """Back to t = 0 with the same network (rebuilt at the next run)."""
        self.running = False
        self.t = 0.0
        self.t_start = 0.0
        self.segment_counter += 1
        self._sim = None

    # -- Volley ---------------------------------------------------------------

    def changed(self):
        """Something the network is built from changed: rebuild before the next run."""
        self._sim = None

    def forbid_after_start(self, what):
        if self.t > 0:
            raise NotImplementedError(
                f"{what} after the simulation has started is not available in volley.pynn "
                "(call reset() first, or set it up before the first run)"
            )

    @property
    def sim(self) -> volley.Simulation:
        """The built network (built now if it is not yet)."""
        if self._sim is None:
            self._build()
            if self.t > 0:  # a rebuilt network replays the past (unchanged)
                self._sim.run_until(self.t, inclusive=True)
        return self._sim

    def file_dir(self):
        if self._files is None:
            self._files = tempfile.TemporaryDirectory(prefix="volley-pynn-")
        return self._files.name

    def write_csv(self, stem, header, columns):
        """A CSV file of `columns` (arrays) in the scratch folder; its path."""
        path = os.path.join(self.file_dir(), f"{stem}.csv")
        data = np.column_stack([np.asarray(c, dtype=float) for c in columns]) if columns[0].size else None
        with open(path, "w") as f:
            f.write(header + "\n")
            if data is not None:
                fmt = ["%d" if c.dtype.kind in "iu" else "%.17g" for c in columns]
                np.savetxt(f, data, fmt=fmt, delimiter=",")
        return path

    def model(self) -> volley.Model:
        """The Volley model of everything created so far."""
        m = volley.Model(t_sim_ms=HORIZON_MS, seed=self.seed, description="built by volley.pynn")
        tau_minus = {}
        for prj in self.projections:
            for pop, tm in prj.post_tau_minus():
                old = tau_minus.setdefault(pop, tm)
                if old != tm:
                    raise NotImplementedError(
                        f"population {pop.label!r}: STDP projections with different tau_minus "
                        f"({old}, {tm}); Volley, as NEST, keeps one per neuron"
                    )
        relays = self._relays()
        for pop in self.populations:
            pop._add_to(m, tau_minus.get(pop), relays.get(pop))
        relayed = {id(r[3]) for r in relays.values()}
        for prj in self.projections:
            if id(prj) not in relayed:
                prj._add_to(m)
        for src in self.current_sources:
            _add_current(m, src)
        recorded = [p.volley_name for p in self.populations
                    if any(v.name == "spikes" and ids for v, ids in p.recorder.recorded.items())]
        if recorded:
            m.recorder("spikes", populations=recorded)
        for rec in sorted(self.recorders, key=lambda r: r.population._index):
            rec._add_to(m)
        return m

    def silent_lif_delta(self):
        """The parameters of a `lif_delta` cell population that does not
        fire by itself (None if there is none)."""
        for pop in self.populations:
            if getattr(pop.celltype, "volley_model", None) != "lif_delta":
                continue
            params = {name: pop._native_value(name) for name in pop._parameters}
            if any(isinstance(v, list) for v in params.values()):
                continue
            v_inf = params["E_L"] + params["I_e"] * params["tau_m"] / params["C_m"]
            if v_inf < params["V_th"]:
                return params
        return None

    def population_of(self, gid):
        """The population holding neuron `gid`."""
        gid = int(gid)
        starts = [p._gids.start for p in self.populations]
        k = int(np.searchsorted(starts, gid, side="right")) - 1
        if k < 0 or gid >= self.populations[k]._gids.stop:
            raise ValueError(f"no neuron {gid}")
        return self.populations[k]

    def _relays(self):
        """Poisson sources whose trains can go straight to their targets:
        not recorded, one outgoing projection, one to one, static, with one
        weight and delay. ``{population: (target gids, weight, delay, projection)}``."""
        from .standardmodels import SpikeSourcePoisson

        out = {}
        for pop in self.populations:
            if not isinstance(pop.celltype, SpikeSourcePoisson):
                continue
            if any(ids for ids in pop.recorder.recorded.values()):
                continue
            outgoing = [p for p in self.projections if pop in _populations_of(p.pre)]
            if len(outgoing) != 1:
                continue
            prj = outgoing[0]
            if prj.pre is not pop or prj._rule != {"rule": "one_to_one"} or prj._table is not None:
                continue
            weight, delay = prj._value("weight"), prj._value("delay")
            if not isinstance(weight, float) or not isinstance(delay, float):
                continue
            targets = np.asarray(prj.post.all_cells, dtype=np.int64)
            out[pop] = (targets, weight * prj._scale, delay, prj)
        return out

    def _build(self):
        # Round robin: a PyNN script's populations come in any order (spike
        # sources between cell populations), so contiguous blocks of gids
        # could leave one worker with the silent ones.
        self._sim = volley.Simulation(self.model(), threads=self.threads, partitioning="round_robin")
        if self.auto_min_delay:
            delays = [d for d in (p._min_delay() for p in self.projections) if d is not None]
            if delays:
                self.min_delay = min(delays)


def _populations_of(obj):
    from .projections import _populations

    return _populations(obj)


def _add_current(m, src):
    """A current source as a Volley ``step_current`` on its targets."""
    from .populations import gid_slices

    if not src._targets:
        return
    times, amps = src._schedule()
    if not times:
        return
    m.input(
        f"current{len(m.inputs)}",
        "step_current",
        times_ms=times,
        amplitudes_pA=[a * 1000.0 for a in amps],
        targets=gid_slices(src._targets),
    )


state = State()
