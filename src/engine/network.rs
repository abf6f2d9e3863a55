//! A feed-forward network of LIF layers: weights, full forward pass and full backward pass of
//! one sample. The layer maths lives in `forward` and `backward`; this file only chains layers.

use crate::engine::backward::{backward_hidden, backward_readout, BackBuffers, BackwardStats, ReadoutBuffers};
use crate::engine::config::NetConfig;
use crate::engine::dynamics::Dynamics;
use crate::engine::events::Events;
use crate::engine::forward::{forward_hidden_into, forward_readout, LayerTrace, ScanBuffers};
use crate::engine::kernels::GradElem;
use crate::engine::real::Precision;
use crate::error::{Error, Result};
use ndarray::Array2;
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};

/// Weights and configuration. `weights[l]` has shape `[layers[l], layers[l+1]]` (row = presynaptic).
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    config: NetConfig,
    weights: Vec<Array2<f32>>,
    precision: Precision,
}

/// Everything the forward pass of one sample leaves behind.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    /// Input events of each weight layer (`events[0]` from the input spikes).
    pub events: Vec<Events>,
    /// One trace per hidden layer.
    pub hidden: Vec<LayerTrace>,
    /// Output membrane potentials V_o(t_out).
    pub v_out: Vec<f64>,
    /// The read-out's factors S_i per presynaptic neuron (`forward::readout_factors`), computed by
    /// the forward pass and used again by the backward pass.
    pub readout_s: Vec<f64>,
}

impl Trace {
    /// Total hidden spikes of this sample.
    pub fn hidden_spikes(&self) -> usize {
        self.hidden.iter().map(|h| h.spikes.len()).sum()
    }
}

/// Reusable per-thread buffers.
#[derive(Default, Debug)]
pub struct Workspace {
    /// (z, neuron) of a hidden layer's spikes, for the next layer's events.
    spikes: Vec<(f64, u32)>,
    scan32: ScanBuffers<f32>,
    scan64: ScanBuffers<f64>,
    back32: BackBuffers<f32>,
    back64: BackBuffers<f64>,
    readout: ReadoutBuffers,
    /// The event and spike adjoints of the backward pass.
    mu_ev: Vec<f64>,
    mu_in: Vec<f64>,
    mu_spike: Vec<f64>,
}

impl Network {
    /// Builds a network from given weights, validating configuration, shapes and finiteness.
    pub fn new(config: NetConfig, weights: Vec<Array2<f32>>) -> Result<Self> {
        config.validate()?;
        if weights.len() != config.n_weight_layers() {
            return Err(Error::Shape(format!(
                "layers {} need {} weight matrices, got {}",
                config.layers_string(),
                config.n_weight_layers(),
                weights.len()
            )));
        }
        let mut ws = Vec::with_capacity(weights.len());
        for (l, w) in weights.into_iter().enumerate() {
            let want = (config.layers[l], config.layers[l + 1]);
            if w.dim() != want {
                return Err(Error::Shape(format!("weight matrix {l} has shape {:?}, expected {want:?}", w.dim())));
            }
            if let Some(i) = w.iter().position(|x| !x.is_finite()) {
                return Err(Error::NonFinite(format!(
                    "weight matrix {l} entry ({}, {}) is {}",
                    i / want.1,
                    i % want.1,
                    w.as_standard_layout()[[i / want.1, i % want.1]]
                )));
            }
            ws.push(w.as_standard_layout().into_owned());
        }
        Ok(Network { config, weights: ws, precision: Precision::default() })
    }

    /// Gaussian initialisation N(mean, std²) for every layer, from a seeded ChaCha8 stream
    /// (reproducible on every platform).
    pub fn init_gaussian(config: NetConfig, seed: u64, mean: f64, std: f64) -> Result<Self> {
        let per_layer = vec![[mean, std]; config.n_weight_layers()];
        Network::init_gaussian_layers(config, seed, &per_layer)
    }

    /// Like [`Network::init_gaussian`] with a (mean, std) per weight matrix, first layer first.
    /// With the same pair for every layer the weights are those of `init_gaussian`, bit for bit
    /// (one random stream, drawn layer after layer).
    pub fn init_gaussian_layers(config: NetConfig, seed: u64, per_layer: &[[f64; 2]]) -> Result<Self> {
        config.validate()?;
        if per_layer.len() != config.n_weight_layers() {
            return Err(Error::Config(format!(
                "{} init (mean, std) pairs for {} weight layers",
                per_layer.len(),
                config.n_weight_layers()
            )));
        }
        let mut normals = Vec::with_capacity(per_layer.len());
        for &[mean, std] in per_layer {
            if !(mean.is_finite() && std.is_finite() && std >= 0.0) {
                return Err(Error::Config(format!("init mean/std must be finite and std ≥ 0, got {mean}/{std}")));
            }
            normals.push(Normal::new(mean, std).map_err(|e| Error::Config(e.to_string()))?);
        }
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let weights = (0..config.n_weight_layers())
            .map(|l| {
                let (r, c) = (config.layers[l], config.layers[l + 1]);
                let normal = &normals[l];
                Array2::from_shape_fn((r, c), |_| normal.sample(&mut rng) as f32)
            })
            .collect();
        Network::new(config, weights)
    }

    /// Precision of the per-neuron state (default f64, the exact reference; f32 is ~2× faster).
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// Sets the precision of the per-neuron state.
    pub fn set_precision(&mut self, p: Precision) {
        self.precision = p;
    }

    /// Builder form of [`Network::set_precision`].
    pub fn with_precision(mut self, p: Precision) -> Self {
        self.precision = p;
        self
    }

    pub fn config(&self) -> &NetConfig {
        &self.config
    }

    pub fn weights(&self) -> &[Array2<f32>] {
        &self.weights
    }

    /// Mutable weights (shapes cannot change through this slice's elements' data).
    pub fn weight_slices_mut(&mut self) -> Vec<&mut [f32]> {
        self.weights.iter_mut().map(|w| w.as_slice_mut().expect("standard layout")).collect()
    }

    /// Dynamics constants of this configuration, with its neuron kernel (τ_V = τ_I/2).
    pub fn dynamics(&self) -> Dynamics {
        Dynamics::new(&self.config)
    }

    fn w(&self, l: usize) -> &[f32] {
        self.weights[l].as_slice().expect("standard layout")
    }

    /// Forward pass from one spike time per input neuron (+∞ or ≥ t_out: no spike).
    pub fn forward_times(&self, times: &[f64]) -> Result<Trace> {
        crate::engine::encoding::validate_times(times, self.config.layers[0])?;
        let ev = Events::from_times(times, self.config.tau_i, self.config.t_out);
        Ok(self.forward_events(ev, &mut Workspace::default()))
    }

    /// Forward pass from prepared input events.
    pub fn forward_events(&self, input: Events, ws: &mut Workspace) -> Trace {
        let mut tr = Trace { events: vec![input], ..Default::default() };
        self.forward_into(&mut tr, ws);
        tr
    }

    /// Forward pass from the input events in `tr.events[0]`, into the rest of `tr`, reusing its
    /// buffers (training keeps a batch of traces from step to step).
    pub fn forward_into(&self, tr: &mut Trace, ws: &mut Workspace) {
        let dy = self.dynamics();
        let nl = self.config.n_weight_layers();
        // Keeps the buffers of every layer's events (the input's must be there already).
        tr.events.resize_with(nl, Events::default);
        tr.hidden.resize_with(nl - 1, LayerTrace::default);
        for l in 0..nl - 1 {
            let (w, n) = (self.w(l), self.config.layers[l + 1]);
            let (ev, h) = (&tr.events[l], &mut tr.hidden[l]);
            match self.precision {
                Precision::F32 => forward_hidden_into(ev, w, n, &dy, &mut ws.scan32, h),
                Precision::F64 => forward_hidden_into(ev, w, n, &dy, &mut ws.scan64, h),
            };
            ws.spikes.clear();
            ws.spikes.extend(h.spikes.iter().map(|s| (s.z, s.neuron)));
            let next = &mut tr.events[l + 1];
            if l + 2 < nl {
                next.set_from_spikes(&ws.spikes)
            } else {
                next.set_unordered(&ws.spikes)
            }
        }
        let (ev, w, n) = (&tr.events[nl - 1], self.w(nl - 1), self.config.layers[nl]);
        forward_readout(ev, w, n, &dy, &mut tr.readout_s, &mut tr.v_out);
    }

    /// Backward pass of one sample: accumulates dL/dW into `grads` (one `[n_in × n_out]`
    /// buffer per weight layer, f32 or f64) given dL/dv_out and dL/dV_j(t_out) per hidden layer
    /// (`g_hidden[l]` may be empty for zero).
    pub fn backward<G: GradElem>(
        &self,
        tr: &Trace,
        dv_out: &[f64],
        g_hidden: &[Vec<f64>],
        grads: &mut [Vec<G>],
        ws: &mut Workspace,
    ) -> BackwardStats {
        let dy = self.dynamics();
        let nl = self.config.n_weight_layers();
        let eps = self.config.grazing_eps;
        let mut st = BackwardStats::default();
        // μ = z·dL/dz of the events entering the current layer (buffers reused per thread).
        let mut mu_ev = std::mem::take(&mut ws.mu_ev);
        let mut mu_in = std::mem::take(&mut ws.mu_in);
        let mut mu_spike = std::mem::take(&mut ws.mu_spike);
        mu_ev.clear();
        mu_ev.resize(tr.events[nl - 1].len(), 0.0);
        backward_readout(
            &tr.events[nl - 1],
            self.w(nl - 1),
            self.config.layers[nl],
            &dy,
            &tr.readout_s,
            dv_out,
            &mut grads[nl - 1],
            if nl > 1 { Some(&mut mu_ev) } else { None },
            &mut ws.readout,
        );
        for l in (0..nl - 1).rev() {
            let h = &tr.hidden[l];
            // Route event adjoints back to this layer's spikes.
            mu_spike.clear();
            mu_spike.resize(h.spikes.len(), 0.0);
            for (e, &k) in tr.events[l + 1].spike_id.iter().enumerate() {
                mu_spike[k as usize] = mu_ev[e];
            }
            let need_in = l > 0;
            mu_in.clear();
            mu_in.resize(if need_in { tr.events[l].len() } else { 0 }, 0.0);
            let gv: &[f64] = g_hidden.get(l).map(|v| v.as_slice()).unwrap_or(&[]);
            let (ev, w, n, g) = (&tr.events[l], self.w(l), self.config.layers[l + 1], &mut grads[l]);
            let mi = if need_in { Some(&mut mu_in[..]) } else { None };
            st += match self.precision {
                Precision::F32 => backward_hidden(ev, w, n, &dy, eps, h, &mu_spike, gv, g, mi, &mut ws.back32),
                Precision::F64 => backward_hidden(ev, w, n, &dy, eps, h, &mu_spike, gv, g, mi, &mut ws.back64),
            };
            std::mem::swap(&mut mu_ev, &mut mu_in);
        }
        (ws.mu_ev, ws.mu_in, ws.mu_spike) = (mu_ev, mu_in, mu_spike);
        st
    }

    /// Zeroed gradient buffers matching the weights.
    pub fn zero_grads(&self) -> Vec<Vec<f64>> {
        self.weights.iter().map(|w| vec![0.0; w.len()]).collect()
    }
}
