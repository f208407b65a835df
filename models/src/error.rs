//! Errors in user data: model files, CSV files, parameters.
//!
//! Every error names the file, and where it can the line and the key or
//! column, and says what is wrong. Nothing a user writes may cause a panic.

use std::fmt;
use std::path::{Path, PathBuf};

/// A mistake in a model file or one of the data files it names.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelError {
    /// The file at fault.
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// The key (e.g. `populations[1].params.tau_m`) or CSV column, when known.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl ModelError {
    /// An error about a whole file.
    pub fn file(file: &Path, message: impl Into<String>) -> Self {
        ModelError {
            file: file.to_path_buf(),
            line: None,
            key: None,
            message: message.into(),
        }
    }

    /// An error about one key of a file.
    pub fn key(file: &Path, key: impl Into<String>, message: impl Into<String>) -> Self {
        ModelError {
            key: Some(key.into()),
            ..ModelError::file(file, message)
        }
    }

    /// An error on one line of a file, optionally naming a column.
    pub fn line(
        file: &Path,
        line: usize,
        column: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        ModelError {
            line: Some(line),
            key: column.map(str::to_string),
            ..ModelError::file(file, message)
        }
    }
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if let Some(k) = &self.key {
            write!(f, ": `{k}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ModelError {}
