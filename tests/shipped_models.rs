//! The pretrained models shipped in `www/models/` load, carry the documented metadata, and
//! reproduce their recorded test accuracy (full 10k test set of their data set, recorded
//! precision) to within 2 images.
//!
//! Needs MNIST in `data/mnist` and Fashion-MNIST in `data/fashion-mnist` (`multispike fetch
//! --dataset …`); without them the accuracy part is skipped with a message, unless
//! `MULTISPIKE_REQUIRE_DATA=1` (set by `scripts/test.sh`), where it fails.

use multispike::data::{load_idx, DatasetId, Split};
use multispike::model_file;
use multispike::{Mode, Precision};
use std::path::Path;

/// File, mode, data set, and the accuracy it must have recorded at least.
const SHIPPED: [(&str, Mode, DatasetId, f64); 4] = [
    ("mnist-784-400-10-multi.safetensors", Mode::Multi, DatasetId::Mnist, 0.98),
    ("mnist-784-400-10-single.safetensors", Mode::Single, DatasetId::Mnist, 0.978),
    ("fashion-mnist-784-400-10-multi.safetensors", Mode::Multi, DatasetId::FashionMnist, 0.87),
    ("fashion-mnist-784-400-10-single.safetensors", Mode::Single, DatasetId::FashionMnist, 0.85),
];

const REQUIRED_KEYS: [&str; 14] = [
    "format",
    "tau_I",
    "t_out",
    "v_th",
    "mode",
    "layers",
    "max_spikes",
    "command",
    "seed",
    "epochs",
    "test_accuracy",
    "test_samples",
    "date",
    "precision",
];

#[test]
fn shipped_models_load_and_reproduce_their_accuracy() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (name, mode, dataset, floor) in SHIPPED {
        let spec = dataset.spec();
        let test = match load_idx(spec, &root.join(spec.default_dir), Split::Test) {
            Ok(t) => Some(t),
            Err(e) if std::env::var_os("MULTISPIKE_REQUIRE_DATA").is_none() => {
                eprintln!("{name}: accuracy check skipped: {e}");
                None
            }
            Err(e) => panic!("{} is required here: {e}", spec.title),
        };
        let path = root.join("www/models").join(name);
        let mut mf = model_file::load(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(mf.dataset().unwrap(), dataset, "{name}: its dataset metadata");
        for k in REQUIRED_KEYS {
            assert!(mf.metadata.contains_key(k), "{name}: metadata lacks {k}");
        }
        let cfg = mf.network.config();
        assert_eq!(cfg.layers, vec![784, 400, 10], "{name}");
        assert_eq!(cfg.mode, mode, "{name}");
        assert_eq!(mf.metadata["format"], "multispike-v1");
        assert_eq!(mf.metadata["test_samples"], "10000", "{name}: accuracy must be on the full test set");
        let recorded: f64 = mf.metadata["test_accuracy"].parse().unwrap();
        let epochs: usize = mf.metadata["epochs"].parse().unwrap();
        assert!((1..=100).contains(&epochs), "{name}: {epochs} epochs");
        assert!(recorded >= floor, "{name}: recorded accuracy {recorded} below {floor}");
        if let Some(test) = &test {
            let precision: Precision = mf.metadata["precision"].parse().unwrap();
            mf.network.set_precision(precision);
            let ev = multispike::train::evaluate(&mf.network, test).unwrap();
            // Within rounding: an engine change that only reorders floating-point sums may flip a
            // borderline image; more than 2 of 10,000 is a real change.
            let diff = (ev.correct as f64 - recorded * ev.samples as f64).abs();
            assert!(diff <= 2.0, "{name}: {} correct, recorded accuracy {recorded}", ev.correct);
            let first = multispike::train::evaluate(&mf.network, &test.head(1000)).unwrap();
            assert!(first.accuracy() >= floor - 0.02, "{name}: {} on the first 1000", first.accuracy());
        }
    }
}
