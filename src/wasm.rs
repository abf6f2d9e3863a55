//! JavaScript bindings (wasm32 only). A thin layer: every computation lives in the core modules
//! ([`crate::traces`], [`crate::preprocess`], [`crate::session`], [`crate::shards`],
//! [`crate::model_file`]); this file converts arguments and results and turns every core error
//! into a thrown JS `Error` (`JsError`) with the core's message. Nothing here panics on bad input.
//!
//! Exports (JS names):
//! - `Model` — `new Model(bytes)`, `predict(pixels)`, `hiddenTraces(pixels, layer, neurons, points)`,
//!   `metadata()`, `layers`, `tauI`, `toBytes()`.
//! - `preprocess(data, width, height, channels)` → `Uint8Array(784)`.
//! - `Trainer` — `new Trainer(config)`, `addShard(bytes, sha256?)`, `setTestShard(bytes, sha256?)`,
//!   `trainSteps(n)`, `evaluate(bytes?)`, `exportModel()`, `exportModelWith(metadata)`, `exportCheckpoint()`,
//!   `importCheckpoint(bytes)`, `weightsDigest()`, `config()`.
//! - `buildInfo()` → `{ version, threaded, simd }`; `rayonThreads()`.
//! - threaded build (feature `threads`) only: `initThreadPool(n)` (call it first, once).

use crate::model_file::{self, ModelFile};
use crate::session::{Session, SessionConfig};
use crate::{preprocess as pre, shards, traces};
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[cfg(feature = "threads")]
pub use wasm_bindgen_rayon::init_thread_pool;

/// Installs the panic hook (a Rust panic is logged with its message instead of "unreachable").
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

fn to_js<T: Serialize>(v: &T) -> Result<JsValue, JsError> {
    // Plain objects (not Maps), numbers as numbers.
    let ser = serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true);
    v.serialize(&ser).map_err(|e| JsError::new(&e.to_string()))
}

/// Milliseconds from the global `performance.now()` (window or worker), or `Date.now()`.
fn now_ms() -> f64 {
    let perf = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("performance")).ok();
    if let Some(p) = perf.filter(|p| p.is_object()) {
        if let Ok(f) = js_sys::Reflect::get(&p, &JsValue::from_str("now")) {
            if let Ok(f) = f.dyn_into::<js_sys::Function>() {
                if let Some(t) = f.call0(&p).ok().and_then(|v| v.as_f64()) {
                    return t;
                }
            }
        }
    }
    js_sys::Date::now()
}

#[derive(Serialize)]
struct BuildInfo {
    version: &'static str,
    threaded: bool,
    simd: bool,
    /// Largest model file `new Model` accepts: pages refuse bigger files before reading them.
    max_model_bytes: u64,
}

/// `{ version, threaded, simd, max_model_bytes }` of this package: which build runs.
#[wasm_bindgen(js_name = buildInfo)]
pub fn build_info() -> Result<JsValue, JsError> {
    to_js(&BuildInfo {
        version: env!("CARGO_PKG_VERSION"),
        threaded: cfg!(feature = "threads"),
        simd: cfg!(target_feature = "simd128"),
        max_model_bytes: model_file::MAX_FILE_BYTES,
    })
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
    pub fn new(bytes: &[u8]) -> Result<Model, JsError> {
        Ok(Model { inner: model_file::from_bytes(bytes)? })
    }

    /// Forward pass of a 784-pixel image: `{ class, probabilities, v_out, spike_layer,
    /// spike_neuron, spike_time, n_spikes, layer_spikes, grid, v_trace (n_out × grid, row-major),
    /// layers, t_out }`; the traces use 201 grid times from 0 to t_out.
    pub fn predict(&self, pixels: &[u8]) -> Result<JsValue, JsError> {
        to_js(&traces::predict(&self.inner.network, pixels, 201)?)
    }

    /// Like `predict` with `points` grid times.
    #[wasm_bindgen(js_name = predictWithGrid)]
    pub fn predict_with_grid(&self, pixels: &[u8], points: usize) -> Result<JsValue, JsError> {
        to_js(&traces::predict(&self.inner.network, pixels, points)?)
    }

    /// V(t) of hidden neurons `neurons` of hidden layer `layer` (0-based) on `points` times:
    /// an array of one array per neuron.
    #[wasm_bindgen(js_name = hiddenTraces)]
    pub fn hidden_traces(
        &self,
        pixels: &[u8],
        layer: usize,
        neurons: &[u32],
        points: usize,
    ) -> Result<JsValue, JsError> {
        let ns: Vec<usize> = neurons.iter().map(|&n| n as usize).collect();
        to_js(&traces::hidden_traces(&self.inner.network, pixels, layer, &ns, points)?)
    }

    /// The file's metadata (format keys and provenance) as a plain object.
    pub fn metadata(&self) -> Result<JsValue, JsError> {
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
    pub fn to_bytes(&self) -> Result<Vec<u8>, JsError> {
        Ok(model_file::to_bytes(&self.inner.network, &self.inner.provenance())?)
    }
}

/// The MNIST-style 28×28 image (784 bytes) of a drawing: `data` holds `width × height` pixels
/// of `channels` interleaved bytes (4 = RGBA as in `ImageData.data`, 1 = grey/alpha).
#[wasm_bindgen]
pub fn preprocess(data: &[u8], width: usize, height: usize, channels: usize) -> Result<Vec<u8>, JsError> {
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
    pub fn new(config: JsValue) -> Result<Trainer, JsError> {
        // Through JSON (not serde-wasm-bindgen, which never looks at keys it does not expect):
        // an unknown or misspelt key is an error that names it.
        let cfg = if config.is_undefined() || config.is_null() {
            SessionConfig::default()
        } else {
            let json = js_sys::JSON::stringify(&config)
                .ok()
                .and_then(|s| s.as_string())
                .ok_or_else(|| JsError::new("invalid configuration: not a plain object"))?;
            SessionConfig::from_json(&json)?
        };
        Ok(Trainer { inner: Session::new(&cfg)?, cfg })
    }

    /// The effective configuration (defaults filled in).
    pub fn config(&self) -> Result<JsValue, JsError> {
        to_js(&self.cfg)
    }

    /// Adds a training shard (the `.mshd.gz` file's bytes, or inflated); `sha256` (hex, from the
    /// manifest) is checked when given. Returns the number of training examples now available.
    #[wasm_bindgen(js_name = addShard)]
    pub fn add_shard(&mut self, bytes: &[u8], sha256: Option<String>) -> Result<usize, JsError> {
        Ok(self.inner.add_shard(bytes, sha256.as_deref())?)
    }

    /// Sets the shard that `evaluate()` without an argument uses.
    #[wasm_bindgen(js_name = setTestShard)]
    pub fn set_test_shard(&mut self, bytes: &[u8], sha256: Option<String>) -> Result<usize, JsError> {
        Ok(self.inner.set_test_shard(bytes, sha256.as_deref())?)
    }

    /// Runs `n` mini-batch steps: `{ steps, samples, loss, accuracy, spikes_per_sample,
    /// mean_spikes, dead_fraction, non_finite, guarded, truncated, skipped_batches, epoch,
    /// epoch_progress, train_size, seconds, samples_per_s }`.
    #[wasm_bindgen(js_name = trainSteps)]
    pub fn train_steps(&mut self, n: usize) -> Result<JsValue, JsError> {
        let t0 = now_ms();
        let r = self.inner.train_steps(n)?;
        to_js(&r.with_elapsed((now_ms() - t0) / 1000.0))
    }

    /// Evaluates on a shard's bytes, or on the test shard when called without one:
    /// `{ samples, accuracy, loss, mean_spikes, silent_fraction, per_class_accuracy, seconds,
    /// samples_per_s }`.
    pub fn evaluate(&self, shard: Option<Vec<u8>>) -> Result<JsValue, JsError> {
        let t0 = now_ms();
        let r = match shard {
            Some(b) => self.inner.evaluate(Some(&shards::parse_shard(&b, None, "shard")?))?,
            None => self.inner.evaluate(None)?,
        };
        to_js(&r.with_elapsed((now_ms() - t0) / 1000.0))
    }

    /// The current network as a model file (loadable by `new Model(bytes)` and the CLI).
    #[wasm_bindgen(js_name = exportModel)]
    pub fn export_model(&self) -> Result<Vec<u8>, JsError> {
        Ok(self.inner.export_model()?)
    }

    /// Like `exportModel` with extra metadata entries (a plain object of strings, e.g.
    /// `{ test_accuracy: "0.95", date: "…" }`); the session's own entries win.
    #[wasm_bindgen(js_name = exportModelWith)]
    pub fn export_model_with(&self, metadata: JsValue) -> Result<Vec<u8>, JsError> {
        let extra: std::collections::BTreeMap<String, String> = serde_wasm_bindgen::from_value(metadata)
            .map_err(|e| JsError::new(&format!("metadata must be an object of strings: {e}")))?;
        Ok(self.inner.export_model_with(&extra)?)
    }

    /// Weights + Adam state + epoch (resumable with `importCheckpoint` or the CLI's --resume).
    #[wasm_bindgen(js_name = exportCheckpoint)]
    pub fn export_checkpoint(&self) -> Result<Vec<u8>, JsError> {
        Ok(self.inner.export_checkpoint()?)
    }

    /// Continues from a checkpoint; on error the trainer is unchanged.
    #[wasm_bindgen(js_name = importCheckpoint)]
    pub fn import_checkpoint(&mut self, bytes: &[u8]) -> Result<(), JsError> {
        Ok(self.inner.import_checkpoint(bytes)?)
    }

    /// sha256 of all weights (compare runs bit for bit).
    #[wasm_bindgen(js_name = weightsDigest)]
    pub fn weights_digest(&self) -> String {
        self.inner.weights_digest()
    }
}
