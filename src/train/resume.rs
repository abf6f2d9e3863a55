//! Whether a training checkpoint belongs to a run, and the trainer that continues it: the one
//! check behind `multispike train --resume`, the sweep's interrupted runs and the page's resume
//! from a checkpoint ([`crate::app::session::Session::import_checkpoint`]).
//!
//! A checkpoint continues a run when
//!
//! 1. its `train_config` is a training configuration this version reads, describing the network
//!    stored beside it ([`Checkpoint::stored_config`]);
//! 2. that configuration equals the run's in everything but the number of epochs (a run may be
//!    extended, or stopped earlier);
//! 3. it was trained on the same examples: when it records their fingerprint
//!    ([`DATA_FINGERPRINT_KEY`]), that is the run's. A checkpoint without one (written before
//!    fingerprints were recorded, or by the page, whose data arrive later) is accepted.
//!
//! Whether there is anything left to train (the checkpoint may be at or past the run's last
//! epoch) is the caller's decision.

use crate::error::{Error, FormatErrorKind};
use crate::formats::checkpoint::Checkpoint;
use crate::train::{TrainConfig, Trainer};

/// Metadata entry of a checkpoint holding the sha256 of the training examples it was trained on
/// ([`crate::data::Examples::fingerprint`]).
pub const DATA_FINGERPRINT_KEY: &str = "train_data_sha256";

/// Why a checkpoint cannot continue a run.
#[derive(Debug, thiserror::Error)]
pub enum ResumeMismatch {
    /// The stored `train_config` is not a training configuration this version reads (the
    /// message of the JSON parser).
    #[error("train_config is not a training configuration: {0}")]
    UnreadableConfig(String),
    /// The stored `train_config` describes another network than the stored weights.
    #[error("train_config does not match the stored network")]
    ConfigNotNetwork,
    /// The run's settings differ from the stored ones (the number of epochs aside).
    #[error("it was made with other settings")]
    Settings {
        /// The checkpoint's configuration, with the run's number of epochs.
        stored: Box<TrainConfig>,
        /// The run's configuration.
        requested: Box<TrainConfig>,
    },
    /// The checkpoint records the fingerprint of other training data.
    #[error("it was made on other training data")]
    TrainingData,
    /// The trainer refused the state (an invalid configuration).
    #[error(transparent)]
    Trainer(Error),
}

impl From<ResumeMismatch> for Error {
    /// A checkpoint that does not fit is an [`Error::Checkpoint`]; the trainer's own refusals
    /// keep their variant.
    fn from(e: ResumeMismatch) -> Error {
        match e {
            ResumeMismatch::Trainer(e) => e,
            other => Error::checkpoint(FormatErrorKind::Incompatible, other.to_string()),
        }
    }
}

impl Checkpoint {
    /// The training configuration stored in the checkpoint, checked against its network.
    pub fn stored_config(&self) -> Result<TrainConfig, ResumeMismatch> {
        let cfg: TrainConfig =
            serde_json::from_str(&self.train_config).map_err(|e| ResumeMismatch::UnreadableConfig(e.to_string()))?;
        if cfg.net != *self.network.config() {
            return Err(ResumeMismatch::ConfigNotNetwork);
        }
        Ok(cfg)
    }

    /// The trainer that continues `run` from this checkpoint (its weights, Adam state and epoch;
    /// the configuration is `run`), if the checkpoint belongs to it: see the module
    /// documentation. `fingerprint` is that of the run's training examples.
    pub fn resume(self, run: &TrainConfig, fingerprint: &str) -> Result<Trainer, ResumeMismatch> {
        let mut stored = self.stored_config()?;
        stored.epochs = run.epochs;
        if stored != *run {
            return Err(ResumeMismatch::Settings { stored: Box::new(stored), requested: Box::new(run.clone()) });
        }
        if self.metadata.get(DATA_FINGERPRINT_KEY).is_some_and(|f| f != fingerprint) {
            return Err(ResumeMismatch::TrainingData);
        }
        Trainer::resume(run.clone(), self.network, Some(self.adam), self.epoch).map_err(ResumeMismatch::Trainer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::config::{Mode, NetConfig};
    use std::collections::BTreeMap;

    fn run() -> TrainConfig {
        let mut cfg = TrainConfig::paper(NetConfig::new(vec![4, 3, 2], 0.8, Mode::Multi));
        cfg.epochs = 5;
        cfg
    }

    /// A checkpoint of `run()` after 2 epochs, with the fingerprint `fp` when given.
    fn checkpoint(fp: Option<&str>) -> Checkpoint {
        let t = Trainer::new(run()).unwrap();
        let metadata = fp.map(|f| BTreeMap::from([(DATA_FINGERPRINT_KEY.to_string(), f.to_string())]));
        Checkpoint {
            network: t.net.clone(),
            adam: t.adam.clone(),
            epoch: 2,
            train_config: serde_json::to_string(&t.cfg).unwrap(),
            metadata: metadata.unwrap_or_default(),
        }
    }

    #[test]
    fn the_same_run_resumes_with_more_or_fewer_epochs() {
        for epochs in [1, 2, 5, 9] {
            let r = TrainConfig { epochs, ..run() };
            let t = checkpoint(Some("abc")).resume(&r, "abc").unwrap();
            assert_eq!((t.epoch, t.cfg.epochs), (2, epochs));
        }
    }

    #[test]
    fn a_checkpoint_without_a_fingerprint_resumes() {
        assert_eq!(checkpoint(None).resume(&run(), "abc").unwrap().epoch, 2);
    }

    #[test]
    fn other_data_are_refused() {
        let e = checkpoint(Some("abc")).resume(&run(), "def").unwrap_err();
        assert!(matches!(e, ResumeMismatch::TrainingData), "{e:?}");
        assert_eq!(e.to_string(), "it was made on other training data");
    }

    #[test]
    fn other_settings_are_refused() {
        let mut r = run();
        r.batch_size += 1;
        match checkpoint(None).resume(&r, "abc").unwrap_err() {
            ResumeMismatch::Settings { stored, requested } => {
                assert_eq!(*requested, r);
                assert_eq!(stored.batch_size, run().batch_size);
            }
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn an_inconsistent_checkpoint_is_refused() {
        let mut ck = checkpoint(None);
        ck.train_config = "{\"net\": 3}".into();
        let e = ck.stored_config().unwrap_err();
        assert!(e.to_string().starts_with("train_config is not a training configuration: "), "{e}");
        assert!(matches!(Error::from(e), Error::Checkpoint(_)));
        let mut ck = checkpoint(None);
        let other = TrainConfig::paper(NetConfig::new(vec![4, 5, 2], 0.8, Mode::Multi));
        ck.train_config = serde_json::to_string(&other).unwrap();
        assert!(matches!(ck.stored_config(), Err(ResumeMismatch::ConfigNotNetwork)));
        assert!(matches!(ck.resume(&other, "abc"), Err(ResumeMismatch::ConfigNotNetwork)));
    }
}
