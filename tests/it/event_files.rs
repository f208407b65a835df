//! Event-camera readers against the ground truth of independent decoders
//! (`shared/data/events/MANIFEST.json`), key by key, plus the `inspect` CLI.

use std::path::PathBuf;
use volley::inspect::GroundTruthJson;
use volley_models::input::event_camera::{inspect, ReadOptions};

fn events_dir() -> Option<PathBuf> {
    let d = super::common::root().join("../shared/data/events");
    if d.join("MANIFEST.json").is_file() {
        Some(d)
    } else {
        eprintln!(
            "SKIPPED: {} is absent (the shared recordings live beside the repository)",
            d.display()
        );
        None
    }
}

fn manifest(dir: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("MANIFEST.json")).unwrap()).unwrap()
}

#[test]
fn every_shared_recording_matches_its_ground_truth_key_by_key() {
    let Some(dir) = events_dir() else { return };
    let m = manifest(&dir);
    let files = m["files"].as_array().unwrap();
    assert!(files.len() >= 14);
    for f in files {
        let name = f["name"].as_str().unwrap();
        let truth = f["ground_truth"].as_object().unwrap();
        let s = inspect(&dir.join(name), ReadOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let ours = serde_json::to_value(GroundTruthJson::from(&s)).unwrap();
        let ours = ours.as_object().unwrap();
        let keys = |o: &serde_json::Map<String, serde_json::Value>| {
            o.keys().cloned().collect::<std::collections::BTreeSet<_>>()
        };
        assert_eq!(keys(ours), keys(truth), "{name}: field names differ");
        // The sensor size is not stored in this file (the manifest takes
        // tonic's N-CARS size); ours is the observed maximum + 1.
        let size_unknown = f["coordinate_note"]
            .as_str()
            .unwrap_or("")
            .contains("Size not in file");
        for (k, v) in truth {
            if size_unknown && (k == "width" || k == "height") {
                assert!(s.geometry.is_none(), "{name}: unexpected geometry");
                continue;
            }
            assert_eq!(&ours[k], v, "{name}: `{k}` differs");
        }
        assert_eq!(
            s.report.damaged, 0,
            "{name}: damage reported in a good file"
        );
    }
}

#[test]
fn evt_files_skip_what_the_reference_decoder_skips() {
    let Some(dir) = events_dir() else { return };
    // Word counts from the manifest's raw_stats: every TIME_HIGH/TIME_LOW
    // and monitoring word is passed over, none is taken as damage.
    let s = inspect(&dir.join("evt3_imx636_cut.raw"), ReadOptions::default()).unwrap();
    let skipped: std::collections::BTreeMap<_, _> = s.report.skipped.iter().cloned().collect();
    assert_eq!(skipped["time"], 117_845 + 21_907);
    assert_eq!(skipped["other"], 3504 + 4367 + 7008);
    let s = inspect(&dir.join("evt2_gen3_sample.raw"), ReadOptions::default()).unwrap();
    assert_eq!(s.report.skipped, vec![("time_high", 3126)]);
    let s = inspect(
        &dir.join("aedat2_davis240c_translboxes.aedat"),
        ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(s.report.skipped, vec![("aps_or_imu", 33_837)]);
}

#[test]
fn inspect_json_on_the_command_line_equals_the_manifest() {
    let Some(dir) = events_dir() else { return };
    let m = manifest(&dir);
    for name in [
        "evt3_gen41_sample.raw",
        "aedat4_davis346_lz4.aedat4",
        "nmnist_sample.bin",
    ] {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_volley"))
            .args(["inspect", "--json"])
            .arg(dir.join(name))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let ours: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let f = m["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap();
        assert_eq!(ours, f["ground_truth"], "{name}");
    }
    // The human report names the format and the skipped records.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_volley"))
        .arg("inspect")
        .arg(dir.join("aedat4_davis346_lz4.aedat4"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    for want in [
        "AEDAT 4.0",
        "346 x 260",
        "117667",
        "frame_packet 3",
        "first events",
        "last events",
        "events/s",
    ] {
        assert!(text.contains(want), "missing `{want}` in:\n{text}");
    }
}

#[test]
fn truncated_real_recordings_fail_at_their_offset_or_are_read_leniently() {
    let Some(dir) = events_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let m = manifest(&dir);
    for f in m["files"].as_array().unwrap() {
        let name = f["name"].as_str().unwrap();
        let bytes = std::fs::read(dir.join(name)).unwrap();
        // Cut inside the data, at an odd offset (mid-record for every format).
        let cut = (bytes.len() * 2 / 3) | 1;
        let path = tmp.path().join(name);
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let total = f["ground_truth"]["event_count"].as_u64().unwrap();
        let strict = inspect(&path, ReadOptions::default());
        let lenient = inspect(
            &path,
            ReadOptions {
                format: None,
                lenient: true,
            },
        )
        .unwrap_or_else(|e| panic!("{name}: lenient read failed: {e}"));
        assert!(lenient.event_count < total, "{name}");
        match strict {
            Err(e) => {
                let msg = e.to_string();
                assert!(
                    msg.contains(name) && msg.contains("truncated"),
                    "{name}: {msg}"
                );
                assert!(
                    e.offset.is_some() || e.line.is_some(),
                    "{name}: no position in {msg}"
                );
                assert!(lenient.report.damaged >= 1, "{name}");
            }
            // A cut between two text lines / ES bytes can leave a valid file.
            Ok(s) => assert_eq!(s.event_count, lenient.event_count, "{name}"),
        }
    }
}
