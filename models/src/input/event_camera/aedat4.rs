//! AEDAT 4.0 (`.aedat4`, iniVation DV): `#!AER-DAT4.0\r\n`, an `i32` size and
//! the IOHeader flatbuffer (`compression` 0 none / 1–2 LZ4 / 3–4 ZSTD,
//! `dataTablePosition`, `infoNode` XML naming each stream's type), then
//! packets `i32 streamId, i32 size` + `size` bytes. A packet is one LZ4 or
//! ZSTD frame (or raw) holding a size-prefixed flatbuffer; event packets
//! (identifier `EVTS`) hold 16-byte `Event{i64 t_us, i16 x, i16 y, bool
//! polarity}` structs. Frame, IMU and trigger packets are skipped by stream
//! id and counted; the optional file data table at `dataTablePosition`
//! ends the packets. Timestamps are Unix-epoch microseconds.

use std::io::Read;

use super::bytes::ByteStream;
use super::flatbuffer::{u32_at, Table};
use super::{CameraEvent, EventFileError, EventReader, Format};

const MAGIC: &[u8] = b"#!AER-DAT4.0\r\n";
/// Largest (compressed or decompressed) packet accepted.
const MAX_PACKET: usize = 1 << 30;
const EVENT: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compression {
    None,
    Lz4,
    Zstd,
}

/// What a stream carries, from the info node.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stream {
    id: i32,
    kind: String,
    size: Option<(u32, u32)>,
}

/// Streaming AEDAT 4 reader.
pub struct Aedat4Reader {
    src: ByteStream,
    compression: Compression,
    data_table: Option<u64>,
    streams: Vec<Stream>,
    /// Decompressed packet (reused).
    unpacked: Vec<u8>,
    done: bool,
}

impl Aedat4Reader {
    pub(crate) fn new(mut src: ByteStream) -> Result<Self, EventFileError> {
        let magic = src.take(MAGIC.len())?.map(<[u8]>::to_vec);
        if magic.as_deref() != Some(MAGIC) {
            return Err(src.error(0, "not an AEDAT 4.0 file: no `#!AER-DAT4.0` line"));
        }
        let at = src.offset();
        let size = match src.take(4)? {
            Some(b) => i32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            None => return Err(src.error(at, "truncated: no IOHeader size")),
        };
        if size <= 0 || size as usize > MAX_PACKET {
            return Err(src.error(at, format!("IOHeader size {size} is invalid")));
        }
        let at = src.offset();
        let header = match src.take(size as usize)? {
            Some(b) => b.to_vec(),
            None => {
                return Err(src.error(at, format!("truncated IOHeader ({size} bytes expected)")))
            }
        };
        let bad = |what: &str| src.error(at, format!("malformed IOHeader flatbuffer: {what}"));
        if Table::identifier(&header) != Some(b"IOHE") {
            return Err(bad("identifier is not IOHE"));
        }
        let root = Table::root(&header).ok_or_else(|| bad("root table out of bounds"))?;
        let compression = match root.i32(0, 0).ok_or_else(|| bad("compression field"))? {
            0 => Compression::None,
            1 | 2 => Compression::Lz4,
            3 | 4 => Compression::Zstd,
            c => return Err(bad(&format!("unknown compression {c}"))),
        };
        let table = root
            .i64(1, -1)
            .ok_or_else(|| bad("dataTablePosition field"))?;
        let info = root
            .string(2)
            .ok_or_else(|| bad("infoNode field"))?
            .unwrap_or("");
        Ok(Aedat4Reader {
            src,
            compression,
            data_table: u64::try_from(table).ok(),
            streams: parse_streams(info),
            unpacked: Vec::new(),
            done: false,
        })
    }

    fn stream(&self, id: i32) -> Option<&Stream> {
        self.streams.iter().find(|s| s.id == id)
    }
}

/// Decompress `packet` into `out` (not called for uncompressed files);
/// `Err` says why not.
fn unpack(compression: Compression, packet: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    out.clear();
    let limit = MAX_PACKET as u64;
    let r = match compression {
        Compression::None => return Ok(()),
        Compression::Lz4 => lz4_flex::frame::FrameDecoder::new(packet)
            .take(limit)
            .read_to_end(out),
        Compression::Zstd => zstd::stream::read::Decoder::with_buffer(packet)
            .and_then(|d| d.take(limit).read_to_end(out)),
    };
    r.map(|_| ())
        .map_err(|e| format!("cannot decompress packet: {e}"))
}

/// Stream ids, types and sizes from the info node XML: each output is a
/// `<node name="<id>">` with `typeIdentifier` and (in its `info` child)
/// `sizeX`/`sizeY` attributes.
fn parse_streams(xml: &str) -> Vec<Stream> {
    let mut streams: Vec<Stream> = Vec::new();
    let mut current: Option<usize> = None;
    let mut size = (None, None);
    for piece in xml.split('<').skip(1) {
        if let Some(rest) = piece.strip_prefix("node name=\"") {
            let name = rest.split('"').next().unwrap_or("");
            if let Ok(id) = name.parse::<i32>() {
                streams.push(Stream {
                    id,
                    kind: String::new(),
                    size: None,
                });
                current = Some(streams.len() - 1);
                size = (None, None);
            }
        } else if let (Some(rest), Some(c)) = (piece.strip_prefix("attr key=\""), current) {
            let key = rest.split('"').next().unwrap_or("");
            let val = rest.split_once('>').map(|(_, v)| v.trim()).unwrap_or("");
            match key {
                "typeIdentifier" => streams[c].kind = val.to_string(),
                "sizeX" => size.0 = val.parse().ok(),
                "sizeY" => size.1 = val.parse().ok(),
                _ => {}
            }
            if let (Some(w), Some(h)) = size {
                streams[c].size = Some((w, h));
            }
        }
    }
    streams
}

fn kind_name(kind: &str) -> &'static str {
    match kind {
        "FRME" => "frame_packet",
        "IMUS" => "imu_packet",
        "TRIG" => "trigger_packet",
        _ => "other_packet",
    }
}

impl EventReader for Aedat4Reader {
    fn format(&self) -> Format {
        Format::Aedat4
    }

    fn geometry(&self) -> Option<(u32, u32)> {
        self.streams
            .iter()
            .find(|s| s.kind == "EVTS")
            .and_then(|s| s.size)
    }

    fn next_chunk(&mut self, out: &mut Vec<CameraEvent>) -> Result<bool, EventFileError> {
        out.clear();
        while out.is_empty() {
            if self.done || self.src.exhausted()? {
                return Ok(false);
            }
            let at = self.src.offset();
            if self.data_table.is_some_and(|t| at >= t) {
                // The file data table (a packet index) ends the data.
                self.done = true;
                return Ok(false);
            }
            let Some(h) = self.src.take(8)? else {
                let n = self.src.data().len();
                self.src.consume(n);
                self.src.damage(
                    at,
                    n as u64,
                    format!("truncated packet header: {n} of 8 bytes"),
                )?;
                return Ok(false);
            };
            let id = i32::from_le_bytes([h[0], h[1], h[2], h[3]]);
            let size = i32::from_le_bytes([h[4], h[5], h[6], h[7]]);
            if size < 0 || size as usize > MAX_PACKET {
                self.done = true;
                self.src
                    .damage(at, 8, format!("corrupt packet header: size {size}"))?;
                return Ok(false);
            }
            let size = size as usize;
            self.src.fill(size)?;
            if self.src.data().len() < size {
                let n = self.src.data().len();
                self.src.consume(n);
                self.done = true;
                self.src.damage(
                    at,
                    (n + 8) as u64,
                    format!("truncated packet of stream {id}: {n} of {size} bytes"),
                )?;
                return Ok(false);
            }
            if let Some(kind) = self
                .stream(id)
                .filter(|s| s.kind != "EVTS")
                .map(|s| kind_name(&s.kind))
            {
                self.src.consume(size);
                self.src.report_mut().skip(kind, 1);
                continue;
            }
            // Decode straight from the read buffer (decompressing if needed).
            let sensor = self.geometry();
            let packet = &self.src.data()[..size];
            let decoded = if self.compression == Compression::None {
                decode_events(packet, sensor, out).map_err(|what| format!("stream {id}: {what}"))
            } else {
                unpack(self.compression, packet, &mut self.unpacked).and_then(|()| {
                    decode_events(&self.unpacked, sensor, out)
                        .map_err(|what| format!("stream {id}: {what}"))
                })
            };
            self.src.consume(size);
            match decoded {
                Ok(true) => {}
                Ok(false) => {
                    // Not an event packet (no info node to tell us before).
                    self.src.report_mut().skip("other_packet", 1);
                }
                Err(what) => {
                    out.clear();
                    self.src.damage(at, (size + 8) as u64, what)?;
                }
            }
        }
        Ok(true)
    }

    stream_accounting!();
}

/// Append the events of a size-prefixed `EVTS` flatbuffer; `Ok(false)` if the
/// buffer is another type. An event outside `sensor` (width, height) makes
/// the packet damaged.
fn decode_events(
    buf: &[u8],
    sensor: Option<(u32, u32)>,
    out: &mut Vec<CameraEvent>,
) -> Result<bool, String> {
    let (w, h) = sensor.unwrap_or((u32::MAX, u32::MAX));
    let prefix = u32_at(buf, 0).ok_or("packet shorter than its size prefix")? as usize;
    let fb = buf
        .get(4..4usize.saturating_add(prefix))
        .ok_or("size prefix larger than the packet")?;
    match Table::identifier(fb) {
        Some(b"EVTS") => {}
        Some(_) => return Ok(false),
        None => return Err("packet too short for a flatbuffer".into()),
    }
    let root = Table::root(fb).ok_or("event table out of bounds")?;
    let Some((start, n)) = root.vector(0).ok_or("malformed event vector")? else {
        return Ok(true);
    };
    let end = n
        .checked_mul(EVENT)
        .and_then(|b| b.checked_add(start))
        .filter(|&e| e <= fb.len())
        .ok_or("event vector runs past the packet")?;
    out.reserve(n);
    for e in fb[start..end].chunks_exact(EVENT) {
        let t = i64::from_le_bytes(e[0..8].try_into().expect("8 bytes"));
        let x = i16::from_le_bytes([e[8], e[9]]);
        let y = i16::from_le_bytes([e[10], e[11]]);
        if x < 0 || y < 0 || x as u32 >= w || y as u32 >= h {
            return Err(format!("event at ({x}, {y}) outside the {w}x{h} sensor"));
        }
        out.push(CameraEvent {
            t_us: t,
            x: x as u16,
            y: y as u16,
            on: e[12] != 0,
        });
    }
    Ok(true)
}
