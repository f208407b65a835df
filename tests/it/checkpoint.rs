//! Checkpoint and resume end to end: a run killed (SIGKILL) at a random
//! moment after its first checkpoint, or stopped by SIGTERM, resumes on
//! another thread count and ends with outputs bit-identical to a run that
//! never stopped; damaged, foreign and stale checkpoints are refused.

use super::common::write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn volley() -> Command {
    Command::new(env!("CARGO_BIN_EXE_volley"))
}

/// Brunel's network at a fifth of its size (same balance: J·CE kept);
/// ~1 s of wall time.
pub(super) const BRUNEL: &str = "t_sim_ms = 3000.0\nseed = 11\n\
[[populations]]\nname = \"E\"\nmodel = \"lif_delta\"\nsize = 2000\nparams = { C_m = 1.0, tau_m = 20.0, t_ref = 2.0, E_L = 0.0, V_reset = 0.0, V_m = 0.0, V_th = 20.0 }\n\
[[populations]]\nname = \"I\"\nmodel = \"lif_delta\"\nsize = 500\nparams = { C_m = 1.0, tau_m = 20.0, t_ref = 2.0, E_L = 0.0, V_reset = 0.0, V_m = 0.0, V_th = 20.0 }\n\
[[projections]]\nsource = \"E\"\ntarget = [\"E\", \"I\"]\nrule = \"fixed_indegree\"\nindegree = 200\nweight = 0.5\ndelay_ms = 1.5\n\
[[projections]]\nsource = \"I\"\ntarget = [\"E\", \"I\"]\nrule = \"fixed_indegree\"\nindegree = 50\nweight = -2.5\ndelay_ms = 1.5\n\
[[inputs]]\nname = \"noise\"\nkind = \"poisson\"\nrate_hz = 4000.0\nweight = 0.5\ndelay_ms = 1.5\ntargets = [\"E\", \"I\"]\n\
[[recorders]]\nkind = \"spikes\"\n";

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "exit {:?}, stderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `volley run model` into `out` on `threads` threads, plus `extra` flags.
fn run(model: &Path, out: &Path, threads: u32, extra: &[&str]) -> Command {
    let mut c = volley();
    c.arg("run").arg(model).arg("--out").arg(out);
    c.args(["--threads", &threads.to_string(), "--no-raster", "-q"]);
    c.args(extra);
    c
}

fn resume(dir: &Path, threads: u32) -> Output {
    let mut c = volley();
    c.arg("resume").arg(dir);
    c.args(["--threads", &threads.to_string(), "--no-raster", "-q"]);
    c.output().unwrap()
}

/// A pseudo-random pause of up to `max_ms` (printed: a failure can be
/// replayed with its value).
fn random_pause(max_ms: u64) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    let ms = nanos % (max_ms + 1);
    eprintln!("killing {ms} ms after the first checkpoint");
    Duration::from_millis(ms)
}

/// Run `model` uninterrupted on `a` threads; run it again with
/// checkpoints, SIGKILL it at a random moment after the first one, resume
/// on `b` threads: the same spikes.csv.
fn killed_and_resumed(model: &Path, every_ms: &str, (a, b): (u32, u32), max_pause_ms: u64) {
    killed_and_resumed_with(model, every_ms, (a, b), max_pause_ms, &["spikes.csv"]);
}

/// [`killed_and_resumed`], comparing `files`.
fn killed_and_resumed_with(
    model: &Path,
    every_ms: &str,
    (a, b): (u32, u32),
    max_pause_ms: u64,
    files: &[&str],
) {
    let dir = tempfile::tempdir().unwrap();
    let (whole, cut) = (dir.path().join("whole"), dir.path().join("cut"));
    ok(&run(model, &whole, a, &[]).output().unwrap());
    let mut child = run(model, &cut, a, &["--checkpoint-every", every_ms])
        .spawn()
        .unwrap();
    let file = cut.join("checkpoint").join("checkpoint.bin");
    let start = Instant::now();
    while !file.exists() {
        assert!(start.elapsed() < Duration::from_secs(120), "no checkpoint");
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    std::thread::sleep(random_pause(max_pause_ms));
    if child.try_wait().unwrap().is_some() {
        eprintln!("the run had ended before the kill; resuming its last checkpoint");
    }
    let _ = child.kill(); // SIGKILL
    let _ = child.wait();
    assert!(file.exists(), "the run wrote no checkpoint");
    ok(&resume(&cut.join("checkpoint"), b));
    for f in files {
        let (x, y) = (whole.join(f), cut.join(f));
        let (x, y) = (std::fs::read(x).unwrap(), std::fs::read(y).unwrap());
        assert!(x.len() > 1000, "{f} is nearly empty");
        assert!(x == y, "{f} differs after resuming");
    }
}

#[test]
fn brunel_killed_on_one_thread_resumes_on_two() {
    let dir = tempfile::tempdir().unwrap();
    let model = write(dir.path(), "brunel.toml", BRUNEL);
    killed_and_resumed(&model, "200", (1, 2), 600);
}

#[test]
fn brunel_killed_on_two_threads_resumes_on_one() {
    let dir = tempfile::tempdir().unwrap();
    let model = write(dir.path(), "brunel.toml", BRUNEL);
    killed_and_resumed(&model, "200", (2, 1), 600);
}

/// [`BRUNEL`] with power-law STDP on E→E, tsodyks2 on E→I and a few
/// synapses' weights traced.
pub(super) fn plastic_brunel() -> String {
    let ee = "[[projections]]\nsource = \"E\"\ntarget = \"E\"\nrule = \"fixed_indegree\"\nindegree = 200\nweight = 0.5\ndelay_ms = 1.5\n\
              synapse = { model = \"stdp_pl\", tau_plus = 15.0, lambda = 0.05, alpha = 2.0, mu = 0.4 }\n\
              [[projections]]\nsource = \"E\"\ntarget = \"I\"\nrule = \"fixed_indegree\"\nindegree = 200\nweight = 0.5\ndelay_ms = 2.0\n\
              synapse = { model = \"tsodyks2\", U = 0.2, tau_rec = 100.0, tau_fac = 20.0 }\n";
    let static_e = "[[projections]]\nsource = \"E\"\ntarget = [\"E\", \"I\"]\nrule = \"fixed_indegree\"\nindegree = 200\nweight = 0.5\ndelay_ms = 1.5\n";
    assert!(BRUNEL.contains(static_e));
    BRUNEL.replace(static_e, ee).replace("3000.0", "1500.0")
        + "[[recorders]]\nkind = \"weights\"\nsynapses = [[0, 1], [0, 6], [0, 2010], [0, 2037]]\n"
}

#[test]
fn stdp_network_killed_resumes_with_the_same_spikes_and_weights() {
    let dir = tempfile::tempdir().unwrap();
    let model = write(dir.path(), "stdp.toml", &plastic_brunel());
    let files = ["spikes.csv", "weights.csv", "weight_trace.csv"];
    killed_and_resumed_with(&model, "100", (2, 1), 600, &files);
}

/// [`BRUNEL`] with a step current into 100 E neurons (changes before and
/// after any checkpoint) and two multimeters, CSV and NPY.
pub(super) fn brunel_with_devices() -> String {
    BRUNEL.to_string()
        + "[[inputs]]\nname = \"steps\"\nkind = \"step_current\"\ntimes_ms = [100.0, 700.0, 1300.0, 2100.0]\n\
           amplitudes_pA = [0.3, -0.3, 0.6, 0.0]\ntargets = [\"E[0:100]\"]\n\
           [[recorders]]\nkind = \"multimeter\"\nrecord = [\"V_m\"]\nneurons = [\"E[0:20]\"]\ninterval_ms = 0.5\n\
           [[recorders]]\nkind = \"multimeter\"\nname = \"vm_i\"\nrecord = [\"V_m\"]\nneurons = [\"I[0:10]\"]\nformat = \"npy\"\n"
}

#[test]
fn multimeters_and_current_sources_resume_bit_identical() {
    let dir = tempfile::tempdir().unwrap();
    let model = write(dir.path(), "devices.toml", &brunel_with_devices());
    let files = ["spikes.csv", "multimeter.csv", "vm_i.npy"];
    killed_and_resumed_with(&model, "200", (1, 2), 600, &files);
}

/// The shared DAVIS240C recording (2.07 s, 162 771 events), pooled 4×4
/// into a retina that drives a small balanced network; ~2 s of wall time.
const CAMERA: &str = r#"t_sim_ms = 2100.0
seed = 5
[[populations]]
name = "retina"
model = "lif_delta"
size = 5400
params = { tau_m = 10.0, C_m = 250.0, t_ref = 0.5, E_L = 0.0, V_reset = 0.0, V_th = 20.0 }
[[populations]]
name = "E"
model = "lif_delta"
size = 2000
params = { C_m = 1.0, tau_m = 20.0, t_ref = 2.0, E_L = 0.0, V_reset = 0.0, V_th = 20.0 }
[[populations]]
name = "I"
model = "lif_delta"
size = 500
params = { C_m = 1.0, tau_m = 20.0, t_ref = 2.0, E_L = 0.0, V_reset = 0.0, V_th = 20.0 }
[[projections]]
source = "retina"
target = ["E", "I"]
rule = "fixed_indegree"
indegree = 20
weight = 1.0
delay_ms = 1.0
[[projections]]
source = "E"
target = ["E", "I"]
rule = "fixed_indegree"
indegree = 200
weight = 0.5
delay_ms = 1.5
[[projections]]
source = "I"
target = ["E", "I"]
rule = "fixed_indegree"
indegree = 50
weight = -2.5
delay_ms = 1.5
[[inputs]]
name = "camera"
kind = "event_camera"
file = "RECORDING"
format = "aedat2"
pool = 4
polarity = "split"
weight = 25.0
delay_ms = 1.0
targets = "retina"
[[inputs]]
name = "noise"
kind = "poisson"
rate_hz = 4000.0
weight = 0.5
delay_ms = 1.5
targets = ["E", "I"]
[[recorders]]
kind = "spikes"
"#;

#[test]
fn event_camera_replay_killed_resumes_on_another_thread_count() {
    let recording = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/events/aedat2_davis240c_translboxes.aedat");
    if !recording.exists() {
        eprintln!("skipped: {} is absent", recording.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let text = CAMERA.replace("RECORDING", &recording.display().to_string());
    let model = write(dir.path(), "camera.toml", &text);
    killed_and_resumed(&model, "300", (2, 1), 1000);
}

#[test]
fn sigterm_writes_a_last_checkpoint_and_exits_75() {
    let dir = tempfile::tempdir().unwrap();
    let model = write(dir.path(), "brunel.toml", BRUNEL);
    let (whole, cut) = (dir.path().join("whole"), dir.path().join("cut"));
    ok(&run(&model, &whole, 2, &[]).output().unwrap());
    let child = run(&model, &cut, 2, &["--checkpoint-every", "100000"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let o = child.wait_with_output().unwrap();
    if o.status.success() {
        eprintln!("the run ended before the signal; nothing to resume");
        return;
    }
    assert_eq!(o.status.code(), Some(75), "stderr: {}", stderr(&o));
    assert!(stderr(&o).contains("volley resume"), "{}", stderr(&o));
    assert!(
        !cut.join("summary.json").exists(),
        "an incomplete run has no summary"
    );
    ok(&resume(&cut.join("checkpoint"), 1));
    let same = std::fs::read(whole.join("spikes.csv")).unwrap()
        == std::fs::read(cut.join("spikes.csv")).unwrap();
    assert!(same, "spikes.csv differs after resuming");
}

/// A finished run with a checkpoint at 250 ms of 300 ms.
fn checkpointed(dir: &Path) -> (PathBuf, PathBuf) {
    let model = write(dir, "brunel.toml", &BRUNEL.replace("3000.0", "300.0"));
    let out = dir.join("out");
    ok(&run(&model, &out, 1, &["--checkpoint-every", "250"])
        .output()
        .unwrap());
    (model, out.join("checkpoint"))
}

#[test]
fn a_damaged_checkpoint_is_refused_by_its_checksum() {
    let dir = tempfile::tempdir().unwrap();
    let (_, cp) = checkpointed(dir.path());
    let file = cp.join("checkpoint.bin");
    let mut bytes = std::fs::read(&file).unwrap();
    let k = bytes.len() / 2;
    bytes[k] ^= 0x10;
    std::fs::write(&file, &bytes).unwrap();
    let o = resume(&cp, 1);
    assert!(stderr(&o).contains("checksum"), "{}", stderr(&o));
    std::fs::write(&file, &bytes[..k]).unwrap();
    let o = resume(&cp, 1);
    assert!(!o.status.success());
    std::fs::write(&file, b"not a checkpoint").unwrap();
    let o = resume(&cp, 1);
    assert!(
        stderr(&o).contains("not a Volley checkpoint"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_changed_model_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (model, cp) = checkpointed(dir.path());
    let text = std::fs::read_to_string(&model).unwrap();
    std::fs::write(&model, text.replace("indegree = 200", "indegree = 201")).unwrap();
    let o = resume(&cp, 2);
    assert!(
        stderr(&o).contains("changed since the checkpoint"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_checkpoint_of_another_format_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (_, cp) = checkpointed(dir.path());
    let file = cp.join("checkpoint.bin");
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[8] = bytes[8].wrapping_add(1);
    std::fs::write(&file, &bytes).unwrap();
    let o = resume(&cp, 1);
    assert!(stderr(&o).contains("checkpoint format"), "{}", stderr(&o));
}

#[test]
fn resuming_to_a_time_before_the_checkpoint_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (_, cp) = checkpointed(dir.path());
    let o = volley()
        .arg("resume")
        .arg(&cp)
        .args(["--t-sim", "100", "-q"])
        .output()
        .unwrap();
    assert!(
        stderr(&o).contains("give a later --t-sim"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_bad_checkpoint_interval_is_refused_before_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let model = write(dir.path(), "brunel.toml", BRUNEL);
    for every in ["0", "-5", "NaN"] {
        let every = &format!("--checkpoint-every={every}");
        let o = run(&model, &dir.path().join("out"), 1, &[every])
            .output()
            .unwrap();
        assert!(!o.status.success());
        assert!(
            stderr(&o).contains("positive number of ms"),
            "{}",
            stderr(&o)
        );
    }
}

/// A checkpoint edited and re-framed (a valid checksum on made-up content)
/// is checked, not trusted: resuming it fails with a message.
#[test]
fn a_made_up_checkpoint_is_refused_not_trusted() {
    use volley::checkpoint::Checkpoint;
    let dir = tempfile::tempdir().unwrap();
    let (_, cp_dir) = checkpointed(dir.path());
    let good = Checkpoint::read(&cp_dir).unwrap();
    type Edit = fn(&mut Checkpoint);
    let edits: [(&str, Edit); 4] = [
        ("lacks", |c| {
            c.engine.trains.pop();
        }),
        ("spike in flight", |c| {
            let mut s = c.engine.in_flight[0];
            s.time = c.engine.at;
            c.engine.in_flight.push(s);
        }),
        ("predicts a spike before", |c| {
            c.engine.neurons[0].forecast = volley_engine::Time::ZERO;
        }),
        ("later than the checkpoint", |c| {
            // lif_delta: u, last (end of refractoriness), lag, forecast lag.
            c.engine.neurons[3].words[1] = c.engine.at.0 * 2 + 1_000_000;
        }),
    ];
    for (message, edit) in edits {
        let mut bad = good.clone();
        edit(&mut bad);
        bad.write(&cp_dir).unwrap();
        let o = resume(&cp_dir, 2);
        assert!(!o.status.success());
        assert!(stderr(&o).contains(message), "{message}: {}", stderr(&o));
    }
}
