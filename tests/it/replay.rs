//! Replaying event-camera recordings into networks: exact injection times,
//! channel mapping, determinism across threads, damaged files.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use volley_engine::{Drive, Gid, Spike, SyncWindow, Time};
use volley_models::input::event_camera::{
    encode, CameraEvent, ChannelMap, EventCameraDrive, PolarityMode, ReadOptions, Replay,
    TimeWindow,
};
use volley_models::{Overrides, PartitionScheme};

use super::common::{root, run_on};

/// The synthetic recording of `examples/data/moving_edges_34x34.bin`: an
/// edge sweeping a 34×34 sensor left to right, top to bottom, then right to
/// left, 100 ms each, as ON events on its leading side and OFF events 6 ms
/// later (times jittered by a fixed pattern), in N-MNIST format.
pub fn moving_edges() -> Vec<CameraEvent> {
    let mut ev = Vec::new();
    for sweep in 0..3i64 {
        for step in 0..34i64 {
            let t0 = sweep * 100_000 + step * 2_900 + 500;
            for k in 0..34i64 {
                let (x, y) = match sweep {
                    0 => (step, k),
                    1 => (k, step),
                    _ => (33 - step, k),
                };
                let jitter = (x * 7 + y * 13) % 50;
                for (dt, on) in [(0, true), (6_000, false)] {
                    ev.push(CameraEvent {
                        t_us: t0 + jitter + dt,
                        x: x as u16,
                        y: y as u16,
                        on,
                    });
                }
            }
        }
    }
    ev.sort_by_key(|e| (e.t_us, e.y, e.x, e.on));
    ev
}

fn example_data() -> PathBuf {
    root().join("examples/data/moving_edges_34x34.bin")
}

#[test]
fn example_recording_is_the_documented_synthetic_one() {
    let bytes = encode::nmnist(&moving_edges());
    if std::env::var_os("VOLLEY_WRITE_EXAMPLE_DATA").is_some() {
        std::fs::write(example_data(), &bytes).unwrap();
    }
    assert_eq!(std::fs::read(example_data()).unwrap(), bytes);
}

/// Windows of `w_us` µs covering `0..until_us`.
fn windows(w_us: u64, until_us: u64) -> impl Iterator<Item = SyncWindow> {
    let w = w_us * 1024;
    (0..until_us.div_ceil(w_us)).map(move |k| SyncWindow {
        index: k,
        start: Time(k * w),
        end: Time((k + 1) * w),
    })
}

fn drive_spikes(
    path: &Path,
    map: ChannelMap,
    window: TimeWindow,
    w_us: u64,
    until_us: u64,
) -> Vec<Spike> {
    let spec = Replay {
        path: path.to_path_buf(),
        options: ReadOptions::default(),
        map,
        window,
    };
    let status = Arc::new(Mutex::new(Default::default()));
    let mut d = EventCameraDrive::open(&spec, 100, status.clone()).unwrap();
    let mut out = Vec::new();
    for win in windows(w_us, until_us) {
        let before = out.len();
        d.emit(win, &mut out);
        assert!(out[before..]
            .iter()
            .all(|s| s.time >= win.start && s.time < win.end));
    }
    assert!(status.lock().unwrap().error.is_none());
    out
}

/// One channel per pixel and polarity of the 34 × 34 sensor.
fn every_pixel_split() -> ChannelMap {
    ChannelMap {
        crop: (0, 0, 34, 34),
        pool: (1, 1),
        polarity: PolarityMode::Split,
    }
}

/// The whole recording, from its first event as time 0.
fn whole_recording() -> TimeWindow {
    TimeWindow {
        origin_us: None,
        start_us: 0,
        stop_us: None,
    }
}

#[test]
fn every_event_becomes_one_spike_at_its_exact_time_and_channel() {
    let dir = tempfile::tempdir().unwrap();
    // Out of order by up to 3 ms (as EVT 3 TIME_LOW steps back): still exact.
    let mut ev = moving_edges();
    ev.swap(10, 40);
    ev.swap(500, 530);
    let path = dir.path().join("edges.bin");
    std::fs::write(&path, encode::nmnist(&ev)).unwrap();
    let (map, window) = (every_pixel_split(), whole_recording());
    let spikes = drive_spikes(&path, map.clone(), window, 1500, 400_000);
    let origin = ev[0].t_us;
    let mut want: Vec<Spike> = ev
        .iter()
        .map(|e| {
            Spike::at(
                Time((e.t_us - origin) as u64 * 1024),
                Gid(100 + map.channel(e).unwrap()),
            )
        })
        .collect();
    want.sort();
    let mut got = spikes.clone();
    got.sort();
    assert_eq!(got, want);
    // Pooling 2x2, ON only, a crop and a time window.
    let map = ChannelMap {
        crop: (2, 0, 30, 34),
        pool: (2, 2),
        polarity: PolarityMode::On,
    };
    let window = TimeWindow {
        origin_us: Some(0),
        start_us: 100_000,
        stop_us: Some(200_000),
    };
    let spikes = drive_spikes(&path, map.clone(), window, 1000, 400_000);
    let want: Vec<_> = ev
        .iter()
        .filter(|e| e.on && e.x >= 2 && e.x < 32 && (100_000..200_000).contains(&e.t_us))
        .collect();
    assert_eq!(spikes.len(), want.len());
    assert!(spikes
        .iter()
        .all(|s| s.source.0 >= 100 && s.source.0 < 100 + 15 * 17));
    assert_eq!(
        spikes[0].time,
        Time((want.iter().map(|e| e.t_us).min().unwrap() - 100_000) as u64 * 1024)
    );
}

#[test]
fn partitions_sharing_one_reader_each_get_their_channels_with_or_without_a_helper_or_threads() {
    // Twenty sweeps of the edges: more than two chunks of the reader.
    let edges = moving_edges();
    let ev: Vec<CameraEvent> = (0..20)
        .flat_map(|r| {
            edges.iter().map(move |e| CameraEvent {
                t_us: e.t_us + r * 300_000,
                ..*e
            })
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sweeps.bin");
    std::fs::write(&path, encode::nmnist(&ev)).unwrap();
    let (map, window) = (every_pixel_split(), whole_recording());
    let (w_us, until_us) = (1000, 6_100_000);
    let mut whole = drive_spikes(&path, map.clone(), window, w_us, until_us);
    whole.sort();
    // Three partitions; every seventh channel reaches none of them.
    let owner: Vec<u16> = (0..map.n_channels())
        .map(|c| if c % 7 == 0 { 3 } else { (c % 3) as u16 })
        .collect();
    let spec = Replay {
        path: path.clone(),
        options: ReadOptions::default(),
        map,
        window,
    };
    // Driven from one thread in turn, or each from its own (as workers do:
    // chunks are then read by one and dealt by several at once).
    for (helper, threads) in [(false, false), (true, false), (false, true), (true, true)] {
        let status = Arc::new(Mutex::new(Default::default()));
        let mut drives = EventCameraDrive::open_shared(
            &spec,
            100,
            Some(owner.clone()),
            3,
            helper,
            (status.clone(), true),
        )
        .unwrap();
        let mut got = vec![Vec::new(); 3];
        if threads {
            std::thread::scope(|s| {
                for (d, out) in drives.iter_mut().zip(&mut got) {
                    s.spawn(move || {
                        for win in windows(w_us, until_us) {
                            d.emit(win, out);
                        }
                    });
                }
            });
        } else {
            for win in windows(w_us, until_us) {
                for (d, out) in drives.iter_mut().zip(&mut got) {
                    d.emit(win, out);
                }
            }
        }
        let status = status.lock().unwrap();
        assert!(status.error.is_none());
        assert_eq!(status.events_read, ev.len() as u64);
        for (d, spikes) in got.iter_mut().enumerate() {
            spikes.sort();
            let want: Vec<Spike> = whole
                .iter()
                .filter(|s| usize::from(owner[(s.source.0 - 100) as usize]) == d)
                .copied()
                .collect();
            assert_eq!(
                *spikes, want,
                "partition {d}, helper {helper}, threads {threads}"
            );
        }
    }
}

#[test]
fn a_partition_far_ahead_of_a_stalled_one_still_reads_to_the_end() {
    // Partitions that exchange no spikes run apart; the reader lets one run
    // at most a few chunks ahead of the slowest before waiting for it, and
    // reads on after one wait, so one that is stalled (here: not driven at
    // all until the other has finished) holds nobody up for ever.
    let edges = moving_edges();
    let ev: Vec<CameraEvent> = {
        // 600 sweeps 10 ms apart: 4.2 M events, 20 chunks, in 6.3 s.
        let mut ev: Vec<CameraEvent> = (0..600)
            .flat_map(|r| {
                edges.iter().map(move |e| CameraEvent {
                    t_us: e.t_us + r * 10_000,
                    ..*e
                })
            })
            .collect();
        ev.sort_by_key(|e| e.t_us);
        ev
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sweeps.bin");
    std::fs::write(&path, encode::nmnist(&ev)).unwrap();
    let map = every_pixel_split();
    let owner: Vec<u16> = (0..map.n_channels()).map(|c| (c % 2) as u16).collect();
    let spec = Replay {
        path,
        options: ReadOptions::default(),
        map,
        window: whole_recording(),
    };
    let status = Arc::new(Mutex::new(Default::default()));
    let mut drives =
        EventCameraDrive::open_shared(&spec, 100, Some(owner), 2, false, (status.clone(), true))
            .unwrap();
    let mut got = [Vec::new(), Vec::new()];
    for (d, out) in drives.iter_mut().zip(&mut got) {
        for win in windows(1000, 6_400_000) {
            d.emit(win, out);
        }
    }
    let status = status.lock().unwrap();
    assert!(status.error.is_none());
    assert_eq!(status.events_read, ev.len() as u64);
    let on = ev.iter().filter(|e| e.on).count();
    assert_eq!((got[0].len(), got[1].len()), (ev.len() - on, on));
}

#[test]
fn nmnist_replay_example_runs_exactly_and_identically_on_any_thread_count() {
    let model = root().join("examples/nmnist_replay.toml");
    let (one, dir) = run_on(&model, None, 1, PartitionScheme::Contiguous);
    let r = &one.event_replays[0];
    let n = moving_edges().len() as u64;
    assert_eq!(
        (r.events_read, r.events_injected, r.damaged_parts),
        (n, n, 0)
    );
    // Each event drives its retina neuron over threshold at arrival: the
    // retina's spikes are the events, shifted by the 1 ms synapse delay.
    let text = std::fs::read_to_string(dir.path().join("spikes.csv")).unwrap();
    let retina: Vec<f64> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(','))
        .filter(|(g, _)| g.parse::<u32>().unwrap() < 2312)
        .map(|(_, t)| t.parse().unwrap())
        .collect();
    assert_eq!(retina.len() as u64, n);
    let first = moving_edges()[0].t_us;
    let mut want: Vec<f64> = moving_edges()
        .iter()
        .map(|e| (e.t_us - first) as f64 / 1000.0 + 1.0)
        .collect();
    want.sort_by(f64::total_cmp);
    let mut got = retina.clone();
    got.sort_by(f64::total_cmp);
    for (g, w) in got.iter().zip(&want) {
        assert!((g - w).abs() < 1e-9, "{g} vs {w}");
    }
    assert!(one
        .populations
        .iter()
        .any(|p| p.name == "hidden" && p.spikes > 0));
    for threads in [2, 3] {
        for scheme in [
            PartitionScheme::Auto,
            PartitionScheme::Contiguous,
            PartitionScheme::RoundRobin,
        ] {
            let (s, _) = run_on(&model, None, threads, scheme);
            assert_eq!(s.spikes_sha256, one.spikes_sha256, "{threads} threads");
            let r = &s.event_replays[0];
            assert_eq!(
                (r.events_read, r.events_injected),
                (n, n),
                "counts of the whole replay"
            );
        }
    }
}

fn volley() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_volley"))
}

#[test]
fn a_damaged_recording_stops_the_run_with_its_offset_or_is_skipped_when_lenient() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = encode::nmnist(&moving_edges());
    bytes.truncate(bytes.len() - 2); // a torn last record
    let bad = dir.path().join("torn.bin");
    std::fs::write(&bad, &bytes).unwrap();
    let model = root().join("examples/nmnist_replay.toml");
    // On 2 threads the partitions share the reader and deal chunks in
    // parallel: the error and the counts are the same.
    let replay = |mode: &str, threads: &str, out: &Path| {
        volley()
            .arg("replay")
            .arg(&bad)
            .arg("--model")
            .arg(&model)
            .args([mode, "--no-raster", "--threads", threads, "--out"])
            .arg(out)
            .output()
            .unwrap()
    };
    for threads in ["1", "2"] {
        let o = replay("-q", threads, &dir.path().join(format!("strict{threads}")));
        assert_eq!(o.status.code(), Some(1));
        let err = String::from_utf8_lossy(&o.stderr);
        let offset = format!("byte {}", bytes.len() - 3);
        assert!(
            err.contains("torn.bin") && err.contains(&offset) && err.contains("truncated"),
            "{err}"
        );
        let o = replay(
            "--lenient",
            threads,
            &dir.path().join(format!("lenient{threads}")),
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let s: serde_json::Value = serde_json::from_slice(
            &std::fs::read(dir.path().join(format!("lenient{threads}/summary.json"))).unwrap(),
        )
        .unwrap();
        let r = &s["event_replays"][0];
        assert_eq!(r["damaged_parts"], 1);
        assert_eq!(r["damaged_bytes"], 3);
        assert_eq!(r["events_read"], moving_edges().len() as u64 - 1);
        assert!(String::from_utf8_lossy(&o.stderr).contains("damaged part"));
    }
}

#[test]
fn replay_cli_takes_a_shared_recording_and_checks_channel_counts() {
    let Some(shared) = super::common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let o = volley()
        .arg("replay")
        .arg(shared.join("data/events/nmnist_sample.bin"))
        .arg("--model")
        .arg(root().join("examples/nmnist_replay.toml"))
        .args(["-q", "--no-raster", "--threads", "2", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["event_replays"][0]["events_read"], 4325);
    // A camera drives the retina: `auto` deals it to both workers.
    assert_eq!(s["partitioning"], "blocks");
    // A 346x260 recording is not the 34x34 sensor the model expects.
    let o = volley()
        .arg("replay")
        .arg(shared.join("data/events/aedat4_davis346_lz4.aedat4"))
        .arg("--model")
        .arg(root().join("examples/nmnist_replay.toml"))
        .args(["-q", "--no-raster", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("says its sensor is 346x260, not 34x34"),
        "{err}"
    );
    let _ = Overrides::default();
}

#[test]
fn model_file_mistakes_in_event_camera_inputs_name_the_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(example_data(), dir.path().join("rec.bin")).unwrap();
    let base = "t_sim_ms = 10.0\n[[populations]]\nname = \"px\"\nmodel = \"lif_delta\"\nsize = 2312\n\
                params = { tau_m = 10.0, C_m = 250.0, t_ref = 0.5, E_L = 0.0, V_reset = 0.0, V_th = 20.0 }\n\
                [[inputs]]\nname = \"cam\"\nkind = \"event_camera\"\nweight = 25.0\ndelay_ms = 1.0\ntargets = \"px\"\n";
    let cases = [
        (
            "file = \"rec.bin\"\n",
            "inputs[0].sensor_size",
            "does not store the sensor size",
        ),
        (
            "file = \"rec.bin\"\nsensor_size = [34, 34]\npool = 0\n",
            "inputs[0].pool",
            "must be >= 1",
        ),
        (
            "file = \"rec.bin\"\nsensor_size = [34, 34]\ncrop = [30, 0, 8, 8]\n",
            "inputs[0].crop",
            "does not fit the 34x34 sensor",
        ),
        (
            "file = \"rec.bin\"\nsensor_size = [34, 34]\npolarity = \"merge\"\n",
            "inputs[0].targets",
            "2312 neurons but the replay has 1156 channels",
        ),
        (
            "file = \"rec.bin\"\nsensor_size = [34, 34]\npolarity = \"both\"\n",
            "inputs[0].polarity",
            "unknown polarity mode",
        ),
        (
            "file = \"missing.bin\"\nsensor_size = [34, 34]\n",
            "",
            "missing.bin",
        ),
        (
            "file = \"rec.bin\"\nsensor_size = [34, 34]\nformat = \"evt9\"\n",
            "inputs[0].format",
            "unknown event file format",
        ),
        (
            "file = \"rec.bin\"\nsensor_size = [34, 34]\nstart_ms = 5.0\nstop_ms = 2.0\n",
            "inputs[0].stop_ms",
            "after start_ms",
        ),
    ];
    for (extra, key, what) in cases {
        let model = super::common::write(dir.path(), "m.toml", &format!("{base}{extra}"));
        let e = volley_models::load(&model, &Overrides::default(), &Default::default())
            .err()
            .expect(extra)
            .to_string();
        assert!(e.contains(key) && e.contains(what), "{extra}: {e}");
    }
    // A camera key on another input kind is rejected.
    let model = super::common::write(
        dir.path(),
        "p.toml",
        &base.replace("event_camera", "poisson").replace(
            "weight = 25.0",
            "weight = 25.0\nrate_hz = 5.0\ncrop = [0, 0, 2, 2]",
        ),
    );
    let e = volley_models::load(&model, &Overrides::default(), &Default::default())
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("inputs[0].crop") && e.contains("not used by kind `poisson`"),
        "{e}"
    );
}
