//! Adam (Kingma & Ba) over the network's f32 weights, with f64 gradients in.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// The learning rate must be below this (and above 0).
pub const MAX_LR: f64 = 10.0;

/// Adam hyper-parameters (PyTorch defaults but lr).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdamConfig {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 }
    }
}

impl AdamConfig {
    pub fn validate(&self) -> Result<()> {
        if !(self.lr.is_finite() && self.lr > 0.0 && self.lr < MAX_LR) {
            return Err(Error::Config(format!("learning rate must be in (0, {MAX_LR}), got {}", self.lr)));
        }
        for (n, b) in [("beta1", self.beta1), ("beta2", self.beta2)] {
            if !(b.is_finite() && (0.0..1.0).contains(&b)) {
                return Err(Error::Config(format!("{n} must be in [0, 1), got {b}")));
            }
        }
        if !(self.eps.is_finite() && self.eps > 0.0) {
            return Err(Error::Config(format!("adam eps must be positive, got {}", self.eps)));
        }
        Ok(())
    }
}

/// Adam state: first and second moments per weight layer, and the step count.
#[derive(Clone, Debug, PartialEq)]
pub struct Adam {
    pub cfg: AdamConfig,
    pub m: Vec<Vec<f32>>,
    pub v: Vec<Vec<f32>>,
    pub t: u64,
}

impl Adam {
    /// Fresh state for layers of the given sizes (number of weights each).
    pub fn new(cfg: AdamConfig, sizes: &[usize]) -> Self {
        Adam {
            cfg,
            m: sizes.iter().map(|&n| vec![0.0; n]).collect(),
            v: sizes.iter().map(|&n| vec![0.0; n]).collect(),
            t: 0,
        }
    }

    /// One update step: w ← w − lr · m̂ / (√v̂ + eps).
    pub fn step(&mut self, weights: &mut [&mut [f32]], grads: &[Vec<f64>]) {
        let k = self.next_step();
        for ((w, g), (m, v)) in weights.iter_mut().zip(grads).zip(self.m.iter_mut().zip(self.v.iter_mut())) {
            crate::engine::kernels::adam_update(w, g, m, v, k);
        }
    }

    /// Counts one more step and returns its constants for [`crate::engine::kernels::adam_update`]:
    /// `[beta1, beta2, lr / (1 − beta1^t), √(1 − beta2^t), eps]`. The update is elementwise, so
    /// callers may apply it to any partition of the weights (in parallel) with the same result.
    pub fn next_step(&mut self) -> [f32; 5] {
        self.t += 1;
        let c = self.cfg;
        let bc1 = 1.0 - c.beta1.powi(self.t.min(i32::MAX as u64) as i32);
        let bc2 = 1.0 - c.beta2.powi(self.t.min(i32::MAX as u64) as i32);
        let step = c.lr / bc1;
        [c.beta1 as f32, c.beta2 as f32, step as f32, bc2.sqrt() as f32, c.eps as f32]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_step_moves_by_lr() {
        let mut w = [1.0f32, -1.0];
        let mut a = Adam::new(AdamConfig::default(), &[2]);
        a.step(&mut [&mut w[..]], &[vec![0.5, -2.0]]);
        assert!((w[0] - (1.0 - 1e-3)).abs() < 1e-6);
        assert!((w[1] - (-1.0 + 1e-3)).abs() < 1e-6);
        assert!(AdamConfig { lr: -1.0, ..Default::default() }.validate().is_err());
    }
}
