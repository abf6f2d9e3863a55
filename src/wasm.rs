//! JavaScript bindings (wasm32 only). A thin layer: every computation lives in the core modules
//! ([`crate::app::traces`], [`crate::app::preprocess`], [`crate::app::session`], [`crate::formats::shards`],
//! [`crate::formats::model_file`]); this file converts arguments and results and turns every core error
//! into a thrown JS `Error` with the core's message as `message` and a stable `kind` string
//! ([`crate::Error::kind`], e.g. `model-file/too-large`, `shard/corrupt`, `config`; `argument` for
//! a bad argument of the binding itself), so a page can branch on the kind without parsing text.
//! Nothing here panics on bad input.
//!
//! Exports (JS names):
//! - `Model` — `new Model(bytes)`, `predict(pixels)`, `hiddenTraces(pixels, layer, neurons, points)`,
//!   `evaluate(shard)`, `metadata()`, `layers`, `tauI`, `toBytes()`.
//! - `Shard` — a parsed MNIST-shaped shard: `new Shard(bytes, sha256?, name?)`, `length`,
//!   `label(k)`, `image(k)`, `slice(start, end)`.
//! - `Evaluation` — evaluations of chunks of a test set merged in Rust: `new Evaluation()`,
//!   `addModel(model, shard, start, end)`, `addTrainer(trainer, shard, start, end)`, `samples`,
//!   `report()`.
//! - `manifest(json)` → the validated shard manifest (its `dataset` filled in).
//! - `checkRun(config, budget)` — throws Rust's message for an invalid training configuration or
//!   budget `{ train_samples, test_samples, epochs }`; `sweepCsv(runs)` → the CSV of τ-page runs
//!   in the columns of `multispike sweep`.
//! - `preprocess(data, width, height, channels)` → `Uint8Array(784)`.
//! - `Trainer` — `new Trainer(config)`, `addShard(bytes, sha256?)`, `addExamples(shard, start, end)`,
//!   `setTestShard(bytes, sha256?)`, `trainSteps(n)` (with `epoch_totals` when an epoch ends),
//!   `evaluate(bytes?)`, `evaluateShard(shard)`, `exportModel()`, `exportModelWith(metadata)`,
//!   `exportCheckpoint()`, `importCheckpoint(bytes)`, `weightsDigest()`, `config()`.
//! - `YinYang` — the Yin-Yang playground: `new YinYang(config)`, `config()`, `trainSteps(n)`,
//!   `evaluate()`, `decisionMap(resolution)`, `points(test)`, `predict(x, y, points)`,
//!   `exportModel()`, `weightsDigest()`.
//! - `datasets()` → the data-set table (name, title, classes, inputs, encoding, credit).
//! - `randomSeed()` → a seed from `crypto.getRandomValues` (the caller records it).
//! - `buildInfo()` → `{ version, threaded, simd, max_model_bytes, limits }` (`limits`: `{ min,
//!   max }` of every numeric setting of the training and τ pages); `rayonThreads()`.
//! - threaded build (feature `threads`) only: `initThreadPool(n)` (call it first, once).

use crate::app::playground::{Playground, PlaygroundConfig};
use crate::app::session::{self, EvalReport, EvalTotals, RunBudget, Session, SessionConfig};
use crate::app::{preprocess as pre, sweep, traces};
use crate::data::Dataset;
use crate::formats::model_file::{self, ModelFile};
use crate::formats::shards;
use crate::train;
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[cfg(feature = "threads")]
pub use wasm_bindgen_rayon::init_thread_pool;

/// Installs the panic hook (a Rust panic is logged with its message instead of "unreachable").
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// What every export returns: the value, or the thrown `Error` (see [`thrown`]).
type JsResult<T> = Result<T, JsValue>;

/// A JS `Error` with `message` and `kind`.
fn thrown(kind: &str, message: &str) -> JsValue {
    let e = js_sys::Error::new(message);
    // Setting a property on a fresh Error object cannot fail.
    let _ = js_sys::Reflect::set(&e, &JsValue::from_str("kind"), &JsValue::from_str(kind));
    e.into()
}

/// Every core error, thrown with its message and [`crate::Error::kind`].
impl From<crate::Error> for JsValue {
    fn from(e: crate::Error) -> JsValue {
        thrown(&e.kind(), &e.to_string())
    }
}

fn to_js<T: Serialize>(v: &T) -> JsResult<JsValue> {
    // Plain objects (not Maps), numbers as numbers, `None` as `null` (e.g. `class` on a tie).
    let ser = serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true).serialize_missing_as_null(true);
    v.serialize(&ser).map_err(|e| thrown("internal", &e.to_string()))
}

/// Milliseconds from `performance.now()` of the window or worker, or `Date.now()` without one.
fn now_ms() -> f64 {
    let global = js_sys::global();
    if let Some(p) = global.dyn_ref::<web_sys::Window>().and_then(web_sys::Window::performance) {
        return p.now();
    }
    if let Some(p) = global.dyn_ref::<web_sys::WorkerGlobalScope>().and_then(web_sys::WorkerGlobalScope::performance) {
        return p.now();
    }
    js_sys::Date::now()
}

/// The JSON text of a plain JS object (`undefined`/`null`: `None`), for configurations: through
/// JSON, not serde-wasm-bindgen, which never looks at keys it does not expect, so an unknown or
/// misspelt key is an error that names it.
fn config_json(config: &JsValue) -> JsResult<Option<String>> {
    if config.is_undefined() || config.is_null() {
        return Ok(None);
    }
    js_sys::JSON::stringify(config)
        .ok()
        .and_then(|s| s.as_string())
        .map(Some)
        .ok_or_else(|| thrown("config", "invalid configuration: not a plain object"))
}

/// A random seed (0 ..= 2^53 − 1) from `crypto.getRandomValues`; record it to reproduce the run.
#[wasm_bindgen(js_name = randomSeed)]
pub fn random_seed() -> JsResult<f64> {
    Ok(crate::app::seed::random_seed()? as f64)
}

#[derive(Serialize)]
struct DatasetInfo {
    name: &'static str,
    title: &'static str,
    classes: &'static [&'static str],
    inputs: usize,
    image_side: Option<usize>,
    encoding: &'static str,
    credit: &'static str,
}

/// The data-set table: `[{ name, title, classes, inputs, image_side, encoding, credit }]`.
#[wasm_bindgen]
pub fn datasets() -> JsResult<JsValue> {
    let rows: Vec<DatasetInfo> = crate::data::catalog::DATASETS
        .iter()
        .map(|d| DatasetInfo {
            name: d.id.name(),
            title: d.title,
            classes: d.class_names,
            inputs: d.inputs,
            image_side: d.image_side,
            encoding: d.encoding,
            credit: d.credit,
        })
        .collect();
    to_js(&rows)
}

#[derive(Serialize)]
struct BuildInfo {
    version: &'static str,
    threaded: bool,
    simd: bool,
    /// Largest model file `new Model` accepts: pages refuse bigger files before reading them.
    max_model_bytes: u64,
    /// `{ min, max }` of every numeric setting of the training and τ pages (`session::limits`).
    limits: std::collections::BTreeMap<&'static str, session::Bound>,
}

/// `{ version, threaded, simd, max_model_bytes }` of this package: which build runs.
#[wasm_bindgen(js_name = buildInfo)]
pub fn build_info() -> JsResult<JsValue> {
    to_js(&BuildInfo {
        version: env!("CARGO_PKG_VERSION"),
        threaded: cfg!(feature = "threads"),
        simd: cfg!(target_feature = "simd128"),
        max_model_bytes: model_file::MAX_FILE_BYTES,
        limits: session::limits(),
    })
}

/// The validated `manifest.json` of a shard directory (`dataset` filled in: absent means mnist).
#[wasm_bindgen]
pub fn manifest(json: &str) -> JsResult<JsValue> {
    to_js(&shards::parse_manifest(json)?)
}

/// Throws Rust's message when a training run of the pages is invalid: `config` as for
/// `new Trainer` (checked without making the network), `budget` `{ train_samples,
/// test_samples, epochs }` against the data set's splits.
#[wasm_bindgen(js_name = checkRun)]
pub fn check_run(config: JsValue, budget: JsValue) -> JsResult<()> {
    let cfg = match config_json(&config)? {
        None => SessionConfig::default(),
        Some(json) => SessionConfig::from_json(&json)?,
    };
    cfg.check()?;
    let json = config_json(&budget)?.ok_or_else(|| thrown("config", "invalid configuration: no budget"))?;
    let b: RunBudget = session::config_from_json(&json)?;
    Ok(b.validate(cfg.dataset)?)
}

/// The CSV (header and one line per run, the columns of `multispike sweep`) of the τ page's
/// finished runs (its worker's `run` events).
#[wasm_bindgen(js_name = sweepCsv)]
pub fn sweep_csv(runs: JsValue) -> JsResult<String> {
    let json = config_json(&runs)?.unwrap_or_else(|| "[]".into());
    let runs: Vec<sweep::PageRun> =
        serde_json::from_str(&json).map_err(|e| thrown("argument", &format!("τ runs: {e}")))?;
    let rows =
        runs.iter().map(sweep::PageRun::to_row).collect::<Result<Vec<_>, _>>().map_err(|e| thrown("argument", &e))?;
    Ok(sweep::to_csv(&rows))
}

/// A parsed MNIST-shaped shard (`src/formats/shards.rs` format), held in the engine's memory.
#[wasm_bindgen]
pub struct Shard {
    inner: Dataset,
}

#[wasm_bindgen]
impl Shard {
    /// Parses a shard (the `.mshd.gz` file's bytes, or inflated); `sha256` (hex, of `bytes` as
    /// given: the manifest's) is checked when given; `name` appears in error messages.
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: &[u8], sha256: Option<String>, name: Option<String>) -> JsResult<Shard> {
        let name = name.unwrap_or_else(|| "shard".into());
        Ok(Shard { inner: shards::parse_shard(bytes, sha256.as_deref(), &name)? })
    }

    /// Number of examples.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> usize {
        self.inner.n
    }

    /// Label of example `k`.
    pub fn label(&self, k: usize) -> JsResult<u8> {
        self.check(k)?;
        Ok(self.inner.label(k))
    }

    /// Pixels of example `k` (784 bytes).
    pub fn image(&self, k: usize) -> JsResult<Vec<u8>> {
        self.check(k)?;
        Ok(self.inner.image(k).to_vec())
    }

    /// A copy of examples `start .. end`.
    pub fn slice(&self, start: usize, end: usize) -> JsResult<Shard> {
        Ok(Shard { inner: self.inner.subset(start..end)? })
    }
}

impl Shard {
    fn check(&self, k: usize) -> JsResult<()> {
        if k < self.inner.n {
            Ok(())
        } else {
            Err(thrown("argument", &format!("example {k} of a shard of {} examples", self.inner.n)))
        }
    }
}

/// Evaluations of disjoint chunks of a test set, merged (`session::EvalTotals`).
#[wasm_bindgen]
#[derive(Default)]
pub struct Evaluation {
    inner: EvalTotals,
}

impl Evaluation {
    fn add(&mut self, net: &crate::Network, shard: &Shard, start: usize, end: usize) -> JsResult<()> {
        let t0 = now_ms();
        let part = if start == 0 && end == shard.inner.n {
            train::evaluate(net, &shard.inner)?
        } else {
            train::evaluate(net, &shard.inner.subset(start..end)?)?
        };
        self.inner.add(&part, (now_ms() - t0) / 1000.0);
        Ok(())
    }
}

#[wasm_bindgen]
impl Evaluation {
    #[wasm_bindgen(constructor)]
    pub fn new() -> Evaluation {
        Evaluation::default()
    }

    /// Evaluates a model on examples `start .. end` of `shard` and adds the result.
    #[wasm_bindgen(js_name = addModel)]
    pub fn add_model(&mut self, model: &Model, shard: &Shard, start: usize, end: usize) -> JsResult<()> {
        self.add(&model.inner.network, shard, start, end)
    }

    /// Evaluates a trainer's current network on examples `start .. end` of `shard` and adds it.
    #[wasm_bindgen(js_name = addTrainer)]
    pub fn add_trainer(&mut self, trainer: &Trainer, shard: &Shard, start: usize, end: usize) -> JsResult<()> {
        self.add(&trainer.inner.trainer().net, shard, start, end)
    }

    /// Samples evaluated so far.
    #[wasm_bindgen(getter)]
    pub fn samples(&self) -> f64 {
        self.inner.samples() as f64
    }

    /// The merged report (as `Trainer.evaluate`).
    pub fn report(&self) -> JsResult<JsValue> {
        to_js(&self.inner.report())
    }
}

/// Threads of rayon's pool (1 in the single-threaded build). In the threaded build call it only
/// after `initThreadPool`.
#[wasm_bindgen(js_name = rayonThreads)]
pub fn rayon_threads() -> usize {
    rayon::current_num_threads()
}

/// A trained network loaded from a model file (safetensors, format multispike-v1).
#[wasm_bindgen]
pub struct Model {
    inner: ModelFile,
}

#[wasm_bindgen]
impl Model {
    /// Parses and validates a model file; throws (and creates nothing) on any defect.
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: &[u8]) -> JsResult<Model> {
        Ok(Model { inner: model_file::from_bytes(bytes)? })
    }

    /// Forward pass of a 784-pixel image: `{ class, probabilities, v_out, spike_layer,
    /// spike_neuron, spike_time, n_spikes, layer_spikes, grid, v_trace (n_out × grid, row-major),
    /// layers, t_out }`; the traces use 201 grid times from 0 to t_out.
    pub fn predict(&self, pixels: &[u8]) -> JsResult<JsValue> {
        to_js(&traces::predict(&self.inner.network, pixels, 201)?)
    }

    /// `train::evaluate` on a whole shard: the report of `Trainer.evaluate`.
    pub fn evaluate(&self, shard: &Shard) -> JsResult<JsValue> {
        let t0 = now_ms();
        let r = EvalReport::from_stats(&train::evaluate(&self.inner.network, &shard.inner)?);
        to_js(&r.with_elapsed((now_ms() - t0) / 1000.0))
    }

    /// Like `predict` with `points` grid times.
    #[wasm_bindgen(js_name = predictWithGrid)]
    pub fn predict_with_grid(&self, pixels: &[u8], points: usize) -> JsResult<JsValue> {
        to_js(&traces::predict(&self.inner.network, pixels, points)?)
    }

    /// V(t) of hidden neurons `neurons` of hidden layer `layer` (0-based) on `points` times:
    /// an array of one array per neuron.
    #[wasm_bindgen(js_name = hiddenTraces)]
    pub fn hidden_traces(&self, pixels: &[u8], layer: usize, neurons: &[u32], points: usize) -> JsResult<JsValue> {
        let ns: Vec<usize> = neurons.iter().map(|&n| n as usize).collect();
        to_js(&traces::hidden_traces(&self.inner.network, pixels, layer, &ns, points)?)
    }

    /// The file's metadata (format keys and provenance) as a plain object.
    pub fn metadata(&self) -> JsResult<JsValue> {
        to_js(&self.inner.metadata)
    }

    /// Layer sizes, input first.
    #[wasm_bindgen(getter)]
    pub fn layers(&self) -> Vec<u32> {
        self.inner.network.config().layers.iter().map(|&n| n as u32).collect()
    }

    #[wasm_bindgen(getter, js_name = tauI)]
    pub fn tau_i(&self) -> f64 {
        self.inner.network.config().tau_i
    }

    /// The model file again (for saving).
    #[wasm_bindgen(js_name = toBytes)]
    pub fn to_bytes(&self) -> JsResult<Vec<u8>> {
        Ok(model_file::to_bytes(&self.inner.network, &self.inner.provenance())?)
    }
}

/// The MNIST-style 28×28 image (784 bytes) of a drawing: `data` holds `width × height` pixels
/// of `channels` interleaved bytes (4 = RGBA as in `ImageData.data`, 1 = grey/alpha).
#[wasm_bindgen]
pub fn preprocess(data: &[u8], width: usize, height: usize, channels: usize) -> JsResult<Vec<u8>> {
    Ok(pre::preprocess(data, width, height, channels)?)
}

/// In-browser training on MNIST shards.
#[wasm_bindgen]
pub struct Trainer {
    inner: Session,
    cfg: SessionConfig,
}

#[wasm_bindgen]
impl Trainer {
    /// `config`: an object with any of `layers, tau_I, mode, lr, batch, lambda, sigma, seed,
    /// max_spikes, init_mean, init_std, t_out, dead_fraction` (missing = paper recipe);
    /// unknown keys and out-of-range values throw.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> JsResult<Trainer> {
        let cfg = match config_json(&config)? {
            None => SessionConfig::default(),
            Some(json) => SessionConfig::from_json(&json)?,
        };
        Ok(Trainer { inner: Session::new(&cfg)?, cfg })
    }

    /// The effective configuration (defaults filled in).
    pub fn config(&self) -> JsResult<JsValue> {
        to_js(&self.cfg)
    }

    /// Adds a training shard (the `.mshd.gz` file's bytes, or inflated); `sha256` (hex, from the
    /// manifest) is checked when given. Returns the number of training examples now available.
    #[wasm_bindgen(js_name = addShard)]
    pub fn add_shard(&mut self, bytes: &[u8], sha256: Option<String>) -> JsResult<usize> {
        Ok(self.inner.add_shard(bytes, sha256.as_deref())?)
    }

    /// Adds examples `start .. end` of a parsed shard; returns the number of training examples.
    #[wasm_bindgen(js_name = addExamples)]
    pub fn add_examples(&mut self, shard: &Shard, start: usize, end: usize) -> JsResult<usize> {
        self.inner.add_train(shard.inner.subset(start..end)?)?;
        Ok(self.inner.train_size())
    }

    /// Sets the shard that `evaluate()` without an argument uses.
    #[wasm_bindgen(js_name = setTestShard)]
    pub fn set_test_shard(&mut self, bytes: &[u8], sha256: Option<String>) -> JsResult<usize> {
        Ok(self.inner.set_test_shard(bytes, sha256.as_deref())?)
    }

    /// Runs `n` mini-batch steps: `{ steps, samples, loss, accuracy, spikes_per_sample,
    /// mean_spikes, dead_fraction, non_finite, guarded, truncated, skipped_batches, epoch,
    /// epoch_progress, train_size, steps_per_epoch, steps_left, epoch_totals, seconds,
    /// samples_per_s }`; `epoch_totals` (`null` unless these steps ended an epoch): `{ samples,
    /// loss, accuracy, dead_fraction, non_finite, guarded, truncated, skipped_batches, undecided,
    /// seconds, samples_per_s }` of the whole epoch.
    #[wasm_bindgen(js_name = trainSteps)]
    pub fn train_steps(&mut self, n: usize) -> JsResult<JsValue> {
        let clock = || now_ms() / 1000.0;
        to_js(&self.inner.train_steps_timed(n, Some(&clock))?)
    }

    /// Evaluates on a shard's bytes, or on the test shard when called without one:
    /// `{ samples, accuracy, loss, mean_spikes, silent_fraction, per_class_accuracy, seconds,
    /// samples_per_s }`.
    pub fn evaluate(&self, shard: Option<Vec<u8>>) -> JsResult<JsValue> {
        let t0 = now_ms();
        let r = match shard {
            Some(b) => self.inner.evaluate(Some(&shards::parse_shard(&b, None, "shard")?))?,
            None => self.inner.evaluate(None)?,
        };
        to_js(&r.with_elapsed((now_ms() - t0) / 1000.0))
    }

    /// `evaluate` on a parsed shard.
    #[wasm_bindgen(js_name = evaluateShard)]
    pub fn evaluate_shard(&self, shard: &Shard) -> JsResult<JsValue> {
        let t0 = now_ms();
        let r = self.inner.evaluate(Some(&shard.inner))?;
        to_js(&r.with_elapsed((now_ms() - t0) / 1000.0))
    }

    /// The current network as a model file (loadable by `new Model(bytes)` and the CLI).
    #[wasm_bindgen(js_name = exportModel)]
    pub fn export_model(&self) -> JsResult<Vec<u8>> {
        Ok(self.inner.export_model()?)
    }

    /// Like `exportModel` with extra metadata entries (a plain object of strings, e.g.
    /// `{ test_accuracy: "0.95", date: "…" }`); the session's own entries win.
    #[wasm_bindgen(js_name = exportModelWith)]
    pub fn export_model_with(&self, metadata: JsValue) -> JsResult<Vec<u8>> {
        let extra: std::collections::BTreeMap<String, String> = serde_wasm_bindgen::from_value(metadata)
            .map_err(|e| thrown("argument", &format!("metadata must be an object of strings: {e}")))?;
        Ok(self.inner.export_model_with(&extra)?)
    }

    /// Weights + Adam state + epoch (resumable with `importCheckpoint` or the CLI's --resume).
    #[wasm_bindgen(js_name = exportCheckpoint)]
    pub fn export_checkpoint(&self) -> JsResult<Vec<u8>> {
        Ok(self.inner.export_checkpoint()?)
    }

    /// Continues from a checkpoint; on error the trainer is unchanged.
    #[wasm_bindgen(js_name = importCheckpoint)]
    pub fn import_checkpoint(&mut self, bytes: &[u8]) -> JsResult<()> {
        Ok(self.inner.import_checkpoint(bytes)?)
    }

    /// sha256 of all weights (compare runs bit for bit).
    #[wasm_bindgen(js_name = weightsDigest)]
    pub fn weights_digest(&self) -> String {
        self.inner.weights_digest()
    }
}

/// The Yin-Yang playground: a small network trained live on the published training split.
#[wasm_bindgen]
pub struct YinYang {
    inner: Playground,
}

#[derive(Serialize)]
struct PointPrediction<'a> {
    #[serde(flatten)]
    prediction: &'a traces::Prediction,
    /// The point's class in the data set (`null` outside the big circle).
    truth: Option<u8>,
    /// Its five input spike times (x, y, 1−x, 1−y, bias), as the engine encoded them.
    input_times: Vec<f64>,
}

#[wasm_bindgen]
impl YinYang {
    /// `config`: an object with any of `hidden, tau_I, mode, lr, batch, lambda, sigma, seed,
    /// max_spikes, init_mean, init_std, train_size` (missing: our Yin-Yang recipe); unknown keys
    /// and out-of-range values throw.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> JsResult<YinYang> {
        let cfg = match config_json(&config)? {
            None => PlaygroundConfig::default(),
            Some(json) => PlaygroundConfig::from_json(&json)?,
        };
        Ok(YinYang { inner: Playground::new(&cfg)? })
    }

    /// The effective configuration (defaults filled in).
    pub fn config(&self) -> JsResult<JsValue> {
        to_js(self.inner.config())
    }

    /// Runs `n` mini-batch steps (same report as `Trainer.trainSteps`).
    #[wasm_bindgen(js_name = trainSteps)]
    pub fn train_steps(&mut self, n: usize) -> JsResult<JsValue> {
        let t0 = now_ms();
        let r = self.inner.train_steps(n)?;
        to_js(&r.with_elapsed((now_ms() - t0) / 1000.0))
    }

    /// `{ train, test }`: accuracy, loss, spikes, … on the training examples and the test split.
    pub fn evaluate(&self) -> JsResult<JsValue> {
        to_js(&self.inner.evaluate()?)
    }

    /// `{ resolution, class, confidence, counts, mean_spikes }` on a grid over the unit square
    /// (row 0 at the top; class 255 where the largest outputs tie).
    #[wasm_bindgen(js_name = decisionMap)]
    pub fn decision_map(&self, resolution: usize) -> JsResult<JsValue> {
        to_js(&self.inner.decision_map(resolution)?)
    }

    /// `{ x, y, label }` of the training examples used (`test` false) or of the test split.
    pub fn points(&self, test: bool) -> JsResult<JsValue> {
        to_js(&self.inner.points(test))
    }

    /// Spike raster, output traces (`points` grid times) and probabilities of the point (x, y),
    /// with its true class `truth`, the decision `class` (`null` on a tie) and its
    /// `input_times`.
    pub fn predict(&self, x: f64, y: f64, points: usize) -> JsResult<JsValue> {
        let (p, truth) = self.inner.predict(x, y, points)?;
        let input_times = self.inner.input_times(x, y);
        to_js(&PointPrediction { prediction: &p, truth, input_times })
    }

    /// The current network as a model file (dataset `yin-yang` in its metadata).
    #[wasm_bindgen(js_name = exportModel)]
    pub fn export_model(&self) -> JsResult<Vec<u8>> {
        Ok(self.inner.export_model()?)
    }

    /// sha256 of all weights (compare runs bit for bit).
    #[wasm_bindgen(js_name = weightsDigest)]
    pub fn weights_digest(&self) -> String {
        self.inner.weights_digest()
    }
}
