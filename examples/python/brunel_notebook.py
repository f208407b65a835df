"""Build, run and plot a small Brunel network from Python (the tutorial of
docs/python.md): the model built in Python, run in two chunks, spikes and
membrane potentials as numpy arrays, plotted with matplotlib.

    pip install ./python matplotlib
    python examples/python/brunel_notebook.py        # writes brunel_notebook.png
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import volley  # noqa: E402

NE, NI = 800, 200
lif = dict(tau_m=20.0, C_m=250.0, t_ref=2.0, E_L=0.0, V_reset=10.0, V_th=20.0, I_e=0.0)

m = volley.Model(t_sim_ms=500.0, seed=1)
m.population("E", "lif_delta", size=NE, params=lif, V_m_init={"dist": "uniform", "low": 0.0, "high": 20.0})
m.population("I", "lif_delta", size=NI, params=lif, V_m_init={"dist": "uniform", "low": 0.0, "high": 20.0})
m.projection("E", ["E", "I"], rule="fixed_indegree", indegree=NE // 10, weight=0.2, delay_ms=1.5)
m.projection("I", ["E", "I"], rule="fixed_indegree", indegree=NI // 10, weight=-1.2, delay_ms=1.5)
m.input("drive", "poisson", rate_hz=6000.0, weight=0.2, delay_ms=1.5, targets=["E", "I"])
m.recorder("spikes")
m.recorder("multimeter", record=["V_m"], neurons="E[0:3]", interval_ms=0.1)

sim = volley.Simulation(m, threads=2)
sim.run(250.0)   # runs continue exactly:
sim.run(250.0)   # two halves give the spikes of one run
gids, times = sim.spikes()
trace = sim.samples("multimeter")
print(f"{len(gids)} spikes, E rate {np.sum(gids < NE) / NE / 0.5:.1f} Hz")

fig, (ax1, ax2) = plt.subplots(2, 1, sharex=True, figsize=(8, 6))
ax1.plot(times, gids, ",k")
ax1.set_ylabel("neuron")
for j, gid in enumerate(trace["gids"]):
    ax2.plot(trace["times_ms"], trace["V_m"][:, j], lw=0.7, label=f"neuron {gid}")
ax2.set_xlabel("time (ms)")
ax2.set_ylabel("V_m (mV)")
ax2.legend()
fig.savefig("brunel_notebook.png", dpi=100)
