//! The reader of a replay and how its chunks reach the partitions: decoded
//! and mapped once per chunk, each spike dealt to the partition that owns
//! its channel's neuron.
//!
//! A partition decoding alone deals straight into its own queue. Partitions
//! sharing a reader take their spikes chunk by chunk from per-partition
//! queues; one whose queue is empty decodes the next chunk for all, and a
//! helper thread, when the process has a core to spare, decodes ahead so the
//! workers rarely do. Each partition receives, in file order, exactly its
//! channels' spikes, so results do not depend on which thread decoded what.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::Duration;

use volley_engine::{Gid, Spike, Time};

use super::pending::{Filling, Pending};
use super::replay::{ChannelTable, TimeWindow, REORDER_SLACK_US, TICKS_PER_US};
use super::{CameraEvent, EventFileError, EventReader, ReaderReport};

/// Chunks the helper decodes ahead of the slowest partition (each chunk is
/// ~64 k events).
const CHUNKS_AHEAD: usize = 4;

/// What a partition learns of the next chunk (its spikes are queued).
#[derive(Clone)]
pub(super) enum Decoded {
    /// A chunk: counts over the whole chunk (the same for every partition)
    /// and the reader's report after it.
    Chunk {
        counts: ChunkCounts,
        report: ReaderReport,
    },
    /// The end of what is read: the file's end, the end of the time window,
    /// or a fatal decoding error (`error`); `report` is the reader's last.
    End {
        error: Option<EventFileError>,
        report: ReaderReport,
    },
}

/// Counts of one chunk, over all partitions.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct ChunkCounts {
    /// Events decoded.
    pub read: u64,
    /// Events mapped to a channel inside the time window.
    pub injected: u64,
    /// Events cropped, filtered or outside the time window.
    pub filtered: u64,
    /// Latest spike time read so far (µs of simulation time, relative to
    /// the window's start).
    pub read_until_us: i64,
}

/// Where dealt spikes go: `put(d, spike)` gives partition `d` a spike.
trait Sink {
    fn put(&mut self, d: usize, spike: Spike);
}

/// One buffer per partition sharing the reader, and one for spikes no
/// partition keeps: dealing needs no branch on whether a channel is kept.
impl Sink for [Vec<Spike>] {
    #[inline(always)]
    fn put(&mut self, d: usize, spike: Spike) {
        self[d].push(spike);
    }
}

/// A partition reading alone keeps partition 0's spikes (1: no one's).
impl Sink for Filling<'_> {
    #[inline(always)]
    fn put(&mut self, d: usize, spike: Spike) {
        self.push_if(spike, d == 0);
    }
}

/// One partition's end of a reader.
pub(super) enum Feed {
    /// Its own reader, decoded in its worker.
    Own(Box<Decoder>),
    /// Partition `part` of a shared reader.
    Shared { shared: Arc<Shared>, part: usize },
}

/// What the partitions of one replay share.
pub(super) struct Shared {
    file: PathBuf,
    /// Held while a chunk is decoded and dealt, so chunks reach every
    /// queue in file order.
    decoder: Mutex<Decoder>,
    queues: Mutex<Queues>,
    /// Signalled when a partition takes a chunk (the helper may go on).
    taken: Condvar,
}

/// Per partition: decoded chunks waiting, and emptied spike buffers to reuse.
struct Queues {
    chunks: Vec<VecDeque<(Decoded, Vec<Spike>)>>,
    spent: Vec<Vec<Vec<Spike>>>,
}

/// Feeds for `parts` partitions reading `reader`: `owner[c]` is the
/// partition that keeps channel `c`, or `parts` if none does (`None`: one
/// partition keeps every channel). With `helper`, a thread of its own
/// decodes ahead; without, one partition reads alone in its worker, several
/// take turns.
pub(super) fn feeds(
    path: &Path,
    reader: Box<dyn EventReader>,
    (table, window, first_gid): (ChannelTable, TimeWindow, u32),
    owner: Option<Vec<u16>>,
    parts: usize,
    helper: bool,
) -> Result<Vec<Feed>, EventFileError> {
    assert!(
        parts >= 1 && parts < usize::from(u16::MAX),
        "1 to 65 534 partitions"
    );
    assert!(
        owner.is_some() || parts == 1,
        "channels of several partitions"
    );
    let decoder = Decoder {
        reader,
        table,
        window,
        first_gid,
        owner,
        discarded: Vec::new(),
        origin: window.origin_us,
        events: Vec::new(),
        read_until_us: i64::MIN,
        ended: false,
    };
    if parts == 1 && !helper {
        return Ok(vec![Feed::Own(Box::new(decoder))]);
    }
    let shared = Arc::new(Shared {
        file: path.to_path_buf(),
        decoder: Mutex::new(decoder),
        queues: Mutex::new(Queues {
            chunks: (0..parts).map(|_| VecDeque::new()).collect(),
            spent: vec![Vec::new(); parts],
        }),
        taken: Condvar::new(),
    });
    if helper {
        let weak = Arc::downgrade(&shared);
        std::thread::Builder::new()
            .name("volley-replay-decoder".into())
            .spawn(move || decode_ahead(weak))
            .map_err(|e| EventFileError::at(path, 0, format!("cannot start its decoder: {e}")))?;
    }
    Ok((0..parts)
        .map(|part| Feed::Shared {
            shared: shared.clone(),
            part,
        })
        .collect())
}

/// The helper: decode while every partition has fewer than `CHUNKS_AHEAD`
/// chunks waiting, until the end or until the partitions are gone.
fn decode_ahead(shared: Weak<Shared>) {
    while let Some(shared) = shared.upgrade() {
        {
            let Ok(queues) = shared.queues.lock() else {
                return;
            };
            if queues.chunks.iter().any(|q| q.len() >= CHUNKS_AHEAD) {
                // Wake up now and then to notice that the run has ended.
                let _ = shared.taken.wait_timeout(queues, Duration::from_millis(50));
                continue;
            }
        }
        let Ok(mut decoder) = shared.decoder.lock() else {
            return;
        };
        if decoder.ended {
            return;
        }
        decoder.step(&shared.queues);
    }
}

impl Feed {
    /// Queue the partition's spikes of the next chunk into `pending`; what
    /// the chunk was, or the end.
    pub fn next(&mut self, pending: &mut Pending) -> Decoded {
        match self {
            Feed::Own(decoder) => decoder.step_into(pending),
            Feed::Shared { shared, part } => {
                let (decoded, mut spikes) = next_shared(shared, *part);
                let mut filling = pending.filling();
                for &spike in &spikes {
                    filling.push_if(spike, true);
                }
                drop(filling);
                spikes.clear();
                if let Some(mut q) = lock(&shared.queues) {
                    q.spent[*part].push(spikes);
                }
                decoded
            }
        }
    }
}

/// Partition `part`'s next chunk, decoding it if no one has.
fn next_shared(shared: &Shared, part: usize) -> (Decoded, Vec<Spike>) {
    let take = || {
        let d = lock(&shared.queues)?.chunks[part].pop_front();
        shared.taken.notify_one();
        d
    };
    if let Some(d) = take() {
        return d;
    }
    let Ok(mut decoder) = shared.decoder.lock() else {
        return broken(&shared.file);
    };
    loop {
        // The helper may have dealt it while this partition waited.
        if let Some(d) = take() {
            return d;
        }
        if decoder.ended {
            return broken(&shared.file);
        }
        decoder.step(&shared.queues);
    }
}

/// The end of a replay whose decoding failed without saying why: a thread
/// panicked while decoding.
fn broken(file: &Path) -> (Decoded, Vec<Spike>) {
    let error = EventFileError {
        file: file.to_path_buf(),
        offset: None,
        line: None,
        message: "its decoding stopped (a bug: please report it)".into(),
    };
    let end = Decoded::End {
        error: Some(error),
        report: ReaderReport::default(),
    };
    (end, Vec::new())
}

fn lock<T>(m: &Mutex<T>) -> Option<MutexGuard<'_, T>> {
    m.lock().ok()
}

/// The reader and how its events become spikes.
pub(super) struct Decoder {
    reader: Box<dyn EventReader>,
    table: ChannelTable,
    window: TimeWindow,
    first_gid: u32,
    /// Per channel, the partition that keeps it (`parts`: none).
    owner: Option<Vec<u16>>,
    /// The buffer of spikes no sharing partition keeps (cleared each chunk).
    discarded: Vec<Spike>,
    origin: Option<i64>,
    events: Vec<CameraEvent>,
    /// Latest spike time read so far (µs of simulation time).
    read_until_us: i64,
    /// Whether the end has been read (and, if shared, queued).
    ended: bool,
}

impl Decoder {
    /// Read the next chunk into `events`; the end if there is none or if
    /// what is read is far past the end of the time window.
    fn read(&mut self) -> Option<Decoded> {
        let window = &self.window;
        let past_window = window
            .stop_us
            .is_some_and(|s| self.read_until_us > s - window.start_us + REORDER_SLACK_US);
        if past_window {
            self.ended = true;
            return Some(Decoded::End {
                error: None,
                report: self.reader.report().clone(),
            });
        }
        match self.reader.next_chunk(&mut self.events) {
            Ok(true) => None,
            more => {
                self.ended = true;
                Some(Decoded::End {
                    error: more.err(),
                    report: self.reader.report().clone(),
                })
            }
        }
    }

    /// Decode the next chunk straight into a lone partition's `pending`.
    fn step_into(&mut self, pending: &mut Pending) -> Decoded {
        if let Some(end) = self.read() {
            return end;
        }
        let counts = self.deal(&mut pending.filling());
        Decoded::Chunk {
            counts,
            report: self.reader.report().clone(),
        }
    }

    /// Decode the next chunk and queue each sharing partition's part, or
    /// queue the end: the file's, the time window's or a decoding error.
    fn step(&mut self, queues: &Mutex<Queues>) {
        if let Some(end) = self.read() {
            self.queue_all(queues, end);
            return;
        }
        let Some(mut q) = lock(queues) else {
            self.ended = true;
            return;
        };
        let mut parts: Vec<Vec<Spike>> = q
            .spent
            .iter_mut()
            .map(|s| s.pop().unwrap_or_default())
            .collect();
        drop(q);
        parts.push(std::mem::take(&mut self.discarded));
        let counts = self.deal(parts.as_mut_slice());
        self.discarded = parts.pop().expect("the discarded spikes");
        self.discarded.clear();
        let report = self.reader.report();
        let Some(mut q) = lock(queues) else {
            self.ended = true;
            return;
        };
        for (queue, spikes) in q.chunks.iter_mut().zip(parts) {
            let chunk = Decoded::Chunk {
                counts,
                report: report.clone(),
            };
            queue.push_back((chunk, spikes));
        }
    }

    /// Queue `end` for every sharing partition.
    fn queue_all(&mut self, queues: &Mutex<Queues>, end: Decoded) {
        let Some(mut q) = lock(queues) else { return };
        for queue in &mut q.chunks {
            queue.push_back((end.clone(), Vec::new()));
        }
    }

    /// Map the chunk's events to channel spikes and deal them to the
    /// partitions that keep their channels; the chunk's counts.
    fn deal<S: Sink + ?Sized>(&mut self, sink: &mut S) -> ChunkCounts {
        let events = &self.events;
        let mut c = ChunkCounts {
            read: events.len() as u64,
            ..ChunkCounts::default()
        };
        let origin = *self.origin.get_or_insert(events[0].t_us);
        let (start, stop) = (
            self.window.start_us,
            self.window.stop_us.unwrap_or(i64::MAX),
        );
        for e in events {
            let rel = e.t_us.saturating_sub(origin);
            self.read_until_us = self.read_until_us.max(rel - start);
            match self.table.channel(e) {
                Some(ch) if rel >= start && rel < stop => {
                    c.injected += 1;
                    let us = (rel - start) as u64;
                    let spike = Spike::at(
                        Time(us.saturating_mul(TICKS_PER_US)),
                        Gid(self.first_gid + ch),
                    );
                    let d = self
                        .owner
                        .as_ref()
                        .map_or(0, |o| usize::from(o[ch as usize]));
                    sink.put(d, spike);
                }
                _ => c.filtered += 1,
            }
        }
        c.read_until_us = self.read_until_us;
        c
    }
}
