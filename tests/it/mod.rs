mod analytic;
mod bad_input;
mod brunel;
mod causality;
mod cli;
mod common;
mod det_net;
mod determinism;
mod event_files;
mod event_readers;
mod generators;
mod lif_exp;
mod microcircuit;
#[cfg(feature = "mpi")]
mod mpi;
mod plasticity;
mod poisson;
mod replay;
