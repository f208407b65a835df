//! Multimeter outputs, written as the run goes: `<name>.csv`
//! (`time_ms,gid,<var>...`) or `<name>.npy` (2-D float64, the same
//! columns; `np.load` reads it, `pd.DataFrame(np.load(f), columns=...)`
//! names them). The `.npy` header states the number of rows, known before
//! the run (every sampled neuron at every grid time), so nothing is held
//! back to the end.

use crate::outputs;
use crate::traces::{self, Trace};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use volley_engine::{Samples, Spike};
use volley_models::network::meters::{Meter, SampleFormat};

/// The file `meter` writes: `<name>.csv` or `<name>.npy`.
fn file_name(meter: &Meter) -> String {
    let ext = match meter.format {
        SampleFormat::Csv => "csv",
        SampleFormat::Npy => "npy",
    };
    format!("{}.{ext}", meter.name)
}

/// One multimeter's open output file.
pub struct SampleWriter {
    path: PathBuf,
    out: Out,
    width: usize,
    /// Rows written so far, and rows the file was announced with.
    written: u64,
    expected: u64,
}

enum Out {
    Csv(BufWriter<File>),
    /// After the `.npy` header: little-endian f64s, row after row.
    Npy(BufWriter<File>),
}

/// Where a multimeter's file stood at a checkpoint.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct WriterState {
    /// Bytes in the file.
    pub bytes: u64,
    /// Rows written.
    pub rows: u64,
}

impl SampleWriter {
    /// Create `meter`'s file in `dir`.
    pub fn create(dir: &Path, meter: &Meter) -> Result<Self, String> {
        let path = dir.join(file_name(meter));
        let fail = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
        // Written under a temporary name, renamed by `finish`.
        let file = File::create(outputs::partial(&path)).map_err(fail)?;
        let file = BufWriter::with_capacity(1 << 20, file);
        let width = meter.vars.len();
        let out = match meter.format {
            SampleFormat::Csv => {
                let mut w = file;
                writeln!(w, "time_ms,gid,{}", meter.vars.join(",")).map_err(fail)?;
                Out::Csv(w)
            }
            SampleFormat::Npy => {
                let mut w = file;
                w.write_all(&npy_header(meter.rows(), 2 + width as u64))
                    .map_err(fail)?;
                Out::Npy(w)
            }
        };
        Ok(SampleWriter {
            path,
            out,
            width,
            written: 0,
            expected: meter.rows(),
        })
    }

    /// Reopen `meter`'s file in `dir` where it stood at a checkpoint
    /// (anything written after it is cut off).
    pub fn reopen(dir: &Path, meter: &Meter, state: &WriterState) -> Result<Self, String> {
        let path = dir.join(file_name(meter));
        let partial = outputs::partial(&path);
        let fail = |e: std::io::Error| format!("cannot continue {}: {e}", partial.display());
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .open(&partial)
            .map_err(fail)?;
        if file.metadata().map_err(fail)?.len() < state.bytes {
            return Err(format!(
                "{} is shorter than at the checkpoint: it was changed",
                partial.display()
            ));
        }
        file.set_len(state.bytes).map_err(fail)?;
        std::io::Seek::seek(&mut file, std::io::SeekFrom::End(0)).map_err(fail)?;
        let file = BufWriter::with_capacity(1 << 20, file);
        let out = match meter.format {
            SampleFormat::Csv => Out::Csv(file),
            SampleFormat::Npy => Out::Npy(file),
        };
        Ok(SampleWriter {
            path,
            out,
            width: meter.vars.len(),
            written: state.rows,
            expected: meter.rows(),
        })
    }

    /// Flush what was written, durably, and say where the file stands.
    pub fn checkpoint(&mut self) -> Result<WriterState, String> {
        let fail = |e: std::io::Error| format!("cannot write {}: {e}", self.path.display());
        let (Out::Csv(w) | Out::Npy(w)) = &mut self.out;
        w.flush().map_err(fail)?;
        let file = w.get_ref();
        file.sync_data().map_err(fail)?;
        let bytes = file.metadata().map_err(fail)?.len();
        Ok(WriterState {
            bytes,
            rows: self.written,
        })
    }

    /// Append samples (in `(time, gid)` order).
    pub fn write(&mut self, s: &Samples) -> Result<(), String> {
        let fail = |e: std::io::Error| format!("cannot write {}: {e}", self.path.display());
        let rows = s.rows.iter().zip(s.values.chunks_exact(self.width.max(1)));
        match &mut self.out {
            Out::Csv(w) => {
                for (&(t, gid), values) in rows {
                    write!(w, "{},{}", t.as_ms(), gid.0).map_err(fail)?;
                    for v in values {
                        write!(w, ",{v}").map_err(fail)?;
                    }
                    writeln!(w).map_err(fail)?;
                }
            }
            Out::Npy(w) => {
                for (&(t, gid), values) in rows {
                    let head = [t.as_ms(), f64::from(gid.0)];
                    for v in head.iter().chain(values) {
                        w.write_all(&v.to_le_bytes()).map_err(fail)?;
                    }
                }
            }
        }
        self.written += s.rows.len() as u64;
        Ok(())
    }

    /// Close the file; an error if the run wrote fewer rows than announced.
    pub fn finish(self) -> Result<PathBuf, String> {
        let fail = |e: std::io::Error| format!("cannot write {}: {e}", self.path.display());
        match self.out {
            Out::Csv(mut w) | Out::Npy(mut w) => w.flush().map_err(fail)?,
        }
        if self.written != self.expected {
            return Err(format!(
                "{}: {} samples written, {} expected",
                self.path.display(),
                self.written,
                self.expected
            ));
        }
        outputs::commit(&self.path).map_err(fail)?;
        Ok(self.path)
    }
}

/// Where every multimeter's output stood at a checkpoint.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct MetersState {
    /// Per meter: its file.
    pub writers: Vec<WriterState>,
    /// The V_m traces plotted so far (time, V_m), per traced neuron.
    pub traces: Vec<Vec<(f64, f64)>>,
}

/// The header of an `.npy` file (format 1.0) of `rows` × `cols`
/// little-endian float64s in C order: magic, version, header length, and
/// the header dictionary padded with spaces to a multiple of 64 bytes.
fn npy_header(rows: u64, cols: u64) -> Vec<u8> {
    let dict = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({rows}, {cols}), }}");
    let unpadded = 10 + dict.len() + 1;
    let len = unpadded.div_ceil(64) * 64;
    let mut h = b"\x93NUMPY\x01\x00".to_vec();
    h.extend_from_slice(&((len - 10) as u16).to_le_bytes());
    h.extend_from_slice(dict.as_bytes());
    h.resize(len - 1, b' ');
    h.push(b'\n');
    h
}

/// Neurons whose V_m `traces.png` shows.
const TRACED: usize = 4;

/// Every multimeter's output, and the traces kept for `traces.png` (a few
/// neurons' V_m: the only samples held in memory).
pub struct MeterOutputs {
    writers: Vec<SampleWriter>,
    /// The meter whose V_m is plotted, the column of V_m, and the traces.
    plotted: Option<(usize, usize, Vec<Trace>)>,
}

impl MeterOutputs {
    /// Open the files of `meters` in `dir`.
    pub fn open(dir: &Path, meters: &[Meter]) -> Result<Self, String> {
        Self::open_with(meters, |m, _| SampleWriter::create(dir, m))
    }

    /// The outputs of `meters`, meter `k`'s file opened by `open(meter, k)`.
    fn open_with(
        meters: &[Meter],
        open: impl Fn(&Meter, usize) -> Result<SampleWriter, String>,
    ) -> Result<Self, String> {
        let writers = meters
            .iter()
            .enumerate()
            .map(|(k, m)| open(m, k))
            .collect::<Result<_, _>>()?;
        let plotted = meters.iter().enumerate().find_map(|(k, m)| {
            let col = m.vars.iter().position(|v| v == "V_m")?;
            let traces = m
                .thresholds
                .iter()
                .take(TRACED)
                .map(|&(gid, v_th)| Trace {
                    gid,
                    v_th,
                    points: Vec::new(),
                })
                .collect();
            Some((k, col, traces))
        });
        Ok(MeterOutputs { writers, plotted })
    }

    /// Reopen the files of `meters` in `dir` where `saved` says they stood
    /// at a checkpoint, with the traces plotted so far.
    pub fn reopen(dir: &Path, meters: &[Meter], saved: &MetersState) -> Result<Self, String> {
        if saved.writers.len() != meters.len() {
            return Err("the checkpoint's multimeters are not the model's".into());
        }
        let mut outputs = Self::open_with(meters, |m, k| {
            SampleWriter::reopen(dir, m, &saved.writers[k])
        })?;
        if let Some((_, _, traces)) = &mut outputs.plotted {
            for (tr, points) in traces.iter_mut().zip(&saved.traces) {
                tr.points.clone_from(points);
            }
        }
        Ok(outputs)
    }

    /// Flush every file durably and say where each stands.
    pub fn checkpoint(&mut self) -> Result<MetersState, String> {
        let writers = self
            .writers
            .iter_mut()
            .map(SampleWriter::checkpoint)
            .collect::<Result<_, _>>()?;
        let traces = match &self.plotted {
            Some((_, _, traces)) => traces.iter().map(|t| t.points.clone()).collect(),
            None => Vec::new(),
        };
        Ok(MetersState { writers, traces })
    }

    /// The names of the files they write (under their temporary names
    /// while the run goes).
    pub fn file_names(meters: &[Meter]) -> Vec<String> {
        meters.iter().map(file_name).collect()
    }

    /// No meter at all.
    pub fn none() -> Self {
        MeterOutputs {
            writers: Vec::new(),
            plotted: None,
        }
    }

    /// Append each meter's samples (`samples[k]` for meter `k`).
    pub fn write(&mut self, samples: &[Samples]) -> Result<(), String> {
        for (w, s) in self.writers.iter_mut().zip(samples) {
            w.write(s)?;
        }
        if let Some((k, col, traces)) = &mut self.plotted {
            let s = &samples[*k];
            let width = s.values.len() / s.rows.len().max(1);
            for (j, &(t, gid)) in s.rows.iter().enumerate() {
                if let Some(tr) = traces.iter_mut().find(|tr| tr.gid == gid.0) {
                    tr.points.push((t.as_ms(), s.values[j * width + *col]));
                }
            }
        }
        Ok(())
    }

    /// Close the files and, with `plot`, draw `traces.png` in `dir` with the
    /// recorded `spikes`; the files written.
    pub fn finish(self, dir: &Path, spikes: &[Spike], plot: bool) -> Result<Vec<PathBuf>, String> {
        let mut files = self
            .writers
            .into_iter()
            .map(SampleWriter::finish)
            .collect::<Result<Vec<_>, _>>()?;
        if let (true, Some((_, _, traces))) = (plot, self.plotted) {
            let path = dir.join("traces.png");
            outputs::write_with(&path, |p| {
                traces::draw(p, &traces, spikes, "membrane potential").map_err(crate::run::io_error)
            })
            .map_err(|e| e.to_string())?;
            files.push(path);
        }
        Ok(files)
    }
}
