//! A neuron's spike history as STDP synapses read it (NEST's
//! `ArchivingNode`): the trace `Kminus` (time constant `tau_minus`, a
//! parameter of the neuron) after each spike, kept until every incoming STDP
//! synapse has read the spike.
//!
//! Times are compared with NEST's tolerance of 1e-6 ms, so that a post
//! spike exactly `d` before a pre spike counts as "before" it.

/// NEST's `stdp_eps` (ms).
pub const STDP_EPS: f64 = 1.0e-6;

/// `exp` of the last argument it was asked for, kept: the synapses of one
/// run (one source, one spike) decay their traces over the same interval,
/// and one target's synapses read its trace at the same instant, so most
/// calls repeat the last one. Same argument bits, same result: exact.
#[derive(Clone, Copy, Debug)]
pub struct ExpMemo {
    x: u64,
    y: f64,
}

impl Default for ExpMemo {
    fn default() -> Self {
        ExpMemo {
            x: 0f64.to_bits(),
            y: 1.0,
        }
    }
}

impl ExpMemo {
    /// `x.exp()`.
    #[inline]
    pub fn exp(&mut self, x: f64) -> f64 {
        if x.to_bits() != self.x {
            self.x = x.to_bits();
            self.y = crate::libm_bits::exp(x);
        }
        self.y
    }
}

/// One past spike.
#[derive(Clone, Copy, Debug, Default)]
struct Entry {
    t: f64,
    kminus: f64,
    /// How many incoming STDP synapses have read it (the newest spike's
    /// reads since it was fired are counted in the line, not here).
    reads: u32,
}

/// The spike history of one neuron: one cache line (the synapses of a run
/// read the histories of their targets, scattered in memory, one line
/// each). The line holds a copy of the newest spike, a bound on the one
/// before it and the newest spike's reads, so that a synapse that pairs
/// with no spike or with the newest alone (most do) reads the line and
/// never touches the entries.
#[derive(Clone, Debug)]
#[repr(align(64))]
pub struct PostTrace {
    /// The spikes kept are `entries[head..end]` (forgotten ones are left
    /// at the front until a push needs the room).
    entries: Box<[Entry]>,
    head: u32,
    end: u32,
    /// Number of incoming STDP synapses (0: no history is kept).
    n_incoming: u32,
    /// Reads of the newest spike not yet added to its entry.
    newest_reads: u32,
    tau_minus_inv: f64,
    /// The newest entry's time and trace (before any: -1 ms and 0).
    last_spike: f64,
    last_kminus: f64,
    /// A spike may be forgotten once read by all and followed by one more
    /// than this before the newest (twice the longest incoming delay: a
    /// synapse reads the history when its spike arrives, up to one delay
    /// after NEST would, and looks back one more delay). Rounded up: a
    /// later forgetting changes no reading.
    horizon: f32,
    /// At or after the time of the spike before the newest (-inf if none
    /// is kept): rounded up, so that `previous_bound < t` proves that
    /// spike is before `t`.
    previous_bound: f32,
}

/// What one presynaptic spike reads of a history: the post spikes it pairs
/// with (`range`, indices into the entries) and the latest spike before it.
#[derive(Clone, Debug)]
pub struct Reading {
    range: std::ops::Range<usize>,
    before: Option<usize>,
}

/// What [`PostTrace::read_newest`] found: if `ok`, the read paired with
/// the newest spike (at `t`) alone or with none (`paired`), and the newest
/// is the latest before the read's `t2`: its trace `kminus` and the
/// argument `arg` of its decay to `t2` (as
/// [`latest_before`](PostTrace::latest_before)).
#[derive(Clone, Copy, Debug)]
pub struct NewestRead {
    pub ok: bool,
    pub paired: bool,
    pub t: f64,
    pub kminus: f64,
    pub arg: f64,
}

/// `x` as an `f32` at or above it.
fn f32_at_or_above(x: f64) -> f32 {
    let y = x as f32;
    match f64::from(y) < x {
        // One step up in magnitude from a non-negative y (the next float),
        // down from a negative one (y = -0 cannot be below x: x would be
        // positive and round to +0 or above).
        true if y >= 0.0 => f32::from_bits(y.to_bits() + 1),
        true => f32::from_bits(y.to_bits() - 1),
        false => y,
    }
}

impl PostTrace {
    /// The history of a neuron with trace time constant `tau_minus` (ms).
    pub fn new(tau_minus: f64) -> Self {
        PostTrace {
            entries: Box::default(),
            head: 0,
            end: 0,
            n_incoming: 0,
            newest_reads: 0,
            tau_minus_inv: 1.0 / tau_minus,
            last_spike: -1.0,
            last_kminus: 0.0,
            horizon: 0.0,
            previous_bound: f32::NEG_INFINITY,
        }
    }

    /// Register one more incoming STDP synapse of delay `delay` (ms).
    pub fn add_incoming(&mut self, delay: f64) {
        self.n_incoming += 1;
        self.horizon = self.horizon.max(f32_at_or_above(2.0 * delay));
    }

    /// Spikes kept.
    pub fn len(&self) -> usize {
        (self.end - self.head) as usize
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The spikes kept, the newest's reads added to its entry.
    fn live(&mut self) -> &mut [Entry] {
        let reads = std::mem::take(&mut self.newest_reads);
        let live = &mut self.entries[self.head as usize..self.end as usize];
        if let Some(newest) = live.last_mut() {
            newest.reads += reads;
        }
        live
    }

    /// Its state for a checkpoint: the trace, the last spike and the spikes
    /// kept (time, trace, reads). The synapses it counts are rebuilt.
    pub fn save(&self, out: &mut Vec<u64>) {
        out.extend([self.last_kminus.to_bits(), self.last_spike.to_bits()]);
        let live = &self.entries[self.head as usize..self.end as usize];
        for (i, e) in live.iter().enumerate() {
            let newest = if i + 1 == live.len() {
                self.newest_reads
            } else {
                0
            };
            out.extend([
                e.t.to_bits(),
                e.kminus.to_bits(),
                u64::from(e.reads + newest),
            ]);
        }
    }

    /// Take the state [`save`](Self::save) wrote (`None`: malformed, or a
    /// trace and last spike other than the newest spike's).
    pub fn load(&mut self, words: &[u64]) -> Option<()> {
        let ([kminus, last_spike], words) = (words.first_chunk::<2>()?, &words[2..]);
        if words.len() % 3 != 0 {
            return None;
        }
        let entries = words
            .chunks_exact(3)
            .map(|e| {
                Some(Entry {
                    t: f64::from_bits(e[0]),
                    kminus: f64::from_bits(e[1]),
                    reads: u32::try_from(e[2]).ok()?,
                })
            })
            .collect::<Option<Box<[Entry]>>>()?;
        let end = u32::try_from(entries.len()).ok()?;
        (self.head, self.end, self.newest_reads) = (0, end, 0);
        (self.last_kminus, self.last_spike) =
            entries.last().map_or((0.0, -1.0), |e| (e.kminus, e.t));
        self.previous_bound = match entries.len() {
            0 | 1 => f32::NEG_INFINITY,
            n => f32_at_or_above(entries[n - 2].t),
        };
        self.entries = entries;
        (self.last_kminus.to_bits() == *kminus && self.last_spike.to_bits() == *last_spike)
            .then_some(())
    }

    /// Ask the CPU for the newest spikes (a hint, for a read that walks
    /// the entries: it walks from the back).
    #[inline(always)]
    pub fn prefetch_newest(&self) {
        if self.is_empty() {
            return;
        }
        let newest = self.entries.as_ptr().wrapping_add(self.end as usize - 1);
        volley_engine::dynamics::prefetch(newest);
        volley_engine::dynamics::prefetch(newest.wrapping_sub(2));
    }

    /// The neuron fired at `t` (ms).
    pub fn on_spike(&mut self, t: f64) {
        if self.n_incoming == 0 {
            return;
        }
        let horizon = f64::from(self.horizon) + STDP_EPS;
        let n_incoming = self.n_incoming;
        let live = self.live();
        let forgotten = live
            .windows(2)
            .take_while(|w| w[0].reads >= n_incoming && t - w[1].t > horizon)
            .count();
        self.head += forgotten as u32;
        if self.end as usize == self.entries.len() {
            self.make_room();
        }
        let kminus = self.last_kminus
            * crate::libm_bits::exp((self.last_spike - t) * self.tau_minus_inv)
            + 1.0;
        self.entries[self.end as usize] = Entry {
            t,
            kminus,
            reads: 0,
        };
        self.end += 1;
        self.previous_bound = if self.len() > 1 {
            f32_at_or_above(self.last_spike)
        } else {
            f32::NEG_INFINITY
        };
        (self.last_kminus, self.last_spike) = (kminus, t);
    }

    /// Room for one more entry at the end: the kept ones moved to the
    /// front, into a larger allocation unless they fill at most half.
    #[cold]
    fn make_room(&mut self) {
        let (head, end) = (self.head as usize, self.end as usize);
        let live = end - head;
        if self.entries.is_empty() || 2 * live > self.entries.len() {
            let mut grown = vec![Entry::default(); (2 * self.entries.len()).max(4)];
            grown[..live].copy_from_slice(&self.entries[head..end]);
            self.entries = grown.into_boxed_slice();
        } else {
            self.entries.copy_within(head..end, 0);
        }
        (self.head, self.end) = (0, live as u32);
    }

    /// What a presynaptic spike reads at `t2` after one at `t1`: the spikes
    /// in `(t1, t2]` (with NEST's tolerance), marked as read by one synapse,
    /// and the latest spike strictly before `t2` (by more than the tolerance).
    #[inline(always)]
    pub fn read(&mut self, t1: f64, t2: f64) -> Reading {
        let newest = self.read_newest(t1, t2);
        if newest.ok {
            let end = self.end as usize;
            return Reading {
                range: end - usize::from(newest.paired)..end,
                before: Some(end - 1),
            };
        }
        self.read_walk(t1, t2)
    }

    /// [`read`](Self::read) from the line alone, without branches, for the
    /// reads that pair with no spike or with the newest alone and find the
    /// newest before `t2` (most reads): for those `ok` is set and the read
    /// is done (a pair is counted); for any other, nothing is done and the
    /// rest is meaningless ([`read`](Self::read) does it).
    #[inline(always)]
    pub fn read_newest(&mut self, t1: f64, t2: f64) -> NewestRead {
        let lo = t1 + STDP_EPS;
        let newest_before_t1 = self.last_spike < lo;
        let ok = (self.end > self.head)
            & (t2 - self.last_spike > STDP_EPS)
            & (newest_before_t1 | (f64::from(self.previous_bound) < lo));
        let paired = ok & !newest_before_t1;
        self.newest_reads += u32::from(paired);
        NewestRead {
            ok,
            paired,
            t: self.last_spike,
            kminus: self.last_kminus,
            arg: (self.last_spike - t2) * self.tau_minus_inv,
        }
    }

    /// [`read`](Self::read) by walking the entries (what `read` does when
    /// [`read_newest`](Self::read_newest) cannot answer).
    #[inline(always)]
    pub fn read_walk(&mut self, t1: f64, t2: f64) -> Reading {
        let head = self.head as usize;
        let h = self.live();
        let (lo, hi) = (t1 + STDP_EPS, t2 + STDP_EPS);
        // From the back, as NEST does: the range is nearly always at the end.
        let later = |h: &[Entry], bound: f64| h.iter().rev().take_while(|e| e.t >= bound).count();
        let end = h.len() - later(h, hi);
        let start = end - later(&h[..end], lo);
        for e in &mut h[start..end] {
            e.reads += 1;
        }
        // Spikes past `end` are not before `t2`.
        let before = end
            - h[..end]
                .iter()
                .rev()
                .take_while(|e| t2 - e.t <= STDP_EPS)
                .count();
        Reading {
            range: head + start..head + end,
            before: before.checked_sub(1).map(|b| head + b),
        }
    }

    /// The times of the spikes `reading` pairs with, in order.
    #[inline]
    pub fn times(&self, reading: &Reading) -> impl Iterator<Item = f64> + '_ {
        self.entries[reading.range.clone()].iter().map(|e| e.t)
    }

    /// The latest spike before `t` (the `t2` of `reading`): the trace
    /// `Kminus` just after it, and the argument of its decay to `t`
    /// (`Kminus` at `t` is `kminus * exp(arg)`, NEST's `get_K_value`).
    #[inline]
    pub fn latest_before(&self, reading: &Reading, t: f64) -> Option<(f64, f64)> {
        let e = self.entries[reading.before?];
        Some((e.kminus, (e.t - t) * self.tau_minus_inv))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `(t1, t2]`: the spike times, all-to-all and nearest traces.
    fn read(p: &mut PostTrace, t1: f64, t2: f64) -> (Vec<f64>, f64, f64) {
        let r = p.read(t1, t2);
        let times = p.times(&r).collect();
        let (kminus, decay) = p
            .latest_before(&r, t2)
            .map_or((0.0, 0.0), |(k, arg)| (k, arg.exp()));
        (times, kminus * decay, decay)
    }

    #[test]
    fn traces_sum_decayed_spikes() {
        let mut p = PostTrace::new(20.0);
        p.add_incoming(1.0);
        p.on_spike(10.0);
        p.on_spike(30.0);
        let want = (-40.0f64 / 20.0).exp() + (-20.0f64 / 20.0).exp();
        let (_, k, nearest) = read(&mut p, 0.0, 50.0);
        assert!((k - want).abs() < 1e-15);
        assert_eq!(nearest, (-20.0f64 / 20.0).exp());
        assert_eq!(read(&mut p, 0.0, 30.0).1, (-20.0f64 / 20.0).exp());
        assert_eq!(read(&mut p, 0.0, 10.0).1, 0.0);
        assert_eq!(read(&mut p, 10.0, 30.0).0, vec![30.0]);
        assert_eq!(read(&mut p, 0.0, 30.0).0, vec![10.0, 30.0]);
        // Within the tolerance a spike counts as at `t2`: paired, not before.
        let t2 = 30.0 - 0.5e-6;
        let (times, k, _) = read(&mut p, 10.0, t2);
        assert_eq!(times, vec![30.0]);
        assert!((k - ((10.0 - t2) / 20.0f64).exp()).abs() < 1e-15);
    }

    proptest::proptest! {
        /// Reading from the line's copy of the newest spike finds what the
        /// walk over the entries finds.
        #[test]
        fn the_newest_spikes_copy_reads_as_the_entries(
            spikes in proptest::collection::vec(0u32..400, 0..12),
            (t1, dt) in (0u32..450, 0u32..100),
            off in proptest::sample::select(vec![0.0, 1e-6, -1e-6, 0.5e-6, 2e-6]),
        ) {
            let mut p = PostTrace::new(20.0);
            p.add_incoming(1.5);
            let mut spikes = spikes;
            spikes.sort_unstable();
            spikes.dedup();
            for &k in &spikes {
                p.on_spike(f64::from(k) * 0.1);
            }
            let (t1, t2) = (f64::from(t1) * 0.1 + off, f64::from(t1 + dt) * 0.1);
            let mut q = p.clone();
            let mut r = p.clone();
            let newest = r.read_newest(t1, t2);
            let (a, b) = (p.read(t1, t2), q.read_walk(t1, t2));
            if newest.ok {
                let times: Vec<f64> = q.times(&b).collect();
                proptest::prop_assert_eq!(times, if newest.paired { vec![newest.t] } else { vec![] });
                let (k, x) = q.latest_before(&b, t2).unwrap();
                proptest::prop_assert_eq!((k.to_bits(), x.to_bits()), (newest.kminus.to_bits(), newest.arg.to_bits()));
                let (mut sr, mut sq) = (Vec::new(), Vec::new());
                r.save(&mut sr);
                q.save(&mut sq);
                proptest::prop_assert_eq!(sr, sq);
            }
            proptest::prop_assert_eq!(&a.range, &b.range);
            proptest::prop_assert_eq!(a.before, b.before);
            proptest::prop_assert_eq!(p.latest_before(&a, t2).map(|(k, x)| (k.to_bits(), x.to_bits())), q.latest_before(&b, t2).map(|(k, x)| (k.to_bits(), x.to_bits())));
            let (mut sa, mut sb) = (Vec::new(), Vec::new());
            p.save(&mut sa);
            q.save(&mut sb);
            proptest::prop_assert_eq!(sa, sb);
        }
    }

    proptest::proptest! {
        /// The bounds kept as `f32` are at or above the time they bound,
        /// and the nearest such `f32`.
        #[test]
        fn f32_bounds_are_at_or_above(x in proptest::num::f64::NORMAL | proptest::num::f64::ZERO) {
            let y = f32_at_or_above(x);
            proptest::prop_assume!(y.is_finite());
            proptest::prop_assert!(f64::from(y) >= x);
            let below = if y > 0.0 { f32::from_bits(y.to_bits() - 1) } else { f32::from_bits(y.to_bits() + 1) };
            proptest::prop_assert!(y == 0.0 || f64::from(below) < x, "{x} {y}");
        }
    }

    #[test]
    fn a_history_is_one_cache_line() {
        assert_eq!(std::mem::size_of::<Option<PostTrace>>(), 64);
    }

    #[test]
    fn saved_histories_load_back_and_bad_ones_are_refused() {
        let mut p = PostTrace::new(20.0);
        p.add_incoming(1.0);
        let mut empty = Vec::new();
        p.save(&mut empty);
        p.on_spike(10.0);
        p.on_spike(30.0);
        let mut words = Vec::new();
        p.save(&mut words);
        let mut q = PostTrace::new(20.0);
        q.add_incoming(1.0);
        assert_eq!(q.load(&empty), Some(()));
        assert_eq!(q.load(&words), Some(()));
        assert_eq!(read(&mut q, 0.0, 50.0), read(&mut p, 0.0, 50.0));
        words[0] ^= 1;
        assert_eq!(q.load(&words), None);
        assert_eq!(q.load(&words[..4]), None);
    }

    #[test]
    fn forgets_spikes_read_by_all() {
        let mut p = PostTrace::new(20.0);
        p.add_incoming(1.0);
        for k in 0..100 {
            p.on_spike(f64::from(k) * 10.0);
            p.read(f64::from(k) * 10.0 - 11.0, f64::from(k) * 10.0);
        }
        assert!(p.len() <= 2, "{}", p.len());
    }
}
