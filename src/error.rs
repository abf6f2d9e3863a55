//! Typed errors of the core. Every fallible public function returns [`Result`].
//!
//! Every variant's `Display` is the message shown to users as it is. Callers that need to act on
//! the cause rather than show it (retry, ask for another file, point at a field) match the
//! variant, and for the file formats the [`FormatErrorKind`]; [`Error::kind`] names both as a
//! stable string.

use std::fmt;

/// What is wrong with a file of one of the crate's formats (model file, checkpoint, shard,
/// manifest), independently of the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FormatErrorKind {
    /// Larger than the format allows: the file, the JSON header, the declared payload.
    TooLarge,
    /// Not readable as the container: not safetensors, not gzip, not JSON, too short for its
    /// header, a length that does not match the header, offsets out of range.
    Malformed,
    /// A readable file of another format, or of another version of this one: `format` entry
    /// missing or different, no metadata, wrong magic, unsupported version, a directory.
    WrongFormat,
    /// A tensor or metadata entry that the format requires is absent.
    Missing,
    /// A tensor that the format does not have.
    Unexpected,
    /// A tensor that is not F32.
    BadDtype,
    /// Dimensions that do not fit: rank, shapes that do not chain or disagree with the metadata,
    /// image size or class count of a shard or manifest.
    BadShape,
    /// A value that must be finite (and, for Adam's second moments, non-negative) is not.
    NonFinite,
    /// A metadata entry or field that does not parse or is out of range (the network's and
    /// Adam's configuration included), a label out of range, a bad manifest entry.
    BadValue,
    /// The bytes differ from the sha256 they were announced with.
    Corrupt,
    /// A valid file that does not fit where it is used: a checkpoint of another run, a network
    /// of another shape than the page trains, a state that cannot be written.
    Incompatible,
}

impl FormatErrorKind {
    /// A stable name (kebab-case), e.g. `"too-large"`, `"bad-dtype"`.
    pub fn as_str(self) -> &'static str {
        match self {
            FormatErrorKind::TooLarge => "too-large",
            FormatErrorKind::Malformed => "malformed",
            FormatErrorKind::WrongFormat => "wrong-format",
            FormatErrorKind::Missing => "missing",
            FormatErrorKind::Unexpected => "unexpected",
            FormatErrorKind::BadDtype => "bad-dtype",
            FormatErrorKind::BadShape => "bad-shape",
            FormatErrorKind::NonFinite => "non-finite",
            FormatErrorKind::BadValue => "bad-value",
            FormatErrorKind::Corrupt => "corrupt",
            FormatErrorKind::Incompatible => "incompatible",
        }
    }
}

impl fmt::Display for FormatErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused file of one of the crate's formats: its kind and the message, which is all that
/// `Display` shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatError {
    pub kind: FormatErrorKind,
    pub msg: String,
}

impl FormatError {
    pub fn new(kind: FormatErrorKind, msg: impl Into<String>) -> Self {
        FormatError { kind, msg: msg.into() }
    }

    /// The same kind with the message prefixed by `prefix: ` (e.g. the path of the file).
    pub fn prefixed(self, prefix: impl fmt::Display) -> Self {
        FormatError { kind: self.kind, msg: format!("{prefix}: {}", self.msg) }
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.msg)
    }
}

impl std::error::Error for FormatError {}

/// Errors the engine reports. Messages are meant to be shown to users as they are.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A hyper-parameter or network description is out of range.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// Arrays whose shapes do not fit the network.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// An operation that the object's current state does not allow yet (training before any
    /// data was added). The message keeps the prefix it had when these were shape errors.
    #[error("shape mismatch: {0}")]
    State(String),
    /// NaN or infinity where a finite number is required.
    #[error("non-finite value: {0}")]
    NonFinite(String),
    /// A malformed MNIST IDX file (raw or gzip).
    #[error("IDX file {path}: {msg}")]
    Idx { path: String, msg: String },
    /// A malformed or incompatible model file.
    #[error("model file: {0}")]
    ModelFile(FormatError),
    /// A malformed or incompatible training checkpoint.
    #[error("checkpoint: {0}")]
    Checkpoint(FormatError),
    /// A malformed shard or shard manifest (`name` is the file's name, `shard` when none was
    /// given, or `manifest.json`).
    #[error("{name}: {error}")]
    Shard { name: String, error: FormatError },
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

    /// A refused model file.
    pub fn model_file(kind: FormatErrorKind, msg: impl Into<String>) -> Self {
        Error::ModelFile(FormatError::new(kind, msg))
    }

    /// A refused checkpoint.
    pub fn checkpoint(kind: FormatErrorKind, msg: impl Into<String>) -> Self {
        Error::Checkpoint(FormatError::new(kind, msg))
    }

    /// A refused shard or manifest named `name`.
    pub fn shard(name: impl Into<String>, kind: FormatErrorKind, msg: impl Into<String>) -> Self {
        Error::Shard { name: name.into(), error: FormatError::new(kind, msg) }
    }

    /// What is wrong with the file, for the errors of the file formats.
    pub fn format_kind(&self) -> Option<FormatErrorKind> {
        match self {
            Error::ModelFile(e) | Error::Checkpoint(e) | Error::Shard { error: e, .. } => Some(e.kind),
            _ => None,
        }
    }

    /// A stable name of the error's cause: the variant (`"config"`, `"shape"`, `"state"`,
    /// `"non-finite"`, `"idx"`, `"case"`, `"fetch"`, `"io"`), and for the file formats the
    /// format and the [`FormatErrorKind`], e.g. `"model-file/bad-dtype"`,
    /// `"checkpoint/too-large"`, `"shard/corrupt"`.
    pub fn kind(&self) -> String {
        let (variant, format) = match self {
            Error::Config(_) => ("config", None),
            Error::Shape(_) => ("shape", None),
            Error::State(_) => ("state", None),
            Error::NonFinite(_) => ("non-finite", None),
            Error::Idx { .. } => ("idx", None),
            Error::ModelFile(e) => ("model-file", Some(e.kind)),
            Error::Checkpoint(e) => ("checkpoint", Some(e.kind)),
            Error::Shard { error, .. } => ("shard", Some(error.kind)),
            Error::Case(_) => ("case", None),
            Error::Fetch(_) => ("fetch", None),
            Error::Io { .. } => ("io", None),
        };
        match format {
            Some(k) => format!("{variant}/{k}"),
            None => variant.to_string(),
        }
    }
}

/// Result alias of the core.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_the_message_and_kind_is_stable() {
        let e = Error::model_file(FormatErrorKind::BadDtype, "tensor x has dtype F16, expected F32");
        assert_eq!(e.to_string(), "model file: tensor x has dtype F16, expected F32");
        assert_eq!(e.kind(), "model-file/bad-dtype");
        assert_eq!(e.format_kind(), Some(FormatErrorKind::BadDtype));
        let e = Error::shard("shard", FormatErrorKind::Corrupt, "sha256 mismatch");
        assert_eq!(e.to_string(), "shard: sha256 mismatch");
        assert_eq!(e.kind(), "shard/corrupt");
        let e = Error::State("no training data: add a shard first".into());
        assert_eq!(e.to_string(), "shape mismatch: no training data: add a shard first");
        assert_eq!((e.kind().as_str(), e.format_kind()), ("state", None));
    }
}
