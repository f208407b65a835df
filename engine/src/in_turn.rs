//! Short windows: the partitions worked in turn on the calling thread
//! instead of one worker thread each.
//!
//! Why: handing a window's spikes between worker threads costs several µs
//! (a channel message to every other worker and a wait for theirs) whatever
//! the window holds. A network whose shortest delay is tiny — an imported
//! NIR graph's delays of one step give windows of 1 µs — has windows of
//! far less work than that, and its threads spend the run waiting for each
//! other. Worked in turn, the same partitions go through the same windows
//! and the same three steps (update, exchange, enqueue; the received spikes
//! are sorted before they are queued, so who sends first does not matter),
//! so the results are the same, bit for bit; only the threads differ.
//!
//! Which way a run goes is chosen by timing, call by call
//! (`WorkerChoice`), unless forced ([`Workers`]).

use crate::dynamics::Dynamics;
use crate::observer::Observer;
use crate::partition::Partition;
use crate::plasticity::Plasticity;
use crate::spike::Spike;
use crate::window::SyncWindow;
use std::time::Duration;

/// How a simulation of several partitions works its windows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Workers {
    /// One thread per partition while windows are long enough for threads
    /// to pay, in turn on the calling thread while they are not (the
    /// default).
    #[default]
    Auto,
    /// Always one thread per partition.
    Threads,
    /// Always in turn on the calling thread.
    InTurn,
}

/// From this wall time per window on threads, threads surely pay (it is
/// several times what the exchange between two workers costs a window,
/// decision 016), and turns are not tried.
const THREADS_SURELY_PAY: Duration = Duration::from_micros(200);

/// A `run` call of fewer windows says too little to judge by.
const JUDGED_FROM: u64 = 64;

/// Windows a call works alone to try a way not yet timed.
pub(crate) const PROBE_WINDOWS: u64 = JUDGED_FROM;

/// Windows after which both ways are timed again (activity changes).
const RETRY_AFTER: u64 = 100_000;

/// The choice between threads and turns, by timing: threads are timed
/// first; where a window took less than [`THREADS_SURELY_PAY`] on them,
/// turns are timed too, and the faster way is kept until the next trial.
#[derive(Clone, Debug, Default)]
pub(crate) struct WorkerChoice {
    forced: Workers,
    /// The partitions exchange no spike: threads never wait for each other,
    /// so turns, which save only the exchange, cannot beat them and are not
    /// tried.
    apart: bool,
    /// The first call has been worked. Its windows carry the run's start-up
    /// (a replay reads its reorder slack ahead, memory is touched for the
    /// first time), so it says little of the way it was worked: not judged.
    started: bool,
    /// Wall time per window on threads and in turn, as last timed.
    threads: Option<Duration>,
    turns: Option<Duration>,
    since_trial: u64,
    windows_in_turn: u64,
}

impl WorkerChoice {
    /// The choice for partitions that exchange spikes, or none (`apart`).
    pub(crate) fn new(apart: bool) -> Self {
        WorkerChoice {
            apart,
            ..WorkerChoice::default()
        }
    }

    /// Whether the partitions exchange no spike.
    pub(crate) fn apart(&self) -> bool {
        self.apart
    }

    /// Force a way (or let timing choose again).
    pub(crate) fn set(&mut self, workers: Workers) {
        self.forced = workers;
        (self.threads, self.turns, self.since_trial) = (None, None, 0);
    }

    /// Whether the next call works its windows in turn.
    pub(crate) fn in_turn(&self) -> bool {
        match (self.forced, self.threads, self.turns) {
            (Workers::Threads, ..) => false,
            (Workers::InTurn, ..) => true,
            (Workers::Auto, ..) if self.apart => false,
            (Workers::Auto, Some(t), Some(i)) => i < t,
            (Workers::Auto, ..) => self.turns_untried(),
        }
    }

    /// Whether the next call tries a way not yet timed (then it works
    /// [`PROBE_WINDOWS`] windows alone first).
    pub(crate) fn trying(&self) -> bool {
        self.forced == Workers::Auto
            && !self.apart
            && (self.threads.is_none() || self.turns_untried())
    }

    /// Threads are timed, short enough a window for turns to be worth a
    /// try, and turns are not timed yet.
    fn turns_untried(&self) -> bool {
        matches!((self.threads, self.turns), (Some(t), None) if t < THREADS_SURELY_PAY)
    }

    /// Windows worked in turn so far.
    pub(crate) fn windows_in_turn(&self) -> u64 {
        self.windows_in_turn
    }

    /// A call worked `windows` windows the way [`in_turn`](Self::in_turn)
    /// said, in `elapsed`.
    pub(crate) fn record(&mut self, in_turn: bool, windows: u64, elapsed: Duration) {
        if in_turn {
            self.windows_in_turn += windows;
        }
        let first = !std::mem::replace(&mut self.started, true);
        if first || self.forced != Workers::Auto || windows < JUDGED_FROM {
            return;
        }
        let per_window = elapsed / windows.min(u64::from(u32::MAX)) as u32;
        *(if in_turn {
            &mut self.turns
        } else {
            &mut self.threads
        }) = Some(per_window);
        self.since_trial += windows;
        if self.since_trial >= RETRY_AFTER {
            (self.threads, self.turns, self.since_trial) = (None, None, 0);
        }
    }
}

/// Work `windows` on every partition in turn: each window's update for all,
/// then (for a complete window) every outbox handed to its partition, then
/// every partition's enqueue — the workers' protocol without the threads.
pub(crate) fn run_in_turn<D: Dynamics, P: Plasticity, O: Observer>(
    partitions: &mut [Partition<D, P, O>],
    windows: impl Iterator<Item = (SyncWindow, bool)>,
) {
    let n = partitions.len();
    let mut inboxes: Vec<Vec<Spike>> = vec![Vec::new(); n];
    for (w, complete) in windows {
        for p in partitions.iter_mut() {
            p.update(w);
        }
        if !complete {
            continue;
        }
        for p in partitions.iter_mut() {
            let me = p.index();
            for (q, inbox) in inboxes.iter_mut().enumerate() {
                if q != me {
                    inbox.append(p.outbox_mut(q));
                }
            }
        }
        for (p, inbox) in partitions.iter_mut().zip(&mut inboxes) {
            p.enqueue(inbox, w.end);
            inbox.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn threads_are_timed_first_then_turns_and_the_faster_is_kept() {
        let mut c = WorkerChoice::default();
        assert!(c.trying() && !c.in_turn());
        c.record(false, 1000, 500 * MS);
        assert!(c.trying() && !c.in_turn(), "the first call is not judged");
        c.record(false, 1000, 20 * MS);
        assert!(c.trying() && c.in_turn(), "20 µs a window: turns are tried");
        c.record(true, 1000, MS);
        assert!(!c.trying() && c.in_turn(), "1 µs a window in turn");
        c.record(true, RETRY_AFTER - 2000, MS);
        assert!(c.trying() && !c.in_turn(), "timed again");
        c.record(false, 1000, 20 * MS);
        c.record(true, 1000, 30 * MS);
        assert!(!c.trying() && !c.in_turn(), "threads faster");
        assert_eq!(c.windows_in_turn(), RETRY_AFTER);
    }

    #[test]
    fn long_windows_few_windows_or_a_forced_way_need_no_trial() {
        let mut c = WorkerChoice::default();
        c.record(false, 1000, Duration::ZERO);
        c.record(false, 1000, 1000 * MS);
        assert!(!c.trying() && !c.in_turn(), "1 ms a window: threads pay");
        let mut c = WorkerChoice::default();
        c.record(false, 1000, Duration::ZERO);
        c.record(false, JUDGED_FROM - 1, Duration::ZERO);
        assert!(c.trying());
        c.set(Workers::InTurn);
        assert!(!c.trying() && c.in_turn());
        c.set(Workers::Threads);
        c.record(false, 1000, Duration::ZERO);
        assert!(!c.trying() && !c.in_turn());
    }

    #[test]
    fn partitions_that_exchange_nothing_stay_on_threads_unless_forced() {
        let mut c = WorkerChoice::new(true);
        assert!(!c.trying() && !c.in_turn());
        c.record(false, 1000, 20 * MS);
        assert!(!c.trying() && !c.in_turn(), "20 µs a window: still threads");
        c.set(Workers::InTurn);
        assert!(c.in_turn(), "forced");
    }
}
