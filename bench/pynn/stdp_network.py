"""STDP in one PyNN script, two backends: spike sources at given times drive
IF_curr_exp cells through plastic synapses (SpikePairRule with additive or
multiplicative weight dependence); the final weights must agree.

    python stdp_network.py nest   additive out.csv
    python stdp_network.py volley additive out.csv

Writes ``pre,post,weight`` (nA) of every plastic synapse, and
``<out stem>_spikes.csv`` with the cells' spikes.
"""

import sys

import numpy as np

backend, rule, out = sys.argv[1], sys.argv[2], sys.argv[3]
if backend == "nest":
    import pyNN.nest as sim
else:
    import volley.pynn as sim

N_SRC, N_CELLS, T_STOP = 30, 4, 1000.0
rng = np.random.default_rng(7)
sim.setup(timestep=0.1, min_delay=0.1)
# On a grid of 0.5 ms (on NEST's 0.1 ms grid and exact in binary): NEST's
# stdp_synapse takes a presynaptic spike at the end of its time step (its
# stamp), even from a precise model, and 35.3 ms (not exact in binary) can
# land a step late; Volley takes exact times. On this grid both agree.
times = [np.unique(np.round(rng.uniform(1.0, T_STOP - 5, 40) * 2) / 2) for _ in range(N_SRC)]
sources = sim.Population(N_SRC, sim.SpikeSourceArray(spike_times=times), label="sources")
cells = sim.Population(N_CELLS, sim.IF_curr_exp(tau_m=20.0, cm=0.25, v_rest=-65.0, v_reset=-65.0,
                                                v_thresh=-55.0, tau_refrac=2.0,
                                                i_offset=[0.15, 0.18, 0.2, 0.22],
                                                tau_syn_E=2.0, tau_syn_I=2.0), label="cells")
weight_dependence = {
    "additive": sim.AdditiveWeightDependence(w_min=0.0, w_max=0.3),
    "multiplicative": sim.MultiplicativeWeightDependence(w_min=0.0, w_max=0.3),
}[rule]
stdp = sim.STDPMechanism(
    timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=15.0, A_plus=0.02, A_minus=0.025),
    weight_dependence=weight_dependence,
    weight=0.15, delay=1.0, dendritic_delay_fraction=1.0,
)
prj = sim.Projection(sources, cells, sim.AllToAllConnector(), stdp, receptor_type="excitatory")
cells.record("spikes")
sim.run(T_STOP)
w = prj.get("weight", format="list")
with open(out, "w") as f:
    f.write("pre,post,weight\n")
    for i, j, x in sorted(w):
        f.write(f"{int(i)},{int(j)},{float(x)!r}\n")
with open(out.replace(".csv", "_spikes.csv"), "w") as f:
    f.write("index,time_ms\n")
    rows = sorted((float(t), k) for k, st in enumerate(cells.get_data().segments[0].spiketrains) for t in st.magnitude)
    for t, k in rows:
        f.write(f"{k},{t!r}\n")
sim.end()
print(f"{backend}/{rule}: {len(w)} synapses, {len(rows)} spikes -> {out}")
