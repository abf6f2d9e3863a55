//! multispike: spiking neural networks trained with exact spike-timing backpropagation, neurons
//! allowed to fire many times (Yamamoto, Sakemi, Aihara). See `ARCHITECTURE.md` for the data flow.
//!
//! The compute core (everything but `wasm`) names no WebAssembly or JavaScript type.

pub mod backward;
pub mod case;
pub mod checkpoint;
pub mod config;
mod container;
pub mod data;
pub mod encoding;
pub mod error;
pub mod events;
pub mod forward;
#[cfg(not(target_arch = "wasm32"))]
pub mod fsio;
pub mod kernels;
pub mod loss;
pub mod model_file;
pub mod network;
pub mod optim;
pub mod playground;
pub mod preprocess;
pub mod session;
pub mod shards;
pub mod sweep;
pub mod real;
pub mod resume;
pub mod seed;
pub mod traces;
pub mod train;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use config::{Mode, NetConfig};
pub use error::{Error, Result};
pub use network::{Network, Trace, Workspace};
pub use real::Precision;
