//! The same seed and data give bit-identical weights whatever the number of threads.

use multispike::data::mnist::Dataset;
use multispike::train::{TrainConfig, Trainer};
use multispike::{Mode, NetConfig};
use rand::{Rng, SeedableRng};

fn synthetic(n: usize, dim: usize, seed: u64) -> Dataset {
    let mut r = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let labels: Vec<u8> = (0..n).map(|_| r.random_range(0..10u8)).collect();
    let images = labels
        .iter()
        .flat_map(|&l| {
            let row: Vec<u8> = (0..dim)
                .map(|p| if (p * 7 + l as usize * 13) % 10 < 3 || r.random::<f64>() < 0.1 { r.random() } else { 0 })
                .collect();
            row
        })
        .collect();
    Dataset { images, labels, n, dim }
}

fn train_with_threads(threads: usize, mode: Mode) -> Vec<Vec<f32>> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    pool.install(|| {
        let data = synthetic(230, 64, 9);
        let mut cfg = TrainConfig::paper(NetConfig::new(vec![64, 40, 20, 10], 0.5, mode));
        cfg.batch_size = 57; // not a multiple of the chunk size
        cfg.init_std = 0.6;
        let mut t = Trainer::new(cfg).unwrap();
        for _ in 0..2 {
            let s = t.train_epoch(&data, &mut |_, _| {}).unwrap();
            assert!(s.spikes > 0);
        }
        t.net.weights().iter().map(|w| w.iter().copied().collect()).collect()
    })
}

#[test]
fn weights_are_bit_identical_across_thread_counts() {
    for mode in [Mode::Multi, Mode::Single] {
        let one = train_with_threads(1, mode);
        for n in [2, 3, 4] {
            let other = train_with_threads(n, mode);
            let same = one.iter().flatten().zip(other.iter().flatten()).all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "{mode}: weights differ between 1 and {n} threads");
        }
    }
}
