//! Model files: a trained network (configuration + weights) and its provenance, stored as a
//! [safetensors](https://github.com/huggingface/safetensors) file of format `multispike-v1`.
//!
//! # File format `multispike-v1` (public contract)
//!
//! A model file is a plain safetensors container, readable by any safetensors library:
//!
//! ```text
//! u64 (little-endian)  N = length of the JSON header in bytes (a multiple of 8)
//! N bytes              JSON header (UTF-8, padded with spaces)
//! …                    tensor data, in the order of the data_offsets
//! ```
//!
//! **Tensors.** Exactly one per weight matrix, named `layers.0.weight`, `layers.1.weight`, …,
//! `layers.{k-1}.weight` for a network of `k + 1` layers, and nothing else:
//!
//! * dtype `F32` (IEEE-754 single precision, little-endian);
//! * shape `[n_in, n_out]` = `[layers[l], layers[l+1]]`, row-major: row `i` holds the weights
//!   from presynaptic neuron `i` of layer `l` to each neuron of layer `l + 1`, so element
//!   `(i, j)` is at flat index `i * n_out + j`;
//! * every value finite.
//!
//! **Metadata** (`__metadata__`, a string → string map). Keys defined by the format:
//!
//! | key           | value                                                          |
//! |---------------|----------------------------------------------------------------|
//! | `format`      | `multispike-v1`                                                |
//! | `layers`      | comma-separated layer sizes `n_in,h_1,…,n_out`, e.g. `784,400,10` |
//! | `tau_I`       | synaptic time constant τ_I (τ_V = τ_I / 2), decimal            |
//! | `t_out`       | read-out time, decimal                                         |
//! | `v_th`        | firing threshold, always `1`                                   |
//! | `mode`        | `multi` or `single`                                            |
//! | `max_spikes`  | per-neuron spike cap (multi mode), unsigned integer            |
//! | `grazing_eps` | grazing guard of the backward pass, decimal                    |
//!
//! Real numbers are written with Rust's shortest round-trip decimal representation (`{}` of an
//! `f64`, never in exponent notation: `0.001`, `0.00000001`), so parsing the string as an IEEE
//! double gives back exactly the value that was saved. Any other key is free-form provenance
//! written by the producing tool, for instance `command`, `seed`, `epochs`, `init`,
//! `test_accuracy`, `date`; readers must ignore provenance keys they do not know.
//!
//! **Validation on load.** [`from_bytes`] and [`load`] refuse (with [`Error::ModelFile`], never a
//! panic) files larger than [`MAX_FILE_BYTES`], malformed safetensors containers, a missing or
//! different `format`, missing or unparsable format keys, a configuration that
//! [`NetConfig::validate`] rejects or `v_th ≠ 1`, missing or extra tensors, a dtype other than
//! `F32`, shapes that do not chain or do not match `layers`, and non-finite weights.
//!
//! Training checkpoints (module [`crate::checkpoint`]) use the same container with more tensors
//! and keys; the helpers shared by both live here.

use crate::config::{Mode, NetConfig, V_TH};
use crate::error::{Error, Result};
use crate::network::Network;
use ndarray::Array2;
use safetensors::tensor::{Dtype, SafeTensors};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;

/// Value of the `format` metadata entry of a model file.
pub const FORMAT: &str = "multispike-v1";

/// Largest model file [`load`] accepts (512 MiB; the largest valid network has 256 MiB of weights).
pub const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;

/// Metadata keys defined by the format (everything else is provenance).
pub const RESERVED_KEYS: [&str; 8] =
    ["format", "tau_I", "t_out", "v_th", "mode", "layers", "max_spikes", "grazing_eps"];

/// Largest JSON header the safetensors readers accept.
const MAX_HEADER_BYTES: usize = 100_000_000;

/// A loaded model file.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelFile {
    /// The network (configuration from the metadata, weights from the tensors).
    pub network: Network,
    /// The whole `__metadata__` map as stored in the file (format keys and provenance).
    pub metadata: BTreeMap<String, String>,
}

impl ModelFile {
    /// The provenance entries of [`ModelFile::metadata`]: every key but [`RESERVED_KEYS`].
    pub fn provenance(&self) -> BTreeMap<String, String> {
        strip_keys(&self.metadata, &RESERVED_KEYS)
    }

    /// The data set the model was trained on: its `dataset` metadata entry, MNIST when there is
    /// none (files written before the entry existed); an unknown name is an error.
    pub fn dataset(&self) -> Result<crate::data::DatasetId> {
        crate::data::DatasetId::from_metadata(self.metadata.get("dataset").map(String::as_str))
    }
}

/// Serializes a network and its provenance into the bytes of a model file.
///
/// Provenance entries whose key is one of [`RESERVED_KEYS`] are ignored: those entries are always
/// written from the network itself (so the metadata of a loaded file can be passed back as is).
/// Fails only if the metadata makes the JSON header larger than safetensors readers accept.
pub fn to_bytes(net: &Network, provenance: &BTreeMap<String, String>) -> Result<Vec<u8>> {
    let mut meta = provenance.clone();
    meta.extend(network_metadata(net));
    let tensors = weight_tensors(net);
    let views: Vec<(&str, [usize; 2], &[f32])> = tensors.iter().map(|(n, s, d)| (n.as_str(), *s, *d)).collect();
    write_container(&meta, &views).map_err(Error::ModelFile)
}

/// Parses and validates the bytes of a model file.
pub fn from_bytes(bytes: &[u8]) -> Result<ModelFile> {
    let c = Container::parse(bytes, FORMAT).map_err(Error::ModelFile)?;
    let cfg = c.config().map_err(Error::ModelFile)?;
    c.expect_names(&weight_names(cfg.n_weight_layers())).map_err(Error::ModelFile)?;
    let network = c.network(cfg).map_err(Error::ModelFile)?;
    Ok(ModelFile { network, metadata: c.meta })
}

/// Writes a model file atomically: the bytes go to `<path>.tmp` in the same directory, which is
/// fsynced and then renamed over `path`. On failure `path` is left as it was and the temporary file
/// is removed.
pub fn save(path: impl AsRef<Path>, net: &Network, provenance: &BTreeMap<String, String>) -> Result<()> {
    write_atomic(path.as_ref(), &to_bytes(net, provenance)?)
}

/// Reads and validates a model file (at most [`MAX_FILE_BYTES`]).
pub fn load(path: impl AsRef<Path>) -> Result<ModelFile> {
    let path = path.as_ref();
    let bytes = read_bounded(path, MAX_FILE_BYTES, "model file", Error::ModelFile)?;
    from_bytes(&bytes).map_err(|e| match e {
        Error::ModelFile(m) => Error::ModelFile(format!("{}: {m}", path.display())),
        other => other,
    })
}

// ---------------------------------------------------------------------------------------------
// Helpers shared with `checkpoint`. They report plain messages; the caller picks the variant.
// ---------------------------------------------------------------------------------------------

/// The format keys of the metadata of `net` (including `format` = [`FORMAT`]).
pub(crate) fn network_metadata(net: &Network) -> BTreeMap<String, String> {
    let c = net.config();
    [
        ("format", FORMAT.to_string()),
        ("tau_I", format!("{}", c.tau_i)),
        ("t_out", format!("{}", c.t_out)),
        ("v_th", format!("{}", V_TH)),
        ("mode", c.mode.as_str().to_string()),
        ("layers", c.layers_string()),
        ("max_spikes", c.max_spikes.to_string()),
        ("grazing_eps", format!("{}", c.grazing_eps)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// A copy of `meta` without the given keys.
pub(crate) fn strip_keys(meta: &BTreeMap<String, String>, keys: &[&str]) -> BTreeMap<String, String> {
    meta.iter().filter(|(k, _)| !keys.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// Name of weight tensor `l`.
pub(crate) fn weight_name(l: usize) -> String {
    format!("layers.{l}.weight")
}

fn weight_names(k: usize) -> Vec<String> {
    (0..k).map(weight_name).collect()
}

/// `(name, shape, data)` of every weight matrix of `net`.
pub(crate) fn weight_tensors(net: &Network) -> Vec<(String, [usize; 2], &[f32])> {
    net.weights()
        .iter()
        .enumerate()
        .map(|(l, w)| {
            let (r, c) = w.dim();
            // `Network` keeps its matrices in standard (row-major) layout.
            (weight_name(l), [r, c], w.as_slice().expect("network weights are in standard layout"))
        })
        .collect()
}

/// Serializes f32 tensors and string metadata into a safetensors container. The output is
/// deterministic: the header lists `__metadata__` (sorted keys) and the tensors in a fixed order,
/// and the data follow in the order given.
pub(crate) fn write_container(
    meta: &BTreeMap<String, String>,
    tensors: &[(&str, [usize; 2], &[f32])],
) -> std::result::Result<Vec<u8>, String> {
    use serde_json::{json, Map, Value};
    let mut header = Map::new();
    header.insert("__metadata__".into(), json!(meta));
    let mut offset = 0usize;
    for (name, shape, data) in tensors {
        debug_assert_eq!(shape[0] * shape[1], data.len(), "tensor {name}");
        let end = offset + 4 * data.len();
        header.insert((*name).to_string(), json!({ "dtype": "F32", "shape": shape, "data_offsets": [offset, end] }));
        offset = end;
    }
    let mut head = serde_json::to_vec(&Value::Object(header)).map_err(|e| format!("cannot encode the header: {e}"))?;
    head.resize(head.len().next_multiple_of(8), b' ');
    if head.len() > MAX_HEADER_BYTES {
        return Err(format!(
            "the metadata makes the header {} bytes long; safetensors readers accept at most {MAX_HEADER_BYTES}",
            head.len()
        ));
    }
    let mut out = Vec::with_capacity(8 + head.len() + offset);
    out.extend_from_slice(&(head.len() as u64).to_le_bytes());
    out.extend_from_slice(&head);
    for (_, _, data) in tensors {
        for x in data.iter() {
            out.extend_from_slice(&x.to_le_bytes());
        }
    }
    Ok(out)
}

/// One tensor of a parsed container.
struct RawTensor<'a> {
    dtype: Dtype,
    shape: Vec<usize>,
    data: &'a [u8],
}

/// A parsed safetensors container whose `format` entry has been checked.
pub(crate) struct Container<'a> {
    /// The `__metadata__` map.
    pub meta: BTreeMap<String, String>,
    tensors: BTreeMap<String, RawTensor<'a>>,
}

impl<'a> Container<'a> {
    /// Parses the container (safetensors validates header size, JSON, offsets and that the data
    /// exactly cover the rest of the buffer) and checks `format`.
    pub fn parse(bytes: &'a [u8], format: &str) -> std::result::Result<Self, String> {
        let (n, header) =
            SafeTensors::read_metadata(bytes).map_err(|e| format!("not a valid safetensors file: {e}"))?;
        let data = bytes.get(8 + n..).ok_or("not a valid safetensors file: header runs past the end")?;
        let meta: BTreeMap<String, String> = match header.metadata() {
            Some(m) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            None => return Err(format!("the file has no __metadata__ (not a {format} file)")),
        };
        match meta.get("format").map(String::as_str) {
            None => return Err(format!("metadata entry \"format\" is missing (expected \"{format}\")")),
            Some(f) if f == format => {}
            Some(f) => {
                let hint = if f == FORMAT {
                    " (this is a model file, not a training checkpoint)"
                } else if f == crate::checkpoint::FORMAT {
                    " (this is a training checkpoint, not a model file)"
                } else {
                    ""
                };
                return Err(format!("format is {f:?}, expected \"{format}\"{hint}"));
            }
        }
        let mut tensors = BTreeMap::new();
        for (name, info) in header.tensors() {
            let (s, e) = info.data_offsets;
            let data = data.get(s..e).ok_or_else(|| format!("tensor {name}: data offsets out of range"))?;
            tensors.insert(name, RawTensor { dtype: info.dtype, shape: info.shape.clone(), data });
        }
        Ok(Container { meta, tensors })
    }

    /// Requires the tensor names to be exactly `expected`.
    pub fn expect_names(&self, expected: &[String]) -> std::result::Result<(), String> {
        if let Some(missing) = expected.iter().find(|n| !self.tensors.contains_key(*n)) {
            return Err(format!("tensor {missing} is missing"));
        }
        if let Some(extra) = self.tensors.keys().find(|n| !expected.contains(n)) {
            return Err(format!("unexpected tensor {extra:?} (expected exactly {})", expected.join(", ")));
        }
        Ok(())
    }

    /// A metadata entry that must be present.
    pub fn get(&self, key: &str) -> std::result::Result<&str, String> {
        self.meta.get(key).map(String::as_str).ok_or_else(|| format!("metadata entry \"{key}\" is missing"))
    }

    /// A metadata entry parsed with `FromStr`.
    pub fn parse_entry<T: std::str::FromStr>(&self, key: &str, what: &str) -> std::result::Result<T, String> {
        let s = self.get(key)?;
        s.parse().map_err(|_| format!("metadata entry \"{key}\" = {s:?} is not {what}"))
    }

    /// The network configuration described by the metadata, validated.
    pub fn config(&self) -> std::result::Result<NetConfig, String> {
        const REAL: &str = "a number";
        let layers_s = self.get("layers")?;
        let layers =
            layers_s.split(',').map(|p| p.parse::<usize>()).collect::<std::result::Result<Vec<_>, _>>().map_err(
                |_| format!("metadata entry \"layers\" = {layers_s:?} is not a comma-separated list of layer sizes"),
            )?;
        let mode: Mode = self.get("mode")?.parse().map_err(|e: Error| e.to_string())?;
        let v_th: f64 = self.parse_entry("v_th", REAL)?;
        if v_th != V_TH {
            return Err(format!("v_th is {v_th}; this engine only supports v_th = {V_TH}"));
        }
        let cfg = NetConfig {
            layers,
            tau_i: self.parse_entry("tau_I", REAL)?,
            t_out: self.parse_entry("t_out", REAL)?,
            mode,
            max_spikes: self.parse_entry("max_spikes", "an unsigned integer")?,
            grazing_eps: self.parse_entry("grazing_eps", REAL)?,
        };
        cfg.validate().map_err(|e| e.to_string())?;
        Ok(cfg)
    }

    /// An F32 matrix tensor: checks presence, dtype and rank (not the dimensions).
    fn matrix_info(&self, name: &str) -> std::result::Result<(&RawTensor<'a>, (usize, usize)), String> {
        let t = self.tensors.get(name).ok_or_else(|| format!("tensor {name} is missing"))?;
        if t.dtype != Dtype::F32 {
            return Err(format!("tensor {name} has dtype {}, expected F32", t.dtype));
        }
        match t.shape[..] {
            [r, c] => Ok((t, (r, c))),
            _ => Err(format!("tensor {name} has shape {:?}, expected a matrix [n_in, n_out]", t.shape)),
        }
    }

    /// Reads an F32 tensor of shape `want`, requiring finite values (and, if `non_negative`,
    /// values ≥ 0). Errors name the tensor and the index.
    pub fn matrix(
        &self,
        name: &str,
        want: (usize, usize),
        non_negative: bool,
    ) -> std::result::Result<Array2<f32>, String> {
        let (t, dim) = self.matrix_info(name)?;
        if dim != want {
            return Err(format!("tensor {name} has shape [{}, {}], expected [{}, {}]", dim.0, dim.1, want.0, want.1));
        }
        let values: Vec<f32> = t.data.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        let bad = values.iter().position(|x| !x.is_finite() || (non_negative && *x < 0.0));
        if let Some(i) = bad {
            let (r, c) = (i / dim.1, i % dim.1);
            let need = if non_negative { "finite and non-negative" } else { "finite" };
            return Err(format!("tensor {name} element [{r}, {c}] is {}; values must be {need}", values[i]));
        }
        Array2::from_shape_vec(dim, values).map_err(|e| format!("tensor {name}: {e}"))
    }

    /// The weights `layers.{l}.weight`, checked against each other (the shapes must chain) and
    /// against `cfg.layers`, and the network built from them.
    pub fn network(&self, cfg: NetConfig) -> std::result::Result<Network, String> {
        let k = cfg.n_weight_layers();
        let mut prev: Option<(String, usize)> = None;
        for l in 0..k {
            let name = weight_name(l);
            let (_, (r, c)) = self.matrix_info(&name)?;
            if let Some((pname, pc)) = &prev {
                if *pc != r {
                    return Err(format!("shapes do not chain: {pname} has {pc} columns but {name} has {r} rows"));
                }
            }
            if (r, c) != (cfg.layers[l], cfg.layers[l + 1]) {
                return Err(format!(
                    "tensor {name} has shape [{r}, {c}] but the metadata layers = {} require [{}, {}]",
                    cfg.layers_string(),
                    cfg.layers[l],
                    cfg.layers[l + 1]
                ));
            }
            prev = Some((name, c));
        }
        let weights = (0..k)
            .map(|l| self.matrix(&weight_name(l), (cfg.layers[l], cfg.layers[l + 1]), false))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Network::new(cfg, weights).map_err(|e| e.to_string())
    }
}

/// Reads a whole file of at most `max` bytes; the size is checked before anything is read.
pub(crate) fn read_bounded(path: &Path, max: u64, what: &str, wrap: fn(String) -> Error) -> Result<Vec<u8>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let md = file.metadata().map_err(|e| Error::io(path, e))?;
    if md.is_dir() {
        return Err(wrap(format!("{} is a directory, not a {what}", path.display())));
    }
    let too_big = |n: u64| wrap(format!("{} is {n} bytes; a {what} may be at most {max} bytes", path.display()));
    if md.len() > max {
        return Err(too_big(md.len()));
    }
    let mut bytes = Vec::with_capacity(md.len() as usize);
    // `take` guards against a file that grows while it is read.
    file.take(max + 1).read_to_end(&mut bytes).map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > max {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(bytes)
}

/// `<path>.tmp`, in the same directory as `path`.
pub(crate) fn tmp_path(path: &Path) -> Result<std::path::PathBuf> {
    let name = path
        .file_name()
        .ok_or_else(|| Error::io(path, std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file path")))?;
    let mut tmp = name.to_os_string();
    tmp.push(".tmp");
    Ok(path.with_file_name(tmp))
}

/// `MULTISPIKE_TEST_SLOW_SAVE_MS`: a pause in the middle of every atomic write (tests only).
fn slow_save_ms() -> Option<u64> {
    if cfg!(target_arch = "wasm32") {
        return None;
    }
    std::env::var("MULTISPIKE_TEST_SLOW_SAVE_MS").ok()?.parse().ok()
}

/// Atomically replaces `path` by `bytes`: write `<path>.tmp`, fsync it, rename it over `path`,
/// then fsync the directory (best effort). On failure the temporary file is removed and `path`
/// is untouched.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    if path.is_dir() {
        return Err(Error::io(
            path,
            std::io::Error::new(std::io::ErrorKind::IsADirectory, "is a directory; refusing to replace it"),
        ));
    }
    let tmp = tmp_path(path)?;
    let written = (|| -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).open(&tmp)?;
        let pause = slow_save_ms();
        let half = if pause.is_some() { bytes.len() / 2 } else { 0 };
        f.write_all(&bytes[..half])?;
        if let Some(ms) = pause {
            // Test hook: leave a half-written temporary file for a while, so that a test can kill
            // the process in the middle of a write (tests/cli.rs).
            f.sync_all()?;
            std::thread::sleep(std::time::Duration::from_millis(ms));
        }
        f.write_all(&bytes[half..])?;
        f.sync_all()
    })();
    if let Err(e) = written {
        if tmp.is_file() {
            let _ = std::fs::remove_file(&tmp);
        }
        return Err(Error::io(&tmp, e));
    }
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(path, e));
    }
    #[cfg(unix)]
    {
        // Make the rename itself durable. Some file systems refuse to fsync a directory; the
        // file is complete either way, so this is best effort.
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use safetensors::tensor::TensorView;
    use std::collections::HashMap;

    /// `(name, dtype, shape, little-endian data)` of tensors to put in a test container.
    pub(crate) type RawTensors = Vec<(String, Dtype, Vec<usize>, Vec<u8>)>;

    pub(crate) fn small_net() -> Network {
        let mut cfg = NetConfig::new(vec![4, 3, 2], 0.8, Mode::Multi);
        cfg.t_out = 1.3;
        cfg.max_spikes = 7;
        cfg.grazing_eps = 1e-4;
        Network::init_gaussian(cfg, 42, 0.1, 0.7).unwrap()
    }

    pub(crate) fn f32_bytes(v: &[f32]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    /// A container built with the safetensors crate itself (so it is valid as a container).
    pub(crate) fn build(meta: &BTreeMap<String, String>, tensors: &RawTensors) -> Vec<u8> {
        let views: Vec<(String, TensorView<'_>)> =
            tensors.iter().map(|(n, d, s, b)| (n.clone(), TensorView::new(*d, s.clone(), b).unwrap())).collect();
        let meta: HashMap<String, String> = meta.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        safetensors::tensor::serialize(views, Some(meta)).unwrap()
    }

    fn good_parts() -> (BTreeMap<String, String>, RawTensors) {
        let net = small_net();
        let tensors =
            weight_tensors(&net).into_iter().map(|(n, s, d)| (n, Dtype::F32, s.to_vec(), f32_bytes(d))).collect();
        (network_metadata(&net), tensors)
    }

    fn err_of(bytes: &[u8]) -> String {
        match from_bytes(bytes) {
            Err(Error::ModelFile(m)) => m,
            Err(e) => panic!("expected Error::ModelFile, got {e:?}"),
            Ok(_) => panic!("corrupt model file was accepted"),
        }
    }

    fn assert_err(bytes: &[u8], want: &[&str]) {
        let m = err_of(bytes);
        for w in want {
            assert!(m.contains(w), "error {m:?} should mention {w:?}");
        }
    }

    fn modified(f: impl FnOnce(&mut BTreeMap<String, String>, &mut RawTensors)) -> Vec<u8> {
        let (mut meta, mut tensors) = good_parts();
        f(&mut meta, &mut tensors);
        build(&meta, &tensors)
    }

    fn set(key: &str, value: &str) -> Vec<u8> {
        modified(|m, _| {
            m.insert(key.to_string(), value.to_string());
        })
    }

    fn unset(key: &str) -> Vec<u8> {
        modified(|m, _| {
            m.remove(key);
        })
    }

    #[test]
    fn round_trip_is_bit_identical() {
        let mut net = small_net();
        // Include values whose bits matter: negative zero, subnormal, extremes.
        let mut w = net.weight_slices_mut();
        w[0][0] = -0.0;
        w[0][1] = f32::MIN_POSITIVE / 8.0;
        w[1][0] = f32::MAX;
        w[1][1] = f32::MIN;
        let prov: BTreeMap<String, String> = [
            ("command", "multispike train --epochs 3 \"quoted\" ünïcode"),
            ("seed", "42"),
            ("test_accuracy", "0.9731"),
            ("tau_I", "999"), // reserved: ignored, written from the network
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let bytes = to_bytes(&net, &prov).unwrap();
        assert_eq!(bytes, to_bytes(&net, &prov).unwrap(), "output is deterministic");
        SafeTensors::deserialize(&bytes).expect("readable by the safetensors crate");
        let mf = from_bytes(&bytes).unwrap();
        assert_eq!(mf.network.config(), net.config());
        for (a, b) in mf.network.weights().iter().zip(net.weights()) {
            assert_eq!(a.dim(), b.dim());
            assert!(a.iter().zip(b.iter()).all(|(x, y)| x.to_bits() == y.to_bits()));
        }
        assert_eq!(mf.metadata["format"], FORMAT);
        assert_eq!(mf.metadata["tau_I"], "0.8");
        assert_eq!(mf.metadata["t_out"], "1.3");
        assert_eq!(mf.metadata["v_th"], "1");
        assert_eq!(mf.metadata["mode"], "multi");
        assert_eq!(mf.metadata["layers"], "4,3,2");
        assert_eq!(mf.metadata["max_spikes"], "7");
        assert_eq!(mf.metadata["grazing_eps"], "0.0001");
        let mut want_prov = prov.clone();
        want_prov.remove("tau_I");
        assert_eq!(mf.provenance(), want_prov);
        // Passing a loaded file's metadata back reproduces the same bytes.
        assert_eq!(to_bytes(&mf.network, &mf.metadata).unwrap(), bytes);

        // Single mode and awkward reals round-trip exactly too.
        let mut cfg = NetConfig::new(vec![3, 2], 0.1 + 0.2, Mode::Single);
        cfg.t_out = 1.0 / 3.0;
        cfg.grazing_eps = 1e-300;
        let net2 = Network::init_gaussian(cfg, 1, 0.0, 1.0).unwrap();
        let mf2 = from_bytes(&to_bytes(&net2, &BTreeMap::new()).unwrap()).unwrap();
        assert_eq!(mf2.network, net2);
    }

    #[test]
    fn save_and_load_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.safetensors");
        let net = small_net();
        let prov = BTreeMap::from([("epochs".to_string(), "3".to_string())]);
        save(&path, &net, &prov).unwrap();
        // Overwrite with a different network: the old file is replaced.
        let net2 = Network::init_gaussian(net.config().clone(), 7, 0.0, 1.0).unwrap();
        save(&path, &net2, &prov).unwrap();
        let mf = load(&path).unwrap();
        assert_eq!(mf.network, net2);
        assert_eq!(mf.metadata["epochs"], "3");
        assert!(!dir.path().join("model.safetensors.tmp").exists());
        // A stale temporary file does not matter.
        std::fs::write(dir.path().join("model.safetensors.tmp"), b"garbage").unwrap();
        save(&path, &net, &prov).unwrap();
        assert_eq!(load(&path).unwrap().network, net);
        assert!(!dir.path().join("model.safetensors.tmp").exists());
        // Saving over a directory fails and leaves it alone.
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        assert!(matches!(save(&sub, &net, &prov), Err(Error::Io { .. })));
        assert!(sub.is_dir());
        assert!(matches!(load(&sub), Err(Error::ModelFile(_)) | Err(Error::Io { .. })));
        assert!(matches!(load(dir.path().join("missing")), Err(Error::Io { .. })));
    }

    #[test]
    fn rejects_oversized_file_without_reading_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("huge.safetensors");
        let f = std::fs::File::create(&path).unwrap();
        f.set_len(MAX_FILE_BYTES + 1).unwrap(); // sparse
        match load(&path) {
            Err(Error::ModelFile(m)) => assert!(m.contains("at most"), "{m}"),
            other => panic!("expected a size error, got {other:?}"),
        }
    }

    #[test]
    fn rejects_truncated() {
        let bytes = to_bytes(&small_net(), &BTreeMap::new()).unwrap();
        for n in [0, 5, 8, 20, bytes.len() / 2, bytes.len() - 1] {
            assert_err(&bytes[..n], &["not a valid safetensors file"]);
        }
        // Trailing bytes are an error too.
        let mut longer = bytes.clone();
        longer.extend_from_slice(&[0; 4]);
        assert_err(&longer, &["not a valid safetensors file"]);
    }

    #[test]
    fn rejects_garbage() {
        // Deterministic pseudo-random bytes.
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let garbage: Vec<u8> = (0..100)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        assert_err(&garbage, &["not a valid safetensors file"]);
        assert_err(&[0xFF; 100], &["not a valid safetensors file"]);
        // A plausible header length pointing far beyond the end of the buffer.
        let mut claims_big = 50_000_000u64.to_le_bytes().to_vec();
        claims_big.extend_from_slice(&[b'{'; 92]);
        assert_err(&claims_big, &["not a valid safetensors file"]);
        // A valid length but JSON garbage.
        let mut bad_json = 16u64.to_le_bytes().to_vec();
        bad_json.extend_from_slice(b"{\"a\": [1, 2, 3]}");
        assert_err(&bad_json, &["not a valid safetensors file"]);
        // And from disk.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("garbage.safetensors");
        std::fs::write(&path, &garbage).unwrap();
        assert!(matches!(load(&path), Err(Error::ModelFile(_))));
    }

    #[test]
    fn rejects_wrong_or_missing_format() {
        assert_err(&set("format", "multispike-v2"), &["multispike-v2", FORMAT]);
        assert_err(&set("format", crate::checkpoint::FORMAT), &["training checkpoint"]);
        assert_err(&unset("format"), &["\"format\" is missing"]);
        // No metadata at all.
        let (_, tensors) = good_parts();
        let views: Vec<(String, TensorView<'_>)> =
            tensors.iter().map(|(n, d, s, b)| (n.clone(), TensorView::new(*d, s.clone(), b).unwrap())).collect();
        let bytes = safetensors::tensor::serialize(views, None).unwrap();
        assert_err(&bytes, &["no __metadata__"]);
    }

    #[test]
    fn rejects_missing_tensor() {
        assert_err(
            &modified(|_, t| {
                t.remove(1);
            }),
            &["layers.1.weight", "missing"],
        );
    }

    #[test]
    fn rejects_extra_tensor() {
        let bytes = modified(|_, t| t.push(("layers.2.weight".into(), Dtype::F32, vec![2, 2], f32_bytes(&[0.0; 4]))));
        assert_err(&bytes, &["unexpected tensor", "layers.2.weight"]);
        let bytes = modified(|_, t| t.push(("bias".into(), Dtype::F32, vec![2], f32_bytes(&[0.0; 2]))));
        assert_err(&bytes, &["unexpected tensor", "bias"]);
    }

    #[test]
    fn rejects_broken_shape_chain() {
        let bytes = modified(|_, t| {
            t[1].2 = vec![5, 2];
            t[1].3 = f32_bytes(&[0.5; 10]);
        });
        assert_err(&bytes, &["do not chain", "layers.0.weight", "layers.1.weight"]);
        // Not a matrix.
        let bytes = modified(|_, t| t[1].2 = vec![6]);
        assert_err(&bytes, &["layers.1.weight", "shape [6]"]);
    }

    #[test]
    fn rejects_f16_tensor() {
        let bytes = modified(|_, t| {
            t[0].1 = Dtype::F16;
            t[0].3 = vec![0; 2 * 12];
        });
        assert_err(&bytes, &["layers.0.weight", "F16", "expected F32"]);
    }

    #[test]
    fn rejects_i32_tensor() {
        let bytes = modified(|_, t| t[1].1 = Dtype::I32);
        assert_err(&bytes, &["layers.1.weight", "I32", "expected F32"]);
    }

    #[test]
    fn rejects_nan_weight() {
        let bytes = modified(|_, t| t[1].3[4 * 5..4 * 6].copy_from_slice(&f32::NAN.to_le_bytes()));
        assert_err(&bytes, &["layers.1.weight", "[2, 1]", "NaN", "finite"]);
        let bytes = modified(|_, t| t[0].3[..4].copy_from_slice(&f32::NEG_INFINITY.to_le_bytes()));
        assert_err(&bytes, &["layers.0.weight", "[0, 0]", "-inf"]);
    }

    #[test]
    fn rejects_zero_tau() {
        assert_err(&set("tau_I", "0"), &["tau_I", "positive"]);
    }

    #[test]
    fn rejects_negative_tau() {
        assert_err(&set("tau_I", "-1"), &["tau_I", "positive"]);
        assert_err(&set("tau_I", "NaN"), &["tau_I"]);
    }

    #[test]
    fn rejects_unknown_mode() {
        assert_err(&set("mode", "burst"), &["mode", "burst"]);
    }

    #[test]
    fn rejects_layers_metadata_mismatch() {
        // The tensors chain (4→3→2) but the metadata claims 4,5,2.
        assert_err(&set("layers", "4,5,2"), &["layers = 4,5,2", "layers.0.weight"]);
        // Metadata claims one layer more: a weight tensor is then missing.
        assert_err(&set("layers", "4,3,2,2"), &["layers.2.weight", "missing"]);
        assert_err(&set("layers", "4,,2"), &["layers", "comma-separated"]);
        assert_err(&set("layers", "4,0,2"), &["zero neurons"]);
    }

    #[test]
    fn rejects_missing_or_unparsable_entries() {
        for key in ["tau_I", "t_out", "v_th", "mode", "layers", "max_spikes", "grazing_eps"] {
            assert_err(&unset(key), &[key, "missing"]);
        }
        assert_err(&set("max_spikes", "-3"), &["max_spikes", "unsigned integer"]);
        assert_err(&set("t_out", "soon"), &["t_out", "not a number"]);
        assert_err(&set("v_th", "2"), &["v_th"]);
        assert_err(&set("grazing_eps", "1.5"), &["grazing_eps"]);
        // Unknown provenance keys are fine.
        from_bytes(&set("future_key", "x")).unwrap();
    }
}
