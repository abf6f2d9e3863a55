//! The properties the fuzz targets check, one function per parser of outside bytes.
//!
//! Shared by the libFuzzer targets (`fuzz/fuzz_targets/*.rs`, which include this file by path)
//! and by `tests/fuzz_regressions.rs`, which replays every committed corpus entry and every crash
//! input found so far through the same functions. A check panics (the fuzzer's "crash") when the
//! parser panics, or when an accepted input breaks a property: the value must survive a
//! write/read round trip, a compressed copy must parse the same, a refused import must leave the
//! state it was given untouched, and whatever a validated configuration describes must build and
//! run. Engine work is only done on small networks, to keep executions fast.
#![allow(dead_code)]

use multispike::checkpoint::Checkpoint;
use multispike::config::{Mode, NetConfig};
use multispike::data::idx;
use multispike::data::mnist::Dataset;
use multispike::model_file;
use multispike::network::Network;
use multispike::session::{Session, SessionConfig};
use multispike::{case, preprocess, shards};
use std::io::Write;

/// Networks up to this many weights are also run, not only parsed.
const RUN_PARAMS: usize = 4096;
/// Spike cap used when a fuzzed network is run (the parsed cap may be up to 10,000 per neuron).
const RUN_SPIKE_CAP: u32 = 16;

fn params(layers: &[usize]) -> usize {
    layers.windows(2).map(|w| w[0].saturating_mul(w[1])).fold(0usize, |a, b| a.saturating_add(b))
}

/// Runs one forward pass of `net` (with a moderate spike cap) on inputs spread over [0, t_out].
fn run_small(net: &Network) {
    let cfg = net.config();
    if params(&cfg.layers) > RUN_PARAMS {
        return;
    }
    let mut small = cfg.clone();
    small.max_spikes = small.max_spikes.min(RUN_SPIKE_CAP);
    let net = Network::new(small, net.weights().to_vec()).expect("a loaded network rebuilds with a smaller spike cap");
    let n = cfg.layers[0];
    let times: Vec<f64> = (0..n).map(|i| cfg.t_out * i as f64 / n.max(1) as f64).collect();
    let tr = net.forward_times(&times).expect("inputs of the right length run");
    assert_eq!(tr.v_out.len(), *cfg.layers.last().unwrap());
}

/// Model files (safetensors + multispike metadata): the browser's "load a model" and `eval`.
pub fn model_file(data: &[u8]) {
    let Ok(m) = model_file::from_bytes(data) else { return };
    let cfg = m.network.config();
    cfg.validate().expect("a loaded model has a valid configuration");
    assert!(m.network.weights().iter().all(|w| w.iter().all(|x| x.is_finite())), "non-finite weight accepted");
    let bytes = model_file::to_bytes(&m.network, &m.provenance()).expect("a loaded model can be saved");
    let back = model_file::from_bytes(&bytes).expect("a saved model loads");
    assert_eq!(back.network, m.network, "model round trip changed the network");
    run_small(&m.network);
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// Parses `file` with `parse`, and (when `file` is not itself gzip) its gzip-compressed copy too:
/// both must be accepted or refused alike, with equal contents.
fn raw_and_gzip_agree<T: PartialEq + std::fmt::Debug, E: std::fmt::Debug>(
    file: &[u8],
    parse: impl Fn(&[u8]) -> Result<T, E>,
) -> Option<T> {
    let r = parse(file);
    if !file.starts_with(&[0x1f, 0x8b]) {
        let z = parse(&gzip(file));
        assert_eq!(
            r.as_ref().ok(),
            z.as_ref().ok(),
            "raw and gzip disagree: {:?} / {:?}",
            r.as_ref().err(),
            z.as_ref().err()
        );
    }
    r.ok()
}

/// MNIST IDX files, raw or gzip. The first byte picks images (odd) or labels (even); the rest is
/// the file. A raw file and its gzip-compressed copy must be accepted or refused alike, with the
/// same contents.
pub fn idx(data: &[u8]) {
    let Some((&sel, file)) = data.split_first() else { return };
    if sel & 1 == 1 {
        if let Some(im) = raw_and_gzip_agree(file, |b| idx::parse_images(b, "fuzz")) {
            assert_eq!(im.pixels.len(), im.n * im.rows * im.cols);
        }
    } else {
        raw_and_gzip_agree(file, |b| idx::parse_labels(b, "fuzz"));
    }
}

/// Browser training shards (MSHD, gzip or raw): an accepted shard is well-formed, re-encodes to
/// the same data, is accepted with its own hash and refused with another.
pub fn shard(data: &[u8]) {
    let Ok(d) = shards::parse_shard(data, None, "fuzz") else { return };
    assert_eq!(d.images.len(), d.n * d.dim);
    assert_eq!(d.labels.len(), d.n);
    assert!(d.labels.iter().all(|&l| l < 10), "label out of range accepted");
    let hash = shards::sha256_hex(data);
    assert_eq!(shards::parse_shard(data, Some(&hash), "fuzz").as_ref().ok(), Some(&d));
    let mut other = hash.into_bytes();
    other[0] = if other[0] == b'0' { b'1' } else { b'0' };
    assert!(shards::parse_shard(data, Some(std::str::from_utf8(&other).unwrap()), "fuzz").is_err());
    let enc = shards::encode(&d).expect("an accepted shard re-encodes");
    assert_eq!(shards::parse_shard(&enc, None, "fuzz").expect("a re-encoded shard parses"), d);
}

/// The shard manifest (`manifest.json`): an accepted manifest survives a JSON round trip.
pub fn manifest(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(m) = shards::parse_manifest(text) else { return };
    let again = serde_json::to_string(&m).unwrap();
    assert_eq!(shards::parse_manifest(&again).expect("a written manifest parses"), m);
}

/// Reference cases (JSON), as run by `multispike case`: parse, validate, and (small nets) run.
pub fn case(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(mut input) = case::CaseInput::from_json(text) else { return };
    if params(&input.layers) > RUN_PARAMS {
        // Validation alone (bounded by the config limits before anything is allocated).
        let _ = input.net_config().validate();
        return;
    }
    input.max_spikes = input.max_spikes.map(|m| m.min(RUN_SPIKE_CAP));
    if input.mode == Mode::Multi && input.max_spikes.is_none() {
        input.max_spikes = Some(RUN_SPIKE_CAP);
    }
    if let Ok(out) = input.run() {
        assert!(out.loss.is_finite() && out.v_out.iter().all(|v| v.is_finite()), "non-finite case output accepted");
    }
}

/// A small MNIST-shaped session whose state a refused import must not touch.
fn session() -> Session {
    let cfg = SessionConfig { layers: vec![784, 3, 10], ..SessionConfig::default() };
    Session::new(&cfg).unwrap()
}

/// Training checkpoints (`--resume`, the browser's "resume from checkpoint"): an accepted
/// checkpoint round-trips byte for byte; a refused import leaves the session as it was.
pub fn checkpoint(data: &[u8]) {
    if let Ok(ck) = Checkpoint::from_bytes(data) {
        let bytes = ck.to_bytes().expect("a loaded checkpoint can be saved");
        let back = Checkpoint::from_bytes(&bytes).expect("a saved checkpoint loads");
        assert_eq!(back.network, ck.network);
        assert_eq!(back.adam.m, ck.adam.m);
        assert_eq!(back.adam.v, ck.adam.v);
        assert_eq!(back.epoch, ck.epoch);
    }
    let mut s = session();
    let before = s.weights_digest();
    let cfg = s.trainer().cfg.clone();
    if s.import_checkpoint(data).is_err() {
        assert_eq!(s.weights_digest(), before, "a refused checkpoint changed the weights");
        assert_eq!(s.trainer().cfg, cfg, "a refused checkpoint changed the configuration");
    }
}

/// The training configuration the browser sends (`new Trainer({...})` goes through this JSON
/// parser): a configuration that validates must build a session and train a step.
pub fn session_config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(cfg) = SessionConfig::from_json(text) else { return };
    let Ok(tc) = cfg.to_train_config() else { return };
    if params(&tc.net.layers) > 4 * RUN_PARAMS || tc.batch_size > 8 || tc.net.spike_cap() > 64 {
        return;
    }
    let mut s = Session::new(&cfg).expect("a validated configuration builds a session");
    let n = 3;
    let images: Vec<u8> = (0..n * 784).map(|i| ((i * 37) % 256) as u8).collect();
    s.add_train(Dataset { images, labels: vec![1, 7, 3], n, dim: 784 }).unwrap();
    let _ = s.train_steps(1);
}

/// Pixels of a drawing (RGBA canvas data from the page): first 2 + 2 + 1 bytes are the claimed
/// width, height and channels; an accepted drawing is one 28×28 image.
pub fn preprocess(data: &[u8]) {
    if data.len() < 5 {
        return;
    }
    let w = u16::from_le_bytes([data[0], data[1]]) as usize;
    let h = u16::from_le_bytes([data[2], data[3]]) as usize;
    let c = data[4] as usize;
    if let Ok(px) = preprocess::preprocess(&data[5..], w, h, c) {
        assert_eq!(px.len(), 784);
    }
}

/// A check: panics when the input breaks a property.
pub type Check = fn(&[u8]);

/// Every target by name, for the regression replay.
pub const TARGETS: [(&str, Check); 8] = [
    ("model_file", model_file),
    ("idx", idx),
    ("shard", shard),
    ("manifest", manifest),
    ("case", case),
    ("checkpoint", checkpoint),
    ("session_config", session_config),
    ("preprocess", preprocess),
];

/// A small MNIST-shaped configuration, for seeds.
pub fn small_net(mode: Mode) -> NetConfig {
    NetConfig::new(vec![4, 3, 2], 0.8, mode)
}
