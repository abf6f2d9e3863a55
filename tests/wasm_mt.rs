//! Browser tests of the threaded WebAssembly build (feature `threads`; nightly, atomics,
//! build-std; scripts/test.sh runs them in headless Chromium through wasm-bindgen-test in a
//! dedicated worker, where blocking waits are allowed):
//! `cargo +nightly --config pkg-config/threads.toml test --target wasm32-unknown-unknown
//!  --no-default-features --features threads --test wasm_mt`.
#![cfg(all(target_arch = "wasm32", feature = "threads"))]

use multispike::data::Dataset;
use multispike::session::{Session, SessionConfig};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

fn synthetic(n: usize) -> Dataset {
    let mut images = vec![0u8; n * 784];
    let labels: Vec<u8> = (0..n).map(|i| (i * 7 % 10) as u8).collect();
    for i in 0..n {
        let k = labels[i] as usize;
        for r in 2 * k + 3..2 * k + 6 {
            for c in 4..24 {
                images[i * 784 + r * 28 + c] = (150 + (i * 31 + c * 7) % 105) as u8;
            }
        }
    }
    Dataset { images, labels, n, dim: 784 }
}

/// Two steps of batch 100 (4 gradient chunks each) from a fresh paper-init 784-400-10 network.
fn train_digest() -> String {
    let cfg = SessionConfig { batch: 100, ..Default::default() };
    let mut s = Session::new(&cfg).unwrap();
    s.add_train(synthetic(200)).unwrap();
    let r = s.train_steps(2).unwrap();
    assert_eq!(r.samples, 200);
    s.weights_digest()
}

#[wasm_bindgen_test]
async fn pool_starts_and_two_threads_give_the_same_weights_as_one() {
    JsFuture::from(multispike::wasm::init_thread_pool(2)).await.expect("initThreadPool(2)");
    assert_eq!(rayon::current_num_threads(), 2);
    // both workers really run: each reports its own index
    let mut idx = rayon::broadcast(|ctx| ctx.index());
    idx.sort();
    assert_eq!(idx, vec![0, 1]);
    let two = train_digest();
    // One thread: a pool of one made of the current thread (no new worker is spawned), entered
    // with install. It stays alive to the end of the test binary: this is the last rayon use.
    let one_pool = rayon::ThreadPoolBuilder::new().num_threads(1).use_current_thread().build().unwrap();
    let one = one_pool.install(|| {
        assert_eq!(rayon::current_num_threads(), 1);
        train_digest()
    });
    std::mem::forget(one_pool);
    assert_eq!(one, two, "weights differ between 1 and 2 threads");
}
