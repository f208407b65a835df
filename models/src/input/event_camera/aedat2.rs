//! jAER AEDAT 2.0 (`.aedat`): `#` header lines (the first `#!AER-DAT2.0`,
//! the chip class in `# AEChip: ...`), then 8-byte big-endian records
//! `int32 address, int32 timestamp` (µs, unwrapped past 2^32).
//!
//! Address layouts:
//! - DAVIS (default): bit 31 set = APS or IMU sample (skipped); bit 10 set =
//!   external/special event (skipped); else y = bits 30..22, x = bits 21..12,
//!   polarity = bit 11 (1 = ON).
//! - DVS128 (chip class names DVS128): bit 15 = external event (skipped);
//!   y = bits 14..8, x = bits 7..1, polarity = bit 0 (1 = ON).
//!
//! Coordinates are raw (jAER's origin is the lower-left corner).

use super::bytes::ByteStream;
use super::header::{read_lines, value};
use super::sensors::inivation_geometry;
use super::{CameraEvent, EventFileError, EventReader, Format};

const RECORD: usize = 8;

/// Which address layout the chip class uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// DAVIS cameras (and the default for unknown chips).
    Davis,
    /// The original DVS128.
    Dvs128,
}

/// Streaming AEDAT 2.0 reader.
pub struct Aedat2Reader {
    src: ByteStream,
    layout: Layout,
    geometry: Option<(u32, u32)>,
    clock: Unwrap32,
}

impl Aedat2Reader {
    pub(crate) fn new(mut src: ByteStream) -> Result<Self, EventFileError> {
        let lines = read_lines(&mut src, b'#', None, true)?;
        if !lines.first().is_some_and(|l| l.starts_with("!AER-DAT2")) {
            return Err(src.error(0, "not an AEDAT 2.0 file: no `#!AER-DAT2.0` first line"));
        }
        let chip = value(&lines, "AEChip").unwrap_or("");
        let layout = if chip.to_ascii_uppercase().contains("DVS128") {
            Layout::Dvs128
        } else {
            Layout::Davis
        };
        Ok(Aedat2Reader {
            src,
            layout,
            geometry: inivation_geometry(chip),
            clock: Unwrap32::default(),
        })
    }

    /// The address layout in use.
    pub fn layout(&self) -> Layout {
        self.layout
    }
}

/// Unwraps a 32-bit microsecond counter: a drop by more than half the
/// range is a wrap.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Unwrap32 {
    last: u32,
    high: i64,
}

impl Unwrap32 {
    pub(crate) fn next(&mut self, ts: u32) -> i64 {
        if ts < self.last && self.last - ts > 1 << 31 {
            self.high += 1 << 32;
        }
        self.last = ts;
        self.high + i64::from(ts)
    }
}

impl EventReader for Aedat2Reader {
    fn format(&self) -> Format {
        Format::Aedat2
    }

    fn geometry(&self) -> Option<(u32, u32)> {
        self.geometry
    }

    fn next_chunk(&mut self, out: &mut Vec<CameraEvent>) -> Result<bool, EventFileError> {
        let (layout, clock) = (self.layout, &mut self.clock);
        // Beyond the chip's sensor: a damaged record, not an event.
        let (w, h) = self.geometry.unwrap_or((u32::MAX, u32::MAX));
        self.src.records(RECORD, "record", out, |block, dmg, out| {
            let (mut other, mut special) = (0, 0);
            for (i, r) in block.chunks_exact(RECORD).enumerate() {
                let a = u32::from_be_bytes([r[0], r[1], r[2], r[3]]);
                let t = clock.next(u32::from_be_bytes([r[4], r[5], r[6], r[7]]));
                match layout {
                    Layout::Davis => {
                        if a & (1 << 31) != 0 {
                            other += 1;
                        } else if a & (1 << 10) != 0 {
                            special += 1;
                        } else {
                            out.push(CameraEvent {
                                t_us: t,
                                x: ((a >> 12) & 0x3FF) as u16,
                                y: ((a >> 22) & 0x1FF) as u16,
                                on: a & (1 << 11) != 0,
                            });
                        }
                    }
                    Layout::Dvs128 => {
                        if a & (1 << 15) != 0 {
                            special += 1;
                        } else {
                            out.push(CameraEvent {
                                t_us: t,
                                x: ((a >> 1) & 0x7F) as u16,
                                y: ((a >> 8) & 0x7F) as u16,
                                on: a & 1 != 0,
                            });
                        }
                    }
                }
                if let Some(e) = out
                    .last()
                    .filter(|e| u32::from(e.x) >= w || u32::from(e.y) >= h)
                {
                    let m = format!("event at ({}, {}) outside the {w}x{h} sensor", e.x, e.y);
                    out.pop();
                    dmg.damage(i * RECORD, RECORD as u64, m)?;
                }
            }
            dmg.skip("aps_or_imu", other);
            dmg.skip("special", special);
            Ok(())
        })
    }

    stream_accounting!();
}
