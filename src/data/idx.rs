//! Reader of IDX files, the format MNIST is distributed in, raw or gzip-compressed.
//!
//! An IDX file is a 4-byte magic `00 00 TT DD` (`TT` the element type, `DD` the number of
//! dimensions), `DD` big-endian `u32` dimension sizes, then the row-major payload. Only unsigned
//! bytes (`TT = 0x08`) are supported; images have 3 dimensions (count, rows, columns), labels 1.
//! A stream starting with the gzip magic `1f 8b` is decompressed first (multi-member gzip is
//! accepted).
//!
//! Every check fails with [`Error::Idx`], whose `msg` starts with one of these phrases:
//!
//! | problem | message starts with |
//! |---|---|
//! | fewer than 4 + 4·ndims bytes | `truncated header` |
//! | first two bytes not `00 00` | `bad magic` |
//! | element type other than `0x08` | `unsupported element type` |
//! | ndims other than the caller's | `wrong number of dimensions` |
//! | a zero or implausibly large dimension | `implausible dimension` |
//! | payload over [`MAX_PAYLOAD`] | `header claims` |
//! | fewer bytes than the header describes | `truncated: expected N bytes, got M` |
//! | more bytes than the header describes | `trailing data` |
//! | a corrupt or cut gzip stream | `corrupt gzip stream` |
//!
//! Allocation is bounded: nothing is allocated before the header has been validated, never more
//! than the header describes, and a header is never trusted beyond [`MAX_PAYLOAD`]. When the
//! length of the input is known (a byte slice, an uncompressed file), a length mismatch is
//! reported before the payload buffer is allocated. Decompression stops one byte past the
//! described length, so a gzip bomb ends in a `trailing data` error instead of exhausting memory.
//! A read error on an uncompressed file is an [`Error::Io`].

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::error::{Error, Result};

/// Largest payload (bytes after the header) a header may claim: 1 GiB.
pub const MAX_PAYLOAD: u64 = 1 << 30;

/// Largest plausible image side (rows or columns), in pixels.
pub const MAX_SIDE: u32 = 4096;

/// Element type code of unsigned bytes, the only one supported.
const TYPE_U8: u8 = 0x08;

/// Gzip magic bytes.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Capacity reserved up front when the input length is unknown (gzip); the buffer then grows as
/// data actually arrives, so a lying header costs no more than this.
const INITIAL_CAPACITY: u64 = 16 << 20;

/// A stack of same-sized greyscale images, as stored in an IDX3 file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Images {
    /// Number of images.
    pub n: usize,
    /// Rows of each image.
    pub rows: usize,
    /// Columns of each image.
    pub cols: usize,
    /// Pixels, image after image, each row-major: `n * rows * cols` bytes.
    pub pixels: Vec<u8>,
}

impl Images {
    /// Pixels of one image (`rows * cols` bytes), or `None` when `i >= n`.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        let dim = self.rows * self.cols;
        self.pixels.get(i.checked_mul(dim)?..i.checked_add(1)?.checked_mul(dim)?)
    }
}

/// Reads an IDX3 image file (raw or gzip).
pub fn read_images(path: &Path) -> Result<Images> {
    let (dims, pixels) = read_file(path, 3)?;
    Ok(images_from(&dims, pixels))
}

/// Reads an IDX1 label file (raw or gzip). Label values are not range-checked here.
pub fn read_labels(path: &Path) -> Result<Vec<u8>> {
    Ok(read_file(path, 1)?.1)
}

/// Parses an IDX3 image file held in memory (raw or gzip); `name` appears in errors.
pub fn parse_images(bytes: &[u8], name: &str) -> Result<Images> {
    let (dims, pixels) = parse(bytes, name, 3)?;
    Ok(images_from(&dims, pixels))
}

/// Parses an IDX1 label file held in memory (raw or gzip); `name` appears in errors.
pub fn parse_labels(bytes: &[u8], name: &str) -> Result<Vec<u8>> {
    Ok(parse(bytes, name, 1)?.1)
}

/// Builds [`Images`] from validated dimensions (count, rows, columns).
fn images_from(dims: &[usize], pixels: Vec<u8>) -> Images {
    Images { n: dims[0], rows: dims[1], cols: dims[2], pixels }
}

/// Parses an in-memory IDX file with `ndims` dimensions.
fn parse(bytes: &[u8], name: &str, ndims: u8) -> Result<(Vec<usize>, Vec<u8>)> {
    if bytes.starts_with(&GZIP_MAGIC) {
        decode(MultiGzDecoder::new(bytes), None, true, name, ndims)
    } else {
        decode(bytes, Some(bytes.len() as u64), false, name, ndims)
    }
}

/// Opens and decodes an IDX file with `ndims` dimensions.
fn read_file(path: &Path, ndims: u8) -> Result<(Vec<usize>, Vec<u8>)> {
    let name = path.display().to_string();
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let mut reader = BufReader::new(file);
    let mut head = [0u8; 2];
    let got = read_full(&mut reader, &mut head).map_err(|e| Error::io(path, e))?;
    let stream = (&head[..got]).chain(reader);
    if head[..got] == GZIP_MAGIC {
        decode(MultiGzDecoder::new(stream), None, true, &name, ndims)
    } else {
        decode(stream, Some(len), false, &name, ndims)
    }
}

/// Validates the header read from `r` and reads exactly the payload it describes.
///
/// `known_len` is the total length of the (uncompressed) input when known; `gz` says whether `r`
/// decompresses, which decides how read errors are reported.
fn decode<R: Read>(mut r: R, known_len: Option<u64>, gz: bool, name: &str, ndims: u8) -> Result<(Vec<usize>, Vec<u8>)> {
    let err = |msg: String| Error::Idx { path: name.to_string(), msg };
    let read_err = |e: std::io::Error| {
        if gz {
            err(format!("corrupt gzip stream: {e}"))
        } else {
            Error::io(name, e)
        }
    };
    let header_len = 4 + 4 * u64::from(ndims);

    let mut header = vec![0u8; header_len as usize];
    let got = read_full(&mut r, &mut header[..4]).map_err(read_err)?;
    if got < 4 {
        return Err(err(format!("truncated header: expected at least {header_len} bytes, got {got}")));
    }
    let expected_magic = format!("00 00 08 {ndims:02x}");
    if header[..2] != [0, 0] {
        return Err(err(format!("bad magic {}: expected {expected_magic} (not an IDX file?)", hex(&header[..4]))));
    }
    if header[2] != TYPE_U8 {
        return Err(err(format!(
            "unsupported element type 0x{:02x}: only unsigned bytes (0x08) are supported",
            header[2]
        )));
    }
    if header[3] != ndims {
        let what = if ndims == 3 { "an image file" } else { "a label file" };
        return Err(err(format!(
            "wrong number of dimensions: {what} has {ndims}, this file has {} (magic {})",
            header[3],
            hex(&header[..4])
        )));
    }
    let got = 4 + read_full(&mut r, &mut header[4..]).map_err(read_err)?;
    if got < header.len() {
        return Err(err(format!("truncated header: expected {header_len} bytes, got {got}")));
    }

    let mut dims = Vec::with_capacity(usize::from(ndims));
    let mut payload: u64 = 1;
    for (i, chunk) in header[4..].chunks_exact(4).enumerate() {
        let d = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        if d == 0 || (i > 0 && d > MAX_SIDE) {
            return Err(err(format!(
                "implausible dimension {i}: {d} (must be 1..={})",
                if i > 0 { MAX_SIDE } else { u32::MAX }
            )));
        }
        payload = payload.saturating_mul(u64::from(d));
        dims.push(d as usize);
    }
    if payload > MAX_PAYLOAD {
        return Err(err(format!(
            "header claims {} ({payload} bytes of data), more than the {MAX_PAYLOAD}-byte limit",
            shape(&dims)
        )));
    }
    let expected = header_len + payload;
    if let Some(len) = known_len {
        if len < expected {
            return Err(err(format!(
                "truncated: expected {expected} bytes ({header_len}-byte header + {} data), got {len}",
                shape(&dims)
            )));
        }
        if len > expected {
            return Err(err(format!(
                "trailing data: {} bytes after the {expected} bytes the header describes",
                len - expected
            )));
        }
    }

    let capacity = if known_len.is_some() { payload } else { payload.min(INITIAL_CAPACITY) };
    // Both bounds are at most MAX_PAYLOAD, which fits usize on every supported target.
    let mut data = Vec::with_capacity(capacity as usize);
    r.take(payload + 1).read_to_end(&mut data).map_err(read_err)?;
    let got = data.len() as u64;
    if got < payload {
        let what = if gz { "decompressed " } else { "" };
        return Err(err(format!(
            "truncated: expected {expected} {what}bytes ({header_len}-byte header + {} data), got {}",
            shape(&dims),
            header_len + got
        )));
    }
    if got > payload {
        let hint = if gz { " (trailing data in the gzip stream, or a gzip bomb)" } else { "" };
        return Err(err(format!(
            "trailing data: the stream continues past the {expected} bytes the header describes{hint}"
        )));
    }
    Ok((dims, data))
}

/// Reads until `buf` is full or the input ends; returns the number of bytes read.
fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(k) => filled += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Bytes as space-separated hex, e.g. `00 00 08 03`.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ")
}

/// Dimensions as `60000x28x28`.
fn shape(dims: &[usize]) -> String {
    dims.iter().map(usize::to_string).collect::<Vec<_>>().join("x")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idx(ndims: u8, dims: &[u32], payload: &[u8]) -> Vec<u8> {
        let mut v = vec![0, 0, TYPE_U8, ndims];
        for d in dims {
            v.extend_from_slice(&d.to_be_bytes());
        }
        v.extend_from_slice(payload);
        v
    }

    fn msg(e: Error) -> String {
        match e {
            Error::Idx { msg, .. } => msg,
            other => panic!("expected Error::Idx, got {other:?}"),
        }
    }

    #[test]
    fn parses_images_and_labels() {
        let img = parse_images(&idx(3, &[2, 2, 3], &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), "t").unwrap();
        assert_eq!((img.n, img.rows, img.cols), (2, 2, 3));
        assert_eq!(img.get(1), Some(&[6u8, 7, 8, 9, 10, 11][..]));
        assert_eq!(img.get(2), None);
        assert_eq!(parse_labels(&idx(1, &[3], &[7, 0, 200]), "t").unwrap(), vec![7, 0, 200]);
    }

    #[test]
    fn rejects_bad_headers() {
        assert!(msg(parse_labels(&[0, 0], "t").unwrap_err()).starts_with("truncated header"));
        assert!(msg(parse_labels(&[0, 0, 8, 1, 0], "t").unwrap_err()).starts_with("truncated header"));
        assert!(msg(parse_labels(&[1, 0, 8, 1, 0, 0, 0, 1, 5], "t").unwrap_err()).starts_with("bad magic"));
        assert!(
            msg(parse_labels(&[0, 0, 0xd, 1, 0, 0, 0, 1, 5], "t").unwrap_err()).starts_with("unsupported element type")
        );
        assert!(msg(parse_images(&idx(1, &[1], &[5]), "t").unwrap_err()).starts_with("wrong number of dimensions"));
        assert!(msg(parse_images(&idx(3, &[1, 0, 1], &[]), "t").unwrap_err()).starts_with("implausible dimension 1"));
        assert!(msg(parse_images(&idx(3, &[1, 1, 5000], &[]), "t").unwrap_err()).starts_with("implausible dimension 2"));
    }

    #[test]
    fn rejects_length_mismatches() {
        let m = msg(parse_labels(&idx(1, &[4], &[1, 2, 3]), "t").unwrap_err());
        assert!(m.starts_with("truncated: expected 12 bytes"), "{m}");
        assert!(m.ends_with("got 11"), "{m}");
        let m = msg(parse_labels(&idx(1, &[2], &[1, 2, 3]), "t").unwrap_err());
        assert!(m.starts_with("trailing data: 1 bytes"), "{m}");
        let m = msg(parse_labels(&idx(1, &[u32::MAX], &[]), "t").unwrap_err());
        assert!(m.starts_with("header claims"), "{m}");
    }
}
