//! `volley inspect`: read a whole recording and summarise it with the same
//! statistics (and field names) as the shared ground truth.

use std::collections::VecDeque;
use std::path::Path;
use std::time::Instant;

use super::{open, CameraEvent, EventFileError, Format, ReadOptions, ReaderReport};

/// Everything `volley inspect` reports about a recording.
#[derive(Debug, Clone)]
pub struct Inspection {
    pub format: Format,
    /// Sensor size from the file or its camera model.
    pub geometry: Option<(u32, u32)>,
    pub event_count: u64,
    pub on_count: u64,
    pub off_count: u64,
    pub t_min: Option<i64>,
    pub t_max: Option<i64>,
    pub t_first: Option<i64>,
    pub t_last: Option<i64>,
    pub monotonic: bool,
    pub x_max: Option<u16>,
    pub y_max: Option<u16>,
    pub first: Vec<CameraEvent>,
    pub last: Vec<CameraEvent>,
    pub report: ReaderReport,
    pub bytes: u64,
    pub decode_s: f64,
}

impl Inspection {
    /// Width and height: from the file, else the observed maximum + 1.
    pub fn size(&self) -> Option<(u32, u32)> {
        self.geometry
            .or_else(|| Some((u32::from(self.x_max?) + 1, u32::from(self.y_max?) + 1)))
    }

    /// Decoded events per second of wall time.
    pub fn events_per_s(&self) -> f64 {
        self.event_count as f64 / self.decode_s.max(1e-9)
    }
}

/// Decode all of `path` and summarise it.
pub fn inspect(path: &Path, options: ReadOptions) -> Result<Inspection, EventFileError> {
    let start = Instant::now();
    let mut reader = open(path, options)?;
    let mut chunk = Vec::new();
    let mut s = Inspection {
        format: reader.format(),
        geometry: reader.geometry(),
        event_count: 0,
        on_count: 0,
        off_count: 0,
        t_min: None,
        t_max: None,
        t_first: None,
        t_last: None,
        monotonic: true,
        x_max: None,
        y_max: None,
        first: Vec::new(),
        last: Vec::new(),
        report: ReaderReport::default(),
        bytes: 0,
        decode_s: 0.0,
    };
    let mut last = VecDeque::with_capacity(5);
    let (mut t_min, mut t_max) = (i64::MAX, i64::MIN);
    let (mut x_max, mut y_max) = (0u16, 0u16);
    let mut prev = i64::MIN;
    while reader.next_chunk(&mut chunk)? {
        for e in &chunk {
            if s.first.len() < 5 {
                s.first.push(*e);
            }
            s.on_count += u64::from(e.on);
            t_min = t_min.min(e.t_us);
            t_max = t_max.max(e.t_us);
            x_max = x_max.max(e.x);
            y_max = y_max.max(e.y);
            if e.t_us < prev {
                s.monotonic = false;
            }
            prev = e.t_us;
        }
        s.event_count += chunk.len() as u64;
        for e in chunk.iter().rev().take(5).rev() {
            if last.len() == 5 {
                last.pop_front();
            }
            last.push_back(*e);
        }
    }
    s.off_count = s.event_count - s.on_count;
    if s.event_count > 0 {
        s.t_min = Some(t_min);
        s.t_max = Some(t_max);
        s.t_first = s.first.first().map(|e| e.t_us);
        s.t_last = last.back().map(|e| e.t_us);
        s.x_max = Some(x_max);
        s.y_max = Some(y_max);
    }
    s.last = last.into_iter().collect();
    s.report = reader.report().clone();
    s.bytes = reader.bytes_read();
    s.geometry = reader.geometry().or(s.geometry);
    s.decode_s = start.elapsed().as_secs_f64();
    Ok(s)
}
