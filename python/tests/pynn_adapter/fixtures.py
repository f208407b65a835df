"""Adapter: PyNN's system scenarios (test/system/scenarios of the PyNN 0.13.0
source distribution) run against volley.pynn, whatever simulators a scenario
names. Replaces the scenarios' own fixtures.py, which imports ``pyNN.<name>``.


With VOLLEY_PYNN_SUBSTITUTE=1, the conductance-based cells that most
scenarios use as a placeholder are replaced by their current-based twins, so
the rest of what a scenario checks (connectors, recording, reset, ...) runs
too; a scenario that tests conductance semantics then fails, as it should.
volley.pynn itself never substitutes a cell type."""

import importlib
import os

import pytest

SUBSTITUTES = {"IF_cond_exp": "IF_curr_exp", "IF_cond_alpha": "IF_curr_alpha"}
SUBSTITUTE = os.environ.get("VOLLEY_PYNN_SUBSTITUTE") == "1"


class VolleySimulator:
    __name__ = "pyNN.volley"

    def __str__(self):
        return "pyNN.volley"

    def __getattr__(self, name):
        if SUBSTITUTE:
            name = SUBSTITUTES.get(name, name)
        return getattr(importlib.import_module("volley.pynn"), name)


def run_with_simulators(*sim_names):
    return pytest.mark.parametrize("sim", [pytest.param(VolleySimulator(), id="volley")])
