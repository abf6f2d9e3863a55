//! Membrane traces V(t) (the Fig. 2 view, `multispike::traces`) against the brute-force ODE
//! integrator of `tests/common`, for output neurons and for hidden neurons with resets, on random
//! small nets (both modes, τ_I from 0.1 to 10, 1 and 2 hidden layers), and the prediction record.

mod common;
use common::*;
use multispike::traces::{membrane, predict, time_grid};
use multispike::{Mode, NetConfig, Network};

#[test]
fn traces_match_brute_force_ode() {
    let mut r = rng(21);
    let mut resets_seen = 0;
    let mut compared = 0;
    for &tau in &[0.1, 0.25, 0.8, 2.0, 10.0] {
        for mode in [Mode::Multi, Mode::Single] {
            for layers in [&[12usize, 8, 5][..], &[10, 6, 5, 4][..]] {
                for drive in [0.0, 0.6] {
                    let net = random_net(&mut r, layers, tau, mode, drive);
                    let input = random_inputs(&mut r, layers[0], 1.0);
                    let tr = net.forward_times(&input).unwrap();
                    // a grid that avoids exact spike times (the value jumps there), 0 and t_out included
                    let grid: Vec<f64> = time_grid(1.0, 257);
                    let nl = layers.len() - 1;
                    for layer in 0..nl {
                        let n = layers[layer + 1];
                        let neurons: Vec<usize> = (0..n).collect();
                        let rows = membrane(&net, &input, &tr, layer, &neurons, &grid).unwrap();
                        for &j in &neurons {
                            let ode = ode_membrane(&net, &input, layer, j, &grid);
                            let scale = 1.0 + ode.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                            for (k, (a, b)) in rows[j].iter().zip(&ode).enumerate() {
                                // right after a reset both are ~0; near a crossing a spike-time
                                // difference of 1e-9 changes V by at most |dV/dt|·1e-9
                                assert!(
                                    (a - b).abs() < 1e-6 * scale,
                                    "tau {tau} {mode} {layers:?} layer {layer} neuron {j} t {}: {a} vs {b}",
                                    grid[k]
                                );
                                compared += 1;
                            }
                            if layer + 1 < nl {
                                resets_seen += tr.hidden[layer].counts[j] as usize;
                            } else {
                                // the last grid point is t_out: the read-out value itself
                                let v = *rows[j].last().unwrap();
                                assert!((v - tr.v_out[j]).abs() < 1e-9 * (1.0 + v.abs()), "{v} vs {}", tr.v_out[j]);
                            }
                        }
                        if layer + 1 < nl {
                            for (j, row) in rows.iter().enumerate() {
                                let v = *row.last().unwrap();
                                let e = tr.hidden[layer].v_end[j];
                                assert!((v - e).abs() < 1e-9 * (1.0 + e.abs()), "V_j(t_out) {v} vs {e}");
                                // a neuron that may still fire never stays above threshold
                                if mode == Mode::Multi && tr.hidden[layer].counts[j] < net.config().max_spikes {
                                    assert!(row.iter().all(|&x| x <= 1.0 + 1e-9), "a hidden V above threshold");
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(resets_seen > 200, "only {resets_seen} resets exercised");
    assert!(compared > 50_000);
}

#[test]
fn prediction_record_is_consistent() {
    let mut r = rng(4);
    let net = random_net(&mut r, &[784, 30, 10], 0.8, Mode::Multi, 0.4);
    let pixels: Vec<u8> = (0..784).map(|i| if (i / 28) % 5 == 0 { ((i * 13) % 256) as u8 } else { 0 }).collect();
    let p = predict(&net, &pixels, 51).unwrap();
    let times: Vec<f64> = pixels.iter().map(|&x| 1.0 - x as f64 / 255.0).collect();
    let tr = net.forward_times(&times).unwrap();
    assert_eq!(p.n_spikes, tr.hidden_spikes());
    assert_eq!(p.spike_time.len(), p.n_spikes);
    assert_eq!(p.grid.len(), 51);
    assert_eq!(p.v_trace.len(), 10 * 51);
    let s: f32 = p.probabilities.iter().sum();
    assert!((s - 1.0).abs() < 1e-5);
    let class = p.class.expect("random weights do not tie");
    assert_eq!(p.class, multispike::loss::decision(&tr.v_out));
    for o in 0..10 {
        assert!((p.v_trace[o * 51 + 50] as f64 - tr.v_out[o]).abs() < 1e-5 * (1.0 + tr.v_out[o].abs()));
        assert!(p.probabilities[o] <= p.probabilities[class]);
    }
    assert!(p.spike_time.iter().all(|&t| (0.0..1.0).contains(&t)));
    assert!(predict(&net, &pixels[..100], 51).is_err());
    assert!(predict(&net, &pixels, 1).is_err());
    // a net with no hidden layer has no raster and still traces its outputs
    let flat = Network::init_gaussian(NetConfig::new(vec![784, 10], 0.8, Mode::Multi), 1, 0.0, 0.1).unwrap();
    let q = predict(&flat, &pixels, 11).unwrap();
    assert_eq!((q.n_spikes, q.v_trace.len()), (0, 110));
    // a tie (all outputs 0: no input spike reaches them) is undecided, never class 0
    let silent = predict(&net, &[0; 784], 11).unwrap();
    assert!(silent.v_out.iter().all(|&v| v == 0.0) && silent.class.is_none(), "{:?}", silent.v_out);
}
