//! Model files are outside data: parsing any bytes must give a model or an
//! error, never a panic — including the synapse-model tables.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use volley_models::synapse::SynapseRule;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(file) = volley_models::network::model_file::parse(Path::new("fuzz.toml"), text) {
            for p in &file.projections {
                if let Some(t) = &p.get_ref().synapse {
                    if let Ok(Some(rule)) = SynapseRule::parse(t) {
                        let _ = rule.check_weight(f64::from(data.len() as u32) - 100.0);
                    }
                }
            }
        }
    }
});
