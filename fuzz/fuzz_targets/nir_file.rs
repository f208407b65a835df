//! NIR files (HDF5): any bytes must give a graph or an error naming the
//! file (and node, parameter), never a panic; a graph that reads is mapped
//! onto Volley (lowered) the same way — errors, not panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use volley_models::nir::{lower, read_bytes, LowerOptions};

fuzz_target!(|data: &[u8]| {
    if let Ok(graph) = read_bytes(Path::new("fuzz.nir"), data) {
        let _ = lower(&graph, &LowerOptions::default());
    }
});
