//! Membrane potentials V(t) on a time grid (the paper's Fig. 2 view) and the full prediction
//! record of one image that the browser shows (probabilities, spike raster, traces).
//!
//! # Closed form
//!
//! With τ_V = τ_I / 2, V_th = 1 and a unit input spike of weight w at t_i, the current is
//! I(t) = w e^{−(t−t_i)/τ_I} and dV/dt = −V/τ_V + I gives V(t) = c w (e^{−(t−t_i)/τ_I} − e^{−2(t−t_i)/τ_I})
//! for t > t_i, with c = τ_I τ_V / (τ_I − τ_V) = τ_I. A reset at the neuron's own spike t_k sets V
//! from V_th to 0 and leaves I alone, i.e. subtracts a V_th-high membrane that then decays with τ_V:
//! − V_th e^{−2(t−t_k)/τ_I}. By linearity, for a hidden neuron j
//!
//! V_j(t) = Σ_{inputs t_i < t} τ_I w_ij (e^{−(t−t_i)/τ_I} − e^{−2(t−t_i)/τ_I}) − Σ_{own spikes t_k < t} e^{−2(t−t_k)/τ_I}
//!
//! and the read-out neurons (which never fire) have the first sum only. In z = e^{t/τ_I} this is
//! the engine's V = A/z − B/z² with A = τ_I Σ w z_i and B = τ_I Σ w z_i² + Σ z_k²; it is evaluated
//! here in that form, sweeping the events in time order once per grid. (For another τ_I/τ_V the
//! powers are z^p and c = τ_I τ_V / (τ_I − τ_V): the sums and V(z) come from the network's
//! [`NeuronKernel`], so this file holds no p = 2 maths of its own.) An event exactly at a grid
//! time does not count yet (V is continuous at inputs; at its own spike V is reported just before
//! the reset, i.e. at the threshold). `tests/traces.rs` checks it against the brute-force ODE.
//!
//! Only the stable public API of the engine is used: input spike times, `LayerTrace::spikes`
//! (`neuron`, `time`) and `Network::weights`.

use crate::engine::config::NetConfig;
use crate::engine::dynamics::NeuronKernel;
use crate::engine::encoding::latency_times;
use crate::engine::network::{Network, Trace};
use crate::error::{Error, Result};
use serde::Serialize;

/// `points` equally spaced times from 0 to t_out inclusive (at least 2).
pub fn time_grid(t_out: f64, points: usize) -> Vec<f64> {
    let p = points.max(2);
    (0..p).map(|k| t_out * k as f64 / (p - 1) as f64).collect()
}

/// (time, presynaptic index) of the events entering weight layer `l`, sorted by time; events at
/// t ≥ t_out are dropped (they cannot act before t_out).
fn layer_inputs(cfg: &NetConfig, input_times: &[f64], trace: &Trace, l: usize) -> Vec<(f64, usize)> {
    let mut ev: Vec<(f64, usize)> = if l == 0 {
        input_times.iter().enumerate().filter(|(_, &t)| t < cfg.t_out).map(|(i, &t)| (t, i)).collect()
    } else {
        trace.hidden[l - 1].spikes.iter().map(|s| (s.time(cfg.tau_i), s.neuron as usize)).collect()
    };
    ev.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    ev
}

/// V(t) on `grid` (increasing times) of neurons `neurons` of layer `layer + 1`
/// (`layer` = index of the weight layer feeding it: 0 … for the hidden layers, the last one for the
/// read-out). Returns one row of `grid.len()` values per neuron. `input_times` are the input spike
/// times the trace was computed from (+∞ or ≥ t_out: no spike).
pub fn membrane(
    net: &Network,
    input_times: &[f64],
    trace: &Trace,
    layer: usize,
    neurons: &[usize],
    grid: &[f64],
) -> Result<Vec<Vec<f64>>> {
    let cfg = net.config();
    let nl = cfg.n_weight_layers();
    if layer >= nl {
        return Err(Error::Shape(format!("layer {layer} does not exist: the network has {nl} weight layers")));
    }
    if trace.hidden.len() + 1 != nl || input_times.len() != cfg.layers[0] {
        return Err(Error::Shape("the trace or the input times do not belong to this network".into()));
    }
    let n_out = cfg.layers[layer + 1];
    if let Some(&j) = neurons.iter().find(|&&j| j >= n_out) {
        return Err(Error::Shape(format!("neuron {j} does not exist: layer {} has {n_out} neurons", layer + 1)));
    }
    if grid.iter().any(|t| !t.is_finite()) || grid.windows(2).any(|w| w[0] > w[1]) {
        return Err(Error::Shape("the time grid must be finite and non-decreasing".into()));
    }
    let tau = cfg.tau_i;
    let dy = net.dynamics();
    let kern = dy.kernel;
    let inputs = layer_inputs(cfg, input_times, trace, layer);
    let w = &net.weights()[layer];
    let hidden = layer + 1 < nl;
    let mut rows = Vec::with_capacity(neurons.len());
    for &j in neurons {
        let own: Vec<f64> = if hidden {
            trace.hidden[layer].spikes.iter().filter(|s| s.neuron as usize == j).map(|s| s.time(tau)).collect()
        } else {
            Vec::new()
        };
        let (mut a, mut b) = (0.0f64, 0.0f64);
        let (mut e, mut k) = (0usize, 0usize);
        let mut row = Vec::with_capacity(grid.len());
        for &t in grid {
            while e < inputs.len() && inputs[e].0 < t {
                let z = (inputs[e].0 / tau).exp();
                let cw = dy.c * w[[inputs[e].1, j]] as f64;
                a += cw * z;
                b += kern.b_term(cw, z);
                e += 1;
            }
            while k < own.len() && own[k] < t {
                b = kern.reset(b, (own[k] / tau).exp());
                k += 1;
            }
            let z = (t / tau).exp();
            row.push(kern.membrane_z(a, b, z));
        }
        rows.push(row);
    }
    Ok(rows)
}

/// Everything the browser shows about one image.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Prediction {
    /// Predicted class: the index of the strictly largest output ([`crate::engine::loss::decision`]),
    /// or `None` (JS `null`) when the largest outputs tie: undecided, counted wrong by every
    /// accuracy of the engine.
    pub class: Option<usize>,
    /// softmax(v_out).
    pub probabilities: Vec<f32>,
    /// Output membrane potentials V_o(t_out).
    pub v_out: Vec<f32>,
    /// Hidden spike raster, one entry per spike: layer (0 = first hidden layer), neuron, time.
    pub spike_layer: Vec<u32>,
    pub spike_neuron: Vec<u32>,
    pub spike_time: Vec<f32>,
    /// Total hidden spikes.
    pub n_spikes: usize,
    /// Hidden spikes per hidden layer.
    pub layer_spikes: Vec<usize>,
    /// Time grid of the traces (0 … t_out).
    pub grid: Vec<f32>,
    /// Output traces V_o(t), row-major `[n_out × grid.len()]`.
    pub v_trace: Vec<f32>,
    /// Layer sizes of the network.
    pub layers: Vec<usize>,
    pub t_out: f64,
}

/// Forward pass of one image (latency-coded pixels) with the output traces on `points` grid times.
pub fn predict(net: &Network, pixels: &[u8], points: usize) -> Result<Prediction> {
    let cfg = net.config();
    if pixels.len() != cfg.layers[0] {
        return Err(Error::Shape(format!("expected {} pixels, got {}", cfg.layers[0], pixels.len())));
    }
    predict_times(net, &latency_times(pixels, cfg.t_out), points)
}

/// [`predict`] for input spike times given directly (one per input; `+∞` or ≥ t_out: none).
pub fn predict_times(net: &Network, times: &[f64], points: usize) -> Result<Prediction> {
    let cfg = net.config();
    if !(2..=100_000).contains(&points) {
        return Err(Error::Shape(format!("the trace grid needs 2 to 100000 points, got {points}")));
    }
    crate::engine::encoding::validate_times(times, cfg.layers[0])?;
    let trace = net.forward_times(times)?;
    let n_out = *cfg.layers.last().expect("layers");
    let m = trace.v_out.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let ex: Vec<f64> = trace.v_out.iter().map(|v| (v - m).exp()).collect();
    let sum: f64 = ex.iter().sum();
    let mut p = Prediction {
        class: crate::engine::loss::decision(&trace.v_out),
        probabilities: ex.iter().map(|e| (e / sum) as f32).collect(),
        v_out: trace.v_out.iter().map(|&v| v as f32).collect(),
        spike_layer: Vec::new(),
        spike_neuron: Vec::new(),
        spike_time: Vec::new(),
        n_spikes: trace.hidden_spikes(),
        layer_spikes: trace.hidden.iter().map(|h| h.spikes.len()).collect(),
        grid: Vec::new(),
        v_trace: Vec::new(),
        layers: cfg.layers.clone(),
        t_out: cfg.t_out,
    };
    for (l, h) in trace.hidden.iter().enumerate() {
        for s in &h.spikes {
            p.spike_layer.push(l as u32);
            p.spike_neuron.push(s.neuron);
            p.spike_time.push(s.time(cfg.tau_i) as f32);
        }
    }
    let grid = time_grid(cfg.t_out, points);
    let rows = membrane(net, times, &trace, cfg.n_weight_layers() - 1, &(0..n_out).collect::<Vec<_>>(), &grid)?;
    p.v_trace = rows.iter().flatten().map(|&v| v as f32).collect();
    p.grid = grid.iter().map(|&t| t as f32).collect();
    Ok(p)
}

/// V(t) of chosen hidden neurons (of hidden layer `hidden_layer`, 0-based) for one image, on
/// `points` grid times; one row per neuron.
pub fn hidden_traces(
    net: &Network,
    pixels: &[u8],
    hidden_layer: usize,
    neurons: &[usize],
    points: usize,
) -> Result<Vec<Vec<f64>>> {
    let cfg = net.config();
    if pixels.len() != cfg.layers[0] {
        return Err(Error::Shape(format!("expected {} pixels, got {}", cfg.layers[0], pixels.len())));
    }
    if hidden_layer + 2 >= cfg.layers.len() {
        return Err(Error::Shape(format!("hidden layer {hidden_layer} does not exist")));
    }
    if !(2..=100_000).contains(&points) {
        return Err(Error::Shape(format!("the trace grid needs 2 to 100000 points, got {points}")));
    }
    let times = latency_times(pixels, cfg.t_out);
    let trace = net.forward_times(&times)?;
    membrane(net, &times, &trace, hidden_layer, neurons, &time_grid(cfg.t_out, points))
}
