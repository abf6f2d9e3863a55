//! Profiling harness: one training epoch on 20k MNIST images from the shipped multi-spike model
//! (f32 state), e.g. `RAYON_NUM_THREADS=1 perf record -g target/release/examples/trainprof`.
use multispike::data::mnist::{load_mnist, Split};
use multispike::train::{TrainConfig, Trainer};
use multispike::Precision;
fn main() {
    let tr = load_mnist("data/mnist".as_ref(), Split::Train).unwrap().head(20000);
    let mf = multispike::model_file::load("www/models/mnist-784-400-10-multi.safetensors").unwrap();
    let mut cfg = TrainConfig::paper(mf.network.config().clone());
    cfg.precision = Precision::F32;
    let mut t = Trainer::resume(cfg, mf.network, None, 0).unwrap();
    let s = std::time::Instant::now();
    let st = t.train_epoch(&tr, &mut |_, _| {}).unwrap();
    eprintln!("{:.0} samples/s", st.samples as f64 / s.elapsed().as_secs_f64());
}
