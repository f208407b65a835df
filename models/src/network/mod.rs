//! Networks: model files, generators and loaders.

pub mod build;
pub mod csv_table;
pub mod model_file;

pub use build::{load, Network, Overrides, PopulationInfo};
