//! N-MNIST / N-Caltech101 `.bin` (Orchard et al. 2015): no header, 5-byte
//! records. byte0 = x, byte1 = y, byte2 bit 7 = polarity (1 = ON), and a
//! 23-bit timestamp `(byte2 & 0x7F) << 16 | byte3 << 8 | byte4` in µs.
//! As in the dataset authors' reader, a record with y == 240 is a timestamp
//! overflow marker: 2^13 µs are added to all later events and the marker is
//! dropped. The sensor size is not stored (34×34 for N-MNIST).

use super::bytes::ByteStream;
use super::{CameraEvent, EventFileError, EventReader, Format};

const RECORD: usize = 5;
const OVERFLOW_Y: u8 = 240;
const OVERFLOW_US: i64 = 1 << 13;

/// Streaming N-MNIST reader.
pub struct NmnistReader {
    src: ByteStream,
    offset_us: i64,
}

impl NmnistReader {
    pub(crate) fn new(src: ByteStream) -> Self {
        NmnistReader { src, offset_us: 0 }
    }
}

impl EventReader for NmnistReader {
    fn format(&self) -> Format {
        Format::Nmnist
    }

    fn geometry(&self) -> Option<(u32, u32)> {
        None
    }

    fn next_chunk(&mut self, out: &mut Vec<CameraEvent>) -> Result<bool, EventFileError> {
        let offset = &mut self.offset_us;
        self.src.records(RECORD, "record", out, |block, dmg, out| {
            let mut markers = 0;
            for r in block.chunks_exact(RECORD) {
                if r[1] == OVERFLOW_Y {
                    *offset += OVERFLOW_US;
                    markers += 1;
                    continue;
                }
                let ts = (i64::from(r[2] & 0x7F) << 16) | (i64::from(r[3]) << 8) | i64::from(r[4]);
                out.push(CameraEvent {
                    t_us: ts + *offset,
                    x: u16::from(r[0]),
                    y: u16::from(r[1]),
                    on: r[2] & 0x80 != 0,
                });
            }
            dmg.skip("overflow_marker", markers);
            Ok(())
        })
    }

    stream_accounting!();
}
