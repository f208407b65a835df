//! Decode speed of every event-camera reader: 10^6 events written by
//! `encode`, decoded from memory (no disk), events per second.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::io::Cursor;
use std::path::Path;
use volley_models::input::event_camera::{encode, from_reader, CameraEvent, Format};

fn events(n: usize) -> Vec<CameraEvent> {
    let mut s = 0x2545_f491_4f6c_dd1du64;
    let mut t = 0i64;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            t += (s % 3) as i64;
            CameraEvent {
                t_us: t,
                // Within the smallest sensor a format implies (AEDAT 2.0:
                // the DAVIS240's 240x180).
                x: (s >> 8) as u16 % 240,
                y: (s >> 24) as u16 % 180,
                on: s & 1 == 1,
            }
        })
        .collect()
}

fn decode(c: &mut Criterion) {
    let ev = events(1_000_000);
    let files: Vec<(Format, Vec<u8>)> = vec![
        (
            Format::Nmnist,
            encode::nmnist(
                &ev.iter()
                    .map(|e| CameraEvent {
                        x: e.x % 34,
                        y: e.y % 34,
                        ..*e
                    })
                    .collect::<Vec<_>>(),
            ),
        ),
        (Format::Aedat2, encode::aedat2(&ev, false)),
        (Format::Aedat3, encode::aedat3(&ev, 4096)),
        (Format::Evt2, encode::evt2(&ev, 640, 480)),
        (Format::Evt21, encode::evt21(&ev, 640, 480, false)),
        (Format::Evt3, encode::evt3(&ev, 640, 480)),
        (Format::Dat, encode::dat(&ev, 640, 480)),
        (Format::EventStream, encode::event_stream(&ev, 320, 240)),
        (Format::Text, encode::csv(&ev)),
    ];
    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Elements(ev.len() as u64));
    for (format, bytes) in &files {
        g.bench_function(format.name(), |b| {
            b.iter(|| {
                let mut r = from_reader(
                    Path::new("bench"),
                    Box::new(Cursor::new(bytes.clone())),
                    *format,
                    false,
                )
                .unwrap();
                let mut chunk = Vec::new();
                let mut n = 0;
                while r.next_chunk(&mut chunk).unwrap() {
                    n += chunk.len();
                }
                assert_eq!(n, 1_000_000);
            })
        });
    }
    g.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
