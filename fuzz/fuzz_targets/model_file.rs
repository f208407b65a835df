//! Model files are outside data: parsing any bytes must give a model or an
//! error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = volley_models::network::model_file::parse(Path::new("fuzz.toml"), text);
    }
});
