//! Multimeter outputs, written as the run goes: `<name>.csv`
//! (`time_ms,gid,<var>...`) or `<name>.npy` (2-D float64, the same
//! columns; `np.load` reads it, `pd.DataFrame(np.load(f), columns=...)`
//! names them). The `.npy` header states the number of rows, known before
//! the run (every sampled neuron at every grid time), so nothing is held
//! back to the end.

use crate::outputs;
use crate::traces::{self, Trace};
use npyz::WriterBuilder;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use volley_engine::{Samples, Spike};
use volley_models::network::meters::{Meter, SampleFormat};

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
    Npy(npyz::NpyWriter<f64, BufWriter<File>>),
}

impl SampleWriter {
    /// Create `meter`'s file in `dir`.
    pub fn create(dir: &Path, meter: &Meter) -> Result<Self, String> {
        let ext = match meter.format {
            SampleFormat::Csv => "csv",
            SampleFormat::Npy => "npy",
        };
        let path = dir.join(format!("{}.{ext}", meter.name));
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
            SampleFormat::Npy => Out::Npy(
                npyz::WriteOptions::new()
                    .default_dtype()
                    .shape(&[meter.rows(), 2 + width as u64])
                    .writer(file)
                    .begin_nd()
                    .map_err(fail)?,
            ),
        };
        Ok(SampleWriter {
            path,
            out,
            width,
            written: 0,
            expected: meter.rows(),
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
                    w.push(&t.as_ms()).map_err(fail)?;
                    w.push(&f64::from(gid.0)).map_err(fail)?;
                    for v in values {
                        w.push(v).map_err(fail)?;
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
            Out::Csv(mut w) => w.flush().map_err(fail)?,
            Out::Npy(w) => w.finish().map_err(fail)?,
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
        let writers = meters
            .iter()
            .map(|m| SampleWriter::create(dir, m))
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
