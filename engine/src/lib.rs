//! # volley-engine — how a spiking network is simulated
//!
//! Volley is an exact, event-driven simulator. This crate holds the parts that
//! do not depend on any neuron model: integer [`Time`], [`Spike`]s and
//! [`Delivery`]s, the compact [`Connectome`], the per-partition calendar
//! [`EventQueue`], the [`SpikeForecast`] of neurons that fire on their own, the
//! [`Partition`] a worker owns, [`SyncWindow`]s and their [`Timing`], the
//! [`Simulation`] loop, and the [`Plasticity`] interface of plastic synapses
//! ([`PlasticWiring`]).
//!
//! ## Ordering and causality contract
//! - Time is an integer count of ticks (1 tick = 1/1024 µs); no float is ever
//!   compared by the scheduler.
//! - A spike emitted at `t` through a synapse of delay `d > 0` is delivered at
//!   exactly `t + d`, never earlier, and exactly once.
//! - Each neuron processes its inputs in non-decreasing time. Inputs to one
//!   neuron at the same instant are summed (in the order of the full key
//!   `(time, target, source, synapse)`) before its threshold is tested; a due
//!   forecast (a spike without input) is handled before same-time inputs.
//! - The processing order is defined by properties of the network only, never
//!   by how it is partitioned, so a seed determines the output bit for bit.
//!   Every delivery strategy of a partition — direct ([`ArrivalQueue`], the
//!   default) and grouped by target ([`EventQueue`], used with plastic
//!   synapses), for plain neurons ([`Dynamics::is_plain`]) or any — goes
//!   through one per-neuron step and makes the same calls on every neuron,
//!   so they give the same output too; they differ only in the order in
//!   which *different* neurons are visited within a window, which no neuron
//!   can see (a spike reaches others a window later at the earliest).
//! - Windows `[T, T+W)` have `W` ≤ the minimum delay, so spikes emitted in a
//!   window are delivered in later windows only; the engine asserts this in
//!   debug builds.
//! - A plastic synapse ([`Plasticity`]) is updated when a spike over it is
//!   delivered — at `t + d`, in the target's full-key order — using the
//!   target's spikes up to `t - d` (delays are dendritic, as in NEST), all of
//!   which are known by then; it lives with its target, so its weight is
//!   the same for any partitioning.

pub mod arrival_queue;
pub mod checkpoint;
pub mod connectome;
pub mod devices;
pub mod drive;
pub mod dynamics;
pub mod event_queue;
pub mod exponential;
pub mod forecast;
pub mod in_turn;
pub mod observer;
pub mod partition;
pub mod partitioning;
pub mod plasticity;
pub mod poisson;
pub mod rate_profile;
pub mod recorder;
pub mod simulation;
pub mod spike;
pub mod time;
pub mod window;

pub use arrival_queue::{Arrival, ArrivalQueue};
pub use checkpoint::{EngineState, NeuronState, SynapseRecord, TrainRecord};
pub use connectome::{
    ClassVec, Classes, Connectome, ConnectomeBuilder, ConnectomeError, OneClass, RunClasses,
    RunVisitor, SynapseClass, MAX_CLASSES,
};
pub use devices::{CurrentSchedule, DevicePlan, Devices, SampleGrid, SampledPlain, Samples};
pub use drive::Drive;
pub use dynamics::{
    prefetch, Dynamics, Forecast, Input, Outcome, PlainNeurons, PlainWork, Response,
};
pub use event_queue::EventQueue;
pub use forecast::SpikeForecast;
pub use in_turn::Workers;
pub use observer::{NoObserver, Observer};
pub use partition::{Counters, Partition, PartitionParts, PoolMode, MAX_SPIKES_PER_WINDOW};
pub use partitioning::{
    contiguous_partition, Assignment, AssignmentError, PartitionScheme, MAX_PARTITIONS,
};
pub use plasticity::{NoPlasticity, PlasticSynapses, PlasticWiring, Plasticity, SynapseWords};
pub use poisson::{PoissonTrains, PoissonView, TrainState};
pub use rate_profile::RateProfile;
pub use recorder::SpikeRecorder;
pub use simulation::{Outboxes, Simulation};
pub use spike::{Delivery, Gid, Spike};
pub use time::{Time, TICKS_PER_MS, TICKS_PER_US};
pub use window::{DelayBounds, Exchange, SyncWindow, Timing};
