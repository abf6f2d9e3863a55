//! Typed errors of the core. Every fallible public function returns [`Result`].

/// Errors the engine reports. Messages are meant to be shown to users as they are.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A hyper-parameter or network description is out of range.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// Arrays whose shapes do not fit the network.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// NaN or infinity where a finite number is required.
    #[error("non-finite value: {0}")]
    NonFinite(String),
    /// A malformed MNIST IDX file (raw or gzip).
    #[error("IDX file {path}: {msg}")]
    Idx { path: String, msg: String },
    /// A malformed or incompatible model file.
    #[error("model file: {0}")]
    ModelFile(String),
    /// A malformed or incompatible training checkpoint.
    #[error("checkpoint: {0}")]
    Checkpoint(String),
    /// A malformed reference case (JSON).
    #[error("case: {0}")]
    Case(String),
    /// Fetching or verifying a data set failed.
    #[error("fetch: {0}")]
    Fetch(String),
    /// An operating-system error on a named file.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// Wraps an I/O error together with the path it happened on.
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        Error::Io { path: path.as_ref().display().to_string(), source }
    }
}

/// Result alias of the core.
pub type Result<T> = std::result::Result<T, Error>;
