"""Projections: PyNN's connectors mapped onto Volley's own connection rules,
so the synapses are drawn in Rust when the network is built.

| PyNN connector | Volley rule |
|---|---|
| AllToAllConnector | ``all_to_all`` (``allow_autapses``) |
| OneToOneConnector | ``one_to_one`` |
| FixedProbabilityConnector | ``pairwise_bernoulli`` |
| FixedNumberPreConnector | ``fixed_indegree`` (``allow_multapses`` = with_replacement) |
| FixedNumberPostConnector | ``fixed_outdegree`` |
| FixedTotalNumberConnector | ``fixed_total_number`` |
| anything else (FromList, FromFile, DistanceDependent..., array or callable weights) | PyNN's connector in Python, written as an ``edge_list`` |

Volley draws with its own seeded streams (the seed of ``setup``), not with
the connector's ``rng``: the same statistics, not the same synapses as
another backend.
"""

from __future__ import annotations

import math

import numpy as np
from pyNN import common, connectors
from pyNN.random import RandomDistribution
from pyNN.space import Space

from . import simulator
from .populations import Assembly, Population, PopulationView, selection
from .standardmodels import StaticSynapse


class Connection(common.Connection):
    """One synapse, read back from Volley (read only: Volley's synapses keep
    the weight and delay they were built with)."""

    def __init__(self, pre, post, weight, delay):
        self.presynaptic_index = pre
        self.postsynaptic_index = post
        self._weight = weight
        self._delay = delay

    @property
    def weight(self):
        return self._weight

    @weight.setter
    def weight(self, value):
        raise NotImplementedError("changing one synapse's weight after the network is built")

    @property
    def delay(self):
        return self._delay

    @delay.setter
    def delay(self, value):
        raise NotImplementedError("changing one synapse's delay after the network is built")

    def as_tuple(self, *attribute_names):
        return tuple(getattr(self, name) for name in attribute_names)


class Projection(common.Projection):
    __doc__ = common.Projection.__doc__
    _simulator = simulator
    _static_synapse_class = StaticSynapse

    def __init__(self, presynaptic_population, postsynaptic_population, connector, synapse_type=None,
                 source=None, receptor_type=None, space=Space(), label=None):
        simulator.state.forbid_after_start("creating a projection")
        common.Projection.__init__(self, presynaptic_population, postsynaptic_population, connector,
                                   synapse_type, source, receptor_type, space, label)
        post_types = {type(p.celltype) for p in _populations(postsynaptic_population)}
        if len(post_types) != 1:
            raise NotImplementedError("a projection onto cells of several types is not available in volley.pynn")
        post_type = post_types.pop()
        if post_type.volley_model == "parrot":
            raise NotImplementedError("a projection onto a spike source")
        self._scale = post_type.weight_scale
        self._table = self.synapse_type.volley_table()
        self._rule = _native_rule(connector, self)
        self._listed = None
        self._edge_file = None
        if self._rule is None:
            self._listed = self._connect_in_python()
        self._index = len(simulator.state.projections)
        simulator.state.projections.append(self)
        simulator.state.changed()

    # -- building ------------------------------------------------------------

    def _value(self, name):
        """`weight` or `delay` as a Volley value (number or distribution), or
        None when only PyNN can draw it."""
        scale = self._scale if name == "weight" else 1.0
        lazy = self.synapse_type.native_parameters[name]
        base = lazy.base_value
        if lazy.operations:
            return None
        if isinstance(base, RandomDistribution):
            return _distribution(base, scale)
        if np.isscalar(base) or (isinstance(base, np.ndarray) and base.ndim == 0):
            return float(base) * scale
        return None

    def _connect_in_python(self):
        """Let PyNN's connector draw the synapses (`_convergent_connect` collects them)."""
        self._collected = []
        self.connector.connect(self)
        parts = self._collected
        del self._collected
        if not parts:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
        pre = np.concatenate([p[0] for p in parts])
        post = np.concatenate([p[1] for p in parts])
        w = np.concatenate([p[2] for p in parts])
        d = np.concatenate([p[3] for p in parts])
        return pre, post, w, d

    def _convergent_connect(self, presynaptic_indices, postsynaptic_index, location_selector=None,
                            **connection_parameters):
        if location_selector is not None:
            raise NotImplementedError("multicompartment cells are not available in volley.pynn")
        pre = np.asarray(presynaptic_indices, dtype=np.int64).reshape(-1)
        n = pre.size
        cp = {k: np.broadcast_to(np.asarray(v, dtype=float), (n,)) for k, v in connection_parameters.items()
              if k in ("weight", "delay")}
        other = set(connection_parameters) - {"weight", "delay"}
        if other and self._table is None:
            raise NotImplementedError(f"synapse parameters {sorted(other)} per connection")
        self._collected.append((pre, np.full(n, postsynaptic_index, dtype=np.int64), cp["weight"].copy(),
                                cp["delay"].copy()))

    @property
    def connector(self):
        return self._connector

    def post_tau_minus(self):
        """STDP: the postsynaptic populations and the tau_minus they need."""
        if self._table is None or "__tau_minus" not in self._table:
            return []
        return [(p, self._table["__tau_minus"]) for p in _populations(self.post)]

    def _synapse(self):
        if self._table is None:
            return None
        table = {k: v for k, v in self._table.items() if not k.startswith("__")}
        if "Wmax" in table:
            table["Wmax"] = table["Wmax"] * self._scale
        return table

    def _add_to(self, m):
        synapse = self._synapse()
        if self._listed is not None:
            if self._edge_file is None:  # drawn once: every rebuild reads the same file
                pre, post, w, d = self._listed
                self._edge_file = simulator.state.write_csv(
                    f"projection{self._index}", "source,target,weight,delay_ms",
                    [_gids(self.pre)[pre], _gids(self.post)[post], w * self._scale, d])
            m.projection(None, None, rule="edge_list", file=self._edge_file, synapse=synapse)
            return
        keys = dict(self._rule)
        keys["weight"] = self._value("weight")
        keys["delay_ms"] = self._value("delay")
        if isinstance(keys["weight"], dict):
            keys["levels"] = 65536
        if isinstance(keys["delay_ms"], dict):
            keys["delay_step_ms"] = simulator.state.dt
        m.projection(selection(self.pre), selection(self.post), synapse=synapse, **keys)

    # -- reading back ----------------------------------------------------------

    def _connections(self):
        """(pre index, post index, weight, delay) arrays of this projection's
        synapses in the built network."""
        sim = simulator.state.sim
        pre_g, post_g = _gids(self.pre), _gids(self.post)
        s, t, w, d = sim._sim.connections(int(pre_g.min()), int(pre_g.max()) + 1,
                                          int(post_g.min()), int(post_g.max()) + 1)
        keep = np.isin(s, pre_g) & np.isin(t, post_g)
        s, t, w, d = s[keep], t[keep], w[keep], d[keep]
        # Volley does not keep which projection a synapse came from. Drawn
        # (listed) projections claim their own synapses, in creation order;
        # what is left between these neurons belongs to Volley-drawn
        # projections, told apart by the sign of their weights.
        free = np.ones(len(s), dtype=bool)
        mine = None
        natives = []
        for other in simulator.state.projections:
            if not (np.isin(_gids(other.pre), pre_g).any() and np.isin(_gids(other.post), post_g).any()):
                continue
            if other._listed is None:
                natives.append(other)
                continue
            claimed = other._claims(s, t, w, d, free)
            free &= ~claimed
            if other is self:
                mine = claimed
        if mine is None:
            mine = free
            for other in natives:
                if other is self:
                    continue
                a, b = self._sign(), other._sign()
                if a is None or b is None or a == b:
                    raise NotImplementedError(
                        f"reading back projection {self.label!r}: projection {other.label!r} connects the same "
                        "neurons with weights of the same sign, and Volley does not keep which synapse is whose"
                    )
                mine = mine & (np.sign(w) == a)
        s, t, w, d = s[mine], t[mine], w[mine], d[mine]
        i = _Index(pre_g).get_indexer(s)
        j = _Index(post_g).get_indexer(t)
        return i, j, w / self._scale, d

    def _min_delay(self):
        """The smallest delay this projection can have (ms), if known."""
        if self._listed is not None:
            return float(self._listed[3].min()) if self._listed[3].size else None
        d = self._value("delay")
        if isinstance(d, dict):
            return d.get("min", d.get("low"))
        return d

    def _sign(self):
        value = self._value("weight")
        if isinstance(value, float) and value != 0.0:
            return np.sign(value)
        return None

    def _claims(self, s, t, w, d, free):
        """Which of the free rows (s, t, w, d) are synapses of this drawn
        projection (each claimed once; delays compared in ticks, plastic
        weights not at all)."""
        pre, post, weight, delay = self._listed
        plastic = self._table is not None

        def key(src, tgt, wt, dl):
            ticks = round(dl * simulator.TICKS_PER_MS)
            return (src, tgt, ticks) if plastic else (src, tgt, wt, ticks)

        wanted = {}
        for row in zip(_gids(self.pre)[pre].tolist(), _gids(self.post)[post].tolist(),
                       (weight * self._scale).tolist(), delay.tolist()):
            k = key(*row)
            wanted[k] = wanted.get(k, 0) + 1
        out = np.zeros(len(s), dtype=bool)
        for n, row in enumerate(zip(s.tolist(), t.tolist(), w.tolist(), d.tolist())):
            k = key(*row)
            if free[n] and wanted.get(k, 0) > 0:
                wanted[k] -= 1
                out[n] = True
        return out

    def __len__(self):
        return len(self._connections()[0])

    @property
    def connections(self):
        i, j, w, d = self._connections()
        return [Connection(int(a), int(b), float(c), float(e)) for a, b, c, e in zip(i, j, w, d)]

    def __getitem__(self, k):
        return self.connections[k]

    def _columns(self, names):
        i, j, w, d = self._connections()
        columns = {"presynaptic_index": i, "postsynaptic_index": j, "weight": w, "delay": d,
                   "presynaptic_cell": _gids(self.pre)[i], "postsynaptic_cell": _gids(self.post)[j]}
        for name in names:
            if name in columns:
                continue
            native = self.synapse_type.native_parameters
            if name in native.keys() and name not in ("weight", "delay") and self._table is not None:
                value = native[name]
                if value.is_homogeneous:
                    value.shape = (1,)
                    columns[name] = np.full(len(i), float(np.asarray(value.evaluate(simplify=True)).flat[0]))
                    continue
            raise NotImplementedError(f"reading the synapse parameter {name!r} back from Volley")
        return columns

    def _get_attributes_as_list(self, names):
        columns = self._columns(names)
        return list(zip(*(columns[n].tolist() for n in names)))

    def _get_attributes_as_arrays(self, names, multiple_synapses="sum"):
        op = common.Projection.MULTI_SYNAPSE_OPERATIONS[multiple_synapses]
        names = [n[:-1] if n.endswith("s") and n[:-1] in ("weight", "delay") else n for n in names]
        columns = self._columns(names)
        i, j = columns["presynaptic_index"], columns["postsynaptic_index"]
        out = []
        for name in names:
            values = np.full((self.pre.size, self.post.size), np.nan)
            for a, b, x in zip(i, j, columns[name]):
                values[a, b] = x if np.isnan(values[a, b]) else op(values[a, b], x)
            out.append(values)
        return out

    def _set_attributes(self, parameter_space):
        raise NotImplementedError(
            "changing synapse weights or delays after the projection is made is not available in volley.pynn "
            "(give them to the synapse type)"
        )


def _populations(obj):
    if isinstance(obj, Population):
        return [obj]
    if isinstance(obj, PopulationView):
        return [obj.grandparent]
    if isinstance(obj, Assembly):
        return [q for p in obj.populations for q in _populations(p)]
    raise TypeError(obj)


def _gids(obj):
    return np.asarray(obj.all_cells, dtype=np.int64)


class _Index:
    """Position of each gid in an array of gids."""

    def __init__(self, gids):
        self._sorted = np.argsort(gids, kind="stable")
        self._gids = gids[self._sorted]

    def get_indexer(self, values):
        pos = np.searchsorted(self._gids, values)
        pos = np.clip(pos, 0, max(len(self._gids) - 1, 0))
        found = self._gids[pos] == values if len(self._gids) else np.zeros(len(values), bool)
        return np.where(found, self._sorted[pos], -1)


def _distribution(rd, scale):
    p = rd.parameters
    if rd.name == "normal":
        return {"dist": "normal", "mean": p["mu"] * scale, "std": p["sigma"] * abs(scale)}
    if rd.name == "normal_clipped":
        lo, hi = sorted((p["low"] * scale, p["high"] * scale))
        d = {"dist": "normal", "mean": p["mu"] * scale, "std": p["sigma"] * abs(scale)}
        if np.isfinite(lo):
            d["min"] = lo
        if np.isfinite(hi):
            d["max"] = hi
        return d
    if rd.name == "uniform":
        lo, hi = sorted((p["low"] * scale, p["high"] * scale))
        return {"dist": "uniform", "low": lo, "high": hi}
    if rd.name == "lognormal" and scale > 0:
        return {"dist": "lognormal", "mu": p["mu"] + math.log(scale), "sigma": p["sigma"]}
    return None


def _native_rule(c, prj):
    """The Volley rule keys of connector `c`, or None to draw in Python."""
    for name in ("weight", "delay"):
        if prj._value(name) is None:
            return None
    if not isinstance(getattr(c, "allow_self_connections", True), (bool, np.bool_)):
        return None  # "NoMutual": PyNN draws it
    if type(c) is connectors.AllToAllConnector:
        return {"rule": "all_to_all", "allow_autapses": bool(c.allow_self_connections)}
    if type(c) is connectors.OneToOneConnector:
        if prj.pre.size != prj.post.size:
            return None  # PyNN's own error message
        return {"rule": "one_to_one"}
    if type(c) is connectors.FixedProbabilityConnector:
        return {"rule": "pairwise_bernoulli", "p": float(c.p_connect),
                "allow_autapses": bool(c.allow_self_connections)}
    if type(c) is connectors.FixedNumberPreConnector and _plain_number(c.n):
        return {"rule": "fixed_indegree", "indegree": int(c.n), "allow_autapses": bool(c.allow_self_connections),
                "allow_multapses": bool(c.with_replacement)}
    if type(c) is connectors.FixedNumberPostConnector and _plain_number(c.n):
        return {"rule": "fixed_outdegree", "outdegree": int(c.n),
                "allow_autapses": bool(c.allow_self_connections), "allow_multapses": bool(c.with_replacement)}
    if type(c) is connectors.FixedTotalNumberConnector and _plain_number(c.n):
        return {"rule": "fixed_total_number", "n": int(c.n), "allow_autapses": bool(c.allow_self_connections),
                "allow_multapses": bool(c.with_replacement)}
    return None


def _plain_number(n):
    return isinstance(n, (int, np.integer)) or (isinstance(n, float) and n.is_integer())

