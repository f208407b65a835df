//! Where a model file's values come from, for error messages (file, line,
//! key), and the checks every part of building shares.

use super::model_file::{self, Names};
use super::selection::{self, Selected};
use crate::error::ModelError;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;
use volley_engine::Time;

/// The model file being built.
pub(super) struct Ctx<'a> {
    pub(super) path: &'a Path,
    text: &'a str,
    dir: PathBuf,
}

impl<'a> Ctx<'a> {
    pub(super) fn new(path: &'a Path, text: &'a str) -> Self {
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ctx { path, text, dir }
    }

    /// Where `span` (a table of the file) starts: a place to report errors at.
    pub(super) fn site<T>(&self, span: &Spanned<T>, table: String) -> Site {
        Site {
            file: self.path.to_path_buf(),
            line: Some(model_file::line_of(self.text, span.span().start)),
            table,
        }
    }

    /// A path of the model file, relative to its folder unless absolute.
    pub(super) fn resolve(&self, rel: &str) -> PathBuf {
        let p = Path::new(rel);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.dir.join(p)
        }
    }
}

/// A table of the model file (`projections[3]`) at its line: errors made
/// here name the file, the line and the key.
#[derive(Clone, Debug)]
pub(super) struct Site {
    file: PathBuf,
    line: Option<usize>,
    /// The table's key path, e.g. `inputs[0]`.
    pub(super) table: String,
}

impl Site {
    /// An error at key `key` of this table (`""`: the table itself).
    pub(super) fn err(&self, key: &str, message: impl Into<String>) -> ModelError {
        let key = if key.is_empty() {
            self.table.clone()
        } else {
            format!("{}.{key}", self.table)
        };
        ModelError {
            file: self.file.clone(),
            line: self.line,
            key: Some(key),
            message: message.into(),
        }
    }

    /// Refuse key `key` if `present`: it means nothing for `what`.
    pub(super) fn unused(&self, key: &str, present: bool, what: &str) -> Result<(), ModelError> {
        if present {
            return Err(self.err(key, format!("not used by {what}")));
        }
        Ok(())
    }

    /// A synapse weight: finite.
    pub(super) fn weight(&self, key: &str, w: f64) -> Result<f64, ModelError> {
        if !w.is_finite() {
            return Err(self.err(key, format!("must be finite, got {w}")));
        }
        Ok(w)
    }

    /// A synapse delay: at least one tick.
    pub(super) fn delay(&self, key: &str, ms: f64) -> Result<Time, ModelError> {
        positive_time(ms).ok_or_else(|| {
            self.err(
                key,
                format!("must be > 0 ms (at least one tick, 1/1024 µs) and at most {LIMIT_MS:e} ms, got {ms}"),
            )
        })
    }

    /// A time from the start of the run: `>= 0` ms.
    pub(super) fn instant(&self, key: &str, ms: f64) -> Result<Time, ModelError> {
        Time::from_ms(ms).filter(|_| ms >= 0.0).ok_or_else(|| {
            self.err(
                key,
                format!("must be a time from 0 to {LIMIT_MS:e} ms, got {ms}"),
            )
        })
    }

    /// The neurons `names` (at key `key`) name: populations, or slices of
    /// them (`"E[0:50]"`), in order.
    pub(super) fn neurons(
        &self,
        key: &str,
        names: &Names,
        pops: &[PopBuild],
    ) -> Result<Vec<Selected>, ModelError> {
        let list = names.list();
        if list.is_empty() {
            return Err(self.err(key, "names no population"));
        }
        list.iter()
            .map(|text| {
                let (name, slice) = selection::split(text);
                let pop = pops.iter().find(|p| p.name == name).ok_or_else(|| {
                    let known: Vec<&str> = pops.iter().map(|p| p.name.as_str()).collect();
                    let m = format!("unknown population `{name}` (known: {})", known.join(", "));
                    self.err(key, m)
                })?;
                let Some(slice) = slice else {
                    return Ok(Selected::all(pop));
                };
                let (start, step, count) = selection::slice(slice, pop.size).map_err(|m| {
                    self.err(
                        key,
                        format!("`{text}`: {m} (`{name}` has {} neurons)", pop.size),
                    )
                })?;
                let pop = pop.clone();
                Ok(Selected {
                    pop,
                    start,
                    step,
                    count,
                })
            })
            .collect()
    }
}

/// The longest time a model may give, in ms ([`Time::LIMIT`]).
pub(super) const LIMIT_MS: f64 = 1.125899906842624e12;

/// A positive duration in ms, rounded to ticks (at least one).
pub(super) fn positive_time(ms: f64) -> Option<Time> {
    if !ms.is_finite() || ms <= 0.0 {
        return None;
    }
    Time::from_ms(ms).filter(|t| t.0 > 0)
}

/// A group of neurons: a contiguous block of gids.
#[derive(Clone, Debug)]
pub(super) struct PopBuild {
    pub(super) name: String,
    pub(super) first_gid: u32,
    pub(super) size: u32,
}

impl PopBuild {
    /// Its gids.
    pub(super) fn gids(&self) -> Range<u32> {
        self.first_gid..self.first_gid + self.size
    }
}
