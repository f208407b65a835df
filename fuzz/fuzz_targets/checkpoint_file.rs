//! Checkpoint files: any bytes — and any payload framed with a valid
//! header and checksum (a made-up file passes the checksum) — must give a
//! checkpoint or an error, never a panic; a checkpoint that decodes is
//! loaded into a small network and run for 2 ms (its state checked, not
//! trusted).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use volley::checkpoint::{frame, parse_snapshot, Checkpoint};
use volley_engine::Time;
use volley_models::{Overrides, RunConfig};

const MODEL: &str = "t_sim_ms = 4.0\nseed = 1\n\
[[populations]]\nname = \"E\"\nmodel = \"lif_exp\"\nsize = 4\n\
params = { C_m = 250.0, tau_m = 10.0, t_ref = 2.0, E_L = -70.0, V_reset = -70.0, V_th = -55.0, tau_syn_ex = 2.0, tau_syn_in = 2.0, I_e = 400.0 }\n\
[[projections]]\nsource = \"E\"\ntarget = \"E\"\nrule = \"all_to_all\"\nweight = 100.0\ndelay_ms = 1.0\n\
synapse = { model = \"stdp\" }\n\
[[inputs]]\nname = \"noise\"\nkind = \"poisson\"\nrate_hz = 1000.0\nweight = 50.0\ndelay_ms = 1.0\ntargets = \"E\"\n";

fuzz_target!(|data: &[u8]| {
    let _ = parse_snapshot::<Checkpoint>(data);
    let Ok(cp) = parse_snapshot::<Checkpoint>(&frame(data)) else {
        return;
    };
    let Ok(mut net) = volley_models::load_text(
        Path::new("fuzz.toml"),
        MODEL,
        &Overrides::default(),
        &RunConfig::default(),
    ) else {
        return;
    };
    if cp.engine.at >= net.t_sim {
        return;
    }
    net.simulation.keep_spikes_in_flight();
    if net.simulation.load_state(&cp.engine).is_ok() {
        let until = Time(cp.engine.at.0 + 2 * volley_engine::TICKS_PER_MS).min(net.t_sim);
        net.simulation.run(until);
    }
});
