//! Criterion micro-benchmarks of the hot paths:
//! event queue (push a spike's deliveries, open a window, pop) at 10^3..10^7
//! pending deliveries, the arrival queue of direct delivery (per arrival),
//! neuron update per input, the membrane decay factor (tables vs libm), spike
//! expansion per synapse, Poisson generation per event, STDP updates per
//! synapse.
//!
//! cargo bench -p volley-models --bench hot_paths

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use volley_engine::{
    ArrivalQueue, Classes, ConnectomeBuilder, Dynamics, EventQueue, Gid, Input, Spike, Time,
};
use volley_models::input::poisson_trains;
use volley_models::neuron::decay::DecayTable;
use volley_models::neuron::lif_delta::LifDeltaParams;
use volley_models::neuron::{NeuronParams, NeuronStore};
use volley_models::synapse::{PlasticStore, StdpPairing, StdpParams, SynapseRule};

const W: Time = Time(1_536_000); // 1.5 ms

fn queue(c: &mut Criterion) {
    let mut g = c.benchmark_group("event_queue");
    for pending in [1_000u32, 10_000, 100_000, 1_000_000, 10_000_000] {
        let n_targets = 10_000u32;
        let per_spike = 1000usize;
        let n_spikes = (pending as usize).div_ceil(per_spike);
        let classes = [volley_engine::SynapseClass {
            weight: 0.1,
            delay: W,
        }];
        let targets: Vec<u32> = (0..per_spike as u32)
            .map(|k| (k * 7919) % n_targets)
            .collect();
        let cls = vec![0u16; per_spike];
        g.throughput(Throughput::Elements((n_spikes * per_spike) as u64));
        g.bench_with_input(
            BenchmarkId::new("push_open_pop", pending),
            &pending,
            |b, _| {
                let mut q = EventQueue::new(n_targets, W, W, &classes);
                let mut k = 0u64;
                b.iter(|| {
                    // Spikes of window k land in window k+1, which then opens and is drained.
                    for s in 0..n_spikes {
                        let t = Time(k * W.0 + s as u64);
                        q.push_run(Spike::at(t, Gid(s as u32)), &targets, &cls[..]);
                    }
                    k += 1;
                    q.open(k);
                    let mut sum = 0.0;
                    for i in 0..n_targets {
                        while let Some(d) = q.pop(i) {
                            sum += d.weight;
                        }
                    }
                    black_box(sum)
                });
            },
        );
    }
    g.finish();
}

fn arrival_queue(c: &mut Criterion) {
    // Brunel scale 1: ~600 arrivals per 1.5 ms window.
    let mut g = c.benchmark_group("arrival_queue");
    let n = 600u32;
    g.throughput(Throughput::Elements(u64::from(n)));
    let mut q = ArrivalQueue::new(W, W);
    let mut k = 0u64;
    g.bench_function("push_open_groups_600", |b| {
        b.iter(|| {
            for s in 0..n {
                // Sources fire in gid order, times scattered over the window.
                let t = Time(k * W.0 + u64::from((s * 7919) % 1500) * 1024);
                q.push(Spike::at(t, Gid(s)), W, u64::from(s) * 1250, 1250, 0);
            }
            k += 1;
            q.open(k);
            let mut m = 0;
            while let Some(r) = q.next_group(Time::NEVER) {
                m += r.len();
            }
            black_box(m)
        })
    });
    g.finish();
}

fn decay(c: &mut Criterion) {
    let table = DecayTable::new(20.0);
    let mut g = c.benchmark_group("decay");
    g.throughput(Throughput::Elements(1));
    let mut n = 0u64;
    g.bench_function("expm1_table", |b| {
        b.iter(|| {
            n = (n + 16_411) & ((1 << 24) - 1);
            black_box(table.expm1_neg(n))
        })
    });
    g.bench_function("expm1_libm", |b| {
        b.iter(|| {
            n = (n + 16_411) & ((1 << 24) - 1);
            black_box((-(n as f64 / 1_024_000.0) / 20.0).exp_m1())
        })
    });
    g.finish();
}

fn neuron_update(c: &mut Criterion) {
    let mut store = NeuronStore::default();
    let p = store.add_params(&NeuronParams::LifDelta(LifDeltaParams {
        tau_m: 20.0,
        C_m: 1.0,
        t_ref: 2.0,
        E_L: 0.0,
        V_reset: 0.0,
        V_th: 20.0,
        I_e: 0.0,
        V_m: None,
        V_min: None,
        tau_minus: None,
    }));
    let n = 10_000u32;
    for _ in 0..n {
        store.push(p, 10.0);
    }
    for i in 0..n {
        store.start(i, Time::ZERO);
    }
    let mut g = c.benchmark_group("neuron");
    g.throughput(Throughput::Elements(1));
    let mut t = 0u64;
    let mut i = 0u32;
    g.bench_function("lif_delta_on_input", |b| {
        b.iter(|| {
            t += 3_001;
            i = (i + 7919) % n;
            black_box(store.on_input(i, Time(t), 0.0, Input::single(0.1)))
        })
    });
    // The same input through the plain path (what direct delivery uses for
    // stores that never forecast, such as this one).
    assert!(store.is_plain());
    g.bench_function("lif_delta_plain_input", |b| {
        b.iter(|| {
            t += 3_001;
            i = (i + 7919) % n;
            black_box(store.plain_input(i, Time(t), 0.1))
        })
    });
    g.finish();
}

fn expansion(c: &mut Criterion) {
    let n = 10_000u32;
    let mut b = ConnectomeBuilder::new(n, n);
    let class = b.class(0.1, W).unwrap();
    for s in 0..n {
        for k in 0..1000u32 {
            b.add_with_class(Gid(s), (s * 31 + k * 7919) % n, class);
        }
    }
    let conn = b.build();
    let mut g = c.benchmark_group("spike_expansion");
    g.throughput(Throughput::Elements(1000));
    let mut q = EventQueue::new(n, W, W, conn.classes());
    let mut s = 0u32;
    let mut k = 0u64;
    g.bench_function("per_synapse_1000_out", |bch| {
        bch.iter(|| {
            s = (s + 1) % n;
            if s == 0 {
                // Keep the bucket from growing without bound.
                k += 1;
                q.open(k);
            }
            let spike = Spike::at(Time(k * W.0), Gid(s));
            match conn.synapses_raw(Gid(s)) {
                (targets, Classes::Narrow(c)) => q.push_run(spike, targets, c),
                (targets, Classes::Wide(c)) => q.push_run(spike, targets, c),
            }
        })
    });
    g.finish();
}

fn poisson(c: &mut Criterion) {
    let targets: Vec<(u32, Gid)> = (0..1000u32).map(|i| (i, Gid(i))).collect();
    let always = Time::ZERO..Time::NEVER;
    let mut drive = poisson_trains(1, Gid(5000), (20_000.0, 0.1, W), always, &targets);
    let mut g = c.benchmark_group("poisson");
    g.throughput(Throughput::Elements(1));
    let mut k = 0usize;
    g.bench_function("next_event", |b| {
        b.iter(|| {
            k = (k + 1) % 1000;
            let t = drive.next_arrival(k);
            black_box(drive.consume_at(k, t))
        })
    });
    g.finish();
}

/// One presynaptic spike through a run of 500 STDP synapses (multiplicative,
/// nearest-neighbour and all-to-all) onto random targets among 10 000, in a
/// network of 10 000 sources firing, like their targets, at 24 Hz (the E->E
/// projection of `stdp_brunel` with `stdp_nn_symm`): 5 M synapses, so the
/// weights stream from memory as in a run.
fn stdp(c: &mut Criterion) {
    use volley_engine::Plasticity;
    let (n, per_run, rate_hz) = (10_000u32, 500u32, 24.0);
    let mut g = c.benchmark_group("stdp");
    g.throughput(Throughput::Elements(u64::from(per_run)));
    for (name, pairing) in [
        ("nn_symm_per_synapse_500", StdpPairing::NearestSymmetric),
        ("all_to_all_per_synapse_500", StdpPairing::AllToAll),
    ] {
        let rule = StdpParams {
            tau_plus: 15.0,
            lambda: 0.01,
            alpha: 1.0,
            mu_plus: 1.0,
            mu_minus: 1.0,
            Wmax: 0.2,
            pairing,
        };
        let mut store = PlasticStore::new(vec![SynapseRule::Stdp(rule)], n, (n * per_run) as usize);
        let mut targets = Vec::with_capacity((n * per_run) as usize);
        let mut x = 0x9E37_79B9u64;
        let mut random = move |m: u32| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % u64::from(m)) as u32
        };
        for _ in 0..n {
            let mut run: Vec<u32> = (0..per_run).map(|_| random(n)).collect();
            run.sort_unstable();
            for (k, &t) in run.iter().enumerate() {
                store.push(0, t, 0.1, 1.5, 20.0, k == 0);
            }
            targets.extend(run);
        }
        // Pre and post spikes alternate at the network's rate: one of each
        // per 1 / (n rate) seconds.
        let dt_ms = 1000.0 / (f64::from(n) * rate_hz);
        let mut t = 0.0;
        g.bench_function(name, |b| {
            b.iter(|| {
                t += dt_ms;
                store.on_post(random(n), t - 0.3 * dt_ms);
                let s = random(n);
                let first = s * per_run;
                let run = &targets[first as usize..(first + per_run) as usize];
                black_box(store.on_pre(first, run, t, 1.5)[0])
            })
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    queue,
    arrival_queue,
    neuron_update,
    decay,
    expansion,
    poisson,
    stdp
);
criterion_main!(benches);
