//! The Yin-Yang data set (Kriener, Göltz, Petrovici 2021, arXiv 2102.08211): points (x, y) of
//! the unit square inside a circle of radius 0.5, labelled yin (0), yang (1) or dot (2), generated
//! by the published rejection-sampling recipe: draw the goal class uniformly, then draw points
//! uniformly in [0, 1]² until one is inside the big circle and of that class. The class equations
//! and radii (0.5, 0.1) and the split sizes and seeds (training 5000 with seed 42, validation 1000
//! with 41, test 1000 with 40) are the published ones. The random numbers are ChaCha8, not NumPy's
//! MT19937, so the points are not those of the Python code (same distribution, deterministic from
//! the seed: the same seed gives the same points on every platform).
//!
//! Encoding (exact-timing SNN papers use the same symmetric inputs, e.g. Fast & Deep): the four
//! values v ∈ {x, y, 1−x, 1−y} become spikes at t = t_out (0.05 + 0.9 v), inside (0, t_out), and a
//! fifth input, the bias, spikes at t = 0: 5 inputs.

use super::samples::TimedSet;
use crate::error::Result;
use rand::{Rng, SeedableRng};

/// Radius of the big circle.
pub const R_BIG: f64 = 0.5;
/// Radius of the two dots.
pub const R_SMALL: f64 = 0.1;
/// Inputs per point: x, y, 1 − x, 1 − y and the bias.
pub const INPUTS: usize = 5;
/// Classes: yin, yang, dot.
pub const CLASSES: usize = 3;
/// Published split sizes.
pub const TRAIN_SIZE: usize = 5000;
pub const VALIDATION_SIZE: usize = 1000;
pub const TEST_SIZE: usize = 1000;
/// Earliest and latest value time, in units of t_out.
pub const T_EARLY: f64 = 0.05;
pub const T_LATE: f64 = 0.95;
/// Time of the bias spike, in units of t_out.
pub const T_BIAS: f64 = 0.0;

/// Our Yin-Yang recipe (the CLI's `--dataset yin-yang` defaults and the playground's): one hidden
/// layer of 120 (as Fast & Deep), batches of 20, Adam lr 3e-3, and a Gaussian init per weight
/// layer whose first-layer mean is large enough for 5 inputs to make the hidden neurons fire
/// (a single input spike of weight w lifts V by at most w·τ_I/4).
pub const RECIPE_HIDDEN: usize = 120;
pub const RECIPE_BATCH: usize = 20;
pub const RECIPE_LR: f64 = 3e-3;
/// (mean, std) of the input→hidden weights and of every later layer.
pub const RECIPE_INIT: [[f64; 2]; 2] = [[1.5, 0.8], [0.0, 0.3]];

/// The three published splits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum YinYangSplit {
    Train,
    Validation,
    Test,
}

impl YinYangSplit {
    /// Size and seed of the split (the published ones).
    pub fn size_and_seed(self) -> (usize, u64) {
        match self {
            YinYangSplit::Train => (TRAIN_SIZE, 42),
            YinYangSplit::Validation => (VALIDATION_SIZE, 41),
            YinYangSplit::Test => (TEST_SIZE, 40),
        }
    }
}

/// Class of a point of the big circle (0 yin, 1 yang, 2 dot); the published equations.
pub fn which_class(x: f64, y: f64) -> u8 {
    let d_right = ((x - 1.5 * R_BIG).powi(2) + (y - R_BIG).powi(2)).sqrt();
    let d_left = ((x - 0.5 * R_BIG).powi(2) + (y - R_BIG).powi(2)).sqrt();
    let c1 = d_right <= R_SMALL;
    let c2 = d_left > R_SMALL && d_left <= 0.5 * R_BIG;
    let c3 = y > R_BIG && d_right > 0.5 * R_BIG;
    if d_right < R_SMALL || d_left < R_SMALL {
        2
    } else {
        u8::from(c1 || c2 || c3)
    }
}

/// Whether (x, y) lies inside the big circle (where the classes are defined).
pub fn inside(x: f64, y: f64) -> bool {
    ((x - R_BIG).powi(2) + (y - R_BIG).powi(2)).sqrt() <= R_BIG
}

/// `size` points and their labels from `seed`, class-balanced in expectation.
pub fn generate(size: usize, seed: u64) -> (Vec<[f64; 2]>, Vec<u8>) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut points = Vec::with_capacity(size);
    let mut labels = Vec::with_capacity(size);
    for _ in 0..size {
        let goal = rng.random_range(0..CLASSES as u8);
        loop {
            let x = rng.random::<f64>() * 2.0 * R_BIG;
            let y = rng.random::<f64>() * 2.0 * R_BIG;
            if !inside(x, y) {
                continue;
            }
            if which_class(x, y) == goal {
                points.push([x, y]);
                labels.push(goal);
                break;
            }
        }
    }
    (points, labels)
}

/// Unit spike times of a point (see the module docs), in input order x, y, 1−x, 1−y, bias.
pub fn encode(x: f64, y: f64) -> [f64; INPUTS] {
    let t = |v: f64| T_EARLY + (T_LATE - T_EARLY) * v;
    [t(x), t(y), t(1.0 - x), t(1.0 - y), T_BIAS]
}

/// A time-coded set of labelled points.
pub fn timed_set(points: &[[f64; 2]], labels: &[u8]) -> Result<TimedSet> {
    let times = points.iter().flat_map(|p| encode(p[0], p[1])).collect();
    TimedSet::new(times, labels.to_vec(), INPUTS, CLASSES)
}

/// One published split, as points and as a time-coded set.
pub fn split(which: YinYangSplit) -> (Vec<[f64; 2]>, TimedSet) {
    let (size, seed) = which.size_and_seed();
    let (points, labels) = generate(size, seed);
    // Cannot fail: the shapes and labels are right by construction, the times finite in [0, 1).
    let set = timed_set(&points, &labels).expect("generated Yin-Yang points are valid");
    (points, set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_of_known_points() {
        // The centres of the dots are dots; left half of the bottom is yang ... as in the paper's figure.
        assert_eq!(which_class(0.25, 0.5), 2);
        assert_eq!(which_class(0.75, 0.5), 2);
        assert_eq!(which_class(0.25, 0.65), 1 - which_class(0.75, 0.65));
        assert!(inside(0.5, 0.5) && !inside(0.05, 0.05));
    }

    #[test]
    fn same_seed_same_points_and_balanced() {
        let (a, la) = generate(3000, 42);
        let (b, lb) = generate(3000, 42);
        assert_eq!((a.clone(), la.clone()), (b, lb));
        assert_ne!(generate(10, 41).0, a[..10].to_vec());
        for (p, &l) in a.iter().zip(&la) {
            assert!(inside(p[0], p[1]));
            assert_eq!(which_class(p[0], p[1]), l);
        }
        for c in 0..3 {
            let k = la.iter().filter(|&&l| l == c).count();
            assert!((850..1150).contains(&k), "class {c}: {k} of 3000");
        }
    }

    #[test]
    fn encoding_is_symmetric_and_inside_the_window() {
        let t = encode(0.2, 0.9);
        assert!((t[0] + t[2] - (2.0 * T_EARLY + (T_LATE - T_EARLY))).abs() < 1e-15);
        assert!(t.iter().all(|&u| (0.0..1.0).contains(&u)));
        assert_eq!(t[4], T_BIAS);
    }
}
