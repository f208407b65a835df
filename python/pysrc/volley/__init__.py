"""Volley: exact, event-driven, deterministic spiking-network simulation.

The Python API mirrors the model file (``docs/user-guide.md``) with the same
names::

    import volley
    model = volley.Model.from_toml("examples/brunel.toml")
    sim = volley.Simulation(model, threads=2, seed=1)
    sim.run(100.0)                 # callable again: runs continue exactly
    gids, times = sim.spikes()     # numpy arrays

A model can also be built in Python (:class:`Model` methods ``population``,
``projection``, ``input``, ``recorder``); it becomes model-file text, so the
command line and Python build the same network from the same text.

``volley.pynn`` is a PyNN 0.13 backend (``import volley.pynn as sim``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from . import _core

__version__ = _core.__version__
__all__ = ["Model", "Simulation", "ModelError", "from_nir"]


class ModelError(ValueError):
    """A model Volley cannot build; the message names the file, line and key."""


def _plain(value):
    """`value` as JSON-ready Python (numpy scalars and arrays become lists)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    return value


class Model:
    """A model: the tables of a model file (``t_sim_ms``, ``seed``,
    ``populations``, ``projections``, ``inputs``, ``recorders``).

    Build one in Python::

        m = volley.Model(t_sim_ms=1000.0, seed=1)
        m.population("E", "lif_delta", size=800, params={"tau_m": 20.0})
        m.projection("E", "E", rule="fixed_indegree", indegree=80,
                     weight=0.1, delay_ms=1.5)
        m.input("drive", "poisson", rate_hz=8000.0, weight=0.1,
                delay_ms=1.5, targets="E")
        m.recorder("spikes")

    or read one with :meth:`from_toml`.
    """

    def __init__(self, t_sim_ms: float = 1000.0, seed: int = 1, description: str | None = None):
        self.description = description
        self.t_sim_ms = float(t_sim_ms)
        self.seed = int(seed)
        self.populations: list[dict] = []
        self.projections: list[dict] = []
        self.inputs: list[dict] = []
        self.recorders: list[dict] = []
        self.nir_graphs: list[dict] = []
        self._text: str | None = None
        self.path = Path("python-model.toml")

    @classmethod
    def from_toml(cls, path) -> "Model":
        """The model file at `path`, exactly as the command line reads it."""
        path = Path(path)
        model = cls()
        model._text = path.read_text()
        model.path = path
        try:
            import tomllib
        except ImportError:  # Python < 3.11: the text is all Volley needs
            return model
        table = tomllib.loads(model._text)
        model.description = table.get("description")
        model.t_sim_ms = float(table.get("t_sim_ms", 0.0))
        model.seed = int(table.get("seed", 1))
        model.populations = table.get("populations", [])
        model.projections = table.get("projections", [])
        model.inputs = table.get("inputs", [])
        model.recorders = table.get("recorders", [])
        model.nir_graphs = table.get("nir", [])
        return model

    def _changed(self):
        # A model read from a file and then changed is written anew.
        self._text = None

    def population(self, name: str, model: str, size: int | None = None, params: dict | None = None, **keys) -> "Model":
        """Add a population (keys as in ``[[populations]]``, e.g. ``V_m_init``)."""
        self._changed()
        self.populations.append(dict(name=name, model=model, size=size, params=params or {}, **keys))
        return self

    def projection(self, source, target, rule: str, **keys) -> "Model":
        """Add a projection: ``rule`` and its keys (``indegree``, ``p``, ...),
        ``weight``, ``delay_ms``, ``synapse`` as in ``[[projections]]``."""
        self._changed()
        self.projections.append(dict(source=source, target=target, rule=rule, **keys))
        return self

    def input(self, name: str, kind: str, **keys) -> "Model":
        """Add an input (``poisson``, ``inhomogeneous_poisson``,
        ``spike_times``, ``event_camera``, ``dc``, ``step_current``)."""
        self._changed()
        self.inputs.append(dict(name=name, kind=kind, **keys))
        return self

    def recorder(self, kind: str, **keys) -> "Model":
        """Add a recorder (``spikes``, ``multimeter``, ``weights``)."""
        self._changed()
        self.recorders.append(dict(kind=kind, **keys))
        return self

    def nir(self, name: str, file, **keys) -> "Model":
        """Include a NIR graph as populations ``<name>.<node>`` (keys as in
        ``[[nir]]``: ``time_unit_s``, ``edge_delay_ms``, ``t_ref_ms``,
        ``synapse_storage``)."""
        self._changed()
        self.nir_graphs.append(dict(name=name, file=str(Path(file).resolve()), **keys))
        return self

    def to_dict(self) -> dict:
        """The model as the dict of its model file."""
        d = {"t_sim_ms": self.t_sim_ms, "seed": self.seed}
        if self.description:
            d["description"] = self.description
        for key in ("populations", "projections", "inputs", "recorders"):
            if getattr(self, key):
                d[key] = getattr(self, key)
        if self.nir_graphs:
            d["nir"] = self.nir_graphs
        return _plain(d)

    def to_toml(self) -> str:
        """The model-file text (what ``volley run`` reads)."""
        if self._text is not None:
            return self._text
        return _core.model_toml(json.dumps(self.to_dict()))

    def save(self, path) -> None:
        """Write the model file to `path`."""
        Path(path).write_text(self.to_toml())


def from_nir(graph, name: str = "net", t_sim_ms: float = 1000.0, seed: int = 1, **keys) -> Model:
    """A model holding the NIR graph `graph` — a ``.nir`` file's path, or a
    ``nir.NIRGraph`` (written to a temporary file with the ``nir`` package)
    — as populations ``<name>.<node>``; add inputs (targeting
    ``<name>.input``) and recorders, then run it with :class:`Simulation`.
    `keys` as in ``[[nir]]`` (``time_unit_s``, ``edge_delay_ms``,
    ``t_ref_ms``, ``synapse_storage``). Output spikes:
    ``Simulation.spikes("<name>.<node>")``."""
    if not isinstance(graph, (str, os.PathLike)):
        import tempfile

        import nir as nir_package  # the graph object is the nir package's

        handle = tempfile.NamedTemporaryFile(suffix=".nir", delete=False)
        handle.close()
        nir_package.write(handle.name, graph)
        graph = handle.name
    model = Model(t_sim_ms=t_sim_ms, seed=seed)
    return model.nir(name, graph, **keys)


class Simulation:
    """A built network, ready to run.

    ``threads`` worker threads and ``partitioning`` (``"auto"``: ``"blocks"`` when an
    event camera drives a population, synapses are plastic or Poisson drives differ between
    populations, else ``"contiguous"``;
    ``"contiguous"``, ``"round_robin"`` or ``"blocks"``: how neurons are dealt to them)
    never change the results; ``seed`` replaces the model's. Building happens here, in
    Rust, with the GIL released.
    """

    def __init__(self, model: Model | str | os.PathLike, threads: int = 1, seed: int | None = None,
                 t_sim_ms: float | None = None, partitioning: str = "auto"):
        if not isinstance(model, Model):
            model = Model.from_toml(model)
        self.model = model
        try:
            self._sim = _core.Simulation(model.to_toml(), str(model.path), threads, seed, t_sim_ms, partitioning)
        except ValueError as e:
            raise ModelError(str(e)) from None

    @property
    def t(self) -> float:
        """Simulated time reached (ms)."""
        return self._sim.now_ms

    @property
    def t_sim_ms(self) -> float:
        return self._sim.t_sim_ms

    @property
    def window_ms(self) -> float:
        """Synchronisation window (the minimum delay), ms."""
        return self._sim.window_ms

    @property
    def threads(self) -> int:
        return self._sim.threads

    @property
    def seed(self) -> int:
        return self._sim.seed

    @property
    def n_neurons(self) -> int:
        return self._sim.n_neurons

    @property
    def n_synapses(self) -> int:
        return self._sim.n_synapses

    def save(self, path) -> None:
        """Save everything needed to continue this simulation to the file
        `path`: the model, each neuron's, train's and plastic synapse's state,
        what is in flight, and what was recorded and not yet taken.
        ``Simulation.load(path, threads=...)`` continues it on any number of
        threads, bit-identical to a simulation that never stopped. The
        present time must be a multiple of ``checkpoint_grid_ms`` (times
        every split of the network shares)."""
        try:
            self._sim.save(str(path))
        except ValueError as e:
            raise ModelError(str(e)) from None

    @classmethod
    def load(cls, path, threads: int = 1, partitioning: str = "auto") -> "Simulation":
        """The simulation saved to `path` by ``save``, rebuilt on `threads`
        threads (any number: the results do not depend on it)."""
        try:
            core = _core.Simulation.load(str(path), threads, partitioning)
        except ValueError as e:
            raise ModelError(str(e)) from None
        sim = cls.__new__(cls)
        sim._sim = core
        sim.model = Model.__new__(Model)
        sim.model._text = core.model_text
        sim.model.path = Path(core.model_path)
        return sim

    @property
    def checkpoint_grid_ms(self) -> float:
        """``save`` works at multiples of this (ms)."""
        return self._sim.checkpoint_grid_ms

    def run(self, ms: float | None = None) -> None:
        """Simulate `ms` more milliseconds (default: up to the model's
        ``t_sim_ms``). Ctrl-C stops at the next step; ``run`` continues."""
        until = self._sim.t_sim_ms if ms is None else self._sim.now_ms + float(ms)
        self._sim.run_until(until)

    def run_until(self, t_ms: float, inclusive: bool = False) -> None:
        """Simulate up to `t_ms`: events before it, none at or after it
        (``inclusive``: those at `t_ms` too, as a time-stepped simulator's
        step that ends at `t_ms`; a multimeter then samples `t_ms`)."""
        self._sim.run_until(float(t_ms), inclusive)

    def populations(self) -> dict:
        """``{name: range of gids}``."""
        return {name: range(first, first + size) for name, first, size in self._sim.populations()}

    def spikes(self, population: str | None = None, clear: bool = False):
        """Recorded spikes so far: ``(gids, times_ms)`` numpy arrays sorted by
        time then gid (times exact, as spikes.csv); `population` keeps one."""
        gids, times = self._sim.spikes(clear)
        if population is not None:
            r = self.populations()[population]
            keep = (gids >= r.start) & (gids < r.stop)
            gids, times = gids[keep], times[keep]
        return gids, times

    def meter_names(self) -> list:
        return self._sim.meter_names()

    def samples(self, name: str = "multimeter", clear: bool = False) -> dict:
        """A multimeter's samples so far: ``times_ms`` (n,), ``gids`` (m,) and
        per variable an (n, m) array."""
        return self._sim.samples(name, clear)

    def connections(self, source: str | range, target: str | range):
        """Synapses from `source` to `target` (population names or gid
        ranges): ``(sources, targets, weights, delays_ms)``, plastic weights
        at their present value."""
        pops = self.populations()
        s = pops[source] if isinstance(source, str) else source
        t = pops[target] if isinstance(target, str) else target
        return self._sim.connections(s.start, s.stop, t.start, t.stop)

    def plastic_weights(self):
        """Every plastic synapse: ``(sources, targets, weights)`` as weights.csv."""
        return self._sim.plastic_weights()

    def counters(self) -> dict:
        """Events so far: spikes emitted, recurrent / external / discarded events."""
        return self._sim.counters()
