//! Plastic weights as files: `weights.csv` (every plastic synapse at the
//! end), `weight_trace.csv` (every change of the traced synapses) and
//! `weights.png` (their histogram).

use crate::raster::register_fonts;
use plotters::prelude::*;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use volley_engine::Observer;
use volley_models::synapse::{visit_plastic, TraceRow};
use volley_models::NetworkSimulation;

/// Write `weights.csv` (`source,target,weight`, one row per plastic
/// synapse, by source and target) from `visit`, which calls its argument
/// once per synapse in that order (so 10^8 weights need no copy). Returns
/// the lowest and highest weight, the range of [`weight_histogram`].
pub fn write_weights_with(
    path: &Path,
    visit: impl FnOnce(&mut dyn FnMut(u32, u32, f64)),
) -> std::io::Result<(f64, f64)> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    out.write_all(b"source,target,weight\n")?;
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    let mut err = Ok(());
    let mut line = String::with_capacity(64);
    visit(&mut |s, t, w| {
        lo = lo.min(w);
        hi = hi.max(w);
        if err.is_ok() {
            line.clear();
            let _ = writeln!(line, "{s},{t},{w:?}");
            err = out.write_all(line.as_bytes());
        }
    });
    err?;
    out.flush()?;
    Ok((lo, hi))
}

/// [`write_weights_with`] straight from a simulation's plastic synapses.
pub fn write_weights_csv<O: Observer>(
    path: &Path,
    sim: &mut NetworkSimulation<O>,
) -> std::io::Result<(f64, f64)> {
    write_weights_with(path, |f| visit_plastic(sim, f))
}

/// The histogram (60 bins over `[lo, hi]`) of the weights `visit` passes
/// its argument, in any order, for [`draw_histogram`].
pub fn weight_histogram(
    (lo, hi): (f64, f64),
    visit: impl FnOnce(&mut dyn FnMut(f64)),
) -> Histogram {
    let mut h = Histogram::new(lo, hi, 60);
    visit(&mut |w| h.add(w));
    h
}

/// Counts of values in equal bins over `[lo, hi]`.
#[derive(Clone, Debug)]
pub struct Histogram {
    /// Lower edge of the first bin.
    pub lo: f64,
    /// Bin width.
    pub width: f64,
    /// Counts.
    pub counts: Vec<u64>,
}

impl Histogram {
    /// `bins` empty bins over `[lo, hi]` (widened if empty or degenerate).
    pub fn new(lo: f64, hi: f64, bins: usize) -> Self {
        let (lo, hi) = if lo.is_finite() && hi > lo {
            (lo, hi)
        } else if lo.is_finite() {
            (lo - 1.0, lo + 1.0)
        } else {
            (-1.0, 1.0)
        };
        Histogram {
            lo,
            width: (hi - lo) / bins as f64,
            counts: vec![0; bins],
        }
    }

    /// Count one value.
    pub fn add(&mut self, x: f64) {
        let n = self.counts.len();
        let k = ((x - self.lo) / self.width).max(0.0) as usize;
        self.counts[k.min(n - 1)] += 1;
    }

    /// Number of values counted.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }
}

/// `time_ms,source,target,weight`: the presynaptic spike time and the
/// weight it left (tsodyks2: the weight it transmitted).
pub fn trace_csv(rows: &[TraceRow]) -> Vec<u8> {
    let mut out = String::with_capacity(32 + rows.len() * 40);
    out.push_str("time_ms,source,target,weight\n");
    for &(t, s, g, w) in rows {
        let _ = writeln!(out, "{t:?},{s},{g},{w:?}");
    }
    out.into_bytes()
}

/// Draw a histogram of the final weights.
pub fn draw_histogram(path: &Path, h: &Histogram, title: &str) -> Result<(), String> {
    register_fonts();
    let err = |e: &dyn std::fmt::Display| format!("cannot draw {}: {e}", path.display());
    let (lo, width, counts) = (h.lo, h.width, &h.counts);
    let hi = lo + width * counts.len() as f64;
    let top = counts.iter().copied().max().unwrap_or(1).max(1) as f64 * 1.1;
    let root = BitMapBackend::new(path, (1000, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .margin_right(36)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d(lo..hi, 0f64..top)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("weight")
        .y_desc("synapses")
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(|e| err(&e))?;
    chart
        .draw_series(counts.iter().enumerate().map(|(k, &c)| {
            let x0 = lo + k as f64 * width;
            Rectangle::new(
                [(x0, 0.0), (x0 + width, c as f64)],
                RGBColor(31, 119, 180).filled(),
            )
        }))
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The histogram counts every weight once, whatever order they come in.
    #[test]
    fn the_histogram_does_not_depend_on_order() {
        let w: Vec<f64> = (0..1000)
            .map(|k| f64::from(k * 37 % 1000) / 999.0)
            .collect();
        let ordered = weight_histogram((0.0, 1.0), |f| w.iter().for_each(|&x| f(x)));
        let reversed = weight_histogram((0.0, 1.0), |f| w.iter().rev().for_each(|&x| f(x)));
        assert_eq!(ordered.total(), 1000);
        assert_eq!(ordered.counts, reversed.counts);
    }
}
