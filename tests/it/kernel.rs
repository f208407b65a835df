//! The plain-neuron kernel works a window off with its Poisson events pooled
//! by the arrival tick they precede; a train event on an arrival tick is
//! summed with that tick's inputs. Against the general direct path (which
//! asks each target for due train events), spike for spike.

use super::common::write;
use volley::testing::{run_unobserved, run_unobserved_pooling};
use volley_engine::{PartitionScheme, PoolMode};

/// 200 plain neurons, recurrent, two input channels spiking together every
/// 10 µs (arrival ticks with several arrivals, more deliveries than train
/// events: the kernel pools), and a Poisson drive of 200 kHz per neuron (one
/// event per 5120 ticks): a train event falls on an arrival tick hundreds of
/// times, on a target of it and not. 100 more neurons take the recurrent
/// input and the drive but not the channels: their events on the channels'
/// ticks are taken alone after the tick.
fn model(extra: &str) -> String {
    let times: Vec<String> = (200..10_000)
        .map(|k| format!("{:?}", k as f64 * 0.01))
        .collect();
    let times = times.join(", ");
    format!(
        r#"t_sim_ms = 100.0
seed = 11

[[populations]]
name = "net"
model = "lif_delta"
size = 200
params = {{ C_m = 1.0, tau_m = 20.0, t_ref = 2.0, E_L = 0.0, V_reset = 0.0, V_m = 0.0, V_th = 20.0 }}

[[populations]]
name = "aside"
model = "lif_delta"
size = 100
params = {{ C_m = 1.0, tau_m = 20.0, t_ref = 2.0, E_L = 0.0, V_reset = 0.0, V_m = 0.0, V_th = 20.0 }}

[[projections]]
source = "net"
target = ["net", "aside"]
rule = "fixed_indegree"
indegree = 50
weight = 0.3
delay_ms = 1.0

[[inputs]]
name = "up"
kind = "spike_times"
times_ms = [{times}]
weight = 0.05
delay_ms = 1.0
targets = "net"

[[inputs]]
name = "down"
kind = "spike_times"
times_ms = [{times}]
weight = -0.05
delay_ms = 1.0
targets = "net"

[[inputs]]
name = "noise"
kind = "poisson"
rate_hz = 2.0e5
weight = 0.007
delay_ms = 1.0
targets = ["net", "aside"]
{extra}"#
    )
}

#[test]
fn pooled_train_events_give_the_general_paths_spikes() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = write(dir.path(), "kernel.toml", &model(""));
    // A second generator that never fires within the run: no input, but
    // two train sets per neuron keep every partition off the kernel.
    let silent = "\n[[inputs]]\nname = \"silent\"\nkind = \"poisson\"\nrate_hz = 1.0e-9\nweight = 0.1\ndelay_ms = 1.0\ntargets = [\"net\", \"aside\"]\n";
    let general = write(dir.path(), "general.toml", &model(silent));
    for threads in [1, 3] {
        let b = run_unobserved(&general, threads, PartitionScheme::Contiguous).unwrap();
        assert!(b.len() > 500, "{} spikes", b.len());
        // Every window pooled, none, and as timing chooses (the default).
        for mode in [PoolMode::Always, PoolMode::Never, PoolMode::Timed] {
            let a = run_unobserved_pooling(&kernel, threads, PartitionScheme::Contiguous, mode)
                .unwrap();
            assert_eq!(a.len(), b.len(), "{threads} threads, {mode:?}");
            assert!(
                a.iter().zip(&b).all(|(x, y)| x == y),
                "{threads} threads, {mode:?}: other spikes"
            );
        }
    }
}
