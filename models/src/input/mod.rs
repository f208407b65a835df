//! External inputs: Poisson trains and spike-time files.

pub mod poisson;
pub mod spike_times;

pub use poisson::PoissonDrive;
pub use spike_times::SpikeTimesDrive;
