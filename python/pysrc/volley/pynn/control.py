"""setup, run, reset, end: PyNN's simulation control for Volley."""

from pyNN import common
from pyNN.common.control import DEFAULT_MAX_DELAY, DEFAULT_MIN_DELAY, DEFAULT_TIMESTEP
from pyNN.recording import get_io

from . import simulator


def setup(timestep=DEFAULT_TIMESTEP, min_delay=DEFAULT_MIN_DELAY, **extra_params):
    """Start a simulation. Volley is event-driven: ``timestep`` is the
    default sampling interval of recorded signals and the grid of drawn
    delays, not an integration step. Extra keys: ``threads`` (worker
    threads; results never depend on it) and ``seed`` (or ``rng_seed``:
    the seed of every random stream Volley draws from)."""
    max_delay = extra_params.get("max_delay", DEFAULT_MAX_DELAY)
    common.setup(timestep, min_delay, **extra_params)
    state = simulator.state
    state.clear()
    state.dt = timestep
    state.auto_min_delay = min_delay == "auto"
    state.min_delay = timestep if min_delay == "auto" else min_delay
    state.max_delay = max_delay
    state.threads = int(extra_params.get("threads", 1))
    state.seed = int(extra_params.get("seed", extra_params.get("rng_seed", 1)))
    return rank()


def end(compatible_output=True):
    """Write the data asked for by ``record(..., to_file=...)`` and finish."""
    for (population, variables, filename) in simulator.state.write_on_end:
        io = get_io(filename)
        population.write_data(io, variables)
    simulator.state.write_on_end = []


run, run_until = common.build_run(simulator)
run_for = run

reset = common.build_reset(simulator)

initialize = common.initialize

get_current_time, get_time_step, get_min_delay, get_max_delay, \
    num_processes, rank = common.build_state_queries(simulator)
