//! The reader of a replay and how its chunks reach the partitions: decoded
//! and mapped once per chunk, each spike dealt to the partition that owns
//! its channel's neuron.
//!
//! A partition decoding alone deals straight into its own queue. Partitions
//! sharing a reader take their spikes chunk by chunk from per-partition
//! queues; one whose queue is empty reads the next chunk for all and deals
//! it. Only the reading holds the reader: a chunk is numbered and given a
//! place in every queue as it is read, and dealt after the reader is free,
//! so two workers deal two chunks at once (each decoding and mapping half
//! the recording instead of all of it). A helper thread, when the process
//! has a core to spare, reads and deals ahead so the workers rarely do.
//! Each partition receives, in file order, exactly its channels' spikes, so
//! results do not depend on which thread dealt what.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::Duration;

use volley_engine::{Gid, Spike, Time};

use super::pending::{Filling, Pending};
use super::replay::{ChannelTable, TimeWindow, REORDER_SLACK_US, TICKS_PER_US};
use super::{CameraEvent, EventFileError, EventReader, ReaderReport, CHUNK_EVENTS};

/// Chunks dealt ahead of the slowest partition (each chunk is ~64 k
/// events): the helper stops there, and a worker waits for a chunk being
/// dealt by another rather than read further.
const CHUNKS_AHEAD: usize = 4;

/// How many chunks a partition may take ahead of the slowest before it
/// waits for that one to take one (partitions that exchange no spikes are
/// not held together at window edges: what the fastest reads would pile up
/// in the slowest's queue). Held softly: after one wait of at most 50 ms it
/// reads on, so partitions held together at window edges by a burst of more
/// than this in one window cannot wait for each other for ever.
const LAG_AT_MOST: u64 = 64;

/// Spike buffers each partition starts with: the chunks that may wait in its
/// queue, the one it is taking and the one being dealt.
const BUFFERS_PER_PART: usize = CHUNKS_AHEAD + 2;

/// A buffer of `capacity` whose pages have been written once. A replay's
/// buffers are made so before the clock starts: a page's first write costs
/// a page fault (several µs in a virtual machine), and the first window
/// reads the whole reorder slack ahead, so faulting its buffers in then
/// would make that window late against real time.
fn touched<T: Copy>(capacity: usize, filler: T) -> Vec<T> {
    let mut buffer = Vec::with_capacity(capacity);
    buffer.resize(capacity, filler);
    buffer.clear();
    buffer
}

/// What fills the buffers of events and of spikes while they are faulted in.
const NO_EVENT: CameraEvent = CameraEvent {
    t_us: 0,
    x: 0,
    y: 0,
    on: false,
};
const NO_SPIKE: Spike = Spike::at(Time::ZERO, Gid(0));

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
    /// Partition `part` of a shared reader, and the buffers it deals with.
    Shared {
        shared: Arc<Shared>,
        part: usize,
        scratch: Box<Scratch>,
    },
}

/// A lone partition's reader and how its events become spikes.
pub(super) struct Decoder {
    reading: Reading,
    mapping: Mapping,
    events: Vec<CameraEvent>,
}

/// What the partitions of one replay share.
pub(super) struct Shared {
    file: PathBuf,
    /// Held while a chunk is read and given its place in the queues, so
    /// chunks reach every queue in file order.
    reading: Mutex<Reading>,
    /// How a chunk's events become spikes (read-only: used unlocked).
    mapping: Mapping,
    queues: Mutex<Queues>,
    /// Signalled when a partition takes a chunk (the helper may go on) and
    /// when a chunk is dealt (a partition waiting for it may go on).
    changed: Condvar,
}

/// A chunk as a partition takes it: what it was, and the partition's spikes.
type DealtChunk = (Decoded, Vec<Spike>);

/// Per partition: the chunks not yet taken, in file order (`None`: still
/// being dealt), and emptied spike buffers to reuse.
struct Queues {
    chunks: Vec<VecDeque<Option<DealtChunk>>>,
    /// Per partition, the number of the chunk at the front of its queue.
    front: Vec<u64>,
    spent: Vec<Vec<Vec<Spike>>>,
}

/// A dealing thread's buffers: the events read, and the spikes no partition
/// keeps.
pub(super) struct Scratch {
    events: Vec<CameraEvent>,
    discarded: Vec<Spike>,
}

impl Scratch {
    /// Buffers for a chunk, faulted in (see [`touched`]).
    fn new() -> Box<Self> {
        Box::new(Scratch {
            events: touched(CHUNK_EVENTS, NO_EVENT),
            discarded: Vec::new(),
        })
    }
}

/// The reader and what reading has learnt so far.
struct Reading {
    reader: Box<dyn EventReader>,
    window: TimeWindow,
    /// The recording time of simulation time 0 (the first event's, unless
    /// the window gives it).
    origin: Option<i64>,
    /// Latest spike time read so far (µs of simulation time).
    read_until_us: i64,
    /// Whether the end has been read (and, if shared, queued).
    ended: bool,
    /// Chunks read so far: the number of the next.
    chunks: u64,
}

/// What reading gave.
enum Read {
    Chunk(ChunkHead),
    /// The end, as every partition is to learn it.
    End(Decoded),
}

/// A chunk just read: what dealing it needs and reports.
struct ChunkHead {
    origin: i64,
    read_until_us: i64,
    report: ReaderReport,
}

/// How events become spikes and which partition keeps each.
struct Mapping {
    table: ChannelTable,
    window: TimeWindow,
    first_gid: u32,
    /// Per channel, the partition that keeps it (`parts`: none).
    owner: Option<Vec<u16>>,
}

/// Feeds for `parts` partitions reading `reader`: `owner[c]` is the
/// partition that keeps channel `c`, or `parts` if none does (`None`: one
/// partition keeps every channel). With `helper`, a thread of its own
/// reads ahead; without, one partition reads alone in its worker, several
/// take turns at reading and deal in parallel.
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
    let reading = Reading {
        reader,
        window,
        origin: window.origin_us,
        read_until_us: i64::MIN,
        ended: false,
        chunks: 0,
    };
    let mapping = Mapping {
        table,
        window,
        first_gid,
        owner,
    };
    if parts == 1 && !helper {
        return Ok(vec![Feed::Own(Box::new(Decoder {
            reading,
            mapping,
            events: touched(CHUNK_EVENTS, NO_EVENT),
        }))]);
    }
    let shared = Arc::new(Shared {
        file: path.to_path_buf(),
        reading: Mutex::new(reading),
        mapping,
        queues: Mutex::new(Queues {
            chunks: (0..parts).map(|_| VecDeque::new()).collect(),
            front: vec![0; parts],
            // A chunk's spikes are dealt over the partitions about evenly.
            spent: (0..parts)
                .map(|_| {
                    (0..BUFFERS_PER_PART)
                        .map(|_| touched(CHUNK_EVENTS.div_ceil(parts), NO_SPIKE))
                        .collect()
                })
                .collect(),
        }),
        changed: Condvar::new(),
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
            scratch: Scratch::new(),
        })
        .collect())
}

/// The helper: read and deal while every partition has fewer than
/// `CHUNKS_AHEAD` chunks waiting, until the end or until the partitions are
/// gone.
fn decode_ahead(shared: Weak<Shared>) {
    let mut scratch = Scratch::new();
    while let Some(shared) = shared.upgrade() {
        {
            let Some(queues) = lock(&shared.queues) else {
                return;
            };
            if queues.chunks.iter().any(|q| q.len() >= CHUNKS_AHEAD) {
                // Wake up now and then to notice that the run has ended.
                let _ = shared
                    .changed
                    .wait_timeout(queues, Duration::from_millis(50));
                continue;
            }
        }
        if !shared.step(&mut scratch) {
            return;
        }
    }
}

impl Feed {
    /// Queue the partition's spikes of the next chunk into `pending`; what
    /// the chunk was, or the end.
    pub fn next(&mut self, pending: &mut Pending) -> Decoded {
        match self {
            Feed::Own(decoder) => decoder.step_into(pending),
            Feed::Shared {
                shared,
                part,
                scratch,
            } => {
                let (decoded, mut spikes) = shared.next_for(*part, scratch);
                pending.filling().push_all(&spikes);
                spikes.clear();
                if let Some(mut q) = lock(&shared.queues) {
                    q.spent[*part].push(spikes);
                }
                decoded
            }
        }
    }
}

impl Shared {
    /// Partition `part`'s next chunk: the one at the front of its queue once
    /// dealt, reading and dealing further ones meanwhile (up to
    /// `CHUNKS_AHEAD`) if the front one is not.
    fn next_for(&self, part: usize, scratch: &mut Scratch) -> DealtChunk {
        let mut waited_for_slowest = false;
        loop {
            let Some(mut q) = lock(&self.queues) else {
                return broken(&self.file);
            };
            let slowest = q.front.iter().copied().min().unwrap_or(0);
            let far_ahead = q.front[part] >= slowest + LAG_AT_MOST && !waited_for_slowest;
            let waiting = &mut q.chunks[part];
            if let Some(Some(_)) = waiting.front() {
                let chunk = waiting.pop_front().flatten().expect("a dealt chunk");
                q.front[part] += 1;
                drop(q);
                self.changed.notify_all();
                return chunk;
            }
            // Its next chunk is being dealt by another thread: read and deal
            // the one after, unless enough are ahead already (or it is far
            // ahead of the slowest partition: then once it has waited for
            // that one to take a chunk).
            if waiting.len() < CHUNKS_AHEAD && !far_ahead {
                drop(q);
                waited_for_slowest = false;
                if self.step(scratch) {
                    continue;
                }
                // Nothing left to read: the chunk being dealt is the last.
                let Some(q) = lock(&self.queues) else {
                    return broken(&self.file);
                };
                if q.chunks[part].is_empty() {
                    // Read to the end with nothing queued: the end was
                    // taken already, or a thread panicked while reading.
                    return broken(&self.file);
                }
                if q.chunks[part].front().is_some_and(Option::is_none) {
                    let _ = self.changed.wait_timeout(q, Duration::from_millis(50));
                }
                continue;
            }
            waited_for_slowest = far_ahead;
            let _ = self.changed.wait_timeout(q, Duration::from_millis(50));
        }
    }

    /// Read the next chunk, give it a place in every queue and deal it
    /// there, or queue the end; `false` if the end had been read already.
    fn step(&self, scratch: &mut Scratch) -> bool {
        let Some(mut reading) = lock(&self.reading) else {
            return false;
        };
        if reading.ended {
            return false;
        }
        let head = match reading.read(&mut scratch.events) {
            Read::Chunk(head) => head,
            Read::End(end) => {
                if let Some(mut q) = lock(&self.queues) {
                    for queue in &mut q.chunks {
                        queue.push_back(Some((end.clone(), Vec::new())));
                    }
                }
                self.changed.notify_all();
                return true;
            }
        };
        let Some(mut q) = lock(&self.queues) else {
            reading.ended = true;
            return false;
        };
        let number = reading.chunks;
        reading.chunks += 1;
        for queue in &mut q.chunks {
            queue.push_back(None);
        }
        let mut parts: Vec<Vec<Spike>> = q
            .spent
            .iter_mut()
            .map(|s| s.pop().unwrap_or_default())
            .collect();
        drop(q);
        drop(reading);
        let mut dealing = Dealing {
            shared: self,
            number,
            dealt: false,
        };
        parts.push(std::mem::take(&mut scratch.discarded));
        let counts = self
            .mapping
            .deal(&scratch.events, &head, parts.as_mut_slice());
        scratch.discarded = parts.pop().expect("the discarded spikes");
        scratch.discarded.clear();
        let chunks = parts.into_iter().map(|spikes| {
            let chunk = Decoded::Chunk {
                counts,
                report: head.report.clone(),
            };
            (chunk, spikes)
        });
        dealing.queue(chunks);
        true
    }
}

/// A chunk being dealt outside the reader's lock; its places in the queues
/// are filled when dealt, or with an error if the thread dealing it panics
/// (the partitions waiting for it then end their replay instead of waiting
/// for ever).
struct Dealing<'a> {
    shared: &'a Shared,
    number: u64,
    dealt: bool,
}

impl Dealing<'_> {
    /// Fill the chunk's place in each partition's queue, in order.
    fn queue(&mut self, chunks: impl Iterator<Item = DealtChunk>) {
        if let Some(mut q) = lock(&self.shared.queues) {
            let q = &mut *q;
            for ((queue, front), chunk) in q.chunks.iter_mut().zip(&q.front).zip(chunks) {
                queue[(self.number - front) as usize] = Some(chunk);
            }
        }
        self.dealt = true;
        self.shared.changed.notify_all();
    }
}

impl Drop for Dealing<'_> {
    fn drop(&mut self) {
        if !self.dealt {
            let parts = lock(&self.shared.queues).map_or(0, |q| q.chunks.len());
            let file = &self.shared.file;
            self.queue((0..parts).map(|_| broken(file)));
        }
    }
}

/// The end of a replay whose decoding failed without saying why: a thread
/// panicked while decoding.
fn broken(file: &Path) -> DealtChunk {
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

impl Decoder {
    /// Decode the next chunk straight into a lone partition's `pending`.
    fn step_into(&mut self, pending: &mut Pending) -> Decoded {
        match self.reading.read(&mut self.events) {
            Read::Chunk(head) => {
                let counts = self
                    .mapping
                    .deal(&self.events, &head, &mut pending.filling());
                Decoded::Chunk {
                    counts,
                    report: head.report,
                }
            }
            Read::End(end) => end,
        }
    }
}

impl Reading {
    /// Read the next chunk into `events`; the end if there is none or if
    /// what is read is far past the end of the time window.
    fn read(&mut self, events: &mut Vec<CameraEvent>) -> Read {
        let window = &self.window;
        let past_window = window
            .stop_us
            .is_some_and(|s| self.read_until_us > s - window.start_us + REORDER_SLACK_US);
        let more = if past_window {
            Ok(false)
        } else {
            self.reader.next_chunk(events)
        };
        if !matches!(more, Ok(true)) {
            self.ended = true;
            return Read::End(Decoded::End {
                error: more.err(),
                report: self.reader.report().clone(),
            });
        }
        let origin = *self.origin.get_or_insert(events[0].t_us);
        // The latest spike time: `saturating_sub` keeps the order of times.
        let latest = events.iter().map(|e| e.t_us).max().expect("a chunk");
        let rel = latest.saturating_sub(origin);
        self.read_until_us = self.read_until_us.max(rel - window.start_us);
        Read::Chunk(ChunkHead {
            origin,
            read_until_us: self.read_until_us,
            report: self.reader.report().clone(),
        })
    }
}

impl Mapping {
    /// Map a chunk's events to channel spikes and deal them to the
    /// partitions that keep their channels; the chunk's counts.
    fn deal<S: Sink + ?Sized>(
        &self,
        events: &[CameraEvent],
        head: &ChunkHead,
        sink: &mut S,
    ) -> ChunkCounts {
        let mut c = ChunkCounts {
            read: events.len() as u64,
            read_until_us: head.read_until_us,
            ..ChunkCounts::default()
        };
        let (start, stop) = (
            self.window.start_us,
            self.window.stop_us.unwrap_or(i64::MAX),
        );
        for e in events {
            let rel = e.t_us.saturating_sub(head.origin);
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
        c
    }
}
