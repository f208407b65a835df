//! Event-camera recordings: streaming readers for the common file formats,
//! and their replay into networks as input spikes.
//!
//! Every reader yields [`CameraEvent`]s — `(t_us, x, y, on)` exactly as the
//! file encodes them (timestamps never re-zeroed, coordinates never flipped)
//! — in file order, a chunk at a time, in bounded memory. Open a file with
//! [`open`]; the format is sniffed from magic bytes and headers
//! ([`sniff`]) unless given.
//!
//! Damaged input never panics: a truncated or corrupt file gives an
//! [`EventFileError`] naming the file, the byte offset (or line) and what is
//! wrong; with [`ReadOptions::lenient`] the damaged part is skipped instead
//! and counted in [`ReaderReport::damaged`].
//!
//! One module per format:
//! [`nmnist`] (N-MNIST / N-Caltech101 `.bin`), [`aedat2`], [`aedat3`],
//! [`aedat4`], [`evt2`], [`evt21`], [`evt3`] (Prophesee `.raw`), [`dat`]
//! (Prophesee `.dat`), [`event_stream`] (`.es`), [`text`] (CSV / text).

/// `EventReader::report` and `bytes_read` of a reader whose `ByteStream`
/// is its field `src`.
macro_rules! stream_accounting {
    () => {
        fn report(&self) -> &$crate::input::event_camera::ReaderReport {
            self.src.report()
        }

        fn bytes_read(&self) -> u64 {
            self.src.offset()
        }
    };
}

pub mod aedat2;
pub mod aedat3;
pub mod aedat4;
mod bytes;
pub mod dat;
mod decode_ahead;
pub mod encode;
mod error;
pub mod event_stream;
pub mod evt2;
pub mod evt21;
pub mod evt3;
mod flatbuffer;
mod header;
pub mod inspect;
pub mod nmnist;
mod pending;
pub mod replay;
mod sensors;
pub mod text;

use std::fmt;
use std::fs::File;
use std::path::Path;
use std::str::FromStr;

pub use error::EventFileError;
pub use inspect::{inspect, Inspection};
pub use replay::{ChannelMap, EventCameraDrive, PolarityMode, Replay, ReplayStatus, TimeWindow};

/// One event of a camera: time in microseconds as stored in the file,
/// raw pixel coordinates, polarity (`true` = ON, brightness increase).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CameraEvent {
    /// Microseconds, as encoded (AEDAT 4: Unix epoch; EVT/DAT: camera clock).
    pub t_us: i64,
    /// Column, as stored.
    pub x: u16,
    /// Row, as stored.
    pub y: u16,
    /// ON (brightness increase) or OFF.
    pub on: bool,
}

/// The file formats Volley reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// N-MNIST / N-Caltech101 `.bin` (5-byte records).
    Nmnist,
    /// jAER AEDAT 2.0 (DAVIS or DVS128 address layout from the header).
    Aedat2,
    /// AEDAT 3.1 (packets of polarity events).
    Aedat3,
    /// AEDAT 4.0 (flatbuffer packets, LZ4 / ZSTD).
    Aedat4,
    /// Prophesee EVT 2.0 `.raw`.
    Evt2,
    /// Prophesee EVT 2.1 `.raw`.
    Evt21,
    /// Prophesee EVT 3.0 `.raw`.
    Evt3,
    /// Prophesee `.dat`.
    Dat,
    /// Event Stream `.es` (DVS type).
    EventStream,
    /// Text: CSV or whitespace-separated `t,x,y,p`.
    Text,
}

impl Format {
    /// All formats, for help texts.
    pub const ALL: [Format; 10] = [
        Format::Nmnist,
        Format::Aedat2,
        Format::Aedat3,
        Format::Aedat4,
        Format::Evt2,
        Format::Evt21,
        Format::Evt3,
        Format::Dat,
        Format::EventStream,
        Format::Text,
    ];

    /// The short name used by `--format` and model files.
    pub fn name(self) -> &'static str {
        match self {
            Format::Nmnist => "nmnist",
            Format::Aedat2 => "aedat2",
            Format::Aedat3 => "aedat3",
            Format::Aedat4 => "aedat4",
            Format::Evt2 => "evt2",
            Format::Evt21 => "evt21",
            Format::Evt3 => "evt3",
            Format::Dat => "dat",
            Format::EventStream => "es",
            Format::Text => "text",
        }
    }

    /// A human description.
    pub fn description(self) -> &'static str {
        match self {
            Format::Nmnist => "N-MNIST / N-Caltech101 binary (.bin)",
            Format::Aedat2 => "AEDAT 2.0 (jAER)",
            Format::Aedat3 => "AEDAT 3.1",
            Format::Aedat4 => "AEDAT 4.0",
            Format::Evt2 => "Prophesee EVT 2.0 (.raw)",
            Format::Evt21 => "Prophesee EVT 2.1 (.raw)",
            Format::Evt3 => "Prophesee EVT 3.0 (.raw)",
            Format::Dat => "Prophesee DAT (.dat)",
            Format::EventStream => "Event Stream (.es)",
            Format::Text => "text / CSV (t, x, y, p)",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let l = s.to_ascii_lowercase().replace(['-', '_', '.', ' '], "");
        Ok(match l.as_str() {
            "nmnist" | "ncaltech101" | "bin" => Format::Nmnist,
            "aedat2" | "aedat20" => Format::Aedat2,
            "aedat3" | "aedat31" => Format::Aedat3,
            "aedat4" | "aedat40" => Format::Aedat4,
            "evt2" | "evt20" => Format::Evt2,
            "evt21" => Format::Evt21,
            "evt3" | "evt30" => Format::Evt3,
            "dat" => Format::Dat,
            "es" | "eventstream" => Format::EventStream,
            "text" | "csv" | "txt" => Format::Text,
            _ => {
                let names: Vec<_> = Format::ALL.iter().map(|f| f.name()).collect();
                return Err(format!(
                    "unknown event file format `{s}` (known: {})",
                    names.join(", ")
                ));
            }
        })
    }
}

/// How to open a recording.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadOptions {
    /// Force a format instead of sniffing it.
    pub format: Option<Format>,
    /// Skip damaged parts (and count them) instead of failing.
    pub lenient: bool,
}

/// What a reader passed over besides events.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReaderReport {
    /// Non-event records skipped by design, by kind (e.g. `imu`, `frame`,
    /// `trigger`, `time_high`), in first-seen order.
    pub skipped: Vec<(&'static str, u64)>,
    /// Damaged records or packets skipped in lenient mode.
    pub damaged: u64,
    /// Bytes in those damaged parts.
    pub damaged_bytes: u64,
    /// The first damage seen (lenient mode), as an error message.
    pub first_damage: Option<String>,
}

impl ReaderReport {
    /// Count `n` skipped records of `kind`.
    pub fn skip(&mut self, kind: &'static str, n: u64) {
        if n == 0 {
            return;
        }
        match self.skipped.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, c)) => *c += n,
            None => self.skipped.push((kind, n)),
        }
    }

    /// Total of skipped non-event records.
    pub fn skipped_total(&self) -> u64 {
        self.skipped.iter().map(|(_, n)| n).sum()
    }
}

/// A streaming decoder of one recording.
pub trait EventReader: Send {
    /// The format being decoded.
    fn format(&self) -> Format;
    /// Sensor size `(width, height)` if the file (or its sensor) says.
    fn geometry(&self) -> Option<(u32, u32)>;
    /// Clear `out` and decode the next events into it (a bounded chunk);
    /// `Ok(false)` once the file is exhausted (then `out` is empty).
    fn next_chunk(&mut self, out: &mut Vec<CameraEvent>) -> Result<bool, EventFileError>;
    /// Non-event records and damage passed over so far.
    fn report(&self) -> &ReaderReport;
    /// Bytes consumed so far.
    fn bytes_read(&self) -> u64;
}

/// Roughly how many events one [`EventReader::next_chunk`] decodes.
pub const CHUNK_EVENTS: usize = 1 << 16;

/// Open `path` for streaming, sniffing the format unless forced.
pub fn open(path: &Path, options: ReadOptions) -> Result<Box<dyn EventReader>, EventFileError> {
    let format = match options.format {
        Some(f) => f,
        None => sniff(path)?,
    };
    let file = File::open(path).map_err(|e| EventFileError::io(path, 0, &e))?;
    from_reader(path, Box::new(file), format, options.lenient)
}

/// Decode `format` from any byte source (a pipe, a socket, memory); `name`
/// is used in error messages.
pub fn from_reader(
    name: &Path,
    input: Box<dyn std::io::Read + Send>,
    format: Format,
    lenient: bool,
) -> Result<Box<dyn EventReader>, EventFileError> {
    let src = bytes::ByteStream::new(name, input, lenient);
    Ok(match format {
        Format::Nmnist => Box::new(nmnist::NmnistReader::new(src)),
        Format::Aedat2 => Box::new(aedat2::Aedat2Reader::new(src)?),
        Format::Aedat3 => Box::new(aedat3::Aedat3Reader::new(src)?),
        Format::Aedat4 => Box::new(aedat4::Aedat4Reader::new(src)?),
        Format::Evt2 => Box::new(evt2::Evt2Reader::new(src)?),
        Format::Evt21 => Box::new(evt21::Evt21Reader::new(src)?),
        Format::Evt3 => Box::new(evt3::Evt3Reader::new(src)?),
        Format::Dat => Box::new(dat::DatReader::new(src)?),
        Format::EventStream => Box::new(event_stream::EventStreamReader::new(src)?),
        Format::Text => Box::new(text::TextReader::new(src)?),
    })
}

/// Guess a file's format from its first bytes (magic numbers, header lines)
/// and, where the content is ambiguous, its extension.
pub fn sniff(path: &Path) -> Result<Format, EventFileError> {
    use std::io::Read;
    let mut head = Vec::with_capacity(8192);
    File::open(path)
        .and_then(|f| f.take(8192).read_to_end(&mut head))
        .map_err(|e| EventFileError::io(path, 0, &e))?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .unwrap_or_default();
    sniff_bytes(&head, &ext).ok_or_else(|| {
        EventFileError::at(
            path,
            0,
            "cannot tell the event file format from its first bytes or extension; \
             give it with --format (or `format` in the model file)",
        )
    })
}

/// [`sniff`] on the first bytes of a file and its lower-case extension.
pub fn sniff_bytes(head: &[u8], ext: &str) -> Option<Format> {
    if head.starts_with(b"#!AER-DAT2") {
        return Some(Format::Aedat2);
    }
    if head.starts_with(b"#!AER-DAT3") {
        return Some(Format::Aedat3);
    }
    if head.starts_with(b"#!AER-DAT4") {
        return Some(Format::Aedat4);
    }
    if head.starts_with(b"Event Stream") {
        return Some(Format::EventStream);
    }
    if head.starts_with(b"%") {
        let text = String::from_utf8_lossy(head).to_ascii_lowercase();
        for line in text.lines().take_while(|l| l.starts_with('%')) {
            let l = line.trim_start_matches('%').trim();
            let compact = l.replace(' ', "");
            if compact.starts_with("evt2.1") || compact.starts_with("formatevt21") {
                return Some(Format::Evt21);
            }
            if compact.starts_with("evt3") || compact.starts_with("formatevt3") {
                return Some(Format::Evt3);
            }
            if compact.starts_with("evt2") || compact.starts_with("formatevt2") {
                return Some(Format::Evt2);
            }
        }
        return match ext {
            "raw" => None,
            _ => Some(Format::Dat),
        };
    }
    match ext {
        "bin" => return Some(Format::Nmnist),
        "csv" | "txt" => return Some(Format::Text),
        "dat" => return Some(Format::Dat),
        "es" => return Some(Format::EventStream),
        "aedat" => return Some(Format::Aedat2),
        "aedat4" => return Some(Format::Aedat4),
        _ => {}
    }
    let printable = head
        .iter()
        .all(|&b| b.is_ascii_graphic() || b.is_ascii_whitespace());
    if !head.is_empty() && printable {
        return Some(Format::Text);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_sniffed_from_magic_and_headers() {
        assert_eq!(
            sniff_bytes(b"#!AER-DAT2.0\r\n# x", "aedat"),
            Some(Format::Aedat2)
        );
        assert_eq!(sniff_bytes(b"#!AER-DAT3.1\r\n", ""), Some(Format::Aedat3));
        assert_eq!(sniff_bytes(b"#!AER-DAT4.0\r\n", ""), Some(Format::Aedat4));
        assert_eq!(
            sniff_bytes(b"Event Stream\x02\0\0\x01", ""),
            Some(Format::EventStream)
        );
        assert_eq!(
            sniff_bytes(b"% date x\n% evt 3.0\n\x01\x02", "raw"),
            Some(Format::Evt3)
        );
        assert_eq!(
            sniff_bytes(b"% format EVT21;height=720\n", "raw"),
            Some(Format::Evt21)
        );
        assert_eq!(sniff_bytes(b"% evt 2.0\n", "raw"), Some(Format::Evt2));
        assert_eq!(
            sniff_bytes(b"% Height 720\n% Version 2\n", "dat"),
            Some(Format::Dat)
        );
        assert_eq!(
            sniff_bytes(b"% date\n", "raw"),
            None,
            "a .raw without its encoding"
        );
        assert_eq!(
            sniff_bytes(b"\x07\x0f\x80\x02\x8e", "bin"),
            Some(Format::Nmnist)
        );
        assert_eq!(
            sniff_bytes(b"t,x,y,p\n1,2,3,1\n", "log"),
            Some(Format::Text)
        );
        assert_eq!(sniff_bytes(b"\x00\xff\x13", "xyz"), None);
    }
}
