//! Helpers of the binary's end-to-end tests (`tests/cli.rs`, `tests/sweep.rs`): running
//! `multispike` and writing a tiny synthetic MNIST-format data set.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_multispike"))
}

/// Runs the binary with `args`, returning (exit code, stdout, stderr).
pub fn run(args: &[&str]) -> (i32, String, String) {
    let out: Output = bin().args(args).output().expect("the binary runs");
    let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let (stdout, stderr) = (s(&out.stdout), s(&out.stderr));
    assert!(!stderr.contains("panicked"), "the binary panicked on {args:?}:\n{stderr}");
    (out.status.code().unwrap_or(-1), stdout, stderr)
}

pub fn run_ok(args: &[&str]) -> String {
    let (code, stdout, stderr) = run(args);
    assert_eq!(code, 0, "{args:?} failed:\n{stdout}\n{stderr}");
    stdout
}

pub fn idx(magic: u32, dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut v = magic.to_be_bytes().to_vec();
    for d in dims {
        v.extend(d.to_be_bytes());
    }
    v.extend(data);
    v
}

/// Writes `n` 28x28 images of `split` (`train` or `t10k`): class k is a bright bar in row band k
/// plus a class-dependent diagonal, with some per-image jitter in brightness and position.
pub fn write_split(dir: &Path, split: &str, n: usize, seed: u32) {
    let mut images = Vec::with_capacity(n * 784);
    let mut labels = Vec::with_capacity(n);
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    for i in 0..n {
        let k = (i % 10) as u32;
        let shift = next() % 3;
        let gain = 150 + next() % 105;
        let mut img = [0u8; 784];
        for r in 0..28u32 {
            for c in 0..28u32 {
                let bar = r == 2 + 2 * k + shift || r == 3 + 2 * k + shift;
                let diag = (c + k * 3) % 28 == r && c < 20;
                if bar && (4..24).contains(&c) || diag {
                    img[(r * 28 + c) as usize] = (gain - (c % 5) * 10) as u8;
                }
            }
        }
        images.extend_from_slice(&img);
        labels.push(k as u8);
    }
    std::fs::write(dir.join(format!("{split}-images-idx3-ubyte")), idx(0x803, &[n as u32, 28, 28], &images)).unwrap();
    std::fs::write(dir.join(format!("{split}-labels-idx1-ubyte")), idx(0x801, &[n as u32], &labels)).unwrap();
}

/// A temporary directory with a synthetic data set (200 training, 100 test images) in `data/`.
pub fn synthetic() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    write_split(&data, "train", 200, 1);
    write_split(&data, "t10k", 100, 2);
    (tmp, data)
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}
