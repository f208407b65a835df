//! Networks: model files, generators and loaders.

pub mod build;
mod camera_input;
pub mod csv_table;
pub mod distributed;
pub mod generators;
pub mod model_file;
pub mod wiring;

pub use build::{load, read_partition_file, Network, NetworkSimulation, Overrides, PopulationInfo};
pub use distributed::{Collective, Share};
