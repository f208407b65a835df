"""volley.pynn: the same PyNN script as pyNN.nest gives NEST's spikes and
weights (references made by bench/pynn/make_references.sh), PyNN's units,
neo output, runs, reset, and refusals that name the feature."""

from __future__ import annotations

import csv
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pyNN")
import quantities as pq  # noqa: E402

import volley.pynn as sim  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data"
BENCH = ROOT / "bench" / "pynn"


def spikes_by_index(path):
    out = defaultdict(list)
    with open(path) as f:
        for row in csv.DictReader(f):
            out[int(row["index"])].append(float(row["time_ms"]))
    return out


@pytest.mark.parametrize("cell", ["delta", "exp"])
def test_exact_network_equals_pynn_nest(cell, tmp_path):
    out = tmp_path / "spikes.csv"
    subprocess.run([sys.executable, str(BENCH / "exact_network.py"), "volley", cell, str(out)], check=True)
    ours, nest = spikes_by_index(out), spikes_by_index(DATA / f"pynn_nest_exact_{cell}.csv")
    assert sum(map(len, nest.values())) > 500
    assert set(ours) == set(nest)
    for k in nest:
        assert len(ours[k]) == len(nest[k]), f"cell {k}"
        np.testing.assert_allclose(ours[k], nest[k], rtol=0, atol=1e-9)


@pytest.mark.parametrize("rule", ["additive", "multiplicative"])
def test_stdp_weights_equal_pynn_nest(rule, tmp_path):
    out = tmp_path / "weights.csv"
    subprocess.run([sys.executable, str(BENCH / "stdp_network.py"), "volley", rule, str(out)], check=True)

    def weights(path):
        with open(path) as f:
            return {(int(r["pre"]), int(r["post"])): float(r["weight"]) for r in csv.DictReader(f)}

    ours, nest = weights(out), weights(DATA / f"pynn_nest_stdp_{rule}.csv")
    assert ours.keys() == nest.keys()
    w0 = 0.15
    assert any(abs(w - w0) > 1e-3 for w in nest.values()), "the reference's weights did not change"
    for key in nest:
        assert ours[key] == pytest.approx(nest[key], rel=1e-8, abs=1e-12), key
    ours_spikes = spikes_by_index(tmp_path / "weights_spikes.csv")
    nest_spikes = spikes_by_index(DATA / f"pynn_nest_stdp_{rule}_spikes.csv")
    for k in nest_spikes:
        # Round-off of 1e-9 in the weights moves late spikes by up to ~1e-7 ms.
        np.testing.assert_allclose(ours_spikes[k], nest_spikes[k], rtol=0, atol=1e-6)


def test_units_and_neo_output():
    sim.setup(timestep=0.1)
    cells = sim.Population(2, sim.IF_curr_exp(tau_m=20.0, cm=0.25, v_rest=-65.0, v_thresh=-40.0,
                                              i_offset=[0.1, 0.2]), label="cells")
    cells.record(["v", "spikes"])
    sim.run(50.0)
    block = cells.get_data()
    v = block.segments[0].filter(name="v")[0]
    assert v.units == pq.mV
    assert v.sampling_period == 0.1 * pq.ms
    assert v.shape == (501, 2)  # t = 0, 0.1, ..., 50 ms
    t = np.asarray(v.times.rescale(pq.ms))
    # i_offset in nA, cm in nF: V = v_rest + R I (1 - exp(-t/tau)), R I = I tau / C.
    for j, i_na in enumerate([0.1, 0.2]):
        expected = -65.0 + i_na * 20.0 / 0.25 * (1 - np.exp(-t / 20.0))
        np.testing.assert_allclose(np.asarray(v)[:, j], expected, rtol=0, atol=1e-9)
    assert cells.get("cm") == pytest.approx(0.25)
    assert list(cells.get("i_offset")) == pytest.approx([0.1, 0.2])
    assert len(block.segments[0].spiketrains) == 2
    sim.end()


def test_currents_in_nanoamps_and_runs_that_continue():
    sim.setup(timestep=0.1)
    cell = sim.Population(1, sim.IF_curr_delta(tau_m=10.0, cm=0.5, v_rest=-70.0, v_thresh=0.0))
    cell.initialize(v=-70.0)  # PyNN's default initial v is -65 mV whatever v_rest is
    step = sim.StepCurrentSource(times=[10.0, 30.0], amplitudes=[0.5, 0.0])
    step.inject_into(cell)
    dc = sim.DCSource(amplitude=0.25, start=40.0, stop=60.0)
    dc.inject_into(cell)
    cell.record("v")
    sim.run(25.0)
    sim.run(25.0)
    dc.amplitude = 0.5  # in force from t = 50 ms
    sim.run(20.0)
    v = np.asarray(cell.get_data().segments[0].filter(name="v")[0])[:, 0]
    t = np.arange(len(v)) * 0.1

    def relax(v0, v_inf, dt):
        return v_inf + (v0 - v_inf) * np.exp(-dt / 10.0)

    ri = lambda i_na: i_na * 10.0 / 0.5  # noqa: E731  mV
    v30 = relax(-70.0, -70.0 + ri(0.5), 20.0)
    v40 = relax(v30, -70.0, 10.0)
    v50 = relax(v40, -70.0 + ri(0.25), 10.0)
    v60 = relax(v50, -70.0 + ri(0.5), 10.0)
    for when, value in ((30.0, v30), (40.0, v40), (50.0, v50), (60.0, v60)):
        assert v[int(round(when / 0.1))] == pytest.approx(value, abs=1e-9), when
    assert v[-1] == pytest.approx(relax(v60, -70.0, 10.0), abs=1e-9)
    sim.end()


def test_views_assemblies_and_native_rules():
    sim.setup()
    a = sim.Population(10, sim.IF_curr_exp(), label="a")
    b = sim.Population(8, sim.IF_curr_exp(), label="b")
    view = a[2:8:2]  # neurons 2, 4, 6
    prj = sim.Projection(view, b[::-1][:3], sim.OneToOneConnector(), sim.StaticSynapse(weight=0.3, delay=1.5))
    assert prj._rule == {"rule": "one_to_one"}
    pairs = sorted((int(i), int(j)) for i, j, _w, _d in prj.get(["weight", "delay"], format="list"))
    assert pairs == [(0, 0), (1, 1), (2, 2)]
    w = prj.get("weight", format="array")
    assert w.shape == (3, 3) and np.nanmax(w) == pytest.approx(0.3)
    asm = a + b
    indegree = sim.Projection(asm, asm, sim.FixedNumberPreConnector(4, with_replacement=False),
                              sim.StaticSynapse(weight=-0.1), receptor_type="inhibitory")
    assert indegree._rule["rule"] == "fixed_indegree"
    assert len(indegree) == 4 * 18  # told apart from the excitatory one by sign
    _, post, w, _ = indegree._connections()
    assert np.all(np.bincount(post) == 4) and np.all(w == pytest.approx(-0.1))
    sim.end()


def test_fixed_probability_is_drawn_natively_and_has_the_right_count():
    sim.setup(seed=5)
    pre = sim.Population(400, sim.SpikeSourcePoisson(rate=5.0))
    post = sim.Population(300, sim.IF_curr_exp())
    prj = sim.Projection(pre, post, sim.FixedProbabilityConnector(0.1), sim.StaticSynapse(weight=0.05, delay=1.0))
    assert prj._listed is None
    n = len(prj)
    assert abs(n - 12000) < 5 * np.sqrt(12000 * 0.9)
    sim.end()


def test_poisson_sources_are_shared_trains():
    sim.setup(seed=3)
    src = sim.Population(50, sim.SpikeSourcePoisson(rate=20.0, start=100.0, duration=400.0))
    src.record("spikes")
    sim.run(1000.0)
    trains = src.get_data().segments[0].spiketrains
    counts = np.array([len(st) for st in trains])
    assert abs(counts.mean() - 8.0) < 1.5
    times = np.concatenate([np.asarray(st) for st in trains])
    assert times.min() >= 100.0 and times.max() < 500.0
    sim.end()


def test_reset_repeats_the_run():
    sim.setup(seed=9)
    src = sim.Population(20, sim.SpikeSourcePoisson(rate=50.0))
    cells = sim.Population(10, sim.IF_curr_exp(i_offset=0.5))
    sim.Projection(src, cells, sim.FixedProbabilityConnector(0.5), sim.StaticSynapse(weight=0.5, delay=1.0))
    cells.record("spikes")
    sim.run(200.0)
    sim.reset()
    sim.run(200.0)
    first, second = cells.get_data().segments
    for a, b in zip(first.spiketrains, second.spiketrains):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert sum(len(st) for st in first.spiketrains) > 10
    sim.end()


def test_refusals_name_the_feature():
    sim.setup()
    with pytest.raises(NotImplementedError, match="IF_cond_exp.*conductance"):
        sim.IF_cond_exp()
    with pytest.raises(NotImplementedError, match="ACSource"):
        sim.ACSource()
    p = sim.Population(2, sim.IF_curr_exp())
    with pytest.raises(NotImplementedError, match="w_min"):
        sim.Projection(p, p, sim.AllToAllConnector(), sim.STDPMechanism(
            timing_dependence=sim.SpikePairRule(), weight_dependence=sim.AdditiveWeightDependence(w_min=0.1)))
    sim.run(10.0)
    with pytest.raises(NotImplementedError, match="tau_m"):
        p.set(tau_m=10.0)
    with pytest.raises(NotImplementedError, match="creating a population"):
        sim.Population(1, sim.IF_curr_exp())
    sim.end()


def test_simple_random_network_example_runs_with_the_import_changed(tmp_path):
    from test_pynn_scenarios import fetch_pynn_file

    text = fetch_pynn_file("examples/simpleRandomNetwork.py").read_text()
    line = 'sim = import_module("pyNN.%s" % simulator_name)'
    assert line in text
    script = tmp_path / "simpleRandomNetwork.py"
    script.write_text(text.replace(line, "import volley.pynn as sim"))
    run = subprocess.run([sys.executable, str(script), "volley"], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Done" in run.stdout
    assert list((tmp_path / "Results").rglob("simpleRandomNetwork_output*.pkl"))


@pytest.mark.parametrize("tau_facil", [0.0, 100.0])
def test_tsodyks_markram_amplitudes(tau_facil):
    times = [10.0, 20.0, 30.0, 40.0, 60.0, 100.0]
    sim.setup(timestep=0.1)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=times))
    cell = sim.Population(1, sim.IF_curr_delta(tau_m=1e6, v_rest=0.0, v_reset=0.0, v_thresh=1000.0))
    cell.initialize(v=0.0)
    syn = sim.TsodyksMarkramSynapse(U=0.4, tau_rec=50.0, tau_facil=tau_facil, weight=2.0, delay=1.0)
    sim.Projection(src, cell, sim.OneToOneConnector(), syn)
    cell.record("v")
    sim.run(110.0)
    v = np.asarray(cell.get_data().segments[0].filter(name="v")[0])[:, 0]
    jumps = [v[int(round((t + 1.0) / 0.1))] - v[int(round((t + 1.0) / 0.1)) - 1] for t in times]
    # NEST's tsodyks2_synapse: x recovers with tau_rec, u relaxes to U with tau_fac.
    x, u, last, want = 1.0, 0.4, None, []
    for t in times:
        if last is not None:
            h = t - last
            x = 1.0 + (x - x * u - 1.0) * np.exp(-h / 50.0)
            u = 0.4 + u * (1.0 - 0.4) * (np.exp(-h / tau_facil) if tau_facil else 0.0)
        want.append(2.0 * u * x)
        last = t
    np.testing.assert_allclose(jumps, want, rtol=1e-6)
    sim.end()
