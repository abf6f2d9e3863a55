//! multispike: spiking neural networks trained with exact spike-timing backpropagation, neurons
//! allowed to fire many times (Yamamoto, Sakemi, Aihara). See `ARCHITECTURE.md` for the data flow.
//!
//! The compute core (everything but `wasm`) names no WebAssembly or JavaScript type.
//!
//! # Module map
//!
//! - [`engine`]: one sample through the network and back: configuration, precision, kernels,
//!   encoding, events, the exact forward and backward passes, the loss, Adam.
//! - [`formats`]: bytes in and out: the safetensors container, model files, checkpoints, the
//!   browser's shards and manifest, and (native only) bounded reads and atomic writes.
//! - [`train`]: mini-batch training and evaluation over a data set, and resuming from a
//!   checkpoint.
//! - [`data`]: the table of data sets, IDX files, Yin-Yang, fetching, and the [`data::Samples`]
//!   view training takes of them.
//! - [`app`]: what the command-line tool and the pages drive: the browser's training session, the
//!   Yin-Yang playground, the τ sweep's CSV, drawing preprocessing, traces and prediction
//!   records, reference cases, random seeds.
//! - [`error`]: [`Error`] and [`Result`], the typed errors of every fallible function.
//! - `wasm` (wasm32 only): the thin JavaScript binding of the above.
//!
//! The most used types are re-exported here: [`Network`], [`NetConfig`], [`Mode`],
//! [`Precision`], [`Error`].

pub mod app;
pub mod data;
pub mod engine;
pub mod error;
pub mod formats;
pub mod train;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use engine::config::{Mode, NetConfig};
pub use engine::network::{Network, Trace, Workspace};
pub use engine::real::Precision;
pub use error::{Error, Result};

// The paths of before the grouping (`multispike::model_file`, …), kept for the integration tests,
// the fuzz targets and other outside users; the crate itself uses the grouped paths.
#[doc(hidden)]
pub use app::{case, preprocess, session, sweep, traces};
#[doc(hidden)]
pub use engine::{config, encoding, loss, network, optim};
#[doc(hidden)]
pub use formats::{checkpoint, model_file, shards};
