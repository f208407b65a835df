//! Prophesee DAT (`.dat`): `% ` header lines (`% Date`, `% Version 2`,
//! optional `% Width`/`% Height`; older files begin `% Data file containing
//! <type> events.`), then (version ≥ 2) one byte event type (0x00 TD,
//! 0x0C CD) and one byte event size (8), then 8-byte events
//! `u32 LE t_us, u32 LE data`: x = bits 13..0, y = bits 27..14,
//! polarity = bits 31..28 (0 or 1). Timestamps unwrap past 2^32.

use super::aedat2::Unwrap32;
use super::bytes::ByteStream;
use super::header::{read_lines, value};
use super::sensors::prophesee_geometry;
use super::{CameraEvent, EventFileError, EventReader, Format};

const RECORD: usize = 8;

/// Streaming DAT reader.
pub struct DatReader {
    src: ByteStream,
    geometry: Option<(u32, u32)>,
    clock: Unwrap32,
}

impl DatReader {
    pub(crate) fn new(mut src: ByteStream) -> Result<Self, EventFileError> {
        let lines = read_lines(&mut src, b'%', None, false)?;
        let version: u32 = value(&lines, "Version")
            .and_then(|v| v.parse().ok())
            .unwrap_or(1);
        if version >= 2 {
            let at = src.offset();
            let Some(b) = src.take(2)? else {
                return Err(src.error(at, "truncated: no event type / size bytes after the header"));
            };
            let (kind, size) = (b[0], b[1]);
            if size as usize != RECORD {
                return Err(src.error(
                    at + 1,
                    format!("event size {size} not supported (type {kind:#04x}; only 8-byte TD/CD events)"),
                ));
            }
        }
        Ok(DatReader {
            src,
            geometry: prophesee_geometry(&lines),
            clock: Unwrap32::default(),
        })
    }
}

impl EventReader for DatReader {
    fn format(&self) -> Format {
        Format::Dat
    }

    fn geometry(&self) -> Option<(u32, u32)> {
        self.geometry
    }

    fn next_chunk(&mut self, out: &mut Vec<CameraEvent>) -> Result<bool, EventFileError> {
        let (w, h) = self.geometry.unwrap_or((u32::MAX, u32::MAX));
        let clock = &mut self.clock;
        self.src.records(RECORD, "event", out, |block, dmg, out| {
            for (k, r) in block.chunks_exact(RECORD).enumerate() {
                let t = clock.next(u32::from_le_bytes([r[0], r[1], r[2], r[3]]));
                let d = u32::from_le_bytes([r[4], r[5], r[6], r[7]]);
                let (x, y, p) = (d & 0x3FFF, (d >> 14) & 0x3FFF, d >> 28);
                if p > 1 || x >= w || y >= h {
                    dmg.damage(
                        k * RECORD,
                        RECORD as u64,
                        format!("corrupt event: x {x}, y {y}, polarity {p} (sensor {w}x{h})"),
                    )?;
                    continue;
                }
                out.push(CameraEvent {
                    t_us: t,
                    x: x as u16,
                    y: y as u16,
                    on: p == 1,
                });
            }
            Ok(())
        })
    }

    stream_accounting!();
}
