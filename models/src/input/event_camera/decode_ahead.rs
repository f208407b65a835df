//! One reader per replay, shared by the partitions it feeds: each chunk of
//! the recording is decoded and mapped once and its spikes dealt to the
//! partitions whose neurons they reach.
//!
//! Every partition needs the whole recording in file order, but only its own
//! channels' spikes. A partition that finds its queue empty decodes the next
//! chunk for all; when the process has a core to spare, a helper thread
//! decodes ahead so the workers rarely do. Each partition receives, chunk by
//! chunk and in file order, exactly its channels' spikes, so results do not
//! depend on which thread decoded what.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::Duration;

use volley_engine::{Gid, Spike, Time};

use super::replay::{ChannelTable, TimeWindow, REORDER_SLACK_US, TICKS_PER_US};
use super::{CameraEvent, EventFileError, EventReader, ReaderReport};

/// Chunks the helper decodes ahead of the slowest partition (each chunk is
/// ~64 k events).
const CHUNKS_AHEAD: usize = 4;

/// What one partition receives, in file order.
pub(super) enum Decoded {
    /// The next chunk of the recording.
    Chunk(Chunk),
    /// The end of what is read: the file's end, the end of the time window,
    /// or a fatal decoding error (`error`); `report` is the reader's last.
    End {
        error: Option<EventFileError>,
        report: ReaderReport,
    },
}

/// One decoded chunk, as one partition sees it.
pub(super) struct Chunk {
    /// This partition's spikes, in file order.
    pub spikes: Vec<Spike>,
    /// Counts over the whole chunk (the same for every partition).
    pub counts: ChunkCounts,
    /// The reader's report after this chunk.
    pub report: ReaderReport,
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

/// Whether a replay whose latest spike so far is at `read_until_us` has read
/// everything its window can use.
pub(super) fn past_window(window: &TimeWindow, read_until_us: i64) -> bool {
    window
        .stop_us
        .is_some_and(|s| read_until_us > s - window.start_us + REORDER_SLACK_US)
}

/// One partition's end of a shared reader.
pub(super) struct Feed {
    shared: Arc<Shared>,
    part: usize,
}

/// What the partitions of one replay share.
struct Shared {
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
    chunks: Vec<VecDeque<Decoded>>,
    spent: Vec<Vec<Vec<Spike>>>,
}

/// Share `reader` among `parts` partitions: `owner[c]` is the partition
/// that keeps channel `c`, or `parts` if none does (`None`: one partition
/// keeps every channel). With `helper`, a thread of its own decodes ahead.
pub(super) fn share(
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
    let shared = Arc::new(Shared {
        file: path.to_path_buf(),
        decoder: Mutex::new(Decoder {
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
        }),
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
        .map(|part| Feed {
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
    /// The partition's next chunk (or the end), decoding it if no one has.
    pub fn next(&self) -> Decoded {
        if let Some(d) = self.take() {
            return d;
        }
        let Ok(mut decoder) = self.shared.decoder.lock() else {
            return self.broken();
        };
        loop {
            // The helper may have dealt it while this partition waited.
            if let Some(d) = self.take() {
                return d;
            }
            if decoder.ended {
                return self.broken();
            }
            decoder.step(&self.shared.queues);
        }
    }

    /// Hand back an emptied spike buffer for reuse.
    pub fn give_back(&self, spikes: Vec<Spike>) {
        if let Ok(mut q) = self.shared.queues.lock() {
            q.spent[self.part].push(spikes);
        }
    }

    fn take(&self) -> Option<Decoded> {
        let d = lock(&self.shared.queues)?.chunks[self.part].pop_front();
        self.shared.taken.notify_one();
        d
    }

    /// The end of a replay whose decoder failed without saying why: a
    /// thread panicked while decoding.
    fn broken(&self) -> Decoded {
        Decoded::End {
            error: Some(EventFileError {
                file: self.shared.file.clone(),
                offset: None,
                line: None,
                message: "its decoding stopped (a bug: please report it)".into(),
            }),
            report: ReaderReport::default(),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> Option<MutexGuard<'_, T>> {
    m.lock().ok()
}

/// The reader and how its events become spikes.
struct Decoder {
    reader: Box<dyn EventReader>,
    table: ChannelTable,
    window: TimeWindow,
    first_gid: u32,
    /// Per channel, the partition that keeps it (`parts`: none).
    owner: Option<Vec<u16>>,
    /// Where spikes no partition keeps are dealt, as one more partition:
    /// dealing then needs no branch on whether a channel is kept.
    discarded: Vec<Spike>,
    origin: Option<i64>,
    events: Vec<CameraEvent>,
    /// Latest spike time read so far (µs of simulation time).
    read_until_us: i64,
    /// Whether every partition has been sent its end.
    ended: bool,
}

impl Decoder {
    /// Decode the next chunk and queue each partition's share, or queue the
    /// end: the file's, the time window's or a decoding error.
    fn step(&mut self, queues: &Mutex<Queues>) {
        let more = self.reader.next_chunk(&mut self.events);
        if !matches!(more, Ok(true)) {
            self.end(queues, more.err());
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
        let counts = self.deal(&mut parts);
        self.discarded = parts.pop().expect("the discarded spikes");
        self.discarded.clear();
        let report = self.reader.report();
        let Some(mut q) = lock(queues) else {
            self.ended = true;
            return;
        };
        for (queue, spikes) in q.chunks.iter_mut().zip(parts) {
            queue.push_back(Decoded::Chunk(Chunk {
                spikes,
                counts,
                report: report.clone(),
            }));
        }
        drop(q);
        if past_window(&self.window, self.read_until_us) {
            self.end(queues, None);
        }
    }

    /// Queue every partition's end, with the reader's last report.
    fn end(&mut self, queues: &Mutex<Queues>, error: Option<EventFileError>) {
        self.ended = true;
        let Some(mut q) = lock(queues) else { return };
        for queue in &mut q.chunks {
            queue.push_back(Decoded::End {
                error: error.clone(),
                report: self.reader.report().clone(),
            });
        }
    }

    /// Map the chunk's events to channel spikes and deal them to the
    /// partitions that keep their channels (the last of `parts` takes those
    /// no partition keeps); the chunk's counts.
    fn deal(&mut self, parts: &mut [Vec<Spike>]) -> ChunkCounts {
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
                    match &self.owner {
                        Some(owner) => parts[usize::from(owner[ch as usize])].push(spike),
                        None => parts[0].push(spike),
                    }
                }
                _ => c.filtered += 1,
            }
        }
        c.read_until_us = self.read_until_us;
        c
    }
}
