mod analytic;
mod bad_input;
mod brunel;
mod cli;
mod common;
mod det_net;
mod poisson;
