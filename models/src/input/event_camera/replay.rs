//! Replaying a recording into a network: each event becomes a spike of an
//! input channel at the event's own time (µs → ticks, exact).
//!
//! Pixels are mapped to channels by a [`ChannelMap`] (crop, spatial pooling,
//! polarity merged / split / one only) and times by a [`TimeWindow`]
//! (re-zeroing, a window of the recording). The [`EventCameraDrive`] streams
//! the file window by window: memory stays bounded whatever the file size.
//! The partitions of a process share one reader per replay, which decodes
//! the file once and deals each chunk's spikes to the partitions whose
//! neurons they reach (`decode_ahead`); each partition queues its share in
//! file order, so the replay is deterministic and independent of the thread
//! count and of which thread decoded what.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use volley_engine::{Drive, Spike, SyncWindow};

use super::decode_ahead::{self, Decoded, Feed};
use super::pending::Pending;
use super::{open, CameraEvent, EventFileError, ReadOptions, ReaderReport};

/// Ticks per microsecond (the engine's tick is 1/1024 µs).
pub(super) const TICKS_PER_US: u64 = 1024;

/// Events may arrive out of time order by up to this much (e.g. EVT 3
/// TIME_LOW steps back under one TIME_HIGH) and are still replayed exactly.
pub const REORDER_SLACK_US: i64 = 50_000;

/// What to do with polarity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolarityMode {
    /// ON and OFF events share a channel.
    Merge,
    /// Two channels per pixel: `2 * pixel` for OFF, `2 * pixel + 1` for ON.
    Split,
    /// Two planes, OFF then ON: `pixel` for OFF, `pixels + pixel` for ON —
    /// tonic's `ToFrame` order (polarity × y × x), as trained networks
    /// (NIR graphs) take their input.
    Planes,
    /// ON events only.
    On,
    /// OFF events only.
    Off,
}

impl PolarityMode {
    /// Whether each pixel has an ON and an OFF channel.
    pub fn two_channels(self) -> bool {
        matches!(self, PolarityMode::Split | PolarityMode::Planes)
    }

    /// The channel of an event of polarity `on` at pooled pixel `pixel`, of
    /// `plane` pixels; `None` if filtered out.
    #[inline(always)]
    fn channel(self, pixel: u32, on: bool, plane: u32) -> Option<u32> {
        match self {
            PolarityMode::Merge => Some(pixel),
            PolarityMode::Split => Some(2 * pixel + u32::from(on)),
            PolarityMode::Planes => Some(u32::from(on) * plane + pixel),
            PolarityMode::On => on.then_some(pixel),
            PolarityMode::Off => (!on).then_some(pixel),
        }
    }
}

impl std::str::FromStr for PolarityMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "merge" => Ok(PolarityMode::Merge),
            "split" => Ok(PolarityMode::Split),
            "planes" => Ok(PolarityMode::Planes),
            "on" => Ok(PolarityMode::On),
            "off" => Ok(PolarityMode::Off),
            _ => Err(format!(
                "unknown polarity mode `{s}` (known: merge, split, planes, on, off)"
            )),
        }
    }
}

/// Pixel → channel: crop a rectangle, pool `pool.0 × pool.1` pixels into one
/// channel, then polarity. Channels are numbered row by row:
/// `(row * columns + column) * P + polarity` with P = 2 when split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelMap {
    /// Crop origin and size in sensor pixels.
    pub crop: (u32, u32, u32, u32),
    /// Pooling factors (x, y), ≥ 1.
    pub pool: (u32, u32),
    /// Polarity handling.
    pub polarity: PolarityMode,
}

impl ChannelMap {
    /// Pooled columns and rows.
    pub fn grid(&self) -> (u32, u32) {
        (
            self.crop.2.div_ceil(self.pool.0),
            self.crop.3.div_ceil(self.pool.1),
        )
    }

    /// Number of channels.
    pub fn n_channels(&self) -> u64 {
        let (c, r) = self.grid();
        let p = if self.polarity.two_channels() { 2 } else { 1 };
        u64::from(c) * u64::from(r) * p
    }

    /// The channel of an event, `None` if cropped away or filtered out.
    pub fn channel(&self, e: &CameraEvent) -> Option<u32> {
        let (x0, y0, w, h) = self.crop;
        let x = u32::from(e.x).checked_sub(x0).filter(|&x| x < w)?;
        let y = u32::from(e.y).checked_sub(y0).filter(|&y| y < h)?;
        let (cols, rows) = self.grid();
        let pixel = (y / self.pool.1) * cols + x / self.pool.0;
        self.polarity.channel(pixel, e.on, cols * rows)
    }
}

/// [`ChannelMap::channel`] by table: an event's channel is the sum of its
/// column's, its row's and its polarity's shares — no division, and no
/// branch on the polarity mode, per event.
#[derive(Debug, Clone)]
pub(super) struct ChannelTable {
    /// Per sensor x: the pooled column's share, or `OUT` if cropped away.
    column: Vec<u32>,
    /// Per sensor y: the pooled row's first channel's share, or `OUT`.
    row: Vec<u32>,
    /// Per polarity (OFF, ON): its share, or `OUT` if filtered out.
    polarity: [u32; 2],
}

impl ChannelTable {
    /// A share that puts the sum at or above it. Every channel is below it
    /// (the constructor checks), so every valid share is too, and three
    /// shares sum below 3 · 2^31: no overflow in `u64`.
    const OUT: u32 = 1 << 31;

    pub(super) fn new(map: &ChannelMap) -> Self {
        let (x0, y0, w, h) = map.crop;
        let (cols, rows) = map.grid();
        assert!(
            map.n_channels() < u64::from(Self::OUT),
            "{} channels: more than a table holds",
            map.n_channels()
        );
        // Split interleaves the polarities: each pixel's share doubles.
        let (scale, polarity) = match map.polarity {
            PolarityMode::Merge => (1, [0, 0]),
            PolarityMode::Split => (2, [0, 1]),
            PolarityMode::Planes => (1, [0, cols * rows]),
            PolarityMode::On => (1, [Self::OUT, 0]),
            PolarityMode::Off => (1, [0, Self::OUT]),
        };
        let column = (0..x0 + w)
            .map(|x| {
                x.checked_sub(x0)
                    .map_or(Self::OUT, |x| scale * (x / map.pool.0))
            })
            .collect();
        let row = (0..y0 + h)
            .map(|y| {
                y.checked_sub(y0)
                    .map_or(Self::OUT, |y| scale * (y / map.pool.1) * cols)
            })
            .collect();
        ChannelTable {
            column,
            row,
            polarity,
        }
    }

    #[inline(always)]
    pub(super) fn channel(&self, e: &CameraEvent) -> Option<u32> {
        let column = *self.column.get(usize::from(e.x))?;
        let row = *self.row.get(usize::from(e.y))?;
        let sum = u64::from(column) + u64::from(row) + u64::from(self.polarity[usize::from(e.on)]);
        (sum < u64::from(Self::OUT)).then_some(sum as u32)
    }
}

/// Which part of the recording is replayed, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeWindow {
    /// Recording time that becomes simulation time 0 (`None`: the first
    /// event's time — re-zeroing).
    pub origin_us: Option<i64>,
    /// Replay events from `origin + start_us` on...
    pub start_us: i64,
    /// ...until before `origin + stop_us` (`None`: to the end).
    pub stop_us: Option<i64>,
}

/// Progress and problems of a replay, shared with the caller so that a
/// damaged file mid-run is reported, never silently cut short.
#[derive(Debug, Clone, Default)]
pub struct ReplayStatus {
    /// Events decoded.
    pub events_read: u64,
    /// Events turned into channel spikes.
    pub events_injected: u64,
    /// Events outside the crop, polarity filter or time window.
    pub events_filtered: u64,
    /// Events that arrived more than [`REORDER_SLACK_US`] out of order and
    /// were injected at the start of the current window instead.
    pub events_late: u64,
    /// The decoder's report (skipped records, damage in lenient mode).
    pub reader: ReaderReport,
    /// A fatal decoding error (strict mode), if any.
    pub error: Option<EventFileError>,
}

/// A recording, how to read it and how to map it to channels.
#[derive(Debug, Clone)]
pub struct Replay {
    /// The recording.
    pub path: PathBuf,
    /// Format override and leniency.
    pub options: ReadOptions,
    /// Pixel → channel.
    pub map: ChannelMap,
    /// Which part, re-zeroed how.
    pub window: TimeWindow,
}

/// A recording streamed as spikes of input channels `first_gid + channel`:
/// one partition's share of a replay, fed by the replay's reader (see
/// `decode_ahead`).
pub struct EventCameraDrive {
    feed: Feed,
    pending: Pending,
    /// Latest spike time read so far (µs of simulation time).
    read_until_us: i64,
    done: bool,
    counts: ReplayStatus,
    status: Arc<Mutex<ReplayStatus>>,
    /// Whether this drive publishes progress counts (one per replay).
    reports: bool,
}

impl EventCameraDrive {
    /// Open a replay for one partition that keeps every channel, decoded in
    /// the calling thread. `status` receives errors and progress counts.
    pub fn open(
        spec: &Replay,
        first_gid: u32,
        status: Arc<Mutex<ReplayStatus>>,
    ) -> Result<Self, EventFileError> {
        let mut drives = Self::open_shared(spec, first_gid, None, 1, false, (status, true))?;
        Ok(drives.remove(0))
    }

    /// Open a replay for `parts` partitions sharing one reader: `owner[c]`
    /// is the partition that keeps channel `c`, or `parts` if none does
    /// (`None`: one partition keeps all); with `helper`, a thread of its own
    /// reads and deals ahead. `status.0` receives errors from every drive and, if
    /// `status.1`, progress counts from the first.
    pub fn open_shared(
        spec: &Replay,
        first_gid: u32,
        owner: Option<Vec<u16>>,
        parts: usize,
        helper: bool,
        (status, reports): (Arc<Mutex<ReplayStatus>>, bool),
    ) -> Result<Vec<Self>, EventFileError> {
        let reader = open(&spec.path, spec.options)?;
        let mapping = (ChannelTable::new(&spec.map), spec.window, first_gid);
        let feeds = decode_ahead::feeds(&spec.path, reader, mapping, owner, parts, helper)?;
        Ok(feeds
            .into_iter()
            .enumerate()
            .map(|(d, feed)| EventCameraDrive {
                feed,
                pending: Pending::default(),
                read_until_us: i64::MIN,
                done: false,
                counts: ReplayStatus::default(),
                status: status.clone(),
                reports: reports && d == 0,
            })
            .collect())
    }

    /// Queue this partition's spikes of the next chunk into `pending`.
    fn read_more(&mut self) {
        let (c, report) = match self.feed.next(&mut self.pending) {
            Decoded::Chunk { counts, report } => (counts, report),
            Decoded::End { error, report } => {
                self.counts.error = self.counts.error.take().or(error);
                self.counts.reader = report;
                self.done = true;
                return;
            }
        };
        // Counts are of the whole replay (the same in every partition).
        self.counts.events_read += c.read;
        self.counts.events_injected += c.injected;
        self.counts.events_filtered += c.filtered;
        self.counts.reader = report;
        self.read_until_us = c.read_until_us;
    }

    fn publish(&mut self) {
        let Ok(mut s) = self.status.lock() else {
            return;
        };
        if s.error.is_none() {
            s.error = self.counts.error.clone();
        }
        if self.reports {
            let error = s.error.take();
            *s = ReplayStatus {
                error,
                ..self.counts.clone()
            };
        }
    }
}

impl Drive for EventCameraDrive {
    fn emit(&mut self, window: SyncWindow, spikes: &mut Vec<Spike>) {
        self.pending.fit_windows(window.end.0 - window.start.0);
        let end_us = (window.end.0 / TICKS_PER_US) as i64;
        while !self.done && self.read_until_us < end_us.saturating_add(REORDER_SLACK_US) {
            self.read_more();
        }
        self.counts.events_late += self.pending.emit(window, spikes);
        self.publish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(x: u16, y: u16, on: bool) -> CameraEvent {
        CameraEvent { t_us: 0, x, y, on }
    }

    proptest::proptest! {
        /// The drive's table maps every event as the map does.
        #[test]
        fn the_table_maps_as_the_map_does(
            crop in (0u32..6, 0u32..6, 1u32..12, 1u32..12),
            pool in (1u32..5, 1u32..5),
            polarity in 0usize..5,
        ) {
            let polarity = [
                PolarityMode::Merge,
                PolarityMode::Split,
                PolarityMode::Planes,
                PolarityMode::On,
                PolarityMode::Off,
            ][polarity];
            let map = ChannelMap { crop, pool, polarity };
            let table = ChannelTable::new(&map);
            for x in 0..20 {
                for y in 0..20 {
                    for on in [false, true] {
                        let e = ev(x, y, on);
                        proptest::prop_assert_eq!(table.channel(&e), map.channel(&e));
                    }
                }
            }
        }
    }

    #[test]
    fn channels_are_numbered_row_by_row_after_crop_and_pooling() {
        let m = ChannelMap {
            crop: (2, 1, 5, 4),
            pool: (2, 2),
            polarity: PolarityMode::Split,
        };
        assert_eq!(m.grid(), (3, 2));
        assert_eq!(m.n_channels(), 12);
        assert_eq!(m.channel(&ev(2, 1, false)), Some(0));
        assert_eq!(m.channel(&ev(2, 1, true)), Some(1));
        assert_eq!(m.channel(&ev(6, 4, true)), Some(2 * (3 + 2) + 1));
        assert_eq!(m.channel(&ev(1, 1, true)), None, "left of the crop");
        assert_eq!(m.channel(&ev(7, 1, true)), None, "right of the crop");
        assert_eq!(m.channel(&ev(2, 5, true)), None, "below the crop");
        let on = ChannelMap {
            polarity: PolarityMode::On,
            ..m.clone()
        };
        assert_eq!(
            (on.channel(&ev(3, 2, true)), on.channel(&ev(3, 2, false))),
            (Some(0), None)
        );
        let merged = ChannelMap {
            polarity: PolarityMode::Merge,
            ..m
        };
        assert_eq!(merged.n_channels(), 6);
        assert_eq!(
            merged.channel(&ev(4, 3, false)),
            merged.channel(&ev(5, 4, true))
        );
    }
}
