"""volley.pynn: Volley as a PyNN 0.13 backend.

Change one line of a PyNN script::

    import volley.pynn as sim

Populations and projections are collected as the script makes them and
built by Volley, in Rust, at the first ``run`` (PyNN's connectors map onto
Volley's own rules; see :mod:`volley.pynn.projections`). Cells:
``IF_curr_delta``, ``IF_curr_exp``, ``IF_curr_alpha`` (exact, as NEST's
``_ps`` models), ``SpikeSourcePoisson``, ``SpikeSourceArray``; synapses:
``StaticSynapse``, ``TsodyksMarkramSynapse``, ``STDPMechanism``
(``SpikePairRule`` with additive or multiplicative weight dependence);
currents: ``DCSource``, ``StepCurrentSource``. Anything else raises
``NotImplementedError`` naming it. ``setup(threads=N, seed=S)``.
"""

from pyNN import errors, random, space  # noqa: F401
from pyNN.connectors import *  # noqa: F401,F403
from pyNN.network import Network  # noqa: F401
from pyNN.random import GSLRNG, NumpyRNG, RandomDistribution  # noqa: F401
from pyNN.recording import *  # noqa: F401,F403
from pyNN.space import Space  # noqa: F401
from pyNN.standardmodels import StandardCellType

from .control import (  # noqa: F401
    end,
    get_current_time,
    get_max_delay,
    get_min_delay,
    get_time_step,
    initialize,
    num_processes,
    rank,
    reset,
    run,
    run_for,
    run_until,
    setup,
)
from .populations import Assembly, Population, PopulationView  # noqa: F401
from .procedural_api import connect, create, record, record_gsyn, record_v  # noqa: F401
from .projections import Projection  # noqa: F401
from .standardmodels import *  # noqa: F401,F403


def list_standard_models():
    """The standard cell types volley.pynn simulates."""
    return [
        obj.__name__
        for obj in globals().values()
        if isinstance(obj, type) and issubclass(obj, StandardCellType) and hasattr(obj, "volley_model")
    ]
