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
mod ops;

pub use file::{read_bytes, read_file, NODE_TYPES};
pub use graph::{Conv, Graph, NeuronKind, NeuronNode, Node, PoolKind, Tensor};
pub use lower::{flatten, lower, LowerOptions, Lowered, NirPopulation, NirProjection, NirSynapse};
pub use ops::{LinearOp, Reach};

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn shared_files_load_and_lower() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/nir");
        if !dir.exists() {
            eprintln!("skipped: {} is absent", dir.display());
            return;
        }
        for f in [
            "lif_norse.nir",
            "lif_rockpool.nir",
            "two_lif_neurons.nir",
            "cnn_sinabs.nir",
            "braille_noDelay_bias_zero.nir",
            "braille_noDelay_noBias_subtract.nir",
        ] {
            let g = read_file(&dir.join(f)).unwrap();
            let l = lower(&g, &LowerOptions::default()).unwrap_or_else(|e| panic!("{f}: {e:?}"));
            let n: usize = l.projections.iter().map(|p| p.synapses.len()).sum();
            eprintln!(
                "{f}: pops {:?}, {} projections, {n} synapses, outputs {:?}",
                l.populations
                    .iter()
                    .map(|p| (&p.node, p.model, p.size))
                    .collect::<Vec<_>>(),
                l.projections.len(),
                l.outputs
            );
        }
    }
}
