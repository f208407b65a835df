#!/usr/bin/env python3
"""Brunel (2000) in Brian2 (C++ standalone, OpenMP threads); prints one JSON object
(last line of stdout) in the same schema as brunel_nest.py.

  python brunel_brian2.py --threads 2 [--scale 1 --simtime 1000 --warmup 100]

Same network as examples/brunel.toml, on a 0.1 ms grid. External drive: PoissonInput
(CE inputs at nu_ext each = 20 kHz per neuron). Inputs during refractoriness are
discarded (weight × not_refractory). Brian2 tests the threshold before same-step
synaptic input, so its effective delay is one step longer: rates compare, trains do not.
Phases are timed inside the generated binary (std::chrono); code generation and
compilation are reported as codegen_compile_s, not counted as build.
"""
import argparse
import json
import os
import re
import shutil
import time

import numpy as np
from brunel_nest import stats


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--simtime", type=float, default=1000.0)
    p.add_argument("--warmup", type=float, default=100.0)
    p.add_argument("--seed", type=int, default=12345)
    a = p.parse_args()
    load0 = os.getloadavg()[0]
    import brian2 as b2
    from brian2 import mV, ms

    work = f"/tmp/volley_bench_brian2_t{a.threads}_{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    b2.set_device("cpp_standalone", directory=work, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = a.threads
    b2.prefs.codegen.cpp.headers = ["<chrono>", "<fstream>"]
    b2.defaultclock.dt = 0.1 * ms
    b2.seed(a.seed)
    order = int(round(2500 * a.scale))
    NE, NI = 4 * order, order
    CE, CI = int(0.1 * NE), int(0.1 * NI)
    J, g = 0.1 * mV, 5.0
    tau, theta = 20.0 * ms, 20.0 * mV
    nu_ext = 2.0 * theta / (J * CE * tau)
    dev = b2.get_device()
    clock = "std::chrono::duration<double>(std::chrono::steady_clock::now() - _t0).count()"
    dev.insert_code("main", "auto _t0 = std::chrono::steady_clock::now();")
    net = b2.NeuronGroup(NE + NI, "dv/dt = -v/tau : volt (unless refractory)", threshold="v >= theta",
                         reset="v = 0*mV", refractory=2 * ms, method="exact",
                         namespace={"tau": tau, "theta": theta})
    net.v = 0 * mV
    exc = b2.Synapses(net[:NE], net, on_pre="v_post += J * int(not_refractory_post)", delay=1.5 * ms,
                      namespace={"J": J})
    inh = b2.Synapses(net[NE:], net, on_pre="v_post += -g * J * int(not_refractory_post)", delay=1.5 * ms,
                      namespace={"J": J, "g": g})
    exc.connect(i=f"k for k in sample({NE}, size={CE})")
    inh.connect(i=f"k for k in sample({NI}, size={CI})")
    drive = b2.PoissonInput(net, "v", N=CE, rate=nu_ext, weight="J * int(not_refractory)")
    mon = b2.SpikeMonitor(net)
    assert drive is not None  # kept referenced: Brian2 only runs objects it can see
    dev.insert_code("main", f'std::cout << "T_BUILD " << {clock} << std::endl;')
    b2.run(a.warmup * ms, namespace={"J": J})
    dev.insert_code("main", f'std::cout << "T_WARMUP " << {clock} << std::endl;')
    b2.run(a.simtime * ms, namespace={"J": J})
    dev.insert_code("main", f'std::cout << "T_SIM " << {clock} << std::endl;')
    dev.insert_code("main", '{ std::ifstream f("/proc/self/status"); std::string l; '
                            'while (std::getline(f, l)) if (l.rfind("VmHWM", 0) == 0) std::cout << l << std::endl; }')
    t0 = time.perf_counter()
    dev.build(directory=work, compile=True, run=False, with_output=False)
    t1 = time.perf_counter()
    dev.run(directory=work, with_output=False, run_args=[])
    out = open(os.path.join(work, "results", "stdout.txt")).read()
    if os.environ.get("BRIAN_DEBUG"):
        print(out)
    T = {k: float(v) for k, v in re.findall(r"^(T_\w+) ([0-9.eE+-]+)", out, re.M)}
    hwm = int(re.search(r"VmHWM:\s+(\d+)", out).group(1)) * 1024
    senders = np.asarray(mon.i[:], dtype=np.int64)
    times = np.asarray(mon.t[:] / ms, dtype=float)
    st = stats(senders, times, {"E": (0, NE), "I": (NE, NI)}, a.warmup, a.warmup + a.simtime)
    n_syn = len(exc) + len(inh)
    res = {
        "simulator": f"brian2 {b2.__version__} cpp_standalone",
        "threads": a.threads,
        "scale": a.scale,
        "sim_ms": a.simtime,
        "neurons": NE + NI,
        "synapses": n_syn,
        "codegen_compile_s": t1 - t0,
        "wall_build_s": T["T_BUILD"],
        "wall_warmup_s": T["T_WARMUP"] - T["T_BUILD"],
        "wall_sim_s": T["T_SIM"] - T["T_WARMUP"],
        "recurrent_events": (st["E"]["spikes"] + st["I"]["spikes"]) * (CE + CI) * 1.0,
        "external_events": float(nu_ext / b2.Hz) * CE * (NE + NI) * a.simtime / 1000.0,
        "peak_rss_bytes": hwm,
        "populations": [{"name": k, **v} for k, v in st.items()],
        "load_start": load0,
    }
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
