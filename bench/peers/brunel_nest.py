#!/usr/bin/env python3
"""Brunel (2000) scale-s network in NEST, timed in phases; prints one JSON object.

  python brunel_nest.py --scale 1 --threads 2 --model iaf_psc_delta [--simtime 1000 --warmup 100]

Same network and parameters as examples/brunel.toml (and shared/peers/brunel_nest.py):
NE = 10000 s, NI = NE/4, fixed in-degree CE = 0.1 NE, CI = 0.1 NI, J = 0.1 mV, g = 5,
eta = 2 (20 kHz Poisson per neuron), delay 1.5 ms, resolution 0.1 ms.
iaf_psc_delta uses poisson_generator, iaf_psc_delta_ps poisson_generator_ps.
--stdp: E->E synapses are stdp_pl_synapse_hom with the parameters of
examples/stdp_brunel.toml (hpc_benchmark's rule rescaled to mV weights: tau_plus 15,
lambda 0.00257, alpha 2.0, mu 0.4; E neurons' tau_minus 30), no autapses on E->E.
build = Create + Connect + Prepare; warm-up and the measured phase are nest.Run calls.
"""
import argparse
import json
import os
import resource
import time

import numpy as np


def rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def stats(senders, times, pops, t0, t1):
    out = {}
    T = (t1 - t0) / 1000.0
    for name, (first, n) in pops.items():
        sel = (senders >= first) & (senders < first + n) & (times > t0) & (times <= t1)
        s, t = senders[sel] - first, times[sel]
        d = {"spikes": int(s.size), "rate_hz": s.size / (n * T)}
        order = np.lexsort((t, s))
        s2, t2 = s[order], t[order]
        same = s2[1:] == s2[:-1]
        isi, who = np.diff(t2)[same], s2[1:][same]
        cnt = np.bincount(who, minlength=n)
        sm = np.bincount(who, weights=isi, minlength=n)
        sq = np.bincount(who, weights=isi * isi, minlength=n)
        ok = cnt >= 2
        mean = sm[ok] / cnt[ok]
        d["cv_isi"] = float(np.mean(np.sqrt(np.maximum(sq[ok] / cnt[ok] - mean**2, 0)) / mean)) if ok.any() else None
        out[name] = d
    return out


# The plastic E->E rules of bench/stdp.sh (RULE=...): NEST model, its parameters,
# the initial weight; the same parameters as the Volley model files it writes.
PLASTIC = {
    "stdp_pl": ("stdp_pl_synapse_hom", {"tau_plus": 15.0, "lambda": 0.00257, "alpha": 2.0, "mu": 0.4}, 0.1),
    "stdp": ("stdp_synapse", {"tau_plus": 15.0, "lambda": 0.01, "alpha": 1.0, "mu_plus": 1.0,
                              "mu_minus": 1.0, "Wmax": 0.2}, 0.1),
    "stdp_nn_symm": ("stdp_nn_symm_synapse", {"tau_plus": 15.0, "lambda": 0.01, "alpha": 1.0,
                                              "mu_plus": 1.0, "mu_minus": 1.0, "Wmax": 0.2}, 0.1),
    # u x = 0.5 at first: twice the static weight gives the same first EPSP.
    "tsodyks2": ("tsodyks2_synapse", {"U": 0.5, "u": 0.5, "x": 1.0, "tau_rec": 100.0, "tau_fac": 0.0}, 0.2),
}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--model", default="iaf_psc_delta", choices=["iaf_psc_delta", "iaf_psc_delta_ps"])
    p.add_argument("--simtime", type=float, default=1000.0)
    p.add_argument("--warmup", type=float, default=100.0)
    p.add_argument("--seed", type=int, default=12345)
    p.add_argument("--stdp", nargs="?", const="stdp_pl", default=None, choices=sorted(PLASTIC),
                   help="plastic E->E synapses with this rule (default stdp_pl)")
    a = p.parse_args()
    load0 = os.getloadavg()[0]
    import nest

    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": 0.1, "local_num_threads": a.threads, "rng_seed": a.seed})
    order = int(round(2500 * a.scale))
    NE, NI = 4 * order, order
    CE, CI = int(0.1 * NE), int(0.1 * NI)
    J, g, eta, delay, theta, tau = 0.1, 5.0, 2.0, 1.5, 20.0, 20.0
    params = {"C_m": 1.0, "tau_m": tau, "t_ref": 2.0, "E_L": 0.0, "V_reset": 0.0, "V_m": 0.0, "V_th": theta}
    rate = 1000.0 * eta * theta / (J * CE * tau) * CE
    rss0 = rss()
    t0 = time.perf_counter()
    ex = nest.Create(a.model, NE, params=dict(params, tau_minus=30.0) if a.stdp else params)
    inh = nest.Create(a.model, NI, params=params)
    gen = "poisson_generator_ps" if a.model.endswith("_ps") else "poisson_generator"
    noise = nest.Create(gen, params={"rate": rate})
    rec = nest.Create("spike_recorder", params={"start": a.warmup, "stop": a.warmup + a.simtime})
    nest.Connect(noise, ex + inh, syn_spec={"weight": J, "delay": delay})
    nest.Connect(ex + inh, rec)
    if a.stdp:
        nest_model, syn_params, w_ee = PLASTIC[a.stdp]
        nest.CopyModel(nest_model, "stdp_ee", syn_params)
        nest.Connect(ex, ex, {"rule": "fixed_indegree", "indegree": CE, "allow_autapses": False},
                     {"synapse_model": "stdp_ee", "weight": w_ee, "delay": delay})
        nest.Connect(ex, inh, {"rule": "fixed_indegree", "indegree": CE}, {"weight": J, "delay": delay})
    else:
        nest.Connect(ex, ex + inh, {"rule": "fixed_indegree", "indegree": CE}, {"weight": J, "delay": delay})
    nest.Connect(inh, ex + inh, {"rule": "fixed_indegree", "indegree": CI}, {"weight": -g * J, "delay": delay})
    nest.Prepare()
    t1 = time.perf_counter()
    rss_built = rss()
    nest.Run(a.warmup)
    t2 = time.perf_counter()
    nest.Run(a.simtime)
    t3 = time.perf_counter()
    nest.Cleanup()
    ev = nest.GetStatus(rec, "events")[0]
    senders, times = np.asarray(ev["senders"]), np.asarray(ev["times"])
    pops = {"E": (ex[0].global_id, NE), "I": (inh[0].global_id, NI)}
    st = stats(senders, times, pops, a.warmup, a.warmup + a.simtime)
    n_syn = NE * (CE + CI) + NI * (CE + CI)
    rec_events = (st["E"]["spikes"] + st["I"]["spikes"]) * (CE + CI) * 1.0  # in-degree = mean out-degree
    res = {
        "simulator": f"nest {nest.__version__} {a.model}" + (f" + {a.stdp} E->E" if a.stdp else ""),
        "threads": a.threads,
        "scale": a.scale,
        "sim_ms": a.simtime,
        "neurons": NE + NI,
        "synapses": n_syn,
        "wall_build_s": t1 - t0,
        "wall_warmup_s": t2 - t1,
        "wall_sim_s": t3 - t2,
        "recurrent_events": rec_events,
        "external_events": rate * (NE + NI) * a.simtime / 1000.0,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "bytes_per_synapse": (rss_built - rss0) / n_syn,
        "populations": [{"name": k, **v} for k, v in st.items()],
        "load_start": load0,
    }
    print(json.dumps(res))


if __name__ == "__main__":
    main()
