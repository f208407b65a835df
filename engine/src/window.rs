//! Synchronisation windows: the epochs between which partitions exchange spikes.

use crate::time::Time;

/// A half-open interval `[start, end)` of simulated time during which workers
/// run independently. `end - start` never exceeds the minimum delay of any
/// synapse, so nothing emitted inside a window can arrive inside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyncWindow {
    /// Sequence number, from 0.
    pub index: u64,
    /// First instant inside the window.
    pub start: Time,
    /// First instant after the window.
    pub end: Time,
}

impl SyncWindow {
    /// Whether `t` lies inside `[start, end)`.
    #[inline]
    pub fn contains(&self, t: Time) -> bool {
        self.start <= t && t < self.end
    }
}

/// The delays a run's timing is derived from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DelayBounds {
    /// The shortest delay of any neuron-to-neuron synapse (`NEVER` if there
    /// is none); it bounds the delays between partitions.
    pub min_recurrent: Time,
    /// The longest delay of any synapse or input (`ZERO` if there is none).
    pub max: Time,
}

/// How partitions exchange spikes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exchange {
    /// Threads of one process, over channels.
    Threads,
    /// Processes (e.g. MPI ranks), by a collective at every window edge.
    Processes,
}

/// The windows of a run, derived by the engine from the network's delays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// Window length: the shortest neuron-to-neuron delay, or half of it
    /// when pipelined. Inside a window no neuron can affect another, so
    /// each advances on its own.
    pub window: Time,
    /// Spikes are exchanged one window late (see `simulation.rs`): every
    /// delay is then at least two windows, so workers need not wait for
    /// each other at every window edge. Same results.
    pub pipelined: bool,
    /// The longest delay a queue must hold.
    pub horizon: Time,
    /// An interval whose multiples are window edges however the network
    /// is split (whole or half windows): where a checkpoint must be taken
    /// to load into any split.
    pub shared_edges: Time,
}

/// The shortest delay whose windows are halved for pipelining: 10 µs.
pub const PIPELINED_FROM: Time = Time(10 * crate::time::TICKS_PER_US);

impl Timing {
    /// The timing of a network with `delays`, split into `partitions`
    /// exchanging spikes by `exchange`.
    pub fn new(delays: DelayBounds, partitions: usize, exchange: Exchange) -> Timing {
        let min = match delays.min_recurrent {
            // No recurrent synapse: any window works; 1 ms keeps the
            // per-window overhead small.
            Time::NEVER => Time(crate::time::TICKS_PER_MS),
            d => d,
        };
        // Not across processes: their exchange is synchronous, so whole
        // windows mean half as many exchanges. Not below `PIPELINED_FROM`
        // either: half windows double the windows' fixed costs, and windows
        // that short hold too little work for threads to pay (they are
        // worked in turn, `in_turn.rs`).
        let pipelined = partitions > 1 && min >= PIPELINED_FROM && exchange == Exchange::Threads;
        let window = if pipelined { Time(min.0 / 2) } else { min };
        // Half windows, min / 2 rounded down, divide min when it is even;
        // an odd min = 2k + 1 and k are coprime.
        let shared_edges = match min.0 {
            m if m < 2 || m % 2 == 0 => min,
            m => Time(m.saturating_mul(m / 2)),
        };
        Timing {
            window,
            pipelined,
            horizon: delays.max.max(window),
            shared_edges,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_follow_the_shortest_recurrent_delay() {
        let d = DelayBounds {
            min_recurrent: Time(1_536_000),
            max: Time(4_096_000),
        };
        let one = Timing::new(d, 1, Exchange::Threads);
        assert_eq!(
            (one.window, one.pipelined, one.horizon),
            (Time(1_536_000), false, Time(4_096_000))
        );
        let two = Timing::new(d, 2, Exchange::Threads);
        assert_eq!((two.window, two.pipelined), (Time(768_000), true));
        let ranks = Timing::new(d, 2, Exchange::Processes);
        assert_eq!((ranks.window, ranks.pipelined), (Time(1_536_000), false));
        assert!([one, two, ranks]
            .iter()
            .all(|t| t.shared_edges == Time(1_536_000)));
        let odd = DelayBounds {
            min_recurrent: Time(307_001),
            max: Time(4_096_000),
        };
        let (one, two) = (
            Timing::new(odd, 1, Exchange::Threads),
            Timing::new(odd, 2, Exchange::Threads),
        );
        assert_eq!((one.window, two.window), (Time(307_001), Time(153_500)));
        assert_eq!(one.shared_edges, Time(307_001 * 153_500));
        assert_eq!(one.shared_edges.0 % two.window.0, 0);
        let none = DelayBounds {
            min_recurrent: Time::NEVER,
            max: Time::ZERO,
        };
        let short = DelayBounds {
            min_recurrent: Time(1024),
            max: Time(4096),
        };
        let two = Timing::new(short, 2, Exchange::Threads);
        assert_eq!(
            (two.window, two.pipelined),
            (Time(1024), false),
            "1 µs: whole windows"
        );
        let t = Timing::new(none, 1, Exchange::Threads);
        assert_eq!(
            (t.window, t.horizon),
            (Time(1024 * 1000), Time(1024 * 1000))
        );
    }
}
