//! Every gradient entry of the hand-written backward pass against central finite differences
//! in f64, on random small nets, both modes, 1–3 hidden layers, with λ, σ ≠ 0. Entries whose
//! perturbation changes a spike count (where the loss is discontinuous) are skipped and counted.

mod common;
use common::*;
use multispike::loss::{dead_penalty, output_loss};
use multispike::{Mode, Network};
use rand::Rng;

/// Analytic gradient of the full sample loss.
fn analytic(
    net: &Network,
    input: &[f64],
    label: usize,
    lambda: f64,
    sigma: f64,
    flags: &[Vec<bool>],
) -> (Vec<Vec<f64>>, u64) {
    let tr = net.forward_times(input).unwrap();
    let (_, dv, _) = output_loss(&tr.v_out, label, sigma);
    let gh: Vec<Vec<f64>> = tr.hidden.iter().zip(flags).map(|(h, f)| dead_penalty(&h.v_end, f, lambda).1).collect();
    let mut g = net.zero_grads();
    let st = net.backward(&tr, &dv, &gh, &mut g, &mut Default::default());
    assert_eq!(st.non_finite, 0);
    (g, st.guarded)
}

#[test]
#[allow(clippy::needless_range_loop)] // (layer, entry) index weights, gradients and perturbations alike
fn gradients_match_central_finite_differences() {
    let mut r = rng(2024);
    let (lambda, sigma) = (0.3, 0.05);
    let (mut checked, mut skipped, mut nets) = (0usize, 0usize, 0usize);
    let mut worst = 0.0f64;
    let mut spiking_layers_seen = 0;
    for &tau in &[0.05, 0.2, 0.8, 3.0, 10.0] {
        for mode in [Mode::Multi, Mode::Single] {
            for layers in [&[8usize, 6, 4][..], &[8, 5, 5, 3][..], &[7, 4, 4, 4, 3][..]] {
                for drive in [0.2, 0.6] {
                    let net = random_net(&mut r, layers, tau, mode, drive);
                    let input = random_inputs(&mut r, layers[0], 1.0);
                    let label = r.random_range(0..*layers.last().unwrap());
                    let flags: Vec<Vec<bool>> = layers[1..layers.len() - 1]
                        .iter()
                        .map(|&n| (0..n).map(|_| r.random::<bool>()).collect())
                        .collect();
                    let (g, guarded) = analytic(&net, &input, label, lambda, sigma, &flags);
                    if guarded > 0 {
                        continue; // grazing crossing: the gradient is clamped by design
                    }
                    nets += 1;
                    let base_counts = counts(&net, &input);
                    spiking_layers_seen += base_counts.iter().filter(|c| c.iter().any(|&x| x > 1)).count();
                    let gmax = g.iter().flatten().fold(0.0f64, |m, x| m.max(x.abs()));
                    for l in 0..g.len() {
                        for e in 0..g[l].len() {
                            let w0 = net.weights()[l].as_slice().unwrap()[e];
                            // Small enough that the O(h²) truncation error is negligible at τ_I = 0.05 (steep dynamics),
                            // large enough to span many f32 ulps; the actual perturbation is measured exactly.
                            let h = 1e-5 * (1.0 + w0.abs() as f64);
                            let perturbed = |delta: f64| {
                                let mut n2 = net.clone();
                                let w = &mut n2.weight_slices_mut()[l][e];
                                *w = (w0 as f64 + delta) as f32;
                                let actual = *w as f64 - w0 as f64;
                                (n2, actual)
                            };
                            let central = |step: f64| {
                                let (np, hp) = perturbed(step);
                                let (nm, hm) = perturbed(-step);
                                let same = counts(&np, &input) == base_counts && counts(&nm, &input) == base_counts;
                                let fd = (sample_loss(&np, &input, label, lambda, sigma, &flags)
                                    - sample_loss(&nm, &input, label, lambda, sigma, &flags))
                                    / (hp - hm);
                                (fd, same, hp - hm)
                            };
                            let (fd1, same1, span) = central(h);
                            let (fd2, same2, _) = central(h / 2.0);
                            if !(same1 && same2) {
                                skipped += 1;
                                continue;
                            }
                            // Richardson extrapolation cancels the O(h²) truncation term.
                            let fd = (4.0 * fd2 - fd1) / 3.0;
                            // Tolerance: 1e-5 relative, plus absolute floors for FD rounding noise on entries
                            // that are tiny by comparison: 1e-6 of the largest entry, and a loss-evaluation
                            // error of 1e-13 (z reaches e^20 at τ_I = 0.05) amplified by the step and Richardson.
                            let noise = 4e-13 / span;
                            let err = (fd - g[l][e]).abs() / (1e-6 * gmax + 1e-5 * fd.abs().max(g[l][e].abs()) + noise);
                            worst = worst.max(err);
                            assert!(
                                err <= 1.0,
                                "tau {tau} {mode} {layers:?} layer {l} entry {e}: fd {fd} vs analytic {} (gmax {gmax})",
                                g[l][e]
                            );
                            checked += 1;
                        }
                    }
                }
            }
        }
    }
    eprintln!("checked {checked} entries on {nets} nets, skipped {skipped}, worst error/tolerance {worst:.3}");
    assert!(nets >= 50, "too many nets skipped as grazing: {nets}");
    assert!(spiking_layers_seen > 10, "multi-spike neurons too rare");
    assert!(skipped * 50 < checked, "skipped {skipped} of {checked}");
}
