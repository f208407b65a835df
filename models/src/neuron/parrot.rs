//! `parrot`: re-emits every input at its exact time — NEST's
//! `parrot_neuron_ps` — so that a spike train (a `spike_times` input, an
//! event camera's channels) gets gids of its own: recorded, counted and
//! fanned out through projections like any population.
//!
//! It has no state, no threshold and no refractoriness: any input (of any
//! weight) makes it spike then. All inputs at one instant are summed into
//! one call, so it emits one spike per instant (NEST emits one spike with
//! the inputs' multiplicity). It takes no current and has nothing to
//! sample.

use serde::Deserialize;
use volley_engine::{Forecast, Response};

/// A parrot has no parameters (`params = {}`).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ParrotParams {}

/// The response to an input whose exact time is the call's tick plus `lag`.
pub fn echo(lag: f32) -> Response {
    Response {
        spiked: true,
        discarded: false,
        forecast: Forecast::Unchanged,
        lag,
    }
}
