//! `traces.png`: the membrane potential of a few sampled neurons, their
//! spikes marked on top and their threshold dashed.

use crate::raster::register_fonts;
use plotters::prelude::*;
use std::path::Path;
use volley_engine::Spike;

const COLORS: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
];

/// One neuron's trace.
pub struct Trace {
    /// Its gid.
    pub gid: u32,
    /// Its threshold (mV).
    pub v_th: f64,
    /// `(time ms, V_m mV)` samples, in time order.
    pub points: Vec<(f64, f64)>,
}

/// Draw `traces` with their neurons' `spikes` (sorted) into `path`.
pub fn draw(path: &Path, traces: &[Trace], spikes: &[Spike], title: &str) -> Result<(), String> {
    register_fonts();
    let err = |e: &dyn std::fmt::Display| format!("cannot draw {}: {e}", path.display());
    let all = traces.iter().flat_map(|t| t.points.iter());
    let (t0, t1) = all
        .clone()
        .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let (mut v0, mut v1) = all.fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
    for t in traces {
        v0 = v0.min(t.v_th);
        v1 = v1.max(t.v_th);
    }
    if t0 > t1 {
        return Ok(());
    }
    let pad = ((v1 - v0) * 0.08).max(0.5);
    let root = BitMapBackend::new(path, (1200, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .margin_right(36)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d(t0..t1.max(t0 + 1e-9), (v0 - pad)..(v1 + pad))
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("time (ms)")
        .y_desc("V_m (mV)")
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(|e| err(&e))?;
    for (k, t) in traces.iter().enumerate() {
        let color = COLORS[k % COLORS.len()];
        chart
            .draw_series(LineSeries::new(t.points.iter().copied(), &color))
            .map_err(|e| err(&e))?
            .label(format!("neuron {}", t.gid))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
        let dashes = (0..200).map(|j| {
            let a = t0 + (t1 - t0) * j as f64 / 200.0;
            let b = a + (t1 - t0) / 400.0;
            PathElement::new(vec![(a, t.v_th), (b, t.v_th)], color.mix(0.6))
        });
        chart.draw_series(dashes).map_err(|e| err(&e))?;
        let marks = spikes
            .iter()
            .filter(|s| s.source.0 == t.gid)
            .map(|s| s.time.as_ms())
            .filter(|&x| x >= t0 && x <= t1)
            .map(|x| PathElement::new(vec![(x, t.v_th), (x, v1 + pad * 0.8)], color));
        chart.draw_series(marks).map_err(|e| err(&e))?;
    }
    chart
        .configure_series_labels()
        .label_font(("sans-serif", 14))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}
