#!/usr/bin/env python3
"""Write the Potjans & Diesmann (2014) cortical microcircuit as a Volley model file.

  python3 bench/make_microcircuit.py [--scale 1.0] [--t-sim 1500] [--warmup 500] > examples/microcircuit.toml

Parameters and scaling as NEST's Potjans_2014 example (network_params.py /
helpers.py, also in ../shared/peers/microcircuit_nest.py): 8 populations of
`lif_exp` (iaf_psc_exp) neurons, `fixed_total_number` projections without
autapses, normal weights (10 % std, sign kept by redrawing) and delays (50 %
std, redrawn below 0.05 ms, on a 0.1 ms grid), Poisson background at 8 Hz per
external synapse, initial potentials from the "optimized" normal
distributions. At scale < 1: N_scaling = K_scaling = scale, weights / sqrt(scale)
and a DC current compensating the lost input.
"""
import argparse
import math

POPS = ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"]
N_FULL = [20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948]
RATES_FULL = [0.903, 2.965, 4.414, 5.876, 7.569, 8.633, 1.105, 7.829]
P = [  # connection probability [target][source]
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
    [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443],
]
K_EXT = [1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100]
PSP_E, G, W_STD = 0.15, -4.0, 0.1          # mV, relative inhibition, relative std
D_E, D_I, D_STD = 1.5, 0.75, 0.5            # ms, relative std
BG_HZ, D_BG = 8.0, 1.5
V0 = [(-68.28, 5.36), (-63.16, 4.57), (-63.33, 4.74), (-63.45, 4.94),
      (-63.11, 4.94), (-61.66, 4.55), (-66.72, 5.46), (-61.43, 4.48)]
C_M, TAU_M, TAU_SYN = 250.0, 10.0, 0.5


def psc_per_psp():
    """PSC amplitude (pA) giving a 1 mV PSP peak (iaf_psc_exp)."""
    sub = 1.0 / (TAU_SYN - TAU_M)
    pre = TAU_M * TAU_SYN / C_M * sub
    frac = (TAU_M / TAU_SYN) ** sub
    return 1.0 / (pre * (frac**TAU_M - frac**TAU_SYN))


def pairwise_sum(xs):
    """numpy's sum of 8 values (so the files written before stay the same)."""
    r = [xs[k] for k in range(8)]
    return ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--t-sim", type=float, default=1500.0)
    ap.add_argument("--warmup", type=float, default=500.0)
    ap.add_argument("--seed", type=int, default=55)
    a = ap.parse_args()
    s = a.scale
    r8 = range(8)
    # Plain Python (no numpy: the README's commands need nothing installed).
    syn_full = [[math.log(1.0 - P[i][j]) / math.log((N_FULL[i] * N_FULL[j] - 1.0) / (N_FULL[i] * N_FULL[j]))
                 for j in r8] for i in r8]
    n = [round(N_FULL[i] * s) for i in r8]
    syn = [[round(syn_full[i][j] * s * s) for j in r8] for i in r8]
    k_ext = [round(K_EXT[i] * s) for i in r8]
    psp = [[PSP_E if j % 2 == 0 else PSP_E * G for j in r8] for i in r8]
    psp[0][2] = 2.0 * PSP_E                   # L4E -> L23E doubled
    f = psc_per_psp()
    W, w_ext = [[psp[i][j] * f for j in r8] for i in r8], PSP_E * f
    dc = [0.0] * 8
    if s != 1.0:
        for i in r8:
            recurrent = pairwise_sum([W[i][j] * (syn_full[i][j] / N_FULL[i]) * RATES_FULL[j] for j in r8])
            dc[i] += 0.001 * TAU_SYN * (1.0 - math.sqrt(s)) * recurrent
            dc[i] += 0.001 * TAU_SYN * (1.0 - math.sqrt(s)) * (w_ext * K_EXT[i] * BG_HZ)
        W = [[W[i][j] / math.sqrt(s) for j in r8] for i in r8]
        w_ext = w_ext / math.sqrt(s)
    out = []
    w = out.append
    w(f"# Potjans & Diesmann (2014) cortical microcircuit, scale {s:g}: written by")
    w(f"#   python3 bench/make_microcircuit.py --scale {s:g} --t-sim {a.t_sim:g} --warmup {a.warmup:g}")
    w("# (parameters and scaling of NEST's Potjans_2014 example; see the script).")
    w(f'description = "PD14 microcircuit, scale {s:g}: {sum(n)} lif_exp neurons, {sum(map(sum, syn))} synapses, Poisson background"')
    w(f"t_sim_ms = {a.t_sim:.1f}")
    w(f"seed = {a.seed}")
    for i, p in enumerate(POPS):
        w("")
        w("[[populations]]")
        w(f'name = "{p}"')
        w('model = "lif_exp"')
        w(f"size = {n[i]}")
        w(f"params = {{ E_L = -65.0, V_th = -50.0, V_reset = -65.0, C_m = {C_M}, tau_m = {TAU_M}, "
          f"tau_syn_ex = {TAU_SYN}, tau_syn_in = {TAU_SYN}, t_ref = 2.0, I_e = {float(dc[i])!r} }}")
        w(f'V_m_init = {{ dist = "normal", mean = {V0[i][0]}, std = {V0[i][1]} }}')
    for i, tgt in enumerate(POPS):
        for j, src in enumerate(POPS):
            if syn[i][j] <= 0:
                continue
            mean, d = float(W[i][j]), (D_E if j % 2 == 0 else D_I)
            bound = "min = 0.0" if mean > 0 else "max = 0.0"
            w("")
            w("[[projections]]")
            w(f'source = "{src}"')
            w(f'target = "{tgt}"')
            w('rule = "fixed_total_number"')
            w(f"n = {syn[i][j]}")
            w("allow_autapses = false")
            w(f'weight = {{ dist = "normal", mean = {mean!r}, std = {abs(mean) * W_STD!r}, {bound} }}')
            w(f'delay_ms = {{ dist = "normal", mean = {d}, std = {d * D_STD}, min = 0.05 }}')
    for i, p in enumerate(POPS):
        w("")
        w("[[inputs]]")
        w(f'name = "bg_{p}"')
        w('kind = "poisson"')
        w(f"rate_hz = {BG_HZ * k_ext[i]:.1f}")
        w(f"weight = {float(w_ext)!r}")
        w(f"delay_ms = {D_BG}")
        w(f'targets = "{p}"')
    w("")
    w("[[recorders]]")
    w('kind = "spikes"')
    w(f"start_ms = {a.warmup:.1f}")
    print("\n".join(out))


if __name__ == "__main__":
    main()
