//! The drawing pipeline (`multispike::preprocess`) on real MNIST test digits: each digit is
//! rendered ten times larger (280×280, bilinear, as a canvas would show it) and processed back to
//! 28×28. The result must be close to the original, and a trained model must classify the
//! re-processed digits about as well as the originals.
//!
//! Needs data/mnist (`multispike fetch-mnist`; scripts/test.sh fetches it first). Without it the
//! tests print a notice and pass, unless MULTISPIKE_REQUIRE_DATA=1.

use multispike::data::{load_mnist, Dataset, Split};
use multispike::preprocess::{preprocess, SIDE};
use std::path::Path;

const ZOOM: usize = 10;

fn test_set() -> Option<Dataset> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist");
    match load_mnist(&dir, Split::Test) {
        Ok(d) => Some(d),
        Err(e) => {
            assert!(std::env::var("MULTISPIKE_REQUIRE_DATA").as_deref() != Ok("1"), "MNIST needed: {e}");
            eprintln!("skipped: MNIST not found ({e}); run `multispike fetch-mnist`");
            None
        }
    }
}

/// Bilinear enlargement by `ZOOM` with pixel-centre alignment (what drawImage with smoothing does):
/// output pixel x samples the source at (x + 0.5)/ZOOM − 0.5, clamped at the borders.
fn render(img: &[u8]) -> Vec<u8> {
    let n = SIDE * ZOOM;
    let mut out = vec![0u8; n * n];
    let coord = |x: usize| {
        let s = ((x as f64 + 0.5) / ZOOM as f64 - 0.5).clamp(0.0, (SIDE - 1) as f64);
        let i = (s.floor() as usize).min(SIDE - 2);
        (i, s - i as f64)
    };
    for y in 0..n {
        let (iy, fy) = coord(y);
        for x in 0..n {
            let (ix, fx) = coord(x);
            let p = |r: usize, c: usize| img[r * SIDE + c] as f64;
            let v = (1.0 - fy) * ((1.0 - fx) * p(iy, ix) + fx * p(iy, ix + 1))
                + fy * ((1.0 - fx) * p(iy + 1, ix) + fx * p(iy + 1, ix + 1));
            out[y * n + x] = v.round() as u8;
        }
    }
    out
}

/// (mean absolute error in grey levels, Pearson correlation) of two images.
fn compare(a: &[u8], b: &[u8]) -> (f64, f64) {
    let n = a.len() as f64;
    let mae = a.iter().zip(b).map(|(&x, &y)| (x as f64 - y as f64).abs()).sum::<f64>() / n;
    let (ma, mb) = (a.iter().map(|&x| x as f64).sum::<f64>() / n, b.iter().map(|&x| x as f64).sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (&x, &y) in a.iter().zip(b) {
        let (dx, dy) = (x as f64 - ma, y as f64 - mb);
        sab += dx * dy;
        saa += dx * dx;
        sbb += dy * dy;
    }
    (mae, sab / (saa * sbb).sqrt())
}

fn reprocessed(test: &Dataset, n: usize) -> Dataset {
    let mut images = Vec::with_capacity(n * test.dim);
    for i in 0..n {
        images.extend(preprocess(&render(test.image(i)), SIDE * ZOOM, SIDE * ZOOM, 1).unwrap());
    }
    Dataset { images, labels: test.labels[..n].to_vec(), n, dim: test.dim }
}

#[test]
fn enlarged_mnist_digits_come_back_close_to_the_originals() {
    let Some(test) = test_set() else { return };
    let n = 2000;
    let back = reprocessed(&test, n);
    let (mut maes, mut cors) = (Vec::new(), Vec::new());
    for i in 0..n {
        let (mae, cor) = compare(test.image(i), back.image(i));
        maes.push(mae);
        cors.push(cor);
    }
    maes.sort_by(f64::total_cmp);
    cors.sort_by(f64::total_cmp);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (mae, cor) = (mean(&maes), mean(&cors));
    let (mae95, cor5) = (maes[n * 95 / 100], cors[n * 5 / 100]);
    eprintln!(
        "{n} digits: mean |error| {mae:.2} grey levels (95th percentile {mae95:.2}, worst {:.2}); \
         correlation mean {cor:.4} (5th percentile {cor5:.4}, worst {:.4})",
        maes[n - 1],
        cors[0]
    );
    assert!(mae < MAX_MEAN_ABS_ERROR, "mean abs error {mae}");
    assert!(mae95 < MAX_P95_ABS_ERROR, "95th percentile abs error {mae95}");
    assert!(cor > MIN_MEAN_CORRELATION, "mean correlation {cor}");
    assert!(cor5 > MIN_P5_CORRELATION, "5th percentile correlation {cor5}");

    // The same drawing as a transparent canvas with ink in the alpha channel (RGBA), and as dark
    // ink on white paper (opaque RGB), gives the same image.
    for i in 0..20 {
        let big = render(test.image(i));
        let rgba: Vec<u8> = big.iter().flat_map(|&a| [20, 30, 40, a]).collect();
        let rgb: Vec<u8> = big.iter().flat_map(|&a| [255 - a; 3]).collect();
        let n = SIDE * ZOOM;
        assert_eq!(preprocess(&rgba, n, n, 4).unwrap(), back.image(i), "RGBA digit {i}");
        let paper = preprocess(&rgb, n, n, 3).unwrap();
        let (e, _) = compare(&paper, back.image(i));
        assert!(e < 0.5, "RGB digit {i}: {e}");
    }
}

// Thresholds. Measured on the first 2000 test digits (the eprintln above; `cargo test --release
// --test preprocess -- --nocapture`): mean |error| 7.64 grey levels (95th percentile 14.87),
// correlation mean 0.955 (5th percentile 0.835). For scale, shifting the original digits by one
// pixel gives a mean |error| of 16.6 and a mean correlation of 0.767: the round trip must stay
// clearly better than a one-pixel misplacement on average. The rest of the error is the blur of
// bilinear enlargement + area averaging and the whole-pixel centring of digits whose centre of
// mass falls near a pixel boundary. Limits = measurement + a small margin.
const MAX_MEAN_ABS_ERROR: f64 = 9.0;
const MAX_P95_ABS_ERROR: f64 = 17.0;
const MIN_MEAN_CORRELATION: f64 = 0.94;
const MIN_P5_CORRELATION: f64 = 0.80;

/// The shipped model if present, otherwise one trained here: the paper's recipe for 784-400-10
/// (multi-spike, τ_I = 0.8) with init std 0.3, 2 epochs over the first 20000 training images.
fn model() -> Option<multispike::Network> {
    use multispike::train::{TrainConfig, Trainer};
    use multispike::{Mode, NetConfig};
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shipped = root.join("www/models/mnist-784-400-10-multi.safetensors");
    if shipped.exists() {
        eprintln!("model: {}", shipped.display());
        return Some(multispike::model_file::load(&shipped).expect("the shipped model loads").network);
    }
    let train = load_mnist(&root.join("data/mnist"), Split::Train).ok()?.head(20_000);
    let mut cfg = TrainConfig::paper(NetConfig::new(vec![784, 400, 10], 0.8, Mode::Multi));
    cfg.init_std = 0.3;
    let mut t = Trainer::new(cfg).unwrap();
    for _ in 0..2 {
        t.train_epoch(&train, &mut |_, _| {}).unwrap();
    }
    eprintln!("model: trained here (20000 images x 2 epochs)");
    Some(t.net)
}

#[test]
fn accuracy_on_reprocessed_digits_stays_within_one_percent() {
    use multispike::train::evaluate;
    let Some(test) = test_set() else { return };
    let Some(net) = model() else { return };
    let n = 2000;
    let raw = test.head(n);
    let back = reprocessed(&test, n);
    let a = evaluate(&net, &raw).unwrap().accuracy();
    let b = evaluate(&net, &back).unwrap().accuracy();
    eprintln!("accuracy on {n} test digits: raw {:.2} %, re-processed {:.2} %", 100.0 * a, 100.0 * b);
    assert!(a > 0.85, "the model is too weak to tell ({a})");
    assert!((a - b).abs() <= 0.01, "raw {a} vs re-processed {b}");
}
