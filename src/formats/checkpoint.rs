//! Training checkpoints: everything needed to resume training exactly (network, Adam state,
//! progress), stored as a safetensors file of format `multispike-ckpt-v1`, written atomically.
//!
//! # File format `multispike-ckpt-v1` (public contract)
//!
//! The container and the conventions (F32 little-endian row-major tensors, shortest round-trip
//! decimals, free-form provenance keys) are those of the model file format `multispike-v1`
//! described in [`crate::formats::model_file`] (whose network part it reuses). A checkpoint differs in
//! these points:
//!
//! **Tensors**, for each weight layer `l` in `0..k` and nothing else, all F32 of shape
//! `[layers[l], layers[l+1]]`, all finite:
//!
//! * `layers.{l}.weight`: the weights, exactly as in a model file;
//! * `adam.m.{l}`: Adam's first-moment estimate, element for element of the weights;
//! * `adam.v.{l}`: Adam's second-moment estimate (every value ≥ 0).
//!
//! **Metadata** (`__metadata__`):
//!
//! | key            | value                                                                  |
//! |----------------|------------------------------------------------------------------------|
//! | `format`       | `multispike-ckpt-v1`                                                   |
//! | `layers`, `tau_I`, `t_out`, `v_th`, `mode`, `max_spikes`, `grazing_eps` | as in a model file |
//! | `adam_t`       | number of Adam steps taken (unsigned integer)                          |
//! | `adam_lr`, `adam_beta1`, `adam_beta2`, `adam_eps` | Adam hyper-parameters (decimal)     |
//! | `epoch`        | number of completed epochs (unsigned integer)                          |
//! | `train_config` | the training configuration, a JSON document chosen by the trainer (opaque here) |
//!
//! Other keys are provenance (the trainer stores e.g. `seed`, `command`, `date` there).
//!
//! **Crash safety.** [`Checkpoint::save`] writes `<path>.tmp` in the same directory, fsyncs it and
//! renames it over `path` (then fsyncs the directory), so `path` always holds either the previous
//! complete checkpoint or the new one. A stale `<path>.tmp` left by a crash is simply overwritten.
//!
//! **Validation on load.** As for model files (container, format, configuration, tensor names,
//! dtypes, shapes, finiteness), plus the Adam hyper-parameters ([`AdamConfig::validate`]), the
//! moments' shapes and values, and the integer entries. Every problem is an
//! [`Error::Checkpoint`] (or [`Error::Io`] for operating-system errors), never a panic.

use crate::engine::network::Network;
use crate::engine::optim::{Adam, AdamConfig};
use crate::error::{Error, FormatError, FormatErrorKind as K, Result};
use crate::formats::container::{self, Container};
use crate::formats::model_file;
use std::collections::BTreeMap;
#[cfg(not(target_arch = "wasm32"))]
use std::path::Path;

/// Value of the `format` metadata entry of a checkpoint.
pub const FORMAT: &str = container::CHECKPOINT.name;

/// Largest checkpoint [`Checkpoint::load`] accepts (1 GiB: weights and two moments of the largest
/// valid network take 768 MiB).
pub const MAX_FILE_BYTES: u64 = 1024 * 1024 * 1024;

/// The keys a checkpoint adds to those of a model file, in the order [`Checkpoint::to_bytes`]
/// writes them.
const OWN_KEYS: [&str; 7] = ["adam_t", "adam_lr", "adam_beta1", "adam_beta2", "adam_eps", "epoch", "train_config"];

/// Metadata keys defined by the checkpoint format (everything else is provenance): those of a
/// model file ([`model_file::RESERVED_KEYS`]), then the checkpoint's own.
pub const RESERVED_KEYS: [&str; 15] = concat_keys(model_file::RESERVED_KEYS, OWN_KEYS);

/// `a` followed by `b` (`N` must be `A + B`: checked when the constant is evaluated).
const fn concat_keys<const A: usize, const B: usize, const N: usize>(
    a: [&'static str; A],
    b: [&'static str; B],
) -> [&'static str; N] {
    assert!(A + B == N, "N must be A + B");
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = if i < A { a[i] } else { b[i - A] };
        i += 1;
    }
    out
}

/// Resumable training state.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    /// Configuration and current weights.
    pub network: Network,
    /// Optimizer state; `m[l]` and `v[l]` are row-major like `network.weights()[l]`.
    pub adam: Adam,
    /// Number of completed epochs.
    pub epoch: u64,
    /// Training configuration as a JSON document (stored verbatim, not interpreted here).
    pub train_config: String,
    /// On load: the whole `__metadata__` map. On save: provenance entries to store; entries
    /// whose key is one of [`RESERVED_KEYS`] are ignored (they are written from the fields).
    pub metadata: BTreeMap<String, String>,
}

fn moment_name(which: char, l: usize) -> String {
    format!("adam.{which}.{l}")
}

impl Checkpoint {
    /// The provenance entries of [`Checkpoint::metadata`]: every key but [`RESERVED_KEYS`].
    pub fn provenance(&self) -> BTreeMap<String, String> {
        model_file::strip_keys(&self.metadata, &RESERVED_KEYS)
    }

    /// Serializes the checkpoint. Fails if the Adam state does not fit the network (number of
    /// layers, sizes) or its hyper-parameters are invalid.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let weights = model_file::weight_tensors(&self.network);
        let a = &self.adam;
        a.cfg.validate().map_err(|e| Error::checkpoint(K::BadValue, format!("cannot save: {e}")))?;
        for (which, mom) in [('m', &a.m), ('v', &a.v)] {
            if mom.len() != weights.len() {
                return Err(Error::checkpoint(
                    K::BadShape,
                    format!(
                        "cannot save: Adam has {} {which} layers but the network has {} weight layers",
                        mom.len(),
                        weights.len()
                    ),
                ));
            }
            for (l, (x, (_, shape, _))) in mom.iter().zip(&weights).enumerate() {
                if x.len() != shape[0] * shape[1] {
                    return Err(Error::checkpoint(
                        K::BadShape,
                        format!(
                            "cannot save: {} has {} values but layers.{l}.weight has {}",
                            moment_name(which, l),
                            x.len(),
                            shape[0] * shape[1]
                        ),
                    ));
                }
            }
        }
        let m_names: Vec<String> = (0..weights.len()).map(|l| moment_name('m', l)).collect();
        let v_names: Vec<String> = (0..weights.len()).map(|l| moment_name('v', l)).collect();
        let mut tensors: Vec<(&str, [usize; 2], &[f32])> =
            weights.iter().map(|(n, s, d)| (n.as_str(), *s, *d)).collect();
        for (names, mom) in [(&m_names, &a.m), (&v_names, &a.v)] {
            for ((n, x), (_, s, _)) in names.iter().zip(mom).zip(&weights) {
                tensors.push((n.as_str(), *s, x.as_slice()));
            }
        }
        let mut meta = self.metadata.clone();
        meta.extend(model_file::network_metadata(&self.network));
        meta.insert("format".to_string(), FORMAT.to_string());
        // In the order of OWN_KEYS.
        let own = [
            a.t.to_string(),
            format!("{}", a.cfg.lr),
            format!("{}", a.cfg.beta1),
            format!("{}", a.cfg.beta2),
            format!("{}", a.cfg.eps),
            self.epoch.to_string(),
            self.train_config.clone(),
        ];
        meta.extend(OWN_KEYS.iter().map(|k| k.to_string()).zip(own));
        container::write(&meta, &tensors).map_err(Error::Checkpoint)
    }

    /// Parses and validates the bytes of a checkpoint.
    pub fn from_bytes(bytes: &[u8]) -> Result<Checkpoint> {
        Self::parse(bytes).map_err(Error::Checkpoint)
    }

    fn parse(bytes: &[u8]) -> std::result::Result<Checkpoint, FormatError> {
        let c = Container::parse(bytes, container::CHECKPOINT)?;
        let cfg = model_file::read_config(&c)?;
        let k = cfg.n_weight_layers();
        let mut names: Vec<String> = (0..k).map(model_file::weight_name).collect();
        names.extend((0..k).map(|l| moment_name('m', l)));
        names.extend((0..k).map(|l| moment_name('v', l)));
        c.expect_names(&names)?;
        let network = model_file::read_network(&c, cfg)?;
        let adam_cfg = AdamConfig {
            lr: c.parse_entry("adam_lr", "a number")?,
            beta1: c.parse_entry("adam_beta1", "a number")?,
            beta2: c.parse_entry("adam_beta2", "a number")?,
            eps: c.parse_entry("adam_eps", "a number")?,
        };
        adam_cfg.validate().map_err(|e| FormatError::new(K::BadValue, e.to_string()))?;
        let t: u64 = c.parse_entry("adam_t", "an unsigned integer")?;
        let epoch: u64 = c.parse_entry("epoch", "an unsigned integer")?;
        let train_config = c.get("train_config")?.to_string();
        let mut moments = [Vec::with_capacity(k), Vec::with_capacity(k)];
        for (which, out) in ['m', 'v'].into_iter().zip(moments.iter_mut()) {
            for (l, w) in network.weights().iter().enumerate() {
                let x = c.matrix(&moment_name(which, l), w.dim(), which == 'v')?;
                out.push(x.into_raw_vec_and_offset().0);
            }
        }
        let [m, v] = moments;
        Ok(Checkpoint { network, adam: Adam { cfg: adam_cfg, m, v, t }, epoch, train_config, metadata: c.meta })
    }

    /// Writes the checkpoint atomically (`<path>.tmp`, fsync, rename over `path`, fsync of the
    /// directory). If anything fails, the checkpoint previously at `path` is left intact.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        crate::formats::fsio::write_atomic(path.as_ref(), &self.to_bytes()?)
    }

    /// Reads and validates a checkpoint (at most [`MAX_FILE_BYTES`]).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn load(path: impl AsRef<Path>) -> Result<Checkpoint> {
        let path = path.as_ref();
        let bytes = crate::formats::fsio::read_bounded(path, MAX_FILE_BYTES, "checkpoint", Error::Checkpoint)?;
        Self::parse(&bytes).map_err(|m| Error::Checkpoint(m.prefixed(path.display())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::model_file::tests::{build, f32_bytes, small_net, RawTensors};
    use safetensors::tensor::{Dtype, SafeTensors};

    fn sample() -> Checkpoint {
        let mut network = small_net();
        let sizes: Vec<usize> = network.weights().iter().map(|w| w.len()).collect();
        let mut adam = Adam::new(AdamConfig { lr: 3e-4, ..Default::default() }, &sizes);
        for step in 0..3 {
            let grads: Vec<Vec<f64>> =
                sizes.iter().map(|&n| (0..n).map(|i| ((i + step) as f64 * 0.37).sin()).collect()).collect();
            adam.step(&mut network.weight_slices_mut(), &grads);
        }
        Checkpoint {
            network,
            adam,
            epoch: 5,
            train_config: r#"{"epochs": 20, "batch": 32, "lr": 0.0003, "note": "a \"quoted\" string"}"#.to_string(),
            metadata: BTreeMap::from([
                ("seed".to_string(), "1234".to_string()),
                ("command".to_string(), "multispike train --resume".to_string()),
                ("epoch".to_string(), "999".to_string()), // reserved: ignored on save
            ]),
        }
    }

    fn bits(x: &[f32]) -> Vec<u32> {
        x.iter().map(|v| v.to_bits()).collect()
    }

    fn assert_same_state(a: &Checkpoint, b: &Checkpoint) {
        assert_eq!(a.network.config(), b.network.config());
        for (x, y) in a.network.weights().iter().zip(b.network.weights()) {
            assert_eq!(x.dim(), y.dim());
            assert_eq!(bits(x.as_slice().unwrap()), bits(y.as_slice().unwrap()));
        }
        assert_eq!(a.adam.cfg, b.adam.cfg);
        assert_eq!(a.adam.t, b.adam.t);
        for (x, y) in a.adam.m.iter().zip(&b.adam.m).chain(a.adam.v.iter().zip(&b.adam.v)) {
            assert_eq!(bits(x), bits(y));
        }
        assert_eq!(a.adam.m.len(), b.adam.m.len());
        assert_eq!(a.adam.v.len(), b.adam.v.len());
        assert_eq!(a.epoch, b.epoch);
        assert_eq!(a.train_config, b.train_config);
        assert_eq!(a.provenance(), b.provenance());
    }

    #[test]
    fn round_trip() {
        let ck = sample();
        assert!(ck.adam.m[0].iter().any(|&x| x != 0.0));
        let bytes = ck.to_bytes().unwrap();
        assert_eq!(bytes, ck.to_bytes().unwrap(), "output is deterministic");
        SafeTensors::deserialize(&bytes).expect("readable by the safetensors crate");
        let back = Checkpoint::from_bytes(&bytes).unwrap();
        assert_same_state(&back, &ck);
        assert_eq!(back.metadata["format"], FORMAT);
        assert_eq!(back.metadata["epoch"], "5");
        assert_eq!(back.metadata["adam_t"], "3");
        assert_eq!(back.metadata["adam_lr"], "0.0003");
        assert_eq!(back.metadata["adam_eps"], "0.00000001");
        assert_eq!(back.metadata["layers"], "4,3,2");
        assert_eq!(back.metadata["seed"], "1234");
        assert_eq!(back.provenance().len(), 2);
        // Re-saving a loaded checkpoint reproduces the same bytes.
        assert_eq!(back.to_bytes().unwrap(), bytes);

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("train.ckpt");
        ck.save(&path).unwrap();
        assert_same_state(&Checkpoint::load(&path).unwrap(), &ck);
        assert!(!dir.path().join("train.ckpt.tmp").exists());
    }

    #[test]
    fn stale_tmp_from_a_crash_is_harmless() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("train.ckpt");
        let tmp = dir.path().join("train.ckpt.tmp");
        let old = sample();
        old.save(&path).unwrap();
        // A crash in the middle of the next save left a half-written temporary file.
        std::fs::write(&tmp, b"\x10\x00\x00\x00\x00\x00\x00\x00{\"__metad").unwrap();
        assert_same_state(&Checkpoint::load(&path).unwrap(), &old);
        let mut new = old.clone();
        new.epoch = 6;
        new.adam.t = 99;
        new.save(&path).unwrap();
        let back = Checkpoint::load(&path).unwrap();
        assert_same_state(&back, &new);
        assert!(!tmp.exists());
    }

    #[test]
    fn failed_save_keeps_old_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("train.ckpt");
        let old = sample();
        old.save(&path).unwrap();
        let mut new = old.clone();
        new.epoch = 6;

        // The temporary file cannot be created (a directory is in the way).
        let tmp = dir.path().join("train.ckpt.tmp");
        std::fs::create_dir(&tmp).unwrap();
        assert!(matches!(new.save(&path), Err(Error::Io { .. })));
        assert_same_state(&Checkpoint::load(&path).unwrap(), &old);
        std::fs::remove_dir(&tmp).unwrap();

        // The target is a directory: nothing is written, the directory is untouched.
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        assert!(matches!(new.save(&sub), Err(Error::Io { .. })));
        assert!(sub.is_dir() && !dir.path().join("sub.tmp").exists());

        // An invalid state is refused before anything is written.
        let mut bad = new.clone();
        bad.adam.m.pop();
        assert!(matches!(bad.save(&path), Err(Error::Checkpoint(_))));
        let mut bad = new.clone();
        bad.adam.v[1].push(0.0);
        assert!(matches!(bad.save(&path), Err(Error::Checkpoint(_))));
        assert_same_state(&Checkpoint::load(&path).unwrap(), &old);

        // A read-only directory (not enforced for root, who can write anyway).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let ro = dir.path().join("ro");
            std::fs::create_dir(&ro).unwrap();
            let p = ro.join("train.ckpt");
            old.save(&p).unwrap();
            std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
            let res = new.save(&p);
            let loaded = Checkpoint::load(&p).unwrap();
            std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
            match res {
                Err(e) => {
                    assert!(matches!(e, Error::Io { .. }), "{e:?}");
                    assert_same_state(&loaded, &old);
                }
                Ok(()) => assert_same_state(&loaded, &new), // running with privileges
            }
        }
    }

    type Parts = (BTreeMap<String, String>, RawTensors);

    /// The metadata and tensors of `sample()`, taken apart to be corrupted.
    fn parts() -> Parts {
        let bytes = sample().to_bytes().unwrap();
        let st = SafeTensors::deserialize(&bytes).unwrap();
        let (_, header) = SafeTensors::read_metadata(&bytes).unwrap();
        let meta = header.metadata().clone().unwrap().into_iter().collect();
        let tensors =
            st.tensors().into_iter().map(|(n, t)| (n, t.dtype(), t.shape().to_vec(), t.data().to_vec())).collect();
        (meta, tensors)
    }

    fn corrupt(f: impl FnOnce(&mut Parts)) -> Vec<u8> {
        let mut p = parts();
        f(&mut p);
        build(&p.0, &p.1)
    }

    fn tensor<'a>(p: &'a mut Parts, name: &str) -> &'a mut (String, Dtype, Vec<usize>, Vec<u8>) {
        p.1.iter_mut().find(|t| t.0 == name).unwrap()
    }

    fn assert_err(bytes: &[u8], want: &[&str]) {
        let m = match Checkpoint::from_bytes(bytes) {
            Err(Error::Checkpoint(m)) => m.msg,
            Err(e) => panic!("expected Error::Checkpoint, got {e:?}"),
            Ok(_) => panic!("corrupt checkpoint was accepted"),
        };
        for w in want {
            assert!(m.contains(w), "error {m:?} should mention {w:?}");
        }
    }

    #[test]
    fn corrupt_checkpoints_are_rejected() {
        let good = sample().to_bytes().unwrap();
        Checkpoint::from_bytes(&corrupt(|_| {})).unwrap();

        // Container damage.
        assert_err(&good[..good.len() - 1], &["not a valid safetensors file"]);
        assert_err(&good[..7], &["not a valid safetensors file"]);
        assert_err(&[0xA5; 100], &["not a valid safetensors file"]);

        // A model file is not a checkpoint, and vice versa.
        let model = model_file::to_bytes(&sample().network, &BTreeMap::new()).unwrap();
        assert_err(&model, &["model file, not a training checkpoint"]);
        match model_file::from_bytes(&good) {
            Err(Error::ModelFile(m)) => {
                assert!(m.kind == K::WrongFormat && m.msg.contains("training checkpoint"), "{m}")
            }
            other => panic!("{other:?}"),
        }

        // Tensors.
        assert_err(&corrupt(|p| p.1.retain(|t| t.0 != "adam.m.1")), &["adam.m.1", "missing"]);
        assert_err(
            &corrupt(|p| p.1.push(("adam.m.2".into(), Dtype::F32, vec![1, 1], f32_bytes(&[0.0])))),
            &["unexpected tensor", "adam.m.2"],
        );
        assert_err(
            &corrupt(|p| {
                let t = tensor(p, "adam.v.0");
                t.2 = vec![3, 4];
            }),
            &["adam.v.0", "shape [3, 4]", "expected [4, 3]"],
        );
        assert_err(&corrupt(|p| tensor(p, "adam.m.0").1 = Dtype::I32), &["adam.m.0", "I32"]);
        assert_err(
            &corrupt(|p| tensor(p, "adam.v.1").3[8..12].copy_from_slice(&f32::NAN.to_le_bytes())),
            &["adam.v.1", "[1, 0]", "NaN"],
        );
        assert_err(
            &corrupt(|p| tensor(p, "adam.v.0").3[..4].copy_from_slice(&(-1.0f32).to_le_bytes())),
            &["adam.v.0", "[0, 0]", "non-negative"],
        );
        assert_err(
            &corrupt(|p| tensor(p, "layers.1.weight").3[..4].copy_from_slice(&f32::INFINITY.to_le_bytes())),
            &["layers.1.weight", "inf"],
        );

        // Metadata.
        let set = |k: &str, v: &str| {
            corrupt(|p| {
                p.0.insert(k.to_string(), v.to_string());
            })
        };
        let unset = |k: &str| {
            corrupt(|p| {
                p.0.remove(k);
            })
        };
        for key in ["adam_t", "adam_lr", "adam_beta1", "adam_beta2", "adam_eps", "epoch", "train_config", "tau_I"] {
            assert_err(&unset(key), &[key, "missing"]);
        }
        assert_err(&set("adam_t", "-1"), &["adam_t", "unsigned integer"]);
        assert_err(&set("epoch", "1.5"), &["epoch", "unsigned integer"]);
        assert_err(&set("adam_lr", "0"), &["learning rate"]);
        assert_err(&set("adam_beta2", "1"), &["beta2"]);
        assert_err(&set("adam_eps", "x"), &["adam_eps", "not a number"]);
        assert_err(&set("tau_I", "-1"), &["tau_I"]);
        assert_err(&set("format", "multispike-ckpt-v0"), &["multispike-ckpt-v0", FORMAT]);
        assert_err(&set("layers", "4,3,3"), &["layers.1.weight", "layers = 4,3,3"]);

        // From disk: garbage gives Error::Checkpoint too.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.ckpt");
        std::fs::write(&path, [0x5Au8; 100]).unwrap();
        assert!(matches!(Checkpoint::load(&path), Err(Error::Checkpoint(_))));
    }
}
