//! Criterion benches of the engine on real MNIST digits, 784-400-10 at τ_I = 0.8:
//! forward per sample, and forward + backward + Adam per batch of 100, on 1 thread and on all.
//!
//! Needs MNIST in `data/mnist` (`multispike fetch-mnist`). Run: `cargo bench --bench engine`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use multispike::data::mnist::{load_mnist, Split};
use multispike::engine::encoding::PixelEncoder;
use multispike::train::{TrainConfig, Trainer};
use multispike::{Mode, NetConfig, Workspace};
use std::path::Path;

fn bench(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist");
    let data = match load_mnist(&dir, Split::Train) {
        Ok(d) => d.head(2000),
        Err(e) => {
            eprintln!("skipping engine benches: {e}");
            return;
        }
    };
    let cfg = TrainConfig::paper(NetConfig::new(vec![784, 400, 10], 0.8, Mode::Multi));
    let all = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    for threads in [1, all] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let mut g = c.benchmark_group(format!("784-400-10 tau0.8 {threads}t"));
        let trainer = Trainer::new(cfg.clone()).unwrap();
        let enc = PixelEncoder::new(0.8, 1.0);
        if threads == 1 {
            g.throughput(Throughput::Elements(1));
            let mut ws = Workspace::default();
            let mut i = 0;
            g.bench_function("forward per sample", |b| {
                b.iter(|| {
                    i = (i + 1) % data.n;
                    trainer.net.forward_events(enc.events(data.image(i)), &mut ws)
                })
            });
        }
        g.throughput(Throughput::Elements(100));
        let mut t = trainer.clone();
        let mut start = 0;
        g.bench_function("train step per batch of 100", |b| {
            b.iter(|| {
                start = (start + 100) % (data.n - 100);
                let batch: Vec<usize> = (start..start + 100).collect();
                pool.install(|| t.step(&data, &batch).unwrap())
            })
        });
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
