//! Prophesee EVT 2.1 (`.raw`): `% ` header lines, then 64-bit words, type =
//! bits 63..60: `0x0` EVT_NEG / `0x1` EVT_POS (timestamp low 6 bits =
//! 59..54, x = 53..43 (a multiple of 32), y = 42..32, bits 31..0 = validity
//! mask: an event at x + i for each set bit i), `0x8` EVT_TIME_HIGH (bits
//! 59..32 = timestamp bits 33..6), `0xA` EXT_TRIGGER, `0xE` OTHERS.
//!
//! Byte order: one little-endian 64-bit word, unless the header says
//! `endianness=legacy` (in the `% format` line or an `% endianness` line):
//! then the word arrives as two little-endian 32-bit halves, upper half
//! first (IMX636 / EVK4).

use super::bytes::ByteStream;
use super::evt2::{outside, TimeHigh, WordCounts};
use super::header::{read_lines, value};
use super::sensors::prophesee_geometry;
use super::{CameraEvent, EventFileError, EventReader, Format};

/// Streaming EVT 2.1 reader.
pub struct Evt21Reader {
    src: ByteStream,
    geometry: Option<(u32, u32)>,
    legacy: bool,
    time: TimeHigh,
}

impl Evt21Reader {
    pub(crate) fn new(mut src: ByteStream) -> Result<Self, EventFileError> {
        let lines = read_lines(&mut src, b'%', Some("end"), false)?;
        let legacy = value(&lines, "format").is_some_and(|f| {
            f.to_ascii_lowercase()
                .replace(' ', "")
                .contains("endianness=legacy")
        }) || value(&lines, "endianness")
            .is_some_and(|e| e.eq_ignore_ascii_case("legacy"));
        Ok(Evt21Reader {
            src,
            geometry: prophesee_geometry(&lines),
            legacy,
            time: TimeHigh::new(28, 6),
        })
    }
}

impl EventReader for Evt21Reader {
    fn format(&self) -> Format {
        Format::Evt21
    }

    fn geometry(&self) -> Option<(u32, u32)> {
        self.geometry
    }

    fn next_chunk(&mut self, out: &mut Vec<CameraEvent>) -> Result<bool, EventFileError> {
        let (w, h) = self.geometry.unwrap_or((u32::MAX, u32::MAX));
        let (legacy, time) = (self.legacy, &mut self.time);
        self.src.records(8, "word", out, |block, dmg, out| {
            let mut c = WordCounts::default();
            out.reserve(block.len() / 8);
            // The time base in a local: it changes only at TIME_HIGH words.
            let mut base = time.base;
            for (k, b) in block.chunks_exact(8).enumerate() {
                let word = u64::from_le_bytes(b.try_into().expect("8 bytes"));
                // Legacy order: the upper 32-bit half first.
                let word = if legacy { word.rotate_left(32) } else { word };
                let kind = word >> 60;
                if kind <= 0x1 {
                    let Some(base) = base else {
                        c.early += 1;
                        continue;
                    };
                    let t = base + ((word >> 54) & 0x3F) as i64;
                    let x0 = ((word >> 43) & 0x7FF) as u32;
                    let y = ((word >> 32) & 0x7FF) as u32;
                    let mut mask = word as u32;
                    while mask != 0 {
                        let i = mask.trailing_zeros();
                        mask &= mask - 1;
                        let x = x0 + i;
                        if x < w && y < h {
                            out.push(CameraEvent {
                                t_us: t,
                                x: x as u16,
                                y: y as u16,
                                on: kind == 1,
                            });
                        } else {
                            outside(dmg, (k * 8, 8), "event", (x, y), (w, h))?;
                        }
                    }
                    continue;
                }
                match kind {
                    0x8 => {
                        base = Some(time.set((word >> 32) & 0x0FFF_FFFF));
                        c.time += 1;
                    }
                    0xA => c.trigger += 1,
                    0xE | 0xF => c.other += 1,
                    t => dmg.damage(k * 8, 8, format!("unknown EVT 2.1 word type {t:#x}"))?,
                }
            }
            c.report(dmg, "time_high");
            Ok(())
        })
    }

    stream_accounting!();
}
