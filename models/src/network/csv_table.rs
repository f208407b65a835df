//! A small reader for the numeric CSV files of model files (edge lists,
//! neuron tables, spike times). It streams line by line and reports errors
//! with file, line and column name.

use crate::error::ModelError;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

/// An open CSV file with a header line.
pub struct CsvTable<R: BufRead = BufReader<File>> {
    path: PathBuf,
    lines: std::io::Lines<R>,
    header: Vec<String>,
    line_no: usize,
}

/// One data row.
pub struct Row<'a> {
    path: &'a Path,
    line: usize,
    fields: Vec<&'a str>,
    header: &'a [String],
}

impl CsvTable {
    /// Open `path` and read its header.
    pub fn open(path: &Path) -> Result<Self, ModelError> {
        let f =
            File::open(path).map_err(|e| ModelError::file(path, format!("cannot open: {e}")))?;
        CsvTable::from_reader(path, BufReader::new(f))
    }
}

impl<R: BufRead> CsvTable<R> {
    /// Read a table from any buffered reader; `path` names it in errors.
    pub fn from_reader(path: &Path, reader: R) -> Result<Self, ModelError> {
        let mut lines = reader.lines();
        let header = match lines.next() {
            Some(Ok(h)) => h
                .trim_start_matches('\u{feff}')
                .split(',')
                .map(|s| s.trim().to_string())
                .collect(),
            Some(Err(e)) => {
                return Err(ModelError::line(path, 1, None, format!("cannot read: {e}")))
            }
            None => return Err(ModelError::file(path, "empty file: expected a header line")),
        };
        Ok(CsvTable {
            path: path.to_path_buf(),
            lines,
            header,
            line_no: 1,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Position of a column, if present.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// Position of a required column.
    pub fn require(&self, name: &str) -> Result<usize, ModelError> {
        self.column(name).ok_or_else(|| {
            ModelError::line(
                &self.path,
                1,
                Some(name),
                format!("missing column (header is `{}`)", self.header.join(",")),
            )
        })
    }

    /// Visit every non-empty data row.
    pub fn for_each_row(
        mut self,
        mut f: impl FnMut(&Row) -> Result<(), ModelError>,
    ) -> Result<(), ModelError> {
        let mut buf;
        loop {
            let line = match self.lines.next() {
                None => return Ok(()),
                Some(Err(e)) => {
                    return Err(ModelError::line(
                        &self.path,
                        self.line_no + 1,
                        None,
                        format!("cannot read: {e}"),
                    ))
                }
                Some(Ok(l)) => l,
            };
            self.line_no += 1;
            buf = line;
            let trimmed = buf.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = trimmed.split(',').map(str::trim).collect();
            if fields.len() != self.header.len() {
                return Err(ModelError::line(
                    &self.path,
                    self.line_no,
                    None,
                    format!(
                        "expected {} fields ({}), found {}",
                        self.header.len(),
                        self.header.join(","),
                        fields.len()
                    ),
                ));
            }
            let row = Row {
                path: &self.path,
                line: self.line_no,
                fields,
                header: &self.header,
            };
            f(&row)?;
        }
    }
}

impl Row<'_> {
    /// The 1-based line number.
    pub fn line(&self) -> usize {
        self.line
    }

    /// An error about this row.
    pub fn error(&self, col: usize, message: impl Into<String>) -> ModelError {
        ModelError::line(self.path, self.line, Some(&self.header[col]), message)
    }

    /// Raw text of a column.
    pub fn text(&self, col: usize) -> &str {
        self.fields[col]
    }

    /// A finite float.
    pub fn f64(&self, col: usize) -> Result<f64, ModelError> {
        let s = self.fields[col];
        match s.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(self.error(col, format!("`{s}` is not a finite number"))),
        }
    }

    /// A non-negative integer that fits a u32.
    pub fn u32(&self, col: usize) -> Result<u32, ModelError> {
        let s = self.fields[col];
        s.parse::<u32>()
            .map_err(|_| self.error(col, format!("`{s}` is not a non-negative integer id")))
    }
}
