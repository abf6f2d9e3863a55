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
//! The container itself (reader, writer, the `format` check) is `src/formats/container.rs`; training
//! checkpoints ([`crate::formats::checkpoint`]) use it too, with more tensors and keys, and build on the
//! network part defined here.

use crate::engine::config::{Mode, NetConfig, V_TH};
use crate::engine::network::Network;
use crate::error::{Error, FormatError, FormatErrorKind as K, Result};
use crate::formats::container::{self, Container};
use std::collections::BTreeMap;
#[cfg(not(target_arch = "wasm32"))]
use std::path::Path;

/// Value of the `format` metadata entry of a model file.
pub const FORMAT: &str = container::MODEL.name;

/// Largest model file [`load`] accepts (512 MiB; the largest valid network has 256 MiB of weights).
pub const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;

/// Metadata keys defined by the format (everything else is provenance), in the order the
/// writer fills them in.
pub const RESERVED_KEYS: [&str; 8] =
    ["format", "tau_I", "t_out", "v_th", "mode", "layers", "max_spikes", "grazing_eps"];

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
    container::write(&meta, &views).map_err(Error::ModelFile)
}

/// Parses and validates the bytes of a model file.
pub fn from_bytes(bytes: &[u8]) -> Result<ModelFile> {
    let c = Container::parse(bytes, container::MODEL).map_err(Error::ModelFile)?;
    let cfg = read_config(&c).map_err(Error::ModelFile)?;
    c.expect_names(&weight_names(cfg.n_weight_layers())).map_err(Error::ModelFile)?;
    let network = read_network(&c, cfg).map_err(Error::ModelFile)?;
    Ok(ModelFile { network, metadata: c.meta })
}

/// Writes a model file atomically: the bytes go to `<path>.tmp` in the same directory, which is
/// fsynced and then renamed over `path`. On failure `path` is left as it was and the temporary file
/// is removed.
#[cfg(not(target_arch = "wasm32"))]
pub fn save(path: impl AsRef<Path>, net: &Network, provenance: &BTreeMap<String, String>) -> Result<()> {
    crate::formats::fsio::write_atomic(path.as_ref(), &to_bytes(net, provenance)?)
}

/// Reads and validates a model file (at most [`MAX_FILE_BYTES`]).
#[cfg(not(target_arch = "wasm32"))]
pub fn load(path: impl AsRef<Path>) -> Result<ModelFile> {
    let path = path.as_ref();
    let bytes = crate::formats::fsio::read_bounded(path, MAX_FILE_BYTES, container::MODEL.noun, Error::ModelFile)?;
    from_bytes(&bytes).map_err(|e| match e {
        Error::ModelFile(m) => Error::ModelFile(m.prefixed(path.display())),
        other => other,
    })
}

// ---------------------------------------------------------------------------------------------
// The network part of the format, shared with `checkpoint`. These report plain messages; the
// caller picks the error variant.
// ---------------------------------------------------------------------------------------------

/// The format keys of the metadata of `net` ([`RESERVED_KEYS`], `format` = [`FORMAT`]).
pub(crate) fn network_metadata(net: &Network) -> BTreeMap<String, String> {
    let c = net.config();
    // In the order of RESERVED_KEYS.
    let values = [
        FORMAT.to_string(),
        format!("{}", c.tau_i),
        format!("{}", c.t_out),
        format!("{}", V_TH),
        c.mode.as_str().to_string(),
        c.layers_string(),
        c.max_spikes.to_string(),
        format!("{}", c.grazing_eps),
    ];
    RESERVED_KEYS.iter().map(|k| k.to_string()).zip(values).collect()
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

/// The network configuration described by the metadata of `c`, validated.
pub(crate) fn read_config(c: &Container) -> std::result::Result<NetConfig, FormatError> {
    const REAL: &str = "a number";
    let bad_value = |msg: String| FormatError::new(K::BadValue, msg);
    let layers_s = c.get("layers")?;
    let layers =
        layers_s.split(',').map(|p| p.parse::<usize>()).collect::<std::result::Result<Vec<_>, _>>().map_err(|_| {
            bad_value(format!("metadata entry \"layers\" = {layers_s:?} is not a comma-separated list of layer sizes"))
        })?;
    let mode: Mode = c.get("mode")?.parse().map_err(|e: Error| bad_value(e.to_string()))?;
    let v_th: f64 = c.parse_entry("v_th", REAL)?;
    if v_th != V_TH {
        return Err(bad_value(format!("v_th is {v_th}; this engine only supports v_th = {V_TH}")));
    }
    let cfg = NetConfig {
        layers,
        tau_i: c.parse_entry("tau_I", REAL)?,
        t_out: c.parse_entry("t_out", REAL)?,
        mode,
        max_spikes: c.parse_entry("max_spikes", "an unsigned integer")?,
        grazing_eps: c.parse_entry("grazing_eps", REAL)?,
    };
    cfg.validate().map_err(|e| bad_value(e.to_string()))?;
    Ok(cfg)
}

/// The weights `layers.{l}.weight` of `c`, checked against each other (the shapes must chain)
/// and against `cfg.layers`, and the network built from them.
pub(crate) fn read_network(c: &Container, cfg: NetConfig) -> std::result::Result<Network, FormatError> {
    let bad_shape = |msg: String| FormatError::new(K::BadShape, msg);
    let k = cfg.n_weight_layers();
    let mut prev: Option<(String, usize)> = None;
    for l in 0..k {
        let name = weight_name(l);
        let (r, cols) = c.matrix_dim(&name)?;
        if let Some((pname, pc)) = &prev {
            if *pc != r {
                return Err(bad_shape(format!(
                    "shapes do not chain: {pname} has {pc} columns but {name} has {r} rows"
                )));
            }
        }
        if (r, cols) != (cfg.layers[l], cfg.layers[l + 1]) {
            return Err(bad_shape(format!(
                "tensor {name} has shape [{r}, {cols}] but the metadata layers = {} require [{}, {}]",
                cfg.layers_string(),
                cfg.layers[l],
                cfg.layers[l + 1]
            )));
        }
        prev = Some((name, cols));
    }
    let weights = (0..k)
        .map(|l| c.matrix(&weight_name(l), (cfg.layers[l], cfg.layers[l + 1]), false))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Network::new(cfg, weights).map_err(|e| bad_shape(e.to_string()))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use safetensors::tensor::{Dtype, SafeTensors, TensorView};
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
            Err(Error::ModelFile(m)) => m.msg,
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
    fn errors_carry_their_kind() {
        let kind = |bytes: &[u8]| from_bytes(bytes).err().and_then(|e| e.format_kind());
        let retype = |dtype: Dtype| {
            modified(|_, t| {
                t[0].1 = dtype;
                let half = t[0].3.len() / 2;
                t[0].3.truncate(half);
            })
        };
        let nan = modified(|_, t| t[0].3[..4].copy_from_slice(&f32::NAN.to_le_bytes()));
        let cases: [(Vec<u8>, K); 8] = [
            (vec![], K::Malformed),
            (set("format", "multispike-ckpt-v1"), K::WrongFormat),
            (unset("tau_I"), K::Missing),
            (set("tau_I", "0"), K::BadValue),
            (retype(Dtype::F16), K::BadDtype),
            (set("layers", "4,5,2"), K::BadShape),
            (nan, K::NonFinite),
            (modified(|_, t| t.push(("extra".into(), Dtype::F32, vec![1, 1], f32_bytes(&[0.0])))), K::Unexpected),
        ];
        for (bytes, want) in cases {
            assert_eq!(kind(&bytes), Some(want), "{}", err_of(&bytes));
        }
        let e = from_bytes(&set("tau_I", "0")).err().unwrap();
        assert_eq!(e.kind(), "model-file/bad-value");
        assert_eq!(e.to_string(), "model file: invalid configuration: tau_I must be a positive finite number, got 0");
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
            Err(Error::ModelFile(m)) => assert!(m.kind == K::TooLarge && m.msg.contains("at most"), "{m}"),
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
        assert_err(&set("format", crate::formats::checkpoint::FORMAT), &["training checkpoint"]);
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
        for key in RESERVED_KEYS.into_iter().filter(|k| *k != "format") {
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
