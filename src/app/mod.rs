//! What the command-line tool and the web pages drive, on top of the engine, the formats and
//! training. Every setting arriving from a user is validated here, in Rust.
//!
//! - [`session`]: the browser's training session (loose config object, shards, slices of steps,
//!   evaluation, model/checkpoint export and import) and the bounds of every setting.
//! - [`playground`]: the Yin-Yang playground (live training, decision map, one point's raster).
//! - [`sweep`]: the τ study's CSV rows and their aggregation over seeds (CLI and page).
//! - [`preprocess`]: a drawing → an MNIST-style 28×28 image.
//! - [`traces`]: membrane potentials V(t) and the prediction record of one input.
//! - [`case`]: reference cases (JSON) for cross-checking other implementations.
//! - [`seed`]: random seeds drawn once and then recorded.

pub mod case;
pub mod playground;
pub mod preprocess;
pub mod seed;
pub mod session;
pub mod sweep;
pub mod traces;
