//! Event Stream (`.es`, neuromorphic-systems' `sepia`): `Event Stream`,
//! version bytes (major 2), a type byte (1 = DVS; generic, ATIS and color
//! streams are not replayed), `u16 LE width, u16 LE height`, then events:
//! byte 0 `0xFF` = overflow (t += 127 µs, no event), `0xFE` = reset (no
//! event), otherwise `dt << 1 | on` (dt µs since the previous event)
//! followed by `u16 LE x, u16 LE y`. y is kept as stored (origin bottom-left).

use super::bytes::{ByteStream, BLOCK};
use super::{CameraEvent, EventFileError, EventReader, Format, CHUNK_EVENTS};

/// The bytes of a chunk's events (5 each) read at most at once.
const CHUNK_BYTES: usize = CHUNK_EVENTS * 5;

/// Streaming Event Stream (DVS) reader.
pub struct EventStreamReader {
    src: ByteStream,
    geometry: (u32, u32),
    t: i64,
}

impl EventStreamReader {
    pub(crate) fn new(mut src: ByteStream) -> Result<Self, EventFileError> {
        let Some(h) = src.take(16)?.map(<[u8]>::to_vec) else {
            return Err(src.error(0, "truncated Event Stream header"));
        };
        if &h[..12] != b"Event Stream" {
            return Err(src.error(0, "not an Event Stream file (no `Event Stream` magic)"));
        }
        if h[12] != 2 {
            return Err(src.error(
                12,
                format!(
                    "Event Stream version {}.{}.{} not supported (2.x only)",
                    h[12], h[13], h[14]
                ),
            ));
        }
        let name = match h[15] {
            0 => "generic",
            1 => "dvs",
            2 => "atis",
            4 => "color",
            _ => "unknown",
        };
        if h[15] != 1 {
            return Err(src.error(
                15,
                format!(
                    "Event Stream type {} ({name}) not supported (DVS only)",
                    h[15]
                ),
            ));
        }
        let Some(g) = src.take(4)? else {
            return Err(src.error(16, "truncated Event Stream header (no width/height)"));
        };
        let geometry = (
            u32::from(u16::from_le_bytes([g[0], g[1]])),
            u32::from(u16::from_le_bytes([g[2], g[3]])),
        );
        Ok(EventStreamReader {
            src,
            geometry,
            t: 0,
        })
    }
}

impl EventReader for EventStreamReader {
    fn format(&self) -> Format {
        Format::EventStream
    }

    fn geometry(&self) -> Option<(u32, u32)> {
        Some(self.geometry)
    }

    fn next_chunk(&mut self, out: &mut Vec<CameraEvent>) -> Result<bool, EventFileError> {
        out.clear();
        let (w, h) = self.geometry;
        loop {
            self.src.fill(BLOCK.min(CHUNK_BYTES))?;
            let eof = self.src.at_eof();
            let (data, mut dmg) = self.src.view();
            if data.is_empty() {
                return Ok(false);
            }
            let (mut i, mut overflow, mut reset) = (0, 0, 0);
            // At most a chunk's events at once, however much is buffered.
            let end = data.len().min(CHUNK_BYTES);
            while i < end {
                match data[i] {
                    0xFF => {
                        self.t += 127;
                        overflow += 1;
                        i += 1;
                    }
                    0xFE => {
                        reset += 1;
                        i += 1;
                    }
                    b => {
                        let Some(e) = data.get(i..i + 5) else { break };
                        self.t += i64::from(b >> 1);
                        let x = u16::from_le_bytes([e[1], e[2]]);
                        let y = u16::from_le_bytes([e[3], e[4]]);
                        if u32::from(x) >= w || u32::from(y) >= h {
                            dmg.damage(
                                i,
                                5,
                                format!("event at ({x}, {y}) outside the {w}x{h} sensor"),
                            )?;
                        } else {
                            out.push(CameraEvent {
                                t_us: self.t,
                                x,
                                y,
                                on: b & 1 != 0,
                            });
                        }
                        i += 5;
                    }
                }
            }
            dmg.skip("overflow", overflow);
            dmg.skip("reset", reset);
            if i == 0 && eof {
                let n = data.len();
                dmg.damage(
                    0,
                    n as u64,
                    format!("truncated event: {n} of 5 bytes at the end"),
                )?;
                i = n;
            }
            self.src.consume(i);
            if !out.is_empty() {
                return Ok(true);
            }
        }
    }

    stream_accounting!();
}
