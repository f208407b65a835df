#!/usr/bin/env python3
"""Reference data for multimeters and current sources: a small deterministic
network per precise NEST model, driven by precise spike generators, a
dc_generator and a step_current_generator, sampled by a multimeter on 20
neurons every 0.1 ms. Written, with the Volley model files that describe the
same network, to tests/data/instruments for tests/it/instruments.rs.

  /tmp/peers/bin/python bench/peers/instruments.py [OUTDIR]

The network (numpy, fixed seed): 48 E + 12 I neurons, fixed in-degree 6 E + 2 I,
delays from {1, 1.5, 2} ms, per-neuron initial V_m, and 20 input channels
(Poisson trains quantised to 2^-10 ms) reaching 15 random neurons each.
No NEST random numbers are used.

NEST's one-step device delay: a current generator reaches its targets over a
connection whose delay is the resolution h (0.1 ms here), so a dc_generator
with `start = s` changes the neuron's current at `s + h`. The NEST run uses
start/stop/amplitude_times = Volley's times - h; the Volley model files carry
the times at which the current really changes.

NEST's multimeter delivers samples up to T - min_delay; the test compares the
times both have.
"""
import argparse
import json
import os

import numpy as np

N_E, N_I = 48, 12
N = N_E + N_I
C_E, C_I = 6, 2
N_IN, K_IN, RATE_IN = 20, 15, 50.0
DELAYS = [1.0, 1.5, 2.0]
QUANTUM = 1.0 / 1024.0
H = 0.1
SIMTIME = 200.0
SEED = 7
# Current sources, in Volley's terms (the times the current changes).
DC = {"amplitude_pA": 150.0, "start_ms": 50.1, "stop_ms": 150.1, "targets": (0, 20)}
STEPS = {"times_ms": [20.1, 80.1, 120.1, 160.1], "amplitudes_pA": [80.0, -50.0, 200.0, 0.0],
         "targets": (10, 30)}
SAMPLED = list(range(0, 40, 2))

MODELS = {
    "delta": {
        "nest": "iaf_psc_delta_ps", "volley": "lif_delta",
        "params": {"E_L": 0.0, "V_reset": 0.0, "V_th": 20.0, "C_m": 250.0, "tau_m": 20.0,
                   "t_ref": 2.0, "I_e": 200.0},
        "J_E": 1.5, "J_I": -6.0, "J_IN": 4.0, "record": ["V_m"],
    },
    "exp": {
        "nest": "iaf_psc_exp_ps", "volley": "lif_exp",
        "params": {"E_L": -70.0, "V_reset": -70.0, "V_th": -55.0, "C_m": 250.0, "tau_m": 10.0,
                   "t_ref": 2.0, "tau_syn_ex": 2.0, "tau_syn_in": 5.0, "I_e": 300.0},
        "J_E": 40.0, "J_I": -160.0, "J_IN": 90.0, "record": ["V_m"],
    },
    "alpha": {
        "nest": "iaf_psc_alpha_ps", "volley": "lif_alpha",
        "params": {"E_L": -70.0, "V_reset": -70.0, "V_th": -55.0, "C_m": 250.0, "tau_m": 10.0,
                   "t_ref": 2.0, "tau_syn_ex": 2.0, "tau_syn_in": 5.0, "I_e": 300.0},
        "J_E": 20.0, "J_I": -70.0, "J_IN": 40.0, "record": ["V_m", "I_syn_ex", "I_syn_in"],
    },
}


def network():
    rng = np.random.default_rng(SEED)
    v0 = rng.uniform(0.0, 14.0, N)  # above E_L, below threshold
    rows = []
    for j in range(N):
        exc = rng.choice([k for k in range(N_E) if k != j], C_E, replace=False)
        inh = rng.choice([k for k in range(N_E, N) if k != j], C_I, replace=False)
        for s in np.concatenate([exc, inh]):
            rows.append((int(s), j, float(rng.choice(DELAYS))))
    rows.sort()
    spikes = []
    for c in range(N_IN):
        n = rng.poisson(RATE_IN * SIMTIME / 1000.0)
        t = np.unique(np.ceil(rng.uniform(0.0, SIMTIME, n) / QUANTUM) * QUANTUM)
        spikes += [(c, float(x)) for x in t if 0.0 < x <= SIMTIME]
    in_rows = []
    for c in range(N_IN):
        for j in sorted(rng.choice(N, K_IN, replace=False)):
            in_rows.append((c, int(j), float(rng.choice(DELAYS))))
    in_rows.sort()
    return v0, rows, spikes, in_rows


def simulate(m, v0, rows, spikes, in_rows):
    import nest
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": H, "local_num_threads": 1})
    e_l = m["params"]["E_L"]
    pop = nest.Create(m["nest"], N, params=m["params"])
    pop.V_m = v0 + e_l
    gens = nest.Create("spike_generator", N_IN, params={"precise_times": True})
    for c in range(N_IN):
        gens[c].spike_times = [t for (k, t) in spikes if k == c]
    g0, i0 = pop[0].global_id, gens[0].global_id
    s, t, d = (np.array(x) for x in zip(*rows))
    w = np.where(s < N_E, m["J_E"], m["J_I"])
    nest.Connect(s + g0, t + g0, "one_to_one", {"weight": w, "delay": d})
    s, t, d = (np.array(x) for x in zip(*in_rows))
    nest.Connect(s + i0, t + g0, "one_to_one",
                 {"weight": np.full(len(s), m["J_IN"]), "delay": d})
    dc = nest.Create("dc_generator", params={
        "amplitude": DC["amplitude_pA"], "start": DC["start_ms"] - H, "stop": DC["stop_ms"] - H})
    nest.Connect(dc, pop[DC["targets"][0]:DC["targets"][1]], syn_spec={"delay": H})
    sc = nest.Create("step_current_generator", params={
        "amplitude_times": [round(x - H, 10) for x in STEPS["times_ms"]],
        "amplitude_values": STEPS["amplitudes_pA"]})
    nest.Connect(sc, pop[STEPS["targets"][0]:STEPS["targets"][1]], syn_spec={"delay": H})
    rec = nest.Create("spike_recorder", params={"time_in_steps": True})
    nest.Connect(pop, rec)
    mm = nest.Create("multimeter", params={"record_from": m["record"], "interval": H})
    nest.Connect(mm, pop[SAMPLED])
    nest.Simulate(SIMTIME)
    ev = rec.get("events")
    times = np.asarray(ev["times"], dtype=np.int64) * H - np.asarray(ev["offsets"], dtype=float)
    ids = np.asarray(ev["senders"]) - g0
    out_spikes = sorted(zip(ids.tolist(), times.tolist()), key=lambda x: (x[1], x[0]))
    ev = mm.get("events")
    samples = sorted(zip(np.round(np.asarray(ev["times"]) / H).astype(int).tolist(),
                         (np.asarray(ev["senders"]) - g0).tolist(),
                         *[np.asarray(ev[r]).tolist() for r in m["record"]]))
    return out_spikes, samples


def model_file(name, m):
    p = ", ".join(f"{k} = {v!r}" for k, v in m["params"].items())
    lo, hi = DC["targets"]
    slo, shi = STEPS["targets"]
    return f"""# Written by bench/peers/instruments.py: the network NEST simulated with
# {m['nest']} for spikes_nest_{name}.csv and multimeter_nest_{name}.csv
# (tests/it/instruments.rs compares them). Current times are when the current
# changes (NEST's generator times + its one-step device delay of {H} ms).
t_sim_ms = {SIMTIME!r}
seed = 1

[[populations]]
name = "net"
model = "{m['volley']}"
file = "neurons_{name}.csv"
split_by_type = true
params = {{ {p} }}

[[projections]]
rule = "edge_list"
file = "edges_{name}.csv"

[[inputs]]
name = "channels"
kind = "spike_times"
spikes = "input_spikes.csv"
edges = "input_edges_{name}.csv"

[[inputs]]
name = "dc"
kind = "dc"
amplitude_pA = {DC['amplitude_pA']!r}
start_ms = {DC['start_ms']!r}
stop_ms = {DC['stop_ms']!r}
targets = "E[{lo}:{hi}]"

[[inputs]]
name = "steps"
kind = "step_current"
times_ms = {STEPS['times_ms']!r}
amplitudes_pA = {STEPS['amplitudes_pA']!r}
targets = "E[{slo}:{shi}]"

[[recorders]]
kind = "multimeter"
record = {json.dumps(m['record'])}
neurons = {SAMPLED!r}
interval_ms = {H!r}
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir", nargs="?", default="tests/data/instruments")
    ap.add_argument("--models", default=",".join(MODELS))
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    v0, rows, spikes, in_rows = network()
    with open(os.path.join(a.outdir, "input_spikes.csv"), "w") as f:
        f.write("input,time_ms\n")
        for c, t in sorted(spikes):
            f.write(f"{c},{t!r}\n")
    summary = {}
    for name in a.models.split(","):
        m = MODELS[name]
        e_l = m["params"]["E_L"]
        with open(os.path.join(a.outdir, f"neurons_{name}.csv"), "w") as f:
            f.write("neuron,type,V_m0_mV\n")
            for k in range(N):
                f.write(f"{k},{'E' if k < N_E else 'I'},{float(v0[k] + e_l)!r}\n")
        with open(os.path.join(a.outdir, f"edges_{name}.csv"), "w") as f:
            f.write("source,target,weight,delay_ms\n")
            for s, t, d in rows:
                f.write(f"{s},{t},{m['J_E'] if s < N_E else m['J_I']!r},{d!r}\n")
        with open(os.path.join(a.outdir, f"input_edges_{name}.csv"), "w") as f:
            f.write("input,target,weight,delay_ms\n")
            for c, t, d in in_rows:
                f.write(f"{c},{t},{m['J_IN']!r},{d!r}\n")
        with open(os.path.join(a.outdir, f"{name}.toml"), "w") as f:
            f.write(model_file(name, m))
        out, samples = simulate(m, v0, rows, spikes, in_rows)
        with open(os.path.join(a.outdir, f"spikes_nest_{name}.csv"), "w") as f:
            f.write("neuron,time_ms\n")
            for k, t in out:
                f.write(f"{k},{t!r}\n")
        with open(os.path.join(a.outdir, f"multimeter_nest_{name}.csv"), "w") as f:
            f.write("step,gid," + ",".join(m["record"]) + "\n")
            for row in samples:
                f.write(",".join(repr(x) for x in row) + "\n")
        summary[name] = {"model": m["nest"], "spikes": len(out), "samples": len(samples)}
        print(name, len(out), "spikes", len(samples), "samples")
    import nest
    summary["nest_version"] = nest.__version__
    with open(os.path.join(a.outdir, "params.json"), "w") as f:
        json.dump(summary, f, indent=1)


if __name__ == "__main__":
    main()
