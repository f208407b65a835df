//! AEDAT 3.1: `#` header lines (`#!AER-DAT3.1` first, `#Source <id>: <device>`,
//! ..., `#!END-HEADER`), then packets. All little-endian. A packet is a
//! 28-byte header `i16 eventType, i16 eventSource, i32 eventSize,
//! i32 eventTSOffset, i32 eventTSOverflow, i32 eventCapacity,
//! i32 eventNumber, i32 eventValid` and `eventCapacity * eventSize` bytes.
//! Polarity events (type 1, 8 bytes): `u32 data` (bit 0 valid, bit 1
//! polarity, y = bits 16..2, x = bits 31..17) and `i32 timestamp`; the time
//! is `eventTSOverflow << 31 | timestamp`. Invalid events and other packet
//! types (special, frame, IMU, ...) are skipped and counted.

use super::bytes::ByteStream;
use super::header::{read_lines, value};
use super::sensors::inivation_geometry;
use super::{CameraEvent, EventFileError, EventReader, Format};

const PACKET_HEADER: usize = 28;
const POLARITY: i16 = 1;
/// Largest packet accepted; anything bigger is taken as a corrupt header.
const MAX_PACKET: u64 = 1 << 28;

/// Streaming AEDAT 3.1 reader.
pub struct Aedat3Reader {
    src: ByteStream,
    geometry: Option<(u32, u32)>,
    /// Set after a damaged packet header in lenient mode: nothing after it
    /// can be trusted.
    stopped: bool,
}

impl Aedat3Reader {
    pub(crate) fn new(mut src: ByteStream) -> Result<Self, EventFileError> {
        let lines = read_lines(&mut src, b'#', Some("!END-HEADER"), true)?;
        if !lines.first().is_some_and(|l| l.starts_with("!AER-DAT3")) {
            return Err(src.error(0, "not an AEDAT 3.x file: no `#!AER-DAT3.1` first line"));
        }
        if !lines
            .last()
            .is_some_and(|l| l.eq_ignore_ascii_case("!END-HEADER"))
        {
            return Err(src.error(src.offset(), "AEDAT 3.1 header without `#!END-HEADER`"));
        }
        let geometry = lines
            .iter()
            .filter_map(|l| l.strip_prefix("Source"))
            .find_map(|s| s.split_once(':').and_then(|(_, d)| inivation_geometry(d)))
            .or_else(|| value(&lines, "Source").and_then(inivation_geometry));
        Ok(Aedat3Reader {
            src,
            geometry,
            stopped: false,
        })
    }
}

fn i16_at(b: &[u8], i: usize) -> i16 {
    i16::from_le_bytes([b[i], b[i + 1]])
}

fn i32_at(b: &[u8], i: usize) -> i32 {
    i32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

impl EventReader for Aedat3Reader {
    fn format(&self) -> Format {
        Format::Aedat3
    }

    fn geometry(&self) -> Option<(u32, u32)> {
        self.geometry
    }

    fn next_chunk(&mut self, out: &mut Vec<CameraEvent>) -> Result<bool, EventFileError> {
        out.clear();
        while out.is_empty() {
            if self.stopped || self.src.exhausted()? {
                return Ok(false);
            }
            let at = self.src.offset();
            let Some(h) = self.src.take(PACKET_HEADER)? else {
                let n = self.src.data().len();
                self.src.consume(n);
                self.src.damage(
                    at,
                    n as u64,
                    format!("truncated packet header: {n} of {PACKET_HEADER} bytes"),
                )?;
                return Ok(false);
            };
            // libcaer's `caer_event_packet_header`: eventType @0,
            // eventSource @2, eventSize @4, eventTSOffset @8,
            // eventTSOverflow @12, eventCapacity @16, eventNumber @20,
            // eventValid @24. The payload holds `capacity` slots, the first
            // `number` of them events (valid or not).
            let (kind, size, overflow, capacity, number, valid) = (
                i16_at(h, 0),
                i32_at(h, 4),
                i32_at(h, 12),
                i32_at(h, 16),
                i32_at(h, 20),
                i32_at(h, 24),
            );
            let payload = i64::from(capacity) * i64::from(size);
            let bad = if size <= 0 {
                Some(format!("eventSize {size} must be > 0"))
            } else if capacity < 0 || number < 0 || number > capacity || valid < 0 || valid > number
            {
                Some(format!(
                    "eventValid {valid} / eventNumber {number} / eventCapacity {capacity} inconsistent"
                ))
            } else if payload as u64 > MAX_PACKET {
                Some(format!("packet of {payload} bytes is implausibly large"))
            } else if kind == POLARITY && size != 8 {
                Some(format!("polarity events of {size} bytes (expected 8)"))
            } else if overflow < 0 {
                Some(format!("negative eventTSOverflow {overflow}"))
            } else {
                None
            };
            if let Some(what) = bad {
                self.stopped = true;
                let rest = self.remaining()?;
                self.src.damage(
                    at,
                    rest + PACKET_HEADER as u64,
                    format!("corrupt packet header: {what}"),
                )?;
                return Ok(false);
            }
            let payload = payload as usize;
            self.src.fill(payload)?;
            if self.src.data().len() < payload {
                let n = self.src.data().len();
                self.src.consume(n);
                self.stopped = true;
                self.src.damage(
                    at,
                    (n + PACKET_HEADER) as u64,
                    format!("truncated packet: {n} of {payload} payload bytes"),
                )?;
                return Ok(false);
            }
            let (data, mut dmg) = self.src.view();
            let body = &data[..payload];
            if kind != POLARITY {
                dmg.skip(packet_kind(kind), number as u64);
            } else {
                let high = i64::from(overflow) << 31;
                let mut invalid = 0;
                for e in body[..number as usize * 8].chunks_exact(8) {
                    let d = u32::from_le_bytes([e[0], e[1], e[2], e[3]]);
                    if d & 1 == 0 {
                        invalid += 1;
                        continue;
                    }
                    let ts = i32_at(e, 4);
                    out.push(CameraEvent {
                        t_us: high | i64::from(ts & i32::MAX),
                        x: ((d >> 17) & 0x7FFF) as u16,
                        y: ((d >> 2) & 0x7FFF) as u16,
                        on: d & 2 != 0,
                    });
                }
                dmg.skip("invalid_event", invalid);
            }
            self.src.consume(payload);
        }
        Ok(true)
    }

    stream_accounting!();
}

impl Aedat3Reader {
    /// Consume and count the rest of the file.
    fn remaining(&mut self) -> Result<u64, EventFileError> {
        let mut n = 0u64;
        loop {
            self.src.fill(1 << 20)?;
            let k = self.src.data().len();
            if k == 0 {
                return Ok(n);
            }
            n += k as u64;
            self.src.consume(k);
        }
    }
}

fn packet_kind(kind: i16) -> &'static str {
    match kind {
        0 => "special",
        2 => "frame",
        3 => "imu6",
        4 => "imu9",
        5 => "sample",
        6 => "ear",
        7 => "config",
        8 => "point1d",
        9 => "point2d",
        10 => "point3d",
        11 => "point4d",
        12 => "spike",
        _ => "unknown_packet",
    }
}
