//! A buffered byte source that knows its file offset, so every decoder can
//! say exactly where damage is, and a damage policy (strict or lenient)
//! shared by all readers.

use std::io::{ErrorKind, Read};
use std::path::{Path, PathBuf};

use super::{CameraEvent, EventFileError, ReaderReport, CHUNK_EVENTS};

/// How much is read from the file at a time.
pub(crate) const BLOCK: usize = 1 << 20;

/// Buffered reading with file offsets.
pub(crate) struct ByteStream {
    path: PathBuf,
    inner: Box<dyn Read + Send>,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    /// File offset of `buf[0]`.
    base: u64,
    eof: bool,
    lenient: bool,
    report: ReaderReport,
}

/// Where decoded bytes came from, and what to do with damage.
pub(crate) struct Damage<'a> {
    path: &'a Path,
    lenient: bool,
    report: &'a mut ReaderReport,
    /// File offset of the first byte of the current view.
    pub base: u64,
}

impl Damage<'_> {
    /// Damage of `bytes` bytes at view-relative position `at`: an error in
    /// strict mode; counted (and `Ok`) in lenient mode.
    pub fn damage(&mut self, at: usize, bytes: u64, message: String) -> Result<(), EventFileError> {
        record(
            self.path,
            self.lenient,
            self.report,
            self.base + at as u64,
            bytes,
            message,
        )
    }

    /// Count skipped non-event records.
    pub fn skip(&mut self, kind: &'static str, n: u64) {
        self.report.skip(kind, n);
    }
}

fn record(
    path: &Path,
    lenient: bool,
    report: &mut ReaderReport,
    offset: u64,
    bytes: u64,
    message: String,
) -> Result<(), EventFileError> {
    record_error(
        lenient,
        report,
        EventFileError::at(path, offset, message),
        bytes,
    )
}

fn record_error(
    lenient: bool,
    report: &mut ReaderReport,
    e: EventFileError,
    bytes: u64,
) -> Result<(), EventFileError> {
    if !lenient {
        return Err(e);
    }
    report.damaged += 1;
    report.damaged_bytes += bytes;
    if report.first_damage.is_none() {
        report.first_damage = Some(e.to_string());
    }
    Ok(())
}

impl ByteStream {
    pub fn new(path: &Path, inner: Box<dyn Read + Send>, lenient: bool) -> Self {
        ByteStream {
            path: path.to_path_buf(),
            inner,
            buf: Vec::new(),
            pos: 0,
            len: 0,
            base: 0,
            eof: false,
            lenient,
            report: ReaderReport::default(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn report(&self) -> &ReaderReport {
        &self.report
    }

    pub fn report_mut(&mut self) -> &mut ReaderReport {
        &mut self.report
    }

    /// File offset of the next unconsumed byte.
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Buffer at least `want` bytes (fewer only at the end of the file).
    pub fn fill(&mut self, want: usize) -> Result<(), EventFileError> {
        if self.len - self.pos >= want || self.eof {
            return Ok(());
        }
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.len, 0);
            self.base += self.pos as u64;
            self.len -= self.pos;
            self.pos = 0;
        }
        if self.buf.len() < BLOCK {
            self.buf.resize(BLOCK, 0);
        }
        while self.len < want {
            // Grown as data arrives, not to `want` at once: a damaged
            // header may ask for far more than the file holds.
            if self.len == self.buf.len() {
                let grown = want.min(self.buf.len().saturating_mul(2));
                self.buf.resize(grown, 0);
            }
            match self.inner.read(&mut self.buf[self.len..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => self.len += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(EventFileError::io(
                        &self.path,
                        self.base + self.len as u64,
                        &e,
                    ))
                }
            }
        }
        Ok(())
    }

    /// The buffered, unconsumed bytes and the damage policy.
    pub fn view(&mut self) -> (&[u8], Damage<'_>) {
        (
            &self.buf[self.pos..self.len],
            Damage {
                path: &self.path,
                lenient: self.lenient,
                report: &mut self.report,
                base: self.base + self.pos as u64,
            },
        )
    }

    /// Buffered, unconsumed bytes.
    pub fn data(&self) -> &[u8] {
        &self.buf[self.pos..self.len]
    }

    /// Whether the file has been read to its end (buffer may still hold bytes).
    pub fn at_eof(&self) -> bool {
        self.eof
    }

    /// Whether every byte has been consumed.
    pub fn exhausted(&mut self) -> Result<bool, EventFileError> {
        self.fill(1)?;
        Ok(self.pos == self.len)
    }

    pub fn consume(&mut self, n: usize) {
        debug_assert!(self.pos + n <= self.len);
        self.pos = (self.pos + n).min(self.len);
    }

    /// Exactly `n` bytes, or `None` (nothing consumed) if the file ends first.
    pub fn take(&mut self, n: usize) -> Result<Option<&[u8]>, EventFileError> {
        self.fill(n)?;
        if self.len - self.pos < n {
            return Ok(None);
        }
        let start = self.pos;
        self.pos += n;
        Ok(Some(&self.buf[start..start + n]))
    }

    /// One line including its `\n` (at most `max` bytes; longer lines are an
    /// error), or `None` at the end of the file.
    pub fn line(&mut self, max: usize) -> Result<Option<Vec<u8>>, EventFileError> {
        let mut want = 256;
        loop {
            self.fill(want)?;
            let data = self.data();
            if let Some(i) = data.iter().position(|&b| b == b'\n') {
                let l = data[..=i].to_vec();
                self.consume(i + 1);
                return Ok(Some(l));
            }
            if self.eof {
                if data.is_empty() {
                    return Ok(None);
                }
                let l = data.to_vec();
                let n = l.len();
                self.consume(n);
                return Ok(Some(l));
            }
            if data.len() >= max {
                return Err(EventFileError::at(
                    &self.path,
                    self.offset(),
                    format!("header line longer than {max} bytes"),
                ));
            }
            want = (want * 2).min(max + 1);
        }
    }

    /// The decoding loop of a format made of `size`-byte records: `decode`
    /// gets blocks of whole records, at most [`CHUNK_EVENTS`] of them
    /// (positions in it are view-relative for
    /// [`Damage`]) and appends their events; a torn record at the end of the
    /// file is damage. Returns as `EventReader::next_chunk` does.
    pub fn records(
        &mut self,
        size: usize,
        what: &str,
        out: &mut Vec<CameraEvent>,
        mut decode: impl FnMut(
            &[u8],
            &mut Damage<'_>,
            &mut Vec<CameraEvent>,
        ) -> Result<(), EventFileError>,
    ) -> Result<bool, EventFileError> {
        out.clear();
        loop {
            self.fill(BLOCK.min(CHUNK_EVENTS * size).max(size))?;
            let eof = self.eof;
            let (data, mut dmg) = self.view();
            if data.is_empty() {
                return Ok(false);
            }
            // At most a chunk's records at once, however much is buffered.
            let whole = data.len().min(CHUNK_EVENTS * size) / size * size;
            decode(&data[..whole], &mut dmg, out)?;
            let mut used = whole;
            if whole == 0 && eof {
                let n = data.len();
                dmg.damage(
                    0,
                    n as u64,
                    format!("truncated {what}: {n} of {size} bytes at the end of the file"),
                )?;
                used = n;
            }
            self.consume(used);
            if !out.is_empty() {
                return Ok(true);
            }
        }
    }

    /// Damage at an absolute file offset (see [`Damage::damage`]).
    pub fn damage(
        &mut self,
        offset: u64,
        bytes: u64,
        message: String,
    ) -> Result<(), EventFileError> {
        record(
            &self.path,
            self.lenient,
            &mut self.report,
            offset,
            bytes,
            message,
        )
    }

    /// Damage described by a ready error (e.g. one naming a line).
    pub fn damage_error(&mut self, e: EventFileError, bytes: u64) -> Result<(), EventFileError> {
        record_error(self.lenient, &mut self.report, e, bytes)
    }

    /// An error at an absolute offset regardless of leniency.
    pub fn error(&self, offset: u64, message: impl Into<String>) -> EventFileError {
        EventFileError::at(&self.path, offset, message)
    }
}
