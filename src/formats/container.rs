//! The safetensors container under model files and checkpoints: a bounds-checked reader, a
//! deterministic writer of f32 tensors and string metadata, and the table of this crate's formats
//! (the `format` metadata entry), so that an error can say which kind of file it was given.
//!
//! Nothing here knows networks or optimisers: [`crate::formats::model_file`] and [`crate::formats::checkpoint`]
//! say which tensors and metadata entries a file of their format holds. Errors are a
//! [`FormatError`] (kind and message); the caller wraps them in its own [`crate::Error`] variant.

use crate::error::{FormatError, FormatErrorKind as K};
use ndarray::Array2;
use safetensors::tensor::{Dtype, SafeTensors};
use std::collections::BTreeMap;

/// A file format stored in a safetensors container: the value of its `format` metadata entry and
/// what a file of it is called in messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Format {
    pub name: &'static str,
    pub noun: &'static str,
}

/// Model files ([`crate::formats::model_file`]).
pub(crate) const MODEL: Format = Format { name: "multispike-v1", noun: "model file" };

/// Training checkpoints ([`crate::formats::checkpoint`]).
pub(crate) const CHECKPOINT: Format = Format { name: "multispike-ckpt-v1", noun: "training checkpoint" };

/// Every format of this crate: a file of one of them given where another is expected gets a hint.
const KNOWN: [Format; 2] = [MODEL, CHECKPOINT];

/// Largest JSON header the safetensors readers accept.
const MAX_HEADER_BYTES: usize = 100_000_000;

/// Serializes f32 tensors and string metadata into a safetensors container. The output is
/// deterministic: the header lists `__metadata__` (sorted keys) and the tensors in a fixed order,
/// and the data follow in the order given.
pub(crate) fn write(
    meta: &BTreeMap<String, String>,
    tensors: &[(&str, [usize; 2], &[f32])],
) -> Result<Vec<u8>, FormatError> {
    use serde_json::{json, Map, Value};
    let mut header = Map::new();
    header.insert("__metadata__".into(), json!(meta));
    let mut offset = 0usize;
    for (name, shape, data) in tensors {
        debug_assert_eq!(shape[0] * shape[1], data.len(), "tensor {name}");
        let end = offset + 4 * data.len();
        header.insert((*name).to_string(), json!({ "dtype": "F32", "shape": shape, "data_offsets": [offset, end] }));
        offset = end;
    }
    let mut head = serde_json::to_vec(&Value::Object(header))
        .map_err(|e| FormatError::new(K::Incompatible, format!("cannot encode the header: {e}")))?;
    head.resize(head.len().next_multiple_of(8), b' ');
    if head.len() > MAX_HEADER_BYTES {
        return Err(FormatError::new(
            K::TooLarge,
            format!(
                "the metadata makes the header {} bytes long; safetensors readers accept at most {MAX_HEADER_BYTES}",
                head.len()
            ),
        ));
    }
    let mut out = Vec::with_capacity(8 + head.len() + offset);
    out.extend_from_slice(&(head.len() as u64).to_le_bytes());
    out.extend_from_slice(&head);
    for (_, _, data) in tensors {
        for x in data.iter() {
            out.extend_from_slice(&x.to_le_bytes());
        }
    }
    Ok(out)
}

/// One tensor of a parsed container.
struct RawTensor<'a> {
    dtype: Dtype,
    shape: Vec<usize>,
    data: &'a [u8],
}

/// A parsed safetensors container whose `format` entry has been checked.
pub(crate) struct Container<'a> {
    /// The `__metadata__` map.
    pub meta: BTreeMap<String, String>,
    tensors: BTreeMap<String, RawTensor<'a>>,
}

impl<'a> Container<'a> {
    /// Parses the container (safetensors validates header size, JSON, offsets and that the data
    /// exactly cover the rest of the buffer) and checks that its `format` entry is `format`.
    pub fn parse(bytes: &'a [u8], format: Format) -> Result<Self, FormatError> {
        let format = format.name;
        let wrong = |msg: String| Err(FormatError::new(K::WrongFormat, msg));
        let (n, header) = SafeTensors::read_metadata(bytes)
            .map_err(|e| FormatError::new(K::Malformed, format!("not a valid safetensors file: {e}")))?;
        let data = bytes
            .get(8 + n..)
            .ok_or_else(|| FormatError::new(K::Malformed, "not a valid safetensors file: header runs past the end"))?;
        let meta: BTreeMap<String, String> = match header.metadata() {
            Some(m) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            None => return wrong(format!("the file has no __metadata__ (not a {format} file)")),
        };
        match meta.get("format").map(String::as_str) {
            None => return wrong(format!("metadata entry \"format\" is missing (expected \"{format}\")")),
            Some(f) if f == format => {}
            Some(f) => return wrong(format!("format is {f:?}, expected \"{format}\"{}", hint(f, format))),
        }
        let mut tensors = BTreeMap::new();
        for (name, info) in header.tensors() {
            let (s, e) = info.data_offsets;
            let data = data
                .get(s..e)
                .ok_or_else(|| FormatError::new(K::Malformed, format!("tensor {name}: data offsets out of range")))?;
            tensors.insert(name, RawTensor { dtype: info.dtype, shape: info.shape.clone(), data });
        }
        Ok(Container { meta, tensors })
    }

    /// Requires the tensor names to be exactly `expected`.
    pub fn expect_names(&self, expected: &[String]) -> Result<(), FormatError> {
        if let Some(missing) = expected.iter().find(|n| !self.tensors.contains_key(*n)) {
            return Err(FormatError::new(K::Missing, format!("tensor {missing} is missing")));
        }
        if let Some(extra) = self.tensors.keys().find(|n| !expected.contains(n)) {
            return Err(FormatError::new(
                K::Unexpected,
                format!("unexpected tensor {extra:?} (expected exactly {})", expected.join(", ")),
            ));
        }
        Ok(())
    }

    /// A metadata entry that must be present.
    pub fn get(&self, key: &str) -> Result<&str, FormatError> {
        self.meta
            .get(key)
            .map(String::as_str)
            .ok_or_else(|| FormatError::new(K::Missing, format!("metadata entry \"{key}\" is missing")))
    }

    /// A metadata entry parsed with `FromStr`; `what` names the expected kind of value.
    pub fn parse_entry<T: std::str::FromStr>(&self, key: &str, what: &str) -> Result<T, FormatError> {
        let s = self.get(key)?;
        s.parse().map_err(|_| FormatError::new(K::BadValue, format!("metadata entry \"{key}\" = {s:?} is not {what}")))
    }

    /// The dimensions of an F32 matrix tensor: checks presence, dtype and rank (not the
    /// dimensions).
    pub fn matrix_dim(&self, name: &str) -> Result<(usize, usize), FormatError> {
        self.matrix_info(name).map(|(_, dim)| dim)
    }

    fn matrix_info(&self, name: &str) -> Result<(&RawTensor<'a>, (usize, usize)), FormatError> {
        let t =
            self.tensors.get(name).ok_or_else(|| FormatError::new(K::Missing, format!("tensor {name} is missing")))?;
        if t.dtype != Dtype::F32 {
            return Err(FormatError::new(K::BadDtype, format!("tensor {name} has dtype {}, expected F32", t.dtype)));
        }
        match t.shape[..] {
            [r, c] => Ok((t, (r, c))),
            _ => Err(FormatError::new(
                K::BadShape,
                format!("tensor {name} has shape {:?}, expected a matrix [n_in, n_out]", t.shape),
            )),
        }
    }

    /// Reads an F32 tensor of shape `want`, requiring finite values (and, if `non_negative`,
    /// values ≥ 0). Errors name the tensor and the index.
    pub fn matrix(&self, name: &str, want: (usize, usize), non_negative: bool) -> Result<Array2<f32>, FormatError> {
        let (t, dim) = self.matrix_info(name)?;
        if dim != want {
            return Err(FormatError::new(
                K::BadShape,
                format!("tensor {name} has shape [{}, {}], expected [{}, {}]", dim.0, dim.1, want.0, want.1),
            ));
        }
        let values: Vec<f32> = t.data.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        let bad = values.iter().position(|x| !x.is_finite() || (non_negative && *x < 0.0));
        if let Some(i) = bad {
            let (r, c) = (i / dim.1, i % dim.1);
            let need = if non_negative { "finite and non-negative" } else { "finite" };
            return Err(FormatError::new(
                K::NonFinite,
                format!("tensor {name} element [{r}, {c}] is {}; values must be {need}", values[i]),
            ));
        }
        Array2::from_shape_vec(dim, values).map_err(|e| FormatError::new(K::BadShape, format!("tensor {name}: {e}")))
    }
}

/// `" (this is a training checkpoint, not a model file)"` when `found` and `expected` are both
/// formats of this crate, else nothing.
fn hint(found: &str, expected: &str) -> String {
    let noun = |name: &str| KNOWN.iter().find(|f| f.name == name).map(|f| f.noun);
    match (noun(found), noun(expected)) {
        (Some(a), Some(b)) => format!(" (this is a {a}, not a {b})"),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_then_parse() {
        let meta = BTreeMap::from([("format".to_string(), MODEL.name.to_string()), ("k".to_string(), "v".to_string())]);
        let a = [1.0f32, -0.0, f32::MIN_POSITIVE, 4.0, 5.0, 6.0];
        let b = [0.5f32, -1.0];
        let bytes = write(&meta, &[("a", [2, 3], &a), ("b", [1, 2], &b)]).unwrap();
        assert_eq!(bytes.len() % 4, 0);
        SafeTensors::deserialize(&bytes).expect("readable by the safetensors crate");
        let c = Container::parse(&bytes, MODEL).unwrap();
        assert_eq!(c.meta, meta);
        c.expect_names(&["a".to_string(), "b".to_string()]).unwrap();
        let m = c.matrix("a", (2, 3), false).unwrap();
        assert!(m.iter().zip(&a).all(|(x, y)| x.to_bits() == y.to_bits()));
        assert_eq!(
            c.matrix("b", (1, 2), true).unwrap_err(),
            FormatError::new(K::NonFinite, "tensor b element [0, 1] is -1; values must be finite and non-negative")
        );
        assert_eq!(
            c.matrix("b", (2, 1), false).unwrap_err(),
            FormatError::new(K::BadShape, "tensor b has shape [1, 2], expected [2, 1]")
        );
        assert_eq!(c.matrix_dim("c").unwrap_err(), FormatError::new(K::Missing, "tensor c is missing"));
    }

    #[test]
    fn format_hints() {
        let meta = |f: &str| BTreeMap::from([("format".to_string(), f.to_string())]);
        let err = |f: &str, want: Format| {
            let e = Container::parse(&write(&meta(f), &[]).unwrap(), want).err().unwrap();
            assert_eq!(e.kind, K::WrongFormat);
            e.msg
        };
        assert_eq!(
            err(CHECKPOINT.name, MODEL),
            "format is \"multispike-ckpt-v1\", expected \"multispike-v1\" (this is a training checkpoint, not a model file)"
        );
        assert_eq!(
            err(MODEL.name, CHECKPOINT),
            "format is \"multispike-v1\", expected \"multispike-ckpt-v1\" (this is a model file, not a training checkpoint)"
        );
        assert_eq!(err("other", MODEL), "format is \"other\", expected \"multispike-v1\"");
        assert!(Container::parse(&write(&meta(MODEL.name), &[]).unwrap(), MODEL).is_ok());
    }
}
