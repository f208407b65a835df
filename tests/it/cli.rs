//! The `volley` binary end to end.

use super::common::write;
use std::process::Command;

fn volley() -> Command {
    Command::new(env!("CARGO_BIN_EXE_volley"))
}

const MODEL: &str = "t_sim_ms = 200.0\nseed = 3\n\
[[populations]]\nname = \"E\"\nmodel = \"lif_delta\"\nsize = 80\nparams = { tau_m = 20.0, C_m = 1.0, t_ref = 2.0, E_L = 0.0, V_reset = 0.0, V_th = 20.0 }\n\
[[populations]]\nname = \"I\"\nmodel = \"lif_delta\"\nsize = 20\nparams = { tau_m = 20.0, C_m = 1.0, t_ref = 2.0, E_L = 0.0, V_reset = 0.0, V_th = 20.0 }\n\
[[projections]]\nsource = \"E\"\ntarget = [\"E\", \"I\"]\nrule = \"fixed_indegree\"\nindegree = 8\nweight = 0.1\ndelay_ms = 1.5\n\
[[projections]]\nsource = \"I\"\ntarget = [\"E\", \"I\"]\nrule = \"fixed_indegree\"\nindegree = 2\nweight = -0.5\ndelay_ms = 1.5\n\
[[inputs]]\nname = \"noise\"\nkind = \"poisson\"\nrate_hz = 25000.0\nweight = 0.1\ndelay_ms = 1.5\ntargets = [\"E\", \"I\"]\n";

#[test]
fn run_writes_spikes_summary_and_raster() {
    let dir = tempfile::tempdir().unwrap();
    let model = write(dir.path(), "tiny.toml", MODEL);
    let out = dir.path().join("out");
    let o = volley()
        .args(["run"])
        .arg(&model)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let spikes = std::fs::read_to_string(out.join("spikes.csv")).unwrap();
    let mut lines = spikes.lines();
    assert_eq!(lines.next(), Some("gid,time_ms"));
    let rows: Vec<(f64, u32)> = lines
        .map(|l| {
            let (g, t) = l.split_once(',').unwrap();
            (t.parse().unwrap(), g.parse().unwrap())
        })
        .collect();
    assert!(!rows.is_empty());
    assert!(
        rows.windows(2)
            .all(|w| (w[0].0, w[0].1) <= (w[1].0, w[1].1)),
        "sorted by time then gid"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    for key in [
        "volley_version",
        "model_file",
        "threads",
        "seed",
        "t_sim_ms",
        "neurons",
        "synapses",
        "spikes",
        "recurrent_events",
        "external_events",
        "wall_build_s",
        "wall_sim_s",
        "events_per_s",
        "peak_rss_bytes",
        "populations",
        "spikes_sha256",
    ] {
        assert!(summary.get(key).is_some(), "summary.json lacks `{key}`");
    }
    assert_eq!(summary["spikes"].as_u64().unwrap() as usize, rows.len());
    assert_eq!(summary["neurons"], 100);
    assert_eq!(summary["synapses"], 1000);
    assert_eq!(summary["populations"][0]["name"], "E");
    // stdout is the summary too.
    let printed: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(printed["spikes_sha256"], summary["spikes_sha256"]);
    let png = std::fs::read(out.join("raster.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");

    // Same seed, same spikes; --seed changes them.
    let again = dir.path().join("again");
    let o = volley()
        .arg("run")
        .arg(&model)
        .arg("--out")
        .arg(&again)
        .arg("--no-raster")
        .arg("-q")
        .output()
        .unwrap();
    assert!(o.status.success());
    assert_eq!(
        std::fs::read(again.join("spikes.csv")).unwrap(),
        spikes.as_bytes()
    );
    let other = dir.path().join("other");
    let o = volley()
        .arg("run")
        .arg(&model)
        .args([
            "--seed",
            "4",
            "--t-sim",
            "100",
            "-q",
            "--no-raster",
            "--out",
        ])
        .arg(&other)
        .output()
        .unwrap();
    assert!(o.status.success());
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(other.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(s["seed"], 4);
    assert_eq!(s["t_sim_ms"], 100.0);
}

#[test]
fn bad_model_exits_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let model = write(
        dir.path(),
        "bad.toml",
        &MODEL
            .replace(
                "delay_ms = 1.5\n\n[[projections]]",
                "delay_ms = -1.5\n\n[[projections]]",
            )
            .replace(
                "indegree = 8\nweight = 0.1\ndelay_ms = 1.5",
                "indegree = 8\nweight = 0.1\ndelay_ms = -1.5",
            ),
    );
    let o = volley()
        .arg("run")
        .arg(&model)
        .arg("--out")
        .arg(dir.path().join("o"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("error:")
            && err.contains("bad.toml")
            && err.contains("projections[0].delay_ms"),
        "{err}"
    );
    let o = volley()
        .arg("run")
        .arg(dir.path().join("missing.toml"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot read"));
}

#[test]
fn partition_file_gives_the_same_spikes_and_bad_files_are_reported() {
    let Some(_) = super::common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let model = super::common::root().join("examples/det_net_Ie225.toml");
    let mut csv = String::from("gid,partition\n");
    for g in 0..1000u32 {
        csv.push_str(&format!("{g},{}\n", (g * 7 + 3) % 3));
    }
    let parts = write(dir.path(), "parts.csv", &csv);
    let sha = |args: &[&str], out: &str| {
        let o = volley()
            .arg("run")
            .arg(&model)
            .args(args)
            .args(["-q", "--no-raster", "--out"])
            .arg(dir.path().join(out))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let s: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join(out).join("summary.json")).unwrap(),
        )
        .unwrap();
        (
            s["spikes_sha256"].as_str().unwrap().to_string(),
            s["partitioning"].as_str().unwrap().to_string(),
        )
    };
    let (one, default_scheme) = sha(&[], "one");
    // No camera: `auto` is contiguous.
    assert_eq!(default_scheme, "contiguous");
    let (three, scheme) = sha(
        &[
            "--threads",
            "3",
            "--partition-file",
            parts.to_str().unwrap(),
        ],
        "three",
    );
    assert_eq!(one, three);
    assert_eq!(scheme, "explicit");
    // A table that covers 2 of 1000 neurons (and names partition 5), and a gap in the gids.
    let bad = write(dir.path(), "bad.csv", "gid,partition\n0,0\n1,5\n");
    let o = volley()
        .arg("run")
        .arg(&model)
        .args(["--threads", "2", "--partition-file"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("cannot partition the network"), "{err}");
    let gap = write(dir.path(), "gap.csv", "gid,partition\n0,0\n2,1\n");
    let o = volley()
        .arg("run")
        .arg(&model)
        .args(["--partition-file"])
        .arg(&gap)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("gap.csv:3") && err.contains("`gid`"), "{err}");
}

/// `--realtime` paces the run to the wall clock and reports how it kept up
/// (how fast is the machine's business: only the report's shape is checked),
/// with the same spikes as an unpaced run.
#[test]
fn realtime_runs_report_how_they_kept_up() {
    let dir = tempfile::tempdir().unwrap();
    let model = write(dir.path(), "tiny.toml", MODEL);
    let summary = |out: &str, extra: &[&str]| -> serde_json::Value {
        let out = dir.path().join(out);
        let o = volley()
            .args(["run", "--t-sim", "50", "--no-raster"])
            .args(extra)
            .arg(&model)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        if extra.is_empty() {
            assert!(!String::from_utf8_lossy(&o.stderr).contains("real time"));
        } else {
            assert!(String::from_utf8_lossy(&o.stderr).contains("real time: "));
        }
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
    };
    let paced = summary("paced", &["--realtime"]);
    let free = summary("free", &[]);
    assert_eq!(paced["spikes_sha256"], free["spikes_sha256"]);
    assert!(free.get("realtime").is_none());
    let r = &paced["realtime"];
    assert_eq!(r["steps"], 5, "10 ms steps over 50 ms: {r}");
    assert!(r["steps_behind"].as_u64().unwrap() <= 5);
    for key in ["slowdown", "max_behind_s", "final_behind_s"] {
        assert!(r[key].as_f64().unwrap() >= 0.0, "{key}: {r}");
    }
    assert!(
        r["final_behind_s"].as_f64() <= r["max_behind_s"].as_f64(),
        "{r}"
    );
}

/// A folder holds one run's files: a rerun removes what the earlier run
/// wrote and this one does not (`raster.png` with `--no-raster`), a run that
/// fails leaves no `summary.json` (the marker of a complete run), and files
/// Volley does not own stay.
#[test]
fn a_rerun_never_leaves_an_earlier_runs_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let model = write(dir.path(), "tiny.toml", MODEL);
    let out = dir.path().join("out");
    let run = |model: &std::path::Path, extra: &[&str]| {
        volley()
            .arg("run")
            .arg(model)
            .arg("--out")
            .arg(&out)
            .arg("-q")
            .args(extra)
            .output()
            .unwrap()
    };
    assert!(run(&model, &[]).status.success());
    assert!(out.join("raster.png").exists() && out.join("summary.json").exists());
    std::fs::write(out.join("notes.txt"), "mine").unwrap();

    assert!(run(&model, &["--no-raster"]).status.success());
    assert!(
        !out.join("raster.png").exists(),
        "the earlier run's raster is gone"
    );
    assert!(out.join("spikes.csv").exists() && out.join("summary.json").exists());

    let broken = write(dir.path(), "broken.toml", "t_sim_ms = -1.0\n");
    let o = run(&broken, &[]);
    assert!(!o.status.success());
    assert!(
        !out.join("summary.json").exists(),
        "no summary of an earlier run"
    );
    assert!(!out.join("spikes.csv").exists());
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with(".partial.")),
        "no partial files: {names:?}"
    );
}
