//! How a presynaptic spike updates a run of STDP synapses (one source, one
//! delay): the rules of [`super::stdp`] applied in NEST's order for each
//! synapse, in phases across the run (decision 023).

use super::post_trace::{ExpMemo, PostTrace};
use super::stdp::{Lanes, StdpPairing, WeightRule};
use crate::libm_bits::exp_each;
use volley_engine::dynamics::prefetch;

/// How many synapses ahead a target's history is fetched (its newest
/// entries half as far).
const PREFETCH_AHEAD: usize = 32;

/// Room for [`on_pre_run`], kept between calls (no allocation per spike).
#[derive(Clone, Debug, Default)]
pub struct RunScratch {
    /// Per synapse: the time of its first pair's post spike (from the
    /// history's line), then the exponent of the presynaptic trace's decay
    /// to it (any in range if it has none), then the trace `K` it
    /// facilitates by; whether it has a pair.
    first_arg: Vec<f64>,
    first_k: Vec<f64>,
    paired: Vec<bool>,
    /// Per synapse: `Kminus` after the latest post spike before the pre
    /// spike (0 if none; the nearest rule: 1), its decay's exponent, then
    /// the trace it depresses by.
    kminus: Vec<f64>,
    kminus_arg: Vec<f64>,
    kminus_k: Vec<f64>,
    /// The synapses read by walking their target's history.
    walked: Vec<u32>,
    /// The pairs after the first ones: synapse, exponent, then trace.
    later: Vec<u32>,
    later_arg: Vec<f64>,
    later_k: Vec<f64>,
    /// The weights facilitated by the first pairs.
    facilitated: Vec<f64>,
    lanes: Lanes,
}

/// Any exponent in the range of the inline `exp` (for lanes whose result
/// is not used).
const UNUSED_ARG: f64 = -1.0;

/// One presynaptic spike at `t` through the synapses `weights` of one run
/// (one source, one delay `d`, dendritic) onto `targets` (local neurons,
/// whose histories are `post`), the source's previous spike at `last`
/// having left the presynaptic trace at `kplus`: each weight becomes the
/// new one, which the synapse transmits. The trace and `last` depend on the
/// presynaptic spikes only, so the synapses of one source share them and
/// advance them with [`kplus_after`] once the spike has passed them all.
///
/// Each synapse does what NEST's does, in the same order: facilitate once
/// per post spike it pairs with (`t_last - d < t_post <= t - d`), then
/// depress by the trace at `t - d`. But the synapses of a run are
/// independent, so the work goes in phases across them: every synapse
/// reads its target's history; every exponential is taken at once; every
/// synapse's first facilitation at once (those without a pair keep their
/// weight), then the few later pairs one by one; then every depression at
/// once. Taken at once, `exp` and `pow` run several lanes per vector
/// instruction, each lane's result the scalar one's bits.
#[inline]
pub fn on_pre_run<R: WeightRule>(
    rule: &R,
    weights: &mut [f64],
    targets: &[u32],
    post: &mut [Option<PostTrace>],
    (kplus, last, t, d): (f64, f64, f64, f64),
    s: &mut RunScratch,
) {
    let n = targets.len();
    debug_assert_eq!(weights.len(), n);
    let (tau_plus, pairing) = (rule.tau_plus(), rule.pairing());
    let all_to_all = pairing == StdpPairing::AllToAll;
    for v in [&mut s.first_arg, &mut s.kminus, &mut s.kminus_arg] {
        v.resize(n, 0.0);
    }
    s.paired.resize(n, false);
    s.later.clear();
    s.later_arg.clear();
    // Most synapses pair with their target's newest spike alone, or with
    // none, and find it the latest before `t - d`: the history's line tells
    // it all, and they are read without branches; the others (`walked`)
    // are read again, walking the entries. The targets' histories are
    // scattered: each is asked for `PREFETCH_AHEAD` synapses ahead. The
    // weights are read in later phases, but asked for now (a hint: past
    // the run's end it names no memory that is read).
    s.walked.resize(n, 0);
    let (walked, mut n_walked) = (&mut s.walked[..], 0);
    for &target in targets.iter().take(PREFETCH_AHEAD) {
        prefetch(&post[target as usize]);
    }
    let ahead = weights.as_ptr();
    let each = (s.first_arg.iter_mut().zip(s.paired.iter_mut()))
        .zip(s.kminus.iter_mut().zip(s.kminus_arg.iter_mut()));
    for (j, (&target, ((first_arg, paired), (kminus, kminus_arg)))) in
        targets.iter().zip(each).enumerate()
    {
        if let Some(&next) = targets.get(j + PREFETCH_AHEAD) {
            prefetch(&post[next as usize]);
            prefetch(ahead.wrapping_add(j + PREFETCH_AHEAD));
        }
        let history = post[target as usize]
            .as_mut()
            .expect("an STDP synapse's target keeps a history");
        let newest = history.read_newest(last - d, t - d);
        // The post spike's time for now (its exponent below, all at once).
        *first_arg = newest.t;
        *paired = newest.paired;
        *kminus = if all_to_all { newest.kminus } else { 1.0 };
        *kminus_arg = newest.arg;
        walked[n_walked] = j as u32;
        n_walked += usize::from(!newest.ok);
    }
    for (arg, &paired) in s.first_arg.iter_mut().zip(&s.paired) {
        let exponent = (last - (*arg + d)) / tau_plus;
        *arg = if paired { exponent } else { UNUSED_ARG };
    }
    let walked = &s.walked[..n_walked];
    for (k, &j) in walked.iter().enumerate() {
        if let Some(&ahead) = walked.get(k + PREFETCH_AHEAD / 4) {
            if let Some(p) = &post[targets[ahead as usize] as usize] {
                p.prefetch_newest();
            }
        }
        let j = j as usize;
        let history = post[targets[j] as usize]
            .as_mut()
            .expect("an STDP synapse's target keeps a history");
        let reading = history.read_walk(last - d, t - d);
        let mut args = history
            .times(&reading)
            .map(|t_post| (last - (t_post + d)) / tau_plus);
        (s.first_arg[j], s.paired[j]) = match args.next() {
            Some(arg) => (arg, true),
            None => (UNUSED_ARG, false),
        };
        for arg in args {
            s.later.push(j as u32);
            s.later_arg.push(arg);
        }
        // No spike before: no trace.
        (s.kminus[j], s.kminus_arg[j]) = match history.latest_before(&reading, t - d) {
            Some((kminus, arg)) => (if all_to_all { kminus } else { 1.0 }, arg),
            None => (0.0, UNUSED_ARG),
        };
    }
    // The traces: K+ decayed to each post spike (all-to-all: times the
    // trace; nearest: the last pre spike's 1), K- decayed to t - d.
    let traces = |args: &[f64], ks: &mut Vec<f64>| {
        ks.resize(args.len(), 0.0);
        exp_each(args, ks);
        if all_to_all {
            for k in ks.iter_mut() {
                *k *= kplus;
            }
        }
    };
    traces(&s.first_arg, &mut s.first_k);
    traces(&s.later_arg, &mut s.later_k);
    s.kminus_k.resize(n, 0.0);
    exp_each(&s.kminus_arg, &mut s.kminus_k);
    for (k, &kminus) in s.kminus_k.iter_mut().zip(&s.kminus) {
        *k *= kminus;
    }
    // Facilitation: every synapse by its first pair, then the later pairs
    // in order (a synapse's pairs follow each other in `later`).
    s.facilitated.resize(n, 0.0);
    rule.facilitate_each(weights, &s.first_k, &mut s.facilitated, &mut s.lanes);
    for ((w, &f), &paired) in weights.iter_mut().zip(&s.facilitated).zip(&s.paired) {
        *w = if paired { f } else { *w };
    }
    for (&j, &k) in s.later.iter().zip(&s.later_k) {
        weights[j as usize] = rule.facilitate(weights[j as usize], k);
    }
    rule.depress_each(weights, &s.kminus_k, &mut s.lanes);
}

/// The presynaptic trace `Kplus` just after a spike at `t`, the previous
/// one having been at `last` (the nearest-neighbour rule keeps none).
/// `decay` keeps the last decay asked for.
#[inline]
pub fn kplus_after<R: WeightRule>(
    rule: &R,
    kplus: f64,
    last: f64,
    t: f64,
    decay: &mut ExpMemo,
) -> f64 {
    match rule.pairing() {
        StdpPairing::AllToAll => kplus * decay.exp((last - t) / rule.tau_plus()) + 1.0,
        StdpPairing::NearestSymmetric => kplus,
    }
}

#[cfg(test)]
mod tests {
    use super::super::stdp::{AnyMu, MuOne, Powers, StdpParams, StdpPlParams};
    use super::*;
    use proptest::prelude::*;

    /// The definition, computed eagerly at the synapse: post spikes reach it
    /// `d` after they are fired, pre spikes when they are emitted; at a tie
    /// the post spike counts first (NEST's convention).
    fn eager<R: WeightRule>(
        rule: &R,
        w0: f64,
        pre: &[f64],
        post: &[f64],
        d: f64,
        tau_minus: f64,
    ) -> f64 {
        let mut events: Vec<(f64, bool)> = post.iter().map(|&t| (t + d, false)).collect();
        events.extend(pre.iter().map(|&t| (t, true)));
        events.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let last_pre = pre.last().copied().unwrap_or(f64::NEG_INFINITY);
        let (mut w, mut kplus, mut t_last) = (w0, 0.0f64, 0.0f64);
        let mut seen_post: Vec<f64> = Vec::new();
        for (t, is_pre) in events {
            if t > last_pre {
                break;
            }
            if is_pre {
                let before: Vec<f64> = seen_post
                    .iter()
                    .copied()
                    .filter(|&a| t - a > STDP_EPS_AT_SYNAPSE)
                    .collect();
                let kminus = match rule.pairing() {
                    StdpPairing::AllToAll => {
                        before.iter().map(|&a| (-(t - a) / tau_minus).exp()).sum()
                    }
                    StdpPairing::NearestSymmetric => {
                        before.last().map_or(0.0, |&a| (-(t - a) / tau_minus).exp())
                    }
                };
                w = rule.depress(w, kminus);
                kplus = kplus * (-(t - t_last) / rule.tau_plus()).exp() + 1.0;
                t_last = t;
            } else {
                let k = match rule.pairing() {
                    StdpPairing::AllToAll => kplus * (-(t - t_last) / rule.tau_plus()).exp(),
                    StdpPairing::NearestSymmetric => (-(t - t_last) / rule.tau_plus()).exp(),
                };
                w = rule.facilitate(w, k);
                seen_post.push(t);
            }
        }
        w
    }

    const STDP_EPS_AT_SYNAPSE: f64 = crate::synapse::post_trace::STDP_EPS;

    /// Spike times on a 0.25 ms grid (ties between pre and post happen) or anywhere.
    fn train(max: usize) -> impl Strategy<Value = Vec<f64>> {
        prop::collection::vec(
            prop_oneof![(1u32..800).prop_map(|k| f64::from(k) * 0.25), 0.1f64..200.0],
            0..max,
        )
        .prop_map(|mut v| {
            v.sort_by(f64::total_cmp);
            v.dedup_by(|a, b| (*a - *b).abs() < 0.01);
            v
        })
    }

    /// One lazy update: (weight, Kplus, t_last, t_pre, delay, post trace) -> weight.
    type LazyUpdate<'a> = dyn Fn(&mut f64, &mut f64, &mut f64, f64, f64, &mut [Option<PostTrace>], &mut ExpMemo) -> f64
        + 'a;

    /// A spike at `t` through a synapse that keeps its own trace and last
    /// spike, onto the one neuron of `post`.
    #[allow(clippy::too_many_arguments)]
    fn update<R: WeightRule>(
        rule: &R,
        w: &mut f64,
        kplus: &mut f64,
        last: &mut f64,
        t: f64,
        d: f64,
        post: &mut [Option<PostTrace>],
        memo: &mut ExpMemo,
    ) -> f64 {
        let mut ws = [*w];
        on_pre_run(
            rule,
            &mut ws,
            &[0],
            post,
            (*kplus, *last, t, d),
            &mut RunScratch::default(),
        );
        *w = ws[0];
        *kplus = kplus_after(rule, *kplus, *last, t, memo);
        *last = t;
        *w
    }

    /// One synapse's update as NEST writes it, one operation after the
    /// other: the reference [`on_pre_run`]'s phases must reproduce.
    fn on_pre_alone<R: WeightRule>(
        rule: &R,
        weight: f64,
        (kplus, last, t, d): (f64, f64, f64, f64),
        post: &mut PostTrace,
    ) -> f64 {
        let mut w = weight;
        let reading = post.read(last - d, t - d);
        for t_post in post.times(&reading) {
            let minus_dt = last - (t_post + d);
            let k = match rule.pairing() {
                StdpPairing::AllToAll => kplus * (minus_dt / rule.tau_plus()).exp(),
                StdpPairing::NearestSymmetric => (minus_dt / rule.tau_plus()).exp(),
            };
            w = rule.facilitate(w, k);
        }
        let before = post.latest_before(&reading, t - d);
        let kminus = match (rule.pairing(), before) {
            (_, None) => 0.0,
            (StdpPairing::AllToAll, Some((kminus, arg))) => kminus * arg.exp(),
            (StdpPairing::NearestSymmetric, Some((_, arg))) => arg.exp(),
        };
        rule.depress(w, kminus)
    }

    proptest! {
        /// Several synapses sharing one post neuron, updated lazily in the
        /// engine's call order (post spikes when fired, pre spikes at arrival),
        /// end at the eagerly computed weights, whatever the history pruning did.
        #[test]
        fn lazy_updates_equal_the_eager_definition(
            post in train(60),
            synapses in prop::collection::vec((train(40), prop::sample::select(vec![0.25, 1.0, 1.5, 3.0])), 1..4),
            model in 0usize..4,
            lambda in 0.005f64..0.1,
        ) {
            let tau_minus = 25.0;
            let stdp = |mu: f64, pairing| StdpParams { tau_plus: 15.0, lambda, alpha: 1.1, mu_plus: mu, mu_minus: mu, Wmax: 4.0, pairing };
            let (a, b, c) = (stdp(1.0, StdpPairing::AllToAll), stdp(0.0, StdpPairing::AllToAll), stdp(1.0, StdpPairing::NearestSymmetric));
            let pl = StdpPlParams { tau_plus: 15.0, lambda, alpha: 0.8, mu: 0.4 };
            let rule: &LazyUpdate<'_> = match model {
                0 => &|w, k, t, tp, d, p, m| update(&a, w, k, t, tp, d, p, m),
                1 => &|w, k, t, tp, d, p, m| update(&b, w, k, t, tp, d, p, m),
                2 => &|w, k, t, tp, d, p, m| update(&c, w, k, t, tp, d, p, m),
                _ => &|w, k, t, tp, d, p, m| update(&pl, w, k, t, tp, d, p, m),
            };
            let mut trace = PostTrace::new(tau_minus);
            for (_, d) in &synapses {
                trace.add_incoming(*d);
            }
            let mut traces = [Some(trace)];
            // (call time, pre first at a tie, synapse or post, presynaptic time)
            let mut calls: Vec<(f64, u8, usize, f64)> = post.iter().map(|&t| (t, 1, usize::MAX, t)).collect();
            for (j, (pre, d)) in synapses.iter().enumerate() {
                calls.extend(pre.iter().map(|&t| (t + d, 0, j, t)));
            }
            calls.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
            let mut state = vec![(1.5f64, 0.0f64, 0.0f64); synapses.len()];
            // One memo for all synapses, as in a store.
            let mut memo = ExpMemo::default();
            for (_, _, j, t) in calls {
                if j == usize::MAX {
                    traces[0].as_mut().unwrap().on_spike(t);
                } else {
                    let (w, k, last) = &mut state[j];
                    rule(w, k, last, t, synapses[j].1, &mut traces, &mut memo);
                }
            }
            for (j, (pre, d)) in synapses.iter().enumerate() {
                let want = match model {
                    0 => eager(&a, 1.5, pre, &post, *d, tau_minus),
                    1 => eager(&b, 1.5, pre, &post, *d, tau_minus),
                    2 => eager(&c, 1.5, pre, &post, *d, tau_minus),
                    _ => eager(&pl, 1.5, pre, &post, *d, tau_minus),
                };
                let got = state[j].0;
                // Relative to the weight scale: near 0 the additive rule cancels.
                prop_assert!((got - want).abs() <= 1e-12 * want.abs().max(1.0), "synapse {}: lazy {} eager {}", j, got, want);
            }
        }

        /// A run's synapses, updated in phases across them, get the bits
        /// each would get alone, one operation after the other (and mark the
        /// same spikes read): whatever the rule, the pairs per synapse, a
        /// target shared by several synapses, or a `pow` outside its
        /// inline range.
        #[test]
        fn a_run_updates_each_synapse_as_alone(
            posts in prop::collection::vec(train(12), 1..6),
            synapses in prop::collection::vec((0usize..6, 0.0f64..3.0), 0..40),
            (t, d, last, kplus) in (150.0f64..210.0, prop::sample::select(vec![0.5, 1.5, 3.0]), 100.0f64..150.0, 0.0f64..4.0),
            model in 0usize..5,
            mu in prop::sample::select(vec![0.4, 0.05, 0.7, 1e-30]),
        ) {
            let stdp = |mu_plus: f64, mu_minus: f64, pairing| StdpParams { tau_plus: 15.0, lambda: 0.05, alpha: 1.1, mu_plus, mu_minus, Wmax: 4.0, pairing };
            let any = stdp(mu, 0.3, StdpPairing::AllToAll);
            let (one, near) = (stdp(1.0, 1.0, StdpPairing::AllToAll), stdp(1.0, 1.0, StdpPairing::NearestSymmetric));
            let one = Powers::<MuOne, MuOne>::new(&one);
            let pl = StdpPlParams { tau_plus: 15.0, lambda: 0.05, alpha: 0.8, mu };
            let mut traces: Vec<Option<PostTrace>> = posts.iter().map(|train| {
                let mut p = PostTrace::new(25.0);
                p.add_incoming(d);
                for &t in train {
                    p.on_spike(t);
                }
                Some(p)
            }).collect();
            let targets: Vec<u32> = synapses.iter().map(|&(i, _)| (i % posts.len()) as u32).collect();
            let mut alone = traces.clone();
            let want: Vec<f64> = synapses.iter().zip(&targets).map(|(&(_, w), &i)| {
                let p = alone[i as usize].as_mut().unwrap();
                let at = (kplus, last, t, d);
                match model {
                    0 => on_pre_alone(&any, w, at, p),
                    1 => on_pre_alone(&one, w, at, p),
                    2 => on_pre_alone(&near, w, at, p),
                    3 => on_pre_alone(&pl, w, at, p),
                    _ => on_pre_alone(&Powers::<AnyMu, MuOne>::new(&stdp(mu, 1.0, StdpPairing::AllToAll)), w, at, p),
                }
            }).collect();
            let mut got: Vec<f64> = synapses.iter().map(|&(_, w)| w).collect();
            let mut scratch = RunScratch::default();
            let at = (kplus, last, t, d);
            match model {
                0 => on_pre_run(&any, &mut got, &targets, &mut traces, at, &mut scratch),
                1 => on_pre_run(&one, &mut got, &targets, &mut traces, at, &mut scratch),
                2 => on_pre_run(&near, &mut got, &targets, &mut traces, at, &mut scratch),
                3 => on_pre_run(&pl, &mut got, &targets, &mut traces, at, &mut scratch),
                _ => on_pre_run(&Powers::<AnyMu, MuOne>::new(&stdp(mu, 1.0, StdpPairing::AllToAll)), &mut got, &targets, &mut traces, at, &mut scratch),
            }
            for (j, (g, w)) in got.iter().zip(&want).enumerate() {
                prop_assert_eq!(g.to_bits(), w.to_bits(), "synapse {}: run {} alone {}", j, g, w);
            }
            for (a, b) in traces.iter_mut().zip(alone.iter_mut()) {
                let (mut sa, mut sb) = (Vec::new(), Vec::new());
                a.as_ref().unwrap().save(&mut sa);
                b.as_ref().unwrap().save(&mut sb);
                prop_assert_eq!(sa, sb);
            }
        }
    }
}
