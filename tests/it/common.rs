//! Helpers shared by the integration tests.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use volley::run::{run_model, RunOptions, Summary};
use volley_models::{Overrides, PartitionScheme, RunConfig};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared` beside the repository, or `None` (with the reason printed).
pub fn shared() -> Option<PathBuf> {
    let p = root().join("../shared");
    if p.join("peers/data/det_net/edges.csv").is_file() {
        Some(p)
    } else {
        eprintln!(
            "SKIPPED: {} is absent (the shared reference data lives beside the repository)",
            p.display()
        );
        None
    }
}

/// Run a model file into a fresh temporary folder on one thread.
pub fn run(model: &Path, t_sim_ms: Option<f64>) -> (Summary, tempfile::TempDir) {
    run_on(model, t_sim_ms, 1, PartitionScheme::Contiguous)
}

/// Run a model file on `threads` workers split by `scheme`.
pub fn run_on(
    model: &Path,
    t_sim_ms: Option<f64>,
    threads: usize,
    scheme: PartitionScheme,
) -> (Summary, tempfile::TempDir) {
    let overrides = Overrides {
        t_sim_ms,
        ..Overrides::default()
    };
    run_with(model, overrides, RunConfig::threads(threads, scheme))
}

/// Run `model` with `seed` on `threads` threads (contiguous partitions).
pub fn run_seeded(model: &Path, seed: u64, threads: usize) -> (Summary, tempfile::TempDir) {
    let overrides = Overrides {
        seed: Some(seed),
        ..Overrides::default()
    };
    let config = RunConfig::threads(threads, PartitionScheme::Contiguous);
    run_with(model, overrides, config)
}

/// Run `model` with `overrides` into a fresh temporary folder.
fn run_with(model: &Path, overrides: Overrides, config: RunConfig) -> (Summary, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let opts = RunOptions {
        out_dir: dir.path().to_path_buf(),
        overrides,
        config,
        progress: false,
        realtime: false,
        raster: false,
        checkpoint: None,
    };
    let summary = run_model(model, &opts)
        .unwrap_or_else(|e| panic!("run of {} failed: {e}", model.display()));
    (summary, dir)
}

/// Write a model file (and nothing else) into `dir`.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write test file");
    p
}

/// Spike trains by neuron from a `gid,time_ms` (or `neuron,time_ms,...`) CSV.
pub fn trains(path: &Path) -> BTreeMap<u32, Vec<f64>> {
    let text = std::fs::read_to_string(path).expect("spike file");
    let mut out: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let mut f = line.split(',');
        let n: u32 = f.next().unwrap().parse().unwrap();
        let t: f64 = f.next().unwrap().parse().unwrap();
        out.entry(n).or_default().push(t);
    }
    for v in out.values_mut() {
        v.sort_by(f64::total_cmp);
    }
    out
}

/// Neuron-by-neuron comparison as `shared/peers/compare_spikes.py` does it.
pub struct Comparison {
    pub ours: usize,
    pub reference: usize,
    pub matched: usize,
    pub max_dt: f64,
    pub first_divergence: Option<f64>,
}

pub fn compare(
    ours: &BTreeMap<u32, Vec<f64>>,
    reference: &BTreeMap<u32, Vec<f64>>,
    tol: f64,
) -> Comparison {
    let mut c = Comparison {
        ours: ours.values().map(Vec::len).sum(),
        reference: reference.values().map(Vec::len).sum(),
        matched: 0,
        max_dt: 0.0,
        first_divergence: None,
    };
    let empty = vec![];
    let keys: std::collections::BTreeSet<u32> =
        ours.keys().chain(reference.keys()).copied().collect();
    for n in keys {
        let x = ours.get(&n).unwrap_or(&empty);
        let y = reference.get(&n).unwrap_or(&empty);
        let m = x.len().min(y.len());
        let mut k = 0;
        while k < m && (x[k] - y[k]).abs() <= tol {
            c.max_dt = c.max_dt.max((x[k] - y[k]).abs());
            k += 1;
        }
        c.matched += k;
        if k < x.len().max(y.len()) {
            let t = [x.get(k), y.get(k)]
                .into_iter()
                .flatten()
                .cloned()
                .fold(f64::INFINITY, f64::min);
            c.first_divergence = Some(c.first_divergence.map_or(t, |d: f64| d.min(t)));
        }
    }
    c
}

/// Load `model` (beside `files`, name and text) and return its error text;
/// panics if it loads.
pub fn error_of(model: &str, files: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        write(dir.path(), name, text);
    }
    let path = write(dir.path(), "model.toml", model);
    match volley_models::load(&path, &Overrides::default(), &Default::default()) {
        Ok(_) => panic!("expected an error for:\n{model}"),
        Err(e) => e.to_string(),
    }
}

/// `err` contains every one of `parts`.
pub fn assert_has(err: &str, parts: &[&str]) {
    for p in parts {
        assert!(err.contains(p), "error `{err}` should contain `{p}`");
    }
}

/// Every event of the recording at `path` and the count of damaged parts.
pub fn read_all(
    path: &Path,
    lenient: bool,
) -> Result<(Vec<volley_models::input::event_camera::CameraEvent>, u64), String> {
    use volley_models::input::event_camera::{open, ReadOptions};
    let options = ReadOptions {
        format: None,
        lenient,
    };
    let mut r = open(path, options).map_err(|e| e.to_string())?;
    let (mut all, mut chunk) = (Vec::new(), Vec::new());
    while r.next_chunk(&mut chunk).map_err(|e| e.to_string())? {
        all.extend_from_slice(&chunk);
    }
    Ok((all, r.report().damaged))
}
