//! Extreme numbers in model files and recordings (issue 24's hostile-input
//! review): each gives a clear error naming the key — never NaN output, a
//! wrapped time, a panic, a hang or an allocation the machine cannot hold.

use super::common::{assert_has, read_all, write};
use volley_models::input::event_camera::{encode, CameraEvent};
use volley_models::{load, Overrides};

const HEAD: &str = "t_sim_ms = 10.0\n[[populations]]\nname = \"n\"\nmodel = \"lif_delta\"\nsize = 20\nparams = { tau_m = 20.0, C_m = 250.0, t_ref = 2.0, E_L = 0.0, V_reset = 0.0, V_th = 20.0 }\n";

/// Load `model`; the error text (panics if it loads).
fn error_of(model: &str) -> String {
    super::common::error_of(model, &[])
}

fn projection(weight: &str, delay: &str) -> String {
    format!("{HEAD}[[projections]]\nsource = \"n\"\ntarget = \"n\"\nrule = \"fixed_indegree\"\nindegree = 2\nweight = {weight}\ndelay_ms = {delay}\n")
}

#[test]
fn weights_that_would_be_nan_or_infinite_are_refused() {
    for w in [
        "{ dist = \"lognormal\", mu = 1000.0, sigma = 1.0 }",
        "{ dist = \"normal\", mean = 0.0, std = 1e308 }",
        "{ dist = \"uniform\", low = -1e308, high = 1e308 }",
    ] {
        let e = error_of(&projection(w, "1.0"));
        assert_has(&e, &["projections[0].weight", "finite"]);
    }
}

#[test]
fn a_truncation_that_keeps_almost_nothing_is_refused_not_redrawn_forever() {
    let w = "{ dist = \"normal\", mean = 0.0, std = 1e300, min = -1.0, max = 1.0 }";
    let e = error_of(&projection(w, "1.0"));
    assert_has(&e, &["projections[0].weight", "keeps only"]);
    let w = "{ dist = \"lognormal\", mu = 0.0, sigma = 1.0, min = 1e10, max = 1e11 }";
    let e = error_of(&projection(w, "1.0"));
    assert_has(&e, &["projections[0].weight", "keeps only"]);
}

#[test]
fn a_uniform_initial_potential_over_all_doubles_is_an_error_not_a_panic() {
    let model = HEAD.replace(
        "size = 20\n",
        "size = 20\nV_m_init = { dist = \"uniform\", low = -1e308, high = 1e308 }\n",
    );
    let e = error_of(&model);
    assert_has(&e, &["populations[0].V_m_init", "finite"]);
}

#[test]
fn delays_beyond_the_time_range_or_below_zero_are_refused() {
    let e = error_of(&projection(
        "1.0",
        "{ dist = \"normal\", mean = 1e15, std = 1.0 }",
    ));
    assert_has(&e, &["projections[0].delay_ms", "beyond the longest time"]);
    // A normal delay with a negative mean is refused as a uniform one is.
    let e = error_of(&projection(
        "1.0",
        "{ dist = \"normal\", mean = -1.0, std = 1.0 }",
    ));
    assert_has(
        &e,
        &["projections[0].delay_ms", "delays must be > 0 ms", "`min`"],
    );
    let e = error_of(&projection("1.0", "1e13"));
    assert_has(&e, &["projections[0].delay_ms", "at most"]);
}

#[test]
fn times_that_would_wrap_when_added_are_refused() {
    // An input at 8.9e12 ms with a 1e13 ms delay used to wrap and arrive
    // before it was sent.
    let input = "[[inputs]]\nname = \"x\"\nkind = \"spike_times\"\ntimes_ms = [8.9e12]\nweight = 1.0\ndelay_ms = 1.0\ntargets = \"n\"\n";
    let e = error_of(&format!("{HEAD}{input}"));
    assert_has(&e, &["inputs[0].times_ms[0]", "from 0 to"]);
    let e = error_of(&HEAD.replace("t_sim_ms = 10.0", "t_sim_ms = 1.75e13"));
    assert_has(&e, &["t_sim_ms"]);
    let poisson = "[[inputs]]\nname = \"p\"\nkind = \"poisson\"\nrate_hz = 1.0\nweight = 1.0\ndelay_ms = 1.0\ntargets = \"n\"\nstop_ms = 1e16\n";
    let e = error_of(&format!("{HEAD}{poisson}"));
    assert_has(&e, &["inputs[0].stop_ms", "from 0 to"]);
}

#[test]
fn a_camera_stop_beyond_the_time_range_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ev: Vec<CameraEvent> = (0..10)
        .map(|i| CameraEvent {
            t_us: i * 100,
            x: i as u16,
            y: 0,
            on: true,
        })
        .collect();
    std::fs::write(dir.path().join("a.bin"), encode::nmnist(&ev)).unwrap();
    let model = "t_sim_ms = 10.0\n[[populations]]\nname = \"retina\"\nmodel = \"parrot\"\nsize = 2312\nparams = {}\n[[inputs]]\nname = \"cam\"\nkind = \"event_camera\"\nfile = \"a.bin\"\nsensor_size = [34, 34]\nstop_ms = 1e16\nweight = 1.0\ndelay_ms = 1.0\ntargets = \"retina\"\n";
    let path = write(dir.path(), "model.toml", model);
    let e = load(&path, &Overrides::default(), &Default::default())
        .err()
        .expect("an error")
        .to_string();
    assert_has(&e, &["inputs[0].stop_ms", "from 0 to"]);
}

#[test]
fn more_parameter_sets_than_the_index_holds_is_an_error() {
    // 65 537 distinct per-neuron values: one parameter set each.
    let n = 65_537;
    let taus: Vec<String> = (0..n)
        .map(|i| format!("{}", 10.0 + i as f64 * 1e-4))
        .collect();
    let model = format!(
        "t_sim_ms = 1.0\n[[populations]]\nname = \"n\"\nmodel = \"lif_delta\"\nsize = {n}\nparams = {{ tau_m = [{}], C_m = 250.0, t_ref = 2.0, E_L = 0.0, V_reset = 0.0, V_th = 20.0 }}\n",
        taus.join(", ")
    );
    let e = error_of(&model);
    assert_has(&e, &["populations[0].params", "65 536 parameter sets"]);
}

#[test]
fn networks_beyond_the_machine_are_refused_before_they_are_built() {
    let e = error_of(&HEAD.replace("size = 20", "size = 4000000000"));
    assert_has(&e, &["4000000000 neurons", "GiB of memory is available"]);
    // One input channel id of 2^24 - 1 connected to every neuron of a big
    // population: billions of input synapses.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "spikes.csv", "input,time_ms\n16777215,1.0\n");
    let model = HEAD.replace("size = 20", "size = 20000")
        + "[[inputs]]\nname = \"x\"\nkind = \"spike_times\"\nspikes = \"spikes.csv\"\nweight = 1.0\ndelay_ms = 1.0\ntargets = \"n\"\n";
    let path = write(dir.path(), "model.toml", &model);
    let e = load(&path, &Overrides::default(), &Default::default())
        .err()
        .expect("an error")
        .to_string();
    assert_has(
        &e,
        &[
            "input `x`",
            "16777216 channels",
            "GiB of memory is available",
        ],
    );
    // One delay of 1e9 ms beside 0.1 ms ones: a ring of 2e10 windows.
    let model = projection("1.0", "0.1")
        + "[[projections]]\nsource = \"n\"\ntarget = \"n\"\nrule = \"one_to_one\"\nweight = 1.0\ndelay_ms = 1e9\n";
    let e = error_of(&model);
    assert_has(&e, &["delivery queues", "GiB of memory is available"]);
}

#[test]
fn too_many_synapse_classes_are_refused() {
    let w = "{ dist = \"uniform\", low = 0.0, high = 1.0 }\nlevels = 65536";
    let e = error_of(&projection(
        w,
        "{ dist = \"uniform\", low = 0.1, high = 100.0 }",
    ));
    assert_has(
        &e,
        &[
            "projections[0].delay_ms",
            "synapse classes",
            "lower `levels`",
        ],
    );
}

fn some_events() -> Vec<CameraEvent> {
    (0..50)
        .map(|i| CameraEvent {
            t_us: 1000 + i * 10,
            x: (i % 100) as u16,
            y: (i % 90) as u16,
            on: i % 2 == 0,
        })
        .collect()
}

#[test]
fn aedat3_reads_capacity_number_and_valid_where_libcaer_puts_them() {
    // The encoder writes eventCapacity > eventNumber > eventValid: one
    // invalid event and one unused slot per packet.
    let dir = tempfile::tempdir().unwrap();
    let ev = some_events();
    let path = dir.path().join("a.aedat");
    std::fs::write(&path, encode::aedat3(&ev, 7)).unwrap();
    let (got, damaged) = read_all(&path, false).unwrap();
    assert_eq!(damaged, 0);
    assert_eq!(got, ev);
}

#[test]
fn aedat2_events_outside_the_sensor_are_damage() {
    let dir = tempfile::tempdir().unwrap();
    let ev = some_events();
    let mut bytes = encode::aedat2(&ev, false); // DAVIS240C: 240 x 180
                                                // Set x of the last record to 1000 (10 bits of x at bits 21..12).
    let n = bytes.len();
    let a = u32::from_be_bytes(bytes[n - 8..n - 4].try_into().unwrap());
    let a = (a & !(0x3FF << 12)) | (1000 << 12);
    bytes[n - 8..n - 4].copy_from_slice(&a.to_be_bytes());
    let path = dir.path().join("davis.aedat");
    std::fs::write(&path, &bytes).unwrap();
    let e = read_all(&path, false).unwrap_err();
    assert_has(&e, &["davis.aedat", "outside the 240x180 sensor"]);
    let (got, damaged) = read_all(&path, true).unwrap();
    assert_eq!(got, ev[..ev.len() - 1]);
    assert_eq!(damaged, 1, "one damaged record");
}

#[test]
fn aedat2_cut_inside_its_header_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = encode::aedat2(&some_events(), false);
    let path = dir.path().join("cut.aedat");
    std::fs::write(&path, &bytes[..30]).unwrap();
    let e = read_all(&path, false).unwrap_err();
    assert_has(&e, &["cut.aedat", "ends inside its header"]);
}

#[test]
fn aedat4_with_a_huge_declared_packet_is_damage_without_allocating_it() {
    let dir = tempfile::tempdir().unwrap();
    let shared = super::common::shared();
    let Some(shared) = shared else {
        eprintln!("skipped: ../shared/data/events not found");
        return;
    };
    let real = std::fs::read(shared.join("data/events/aedat4_dvxplorer_lz4.aedat4")).unwrap();
    // The first 2 kB of a real file, then a packet header declaring 1 GiB.
    let mut bytes = real[..2048.min(real.len())].to_vec();
    bytes.extend_from_slice(&0i32.to_le_bytes());
    bytes.extend_from_slice(&(1i32 << 30).to_le_bytes());
    let path = dir.path().join("big.aedat4");
    std::fs::write(&path, &bytes).unwrap();
    // Strict: an error naming the file; no 1 GiB buffer (the reader grows
    // its buffer only as data arrives).
    assert!(read_all(&path, false).is_err());
}

#[test]
fn a_zero_refractory_period_fires_at_most_once_per_tick() {
    // t_ref = 0 with a drive that re-crosses threshold at once: a neuron
    // fires once per tick (1/1024 µs), not without end at one instant.
    for (model, syn) in [
        ("lif_delta", ""),
        ("lif_exp", ", tau_syn_ex = 2.0, tau_syn_in = 2.0"),
        ("lif_alpha", ", tau_syn_ex = 2.0, tau_syn_in = 2.0"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "t_sim_ms = 0.01\n[[populations]]\nname = \"n\"\nmodel = \"{model}\"\nsize = 2\nparams = {{ tau_m = 20.0, C_m = 250.0, t_ref = 0.0, E_L = 0.0, V_reset = 0.0, V_th = 20.0, I_e = 1e12{syn} }}\n[[recorders]]\nkind = \"spikes\"\npopulations = [\"n\"]\n"
        );
        let path = write(dir.path(), "storm.toml", &text);
        let (summary, _out) = super::common::run(&path, None);
        let ticks = 10 * 1024; // 0.01 ms
        assert!(summary.spikes > 0, "{model}: the drive makes it fire");
        assert!(
            summary.spikes <= 2 * (ticks + 1),
            "{model}: {} spikes",
            summary.spikes
        );
    }
}

#[test]
fn a_run_of_huge_windows_ends() {
    // t_sim near the time limit with a minimum delay of 7e11 ms: the run
    // loop's `now + step` used to wrap and never advance.
    let dir = tempfile::tempdir().unwrap();
    let model = HEAD.replace("t_sim_ms = 10.0", "t_sim_ms = 1.0e12")
        + "[[projections]]\nsource = \"n\"\ntarget = \"n\"\nrule = \"one_to_one\"\nweight = 1.0\ndelay_ms = 7.0e11\n";
    let path = write(dir.path(), "long.toml", &model);
    let (summary, _out) = super::common::run(&path, None);
    assert_eq!(summary.t_sim_ms, 1.0e12);
    assert_eq!(summary.spikes, 0);
}

#[test]
fn poisson_rates_beyond_the_tick_are_refused() {
    // 1e12 Hz used to run (almost) without end; 1e10 Hz gave 15 times too
    // many events (intervals rounded to the tick).
    for (kind, key) in [
        ("rate_hz = 1e12", "inputs[0].rate_hz"),
        (
            "rate_times_ms = [0.0]\nrate_values_hz = [1e300]",
            "inputs[0].rate_values_hz[0]",
        ),
    ] {
        let which = if kind.starts_with("rate_hz") {
            "poisson"
        } else {
            "inhomogeneous_poisson"
        };
        let input = format!("[[inputs]]\nname = \"p\"\nkind = \"{which}\"\n{kind}\nweight = 1.0\ndelay_ms = 1.0\ntargets = \"n\"\n");
        let e = error_of(&format!("{HEAD}{input}"));
        assert_has(&e, &[key, "at most 1e7 Hz"]);
    }
}

#[test]
fn a_spike_storm_stops_the_run_with_an_error() {
    // Found by the model_numbers fuzz target: t_ref, tau_m, C_m and V_th of
    // 1e-9 with I_e = 50 pA fire every tick — 10^8 spikes in a 1 ms window,
    // which grew the spike buffer until allocation failed.
    let dir = tempfile::tempdir().unwrap();
    let model = "t_sim_ms = 1.0\n[[populations]]\nname = \"n\"\nmodel = \"lif_delta\"\nsize = 100\nparams = { tau_m = 1e-9, C_m = 1e-9, t_ref = 1e-9, E_L = 0.0, V_reset = 0.0, V_th = 1e-9, I_e = 50.0 }\n";
    let path = write(dir.path(), "storm.toml", model);
    let opts = volley::run::RunOptions {
        out_dir: dir.path().join("out"),
        overrides: Overrides::default(),
        config: Default::default(),
        progress: false,
        realtime: false,
        raster: false,
        checkpoint: None,
    };
    let e = volley::run::run_model(&path, &opts)
        .expect_err("a storm")
        .to_string();
    assert_has(&e, &["spike storm", "t_ref", "spikes dropped"]);
    assert!(!dir.path().join("out/summary.json").exists());
}

#[test]
fn time_constants_and_potentials_beyond_f64s_reach_are_refused() {
    // Found by model_numbers: tau_m = 5e-324 made lif_alpha's membrane NaN,
    // and its crossing search split every window down to f64 resolution.
    let base = [
        ("tau_m", "20.0"),
        ("C_m", "250.0"),
        ("t_ref", "2.0"),
        ("E_L", "0.0"),
        ("V_reset", "0.0"),
        ("V_th", "20.0"),
        ("I_e", "0.0"),
        ("tau_syn_ex", "2.0"),
        ("tau_syn_in", "2.0"),
    ];
    for (key, value) in [
        ("tau_m", "5e-324"),
        ("C_m", "1e300"),
        ("tau_syn_ex", "1e-12"),
        ("V_reset", "-1e308"),
        ("I_e", "1.125e18"),
    ] {
        let params: Vec<String> = base
            .iter()
            .map(|&(k, v)| format!("{k} = {}", if k == key { value } else { v }))
            .collect();
        let model = format!(
            "t_sim_ms = 2.0\n[[populations]]\nname = \"n\"\nmodel = \"lif_alpha\"\nsize = 2\nparams = {{ {} }}\n",
            params.join(", ")
        );
        let e = error_of(&model);
        assert_has(&e, &[&format!("params.{key}"), "must be"]);
    }
}
