"""PyNN's standard models, translated to Volley's models and NEST names.

Units: PyNN gives nF, nA and µS; Volley (as NEST) takes pF and pA, so ``cm``
and ``i_offset`` are scaled by 1000, and so are the weights of current-based
synapses (nA → pA). ``IF_curr_delta`` weights are jumps of the membrane
potential in mV in both. A model Volley cannot simulate exactly raises
:class:`NotImplementedError` naming it — never a substitute.
"""

import numpy as np
from pyNN.parameters import ParameterSpace, Sequence
from pyNN.standardmodels import build_translations, cells, electrodes, synapses

from . import simulator

_LIF = (
    ("v_rest", "E_L"),
    ("v_reset", "V_reset"),
    ("cm", "C_m", 1000.0),  # nF -> pF
    ("tau_m", "tau_m"),
    ("tau_refrac", "t_ref"),
    ("v_thresh", "V_th"),
    ("i_offset", "I_e", 1000.0),  # nA -> pA
)
_SYN = (("tau_syn_E", "tau_syn_ex"), ("tau_syn_I", "tau_syn_in"))


class IF_curr_delta(cells.IF_curr_delta):
    __doc__ = cells.IF_curr_delta.__doc__
    translations = build_translations(*_LIF)
    volley_model = "lif_delta"
    variable_map = {"v": "V_m"}
    scale_factors = {"v": 1.0}
    weight_scale = 1.0  # mV in PyNN and in Volley


class _SynapticCurrents:
    """What Volley's `lif_exp` and `lif_alpha` share: synaptic time
    constants, recordable currents (pA in Volley, nA in PyNN), pA weights."""

    translations = build_translations(*_LIF, *_SYN)
    recordable = ["spikes", "v", "isyn_exc", "isyn_inh"]
    variable_map = {"v": "V_m", "isyn_exc": "I_syn_ex", "isyn_inh": "I_syn_in"}
    scale_factors = {"v": 1.0, "isyn_exc": 0.001, "isyn_inh": 0.001}
    weight_scale = 1000.0  # nA -> pA


class IF_curr_exp(_SynapticCurrents, cells.IF_curr_exp):
    __doc__ = cells.IF_curr_exp.__doc__
    volley_model = "lif_exp"


class IF_curr_alpha(_SynapticCurrents, cells.IF_curr_alpha):
    __doc__ = cells.IF_curr_alpha.__doc__
    volley_model = "lif_alpha"


class SpikeSourcePoisson(cells.SpikeSourcePoisson):
    """Poisson spike trains, one per neuron, each shared by all its targets
    (a Volley ``parrot`` population fed by a ``poisson`` input)."""

    translations = build_translations(("rate", "rate"), ("start", "start"), ("duration", "duration"))
    volley_model = "parrot"
    variable_map = {}
    scale_factors = {}
    weight_scale = 1.0


class SpikeSourceArray(cells.SpikeSourceArray):
    """Spikes at given times (a Volley ``parrot`` population fed by a
    ``spike_times`` input)."""

    translations = build_translations(("spike_times", "spike_times"))
    volley_model = "parrot"
    variable_map = {}
    scale_factors = {}
    weight_scale = 1.0


def _unsupported(base, why):
    class Unsupported(base):
        __doc__ = base.__doc__

        def __init__(self, *args, **kwargs):
            raise NotImplementedError(f"{base.__name__} is not available in volley.pynn: {why}")

    Unsupported.__name__ = base.__name__
    Unsupported.__qualname__ = base.__name__
    return Unsupported


_COND = "conductance-based cells are not simulated by Volley (exact current-based LIF models only)"
IF_cond_exp = _unsupported(cells.IF_cond_exp, _COND)
IF_cond_alpha = _unsupported(cells.IF_cond_alpha, _COND)
IF_cond_exp_gsfa_grr = _unsupported(cells.IF_cond_exp_gsfa_grr, _COND)
EIF_cond_alpha_isfa_ista = _unsupported(cells.EIF_cond_alpha_isfa_ista, _COND)
EIF_cond_exp_isfa_ista = _unsupported(cells.EIF_cond_exp_isfa_ista, _COND)
HH_cond_exp = _unsupported(cells.HH_cond_exp, _COND)
Izhikevich = _unsupported(cells.Izhikevich, "no Izhikevich model in Volley")
SpikeSourceGamma = _unsupported(cells.SpikeSourceGamma, "no gamma-process input in Volley")
SpikeSourceInhGamma = _unsupported(cells.SpikeSourceInhGamma, "no gamma-process input in Volley")
SpikeSourcePoissonRefractory = _unsupported(
    cells.SpikeSourcePoissonRefractory, "no dead-time Poisson input in Volley"
)


# --- synapses ---------------------------------------------------------------


class StaticSynapse(synapses.StaticSynapse):
    __doc__ = synapses.StaticSynapse.__doc__
    translations = build_translations(("weight", "weight"), ("delay", "delay"))

    def volley_table(self):
        return None

    def _get_minimum_delay(self):
        return simulator.state.min_delay


class TsodyksMarkramSynapse(synapses.TsodyksMarkramSynapse):
    """Tsodyks–Markram short-term plasticity as NEST's ``tsodyks2_synapse``
    (Volley's ``tsodyks2``; pyNN.nest uses ``tsodyks_synapse``, which adds
    a synaptic time constant ``tau_psc`` and equals it as ``tau_psc`` → 0)."""

    translations = build_translations(
        ("weight", "weight"), ("delay", "delay"), ("U", "U"), ("tau_rec", "tau_rec"), ("tau_facil", "tau_fac")
    )

    def volley_table(self):
        p = _homogeneous(self.native_parameters, ("U", "tau_rec", "tau_fac"), "TsodyksMarkramSynapse")
        return {"model": "tsodyks2", **p}

    def _get_minimum_delay(self):
        return simulator.state.min_delay


class STDPMechanism(synapses.STDPMechanism):
    """Pair-based STDP (``SpikePairRule``) with additive or multiplicative
    weight dependence, as NEST's ``stdp_synapse`` (all-to-all pairing):
    ``lambda = A_plus``, ``alpha = A_minus / A_plus``, ``mu = 0`` (additive)
    or ``1`` (multiplicative), ``Wmax = w_max``; ``tau_minus`` becomes the
    postsynaptic neurons' parameter, as in NEST. ``w_min`` must be 0."""

    base_translations = build_translations(
        ("weight", "weight"), ("delay", "delay"), ("dendritic_delay_fraction", "dendritic_delay_fraction")
    )

    def volley_table(self):
        td, wd = self.timing_dependence, self.weight_dependence
        if self.voltage_dependence is not None:
            raise NotImplementedError("STDPMechanism: voltage-dependent STDP is not available in volley.pynn")
        if not isinstance(td, SpikePairRule):
            raise NotImplementedError(f"STDPMechanism: timing dependence {type(td).__name__} is not available")
        if not isinstance(wd, (AdditiveWeightDependence, MultiplicativeWeightDependence)):
            raise NotImplementedError(f"STDPMechanism: weight dependence {type(wd).__name__} is not available")
        ddf = _homogeneous(self.native_parameters, ("dendritic_delay_fraction",), "STDPMechanism")
        if ddf["dendritic_delay_fraction"] != 1.0:
            raise NotImplementedError(
                "STDPMechanism: dendritic_delay_fraction must be 1 (Volley, as NEST, takes the whole delay as dendritic)"
            )
        t = _homogeneous(td.native_parameters, ("tau_plus", "tau_minus", "A_plus", "A_minus"), "SpikePairRule")
        w = _homogeneous(wd.native_parameters, ("w_min", "w_max"), type(wd).__name__)
        if w["w_min"] != 0.0:
            raise NotImplementedError(
                f"{type(wd).__name__}: w_min = {w['w_min']}; Volley's stdp (NEST's stdp_synapse) bounds weights at 0"
            )
        mu = 0.0 if isinstance(wd, AdditiveWeightDependence) else 1.0
        if t["A_plus"] == 0.0:
            raise NotImplementedError("SpikePairRule: A_plus = 0 (NEST's parametrisation needs A_plus > 0)")
        return {
            "model": "stdp",
            "tau_plus": t["tau_plus"],
            "lambda": t["A_plus"],
            "alpha": t["A_minus"] / t["A_plus"],
            "mu_plus": mu,
            "mu_minus": mu,
            "Wmax": w["w_max"],  # scaled with the weight by the projection
            "__tau_minus": t["tau_minus"],
        }

    def _get_minimum_delay(self):
        return simulator.state.min_delay


class SpikePairRule(synapses.SpikePairRule):
    __doc__ = synapses.SpikePairRule.__doc__
    translations = build_translations(
        ("tau_plus", "tau_plus"), ("tau_minus", "tau_minus"), ("A_plus", "A_plus"), ("A_minus", "A_minus")
    )


class AdditiveWeightDependence(synapses.AdditiveWeightDependence):
    __doc__ = synapses.AdditiveWeightDependence.__doc__
    translations = build_translations(("w_max", "w_max"), ("w_min", "w_min"))


class MultiplicativeWeightDependence(synapses.MultiplicativeWeightDependence):
    __doc__ = synapses.MultiplicativeWeightDependence.__doc__
    translations = build_translations(("w_max", "w_max"), ("w_min", "w_min"))


AdditivePotentiationMultiplicativeDepression = _unsupported(
    synapses.AdditivePotentiationMultiplicativeDepression, "no such weight dependence in Volley's stdp"
)
GutigWeightDependence = _unsupported(synapses.GutigWeightDependence, "no such weight dependence in Volley's stdp")
Vogels2011Rule = _unsupported(synapses.Vogels2011Rule, "no such timing dependence in Volley")
SimpleStochasticSynapse = _unsupported(synapses.SimpleStochasticSynapse, "no stochastic synapses in Volley")
StochasticTsodyksMarkramSynapse = _unsupported(
    synapses.StochasticTsodyksMarkramSynapse, "no stochastic synapses in Volley"
)
MultiQuantalSynapse = _unsupported(synapses.MultiQuantalSynapse, "no stochastic synapses in Volley")


def _homogeneous(space, names, what):
    """The values of `names` in a parameter space, each one number."""
    out = {}
    for name in names:
        value = space[name]
        if hasattr(value, "evaluate"):
            if not value.is_homogeneous:
                raise NotImplementedError(f"{what}: a different `{name}` per synapse is not available in volley.pynn")
            if value.shape is None:
                value.shape = (1,)
            value = np.asarray(value.evaluate(simplify=True)).flat[0]
        out[name] = float(value)
    return out


# --- current sources ----------------------------------------------------------


class _CurrentSource:
    """A current source. Its settings are kept with the time they were made,
    so a change between runs takes effect at that time: Volley rebuilds the
    network with the whole schedule and replays the past (unchanged)."""

    def __init__(self, **parameters):
        object.__setattr__(self, "_targets", [])
        object.__setattr__(self, "_versions", [])
        object.__setattr__(self, "_native", {})
        ps = ParameterSpace(self.default_parameters, self.get_schema(), shape=(1,))
        ps.update(**parameters)
        self._apply(self.translate(ps))
        simulator.state.current_sources.append(self)

    def inject_into(self, cells):
        simulator.state.forbid_after_start("injecting a current")
        for cell in cells:
            if not cell.celltype.injectable:
                raise TypeError("Can't inject current into a spike source.")
        self._targets.extend(int(c) for c in cells)
        simulator.state.changed()

    def _apply(self, parameters):
        """Take new native settings (checked), in force from now on."""
        parameters.shape = (1,)
        parameters.evaluate(simplify=True)
        new = dict(self._native)
        for k, v in parameters.items():
            if isinstance(v, np.ndarray) and v.dtype == object:
                v = v.flat[0]
            if isinstance(v, Sequence):
                v = v.value
            new[k] = np.asarray(v, dtype=float) if np.ndim(v) else float(v)
        self._check(new)
        self._on_grid(new)
        self._native.clear()
        self._native.update(new)
        now = simulator.state.t
        if self._versions and self._versions[-1][0] == now:
            self._versions[-1] = (now, dict(new))
        else:
            self._versions.append((now, dict(new)))
        simulator.state.changed()

    def set_native_parameters(self, parameters):
        self._apply(parameters)

    def _on_grid(self, p):
        """Times that PyNN puts on the time grid (none by default)."""

    def get_native_parameters(self):
        return ParameterSpace(dict(self._native))

    def _schedule(self):
        """The current over the whole run so far as ``(times, amplitudes)``
        (nA): where it changes, each setting in force from when it was made."""
        points = []
        ends = [t for t, _ in self._versions[1:]] + [np.inf]
        for (t0, settings), t1 in zip(self._versions, ends):
            wave = self._waveform(settings)
            before = [a for t, a in wave if t <= t0]
            points.append((t0, before[-1] if before else 0.0))
            points.extend((t, a) for t, a in wave if t0 < t < t1)
        times, amps, last = [], [], 0.0
        for t, a in points:
            if a != last:
                if times and times[-1] == t:
                    amps[-1] = a
                else:
                    times.append(float(t))
                    amps.append(float(a))
                last = a
        return times, amps

    def _record(self):
        raise NotImplementedError("recording a current source's current is not available in volley.pynn")

    def _get_data(self):
        raise NotImplementedError("recording a current source's current is not available in volley.pynn")


class DCSource(_CurrentSource, electrodes.DCSource):
    __doc__ = electrodes.DCSource.__doc__
    translations = build_translations(("amplitude", "amplitude"), ("start", "start"), ("stop", "stop"))

    @staticmethod
    def _check(p):
        if p["start"] < 0 or p["stop"] < 0:
            raise ValueError("DCSource: start and stop must be >= 0 ms")

    @staticmethod
    def _waveform(p):
        return [(0.0, 0.0), (float(p["start"]), float(p["amplitude"])), (float(p["stop"]), 0.0)]


class StepCurrentSource(_CurrentSource, electrodes.StepCurrentSource):
    __doc__ = electrodes.StepCurrentSource.__doc__
    translations = build_translations(("amplitudes", "amplitudes"), ("times", "times"))

    @staticmethod
    def _check(p):
        times = np.atleast_1d(np.asarray(p["times"], dtype=float))
        amps = np.atleast_1d(np.asarray(p["amplitudes"], dtype=float))
        if times.size != amps.size:
            raise ValueError("StepCurrentSource: times and amplitudes must have the same length")
        if np.any(times < 0):
            raise ValueError("StepCurrentSource: times must be >= 0 ms")
        if np.any(np.diff(times) <= 0):
            raise ValueError("StepCurrentSource: times must be increasing")

    def _on_grid(self, p):
        """Step times move to the nearest multiple of the time step, as in
        every PyNN backend; of steps that meet, the last one holds."""
        dt = simulator.state.dt
        times = self._round_timestamp(np.atleast_1d(np.asarray(p["times"], dtype=float)), dt)
        amps = np.atleast_1d(np.asarray(p["amplitudes"], dtype=float))
        last = np.append(np.diff(times) > 0, True) if times.size else np.zeros(0, bool)
        p["times"], p["amplitudes"] = times[last], amps[last]

    @staticmethod
    def _waveform(p):
        times = np.atleast_1d(np.asarray(p["times"], dtype=float))
        amps = np.atleast_1d(np.asarray(p["amplitudes"], dtype=float))
        return [(0.0, 0.0)] + list(zip(times.tolist(), amps.tolist()))


ACSource = _unsupported(electrodes.ACSource, "no sinusoidal current source in Volley")
NoisyCurrentSource = _unsupported(electrodes.NoisyCurrentSource, "no noisy current source in Volley")


class _Composed:
    def __init__(self, *args, **kwargs):
        raise NotImplementedError(
            f"{type(self).__name__}: composed cell types (PointNeuron with receptor components) "
            "are not available in volley.pynn"
        )


PointNeuron = type("PointNeuron", (_Composed,), {})
LIF = type("LIF", (_Composed,), {})
AdExp = type("AdExp", (_Composed,), {})
AlphaPSR = type("AlphaPSR", (_Composed,), {})
CurrExpPostSynapticResponse = type("CurrExpPostSynapticResponse", (_Composed,), {})
CondExpPostSynapticResponse = type("CondExpPostSynapticResponse", (_Composed,), {})
CondAlphaPostSynapticResponse = type("CondAlphaPostSynapticResponse", (_Composed,), {})
