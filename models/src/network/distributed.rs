//! Building one process's share of a network that several processes (MPI
//! ranks) simulate together. The builder needs three global facts that no
//! rank knows alone; a [`Collective`] supplies them (an MPI communicator,
//! or nothing for a single process).

use std::fmt;
use std::ops::Range;
use std::rc::Rc;

/// The collective operations the builder needs across processes. Called
/// only from the thread that runs the builder (MPI needs no thread support).
pub trait Collective {
    /// The minimum of `x` over all processes.
    fn min_u64(&self, x: u64) -> u64;
    /// The maximum of `x` over all processes.
    fn max_u64(&self, x: u64) -> u64;
    /// Element-wise bitwise OR of `v` over all processes, in place.
    fn or_u64s(&self, v: &mut [u64]);
    /// The sum of `x` over the processes on this machine (those sharing
    /// its cores and memory).
    fn sum_on_this_machine(&self, x: u64) -> u64;
}

/// Which partitions this process builds, and how it agrees with the others.
#[derive(Clone)]
pub struct Share {
    /// The partitions this process holds (of all `threads` partitions).
    pub parts: Range<usize>,
    /// The other processes.
    pub collective: Rc<dyn Collective>,
}

impl fmt::Debug for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Share")
            .field("parts", &self.parts)
            .finish_non_exhaustive()
    }
}
