//! Prophesee EVT 3.0 (`.raw`): `% ` header lines, then 16-bit little-endian
//! words, type = bits 15..12:
//! `0x0` EVT_ADDR_Y (y = 10..0; CD events follow), `0x1` EM_ADDR_Y (EM
//! events follow: not decoded, counted), `0x2` EVT_ADDR_X (one event at x =
//! 10..0, polarity = bit 11), `0x3` VECT_BASE_X (base x and polarity for
//! vectors), `0x4` VECT_12 / `0x5` VECT_8 (an event at base + i for each set
//! bit i of the 12/8-bit mask, then base += 12/8), `0x6` EVT_TIME_LOW and
//! `0x8` EVT_TIME_HIGH (12 bits each: t = high << 12 | low), `0x7`
//! CONTINUED_4, `0xA` EXT_TRIGGER, `0xE` OTHERS, `0xF` CONTINUED_12
//! (skipped and counted).
//!
//! Time semantics follow Prophesee's reference decoder (OpenEB
//! `metavision_evt3_raw_file_decoder`): words before the first TIME_HIGH
//! are dropped; TIME_HIGH sets t = high << 12 (low part 0 until the next
//! TIME_LOW); TIME_LOW simply replaces the low part, even when it goes
//! backwards under an unchanged TIME_HIGH (no wrap is counted there); a
//! TIME_HIGH that falls back by (almost) the whole 24-bit range is a wrap.

use super::bytes::{ByteStream, Damage};
use super::evt2::{outside, TimeHigh, WordCounts};
use super::header::read_lines;
use super::sensors::prophesee_geometry;
use super::{CameraEvent, EventFileError, EventReader, Format};

/// Streaming EVT 3.0 reader.
pub struct Evt3Reader {
    src: ByteStream,
    geometry: Option<(u32, u32)>,
    state: State,
}

/// The decoder's registers, carried from word to word.
#[derive(Clone, Copy)]
struct State {
    high: TimeHigh,
    t: i64,
    y: u16,
    x_base: u16,
    on: bool,
    cd: bool,
}

impl Evt3Reader {
    pub(crate) fn new(mut src: ByteStream) -> Result<Self, EventFileError> {
        let lines = read_lines(&mut src, b'%', Some("end"), false)?;
        Ok(Evt3Reader {
            src,
            geometry: prophesee_geometry(&lines),
            state: State {
                high: TimeHigh::new(12, 12),
                t: 0,
                y: 0,
                x_base: 0,
                on: false,
                cd: true,
            },
        })
    }
}

impl EventReader for Evt3Reader {
    fn format(&self) -> Format {
        Format::Evt3
    }

    fn geometry(&self) -> Option<(u32, u32)> {
        self.geometry
    }

    fn next_chunk(&mut self, out: &mut Vec<CameraEvent>) -> Result<bool, EventFileError> {
        let (w, h) = self.geometry.unwrap_or((u32::MAX, u32::MAX));
        let st = &mut self.state;
        self.src.records(2, "word", out, |block, dmg, out| {
            let mut c = WordCounts::default();
            // A copy of the registers for the block, kept in registers
            // (through `st` every word's update went to memory: 9 % slower);
            // written back after it, also when damage ends the stream.
            let mut s = *st;
            let decoded = decode_block(block, &mut s, (w, h), &mut c, dmg, out);
            *st = s;
            decoded?;
            c.report(dmg, "time");
            Ok(())
        })
    }

    stream_accounting!();
}

/// Decode one block of whole words, appending its events to `out`.
fn decode_block(
    block: &[u8],
    st: &mut State,
    (w, h): (u32, u32),
    c: &mut WordCounts,
    dmg: &mut Damage<'_>,
    out: &mut Vec<CameraEvent>,
) -> Result<(), EventFileError> {
    out.reserve(block.len() / 2);
    for (k, b) in block.chunks_exact(2).enumerate() {
        let word = u16::from_le_bytes(b.try_into().expect("2 bytes"));
        let kind = word >> 12;
        if st.high.base.is_none() && kind != 0x8 {
            c.early += 1;
            continue;
        }
        match kind {
            0x0 => {
                st.y = word & 0x7FF;
                st.cd = true;
            }
            0x1 => st.cd = false,
            0x2 => {
                if !st.cd {
                    c.em += 1;
                    continue;
                }
                let x = word & 0x7FF;
                if u32::from(x) < w && u32::from(st.y) < h {
                    out.push(CameraEvent {
                        t_us: st.t,
                        x,
                        y: st.y,
                        on: word & 0x800 != 0,
                    });
                } else {
                    let at = (u32::from(x), u32::from(st.y));
                    outside(dmg, (k * 2, 2), "event", at, (w, h))?;
                }
            }
            0x3 => {
                st.x_base = word & 0x7FF;
                st.on = word & 0x800 != 0;
            }
            0x4 | 0x5 => {
                let (mask, n) = if kind == 0x4 {
                    (word & 0xFFF, 12)
                } else {
                    (word & 0xFF, 8)
                };
                if st.cd {
                    let mut m = mask;
                    while m != 0 {
                        let i = m.trailing_zeros() as u16;
                        m &= m - 1;
                        let x = st.x_base.wrapping_add(i);
                        if u32::from(x) < w && u32::from(st.y) < h {
                            out.push(CameraEvent {
                                t_us: st.t,
                                x,
                                y: st.y,
                                on: st.on,
                            });
                        } else {
                            let at = (u32::from(x), u32::from(st.y));
                            outside(dmg, (k * 2, 2), "vector event", at, (w, h))?;
                        }
                    }
                } else {
                    c.em += u64::from(mask.count_ones());
                }
                st.x_base = st.x_base.wrapping_add(n);
            }
            0x6 => {
                st.t = st.high.base.unwrap_or(0) + i64::from(word & 0xFFF);
                c.time += 1;
            }
            0x8 => {
                st.t = st.high.set(u64::from(word & 0xFFF));
                c.time += 1;
            }
            0xA => c.trigger += 1,
            0x7 | 0xE | 0xF => c.other += 1,
            t => dmg.damage(k * 2, 2, format!("unknown EVT 3.0 word type {t:#x}"))?,
        }
    }
    Ok(())
}
