//! Spike times and membrane potentials of the exact solver against an independent brute-force
//! ODE integration, on random small nets: both modes, τ_I from 0.05 to 10, ties, inputs at 0 and
//! at t_out, neurons firing 0 to ≥ 6 times, 1, 2 and 3 hidden layers.

mod common;
use common::*;
use multispike::Mode;

#[test]
fn spike_times_match_brute_force_ode() {
    let mut r = rng(7);
    let mut max_count = 0;
    let mut silent = 0;
    let mut compared_spikes = 0;
    for &tau in &[0.05, 0.1, 0.25, 0.8, 2.0, 10.0] {
        for mode in [Mode::Multi, Mode::Single] {
            for layers in [&[12usize, 8, 5][..], &[10, 6, 5, 4][..], &[9, 5, 5, 5, 3][..]] {
                for drive in [0.0, 0.3, 0.8] {
                    let net = random_net(&mut r, layers, tau, mode, drive);
                    let input = random_inputs(&mut r, layers[0], 1.0);
                    let tr = net.forward_times(&input).unwrap();
                    let ode = ode_reference(&net, &input);
                    for (l, h) in tr.hidden.iter().enumerate() {
                        for j in 0..h.counts.len() {
                            let mine: Vec<f64> =
                                h.spikes.iter().filter(|s| s.neuron as usize == j).map(|s| s.time(tau)).collect();
                            let theirs = &ode.spikes[l][j];
                            let ctx = format!("tau {tau} {mode} layers {layers:?} drive {drive} layer {l} neuron {j}: {mine:?} vs {theirs:?}");
                            assert_eq!(mine.len(), theirs.len(), "spike count differs: {ctx}");
                            for (a, b) in mine.iter().zip(theirs) {
                                assert!((a - b).abs() < 1e-7, "spike time differs: {ctx}");
                            }
                            compared_spikes += mine.len();
                            max_count = max_count.max(mine.len());
                            silent += mine.is_empty() as usize;
                            let (va, vb) = (h.v_end[j], ode.v_end[l][j]);
                            assert!((va - vb).abs() < 1e-7 * (1.0 + vb.abs()), "V(t_out) differs {va} vs {vb}: {ctx}");
                        }
                    }
                    for (a, b) in tr.v_out.iter().zip(&ode.v_out) {
                        assert!(
                            (a - b).abs() < 1e-7 * (1.0 + b.abs()),
                            "v_out {a} vs {b} (tau {tau} {mode} {layers:?})"
                        );
                    }
                    if mode == Mode::Single {
                        assert!(tr.hidden.iter().all(|h| h.counts.iter().all(|&c| c <= 1)));
                    }
                }
            }
        }
    }
    assert!(max_count >= 6, "no neuron fired 6 times (max {max_count})");
    assert!(silent > 0, "no silent neuron met");
    assert!(compared_spikes > 500, "only {compared_spikes} spikes compared");
}

#[test]
fn all_negative_weights_never_fire() {
    let mut r = rng(3);
    for &tau in &[0.05, 0.8, 10.0] {
        let mut net = random_net(&mut r, &[10, 6, 3], tau, Mode::Multi, 0.0);
        for w in net.weight_slices_mut() {
            w.iter_mut().for_each(|x| *x = -x.abs() - 0.01);
        }
        let tr = net.forward_times(&random_inputs(&mut r, 10, 1.0)).unwrap();
        assert_eq!(tr.hidden_spikes(), 0);
        assert!(tr.hidden[0].v_end.iter().all(|&v| v <= 0.0));
    }
}

#[test]
fn inputs_at_or_after_t_out_change_nothing() {
    let mut r = rng(5);
    let net = random_net(&mut r, &[8, 6, 3], 0.8, Mode::Multi, 0.5);
    let mut t = random_inputs(&mut r, 8, 1.0);
    let a = net.forward_times(&t).unwrap();
    t[1] = 1.0;
    t[4] = 7.0;
    let b = net.forward_times(&t).unwrap();
    t[1] = f64::INFINITY;
    t[4] = f64::INFINITY;
    let c = net.forward_times(&t).unwrap();
    assert_eq!(a.v_out, b.v_out);
    assert_eq!(a.v_out, c.v_out);
    assert_eq!(a.hidden[0].spikes, c.hidden[0].spikes);
}

#[test]
fn spike_cap_truncates_and_counts() {
    let mut r = rng(11);
    let mut net = random_net(&mut r, &[10, 6, 3], 0.1, Mode::Multi, 1.5);
    let input = random_inputs(&mut r, 10, 1.0);
    let full = net.forward_times(&input).unwrap();
    let most = *full.hidden[0].counts.iter().max().unwrap();
    assert!(most >= 3, "need a busy neuron, got {most}");
    let mut cfg = net.config().clone();
    cfg.max_spikes = 2;
    net = multispike::Network::new(cfg, net.weights().to_vec()).unwrap();
    let cut = net.forward_times(&input).unwrap();
    assert!(cut.hidden[0].counts.iter().all(|&c| c <= 2));
    let expect = full.hidden[0].counts.iter().filter(|&&c| c > 2).count() as u32;
    assert_eq!(cut.hidden[0].truncated, expect);
}
