//! `raster.png`: spike raster of a sample of neurons above the population
//! rate. Text is drawn with a bundled DejaVu Sans (plotters' bitmap backend
//! has no font of its own).

use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};
use std::path::Path;
use std::sync::Once;
use volley_engine::Spike;
use volley_models::PopulationInfo;

static FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
static REGISTER: Once = Once::new();
const MAX_ROWS: u32 = 400;
const COLORS: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
];

/// Make the bundled font plotters' "sans-serif" (once).
pub fn register_fonts() {
    REGISTER.call_once(|| {
        let _ = register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// Draw the raster of `spikes` (sorted by time) between `t0_ms` and `t1_ms`.
pub fn draw(
    path: &Path,
    spikes: &[Spike],
    populations: &[PopulationInfo],
    t0_ms: f64,
    t1_ms: f64,
    title: &str,
) -> Result<(), String> {
    register_fonts();
    let err = |e: &dyn std::fmt::Display| format!("cannot draw {}: {e}", path.display());
    // Rows: a proportional sample of each population's first recorded neurons.
    let recorded: Vec<&PopulationInfo> = populations
        .iter()
        .filter(|p| !p.recorded.is_empty())
        .collect();
    let size = |p: &PopulationInfo| p.recorded.len() as u64;
    let total: u64 = recorded.iter().map(|p| size(p)).sum::<u64>().max(1);
    let mut rows = Vec::new(); // (sampled gids, row offset, color, name)
    let mut offset = 0u32;
    for (k, p) in recorded.iter().enumerate() {
        let n = ((MAX_ROWS as u64 * size(p)).div_ceil(total)).clamp(1, size(p)) as usize;
        let gids = &p.recorded[..n];
        rows.push((gids, offset, COLORS[k % COLORS.len()], p.name.clone()));
        offset += n as u32;
    }
    let n_rows = offset.max(1);
    let root = BitMapBackend::new(path, (1200, 800)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let (upper, lower) = root.split_vertically(560);
    let span = (t1_ms - t0_ms).max(1e-9);
    let mut chart = ChartBuilder::on(&upper)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .margin_right(36)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(t0_ms..t1_ms, 0f64..n_rows as f64)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("time (ms)")
        .y_desc("neuron (sample)")
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(|e| err(&e))?;
    for (gids, off, color, name) in &rows {
        let pts = spikes.iter().filter_map(|s| {
            let row = gids.binary_search(&s.source.0).ok()?;
            Some((s.time.as_ms(), (*off + row as u32) as f64 + 0.5))
        });
        chart
            .draw_series(pts.map(|p| Circle::new(p, 1, color.filled())))
            .map_err(|e| err(&e))?
            .label(name.as_str())
            .legend(move |(x, y)| Circle::new((x, y), 4, color.filled()));
    }
    chart
        .configure_series_labels()
        .label_font(("sans-serif", 14))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| err(&e))?;
    // Population rate in 200 bins.
    let bins = 200usize;
    let width = span / bins as f64;
    let mut counts = vec![0u64; bins];
    for s in spikes {
        let t = s.time.as_ms();
        if t >= t0_ms && t < t1_ms {
            counts[(((t - t0_ms) / width) as usize).min(bins - 1)] += 1;
        }
    }
    let rate: Vec<f64> = counts
        .iter()
        .map(|&c| c as f64 / (total as f64 * width / 1000.0))
        .collect();
    let max_rate = rate.iter().cloned().fold(1e-9, f64::max) * 1.1;
    let mut lower_chart = ChartBuilder::on(&lower)
        .margin(12)
        .margin_right(36)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d(t0_ms..t1_ms, 0f64..max_rate)
        .map_err(|e| err(&e))?;
    lower_chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("time (ms)")
        .y_desc("rate (Hz)")
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(|e| err(&e))?;
    lower_chart
        .draw_series(LineSeries::new(
            rate.iter()
                .enumerate()
                .map(|(k, &r)| (t0_ms + (k as f64 + 0.5) * width, r)),
            &BLACK,
        ))
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}
