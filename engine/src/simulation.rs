//! The simulation loop: windows of three steps — update, exchange, enqueue —
//! run by one worker thread per partition.
//!
//! Windows lie on a fixed grid, window `k` = `[kW, (k+1)W)`, whatever the
//! `until` of each `run` call: a call that stops inside a window leaves it
//! open, and the next call finishes it, so chunked runs give the same
//! results as one long run.
//!
//! Inside a window `[T, T+W)` every worker advances its own partition with no
//! communication at all: `W` is at most the shortest delay of any synapse
//! that crosses partitions, so nothing emitted inside the window can be due
//! inside it elsewhere. At `T+W` each worker sends every other worker the
//! spikes it needs (possibly none) over a crossbeam channel, collects one
//! message from each, sorts them by `(time, source)` and expands them into
//! its queue. Receiving from every other worker is the barrier.
//!
//! Pipelined exchange ([`Timing::pipelined`]): when every delay is at
//! least two windows, a spike emitted in window `k` cannot be due before
//! window `k + 2`, so a worker may run window `k + 1` before it has the
//! other workers' spikes of window `k`: it sends its window-`k` spikes, runs
//! window `k + 1`, and only then collects and expands the window-`k` spikes
//! (its own with them, in the same sorted order as without pipelining). A
//! worker then waits only when another is more than a window behind, which
//! absorbs the uneven speed of shared cores. Results are identical.
//!
//! Partitions none of whose neurons has a target in another (a camera's
//! retina that projects nowhere, networks split along their own seams)
//! exchange nothing: their workers go through the windows without meeting,
//! each queueing its own spikes at its windows' ends, as a lone partition
//! does. A replay's reader still keeps them within a few chunks of each
//! other (`decode_ahead.rs` in the models).
//!
//! Windows too short for threads to pay (less work than the exchange
//! between threads costs) are worked in turn on the calling thread
//! (`in_turn.rs`), with the same results.

use crate::checkpoint::EngineState;
use crate::dynamics::Dynamics;
use crate::in_turn::{run_in_turn, WorkerChoice, Workers, PROBE_WINDOWS};
use crate::observer::{NoObserver, Observer};
use crate::partition::{Counters, Partition};
use crate::plasticity::{NoPlasticity, Plasticity};
use crate::spike::Spike;
use crate::time::Time;
use crate::window::{SyncWindow, Timing};
use crossbeam::channel::{unbounded, Receiver, Sender};

/// A network ready to run, split into partitions.
pub struct Simulation<D: Dynamics, P: Plasticity = NoPlasticity, O: Observer = NoObserver> {
    partitions: Vec<Partition<D, P, O>>,
    timing: Timing,
    now: Time,
    workers: WorkerChoice,
}

/// One worker's spikes for another, for one window.
struct Message {
    window: u64,
    spikes: Vec<Spike>,
}

impl Message {
    /// The window of the message a panicking worker leaves (`PanicAlarm`).
    const PEER_GONE: u64 = u64::MAX;
}

impl<D: Dynamics, P: Plasticity> Simulation<D, P, NoObserver> {
    /// A simulation of `partitions` (one worker thread each), all built
    /// for the same [`Timing`].
    pub fn new(partitions: Vec<Partition<D, P>>) -> Self {
        assert!(!partitions.is_empty(), "at least one partition");
        let timing = partitions[0].timing();
        assert!(timing.window.0 > 0, "window length must be positive");
        assert!(
            partitions.iter().all(|p| p.timing() == timing),
            "partitions built for different timings"
        );
        let apart = partitions.iter().all(|p| !p.sends_to_others());
        Simulation {
            partitions,
            timing,
            now: Time::ZERO,
            workers: WorkerChoice::new(apart),
        }
    }
}

impl<D: Dynamics + Send, P: Plasticity, O: Observer> Simulation<D, P, O> {
    /// Attach one observer per partition, made by `make(partition index)`.
    pub fn observe<O2: Observer>(self, mut make: impl FnMut(usize) -> O2) -> Simulation<D, P, O2> {
        Simulation {
            partitions: self
                .partitions
                .into_iter()
                .enumerate()
                .map(|(i, p)| p.with_observer(make(i)))
                .collect(),
            timing: self.timing,
            now: self.now,
            workers: self.workers,
        }
    }

    /// The observers, one per partition.
    pub fn into_observers(self) -> Vec<O> {
        self.partitions
            .into_iter()
            .map(Partition::into_observer)
            .collect()
    }

    /// Simulated time reached so far.
    pub fn now(&self) -> Time {
        self.now
    }

    /// The window length.
    pub fn window_len(&self) -> Time {
        self.timing.window
    }

    /// The run's windows.
    pub fn timing(&self) -> Timing {
        self.timing
    }

    /// Number of partitions (= worker threads).
    pub fn partitions(&self) -> usize {
        self.partitions.len()
    }

    /// Choose how several partitions work their windows (default
    /// [`Workers::Auto`]); the results are the same whichever.
    pub fn set_workers(&mut self, workers: Workers) {
        self.workers.set(workers);
    }

    /// Windows worked in turn on one thread so far (see [`Workers`]).
    pub fn windows_in_turn(&self) -> u64 {
        self.workers.windows_in_turn()
    }

    /// The partitions.
    pub fn partitions_mut(&mut self) -> &mut [Partition<D, P, O>] {
        &mut self.partitions
    }

    /// Event counts so far, summed over partitions.
    pub fn counters(&self) -> Counters {
        let mut c = Counters::default();
        for p in &self.partitions {
            c += p.counters();
        }
        c
    }

    /// `Some(message)` if a window overflowed its spike buffer (see
    /// [`Counters::storm_spikes`]): the run's results are incomplete from
    /// then on, and it must stop.
    pub fn spike_storm(&self) -> Option<String> {
        let c = self.counters();
        (c.storm_spikes > 0).then(|| {
            format!(
                "a spike storm: more than {} spikes in one {} ms window on one thread, \
                 before {} ms ({} spikes dropped). Neurons fire again as soon as their \
                 refractory period ends: check `t_ref`, `I_e`, `V_th` and the weights",
                crate::MAX_SPIKES_PER_WINDOW,
                self.window_len().as_ms(),
                self.now().as_ms(),
                c.storm_spikes
            )
        })
    }

    /// Keep what a checkpoint needs to list the spikes in flight at a
    /// window edge ([`save_state`](Self::save_state)). Before the run (or
    /// right after [`load_state`](Self::load_state)); again, it does nothing.
    pub fn keep_spikes_in_flight(&mut self) {
        // The longest delay of the whole network, not of the partitions
        // held here: another process may hold a longer one.
        let span = self.timing.horizon;
        for p in &mut self.partitions {
            p.keep_in_flight(span);
        }
    }

    /// The state of the partitions held here at [`now`](Self::now), which
    /// must be a multiple of [`Timing::shared_edges`] (see [`EngineState`]; a distributed run merges
    /// its processes' parts with [`EngineState::merge`]).
    pub fn save_state(&self) -> Result<EngineState, String> {
        let at = self.now;
        let grid = self.timing.shared_edges;
        if at.0 % grid.0 != 0 {
            return Err(format!(
                "{} ms is not a time every split of the network has a window edge at \
                 (multiples of {} ms): a checkpoint there would not load on other thread counts",
                at.as_ms(),
                grid.as_ms()
            ));
        }
        let mut state = EngineState {
            at,
            ..EngineState::default()
        };
        for p in &self.partitions {
            p.save_into(at, &mut state)?;
        }
        state.sort();
        Ok(state)
    }

    /// Continue from `state` (saved by a simulation of the same network,
    /// split in any way): this one must not have run yet.
    pub fn load_state(&mut self, state: &EngineState) -> Result<(), String> {
        if self.now != Time::ZERO {
            return Err("a state loads only into a simulation that has not run".into());
        }
        if state.at.0 % self.timing.window.0 != 0 {
            let w = self.timing.window.as_ms();
            let m = format!(
                "{} ms is not an edge of this network's {w} ms windows",
                state.at.as_ms()
            );
            return Err(m);
        }
        state.check()?;
        for p in &mut self.partitions {
            p.load_from(state)?;
        }
        self.now = state.at;
        Ok(())
    }

    /// All recorded spikes so far (taken out of the recorders), sorted by
    /// `(time, gid)`.
    pub fn take_spikes(&mut self) -> Vec<Spike> {
        let mut all: Vec<Spike> = Vec::new();
        for p in &mut self.partitions {
            all.extend(p.recorder_mut().take_sorted());
        }
        all.sort_unstable();
        all
    }

    /// The (parts of) grid windows from `now` to `until`, and whether each
    /// completes its grid window.
    fn windows(&self, until: Time) -> Windows {
        Windows {
            len: self.timing.window.0,
            start: self.now,
            until,
        }
    }

    /// Advance to `until`: every event before `until` is processed, none at
    /// or after it.
    pub fn run(&mut self, until: Time) {
        // A way of working not yet timed is tried on a few windows first.
        while self.partitions.len() > 1 && self.workers.trying() {
            let probe = self
                .now
                .saturating_add(Time(self.timing.window.0.saturating_mul(PROBE_WINDOWS)));
            if probe >= until {
                break;
            }
            self.run_windows(probe);
        }
        self.run_windows(until);
    }

    /// [`run`](Self::run), the way the worker choice says.
    fn run_windows(&mut self, until: Time) {
        if until <= self.now {
            return;
        }
        let windows = self.windows(until);
        if let [p] = self.partitions.as_mut_slice() {
            work_alone(p, windows);
        } else {
            let began = std::time::Instant::now();
            let in_turn = self.workers.in_turn();
            if in_turn {
                run_in_turn(&mut self.partitions, windows);
            } else {
                let apart = self.workers.apart();
                run_workers(&mut self.partitions, windows, self.timing.pipelined, apart);
            }
            self.workers
                .record(in_turn, windows.count() as u64, began.elapsed());
        }
        self.now = until;
    }
}

/// What crosses processes in a distributed run, for one complete window:
/// per local partition, its outboxes indexed by global partition (spikes
/// for local partitions included). The exchange returns, per local
/// partition, every spike any other partition sent it.
pub type Outboxes = Vec<Vec<Vec<Spike>>>;

impl<D: Dynamics + Send, P: Plasticity, O: Observer + Send> Simulation<D, P, O> {
    /// Advance to `until` when other processes hold the other partitions
    /// (e.g. MPI ranks; these partitions are a contiguous range of all of
    /// them). Every complete window ends with `exchange(window index,
    /// outboxes)`, which must return each local partition's received spikes
    /// (see [`Outboxes`]); every process must make the same calls. The local
    /// partitions advance on one scoped thread each. Same protocol, same
    /// results as [`run`](Self::run) on one process: only the transport
    /// differs.
    pub fn run_exchanging(
        &mut self,
        until: Time,
        exchange: &mut dyn FnMut(u64, Outboxes) -> Vec<Vec<Spike>>,
    ) {
        if until <= self.now {
            return;
        }
        for (w, complete) in self.windows(until) {
            on_each(&mut self.partitions, |p| p.update(w));
            if !complete {
                continue;
            }
            let outboxes: Outboxes = self
                .partitions
                .iter_mut()
                .map(|p| {
                    let n = p.n_partitions();
                    (0..n).map(|q| std::mem::take(p.outbox_mut(q))).collect()
                })
                .collect();
            let inboxes = exchange(w.index, outboxes);
            assert_eq!(
                inboxes.len(),
                self.partitions.len(),
                "one inbox per local partition"
            );
            let mut jobs: Vec<_> = self.partitions.iter_mut().zip(inboxes).collect();
            on_each(&mut jobs, |(p, inbox)| p.enqueue(inbox, w.end));
        }
        self.now = until;
    }
}

/// `f` on every item, each on its own scoped thread (inline for one).
fn on_each<T: Send>(items: &mut [T], f: impl Fn(&mut T) + Sync) {
    if let [one] = items {
        f(one);
        return;
    }
    std::thread::scope(|scope| {
        for item in items.iter_mut() {
            let f = &f;
            scope.spawn(move || f(item));
        }
    });
}

/// The (parts of) grid windows from `start` to `until`, each with whether it
/// completes its grid window; produced one at a time (a long run has more
/// windows than memory could list).
#[derive(Clone, Copy, Debug)]
struct Windows {
    len: u64,
    start: Time,
    until: Time,
}

impl Iterator for Windows {
    type Item = (SyncWindow, bool);

    fn next(&mut self) -> Option<(SyncWindow, bool)> {
        if self.start >= self.until {
            return None;
        }
        let index = self.start.0 / self.len;
        let grid_end = Time((index + 1).saturating_mul(self.len));
        let end = grid_end.min(self.until);
        let w = SyncWindow {
            index,
            start: self.start,
            end,
        };
        self.start = end;
        Some((w, end == grid_end))
    }
}

/// Run each partition on its own scoped thread through `windows`; `apart`:
/// no partition sends another a spike.
fn run_workers<D: Dynamics + Send, P: Plasticity, O: Observer>(
    partitions: &mut [Partition<D, P, O>],
    windows: Windows,
    pipelined: bool,
    apart: bool,
) {
    if apart {
        // Nothing to exchange: no worker waits for another at window edges.
        on_each(partitions, |p| work_alone(p, windows));
        return;
    }
    let n = partitions.len();
    let (senders, receivers): (Vec<Sender<Message>>, Vec<Receiver<Message>>) =
        (0..n).map(|_| unbounded()).unzip();
    std::thread::scope(|scope| {
        for (p, rx) in partitions.iter_mut().zip(receivers) {
            let senders = senders.clone();
            scope.spawn(move || {
                let _alarm = PanicAlarm(senders.clone());
                let mut link = Link {
                    me: p.index(),
                    rx,
                    to: senders,
                    early: Vec::new(),
                    inbox: Vec::new(),
                };
                if pipelined {
                    worker_pipelined(p, &mut link, windows);
                } else {
                    worker(p, &mut link, windows);
                }
            });
        }
    });
}

/// Tells every worker that this one panicked, so that none waits for it
/// forever (each holds a sender to every other: a channel never closes).
/// The scope then re-raises the panic.
struct PanicAlarm(Vec<Sender<Message>>);

impl Drop for PanicAlarm {
    fn drop(&mut self) {
        if std::thread::panicking() {
            for tx in &self.0 {
                let _ = tx.send(Message {
                    window: Message::PEER_GONE,
                    spikes: Vec::new(),
                });
            }
        }
    }
}

/// One worker's channels to the others.
struct Link {
    me: usize,
    rx: Receiver<Message>,
    to: Vec<Sender<Message>>,
    /// Messages of later windows, received while waiting for an earlier one.
    early: Vec<Message>,
    inbox: Vec<Spike>,
}

impl Link {
    /// Send this partition's outboxes of window `k` to every other worker.
    fn send<D: Dynamics, P: Plasticity, O: Observer>(&self, p: &mut Partition<D, P, O>, k: u64) {
        for (q, tx) in self.to.iter().enumerate() {
            if q != self.me {
                let spikes = std::mem::take(p.outbox_mut(q));
                // A peer only stops receiving when it panicked; the scope re-raises that.
                let _ = tx.send(Message { window: k, spikes });
            }
        }
    }

    /// Collect every other worker's spikes of window `k` into `inbox`;
    /// false if a peer is gone (it panicked).
    fn receive(&mut self, k: u64) -> bool {
        self.inbox.clear();
        let mut received = 0;
        let inbox = &mut self.inbox;
        self.early.retain(|m| {
            if m.window == k {
                inbox.extend_from_slice(&m.spikes);
                received += 1;
                false
            } else {
                true
            }
        });
        while received < self.to.len() - 1 {
            let Ok(m) = self.rx.recv() else { return false };
            if m.window == Message::PEER_GONE {
                return false;
            }
            if m.window == k {
                self.inbox.extend_from_slice(&m.spikes);
                received += 1;
            } else {
                self.early.push(m);
            }
        }
        true
    }
}

/// Work `windows` on a partition that receives no spike from another: no
/// exchange, its own spikes queued at each complete window's end (they land
/// one delay later, at or after it).
fn work_alone<D: Dynamics, P: Plasticity, O: Observer>(
    p: &mut Partition<D, P, O>,
    windows: Windows,
) {
    for (w, complete) in windows {
        p.update(w);
        if complete {
            p.enqueue(&[], w.end);
        }
    }
}

fn worker<D: Dynamics, P: Plasticity, O: Observer>(
    p: &mut Partition<D, P, O>,
    link: &mut Link,
    windows: Windows,
) {
    for (w, complete) in windows {
        // 1. update
        p.update(w);
        if !complete {
            continue;
        }
        // 2. exchange: one message to every other worker, one from each.
        link.send(p, w.index);
        if !link.receive(w.index) {
            return;
        }
        // 3. enqueue (sorts own and received spikes by (time, source))
        p.enqueue(&link.inbox, w.end);
    }
}

fn worker_pipelined<D: Dynamics, P: Plasticity, O: Observer>(
    p: &mut Partition<D, P, O>,
    link: &mut Link,
    windows: Windows,
) {
    // The last complete window whose spikes are not yet expanded.
    let mut pending: Option<(u64, Vec<Spike>)> = None;
    for (w, complete) in windows {
        p.update(w);
        if !complete {
            continue;
        }
        link.send(p, w.index);
        let own = p.take_own_spikes();
        if let Some((k, own_k)) = pending.take() {
            if !link.receive(k) {
                return;
            }
            p.enqueue_spikes(own_k, &link.inbox, w.end);
        }
        pending = Some((w.index, own));
    }
    // Leave nothing in flight between `run` calls.
    if let Some((k, own_k)) = pending.take() {
        if link.receive(k) {
            let end = Time((k + 1).saturating_mul(p.timing().window.0));
            p.enqueue_spikes(own_k, &link.inbox, end);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_the_span_in_grid_pieces() {
        let w = Windows {
            len: 10,
            start: Time(25),
            until: Time(52),
        };
        let got: Vec<(u64, u64, u64, bool)> = w
            .map(|(s, complete)| (s.index, s.start.0, s.end.0, complete))
            .collect();
        assert_eq!(
            got,
            vec![
                (2, 25, 30, true),
                (3, 30, 40, true),
                (4, 40, 50, true),
                (5, 50, 52, false)
            ]
        );
        // A run far longer than memory could list starts at once.
        let mut long = Windows {
            len: 1,
            start: Time::ZERO,
            until: Time::LIMIT,
        };
        assert_eq!(long.next().map(|(s, _)| s.end), Some(Time(1)));
    }
}
