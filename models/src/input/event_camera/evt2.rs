//! Prophesee EVT 2.0 (`.raw`): `% ` header lines (ending at `% end` when
//! present), then 32-bit little-endian words, type = bits 31..28:
//! `0x0` CD_OFF / `0x1` CD_ON (timestamp low 6 bits = 27..22, x = 21..11,
//! y = 10..0), `0x8` EVT_TIME_HIGH (bits 27..0 = timestamp bits 33..6),
//! `0xA` EXT_TRIGGER, `0xE` OTHERS, `0xF` CONTINUED (skipped and counted).
//! As in Prophesee's reference decoder (OpenEB
//! `metavision_evt2_raw_file_decoder`), words before the first TIME_HIGH
//! are dropped and a TIME_HIGH that falls back by (almost) the whole 34-bit
//! range counts as a wrap.

use super::bytes::{ByteStream, Damage};
use super::header::read_lines;
use super::sensors::prophesee_geometry;
use super::{CameraEvent, EventFileError, EventReader, Format};

/// A time-high counter that unwraps like the reference decoders: `bits` of
/// time high above `shift` bits of time low.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TimeHigh {
    shift: u32,
    bits: u32,
    /// Current base (unwrapped), `None` before the first TIME_HIGH.
    pub base: Option<i64>,
    loops: i64,
}

impl TimeHigh {
    pub(crate) fn new(bits: u32, shift: u32) -> Self {
        TimeHigh {
            shift,
            bits,
            base: None,
            loops: 0,
        }
    }

    /// Apply a TIME_HIGH word's value; returns the new base.
    pub(crate) fn set(&mut self, value: u64) -> i64 {
        let max_base = ((1i64 << self.bits) - 1) << self.shift;
        let time_loop = max_base + (1 << self.shift);
        let threshold = 10i64 << self.shift;
        let mut new = ((value as i64) << self.shift) + self.loops * time_loop;
        if let Some(cur) = self.base {
            if cur > new && cur - new >= max_base - threshold {
                new += time_loop;
                self.loops += 1;
            }
        }
        self.base = Some(new);
        new
    }
}

/// Non-event words of the Prophesee formats, counted per decoded block.
#[derive(Default)]
pub(crate) struct WordCounts {
    /// Before the first TIME_HIGH (dropped, as the reference decoder does).
    pub early: u64,
    /// Time words.
    pub time: u64,
    /// EM events (EVT 3).
    pub em: u64,
    /// External triggers.
    pub trigger: u64,
    /// OTHERS / CONTINUED words.
    pub other: u64,
}

impl WordCounts {
    /// Add to the reader's report; `time` names the time words counted.
    pub(crate) fn report(&self, dmg: &mut Damage<'_>, time: &'static str) {
        dmg.skip("before_first_time_high", self.early);
        dmg.skip(time, self.time);
        dmg.skip("em_event", self.em);
        dmg.skip("trigger", self.trigger);
        dmg.skip("other", self.other);
    }
}

/// Streaming EVT 2.0 reader.
pub struct Evt2Reader {
    src: ByteStream,
    geometry: Option<(u32, u32)>,
    time: TimeHigh,
}

impl Evt2Reader {
    pub(crate) fn new(mut src: ByteStream) -> Result<Self, EventFileError> {
        let lines = read_lines(&mut src, b'%', Some("end"), false)?;
        Ok(Evt2Reader {
            src,
            geometry: prophesee_geometry(&lines),
            time: TimeHigh::new(28, 6),
        })
    }
}

/// Damage: `what` (an event, a vector event) at `(x, y)` outside the sensor,
/// in the word at `offset` of `bytes` bytes. Rare: kept out of the decoding
/// loops.
#[cold]
pub(crate) fn outside(
    dmg: &mut Damage<'_>,
    (offset, bytes): (usize, u64),
    what: &str,
    (x, y): (u32, u32),
    (w, h): (u32, u32),
) -> Result<(), EventFileError> {
    dmg.damage(
        offset,
        bytes,
        format!("{what} at ({x}, {y}) outside the {w}x{h} sensor"),
    )
}

impl EventReader for Evt2Reader {
    fn format(&self) -> Format {
        Format::Evt2
    }

    fn geometry(&self) -> Option<(u32, u32)> {
        self.geometry
    }

    fn next_chunk(&mut self, out: &mut Vec<CameraEvent>) -> Result<bool, EventFileError> {
        let (w, h) = self.geometry.unwrap_or((u32::MAX, u32::MAX));
        let time = &mut self.time;
        self.src.records(4, "word", out, |block, dmg, out| {
            let mut c = WordCounts::default();
            out.reserve(block.len() / 4);
            // The time base in a local: it changes only at TIME_HIGH words.
            let mut base = time.base;
            for (k, b) in block.chunks_exact(4).enumerate() {
                let word = u32::from_le_bytes(b.try_into().expect("4 bytes"));
                let kind = word >> 28;
                if kind <= 0x1 {
                    let Some(base) = base else {
                        c.early += 1;
                        continue;
                    };
                    let x = (word >> 11) & 0x7FF;
                    let y = word & 0x7FF;
                    if x < w && y < h {
                        out.push(CameraEvent {
                            t_us: base + i64::from((word >> 22) & 0x3F),
                            x: x as u16,
                            y: y as u16,
                            on: kind == 1,
                        });
                    } else {
                        outside(dmg, (k * 4, 4), "event", (x, y), (w, h))?;
                    }
                    continue;
                }
                match kind {
                    0x8 => {
                        base = Some(time.set(u64::from(word & 0x0FFF_FFFF)));
                        c.time += 1;
                    }
                    0xA => c.trigger += 1,
                    0xE | 0xF => c.other += 1,
                    t => dmg.damage(k * 4, 4, format!("unknown EVT 2.0 word type {t:#x}"))?,
                }
            }
            c.report(dmg, "time_high");
            Ok(())
        })
    }

    stream_accounting!();
}

#[cfg(test)]
mod tests {
    use super::TimeHigh;

    #[test]
    fn time_high_unwraps_like_the_reference_decoder() {
        // EVT 3: 12-bit time high above 12 bits of time low (wraps at 2^24 µs).
        let mut t = TimeHigh::new(12, 12);
        assert_eq!(t.set(4094), 4094 << 12);
        assert_eq!(t.set(4095), 4095 << 12);
        assert_eq!(t.set(0), 1 << 24, "a full drop is a wrap");
        assert_eq!(t.set(1), (1 << 24) + 4096);
        // A small step back (transmission error) is not a wrap.
        assert_eq!(t.set(0), 1 << 24);
        // EVT 2: 28 bits above 6.
        let mut t = TimeHigh::new(28, 6);
        t.set((1 << 28) - 1);
        assert_eq!(t.set(3), (1i64 << 34) + (3 << 6));
    }
}
