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
