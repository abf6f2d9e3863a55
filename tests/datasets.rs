//! The data-set seam: the table, Fashion-MNIST's files, the Yin-Yang generator and its encoding,
//! `--dataset` through the CLI, and the `dataset` key of model files and shard manifests (files
//! without it are MNIST).
//!
//! The Fashion-MNIST part needs `data/fashion-mnist` (`multispike fetch --dataset fashion-mnist`);
//! without it that part is skipped with a message, unless `MULTISPIKE_REQUIRE_DATA=1` (set by
//! `scripts/test.sh`), where it fails.

#![cfg(feature = "cli")]

#[path = "support/cli.rs"]
mod support;

use multispike::data::catalog::{DatasetId, FASHION_MNIST_FILES};
use multispike::data::yinyang::{self, YinYangSplit};
use multispike::data::{load_idx, load_split, Samples, Split};
use multispike::model_file;
use multispike::train::{evaluate, TrainConfig, Trainer};
use multispike::{Mode, NetConfig};
use std::collections::BTreeMap;
use std::path::Path;
use support::{run, run_ok};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn fashion_mnist_files_verify_and_are_balanced() {
    let dir = root().join("data/fashion-mnist");
    let spec = DatasetId::FashionMnist.spec();
    if let Err(e) = multispike::data::verify_idx(spec, &dir) {
        if std::env::var_os("MULTISPIKE_REQUIRE_DATA").is_some() {
            panic!("Fashion-MNIST is required here: {e}");
        }
        eprintln!("skipped: {e} (run `multispike fetch --dataset fashion-mnist`)");
        return;
    }
    for (split, n, per_class) in [(Split::Train, 60_000, 6000), (Split::Test, 10_000, 1000)] {
        let d = load_idx(spec, &dir, split).unwrap();
        assert_eq!(d.n, n);
        assert_eq!(d.label_counts(), [per_class; 10], "{split:?}");
    }
    assert_eq!(FASHION_MNIST_FILES.iter().map(|f| f.size).sum::<u64>(), 47_040_016 + 60_008 + 7_840_016 + 10_008);
    // MNIST's loader would accept these files too (same shapes): the data-set name decides.
    let e = load_idx(spec, &root().join("no-such-dir"), Split::Test).unwrap_err().to_string();
    assert!(e.contains("Fashion-MNIST") && e.contains("multispike fetch --dataset fashion-mnist"), "{e}");
}

#[test]
fn yin_yang_splits_are_the_published_sizes_and_deterministic() {
    let (pts, train) = yinyang::split(YinYangSplit::Train);
    assert_eq!((pts.len(), train.len()), (5000, 5000));
    assert_eq!(yinyang::split(YinYangSplit::Test).1.len(), 1000);
    assert_eq!(yinyang::split(YinYangSplit::Validation).1.len(), 1000);
    assert_eq!(yinyang::split(YinYangSplit::Train).1, train, "same seed, same points");
    assert_ne!(yinyang::split(YinYangSplit::Test).0[..10], pts[..10]);
    let counts = train.label_counts();
    assert!(counts.iter().all(|&c| (1550..1780).contains(&c)), "{counts:?}");
    // What the engine sees: 5 input spikes, the bias first (t = 0), all before t_out.
    let ex = train.example(0);
    assert_eq!(ex.len(), 5);
    assert_eq!(ex[4], 0.0);
    assert!(ex.iter().all(|&u| (0.0..1.0).contains(&u)));
    let via_table = load_split(DatasetId::YinYang, Path::new(""), Split::Train).unwrap();
    assert_eq!(via_table.len(), 5000);
    assert_eq!(via_table.input_dim(), 5);
}

/// A small net learns Yin-Yang well above the class prior (≈ 1/3) within seconds.
#[test]
fn a_small_net_learns_yin_yang_in_seconds() {
    let train = yinyang::split(YinYangSplit::Train).1.head(2000);
    let test = yinyang::split(YinYangSplit::Test).1;
    let mut cfg = TrainConfig::paper(NetConfig::new(vec![5, 30, 3], 0.8, Mode::Multi));
    cfg.dataset = DatasetId::YinYang;
    cfg.batch_size = yinyang::RECIPE_BATCH;
    cfg.adam.lr = yinyang::RECIPE_LR;
    cfg.init_layers = yinyang::RECIPE_INIT.to_vec();
    let mut t = Trainer::new(cfg).unwrap();
    let before = evaluate(&t.net, &test).unwrap().accuracy();
    for _ in 0..15 {
        t.train_epoch(&train, &mut |_, _| {}).unwrap();
    }
    let after = evaluate(&t.net, &test).unwrap();
    assert!(after.accuracy() > 0.75, "test accuracy {} after 15 epochs (before: {before})", after.accuracy());
    assert!(after.mean_spikes > 0.1, "the hidden layer fires: {}", after.mean_spikes);
    eprintln!("test accuracy {} after 15 epochs", after.accuracy());
}

#[test]
fn model_files_record_their_dataset_and_older_files_are_mnist() {
    let dir = tempfile::tempdir().unwrap();
    let net = multispike::Network::init_gaussian(NetConfig::new(vec![5, 4, 3], 0.8, Mode::Multi), 1, 0.5, 0.5).unwrap();
    let legacy = dir.path().join("legacy.safetensors");
    model_file::save(&legacy, &net, &BTreeMap::new()).unwrap();
    assert_eq!(model_file::load(&legacy).unwrap().dataset().unwrap(), DatasetId::Mnist);
    let tagged = dir.path().join("yy.safetensors");
    let prov = BTreeMap::from([("dataset".to_string(), "yin-yang".to_string())]);
    model_file::save(&tagged, &net, &prov).unwrap();
    assert_eq!(model_file::load(&tagged).unwrap().dataset().unwrap(), DatasetId::YinYang);
    let odd = dir.path().join("odd.safetensors");
    model_file::save(&odd, &net, &BTreeMap::from([("dataset".to_string(), "cifar-10".to_string())])).unwrap();
    let e = model_file::load(&odd).unwrap().dataset().unwrap_err().to_string();
    assert!(e.contains("cifar-10") && e.contains("yin-yang"), "{e}");
}

#[test]
fn manifests_without_a_dataset_are_mnist() {
    let legacy = r#"{"format": "multispike-shards-v1", "dim": 784, "classes": 10, "shards": []}"#;
    assert_eq!(multispike::shards::parse_manifest(legacy).unwrap().dataset, DatasetId::Mnist);
    let fashion = legacy.replace("\"dim\"", "\"dataset\": \"fashion-mnist\", \"dim\"");
    assert_eq!(multispike::shards::parse_manifest(&fashion).unwrap().dataset, DatasetId::FashionMnist);
    let yy = legacy.replace("\"dim\": 784", "\"dataset\": \"yin-yang\", \"dim\": 5").replace("10,", "3,");
    let e = multispike::shards::parse_manifest(&yy).unwrap_err().to_string();
    assert!(e.contains("no shards"), "{e}");
}

#[test]
fn cli_trains_and_evaluates_yin_yang_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("yy.safetensors");
    let m = model.to_str().unwrap();
    let out = run_ok(&[
        "train",
        "--dataset",
        "yin-yang",
        "--hidden",
        "20",
        "--epochs",
        "3",
        "--train-limit",
        "1000",
        "--threads",
        "1",
        "--out",
        m,
    ]);
    assert!(out.contains("5,20,3") && out.contains("Yin-Yang"), "{out}");
    let mf = model_file::load(&model).unwrap();
    assert_eq!(mf.dataset().unwrap(), DatasetId::YinYang);
    assert!(mf.metadata["init"].contains("mean=1.5"), "{:?}", mf.metadata["init"]);
    // eval takes the data set from the model and names the classes
    let out = run_ok(&["eval", m]);
    assert!(out.contains("Yin-Yang") && out.contains("yang") && out.contains("dot"), "{out}");
    // the wrong data set for the model is a clear error, not a panic
    let (code, _, err) = run(&["eval", m, "--dataset", "mnist"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("3 outputs") && err.contains("MNIST has 10 classes"), "{err}");
    // another data set of the same shape is evaluated as asked, with a note
    let odd = dir.path().join("mnist-shaped.safetensors");
    let net =
        multispike::Network::init_gaussian(NetConfig::new(vec![784, 8, 10], 0.8, Mode::Multi), 1, 0.03, 0.3).unwrap();
    model_file::save(&odd, &net, &BTreeMap::new()).unwrap();
    let (code, _, err) = run(&["eval", odd.to_str().unwrap(), "--dataset", "fashion-mnist", "--data", "/nonexistent"]);
    assert_ne!(code, 0);
    assert!(err.contains("was trained on MNIST; evaluating it on Fashion-MNIST as asked"), "{err}");
    // nothing to fetch for a generated data set
    assert!(run_ok(&["fetch", "--dataset", "yin-yang"]).contains("nothing to fetch"));
    // per-layer init lists must fit the layers
    let (code, _, err) = run(&["train", "--dataset", "yin-yang", "--init-mean", "1,2,3", "--epochs", "1", "--out", m]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--init-mean has 3 values"), "{err}");
}

#[test]
fn random_seeds_are_drawn_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("r.safetensors");
    let m = model.to_str().unwrap();
    let args = [
        "train",
        "--dataset",
        "yin-yang",
        "--hidden",
        "8",
        "--epochs",
        "1",
        "--train-limit",
        "200",
        "--seed",
        "random",
        "--out",
        m,
    ];
    let out = run_ok(&args);
    let seed: u64 = model_file::load(&model).unwrap().metadata["seed"].parse().unwrap();
    assert!(out.contains(&format!("random seed {seed}")), "{out}");
    run_ok(&args);
    let seed2: u64 = model_file::load(&model).unwrap().metadata["seed"].parse().unwrap();
    assert_ne!(seed, seed2);
    let (code, _, err) = run(&["train", "--seed", "lucky", "--epochs", "1", "--out", m]);
    assert_eq!(code, 2);
    assert!(err.contains("random") && err.contains("lucky"), "{err}");
}
