//! Replayed spikes waiting for their window, in buckets of one window (one
//! millisecond until the first window is known).
//!
//! Camera events come nearly in time order (out of order by at most the
//! reorder slack), so queuing one is an append to its bucket
//! and a window takes whole buckets — no per-event heap operation. Spikes
//! leave in no particular order within a window: the partition sorts a
//! window's input spikes once, whatever their source.

use std::collections::VecDeque;
use volley_engine::{Gid, Spike, SyncWindow, Time, TICKS_PER_MS};

/// The shortest window buckets are fitted to (100 µs: the reorder slack
/// ahead then takes at most 500 buckets).
pub const MIN_FITTED_TICKS: u64 = TICKS_PER_MS / 10;

/// Spikes not yet emitted.
#[derive(Default)]
pub struct Pending {
    /// Bucket `j` holds the spikes in `[base + j, base + j + 1)` widths.
    buckets: VecDeque<Vec<Spike>>,
    base: u64,
    /// A bucket's width in ticks (0: not set yet, one millisecond).
    width: u64,
    /// Spikes queued after their time was emitted (injected late).
    late: Vec<Spike>,
    /// Everything before this has been emitted.
    emitted_until: Time,
    /// Emptied buckets, kept for reuse.
    spare: Vec<Vec<Spike>>,
}

impl Pending {
    /// Buckets one window of `ticks` wide, if nothing is queued yet and
    /// windows are at least [`MIN_FITTED_TICKS`] long: a window then takes
    /// whole buckets, never part of one. (Shorter windows keep 1 ms
    /// buckets: the reorder slack ahead would take too many.)
    pub fn fit_windows(&mut self, ticks: u64) {
        let fits = ticks >= MIN_FITTED_TICKS;
        if self.width == 0 && fits && self.buckets.is_empty() && self.late.is_empty() {
            self.width = ticks;
            self.base = self.emitted_until.0 / ticks;
        }
    }

    /// A bucket's width in ticks.
    #[inline(always)]
    fn width(&self) -> u64 {
        if self.width == 0 {
            TICKS_PER_MS
        } else {
            self.width
        }
    }

    /// Start queueing spikes: see [`Filling`].
    pub fn filling(&mut self) -> Filling<'_> {
        Filling {
            pending: self,
            bucket: Vec::new(),
            j: None,
            from: 1,
            until: 0,
        }
    }

    /// Append the spikes before `window.end` to `spikes`; those queued
    /// after their time had passed come at `window.start`. How many of
    /// those there were.
    pub fn emit(&mut self, window: SyncWindow, spikes: &mut Vec<Spike>) -> u64 {
        let late = self.late.len() as u64;
        spikes.extend(
            self.late
                .drain(..)
                .map(|s| Spike::at(window.start, s.source)),
        );
        let width = self.width();
        while let Some(bucket) = self.buckets.front_mut() {
            let bucket_end = Time((self.base + 1) * width);
            if bucket_end <= window.end {
                // A window of whole buckets (one when they fit it) takes the
                // first bucket's buffer instead of a copy of it.
                if spikes.is_empty() {
                    std::mem::swap(spikes, bucket);
                } else {
                    spikes.append(bucket);
                }
                let empty = self.buckets.pop_front().expect("front exists");
                self.spare.push(empty);
                self.base += 1;
            } else {
                if self.base * width < window.end.0 {
                    bucket.retain(|&s| {
                        let due = s.time < window.end;
                        if due {
                            spikes.push(s);
                        }
                        !due
                    });
                }
                break;
            }
        }
        if self.buckets.is_empty() {
            self.base = window.end.0 / width;
        }
        self.emitted_until = window.end;
        late
    }

    /// Whether no spike is queued.
    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.late.is_empty() && self.buckets.iter().all(Vec::is_empty)
    }
}

/// Spikes being queued into a [`Pending`], one after another. The bucket
/// last pushed to is held out of the queue: camera events come nearly in
/// time order, so most spikes land in it at the cost of a range test and a
/// push (looking the bucket up in the queue for each spike cost ~60
/// instructions). The bucket goes back when the next spike needs another
/// one and when this is dropped.
pub struct Filling<'a> {
    pending: &'a mut Pending,
    /// The bucket being filled, taken out of `pending.buckets[j]`.
    bucket: Vec<Spike>,
    j: Option<usize>,
    /// The ticks `[from, until)` that go into `bucket` (none: empty range).
    from: u64,
    until: u64,
}

impl Filling<'_> {
    /// Queue `spike` if `keep`, without branching on `keep` (a replay
    /// keeps the channels of its partition: random ones).
    #[inline(always)]
    pub fn push_if(&mut self, spike: Spike, keep: bool) {
        let t = spike.time.0;
        if t >= self.from && t < self.until {
            push_if(&mut self.bucket, spike, keep);
        } else {
            // The spike's fields, not the spike: passed by reference, it
            // would be built on the stack for both branches and read back
            // whole from narrower stores (a stall at every push).
            self.push_elsewhere((spike.time, spike.source, spike.lag), keep);
        }
    }

    /// Queue all of `spikes` (a dealt chunk: mostly runs in one bucket's
    /// ticks, each appended at once).
    pub fn push_all(&mut self, mut spikes: &[Spike]) {
        while !spikes.is_empty() {
            let (from, until) = (self.from, self.until);
            let run = spikes
                .iter()
                .position(|s| s.time.0 < from || s.time.0 >= until)
                .unwrap_or(spikes.len());
            self.bucket.extend_from_slice(&spikes[..run]);
            if let Some((s, rest)) = spikes[run..].split_first() {
                self.push_elsewhere((s.time, s.source, s.lag), true);
                spikes = rest;
            } else {
                break;
            }
        }
    }

    /// Queue a spike outside the held bucket's ticks: late, or into the
    /// bucket of its time, which is then the one held.
    #[inline(never)]
    fn push_elsewhere(&mut self, (time, source, lag): (Time, Gid, f32), keep: bool) {
        let spike = Spike { time, source, lag };
        self.put_back();
        let p = &mut *self.pending;
        if spike.time < p.emitted_until {
            if keep {
                p.late.push(spike);
            }
            return;
        }
        // Every queued spike is at or after `emitted_until`, so at or after
        // the first bucket's start (with no bucket, `base` is the bucket of
        // `emitted_until`: `emit` keeps it so).
        let (w, t) = (p.width(), spike.time.0);
        let number = t / w;
        let j = (number - p.base) as usize;
        while p.buckets.len() <= j {
            let bucket = p.spare.pop().unwrap_or_default();
            p.buckets.push_back(bucket);
        }
        self.bucket = std::mem::take(&mut p.buckets[j]);
        self.j = Some(j);
        // The first bucket may be partly emitted (1 ms buckets, shorter
        // windows): its earlier spikes would be late.
        self.from = (number * w).max(p.emitted_until.0);
        self.until = (number + 1).saturating_mul(w);
        push_if(&mut self.bucket, spike, keep);
    }

    /// Return the held bucket to its place in the queue.
    fn put_back(&mut self) {
        if let Some(j) = self.j.take() {
            self.pending.buckets[j] = std::mem::take(&mut self.bucket);
            (self.from, self.until) = (1, 0);
        }
    }
}

/// Push `spike` and take it back unless `keep`: no branch on `keep`.
#[inline(always)]
fn push_if(bucket: &mut Vec<Spike>, spike: Spike, keep: bool) {
    bucket.push(spike);
    let len = bucket.len() - usize::from(!keep);
    bucket.truncate(len);
}

impl Drop for Filling<'_> {
    fn drop(&mut self) {
        self.put_back();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn window(start: u64, end: u64) -> SyncWindow {
        SyncWindow {
            index: 0,
            start: Time(start),
            end: Time(end),
        }
    }

    proptest! {
        /// Whatever the order of arrival (within and across windows), each
        /// window emits exactly the queued spikes before its end, the late
        /// ones moved to its start: as a heap ordered by time would. Spikes
        /// not kept are never emitted. Whole batches (`push_all`, the kept
        /// spikes only) queue as spikes one by one do.
        #[test]
        fn windows_take_what_a_sorted_queue_would(
            times in prop::collection::vec((0u64..20 * TICKS_PER_MS, prop::bool::ANY), 0..300),
            window_len in prop_oneof![1u64..3 * TICKS_PER_MS, MIN_FITTED_TICKS..3 * TICKS_PER_MS],
            batch in 1usize..50,
            fit in prop::bool::ANY,
            whole in prop::bool::ANY,
        ) {
            let mut pending = Pending::default();
            if fit {
                pending.fit_windows(window_len);
            }
            let mut reference: Vec<Spike> = Vec::new();
            let mut queued = times
                .iter()
                .enumerate()
                .map(|(k, &(t, keep))| (Spike::at(Time(t), Gid(k as u32)), keep));
            let mut start = 0;
            while start < 25 * TICKS_PER_MS {
                let w = window(start, start + window_len);
                let mut filling = pending.filling();
                let mut kept = Vec::new();
                for (s, keep) in queued.by_ref().take(batch) {
                    if !whole {
                        filling.push_if(s, keep);
                    }
                    if keep {
                        kept.push(s);
                    }
                }
                if whole {
                    filling.push_all(&kept);
                }
                reference.extend(kept);
                drop(filling);
                let mut got = Vec::new();
                let late = pending.emit(w, &mut got);
                // The reference: everything before the end, late ones moved.
                let (mut want, rest): (Vec<Spike>, Vec<Spike>) =
                    reference.iter().partition(|s| s.time < w.end);
                reference = rest;
                let n_late = want.iter().filter(|s| s.time < w.start).count() as u64;
                for s in &mut want {
                    if s.time < w.start {
                        *s = Spike::at(w.start, s.source);
                    }
                }
                got.sort_unstable();
                want.sort_unstable();
                prop_assert_eq!(got, want);
                prop_assert_eq!(late, n_late);
                start += window_len;
            }
            prop_assert!(pending.is_empty());
        }
    }
}
