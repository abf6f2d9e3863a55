//! What training and evaluation see of a data set: labelled examples that become input spike
//! events. Two kinds implement it:
//! - [`Dataset`]: images (MNIST, Fashion-MNIST), one latency-coded spike per pixel;
//! - [`TimedSet`]: examples given directly as input spike times in units of t_out (Yin-Yang),
//!   so they do not depend on τ_I or t_out and stay exact (no 8-bit quantisation).

use super::mnist::Dataset;
use crate::engine::encoding::PixelEncoder;
use crate::engine::events::Events;
use crate::error::{Error, Result};

/// Labelled examples, each turned into the input events of a network.
pub trait Samples: Sync {
    /// Number of examples.
    fn len(&self) -> usize;
    /// True when there is no example.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Inputs per example (the network's first layer size).
    fn input_dim(&self) -> usize;
    /// Label of example `i`.
    fn label(&self, i: usize) -> u8;
    /// Input events of example `i` under `enc` (which knows τ_I and t_out).
    fn events(&self, i: usize, enc: &PixelEncoder) -> Events;
    /// Like [`Samples::events`], into `out`, reusing its buffers where the data set can.
    fn events_into(&self, i: usize, enc: &PixelEncoder, out: &mut Events) {
        *out = self.events(i, enc);
    }
    /// What an example and one of its inputs are called in shape errors: ("examples", "inputs"),
    /// or ("images", "pixels") for image data sets.
    fn nouns(&self) -> (&'static str, &'static str) {
        ("examples", "inputs")
    }
}

impl Samples for Dataset {
    fn len(&self) -> usize {
        self.n
    }
    fn input_dim(&self) -> usize {
        self.dim
    }
    fn label(&self, i: usize) -> u8 {
        self.labels[i]
    }
    fn events(&self, i: usize, enc: &PixelEncoder) -> Events {
        enc.events(self.image(i))
    }
    fn events_into(&self, i: usize, enc: &PixelEncoder, out: &mut Events) {
        enc.events_into(self.image(i), out)
    }
    fn nouns(&self) -> (&'static str, &'static str) {
        ("images", "pixels")
    }
}

/// Examples given as input spike times in units of t_out (t = t_out · u; u ≥ 1 or +∞: no spike).
#[derive(Clone, Debug, PartialEq)]
pub struct TimedSet {
    /// `n * dim` unit times, example after example.
    pub times: Vec<f64>,
    pub labels: Vec<u8>,
    pub dim: usize,
    /// Number of classes (labels are below it).
    pub classes: usize,
}

impl TimedSet {
    /// Checks the shapes, the labels (< `classes`) and the times (finite or +∞, ≥ 0).
    pub fn new(times: Vec<f64>, labels: Vec<u8>, dim: usize, classes: usize) -> Result<TimedSet> {
        if dim == 0 || times.len() != labels.len() * dim {
            return Err(Error::Shape(format!(
                "{} spike times for {} examples of {dim} inputs",
                times.len(),
                labels.len()
            )));
        }
        if let Some((i, &l)) = labels.iter().enumerate().find(|(_, &l)| usize::from(l) >= classes) {
            return Err(Error::Shape(format!("label {l} at index {i} is not below {classes}")));
        }
        if let Some((i, t)) = times.iter().enumerate().find(|(_, t)| t.is_nan() || **t < 0.0) {
            return Err(Error::NonFinite(format!("spike time {i} is {t}; times must be ≥ 0 (or +inf for none)")));
        }
        Ok(TimedSet { times, labels, dim, classes })
    }

    /// Unit spike times of example `i`.
    pub fn example(&self, i: usize) -> &[f64] {
        &self.times[i * self.dim..(i + 1) * self.dim]
    }

    /// How many examples each class has.
    pub fn label_counts(&self) -> Vec<usize> {
        let mut c = vec![0; self.classes];
        for &l in &self.labels {
            c[usize::from(l)] += 1;
        }
        c
    }

    /// The first `limit` examples (all of them when `limit >= len`).
    pub fn head(&self, limit: usize) -> TimedSet {
        let n = limit.min(self.labels.len());
        TimedSet {
            times: self.times[..n * self.dim].to_vec(),
            labels: self.labels[..n].to_vec(),
            dim: self.dim,
            classes: self.classes,
        }
    }
}

impl Samples for TimedSet {
    fn len(&self) -> usize {
        self.labels.len()
    }
    fn input_dim(&self) -> usize {
        self.dim
    }
    fn label(&self, i: usize) -> u8 {
        self.labels[i]
    }
    fn events(&self, i: usize, enc: &PixelEncoder) -> Events {
        let t_out = enc.t_out();
        let times: Vec<f64> = self.example(i).iter().map(|&u| u * t_out).collect();
        enc.events_of_times(&times)
    }
}

/// The examples of any data set of the table, as loaded by [`super::load_split`].
#[derive(Clone, Debug, PartialEq)]
pub enum Examples {
    /// An image data set (MNIST, Fashion-MNIST).
    Images(Dataset),
    /// A time-coded data set (Yin-Yang).
    Timed(TimedSet),
}

impl Examples {
    /// The first `limit` examples (all of them when `limit >= len`).
    pub fn head(&self, limit: usize) -> Examples {
        match self {
            Examples::Images(d) => Examples::Images(d.head(limit)),
            Examples::Timed(t) => Examples::Timed(t.head(limit)),
        }
    }

    /// sha256 (hex) of the inputs and labels, so that a resumed run can tell it sees the same data.
    /// For images: of the pixels, then the labels (the fingerprint checkpoints have always held).
    pub fn fingerprint(&self) -> String {
        use std::io::Read as _;
        let r = match self {
            Examples::Images(d) => super::fetch::sha256_hex(d.images.as_slice().chain(d.labels.as_slice())),
            Examples::Timed(t) => {
                let bytes: Vec<u8> = t.times.iter().flat_map(|x| x.to_le_bytes()).collect();
                super::fetch::sha256_hex(bytes.as_slice().chain(t.labels.as_slice()))
            }
        };
        // Reading from memory cannot fail.
        r.unwrap_or_default()
    }

    /// The images, for image data sets.
    pub fn images(&self) -> Option<&Dataset> {
        match self {
            Examples::Images(d) => Some(d),
            Examples::Timed(_) => None,
        }
    }
}

impl Samples for Examples {
    fn len(&self) -> usize {
        match self {
            Examples::Images(d) => d.len(),
            Examples::Timed(t) => t.len(),
        }
    }
    fn input_dim(&self) -> usize {
        match self {
            Examples::Images(d) => d.input_dim(),
            Examples::Timed(t) => t.input_dim(),
        }
    }
    fn label(&self, i: usize) -> u8 {
        match self {
            Examples::Images(d) => d.label(i),
            Examples::Timed(t) => t.label(i),
        }
    }
    fn events(&self, i: usize, enc: &PixelEncoder) -> Events {
        match self {
            Examples::Images(d) => d.events(i, enc),
            Examples::Timed(t) => t.events(i, enc),
        }
    }
    fn events_into(&self, i: usize, enc: &PixelEncoder, out: &mut Events) {
        match self {
            Examples::Images(d) => d.events_into(i, enc, out),
            Examples::Timed(t) => t.events_into(i, enc, out),
        }
    }
    fn nouns(&self) -> (&'static str, &'static str) {
        match self {
            Examples::Images(d) => d.nouns(),
            Examples::Timed(t) => t.nouns(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timed_set_validates_and_encodes() {
        let s = TimedSet::new(vec![0.0, 0.5, 2.0, 0.25, f64::INFINITY, 0.5], vec![0, 2], 3, 3).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s.label_counts(), vec![1, 0, 1]);
        let enc = PixelEncoder::new(0.8, 2.0);
        let ev = s.events(0, &enc);
        // u = 0, 0.5 → t = 0, 1 (< t_out = 2); u = 2 → t = 4, dropped.
        assert_eq!(ev.levels(), 2);
        assert_eq!(ev.src, vec![0, 1]);
        assert!((ev.z[1] - (1.0f64 / 0.8).exp()).abs() < 1e-12);
        assert!(TimedSet::new(vec![0.0; 5], vec![0, 1], 3, 3).is_err());
        assert!(TimedSet::new(vec![0.0; 6], vec![0, 3], 3, 3).is_err());
        assert!(TimedSet::new(vec![0.0, f64::NAN, 0.0], vec![0], 3, 3).is_err());
        assert_eq!(s.head(1).len(), 1);
    }
}
