//! The machine's limit for Volley's inner loop: random read-modify-write of
//! 4-byte values, per thread.
//!
//! Delivering a spike streams its run of target indices (sequential reads)
//! and adds a weight to each target's input (a random read-modify-write);
//! the neurons' records are the random part. This measures that pattern
//! alone — a streamed `u32` index list, `acc[i] += 1.0` on an `f32` array —
//! with the array sized for L2, L3 and DRAM, on 1 and on N threads (each
//! with its own array and list), so Volley's deliveries per second can be
//! quoted as a fraction of what the memory system allows
//! (docs/PERFORMANCE.md).
//!
//! cargo bench --bench memory_limit [-- THREADS]

use std::hint::black_box;
use std::time::Instant;

/// Index stream length per repetition (64 MiB of `u32`: larger than L3).
const UPDATES: usize = 16 << 20;

/// Array sizes (bytes) and what they are meant to fit.
const SIZES: [(&str, usize); 4] = [
    ("L2 (256 KiB)", 256 << 10),
    ("L3 (8 MiB)", 8 << 20),
    ("L3 (24 MiB)", 24 << 20),
    ("DRAM (1 GiB)", 1 << 30),
];

/// splitmix64: a fixed, cheap stream of indices (no dependence on a crate's
/// generator for a figure compared across sessions).
fn indices(len: usize, n: usize, seed: u64) -> Vec<u32> {
    let mut s = seed;
    (0..len)
        .map(|_| {
            s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            (((z >> 32) * n as u64) >> 32) as u32
        })
        .collect()
}

/// Updates per second of one thread on its own array of `bytes`, best of
/// `reps` passes over the index stream.
fn rmw_rate(bytes: usize, seed: u64, reps: usize) -> f64 {
    let n = bytes / 4;
    let idx = indices(UPDATES, n, seed);
    let mut acc = vec![0f32; n];
    let mut best = f64::INFINITY;
    for _ in 0..reps {
        let t = Instant::now();
        for &i in &idx {
            acc[i as usize] += 1.0;
        }
        black_box(&mut acc);
        best = best.min(t.elapsed().as_secs_f64());
    }
    UPDATES as f64 / best
}

fn main() {
    // `cargo bench` passes `--bench`; the thread count is the first number.
    let threads: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(2);
    println!(
        "random read-modify-write of f32, {} M updates per pass, best of 5 passes",
        UPDATES >> 20
    );
    println!("| array | 1 thread (M/s) | {threads} threads, per thread (M/s) |");
    println!("|---|---|---|");
    for (name, bytes) in SIZES {
        let one = rmw_rate(bytes, 1, 5);
        let per_thread = std::thread::scope(|s| {
            let hs: Vec<_> = (0..threads)
                .map(|k| s.spawn(move || rmw_rate(bytes, 1 + k as u64, 5)))
                .collect();
            let rates: Vec<f64> = hs.into_iter().map(|h| h.join().expect("worker")).collect();
            rates.iter().sum::<f64>() / threads as f64
        });
        println!("| {name} | {:.0} | {:.0} |", one / 1e6, per_thread / 1e6);
    }
}
