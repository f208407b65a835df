//! `volley inspect`: what is in an event-camera recording or a NIR graph.

use serde::Serialize;
use volley_models::input::event_camera::{CameraEvent, Inspection};

/// The `--json` object: exactly the field names of the ground truth in
/// `shared/data/events/MANIFEST.json`, so the two compare key by key.
#[derive(Debug, Serialize)]
pub struct GroundTruthJson {
    pub event_count: u64,
    pub first_events: Vec<[i64; 4]>,
    pub last_events: Vec<[i64; 4]>,
    pub t_min: Option<i64>,
    pub t_max: Option<i64>,
    pub t_first: Option<i64>,
    pub t_last: Option<i64>,
    pub timestamps_monotonic_non_decreasing: bool,
    pub x_max_observed: Option<u16>,
    pub y_max_observed: Option<u16>,
    pub on_count: u64,
    pub off_count: u64,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

fn tuple(e: &CameraEvent) -> [i64; 4] {
    [e.t_us, i64::from(e.x), i64::from(e.y), i64::from(e.on)]
}

impl From<&Inspection> for GroundTruthJson {
    fn from(s: &Inspection) -> Self {
        let size = s.size();
        GroundTruthJson {
            event_count: s.event_count,
            first_events: s.first.iter().map(tuple).collect(),
            last_events: s.last.iter().map(tuple).collect(),
            t_min: s.t_min,
            t_max: s.t_max,
            t_first: s.t_first,
            t_last: s.t_last,
            timestamps_monotonic_non_decreasing: s.monotonic,
            x_max_observed: s.x_max,
            y_max_observed: s.y_max,
            on_count: s.on_count,
            off_count: s.off_count,
            width: size.map(|g| g.0),
            height: size.map(|g| g.1),
        }
    }
}

/// The human-readable report.
pub fn describe(path: &str, s: &Inspection) -> String {
    let mut o = String::new();
    let line = |o: &mut String, k: &str, v: String| o.push_str(&format!("{k:<22}{v}\n"));
    line(&mut o, "file", path.to_string());
    line(
        &mut o,
        "format",
        format!("{} ({})", s.format.description(), s.format.name()),
    );
    let size = match (s.geometry, s.size()) {
        (Some((w, h)), _) => format!("{w} x {h}"),
        (None, Some((w, h))) => format!("{w} x {h} (not in the file: observed maximum + 1)"),
        (None, None) => "unknown".into(),
    };
    line(&mut o, "sensor", size);
    line(&mut o, "events", s.event_count.to_string());
    line(
        &mut o,
        "ON / OFF",
        format!("{} / {}", s.on_count, s.off_count),
    );
    if let (Some(a), Some(b), Some(lo), Some(hi)) = (s.t_first, s.t_last, s.t_min, s.t_max) {
        line(&mut o, "first / last t (us)", format!("{a} / {b}"));
        line(
            &mut o,
            "min / max t (us)",
            format!("{lo} / {hi}  (span {:.6} s)", (hi - lo) as f64 * 1e-6),
        );
    }
    line(
        &mut o,
        "time order",
        if s.monotonic {
            "non-decreasing".into()
        } else {
            "NOT monotonic (replay reorders within 50 ms)".to_string()
        },
    );
    if let (Some(x), Some(y)) = (s.x_max, s.y_max) {
        line(&mut o, "max x / y", format!("{x} / {y}"));
    }
    let ev = |e: &CameraEvent| {
        format!(
            "t={} x={} y={} {}",
            e.t_us,
            e.x,
            e.y,
            if e.on { "ON" } else { "OFF" }
        )
    };
    for (k, e) in s.first.iter().enumerate() {
        line(&mut o, if k == 0 { "first events" } else { "" }, ev(e));
    }
    for (k, e) in s.last.iter().enumerate() {
        line(&mut o, if k == 0 { "last events" } else { "" }, ev(e));
    }
    let skipped = if s.report.skipped.is_empty() {
        "none".to_string()
    } else {
        s.report
            .skipped
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    line(&mut o, "skipped (non-event)", skipped);
    if s.report.damaged > 0 {
        line(
            &mut o,
            "damaged (skipped)",
            format!(
                "{} part(s), {} bytes; first: {}",
                s.report.damaged,
                s.report.damaged_bytes,
                s.report.first_damage.as_deref().unwrap_or("")
            ),
        );
    }
    line(
        &mut o,
        "decode",
        format!(
            "{:.3} s, {:.1} M events/s, {:.1} MB/s",
            s.decode_s,
            s.events_per_s() / 1e6,
            s.bytes as f64 / s.decode_s.max(1e-9) / 1e6
        ),
    );
    o
}

/// `volley inspect GRAPH.nir`: the graph's nodes and what Volley makes of
/// them (populations, synapses, readouts).
pub fn describe_nir(path: &std::path::Path) -> Result<String, volley_models::ModelError> {
    use std::fmt::Write;
    use volley_models::nir::{flatten, lower, read_file, LowerOptions, Node};
    let graph = read_file(path)?;
    let flat = flatten(&graph)
        .map_err(|(n, m)| volley_models::ModelError::key(path, format!("nodes.{n}"), m))?;
    let mut out = format!(
        "{}: NIR graph, {} nodes, {} edges\n",
        path.display(),
        flat.nodes.len(),
        flat.edges.len()
    );
    for (name, node) in &flat.nodes {
        let shape = match node {
            Node::Input { shape } | Node::Output { shape } => format!("{shape:?}"),
            Node::Neuron(n) => format!("{:?}", n.shape),
            Node::Affine { weight, .. } => format!("weight {:?}", weight.shape),
            Node::Conv(c) => format!("weight {:?}", c.weight.shape),
            _ => String::new(),
        };
        let _ = writeln!(out, "  {name:<24} {:<10} {shape}", node.type_name());
    }
    let lowered = lower(&graph, &LowerOptions::default())
        .map_err(|(n, m)| volley_models::ModelError::key(path, format!("nodes.{n}"), m))?;
    let _ = writeln!(out, "as Volley runs it (populations <name>.<node>):");
    for p in &lowered.populations {
        let _ = writeln!(
            out,
            "  population {:<16} {:<10} {} neurons",
            p.node, p.model, p.size
        );
    }
    for p in &lowered.projections {
        let _ = writeln!(
            out,
            "  synapses   {} -> {}: {}",
            p.source,
            p.target,
            p.synapses.len()
        );
    }
    for (o, n) in &lowered.outputs {
        let _ = writeln!(out, "  output     {o} reads {n}");
    }
    Ok(out)
}
