//! Malformed model files and CSVs: each gives a clear error naming the file,
//! the key or line, and the reason — never a panic.

use super::common::{assert_has, error_of};

const POP: &str = "[[populations]]\nname = \"n\"\nmodel = \"lif_delta\"\nsize = 2\nparams = { tau_m = 20.0, C_m = 250.0, t_ref = 2.0, E_L = 0.0, V_reset = 0.0, V_th = 20.0 }\n";

fn edge_model(edges: &str) -> String {
    let _ = edges;
    format!("t_sim_ms = 10.0\n{POP}[[projections]]\nrule = \"edge_list\"\nfile = \"edges.csv\"\n")
}

#[test]
fn toml_syntax_error_names_the_line() {
    let e = error_of("t_sim_ms = 10.0\n[[populations]\nname = 1\n", &[]);
    assert_has(&e, &["model.toml:2:"]);
}

#[test]
fn unknown_top_level_key() {
    let e = error_of(&format!("t_sim = 10.0\nt_sim_ms = 10.0\n{POP}"), &[]);
    assert_has(&e, &["model.toml:1:", "unknown field `t_sim`"]);
}

#[test]
fn missing_simulation_time() {
    let e = error_of(POP, &[]);
    assert_has(&e, &["model.toml", "missing field `t_sim_ms`"]);
}

#[test]
fn unknown_neuron_model() {
    let e = error_of(
        &format!("t_sim_ms = 10.0\n{}", POP.replace("lif_delta", "hodgkin")),
        &[],
    );
    assert_has(
        &e,
        &[
            "model.toml:2:",
            "populations[0].model",
            "unknown neuron model `hodgkin`",
            "lif_delta",
        ],
    );
}

#[test]
fn unknown_parameter() {
    let e = error_of(
        &format!("t_sim_ms = 10.0\n{}", POP.replace("tau_m", "tau")),
        &[],
    );
    assert_has(&e, &["populations[0].params", "unknown field `tau`"]);
}

#[test]
fn missing_parameter() {
    let e = error_of(
        &format!("t_sim_ms = 10.0\n{}", POP.replace(", V_th = 20.0", "")),
        &[],
    );
    assert_has(&e, &["populations[0].params", "missing field `V_th`"]);
}

#[test]
fn parameter_out_of_range() {
    let e = error_of(
        &format!(
            "t_sim_ms = 10.0\n{}",
            POP.replace("tau_m = 20.0", "tau_m = -1.0")
        ),
        &[],
    );
    assert_has(&e, &["populations[0].params.tau_m", "must be from 1e-9"]);
}

#[test]
fn non_positive_delay() {
    let e = error_of(
        &format!("t_sim_ms = 10.0\n{POP}[[projections]]\nsource = \"n\"\ntarget = \"n\"\nrule = \"all_to_all\"\nweight = 1.0\ndelay_ms = 0.0\n"),
        &[],
    );
    assert_has(
        &e,
        &["model.toml:7:", "projections[0].delay_ms", "must be > 0 ms"],
    );
}

#[test]
fn unknown_population_in_projection() {
    let e = error_of(
        &format!("t_sim_ms = 10.0\n{POP}[[projections]]\nsource = \"n\"\ntarget = \"X\"\nrule = \"all_to_all\"\nweight = 1.0\ndelay_ms = 1.0\n"),
        &[],
    );
    assert_has(
        &e,
        &[
            "projections[0].target",
            "unknown population `X`",
            "known: n",
        ],
    );
}

#[test]
fn unknown_rule_and_missing_rule_key() {
    let e = error_of(
        &format!("t_sim_ms = 10.0\n{POP}[[projections]]\nsource = \"n\"\ntarget = \"n\"\nrule = \"fixed_indegree\"\nweight = 1.0\ndelay_ms = 1.0\n"),
        &[],
    );
    assert_has(
        &e,
        &[
            "projections[0].indegree",
            "missing (needed by rule `fixed_indegree`)",
        ],
    );
    let e = error_of(
        &format!("t_sim_ms = 10.0\n{POP}[[projections]]\nsource = \"n\"\ntarget = \"n\"\nrule = \"random\"\nweight = 1.0\ndelay_ms = 1.0\n"),
        &[],
    );
    assert_has(&e, &["projections[0].rule", "unknown rule `random`"]);
}

#[test]
fn edge_list_with_a_bad_number() {
    let e = error_of(
        &edge_model(""),
        &[(
            "edges.csv",
            "source,target,weight_mV,delay_ms\n0,1,0.2,1.0\n1,0,abc,1.0\n",
        )],
    );
    assert_has(
        &e,
        &["edges.csv:3", "`weight_mV`", "`abc` is not a finite number"],
    );
}

#[test]
fn edge_list_with_zero_delay() {
    let e = error_of(
        &edge_model(""),
        &[(
            "edges.csv",
            "source,target,weight_mV,delay_ms\n0,1,0.2,0.0\n",
        )],
    );
    assert_has(&e, &["edges.csv:2", "`delay_ms`", "delay must be > 0 ms"]);
}

#[test]
fn edge_list_with_an_unknown_neuron() {
    let e = error_of(
        &edge_model(""),
        &[(
            "edges.csv",
            "source,target,weight_mV,delay_ms\n0,7,0.2,1.0\n",
        )],
    );
    assert_has(
        &e,
        &[
            "edges.csv:2",
            "`target`",
            "neuron 7 out of range (the network has 2 neurons)",
        ],
    );
}

#[test]
fn edge_list_with_a_missing_column() {
    let e = error_of(
        &edge_model(""),
        &[("edges.csv", "source,target,w,delay_ms\n0,1,0.2,1.0\n")],
    );
    assert_has(&e, &["edges.csv:1", "`weight_mV`", "missing column"]);
}

#[test]
fn edge_list_with_a_short_row() {
    let e = error_of(
        &edge_model(""),
        &[("edges.csv", "source,target,weight_mV,delay_ms\n0,1,0.2\n")],
    );
    assert_has(&e, &["edges.csv:2", "expected 4 fields", "found 3"]);
}

#[test]
fn missing_data_file() {
    let e = error_of(&edge_model(""), &[]);
    assert_has(&e, &["edges.csv", "cannot open"]);
}

#[test]
fn neuron_table_with_gaps() {
    let model = "t_sim_ms = 10.0\n[[populations]]\nname = \"n\"\nmodel = \"lif_delta\"\nfile = \"neurons.csv\"\nparams = { tau_m = 20.0, C_m = 250.0, t_ref = 2.0, E_L = 0.0, V_reset = 0.0, V_th = 20.0 }\n";
    let e = error_of(
        model,
        &[("neurons.csv", "neuron,type,V_m0_mV\n0,E,1.0\n2,E,1.0\n")],
    );
    assert_has(&e, &["neurons.csv:3", "`neuron`", "expected 1, found 2"]);
}

#[test]
fn spike_file_with_a_negative_time() {
    let model = format!(
        "t_sim_ms = 10.0\n{POP}[[inputs]]\nname = \"in\"\nkind = \"spike_times\"\nspikes = \"spikes.csv\"\nweight = 1.0\ndelay_ms = 1.0\ntargets = \"n\"\n"
    );
    let e = error_of(&model, &[("spikes.csv", "input,time_ms\n0,1.0\n0,-3.0\n")]);
    assert_has(&e, &["spikes.csv:3", "`time_ms`", "must be a time >= 0 ms"]);
}

#[test]
fn unknown_input_kind_and_negative_rate() {
    let e = error_of(
        &format!("t_sim_ms = 10.0\n{POP}[[inputs]]\nname = \"x\"\nkind = \"noise\"\n"),
        &[],
    );
    assert_has(&e, &["inputs[0].kind", "unknown input kind `noise`"]);
    let e = error_of(
        &format!("t_sim_ms = 10.0\n{POP}[[inputs]]\nname = \"x\"\nkind = \"poisson\"\nrate_hz = -5.0\nweight = 1.0\ndelay_ms = 1.0\ntargets = \"n\"\n"),
        &[],
    );
    assert_has(&e, &["inputs[0].rate_hz", "must be >= 0 Hz"]);
}

#[test]
fn negative_simulation_time_and_empty_model() {
    let e = error_of(&format!("t_sim_ms = -10.0\n{POP}"), &[]);
    assert_has(&e, &["t_sim_ms", "must be a positive number of ms"]);
    let e = error_of("t_sim_ms = 10.0\n", &[]);
    assert_has(&e, &["populations", "no [[populations]]"]);
}

#[test]
fn indegree_beyond_the_available_sources() {
    // 2 neurons, no autapses, no multapses: each can have at most 1 source.
    let e = error_of(
        &format!(
            "t_sim_ms = 10.0\n{POP}[[projections]]\nsource = \"n\"\ntarget = \"n\"\nrule = \"fixed_indegree\"\nindegree = 2\n\
             allow_autapses = false\nallow_multapses = false\nweight = 1.0\ndelay_ms = 1.0\n"
        ),
        &[],
    );
    assert_has(
        &e,
        &["projections[0].indegree", "exceeds the 1 sources available"],
    );
}

#[test]
fn a_key_foreign_to_the_rule_kind_or_recorder_is_named() {
    let projection =
        "[[projections]]\nsource = \"n\"\ntarget = \"n\"\nweight = 1.0\ndelay_ms = 1.0\n";
    let e = error_of(
        &format!(
            "t_sim_ms = 10.0\n{POP}{projection}rule = \"fixed_indegree\"\nindegree = 1\np = 0.5\n"
        ),
        &[],
    );
    assert_has(
        &e,
        &["projections[0].p", "not used by rule `fixed_indegree`"],
    );
    let e = error_of(
        &format!("t_sim_ms = 10.0\n{POP}[[projections]]\nrule = \"edge_list\"\nfile = \"e.csv\"\nsource = \"n\"\n"),
        &[],
    );
    assert_has(
        &e,
        &["projections[0].source", "not used by rule `edge_list`"],
    );
    let e = error_of(
        &format!("t_sim_ms = 10.0\n{POP}[[recorders]]\nkind = \"spikes\"\nsynapses = \"all\"\n"),
        &[],
    );
    assert_has(&e, &["recorders[0].synapses", "not used by kind `spikes`"]);
    let e = error_of(
        &format!("t_sim_ms = 10.0\n{POP}[[recorders]]\nkind = \"voltages\"\n"),
        &[],
    );
    assert_has(
        &e,
        &[
            "recorders[0].kind",
            "unknown recorder kind `voltages`",
            "spikes, multimeter, weights",
        ],
    );
}
