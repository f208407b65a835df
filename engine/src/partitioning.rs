//! How neurons are split into partitions.
//!
//! A scheme maps every neuron gid to a partition. Inside a partition local
//! indices follow gid order, so ordering deliveries by local target equals
//! ordering them by gid — the split never changes the processing order.

use crate::spike::Gid;

/// The ways to split neurons over partitions.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum PartitionScheme {
    /// Chosen by whoever knows the network (the default): the model builder
    /// takes [`Blocks`](Self::Blocks) when an event camera drives a
    /// population, synapses are plastic or a contiguous split would leave
    /// one worker more Poisson drive, [`Contiguous`](Self::Contiguous)
    /// otherwise; an
    /// [`Assignment`] made without that knowledge is contiguous.
    #[default]
    Auto,
    /// Balanced contiguous blocks of gids.
    Contiguous,
    /// Gid `g` goes to partition `g mod P`.
    RoundRobin,
    /// Blocks of [`BLOCK`] consecutive gids dealt round robin: block `b`
    /// goes to partition `b mod P`. Every population (and every part of an
    /// input's channel map) is spread evenly over the partitions, so the
    /// work is balanced even where it is not uniform over the gids — a
    /// camera's busy rows, the one population an input drives — while
    /// neighbouring gids still share a partition.
    Blocks,
    /// Partition of every neuron, by gid (values < P).
    Explicit(Vec<u16>),
}

/// Gids per block of [`PartitionScheme::Blocks`]: small against a
/// population, large enough that neighbours mostly share a partition.
pub const BLOCK: u64 = 64;

impl PartitionScheme {
    /// The named schemes' names, as the command line and Python take them.
    pub const NAMES: [&'static str; 4] = ["auto", "contiguous", "round_robin", "blocks"];

    /// The scheme called `name` (one of [`NAMES`](Self::NAMES)).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "auto" => Some(PartitionScheme::Auto),
            "contiguous" => Some(PartitionScheme::Contiguous),
            "round_robin" => Some(PartitionScheme::RoundRobin),
            "blocks" => Some(PartitionScheme::Blocks),
            _ => None,
        }
    }

    /// Its name (`explicit` for an explicit assignment).
    pub fn name(&self) -> &'static str {
        match self {
            PartitionScheme::Auto => "auto",
            PartitionScheme::Contiguous => "contiguous",
            PartitionScheme::RoundRobin => "round_robin",
            PartitionScheme::Blocks => "blocks",
            PartitionScheme::Explicit(_) => "explicit",
        }
    }
}

/// Neuron gid → (partition, local index), for a given number of partitions.
#[derive(Clone, Debug)]
pub struct Assignment {
    parts: usize,
    partition_of: Vec<u16>,
    local_of: Vec<u32>,
    members: Vec<Vec<Gid>>,
}

/// Why an assignment cannot be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AssignmentError {
    /// Between 1 and 64 partitions are supported.
    #[error("the number of partitions must be between 1 and 64, got {0}")]
    Count(usize),
    /// An explicit assignment of the wrong length.
    #[error("explicit assignment has {got} entries for {want} neurons")]
    Length {
        /// Entries given.
        got: usize,
        /// Neurons.
        want: usize,
    },
    /// An explicit assignment naming a partition that does not exist.
    #[error("neuron {gid} is assigned to partition {part}, but there are only {parts}")]
    Range {
        /// The neuron.
        gid: u32,
        /// Its partition.
        part: u16,
        /// Number of partitions.
        parts: usize,
    },
}

/// The partition of gid `g` when `n` neurons are split into `parts`
/// contiguous ranges of (nearly) equal size.
pub fn contiguous_partition(g: u32, n: u32, parts: usize) -> usize {
    (u64::from(g) * parts as u64 / u64::from(n.max(1))) as usize
}

/// Most partitions (destination sets are 64-bit masks).
pub const MAX_PARTITIONS: usize = 64;

impl Assignment {
    /// Split `n` neurons into `parts` partitions by `scheme`.
    pub fn new(n: u32, parts: usize, scheme: &PartitionScheme) -> Result<Self, AssignmentError> {
        if parts == 0 || parts > MAX_PARTITIONS {
            return Err(AssignmentError::Count(parts));
        }
        let partition_of: Vec<u16> = match scheme {
            PartitionScheme::Auto | PartitionScheme::Contiguous => (0..n)
                .map(|g| contiguous_partition(g, n, parts) as u16)
                .collect(),
            PartitionScheme::RoundRobin => (0..n).map(|g| (g as usize % parts) as u16).collect(),
            PartitionScheme::Blocks => (0..u64::from(n))
                .map(|g| ((g / BLOCK) % parts as u64) as u16)
                .collect(),
            PartitionScheme::Explicit(v) => {
                if v.len() != n as usize {
                    return Err(AssignmentError::Length {
                        got: v.len(),
                        want: n as usize,
                    });
                }
                if let Some((g, &part)) = v.iter().enumerate().find(|(_, &q)| q as usize >= parts) {
                    return Err(AssignmentError::Range {
                        gid: g as u32,
                        part,
                        parts,
                    });
                }
                v.clone()
            }
        };
        let mut members = vec![Vec::new(); parts];
        let mut local_of = vec![0u32; n as usize];
        for (g, &q) in partition_of.iter().enumerate() {
            local_of[g] = members[q as usize].len() as u32;
            members[q as usize].push(Gid(g as u32));
        }
        Ok(Assignment {
            parts,
            partition_of,
            local_of,
            members,
        })
    }

    /// Number of partitions.
    pub fn parts(&self) -> usize {
        self.parts
    }

    /// Partition of neuron `gid`.
    #[inline]
    pub fn partition_of(&self, gid: u32) -> usize {
        self.partition_of[gid as usize] as usize
    }

    /// Local index of neuron `gid` in its partition.
    #[inline]
    pub fn local_of(&self, gid: u32) -> u32 {
        self.local_of[gid as usize]
    }

    /// Gids of partition `p`, increasing.
    pub fn members(&self, p: usize) -> &[Gid] {
        &self.members[p]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_cover_every_neuron_once_in_gid_order() {
        for scheme in [
            PartitionScheme::Contiguous,
            PartitionScheme::RoundRobin,
            PartitionScheme::Blocks,
        ] {
            for (n, parts) in (1..6).flat_map(|p| [(17, p), (300, p)]) {
                let a = Assignment::new(n, parts, &scheme).unwrap();
                let total: usize = (0..parts).map(|p| a.members(p).len()).sum();
                assert_eq!(total, n as usize);
                for p in 0..parts {
                    assert!(a.members(p).windows(2).all(|w| w[0] < w[1]));
                    for (i, g) in a.members(p).iter().enumerate() {
                        assert_eq!(a.partition_of(g.0), p);
                        assert_eq!(a.local_of(g.0), i as u32);
                    }
                }
            }
        }
        let c = Assignment::new(10, 3, &PartitionScheme::Contiguous).unwrap();
        assert_eq!(
            (0..3).map(|p| c.members(p).len()).collect::<Vec<_>>(),
            vec![4, 3, 3]
        );
        let b = Assignment::new(200, 3, &PartitionScheme::Blocks).unwrap();
        assert_eq!(
            (0..3).map(|p| b.members(p).len()).collect::<Vec<_>>(),
            vec![64 + 8, 64, 64]
        );
        assert_eq!((b.partition_of(63), b.partition_of(64)), (0, 1));
        for scheme in PartitionScheme::NAMES {
            assert_eq!(PartitionScheme::from_name(scheme).unwrap().name(), scheme);
        }
        assert!(Assignment::new(3, 2, &PartitionScheme::Explicit(vec![0, 2, 1])).is_err());
        assert!(Assignment::new(3, 65, &PartitionScheme::Contiguous).is_err());
    }
}
