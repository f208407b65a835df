//! External inputs: Poisson trains, spike-time files and event-camera recordings.

pub mod event_camera;
pub mod poisson;
pub mod spike_times;

pub use poisson::{inhomogeneous_trains, poisson_trains};
pub use spike_times::SpikeTimesDrive;
