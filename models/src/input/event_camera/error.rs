//! Errors in recordings: which file, where (byte offset or line), what.

use std::fmt;
use std::path::{Path, PathBuf};

/// A damaged, truncated or unreadable recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFileError {
    /// The file at fault.
    pub file: PathBuf,
    /// Byte offset of the damage, when the format is binary.
    pub offset: Option<u64>,
    /// 1-based line, when the format is text.
    pub line: Option<u64>,
    /// What is wrong.
    pub message: String,
}

impl EventFileError {
    /// Damage at byte `offset`.
    pub fn at(file: &Path, offset: u64, message: impl Into<String>) -> Self {
        EventFileError {
            file: file.to_path_buf(),
            offset: Some(offset),
            line: None,
            message: message.into(),
        }
    }

    /// A mistake on a line of a text file.
    pub fn on_line(file: &Path, line: u64, message: impl Into<String>) -> Self {
        EventFileError {
            file: file.to_path_buf(),
            offset: None,
            line: Some(line),
            message: message.into(),
        }
    }

    /// An I/O failure at byte `offset`.
    pub fn io(file: &Path, offset: u64, e: &std::io::Error) -> Self {
        EventFileError::at(file, offset, format!("cannot read: {e}"))
    }
}

impl fmt::Display for EventFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if let Some(o) = self.offset {
            write!(f, ": byte {o}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for EventFileError {}
