#!/usr/bin/env python3
"""Reference data for `lif_exp`: a small deterministic network simulated by NEST's
precise models, written as CSV for tests/it/lif_exp.rs.

  /tmp/peers/bin/python bench/peers/det_net_exp.py [OUTDIR] [--simtime 1000]

The network (numpy, fixed seed): 400 E + 100 I neurons, fixed in-degree 40 E + 10 I
(no autapses, no multapses), per-synapse delays from {1, 1.5, 2, 2.5, 3} ms,
per-neuron initial V_m, and 100 input channels (spike_generator with precise
times, Poisson trains quantised to 2^-10 ms) reaching 20 random neurons each.
No NEST random numbers are used: the NEST run is a pure function of the files.
Writes neurons.csv, edges.csv, input_spikes.csv, input_edges.csv, params.json and
the spikes (neuron,time_ms with NEST's step and offset combined) of three runs:
- spikes_nest_lossless_tau2.csv: iaf_psc_exp_ps_lossless, tau_syn_ex = tau_syn_in = 2 ms
  (NEST's lossless threshold detection needs equal synaptic time constants);
- spikes_nest_ps_tau2.csv: iaf_psc_exp_ps, the same parameters;
- spikes_nest_ps_tau5.csv: iaf_psc_exp_ps with tau_syn_in = 5 ms;
- spikes_nest_alpha_tau5.csv: iaf_psc_alpha_ps (alpha-shaped currents peaking at the
  weight), tau_syn_in = 5 ms, for `lif_alpha`.
iaf_psc_exp_ps tests the threshold only at input times and at the end of each
0.125 ms step, so it misses crossings that start and end between two such points.
"""
import argparse
import json
import os

import numpy as np

N_E, N_I = 400, 100
N = N_E + N_I
C_E, C_I = 40, 10
J_E, J_I = 40.0, -200.0          # pA
N_IN, K_IN, RATE_IN, J_IN = 100, 20, 20.0, 60.0
DELAYS = [1.0, 1.5, 2.0, 2.5, 3.0]
QUANTUM = 1.0 / 1024.0           # ms, exact in binary and a whole number of Volley ticks
RESOLUTION = 0.125               # ms
PARAMS = {"E_L": -70.0, "V_reset": -70.0, "V_th": -55.0, "C_m": 250.0, "tau_m": 10.0,
          "t_ref": 2.0, "tau_syn_ex": 2.0, "tau_syn_in": 5.0, "I_e": 300.0}
SEED = 1  # (20261128, 2 and 5 make NEST's lossless model stop with a NumericalInstability in its regula falsi)


def network(simtime):
    rng = np.random.default_rng(SEED)
    v0 = rng.uniform(-70.0, -56.0, N)
    rows = []
    for j in range(N):
        exc = rng.choice([k for k in range(N_E) if k != j], C_E, replace=False)
        inh = rng.choice([k for k in range(N_E, N) if k != j], C_I, replace=False)
        for s in np.concatenate([exc, inh]):
            rows.append((int(s), j, J_E if s < N_E else J_I, float(rng.choice(DELAYS))))
    rows.sort()
    spikes = []
    for c in range(N_IN):
        n = rng.poisson(RATE_IN * simtime / 1000.0)
        t = np.unique(np.ceil(rng.uniform(0.0, simtime, n) / QUANTUM) * QUANTUM)
        spikes += [(c, float(x)) for x in t if 0.0 < x <= simtime]
    in_rows = []
    for j in range(N):
        for c in rng.choice(N_IN, K_IN, replace=False):
            in_rows.append((int(c), j, J_IN, float(rng.choice(DELAYS))))
    in_rows.sort()
    return v0, rows, spikes, in_rows


def simulate(v0, rows, spikes, in_rows, simtime, model, tau_in):
    import nest
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": RESOLUTION, "local_num_threads": 1})
    pop = nest.Create(model, N, params=dict(PARAMS, tau_syn_in=tau_in))
    pop.V_m = v0
    gens = nest.Create("spike_generator", N_IN, params={"precise_times": True})
    for c in range(N_IN):
        gens[c].spike_times = [t for (k, t) in spikes if k == c]
    rec = nest.Create("spike_recorder", params={"time_in_steps": True})
    g0, i0 = pop[0].global_id, gens[0].global_id
    s, t, w, d = (np.array(x) for x in zip(*rows))
    nest.Connect(s + g0, t + g0, "one_to_one", {"weight": w, "delay": d})
    s, t, w, d = (np.array(x) for x in zip(*in_rows))
    nest.Connect(s + i0, t + g0, "one_to_one", {"weight": w, "delay": d})
    nest.Connect(pop, rec)
    nest.Simulate(simtime)
    ev = rec.get("events")
    steps = np.asarray(ev["times"], dtype=np.int64)
    offsets = np.asarray(ev["offsets"], dtype=float)
    times = steps * RESOLUTION - offsets
    ids = np.asarray(ev["senders"]) - g0
    return sorted(zip(ids.tolist(), times.tolist()), key=lambda x: (x[1], x[0]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir", nargs="?", default="tests/data/det_net_exp")
    ap.add_argument("--simtime", type=float, default=1000.0)
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    v0, rows, spikes, in_rows = network(a.simtime)
    with open(os.path.join(a.outdir, "neurons.csv"), "w") as f:
        f.write("neuron,type,V_m0_mV\n")
        for k in range(N):
            f.write(f"{k},{'E' if k < N_E else 'I'},{float(v0[k])!r}\n")
    for name, head, data in [("edges.csv", "source,target,weight_pA,delay_ms", rows),
                             ("input_edges.csv", "input,target,weight_pA,delay_ms", in_rows)]:
        with open(os.path.join(a.outdir, name), "w") as f:
            f.write(head + "\n")
            for s, t, w, d in data:
                f.write(f"{s},{t},{w!r},{d!r}\n")
    with open(os.path.join(a.outdir, "input_spikes.csv"), "w") as f:
        f.write("input,time_ms\n")
        for c, t in sorted(spikes):
            f.write(f"{c},{t!r}\n")
    runs = {}
    for name, model, tau_in in [("lossless_tau2", "iaf_psc_exp_ps_lossless", 2.0),
                                ("ps_tau2", "iaf_psc_exp_ps", 2.0),
                                ("ps_tau5", "iaf_psc_exp_ps", 5.0),
                                ("alpha_tau5", "iaf_psc_alpha_ps", 5.0)]:
        out = simulate(v0, rows, spikes, in_rows, a.simtime, model, tau_in)
        with open(os.path.join(a.outdir, f"spikes_nest_{name}.csv"), "w") as f:
            f.write("neuron,time_ms\n")
            for k, t in out:
                f.write(f"{k},{t!r}\n")
        runs[name] = {"model": model, "tau_syn_in": tau_in, "spikes": len(out),
                      "rate_hz": len(out) / N / (a.simtime / 1000.0)}
        print(name, len(out), "spikes")
    import nest
    with open(os.path.join(a.outdir, "params.json"), "w") as f:
        json.dump({"nest_version": nest.__version__, "resolution_ms": RESOLUTION, "simtime_ms": a.simtime,
                   "params": PARAMS, "seed": SEED, "runs": runs}, f, indent=1)


if __name__ == "__main__":
    main()
