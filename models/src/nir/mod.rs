//! NIR graphs (Neuromorphic Intermediate Representation, `nir` 1.0): trained
//! spiking networks exchanged by snnTorch, Norse, Sinabs, Rockpool, Lava,
//! run here in exact continuous time.
//!
//! [`read_file`] reads the HDF5 file into a [`Graph`]; [`lower`] maps it onto
//! Volley's populations and synapses ([`Lowered`]), node by node, exactly —
//! a node without an exact event-driven form is an error naming it. The
//! model file's `[[nir]]` section (`network/nir_graphs.rs`) puts the result
//! into a network beside other populations, inputs and recorders.

mod file;
mod graph;
mod lower;
mod neurons;
mod ops;

pub use file::{read_bytes, read_file, NODE_TYPES};
pub use graph::{Conv, Graph, NeuronKind, NeuronNode, Node, PoolKind, Tensor};
pub use lower::{flatten, lower, LowerOptions, Lowered, NirPopulation, NirProjection, NirSynapse};
pub use ops::{LinearOp, Reach};
