"""Populations, views and assemblies: PyNN's objects, each written into the
Volley model as a population of the cell type's Volley model (spike sources
as ``parrot`` populations fed by an input)."""

from __future__ import annotations

import warnings

import numpy as np
from pyNN import common, errors
from pyNN.parameters import ParameterSpace, Sequence, simplify
from pyNN.standardmodels import StandardCellType

from . import simulator
from .recording import Recorder
from .standardmodels import SpikeSourceArray, SpikeSourcePoisson


class Assembly(common.Assembly):
    _simulator = simulator


class PopulationView(common.PopulationView):
    _assembly_class = Assembly
    _simulator = simulator

    def _get_parameters(self, *names):
        return _standard_parameters(self, names)

    def _get_native_parameters(self, *names):
        parameter_dict = {}
        for name in names:
            value = self.parent._parameters[name]
            if isinstance(value, np.ndarray):
                value = value[self.mask]
            parameter_dict[name] = simplify(value)
        return ParameterSpace(parameter_dict, shape=(self.size,))

    def _set_parameters(self, parameter_space):
        self.grandparent._before_change(parameter_space.keys())
        for name, value in parameter_space.items():
            values = self.parent._parameters[name]
            values[self.mask] = value.evaluate(simplify=False)
        self.grandparent._after_change(parameter_space.keys())

    def _set_initial_value_array(self, variable, initial_values):
        self.grandparent._check_initialize(variable)
        values = initial_values.evaluate(simplify=False)
        target = self.grandparent._init.setdefault(variable, np.zeros(self.grandparent.size))
        target[self.index_in_grandparent(np.arange(self.size))] = values
        simulator.state.changed()

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)


class Population(common.Population):
    __doc__ = common.Population.__doc__
    _simulator = simulator
    _recorder_class = Recorder
    _assembly_class = Assembly

    def _create_cells(self):
        state = simulator.state
        state.forbid_after_start("creating a population")
        if not isinstance(self.celltype, StandardCellType) or not hasattr(self.celltype, "volley_model"):
            raise NotImplementedError(
                f"cell type {type(self.celltype).__name__} is not available in volley.pynn "
                "(standard cells: IF_curr_delta, IF_curr_exp, IF_curr_alpha, SpikeSourcePoisson, SpikeSourceArray)"
            )
        first = state.id_counter
        # Plain ints: an ID's attributes go through PyNN's parameter lookup.
        self._gids = range(first, first + self.size)
        self.all_cells = np.array([simulator.ID(i) for i in range(first, first + self.size)], dtype=simulator.ID)
        self._mask_local = np.ones(self.size, dtype=bool)
        for id in self.all_cells:
            id.parent = self
        state.id_counter += self.size
        self._index = len(state.populations)
        state.populations.append(self)
        parameter_space = self.celltype.native_parameters
        parameter_space.shape = (self.size,)
        parameter_space.evaluate(simplify=False)
        self._parameters = parameter_space.as_dict()
        self._init = {}
        # SpikeSourceArray: per neuron, the times set and when they were set.
        self._spike_versions = []
        if isinstance(self.celltype, SpikeSourceArray):
            self._check_spike_times()
        state.changed()

    @property
    def volley_name(self):
        return f"p{self._index}"

    def _check_initialize(self, variable):
        if variable not in ("v", "isyn_exc", "isyn_inh"):
            return
        if simulator.state.t > 0:
            raise NotImplementedError(
                "initialize() after the simulation has started is not available in volley.pynn "
                "(Volley sets initial values when it builds the network; call reset() first)"
            )

    def _set_initial_value_array(self, variable, initial_values):
        self._check_initialize(variable)
        self._init[variable] = np.asarray(initial_values.evaluate(simplify=False), dtype=float).reshape(self.size)
        simulator.state.changed()

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)

    def _get_parameters(self, *names):
        return _standard_parameters(self, names)

    def _get_native_parameters(self, *names):
        parameter_dict = {}
        for name in names:
            parameter_dict[name] = simplify(self._parameters[name])
        return ParameterSpace(parameter_dict, shape=(self.local_size,))

    def _set_parameters(self, parameter_space):
        self._before_change(parameter_space.keys())
        parameter_space.evaluate(simplify=False, mask=self._mask_local)
        for name, value in parameter_space.items():
            self._parameters[name] = value
        self._after_change(parameter_space.keys())

    def _before_change(self, names):
        if isinstance(self.celltype, SpikeSourceArray):
            if not self._spike_versions:
                self._spike_versions.append((0.0, self._spike_times()))
            return
        simulator.state.forbid_after_start(f"changing {', '.join(names)} of {self.label!r}")

    def _check_spike_times(self):
        for i, ts in enumerate(self._spike_times()):
            if np.any(np.diff(ts) < 0):
                raise errors.InvalidParameterValueError(
                    f"{self.label!r}: the spike times of neuron {i} are not in increasing order: {ts}"
                )

    def _after_change(self, names):
        if isinstance(self.celltype, SpikeSourceArray):
            self._check_spike_times()
            now = simulator.state.t
            if self._spike_versions and self._spike_versions[-1][0] == now:
                self._spike_versions.pop()
            self._spike_versions.append((now, self._spike_times()))
        simulator.state.changed()

    # -- the Volley model ------------------------------------------------------

    def _spike_times(self):
        values = self._parameters["spike_times"]
        if isinstance(values, Sequence):
            values = [values] * self.size
        elif not isinstance(values, (list, np.ndarray)):
            values = [values] * self.size
        return [np.asarray(v.value if isinstance(v, Sequence) else v, dtype=float) for v in values]

    def _native_value(self, name):
        """A parameter for the model file: a number, or a list (one per neuron)."""
        value = self._parameters[name]
        if isinstance(value, np.ndarray):
            if value.size and np.all(value == value.flat[0]):
                return float(value.flat[0])
            return [float(v) for v in value]
        return float(value)

    def _add_to(self, m, tau_minus=None, relay=None):
        """Write this population (and the input of a spike source) into `m`.
        `relay`: the one projection of an unrecorded Poisson source, made
        one to one; its trains then go straight to the targets (below)."""
        ct = self.celltype
        if isinstance(ct, SpikeSourcePoisson):
            silent = simulator.state.silent_lif_delta() if relay is not None else None
            if silent is not None:
                # Its trains go straight to the targets: the IDs stay, as
                # neurons that nothing reaches, of the cells' own parameter
                # set (a parrot would take the partition off the fast path
                # of lif_delta-only networks).
                m.population(self.volley_name, "lif_delta", size=self.size, params=silent)
            else:
                m.population(self.volley_name, "parrot", size=self.size)
            if relay is None:
                d = simulator.INPUT_DELAY_MS
                self._add_poisson(m, np.asarray(self._gids), 1.0, d, shift=d)
            else:
                targets, weight, delay, _ = relay
                self._add_poisson(m, targets, weight, delay, shift=0.0)
            return
        if isinstance(ct, SpikeSourceArray):
            m.population(self.volley_name, "parrot", size=self.size)
            self._add_spike_array(m)
            return
        params = {name: self._native_value(name) for name in self._parameters}
        if tau_minus is not None:
            params["tau_minus"] = float(tau_minus)
        for var in ("isyn_exc", "isyn_inh"):
            if var in self._init and np.any(self._init[var] != 0.0):
                raise NotImplementedError(f"population {self.label!r}: initial {var} other than 0")
        v = self._init.get("v")
        v_init = None
        if v is not None:
            v_init = float(v[0]) if np.all(v == v[0]) else v.tolist()
        m.population(self.volley_name, ct.volley_model, size=self.size, params=params, V_m_init=v_init)

    def _add_poisson(self, m, targets, weight, delay, shift):
        """Poisson inputs: one train per source neuron `i`, into gid
        `targets[i]` (this population's parrots, or a one-to-one
        projection's targets: a train only one target hears needs no relay),
        arriving `delay` after the emission; the emission window is moved
        back by `shift` (the parrots' input delay) so the sources spike in
        [start, start + duration)."""
        keys = np.column_stack(
            [np.broadcast_to(np.asarray(self._parameters[k], dtype=float), (self.size,))
             for k in ("rate", "start", "duration")]
        )
        groups = {}
        for i, key in enumerate(map(tuple, keys)):
            groups.setdefault(key, []).append(i)
        for (rate, start, duration), members in groups.items():
            if rate <= 0.0:
                continue
            stop = start + duration
            chosen = np.asarray(targets)[members]
            m.input(
                f"{self.volley_name}_poisson{len(m.inputs)}",
                "poisson",
                rate_hz=rate,
                weight=weight,
                delay_ms=delay,
                targets=gid_slices(chosen),
                # Without a window (PyNN's defaults) the trains take the fast path.
                start_ms=(start - shift) if start - shift > 0.0 else None,
                stop_ms=(stop - shift) if stop < simulator.HORIZON_MS else None,
            )

    def _add_spike_array(self, m):
        d = simulator.INPUT_DELAY_MS
        versions = self._spike_versions or [(0.0, self._spike_times())]
        ends = [t for t, _ in versions[1:]] + [np.inf]
        channels, times = [], []
        for (t0, per_neuron), t1 in zip(versions, ends):
            for i, ts in enumerate(per_neuron):
                ts = ts[(ts >= t0) & (ts < t1)]
                channels.append(np.full(ts.size, i, dtype=np.int64))
                times.append(ts)
        channels = np.concatenate(channels) if channels else np.zeros(0, dtype=np.int64)
        times = np.concatenate(times) if times else np.zeros(0)
        early = times < d
        if np.any(early):
            warnings.warn(
                f"{self.label!r}: {int(early.sum())} spike time(s) before {d} ms dropped "
                "(a spike source's first spike can be at the earliest one input delay after 0)"
            )
            channels, times = channels[~early], times[~early]
        if times.size == 0:
            return
        state = simulator.state
        spikes = state.write_csv(f"{self.volley_name}_spikes", "input,time_ms", [channels, times - d])
        n = self.size
        edges = state.write_csv(
            f"{self.volley_name}_edges",
            "input,target,weight_mV,delay_ms",
            [np.arange(n), np.arange(n) + self._gids.start, np.ones(n), np.full(n, d)],
        )
        m.input(f"{self.volley_name}_spikes", "spike_times", spikes=spikes, edges=edges)


def gid_slices(gids):
    """Volley selections of the neurons `gids` (in order): slices of runs
    of consecutive gids within a population."""
    gids = np.asarray(gids, dtype=np.int64)
    if gids.size == 0:
        return []
    starts = np.array([p._gids.start for p in simulator.state.populations])
    owner_index = np.searchsorted(starts, gids, side="right") - 1
    # Runs break where the gids stop counting up or a population ends.
    breaks = np.flatnonzero((np.diff(gids) != 1) | (np.diff(owner_index) != 0)) + 1
    out = []
    for a, b in zip(np.r_[0, breaks], np.r_[breaks, gids.size]):
        pop = simulator.state.populations[owner_index[a]]
        first = pop._gids.start
        out.append(f"{pop.volley_name}[{gids[a] - first}:{gids[b - 1] - first + 1}]")
    return out


def _standard_parameters(pop, names):
    ct = pop.celltype
    if any(name in ct.computed_parameters() for name in names):
        native_names = ct.get_native_names()
    else:
        native_names = ct.get_native_names(*names)
    return ct.reverse_translate(pop._get_native_parameters(*native_names))


def selection(obj):
    """Volley's names for the neurons of a Population, PopulationView or
    Assembly, in PyNN's order: a name, slices, or a list of them."""
    if isinstance(obj, Population):
        return [obj.volley_name]
    if isinstance(obj, PopulationView):
        pop = obj.grandparent
        idx = np.asarray(obj.index_in_grandparent(np.arange(obj.size)), dtype=np.int64)
        return _progressions(pop.volley_name, idx)
    if isinstance(obj, Assembly):
        return [n for p in obj.populations for n in selection(p)]
    raise errors.ConnectionError(f"cannot select neurons from {obj!r}")


def _progressions(name, idx):
    """`idx` as few Python slices as possible (arithmetic progressions)."""
    out, k = [], 0
    while k < len(idx):
        if k + 1 == len(idx):
            out.append(f"{name}[{idx[k]}]")
            break
        step = int(idx[k + 1] - idx[k])
        j = k + 1
        while j + 1 < len(idx) and idx[j + 1] - idx[j] == step:
            j += 1
        if step > 0:
            out.append(f"{name}[{idx[k]}:{idx[j] + 1}:{step}]" if step != 1 else f"{name}[{idx[k]}:{idx[j] + 1}]")
        elif step < 0:
            stop = idx[j] - 1
            out.append(f"{name}[{idx[k]}:{stop}:{step}]" if stop >= 0 else f"{name}[{idx[k]}::{step}]")
        else:
            out.extend(f"{name}[{idx[i]}]" for i in range(k, j + 1))
        k = j + 1
    return out
