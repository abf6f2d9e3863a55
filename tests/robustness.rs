//! Numerical robustness on real data: one full MNIST epoch (60,000 images, the paper's recipe) of
//! 784-400-10 at τ_I ∈ {0.05, 0.1, 0.2, 0.8, 6.4} in both modes, and of 784-400-400-10 at
//! τ_I = 0.8 in both modes, must end with no non-finite sample, no skipped batch, finite weights,
//! a finite training loss and a finite test loss. The guarded grazing crossings are counted and
//! printed (`--nocapture`). docs/RELIABILITY.md reports the same runs made with the CLI
//! (`scripts/robustness.sh`).
//!
//! Needs MNIST in `data/mnist`; skipped with a message without it, unless
//! `MULTISPIKE_REQUIRE_DATA=1` (set by `scripts/test.sh`), where it fails.

use multispike::data::mnist::{load_mnist, Split};
use multispike::train::{evaluate, TrainConfig, Trainer};
use multispike::{Mode, NetConfig};
use std::path::Path;

#[test]
fn one_mnist_epoch_at_every_tau_stays_finite() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist");
    let (train, test) = match (load_mnist(&root, Split::Train), load_mnist(&root, Split::Test)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) if std::env::var_os("MULTISPIKE_REQUIRE_DATA").is_none() => {
            eprintln!("robustness check skipped: {e}");
            return;
        }
        (Err(e), _) | (_, Err(e)) => panic!("MNIST is required here: {e}"),
    };
    let mut runs: Vec<(Vec<usize>, f64, Mode)> = Vec::new();
    for mode in [Mode::Multi, Mode::Single] {
        for tau in [0.05, 0.1, 0.2, 0.8, 6.4] {
            runs.push((vec![784, 400, 10], tau, mode));
        }
        runs.push((vec![784, 400, 400, 10], 0.8, mode));
    }
    eprintln!("| network | mode | τ_I | loss | train acc | test acc | non-finite | skipped | guarded | truncated |");
    for (layers, tau, mode) in runs {
        let name = format!(
            "{} {} τ_I {tau}",
            layers.iter().map(|n| n.to_string()).collect::<Vec<_>>().join("-"),
            mode.as_str()
        );
        let cfg = TrainConfig { epochs: 1, ..TrainConfig::paper(NetConfig::new(layers.clone(), tau, mode)) };
        let mut t = Trainer::new(cfg).unwrap();
        let s = t.train_epoch(&train, &mut |_, _| {}).unwrap();
        let loss = s.loss_sum / s.samples as f64;
        let ev = evaluate(&t.net, &test).unwrap();
        eprintln!(
            "| {name} | {:.4} | {:.2} % | {:.2} % | {} | {} | {} | {} |",
            loss,
            100.0 * s.correct as f64 / s.samples as f64,
            100.0 * ev.accuracy(),
            s.non_finite,
            s.skipped_batches,
            s.guarded,
            s.truncated
        );
        assert_eq!(s.samples, 60_000, "{name}");
        assert_eq!(s.non_finite, 0, "{name}: non-finite samples");
        assert_eq!(s.skipped_batches, 0, "{name}: skipped batches");
        assert!(loss.is_finite(), "{name}: training loss {loss}");
        assert!(ev.loss_sum.is_finite(), "{name}: test loss {}", ev.loss_sum);
        for (l, w) in t.net.weights().iter().enumerate() {
            assert!(w.iter().all(|x| x.is_finite()), "{name}: non-finite weight in layer {l}");
        }
    }
}
