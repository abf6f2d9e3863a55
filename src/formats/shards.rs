//! MNIST shards for the browser: small self-describing binary files, gzip-compressed, plus a
//! `manifest.json` with their sizes and sha256, served as static same-origin files.
//!
//! # Shard format `MSHD` version 1 (public contract)
//!
//! Before compression, all integers little-endian:
//!
//! ```text
//! offset  size         field
//! 0       4            magic  "MSHD" (0x4D 0x53 0x48 0x44)
//! 4       2            version = 1
//! 6       2            classes = 10 (every label is below it)
//! 8       4            count  n (examples)
//! 12      4            dim    d (pixels per example; 784 for 28×28 MNIST)
//! 16      n            labels, one byte each
//! 16+n    n·d          pixels, example after example, row-major, 0 = background
//! ```
//!
//! Nothing may follow the pixels. The file on disk is the gzip (RFC 1952) compression of these
//! bytes, named `<split>-<kk>.mshd.gz`; browsers can inflate it with
//! `DecompressionStream('gzip')`, and [`parse_shard`] accepts either form.
//!
//! # Manifest
//!
//! ```json
//! {"format": "multispike-shards-v1", "dataset": "mnist", "dim": 784, "classes": 10,
//!  "shards": [{"file": "train-00.mshd.gz", "split": "train", "count": 10000,
//!              "bytes": 1234567, "sha256": "<hex of the file as stored>"}, …]}
//! ```
//!
//! `dataset` names the data set of the table (`mnist`, `fashion-mnist`); manifests written before
//! it existed have none and are MNIST. `dim` and `classes` must be those of the data set.
//!
//! A refused shard or manifest is an [`Error::Shard`] naming the file, with its
//! [`FormatErrorKind`](crate::error::FormatErrorKind).

use crate::data::catalog::DatasetId;
use crate::data::mnist::{Dataset, CLASSES, DIM};
use crate::error::{Error, FormatErrorKind as K, Result};
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};

/// Magic bytes at the start of a (decompressed) shard.
pub const MAGIC: [u8; 4] = *b"MSHD";
/// Format version written and accepted.
pub const VERSION: u16 = 1;
/// Header size in bytes.
pub const HEADER: usize = 16;
/// Largest count × (dim + 1) accepted (256 MiB decompressed).
pub const MAX_PAYLOAD: usize = 256 << 20;
/// Value of the manifest's `format` field.
pub const MANIFEST_FORMAT: &str = "multispike-shards-v1";
/// Examples per shard written by [`write_shards`].
pub const SHARD_SIZE: usize = 10_000;

/// One file listed in the manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardEntry {
    pub file: String,
    /// `train` or `test`.
    pub split: String,
    pub count: usize,
    /// Size of the stored (compressed) file.
    pub bytes: usize,
    /// sha256 of the stored file, lower-case hex.
    pub sha256: String,
}

/// `manifest.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    /// The data set of the shards (absent in older manifests: MNIST).
    #[serde(default)]
    pub dataset: DatasetId,
    pub dim: usize,
    pub classes: usize,
    pub shards: Vec<ShardEntry>,
}

fn bad(name: &str, kind: K, msg: impl Into<String>) -> Error {
    Error::shard(name, kind, msg)
}

/// Lower-case hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The uncompressed bytes of a shard holding `data`.
pub fn encode_raw(data: &Dataset) -> Result<Vec<u8>> {
    if data.n.saturating_mul(data.dim + 1) > MAX_PAYLOAD || data.dim == 0 {
        return Err(Error::Shape(format!("cannot make a shard of {} examples of {} pixels", data.n, data.dim)));
    }
    let mut v = Vec::with_capacity(HEADER + data.n * (data.dim + 1));
    v.extend(MAGIC);
    v.extend(VERSION.to_le_bytes());
    v.extend((CLASSES as u16).to_le_bytes());
    v.extend((data.n as u32).to_le_bytes());
    v.extend((data.dim as u32).to_le_bytes());
    v.extend(&data.labels);
    v.extend(&data.images);
    Ok(v)
}

/// The stored (gzip-compressed) bytes of a shard holding `data`.
pub fn encode(data: &Dataset) -> Result<Vec<u8>> {
    let raw = encode_raw(data)?;
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&raw).and_then(|_| gz.finish()).map_err(|e| bad("shard", K::Incompatible, e.to_string()))
}

/// Parses a shard (gzip-compressed or not) into a data set, validating the hash (when
/// `sha256` is given: of `bytes` exactly as passed), magic, version, class count, sizes, labels
/// (each below 10) and that nothing trails. `name` appears in error messages.
pub fn parse_shard(bytes: &[u8], sha256: Option<&str>, name: &str) -> Result<Dataset> {
    if let Some(want) = sha256 {
        let got = sha256_hex(bytes);
        if !got.eq_ignore_ascii_case(want.trim()) {
            return Err(bad(
                name,
                K::Corrupt,
                format!("sha256 mismatch: expected {want}, got {got} (corrupt or stale file)"),
            ));
        }
    }
    let inflated;
    let raw: &[u8] = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        // One byte over the limit detects a too large payload without inflating all of it.
        GzDecoder::new(bytes)
            .take((HEADER + MAX_PAYLOAD + 1) as u64)
            .read_to_end(&mut out)
            .map_err(|e| bad(name, K::Malformed, format!("not a valid gzip stream: {e}")))?;
        inflated = out;
        &inflated
    } else {
        bytes
    };
    if raw.len() < HEADER {
        return Err(bad(
            name,
            K::Malformed,
            format!("{} bytes is too short for a shard header ({HEADER} bytes)", raw.len()),
        ));
    }
    if raw[0..4] != MAGIC {
        return Err(bad(
            name,
            K::WrongFormat,
            format!("bad magic {:02x?}: not a multispike shard (expected \"MSHD\")", &raw[0..4]),
        ));
    }
    let u16_at = |o: usize| u16::from_le_bytes([raw[o], raw[o + 1]]);
    let u32_at = |o: usize| u32::from_le_bytes(raw[o..o + 4].try_into().expect("4 bytes")) as usize;
    let version = u16_at(4);
    if version != VERSION {
        return Err(bad(
            name,
            K::WrongFormat,
            format!("shard version {version} is not supported (this build reads version {VERSION})"),
        ));
    }
    let classes = u16_at(6) as usize;
    if classes != CLASSES {
        return Err(bad(name, K::BadShape, format!("shard declares {classes} classes, MNIST has {CLASSES}")));
    }
    let (n, dim) = (u32_at(8), u32_at(12));
    if dim != DIM {
        return Err(bad(name, K::BadShape, format!("shard images have {dim} pixels, MNIST images have {DIM}")));
    }
    let payload = n.checked_mul(dim + 1).filter(|&p| p <= MAX_PAYLOAD).ok_or_else(|| {
        bad(name, K::TooLarge, format!("shard declares {n} examples, more than the {MAX_PAYLOAD}-byte limit allows"))
    })?;
    if raw.len() != HEADER + payload {
        return Err(bad(
            name,
            K::Malformed,
            format!(
                "shard of {n} examples of {dim} pixels must be {} bytes uncompressed, got {}",
                HEADER + payload,
                raw.len()
            ),
        ));
    }
    let labels = raw[HEADER..HEADER + n].to_vec();
    if let Some((i, &l)) = labels.iter().enumerate().find(|(_, &l)| l as usize >= CLASSES) {
        return Err(bad(name, K::BadValue, format!("label {l} of example {i} is not a digit 0 to 9")));
    }
    Ok(Dataset { images: raw[HEADER + n..].to_vec(), labels, n, dim })
}

/// Parses and validates `manifest.json`.
pub fn parse_manifest(json: &str) -> Result<Manifest> {
    let m: Manifest = serde_json::from_str(json)
        .map_err(|e| bad("manifest.json", K::Malformed, format!("not a shard manifest: {e}")))?;
    if m.format != MANIFEST_FORMAT {
        return Err(bad(
            "manifest.json",
            K::WrongFormat,
            format!("format {:?}, expected {MANIFEST_FORMAT:?}", m.format),
        ));
    }
    let spec = m.dataset.spec();
    if spec.image_side.is_none() {
        return Err(bad(
            "manifest.json",
            K::BadValue,
            format!("{} is generated in the page, it has no shards", spec.title),
        ));
    }
    let (dim, classes) = (spec.inputs, spec.classes());
    if m.dim != dim || m.classes != classes {
        return Err(bad(
            "manifest.json",
            K::BadShape,
            format!("dim {} / classes {}, expected {dim} / {classes}", m.dim, m.classes),
        ));
    }
    for s in &m.shards {
        let name_ok = !s.file.is_empty()
            && s.file.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            && !s.file.starts_with('.');
        if !name_ok || (s.split != "train" && s.split != "test") || s.sha256.len() != 64 {
            return Err(bad("manifest.json", K::BadValue, format!("bad entry {s:?}")));
        }
    }
    Ok(m)
}

/// Writes the shards of `train` and `test` (chunks of [`SHARD_SIZE`]) and `manifest.json` into
/// `out` (created if needed); each file is written to a temporary name and renamed into place.
/// `dataset` is recorded in the manifest.
#[cfg(not(target_arch = "wasm32"))]
pub fn write_shards(out: &std::path::Path, dataset: DatasetId, train: &Dataset, test: &Dataset) -> Result<Manifest> {
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let spec = dataset.spec();
    let mut m = Manifest {
        format: MANIFEST_FORMAT.into(),
        dataset,
        dim: spec.inputs,
        classes: spec.classes(),
        shards: Vec::new(),
    };
    for (split, data) in [("train", train), ("test", test)] {
        let mut k = 0;
        let mut start = 0;
        while start < data.n {
            let end = (start + SHARD_SIZE).min(data.n);
            let bytes = encode(&data.subset(start..end)?)?;
            let file = format!("{split}-{k:02}.mshd.gz");
            crate::formats::fsio::write_atomic(&out.join(&file), &bytes)?;
            m.shards.push(ShardEntry {
                file,
                split: split.into(),
                count: end - start,
                bytes: bytes.len(),
                sha256: sha256_hex(&bytes),
            });
            start = end;
            k += 1;
        }
    }
    let json =
        serde_json::to_string_pretty(&m).map_err(|e| bad("manifest.json", K::Incompatible, e.to_string()))? + "\n";
    crate::formats::fsio::write_atomic(&out.join("manifest.json"), json.as_bytes())?;
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny(n: usize) -> Dataset {
        Dataset {
            images: (0..n * DIM).map(|i| (i * 7 % 256) as u8).collect(),
            labels: (0..n).map(|i| (i % 10) as u8).collect(),
            n,
            dim: DIM,
        }
    }

    #[test]
    fn round_trip_and_hash() {
        let d = tiny(13);
        let gz = encode(&d).unwrap();
        assert_eq!(parse_shard(&gz, Some(&sha256_hex(&gz)), "t").unwrap(), d);
        assert_eq!(parse_shard(&encode_raw(&d).unwrap(), None, "t").unwrap(), d);
        let e = parse_shard(&gz, Some(&"0".repeat(64)), "t").unwrap_err().to_string();
        assert!(e.contains("sha256 mismatch"), "{e}");
        assert_eq!(parse_shard(&encode(&tiny(0)).unwrap(), None, "t").unwrap().n, 0);
    }

    #[test]
    fn rejects_corrupt_shards() {
        let raw = encode_raw(&tiny(3)).unwrap();
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (raw[..10].to_vec(), "too short"),
            ([b"MSHX".as_slice(), &raw[4..]].concat(), "bad magic"),
            (
                {
                    let mut r = raw.clone();
                    r[4] = 2;
                    r
                },
                "version 2",
            ),
            (
                {
                    let mut r = raw.clone();
                    r[6] = 11;
                    r
                },
                "11 classes",
            ),
            (
                {
                    let mut r = raw.clone();
                    r[12] = 1;
                    r
                },
                "pixels",
            ),
            (
                {
                    let mut r = raw.clone();
                    r[HEADER + 1] = 10;
                    r
                },
                "label 10",
            ),
            (
                {
                    let mut r = raw.clone();
                    r.push(0);
                    r
                },
                "must be",
            ),
            (
                {
                    let mut r = raw.clone();
                    r.pop();
                    r
                },
                "must be",
            ),
            (
                {
                    let mut r = raw.clone();
                    r[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
                    r
                },
                "limit",
            ),
            (vec![0x1f, 0x8b, 8, 0, 1, 2, 3], "gzip"),
        ];
        for (bytes, want) in cases {
            let e = parse_shard(&bytes, None, "x.mshd").unwrap_err().to_string();
            assert!(e.contains(want) && e.starts_with("x.mshd: "), "{e:?} should mention {want:?}");
        }
    }

    #[test]
    fn manifest_round_trip() {
        let dir = std::env::temp_dir().join(format!("mshd-{}", std::process::id()));
        let m = write_shards(&dir, DatasetId::Mnist, &tiny(25), &tiny(7)).unwrap();
        assert_eq!(m.shards.len(), 2);
        let json = std::fs::read_to_string(dir.join("manifest.json")).unwrap();
        assert_eq!(parse_manifest(&json).unwrap(), m);
        for s in &m.shards {
            let bytes = std::fs::read(dir.join(&s.file)).unwrap();
            assert_eq!(bytes.len(), s.bytes);
            assert_eq!(parse_shard(&bytes, Some(&s.sha256), &s.file).unwrap().n, s.count);
        }
        assert!(parse_manifest(&json.replace("multispike-shards-v1", "v0")).is_err());
        assert!(parse_manifest(&json.replace("train-00", "../x")).is_err());
        std::fs::remove_dir_all(dir).ok();
    }
}
