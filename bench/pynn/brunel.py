"""Brunel's sparse random network (model A, scale 1: 10 000 E + 2 500 I
IF_curr_delta cells, 1000 + 250 inputs each) as a PyNN script, timed on
either backend — the same script, the import the only difference.

    python brunel.py nest      [T_SIM_MS] [THREADS] [OUT.json]   # NEST's precise models (pyNN.nest's default)
    python brunel.py nest-grid [T_SIM_MS] [THREADS] [OUT.json]   # NEST's grid models (iaf_psc_delta)
    python brunel.py volley    [T_SIM_MS] [THREADS] [OUT.json]

Prints (and writes) build and run wall time, and the rate and CV of the
inter-spike intervals of each population after a 200 ms transient.
"""

import json
import sys
import time

import numpy as np

backend = sys.argv[1]
t_sim = float(sys.argv[2]) if len(sys.argv) > 2 else 1000.0
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
out = sys.argv[4] if len(sys.argv) > 4 else None

t0 = time.perf_counter()
if backend.startswith("nest"):
    import pyNN.nest as sim
else:
    import volley.pynn as sim
from pyNN.random import NumpyRNG, RandomDistribution  # noqa: E402

NE, NI = 10000, 2500
CE, CI = NE // 10, NI // 10
J, g, eta, delay = 0.1, 5.0, 2.0, 1.5
tau_m, theta, v_reset, t_ref = 20.0, 20.0, 10.0, 2.0
nu_th = theta / (J * CE * tau_m)
p_rate = 1000.0 * eta * nu_th * CE  # Hz, per neuron

extra = {"spike_precision": "on_grid"} if backend == "nest-grid" else {}
sim.setup(timestep=0.1, min_delay=0.1, threads=threads, **extra)
cell = sim.IF_curr_delta(tau_m=tau_m, cm=0.25, v_rest=0.0, v_reset=v_reset, v_thresh=theta, tau_refrac=t_ref)
E = sim.Population(NE, cell, label="E")
I = sim.Population(NI, cell, label="I")
for p in (E, I):
    # pyNN.nest cannot set v of IF_curr_delta cells (they start at -70 mV);
    # the rates are measured after a 200 ms transient.
    p.initialize(v=RandomDistribution("uniform", low=0.0, high=theta, rng=NumpyRNG(seed=42)))
exc = sim.StaticSynapse(weight=J, delay=delay)
inh = sim.StaticSynapse(weight=-g * J, delay=delay)
# One projection per (source, target) population, as PyNN's own brunel.py:
# pyNN.nest scales delta weights wrongly (x 1000) when the target is an
# Assembly.
for target in (E, I):
    noise = sim.Population(target.size, sim.SpikeSourcePoisson(rate=p_rate), label=f"noise_{target.label}")
    sim.Projection(E, target, sim.FixedNumberPreConnector(CE), exc, receptor_type="excitatory")
    sim.Projection(I, target, sim.FixedNumberPreConnector(CI), inh, receptor_type="inhibitory")
    sim.Projection(noise, target, sim.OneToOneConnector(), exc, receptor_type="excitatory")
E.record("spikes")
I.record("spikes")
t_built = time.perf_counter()
sim.run(t_sim)
t_ran = time.perf_counter()

result = {"backend": backend, "t_sim_ms": t_sim, "threads": threads,
          "wall_build_s": t_built - t0, "wall_run_s": t_ran - t_built}
for pop in (E, I):
    trains = pop.get_data().segments[0].spiketrains
    rates, cvs = [], []
    for st in trains:
        s = np.asarray(st)
        s = s[s >= 200.0]
        rates.append(len(s) / ((t_sim - 200.0) / 1000.0))
        if len(s) > 2:
            isi = np.diff(s)
            cvs.append(isi.std() / isi.mean())
    result[f"rate_{pop.label}_hz"] = float(np.mean(rates))
    result[f"cv_{pop.label}"] = float(np.mean(cvs)) if cvs else float("nan")
result["wall_total_s"] = time.perf_counter() - t0
sim.end()
print(json.dumps(result))
if out:
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
