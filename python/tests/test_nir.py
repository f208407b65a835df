"""NIR graphs from Python: ``volley.from_nir`` gives a model whose
populations are the graph's nodes; an event camera feeds its input."""

from pathlib import Path

import numpy as np

import volley

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "examples" / "data"


def cnn(threads):
    model = volley.from_nir(DATA / "cnn_sinabs.nir", name="cnn", t_sim_ms=320.0)
    model.input("camera", "event_camera", file=str(DATA / "moving_edges_34x34.bin"),
                format="nmnist", sensor_size=[34, 34], polarity="planes",
                weight=1.0, delay_ms=0.001, targets="cnn.input")
    sim = volley.Simulation(model, threads=threads)
    sim.run()
    return sim


def test_the_cnn_runs_and_its_output_is_the_same_on_any_thread_count():
    one, two = cnn(1), cnn(2)
    assert "cnn.12" in one.populations()
    (ga, ta), (gb, tb) = one.spikes("cnn.12"), two.spikes("cnn.12")
    assert len(ta) > 0
    np.testing.assert_array_equal(ga, gb)
    np.testing.assert_array_equal(ta, tb)


def test_a_graph_object_runs_like_its_file():
    nir = __import__("pytest").importorskip("nir")
    graph = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([1])),
            "affine": nir.Affine(weight=np.array([[1.0]]), bias=np.array([0.0])),
            "lif": nir.LIF(tau=np.array([0.01]), r=np.array([1.0]),
                           v_leak=np.array([1.2]), v_threshold=np.array([1.0])),
            "output": nir.Output(output_type=np.array([1])),
        },
        edges=[("input", "affine"), ("affine", "lif"), ("lif", "output")],
    )
    sim = volley.Simulation(volley.from_nir(graph, name="g", t_sim_ms=100.0))
    sim.run()
    _, times = sim.spikes("g.lif")
    # Charging from 0 towards v_leak 1.2, firing at v > 1: every 10 ms · ln 6
    # (and one tick of refractoriness after each spike).
    period = 10.0 * np.log(6.0)
    want = np.arange(1, len(times) + 1) * period + np.arange(len(times)) / 1_024_000.0
    assert len(times) == 5
    np.testing.assert_allclose(times, want, rtol=1e-9)


def test_gzip_compressed_datasets_read_like_plain_ones(tmp_path):
    h5py = __import__("pytest").importorskip("h5py")
    src = DATA / "cnn_sinabs.nir"
    packed = tmp_path / "cnn_gzip.nir"

    def copy(a, b):
        for key, item in a.items():
            if isinstance(item, h5py.Group):
                copy(item, b.create_group(key))
            elif item.shape and item.dtype.kind == "f":
                b.create_dataset(key, data=item[()], compression="gzip", compression_opts=9)
            else:
                b.create_dataset(key, data=item[()])

    with h5py.File(src, "r") as a, h5py.File(packed, "w") as b:
        copy(a, b)
    with h5py.File(packed, "r") as b:
        assert b["node/nodes/0/weight"].compression == "gzip"

    def run(path):
        model = volley.from_nir(path, name="cnn", t_sim_ms=100.0)
        model.input("camera", "event_camera", file=str(DATA / "moving_edges_34x34.bin"),
                    format="nmnist", sensor_size=[34, 34], polarity="planes",
                    weight=1.0, delay_ms=0.001, targets="cnn.input")
        sim = volley.Simulation(model)
        sim.run()
        return sim.spikes()

    (ga, ta), (gb, tb) = run(src), run(packed)
    assert len(ta) > 0
    np.testing.assert_array_equal(ga, gb)
    np.testing.assert_array_equal(ta, tb)
