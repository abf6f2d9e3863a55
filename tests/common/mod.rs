//! Shared helpers of the integration tests: random small networks, an independent brute-force
//! ODE integrator, and the full loss of one sample.
#![allow(dead_code)]

use multispike::engine::dynamics::NeuronKernel;
use multispike::loss::{dead_penalty, output_loss};
use multispike::{Mode, NetConfig, Network};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// A random network whose weights are scaled by 1/τ_I so that neurons fire at every τ_I.
/// `drive` shifts the weight mean (more positive → more spikes).
pub fn random_net(r: &mut ChaCha8Rng, layers: &[usize], tau: f64, mode: Mode, drive: f64) -> Network {
    let mut cfg = NetConfig::new(layers.to_vec(), tau, mode);
    cfg.max_spikes = 40;
    let ws = (0..layers.len() - 1)
        .map(|l| {
            let n_in = layers[l] as f64;
            Array2::from_shape_fn((layers[l], layers[l + 1]), |_| {
                let g: f64 = r.random::<f64>() * 2.0 - 1.0 + drive;
                (g * 6.0 / (tau.min(1.0) * n_in.sqrt())) as f32
            })
        })
        .collect();
    Network::new(cfg, ws).unwrap()
}

/// Random input times in [0, t_out] with ties, inputs exactly at 0 and at t_out, and missing spikes.
pub fn random_inputs(r: &mut ChaCha8Rng, n: usize, t_out: f64) -> Vec<f64> {
    let mut t: Vec<f64> = (0..n).map(|_| r.random::<f64>() * t_out).collect();
    if n >= 6 {
        t[0] = 0.0;
        t[1] = t_out;
        t[2] = t[3]; // a tie
        t[4] = f64::INFINITY;
        t[5] = t[3]; // a triple tie
    }
    t
}

/// Result of the brute-force simulation.
pub struct OdeResult {
    /// Spike times per hidden layer per neuron.
    pub spikes: Vec<Vec<Vec<f64>>>,
    /// V(t_out) per hidden layer per neuron.
    pub v_end: Vec<Vec<f64>>,
    pub v_out: Vec<f64>,
}

/// One neuron under the brute-force integration: its spike times (if it may fire) and V at the
/// times `grid` (non-decreasing, ≤ t_out; a grid time that hits a spike sees the value after the
/// reset). `pre` holds the (time, presynaptic index) of the input events, sorted by time.
///
/// It integrates dI/dt = −I/τ_I + Σ w δ(t − t_i), dV/dt = −V/τ_V + I with τ_V = τ_I/p (p of the
/// network's neuron kernel: 2 today) by exact exponential propagation over small fixed steps,
/// detects V ≥ 1 at step ends and locates the crossing by bisection. It never uses the
/// closed-form quadratic (or any other closed form of the kernel: only its p).
fn simulate_neuron(
    net: &Network,
    layer: usize,
    neuron: usize,
    pre: &[(f64, usize)],
    grid: &[f64],
) -> (Vec<f64>, Vec<f64>) {
    let cfg = net.config();
    let tau_i = cfg.tau_i;
    let tau_v = tau_i / net.dynamics().kernel.p();
    let t_out = cfg.t_out;
    let dt = (tau_i / 2000.0).min(2e-4);
    let cap = cfg.spike_cap() as usize;
    let fires = layer + 2 < cfg.layers.len();
    let w = &net.weights()[layer];
    // Propagate (I, V) by s without input.
    let prop = |i0: f64, v0: f64, s: f64| -> (f64, f64) {
        let ei = (-s / tau_i).exp();
        let ev = (-s / tau_v).exp();
        let k = (ei - ev) / (1.0 / tau_v - 1.0 / tau_i);
        (i0 * ei, v0 * ev + i0 * k)
    };
    let (mut i_s, mut v, mut t) = (0.0f64, 0.0f64, 0.0f64);
    let (mut e, mut g) = (0usize, 0usize);
    let mut spikes = Vec::new();
    let mut samples = Vec::with_capacity(grid.len());
    loop {
        while g < grid.len() && grid[g] <= t {
            samples.push(v);
            g += 1;
        }
        while e < pre.len() && pre[e].0 <= t {
            i_s += w[[pre[e].1, neuron]] as f64;
            e += 1;
        }
        if g == grid.len() {
            break;
        }
        let next_ev = if e < pre.len() { pre[e].0 } else { f64::INFINITY };
        let t1 = (t + dt).min(next_ev).min(grid[g]);
        let (i1, v1) = prop(i_s, v, t1 - t);
        if fires && spikes.len() < cap && v1 >= 1.0 {
            // bisection for the first crossing in (t, t1]
            let (mut a, mut b) = (0.0, t1 - t);
            for _ in 0..200 {
                let m = 0.5 * (a + b);
                if prop(i_s, v, m).1 >= 1.0 {
                    b = m;
                } else {
                    a = m;
                }
                if b - a < 1e-15 * (1.0 + t) {
                    break;
                }
            }
            let ts = t + b;
            if ts < t_out {
                spikes.push(ts);
                i_s = prop(i_s, v, b).0;
                v = 0.0;
                t = ts;
                continue;
            }
        }
        i_s = i1;
        v = v1;
        t = t1;
    }
    (spikes, samples)
}

/// Input events of weight layer `layer`, sorted by time: the input spikes before t_out (layer 0)
/// or the spikes of the previous hidden layer.
fn layer_inputs(input: &[f64], t_out: f64, prev_spikes: Option<&Vec<Vec<f64>>>) -> Vec<(f64, usize)> {
    let mut pre: Vec<(f64, usize)> = match prev_spikes {
        None => input.iter().enumerate().filter(|(_, &t)| t < t_out).map(|(i, &t)| (t, i)).collect(),
        Some(sp) => sp.iter().enumerate().flat_map(|(j, s)| s.iter().map(move |&t| (t, j))).collect(),
    };
    pre.sort_by(|a, b| a.0.total_cmp(&b.0));
    pre
}

/// Independent reference for a whole network, layer by layer (see [`simulate_neuron`]).
pub fn ode_reference(net: &Network, input: &[f64]) -> OdeResult {
    let cfg = net.config();
    let t_out = cfg.t_out;
    let mut res = OdeResult { spikes: vec![], v_end: vec![], v_out: vec![] };
    let nl = cfg.layers.len() - 1;
    for l in 0..nl {
        let pre = layer_inputs(input, t_out, res.spikes.last());
        let sims: Vec<(Vec<f64>, Vec<f64>)> =
            (0..cfg.layers[l + 1]).map(|j| simulate_neuron(net, l, j, &pre, &[t_out])).collect();
        let v_end: Vec<f64> = sims.iter().map(|s| s.1[0]).collect();
        if l + 1 < nl {
            res.spikes.push(sims.into_iter().map(|s| s.0).collect());
            res.v_end.push(v_end);
        } else {
            res.v_out = v_end;
        }
    }
    res
}

/// Full loss of one sample (output CE + σ term + λ dead-neuron penalty per hidden layer).
pub fn sample_loss(net: &Network, input: &[f64], label: usize, lambda: f64, sigma: f64, flags: &[Vec<bool>]) -> f64 {
    let tr = net.forward_times(input).unwrap();
    let (mut l, _, _) = output_loss(&tr.v_out, label, sigma);
    for (h, f) in tr.hidden.iter().zip(flags) {
        l += dead_penalty(&h.v_end, f, lambda).0;
    }
    l
}

/// Spike counts of every hidden layer.
pub fn counts(net: &Network, input: &[f64]) -> Vec<Vec<u32>> {
    net.forward_times(input).unwrap().hidden.iter().map(|h| h.counts.clone()).collect()
}

/// Brute-force V(t) of neuron `neuron` of layer `layer + 1` (fed by weight layer `layer`) at the
/// times `grid` (non-decreasing, ≤ t_out), with the layer's inputs from [`ode_reference`].
pub fn ode_membrane(net: &Network, input: &[f64], layer: usize, neuron: usize, grid: &[f64]) -> Vec<f64> {
    let ode = ode_reference(net, input);
    let prev = if layer == 0 { None } else { Some(&ode.spikes[layer - 1]) };
    let pre = layer_inputs(input, net.config().t_out, prev);
    simulate_neuron(net, layer, neuron, &pre, grid).1
}
