//! Bytes in and out: every file format of the crate, each parser bounded and typed, and native
//! file I/O. The formats import nothing of each other's but downwards (container → model file →
//! checkpoint).
//!
//! - `container` (crate-private): the safetensors container under model files and checkpoints
//!   (bounds-checked reader, deterministic writer, the `format` entry and the table of formats).
//! - [`model_file`]: the model format `multispike-v1` (configuration, weights, provenance).
//! - [`checkpoint`]: the training checkpoint `multispike-ckpt-v1` (the model plus Adam's state,
//!   the epoch and the opaque training configuration).
//! - [`shards`]: the browser's shard format `MSHD` v1 (gzip) and `manifest.json`.
//! - [`fsio`] (native only): bounded whole-file reads and atomic write-then-rename.

pub mod checkpoint;
pub(crate) mod container;
#[cfg(not(target_arch = "wasm32"))]
pub mod fsio;
pub mod model_file;
pub mod shards;
