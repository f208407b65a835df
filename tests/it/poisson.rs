//! Poisson input: right rate, exponential intervals, independent trains.

use volley_engine::{Gid, Time};
use volley_models::input::poisson_trains;

fn arrivals(seed: u64, rate_hz: f64, targets: u32, t_ms: f64) -> Vec<Vec<f64>> {
    let list: Vec<(u32, Gid)> = (0..targets).map(|i| (i, Gid(i))).collect();
    let delay = Time::from_ms(1.0).unwrap();
    let always = Time::ZERO..Time::NEVER;
    let mut drive = poisson_trains(seed, Gid(targets), (rate_hz, 0.1, delay), always, &list);
    assert_eq!(drive.len(), targets as usize);
    assert_eq!(drive.source(), Gid(targets));
    let end = Time::from_ms(t_ms + 1.0).unwrap();
    (0..targets as usize)
        .map(|k| {
            assert_eq!(drive.target(k), k as u32);
            let mut out = Vec::new();
            while drive.next_arrival(k) < end {
                out.push(drive.next_arrival(k).as_ms() - 1.0);
                let t = drive.next_arrival(k);
                drive.consume_at(k, t);
            }
            out
        })
        .collect()
}

#[test]
fn rate_and_exponential_intervals() {
    let trains = arrivals(42, 1000.0, 2, 100_000.0);
    for t in &trains {
        let isi: Vec<f64> = t.windows(2).map(|w| w[1] - w[0]).collect();
        let n = isi.len() as f64;
        let mean = isi.iter().sum::<f64>() / n;
        let sd = (isi.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
        // 10^5 intervals of mean 1 ms: the sample mean is within 1% (3 sigma = 0.95%).
        assert!((mean - 1.0).abs() < 0.01, "mean interval {mean} ms");
        assert!((sd / mean - 1.0).abs() < 0.02, "CV {}", sd / mean);
        // Kolmogorov–Smirnov against Exp(1 ms): D < 1.63/sqrt(n) (alpha = 1%).
        let mut s = isi.clone();
        s.sort_by(f64::total_cmp);
        let d = s
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                let cdf = 1.0 - (-x).exp();
                (cdf - i as f64 / n)
                    .abs()
                    .max(((i + 1) as f64 / n - cdf).abs())
            })
            .fold(0.0, f64::max);
        assert!(d < 1.63 / n.sqrt(), "KS distance {d}");
    }
}

#[test]
fn trains_are_independent_and_reproducible() {
    let a = arrivals(7, 500.0, 2, 20_000.0);
    let b = arrivals(7, 500.0, 2, 20_000.0);
    assert_eq!(a, b, "same seed, same trains");
    let c = arrivals(8, 500.0, 2, 20_000.0);
    assert_ne!(a, c, "another seed, other trains");
    // Counts of the two targets in 10 ms bins are uncorrelated.
    let bins = |t: &Vec<f64>| {
        let mut h = vec![0.0f64; 2000];
        for &x in t {
            if let Some(b) = h.get_mut((x / 10.0) as usize) {
                *b += 1.0;
            }
        }
        h
    };
    let (x, y) = (bins(&a[0]), bins(&a[1]));
    let m = |v: &Vec<f64>| v.iter().sum::<f64>() / v.len() as f64;
    let (mx, my) = (m(&x), m(&y));
    let cov: f64 = x
        .iter()
        .zip(&y)
        .map(|(p, q)| (p - mx) * (q - my))
        .sum::<f64>();
    let vx: f64 = x.iter().map(|p| (p - mx).powi(2)).sum();
    let vy: f64 = y.iter().map(|q| (q - my).powi(2)).sum();
    let r = cov / (vx * vy).sqrt();
    assert!(r.abs() < 0.1, "correlation {r}");
}

#[test]
fn a_zero_rate_never_fires() {
    for train in arrivals(3, 0.0, 4, 1_000.0) {
        assert!(train.is_empty());
    }
}

/// A Poisson input with `start_ms` / `stop_ms` into a slice: every event is
/// emitted in `[start, stop)` (and arrives one delay later), only the
/// slice's neurons get them, and their number is the rate's (a fixed seed;
/// within 4 standard deviations).
#[test]
fn a_timed_poisson_input_fires_only_while_active() {
    use super::common::write;
    use volley::testing::run_traced;
    let dir = tempfile::tempdir().unwrap();
    let model = "t_sim_ms = 80.0\nseed = 5\n\
[[populations]]\nname = \"E\"\nmodel = \"lif_delta\"\nsize = 100\n\
params = { tau_m = 10.0, C_m = 250.0, t_ref = 2.0, E_L = 0.0, V_reset = 0.0, V_th = 15.0 }\n\
[[inputs]]\nname = \"kick\"\nkind = \"poisson\"\nrate_hz = 2000.0\nweight = 0.01\ndelay_ms = 0.5\n\
targets = \"E[0:50]\"\nstart_ms = 1.0\nstop_ms = 51.0\n";
    let path = write(dir.path(), "timed.toml", model);
    for threads in [1, 2] {
        let run = run_traced(&path, threads, Default::default()).unwrap();
        let events: Vec<_> = run.traces.iter().flat_map(|t| &t.deliveries).collect();
        let (first, last) = (Time::from_ms(1.5).unwrap(), Time::from_ms(51.5).unwrap());
        assert!(events.iter().all(|d| d.time > first && d.time < last));
        assert!(events.iter().all(|d| d.target.0 < 50));
        // 50 neurons x 2 kHz x 50 ms = 5000 expected.
        let n = events.len() as f64;
        assert!((n - 5000.0).abs() < 4.0 * 5000f64.sqrt(), "{n} events");
    }
}

/// An inhomogeneous Poisson input: events only where the rate is positive,
/// and each segment's count within 4.5 sd of its expectation (rate ×
/// duration × targets; the count is Poisson), on 1 and 2 threads, the
/// same events on both.
#[test]
fn inhomogeneous_poisson_counts_follow_the_rate_segments() {
    use super::common::write;
    use volley::testing::run_traced;
    let dir = tempfile::tempdir().unwrap();
    let model = "t_sim_ms = 100.0\nseed = 11\n\
[[populations]]\nname = \"E\"\nmodel = \"lif_delta\"\nsize = 200\n\
params = { tau_m = 10.0, C_m = 250.0, t_ref = 2.0, E_L = 0.0, V_reset = 0.0, V_th = 15.0 }\n\
[[inputs]]\nname = \"ramp\"\nkind = \"inhomogeneous_poisson\"\nrate_times_ms = [10.0, 30.0, 50.0, 70.0]\n\
rate_values_hz = [500.0, 2000.0, 0.0, 1000.0]\nweight = 0.01\ndelay_ms = 1.0\ntargets = \"E[::2]\"\n";
    let path = write(dir.path(), "ramp.toml", model);
    let mut first: Option<Vec<(Time, u32)>> = None;
    for threads in [1, 2] {
        let run = run_traced(&path, threads, Default::default()).unwrap();
        let mut events: Vec<(Time, u32)> = run
            .traces
            .iter()
            .flat_map(|t| &t.deliveries)
            .map(|d| (d.time, d.target.0))
            .collect();
        events.sort_unstable();
        assert!(events.iter().all(|e| e.1 % 2 == 0));
        // Segments in arrival time (emission + 1 ms), rate, duration.
        for (from, to, hz) in [
            (0.0, 11.0, 0.0),
            (11.0, 31.0, 500.0),
            (31.0, 51.0, 2000.0),
            (51.0, 71.0, 0.0),
            (71.0, 100.0, 1000.0),
        ] {
            let (a, b) = (Time::from_ms(from).unwrap(), Time::from_ms(to).unwrap());
            let n = events.iter().filter(|e| e.0 >= a && e.0 < b).count() as f64;
            // 100 targets; the last segment ends at the run's end.
            let expected = 100.0 * hz * (to - from) / 1000.0;
            assert!(
                (n - expected).abs() <= 4.5 * expected.sqrt(),
                "[{from}, {to}) ms at {hz} Hz: {n} events, {expected} expected"
            );
        }
        assert_eq!(
            first.get_or_insert(events.clone()),
            &events,
            "{threads} threads"
        );
    }
}
