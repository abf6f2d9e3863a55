//! Bytes in and out: every file format of the crate, each parser bounded and typed, and native
//! file I/O. The formats import nothing of each other's but downwards (container → model file →
//! checkpoint). A refused file is [`Error::ModelFile`](crate::Error::ModelFile),
//! [`Error::Checkpoint`](crate::Error::Checkpoint) or [`Error::Shard`](crate::Error::Shard),
//! each carrying a [`FormatError`](crate::error::FormatError): the message, and a
//! [`FormatErrorKind`](crate::error::FormatErrorKind) (too large, malformed, wrong format,
//! missing, bad dtype, bad shape, non-finite, …) that callers can act on without reading it.
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
