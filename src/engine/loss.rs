//! Loss of the paper (eq. 22–24): softmax cross-entropy on v_out, the dead-neuron penalty on the
//! hidden membranes at t_out, and a small L2 term on v_out.
//!
//!   𝔏 = −log softmax(v_out)_label + λ Σ_l (1/J_l) Σ_j P_lj (V_th − v_lj) + σ (1/N_out) ‖v_out‖²

use crate::engine::config::V_TH;
use serde::{Deserialize, Serialize};

/// Weights of the loss terms. Paper defaults: λ = 0.01, σ = 1e-4.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LossWeights {
    pub lambda: f64,
    pub sigma: f64,
}

impl Default for LossWeights {
    fn default() -> Self {
        LossWeights { lambda: 0.01, sigma: 1e-4 }
    }
}

/// Output part of the loss for one sample: (CE + σ term, dL/dv_out, decision).
/// The decision is `None` when the largest output is shared (e.g. a network that emitted no
/// hidden spike has v_out = 0 everywhere): such a sample counts as wrong, never as class 0.
pub fn output_loss(v_out: &[f64], label: usize, sigma: f64) -> (f64, Vec<f64>, Option<usize>) {
    let mut grad = Vec::new();
    let (loss, pred) = output_loss_into(v_out, label, sigma, &mut grad);
    (loss, grad, pred)
}

/// [`output_loss`] with dL/dv_out written into a reused `grad`: (loss, decision).
pub fn output_loss_into(v_out: &[f64], label: usize, sigma: f64, grad: &mut Vec<f64>) -> (f64, Option<usize>) {
    let n = v_out.len() as f64;
    let m = v_out.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    grad.clear();
    grad.extend(v_out.iter().map(|&v| (v - m).exp())); // the exponentials first
    let sum: f64 = grad.iter().sum();
    let ce = -(v_out[label] - m - sum.ln());
    let l2: f64 = v_out.iter().map(|v| v * v).sum::<f64>() * sigma / n;
    for (o, (e, &v)) in grad.iter_mut().zip(v_out).enumerate() {
        *e = *e / sum - if o == label { 1.0 } else { 0.0 } + 2.0 * sigma * v / n;
    }
    (ce + l2, decision(v_out))
}

/// The predicted class: the index of the strictly largest output, or `None` on a tie or NaN.
pub fn decision(v: &[f64]) -> Option<usize> {
    let best = argmax(v);
    let m = v.get(best).copied()?;
    if m.is_nan() || v.iter().enumerate().any(|(i, &x)| i != best && x == m) {
        None
    } else {
        Some(best)
    }
}

/// Dead-neuron penalty of one hidden layer: (λ/J) Σ_j P_j (V_th − v_j) and its gradient dL/dv_j.
pub fn dead_penalty(v_end: &[f64], flags: &[bool], lambda: f64) -> (f64, Vec<f64>) {
    let mut grad = Vec::new();
    let loss = dead_penalty_into(v_end, flags, lambda, &mut grad);
    (loss, grad)
}

/// [`dead_penalty`] with dL/dv_j written into a reused `grad`; returns the penalty.
pub fn dead_penalty_into(v_end: &[f64], flags: &[bool], lambda: f64, grad: &mut Vec<f64>) -> f64 {
    let j = v_end.len() as f64;
    let mut loss = 0.0;
    grad.clear();
    grad.extend(v_end.iter().zip(flags).map(|(&v, &p)| {
        if p {
            loss += (V_TH - v) * lambda / j;
            -lambda / j
        } else {
            0.0
        }
    }));
    loss
}

/// Index of the largest entry (first one on ties; NaN never wins).
pub fn argmax(v: &[f64]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] || v[best].is_nan() {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_gradient_matches_finite_differences() {
        let v = [0.3, -1.2, 2.0, 0.7];
        let (_, g, pred) = output_loss(&v, 1, 0.05);
        assert_eq!(pred, Some(2));
        assert_eq!(decision(&[0.0; 4]), None);
        assert_eq!(decision(&[1.0, 3.0, 3.0]), None);
        assert_eq!(decision(&[1.0, 3.0, 2.0]), Some(1));
        for o in 0..4 {
            let h = 1e-6;
            let mut vp = v;
            vp[o] += h;
            let mut vm = v;
            vm[o] -= h;
            let fd = (output_loss(&vp, 1, 0.05).0 - output_loss(&vm, 1, 0.05).0) / (2.0 * h);
            assert!((fd - g[o]).abs() < 1e-8, "{o}: {fd} vs {}", g[o]);
        }
    }

    #[test]
    fn penalty_only_on_flagged() {
        let (l, g) = dead_penalty(&[0.5, 0.2], &[true, false], 0.01);
        assert!((l - 0.5 * 0.01 / 2.0).abs() < 1e-15);
        assert_eq!(g, vec![-0.005, 0.0]);
    }
}
