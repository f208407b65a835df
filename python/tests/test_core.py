"""The core API: the same network and results as the command line, runs that
continue exactly, numpy results, errors that name the key, Ctrl-C."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import volley

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def volley_binary() -> Path:
    """The command-line binary (built by the README's test command first)."""
    path = Path(os.environ.get("VOLLEY_BIN", ROOT / "target" / "release" / "volley"))
    if not path.exists():
        subprocess.run(["cargo", "build", "--release", "-q"], cwd=ROOT, check=True)
    return path


def cli_run(model: Path, out: Path, *args: str) -> Path:
    subprocess.run([str(volley_binary()), "run", str(model), "--out", str(out), "-q", "--no-raster", *args],
                   check=True)
    return out


def read_spikes(path: Path):
    gids, times = [], []
    with open(path) as f:
        for row in csv.DictReader(f):
            gids.append(int(row["gid"]))
            times.append(float(row["time_ms"]))
    return np.array(gids, dtype=np.uint32), np.array(times)


@pytest.mark.parametrize("example", ["det_net_Ie262.5.toml", "det_net_exp_tau2.toml", "timed_kick.toml"])
def test_python_equals_cli_bit_for_bit(example, tmp_path):
    model = EXAMPLES / example
    gids, times = read_spikes(cli_run(model, tmp_path) / "spikes.csv")
    sim = volley.Simulation(volley.Model.from_toml(model), threads=2)
    sim.run()
    g, t = sim.spikes()
    assert len(g) == len(gids) > 0
    # spikes.csv sorts by time then gid; so does Python.
    np.testing.assert_array_equal(g, gids)
    np.testing.assert_array_equal(t, times)  # exact: the CSV holds shortest round-trip floats


def test_multimeter_equals_cli(tmp_path):
    model = EXAMPLES / "fi_curve.toml"
    out = cli_run(model, tmp_path)
    sim = volley.Simulation(model)
    sim.run()
    for name in sim.meter_names():
        d = sim.samples(name)
        with open(out / f"{name}.csv") as f:
            rows = list(csv.DictReader(f))
        var = [k for k in rows[0] if k not in ("time_ms", "gid")][0]
        cli = np.array([float(r[var]) for r in rows]).reshape(len(d["times_ms"]), len(d["gids"]))
        np.testing.assert_array_equal(d[var], cli)
        np.testing.assert_array_equal(d["times_ms"], np.unique([float(r["time_ms"]) for r in rows]))


@pytest.mark.parametrize("threads", [1, 2])
def test_chunked_runs_equal_one_run(threads):
    model = volley.Model.from_toml(EXAMPLES / "fi_curve.toml")
    one = volley.Simulation(model, threads=threads, t_sim_ms=300.0)
    one.run()
    chunked = volley.Simulation(model, threads=threads, t_sim_ms=300.0)
    for t in (0.05, 17.3, 100.0, 100.0, 211.1111, 300.0):
        chunked.run_until(t)
    assert chunked.t == 300.0
    for a, b in zip(one.spikes(), chunked.spikes()):
        np.testing.assert_array_equal(a, b)
    for name in one.meter_names():
        a, b = one.samples(name), chunked.samples(name)
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])


def test_builder_writes_the_model_file():
    m = volley.Model(t_sim_ms=200.0, seed=7)
    lif = dict(tau_m=10.0, C_m=250.0, t_ref=2.0, E_L=-65.0, V_reset=-65.0, V_th=-50.0, I_e=0.0)
    m.population("E", "lif_delta", size=80, params=lif)
    m.population("I", "lif_delta", size=20, params=lif)
    m.projection("E", ["E", "I"], rule="fixed_indegree", indegree=10, weight=0.5, delay_ms=1.5)
    m.projection("I", ["E", "I"], rule="pairwise_bernoulli", p=0.2,
                 weight={"dist": "normal", "mean": -2.0, "std": 0.2}, delay_ms=1.5)
    m.input("drive", "poisson", rate_hz=20000.0, weight=0.1, delay_ms=1.5, targets=["E", "I"])
    m.recorder("spikes")
    text = m.to_toml()
    assert 'rule = "fixed_indegree"' in text
    sim = volley.Simulation(m, threads=2)
    sim.run()
    g, t = sim.spikes()
    assert len(g) > 100 and np.all(np.diff(t) >= 0)
    # The same text read back builds the same network.
    again = volley.Simulation(text_model(text))
    again.run()
    np.testing.assert_array_equal(again.spikes()[1], t)
    # Populations and connections come back by name.
    pops = sim.populations()
    assert pops["E"] == range(0, 80) and pops["I"] == range(80, 100)
    s, tg, w, d = sim.connections("E", "I")
    assert len(s) == 20 * 10 * 80 // 100 or len(s) > 0
    assert np.all(w == 0.5) and np.all(d == 1.5)


def text_model(text: str) -> volley.Model:
    m = volley.Model()
    m._text = text
    return m


def test_per_neuron_values():
    m = volley.Model(t_sim_ms=100.0)
    m.population("n", "lif_exp", size=3, params=dict(
        tau_m=[10.0, 20.0, 10.0], C_m=250.0, t_ref=2.0, E_L=-65.0, V_reset=-65.0, V_th=-50.0,
        I_e=[400.0, 400.0, 500.0], tau_syn_ex=2.0, tau_syn_in=2.0), V_m_init=[-70.0, -60.0, -55.0])
    m.recorder("multimeter", record=["V_m"], neurons="n", interval_ms=0.1)
    sim = volley.Simulation(m)
    sim.run(50.0)
    v = sim.samples()["V_m"]
    tau = np.array([10.0, 20.0, 10.0])
    i_e = np.array([400.0, 400.0, 500.0])
    v0 = np.array([-70.0, -60.0, -55.0])
    t = 0.1
    expected = -65.0 + i_e * tau / 250.0 + (v0 + 65.0 - i_e * tau / 250.0) * np.exp(-t / tau)
    np.testing.assert_allclose(v[0], expected, rtol=0, atol=1e-9)


def test_errors_name_the_key():
    m = volley.Model(t_sim_ms=10.0)
    m.population("n", "lif_delta", size=2, params=dict(tau_m=-1.0, C_m=250.0, t_ref=2.0, E_L=-65.0,
                                                       V_reset=-65.0, V_th=-50.0, I_e=0.0))
    with pytest.raises(volley.ModelError, match=r"populations\[0\]\.params\.tau_m"):
        volley.Simulation(m)
    with pytest.raises(volley.ModelError, match="unknown neuron model"):
        volley.Simulation(volley.Model().population("x", "hodgkin_huxley", size=1))
    with pytest.raises(ValueError, match="run_until"):
        volley.Simulation(EXAMPLES / "timed_kick.toml").run_until(-1.0)


def test_gil_released_while_simulating():
    sim = volley.Simulation(EXAMPLES / "brunel.toml", threads=2)
    ticks = []
    stop = threading.Event()

    def count():
        while not stop.is_set():
            ticks.append(1)
            time.sleep(0.001)

    th = threading.Thread(target=count)
    th.start()
    sim.run(150.0)
    stop.set()
    th.join()
    assert len(ticks) > 5, "another Python thread could not run during the simulation"


def test_ctrl_c_stops_cleanly_and_continues():
    model = volley.Model.from_toml(EXAMPLES / "brunel.toml")
    whole = volley.Simulation(model, threads=2, t_sim_ms=400.0)
    whole.run()
    sim = volley.Simulation(model, threads=2, t_sim_ms=400.0)
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        sim.run()
        interrupted = False
    except KeyboardInterrupt as e:
        interrupted = True
        assert "continues" in str(e)
    timer.cancel()
    if not interrupted:
        pytest.skip("the run finished before the interrupt (fast machine)")
    assert 0 < sim.t < 400.0
    sim.run()
    for a, b in zip(whole.spikes(), sim.spikes()):
        np.testing.assert_array_equal(a, b)


def test_plastic_weights_equal_cli(tmp_path):
    m = volley.Model(t_sim_ms=500.0, seed=3)
    lif = dict(tau_m=20.0, C_m=250.0, t_ref=2.0, E_L=0.0, V_reset=10.0, V_th=20.0, I_e=0.0)
    m.population("E", "lif_delta", size=400, params=lif)
    m.projection("E", "E", rule="fixed_indegree", indegree=40, weight=0.2, delay_ms=1.5,
                 synapse={"model": "stdp", "lambda": 0.01, "alpha": 1.1, "Wmax": 1.0})
    m.input("drive", "poisson", rate_hz=15000.0, weight=0.1, delay_ms=1.5, targets="E")
    m.recorder("spikes")
    m.recorder("weights")
    path = tmp_path / "stdp_small.toml"
    m.save(path)
    out = cli_run(path, tmp_path / "out")
    sim = volley.Simulation(m, threads=2)
    sim.run()
    s, t, w = sim.plastic_weights()
    with open(out / "weights.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 400 * 40
    np.testing.assert_array_equal(w, np.array([float(r["weight"]) for r in rows]))
    np.testing.assert_array_equal(s, np.array([int(r["source"]) for r in rows]))
    assert np.any(w != 0.2), "no weight changed"
    gids, times = read_spikes(out / "spikes.csv")
    np.testing.assert_array_equal(sim.spikes()[1], times)


@pytest.mark.parametrize("threads", [(1, 2), (2, 1)])
def test_save_and_load_continue_bit_for_bit(tmp_path, threads):
    # A plastic network with a current source and a multimeter, saved
    # halfway and loaded on another thread count: the same spikes, samples
    # and weights as a simulation that never stopped.
    m = volley.Model(t_sim_ms=400.0, seed=5)
    lif = dict(tau_m=20.0, C_m=250.0, t_ref=2.0, E_L=0.0, V_reset=10.0, V_th=20.0, I_e=0.0)
    m.population("E", "lif_delta", size=300, params=lif)
    m.projection("E", "E", rule="fixed_indegree", indegree=30, weight=0.2, delay_ms=1.5,
                 synapse={"model": "stdp", "lambda": 0.01, "alpha": 1.1, "Wmax": 1.0})
    m.input("drive", "poisson", rate_hz=15000.0, weight=0.1, delay_ms=1.5, targets="E")
    m.input("steps", "step_current", times_ms=[50.0, 250.0], amplitudes_pA=[100.0, -50.0], targets=["E[0:50]"])
    m.recorder("spikes")
    m.recorder("multimeter", record=["V_m"], neurons=["E[0:5]"], interval_ms=0.5)
    whole = volley.Simulation(m, threads=threads[0])
    whole.run()
    first = volley.Simulation(m, threads=threads[0])
    half = round(200.0 / first.checkpoint_grid_ms) * first.checkpoint_grid_ms
    first.run_until(half)
    with pytest.raises(volley.ModelError, match="window edge"):
        first.run_until(half + 0.1)
        first.save(tmp_path / "late.vcp")
    first = volley.Simulation(m, threads=threads[0])
    first.run_until(half)
    first.save(tmp_path / "half.vcp")
    second = volley.Simulation.load(tmp_path / "half.vcp", threads=threads[1])
    assert second.t == half and second.threads == threads[1]
    second.run()
    for a, b in zip(whole.spikes(), second.spikes()):
        np.testing.assert_array_equal(a, b)
    a, b = whole.samples(), second.samples()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    for a, b in zip(whole.plastic_weights(), second.plastic_weights()):
        np.testing.assert_array_equal(a, b)
    damaged = (tmp_path / "half.vcp").read_bytes()
    (tmp_path / "bad.vcp").write_bytes(damaged[: len(damaged) // 2])
    with pytest.raises(volley.ModelError, match="checksum"):
        volley.Simulation.load(tmp_path / "bad.vcp")
