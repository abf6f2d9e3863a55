//! The MNIST data set (and look-alikes such as Fashion-MNIST): 28x28 greyscale images with labels
//! 0 to 9, loaded from the four IDX files of a directory.

use std::ops::Range;
use std::path::{Path, PathBuf};

use super::catalog::{DatasetId, DatasetSpec};
use super::idx::{self, Images};
use crate::error::{Error, Result};

/// Side of an MNIST image, in pixels.
pub const SIDE: usize = 28;

/// Pixels of an MNIST image.
pub const DIM: usize = SIDE * SIDE;

/// Number of classes (digits 0 to 9).
pub const CLASSES: usize = 10;

/// Which half of MNIST to load.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Split {
    /// The 60 000 training examples (`train-*` files).
    Train,
    /// The 10 000 test examples (`t10k-*` files).
    Test,
}

impl Split {
    /// File-name prefix of the split: `train` or `t10k`.
    pub fn prefix(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Test => "t10k",
        }
    }

    /// Names a file of this split may have, most preferred first: the raw name, the variant with a
    /// dot (`train-images.idx3-ubyte`), then both gzip-compressed. `kind` is `images` or `labels`.
    fn candidates(self, kind: &str) -> [String; 4] {
        let p = self.prefix();
        let n = if kind == "images" { 3 } else { 1 };
        let dash = format!("{p}-{kind}-idx{n}-ubyte");
        let dot = format!("{p}-{kind}.idx{n}-ubyte");
        [dash.clone(), dot.clone(), format!("{dash}.gz"), format!("{dot}.gz")]
    }
}

/// Labelled images, all of the same size, stored contiguously.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dataset {
    /// Pixels, `n * dim` bytes, image after image.
    pub images: Vec<u8>,
    /// One label per image, each below [`CLASSES`].
    pub labels: Vec<u8>,
    /// Number of examples.
    pub n: usize,
    /// Pixels per image.
    pub dim: usize,
}

impl Dataset {
    /// Builds a data set from parsed IDX contents, checking what MNIST requires: 28x28 images,
    /// as many labels as images, labels 0 to 9. `name` appears in errors.
    pub fn from_idx(images: Images, labels: Vec<u8>, name: &str) -> Result<Dataset> {
        Dataset::from_idx_of(DatasetId::Mnist.spec(), images, labels, name)
    }

    /// [`Dataset::from_idx`] for any image data set of the table: its image size and classes.
    pub fn from_idx_of(spec: &DatasetSpec, images: Images, labels: Vec<u8>, name: &str) -> Result<Dataset> {
        let err = |msg: String| Error::Idx { path: name.to_string(), msg };
        let side = spec.image_side.unwrap_or(0);
        if (images.rows, images.cols) != (side, side) {
            return Err(err(format!(
                "images are {}x{}, {} images are {side}x{side}",
                images.rows, images.cols, spec.title
            )));
        }
        if images.n != labels.len() {
            return Err(err(format!("{} images but {} labels", images.n, labels.len())));
        }
        let classes = spec.classes();
        if let Some((i, &l)) = labels.iter().enumerate().find(|(_, &l)| usize::from(l) >= classes) {
            return Err(err(if spec.id == DatasetId::Mnist {
                format!("label {l} at index {i} is not a digit 0 to 9")
            } else {
                format!("label {l} at index {i} is not a {} class 0 to {}", spec.title, classes - 1)
            }));
        }
        Ok(Dataset { images: images.pixels, labels, n: images.n, dim: side * side })
    }

    /// Parses MNIST from the bytes of an image file and a label file (each raw or gzip).
    pub fn from_bytes(images: &[u8], labels: &[u8]) -> Result<Dataset> {
        let imgs = idx::parse_images(images, "images")?;
        let labs = idx::parse_labels(labels, "labels")?;
        Dataset::from_idx(imgs, labs, "images/labels")
    }

    /// Pixels of example `i` (`dim` bytes).
    ///
    /// # Panics
    /// When `i >= n`, like slice indexing.
    pub fn image(&self, i: usize) -> &[u8] {
        &self.images[i * self.dim..(i + 1) * self.dim]
    }

    /// Label of example `i`.
    ///
    /// # Panics
    /// When `i >= n`, like slice indexing.
    pub fn label(&self, i: usize) -> u8 {
        self.labels[i]
    }

    /// A copy of the examples in `range`; an error when the range is not inside `0..n`.
    pub fn subset(&self, range: Range<usize>) -> Result<Dataset> {
        if range.start > range.end || range.end > self.n {
            return Err(Error::Shape(format!(
                "subset {}..{} of a data set of {} examples",
                range.start, range.end, self.n
            )));
        }
        Ok(Dataset {
            images: self.images[range.start * self.dim..range.end * self.dim].to_vec(),
            labels: self.labels[range.clone()].to_vec(),
            n: range.len(),
            dim: self.dim,
        })
    }

    /// The first `limit` examples (all of them when `limit >= n`).
    pub fn head(&self, limit: usize) -> Dataset {
        let end = limit.min(self.n);
        Dataset {
            images: self.images[..end * self.dim].to_vec(),
            labels: self.labels[..end].to_vec(),
            n: end,
            dim: self.dim,
        }
    }

    /// How many examples each class has.
    pub fn label_counts(&self) -> [usize; CLASSES] {
        let mut counts = [0; CLASSES];
        for &l in &self.labels {
            if let Some(c) = counts.get_mut(usize::from(l)) {
                *c += 1;
            }
        }
        counts
    }
}

/// Loads one split of MNIST from `dir`, accepting the usual file names (raw preferred to gzip).
pub fn load_mnist(dir: &Path, split: Split) -> Result<Dataset> {
    load_idx(DatasetId::Mnist.spec(), dir, split)
}

/// Loads one split of an IDX data set of the table (MNIST, Fashion-MNIST) from `dir`.
pub fn load_idx(spec: &DatasetSpec, dir: &Path, split: Split) -> Result<Dataset> {
    let images_path = find(spec, dir, split, "images")?;
    let labels_path = find(spec, dir, split, "labels")?;
    let images = idx::read_images(&images_path)?;
    let labels = idx::read_labels(&labels_path)?;
    let name = format!("{} with {}", images_path.display(), labels_path.display());
    Dataset::from_idx_of(spec, images, labels, &name)
}

/// Finds the `kind` (`images` or `labels`) file of `split` in `dir`.
fn find(spec: &DatasetSpec, dir: &Path, split: Split, kind: &str) -> Result<PathBuf> {
    let names = split.candidates(kind);
    names.iter().map(|n| dir.join(n)).find(|p| p.is_file()).ok_or_else(|| {
        let msg = format!(
            "no {} {} {kind} file (looked for {}); run `{}` to download {}",
            spec.title,
            split.prefix(),
            names.join(", "),
            spec.fetch_hint(),
            spec.title
        );
        Error::io(dir, std::io::Error::new(std::io::ErrorKind::NotFound, msg))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn images(n: usize, side: usize) -> Images {
        Images { n, rows: side, cols: side, pixels: (0..n * side * side).map(|i| i as u8).collect() }
    }

    #[test]
    fn validates_mnist_shape_and_labels() {
        let ds = Dataset::from_idx(images(3, SIDE), vec![1, 9, 0], "t").unwrap();
        assert_eq!((ds.n, ds.dim), (3, DIM));
        assert_eq!(ds.image(1)[0], DIM as u8);
        assert_eq!(ds.label_counts()[9], 1);
        assert!(Dataset::from_idx(images(3, 27), vec![1, 2, 3], "t").is_err());
        assert!(Dataset::from_idx(images(3, SIDE), vec![1, 2], "t").is_err());
        let e = Dataset::from_idx(images(3, SIDE), vec![1, 10, 2], "t").unwrap_err();
        assert!(e.to_string().contains("label 10 at index 1"), "{e}");
    }

    #[test]
    fn subsets() {
        let ds = Dataset::from_idx(images(4, SIDE), vec![0, 1, 2, 3], "t").unwrap();
        let s = ds.subset(1..3).unwrap();
        assert_eq!((s.n, s.labels.clone()), (2, vec![1, 2]));
        assert_eq!(s.image(0), ds.image(1));
        assert!(ds.subset(3..5).is_err());
        assert_eq!(ds.head(10).n, 4);
        assert_eq!(ds.head(1).labels, vec![0]);
    }

    #[test]
    fn missing_files_name_candidates() {
        let dir = std::env::temp_dir().join("multispike-no-such-mnist-dir");
        let e = load_mnist(&dir, Split::Test).unwrap_err().to_string();
        assert!(e.contains("t10k-images-idx3-ubyte.gz") && e.contains("fetch-mnist"), "{e}");
    }
}
