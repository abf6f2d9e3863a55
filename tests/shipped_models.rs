//! The pretrained models shipped in `www/models/` load, carry the documented metadata, and
//! reproduce their recorded test accuracy (full 10k MNIST test set, recorded precision) to within
//! 2 images.
//!
//! Needs MNIST in `data/mnist` (`multispike fetch-mnist`); without it the accuracy part is skipped
//! with a message, unless `MULTISPIKE_REQUIRE_DATA=1` (set by `scripts/test.sh`), where it fails.

use multispike::data::mnist::{load_mnist, Split};
use multispike::model_file;
use multispike::{Mode, Precision};
use std::path::Path;

const SHIPPED: [(&str, Mode); 2] =
    [("mnist-784-400-10-multi.safetensors", Mode::Multi), ("mnist-784-400-10-single.safetensors", Mode::Single)];

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
    let test = match load_mnist(&root.join("data/mnist"), Split::Test) {
        Ok(t) => Some(t),
        Err(e) if std::env::var_os("MULTISPIKE_REQUIRE_DATA").is_none() => {
            eprintln!("accuracy check skipped: {e}");
            None
        }
        Err(e) => panic!("MNIST is required here: {e}"),
    };
    for (name, mode) in SHIPPED {
        let path = root.join("www/models").join(name);
        let mut mf = model_file::load(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
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
        let floor = if mode == Mode::Multi { 0.98 } else { 0.97 };
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
