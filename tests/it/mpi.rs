//! Distributed runs (cargo feature `mpi`): `mpirun -np 2 volley run ... --threads 1`
//! must give exactly the spikes of `--threads 2` (and 1) without MPI.
//! Runs the real `volley` binary under the real `mpirun`.

use super::common::root;
use std::path::Path;
use std::process::Command;

fn summary(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("summary.json")).expect("summary.json");
    serde_json::from_str(&text).unwrap()
}

/// `volley run MODEL --threads T [--t-sim MS]`, under `mpirun -np RANKS` if
/// given; its summary.
fn volley(
    model: &str,
    ranks: Option<usize>,
    threads: usize,
    t_sim: Option<f64>,
) -> serde_json::Value {
    let out = tempfile::tempdir().unwrap();
    volley_in(model, ranks, threads, t_sim, out.path())
}

/// [`volley`] writing into `out`; `model` is relative to `examples/`, or to
/// the repository root if it has a `/`.
fn volley_in(
    model: &str,
    ranks: Option<usize>,
    threads: usize,
    t_sim: Option<f64>,
    out: &Path,
) -> serde_json::Value {
    let bin = env!("CARGO_BIN_EXE_volley");
    let mut args: Vec<String> = vec![
        "run".into(),
        if model.contains('/') {
            root().join(model)
        } else {
            root().join("examples").join(model)
        }
        .display()
        .to_string(),
        "--threads".into(),
        threads.to_string(),
        "--no-raster".into(),
        "-q".into(),
        "--out".into(),
        out.display().to_string(),
    ];
    if let Some(t) = t_sim {
        args.extend(["--t-sim".into(), t.to_string()]);
    }
    let status = match ranks {
        None => Command::new(bin).args(&args).status(),
        Some(r) => Command::new("mpirun")
            .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
            .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
            .args(["--oversubscribe", "-np", &r.to_string(), bin])
            .args(&args)
            .status(),
    }
    .expect("run volley (is mpirun installed? see .ci/run)");
    assert!(
        status.success(),
        "{model} ranks {ranks:?} threads {threads}: {status}"
    );
    summary(out)
}

fn check(model: &str, t_sim: Option<f64>) {
    let one = volley(model, None, 1, t_sim);
    let two = volley(model, None, 2, t_sim);
    let mpi = volley(model, Some(2), 1, t_sim);
    let sha = |s: &serde_json::Value| s["spikes_sha256"].as_str().unwrap().to_string();
    assert_eq!(sha(&one), sha(&two), "{model}: 1 vs 2 threads");
    assert_eq!(sha(&mpi), sha(&one), "{model}: MPI 2x1 vs 1 thread");
    for k in [
        "spikes",
        "synapses",
        "recurrent_events",
        "external_events",
        "discarded_events",
    ] {
        assert_eq!(mpi[k], one[k], "{model}: {k}");
    }
    assert_eq!(mpi["mpi"]["ranks"], 2);
    assert_eq!(mpi["threads"], 2);
    assert!(mpi["mpi"]["windows"].as_u64().unwrap() > 0);
    // One rank is an ordinary run.
    let single = volley(model, Some(1), 2, t_sim);
    assert_eq!(sha(&single), sha(&one));
    assert!(single.get("mpi").is_none());
}

#[test]
fn mpi_2x1_equals_threads_on_brunel() {
    check("brunel.toml", Some(200.0));
}

#[test]
fn mpi_2x1_equals_threads_on_a_camera_replay() {
    // Each rank reads the recording; the ranks count their workers on this
    // machine together to decide on a reader's helper thread.
    check("nmnist_replay.toml", None);
}

#[test]
fn mpi_2x1_equals_threads_on_det_net() {
    check("det_net_Ie225.toml", None);
    // 2 ranks × 2 threads (4 partitions, oversubscribed here; det_net is small).
    let four = volley("det_net_Ie225.toml", Some(2), 2, None);
    let one = volley("det_net_Ie225.toml", None, 1, None);
    assert_eq!(four["spikes_sha256"], one["spikes_sha256"]);
    assert_eq!(four["threads"], 4);
    assert_eq!(four["mpi"]["threads_per_rank"], 2);
}

#[test]
fn mpi_keeps_plastic_weights_identical() {
    // STDP and short-term plasticity: spikes, final weights and every recorded
    // update are byte-identical to a threaded run.
    for v in ["stdp_mult", "tsodyks2"] {
        let model = format!("tests/data/plastic_net/{v}.toml");
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let mpi = volley_in(&model, Some(2), 1, None, a.path());
        let threads = volley_in(&model, None, 2, None, b.path());
        assert_eq!(mpi["plastic_synapses"], 3200);
        assert_eq!(mpi["spikes_sha256"], threads["spikes_sha256"], "{v}");
        for f in ["weights.csv", "weight_trace.csv"] {
            let x = std::fs::read(a.path().join(f)).unwrap();
            let y = std::fs::read(b.path().join(f)).unwrap();
            assert!(x == y, "{v}: {f} differs between MPI 2x1 and 2 threads");
        }
    }
}

#[test]
fn mpi_multimeter_files_are_those_of_threads() {
    // Samples gathered from both ranks after every step, written by rank 0:
    // byte-identical to a threaded run, spikes too (dc and step currents).
    for v in ["delta", "exp"] {
        let model = format!("tests/data/instruments/{v}.toml");
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let mpi = volley_in(&model, Some(2), 1, None, a.path());
        let threads = volley_in(&model, None, 2, None, b.path());
        assert_eq!(mpi["spikes_sha256"], threads["spikes_sha256"], "{v}");
        let x = std::fs::read(a.path().join("multimeter.csv")).unwrap();
        let y = std::fs::read(b.path().join("multimeter.csv")).unwrap();
        assert!(
            x.len() > 100_000 && x == y,
            "{v}: multimeter.csv differs between MPI 2x1 and 2 threads"
        );
    }
}

/// The checkpoint tests' STDP network with step currents and multimeters,
/// written into `dir`.
fn stdp_with_devices(dir: &Path) -> std::path::PathBuf {
    use super::checkpoint::{brunel_with_devices, plastic_brunel, BRUNEL};
    let text = plastic_brunel() + &brunel_with_devices()[BRUNEL.len()..];
    super::common::write(dir, "stdp_devices.toml", &text)
}

/// Run `c`; it must succeed.
fn ok(c: &mut Command) {
    let s = c.status().unwrap();
    assert!(s.success(), "{c:?}: {s}");
}

/// Every output of [`stdp_with_devices`] is the same in `whole` and `cut`.
fn same_outputs(whole: &Path, cut: &Path) {
    let files = [
        "spikes.csv",
        "weights.csv",
        "weight_trace.csv",
        "multimeter.csv",
        "vm_i.npy",
    ];
    for f in files {
        let x = std::fs::read(whole.join(f)).unwrap();
        let y = std::fs::read(cut.join(f)).unwrap();
        assert!(x == y, "{f} differs after resuming");
    }
}

/// The processes whose parent is `pid` (the ranks mpirun started).
fn children_of(pid: u32) -> Vec<u32> {
    let mut kids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid ...: comm may hold spaces; split after it.
        let Some((_, rest)) = stat.rsplit_once(") ") else {
            continue;
        };
        let ppid = rest.split_whitespace().nth(1).and_then(|p| p.parse().ok());
        if ppid == Some(pid) {
            kids.extend(
                entry
                    .file_name()
                    .to_str()
                    .and_then(|p| p.parse::<u32>().ok()),
            );
        }
    }
    kids
}

#[test]
fn an_mpi_2x1_run_killed_resumes_on_one_thread() {
    // A distributed run (2 ranks) writing checkpoints is killed — mpirun
    // and both ranks, SIGKILL — at a random moment after its first
    // checkpoint; resumed on 1 thread without MPI, every output equals an
    // uninterrupted run's.
    let dir = tempfile::tempdir().unwrap();
    let model = stdp_with_devices(dir.path());
    let (whole, cut) = (dir.path().join("whole"), dir.path().join("cut"));
    let bin = env!("CARGO_BIN_EXE_volley");
    let flags = ["--threads", "1", "--no-raster", "-q", "--out"];
    ok(Command::new(bin)
        .arg("run")
        .arg(&model)
        .args(flags)
        .arg(&whole));
    let mut job = Command::new("mpirun")
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .args(["--oversubscribe", "-np", "2", bin, "run"])
        .arg(&model)
        .args(flags)
        .arg(&cut)
        .args(["--checkpoint-every", "100"])
        .spawn()
        .unwrap();
    let file = cut.join("checkpoint").join("checkpoint.bin");
    let start = std::time::Instant::now();
    while !file.exists() && job.try_wait().unwrap().is_none() {
        assert!(start.elapsed().as_secs() < 120, "no checkpoint");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let pause = u64::from(nanos) % 400;
    eprintln!("killing the MPI job {pause} ms after its first checkpoint");
    std::thread::sleep(std::time::Duration::from_millis(pause));
    // The ranks are in their own process groups: kill them by name.
    let ranks = children_of(job.id());
    for pid in ranks.iter().chain([&job.id()]) {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
    let _ = job.wait();
    if ranks.is_empty() {
        eprintln!("the job had ended before the kill; resuming its last checkpoint");
    }
    // Wait for the ranks to be gone before another run writes the folder.
    while ranks
        .iter()
        .any(|p| Path::new(&format!("/proc/{p}")).exists())
    {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(file.exists(), "the job wrote no checkpoint");
    ok(Command::new(bin)
        .arg("resume")
        .arg(cut.join("checkpoint"))
        .args(["--threads", "1", "-q", "--no-raster"]));
    same_outputs(&whole, &cut);
}

#[test]
fn a_one_thread_checkpoint_resumes_under_mpi_2x1() {
    let dir = tempfile::tempdir().unwrap();
    let model = stdp_with_devices(dir.path());
    let (whole, cut) = (dir.path().join("whole"), dir.path().join("cut"));
    let bin = env!("CARGO_BIN_EXE_volley");
    let flags = ["--threads", "1", "--no-raster", "-q"];
    ok(Command::new(bin)
        .arg("run")
        .arg(&model)
        .args(flags)
        .arg("--out")
        .arg(&whole));
    ok(Command::new(bin)
        .arg("run")
        .arg(&model)
        .args(flags)
        .arg("--out")
        .arg(&cut)
        .args(["--checkpoint-every", "500"]));
    ok(Command::new("mpirun")
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .args(["--oversubscribe", "-np", "2", bin, "resume"])
        .arg(cut.join("checkpoint"))
        .args(flags));
    let mpi = summary(&cut);
    assert_eq!(mpi["mpi"]["ranks"], 2);
    same_outputs(&whole, &cut);
}

/// A rank bound to one core but given two threads says so on stderr, with
/// the `mpirun` options that fix it; unbound on a machine of two or more
/// CPUs it says nothing.
#[test]
fn mpi_warns_when_a_rank_has_fewer_cpus_than_threads() {
    let bin = env!("CARGO_BIN_EXE_volley");
    let model = root().join("examples/det_net_Ie225.toml");
    let stderr_with = |binding: &str| {
        let out = tempfile::tempdir().unwrap();
        let o = Command::new("mpirun")
            .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
            .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
            .args(["--bind-to", binding, "-np", "1", bin, "run"])
            .arg(&model)
            .args(["--threads", "2", "--no-raster", "-q", "--out"])
            .arg(out.path())
            .output()
            .expect("run volley under mpirun");
        assert!(o.status.success(), "--bind-to {binding}: {}", o.status);
        String::from_utf8_lossy(&o.stderr).to_string()
    };
    let bound = stderr_with("core");
    assert!(
        bound.contains("2 threads per rank") && bound.contains("--bind-to none"),
        "{bound}"
    );
    if std::thread::available_parallelism().map_or(1, |n| n.get()) >= 2 {
        let free = stderr_with("none");
        assert!(!free.contains("threads per rank"), "{free}");
    }
}
