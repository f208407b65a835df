"""One PyNN script, two backends: a network that every exact simulator must
run spike for spike the same (spike sources at given times, explicit
synapse lists, IF_curr_delta or IF_curr_exp cells, no randomness left to
the simulator). pyNN.nest runs the precise NEST models (iaf_psc_*_ps).

    python exact_network.py nest  exp   out.csv   # NEST reference (needs nest-simulator)
    python exact_network.py volley delta out.csv  # volley.pynn

Writes ``index,time_ms`` of the cells' spikes, sorted by time then index.
"""

import sys

import numpy as np

backend, cell, out = sys.argv[1], sys.argv[2], sys.argv[3]
if backend == "nest":
    import pyNN.nest as sim
else:
    import volley.pynn as sim

N_SRC, N_CELLS, T_STOP = 40, 100, 300.0
rng = np.random.default_rng(42)

sim.setup(timestep=0.1, min_delay=0.1)
times = [np.sort(rng.uniform(1.0, T_STOP - 10, 20)) for _ in range(N_SRC)]  # off the grid
sources = sim.Population(N_SRC, sim.SpikeSourceArray(spike_times=times), label="sources")
params = dict(tau_m=20.0, cm=0.25, v_rest=-65.0, v_reset=-65.0, v_thresh=-55.0, tau_refrac=2.0, i_offset=0.1)
if cell == "exp":
    cells = sim.Population(N_CELLS, sim.IF_curr_exp(tau_syn_E=2.0, tau_syn_I=5.0, **params), label="cells")
    w_exc, w_inh = 0.12, -0.25  # nA
else:
    cells = sim.Population(N_CELLS, sim.IF_curr_delta(**params), label="cells")
    w_exc, w_inh = 1.2, -2.5  # mV
    # pyNN.nest cannot set v of iaf_psc_delta_ps (it warns and leaves NEST's
    # default, -70 mV): start both there.
    cells.initialize(v=-70.0)


def edges(n_pre, n_post, per_target, weight, no_self=False):
    rows = []
    for j in range(n_post):
        pre = rng.choice(n_pre, size=per_target, replace=False)
        for i in pre:
            if no_self and i == j:
                continue
            w = weight * rng.uniform(0.5, 1.5)
            d = round(rng.uniform(0.5, 3.0), 1)
            rows.append((int(i), j, w, d))
    return rows


sim.Projection(sources, cells, sim.FromListConnector(edges(N_SRC, N_CELLS, 8, w_exc)),
               receptor_type="excitatory")
sim.Projection(cells, cells, sim.FromListConnector(edges(N_CELLS, N_CELLS, 6, w_exc, True)),
               receptor_type="excitatory")
sim.Projection(cells, cells, sim.FromListConnector(edges(N_CELLS, N_CELLS, 3, w_inh, True)),
               receptor_type="inhibitory")
cells.record("spikes")
sim.run(T_STOP)
rows = []
for k, train in enumerate(cells.get_data().segments[0].spiketrains):
    rows.extend((float(t), k) for t in train.magnitude)
rows.sort()
with open(out, "w") as f:
    f.write("index,time_ms\n")
    for t, k in rows:
        f.write(f"{k},{t!r}\n")
sim.end()
print(f"{backend}/{cell}: {len(rows)} spikes -> {out}")
