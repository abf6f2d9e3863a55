//! Native file I/O shared by the file formats and the command-line tool: reading a whole file of
//! bounded size (checked before anything is allocated) and replacing a file atomically (a
//! temporary file in the same directory, fsynced, then renamed over the target).
//!
//! Not compiled for WebAssembly: the browser hands the core bytes, never paths.

use crate::error::{Error, FormatError, FormatErrorKind, Result};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Reads a whole file of at most `max` bytes; the size is checked before anything is read.
/// Refusals (a directory: [`FormatErrorKind::WrongFormat`], a file too large:
/// [`FormatErrorKind::TooLarge`]) are `wrap(error)`, naming the file as a `what`; operating-system
/// errors are [`Error::Io`].
pub fn read_bounded(path: &Path, max: u64, what: &str, wrap: fn(FormatError) -> Error) -> Result<Vec<u8>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let md = file.metadata().map_err(|e| Error::io(path, e))?;
    if md.is_dir() {
        let msg = format!("{} is a directory, not a {what}", path.display());
        return Err(wrap(FormatError::new(FormatErrorKind::WrongFormat, msg)));
    }
    let too_big = |n: u64| {
        let msg = format!("{} is {n} bytes; a {what} may be at most {max} bytes", path.display());
        wrap(FormatError::new(FormatErrorKind::TooLarge, msg))
    };
    if md.len() > max {
        return Err(too_big(md.len()));
    }
    let mut bytes = Vec::with_capacity(md.len() as usize);
    // `take` guards against a file that grows while it is read.
    file.take(max + 1).read_to_end(&mut bytes).map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > max {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(bytes)
}

/// `<path>.tmp`, in the same directory as `path`.
fn tmp_path(path: &Path) -> Result<PathBuf> {
    let name = path
        .file_name()
        .ok_or_else(|| Error::io(path, std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file path")))?;
    let mut tmp = name.to_os_string();
    tmp.push(".tmp");
    Ok(path.with_file_name(tmp))
}

/// `MULTISPIKE_TEST_SLOW_SAVE_MS`: a pause in the middle of every atomic write (tests only).
fn slow_save_ms() -> Option<u64> {
    std::env::var("MULTISPIKE_TEST_SLOW_SAVE_MS").ok()?.parse().ok()
}

/// Atomically replaces `path` by `bytes`: write `<path>.tmp`, fsync it, rename it over `path`,
/// then fsync the directory (best effort). On failure the temporary file is removed and `path`
/// is untouched; a stale `<path>.tmp` left by a crash is simply overwritten.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    if path.is_dir() {
        return Err(Error::io(
            path,
            std::io::Error::new(std::io::ErrorKind::IsADirectory, "is a directory; refusing to replace it"),
        ));
    }
    let tmp = tmp_path(path)?;
    let written = (|| -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).open(&tmp)?;
        let pause = slow_save_ms();
        let half = if pause.is_some() { bytes.len() / 2 } else { 0 };
        f.write_all(&bytes[..half])?;
        if let Some(ms) = pause {
            // Test hook: leave a half-written temporary file for a while, so that a test can kill
            // the process in the middle of a write (tests/cli.rs).
            f.sync_all()?;
            std::thread::sleep(std::time::Duration::from_millis(ms));
        }
        f.write_all(&bytes[half..])?;
        f.sync_all()
    })();
    if let Err(e) = written {
        if tmp.is_file() {
            let _ = std::fs::remove_file(&tmp);
        }
        return Err(Error::io(&tmp, e));
    }
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(path, e));
    }
    #[cfg(unix)]
    {
        // Make the rename itself durable. Some file systems refuse to fsync a directory; the
        // file is complete either way, so this is best effort.
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_atomic_replaces_and_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.txt");
        let tmp = dir.path().join("f.txt.tmp");
        write_atomic(&path, b"one").unwrap();
        std::fs::write(&tmp, b"stale").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert!(!tmp.exists());
        // The temporary file cannot be created: the old contents stay.
        std::fs::create_dir(&tmp).unwrap();
        assert!(matches!(write_atomic(&path, b"three"), Err(Error::Io { .. })));
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        // A directory is never replaced.
        assert!(matches!(write_atomic(dir.path(), b"x"), Err(Error::Io { .. })));
        assert!(matches!(write_atomic(Path::new("/"), b"x"), Err(Error::Io { .. })));
    }

    fn case(e: FormatError) -> Error {
        Error::Case(e.msg)
    }

    #[test]
    fn read_bounded_checks_the_size_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.bin");
        std::fs::write(&path, [7u8; 10]).unwrap();
        assert_eq!(read_bounded(&path, 10, "thing", case).unwrap(), [7u8; 10]);
        match read_bounded(&path, 9, "thing", case) {
            Err(Error::Case(m)) => assert!(m.ends_with("is 10 bytes; a thing may be at most 9 bytes"), "{m}"),
            other => panic!("{other:?}"),
        }
        match read_bounded(dir.path(), 9, "thing", case) {
            Err(Error::Case(m)) => assert!(m.ends_with("is a directory, not a thing"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(read_bounded(&dir.path().join("none"), 9, "thing", case), Err(Error::Io { .. })));
    }
}
