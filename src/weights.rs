//! Plastic weights as files: `weights.csv` (every plastic synapse at the
//! end), `weight_trace.csv` (every change of the traced synapses) and
//! `weights.png` (their histogram).

use crate::raster::register_fonts;
use plotters::prelude::*;
use std::fmt::Write;
use std::path::Path;
use volley_models::synapse::{TraceRow, WeightRow};

/// `source,target,weight`, one row per plastic synapse.
pub fn weights_csv(rows: &[WeightRow]) -> Vec<u8> {
    let mut out = String::with_capacity(16 + rows.len() * 24);
    out.push_str("source,target,weight\n");
    for &(s, t, w) in rows {
        let _ = writeln!(out, "{s},{t},{w:?}");
    }
    out.into_bytes()
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

/// Histogram of the final weights in 60 bins.
pub fn draw_histogram(path: &Path, rows: &[WeightRow], title: &str) -> Result<(), String> {
    register_fonts();
    let err = |e: &dyn std::fmt::Display| format!("cannot draw {}: {e}", path.display());
    let (lo, hi) = rows
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), r| {
            (a.min(r.2), b.max(r.2))
        });
    let (lo, hi) = if lo.is_finite() && hi > lo {
        (lo, hi)
    } else {
        (lo.min(0.0) - 1.0, hi.max(0.0) + 1.0)
    };
    let bins = 60usize;
    let width = (hi - lo) / bins as f64;
    let mut counts = vec![0u64; bins];
    for r in rows {
        counts[(((r.2 - lo) / width) as usize).min(bins - 1)] += 1;
    }
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
