//! Profiling harness: training steps on MNIST, 784-400-10 at τ_I = 0.8 (f32 state), from a
//! fresh network (seed 1, init N(0.03, 0.3) as in the τ sweeps) or from the shipped multi-spike
//! model (`--shipped`).
//! Prints samples/s and a digest of the final weights, so that a change to the engine can be
//! checked to leave every bit of training unchanged (same digest before and after).
//!
//! `cargo build --release --example trainprof`, then e.g.
//! `RAYON_NUM_THREADS=1 perf record -e cpu-clock target/release/examples/trainprof 20000`
//! or `valgrind --tool=callgrind target/release/examples/trainprof 500` (instruction counts).
//! Arguments: `[images (default 20000)] [--shipped]`.
use multispike::data::mnist::{load_mnist, Split};
use multispike::train::{TrainConfig, Trainer};
use multispike::{Mode, NetConfig, Precision};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(20_000);
    let shipped = args.iter().any(|a| a == "--shipped");
    let tr = load_mnist("data/mnist".as_ref(), Split::Train).expect("MNIST in data/mnist").head(n);
    let mut t = if shipped {
        let mf = multispike::formats::model_file::load("www/models/mnist-784-400-10-multi.safetensors").unwrap();
        let mut cfg = TrainConfig::paper(mf.network.config().clone());
        cfg.precision = Precision::F32;
        Trainer::resume(cfg, mf.network, None, 0).unwrap()
    } else {
        let mut cfg = TrainConfig::paper(NetConfig::new(vec![784, 400, 10], 0.8, Mode::Multi));
        cfg.init_std = 0.3;
        Trainer::new(cfg).unwrap()
    };
    let s = std::time::Instant::now();
    let st = t.train_epoch(&tr, &mut |_, _| {}).unwrap();
    let secs = s.elapsed().as_secs_f64();
    println!(
        "{:.0} samples/s, {:.3} spikes/neuron, digest {}",
        st.samples as f64 / secs,
        st.spikes as f64 / (st.samples as f64 * 400.0),
        multispike::app::session::weights_digest(&t.net)
    );
}
