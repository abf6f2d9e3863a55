//! An interactive training session (what the browser's `Trainer` wraps): a configuration given as
//! a loose JSON-like object, training data that arrives shard by shard, training in small slices
//! of mini-batch steps with progress within the epoch, evaluation, and model/checkpoint export.
//!
//! Time is not measured here (the core runs on targets without a clock); callers that want
//! samples/s pass the elapsed time to [`StepReport::with_elapsed`].

use crate::data::catalog::DatasetId;
use crate::data::mnist::{Dataset, CLASSES, DIM};
use crate::data::samples::Samples;
use crate::engine::config::{Mode, NetConfig};
use crate::engine::optim::AdamConfig;
use crate::error::{Error, FormatErrorKind, Result};
use crate::formats::checkpoint::Checkpoint;
use crate::formats::model_file;
use crate::train::{evaluate, EvalStats, StepStats, TrainConfig, Trainer};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Training settings as a user gives them (JS object, JSON). Every field is optional; missing
/// ones take the paper's recipe (784-400-10, τ_I = 0.8 … see [`TrainConfig::paper`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionConfig {
    /// The image data set of the shards (`mnist` or `fashion-mnist`; recorded in exported models).
    pub dataset: DatasetId,
    /// Layer sizes, input first (784) and output last (10).
    pub layers: Vec<usize>,
    #[serde(alias = "tau_I", alias = "tauI", alias = "tau")]
    pub tau_i: f64,
    pub mode: Mode,
    #[serde(alias = "learning_rate")]
    pub lr: f64,
    #[serde(alias = "batch_size")]
    pub batch: usize,
    pub lambda: f64,
    pub sigma: f64,
    pub seed: u64,
    pub max_spikes: u32,
    pub init_mean: f64,
    pub init_std: f64,
    pub t_out: f64,
    pub dead_fraction: f64,
}

impl Default for SessionConfig {
    fn default() -> Self {
        let p = TrainConfig::paper(NetConfig::new(vec![DIM, 400, CLASSES], 0.8, Mode::Multi));
        SessionConfig {
            dataset: DatasetId::Mnist,
            layers: p.net.layers.clone(),
            tau_i: p.net.tau_i,
            mode: p.net.mode,
            lr: p.adam.lr,
            batch: p.batch_size,
            lambda: p.loss.lambda,
            sigma: p.loss.sigma,
            seed: p.seed,
            max_spikes: p.net.max_spikes,
            init_mean: p.init_mean,
            init_std: p.init_std,
            t_out: p.net.t_out,
            dead_fraction: p.dead_fraction,
        }
    }
}

impl SessionConfig {
    /// The validated training configuration (MNIST-shaped: 784 inputs, 10 outputs).
    pub fn to_train_config(&self) -> Result<TrainConfig> {
        if self.dataset.spec().image_side.is_none() {
            return Err(Error::Config(format!(
                "{} is not an image data set (its playground trains it in the page)",
                self.dataset.spec().title
            )));
        }
        if self.layers.first() != Some(&DIM) || self.layers.last() != Some(&CLASSES) || self.layers.len() < 2 {
            return Err(Error::Config(format!(
                "layers must start with {DIM} inputs and end with {CLASSES} outputs, got {:?}",
                self.layers
            )));
        }
        let mut net = NetConfig::new(self.layers.clone(), self.tau_i, self.mode);
        net.max_spikes = self.max_spikes;
        net.t_out = self.t_out;
        let mut c = TrainConfig::paper(net);
        c.dataset = self.dataset;
        c.adam = AdamConfig { lr: self.lr, ..c.adam };
        c.batch_size = self.batch;
        c.loss.lambda = self.lambda;
        c.loss.sigma = self.sigma;
        c.seed = self.seed;
        c.init_mean = self.init_mean;
        c.init_std = self.init_std;
        c.dead_fraction = self.dead_fraction;
        c.validate()?;
        Ok(c)
    }

    /// Parses a JSON object (unknown keys are an error naming the key).
    ///
    /// A key whose value is `null` is an error naming the key: that is what JavaScript's `NaN`
    /// and `±Infinity` become in JSON (`JSON.stringify({ tau_I: NaN })` is `{"tau_I":null}`).
    pub fn from_json(json: &str) -> Result<Self> {
        config_from_json(json)
    }

    /// Everything [`Session::new`] checks, without making the network: the validated training
    /// configuration, and a training state within [`MAX_STATE_BYTES`].
    pub fn check(&self) -> Result<TrainConfig> {
        let tc = self.to_train_config()?;
        check_state_bytes(&tc)?;
        Ok(tc)
    }
}

/// Parses a configuration object given as JSON: unknown keys are an error naming the key (when
/// the type denies them), and so is a key whose value is `null`, which is what JavaScript's `NaN`
/// and `±Infinity` become in JSON (`JSON.stringify({ tau_I: NaN })` is `{"tau_I":null}`).
pub fn config_from_json<T: serde::de::DeserializeOwned>(json: &str) -> Result<T> {
    let value: serde_json::Value = serde_json::from_str(json).map_err(|e| Error::Config(e.to_string()))?;
    if let Some(obj) = value.as_object() {
        if let Some((key, _)) = obj.iter().find(|(_, v)| v.is_null()) {
            return Err(Error::Config(format!(
                "{key} is null or not a finite number (NaN and ±Infinity arrive as null); a number is required"
            )));
        }
    }
    serde_json::from_value(value).map_err(|e| Error::Config(e.to_string()))
}

/// Statistics of a slice of training steps, as shown in the browser.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct StepReport {
    pub steps: usize,
    pub samples: u64,
    /// Mean loss over the samples with a finite loss.
    pub loss: f64,
    /// Training accuracy of the forward passes of these steps.
    pub accuracy: f64,
    /// Hidden spikes per sample and per hidden neuron per sample.
    pub spikes_per_sample: f64,
    pub mean_spikes: f64,
    /// Fraction of hidden neurons flagged dead (fired on < 10 % of a batch), over the steps.
    pub dead_fraction: f64,
    pub non_finite: u64,
    pub guarded: u64,
    pub truncated: u64,
    pub skipped_batches: u64,
    /// Completed epochs and the fraction of the current one done.
    pub epoch: u64,
    pub epoch_progress: f64,
    /// Training examples available.
    pub train_size: usize,
    /// Mini-batch steps of an epoch, and those left in the current one.
    pub steps_per_epoch: usize,
    pub steps_left: usize,
    /// Totals of the epoch these steps completed (the last one if they completed several).
    pub epoch_totals: Option<EpochTotals>,
    /// Filled in by [`StepReport::with_elapsed`] or by a clock (0 otherwise).
    pub seconds: f64,
    pub samples_per_s: f64,
}

/// Statistics of a whole training epoch (its steps' [`StepStats`] merged).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct EpochTotals {
    pub samples: u64,
    /// Mean loss over the samples with a finite loss.
    pub loss: f64,
    pub accuracy: f64,
    /// Fraction of hidden neurons flagged dead, over the epoch's batches.
    pub dead_fraction: f64,
    pub non_finite: u64,
    pub guarded: u64,
    pub truncated: u64,
    pub skipped_batches: u64,
    pub undecided: u64,
    /// Wall time of the epoch's steps, when a clock measured it (0 otherwise).
    pub seconds: f64,
    pub samples_per_s: f64,
}

impl EpochTotals {
    pub fn from_stats(t: &StepStats, seconds: f64) -> Self {
        EpochTotals {
            samples: t.samples,
            loss: t.loss_sum / t.samples.saturating_sub(t.non_finite).max(1) as f64,
            accuracy: t.correct as f64 / t.samples.max(1) as f64,
            dead_fraction: if t.flag_slots > 0 { t.flagged as f64 / t.flag_slots as f64 } else { 0.0 },
            non_finite: t.non_finite,
            guarded: t.guarded,
            truncated: t.truncated,
            skipped_batches: t.skipped_batches,
            undecided: t.undecided,
            seconds,
            samples_per_s: if seconds > 0.0 { t.samples as f64 / seconds } else { 0.0 },
        }
    }
}

impl StepReport {
    /// Adds the wall time the steps took.
    pub fn with_elapsed(mut self, seconds: f64) -> Self {
        self.seconds = seconds;
        self.samples_per_s = if seconds > 0.0 { self.samples as f64 / seconds } else { 0.0 };
        self
    }
}

/// Evaluation summary.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct EvalReport {
    pub samples: u64,
    pub accuracy: f64,
    pub loss: f64,
    pub mean_spikes: f64,
    pub silent_fraction: f64,
    pub per_class_accuracy: Vec<f64>,
    /// Samples whose largest output was tied (no decision; counted as wrong).
    pub undecided: u64,
    /// Histogram of per-(neuron, sample) spike counts of the first hidden layer (bins 0, 1, …;
    /// the last collects counts ≥ its index): the paper's Fig. 3.
    pub spike_hist: Vec<u64>,
    pub seconds: f64,
    pub samples_per_s: f64,
}

impl EvalReport {
    pub fn from_stats(e: &EvalStats) -> Self {
        let n = e.samples.max(1) as f64;
        EvalReport {
            samples: e.samples,
            accuracy: e.accuracy(),
            loss: e.loss_sum / n,
            mean_spikes: e.mean_spikes,
            silent_fraction: e.silent_fraction,
            per_class_accuracy: e
                .per_class_correct
                .iter()
                .zip(&e.per_class_total)
                .map(|(&c, &t)| if t == 0 { 0.0 } else { c as f64 / t as f64 })
                .collect(),
            undecided: e.undecided,
            spike_hist: e.spike_hist.clone(),
            seconds: 0.0,
            samples_per_s: 0.0,
        }
    }

    /// Adds the wall time the evaluation took.
    pub fn with_elapsed(mut self, seconds: f64) -> Self {
        self.seconds = seconds;
        self.samples_per_s = if seconds > 0.0 { self.samples as f64 / seconds } else { 0.0 };
        self
    }
}

/// Evaluations of disjoint parts of one test set by one network, merged (the browser evaluates
/// in chunks, to report progress and stay responsive between them); see [`EvalStats::merge`].
#[derive(Clone, Debug, Default)]
pub struct EvalTotals {
    stats: EvalStats,
    seconds: f64,
}

impl EvalTotals {
    /// Adds a part and the wall time it took.
    pub fn add(&mut self, part: &EvalStats, seconds: f64) {
        self.stats.merge(part);
        self.seconds += seconds;
    }

    /// Samples evaluated so far.
    pub fn samples(&self) -> u64 {
        self.stats.samples
    }

    /// The report of all parts so far.
    pub fn report(&self) -> EvalReport {
        EvalReport::from_stats(&self.stats).with_elapsed(self.seconds)
    }
}

/// Largest number of epochs a page's training run or τ sweep may ask for.
pub const MAX_RUN_EPOCHS: usize = 1000;

/// What a page's training run asks for besides the network: examples of each split and epochs
/// (numbers as JavaScript gives them: a fraction is refused by [`RunBudget::validate`]).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunBudget {
    pub train_samples: f64,
    pub test_samples: f64,
    pub epochs: f64,
}

impl RunBudget {
    /// Checks the sizes against the data set's splits and the epochs against [`MAX_RUN_EPOCHS`]:
    /// whole numbers from 1.
    pub fn validate(&self, dataset: DatasetId) -> Result<()> {
        let spec = dataset.spec();
        let check = |what: &str, v: f64, max: usize| {
            if v.fract() == 0.0 && (1.0..=max as f64).contains(&v) {
                Ok(())
            } else {
                Err(Error::Config(format!("{what} must be a whole number in 1..={max}, got {v}")))
            }
        };
        check(&format!("{} training images", spec.title), self.train_samples, spec.train_size)?;
        check(&format!("{} test images", spec.title), self.test_samples, spec.test_size)?;
        check("epochs", self.epochs, MAX_RUN_EPOCHS)
    }
}

/// Bounds of one numeric setting (inclusive unless the validation message says otherwise).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Bound {
    pub min: f64,
    pub max: f64,
}

/// The bounds of every numeric setting of the browser's training and τ pages, read from the
/// constants the validation uses ([`SessionConfig::check`], [`RunBudget::validate`]): the pages
/// put them on their inputs (`min`, `max`) and never check ranges themselves.
pub fn limits() -> BTreeMap<&'static str, Bound> {
    use crate::engine::config::{MAX_LAYER_WIDTH, MAX_TAU_I, MAX_TOUT_OVER_TAU};
    use crate::train::{MAX_BATCH, MAX_INIT, MAX_PENALTY};
    let image_sets = crate::data::catalog::DATASETS.iter().filter(|d| d.image_side.is_some());
    let (train, test) = image_sets.fold((0, 0), |(a, b), d| (d.train_size.max(a), d.test_size.max(b)));
    let t_out = SessionConfig::default().t_out;
    BTreeMap::from([
        ("hidden", Bound { min: 1.0, max: MAX_LAYER_WIDTH as f64 }),
        ("tau_I", Bound { min: t_out / MAX_TOUT_OVER_TAU, max: MAX_TAU_I }),
        ("lr", Bound { min: 0.0, max: crate::engine::optim::MAX_LR }),
        ("batch", Bound { min: 1.0, max: MAX_BATCH as f64 }),
        ("lambda", Bound { min: 0.0, max: MAX_PENALTY }),
        ("sigma", Bound { min: 0.0, max: MAX_PENALTY }),
        ("init_std", Bound { min: 0.0, max: MAX_INIT }),
        ("seed", Bound { min: 0.0, max: crate::app::seed::MAX_RANDOM_SEED as f64 }),
        ("epochs", Bound { min: 1.0, max: MAX_RUN_EPOCHS as f64 }),
        ("train_samples", Bound { min: 1.0, max: train as f64 }),
        ("test_samples", Bound { min: 1.0, max: test as f64 }),
    ])
}

/// A trainer with its data and position in the epoch.
#[derive(Clone, Debug)]
pub struct Session {
    trainer: Trainer,
    train: Dataset,
    test: Option<Dataset>,
    position: EpochPosition,
}

/// Where a trainer is inside its current epoch: the epoch's sample order and the next position
/// in it. Shared by the MNIST-style session and the Yin-Yang playground.
#[derive(Clone, Debug, Default)]
pub struct EpochPosition {
    order: Vec<usize>,
    cursor: usize,
    /// The current epoch's steps so far, and their wall time (when a clock measures it).
    epoch_total: StepStats,
    epoch_seconds: f64,
}

impl EpochPosition {
    /// True before the first step of an epoch.
    pub fn at_epoch_start(&self) -> bool {
        self.cursor == 0
    }

    /// Forgets the current epoch's order (the next step starts a new epoch).
    pub fn restart_epoch(&mut self) {
        self.order.clear();
        self.cursor = 0;
        self.epoch_total = StepStats::default();
        self.epoch_seconds = 0.0;
    }

    /// Runs `steps` mini-batch steps of `trainer` on `data`, continuing the epoch (a new epoch
    /// starts with a fresh permutation seeded by (seed, epoch), like the CLI; the last batch of
    /// an epoch may be short). `data` must not be empty.
    pub fn run<S: Samples + ?Sized>(&mut self, trainer: &mut Trainer, data: &S, steps: usize) -> Result<StepReport> {
        self.run_timed(trainer, data, steps, None)
    }

    /// [`EpochPosition::run`], timing each step with `clock` (seconds) when given: the report's
    /// `seconds` and `samples_per_s`, and those of its `epoch_totals`, are then filled in.
    pub fn run_timed<S: Samples + ?Sized>(
        &mut self,
        trainer: &mut Trainer,
        data: &S,
        steps: usize,
        clock: Option<&dyn Fn() -> f64>,
    ) -> Result<StepReport> {
        let n_data = data.len();
        let bs = trainer.cfg.batch_size;
        let mut total = StepStats::default();
        let mut done = 0;
        let mut epoch_totals = None;
        let mut seconds = 0.0;
        for _ in 0..steps {
            if self.order.is_empty() {
                self.order = trainer.epoch_order(n_data, trainer.epoch);
                self.cursor = 0;
            }
            let end = (self.cursor + bs).min(self.order.len());
            let batch = self.order[self.cursor..end].to_vec();
            let t0 = clock.map_or(0.0, |c| c());
            let s = trainer.step(data, &batch)?;
            let dt = clock.map_or(0.0, |c| c() - t0);
            seconds += dt;
            total.merge(&s);
            self.epoch_total.merge(&s);
            self.epoch_seconds += dt;
            done += 1;
            self.cursor = end;
            if self.cursor >= self.order.len() {
                trainer.epoch += 1;
                epoch_totals = Some(EpochTotals::from_stats(&self.epoch_total, self.epoch_seconds));
                self.restart_epoch();
            }
        }
        let steps_per_epoch = n_data.div_ceil(bs.max(1));
        let steps_left =
            if self.order.is_empty() { steps_per_epoch } else { (self.order.len() - self.cursor).div_ceil(bs.max(1)) };
        let n = total.samples.max(1) as f64;
        let hidden: usize = trainer.net.config().layers[1..trainer.net.config().layers.len() - 1].iter().sum();
        let finite = total.samples.saturating_sub(total.non_finite).max(1) as f64;
        Ok(StepReport {
            steps: done,
            samples: total.samples,
            loss: total.loss_sum / finite,
            accuracy: total.correct as f64 / n,
            spikes_per_sample: total.spikes as f64 / n,
            mean_spikes: if hidden > 0 { total.spikes as f64 / n / hidden as f64 } else { 0.0 },
            dead_fraction: if total.flag_slots > 0 { total.flagged as f64 / total.flag_slots as f64 } else { 0.0 },
            non_finite: total.non_finite,
            guarded: total.guarded,
            truncated: total.truncated,
            skipped_batches: total.skipped_batches,
            epoch: trainer.epoch,
            epoch_progress: if self.order.is_empty() { 0.0 } else { self.cursor as f64 / self.order.len() as f64 },
            train_size: n_data,
            steps_per_epoch,
            steps_left,
            epoch_totals,
            seconds,
            samples_per_s: if seconds > 0.0 { total.samples as f64 / seconds } else { 0.0 },
        })
    }
}

/// Largest training state ([`TrainConfig::state_bytes`]) a session may hold: the threaded
/// WebAssembly build has 1 GiB of memory in all, and a failed allocation there would abort the
/// worker instead of returning an error.
pub const MAX_STATE_BYTES: u64 = 512 << 20;

fn check_state_bytes(cfg: &TrainConfig) -> Result<()> {
    let need = cfg.state_bytes();
    if need > MAX_STATE_BYTES {
        return Err(Error::Config(format!(
            "layers {:?} with batch {} need {} MiB of training state; a session may use at most {} MiB",
            cfg.net.layers,
            cfg.batch_size,
            need.div_ceil(1 << 20),
            MAX_STATE_BYTES >> 20
        )));
    }
    Ok(())
}

fn empty() -> Dataset {
    Dataset { images: Vec::new(), labels: Vec::new(), n: 0, dim: DIM }
}

impl Session {
    /// A fresh network from `cfg` (validated).
    pub fn new(cfg: &SessionConfig) -> Result<Self> {
        let tc = cfg.to_train_config()?;
        check_state_bytes(&tc)?;
        let trainer = Trainer::new(tc)?;
        Ok(Session { trainer, train: empty(), test: None, position: EpochPosition::default() })
    }

    pub fn trainer(&self) -> &Trainer {
        &self.trainer
    }

    /// Appends training examples (they join the sample order at the next epoch start, or now if
    /// the current epoch has not begun).
    pub fn add_train(&mut self, d: Dataset) -> Result<()> {
        if d.dim != DIM {
            return Err(Error::Shape(format!("examples have {} pixels, expected {DIM}", d.dim)));
        }
        if self.train.n + d.n > 1_000_000 {
            return Err(Error::Shape("more than 1000000 training examples".into()));
        }
        self.train.images.extend(d.images);
        self.train.labels.extend(d.labels);
        self.train.n += d.n;
        if self.position.at_epoch_start() {
            self.position.restart_epoch();
        }
        Ok(())
    }

    /// Parses a training shard (the `.mshd.gz` file's bytes, or inflated; `sha256` from the
    /// manifest is checked when given) and adds its examples; returns the training set's size.
    /// On error nothing is added.
    pub fn add_shard(&mut self, bytes: &[u8], sha256: Option<&str>) -> Result<usize> {
        let d = crate::formats::shards::parse_shard(bytes, sha256, "shard")?;
        self.add_train(d)?;
        Ok(self.train_size())
    }

    /// Parses a shard like [`Session::add_shard`] and makes it the test set; returns its size.
    pub fn set_test_shard(&mut self, bytes: &[u8], sha256: Option<&str>) -> Result<usize> {
        let d = crate::formats::shards::parse_shard(bytes, sha256, "test shard")?;
        let n = d.n;
        self.set_test(d);
        Ok(n)
    }

    /// Sets the test set used by [`Session::evaluate`] without an argument.
    pub fn set_test(&mut self, d: Dataset) {
        self.test = Some(d);
    }

    pub fn train_size(&self) -> usize {
        self.train.n
    }

    /// Runs `steps` mini-batch steps, continuing the epoch (a new epoch starts with a fresh
    /// permutation seeded by (seed, epoch), like the CLI; the last batch of an epoch may be short).
    pub fn train_steps(&mut self, steps: usize) -> Result<StepReport> {
        self.train_steps_timed(steps, None)
    }

    /// [`Session::train_steps`] timed by `clock` (seconds), see [`EpochPosition::run_timed`].
    pub fn train_steps_timed(&mut self, steps: usize, clock: Option<&dyn Fn() -> f64>) -> Result<StepReport> {
        if self.train.n == 0 {
            return Err(Error::State("no training data: add a shard first".into()));
        }
        self.position.run_timed(&mut self.trainer, &self.train, steps, clock)
    }

    /// Evaluates on `data`, or on the test set given with [`Session::set_test`].
    pub fn evaluate(&self, data: Option<&Dataset>) -> Result<EvalReport> {
        let d = data.or(self.test.as_ref()).ok_or_else(|| Error::State("no test data: pass a shard".into()))?;
        Ok(EvalReport::from_stats(&evaluate(&self.trainer.net, d)?))
    }

    /// The current weights as a model file.
    pub fn export_model(&self) -> Result<Vec<u8>> {
        self.export_model_with(&BTreeMap::new())
    }

    /// Like [`Session::export_model`] with extra provenance entries (e.g. the measured test
    /// accuracy, a date); the session's own entries and the network's format keys win over them.
    pub fn export_model_with(&self, extra: &BTreeMap<String, String>) -> Result<Vec<u8>> {
        let mut prov = extra.clone();
        prov.insert("producer".to_string(), "multispike session (browser)".to_string());
        prov.insert("dataset".to_string(), self.trainer.cfg.dataset.name().to_string());
        prov.insert("epochs".to_string(), self.trainer.epoch.to_string());
        prov.insert("steps".to_string(), self.trainer.adam.t.to_string());
        prov.insert("seed".to_string(), self.trainer.cfg.seed.to_string());
        model_file::to_bytes(&self.trainer.net, &prov)
    }

    /// Weights, Adam state, completed epochs and the training configuration. A resumed session
    /// restarts the current epoch (the position inside it is not stored).
    pub fn export_checkpoint(&self) -> Result<Vec<u8>> {
        let train_config = serde_json::to_string(&self.trainer.cfg)
            .map_err(|e| Error::checkpoint(FormatErrorKind::Incompatible, e.to_string()))?;
        let mut metadata = BTreeMap::new();
        metadata.insert("producer".to_string(), "multispike session (browser)".to_string());
        Checkpoint {
            network: self.trainer.net.clone(),
            adam: self.trainer.adam.clone(),
            epoch: self.trainer.epoch,
            train_config,
            metadata,
        }
        .to_bytes()
    }

    /// Replaces the trainer by a checkpoint's (validated first: on error nothing changes).
    pub fn import_checkpoint(&mut self, bytes: &[u8]) -> Result<()> {
        let ck = Checkpoint::from_bytes(bytes)?;
        let mut cfg = ck.stored_config()?;
        cfg.adam = ck.adam.cfg;
        check_state_bytes(&cfg)?;
        let trainer = Trainer::resume(cfg, ck.network, Some(ck.adam), ck.epoch)?;
        if trainer.net.config().layers[0] != DIM || *trainer.net.config().layers.last().expect("layers") != CLASSES {
            return Err(Error::checkpoint(
                FormatErrorKind::Incompatible,
                format!("the network is {}, not MNIST-shaped", trainer.net.config().layers_string()),
            ));
        }
        self.trainer = trainer;
        self.position.restart_epoch();
        Ok(())
    }

    /// sha256 (hex) of the little-endian bytes of all weights, layer after layer: a compact way
    /// to compare two runs bit for bit.
    pub fn weights_digest(&self) -> String {
        weights_digest(&self.trainer.net)
    }
}

/// sha256 (hex) of the little-endian bytes of all weights of `net`, layer after layer.
pub fn weights_digest(net: &crate::engine::network::Network) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for w in net.weights() {
        for x in w.iter() {
            h.update(x.to_le_bytes());
        }
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize, seed: u8) -> Dataset {
        let mut images = vec![0u8; n * DIM];
        let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
        for i in 0..n {
            let k = labels[i] as usize;
            for c in 0..DIM {
                if (c / 28) / 3 == k || (c + i + seed as usize) % 97 == 0 {
                    images[i * DIM + c] = 200;
                }
            }
        }
        Dataset { images, labels, n, dim: DIM }
    }

    fn small_cfg() -> SessionConfig {
        SessionConfig { layers: vec![DIM, 40, CLASSES], batch: 20, lr: 0.01, init_std: 0.3, ..Default::default() }
    }

    #[test]
    fn config_from_json_and_validation() {
        let c =
            SessionConfig::from_json(r#"{"layers":[784,100,10],"tau_I":1.5,"mode":"single","batch_size":50}"#).unwrap();
        assert_eq!((c.layers[1], c.tau_i, c.mode, c.batch), (100, 1.5, Mode::Single, 50));
        c.to_train_config().unwrap();
        let e = SessionConfig::from_json(r#"{"layer":[1]}"#).unwrap_err().to_string();
        assert!(e.contains("layer"), "{e}");
        for bad in [
            r#"{"layers":[100,10]}"#,
            r#"{"tau_I":-1}"#,
            r#"{"lr":0}"#,
            r#"{"batch":0}"#,
            r#"{"lambda":-1}"#,
            r#"{"max_spikes":0}"#,
            r#"{"init_std":-1}"#,
        ] {
            let c = SessionConfig::from_json(bad).unwrap();
            assert!(c.to_train_config().is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn trains_through_epochs_and_checkpoints() {
        let mut s = Session::new(&small_cfg()).unwrap();
        assert!(s.train_steps(1).is_err());
        s.add_train(data(50, 0)).unwrap();
        s.add_train(data(30, 1)).unwrap();
        let r = s.train_steps(3).unwrap();
        assert_eq!((r.steps, r.samples, r.epoch), (3, 60, 0));
        assert!((r.epoch_progress - 0.75).abs() < 1e-12);
        let ck = s.export_checkpoint().unwrap();
        let r = s.train_steps(2).unwrap(); // 20 to finish the epoch, then 20 of the next
        assert_eq!((r.samples, r.epoch), (40, 1));
        // import restores the state at the checkpoint (epoch 0, restarted from its beginning)
        let mut t = Session::new(&small_cfg()).unwrap();
        t.add_train(data(50, 0)).unwrap();
        t.add_train(data(30, 1)).unwrap();
        t.import_checkpoint(&ck).unwrap();
        assert_eq!(t.trainer().epoch, 0);
        assert!(t.import_checkpoint(b"garbage").is_err());
        let m = model_file::from_bytes(&s.export_model().unwrap()).unwrap();
        assert_eq!(weights_digest(&m.network), s.weights_digest());
        let e = s.evaluate(Some(&data(20, 3))).unwrap();
        assert_eq!(e.samples, 20);
        assert_eq!(e.spike_hist.iter().sum::<u64>(), 20 * 40, "one count per (neuron, sample)");
        let extra = BTreeMap::from([("test_accuracy".to_string(), "0.5".to_string())]);
        let m = model_file::from_bytes(&s.export_model_with(&extra).unwrap()).unwrap();
        assert_eq!(m.metadata["test_accuracy"], "0.5");
        assert_eq!(m.metadata["producer"], "multispike session (browser)");
        assert!(s.evaluate(None).is_err());
    }
    #[test]
    fn chunked_evaluation_and_epoch_totals() {
        let mut s = Session::new(&small_cfg()).unwrap();
        s.add_train(data(50, 0)).unwrap();
        let test = data(45, 2);
        let whole = evaluate(&s.trainer().net, &test).unwrap();
        let mut totals = EvalTotals::default();
        for r in [0..20, 20..21, 21..45] {
            totals.add(&evaluate(&s.trainer().net, &test.subset(r).unwrap()).unwrap(), 0.5);
        }
        let (a, b) = (totals.report(), EvalReport::from_stats(&whole));
        assert_eq!(
            (a.samples, a.accuracy, a.undecided, &a.spike_hist),
            (b.samples, b.accuracy, b.undecided, &b.spike_hist)
        );
        assert!((a.loss - b.loss).abs() < 1e-9 && (a.mean_spikes - b.mean_spikes).abs() < 1e-12);
        assert!(a.per_class_accuracy.iter().zip(&b.per_class_accuracy).all(|(x, y)| (x - y).abs() < 1e-12));
        assert_eq!((a.seconds, a.samples_per_s), (1.5, 30.0));
        // 50 examples in batches of 20: 3 steps per epoch; the third step brings the totals
        let clock = || 1.0;
        let r = s.train_steps_timed(2, Some(&clock)).unwrap();
        assert_eq!((r.steps_per_epoch, r.steps_left, r.epoch_totals.is_none()), (3, 1, true));
        let last = s.train_steps(1).unwrap();
        let t = last.epoch_totals.expect("the epoch ended");
        assert_eq!((t.samples, last.steps_left, last.epoch), (50, 3, 1));
        let acc = (r.accuracy * 40.0 + last.accuracy * 10.0) / 50.0;
        assert!((t.accuracy - acc).abs() < 1e-12);
        assert!(s.train_steps(1).unwrap().epoch_totals.is_none());
    }

    #[test]
    fn budgets_and_limits() {
        let b = |tr, te, ep| RunBudget { train_samples: tr, test_samples: te, epochs: ep };
        b(60000.0, 10000.0, 1000.0).validate(DatasetId::Mnist).unwrap();
        for (x, want) in [
            (b(0.0, 1.0, 1.0), "MNIST training images must be a whole number in 1..=60000, got 0"),
            (b(1.0, 10001.0, 1.0), "test images must be a whole number in 1..=10000, got 10001"),
            (b(1.0, 1.0, 0.5), "epochs must be a whole number in 1..=1000, got 0.5"),
            (b(1.0, 1.0, f64::NAN), "epochs"),
        ] {
            let e = x.validate(DatasetId::FashionMnist).unwrap_err().to_string();
            assert!(e.contains(want), "{e}");
        }
        let l = limits();
        assert_eq!((l["batch"].min, l["batch"].max), (1.0, 100_000.0));
        // the bounds are those of the validation: just inside passes, just outside fails
        let ok = |c: SessionConfig| c.check().is_ok();
        let d = SessionConfig::default;
        assert!(
            ok(SessionConfig { tau_i: l["tau_I"].min, ..d() })
                && !ok(SessionConfig { tau_i: l["tau_I"].min * 0.99, ..d() })
        );
        assert!(
            ok(SessionConfig { tau_i: l["tau_I"].max, ..d() })
                && !ok(SessionConfig { tau_i: l["tau_I"].max * 1.01, ..d() })
        );
        assert!(!ok(SessionConfig { batch: l["batch"].max as usize + 1, ..d() }));
        assert!(ok(SessionConfig {
            lambda: l["lambda"].max,
            sigma: l["sigma"].max,
            init_std: l["init_std"].max,
            ..d()
        }));
        assert!(!ok(SessionConfig { init_std: l["init_std"].max * 1.01, ..d() }));
        assert!(!ok(SessionConfig { lr: l["lr"].max, ..d() }) && !ok(SessionConfig { lr: l["lr"].min, ..d() }));
    }
}
