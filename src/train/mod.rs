//! Training over a data set: mini-batch steps, evaluation, and continuing from a checkpoint.
//!
//! - `trainer` (its items are re-exported here, so the path is `train::Trainer`): the
//!   [`TrainConfig`] recipe, the [`Trainer`] and its deterministic data-parallel mini-batch
//!   [`step`](Trainer::step), and [`evaluate`] with its [`EvalStats`].
//! - [`resume`]: whether a checkpoint belongs to a run, and the trainer that continues it.

pub mod resume;
mod trainer;

pub use trainer::{
    evaluate, EvalStats, LrSchedule, StepStats, TrainConfig, Trainer, CHUNK, HIST_BINS, MAX_BATCH, MAX_INIT,
    MAX_PENALTY,
};
