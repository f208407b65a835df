#!/usr/bin/env python3
"""Reference data for plastic synapses: a small deterministic network whose
E->E synapses are plastic, simulated by NEST with stdp_synapse (multiplicative
and additive), stdp_nn_symm_synapse, stdp_pl_synapse_hom and tsodyks2_synapse. tests/it/plasticity.rs
runs the same network in Volley and compares spikes and final synapse states.

  /tmp/peers/bin/python bench/peers/plastic_net.py [OUTDIR] [--simtime 2000]

The network (numpy, fixed seed): 160 E + 40 I iaf_psc_delta_ps neurons, fixed
in-degree 20 E + 5 I (no autapses, no multapses), per-synapse delays from
{1, 1.5, 2} ms, per-neuron initial V_m, 100 input channels (spike_generator,
precise times) reaching 15 random neurons each. Every input spike time and
delay is a multiple of the 0.125 ms resolution and I_e = 0, so every spike
falls on NEST's grid: NEST's synapses see presynaptic spikes at their grid
stamp, which then equals the exact time Volley uses. No NEST random numbers
are used: each NEST run is a pure function of the files written here.

Writes neurons.csv, edges_plastic.csv (E->E), edges_tsodyks2.csv, edges_static.csv,
input_spikes.csv, input_edges.csv, one Volley model file per variant (<variant>.toml),
and per variant from NEST (a weight_recorder on every plastic synapse):
- spikes_<variant>.csv (neuron,time_ms), spikes before T only (Volley runs [0, T));
- weights_<variant>.csv (source,target,weight,updates): each synapse's weight after
  the last presynaptic spike that reached the soma before T (tsodyks2: the weight it
  transmitted), and how many spikes updated it;
- trace_<variant>.csv (time_ms,source,target,weight): every update of 10 synapses;
plus params.json.
"""
import argparse
import json
import os

import numpy as np

N_E, N_I = 160, 40
N = N_E + N_I
C_E, C_I = 20, 5
J_E, J_I = 1.5, -6.0              # mV
N_IN, K_IN, RATE_IN, J_IN = 100, 15, 40.0, 2.0
DELAYS = [1.0, 1.5, 2.0]          # ms
RESOLUTION = 0.125                # ms; input times are multiples of it
NEURON = {"E_L": 0.0, "V_reset": 0.0, "V_th": 20.0, "C_m": 250.0, "tau_m": 20.0,
          "t_ref": 2.0, "I_e": 0.0, "tau_minus": 25.0}
SEED = 7
VARIANTS = {
    "stdp_mult": ("stdp_synapse", "stdp",
                  {"tau_plus": 15.0, "lambda": 0.05, "alpha": 1.1, "mu_plus": 1.0, "mu_minus": 1.0, "Wmax": 4.0}),
    "stdp_add": ("stdp_synapse", "stdp",
                 {"tau_plus": 20.0, "lambda": 0.02, "alpha": 1.2, "mu_plus": 0.0, "mu_minus": 0.0, "Wmax": 3.0}),
    "stdp_nn_symm": ("stdp_nn_symm_synapse", "stdp_nn_symm",
                     {"tau_plus": 15.0, "lambda": 0.03, "alpha": 1.5, "mu_plus": 0.4, "mu_minus": 1.0, "Wmax": 4.0}),
    "stdp_pl": ("stdp_pl_synapse_hom", "stdp_pl",
                {"tau_plus": 15.0, "lambda": 0.02, "alpha": 0.8, "mu": 0.4}),
    "tsodyks2": ("tsodyks2_synapse", "tsodyks2",
                 {"U": 0.3, "u": 0.3, "x": 1.0, "tau_rec": 200.0, "tau_fac": 100.0}),
}
TSODYKS_WEIGHT = 5.0              # mV; tsodyks2 transmits x u weight


def network(simtime):
    rng = np.random.default_rng(SEED)
    v0 = rng.uniform(0.0, 19.0, N)
    plastic, static = [], []
    for j in range(N):
        exc = rng.choice([k for k in range(N_E) if k != j], C_E, replace=False)
        inh = rng.choice([k for k in range(N_E, N) if k != j], C_I, replace=False)
        for s in exc:
            row = (int(s), j, J_E, float(rng.choice(DELAYS)))
            (plastic if j < N_E else static).append(row)
        for s in inh:
            static.append((int(s), j, J_I, float(rng.choice(DELAYS))))
    plastic.sort()
    static.sort()
    spikes = []
    for c in range(N_IN):
        n = rng.poisson(RATE_IN * simtime / 1000.0)
        t = np.unique(np.ceil(rng.uniform(0.0, simtime, n) / RESOLUTION) * RESOLUTION)
        spikes += [(c, float(x)) for x in t if 0.0 < x <= simtime]
    in_rows = []
    for j in range(N):
        for c in rng.choice(N_IN, K_IN, replace=False):
            in_rows.append((int(c), j, J_IN, float(rng.choice(DELAYS))))
    in_rows.sort()
    return v0, plastic, static, spikes, in_rows


def simulate(net, simtime, variant):
    import nest
    v0, plastic, static, spikes, in_rows = net
    nest_model, _, params = VARIANTS[variant]
    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.SetKernelStatus({"resolution": RESOLUTION, "local_num_threads": 1})
    pop = nest.Create("iaf_psc_delta_ps", N, params=NEURON)
    pop.V_m = v0
    gens = nest.Create("spike_generator", N_IN, params={"precise_times": True})
    for c in range(N_IN):
        gens[c].spike_times = [t for (k, t) in spikes if k == c]
    rec = nest.Create("spike_recorder", params={"time_in_steps": True})
    g0, i0 = pop[0].global_id, gens[0].global_id
    s, t, w, d = (np.array(x) for x in zip(*static))
    nest.Connect(s + g0, t + g0, "one_to_one", {"weight": w, "delay": d})
    s, t, w, d = (np.array(x) for x in zip(*plastic))
    if nest_model == "tsodyks2_synapse":
        w = np.full(len(s), TSODYKS_WEIGHT)
    wr = nest.Create("weight_recorder")
    syn = {"synapse_model": "plastic_rec", "weight": w, "delay": d}
    if nest_model.endswith("_hom"):  # parameters shared by all synapses of the model
        nest.CopyModel(nest_model, "plastic_rec", dict(params, weight_recorder=wr))
    else:
        nest.CopyModel(nest_model, "plastic_rec", {"weight_recorder": wr})
        syn.update(params)
    nest.Connect(s + g0, t + g0, "one_to_one", syn)
    s, t, w, d = (np.array(x) for x in zip(*in_rows))
    nest.Connect(s + i0, t + g0, "one_to_one", {"weight": w, "delay": d})
    nest.Connect(pop, rec)
    nest.Simulate(simtime)
    ev = rec.get("events")
    times = np.asarray(ev["times"], dtype=np.int64) * RESOLUTION - np.asarray(ev["offsets"], dtype=float)
    ids = np.asarray(ev["senders"]) - g0
    out_spikes = sorted(zip(ids.tolist(), times.tolist()), key=lambda x: (x[1], x[0]))
    ev = wr.get("events")
    updates = sorted(zip((np.asarray(ev["senders"]) - g0).tolist(), (np.asarray(ev["targets"]) - g0).tolist(),
                         np.asarray(ev["times"], dtype=float).tolist(), np.asarray(ev["weights"], dtype=float).tolist()))
    return out_spikes, updates


def volley_model(variant, simtime):
    _, model, params = VARIANTS[variant]
    syn = ", ".join([f'model = "{model}"'] + [f"{k} = {v!r}" for k, v in params.items()])
    neuron = ", ".join(f"{k} = {v!r}" for k, v in NEURON.items())
    plastic_weight = ""
    edges = "edges_plastic.csv" if model != "tsodyks2" else "edges_tsodyks2.csv"
    return f"""# Written by bench/peers/plastic_net.py: E->E synapses `{model}`, the rest static.
# NEST 3.10 ran the same network with {VARIANTS[variant][0]}: spikes_{variant}.csv, synapses_{variant}.csv.
description = "plastic_net {variant}: 160 E + 40 I lif_delta neurons, plastic E->E"
t_sim_ms = {simtime!r}
seed = 1

[[populations]]
name = "plastic_net"
model = "lif_delta"
file = "neurons.csv"
split_by_type = true
params = {{ {neuron} }}

[[projections]]
rule = "edge_list"
file = "edges_static.csv"

[[projections]]
rule = "edge_list"
file = "{edges}"{plastic_weight}
synapse = {{ {syn} }}

[[inputs]]
name = "channels"
kind = "spike_times"
spikes = "input_spikes.csv"
edges = "input_edges.csv"

[[recorders]]
kind = "weights"
synapses = "all"
"""


def write_rows(path, head, rows):
    with open(path, "w") as f:
        f.write(head + "\n")
        for r in rows:
            f.write(",".join(repr(x) if isinstance(x, float) else str(x) for x in r) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir", nargs="?", default="tests/data/plastic_net")
    ap.add_argument("--simtime", type=float, default=2000.0)
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    net = network(a.simtime)
    v0, plastic, static, spikes, in_rows = net
    with open(os.path.join(a.outdir, "neurons.csv"), "w") as f:
        f.write("neuron,type,V_m0_mV\n")
        for k in range(N):
            f.write(f"{k},{'E' if k < N_E else 'I'},{float(v0[k])!r}\n")
    edge_head = "source,target,weight_mV,delay_ms"
    write_rows(os.path.join(a.outdir, "edges_plastic.csv"), edge_head, plastic)
    write_rows(os.path.join(a.outdir, "edges_tsodyks2.csv"), edge_head,
               [(s, t, TSODYKS_WEIGHT, d) for (s, t, _, d) in plastic])
    write_rows(os.path.join(a.outdir, "edges_static.csv"), edge_head, static)
    write_rows(os.path.join(a.outdir, "input_edges.csv"), "input,target,weight_mV,delay_ms", in_rows)
    write_rows(os.path.join(a.outdir, "input_spikes.csv"), "input,time_ms", sorted(spikes))
    runs = {}
    delay = {(s, t): d for (s, t, _, d) in plastic}
    for variant in VARIANTS:
        out, updates = simulate(net, a.simtime, variant)
        # Volley simulates [0, T): NEST's spikes at exactly T are left out.
        out = [(k, t) for (k, t) in out if t < a.simtime]
        write_rows(os.path.join(a.outdir, f"spikes_{variant}.csv"), "neuron,time_ms", out)
        # A synapse's weight after every presynaptic spike that reached the
        # soma before T (NEST also sent some whose delivery falls after T).
        # tsodyks2: the last transmitted weight x u w (NaN: none).
        initial = TSODYKS_WEIGHT if variant == "tsodyks2" else J_E
        last = {(s, t): (float("nan") if variant == "tsodyks2" else initial, 0) for (s, t, _, _) in plastic}
        kept = [(s, t, tp, w) for (s, t, tp, w) in updates if tp + delay[(s, t)] < a.simtime]
        for (s, t, tp, w) in kept:
            last[(s, t)] = (w, last[(s, t)][1] + 1)
        rows = [(s, t, w, n) for (s, t), (w, n) in sorted(last.items())]
        write_rows(os.path.join(a.outdir, f"weights_{variant}.csv"), "source,target,weight,updates", rows)
        sample = sorted(set((s, t) for (s, t, _, _) in plastic[:: len(plastic) // 10][:10]))
        trace = sorted([(tp, s, t, w) for (s, t, tp, w) in kept if (s, t) in sample])
        write_rows(os.path.join(a.outdir, f"trace_{variant}.csv"), "time_ms,source,target,weight", trace)
        with open(os.path.join(a.outdir, f"{variant}.toml"), "w") as f:
            f.write(volley_model(variant, a.simtime))
        w = np.array([r[2] for r in rows if r[2] == r[2]])
        runs[variant] = {"nest_model": VARIANTS[variant][0], "params": VARIANTS[variant][2],
                         "spikes": len(out), "rate_hz": len(out) / N / (a.simtime / 1000.0),
                         "weight_mean": float(w.mean()), "weight_std": float(w.std())}
        print(variant, len(out), "spikes", f"rate {runs[variant]['rate_hz']:.1f} Hz",
              f"w {w.mean():.4f} +- {w.std():.4f} (min {w.min():.4f} max {w.max():.4f})")
    import nest
    with open(os.path.join(a.outdir, "params.json"), "w") as f:
        json.dump({"nest_version": nest.__version__, "resolution_ms": RESOLUTION, "simtime_ms": a.simtime,
                   "neuron": NEURON, "seed": SEED, "runs": runs}, f, indent=1)


if __name__ == "__main__":
    main()
