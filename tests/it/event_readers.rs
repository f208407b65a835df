//! Every reader against files written by `encode` (round trips, including the
//! formats with no real sample: AEDAT 3.1, EVT 2.1 in both byte orders,
//! AEDAT 2.0 DVS128), and damaged files: truncated or corrupted anywhere, a
//! reader never panics; strict mode names the file and byte offset, lenient
//! mode skips and counts.

use super::common::read_all;
use proptest::prelude::*;
use std::path::Path;
use volley_models::input::event_camera::{encode, open, sniff, CameraEvent, Format, ReadOptions};

/// Sorted events on a `w × h` sensor, times from `t0`.
fn events(w: u16, h: u16, t0: i64, max: usize) -> impl Strategy<Value = Vec<CameraEvent>> {
    prop::collection::vec((0i64..3000, 0..w, 0..h, any::<bool>()), 1..max).prop_map(move |v| {
        let mut t = t0;
        let mut ev: Vec<CameraEvent> = v
            .into_iter()
            .map(|(dt, x, y, on)| {
                t += dt;
                CameraEvent { t_us: t, x, y, on }
            })
            .collect();
        // Readers of vectorised formats emit a time's events in x order.
        ev.sort_by_key(|e| (e.t_us, e.y, e.on, e.x));
        ev.dedup_by_key(|e| (e.t_us, e.x, e.y, e.on));
        ev
    })
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

type Writer = fn(&[CameraEvent]) -> Vec<u8>;
/// File name, writer, expected format, sensor size, first time.
type Case = (&'static str, Writer, Format, (u16, u16), i64);

fn writers() -> Vec<Case> {
    vec![
        ("a.bin", encode::nmnist, Format::Nmnist, (34, 34), 0),
        (
            "dvs128.aedat",
            |e| encode::aedat2(e, true),
            Format::Aedat2,
            (128, 128),
            5,
        ),
        (
            "davis.aedat",
            |e| encode::aedat2(e, false),
            Format::Aedat2,
            (240, 180),
            5,
        ),
        (
            "a.aedat",
            |e| encode::aedat3(e, 7),
            Format::Aedat3,
            (128, 128),
            (3 << 31) - 20_000,
        ),
        (
            "a.raw",
            |e| encode::evt2(e, 640, 480),
            Format::Evt2,
            (640, 480),
            913_000_000,
        ),
        (
            "b.raw",
            |e| encode::evt21(e, 1280, 720, false),
            Format::Evt21,
            (1280, 720),
            77,
        ),
        (
            "legacy.raw",
            |e| encode::evt21(e, 1280, 720, true),
            Format::Evt21,
            (1280, 720),
            77,
        ),
        (
            "c.raw",
            |e| encode::evt3(e, 1280, 720),
            Format::Evt3,
            (1280, 720),
            1_000,
        ),
        (
            "a.dat",
            |e| encode::dat(e, 304, 240),
            Format::Dat,
            (304, 240),
            0,
        ),
        (
            "a.es",
            |e| encode::event_stream(e, 320, 240),
            Format::EventStream,
            (320, 240),
            0,
        ),
        (
            "a.csv",
            encode::csv,
            Format::Text,
            (640, 480),
            1_605_537_493_718_345,
        ),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn every_format_round_trips(seed in 0usize..1000, raw in events(34, 34, 0, 400)) {
        let dir = tempfile::tempdir().unwrap();
        for (name, w, format, (sw, sh), t0) in writers() {
            // Spread the 34x34 pattern over the sensor and shift the times.
            let ev: Vec<CameraEvent> = raw
                .iter()
                .map(|e| CameraEvent {
                    t_us: e.t_us + t0,
                    x: (e.x * (sw / 34) + (seed as u16 % (sw / 34))).min(sw - 1),
                    y: (e.y * (sh / 34)).min(sh - 1),
                    on: e.on,
                })
                .collect();
            let mut ev = ev;
            ev.sort_by_key(|e| (e.t_us, e.y, e.on, e.x));
            ev.dedup_by_key(|e| (e.t_us, e.x, e.y, e.on));
            let path = write(dir.path(), name, &w(&ev));
            prop_assert_eq!(sniff(&path).unwrap(), format, "{}", name);
            let (got, damaged) = read_all(&path, false).unwrap();
            prop_assert_eq!(damaged, 0);
            prop_assert_eq!(&got, &ev, "{}", name);
        }
    }

    #[test]
    fn damaged_files_never_panic_and_say_where(cut in 0.0f64..1.0, flips in prop::collection::vec((0.0f64..1.0, any::<u8>()), 0..6), raw in events(34, 34, 100, 200)) {
        let dir = tempfile::tempdir().unwrap();
        for (name, w, _, _, _) in writers() {
            let mut bytes = w(&raw);
            let n = bytes.len();
            for &(at, v) in &flips {
                let i = ((at * n as f64) as usize).min(n - 1);
                bytes[i] ^= v;
            }
            bytes.truncate(((cut * n as f64) as usize).max(1));
            let path = write(dir.path(), name, &bytes);
            match read_all(&path, false) {
                Ok(_) => {}
                Err(e) => prop_assert!(e.contains(name) && (e.contains("byte ") || e.contains(&format!("{name}:"))), "{e}"),
            }
            // Lenient mode fails only where nothing can be skipped (headers).
            if let Err(e) = read_all(&path, true) {
                prop_assert!(e.contains(name), "{e}");
            }
        }
    }
}

#[test]
fn a_torn_last_record_is_an_error_at_its_offset_or_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let ev: Vec<CameraEvent> = (0..100)
        .map(|i| CameraEvent {
            t_us: i * 10,
            x: (i % 30) as u16,
            y: (i % 20) as u16,
            on: i % 3 == 0,
        })
        .collect();
    // (Text files are left out: a line that lost its last byte is still a line.)
    for (name, w, _, _, _) in writers().into_iter().filter(|w| w.2 != Format::Text) {
        let mut bytes = w(&ev);
        bytes.pop();
        let path = write(dir.path(), name, &bytes);
        let e = read_all(&path, false).unwrap_err();
        assert!(e.contains("truncated"), "{name}: {e}");
        assert!(e.contains(name) && e.contains("byte "), "{name}: {e}");
        let (got, damaged) = read_all(&path, true).unwrap();
        assert_eq!(damaged, 1, "{name}");
        assert!(
            got.len() >= ev.len() - 32 && got.len() < ev.len() + 1,
            "{name}: {}",
            got.len()
        );
    }
}

#[test]
fn prophesee_events_outside_the_sensor_are_an_error_or_skipped_and_counted() {
    // Written for a 1280x720 sensor, read as one of 640x480 (the header
    // says so): the events at x >= 640 are outside it. The EVT 3 file ends
    // with a vector of 12 events at x = 636..647: 4 inside, 8 outside.
    let dir = tempfile::tempdir().unwrap();
    let ev: Vec<CameraEvent> = (0..200)
        .map(|i| CameraEvent {
            t_us: 1000 + i / 4,
            x: if i % 50 == 7 {
                700 + (i % 3) as u16
            } else {
                (i % 600) as u16
            },
            y: (i % 400) as u16,
            on: i % 2 == 0,
        })
        .collect();
    let outside = ev.iter().filter(|e| e.x >= 640).count();
    let mut evt3 = encode::evt3(&ev, 1280, 720);
    for word in [5u16, (0x3 << 12) | 636, (0x4 << 12) | 0xFFF] {
        evt3.extend_from_slice(&word.to_le_bytes());
    }
    for (name, bytes, vector_inside) in [
        ("wide.raw", encode::evt2(&ev, 1280, 720), 0),
        ("wide21.raw", encode::evt21(&ev, 1280, 720, true), 0),
        ("wide3.raw", evt3, 4),
    ] {
        let mut bytes = bytes;
        let end = bytes.windows(6).position(|w| w == b"% end\n").unwrap() + 6;
        let header = String::from_utf8(bytes[..end].to_vec()).unwrap();
        let header = header.replace("width=1280", "width=640");
        let header = header.replace("height=720", "height=480");
        bytes.splice(..end, header.into_bytes());
        let path = write(dir.path(), name, &bytes);
        let e = read_all(&path, false).unwrap_err();
        assert!(e.contains("outside the 640x480 sensor"), "{name}: {e}");
        assert!(e.contains(name) && e.contains("byte "), "{name}: {e}");
        let (got, damaged) = read_all(&path, true).unwrap();
        assert_eq!(got.len(), ev.len() - outside + vector_inside, "{name}");
        assert!(damaged >= 1, "{name}");
        assert!(got.iter().all(|e| e.x < 640), "{name}");
    }
}

#[test]
fn text_errors_name_the_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "e.csv",
        b"t,x,y,p\n1,2,3,1\n2,2,x3,0\n3,1,1,7\n4,1,1,0\n",
    );
    let e = read_all(&p, false).unwrap_err();
    assert!(e.contains("e.csv:3") && e.contains("y `x3`"), "{e}");
    let (got, damaged) = read_all(&p, true).unwrap();
    assert_eq!((got.len(), damaged), (2, 2));
    // Seconds with many decimals convert exactly.
    let p = write(
        dir.path(),
        "s.txt",
        b"# timestamp x y polarity\n11.718656000000 874 200 -1\n11.7186565 1 2 1\n",
    );
    let (got, _) = read_all(&p, false).unwrap();
    assert_eq!(
        got[0],
        CameraEvent {
            t_us: 11_718_656,
            x: 874,
            y: 200,
            on: false
        }
    );
    assert_eq!(got[1].t_us, 11_718_657);
}

#[test]
fn unknown_formats_and_forced_formats() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "noise.xyz", &[0u8, 1, 2, 200, 255, 7]);
    let e = sniff(&p).unwrap_err().to_string();
    assert!(e.contains("noise.xyz") && e.contains("--format"), "{e}");
    // Forcing a format on a file of another one gives a clear error.
    let p = write(
        dir.path(),
        "x.es",
        &encode::nmnist(&[CameraEvent {
            t_us: 1,
            x: 1,
            y: 1,
            on: true,
        }]),
    );
    let e = open(
        &p,
        ReadOptions {
            format: Some(Format::Aedat4),
            lenient: false,
        },
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("not an AEDAT 4.0 file"), "{e}");
    assert_eq!("EVT3".parse::<Format>().unwrap(), Format::Evt3);
    assert!("evt9"
        .parse::<Format>()
        .unwrap_err()
        .contains("known: nmnist"));
}

/// `VOLLEY_WRITE_FUZZ_SEEDS=1` refreshes `fuzz/seeds/event_files` (the first
/// byte of a seed selects the format, as in the fuzz target).
#[test]
fn fuzz_seeds_for_every_format() {
    let ev: Vec<CameraEvent> = (0..40)
        .map(|i| CameraEvent {
            t_us: 1000 + i * 37,
            x: (i * 5 % 34) as u16,
            y: (i * 3 % 34) as u16,
            on: i % 2 == 0,
        })
        .collect();
    let dir = super::common::root().join("fuzz/seeds/event_files");
    let write_seeds = std::env::var_os("VOLLEY_WRITE_FUZZ_SEEDS").is_some();
    for (name, w, format, _, _) in writers() {
        let sel = Format::ALL.iter().position(|&f| f == format).unwrap() as u8;
        let mut seed = vec![sel];
        seed.extend(w(&ev));
        if write_seeds {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(name), &seed).unwrap();
        }
        assert!(
            !dir.exists() || std::fs::read(dir.join(name)).is_ok_and(|s| s == seed),
            "{name}: stale seed"
        );
    }
}

/// A chunk is at most `CHUNK_EVENTS` records however much the reader has
/// buffered (the buffers a chunk passes through are sized for that, before
/// the clock starts), and the chunks together are the whole file.
#[test]
fn chunks_are_bounded_and_together_the_whole_file() {
    use volley_models::input::event_camera::CHUNK_EVENTS;
    let ev: Vec<CameraEvent> = (0..3 * CHUNK_EVENTS + 123)
        .map(|i| CameraEvent {
            t_us: 1000 + i as i64 / 8,
            x: (i * 7 % 300) as u16,
            y: (i / 8 % 200) as u16,
            on: i % 3 == 0,
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    for (name, w, ..) in writers() {
        if !["a.raw", "a.dat", "a.es"].contains(&name) {
            continue; // formats of one event per record
        }
        let path = write(dir.path(), name, &w(&ev));
        let mut reader = open(&path, ReadOptions::default()).unwrap();
        let (mut chunk, mut all) = (Vec::new(), Vec::new());
        while reader.next_chunk(&mut chunk).unwrap() {
            assert!(chunk.len() <= CHUNK_EVENTS, "{name}: {}", chunk.len());
            all.extend_from_slice(&chunk);
        }
        let mut expected = ev.clone();
        expected.sort_by_key(|e| (e.t_us, e.y, e.on, e.x));
        all.sort_by_key(|e| (e.t_us, e.y, e.on, e.x));
        assert_eq!(all, expected, "{name}");
    }
}
