//! Model files are outside data: parsing any bytes must give a model or an
//! error, never a panic — including the synapse-model tables, the
//! population slices (`"E[0:50]"`) of every name, rate profiles and
//! multimeter neuron lists.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use volley_engine::{RateProfile, Time};
use volley_models::network::model_file::{InputKind, Names, NeuronChoice, RecorderSpec};
use volley_models::network::selection;
use volley_models::synapse::SynapseRule;

/// Every slice in `names`, against populations of a few sizes.
fn slices(names: Option<&Names>) {
    for name in names.map(Names::list).unwrap_or_default() {
        if let (_, Some(s)) = selection::split(name) {
            for size in [0, 1, 7, u32::MAX] {
                let _ = selection::slice(s, size);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(file) = volley_models::network::model_file::parse(Path::new("fuzz.toml"), text) {
            for i in &file.inputs {
                match &i.get_ref().kind {
                    InputKind::Poisson { targets, .. } => slices(Some(targets)),
                    InputKind::InhomogeneousPoisson {
                        targets,
                        rate_times_ms,
                        rate_values_hz,
                        ..
                    } => {
                        slices(Some(targets));
                        let times: Vec<Time> = rate_times_ms
                            .iter()
                            .map(|&ms| Time::from_ms(ms).unwrap_or(Time::ZERO))
                            .collect();
                        if let Some(p) = RateProfile::new(&times, rate_values_hz) {
                            let mut rng = <rand_xoshiro::Xoroshiro128PlusPlus as
                                rand_xoshiro::rand_core::SeedableRng>::seed_from_u64(1);
                            let mut t = 0u64;
                            for _ in 0..64 {
                                let d = p.shifted(Time(7)).interval_after(t, &mut rng);
                                if d == u64::MAX {
                                    break;
                                }
                                t = t.saturating_add(d);
                            }
                        }
                    }
                    InputKind::SpikeTimes { targets, .. } => slices(targets.as_ref()),
                    InputKind::EventCamera(c) => slices(Some(&c.targets)),
                    InputKind::Dc { targets, .. } | InputKind::StepCurrent { targets, .. } => {
                        slices(Some(targets))
                    }
                }
            }
            for r in &file.recorders {
                match r.get_ref() {
                    RecorderSpec::Spikes { populations, .. } => slices(populations.as_ref()),
                    RecorderSpec::Multimeter {
                        neurons: NeuronChoice::Names(n),
                        ..
                    } => slices(Some(n)),
                    _ => {}
                }
            }
            for p in &file.projections {
                slices(p.get_ref().source.as_ref());
                slices(p.get_ref().target.as_ref());
                if let Some(t) = &p.get_ref().synapse {
                    if let Ok(Some(rule)) = SynapseRule::parse(t) {
                        let _ = rule.check_weight(f64::from(data.len() as u32) - 100.0);
                    }
                }
            }
        }
    }
});
